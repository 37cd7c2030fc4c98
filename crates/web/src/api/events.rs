//! The events API: list and create events, read one (or its `.ics`), answer
//! it, list its attendees and check someone in. Same rules as the pages.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::events::{Event, EventInput, EventQuery, EventStore, Rsvp, RsvpChoice, RsvpState};

use super::ApiResult;
use crate::AppState;
use crate::auth::Ctx;
use crate::community::viewer;
use crate::events::{EventAccess, visible_event, visible_events};
use crate::problem::{ApiJson, ApiQuery, Problem};

/// An event as the API shows it; the join link only to those going.
#[derive(Debug, Serialize)]
pub struct EventBody {
    #[serde(flatten)]
    pub event: Event,
    /// The caller's answer, if any.
    pub my_rsvp: Option<MyRsvp>,
    pub ics_url: String,
}

#[derive(Debug, Serialize)]
pub struct MyRsvp {
    pub state: RsvpState,
    pub position: Option<i64>,
    /// The personal check-in code (for those going).
    pub code: Option<String>,
}

fn body(state: &AppState, mut event: Event, rsvp: Option<&Rsvp>) -> EventBody {
    let going = rsvp.is_some_and(|r| r.state == RsvpState::Going);
    if !going {
        event.details.join_url = None;
    }
    EventBody {
        ics_url: format!(
            "{}/api/v1/w/{}/events/{}.ics",
            state.settings.public_url, event.workspace_slug, event.id
        ),
        my_rsvp: rsvp.map(|r| MyRsvp {
            state: r.state,
            position: r.position,
            code: going.then(|| r.code.clone()),
        }),
        event,
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// RFC 3339; default now.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub group: Option<i64>,
}

fn instant(field: &str, raw: Option<&str>) -> Result<Option<agora_core::Timestamp>, Problem> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => chrono::DateTime::parse_from_rfc3339(raw)
            .map(|at| Some(agora_core::Timestamp::from(at.with_timezone(&chrono::Utc))))
            .map_err(|_| {
                Problem::invalid("the query is not valid")
                    .field(field, "use an RFC 3339 time like 2026-12-01T00:00:00Z")
            }),
    }
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<EventBody>>> {
    let viewer = viewer(&state, &ctx).await?;
    let from = instant("from", query.from.as_deref())?.unwrap_or(state.clock.now());
    let to = instant("to", query.to.as_deref())?;
    let events = visible_events(
        &state,
        &viewer,
        &EventQuery {
            group_id: query.group,
            from: Some(from),
            to,
            include_cancelled: true,
            limit: 1_000,
        },
    )
    .await?;
    let mine = state.db.member_events(viewer.member_id, from).await?;
    let mut bodies = Vec::with_capacity(events.len());
    for event in events {
        let rsvp = if mine.iter().any(|(e, _)| e.id == event.id) {
            state.db.rsvp_of(event.id, viewer.member_id).await?
        } else {
            None
        };
        bodies.push(body(&state, event, rsvp.as_ref()));
    }
    Ok(Json(bodies))
}

#[derive(Debug, Deserialize)]
pub struct NewEventBody {
    pub group_id: i64,
    #[serde(flatten)]
    pub input: EventInput,
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(new): ApiJson<NewEventBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let id = crate::events::create(&state, &viewer, new.group_id, &new.input).await?;
    let access = visible_event(&state, &viewer, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(body(&state, access.event, access.rsvp.as_ref())),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct EventPath {
    pub workspace: String,
    /// An id, or an id followed by `.ics`.
    pub id: String,
}

async fn access(
    state: &AppState,
    ctx: &Ctx,
    path: &EventPath,
) -> Result<(crate::community::Viewer, EventAccess, bool), Problem> {
    let viewer = viewer(state, ctx).await?;
    let (raw, ics) = match path.id.strip_suffix(".ics") {
        Some(raw) => (raw, true),
        None => (path.id.as_str(), false),
    };
    let id = raw
        .parse::<i64>()
        .map_err(|_| Problem::not_found("no such event"))?;
    let access = visible_event(state, &viewer, id).await?;
    Ok((viewer, access, ics))
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> ApiResult<Response> {
    let (_, access, ics) = access(&state, &ctx, &path).await?;
    if ics {
        let text = crate::events::event_ics(&state, &access.event).await?;
        return Ok(crate::pages::events::ics_response(
            text,
            &format!("event-{}.ics", access.event.id),
        ));
    }
    Ok(Json(body(&state, access.event, access.rsvp.as_ref())).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsvpBody {
    /// `going`, `interested` or `not_going`.
    pub state: String,
    /// `series` answers every coming occurrence of the event's series.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RsvpAnswer {
    pub event_id: i64,
    /// `going`, `waitlisted`, `interested` or `not_going`.
    pub state: RsvpState,
    /// Place on the waitlist (1 is next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For a series: the answer for each coming occurrence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<RsvpAnswer>,
}

fn answer(event_id: i64, outcome: &agora_core::events::RsvpOutcome) -> RsvpAnswer {
    RsvpAnswer {
        event_id,
        state: outcome.state,
        position: outcome.position,
        code: (outcome.state == RsvpState::Going).then(|| outcome.code.clone()),
        occurrences: Vec::new(),
    }
}

pub async fn rsvp(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    ApiJson(request): ApiJson<RsvpBody>,
) -> ApiResult<Json<RsvpAnswer>> {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    let Some(choice) = RsvpChoice::parse(&request.state) else {
        return Err(Problem::invalid("the answer is not valid")
            .field("state", "use going, interested or not_going"));
    };
    if request.scope.as_deref() == Some("series") {
        let outcomes = crate::events::rsvp_series(&state, &viewer, &access, choice).await?;
        let mut answers: Vec<RsvpAnswer> = outcomes
            .iter()
            .map(|(id, outcome)| answer(*id, outcome))
            .collect();
        let mut first = if answers.is_empty() {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "events",
                "no coming occurrence is open for answers",
            ));
        } else {
            answers.remove(0)
        };
        first.occurrences = answers;
        return Ok(Json(first));
    }
    let outcome = crate::events::rsvp(&state, &viewer, &access, choice).await?;
    Ok(Json(answer(access.event.id, &outcome)))
}

pub async fn attendees(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> ApiResult<Json<Vec<Rsvp>>> {
    let (_, access, _) = access(&state, &ctx, &path).await?;
    if !access.organizer {
        return Err(agora_core::events::EventError::NotOrganizer.into());
    }
    Ok(Json(state.db.attendees(access.event.id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub member_id: Option<i64>,
}

pub async fn check_in(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    ApiJson(request): ApiJson<CheckInBody>,
) -> ApiResult<Json<crate::events::CheckedIn>> {
    let (_, access, _) = access(&state, &ctx, &path).await?;
    Ok(Json(
        crate::events::check_in(&state, &access, request.code.as_deref(), request.member_id)
            .await?,
    ))
}
