//! Contract: editing and reacting to a thread's opening post, managing a
//! group, the welcome message and the weekly batch of introductions.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug, WorkspaceId};
use agora_core::community::{
    CommunityStore, GroupChanges, GroupMembership, GroupRole, NewReply, NewSpace, NewThread,
    SearchQuery, SpaceKind, ThreadKind, Visibility,
};
use agora_core::members::{Introduction, MemberId, MemberStore, NewMember, week_start};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

async fn setup(db: &Db) -> WorkspaceId {
    db.create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id
}

async fn member(db: &Db, workspace: WorkspaceId, name: &str) -> MemberId {
    db.create_member(&NewMember {
        workspace_id: workspace,
        account_id: None,
        name: name.into(),
        email: None,
        joined_at: T0,
        is_staff: false,
    })
    .await
    .unwrap()
}

async fn thread_for(db: &Db, workspace: WorkspaceId, author: MemberId) -> i64 {
    let space = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "intro".into(),
            name: "Intro".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap();
    db.create_thread(&NewThread {
        space_id: space.id,
        author_id: author,
        kind: ThreadKind::Discussion,
        title: "Meet".into(),
        body: "Hello".into(),
        created_at: T0,
    })
    .await
    .unwrap()
}

contract!(
    opening_posts_are_edited_and_reacted_to,
    opening_posts_are_edited_and_reacted_to
);
async fn opening_posts_are_edited_and_reacted_to(db: Db) {
    let workspace = setup(&db).await;
    let author = member(&db, workspace, "Author").await;
    let reader = member(&db, workspace, "Reader").await;
    let space = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "talk".into(),
            name: "Talk".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: "Be kind.".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let thread = db
        .create_thread(&NewThread {
            space_id: space.id,
            author_id: author,
            kind: ThreadKind::Question,
            title: "Brake squeel".into(),
            body: "My brakes squeel on descents".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let reply = db
        .create_reply(&NewReply {
            thread_id: thread,
            author_id: reader,
            reply_to_member_id: Some(author),
            quote_reply_id: None,
            body: "Clean the rotors".into(),
            created_at: T0,
        })
        .await
        .unwrap();

    db.edit_thread(
        thread,
        "Brake squeal",
        "My disc brakes *squeal* on descents",
        author,
        T0.plus_seconds(60),
    )
    .await
    .unwrap();
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.title, "Brake squeal");
    assert!(view.body_html.contains("<em>squeal</em>"));
    assert_eq!(view.edited_at, Some(T0.plus_seconds(60)));
    assert_eq!(
        db.thread_history(thread).await.unwrap(),
        vec![(
            "Brake squeel".to_owned(),
            "My brakes squeel on descents".to_owned(),
            T0.plus_seconds(60),
            "Author".to_owned()
        )]
    );
    let search = |words: &'static str| {
        let db = db.clone();
        let space = space.id;
        async move {
            db.search(workspace, &SearchQuery::parse(words).unwrap(), &[space])
                .await
                .unwrap()
        }
    };
    assert!(search("squeel").await.is_empty(), "the old words are gone");
    let hits = search("disc").await;
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].thread_id, hits[0].reply_id), (thread, None));
    let hits = search("rotors").await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].reply_id, Some(reply));
    assert_eq!(hits[0].title, "Brake squeal", "replies carry the new title");

    assert!(
        db.toggle_thread_reaction(thread, reader, "👍", T0)
            .await
            .unwrap()
    );
    assert!(
        db.toggle_thread_reaction(thread, author, "👍", T0)
            .await
            .unwrap()
    );
    assert!(
        db.toggle_thread_reaction(thread, reader, "🎉", T0)
            .await
            .unwrap()
    );
    assert!(
        !db.toggle_thread_reaction(thread, reader, "🎉", T0)
            .await
            .unwrap(),
        "a second click takes it back"
    );
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.reactions, vec![("👍".to_owned(), 2)]);
    assert!(view.replies[0].reactions.is_empty(), "replies are apart");
}

contract!(groups_are_managed, groups_are_managed);
async fn groups_are_managed(db: Db) {
    let workspace = setup(&db).await;
    let owner = member(&db, workspace, "Olga").await;
    let zed = member(&db, workspace, "Zed").await;
    let amy = member(&db, workspace, "Amy").await;
    let space = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "club".into(),
            name: "Club".into(),
            description: "Old".into(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: "Be kind.".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    for (who, role, active) in [
        (owner, GroupRole::Owner, true),
        (zed, GroupRole::Member, true),
        (amy, GroupRole::Member, false),
    ] {
        db.upsert_group_membership(&GroupMembership {
            space_id: space.id,
            member_id: who,
            role,
            active,
            rules_version: 1,
            joined_at: T0,
        })
        .await
        .unwrap();
    }
    let rows = db.group_members(space.id).await.unwrap();
    let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names, ["Olga", "Amy", "Zed"], "owners first, then by name");
    assert!(!rows[1].membership.active, "Amy's request is pending");

    let same_rules = db
        .update_group(
            space.id,
            &GroupChanges {
                name: "The Club".into(),
                description: "New".into(),
                visibility: Visibility::Private,
                rules: "Be kind.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            same_rules.name.as_str(),
            same_rules.description.as_str(),
            same_rules.visibility,
            same_rules.rules_version
        ),
        ("The Club", "New", Visibility::Private, 1)
    );
    let new_rules = db
        .update_group(
            space.id,
            &GroupChanges {
                name: "The Club".into(),
                description: "New".into(),
                visibility: Visibility::Private,
                rules: "Be kind. No spam.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(new_rules.rules_version, 2, "new rules, new version");
    assert_eq!(
        db.space_by_id(workspace, space.id).await.unwrap(),
        Some(new_rules)
    );
}

contract!(
    welcome_messages_and_introduction_batches,
    welcome_messages_and_introduction_batches
);
async fn welcome_messages_and_introduction_batches(db: Db) {
    let workspace = setup(&db).await;
    let cm = member(&db, workspace, "Cam").await;
    let ada = member(&db, workspace, "Ada").await;
    let bob = member(&db, workspace, "Bob").await;
    let cy = member(&db, workspace, "Cy").await;

    assert_eq!(db.welcome_message(workspace).await.unwrap(), None);
    db.set_welcome_message(workspace, "Hi {name}", cm, T0)
        .await
        .unwrap();
    db.set_welcome_message(workspace, "Hello {name}", cm, T0)
        .await
        .unwrap();
    assert_eq!(
        db.welcome_message(workspace).await.unwrap().as_deref(),
        Some("Hello {name}")
    );
    assert_eq!(db.welcome_dismissed_at(ada).await.unwrap(), None);
    db.dismiss_welcome(ada, T0.plus_seconds(5)).await.unwrap();
    assert_eq!(
        db.welcome_dismissed_at(ada).await.unwrap(),
        Some(T0.plus_seconds(5))
    );

    let profiles = {
        let mut all = Vec::new();
        for id in [ada, bob, cy] {
            all.push(db.profile(workspace, id).await.unwrap().unwrap());
        }
        all
    };
    let pair = |a: usize, b: usize, shared: &[&str]| Introduction {
        first: profiles[a].clone(),
        second: profiles[b].clone(),
        shared: shared.iter().map(|s| (*s).to_owned()).collect(),
    };
    let week = week_start(T0);
    db.save_introduction_batch(
        workspace,
        week,
        &[pair(1, 0, &["gravel", "coffee"]), pair(0, 2, &["racing"])],
    )
    .await
    .unwrap();
    db.save_introduction_batch(workspace, week, &[pair(1, 2, &["other"])])
        .await
        .unwrap();
    let batch = db.introduction_batch(workspace, week).await.unwrap();
    assert_eq!(batch.len(), 2, "a stored week is not replaced");
    assert_eq!((batch[0].first_id, batch[0].second_id), (ada, bob));
    assert_eq!(batch[0].shared, ["gravel", "coffee"]);
    assert_eq!((batch[1].first_id, batch[1].second_id), (ada, cy));

    assert!(
        db.settle_introduction(workspace, week, (bob, ada), None, T0)
            .await
            .unwrap()
    );
    assert!(
        !db.settle_introduction(workspace, week, (ada, bob), None, T0)
            .await
            .unwrap(),
        "settled once"
    );
    assert!(
        db.settle_introduction(
            workspace,
            week,
            (ada, cy),
            Some(thread_for(&db, workspace, ada).await),
            T0
        )
        .await
        .unwrap()
    );
    assert_eq!(
        db.introduced_pairs(workspace).await.unwrap(),
        vec![(ada, cy)]
    );
    let batch = db.introduction_batch(workspace, week).await.unwrap();
    assert!(batch[0].dismissed && batch[0].thread_id.is_none());
    assert!(batch[1].thread_id.is_some());
    assert!(!batch[1].dismissed);
    assert!(
        db.introduction_batch(workspace, week.plus_seconds(7 * 86_400))
            .await
            .unwrap()
            .is_empty(),
        "next week starts empty"
    );
}
