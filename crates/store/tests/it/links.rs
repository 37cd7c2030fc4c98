//! Contract: a target's tracked links are made once (the same tokens on a
//! retry), lead to their URL by token, and their clicks are counted per
//! target; the audience reads clicks only for targets published with
//! tracking, and the workspace's setting is on by default.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::audience::AudienceStore;
use agora_core::links::LinkStore;
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

contract!(
    tracked_links_are_made_once_and_count_clicks_per_target,
    tracked_links_are_made_once_and_count_clicks_per_target
);
async fn tracked_links_are_made_once_and_count_clicks_per_target(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    assert!(
        db.track_link_clicks(workspace).await.unwrap(),
        "on by default"
    );
    db.set_track_link_clicks(workspace, false).await.unwrap();
    assert!(!db.track_link_clicks(workspace).await.unwrap());
    db.set_track_link_clicks(workspace, true).await.unwrap();

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
    let channel = db
        .create_channel(&NewChannel {
            workspace_id: workspace,
            network: Network::Mastodon,
            name: "@acme@velo.example".into(),
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
    let publish = async |text: &str| {
        let id = db
            .create_post(&NewPost {
                workspace_id: workspace,
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
                scheduled_at: Some(T0),
                created_at: T0,
                campaign_id: None,
                hold: false,
            })
            .await
            .unwrap();
        let target = db.post(workspace, id).await.unwrap().unwrap().targets[0].id;
        let attempt = db.begin_attempt(target, 0, T0).await.unwrap().unwrap();
        db.finish_attempt(
            target,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: String::new(),
                http_status: Some(200),
                response: String::new(),
                message: None,
                remote_id: Some(format!("remote-{id}")),
                remote_url: None,
                next_attempt_at: None,
                finished_at: T0,
            },
        )
        .await
        .unwrap();
        target
    };
    let first = publish("Roast https://a.example/1 and https://b.example/2").await;
    let second = publish("Also https://a.example/1").await;
    let untracked = publish("Old post https://c.example").await;

    let urls = [
        "https://a.example/1".to_owned(),
        "https://b.example/2".to_owned(),
    ];
    let links = db.tracked_links(first, &urls, T0).await.unwrap();
    assert_eq!(links.len(), 2);
    assert_eq!(links.iter().map(|l| l.position).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(links[0].url, "https://a.example/1");
    assert_eq!(links[1].target_id, first);
    for link in &links {
        assert_eq!(link.token.len(), 11, "{}", link.token);
        assert!(
            link.token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
    assert_ne!(links[0].token, links[1].token);
    // A retry gets the same rows and tokens.
    let again = db
        .tracked_links(first, &urls, T0.plus_seconds(60))
        .await
        .unwrap();
    assert_eq!(again, links);
    // The same URL on another target is another link.
    let other = db.tracked_links(second, &urls[..1], T0).await.unwrap();
    assert_ne!(other[0].token, links[0].token);
    db.set_links_tracked(first, true).await.unwrap();
    db.set_links_tracked(second, true).await.unwrap();

    let hit = db.link_by_token(&links[1].token).await.unwrap().unwrap();
    assert_eq!(hit.url, "https://b.example/2");
    assert_eq!(hit.workspace_id, workspace);
    assert_eq!(hit.link_id, links[1].id);
    assert_eq!(db.link_by_token("nosuchtoken").await.unwrap(), None);

    // Three clicks on the first target's two links, one by a member.
    db.record_click(links[0].id, T0.plus_seconds(10), None)
        .await
        .unwrap();
    db.record_click(links[1].id, T0.plus_seconds(20), Some(author))
        .await
        .unwrap();
    db.record_click(links[0].id, T0.plus_seconds(30), None)
        .await
        .unwrap();
    assert_eq!(db.target_clicks(first).await.unwrap(), 3);
    assert_eq!(db.target_clicks(second).await.unwrap(), 0);

    // The audience reads them: counted for tracked targets (0 is a count),
    // not reported for the target published without tracking.
    let posts = db
        .published_posts(workspace, T0, T0.plus_seconds(3_600))
        .await
        .unwrap();
    let clicks = |target| {
        posts
            .iter()
            .find(|post| post.target_id == target)
            .unwrap()
            .metrics
            .and_then(|metrics| metrics.clicks)
    };
    assert_eq!(clicks(first), Some(3));
    assert_eq!(clicks(second), Some(0));
    assert_eq!(clicks(untracked), None);
    let untracked_post = posts.iter().find(|p| p.target_id == untracked).unwrap();
    assert_eq!(
        untracked_post.metrics, None,
        "nothing read back, nothing tracked"
    );
}
