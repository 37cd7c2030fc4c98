//! Queue slots: each channel's weekly posting times on its own wall clock
//! (say Monday, Wednesday and Friday at 09:00 and 17:30), whether its queue
//! is paused, and the next free slot "Add to queue" gives a post.
//!
//! A slot is a (weekday, minute of the day) pair read in the channel's
//! timezone, so a 09:00 slot in Europe/Paris stays at 09:00 on the wall
//! clock when daylight saving starts or ends (07:00Z in summer, 08:00Z in
//! winter). The wall clock is turned into an instant the way the events'
//! series do it ([`crate::recurrence::resolve_local`], RFC 5545 §3.3.5): a
//! slot in the hour skipped when clocks go forward is read with the offset in
//! force before the change, so 02:30 on the spring-forward day in Paris is
//! 01:30Z, that is 03:30 CEST — the post goes out an hour "late" on the wall
//! clock, on the right day, rather than being dropped. If the channel also
//! has a 03:30 slot that day, the two are the same instant and count as one.
//! A slot in the hour that happens twice when clocks go back is the first,
//! earlier one.
//!
//! A slot is free when no post of the channel is scheduled at that exact
//! instant. "Add to queue" for a post on several channels takes the earliest
//! instant that is a free slot of every one of them, looking ahead at most
//! [`HORIZON_WEEKS`] weeks.

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::StoreError;
use crate::clock::Timestamp;
use crate::posts::{ChannelId, PostId};
use crate::recurrence::resolve_local;

/// How far ahead "Add to queue" looks for a free slot.
pub const HORIZON_WEEKS: i64 = 8;

/// The most slots a channel may have (ten a day is already a lot).
pub const MAX_SLOTS: usize = 100;

/// Weekday names as the API spells them, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Weekday names for people, Monday first.
pub const WEEKDAY_LABELS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A weekly posting time on the channel's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Slot {
    /// 0 is Monday, 6 is Sunday.
    pub weekday: u8,
    /// Minutes after local midnight, 0 to 1439.
    pub minute: u16,
}

impl Slot {
    /// A slot, if the weekday (0–6) and the minute (0–1439) exist.
    pub fn new(weekday: u8, minute: u16) -> Option<Self> {
        (weekday < 7 && minute < 24 * 60).then_some(Self { weekday, minute })
    }

    /// `mon` … `sun`.
    pub fn weekday_name(self) -> &'static str {
        WEEKDAYS[usize::from(self.weekday % 7)]
    }

    /// `Monday` … `Sunday`.
    pub fn weekday_label(self) -> &'static str {
        WEEKDAY_LABELS[usize::from(self.weekday % 7)]
    }

    /// `09:00`.
    pub fn time(self) -> String {
        format!("{:02}:{:02}", self.minute / 60, self.minute % 60)
    }

    /// `mon-09:00`: names the slot in a form.
    pub fn key(self) -> String {
        format!("{}-{}", self.weekday_name(), self.time())
    }

    /// Reads [`Slot::key`] back.
    pub fn parse_key(raw: &str) -> Option<Self> {
        let (weekday, time) = raw.split_once('-')?;
        Slot::new(parse_weekday(weekday).ok()?, parse_time_of_day(time).ok()?)
    }
}

/// `mon` … `sun` (or the whole English name, in any case) as 0 … 6.
pub fn parse_weekday(raw: &str) -> Result<u8, String> {
    let lower = raw.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .zip(WEEKDAY_LABELS)
        .position(|(short, long)| lower == *short || lower == long.to_ascii_lowercase())
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| format!("{raw:?} is not a weekday: use mon, tue, wed, thu, fri, sat or sun"))
}

/// A time of day on a 24-hour clock (`09:00`, `9:00`, `17:30`) as minutes
/// after midnight.
pub fn parse_time_of_day(raw: &str) -> Result<u16, String> {
    let refuse = || format!("{raw:?} is not a time of day like 09:00 or 17:30");
    let (hours, minutes) = raw.trim().split_once(':').ok_or_else(refuse)?;
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    match (digits(hours, 2), digits(minutes, 2)) {
        (Some(h), Some(m)) if h < 24 && m < 60 && minutes.len() == 2 => Ok(h * 60 + m),
        _ => Err(refuse()),
    }
}

/// A channel's queue: its timezone, whether it is paused, its slots in
/// weekday then time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queue {
    pub timezone: String,
    pub paused: bool,
    pub slots: Vec<Slot>,
}

/// A queue's timezone and slots, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedQueue {
    pub timezone: String,
    /// Sorted by weekday then time, each once.
    pub slots: Vec<Slot>,
}

/// What is wrong with a field: (its JSON pointer without the leading `/`,
/// the message).
pub type FieldProblem = (String, String);

/// A queue as typed in the form or sent to the API, checked; or the
/// problems by field: `timezone`, `slots`, `slots/3/weekday`,
/// `slots/3/time`.
pub fn check_queue(
    timezone: &str,
    slots: &[(&str, &str)],
) -> Result<CheckedQueue, Vec<FieldProblem>> {
    let mut errors = Vec::new();
    let timezone = timezone.trim();
    if let Err(message) = crate::posts::parse_timezone(timezone) {
        errors.push(("timezone".to_owned(), message));
    }
    let mut checked = BTreeSet::new();
    for (i, (weekday, time)) in slots.iter().enumerate() {
        let weekday = parse_weekday(weekday)
            .map_err(|message| errors.push((format!("slots/{i}/weekday"), message)));
        let minute = parse_time_of_day(time)
            .map_err(|message| errors.push((format!("slots/{i}/time"), message)));
        if let (Ok(weekday), Ok(minute)) = (weekday, minute)
            && let Some(slot) = Slot::new(weekday, minute)
        {
            checked.insert(slot);
        }
    }
    if checked.len() > MAX_SLOTS {
        errors.push((
            "slots".to_owned(),
            format!(
                "{} slots; a channel may have at most {MAX_SLOTS}",
                checked.len()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(CheckedQueue {
            timezone: timezone.to_owned(),
            slots: checked.into_iter().collect(),
        })
    } else {
        Err(errors)
    }
}

/// Every instant the slots fall on after `after` (exclusive) and until
/// `until` (inclusive), in order, each once.
pub fn slot_instants(slots: &[Slot], tz: Tz, after: Timestamp, until: Timestamp) -> Vec<Timestamp> {
    if slots.is_empty() || until <= after {
        return Vec::new();
    }
    let local_date = |at: Timestamp| at.to_datetime().with_timezone(&tz).date_naive();
    // A day either side: a slot's instant may fall on another UTC day.
    let first = local_date(after) - Duration::days(1);
    let last = local_date(until) + Duration::days(1);
    let mut instants = Vec::new();
    let mut date: NaiveDate = first;
    while date <= last {
        let weekday = u8::try_from(date.weekday().num_days_from_monday()).unwrap_or(0);
        for slot in slots.iter().filter(|slot| slot.weekday == weekday) {
            let local =
                date.and_hms_opt(u32::from(slot.minute / 60), u32::from(slot.minute % 60), 0);
            if let Some(local) = local {
                let at = resolve_local(local, tz);
                if at > after && at <= until {
                    instants.push(at);
                }
            }
        }
        date += Duration::days(1);
    }
    instants.sort();
    instants.dedup();
    instants
}

/// A stored timezone, or UTC should it no longer parse (the tz database
/// dropped a name): a queue keeps working rather than failing.
pub fn timezone_or_utc(name: &str) -> Tz {
    crate::posts::parse_timezone(name).unwrap_or(Tz::UTC)
}

fn horizon(now: Timestamp) -> Timestamp {
    now.plus_seconds(HORIZON_WEEKS * 7 * 86_400)
}

/// The first slot after `now` at which the channel has no post scheduled,
/// within [`HORIZON_WEEKS`] weeks.
pub fn next_free_slot(
    slots: &[Slot],
    tz: Tz,
    taken: &[Timestamp],
    now: Timestamp,
) -> Option<Timestamp> {
    next_common_free_slot(&[ChannelSlots { slots, tz, taken }], now)
}

/// One channel's slots, timezone and the instants its posts already hold.
#[derive(Debug, Clone, Copy)]
pub struct ChannelSlots<'a> {
    pub slots: &'a [Slot],
    pub tz: Tz,
    pub taken: &'a [Timestamp],
}

/// The first instant after `now` that is a free slot of every channel,
/// within [`HORIZON_WEEKS`] weeks; `None` without channels or when there is
/// no such instant (channels in different timezones may share none).
pub fn next_common_free_slot(channels: &[ChannelSlots<'_>], now: Timestamp) -> Option<Timestamp> {
    let (first, others) = channels.split_first()?;
    let free = |channel: &ChannelSlots<'_>| -> BTreeSet<Timestamp> {
        let taken: BTreeSet<Timestamp> = channel.taken.iter().copied().collect();
        slot_instants(channel.slots, channel.tz, now, horizon(now))
            .into_iter()
            .filter(|at| !taken.contains(at))
            .collect()
    };
    let others: Vec<BTreeSet<Timestamp>> = others.iter().map(free).collect();
    free(first)
        .into_iter()
        .find(|at| others.iter().all(|set| set.contains(at)))
}

/// Storage for queues.
pub trait SlotStore: Send + Sync {
    /// A channel's queue (its timezone, pause and slots).
    fn queue(&self, channel: ChannelId) -> impl Future<Output = Result<Queue, StoreError>> + Send;
    /// Replaces a channel's slots, and sets its timezone and its queue's
    /// pause, in one transaction.
    fn set_queue(
        &self,
        channel: ChannelId,
        timezone: &str,
        paused: bool,
        slots: &[Slot],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The instants from `from` on at which the channel has a post scheduled
    /// (any post with a target on it, held or not), except `except`'s.
    fn taken_times(
        &self,
        channel: ChannelId,
        from: Timestamp,
        except: Option<PostId>,
    ) -> impl Future<Output = Result<Vec<Timestamp>, StoreError>> + Send;
    /// The workspace's published targets with engagement read back,
    /// published since `since`.
    fn engagement_samples(
        &self,
        workspace: crate::accounts::WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<crate::best_time::Sample>, StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::from(
            chrono::DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .to_utc(),
        )
    }

    fn slot(weekday: &str, time: &str) -> Slot {
        Slot::new(
            parse_weekday(weekday).unwrap(),
            parse_time_of_day(time).unwrap(),
        )
        .unwrap()
    }

    const PARIS: Tz = chrono_tz::Europe::Paris;

    #[test]
    fn times_and_weekdays_are_parsed_at_the_edge() {
        assert_eq!(parse_time_of_day("09:00"), Ok(540));
        assert_eq!(parse_time_of_day("9:05"), Ok(545));
        assert_eq!(parse_time_of_day("23:59"), Ok(1439));
        for bad in [
            "25:00", "24:00", "09:60", "9", "09:5", "ab:cd", "", "-1:00", "09:00:00",
        ] {
            assert!(parse_time_of_day(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_weekday("mon"), Ok(0));
        assert_eq!(parse_weekday("Sunday"), Ok(6));
        assert!(parse_weekday("funday").is_err());
        let friday = slot("fri", "17:30");
        assert_eq!(friday.key(), "fri-17:30");
        assert_eq!(Slot::parse_key("fri-17:30"), Some(friday));
        assert_eq!(Slot::parse_key("fri-25:30"), None);
        assert_eq!(friday.weekday_label(), "Friday");
    }

    #[test]
    fn queues_are_checked_by_field() {
        let errors = check_queue(
            "Mars/Olympus",
            &[("mon", "09:00"), ("someday", "25:00"), ("fri", "17:30")],
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(fields, ["timezone", "slots/1/weekday", "slots/1/time"]);
        let checked = check_queue(
            " Europe/Paris ",
            &[("fri", "17:30"), ("mon", "09:00"), ("mon", "9:00")],
        )
        .unwrap();
        assert_eq!(checked.timezone, "Europe/Paris");
        assert_eq!(
            checked.slots,
            [slot("mon", "09:00"), slot("fri", "17:30")],
            "sorted, once each"
        );
        let many: Vec<(String, String)> = (0..101)
            .map(|i| (WEEKDAYS[i % 7].to_owned(), format!("{:02}:{:02}", i / 7, 0)))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(d, t)| (d.as_str(), t.as_str())).collect();
        assert_eq!(check_queue("UTC", &many).unwrap_err()[0].0, "slots");
    }

    #[test]
    fn a_slot_stays_at_its_wall_clock_time_across_both_daylight_saving_changes() {
        // Paris springs forward on 2027-03-28 and falls back on 2027-10-31.
        let slots = [slot("mon", "09:00"), slot("sun", "09:00")];
        let spring = slot_instants(
            &slots,
            PARIS,
            at("2027-03-20T00:00:00Z"),
            at("2027-04-05T00:00:00Z"),
        );
        let spring: Vec<String> = spring.into_iter().map(Timestamp::rfc3339).collect();
        assert_eq!(
            spring,
            [
                "2027-03-21T08:00:00.000Z", // Sunday, winter time
                "2027-03-22T08:00:00.000Z", // Monday
                "2027-03-28T07:00:00.000Z", // Sunday of the change: summer time already
                "2027-03-29T07:00:00.000Z",
                "2027-04-04T07:00:00.000Z",
            ]
        );
        let autumn = slot_instants(
            &slots,
            PARIS,
            at("2027-10-23T00:00:00Z"),
            at("2027-11-02T00:00:00Z"),
        );
        let autumn: Vec<String> = autumn.into_iter().map(Timestamp::rfc3339).collect();
        assert_eq!(
            autumn,
            [
                "2027-10-24T07:00:00.000Z",
                "2027-10-25T07:00:00.000Z",
                "2027-10-31T08:00:00.000Z", // Sunday of the change: winter time again
                "2027-11-01T08:00:00.000Z",
            ]
        );
        assert_eq!(
            crate::posts::utc_to_local(at("2027-03-29T07:00:00Z"), "Europe/Paris"),
            "2027-03-29 09:00 CEST"
        );
        assert_eq!(
            crate::posts::utc_to_local(at("2027-11-01T08:00:00Z"), "Europe/Paris"),
            "2027-11-01 09:00 CET"
        );
    }

    #[test]
    fn a_slot_in_the_skipped_hour_goes_out_as_late_as_the_clocks_jumped() {
        // 02:30 does not exist in Paris on 2027-03-28: read with the winter
        // offset, it is 01:30Z, which the wall clock shows as 03:30 CEST.
        let slots = [slot("sun", "02:30"), slot("sun", "03:30")];
        let instants = slot_instants(
            &slots,
            PARIS,
            at("2027-03-27T00:00:00Z"),
            at("2027-03-29T00:00:00Z"),
        );
        assert_eq!(
            instants,
            [at("2027-03-28T01:30:00Z")],
            "both slots are one instant that day"
        );
        assert_eq!(
            crate::posts::utc_to_local(instants[0], "Europe/Paris"),
            "2027-03-28 03:30 CEST"
        );
        // The hour that happens twice: the first 02:30 (CEST).
        let repeated = slot_instants(
            &[slot("sun", "02:30")],
            PARIS,
            at("2027-10-30T00:00:00Z"),
            at("2027-11-01T00:00:00Z"),
        );
        assert_eq!(repeated, [at("2027-10-31T00:30:00Z")]);
    }

    #[test]
    fn the_next_free_slot_skips_taken_ones_and_the_past() {
        let slots = [
            slot("mon", "09:00"),
            slot("wed", "09:00"),
            slot("fri", "17:30"),
        ];
        // Wednesday 2027-06-02, 10:00 in Paris: Wednesday's slot has passed.
        let now = at("2027-06-02T08:00:00Z");
        let friday = at("2027-06-04T15:30:00Z");
        let monday = at("2027-06-07T07:00:00Z");
        assert_eq!(next_free_slot(&slots, PARIS, &[], now), Some(friday));
        assert_eq!(next_free_slot(&slots, PARIS, &[friday], now), Some(monday));
        // A post at another time on Friday does not take the slot.
        assert_eq!(
            next_free_slot(&slots, PARIS, &[friday.plus_seconds(60)], now),
            Some(friday)
        );
        assert_eq!(next_free_slot(&[], PARIS, &[], now), None, "no slots");
        // Every slot of the eight weeks taken: none.
        let all = slot_instants(
            &slots,
            PARIS,
            now,
            now.plus_seconds(HORIZON_WEEKS * 7 * 86_400),
        );
        assert_eq!(all.len(), 24);
        assert_eq!(next_free_slot(&slots, PARIS, &all, now), None);
        // Exactly at a slot's instant, that slot has started: the next one.
        assert_eq!(next_free_slot(&slots, PARIS, &[], friday), Some(monday));
    }

    #[test]
    fn a_post_on_several_channels_takes_the_first_slot_free_on_all() {
        let paris = [
            slot("mon", "09:00"),
            slot("tue", "09:00"),
            slot("wed", "09:00"),
        ];
        // London's 08:00 is Paris's 09:00; London has no Monday slot.
        let london = [slot("tue", "08:00"), slot("wed", "08:00")];
        let now = at("2027-06-06T12:00:00Z"); // a Sunday
        let tuesday = at("2027-06-08T07:00:00Z");
        let wednesday = at("2027-06-09T07:00:00Z");
        let london_tz = chrono_tz::Europe::London;
        let both = [
            ChannelSlots {
                slots: &paris,
                tz: PARIS,
                taken: &[],
            },
            ChannelSlots {
                slots: &london,
                tz: london_tz,
                taken: &[],
            },
        ];
        assert_eq!(next_common_free_slot(&both, now), Some(tuesday));
        let london_taken = [tuesday];
        let both = [
            ChannelSlots {
                slots: &paris,
                tz: PARIS,
                taken: &[],
            },
            ChannelSlots {
                slots: &london,
                tz: london_tz,
                taken: &london_taken,
            },
        ];
        assert_eq!(next_common_free_slot(&both, now), Some(wednesday));
        let tokyo = [slot("tue", "09:00")];
        let apart = [
            ChannelSlots {
                slots: &paris,
                tz: PARIS,
                taken: &[],
            },
            ChannelSlots {
                slots: &tokyo,
                tz: chrono_tz::Asia::Tokyo,
                taken: &[],
            },
        ];
        assert_eq!(
            next_common_free_slot(&apart, now),
            None,
            "no shared instant"
        );
        assert_eq!(next_common_free_slot(&[], now), None);
    }
}
