//! Contract: channels, posts, targets and attempts; a target's states move
//! only from the states they may leave.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, NewChannel, NewPost, NewVariant, PostStatus, PostStore,
    TargetStatus,
};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

fn result(outcome: AttemptOutcome, at: Timestamp) -> AttemptResult {
    AttemptResult {
        outcome,
        request: "POST https://example.test/api/v1/statuses".into(),
        http_status: Some(200),
        response: "{}".into(),
        message: None,
        remote_id: None,
        remote_url: None,
        next_attempt_at: None,
        finished_at: at,
    }
}

contract!(
    targets_move_through_their_states,
    targets_move_through_their_states
);
async fn targets_move_through_their_states(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let author = db
        .create_member(&NewMember {
            workspace_id: workspace,
            account_id: None,
            name: "Mara Marketer".into(),
            email: None,
            joined_at: T0,
            is_staff: true,
        })
        .await
        .unwrap();
    let new_channel = |network: Network, name: &str| NewChannel {
        workspace_id: workspace,
        network,
        name: name.into(),
        avatar_url: None,
        base_url: "http://127.0.0.1:1".into(),
        account: String::new(),
        timezone: "Europe/Paris".into(),
        sealed_credentials: "v1:abcd:sealed".into(),
        max_chars: 500,
        max_media: 4,
        chars_per_url: 23,
        max_image_bytes: None,
        created_at: T0,
    };
    let mastodon = db
        .create_channel(&new_channel(Network::Mastodon, "@acme@social"))
        .await
        .unwrap();
    let matrix = db
        .create_channel(&new_channel(Network::Matrix, "#acme room"))
        .await
        .unwrap();
    assert_eq!(db.channels(workspace).await.unwrap().len(), 2);
    assert_eq!(
        db.channel_credentials(mastodon.id).await.unwrap(),
        "v1:abcd:sealed"
    );
    assert_eq!(mastodon.health(), "ok");

    let at = T0.plus_seconds(120);
    let post = db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: vec![
                NewVariant {
                    channel_id: mastodon.id,
                    text: "Hello fediverse".into(),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                },
                NewVariant {
                    channel_id: matrix.id,
                    text: "Hello room".into(),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                },
            ],
            scheduled_at: Some(at),
            created_at: T0,
            campaign_id: None,
            hold: false,
        })
        .await
        .unwrap();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(view.status, PostStatus::Scheduled);
    assert_eq!(view.author_name, "Mara Marketer");
    let (first, second) = (view.targets[0].clone(), view.targets[1].clone());
    assert_eq!(first.next_attempt_at, Some(at));
    assert!(
        db.due_targets(T0, 10).await.unwrap().is_empty(),
        "not due yet"
    );
    assert_eq!(db.due_targets(at, 10).await.unwrap().len(), 2);

    // One worker opens an attempt; a second cannot.
    let attempt = db.begin_attempt(first.id, 0, at).await.unwrap().unwrap();
    assert_eq!(db.begin_attempt(first.id, 0, at).await.unwrap(), None);
    assert_eq!(
        db.post(workspace, post).await.unwrap().unwrap().status,
        PostStatus::Publishing
    );
    db.finish_attempt(
        first.id,
        attempt,
        &AttemptResult {
            remote_id: Some("109".into()),
            remote_url: Some("https://social.example/@acme/109".into()),
            ..result(AttemptOutcome::Published, at.plus_seconds(1))
        },
    )
    .await
    .unwrap();

    // The second: a 500, retried later, then the worker dies mid-request.
    let attempt = db.begin_attempt(second.id, 0, at).await.unwrap().unwrap();
    db.finish_attempt(
        second.id,
        attempt,
        &AttemptResult {
            http_status: Some(500),
            message: Some("the network answered 500".into()),
            next_attempt_at: Some(at.plus_seconds(60)),
            ..result(AttemptOutcome::Retryable, at.plus_seconds(1))
        },
    )
    .await
    .unwrap();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(view.status, PostStatus::Partial);
    assert_eq!(view.targets[0].remote_id.as_deref(), Some("109"));
    assert_eq!(view.targets[1].status, TargetStatus::Retrying);
    assert!(
        db.due_targets(at.plus_seconds(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let _open = db
        .begin_attempt(second.id, 0, at.plus_seconds(60))
        .await
        .unwrap()
        .unwrap();
    db.abandon_open_attempts(second.id, at.plus_seconds(400))
        .await
        .unwrap();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(view.status, PostStatus::Unconfirmed);
    assert!(
        view.targets[1]
            .message
            .as_deref()
            .unwrap()
            .contains("stopped while sending")
    );
    let attempts = db.attempts(post).await.unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.outcome).collect::<Vec<_>>(),
        [
            AttemptOutcome::Published,
            AttemptOutcome::Retryable,
            AttemptOutcome::Unconfirmed
        ]
    );
    assert_eq!(attempts[1].http_status, Some(500));

    // Publish again: a new generation; old jobs (generation 0) cannot begin.
    let generation = db
        .requeue_target(second.id, at.plus_seconds(500))
        .await
        .unwrap();
    assert_eq!(generation, Some(1));
    assert_eq!(
        db.begin_attempt(second.id, 0, at.plus_seconds(500))
            .await
            .unwrap(),
        None
    );
    let attempt = db
        .begin_attempt(second.id, 1, at.plus_seconds(500))
        .await
        .unwrap()
        .unwrap();
    db.finish_attempt(
        second.id,
        attempt,
        &AttemptResult {
            message: Some("timed out".into()),
            ..result(AttemptOutcome::Unconfirmed, at.plus_seconds(530))
        },
    )
    .await
    .unwrap();
    assert!(
        db.mark_published(second.id, at.plus_seconds(600))
            .await
            .unwrap()
    );
    assert!(
        !db.mark_published(second.id, at.plus_seconds(600))
            .await
            .unwrap()
    );
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(view.status, PostStatus::Published);

    // A budget counts the channel's attempts in its window (one so far on
    // Mastodon, at `at`), and holds a new one until the window allows it.
    let more = db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: vec![NewVariant {
                channel_id: mastodon.id,
                text: "Another".into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: Some(at),
            created_at: T0,
            campaign_id: None,
            hold: false,
        })
        .await
        .unwrap();
    let more = db.post(workspace, more).await.unwrap().unwrap().targets[0].id;
    let soon = at.plus_seconds(10);
    assert_eq!(
        db.begin_attempt_within_budget(more, 0, soon, mastodon.id, 1, 3_600)
            .await
            .unwrap(),
        Err(at.plus_seconds(3_600)),
        "one per hour: held until the first leaves the window"
    );
    assert!(
        db.begin_attempt_within_budget(more, 0, soon, mastodon.id, 2, 3_600)
            .await
            .unwrap()
            .is_ok_and(|begun| begun.is_some()),
        "two per hour: it goes"
    );

    // Health, pause, credentials, removal.
    db.channel_health(
        matrix.id,
        None,
        Some(("401: token revoked", at)),
        true,
        None,
    )
    .await
    .unwrap();
    let matrix = db.channel(workspace, matrix.id).await.unwrap().unwrap();
    assert!(matrix.needs_reconnect && matrix.last_error.as_deref() == Some("401: token revoked"));
    db.set_channel_credentials(matrix.id, "v1:abcd:new", true)
        .await
        .unwrap();
    let matrix = db.channel(workspace, matrix.id).await.unwrap().unwrap();
    assert!(!matrix.needs_reconnect);
    db.set_channel_paused(matrix.id, true).await.unwrap();
    assert_eq!(
        db.channel(workspace, matrix.id)
            .await
            .unwrap()
            .unwrap()
            .health(),
        "paused"
    );
    assert_eq!(db.posts(workspace, 10).await.unwrap().len(), 2);
    db.delete_channel(matrix.id).await.unwrap();
    assert_eq!(db.channels(workspace).await.unwrap().len(), 1);

    // A draft has no time and is never due.
    let draft = db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: vec![NewVariant {
                channel_id: mastodon.id,
                text: "Later".into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: None,
            created_at: T0,
            campaign_id: None,
            hold: false,
        })
        .await
        .unwrap();
    assert_eq!(
        db.post(workspace, draft).await.unwrap().unwrap().status,
        PostStatus::Draft
    );
    assert!(
        db.due_targets(at.plus_seconds(100_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
