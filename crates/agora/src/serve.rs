//! `agora serve`: the web server, the workers, or both, with graceful
//! shutdown on SIGTERM or Ctrl-C (in-flight requests and jobs finish first).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use agora_connectors::email::{self, Mailer};
use agora_core::config::{Config, LogFormat};
use agora_core::jobs::JobOutcomeCounters;
use agora_core::jobs::JobStore;
use agora_core::secrets::HashCost;
use agora_core::{Clock, SystemClock};
use agora_jobs::{Registry, Worker, WorkerSettings};
use agora_store::{Backend, ConnectOptions, Db};
use agora_web::{AppState, WebSettings};

/// Which parts of Agora this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Both,
    WebOnly,
    WorkerOnly,
}

impl Mode {
    pub fn from_flags(web_only: bool, worker_only: bool) -> Self {
        match (web_only, worker_only) {
            (true, _) => Mode::WebOnly,
            (_, true) => Mode::WorkerOnly,
            _ => Mode::Both,
        }
    }

    fn runs_web(self) -> bool {
        self != Mode::WorkerOnly
    }

    fn runs_workers(self) -> bool {
        self != Mode::WebOnly
    }
}

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Opens the configured database, creating the data directory for SQLite,
/// applies pending migrations, and keeps analytics snapshots under
/// `<data_dir>/analytics`.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.effective_database_url();
    let backend = Backend::from_url(url.expose())?;
    if backend == Backend::Sqlite {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
    }
    let max_connections = match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => (config.worker_concurrency as u32 + 8).min(64),
    };
    let db = Db::connect(url.expose(), ConnectOptions { max_connections })
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("applying migrations")?;
    db.keep_analytics_snapshots(
        config.data_dir.join("analytics"),
        ANALYTICS_SNAPSHOT_MIN_ROWS,
    );
    Ok(db)
}

/// Below this many interactions a workspace's log is read from the database
/// faster than a snapshot would be worth keeping.
pub const ANALYTICS_SNAPSHOT_MIN_ROWS: usize = 100_000;

pub fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    match &config.smtp_url {
        Some(url) => Mailer::smtp(url, &config.smtp_from).map_err(anyhow::Error::msg),
        None => Ok(Mailer::outbox(
            config.data_dir.join("outbox"),
            &config.smtp_from,
        )),
    }
}

pub fn web_settings(config: &Config) -> anyhow::Result<WebSettings> {
    Ok(WebSettings {
        public_url: config.public_url.clone(),
        secure_cookies: config.secure_cookies(),
        session_days: config.session_days,
        password_cost: HashCost::Production,
        heartbeat_max_age_millis: 30_000,
        sealer: sealer(config)?,
        network_client: agora_connectors::networks::client(NETWORK_TIMEOUT),
    })
}

/// How long Agora waits for a network's answer before calling a post unconfirmed.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// The sealer for channel credentials: `secret_key` from the configuration,
/// or a key generated once into `<data_dir>/secret.key` (mode 0600).
pub fn sealer(config: &Config) -> anyhow::Result<agora_core::secrets::Sealer> {
    use agora_core::secrets::{Sealer, Secret};
    let key = match &config.secret_key {
        Some(key) => key.clone(),
        None => {
            let path = config.data_dir.join("secret.key");
            match std::fs::read_to_string(&path) {
                Ok(text) if text.trim().len() >= 32 => Secret::new(text.trim()),
                _ => {
                    std::fs::create_dir_all(&config.data_dir)?;
                    // Written whole under another name, then linked into place:
                    // processes starting together (a web and a worker) agree
                    // on the one key that won, and never read half of one.
                    let key = agora_core::secrets::random_token(32);
                    let staging = config
                        .data_dir
                        .join(format!("secret.key.{}", std::process::id()));
                    write_private(&staging, &key)?;
                    let linked = std::fs::hard_link(&staging, &path);
                    let _ = std::fs::remove_file(&staging);
                    match linked {
                        Ok(()) => Secret::new(key),
                        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                            let text = std::fs::read_to_string(&path)?;
                            anyhow::ensure!(
                                text.trim().len() >= 32,
                                "{} is shorter than 32 characters",
                                path.display()
                            );
                            Secret::new(text.trim())
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
    };
    Ok(Sealer::new(&key, config.secret_key_previous.as_ref()))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

pub fn worker_settings(config: &Config) -> WorkerSettings {
    WorkerSettings {
        concurrency: config.worker_concurrency as usize,
        poll_interval: Duration::from_millis(config.worker_poll_interval_ms as u64),
        lease: Duration::from_secs(config.worker_lease_seconds as u64),
        ..WorkerSettings::default()
    }
}

/// Turns true on SIGTERM or Ctrl-C.
fn shutdown_signal() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate => {}
        }
        tracing::info!("shutting down: finishing in-flight requests and jobs");
        let _ = sender.send(true);
    });
    receiver
}

pub async fn run(config: Config, mode: Mode) -> anyhow::Result<()> {
    let db = open_database(&config).await?;
    run_with(config, db, mode, None).await
}

/// Serves with an open database; `announce` is printed once the port is bound.
pub async fn run_with(
    config: Config,
    db: Db,
    mode: Mode,
    announce: Option<String>,
) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let counters = Arc::new(JobOutcomeCounters::default());
    let shutdown = shutdown_signal();
    let mut tasks = tokio::task::JoinSet::new();

    if mode.runs_workers() {
        let mut registry = Registry::with_builtins();
        email::register(&mut registry, mailer(&config)?);
        agora_jobs::digests::register(
            &mut registry,
            db.clone(),
            clock.clone(),
            config.public_url.clone(),
        );
        agora_jobs::analytics::register(
            &mut registry,
            db.clone(),
            clock.clone(),
            config.public_url.clone(),
        );
        agora_jobs::events::register(
            &mut registry,
            db.clone(),
            clock.clone(),
            config.public_url.clone(),
        );
        agora_jobs::moderation::register(&mut registry, db.clone(), clock.clone());
        let engine = Arc::new(agora_connectors::publishing::Engine::new(
            db.clone(),
            clock.clone(),
            sealer(&config)?,
            NETWORK_TIMEOUT,
            config.public_url.clone(),
        ));
        agora_connectors::publishing::register(&mut registry, engine);
        // The daily digest run: enqueued once per day whichever process gets here first.
        let now = clock.now();
        // The publishing sweep, now: posts due while no worker ran go out first.
        db.enqueue(&agora_connectors::publishing::sweep_job(now), now)
            .await?;
        db.enqueue(
            &agora_jobs::digests::job(agora_jobs::digests::next_run(now)),
            now,
        )
        .await?;
        // The daily trust-level run, likewise once per day.
        db.enqueue(
            &agora_jobs::moderation::trust_job(agora_jobs::moderation::next_trust_run(now)),
            now,
        )
        .await?;
        // The weekly health report, the same way.
        db.enqueue(
            &agora_jobs::analytics::job(agora_jobs::analytics::next_run(now)),
            now,
        )
        .await?;
        db.listen_for_jobs(config.effective_database_url().expose());
        let worker = Worker::new(
            db.clone(),
            registry,
            clock.clone(),
            worker_settings(&config),
            counters.clone(),
        )
        .with_wakeup(db.job_signal());
        tracing::info!(worker_id = worker.id(), "starting worker");
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            worker.run(shutdown).await;
            Ok::<(), anyhow::Error>(())
        });
    }

    if mode.runs_web() {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let address = listener.local_addr()?;
        let mut settings = web_settings(&config)?;
        // Unless configured, links in e-mails point at the address actually bound (port 0 included).
        if settings.public_url == format!("http://{}", config.listen) {
            settings.public_url = format!("http://{address}");
        }
        let state = AppState::new(db.clone(), settings, clock.clone(), counters.clone());
        // Large workspaces' interaction logs, from their snapshots, before anyone asks.
        let warm = db.clone();
        tasks.spawn(async move {
            match warm.warm_analytics_from_snapshots().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(workspaces = n, "analytics logs loaded from snapshots"),
                Err(error) => tracing::warn!(%error, "loading analytics snapshots failed"),
            }
            Ok::<(), anyhow::Error>(())
        });
        tracing::info!(%address, backend = db.backend().as_str(), "web server listening");
        match &announce {
            Some(text) => println!("{text}"),
            None => println!(
                "Agora is listening on http://{address} ({})",
                db.backend().as_str()
            ),
        }
        let mut shutdown = shutdown.clone();
        tasks.spawn(async move {
            axum::serve(listener, agora_web::router(state))
                .with_graceful_shutdown(async move {
                    let _ = shutdown.wait_for(|stop| *stop).await;
                })
                .await
                .context("web server")
        });
    }

    while let Some(result) = tasks.join_next().await {
        result.context("a task panicked")??;
    }
    db.close().await;
    Ok(())
}
