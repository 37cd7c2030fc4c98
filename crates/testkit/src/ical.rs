//! An independent reader for the calendars Agora writes: the Python
//! `icalendar` package and python-dateutil's `rrule`, run through
//! `tools/ical_check.py` in the venv that `tools/peers/icalendar.sh` installs.
//!
//! Like the other peers, a missing Python (or PyPI) skips the test with a line
//! saying why, unless `AGORA_REQUIRE_PEERS=1`, when it fails it. A calendar
//! the reader rejects always fails the test, with the reader's reason.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use agora_core::Timestamp;
use serde::Deserialize;

/// What the Python reader understood of a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckedCalendar {
    pub calendar_name: Option<String>,
    /// The `TZID` of each `VTIMEZONE`, in file order.
    pub timezones: Vec<String>,
    /// Each `VTIMEZONE`'s offset changes as `icalendar` reads them.
    pub transitions: BTreeMap<String, Vec<CheckedTransition>>,
    pub events: Vec<CheckedEvent>,
}

/// One offset change of a `VTIMEZONE`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckedTransition {
    /// UTC, RFC 3339 (`2026-03-29T01:00:00Z`).
    pub at: String,
    /// `+0200`.
    pub offset_to: String,
    pub daylight: bool,
    pub name: String,
}

/// One `VEVENT`; every time is UTC in RFC 3339 (`2026-11-24T18:00:00Z`), see [`utc`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckedEvent {
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    pub url: Option<String>,
    pub sequence: i64,
    pub status: Option<String>,
    pub start: String,
    pub end: Option<String>,
    pub recurrence_id: Option<String>,
    pub exdates: Vec<String>,
    /// The series expanded by dateutil, EXDATEs removed; `[start]` for a
    /// single event.
    pub occurrences: Vec<String>,
}

impl CheckedCalendar {
    /// The event with this UID and no `RECURRENCE-ID` (a single event or a
    /// series); panics with the UIDs there are otherwise.
    pub fn event(&self, uid: &str) -> &CheckedEvent {
        self.events
            .iter()
            .find(|event| event.uid == uid && event.recurrence_id.is_none())
            .unwrap_or_else(|| panic!("no event {uid} in {:#?}", self.events))
    }
}

/// An instant as the reader prints it: `2026-11-24T18:00:00Z`.
pub fn utc(at: Timestamp) -> String {
    at.to_datetime().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn peers_required() -> bool {
    std::env::var("AGORA_REQUIRE_PEERS").is_ok_and(|value| value == "1")
}

/// The repository's `tools` directory, found by walking up from this crate.
fn tools_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tools"))
        .find(|dir| dir.join("peers").is_dir())
}

static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The venv's Python, installed on first use in this process.
fn install() -> Result<PathBuf, String> {
    let tools = tools_dir().ok_or("no tools/peers directory above this crate")?;
    let script = tools.join("peers").join("icalendar.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg("install")
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not run {}: {error}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} install exited with {}:\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.trim().strip_prefix("PYTHON="))
        .map(PathBuf::from)
        .ok_or_else(|| format!("{} printed no PYTHON=", script.display()))
}

/// Reads `ics` with the Python `icalendar` package and expands its series with
/// dateutil. `None`, after saying why, when Python or the package cannot be
/// installed and `AGORA_REQUIRE_PEERS` is not `1`; panics with the reader's
/// explanation when it rejects the calendar.
pub fn check_with_icalendar(ics: &str) -> Option<CheckedCalendar> {
    let python = match PYTHON.get_or_init(install) {
        Ok(python) => python,
        Err(reason) if peers_required() => panic!(
            "the icalendar reader is required (AGORA_REQUIRE_PEERS=1) but unavailable: {reason}"
        ),
        Err(reason) => {
            eprintln!("skipping: the icalendar reader is missing: {reason}");
            return None;
        }
    };
    let checker = tools_dir()
        .map(|tools| tools.join("ical_check.py"))
        .expect("tools/ical_check.py");
    let mut child = Command::new(python)
        .arg(&checker)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("could not run {}: {error}", checker.display()));
    child
        .stdin
        .take()
        .expect("the checker's stdin")
        .write_all(ics.as_bytes())
        .expect("writing the calendar to the checker");
    let output = child.wait_with_output().expect("the checker's output");
    assert!(
        output.status.success(),
        "the icalendar reader rejected the calendar ({}):\n{}\n--- calendar ---\n{ics}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let checked = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the checker printed something other than its JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    Some(checked)
}
