//! Contract: moderation settings and the code of conduct, rules, flags that
//! join one review item and count once per member, decisions that happen
//! once, content hidden from search and restored, sanctions that end once,
//! the log and appeals, and trust inputs counted from visits, reads, replies
//! and reactions.

use agora_core::StoreError;
use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::automod::{Matcher, NewRule, RuleAction};
use agora_core::community::{
    CommunityStore, NewReply, NewSpace, NewThread, SearchQuery, SpaceKind, ThreadKind, Visibility,
};
use agora_core::members::{MemberStore, NewMember};
use agora_core::moderation::{
    AppealStatus, ContentRef, ContentState, FlagReason, ModerationStore, NewAction, NewFlag,
    NewReviewItem, NewSanction, ReviewFilter, ReviewKind, ReviewStatus, SanctionKind,
    ToxicityAction, TrustState,
};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);
const DAY: i64 = 86_400;

contract!(moderation_round_trip, moderation_round_trip);
async fn moderation_round_trip(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let member = |name: &str, is_staff: bool| NewMember {
        workspace_id: workspace,
        account_id: None,
        name: name.into(),
        email: None,
        joined_at: T0,
        is_staff,
    };
    let moderator = db
        .create_member(&member("Mo Moderator", true))
        .await
        .unwrap();
    let ada = db.create_member(&member("Ada", false)).await.unwrap();
    let bob = db.create_member(&member("Bob", false)).await.unwrap();
    let cy = db.create_member(&member("Cy", false)).await.unwrap();
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "riders".into(),
            name: "Riders".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap();

    // Settings default, save, and the code of conduct's versions.
    let mut settings = db.moderation_settings(workspace).await.unwrap();
    assert_eq!((settings.hide_threshold, settings.conduct_version), (8, 0));
    settings.hide_threshold = 6;
    settings.toxicity_action = ToxicityAction::Alert;
    settings.log_shows_names = true;
    db.save_moderation_settings(workspace, &settings)
        .await
        .unwrap();
    assert_eq!(db.set_conduct(workspace, "Be kind.").await.unwrap(), 1);
    assert_eq!(
        db.set_conduct(workspace, "Be kind. No spam.")
            .await
            .unwrap(),
        2
    );
    let saved = db.moderation_settings(workspace).await.unwrap();
    assert_eq!(
        (
            saved.hide_threshold,
            saved.toxicity_action,
            saved.log_shows_names,
            saved.conduct_version
        ),
        (6, ToxicityAction::Alert, true, 2)
    );
    assert_eq!(db.accepted_conduct(ada).await.unwrap(), 0);
    db.accept_conduct(ada, 1, T0).await.unwrap();
    db.accept_conduct(ada, 1, T0).await.unwrap();
    assert_eq!(db.accepted_conduct(ada).await.unwrap(), 1);

    // Rules bump the rules' version (the cache key).
    let rule = db
        .create_automod_rule(&NewRule {
            workspace_id: workspace,
            space_id: Some(group.id),
            matcher: Matcher::Regex,
            pattern: r"free\s+money".into(),
            action: RuleAction::Hold,
            note: "money spam".into(),
            created_by: moderator,
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(
        db.automod_rules(workspace).await.unwrap(),
        vec![rule.clone()]
    );
    assert!(
        db.moderation_settings(workspace)
            .await
            .unwrap()
            .rules_version
            > saved.rules_version
    );
    assert!(db.delete_automod_rule(workspace, rule.id).await.unwrap());
    assert!(!db.delete_automod_rule(workspace, rule.id).await.unwrap());

    // A thread and a hostile reply; flags join one item, once per member.
    let thread = db
        .create_thread(&NewThread {
            space_id: group.id,
            author_id: ada,
            kind: ThreadKind::Discussion,
            title: "Gravel tyres".into(),
            body: "Which width do you ride?".into(),
            created_at: T0,
        })
        .await
        .unwrap();
    let reply = db
        .create_reply(&NewReply {
            thread_id: thread,
            author_id: bob,
            reply_to_member_id: Some(ada),
            quote_reply_id: None,
            body: "Only a fool rides gravel zebrawords".into(),
            created_at: T0.plus_seconds(60),
        })
        .await
        .unwrap();
    let content = ContentRef::Reply(reply);
    let flag = |flagger, weight| NewFlag {
        workspace_id: workspace,
        space_id: group.id,
        content,
        author_id: bob,
        flagger_id: flagger,
        reason: FlagReason::Harassment,
        note: String::new(),
        weight,
        created_at: T0.plus_seconds(120),
    };
    let first = db.add_flag(&flag(ada, 4)).await.unwrap();
    let second = db.add_flag(&flag(cy, 4)).await.unwrap();
    assert_eq!(first.review_item_id, second.review_item_id);
    assert_eq!(second.score, 8);
    assert!(matches!(
        db.add_flag(&flag(cy, 4)).await,
        Err(StoreError::Conflict(_))
    ));
    let flags = db.flags_of_item(first.review_item_id).await.unwrap();
    assert_eq!(flags.len(), 2);
    assert_eq!(flags[0].flagger_name, "Ada");

    // Hidden content leaves search and comes back when restored.
    let found = |db: Db| async move {
        db.search(
            workspace,
            &SearchQuery::parse("zebrawords").unwrap(),
            &[group.id],
        )
        .await
        .unwrap()
        .len()
    };
    assert_eq!(found(db.clone()).await, 1);
    db.set_content_state(content, ContentState::Hidden)
        .await
        .unwrap();
    assert_eq!(found(db.clone()).await, 0);
    let info = db.content_info(workspace, content).await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.author_id, info.thread_id),
        (ContentState::Hidden, bob, thread)
    );
    let view = db.thread(workspace, thread).await.unwrap();
    assert_eq!(view.replies[0].state, ContentState::Hidden);
    db.set_content_state(content, ContentState::Visible)
        .await
        .unwrap();
    assert_eq!(found(db.clone()).await, 1);
    db.set_content_state(ContentRef::Thread(thread), ContentState::Removed)
        .await
        .unwrap();
    assert!(
        db.list_threads(group.id, 10).await.unwrap().is_empty(),
        "removed threads leave the list"
    );
    db.set_content_state(ContentRef::Thread(thread), ContentState::Visible)
        .await
        .unwrap();
    assert_eq!(db.list_threads(group.id, 10).await.unwrap().len(), 1);

    // One queue; claims and decisions happen once.
    let held = db
        .create_review_item(&NewReviewItem {
            workspace_id: workspace,
            space_id: Some(group.id),
            kind: ReviewKind::Held,
            content: None,
            subject_id: cy,
            payload: serde_json::json!({"type": "thread", "title": "Win", "body": "x"}),
            reasons: vec!["3 links from a new member".into()],
            score: 0,
            created_at: T0.plus_seconds(200),
        })
        .await
        .unwrap();
    let pending = db
        .review_items(
            workspace,
            &ReviewFilter {
                status: Some(ReviewStatus::Pending),
                kind: None,
                spaces: Some(vec![group.id]),
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(
        pending[0].id, first.review_item_id,
        "the highest score first"
    );
    assert_eq!(
        pending[1].reasons,
        vec!["3 links from a new member".to_owned()]
    );
    let elsewhere = db
        .review_items(
            workspace,
            &ReviewFilter {
                status: Some(ReviewStatus::Pending),
                spaces: Some(vec![group.id + 1000]),
                limit: 50,
                ..ReviewFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(elsewhere.is_empty());
    assert!(db.claim_review_item(held, moderator, T0).await.unwrap());
    assert!(
        !db.claim_review_item(held, ada, T0).await.unwrap(),
        "claimed by someone else"
    );
    assert!(
        db.decide_review_item(
            held,
            ReviewStatus::Agreed,
            moderator,
            "removed the post",
            T0
        )
        .await
        .unwrap()
    );
    assert!(
        !db.decide_review_item(held, ReviewStatus::Disagreed, moderator, "published", T0)
            .await
            .unwrap()
    );
    let item = db.review_item(workspace, held).await.unwrap().unwrap();
    assert_eq!(
        (item.status, item.action.as_deref()),
        (ReviewStatus::Agreed, Some("removed the post"))
    );
    db.set_flag_outcomes(first.review_item_id, ReviewStatus::Agreed)
        .await
        .unwrap();
    assert_eq!(db.flag_record(ada).await.unwrap(), (1, 0));

    // Sanctions end once; the log and appeals.
    let suspension = db
        .create_sanction(&NewSanction {
            workspace_id: workspace,
            member_id: bob,
            kind: SanctionKind::Suspend,
            space_id: None,
            content: None,
            reason: "Insults".into(),
            rule: "Be kind".into(),
            created_by: moderator,
            created_at: T0,
            expires_at: Some(T0.plus_seconds(DAY)),
        })
        .await
        .unwrap();
    let action = db
        .log_action(&NewAction {
            workspace_id: workspace,
            space_id: None,
            moderator_id: Some(moderator),
            action: "suspended".into(),
            subject_id: Some(bob),
            content: None,
            reason: "Insults".into(),
            public: true,
            sanction_id: Some(suspension),
            review_item_id: None,
            created_at: T0,
        })
        .await
        .unwrap();
    db.log_action(&NewAction {
        public: false,
        action: "claimed".into(),
        sanction_id: None,
        ..NewAction {
            workspace_id: workspace,
            space_id: None,
            moderator_id: Some(moderator),
            action: String::new(),
            subject_id: Some(bob),
            content: None,
            reason: String::new(),
            public: false,
            sanction_id: None,
            review_item_id: None,
            created_at: T0,
        }
    })
    .await
    .unwrap();
    let sanction = db.sanction(workspace, suspension).await.unwrap().unwrap();
    assert!(sanction.in_force(T0.plus_seconds(60)) && !sanction.in_force(T0.plus_seconds(DAY)));
    assert_eq!(sanction.action_id, Some(action));
    assert_eq!(
        db.moderation_log(workspace, true, 50).await.unwrap().len(),
        1
    );
    assert_eq!(
        db.moderation_log(workspace, false, 50).await.unwrap().len(),
        2
    );
    let entry = db.action_entry(workspace, action).await.unwrap().unwrap();
    assert_eq!(
        (
            entry.subject_name.as_deref(),
            entry.moderator_name.as_deref()
        ),
        (Some("Bob"), Some("Mo Moderator"))
    );
    assert_eq!(db.actions_about(bob).await.unwrap().len(), 1);
    let appeal = db
        .create_appeal(workspace, action, bob, "I was quoting someone", T0)
        .await
        .unwrap();
    assert!(matches!(
        db.create_appeal(workspace, action, bob, "again", T0).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        db.decide_appeal(appeal, AppealStatus::Upheld, ada, "fair", T0)
            .await
            .unwrap()
    );
    assert!(
        !db.decide_appeal(appeal, AppealStatus::Refused, ada, "", T0)
            .await
            .unwrap()
    );
    assert_eq!(
        db.appeals_of(bob).await.unwrap()[0].status,
        AppealStatus::Upheld
    );
    assert!(db.end_sanction(suspension, "appeal", T0).await.unwrap());
    assert!(!db.end_sanction(suspension, "expired", T0).await.unwrap());
    assert_eq!(
        db.sanctions_of(bob).await.unwrap()[0]
            .ended_reason
            .as_deref(),
        Some("appeal")
    );

    // Trust inputs: visits (once a day), reads, replies and reactions.
    for day in 0..3 {
        db.record_visit(cy, T0.plus_seconds(day * DAY))
            .await
            .unwrap();
        db.record_visit(cy, T0.plus_seconds(day * DAY + 60))
            .await
            .unwrap();
    }
    db.record_thread_read(cy, thread, T0).await.unwrap();
    db.record_thread_read(cy, thread, T0).await.unwrap();
    let interaction = |actor, target, kind| NewInteraction {
        workspace_id: workspace,
        space_id: group.id,
        actor_id: actor,
        target_id: Some(target),
        kind,
        at: T0.plus_seconds(DAY),
        source: "native".into(),
        actor_is_staff: false,
        thread_id: None,
    };
    db.record_interactions(&[
        interaction(cy, ada, InteractionKind::Reply),
        interaction(cy, ada, InteractionKind::Reaction),
        interaction(ada, cy, InteractionKind::Reaction),
        interaction(bob, cy, InteractionKind::Reaction),
    ])
    .await
    .unwrap();
    let inputs = db
        .trust_inputs(workspace, T0.plus_seconds(-DAY))
        .await
        .unwrap();
    assert_eq!(inputs.len(), 3, "staff are outside trust levels");
    let (_, cy_inputs) = inputs.iter().find(|(id, _)| *id == cy).unwrap();
    assert_eq!(
        (
            cy_inputs.days_visited,
            cy_inputs.threads_read,
            cy_inputs.replies,
            cy_inputs.reactions_given,
            cy_inputs.reactions_received
        ),
        (3, 1, 1, 1, 2)
    );
    let (_, ada_inputs) = inputs.iter().find(|(id, _)| *id == ada).unwrap();
    assert_eq!(ada_inputs.flags_agreed, 1);
    let state = TrustState {
        level: 2,
        locked: false,
        below_since: Some(T0),
    };
    db.save_trust(cy, &state, cy_inputs, T0).await.unwrap();
    assert_eq!(db.trust_of(cy).await.unwrap(), state);
    assert_eq!(db.trust_of(ada).await.unwrap(), TrustState::default());
    let rows = db.trust_rows(workspace).await.unwrap();
    assert_eq!(rows[0].member_id, cy);
    assert_eq!(rows[0].inputs, *cy_inputs);

    // Group moderators.
    assert!(
        db.moderated_groups(workspace, ada)
            .await
            .unwrap()
            .is_empty()
    );
    db.upsert_group_membership(&agora_core::community::GroupMembership {
        space_id: group.id,
        member_id: ada,
        role: agora_core::community::GroupRole::Moderator,
        active: true,
        rules_version: 1,
        joined_at: T0,
    })
    .await
    .unwrap();
    assert_eq!(
        db.moderated_groups(workspace, ada).await.unwrap(),
        vec![group.id]
    );
    assert_eq!(
        db.pending_review_item(ReviewKind::Held, Some(group.id), cy)
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.recent_bodies(bob, T0).await.unwrap().len(), 1);
}
