//! An RFC 5545 (iCalendar) writer for events: the `.ics` feeds and files that
//! calendar applications subscribe to or import.
//!
//! Times are written on the event's own wall clock with its IANA `TZID`
//! (`DTSTART;TZID=Europe/Paris:20261124T190000`), so that a reader expands a
//! recurring series on that wall clock as [`crate::recurrence`] does; events
//! in UTC are written with `Z` and need no `VTIMEZONE`. An `EXDATE` or
//! `RECURRENCE-ID` is written as the wall-clock time the series' rule
//! generates, which differs from the plain local reading of its instant only
//! in a spring-forward gap (see [`crate::recurrence`]).
//!
//! Each `VTIMEZONE` is generated from the tz database that chrono-tz compiles
//! in, not copied from a template: the actual offset changes are found (a scan
//! day by day, then a binary search for the second) from one year before the
//! zone's earliest time in the calendar to one year after its latest end (or
//! the end of a series' last occurrence), and each becomes one observance
//! whose `DTSTART` is the local time of the change on the old offset, as RFC
//! 5545 requires. An observance for the offset in force at the start of that
//! window comes first, so any time in the window is covered; a zone that does
//! not change in the window gets that one observance. Two changes less than a
//! day apart that cancel out are not seen; the tz database has none since
//! time zones were standardised.
//!
//! Lines end with CRLF and are folded at 75 octets without splitting a UTF-8
//! character; TEXT values are escaped, and control characters that RFC 5545
//! forbids in values are dropped.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::Timestamp;
use crate::recurrence;

/// The `PRODID` of every calendar Agora writes.
pub const PRODUCT_ID: &str = "-//Agora//Events//EN";

/// The longest content line, in octets, before it is folded (RFC 5545 §3.1).
const LINE_OCTETS: usize = 75;

/// How far beyond an event's times its `VTIMEZONE` describes the zone.
const TIMEZONE_MARGIN_DAYS: i64 = 366;

/// `STATUS` of a `VEVENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Confirmed,
    Cancelled,
}

impl EventStatus {
    pub fn as_ical(self) -> &'static str {
        match self {
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// One `VEVENT`: a single event, a series (with `rrule`), or one changed or
/// cancelled occurrence of a series (with `recurrence_id` and the series' `uid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VEvent {
    pub uid: String,
    /// Raised each time the event changes, so that readers replace their copy.
    pub sequence: i64,
    pub dtstamp: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    /// IANA name, such as `Europe/Paris`; `UTC` writes UTC times. A name that
    /// is not in the tz database is written as UTC too (events are validated
    /// before they are stored, so this does not happen).
    pub timezone: String,
    pub summary: String,
    /// Plain text; left out when empty.
    pub description: String,
    pub location: Option<String>,
    pub url: Option<String>,
    pub status: EventStatus,
    /// The rule's canonical text without the `RRULE:` prefix
    /// ([`recurrence::Rule::to_ical`]); a wall-clock `UNTIL` is turned into UTC.
    pub rrule: Option<String>,
    /// Starts of the series' occurrences that do not take place.
    pub exdates: Vec<Timestamp>,
    /// The start the rule gave the occurrence this `VEVENT` replaces.
    pub recurrence_id: Option<Timestamp>,
    /// The end of the series' last occurrence, so that its `VTIMEZONE` covers
    /// the whole series; `None` means `end`.
    pub last_until: Option<Timestamp>,
}

/// A calendar named `name` (`X-WR-CALNAME`) holding `events`, as iCalendar
/// text ready to serve as `text/calendar`.
pub fn write_calendar(name: &str, events: &[VEvent]) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        &format!("PRODID:{PRODUCT_ID}"),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        &format!("X-WR-CALNAME:{}", escape_text(name)),
    ] {
        push_line(&mut out, line);
    }
    let mut windows: BTreeMap<&'static str, (Tz, Timestamp, Timestamp)> = BTreeMap::new();
    for event in events {
        let Some(tz) = zone_of(event) else {
            continue;
        };
        let earliest = std::iter::once(event.start)
            .chain(event.recurrence_id)
            .chain(event.exdates.iter().copied())
            .min()
            .unwrap_or(event.start);
        let latest = std::iter::once(event.end)
            .chain(event.last_until)
            .chain(Some(event.start))
            .max()
            .unwrap_or(event.end);
        let window = windows.entry(tz.name()).or_insert((tz, earliest, latest));
        window.1 = window.1.min(earliest);
        window.2 = window.2.max(latest);
    }
    for (tz, earliest, latest) in windows.values() {
        let margin = TIMEZONE_MARGIN_DAYS * 86_400;
        write_vtimezone(
            &mut out,
            *tz,
            earliest.plus_seconds(-margin),
            latest.plus_seconds(margin),
        );
    }
    // Each series' time of day, to name its EXDATEs and its overrides'
    // RECURRENCE-IDs as the rule generates them.
    let series_times: HashMap<&str, NaiveTime> = events
        .iter()
        .filter(|event| event.rrule.is_some() && event.recurrence_id.is_none())
        .filter_map(|event| {
            let tz = zone_of(event)?;
            Some((event.uid.as_str(), wall_clock(event.start, tz).time()))
        })
        .collect();
    for event in events {
        write_vevent(
            &mut out,
            event,
            series_times.get(event.uid.as_str()).copied(),
        );
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// A change of a zone's UTC offset (or of its name for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetTransition {
    /// The first instant on the new offset.
    pub at: Timestamp,
    pub offset_from_seconds: i32,
    pub offset_to_seconds: i32,
    /// Whether the new offset is daylight-saving (summer) time.
    pub daylight: bool,
    /// The new offset's abbreviation (`CEST`), when the tz database has one.
    pub abbreviation: Option<String>,
}

/// Every change of `tz`'s offset between `from` and `to`, in order.
pub fn offset_transitions(tz: Tz, from: Timestamp, to: Timestamp) -> Vec<OffsetTransition> {
    const DAY_SECONDS: i64 = 86_400;
    // Whole seconds: the tz database changes offsets on the second.
    let end = to.millis().div_euclid(1000) + 1;
    let mut before = from.millis().div_euclid(1000);
    let mut before_offset = ZoneOffset::at(tz, before);
    let mut transitions = Vec::new();
    while before < end {
        let after = (before + DAY_SECONDS).min(end);
        if ZoneOffset::at(tz, after) == before_offset {
            before = after;
            continue;
        }
        // The offset at `low` is the old one, at `high` a new one.
        let (mut low, mut high) = (before, after);
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if ZoneOffset::at(tz, middle) == before_offset {
                low = middle;
            } else {
                high = middle;
            }
        }
        let after_offset = ZoneOffset::at(tz, high);
        transitions.push(OffsetTransition {
            at: Timestamp::from_millis(high * 1000),
            offset_from_seconds: before_offset.total_seconds,
            offset_to_seconds: after_offset.total_seconds,
            daylight: after_offset.daylight,
            abbreviation: after_offset.abbreviation.clone(),
        });
        // Carry on from the change itself, in case another follows within the day.
        before = high;
        before_offset = after_offset;
    }
    transitions
}

/// What a reader needs to know about a zone at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ZoneOffset {
    total_seconds: i32,
    daylight: bool,
    abbreviation: Option<String>,
}

impl ZoneOffset {
    /// The zone at `unix_seconds` seconds after the epoch.
    fn at(tz: Tz, unix_seconds: i64) -> ZoneOffset {
        let instant = DateTime::from_timestamp(unix_seconds, 0).unwrap_or_default();
        let offset = tz.offset_from_utc_datetime(&instant.naive_utc());
        ZoneOffset {
            total_seconds: offset.fix().local_minus_utc(),
            daylight: !offset.dst_offset().is_zero(),
            abbreviation: offset.abbreviation().map(str::to_owned),
        }
    }
}

/// The event's zone, or `None` when its times are written in UTC.
fn zone_of(event: &VEvent) -> Option<Tz> {
    let tz = crate::posts::parse_timezone(&event.timezone).ok()?;
    let utc_names = [
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "UCT",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
    ];
    (!utc_names.contains(&tz.name())).then_some(tz)
}

fn write_vtimezone(out: &mut String, tz: Tz, from: Timestamp, to: Timestamp) {
    push_line(out, "BEGIN:VTIMEZONE");
    push_line(out, &format!("TZID:{}", tz.name()));
    let start = from.to_datetime();
    let initial = ZoneOffset::at(tz, start.timestamp());
    let initial_local = start + Duration::seconds(i64::from(initial.total_seconds));
    write_observance(
        out,
        initial.daylight,
        &initial_local.format("%Y%m%dT%H%M%S").to_string(),
        initial.total_seconds,
        initial.total_seconds,
        initial.abbreviation.as_deref(),
    );
    for transition in offset_transitions(tz, from, to) {
        // RFC 5545: the onset is the local time just before the change,
        // read on the offset the change ends.
        let onset = transition.at.to_datetime()
            + Duration::seconds(i64::from(transition.offset_from_seconds));
        write_observance(
            out,
            transition.daylight,
            &onset.format("%Y%m%dT%H%M%S").to_string(),
            transition.offset_from_seconds,
            transition.offset_to_seconds,
            transition.abbreviation.as_deref(),
        );
    }
    push_line(out, "END:VTIMEZONE");
}

fn write_observance(
    out: &mut String,
    daylight: bool,
    onset: &str,
    offset_from_seconds: i32,
    offset_to_seconds: i32,
    abbreviation: Option<&str>,
) {
    let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
    push_line(out, &format!("BEGIN:{kind}"));
    push_line(out, &format!("DTSTART:{onset}"));
    push_line(
        out,
        &format!("TZOFFSETFROM:{}", utc_offset_text(offset_from_seconds)),
    );
    push_line(
        out,
        &format!("TZOFFSETTO:{}", utc_offset_text(offset_to_seconds)),
    );
    if let Some(abbreviation) = abbreviation {
        push_line(out, &format!("TZNAME:{}", escape_text(abbreviation)));
    }
    push_line(out, &format!("END:{kind}"));
}

fn write_vevent(out: &mut String, event: &VEvent, series_time: Option<NaiveTime>) {
    let tz = zone_of(event);
    // `;TZID=…:local` on the event's wall clock, or `:…Z` in UTC.
    let time_property = |name: &str, times: &[Timestamp]| -> String {
        let values: Vec<String> = times
            .iter()
            .map(|at| match tz {
                Some(tz) if name == "DTSTART" || name == "DTEND" => {
                    wall_clock(*at, tz).format("%Y%m%dT%H%M%S").to_string()
                }
                Some(tz) => occurrence_wall_clock(*at, tz, series_time)
                    .format("%Y%m%dT%H%M%S")
                    .to_string(),
                None => utc_text(*at),
            })
            .collect();
        match tz {
            Some(tz) => format!("{name};TZID={}:{}", tz.name(), values.join(",")),
            None => format!("{name}:{}", values.join(",")),
        }
    };
    push_line(out, "BEGIN:VEVENT");
    push_line(out, &format!("UID:{}", escape_text(&event.uid)));
    push_line(out, &format!("SEQUENCE:{}", event.sequence));
    push_line(out, &format!("DTSTAMP:{}", utc_text(event.dtstamp)));
    push_line(out, &time_property("DTSTART", &[event.start]));
    push_line(out, &time_property("DTEND", &[event.end]));
    if let Some(recurrence_id) = event.recurrence_id {
        push_line(out, &time_property("RECURRENCE-ID", &[recurrence_id]));
    }
    if let Some(rule_text) = &event.rrule {
        let rule_text = match recurrence::parse_rrule(rule_text) {
            Ok(rule) => rule.with_utc_until(tz.unwrap_or(Tz::UTC)).to_ical(),
            Err(_) => without_controls(rule_text),
        };
        push_line(out, &format!("RRULE:{rule_text}"));
    }
    if !event.exdates.is_empty() {
        push_line(out, &time_property("EXDATE", &event.exdates));
    }
    push_line(out, &format!("SUMMARY:{}", escape_text(&event.summary)));
    if !event.description.trim().is_empty() {
        push_line(
            out,
            &format!("DESCRIPTION:{}", escape_text(&event.description)),
        );
    }
    if let Some(location) = event
        .location
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        push_line(out, &format!("LOCATION:{}", escape_text(location)));
    }
    if let Some(url) = event.url.as_deref().filter(|text| !text.trim().is_empty()) {
        push_line(out, &format!("URL:{}", without_controls(url.trim())));
    }
    push_line(out, &format!("STATUS:{}", event.status.as_ical()));
    push_line(out, "END:VEVENT");
}

fn wall_clock(at: Timestamp, tz: Tz) -> NaiveDateTime {
    at.to_datetime().with_timezone(&tz).naive_local()
}

/// How an occurrence starting at `at` is named on the wall clock: the
/// series' time of day on that date when that is the same instant. They
/// differ only for an occurrence in a spring-forward gap (02:30 in Paris on
/// the day clocks skip to 03:00, which is 03:30 CEST): readers such as
/// dateutil match an `EXDATE` or `RECURRENCE-ID` to the wall-clock time the
/// rule generates, 02:30.
fn occurrence_wall_clock(at: Timestamp, tz: Tz, series_time: Option<NaiveTime>) -> NaiveDateTime {
    let plain = wall_clock(at, tz);
    match series_time {
        Some(time)
            if time != plain.time()
                && recurrence::resolve_local(plain.date().and_time(time), tz) == at =>
        {
            plain.date().and_time(time)
        }
        _ => plain,
    }
}

fn utc_text(at: Timestamp) -> String {
    at.to_datetime().format("%Y%m%dT%H%M%SZ").to_string()
}

/// `+0100`, `-0330`, or `+053328` when seconds are needed.
fn utc_offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let magnitude = seconds.unsigned_abs();
    let (hours, minutes, rest) = (magnitude / 3600, magnitude / 60 % 60, magnitude % 60);
    if rest == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{rest:02}")
    }
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped,
/// line breaks written `\n`, other control characters dropped.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                escaped.push_str("\\n");
            }
            '\n' => escaped.push_str("\\n"),
            '\t' => escaped.push('\t'),
            control if control.is_control() => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// A value that is not TEXT (a URI, a rule) with what would break the line removed.
fn without_controls(text: &str) -> String {
    text.chars()
        .filter(|character| !character.is_control())
        .collect()
}

/// Appends one content line, folded (RFC 5545 §3.1): at most 75 octets per
/// physical line, breaks only between characters, each continuation starting
/// with one space, every line ending with CRLF.
fn push_line(out: &mut String, line: &str) {
    let mut octets = 0;
    for character in line.chars() {
        let width = character.len_utf8();
        if octets + width > LINE_OCTETS {
            out.push_str("\r\n ");
            octets = 1;
        }
        out.push(character);
        octets += width;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::Utc;

    fn at(text: &str) -> Timestamp {
        Timestamp::from(
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    fn event(timezone: &str) -> VEvent {
        VEvent {
            uid: "event-1@agora.example".to_owned(),
            sequence: 2,
            dtstamp: at("2026-10-01T08:00:00Z"),
            start: at("2026-11-24T18:00:00Z"),
            end: at("2026-11-24T20:00:00Z"),
            timezone: timezone.to_owned(),
            summary: "Monthly meetup".to_owned(),
            description: String::new(),
            location: None,
            url: None,
            status: EventStatus::Confirmed,
            rrule: None,
            exdates: Vec::new(),
            recurrence_id: None,
            last_until: None,
        }
    }

    /// The unfolded content lines.
    fn content_lines(calendar: &str) -> Vec<String> {
        calendar
            .replace("\r\n ", "")
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The lines of each observance of the calendar's first VTIMEZONE.
    fn observances(calendar: &str) -> Vec<Vec<String>> {
        let mut all = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for line in content_lines(calendar) {
            if line == "BEGIN:STANDARD" || line == "BEGIN:DAYLIGHT" {
                current = Some(vec![line]);
            } else if line == "END:STANDARD" || line == "END:DAYLIGHT" {
                all.extend(current.take());
            } else if let Some(lines) = current.as_mut() {
                lines.push(line);
            }
        }
        all
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut long = event("Europe/Paris");
        long.summary = "Rencontre 🎉 des bénévoles — 日本語 ".repeat(7);
        long.summary
            .truncate(long.summary.char_indices().nth(200).unwrap().0);
        assert_eq!(long.summary.chars().count(), 200);
        let calendar = write_calendar("Agora", &[long.clone()]);
        assert!(calendar.ends_with("END:VCALENDAR\r\n"));
        for physical in calendar.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{physical:?} is {} octets",
                physical.len()
            );
            assert!(!physical.contains('\n') && !physical.contains('\r'));
        }
        // Every line ends with CRLF: no lone LF anywhere.
        assert_eq!(
            calendar.matches('\n').count(),
            calendar.matches("\r\n").count()
        );
        let summary = content_lines(&calendar)
            .into_iter()
            .find(|line| line.starts_with("SUMMARY:"))
            .unwrap();
        assert_eq!(summary, format!("SUMMARY:{}", escape_text(&long.summary)));
        assert!(calendar.contains("\r\n "), "the summary was folded");
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(
            escape_text("Salle 2, étage 3; entrée C:\\porte\r\nligne\nfin\u{7}"),
            "Salle 2\\, étage 3\\; entrée C:\\\\porte\\nligne\\nfin"
        );
        let mut described = event("UTC");
        described.description = "Bring: food, drinks; chairs\nThanks!".to_owned();
        described.location = Some("Hall A, Paris".to_owned());
        let lines = content_lines(&write_calendar("Team; Paris, FR", &[described]));
        assert!(lines.contains(&"X-WR-CALNAME:Team\\; Paris\\, FR".to_owned()));
        assert!(
            lines.contains(&"DESCRIPTION:Bring: food\\, drinks\\; chairs\\nThanks!".to_owned())
        );
        assert!(lines.contains(&"LOCATION:Hall A\\, Paris".to_owned()));
    }

    #[test]
    fn paris_timezone_has_daylight_and_standard_observances() {
        let calendar = write_calendar("Agora", &[event("Europe/Paris")]);
        let lines = content_lines(&calendar);
        assert!(lines.contains(&"TZID:Europe/Paris".to_owned()));
        assert!(lines.contains(&"DTSTART;TZID=Europe/Paris:20261124T190000".to_owned()));
        assert!(lines.contains(&"DTEND;TZID=Europe/Paris:20261124T210000".to_owned()));
        let observances = observances(&calendar);
        let spring = [
            "BEGIN:DAYLIGHT",
            "DTSTART:20260329T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "TZNAME:CEST",
        ];
        let autumn = [
            "BEGIN:STANDARD",
            "DTSTART:20261025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "TZNAME:CET",
        ];
        assert!(
            observances.iter().any(|lines| lines == &spring),
            "{observances:#?}"
        );
        assert!(
            observances.iter().any(|lines| lines == &autumn),
            "{observances:#?}"
        );
        // The window runs from a year before the start to a year after the end:
        // the first observance is winter time in November 2025, then 2026 and 2027 changes.
        assert_eq!(observances[0][0], "BEGIN:STANDARD");
        assert_eq!(observances[0][1], "DTSTART:20251123T190000");
        assert_eq!(observances.len(), 1 + 4);
        assert!(
            observances
                .last()
                .unwrap()
                .contains(&"DTSTART:20271031T030000".to_owned())
        );
    }

    #[test]
    fn a_zone_without_changes_has_one_standard_observance() {
        let calendar = write_calendar("Agora", &[event("Asia/Tokyo")]);
        let observances = observances(&calendar);
        assert_eq!(observances.len(), 1);
        assert_eq!(observances[0][0], "BEGIN:STANDARD");
        assert!(observances[0].contains(&"TZOFFSETTO:+0900".to_owned()));
        assert!(observances[0].contains(&"TZNAME:JST".to_owned()));
    }

    #[test]
    fn utc_events_use_z_times_and_no_timezone() {
        let mut series = event("UTC");
        series.rrule = Some("FREQ=WEEKLY;UNTIL=20261231".to_owned());
        series.exdates = vec![at("2026-12-01T18:00:00Z"), at("2026-12-08T18:00:00Z")];
        let calendar = write_calendar("Agora", &[series]);
        let lines = content_lines(&calendar);
        assert!(!calendar.contains("VTIMEZONE"));
        assert!(lines.contains(&"DTSTART:20261124T180000Z".to_owned()));
        assert!(lines.contains(&"DTSTAMP:20261001T080000Z".to_owned()));
        assert!(lines.contains(&"EXDATE:20261201T180000Z,20261208T180000Z".to_owned()));
        assert!(lines.contains(&"RRULE:FREQ=WEEKLY;UNTIL=20261231T235959Z".to_owned()));
    }

    #[test]
    fn series_and_overrides_carry_their_tzid() {
        let mut series = event("Europe/Paris");
        series.rrule = Some("FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330".to_owned());
        series.exdates = vec![at("2026-12-01T18:00:00Z")];
        let mut moved = event("Europe/Paris");
        moved.recurrence_id = Some(at("2026-12-08T18:00:00Z"));
        moved.start = at("2026-12-09T18:00:00Z");
        moved.end = at("2026-12-09T20:00:00Z");
        moved.status = EventStatus::Cancelled;
        let lines = content_lines(&write_calendar("Agora", &[series, moved]));
        assert!(lines.contains(&"RRULE:FREQ=WEEKLY;UNTIL=20270330T215959Z;BYDAY=TU".to_owned()));
        assert!(lines.contains(&"EXDATE;TZID=Europe/Paris:20261201T190000".to_owned()));
        assert!(lines.contains(&"RECURRENCE-ID;TZID=Europe/Paris:20261208T190000".to_owned()));
        assert!(lines.contains(&"STATUS:CANCELLED".to_owned()));
        assert_eq!(
            lines
                .iter()
                .filter(|line| *line == "BEGIN:VTIMEZONE")
                .count(),
            1
        );
        let header: Vec<&str> = lines.iter().take(6).map(String::as_str).collect();
        assert_eq!(
            header,
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Agora//Events//EN",
                "CALSCALE:GREGORIAN",
                "METHOD:PUBLISH",
                "X-WR-CALNAME:Agora"
            ]
        );
    }

    #[test]
    fn an_exdate_in_the_spring_forward_gap_is_named_as_the_rule_generates_it() {
        let paris = chrono_tz::Europe::Paris;
        let mut series = event("Europe/Paris");
        series.start = recurrence::resolve_local(
            NaiveDateTime::parse_from_str("2027-03-27T02:30", "%Y-%m-%dT%H:%M").unwrap(),
            paris,
        );
        series.end = series.start.plus_seconds(3600);
        series.rrule = Some("FREQ=DAILY;COUNT=3".to_owned());
        // 02:30 on 28 March 2027 does not exist: it is 01:30Z, 03:30 CEST.
        series.exdates = vec![at("2027-03-28T01:30:00Z"), at("2027-03-29T00:30:00Z")];
        let mut moved = event("Europe/Paris");
        moved.recurrence_id = Some(at("2027-03-28T01:30:00Z"));
        let lines = content_lines(&write_calendar("Agora", &[series, moved]));
        assert!(
            lines.contains(&"EXDATE;TZID=Europe/Paris:20270328T023000,20270329T023000".to_owned())
        );
        assert!(lines.contains(&"RECURRENCE-ID;TZID=Europe/Paris:20270328T023000".to_owned()));
    }

    #[test]
    fn transitions_are_found_to_the_second() {
        let transitions = offset_transitions(
            chrono_tz::America::New_York,
            at("2027-01-01T00:00:00.437Z"),
            at("2028-01-01T00:00:00Z"),
        );
        let instants: Vec<String> = transitions
            .iter()
            .map(|transition| transition.at.rfc3339())
            .collect();
        assert_eq!(
            instants,
            ["2027-03-14T07:00:00.000Z", "2027-11-07T06:00:00.000Z"]
        );
        assert_eq!(transitions[0].offset_from_seconds, -5 * 3600);
        assert_eq!(transitions[0].offset_to_seconds, -4 * 3600);
        assert!(transitions[0].daylight);
        assert_eq!(transitions[1].abbreviation.as_deref(), Some("EST"));
    }

    #[test]
    fn offsets_with_seconds_and_negative_offsets_are_written_in_full() {
        assert_eq!(utc_offset_text(3600), "+0100");
        assert_eq!(utc_offset_text(-12_600), "-0330");
        assert_eq!(utc_offset_text(561), "+000921");
        assert_eq!(utc_offset_text(0), "+0000");
    }
}
