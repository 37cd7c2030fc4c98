#!/usr/bin/env python3
"""Read an iCalendar text on stdin the way other calendar software would, and
print what it means as JSON, for the interop tests to compare with Agora's own
expansion.

Parsing is strict: any line that is not CRLF-terminated or is longer than 75
octets, any property the `icalendar` package could not parse, a VEVENT
without UID, DTSTAMP or DTSTART, a TZID without its VTIMEZONE, a floating
time, or a VTIMEZONE that disagrees with the tz database about an event's
time makes the script exit with status 1 and say why on stderr.

Recurring events are expanded independently with python-dateutil's
`rrulestr(rule, dtstart=<tz-aware DTSTART>, forceset=True)` minus the EXDATEs.
The tz-aware DTSTART is the one `icalendar` resolves from the TZID (a zoneinfo
zone); the file's own VTIMEZONE is read too (by dateutil's `tzical`, through
`Timezone.to_tz(lookup_tzid=False)`) and must give every event time the same
UTC instant.

Output: {"calendar_name", "timezones": [tzid], "transitions": {tzid:
[{"at", "offset_to", "daylight", "name"}]} (the VTIMEZONE as `icalendar`
reads it), "events": [{"uid", "summary",
"description", "location", "url", "sequence", "status", "start", "end",
"recurrence_id", "exdates", "occurrences"}]}; times are UTC RFC 3339 strings
such as 2026-11-24T18:00:00Z.
"""

import json
import sys
from datetime import date, datetime, timedelta, timezone

import icalendar
from dateutil.rrule import rrulestr


def fail(message):
    print(f"ical_check: {message}", file=sys.stderr)
    sys.exit(1)


def utc_text(moment):
    if not isinstance(moment, datetime):
        fail(f"expected a date-time, got {moment!r}")
    if moment.tzinfo is None:
        fail(f"floating time {moment.isoformat()} (no TZID and no Z)")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def offset_text(delta):
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    text = f"{sign}{seconds // 3600:02d}{seconds // 60 % 60:02d}"
    return text + (f"{seconds % 60:02d}" if seconds % 60 else "")


def check_lines(raw):
    """RFC 5545 §3.1: CRLF line ends, at most 75 octets a line."""
    if not raw.endswith(b"\r\n"):
        fail("the text does not end with CRLF")
    for number, line in enumerate(raw[:-2].split(b"\r\n"), start=1):
        if b"\n" in line or b"\r" in line:
            fail(f"line {number} has a bare CR or LF")
        if len(line) > 75:
            fail(f"line {number} is {len(line)} octets long: {line[:40]!r}…")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            fail(f"line {number} splits a UTF-8 character or is not UTF-8: {error}")


def check_parse_errors(calendar):
    for component in calendar.walk():
        for error in getattr(component, "errors", []):
            fail(f"{component.name}: {error}")


def exdates_of(event):
    value = event.get("EXDATE")
    if value is None:
        return []
    lists = value if isinstance(value, list) else [value]
    return [item.dt for exdate in lists for item in exdate.dts]


def in_gap(moment):
    """A wall-clock time that does not exist in its zone (PEP 495: it does not
    survive a round trip through UTC)."""
    back = moment.astimezone(timezone.utc).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) != moment.replace(tzinfo=None)


def main():
    raw = sys.stdin.buffer.read()
    check_lines(raw)
    try:
        calendar = icalendar.Calendar.from_ical(raw.decode("utf-8"))
    except Exception as error:  # noqa: BLE001 - any parse failure is the answer
        fail(f"icalendar could not parse the calendar: {error}")
    if calendar.name != "VCALENDAR":
        fail(f"the top component is {calendar.name}, not VCALENDAR")
    check_parse_errors(calendar)
    for required in ("VERSION", "PRODID"):
        if required not in calendar:
            fail(f"VCALENDAR has no {required}")

    # The file's own definitions, read by dateutil's tzical.
    own_zones = {}
    transitions = {}
    for vtimezone in calendar.walk("VTIMEZONE"):
        tzid = str(vtimezone["TZID"])
        try:
            own_zones[tzid] = vtimezone.to_tz(lookup_tzid=False)
        except Exception as error:  # noqa: BLE001
            fail(f"VTIMEZONE {tzid} cannot be read: {error}")
        times, infos = vtimezone.get_transitions()
        transitions[tzid] = [
            {
                "at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "offset_to": offset_text(offset),
                "daylight": bool(dst),
                "name": name,
            }
            for when, (offset, dst, name) in zip(times, infos)
        ]

    def same_as_own_zone(moment, what, uid):
        """The file's VTIMEZONE must put `moment`'s wall-clock time at the
        same instant as the tz database (times in a gap aside: RFC 5545 and
        zoneinfo read them with the offset before the gap, tzical after)."""
        tzid = getattr(moment.tzinfo, "key", None)
        if tzid is None or tzid not in own_zones or in_gap(moment):
            return
        own = moment.replace(tzinfo=own_zones[tzid])
        if own.astimezone(timezone.utc) != moment.astimezone(timezone.utc):
            fail(
                f"{uid} {what} {moment.replace(tzinfo=None).isoformat()} {tzid}: the VTIMEZONE "
                f"says {utc_text(own)}, the tz database {utc_text(moment)}"
            )

    events = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            if required not in event:
                fail(f"a VEVENT has no {required}: {event.to_ical()[:200]!r}")
        uid = str(event["UID"])
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE"):
            values = event.get(name)
            for value in values if isinstance(values, list) else [values]:
                tzid = value.params.get("TZID") if value is not None else None
                if tzid is not None and tzid not in own_zones:
                    fail(f"{uid}: {name} uses TZID {tzid} but the calendar has no VTIMEZONE for it")
        start = event.decoded("DTSTART")
        if isinstance(start, date) and not isinstance(start, datetime):
            fail(f"{uid}: DTSTART is a date, Agora writes date-times")
        end = event.decoded("DTEND") if "DTEND" in event else None
        recurrence_id = event.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in event else None
        utc_text(event.decoded("DTSTAMP"))
        exdates = exdates_of(event)
        if "RRULE" in event:
            rule_text = event["RRULE"].to_ical().decode("utf-8")
            try:
                rule_set = rrulestr(rule_text, dtstart=start, forceset=True)
            except Exception as error:  # noqa: BLE001
                fail(f"{uid}: dateutil refuses RRULE:{rule_text}: {error}")
            for exdate in exdates:
                rule_set.exdate(exdate)
            occurrences = list(rule_set)
        else:
            occurrences = [start]
        for what, moments in (
            ("DTSTART", [start]),
            ("DTEND", [end] if end else []),
            ("RECURRENCE-ID", [recurrence_id] if recurrence_id else []),
            ("EXDATE", exdates),
            ("occurrence", occurrences),
        ):
            for moment in moments:
                same_as_own_zone(moment, what, uid)
        events.append(
            {
                "uid": uid,
                "summary": str(event.get("SUMMARY", "")),
                "description": str(event.get("DESCRIPTION", "")),
                "location": str(event["LOCATION"]) if "LOCATION" in event else None,
                "url": str(event["URL"]) if "URL" in event else None,
                "sequence": int(event.get("SEQUENCE", 0)),
                "status": str(event["STATUS"]) if "STATUS" in event else None,
                "start": utc_text(start),
                "end": utc_text(end) if end else None,
                "recurrence_id": utc_text(recurrence_id) if recurrence_id else None,
                "exdates": [utc_text(exdate) for exdate in exdates],
                "occurrences": [utc_text(moment) for moment in occurrences],
            }
        )

    name = calendar.get("X-WR-CALNAME")
    print(
        json.dumps(
            {
                "calendar_name": str(name) if name is not None else None,
                "timezones": [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")],
                "transitions": transitions,
                "events": events,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
