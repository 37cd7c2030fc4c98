//! Contract: group memberships and privacy, Q&A, reactions, handles,
//! notifications and full-text search.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug, WorkspaceId};
use agora_core::community::{
    CommunityStore, GroupMembership, GroupRole, NewNotification, NewReply, NewSpace, NewThread,
    NotificationKind, SearchQuery, Space, SpaceKind, ThreadKind, Visibility,
};
use agora_core::members::{MemberId, MemberStore, NewMember};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

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

async fn group(db: &Db, workspace: WorkspaceId, slug: &str, visibility: Visibility) -> Space {
    db.create_space(&NewSpace {
        workspace_id: workspace,
        kind: SpaceKind::Group,
        slug: slug.into(),
        name: slug.to_uppercase(),
        description: String::new(),
        network: "native".into(),
        visibility,
        rules: "Be kind.".into(),
        created_at: T0,
    })
    .await
    .unwrap()
}

contract!(memberships_and_handles, memberships_and_handles);
async fn memberships_and_handles(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let ada = member(&db, workspace, "Ada Lovelace").await;
    let ada_again = member(&db, workspace, "Ada Lovelace").await;
    let found = db
        .members_by_handles(
            workspace,
            &[
                "ada-lovelace".into(),
                "ada-lovelace2".into(),
                "nobody".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            (ada, "ada-lovelace".to_owned()),
            (ada_again, "ada-lovelace2".to_owned())
        ]
    );

    let private = group(&db, workspace, "inner", Visibility::Private).await;
    assert_eq!(private.visibility, Visibility::Private);
    assert_eq!(private.rules_version, 1);
    assert_eq!(
        db.space_by_id(workspace, private.id).await.unwrap(),
        Some(private.clone())
    );
    let request = GroupMembership {
        space_id: private.id,
        member_id: ada,
        role: GroupRole::Member,
        active: false,
        rules_version: 1,
        joined_at: T0,
    };
    db.upsert_group_membership(&request).await.unwrap();
    assert_eq!(
        db.join_requests(private.id).await.unwrap(),
        vec![(ada, "Ada Lovelace".to_owned())]
    );
    db.upsert_group_membership(&GroupMembership {
        active: true,
        ..request.clone()
    })
    .await
    .unwrap();
    assert!(db.join_requests(private.id).await.unwrap().is_empty());
    assert!(
        db.group_membership(private.id, ada)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    assert_eq!(
        db.group_memberships_of(workspace, ada).await.unwrap().len(),
        1
    );
    assert!(db.leave_group(private.id, ada).await.unwrap());
    assert!(!db.leave_group(private.id, ada).await.unwrap());
    assert_eq!(db.group_membership(private.id, ada).await.unwrap(), None);
}

contract!(
    questions_reactions_and_notifications,
    questions_reactions_and_notifications
);
async fn questions_reactions_and_notifications(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let (asker, helper) = (
        member(&db, workspace, "Asker").await,
        member(&db, workspace, "Helper").await,
    );
    let space = group(&db, workspace, "help", Visibility::Public).await;
    let thread = db
        .create_thread(&NewThread {
            space_id: space.id,
            author_id: asker,
            kind: ThreadKind::Question,
            title: "Chain skips".into(),
            body: "It **skips**.".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let answer = db
        .create_reply(&NewReply {
            thread_id: thread,
            author_id: helper,
            reply_to_member_id: Some(asker),
            quote_reply_id: None,
            body: "Replace it <script>x</script>".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.body_html.trim(), "<p>It <strong>skips</strong>.</p>");
    assert!(
        !view.replies[0].body_html.contains("<script"),
        "{}",
        view.replies[0].body_html
    );
    assert_eq!(
        db.thread_of_reply(workspace, answer).await.unwrap(),
        Some((thread, helper))
    );
    assert_eq!(
        db.thread_of_reply(workspace + 1, answer).await.unwrap(),
        None,
        "other workspaces see nothing"
    );

    assert!(db.toggle_reaction(answer, asker, "👍", T0).await.unwrap());
    assert!(db.toggle_reaction(answer, helper, "👍", T0).await.unwrap());
    assert_eq!(
        db.reaction_counts(answer).await.unwrap(),
        vec![("👍".to_owned(), 2)]
    );
    assert!(
        !db.toggle_reaction(answer, helper, "👍", T0).await.unwrap(),
        "a second click takes it back"
    );
    assert_eq!(
        db.thread(workspace, thread).await.unwrap().replies[0].reactions,
        vec![("👍".to_owned(), 1)]
    );

    assert!(db.accept_answer(thread, answer).await.unwrap());
    assert_eq!(
        db.thread(workspace, thread)
            .await
            .unwrap()
            .accepted_reply_id,
        Some(answer)
    );
    assert!(db.list_threads(space.id, 10).await.unwrap()[0].solved);

    db.notify(&NewNotification {
        workspace_id: workspace,
        member_id: helper,
        kind: NotificationKind::AcceptedAnswer,
        actor_id: asker,
        thread_id: thread,
        text: "accepted your answer".into(),
        created_at: T0,
    })
    .await
    .unwrap();
    assert_eq!(db.unread_count(helper).await.unwrap(), 1);
    assert_eq!(
        db.notifications(helper, 10).await.unwrap()[0].actor_name,
        "Asker"
    );
    db.mark_notifications_read(helper, T0).await.unwrap();
    assert_eq!(db.unread_count(helper).await.unwrap(), 0);
    assert!(db.notifications(helper, 10).await.unwrap()[0].read);
}

contract!(
    search_finds_ranks_and_respects_privacy,
    search_finds_ranks_and_respects_privacy
);
async fn search_finds_ranks_and_respects_privacy(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let author = member(&db, workspace, "Author").await;
    let open = group(&db, workspace, "open", Visibility::Public).await;
    let secret = group(&db, workspace, "secret", Visibility::InviteOnly).await;
    let open_thread = db
        .create_thread(&NewThread {
            space_id: open.id,
            author_id: author,
            kind: ThreadKind::Question,
            title: "Tubeless sealant".into(),
            body: "How often do you refresh tubeless sealant?".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    db.create_reply(&NewReply {
        thread_id: open_thread,
        author_id: author,
        reply_to_member_id: None,
        quote_reply_id: None,
        body: "Every three months <img src=x onerror=alert(1)> for sealant.".into(),
        created_at: T0,
    })
    .await
    .unwrap();
    db.create_thread(&NewThread {
        space_id: secret.id,
        author_id: author,
        kind: ThreadKind::Discussion,
        title: "Secret sealant plan".into(),
        body: "sealant launch".into(),
        created_at: T0,
    })
    .await
    .unwrap();

    let query = SearchQuery::parse("sealant").unwrap();
    let visible = db.search(workspace, &query, &[open.id]).await.unwrap();
    assert_eq!(visible.len(), 2, "{visible:?}");
    assert!(
        visible.iter().all(|hit| hit.thread_id == open_thread),
        "never the invite-only group's thread"
    );
    assert!(
        visible
            .iter()
            .any(|hit| hit.snippet_html.contains("<mark>sealant</mark>")),
        "{visible:?}"
    );
    assert!(
        visible.iter().all(|hit| !hit.snippet_html.contains("<img")),
        "snippets are escaped: {visible:?}"
    );
    assert_eq!(
        db.search(workspace, &query, &[open.id, secret.id])
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(db.search(workspace, &query, &[]).await.unwrap().is_empty());
    assert!(
        db.search(
            workspace,
            &SearchQuery::parse("tubeless months").unwrap(),
            &[open.id]
        )
        .await
        .unwrap()
        .len()
            == 1,
        "all words"
    );
    let unsolved = SearchQuery {
        solved: Some(true),
        ..query.clone()
    };
    assert!(
        db.search(workspace, &unsolved, &[open.id])
            .await
            .unwrap()
            .is_empty(),
        "nothing solved yet"
    );
    let only_secret = SearchQuery {
        space_id: Some(secret.id),
        ..query
    };
    assert!(
        db.search(workspace, &only_secret, &[open.id])
            .await
            .unwrap()
            .is_empty(),
        "a group filter cannot widen access"
    );
}

contract!(
    pins_locks_and_first_responses,
    pins_locks_and_first_responses
);
async fn pins_locks_and_first_responses(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let asker = member(&db, workspace, "Asker").await;
    let peer = member(&db, workspace, "Peer").await;
    let staff = db
        .create_member(&NewMember {
            workspace_id: workspace,
            account_id: None,
            name: "Staff".into(),
            email: None,
            joined_at: T0,
            is_staff: true,
        })
        .await
        .unwrap();
    let space = group(&db, workspace, "help", Visibility::Public).await;
    let new_thread = |title: &str, at: Timestamp| NewThread {
        space_id: space.id,
        author_id: asker,
        kind: ThreadKind::Question,
        title: title.into(),
        body: "?".into(),
        created_at: at,
    };
    let old = db.create_thread(&new_thread("old", T0)).await.unwrap();
    let peer_answered = db
        .create_thread(&new_thread("peer", T0.plus_seconds(10)))
        .await
        .unwrap();
    let staff_answered = db
        .create_thread(&new_thread("staff", T0.plus_seconds(20)))
        .await
        .unwrap();
    let reply = |thread, author, after: i64| NewReply {
        thread_id: thread,
        author_id: author,
        reply_to_member_id: Some(asker),
        quote_reply_id: None,
        body: "answer".into(),
        created_at: T0.plus_seconds(after),
    };
    db.create_reply(&NewReply {
        author_id: asker,
        ..reply(peer_answered, asker, 15)
    })
    .await
    .unwrap();
    db.create_reply(&reply(peer_answered, peer, 70))
        .await
        .unwrap();
    db.create_reply(&reply(peer_answered, staff, 80))
        .await
        .unwrap();
    db.create_reply(&reply(staff_answered, staff, 620))
        .await
        .unwrap();

    let responses = db.first_responses(workspace, T0).await.unwrap();
    let by_title = |title: &str| responses.iter().find(|r| r.title == title).unwrap().clone();
    assert_eq!(
        (
            by_title("old").first_reply_at,
            by_title("old").first_reply_by_staff
        ),
        (None, None)
    );
    assert_eq!(
        by_title("peer").first_reply_at,
        Some(T0.plus_seconds(70)),
        "the asker's own reply does not count"
    );
    assert_eq!(by_title("peer").first_reply_by_staff, Some(false));
    assert_eq!(by_title("staff").first_reply_by_staff, Some(true));

    let times = db
        .recent_post_times(asker, T0.plus_seconds(5))
        .await
        .unwrap();
    assert_eq!(
        times,
        vec![
            T0.plus_seconds(10),
            T0.plus_seconds(15),
            T0.plus_seconds(20)
        ],
        "threads and replies, oldest first"
    );

    db.set_thread_flags(old, Some(true), None).await.unwrap();
    db.set_thread_flags(staff_answered, None, Some(true))
        .await
        .unwrap();
    let threads = db.list_threads(space.id, 10).await.unwrap();
    assert_eq!(threads[0].id, old, "pinned first, though the least active");
    assert!(threads[0].pinned && !threads[0].locked);
    assert!(db.thread(workspace, staff_answered).await.unwrap().locked);
    db.set_thread_flags(old, Some(false), None).await.unwrap();
    assert!(!db.thread(workspace, old).await.unwrap().pinned);
}

contract!(
    edits_keep_history_and_deletions_keep_the_thread,
    edits_keep_history_and_deletions_keep_the_thread
);
async fn edits_keep_history_and_deletions_keep_the_thread(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let author = member(&db, workspace, "Author").await;
    let space = group(&db, workspace, "talk", Visibility::Public).await;
    let thread = db
        .create_thread(&NewThread {
            space_id: space.id,
            author_id: author,
            kind: ThreadKind::Discussion,
            title: "Topic".into(),
            body: "Start".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let reply = |body: &str| NewReply {
        thread_id: thread,
        author_id: author,
        reply_to_member_id: None,
        quote_reply_id: None,
        body: body.into(),
        created_at: T0,
    };
    let first = db
        .create_reply(&reply("first draft with typo"))
        .await
        .unwrap();
    let second = db
        .create_reply(&reply("uniqueword to delete"))
        .await
        .unwrap();
    db.edit_reply(first, "first draft, **fixed**", author, T0.plus_seconds(60))
        .await
        .unwrap();
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.replies[0].body, "first draft, **fixed**");
    assert!(view.replies[0].body_html.contains("<strong>fixed</strong>"));
    assert_eq!(view.replies[0].edited_at, Some(T0.plus_seconds(60)));
    let history = db.reply_history(first).await.unwrap();
    assert_eq!(
        history,
        vec![(
            "first draft with typo".to_owned(),
            T0.plus_seconds(60),
            "Author".to_owned()
        )]
    );
    assert!(
        db.search(workspace, &SearchQuery::parse("typo").unwrap(), &[space.id])
            .await
            .unwrap()
            .is_empty(),
        "search follows the edit"
    );

    db.delete_reply(second, T0.plus_seconds(90)).await.unwrap();
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.replies.len(), 2, "the deleted reply keeps its place");
    assert!(
        view.replies[1].deleted
            && view.replies[1].body.is_empty()
            && view.replies[1].body_html.is_empty()
    );
    assert!(
        db.search(
            workspace,
            &SearchQuery::parse("uniqueword").unwrap(),
            &[space.id]
        )
        .await
        .unwrap()
        .is_empty()
    );
}

contract!(
    profiles_newcomers_and_interaction_pairs,
    profiles_newcomers_and_interaction_pairs
);
async fn profiles_newcomers_and_interaction_pairs(db: Db) {
    use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let old = db
        .create_member(&NewMember {
            workspace_id: workspace,
            account_id: None,
            name: "Olga Old".into(),
            email: None,
            joined_at: T0.plus_seconds(-30 * 86_400),
            is_staff: false,
        })
        .await
        .unwrap();
    let new = member(&db, workspace, "Nina New").await;
    db.update_profile(
        new,
        "I ride gravel.",
        &["gravel".into(), "coffee".into()],
        false,
    )
    .await
    .unwrap();
    let profile = db
        .profile_by_handle(workspace, "nina-new")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (profile.id, profile.bio.as_str(), profile.visible_to_members),
        (new, "I ride gravel.", false)
    );
    assert_eq!(profile.interests, vec!["gravel", "coffee"]);
    assert!(profile.is_complete());
    assert_eq!(db.members_with_interests(workspace).await.unwrap().len(), 1);

    let newcomers = db
        .newcomers(workspace, T0.plus_seconds(-14 * 86_400))
        .await
        .unwrap();
    assert_eq!(
        newcomers.iter().map(|n| n.profile.id).collect::<Vec<_>>(),
        vec![new],
        "Olga joined a month ago"
    );

    let space = group(&db, workspace, "talk", Visibility::Public).await;
    db.record_interactions(&[NewInteraction {
        workspace_id: workspace,
        space_id: space.id,
        actor_id: new,
        target_id: Some(old),
        kind: InteractionKind::Reply,
        at: T0,
        source: "native".into(),
        actor_is_staff: false,
        thread_id: None,
    }])
    .await
    .unwrap();
    assert_eq!(
        db.interacted_pairs(workspace).await.unwrap(),
        vec![(old.min(new), old.max(new))]
    );
}

contract!(tags_and_search_filters, tags_and_search_filters);
async fn tags_and_search_filters(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let (ada, bob) = (
        member(&db, workspace, "Ada").await,
        member(&db, workspace, "Bob").await,
    );
    let space = group(&db, workspace, "talk", Visibility::Public).await;
    let thread = |author, title: &str, at: Timestamp| NewThread {
        space_id: space.id,
        author_id: author,
        kind: ThreadKind::Discussion,
        title: title.into(),
        body: "sealant talk".into(),
        created_at: at,
    };
    let early = db
        .create_thread(&thread(ada, "Early sealant", T0))
        .await
        .unwrap();
    let late = db
        .create_thread(&thread(bob, "Late sealant", T0.plus_seconds(10 * 86_400)))
        .await
        .unwrap();
    db.set_thread_tags(early, &["tubeless".into(), "maintenance".into()])
        .await
        .unwrap();
    assert_eq!(
        db.thread(workspace, early).await.unwrap().tags,
        vec!["maintenance", "tubeless"]
    );
    assert_eq!(
        db.list_threads(space.id, 10)
            .await
            .unwrap()
            .iter()
            .find(|t| t.id == early)
            .unwrap()
            .tags
            .len(),
        2
    );

    let base = SearchQuery::parse("sealant").unwrap();
    let ids = |hits: Vec<agora_core::community::SearchHit>| {
        hits.into_iter()
            .map(|hit| hit.thread_id)
            .collect::<Vec<_>>()
    };
    let by_tag = SearchQuery {
        tag: Some("tubeless".into()),
        ..base.clone()
    };
    assert_eq!(
        ids(db.search(workspace, &by_tag, &[space.id]).await.unwrap()),
        vec![early]
    );
    let by_author = SearchQuery {
        author_id: Some(bob),
        ..base.clone()
    };
    assert_eq!(
        ids(db.search(workspace, &by_author, &[space.id]).await.unwrap()),
        vec![late]
    );
    let by_date = SearchQuery {
        from: Some(T0.plus_seconds(86_400)),
        ..base.clone()
    };
    assert_eq!(
        ids(db.search(workspace, &by_date, &[space.id]).await.unwrap()),
        vec![late]
    );
    let until = SearchQuery {
        to: Some(T0.plus_seconds(86_400)),
        ..base
    };
    assert_eq!(
        ids(db.search(workspace, &until, &[space.id]).await.unwrap()),
        vec![early]
    );
}

contract!(
    a_very_common_word_ranks_the_newest_matches,
    a_very_common_word_ranks_the_newest_matches
);
async fn a_very_common_word_ranks_the_newest_matches(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let author = member(&db, workspace, "Author").await;
    let space = group(&db, workspace, "talk", Visibility::Public).await;
    let thread = db
        .create_thread(&NewThread {
            space_id: space.id,
            author_id: author,
            kind: ThreadKind::Discussion,
            title: "Chains".into(),
            body: "About chains".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    // Of 10,000 replies, every other one of the first 7,000 says "chain" and
    // the last 3,000 all do: 6,500 matches, more than the 5,000 ranked.
    let bodies: Vec<String> = (0..10_000)
        .map(|n| {
            if n < 7_000 && n % 2 == 1 {
                format!("odd {n}")
            } else {
                format!("chain lube number {n}")
            }
        })
        .collect();
    db.bulk_replies(thread, author, &bodies, T0).await.unwrap();
    let hits = db
        .search(
            workspace,
            &SearchQuery::parse("chain").unwrap(),
            &[space.id],
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 30);
    let view = db.thread(workspace, thread).await.unwrap();
    // The newest 5,000 matches are the 3,000 all-matching replies and the
    // newest 2,000 of the alternating ones: replies from index 3,000 on.
    let oldest_ranked = view.replies[3_000].id;
    assert!(
        hits.iter()
            .all(|hit| hit.reply_id.is_some_and(|id| id >= oldest_ranked)),
        "only the newest matches are ranked"
    );
    let rare = db
        .search(workspace, &SearchQuery::parse("odd").unwrap(), &[space.id])
        .await
        .unwrap();
    assert_eq!(rare.len(), 30, "a rarer word is found through the index");
}
