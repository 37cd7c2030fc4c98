//! The demo's moderation: a code of conduct every demo member accepted,
//! auto-moderation rules, a review queue with flagged and held posts, a
//! hidden reply, a warning and a mute (which ends through the job queue),
//! a public log, and trust levels computed from the demo's activity.

use agora_core::automod::{Matcher, NewRule, RuleAction};
use agora_core::community::{CommunityStore, NewReply};
use agora_core::jobs::JobStore;
use agora_core::members::MemberId;
use agora_core::moderation::{
    ContentRef, ContentState, FlagReason, ModerationSettings, ModerationStore, NewAction, NewFlag,
    NewReviewItem, NewSanction, ReviewKind, SanctionKind,
};
use agora_core::{StoreError, Timestamp};
use agora_store::Db;

const CONDUCT: &str = "## How we ride together\n\n\
1. **Be kind.** Disagree with ideas, never with people. No insults, no harassment.\n\
2. **Stay on topic** in each group; the group's own rules come first.\n\
3. **No spam or selling.** Links to your own shop need a moderator's OK.\n\
4. **Keep it safe.** No sharing others' private details or locations.\n\n\
Moderators may hide or remove posts, warn, mute or suspend. Every action is in the \
public moderation log, and you can appeal any action about you.";

#[allow(clippy::too_many_lines)]
pub async fn seed(
    db: &Db,
    workspace: i64,
    cm: MemberId,
    moderator: Option<MemberId>,
    // The demo's own member login stays out of the queue and the sanctions.
    spare: Option<MemberId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let moderator = moderator.unwrap_or(cm);
    let version = db.set_conduct(workspace, CONDUCT).await?;
    db.save_moderation_settings(
        workspace,
        &ModerationSettings {
            log_shows_names: false,
            ..ModerationSettings::default()
        },
    )
    .await?;
    let Some(riders) = db.space_by_slug(workspace, "sunday-riders").await? else {
        return Ok(());
    };
    let members: Vec<(MemberId, String)> = db
        .group_members(riders.id)
        .await?
        .into_iter()
        .filter(|row| row.membership.active)
        .map(|row| (row.membership.member_id, row.name))
        .collect();
    // Everyone who joined a group before the code of conduct accepted it.
    for group in db
        .list_spaces(workspace, Some(agora_core::community::SpaceKind::Group))
        .await?
    {
        for row in db.group_members(group.id).await? {
            db.accept_conduct(
                row.membership.member_id,
                version,
                now.plus_seconds(-30 * 86_400),
            )
            .await?;
        }
    }
    for (matcher, pattern, action, note) in [
        (
            Matcher::Words,
            "crypto*, forex, pyramid scheme",
            RuleAction::Block,
            "No investment pitches",
        ),
        (
            Matcher::Regex,
            r"\b(?:dm|whatsapp|telegram)\s+me\b",
            RuleAction::Hold,
            "Taking members off the platform",
        ),
        (
            Matcher::Words,
            "refund, chargeback",
            RuleAction::Alert,
            "Billing question: support should answer",
        ),
    ] {
        db.create_automod_rule(&NewRule {
            workspace_id: workspace,
            space_id: None,
            matcher,
            pattern: pattern.into(),
            action,
            note: note.into(),
            created_by: cm,
            created_at: now.plus_seconds(-40 * 86_400),
        })
        .await?;
    }
    let non_staff: Vec<&(MemberId, String)> = {
        let mut list = Vec::new();
        for entry in &members {
            if Some(entry.0) != spare
                && !agora_core::members::MemberStore::member_is_staff(db, entry.0).await?
            {
                list.push(entry);
            }
        }
        list
    };
    if non_staff.len() < 6 {
        return Ok(());
    }
    let threads = db.list_threads(riders.id, 5).await?;
    let Some(thread) = threads.first() else {
        return Ok(());
    };
    let (hostile, flaggers, spammer, warned) = (
        non_staff[0],
        [non_staff[1], non_staff[2]],
        non_staff[3],
        non_staff[4],
    );

    // A hostile reply two members flagged: hidden until reviewed.
    let at = now.plus_seconds(-5 * 3_600);
    let rude = db
        .create_reply(&NewReply {
            thread_id: thread.id,
            author_id: hostile.0,
            reply_to_member_id: None,
            quote_reply_id: None,
            body: "Honestly, people as slow as you should stay home and stop ruining the ride."
                .into(),
            created_at: at,
        })
        .await?;
    let mut item = 0;
    for (n, flagger) in flaggers.iter().enumerate() {
        item = db
            .add_flag(&NewFlag {
                workspace_id: workspace,
                space_id: riders.id,
                content: ContentRef::Reply(rude),
                author_id: hostile.0,
                flagger_id: flagger.0,
                reason: FlagReason::Harassment,
                note: if n == 0 {
                    "Aimed at a newcomer".into()
                } else {
                    String::new()
                },
                weight: 4,
                created_at: at.plus_seconds(600 * (n as i64 + 1)),
            })
            .await?
            .review_item_id;
    }
    db.set_content_state(ContentRef::Reply(rude), ContentState::Hidden)
        .await?;
    db.log_action(&NewAction {
        workspace_id: workspace,
        space_id: Some(riders.id),
        moderator_id: None,
        action: "hidden_by_flags".into(),
        subject_id: Some(hostile.0),
        content: Some(ContentRef::Reply(rude)),
        reason:
            "flags reached a score of 8 (the threshold is 8); hidden until a moderator reviews it"
                .into(),
        public: true,
        sanction_id: None,
        review_item_id: Some(item),
        created_at: at.plus_seconds(1_200),
    })
    .await?;

    // An off-topic reply one member flagged: visible, waiting in the queue.
    let off_topic = db
        .create_reply(&NewReply {
            thread_id: thread.id,
            author_id: warned.0,
            reply_to_member_id: None,
            quote_reply_id: None,
            body: "Unrelated, but does anyone want to buy my old sofa?".into(),
            created_at: now.plus_seconds(-3 * 3_600),
        })
        .await?;
    db.add_flag(&NewFlag {
        workspace_id: workspace,
        space_id: riders.id,
        content: ContentRef::Reply(off_topic),
        author_id: warned.0,
        flagger_id: flaggers[0].0,
        reason: FlagReason::OffTopic,
        note: String::new(),
        weight: 2,
        created_at: now.plus_seconds(-2 * 3_600),
    })
    .await?;

    // A newcomer's post auto-moderation held for three links.
    db.create_review_item(&NewReviewItem {
        workspace_id: workspace,
        space_id: Some(riders.id),
        kind: ReviewKind::Held,
        content: None,
        subject_id: spammer.0,
        payload: serde_json::json!({
            "type": "thread",
            "title": "Cheap carbon wheels!!!",
            "body": "Best prices: https://wheels.example/a https://wheels.example/b https://wheels.example/c",
            "kind": "discussion",
            "tags": "",
        }),
        reasons: vec!["3 links from a new member (trust level 0 may post 2)".into()],
        score: 0,
        created_at: now.plus_seconds(-3_600),
    })
    .await?;

    // A warning (acknowledged) and a two-day mute that the job queue will end.
    let warn_at = now.plus_seconds(-10 * 86_400);
    let warning = db
        .create_sanction(&NewSanction {
            workspace_id: workspace,
            member_id: warned.0,
            kind: SanctionKind::Warn,
            space_id: Some(riders.id),
            content: None,
            reason: "Selling in the ride threads".into(),
            rule: "No spam or selling".into(),
            created_by: moderator,
            created_at: warn_at,
            expires_at: None,
        })
        .await?;
    db.acknowledge_warning(warned.0, warning, warn_at.plus_seconds(3_600))
        .await?;
    let mute_at = now.plus_seconds(-86_400);
    let mute_end = mute_at.plus_seconds(2 * 86_400);
    let mute = db
        .create_sanction(&NewSanction {
            workspace_id: workspace,
            member_id: hostile.0,
            kind: SanctionKind::Mute,
            space_id: Some(riders.id),
            content: None,
            reason: "Mocked a slower rider after the Coast loop".into(),
            rule: "Be kind".into(),
            created_by: moderator,
            created_at: mute_at,
            expires_at: Some(mute_end),
        })
        .await?;
    db.enqueue(
        &agora_jobs::moderation::expire_job(workspace, mute, mute_end),
        now,
    )
    .await?;
    for (action, subject, sanction, reason, at) in [
        (
            "warned",
            warned.0,
            Some(warning),
            "Selling in the ride threads (rule: No spam or selling)",
            warn_at,
        ),
        (
            "muted",
            hostile.0,
            Some(mute),
            "Mocked a slower rider after the Coast loop (rule: Be kind)",
            mute_at,
        ),
    ] {
        db.log_action(&NewAction {
            workspace_id: workspace,
            space_id: Some(riders.id),
            moderator_id: Some(moderator),
            action: action.into(),
            subject_id: Some(subject),
            content: None,
            reason: reason.into(),
            public: true,
            sanction_id: sanction,
            review_item_id: None,
            created_at: at,
        })
        .await?;
    }

    // Identities, and two member rows that are one person (merge suggestions).
    if let Some(twin) = non_staff.get(5) {
        use agora_core::identities::IdentityStore;
        let handle = agora_core::community::handle_base(&twin.1);
        db.add_identity(
            workspace,
            twin.0,
            "bluesky",
            &format!("{handle}.bsky.social"),
            now,
        )
        .await?;
        let imported = agora_core::members::MemberStore::create_member(
            db,
            &agora_core::members::NewMember {
                workspace_id: workspace,
                account_id: None,
                name: twin.1.clone(),
                email: None,
                joined_at: now.plus_seconds(-12 * 86_400),
                is_staff: false,
            },
        )
        .await?;
        db.add_identity(
            workspace,
            imported,
            "mastodon",
            &format!("@{handle}@velo.social"),
            now,
        )
        .await?;
        agora_core::analytics::InteractionStore::record_interactions(
            db,
            &[agora_core::analytics::NewInteraction {
                workspace_id: workspace,
                space_id: riders.id,
                actor_id: imported,
                target_id: Some(hostile.0),
                kind: agora_core::analytics::InteractionKind::Reaction,
                at: now.plus_seconds(-86_400),
                source: "mastodon".into(),
                actor_is_staff: false,
                thread_id: None,
            }],
        )
        .await?;
    }

    // Trust levels from the demo's activity.
    db.backfill_participation(workspace).await?;
    agora_jobs::moderation::recompute_trust(db, workspace, now).await?;
    Ok(())
}
