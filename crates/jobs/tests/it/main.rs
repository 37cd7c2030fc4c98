//! Worker behaviour, stepped with a clock the test moves, on both backends.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agora_core::jobs::{JobOutcomeCounters, JobState, JobStore, NewJob};
use agora_core::{Clock, ManualClock, Timestamp};
use agora_jobs::{JobError, NOOP_KIND, Registry, Worker, WorkerSettings};
use agora_store::{Backend, Db};
use agora_testkit::TestDb;

const T0: Timestamp = Timestamp(1_790_000_000_000);

struct Rig {
    db: Db,
    clock: ManualClock,
    worker: Worker<Db>,
    calls: Arc<AtomicUsize>,
    counters: Arc<JobOutcomeCounters>,
    _test_db: TestDb,
}

async fn rig(backend: Backend) -> Option<Rig> {
    let test_db = TestDb::on(backend).await?;
    let clock = ManualClock::new(T0);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::with_builtins();
    let flaky_calls = calls.clone();
    // Fails on its first two attempts, then succeeds.
    registry.register("test.flaky", move |_job| {
        let n_call = flaky_calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if n_call < 2 {
                Err(JobError::Retry(format!("transient failure {n_call}")))
            } else {
                Ok(())
            }
        }
    });
    registry.register("test.permanent", |_job| async {
        Err(JobError::Permanent("the network refused the token".into()))
    });
    registry.register("test.panics", |_job| async { panic!("handler bug") });
    let counters = Arc::new(JobOutcomeCounters::default());
    let worker = Worker::new(
        test_db.db.clone(),
        registry,
        Arc::new(clock.clone()),
        WorkerSettings::default(),
        counters.clone(),
    );
    Some(Rig {
        db: test_db.db.clone(),
        clock,
        worker,
        calls,
        counters,
        _test_db: test_db,
    })
}

macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(agora_store::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(agora_store::Backend::Postgres).await;
            }
        }
    };
}

both_backends!(runs_due_jobs_only);
async fn runs_due_jobs_only(backend: Backend) {
    let Some(rig) = rig(backend).await else {
        return;
    };
    rig.db
        .enqueue(
            &NewJob::new(NOOP_KIND, serde_json::json!({}), T0.plus_seconds(60)),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(rig.worker.run_once().await.unwrap(), 0, "not due yet");
    rig.clock.advance_seconds(60);
    assert_eq!(rig.worker.run_once().await.unwrap(), 1);
    assert_eq!(
        rig.db
            .queue_counts(rig.clock.now())
            .await
            .unwrap()
            .succeeded,
        1
    );
    assert_eq!(rig.counters.succeeded.load(Ordering::Relaxed), 1);
}

both_backends!(retries_back_off_then_succeed);
async fn retries_back_off_then_succeed(backend: Backend) {
    let Some(rig) = rig(backend).await else {
        return;
    };
    let id = rig
        .db
        .enqueue(&NewJob::new("test.flaky", serde_json::json!({}), T0), T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rig.worker.run_once().await.unwrap(), 1);
    assert_eq!(
        rig.worker.run_once().await.unwrap(),
        0,
        "waiting for backoff"
    );
    let retrying = rig
        .db
        .list_jobs(None, JobState::Queued, true, 10)
        .await
        .unwrap();
    assert_eq!(
        retrying[0].last_error.as_deref(),
        Some("transient failure 0")
    );
    let first_retry_at = retrying[0].run_at;
    assert!(
        first_retry_at > T0.plus_seconds(1),
        "backoff of at least 2 s"
    );
    rig.clock.set(first_retry_at);
    assert_eq!(rig.worker.run_once().await.unwrap(), 1);
    let second_retry_at = rig
        .db
        .list_jobs(None, JobState::Queued, true, 10)
        .await
        .unwrap()[0]
        .run_at;
    assert!(
        second_retry_at.millis() - first_retry_at.millis() > first_retry_at.millis() - T0.millis(),
        "backoff grows"
    );
    rig.clock.set(second_retry_at);
    assert_eq!(rig.worker.run_once().await.unwrap(), 1);
    assert_eq!(rig.calls.load(Ordering::SeqCst), 3);
    let outcomes: Vec<String> = rig
        .db
        .job_attempts(id)
        .await
        .unwrap()
        .into_iter()
        .map(|attempt| attempt.outcome)
        .collect();
    assert_eq!(outcomes, ["retrying", "retrying", "succeeded"]);
}

both_backends!(permanent_failures_unknown_kinds_and_exhausted_jobs_are_dead);
async fn permanent_failures_unknown_kinds_and_exhausted_jobs_are_dead(backend: Backend) {
    let Some(rig) = rig(backend).await else {
        return;
    };
    rig.db
        .enqueue(
            &NewJob::new("test.permanent", serde_json::json!({}), T0),
            T0,
        )
        .await
        .unwrap();
    rig.db
        .enqueue(&NewJob::new("no.such.kind", serde_json::json!({}), T0), T0)
        .await
        .unwrap();
    rig.db
        .enqueue(
            &NewJob::new("test.flaky", serde_json::json!({}), T0).max_attempts(1),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(rig.worker.run_once().await.unwrap(), 3);
    let dead = rig
        .db
        .list_jobs(None, JobState::Dead, false, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 3);
    let errors: Vec<String> = dead
        .iter()
        .filter_map(|job| job.last_error.clone())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("refused the token")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("no handler for job kind")),
        "{errors:?}"
    );
    assert_eq!(rig.counters.dead.load(Ordering::Relaxed), 3);
}

both_backends!(a_panicking_handler_is_a_failed_attempt);
async fn a_panicking_handler_is_a_failed_attempt(backend: Backend) {
    let Some(rig) = rig(backend).await else {
        return;
    };
    rig.db
        .enqueue(&NewJob::new("test.panics", serde_json::json!({}), T0), T0)
        .await
        .unwrap();
    assert_eq!(rig.worker.run_once().await.unwrap(), 1);
    let retrying = rig
        .db
        .list_jobs(None, JobState::Queued, true, 10)
        .await
        .unwrap();
    assert!(
        retrying[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("panicked")
    );
}

both_backends!(heartbeat_is_recorded_with_the_clock);
async fn heartbeat_is_recorded_with_the_clock(backend: Backend) {
    let Some(rig) = rig(backend).await else {
        return;
    };
    rig.worker.heartbeat().await.unwrap();
    assert_eq!(rig.db.latest_heartbeat().await.unwrap(), Some(T0));
}

both_backends!(digests_go_out_once_with_only_readable_threads);
async fn digests_go_out_once_with_only_readable_threads(backend: Backend) {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug};
    use agora_core::community::{
        CommunityStore, NewSpace, NewThread, SpaceKind, ThreadKind, Visibility,
    };
    use agora_core::members::{DigestFrequency, MemberStore};
    use agora_jobs::digests::{next_run, run_digests};

    let Some(rig) = rig(backend).await else {
        return;
    };
    let db = &rig.db;
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap();
    let account = db
        .create_account(
            &Email::parse("rea@acme.test").unwrap(),
            &DisplayName::parse("Rea Reader").unwrap(),
            "x",
            T0,
        )
        .await
        .unwrap();
    db.upsert_membership(account.id, workspace.id, Role::Member, T0)
        .await
        .unwrap();
    let reader = db
        .member_of_account(workspace.id, account.id)
        .await
        .unwrap()
        .unwrap();
    db.set_email_preferences(reader, true, DigestFrequency::Daily)
        .await
        .unwrap();
    let new_group = |slug: &str, visibility| NewSpace {
        workspace_id: workspace.id,
        kind: SpaceKind::Group,
        slug: slug.into(),
        name: slug.into(),
        description: String::new(),
        network: "native".into(),
        visibility,
        rules: String::new(),
        created_at: T0,
    };
    let open = db
        .create_space(&new_group("open", Visibility::Public))
        .await
        .unwrap();
    let private = db
        .create_space(&new_group("private", Visibility::Private))
        .await
        .unwrap();
    for (space, title) in [(open.id, "Open news"), (private.id, "Private plans")] {
        db.create_thread(&NewThread {
            space_id: space,
            author_id: reader,
            kind: ThreadKind::Discussion,
            title: title.into(),
            body: "x".into(),
            created_at: T0.plus_seconds(60),
        })
        .await
        .unwrap();
    }

    let now = T0.plus_seconds(3_600);
    assert_eq!(
        run_digests(db, now, "https://agora.example").await.unwrap(),
        1
    );
    assert_eq!(
        run_digests(db, now.plus_seconds(60), "https://agora.example")
            .await
            .unwrap(),
        0,
        "once a day"
    );
    let queued = db
        .list_jobs(None, JobState::Queued, false, 10)
        .await
        .unwrap();
    let email = queued
        .iter()
        .find(|job| job.kind == "email.send")
        .expect("a digest e-mail");
    let claimed = db.claim("w", 10, now, 60_000).await.unwrap();
    let payload = &claimed
        .iter()
        .find(|job| job.id == email.id)
        .unwrap()
        .payload;
    let text = payload["text"].as_str().unwrap();
    assert!(
        text.contains("Open news") && !text.contains("Private plans"),
        "{text}"
    );
    assert!(
        payload["unsubscribe_url"]
            .as_str()
            .unwrap()
            .starts_with("https://agora.example/unsubscribe?token=")
    );
    assert!(
        run_digests(db, now.plus_seconds(21 * 3_600), "https://agora.example")
            .await
            .is_ok()
    );

    let next = next_run(Timestamp(0));
    assert_eq!(next, Timestamp(7 * 3_600_000));
    assert_eq!(next_run(next), next.plus_seconds(86_400));
}

both_backends!(weekly_health_reports_go_to_analytics_roles_once);
async fn weekly_health_reports_go_to_analytics_roles_once(backend: Backend) {
    use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug};
    use agora_core::analytics::import::{
        ImportSourceName, InteractionImportStore, InteractionReader, read_member,
    };
    use agora_jobs::analytics::{next_run, send_weekly_reports};

    let Some(rig) = rig(backend).await else {
        return;
    };
    let db = &rig.db;
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap();
    for (email, role) in [
        ("cora@acme.test", Role::CommunityManager),
        ("mo@acme.test", Role::Moderator),
        ("mina@acme.test", Role::Member),
    ] {
        let account = db
            .create_account(
                &Email::parse(email).unwrap(),
                &DisplayName::parse("Someone").unwrap(),
                "x",
                T0,
            )
            .await
            .unwrap();
        db.upsert_membership(account.id, workspace.id, role, T0)
            .await
            .unwrap();
    }
    let end = T0.day() * 86_400;
    let (members, interactions) = agora_testkit::health::random_log(3, 40, 300, end);
    let members: Vec<_> = members
        .lines()
        .skip(1)
        .enumerate()
        .map(|(index, line)| read_member(index as u64 + 2, line).unwrap())
        .collect();
    let mut reader = InteractionReader::default();
    let mut rows = interactions
        .lines()
        .skip(1)
        .enumerate()
        .map(|(index, line)| reader.read(index as u64 + 2, line))
        .collect::<Vec<_>>()
        .into_iter();
    db.import_interactions(
        workspace.id,
        &ImportSourceName::parse("test").unwrap(),
        &members,
        &mut rows,
        &mut |_| {},
    )
    .await
    .unwrap();

    // Two posts: one two days ago (10 + 2 engagements), one nine days ago (4).
    {
        use agora_core::members::{MemberStore, NewMember};
        use agora_core::posts::{
            AttemptOutcome, AttemptResult, Engagement, NewChannel, NewPost, NewVariant, PostStore,
        };
        use agora_core::text_limits::Network;
        let author = db
            .create_member(&NewMember {
                workspace_id: workspace.id,
                account_id: None,
                name: "Mara".into(),
                email: None,
                joined_at: T0,
                is_staff: true,
            })
            .await
            .unwrap();
        let channel = db
            .create_channel(&NewChannel {
                workspace_id: workspace.id,
                network: Network::Mastodon,
                name: "Acme on Mastodon".into(),
                avatar_url: None,
                base_url: "http://127.0.0.1:1".into(),
                account: String::new(),
                timezone: "UTC".into(),
                sealed_credentials: "v1:abcd:sealed".into(),
                max_chars: 500,
                max_media: 4,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: T0,
            })
            .await
            .unwrap()
            .id;
        for (text, days_ago, likes, shares) in
            [("New frames are in", 2, 10, 2), ("Ride on Sunday", 9, 4, 0)]
        {
            let at = T0.plus_seconds(-days_ago * 86_400);
            let post = db
                .create_post(&NewPost {
                    workspace_id: workspace.id,
                    author_id: author,
                    variants: vec![NewVariant {
                        channel_id: channel,
                        text: text.into(),
                        content_warning: None,
                        language: None,
                        visibility: None,
                        link_card: None,
                        media: Vec::new(),
                    }],
                    scheduled_at: Some(at),
                    created_at: at,
                    campaign_id: None,
                    hold: false,
                })
                .await
                .unwrap();
            let target = db.post(workspace.id, post).await.unwrap().unwrap().targets[0].id;
            let attempt = db.begin_attempt(target, 0, at).await.unwrap().unwrap();
            db.finish_attempt(
                target,
                attempt,
                &AttemptResult {
                    outcome: AttemptOutcome::Published,
                    request: String::new(),
                    http_status: Some(200),
                    response: String::new(),
                    message: None,
                    remote_id: Some(format!("remote-{post}")),
                    remote_url: None,
                    next_attempt_at: None,
                    finished_at: at,
                },
            )
            .await
            .unwrap();
            db.record_engagement(
                target,
                &Engagement {
                    likes,
                    shares,
                    replies: 0,
                    quotes: 0,
                    impressions: None,
                    reach: None,
                    clicks: None,
                    read_at: at.plus_seconds(3_600),
                },
            )
            .await
            .unwrap();
        }
    }

    let now = T0;
    assert_eq!(
        send_weekly_reports(db, now, "https://agora.example")
            .await
            .unwrap(),
        1,
        "only the community manager reads analytics"
    );
    send_weekly_reports(db, now.plus_seconds(60), "https://agora.example")
        .await
        .unwrap();
    let claimed = db
        .claim("w", 10, now.plus_seconds(60), 60_000)
        .await
        .unwrap();
    let emails: Vec<_> = claimed
        .iter()
        .filter(|job| job.kind == "email.send")
        .collect();
    assert_eq!(emails.len(), 1, "once per week and person");
    let payload = &emails[0].payload;
    assert_eq!(payload["to"], "cora@acme.test");
    assert!(
        payload["subject"]
            .as_str()
            .unwrap()
            .contains("weekly community health")
    );
    let text = payload["text"].as_str().unwrap();
    assert!(text.contains("Verdict: "), "{text}");
    assert!(text.contains("- Space g0: "), "{text}");
    assert!(text.contains("https://agora.example/w/acme/analytics/health"));
    // The marketer's part: the last seven days against the seven before.
    assert!(
        text.contains("\nPosts published: 1 (+0, +0%); 1 measured\n"),
        "{text}"
    );
    assert!(text.contains("Engagements: 12 (+8, +200%)"), "{text}");
    assert!(
        text.contains("- Acme on Mastodon: 1 post, 12 engagements (+8, +200%)"),
        "{text}"
    );
    assert!(
        text.contains("Best post: \"New frames are in\" on Acme on Mastodon, 12 engagements"),
        "{text}"
    );
    assert!(text.contains("Impressions: not reported"), "{text}");
    assert!(text.contains("https://agora.example/w/acme/analytics/audience"));

    // Mondays at 08:00 UTC: 1970-01-01 was a Thursday.
    let first = next_run(Timestamp(0));
    assert_eq!(first, Timestamp((4 * 24 + 8) * 3_600_000));
    assert_eq!(next_run(first), first.plus_seconds(7 * 86_400));
    assert_eq!(next_run(first.plus_seconds(-1)), first);
}
