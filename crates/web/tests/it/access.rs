//! Walks every route in the router for every role, on both backends: a role
//! the route does not allow gets 403 (a friendly page, or a problem document
//! for the API); a role it allows never does; nobody signed in is sent to
//! sign in (pages) or gets 401 (API).

use agora_core::accounts::{Access, Role};
use agora_store::Backend;
use agora_web::routes::specs;
use reqwest::StatusCode;

use crate::spawn_app;

async fn walk_every_route_for_every_role(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // A fresh heartbeat, so that /readyz answers 200 like every other public route.
    agora_core::jobs::JobStore::heartbeat(
        &app.db,
        "walker",
        "test",
        agora_core::Clock::now(&app.clock),
    )
    .await
    .unwrap();
    let mut checked = 0;
    // Signing out would end the sessions the walk uses; it has its own test.
    for spec in specs().into_iter().filter(|spec| spec.path != "/signout") {
        let path = spec.example_path("acme");
        let method = reqwest::Method::from_bytes(spec.method.as_str().as_bytes()).unwrap();
        for role in Role::ALL {
            let request = if spec.is_api() {
                app.as_api(method.clone(), &path, role)
            } else {
                app.as_browser(method.clone(), &path, Some(role))
                    .header("x-csrf-token", &app.csrf)
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap_or_default().to_owned())
                .unwrap_or_default();
            if spec.access.is_workspace_scoped() && !spec.access.allows(role) {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {path} as {role} should be refused",
                    spec.method
                );
                let expected_type = if spec.is_api() {
                    "application/problem+json"
                } else {
                    "text/html"
                };
                assert!(
                    content_type.starts_with(expected_type),
                    "{} {path} as {role}: {content_type}",
                    spec.method
                );
                if !spec.is_api() {
                    let body = response.text().await.unwrap();
                    assert!(
                        body.contains("open this page"),
                        "friendly 403 page for {path}"
                    );
                }
            } else if spec.access.is_workspace_scoped() {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && status != StatusCode::UNAUTHORIZED
                        && !status.is_server_error(),
                    "{} {path} as {role} should be allowed, got {status}",
                    spec.method
                );
            } else {
                assert!(
                    !status.is_server_error(),
                    "{} {path} as {role}: {status}",
                    spec.method
                );
            }
            checked += 1;
        }
        if spec.access != Access::Public {
            let response = if spec.is_api() {
                app.client
                    .request(method.clone(), app.url(&path))
                    .send()
                    .await
                    .unwrap()
            } else {
                app.as_browser(method.clone(), &path, None)
                    .header("x-csrf-token", &app.csrf)
                    .send()
                    .await
                    .unwrap()
            };
            if spec.is_api() {
                assert_eq!(
                    response.status(),
                    StatusCode::UNAUTHORIZED,
                    "{} {path} without a token",
                    spec.method
                );
            } else {
                assert_eq!(
                    response.status(),
                    StatusCode::SEE_OTHER,
                    "{} {path} signed out",
                    spec.method
                );
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                assert!(location.starts_with("/signin?next="), "{location}");
            }
        }
    }
    assert!(checked > 200, "walked {checked} route × role pairs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_the_role_on_sqlite() {
    walk_every_route_for_every_role(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_the_role_on_postgres() {
    walk_every_route_for_every_role(Backend::Postgres).await;
}

#[tokio::test]
async fn members_see_only_the_community_side() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let page = app
        .as_browser(
            reqwest::Method::GET,
            "/w/acme/community",
            Some(Role::Member),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for staff_link in [
        "/w/acme/publish",
        "/w/acme/moderation",
        "/w/acme/members",
        "/w/acme/analytics",
        "/w/acme/settings",
    ] {
        assert!(
            !page.contains(&format!("href=\"{staff_link}\"")),
            "a member's navigation links to {staff_link}"
        );
    }
    assert!(page.contains("href=\"/w/acme/events\""));
    let admin_page = app
        .as_browser(reqwest::Method::GET, "/w/acme/community", Some(Role::Admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(admin_page.contains("href=\"/w/acme/settings\""));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .as_browser(
            reqwest::Method::POST,
            "/w/acme/settings/signup",
            Some(Role::Admin),
        )
        .form(&[("signup_open", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        !app.db.workspace_by_slug_for_test("acme").await,
        "nothing changed"
    );
    let response = app
        .as_browser(
            reqwest::Method::POST,
            "/w/acme/settings/signup",
            Some(Role::Admin),
        )
        .form(&[("signup_open", "1"), ("csrf", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        app.db.workspace_by_slug_for_test("acme").await,
        "the form with its token worked"
    );
}

trait SignupOpen {
    async fn workspace_by_slug_for_test(&self, slug: &str) -> bool;
}

impl SignupOpen for agora_store::Db {
    async fn workspace_by_slug_for_test(&self, slug: &str) -> bool {
        use agora_core::accounts::AccountStore;
        self.workspace_by_slug(slug)
            .await
            .unwrap()
            .unwrap()
            .signup_open
    }
}
