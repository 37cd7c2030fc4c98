//! The workspace landing page: a dashboard for staff, the community for members.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};

use agora_core::analytics::InteractionStore;
use agora_core::community::{CommunityStore, SpaceKind};
use agora_core::jobs::{JobStore, QueueCounts};
use agora_core::members::MemberStore;
use agora_core::publishing::{PagePost, PublishingStore};

use super::{PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::shell::Shell;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    shell: Shell,
    n_members: i64,
    n_groups: usize,
    n_pages: usize,
    n_interactions_30d: i64,
    n_active_30d: i64,
    upcoming: Vec<PagePost>,
    queue: Option<QueueCounts>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let (workspace, role) = ctx.workspace()?;
    if !role.is_staff() {
        return Ok(Redirect::to(&format!("/w/{}/community", workspace.slug)).into_response());
    }
    let now = state.clock.now();
    let since = now.plus_seconds(-30 * 86_400);
    let spaces = state.db.list_spaces(workspace.id, None).await?;
    let activity = state.db.space_activity(workspace.id, since).await?;
    let upcoming = state
        .db
        .page_posts_between(workspace.id, now, now.plus_seconds(14 * 86_400))
        .await?;
    let queue = if role == agora_core::accounts::Role::Admin {
        Some(state.db.queue_counts(now).await?)
    } else {
        None
    };
    let page = DashboardPage {
        shell: Shell::build(&state, &ctx, format!("{} — today", workspace.name)).await,
        n_members: state.db.count_members(workspace.id).await?,
        n_groups: spaces
            .iter()
            .filter(|space| space.kind == SpaceKind::Group)
            .count(),
        n_pages: spaces
            .iter()
            .filter(|space| space.kind == SpaceKind::Page)
            .count(),
        n_interactions_30d: activity.iter().map(|space| space.n_interactions).sum(),
        n_active_30d: activity
            .iter()
            .map(|space| space.n_active_members)
            .max()
            .unwrap_or(0),
        upcoming,
        queue,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "placeholder.html")]
pub(crate) struct PlaceholderPage {
    pub shell: Shell,
    pub heading: &'static str,
    pub lead: &'static str,
    pub detail: &'static str,
}

pub async fn inbox(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Inbox").await;
    Ok(render(&PlaceholderPage {
        shell,
        heading: "Inbox",
        lead: "No conversations to answer.",
        detail: "Replies, mentions and messages to your pages land here once a channel is connected and read back (feature A12).",
    }))
}
