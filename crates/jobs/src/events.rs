//! Event notices through the queue: reminders 24 hours and 1 hour before an
//! event, and the news that someone was promoted from the waitlist, that the
//! event moved, or that it was cancelled. Each goes in-app and by e-mail.
//!
//! A reminder carries the event's sequence when it was scheduled. Moving an
//! event bumps the sequence and schedules new reminders; the old ones find a
//! different sequence when their time comes and send nothing: that is how
//! they are cancelled, without a race against a worker that already claimed
//! them. E-mails are keyed by (event, sequence, notice, member), so a retried
//! job never sends one twice.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use agora_core::email::OutgoingEmail;
use agora_core::events::{Event, EventStore, REMINDERS, RsvpState, qr_html_table};
use agora_core::jobs::{JobStore, NewJob};
use agora_core::members::{MemberId, MemberStore};
use agora_core::posts::utc_to_local;
use agora_core::{Clock, StoreError, Timestamp};

use crate::{JobError, Registry};

pub const NOTICE_KIND: &str = "event.notice";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// 24 h or 1 h before, to those going.
    Reminder,
    /// To members moved from the waitlist to going.
    Promoted,
    /// The time or place changed: to those going and waitlisted.
    Changed,
    /// To everyone who answered.
    Cancelled,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    event_id: i64,
    sequence: i64,
    notice: Notice,
    #[serde(default)]
    label: String,
    /// For `Promoted`: who.
    #[serde(default)]
    members: Vec<MemberId>,
}

/// The reminder jobs for an event's current sequence (those still in the future).
pub fn reminder_jobs(event: &Event, now: Timestamp) -> Vec<NewJob> {
    if event.cancelled_at.is_some() {
        return Vec::new();
    }
    REMINDERS
        .iter()
        .filter_map(|(label, before)| {
            let at = event.details.starts_at.plus_millis(-before);
            (at > now).then(|| {
                notice_job(
                    event,
                    Payload {
                        event_id: event.id,
                        sequence: event.sequence,
                        notice: Notice::Reminder,
                        label: (*label).to_owned(),
                        members: Vec::new(),
                    },
                    at,
                )
            })
        })
        .collect()
}

/// A notice to send now (`members` only for `Promoted`).
pub fn notice_now(event: &Event, notice: Notice, members: Vec<MemberId>, now: Timestamp) -> NewJob {
    notice_job(
        event,
        Payload {
            event_id: event.id,
            sequence: event.sequence,
            notice,
            label: String::new(),
            members,
        },
        now,
    )
}

fn notice_job(event: &Event, payload: Payload, at: Timestamp) -> NewJob {
    let who = payload
        .members
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("-");
    let key = format!(
        "event-notice:{}:{}:{:?}:{}:{who}",
        payload.event_id, payload.sequence, payload.notice, payload.label
    );
    NewJob::new(
        NOTICE_KIND,
        serde_json::to_value(&payload).unwrap_or_default(),
        at,
    )
    .for_workspace(event.workspace_id)
    .unique(key)
}

/// Sends one notice; answers how many members it reached.
async fn send<S>(
    store: &S,
    payload: &Payload,
    now: Timestamp,
    public_url: &str,
) -> Result<usize, StoreError>
where
    S: EventStore + MemberStore + JobStore,
{
    let Some(event) = store.event(payload.event_id).await? else {
        return Ok(0);
    };
    let retired = payload.notice == Notice::Reminder
        && (event.sequence != payload.sequence || event.cancelled_at.is_some());
    if retired {
        return Ok(0);
    }
    let attendees = store.attendees(event.id).await?;
    let recipients: Vec<_> = attendees
        .iter()
        .filter(|rsvp| match payload.notice {
            Notice::Reminder => rsvp.state == RsvpState::Going,
            Notice::Promoted => {
                rsvp.state == RsvpState::Going && payload.members.contains(&rsvp.member_id)
            }
            Notice::Changed => matches!(rsvp.state, RsvpState::Going | RsvpState::Waitlisted),
            Notice::Cancelled => rsvp.state != RsvpState::NotGoing,
        })
        .collect();
    let when = format!(
        "{} – {}",
        utc_to_local(event.details.starts_at, &event.details.timezone),
        utc_to_local(event.details.ends_at, &event.details.timezone)
    );
    let page = format!(
        "{public_url}/w/{}/events/{}",
        event.workspace_slug, event.id
    );
    let title = &event.details.title;
    for rsvp in &recipients {
        let (subject, lead) = match payload.notice {
            Notice::Reminder if payload.label == "1h" => (
                format!("In one hour: {title}"),
                format!("{title} starts in one hour."),
            ),
            Notice::Reminder => (
                format!("Tomorrow: {title}"),
                format!("{title} is tomorrow."),
            ),
            Notice::Promoted => (
                format!("You're in: {title}"),
                format!(
                    "A seat opened up at {title}: you were next on the waitlist, and you are now going."
                ),
            ),
            Notice::Changed => (
                format!("Changed: {title}"),
                format!("{title} has changed. The new time is {when}."),
            ),
            Notice::Cancelled => (
                format!("Cancelled: {title}"),
                format!("{title} ({when}) was cancelled by its organizers."),
            ),
        };
        store
            .notify_event(
                event.workspace_id,
                rsvp.member_id,
                event.created_by,
                event.id,
                &lead,
                now,
            )
            .await?;
        let Some(target) = store.email_target(rsvp.member_id).await? else {
            continue;
        };
        if payload.notice == Notice::Reminder && !target.enabled {
            continue;
        }
        let going = rsvp.state == RsvpState::Going && payload.notice != Notice::Cancelled;
        let place = place_lines(&event, going, public_url);
        let code_text = if going {
            format!(
                "\nYour check-in code: {} (the QR code is on the event page).\n",
                rsvp.code
            )
        } else {
            String::new()
        };
        let text = format!(
            "Hello {},\n\n{lead}\n\nWhen: {when}\n{place}{code_text}\nThe event: {page}\n",
            target.name
        );
        let html = going.then(|| {
            format!(
                "<p>Hello {},</p><p>{}</p><p><strong>When:</strong> {}</p><p>{}</p>\
                 <p>Your check-in code: <strong style=\"font-family:monospace;font-size:1.2em\">{}</strong></p>{}\
                 <p><a href=\"{}\">Open the event</a></p>",
                escape(&target.name),
                escape(&lead),
                escape(&when),
                escape(&place).replace('\n', "<br>"),
                rsvp.code,
                qr_html_table(&rsvp.code),
                escape(&page),
            )
        });
        let email = OutgoingEmail {
            to: target.email,
            subject,
            text,
            html,
            message_key: format!(
                "event.{:?}{}.{}.{}.{}",
                payload.notice, payload.label, event.id, event.sequence, rsvp.member_id
            ),
            unsubscribe_url: None,
        };
        store.enqueue(&email.into_job(now), now).await?;
    }
    Ok(recipients.len())
}

fn place_lines(event: &Event, going: bool, public_url: &str) -> String {
    let mut lines = String::new();
    if let Some(location) = event
        .details
        .location()
        .filter(|_| event.details.format.has_venue())
    {
        lines.push_str(&format!("Where: {location}\n"));
        if let Some(map) = event.details.map_url() {
            lines.push_str(&format!("Map: {map}\n"));
        }
    }
    if event.details.format.has_join_link() {
        if going {
            lines.push_str(&format!(
                "Join online: {public_url}/w/{}/events/{}/join\n",
                event.workspace_slug, event.id
            ));
        } else {
            lines.push_str("Online: the join link is shown to members who are going.\n");
        }
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Registers the notice handler.
pub fn register<S>(registry: &mut Registry, store: S, clock: Arc<dyn Clock>, public_url: String)
where
    S: EventStore + MemberStore + JobStore,
{
    registry.register(NOTICE_KIND, move |job| {
        let (store, clock, public_url) = (store.clone(), clock.clone(), public_url.clone());
        async move {
            let payload: Payload = serde_json::from_value(job.payload.clone())
                .map_err(|error| JobError::Permanent(format!("bad event notice: {error}")))?;
            let n = send(&store, &payload, clock.now(), &public_url)
                .await
                .map_err(|error| JobError::Retry(error.to_string()))?;
            tracing::info!(event = payload.event_id, notice = ?payload.notice, n, "event notice sent");
            Ok(())
        }
    });
}
