//! The demo's publishing engine: a channel of every kind, pointing nowhere
//! real (`.example` hosts, names ending in "(demo)") and paused so nothing
//! tries to leave, with a history of published, failed, unconfirmed,
//! retrying, scheduled and draft posts and their attempts; queue slots on
//! every channel, and sixteen weeks of published posts with engagement read
//! back (enough on Mastodon for its own heatmap, the others from the
//! workspace's).

use agora_core::Timestamp;
use agora_core::posts::{
    AttemptOutcome, AttemptResult, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::posts::{Engagement, local_to_utc};
use agora_core::secrets::Sealer;
use agora_core::slots::{Slot, SlotStore};
use agora_core::text_limits::Network;
use agora_store::Db;

/// (network, name, server, account)
const CHANNELS: &[(Network, &str, &str, &str)] = &[
    (
        Network::Mastodon,
        "@northwind@mastodon.example (demo)",
        "https://mastodon.example",
        "",
    ),
    (
        Network::Bluesky,
        "northwind.bsky.example (demo)",
        "https://pds.example",
        "northwind.bsky.example",
    ),
    (
        Network::Matrix,
        "#riders:matrix.example (demo)",
        "https://matrix.example",
        "!riders:matrix.example",
    ),
    (Network::Email, "The Northwind Letter", "", ""),
    (
        Network::Webhook,
        "Website news feed (demo)",
        "https://hooks.example/agora",
        "",
    ),
    (
        Network::LinkedIn,
        "Northwind Cycles on LinkedIn (demo)",
        "https://linkedin.example",
        "urn:li:organization:0",
    ),
    (
        Network::Facebook,
        "Northwind Cycles on Facebook (demo)",
        "https://facebook.example",
        "0",
    ),
    (
        Network::X,
        "@northwind on X (demo)",
        "https://x.example",
        "",
    ),
    (
        Network::Threads,
        "@northwind on Threads (demo)",
        "https://threads.example",
        "0",
    ),
];

/// How a demo post ended, with what the network said.
enum Ending {
    Published,
    Failed(AttemptOutcome, i64, &'static str),
    Unconfirmed,
    Retrying,
}

pub async fn seed(
    db: &Db,
    sealer: &Sealer,
    workspace: i64,
    author: i64,
    now: Timestamp,
) -> anyhow::Result<()> {
    let mut channels = Vec::new();
    for (network, name, base_url, account) in CHANNELS {
        let limits = network.default_limits();
        let credentials = match network {
            Network::Bluesky => {
                r#"{"kind":"app_password","identifier":"northwind.bsky.example","password":"demo-demo-demo-demo"}"#
            }
            Network::Email => r#"{"kind":"none"}"#,
            Network::Webhook => r#"{"kind":"webhook","secret":"demo-webhook-secret"}"#,
            _ => r#"{"kind":"token","access_token":"demo-token-that-works-nowhere"}"#,
        };
        let channel = db
            .create_channel(&NewChannel {
                workspace_id: workspace,
                network: *network,
                name: (*name).into(),
                avatar_url: None,
                base_url: (*base_url).into(),
                account: (*account).into(),
                timezone: "Europe/Paris".into(),
                sealed_credentials: sealer.seal(credentials),
                max_chars: limits.max_chars as i64,
                max_media: limits.max_media as i64,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: now.plus_seconds(-100 * 86_400),
            })
            .await?;
        // Nothing real is behind a demo channel: paused, its posts wait.
        db.set_channel_paused(channel.id, *network != Network::Email)
            .await?;
        channels.push(channel);
    }
    for channel in &channels {
        let slots = queue_slots(channel.network);
        db.set_queue(channel.id, &channel.timezone, false, &slots)
            .await?;
    }
    let by = |network: Network| {
        channels
            .iter()
            .find(|c| c.network == network)
            .map(|c| c.id)
            .unwrap_or_default()
    };
    let history: &[(i64, &str, &[Network], Ending)] = &[
        (
            -20,
            "Our spring collection is in the shop: gravel frames, new colours, same lifetime warranty. https://northwind.example/spring #gravel",
            &[Network::Mastodon, Network::Bluesky, Network::LinkedIn],
            Ending::Published,
        ),
        (
            -14,
            "Sunday ride: 60 km along the river, coffee at the halfway point. All paces welcome! #sundayriders",
            &[Network::Mastodon, Network::Bluesky, Network::Matrix],
            Ending::Published,
        ),
        (
            -9,
            "Workshop night: learn to true a wheel with our mechanics. Thursday 19:00, free for members.",
            &[Network::Facebook, Network::X],
            Ending::Failed(
                AttemptOutcome::Reconnect,
                401,
                "401 Unauthorized: The access token expired. Reconnect the channel, then retry.",
            ),
        ),
        (
            -6,
            "The Northwind Letter, April: new routes, the repair café, and a look at our e-bike.",
            &[Network::Email],
            Ending::Published,
        ),
        (
            -3,
            "Race team results from the weekend: two podiums and a very muddy photo gallery. https://northwind.example/race",
            &[Network::Mastodon, Network::Threads],
            Ending::Unconfirmed,
        ),
        (
            -2,
            "We are hiring a bike mechanic in Lyon: apprenticeships welcome. https://northwind.example/jobs",
            &[Network::LinkedIn],
            Ending::Failed(
                AttemptOutcome::Permanent,
                422,
                "422 Unprocessable Entity: Organization posts need an image or a link preview; the network refused the post.",
            ),
        ),
        (
            -1,
            "Rain tomorrow: the Sunday ride moves to the indoor training session at 10:00.",
            &[Network::Matrix, Network::Webhook],
            Ending::Retrying,
        ),
    ];
    for (days, text, networks, ending) in history {
        let at = now.plus_seconds(days * 86_400);
        let post = db
            .create_post(&NewPost {
                workspace_id: workspace,
                author_id: author,
                variants: networks
                    .iter()
                    .map(|n| NewVariant {
                        channel_id: by(*n),
                        text: (*text).into(),
                        content_warning: None,
                        language: None,
                        visibility: None,
                        link_card: None,
                        media: Vec::new(),
                    })
                    .collect(),
                scheduled_at: Some(at),
                created_at: at.plus_seconds(-86_400),
                campaign_id: None,
                hold: false,
            })
            .await?;
        let Some(view) = db.post(workspace, post).await? else {
            continue;
        };
        for target in view.targets {
            let Some(attempt) = db.begin_attempt(target.id, 0, at).await? else {
                continue;
            };
            let network = target.network.as_str();
            let base = AttemptResult {
                outcome: AttemptOutcome::Published,
                request: format!("POST {network} (demo: nothing was sent)"),
                http_status: Some(200),
                response: "{\"id\":\"demo\"}".into(),
                message: None,
                remote_id: None,
                remote_url: None,
                next_attempt_at: None,
                finished_at: at.plus_seconds(1),
            };
            let result = match ending {
                Ending::Published => AttemptResult {
                    remote_id: Some(format!("demo-{}", target.id)),
                    remote_url: (target.network != Network::Email)
                        .then(|| format!("https://{network}.example/northwind/{}", target.id)),
                    ..base
                },
                Ending::Failed(outcome, status, message) => AttemptResult {
                    outcome: *outcome,
                    http_status: Some(*status),
                    response: format!("{{\"error\":\"{message}\"}}"),
                    message: Some((*message).into()),
                    ..base
                },
                Ending::Unconfirmed => AttemptResult {
                    outcome: AttemptOutcome::Unconfirmed,
                    http_status: None,
                    response: String::new(),
                    message: Some("No answer within 30 s. The request left but no answer came: check the network, then mark it as published or publish again.".into()),
                    ..base
                },
                Ending::Retrying => AttemptResult {
                    outcome: AttemptOutcome::Retryable,
                    http_status: Some(503),
                    response: "{\"error\":\"Service temporarily unavailable\"}".into(),
                    message: Some("503 Service temporarily unavailable".into()),
                    next_attempt_at: Some(now.plus_seconds(3_600)),
                    ..base
                },
            };
            db.finish_attempt(target.id, attempt, &result).await?;
            if matches!(ending, Ending::Published) {
                let seed = target.id + days.abs();
                db.record_engagement(
                    target.id,
                    &Engagement {
                        likes: 12 + seed % 17,
                        shares: 3 + seed % 5,
                        replies: 1 + seed % 4,
                        quotes: seed % 2,
                        impressions: None,
                        reach: None,
                        clicks: None,
                        read_at: now,
                    },
                )
                .await?;
                track_demo_links(db, target.id, text, at, 2 + seed % 9).await?;
                db.channel_health(
                    target.channel_id,
                    Some(at.plus_seconds(1)),
                    None,
                    false,
                    None,
                )
                .await?;
            }
        }
    }
    seed_archive(
        db,
        workspace,
        author,
        by(Network::Mastodon),
        by(Network::Bluesky),
        now,
    )
    .await?;
    // Coming up: scheduled (waiting on paused demo channels) and a draft.
    for (hours, text, networks, draft) in [
        (
            26,
            "Saturday: the repair café is open 10:00–16:00, bring your bike and your questions.",
            &[Network::Mastodon, Network::Bluesky][..],
            false,
        ),
        (
            74,
            "New route guide: the three-castles loop, 85 km with 900 m of climbing. https://northwind.example/routes/castles #gravel",
            &[Network::Mastodon, Network::Bluesky, Network::Facebook][..],
            false,
        ),
        (
            0,
            "Idea: a members' photo contest for the summer rides?",
            &[Network::Mastodon][..],
            true,
        ),
    ] {
        db.create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: networks
                .iter()
                .map(|n| NewVariant {
                    channel_id: by(*n),
                    text: text.into(),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                })
                .collect(),
            scheduled_at: (!draft).then(|| now.plus_seconds(hours * 3_600)),
            created_at: now.plus_seconds(-3_600),
            campaign_id: None,
            hold: false,
        })
        .await?;
    }
    Ok(())
}

/// Each network's weekly slots in the demo, on the channel's wall clock.
fn queue_slots(network: Network) -> Vec<Slot> {
    let at = |weekdays: &[u8], times: &[(u16, u16)]| -> Vec<Slot> {
        weekdays
            .iter()
            .flat_map(|day| {
                times
                    .iter()
                    .filter_map(move |(hour, minute)| Slot::new(*day, hour * 60 + minute))
            })
            .collect()
    };
    match network {
        Network::Mastodon => {
            let mut slots = at(&[0, 2, 4], &[(9, 0), (17, 30)]);
            slots.extend(at(&[1, 3], &[(12, 30)]));
            slots
        }
        Network::Bluesky | Network::Threads | Network::X => at(&[0, 2, 4], &[(9, 0), (17, 30)]),
        Network::LinkedIn => at(&[1, 3], &[(8, 30)]),
        Network::Facebook => at(&[2, 5], &[(11, 0)]),
        Network::Matrix => at(&[6], &[(10, 0)]),
        Network::Email => at(&[3], &[(8, 0)]),
        Network::Webhook => at(&[0, 1, 2, 3, 4], &[(7, 0)]),
    }
}

/// Fifteen weeks of published posts: thirty on Mastodon (its own heatmap)
/// and twelve on Bluesky (fewer than twenty: the workspace's heatmap), at
/// varied hours, with engagement that favours weekday mornings and early
/// evenings the way a real audience might; and the two channels' daily
/// follower counts.
async fn seed_archive(
    db: &Db,
    workspace: i64,
    author: i64,
    mastodon: i64,
    bluesky: i64,
    now: Timestamp,
) -> anyhow::Result<()> {
    const TEXTS: [&str; 6] = [
        "Tip of the week: check your tyre pressure before every ride. #cycling",
        "New in the shop: reflective jackets for the dark evenings. https://northwind.example/jackets",
        "Thursday social ride: 40 km, flat, coffee after. All welcome!",
        "Our mechanics explain: when to replace a chain, and how to tell. https://northwind.example/chains",
        "Photo of the week from the river loop, sent by a member. Thank you!",
        "Repair café this Saturday: bring a bike, leave with a working bike.",
    ];
    // The hour each post went out, on the channel's Paris wall clock.
    let hours: [u16; 10] = [8, 9, 9, 12, 13, 17, 18, 18, 20, 10];
    for i in 0..42_i64 {
        let channel = if i < 30 { mastodon } else { bluesky };
        let hour = hours[(i % 10) as usize];
        let day = now.plus_seconds(-(3 + i * 5 / 2) * 86_400);
        let local = format!("{}T{hour:02}:{:02}", day.display_date(), (i % 4) * 10);
        let at = local_to_utc(&local, "Europe/Paris").map_err(anyhow::Error::msg)?;
        let post = db
            .create_post(&NewPost {
                workspace_id: workspace,
                author_id: author,
                variants: vec![NewVariant {
                    channel_id: channel,
                    text: TEXTS[(i % 6) as usize].into(),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                }],
                scheduled_at: Some(at),
                created_at: at.plus_seconds(-86_400),
                campaign_id: None,
                hold: false,
            })
            .await?;
        let Some(view) = db.post(workspace, post).await? else {
            continue;
        };
        for target in view.targets {
            let Some(attempt) = db.begin_attempt(target.id, 0, at).await? else {
                continue;
            };
            db.finish_attempt(
                target.id,
                attempt,
                &AttemptResult {
                    outcome: AttemptOutcome::Published,
                    request: format!("POST {} (demo: nothing was sent)", target.network.as_str()),
                    http_status: Some(200),
                    response: "{\"id\":\"demo\"}".into(),
                    message: None,
                    remote_id: Some(format!("demo-{}", target.id)),
                    remote_url: Some(format!(
                        "https://{}.example/northwind/{}",
                        target.network.as_str(),
                        target.id
                    )),
                    next_attempt_at: None,
                    finished_at: at,
                },
            )
            .await?;
            // Mornings and early evenings on weekdays do best; nights and weekends less.
            // Monday is 0: 1970-01-01, day 0, was a Thursday.
            let weekday = (day.day() + 3).rem_euclid(7);
            let audience = match hour {
                9 | 18 => 30,
                8 | 17 | 10 => 20,
                12 | 13 => 14,
                _ => 6,
            } / if weekday >= 5 { 2 } else { 1 };
            let wobble = (i * 7) % 9;
            db.record_engagement(
                target.id,
                &Engagement {
                    likes: audience + wobble,
                    shares: audience / 4 + wobble % 3,
                    replies: audience / 6 + i % 2,
                    quotes: i % 3 / 2,
                    impressions: None,
                    reach: None,
                    clicks: None,
                    read_at: at.plus_seconds(7 * 86_400).min(now),
                },
            )
            .await?;
            track_demo_links(
                db,
                target.id,
                TEXTS[(i % 6) as usize],
                at,
                audience / 3 + wobble % 4,
            )
            .await?;
        }
    }
    // A follower count a day, as the metrics reads would have sampled it:
    // Mastodon from 1,480 to about 1,900, Bluesky from 620 to about 1,000.
    for day in (0..120_i64).rev() {
        let at = now.plus_seconds(-day * 86_400);
        let grown = 120 - day;
        db.record_followers(mastodon, at, 1_480 + grown * 7 / 2 + (grown % 5))
            .await?;
        db.record_followers(bluesky, at, 620 + grown * 3 + (grown % 3))
            .await?;
    }
    Ok(())
}

/// As the engine would have published it: the post's links tracked (the
/// redirect in place of each), and `clicks` clicks on each over the days
/// after publishing.
async fn track_demo_links(
    db: &Db,
    target: i64,
    text: &str,
    at: Timestamp,
    clicks: i64,
) -> anyhow::Result<()> {
    use agora_core::links::LinkStore;
    let urls: Vec<String> = agora_core::text_limits::find_urls(text)
        .into_iter()
        .map(|range| text[range].to_owned())
        .collect();
    let links = db.tracked_links(target, &urls, at).await?;
    db.set_links_tracked(target, true).await?;
    for link in links {
        for n in 0..clicks {
            // Most clicks come in the first hours.
            let after = 60 * (n * n + 1);
            db.record_click(link.id, at.plus_seconds(after), None)
                .await?;
        }
    }
    Ok(())
}
