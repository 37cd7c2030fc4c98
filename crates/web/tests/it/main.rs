//! Web layer integration tests: a real server on port 0 over a fresh database,
//! driven over HTTP as a browser or an API client would.

#![allow(clippy::unwrap_used)]

mod access;
mod analytics;
mod api;
mod audience;
mod calendar;
mod community;
mod desk;
mod events;
mod forms;
mod identities;
mod links;
mod moderation;
mod ops;
mod publishing;
mod slots;
mod welcome;

use std::collections::HashMap;
use std::sync::Arc;

use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug, Workspace};
use agora_core::jobs::JobOutcomeCounters;
use agora_core::secrets::{HashCost, hash_password, random_token, token_digest};
use agora_core::{Clock, ManualClock, SystemClock};
use agora_store::{Backend, Db};
use agora_testkit::TestDb;
use agora_web::{AppState, WebSettings};

pub const PASSWORD: &str = "correct horse battery";

/// One signed-in person per role, by session cookie and by bearer token.
pub struct Person {
    pub email: String,
    pub session: String,
    pub token: String,
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub clock: ManualClock,
    pub workspace: Workspace,
    pub people: HashMap<Role, Person>,
    pub client: reqwest::Client,
    /// A CSRF token with its cookie, for cookie-authenticated unsafe requests.
    pub csrf: String,
    _test_db: TestDb,
}

impl TestApp {
    /// Adds an account with the member role, signed in by token and cookie.
    pub async fn add_member(&self, name: &str) -> Person {
        let now = self.clock.now();
        let email = format!("{}@acme.test", name.to_lowercase().replace(' ', "."));
        let account = self
            .db
            .create_account(
                &Email::parse(&email).unwrap(),
                &DisplayName::parse(name).unwrap(),
                "unused-hash",
                now,
            )
            .await
            .unwrap();
        self.db
            .upsert_membership(account.id, self.workspace.id, Role::Member, now)
            .await
            .unwrap();
        let session = random_token(32);
        self.db
            .create_session(
                &token_digest(&session),
                account.id,
                now,
                now.plus_seconds(30 * 86_400),
            )
            .await
            .unwrap();
        let token = format!("agp_{}", random_token(32));
        self.db
            .create_api_token(account.id, "test", &token_digest(&token), &token[..10], now)
            .await
            .unwrap();
        Person {
            email,
            session,
            token,
        }
    }

    /// The member id of a person added with [`TestApp::add_member`].
    pub async fn member_id(&self, person: &Person) -> i64 {
        use agora_core::members::MemberStore;
        let account = self
            .db
            .credentials_by_email(&Email::parse(&person.email).unwrap())
            .await
            .unwrap()
            .unwrap()
            .account;
        self.db
            .member_of_account(self.workspace.id, account.id)
            .await
            .unwrap()
            .unwrap()
    }

    /// Sets (and locks) a member's trust level, as staff would.
    pub async fn set_trust(&self, person: &Person, level: u8) {
        use agora_core::moderation::{ModerationStore, TrustInputs, TrustState};
        let member = self.member_id(person).await;
        self.db
            .save_trust(
                member,
                &TrustState {
                    level,
                    locked: true,
                    below_since: None,
                },
                &TrustInputs::default(),
                self.clock.now(),
            )
            .await
            .unwrap();
    }

    pub fn as_person(
        &self,
        method: reqwest::Method,
        path: &str,
        person: &Person,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&person.token)
    }

    pub fn browser_as(
        &self,
        method: reqwest::Method,
        path: &str,
        person: &Person,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).header(
            "cookie",
            format!("agora_csrf={}; agora_session={}", self.csrf, person.session),
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn person(&self, role: Role) -> &Person {
        &self.people[&role]
    }

    /// A request with the person's session cookie (and the CSRF cookie).
    pub fn as_browser(
        &self,
        method: reqwest::Method,
        path: &str,
        role: Option<Role>,
    ) -> reqwest::RequestBuilder {
        let mut cookie = format!("agora_csrf={}", self.csrf);
        if let Some(role) = role {
            cookie.push_str(&format!("; agora_session={}", self.person(role).session));
        }
        self.client
            .request(method, self.url(path))
            .header("cookie", cookie)
    }

    /// A request with the person's bearer token.
    pub fn as_api(
        &self,
        method: reqwest::Method,
        path: &str,
        role: Role,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.person(role).token)
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let test_db = TestDb::on(backend).await?;
    let db = test_db.db.clone();
    let clock = ManualClock::new(SystemClock.now());
    let now = clock.now();
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", false, now)
        .await
        .unwrap();
    let hash = hash_password(PASSWORD, HashCost::Testing);
    let mut people = HashMap::new();
    for role in Role::ALL {
        let email = format!("{}@acme.test", role.as_str());
        let account = db
            .create_account(
                &Email::parse(&email).unwrap(),
                &DisplayName::parse(role.label()).unwrap(),
                &hash,
                now,
            )
            .await
            .unwrap();
        db.upsert_membership(account.id, workspace.id, role, now)
            .await
            .unwrap();
        let session = random_token(32);
        db.create_session(
            &token_digest(&session),
            account.id,
            now,
            now.plus_seconds(30 * 86_400),
        )
        .await
        .unwrap();
        let token = format!("agp_{}", random_token(32));
        db.create_api_token(account.id, "test", &token_digest(&token), &token[..10], now)
            .await
            .unwrap();
        people.insert(
            role,
            Person {
                email,
                session,
                token,
            },
        );
    }
    let settings = WebSettings {
        public_url: "http://placeholder".into(),
        secure_cookies: false,
        session_days: 30,
        password_cost: HashCost::Testing,
        heartbeat_max_age_millis: 30_000,
        sealer: agora_core::secrets::Sealer::new(
            &agora_core::secrets::Secret::new("a test key that is long enough to use"),
            None,
        ),
        network_client: agora_connectors::networks::client(std::time::Duration::from_secs(5)),
    };
    let state = AppState::new(
        db.clone(),
        settings,
        Arc::new(clock.clone()),
        Arc::new(JobOutcomeCounters::default()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, agora_web::router(state)).await });
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(TestApp {
        base,
        db,
        clock,
        workspace,
        people,
        client,
        csrf: random_token(32),
        _test_db: test_db,
    })
}
