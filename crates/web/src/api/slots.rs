//! The queue API: a channel's slots and pause, "Add to queue" for a post,
//! and a channel's best times to post.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Serialize;

use agora_core::best_time::{Grid, Source};
use agora_core::posts::PostStore;
use agora_core::slots::SlotStore;

use super::publishing::PostBody;
use super::{ApiResult, IdPath};
use crate::AppState;
use crate::auth::Ctx;
use crate::problem::{ApiJson, Problem};
use crate::slots::QueueBody;

pub async fn queue_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<QueueBody>> {
    let (workspace, _) = ctx.workspace()?;
    let channel = crate::slots::channel(&state, workspace.id, path.id).await?;
    Ok(Json(state.db.queue(channel.id).await?.into()))
}

pub async fn queue_replace(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<QueueBody>,
) -> ApiResult<Json<QueueBody>> {
    let (workspace, _) = ctx.workspace()?;
    let channel = crate::slots::channel(&state, workspace.id, path.id).await?;
    Ok(Json(
        crate::slots::save_queue(&state, &channel, &body)
            .await?
            .into(),
    ))
}

/// "Add to queue": answers the post with its new `scheduled_at`.
pub async fn post_queue(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<PostBody>> {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    crate::slots::queue_post(&state, viewer.workspace_id, viewer.member_id, path.id).await?;
    let post = state
        .db
        .post(viewer.workspace_id, path.id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let attempts = state.db.attempts(path.id).await?;
    Ok(Json(PostBody { post, attempts }))
}

/// A channel's best times, as the API answers them.
#[derive(Debug, Serialize)]
pub struct BestTimesBody {
    pub source: Source,
    pub n_posts: usize,
    pub description: String,
    /// Monday first, 24 hours each, on the channel's wall clock.
    pub grid: Grid,
    pub timezone: String,
    /// The next three best free times, RFC 3339.
    pub next: Vec<String>,
}

pub async fn best_times_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<BestTimesBody>> {
    let (workspace, _) = ctx.workspace()?;
    let channel = crate::slots::channel(&state, workspace.id, path.id).await?;
    let best = crate::slots::best_times(&state, workspace.id, &channel).await?;
    Ok(Json(BestTimesBody {
        source: best.source,
        n_posts: best.n_posts,
        description: best.description,
        grid: best.grid,
        timezone: channel.timezone,
        next: best.next.into_iter().map(|at| at.rfc3339()).collect(),
    }))
}
