//! Community pages: groups, their threads, a thread with its replies, the
//! member directory for staff, and the first analytics view.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use agora_core::analytics::{InteractionStore, SpaceActivity};
use agora_core::community::{CommunityStore, Space, SpaceKind, ThreadSummary, ThreadView};
use agora_core::members::{MemberStore, MemberSummary};
use agora_core::pagination::{Cursor, page_size};

use super::{PageError, PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::shell::Shell;

pub struct GroupCard {
    pub space: Space,
    pub threads: Vec<ThreadSummary>,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    shell: Shell,
    groups: Vec<GroupCard>,
}

pub async fn community(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let mut groups = Vec::new();
    for space in state
        .db
        .list_spaces(workspace.id, Some(SpaceKind::Group))
        .await?
    {
        let threads = state.db.list_threads(space.id, 3).await?;
        groups.push(GroupCard { space, threads });
    }
    let shell = Shell::build(&state, &ctx, "Community").await;
    Ok(render(&CommunityPage { shell, groups }))
}

#[derive(Debug, Deserialize)]
pub struct GroupPath {
    pub workspace: String,
    pub group: String,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    shell: Shell,
    space: Space,
    threads: Vec<ThreadSummary>,
}

pub async fn group(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let space = state
        .db
        .space_by_slug(workspace.id, &path.group)
        .await?
        .filter(|space| space.kind == SpaceKind::Group)
        .ok_or_else(|| PageError::not_found("There is no such group in this workspace."))?;
    let threads = state.db.list_threads(space.id, 100).await?;
    let shell = Shell::build(&state, &ctx, space.name.clone()).await;
    Ok(render(&GroupPage {
        shell,
        space,
        threads,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ThreadPath {
    pub workspace: String,
    pub thread: i64,
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    shell: Shell,
    space: Space,
    thread: ThreadView,
}

pub async fn thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let thread = state.db.thread(workspace.id, path.thread).await?;
    let space = state
        .db
        .list_spaces(workspace.id, Some(SpaceKind::Group))
        .await?
        .into_iter()
        .find(|space| space.id == thread.space_id)
        .ok_or_else(|| PageError::not_found("This thread is not in a group you can see."))?;
    let shell = Shell::build(&state, &ctx, thread.title.clone()).await;
    Ok(render(&ThreadPage {
        shell,
        space,
        thread,
    }))
}

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    shell: Shell,
    n_members: i64,
    rows: MemberRows,
}

/// The htmx partial: a page of member rows and the "load more" control.
#[derive(Template)]
#[template(path = "members_rows.html")]
struct MemberRows {
    workspace_slug: String,
    members: Vec<MemberSummary>,
    next_cursor: Option<String>,
}

pub async fn members(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<MembersQuery>,
    headers: HeaderMap,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let cursor = match query.cursor.as_deref().map(Cursor::parse).transpose() {
        Ok(cursor) => cursor,
        Err(message) => {
            return Err(PageError {
                status: axum::http::StatusCode::BAD_REQUEST,
                message,
            });
        }
    };
    let page = state
        .db
        .list_members(workspace.id, cursor, page_size(Some(50)))
        .await?;
    let rows = MemberRows {
        workspace_slug: workspace.slug.clone(),
        members: page.items,
        next_cursor: page.next_cursor,
    };
    if headers.contains_key("hx-request") {
        return Ok(render(&rows));
    }
    let shell = Shell::build(&state, &ctx, "Members").await;
    Ok(render(&MembersPage {
        shell,
        n_members: state.db.count_members(workspace.id).await?,
        rows,
    }))
}

/// One bar of the daily activity chart, pre-scaled for the SVG.
pub struct Bar {
    pub x: i64,
    pub height: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    shell: Shell,
    spaces: Vec<SpaceActivity>,
    bars: Vec<Bar>,
    max_per_day: i64,
}

pub async fn analytics(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let now = state.clock.now();
    let since = now.plus_seconds(-30 * 86_400);
    let spaces = state.db.space_activity(workspace.id, since).await?;
    let daily = state
        .db
        .daily_interactions(workspace.id, now.plus_seconds(-90 * 86_400), now)
        .await?;
    let max_per_day = daily.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let first_day = now.plus_seconds(-90 * 86_400).day();
    let bars = daily
        .iter()
        .map(|(day, n)| Bar {
            x: (day - first_day) * 8,
            height: n * 120 / max_per_day,
            label: format!(
                "{}: {n}",
                agora_core::Timestamp(day * 86_400_000).display_date()
            ),
        })
        .collect();
    let shell = Shell::build(&state, &ctx, "Analytics").await;
    Ok(render(&AnalyticsPage {
        shell,
        spaces,
        bars,
        max_per_day,
    }))
}

/// How a space's member-to-member share reads, for the analytics table.
pub fn share_label(activity: &SpaceActivity) -> String {
    match activity.member_to_member_share() {
        Some(share) => format!("{:.0} %", share * 100.0),
        None => "—".to_owned(),
    }
}

pub fn kind_label(kind: &SpaceKind) -> &'static str {
    match kind {
        SpaceKind::Page => "Page",
        SpaceKind::Group => "Group",
    }
}
