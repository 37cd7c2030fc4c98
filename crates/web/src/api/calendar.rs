//! The calendar API: the posts and community events of a window, with the
//! calendar's filters, and moving a post to another time.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::Timestamp;
use agora_core::calendar::{CalendarPost, MAX_WINDOW_DAYS};
use agora_core::events::Event;
use agora_core::posts::{PostStatus, PostStore, TargetStatus};
use agora_core::text_limits::Network;

use super::{ApiResult, IdPath};
use crate::AppState;
use crate::api::publishing::PostBody;
use crate::auth::Ctx;
use crate::calendar::FilterParams;
use crate::community::viewer;
use crate::problem::{ApiJson, ApiQuery, Problem};

#[derive(Debug, Default, Deserialize)]
pub struct WindowQuery {
    /// RFC 3339, inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[serde(default)]
    pub to: Option<String>,
    #[serde(flatten)]
    pub filters: FilterParams,
}

#[derive(Debug, Serialize)]
pub struct Author {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct TargetSummary {
    pub id: i64,
    pub channel_id: i64,
    pub channel_name: String,
    pub network: Network,
    pub status: TargetStatus,
}

#[derive(Debug, Serialize)]
pub struct WindowPost {
    pub id: i64,
    /// When it goes (or went) out; `null` for a draft without a time.
    pub scheduled_at: Option<Timestamp>,
    /// Where it sits on the calendar: `scheduled_at`, else its creation.
    pub at: Timestamp,
    pub status: PostStatus,
    /// `none`, `pending`, `approved` or `rejected`.
    pub approval: String,
    /// The status a calendar shows ("awaiting approval" while pending).
    pub label: &'static str,
    pub campaign_id: Option<i64>,
    pub author: Author,
    /// The first channel's text.
    pub text: String,
    /// Whether it can still move (nothing in it went out yet).
    pub movable: bool,
    pub targets: Vec<TargetSummary>,
}

#[derive(Debug, Serialize)]
pub struct CalendarEvent {
    pub id: i64,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub timezone: String,
    pub format: &'static str,
    pub group_id: i64,
    pub group_name: String,
}

#[derive(Debug, Serialize)]
pub struct CalendarWindow {
    pub from: Timestamp,
    pub to: Timestamp,
    pub posts: Vec<WindowPost>,
    pub events: Vec<CalendarEvent>,
}

fn post_body(post: CalendarPost) -> WindowPost {
    WindowPost {
        at: post.at(),
        label: post.status_label(),
        movable: post.can_move(),
        text: post.text().to_owned(),
        id: post.id,
        scheduled_at: post.scheduled_at,
        status: post.status,
        approval: post.approval,
        campaign_id: post.campaign_id,
        author: Author {
            id: post.author_id,
            name: post.author_name,
        },
        targets: post
            .targets
            .into_iter()
            .map(|target| TargetSummary {
                id: target.id,
                channel_id: target.channel_id,
                channel_name: target.channel_name,
                network: target.network,
                status: target.status,
            })
            .collect(),
    }
}

fn event_body(event: Event) -> CalendarEvent {
    CalendarEvent {
        id: event.id,
        title: event.details.title,
        starts_at: event.details.starts_at,
        ends_at: event.details.ends_at,
        timezone: event.details.timezone,
        format: event.details.format.as_str(),
        group_id: event.group_id,
        group_name: event.group_name,
    }
}

/// An RFC 3339 time from a field, or a problem pointing at it.
fn instant(field: &str, raw: Option<&str>) -> Result<Timestamp, Problem> {
    let raw = raw
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .ok_or_else(|| {
            Problem::invalid("the window is not valid")
                .field(field, "give an RFC 3339 time like 2026-05-01T00:00:00Z")
        })?;
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|at| Timestamp::from(at.to_utc()))
        .map_err(|_| {
            Problem::invalid("the window is not valid").field(
                field,
                format!("{raw:?} is not an RFC 3339 time like 2026-05-01T00:00:00Z"),
            )
        })
}

pub async fn window(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<CalendarWindow>> {
    let viewer = viewer(&state, &ctx).await?;
    let from = instant("from", query.from.as_deref())?;
    let to = instant("to", query.to.as_deref())?;
    if to <= from {
        return Err(Problem::invalid("the window is not valid")
            .field("to", "the end must be after the start (from)"));
    }
    if to.millis() - from.millis() > MAX_WINDOW_DAYS * 86_400_000 {
        return Err(Problem::invalid("the window is not valid").field(
            "to",
            format!("ask for at most {MAX_WINDOW_DAYS} days at once"),
        ));
    }
    let filters = query.filters.parse()?;
    let window = crate::calendar::window(&state, &viewer, from, to, filters).await?;
    Ok(Json(CalendarWindow {
        from,
        to,
        posts: window.posts.into_iter().map(post_body).collect(),
        events: window.events.into_iter().map(event_body).collect(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// RFC 3339 with an offset.
    pub scheduled_at: String,
}

/// Moves a post to another time, as the calendar does.
pub async fn schedule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> ApiResult<Json<PostBody>> {
    let viewer = viewer(&state, &ctx).await?;
    let at = instant("scheduled_at", Some(&body.scheduled_at))?;
    crate::publishing::move_post(
        &state,
        viewer.workspace_id,
        viewer.member_id,
        path.id,
        at,
        "moved",
    )
    .await?;
    let post = state
        .db
        .post(viewer.workspace_id, path.id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let attempts = state.db.attempts(path.id).await?;
    Ok(Json(PostBody { post, attempts }))
}
