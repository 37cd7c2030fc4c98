//! The moderation API: flags, the review queue and its decisions,
//! auto-moderation rules, sanctions, the public moderation log, appeals and
//! the audit log, with the same checks as the pages.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::automod::Rule;
use agora_core::moderation::{
    ActionEntry, ContentRef, Flag, ModerationStore, ReviewFilter, ReviewItem, ReviewKind,
    ReviewStatus, SanctionRequest,
};

use super::ApiResult;
use crate::AppState;
use crate::auth::Ctx;
use crate::community::viewer;
use crate::moderation::{DecisionInput, FlagOutcome, require_scope};
use crate::pages::moderation::RuleForm;
use crate::problem::{ApiJson, ApiQuery, Problem};

#[derive(Debug, Deserialize)]
pub struct IdPath {
    pub workspace: String,
    pub id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// `thread` (its opening post) or `reply`.
    pub content_type: String,
    pub content_id: i64,
    /// spam, harassment, off_topic or other (with a note).
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

pub async fn flag(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<FlagBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let content = ContentRef::from_parts(&body.content_type, body.content_id).ok_or_else(|| {
        Problem::invalid("content_type is `thread` or `reply`")
            .field("content_type", "thread or reply")
    })?;
    let outcome: FlagOutcome =
        crate::moderation::flag(&state, &viewer, content, &body.reason, &body.note).await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

/// A review item with its flags.
#[derive(Debug, Serialize)]
pub struct QueueEntry {
    #[serde(flatten)]
    pub item: ReviewItem,
    pub flags: Vec<Flag>,
}

pub async fn queue(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Vec<QueueEntry>>> {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let status = match query.status.as_deref() {
        None | Some("") => Some(ReviewStatus::Pending),
        Some("all") => None,
        Some(raw) => Some(ReviewStatus::parse(raw).ok_or_else(|| {
            Problem::invalid("status is pending, agreed, disagreed, ignored or all")
                .field("status", "pending, agreed, disagreed, ignored or all")
        })?),
    };
    let kind = match query.kind.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(ReviewKind::parse(raw).ok_or_else(|| {
            Problem::invalid("kind is flagged, held, join_request, member or appeal")
                .field("kind", "flagged, held, join_request, member or appeal")
        })?),
    };
    let items = state
        .db
        .review_items(
            viewer.workspace_id,
            &ReviewFilter {
                status,
                kind,
                spaces: scope.spaces(),
                limit: 200,
            },
        )
        .await?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let flags = state.db.flags_of_item(item.id).await?;
        entries.push(QueueEntry { item, flags });
    }
    Ok(Json(entries))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// agree, disagree or ignore.
    pub decision: String,
    /// For agreeing with flags: `remove` (the default) or `hide`.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<ReviewItem>> {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let input = DecisionInput {
        decision: body.decision,
        action: body.action,
        reason: body.reason,
    };
    Ok(Json(
        crate::moderation::decide(&state, &viewer, &scope, path.id, &input).await?,
    ))
}

pub async fn claim(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    crate::moderation::claim(&state, &viewer, &scope, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rules(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<Rule>>> {
    let viewer = viewer(&state, &ctx).await?;
    Ok(Json(state.db.automod_rules(viewer.workspace_id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// `words` or `regex`.
    pub matcher: String,
    pub pattern: String,
    /// `block`, `hold` or `alert`.
    pub action: String,
    #[serde(default)]
    pub note: String,
    /// A group's rule; none for the whole workspace.
    #[serde(default)]
    pub space_id: Option<i64>,
}

pub async fn create_rule(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let form = RuleForm {
        matcher: body.matcher,
        pattern: body.pattern,
        action: body.action,
        note: body.note,
        space_id: body.space_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    match crate::pages::moderation::create_rule(&state, &viewer, &form).await {
        Ok(rule) => Ok((StatusCode::CREATED, Json(rule)).into_response()),
        Err((field, message)) => Err(Problem::invalid(message.clone()).field(field, message)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanctionBody {
    /// hide_content, remove_content, warn, mute, suspend or ban.
    pub kind: String,
    pub reason: String,
    #[serde(default)]
    pub rule: String,
    /// For mute and suspend: 1 to 8,760.
    #[serde(default)]
    pub hours: Option<i64>,
    /// For mute: the group.
    #[serde(default)]
    pub space_id: Option<i64>,
    /// For hide_content and remove_content: `thread` or `reply`, and its id.
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_id: Option<i64>,
}

pub async fn sanction(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<SanctionBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let scope = require_scope(&state, &viewer).await?;
    let content = match (body.content_type.as_deref(), body.content_id) {
        (Some(kind), Some(id)) => Some(ContentRef::from_parts(kind, id).ok_or_else(|| {
            Problem::invalid("content_type is `thread` or `reply`")
                .field("content_type", "thread or reply")
        })?),
        _ => None,
    };
    let request = SanctionRequest {
        kind: body.kind,
        reason: body.reason,
        rule: body.rule,
        hours: body.hours,
        space_id: body.space_id,
        content,
    };
    let sanction = crate::moderation::sanction(&state, &viewer, &scope, path.id, &request).await?;
    Ok((StatusCode::CREATED, Json(sanction)).into_response())
}

/// A public log entry; names only where the workspace shows them.
#[derive(Debug, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub action: String,
    pub label: String,
    pub moderator: Option<String>,
    pub member: Option<String>,
    pub member_id: Option<i64>,
    pub space: Option<String>,
    pub reason: String,
    pub created_at: String,
}

fn log_entry(entry: ActionEntry, names: bool) -> LogEntry {
    LogEntry {
        id: entry.id,
        label: entry.label().to_owned(),
        action: entry.action,
        moderator: entry.moderator_name.filter(|_| names),
        member: entry.subject_name.filter(|_| names),
        member_id: entry.subject_id.filter(|_| names),
        space: entry.space_name,
        reason: entry.reason,
        created_at: entry.created_at.rfc3339(),
    }
}

pub async fn log(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<LogEntry>>> {
    let viewer = viewer(&state, &ctx).await?;
    let names = state
        .db
        .moderation_settings(viewer.workspace_id)
        .await?
        .log_shows_names;
    Ok(Json(
        state
            .db
            .moderation_log(viewer.workspace_id, true, 500)
            .await?
            .into_iter()
            .map(|entry| log_entry(entry, names))
            .collect(),
    ))
}

pub async fn audit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<ActionEntry>>> {
    let viewer = viewer(&state, &ctx).await?;
    Ok(Json(
        state
            .db
            .moderation_log(viewer.workspace_id, false, 1_000)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealBody {
    /// The moderation log entry appealed (an action about the caller).
    pub action_id: i64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct AppealCreated {
    pub id: i64,
}

pub async fn appeal(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<AppealBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let id = crate::moderation::appeal(&state, &viewer, body.action_id, &body.text).await?;
    Ok((StatusCode::CREATED, Json(AppealCreated { id })).into_response())
}
