//! `agora bench clicks`: the tracked-link redirect under load. Published
//! posts with tracked links are seeded, the web server runs in-process, and
//! 16 clients (by default) follow random `/r/{token}` links as a browser
//! would (each a counted click: a lookup and an insert), then as Mastodon's
//! preview fetcher (a lookup only), for a few seconds each.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;

use agora_core::config::Config;
use agora_core::{Clock, SystemClock};

use crate::bench::{bench_workspace, percentile, serve_in_process};
use crate::serve::open_database;

#[derive(Debug, Clone, Args)]
pub struct ClicksBenchArgs {
    /// Concurrent clients
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds of load per measure
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Published posts, each with two tracked links
    #[arg(long, default_value_t = 200)]
    posts: usize,
}

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PREVIEW: &str = "http.rb/5.1.1 (Mastodon/4.3.2; +https://mastodon.example/)";

/// `clients` tasks, each requesting random paths for `seconds`: (requests
/// per second, p50 µs, p99 µs, redirects answered, failures).
async fn load(
    client: &reqwest::Client,
    urls: &[String],
    agent: &'static str,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<(f64, i64, i64, usize, usize)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for n in 0..clients {
        let (client, urls) = (client.clone(), urls.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            // A cheap deterministic walk over the links, different per client.
            let mut index = n * 7919;
            while Instant::now() < deadline {
                index = (index + 104_729) % urls.len();
                let started = Instant::now();
                match client
                    .get(&urls[index])
                    .header("user-agent", agent)
                    .send()
                    .await
                {
                    Ok(response) if response.status() == reqwest::StatusCode::FOUND => {
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
        latencies.len(),
        failures,
    ))
}

pub async fn clicks(config: &Config, args: ClicksBenchArgs) -> anyhow::Result<()> {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role};
    use agora_core::links::{LinkStore, redirect_url};
    use agora_core::members::MemberStore;
    use agora_core::posts::{
        AttemptOutcome, AttemptResult, NewChannel, NewPost, NewVariant, PostStore,
    };
    use agora_core::secrets::{HashCost, hash_password};
    use agora_core::text_limits::Network;

    if args.posts == 0 || args.clients == 0 {
        bail!("--posts and --clients must be at least 1");
    }
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
    let channel = db
        .create_channel(&NewChannel {
            workspace_id: workspace.id,
            network: Network::Mastodon,
            name: "@bench@mastodon.example".into(),
            avatar_url: None,
            base_url: String::new(),
            account: String::new(),
            timezone: "UTC".into(),
            sealed_credentials: "bench: never opened".into(),
            max_chars: 500,
            max_media: 4,
            chars_per_url: 23,
            max_image_bytes: None,
            created_at: now,
        })
        .await?;
    // Paused, so that a worker sharing this database sends nothing.
    db.set_channel_paused(channel.id, true).await?;
    println!(
        "clicks benchmark on {} (workspace {slug})",
        db.backend().as_str()
    );
    let (address, server) = serve_in_process(&db, config).await?;
    let base = format!("http://{address}");
    let mut urls = Vec::new();
    let mut targets = Vec::new();
    for n in 0..args.posts {
        let id = db
            .create_post(&NewPost {
                workspace_id: workspace.id,
                author_id: member,
                variants: vec![NewVariant {
                    channel_id: channel.id,
                    text: format!(
                        "Post {n}: https://shop.example/{n} and https://blog.example/{n}"
                    ),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                }],
                scheduled_at: Some(now),
                created_at: now,
                campaign_id: None,
                hold: false,
            })
            .await?;
        let target = db
            .post(workspace.id, id)
            .await?
            .context("the post just made")?
            .targets[0]
            .id;
        let attempt = db
            .begin_attempt(target, 0, now)
            .await?
            .context("an attempt")?;
        db.finish_attempt(
            target,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: String::new(),
                http_status: Some(200),
                response: String::new(),
                message: None,
                remote_id: Some(format!("bench-{id}")),
                remote_url: None,
                next_attempt_at: None,
                finished_at: now,
            },
        )
        .await?;
        let links = db
            .tracked_links(
                target,
                &[
                    format!("https://shop.example/{n}"),
                    format!("https://blog.example/{n}"),
                ],
                now,
            )
            .await?;
        db.set_links_tracked(target, true).await?;
        urls.extend(links.iter().map(|link| redirect_url(&base, &link.token)));
        targets.push(target);
    }
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.clients)
        .build()?;
    println!(
        "| `GET /r/{{token}}`, {} clients, {} s, {} links | requests/s | p50 | p99 |",
        args.clients,
        args.seconds,
        urls.len()
    );
    println!("| --- | --- | --- | --- |");
    let mut counted = 0;
    for (label, agent) in [
        ("a browser: redirect + click counted", BROWSER),
        ("Mastodon's preview fetcher: redirect only", PREVIEW),
    ] {
        let (rate, p50, p99, n, failures) =
            load(&client, &urls, agent, args.clients, args.seconds).await?;
        if failures > 0 {
            bail!("{failures} requests failed ({label})");
        }
        if agent == BROWSER {
            counted = n;
        }
        println!(
            "| {label} | {rate:.0} | {:.2} ms | {:.2} ms |",
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0
        );
    }
    server.abort();
    // Every browser request was one click, and the previews none.
    let mut stored = 0;
    for target in targets {
        stored += db.target_clicks(target).await?;
    }
    if stored != counted as i64 {
        bail!("{stored} clicks stored for {counted} browser requests");
    }
    println!("{stored} clicks stored, one per browser request");
    Ok(())
}
