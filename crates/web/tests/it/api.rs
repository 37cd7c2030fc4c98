//! The JSON API: `/api/v1/me`, tokens, pagination, and problem documents for
//! every kind of bad request.

use agora_core::accounts::Role;
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::spawn_app;

async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().unwrap().contains("/problems/"));
    assert!(body["title"].is_string());
    body
}

#[tokio::test]
async fn me_lists_the_workspaces_with_roles() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let me: Value = app
        .as_api(Method::GET, "/api/v1/me", Role::Marketer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "marketer@acme.test");
    assert_eq!(me["workspaces"][0]["slug"], "acme");
    assert_eq!(me["workspaces"][0]["role"], "marketer");
}

#[tokio::test]
async fn malformed_bodies_get_problem_documents() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let syntax = app
        .as_api(Method::POST, "/api/v1/w/acme/invitations", Role::Admin)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = problem(syntax, StatusCode::BAD_REQUEST).await;
    assert!(
        body["detail"].as_str().unwrap().contains("line 1 column"),
        "{body}"
    );

    let shape = app
        .as_api(Method::POST, "/api/v1/w/acme/invitations", Role::Admin)
        .json(&serde_json::json!({"mail": "x"}))
        .send()
        .await
        .unwrap();
    problem(shape, StatusCode::UNPROCESSABLE_ENTITY).await;

    let no_type = app
        .as_api(Method::POST, "/api/v1/w/acme/invitations", Role::Admin)
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(no_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let invalid = app
        .as_api(Method::POST, "/api/v1/w/acme/invitations", Role::Admin)
        .json(&serde_json::json!({"email": "not-an-email", "role": "owner"}))
        .send()
        .await
        .unwrap();
    let body = problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/email", "/role"]);

    let unknown = app
        .as_api(Method::GET, "/api/v1/nothing-here", Role::Admin)
        .send()
        .await
        .unwrap();
    problem(unknown, StatusCode::NOT_FOUND).await;

    let bad_query = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/members?limit=lots",
            Role::Admin,
        )
        .send()
        .await
        .unwrap();
    problem(bad_query, StatusCode::BAD_REQUEST).await;
    let bad_cursor = app
        .as_api(Method::GET, "/api/v1/w/acme/members?cursor=42", Role::Admin)
        .send()
        .await
        .unwrap();
    let body = problem(bad_cursor, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["pointer"], "/cursor");
    let bad_time = app
        .as_api(
            Method::GET,
            "/api/v1/w/acme/posts?from=yesterday",
            Role::Marketer,
        )
        .send()
        .await
        .unwrap();
    problem(bad_time, StatusCode::UNPROCESSABLE_ENTITY).await;

    let invitation = app
        .as_api(Method::POST, "/api/v1/w/acme/invitations", Role::Admin)
        .json(&serde_json::json!({"email": "new@acme.test", "role": "moderator"}))
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn members_are_paged_by_cursor() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut seen = Vec::new();
    let mut path = "/api/v1/w/acme/members?limit=2".to_owned();
    loop {
        let page: Value = app
            .as_api(Method::GET, &path, Role::CommunityManager)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/w/acme/members?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "no member twice");
}

#[tokio::test]
async fn tokens_can_be_created_and_revoked() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let created: Value = app
        .as_api(Method::POST, "/api/v1/tokens", Role::Member)
        .json(&serde_json::json!({"name": "my script"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("agp_"));
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let listed: Value = app
        .as_api(Method::GET, "/api/v1/tokens", Role::Member)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|token| token.get("secret").is_none()),
        "secrets are never listed"
    );
    let id = created["id"].as_i64().unwrap();
    let revoked = app
        .as_api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Role::Member,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    problem(refused, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_api_route() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let document: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for spec in agora_web::routes::specs()
        .into_iter()
        .filter(|spec| spec.is_api())
    {
        let operation = &document["paths"][spec.path][spec.method.as_str().to_lowercase()];
        assert_eq!(
            operation["tags"][0], spec.tag,
            "{} {}",
            spec.method, spec.path
        );
        assert!(operation["responses"]["default"].is_object());
        if let Some(schema) = spec.response_schema {
            assert!(
                document["components"]["schemas"][schema].is_object(),
                "schema {schema}"
            );
        }
    }
}
