//! Moderation over HTTP: auto-moderation holds and blocks, flags weighted by
//! trust hide a post, sanctions keep a member from posting (and end through
//! the job queue), appeals go to a different moderator, and who may do what.

use std::sync::Arc;

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::community::CommunityStore;
use agora_core::jobs::JobOutcomeCounters;
use agora_core::moderation::ModerationStore;
use agora_jobs::{Registry, Worker, WorkerSettings};
use agora_store::{Backend, Db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Person, TestApp, spawn_app};

async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn member_id(app: &TestApp, person: &Person) -> i64 {
    app.member_id(person).await
}

async fn group(app: &TestApp, slug: &str) -> i64 {
    let (status, created) = status_and_json(
        app.as_api(Method::POST, "/api/v1/w/acme/groups", Role::CommunityManager)
            .json(&json!({"slug": slug, "name": slug.to_uppercase(), "visibility": "public", "rules": "Be kind."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

async fn join(app: &TestApp, group: i64, person: &Person) {
    let response = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/join"),
            person,
        )
        .json(&json!({"accept_rules": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn thread(
    app: &TestApp,
    group: i64,
    person: &Person,
    title: &str,
    body: &str,
) -> (StatusCode, Value) {
    status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            person,
        )
        .json(&json!({"title": title, "body": body}))
        .send()
        .await
        .unwrap(),
    )
    .await
}

async fn reply(app: &TestApp, thread: i64, person: &Person, body: &str) -> (StatusCode, Value) {
    status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread}/replies"),
            person,
        )
        .json(&json!({"body": body}))
        .send()
        .await
        .unwrap(),
    )
    .await
}

fn worker(app: &TestApp) -> Worker<Db> {
    worker_with_outbox(app, &std::env::temp_dir().join("agora-unused-outbox"))
}

/// A worker that runs moderation's jobs and writes e-mails into `outbox`.
fn worker_with_outbox(app: &TestApp, outbox: &std::path::Path) -> Worker<Db> {
    let mut registry = Registry::with_builtins();
    agora_connectors::email::register(
        &mut registry,
        agora_connectors::email::Mailer::outbox(outbox.to_path_buf(), "Agora <agora@acme.test>"),
    );
    agora_jobs::moderation::register(&mut registry, app.db.clone(), Arc::new(app.clock.clone()));
    Worker::new(
        app.db.clone(),
        registry,
        Arc::new(app.clock.clone()),
        WorkerSettings::default(),
        Arc::new(JobOutcomeCounters::default()),
    )
}

async fn the_moderation_flow(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    let (newcomer, regular_a, regular_b, hostile, bystander) = (
        app.add_member("Nia Newcomer").await,
        app.add_member("Reg Alpha").await,
        app.add_member("Reg Beta").await,
        app.add_member("Hugo Hostile").await,
        app.add_member("Bea Bystander").await,
    );
    for person in [&newcomer, &regular_a, &regular_b, &hostile, &bystander] {
        join(&app, riders, person).await;
    }
    for person in [&regular_a, &regular_b, &hostile, &bystander] {
        app.set_trust(person, 3).await;
    }
    // The local toxicity score would hold the hostile reply below; here it
    // only alerts, so that the reply is published and the flags act on it.
    let saved = app
        .as_browser(
            Method::POST,
            "/w/acme/moderation/settings",
            Some(Role::CommunityManager),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("hide_threshold", "8"),
            ("new_member_links", "2"),
            ("toxicity_action", "alert"),
        ])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_redirection(), "{}", saved.status());

    // A newcomer's post with three links is held, not published.
    let spam = "Win a bike! https://win.example/a https://win.example/b https://win.example/c";
    let (status, held) = thread(&app, riders, &newcomer, "Giveaway", spam).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    assert_eq!(held["held"], json!(true));
    let threads: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{riders}/threads"),
            &bystander,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !threads.to_string().contains("Giveaway"),
        "held posts are not shown"
    );
    // The same three links from a regular go through.
    let (status, _) = thread(&app, riders, &regular_a, "Links for the ride", spam).await;
    assert_eq!(status, StatusCode::CREATED);

    // The queue shows the held post with its reason; a moderator removes it.
    let (status, queue) = status_and_json(
        app.as_api(Method::GET, "/api/v1/w/acme/review-queue", Role::Moderator)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["kind"] == "held")
        .unwrap_or_else(|| panic!("{queue}"))
        .clone();
    assert!(
        item["reasons"][0]
            .as_str()
            .unwrap()
            .contains("3 links from a new member"),
        "{item}"
    );
    let (status, decided) = status_and_json(
        app.as_api(
            Method::POST,
            &format!("/api/v1/w/acme/review-queue/{}/decision", item["id"]),
            Role::Moderator,
        )
        .json(&json!({"decision": "agree"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (StatusCode::OK, Some("agreed")),
        "{decided}"
    );
    let (status, _) = status_and_json(
        app.as_api(
            Method::POST,
            &format!("/api/v1/w/acme/review-queue/{}/decision", item["id"]),
            Role::CommunityManager,
        )
        .json(&json!({"decision": "disagree"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");

    // Two regulars flag a hostile reply: it is hidden from members.
    let (_, topic) = thread(
        &app,
        riders,
        &bystander,
        "Sunday loop",
        "Who is in for 80 km?",
    )
    .await;
    let topic = topic["id"].as_i64().unwrap();
    let (status, hostile_reply) = reply(
        &app,
        topic,
        &hostile,
        "Nobody wants you on this ride, go away.",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hostile_reply}");
    let hostile_reply = hostile_reply["id"].as_i64().unwrap();
    let flag = |person: &Person| {
        app.as_person(Method::POST, "/api/v1/w/acme/flags", person)
            .json(&json!({"content_type": "reply", "content_id": hostile_reply, "reason": "harassment"}))
            .send()
    };
    let (status, first) = status_and_json(flag(&regular_a).await.unwrap()).await;
    assert_eq!(
        (status, first["weight"].as_i64(), first["hidden"].as_bool()),
        (StatusCode::CREATED, Some(4), Some(false)),
        "{first}"
    );
    let (status, again) = status_and_json(flag(&regular_a).await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one flag per member: {again}"
    );
    let (_, second) = status_and_json(flag(&regular_b).await.unwrap()).await;
    assert_eq!(
        (second["score"].as_i64(), second["hidden"].as_bool()),
        (Some(8), Some(true)),
        "{second}"
    );
    let seen: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{topic}"),
            &bystander,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["replies"][0]["body"],
        json!(""),
        "hidden from members: {seen}"
    );
    assert_eq!(seen["replies"][0]["state"], json!("hidden"));
    let own: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{topic}"),
            &hostile,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        own["replies"][0]["body"]
            .as_str()
            .unwrap()
            .contains("Nobody wants you"),
        "its author still sees it"
    );
    let log: Value = app
        .as_person(Method::GET, "/api/v1/w/acme/moderation-log", &bystander)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log.to_string().contains("hidden_by_flags"), "{log}");
    assert!(
        !log.to_string().contains("Hugo"),
        "names hidden by default: {log}"
    );

    // The moderator suspends the author for a day: no posting (API), with the reason.
    let hostile_id = member_id(&app, &hostile).await;
    let (status, sanction) = status_and_json(
        app.as_api(Method::POST, &format!("/api/v1/w/acme/members/{hostile_id}/sanctions"), Role::Moderator)
            .json(&json!({"kind": "suspend", "hours": 24, "reason": "Told a member to go away", "rule": "Be kind"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sanction}");
    // The member is told by e-mail, with the reason, the rule and where to appeal.
    let outbox = agora_testkit::TempDir::new("moderation-outbox");
    let mailer = worker_with_outbox(&app, outbox.path());
    while mailer.run_once().await.unwrap() > 0 {}
    let mails: Vec<String> = std::fs::read_dir(outbox.path())
        .unwrap()
        // Quoted-printable: soft line breaks joined.
        .map(|entry| {
            std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .replace("=\r\n", "")
        })
        .collect();
    assert!(
        mails
            .iter()
            .any(|mail| mail.contains("To: hugo.hostile@acme.test")
                && mail.contains("Told a member to go away")
                && mail.contains("/w/acme/moderation/mine")),
        "{mails:?}"
    );
    let (status, refused) = reply(&app, topic, &hostile, "I'm sorry").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let why = refused["title"].as_str().unwrap();
    assert!(
        why.contains("suspended")
            && why.contains("Told a member to go away")
            && why.contains("Be kind"),
        "{why}"
    );
    let page = app
        .browser_as(Method::GET, &format!("/w/acme/threads/{topic}"), &hostile)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("standing-notice") && page.contains("Told a member to go away"),
        "the page says why"
    );

    // An appeal: the moderator who acted may not decide it; nor may the appellant; another moderator does.
    let action_id = sanction["action_id"].as_i64().unwrap();
    let (status, appeal) = status_and_json(
        app.as_person(Method::POST, "/api/v1/w/acme/appeals", &hostile)
            .json(&json!({"action_id": action_id, "text": "short"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, appeal["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/text"))
    );
    let (status, appeal) = status_and_json(
        app.as_person(Method::POST, "/api/v1/w/acme/appeals", &hostile)
            .json(&json!({"action_id": action_id, "text": "I was quoting a film; I apologised right after."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{appeal}");
    let queue: Value = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/review-queue?kind=appeal",
            Role::Moderator,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let appeal_item = queue[0]["id"].as_i64().unwrap_or_else(|| panic!("{queue}"));
    let decide = |role: Role, decision: &str| {
        app.as_api(
            Method::POST,
            &format!("/api/v1/w/acme/review-queue/{appeal_item}/decision"),
            role,
        )
        .json(&json!({"decision": decision, "reason": "The film quote was clear in context."}))
        .send()
    };
    let (status, refused) = status_and_json(decide(Role::Moderator, "agree").await.unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["title"]
            .as_str()
            .unwrap()
            .contains("different moderator")
    );
    let (status, upheld) =
        status_and_json(decide(Role::CommunityManager, "agree").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{upheld}");
    let (status, _) = reply(&app, topic, &hostile, "Thank you, and sorry again.").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the suspension was lifted by the appeal"
    );

    // A mute expires through the job queue when the clock reaches its end.
    let (status, _) = status_and_json(
        app.as_api(
            Method::POST,
            &format!("/api/v1/w/acme/members/{hostile_id}/sanctions"),
            Role::Moderator,
        )
        .json(&json!({"kind": "mute", "hours": 2, "space_id": riders, "reason": "Cooling off"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        reply(&app, topic, &hostile, "Muted, am I?").await.0,
        StatusCode::FORBIDDEN
    );
    let worker = worker(&app);
    app.clock.advance_seconds(2 * 3_600 + 1);
    while worker.run_once().await.unwrap() > 0 {}
    let sanctions = app.db.sanctions_of(hostile_id).await.unwrap();
    assert_eq!(
        sanctions[0].ended_reason.as_deref(),
        Some("expired"),
        "the job ended it"
    );
    assert_eq!(
        reply(&app, topic, &hostile, "Back to the ride plans.")
            .await
            .0,
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moderation_flow_on_sqlite() {
    the_moderation_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moderation_flow_on_postgres() {
    the_moderation_flow(Backend::Postgres).await;
}

async fn automod_rules_and_bad_patterns(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    let member = app.add_member("Mel Member").await;
    join(&app, riders, &member).await;
    let member_id = member_id(&app, &member).await;
    app.set_trust(&member, 2).await;
    let rule = |body: Value| {
        app.as_api(
            Method::POST,
            "/api/v1/w/acme/automod/rules",
            Role::CommunityManager,
        )
        .json(&body)
        .send()
    };
    // An invalid pattern is refused with the parser's message, at the field.
    let (status, problem) = status_and_json(
        rule(json!({"matcher": "regex", "pattern": "(free money", "action": "hold"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["pointer"], json!("/pattern"));
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("unclosed group"),
        "{problem}"
    );
    // The same in the form: the field shows the message and the text is kept.
    let page = app
        .as_browser(
            Method::POST,
            "/w/acme/moderation/rules",
            Some(Role::CommunityManager),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("matcher", "regex"),
            ("pattern", "(free money"),
            ("action", "hold"),
            ("note", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("unclosed group") && html.contains(">(free money</textarea>"),
        "message shown, pattern kept"
    );

    let (status, _) = status_and_json(rule(json!({"matcher": "words", "pattern": "crypto*, pyramid scheme", "action": "block", "note": "No investment pitches"})).await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    // A catastrophic pattern is accepted and cannot stall the server.
    let (status, _) = status_and_json(
        rule(
            json!({"matcher": "regex", "pattern": "(x+x+)+y", "action": "hold", "note": "x-storm"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, alert) = status_and_json(
        rule(
            json!({"matcher": "words", "pattern": "refund", "action": "alert", "note": "billing"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    let listed: Value = app
        .as_api(Method::GET, "/api/v1/w/acme/automod/rules", Role::Moderator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);

    let (status, blocked) = thread(
        &app,
        riders,
        &member,
        "Side income",
        "Join my cryptocurrency club",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blocked["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("No investment pitches"),
        "{blocked}"
    );
    let storm = format!("{}!", "x".repeat(15_000));
    let (status, _) = thread(&app, riders, &member, "Storm", &storm).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "checked in linear time, no match"
    );
    let (status, _) = thread(&app, riders, &member, "Storm two", "xxxxxxy").await;
    assert_eq!(status, StatusCode::ACCEPTED, "held by the pattern");
    let (status, published) = thread(
        &app,
        riders,
        &member,
        "Billing",
        "How do I get a refund for the jersey?",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "alerts publish");
    let queue: Value = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/review-queue?kind=flagged",
            Role::Moderator,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        queue[0]["content"]["id"], published["id"],
        "and alert moderators: {queue}"
    );

    // Duplicates and the local toxicity score hold; neither sanctions.
    let text = "Anyone up for the coffee ride on Saturday morning?";
    assert_eq!(
        thread(&app, riders, &member, "Coffee ride", text).await.0,
        StatusCode::CREATED
    );
    let (status, held) = thread(&app, riders, &member, "Coffee ride!", text).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    let (status, _) = thread(
        &app,
        riders,
        &member,
        "Opinion",
        "You are a pathetic idiot and everyone here hates you",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let queue: Value = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/review-queue?kind=held",
            Role::Moderator,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reasons = queue.to_string();
    assert!(
        reasons.contains("the same text as one of the author's posts"),
        "{reasons}"
    );
    assert!(reasons.contains("toxicity score"), "{reasons}");
    assert!(
        app.db.sanctions_of(member_id).await.unwrap().is_empty(),
        "the score never sanctions"
    );

    // Flood limit by trust level: a newcomer may post 3 per 30 s, a contributor (2) 8.
    let newcomer = app.add_member("Ned Newcomer").await;
    join(&app, riders, &newcomer).await;
    for n in 0..3 {
        assert_eq!(
            reply(
                &app,
                published["id"].as_i64().unwrap(),
                &newcomer,
                &format!("Reply number {n} about refunds and jerseys")
            )
            .await
            .0,
            StatusCode::CREATED
        );
    }
    let (status, _) = reply(
        &app,
        published["id"].as_i64().unwrap(),
        &newcomer,
        "One more reply about the jersey",
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automod_rules_and_bad_patterns_on_sqlite() {
    automod_rules_and_bad_patterns(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automod_rules_and_bad_patterns_on_postgres() {
    automod_rules_and_bad_patterns(Backend::Postgres).await;
}

async fn who_may_moderate(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (north, south) = (group(&app, "north").await, group(&app, "south").await);
    let (keeper, member, poster) = (
        app.add_member("Kim Keeper").await,
        app.add_member("Max Member").await,
        app.add_member("Pat Poster").await,
    );
    for person in [&keeper, &member, &poster] {
        join(&app, north, person).await;
        join(&app, south, person).await;
    }
    let keeper_id = member_id(&app, &keeper).await;
    let poster_id = member_id(&app, &poster).await;
    // Kim moderates North only.
    app.db
        .upsert_group_membership(&agora_core::community::GroupMembership {
            space_id: north,
            member_id: keeper_id,
            role: agora_core::community::GroupRole::Moderator,
            active: true,
            rules_version: 1,
            joined_at: app.clock.now(),
        })
        .await
        .unwrap();
    let links = "Deals https://a.example/1 https://a.example/2 https://a.example/3";
    let (_, held_north) = thread(&app, north, &poster, "Deals north", links).await;
    let (_, held_south) = thread(
        &app,
        south,
        &poster,
        "Deals south",
        &format!("{links} again"),
    )
    .await;

    // A member reaches no moderation route: pages and API.
    for (method, path) in [
        (Method::GET, "/w/acme/moderation".to_owned()),
        (
            Method::POST,
            format!(
                "/w/acme/moderation/items/{}/decision",
                held_north["review_item_id"]
            ),
        ),
        (
            Method::POST,
            format!("/w/acme/moderation/members/{poster_id}/sanctions"),
        ),
        (Method::GET, "/w/acme/moderation/settings".to_owned()),
        (Method::GET, "/w/acme/moderation/audit".to_owned()),
        (Method::POST, "/w/acme/moderation/rules".to_owned()),
    ] {
        let response = app
            .browser_as(method.clone(), &path, &member)
            .header("x-csrf-token", &app.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    for (method, path, body) in [
        (
            Method::GET,
            "/api/v1/w/acme/review-queue".to_owned(),
            json!(null),
        ),
        (
            Method::POST,
            format!(
                "/api/v1/w/acme/review-queue/{}/decision",
                held_north["review_item_id"]
            ),
            json!({"decision": "agree"}),
        ),
        (
            Method::POST,
            format!("/api/v1/w/acme/members/{poster_id}/sanctions"),
            json!({"kind": "warn", "reason": "x"}),
        ),
        (
            Method::POST,
            "/api/v1/w/acme/automod/rules".to_owned(),
            json!({"matcher": "words", "pattern": "x", "action": "block"}),
        ),
        (
            Method::GET,
            "/api/v1/w/acme/audit-log".to_owned(),
            json!(null),
        ),
    ] {
        let response = app
            .as_person(method.clone(), &path, &member)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }

    // A group's moderator sees and decides their group's items only.
    let (status, queue) = status_and_json(
        app.as_person(Method::GET, "/api/v1/w/acme/review-queue", &keeper)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![held_north["review_item_id"].as_i64().unwrap()]);
    let decide = |item: &Value| {
        app.as_person(
            Method::POST,
            &format!(
                "/api/v1/w/acme/review-queue/{}/decision",
                item["review_item_id"]
            ),
            &keeper,
        )
        .json(&json!({"decision": "agree"}))
        .send()
    };
    assert_eq!(
        decide(&held_south).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(decide(&held_north).await.unwrap().status(), StatusCode::OK);
    let page = app
        .browser_as(Method::GET, "/w/acme/moderation", &keeper)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the queue page opens for a group's moderator"
    );
    // A group moderator mutes in their group, not in another; suspends nobody.
    let sanction = |body: Value| {
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/members/{poster_id}/sanctions"),
            &keeper,
        )
        .json(&body)
        .send()
    };
    assert_eq!(
        sanction(json!({"kind": "mute", "hours": 5, "space_id": south, "reason": "Spam"}))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sanction(json!({"kind": "suspend", "hours": 5, "reason": "Spam"}))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let (status, mute) = status_and_json(
        sanction(json!({"kind": "mute", "hours": 5, "space_id": north, "reason": "Spam links"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mute}");

    // Nobody decides their own appeal: Kim, sanctioned by a workspace moderator, appeals and cannot decide it.
    let (_, warning) = status_and_json(
        app.as_api(
            Method::POST,
            &format!("/api/v1/w/acme/members/{keeper_id}/sanctions"),
            Role::Moderator,
        )
        .json(&json!({"kind": "mute", "hours": 3, "space_id": north, "reason": "Heated reply"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let (status, _) = status_and_json(
        app.as_person(Method::POST, "/api/v1/w/acme/appeals", &keeper)
            .json(&json!({"action_id": warning["action_id"], "text": "It was a joke between friends."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let queue: Value = app
        .as_person(
            Method::GET,
            "/api/v1/w/acme/review-queue?kind=appeal",
            &keeper,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own = queue[0]["id"].as_i64().unwrap_or_else(|| panic!("{queue}"));
    let (status, problem) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/review-queue/{own}/decision"),
            &keeper,
        )
        .json(&json!({"decision": "agree"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        problem["title"].as_str().unwrap().contains("own appeal"),
        "{problem}"
    );
    // Another member's action is not theirs to appeal.
    let (status, _) = status_and_json(
        app.as_person(Method::POST, "/api/v1/w/acme/appeals", &member)
            .json(&json!({"action_id": mute["action_id"], "text": "Unfair to my friend Pat."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_moderate_on_sqlite() {
    who_may_moderate(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_moderate_on_postgres() {
    who_may_moderate(Backend::Postgres).await;
}

async fn new_members_wait_for_approval(backend: Backend) {
    use agora_core::accounts::{AccountStore, DisplayName, Email};
    use agora_core::secrets::{random_token, token_digest};
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    app.db
        .set_signup_open(app.workspace.id, true)
        .await
        .unwrap();
    let saved = app
        .as_browser(
            Method::POST,
            "/w/acme/moderation/settings",
            Some(Role::CommunityManager),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("hide_threshold", "8"),
            ("new_member_links", "2"),
            ("toxicity_action", "hold"),
            ("approve_new_members", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_redirection());
    // Someone with an account joins the open workspace by themselves.
    let now = app.clock.now();
    let account = app
        .db
        .create_account(
            &Email::parse("sol@elsewhere.test").unwrap(),
            &DisplayName::parse("Sol Self").unwrap(),
            "unused",
            now,
        )
        .await
        .unwrap();
    let session = random_token(32);
    app.db
        .create_session(
            &token_digest(&session),
            account.id,
            now,
            now.plus_seconds(86_400),
        )
        .await
        .unwrap();
    let token = format!("agp_{}", random_token(32));
    app.db
        .create_api_token(account.id, "test", &token_digest(&token), &token[..10], now)
        .await
        .unwrap();
    let sol = Person {
        email: "sol@elsewhere.test".into(),
        session,
        token,
    };
    let joined = app
        .browser_as(Method::POST, "/w/acme/join", &sol)
        .header("x-csrf-token", &app.csrf)
        .send()
        .await
        .unwrap();
    assert!(joined.status().is_redirection(), "{}", joined.status());
    join(&app, riders, &sol).await;
    let (status, refused) = thread(&app, riders, &sol, "Hello", "New here, hello all!").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        refused["title"]
            .as_str()
            .unwrap()
            .contains("waiting for a moderator's approval"),
        "{refused}"
    );
    let queue: Value = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/review-queue?kind=member",
            Role::Moderator,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["subject_name"], json!("Sol Self"), "{queue}");
    let decided = app
        .as_api(
            Method::POST,
            &format!("/api/v1/w/acme/review-queue/{}/decision", queue[0]["id"]),
            Role::Moderator,
        )
        .json(&json!({"decision": "agree"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::OK);
    assert_eq!(
        thread(&app, riders, &sol, "Hello", "New here, hello all!")
            .await
            .0,
        StatusCode::CREATED
    );
    // Invited members (added by an admin) never wait.
    let invited = app.add_member("Ivy Invited").await;
    join(&app, riders, &invited).await;
    assert_eq!(
        thread(
            &app,
            riders,
            &invited,
            "Hi",
            "Invited and posting right away."
        )
        .await
        .0,
        StatusCode::CREATED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_members_wait_for_approval_on_sqlite() {
    new_members_wait_for_approval(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_members_wait_for_approval_on_postgres() {
    new_members_wait_for_approval(Backend::Postgres).await;
}

async fn a_new_code_of_conduct_is_accepted_before_posting(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    let member = app.add_member("Cal Conduct").await;
    join(&app, riders, &member).await;
    let publish = |text: &'static str| {
        app.as_browser(
            Method::POST,
            "/w/acme/moderation/conduct",
            Some(Role::CommunityManager),
        )
        .form(&[("csrf", app.csrf.as_str()), ("conduct", text)])
        .send()
    };
    let accept = |version: &'static str| {
        app.browser_as(Method::POST, "/w/acme/conduct/accept", &member)
            .form(&[("csrf", app.csrf.as_str()), ("version", version)])
            .send()
    };
    assert!(publish("Be kind.").await.unwrap().status().is_redirection());
    let (status, refused) = thread(&app, riders, &member, "Hello", "First post here, hello!").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        refused["title"]
            .as_str()
            .unwrap()
            .contains("code of conduct (version 1)"),
        "{refused}"
    );
    let page = app
        .browser_as(Method::GET, "/w/acme/groups/riders", &member)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("conduct-notice"),
        "the group page points to the code of conduct"
    );
    assert!(accept("1").await.unwrap().status().is_redirection());
    assert_eq!(
        thread(&app, riders, &member, "Hello", "First post here, hello!")
            .await
            .0,
        StatusCode::CREATED
    );
    // A new version: accept again before posting; accepting the version read before does not count.
    assert!(
        publish("Be kind. No selling.")
            .await
            .unwrap()
            .status()
            .is_redirection()
    );
    assert_eq!(
        reply_to_first(&app, riders, &member).await,
        StatusCode::FORBIDDEN
    );
    assert!(accept("1").await.unwrap().status().is_redirection());
    assert_eq!(
        reply_to_first(&app, riders, &member).await,
        StatusCode::FORBIDDEN
    );
    let page = app
        .browser_as(Method::GET, "/w/acme/conduct", &member)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("No selling") && page.contains("accepted version 1"),
        "the new text, and what was accepted"
    );
    assert!(accept("2").await.unwrap().status().is_redirection());
    assert_eq!(
        reply_to_first(&app, riders, &member).await,
        StatusCode::CREATED
    );
}

async fn reply_to_first(app: &TestApp, group: i64, person: &Person) -> StatusCode {
    let threads: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            person,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = threads[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{threads}"));
    reply(
        app,
        id,
        person,
        "Agreed with the new code; see you on Sunday.",
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_code_of_conduct_is_accepted_before_posting_on_sqlite() {
    a_new_code_of_conduct_is_accepted_before_posting(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_code_of_conduct_is_accepted_before_posting_on_postgres() {
    a_new_code_of_conduct_is_accepted_before_posting(Backend::Postgres).await;
}

async fn trust_levels_are_computed_daily(backend: Backend) {
    use agora_core::jobs::JobStore;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    let (reader, writer) = (
        app.add_member("Rita Reader").await,
        app.add_member("Wes Writer").await,
    );
    join(&app, riders, &reader).await;
    join(&app, riders, &writer).await;
    app.set_trust(&writer, 2).await;
    let mut threads = Vec::new();
    for n in 0..5 {
        let (_, created) = thread(
            &app,
            riders,
            &writer,
            &format!("Route {n}"),
            &format!("Route number {n} of the autumn series."),
        )
        .await;
        threads.push(created["id"].as_i64().unwrap());
    }
    let reader_id = member_id(&app, &reader).await;
    let worker = worker(&app);
    let run = agora_jobs::moderation::next_trust_run(app.clock.now());
    app.db
        .enqueue(&agora_jobs::moderation::trust_job(run), app.clock.now())
        .await
        .unwrap();
    // Day one: the reader reads two threads. The daily run: still level 0.
    for id in &threads[..2] {
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{id}"),
            &reader,
        )
        .send()
        .await
        .unwrap();
    }
    app.clock.set(run);
    while worker.run_once().await.unwrap() > 0 {}
    assert_eq!(app.db.trust_of(reader_id).await.unwrap().level, 0);
    // The next day: three more threads read, a second day visited: level 1 at the next run.
    app.clock.advance_seconds(86_400);
    for id in &threads[2..] {
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{id}"),
            &reader,
        )
        .send()
        .await
        .unwrap();
    }
    app.clock
        .set(agora_jobs::moderation::next_trust_run(app.clock.now()));
    while worker.run_once().await.unwrap() > 0 {}
    let rows = app.db.trust_rows(app.workspace.id).await.unwrap();
    let row = rows.iter().find(|row| row.member_id == reader_id).unwrap();
    assert_eq!(
        (
            row.state.level,
            row.inputs.days_visited,
            row.inputs.threads_read
        ),
        (1, 2, 5),
        "{row:?}"
    );
    assert_eq!(
        app.db
            .trust_of(member_id(&app, &writer).await)
            .await
            .unwrap()
            .level,
        2,
        "a level set by hand stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_levels_are_computed_daily_on_sqlite() {
    trust_levels_are_computed_daily(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_levels_are_computed_daily_on_postgres() {
    trust_levels_are_computed_daily(Backend::Postgres).await;
}

async fn trust_unlocks_invitations(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let riders = group(&app, "riders").await;
    let (goer, friend) = (
        app.add_member("Gil Goer").await,
        app.add_member("Fay Friend").await,
    );
    join(&app, riders, &goer).await;
    join(&app, riders, &friend).await;
    let day = |days: i64| {
        app.clock
            .now()
            .plus_seconds(days * 86_400)
            .to_datetime()
            .format("%Y-%m-%dT09:00")
            .to_string()
    };
    let (status, event) = status_and_json(
        app.as_api(Method::POST, "/api/v1/w/acme/events", Role::CommunityManager)
            .json(&json!({"group_id": riders, "title": "Coffee ride", "timezone": "UTC", "starts_at": day(3), "ends_at": day(4), "format": "offline", "venue": "Café"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let id = event["id"].as_i64().unwrap();
    let going = app
        .as_person(
            Method::PUT,
            &format!("/api/v1/w/acme/events/{id}/rsvp"),
            &goer,
        )
        .json(&json!({"state": "going"}))
        .send()
        .await
        .unwrap();
    assert!(going.status().is_success());
    let invite = || {
        app.browser_as(Method::POST, &format!("/w/acme/events/{id}/invite"), &goer)
            .form(&[("csrf", app.csrf.as_str()), ("handles", "@fay-friend")])
            .send()
    };
    let refused = invite().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("unlocks at trust level 2")
    );
    let page = app
        .browser_as(Method::GET, &format!("/w/acme/events/{id}"), &goer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Bring someone"));
    app.set_trust(&goer, 2).await;
    let page = app
        .browser_as(Method::GET, &format!("/w/acme/events/{id}"), &goer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Bring someone"),
        "the form appears at level 2"
    );
    let invited = invite().await.unwrap();
    assert!(invited.status().is_redirection(), "{}", invited.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_unlocks_invitations_on_sqlite() {
    trust_unlocks_invitations(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_unlocks_invitations_on_postgres() {
    trust_unlocks_invitations(Backend::Postgres).await;
}
