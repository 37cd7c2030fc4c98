//! The calendars `agora_core::ical` writes, read back by other software (the
//! Python `icalendar` package, python-dateutil's `rrule`): every event is
//! seen as written, and each series expands to exactly the instants
//! `agora_core::recurrence` computes, across daylight-saving changes.

#![allow(clippy::unwrap_used)]

use agora_core::Timestamp;
use agora_core::ical::{EventStatus, VEvent, write_calendar};
use agora_core::recurrence::{self, parse_rrule, resolve_local};
use agora_testkit::ical::{CheckedCalendar, check_with_icalendar, utc};
use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const HOUR_MILLIS: i64 = 3_600_000;

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
}

fn zone(name: &str) -> Tz {
    agora_core::posts::parse_timezone(name).unwrap()
}

fn dtstamp() -> Timestamp {
    Timestamp::from(Utc.with_ymd_and_hms(2027, 1, 15, 9, 0, 0).unwrap())
}

fn single(uid: &str, timezone: &str, start: &str, summary: &str) -> VEvent {
    let start = resolve_local(local(start), zone(timezone));
    VEvent {
        uid: uid.to_owned(),
        sequence: 0,
        dtstamp: dtstamp(),
        start,
        end: start.plus_millis(2 * HOUR_MILLIS),
        timezone: timezone.to_owned(),
        summary: summary.to_owned(),
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

/// A series as the events code would write it, and the starts Agora computes for it.
fn series(
    uid: &str,
    timezone: &str,
    dtstart: &str,
    rule: &str,
    exdates: &[&str],
) -> (VEvent, Vec<Timestamp>) {
    let tz = zone(timezone);
    let rule = parse_rrule(rule).unwrap();
    let exdates: Vec<NaiveDateTime> = exdates.iter().map(|text| local(text)).collect();
    let starts = recurrence::occurrences(&rule, local(dtstart), tz, &exdates).unwrap();
    let mut event = single(uid, timezone, dtstart, &recurrence::describe(&rule));
    event.rrule = Some(rule.with_utc_until(tz).to_ical());
    event.exdates = exdates.iter().map(|at| resolve_local(*at, tz)).collect();
    event.last_until = starts.last().map(|last| last.plus_millis(2 * HOUR_MILLIS));
    (event, starts)
}

fn utc_all(starts: &[Timestamp]) -> Vec<String> {
    starts.iter().copied().map(utc).collect()
}

fn check(events: &[VEvent]) -> Option<CheckedCalendar> {
    check_with_icalendar(&write_calendar("Agora interop", events))
}

#[test]
fn weekly_series_with_override_single_and_cancelled_events_read_back_as_written() {
    // Tuesdays at 19:00 in Paris from 9 February 2027, across the change to
    // summer time on 28 March; no meeting on 16 March; the 30 March one moved.
    let (weekly, weekly_starts) = series(
        "weekly@agora.test",
        "Europe/Paris",
        "2027-02-09T19:00",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=12",
        &["2027-03-16T19:00"],
    );
    assert_eq!(weekly_starts.len(), 11);
    assert_eq!(utc(weekly_starts[0]), "2027-02-09T18:00:00Z");
    assert_eq!(utc(weekly_starts[10]), "2027-04-27T17:00:00Z");
    let mut moved = single(
        "weekly@agora.test",
        "Europe/Paris",
        "2027-03-31T19:30",
        "Tuesday meetup (moved to Wednesday)",
    );
    moved.recurrence_id = Some(resolve_local(
        local("2027-03-30T19:00"),
        zone("Europe/Paris"),
    ));
    moved.sequence = 1;

    let mut talk = single(
        "talk@agora.test",
        "America/New_York",
        "2027-03-20T10:00",
        "Talk: \"Federation, moderation; and you\"",
    );
    talk.description = [
        "Bienvenue à tous ! Entrée libre, café offert ; apportez vos idées.",
        "ようこそ！コミュニティの集まりです。日本語の説明文がここに続きます。",
        "مرحبا بكم في لقاء المجتمع، الدخول مجاني.",
        "Добро пожаловать — вход свободный, чай и печенье.",
        "Emoji: 🎉🧑‍🤝‍🧑🏳️‍🌈 and a path C:\\agora\\events, with commas, and; semicolons.",
    ]
    .join("\n");
    talk.location = Some("Room 101, 5th Avenue; New York".to_owned());
    talk.url = Some("https://agora.test/events/talk?lang=fr&ref=ical,feed".to_owned());
    talk.sequence = 4;

    let mut cancelled = single("cancelled@agora.test", "UTC", "2027-05-01T12:00", "Picnic");
    cancelled.status = EventStatus::Cancelled;
    cancelled.sequence = 3;

    let events = [
        weekly.clone(),
        moved.clone(),
        talk.clone(),
        cancelled.clone(),
    ];
    let Some(checked) = check(&events) else {
        return;
    };
    assert_eq!(checked.calendar_name.as_deref(), Some("Agora interop"));
    assert_eq!(checked.timezones, ["America/New_York", "Europe/Paris"]);
    assert_eq!(checked.events.len(), 4);
    for (written, read) in events.iter().zip(&checked.events) {
        assert_eq!(read.uid, written.uid);
        assert_eq!(read.summary, written.summary);
        assert_eq!(read.sequence, written.sequence);
        assert_eq!(read.start, utc(written.start));
        assert_eq!(read.end.as_deref(), Some(utc(written.end).as_str()));
        let status = match written.status {
            EventStatus::Confirmed => "CONFIRMED",
            EventStatus::Cancelled => "CANCELLED",
        };
        assert_eq!(read.status.as_deref(), Some(status));
    }
    let read_weekly = checked.event("weekly@agora.test");
    assert_eq!(read_weekly.occurrences, utc_all(&weekly_starts));
    assert_eq!(read_weekly.exdates, ["2027-03-16T18:00:00Z"]);
    let read_moved = &checked.events[1];
    assert_eq!(
        read_moved.recurrence_id.as_deref(),
        Some("2027-03-30T17:00:00Z")
    );
    assert_eq!(read_moved.start, "2027-03-31T17:30:00Z");
    assert!(
        read_weekly
            .occurrences
            .contains(&"2027-03-30T17:00:00Z".to_owned())
    );
    let read_talk = checked.event("talk@agora.test");
    assert_eq!(read_talk.description, talk.description);
    assert_eq!(read_talk.location, talk.location);
    assert_eq!(read_talk.url, talk.url);
    assert_eq!(read_talk.occurrences, [utc(talk.start)]);
    // 10:00 in New York on 20 March 2027 is daylight time already (since 14 March).
    assert_eq!(read_talk.start, "2027-03-20T14:00:00Z");
    assert_eq!(
        checked.event("cancelled@agora.test").start,
        "2027-05-01T12:00:00Z"
    );

    // The VTIMEZONE, as icalendar reads it, changes offset when the tz database does.
    let paris = &checked.transitions["Europe/Paris"];
    let spring = paris
        .iter()
        .find(|transition| transition.at == "2027-03-28T01:00:00Z")
        .unwrap_or_else(|| panic!("no change on 28 March 2027 in {paris:#?}"));
    assert_eq!(
        (
            spring.offset_to.as_str(),
            spring.daylight,
            spring.name.as_str()
        ),
        ("+0200", true, "CEST")
    );
    let autumn = paris
        .iter()
        .find(|transition| transition.at == "2027-10-31T01:00:00Z")
        .unwrap_or_else(|| panic!("no change on 31 October 2027 in {paris:#?}"));
    assert_eq!(
        (
            autumn.offset_to.as_str(),
            autumn.daylight,
            autumn.name.as_str()
        ),
        ("+0100", false, "CET")
    );
}

#[test]
fn weekly_evening_is_18z_in_november_and_17z_in_april_for_dateutil_too() {
    let (weekly, starts) = series(
        "evening@agora.test",
        "Europe/Paris",
        "2026-11-24T19:00",
        "FREQ=WEEKLY;UNTIL=20270427T170000Z",
        &[],
    );
    let Some(checked) = check(&[weekly]) else {
        return;
    };
    let occurrences = &checked.event("evening@agora.test").occurrences;
    assert_eq!(occurrences, &utc_all(&starts));
    assert_eq!(occurrences.first().unwrap(), "2026-11-24T18:00:00Z");
    assert_eq!(occurrences.last().unwrap(), "2027-04-27T17:00:00Z");
}

#[test]
fn monthly_rules_expand_like_dateutil() {
    let (last_friday, last_friday_starts) = series(
        "last-friday@agora.test",
        "Europe/Paris",
        "2027-01-29T18:30",
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231",
        &["2027-07-30T18:30"],
    );
    let (second_tuesday, second_tuesday_starts) = series(
        "second-tuesday@agora.test",
        "America/New_York",
        "2027-01-12T19:00",
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=14",
        &[],
    );
    let Some(checked) = check(&[last_friday, second_tuesday]) else {
        return;
    };
    assert_eq!(last_friday_starts.len(), 11);
    assert_eq!(
        checked.event("last-friday@agora.test").occurrences,
        utc_all(&last_friday_starts)
    );
    assert_eq!(second_tuesday_starts.len(), 14);
    assert_eq!(
        checked.event("second-tuesday@agora.test").occurrences,
        utc_all(&second_tuesday_starts)
    );
}

#[test]
fn every_supported_rule_shape_expands_like_dateutil() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "Europe/Paris",
            "2027-01-01T09:00",
            "FREQ=DAILY;INTERVAL=3;COUNT=40",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-02T10:00",
            "FREQ=DAILY;BYDAY=SA,SU;UNTIL=20270501T000000Z",
            &["2027-01-09T10:00"],
        ),
        (
            "Europe/Paris",
            "2027-01-01T09:00",
            "FREQ=DAILY;BYMONTHDAY=1,15,-1;COUNT=20",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-05T20:00",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU;COUNT=20",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-05T20:00",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;COUNT=20",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-07T12:00",
            "FREQ=WEEKLY;BYDAY=TU;COUNT=5",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-31T08:00",
            "FREQ=MONTHLY;COUNT=8",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=10",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYMONTHDAY=-3;INTERVAL=2;COUNT=6",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYDAY=5FR;COUNT=5",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYDAY=1MO,-2TH;COUNT=10",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-01-01T08:00",
            "FREQ=MONTHLY;BYDAY=MO,WE;COUNT=12",
            &[],
        ),
        ("Asia/Tokyo", "2028-02-29T08:00", "FREQ=YEARLY;COUNT=3", &[]),
        (
            "Australia/Sydney",
            "2027-01-10T18:00",
            "FREQ=YEARLY;INTERVAL=2;COUNT=3",
            &[],
        ),
        (
            "Australia/Sydney",
            "2027-03-01T18:00",
            "FREQ=WEEKLY;BYDAY=MO,FR;COUNT=20",
            &[],
        ),
        (
            "America/Sao_Paulo",
            "2027-01-10T18:00",
            "FREQ=YEARLY;BYMONTHDAY=10;COUNT=14",
            &[],
        ),
        (
            "UTC",
            "2027-01-01T00:00",
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270301T000000Z",
            &[],
        ),
        // Wall-clock times skipped (28 March) and repeated (31 October) by
        // Paris' changes: both readers take the offset before the gap and
        // the first of the two instants.
        (
            "Europe/Paris",
            "2027-03-26T02:30",
            "FREQ=DAILY;COUNT=5",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-10-29T02:30",
            "FREQ=DAILY;COUNT=5",
            &[],
        ),
        (
            "Europe/Paris",
            "2027-03-21T02:15",
            "FREQ=WEEKLY;COUNT=3",
            &["2027-03-28T02:15"],
        ),
    ];
    let mut events = Vec::new();
    let mut expected = Vec::new();
    for (index, (timezone, dtstart, rule, exdates)) in cases.iter().enumerate() {
        let uid = format!("rule-{index}@agora.test");
        let (event, starts) = series(&uid, timezone, dtstart, rule, exdates);
        assert!(!starts.is_empty(), "{rule} from {dtstart} gave nothing");
        events.push(event);
        expected.push((uid, rule, starts));
    }
    let Some(checked) = check(&events) else {
        return;
    };
    for (uid, rule, starts) in expected {
        assert_eq!(
            checked.event(&uid).occurrences,
            utc_all(&starts),
            "{uid}: {rule}"
        );
    }
}

/// A small deterministic generator (64-bit LCG), so the rules below are the
/// same on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.roll(items.len() as u64) as usize]
    }
}

#[test]
fn hundreds_of_generated_rules_expand_like_dateutil() {
    let zones = [
        "Europe/Paris",
        "America/New_York",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Europe/London",
        "UTC",
    ];
    let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let mut dice = Dice(2027);
    let mut events = Vec::new();
    let mut expected = Vec::new();
    while events.len() < 400 {
        let frequency = dice.pick(&["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]);
        let mut parts = vec![format!("FREQ={frequency}")];
        if dice.roll(2) == 0 {
            parts.push(format!("INTERVAL={}", 1 + dice.roll(4)));
        }
        if dice.roll(2) == 0 {
            parts.push(format!("COUNT={}", 1 + dice.roll(30)));
        } else {
            parts.push(format!(
                "UNTIL=2028{:02}{:02}T{:02}0000Z",
                1 + dice.roll(12),
                1 + dice.roll(28),
                dice.roll(24)
            ));
        }
        match (frequency, dice.roll(4)) {
            ("MONTHLY", 0) => parts.push(format!(
                "BYDAY={}{}",
                dice.pick(&["1", "2", "3", "4", "5", "-1", "-2", "-5"]),
                dice.pick(&days)
            )),
            ("MONTHLY", 1) => parts.push(format!(
                "BYMONTHDAY={},-{}",
                1 + dice.roll(31),
                1 + dice.roll(31)
            )),
            ("MONTHLY", 2) => parts.push(format!(
                "BYDAY={};BYMONTHDAY={}",
                dice.pick(&days),
                1 + dice.roll(31)
            )),
            ("WEEKLY", 0 | 1) => parts.push(format!(
                "BYDAY={},{};WKST={}",
                dice.pick(&days),
                dice.pick(&days),
                dice.pick(&days)
            )),
            ("DAILY" | "YEARLY", 0) => parts.push(format!("BYDAY={}", dice.pick(&days))),
            ("DAILY" | "YEARLY", 1) => parts.push(format!("BYMONTHDAY={}", 1 + dice.roll(31))),
            _ => {}
        }
        let rule_text = parts.join(";");
        let timezone = dice.pick(&zones);
        let dtstart = format!(
            "2027-{:02}-{:02}T{:02}:{}",
            1 + dice.roll(12),
            1 + dice.roll(28),
            dice.roll(24),
            dice.pick(&["00", "15", "30", "45"])
        );
        let tz = zone(timezone);
        // Agora refuses a start that does not exist; a rule giving nothing
        // or too much is refused too.
        if tz.from_local_datetime(&local(&dtstart)) == chrono::LocalResult::None {
            continue;
        }
        let rule = parse_rrule(&rule_text).unwrap();
        let Ok(all) = recurrence::occurrences(&rule, local(&dtstart), tz, &[]) else {
            continue;
        };
        // Leave out the second occurrence, named as its instant reads back.
        let exdate = all
            .get(1)
            .map(|at| {
                at.to_datetime()
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .into_iter()
            .collect::<Vec<_>>();
        let exdates: Vec<&str> = exdate.iter().map(String::as_str).collect();
        let uid = format!("generated-{}@agora.test", events.len());
        let (event, starts) = series(&uid, timezone, &dtstart, &rule_text, &exdates);
        events.push(event);
        expected.push((
            uid,
            format!("{rule_text} from {dtstart} {timezone}"),
            starts,
        ));
    }
    let Some(checked) = check(&events) else {
        return;
    };
    for (uid, what, starts) in expected {
        assert_eq!(checked.event(&uid).occurrences, utc_all(&starts), "{what}");
    }
}
