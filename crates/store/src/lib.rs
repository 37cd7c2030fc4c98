//! Agora's storage: one [`Db`] handle over SQLite or PostgreSQL, implementing
//! the store traits the core declares.
//!
//! Queries are written once in the SQL both databases accept (`$N`
//! placeholders, BIGINT milliseconds for time, `ON CONFLICT`, `RETURNING`) and
//! run through sqlx's `Any` driver. Dialects differ only where they must: the
//! migrations, and the job claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
//! `RowNotFound` becomes [`StoreError::NotFound`] here, in [`store_error`], and
//! nowhere else.

mod accounts;
mod analytics;
mod analytics_snapshot;
mod calendar;
mod community;
mod desk;
mod events;
mod identities;
mod jobs;
mod links;
mod members;
mod migrations;
mod moderation;
mod posts;
mod publishing;
mod slots;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use agora_core::StoreError;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use migrations::MIGRATION_COUNT;

/// The PostgreSQL channel on which enqueues are announced.
pub(crate) const JOBS_CHANNEL: &str = "agora_jobs";

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Backend(
                "database URL must start with sqlite: or postgres://".into(),
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pool of connections to Agora's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Signalled when a job is enqueued: by this process, or (on PostgreSQL,
    /// once [`Db::listen_for_jobs`] runs) by any process via `NOTIFY`.
    job_signal: Arc<Notify>,
    /// Serialises this process's queue writes on SQLite (see `jobs.rs`).
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    /// Workspaces' interaction logs in compact form, for the health dashboard.
    analytics_cache: Arc<analytics::LogCache>,
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOptions {
    pub max_connections: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
        }
    }
}

impl Db {
    /// Connects, creating the SQLite file if needed. SQLite connections run in
    /// WAL mode with foreign keys on and a busy timeout, so that the web and
    /// the workers can write at once.
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => {
                format!("{url}?mode=rwc")
            }
            _ => url.to_owned(),
        };
        let pool_options = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |connection, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;")
                            .await?;
                    }
                    Ok(())
                })
            });
        let pool = pool_options.connect(&url).await.map_err(store_error)?;
        Ok(Self {
            pool,
            backend,
            job_signal: Arc::new(Notify::new()),
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
            analytics_cache: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn analytics_cache(&self) -> &analytics::LogCache {
        &self.analytics_cache
    }

    /// Keeps each workspace's compact interaction log in a file under `dir`
    /// once it holds at least `min_rows` rows, so that the first dashboard
    /// after a restart reads the file and only the rows that came after it
    /// (see `analytics_snapshot`). Without it, a restart reads every row.
    pub fn keep_analytics_snapshots(&self, dir: std::path::PathBuf, min_rows: usize) {
        self.analytics_cache.set_snapshots(dir, min_rows);
    }

    /// Waits for the snapshot writes started so far (tests, benchmarks, shutdown).
    pub async fn flush_analytics_snapshots(&self) {
        self.analytics_cache.flush().await;
    }

    /// Loads the compact log of every workspace that has a snapshot file (the
    /// large ones), so the first dashboard after a start does not wait for
    /// it; returns how many were loaded. Meant to run in the background.
    pub async fn warm_analytics_from_snapshots(&self) -> Result<usize, StoreError> {
        use agora_core::analytics::InteractionStore;
        let Some(dir) = self.analytics_cache.snapshot_dir() else {
            return Ok(0);
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(0);
        };
        let mut workspaces: Vec<i64> = Vec::new();
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // A write a crash interrupted an hour or more ago: never renamed, never read.
            if name.ends_with(".part") {
                let old = entry
                    .metadata()
                    .and_then(|metadata| metadata.modified())
                    .ok()
                    .and_then(|modified| modified.elapsed().ok())
                    .is_some_and(|age| age.as_secs() >= 3_600);
                if old {
                    let _ = std::fs::remove_file(entry.path());
                }
                continue;
            }
            if let Some(id) = name
                .strip_prefix("workspace-")
                .and_then(|rest| rest.strip_suffix(".agoralog"))
                .and_then(|id| id.parse().ok())
            {
                workspaces.push(id);
            }
        }
        let mut loaded = 0;
        for workspace in workspaces {
            self.interaction_log(workspace).await?;
            loaded += 1;
        }
        Ok(loaded)
    }

    /// Interaction rows this handle's analytics cache has read from the database.
    pub fn analytics_rows_read(&self) -> u64 {
        self.analytics_cache.rows_read()
    }

    /// The same pool with empty process-side caches, as a restarted process
    /// would have them (tests and benchmarks of the cold path).
    pub fn reopened(&self) -> Self {
        Self {
            analytics_cache: Arc::default(),
            ..self.clone()
        }
    }

    /// Wakes a waiting worker when jobs are enqueued (see [`Db::listen_for_jobs`]).
    pub fn job_signal(&self) -> Arc<Notify> {
        self.job_signal.clone()
    }

    /// On PostgreSQL, forwards `NOTIFY agora_jobs` from every process to
    /// [`Db::job_signal`], so idle workers start new jobs at once instead of
    /// at their next poll. Does nothing on SQLite, where only this process's
    /// enqueues signal (other processes poll).
    pub fn listen_for_jobs(&self, url: &str) {
        if self.backend != Backend::Postgres {
            return;
        }
        let url = url.to_owned();
        let signal = self.job_signal.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(listener) => listener,
                    Err(error) => {
                        tracing::warn!(%error, "could not listen for new jobs; polling only, retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                };
                if let Err(error) = listener.listen(JOBS_CHANNEL).await {
                    tracing::warn!(%error, "could not LISTEN for new jobs; retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
                loop {
                    match listener.recv().await {
                        Ok(_) => signal.notify_one(),
                        Err(error) => {
                            tracing::warn!(%error, "lost the job notification connection; reconnecting");
                            break;
                        }
                    }
                }
            }
        });
    }

    /// Applies every migration not yet applied; safe to call from several
    /// processes at once on PostgreSQL (an advisory lock serialises them).
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrations::run(self).await
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Refreshes the planner's statistics (after bulk loads, as autovacuum would).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE")
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// The one place a database error becomes a [`StoreError`].
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(database_error) if database_error.is_unique_violation() => {
            StoreError::Conflict(database_error.message().to_owned())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// Reads a column, turning a decode error into a [`StoreError`].
pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(store_error)
}

impl Db {
    /// On SQLite, one writer at a time in this process: concurrent write
    /// transactions would otherwise meet `SQLITE_BUSY` and sleep in the busy
    /// handler. PostgreSQL needs no turn.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.sqlite_writer.lock().await),
            Backend::Postgres => None,
        }
    }
}

pub(crate) fn flag(value: bool) -> i64 {
    i64::from(value)
}
