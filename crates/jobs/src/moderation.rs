//! Moderation's timed work: a mute or suspension ends through a job enqueued
//! for its expiry, and trust levels are recomputed every day at 03:00 UTC
//! (each run schedules the next; a unique key makes it once per day however
//! many workers run).

use std::sync::Arc;

use agora_core::accounts::{AccountStore, WorkspaceId};
use agora_core::jobs::{JobStore, NewJob};
use agora_core::moderation::{ModerationStore, NewAction, TRUST_WINDOW_DAYS, next_trust};
use agora_core::{Clock, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{JobError, Registry};

pub const EXPIRE_KIND: &str = "moderation.expire";
pub const TRUST_KIND: &str = "moderation.trust";
/// The hour (UTC) trust levels are recomputed.
pub const TRUST_HOUR_UTC: i64 = 3;

#[derive(Debug, Serialize, Deserialize)]
struct ExpirePayload {
    workspace_id: WorkspaceId,
    sanction_id: i64,
}

/// The job that ends a timed sanction at `at`.
pub fn expire_job(workspace: WorkspaceId, sanction: i64, at: Timestamp) -> NewJob {
    NewJob::new(
        EXPIRE_KIND,
        serde_json::json!({ "workspace_id": workspace, "sanction_id": sanction }),
        at,
    )
    .unique(format!("sanction-expire:{sanction}"))
}

/// Ends a sanction whose time is up, writing it to the public log; answers
/// whether it ended now (false if it had ended already, or is not due).
pub async fn expire<S: ModerationStore>(
    store: &S,
    workspace: WorkspaceId,
    sanction: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let Some(found) = store.sanction(workspace, sanction).await? else {
        return Ok(false);
    };
    if found.ended_at.is_some() || found.expires_at.is_none_or(|end| end > now) {
        return Ok(false);
    }
    if !store.end_sanction(sanction, "expired", now).await? {
        return Ok(false);
    }
    store
        .log_action(&NewAction {
            workspace_id: workspace,
            space_id: found.space_id,
            moderator_id: None,
            action: "sanction_expired".into(),
            subject_id: Some(found.member_id),
            content: None,
            reason: format!("{} ended at its set time", found.kind.label()),
            public: true,
            sanction_id: Some(sanction),
            review_item_id: None,
            created_at: now,
        })
        .await?;
    Ok(true)
}

/// The first 03:00 UTC strictly after `now`.
pub fn next_trust_run(now: Timestamp) -> Timestamp {
    let today_at = Timestamp(now.day() * 86_400_000 + TRUST_HOUR_UTC * 3_600_000);
    if today_at > now {
        today_at
    } else {
        today_at.plus_seconds(86_400)
    }
}

pub fn trust_job(at: Timestamp) -> NewJob {
    NewJob::new(TRUST_KIND, serde_json::json!({}), at).unique(format!("trust:{}", at.day()))
}

/// Recomputes every non-staff member's trust level in a workspace; answers
/// how many levels changed.
pub async fn recompute_trust<S: ModerationStore>(
    store: &S,
    workspace: WorkspaceId,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let since = now.plus_seconds(-TRUST_WINDOW_DAYS * 86_400);
    let mut changed = 0;
    for (member, inputs) in store.trust_inputs(workspace, since).await? {
        let current = store.trust_of(member).await?;
        let next = next_trust(current, &inputs, now);
        if next.level != current.level {
            changed += 1;
        }
        store.save_trust(member, &next, &inputs, now).await?;
    }
    Ok(changed)
}

pub fn register<S>(registry: &mut Registry, store: S, clock: Arc<dyn Clock>)
where
    S: ModerationStore + AccountStore + JobStore + Clone + 'static,
{
    let expiring = store.clone();
    let expiring_clock = clock.clone();
    registry.register(EXPIRE_KIND, move |job| {
        let (store, clock) = (expiring.clone(), expiring_clock.clone());
        async move {
            let payload: ExpirePayload = serde_json::from_value(job.payload)
                .map_err(|error| JobError::Permanent(format!("bad payload: {error}")))?;
            expire(
                &store,
                payload.workspace_id,
                payload.sanction_id,
                clock.now(),
            )
            .await
            .map_err(|error| JobError::Retry(error.to_string()))?;
            Ok(())
        }
    });
    registry.register(TRUST_KIND, move |_job| {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let now = clock.now();
            let retry = |error: StoreError| JobError::Retry(error.to_string());
            for workspace in store.list_workspaces().await.map_err(retry)? {
                let changed = recompute_trust(&store, workspace.id, now)
                    .await
                    .map_err(retry)?;
                tracing::info!(workspace = workspace.id, changed, "trust levels recomputed");
            }
            store
                .enqueue(&trust_job(next_trust_run(now)), now)
                .await
                .map_err(retry)?;
            Ok(())
        }
    });
}
