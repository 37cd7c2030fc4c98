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

fn percentile(sorted: &[i64], p: f64) -> i64 {
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
