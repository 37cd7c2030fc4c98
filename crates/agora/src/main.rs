//! The `agora` binary: the composition root. It loads the configuration,
//! opens the database and wires the web layer, the workers and the
//! connectors together; every operator command lives here.

mod analytics;
mod bench;
mod bench_analytics;
mod bench_clicks;
mod bench_moderation;
mod commands;
mod config;
mod demo;
mod demo_desk;
mod demo_events;
mod demo_moderation;
mod demo_publishing;
mod serve;
mod synthetic;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Agora: publishing for the marketer, community for the community manager, one member graph.
#[derive(Debug, Parser)]
#[command(name = "agora", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where Agora keeps its data; every subcommand takes these.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory for the SQLite database, uploads and the outbox [env: AGORA_DATA_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL instead of SQLite [env: AGORA_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Configuration file (default: <data-dir>/agora.toml, then ./agora.toml, if present)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server and the workers (both by default)
    Serve(ServeArgs),
    /// Create (or reuse) a data directory with realistic demo data, print demo logins, and serve it
    Demo(DemoArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Validate the configuration and print it, secrets redacted; exits 2 when invalid
    CheckConfig,
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal access tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Seal every channel's credentials under the current secret_key (after a rotation)
    Reseal,
    /// Measure performance with synthetic data and print the figures
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Load data from files
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate a workspace of realistic shape (into the database, or as CSV with --out)
    Gen(analytics::GenArgs),
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// An interaction log in the CSV format of the health measures (see README, "Analytics")
    Interactions(analytics::ImportInteractionsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 [env: AGORA_LISTEN]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Serve web requests only; run workers in other processes
    #[arg(long, conflicts_with = "worker_only")]
    web_only: bool,
    /// Run workers only (no web server)
    #[arg(long)]
    worker_only: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Address to listen on [env: AGORA_LISTEN]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Seed the data and exit without serving
    #[arg(long)]
    no_serve: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add an account (password read from standard input) or, if it exists, add its membership
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Workspace slug; created if it does not exist
        #[arg(long)]
        workspace: String,
        /// admin, marketer, community_manager, moderator or member
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a personal access token for an account and print it once
    Create {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by
        #[arg(long, default_value = "created with agora token create")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Job queue: enqueue, claim and complete no-op jobs; run-at to start latency
    Queue(bench::QueueBenchArgs),
    /// Community pages under load (a 500-reply thread, a group page) and search over many posts
    Community(bench::CommunityBenchArgs),
    /// Publishing: posts due in the same minute across many channels, sent to a local Mastodon-like sink
    Publish(bench::PublishBenchArgs),
    /// RSVP throughput on one popular event, and a group's calendar feed
    Events(bench::EventsBenchArgs),
    /// The composer's validation round trip (counters and previews as one types)
    Compose(bench::ComposeBenchArgs),
    /// The content calendar with a busy month: month, week and list pages and the calendar API
    Calendar(bench::CalendarBenchArgs),
    /// Auto-moderation: one message against 1,000 rules and the local toxicity score; the score's precision and recall
    Moderation(bench_moderation::ModerationBenchArgs),
    /// Community health at scale: bulk load, dashboards cold and warm, DuckDB for comparison
    Analytics(bench_analytics::AnalyticsBenchArgs),
    /// Tracked links: the `/r/{token}` redirect's throughput and latency with concurrent clients
    Clicks(bench_clicks::ClicksBenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let flags = match &cli.command {
        Command::Serve(args) => config::Flags {
            listen: args.listen.clone(),
        },
        Command::Demo(args) => config::Flags {
            listen: args.listen.clone(),
        },
        _ => config::Flags::default(),
    };
    let config = match config::load(&cli.storage, &flags) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("agora: {error}");
            return ExitCode::from(2);
        }
    };
    if let Command::CheckConfig = cli.command {
        return commands::check_config(&config);
    }
    serve::init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("agora: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => {
                serve::run(
                    config,
                    serve::Mode::from_flags(args.web_only, args.worker_only),
                )
                .await
            }
            Command::Demo(args) => demo::run(config, args.no_serve).await,
            Command::Migrate => commands::migrate(&config).await,
            Command::Reseal => commands::reseal(&config).await,
            Command::CheckConfig => Ok(()),
            Command::User(UserCommand::Add {
                email,
                name,
                workspace,
                role,
            }) => commands::user_add(&config, &email, &name, &workspace, &role).await,
            Command::Token(TokenCommand::Create { email, name }) => {
                commands::token_create(&config, &email, &name).await
            }
            Command::Bench(BenchCommand::Queue(args)) => bench::queue(&config, args).await,
            Command::Bench(BenchCommand::Community(args)) => bench::community(&config, args).await,
            Command::Bench(BenchCommand::Publish(args)) => bench::publish(&config, args).await,
            Command::Bench(BenchCommand::Events(args)) => bench::events(&config, args).await,
            Command::Bench(BenchCommand::Compose(args)) => bench::compose(&config, args).await,
            Command::Bench(BenchCommand::Calendar(args)) => bench::calendar(&config, args).await,
            Command::Bench(BenchCommand::Moderation(args)) => bench_moderation::moderation(args),
            Command::Bench(BenchCommand::Clicks(args)) => bench_clicks::clicks(&config, args).await,
            Command::Bench(BenchCommand::Analytics(args)) => {
                bench_analytics::analytics(&config, args).await
            }
            Command::Import(ImportCommand::Interactions(args)) => {
                analytics::import_interactions(&config, args).await
            }
            Command::Gen(args) => analytics::gen_command(&config, args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agora: {error:#}");
            ExitCode::FAILURE
        }
    }
}
