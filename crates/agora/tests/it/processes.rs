//! The binary as operators run it: configuration errors, `--web-only` and
//! `--worker-only` processes and `/readyz`, two workers sharing PostgreSQL,
//! and the account and token commands.

use std::collections::HashMap;
use std::time::Duration;

use agora_core::jobs::NewJob;
use agora_core::{Clock, SystemClock};
use agora_jobs::NOOP_KIND;
use agora_testkit::{TempDir, TestDb};

use crate::harness::{Background, Server, add_user, agora, eventually};

#[test]
fn a_bad_config_value_exits_2_naming_the_key() {
    let data = TempDir::new("config");
    let output = agora(data.path())
        .env("AGORA_WORKER_CONCURRENCY", "lots")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`worker.concurrency`") && stderr.contains("AGORA_WORKER_CONCURRENCY"),
        "{stderr}"
    );

    let output = agora(data.path())
        .args(["serve", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`listen` (from flag --listen)"));

    std::fs::write(
        data.path().join("agora.toml"),
        "[worker]\nconcurrency = 0\n",
    )
    .unwrap();
    let output = agora(data.path()).arg("check-config").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("agora.toml"),
        "names the file"
    );
    std::fs::remove_file(data.path().join("agora.toml")).unwrap();

    let output = agora(data.path())
        .env("AGORA_SMTP_URL", "smtp://mailer:hunter2@mail.example:25")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("smtp.url = [set, redacted]") && !printed.contains("hunter2"),
        "{printed}"
    );
}

#[test]
fn every_subcommand_has_help() {
    for subcommand in [
        &["serve"][..],
        &["demo"],
        &["migrate"],
        &["check-config"],
        &["user", "add"],
        &["token", "create"],
        &["bench", "queue"],
    ] {
        let output = std::process::Command::new(crate::harness::agora_binary())
            .args(subcommand)
            .arg("--help")
            .output()
            .unwrap();
        assert!(output.status.success(), "{subcommand:?} --help");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("--data-dir") && text.contains("--database-url"),
            "{subcommand:?} takes the storage flags"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_worker_processes() {
    let data = TempDir::new("readyz");
    add_user(
        data.path(),
        None,
        "ops@acme.test",
        "Olga Ops",
        "acme",
        "admin",
        "ops password 1",
    );
    let token_output = agora(data.path())
        .args(["token", "create", "--email", "ops@acme.test"])
        .output()
        .unwrap();
    assert!(token_output.status.success());
    let token = String::from_utf8_lossy(&token_output.stdout)
        .trim()
        .to_owned();
    assert!(token.starts_with("agp_"));

    let mut web = Server::start(data.path(), &["serve", "--web-only"], &[]);
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::new();
    let me: serde_json::Value = client
        .get(web.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["workspaces"][0]["role"], "admin",
        "the CLI's account and token work against the server"
    );

    let ready = || async {
        client
            .get(web.url("/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(ready().await, 503, "no worker yet");

    let mut worker = Background(
        agora(data.path())
            .args(["serve", "--worker-only"])
            .spawn()
            .unwrap(),
    );
    eventually(
        "readyz recovers when a worker starts",
        Duration::from_secs(30),
        || async { ready().await == 200 },
    )
    .await;
    assert!(
        worker.stop(),
        "the worker drains and exits cleanly on SIGTERM"
    );
    eventually(
        "readyz fails once the worker is gone",
        Duration::from_secs(30),
        || async { ready().await == 503 },
    )
    .await;
    assert!(web.stop(), "the web server exits cleanly on SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_on_postgres_run_each_job_once() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let data = TempDir::new("two-workers");
    let n_jobs = 3_000;
    let now = SystemClock.now();
    let jobs: Vec<NewJob> = (0..n_jobs)
        .map(|_| NewJob::new(NOOP_KIND, serde_json::json!({}), now))
        .collect();
    test_db.db.enqueue_many(&jobs, now).await.unwrap();

    let start_worker = || {
        Background(
            agora(data.path())
                .args(["serve", "--worker-only", "--database-url", &test_db.url])
                .spawn()
                .unwrap(),
        )
    };
    let mut workers = [start_worker(), start_worker()];
    // Workers also run their own jobs (the publishing sweep): count ours.
    eventually("all jobs done", Duration::from_secs(180), || async {
        test_db.db.attempt_timings(NOOP_KIND).await.unwrap().len() >= n_jobs
    })
    .await;
    for worker in &mut workers {
        assert!(worker.stop());
    }
    let timings = test_db.db.attempt_timings(NOOP_KIND).await.unwrap();
    let mut runs: HashMap<i64, usize> = HashMap::new();
    for timing in &timings {
        *runs.entry(timing.job_id).or_default() += 1;
    }
    assert_eq!(runs.len(), n_jobs, "every job ran");
    assert!(runs.values().all(|n| *n == 1), "no job ran twice");
    let n_workers = test_db.db.attempt_workers(NOOP_KIND).await.unwrap();
    assert_eq!(n_workers, 2, "both processes took jobs");
}

/// 200 members answer "going" at the same moment, through two server
/// processes sharing one database, to an event with 20 seats.
async fn two_servers_never_over_book(test_db: TestDb) {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug};
    use agora_core::community::{CommunityStore, NewSpace, SpaceKind, Visibility};
    use agora_core::events::{EventDetails, EventFormat, EventStore, NewEvent, RsvpState};
    use agora_core::members::MemberStore;
    use agora_core::secrets::{random_token, token_digest};

    let db = &test_db.db;
    let now = SystemClock.now();
    let workspace = db
        .create_workspace(&Slug::parse("riders").unwrap(), "Riders", false, now)
        .await
        .unwrap();
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Group,
            slug: "rides".into(),
            name: "Rides".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: now,
        })
        .await
        .unwrap();
    let mut tokens = Vec::new();
    let mut members = Vec::new();
    for n in 0..200 {
        let account = db
            .create_account(
                &Email::parse(&format!("rider{n}@riders.test")).unwrap(),
                &DisplayName::parse(&format!("Rider {n}")).unwrap(),
                "unused-hash",
                now,
            )
            .await
            .unwrap();
        db.upsert_membership(account.id, workspace.id, Role::Member, now)
            .await
            .unwrap();
        members.push(
            db.member_of_account(workspace.id, account.id)
                .await
                .unwrap()
                .unwrap(),
        );
        let token = format!("agp_{}", random_token(32));
        db.create_api_token(account.id, "test", &token_digest(&token), &token[..10], now)
            .await
            .unwrap();
        tokens.push(token);
    }
    let event = db
        .create_event(
            &NewEvent {
                workspace_id: workspace.id,
                group_id: group.id,
                created_by: members[0],
                uid: "ride@riders.agora".into(),
                details: EventDetails {
                    title: "Popular ride".into(),
                    description: String::new(),
                    timezone: "Europe/Paris".into(),
                    starts_at: now.plus_millis(7 * 86_400_000),
                    ends_at: now.plus_millis(7 * 86_400_000 + 3_600_000),
                    format: EventFormat::Offline,
                    join_url: None,
                    venue: "Café".into(),
                    address: String::new(),
                    capacity: Some(20),
                    rsvp_deadline: None,
                },
            },
            now,
        )
        .await
        .unwrap();

    let data = TempDir::new("two-servers");
    let servers = [
        Server::start(
            data.path(),
            &["serve", "--web-only", "--database-url", &test_db.url],
            &[],
        ),
        Server::start(
            data.path(),
            &["serve", "--web-only", "--database-url", &test_db.url],
            &[],
        ),
    ];
    agora_connectors::networks::install_crypto_provider();
    let client = reqwest::Client::new();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(tokens.len()));
    let mut tasks = Vec::new();
    for (n, token) in tokens.iter().enumerate() {
        let url = servers[n % 2].url(&format!("/api/v1/w/riders/events/{event}/rsvp"));
        let (client, token, barrier) = (client.clone(), token.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let response = client
                .put(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"state": "going"}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let going = answers.iter().filter(|a| a["state"] == "going").count();
    assert_eq!(going, 20, "exactly the capacity is going");
    let mut positions: Vec<i64> = answers
        .iter()
        .filter(|a| a["state"] == "waitlisted")
        .map(|a| a["position"].as_i64().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=180).collect::<Vec<_>>(),
        "180 waitlisted, each in their place"
    );
    // What each member was told is what is stored, and the stored waitlist is
    // in order of arrival.
    let attendees = db.attendees(event).await.unwrap();
    for (member, answer) in members.iter().zip(&answers) {
        let stored = attendees.iter().find(|r| r.member_id == *member).unwrap();
        assert_eq!(stored.state.as_str(), answer["state"].as_str().unwrap());
        assert_eq!(stored.position, answer["position"].as_i64());
    }
    let waitlist: Vec<i64> = attendees
        .iter()
        .filter(|r| r.state == RsvpState::Waitlisted)
        .filter_map(|r| r.position)
        .collect();
    assert_eq!(waitlist, (1..=180).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_sqlite_never_over_book_an_event() {
    two_servers_never_over_book(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_postgres_never_over_book_an_event() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    two_servers_never_over_book(test_db).await;
}
