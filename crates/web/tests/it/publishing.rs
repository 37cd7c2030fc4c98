//! The publishing engine end to end, against real peers started on
//! loopback: the Mastodon API (`mastodon-mock` from PyPI), an AT Protocol PDS
//! (`@atproto/pds` from npm) and Synapse (PyPI). Posts are scheduled through
//! the API, a worker runs on a clock the test moves, and every published
//! post is read back from its network.

use std::sync::Arc;

use agora_connectors::publishing::{Engine, register};
use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::jobs::JobOutcomeCounters;
use agora_core::posts::PostStore;
use agora_core::secrets::{Sealer, Secret};
use agora_jobs::{Registry, Worker, WorkerSettings};
use agora_store::{Backend, Db};
use agora_testkit::peers::Peer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

fn worker(app: &TestApp, timeout_seconds: u64) -> Worker<Db> {
    worker_with_outbox(app, timeout_seconds, None)
}

/// A worker that also sends e-mails, into an outbox folder.
fn worker_with_outbox(
    app: &TestApp,
    timeout_seconds: u64,
    outbox: Option<std::path::PathBuf>,
) -> Worker<Db> {
    let mut registry = Registry::with_builtins();
    if let Some(dir) = outbox {
        agora_connectors::email::register(
            &mut registry,
            agora_connectors::email::Mailer::outbox(dir, "Agora <agora@acme.test>"),
        );
    }
    let engine = Engine::new(
        app.db.clone(),
        Arc::new(app.clock.clone()),
        // The same key as the app's, so the worker opens what the app sealed.
        Sealer::new(&Secret::new("a test key that is long enough to use"), None),
        std::time::Duration::from_secs(timeout_seconds),
        app.base.clone(),
    );
    register(&mut registry, Arc::new(engine));
    Worker::new(
        app.db.clone(),
        registry,
        Arc::new(app.clock.clone()),
        WorkerSettings::default(),
        Arc::new(JobOutcomeCounters::default()),
    )
}

async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.as_api(method, path, Role::Marketer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn connect(app: &TestApp, body: Value) -> i64 {
    let (status, channel) = api(app, Method::POST, "/api/v1/w/acme/channels", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    channel["id"].as_i64().unwrap()
}

/// Runs every due job, repeatedly, until none is left.
async fn drain(worker: &Worker<Db>) {
    while worker.run_once().await.unwrap() > 0 {}
}

async fn scheduled_posts_arrive_once_on_each_network(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (Some(mastodon), Some(pds), Some(matrix)) = (
        Peer::start("mastodon"),
        Peer::start("pds"),
        Peer::start("synapse"),
    ) else {
        return;
    };
    let mastodon_channel = connect(
        &app,
        json!({"network": "mastodon", "base_url": mastodon.var("MASTODON_URL"), "access_token": mastodon.var("MASTODON_TOKEN"), "timezone": "Europe/Paris"}),
    )
    .await;
    let bluesky_channel = connect(
        &app,
        json!({"network": "bluesky", "base_url": pds.var("PDS_URL"), "account": pds.var("PDS_HANDLE"), "app_password": pds.var("PDS_APP_PASSWORD")}),
    )
    .await;
    let matrix_channel = connect(
        &app,
        json!({"network": "matrix", "base_url": matrix.var("MATRIX_URL"), "account": matrix.var("MATRIX_ROOM_ID"), "access_token": matrix.var("MATRIX_TOKEN")}),
    )
    .await;
    let (_, channels) = api(&app, Method::GET, "/api/v1/w/acme/channels", None).await;
    assert_eq!(channels.as_array().unwrap().len(), 3);
    assert_eq!(
        channels[0]["max_chars"], 500,
        "Mastodon's limit comes from the instance"
    );
    assert_eq!(
        channels[0]["max_image_bytes"], 10_485_760,
        "and its image size limit"
    );
    assert!(
        !channels
            .to_string()
            .contains(mastodon.var("MASTODON_TOKEN")),
        "no credentials in the API"
    );
    let sealed = app.db.all_channel_credentials().await.unwrap();
    assert!(
        sealed
            .iter()
            .all(|(_, s)| s.starts_with("v1:") && !s.contains(pds.var("PDS_APP_PASSWORD"))),
        "credentials are sealed at rest"
    );

    // The linked page, on loopback: Bluesky's link card is read from it.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rides = format!("http://{}/rides", site.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/rides",
            axum::routing::get(|| async {
                axum::response::Html(
                    r#"<html><head><title>Rides</title><meta property="og:title" content="Sunday rides"><meta property="og:description" content="60 km along the river"></head></html>"#,
                )
            }),
        );
        axum::serve(site, app).await
    });
    let handle = pds.var("PDS_HANDLE");
    let text = format!("🚲 Spring ride on Sunday with @{handle}! Details {rides} #cycling");
    let at = app.clock.now().plus_seconds(120);
    let (status, post) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"scheduled_at": at.rfc3339(), "variants": [
            {"channel_id": mastodon_channel, "text": text, "content_warning": "Ride report", "language": "en", "visibility": "unlisted"},
            {"channel_id": bluesky_channel, "text": text},
            {"channel_id": matrix_channel, "text": text},
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    assert_eq!(post["status"], "scheduled");
    let id = post["id"].as_i64().unwrap();

    let worker = worker(&app, 10);
    drain(&worker).await;
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(post["status"], "scheduled", "not before its time");
    app.clock.advance_seconds(120);
    drain(&worker).await;
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(post["status"], "published", "{post}");
    for target in post["targets"].as_array().unwrap() {
        assert_eq!(target["status"], "published", "{target}");
        assert!(
            target["remote_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{target}"
        );
        assert!(target["remote_url"].as_str().is_some(), "{target}");
    }
    // A retry of the whole post cannot publish it again: everything is out.
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let http = reqwest::Client::new();
    // Mastodon: exactly one status, with our text.
    let statuses: Value = http
        .get(format!(
            "{}/api/v1/accounts/{}/statuses",
            mastodon.var("MASTODON_URL"),
            mastodon.var("MASTODON_ACCOUNT_ID")
        ))
        .bearer_auth(mastodon.var("MASTODON_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(statuses.as_array().unwrap().len(), 1, "{statuses}");
    let content = statuses[0]["content"].as_str().unwrap();
    assert!(content.contains("Spring ride"));
    // Links are tracked (on by default): Mastodon gets the redirect in the
    // text, on the public URL.
    let redirect = format!("{}/r/", app.base);
    assert!(
        content.contains(&redirect) && !content.contains(&rides),
        "{content}"
    );
    let target_on = |channel: i64| {
        post["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|target| target["channel_id"] == channel)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let engine = Engine::new(
        app.db.clone(),
        Arc::new(app.clock.clone()),
        Sealer::new(&Secret::new("a test key that is long enough to use"), None),
        std::time::Duration::from_secs(10),
        app.base.clone(),
    );
    // Another attempt would send the same status text (same token).
    let dispatch = app
        .db
        .dispatch(target_on(mastodon_channel))
        .await
        .unwrap()
        .unwrap();
    let again = engine.track_links(&dispatch).await.unwrap();
    let mastodon_link = agora_core::text_limits::find_urls(&again.text)
        .into_iter()
        .map(|url| again.text[url].to_owned())
        .next()
        .unwrap();
    assert!(mastodon_link.starts_with(&redirect), "{again:?}");
    assert!(
        content.contains(&mastodon_link),
        "{content} vs {mastodon_link}"
    );
    // Bluesky: exactly one record, with facets for the mention, link and tag.
    let records: Value = http
        .get(format!(
            "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post",
            pds.var("PDS_URL"),
            pds.var("PDS_DID")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let records = records["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0]["value"];
    assert_eq!(record["text"], text);
    let facets = record["facets"].as_array().unwrap();
    let feature = |kind: &str| {
        facets
            .iter()
            .find(|facet| facet["features"][0]["$type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} facet in {facets:?}"))
            .clone()
    };
    let bytes = text.as_bytes();
    let slice = |facet: &Value| {
        let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
        let end = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
        String::from_utf8(bytes[start..end].to_vec()).unwrap()
    };
    let mention = feature("app.bsky.richtext.facet#mention");
    assert_eq!(slice(&mention), format!("@{handle}"));
    assert_eq!(mention["features"][0]["did"], pds.var("PDS_DID"));
    let link = feature("app.bsky.richtext.facet#link");
    assert_eq!(slice(&link), rides, "the text keeps the link as written");
    // The facet leads through the redirect; the card keeps the page's link.
    let facet_uri = link["features"][0]["uri"].as_str().unwrap().to_owned();
    assert!(facet_uri.starts_with(&redirect), "{facet_uri}");
    let dispatch = app
        .db
        .dispatch(target_on(bluesky_channel))
        .await
        .unwrap()
        .unwrap();
    let again = engine.track_links(&dispatch).await.unwrap();
    assert_eq!(again.text, text);
    assert_eq!(
        again.facet_uris,
        std::slice::from_ref(&facet_uri),
        "a retry reuses the token"
    );
    // The record read back by its key says the same.
    let uri = records[0]["uri"].as_str().unwrap();
    let rkey = uri.rsplit('/').next().unwrap();
    let fetched: Value = http
        .get(format!(
            "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection=app.bsky.feed.post&rkey={rkey}",
            pds.var("PDS_URL"),
            pds.var("PDS_DID")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["value"]["text"], text, "{fetched}");
    assert!(
        fetched["value"]["facets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|facet| facet["features"][0]["uri"] == facet_uri.as_str()),
        "{fetched}"
    );
    // Following it counts one click for a browser, none for Bluesky's card fetcher.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for agent in [
        "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ] {
        let response = no_redirects
            .get(&facet_uri)
            .header("user-agent", agent)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()["location"], rides.as_str());
    }
    assert_eq!(
        agora_core::links::LinkStore::target_clicks(&app.db, target_on(bluesky_channel))
            .await
            .unwrap(),
        1
    );
    assert_eq!(record["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(record["embed"]["external"]["uri"], rides.as_str());
    assert_eq!(record["embed"]["external"]["title"], "Sunday rides");
    assert_eq!(
        record["embed"]["external"]["description"],
        "60 km along the river"
    );
    let tag = feature("app.bsky.richtext.facet#tag");
    assert_eq!(slice(&tag), "#cycling");
    assert_eq!(tag["features"][0]["tag"], "cycling");
    // Matrix: exactly one message in the room.
    let messages: Value = http
        .get(format!(
            "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=50",
            matrix.var("MATRIX_URL"),
            urlencoding::encode(matrix.var("MATRIX_ROOM_ID"))
        ))
        .bearer_auth(matrix.var("MATRIX_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let posted: Vec<&Value> = messages["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "m.room.message")
        .collect();
    assert_eq!(posted.len(), 1, "{messages}");
    assert!(
        posted[0]["content"]["formatted_body"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{redirect}"))
    );

    // An hour later the metrics are read back, and the Mastodon channel's
    // follower count with them (Bluesky's needs an AppView the PDS lacks).
    app.clock.advance_seconds(3_601);
    drain(&worker).await;
    let today = app.clock.now().millis().div_euclid(86_400_000);
    let followers = agora_core::analytics::audience::AudienceStore::followers_on(
        &app.db,
        app.workspace.id,
        today,
    )
    .await
    .unwrap();
    assert!(
        followers
            .get(&mastodon_channel)
            .copied()
            .flatten()
            .is_some(),
        "{followers:?}"
    );
    assert_eq!(followers.get(&bluesky_channel).copied().flatten(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_posts_arrive_once_on_each_network_on_sqlite() {
    scheduled_posts_arrive_once_on_each_network(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_posts_arrive_once_on_each_network_on_postgres() {
    scheduled_posts_arrive_once_on_each_network(Backend::Postgres).await;
}

async fn fault(mastodon: &Peer, effect: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/_mock/faults", mastodon.var("MASTODON_URL")))
        .json(&json!({"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": effect, "count": 1}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_failures_are_classified_and_shown_in_the_networks_words() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let Some(mastodon) = Peer::start("mastodon") else {
        return;
    };
    let channel = connect(
        &app,
        json!({"network": "mastodon", "base_url": mastodon.var("MASTODON_URL"), "access_token": mastodon.var("MASTODON_TOKEN")}),
    )
    .await;
    let worker = worker(&app, 2);
    let publish = |text: &'static str| {
        let app = &app;
        async move {
            let (status, post) = api(
                app,
                Method::POST,
                "/api/v1/w/acme/posts",
                Some(json!({"variants": [{"channel_id": channel, "text": text}]})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{post}");
            post["id"].as_i64().unwrap()
        }
    };
    let show = |id: i64| {
        let app = &app;
        async move {
            api(
                app,
                Method::GET,
                &format!("/api/v1/w/acme/posts/{id}"),
                None,
            )
            .await
            .1
        }
    };

    // 500: retryable, tried again after the backoff, then out.
    fault(&mastodon, json!({"type": "status", "status": 500})).await;
    let id = publish("First try fails").await;
    drain(&worker).await;
    let post = show(id).await;
    assert_eq!(post["targets"][0]["status"], "retrying", "{post}");
    assert!(
        post["targets"][0]["message"]
            .as_str()
            .unwrap()
            .contains("An unexpected error occurred"),
        "{post}"
    );
    assert_eq!(post["attempts"][0]["http_status"], 500);
    app.clock.advance_seconds(30);
    drain(&worker).await;
    assert_eq!(
        show(id).await["targets"][0]["status"],
        "retrying",
        "not before the backoff"
    );
    app.clock.advance_seconds(31);
    drain(&worker).await;
    let post = show(id).await;
    assert_eq!(post["status"], "published", "{post}");
    assert_eq!(post["attempts"].as_array().unwrap().len(), 2);

    // 429: the network's Retry-After is honoured.
    fault(
        &mastodon,
        json!({"type": "ratelimit", "headers": {"Retry-After": "600"}}),
    )
    .await;
    let id = publish("Slow down").await;
    drain(&worker).await;
    let post = show(id).await;
    assert_eq!(post["targets"][0]["status"], "retrying");
    let next = post["targets"][0]["next_attempt_at"].as_i64().unwrap();
    assert!(
        next >= app.clock.now().plus_seconds(600).millis(),
        "waits as asked: {post}"
    );
    app.clock.advance_seconds(601);
    drain(&worker).await;
    assert_eq!(show(id).await["status"], "published");

    // 401: the channel needs reconnecting; nothing is retried blindly.
    fault(
        &mastodon,
        json!({"type": "status", "status": 401, "body": {"error": "The access token is invalid"}}),
    )
    .await;
    let id = publish("Who am I").await;
    drain(&worker).await;
    let post = show(id).await;
    assert_eq!(post["status"], "failed", "{post}");
    assert!(
        post["targets"][0]["message"]
            .as_str()
            .unwrap()
            .contains("The access token is invalid")
    );
    let (_, channels) = api(&app, Method::GET, "/api/v1/w/acme/channels", None).await;
    assert_eq!(channels[0]["needs_reconnect"], true);
    let page = app
        .as_browser(Method::GET, "/w/acme/channels", Some(Role::Marketer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("needs reconnect"), "{page}");
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/channels/{channel}/reconnect"),
        Some(json!({"network": "mastodon", "access_token": mastodon.var("MASTODON_TOKEN")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(post["targets"][0]["status"], "scheduled");
    drain(&worker).await;
    assert_eq!(show(id).await["status"], "published");

    // No answer: unconfirmed, never retried by itself; a person decides.
    fault(&mastodon, json!({"type": "timeout", "delay_ms": 30000})).await;
    let id = publish("Into the void").await;
    drain(&worker).await;
    let post = show(id).await;
    assert_eq!(post["status"], "unconfirmed", "{post}");
    app.clock.advance_seconds(86_400);
    drain(&worker).await;
    assert_eq!(
        show(id).await["status"],
        "unconfirmed",
        "not retried automatically"
    );
    let page = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/posts/{id}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Mark as published") && page.contains("Publish again"),
        "{page}"
    );
    let (_, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/retry"),
        None,
    )
    .await;
    assert_eq!(post["targets"][0]["status"], "scheduled");
    drain(&worker).await;
    assert_eq!(show(id).await["status"], "published");
    // The Idempotency-Key made "publish again" safe: one status, not two.
    let statuses: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/accounts/{}/statuses",
            mastodon.var("MASTODON_URL"),
            mastodon.var("MASTODON_ACCOUNT_ID")
        ))
        .bearer_auth(mastodon.var("MASTODON_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let voids = statuses
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["content"]
                .as_str()
                .unwrap_or("")
                .contains("Into the void")
        })
        .count();
    assert_eq!(voids, 1, "{statuses}");
}

#[tokio::test]
async fn bad_posts_are_refused_with_the_field_named() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    // A webhook channel needs no peer: its check is a no-op until it posts.
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "myspace"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["pointer"], "/network", "{body}");
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "email", "name": "Newsletter", "timezone": "Mars/Olympus"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["pointer"], "/timezone", "{body}");
    let channel = connect(
        &app,
        json!({"network": "email", "name": "Newsletter", "timezone": "Europe/Paris"}),
    )
    .await;

    let cases = [
        (json!({"variants": []}), "variants"),
        (
            json!({"variants": [{"channel_id": 999, "text": "hi"}]}),
            "variants/0/channel_id",
        ),
        (
            json!({"variants": [{"channel_id": channel, "text": "  "}]}),
            "variants/0/text",
        ),
        (
            json!({"variants": [{"channel_id": channel, "text": "x".repeat(100_001)}]}),
            "variants/0/text",
        ),
        (
            json!({"variants": [{"channel_id": channel, "text": "hi", "media": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}]}]}),
            "variants/0/media",
        ),
        (
            json!({"variants": [{"channel_id": channel, "text": "hi"}], "scheduled_at": "2020-01-01T09:00:00+01:00"}),
            "scheduled_at",
        ),
        (
            json!({"variants": [{"channel_id": channel, "text": "hi"}], "scheduled_at": "next tuesday"}),
            "scheduled_at",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = api(
            &app,
            Method::POST,
            "/api/v1/w/acme/posts",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(
            problem["errors"][0]["pointer"],
            format!("/{field}"),
            "{body}: {problem}"
        );
    }
    let (status, _) = app
        .as_api(Method::POST, "/api/v1/w/acme/posts", Role::Member)
        .json(&json!({"variants": [{"channel_id": channel, "text": "hi"}]}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "members do not publish");
}

#[tokio::test]
async fn a_post_scheduled_in_local_time_goes_out_at_that_local_time_across_daylight_saving() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let channel = connect(
        &app,
        json!({"network": "email", "name": "Letter", "timezone": "Europe/Paris"}),
    )
    .await;
    let outbox = agora_testkit::TempDir::new("dst-outbox");
    let worker = worker_with_outbox(&app, 2, Some(outbox.path().to_path_buf()));
    // Paris moves its clocks forward on 2027-03-28: 09:00 is 08:00 UTC the
    // day before, and 07:00 UTC that day. Both are scheduled from the form
    // first (the test's browser session lives 30 days), then the clock moves.
    let mut scheduled = Vec::new();
    for (local, utc) in [
        ("2027-03-27T09:00", "2027-03-27T08:00:00Z"),
        ("2027-03-28T09:00", "2027-03-28T07:00:00Z"),
    ] {
        let response = app
            .as_browser(Method::POST, "/w/acme/posts", Some(Role::Marketer))
            .form(&[
                ("csrf", app.csrf.as_str()),
                ("text", "Spring is here"),
                ("channel", &channel.to_string()),
                ("local_time", local),
                ("timezone", "Europe/Paris"),
                ("intent", "schedule"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{local}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let id: i64 = location
            .rsplit('/')
            .next()
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{location}"));
        let due = chrono::DateTime::parse_from_rfc3339(utc)
            .unwrap()
            .timestamp_millis();
        scheduled.push((local, id, due));
    }
    for (local, id, due) in scheduled {
        let (_, post) = api(
            &app,
            Method::GET,
            &format!("/api/v1/w/acme/posts/{id}"),
            None,
        )
        .await;
        assert_eq!(post["scheduled_at"], due, "{local} in Paris");
        app.clock.set(agora_core::Timestamp(due - 60_000));
        drain(&worker).await;
        let (_, post) = api(
            &app,
            Method::GET,
            &format!("/api/v1/w/acme/posts/{id}"),
            None,
        )
        .await;
        assert_eq!(post["status"], "scheduled", "a minute early: not yet");
        app.clock.set(agora_core::Timestamp(due));
        drain(&worker).await;
        let (_, post) = api(
            &app,
            Method::GET,
            &format!("/api/v1/w/acme/posts/{id}"),
            None,
        )
        .await;
        assert_eq!(post["status"], "published", "{post}");
        assert_eq!(post["targets"][0]["published_at"], due, "on the minute");
    }
    app.clock
        .set(agora_core::Timestamp(chrono::Utc::now().timestamp_millis()));
    let page = app
        .as_browser(Method::POST, "/w/acme/posts", Some(Role::Marketer))
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("text", "Kept text"),
            ("channel", &channel.to_string()),
            ("local_time", "2027-03-28T02:30"),
            ("timezone", "Europe/Paris"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("does not exist in Europe/Paris") && page.contains("Kept text"),
        "{page}"
    );
}

#[tokio::test]
async fn the_newsletter_reaches_only_members_who_opted_in_and_they_can_leave() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let channel = connect(
        &app,
        json!({"network": "email", "name": "The Northwind Letter"}),
    )
    .await;
    let (reader, other) = (
        app.add_member("Rae Reader").await,
        app.add_member("Otto Other").await,
    );
    let saved = app
        .browser_as(Method::POST, "/w/acme/profile", &reader)
        .form(&[("csrf", app.csrf.as_str()), ("newsletter", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let outbox = agora_testkit::TempDir::new("newsletter-outbox");
    let worker = worker_with_outbox(&app, 2, Some(outbox.path().to_path_buf()));
    let send = |text: &'static str| {
        let app = &app;
        async move {
            let (status, post) = api(
                app,
                Method::POST,
                "/api/v1/w/acme/posts",
                Some(json!({"variants": [{"channel_id": channel, "text": text}]})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{post}");
            post["id"].as_i64().unwrap()
        }
    };
    let id = send("# Spring rides\n\nJoin us on **Sunday**.").await;
    drain(&worker).await;
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(post["status"], "published", "{post}");
    let mails: Vec<String> = std::fs::read_dir(outbox.path())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(mails.len(), 1, "only the member who opted in");
    let mail = &mails[0];
    assert!(mail.contains(&reader.email) && !mail.contains(&other.email));
    assert!(mail.contains("Subject: Spring rides"), "{mail}");
    assert!(
        mail.contains("List-Unsubscribe:")
            && mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );
    // The List-Unsubscribe header carries the one-click link.
    let token = mail
        .lines()
        .find(|line| line.starts_with("List-Unsubscribe: <"))
        .and_then(|line| line.split("token=").nth(1))
        .map(|rest| rest.trim_end_matches('>').trim().to_owned())
        .unwrap_or_else(|| panic!("{mail}"));
    let unsubscribed = app
        .client
        .post(app.url(&format!("/unsubscribe?token={token}")))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert!(
        unsubscribed.status().is_success(),
        "{}",
        unsubscribed.status()
    );
    send("A second letter").await;
    drain(&worker).await;
    assert_eq!(
        std::fs::read_dir(outbox.path()).unwrap().count(),
        1,
        "nobody left to write to"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_account_connects_through_oauth() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let Some(mastodon) = Peer::start("mastodon") else {
        return;
    };
    let base = mastodon.var("MASTODON_URL");
    // The marketer starts from the Channels page…
    let start = app
        .as_browser(
            Method::POST,
            "/w/acme/channels/oauth/mastodon",
            Some(Role::Marketer),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("instance", base),
            ("timezone", "Europe/Paris"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&format!("{base}/oauth/authorize?")),
        "{authorize}"
    );
    let param = |name: &str| {
        authorize
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(|v| urlencoding::decode(v).unwrap().into_owned())
            .unwrap()
    };
    // …authorizes Agora on the instance (the mock's consent form)…
    let consent = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("username", mastodon.var("MASTODON_USER")),
            ("client_id", &param("client_id")),
            ("redirect_uri", &param("redirect_uri")),
            ("state", &param("state")),
        ])
        .send()
        .await
        .unwrap();
    let back = consent.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with("http://placeholder/oauth/mastodon/callback?code="),
        "{back}"
    );
    // …and comes back to Agora, which trades the code for a token.
    let callback = app
        .as_browser(
            Method::GET,
            back.trim_start_matches("http://placeholder"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    assert_eq!(callback.headers()["location"], "/w/acme/channels");
    let (_, channels) = api(&app, Method::GET, "/api/v1/w/acme/channels", None).await;
    assert_eq!(channels.as_array().unwrap().len(), 1, "{channels}");
    assert_eq!(channels[0]["network"], "mastodon");
    assert_eq!(channels[0]["timezone"], "Europe/Paris");
    // The same link cannot be used twice.
    let again = app
        .as_browser(
            Method::GET,
            back.trim_start_matches("http://placeholder"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    // And the channel publishes.
    let (status, post) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"variants": [{"channel_id": channels[0]["id"], "text": "Connected through OAuth"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    drain(&worker(&app, 5)).await;
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{}", post["id"]),
        None,
    )
    .await;
    assert_eq!(post["status"], "published", "{post}");
}

/// A one-pixel PNG.
const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_go_out_with_their_alt_text() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (Some(mastodon), Some(pds)) = (Peer::start("mastodon"), Peer::start("pds")) else {
        return;
    };
    let mastodon_channel = connect(
        &app,
        json!({"network": "mastodon", "base_url": mastodon.var("MASTODON_URL"), "access_token": mastodon.var("MASTODON_TOKEN")}),
    )
    .await;
    let bluesky_channel = connect(
        &app,
        json!({"network": "bluesky", "base_url": pds.var("PDS_URL"), "account": pds.var("PDS_HANDLE"), "app_password": pds.var("PDS_APP_PASSWORD")}),
    )
    .await;
    let image =
        json!({"data": PIXEL, "content_type": "image/png", "alt": "A red bicycle against a wall"});
    // A fifth image on Bluesky is refused, naming the field; nothing is lost.
    let (status, problem) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"variants": [{"channel_id": bluesky_channel, "text": "Too many", "media": [image, image, image, image, image]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["pointer"], "/variants/0/media",
        "{problem}"
    );
    let (status, problem) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"variants": [{"channel_id": mastodon_channel, "text": "Bad", "media": [{"data": "not base64!", "content_type": "image/png"}]}]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["pointer"], "/variants/0/media/0/data",
        "{problem}"
    );

    let (status, post) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"variants": [
            {"channel_id": mastodon_channel, "text": "New colours in the shop", "media": [image]},
            {"channel_id": bluesky_channel, "text": "New colours in the shop", "media": [image]},
        ]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let id = post["id"].as_i64().unwrap();
    drain(&worker(&app, 10)).await;
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(post["status"], "published", "{post}");
    assert!(
        post["attempts"].to_string().contains("bytes of image/png"),
        "the log says what was uploaded, not the bytes"
    );

    let http = reqwest::Client::new();
    let statuses: Value = http
        .get(format!(
            "{}/api/v1/accounts/{}/statuses",
            mastodon.var("MASTODON_URL"),
            mastodon.var("MASTODON_ACCOUNT_ID")
        ))
        .bearer_auth(mastodon.var("MASTODON_TOKEN"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attachment = &statuses[0]["media_attachments"][0];
    assert_eq!(attachment["type"], "image", "{statuses}");
    assert_eq!(attachment["description"], "A red bicycle against a wall");
    let records: Value = http
        .get(format!(
            "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post",
            pds.var("PDS_URL"),
            pds.var("PDS_DID")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let embed = &records["records"][0]["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images", "{records}");
    assert_eq!(embed["images"][0]["alt"], "A red bicycle against a wall");
    assert_eq!(embed["images"][0]["image"]["mimeType"], "image/png");
}

/// X's budget (100 posts per 24 hours on Basic access) against a local
/// server answering in X API v2's documented shapes (`GET /2/users/me`,
/// `POST /2/tweets` → `{"data": {"id", "text"}}`): not X itself.
#[tokio::test]
async fn a_channel_past_its_networks_budget_holds_its_posts() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let router = axum::Router::new()
        .route(
            "/2/users/me",
            axum::routing::get(|| async {
                axum::Json(json!({"data": {"id": "2244994945", "name": "Northwind", "username": "northwind"}}))
            }),
        )
        .route(
            "/2/tweets",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    (
                        StatusCode::CREATED,
                        axum::Json(json!({"data": {"id": n.to_string(), "text": "ok"}})),
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let channel = connect(
        &app,
        json!({"network": "x", "base_url": base, "access_token": "token"}),
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..101 {
        let (status, post) = api(
            &app,
            Method::POST,
            "/api/v1/w/acme/posts",
            Some(
                json!({"variants": [{"channel_id": channel, "text": format!("Post number {n}")}]}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{post}");
        ids.push(post["id"].as_i64().unwrap());
    }
    let worker = worker(&app, 5);
    drain(&worker).await;
    assert_eq!(
        sent.load(std::sync::atomic::Ordering::SeqCst),
        100,
        "the 101st waits"
    );
    // Which post waits depends on the order the jobs ran in: find it.
    let mut waiting = Vec::new();
    for id in &ids {
        let (_, post) = api(
            &app,
            Method::GET,
            &format!("/api/v1/w/acme/posts/{id}"),
            None,
        )
        .await;
        if post["status"] == "scheduled" {
            waiting.push(*id);
        }
    }
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    let (_, last) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{}", waiting[0]),
        None,
    )
    .await;
    let next = last["targets"][0]["next_attempt_at"].as_i64().unwrap();
    assert!(
        next >= app.clock.now().plus_seconds(86_000).millis(),
        "held for the window: {last}"
    );
    app.clock.advance_seconds(86_401);
    drain(&worker).await;
    assert_eq!(sent.load(std::sync::atomic::Ordering::SeqCst), 101);
    let (_, last) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{}", waiting[0]),
        None,
    )
    .await;
    assert_eq!(last["status"], "published");
}
