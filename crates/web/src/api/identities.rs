//! The identities API: merge suggestions with their reasons, merging and
//! unmerging members, and adding an identity on a network.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::identities::{IdentityStore, MergeSuggestion};

use super::ApiResult;
use crate::AppState;
use crate::auth::Ctx;
use crate::community::viewer;
use crate::problem::{ApiJson, Problem};

#[derive(Debug, Deserialize)]
pub struct IdPath {
    pub workspace: String,
    pub id: i64,
}

pub async fn suggestions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<MergeSuggestion>>> {
    let viewer = viewer(&state, &ctx).await?;
    Ok(Json(
        crate::pages::member::suggestions(&state, viewer.workspace_id).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    pub kept_id: i64,
    pub merged_id: i64,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct MergeCreated {
    pub id: i64,
}

pub async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    match state
        .db
        .merge_members(
            viewer.workspace_id,
            body.kept_id,
            body.merged_id,
            body.reason.trim(),
            viewer.member_id,
            state.clock.now(),
        )
        .await
    {
        Ok(id) => Ok((StatusCode::CREATED, Json(MergeCreated { id })).into_response()),
        Err(agora_core::StoreError::Conflict(message)) => {
            Err(Problem::invalid(message.clone()).field("merged_id", message))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn unmerge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    if state
        .db
        .unmerge(viewer.workspace_id, path.id, state.clock.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("no such merge in force"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    /// email, bluesky, mastodon, matrix or other.
    pub network: String,
    pub value: String,
}

pub async fn add_identity(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<IdentityBody>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    match crate::pages::member::add_identity_to(
        &state,
        viewer.workspace_id,
        path.id,
        &body.network,
        &body.value,
    )
    .await
    {
        Ok(Ok(())) => Ok(StatusCode::CREATED),
        Ok(Err((field, message))) => Err(Problem::invalid(message.clone()).field(field, message)),
        Err(error) => Err(Problem::not_found(error.message)),
    }
}
