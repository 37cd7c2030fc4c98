//! The JSON API under `/api/v1`: bearer tokens, problem documents, cursor
//! pagination. Every operation is declared in the route table, which also
//! generates the OpenAPI document ([`openapi`]).

pub mod analytics;
pub mod calendar;
pub mod community;
pub mod events;
pub mod identities;
pub mod moderation;
pub mod openapi;
pub mod publishing;
pub mod slots;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, ApiToken, Email, Invitation, Role};
use agora_core::analytics::InteractionStore;
use agora_core::community::{CommunityStore, SpaceKind};
use agora_core::jobs::{JobState, JobStore, JobSummary};
use agora_core::members::{MemberStore, MemberSummary};
use agora_core::pagination::{Cursor, Page, page_size};
use agora_core::publishing::PublishingStore;

use crate::AppState;
use crate::auth::Ctx;
use crate::problem::{ApiJson, ApiQuery, Problem};

pub type ApiResult<T> = Result<T, Problem>;

#[derive(Debug, Serialize)]
pub struct MeWorkspace {
    pub slug: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub workspaces: Vec<MeWorkspace>,
}

pub async fn me(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Me>> {
    let account = ctx.account()?;
    let workspaces = state
        .db
        .memberships_of(account.id)
        .await?
        .into_iter()
        .map(|membership| MeWorkspace {
            slug: membership.workspace.slug,
            name: membership.workspace.name,
            role: membership.role,
        })
        .collect();
    Ok(Json(Me {
        id: account.id,
        email: account.email.clone(),
        name: account.name.clone(),
        workspaces,
    }))
}

pub async fn tokens_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(state.db.list_api_tokens(ctx.account()?.id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown this once.
    pub secret: String,
}

pub async fn tokens_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> ApiResult<Response> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(
            Problem::invalid("the token needs a name").field("name", "use 1 to 80 characters")
        );
    }
    let (token, secret) =
        crate::pages::account::create_token(&state, ctx.account()?.id, name).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })).into_response())
}

#[derive(Debug, Deserialize)]
pub struct IdPath {
    pub id: i64,
}

pub async fn tokens_revoke(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<StatusCode> {
    if state
        .db
        .revoke_api_token(ctx.account()?.id, path.id, state.clock.now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found("no active token with this id"))
    }
}

#[derive(Debug, Serialize)]
pub struct SpaceBody {
    pub id: i64,
    pub kind: SpaceKind,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub network: String,
}

pub async fn spaces(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<SpaceBody>>> {
    let (workspace, role) = ctx.workspace()?;
    // Members see the community side only: groups, not the brand's pages.
    let kind = if role.is_staff() {
        None
    } else {
        Some(SpaceKind::Group)
    };
    let spaces = state.db.list_spaces(workspace.id, kind).await?;
    Ok(Json(
        spaces
            .into_iter()
            .map(|space| SpaceBody {
                id: space.id,
                kind: space.kind,
                slug: space.slug,
                name: space.name,
                description: space.description,
                network: space.network,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

pub async fn members(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<MemberSummary>>> {
    let (workspace, _) = ctx.workspace()?;
    let cursor = query
        .cursor
        .as_deref()
        .map(Cursor::parse)
        .transpose()
        .map_err(|message| Problem::invalid(message.clone()).field("cursor", message))?;
    if query.limit.is_some_and(|limit| !(1..=200).contains(&limit)) {
        return Err(Problem::invalid("limit is out of range").field("limit", "use 1 to 200"));
    }
    Ok(Json(
        state
            .db
            .list_members(workspace.id, cursor, page_size(query.limit))
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
}

fn parse_instant(field: &str, raw: Option<&str>, default: Timestamp) -> ApiResult<Timestamp> {
    match raw {
        None => Ok(default),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|instant| Timestamp::from(instant.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                Problem::invalid(format!("`{field}` is not an RFC 3339 time"))
                    .field(field, "use a time like 2026-11-22T09:00:00Z")
            }),
    }
}

pub async fn posts(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> ApiResult<Json<Vec<agora_core::publishing::PagePost>>> {
    let (workspace, _) = ctx.workspace()?;
    let now = state.clock.now();
    let from = parse_instant(
        "from",
        query.from.as_deref(),
        now.plus_seconds(-30 * 86_400),
    )?;
    let to = parse_instant("to", query.to.as_deref(), now.plus_seconds(30 * 86_400))?;
    if to <= from {
        return Err(Problem::invalid("`to` must be after `from`").field("to", "must be after from"));
    }
    Ok(Json(
        state.db.page_posts_between(workspace.id, from, to).await?,
    ))
}

#[derive(Debug, Serialize)]
pub struct SpaceActivityBody {
    #[serde(flatten)]
    pub activity: agora_core::analytics::SpaceActivity,
    /// Directed interactions between two non-staff members, over all directed ones.
    pub member_to_member_share: Option<f64>,
}

pub async fn analytics_spaces(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> ApiResult<Json<Vec<SpaceActivityBody>>> {
    let (workspace, _) = ctx.workspace()?;
    let since = state.clock.now().plus_seconds(-30 * 86_400);
    let activity = state.db.space_activity(workspace.id, since).await?;
    Ok(Json(
        activity
            .into_iter()
            .map(|activity| SpaceActivityBody {
                member_to_member_share: activity.member_to_member_share(),
                activity,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationBody {
    pub email: String,
    pub role: String,
}

pub async fn invitations_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiJson(body): ApiJson<InvitationBody>,
) -> ApiResult<Response> {
    let mut problem = Problem::invalid("the invitation is not valid");
    let email = Email::parse(&body.email)
        .map_err(|error| {
            problem.errors.push(crate::problem::FieldProblem {
                pointer: "/email".into(),
                detail: error.to_string(),
            })
        })
        .ok();
    let role = body
        .role
        .parse::<Role>()
        .map_err(|error| {
            problem.errors.push(crate::problem::FieldProblem {
                pointer: "/role".into(),
                detail: error.to_string(),
            })
        })
        .ok();
    let (Some(email), Some(role)) = (email, role) else {
        return Err(problem);
    };
    let invitation: Invitation =
        crate::pages::settings::send_invitation(&state, &ctx, &email, role).await?;
    Ok((StatusCode::CREATED, Json(invitation)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct JobsQuery {
    /// `dead` (default), `retrying`, `queued`, `running` or `succeeded`.
    pub state: Option<String>,
}

pub async fn jobs_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<JobsQuery>,
) -> ApiResult<Json<Vec<JobSummary>>> {
    let (workspace, _) = ctx.workspace()?;
    let raw = query.state.as_deref().unwrap_or("dead");
    let (job_state, retrying_only) = match raw {
        "retrying" => (JobState::Queued, true),
        other => (
            JobState::parse(other).ok_or_else(|| {
                Problem::invalid(format!("unknown state `{other}`"))
                    .field("state", "use dead, retrying, queued, running or succeeded")
            })?,
            false,
        ),
    };
    Ok(Json(
        state
            .db
            .list_jobs(Some(workspace.id), job_state, retrying_only, 200)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
pub struct WorkspaceIdPath {
    pub workspace: String,
    pub id: i64,
}

pub async fn job_retry(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<WorkspaceIdPath>,
) -> ApiResult<StatusCode> {
    let (workspace, _) = ctx.workspace()?;
    if state
        .db
        .retry_job(Some(workspace.id), path.id, state.clock.now())
        .await?
    {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(Problem::new(
            StatusCode::CONFLICT,
            "not-retryable",
            "Only dead or retrying jobs can be retried",
        ))
    }
}

/// Unknown paths under `/api/` answer a problem document.
pub async fn not_found() -> Problem {
    Problem::not_found("no such API route; see /api/v1/openapi.json")
}
