//! The analytics API: community health per workspace or space, the
//! audience-or-community verdict of a space, a member's profile with
//! identities and activity, and the marketer's audience KPIs.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use agora_core::analytics::InteractionStore;
use agora_core::analytics::audience::AudienceReport;
use agora_core::analytics::health::{self, HealthReport, VerdictReport, Window};
use agora_core::analytics::import::{InteractionImportStore, MemberIdentity};
use agora_core::members::{MemberProfile, MemberStore};

use super::{ApiResult, IdPath};
use crate::AppState;
use crate::analytics::{
    AudienceQuery, FunnelBody, MemberActivity, WindowBody, audience_of, date_of_day, funnel_of,
    health_of, member_activity, parse_window, space,
};
use crate::auth::Ctx;
use crate::problem::{ApiQuery, Problem};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthQuery {
    /// A space id; absent: the whole workspace.
    pub space: Option<i64>,
    /// `2024-03-01`: with `to`, the custom-range variant.
    pub from: Option<String>,
    /// `2024-03-28`, included.
    pub to: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ScopeBody {
    pub workspace: String,
    pub space_id: Option<i64>,
    pub space_name: Option<String>,
    pub space_kind: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct HealthBody {
    pub scope: ScopeBody,
    pub window: WindowBody,
    #[serde(flatten)]
    pub report: HealthReport,
}

fn no_data() -> Problem {
    Problem::not_found(
        "this scope has no interactions in the log (or none before the end of the range)",
    )
}

pub async fn health_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<HealthQuery>,
) -> ApiResult<Json<HealthBody>> {
    let (workspace, _) = ctx.workspace()?;
    let window = parse_window(query.from.as_deref(), query.to.as_deref())?;
    let space = match query.space {
        Some(id) => Some(space(&state, workspace.id, id).await?),
        None => None,
    };
    let (_, report) = health_of(&state, workspace.id, space.as_ref(), window).await?;
    let report = report.ok_or_else(no_data)?;
    Ok(Json(HealthBody {
        scope: ScopeBody {
            workspace: workspace.slug.clone(),
            space_id: space.as_ref().map(|space| space.id),
            space_name: space.as_ref().map(|space| space.name.clone()),
            space_kind: space.as_ref().map(|space| space.kind.as_str()),
        },
        window: WindowBody::of(&report),
        report,
    }))
}

#[derive(Debug, Serialize)]
pub struct Thresholds {
    pub community_min_member_to_member_share: f64,
    pub community_min_peer_first_response_rate: f64,
    pub community_min_lcc_share: f64,
    pub community_min_rho: f64,
    pub audience_max_member_to_member_share: f64,
    pub audience_max_lcc_share: f64,
    pub min_active_members: u64,
}

pub const THRESHOLDS: Thresholds = Thresholds {
    community_min_member_to_member_share: health::COMMUNITY_MIN_M2M,
    community_min_peer_first_response_rate: health::COMMUNITY_MIN_PEER_FIRST,
    community_min_lcc_share: health::COMMUNITY_MIN_LCC,
    community_min_rho: 0.0,
    audience_max_member_to_member_share: health::AUDIENCE_MAX_M2M,
    audience_max_lcc_share: health::AUDIENCE_MAX_LCC,
    min_active_members: health::VERDICT_MIN_ACTIVE,
};

#[derive(Debug, Serialize)]
pub struct VerdictBody {
    pub space_id: i64,
    pub space_name: String,
    pub space_kind: &'static str,
    pub window: WindowBody,
    #[serde(flatten)]
    pub verdict: VerdictReport,
    pub thresholds: Thresholds,
}

pub async fn verdict_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<VerdictBody>> {
    let (workspace, _) = ctx.workspace()?;
    let space = space(&state, workspace.id, path.id).await?;
    let (_, report) = health_of(&state, workspace.id, Some(&space), Window::Default).await?;
    let report = report.ok_or_else(no_data)?;
    Ok(Json(VerdictBody {
        space_id: space.id,
        space_name: space.name.clone(),
        space_kind: space.kind.as_str(),
        window: WindowBody::of(&report),
        verdict: report.verdict,
        thresholds: THRESHOLDS,
    }))
}

#[derive(Debug, Serialize)]
pub struct MemberBody {
    #[serde(flatten)]
    pub profile: MemberProfile,
    pub identities: Vec<MemberIdentity>,
    pub activity: MemberActivity,
}

pub async fn member_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<IdPath>,
) -> ApiResult<Json<MemberBody>> {
    let (workspace, _) = ctx.workspace()?;
    let profile = state
        .db
        .profile(workspace.id, path.id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such member in this workspace"))?;
    let identities = state.db.member_identities(workspace.id, path.id).await?;
    let log = state.db.interaction_log(workspace.id).await?;
    let mut activity = member_activity(&log, path.id);
    // Clicks and follows are not in the compact log: counted from the rows.
    for (kind, n) in state.db.passive_interactions(path.id).await? {
        *activity.by_kind.entry(kind.as_str()).or_default() += n;
    }
    Ok(Json(MemberBody {
        profile,
        identities,
        activity,
    }))
}

#[derive(Debug, Serialize)]
pub struct AudienceBody {
    pub workspace: String,
    /// The first day, `2026-10-01`.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// `default` (the 28 days up to today) or `range`.
    pub variant: &'static str,
    pub previous_from: String,
    pub previous_to: String,
    pub channel_id: Option<i64>,
    pub channel_name: Option<String>,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    /// What the networks do not give, in words.
    pub not_reported: NotReported,
    /// Follower growth per channel whose network reports followers.
    pub follower_growth: Vec<crate::analytics::FollowerGrowth>,
    #[serde(flatten)]
    pub report: AudienceReport,
}

#[derive(Debug, Serialize)]
pub struct NotReported {
    pub impressions: &'static str,
    pub reach: &'static str,
    pub clicks: &'static str,
    pub followers: &'static str,
}

pub const NOT_REPORTED: NotReported = NotReported {
    impressions: "not reported by the networks Agora reads metrics from (null, never 0)",
    reach: "not reported by the networks Agora reads metrics from (null, never 0)",
    clicks: "counted on the posts' tracked links (/r/…; link previews and crawlers left out), all time per post; null for a post published without link tracking (before it existed, or with the workspace's setting off), and then for the sum",
    followers: crate::analytics::FOLLOWERS_NOT_REPORTED,
};

pub async fn audience_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<AudienceQuery>,
) -> ApiResult<Json<AudienceBody>> {
    let (workspace, _) = ctx.workspace()?;
    let audience = audience_of(&state, workspace.id, &query).await?;
    let report = audience.report;
    Ok(Json(AudienceBody {
        workspace: workspace.slug.clone(),
        from: date_of_day(report.period.from_day),
        to: date_of_day(report.period.to_day),
        variant: if audience.default_period {
            "default"
        } else {
            "range"
        },
        previous_from: date_of_day(report.previous_period.from_day),
        previous_to: date_of_day(report.previous_period.to_day),
        channel_id: audience.filter.channel,
        channel_name: audience.channel_name,
        campaign_id: audience.filter.campaign,
        campaign_name: audience.campaign_name,
        not_reported: NOT_REPORTED,
        follower_growth: audience.growth,
        report,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelQuery {
    /// A campaign id; absent: every campaign.
    #[serde(default)]
    pub campaign: Option<String>,
}

pub async fn funnel_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    ApiQuery(query): ApiQuery<FunnelQuery>,
) -> ApiResult<Json<FunnelBody>> {
    let (workspace, _) = ctx.workspace()?;
    Ok(Json(
        funnel_of(&state, workspace.id, query.campaign.as_deref()).await?,
    ))
}
