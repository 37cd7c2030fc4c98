//! The content calendar's use cases, shared by its page, its CSV export, its
//! private feed and the API: reading the filters, the zone a calendar is
//! shown in, the posts and community events of a window, moving a post to a
//! local date and time, and writing the window as CSV or iCalendar.

use std::collections::HashMap;

use serde::Deserialize;

use agora_core::accounts::{Access, AccountStore};
use agora_core::calendar::{
    CSV_HEADER, CalendarPost, CalendarQuery, CalendarStore, CalendarZone, FeedOwner, StatusFilter,
    excerpt, parse_date, parse_time,
};
use agora_core::desk::{Campaign, DeskStore};
use agora_core::events::{Event, EventQuery};
use agora_core::ical::{EventStatus, VEvent, write_calendar};
use agora_core::posts::{PostId, PostStore};
use agora_core::{StoreError, Timestamp};

use crate::AppState;
use crate::community::Viewer;
use crate::problem::Problem;

/// How long a post lasts in calendar files: it is an instant, shown as a
/// short slot.
pub const POST_MINUTES: i64 = 15;

/// The filters as typed in a query string (every one optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterParams {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
}

/// The filters, parsed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters {
    pub channel: Option<i64>,
    pub campaign: Option<i64>,
    pub status: Option<StatusFilter>,
    pub author: Option<i64>,
}

impl Filters {
    pub fn query(self, from: Timestamp, to: Timestamp) -> CalendarQuery {
        CalendarQuery {
            channel_id: self.channel,
            campaign_id: self.campaign,
            status: self.status,
            author_id: self.author,
            ..CalendarQuery::window(from, to)
        }
    }
}

fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|raw| !raw.is_empty())
}

impl FilterParams {
    /// Parses the filters; a wrong one is named by its field.
    pub fn parse(&self) -> Result<Filters, Problem> {
        let mut problem = Problem::invalid("the filters are not valid");
        let mut id = |field: &str, raw: &Option<String>| match present(raw) {
            None => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problem = problem
                        .clone()
                        .field(field, format!("{raw:?} is not an id"));
                    None
                }
            },
        };
        let channel = id("channel", &self.channel);
        let campaign = id("campaign", &self.campaign);
        let author = id("author", &self.author);
        let status = match present(&self.status) {
            None => None,
            Some(raw) => {
                let parsed = StatusFilter::parse(raw);
                if parsed.is_none() {
                    problem = problem.field(
                        "status",
                        format!(
                            "{raw:?} is not a status: use one of {}",
                            StatusFilter::ALL
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
                parsed
            }
        };
        if !problem.errors.is_empty() {
            return Err(problem);
        }
        Ok(Filters {
            channel,
            campaign,
            status,
            author,
        })
    }
}

/// The zone a workspace's calendar is shown in by default: the first
/// channel's, else UTC.
pub async fn default_zone(state: &AppState, workspace: i64) -> Result<CalendarZone, StoreError> {
    let channels = state.db.channels(workspace).await?;
    Ok(channels
        .first()
        .and_then(|channel| CalendarZone::parse(&channel.timezone).ok())
        .unwrap_or_else(CalendarZone::utc))
}

/// The zone asked for (`tz`), or the default; a wrong name is refused.
pub async fn zone(
    state: &AppState,
    workspace: i64,
    asked: Option<&str>,
) -> Result<CalendarZone, Problem> {
    match asked.map(str::trim).filter(|raw| !raw.is_empty()) {
        Some(name) => CalendarZone::parse(name)
            .map_err(|message| Problem::invalid(message.clone()).field("tz", message)),
        None => Ok(default_zone(state, workspace).await?),
    }
}

/// The posts and the community events of a window.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub posts: Vec<CalendarPost>,
    /// Events the viewer may see that overlap the window, cancelled ones left out.
    pub events: Vec<Event>,
}

/// Reads a window: posts by the filters, events the viewer may see.
pub async fn window(
    state: &AppState,
    viewer: &Viewer,
    from: Timestamp,
    to: Timestamp,
    filters: Filters,
) -> Result<Window, StoreError> {
    let posts = state
        .db
        .calendar_posts(viewer.workspace_id, &filters.query(from, to))
        .await?;
    let events = crate::events::visible_events(
        state,
        viewer,
        &EventQuery {
            from: Some(from),
            to: Some(to),
            include_cancelled: false,
            limit: 5_000,
            ..EventQuery::default()
        },
    )
    .await?;
    Ok(Window { posts, events })
}

/// Moves a post to a local date, at `time` or else at its own local time of
/// day, in `zone` (the calendar's drag and drop, and its "Move" form);
/// answers the new time.
pub async fn move_to_local(
    state: &AppState,
    viewer: &Viewer,
    post: PostId,
    zone: &CalendarZone,
    date: &str,
    time: Option<&str>,
) -> Result<Timestamp, Problem> {
    let found = state
        .db
        .post(viewer.workspace_id, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let mut problem = Problem::invalid("the new time is not valid");
    let date = match parse_date(date) {
        Ok(date) => Some(date),
        Err(message) => {
            problem = problem.field("date", message);
            None
        }
    };
    let time = match time.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Some(zone.time_of(found.scheduled_at.unwrap_or(found.created_at))),
        Some(raw) => match parse_time(raw) {
            Ok(time) => Some(time),
            Err(message) => {
                problem = problem.field("time", message);
                None
            }
        },
    };
    let (Some(date), Some(time)) = (date, time) else {
        return Err(problem);
    };
    let at = zone
        .to_utc(date, time)
        .map_err(|message| Problem::invalid("the new time is not valid").field("time", message))?;
    crate::publishing::move_post(
        state,
        viewer.workspace_id,
        viewer.member_id,
        post,
        at,
        "moved",
    )
    .await?;
    Ok(at)
}

/// The window as CSV (RFC 4180): a header, then one record per post target.
pub fn csv(
    posts: &[CalendarPost],
    zone: &CalendarZone,
    campaigns: &[Campaign],
    channel: Option<i64>,
) -> String {
    let campaign_names: HashMap<i64, &str> = campaigns
        .iter()
        .map(|campaign| (campaign.id, campaign.name.as_str()))
        .collect();
    let mut out = agora_core::calendar::csv_record(&CSV_HEADER);
    for post in posts {
        let at = post.at();
        let campaign = post
            .campaign_id
            .and_then(|id| campaign_names.get(&id).copied())
            .unwrap_or_default();
        for target in post
            .targets
            .iter()
            .filter(|target| channel.is_none_or(|id| id == target.channel_id))
        {
            out.push_str(&agora_core::calendar::csv_record(&[
                post.id.to_string().as_str(),
                &post.scheduled_at.map_or_else(String::new, |at| {
                    at.to_datetime()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                }),
                &zone.local_label(at),
                zone.name(),
                &target.channel_name,
                target.network.as_str(),
                campaign,
                target.status.as_str(),
                &post.approval,
                &post.author_name,
                &target.text,
            ]));
        }
    }
    out
}

/// The host of the public URL, for calendar UIDs.
fn public_host(state: &AppState) -> String {
    let url = &state.settings.public_url;
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("agora")
        .to_owned()
}

/// A post as a calendar entry: a 15-minute slot at its calendar time.
fn post_entry(
    state: &AppState,
    workspace_slug: &str,
    post: &CalendarPost,
    now: Timestamp,
) -> VEvent {
    let start = post.at();
    let channels: Vec<&str> = post
        .targets
        .iter()
        .map(|target| target.channel_name.as_str())
        .collect();
    let url = format!(
        "{}/w/{workspace_slug}/posts/{}",
        state.settings.public_url, post.id
    );
    let mut description = String::new();
    for target in &post.targets {
        description.push_str(&format!(
            "{} ({}): {}\n\n",
            target.channel_name,
            target.status.as_str(),
            target.text
        ));
    }
    description.push_str(&format!(
        "Status: {}\nBy {}\n{url}",
        post.status_label(),
        post.author_name
    ));
    VEvent {
        uid: format!("post-{}@{}", post.id, public_host(state)),
        sequence: 0,
        dtstamp: now,
        start,
        end: start.plus_millis(POST_MINUTES * 60_000),
        timezone: "UTC".to_owned(),
        summary: format!(
            "{} ({}, {})",
            excerpt(post.text(), 80),
            channels.join(", "),
            post.status_label()
        ),
        description,
        location: None,
        url: Some(url),
        status: EventStatus::Confirmed,
        rrule: None,
        exdates: Vec::new(),
        recurrence_id: None,
        last_until: None,
    }
}

/// How far back and ahead the private feed reaches, in days.
pub const FEED_DAYS_BEFORE: i64 = 90;
pub const FEED_DAYS_AFTER: i64 = 365;

/// The private feed of a calendar's owner: every post from 90 days ago to a
/// year ahead, and the community events they may see. `None` when the owner
/// may no longer open the calendar (the feed stops with the role).
pub async fn feed(state: &AppState, owner: &FeedOwner) -> Result<Option<String>, StoreError> {
    let Some(role) = owner.role.filter(|role| Access::Marketing.allows(*role)) else {
        return Ok(None);
    };
    let viewer = Viewer {
        workspace_id: owner.workspace_id,
        workspace_slug: owner.workspace_slug.clone(),
        name: owner.member_name.clone(),
        member_id: owner.member_id,
        is_staff: role.is_staff(),
        moderates: Access::Moderation.allows(role),
    };
    let now = state.clock.now();
    let from = now.plus_millis(-FEED_DAYS_BEFORE * 86_400_000);
    let to = now.plus_millis(FEED_DAYS_AFTER * 86_400_000);
    let window = window(state, &viewer, from, to, Filters::default()).await?;
    let mut entries: Vec<VEvent> = window
        .posts
        .iter()
        .map(|post| post_entry(state, &owner.workspace_slug, post, now))
        .collect();
    entries.extend(crate::events::calendar_entries(state, &window.events).await?);
    let name = match state.db.workspace_by_slug(&owner.workspace_slug).await? {
        Some(workspace) => format!("{}: content calendar", workspace.name),
        None => "Content calendar".to_owned(),
    };
    Ok(Some(write_calendar(&name, &entries)))
}

/// The campaigns of a workspace, for names and colours.
pub async fn campaigns(state: &AppState, workspace: i64) -> Result<Vec<Campaign>, StoreError> {
    state.db.campaigns(workspace).await
}
