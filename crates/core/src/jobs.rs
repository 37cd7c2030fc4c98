//! The durable job queue's domain: what a job is, its states, how retries back
//! off, and the storage trait the workers run on.
//!
//! A job is claimed under a lease. If its worker dies, the lease expires and
//! another worker reclaims it; completion is fenced by the lease token, so a
//! worker that lost its lease cannot mark the job done. Unique keys make
//! enqueueing idempotent: a second job with the same key is dropped.

use std::future::Future;

use serde::Serialize;

use crate::clock::Timestamp;
use crate::error::StoreError;

pub type JobId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at`; also a job that failed and waits for its retry.
    Queued,
    /// Claimed by a worker under a lease.
    Running,
    Succeeded,
    /// Out of attempts, or failed permanently; an admin may retry it.
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == raw)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Which handler runs it, e.g. `email.send`.
    pub kind: String,
    /// The workspace the job works for; `None` for server-level jobs (account e-mails).
    pub workspace_id: Option<i64>,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: i64,
    /// Jobs with the same unique key are enqueued once, ever.
    pub unique_key: Option<String>,
}

impl NewJob {
    pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

    pub fn new(kind: impl Into<String>, payload: serde_json::Value, run_at: Timestamp) -> Self {
        Self {
            kind: kind.into(),
            workspace_id: None,
            payload,
            run_at,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
        }
    }

    pub fn for_workspace(mut self, workspace_id: i64) -> Self {
        self.workspace_id = Some(workspace_id);
        self
    }

    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, max_attempts: i64) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }
}

/// A job a worker holds under a lease.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// This attempt's number, starting at 1.
    pub attempt: i64,
    pub max_attempts: i64,
    pub run_at: Timestamp,
    /// Fences completion: only the holder of this token may finish the job.
    pub lease_token: String,
    pub claimed_at: Timestamp,
}

/// How an attempt ended, as recorded in the per-attempt log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    Retrying,
    Dead,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Succeeded => "succeeded",
            AttemptOutcome::Retrying => "retrying",
            AttemptOutcome::Dead => "dead",
        }
    }
}

/// One row of a job listing, for admins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSummary {
    pub id: JobId,
    pub kind: String,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Timestamp,
    pub last_error: Option<String>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobAttempt {
    pub job_id: JobId,
    pub attempt: i64,
    pub worker_id: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub outcome: String,
    pub error: Option<String>,
}

/// Counts by state; `retrying` are queued jobs that failed at least once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub queued: i64,
    pub due: i64,
    pub retrying: i64,
    pub running: i64,
    pub succeeded: i64,
    pub dead: i64,
}

/// Exponential backoff before retry number `attempt + 1`: 2^attempt seconds
/// (capped at one hour) plus up to 25 % jitter derived from the job id, so the
/// schedule is deterministic for a given job and still spreads a burst.
pub fn retry_delay_millis(job_id: JobId, attempt: i64) -> i64 {
    let exponent = attempt.clamp(0, 12) as u32;
    let base_millis = (1_000_i64 << exponent).min(3_600_000);
    let spread = job_id.wrapping_mul(2_654_435_761).rem_euclid(1_000);
    base_millis + base_millis * spread / 4_000
}

/// Storage for the queue. Claims are atomic: on PostgreSQL with
/// `FOR UPDATE SKIP LOCKED`, on SQLite by its single writer.
pub trait JobStore: Send + Sync + Clone + 'static {
    /// Enqueues a job; answers `None` when a job with the same unique key exists.
    fn enqueue(
        &self,
        job: &NewJob,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<JobId>, StoreError>> + Send;
    /// Claims up to `limit` due jobs (and jobs whose lease expired) for `worker_id`.
    fn claim(
        &self,
        worker_id: &str,
        limit: i64,
        now: Timestamp,
        lease_millis: i64,
    ) -> impl Future<Output = Result<Vec<ClaimedJob>, StoreError>> + Send;
    /// Marks a claimed job succeeded; false when the lease was lost meanwhile.
    fn complete(
        &self,
        job: &ClaimedJob,
        worker_id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records a failed attempt: re-queued at `retry_at`, or dead when `None`.
    fn fail(
        &self,
        job: &ClaimedJob,
        worker_id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn heartbeat(
        &self,
        worker_id: &str,
        description: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn remove_worker(&self, worker_id: &str)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The most recent heartbeat of any worker.
    fn latest_heartbeat(
        &self,
    ) -> impl Future<Output = Result<Option<Timestamp>, StoreError>> + Send;
    fn queue_counts(
        &self,
        now: Timestamp,
    ) -> impl Future<Output = Result<QueueCounts, StoreError>> + Send;
    /// Jobs in `state` (or failed-and-retrying when `retrying_only`), newest
    /// first; with a workspace, only that workspace's and server-level jobs.
    fn list_jobs(
        &self,
        workspace: Option<i64>,
        state: JobState,
        retrying_only: bool,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<JobSummary>, StoreError>> + Send;
    /// Puts a dead (or retrying) job back in the queue to run now, with fresh attempts.
    fn retry_job(
        &self,
        workspace: Option<i64>,
        id: JobId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn job_attempts(
        &self,
        id: JobId,
    ) -> impl Future<Output = Result<Vec<JobAttempt>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = retry_delay_millis(7, 1);
        let second = retry_delay_millis(7, 2);
        assert!((2_000..=2_500).contains(&first), "{first}");
        assert!((4_000..=5_000).contains(&second), "{second}");
        assert!(retry_delay_millis(7, 40) <= 3_600_000 * 5 / 4);
        assert_eq!(retry_delay_millis(7, 3), retry_delay_millis(7, 3));
    }

    #[test]
    fn states_roundtrip() {
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
    }
}

/// Job outcomes counted by a worker process, read by its `/metrics`.
#[derive(Debug, Default)]
pub struct JobOutcomeCounters {
    pub succeeded: std::sync::atomic::AtomicU64,
    pub retrying: std::sync::atomic::AtomicU64,
    pub dead: std::sync::atomic::AtomicU64,
    /// Completions refused because the lease had passed to another worker.
    pub lease_lost: std::sync::atomic::AtomicU64,
}
