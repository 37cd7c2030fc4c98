//! Crash safety of publishing: the worker process is killed (SIGKILL) at
//! random moments while 200 posts go out to real peers (the Mastodon API
//! mock, an AT Protocol PDS and Synapse), then restarted. Every post must end
//! up exactly once on its network, or be marked `unconfirmed` (it may then be
//! there once, never twice); none may be lost or left in flight.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use agora_core::posts::{PostStore, TargetStatus};
use agora_store::{ConnectOptions, Db};
use agora_testkit::TempDir;
use agora_testkit::peers::Peer;
use serde_json::{Value, json};

use crate::harness::{Background, Server, add_user, agora, eventually};

const N_POSTS: usize = 200;

/// A small deterministic generator for the kill times (no sleep-and-hope:
/// the test waits for outcomes, the random pauses only decide when to kill).
struct Lcg(u64);

impl Lcg {
    fn next_millis(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        low + (self.0 >> 33) % (high - low)
    }
}

async fn mastodon_texts(http: &reqwest::Client, peer: &Peer) -> Vec<String> {
    let mut texts = Vec::new();
    let mut max_id: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/api/v1/accounts/{}/statuses?limit=40",
            peer.var("MASTODON_URL"),
            peer.var("MASTODON_ACCOUNT_ID")
        );
        if let Some(id) = &max_id {
            url.push_str(&format!("&max_id={id}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(peer.var("MASTODON_TOKEN"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = page.as_array().cloned().unwrap_or_default();
        if page.is_empty() {
            return texts;
        }
        max_id = page
            .last()
            .and_then(|s| s["id"].as_str())
            .map(str::to_owned);
        texts.extend(
            page.iter()
                .map(|s| s["content"].as_str().unwrap_or("").to_owned()),
        );
    }
}

async fn bluesky_texts(http: &reqwest::Client, peer: &Peer) -> Vec<String> {
    let mut texts = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post&limit=100",
            peer.var("PDS_URL"),
            peer.var("PDS_DID")
        );
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        let records = page["records"].as_array().cloned().unwrap_or_default();
        if records.is_empty() {
            return texts;
        }
        texts.extend(
            records
                .iter()
                .map(|r| r["value"]["text"].as_str().unwrap_or("").to_owned()),
        );
        cursor = page["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return texts;
        }
    }
}

async fn matrix_texts(http: &reqwest::Client, peer: &Peer) -> Vec<String> {
    let page: Value = http
        .get(format!(
            "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1000",
            peer.var("MATRIX_URL"),
            urlencoding::encode(peer.var("MATRIX_ROOM_ID"))
        ))
        .bearer_auth(peer.var("MATRIX_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["chunk"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|event| event["type"] == "m.room.message")
        .map(|event| event["content"]["body"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_worker_never_loses_or_doubles_a_post() {
    let (Some(mastodon), Some(pds), Some(matrix)) = (
        Peer::start("mastodon"),
        Peer::start("pds"),
        Peer::start("synapse"),
    ) else {
        return;
    };
    agora_connectors::networks::install_crypto_provider();
    let data = TempDir::new("crash");
    add_user(
        data.path(),
        None,
        "mara@acme.test",
        "Mara Marketer",
        "acme",
        "marketer",
        "a long password",
    );
    let output = agora(data.path())
        .args(["token", "create", "--email", "mara@acme.test"])
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // A short lease, so a killed worker's jobs are taken over in seconds.
    let env = [
        (
            "AGORA_SECRET_KEY",
            "the crash test's key, long enough to use",
        ),
        ("AGORA_WORKER_LEASE_SECONDS", "2"),
        ("AGORA_WORKER_POLL_INTERVAL_MS", "50"),
    ];
    let web = Server::start(data.path(), &["serve", "--web-only"], &env);
    let http = reqwest::Client::new();
    let api = |path: &str, body: Value| {
        http.post(web.url(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let mut channels = Vec::new();
    for body in [
        json!({"network": "mastodon", "base_url": mastodon.var("MASTODON_URL"), "access_token": mastodon.var("MASTODON_TOKEN")}),
        json!({"network": "bluesky", "base_url": pds.var("PDS_URL"), "account": pds.var("PDS_HANDLE"), "app_password": pds.var("PDS_APP_PASSWORD")}),
        json!({"network": "matrix", "base_url": matrix.var("MATRIX_URL"), "account": matrix.var("MATRIX_ROOM_ID"), "access_token": matrix.var("MATRIX_TOKEN")}),
    ] {
        let response = api("/api/v1/w/acme/channels", body).await.unwrap();
        assert_eq!(response.status(), 201);
        let channel: Value = response.json().await.unwrap();
        channels.push(channel["id"].as_i64().unwrap());
    }
    // Post i goes to channel i % 3, with a marker found nowhere else.
    let marker = |i: usize| format!("crash-{i:03}:");
    let mut posts = Vec::new();
    for i in 0..N_POSTS {
        let response = api(
            "/api/v1/w/acme/posts",
            json!({"variants": [{"channel_id": channels[i % 3], "text": format!("{} a post that must go out once", marker(i))}]}),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 201);
        let post: Value = response.json().await.unwrap();
        posts.push(post["id"].as_i64().unwrap());
    }

    let start_worker = || {
        Background(
            agora(data.path())
                .args(["serve", "--worker-only"])
                .envs(env)
                .spawn()
                .unwrap(),
        )
    };
    let db = Db::connect(
        &format!("sqlite://{}", data.path().join("agora.db").display()),
        ConnectOptions::default(),
    )
    .await
    .unwrap();
    let workspace = agora_core::accounts::AccountStore::workspace_by_slug(&db, "acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let statuses = || async {
        let mut statuses = Vec::new();
        for post in db.posts(workspace, 500).await.unwrap() {
            statuses.extend(post.targets.iter().map(|t| t.status));
        }
        statuses
    };
    let mut rng = Lcg(std::process::id() as u64);
    let mut kills = 0;
    for _ in 0..12 {
        let mut worker = start_worker();
        tokio::time::sleep(Duration::from_millis(rng.next_millis(300, 1_500))).await;
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(worker.0.id().to_string())
            .status();
        let _ = worker.0.wait();
        kills += 1;
        let remaining = statuses().await.iter().filter(|s| s.is_pending()).count();
        if remaining == 0 {
            break;
        }
    }
    // A last worker, left alone, settles everything.
    let _worker = start_worker();
    eventually("every post settled", Duration::from_secs(180), || async {
        statuses()
            .await
            .iter()
            .all(|s| !s.is_pending() && *s != TargetStatus::Publishing)
    })
    .await;

    let mut on_network: HashMap<&str, Vec<String>> = HashMap::new();
    on_network.insert("mastodon", mastodon_texts(&http, &mastodon).await);
    on_network.insert("bluesky", bluesky_texts(&http, &pds).await);
    on_network.insert("matrix", matrix_texts(&http, &matrix).await);
    let mut counts: HashMap<TargetStatus, usize> = HashMap::new();
    for (i, id) in posts.iter().enumerate() {
        let post = db.post(workspace, *id).await.unwrap().unwrap();
        let target = &post.targets[0];
        let texts = &on_network[target.network.as_str()];
        let found = texts
            .iter()
            .filter(|text| text.contains(&marker(i)))
            .count();
        *counts.entry(target.status).or_default() += 1;
        match target.status {
            TargetStatus::Published => assert_eq!(
                found,
                1,
                "post {i} published, found {found} times on {}",
                target.network.as_str()
            ),
            TargetStatus::Unconfirmed => {
                assert!(found <= 1, "post {i} unconfirmed, found {found} times")
            }
            other => panic!("post {i} ended {other:?}: {:?}", target.message),
        }
    }
    eprintln!("after {kills} kills: {counts:?}");
    assert!(
        counts.get(&TargetStatus::Published).copied().unwrap_or(0) > N_POSTS / 2,
        "{counts:?}"
    );
}
