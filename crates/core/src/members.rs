//! Members: the people a workspace knows, one profile each, staff or not.
//!
//! A member may have an account (native sign-in) or not (known only through
//! an external identity or the demo). Identities and merging come with the
//! member-graph issue; this module holds the profile every feature points at.

use std::future::Future;

use serde::Serialize;

use crate::accounts::{AccountId, WorkspaceId};
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::pagination::{Cursor, Page};

pub type MemberId = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMember {
    pub workspace_id: WorkspaceId,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub email: Option<String>,
    pub joined_at: Timestamp,
    pub is_staff: bool,
}

/// A member as listed to staff, with their activity count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberSummary {
    pub id: MemberId,
    pub name: String,
    pub is_staff: bool,
    pub joined_at: Timestamp,
    pub n_interactions: i64,
    pub last_active_at: Option<Timestamp>,
}

/// Where and whether to e-mail a member about activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTarget {
    pub email: String,
    pub name: String,
    /// Mention and reply e-mails are on unless the member unsubscribed.
    pub enabled: bool,
    /// The secret in the member's unsubscribe link.
    pub unsubscribe_token: String,
}

/// A member's public face in the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberProfile {
    pub id: MemberId,
    pub name: String,
    pub handle: String,
    pub bio: String,
    pub interests: Vec<String>,
    pub joined_at: Timestamp,
    pub is_staff: bool,
    /// Who may see the profile: every member, or staff only.
    pub visible_to_members: bool,
}

impl MemberProfile {
    /// Initials for the generated avatar.
    pub fn initials(&self) -> String {
        self.name
            .split_whitespace()
            .filter_map(|word| word.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase()
    }

    /// A hue for the generated avatar, stable per member.
    pub fn avatar_hue(&self) -> i64 {
        (self.id.wrapping_mul(137)).rem_euclid(360)
    }

    /// Whether the profile counts as complete for onboarding.
    pub fn is_complete(&self) -> bool {
        !self.bio.trim().is_empty() && !self.interests.is_empty()
    }
}

/// Parses interests typed as a comma-separated list: lower-cased, trimmed,
/// without repeats, at most 10 of at most 30 characters each.
pub fn parse_interests(raw: &str) -> Result<Vec<String>, String> {
    let mut interests: Vec<String> = Vec::new();
    for item in raw
        .split(',')
        .map(|item| item.trim().to_lowercase())
        .filter(|item| !item.is_empty())
    {
        if item.chars().count() > 30 {
            return Err(format!("“{item}” is longer than 30 characters"));
        }
        if !interests.contains(&item) {
            interests.push(item);
        }
    }
    if interests.len() > 10 {
        return Err("list at most 10 interests".into());
    }
    Ok(interests)
}

/// How often a member wants a digest of new threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    Off,
    Daily,
    Weekly,
}

impl DigestFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Off => "off",
            DigestFrequency::Daily => "daily",
            DigestFrequency::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "off" => Some(DigestFrequency::Off),
            "daily" => Some(DigestFrequency::Daily),
            "weekly" => Some(DigestFrequency::Weekly),
            _ => None,
        }
    }

    /// Whether a digest is due, given when the last one went out. A little
    /// slack (20 h, 6.5 days) keeps a daily run from skipping a day.
    pub fn is_due(self, last_sent: Option<Timestamp>, now: Timestamp) -> bool {
        let gap_millis = match self {
            DigestFrequency::Off => return false,
            DigestFrequency::Daily => 20 * 3_600_000,
            DigestFrequency::Weekly => 156 * 3_600_000,
        };
        last_sent.is_none_or(|at| now.millis() - at.millis() >= gap_millis)
    }
}

/// Someone who may get a digest, with what the e-mail needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    pub member_id: MemberId,
    pub workspace_id: WorkspaceId,
    pub workspace_slug: String,
    pub workspace_name: String,
    pub email: String,
    pub name: String,
    pub frequency: DigestFrequency,
    pub last_sent: Option<Timestamp>,
    pub unsubscribe_token: Option<String>,
}

/// A newcomer's progress through onboarding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Newcomer {
    pub profile: MemberProfile,
    pub n_threads: i64,
    pub n_replies: i64,
    /// Events they said they are going to.
    pub n_events: i64,
}

pub trait MemberStore: Send + Sync {
    fn profile(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<MemberProfile>, StoreError>> + Send;
    fn profile_by_handle(
        &self,
        workspace: WorkspaceId,
        handle: &str,
    ) -> impl Future<Output = Result<Option<MemberProfile>, StoreError>> + Send;
    fn update_profile(
        &self,
        member: MemberId,
        bio: &str,
        interests: &[String],
        visible_to_members: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The member's e-mail choices: activity e-mails on or off, and the digest.
    fn email_preferences(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<(bool, DigestFrequency), StoreError>> + Send;
    fn set_email_preferences(
        &self,
        member: MemberId,
        activity_emails: bool,
        digest: DigestFrequency,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every member with a digest turned on and an e-mail address, in every workspace.
    fn digest_recipients(
        &self,
    ) -> impl Future<Output = Result<Vec<DigestRecipient>, StoreError>> + Send;
    fn mark_digest_sent(
        &self,
        member: MemberId,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Members who joined since `since`, with their first steps counted.
    fn newcomers(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<Newcomer>, StoreError>> + Send;
    /// Non-staff members with at least one interest.
    fn members_with_interests(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<MemberProfile>, StoreError>> + Send;
    /// Pairs of members who ever interacted (either direction), smaller id first.
    fn interacted_pairs(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<(MemberId, MemberId)>, StoreError>> + Send;
    /// The member's e-mail settings, when the member has an e-mail address.
    fn email_target(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<EmailTarget>, StoreError>> + Send;
    /// Turns activity e-mails off for the member holding this token; answers their name.
    fn unsubscribe(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn create_member(
        &self,
        member: &NewMember,
    ) -> impl Future<Output = Result<MemberId, StoreError>> + Send;
    fn member_of_account(
        &self,
        workspace: WorkspaceId,
        account: AccountId,
    ) -> impl Future<Output = Result<Option<MemberId>, StoreError>> + Send;
    /// Members by descending id, `limit` per page.
    fn list_members(
        &self,
        workspace: WorkspaceId,
        after: Option<Cursor>,
        limit: i64,
    ) -> impl Future<Output = Result<Page<MemberSummary>, StoreError>> + Send;
    fn member_is_staff(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn count_members(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The community manager's welcome message (Markdown), when one was saved.
    fn welcome_message(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn set_welcome_message(
        &self,
        workspace: WorkspaceId,
        body: &str,
        by: MemberId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// When the member put the welcome panel away, if they did.
    fn welcome_dismissed_at(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<Timestamp>, StoreError>> + Send;
    fn dismiss_welcome(
        &self,
        member: MemberId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The introductions suggested for the week starting at `week_start`, in order.
    fn introduction_batch(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
    ) -> impl Future<Output = Result<Vec<SuggestedIntroduction>, StoreError>> + Send;
    /// Stores a week's batch; a batch already stored for that week is kept.
    fn save_introduction_batch(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
        batch: &[Introduction],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Whether the member receives the e-mail newsletter (opt-in).
    fn newsletter(&self, member: MemberId)
    -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn set_newsletter(
        &self,
        member: MemberId,
        subscribed: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Members of the workspace with an e-mail address who opted in to the newsletter.
    fn newsletter_subscribers(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<MemberId>, StoreError>> + Send;
    /// Pairs the community manager already introduced, in any week, smaller id first.
    fn introduced_pairs(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<(MemberId, MemberId)>, StoreError>> + Send;
    /// Records that a suggested pair was introduced (`Some(thread)`) or dismissed (`None`).
    fn settle_introduction(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
        pair: (MemberId, MemberId),
        thread: Option<crate::community::ThreadId>,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A pair from a week's stored batch of introductions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedIntroduction {
    pub first_id: MemberId,
    pub second_id: MemberId,
    pub shared: Vec<String>,
    /// The thread that introduced them, once the community manager did.
    pub thread_id: Option<crate::community::ThreadId>,
    pub dismissed: bool,
}

/// Monday 00:00 UTC of the week `now` falls in: introductions come in weekly batches.
pub fn week_start(now: Timestamp) -> Timestamp {
    use chrono::{Datelike, NaiveTime};
    let date = now.to_datetime().date_naive();
    let monday = date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()));
    Timestamp::from(monday.and_time(NaiveTime::MIN).and_utc())
}

/// The welcome message shown until the community manager writes one.
pub const DEFAULT_WELCOME: &str = "Welcome to {workspace}, {name}! We are glad you are here.\n\n\
Start by telling us a little about yourself in your profile, then say hello in a group: \
people here answer each other's questions, so do not be shy.";

/// The welcome message for one member: `{name}` and `{workspace}` filled in.
pub fn personalise_welcome(template: &str, name: &str, workspace: &str) -> String {
    template
        .replace("{name}", name)
        .replace("{workspace}", workspace)
}

/// A suggested introduction: two members who share interests and never interacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introduction {
    pub first: MemberProfile,
    pub second: MemberProfile,
    pub shared: Vec<String>,
}

/// Pairs of members sharing the most interests who have never interacted,
/// best first, each member in at most one pair so the week's list spreads out.
pub fn suggest_introductions(
    members: &[MemberProfile],
    interacted: &[(MemberId, MemberId)],
    limit: usize,
) -> Vec<Introduction> {
    let interacted: std::collections::HashSet<(MemberId, MemberId)> =
        interacted.iter().copied().collect();
    let mut candidates: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for (i, first) in members.iter().enumerate() {
        for (j, second) in members.iter().enumerate().skip(i + 1) {
            let key = (first.id.min(second.id), first.id.max(second.id));
            if interacted.contains(&key) {
                continue;
            }
            let shared: Vec<String> = first
                .interests
                .iter()
                .filter(|interest| second.interests.contains(interest))
                .cloned()
                .collect();
            if !shared.is_empty() {
                candidates.push((i, j, shared));
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.2.len()
            .cmp(&a.2.len())
            .then(a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    let mut used = std::collections::HashSet::new();
    let mut introductions = Vec::new();
    for (i, j, shared) in candidates {
        if introductions.len() >= limit {
            break;
        }
        if used.contains(&i) || used.contains(&j) {
            continue;
        }
        used.insert(i);
        used.insert(j);
        introductions.push(Introduction {
            first: members[i].clone(),
            second: members[j].clone(),
            shared,
        });
    }
    introductions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: MemberId, interests: &[&str]) -> MemberProfile {
        MemberProfile {
            id,
            name: format!("M{id}"),
            handle: format!("m{id}"),
            bio: String::new(),
            interests: interests.iter().map(|s| (*s).to_owned()).collect(),
            joined_at: Timestamp(0),
            is_staff: false,
            visible_to_members: true,
        }
    }

    #[test]
    fn weeks_start_on_monday_utc() {
        // Sunday 2026-11-22 23:30 UTC belongs to the week of Monday 2026-11-16.
        // 2026-11-22T23:30:00Z
        let sunday = Timestamp::from_millis(1_795_390_200_000);
        assert_eq!(week_start(sunday).rfc3339(), "2026-11-16T00:00:00.000Z");
        // 2026-11-23T00:00:00Z
        let monday = Timestamp::from_millis(1_795_392_000_000);
        assert_eq!(week_start(monday), monday);
    }

    #[test]
    fn welcome_is_personalised() {
        assert_eq!(
            personalise_welcome(
                "Hi {name}, welcome to {workspace}. {name}!",
                "Ada",
                "Northwind"
            ),
            "Hi Ada, welcome to Northwind. Ada!"
        );
    }

    #[test]
    fn interests_are_parsed() {
        assert_eq!(
            parse_interests(" Gravel, climbing ,gravel,, "),
            Ok(vec!["gravel".to_owned(), "climbing".to_owned()])
        );
        assert!(parse_interests(&"x".repeat(31)).is_err());
        assert!(
            parse_interests(&(0..11).map(|n| n.to_string()).collect::<Vec<_>>().join(",")).is_err()
        );
    }

    #[test]
    fn introductions_pair_strangers_with_shared_interests() {
        let members = [
            profile(1, &["gravel", "coffee"]),
            profile(2, &["gravel", "coffee"]),
            profile(3, &["gravel"]),
            profile(4, &["chess"]),
        ];
        let suggestions = suggest_introductions(&members, &[], 10);
        assert_eq!(suggestions.len(), 1, "each member once; 4 shares nothing");
        assert_eq!((suggestions[0].first.id, suggestions[0].second.id), (1, 2));
        assert_eq!(suggestions[0].shared, vec!["gravel", "coffee"]);
        let suggestions = suggest_introductions(&members, &[(1, 2)], 10);
        assert_eq!(
            (suggestions[0].first.id, suggestions[0].second.id),
            (1, 3),
            "1 and 2 already talked"
        );
    }
}
