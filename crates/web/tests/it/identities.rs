//! Identities over HTTP: a suggestion with its reason, a merge that makes a
//! member's detail show both identities and one history, an unmerge, and
//! staff's tags and notes; members are refused.

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::members::{MemberStore, NewMember};
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::spawn_app;

async fn identities_merge_and_unmerge(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let native = app.add_member("Ann Rider").await;
    let native_id = app.member_id(&native).await;
    // The same person, known from an import by e-mail only.
    let imported = app
        .db
        .create_member(&NewMember {
            workspace_id: app.workspace.id,
            account_id: None,
            name: "A. Rider".into(),
            email: Some(native.email.to_uppercase()),
            joined_at: app.clock.now(),
            is_staff: false,
        })
        .await
        .unwrap();
    let json_of = |method: Method, path: String, role: Role, body: Option<Value>| {
        let mut request = app.as_api(method, &path, role);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, bad) = json_of(
        Method::POST,
        format!("/api/v1/w/acme/members/{imported}/identities"),
        Role::CommunityManager,
        Some(json!({"network": "mastodon", "value": "annrides"})),
    )
    .await;
    assert_eq!(
        (status, bad["errors"][0]["pointer"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/value"))
    );
    let (status, _) = json_of(
        Method::POST,
        format!("/api/v1/w/acme/members/{imported}/identities"),
        Role::CommunityManager,
        Some(json!({"network": "mastodon", "value": "@annrides@velo.social"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, suggestions) = json_of(
        Method::GET,
        "/api/v1/w/acme/members/merge-suggestions".into(),
        Role::CommunityManager,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let pair = suggestions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["first"] == json!(native_id) && s["second"] == json!(imported))
        .unwrap_or_else(|| panic!("{suggestions}"))
        .clone();
    assert_eq!(
        pair["reasons"][0],
        json!(format!("same e-mail {}", native.email))
    );
    let member_refused = app
        .as_person(
            Method::GET,
            "/api/v1/w/acme/members/merge-suggestions",
            &native,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(member_refused.status(), StatusCode::FORBIDDEN);

    let (status, merge) = json_of(
        Method::POST,
        "/api/v1/w/acme/members/merges".into(),
        Role::CommunityManager,
        Some(json!({"kept_id": native_id, "merged_id": imported, "reason": "same e-mail"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{merge}");
    let (_, detail) = json_of(
        Method::GET,
        format!("/api/v1/w/acme/members/{native_id}"),
        Role::CommunityManager,
        None,
    )
    .await;
    assert!(
        detail["identities"]
            .to_string()
            .contains("@annrides@velo.social"),
        "{detail}"
    );
    let (_, again) = json_of(
        Method::GET,
        "/api/v1/w/acme/members/merge-suggestions".into(),
        Role::CommunityManager,
        None,
    )
    .await;
    assert!(
        !again.to_string().contains("same e-mail"),
        "merged pairs are not suggested: {again}"
    );
    let page = app
        .as_browser(
            Method::GET,
            "/w/acme/members/merges",
            Some(Role::CommunityManager),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("A. Rider → Ann Rider") && page.contains("Unmerge"));

    let (status, _) = json_of(
        Method::DELETE,
        format!("/api/v1/w/acme/members/merges/{}", merge["id"]),
        Role::CommunityManager,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, detail) = json_of(
        Method::GET,
        format!("/api/v1/w/acme/members/{native_id}"),
        Role::CommunityManager,
        None,
    )
    .await;
    assert!(
        !detail["identities"].to_string().contains("@annrides"),
        "{detail}"
    );

    // Tags and private notes, by staff, on the member's page.
    for (path, form) in [
        (
            format!("/w/acme/members/{native_id}/tags"),
            vec![("tags", "ride-leader, volunteer")],
        ),
        (
            format!("/w/acme/members/{native_id}/notes"),
            vec![("text", "Leads the Sunday loop since May.")],
        ),
    ] {
        let mut fields = vec![("csrf", app.csrf.as_str())];
        fields.extend(form);
        let saved = app
            .as_browser(Method::POST, &path, Some(Role::Moderator))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert!(saved.status().is_redirection(), "{}", saved.status());
    }
    let page = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/members/{native_id}"),
            Some(Role::Moderator),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ride-leader, volunteer")
            && page.contains("Leads the Sunday loop since May.")
    );
    let refused = app
        .browser_as(
            Method::GET,
            &format!("/w/acme/members/{native_id}"),
            &native,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "notes are for staff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_merge_and_unmerge_on_sqlite() {
    identities_merge_and_unmerge(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_merge_and_unmerge_on_postgres() {
    identities_merge_and_unmerge(Backend::Postgres).await;
}
