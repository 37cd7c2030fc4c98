//! Recurrence rules: the part of RFC 5545's `RRULE` that events use, parsed,
//! written back, described in English and expanded into occurrences.
//!
//! Supported parts: `FREQ` (`DAILY`, `WEEKLY`, `MONTHLY`, `YEARLY`),
//! `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY` (numbered days such as `2TU` or
//! `-1FR` only with `MONTHLY`), `BYMONTHDAY` and `WKST`. Every other part
//! (`BYHOUR`, `BYSETPOS`, …) is refused by name rather than ignored, so a rule
//! never means less than it says. Every series ends: a rule without `COUNT`
//! or `UNTIL` is refused, and an expansion longer than [`MAX_OCCURRENCES`] is
//! an error.
//!
//! Expansion follows RFC 5545 the way python-dateutil's `rrule` implements it
//! (the interop tests in `agora-testkit` compare the two instant by instant):
//! the start of the series (DTSTART) is an occurrence only when it matches the
//! rule, `COUNT` counts the occurrences the rule generates (before `EXDATE`s
//! are removed), `UNTIL` is inclusive, `WEEKLY` without `BYDAY` repeats on
//! DTSTART's weekday, `MONTHLY` without `BYDAY`/`BYMONTHDAY` on DTSTART's day
//! of the month (skipping months that lack it, such as the 31st), `YEARLY`
//! without them on DTSTART's month and day, and `WKST` decides where the
//! weeks of a `WEEKLY` rule with an `INTERVAL` above 1 begin. `BYDAY` and
//! `BYMONTHDAY` together keep the days matching both. An `EXDATE` removes the
//! occurrence at the same instant (so in a spring-forward gap both 02:30 and
//! 03:30 name the 02:30 occurrence; dateutil compares wall-clock times, which
//! is why the iCalendar writer names it 02:30, as the rule generates it).
//! Occurrences end with the year [`LAST_YEAR`] (2099): a series that would go
//! on is refused, because the timezone data compiled in stops there. Times
//! are kept to the second, as dateutil does.
//!
//! Occurrences are computed on the wall clock of the series' timezone and only
//! then turned into UTC, so a 19:00 meeting stays at 19:00 across
//! daylight-saving changes. A wall-clock time that does not exist (skipped when
//! clocks go forward) is read with the offset in force before the gap, as RFC
//! 5545 §3.3.5 says: 02:30 on the spring-forward day in Europe/Paris is 01:30
//! UTC, that is 03:30 CEST. A time that happens twice (when clocks go back) is
//! the first, earlier, instant. Python's `zoneinfo` (PEP 495, `fold=0`)
//! resolves both cases the same way, which is what dateutil uses.
//!
//! `UNTIL` written as a date alone (`20270630`) means "through the end of that
//! day" on the series' wall clock, and a local time without `Z` is a wall-clock
//! time too; RFC 5545 asks for a UTC time whenever DTSTART has a timezone, so
//! [`Rule::with_utc_until`] turns such a bound into UTC before a rule is
//! written into a calendar (the iCalendar writer does it on its own).

use std::collections::HashSet;

use chrono::{
    Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::Timestamp;

/// The most occurrences one series may have; a longer expansion is an error.
pub const MAX_OCCURRENCES: usize = 500;

/// The largest `INTERVAL` accepted.
pub const MAX_INTERVAL: u32 = 999;

/// The last year an occurrence may fall in: chrono-tz compiles the tz
/// database's offset changes up to 2099 and keeps the last offset after it,
/// while other readers go on changing offsets; past it the two would disagree.
pub const LAST_YEAR: i32 = 2099;

/// How often a series repeats (`FREQ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    /// The `FREQ` value: `DAILY`, `WEEKLY`, …
    pub fn as_ical(self) -> &'static str {
        match self {
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// Where a series stops (`UNTIL`), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// `UNTIL=20270630T215959Z`: an instant.
    Utc(Timestamp),
    /// `UNTIL=20270630T235959` (a wall-clock time in the series' timezone), or
    /// `UNTIL=20270630`, read as the last second of that day.
    Floating(NaiveDateTime),
}

/// A recurrence rule that [`parse_rrule`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub frequency: Frequency,
    /// Every `interval` days, weeks, months or years; at least 1.
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<Until>,
    /// `BYDAY`: a weekday, numbered within the month (`2TU`, `-1FR`) or not.
    pub by_day: Vec<(Option<i8>, Weekday)>,
    /// `BYMONTHDAY`: 1 to 31, or -1 (the last day) to -31.
    pub by_month_day: Vec<i8>,
    /// `WKST`, Monday unless the rule says otherwise.
    pub week_start: Weekday,
}

/// Parses a rule such as `FREQ=WEEKLY;BYDAY=TU;COUNT=10`, with or without
/// the `RRULE:` prefix; part names and values are case-insensitive. The error
/// names the part that is wrong, in English, for a form to show.
pub fn parse_rrule(text: &str) -> Result<Rule, String> {
    let mut body = text.trim();
    if body
        .get(..6)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("RRULE:"))
    {
        body = body[6..].trim_start();
    }
    if body.is_empty() {
        return Err("the rule is empty; write it like FREQ=WEEKLY;BYDAY=TU;COUNT=10".to_owned());
    }
    let mut frequency = None;
    let mut interval = None;
    let mut count = None;
    let mut until = None;
    let mut by_day = None;
    let mut by_month_day = None;
    let mut week_start = None;
    for part in body.split(';').map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!(
                "{part:?} is not a NAME=VALUE part such as FREQ=WEEKLY"
            ));
        };
        let name = name.trim().to_ascii_uppercase();
        let value = value.trim();
        match name.as_str() {
            "FREQ" => set_once(&mut frequency, "FREQ", parse_frequency(value)?)?,
            "INTERVAL" => {
                let parsed = value
                    .parse::<u32>()
                    .ok()
                    .filter(|interval| (1..=MAX_INTERVAL).contains(interval))
                    .ok_or_else(|| {
                        format!("INTERVAL must be a whole number from 1 to {MAX_INTERVAL}")
                    })?;
                set_once(&mut interval, "INTERVAL", parsed)?;
            }
            "COUNT" => {
                let parsed = value
                    .parse::<u32>()
                    .ok()
                    .filter(|count| (1..=MAX_OCCURRENCES as u32).contains(count))
                    .ok_or_else(|| {
                        format!("COUNT must be a whole number from 1 to {MAX_OCCURRENCES}")
                    })?;
                set_once(&mut count, "COUNT", parsed)?;
            }
            "UNTIL" => set_once(&mut until, "UNTIL", parse_until(value)?)?,
            "BYDAY" => {
                let days = value
                    .split(',')
                    .map(parse_by_day_item)
                    .collect::<Result<Vec<_>, _>>()?;
                set_once(&mut by_day, "BYDAY", days)?;
            }
            "BYMONTHDAY" => {
                let days = value
                    .split(',')
                    .map(|item| {
                        item.trim()
                            .parse::<i8>()
                            .ok()
                            .filter(|day| *day != 0 && (-31..=31).contains(day))
                            .ok_or_else(|| {
                                format!(
                                    "BYMONTHDAY must list days of the month from 1 to 31 \
                                     (or -1 for the last day to -31), not {:?}",
                                    item.trim()
                                )
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                set_once(&mut by_month_day, "BYMONTHDAY", days)?;
            }
            "WKST" => set_once(&mut week_start, "WKST", parse_weekday("WKST", value)?)?,
            "BYSECOND" | "BYMINUTE" | "BYHOUR" | "BYYEARDAY" | "BYWEEKNO" | "BYMONTH"
            | "BYSETPOS" | "RSCALE" | "SKIP" => return Err(format!("{name} is not supported")),
            _ => return Err(format!("{name} is not a part of a recurrence rule")),
        }
    }
    let mut rule = Rule {
        frequency: frequency.ok_or("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)")?,
        interval: interval.unwrap_or(1),
        count,
        until,
        by_day: by_day.unwrap_or_default(),
        by_month_day: by_month_day.unwrap_or_default(),
        week_start: week_start.unwrap_or(Weekday::Mon),
    };
    rule.by_day
        .sort_by_key(|(number, day)| (day.num_days_from_monday(), *number));
    rule.by_day.dedup();
    // Days from the start of the month first, then days counted from its end.
    rule.by_month_day
        .sort_unstable_by_key(|day| (*day < 0, *day));
    rule.by_month_day.dedup();
    check(&rule)?;
    Ok(rule)
}

impl Rule {
    /// The canonical text, without the `RRULE:` prefix: parts in a fixed
    /// order, defaults (`INTERVAL=1`, `WKST=MO`) left out, `UNTIL` in UTC as
    /// `YYYYMMDDTHHMMSSZ` (a wall-clock bound stays local; see
    /// [`Rule::with_utc_until`]).
    pub fn to_ical(&self) -> String {
        let mut parts = vec![format!("FREQ={}", self.frequency.as_ical())];
        if self.interval != 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if let Some(count) = self.count {
            parts.push(format!("COUNT={count}"));
        }
        match self.until {
            Some(Until::Utc(at)) => {
                parts.push(format!(
                    "UNTIL={}",
                    at.to_datetime().format("%Y%m%dT%H%M%SZ")
                ));
            }
            Some(Until::Floating(at)) => {
                parts.push(format!("UNTIL={}", at.format("%Y%m%dT%H%M%S")));
            }
            None => {}
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|(number, day)| match number {
                    Some(number) => format!("{number}{}", weekday_code(*day)),
                    None => weekday_code(*day).to_owned(),
                })
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<String> = self.by_month_day.iter().map(i8::to_string).collect();
            parts.push(format!("BYMONTHDAY={}", days.join(",")));
        }
        if self.week_start != Weekday::Mon {
            parts.push(format!("WKST={}", weekday_code(self.week_start)));
        }
        parts.join(";")
    }

    /// The same rule with a wall-clock `UNTIL` turned into UTC for a series
    /// in `tz`, as RFC 5545 requires in a calendar whose DTSTART has a TZID.
    pub fn with_utc_until(&self, tz: Tz) -> Rule {
        let mut rule = self.clone();
        if let Some(Until::Floating(at)) = rule.until {
            rule.until = Some(Until::Utc(resolve_local(at, tz)));
        }
        rule
    }
}

/// The starts, in UTC, of the occurrences of a series whose first start is
/// `dtstart` on the wall clock of `tz`, without those whose start is one of
/// `exdates` (wall-clock times in `tz` too, compared as instants). An error,
/// in English, when the rule is not one [`parse_rrule`] would accept, would
/// give more than [`MAX_OCCURRENCES`] occurrences or would run past
/// [`LAST_YEAR`].
pub fn occurrences(
    rule: &Rule,
    dtstart: NaiveDateTime,
    tz: Tz,
    exdates: &[NaiveDateTime],
) -> Result<Vec<Timestamp>, String> {
    check(rule)?;
    let dtstart = dtstart.with_nanosecond(0).unwrap_or(dtstart);
    let starts = expand(rule, dtstart, tz)?;
    // By instant: both wall-clock spellings of a time in a spring-forward
    // gap (02:30 as the rule generates it, 03:30 as the instant reads back)
    // remove the occurrence, so an EXDATE kept as a `Timestamp` and turned
    // back into local time still finds it.
    let excluded: HashSet<Timestamp> = exdates
        .iter()
        .map(|at| resolve_local(at.with_nanosecond(0).unwrap_or(*at), tz))
        .collect();
    Ok(starts
        .into_iter()
        .filter(|(_, at)| !excluded.contains(at))
        .map(|(_, at)| at)
        .collect())
}

/// A wall-clock time in `tz` as an instant: a time skipped by a
/// daylight-saving change is read with the offset before the gap, and a time
/// that happens twice is the first one (see the module documentation).
pub fn resolve_local(local: NaiveDateTime, tz: Tz) -> Timestamp {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(at) => Timestamp::from(at.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, second) => {
            Timestamp::from(first.with_timezone(&Utc).min(second.with_timezone(&Utc)))
        }
        chrono::LocalResult::None => {
            let offset = offset_before_gap(local, tz);
            Timestamp::from((local - offset).and_utc())
        }
    }
}

/// The UTC offset in force just before the gap that `local` falls in: the
/// wall clock is walked back until the time exists again.
fn offset_before_gap(local: NaiveDateTime, tz: Tz) -> Duration {
    let mut earlier = local;
    // Gaps are at most a day long (Samoa skipped 2011-12-30); no two
    // transitions are closer than a quarter of an hour.
    for _ in 0..(4 * 49) {
        earlier -= Duration::minutes(15);
        let offset = match tz.from_local_datetime(&earlier) {
            chrono::LocalResult::Single(at) => at.offset().fix(),
            chrono::LocalResult::Ambiguous(_, later) => later.offset().fix(),
            chrono::LocalResult::None => continue,
        };
        return Duration::seconds(i64::from(offset.local_minus_utc()));
    }
    Duration::zero()
}

/// A short English description for pages: "every week on Tuesday, 10 times",
/// "every month on the first Monday until 2027-06-30". A UTC `UNTIL` is shown
/// as its UTC date; [`describe_in`] shows it on a timezone's calendar.
pub fn describe(rule: &Rule) -> String {
    describe_with(rule, Tz::UTC)
}

/// [`describe`], with a UTC `UNTIL` shown as the date it falls on in `tz`.
pub fn describe_in(rule: &Rule, tz: Tz) -> String {
    describe_with(rule, tz)
}

fn describe_with(rule: &Rule, tz: Tz) -> String {
    let unit = match rule.frequency {
        Frequency::Daily => "day",
        Frequency::Weekly => "week",
        Frequency::Monthly => "month",
        Frequency::Yearly => "year",
    };
    let mut text = if rule.interval == 1 {
        format!("every {unit}")
    } else {
        format!("every {} {unit}s", rule.interval)
    };
    let plain_days: Vec<String> = rule
        .by_day
        .iter()
        .filter(|(number, _)| number.is_none())
        .map(|(_, day)| weekday_name(*day).to_owned())
        .collect();
    let numbered_days: Vec<String> = rule
        .by_day
        .iter()
        .filter_map(|(number, day)| {
            number.map(|number| format!("the {} {}", ordinal_word(number), weekday_name(*day)))
        })
        .collect();
    let month_days: Vec<String> = rule
        .by_month_day
        .iter()
        .map(|day| month_day_words(*day))
        .collect();
    match rule.frequency {
        Frequency::Weekly if !plain_days.is_empty() => {
            text.push_str(&format!(" on {}", english_list(&plain_days)));
        }
        Frequency::Monthly | Frequency::Yearly => {
            let each_month = if rule.frequency == Frequency::Yearly {
                " of each month"
            } else {
                ""
            };
            // "on Fridays" alone, but "on the 13th, if it is a Friday".
            let (days, condition) = if numbered_days.is_empty() {
                (
                    plain_days.iter().map(|day| format!("{day}s")).collect(),
                    plain_days.iter().map(|day| format!("a {day}")).collect(),
                )
            } else {
                (numbered_days.clone(), numbered_days)
            };
            match (days.is_empty(), month_days.is_empty()) {
                (true, true) => {}
                (false, true) => text.push_str(&format!(" on {}", english_list(&days))),
                (true, false) => {
                    text.push_str(&format!(" on {}{each_month}", english_list(&month_days)))
                }
                (false, false) => text.push_str(&format!(
                    " on {}{each_month}, if it is {}",
                    english_list(&month_days),
                    english_alternatives(&condition)
                )),
            }
        }
        _ => {
            if !plain_days.is_empty() {
                text.push_str(&format!(", only on {}", english_list(&plain_days)));
            }
            if !month_days.is_empty() {
                text.push_str(&format!(", only on {}", english_list(&month_days)));
            }
        }
    }
    match (rule.count, rule.until) {
        (Some(1), _) => text.push_str(", once"),
        (Some(count), _) => text.push_str(&format!(", {count} times")),
        (None, Some(Until::Utc(at))) => text.push_str(&format!(
            " until {}",
            at.to_datetime().with_timezone(&tz).format("%Y-%m-%d")
        )),
        (None, Some(Until::Floating(at))) => {
            text.push_str(&format!(" until {}", at.format("%Y-%m-%d")));
        }
        (None, None) => {}
    }
    text
}

/// The rules that hold for every rule, parsed or built by hand.
fn check(rule: &Rule) -> Result<(), String> {
    if !(1..=MAX_INTERVAL).contains(&rule.interval) {
        return Err(format!(
            "INTERVAL must be a whole number from 1 to {MAX_INTERVAL}"
        ));
    }
    if rule
        .count
        .is_some_and(|count| count == 0 || count as usize > MAX_OCCURRENCES)
    {
        return Err(format!(
            "COUNT must be a whole number from 1 to {MAX_OCCURRENCES}"
        ));
    }
    match (rule.count, rule.until) {
        (Some(_), Some(_)) => {
            return Err("COUNT and UNTIL cannot both be set (RFC 5545)".to_owned());
        }
        (None, None) => return Err("a series that never ends needs COUNT or UNTIL".to_owned()),
        _ => {}
    }
    let numbered = rule
        .by_day
        .iter()
        .filter(|(number, _)| number.is_some())
        .count();
    if numbered > 0 {
        if rule.frequency != Frequency::Monthly {
            return Err(format!(
                "a numbered BYDAY such as 2TU or -1FR needs FREQ=MONTHLY, not FREQ={}",
                rule.frequency.as_ical()
            ));
        }
        if numbered < rule.by_day.len() {
            return Err(
                "BYDAY cannot mix numbered days (such as 2TU) with plain days (such as MO)"
                    .to_owned(),
            );
        }
        if let Some((Some(number), day)) = rule.by_day.iter().find(|(number, _)| {
            number.is_some_and(|number| number == 0 || !(-5..=5).contains(&number))
        }) {
            return Err(format!(
                "BYDAY {number}{} is out of range: a month has 1 to 5 of each weekday",
                weekday_code(*day)
            ));
        }
    }
    if rule.frequency == Frequency::Weekly && !rule.by_month_day.is_empty() {
        return Err("BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545)".to_owned());
    }
    if let Some(day) = rule
        .by_month_day
        .iter()
        .find(|day| **day == 0 || !(-31..=31).contains(*day))
    {
        return Err(format!(
            "BYMONTHDAY must list days of the month from 1 to 31 (or -1 for the last day to -31), not {day}"
        ));
    }
    Ok(())
}

/// Which days of a period the rule keeps, with dateutil's defaults taken
/// from DTSTART when the rule names no day.
struct DayFilter {
    month: Option<u32>,
    weekdays: Vec<Weekday>,
    numbered_weekdays: Vec<(i8, Weekday)>,
    month_days: Vec<i8>,
}

impl DayFilter {
    fn new(rule: &Rule, dtstart: NaiveDateTime) -> DayFilter {
        let mut filter = DayFilter {
            month: None,
            weekdays: rule
                .by_day
                .iter()
                .filter(|(number, _)| number.is_none())
                .map(|(_, day)| *day)
                .collect(),
            numbered_weekdays: rule
                .by_day
                .iter()
                .filter_map(|(number, day)| number.map(|number| (number, *day)))
                .collect(),
            month_days: rule.by_month_day.clone(),
        };
        if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
            let day_of_month = dtstart.day() as i8;
            match rule.frequency {
                Frequency::Daily => {}
                Frequency::Weekly => filter.weekdays = vec![dtstart.weekday()],
                Frequency::Monthly => filter.month_days = vec![day_of_month],
                Frequency::Yearly => {
                    filter.month = Some(dtstart.month());
                    filter.month_days = vec![day_of_month];
                }
            }
        }
        filter
    }

    fn keeps(&self, date: NaiveDate) -> bool {
        let month_length = days_in_month(date.year(), date.month()) as i32;
        let day = date.day() as i32;
        self.month.is_none_or(|month| date.month() == month)
            && (self.weekdays.is_empty() || self.weekdays.contains(&date.weekday()))
            && (self.numbered_weekdays.is_empty()
                || self.numbered_weekdays.iter().any(|(number, weekday)| {
                    date.weekday() == *weekday
                        && if *number > 0 {
                            (day - 1) / 7 + 1 == i32::from(*number)
                        } else {
                            (month_length - day) / 7 + 1 == -i32::from(*number)
                        }
                }))
            && (self.month_days.is_empty()
                || self.month_days.iter().any(|month_day| {
                    let month_day = i32::from(*month_day);
                    if month_day > 0 {
                        day == month_day
                    } else {
                        day == month_length + 1 + month_day
                    }
                }))
    }
}

/// Every start the rule generates from `dtstart`, in order, on the wall
/// clock and as an instant.
fn expand(
    rule: &Rule,
    dtstart: NaiveDateTime,
    tz: Tz,
) -> Result<Vec<(NaiveDateTime, Timestamp)>, String> {
    let filter = DayFilter::new(rule, dtstart);
    let time = dtstart.time();
    let first_date = dtstart.date();
    let interval = i64::from(rule.interval);
    let first_week = first_date
        - Duration::days(i64::from(
            (first_date.weekday().num_days_from_monday() + 7
                - rule.week_start.num_days_from_monday())
                % 7,
        ));
    let first_month = i64::from(first_date.year()) * 12 + i64::from(first_date.month0());
    let mut starts = Vec::new();
    for period in 0_i64.. {
        let days = match rule.frequency {
            Frequency::Daily => days_from(first_date, period * interval, 1),
            Frequency::Weekly => days_from(first_week, period * interval * 7, 7),
            Frequency::Monthly => {
                let month = first_month + period * interval;
                month_days(
                    (month.div_euclid(12)) as i32,
                    (month.rem_euclid(12) + 1) as u32,
                )
            }
            Frequency::Yearly => year_days(first_date.year() as i64 + period * interval),
        };
        if days.first().is_none_or(|day| day.year() > LAST_YEAR) {
            return beyond_last_year(rule, starts);
        }
        for day in days.into_iter().filter(|day| filter.keeps(*day)) {
            let local = day.and_time(time);
            if local < dtstart {
                continue;
            }
            let at = resolve_local(local, tz);
            let past_until = match rule.until {
                Some(Until::Utc(until)) => at > until,
                Some(Until::Floating(until)) => local > until,
                None => false,
            };
            if past_until
                || rule
                    .count
                    .is_some_and(|count| starts.len() >= count as usize)
            {
                return Ok(starts);
            }
            if local.year() > LAST_YEAR {
                return beyond_last_year(rule, starts);
            }
            if starts.len() == MAX_OCCURRENCES {
                return Err(format!(
                    "this series would have more than {MAX_OCCURRENCES} occurrences; \
                     use a lower COUNT or an earlier UNTIL"
                ));
            }
            starts.push((local, at));
        }
    }
    Ok(starts)
}

/// The end of an expansion that reached [`LAST_YEAR`]'s end: complete if the
/// rule's `UNTIL` lies before it, an error otherwise.
fn beyond_last_year(
    rule: &Rule,
    starts: Vec<(NaiveDateTime, Timestamp)>,
) -> Result<Vec<(NaiveDateTime, Timestamp)>, String> {
    let until_year = match rule.until {
        Some(Until::Utc(until)) => Some(until.to_datetime().year()),
        Some(Until::Floating(until)) => Some(until.year()),
        None => None,
    };
    if until_year.is_some_and(|year| year <= LAST_YEAR) {
        Ok(starts)
    } else {
        Err(format!(
            "this series runs past {LAST_YEAR}; use a lower COUNT or an earlier UNTIL"
        ))
    }
}

/// `length` consecutive days from `offset_days` after `from`; empty past the
/// calendar's end.
fn days_from(from: NaiveDate, offset_days: i64, length: i64) -> Vec<NaiveDate> {
    let Some(first) =
        Duration::try_days(offset_days).and_then(|offset| from.checked_add_signed(offset))
    else {
        return Vec::new();
    };
    first.iter_days().take(length as usize).collect()
}

fn month_days(year: i32, month: u32) -> Vec<NaiveDate> {
    match NaiveDate::from_ymd_opt(year, month, 1) {
        Some(first) => first
            .iter_days()
            .take(days_in_month(year, month) as usize)
            .collect(),
        None => Vec::new(),
    }
}

fn year_days(year: i64) -> Vec<NaiveDate> {
    let Some(first) = i32::try_from(year)
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, 1, 1))
    else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|day| i64::from(day.year()) == year)
        .collect()
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    match (
        NaiveDate::from_ymd_opt(year, month, 1),
        NaiveDate::from_ymd_opt(next_year, next_month, 1),
    ) {
        (Some(first), Some(next)) => (next - first).num_days() as u32,
        _ => 31,
    }
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{name} is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_frequency(value: &str) -> Result<Frequency, String> {
    match value.to_ascii_uppercase().as_str() {
        "DAILY" => Ok(Frequency::Daily),
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        "YEARLY" => Ok(Frequency::Yearly),
        "SECONDLY" | "MINUTELY" | "HOURLY" => Err(format!(
            "FREQ={} is not supported (use DAILY, WEEKLY, MONTHLY or YEARLY)",
            value.to_ascii_uppercase()
        )),
        _ => Err(format!(
            "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY, not {value:?}"
        )),
    }
}

fn parse_until(value: &str) -> Result<Until, String> {
    let error = || {
        format!(
            "UNTIL must be a UTC time like 20270630T215959Z or a date like 20270630, not {value:?}"
        )
    };
    let upper = value.to_ascii_uppercase();
    let (local, utc) = match upper.strip_suffix('Z') {
        Some(local) => (local, true),
        None => (upper.as_str(), false),
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    let number = |text: &str| text.parse::<u32>().map_err(|_| error());
    let (date_text, time_text) = match local.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (local, None),
    };
    if date_text.len() != 8 || !digits(date_text) {
        return Err(error());
    }
    let date = NaiveDate::from_ymd_opt(
        number(&date_text[..4])? as i32,
        number(&date_text[4..6])?,
        number(&date_text[6..])?,
    )
    .ok_or_else(error)?;
    let time = match time_text {
        Some(time) if time.len() == 6 && digits(time) => NaiveTime::from_hms_opt(
            number(&time[..2])?,
            number(&time[2..4])?,
            number(&time[4..])?,
        )
        .ok_or_else(error)?,
        Some(_) => return Err(error()),
        None if utc => return Err(error()),
        None => NaiveTime::from_hms_opt(23, 59, 59).ok_or_else(error)?,
    };
    let at = date.and_time(time);
    Ok(if utc {
        Until::Utc(Timestamp::from(at.and_utc()))
    } else {
        Until::Floating(at)
    })
}

fn parse_by_day_item(item: &str) -> Result<(Option<i8>, Weekday), String> {
    let item = item.trim().to_ascii_uppercase();
    let error = || format!("BYDAY must list days such as MO, TU, 2TU or -1FR, not {item:?}");
    if item.len() < 2 || !item.is_ascii() {
        return Err(error());
    }
    let (number, day) = item.split_at(item.len() - 2);
    let weekday = parse_weekday("BYDAY", day).map_err(|_| error())?;
    if number.is_empty() {
        return Ok((None, weekday));
    }
    let number = number
        .parse::<i8>()
        .ok()
        .filter(|number| *number != 0 && (-53..=53).contains(number))
        .ok_or_else(error)?;
    Ok((Some(number), weekday))
}

fn parse_weekday(part: &str, value: &str) -> Result<Weekday, String> {
    match value.trim().to_ascii_uppercase().as_str() {
        "MO" => Ok(Weekday::Mon),
        "TU" => Ok(Weekday::Tue),
        "WE" => Ok(Weekday::Wed),
        "TH" => Ok(Weekday::Thu),
        "FR" => Ok(Weekday::Fri),
        "SA" => Ok(Weekday::Sat),
        "SU" => Ok(Weekday::Sun),
        _ => Err(format!(
            "{part} must be a day such as MO, TU, WE, TH, FR, SA or SU, not {value:?}"
        )),
    }
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// "first", "second", …, "last", "second-to-last", …
fn ordinal_word(number: i8) -> String {
    let word = |number: i8| match number {
        1 => "first".to_owned(),
        2 => "second".to_owned(),
        3 => "third".to_owned(),
        4 => "fourth".to_owned(),
        5 => "fifth".to_owned(),
        other => numeric_ordinal(i32::from(other)),
    };
    match number {
        -1 => "last".to_owned(),
        number if number < 0 => format!("{}-to-last", word(-number)),
        number => word(number),
    }
}

/// "the 1st", "the 22nd", "the last day", "the 2nd-to-last day".
fn month_day_words(day: i8) -> String {
    match day {
        -1 => "the last day".to_owned(),
        day if day < 0 => format!("the {}-to-last day", numeric_ordinal(-i32::from(day))),
        day => format!("the {}", numeric_ordinal(i32::from(day))),
    }
}

fn numeric_ordinal(number: i32) -> String {
    let suffix = match (number % 10, number % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{number}{suffix}")
}

/// "A", "A and B", "A, B and C".
fn english_list(items: &[String]) -> String {
    join_english(items, "and")
}

/// "A", "A or B", "A, B or C".
fn english_alternatives(items: &[String]) -> String {
    join_english(items, "or")
}

fn join_english(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
    }

    fn utc(timestamps: &[Timestamp]) -> Vec<String> {
        timestamps
            .iter()
            .map(|at| at.to_datetime().format("%Y-%m-%dT%H:%MZ").to_string())
            .collect()
    }

    fn expand_text(rule: &str, dtstart: &str, tz: Tz) -> Vec<String> {
        utc(&occurrences(&parse_rrule(rule).unwrap(), local(dtstart), tz, &[]).unwrap())
    }

    #[test]
    fn weekly_evening_stays_at_local_time_across_both_daylight_saving_changes() {
        let paris = chrono_tz::Europe::Paris;
        // 2026: summer time from 29 March, winter time from 25 October.
        let spring = expand_text("FREQ=WEEKLY;BYDAY=TU;COUNT=3", "2026-03-17T19:00", paris);
        assert_eq!(
            spring,
            [
                "2026-03-17T18:00Z",
                "2026-03-24T18:00Z",
                "2026-03-31T17:00Z"
            ]
        );
        let autumn = expand_text("RRULE:FREQ=WEEKLY;COUNT=3", "2026-10-13T19:00", paris);
        assert_eq!(
            autumn,
            [
                "2026-10-13T17:00Z",
                "2026-10-20T17:00Z",
                "2026-10-27T18:00Z"
            ]
        );
    }

    #[test]
    fn skipped_and_repeated_hours_follow_rfc_5545() {
        let paris = chrono_tz::Europe::Paris;
        // 02:30 does not exist on 29 March 2026: read with the winter offset.
        assert_eq!(
            utc(&[resolve_local(local("2026-03-29T02:30"), paris)]),
            ["2026-03-29T01:30Z"]
        );
        // 02:30 happens twice on 25 October 2026: the first (summer) one.
        assert_eq!(
            utc(&[resolve_local(local("2026-10-25T02:30"), paris)]),
            ["2026-10-25T00:30Z"]
        );
        let daily = expand_text("FREQ=DAILY;COUNT=3", "2026-03-28T02:30", paris);
        assert_eq!(
            daily,
            [
                "2026-03-28T01:30Z",
                "2026-03-29T01:30Z",
                "2026-03-30T00:30Z"
            ]
        );
    }

    #[test]
    fn monthly_second_tuesday_and_last_friday() {
        let utc_zone = Tz::UTC;
        assert_eq!(
            expand_text(
                "FREQ=MONTHLY;BYDAY=2TU;COUNT=4",
                "2026-01-01T18:00",
                utc_zone
            ),
            [
                "2026-01-13T18:00Z",
                "2026-02-10T18:00Z",
                "2026-03-10T18:00Z",
                "2026-04-14T18:00Z"
            ]
        );
        assert_eq!(
            expand_text(
                "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
                "2026-01-30T18:00",
                utc_zone
            ),
            [
                "2026-01-30T18:00Z",
                "2026-02-27T18:00Z",
                "2026-03-27T18:00Z"
            ]
        );
        assert_eq!(
            expand_text(
                "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
                "2026-01-15T09:00",
                utc_zone
            ),
            [
                "2026-01-31T09:00Z",
                "2026-02-28T09:00Z",
                "2026-03-31T09:00Z"
            ]
        );
    }

    #[test]
    fn monthly_on_the_31st_skips_shorter_months() {
        assert_eq!(
            expand_text("FREQ=MONTHLY;COUNT=3", "2026-01-31T10:00", Tz::UTC),
            [
                "2026-01-31T10:00Z",
                "2026-03-31T10:00Z",
                "2026-05-31T10:00Z"
            ]
        );
    }

    #[test]
    fn dtstart_that_does_not_match_is_not_an_occurrence() {
        // 2026-01-01 is a Thursday; the first Tuesday after it comes first.
        assert_eq!(
            expand_text("FREQ=WEEKLY;BYDAY=TU;COUNT=2", "2026-01-01T12:00", Tz::UTC),
            ["2026-01-06T12:00Z", "2026-01-13T12:00Z"]
        );
    }

    #[test]
    fn week_start_decides_the_weeks_of_a_fortnightly_rule() {
        // The RFC 5545 example: every other week on Tuesday and Sunday.
        let monday = expand_text(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
            "1997-08-05T09:00",
            Tz::UTC,
        );
        assert_eq!(
            monday,
            [
                "1997-08-05T09:00Z",
                "1997-08-10T09:00Z",
                "1997-08-19T09:00Z",
                "1997-08-24T09:00Z"
            ]
        );
        let sunday = expand_text(
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
            "1997-08-05T09:00",
            Tz::UTC,
        );
        assert_eq!(
            sunday,
            [
                "1997-08-05T09:00Z",
                "1997-08-17T09:00Z",
                "1997-08-19T09:00Z",
                "1997-08-31T09:00Z"
            ]
        );
    }

    #[test]
    fn until_is_inclusive_and_a_date_means_the_whole_day() {
        let paris = chrono_tz::Europe::Paris;
        // 2026-11-24 19:00 in Paris is 18:00Z.
        assert_eq!(
            expand_text(
                "FREQ=WEEKLY;UNTIL=20261124T180000Z",
                "2026-11-10T19:00",
                paris
            ),
            [
                "2026-11-10T18:00Z",
                "2026-11-17T18:00Z",
                "2026-11-24T18:00Z"
            ]
        );
        assert_eq!(
            expand_text("FREQ=WEEKLY;UNTIL=20261124", "2026-11-10T19:00", paris).len(),
            3
        );
        let rule = parse_rrule("FREQ=WEEKLY;UNTIL=20261124").unwrap();
        assert_eq!(
            rule.with_utc_until(paris).to_ical(),
            "FREQ=WEEKLY;UNTIL=20261124T225959Z"
        );
    }

    #[test]
    fn exdates_are_removed_after_counting() {
        let rule = parse_rrule("FREQ=WEEKLY;BYDAY=TU;COUNT=4").unwrap();
        let starts = occurrences(
            &rule,
            local("2026-11-03T19:00"),
            chrono_tz::Europe::Paris,
            &[local("2026-11-10T19:00"), local("2026-12-01T19:00")],
        )
        .unwrap();
        assert_eq!(
            utc(&starts),
            [
                "2026-11-03T18:00Z",
                "2026-11-17T18:00Z",
                "2026-11-24T18:00Z"
            ]
        );
    }

    #[test]
    fn an_exdate_in_the_gap_removes_the_occurrence_by_either_spelling() {
        let rule = parse_rrule("FREQ=DAILY;COUNT=3").unwrap();
        let paris = chrono_tz::Europe::Paris;
        let start = local("2027-03-27T02:30");
        let as_generated = occurrences(&rule, start, paris, &[local("2027-03-28T02:30")]);
        assert_eq!(
            utc(&as_generated.unwrap()),
            ["2027-03-27T01:30Z", "2027-03-29T00:30Z"]
        );
        // 03:30 CEST is the same instant, as the stored start reads back.
        let other_spelling = occurrences(&rule, start, paris, &[local("2027-03-28T03:30")]);
        assert_eq!(
            utc(&other_spelling.unwrap()),
            ["2027-03-27T01:30Z", "2027-03-29T00:30Z"]
        );
    }

    #[test]
    fn a_series_longer_than_the_cap_is_refused() {
        let rule = parse_rrule("FREQ=DAILY;UNTIL=20300101T000000Z").unwrap();
        let error = occurrences(&rule, local("2026-01-01T10:00"), Tz::UTC, &[]).unwrap_err();
        assert!(error.contains("more than 500 occurrences"), "{error}");
        let exactly = parse_rrule("FREQ=DAILY;COUNT=500").unwrap();
        assert_eq!(
            occurrences(&exactly, local("2026-01-01T10:00"), Tz::UTC, &[])
                .unwrap()
                .len(),
            MAX_OCCURRENCES
        );
        assert_eq!(
            parse_rrule("FREQ=DAILY;COUNT=501").unwrap_err(),
            "COUNT must be a whole number from 1 to 500"
        );
    }

    #[test]
    fn a_series_past_2099_is_refused() {
        let rule = parse_rrule("FREQ=YEARLY;INTERVAL=5;COUNT=20").unwrap();
        let error = occurrences(&rule, local("2027-06-01T10:00"), Tz::UTC, &[]).unwrap_err();
        assert!(error.contains("runs past 2099"), "{error}");
        let until = parse_rrule("FREQ=YEARLY;UNTIL=20991231").unwrap();
        assert_eq!(
            occurrences(&until, local("2027-06-01T10:00"), Tz::UTC, &[])
                .unwrap()
                .len(),
            73
        );
        // A rule that matches nothing before 2100 cannot be told from one
        // that runs past it: refused too.
        let never = parse_rrule("FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30;COUNT=2").unwrap();
        assert!(occurrences(&never, local("2027-02-01T10:00"), Tz::UTC, &[]).is_err());
    }

    #[test]
    fn a_series_that_never_ends_is_refused() {
        assert_eq!(
            parse_rrule("FREQ=WEEKLY;BYDAY=SU").unwrap_err(),
            "a series that never ends needs COUNT or UNTIL"
        );
        let mut rule = parse_rrule("FREQ=WEEKLY;COUNT=2").unwrap();
        rule.count = None;
        assert!(occurrences(&rule, local("2026-01-01T10:00"), Tz::UTC, &[]).is_err());
    }

    #[test]
    fn bad_parts_are_refused_by_name() {
        let error = |text: &str| parse_rrule(text).unwrap_err();
        assert_eq!(
            error("FREQ=DAILY;BYHOUR=9;COUNT=2"),
            "BYHOUR is not supported"
        );
        assert_eq!(
            error("FREQ=MONTHLY;BYSETPOS=-1;COUNT=2"),
            "BYSETPOS is not supported"
        );
        assert_eq!(
            error("FREQ=DAILY;INTERVAL=0;COUNT=2"),
            "INTERVAL must be a whole number from 1 to 999"
        );
        assert_eq!(
            error("FREQ=DAILY;INTERVAL=two;COUNT=2"),
            "INTERVAL must be a whole number from 1 to 999"
        );
        assert_eq!(
            error("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z"),
            "COUNT and UNTIL cannot both be set (RFC 5545)"
        );
        assert!(error("FREQ=HOURLY;COUNT=2").contains("FREQ=HOURLY is not supported"));
        assert!(error("COUNT=2").contains("FREQ is required"));
        assert!(error("FREQ=WEEKLY;BYDAY=2TU;COUNT=2").contains("needs FREQ=MONTHLY"));
        assert!(error("FREQ=MONTHLY;BYDAY=6TU;COUNT=2").contains("out of range"));
        assert!(error("FREQ=MONTHLY;BYDAY=MO,2TU;COUNT=2").contains("cannot mix"));
        assert!(error("FREQ=MONTHLY;BYDAY=XX;COUNT=2").starts_with("BYDAY must list days"));
        assert!(error("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=2").starts_with("BYMONTHDAY must"));
        assert!(error("FREQ=WEEKLY;BYMONTHDAY=3;COUNT=2").contains("FREQ=WEEKLY"));
        assert!(error("FREQ=DAILY;UNTIL=tomorrow").starts_with("UNTIL must be"));
        assert!(error("FREQ=DAILY;FREQ=WEEKLY;COUNT=2").contains("given twice"));
        assert!(error("FREQ=DAILY;COLOR=red;COUNT=2").contains("COLOR is not a part"));
        assert!(error("FREQ=DAILY;COUNT").contains("NAME=VALUE"));
        assert!(error("  ").contains("empty"));
    }

    #[test]
    fn parsing_is_case_insensitive_and_writing_is_canonical() {
        let rule = parse_rrule("rrule:freq=monthly;byday=-1fr,2tu;count=10").unwrap();
        assert_eq!(rule.frequency, Frequency::Monthly);
        assert_eq!(
            rule.by_day,
            vec![(Some(2), Weekday::Tue), (Some(-1), Weekday::Fri)]
        );
        assert_eq!(rule.to_ical(), "FREQ=MONTHLY;COUNT=10;BYDAY=2TU,-1FR");
        for text in [
            "FREQ=WEEKLY;COUNT=10;BYDAY=TU",
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270630T215959Z;BYDAY=TU,TH;WKST=SU",
            "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=1,15,-1",
            "FREQ=YEARLY;UNTIL=20300101T000000Z",
            "FREQ=DAILY;UNTIL=20270630T235959",
        ] {
            let rule = parse_rrule(text).unwrap();
            assert_eq!(rule.to_ical(), text);
            assert_eq!(parse_rrule(&rule.to_ical()).unwrap(), rule);
        }
    }

    #[test]
    fn descriptions_read_as_english() {
        let describe_text = |text: &str| describe(&parse_rrule(text).unwrap());
        assert_eq!(
            describe_text("FREQ=WEEKLY;BYDAY=TU;COUNT=10"),
            "every week on Tuesday, 10 times"
        );
        assert_eq!(
            describe_text("FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270630T120000Z"),
            "every month on the first Monday until 2027-06-30"
        );
        assert_eq!(
            describe_text("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=1"),
            "every 2 weeks on Monday, Wednesday and Friday, once"
        );
        assert_eq!(
            describe_text("FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"),
            "every month on the last Friday, 6 times"
        );
        assert_eq!(
            describe_text("FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=6"),
            "every month on the 1st and the last day, 6 times"
        );
        assert_eq!(describe_text("FREQ=DAILY;COUNT=5"), "every day, 5 times");
        assert_eq!(
            describe_text("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=2"),
            "every month on the 13th, if it is a Friday, 2 times"
        );
        let late = parse_rrule("FREQ=WEEKLY;UNTIL=20270701T035959Z").unwrap();
        assert_eq!(
            describe_in(&late, chrono_tz::America::New_York),
            "every week until 2027-06-30"
        );
    }
}
