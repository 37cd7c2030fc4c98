//! The publishing engine's domain: channels (the pages a workspace publishes
//! to), posts with one target per channel, and every attempt to publish a
//! target.
//!
//! A target moves `scheduled → publishing → published`, or to `retrying`
//! (a retryable failure, tried again later), `failed` (permanent, or the
//! channel needs reconnecting) or `unconfirmed` (the request left and no
//! answer came: never retried automatically; a person checks the network and
//! marks it published or publishes again). A post's status is summed up from
//! its targets by [`PostStatus::of`].

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::members::MemberId;
use crate::text_limits::Network;

/// Networks serialise by name ("mastodon", "bluesky", …).
impl Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

pub type ChannelId = i64;
pub type PostId = i64;
pub type TargetId = i64;

/// How many attempts a target gets before it is failed for good.
pub const MAX_ATTEMPTS: i64 = 6;

/// Seconds to wait before attempt `n + 1` after `n` retryable failures:
/// 1 min, 5 min, 15 min, 1 h, 3 h.
pub fn retry_delay_seconds(failures: i64) -> i64 {
    match failures {
        ..=1 => 60,
        2 => 300,
        3 => 900,
        4 => 3_600,
        _ => 10_800,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChannel {
    pub workspace_id: WorkspaceId,
    pub network: Network,
    pub name: String,
    pub avatar_url: Option<String>,
    /// The instance, PDS, homeserver or webhook URL ("" for the official API).
    pub base_url: String,
    /// The Bluesky handle, Matrix room, Facebook page or LinkedIn organization.
    pub account: String,
    /// An IANA zone: queue slots and "publish at 09:00" are in it.
    pub timezone: String,
    /// Credentials sealed by [`crate::secrets::Sealer`].
    pub sealed_credentials: String,
    pub max_chars: i64,
    pub max_media: i64,
    pub chars_per_url: i64,
    /// The largest image the network takes, when it says.
    pub max_image_bytes: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: ChannelId,
    pub workspace_id: WorkspaceId,
    /// The page (a space) the channel publishes to, for analytics.
    pub space_id: i64,
    pub network: Network,
    pub name: String,
    pub avatar_url: Option<String>,
    pub base_url: String,
    pub account: String,
    pub timezone: String,
    pub max_chars: i64,
    pub max_media: i64,
    pub chars_per_url: i64,
    /// The largest image the network takes, when it says.
    pub max_image_bytes: Option<i64>,
    pub paused: bool,
    pub needs_reconnect: bool,
    /// Until when the network asked us to wait (429 Retry-After).
    pub rate_limited_until: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Channel {
    /// "ok", "paused" or "needs reconnect", for people.
    pub fn health(&self) -> &'static str {
        if self.needs_reconnect {
            "needs reconnect"
        } else if self.paused {
            "paused"
        } else {
            "ok"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    Draft,
    Scheduled,
    Publishing,
    Published,
    /// Failed, and will be tried again at `next_attempt_at`.
    Retrying,
    Failed,
    Unconfirmed,
}

impl TargetStatus {
    pub const ALL: [TargetStatus; 7] = [
        TargetStatus::Draft,
        TargetStatus::Scheduled,
        TargetStatus::Publishing,
        TargetStatus::Published,
        TargetStatus::Retrying,
        TargetStatus::Failed,
        TargetStatus::Unconfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Draft => "draft",
            TargetStatus::Scheduled => "scheduled",
            TargetStatus::Publishing => "publishing",
            TargetStatus::Published => "published",
            TargetStatus::Retrying => "retrying",
            TargetStatus::Failed => "failed",
            TargetStatus::Unconfirmed => "unconfirmed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TargetStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the engine still has work to do on it.
    pub fn is_pending(self) -> bool {
        matches!(self, TargetStatus::Scheduled | TargetStatus::Retrying)
    }
}

/// A post's status, summed up from its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Publishing,
    Published,
    /// Some targets are out, others failed or wait for a retry.
    Partial,
    Failed,
    Unconfirmed,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Partial => "partial",
            PostStatus::Failed => "failed",
            PostStatus::Unconfirmed => "unconfirmed",
        }
    }

    /// Unconfirmed first (a person must look), then publishing, failed,
    /// retrying (as scheduled, or partial when something already went out).
    pub fn of(targets: &[TargetStatus]) -> Self {
        let any = |status| targets.contains(&status);
        let all = |status| !targets.is_empty() && targets.iter().all(|s| *s == status);
        if targets.is_empty() || all(TargetStatus::Draft) {
            PostStatus::Draft
        } else if any(TargetStatus::Unconfirmed) {
            PostStatus::Unconfirmed
        } else if any(TargetStatus::Publishing) {
            PostStatus::Publishing
        } else if all(TargetStatus::Published) {
            PostStatus::Published
        } else if any(TargetStatus::Published) {
            PostStatus::Partial
        } else if any(TargetStatus::Failed) && !any(TargetStatus::Scheduled) {
            if any(TargetStatus::Retrying) {
                PostStatus::Partial
            } else {
                PostStatus::Failed
            }
        } else {
            PostStatus::Scheduled
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    pub channel_id: ChannelId,
    pub text: String,
    /// Shown before the text where the network supports it (Mastodon).
    pub content_warning: Option<String>,
    /// ISO 639-1 code, e.g. `en`.
    pub language: Option<String>,
    /// Mastodon: `public` (default), `unlisted`, `private` or `direct`.
    pub visibility: Option<String>,
    /// A link preview as JSON (`uri`, `title`, `description`), read when scheduled.
    pub link_card: Option<String>,
    /// Images to attach, in order.
    pub media: Vec<MediaItem>,
}

/// An image attached to a post on one channel.
#[derive(Clone, PartialEq, Eq)]
pub struct MediaItem {
    pub content_type: String,
    pub alt: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for MediaItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MediaItem({} bytes of {}, alt {:?})",
            self.bytes.len(),
            self.content_type,
            self.alt
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub workspace_id: WorkspaceId,
    pub author_id: MemberId,
    pub variants: Vec<NewVariant>,
    /// When it goes out, UTC; `None` for a draft.
    pub scheduled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub campaign_id: Option<i64>,
    /// Awaiting review: the targets stay drafts, their time kept, until approved.
    pub hold: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub id: TargetId,
    pub post_id: PostId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: Network,
    pub text: String,
    pub content_warning: Option<String>,
    pub language: Option<String>,
    pub visibility: Option<String>,
    /// The link preview sent with the post (JSON), if any.
    pub link_card: Option<String>,
    pub status: TargetStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// Bumped by "publish again": a new run of jobs for this target.
    pub generation: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub published_at: Option<Timestamp>,
    /// Why it failed or is unconfirmed, in the network's words where it gave any.
    pub message: Option<String>,
    /// Engagement read back from the network, when it was.
    pub engagement: Option<Engagement>,
}

/// An authorization in progress: who started it, for which workspace and instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthState {
    pub state: String,
    pub workspace_id: WorkspaceId,
    pub account_id: i64,
    pub instance: String,
    pub name: String,
    pub timezone: String,
    pub created_at: Timestamp,
}

/// What a published post earned on its network, read back after publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Engagement {
    /// Likes, favourites.
    pub likes: i64,
    /// Boosts, reposts, shares.
    pub shares: i64,
    pub replies: i64,
    pub quotes: i64,
    /// Where the network reports them (`None`: not reported, not zero).
    pub impressions: Option<i64>,
    pub reach: Option<i64>,
    /// Link clicks as the network counts them.
    pub clicks: Option<i64>,
    pub read_at: Timestamp,
}

/// How many posts a channel may send per window, as each network documents
/// its limit for one account: (posts, window in seconds). Agora holds a
/// channel's further posts until the window allows them, instead of meeting
/// the network's 429.
pub fn publishing_budget(network: Network) -> Option<(i64, i64)> {
    match network {
        // Mastodon's default: 300 statuses per 3 hours per account.
        Network::Mastodon => Some((300, 3 * 3_600)),
        // Bluesky: 5,000 points an hour per account, a created record costs 3.
        Network::Bluesky => Some((1_666, 3_600)),
        // X API v2, Basic access: 100 posts per 24 hours per user.
        Network::X => Some((100, 86_400)),
        // Threads: 250 API-published posts per 24 hours per profile.
        Network::Threads => Some((250, 86_400)),
        // LinkedIn: 150 member or organization shares per day.
        Network::LinkedIn => Some((150, 86_400)),
        Network::Facebook | Network::Matrix | Network::Email | Network::Webhook => None,
    }
}

/// When engagement is read back after a post goes out: after an hour, a day
/// and a week (seconds).
pub const METRICS_AFTER_SECONDS: [i64; 3] = [3_600, 86_400, 604_800];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    pub id: PostId,
    pub workspace_id: WorkspaceId,
    pub author_id: MemberId,
    pub author_name: String,
    pub scheduled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub status: PostStatus,
    pub campaign_id: Option<i64>,
    /// `none`, `pending`, `approved` or `rejected` (see [`crate::desk::Approval`]).
    pub approval: String,
    pub targets: Vec<Target>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Still open: the worker is sending, or stopped while sending.
    Open,
    Published,
    Retryable,
    Permanent,
    Reconnect,
    Unconfirmed,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Open => "open",
            AttemptOutcome::Published => "published",
            AttemptOutcome::Retryable => "retryable",
            AttemptOutcome::Permanent => "permanent",
            AttemptOutcome::Reconnect => "reconnect",
            AttemptOutcome::Unconfirmed => "unconfirmed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            AttemptOutcome::Open,
            AttemptOutcome::Published,
            AttemptOutcome::Retryable,
            AttemptOutcome::Permanent,
            AttemptOutcome::Reconnect,
            AttemptOutcome::Unconfirmed,
        ]
        .into_iter()
        .find(|o| o.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub target_id: TargetId,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub outcome: AttemptOutcome,
    /// What was sent, secrets redacted.
    pub request: String,
    pub http_status: Option<i64>,
    /// What the network answered (truncated).
    pub response: String,
    /// The classified error, in words.
    pub message: Option<String>,
}

/// The end of an attempt, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub outcome: AttemptOutcome,
    pub request: String,
    pub http_status: Option<i64>,
    pub response: String,
    pub message: Option<String>,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    /// For a retryable failure: when to try again (`None`: give up).
    pub next_attempt_at: Option<Timestamp>,
    pub finished_at: Timestamp,
}

/// What a due target needs to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    pub target: Target,
    pub channel: Channel,
    pub sealed_credentials: String,
    /// The images to attach, in order.
    pub media: Vec<MediaItem>,
    /// The post's time, fixed for all its attempts: its scheduled time (its
    /// creation for a post sent at once). Bluesky records carry it, so a
    /// retry writes the same record under the same key.
    pub post_created_at: Timestamp,
}

pub trait PostStore: Send + Sync {
    /// Creates the channel and its page.
    fn create_channel(
        &self,
        channel: &NewChannel,
    ) -> impl Future<Output = Result<Channel, StoreError>> + Send;
    fn channels(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Channel>, StoreError>> + Send;
    fn channel(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
    ) -> impl Future<Output = Result<Option<Channel>, StoreError>> + Send;
    fn channel_credentials(
        &self,
        channel: ChannelId,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;
    /// Saves new credentials (reconnect, refreshed session, key rotation);
    /// reconnecting clears "needs reconnect".
    fn set_channel_credentials(
        &self,
        channel: ChannelId,
        sealed: &str,
        reconnected: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn set_channel_paused(
        &self,
        channel: ChannelId,
        paused: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn delete_channel(
        &self,
        channel: ChannelId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Records a channel's health after talking to its network.
    fn channel_health(
        &self,
        channel: ChannelId,
        success_at: Option<Timestamp>,
        error: Option<(&str, Timestamp)>,
        needs_reconnect: bool,
        rate_limited_until: Option<Timestamp>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Every channel's sealed credentials, for re-sealing under a new key.
    fn all_channel_credentials(
        &self,
    ) -> impl Future<Output = Result<Vec<(ChannelId, String)>, StoreError>> + Send;

    /// Creates a post and its targets (scheduled, or drafts without a time).
    fn create_post(
        &self,
        post: &NewPost,
    ) -> impl Future<Output = Result<PostId, StoreError>> + Send;
    fn post(
        &self,
        workspace: WorkspaceId,
        post: PostId,
    ) -> impl Future<Output = Result<Option<Post>, StoreError>> + Send;
    /// Posts of a workspace, newest first.
    fn posts(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Post>, StoreError>> + Send;
    fn attempts(
        &self,
        post: PostId,
    ) -> impl Future<Output = Result<Vec<Attempt>, StoreError>> + Send;
    /// Targets due by `now` (scheduled or retrying), oldest first.
    fn due_targets(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Target>, StoreError>> + Send;
    fn dispatch(
        &self,
        target: TargetId,
    ) -> impl Future<Output = Result<Option<Dispatch>, StoreError>> + Send;
    /// Moves a due target to `publishing` and opens an attempt, unless
    /// another worker did; answers the attempt's id.
    fn begin_attempt(
        &self,
        target: TargetId,
        generation: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;
    /// [`PostStore::begin_attempt`] within the channel's budget of `limit`
    /// attempts per `window_seconds`, counted and taken atomically (the
    /// channel's row is locked on PostgreSQL): `Err(until)` when the budget
    /// is spent until then; `Ok(None)` when another worker took the target.
    fn begin_attempt_within_budget(
        &self,
        target: TargetId,
        generation: i64,
        now: Timestamp,
        channel: ChannelId,
        limit: i64,
        window_seconds: i64,
    ) -> impl Future<Output = Result<Result<Option<i64>, Timestamp>, StoreError>> + Send;
    /// Closes an attempt and moves its target accordingly.
    fn finish_attempt(
        &self,
        target: TargetId,
        attempt: i64,
        result: &AttemptResult,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A target left `publishing` by a worker that stopped mid-request:
    /// its open attempts are closed and it becomes unconfirmed.
    fn abandon_open_attempts(
        &self,
        target: TargetId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Puts a failed or unconfirmed target back in line ("publish again"),
    /// due at `at`; answers its new generation.
    fn requeue_target(
        &self,
        target: TargetId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;
    /// A person checked the network: the unconfirmed target is out.
    fn mark_published(
        &self,
        target: TargetId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The OAuth app registered on an instance for this redirect URI:
    /// (client id, sealed client secret).
    fn oauth_app(
        &self,
        instance: &str,
        redirect_uri: &str,
    ) -> impl Future<Output = Result<Option<(String, String)>, StoreError>> + Send;
    fn save_oauth_app(
        &self,
        instance: &str,
        redirect_uri: &str,
        client_id: &str,
        sealed_secret: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn create_oauth_state(
        &self,
        state: &OauthState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The pending authorization with this state, used once, if younger than
    /// `not_before`.
    fn take_oauth_state(
        &self,
        state: &str,
        not_before: Timestamp,
    ) -> impl Future<Output = Result<Option<OauthState>, StoreError>> + Send;
    /// Records a channel's follower count read from its network (the day's
    /// last reading stays).
    fn record_followers(
        &self,
        channel: ChannelId,
        at: Timestamp,
        followers: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A target's readings, oldest first (the time series behind its engagement).
    fn engagement_history(
        &self,
        target: TargetId,
    ) -> impl Future<Output = Result<Vec<Engagement>, StoreError>> + Send;
    /// Records engagement read back from the network: the target's latest
    /// figures, and one more reading in its time series.
    fn record_engagement(
        &self,
        target: TargetId,
        engagement: &Engagement,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Delays a due target without an attempt (channel paused or rate-limited).
    fn postpone_target(
        &self,
        target: TargetId,
        until: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The job that publishes a target when it is due: its unique key names the
/// target, its generation and its due time, so the scheduler and the sweeper
/// cannot enqueue the same run twice, while a retry or a postponement (a new
/// due time) gets a job of its own.
pub fn publish_job_key(target: TargetId, generation: i64, due: Timestamp) -> String {
    format!("publish:{target}:{generation}:{}", due.millis())
}

/// An IANA timezone name, checked.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| format!("{name:?} is not an IANA timezone (for example Europe/Paris)"))
}

/// A wall-clock time (`2026-03-29T09:00` as a `datetime-local` field sends
/// it) in a timezone, as UTC. A time that does not exist (the hour skipped
/// when clocks go forward) is refused; a time that happens twice (when clocks
/// go back) is the first one.
pub fn local_to_utc(local: &str, timezone: &str) -> Result<Timestamp, String> {
    use chrono::TimeZone;
    let tz = parse_timezone(timezone)?;
    let naive = chrono::NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(local.trim(), "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("{local:?} is not a date and time like 2026-03-29T09:00"))?;
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => {
            Ok(Timestamp::from(at.with_timezone(&chrono::Utc)))
        }
        chrono::LocalResult::None => Err(format!(
            "{local} does not exist in {timezone}: the clocks skip that hour"
        )),
    }
}

/// A UTC time on the wall clock of a timezone, as `2026-03-29 09:00 CEST`.
pub fn utc_to_local(at: Timestamp, timezone: &str) -> String {
    match parse_timezone(timezone) {
        Ok(tz) => at
            .to_datetime()
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        Err(_) => at.display_utc(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn local_times_stay_local_across_daylight_saving_changes() {
        // Paris springs forward on 2026-03-29 and falls back on 2026-10-25.
        let utc = |local| local_to_utc(local, "Europe/Paris").map(|t| t.rfc3339());
        assert_eq!(
            utc("2026-03-28T09:00"),
            Ok("2026-03-28T08:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-03-29T09:00"),
            Ok("2026-03-29T07:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-10-24T09:00"),
            Ok("2026-10-24T07:00:00.000Z".into())
        );
        assert_eq!(
            utc("2026-10-25T09:00"),
            Ok("2026-10-25T08:00:00.000Z".into())
        );
        assert!(
            utc("2026-03-29T02:30")
                .unwrap_err()
                .contains("does not exist")
        );
        assert_eq!(
            utc("2026-10-25T02:30"),
            Ok("2026-10-25T00:30:00.000Z".into()),
            "the first 02:30"
        );
        assert!(local_to_utc("2026-03-29T09:00", "Mars/Olympus").is_err());
        assert!(local_to_utc("tomorrow", "Europe/Paris").is_err());
        let at = local_to_utc("2026-03-29T09:00", "Europe/Paris").unwrap();
        assert_eq!(utc_to_local(at, "Europe/Paris"), "2026-03-29 09:00 CEST");
    }

    #[test]
    fn post_status_sums_up_targets() {
        use TargetStatus::*;
        assert_eq!(PostStatus::of(&[]), PostStatus::Draft);
        assert_eq!(
            PostStatus::of(&[Scheduled, Scheduled]),
            PostStatus::Scheduled
        );
        assert_eq!(
            PostStatus::of(&[Published, Published]),
            PostStatus::Published
        );
        assert_eq!(PostStatus::of(&[Published, Retrying]), PostStatus::Partial);
        assert_eq!(PostStatus::of(&[Failed, Failed]), PostStatus::Failed);
        assert_eq!(
            PostStatus::of(&[Published, Unconfirmed]),
            PostStatus::Unconfirmed
        );
        assert_eq!(
            PostStatus::of(&[Publishing, Scheduled]),
            PostStatus::Publishing
        );
        assert_eq!(PostStatus::of(&[Retrying]), PostStatus::Scheduled);
    }

    #[test]
    fn budgets_follow_the_networks_documented_limits() {
        assert_eq!(publishing_budget(Network::X), Some((100, 86_400)));
        assert_eq!(publishing_budget(Network::Mastodon), Some((300, 10_800)));
        assert_eq!(
            publishing_budget(Network::Matrix),
            None,
            "no documented cap"
        );
    }

    #[test]
    fn retries_back_off() {
        let delays: Vec<i64> = (1..=6).map(retry_delay_seconds).collect();
        assert_eq!(delays, [60, 300, 900, 3_600, 10_800, 10_800]);
    }
}
