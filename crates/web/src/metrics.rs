//! Prometheus metrics kept by hand: request counts and latency histograms by
//! route and status, queue depth read at scrape time, and job outcomes.
//! Routes are recorded by their template (`/w/{workspace}/members`), never
//! with their values, so no token or e-mail ends up in a label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use agora_core::jobs::{JobOutcomeCounters, QueueCounts};

use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct RouteStats {
    count_by_status: BTreeMap<u16, u64>,
    bucket_counts: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *stats.count_by_status.entry(status).or_default() += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.bucket_counts[i] += 1;
            }
        }
        stats.sum_seconds += seconds;
        stats.count += 1;
    }

    pub fn render(
        &self,
        queue: Option<QueueCounts>,
        heartbeat_age_millis: Option<i64>,
        jobs: &JobOutcomeCounters,
    ) -> String {
        let mut out = String::new();
        out.push_str("# HELP agora_http_requests_total HTTP requests by route template and status.\n# TYPE agora_http_requests_total counter\n");
        let routes = self
            .routes
            .lock()
            .map(|routes| {
                routes
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.count_by_status.clone(),
                            v.bucket_counts,
                            v.sum_seconds,
                            v.count,
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for ((method, route), by_status, ..) in &routes {
            for (status, n) in by_status {
                let _ = writeln!(
                    out,
                    "agora_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP agora_http_request_duration_seconds Request latency by route template.\n# TYPE agora_http_request_duration_seconds histogram\n");
        for ((method, route), _, buckets, sum, count) in &routes {
            for (bound, n) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "agora_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "agora_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} {count}"
            );
        }
        if let Some(queue) = queue {
            out.push_str("# HELP agora_jobs Jobs in the queue by state (all processes).\n# TYPE agora_jobs gauge\n");
            for (state, n) in [
                ("queued", queue.queued),
                ("due", queue.due),
                ("retrying", queue.retrying),
                ("running", queue.running),
                ("succeeded", queue.succeeded),
                ("dead", queue.dead),
            ] {
                let _ = writeln!(out, "agora_jobs{{state=\"{state}\"}} {n}");
            }
        }
        if let Some(age) = heartbeat_age_millis {
            out.push_str("# HELP agora_worker_heartbeat_age_seconds Age of the freshest worker heartbeat.\n# TYPE agora_worker_heartbeat_age_seconds gauge\n");
            let _ = writeln!(
                out,
                "agora_worker_heartbeat_age_seconds {}",
                age as f64 / 1000.0
            );
        }
        out.push_str("# HELP agora_job_outcomes_total Job attempts finished by this process's workers.\n# TYPE agora_job_outcomes_total counter\n");
        for (outcome, counter) in [
            ("succeeded", &jobs.succeeded),
            ("retrying", &jobs.retrying),
            ("dead", &jobs.dead),
            ("lease_lost", &jobs.lease_lost),
        ] {
            let _ = writeln!(
                out,
                "agora_job_outcomes_total{{outcome=\"{outcome}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

/// The matched route template, put on the response by the router's inner
/// layer (an outer layer runs before routing and cannot see it).
#[derive(Debug, Clone)]
pub struct RouteLabel(pub String);

/// Records every request's route, status and latency, and logs it without
/// its query string (which may carry tokens).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map(|label| label.0.clone())
        .unwrap_or_else(|| "unmatched".to_owned());
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.metrics.observe(&method, &route, status, seconds);
    tracing::info!(target: "agora::http", %method, %route, status, millis = (seconds * 1000.0).round() as u64, "request");
    response
}
