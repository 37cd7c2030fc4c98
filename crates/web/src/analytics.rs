//! Community health's use cases, shared by the dashboard pages and the API:
//! reading the date range, computing a scope's measures off the request's
//! thread, a member's activity as the log knows it, and the marketer's
//! audience KPIs.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use agora_core::analytics::InteractionStore;
use agora_core::analytics::audience::{
    self, AudienceFilter, AudienceReport, AudienceStore, Period,
};
use agora_core::analytics::funnel::{self, AttributionStore, Funnel};
use agora_core::analytics::health::{self, HealthReport, InteractionLog, Window};
use agora_core::community::{CommunityStore, Space, SpaceId};
use agora_core::desk::DeskStore;
use agora_core::members::MemberId;
use agora_core::posts::PostStore;
use agora_core::{StoreError, Timestamp};

use crate::AppState;
use crate::problem::Problem;

/// The longest custom range, in days.
pub const MAX_RANGE_DAYS: i64 = 400;

/// A day number as `2024-03-01`.
pub fn date_of_day(day: i64) -> String {
    agora_core::Timestamp::from_millis(day * 86_400_000).display_date()
}

fn day_of_date(raw: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    Some(
        date.and_hms_opt(0, 0, 0)?
            .and_utc()
            .timestamp()
            .div_euclid(86_400),
    )
}

/// `from` and `to` (dates, both included) give the named custom-range
/// variant; neither gives the definitions' default window.
pub fn parse_window(from: Option<&str>, to: Option<&str>) -> Result<Window, Problem> {
    let from = from.filter(|raw| !raw.trim().is_empty());
    let to = to.filter(|raw| !raw.trim().is_empty());
    match (from, to) {
        (None, None) => Ok(Window::Default),
        (Some(from), Some(to)) => {
            let mut problem = Problem::invalid("the date range is not valid");
            let from_day = day_of_date(from);
            let to_day = day_of_date(to);
            if from_day.is_none() {
                problem = problem.field("from", format!("{from:?} is not a date like 2024-03-01"));
            }
            if to_day.is_none() {
                problem = problem.field("to", format!("{to:?} is not a date like 2024-03-31"));
            }
            let (Some(from_day), Some(to_day)) = (from_day, to_day) else {
                return Err(problem);
            };
            if to_day < from_day {
                return Err(problem.field("to", "must be on or after from"));
            }
            if to_day - from_day + 1 > MAX_RANGE_DAYS {
                return Err(problem.field("to", format!("at most {MAX_RANGE_DAYS} days")));
            }
            Ok(Window::Range { from_day, to_day })
        }
        (Some(_), None) => {
            Err(Problem::invalid("give both from and to, or neither").field("to", "missing"))
        }
        (None, Some(_)) => {
            Err(Problem::invalid("give both from and to, or neither").field("from", "missing"))
        }
    }
}

/// The space of this workspace with that id (404 otherwise).
pub async fn space(state: &AppState, workspace: i64, id: SpaceId) -> Result<Space, Problem> {
    state
        .db
        .space_by_id(workspace, id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such space in this workspace"))
}

/// The scope's measures (`None` when the scope has no interactions), with the log they came from.
pub async fn health_of(
    state: &AppState,
    workspace: i64,
    space: Option<&Space>,
    window: Window,
) -> Result<(Arc<InteractionLog>, Option<HealthReport>), Problem> {
    let log = state.db.interaction_log(workspace).await?;
    let scope = match space {
        Some(space) => match log.space_index(space.id) {
            Some(index) => Some(index),
            None => return Ok((log, None)),
        },
        None => None,
    };
    let shared = log.clone();
    // Ten million rows take a while: keep the request threads free.
    let report = tokio::task::spawn_blocking(move || health::health(&shared, scope, window))
        .await
        .map_err(|error| {
            tracing::error!(%error, "health computation failed");
            Problem::internal()
        })?;
    Ok((log, report))
}

/// The window's dates as pages and the API show them.
#[derive(Debug, Clone, Serialize)]
pub struct WindowBody {
    /// `default` (the definitions' 28 days before the end of the data) or `range`.
    pub variant: &'static str,
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// E: the midnight after the last day (the end of the data in the default variant).
    pub end: String,
}

impl WindowBody {
    pub fn of(report: &HealthReport) -> Self {
        Self {
            variant: match report.window {
                Window::Default => "default",
                Window::Range { .. } => "range",
            },
            from: date_of_day(report.window_start_day),
            to: date_of_day(report.end_day - 1),
            end: date_of_day(report.end_day),
        }
    }
}

/// What a member did, as the interaction log knows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberActivity {
    pub n_interactions: u64,
    /// Seconds since the Unix epoch, UTC.
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Interactions per space id.
    pub by_space: BTreeMap<SpaceId, u64>,
    /// Interactions aimed at this member by others.
    pub n_received: u64,
}

pub fn member_activity(log: &InteractionLog, member: MemberId) -> MemberActivity {
    let mut activity = MemberActivity::default();
    let Some(index) = log.members.iter().position(|known| known.id == member) else {
        return activity;
    };
    let index = index as u32;
    for row in &log.rows {
        if row.target == index && row.actor != index {
            activity.n_received += 1;
        }
        if row.actor != index {
            continue;
        }
        activity.n_interactions += 1;
        activity.first_at.get_or_insert(row.at);
        activity.last_at = Some(row.at);
        *activity.by_kind.entry(row.kind.as_str()).or_default() += 1;
        *activity
            .by_space
            .entry(log.spaces[row.space as usize])
            .or_default() += 1;
    }
    activity
}

/// The default audience period: the 28 days up to today, included.
pub const AUDIENCE_DEFAULT_DAYS: i64 = 28;

/// What the audience KPIs were asked for, read from a query string.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceQuery {
    /// A channel id.
    #[serde(default)]
    pub channel: Option<String>,
    /// A campaign id.
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

/// The audience KPIs asked for, with the names of the channel and campaign
/// they were narrowed to.
#[derive(Debug, Clone)]
pub struct Audience {
    pub report: AudienceReport,
    pub filter: AudienceFilter,
    pub channel_name: Option<String>,
    pub campaign_name: Option<String>,
    /// The period was the default one (no dates given).
    pub default_period: bool,
    /// Each channel's followers before the period and at its end, and the
    /// growth rate between them, where the network reports followers.
    pub growth: Vec<FollowerGrowth>,
}

/// A channel's follower growth over the period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FollowerGrowth {
    pub channel_id: i64,
    pub channel_name: String,
    /// The last count read on or before the day before the period.
    pub start: Option<i64>,
    /// The last count read on or before the period's last day.
    pub end: Option<i64>,
    /// (end − start) ÷ start, when both are known and start > 0.
    pub rate: Option<f64>,
}

/// Which networks report followers (the rates say so).
pub const FOLLOWERS_NOT_REPORTED: &str = "read from Mastodon and from Bluesky's AppView (a daily sample when metrics are read back; a Bluesky server without an AppView cannot count followers); not reported by the other networks Agora reads (null, never 0)";

fn id_field(problem: Problem, name: &str, raw: Option<&str>) -> (Problem, Option<Result<i64, ()>>) {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => (problem, None),
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) => (problem, Some(Ok(id))),
            Err(_) => (
                problem.field(name, format!("{raw:?} is not an id")),
                Some(Err(())),
            ),
        },
    }
}

/// Reads the query (422 with the field's pointer for a bad date or id, or
/// an id that is not this workspace's) and computes the KPIs.
pub async fn audience_of(
    state: &AppState,
    workspace: i64,
    query: &AudienceQuery,
) -> Result<Audience, Problem> {
    let window = parse_window(query.from.as_deref(), query.to.as_deref());
    let problem = match &window {
        Err(problem) => problem.clone(),
        Ok(_) => Problem::invalid("the query is not valid"),
    };
    let (problem, channel) = id_field(problem, "channel", query.channel.as_deref());
    let (mut problem, campaign) = id_field(problem, "campaign", query.campaign.as_deref());
    let mut channel_name = None;
    if let Some(Ok(id)) = channel {
        match state.db.channel(workspace, id).await? {
            Some(found) => channel_name = Some(found.name),
            None => {
                problem = problem.field("channel", "there is no such channel in this workspace")
            }
        }
    }
    let mut campaign_name = None;
    if let Some(Ok(id)) = campaign {
        match state.db.campaign(workspace, id).await? {
            Some(found) => campaign_name = Some(found.name),
            None => {
                problem = problem.field("campaign", "there is no such campaign in this workspace")
            }
        }
    }
    if window.is_err() || !problem.errors.is_empty() {
        return Err(problem);
    }
    let (period, default_period) = match window {
        Ok(Window::Range { from_day, to_day }) => (Period { from_day, to_day }, false),
        _ => {
            let today = state.clock.now().millis().div_euclid(86_400_000);
            (
                Period {
                    from_day: today - AUDIENCE_DEFAULT_DAYS + 1,
                    to_day: today,
                },
                true,
            )
        }
    };
    let filter = AudienceFilter {
        channel: channel.and_then(Result::ok),
        campaign: campaign.and_then(Result::ok),
    };
    let posts = state
        .db
        .published_posts(workspace, period.previous().start(), period.end())
        .await?;
    let followers_end = state.db.followers_on(workspace, period.to_day).await?;
    let followers_start = state
        .db
        .followers_on(workspace, period.from_day - 1)
        .await?;
    let report = audience::audience(&posts, &followers_end, period, filter);
    let mut growth = Vec::new();
    for channel in state.db.channels(workspace).await? {
        if filter.channel.is_some_and(|only| only != channel.id) {
            continue;
        }
        let end = followers_end.get(&channel.id).copied().flatten();
        if end.is_none() {
            continue;
        }
        let start = followers_start.get(&channel.id).copied().flatten();
        growth.push(FollowerGrowth {
            channel_id: channel.id,
            channel_name: channel.name,
            start,
            end,
            rate: match (start, end) {
                (Some(start), Some(end)) if start > 0 => Some((end - start) as f64 / start as f64),
                _ => None,
            },
        });
    }
    Ok(Audience {
        report,
        filter,
        channel_name,
        campaign_name,
        default_period,
        growth,
    })
}

/// Records the campaign whose `utm_campaign` a new member's join link
/// carried; a value no campaign of the workspace uses is ignored.
pub async fn attribute(
    state: &AppState,
    workspace: i64,
    member: MemberId,
    utm_campaign: Option<&str>,
) -> Result<(), StoreError> {
    let Some(utm) = utm_campaign.map(str::trim).filter(|utm| !utm.is_empty()) else {
        return Ok(());
    };
    let campaigns = state.db.campaigns(workspace).await?;
    if let Some(campaign) = campaigns
        .iter()
        .find(|campaign| campaign.utm.campaign == utm)
    {
        state
            .db
            .attribute_member(workspace, member, campaign.id)
            .await?;
    }
    Ok(())
}

/// The funnel's steps, named as the API and the page show them.
pub const FUNNEL_DEFINITIONS: [(&str, &str); 6] = [
    (
        "posts_published",
        "the campaign's posts published on a channel, each channel counted",
    ),
    (
        "clicks",
        "clicks counted on the tracked links (/r/…) of the campaign's published posts, all time, link previews and crawlers left out; null only when none of those posts was published with link tracking",
    ),
    (
        "joined",
        "non-staff members whose join link carried the campaign's utm_campaign",
    ),
    (
        "contributed",
        "joined members who posted or replied at least once since joining",
    ),
    (
        "active_30",
        "any interaction in days 23 to 30 after joining, of the members who joined at least 30 days ago",
    ),
    (
        "active_90",
        "any interaction in days 83 to 90 after joining, of the members who joined at least 90 days ago",
    ),
];

#[derive(Debug, Clone, Serialize)]
pub struct FunnelBody {
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub posts_published: i64,
    pub engagements: i64,
    pub clicks: Option<i64>,
    #[serde(flatten)]
    pub funnel: Funnel,
    pub definitions: BTreeMap<&'static str, &'static str>,
}

/// The funnel of one campaign (`campaign`: its id) or of all of them; a bad
/// or unknown id answers 422 with the field's pointer.
pub async fn funnel_of(
    state: &AppState,
    workspace: i64,
    campaign: Option<&str>,
) -> Result<FunnelBody, Problem> {
    let (problem, campaign) = id_field(
        Problem::invalid("the query is not valid"),
        "campaign",
        campaign,
    );
    let (campaign_id, campaign_name) = match campaign {
        None => (None, None),
        Some(Err(())) => return Err(problem),
        Some(Ok(id)) => match state.db.campaign(workspace, id).await? {
            Some(found) => (Some(id), Some(found.name)),
            None => {
                return Err(
                    problem.field("campaign", "there is no such campaign in this workspace")
                );
            }
        },
    };
    let now = state.clock.now();
    let posts = state
        .db
        .published_posts(workspace, Timestamp::from_millis(0), now.plus_seconds(1))
        .await?;
    let posts: Vec<_> = posts
        .iter()
        .filter(|post| match campaign_id {
            Some(id) => post.campaign_id == Some(id),
            None => post.campaign_id.is_some(),
        })
        .collect();
    let kpis = audience::kpis(posts.iter().copied(), &BTreeMap::new());
    let log = state.db.interaction_log(workspace).await?;
    let member_campaigns = state.db.member_campaigns(workspace).await?;
    let seconds = now.millis().div_euclid(1000);
    let funnel = tokio::task::spawn_blocking(move || {
        funnel::funnel(&log, &member_campaigns, campaign_id, seconds)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "funnel computation failed");
        Problem::internal()
    })?;
    Ok(FunnelBody {
        campaign_id,
        campaign_name,
        posts_published: kpis.n_posts,
        engagements: kpis.engagements,
        clicks: funnel::clicks(posts.iter().copied()),
        funnel,
        definitions: FUNNEL_DEFINITIONS.into_iter().collect(),
    })
}
