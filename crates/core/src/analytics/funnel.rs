//! The funnel from the marketer's campaigns to the community manager's
//! members: posts published for a campaign, what they earned, the members who
//! joined through it, who contributed, and who was still active 30 and 90 days
//! later — against the members who came on their own.
//!
//! Definitions (ARCHITECTURE.md, "Analytics", repeats them):
//! - *clicks*: the clicks counted on the tracked links of the campaign's
//!   published targets ([`clicks`]); unknown only when none of them was
//!   published with tracking;
//! - *joined through a campaign*: a non-staff member whose row records the
//!   campaign (the `utm_campaign` of the join link they followed); staff
//!   (by the members table or the log's staff set) are in neither group;
//! - *on their own*: a non-staff member with no campaign;
//! - *contributed*: posted or replied at least once since joining;
//! - *active at 30 days*: any interaction as actor in the 7 days before day 30
//!   after joining (`joined + 23 d ≤ t < joined + 30 d`), counted among the
//!   members who joined at least 30 days ago; *at 90 days* likewise, days 83–90.

use std::collections::HashMap;
use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::analytics::InteractionKind;
use crate::analytics::audience::PublishedPost;
use crate::analytics::health::InteractionLog;
use crate::desk::CampaignId;
use crate::error::StoreError;
use crate::members::MemberId;

const DAY: i64 = 86_400;

/// One group of members followed through the funnel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cohort {
    pub joined: u64,
    pub contributed: u64,
    /// `contributed / joined`.
    pub contribution_rate: Option<f64>,
    /// Members who joined at least 30 days ago.
    pub eligible_30: u64,
    pub active_30: u64,
    /// `active_30 / eligible_30`.
    pub retention_30: Option<f64>,
    pub eligible_90: u64,
    pub active_90: u64,
    pub retention_90: Option<f64>,
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Members who came through campaigns (one campaign, or any) and on their own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    pub through_campaigns: Cohort,
    pub on_their_own: Cohort,
}

/// Which group of a funnel a member is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    ThroughCampaigns,
    OnTheirOwn,
}

impl Group {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "through_campaigns" => Some(Self::ThroughCampaigns),
            "on_their_own" => Some(Self::OnTheirOwn),
            _ => None,
        }
    }
}

/// A step of the funnel, as the members behind it are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Joined,
    Contributed,
    /// Joined at least 30 days ago.
    Eligible30,
    Active30,
    Eligible90,
    Active90,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Joined,
        Step::Contributed,
        Step::Eligible30,
        Step::Active30,
        Step::Eligible90,
        Step::Active90,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Joined => "joined",
            Step::Contributed => "contributed",
            Step::Eligible30 => "eligible_30",
            Step::Active30 => "active_30",
            Step::Eligible90 => "eligible_90",
            Step::Active90 => "active_90",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == raw)
    }
}

/// One member as the funnel sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunnelMember {
    pub member_id: MemberId,
    /// Seconds since the Unix epoch.
    pub joined_at: i64,
    pub group: Group,
    pub contributed: bool,
    /// `Some(active)` once the member joined at least 30 days ago.
    pub active_30: Option<bool>,
    pub active_90: Option<bool>,
}

impl FunnelMember {
    /// Whether the member counts in this step.
    pub fn in_step(&self, step: Step) -> bool {
        match step {
            Step::Joined => true,
            Step::Contributed => self.contributed,
            Step::Eligible30 => self.active_30.is_some(),
            Step::Active30 => self.active_30 == Some(true),
            Step::Eligible90 => self.active_90.is_some(),
            Step::Active90 => self.active_90 == Some(true),
        }
    }
}

/// Every member in either group of the funnel (`campaign`: one campaign's
/// members against those on their own; `None`: every campaign's), in the
/// log's member order. `now` is seconds since the Unix epoch.
pub fn funnel_members(
    log: &InteractionLog,
    member_campaigns: &HashMap<MemberId, CampaignId>,
    campaign: Option<CampaignId>,
    now: i64,
) -> Vec<FunnelMember> {
    // Per member index: contributed, active in days 23–30, active in days 83–90.
    let mut seen = vec![(false, false, false); log.members.len()];
    for row in &log.rows {
        let Some(member) = log.members.get(row.actor as usize) else {
            continue;
        };
        let age = row.at - member.joined_at;
        if age < 0 {
            continue;
        }
        let state = &mut seen[row.actor as usize];
        if matches!(row.kind, InteractionKind::Post | InteractionKind::Reply) {
            state.0 = true;
        }
        if (23 * DAY..30 * DAY).contains(&age) {
            state.1 = true;
        }
        if (83 * DAY..90 * DAY).contains(&age) {
            state.2 = true;
        }
    }
    let mut members = Vec::new();
    for (index, (member, (contributed, active_30, active_90))) in
        log.members.iter().zip(seen).enumerate()
    {
        // Staff by the members table or by the log's staff set S.
        if member.is_staff || log.is_staff(index as u32) || member.joined_at > now {
            continue;
        }
        let group = match (member_campaigns.get(&member.id), campaign) {
            (None, _) => Group::OnTheirOwn,
            (Some(_), None) => Group::ThroughCampaigns,
            (Some(came), Some(wanted)) if *came == wanted => Group::ThroughCampaigns,
            // Another campaign's member is in neither group of this funnel.
            (Some(_), Some(_)) => continue,
        };
        let age = now - member.joined_at;
        members.push(FunnelMember {
            member_id: member.id,
            joined_at: member.joined_at,
            group,
            contributed,
            active_30: (age >= 30 * DAY).then_some(active_30),
            active_90: (age >= 90 * DAY).then_some(active_90),
        });
    }
    members
}

/// `campaign`: one campaign's members against those on their own; `None`:
/// every campaign's. `now` is seconds since the Unix epoch.
pub fn funnel(
    log: &InteractionLog,
    member_campaigns: &HashMap<MemberId, CampaignId>,
    campaign: Option<CampaignId>,
    now: i64,
) -> Funnel {
    let mut through = Cohort::default();
    let mut own = Cohort::default();
    for member in funnel_members(log, member_campaigns, campaign, now) {
        let cohort = match member.group {
            Group::ThroughCampaigns => &mut through,
            Group::OnTheirOwn => &mut own,
        };
        let count = |step| u64::from(member.in_step(step));
        cohort.joined += count(Step::Joined);
        cohort.contributed += count(Step::Contributed);
        cohort.eligible_30 += count(Step::Eligible30);
        cohort.active_30 += count(Step::Active30);
        cohort.eligible_90 += count(Step::Eligible90);
        cohort.active_90 += count(Step::Active90);
    }
    for cohort in [&mut through, &mut own] {
        cohort.contribution_rate = ratio(cohort.contributed, cohort.joined);
        cohort.retention_30 = ratio(cohort.active_30, cohort.eligible_30);
        cohort.retention_90 = ratio(cohort.active_90, cohort.eligible_90);
    }
    Funnel {
        through_campaigns: through,
        on_their_own: own,
    }
}

/// The funnel's click step: the clicks on these posts' tracked links, summed
/// over the posts whose clicks are counted (an untracked post adds nothing,
/// it is not reported); `None` when no post is tracked.
pub fn clicks<'a>(posts: impl IntoIterator<Item = &'a PublishedPost>) -> Option<i64> {
    posts
        .into_iter()
        .filter_map(|post| post.metrics.and_then(|metrics| metrics.clicks))
        .fold(None, |sum, clicks| Some(sum.unwrap_or(0) + clicks))
}

/// Which campaign, if any, each member came through.
pub trait AttributionStore: Send + Sync {
    /// Records the campaign a member came through, unless one is recorded already.
    fn attribute_member(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        campaign: CampaignId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every attributed member of the workspace with their campaign.
    fn member_campaigns(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<HashMap<MemberId, CampaignId>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::analytics::audience::PostMetrics;
    use crate::text_limits::Network;

    fn published(target_id: i64, clicks: Option<i64>, measured: bool) -> PublishedPost {
        PublishedPost {
            target_id,
            post_id: target_id,
            channel_id: 1,
            channel_name: "Channel".into(),
            network: Network::Mastodon,
            campaign_id: Some(7),
            campaign_name: Some("Campaign".into()),
            published_at: Timestamp::from_millis(0),
            text: String::new(),
            remote_url: None,
            metrics: measured.then_some(PostMetrics {
                likes: 1,
                shares: 0,
                replies: 0,
                quotes: 0,
                impressions: None,
                reach: None,
                clicks,
            }),
        }
    }

    #[test]
    fn clicks_sum_the_tracked_posts_and_are_unknown_only_when_none_is() {
        assert_eq!(clicks(&[]), None);
        let untracked = [published(1, None, true), published(2, None, false)];
        assert_eq!(clicks(&untracked), None);
        let mixed = [
            published(1, Some(3), true),
            published(2, None, true),
            published(3, Some(0), true),
            published(4, Some(4), true),
        ];
        assert_eq!(clicks(&mixed), Some(7));
        assert_eq!(clicks(&[published(5, Some(0), true)]), Some(0));
    }
    use crate::analytics::health::{LogMember, LogRow, NO_MEMBER, NO_THREAD};

    fn row(at: i64, actor: u32, kind: InteractionKind) -> LogRow {
        LogRow {
            at,
            thread: NO_THREAD,
            actor,
            target: NO_MEMBER,
            space: 0,
            kind,
            actor_is_staff: false,
        }
    }

    #[test]
    fn a_small_funnel_counts_by_hand() {
        let now = 200 * DAY;
        let member = |id, joined_days: i64, is_staff| LogMember {
            id,
            joined_at: joined_days * DAY,
            is_staff,
        };
        // Campaign 7: members 1, 2, 3 (3 joined 20 days ago: not yet at 30
        // days); campaign 8: member 4; on their own: 5, 6; staff 9 is in
        // neither whatever it did.
        let log = InteractionLog::new(
            vec![
                member(1, 10, false),
                member(2, 100, false),
                member(3, 180, false),
                member(4, 10, false),
                member(5, 10, false),
                member(6, 150, false),
                member(9, 10, true),
            ],
            vec![1],
            vec![
                // 1 posts, is active on day 25 and day 85.
                row(11 * DAY, 0, InteractionKind::Post),
                row(35 * DAY, 0, InteractionKind::Reaction),
                row(95 * DAY, 0, InteractionKind::Reaction),
                // 2 only reacts, on day 29 (active at 30, not a contribution).
                row(129 * DAY, 1, InteractionKind::Reaction),
                // 3 replies.
                row(181 * DAY, 2, InteractionKind::Reply),
                // 4 posts on day 31: neither window.
                row(41 * DAY, 3, InteractionKind::Post),
                // 5 replies on day 89.
                row(99 * DAY, 4, InteractionKind::Reply),
                // 9, staff.
                row(35 * DAY, 6, InteractionKind::Post),
            ],
        );
        let campaigns = HashMap::from([(1, 7), (2, 7), (3, 7), (4, 8)]);

        let one = funnel(&log, &campaigns, Some(7), now);
        assert_eq!(
            one.through_campaigns,
            Cohort {
                joined: 3,
                contributed: 2,
                contribution_rate: Some(2.0 / 3.0),
                eligible_30: 2,
                active_30: 2,
                retention_30: Some(1.0),
                eligible_90: 2,
                active_90: 1,
                retention_90: Some(0.5),
            }
        );
        assert_eq!(
            one.on_their_own,
            Cohort {
                joined: 2,
                contributed: 1,
                contribution_rate: Some(0.5),
                eligible_30: 2,
                active_30: 0,
                retention_30: Some(0.0),
                eligible_90: 1,
                active_90: 1,
                retention_90: Some(1.0),
            }
        );

        let every = funnel(&log, &campaigns, None, now);
        assert_eq!(every.through_campaigns.joined, 4);
        assert_eq!(every.through_campaigns.contributed, 3);
        assert_eq!(every.through_campaigns.eligible_30, 3);
        assert_eq!(every.through_campaigns.active_30, 2);
        assert_eq!(every.on_their_own, one.on_their_own);

        // The members behind the numbers: campaign 7's active at 30 days are 1 and 2.
        let behind = |step, group| -> Vec<MemberId> {
            funnel_members(&log, &campaigns, Some(7), now)
                .into_iter()
                .filter(|member| member.group == group && member.in_step(step))
                .map(|member| member.member_id)
                .collect()
        };
        assert_eq!(behind(Step::Active30, Group::ThroughCampaigns), [1, 2]);
        assert_eq!(behind(Step::Contributed, Group::ThroughCampaigns), [1, 3]);
        assert_eq!(behind(Step::Active90, Group::OnTheirOwn), [5]);
        assert_eq!(behind(Step::Eligible90, Group::OnTheirOwn), [5]);

        let nobody = funnel(&log, &campaigns, Some(99), now);
        assert_eq!(nobody.through_campaigns.joined, 0);
        assert_eq!(nobody.through_campaigns.contribution_rate, None);
    }
}
