//! Events (C6): online, offline and hybrid events hosted by a group, with
//! RSVPs, a capacity that never over-books, a first-come-first-served
//! waitlist, personal check-in codes, recurring series, and feedback.
//!
//! An event is one occurrence. A series is a recurrence rule
//! ([`crate::recurrence`]) whose occurrences are stored as events pointing to
//! it, each with its `recurrence_id` (the start the rule gave it), so that a
//! member RSVPs to one occurrence or to every coming one, and a moved or
//! cancelled occurrence is written to calendar files as an override or an
//! `EXDATE`.
//!
//! Capacity is enforced in the store: every RSVP change takes the event's row
//! lock first (an `UPDATE` of its arrival counter), so two requests for the
//! last seat are serialised on SQLite and PostgreSQL alike, and the arrival
//! counter orders the waitlist.

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::community::SpaceId;
use crate::error::{ErrorKind, StoreError};
use crate::members::MemberId;

pub type EventId = i64;
pub type SeriesId = i64;

/// Longest an event may last.
pub const MAX_DURATION_MILLIS: i64 = 14 * 24 * 3_600_000;
/// Largest capacity accepted (a stadium, not a typo's worth of zeros).
pub const MAX_CAPACITY: i64 = 100_000;
/// How early before the start opening the join link counts as attending.
pub const JOIN_EARLY_MILLIS: i64 = 15 * 60_000;
/// Reminders go out this long before the start.
pub const REMINDERS: [(&str, i64); 2] = [("24h", 24 * 3_600_000), ("1h", 3_600_000)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventFormat {
    Online,
    Offline,
    Hybrid,
}

impl EventFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            EventFormat::Online => "online",
            EventFormat::Offline => "offline",
            EventFormat::Hybrid => "hybrid",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "online" => Some(EventFormat::Online),
            "offline" | "in_person" => Some(EventFormat::Offline),
            "hybrid" => Some(EventFormat::Hybrid),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventFormat::Online => "Online",
            EventFormat::Offline => "In person",
            EventFormat::Hybrid => "Hybrid",
        }
    }

    pub fn has_venue(self) -> bool {
        matches!(self, EventFormat::Offline | EventFormat::Hybrid)
    }

    pub fn has_join_link(self) -> bool {
        matches!(self, EventFormat::Online | EventFormat::Hybrid)
    }
}

/// Where a member stands with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RsvpState {
    Going,
    Interested,
    NotGoing,
    Waitlisted,
    Invited,
}

impl RsvpState {
    pub fn as_str(self) -> &'static str {
        match self {
            RsvpState::Going => "going",
            RsvpState::Interested => "interested",
            RsvpState::NotGoing => "not_going",
            RsvpState::Waitlisted => "waitlisted",
            RsvpState::Invited => "invited",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "going" => Some(RsvpState::Going),
            "interested" => Some(RsvpState::Interested),
            "not_going" => Some(RsvpState::NotGoing),
            "waitlisted" => Some(RsvpState::Waitlisted),
            "invited" => Some(RsvpState::Invited),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RsvpState::Going => "Going",
            RsvpState::Interested => "Interested",
            RsvpState::NotGoing => "Not going",
            RsvpState::Waitlisted => "Waitlisted",
            RsvpState::Invited => "Invited",
        }
    }
}

/// What a member can ask for; the answer may be `Waitlisted` instead of `Going`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RsvpChoice {
    Going,
    Interested,
    NotGoing,
}

impl RsvpChoice {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "going" => Some(RsvpChoice::Going),
            "interested" => Some(RsvpChoice::Interested),
            "not_going" | "cancel" => Some(RsvpChoice::NotGoing),
            _ => None,
        }
    }

    pub fn state(self) -> RsvpState {
        match self {
            RsvpChoice::Going => RsvpState::Going,
            RsvpChoice::Interested => RsvpState::Interested,
            RsvpChoice::NotGoing => RsvpState::NotGoing,
        }
    }
}

/// How an attendee was checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInMethod {
    /// The organizer typed or scanned the attendee's code.
    Code,
    /// The organizer picked the attendee from the list.
    Organizer,
    /// Someone who had not RSVPed, added at the door.
    WalkIn,
    /// A going member opened the join link during the event.
    Online,
}

impl CheckInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckInMethod::Code => "code",
            CheckInMethod::Organizer => "organizer",
            CheckInMethod::WalkIn => "walk_in",
            CheckInMethod::Online => "online",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "code" => Some(CheckInMethod::Code),
            "organizer" => Some(CheckInMethod::Organizer),
            "walk_in" => Some(CheckInMethod::WalkIn),
            "online" => Some(CheckInMethod::Online),
            _ => None,
        }
    }
}

/// What an organizer sets on an event (already checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDetails {
    pub title: String,
    /// Markdown, rendered with [`crate::community::render_markdown`].
    pub description: String,
    pub timezone: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub format: EventFormat,
    /// Shown only to members who are going.
    pub join_url: Option<String>,
    pub venue: String,
    pub address: String,
    /// `None`: no limit.
    pub capacity: Option<i64>,
    pub rsvp_deadline: Option<Timestamp>,
}

impl EventDetails {
    /// A link to the address on OpenStreetMap.
    pub fn map_url(&self) -> Option<String> {
        let query = [self.venue.trim(), self.address.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        if query.is_empty() || !self.format.has_venue() {
            return None;
        }
        let encoded: String = query
            .bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (byte as char).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect();
        Some(format!(
            "https://www.openstreetmap.org/search?query={encoded}"
        ))
    }

    /// The venue and address on one line, for calendar files.
    pub fn location(&self) -> Option<String> {
        let parts: Vec<&str> = [self.venue.trim(), self.address.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect();
        match (parts.is_empty(), self.format) {
            (false, _) => Some(parts.join(", ")),
            (true, EventFormat::Online) => Some("Online".to_owned()),
            (true, _) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub workspace_id: WorkspaceId,
    pub group_id: SpaceId,
    pub created_by: MemberId,
    /// Stable iCalendar UID (the series' UID for an occurrence).
    pub uid: String,
    pub details: EventDetails,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeries {
    pub event: NewEvent,
    /// Canonical rule text without the `RRULE:` prefix.
    pub rrule: String,
    pub exdates: Vec<Timestamp>,
    /// Every occurrence's start; the first is `event.details.starts_at`.
    pub occurrences: Vec<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Series {
    pub id: SeriesId,
    pub uid: String,
    pub rrule: String,
    pub timezone: String,
    pub first_start: Timestamp,
    pub exdates: Vec<Timestamp>,
    pub sequence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub workspace_slug: String,
    pub group_id: SpaceId,
    pub group_slug: String,
    pub group_name: String,
    pub series_id: Option<SeriesId>,
    /// For an occurrence: the start the rule gave it.
    pub recurrence_id: Option<Timestamp>,
    pub uid: String,
    #[serde(flatten)]
    pub details: EventDetails,
    pub created_by: MemberId,
    /// Bumped at every change, for calendar files and to retire old reminders.
    pub sequence: i64,
    pub cancelled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub n_going: i64,
    pub n_waitlisted: i64,
    pub n_interested: i64,
    pub n_checked_in: i64,
}

impl Event {
    pub fn seats_left(&self) -> Option<i64> {
        self.details
            .capacity
            .map(|capacity| (capacity - self.n_going).max(0))
    }

    pub fn has_started(&self, now: Timestamp) -> bool {
        now >= self.details.starts_at
    }

    pub fn has_ended(&self, now: Timestamp) -> bool {
        now >= self.details.ends_at
    }

    /// Whether opening the join link now counts as attending.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now.0 >= self.details.starts_at.0 - JOIN_EARLY_MILLIS && now < self.details.ends_at
    }

    /// Why a member cannot change their RSVP now, if they cannot.
    pub fn rsvp_closed(&self, now: Timestamp) -> Option<EventError> {
        if self.cancelled_at.is_some() {
            Some(EventError::Cancelled)
        } else if self.has_ended(now) {
            Some(EventError::Ended)
        } else if self
            .details
            .rsvp_deadline
            .is_some_and(|deadline| now > deadline)
        {
            Some(EventError::DeadlinePassed)
        } else {
            None
        }
    }
}

/// One member's RSVP, as organizers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rsvp {
    pub event_id: EventId,
    pub member_id: MemberId,
    pub name: String,
    pub handle: String,
    pub state: RsvpState,
    /// Place on the waitlist (1 is next), for waitlisted members.
    pub position: Option<i64>,
    /// The personal check-in code.
    pub code: String,
    pub responded_at: Timestamp,
    pub checked_in_at: Option<Timestamp>,
    pub check_in_method: Option<CheckInMethod>,
}

/// The answer to an RSVP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RsvpOutcome {
    pub state: RsvpState,
    pub position: Option<i64>,
    pub code: String,
    /// Members moved from the waitlist to going by this change.
    #[serde(skip)]
    pub promoted: Vec<MemberId>,
    /// Whether the member's state changed.
    #[serde(skip)]
    pub changed: bool,
}

/// Attendance once the event is over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attendance {
    pub going: i64,
    pub checked_in: i64,
    /// Going members who never checked in.
    pub no_shows: i64,
    pub no_show_rate: Option<f64>,
    pub walk_ins: i64,
    pub n_feedback: i64,
    pub average_rating: Option<f64>,
}

impl Attendance {
    pub fn of(attendees: &[Rsvp], feedback: &[Feedback]) -> Self {
        let going: Vec<&Rsvp> = attendees
            .iter()
            .filter(|rsvp| rsvp.state == RsvpState::Going)
            .collect();
        let checked_in = going
            .iter()
            .filter(|rsvp| rsvp.checked_in_at.is_some())
            .count() as i64;
        let walk_ins = going
            .iter()
            .filter(|rsvp| rsvp.check_in_method == Some(CheckInMethod::WalkIn))
            .count() as i64;
        let expected = going.len() as i64 - walk_ins;
        let no_shows = going
            .iter()
            .filter(|rsvp| rsvp.checked_in_at.is_none())
            .count() as i64;
        let ratings: Vec<i64> = feedback.iter().map(|f| f.rating).collect();
        Attendance {
            going: going.len() as i64,
            checked_in,
            no_shows,
            no_show_rate: (expected > 0).then(|| no_shows as f64 / expected as f64),
            walk_ins,
            n_feedback: ratings.len() as i64,
            average_rating: (!ratings.is_empty())
                .then(|| ratings.iter().sum::<i64>() as f64 / ratings.len() as f64),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub member_id: MemberId,
    pub name: String,
    /// 1 to 5.
    pub rating: i64,
    pub comment: String,
    pub created_at: Timestamp,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub group_id: Option<SpaceId>,
    /// Events ending after this time.
    pub from: Option<Timestamp>,
    /// Events starting before this time.
    pub to: Option<Timestamp>,
    pub include_cancelled: bool,
    pub limit: i64,
}

/// A member's place in an event, for the people who manage it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Organizer {
    /// Group owners and moderators, and the workspace's community staff.
    Yes,
    No,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("this event was cancelled")]
    Cancelled,
    #[error("this event is over")]
    Ended,
    #[error("RSVPs closed at the event's deadline")]
    DeadlinePassed,
    #[error("the event is full: raise the capacity to add someone")]
    Full,
    #[error("no attendee has this code")]
    UnknownCode,
    #[error("only the event's organizers can do this")]
    NotOrganizer,
    #[error("only members who attended can leave feedback")]
    NotAttendee,
}

impl EventError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        EventError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            EventError::Invalid { .. } | EventError::UnknownCode => ErrorKind::InvalidInput,
            EventError::NotOrganizer | EventError::NotAttendee => ErrorKind::Forbidden,
            EventError::Cancelled
            | EventError::Ended
            | EventError::DeadlinePassed
            | EventError::Full => ErrorKind::Conflict,
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            EventError::Invalid { field, .. } => Some(field),
            EventError::UnknownCode => Some("code"),
            _ => None,
        }
    }
}

/// An event as typed in the form or sent to the API: times are wall-clock
/// times (`2026-12-01T19:00`) in `timezone`, or RFC 3339 instants.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct EventInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub join_url: String,
    #[serde(default)]
    pub venue: String,
    #[serde(default)]
    pub address: String,
    /// Empty for no limit.
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub rsvp_deadline: String,
    /// An RFC 5545 rule (`FREQ=WEEKLY;BYDAY=TU;COUNT=10`), empty for one event.
    #[serde(default)]
    pub rrule: String,
    /// Dates to skip in a series, as wall-clock times, comma-separated.
    #[serde(default)]
    pub exdates: String,
}

/// A checked series: its rule and occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSeries {
    pub rrule: String,
    pub exdates: Vec<Timestamp>,
    pub occurrences: Vec<Timestamp>,
}

/// Checks an event form; answers every problem at once, by field.
pub fn check_event(
    input: &EventInput,
) -> Result<(EventDetails, Option<CheckedSeries>), Vec<EventError>> {
    let mut errors = Vec::new();
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 120 {
        errors.push(EventError::invalid("title", "use 1 to 120 characters"));
    }
    if input.description.chars().count() > 10_000 {
        errors.push(EventError::invalid(
            "description",
            "use at most 10,000 characters",
        ));
    }
    let timezone = input.timezone.trim();
    let tz = match crate::posts::parse_timezone(timezone) {
        Ok(tz) => Some(tz),
        Err(message) => {
            errors.push(EventError::invalid("timezone", message));
            None
        }
    };
    let instant = |field: &'static str, raw: &str, errors: &mut Vec<EventError>| {
        let raw = raw.trim();
        if raw.is_empty() {
            errors.push(EventError::invalid(field, "enter a date and time"));
            return None;
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
            return Some(Timestamp::from(at.with_timezone(&chrono::Utc)));
        }
        tz.as_ref()?;
        match crate::posts::local_to_utc(raw, timezone) {
            Ok(at) => Some(at),
            Err(message) => {
                errors.push(EventError::invalid(field, message));
                None
            }
        }
    };
    let starts_at = instant("starts_at", &input.starts_at, &mut errors);
    let ends_at = instant("ends_at", &input.ends_at, &mut errors);
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            errors.push(EventError::invalid(
                "ends_at",
                "the end must be after the start",
            ));
        } else if end.0 - start.0 > MAX_DURATION_MILLIS {
            errors.push(EventError::invalid(
                "ends_at",
                "an event lasts at most 14 days",
            ));
        }
    }
    let format = EventFormat::parse(&input.format);
    if format.is_none() {
        errors.push(EventError::invalid(
            "format",
            "choose online, in person or hybrid",
        ));
    }
    let join_url = input.join_url.trim();
    let join_url = if join_url.is_empty() {
        None
    } else if !(join_url.starts_with("https://") || join_url.starts_with("http://"))
        || join_url.contains(char::is_whitespace)
    {
        errors.push(EventError::invalid(
            "join_url",
            "enter a web address starting with https://",
        ));
        None
    } else {
        Some(join_url.to_owned())
    };
    if format.is_some_and(EventFormat::has_join_link) && join_url.is_none() && errors.is_empty() {
        errors.push(EventError::invalid(
            "join_url",
            "an online or hybrid event needs the link members join with",
        ));
    }
    let venue = input.venue.trim();
    let address = input.address.trim();
    if format.is_some_and(EventFormat::has_venue) && venue.is_empty() && address.is_empty() {
        errors.push(EventError::invalid(
            "venue",
            "an in-person or hybrid event needs a venue or an address",
        ));
    }
    if venue.chars().count() > 200 || address.chars().count() > 500 {
        errors.push(EventError::invalid("address", "the address is too long"));
    }
    let capacity = match input.capacity.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_CAPACITY).contains(&n) => Some(n),
            Ok(n) if n < 1 => {
                errors.push(EventError::invalid(
                    "capacity",
                    "capacity must be at least 1 (leave it empty for no limit)",
                ));
                None
            }
            _ => {
                errors.push(EventError::invalid(
                    "capacity",
                    format!("capacity must be a whole number from 1 to {MAX_CAPACITY}"),
                ));
                None
            }
        },
    };
    let rsvp_deadline = match input.rsvp_deadline.trim() {
        "" => None,
        raw => instant("rsvp_deadline", raw, &mut errors),
    };
    if let (Some(deadline), Some(end)) = (rsvp_deadline, ends_at)
        && deadline > end
    {
        errors.push(EventError::invalid(
            "rsvp_deadline",
            "the RSVP deadline must be before the event ends",
        ));
    }
    let mut series = None;
    let rule_text = input.rrule.trim();
    if !rule_text.is_empty()
        && let (Some(tz), Some(start)) = (tz, starts_at)
    {
        match crate::recurrence::parse_rrule(rule_text) {
            Err(message) => errors.push(EventError::invalid("rrule", message)),
            Ok(rule) => {
                let local = |at: Timestamp| at.to_datetime().with_timezone(&tz).naive_local();
                let mut exdates_local = Vec::new();
                for raw in input.exdates.split([',', '\n']).map(str::trim) {
                    if raw.is_empty() {
                        continue;
                    }
                    let parsed = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
                        .or_else(|_| {
                            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                                .map(|date| date.and_time(local(start).time()))
                        });
                    match parsed {
                        Ok(at) => exdates_local.push(at),
                        Err(_) => errors.push(EventError::invalid(
                            "exdates",
                            format!("{raw:?} is not a date like 2026-12-24"),
                        )),
                    }
                }
                match crate::recurrence::occurrences(&rule, local(start), tz, &exdates_local) {
                    Err(message) => errors.push(EventError::invalid("rrule", message)),
                    Ok(occurrences) if occurrences.is_empty() => errors.push(EventError::invalid(
                        "rrule",
                        "this rule gives no occurrence at all",
                    )),
                    Ok(occurrences) => {
                        let exdates = exdates_local
                            .iter()
                            .map(|at| crate::recurrence::resolve_local(*at, tz))
                            .collect();
                        series = Some(CheckedSeries {
                            rrule: rule.with_utc_until(tz).to_ical(),
                            exdates,
                            occurrences,
                        });
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(starts_at), Some(ends_at), Some(format)) = (starts_at, ends_at, format) else {
        return Err(vec![EventError::invalid(
            "starts_at",
            "enter a date and time",
        )]);
    };
    Ok((
        EventDetails {
            title: title.to_owned(),
            description: input.description.trim().to_owned(),
            timezone: timezone.to_owned(),
            starts_at,
            ends_at,
            format,
            join_url,
            venue: venue.to_owned(),
            address: address.to_owned(),
            capacity,
            rsvp_deadline,
        },
        series,
    ))
}

/// A personal check-in code: 8 characters from an alphabet without look-alikes.
pub fn new_check_in_code() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    // 32 symbols: five bits of each random byte, without bias.
    bytes
        .iter()
        .map(|byte| ALPHABET[usize::from(byte & 31)] as char)
        .collect()
}

/// Normalises a typed or scanned code: upper case, no spaces or dashes.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A stable iCalendar UID for a new event or series.
pub fn new_uid(workspace_slug: &str) -> String {
    {
        use rand::RngCore;
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        format!("{}@{workspace_slug}.agora", hex::encode(bytes))
    }
}

/// The dark modules of a QR code for `text` (medium error correction),
/// row by row, with no quiet zone.
pub fn qr_modules(text: &str) -> Vec<Vec<bool>> {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => {
            let width = code.width();
            let colors = code.to_colors();
            colors
                .chunks(width)
                .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
                .collect()
        }
        Err(_) => Vec::new(),
    }
}

/// A QR code as an inline SVG (for pages), with a quiet zone of 4 modules.
pub fn qr_svg(text: &str, label: &str) -> String {
    let modules = qr_modules(text);
    let size = modules.len() + 8;
    let mut path = String::new();
    for (y, row) in modules.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                path.push_str(&format!("M{} {}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        ammonia::clean_text(label)
    )
}

/// A QR code as an HTML table (for e-mails, where SVG and data images are
/// blocked by most clients but table cells with backgrounds are not).
pub fn qr_html_table(text: &str) -> String {
    let modules = qr_modules(text);
    let quiet = 4;
    let size = modules.len() + 2 * quiet;
    let mut html = String::from(
        "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;background:#fff\">",
    );
    for y in 0..size {
        html.push_str("<tr>");
        for x in 0..size {
            let dark = y >= quiet
                && x >= quiet
                && modules
                    .get(y - quiet)
                    .and_then(|row| row.get(x - quiet))
                    .copied()
                    .unwrap_or(false);
            html.push_str(if dark {
                "<td style=\"width:4px;height:4px;padding:0;background:#000\"></td>"
            } else {
                "<td style=\"width:4px;height:4px;padding:0;background:#fff\"></td>"
            });
        }
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
}

/// Storage for events.
pub trait EventStore: Send + Sync {
    fn create_event(
        &self,
        event: &NewEvent,
        now: Timestamp,
    ) -> impl Future<Output = Result<EventId, StoreError>> + Send;
    /// Creates a series and one event per occurrence; answers the series and the events' ids.
    fn create_series(
        &self,
        series: &NewSeries,
        now: Timestamp,
    ) -> impl Future<Output = Result<(SeriesId, Vec<EventId>), StoreError>> + Send;
    fn event(&self, id: EventId) -> impl Future<Output = Result<Option<Event>, StoreError>> + Send;
    fn series(
        &self,
        id: SeriesId,
    ) -> impl Future<Output = Result<Option<Series>, StoreError>> + Send;
    /// The series' occurrences, in order (cancelled ones included).
    fn series_events(
        &self,
        id: SeriesId,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;
    /// Events of a workspace by start time.
    fn list_events(
        &self,
        workspace: WorkspaceId,
        query: &EventQuery,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;
    /// Saves new details and bumps the sequence. When the capacity grows,
    /// waitlisted members are promoted (answered). A capacity below the
    /// number already going is refused with `Conflict`.
    fn update_event(
        &self,
        id: EventId,
        details: &EventDetails,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<MemberId>, StoreError>> + Send;
    /// Cancels an event (an occurrence of a series also becomes an exception of it).
    fn cancel_event(
        &self,
        id: EventId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Sets a member's RSVP under the event's lock: `Going` becomes
    /// `Waitlisted` when the event is full; leaving `Going` promotes the
    /// first waitlisted member. `code` is used if the member has none yet.
    fn rsvp(
        &self,
        event: EventId,
        member: MemberId,
        choice: RsvpChoice,
        code: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<RsvpOutcome, StoreError>> + Send;
    /// Invites a member (no change if they already answered).
    fn invite(
        &self,
        event: EventId,
        member: MemberId,
        code: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn rsvp_of(
        &self,
        event: EventId,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<Rsvp>, StoreError>> + Send;
    /// Everyone who answered: going (by arrival), waitlisted (by position), then the rest.
    fn attendees(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<Rsvp>, StoreError>> + Send;
    fn rsvp_by_code(
        &self,
        event: EventId,
        code: &str,
    ) -> impl Future<Output = Result<Option<Rsvp>, StoreError>> + Send;
    /// Checks a going member in; false if they were already checked in or are not going.
    fn check_in(
        &self,
        event: EventId,
        member: MemberId,
        method: CheckInMethod,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Adds someone at the door as going and checked in, if a seat is left
    /// (`Ok(false)` when full).
    fn walk_in(
        &self,
        event: EventId,
        member: MemberId,
        code: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn save_feedback(
        &self,
        event: EventId,
        member: MemberId,
        rating: i64,
        comment: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn feedback(
        &self,
        event: EventId,
    ) -> impl Future<Output = Result<Vec<Feedback>, StoreError>> + Send;
    /// Events the member is going to (or waitlisted for), ending after `from`.
    fn member_events(
        &self,
        member: MemberId,
        from: Timestamp,
    ) -> impl Future<Output = Result<Vec<(Event, RsvpState)>, StoreError>> + Send;
    /// Whether the member ever RSVPed going to an event (the newcomer checklist).
    fn has_gone_to_event(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Replaces the member's personal feed token (stored as its SHA-256).
    fn set_feed_token(
        &self,
        member: MemberId,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn has_feed_token(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The member whose feed token has this hash.
    fn member_by_feed_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<(WorkspaceId, MemberId)>, StoreError>> + Send;
    /// An in-app notification about an event.
    fn notify_event(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        actor: MemberId,
        event: EventId,
        text: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input() -> EventInput {
        EventInput {
            title: "Sunday ride".into(),
            timezone: "Europe/Paris".into(),
            starts_at: "2026-12-06T09:00".into(),
            ends_at: "2026-12-06T12:00".into(),
            format: "offline".into(),
            venue: "Café du Port".into(),
            address: "1 quai de la Fosse, Nantes".into(),
            capacity: "20".into(),
            ..EventInput::default()
        }
    }

    fn fields(input: &EventInput) -> Vec<&'static str> {
        match check_event(input) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().filter_map(EventError::field).collect(),
        }
    }

    #[test]
    fn a_good_event_is_read_in_its_timezone() {
        let (details, series) = check_event(&input()).unwrap();
        assert_eq!(details.starts_at.rfc3339(), "2026-12-06T08:00:00.000Z");
        assert_eq!(details.capacity, Some(20));
        assert!(series.is_none());
        assert!(details.map_url().unwrap().contains("Caf%C3%A9+du+Port"));
    }

    #[test]
    fn bad_input_is_named_by_field() {
        let mut bad = input();
        bad.ends_at = "2026-12-06T08:00".into();
        assert_eq!(fields(&bad), vec!["ends_at"]);
        let mut bad = input();
        bad.timezone = "Mars/Olympus".into();
        assert!(fields(&bad).contains(&"timezone"));
        for capacity in ["0", "-3", "lots"] {
            let mut bad = input();
            bad.capacity = capacity.into();
            assert_eq!(fields(&bad), vec!["capacity"], "{capacity}");
        }
        let mut bad = input();
        bad.rrule = "FREQ=WEEKLY;BYDAY=SU".into();
        assert_eq!(fields(&bad), vec!["rrule"]);
        let mut bad = input();
        bad.format = "online".into();
        assert_eq!(fields(&bad), vec!["join_url"]);
    }

    #[test]
    fn a_weekly_series_keeps_its_local_time() {
        let mut weekly = input();
        weekly.starts_at = "2027-03-21T09:00".into();
        weekly.ends_at = "2027-03-21T11:00".into();
        weekly.rrule = "FREQ=WEEKLY;COUNT=3".into();
        let (_, series) = check_event(&weekly).unwrap();
        let starts: Vec<String> = series
            .unwrap()
            .occurrences
            .iter()
            .map(|at| at.rfc3339())
            .collect();
        assert_eq!(
            starts,
            vec![
                "2027-03-21T08:00:00.000Z",
                "2027-03-28T07:00:00.000Z",
                "2027-04-04T07:00:00.000Z"
            ]
        );
    }

    #[test]
    fn attendance_counts_no_shows_among_those_expected() {
        let rsvp = |state, checked: Option<CheckInMethod>| Rsvp {
            event_id: 1,
            member_id: 1,
            name: String::new(),
            handle: String::new(),
            state,
            position: None,
            code: String::new(),
            responded_at: Timestamp(0),
            checked_in_at: checked.map(|_| Timestamp(1)),
            check_in_method: checked,
        };
        let attendees = vec![
            rsvp(RsvpState::Going, Some(CheckInMethod::Code)),
            rsvp(RsvpState::Going, None),
            rsvp(RsvpState::Going, Some(CheckInMethod::WalkIn)),
            rsvp(RsvpState::Waitlisted, None),
        ];
        let attendance = Attendance::of(&attendees, &[]);
        assert_eq!(attendance.going, 3);
        assert_eq!(attendance.checked_in, 2);
        assert_eq!(attendance.no_shows, 1);
        assert_eq!(attendance.no_show_rate, Some(0.5));
    }

    #[test]
    fn codes_are_normalised() {
        let code = new_check_in_code();
        assert_eq!(code.len(), 8);
        assert_eq!(normalise_code(&code.to_lowercase()), code);
        assert_eq!(normalise_code(" ab-cd 23 "), "ABCD23");
    }
}
