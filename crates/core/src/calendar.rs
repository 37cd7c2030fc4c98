//! The content calendar: which posts fall in a window and on which local day,
//! the days each view covers (month, week, list), the colours of channels
//! and campaigns, the CSV export's quoting, and the storage of the window
//! query and the private calendar feed.
//!
//! A post sits on the calendar at its scheduled time, or at its creation for
//! a post with none (a draft without a time), so that every post has a
//! place. Times are shown on the wall clock of a zone the viewer picks; a day
//! is the local day, from local midnight to the next.

use std::future::Future;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::accounts::{Role, WorkspaceId};
use crate::clock::Timestamp;
use crate::desk::CampaignId;
use crate::error::StoreError;
use crate::members::MemberId;
use crate::posts::{ChannelId, PostId, PostStatus, TargetId, TargetStatus};
use crate::text_limits::Network;

/// The most posts one window answers (a busy month holds a few thousand).
pub const MAX_POSTS: i64 = 20_000;

/// The longest window the API and the export answer, in days.
pub const MAX_WINDOW_DAYS: i64 = 400;

/// A post as the calendar reads it: what a calendar, its export and its
/// feed show, without the engine's bookkeeping (attempts, remote ids,
/// engagement), so that a busy month reads quickly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarPost {
    pub id: PostId,
    pub author_id: MemberId,
    pub author_name: String,
    pub scheduled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Summed up from the targets by [`PostStatus::of`].
    pub status: PostStatus,
    pub campaign_id: Option<CampaignId>,
    /// `none`, `pending`, `approved` or `rejected`.
    pub approval: String,
    pub targets: Vec<CalendarTarget>,
}

/// One channel of a [`CalendarPost`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarTarget {
    pub id: TargetId,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: Network,
    pub status: TargetStatus,
    pub text: String,
}

impl CalendarPost {
    /// Where it sits on the calendar: its scheduled time, or its creation
    /// for a post without one.
    pub fn at(&self) -> Timestamp {
        self.scheduled_at.unwrap_or(self.created_at)
    }

    /// Whether it may still be moved: something in it has not gone out (the
    /// same rule as the web layer's `move_post`). Posts that went out are not
    /// draggable and have no "Move" form.
    pub fn can_move(&self) -> bool {
        !self.targets.iter().all(|target| {
            matches!(
                target.status,
                TargetStatus::Published | TargetStatus::Publishing | TargetStatus::Unconfirmed
            )
        })
    }

    /// The status a calendar shows: the post's, unless it waits for a
    /// reviewer ("awaiting approval") or was sent back ("changes requested").
    pub fn status_label(&self) -> &'static str {
        match self.approval.as_str() {
            "pending" => "awaiting approval",
            "rejected" => "changes requested",
            _ => self.status.as_str(),
        }
    }

    /// The first channel's text.
    pub fn text(&self) -> &str {
        self.targets
            .first()
            .map(|target| target.text.as_str())
            .unwrap_or_default()
    }
}

/// The first line of a text, shortened to `max` characters.
pub fn excerpt(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .trim();
    if line.is_empty() {
        "(no text)".to_owned()
    } else if line.chars().count() > max {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_owned()
    }
}

/// The calendar's filter by status: a post status, or "awaiting approval".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Post(PostStatus),
    AwaitingApproval,
}

impl StatusFilter {
    /// Every choice, in the order a form offers them.
    pub const ALL: [StatusFilter; 8] = [
        StatusFilter::Post(PostStatus::Scheduled),
        StatusFilter::Post(PostStatus::Draft),
        StatusFilter::AwaitingApproval,
        StatusFilter::Post(PostStatus::Publishing),
        StatusFilter::Post(PostStatus::Published),
        StatusFilter::Post(PostStatus::Partial),
        StatusFilter::Post(PostStatus::Failed),
        StatusFilter::Post(PostStatus::Unconfirmed),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Post(status) => status.as_str(),
            StatusFilter::AwaitingApproval => "awaiting_approval",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Post(status) => status.as_str(),
            StatusFilter::AwaitingApproval => "awaiting approval",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        StatusFilter::ALL
            .into_iter()
            .find(|filter| filter.as_str() == raw.trim())
    }

    pub fn matches(self, post: &CalendarPost) -> bool {
        match self {
            StatusFilter::Post(status) => post.status == status,
            StatusFilter::AwaitingApproval => post.approval == "pending",
        }
    }
}

/// Which posts a window holds. A post's status is summed up from its
/// targets, so the store filters by approval in SQL and by status after
/// summing up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarQuery {
    /// Inclusive.
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
    /// Posts with a target on this channel.
    pub channel_id: Option<ChannelId>,
    pub campaign_id: Option<CampaignId>,
    pub status: Option<StatusFilter>,
    pub author_id: Option<MemberId>,
    /// At most this many posts, earliest first.
    pub limit: i64,
}

impl CalendarQuery {
    /// Every post in `[from, to)`.
    pub fn window(from: Timestamp, to: Timestamp) -> Self {
        CalendarQuery {
            from,
            to,
            channel_id: None,
            campaign_id: None,
            status: None,
            author_id: None,
            limit: MAX_POSTS,
        }
    }
}

/// How posts are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorBy {
    /// By the network of each channel.
    #[default]
    Channel,
    /// By the campaign's own colour.
    Campaign,
}

impl ColorBy {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "channel" => Some(ColorBy::Channel),
            "campaign" => Some(ColorBy::Campaign),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ColorBy::Channel => "channel",
            ColorBy::Campaign => "campaign",
        }
    }
}

/// The colour of posts without a campaign when colouring by campaign.
pub const NO_CAMPAIGN_COLOR: &str = "#8a90a0";

/// A channel's colour on the calendar, derived from its network (near the
/// network's own colour, and apart from the others').
pub fn network_color(network: Network) -> &'static str {
    match network {
        Network::Mastodon => "#6364ff",
        Network::Bluesky => "#1185fe",
        Network::Matrix => "#0b9e74",
        Network::Email => "#b45309",
        Network::Webhook => "#57606a",
        Network::LinkedIn => "#0a4f96",
        Network::Facebook => "#4c5fd5",
        Network::X => "#14171a",
        Network::Threads => "#c026d3",
    }
}

/// A network's name for people.
pub fn network_label(network: Network) -> &'static str {
    match network {
        Network::Mastodon => "Mastodon",
        Network::Bluesky => "Bluesky",
        Network::Matrix => "Matrix",
        Network::Email => "E-mail",
        Network::Webhook => "Webhook",
        Network::LinkedIn => "LinkedIn",
        Network::Facebook => "Facebook",
        Network::X => "X",
        Network::Threads => "Threads",
    }
}

/// The calendar's layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The month's weeks, Monday to Sunday.
    #[default]
    Month,
    /// One week, Monday to Sunday, hour by hour.
    Week,
    /// The month's days that hold something, one after the other.
    List,
}

impl View {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "month" => Some(View::Month),
            "week" => Some(View::Week),
            "list" => Some(View::List),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
            View::List => "list",
        }
    }

    /// The days the view covers around `anchor`: first day, and the day
    /// after the last.
    pub fn days(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        let month_start = anchor.with_day(1).unwrap_or(anchor);
        let next_month = add_months(month_start, 1);
        match self {
            View::Month => (
                monday_of(month_start),
                monday_of(next_month - Duration::days(1)) + Duration::days(7),
            ),
            View::Week => {
                let monday = monday_of(anchor);
                (monday, monday + Duration::days(7))
            }
            View::List => (month_start, next_month),
        }
    }

    /// The anchor of the previous and the next page of this view.
    pub fn neighbours(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            View::Month | View::List => {
                let month_start = anchor.with_day(1).unwrap_or(anchor);
                (add_months(month_start, -1), add_months(month_start, 1))
            }
            View::Week => {
                let monday = monday_of(anchor);
                (monday - Duration::days(7), monday + Duration::days(7))
            }
        }
    }
}

/// The Monday on or before `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The first of the month `n` months after the month of `date`.
pub fn add_months(date: NaiveDate, n: i32) -> NaiveDate {
    let months = date.year() * 12 + date.month0() as i32 + n;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(date)
}

/// A date typed as `2026-05-12`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{:?} is not a date like 2026-05-12", raw.trim()))
}

/// A time of day typed as `09:30`.
pub fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(raw.trim(), "%H:%M:%S"))
        .map_err(|_| format!("{:?} is not a time like 09:30", raw.trim()))
}

/// The zone a calendar is shown in: an IANA name, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarZone {
    name: String,
    tz: Tz,
}

impl CalendarZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        let tz = crate::posts::parse_timezone(name)?;
        Ok(CalendarZone {
            name: tz.name().to_owned(),
            tz,
        })
    }

    pub fn utc() -> Self {
        CalendarZone {
            name: "UTC".to_owned(),
            tz: chrono_tz::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The local day of an instant.
    pub fn date_of(&self, at: Timestamp) -> NaiveDate {
        at.to_datetime().with_timezone(&self.tz).date_naive()
    }

    /// The local time of day of an instant, to the minute.
    pub fn time_of(&self, at: Timestamp) -> NaiveTime {
        let time = at.to_datetime().with_timezone(&self.tz).time();
        NaiveTime::from_hms_opt(time.hour(), time.minute(), 0).unwrap_or(time)
    }

    /// The local wall-clock time, as `2026-05-12 09:30`.
    pub fn local_label(&self, at: Timestamp) -> String {
        at.to_datetime()
            .with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    /// The zone's abbreviation at an instant (`CEST`), for labels.
    pub fn abbreviation(&self, at: Timestamp) -> String {
        at.to_datetime()
            .with_timezone(&self.tz)
            .format("%Z")
            .to_string()
    }

    /// When the local day starts, in UTC. Where midnight does not exist
    /// (clocks skip it), the day starts at the first instant after the gap.
    pub fn start_of(&self, date: NaiveDate) -> Timestamp {
        let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        for _ in 0..4 {
            match self.tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => {
                    return Timestamp::from(at.with_timezone(&chrono::Utc));
                }
                chrono::LocalResult::None => local += Duration::minutes(30),
            }
        }
        Timestamp::from(local.and_utc())
    }

    /// A local date and time as UTC; refuses a time the clocks skip, and
    /// takes the first of a time that happens twice.
    pub fn to_utc(&self, date: NaiveDate, time: NaiveTime) -> Result<Timestamp, String> {
        crate::posts::local_to_utc(
            &format!("{}T{}", date.format("%Y-%m-%d"), time.format("%H:%M")),
            &self.name,
        )
    }
}

/// One field of a CSV record (RFC 4180): quoted when it holds a comma, a
/// quote or a line break, quotes doubled. A text a spreadsheet would run as
/// a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
/// is prefixed with `'`, as OWASP advises for exports opened in spreadsheets.
pub fn csv_field(raw: &str) -> String {
    let guarded;
    let value = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{raw}");
        guarded.as_str()
    } else {
        raw
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A CSV record ending with CRLF.
pub fn csv_record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|field| csv_field(field.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The header of the calendar's CSV export: one record per post target.
pub const CSV_HEADER: [&str; 11] = [
    "post_id",
    "scheduled_at_utc",
    "local_time",
    "timezone",
    "channel",
    "network",
    "campaign",
    "status",
    "approval",
    "author",
    "text",
];

/// Who owns a private calendar feed, read from its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedOwner {
    pub workspace_id: WorkspaceId,
    pub workspace_slug: String,
    pub member_id: MemberId,
    pub member_name: String,
    /// The account's role in the workspace now, if it is still a member.
    pub role: Option<Role>,
}

/// Storage for the calendar.
pub trait CalendarStore: Send + Sync {
    /// The workspace's posts whose calendar time (see [`CalendarPost::at`])
    /// falls in the query's window, earliest first, with their targets.
    fn calendar_posts(
        &self,
        workspace: WorkspaceId,
        query: &CalendarQuery,
    ) -> impl Future<Output = Result<Vec<CalendarPost>, StoreError>> + Send;
    /// Everyone who wrote a post in the workspace: (member id, name), by name.
    fn post_authors(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<(MemberId, String)>, StoreError>> + Send;
    /// Replaces the member's calendar feed token (stored as its SHA-256),
    /// or turns the feed off with `None`.
    fn set_calendar_feed_token(
        &self,
        member: MemberId,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn has_calendar_feed_token(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The owner of the feed whose token has this hash.
    fn calendar_feed_owner(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<FeedOwner>, StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    #[test]
    fn views_cover_whole_weeks_around_the_month() {
        // May 2026 starts on a Friday and ends on a Sunday.
        assert_eq!(
            View::Month.days(date("2026-05-19")),
            (date("2026-04-27"), date("2026-06-01"))
        );
        // March 2026 starts on a Sunday and ends on a Tuesday.
        assert_eq!(
            View::Month.days(date("2026-03-01")),
            (date("2026-02-23"), date("2026-04-06"))
        );
        assert_eq!(
            View::Week.days(date("2026-05-17")),
            (date("2026-05-11"), date("2026-05-18"))
        );
        assert_eq!(
            View::List.days(date("2026-12-24")),
            (date("2026-12-01"), date("2027-01-01"))
        );
        assert_eq!(
            View::Month.neighbours(date("2026-01-31")),
            (date("2025-12-01"), date("2026-02-01"))
        );
        assert_eq!(
            View::Week.neighbours(date("2026-05-13")),
            (date("2026-05-04"), date("2026-05-18"))
        );
    }

    #[test]
    fn local_days_follow_the_zone_across_daylight_saving() {
        let paris = CalendarZone::parse("Europe/Paris").unwrap();
        // Clocks go forward on 2026-03-29: that day has 23 hours.
        let start = paris.start_of(date("2026-03-29"));
        let next = paris.start_of(date("2026-03-30"));
        assert_eq!(start.rfc3339(), "2026-03-28T23:00:00.000Z");
        assert_eq!(next.0 - start.0, 23 * 3_600_000);
        let at = paris
            .to_utc(date("2026-03-29"), parse_time("09:00").unwrap())
            .unwrap();
        assert_eq!(at.rfc3339(), "2026-03-29T07:00:00.000Z");
        assert_eq!(paris.date_of(at), date("2026-03-29"));
        assert_eq!(paris.time_of(at), parse_time("09:00").unwrap());
        assert_eq!(paris.abbreviation(at), "CEST");
        assert!(
            paris
                .to_utc(date("2026-03-29"), parse_time("02:30").unwrap())
                .is_err()
        );
        // São Paulo once skipped midnight: the day began at 01:00.
        let sao_paulo = CalendarZone::parse("America/Sao_Paulo").unwrap();
        assert_eq!(
            sao_paulo.start_of(date("2018-11-04")).rfc3339(),
            "2018-11-04T03:00:00.000Z"
        );
        assert!(CalendarZone::parse("Mars/Olympus").is_err());
        assert_eq!(CalendarZone::utc().name(), "UTC");
    }

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("@here, now"), "\"'@here, now\"");
        assert_eq!(csv_record(&["1", "x,y"]), "1,\"x,y\"\r\n");
    }

    #[test]
    fn excerpts_take_the_first_line() {
        assert_eq!(excerpt("\n  Spring sale\nAll week", 40), "Spring sale");
        assert_eq!(excerpt("Spring sale starts today", 8), "Spring…");
        assert_eq!(excerpt("  ", 8), "(no text)");
    }

    #[test]
    fn filters_parse_their_names() {
        for filter in StatusFilter::ALL {
            assert_eq!(StatusFilter::parse(filter.as_str()), Some(filter));
        }
        assert_eq!(StatusFilter::parse("sideways"), None);
        assert_eq!(View::parse("week"), Some(View::Week));
        assert_eq!(ColorBy::parse("campaign"), Some(ColorBy::Campaign));
        assert_eq!(add_months(date("2026-11-15"), 2), date("2027-01-01"));
        assert_eq!(add_months(date("2026-01-15"), -1), date("2025-12-01"));
    }
}
