//! Moderation's use cases, shared by pages and the API: what may be posted
//! (sanctions, the code of conduct, flood limits by trust level,
//! auto-moderation and the local toxicity score), flags, the review queue's
//! decisions, sanctions, appeals, and who may do each.
//!
//! Who moderates: workspace moderators (admins, community managers,
//! moderators) everywhere; a group's owners and moderators in their group
//! only. Staff are outside trust levels and auto-moderation.

use std::sync::Arc;

use agora_core::automod::{self, RuleAction, RuleSet};
use agora_core::community::{
    CommunityError, CommunityStore, GroupMembership, GroupRole, Space, SpaceId,
};
use agora_core::jobs::JobStore;
use agora_core::members::{MemberId, MemberStore};
use agora_core::moderation::{
    ContentRef, ContentState, Decision, FlagReason, ModerationStore, NewAction, NewFlag,
    NewReviewItem, NewSanction, ReviewItem, ReviewKind, ReviewStatus, Sanction, SanctionKind,
    SanctionRequest, Standing, ToxicityAction, check_appeal_text, check_sanction, flag_weight,
    flood_limit,
};
use agora_core::{StoreError, Timestamp};
use serde::Serialize;

use crate::AppState;
use crate::community::{ActionError, Viewer};
use crate::problem::Problem;

/// Where a viewer moderates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Workspace,
    Groups(Vec<SpaceId>),
}

impl Scope {
    /// Whether an item in `space` (or of the whole workspace) is the viewer's to act on.
    pub fn covers(&self, space: Option<SpaceId>) -> bool {
        match (self, space) {
            (Scope::Workspace, _) => true,
            (Scope::Groups(groups), Some(space)) => groups.contains(&space),
            (Scope::Groups(_), None) => false,
        }
    }

    pub fn spaces(&self) -> Option<Vec<SpaceId>> {
        match self {
            Scope::Workspace => None,
            Scope::Groups(groups) => Some(groups.clone()),
        }
    }
}

/// The viewer's moderation scope, or `None` if they moderate nothing.
pub async fn scope(state: &AppState, viewer: &Viewer) -> Result<Option<Scope>, StoreError> {
    if viewer.moderates {
        return Ok(Some(Scope::Workspace));
    }
    let groups = state
        .db
        .moderated_groups(viewer.workspace_id, viewer.member_id)
        .await?;
    Ok((!groups.is_empty()).then_some(Scope::Groups(groups)))
}

pub async fn require_scope(state: &AppState, viewer: &Viewer) -> Result<Scope, Problem> {
    scope(state, viewer).await?.ok_or_else(|| {
        Problem::forbidden("moderation is for moderators of the workspace or of a group")
    })
}

fn not_yours() -> ActionError {
    CommunityError::NotAGroupModerator.into()
}

fn invalid(field: &'static str, message: impl Into<String>) -> ActionError {
    CommunityError::invalid(field, message).into()
}

/// A sanction in force that keeps the member from posting in `space`.
pub fn blocking(
    sanctions: &[Sanction],
    space: Option<SpaceId>,
    now: Timestamp,
) -> Option<&Sanction> {
    sanctions.iter().find(|s| {
        s.in_force(now)
            && match s.kind {
                SanctionKind::Suspend | SanctionKind::Ban => true,
                SanctionKind::Mute => space.is_some() && s.space_id == space,
                _ => false,
            }
    })
}

/// What a sanctioned member reads: what, until when, why, the rule, and where to appeal.
pub fn sanction_message(sanction: &Sanction, workspace_slug: &str) -> String {
    let what = match sanction.kind {
        SanctionKind::Suspend => "You are suspended from this community",
        SanctionKind::Ban => "You are banned from this community",
        SanctionKind::Mute => "You are muted in this group",
        SanctionKind::Warn => "You received a warning",
        SanctionKind::HideContent | SanctionKind::RemoveContent => "A moderator acted on your post",
    };
    let until = sanction
        .expires_at
        .map(|end| format!(" until {}", end.display_utc()))
        .unwrap_or_default();
    let rule = if sanction.rule.is_empty() {
        String::new()
    } else {
        format!(" Rule: {}.", sanction.rule)
    };
    format!(
        "{what}{until}. Reason: {}.{rule} You can appeal on /w/{workspace_slug}/moderation/mine.",
        sanction.reason.trim_end_matches('.')
    )
}

/// The notice a member sees on community pages: a sanction in force here,
/// else an unacknowledged warning.
pub async fn notice(
    state: &AppState,
    viewer: &Viewer,
    space: Option<SpaceId>,
) -> Result<Option<String>, StoreError> {
    if viewer.is_staff {
        return Ok(None);
    }
    let now = state.clock.now();
    let sanctions = state.db.sanctions_of(viewer.member_id).await?;
    if let Some(sanction) = blocking(&sanctions, space, now) {
        return Ok(Some(sanction_message(sanction, &viewer.workspace_slug)));
    }
    if state
        .db
        .pending_review_item(ReviewKind::Member, None, viewer.member_id)
        .await?
        .is_some()
    {
        return Ok(Some(AWAITING_APPROVAL.into()));
    }
    Ok(sanctions
        .iter()
        .find(|s| s.kind == SanctionKind::Warn && s.acknowledged_at.is_none())
        .map(|s| sanction_message(s, &viewer.workspace_slug)))
}

/// What a member who waits for approval reads.
pub const AWAITING_APPROVAL: &str =
    "Your membership is waiting for a moderator's approval; you can read everything meanwhile.";

/// Puts a member who joined by themselves in the queue, when the workspace
/// approves new members.
pub async fn new_member(
    state: &AppState,
    workspace: i64,
    member: MemberId,
    name: &str,
) -> Result<(), StoreError> {
    if !state
        .db
        .moderation_settings(workspace)
        .await?
        .approve_new_members
        || state
            .db
            .pending_review_item(ReviewKind::Member, None, member)
            .await?
            .is_some()
    {
        return Ok(());
    }
    state
        .db
        .create_review_item(&NewReviewItem {
            workspace_id: workspace,
            space_id: None,
            kind: ReviewKind::Member,
            content: None,
            subject_id: member,
            payload: serde_json::json!({}),
            reasons: vec![format!(
                "{name} joined by themselves; new members are approved before they post"
            )],
            score: 0,
            created_at: state.clock.now(),
        })
        .await?;
    Ok(())
}

/// Refuses to let a sanctioned member, or one who has not accepted the
/// current code of conduct, post in `space`.
pub async fn may_post(
    state: &AppState,
    viewer: &Viewer,
    space: Option<SpaceId>,
) -> Result<(), ActionError> {
    if viewer.is_staff {
        return Ok(());
    }
    let now = state.clock.now();
    let sanctions = state.db.sanctions_of(viewer.member_id).await?;
    if let Some(sanction) = blocking(&sanctions, space, now) {
        return Err(CommunityError::Sanctioned {
            message: sanction_message(sanction, &viewer.workspace_slug),
        }
        .into());
    }
    if state
        .db
        .pending_review_item(ReviewKind::Member, None, viewer.member_id)
        .await?
        .is_some()
    {
        return Err(CommunityError::Sanctioned {
            message: AWAITING_APPROVAL.into(),
        }
        .into());
    }
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    if settings.conduct_version > 0
        && state.db.accepted_conduct(viewer.member_id).await? < settings.conduct_version
    {
        return Err(CommunityError::ConductNotAccepted {
            version: settings.conduct_version,
        }
        .into());
    }
    Ok(())
}

/// What auto-moderation says about a post.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// Publish it; the alerts (if any) put it in the review queue.
    Publish { alerts: Vec<String> },
    /// Keep it back for a moderator, for these reasons.
    Hold { reasons: Vec<String> },
}

/// The workspace's compiled rules, rebuilt when a rule changes.
async fn rule_set(
    state: &AppState,
    workspace: i64,
    version: i64,
) -> Result<Arc<RuleSet>, StoreError> {
    if let Some((cached, rules)) = state
        .automod
        .lock()
        .map_err(|_| StoreError::Backend("automod cache poisoned".into()))?
        .get(&workspace)
        && *cached == version
    {
        return Ok(rules.clone());
    }
    let rules = Arc::new(RuleSet::compile(state.db.automod_rules(workspace).await?));
    state
        .automod
        .lock()
        .map_err(|_| StoreError::Backend("automod cache poisoned".into()))?
        .insert(workspace, (version, rules.clone()));
    Ok(rules)
}

/// Checks a post before it is published: the flood limit of the author's
/// trust level, then word and pattern rules, links and images from new
/// members, duplicates, and the toxicity score. Staff pass.
pub async fn gate(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    title: &str,
    body: &str,
) -> Result<Gate, ActionError> {
    let text = &if title.is_empty() {
        body.to_owned()
    } else {
        format!("{title}\n\n{body}")
    };
    if viewer.is_staff {
        return Ok(Gate::Publish { alerts: Vec::new() });
    }
    let now = state.clock.now();
    let level = state.db.trust_of(viewer.member_id).await?.level;
    let limit = flood_limit(level);
    let window = agora_core::community::FLOOD_WINDOW_MILLIS;
    let recent = state
        .db
        .recent_post_times(viewer.member_id, now.plus_millis(-window))
        .await?;
    if recent.len() as i64 >= limit {
        let oldest = recent.first().copied().unwrap_or(now);
        let wait_seconds = ((oldest.millis() + window - now.millis()) / 1000).max(1);
        return Err(CommunityError::RateLimited { wait_seconds }.into());
    }
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    let rules = rule_set(state, viewer.workspace_id, settings.rules_version).await?;
    let mut holds = Vec::new();
    let mut alerts = Vec::new();
    for hit in rules.check(text, space.id) {
        let what = if hit.note.is_empty() {
            format!("rule #{}", hit.rule_id)
        } else {
            hit.note.clone()
        };
        match hit.action {
            RuleAction::Block => {
                return Err(invalid(
                    "body",
                    format!(
                        "This was not posted: it matches a rule of this community ({what}: “{}”). Your text is kept; change it and send again.",
                        hit.matched
                    ),
                ));
            }
            RuleAction::Hold => holds.push(format!("matches a rule: {what} (“{}”)", hit.matched)),
            RuleAction::Alert => alerts.push(format!("matches a rule: {what} (“{}”)", hit.matched)),
        }
    }
    if level == 0 {
        let links = automod::count_links(text) as i64;
        if links > settings.new_member_links {
            holds.push(format!(
                "{links} links from a new member (trust level 0 may post {})",
                settings.new_member_links
            ));
        }
        if automod::has_image(text) {
            holds.push("an image from a new member (images unlock at trust level 1)".into());
        }
    }
    if let Some(key) = automod::duplicate_key(body) {
        let since = now.plus_millis(-automod::DUPLICATE_WINDOW_MILLIS);
        let bodies = state.db.recent_bodies(viewer.member_id, since).await?;
        if bodies
            .iter()
            .any(|body| automod::duplicate_key(body).as_deref() == Some(key.as_str()))
        {
            holds.push("the same text as one of the author's posts in the last 24 hours".into());
        }
    }
    if settings.toxicity_action != ToxicityAction::Off {
        let toxicity = agora_core::toxicity::score(text);
        if toxicity.score >= agora_core::toxicity::HOLD_THRESHOLD {
            let reason = format!(
                "toxicity score {:.2} (local model): {}",
                toxicity.score,
                toxicity.reasons.join("; ")
            );
            match settings.toxicity_action {
                ToxicityAction::Hold => holds.push(reason),
                _ => alerts.push(reason),
            }
        }
    }
    if holds.is_empty() {
        Ok(Gate::Publish { alerts })
    } else {
        holds.extend(alerts);
        Ok(Gate::Hold { reasons: holds })
    }
}

/// Keeps a post back for review; answers the review item's id.
pub async fn hold(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    draft: serde_json::Value,
    reasons: Vec<String>,
) -> Result<i64, StoreError> {
    let now = state.clock.now();
    let item = state
        .db
        .create_review_item(&NewReviewItem {
            workspace_id: viewer.workspace_id,
            space_id: Some(space.id),
            kind: ReviewKind::Held,
            content: None,
            subject_id: viewer.member_id,
            payload: draft,
            reasons: reasons.clone(),
            score: 0,
            created_at: now,
        })
        .await?;
    state
        .db
        .log_action(&NewAction {
            workspace_id: viewer.workspace_id,
            space_id: Some(space.id),
            moderator_id: None,
            action: "held_post".into(),
            subject_id: Some(viewer.member_id),
            content: None,
            reason: reasons.join("; "),
            public: false,
            sanction_id: None,
            review_item_id: Some(item),
            created_at: now,
        })
        .await?;
    Ok(item)
}

/// Puts published content in the review queue for alerts.
pub async fn alert(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    content: ContentRef,
    alerts: Vec<String>,
) -> Result<(), StoreError> {
    state
        .db
        .create_review_item(&NewReviewItem {
            workspace_id: viewer.workspace_id,
            space_id: Some(space.id),
            kind: ReviewKind::Flagged,
            content: Some(content),
            subject_id: viewer.member_id,
            payload: serde_json::json!({}),
            reasons: alerts,
            score: 0,
            created_at: state.clock.now(),
        })
        .await?;
    Ok(())
}

/// A flag recorded: its weight, the content's score now, whether it is hidden.
#[derive(Debug, Clone, Serialize)]
pub struct FlagOutcome {
    pub review_item_id: i64,
    pub weight: i64,
    pub score: i64,
    pub hidden: bool,
}

/// Flags a post the viewer can read (not their own, once).
pub async fn flag(
    state: &AppState,
    viewer: &Viewer,
    content: ContentRef,
    reason: &str,
    note: &str,
) -> Result<FlagOutcome, ActionError> {
    let reason = FlagReason::parse(reason.trim())
        .ok_or_else(|| invalid("reason", "choose spam, harassment, off_topic or other"))?;
    let note = note.trim();
    if reason == FlagReason::Other && note.chars().count() < 3 {
        return Err(invalid("note", "say what is wrong with the post"));
    }
    if note.chars().count() > 500 {
        return Err(invalid("note", "a note is at most 500 characters"));
    }
    let info = state
        .db
        .content_info(viewer.workspace_id, content)
        .await?
        .ok_or(CommunityError::Hidden)?;
    crate::community::readable_thread(state, viewer, info.thread_id).await?;
    if info.author_id == viewer.member_id {
        return Err(invalid("content", "you can't flag your own post"));
    }
    let now = state.clock.now();
    if !viewer.is_staff {
        let sanctions = state.db.sanctions_of(viewer.member_id).await?;
        if let Some(sanction) = blocking(&sanctions, None, now) {
            return Err(CommunityError::Sanctioned {
                message: sanction_message(sanction, &viewer.workspace_slug),
            }
            .into());
        }
    }
    let standing = if viewer.is_staff {
        Standing::Staff
    } else {
        Standing::Level(state.db.trust_of(viewer.member_id).await?.level)
    };
    let (agreed, disagreed) = state.db.flag_record(viewer.member_id).await?;
    let weight = flag_weight(standing, agreed, disagreed);
    let flagged = match state
        .db
        .add_flag(&NewFlag {
            workspace_id: viewer.workspace_id,
            space_id: info.space_id,
            content,
            author_id: info.author_id,
            flagger_id: viewer.member_id,
            reason,
            note: note.to_owned(),
            weight,
            created_at: now,
        })
        .await
    {
        Ok(flagged) => flagged,
        Err(StoreError::Conflict(_)) => {
            return Err(invalid("content", "you already flagged this post"));
        }
        Err(other) => return Err(other.into()),
    };
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    let mut hidden = info.state != ContentState::Visible;
    if flagged.score >= settings.hide_threshold && info.state == ContentState::Visible {
        state
            .db
            .set_content_state(content, ContentState::Hidden)
            .await?;
        hidden = true;
        state
            .db
            .log_action(&NewAction {
                workspace_id: viewer.workspace_id,
                space_id: Some(info.space_id),
                moderator_id: None,
                action: "hidden_by_flags".into(),
                subject_id: Some(info.author_id),
                content: Some(content),
                reason: format!(
                    "flags reached a score of {} (the threshold is {}); hidden until a moderator reviews it",
                    flagged.score, settings.hide_threshold
                ),
                public: true,
                sanction_id: None,
                review_item_id: Some(flagged.review_item_id),
                created_at: now,
            })
            .await?;
    }
    Ok(FlagOutcome {
        review_item_id: flagged.review_item_id,
        weight,
        score: flagged.score,
        hidden,
    })
}

/// A review item the viewer may act on.
async fn item_in_scope(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    id: i64,
) -> Result<ReviewItem, ActionError> {
    let item = state
        .db
        .review_item(viewer.workspace_id, id)
        .await?
        .ok_or(CommunityError::Hidden)?;
    if !scope.covers(item.space_id) {
        return Err(not_yours());
    }
    Ok(item)
}

/// Claims a pending item so that others see someone is on it.
pub async fn claim(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    id: i64,
) -> Result<(), ActionError> {
    let item = item_in_scope(state, viewer, scope, id).await?;
    let now = state.clock.now();
    if !state
        .db
        .claim_review_item(id, viewer.member_id, now)
        .await?
    {
        return Err(StoreError::Conflict(match item.claimed_by_name {
            Some(name) if item.status == ReviewStatus::Pending => format!("{name} claimed it"),
            _ => "it was decided already".into(),
        })
        .into());
    }
    log(
        state,
        viewer,
        item.space_id,
        "claimed",
        Some(item.subject_id),
        item.content,
        "",
        false,
        None,
        Some(id),
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn log(
    state: &AppState,
    viewer: &Viewer,
    space: Option<SpaceId>,
    action: &str,
    subject: Option<MemberId>,
    content: Option<ContentRef>,
    reason: &str,
    public: bool,
    sanction: Option<i64>,
    item: Option<i64>,
) -> Result<i64, StoreError> {
    state
        .db
        .log_action(&NewAction {
            workspace_id: viewer.workspace_id,
            space_id: space,
            moderator_id: Some(viewer.member_id),
            action: action.into(),
            subject_id: subject,
            content,
            reason: reason.into(),
            public,
            sanction_id: sanction,
            review_item_id: item,
            created_at: state.clock.now(),
        })
        .await
}

/// A moderator's decision as sent.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub decision: String,
    /// For agreeing with flags: `hide` or `remove` (the default).
    pub action: Option<String>,
    pub reason: String,
}

/// Decides a review item once, and does what the decision means.
pub async fn decide(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    id: i64,
    input: &DecisionInput,
) -> Result<ReviewItem, ActionError> {
    let item = item_in_scope(state, viewer, scope, id).await?;
    let decision = Decision::parse(input.decision.trim())
        .ok_or_else(|| invalid("decision", "choose agree, disagree or ignore"))?;
    if item.status != ReviewStatus::Pending {
        return Err(StoreError::Conflict("this item was decided already".into()).into());
    }
    if let Some(holder) = item.claimed_by.filter(|holder| *holder != viewer.member_id) {
        let _ = holder;
        return Err(StoreError::Conflict(format!(
            "{} claimed this item; they decide it",
            item.claimed_by_name.clone().unwrap_or_default()
        ))
        .into());
    }
    let reason = input.reason.trim().to_owned();
    let mut appeal = None;
    if item.kind == ReviewKind::Member && decision == Decision::Ignore {
        return Err(invalid("decision", "a new member is approved or refused"));
    }
    if item.kind == ReviewKind::Appeal {
        if decision == Decision::Ignore {
            return Err(invalid("decision", "an appeal is agreed or disagreed with"));
        }
        let appeal_id = item.payload["appeal_id"].as_i64().unwrap_or_default();
        let found = state
            .db
            .appeal(viewer.workspace_id, appeal_id)
            .await?
            .ok_or(CommunityError::Hidden)?;
        let action = state
            .db
            .action_entry(viewer.workspace_id, found.action_id)
            .await?
            .ok_or(CommunityError::Hidden)?;
        if found.member_id == viewer.member_id {
            return Err(CommunityError::Sanctioned {
                message: "nobody decides their own appeal".into(),
            }
            .into());
        }
        if action.moderator_id == Some(viewer.member_id) {
            return Err(CommunityError::Sanctioned {
                message: "a different moderator decides an appeal against your own action".into(),
            }
            .into());
        }
        appeal = Some((found, action));
    }
    let hide = input.action.as_deref().map(str::trim) == Some("hide");
    let words = match (item.kind, decision) {
        (ReviewKind::Flagged, Decision::Agree) if hide => "hid the post",
        (ReviewKind::Flagged, Decision::Agree) => "removed the post",
        (ReviewKind::Flagged, Decision::Disagree) => "kept the post up",
        (ReviewKind::Held, Decision::Agree) => "removed the post",
        (ReviewKind::Held, Decision::Disagree) => "published the post",
        (ReviewKind::JoinRequest, Decision::Agree) => "approved the request",
        (ReviewKind::JoinRequest, Decision::Disagree) => "refused the request",
        (ReviewKind::Member, Decision::Agree) => "approved the member",
        (ReviewKind::Member, Decision::Disagree) => "refused the member",
        (ReviewKind::Appeal, Decision::Agree) => "undid the action",
        (ReviewKind::Appeal, Decision::Disagree) => "the action stands",
        (_, Decision::Ignore) => "closed without acting",
    };
    let now = state.clock.now();
    let status = ReviewStatus::of(decision);
    // Deciding first makes the decision happen once, however many moderators click.
    if !state
        .db
        .decide_review_item(id, status, viewer.member_id, words, now)
        .await?
    {
        return Err(StoreError::Conflict("this item was decided already".into()).into());
    }
    match (item.kind, decision) {
        (ReviewKind::Flagged, Decision::Agree) => {
            let content = item.content.ok_or(CommunityError::Hidden)?;
            let (state_to, action) = if hide {
                (ContentState::Hidden, "hid_post")
            } else {
                (ContentState::Removed, "removed_post")
            };
            state.db.set_content_state(content, state_to).await?;
            state.db.set_flag_outcomes(id, status).await?;
            let reason = if reason.is_empty() {
                flag_summary(state, id).await?
            } else {
                reason
            };
            state
                .db
                .log_action(&NewAction {
                    public: true,
                    ..decision_entry(state, viewer, &item, action, &reason)
                })
                .await?;
        }
        (ReviewKind::Flagged, Decision::Disagree) => {
            if let Some(content) = item.content {
                state
                    .db
                    .set_content_state(content, ContentState::Visible)
                    .await?;
                state
                    .db
                    .log_action(&NewAction {
                        content: Some(content),
                        ..decision_entry(state, viewer, &item, "restored_post", &reason)
                    })
                    .await?;
            }
            state.db.set_flag_outcomes(id, status).await?;
        }
        (ReviewKind::Flagged, Decision::Ignore) => {
            state.db.set_flag_outcomes(id, status).await?;
            state
                .db
                .log_action(&decision_entry(state, viewer, &item, "ignored", &reason))
                .await?;
        }
        (ReviewKind::Held, Decision::Agree) => {
            let reason = if reason.is_empty() {
                item.reasons.join("; ")
            } else {
                reason
            };
            state
                .db
                .log_action(&NewAction {
                    content: None,
                    public: true,
                    ..decision_entry(state, viewer, &item, "removed_post", &reason)
                })
                .await?;
        }
        (ReviewKind::Held, Decision::Disagree) => {
            let published = publish_held(state, viewer, &item).await?;
            state
                .db
                .log_action(&NewAction {
                    content: Some(published),
                    ..decision_entry(state, viewer, &item, "published_post", &reason)
                })
                .await?;
        }
        (ReviewKind::Held, Decision::Ignore) => {
            state
                .db
                .log_action(&NewAction {
                    content: None,
                    ..decision_entry(state, viewer, &item, "ignored", &reason)
                })
                .await?;
        }
        (ReviewKind::JoinRequest, Decision::Agree) => {
            let space = item.space_id.ok_or(CommunityError::Hidden)?;
            if let Some(mut membership) = state.db.group_membership(space, item.subject_id).await? {
                membership.active = true;
                state.db.upsert_group_membership(&membership).await?;
            }
            state
                .db
                .log_action(&NewAction {
                    content: None,
                    ..decision_entry(state, viewer, &item, "approved_join", &reason)
                })
                .await?;
        }
        (ReviewKind::JoinRequest, Decision::Disagree) => {
            let space = item.space_id.ok_or(CommunityError::Hidden)?;
            if state
                .db
                .group_membership(space, item.subject_id)
                .await?
                .is_some_and(|m| !m.active)
            {
                state.db.leave_group(space, item.subject_id).await?;
            }
            state
                .db
                .log_action(&NewAction {
                    content: None,
                    ..decision_entry(state, viewer, &item, "refused_join", &reason)
                })
                .await?;
        }
        (ReviewKind::Member, Decision::Agree) => {
            state
                .db
                .log_action(&NewAction {
                    space_id: None,
                    content: None,
                    ..decision_entry(state, viewer, &item, "approved_member", &reason)
                })
                .await?;
        }
        (ReviewKind::Member, _) => {
            let reason = if reason.is_empty() {
                "membership refused".to_owned()
            } else {
                reason
            };
            let ban = state
                .db
                .create_sanction(&NewSanction {
                    workspace_id: viewer.workspace_id,
                    member_id: item.subject_id,
                    kind: SanctionKind::Ban,
                    space_id: None,
                    content: None,
                    reason: reason.clone(),
                    rule: String::new(),
                    created_by: viewer.member_id,
                    created_at: now,
                    expires_at: None,
                })
                .await?;
            state
                .db
                .log_action(&NewAction {
                    space_id: None,
                    content: None,
                    public: true,
                    sanction_id: Some(ban),
                    ..decision_entry(state, viewer, &item, "banned", &reason)
                })
                .await?;
        }
        (ReviewKind::JoinRequest, Decision::Ignore) => {
            state
                .db
                .log_action(&NewAction {
                    content: None,
                    ..decision_entry(state, viewer, &item, "ignored", &reason)
                })
                .await?;
        }
        (ReviewKind::Appeal, _) => {
            let (found, action) = appeal.ok_or(CommunityError::Hidden)?;
            if decision == Decision::Agree {
                if let Some(sanction) = action.sanction_id {
                    state.db.end_sanction(sanction, "appeal", now).await?;
                }
                if let Some(content) = action.content {
                    state
                        .db
                        .set_content_state(content, ContentState::Visible)
                        .await?;
                }
                state
                    .db
                    .decide_appeal(
                        found.id,
                        agora_core::moderation::AppealStatus::Upheld,
                        viewer.member_id,
                        &reason,
                        now,
                    )
                    .await?;
                state
                    .db
                    .log_action(&NewAction {
                        space_id: action.space_id,
                        content: action.content,
                        public: true,
                        sanction_id: action.sanction_id,
                        ..decision_entry(state, viewer, &item, "appeal_upheld", &reason)
                    })
                    .await?;
            } else {
                state
                    .db
                    .decide_appeal(
                        found.id,
                        agora_core::moderation::AppealStatus::Refused,
                        viewer.member_id,
                        &reason,
                        now,
                    )
                    .await?;
                state
                    .db
                    .log_action(&NewAction {
                        space_id: action.space_id,
                        content: action.content,
                        public: true,
                        sanction_id: action.sanction_id,
                        ..decision_entry(state, viewer, &item, "appeal_refused", &reason)
                    })
                    .await?;
            }
        }
    }
    Ok(state
        .db
        .review_item(viewer.workspace_id, id)
        .await?
        .ok_or(CommunityError::Hidden)?)
}

/// A log entry for what a decision on `item` did: audit-only, about the
/// item's subject, content and group, unless the caller says otherwise.
fn decision_entry(
    state: &AppState,
    viewer: &Viewer,
    item: &ReviewItem,
    action: &str,
    reason: &str,
) -> NewAction {
    NewAction {
        workspace_id: viewer.workspace_id,
        space_id: item.space_id,
        moderator_id: Some(viewer.member_id),
        action: action.into(),
        subject_id: Some(item.subject_id),
        content: item.content,
        reason: reason.into(),
        public: false,
        sanction_id: None,
        review_item_id: Some(item.id),
        created_at: state.clock.now(),
    }
}

/// The flags of an item in words, for the log: "harassment (2), spam".
async fn flag_summary(state: &AppState, item: i64) -> Result<String, StoreError> {
    let flags = state.db.flags_of_item(item).await?;
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for flag in &flags {
        match counts
            .iter_mut()
            .find(|(label, _)| *label == flag.reason.label())
        {
            Some((_, n)) => *n += 1,
            None => counts.push((flag.reason.label(), 1)),
        }
    }
    if counts.is_empty() {
        return Ok("against the community's rules".into());
    }
    Ok(format!(
        "flagged: {}",
        counts
            .iter()
            .map(|(label, n)| if *n > 1 {
                format!("{label} ({n})")
            } else {
                (*label).to_owned()
            })
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Publishes a held post as its author wrote it.
async fn publish_held(
    state: &AppState,
    moderator: &Viewer,
    item: &ReviewItem,
) -> Result<ContentRef, ActionError> {
    let author = Viewer {
        workspace_id: moderator.workspace_id,
        workspace_slug: moderator.workspace_slug.clone(),
        name: item.subject_name.clone(),
        member_id: item.subject_id,
        is_staff: false,
        moderates: false,
    };
    let space_id = item.space_id.ok_or(CommunityError::Hidden)?;
    let space = state
        .db
        .space_by_id(moderator.workspace_id, space_id)
        .await?
        .ok_or(CommunityError::Hidden)?;
    let text = |key: &str| item.payload[key].as_str().unwrap_or_default().to_owned();
    match item.payload["type"].as_str() {
        Some("reply") => {
            let thread = item.payload["thread_id"]
                .as_i64()
                .ok_or(CommunityError::Hidden)?;
            let quote = item.payload["quote_reply_id"].as_i64();
            let reply =
                crate::community::publish_reply(state, &author, thread, &text("body"), quote)
                    .await?;
            Ok(ContentRef::Reply(reply))
        }
        _ => {
            let draft = crate::community::ThreadDraft {
                title: text("title"),
                body: text("body"),
                kind: text("kind"),
                tags: text("tags"),
            };
            let thread = crate::community::publish_thread(state, &author, &space, &draft).await?;
            Ok(ContentRef::Thread(thread))
        }
    }
}

/// Sanctions a member: checks who may (workspace moderators for
/// suspensions and bans; a group's moderators for mutes and content in
/// their group), acts on content, schedules the expiry, logs it publicly.
pub async fn sanction(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    member: MemberId,
    request: &SanctionRequest,
) -> Result<Sanction, ActionError> {
    let now = state.clock.now();
    let (kind, reason, rule, expires_at, space, content) =
        check_sanction(request, now).map_err(|error| invalid(error.field, error.message))?;
    if state
        .db
        .profile(viewer.workspace_id, member)
        .await?
        .is_none()
    {
        return Err(CommunityError::Hidden.into());
    }
    if member == viewer.member_id {
        return Err(invalid("member", "you can't sanction yourself"));
    }
    if state.db.member_is_staff(member).await? {
        return Err(invalid(
            "member",
            "staff are outside sanctions; change their role instead",
        ));
    }
    let space = match content {
        Some(content) => {
            let info = state
                .db
                .content_info(viewer.workspace_id, content)
                .await?
                .ok_or(CommunityError::Hidden)?;
            if info.author_id != member {
                return Err(invalid("content", "that post is not this member's"));
            }
            Some(info.space_id)
        }
        None => space,
    };
    if let Some(space) = space {
        state
            .db
            .space_by_id(viewer.workspace_id, space)
            .await?
            .ok_or_else(|| invalid("space_id", "no such group"))?;
    }
    let allowed = match kind {
        SanctionKind::Suspend | SanctionKind::Ban => *scope == Scope::Workspace,
        SanctionKind::Warn => scope.covers(space) || *scope == Scope::Workspace,
        _ => scope.covers(space),
    };
    if !allowed {
        return Err(not_yours());
    }
    if let Some(content) = content {
        let to = if kind == SanctionKind::HideContent {
            ContentState::Hidden
        } else {
            ContentState::Removed
        };
        state.db.set_content_state(content, to).await?;
    }
    let id = state
        .db
        .create_sanction(&NewSanction {
            workspace_id: viewer.workspace_id,
            member_id: member,
            kind,
            space_id: space,
            content,
            reason: reason.clone(),
            rule: rule.clone(),
            created_by: viewer.member_id,
            created_at: now,
            expires_at,
        })
        .await?;
    if let Some(at) = expires_at {
        state
            .db
            .enqueue(
                &agora_jobs::moderation::expire_job(viewer.workspace_id, id, at),
                now,
            )
            .await?;
    }
    let action = match kind {
        SanctionKind::HideContent => "hid_post",
        SanctionKind::RemoveContent => "removed_post",
        SanctionKind::Warn => "warned",
        SanctionKind::Mute => "muted",
        SanctionKind::Suspend => "suspended",
        SanctionKind::Ban => "banned",
    };
    let logged_reason = if rule.is_empty() {
        reason
    } else {
        format!("{reason} (rule: {rule})")
    };
    log(
        state,
        viewer,
        space,
        action,
        Some(member),
        content,
        &logged_reason,
        true,
        Some(id),
        None,
    )
    .await?;
    let sanction = state
        .db
        .sanction(viewer.workspace_id, id)
        .await?
        .ok_or(CommunityError::Hidden)?;
    // The member hears of it by e-mail too, with the reason, the rule and where to appeal.
    crate::community::email_about(
        state,
        member,
        format!("{} — a moderator's decision", kind.label()),
        format!(
            "{}\n\nYour standing and appeals: {}/w/{}/moderation/mine",
            sanction_message(&sanction, &viewer.workspace_slug),
            state.settings.public_url,
            viewer.workspace_slug
        ),
        format!("sanction.{id}"),
        now,
    )
    .await?;
    Ok(sanction)
}

/// The actions members may appeal.
pub const APPEALABLE: [&str; 7] = [
    "hid_post",
    "removed_post",
    "hidden_by_flags",
    "warned",
    "muted",
    "suspended",
    "banned",
];

/// Files the viewer's appeal of an action about them; it goes to the
/// review queue, where a moderator other than the one who acted decides.
pub async fn appeal(
    state: &AppState,
    viewer: &Viewer,
    action_id: i64,
    text: &str,
) -> Result<i64, ActionError> {
    let action = state
        .db
        .action_entry(viewer.workspace_id, action_id)
        .await?
        .filter(|action| action.subject_id == Some(viewer.member_id) && action.public)
        .ok_or_else(|| invalid("action_id", "that is not an action about you"))?;
    if !APPEALABLE.contains(&action.action.as_str()) {
        return Err(invalid("action_id", "this action can't be appealed"));
    }
    let text = check_appeal_text(text).map_err(|error| invalid(error.field, error.message))?;
    let now = state.clock.now();
    let appeal = match state
        .db
        .create_appeal(viewer.workspace_id, action_id, viewer.member_id, &text, now)
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(invalid("action_id", "you already appealed this action"));
        }
        Err(other) => return Err(other.into()),
    };
    // Suspensions and bans are the workspace's; the rest stay with the group's moderators too.
    let space = match action.action.as_str() {
        "suspended" | "banned" => None,
        _ => action.space_id,
    };
    state
        .db
        .create_review_item(&NewReviewItem {
            workspace_id: viewer.workspace_id,
            space_id: space,
            kind: ReviewKind::Appeal,
            content: action.content,
            subject_id: viewer.member_id,
            payload: serde_json::json!({ "appeal_id": appeal, "action_id": action_id }),
            reasons: vec![text],
            score: 0,
            created_at: now,
        })
        .await?;
    Ok(appeal)
}

/// Opens a join request's review item (private groups).
pub async fn request_join(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
) -> Result<(), StoreError> {
    if state
        .db
        .pending_review_item(ReviewKind::JoinRequest, Some(space.id), viewer.member_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    state
        .db
        .create_review_item(&NewReviewItem {
            workspace_id: viewer.workspace_id,
            space_id: Some(space.id),
            kind: ReviewKind::JoinRequest,
            content: None,
            subject_id: viewer.member_id,
            payload: serde_json::json!({}),
            reasons: vec![format!("asks to join {}", space.name)],
            score: 0,
            created_at: state.clock.now(),
        })
        .await?;
    Ok(())
}

/// Closes a join request's item when it was answered elsewhere (the group's page).
pub async fn close_join_request(
    state: &AppState,
    viewer: &Viewer,
    space: SpaceId,
    member: MemberId,
    approved: bool,
) -> Result<(), StoreError> {
    if let Some(item) = state
        .db
        .pending_review_item(ReviewKind::JoinRequest, Some(space), member)
        .await?
    {
        let (status, words) = if approved {
            (ReviewStatus::Agreed, "approved the request")
        } else {
            (ReviewStatus::Disagreed, "refused the request")
        };
        state
            .db
            .decide_review_item(item, status, viewer.member_id, words, state.clock.now())
            .await?;
    }
    Ok(())
}

/// Whether a membership makes someone a moderator of its group.
pub fn moderates_group(membership: Option<&GroupMembership>) -> bool {
    membership
        .is_some_and(|m| m.active && matches!(m.role, GroupRole::Owner | GroupRole::Moderator))
}
