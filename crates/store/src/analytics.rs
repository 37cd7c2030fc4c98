//! The interaction log in SQL, and the first activity measures over it.

use agora_core::accounts::WorkspaceId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agora_core::analytics::audience::{AudienceStore, PostMetrics, PublishedPost};
use agora_core::analytics::funnel::AttributionStore;
use agora_core::analytics::health::{InteractionLog, LogMember, LogRow, NO_MEMBER, NO_THREAD};
use agora_core::analytics::import::{
    ImportError, ImportFailure, ImportSourceName, ImportSummary, ImportedInteraction,
    ImportedMember, InteractionImportStore, MemberIdentity,
};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction, SpaceActivity};
use agora_core::community::SpaceKind;
use agora_core::desk::CampaignId;
use agora_core::members::MemberId;
use agora_core::text_limits::Network;
use agora_core::{StoreError, Timestamp};

use crate::analytics_snapshot::{self, Fingerprint};
use crate::{Backend, Db, flag, get, store_error};

/// `kind` as its index in `InteractionKind::ALL` (-1 for a kind this build does not know).
static KIND_CODE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let cases: Vec<String> = InteractionKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| format!("WHEN '{}' THEN {index}", kind.as_str()))
        .collect();
    format!("CAST(CASE kind {} ELSE -1 END AS BIGINT)", cases.join(" "))
});

/// A column by position: the cold load reads ten million rows, and looking
/// columns up by name was a fair share of its time.
fn at_index<'r, T>(row: &'r sqlx::any::AnyRow, index: usize) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::Row::try_get(row, index).map_err(store_error)
}

/// Each workspace's log in compact form, kept between dashboard requests and
/// brought up to date from the rows whose id is above the last one read. The
/// log is append-only (nothing deletes interactions yet); a members table
/// that shrank starts the workspace's copy again. The copy is kept *raw*
/// (every member row its own index, merged or not), and what the measures
/// read is derived from it: the raw log itself while nobody is merged, else
/// a copy where a merged member's rows are the kept member's — so a merge or
/// an unmerge is a pass over the rows in memory, not a reload. With
/// snapshots on (see [`Db::keep_analytics_snapshots`]), a cold start reads
/// the workspace's raw log from its file first, and a log that grew by a
/// tenth is written again in the background.
#[derive(Debug, Default)]
pub(crate) struct LogCache {
    workspaces: Mutex<HashMap<WorkspaceId, Arc<tokio::sync::Mutex<Option<CachedLog>>>>>,
    snapshots: Mutex<Option<SnapshotSettings>>,
    writes: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    rows_read: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Clone)]
struct SnapshotSettings {
    dir: std::path::PathBuf,
    min_rows: usize,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LogCache {
    fn entry(&self, workspace: WorkspaceId) -> Arc<tokio::sync::Mutex<Option<CachedLog>>> {
        locked(&self.workspaces)
            .entry(workspace)
            .or_default()
            .clone()
    }

    pub(crate) fn set_snapshots(&self, dir: std::path::PathBuf, min_rows: usize) {
        *locked(&self.snapshots) = Some(SnapshotSettings { dir, min_rows });
    }

    pub(crate) fn snapshot_dir(&self) -> Option<std::path::PathBuf> {
        self.snapshot_settings().map(|settings| settings.dir)
    }

    fn snapshot_settings(&self) -> Option<SnapshotSettings> {
        locked(&self.snapshots).clone()
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) async fn flush(&self) {
        let writes = std::mem::take(&mut *locked(&self.writes));
        for write in writes {
            let _ = write.await;
        }
    }
}

#[derive(Debug, Default)]
struct CachedLog {
    /// Every member row its own index (merged members too); rows' actor and
    /// target index into its members.
    raw: Arc<InteractionLog>,
    /// What the measures read: `raw` itself while nobody is merged, else a
    /// copy where a merged member's rows are the kept member's.
    served: Arc<InteractionLog>,
    /// Whether `served` is `raw` (no merges).
    served_is_raw: bool,
    /// Raw member index → served member index, when `served` is a copy.
    served_index: Vec<u32>,
    max_interaction: i64,
    max_member: i64,
    n_members: usize,
    /// Merges and unmerges so far: a change derives `served` again.
    merge_version: i64,
    /// Member id → raw index.
    member_index: HashMap<i64, u32>,
    space_index: HashMap<i64, u32>,
    /// What the workspace's snapshot file holds (read or written by this process).
    snapshot: Option<(Fingerprint, usize)>,
}

/// The log the measures read, from the raw one and the active merges
/// (merged member id, kept member id): each merged member's rows become the
/// kept member's, and merged members leave the member list. Returns the log
/// and the raw → served member index.
fn serve(
    raw: &InteractionLog,
    member_index: &HashMap<i64, u32>,
    merges: &[(i64, i64)],
) -> (InteractionLog, Vec<u32>) {
    let mut kept_of: Vec<Option<u32>> = vec![None; raw.members.len()];
    for (merged, kept) in merges {
        if let (Some(&merged), Some(&kept)) = (member_index.get(merged), member_index.get(kept))
            && merged != kept
        {
            kept_of[merged as usize] = Some(kept);
        }
    }
    // Chains are refused when merging; follow a few steps anyway, never a cycle.
    let root = |mut index: u32| {
        for _ in 0..8 {
            match kept_of[index as usize] {
                Some(next) => index = next,
                None => return index,
            }
        }
        index
    };
    let mut served_index = vec![NO_MEMBER; raw.members.len()];
    let mut members = Vec::with_capacity(raw.members.len());
    for (index, member) in raw.members.iter().enumerate() {
        if kept_of[index].is_none() {
            served_index[index] = members.len() as u32;
            members.push(*member);
        }
    }
    for index in 0..raw.members.len() {
        if kept_of[index].is_some() {
            served_index[index] = served_index[root(index as u32) as usize];
        }
    }
    let map = |index: u32| {
        if index == NO_MEMBER {
            NO_MEMBER
        } else {
            served_index[index as usize]
        }
    };
    let rows = raw
        .rows
        .iter()
        .map(|row| LogRow {
            actor: map(row.actor),
            target: map(row.target),
            ..*row
        })
        .collect();
    (
        InteractionLog::new(members, raw.spaces.clone(), rows),
        served_index,
    )
}

impl Db {
    /// The workspace's merged members and whom each was merged into.
    async fn active_merges(&self, workspace: WorkspaceId) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, merged_into FROM members WHERE workspace_id = $1 AND merged_into IS NOT NULL",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "merged_into")?)))
            .collect()
    }

    /// The stored time and actor of an interaction, and the join time of a
    /// member: what a snapshot's fingerprint checks.
    async fn fingerprint_rows(
        &self,
        workspace: WorkspaceId,
        interaction: i64,
        member: i64,
    ) -> Result<(Option<(i64, i64)>, Option<i64>), StoreError> {
        let last = sqlx::query(
            "SELECT at, actor_id FROM interactions WHERE id = $1 AND workspace_id = $2",
        )
        .bind(interaction)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        let last = match last {
            Some(row) => Some((get::<i64>(&row, "at")?, get::<i64>(&row, "actor_id")?)),
            None => None,
        };
        let joined =
            sqlx::query("SELECT joined_at FROM members WHERE id = $1 AND workspace_id = $2")
                .bind(member)
                .bind(workspace)
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?;
        let joined = match joined {
            Some(row) => Some(get::<i64>(&row, "joined_at")?),
            None => None,
        };
        Ok((last, joined))
    }

    /// The workspace's snapshot, if there is one and the database still has
    /// exactly the rows it names.
    async fn read_snapshot(
        &self,
        settings: &SnapshotSettings,
        workspace: WorkspaceId,
        now: &Fingerprint,
    ) -> Result<Option<CachedLog>, StoreError> {
        let path = analytics_snapshot::path(&settings.dir, workspace);
        let read = tokio::task::spawn_blocking(move || {
            std::fs::read(&path)
                .ok()
                .and_then(|bytes| analytics_snapshot::decode(&bytes))
        })
        .await
        .map_err(|error| StoreError::Backend(format!("reading an analytics snapshot: {error}")))?;
        let Some(snapshot) = read else {
            return Ok(None);
        };
        let known = snapshot.fingerprint;
        let plausible = known.max_interaction <= now.max_interaction
            && known.max_member <= now.max_member
            && known.n_members <= now.n_members
            && (known.max_member < now.max_member || known.n_members == now.n_members);
        if !plausible {
            return Ok(None);
        }
        let (last, joined) = self
            .fingerprint_rows(workspace, known.max_interaction, known.max_member)
            .await?;
        if last != Some((known.last_at, known.last_actor)) || joined != Some(known.last_joined_at) {
            return Ok(None);
        }
        let space_index = snapshot
            .log
            .spaces
            .iter()
            .enumerate()
            .map(|(index, space)| (*space, index as u32))
            .collect();
        let rows = snapshot.log.rows.len();
        Ok(Some(CachedLog {
            raw: Arc::new(snapshot.log),
            max_interaction: known.max_interaction,
            max_member: known.max_member,
            n_members: known.n_members as usize,
            member_index: snapshot.member_index,
            space_index,
            snapshot: Some((known, rows)),
            ..CachedLog::default()
        }))
    }

    /// Writes the workspace's raw log in the background when it is big enough
    /// and grew by a tenth since the last snapshot.
    async fn maybe_write_snapshot(
        &self,
        settings: &SnapshotSettings,
        workspace: WorkspaceId,
        state: &mut CachedLog,
    ) -> Result<(), StoreError> {
        let rows = state.raw.rows.len();
        if rows == 0 || rows < settings.min_rows || state.max_interaction == 0 {
            return Ok(());
        }
        let due = match &state.snapshot {
            None => true,
            Some((_, known_rows)) => rows >= known_rows + (known_rows / 10).max(1),
        };
        if !due {
            return Ok(());
        }
        let (last, joined) = self
            .fingerprint_rows(workspace, state.max_interaction, state.max_member)
            .await?;
        let (Some((last_at, last_actor)), Some(last_joined_at)) = (last, joined) else {
            return Ok(());
        };
        let fingerprint = Fingerprint {
            max_interaction: state.max_interaction,
            last_at,
            last_actor,
            max_member: state.max_member,
            last_joined_at,
            n_members: state.n_members as i64,
            merge_version: state.merge_version,
        };
        state.snapshot = Some((fingerprint, rows));
        let log = state.raw.clone();
        let member_index = state.member_index.clone();
        let path = analytics_snapshot::path(&settings.dir, workspace);
        let write = tokio::task::spawn_blocking(move || {
            let bytes = analytics_snapshot::encode(&fingerprint, &log, &member_index);
            if let Err(error) = analytics_snapshot::write(&path, &bytes) {
                tracing::warn!(path = %path.display(), %error, "writing an analytics snapshot failed");
            }
        });
        let mut writes = locked(&self.analytics_cache().writes);
        writes.retain(|write| !write.is_finished());
        writes.push(write);
        Ok(())
    }
}

impl InteractionStore for Db {
    async fn record_interactions(&self, interactions: &[NewInteraction]) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        for interaction in interactions {
            sqlx::query(
                "INSERT INTO interactions (workspace_id, space_id, actor_id, target_id, kind, at, day, source, actor_is_staff, thread_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(interaction.workspace_id)
            .bind(interaction.space_id)
            .bind(interaction.actor_id)
            .bind(interaction.target_id)
            .bind(interaction.kind.as_str())
            .bind(interaction.at.millis())
            .bind(interaction.at.day())
            .bind(&interaction.source)
            .bind(flag(interaction.actor_is_staff))
            .bind(interaction.thread_id)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn space_activity(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<SpaceActivity>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.kind, COUNT(i.id) AS n_interactions, \
             CAST(COALESCE(SUM(CASE WHEN i.target_id IS NOT NULL AND i.target_id <> i.actor_id THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_directed, \
             CAST(COALESCE(SUM(CASE WHEN i.target_id IS NOT NULL AND i.target_id <> i.actor_id AND i.actor_is_staff = 0 AND t.is_staff = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_m2m, \
             COUNT(DISTINCT CASE WHEN i.actor_is_staff = 0 THEN i.actor_id END) AS n_active \
             FROM spaces s LEFT JOIN interactions i ON i.space_id = s.id AND i.at >= $2 \
             AND i.kind NOT IN ('click', 'follow') \
             LEFT JOIN members t ON t.id = i.target_id \
             WHERE s.workspace_id = $1 GROUP BY s.id, s.name, s.kind ORDER BY s.kind, s.name",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "kind")?;
                Ok(SpaceActivity {
                    space_id: get(row, "id")?,
                    space_name: get(row, "name")?,
                    kind: SpaceKind::parse(&kind).unwrap_or(SpaceKind::Group),
                    n_interactions: get(row, "n_interactions")?,
                    n_directed: get(row, "n_directed")?,
                    n_member_to_member: get(row, "n_m2m")?,
                    n_active_members: get(row, "n_active")?,
                })
            })
            .collect()
    }

    async fn passive_interactions(
        &self,
        member: MemberId,
    ) -> Result<Vec<(InteractionKind, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM interactions \
             WHERE actor_id IN (SELECT id FROM members WHERE id = $1 OR merged_into = $1) \
             AND kind IN ('click', 'follow') GROUP BY kind ORDER BY kind",
        )
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .filter_map(|row| {
                let kind: Result<String, _> = get(row, "kind");
                let n: Result<i64, _> = get(row, "n");
                match (kind, n) {
                    (Ok(kind), Ok(n)) => {
                        InteractionKind::parse(&kind).map(|kind| Ok((kind, n.max(0) as u64)))
                    }
                    (Err(error), _) | (_, Err(error)) => Some(Err(error)),
                }
            })
            .collect()
    }

    async fn active_members(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT actor_id) AS n FROM interactions WHERE workspace_id = $1 AND at >= $2 AND actor_is_staff = 0 \
             AND kind NOT IN ('click', 'follow')",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }

    async fn interaction_log(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Arc<InteractionLog>, StoreError> {
        let entry = self.analytics_cache().entry(workspace);
        let mut cached = entry.lock().await;
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM interactions WHERE workspace_id = $1) AS max_interaction, \
             (SELECT COALESCE(MAX(id), 0) FROM members WHERE workspace_id = $1) AS max_member, \
             (SELECT COUNT(*) FROM members WHERE workspace_id = $1) AS n_members, \
             (SELECT COUNT(*) + COUNT(unmerged_at) FROM member_merges WHERE workspace_id = $1) AS merge_version",
        )
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        let max_interaction: i64 = get(&row, "max_interaction")?;
        let max_member: i64 = get(&row, "max_member")?;
        let n_members: i64 = get(&row, "n_members")?;
        let merge_version: i64 = get(&row, "merge_version")?;
        let stale = match cached.as_ref() {
            Some(known) => {
                max_interaction < known.max_interaction
                    || max_member < known.max_member
                    || (n_members as usize) < known.n_members
                    || (max_member == known.max_member && n_members as usize != known.n_members)
            }
            None => true,
        };
        let mut remap = cached
            .as_ref()
            .is_none_or(|known| known.merge_version != merge_version);
        if stale {
            let settings = self.analytics_cache().snapshot_settings();
            let from_file = match (&settings, cached.is_none()) {
                (Some(settings), true) if max_interaction > 0 => {
                    let now = Fingerprint {
                        max_interaction,
                        max_member,
                        n_members,
                        merge_version,
                        ..Fingerprint::default()
                    };
                    self.read_snapshot(settings, workspace, &now).await?
                }
                _ => None,
            };
            *cached = Some(from_file.unwrap_or_default());
            remap = true;
        }
        let Some(state) = cached.as_mut() else {
            return Err(StoreError::Backend("analytics cache".into()));
        };
        let mut new_members = Vec::new();
        if state.max_member < max_member {
            let rows = sqlx::query(
                "SELECT id, joined_at, is_staff FROM members WHERE workspace_id = $1 AND id > $2 AND id <= $3 ORDER BY id",
            )
            .bind(workspace)
            .bind(state.max_member)
            .bind(max_member)
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?;
            let known = state.raw.members.len();
            for row in &rows {
                let id: i64 = get(row, "id")?;
                let joined_at: i64 = get(row, "joined_at")?;
                let is_staff: i64 = get(row, "is_staff")?;
                state
                    .member_index
                    .insert(id, (known + new_members.len()) as u32);
                new_members.push(LogMember {
                    id,
                    joined_at: joined_at.div_euclid(1000),
                    is_staff: is_staff != 0,
                });
            }
            state.max_member = max_member;
            state.n_members += rows.len();
        }
        let mut new_rows = Vec::new();
        if state.max_interaction < max_interaction {
            let mut after = state.max_interaction;
            loop {
                let page = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT id, at, thread_id, actor_id, target_id, space_id, {} AS kind_code, actor_is_staff \
                     FROM interactions WHERE workspace_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT 50000",
                    *KIND_CODE
                )))
                .bind(workspace)
                .bind(after)
                .bind(max_interaction)
                .fetch_all(self.pool())
                .await
                .map_err(store_error)?;
                self.analytics_cache()
                    .rows_read
                    .fetch_add(page.len() as u64, std::sync::atomic::Ordering::Relaxed);
                let Some(last) = page.last() else { break };
                after = get(last, "id")?;
                for row in &page {
                    // The kind as its index in `InteractionKind::ALL`, so no text is decoded per row.
                    let code: i64 = at_index(row, 6)?;
                    let Some(&kind) = usize::try_from(code)
                        .ok()
                        .and_then(|code| InteractionKind::ALL.get(code))
                        .filter(|kind| kind.is_activity())
                    else {
                        continue;
                    };
                    let actor: i64 = at_index(row, 3)?;
                    let target: Option<i64> = at_index(row, 4)?;
                    let space: i64 = at_index(row, 5)?;
                    let thread: Option<i64> = at_index(row, 2)?;
                    let at: i64 = at_index(row, 1)?;
                    let staff: i64 = at_index(row, 7)?;
                    let Some(&actor) = state.member_index.get(&actor) else {
                        continue;
                    };
                    let target = target
                        .and_then(|target| state.member_index.get(&target).copied())
                        .unwrap_or(NO_MEMBER);
                    let next_space = state.space_index.len() as u32;
                    let space = *state.space_index.entry(space).or_insert(next_space);
                    new_rows.push(LogRow {
                        at: at.div_euclid(1000),
                        thread: thread.unwrap_or(NO_THREAD),
                        actor,
                        target,
                        space,
                        kind,
                        actor_is_staff: staff != 0,
                    });
                }
                if page.len() < 50_000 {
                    break;
                }
            }
            state.max_interaction = max_interaction;
        }
        let news = !new_members.is_empty() || !new_rows.is_empty();
        if news {
            if state.served_is_raw {
                // Let go of the shared copy, or appending would clone the whole log.
                state.served = Arc::default();
            }
            let raw = Arc::make_mut(&mut state.raw);
            raw.members.extend_from_slice(&new_members);
            raw.spaces.resize(state.space_index.len(), 0);
            for (space, index) in &state.space_index {
                raw.spaces[*index as usize] = *space;
            }
            raw.append(new_rows.iter().copied());
        }
        if remap {
            let merges = self.active_merges(workspace).await?;
            if merges.is_empty() {
                state.served = state.raw.clone();
                state.served_is_raw = true;
                state.served_index = Vec::new();
            } else {
                let raw = state.raw.clone();
                let index = state.member_index.clone();
                let (served, served_index) =
                    tokio::task::spawn_blocking(move || serve(&raw, &index, &merges))
                        .await
                        .map_err(|error| {
                            StoreError::Backend(format!("merging the log: {error}"))
                        })?;
                state.served = Arc::new(served);
                state.served_is_raw = false;
                state.served_index = served_index;
            }
            state.merge_version = merge_version;
        } else if news {
            if state.served_is_raw {
                state.served = state.raw.clone();
            } else {
                // Members added since the last merge change are nobody's merge.
                let served = Arc::make_mut(&mut state.served);
                for member in &new_members {
                    state.served_index.push(served.members.len() as u32);
                    served.members.push(*member);
                }
                served.spaces = state.raw.spaces.clone();
                let map = |index: u32| {
                    if index == NO_MEMBER {
                        NO_MEMBER
                    } else {
                        state.served_index[index as usize]
                    }
                };
                let rows: Vec<LogRow> = new_rows
                    .iter()
                    .map(|row| LogRow {
                        actor: map(row.actor),
                        target: map(row.target),
                        ..*row
                    })
                    .collect();
                served.append(rows);
            }
        }
        if let Some(settings) = self.analytics_cache().snapshot_settings() {
            self.maybe_write_snapshot(&settings, workspace, state)
                .await?;
        }
        Ok(state.served.clone())
    }

    async fn member_names(
        &self,
        workspace: WorkspaceId,
        members: &[agora_core::members::MemberId],
    ) -> Result<Vec<(agora_core::members::MemberId, String, String)>, StoreError> {
        let mut names = Vec::with_capacity(members.len());
        // Ids are integers, written literally: one statement per thousand.
        for chunk in members.chunks(1_000) {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, name, COALESCE(handle, '') AS handle FROM members WHERE workspace_id = $1 AND id IN ({})",
                ids.join(",")
            )))
            .bind(workspace)
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?;
            for row in &rows {
                names.push((get(row, "id")?, get(row, "name")?, get(row, "handle")?));
            }
        }
        Ok(names)
    }

    async fn daily_interactions(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, COUNT(*) AS n FROM interactions WHERE workspace_id = $1 AND at >= $2 AND at < $3 GROUP BY day ORDER BY day",
        )
        .bind(workspace)
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "day")?, get(row, "n")?)))
            .collect()
    }
}

/// Rows per multi-row `INSERT` while importing.
const IMPORT_BATCH: usize = 1_000;

/// Single quotes doubled, for the few texts an import writes literally.
fn sql_text(raw: &str) -> String {
    format!("'{}'", raw.replace('\'', "''"))
}

async fn execute_literal(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    sql: String,
) -> Result<(), StoreError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut **transaction)
        .await
        .map_err(store_error)?;
    Ok(())
}

impl InteractionImportStore for Db {
    /// Members get explicit ids above the table's largest (the writer lock on
    /// SQLite, a table lock on PostgreSQL, keep others out meanwhile; the
    /// identity sequence is moved past them), so a hundred thousand members
    /// go in as a few multi-row statements. Interactions are multi-row
    /// statements of integers; texts are only the kind and the source.
    async fn import_interactions(
        &self,
        workspace: WorkspaceId,
        source: &ImportSourceName,
        members: &[ImportedMember],
        rows: &mut (dyn Iterator<Item = Result<ImportedInteraction, ImportError>> + Send),
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportSummary, ImportFailure> {
        let now = agora_core::Clock::now(&agora_core::SystemClock).millis();
        let mut summary = ImportSummary::default();
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "INSERT INTO import_sources (workspace_id, name, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, name) DO UPDATE SET updated_at = excluded.updated_at \
             RETURNING id, last_external_id",
        )
        .bind(workspace)
        .bind(source.as_str())
        .bind(now)
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let source_id: i64 = get(&row, "id")?;
        let last_external_id: i64 = get(&row, "last_external_id")?;
        if self.backend() == Backend::Postgres {
            execute_literal(
                &mut transaction,
                "LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE".into(),
            )
            .await?;
        }
        let mut member_ids: HashMap<String, i64> = HashMap::new();
        let mut space_ids: HashMap<String, i64> = HashMap::new();
        for row in sqlx::query(
            "SELECT kind, external_id, internal_id FROM import_ids WHERE source_id = $1",
        )
        .bind(source_id)
        .fetch_all(&mut *transaction)
        .await
        .map_err(store_error)?
        {
            let kind: String = get(&row, "kind")?;
            let external: String = get(&row, "external_id")?;
            let internal: i64 = get(&row, "internal_id")?;
            if kind == "member" {
                member_ids.insert(external, internal);
            } else {
                space_ids.insert(external, internal);
            }
        }

        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS max_id FROM members")
            .fetch_one(&mut *transaction)
            .await
            .map_err(store_error)?;
        let mut next_member: i64 = get(&row, "max_id")?;
        let new_members: Vec<&ImportedMember> = members
            .iter()
            .filter(|member| !member_ids.contains_key(&member.id))
            .collect();
        for chunk in new_members.chunks(IMPORT_BATCH) {
            let mut insert = String::from(
                "INSERT INTO members (id, workspace_id, name, handle, joined_at, is_staff) VALUES ",
            );
            let mut mapping = String::from(
                "INSERT INTO import_ids (source_id, kind, external_id, internal_id) VALUES ",
            );
            for (index, member) in chunk.iter().enumerate() {
                next_member += 1;
                if index > 0 {
                    insert.push(',');
                    mapping.push(',');
                }
                insert.push_str(&format!(
                    "({next_member},{workspace},{},'imported-{next_member}',{},{})",
                    sql_text(&format!("Member {}", member.id)),
                    member.joined_at * 1000,
                    i64::from(member.is_staff)
                ));
                mapping.push_str(&format!(
                    "({source_id},'member',{},{next_member})",
                    sql_text(&member.id)
                ));
                member_ids.insert(member.id.clone(), next_member);
            }
            execute_literal(&mut transaction, insert).await?;
            execute_literal(&mut transaction, mapping).await?;
            summary.members_created += chunk.len() as u64;
        }
        if self.backend() == Backend::Postgres && !new_members.is_empty() {
            execute_literal(
                &mut transaction,
                format!("SELECT setval(pg_get_serial_sequence('members', 'id'), {next_member})"),
            )
            .await?;
        }

        let source_text = sql_text(&format!("import:{}", source.as_str()));
        let thread_base = source_id << 40;
        let mut batch = String::new();
        let mut in_batch = 0usize;
        let mut last_id = last_external_id;
        let mut read = 0u64;
        for row in rows {
            let row = row?;
            read += 1;
            if read.is_multiple_of(10_000) {
                progress(read);
            }
            if row.id <= last_external_id {
                summary.interactions_skipped += 1;
                continue;
            }
            let space = match space_ids.get(&row.space) {
                Some(space) => *space,
                None => {
                    let slug = format!("{}-{}", source.as_str(), space_ids.len() + 1);
                    let created = sqlx::query(
                        "INSERT INTO spaces (workspace_id, kind, slug, name, description, network, created_at) \
                         VALUES ($1, 'group', $2, $3, $4, 'import', $5) RETURNING id",
                    )
                    .bind(workspace)
                    .bind(&slug)
                    .bind(format!("Space {}", row.space))
                    .bind(format!("Imported from {}", source.as_str()))
                    .bind(row.at * 1000)
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(store_error)?;
                    let space: i64 = get(&created, "id")?;
                    sqlx::query(
                        "INSERT INTO import_ids (source_id, kind, external_id, internal_id) VALUES ($1, 'space', $2, $3)",
                    )
                    .bind(source_id)
                    .bind(&row.space)
                    .bind(space)
                    .execute(&mut *transaction)
                    .await
                    .map_err(store_error)?;
                    space_ids.insert(row.space.clone(), space);
                    summary.spaces_created += 1;
                    space
                }
            };
            let member = |external: &str| {
                member_ids.get(external).copied().ok_or_else(|| {
                    ImportFailure::Inconsistent(format!(
                        "interaction {}: member {external:?} is not in the members file",
                        row.id
                    ))
                })
            };
            let actor = member(&row.actor)?;
            let target = match &row.target {
                Some(target) => member(target)?.to_string(),
                None => "NULL".into(),
            };
            let thread = row
                .thread
                .map(|thread| (thread_base | thread).to_string())
                .unwrap_or_else(|| "NULL".into());
            if in_batch == 0 {
                batch.clear();
                batch.push_str(
                    "INSERT INTO interactions (workspace_id, space_id, actor_id, target_id, kind, at, day, source, \
                     actor_is_staff, thread_id, external_id) VALUES ",
                );
            } else {
                batch.push(',');
            }
            let at = row.at * 1000;
            batch.push_str(&format!(
                "({workspace},{space},{actor},{target},'{}',{at},{},{source_text},{},{thread},{})",
                row.kind.as_str(),
                row.at.div_euclid(86_400),
                i64::from(row.actor_is_staff),
                row.id
            ));
            in_batch += 1;
            last_id = row.id;
            summary.interactions_added += 1;
            if in_batch == IMPORT_BATCH {
                execute_literal(&mut transaction, std::mem::take(&mut batch)).await?;
                in_batch = 0;
            }
        }
        if in_batch > 0 {
            execute_literal(&mut transaction, batch).await?;
        }
        progress(read);
        sqlx::query(
            "UPDATE import_sources SET last_external_id = $1, n_interactions = n_interactions + $2 WHERE id = $3",
        )
        .bind(last_id)
        .bind(summary.interactions_added as i64)
        .bind(source_id)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(summary)
    }

    async fn member_identities(
        &self,
        workspace: WorkspaceId,
        member: agora_core::members::MemberId,
    ) -> Result<Vec<MemberIdentity>, StoreError> {
        let mut identities = Vec::new();
        if let Some(row) = sqlx::query(
            "SELECT m.email, a.email AS account_email FROM members m LEFT JOIN accounts a ON a.id = m.account_id \
             WHERE m.workspace_id = $1 AND m.id = $2",
        )
        .bind(workspace)
        .bind(member)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?
        {
            let email: Option<String> = get(&row, "email")?;
            let account: Option<String> = get(&row, "account_email")?;
            if let Some(account) = account {
                identities.push(MemberIdentity {
                    kind: "account".into(),
                    value: account,
                });
            }
            if let Some(email) = email {
                identities.push(MemberIdentity {
                    kind: "email".into(),
                    value: email,
                });
            }
        }
        for row in sqlx::query(
            "SELECT s.name, i.external_id FROM import_ids i JOIN import_sources s ON s.id = i.source_id \
             WHERE s.workspace_id = $1 AND i.kind = 'member' \
             AND i.internal_id IN (SELECT id FROM members WHERE id = $2 OR merged_into = $2) ORDER BY s.name",
        )
        .bind(workspace)
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        {
            let source: String = get(&row, "name")?;
            identities.push(MemberIdentity {
                kind: format!("import:{source}"),
                value: get(&row, "external_id")?,
            });
        }
        // Identities on networks, the merged members' included.
        for (kind, value) in
            agora_core::identities::IdentityStore::identities_of(self, member).await?
        {
            identities.push(MemberIdentity { kind, value });
        }
        Ok(identities)
    }
}

impl AudienceStore for Db {
    async fn followers_on(
        &self,
        workspace: WorkspaceId,
        day: i64,
    ) -> Result<std::collections::BTreeMap<i64, Option<i64>>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, (SELECT f.followers FROM channel_followers f WHERE f.channel_id = c.id AND f.day <= $2 \
             ORDER BY f.day DESC LIMIT 1) AS followers FROM channels c WHERE c.workspace_id = $1",
        )
        .bind(workspace)
        .bind(day)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "followers")?)))
            .collect()
    }

    async fn published_posts(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<PublishedPost>, StoreError> {
        let rows = sqlx::query(
            "SELECT pt.id, pt.post_id, pt.channel_id, c.name AS channel_name, c.network, \
             p.campaign_id, k.name AS campaign_name, pt.published_at, pt.text, pt.remote_url, \
             pt.likes, pt.shares, pt.replies, pt.quotes, pt.impressions, pt.reach, pt.network_clicks, \
             pt.metrics_at, pt.links_tracked, \
             (SELECT COUNT(*) FROM link_clicks k JOIN tracked_links l ON l.id = k.link_id \
              WHERE l.target_id = pt.id) AS clicks \
             FROM post_targets pt JOIN posts p ON p.id = pt.post_id JOIN channels c ON c.id = pt.channel_id \
             LEFT JOIN campaigns k ON k.id = p.campaign_id \
             WHERE p.workspace_id = $1 AND pt.status = 'published' \
             AND pt.published_at >= $2 AND pt.published_at < $3 \
             ORDER BY pt.published_at, pt.id",
        )
        .bind(workspace)
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let network: String = get(row, "network")?;
                let metrics_at: Option<i64> = get(row, "metrics_at")?;
                // Clicks on the target's tracked links, all time; `None` for a
                // target published without tracking (before migration 0014, or
                // with the workspace's setting off): not reported, not 0.
                let tracked_clicks = (get::<i64>(row, "links_tracked")? != 0)
                    .then(|| get::<i64>(row, "clicks"))
                    .transpose()?;
                let count = |column: &str| -> Result<i64, StoreError> {
                    Ok(get::<Option<i64>>(row, column)?.unwrap_or(0))
                };
                Ok(PublishedPost {
                    target_id: get(row, "id")?,
                    post_id: get(row, "post_id")?,
                    channel_id: get(row, "channel_id")?,
                    channel_name: get(row, "channel_name")?,
                    network: Network::parse(&network).ok_or_else(|| {
                        StoreError::Backend(format!("unknown network {network:?}"))
                    })?,
                    campaign_id: get(row, "campaign_id")?,
                    campaign_name: get(row, "campaign_name")?,
                    published_at: Timestamp(get(row, "published_at")?),
                    text: get(row, "text")?,
                    remote_url: get(row, "remote_url")?,
                    metrics: match (metrics_at, tracked_clicks) {
                        // Impressions and reach as the network reported them:
                        // NULL is "not reported", not zero. A tracked target
                        // is measured by its clicks even before the network's
                        // counts are read back (they count 0 until then).
                        (Some(_), _) | (None, Some(_)) => Some(PostMetrics {
                            likes: count("likes")?,
                            shares: count("shares")?,
                            replies: count("replies")?,
                            quotes: count("quotes")?,
                            impressions: get(row, "impressions")?,
                            reach: get(row, "reach")?,
                            // Agora's own count where its links were tracked,
                            // else the network's (Facebook, LinkedIn).
                            clicks: match tracked_clicks {
                                Some(clicks) => Some(clicks),
                                None => get(row, "network_clicks")?,
                            },
                        }),
                        (None, None) => None,
                    },
                })
            })
            .collect()
    }
}

impl AttributionStore for Db {
    async fn attribute_member(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        campaign: CampaignId,
    ) -> Result<(), StoreError> {
        // The campaign must be the workspace's; the first attribution stays.
        sqlx::query(
            "UPDATE members SET campaign_id = $1 WHERE workspace_id = $2 AND id = $3 AND campaign_id IS NULL \
             AND EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND workspace_id = $2)",
        )
        .bind(campaign)
        .bind(workspace)
        .bind(member)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn member_campaigns(
        &self,
        workspace: WorkspaceId,
    ) -> Result<HashMap<MemberId, CampaignId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, campaign_id FROM members WHERE workspace_id = $1 AND campaign_id IS NOT NULL",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "campaign_id")?)))
            .collect()
    }
}
