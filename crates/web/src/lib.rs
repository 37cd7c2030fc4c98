//! Agora's web layer: the axum router, server-rendered pages (askama + htmx),
//! the JSON API under `/api/v1`, and the operational endpoints.
//!
//! Handlers are thin: extract, call the store, render. Every route is declared
//! once in [`routes`], with the access level it requires; one middleware
//! ([`auth::authorize`]) enforces that level for every route, and the same
//! table generates the OpenAPI document and drives the role-walk test.

#![recursion_limit = "512"]

pub mod analytics;
pub mod api;
pub mod assets;
pub mod auth;
pub mod calendar;
pub mod community;
pub mod desk;
pub mod events;
pub mod links;
pub mod metrics;
pub mod moderation;
pub mod ops;
pub mod pages;
pub mod problem;
pub mod publishing;
pub mod routes;
pub mod shell;
pub mod slots;

use std::sync::Arc;

use agora_core::Clock;
use agora_core::jobs::JobOutcomeCounters;
use agora_core::secrets::HashCost;
use agora_store::Db;

pub use routes::{RouteSpec, router};

/// What the web layer needs from configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Base of links in e-mails, without a trailing slash.
    pub public_url: String,
    /// `Secure` on cookies (when users reach Agora over HTTPS).
    pub secure_cookies: bool,
    pub session_days: i64,
    pub password_cost: HashCost,
    /// A worker heartbeat older than this makes `/readyz` fail.
    pub heartbeat_max_age_millis: i64,
    /// Seals channel credentials before they are stored.
    pub sealer: agora_core::secrets::Sealer,
    /// Talks to the networks when a channel is connected or tested.
    pub network_client: reqwest::Client,
}

/// Each workspace's compiled auto-moderation rules with their version.
pub type RuleSetCache = std::collections::HashMap<i64, (i64, Arc<agora_core::automod::RuleSet>)>;

/// Shared state of every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<WebSettings>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<metrics::Metrics>,
    pub job_counters: Arc<JobOutcomeCounters>,
    /// Each workspace's compiled auto-moderation rules, by rules version.
    pub automod: Arc<std::sync::Mutex<RuleSetCache>>,
    /// (member, day) visits already recorded by this process (trust levels
    /// count days visited; one write per member and day).
    pub visits: Arc<std::sync::Mutex<std::collections::HashSet<(i64, i64)>>>,
}

impl AppState {
    pub fn new(
        db: Db,
        settings: WebSettings,
        clock: Arc<dyn Clock>,
        job_counters: Arc<JobOutcomeCounters>,
    ) -> Self {
        Self {
            db,
            settings: Arc::new(settings),
            clock,
            metrics: Arc::new(metrics::Metrics::default()),
            job_counters,
            automod: Arc::default(),
            visits: Arc::default(),
        }
    }
}
