//! Contract: spaces, threads, replies, members and the interaction log.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::{
    CommunityStore, NewReply, NewSpace, NewThread, SpaceKind, ThreadKind, Visibility,
};
use agora_core::members::{MemberStore, NewMember};
use agora_core::pagination::Cursor;
use agora_core::publishing::{NewPagePost, PostStatus, PublishingStore};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

contract!(
    threads_members_and_interactions,
    threads_members_and_interactions
);
async fn threads_members_and_interactions(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("northwind").unwrap(), "Northwind", true, T0)
        .await
        .unwrap();
    let new_member = |name: &str, is_staff: bool| NewMember {
        workspace_id: workspace.id,
        account_id: None,
        name: name.to_owned(),
        email: None,
        joined_at: T0,
        is_staff,
    };
    let staff = db
        .create_member(&new_member("Sam Staff", true))
        .await
        .unwrap();
    let ada = db.create_member(&new_member("Ada", false)).await.unwrap();
    let bob = db.create_member(&new_member("Bob", false)).await.unwrap();

    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Group,
            slug: "riders".into(),
            name: "Riders".into(),
            description: "Sunday rides".into(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap();
    let page = db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Page,
            slug: "mastodon".into(),
            name: "@northwind".into(),
            description: String::new(),
            network: "mastodon".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(db.list_spaces(workspace.id, None).await.unwrap().len(), 2);
    assert_eq!(
        db.list_spaces(workspace.id, Some(SpaceKind::Group))
            .await
            .unwrap(),
        vec![group.clone()]
    );
    assert_eq!(
        db.space_by_slug(workspace.id, "riders").await.unwrap(),
        Some(group.clone())
    );

    let thread = db
        .create_thread(&NewThread {
            space_id: group.id,
            kind: ThreadKind::Discussion,
            author_id: ada,
            title: "Route?".into(),
            body: "Which route?".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    db.create_reply(&NewReply {
        thread_id: thread,
        author_id: bob,
        reply_to_member_id: Some(ada),
        quote_reply_id: None,
        body: "The coast".into(),
        created_at: T0.plus_seconds(60),
    })
    .await
    .unwrap();
    let threads = db.list_threads(group.id, 10).await.unwrap();
    assert_eq!(
        (threads[0].n_replies, threads[0].last_activity_at),
        (1, T0.plus_seconds(60))
    );
    let view = db.thread(workspace.id, thread).await.unwrap();
    assert_eq!(view.replies[0].author_name, "Bob");

    let interaction = |actor, target, kind, is_staff| NewInteraction {
        workspace_id: workspace.id,
        space_id: group.id,
        actor_id: actor,
        target_id: target,
        kind,
        at: T0,
        source: "native".into(),
        actor_is_staff: is_staff,
        thread_id: None,
    };
    db.record_interactions(&[
        interaction(ada, None, InteractionKind::Post, false),
        interaction(bob, Some(ada), InteractionKind::Reply, false),
        interaction(staff, Some(ada), InteractionKind::Reply, true),
        interaction(ada, Some(staff), InteractionKind::Reaction, false),
    ])
    .await
    .unwrap();
    let activity = db.space_activity(workspace.id, T0).await.unwrap();
    let riders = activity
        .iter()
        .find(|space| space.space_id == group.id)
        .unwrap();
    assert_eq!(
        (
            riders.n_interactions,
            riders.n_directed,
            riders.n_member_to_member,
            riders.n_active_members
        ),
        (4, 3, 1, 2)
    );
    let quiet_page = activity
        .iter()
        .find(|space| space.space_id == page.id)
        .unwrap();
    assert_eq!(quiet_page.n_interactions, 0);
    assert_eq!(
        db.active_members(workspace.id, T0).await.unwrap(),
        2,
        "staff are not counted"
    );
    assert_eq!(
        db.daily_interactions(workspace.id, T0, T0.plus_seconds(86_400))
            .await
            .unwrap(),
        vec![(T0.day(), 4)]
    );

    let first_page = db.list_members(workspace.id, None, 2).await.unwrap();
    assert_eq!(
        first_page
            .items
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["Bob", "Ada"]
    );
    let cursor = Cursor::parse(first_page.next_cursor.as_deref().unwrap()).unwrap();
    let second_page = db
        .list_members(workspace.id, Some(cursor), 2)
        .await
        .unwrap();
    assert_eq!(second_page.items.len(), 1);
    assert_eq!(second_page.next_cursor, None);
    assert_eq!(first_page.items[1].n_interactions, 2);

    db.create_page_post(&NewPagePost {
        workspace_id: workspace.id,
        space_id: page.id,
        body: "Spring collection".into(),
        status: PostStatus::Published,
        at: T0,
        n_likes: 5,
        n_shares: 1,
        n_replies: 2,
    })
    .await
    .unwrap();
    let posts = db
        .page_posts_between(workspace.id, T0, T0.plus_seconds(1))
        .await
        .unwrap();
    assert_eq!((posts.len(), posts[0].network.as_str()), (1, "mastodon"));
    assert!(
        db.page_posts_between(workspace.id, T0.plus_seconds(1), T0.plus_seconds(2))
            .await
            .unwrap()
            .is_empty()
    );
}
