//! Over HTTP: editing and reacting to a thread's opening post; group owners
//! and moderators managing their group; the newcomer's welcome message and
//! checklist; the weekly batch of introductions.

use agora_core::accounts::Role;
use agora_core::members::MemberStore;
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Person, TestApp, spawn_app};

async fn create_group(app: &TestApp, slug: &str, visibility: &str) -> i64 {
    let created: Value = app
        .as_api(Method::POST, "/api/v1/w/acme/groups", Role::CommunityManager)
        .json(&json!({"slug": slug, "name": slug.to_uppercase(), "visibility": visibility, "rules": "Be kind."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["id"].as_i64().unwrap()
}

async fn join(app: &TestApp, group: i64, person: &Person) -> StatusCode {
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/join"),
        person,
    )
    .json(&json!({"accept_rules": true}))
    .send()
    .await
    .unwrap()
    .status()
}

async fn start_thread(
    app: &TestApp,
    group: i64,
    person: &Person,
    title: &str,
) -> reqwest::Response {
    app.as_person(
        Method::POST,
        &format!("/api/v1/w/acme/groups/{group}/threads"),
        person,
    )
    .json(&json!({"title": title, "body": "Hello there"}))
    .send()
    .await
    .unwrap()
}

async fn page(app: &TestApp, path: &str, person: &Person) -> (StatusCode, String) {
    let response = app
        .browser_as(Method::GET, path, person)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    path: &str,
    person: &Person,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = vec![("csrf", app.csrf.as_str())];
    form.extend_from_slice(fields);
    let response = app
        .browser_as(Method::POST, path, person)
        .form(&form)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn member_id(app: &TestApp, handle: &str) -> String {
    app.db
        .profile_by_handle(app.workspace.id, handle)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn opening_posts_are_edited_and_reacted_to(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let group = create_group(&app, "talk", "public").await;
    let (author, reader) = (
        app.add_member("Ada Author").await,
        app.add_member("Rita Reader").await,
    );
    join(&app, group, &author).await;
    join(&app, group, &reader).await;
    let thread: Value = start_thread(&app, group, &author, "Brake squeel")
        .await
        .json()
        .await
        .unwrap();
    let thread = thread["id"].as_i64().unwrap();
    let edit_path = format!("/w/acme/threads/{thread}/edit");

    let (status, _) = page(&app, &edit_path, &reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the author edits");
    let (status, body) = post_form(
        &app,
        &edit_path,
        &author,
        &[("title", ""), ("body", "kept text")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"title-error\"") && body.contains("kept text"),
        "{body}"
    );
    let (status, _) = post_form(
        &app,
        &edit_path,
        &author,
        &[
            ("title", "Brake squeal"),
            ("body", "My *disc* brakes squeal"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = page(&app, &format!("/w/acme/threads/{thread}"), &reader).await;
    assert!(
        body.contains("Brake squeal") && body.contains("<em>disc</em>") && body.contains("edited")
    );
    let (_, history) = page(&app, &edit_path, &author).await;
    assert!(history.contains("Earlier versions") && history.contains("Brake squeel"));

    let edited = app
        .as_person(
            Method::PUT,
            &format!("/api/v1/w/acme/threads/{thread}"),
            &reader,
        )
        .json(&json!({"title": "Hijack", "body": "mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::FORBIDDEN);
    let edited = app
        .as_person(
            Method::PUT,
            &format!("/api/v1/w/acme/threads/{thread}"),
            &author,
        )
        .json(&json!({"title": "Brake squeal on descents", "body": "My disc brakes squeal"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::NO_CONTENT);
    let hits: Value = app
        .as_person(Method::GET, "/api/v1/w/acme/search?q=descents", &reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits[0]["thread_id"], thread, "{hits}");

    let bar = app
        .browser_as(
            Method::POST,
            &format!("/w/acme/threads/{thread}/reactions"),
            &reader,
        )
        .header("hx-request", "true")
        .form(&[("csrf", app.csrf.as_str()), ("emoji", "🎉")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        bar.contains("id=\"reactions-thread\"") && bar.contains("🎉 1"),
        "{bar}"
    );
    let counts: Value = app
        .as_person(
            Method::POST,
            &format!("/api/v1/w/acme/threads/{thread}/reactions"),
            &author,
        )
        .json(&json!({"emoji": "🎉"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["reactions"], json!([["🎉", 2]]));
    let shown: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/threads/{thread}"),
            &reader,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["reactions"], json!([["🎉", 2]]));
    assert_eq!(shown["title"], "Brake squeal on descents");
}

#[tokio::test]
async fn opening_posts_are_edited_and_reacted_to_on_sqlite() {
    opening_posts_are_edited_and_reacted_to(Backend::Sqlite).await;
}

#[tokio::test]
async fn opening_posts_are_edited_and_reacted_to_on_postgres() {
    opening_posts_are_edited_and_reacted_to(Backend::Postgres).await;
}

#[tokio::test]
async fn group_owners_and_moderators_manage_their_group() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let group = create_group(&app, "club", "private").await;
    let (olga, mo, pat, newbie) = (
        app.add_member("Olga Owner").await,
        app.add_member("Mo Moderator").await,
        app.add_member("Pat Plain").await,
        app.add_member("Nina Newbie").await,
    );
    let cm = app.person(Role::CommunityManager);
    for person in [&olga, &mo, &pat] {
        join(&app, group, person).await;
        let id = member_id(
            &app,
            match person.email.as_str() {
                "olga.owner@acme.test" => "olga-owner",
                "mo.moderator@acme.test" => "mo-moderator",
                _ => "pat-plain",
            },
        )
        .await;
        let (status, _) = post_form(
            &app,
            &format!("/w/acme/groups/club/members/{id}"),
            cm,
            &[("action", "approve")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let olga_id = member_id(&app, "olga-owner").await;
    let mo_id = member_id(&app, "mo-moderator").await;
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/groups/club/members/{olga_id}"),
        cm,
        &[("action", "owner")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, _) = page(&app, "/w/acme/groups/club/manage", &pat).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a plain member manages nothing"
    );
    let (status, manage) = page(&app, "/w/acme/groups/club/manage", &olga).await;
    assert_eq!(status, StatusCode::OK);
    assert!(manage.contains("Save the group") && manage.contains("Mo Moderator"));
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/groups/club/members/{mo_id}"),
        &olga,
        &[("action", "moderator")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "owners appoint moderators");

    // The moderator approves a join request and pins a thread, but does not
    // change the group's settings or roles.
    join(&app, group, &newbie).await;
    let (_, group_page) = page(&app, "/w/acme/groups/club", &mo).await;
    assert!(group_page.contains("Nina Newbie") && group_page.contains("Manage the group"));
    let newbie_id = member_id(&app, "nina-newbie").await;
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/groups/club/requests/{newbie_id}/approve"),
        &mo,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        start_thread(&app, group, &newbie, "Hi all").await.status(),
        StatusCode::CREATED
    );
    let threads: Value = app
        .as_person(
            Method::GET,
            &format!("/api/v1/w/acme/groups/{group}/threads"),
            &mo,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread = threads[0]["id"].as_i64().unwrap();
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/threads/{thread}/moderate"),
        &pat,
        &[("action", "pin")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/threads/{thread}/moderate"),
        &mo,
        &[("action", "pin")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post_form(
        &app,
        "/w/acme/groups/club/manage",
        &mo,
        &[
            ("name", "Mine"),
            ("description", ""),
            ("visibility", "public"),
            ("rules", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_form(
        &app,
        &format!("/w/acme/groups/club/members/{olga_id}"),
        &mo,
        &[("action", "remove")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "moderators do not remove owners"
    );

    // New rules: members accept them again before posting.
    let (status, body) = post_form(
        &app,
        "/w/acme/groups/club/manage",
        &olga,
        &[
            ("name", ""),
            ("description", "Our club"),
            ("visibility", "private"),
            ("rules", "Be kind. No ads."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"name-error\"") && body.contains("No ads."),
        "the text is kept"
    );
    let (status, _) = post_form(
        &app,
        "/w/acme/groups/club/manage",
        &olga,
        &[
            ("name", "The Club"),
            ("description", "Our club"),
            ("visibility", "private"),
            ("rules", "Be kind. No ads."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let refused = start_thread(&app, group, &newbie, "Again").await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "the new rules are not accepted yet"
    );
    let (_, rules) = page(&app, "/w/acme/groups/club/join", &newbie).await;
    assert!(rules.contains("No ads."));
    assert_eq!(join(&app, group, &newbie).await, StatusCode::OK);
    assert_eq!(
        start_thread(&app, group, &newbie, "Again").await.status(),
        StatusCode::CREATED
    );

    let (status, _) = post_form(
        &app,
        &format!("/w/acme/groups/club/members/{newbie_id}"),
        &mo,
        &[("action", "remove")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = page(&app, &format!("/w/acme/threads/{thread}"), &newbie).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "removed from a private group, its threads are out of reach"
    );
}

#[tokio::test]
async fn newcomers_are_welcomed_and_introduced_each_week() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let cm = app.person(Role::CommunityManager);
    let (status, body) =
        post_form(&app, "/w/acme/welcome/message", cm, &[("message", "   ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"message-error\""));
    let (status, _) = post_form(
        &app,
        "/w/acme/welcome/message",
        cm,
        &[(
            "message",
            "Hello **{name}**, welcome to {workspace}! Read the <script>x</script> rules.",
        )],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(desk.contains("Hello <strong>Alex</strong>"), "the preview");

    let nora = app.add_member("Nora New").await;
    let (_, home) = page(&app, "/w/acme/community", &nora).await;
    assert!(
        home.contains("Hello <strong>Nora New</strong>, welcome to Acme"),
        "{home}"
    );
    assert!(!home.contains("<script>x"), "the message is sanitised");
    assert!(home.contains("☐ <a href=\"/w/acme/profile\">Complete your profile</a>"));
    post_form(
        &app,
        "/w/acme/profile",
        &nora,
        &[("bio", "Rides gravel."), ("interests", "gravel")],
    )
    .await;
    let group = create_group(&app, "lounge", "public").await;
    join(&app, group, &nora).await;
    start_thread(&app, group, &nora, "Hi, I am Nora").await;
    let (_, home) = page(&app, "/w/acme/community", &nora).await;
    assert!(
        home.contains("✓ <s>Complete your profile</s>")
            && home.contains("✓ <s>Introduce yourself</s>")
    );
    assert!(home.contains("☐ Reply to someone"));
    let (status, _) = post_form(&app, "/w/acme/welcome/dismiss", &nora, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, home) = page(&app, "/w/acme/community", &nora).await;
    assert!(!home.contains("Your first steps"), "put away");

    let (_, staff_home) = page(&app, "/w/acme/community", cm).await;
    assert!(
        !staff_home.contains("Your first steps"),
        "staff are not newcomers"
    );
    app.clock.advance_seconds(15 * 86_400);
    let olga = app.add_member("Olga Old").await;
    app.clock.advance_seconds(-15 * 86_400);
    let (_, home) = page(&app, "/w/acme/community", &olga).await;
    assert!(
        home.contains("Your first steps"),
        "a newcomer on their first day"
    );
    app.clock.advance_seconds(15 * 86_400);
    let (_, home) = page(&app, "/w/acme/community", &nora).await;
    assert!(!home.contains("Your first steps"));

    // This week's batch of introductions is fixed once made.
    for (person, interests) in [(&nora, "gravel"), (&olga, "gravel, coffee")] {
        post_form(
            &app,
            "/w/acme/profile",
            person,
            &[
                ("bio", "Hi."),
                ("interests", interests),
                ("visible_to_members", "1"),
            ],
        )
        .await;
    }
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(
        desk.contains("Nora New</strong> and <strong>Olga Old</strong>")
            || desk.contains("Olga Old</strong> and <strong>Nora New</strong>"),
        "{desk}"
    );
    let pat = app.add_member("Pat Pedal").await;
    post_form(
        &app,
        "/w/acme/profile",
        &pat,
        &[("bio", "Hi."), ("interests", "coffee")],
    )
    .await;
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(
        !desk.contains("Pat Pedal</strong>"),
        "the week's batch does not change"
    );
    let first = member_id(&app, "nora-new").await;
    let second = member_id(&app, "olga-old").await;
    let (status, _) = post_form(
        &app,
        "/w/acme/welcome/introductions",
        cm,
        &[("first", &first), ("second", &second), ("group", "lounge")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(desk.contains("✓ Introduced"));

    app.clock.advance_seconds(7 * 86_400);
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(
        desk.contains("Olga Old</strong> and <strong>Pat Pedal</strong>")
            || desk.contains("Pat Pedal</strong> and <strong>Olga Old</strong>"),
        "a new week, a new batch: {desk}"
    );
    assert!(
        !desk.contains("Nora New</strong> and"),
        "introduced members interacted"
    );
    let olga_id = member_id(&app, "olga-old").await;
    let pat_id = member_id(&app, "pat-pedal").await;
    let (status, _) = post_form(
        &app,
        "/w/acme/welcome/introductions/skip",
        cm,
        &[("first", &olga_id), ("second", &pat_id)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, desk) = page(&app, "/w/acme/welcome", cm).await;
    assert!(!desk.contains("Pat Pedal</strong>"), "skipped for the week");
}
