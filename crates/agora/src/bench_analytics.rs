//! `agora bench analytics`: the member graph at scale.
//!
//! Generates a workspace (`agora gen`'s generator) straight into the
//! configured database and reports the bulk-load rate; then the health
//! measures of the whole workspace and of its largest group, cold (a fresh
//! process-side cache: the log is read from the database, then again from
//! the snapshot file that first read wrote) and warm (the cached compact log); then, when DuckDB is available, the same measures
//! computed by `tools/bench/health_duckdb.py` over the same data written as
//! CSV, with the ratio of the times and a check that both agree.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use serde_json::Value;

use agora_core::analytics::InteractionStore;
use agora_core::analytics::health::{HealthReport, Window, health};
use agora_core::community::CommunityStore;
use agora_core::config::Config;
use agora_core::{Clock, SystemClock};

use crate::analytics::{generate_into, write_csv};
use crate::serve::open_database;
use crate::synthetic::{GenParams, Generator};

#[derive(Debug, Clone, Args)]
pub struct AnalyticsBenchArgs {
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    #[arg(long, default_value_t = 10_000_000)]
    interactions: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the CSV for DuckDB (default: a folder under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    csv_dir: Option<PathBuf>,
    /// Python with the duckdb package (default: ~/.cache/agora-bench/venv/bin/python)
    #[arg(long, value_name = "PATH")]
    duckdb_python: Option<PathBuf>,
    /// Measure a workspace an earlier run generated (its slug) instead of loading a new one;
    /// the CSV is rewritten only if --csv-dir has none
    #[arg(long, value_name = "SLUG")]
    reuse: Option<String>,
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// The measures both sides report, by the DuckDB script's names.
fn ours(report: &HealthReport) -> Vec<(&'static str, Option<f64>)> {
    let count = |value: u64| Some(value as f64);
    let mut out = vec![
        ("dau", Some(report.active.dau)),
        ("wau", Some(report.active.wau)),
        ("stickiness", report.active.stickiness),
        ("mau", count(report.active.mau)),
        ("member_to_member_share", report.member_to_member.share),
        ("member_authored_share", report.member_authored.share),
        (
            "member_threads",
            count(report.first_response.member_threads),
        ),
        (
            "peer_first_response_rate",
            report.first_response.peer_first_response_rate,
        ),
        ("ttfr_median_s", report.first_response.ttfr_median_s),
        (
            "ttfr_member_median_s",
            report.first_response.ttfr_member_median_s,
        ),
        (
            "ttfr_staff_median_s",
            report.first_response.ttfr_staff_median_s,
        ),
        ("rho", report.reciprocity.rho),
        ("lcc_share", report.connectivity.lcc_share),
        ("newcomers", count(report.newcomers.newcomers)),
        ("newcomers_activated", count(report.newcomers.activated)),
        ("retention_w1", report.retention.retention_w1),
        ("retention_w4", report.retention.retention_w4),
        ("retention_w12", report.retention.retention_w12),
        ("active_days_29_56", count(report.at_risk.active_days_29_56)),
        ("at_risk", count(report.at_risk.at_risk)),
        ("lapsed", count(report.at_risk.lapsed)),
    ];
    if let Some(by_join) = &report.newcomers_by_join {
        out.push(("newcomers_by_join", count(by_join.newcomers)));
        out.push(("newcomers_by_join_activated", count(by_join.activated)));
    }
    out
}

fn disagreements(report: &HealthReport, theirs: &Value) -> Vec<String> {
    ours(report)
        .into_iter()
        .filter_map(|(name, mine)| {
            let other = theirs.get(name).and_then(Value::as_f64);
            let same = match (mine, other) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                (None, None) => true,
                _ => false,
            };
            (!same).then(|| format!("{name}: agora {mine:?}, duckdb {other:?}"))
        })
        .collect()
}

pub async fn analytics(config: &Config, args: AnalyticsBenchArgs) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let now = SystemClock.now();
    let (workspace, slug) = match &args.reuse {
        Some(slug) => {
            use agora_core::accounts::AccountStore;
            let workspace = db
                .workspace_by_slug(slug)
                .await?
                .with_context(|| format!("--reuse: no workspace {slug}"))?;
            (workspace, slug.clone())
        }
        None => crate::bench::bench_workspace(&db, now).await?,
    };
    let log_end = match &args.reuse {
        // The generator's end is the UTC midnight of the day it ran: the log's last day + 1.
        Some(_) => {
            let log = db.interaction_log(workspace.id).await?;
            log.end_day().context("the reused workspace has no rows")? * 86_400
        }
        None => now.day() * 86_400,
    };
    let params = GenParams {
        members: args.members,
        interactions: args.interactions,
        seed: args.seed,
        days: GenParams::days_for(args.interactions),
        end: log_end,
    };
    println!(
        "analytics benchmark on {} (workspace {slug}): {} members, {} interactions over {} days",
        db.backend().as_str(),
        params.members,
        params.interactions,
        params.days
    );
    if args.reuse.is_none() {
        let started = Instant::now();
        let summary = generate_into(&db, &workspace, params).await?;
        let load = seconds(started);
        eprintln!();
        println!(
            "bulk load (generate + import in one transaction): {} interactions, {} members in {load:.1} s = {:.0} interactions/s",
            summary.interactions_added,
            summary.members_created,
            summary.interactions_added as f64 / load
        );
    }
    db.analyze().await?;
    let group = db
        .list_spaces(workspace.id, None)
        .await?
        .into_iter()
        .find(|space| space.name == "Space 1")
        .context("the generator's first group")?;

    // Cold: a fresh connection pool and cache, as after a restart; first
    // without the snapshot file (every row read from the database), then with
    // the one that first read wrote.
    let snapshots = config.data_dir.join("analytics");
    let _ = std::fs::remove_dir_all(&snapshots);
    let cold_db = open_database(config).await?;
    let started = Instant::now();
    let log = cold_db.interaction_log(workspace.id).await?;
    let read = seconds(started);
    let started = Instant::now();
    let report = health(&log, None, Window::Default).context("the workspace has rows")?;
    let compute = seconds(started);
    println!(
        "workspace health, cold without a snapshot: {:.2} s (read {} rows into memory {read:.2} s, {:.0} MiB; compute {compute:.3} s)",
        read + compute,
        log.rows.len(),
        (log.rows.len() * std::mem::size_of_val(&log.rows[0])) as f64 / (1 << 20) as f64
    );
    let started = Instant::now();
    cold_db.flush_analytics_snapshots().await;
    let size: u64 = std::fs::read_dir(&snapshots)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.metadata().ok())
                .map(|metadata| metadata.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "snapshot written in the background: {:.2} s, {:.0} MiB",
        seconds(started),
        size as f64 / (1 << 20) as f64
    );
    let snapshot_db = open_database(config).await?;
    let started = Instant::now();
    let log = snapshot_db.interaction_log(workspace.id).await?;
    let read = seconds(started);
    let started = Instant::now();
    health(&log, None, Window::Default).context("the workspace has rows")?;
    let compute = seconds(started);
    println!(
        "workspace health, cold from the snapshot: {:.2} s (read the file and check it {read:.2} s; compute {compute:.3} s)",
        read + compute
    );
    let mut warm = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let log = cold_db.interaction_log(workspace.id).await?;
        health(&log, None, Window::Default);
        warm.push(seconds(started));
    }
    warm.sort_by(f64::total_cmp);
    println!(
        "workspace health, warm: median {:.3} s of 5 (freshness check + compute)",
        warm[2]
    );

    let group_index = log.space_index(group.id).context("the group has rows")?;
    let group_db = open_database(config).await?;
    let started = Instant::now();
    let group_log = group_db.interaction_log(workspace.id).await?;
    let group_report =
        health(&group_log, Some(group_index), Window::Default).context("group rows")?;
    println!(
        "group health ({}), cold: {:.2} s",
        group.name,
        seconds(started)
    );
    let mut warm_group = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let log = group_db.interaction_log(workspace.id).await?;
        health(&log, Some(group_index), Window::Default);
        warm_group.push(seconds(started));
    }
    warm_group.sort_by(f64::total_cmp);
    println!("group health, warm: median {:.3} s of 5", warm_group[2]);
    // The workspace page also shows every space's verdict.
    let spaces = db.list_spaces(workspace.id, None).await?;
    let started = Instant::now();
    let log = group_db.interaction_log(workspace.id).await?;
    let mut n_spaces = 0;
    for space in &spaces {
        if let Some(index) = log.space_index(space.id) {
            health(&log, Some(index), Window::Default);
            n_spaces += 1;
        }
    }
    println!(
        "every space's health (the workspace page's table), warm: {:.3} s for {n_spaces} spaces",
        seconds(started)
    );
    println!(
        "verdicts: workspace {}, {} {}",
        report.verdict.verdict.as_str(),
        group.name,
        group_report.verdict.verdict.as_str()
    );

    // A merge and an unmerge: the measured log is derived again in memory.
    {
        use agora_core::identities::IdentityStore;
        let log = group_db.interaction_log(workspace.id).await?;
        let staff = log.members.iter().find(|m| m.is_staff).map(|m| m.id);
        let mut others = log.members.iter().filter(|m| !m.is_staff).map(|m| m.id);
        if let (Some(staff), Some(kept), Some(merged)) = (staff, others.next(), others.next()) {
            let merge = db
                .merge_members(workspace.id, kept, merged, "bench", staff, now)
                .await?;
            let started = Instant::now();
            let log = group_db.interaction_log(workspace.id).await?;
            health(&log, None, Window::Default);
            println!(
                "a merge, then workspace health: {:.3} s (the merged log derived in memory, {} rows)",
                seconds(started),
                log.rows.len()
            );
            db.unmerge(workspace.id, merge, now).await?;
            let started = Instant::now();
            let log = group_db.interaction_log(workspace.id).await?;
            health(&log, None, Window::Default);
            println!(
                "the unmerge, then workspace health: {:.3} s",
                seconds(started)
            );
        }
    }

    // DuckDB over the same data as CSV.
    let python = args.duckdb_python.clone().unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/agora-bench/venv/bin/python")
    });
    if !python.exists() {
        println!(
            "DuckDB comparison skipped: {} not found (python3 -m venv ~/.cache/agora-bench/venv && ~/.cache/agora-bench/venv/bin/pip install duckdb)",
            python.display()
        );
        return Ok(());
    }
    let dir = args
        .csv_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("agora-bench-{slug}")));
    if args.reuse.is_none() || !dir.join("interactions.csv").exists() {
        let started = Instant::now();
        let n = write_csv(Generator::new(params), &dir)?;
        println!(
            "wrote the same data as CSV ({n} rows) to {} in {:.1} s",
            dir.display(),
            seconds(started)
        );
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/bench/health_duckdb.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .arg("1")
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "DuckDB script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let result: Value = serde_json::from_slice(&output.stdout).context("DuckDB script output")?;
    let time = |scope: &str, which: &str| result[scope][which].as_f64().unwrap_or(f64::NAN);
    println!(
        "duckdb {}: load CSV {:.2} s; workspace cold {:.3} s, warm {:.3} s; group cold {:.3} s, warm {:.3} s",
        result["duckdb_version"].as_str().unwrap_or("?"),
        result["load_s"].as_f64().unwrap_or(f64::NAN),
        time("workspace", "cold_s"),
        time("workspace", "warm_s"),
        time("space", "cold_s"),
        time("space", "warm_s")
    );
    println!(
        "ratio duckdb warm / agora warm: workspace {:.1}×, group {:.1}×",
        time("workspace", "warm_s") / warm[2],
        time("space", "warm_s") / warm_group[2]
    );
    for (scope, report) in [("workspace", &report), ("space", &group_report)] {
        let differences = disagreements(report, &result[scope]["measures"]);
        if differences.is_empty() {
            println!("{scope}: every measure agrees with DuckDB");
        } else {
            println!(
                "{scope}: DISAGREEMENTS with DuckDB: {}",
                differences.join("; ")
            );
        }
    }
    Ok(())
}
