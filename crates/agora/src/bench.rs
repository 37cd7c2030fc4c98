//! `agora bench queue`: job queue throughput and latency with no-op jobs, on
//! the configured database, with one or more worker processes.
//!
//! Three figures: enqueue rate (one insert per job), drain rate (claim and
//! complete a backlog), and the delay from a job's run-at to its start while
//! jobs arrive at a steady rate (p50, p99). Workers are separate `agora serve
//! --worker-only` processes, so several of them really share the queue.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;

use agora_core::config::Config;
use agora_core::jobs::{JobStore, NewJob};
use agora_core::{Clock, SystemClock};
use agora_jobs::NOOP_KIND;
use agora_store::Db;

use crate::serve::open_database;

#[derive(Debug, Clone, Args)]
pub struct QueueBenchArgs {
    /// Jobs in the drain phase
    #[arg(long, default_value_t = 5_000)]
    jobs: usize,
    /// Worker processes
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Jobs in the latency phase, arriving at --rate per second
    #[arg(long, default_value_t = 1_000)]
    latency_jobs: usize,
    /// Arrival rate in the latency phase, jobs per second
    #[arg(long, default_value_t = 200)]
    rate: usize,
}

struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// A fresh workspace named `bench-xxxx`, so runs never meet each other's data.
pub(crate) async fn bench_workspace(
    db: &Db,
    now: agora_core::Timestamp,
) -> anyhow::Result<(agora_core::accounts::Workspace, String)> {
    use agora_core::accounts::{AccountStore, Slug};
    let slug = format!(
        "bench-{}",
        agora_core::secrets::random_token(4)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let workspace = db
        .create_workspace(
            &Slug::parse(&slug).map_err(|e| anyhow::anyhow!("{e}"))?,
            "Bench",
            false,
            now,
        )
        .await?;
    Ok((workspace, slug))
}

/// Agora's web server on a free loopback port, in this process.
pub(crate) async fn serve_in_process(
    db: &Db,
    config: &Config,
) -> anyhow::Result<(
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let state = agora_web::AppState::new(
        db.clone(),
        crate::serve::web_settings(config)?,
        std::sync::Arc::new(SystemClock),
        std::sync::Arc::new(agora_core::jobs::JobOutcomeCounters::default()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, agora_web::router(state)).await });
    Ok((address, server))
}

pub(crate) fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn wait_until_done(
    db: &Db,
    expected_succeeded: i64,
    deadline: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let counts = db.queue_counts(SystemClock.now()).await?;
        if counts.succeeded >= expected_succeeded {
            return Ok(());
        }
        if started.elapsed() > deadline {
            bail!(
                "only {} of {expected_succeeded} jobs finished within {deadline:?}",
                counts.succeeded
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn queue(config: &Config, args: QueueBenchArgs) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let url = config.effective_database_url();
    let removed = db.delete_jobs_of_kind(NOOP_KIND).await?;
    let remaining = db.queue_counts(SystemClock.now()).await?;
    if remaining.queued + remaining.running > 0 {
        bail!("the queue has other pending jobs; run the benchmark on an empty database");
    }
    println!(
        "queue benchmark on {} ({} worker process(es), concurrency {} each, poll {} ms){}",
        db.backend().as_str(),
        args.workers,
        config.worker_concurrency,
        config.worker_poll_interval_ms,
        if removed > 0 {
            format!("; removed {removed} old benchmark jobs")
        } else {
            String::new()
        }
    );

    // Phase 1: enqueue, one job per statement, no workers running.
    let started = Instant::now();
    for _ in 0..args.jobs {
        db.enqueue(
            &NewJob::new(NOOP_KIND, serde_json::json!({}), SystemClock.now()),
            SystemClock.now(),
        )
        .await?;
    }
    let enqueue_seconds = started.elapsed().as_secs_f64();

    // Phase 2: start the workers on the backlog and time the drain.
    let exe = std::env::current_exe().context("finding the agora executable")?;
    let mut children = Vec::new();
    let drain_started = Instant::now();
    for _ in 0..args.workers {
        let child = Command::new(&exe)
            .args(["serve", "--worker-only", "--data-dir"])
            .arg(&config.data_dir)
            .env("AGORA_DATABASE_URL", url.expose())
            .env("AGORA_LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting a worker process")?;
        children.push(child);
    }
    let workers = Workers(children);
    wait_until_done(&db, args.jobs as i64, Duration::from_secs(600)).await?;
    let drain_seconds = drain_started.elapsed().as_secs_f64();
    let timings = db.attempt_timings(NOOP_KIND).await?;
    let first_start = timings
        .iter()
        .map(|t| t.started_at.millis())
        .min()
        .unwrap_or_default();
    let last_finish = timings
        .iter()
        .map(|t| t.finished_at.millis())
        .max()
        .unwrap_or_default();
    let busy_seconds = ((last_finish - first_start) as f64 / 1000.0).max(0.001);

    // Phase 3: steady arrivals; measure run-at to start.
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let arrivals_started = Instant::now();
    for n in 0..args.latency_jobs {
        let due = arrivals_started + interval * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let now = SystemClock.now();
        db.enqueue(
            &NewJob::new(NOOP_KIND, serde_json::json!({"phase": "latency"}), now),
            now,
        )
        .await?;
    }
    wait_until_done(
        &db,
        (args.jobs + args.latency_jobs) as i64,
        Duration::from_secs(600),
    )
    .await?;
    drop(workers);

    let timings = db.attempt_timings(NOOP_KIND).await?;
    let mut runs_per_job: HashMap<i64, usize> = HashMap::new();
    for timing in &timings {
        *runs_per_job.entry(timing.job_id).or_default() += 1;
    }
    let n_twice = runs_per_job.values().filter(|n| **n > 1).count();
    let mut delays: Vec<i64> = timings
        .iter()
        .skip(args.jobs)
        .map(|t| t.started_at.millis() - t.run_at.millis())
        .collect();
    delays.sort_unstable();

    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| enqueue (one insert per job) | {:.0} jobs/s ({} jobs in {:.2} s) |",
        args.jobs as f64 / enqueue_seconds,
        args.jobs,
        enqueue_seconds
    );
    println!(
        "| drain a backlog (claim + run + complete) | {:.0} jobs/s while busy ({:.2} s from first start to last finish; {:.2} s wall including worker start-up) |",
        args.jobs as f64 / busy_seconds,
        busy_seconds,
        drain_seconds
    );
    println!(
        "| run-at to start, {} jobs arriving at {}/s | p50 {} ms, p99 {} ms, max {} ms |",
        delays.len(),
        args.rate,
        percentile(&delays, 50.0),
        percentile(&delays, 99.0),
        delays.last().copied().unwrap_or_default()
    );
    println!(
        "| jobs run more than once | {n_twice} of {} |",
        runs_per_job.len()
    );
    if n_twice > 0 {
        bail!("{n_twice} jobs ran more than once");
    }
    db.delete_jobs_of_kind(NOOP_KIND).await?;
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct CommunityBenchArgs {
    /// Posts in the search corpus (replies spread over 1,000 threads)
    #[arg(long, default_value_t = 1_000_000)]
    posts: usize,
    /// Concurrent connections for the page load phase
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds of load per page
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Load the pages with `wrk` (Debian's `wrk` package, 2 threads) instead
    /// of the built-in load generator
    #[arg(long)]
    wrk: bool,
}

/// Milliseconds from a wrk duration such as `812.00us`, `1.25ms` or `1.02s`.
fn wrk_millis(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(us) = text.strip_suffix("us") {
        (us, 0.001)
    } else if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1.0)
    } else if let Some(seconds) = text.strip_suffix('s') {
        (seconds, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|value| value * factor)
}

/// Runs wrk against a URL; answers (requests/s, p50 ms, p99 ms, non-2xx responses).
fn wrk_load(
    url: &str,
    cookie: &str,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<(f64, f64, f64, usize)> {
    let output = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
        ])
        .args(["-H", &format!("Cookie: {cookie}"), url])
        .output()
        .context("run wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    let mut rps = None;
    let (mut p50, mut p99) = (None, None);
    let mut failures = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["Requests/sec:", value] => rps = value.parse::<f64>().ok(),
            ["50%", value] => p50 = wrk_millis(value),
            ["99%", value] => p99 = wrk_millis(value),
            ["Non-2xx", "or", "3xx", "responses:", value] => failures = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    match (rps, p50, p99) {
        (Some(rps), Some(p50), Some(p99)) => Ok((rps, p50, p99, failures)),
        _ => anyhow::bail!("could not read wrk's report: {text}"),
    }
}

/// Words with a Zipf-like frequency, so search terms range from common to rare.
fn word_pool() -> Vec<String> {
    let roots = [
        "chain",
        "brake",
        "tyre",
        "wheel",
        "route",
        "climb",
        "gravel",
        "saddle",
        "pedal",
        "gear",
        "cassette",
        "derailleur",
        "sealant",
        "tubeless",
        "ride",
        "coffee",
        "rain",
        "light",
        "frame",
        "fork",
        "spoke",
        "hub",
        "rim",
        "cable",
        "lever",
        "bar",
        "stem",
        "crank",
    ];
    let mut words = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        words.push((*root).to_owned());
        for suffix in 0..(i * 3) {
            words.push(format!("{root}{suffix}"));
        }
    }
    words
}

fn sentence(rng: &mut rand::rngs::StdRng, words: &[String]) -> String {
    use rand::Rng;
    let n_words = rng.gen_range(8..40);
    (0..n_words)
        .map(|_| {
            // Rank-biased pick: low indexes (the roots) are far more common.
            let rank = (rng.r#gen::<f64>().powi(3) * words.len() as f64) as usize;
            words[rank.min(words.len() - 1)].as_str()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn load(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<(f64, i64, i64, usize)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, cookie) = (client.clone(), url.to_owned(), cookie.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            while Instant::now() < deadline {
                let started = Instant::now();
                match client.get(&url).header("cookie", &cookie).send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(started.elapsed().as_micros() as i64);
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (mut task_latencies, task_failures) = task.await?;
        latencies.append(&mut task_latencies);
        failures += task_failures;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Ok((
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        failures,
    ))
}

pub async fn community(config: &Config, args: CommunityBenchArgs) -> anyhow::Result<()> {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role};
    use agora_core::community::{
        CommunityStore, GroupMembership, GroupRole, NewSpace, NewThread, SearchQuery, SpaceKind,
        ThreadKind, Visibility,
    };
    use agora_core::members::MemberStore;
    use agora_core::secrets::{HashCost, random_token, token_digest};
    use rand::SeedableRng;

    let db = open_database(config).await?;
    let now = SystemClock.now();
    let (workspace, slug) = bench_workspace(&db, now).await?;
    let email = Email::parse(&format!("reader@{slug}.test")).map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = db
        .create_account(
            &email,
            &DisplayName::parse("Bench Reader").map_err(|e| anyhow::anyhow!("{e}"))?,
            &agora_core::secrets::hash_password("x", HashCost::Testing),
            now,
        )
        .await?;
    db.upsert_membership(account.id, workspace.id, Role::Member, now)
        .await?;
    let member = db
        .member_of_account(workspace.id, account.id)
        .await?
        .context("member profile")?;
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Group,
            slug: "riders".into(),
            name: "Riders".into(),
            description: "Benchmark group".into(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: now,
        })
        .await?;
    db.upsert_group_membership(&GroupMembership {
        space_id: group.id,
        member_id: member,
        role: GroupRole::Member,
        active: true,
        rules_version: 1,
        joined_at: now,
    })
    .await?;

    println!(
        "community benchmark on {} (workspace {slug})",
        db.backend().as_str()
    );
    let words = word_pool();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let seeding = Instant::now();
    let n_threads = 1_000;
    let mut threads = Vec::new();
    for n in 0..n_threads {
        let title = format!(
            "Thread {n}: {}",
            sentence(&mut rng, &words)
                .split(' ')
                .take(6)
                .collect::<Vec<_>>()
                .join(" ")
        );
        threads.push(
            db.create_thread(&NewThread {
                space_id: group.id,
                author_id: member,
                kind: ThreadKind::Discussion,
                title,
                body: sentence(&mut rng, &words),
                created_at: now,
            })
            .await?,
        );
    }
    // The first thread gets exactly 500 replies; the rest of the corpus is spread over the others.
    let big_thread = threads[0];
    let bodies: Vec<String> = (0..500).map(|_| sentence(&mut rng, &words)).collect();
    db.bulk_replies(big_thread, member, &bodies, now).await?;
    let remaining = args.posts.saturating_sub(500 + n_threads);
    let per_thread = remaining / (n_threads - 1).max(1);
    for thread in threads.iter().skip(1) {
        let bodies: Vec<String> = (0..per_thread)
            .map(|_| sentence(&mut rng, &words))
            .collect();
        db.bulk_replies(*thread, member, &bodies, now).await?;
    }
    let n_posts = n_threads + 500 + per_thread * (n_threads - 1);
    println!(
        "seeded {n_posts} posts in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // Serve in-process and load the pages as a signed-in member.
    let session = random_token(32);
    db.create_session(
        &token_digest(&session),
        account.id,
        now,
        now.plus_seconds(86_400),
    )
    .await?;
    let cookie = format!("agora_session={session}");
    let (address, server) = serve_in_process(&db, config).await?;
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    println!("| measure | value |");
    println!("| --- | --- |");
    for (label, path) in [
        (
            "thread page, 500 replies",
            format!("/w/{slug}/threads/{big_thread}"),
        ),
        (
            "group page, 1,000 threads (100 listed)",
            format!("/w/{slug}/groups/riders"),
        ),
    ] {
        let url = format!("http://{address}{path}");
        let (rps, p50, p99, failures) = if args.wrk {
            let (url, cookie, connections, seconds) =
                (url.clone(), cookie.clone(), args.connections, args.seconds);
            tokio::task::spawn_blocking(move || wrk_load(&url, &cookie, connections, seconds))
                .await??
        } else {
            let (rps, p50, p99, failures) =
                load(&client, &url, &cookie, args.connections, args.seconds).await?;
            (rps, p50 as f64 / 1000.0, p99 as f64 / 1000.0, failures)
        };
        println!(
            "| {label}, {} connections{} | {rps:.0} requests/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {failures} failed |",
            args.connections,
            if args.wrk { " (wrk)" } else { "" },
        );
    }
    server.abort();

    // Search latency straight on the store, over the whole corpus.
    let mut latencies = Vec::new();
    let mut n_hits = 0;
    for n in 0..200 {
        let term = if n % 2 == 0 {
            words[n % 28].clone()
        } else {
            words[(n * 37) % words.len()].clone()
        };
        let query = SearchQuery::parse(&term).map_err(|e| anyhow::anyhow!("{e}"))?;
        let started = Instant::now();
        n_hits += db.search(workspace.id, &query, &[group.id]).await?.len();
        latencies.push(started.elapsed().as_micros() as i64);
    }
    latencies.sort_unstable();
    println!(
        "| search over {n_posts} posts, 200 one-word queries (common and rare) | p50 {:.1} ms, p99 {:.1} ms ({n_hits} hits, at most 30 per query) |",
        percentile(&latencies, 50.0) as f64 / 1000.0,
        percentile(&latencies, 99.0) as f64 / 1000.0
    );
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct PublishBenchArgs {
    /// Posts, all due in the same minute
    #[arg(long, default_value_t = 100_000)]
    posts: usize,
    /// Channels the posts are spread over (Mastodon-like, on a local sink)
    #[arg(long, default_value_t = 10_000)]
    channels: usize,
    /// Worker processes
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Seconds from the end of seeding until the posts are due
    #[arg(long, default_value_t = 20)]
    lead: i64,
}

/// A local HTTP server that answers `POST /api/v1/statuses` as Mastodon
/// does, honouring `Idempotency-Key`; answers its address and a counter of
/// statuses created.
async fn mastodon_sink() -> anyhow::Result<(
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicU64>,
)> {
    use axum::http::HeaderMap;
    use axum::routing::post;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let created = Arc::new(AtomicU64::new(0));
    let keys: Arc<std::sync::Mutex<HashMap<String, u64>>> = Arc::default();
    let counter = created.clone();
    let app = axum::Router::new().route(
        "/api/v1/statuses",
        post(move |headers: HeaderMap| {
            let (counter, keys) = (counter.clone(), keys.clone());
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let id = {
                    let mut keys = keys
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *keys
                        .entry(key)
                        .or_insert_with(|| counter.fetch_add(1, Ordering::Relaxed) + 1)
                };
                axum::Json(serde_json::json!({
                    "id": id.to_string(),
                    "url": format!("https://sink.example/@bench/{id}"),
                    "content": "<p>Benchmark post</p>",
                    "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((address, created))
}

/// The peak resident memory of a process (Linux), in MiB.
fn peak_memory_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub async fn publish(config: &Config, args: PublishBenchArgs) -> anyhow::Result<()> {
    use agora_core::members::{MemberStore, NewMember};
    use agora_core::posts::{NewChannel, PostStore};

    use agora_core::text_limits::Network;

    let db = open_database(config).await?;
    let sealer = crate::serve::sealer(config)?;
    let (sink, created) = mastodon_sink().await?;
    let now = SystemClock.now();
    let (workspace, _slug) = bench_workspace(&db, now).await?;
    let author = db
        .create_member(&NewMember {
            workspace_id: workspace.id,
            account_id: None,
            name: "Bench Marketer".into(),
            email: None,
            joined_at: now,
            is_staff: true,
        })
        .await?;
    println!(
        "publishing benchmark on {}: {} posts over {} channels, {} worker process(es), sink at {sink}",
        db.backend().as_str(),
        args.posts,
        args.channels,
        args.workers
    );
    let seeding = Instant::now();
    let sealed = sealer.seal(r#"{"kind":"token","access_token":"bench"}"#);
    let mut channels = Vec::with_capacity(args.channels);
    for n in 0..args.channels {
        let channel = db
            .create_channel(&NewChannel {
                workspace_id: workspace.id,
                network: Network::Mastodon,
                name: format!("@bench{n}@sink"),
                avatar_url: None,
                base_url: format!("http://{sink}"),
                account: String::new(),
                timezone: "Europe/Paris".into(),
                sealed_credentials: sealed.clone(),
                max_chars: 500,
                max_media: 4,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: now,
            })
            .await?;
        channels.push(channel.id);
    }
    // Due in the same minute: all at one instant, `lead` seconds after seeding.
    let provisional = now.plus_seconds(3_600);
    let targets = db
        .bulk_scheduled_posts(workspace.id, author, &channels, args.posts, provisional)
        .await?;
    let due = SystemClock.now().plus_seconds(args.lead);
    db.reschedule_workspace_targets(workspace.id, due).await?;
    let jobs: Vec<NewJob> = targets
        .iter()
        .map(|target| {
            agora_connectors::publishing::publish_job(*target, 0, due).for_workspace(workspace.id)
        })
        .collect();
    for chunk in jobs.chunks(5_000) {
        db.enqueue_many(chunk, SystemClock.now()).await?;
    }
    println!("seeded in {:.1} s", seeding.elapsed().as_secs_f64());

    let exe = std::env::current_exe().context("finding the agora executable")?;
    let url = config.effective_database_url();
    let mut children = Vec::new();
    for _ in 0..args.workers {
        let child = Command::new(&exe)
            .args(["serve", "--worker-only", "--data-dir"])
            .arg(&config.data_dir)
            .env("AGORA_DATABASE_URL", url.expose())
            .env("AGORA_LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting a worker process")?;
        children.push(child);
    }
    let workers = Workers(children);
    let deadline = Instant::now() + Duration::from_secs(3_600);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if SystemClock.now() > due && db.pending_targets(workspace.id).await? == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("not all posts went out within an hour");
        }
    }
    let peaks: Vec<f64> = workers
        .0
        .iter()
        .filter_map(|child| peak_memory_mib(child.id()))
        .collect();
    drop(workers);

    let timings = db.target_timings(workspace.id).await?;
    let mut lateness: Vec<i64> = timings
        .iter()
        .filter_map(|(_, scheduled, published)| {
            Some(published.as_ref()?.millis() - scheduled.as_ref()?.millis())
        })
        .collect();
    lateness.sort_unstable();
    let n_published = lateness.len();
    let last_out = lateness.last().copied().unwrap_or_default();
    let not_published = timings.len() - n_published;
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| all {} posts out | {:.1} s after they were due ({:.0} posts/s) |",
        n_published,
        last_out as f64 / 1000.0,
        n_published as f64 / (last_out.max(1) as f64 / 1000.0)
    );
    println!(
        "| lateness (published minus due) | p50 {:.1} s, p99 {:.1} s, max {:.1} s |",
        percentile(&lateness, 50.0) as f64 / 1000.0,
        percentile(&lateness, 99.0) as f64 / 1000.0,
        last_out as f64 / 1000.0
    );
    println!(
        "| peak memory per worker process | {} |",
        peaks
            .iter()
            .map(|mib| format!("{mib:.0} MiB"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| statuses the sink created | {} for {} posts ({} not published) |",
        created.load(std::sync::atomic::Ordering::Relaxed),
        timings.len(),
        not_published
    );
    if not_published > 0 {
        bail!("{not_published} posts were not published");
    }
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct EventsBenchArgs {
    /// Members answering the popular event
    #[arg(long, default_value_t = 2_000)]
    members: usize,
    /// The popular event's seats
    #[arg(long, default_value_t = 500)]
    capacity: i64,
    /// Concurrent clients answering
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of RSVP load
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Events in the group whose calendar feed is generated
    #[arg(long, default_value_t = 1_000)]
    feed_events: usize,
}

/// RSVP throughput and latency on one popular event, through the HTTP API
/// (64 clients, each answer going or not going for a member in turn, every
/// one under the event's lock), then the time to generate a group's calendar
/// feed with 1,000 events.
pub async fn events(config: &Config, args: EventsBenchArgs) -> anyhow::Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use agora_core::accounts::{AccountStore, DisplayName, Email, Role};
    use agora_core::community::{CommunityStore, NewSpace, SpaceKind, Visibility};
    use agora_core::events::{EventDetails, EventFormat, EventStore, NewEvent, RsvpState};
    use agora_core::members::MemberStore;
    use agora_core::secrets::{HashCost, hash_password, random_token, token_digest};

    let db = open_database(config).await?;
    let now = SystemClock.now();
    let (workspace, slug) = bench_workspace(&db, now).await?;
    let space = |slug: &str, name: &str| NewSpace {
        workspace_id: workspace.id,
        kind: SpaceKind::Group,
        slug: slug.into(),
        name: name.into(),
        description: String::new(),
        network: "native".into(),
        visibility: Visibility::Public,
        rules: String::new(),
        created_at: now,
    };
    let riders = db.create_space(&space("riders", "Riders")).await?;
    let calendar = db.create_space(&space("calendar", "Calendar")).await?;
    println!(
        "events benchmark on {} (workspace {slug})",
        db.backend().as_str()
    );
    let seeding = Instant::now();
    let hash = hash_password("x", HashCost::Testing);
    let mut tokens = Vec::with_capacity(args.members);
    let mut first_member = None;
    for n in 0..args.members {
        let account = db
            .create_account(
                &Email::parse(&format!("rider{n}@{slug}.test"))
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                &DisplayName::parse(&format!("Rider {n}")).map_err(|e| anyhow::anyhow!("{e}"))?,
                &hash,
                now,
            )
            .await?;
        db.upsert_membership(account.id, workspace.id, Role::Member, now)
            .await?;
        if first_member.is_none() {
            first_member = db.member_of_account(workspace.id, account.id).await?;
        }
        let token = format!("agp_{}", random_token(32));
        db.create_api_token(
            account.id,
            "bench",
            &token_digest(&token),
            &token[..10],
            now,
        )
        .await?;
        tokens.push(token);
    }
    let organizer = first_member.context("a member")?;
    let details = |capacity: Option<i64>, days: i64| EventDetails {
        title: "Popular ride".into(),
        description: "Bring water. **Helmets on.**".into(),
        timezone: "Europe/Paris".into(),
        starts_at: now.plus_millis(days * 86_400_000),
        ends_at: now.plus_millis(days * 86_400_000 + 3 * 3_600_000),
        format: EventFormat::Offline,
        join_url: None,
        venue: "Café du Port".into(),
        address: "1 quai de la Fosse, Nantes".into(),
        capacity,
        rsvp_deadline: None,
    };
    let event = db
        .create_event(
            &NewEvent {
                workspace_id: workspace.id,
                group_id: riders.id,
                created_by: organizer,
                uid: format!("popular@{slug}.agora"),
                details: details(Some(args.capacity), 7),
            },
            now,
        )
        .await?;
    // The calendar group: events every 8 hours over the next year.
    let starts: Vec<agora_core::Timestamp> = (0..args.feed_events as i64)
        .map(|n| now.plus_millis(n * 8 * 3_600_000))
        .collect();
    db.bulk_events(
        &NewEvent {
            workspace_id: workspace.id,
            group_id: calendar.id,
            created_by: organizer,
            uid: format!("feed@{slug}.agora"),
            details: details(Some(40), 0),
        },
        &starts,
        now,
    )
    .await?;
    println!(
        "seeded {} members and {} events in {:.1} s",
        args.members,
        args.feed_events + 1,
        seeding.elapsed().as_secs_f64()
    );

    let (address, server) = serve_in_process(&db, config).await?;
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let url = format!("http://{address}/api/v1/w/{slug}/events/{event}/rsvp");
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (client, url, tokens, next) =
            (client.clone(), url.clone(), tokens.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                // First round: everyone answers going; then they alternate.
                let round = n / tokens.len();
                let state = if round % 2 == 0 { "going" } else { "not_going" };
                let sent = Instant::now();
                let answer = client
                    .put(&url)
                    .bearer_auth(&tokens[n % tokens.len()])
                    .json(&serde_json::json!({ "state": state }))
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status().is_success() => {
                        latencies.push(sent.elapsed().as_micros() as i64);
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (mine, failed) = task.await?;
        latencies.extend(mine);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let stored = db.event(event).await?.context("the event")?;
    let attendees = db.attendees(event).await?;
    let going = attendees
        .iter()
        .filter(|r| r.state == RsvpState::Going)
        .count() as i64;
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| RSVPs to one event ({} seats, {} members), {} clients over HTTP | {:.0} answers/s, p50 {:.1} ms, p99 {:.1} ms, {failures} failed |",
        args.capacity,
        args.members,
        args.clients,
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0) as f64 / 1000.0,
        percentile(&latencies, 99.0) as f64 / 1000.0,
    );
    println!(
        "| after the run | {going} going of {} seats, {} waitlisted |",
        args.capacity, stored.n_waitlisted
    );
    if going > args.capacity {
        bail!("over-booked: {going} going for {} seats", args.capacity);
    }

    // The group's calendar feed, generated through the page route.
    let session = random_token(32);
    let account = db
        .credentials_by_email(
            &Email::parse(&format!("rider0@{slug}.test")).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?
        .context("the first account")?
        .account;
    db.create_session(
        &token_digest(&session),
        account.id,
        now,
        now.plus_seconds(86_400),
    )
    .await?;
    let feed_url = format!("http://{address}/w/{slug}/groups/calendar/events.ics");
    let mut feed_times = Vec::new();
    let mut size = 0;
    for _ in 0..10 {
        let sent = Instant::now();
        let body = client
            .get(&feed_url)
            .header("cookie", format!("agora_session={session}"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        feed_times.push(sent.elapsed().as_micros() as i64);
        size = body.len();
    }
    feed_times.sort_unstable();
    println!(
        "| group calendar feed, {} events ({} KiB) | p50 {:.1} ms, max {:.1} ms (10 requests) |",
        args.feed_events,
        size / 1024,
        percentile(&feed_times, 50.0) as f64 / 1000.0,
        feed_times.last().copied().unwrap_or_default() as f64 / 1000.0,
    );
    server.abort();
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct ComposeBenchArgs {
    /// Concurrent clients typing
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds of load
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// The composer's validation round trip: `POST /w/{workspace}/compose/check`
/// with a realistic post for three channels (Bluesky, Mastodon, X), as the
/// page sends it on every pause in typing; calls per second and latency.
pub async fn compose(config: &Config, args: ComposeBenchArgs) -> anyhow::Result<()> {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role};
    use agora_core::posts::{NewChannel, PostStore};
    use agora_core::secrets::{HashCost, hash_password, random_token, token_digest};
    use agora_core::text_limits::Network;

    let db = open_database(config).await?;
    let now = SystemClock.now();
    let (workspace, slug) = bench_workspace(&db, now).await?;
    let account = db
        .create_account(
            &Email::parse(&format!("marketer@{slug}.test")).map_err(|e| anyhow::anyhow!("{e}"))?,
            &DisplayName::parse("Bench Marketer").map_err(|e| anyhow::anyhow!("{e}"))?,
            &hash_password("x", HashCost::Testing),
            now,
        )
        .await?;
    db.upsert_membership(account.id, workspace.id, Role::Marketer, now)
        .await?;
    let mut ids = Vec::new();
    for network in [Network::Bluesky, Network::Mastodon, Network::X] {
        let limits = network.default_limits();
        ids.push(
            db.create_channel(&NewChannel {
                workspace_id: workspace.id,
                network,
                name: format!("{} bench", network.as_str()),
                avatar_url: None,
                base_url: "https://social.example".into(),
                account: String::new(),
                timezone: "Europe/Paris".into(),
                sealed_credentials: String::new(),
                max_chars: limits.max_chars as i64,
                max_media: limits.max_media as i64,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: now,
            })
            .await?
            .id,
        );
    }
    let session = random_token(32);
    db.create_session(
        &token_digest(&session),
        account.id,
        now,
        now.plus_seconds(86_400),
    )
    .await?;
    let csrf = random_token(32);
    let (address, server) = serve_in_process(&db, config).await?;
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let text = "Our spring collection is in the shop 🚲: gravel frames in sage green, \
                new colours, same lifetime warranty. Ask @mechanic@social.example about sizes! \
                https://northwind.example/spring?ref=social #gravel #spring";
    let mut body = format!("csrf={csrf}&text={}", urlencoding::encode(text));
    for id in &ids {
        body.push_str(&format!("&channel={id}"));
    }
    body.push_str(&format!(
        "&variant_{}={}",
        ids[0],
        urlencoding::encode(
            "Spring collection in the shop 🚲 https://northwind.example/spring #gravel"
        )
    ));
    let url = format!("http://{address}/w/{slug}/compose/check");
    let cookie = format!("agora_session={session}; agora_csrf={csrf}");
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (client, url, cookie, body) =
            (client.clone(), url.clone(), cookie.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let answer = client
                    .post(&url)
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone())
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed().as_micros() as i64);
                    }
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (mine, failed) = task.await?;
        latencies.extend(mine);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    server.abort();
    println!("compose benchmark on {}", db.backend().as_str());
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| composer validation (3 channels, one own variant), {} clients | {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms, {failures} failed |",
        args.clients,
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0) as f64 / 1000.0,
        percentile(&latencies, 99.0) as f64 / 1000.0,
    );
    if failures > 0 {
        bail!("{failures} calls failed");
    }
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct CalendarBenchArgs {
    /// Posts in the month (one channel each, spread over its days and hours)
    #[arg(long, default_value_t = 5_000)]
    posts: usize,
    /// Community events in the month
    #[arg(long, default_value_t = 500)]
    events: usize,
    /// Requests per measured page
    #[arg(long, default_value_t = 20)]
    requests: usize,
}

/// The content calendar with a busy month: the month, week and list pages
/// and the calendar API for that month, served in-process, one request at a
/// time (server time as the client sees it on loopback).
pub async fn calendar(config: &Config, args: CalendarBenchArgs) -> anyhow::Result<()> {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role};
    use agora_core::calendar::{CalendarQuery, CalendarStore, CalendarZone, add_months};
    use agora_core::community::{CommunityStore, NewSpace, SpaceKind, Visibility};
    use agora_core::events::{EventDetails, EventFormat, NewEvent};
    use agora_core::members::MemberStore;
    use agora_core::posts::{NewChannel, PostStore};
    use agora_core::secrets::{HashCost, hash_password, random_token, token_digest};
    use agora_core::text_limits::Network;

    let db = open_database(config).await?;
    let now = SystemClock.now();
    let (workspace, slug) = bench_workspace(&db, now).await?;
    let account = db
        .create_account(
            &Email::parse(&format!("marketer@{slug}.test")).map_err(|e| anyhow::anyhow!("{e}"))?,
            &DisplayName::parse("Bench Marketer").map_err(|e| anyhow::anyhow!("{e}"))?,
            &hash_password("x", HashCost::Testing),
            now,
        )
        .await?;
    db.upsert_membership(account.id, workspace.id, Role::Marketer, now)
        .await?;
    let member = db
        .member_of_account(workspace.id, account.id)
        .await?
        .context("member profile")?;
    println!(
        "calendar benchmark on {} (workspace {slug})",
        db.backend().as_str()
    );
    let seeding = Instant::now();
    let mut channels = Vec::new();
    for (network, name) in [
        (Network::Mastodon, "@bench@mastodon.example"),
        (Network::Bluesky, "bench.bsky.example"),
        (Network::LinkedIn, "Bench on LinkedIn"),
        (Network::Email, "Bench letter"),
    ] {
        let limits = network.default_limits();
        let channel = db
            .create_channel(&NewChannel {
                workspace_id: workspace.id,
                network,
                name: name.into(),
                avatar_url: None,
                base_url: String::new(),
                account: String::new(),
                timezone: "Europe/Paris".into(),
                sealed_credentials: "bench: never opened".into(),
                max_chars: limits.max_chars as i64,
                max_media: limits.max_media as i64,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: now,
            })
            .await?;
        // Paused, so that a worker sharing this database sends nothing.
        db.set_channel_paused(channel.id, true).await?;
        channels.push(channel.id);
    }
    // Next month in Paris: every post still to go out.
    let zone = CalendarZone::parse("Europe/Paris").map_err(|e| anyhow::anyhow!("{e}"))?;
    let month = add_months(zone.date_of(now), 1);
    let month_start = zone.start_of(month);
    let month_end = zone.start_of(add_months(month, 1));
    let span = month_end.millis() - month_start.millis();
    // Posts at 08:00–19:45 local, in 15-minute steps, day after day.
    let slots: Vec<agora_core::Timestamp> = (0..)
        .map(|n: i64| {
            month_start.plus_millis((n / 48) * 86_400_000 + 8 * 3_600_000 + (n % 48) * 900_000)
        })
        .take_while(|at| at.millis() < month_end.millis())
        .collect();
    let per_slot = args.posts.div_ceil(slots.len());
    let mut n_posts = 0;
    for (n, at) in slots.iter().enumerate() {
        let count = per_slot.min(args.posts - n_posts);
        if count == 0 {
            break;
        }
        let rotated: Vec<i64> = (0..channels.len())
            .map(|i| channels[(n + i) % channels.len()])
            .collect();
        db.bulk_scheduled_posts(workspace.id, member, &rotated, count, *at)
            .await?;
        n_posts += count;
    }
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Group,
            slug: "riders".into(),
            name: "Riders".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: now,
        })
        .await?;
    let starts: Vec<agora_core::Timestamp> = (0..args.events as i64)
        .map(|n| month_start.plus_millis(n * span / args.events.max(1) as i64))
        .collect();
    db.bulk_events(
        &NewEvent {
            workspace_id: workspace.id,
            group_id: group.id,
            created_by: member,
            uid: format!("ride@{slug}.agora"),
            details: EventDetails {
                title: "Evening ride".into(),
                description: String::new(),
                timezone: "Europe/Paris".into(),
                starts_at: month_start,
                ends_at: month_start.plus_millis(2 * 3_600_000),
                format: EventFormat::Offline,
                join_url: None,
                venue: "The shop".into(),
                address: String::new(),
                capacity: None,
                rsvp_deadline: None,
            },
        },
        &starts,
        now,
    )
    .await?;
    println!(
        "seeded {n_posts} posts and {} events in {} in {:.1} s",
        args.events,
        month.format("%B %Y"),
        seeding.elapsed().as_secs_f64()
    );

    let session = random_token(32);
    db.create_session(
        &token_digest(&session),
        account.id,
        now,
        now.plus_seconds(86_400),
    )
    .await?;
    let token = format!("agp_{}", random_token(32));
    db.create_api_token(
        account.id,
        "bench",
        &token_digest(&token),
        &token[..10],
        now,
    )
    .await?;
    let (address, server) = serve_in_process(&db, config).await?;
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::new();
    let date = month.format("%Y-%m-%d");
    let from = urlencoding_rfc3339(month_start);
    let to = urlencoding_rfc3339(month_end);
    println!(
        "| measure ({} requests each, one at a time) | value |",
        args.requests
    );
    println!("| --- | --- |");
    for (label, path, bearer) in [
        (
            "month view page",
            format!("/w/{slug}/calendar?view=month&date={date}"),
            false,
        ),
        (
            "week view page",
            format!("/w/{slug}/calendar?view=week&date={date}"),
            false,
        ),
        (
            "list view page (every post of the month)",
            format!("/w/{slug}/calendar?view=list&date={date}"),
            false,
        ),
        (
            "calendar API, the whole month",
            format!("/api/v1/w/{slug}/calendar?from={from}&to={to}"),
            true,
        ),
    ] {
        let url = format!("http://{address}{path}");
        let mut times = Vec::with_capacity(args.requests);
        let mut size = 0;
        for _ in 0..args.requests {
            let request = client.get(&url);
            let request = if bearer {
                request.bearer_auth(&token)
            } else {
                request.header("cookie", format!("agora_session={session}"))
            };
            let sent = Instant::now();
            let body = request.send().await?.error_for_status()?.bytes().await?;
            times.push(sent.elapsed().as_micros() as i64);
            size = body.len();
        }
        times.sort_unstable();
        println!(
            "| {label}, {n_posts} posts and {} events in the month ({} KiB) | p50 {:.1} ms, p99 {:.1} ms |",
            args.events,
            size / 1024,
            percentile(&times, 50.0) as f64 / 1000.0,
            percentile(&times, 99.0) as f64 / 1000.0,
        );
    }
    server.abort();

    // The window query alone (posts and their targets), straight on the store.
    let mut times = Vec::with_capacity(args.requests);
    let mut n_read = 0;
    for _ in 0..args.requests {
        let started = Instant::now();
        n_read = db
            .calendar_posts(workspace.id, &CalendarQuery::window(month_start, month_end))
            .await?
            .len();
        times.push(started.elapsed().as_micros() as i64);
    }
    times.sort_unstable();
    println!(
        "| of which the store's window query ({n_read} posts with their targets, two statements) | p50 {:.1} ms, p99 {:.1} ms |",
        percentile(&times, 50.0) as f64 / 1000.0,
        percentile(&times, 99.0) as f64 / 1000.0,
    );
    Ok(())
}

/// An instant as RFC 3339, escaped for a query string.
fn urlencoding_rfc3339(at: agora_core::Timestamp) -> String {
    at.rfc3339().replace(':', "%3A").replace('+', "%2B")
}
