//! The community over HTTP: joining with rules, questions, answers, mentions,
//! notifications, accepted answers and search; privacy of private groups in
//! pages, API, search and notifications; XSS payloads rendered harmless; bad
//! input answered clearly with nothing lost.

use agora_core::accounts::Role;
use agora_core::analytics::InteractionStore;
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

async fn create_group(app: &TestApp, slug: &str, visibility: &str) -> i64 {
    let created: Value = app
        .as_api(Method::POST, "/api/v1/w/acme/groups", Role::CommunityManager)
        .json(&json!({"slug": slug, "name": slug.to_uppercase(), "visibility": visibility, "rules": "Be **kind**."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{created}"))
}

async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn the_question_and_answer_flow(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let group = create_group(&app, "repair", "public").await;
    let (asker, helper, third) = (
        app.add_member("Asa Asker").await,
        app.add_member("Hal Helper").await,
        app.add_member("Tia Third").await,
    );

    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &asker,
        )
        .json(&json!({"title": "Chain skips", "body": "Help"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "must join first: {body}");
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/join"),
            &asker,
        )
        .json(&json!({"accept_rules": false}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/accept_rules"))
    );
    for person in [&asker, &helper, &third] {
        let (status, body) = status_and_json(
            app.as_person(
                Method::POST,
                &format!("/api/v1/w/acme/groups/{group}/join"),
                person,
            )
            .json(&json!({"accept_rules": true}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body["active"].as_bool()),
            (StatusCode::OK, Some(true))
        );
    }

    let (status, thread) = status_and_json(
        app.as_person(Method::POST, &format!("/api/v1/w/acme/groups/{group}/threads"), &asker)
            .json(&json!({"title": "Chain skips on the third cog", "body": "It skips under load. Ideas?", "kind": "question"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{thread}");
    let thread_id = thread["id"].as_i64().unwrap();
    let (status, reply) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            &helper,
        )
        .json(&json!({"body": "Measure the chain; @tia-third had the same issue."}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let reply_id = reply["id"].as_i64().unwrap();

    let badge = app
        .browser_as(Method::GET, "/w/acme/notifications/badge", &third)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        badge.contains("<span class=\"count\">1</span>")
            && badge.contains("hx-trigger=\"every 10s\""),
        "the third member's badge: {badge}"
    );

    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/accept"),
            &helper,
        )
        .json(&json!({"reply_id": reply_id}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the asker accepts: {body}"
    );
    let accepted = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/accept"),
            &asker,
        )
        .json(&json!({"reply_id": reply_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::NO_CONTENT);
    let reacted: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/replies/{reply_id}/reactions"),
            &third,
        )
        .json(&json!({"emoji": "👍"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reacted["reactions"], json!([["👍", 1]]));

    let hits: Value = app
        .as_person(
            Method::GET,
            "/api/v1/w/acme/search?q=chain%20skips&solved=true",
            &third,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits[0]["thread_id"].as_i64(), Some(thread_id), "{hits}");
    let page = app
        .browser_as(Method::GET, &format!("/w/acme/threads/{thread_id}"), &third)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("✓ accepted answer"),
        "thread page shows the accepted answer"
    );

    let activity = app
        .db
        .space_activity(app.workspace.id, agora_core::Timestamp(0))
        .await
        .unwrap();
    let repair = activity
        .iter()
        .find(|space| space.space_id == group)
        .unwrap();
    assert!(
        repair.n_member_to_member >= 4,
        "reply, mention, acceptance and reaction between members: {repair:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answer_mention_accept_and_search_on_sqlite() {
    the_question_and_answer_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answer_mention_accept_and_search_on_postgres() {
    the_question_and_answer_flow(Backend::Postgres).await;
}

#[tokio::test]
async fn a_private_groups_threads_never_reach_non_members() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "inner-circle", "private").await;
    let hidden = create_group(&app, "hidden", "invite_only").await;
    let insider = app.add_member("Ina Insider").await;
    let outsider = app.add_member("Otto Outsider").await;

    // The insider asks, a moderator approves, and the insider posts a thread mentioning the outsider.
    let (_, pending) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/join"),
            &insider,
        )
        .json(&json!({"accept_rules": true}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(pending["active"], false, "a private group needs approval");
    let member_id = pending["member_id"].as_i64().unwrap();
    let approved = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/groups/inner-circle/requests/{member_id}/approve"),
            Some(Role::Moderator),
        )
        .form(&[("csrf", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let thread: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &insider,
        )
        .json(
            &json!({"title": "Secret roadmap", "body": "Confidential roadmap for @otto-outsider"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap();

    // Pages.
    let page = app
        .browser_as(
            Method::GET,
            &format!("/w/acme/threads/{thread_id}"),
            &outsider,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let group_page = app
        .browser_as(Method::GET, "/w/acme/groups/inner-circle", &outsider)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!group_page.contains("Secret roadmap") && group_page.contains("for its members"));
    let community = app
        .browser_as(Method::GET, "/w/acme/community", &outsider)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !community.contains("Secret roadmap") && !community.contains("HIDDEN"),
        "invite-only groups are not listed"
    );
    assert_eq!(
        app.browser_as(Method::GET, "/w/acme/groups/hidden", &outsider)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // API.
    assert_eq!(
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{thread_id}"),
            &outsider
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &outsider
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{hidden}/threads"),
            &outsider
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::NOT_FOUND
    );
    let groups: Value = app
        .as_person(Method::GET, "/api/v1/w/acme/groups", &outsider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        groups
            .as_array()
            .unwrap()
            .iter()
            .all(|group| group["slug"] != "hidden")
    );
    // Search.
    let hits: Value = app
        .as_person(Method::GET, "/api/v1/w/acme/search?q=roadmap", &outsider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits, json!([]));
    let hits: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/search?q=roadmap&group={group}"),
            &outsider,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits, json!([]), "naming the group does not widen access");
    let search_page = app
        .browser_as(Method::GET, "/w/acme/search?q=roadmap", &outsider)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!search_page.contains("Secret roadmap"));
    let insider_hits: Value = app
        .as_person(Method::GET, "/api/v1/w/acme/search?q=roadmap", &insider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(insider_hits.as_array().unwrap().len(), 1);
    // Notifications: the mention did not reach the outsider.
    let notifications = app
        .browser_as(Method::GET, "/w/acme/notifications", &outsider)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notifications.contains("Nothing yet"), "{notifications}");
}

#[tokio::test]
async fn xss_payloads_are_rendered_harmless() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "open", "public").await;
    let author = app.add_member("<img src=x onerror=alert(1)>").await;
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        &author,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap();
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "[click](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<style>body{display:none}</style>",
        "<div onmouseover=\"alert(1)\">hover</div>",
        "\"><script>alert(1)</script>",
        "<body onload=alert(1)>",
        "![x](javascript:alert(1))",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ];
    let body = payloads.join("\n\n");
    // Trusted enough to post images (new members' images are held for review).
    app.set_trust(&author, 2).await;
    let thread: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &author,
        )
        .json(&json!({"title": "<script>alert('title')</script>", "body": body}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap_or_else(|| panic!("{thread}"));
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
        &author,
    )
    // Not the same text again (that would be held as a duplicate).
    .json(&json!({"body": format!("Once more, quoted:\n\n{body}")}))
    .send()
    .await
    .unwrap();
    for path in [
        format!("/w/acme/threads/{thread_id}"),
        "/w/acme/groups/open".into(),
        "/w/acme/community".into(),
        "/w/acme/search?q=alert".into(),
    ] {
        let html = app
            .browser_as(Method::GET, &path, &author)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let main = html.split("<main").nth(1).unwrap_or_default();
        // Escaped text never contains `<`, so every `<` here starts a real tag: inspect each one.
        for tag in main
            .split('<')
            .skip(1)
            .map(|rest| rest.split('>').next().unwrap_or_default().to_lowercase())
        {
            let name = tag.split_whitespace().next().unwrap_or_default();
            assert!(
                !["script", "iframe", "style", "svg", "math", "body"].contains(&name),
                "<{tag}> survived on {path}"
            );
            assert!(!tag.contains("javascript:"), "<{tag}> survived on {path}");
            let has_handler = tag
                .split_whitespace()
                .skip(1)
                .any(|attribute| attribute.starts_with("on") && attribute.contains('='));
            assert!(
                !has_handler,
                "an event handler survived in <{tag}> on {path}"
            );
        }
        assert!(
            html.contains("&#60;script&#62;alert(") || !path.contains("threads"),
            "the title is shown escaped on {path}: {}",
            html.split("<h1>")
                .nth(1)
                .unwrap_or_default()
                .split("</h1>")
                .next()
                .unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn bad_posts_get_clear_messages_and_keep_the_text() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "open", "public").await;
    let author = app.add_member("Pat Poster").await;
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        &author,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap();
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &author,
        )
        .json(&json!({"title": "  ", "body": "x"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/title"))
    );
    let huge = "word ".repeat(5_000);
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &author,
        )
        .json(&json!({"title": "Long", "body": huge}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("at most 20000 characters"),
        "{body}"
    );

    let response = app
        .browser_as(Method::POST, "/w/acme/groups/open/threads", &author)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("title", ""),
            ("body", "My carefully written question"),
            ("kind", "question"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"title-error\">give the thread a title</p>"));
    assert!(
        html.contains(">My carefully written question</textarea>"),
        "the text is kept"
    );
    assert!(
        html.contains("value=\"question\" checked"),
        "the kind is kept"
    );
}

#[tokio::test]
async fn locked_threads_refuse_replies_and_the_support_view_lists_the_unanswered() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "help", "public").await;
    let asker = app.add_member("Ann Asker").await;
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        &asker,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap();
    let thread: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &asker,
        )
        .json(&json!({"title": "Nobody answers me", "body": "Hello?", "kind": "question"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap();

    app.clock.advance_seconds(30 * 3_600);
    let support = app
        .as_browser(
            Method::GET,
            "/w/acme/support?hours=24",
            Some(Role::Moderator),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        support.contains("Nobody answers me") && support.contains("30 h"),
        "listed as waiting for 30 h: {}",
        support.split("<main").nth(1).unwrap_or_default()
    );
    let member_view = app
        .browser_as(Method::GET, "/w/acme/support", &asker)
        .send()
        .await
        .unwrap();
    assert_eq!(member_view.status(), StatusCode::FORBIDDEN);

    let locked = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/threads/{thread_id}/moderate"),
            Some(Role::Moderator),
        )
        .form(&[("csrf", app.csrf.as_str()), ("action", "lock")])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), StatusCode::SEE_OTHER);
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            &asker,
        )
        .json(&json!({"body": "bump"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["title"].as_str().unwrap().contains("locked"), "{body}");
    let staff_reply = app
        .as_api(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            Role::CommunityManager,
        )
        .json(&json!({"body": "Answered by staff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        staff_reply.status(),
        StatusCode::CREATED,
        "staff still answer in locked threads"
    );
    let support = app
        .as_browser(
            Method::GET,
            "/w/acme/support?hours=24",
            Some(Role::Moderator),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!support.contains("Nobody answers me"), "answered now");
    assert!(
        support.contains("30.0 h"),
        "staff's median first answer: {support}"
    );
}

#[tokio::test]
async fn only_authors_edit_and_authors_or_moderators_delete() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "talk", "public").await;
    let (author, other) = (
        app.add_member("Ada Author").await,
        app.add_member("Otto Other").await,
    );
    for person in [&author, &other] {
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/join"),
            person,
        )
        .json(&json!({"accept_rules": true}))
        .send()
        .await
        .unwrap();
    }
    let thread: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &author,
        )
        .json(&json!({"title": "Topic", "body": "Start"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap();
    let reply: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            &author,
        )
        .json(&json!({"body": "Original"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reply_id = reply["id"].as_i64().unwrap();

    let edit = |person| {
        app.as_person(
            Method::PUT,
            &format!("/api/v1/w/acme/replies/{reply_id}"),
            person,
        )
    };
    assert_eq!(
        edit(&other)
            .json(&json!({"body": "Vandalised"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let (status, body) = status_and_json(
        edit(&author)
            .json(&json!({"body": ""}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/body"))
    );
    assert_eq!(
        edit(&author)
            .json(&json!({"body": "Corrected"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let history_page = app
        .browser_as(
            Method::GET,
            &format!("/w/acme/replies/{reply_id}/edit"),
            &author,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(history_page.contains("Earlier versions") && history_page.contains("Original"));

    assert_eq!(
        app.as_person(
            Method::DELETE,
            &format!("/api/v1/w/acme/replies/{reply_id}"),
            &other
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.as_api(
            Method::DELETE,
            &format!("/api/v1/w/acme/replies/{reply_id}"),
            Role::Moderator
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::NO_CONTENT
    );
    let page = app
        .browser_as(Method::GET, &format!("/w/acme/threads/{thread_id}"), &other)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("This reply was deleted.") && !page.contains("Corrected"),
        "the thread stays readable without the text"
    );
}

#[tokio::test]
async fn private_profiles_and_introductions_between_strangers() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "lounge", "public").await;
    let (gina, gus, otto) = (
        app.add_member("Gina Gravel").await,
        app.add_member("Gus Gravel").await,
        app.add_member("Otto Other").await,
    );
    for (person, interests, visible) in [(&gina, "gravel, coffee", true), (&gus, "Gravel", false)] {
        let saved = app
            .browser_as(Method::POST, "/w/acme/profile", person)
            .form(&[
                ("csrf", app.csrf.as_str()),
                ("bio", "Rider."),
                ("interests", interests),
                ("visible_to_members", if visible { "1" } else { "" }),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    }
    let bad = app
        .browser_as(Method::POST, "/w/acme/profile", &otto)
        .form(&[("csrf", app.csrf.as_str()), ("interests", &"x".repeat(40))])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("id=\"interests-error\""));

    assert_eq!(
        app.browser_as(Method::GET, "/w/acme/people/gina-gravel", &otto)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.browser_as(Method::GET, "/w/acme/people/gus-gravel", &otto)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "private to staff"
    );
    assert_eq!(
        app.as_browser(
            Method::GET,
            "/w/acme/people/gus-gravel",
            Some(Role::CommunityManager)
        )
        .send()
        .await
        .unwrap()
        .status(),
        StatusCode::OK
    );

    let desk = app
        .as_browser(Method::GET, "/w/acme/welcome", Some(Role::CommunityManager))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        desk.contains("Gina Gravel</strong> and <strong>Gus Gravel</strong> — both like gravel"),
        "{desk}"
    );
    assert!(desk.contains("Otto Other"), "newcomers are listed");
    let ids: Vec<i64> = ["gina-gravel", "gus-gravel"]
        .iter()
        .map(|handle| desk.split(&format!("/people/{handle}\"")).count() as i64)
        .collect();
    assert!(ids.iter().all(|n| *n >= 2), "both profiles linked");

    let first = desk
        .split("name=\"first\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let second = desk
        .split("name=\"second\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let posted = app
        .as_browser(
            Method::POST,
            "/w/acme/welcome/introductions",
            Some(Role::CommunityManager),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("first", first.as_str()),
            ("second", second.as_str()),
            ("group", "lounge"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    for person in [&gina, &gus] {
        let badge = app
            .browser_as(Method::GET, "/w/acme/notifications/badge", person)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            badge.contains("<span class=\"count\">1</span>"),
            "both are notified of the introduction"
        );
    }
    let threads: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &otto,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(threads[0]["title"], "Meet Gina Gravel and Gus Gravel");
}

#[tokio::test]
async fn posting_too_fast_is_refused_with_a_clear_message_and_nothing_lost() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "fast", "public").await;
    let member = app.add_member("Quick Quinn").await;
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        &member,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap();
    // Trust level 1 posts 5 times per 30 s (moderation's flood limits by level).
    app.set_trust(&member, 1).await;
    let thread: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &member,
        )
        .json(&json!({"title": "Burst", "body": "one"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap();
    for n in 0..4 {
        let reply = app
            .as_person(
                Method::POST,
                &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
                &member,
            )
            .json(&json!({"body": format!("reply {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::CREATED);
    }
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            &member,
        )
        .json(&json!({"body": "too fast"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        body["title"].as_str().unwrap().contains("wait 30 s"),
        "{body}"
    );

    let page = app
        .browser_as(
            Method::POST,
            &format!("/w/acme/threads/{thread_id}/replies"),
            &member,
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("body", "My long thoughtful reply"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("you are posting quickly")
            && html.contains(">My long thoughtful reply</textarea>"),
        "message shown, text kept"
    );

    let staff = app
        .as_api(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            Role::CommunityManager,
        )
        .json(&json!({"body": "staff are not limited"}))
        .send()
        .await
        .unwrap();
    assert_eq!(staff.status(), StatusCode::CREATED);
    app.clock.advance_seconds(31);
    let later = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread_id}/replies"),
            &member,
        )
        .json(&json!({"body": "calmer now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(later.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn threads_take_tags_and_search_filters_by_tag_author_and_date() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "tips", "public").await;
    let author = app.add_member("Tess Tagger").await;
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        &author,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap();
    let (status, body) = status_and_json(
        app.as_person(Method::POST, &format!("/api/v1/w/acme/groups/{group}/threads"), &author)
            .json(&json!({"title": "Sealant guide", "body": "How to refresh sealant", "tags": ["Tubeless", "how to"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["tags"], json!(["how-to", "tubeless"]));
    let (status, body) = status_and_json(
        app.as_person(
            Method::POST,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &author,
        )
        .json(&json!({"title": "x", "body": "y", "tags": ["no spaces!"]}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/tags"))
    );

    let search = |query: &str| {
        app.as_person(
            Method::GET,
            &format!("/api/v1/w/acme/search?q=sealant&{query}"),
            &author,
        )
        .send()
    };
    let hits: Value = search("tag=tubeless&author=@tess-tagger")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    let none: Value = search("tag=road").await.unwrap().json().await.unwrap();
    assert_eq!(none, json!([]));
    let nobody: Value = search("author=nobody").await.unwrap().json().await.unwrap();
    assert_eq!(nobody, json!([]), "an unknown author finds nothing");
    let (status, body) = status_and_json(search("from=yesterday").await.unwrap()).await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/from"))
    );
    let page = app
        .browser_as(Method::GET, "/w/acme/groups/tips", &author)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("#tubeless"), "tags shown in the group");
}
