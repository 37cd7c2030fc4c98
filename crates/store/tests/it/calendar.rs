//! Contract: the calendar's window of posts (scheduled time, or creation for
//! posts without one; `[from, to)`), its filters by channel, campaign,
//! status and author, and the private feed's tokens.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, DisplayName, Email, Role, Slug};
use agora_core::calendar::{CalendarQuery, CalendarStore, StatusFilter};
use agora_core::desk::{DeskStore, NewCampaign, Utm};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{NewChannel, NewPost, NewVariant, PostStatus, PostStore};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);
const HOUR: i64 = 3_600_000;

fn variant(channel: i64, text: &str) -> NewVariant {
    NewVariant {
        channel_id: channel,
        text: text.into(),
        content_warning: None,
        language: None,
        visibility: None,
        link_card: None,
        media: Vec::new(),
    }
}

contract!(
    the_calendar_window_holds_the_posts_of_its_time_and_filters,
    the_calendar_window_holds_the_posts_of_its_time_and_filters
);
async fn the_calendar_window_holds_the_posts_of_its_time_and_filters(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let other_workspace = db
        .create_workspace(&Slug::parse("other").unwrap(), "Other", true, T0)
        .await
        .unwrap()
        .id;
    let member = |workspace, name: &str| NewMember {
        workspace_id: workspace,
        account_id: None,
        name: name.into(),
        email: None,
        joined_at: T0,
        is_staff: true,
    };
    let mara = db.create_member(&member(workspace, "Mara")).await.unwrap();
    let nils = db.create_member(&member(workspace, "Nils")).await.unwrap();
    let olga = db
        .create_member(&member(other_workspace, "Olga"))
        .await
        .unwrap();
    let channel = |workspace, network, name: &str| NewChannel {
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
        .create_channel(&channel(workspace, Network::Mastodon, "@acme"))
        .await
        .unwrap()
        .id;
    let matrix = db
        .create_channel(&channel(workspace, Network::Matrix, "#acme"))
        .await
        .unwrap()
        .id;
    let elsewhere = db
        .create_channel(&channel(other_workspace, Network::Mastodon, "@other"))
        .await
        .unwrap()
        .id;
    let spring = db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Spring".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#db2777".into(),
                utm: Utm::default(),
            },
            T0,
        )
        .await
        .unwrap();
    let (from, to) = (T0, T0.plus_millis(24 * HOUR));
    let create = |workspace,
                  author,
                  variants: Vec<NewVariant>,
                  scheduled_at: Option<Timestamp>,
                  created_at: Timestamp,
                  campaign_id: Option<i64>,
                  hold: bool| {
        let db = db.clone();
        async move {
            db.create_post(&NewPost {
                workspace_id: workspace,
                author_id: author,
                variants,
                scheduled_at,
                created_at,
                campaign_id,
                hold,
            })
            .await
            .unwrap()
        }
    };
    let before = T0.plus_millis(-HOUR);
    // In the window, in time order: at `from` exactly, a draft written in
    // the window, two channels, a held post, the last minute.
    let at_start = create(
        workspace,
        mara,
        vec![variant(mastodon, "At the start")],
        Some(from),
        before,
        Some(spring),
        false,
    )
    .await;
    let draft = create(
        workspace,
        nils,
        vec![variant(matrix, "A draft")],
        None,
        T0.plus_millis(2 * HOUR),
        None,
        false,
    )
    .await;
    let both = create(
        workspace,
        mara,
        vec![
            variant(mastodon, "Both, toot"),
            variant(matrix, "Both, room"),
        ],
        Some(T0.plus_millis(5 * HOUR)),
        before,
        Some(spring),
        false,
    )
    .await;
    let held = create(
        workspace,
        nils,
        vec![variant(mastodon, "Awaiting review")],
        Some(T0.plus_millis(9 * HOUR)),
        before,
        None,
        true,
    )
    .await;
    let last = create(
        workspace,
        nils,
        vec![variant(matrix, "Last minute")],
        Some(to.plus_millis(-60_000)),
        before,
        None,
        false,
    )
    .await;
    // Outside: before, at `to` exactly, a draft written before, another workspace.
    create(
        workspace,
        mara,
        vec![variant(mastodon, "Too early")],
        Some(before),
        before,
        None,
        false,
    )
    .await;
    create(
        workspace,
        mara,
        vec![variant(mastodon, "At the end")],
        Some(to),
        before,
        None,
        false,
    )
    .await;
    create(
        workspace,
        mara,
        vec![variant(mastodon, "Old draft")],
        None,
        before,
        None,
        false,
    )
    .await;
    create(
        other_workspace,
        olga,
        vec![variant(elsewhere, "Not ours")],
        Some(T0.plus_millis(HOUR)),
        before,
        None,
        false,
    )
    .await;

    let ids = |posts: &[agora_core::calendar::CalendarPost]| {
        posts.iter().map(|p| p.id).collect::<Vec<_>>()
    };
    let window = CalendarQuery::window(from, to);
    let posts = db.calendar_posts(workspace, &window).await.unwrap();
    assert_eq!(ids(&posts), vec![at_start, draft, both, held, last]);
    let both_post = &posts[2];
    assert_eq!(both_post.targets.len(), 2, "each post carries its targets");
    assert_eq!(both_post.targets[0].channel_name, "@acme");
    assert_eq!(both_post.targets[1].text, "Both, room");
    assert_eq!(both_post.author_name, "Mara");
    assert_eq!(both_post.campaign_id, Some(spring));
    assert_eq!(posts[1].status, PostStatus::Draft);
    assert_eq!(posts[1].scheduled_at, None);
    assert_eq!(posts[3].approval, "pending");
    assert_eq!(posts[3].status, PostStatus::Draft, "held: its targets wait");
    // The same posts as the engine's own reading of each.
    for post in &posts {
        let full = db.post(workspace, post.id).await.unwrap().unwrap();
        assert_eq!(
            (
                post.author_id,
                post.scheduled_at,
                post.created_at,
                post.status,
                post.campaign_id,
                &post.approval
            ),
            (
                full.author_id,
                full.scheduled_at,
                full.created_at,
                full.status,
                full.campaign_id,
                &full.approval
            )
        );
        let targets = |ids: Vec<(i64, i64, String, String)>| ids;
        assert_eq!(
            targets(
                post.targets
                    .iter()
                    .map(|t| (
                        t.id,
                        t.channel_id,
                        t.text.clone(),
                        t.status.as_str().to_owned()
                    ))
                    .collect()
            ),
            targets(
                full.targets
                    .iter()
                    .map(|t| (
                        t.id,
                        t.channel_id,
                        t.text.clone(),
                        t.status.as_str().to_owned()
                    ))
                    .collect()
            )
        );
    }

    let filtered = |query: CalendarQuery| {
        let db = db.clone();
        async move { ids(&db.calendar_posts(workspace, &query).await.unwrap()) }
    };
    assert_eq!(
        filtered(CalendarQuery {
            channel_id: Some(matrix),
            ..window.clone()
        })
        .await,
        vec![draft, both, last]
    );
    assert_eq!(
        filtered(CalendarQuery {
            campaign_id: Some(spring),
            ..window.clone()
        })
        .await,
        vec![at_start, both]
    );
    assert_eq!(
        filtered(CalendarQuery {
            author_id: Some(nils),
            ..window.clone()
        })
        .await,
        vec![draft, held, last]
    );
    assert_eq!(
        filtered(CalendarQuery {
            status: Some(StatusFilter::Post(PostStatus::Draft)),
            ..window.clone()
        })
        .await,
        vec![draft, held]
    );
    assert_eq!(
        filtered(CalendarQuery {
            status: Some(StatusFilter::AwaitingApproval),
            ..window.clone()
        })
        .await,
        vec![held]
    );
    assert_eq!(
        filtered(CalendarQuery {
            status: Some(StatusFilter::Post(PostStatus::Scheduled)),
            author_id: Some(mara),
            channel_id: Some(mastodon),
            ..window.clone()
        })
        .await,
        vec![at_start, both]
    );
    assert_eq!(
        filtered(CalendarQuery {
            limit: 2,
            ..window.clone()
        })
        .await,
        vec![at_start, draft],
        "the earliest first"
    );
    assert!(
        filtered(CalendarQuery::window(from, from)).await.is_empty(),
        "an empty window"
    );
    assert_eq!(
        db.post_authors(workspace).await.unwrap(),
        vec![(mara, "Mara".to_owned()), (nils, "Nils".to_owned())]
    );
}

contract!(
    calendar_feed_tokens_are_replaced_and_revoked,
    calendar_feed_tokens_are_replaced_and_revoked
);
async fn calendar_feed_tokens_are_replaced_and_revoked(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap();
    let account = db
        .create_account(
            &Email::parse("mara@acme.test").unwrap(),
            &DisplayName::parse("Mara Marketer").unwrap(),
            "unused-hash",
            T0,
        )
        .await
        .unwrap();
    db.upsert_membership(account.id, workspace.id, Role::Marketer, T0)
        .await
        .unwrap();
    let member = db
        .member_of_account(workspace.id, account.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!db.has_calendar_feed_token(member).await.unwrap());
    db.set_calendar_feed_token(member, Some("digest-one"), T0)
        .await
        .unwrap();
    assert!(db.has_calendar_feed_token(member).await.unwrap());
    let owner = db.calendar_feed_owner("digest-one").await.unwrap().unwrap();
    assert_eq!(owner.member_id, member);
    assert_eq!(owner.workspace_id, workspace.id);
    assert_eq!(owner.workspace_slug, "acme");
    assert_eq!(owner.role, Some(Role::Marketer));
    db.set_calendar_feed_token(member, Some("digest-two"), T0)
        .await
        .unwrap();
    assert_eq!(db.calendar_feed_owner("digest-one").await.unwrap(), None);
    assert!(
        db.calendar_feed_owner("digest-two")
            .await
            .unwrap()
            .is_some()
    );
    // A changed role is read at each use.
    db.upsert_membership(account.id, workspace.id, Role::Member, T0)
        .await
        .unwrap();
    assert_eq!(
        db.calendar_feed_owner("digest-two")
            .await
            .unwrap()
            .unwrap()
            .role,
        Some(Role::Member)
    );
    db.set_calendar_feed_token(member, None, T0).await.unwrap();
    assert_eq!(db.calendar_feed_owner("digest-two").await.unwrap(), None);
    assert!(!db.has_calendar_feed_token(member).await.unwrap());
}
