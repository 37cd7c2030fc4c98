//! The marketer's desk around the publishing engine: campaigns (a goal,
//! dates, a colour and default UTM parameters), approvals (a workspace may
//! require that a second person approves each post; nobody approves their
//! own), each post's history, and moving a post to another time.
//!
//! A post awaiting review is held: its targets stay `draft` with their time
//! kept, and go to `scheduled` when it is approved. Editing an approved post
//! holds it again and asks for a new review.

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::members::MemberId;
use crate::posts::{PostId, TargetId};

pub type CampaignId = i64;

/// Campaign colours offered in the form (readable on white, distinct).
pub const CAMPAIGN_COLORS: [&str; 8] = [
    "#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0891b2", "#4d7c0f",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Utm {
    pub source: String,
    pub medium: String,
    pub campaign: String,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self.source.is_empty() && self.medium.is_empty() && self.campaign.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub goal: String,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub color: String,
    pub utm: Utm,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub goal: String,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub color: String,
    pub utm: Utm,
}

/// Checks a campaign form; answers (field, message) for each problem.
pub fn check_campaign(
    workspace_id: WorkspaceId,
    name: &str,
    goal: &str,
    starts: &str,
    ends: &str,
    color: &str,
    utm: Utm,
) -> Result<NewCampaign, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errors.push(("name", "use 1 to 80 characters".to_owned()));
    }
    if goal.chars().count() > 500 {
        errors.push(("goal", "use at most 500 characters".to_owned()));
    }
    let date = |field: &'static str, raw: &str, errors: &mut Vec<(&'static str, String)>| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(date) => Some(Timestamp::from(
                date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            )),
            Err(_) => {
                errors.push((field, format!("{raw:?} is not a date like 2026-12-01")));
                None
            }
        }
    };
    let starts_at = date("starts_at", starts, &mut errors);
    let ends_at = date("ends_at", ends, &mut errors);
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && end < start
    {
        errors.push(("ends_at", "the end must not be before the start".to_owned()));
    }
    let color = color.trim();
    let color = if color.is_empty() {
        CAMPAIGN_COLORS[0].to_owned()
    } else if color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        color.to_lowercase()
    } else {
        errors.push(("color", "use a colour like #2563eb".to_owned()));
        String::new()
    };
    let utm_ok = |value: &str| {
        value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    for (field, value) in [
        ("utm_source", &utm.source),
        ("utm_medium", &utm.medium),
        ("utm_campaign", &utm.campaign),
    ] {
        if !utm_ok(value.trim()) || value.len() > 100 {
            errors.push((field, "use letters, digits, - _ and . only".to_owned()));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewCampaign {
        workspace_id,
        name: name.to_owned(),
        goal: goal.trim().to_owned(),
        starts_at,
        ends_at: ends_at.map(|end| end.plus_millis(86_400_000 - 1)),
        color,
        utm: Utm {
            source: utm.source.trim().to_owned(),
            medium: utm.medium.trim().to_owned(),
            campaign: utm.campaign.trim().to_owned(),
        },
    })
}

/// Adds the campaign's UTM parameters to every web link in `text` that has
/// none yet (links keep their other parameters and fragment).
pub fn apply_utm(text: &str, utm: &Utm) -> String {
    if utm.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    for range in crate::text_limits::find_urls(text) {
        out.push_str(&text[last..range.start]);
        out.push_str(&tag_url(&text[range.clone()], utm));
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

fn tag_url(url: &str, utm: &Utm) -> String {
    if url.contains("utm_") {
        return url.to_owned();
    }
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let params: Vec<String> = [
        ("utm_source", &utm.source),
        ("utm_medium", &utm.medium),
        ("utm_campaign", &utm.campaign),
    ]
    .iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(key, value)| format!("{key}={value}"))
    .collect();
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut tagged = format!("{base}{separator}{}", params.join("&"));
    if let Some(fragment) = fragment {
        tagged.push('#');
        tagged.push_str(fragment);
    }
    tagged
}

/// Where a post stands with its reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// No review asked (the workspace does not require one, or a draft).
    None,
    Pending,
    Approved,
    Rejected,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::None => "none",
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(Approval::None),
            "pending" => Some(Approval::Pending),
            "approved" => Some(Approval::Approved),
            "rejected" => Some(Approval::Rejected),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Approval::None => "",
            Approval::Pending => "awaiting approval",
            Approval::Approved => "approved",
            Approval::Rejected => "changes requested",
        }
    }
}

/// One step in a post's life, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub member_id: MemberId,
    pub member_name: String,
    /// `created`, `review_requested`, `approved`, `rejected`, `edited`, `moved`, `queued`.
    pub action: String,
    pub comment: String,
    pub at: Timestamp,
}

/// Why an approval step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("nobody approves or rejects their own post: ask someone else")]
    OwnPost,
    #[error("this post is not awaiting review")]
    NotPending,
    #[error("a rejection needs a comment saying what to change")]
    CommentNeeded,
}

/// An image in the workspace's media library (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryItem {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub alt: String,
    pub size: i64,
    pub created_at: Timestamp,
}

/// An image to add to the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMedia<'a> {
    pub workspace_id: WorkspaceId,
    pub member_id: MemberId,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub alt: &'a str,
    pub bytes: &'a [u8],
}

/// The largest image the library takes (networks take less: checked per
/// channel when a post is scheduled).
pub const LIBRARY_MAX_BYTES: usize = 16 * 1024 * 1024;

/// Storage for the desk.
pub trait DeskStore: Send + Sync {
    fn create_campaign(
        &self,
        campaign: &NewCampaign,
        now: Timestamp,
    ) -> impl Future<Output = Result<CampaignId, StoreError>> + Send;
    fn campaigns(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Campaign>, StoreError>> + Send;
    fn campaign(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> impl Future<Output = Result<Option<Campaign>, StoreError>> + Send;
    /// Puts a post in a campaign (or none).
    fn set_post_campaign(
        &self,
        post: PostId,
        campaign: Option<CampaignId>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn posts_need_approval(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn set_posts_need_approval(
        &self,
        workspace: WorkspaceId,
        on: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn approval(
        &self,
        post: PostId,
    ) -> impl Future<Output = Result<Option<(Approval, MemberId)>, StoreError>> + Send;
    /// Sets the approval state; `hold` puts the post's scheduled targets
    /// back to draft (their time kept), `release` schedules held ones.
    fn set_approval(
        &self,
        post: PostId,
        approval: Approval,
        hold: bool,
        release: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn record_history(
        &self,
        post: PostId,
        member: MemberId,
        action: &str,
        comment: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn history(
        &self,
        post: PostId,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, StoreError>> + Send;
    /// Moves a post: its time, and the time of its targets that have not
    /// gone out yet. Answers the targets that moved (to enqueue their jobs).
    fn reschedule_post(
        &self,
        workspace: WorkspaceId,
        post: PostId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<TargetId>, StoreError>> + Send;
    fn add_media(
        &self,
        media: &NewMedia<'_>,
        now: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn media_library(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<LibraryItem>, StoreError>> + Send;
    /// One image with its bytes.
    fn media_bytes(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<Option<(LibraryItem, Vec<u8>)>, StoreError>> + Send;
    fn delete_media(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Replaces a target's text (before it goes out); false if it went out.
    fn edit_target_text(
        &self,
        post: PostId,
        target: TargetId,
        text: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn utm_parameters_are_added_to_links_without_them() {
        let utm = Utm {
            source: "mastodon".into(),
            medium: "social".into(),
            campaign: "spring-sale".into(),
        };
        assert_eq!(
            apply_utm(
                "New: https://shop.example/bikes?size=m#top and https://x.example/?utm_source=a",
                &utm
            ),
            "New: https://shop.example/bikes?size=m&utm_source=mastodon&utm_medium=social&utm_campaign=spring-sale#top and https://x.example/?utm_source=a"
        );
        assert_eq!(apply_utm("no links", &utm), "no links");
    }

    #[test]
    fn campaigns_are_checked_by_field() {
        let fields = |errors: Vec<(&'static str, String)>| {
            errors.into_iter().map(|(f, _)| f).collect::<Vec<_>>()
        };
        let bad = check_campaign(1, "", "", "2026-13-01", "", "blue", Utm::default());
        assert_eq!(fields(bad.unwrap_err()), vec!["name", "starts_at", "color"]);
        let bad = check_campaign(
            1,
            "Spring",
            "",
            "2026-03-01",
            "2026-02-01",
            "",
            Utm {
                source: "a b".into(),
                ..Utm::default()
            },
        );
        assert_eq!(fields(bad.unwrap_err()), vec!["ends_at", "utm_source"]);
        let good = check_campaign(
            1,
            "Spring",
            "Sell bikes",
            "2026-03-01",
            "2026-03-31",
            "",
            Utm::default(),
        )
        .unwrap();
        assert_eq!(good.color, CAMPAIGN_COLORS[0]);
        assert_eq!(good.ends_at.unwrap().rfc3339(), "2026-03-31T23:59:59.999Z");
    }
}
