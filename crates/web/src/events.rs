//! The events' use cases, shared by pages and the API: who may see, create,
//! organise and answer an event; RSVPs (one occurrence or a whole series)
//! and the notices they cause; check-in by code, from the list, at the door
//! and through the join link, with the attendance and co-attendance they
//! write to the member graph; feedback; and calendar files.
//!
//! An event's visibility follows its group: whoever may read the group may
//! see and answer its events. Organizers are the event's creator, the
//! group's owners and moderators, and the workspace's moderators.

use std::collections::BTreeMap;

use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::{
    CommunityStore, GroupMembership, Space, SpaceKind, can_manage_group, can_read,
};
use agora_core::events::{
    CheckInMethod, Event, EventDetails, EventError, EventId, EventInput, EventQuery, EventStore,
    NewEvent, NewSeries, Rsvp, RsvpChoice, RsvpOutcome, RsvpState, check_event, new_check_in_code,
    new_uid, normalise_code,
};
use agora_core::ical::{EventStatus, VEvent, write_calendar};
use agora_core::jobs::JobStore;
use agora_core::members::{MemberId, MemberStore, NewMember};
use agora_core::{StoreError, Timestamp};
use agora_jobs::events::{Notice, notice_now, reminder_jobs};

use crate::AppState;
use crate::community::{Viewer, visible_group, visible_groups};
use crate::problem::{Problem, status_for};

impl From<EventError> for Problem {
    fn from(error: EventError) -> Self {
        let mut problem = Problem::new(status_for(error.kind()), "events", &error.to_string());
        if let Some(field) = error.field() {
            problem = problem.field(field, error.to_string());
        }
        problem
    }
}

/// The problems of a form, one per field.
pub fn invalid(errors: Vec<EventError>) -> Problem {
    errors.into_iter().fold(
        Problem::invalid("the event is not valid"),
        |problem, error| match error.field() {
            Some(field) => problem.field(field, error.to_string()),
            None => problem.detail(error.to_string()),
        },
    )
}

/// An event the viewer may see, and what they may do with it.
#[derive(Debug, Clone)]
pub struct EventAccess {
    pub event: Event,
    pub space: Space,
    pub membership: Option<GroupMembership>,
    pub organizer: bool,
    /// Whether the viewer may answer (they may read the group).
    pub can_answer: bool,
    pub rsvp: Option<Rsvp>,
}

pub async fn visible_event(
    state: &AppState,
    viewer: &Viewer,
    id: EventId,
) -> Result<EventAccess, Problem> {
    let hidden = || Problem::not_found("no such event, or it is in a group you cannot see");
    let event = state
        .db
        .event(id)
        .await?
        .filter(|event| event.workspace_id == viewer.workspace_id)
        .ok_or_else(hidden)?;
    let space = state
        .db
        .space_by_id(viewer.workspace_id, event.group_id)
        .await?;
    let (space, membership) = visible_group(state, viewer, space)
        .await
        .map_err(|_| hidden())?;
    let organizer = event.created_by == viewer.member_id
        || viewer.moderates
        || can_manage_group(membership.as_ref(), false);
    let can_answer = can_read(&space, membership.as_ref(), viewer.is_staff);
    let rsvp = state.db.rsvp_of(id, viewer.member_id).await?;
    Ok(EventAccess {
        event,
        space,
        membership,
        organizer,
        can_answer,
        rsvp,
    })
}

/// Groups the viewer may create events in: those they manage; every
/// visible group for staff.
pub async fn hosting_groups(state: &AppState, viewer: &Viewer) -> Result<Vec<Space>, StoreError> {
    Ok(visible_groups(state, viewer)
        .await?
        .into_iter()
        .filter(|(_, membership)| {
            viewer.is_staff || viewer.moderates || can_manage_group(membership.as_ref(), false)
        })
        .map(|(space, _)| space)
        .collect())
}

/// Upcoming (or past) events in the groups the viewer may read.
pub async fn visible_events(
    state: &AppState,
    viewer: &Viewer,
    query: &EventQuery,
) -> Result<Vec<Event>, StoreError> {
    let readable: Vec<i64> = visible_groups(state, viewer)
        .await?
        .into_iter()
        .filter(|(space, membership)| can_read(space, membership.as_ref(), viewer.is_staff))
        .map(|(space, _)| space.id)
        .collect();
    Ok(state
        .db
        .list_events(viewer.workspace_id, query)
        .await?
        .into_iter()
        .filter(|event| readable.contains(&event.group_id))
        .collect())
}

async fn enqueue_reminders(
    state: &AppState,
    event: &Event,
    now: Timestamp,
) -> Result<(), StoreError> {
    for job in reminder_jobs(event, now) {
        state.db.enqueue(&job, now).await?;
    }
    Ok(())
}

/// Creates an event or a series in a group the viewer hosts; answers the
/// (first) event's id.
pub async fn create(
    state: &AppState,
    viewer: &Viewer,
    group_id: i64,
    input: &EventInput,
) -> Result<EventId, Problem> {
    let Some(space) = hosting_groups(state, viewer)
        .await?
        .into_iter()
        .find(|space| space.id == group_id && space.kind == SpaceKind::Group)
    else {
        return Err(Problem::invalid("the event is not valid")
            .field("group", "choose a group you organise events for"));
    };
    let (details, series) = check_event(input).map_err(invalid)?;
    let now = state.clock.now();
    let new_event = NewEvent {
        workspace_id: viewer.workspace_id,
        group_id: space.id,
        created_by: viewer.member_id,
        uid: new_uid(&viewer.workspace_slug),
        details,
    };
    let ids = match series {
        Some(series) => {
            state
                .db
                .create_series(
                    &NewSeries {
                        event: new_event,
                        rrule: series.rrule,
                        exdates: series.exdates,
                        occurrences: series.occurrences,
                    },
                    now,
                )
                .await?
                .1
        }
        None => vec![state.db.create_event(&new_event, now).await?],
    };
    for id in &ids {
        if let Some(event) = state.db.event(*id).await? {
            enqueue_reminders(state, &event, now).await?;
        }
    }
    ids.first().copied().ok_or_else(|| {
        Problem::invalid("the rule gives no occurrence")
            .field("rrule", "the rule gives no occurrence")
    })
}

/// The form's values for an event, to edit it.
pub fn input_of(event: &Event) -> EventInput {
    let local = |at: Timestamp| {
        agora_core::posts::parse_timezone(&event.details.timezone)
            .map(|tz| {
                at.to_datetime()
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    EventInput {
        title: event.details.title.clone(),
        description: event.details.description.clone(),
        timezone: event.details.timezone.clone(),
        starts_at: local(event.details.starts_at),
        ends_at: local(event.details.ends_at),
        format: event.details.format.as_str().to_owned(),
        join_url: event.details.join_url.clone().unwrap_or_default(),
        venue: event.details.venue.clone(),
        address: event.details.address.clone(),
        capacity: event
            .details
            .capacity
            .map(|c| c.to_string())
            .unwrap_or_default(),
        rsvp_deadline: event.details.rsvp_deadline.map(local).unwrap_or_default(),
        rrule: String::new(),
        exdates: String::new(),
    }
}

/// Saves an organizer's changes: attendees are told when the time or place
/// moved, reminders follow the new time, and a larger capacity promotes.
pub async fn update(
    state: &AppState,
    access: &EventAccess,
    input: &EventInput,
) -> Result<(), Problem> {
    if !access.organizer {
        return Err(EventError::NotOrganizer.into());
    }
    let mut input = input.clone();
    input.rrule.clear();
    let (details, _) = check_event(&input).map_err(invalid)?;
    let now = state.clock.now();
    let promoted = state
        .db
        .update_event(access.event.id, &details, now)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(message) => {
                Problem::invalid("the event is not valid").field("capacity", message)
            }
            other => other.into(),
        })?;
    let Some(event) = state.db.event(access.event.id).await? else {
        return Err(Problem::not_found("the event was removed"));
    };
    if moved(&access.event.details, &details) {
        state
            .db
            .enqueue(&notice_now(&event, Notice::Changed, Vec::new(), now), now)
            .await?;
    }
    if !promoted.is_empty() {
        state
            .db
            .enqueue(&notice_now(&event, Notice::Promoted, promoted, now), now)
            .await?;
    }
    enqueue_reminders(state, &event, now).await?;
    Ok(())
}

fn moved(before: &EventDetails, after: &EventDetails) -> bool {
    before.starts_at != after.starts_at
        || before.ends_at != after.ends_at
        || before.venue != after.venue
        || before.address != after.address
        || before.format != after.format
}

pub async fn cancel(state: &AppState, access: &EventAccess) -> Result<(), Problem> {
    if !access.organizer {
        return Err(EventError::NotOrganizer.into());
    }
    let now = state.clock.now();
    state.db.cancel_event(access.event.id, now).await?;
    if let Some(event) = state.db.event(access.event.id).await? {
        state
            .db
            .enqueue(&notice_now(&event, Notice::Cancelled, Vec::new(), now), now)
            .await?;
    }
    Ok(())
}

/// Answers one event.
pub async fn rsvp(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
    choice: RsvpChoice,
) -> Result<RsvpOutcome, Problem> {
    if !access.can_answer {
        return Err(Problem::forbidden("join the group to answer its events"));
    }
    let now = state.clock.now();
    if let Some(closed) = access.event.rsvp_closed(now) {
        return Err(closed.into());
    }
    let outcome = state
        .db
        .rsvp(
            access.event.id,
            viewer.member_id,
            choice,
            &new_check_in_code(),
            now,
        )
        .await?;
    if outcome.changed && outcome.state == RsvpState::Going {
        state
            .db
            .record_interactions(&[NewInteraction {
                workspace_id: viewer.workspace_id,
                space_id: access.event.group_id,
                actor_id: viewer.member_id,
                target_id: None,
                kind: InteractionKind::Rsvp,
                at: now,
                source: "native".into(),
                actor_is_staff: viewer.is_staff,
                thread_id: None,
            }])
            .await?;
    }
    if !outcome.promoted.is_empty() {
        state
            .db
            .enqueue(
                &notice_now(
                    &access.event,
                    Notice::Promoted,
                    outcome.promoted.clone(),
                    now,
                ),
                now,
            )
            .await?;
    }
    Ok(outcome)
}

/// Answers every coming occurrence of the event's series (or just the event).
pub async fn rsvp_series(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
    choice: RsvpChoice,
) -> Result<Vec<(EventId, RsvpOutcome)>, Problem> {
    let Some(series) = access.event.series_id else {
        return Ok(vec![(
            access.event.id,
            rsvp(state, viewer, access, choice).await?,
        )]);
    };
    let now = state.clock.now();
    let mut outcomes = Vec::new();
    for occurrence in state.db.series_events(series).await? {
        if occurrence.rsvp_closed(now).is_some()
            || occurrence.details.starts_at < access.event.details.starts_at
        {
            continue;
        }
        let one = EventAccess {
            rsvp: None,
            event: occurrence,
            ..access.clone()
        };
        outcomes.push((one.event.id, rsvp(state, viewer, &one, choice).await?));
    }
    Ok(outcomes)
}

fn going(access: &EventAccess) -> bool {
    access
        .rsvp
        .as_ref()
        .is_some_and(|rsvp| rsvp.state == agora_core::events::RsvpState::Going)
}

fn invite_locked() -> String {
    use agora_core::moderation::{INVITE_LEVEL, level_name};
    format!(
        "inviting others to an event you are going to unlocks at trust level {INVITE_LEVEL} ({})",
        level_name(INVITE_LEVEL)
    )
}

/// Who may invite members to an event: its organizers and staff, and members
/// going to it once trust unlocks invitations ([`INVITE_LEVEL`]).
///
/// [`INVITE_LEVEL`]: agora_core::moderation::INVITE_LEVEL
pub async fn may_invite(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
) -> Result<bool, agora_core::StoreError> {
    use agora_core::moderation::{INVITE_LEVEL, ModerationStore};
    if access.organizer || viewer.is_staff {
        return Ok(true);
    }
    Ok(going(access) && state.db.trust_of(viewer.member_id).await?.level >= INVITE_LEVEL)
}

/// Invites members by handle (`@ann`, comma or space separated): each is
/// told in the app and may answer; those who already answered are left as
/// they are. Answers how many were invited.
pub async fn invite(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
    handles: &str,
) -> Result<usize, Problem> {
    if !may_invite(state, viewer, access).await? {
        if !going(access) {
            return Err(EventError::NotOrganizer.into());
        }
        return Err(Problem::forbidden(invite_locked()));
    }
    let wanted: Vec<String> = handles
        .split([',', ' ', '\n'])
        .map(|h| h.trim().trim_start_matches('@').to_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if wanted.is_empty() || wanted.len() > 20 {
        return Err(Problem::invalid("name who to invite")
            .field("handles", "enter 1 to 20 handles, like @ann-rider"));
    }
    let found = state
        .db
        .members_by_handles(viewer.workspace_id, &wanted)
        .await?;
    if let Some(missing) = wanted
        .iter()
        .find(|h| !found.iter().any(|(_, handle)| handle == *h))
    {
        return Err(Problem::invalid("no such member")
            .field("handles", format!("nobody here has the handle @{missing}")));
    }
    let now = state.clock.now();
    let mut invited = 0;
    for (member, _) in found {
        if state
            .db
            .invite(access.event.id, member, &new_check_in_code(), now)
            .await?
        {
            state
                .db
                .notify_event(
                    viewer.workspace_id,
                    member,
                    viewer.member_id,
                    access.event.id,
                    &format!("invited you to {}", access.event.details.title),
                    now,
                )
                .await?;
            invited += 1;
        }
    }
    Ok(invited)
}

/// Writes a check-in to the member graph: the check-in itself, and one
/// co-attendance edge each way with everyone already checked in.
async fn record_attendance(
    state: &AppState,
    event: &Event,
    member: MemberId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let staff = state.db.member_is_staff(member).await?;
    let mut interactions = vec![NewInteraction {
        workspace_id: event.workspace_id,
        space_id: event.group_id,
        actor_id: member,
        target_id: None,
        kind: InteractionKind::CheckIn,
        at: now,
        source: "native".into(),
        actor_is_staff: staff,
        thread_id: None,
    }];
    for other in state.db.attendees(event.id).await? {
        if other.member_id == member || other.checked_in_at.is_none() {
            continue;
        }
        let other_staff = state.db.member_is_staff(other.member_id).await?;
        for (actor, target, actor_is_staff) in [
            (member, other.member_id, staff),
            (other.member_id, member, other_staff),
        ] {
            interactions.push(NewInteraction {
                workspace_id: event.workspace_id,
                space_id: event.group_id,
                actor_id: actor,
                target_id: Some(target),
                kind: InteractionKind::CoAttendance,
                at: now,
                source: "native".into(),
                actor_is_staff,
                thread_id: None,
            });
        }
    }
    state.db.record_interactions(&interactions).await
}

/// The result of a check-in, for the organizer's screen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckedIn {
    pub member_id: MemberId,
    pub name: String,
    /// False when they had already been checked in.
    pub newly: bool,
}

/// Checks in the attendee holding `code`, or the member `member`.
pub async fn check_in(
    state: &AppState,
    access: &EventAccess,
    code: Option<&str>,
    member: Option<MemberId>,
) -> Result<CheckedIn, Problem> {
    if !access.organizer {
        return Err(EventError::NotOrganizer.into());
    }
    if access.event.cancelled_at.is_some() {
        return Err(EventError::Cancelled.into());
    }
    let (rsvp, method) = match (code.map(normalise_code).filter(|c| !c.is_empty()), member) {
        (Some(code), _) => (
            state.db.rsvp_by_code(access.event.id, &code).await?,
            CheckInMethod::Code,
        ),
        (None, Some(member)) => (
            state.db.rsvp_of(access.event.id, member).await?,
            CheckInMethod::Organizer,
        ),
        (None, None) => {
            return Err(
                Problem::invalid("type or scan a code").field("code", "type or scan a code")
            );
        }
    };
    let Some(rsvp) = rsvp else {
        return Err(EventError::UnknownCode.into());
    };
    if rsvp.state != RsvpState::Going {
        let message = format!(
            "{} is {}, not going: add them as a walk-in if a seat is left",
            rsvp.name,
            rsvp.state.label().to_lowercase()
        );
        return Err(Problem::invalid(message.clone()).field("code", message));
    }
    let now = state.clock.now();
    let newly = state
        .db
        .check_in(access.event.id, rsvp.member_id, method, now)
        .await?;
    if newly {
        record_attendance(state, &access.event, rsvp.member_id, now).await?;
    }
    Ok(CheckedIn {
        member_id: rsvp.member_id,
        name: rsvp.name,
        newly,
    })
}

/// Adds someone at the door: a member already known (by id), or a new one
/// by name (and e-mail).
pub async fn walk_in(
    state: &AppState,
    access: &EventAccess,
    member: Option<MemberId>,
    name: &str,
    email: &str,
) -> Result<CheckedIn, Problem> {
    if !access.organizer {
        return Err(EventError::NotOrganizer.into());
    }
    let now = state.clock.now();
    let (member, name) = match member {
        Some(member) => {
            let profile = state
                .db
                .profile(access.event.workspace_id, member)
                .await?
                .ok_or_else(|| Problem::not_found("no such member"))?;
            (member, profile.name)
        }
        None => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 80 {
                return Err(Problem::invalid("enter the walk-in's name")
                    .field("name", "enter a name of 1 to 80 characters"));
            }
            let email = email.trim();
            if !email.is_empty() && agora_core::accounts::Email::parse(email).is_err() {
                return Err(Problem::invalid("the e-mail address is not valid").field(
                    "email",
                    "enter an address like ada@example.com, or leave it empty",
                ));
            }
            let id = state
                .db
                .create_member(&NewMember {
                    workspace_id: access.event.workspace_id,
                    account_id: None,
                    name: name.to_owned(),
                    email: (!email.is_empty()).then(|| email.to_owned()),
                    joined_at: now,
                    is_staff: false,
                })
                .await?;
            (id, name.to_owned())
        }
    };
    if !state
        .db
        .walk_in(access.event.id, member, &new_check_in_code(), now)
        .await?
    {
        return Err(EventError::Full.into());
    }
    record_attendance(state, &access.event, member, now).await?;
    Ok(CheckedIn {
        member_id: member,
        name,
        newly: true,
    })
}

/// Where the join link leads, for a going member; opening it while the
/// event runs records online attendance.
pub async fn join_link(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
) -> Result<String, Problem> {
    let going = access
        .rsvp
        .as_ref()
        .is_some_and(|rsvp| rsvp.state == RsvpState::Going);
    let Some(url) = access.event.details.join_url.clone().filter(|_| going) else {
        return Err(Problem::forbidden(
            "the join link is for members who are going",
        ));
    };
    let now = state.clock.now();
    if access.event.is_live(now)
        && state
            .db
            .check_in(
                access.event.id,
                viewer.member_id,
                CheckInMethod::Online,
                now,
            )
            .await?
    {
        record_attendance(state, &access.event, viewer.member_id, now).await?;
    }
    Ok(url)
}

/// Feedback from someone who was going, once the event started.
pub async fn feedback(
    state: &AppState,
    viewer: &Viewer,
    access: &EventAccess,
    rating: &str,
    comment: &str,
) -> Result<(), Problem> {
    let now = state.clock.now();
    let attended = access
        .rsvp
        .as_ref()
        .is_some_and(|rsvp| rsvp.state == RsvpState::Going);
    if !attended || !access.event.has_started(now) {
        return Err(EventError::NotAttendee.into());
    }
    let rating = match rating.trim().parse::<i64>() {
        Ok(n @ 1..=5) => n,
        _ => {
            return Err(
                Problem::invalid("choose a rating").field("rating", "choose a rating from 1 to 5")
            );
        }
    };
    if comment.chars().count() > 2_000 {
        return Err(Problem::invalid("the comment is too long")
            .field("comment", "use at most 2,000 characters"));
    }
    state
        .db
        .save_feedback(
            access.event.id,
            viewer.member_id,
            rating,
            comment.trim(),
            now,
        )
        .await?;
    Ok(())
}

fn vevent(event: &Event, public_url: &str, own_uid: bool) -> VEvent {
    let page = format!(
        "{public_url}/w/{}/events/{}",
        event.workspace_slug, event.id
    );
    let mut description = event.details.description.clone();
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&page);
    VEvent {
        uid: if own_uid && event.series_id.is_some() {
            format!("{}-{}", event.id, event.uid)
        } else {
            event.uid.clone()
        },
        sequence: event.sequence,
        dtstamp: event.updated_at,
        start: event.details.starts_at,
        end: event.details.ends_at,
        timezone: event.details.timezone.clone(),
        summary: event.details.title.clone(),
        description,
        location: event.details.location(),
        url: Some(page),
        status: if event.cancelled_at.is_some() {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        },
        rrule: None,
        exdates: Vec::new(),
        recurrence_id: None,
        last_until: None,
    }
}

/// Calendar entries for events: standalone events as they are; a series as
/// one entry with its rule and exceptions, plus an override for each
/// occurrence changed since.
pub async fn calendar_entries(
    state: &AppState,
    events: &[Event],
) -> Result<Vec<VEvent>, StoreError> {
    let public_url = &state.settings.public_url;
    let mut entries = Vec::new();
    let mut series_ids = BTreeMap::new();
    for event in events {
        match event.series_id {
            None => entries.push(vevent(event, public_url, false)),
            Some(series) => {
                series_ids.entry(series).or_insert(());
            }
        }
    }
    for series_id in series_ids.keys() {
        let Some(series) = state.db.series(*series_id).await? else {
            continue;
        };
        let occurrences = state.db.series_events(*series_id).await?;
        let Some(first) = occurrences
            .iter()
            .find(|e| e.recurrence_id == Some(series.first_start))
            .or(occurrences.first())
        else {
            continue;
        };
        let duration = first.details.ends_at.0 - first.details.starts_at.0;
        let mut master = vevent(first, public_url, false);
        master.start = series.first_start;
        master.end = series.first_start.plus_millis(duration);
        master.sequence = series.sequence;
        master.status = EventStatus::Confirmed;
        master.rrule = Some(series.rrule.clone());
        master.exdates = series.exdates.clone();
        master.last_until = occurrences.last().map(|e| e.details.ends_at);
        master.url = Some(format!(
            "{public_url}/w/{}/events/{}",
            first.workspace_slug, first.id
        ));
        entries.push(master);
        for occurrence in &occurrences {
            let changed = occurrence.sequence > 0 && occurrence.cancelled_at.is_none();
            if changed {
                let mut entry = vevent(occurrence, public_url, false);
                entry.recurrence_id = occurrence.recurrence_id;
                entries.push(entry);
            }
        }
    }
    Ok(entries)
}

/// The `.ics` of one event (a whole series for an occurrence of one).
pub async fn event_ics(state: &AppState, event: &Event) -> Result<String, StoreError> {
    let entries = calendar_entries(state, std::slice::from_ref(event)).await?;
    Ok(write_calendar(&event.details.title, &entries))
}

/// A member's personal feed: each occurrence they are going to, on its own.
pub async fn personal_ics(
    state: &AppState,
    member: MemberId,
    name: &str,
) -> Result<String, StoreError> {
    let from = state.clock.now().plus_millis(-90 * 86_400_000);
    let entries: Vec<VEvent> = state
        .db
        .member_events(member, from)
        .await?
        .into_iter()
        .map(|(event, _)| vevent(&event, &state.settings.public_url, true))
        .collect();
    Ok(write_calendar(name, &entries))
}
