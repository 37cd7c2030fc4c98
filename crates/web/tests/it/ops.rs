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
