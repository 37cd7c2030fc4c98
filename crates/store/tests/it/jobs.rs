//! Contract: the job queue's claims, leases, retries, dead letters and uniqueness.

use std::collections::HashMap;

use agora_core::Timestamp;
use agora_core::jobs::{JobState, JobStore, NewJob};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);
const LEASE: i64 = 30_000;
const LONG_LEASE: i64 = 3_600_000;

fn job(kind: &str, run_at: Timestamp) -> NewJob {
    NewJob::new(kind, serde_json::json!({"n": 1}), run_at)
}

contract!(unique_keys_enqueue_once, unique_keys_enqueue_once);
async fn unique_keys_enqueue_once(db: Db) {
    let first = db
        .enqueue(&job("a", T0).unique("post-1/mastodon"), T0)
        .await
        .unwrap();
    let again = db
        .enqueue(&job("a", T0).unique("post-1/mastodon"), T0)
        .await
        .unwrap();
    let other = db
        .enqueue(&job("a", T0).unique("post-1/bluesky"), T0)
        .await
        .unwrap();
    let plain_1 = db.enqueue(&job("a", T0), T0).await.unwrap();
    let plain_2 = db.enqueue(&job("a", T0), T0).await.unwrap();
    assert!(first.is_some() && other.is_some() && plain_1.is_some() && plain_2.is_some());
    assert_eq!(again, None);
    assert_eq!(db.queue_counts(T0).await.unwrap().queued, 4);
}

contract!(
    claims_respect_run_at_and_limit,
    claims_respect_run_at_and_limit
);
async fn claims_respect_run_at_and_limit(db: Db) {
    for offset in 0..3 {
        db.enqueue(&job("now", T0.plus_seconds(-offset)), T0)
            .await
            .unwrap();
    }
    db.enqueue(&job("later", T0.plus_seconds(60)), T0)
        .await
        .unwrap();
    let counts = db.queue_counts(T0).await.unwrap();
    assert_eq!((counts.queued, counts.due), (4, 3));

    let claimed = db.claim("w1", 2, T0, LONG_LEASE).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed[0].run_at <= claimed[1].run_at, "oldest first");
    assert!(
        claimed
            .iter()
            .all(|job| job.attempt == 1 && job.kind == "now")
    );
    let rest = db.claim("w2", 10, T0, LONG_LEASE).await.unwrap();
    assert_eq!(rest.len(), 1, "the job due later is not claimed");
    assert!(
        db.claim("w2", 10, T0.plus_seconds(59), LONG_LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        db.claim("w2", 10, T0.plus_seconds(60), LONG_LEASE)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(db.queue_counts(T0).await.unwrap().running, 4);
}

contract!(
    expired_leases_are_reclaimed_and_fenced,
    expired_leases_are_reclaimed_and_fenced
);
async fn expired_leases_are_reclaimed_and_fenced(db: Db) {
    let id = db.enqueue(&job("a", T0), T0).await.unwrap().unwrap();
    let first = db.claim("w1", 1, T0, LEASE).await.unwrap().remove(0);
    assert!(
        db.claim("w2", 1, T0.plus_millis(LEASE - 1), LEASE)
            .await
            .unwrap()
            .is_empty(),
        "lease held"
    );
    let second = db
        .claim("w2", 1, T0.plus_millis(LEASE + 1), LEASE)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((second.id, second.attempt), (id, 2));
    assert!(
        !db.complete(&first, "w1", T0.plus_millis(LEASE + 2))
            .await
            .unwrap(),
        "the first worker lost its lease"
    );
    assert!(
        db.complete(&second, "w2", T0.plus_millis(LEASE + 3))
            .await
            .unwrap()
    );
    assert!(
        !db.complete(&second, "w2", T0.plus_millis(LEASE + 4))
            .await
            .unwrap(),
        "completes once"
    );
    let attempts = db.job_attempts(id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (
            attempts[0].attempt,
            attempts[0].worker_id.as_str(),
            attempts[0].outcome.as_str()
        ),
        (2, "w2", "succeeded")
    );
    assert_eq!(db.queue_counts(T0).await.unwrap().succeeded, 1);
}

contract!(
    failures_retry_then_dead_letter,
    failures_retry_then_dead_letter
);
async fn failures_retry_then_dead_letter(db: Db) {
    let id = db
        .enqueue(&job("flaky", T0).max_attempts(2), T0)
        .await
        .unwrap()
        .unwrap();
    let attempt_1 = db.claim("w1", 1, T0, LEASE).await.unwrap().remove(0);
    assert!(
        db.fail(
            &attempt_1,
            "w1",
            "network said 503",
            Some(T0.plus_seconds(2)),
            T0
        )
        .await
        .unwrap()
    );
    let retrying = db
        .list_jobs(None, JobState::Queued, true, 10)
        .await
        .unwrap();
    assert_eq!(retrying.len(), 1);
    assert_eq!(retrying[0].last_error.as_deref(), Some("network said 503"));
    assert_eq!(db.queue_counts(T0).await.unwrap().retrying, 1);
    assert!(
        db.claim("w1", 1, T0.plus_seconds(1), LEASE)
            .await
            .unwrap()
            .is_empty(),
        "backoff respected"
    );
    let attempt_2 = db
        .claim("w1", 1, T0.plus_seconds(2), LEASE)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(attempt_2.attempt, 2);
    assert!(
        db.fail(&attempt_2, "w1", "still 503", None, T0.plus_seconds(3))
            .await
            .unwrap()
    );
    let dead = db.list_jobs(None, JobState::Dead, false, 10).await.unwrap();
    assert_eq!((dead.len(), dead[0].id, dead[0].attempts), (1, id, 2));
    let outcomes: Vec<String> = db
        .job_attempts(id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, ["retrying", "dead"]);

    assert!(db.retry_job(None, id, T0.plus_seconds(10)).await.unwrap());
    assert!(
        !db.retry_job(None, id, T0.plus_seconds(10)).await.unwrap(),
        "only dead or retrying jobs"
    );
    let revived = db
        .claim("w1", 1, T0.plus_seconds(10), LEASE)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((revived.id, revived.attempt), (id, 1));
}

contract!(
    concurrent_claimers_never_share_a_job,
    concurrent_claimers_never_share_a_job
);
async fn concurrent_claimers_never_share_a_job(db: Db) {
    let jobs: Vec<NewJob> = (0..400).map(|_| job("count", T0)).collect();
    db.enqueue_many(&jobs, T0).await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let worker_id = format!("w{worker}");
            let mut seen = Vec::new();
            loop {
                let claimed = db.claim(&worker_id, 7, T0, LEASE).await.unwrap();
                if claimed.is_empty() {
                    break seen;
                }
                for job in claimed {
                    assert!(db.complete(&job, &worker_id, T0).await.unwrap());
                    seen.push(job.id);
                }
            }
        }));
    }
    let mut runs: HashMap<i64, usize> = HashMap::new();
    for task in tasks {
        for id in task.await.unwrap() {
            *runs.entry(id).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), 400);
    assert!(runs.values().all(|n| *n == 1), "a job ran twice");
    assert_eq!(db.queue_counts(T0).await.unwrap().succeeded, 400);
}

contract!(
    heartbeats_show_the_latest_worker,
    heartbeats_show_the_latest_worker
);
async fn heartbeats_show_the_latest_worker(db: Db) {
    assert_eq!(db.latest_heartbeat().await.unwrap(), None);
    db.heartbeat("w1", "host pid 1", T0).await.unwrap();
    db.heartbeat("w2", "host pid 2", T0.plus_seconds(5))
        .await
        .unwrap();
    db.heartbeat("w1", "host pid 1", T0.plus_seconds(3))
        .await
        .unwrap();
    assert_eq!(
        db.latest_heartbeat().await.unwrap(),
        Some(T0.plus_seconds(5))
    );
    db.remove_worker("w2").await.unwrap();
    assert_eq!(
        db.latest_heartbeat().await.unwrap(),
        Some(T0.plus_seconds(3))
    );
}
