//! Operations: `/readyz` follows the worker heartbeat on a clock the test
//! moves; `/metrics` counts requests by route template.

use agora_core::Clock;
use agora_core::jobs::JobStore;
use agora_store::Backend;
use reqwest::StatusCode;

use crate::spawn_app;

#[tokio::test]
async fn readyz_fails_without_a_fresh_worker_heartbeat() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let never = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(never.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        never
            .text()
            .await
            .unwrap()
            .contains("no worker has ever reported")
    );

    app.db
        .heartbeat("worker-1", "test", app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.clock.advance_seconds(30);
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "30 s is still fresh"
    );
    app.clock.advance_seconds(1);
    let stale = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(stale.text().await.unwrap().contains("stale"));
    app.db
        .heartbeat("worker-1", "test", app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "recovers"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for _ in 0..3 {
        app.client
            .get(app.url("/api/v1/w/acme/members?cursor=c99"))
            .send()
            .await
            .unwrap();
    }
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("agora_http_requests_total{method=\"GET\",route=\"/api/v1/w/{workspace}/members\",status=\"401\"} 3"), "{text}");
    assert!(text.contains("agora_jobs{state=\"queued\"} 0"));
    assert!(!text.contains("c99"), "no query values in labels");
}

#[tokio::test]
async fn admins_see_dead_jobs_and_retry_them() {
    use agora_core::accounts::Role;
    use agora_core::jobs::{JobState, NewJob};

    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let now = app.clock.now();
    let job = NewJob::new(
        "email.send",
        serde_json::json!({"to": "secret@example.org"}),
        now,
    )
    .for_workspace(app.workspace.id);
    let id = app.db.enqueue(&job, now).await.unwrap().unwrap();
    let claimed = app.db.claim("w", 1, now, 60_000).await.unwrap().remove(0);
    app.db
        .fail(
            &claimed,
            "w",
            "SMTP refused the message: 550 no such user",
            None,
            now,
        )
        .await
        .unwrap();

    let page = app
        .as_browser(
            reqwest::Method::GET,
            "/w/acme/settings/jobs",
            Some(Role::Admin),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("550 no such user") && page.contains(&format!("#{id}")),
        "the dead job and its error are listed"
    );
    assert!(
        !page.contains("secret@example.org"),
        "payloads are never shown"
    );

    let retried = app
        .as_browser(
            reqwest::Method::POST,
            &format!("/w/acme/settings/jobs/{id}/retry"),
            Some(Role::Admin),
        )
        .form(&[("csrf", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    assert!(
        app.db
            .list_jobs(None, JobState::Dead, false, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.db.claim("w", 1, app.clock.now(), 60_000).await.unwrap()[0].id,
        id,
        "runs again now"
    );
}
