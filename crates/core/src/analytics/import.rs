//! Reading an interaction log in the CSV format of `research/health-measures.md`.
//!
//! Parsing is pure: the `agora` binary reads the files line by line and hands
//! each line here; the store maps the file's ids to members and spaces. A
//! malformed row is refused with its line, its column (1-based) and its field
//! name, so the operator can find it in an editor.

use std::borrow::Cow;
use std::future::Future;

use chrono::{DateTime, NaiveDateTime};

use super::InteractionKind;
use crate::accounts::WorkspaceId;
use crate::error::StoreError;

/// The header of the `interactions` file, in order.
pub const INTERACTION_COLUMNS: [&str; 9] = [
    "id",
    "workspace_id",
    "space_id",
    "actor_id",
    "target_id",
    "kind",
    "thread_id",
    "at",
    "actor_is_staff",
];

/// The header of the `members` file, in order.
pub const MEMBER_COLUMNS: [&str; 4] = ["member_id", "workspace_id", "joined_at", "is_staff"];

/// Ids and thread ids stay below 2⁴⁰: the store keys an imported thread as
/// `(source << 40) | thread_id`.
pub const MAX_IMPORT_ID: i64 = 1 << 40;

/// The kinds the format allows: the research format's seven, and clicks and
/// follows (kept, but not activity: see [`InteractionKind::is_activity`]).
pub const IMPORT_KINDS: [InteractionKind; 9] = [
    InteractionKind::Post,
    InteractionKind::Reply,
    InteractionKind::Mention,
    InteractionKind::Reaction,
    InteractionKind::AcceptedAnswer,
    InteractionKind::Rsvp,
    InteractionKind::CheckIn,
    InteractionKind::Click,
    InteractionKind::Follow,
];

/// A row the file got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}, column {column} ({field}): {message}")]
pub struct ImportError {
    pub file: &'static str,
    pub line: u64,
    pub column: usize,
    pub field: &'static str,
    pub message: String,
}

/// One row of the interactions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedInteraction {
    pub id: i64,
    pub workspace: String,
    pub space: String,
    pub actor: String,
    pub target: Option<String>,
    pub kind: InteractionKind,
    pub thread: Option<i64>,
    /// Seconds since the Unix epoch, UTC.
    pub at: i64,
    pub actor_is_staff: bool,
}

/// One row of the members file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMember {
    pub id: String,
    pub workspace: String,
    /// Seconds since the Unix epoch, UTC.
    pub joined_at: i64,
    pub is_staff: bool,
}

/// The name an import is kept under in a workspace: re-running an import of
/// the same name adds only the rows after the ones it already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSourceName(String);

impl ImportSourceName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 40
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("a source name is 1 to 40 characters among a-z, 0-9, - and _".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub members_created: u64,
    pub spaces_created: u64,
    pub interactions_added: u64,
    /// Rows already imported by an earlier run of the same source.
    pub interactions_skipped: u64,
}

/// Why an import stopped (and loaded nothing).
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error(transparent)]
    Row(#[from] ImportError),
    /// The files disagree with each other (an actor missing from the members file).
    #[error("{0}")]
    Inconsistent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Bulk loading of interaction logs.
pub trait InteractionImportStore: Send + Sync {
    /// Loads `rows` (already validated, in file order) and the members file into
    /// the workspace, in one transaction: a failure leaves nothing behind.
    /// `progress` is called with the number of rows read so far.
    fn import_interactions(
        &self,
        workspace: WorkspaceId,
        source: &ImportSourceName,
        members: &[ImportedMember],
        rows: &mut (dyn Iterator<Item = Result<ImportedInteraction, ImportError>> + Send),
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> impl Future<Output = Result<ImportSummary, ImportFailure>> + Send;

    /// The identities a member of the workspace is known by.
    fn member_identities(
        &self,
        workspace: WorkspaceId,
        member: crate::members::MemberId,
    ) -> impl Future<Output = Result<Vec<MemberIdentity>, StoreError>> + Send;
}

/// One way a member is known: an e-mail, a native account, an id in an imported log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberIdentity {
    /// `email`, `account` or `import:<source>`.
    pub kind: String,
    pub value: String,
}

/// Splits one CSV record (RFC 4180, without line breaks inside quotes).
pub fn split_record(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if !line.contains('"') {
        return Ok(line.split(',').map(Cow::Borrowed).collect());
    }
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(Cow::Owned(field));
                    return Ok(fields);
                }
                Some(',') => fields.push(Cow::Owned(field)),
                Some(_) => return Err("text after a closing quote".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(Cow::Owned(field));
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(Cow::Owned(field));
        }
    }
}

/// Checks a header line against the expected columns.
pub fn check_header(
    file: &'static str,
    line: &str,
    expected: &[&'static str],
) -> Result<(), ImportError> {
    let fields = split_record(line).map_err(|message| ImportError {
        file,
        line: 1,
        column: 1,
        field: "header",
        message,
    })?;
    for (index, name) in expected.iter().enumerate() {
        let found = fields.get(index).map(|field| field.trim()).unwrap_or("");
        if found != *name {
            return Err(ImportError {
                file,
                line: 1,
                column: index + 1,
                field: name,
                message: format!("the header must be {}; found {found:?}", expected.join(",")),
            });
        }
    }
    if fields.len() != expected.len() {
        return Err(ImportError {
            file,
            line: 1,
            column: expected.len() + 1,
            field: "header",
            message: format!("the header must be {}", expected.join(",")),
        });
    }
    Ok(())
}

/// Parses `2024-03-01T12:34:56Z` (RFC 3339; an offset is converted to UTC).
pub fn parse_time(raw: &str) -> Option<i64> {
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Some(time.timestamp());
    }
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|time| time.and_utc().timestamp())
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw {
        "true" | "t" | "1" | "TRUE" | "True" => Some(true),
        "false" | "f" | "0" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Checks the order of an interactions file as it streams: ids count up, time
/// never goes back, every post opens its own thread.
#[derive(Debug, Default)]
pub struct InteractionReader {
    last_id: i64,
    last_at: i64,
    workspace: Option<String>,
}

impl InteractionReader {
    /// Parses data line `line_number` (the header is line 1).
    pub fn read(
        &mut self,
        line_number: u64,
        line: &str,
    ) -> Result<ImportedInteraction, ImportError> {
        let error = |column: usize, message: String| ImportError {
            file: "interactions",
            line: line_number,
            column,
            field: INTERACTION_COLUMNS
                .get(column.saturating_sub(1))
                .copied()
                .unwrap_or("row"),
            message,
        };
        let fields = split_record(line).map_err(|message| error(1, message))?;
        if fields.len() != INTERACTION_COLUMNS.len() {
            return Err(error(
                fields.len().min(INTERACTION_COLUMNS.len()) + 1,
                format!(
                    "expected {} fields, found {}",
                    INTERACTION_COLUMNS.len(),
                    fields.len()
                ),
            ));
        }
        let id: i64 = fields[0]
            .parse()
            .map_err(|_| error(1, format!("{:?} is not a whole number", fields[0])))?;
        if id >= MAX_IMPORT_ID {
            return Err(error(1, format!("ids must be below {MAX_IMPORT_ID}")));
        }
        if id <= self.last_id {
            return Err(error(
                1,
                format!("ids must count up; {id} follows {}", self.last_id),
            ));
        }
        let required = |index: usize| -> Result<String, ImportError> {
            let value = fields[index].trim();
            if value.is_empty() {
                Err(error(index + 1, "must not be empty".into()))
            } else {
                Ok(value.to_owned())
            }
        };
        let workspace = required(1)?;
        match &self.workspace {
            Some(known) if *known != workspace => {
                return Err(error(
                    2,
                    format!("one workspace per file: {workspace:?} after {known:?}"),
                ));
            }
            Some(_) => {}
            None => self.workspace = Some(workspace.clone()),
        }
        let space = required(2)?;
        let actor = required(3)?;
        let target = (!fields[4].trim().is_empty()).then(|| fields[4].trim().to_owned());
        let kind = InteractionKind::parse(fields[5].trim())
            .filter(|kind| IMPORT_KINDS.contains(kind))
            .ok_or_else(|| {
                error(
                    6,
                    format!(
                        "{:?} is not one of {}",
                        fields[5],
                        IMPORT_KINDS.map(InteractionKind::as_str).join(", ")
                    ),
                )
            })?;
        let thread = match fields[6].trim() {
            "" => None,
            raw => Some(
                raw.parse::<i64>()
                    .map_err(|_| error(7, format!("{raw:?} is not a whole number")))?,
            ),
        };
        if kind == InteractionKind::Post && thread != Some(id) {
            return Err(error(
                7,
                "a post opens its own thread: thread_id must equal id".into(),
            ));
        }
        if let Some(thread) = thread
            && (thread > id || thread <= 0)
        {
            return Err(error(
                7,
                format!("thread {thread} is not an earlier post's id"),
            ));
        }
        let at = parse_time(fields[7].trim()).ok_or_else(|| {
            error(
                8,
                format!(
                    "{:?} is not a UTC time like 2024-03-01T12:34:56Z",
                    fields[7]
                ),
            )
        })?;
        if at < self.last_at {
            return Err(error(8, "rows must be in time order".into()));
        }
        let actor_is_staff = parse_bool(fields[8].trim())
            .ok_or_else(|| error(9, format!("{:?} is not true or false", fields[8])))?;
        self.last_id = id;
        self.last_at = at;
        Ok(ImportedInteraction {
            id,
            workspace,
            space,
            actor,
            target,
            kind,
            thread,
            at,
            actor_is_staff,
        })
    }
}

/// Parses data line `line_number` of the members file.
pub fn read_member(line_number: u64, line: &str) -> Result<ImportedMember, ImportError> {
    let error = |column: usize, message: String| ImportError {
        file: "members",
        line: line_number,
        column,
        field: MEMBER_COLUMNS
            .get(column.saturating_sub(1))
            .copied()
            .unwrap_or("row"),
        message,
    };
    let fields = split_record(line).map_err(|message| error(1, message))?;
    if fields.len() != MEMBER_COLUMNS.len() {
        return Err(error(
            fields.len().min(MEMBER_COLUMNS.len()) + 1,
            format!(
                "expected {} fields, found {}",
                MEMBER_COLUMNS.len(),
                fields.len()
            ),
        ));
    }
    let id = fields[0].trim();
    if id.is_empty() {
        return Err(error(1, "must not be empty".into()));
    }
    let joined_at = parse_time(fields[2].trim()).ok_or_else(|| {
        error(
            3,
            format!(
                "{:?} is not a UTC time like 2024-03-01T12:34:56Z",
                fields[2]
            ),
        )
    })?;
    let is_staff = parse_bool(fields[3].trim())
        .ok_or_else(|| error(4, format!("{:?} is not true or false", fields[3])))?;
    Ok(ImportedMember {
        id: id.to_owned(),
        workspace: fields[1].trim().to_owned(),
        joined_at,
        is_staff,
    })
}

/// Formats seconds as the format's `2024-03-01T12:34:56Z`.
pub fn format_time(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEADER: &str =
        "id,workspace_id,space_id,actor_id,target_id,kind,thread_id,at,actor_is_staff";

    #[test]
    fn reads_rows_and_refuses_bad_ones_with_line_and_column() {
        check_header("interactions", HEADER, &INTERACTION_COLUMNS).expect("header");
        let mut reader = InteractionReader::default();
        let post = reader
            .read(2, "1,w,s1,m1,,post,1,2024-03-01T12:34:56Z,false")
            .expect("post");
        assert_eq!(post.at, 1_709_296_496);
        assert_eq!(post.thread, Some(1));
        let reply = reader
            .read(3, "2,w,s1,m2,m1,reply,1,2024-03-01T12:35:00Z,true\r\n")
            .expect("reply");
        assert_eq!(reply.target.as_deref(), Some("m1"));
        assert!(reply.actor_is_staff);
        let error = reader
            .read(4, "3,w,s1,m2,m1,wave,1,2024-03-01T12:36:00Z,false")
            .unwrap_err();
        assert_eq!((error.line, error.column, error.field), (4, 6, "kind"));
        let error = reader
            .read(5, "3,w,s1,m2,m1,reply,1,yesterday,false")
            .unwrap_err();
        assert_eq!((error.line, error.column, error.field), (5, 8, "at"));
        assert_eq!(
            error.to_string(),
            "interactions line 5, column 8 (at): \"yesterday\" is not a UTC time like 2024-03-01T12:34:56Z"
        );
        let error = reader
            .read(6, "2,w,s1,m2,,reaction,,2024-03-01T12:36:00Z,false")
            .unwrap_err();
        assert_eq!((error.column, error.field), (1, "id"));
        let error = reader
            .read(7, "9,w,s1,m2,,post,3,2024-03-01T12:36:00Z,false")
            .unwrap_err();
        assert_eq!(error.field, "thread_id");
        let error = reader.read(8, "9,w,s1,m2").unwrap_err();
        assert_eq!(error.column, 5);
        let error = reader
            .read(9, "9,other,s1,m2,,reaction,,2024-03-01T12:36:00Z,false")
            .unwrap_err();
        assert_eq!(error.field, "workspace_id");
        let error = check_header("interactions", "id,space_id", &INTERACTION_COLUMNS).unwrap_err();
        assert_eq!((error.line, error.column), (1, 2));
    }

    #[test]
    fn quoted_fields_are_unquoted() {
        let fields = split_record("\"a,b\",\"say \"\"hi\"\"\",,c").expect("record");
        assert_eq!(fields, vec!["a,b", "say \"hi\"", "", "c"]);
        assert!(split_record("\"open").is_err());
    }

    #[test]
    fn members_rows() {
        let member = read_member(2, "m1,w,2023-12-31T23:00:00Z,true").expect("member");
        assert!(member.is_staff);
        assert_eq!(format_time(member.joined_at), "2023-12-31T23:00:00Z");
        let error = read_member(3, "m1,w,2023-12-31,maybe").unwrap_err();
        assert_eq!((error.file, error.line, error.column), ("members", 3, 3));
    }

    #[test]
    fn source_names() {
        assert!(ImportSourceName::parse("discord-2024").is_ok());
        assert!(ImportSourceName::parse("Bad Name").is_err());
    }
}
