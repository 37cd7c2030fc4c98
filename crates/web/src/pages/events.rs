//! Events pages: the list with the personal feed, creating and editing an
//! event or a series, the event page (RSVP, waitlist position, the personal
//! check-in code as a QR code, the join link, feedback, attendance), the
//! organizer's phone-sized check-in page, and calendar files.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use agora_core::community::{Space, render_markdown};
use agora_core::events::{
    Attendance, Event, EventInput, EventQuery, EventStore, Feedback, Rsvp, RsvpChoice, RsvpState,
    qr_svg,
};
use agora_core::posts::utc_to_local;
use agora_core::secrets::{random_token, token_digest};

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::{Viewer, viewer};
use crate::events::{EventAccess, hosting_groups, visible_event, visible_events};
use crate::pages::account::redirect_with_flash;
use crate::problem::Problem;
use crate::shell::Shell;

/// Field errors from a problem document (its pointers name the fields).
fn field_errors(problem: &Problem) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for error in &problem.errors {
        let field: &'static str = match error.pointer.trim_start_matches('/') {
            "title" => "title",
            "description" => "description",
            "timezone" => "timezone",
            "starts_at" => "starts_at",
            "ends_at" => "ends_at",
            "format" => "format",
            "join_url" => "join_url",
            "venue" => "venue",
            "address" => "address",
            "capacity" => "capacity",
            "rsvp_deadline" => "rsvp_deadline",
            "rrule" => "rrule",
            "exdates" => "exdates",
            "group" => "group",
            "code" => "code",
            "name" => "name",
            "email" => "email",
            "rating" => "rating",
            "comment" => "comment",
            "handles" => "handles",
            _ => "_",
        };
        errors.add(field, error.detail.clone());
    }
    if errors.is_empty() {
        errors.add("_", problem.detail.clone().unwrap_or(problem.title.clone()));
    }
    errors
}

fn when(event: &Event) -> String {
    let start = utc_to_local(event.details.starts_at, &event.details.timezone);
    let end = utc_to_local(event.details.ends_at, &event.details.timezone);
    // Same day: show the end's time only.
    match (start.get(..10), end.get(..10)) {
        (Some(a), Some(b)) if a == b => format!("{start} – {}", end.get(11..).unwrap_or(&end)),
        _ => format!("{start} – {end}"),
    }
}

pub struct EventCard {
    pub event: Event,
    pub when: String,
    pub mine: Option<RsvpState>,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    shell: Shell,
    cards: Vec<EventCard>,
    past: bool,
    can_host: bool,
    has_feed: bool,
    /// Shown once, right after it was made.
    feed_url: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    past: Option<String>,
    #[serde(default)]
    feed: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let now = state.clock.now();
    let past = query.past.is_some();
    let events = visible_events(
        &state,
        &viewer,
        &EventQuery {
            from: (!past).then_some(now),
            to: past.then_some(now),
            limit: 500,
            ..EventQuery::default()
        },
    )
    .await?;
    let mine = state
        .db
        .member_events(viewer.member_id, now.plus_millis(-400 * 86_400_000))
        .await?;
    let mut cards: Vec<EventCard> = events
        .into_iter()
        .filter(|event| !past || event.has_ended(now))
        .map(|event| EventCard {
            when: when(&event),
            mine: mine
                .iter()
                .find(|(e, _)| e.id == event.id)
                .map(|(_, state)| *state),
            event,
        })
        .collect();
    if past {
        cards.reverse();
    }
    let shell = Shell::build(&state, &ctx, "Events").await;
    Ok(render(&EventsPage {
        shell,
        cards,
        past,
        can_host: !hosting_groups(&state, &viewer).await?.is_empty(),
        has_feed: state.db.has_feed_token(viewer.member_id).await?,
        feed_url: query
            .feed
            .filter(|token| !token.is_empty())
            .map(|token| format!("{}/feeds/events/{token}.ics", state.settings.public_url)),
    }))
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct FormPage {
    shell: Shell,
    /// `None` when creating.
    event_id: Option<i64>,
    groups: Vec<Space>,
    group: String,
    input: EventInput,
    repeat: String,
    count: String,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    group: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    count: String,
    #[serde(flatten)]
    input: EventInput,
}

impl EventForm {
    /// The rule the "Repeat" choice stands for (an explicit rule wins).
    fn input(&self) -> EventInput {
        let mut input = self.input.clone();
        if !input.rrule.trim().is_empty() || self.repeat.is_empty() || self.repeat == "none" {
            return input;
        }
        let count = self.count.trim();
        let count = if count.is_empty() { "10" } else { count };
        let date = chrono::NaiveDateTime::parse_from_str(input.starts_at.trim(), "%Y-%m-%dT%H:%M");
        input.rrule = match (self.repeat.as_str(), date) {
            ("weekly", _) => format!("FREQ=WEEKLY;COUNT={count}"),
            ("fortnightly", _) => format!("FREQ=WEEKLY;INTERVAL=2;COUNT={count}"),
            ("monthly", Ok(date)) => {
                use chrono::Datelike;
                let nth = (date.day() - 1) / 7 + 1;
                let weekday = match date.weekday() {
                    chrono::Weekday::Mon => "MO",
                    chrono::Weekday::Tue => "TU",
                    chrono::Weekday::Wed => "WE",
                    chrono::Weekday::Thu => "TH",
                    chrono::Weekday::Fri => "FR",
                    chrono::Weekday::Sat => "SA",
                    chrono::Weekday::Sun => "SU",
                };
                // The 5th weekday of a month is its last.
                let nth = if nth >= 5 {
                    "-1".to_owned()
                } else {
                    nth.to_string()
                };
                format!("FREQ=MONTHLY;BYDAY={nth}{weekday};COUNT={count}")
            }
            _ => String::new(),
        };
        input
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let groups = hosting_groups(&state, &viewer).await?;
    let shell = Shell::build(&state, &ctx, "New event").await;
    Ok(render(&FormPage {
        shell,
        event_id: None,
        group: groups.first().map(|g| g.id.to_string()).unwrap_or_default(),
        groups,
        input: EventInput {
            timezone: "Europe/Paris".into(),
            format: "offline".into(),
            ..EventInput::default()
        },
        repeat: "none".into(),
        count: "10".into(),
        errors: FieldErrors::default(),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<EventForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let group_id = form.group.trim().parse::<i64>().unwrap_or(0);
    match crate::events::create(&state, &viewer, group_id, &form.input()).await {
        Ok(id) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/events/{id}", viewer.workspace_slug),
            "Event created.",
        )),
        Err(problem) if problem.status == 422 => {
            let groups = hosting_groups(&state, &viewer).await?;
            let shell = Shell::build(&state, &ctx, "New event").await;
            Ok(render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    shell,
                    event_id: None,
                    groups,
                    group: form.group.clone(),
                    errors: field_errors(&problem),
                    repeat: form.repeat.clone(),
                    count: form.count.clone(),
                    input: form.input,
                },
            ))
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct EventPath {
    pub workspace: String,
    /// An id, or an id followed by `.ics` for the calendar file.
    pub event: String,
}

impl EventPath {
    fn id(&self) -> Result<(i64, bool), PageError> {
        let (raw, ics) = match self.event.strip_suffix(".ics") {
            Some(raw) => (raw, true),
            None => (self.event.as_str(), false),
        };
        raw.parse::<i64>()
            .map(|id| (id, ics))
            .map_err(|_| PageError::not_found("No such event."))
    }
}

async fn access(
    state: &AppState,
    ctx: &Ctx,
    path: &EventPath,
) -> Result<(Viewer, EventAccess, bool), PageError> {
    let viewer = viewer(state, ctx).await?;
    let (id, ics) = path.id()?;
    let access = visible_event(state, &viewer, id).await?;
    Ok((viewer, access, ics))
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    shell: Shell,
    event: Event,
    when: String,
    description_html: String,
    organizer: bool,
    /// Organizers, staff, and members going once trust unlocks invitations.
    can_invite: bool,
    can_answer: bool,
    rsvp: Option<Rsvp>,
    /// Going or waitlisted.
    holds_place: bool,
    going: bool,
    qr: String,
    series: Option<String>,
    started: bool,
    ended: bool,
    closed: Option<String>,
    map_url: Option<String>,
    attendance: Attendance,
    feedback: Vec<Feedback>,
    attendees: Vec<Rsvp>,
    errors: FieldErrors,
}

impl EventPage {
    fn local(&self, at: &agora_core::Timestamp) -> String {
        utc_to_local(*at, &self.event.details.timezone)
    }
}

async fn event_page(
    state: &AppState,
    ctx: &Ctx,
    access: EventAccess,
    errors: FieldErrors,
) -> PageResult {
    let now = state.clock.now();
    let viewer = viewer(state, ctx).await?;
    let can_invite = crate::events::may_invite(state, &viewer, &access).await?;
    let event = access.event;
    let series = match event.series_id {
        Some(id) => state.db.series(id).await?.and_then(|series| {
            agora_core::recurrence::parse_rrule(&series.rrule)
                .ok()
                .map(|rule| agora_core::recurrence::describe(&rule))
        }),
        None => None,
    };
    let attendees = state.db.attendees(event.id).await?;
    let feedback = state.db.feedback(event.id).await?;
    let attendance = Attendance::of(&attendees, &feedback);
    let rsvp = access.rsvp;
    let qr = rsvp
        .as_ref()
        .filter(|r| r.state == RsvpState::Going)
        .map(|r| {
            qr_svg(
                &r.code,
                &format!("QR code of your check-in code {}", r.code),
            )
        })
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, event.details.title.clone()).await;
    Ok(render_with_status(
        status,
        &EventPage {
            shell,
            when: when(&event),
            description_html: render_markdown(&event.details.description),
            organizer: access.organizer,
            can_invite,
            can_answer: access.can_answer,
            holds_place: rsvp
                .as_ref()
                .is_some_and(|r| matches!(r.state, RsvpState::Going | RsvpState::Waitlisted)),
            going: rsvp.as_ref().is_some_and(|r| r.state == RsvpState::Going),
            rsvp,
            qr,
            series,
            started: event.has_started(now),
            ended: event.has_ended(now),
            closed: event.rsvp_closed(now).map(|e| e.to_string()),
            map_url: event.details.map_url(),
            attendance,
            feedback: if access.organizer {
                feedback
            } else {
                Vec::new()
            },
            attendees: if access.organizer {
                attendees
            } else {
                Vec::new()
            },
            event,
            errors,
        },
    ))
}

/// The event page, or its `.ics` file.
pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> PageResult {
    let (_, access, ics) = access(&state, &ctx, &path).await?;
    if ics {
        let body = crate::events::event_ics(&state, &access.event).await?;
        return Ok(ics_response(
            body,
            &format!("event-{}.ics", access.event.id),
        ));
    }
    event_page(&state, &ctx, access, FieldErrors::default()).await
}

pub fn ics_response(body: String, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=300".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct RsvpForm {
    #[serde(default)]
    state: String,
    /// `series` to answer every coming occurrence.
    #[serde(default)]
    scope: String,
}

pub async fn rsvp(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<RsvpForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    let Some(choice) = RsvpChoice::parse(&form.state) else {
        return Err(PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Choose going, interested or not going.".into(),
        });
    };
    let to = format!("/w/{}/events/{}", viewer.workspace_slug, access.event.id);
    let result = if form.scope == "series" {
        crate::events::rsvp_series(&state, &viewer, &access, choice)
            .await
            .map(|outcomes| {
                let going = outcomes.iter().filter(|(_, o)| o.state == RsvpState::Going).count();
                let waiting = outcomes.iter().filter(|(_, o)| o.state == RsvpState::Waitlisted).count();
                match choice {
                    RsvpChoice::Going if waiting > 0 => format!("You're going to {going} dates of the series and on the waitlist for {waiting}."),
                    RsvpChoice::Going => format!("You're going to the {going} coming dates of the series."),
                    _ => format!("Answered for the {} coming dates of the series.", outcomes.len()),
                }
            })
    } else {
        crate::events::rsvp(&state, &viewer, &access, choice)
            .await
            .map(|outcome| match (outcome.state, outcome.position) {
                (RsvpState::Going, _) => "You're going. Your check-in code is on this page.".to_owned(),
                (RsvpState::Waitlisted, Some(position)) => format!("The event is full: you're on the waitlist, number {position}. We'll e-mail you if a seat opens up."),
                (RsvpState::Interested, _) => "Marked as interested.".to_owned(),
                (RsvpState::NotGoing, _) => "You're not going.".to_owned(),
                _ => "Answer saved.".to_owned(),
            })
    };
    match result {
        Ok(message) => Ok(redirect_with_flash(&state, &to, &message)),
        Err(problem) if problem.status < 500 => {
            let access = visible_event(&state, &viewer, access.event.id).await?;
            event_page(&state, &ctx, access, field_errors(&problem)).await
        }
        Err(problem) => Err(problem.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> PageResult {
    let (_, access, _) = access(&state, &ctx, &path).await?;
    if !access.organizer {
        return Err(Problem::from(agora_core::events::EventError::NotOrganizer).into());
    }
    let shell = Shell::build(&state, &ctx, format!("Edit {}", access.event.details.title)).await;
    Ok(render(&FormPage {
        shell,
        event_id: Some(access.event.id),
        groups: Vec::new(),
        group: access.event.group_id.to_string(),
        input: crate::events::input_of(&access.event),
        repeat: "none".into(),
        count: String::new(),
        errors: FieldErrors::default(),
    }))
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<EventForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    match crate::events::update(&state, &access, &form.input).await {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/events/{}", viewer.workspace_slug, access.event.id),
            "Event saved. Attendees are told if the time or place changed.",
        )),
        Err(problem) if problem.status == 422 => {
            let shell =
                Shell::build(&state, &ctx, format!("Edit {}", access.event.details.title)).await;
            Ok(render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    shell,
                    event_id: Some(access.event.id),
                    groups: Vec::new(),
                    group: access.event.group_id.to_string(),
                    errors: field_errors(&problem),
                    repeat: "none".into(),
                    count: String::new(),
                    input: form.input,
                },
            ))
        }
        Err(problem) => Err(problem.into()),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    crate::events::cancel(&state, &access).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/events/{}", viewer.workspace_slug, access.event.id),
        "Event cancelled. Everyone who answered is told.",
    ))
}

#[derive(Template)]
#[template(path = "event_check_in.html")]
struct CheckInPage {
    shell: Shell,
    event: Event,
    when: String,
    query: String,
    attendees: Vec<Rsvp>,
    n_going: usize,
    n_checked_in: usize,
    /// The last check-in, announced at the top.
    done: Option<String>,
    errors: FieldErrors,
    code: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct CheckInQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    done: String,
}

async fn check_in_page(
    state: &AppState,
    ctx: &Ctx,
    access: &EventAccess,
    query: &str,
    done: Option<String>,
    errors: FieldErrors,
    code: String,
) -> PageResult {
    if !access.organizer {
        return Err(Problem::from(agora_core::events::EventError::NotOrganizer).into());
    }
    let all = state.db.attendees(access.event.id).await?;
    let n_going = all.iter().filter(|r| r.state == RsvpState::Going).count();
    let n_checked_in = all.iter().filter(|r| r.checked_in_at.is_some()).count();
    let needle = query.trim().to_lowercase();
    let attendees = all
        .into_iter()
        .filter(|r| {
            matches!(
                r.state,
                RsvpState::Going
                    | RsvpState::Waitlisted
                    | RsvpState::Interested
                    | RsvpState::Invited
            )
        })
        .filter(|r| {
            needle.is_empty()
                || r.name.to_lowercase().contains(&needle)
                || r.code.to_lowercase() == needle
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(
        state,
        ctx,
        format!("Check-in: {}", access.event.details.title),
    )
    .await;
    Ok(render_with_status(
        status,
        &CheckInPage {
            shell,
            when: when(&access.event),
            event: access.event.clone(),
            query: query.to_owned(),
            attendees,
            n_going,
            n_checked_in,
            done,
            errors,
            code,
        },
    ))
}

pub async fn check_in_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Query(query): Query<CheckInQuery>,
) -> PageResult {
    let (_, access, _) = access(&state, &ctx, &path).await?;
    let done = (!query.done.is_empty()).then(|| query.done.clone());
    check_in_page(
        &state,
        &ctx,
        &access,
        &query.q,
        done,
        FieldErrors::default(),
        String::new(),
    )
    .await
}

#[derive(Debug, Deserialize, Default)]
pub struct CheckInForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    member: Option<i64>,
}

pub async fn check_in(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<CheckInForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    let code = (!form.code.trim().is_empty()).then_some(form.code.as_str());
    match crate::events::check_in(&state, &access, code, form.member).await {
        Ok(done) => {
            let message = if done.newly {
                format!("{} is checked in.", done.name)
            } else {
                format!("{} was already checked in.", done.name)
            };
            Ok(Redirect::to(&format!(
                "/w/{}/events/{}/check-in?done={}",
                viewer.workspace_slug,
                access.event.id,
                urlencode(&message)
            ))
            .into_response())
        }
        Err(problem) if problem.status < 500 && problem.status != 403 => {
            check_in_page(
                &state,
                &ctx,
                &access,
                "",
                None,
                field_errors(&problem),
                form.code,
            )
            .await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct WalkInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

pub async fn walk_in(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<WalkInForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    match crate::events::walk_in(&state, &access, None, &form.name, &form.email).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "/w/{}/events/{}/check-in?done={}",
            viewer.workspace_slug,
            access.event.id,
            urlencode(&format!("{} was added and checked in.", done.name))
        ))
        .into_response()),
        Err(problem) if problem.status < 500 && problem.status != 403 => {
            check_in_page(
                &state,
                &ctx,
                &access,
                "",
                None,
                field_errors(&problem),
                String::new(),
            )
            .await
        }
        Err(problem) => Err(problem.into()),
    }
}

fn urlencode(text: &str) -> String {
    urlencoding::encode(text).into_owned()
}

pub async fn join(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    let url = crate::events::join_link(&state, &viewer, &access).await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    handles: String,
}

pub async fn invite(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<InviteForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    match crate::events::invite(&state, &viewer, &access, &form.handles).await {
        Ok(n) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/events/{}", viewer.workspace_slug, access.event.id),
            &format!("{n} invited; they are told in the app."),
        )),
        Err(problem) if problem.status < 500 && problem.status != 403 => {
            event_page(&state, &ctx, access, field_errors(&problem)).await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct FeedbackForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

pub async fn feedback(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<EventPath>,
    Form(form): Form<FeedbackForm>,
) -> PageResult {
    let (viewer, access, _) = access(&state, &ctx, &path).await?;
    match crate::events::feedback(&state, &viewer, &access, &form.rating, &form.comment).await {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/events/{}", viewer.workspace_slug, access.event.id),
            "Thank you for your feedback.",
        )),
        Err(problem) if problem.status < 500 => {
            event_page(&state, &ctx, access, field_errors(&problem)).await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct FeedForm {
    /// `revoke` to turn the feed off; anything else makes a new one.
    #[serde(default)]
    action: String,
}

/// Makes (or replaces, or revokes) the member's personal feed.
pub async fn feed(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<FeedForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let now = state.clock.now();
    if form.action == "revoke" {
        state.db.set_feed_token(viewer.member_id, None, now).await?;
        return Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/events", viewer.workspace_slug),
            "Your calendar feed is turned off: its address no longer works.",
        ));
    }
    let token = random_token(24);
    state
        .db
        .set_feed_token(viewer.member_id, Some(&token_digest(&token)), now)
        .await?;
    Ok(Redirect::to(&format!("/w/{}/events?feed={token}", viewer.workspace_slug)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct FeedPath {
    pub token: String,
}

/// A member's personal feed, for calendar apps (no cookie: the token is the key).
pub async fn personal_feed(State(state): State<AppState>, Path(path): Path<FeedPath>) -> Response {
    let token = path.token.strip_suffix(".ics").unwrap_or(&path.token);
    let found = state.db.member_by_feed_token(&token_digest(token)).await;
    match found {
        Ok(Some((_, member))) => {
            match crate::events::personal_ics(&state, member, "My events").await {
                Ok(body) => ics_response(body, "my-events.ics"),
                Err(error) => PageError::from(error).into_response(),
            }
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            "This calendar feed was turned off or never existed.",
        )
            .into_response(),
        Err(error) => PageError::from(error).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct GroupFeedPath {
    pub workspace: String,
    pub group: String,
}

/// A group's events as a calendar file.
pub async fn group_feed(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupFeedPath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let (space, membership) =
        crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    if !agora_core::community::can_read(&space, membership.as_ref(), viewer.is_staff) {
        return Err(PageError {
            status: StatusCode::FORBIDDEN,
            message: "Join the group to see its events.".into(),
        });
    }
    let now = state.clock.now();
    let events = state
        .db
        .list_events(
            viewer.workspace_id,
            &EventQuery {
                group_id: Some(space.id),
                from: Some(now.plus_millis(-365 * 86_400_000)),
                include_cancelled: true,
                limit: 5_000,
                ..EventQuery::default()
            },
        )
        .await?;
    let body = group_calendar(&state, &space, &events).await?;
    Ok(ics_response(body, &format!("{}.ics", space.slug)))
}

/// The calendar of a group's events (also used by the benchmark).
pub async fn group_calendar(
    state: &AppState,
    space: &Space,
    events: &[Event],
) -> Result<String, agora_core::StoreError> {
    let entries = crate::events::calendar_entries(state, events).await?;
    Ok(agora_core::ical::write_calendar(&space.name, &entries))
}
