//! Operator commands for analytics: `agora import interactions` and `agora gen`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;

use agora_core::accounts::{AccountStore, Slug, Workspace};
use agora_core::analytics::import::{
    INTERACTION_COLUMNS, ImportError, ImportFailure, ImportSourceName, ImportSummary,
    ImportedInteraction, ImportedMember, InteractionImportStore, InteractionReader, MEMBER_COLUMNS,
    check_header, format_time, read_member,
};
use agora_core::config::Config;
use agora_core::{Clock, SystemClock};
use agora_store::Db;

use crate::serve::open_database;
use crate::synthetic::{GenParams, Generator};

#[derive(Debug, Clone, Args)]
pub struct ImportInteractionsArgs {
    /// Workspace slug; created if it does not exist
    #[arg(long)]
    pub workspace: String,
    /// The interactions CSV (id,workspace_id,space_id,actor_id,target_id,kind,thread_id,at,actor_is_staff)
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// The members CSV (member_id,workspace_id,joined_at,is_staff)
    #[arg(long, value_name = "FILE")]
    pub members: PathBuf,
    /// The name this log is kept under; re-running with the same name adds only new rows
    #[arg(long, default_value = "import")]
    pub source: String,
}

#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// Workspace slug; created if it does not exist (ignored with --out)
    #[arg(long, default_value = "generated")]
    pub workspace: String,
    #[arg(long, default_value_t = 1_000)]
    pub members: usize,
    #[arg(long, default_value_t = 20_000)]
    pub interactions: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days the log covers (default: 120 to 365, by volume); it ends at today's UTC midnight
    #[arg(long)]
    pub days: Option<i64>,
    /// Write interactions.csv and members.csv to this directory instead of the database
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    Ok(BufReader::with_capacity(
        1 << 20,
        File::open(path).with_context(|| format!("opening {}", path.display()))?,
    ))
}

/// Reads the members file whole (it is small next to the log).
fn read_members(path: &Path) -> anyhow::Result<Vec<ImportedMember>> {
    let mut lines = open(path)?.lines();
    let header = lines.next().transpose()?.unwrap_or_default();
    check_header("members", &header, &MEMBER_COLUMNS)?;
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in lines.enumerate() {
        let line = line?;
        let number = index as u64 + 2;
        if line.trim().is_empty() {
            continue;
        }
        let member = read_member(number, &line)?;
        if !seen.insert(member.id.clone()) {
            return Err(ImportError {
                file: "members",
                line: number,
                column: 1,
                field: "member_id",
                message: format!("member {:?} appears twice", member.id),
            }
            .into());
        }
        members.push(member);
    }
    Ok(members)
}

/// Streams the interactions file with each row's line number (the header is line 1).
fn numbered_rows(
    path: &Path,
) -> anyhow::Result<impl Iterator<Item = (u64, Result<ImportedInteraction, ImportError>)> + Send> {
    let mut lines = open(path)?.lines();
    let header = lines.next().transpose()?.unwrap_or_default();
    check_header("interactions", &header, &INTERACTION_COLUMNS)?;
    let mut reader = InteractionReader::default();
    Ok(lines.enumerate().filter_map(move |(index, line)| {
        let number = index as u64 + 2;
        match line {
            Ok(line) if line.trim().is_empty() => None,
            Ok(line) => Some((number, reader.read(number, &line))),
            Err(error) => Some((
                number,
                Err(ImportError {
                    file: "interactions",
                    line: number,
                    column: 1,
                    field: "row",
                    message: error.to_string(),
                }),
            )),
        }
    }))
}

/// Streams the interactions file's rows.
fn interaction_rows(
    path: &Path,
) -> anyhow::Result<impl Iterator<Item = Result<ImportedInteraction, ImportError>> + Send> {
    Ok(numbered_rows(path)?.map(|(_, row)| row))
}

fn progress_line(what: &str, n: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    eprint!("\r{what}: {n} rows ({:.0}/s)   ", n as f64 / seconds);
}

async fn workspace(db: &Db, slug: &str) -> anyhow::Result<Workspace> {
    let slug = Slug::parse(slug).map_err(|error| anyhow::anyhow!("--workspace: {error}"))?;
    Ok(match db.workspace_by_slug(slug.as_str()).await? {
        Some(workspace) => workspace,
        None => {
            eprintln!("created workspace {slug}");
            db.create_workspace(&slug, slug.as_str(), false, SystemClock.now())
                .await?
        }
    })
}

fn report(summary: &ImportSummary, started: Instant) {
    eprintln!();
    println!(
        "added {} interactions ({} already imported), {} members and {} spaces in {:.1} s",
        summary.interactions_added,
        summary.interactions_skipped,
        summary.members_created,
        summary.spaces_created,
        started.elapsed().as_secs_f64()
    );
}

/// Checks both files whole before writing anything, then loads them in one transaction.
pub async fn import_interactions(
    config: &Config,
    args: ImportInteractionsArgs,
) -> anyhow::Result<()> {
    let source = ImportSourceName::parse(&args.source)
        .map_err(|error| anyhow::anyhow!("--source: {error}"))?;
    let members = read_members(&args.members)?;
    let known: HashSet<&str> = members.iter().map(|member| member.id.as_str()).collect();
    let started = Instant::now();
    let mut n = 0u64;
    for (line, row) in numbered_rows(&args.interactions)? {
        let row = row?;
        n += 1;
        for (column, field, id) in [
            (4, "actor_id", Some(&row.actor)),
            (5, "target_id", row.target.as_ref()),
        ] {
            if let Some(id) = id
                && !known.contains(id.as_str())
            {
                bail!(ImportError {
                    file: "interactions",
                    line,
                    column,
                    field,
                    message: format!("member {id:?} is not in the members file"),
                });
            }
        }
        if n.is_multiple_of(100_000) {
            progress_line("checked", n, started);
        }
    }
    progress_line("checked", n, started);
    eprintln!();
    let db = open_database(config).await?;
    let workspace = workspace(&db, &args.workspace).await?;
    let started = Instant::now();
    let mut rows = interaction_rows(&args.interactions)?;
    let summary = db
        .import_interactions(workspace.id, &source, &members, &mut rows, &mut |n| {
            progress_line("loaded", n, started)
        })
        .await
        .map_err(|error| match error {
            ImportFailure::Row(error) => anyhow::anyhow!(error),
            other => anyhow::anyhow!(other),
        })?;
    report(&summary, started);
    Ok(())
}

/// Writes the generated log as the import format's two CSV files.
pub fn write_csv(generator: Generator, dir: &Path) -> anyhow::Result<u64> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut members = BufWriter::new(File::create(dir.join("members.csv"))?);
    writeln!(members, "{}", MEMBER_COLUMNS.join(","))?;
    for member in &generator.members {
        writeln!(
            members,
            "{},{},{},{}",
            member.id,
            member.workspace,
            format_time(member.joined_at),
            member.is_staff
        )?;
    }
    members.flush()?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("interactions.csv"))?);
    writeln!(out, "{}", INTERACTION_COLUMNS.join(","))?;
    let mut n = 0;
    for row in generator {
        let row = row?;
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            row.id,
            row.workspace,
            row.space,
            row.actor,
            row.target.as_deref().unwrap_or(""),
            row.kind.as_str(),
            row.thread
                .map(|thread| thread.to_string())
                .unwrap_or_default(),
            format_time(row.at),
            row.actor_is_staff
        )?;
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

/// Today's UTC midnight, in seconds.
pub fn today_midnight() -> i64 {
    SystemClock.now().millis().div_euclid(86_400_000) * 86_400
}

pub fn params(args: &GenArgs, end: i64) -> GenParams {
    GenParams {
        members: args.members,
        interactions: args.interactions,
        seed: args.seed,
        days: args
            .days
            .unwrap_or_else(|| GenParams::days_for(args.interactions)),
        end,
    }
}

/// Generates a workspace into the database (as the import source `gen`).
pub async fn generate_into(
    db: &Db,
    workspace: &Workspace,
    params: GenParams,
) -> anyhow::Result<ImportSummary> {
    let mut generator = Generator::new(params);
    let members = generator.members.clone();
    let started = Instant::now();
    let source = ImportSourceName::parse("gen").map_err(|error| anyhow::anyhow!(error))?;
    let summary = db
        .import_interactions(workspace.id, &source, &members, &mut generator, &mut |n| {
            if n.is_multiple_of(100_000) {
                progress_line("generated", n, started)
            }
        })
        .await
        .map_err(|error| anyhow::anyhow!(error))?;
    Ok(summary)
}

pub async fn gen_command(config: &Config, args: GenArgs) -> anyhow::Result<()> {
    if args.members < 4 {
        bail!("--members: at least 4");
    }
    let params = params(&args, today_midnight());
    let started = Instant::now();
    if let Some(dir) = &args.out {
        let n = write_csv(Generator::new(params), dir)?;
        println!(
            "wrote {n} interactions and {} members to {} in {:.1} s",
            params.members,
            dir.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let db = open_database(config).await?;
    let workspace = workspace(&db, &args.workspace).await?;
    let summary = generate_into(&db, &workspace, params).await?;
    report(&summary, started);
    Ok(())
}
