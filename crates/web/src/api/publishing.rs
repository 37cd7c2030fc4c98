//! The publishing API: channels, posts with a variant per channel, a post's
//! status per channel with every attempt, retries and unconfirmed posts.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::Timestamp;
use agora_core::posts::{Attempt, Channel, Post, PostStore};

use super::{ApiResult, IdPath};
use crate::AppState;
use crate::auth::Ctx;
use crate::problem::{ApiJson, Problem};
use crate::publishing::{ChannelDraft, VariantDraft};

pub async fn channels_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<Channel>>> {
    let (workspace, _) = ctx.workspace()?;
    Ok(Json(state.db.channels(workspace.id).await?))
}

#[derive(Debug, Serialize)]
pub struct CreatedChannel {
    #[serde(flatten)]
    pub channel: Channel,
    /// A webhook's signing secret: shown this once, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

pub async fn channels_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<ChannelDraft>,
) -> ApiResult<Response> {
    let (workspace, _) = ctx.workspace()?;
    let (channel, webhook_secret) =
        crate::publishing::connect_channel(&state, workspace.id, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedChannel {
            channel,
            webhook_secret,
        }),
    )
        .into_response())
}

pub async fn channel_reconnect(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<ChannelDraft>,
) -> ApiResult<Json<Channel>> {
    let (workspace, _) = ctx.workspace()?;
    let channel = state
        .db
        .channel(workspace.id, path.id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such channel"))?;
    crate::publishing::reconnect_channel(&state, &channel, &body).await?;
    Ok(Json(
        state
            .db
            .channel(workspace.id, path.id)
            .await?
            .ok_or_else(|| Problem::not_found("there is no such channel"))?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPostBody {
    pub variants: Vec<VariantDraft>,
    /// RFC 3339 with an offset; absent to publish now.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// Save without scheduling.
    #[serde(default)]
    pub draft: bool,
    /// The campaign the post belongs to; its UTM parameters tag the links.
    #[serde(default)]
    pub campaign_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct PostBody {
    #[serde(flatten)]
    pub post: Post,
    pub attempts: Vec<Attempt>,
}

async fn post_body(state: &AppState, workspace: i64, id: i64) -> ApiResult<PostBody> {
    let post = state
        .db
        .post(workspace, id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let attempts = state.db.attempts(id).await?;
    Ok(PostBody { post, attempts })
}

pub async fn posts_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<NewPostBody>,
) -> ApiResult<Response> {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let scheduled_at = match body.scheduled_at.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            chrono::DateTime::parse_from_rfc3339(raw)
                .map(|at| Timestamp::from(at.to_utc()))
                .map_err(|_| {
                    Problem::invalid("the post is not valid").field(
                        "scheduled_at",
                        format!(
                            "{raw:?} is not an RFC 3339 time such as 2026-03-29T09:00:00+02:00"
                        ),
                    )
                })?,
        ),
    };
    let id = crate::desk::create_post(
        &state,
        &viewer,
        &body.variants,
        scheduled_at,
        body.draft,
        body.campaign_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(post_body(&state, viewer.workspace_id, id).await?),
    )
        .into_response())
}

pub async fn post_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<PostBody>> {
    let (workspace, _) = ctx.workspace()?;
    Ok(Json(post_body(&state, workspace.id, path.id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    /// One channel of the post (its target id); all that need it when absent.
    #[serde(default)]
    pub target_id: Option<i64>,
}

pub async fn post_retry(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    body: axum::body::Bytes,
) -> ApiResult<Json<PostBody>> {
    let (workspace, _) = ctx.workspace()?;
    // The body is optional: empty retries every failed or unconfirmed channel.
    let only = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<TargetBody>(&body)
            .map_err(|error| {
                Problem::invalid("the body is not valid").field("target_id", error.to_string())
            })?
            .target_id
    };
    crate::publishing::retry_post(&state, workspace.id, path.id, only).await?;
    Ok(Json(post_body(&state, workspace.id, path.id).await?))
}

pub async fn post_mark_published(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<TargetBody>,
) -> ApiResult<Json<PostBody>> {
    let (workspace, _) = ctx.workspace()?;
    let target = body.target_id.ok_or_else(|| {
        Problem::invalid("say which channel")
            .field("target_id", "give the target id of the unconfirmed channel")
    })?;
    crate::publishing::mark_published(&state, workspace.id, path.id, target).await?;
    Ok(Json(post_body(&state, workspace.id, path.id).await?))
}

/// A post with its history, as the review routes answer.
#[derive(Debug, Serialize)]
pub struct ReviewedPost {
    #[serde(flatten)]
    pub post: Post,
    pub history: Vec<agora_core::desk::HistoryEntry>,
}

async fn reviewed(state: &AppState, workspace: i64, id: i64) -> ApiResult<Json<ReviewedPost>> {
    use agora_core::desk::DeskStore;
    let post = state
        .db
        .post(workspace, id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    Ok(Json(ReviewedPost {
        post,
        history: state.db.history(id).await?,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// RFC 3339; the post's own time when absent.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    #[serde(default)]
    pub comment: String,
}

fn optional_body(body: &[u8]) -> Result<ReviewBody, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ReviewBody::default());
    }
    serde_json::from_slice(body)
        .map_err(|error| Problem::invalid("the body is not valid").detail(error.to_string()))
}

pub async fn post_review(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReviewedPost>> {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let body = optional_body(&body)?;
    let at = match body.scheduled_at.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(
            chrono::DateTime::parse_from_rfc3339(raw)
                .map(|at| Timestamp::from(at.to_utc()))
                .map_err(|_| {
                    Problem::invalid("the time is not valid").field(
                        "scheduled_at",
                        "use an RFC 3339 time such as 2026-03-29T09:00:00+02:00",
                    )
                })?,
        ),
    };
    crate::desk::request_review(&state, &viewer, path.id, at).await?;
    reviewed(&state, viewer.workspace_id, path.id).await
}

pub async fn post_approve(
    state: State<AppState>,
    ctx: Extension<Arc<Ctx>>,
    path: Path<IdPath>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReviewedPost>> {
    decide(state, ctx, path, body, true).await
}

pub async fn post_reject(
    state: State<AppState>,
    ctx: Extension<Arc<Ctx>>,
    path: Path<IdPath>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ReviewedPost>> {
    decide(state, ctx, path, body, false).await
}

async fn decide(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    body: axum::body::Bytes,
    approve: bool,
) -> ApiResult<Json<ReviewedPost>> {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let body = optional_body(&body)?;
    crate::desk::decide(&state, &viewer, path.id, approve, &body.comment).await?;
    reviewed(&state, viewer.workspace_id, path.id).await
}

pub async fn campaigns_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<agora_core::desk::Campaign>>> {
    use agora_core::desk::DeskStore;
    let (workspace, _) = ctx.workspace()?;
    Ok(Json(state.db.campaigns(workspace.id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignBody {
    pub name: String,
    #[serde(default)]
    pub goal: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub color: String,
    #[serde(default)]
    pub utm_source: String,
    #[serde(default)]
    pub utm_medium: String,
    #[serde(default)]
    pub utm_campaign: String,
}

pub async fn campaigns_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<NewCampaignBody>,
) -> ApiResult<Response> {
    let (workspace, _) = ctx.workspace()?;
    let id = crate::desk::create_campaign(&state, workspace.id, &body).await?;
    use agora_core::desk::DeskStore;
    let campaign = state
        .db
        .campaign(workspace.id, id)
        .await?
        .ok_or_else(|| Problem::not_found("the campaign was removed"))?;
    Ok((StatusCode::CREATED, Json(campaign)).into_response())
}
