//! The compact interaction log of a workspace written to a file, so that the
//! first dashboard after a restart reads one file instead of ten million rows.
//!
//! A snapshot is a cache, never the truth: it names the last interaction and
//! the last member it holds (their ids, and the time and actor, or join time,
//! the database has for them), and it is used only when the database still
//! has exactly those rows. The rows that came after are then read from the
//! database as usual. The log is the raw one (every member row its own
//! index), so merges made since do not spoil it: they are applied after. A file that is short, of another
//! version, or whose checksum does not match is ignored (and replaced at the
//! next write). Files are written to a temporary name and renamed, so a crash
//! mid-write leaves the old snapshot or none.
//!
//! Layout (little-endian): `AGORALOG`, version u32, then the header fields,
//! members (id i64, joined_at i64, staff u8), the member index (id i64, dense
//! index u32: merged members point at the one they were merged into), spaces
//! (id i64), rows (at i64, thread i64, actor u32, target u32, space u32, kind
//! u8, staff u8), and a 64-bit checksum of everything before it.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use agora_core::accounts::WorkspaceId;
use agora_core::analytics::InteractionKind;
use agora_core::analytics::health::{InteractionLog, LogMember, LogRow};

const MAGIC: &[u8; 8] = b"AGORALOG";
const VERSION: u32 = 1;
/// at i64, thread i64, actor u32, target u32, space u32, kind u8, staff u8.
const ROW_BYTES: usize = 30;

/// What a snapshot must still match in the database to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Fingerprint {
    pub max_interaction: i64,
    /// The last interaction's time (ms) and actor id, as stored.
    pub last_at: i64,
    pub last_actor: i64,
    pub max_member: i64,
    /// The last member's join time (ms), as stored.
    pub last_joined_at: i64,
    pub n_members: i64,
    pub merge_version: i64,
}

/// A snapshot as read back.
pub(crate) struct Snapshot {
    pub fingerprint: Fingerprint,
    pub log: InteractionLog,
    pub member_index: HashMap<i64, u32>,
}

/// The file of a workspace's snapshot in `dir`.
pub(crate) fn path(dir: &Path, workspace: WorkspaceId) -> PathBuf {
    dir.join(format!("workspace-{workspace}.agoralog"))
}

/// A 64-bit checksum over 8-byte words (the tail padded with zeros): cheap
/// enough for hundreds of megabytes, and any flipped or missing byte shows.
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0x9E37_79B9_7F4A_7C15 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        hash = (hash.rotate_left(5) ^ word).wrapping_mul(0x0000_0100_0000_01B3);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    (hash.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(0x0000_0100_0000_01B3)
}

/// Serialises a log with its fingerprint.
pub(crate) fn encode(
    fingerprint: &Fingerprint,
    log: &InteractionLog,
    member_index: &HashMap<i64, u32>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        64 + log.members.len() * 17 + member_index.len() * 12 + log.rows.len() * 30,
    );
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    for value in [
        fingerprint.max_interaction,
        fingerprint.last_at,
        fingerprint.last_actor,
        fingerprint.max_member,
        fingerprint.last_joined_at,
        fingerprint.n_members,
        fingerprint.merge_version,
    ] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&(log.members.len() as u64).to_le_bytes());
    for member in &log.members {
        out.extend_from_slice(&member.id.to_le_bytes());
        out.extend_from_slice(&member.joined_at.to_le_bytes());
        out.push(u8::from(member.is_staff));
    }
    let mut index: Vec<(i64, u32)> = member_index.iter().map(|(id, at)| (*id, *at)).collect();
    index.sort_unstable();
    out.extend_from_slice(&(index.len() as u64).to_le_bytes());
    for (id, at) in index {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
    }
    out.extend_from_slice(&(log.spaces.len() as u64).to_le_bytes());
    for space in &log.spaces {
        out.extend_from_slice(&space.to_le_bytes());
    }
    out.extend_from_slice(&(log.rows.len() as u64).to_le_bytes());
    let kinds: HashMap<InteractionKind, u8> = InteractionKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| (*kind, index as u8))
        .collect();
    for row in &log.rows {
        out.extend_from_slice(&row.at.to_le_bytes());
        out.extend_from_slice(&row.thread.to_le_bytes());
        out.extend_from_slice(&row.actor.to_le_bytes());
        out.extend_from_slice(&row.target.to_le_bytes());
        out.extend_from_slice(&row.space.to_le_bytes());
        out.push(kinds.get(&row.kind).copied().unwrap_or(0));
        out.push(u8::from(row.actor_is_staff));
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Reads bytes in order; every read fails on a short input.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    /// A count whose items of `size` bytes must fit in what is left.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = usize::try_from(u64::from_le_bytes(self.take(8)?.try_into().ok()?)).ok()?;
        (n.checked_mul(size)? <= self.bytes.len()).then_some(n)
    }
}

/// Parses a snapshot; `None` for anything that is not a whole, intact one.
pub(crate) fn decode(bytes: &[u8]) -> Option<Snapshot> {
    let body_len = bytes.len().checked_sub(8)?;
    let (body, sum) = bytes.split_at(body_len);
    if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut reader = Reader { bytes: body };
    if reader.take(8)? != MAGIC || reader.u32()? != VERSION {
        return None;
    }
    let fingerprint = Fingerprint {
        max_interaction: reader.i64()?,
        last_at: reader.i64()?,
        last_actor: reader.i64()?,
        max_member: reader.i64()?,
        last_joined_at: reader.i64()?,
        n_members: reader.i64()?,
        merge_version: reader.i64()?,
    };
    let n = reader.count(17)?;
    let mut members = Vec::with_capacity(n);
    for _ in 0..n {
        members.push(LogMember {
            id: reader.i64()?,
            joined_at: reader.i64()?,
            is_staff: reader.u8()? != 0,
        });
    }
    let n = reader.count(12)?;
    let mut member_index = HashMap::with_capacity(n);
    for _ in 0..n {
        let id = reader.i64()?;
        let at = reader.u32()?;
        if at as usize >= members.len() {
            return None;
        }
        member_index.insert(id, at);
    }
    let n = reader.count(8)?;
    let mut spaces = Vec::with_capacity(n);
    for _ in 0..n {
        spaces.push(reader.i64()?);
    }
    let n = reader.count(ROW_BYTES)?;
    let mut rows = Vec::with_capacity(n);
    let (n_members, n_spaces) = (members.len(), spaces.len());
    // Rows are fixed-size records: decoded straight from 30-byte chunks.
    for chunk in reader.take(n * ROW_BYTES)?.chunks_exact(ROW_BYTES) {
        let word = |at: usize| i64::from_le_bytes(chunk[at..at + 8].try_into().unwrap_or([0; 8]));
        let half = |at: usize| u32::from_le_bytes(chunk[at..at + 4].try_into().unwrap_or([0; 4]));
        let row = LogRow {
            at: word(0),
            thread: word(8),
            actor: half(16),
            target: half(20),
            space: half(24),
            kind: *InteractionKind::ALL.get(chunk[28] as usize)?,
            actor_is_staff: chunk[29] != 0,
        };
        if row.actor as usize >= n_members || row.space as usize >= n_spaces {
            return None;
        }
        rows.push(row);
    }
    if !reader.bytes.is_empty() || !rows.is_sorted_by_key(|row| row.at) {
        return None;
    }
    Some(Snapshot {
        fingerprint,
        log: InteractionLog::new(members, spaces, rows),
        member_index,
    })
}

/// Writes the bytes to `path` through a temporary file and a rename. The
/// temporary name is this process's and this write's, so two processes
/// sharing a data directory (a web and a worker) never write into the same
/// file; the last rename wins, whole.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = path.with_extension(format!("agoralog.{}-{n}.part", std::process::id()));
    {
        let file = std::fs::File::create(&temporary)?;
        let mut writer = BufWriter::new(file);
        writer.write_all(bytes)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
    }
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_core::analytics::health::{NO_MEMBER, NO_THREAD};

    fn sample() -> (Fingerprint, InteractionLog, HashMap<i64, u32>) {
        let members = vec![
            LogMember {
                id: 10,
                joined_at: 1_000,
                is_staff: true,
            },
            LogMember {
                id: 11,
                joined_at: 2_000,
                is_staff: false,
            },
        ];
        let rows = vec![
            LogRow {
                at: 5_000,
                thread: NO_THREAD,
                actor: 0,
                target: NO_MEMBER,
                space: 0,
                kind: InteractionKind::ALL[0],
                actor_is_staff: true,
            },
            LogRow {
                at: 6_000,
                thread: 77,
                actor: 1,
                target: 0,
                space: 1,
                kind: InteractionKind::ALL[InteractionKind::ALL.len() - 1],
                actor_is_staff: false,
            },
        ];
        let log = InteractionLog::new(members, vec![3, 4], rows);
        // Member 12 was merged into 11.
        let index = HashMap::from([(10, 0), (11, 1), (12, 1)]);
        let fingerprint = Fingerprint {
            max_interaction: 99,
            last_at: 6_000_123,
            last_actor: 11,
            max_member: 12,
            last_joined_at: 2_500_000,
            n_members: 3,
            merge_version: 1,
        };
        (fingerprint, log, index)
    }

    #[test]
    fn a_snapshot_reads_back_as_written() {
        let (fingerprint, log, index) = sample();
        let bytes = encode(&fingerprint, &log, &index);
        let snapshot = decode(&bytes).expect("an intact snapshot");
        assert_eq!(snapshot.fingerprint, fingerprint);
        assert_eq!(snapshot.log.members, log.members);
        assert_eq!(snapshot.log.spaces, log.spaces);
        assert_eq!(snapshot.log.rows, log.rows);
        assert_eq!(snapshot.member_index, index);
        assert!(snapshot.log.is_staff(0) && !snapshot.log.is_staff(1));
    }

    #[test]
    fn a_damaged_or_short_snapshot_is_ignored() {
        let (fingerprint, log, index) = sample();
        let bytes = encode(&fingerprint, &log, &index);
        for cut in [0, 7, 8, 40, bytes.len() - 9, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        for at in [9, 70, bytes.len() / 2, bytes.len() - 12] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x40;
            assert!(decode(&flipped).is_none(), "flipped byte {at}");
        }
    }
}
