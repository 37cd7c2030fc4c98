//! Moderation pages: the review queue (workspace moderators, and a group's
//! own moderators for their groups), sanctions, the public moderation log,
//! the audit log (admins), a member's own record with appeals, the code of
//! conduct, and the community manager's settings (conduct, thresholds,
//! auto-moderation rules, trust levels).

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use agora_core::automod::{self, Matcher, NewRule, Rule, RuleAction};
use agora_core::community::{CommunityStore, Space, SpaceKind, render_markdown};
use agora_core::moderation::{
    ActionEntry, Appeal, ContentRef, Decision, Flag, FlagReason, ModerationSettings,
    ModerationStore, ReviewFilter, ReviewItem, ReviewKind, ReviewStatus, Sanction, SanctionKind,
    SanctionRequest, ToxicityAction, TrustRow, level_name,
};

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::{ActionError, Viewer, viewer};
use crate::moderation::{DecisionInput, Scope, require_scope};
use crate::pages::account::redirect_with_flash;
use crate::shell::Shell;

fn flash_error(error: ActionError) -> Result<String, PageError> {
    match error {
        ActionError::Community(error) => Ok(error.to_string()),
        ActionError::Store(agora_core::StoreError::Conflict(message)) => Ok(message),
        other => Err(other.into()),
    }
}

/// One review item as the queue shows it.
pub struct ItemView {
    pub item: ReviewItem,
    pub title: String,
    pub excerpt: String,
    pub link: Option<String>,
    pub flags: Vec<Flag>,
    /// (decision, action, label) buttons.
    pub buttons: Vec<(&'static str, &'static str, &'static str)>,
}

fn buttons(kind: ReviewKind) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut buttons = match kind {
        ReviewKind::Flagged => vec![
            ("agree", "remove", "Agree: remove the post"),
            ("agree", "hide", "Agree: keep it hidden"),
            ("disagree", "", Decision::Disagree.meaning(kind)),
        ],
        _ => vec![
            ("agree", "", Decision::Agree.meaning(kind)),
            ("disagree", "", Decision::Disagree.meaning(kind)),
        ],
    };
    if !matches!(kind, ReviewKind::Appeal | ReviewKind::Member) {
        buttons.push(("ignore", "", "Ignore"));
    }
    buttons
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > 400 {
        format!("{}…", text.chars().take(400).collect::<String>())
    } else {
        text.to_owned()
    }
}

async fn item_view(
    state: &AppState,
    viewer: &Viewer,
    item: ReviewItem,
) -> Result<ItemView, PageError> {
    let ws = &viewer.workspace_slug;
    let (title, body, link) = match (item.kind, item.content) {
        (ReviewKind::Held, _) => (
            item.payload["title"]
                .as_str()
                .map_or_else(|| "A reply".to_owned(), |t| format!("New thread: {t}")),
            item.payload["body"].as_str().unwrap_or_default().to_owned(),
            item.payload["thread_id"]
                .as_i64()
                .map(|thread| format!("/w/{ws}/threads/{thread}")),
        ),
        (ReviewKind::JoinRequest, _) => (
            format!("{} asks to join", item.subject_name),
            String::new(),
            None,
        ),
        (ReviewKind::Member, _) => (
            format!("{} joined and waits for approval", item.subject_name),
            String::new(),
            None,
        ),
        (_, Some(content)) => match state.db.content_info(viewer.workspace_id, content).await? {
            Some(info) => {
                let anchor = match content {
                    ContentRef::Reply(id) => format!("#reply-{id}"),
                    ContentRef::Thread(_) => String::new(),
                };
                (
                    match content {
                        ContentRef::Thread(_) => format!("Thread: {}", info.title),
                        ContentRef::Reply(_) => format!("Reply in {}", info.title),
                    },
                    info.body,
                    Some(format!("/w/{ws}/threads/{}{anchor}", info.thread_id)),
                )
            }
            None => ("A post that no longer exists".into(), String::new(), None),
        },
        _ => (item.kind.label().to_owned(), String::new(), None),
    };
    let title = if item.kind == ReviewKind::Appeal {
        format!("{} appeals: {title}", item.subject_name)
    } else {
        title
    };
    let flags = if item.kind == ReviewKind::Flagged {
        state.db.flags_of_item(item.id).await?
    } else {
        Vec::new()
    };
    Ok(ItemView {
        buttons: buttons(item.kind),
        title,
        excerpt: excerpt(&body),
        link,
        flags,
        item,
    })
}

#[derive(Template)]
#[template(path = "moderation_queue.html")]
struct QueuePage {
    shell: Shell,
    ws: String,
    items: Vec<ItemView>,
    status: String,
    kind: String,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    sanction_kinds: Vec<SanctionKind>,
    viewer_member: i64,
    workspace_scope: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

pub async fn queue(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<QueueQuery>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let status = query.status.unwrap_or_else(|| "pending".into());
    let kind = query.kind.unwrap_or_default();
    let filter = ReviewFilter {
        status: ReviewStatus::parse(&status),
        kind: ReviewKind::parse(&kind),
        spaces: scope.spaces(),
        limit: 100,
    };
    let mut items = Vec::new();
    for item in state.db.review_items(viewer.workspace_id, &filter).await? {
        items.push(item_view(&state, &viewer, item).await?);
    }
    let shell = Shell::build(&state, &ctx, "Review queue").await;
    Ok(render(&QueuePage {
        shell,
        ws: viewer.workspace_slug.clone(),
        items,
        status,
        kind,
        statuses: vec![
            ("pending", "Waiting"),
            ("agreed", "Agreed"),
            ("disagreed", "Disagreed"),
            ("ignored", "Ignored"),
        ],
        kinds: vec![
            ("", "Everything"),
            ("flagged", "Flagged"),
            ("held", "Held posts"),
            ("join_request", "Join requests"),
            ("member", "New members"),
            ("appeal", "Appeals"),
        ],
        sanction_kinds: SanctionKind::ALL.to_vec(),
        viewer_member: viewer.member_id,
        workspace_scope: scope == Scope::Workspace,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ItemPath {
    pub workspace: String,
    pub item: i64,
}

pub async fn claim(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ItemPath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let back = format!("/w/{}/moderation#item-{}", viewer.workspace_slug, path.item);
    let message = match crate::moderation::claim(&state, &viewer, &scope, path.item).await {
        Ok(()) => "Claimed: others see you are on it.".to_owned(),
        Err(error) => flash_error(error)?,
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ItemPath>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    // Buttons send `agree-remove`, `agree-hide`, `disagree`, `ignore`.
    let (decision, action) = match form.decision.split_once('-') {
        Some((decision, action)) => (decision.to_owned(), action.to_owned()),
        None => (form.decision.clone(), form.action.clone()),
    };
    let input = DecisionInput {
        decision,
        action: Some(action).filter(|action| !action.is_empty()),
        reason: form.reason,
    };
    let back = format!("/w/{}/moderation", viewer.workspace_slug);
    let message = match crate::moderation::decide(&state, &viewer, &scope, path.item, &input).await
    {
        Ok(item) => format!("Done: {}.", item.action.unwrap_or_else(|| "decided".into())),
        Err(error) => flash_error(error)?,
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub workspace: String,
    pub member: i64,
}

#[derive(Debug, Default, Deserialize)]
pub struct SanctionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    space_id: String,
    #[serde(default)]
    content_kind: String,
    #[serde(default)]
    content_id: String,
}

impl SanctionForm {
    pub fn request(&self) -> Result<SanctionRequest, (&'static str, String)> {
        let number =
            |field: &'static str, raw: &str| -> Result<Option<i64>, (&'static str, String)> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Ok(None);
                }
                raw.parse()
                    .map(Some)
                    .map_err(|_| (field, format!("`{raw}` is not a whole number")))
            };
        let content = match number("content_id", &self.content_id)? {
            Some(id) => ContentRef::from_parts(self.content_kind.trim(), id),
            None => None,
        };
        Ok(SanctionRequest {
            kind: self.kind.clone(),
            reason: self.reason.clone(),
            rule: self.rule.clone(),
            hours: number("hours", &self.hours)?,
            space_id: number("space_id", &self.space_id)?,
            content,
        })
    }
}

pub async fn sanction(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<SanctionForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let back = format!("/w/{}/moderation", viewer.workspace_slug);
    let message = match form.request() {
        Err((_, message)) => message,
        Ok(request) => {
            match crate::moderation::sanction(&state, &viewer, &scope, path.member, &request).await
            {
                Ok(sanction) => {
                    format!("{}: recorded in the moderation log.", sanction.kind.label())
                }
                Err(error) => flash_error(error)?,
            }
        }
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

/// A log entry with the names the viewer may see.
pub struct LogRow {
    pub entry: ActionEntry,
    pub moderator: String,
    pub subject: String,
}

fn log_rows(entries: Vec<ActionEntry>, names: bool) -> Vec<LogRow> {
    entries
        .into_iter()
        .map(|entry| LogRow {
            moderator: match (&entry.moderator_name, names) {
                (_, false) => "A moderator".into(),
                (Some(name), true) => name.clone(),
                (None, true) => "Auto-moderation".into(),
            },
            subject: match (&entry.subject_name, names) {
                (_, false) => "a member".into(),
                (Some(name), true) => name.clone(),
                (None, true) => String::new(),
            },
            entry,
        })
        .map(|mut row| {
            if row.entry.moderator_id.is_none() {
                row.moderator = "The community (flags)".into();
                if row.entry.action == "sanction_expired" {
                    row.moderator = "Agora".into();
                }
            }
            row
        })
        .collect()
}

#[derive(Template)]
#[template(path = "moderation_log.html")]
struct LogPage {
    shell: Shell,
    ws: String,
    heading: &'static str,
    intro: &'static str,
    rows: Vec<LogRow>,
    audit: bool,
}

pub async fn public_log(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    let entries = state
        .db
        .moderation_log(viewer.workspace_id, true, 200)
        .await?;
    let shell = Shell::build(&state, &ctx, "Moderation log").await;
    Ok(render(&LogPage {
        shell,
        ws: viewer.workspace_slug.clone(),
        heading: "Moderation log",
        intro: "Every action moderators take on posts and members, in the open.",
        rows: log_rows(entries, settings.log_shows_names),
        audit: false,
    }))
}

pub async fn audit_log(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let entries = state
        .db
        .moderation_log(viewer.workspace_id, false, 500)
        .await?;
    let shell = Shell::build(&state, &ctx, "Audit log").await;
    Ok(render(&LogPage {
        shell,
        ws: viewer.workspace_slug.clone(),
        heading: "Audit log",
        intro: "Every moderator action, public or not (claims, settings, rules), with names. Admins only.",
        rows: log_rows(entries, true),
        audit: true,
    }))
}

#[derive(Template)]
#[template(path = "moderation_mine.html")]
struct MinePage {
    shell: Shell,
    ws: String,
    notice: Option<String>,
    sanctions: Vec<Sanction>,
    actions: Vec<ActionEntry>,
    appeals: Vec<Appeal>,
    level: Option<u8>,
    errors: FieldErrors,
    draft_action: i64,
    draft_text: String,
}

impl MinePage {
    fn appealed(&self, action: &i64) -> Option<&Appeal> {
        self.appeals
            .iter()
            .find(|appeal| appeal.action_id == *action)
    }

    fn appealable(&self, entry: &ActionEntry) -> bool {
        crate::moderation::APPEALABLE.contains(&entry.action.as_str())
    }

    fn level_name(&self, level: &u8) -> &'static str {
        level_name(*level)
    }
}

async fn mine_page(
    state: &AppState,
    ctx: &Ctx,
    errors: FieldErrors,
    draft: (i64, String),
) -> PageResult {
    let viewer = viewer(state, ctx).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let level = if viewer.is_staff {
        None
    } else {
        Some(state.db.trust_of(viewer.member_id).await?.level)
    };
    let page = MinePage {
        notice: crate::moderation::notice(state, &viewer, None).await?,
        sanctions: state.db.sanctions_of(viewer.member_id).await?,
        actions: state.db.actions_about(viewer.member_id).await?,
        appeals: state.db.appeals_of(viewer.member_id).await?,
        level,
        errors,
        draft_action: draft.0,
        draft_text: draft.1,
        ws: viewer.workspace_slug.clone(),
        shell: Shell::build(state, ctx, "Your standing").await,
    };
    Ok(render_with_status(status, &page))
}

pub async fn mine(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    mine_page(&state, &ctx, FieldErrors::default(), (0, String::new())).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    action_id: String,
    #[serde(default)]
    text: String,
}

pub async fn file_appeal(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<AppealForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let action: i64 = form.action_id.trim().parse().unwrap_or(0);
    match crate::moderation::appeal(&state, &viewer, action, &form.text).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/moderation/mine", viewer.workspace_slug),
            "Appeal sent: a moderator other than the one who acted will decide.",
        )),
        Err(ActionError::Community(error)) => {
            let mut errors = FieldErrors::default();
            errors.add(error.field().unwrap_or("_"), error.to_string());
            mine_page(&state, &ctx, errors, (action, form.text)).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct WarningPath {
    pub workspace: String,
    pub sanction: i64,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<WarningPath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    state
        .db
        .acknowledge_warning(viewer.member_id, path.sanction, state.clock.now())
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/moderation/mine", viewer.workspace_slug),
        "Thanks: the warning stays in your record.",
    ))
}

#[derive(Template)]
#[template(path = "conduct.html")]
struct ConductPage {
    shell: Shell,
    ws: String,
    conduct_html: String,
    version: i64,
    accepted: i64,
}

pub async fn conduct(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    let shell = Shell::build(&state, &ctx, "Code of conduct").await;
    Ok(render(&ConductPage {
        shell,
        ws: viewer.workspace_slug.clone(),
        conduct_html: render_markdown(&settings.conduct),
        version: settings.conduct_version,
        accepted: state.db.accepted_conduct(viewer.member_id).await?,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    version: String,
}

pub async fn accept_conduct(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<AcceptForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let settings = state.db.moderation_settings(viewer.workspace_id).await?;
    // The version read is the one accepted: a newer one must be read first.
    let version: i64 = form.version.trim().parse().unwrap_or(0);
    let message = if version == settings.conduct_version && version > 0 {
        state
            .db
            .accept_conduct(viewer.member_id, version, state.clock.now())
            .await?;
        "Thank you: you accepted the code of conduct."
    } else {
        "The code of conduct changed while you read it: read the new version and accept again."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/conduct", viewer.workspace_slug),
        message,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    content_kind: String,
    #[serde(default)]
    content_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

pub async fn flag(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<FlagForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let content = form
        .content_id
        .trim()
        .parse()
        .ok()
        .and_then(|id| ContentRef::from_parts(form.content_kind.trim(), id))
        .ok_or_else(|| PageError::not_found("no such post"))?;
    let info = state
        .db
        .content_info(viewer.workspace_id, content)
        .await?
        .ok_or_else(|| PageError::not_found("no such post"))?;
    let anchor = match content {
        ContentRef::Reply(id) => format!("#reply-{id}"),
        ContentRef::Thread(_) => String::new(),
    };
    let back = format!(
        "/w/{}/threads/{}{anchor}",
        viewer.workspace_slug, info.thread_id
    );
    let message =
        match crate::moderation::flag(&state, &viewer, content, &form.reason, &form.note).await {
            Ok(outcome) if outcome.hidden => {
                "Thanks for flagging: the post is hidden until a moderator reviews it.".to_owned()
            }
            Ok(_) => "Thanks for flagging: moderators will review the post.".to_owned(),
            Err(error) => flash_error(error)?,
        };
    Ok(redirect_with_flash(&state, &back, &message))
}

// ------------------------------------------------------------------ settings

#[derive(Template)]
#[template(path = "moderation_settings.html")]
struct SettingsPage {
    shell: Shell,
    ws: String,
    settings: ModerationSettings,
    rules: Vec<Rule>,
    groups: Vec<Space>,
    trust: Vec<TrustRow>,
    errors: FieldErrors,
    draft: RuleForm,
    toxicity_actions: Vec<ToxicityAction>,
}

impl SettingsPage {
    fn group_name(&self, space: &Option<i64>) -> String {
        match space {
            None => "Everywhere".into(),
            Some(id) => self
                .groups
                .iter()
                .find(|group| group.id == *id)
                .map_or_else(|| "A removed group".into(), |group| group.name.clone()),
        }
    }

    fn level_name(&self, level: &u8) -> &'static str {
        level_name(*level)
    }
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    errors: FieldErrors,
    draft: RuleForm,
) -> PageResult {
    let viewer = viewer(state, ctx).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingsPage {
        settings: state.db.moderation_settings(viewer.workspace_id).await?,
        rules: state.db.automod_rules(viewer.workspace_id).await?,
        groups: state
            .db
            .list_spaces(viewer.workspace_id, Some(SpaceKind::Group))
            .await?,
        trust: state.db.trust_rows(viewer.workspace_id).await?,
        errors,
        draft,
        toxicity_actions: vec![
            ToxicityAction::Hold,
            ToxicityAction::Alert,
            ToxicityAction::Off,
        ],
        ws: viewer.workspace_slug.clone(),
        shell: Shell::build(state, ctx, "Rules and moderation").await,
    };
    Ok(render_with_status(status, &page))
}

pub async fn settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    settings_page(&state, &ctx, FieldErrors::default(), RuleForm::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    hide_threshold: String,
    #[serde(default)]
    log_shows_names: Option<String>,
    #[serde(default)]
    toxicity_action: String,
    #[serde(default)]
    new_member_links: String,
    #[serde(default)]
    approve_new_members: Option<String>,
}

pub async fn save_settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let mut settings = state.db.moderation_settings(viewer.workspace_id).await?;
    let mut errors = FieldErrors::default();
    match form.hide_threshold.trim().parse::<i64>() {
        Ok(value) if (1..=100).contains(&value) => settings.hide_threshold = value,
        _ => errors.add("hide_threshold", "a whole number from 1 to 100"),
    }
    match form.new_member_links.trim().parse::<i64>() {
        Ok(value) if (0..=50).contains(&value) => settings.new_member_links = value,
        _ => errors.add("new_member_links", "a whole number from 0 to 50"),
    }
    match ToxicityAction::parse(form.toxicity_action.trim()) {
        Some(action) => settings.toxicity_action = action,
        None => errors.add("toxicity_action", "choose hold, alert or off"),
    }
    settings.log_shows_names = form.log_shows_names.is_some();
    settings.approve_new_members = form.approve_new_members.is_some();
    if !errors.is_empty() {
        return settings_page(&state, &ctx, errors, RuleForm::default()).await;
    }
    state
        .db
        .save_moderation_settings(viewer.workspace_id, &settings)
        .await?;
    audit(
        &state,
        &viewer,
        "settings_changed",
        "moderation settings saved",
    )
    .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/moderation/settings", viewer.workspace_slug),
        "Moderation settings saved.",
    ))
}

async fn audit(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    reason: &str,
) -> Result<(), agora_core::StoreError> {
    state
        .db
        .log_action(&agora_core::moderation::NewAction {
            workspace_id: viewer.workspace_id,
            space_id: None,
            moderator_id: Some(viewer.member_id),
            action: action.into(),
            subject_id: None,
            content: None,
            reason: reason.into(),
            public: false,
            sanction_id: None,
            review_item_id: None,
            created_at: state.clock.now(),
        })
        .await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub struct ConductForm {
    #[serde(default)]
    conduct: String,
}

pub async fn save_conduct(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ConductForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    if form.conduct.chars().count() > 20_000 {
        let mut errors = FieldErrors::default();
        errors.add("conduct", "a code of conduct is at most 20,000 characters");
        return settings_page(&state, &ctx, errors, RuleForm::default()).await;
    }
    let version = state
        .db
        .set_conduct(viewer.workspace_id, form.conduct.trim())
        .await?;
    audit(
        &state,
        &viewer,
        "conduct_changed",
        &format!("version {version}"),
    )
    .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/moderation/settings", viewer.workspace_slug),
        &format!(
            "Code of conduct version {version} published: members accept it before they post again."
        ),
    ))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    pub matcher: String,
    #[serde(default)]
    pub pattern: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub space_id: String,
}

/// Checks a rule as typed and saves it; a refused rule names its field.
pub async fn create_rule(
    state: &AppState,
    viewer: &Viewer,
    form: &RuleForm,
) -> Result<Rule, (&'static str, String)> {
    let matcher = Matcher::parse(form.matcher.trim())
        .ok_or(("matcher", "choose words or regex".to_owned()))?;
    let action = RuleAction::parse(form.action.trim())
        .ok_or(("action", "choose block, hold or alert".to_owned()))?;
    automod::check_rule(matcher, &form.pattern, &form.note)
        .map_err(|error| (error.field, error.message))?;
    let space_id = match form.space_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| ("space_id", "choose a group".to_owned()))?,
        ),
    };
    if let Some(space) = space_id {
        state
            .db
            .space_by_id(viewer.workspace_id, space)
            .await
            .map_err(|_| ("space_id", "choose a group".to_owned()))?
            .filter(|space| space.kind == SpaceKind::Group)
            .ok_or(("space_id", "choose a group".to_owned()))?;
    }
    let rule = state
        .db
        .create_automod_rule(&NewRule {
            workspace_id: viewer.workspace_id,
            space_id,
            matcher,
            pattern: form.pattern.trim().to_owned(),
            action,
            note: form.note.trim().to_owned(),
            created_by: viewer.member_id,
            created_at: state.clock.now(),
        })
        .await
        .map_err(|error| ("_", error.to_string()))?;
    let _ = audit(
        state,
        viewer,
        "rule_added",
        &format!(
            "{} {} rule: {}",
            rule.action.as_str(),
            rule.matcher.as_str(),
            rule.pattern
        ),
    )
    .await;
    Ok(rule)
}

pub async fn add_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<RuleForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    match create_rule(&state, &viewer, &form).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/moderation/settings#rules", viewer.workspace_slug),
            "Rule added: it applies to the next post.",
        )),
        Err((field, message)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            settings_page(&state, &ctx, errors, form).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RulePath {
    pub workspace: String,
    pub rule: i64,
}

pub async fn delete_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<RulePath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    if !state
        .db
        .delete_automod_rule(viewer.workspace_id, path.rule)
        .await?
    {
        return Err(PageError::not_found("no such rule"));
    }
    audit(
        &state,
        &viewer,
        "rule_removed",
        &format!("rule #{}", path.rule),
    )
    .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/moderation/settings#rules", viewer.workspace_slug),
        "Rule removed.",
    ))
}

pub async fn recompute_trust(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let changed =
        agora_jobs::moderation::recompute_trust(&state.db, viewer.workspace_id, state.clock.now())
            .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/moderation/settings#trust", viewer.workspace_slug),
        &format!("Trust levels recomputed: {changed} changed."),
    ))
}

/// The flag reasons, for the thread page's flag form.
pub fn flag_reasons() -> Vec<(&'static str, &'static str)> {
    FlagReason::ALL
        .iter()
        .map(|reason| (reason.as_str(), reason.label()))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct TrustForm {
    /// 0 to 4 (locked), or `auto` to let the daily run decide again.
    #[serde(default)]
    level: String,
}

/// Sets a member's trust level by hand (locked), or hands it back to the
/// daily computation; staff have no level.
pub async fn set_trust(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<TrustForm>,
) -> PageResult {
    use agora_core::members::MemberStore;
    let viewer = viewer(&state, &ctx).await?;
    let back = format!("/w/{}/moderation/settings#trust", viewer.workspace_slug);
    let Some(profile) = state.db.profile(viewer.workspace_id, path.member).await? else {
        return Err(PageError::not_found("no such member"));
    };
    if state.db.member_is_staff(path.member).await? {
        return Ok(redirect_with_flash(
            &state,
            &back,
            "Staff are outside trust levels.",
        ));
    }
    let now = state.clock.now();
    let current = state.db.trust_of(path.member).await?;
    let (state_to, words) = match form.level.trim() {
        "auto" => (
            agora_core::moderation::TrustState {
                locked: false,
                ..current
            },
            "computed daily again".to_owned(),
        ),
        raw => match raw.parse::<u8>() {
            Ok(level) if level <= 4 => (
                agora_core::moderation::TrustState {
                    level,
                    locked: true,
                    below_since: None,
                },
                format!("set to {level} ({})", level_name(level)),
            ),
            _ => {
                return Ok(redirect_with_flash(
                    &state,
                    &back,
                    "Choose a level from 0 to 4, or automatic.",
                ));
            }
        },
    };
    let inputs = state
        .db
        .trust_rows(viewer.workspace_id)
        .await?
        .into_iter()
        .find(|row| row.member_id == path.member)
        .map(|row| row.inputs)
        .unwrap_or_default();
    state
        .db
        .save_trust(path.member, &state_to, &inputs, now)
        .await?;
    audit(
        &state,
        &viewer,
        "trust_set",
        &format!("{}: {words}", profile.name),
    )
    .await?;
    Ok(redirect_with_flash(
        &state,
        &back,
        &format!("{}'s trust level: {words}.", profile.name),
    ))
}
