//! The members behind a number of the funnel: who joined through a campaign
//! (or on their own), who contributed, who was active at 30 and 90 days;
//! as a page and as CSV.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use agora_core::Timestamp;
use agora_core::analytics::InteractionStore;
use agora_core::analytics::funnel::{self, AttributionStore, Group, Step};
use agora_core::calendar::csv_record;
use agora_core::desk::DeskStore;
use agora_core::members::MemberId;

use super::analytics::csv_response;
use super::{PageError, PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::shell::Shell;

#[derive(Debug, Default, Deserialize)]
pub struct FunnelMembersQuery {
    pub campaign: Option<String>,
    pub group: Option<String>,
    pub step: Option<String>,
}

/// One listed member.
pub struct Listed {
    pub id: MemberId,
    pub name: String,
    pub joined: String,
    pub contributed: bool,
    pub active_30: Option<bool>,
    pub active_90: Option<bool>,
}

#[derive(Template)]
#[template(path = "funnel_members.html")]
struct FunnelMembersPage {
    shell: Shell,
    ws: String,
    title: String,
    campaign_name: Option<String>,
    keep: String,
    members: Vec<Listed>,
}

fn step_title(step: Step) -> &'static str {
    match step {
        Step::Joined => "Joined",
        Step::Contributed => "Contributed (posted or replied)",
        Step::Eligible30 => "Joined at least 30 days ago",
        Step::Active30 => "Active at 30 days (days 23–30)",
        Step::Eligible90 => "Joined at least 90 days ago",
        Step::Active90 => "Active at 90 days (days 83–90)",
    }
}

/// The query's campaign, group and step, or a 404 page naming the bad one.
async fn listed(
    state: &AppState,
    workspace: i64,
    query: &FunnelMembersQuery,
) -> Result<(Option<String>, Group, Step, Vec<Listed>), PageError> {
    let group =
        Group::parse(query.group.as_deref().unwrap_or("through_campaigns")).ok_or_else(|| {
            PageError::not_found("There is no such group: through_campaigns or on_their_own.")
        })?;
    let step = Step::parse(query.step.as_deref().unwrap_or("joined")).ok_or_else(|| {
        PageError::not_found(
            "There is no such step: joined, contributed, eligible_30, active_30, eligible_90 or active_90.",
        )
    })?;
    let (campaign_id, campaign_name) = match query.campaign.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        Some(raw) => {
            let id = raw
                .parse::<i64>()
                .map_err(|_| PageError::not_found("There is no such campaign."))?;
            let campaign = state
                .db
                .campaign(workspace, id)
                .await?
                .ok_or_else(|| PageError::not_found("There is no such campaign."))?;
            (Some(id), Some(campaign.name))
        }
    };
    let log = state.db.interaction_log(workspace).await?;
    let campaigns = state.db.member_campaigns(workspace).await?;
    let now = state.clock.now().millis().div_euclid(1000);
    let members = tokio::task::spawn_blocking(move || {
        funnel::funnel_members(&log, &campaigns, campaign_id, now)
            .into_iter()
            .filter(|member| member.group == group && member.in_step(step))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| PageError::not_found("The funnel could not be computed."))?;
    let ids: Vec<MemberId> = members.iter().map(|member| member.member_id).collect();
    let names: HashMap<MemberId, String> = state
        .db
        .member_names(workspace, &ids)
        .await?
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect();
    let mut listed: Vec<Listed> = members
        .into_iter()
        .map(|member| Listed {
            id: member.member_id,
            name: names.get(&member.member_id).cloned().unwrap_or_default(),
            joined: Timestamp::from_millis(member.joined_at * 1000).display_date(),
            contributed: member.contributed,
            active_30: member.active_30,
            active_90: member.active_90,
        })
        .collect();
    // Most recent first, then by name.
    listed.sort_by(|a, b| b.joined.cmp(&a.joined).then(a.name.cmp(&b.name)));
    Ok((campaign_name, group, step, listed))
}

fn keep(query: &FunnelMembersQuery, group: Group, step: Step) -> String {
    let group = match group {
        Group::ThroughCampaigns => "through_campaigns",
        Group::OnTheirOwn => "on_their_own",
    };
    let mut keep = format!("group={group}&step={}", step.as_str());
    if let Some(campaign) = query.campaign.as_deref().filter(|c| !c.trim().is_empty()) {
        keep.push_str(&format!(
            "&campaign={}",
            urlencoding::encode(campaign.trim())
        ));
    }
    keep
}

fn title(group: Group, step: Step, campaign: Option<&str>) -> String {
    let who = match (group, campaign) {
        (Group::OnTheirOwn, _) => "members who came on their own".to_owned(),
        (Group::ThroughCampaigns, Some(name)) => format!("members who came through {name}"),
        (Group::ThroughCampaigns, None) => "members who came through a campaign".to_owned(),
    };
    format!("{}: {who}", step_title(step))
}

pub async fn members(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<FunnelMembersQuery>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let (campaign_name, group, step, members) = listed(&state, workspace.id, &query).await?;
    let title = title(group, step, campaign_name.as_deref());
    let shell = Shell::build(&state, &ctx, &title).await;
    Ok(render(&FunnelMembersPage {
        shell,
        ws: workspace.slug.clone(),
        title,
        campaign_name,
        keep: keep(&query, group, step),
        members,
    }))
}

fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    }
}

pub async fn members_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<FunnelMembersQuery>,
) -> Result<Response, PageError> {
    let (workspace, _) = ctx.workspace()?;
    let (_, _, step, members) = listed(&state, workspace.id, &query).await?;
    let mut out = csv_record(&[
        "member_id",
        "name",
        "joined",
        "contributed",
        "active_30",
        "active_90",
    ]);
    for member in &members {
        out.push_str(&csv_record(&[
            member.id.to_string().as_str(),
            member.name.as_str(),
            member.joined.as_str(),
            yes_no(Some(member.contributed)),
            yes_no(member.active_30),
            yes_no(member.active_90),
        ]));
    }
    Ok(csv_response(&format!("funnel-{}.csv", step.as_str()), out).into_response())
}

/// The link from a funnel number on the audience page to its members.
pub fn link(ws: &str, campaign: &Option<i64>, group: &str, step: &str) -> String {
    let mut link = format!("/w/{ws}/analytics/funnel/members?group={group}&step={step}");
    if let Some(campaign) = campaign {
        link.push_str(&format!("&campaign={campaign}"));
    }
    link
}
