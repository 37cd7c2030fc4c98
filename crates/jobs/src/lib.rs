//! Workers for the durable job queue: they claim due jobs under a lease, run
//! the handler registered for each kind, and record success, a retry with
//! exponential backoff, or a dead letter. A heartbeat row says the worker is
//! alive, which `/readyz` checks.
//!
//! Tests drive a [`Worker`] step by step with [`Worker::run_once`] and a
//! [`agora_core::ManualClock`]; production runs [`Worker::run`] until shutdown.

pub mod analytics;
pub mod digests;
pub mod events;
pub mod moderation;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use agora_core::jobs::{ClaimedJob, JobOutcomeCounters, JobStore, retry_delay_millis};
use agora_core::{Clock, StoreError};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Why a handler failed. `Retry` is tried again with backoff until attempts
/// run out; `Permanent` goes straight to the dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    Retry(String),
    Permanent(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(message) => write!(f, "{message}"),
            JobError::Permanent(message) => write!(f, "permanent: {message}"),
        }
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(ClaimedJob) -> HandlerFuture + Send + Sync>;

/// The handlers a worker knows, by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

/// A job kind that does nothing: the benchmark and the queue tests use it.
pub const NOOP_KIND: &str = "system.noop";

impl Registry {
    /// A registry with the built-in kinds ([`NOOP_KIND`]).
    pub fn with_builtins() -> Self {
        let mut registry = Self::default();
        registry.register(NOOP_KIND, |_job| async { Ok(()) });
        registry
    }

    pub fn register<F, Fut>(&mut self, kind: &str, handler: F)
    where
        F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_owned(), Arc::new(move |job| Box::pin(handler(job))));
    }

    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds
    }
}

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Jobs run at once.
    pub concurrency: usize,
    pub poll_interval: Duration,
    /// How long a claim holds a job; a handler is cut off before it ends.
    pub lease: Duration,
    pub heartbeat_interval: Duration,
    /// How long shutdown waits for running jobs.
    pub drain_timeout: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 8,
            poll_interval: Duration::from_millis(200),
            lease: Duration::from_secs(300),
            heartbeat_interval: Duration::from_secs(5),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// One worker: claims and runs jobs from the shared queue.
pub struct Worker<S: JobStore> {
    store: S,
    /// Woken when jobs are enqueued, so an idle worker need not wait for its poll.
    wakeup: Option<Arc<tokio::sync::Notify>>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
    worker_id: String,
    settings: WorkerSettings,
    counters: Arc<JobOutcomeCounters>,
}

impl<S: JobStore> Clone for Worker<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            wakeup: self.wakeup.clone(),
            registry: self.registry.clone(),
            clock: self.clock.clone(),
            worker_id: self.worker_id.clone(),
            settings: self.settings,
            counters: self.counters.clone(),
        }
    }
}

impl<S: JobStore> Worker<S> {
    pub fn new(
        store: S,
        registry: Registry,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
        counters: Arc<JobOutcomeCounters>,
    ) -> Self {
        let worker_id = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            agora_core::secrets::random_token(4)
        );
        Self {
            store,
            wakeup: None,
            registry: Arc::new(registry),
            clock,
            worker_id,
            settings,
            counters,
        }
    }

    /// Wakes the idle worker whenever `signal` is notified (new due jobs).
    pub fn with_wakeup(mut self, signal: Arc<tokio::sync::Notify>) -> Self {
        self.wakeup = Some(signal);
        self
    }

    pub fn id(&self) -> &str {
        &self.worker_id
    }

    pub async fn heartbeat(&self) -> Result<(), StoreError> {
        let description = format!("{} pid {}", hostname(), std::process::id());
        self.store
            .heartbeat(&self.worker_id, &description, self.clock.now())
            .await
    }

    /// Claims what is due (up to the concurrency) and runs it to the end.
    /// Answers how many jobs ran. Tests step the queue with this.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let jobs = self.claim(self.settings.concurrency).await?;
        let n_jobs = jobs.len();
        let mut running = JoinSet::new();
        for job in jobs {
            let worker = self.clone();
            running.spawn(async move { worker.execute(job).await });
        }
        while let Some(result) = running.join_next().await {
            if let Ok(Err(error)) = result {
                tracing::error!(%error, "could not record a job's outcome");
            }
        }
        Ok(n_jobs)
    }

    async fn claim(&self, limit: usize) -> Result<Vec<ClaimedJob>, StoreError> {
        let lease_millis = i64::try_from(self.settings.lease.as_millis()).unwrap_or(i64::MAX);
        self.store
            .claim(
                &self.worker_id,
                limit as i64,
                self.clock.now(),
                lease_millis,
            )
            .await
    }

    /// Runs one claimed job and records its outcome, fenced by its lease.
    async fn execute(&self, job: ClaimedJob) -> Result<(), StoreError> {
        let outcome = match self.registry.handlers.get(&job.kind).cloned() {
            None => Err(JobError::Permanent(format!(
                "no handler for job kind {:?}",
                job.kind
            ))),
            Some(_) if job.attempt > job.max_attempts => Err(JobError::Permanent(format!(
                "gave up after {} attempts (leases expired)",
                job.max_attempts
            ))),
            Some(handler) => {
                // The handler runs in its own task so that a panic becomes a failed attempt.
                let limit = self
                    .settings
                    .lease
                    .saturating_sub(Duration::from_secs(1))
                    .max(Duration::from_millis(100));
                let task = tokio::spawn(handler(job.clone()));
                match tokio::time::timeout(limit, task).await {
                    Ok(Ok(result)) => result,
                    Ok(Err(join_error)) => {
                        Err(JobError::Retry(format!("handler panicked: {join_error}")))
                    }
                    Err(_) => Err(JobError::Retry(format!(
                        "handler ran longer than {} s",
                        limit.as_secs()
                    ))),
                }
            }
        };
        let now = self.clock.now();
        let held = match &outcome {
            Ok(()) => {
                let held = self.store.complete(&job, &self.worker_id, now).await?;
                if held {
                    self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
                }
                held
            }
            Err(error) => {
                let retry_at = match error {
                    JobError::Retry(_) if job.attempt < job.max_attempts => {
                        Some(now.plus_millis(retry_delay_millis(job.id, job.attempt)))
                    }
                    _ => None,
                };
                let held = self
                    .store
                    .fail(&job, &self.worker_id, &error.to_string(), retry_at, now)
                    .await?;
                if held {
                    let counter = if retry_at.is_some() {
                        &self.counters.retrying
                    } else {
                        &self.counters.dead
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(job_id = job.id, kind = %job.kind, attempt = job.attempt, retrying = retry_at.is_some(), %error, "job failed");
                }
                held
            }
        };
        if !held {
            self.counters.lease_lost.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(job_id = job.id, kind = %job.kind, "job's lease passed to another worker before it finished");
        }
        Ok(())
    }

    /// Runs until `shutdown` turns true, then stops claiming, waits for the
    /// running jobs (up to the drain timeout) and removes its heartbeat.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker_id = %self.worker_id, concurrency = self.settings.concurrency, "worker started");
        let mut running: JoinSet<Result<(), StoreError>> = JoinSet::new();
        let mut heartbeat = tokio::time::interval(self.settings.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = self.settings.concurrency.saturating_sub(running.len());
            let mut claimed_any = false;
            if free > 0 {
                match self.claim(free).await {
                    Ok(jobs) => {
                        claimed_any = !jobs.is_empty();
                        for job in jobs {
                            let worker = self.clone();
                            running.spawn(async move { worker.execute(job).await });
                        }
                    }
                    Err(error) => tracing::error!(%error, "could not claim jobs"),
                }
            }
            if claimed_any && running.len() < self.settings.concurrency {
                continue;
            }
            tokio::select! {
                _ = heartbeat.tick() => {
                    if let Err(error) = self.heartbeat().await {
                        tracing::error!(%error, "could not record the worker heartbeat");
                    }
                }
                Some(result) = running.join_next(), if !running.is_empty() => {
                    // Collect every job that finished meanwhile, so the next claim fills several slots at once.
                    let mut finished = vec![result];
                    while let Some(more) = running.try_join_next() {
                        finished.push(more);
                    }
                    for result in finished {
                        if let Ok(Err(error)) = result {
                            tracing::error!(%error, "could not record a job's outcome");
                        }
                    }
                }
                _ = tokio::time::sleep(self.settings.poll_interval), if running.len() < self.settings.concurrency => {}
                _ = wait_for(self.wakeup.as_deref()), if running.len() < self.settings.concurrency => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(n_running = running.len(), "worker draining");
        let drained = tokio::time::timeout(self.settings.drain_timeout, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                "drain timed out; unfinished jobs will be reclaimed when their lease expires"
            );
        }
        if let Err(error) = self.store.remove_worker(&self.worker_id).await {
            tracing::error!(%error, "could not remove the worker heartbeat");
        }
        tracing::info!("worker stopped");
    }
}

/// Waits for a wake-up signal, or forever when there is none.
async fn wait_for(signal: Option<&tokio::sync::Notify>) {
    match signal {
        Some(signal) => signal.notified().await,
        None => std::future::pending().await,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
