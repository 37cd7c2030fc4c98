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
