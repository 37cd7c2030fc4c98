//! The marketer's audience KPIs: what the workspace's published posts earned,
//! by channel (page), by campaign and by day, for a period and the equal
//! period before it.
//!
//! The numbers come from the metrics the connectors read back after
//! publishing (likes, shares, replies, quotes) and from the clicks on the
//! posts' tracked links (`crate::links`), counted per post since it was
//! published. Impressions, reach, clicks and follower counts are carried as
//! `Option`: a network that does not report one, or a post published
//! without link tracking, gives "not reported", never 0, and the engagement
//! rate names the denominator it used, or says why there is none.

use std::collections::BTreeMap;
use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::desk::CampaignId;
use crate::error::StoreError;
use crate::posts::{ChannelId, PostId, TargetId};
use crate::text_limits::Network;

/// How many posts the "top posts" table lists.
pub const TOP_POSTS: usize = 10;

/// One post as published on one channel, with what it earned there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedPost {
    pub target_id: TargetId,
    pub post_id: PostId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: Network,
    pub campaign_id: Option<CampaignId>,
    pub campaign_name: Option<String>,
    pub published_at: Timestamp,
    pub text: String,
    pub remote_url: Option<String>,
    /// `None` until the metrics have been read back once.
    pub metrics: Option<PostMetrics>,
}

/// What the network said a post earned. The counts every connector reads are
/// plain numbers; the others are `None` when the network did not report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PostMetrics {
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    pub quotes: i64,
    pub impressions: Option<i64>,
    pub reach: Option<i64>,
    pub clicks: Option<i64>,
}

impl PostMetrics {
    /// Likes, shares, replies and quotes, and clicks where they are reported.
    pub fn engagements(&self) -> i64 {
        self.likes + self.shares + self.replies + self.quotes + self.clicks.unwrap_or(0)
    }
}

/// Whole UTC days, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from_day: i64,
    pub to_day: i64,
}

impl Period {
    pub fn n_days(&self) -> i64 {
        self.to_day - self.from_day + 1
    }

    /// The period of equal length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        Period {
            from_day: self.from_day - self.n_days(),
            to_day: self.from_day - 1,
        }
    }

    pub fn contains(&self, at: Timestamp) -> bool {
        let day = at.millis().div_euclid(86_400_000);
        self.from_day <= day && day <= self.to_day
    }

    /// Midnight UTC at the start of the first day.
    pub fn start(&self) -> Timestamp {
        Timestamp::from_millis(self.from_day * 86_400_000)
    }

    /// Midnight UTC after the last day.
    pub fn end(&self) -> Timestamp {
        Timestamp::from_millis((self.to_day + 1) * 86_400_000)
    }
}

/// The engagement rate and the denominator it was computed with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngagementRate {
    /// `per_impression`, `per_reach`, `per_follower` or `not_computable`.
    pub definition: &'static str,
    pub value: Option<f64>,
    /// The formula, or why there is none, in words.
    pub explanation: String,
}

/// The KPIs of a set of published posts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpis {
    pub n_posts: i64,
    /// Posts whose metrics have been read back at least once.
    pub n_measured: i64,
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    pub quotes: i64,
    /// Clicks on tracked links, when every measured post's are counted.
    pub clicks: Option<i64>,
    /// Likes, shares, replies and quotes, plus the clicks of each post whose
    /// clicks are counted.
    pub engagements: i64,
    /// Impressions, when every measured post reported them.
    pub impressions: Option<i64>,
    /// Reach, when every measured post reported it.
    pub reach: Option<i64>,
    /// Followers of the channels, when every channel's count is known.
    pub followers: Option<i64>,
    pub engagement_rate: EngagementRate,
}

/// A number now, before, and the change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub current: i64,
    pub previous: i64,
    pub delta: i64,
    /// `delta / previous`; `None` when the previous period had none.
    pub ratio: Option<f64>,
}

impl Change {
    pub fn of(current: i64, previous: i64) -> Self {
        let delta = current - previous;
        Self {
            current,
            previous,
            delta,
            ratio: (previous != 0).then(|| delta as f64 / previous as f64),
        }
    }
}

/// This period against the previous one, for the counts that always exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub posts: Change,
    pub engagements: Change,
    /// Engagement rate minus the previous one, when both use the same definition.
    pub engagement_rate_delta: Option<f64>,
}

impl Comparison {
    pub fn of(current: &Kpis, previous: &Kpis) -> Self {
        let rate_delta = match (
            current.engagement_rate.value,
            previous.engagement_rate.value,
        ) {
            (Some(now), Some(before))
                if current.engagement_rate.definition == previous.engagement_rate.definition =>
            {
                Some(now - before)
            }
            _ => None,
        };
        Self {
            posts: Change::of(current.n_posts, previous.n_posts),
            engagements: Change::of(current.engagements, previous.engagements),
            engagement_rate_delta: rate_delta,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelKpis {
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: Network,
    pub kpis: Kpis,
    pub previous: Kpis,
    pub comparison: Comparison,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignKpis {
    /// `None`: posts outside any campaign.
    pub campaign_id: Option<CampaignId>,
    pub campaign_name: String,
    pub kpis: Kpis,
    pub previous: Kpis,
    pub comparison: Comparison,
}

/// One post on one channel, ranked by engagements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopPost {
    pub target_id: TargetId,
    pub post_id: PostId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub campaign_name: Option<String>,
    pub published_at: Timestamp,
    pub text: String,
    pub remote_url: Option<String>,
    pub engagements: i64,
    pub metrics: PostMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudienceReport {
    pub period: Period,
    pub previous_period: Period,
    pub totals: Kpis,
    pub previous_totals: Kpis,
    pub comparison: Comparison,
    pub by_channel: Vec<ChannelKpis>,
    pub by_campaign: Vec<CampaignKpis>,
    pub top_posts: Vec<TopPost>,
    /// Engagements of the posts published each day of the period, every day listed.
    pub daily_engagements: Vec<(i64, i64)>,
}

/// The KPIs of these posts. `followers` is the follower count of every
/// channel involved, when the network reported it (`None` otherwise).
pub fn kpis<'a>(
    posts: impl IntoIterator<Item = &'a PublishedPost>,
    followers: &BTreeMap<ChannelId, Option<i64>>,
) -> Kpis {
    let mut n_posts = 0;
    let mut n_measured = 0;
    let (mut likes, mut shares, mut replies, mut quotes) = (0, 0, 0, 0);
    let (mut impressions, mut reach, mut clicks) = (Some(0), Some(0), Some(0));
    // Each post's engagements, its clicks included where they are counted
    // (as the daily chart and the top posts count them).
    let mut engagements = 0;
    let mut channels = std::collections::BTreeSet::new();
    for post in posts {
        n_posts += 1;
        channels.insert(post.channel_id);
        let Some(metrics) = post.metrics else {
            continue;
        };
        n_measured += 1;
        likes += metrics.likes;
        shares += metrics.shares;
        replies += metrics.replies;
        quotes += metrics.quotes;
        engagements += metrics.engagements();
        // One post that does not report a measure makes the sum unknown:
        // a partial sum would pass for the whole.
        impressions = impressions.zip(metrics.impressions).map(|(a, b)| a + b);
        reach = reach.zip(metrics.reach).map(|(a, b)| a + b);
        clicks = clicks.zip(metrics.clicks).map(|(a, b)| a + b);
    }
    if n_measured == 0 {
        (impressions, reach, clicks) = (None, None, None);
    }
    let followers = if channels.is_empty() {
        None
    } else {
        channels
            .iter()
            .map(|channel| followers.get(channel).copied().flatten())
            .sum::<Option<i64>>()
    };
    let engagement_rate = engagement_rate(engagements, n_measured, impressions, reach, followers);
    Kpis {
        n_posts,
        n_measured,
        likes,
        shares,
        replies,
        quotes,
        clicks,
        engagements,
        impressions,
        reach,
        followers,
        engagement_rate,
    }
}

/// Per impression when impressions are reported; otherwise per reach when
/// reach is; otherwise per post per follower when the follower count is
/// known; otherwise not computable.
pub fn engagement_rate(
    engagements: i64,
    n_measured: i64,
    impressions: Option<i64>,
    reach: Option<i64>,
    followers: Option<i64>,
) -> EngagementRate {
    if n_measured == 0 {
        return EngagementRate {
            definition: "not_computable",
            value: None,
            explanation: "no post's metrics have been read back yet".to_owned(),
        };
    }
    match (impressions, followers) {
        (Some(impressions), _) if impressions > 0 => EngagementRate {
            definition: "per_impression",
            value: Some(engagements as f64 / impressions as f64),
            explanation: "engagements ÷ impressions".to_owned(),
        },
        (_, _) if reach.is_some_and(|reach| reach > 0) => EngagementRate {
            definition: "per_reach",
            value: reach.map(|reach| engagements as f64 / reach as f64),
            explanation: "engagements ÷ reach (people who saw each post, summed over posts)"
                .to_owned(),
        },
        (_, Some(followers)) if followers > 0 => EngagementRate {
            definition: "per_follower",
            value: Some(engagements as f64 / n_measured as f64 / followers as f64),
            explanation: "engagements per measured post ÷ followers".to_owned(),
        },
        _ => EngagementRate {
            definition: "not_computable",
            value: None,
            explanation:
                "the networks report neither impressions, reach nor followers for these posts"
                    .to_owned(),
        },
    }
}

/// Which posts a report covers: all, or one channel's, or one campaign's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudienceFilter {
    pub channel: Option<ChannelId>,
    pub campaign: Option<CampaignId>,
}

impl AudienceFilter {
    pub fn keeps(&self, post: &PublishedPost) -> bool {
        self.channel
            .is_none_or(|channel| post.channel_id == channel)
            && self
                .campaign
                .is_none_or(|campaign| post.campaign_id == Some(campaign))
    }
}

/// The report of `period` and the equal period before it. `posts` may hold
/// more than both periods; those outside, or left out by `filter`, are ignored.
pub fn audience(
    posts: &[PublishedPost],
    followers: &BTreeMap<ChannelId, Option<i64>>,
    period: Period,
    filter: AudienceFilter,
) -> AudienceReport {
    let previous_period = period.previous();
    let kept: Vec<&PublishedPost> = posts.iter().filter(|post| filter.keeps(post)).collect();
    let current: Vec<&PublishedPost> = kept
        .iter()
        .copied()
        .filter(|post| period.contains(post.published_at))
        .collect();
    let before: Vec<&PublishedPost> = kept
        .iter()
        .copied()
        .filter(|post| previous_period.contains(post.published_at))
        .collect();

    let totals = kpis(current.iter().copied(), followers);
    let previous_totals = kpis(before.iter().copied(), followers);
    let comparison = Comparison::of(&totals, &previous_totals);

    // Channels and campaigns with a post in either period, by name.
    let mut channels: BTreeMap<ChannelId, (&str, Network)> = BTreeMap::new();
    let mut campaigns: BTreeMap<Option<CampaignId>, String> = BTreeMap::new();
    for post in current.iter().chain(before.iter()) {
        channels.insert(post.channel_id, (&post.channel_name, post.network));
        campaigns.insert(
            post.campaign_id,
            post.campaign_name
                .clone()
                .unwrap_or_else(|| "No campaign".to_owned()),
        );
    }
    let mut by_channel: Vec<ChannelKpis> = channels
        .into_iter()
        .map(|(channel_id, (name, network))| {
            let kpis = kpis(
                current
                    .iter()
                    .copied()
                    .filter(|p| p.channel_id == channel_id),
                followers,
            );
            let previous = self::kpis(
                before
                    .iter()
                    .copied()
                    .filter(|p| p.channel_id == channel_id),
                followers,
            );
            ChannelKpis {
                channel_id,
                channel_name: name.to_owned(),
                network,
                comparison: Comparison::of(&kpis, &previous),
                kpis,
                previous,
            }
        })
        .collect();
    by_channel.sort_by(|a, b| {
        b.kpis
            .engagements
            .cmp(&a.kpis.engagements)
            .then_with(|| a.channel_name.cmp(&b.channel_name))
    });
    let mut by_campaign: Vec<CampaignKpis> = campaigns
        .into_iter()
        .map(|(campaign_id, name)| {
            let kpis = kpis(
                current
                    .iter()
                    .copied()
                    .filter(|p| p.campaign_id == campaign_id),
                followers,
            );
            let previous = self::kpis(
                before
                    .iter()
                    .copied()
                    .filter(|p| p.campaign_id == campaign_id),
                followers,
            );
            CampaignKpis {
                campaign_id,
                campaign_name: name,
                comparison: Comparison::of(&kpis, &previous),
                kpis,
                previous,
            }
        })
        .collect();
    by_campaign.sort_by(|a, b| {
        b.kpis
            .engagements
            .cmp(&a.kpis.engagements)
            .then_with(|| a.campaign_name.cmp(&b.campaign_name))
    });

    let mut top_posts: Vec<TopPost> = current
        .iter()
        .filter_map(|post| {
            let metrics = post.metrics?;
            Some(TopPost {
                target_id: post.target_id,
                post_id: post.post_id,
                channel_id: post.channel_id,
                channel_name: post.channel_name.clone(),
                campaign_name: post.campaign_name.clone(),
                published_at: post.published_at,
                text: post.text.clone(),
                remote_url: post.remote_url.clone(),
                engagements: metrics.engagements(),
                metrics,
            })
        })
        .collect();
    // Most engagements first; ties go to the earlier post.
    top_posts.sort_by(|a, b| {
        b.engagements
            .cmp(&a.engagements)
            .then_with(|| a.published_at.cmp(&b.published_at))
            .then_with(|| a.target_id.cmp(&b.target_id))
    });
    top_posts.truncate(TOP_POSTS);

    let mut daily: BTreeMap<i64, i64> = (period.from_day..=period.to_day)
        .map(|day| (day, 0))
        .collect();
    for post in &current {
        if let Some(metrics) = post.metrics {
            let day = post.published_at.millis().div_euclid(86_400_000);
            *daily.entry(day).or_default() += metrics.engagements();
        }
    }

    AudienceReport {
        period,
        previous_period,
        totals,
        previous_totals,
        comparison,
        by_channel,
        by_campaign,
        top_posts,
        daily_engagements: daily.into_iter().collect(),
    }
}

/// Where the published posts and their metrics are read from.
pub trait AudienceStore: Send + Sync {
    /// The workspace's posts published on a channel in `[from, to)`, with
    /// their metrics as last read back.
    fn published_posts(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<PublishedPost>, StoreError>> + Send;
    /// Each channel's follower count on its last sampled day at or before
    /// `day` (UTC days since the epoch), for the workspace's channels.
    fn followers_on(
        &self,
        workspace: WorkspaceId,
        day: i64,
    ) -> impl Future<Output = Result<BTreeMap<ChannelId, Option<i64>>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn post(
        target_id: i64,
        channel_id: i64,
        campaign_id: Option<i64>,
        day: i64,
        metrics: Option<PostMetrics>,
    ) -> PublishedPost {
        PublishedPost {
            target_id,
            post_id: target_id,
            channel_id,
            channel_name: format!("Channel {channel_id}"),
            network: Network::Mastodon,
            campaign_id,
            campaign_name: campaign_id.map(|id| format!("Campaign {id}")),
            published_at: Timestamp::from_millis(day * DAY + 3_600_000),
            text: format!("Post {target_id}"),
            remote_url: None,
            metrics,
        }
    }

    fn counts(likes: i64, shares: i64, replies: i64, quotes: i64) -> Option<PostMetrics> {
        Some(PostMetrics {
            likes,
            shares,
            replies,
            quotes,
            impressions: None,
            reach: None,
            clicks: None,
        })
    }

    #[test]
    fn engagement_rate_is_per_impression_when_impressions_are_reported() {
        let with_impressions = |target, impressions, likes| {
            let mut post = post(target, 1, None, 10, counts(likes, 1, 0, 0));
            if let Some(metrics) = post.metrics.as_mut() {
                metrics.impressions = Some(impressions);
                metrics.clicks = Some(2);
            }
            post
        };
        // Engagements (4+1+2) + (6+1+2) = 16 over 200 + 300 impressions.
        let posts = [with_impressions(1, 200, 4), with_impressions(2, 300, 6)];
        let followers = BTreeMap::from([(1, Some(1_000))]);
        let kpis = kpis(&posts, &followers);
        assert_eq!(kpis.engagements, 16);
        assert_eq!(kpis.impressions, Some(500));
        assert_eq!(kpis.clicks, Some(4));
        assert_eq!(kpis.engagement_rate.definition, "per_impression");
        assert_eq!(kpis.engagement_rate.value, Some(16.0 / 500.0));
    }

    #[test]
    fn engagement_rate_is_per_reach_when_only_reach_is_reported() {
        let with_reach = |target, reach, likes| {
            let mut post = post(target, 1, None, 10, counts(likes, 0, 0, 0));
            if let Some(metrics) = post.metrics.as_mut() {
                metrics.reach = Some(reach);
            }
            post
        };
        // 9 + 3 = 12 engagements over 80 + 40 people reached; the follower
        // count is known but reach comes first.
        let posts = [with_reach(1, 80, 9), with_reach(2, 40, 3)];
        let followers = BTreeMap::from([(1, Some(1_000))]);
        let kpis = kpis(&posts, &followers);
        assert_eq!((kpis.impressions, kpis.reach), (None, Some(120)));
        assert_eq!(kpis.engagement_rate.definition, "per_reach");
        assert_eq!(kpis.engagement_rate.value, Some(0.1));
        // One post without reach: the total is unknown, and so is the rate's base.
        let posts = [
            with_reach(1, 80, 9),
            post(3, 1, None, 10, counts(1, 0, 0, 0)),
        ];
        let partial = super::kpis(&posts, &followers);
        assert_eq!(partial.reach, None);
        assert_eq!(partial.engagement_rate.definition, "per_follower");
    }

    #[test]
    fn engagement_rate_is_per_follower_without_impressions() {
        // Two measured posts with 10 and 20 engagements, one not measured yet,
        // on a channel of 300 followers: 15 per post ÷ 300 = 0.05.
        let posts = [
            post(1, 1, None, 10, counts(5, 3, 2, 0)),
            post(2, 1, None, 11, counts(12, 4, 3, 1)),
            post(3, 1, None, 12, None),
        ];
        let followers = BTreeMap::from([(1, Some(300))]);
        let kpis = kpis(&posts, &followers);
        assert_eq!((kpis.n_posts, kpis.n_measured), (3, 2));
        assert_eq!(kpis.engagements, 30);
        assert_eq!(kpis.impressions, None);
        assert_eq!(kpis.clicks, None);
        assert_eq!(kpis.engagement_rate.definition, "per_follower");
        assert_eq!(kpis.engagement_rate.value, Some(0.05));
    }

    #[test]
    fn clicks_add_to_each_posts_engagements_and_the_total_is_unknown_if_one_is_untracked() {
        let mut tracked = post(1, 1, None, 10, counts(5, 0, 0, 0));
        if let Some(metrics) = tracked.metrics.as_mut() {
            metrics.clicks = Some(7);
        }
        let untracked = post(2, 1, None, 10, counts(3, 0, 0, 0));
        let both = kpis(&[tracked.clone(), untracked], &BTreeMap::new());
        assert_eq!(both.clicks, None, "one post's clicks are not reported");
        assert_eq!(
            both.engagements,
            5 + 7 + 3,
            "the counted clicks still engage"
        );
        let alone = kpis(&[tracked], &BTreeMap::new());
        assert_eq!(alone.clicks, Some(7));
        assert_eq!(alone.engagements, 12);
    }

    #[test]
    fn engagement_rate_is_not_computable_without_either() {
        let posts = [post(1, 1, None, 10, counts(5, 0, 0, 0))];
        let kpis = kpis(&posts, &BTreeMap::new());
        assert_eq!(kpis.followers, None);
        assert_eq!(kpis.engagement_rate.definition, "not_computable");
        assert_eq!(kpis.engagement_rate.value, None);
        // One post without impressions makes the sum unknown, not partial.
        let mut reported = post(2, 1, None, 10, counts(1, 0, 0, 0));
        if let Some(metrics) = reported.metrics.as_mut() {
            metrics.impressions = Some(100);
        }
        let kpis = self::kpis(&[posts[0].clone(), reported], &BTreeMap::new());
        assert_eq!(kpis.impressions, None);
        assert_eq!(kpis.engagement_rate.definition, "not_computable");
    }

    #[test]
    fn a_period_is_compared_with_the_equal_period_before_it() {
        let period = Period {
            from_day: 20,
            to_day: 26,
        };
        assert_eq!(
            period.previous(),
            Period {
                from_day: 13,
                to_day: 19
            }
        );
        let posts = [
            post(1, 1, Some(7), 20, counts(10, 0, 0, 0)),
            post(2, 2, Some(7), 26, counts(3, 2, 1, 0)),
            post(3, 1, None, 22, counts(1, 0, 0, 0)),
            post(4, 1, Some(7), 19, counts(4, 0, 0, 0)),
            post(5, 2, None, 13, counts(2, 0, 0, 0)),
            post(6, 1, None, 12, counts(100, 0, 0, 0)),
            post(7, 1, None, 27, counts(100, 0, 0, 0)),
        ];
        let report = audience(&posts, &BTreeMap::new(), period, AudienceFilter::default());
        assert_eq!(report.totals.n_posts, 3);
        assert_eq!(report.totals.engagements, 17);
        assert_eq!(report.previous_totals.engagements, 6);
        assert_eq!(report.comparison.engagements.delta, 11);
        assert_eq!(report.comparison.engagements.ratio, Some(11.0 / 6.0));
        assert_eq!(report.comparison.posts, Change::of(3, 2));

        let channels: Vec<(i64, i64, i64)> = report
            .by_channel
            .iter()
            .map(|row| {
                (
                    row.channel_id,
                    row.kpis.engagements,
                    row.previous.engagements,
                )
            })
            .collect();
        assert_eq!(channels, [(1, 11, 4), (2, 6, 2)]);
        let campaigns: Vec<(Option<i64>, i64, i64)> = report
            .by_campaign
            .iter()
            .map(|row| {
                (
                    row.campaign_id,
                    row.kpis.engagements,
                    row.previous.engagements,
                )
            })
            .collect();
        assert_eq!(campaigns, [(Some(7), 16, 4), (None, 1, 2)]);
        let top: Vec<i64> = report.top_posts.iter().map(|p| p.target_id).collect();
        assert_eq!(top, [1, 2, 3]);
        assert_eq!(report.daily_engagements.len(), 7);
        assert_eq!(report.daily_engagements[0], (20, 10));
        assert_eq!(report.daily_engagements[2], (22, 1));
        assert_eq!(report.daily_engagements[6], (26, 6));

        let one_campaign = audience(
            &posts,
            &BTreeMap::new(),
            period,
            AudienceFilter {
                channel: Some(1),
                campaign: Some(7),
            },
        );
        assert_eq!(one_campaign.totals.engagements, 10);
        assert_eq!(one_campaign.previous_totals.engagements, 4);
    }
}
