//! Operational endpoints: liveness, readiness (database and worker heartbeat)
//! and Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use agora_core::jobs::JobStore;

use crate::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and some worker's heartbeat is younger
/// than the limit, so that a web process whose workers died reports it.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let now = state.clock.now();
    let database_ok = state.db.ping().await.is_ok();
    let heartbeat = if database_ok {
        state.db.latest_heartbeat().await.ok().flatten()
    } else {
        None
    };
    let age_millis = heartbeat.map(|at| now.millis() - at.millis());
    let worker_ok = age_millis.is_some_and(|age| age <= state.settings.heartbeat_max_age_millis);
    let status = if database_ok && worker_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if status == StatusCode::OK { "ready" } else { "not ready" },
        "database": if database_ok { "ok" } else { "unreachable" },
        "worker": match age_millis {
            None => "no worker has ever reported".to_owned(),
            Some(age) if worker_ok => format!("last heartbeat {:.1} s ago", age as f64 / 1000.0),
            Some(age) => format!("stale: last heartbeat {:.1} s ago", age as f64 / 1000.0),
        },
    });
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let counts = state.db.queue_counts(state.clock.now()).await.ok();
    let heartbeat = state.db.latest_heartbeat().await.ok().flatten();
    let text = state.metrics.render(
        counts,
        heartbeat.map(|at| state.clock.now().millis() - at.millis()),
        &state.job_counters,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
