//! Contract: campaigns, approvals that hold and release a post's targets,
//! moving a post, its history, and the media library.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::desk::{Approval, DeskStore, Utm, check_campaign};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{NewChannel, NewPost, NewVariant, PostStore, TargetStatus};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

contract!(approvals_hold_and_release, approvals_hold_and_release);
async fn approvals_hold_and_release(db: Db) {
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
    let channel = db
        .create_channel(&NewChannel {
            workspace_id: workspace,
            network: Network::Mastodon,
            name: "@acme@social.example".into(),
            avatar_url: None,
            base_url: "http://127.0.0.1:1".into(),
            account: String::new(),
            timezone: "Europe/Paris".into(),
            sealed_credentials: String::new(),
            max_chars: 500,
            max_media: 4,
            chars_per_url: 23,
            max_image_bytes: None,
            created_at: T0,
        })
        .await
        .unwrap()
        .id;

    let spring = check_campaign(
        workspace,
        "Spring",
        "Sell bikes",
        "2027-03-01",
        "2027-03-31",
        "#db2777",
        Utm {
            source: "social".into(),
            ..Utm::default()
        },
    )
    .unwrap();
    let campaign = db.create_campaign(&spring, T0).await.unwrap();
    assert!(
        db.create_campaign(&spring, T0).await.is_err(),
        "names are unique"
    );
    let listed = db.campaigns(workspace).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].color.as_str(), listed[0].utm.source.as_str()),
        ("#db2777", "social")
    );

    assert!(!db.posts_need_approval(workspace).await.unwrap());
    db.set_posts_need_approval(workspace, true).await.unwrap();
    assert!(db.posts_need_approval(workspace).await.unwrap());

    let at = T0.plus_millis(86_400_000);
    let post = db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: vec![NewVariant {
                channel_id: channel,
                text: "Spring".into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: Some(at),
            created_at: T0,
            campaign_id: Some(campaign),
            hold: true,
        })
        .await
        .unwrap();
    let statuses =
        |view: agora_core::posts::Post| view.targets.iter().map(|t| t.status).collect::<Vec<_>>();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(
        (view.approval.as_str(), view.campaign_id),
        ("pending", Some(campaign))
    );
    assert_eq!(statuses(view.clone()), vec![TargetStatus::Draft], "held");
    assert_eq!(
        view.targets[0].next_attempt_at,
        Some(at),
        "its time is kept"
    );
    assert!(
        db.due_targets(at, 10).await.unwrap().is_empty(),
        "a held post is never due"
    );
    assert_eq!(
        db.approval(post).await.unwrap(),
        Some((Approval::Pending, author))
    );

    db.set_approval(post, Approval::Approved, false, true)
        .await
        .unwrap();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(statuses(view), vec![TargetStatus::Scheduled]);
    assert_eq!(db.due_targets(at, 10).await.unwrap().len(), 1);

    // Moving it moves its targets; editing its text; holding it again.
    let later = at.plus_millis(3_600_000);
    let moved = db.reschedule_post(workspace, post, later).await.unwrap();
    assert_eq!(moved.len(), 1);
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(
        (view.scheduled_at, view.targets[0].next_attempt_at),
        (Some(later), Some(later))
    );
    assert!(
        db.reschedule_post(workspace + 1, post, later)
            .await
            .is_err(),
        "not another workspace's"
    );
    assert!(
        db.edit_target_text(post, view.targets[0].id, "Spring!")
            .await
            .unwrap()
    );
    db.set_approval(post, Approval::Pending, true, false)
        .await
        .unwrap();
    let view = db.post(workspace, post).await.unwrap().unwrap();
    assert_eq!(view.targets[0].text, "Spring!");
    assert_eq!(statuses(view), vec![TargetStatus::Draft]);

    db.record_history(post, author, "created", "", T0)
        .await
        .unwrap();
    db.record_history(post, author, "rejected", "Say which bikes", T0)
        .await
        .unwrap();
    let history = db.history(post).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1].action.as_str(), history[1].comment.as_str()),
        ("rejected", "Say which bikes")
    );
    assert_eq!(history[0].member_name, "Mara Marketer");

    db.set_post_campaign(post, None).await.unwrap();
    assert_eq!(
        db.post(workspace, post).await.unwrap().unwrap().campaign_id,
        None
    );

    // The media library keeps the bytes and the alt text.
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let id = db
        .add_media(
            &agora_core::desk::NewMedia {
                workspace_id: workspace,
                member_id: author,
                filename: "bike.png",
                content_type: "image/png",
                alt: "A red bike",
                bytes: &png,
            },
            T0,
        )
        .await
        .unwrap();
    let library = db.media_library(workspace).await.unwrap();
    assert_eq!(
        (library[0].size, library[0].alt.as_str()),
        (7, "A red bike")
    );
    let (item, bytes) = db.media_bytes(workspace, id).await.unwrap().unwrap();
    assert_eq!((item.filename.as_str(), bytes), ("bike.png", png));
    assert!(db.media_bytes(workspace + 1, id).await.unwrap().is_none());
    assert!(db.delete_media(workspace, id).await.unwrap());
    assert!(db.media_library(workspace).await.unwrap().is_empty());
}
