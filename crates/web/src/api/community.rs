//! The community API: groups, joining, threads, replies, reactions, accepted
//! answers and search, with the same privacy rules as the pages.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::accounts::Slug;
use agora_core::community::{
    CommunityStore, GroupMembership, NewSpace, SearchHit, SearchQuery, Space, SpaceKind,
    ThreadSummary, ThreadView, Visibility, can_read,
};

use super::ApiResult;
use crate::AppState;
use crate::auth::Ctx;
use crate::community::Posted;
use crate::community::{ThreadDraft, readable_group_ids, viewer, visible_group, visible_groups};
use crate::problem::{ApiJson, ApiQuery, Problem};

#[derive(Debug, Serialize)]
pub struct GroupBody {
    #[serde(flatten)]
    pub space: Space,
    /// The caller's membership, if any.
    pub membership: Option<GroupMembership>,
}

pub async fn groups_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<GroupBody>>> {
    let viewer = viewer(&state, &ctx).await?;
    let groups = visible_groups(&state, &viewer).await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|(space, membership)| GroupBody { space, membership })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroupBody {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `public` (default), `private` or `invite_only`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub rules: String,
}

pub async fn groups_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<NewGroupBody>,
) -> ApiResult<Response> {
    let (workspace, _) = ctx.workspace()?;
    let mut problem = Problem::invalid("the group is not valid");
    let slug = Slug::parse(&body.slug)
        .map_err(|error| problem = problem.clone().field("slug", error.to_string()))
        .ok();
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        problem = problem.field("name", "use 1 to 80 characters");
    }
    let visibility = Visibility::parse(body.visibility.as_deref().unwrap_or("public"));
    if visibility.is_none() {
        problem = problem.field("visibility", "use public, private or invite_only");
    }
    let (Some(slug), Some(visibility), true) = (slug, visibility, problem.errors.is_empty()) else {
        return Err(problem);
    };
    let space = state
        .db
        .create_space(&NewSpace {
            workspace_id: workspace.id,
            kind: SpaceKind::Group,
            slug: slug.as_str().to_owned(),
            name: name.to_owned(),
            description: body.description,
            network: "native".into(),
            visibility,
            rules: body.rules,
            created_at: state.clock.now(),
        })
        .await
        .map_err(|error| match error {
            agora_core::StoreError::Conflict(_) => {
                Problem::invalid("the slug is taken").field("slug", "another space uses this slug")
            }
            other => other.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(GroupBody {
            space,
            membership: None,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct GroupIdPath {
    pub workspace: String,
    pub id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    pub accept_rules: bool,
}

pub async fn group_join(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupIdPath>,
    ApiJson(body): ApiJson<JoinBody>,
) -> ApiResult<Json<GroupMembership>> {
    let viewer = viewer(&state, &ctx).await?;
    let space = state.db.space_by_id(viewer.workspace_id, path.id).await?;
    let (space, _) = visible_group(&state, &viewer, space).await?;
    Ok(Json(
        crate::community::join(&state, &viewer, &space, body.accept_rules).await?,
    ))
}

pub async fn group_threads(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupIdPath>,
) -> ApiResult<Json<Vec<ThreadSummary>>> {
    let viewer = viewer(&state, &ctx).await?;
    let space = state.db.space_by_id(viewer.workspace_id, path.id).await?;
    let (space, membership) = visible_group(&state, &viewer, space).await?;
    if !can_read(&space, membership.as_ref(), viewer.is_staff) {
        return Err(Problem::forbidden("join the group to read its threads"));
    }
    Ok(Json(state.db.list_threads(space.id, 200).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewThreadBody {
    pub title: String,
    pub body: String,
    /// `discussion` (default) or `question`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Up to 5 tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

pub async fn group_thread_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupIdPath>,
    ApiJson(body): ApiJson<NewThreadBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    let space = state.db.space_by_id(viewer.workspace_id, path.id).await?;
    let (space, _) = visible_group(&state, &viewer, space).await?;
    let draft = ThreadDraft {
        title: body.title,
        body: body.body,
        kind: body.kind.unwrap_or_else(|| "discussion".into()),
        tags: body.tags.join(","),
    };
    match crate::community::post_thread(&state, &viewer, &space, &draft).await? {
        Posted::Published(thread) => {
            let view = state.db.thread(viewer.workspace_id, thread).await?;
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        Posted::Held(item) => Ok(held(item)),
    }
}

#[derive(Debug, Deserialize)]
pub struct IdPath {
    pub workspace: String,
    pub id: i64,
}

pub async fn thread_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<ThreadView>> {
    let viewer = viewer(&state, &ctx).await?;
    let (_, view) = crate::community::readable_thread(&state, &viewer, path.id).await?;
    // Threads read count towards trust levels.
    agora_core::moderation::ModerationStore::record_thread_read(
        &state.db,
        viewer.member_id,
        view.id,
        state.clock.now(),
    )
    .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReplyBody {
    pub body: String,
    #[serde(default)]
    pub quote_reply_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Created {
    pub id: i64,
}

pub async fn thread_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<NewReplyBody>,
) -> ApiResult<Response> {
    let viewer = viewer(&state, &ctx).await?;
    match crate::community::post_reply(&state, &viewer, path.id, &body.body, body.quote_reply_id)
        .await?
    {
        Posted::Published(id) => Ok((StatusCode::CREATED, Json(Created { id })).into_response()),
        Posted::Held(item) => Ok(held(item)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionBody {
    pub emoji: String,
}

#[derive(Debug, Serialize)]
pub struct ReactionCounts {
    pub reactions: Vec<(String, i64)>,
}

pub async fn reply_react(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<ReactionBody>,
) -> ApiResult<Json<ReactionCounts>> {
    let viewer = viewer(&state, &ctx).await?;
    let (_, reactions) = crate::community::react(&state, &viewer, path.id, &body.emoji).await?;
    Ok(Json(ReactionCounts { reactions }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    pub reply_id: i64,
}

pub async fn thread_accept(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<AcceptBody>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    crate::community::accept(&state, &viewer, path.id, body.reply_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    /// A group id to search in.
    pub group: Option<i64>,
    /// `true` or `false` to filter solved questions.
    pub solved: Option<bool>,
    pub tag: Option<String>,
    /// An author's handle.
    pub author: Option<String>,
    /// `YYYY-MM-DD`, threads started on or after.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, threads started on or before.
    pub to: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let viewer = viewer(&state, &ctx).await?;
    let mut query = SearchQuery::parse(params.q.as_deref().unwrap_or_default())
        .map_err(|error| Problem::invalid(error.to_string()).field("q", error.to_string()))?;
    query.space_id = params.group;
    query.solved = params.solved;
    let filters = crate::community::SearchFilters {
        tag: params.tag,
        author: params.author,
        from: params.from,
        to: params.to,
    };
    crate::community::apply_filters(&state, &viewer, &mut query, &filters).await?;
    let readable = readable_group_ids(&state, &viewer).await?;
    Ok(Json(
        state
            .db
            .search(viewer.workspace_id, &query, &readable)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    pub body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadEditBody {
    pub title: String,
    pub body: String,
}

pub async fn thread_edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<ThreadEditBody>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    crate::community::edit_thread(&state, &viewer, path.id, &body.title, &body.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn thread_react(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<ReactionBody>,
) -> ApiResult<Json<ReactionCounts>> {
    let viewer = viewer(&state, &ctx).await?;
    let reactions =
        crate::community::react_to_thread(&state, &viewer, path.id, &body.emoji).await?;
    Ok(Json(ReactionCounts { reactions }))
}

pub async fn reply_edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
    ApiJson(body): ApiJson<EditBody>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    crate::community::edit_reply(&state, &viewer, path.id, &body.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn reply_delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<StatusCode> {
    let viewer = viewer(&state, &ctx).await?;
    let (_, role) = ctx.workspace()?;
    crate::community::delete_reply(
        &state,
        &viewer,
        agora_core::accounts::Access::Moderation.allows(role),
        path.id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A post auto-moderation held: 202 Accepted, with the review item.
#[derive(Debug, Serialize)]
pub struct Held {
    pub held: bool,
    pub review_item_id: i64,
    pub message: &'static str,
}

fn held(item: i64) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(Held {
            held: true,
            review_item_id: item,
            message: crate::community::HELD_MESSAGE,
        }),
    )
        .into_response()
}
