//! The job queue in SQL: enqueue with unique keys, leased claims (with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL), fenced completion, the per-attempt
//! log and worker heartbeats.

use agora_core::jobs::{
    ClaimedJob, JobAttempt, JobId, JobState, JobStore, JobSummary, NewJob, QueueCounts,
};
use agora_core::secrets::random_token;
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Backend, Db, get, store_error};

fn parse_payload(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or(serde_json::Value::Null)
}

fn summary_from(row: &AnyRow) -> Result<JobSummary, StoreError> {
    let state: String = get(row, "state")?;
    Ok(JobSummary {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Backend(format!("unknown job state {state:?}")))?,
        attempts: get(row, "attempts")?,
        max_attempts: get(row, "max_attempts")?,
        run_at: Timestamp(get(row, "run_at")?),
        last_error: get(row, "last_error")?,
        updated_at: Timestamp(get(row, "updated_at")?),
    })
}

impl Db {
    /// Ends a held attempt in one transaction: the job's new state and the
    /// attempt's row commit together (one fsync), fenced by the lease token.
    /// Answers false, changing nothing, when the lease was lost.
    #[allow(clippy::too_many_arguments)]
    async fn finish_attempt(
        &self,
        job: &ClaimedJob,
        worker_id: &str,
        state: &str,
        run_at: Timestamp,
        error: Option<&str>,
        outcome: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        if self.backend() == Backend::Postgres {
            // One statement, one round trip and one commit.
            let result = sqlx::query(
                "WITH finished AS ( \
                   UPDATE jobs SET state = $1, run_at = $2, last_error = $3, lease_token = NULL, lease_until = NULL, updated_at = $4 \
                   WHERE id = $5 AND lease_token = $6 AND state = 'running' RETURNING id) \
                 INSERT INTO job_attempts (job_id, attempt, worker_id, run_at, started_at, finished_at, outcome, error) \
                 SELECT id, $7, $8, $9, $10, $4, $11, $3 FROM finished",
            )
            .bind(state)
            .bind(run_at.millis())
            .bind(error)
            .bind(now.millis())
            .bind(job.id)
            .bind(&job.lease_token)
            .bind(job.attempt)
            .bind(worker_id)
            .bind(job.run_at.millis())
            .bind(job.claimed_at.millis())
            .bind(outcome)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
            return Ok(result.rows_affected() == 1);
        }
        // SQLite has one writer: queue writes from this process take turns here
        // instead of colliding on the file lock and sleeping in its busy handler.
        let _turn = self.sqlite_writer.lock().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let result = sqlx::query(
            "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, lease_token = NULL, lease_until = NULL, updated_at = $4 \
             WHERE id = $5 AND lease_token = $6 AND state = 'running'",
        )
        .bind(state)
        .bind(run_at.millis())
        .bind(error)
        .bind(now.millis())
        .bind(job.id)
        .bind(&job.lease_token)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        if result.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO job_attempts (job_id, attempt, worker_id, run_at, started_at, finished_at, outcome, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(job.id)
        .bind(job.attempt)
        .bind(worker_id)
        .bind(job.run_at.millis())
        .bind(job.claimed_at.millis())
        .bind(now.millis())
        .bind(outcome)
        .bind(error)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(true)
    }
}

impl Db {
    /// Tells idle workers that due jobs arrived: in this process directly, in
    /// others through PostgreSQL's `NOTIFY`. Losing a notice only costs a poll.
    async fn announce_jobs(&self) {
        self.job_signal.notify_one();
        if self.backend() == Backend::Postgres
            && let Err(error) = sqlx::query(sqlx::AssertSqlSafe(format!(
                "NOTIFY {}",
                crate::JOBS_CHANNEL
            )))
            .execute(self.pool())
            .await
        {
            tracing::debug!(%error, "could not NOTIFY workers");
        }
    }
}

impl JobStore for Db {
    async fn enqueue(&self, job: &NewJob, now: Timestamp) -> Result<Option<JobId>, StoreError> {
        let turn = match self.backend() {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        };
        let row = sqlx::query(
            "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, unique_key, created_at, updated_at, workspace_id) \
             VALUES ($1, $2, 'queued', $3, 0, $4, $5, $6, $6, $7) ON CONFLICT (unique_key) DO NOTHING RETURNING id",
        )
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(job.run_at.millis())
        .bind(job.max_attempts)
        .bind(job.unique_key.as_deref())
        .bind(now.millis())
        .bind(job.workspace_id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        drop(turn);
        let id = row.map(|row| get(&row, "id")).transpose()?;
        if id.is_some() && job.run_at <= now {
            self.announce_jobs().await;
        }
        Ok(id)
    }

    async fn claim(
        &self,
        worker_id: &str,
        limit: i64,
        now: Timestamp,
        lease_millis: i64,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let lock_clause = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let lease_token = random_token(12);
        // Two statements, each answered from an index in order: jobs whose
        // lease expired (their worker died) first, then due queued jobs.
        // One statement with `OR` made both databases collect and sort every
        // due job on each claim, which a backlog of 100,000 made slow.
        let update = |which: &str| {
            format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1, lease_until = $2, locked_by = $3, updated_at = $4 \
                 WHERE id IN (SELECT id FROM jobs WHERE {which} ORDER BY {order} LIMIT $5 {lock_clause}) \
                 RETURNING id, kind, payload, attempts, max_attempts, run_at",
                order = if which.contains("lease_until") {
                    "lease_until, id"
                } else {
                    "run_at, id"
                },
            )
        };
        let _turn = match self.backend() {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        };
        let mut rows = Vec::new();
        for which in [
            "state = 'running' AND lease_until < $4",
            "state = 'queued' AND run_at <= $4",
        ] {
            let wanted = limit - rows.len() as i64;
            if wanted <= 0 {
                break;
            }
            rows.extend(
                sqlx::query(sqlx::AssertSqlSafe(update(which)))
                    .bind(&lease_token)
                    .bind(now.millis() + lease_millis)
                    .bind(worker_id)
                    .bind(now.millis())
                    .bind(wanted)
                    .fetch_all(self.pool())
                    .await
                    .map_err(store_error)?,
            );
        }
        let mut jobs = rows
            .iter()
            .map(|row| {
                Ok(ClaimedJob {
                    id: get(row, "id")?,
                    kind: get(row, "kind")?,
                    payload: parse_payload(&get::<String>(row, "payload")?),
                    attempt: get(row, "attempts")?,
                    max_attempts: get(row, "max_attempts")?,
                    run_at: Timestamp(get(row, "run_at")?),
                    lease_token: lease_token.clone(),
                    claimed_at: now,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        jobs.sort_by_key(|job| (job.run_at, job.id));
        Ok(jobs)
    }

    async fn complete(
        &self,
        job: &ClaimedJob,
        worker_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.finish_attempt(
            job,
            worker_id,
            "succeeded",
            job.run_at,
            None,
            "succeeded",
            now,
        )
        .await
    }

    async fn fail(
        &self,
        job: &ClaimedJob,
        worker_id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        match retry_at {
            Some(at) => {
                self.finish_attempt(job, worker_id, "queued", at, Some(error), "retrying", now)
                    .await
            }
            None => {
                self.finish_attempt(job, worker_id, "dead", job.run_at, Some(error), "dead", now)
                    .await
            }
        }
    }

    async fn heartbeat(
        &self,
        worker_id: &str,
        description: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workers (id, description, started_at, heartbeat_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        )
        .bind(worker_id)
        .bind(description)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn remove_worker(&self, worker_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM workers WHERE id = $1")
            .bind(worker_id)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn latest_heartbeat(&self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query("SELECT MAX(heartbeat_at) AS at FROM workers")
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<Option<i64>>(&row, "at")?.map(Timestamp))
    }

    async fn queue_counts(&self, now: Timestamp) -> Result<QueueCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n, CAST(SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END) AS BIGINT) AS n_due, \
             CAST(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n_retrying FROM jobs GROUP BY state",
        )
        .bind(now.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut counts = QueueCounts::default();
        for row in &rows {
            let n: i64 = get(row, "n")?;
            match get::<String>(row, "state")?.as_str() {
                "queued" => {
                    counts.queued = n;
                    counts.due = get(row, "n_due")?;
                    counts.retrying = get(row, "n_retrying")?;
                }
                "running" => counts.running = n,
                "succeeded" => counts.succeeded = n,
                "dead" => counts.dead = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    async fn list_jobs(
        &self,
        workspace: Option<i64>,
        state: JobState,
        retrying_only: bool,
        limit: i64,
    ) -> Result<Vec<JobSummary>, StoreError> {
        let retry_clause = if retrying_only {
            "AND attempts > 0"
        } else {
            ""
        };
        let workspace_clause = if workspace.is_some() {
            "AND (workspace_id = $3 OR workspace_id IS NULL)"
        } else {
            "AND $3 = $3"
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, kind, state, attempts, max_attempts, run_at, last_error, updated_at FROM jobs \
             WHERE state = $1 {retry_clause} {workspace_clause} ORDER BY updated_at DESC, id DESC LIMIT $2"
        )))
        .bind(state.as_str())
        .bind(limit)
        .bind(workspace.unwrap_or(0))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(summary_from).collect()
    }

    async fn retry_job(
        &self,
        workspace: Option<i64>,
        id: JobId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, attempts = 0, updated_at = $1 \
             WHERE id = $2 AND (state = 'dead' OR (state = 'queued' AND attempts > 0)) \
             AND ($3 = 0 OR workspace_id = $3 OR workspace_id IS NULL)",
        )
        .bind(now.millis())
        .bind(id)
        .bind(workspace.unwrap_or(0))
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn job_attempts(&self, id: JobId) -> Result<Vec<JobAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts WHERE job_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(JobAttempt {
                    job_id: get(row, "job_id")?,
                    attempt: get(row, "attempt")?,
                    worker_id: get(row, "worker_id")?,
                    started_at: Timestamp(get(row, "started_at")?),
                    finished_at: Timestamp(get(row, "finished_at")?),
                    outcome: get(row, "outcome")?,
                    error: get(row, "error")?,
                })
            })
            .collect()
    }
}

/// Queue measurements for the benchmark and the two-worker test: every
/// finished attempt with its delay from `run_at` to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptTiming {
    pub job_id: JobId,
    pub run_at: Timestamp,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

impl Db {
    /// All attempts of jobs of `kind`, oldest first.
    pub async fn attempt_timings(&self, kind: &str) -> Result<Vec<AttemptTiming>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.job_id, a.run_at, a.started_at, a.finished_at FROM job_attempts a JOIN jobs j ON j.id = a.job_id \
             WHERE j.kind = $1 ORDER BY a.id",
        )
        .bind(kind)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(AttemptTiming {
                    job_id: get(row, "job_id")?,
                    run_at: Timestamp(get(row, "run_at")?),
                    started_at: Timestamp(get(row, "started_at")?),
                    finished_at: Timestamp(get(row, "finished_at")?),
                })
            })
            .collect()
    }

    /// Enqueues many jobs in one transaction (benchmarks and demo seeding).
    pub async fn enqueue_many(&self, jobs: &[NewJob], now: Timestamp) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        for job in jobs {
            sqlx::query(
                "INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, unique_key, created_at, updated_at, workspace_id) \
                 VALUES ($1, $2, 'queued', $3, 0, $4, $5, $6, $6, $7) ON CONFLICT (unique_key) DO NOTHING",
            )
            .bind(&job.kind)
            .bind(job.payload.to_string())
            .bind(job.run_at.millis())
            .bind(job.max_attempts)
            .bind(job.unique_key.as_deref())
            .bind(now.millis())
            .bind(job.workspace_id)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)?;
        self.announce_jobs().await;
        Ok(())
    }
}

impl Db {
    /// Deletes every job of `kind` and its attempts (the benchmark starts clean).
    pub async fn delete_jobs_of_kind(&self, kind: &str) -> Result<u64, StoreError> {
        sqlx::query(
            "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE kind = $1)",
        )
        .bind(kind)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        let result = sqlx::query("DELETE FROM jobs WHERE kind = $1")
            .bind(kind)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected())
    }
}

impl Db {
    /// How many distinct workers ran jobs of `kind` (the two-worker test).
    pub async fn attempt_workers(&self, kind: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT a.worker_id) AS n FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.kind = $1",
        )
        .bind(kind)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }
}
