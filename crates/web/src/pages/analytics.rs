//! The community manager's health dashboards, per workspace and per space:
//! the verdict with the numbers behind it, daily active members and the
//! retention cohorts as server-side SVG and a heatmap, a date range, drill-down
//! to the members behind a number, and CSV of every table (and of the
//! interaction log itself, in the import format, so every number can be
//! reproduced from the definitions).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use agora_core::analytics::InteractionStore;
use agora_core::analytics::health::{
    self, HealthReport, InteractionLog, NO_MEMBER, NO_THREAD, Verdict, Window,
};
use agora_core::analytics::import::{INTERACTION_COLUMNS, MEMBER_COLUMNS, format_time};
use agora_core::calendar::csv_record;
use agora_core::community::{CommunityStore, Space, SpaceKind};
use agora_core::members::MemberId;

use super::{PageError, PageResult, render};
use crate::AppState;
use crate::analytics::{WindowBody, date_of_day, health_of, parse_window};
use crate::auth::Ctx;
use crate::shell::Shell;

/// The dashboard's query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HealthParams {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// A space id, for the drill-down and the export.
    #[serde(default)]
    pub space: Option<i64>,
    /// Which list or table: `at_risk`, `lapsed`, `champions`, `newcomers`, …
    #[serde(default)]
    pub list: Option<String>,
    #[serde(default)]
    pub table: Option<String>,
}

impl HealthParams {
    /// The query string that keeps the range (and the space) in links.
    fn keep(&self, space: Option<i64>) -> String {
        let mut parts = Vec::new();
        if let Some(space) = space {
            parts.push(format!("space={space}"));
        }
        for (name, value) in [("from", &self.from), ("to", &self.to)] {
            if let Some(value) = value.as_deref().filter(|value| !value.trim().is_empty()) {
                parts.push(format!("{name}={}", urlencoding::encode(value.trim())));
            }
        }
        parts.join("&")
    }
}

#[derive(Debug, Deserialize)]
pub struct SpacePath {
    pub workspace: String,
    pub space: i64,
}

/// A percentage, or a dash for "no denominator".
pub fn percent(value: &Option<f64>) -> String {
    match value {
        Some(value) => format!("{:.0}%", value * 100.0),
        None => "—".into(),
    }
}

pub fn decimal(value: &Option<f64>) -> String {
    match value {
        Some(value) => format!("{value:.2}"),
        None => "—".into(),
    }
}

/// Seconds as "2 h 05 min", "14 min", "40 s".
pub fn duration(value: &Option<f64>) -> String {
    let Some(seconds) = value else {
        return "—".into();
    };
    let seconds = seconds.round() as i64;
    if seconds < 60 {
        format!("{seconds} s")
    } else if seconds < 3600 {
        format!("{} min", seconds / 60)
    } else if seconds < 2 * 86_400 {
        format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60)
    } else {
        format!("{:.1} days", seconds as f64 / 86_400.0)
    }
}

pub fn verdict_class(verdict: &Verdict) -> &'static str {
    verdict.as_str()
}

/// One bar (DAU) and the points of the WAU and MAU lines, pre-scaled.
pub struct DayMark {
    pub x: i64,
    pub bar_height: i64,
    pub wau_y: i64,
    pub mau_y: i64,
    pub label: String,
}

pub struct Chart {
    pub days: Vec<DayMark>,
    pub wau_points: String,
    pub mau_points: String,
    pub max: u32,
    pub width: i64,
    pub bar_width: i64,
    pub first: String,
    pub last: String,
}

const CHART_HEIGHT: i64 = 150;

fn chart(report: &HealthReport) -> Chart {
    let daily = &report.active.daily;
    let max = daily
        .iter()
        .map(|day| day.mau.max(day.wau).max(day.dau))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = (728 / daily.len().max(1) as i64).clamp(2, 26);
    let scale = |value: u32| i64::from(value) * (CHART_HEIGHT - 10) / i64::from(max);
    let days: Vec<DayMark> = daily
        .iter()
        .enumerate()
        .map(|(index, day)| DayMark {
            x: index as i64 * step,
            bar_height: scale(day.dau),
            wau_y: CHART_HEIGHT - scale(day.wau),
            mau_y: CHART_HEIGHT - scale(day.mau),
            label: format!(
                "{}: {} daily, {} weekly, {} monthly active",
                date_of_day(day.day),
                day.dau,
                day.wau,
                day.mau
            ),
        })
        .collect();
    let line = |pick: fn(&DayMark) -> i64| {
        days.iter()
            .map(|day| format!("{},{}", day.x + step / 2, pick(day)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Chart {
        wau_points: line(|day| day.wau_y),
        mau_points: line(|day| day.mau_y),
        width: step * days.len().max(1) as i64,
        bar_width: (step - 2).max(1),
        days,
        max,
        first: daily
            .first()
            .map(|day| date_of_day(day.day))
            .unwrap_or_default(),
        last: daily
            .last()
            .map(|day| date_of_day(day.day))
            .unwrap_or_default(),
    }
}

pub struct CohortRow {
    pub week: String,
    pub size: u64,
    /// (level 0–10 for the colour, label, title) per k = 0..12; None past E.
    pub cells: Vec<Option<(i64, String, String)>>,
}

fn cohort_rows(report: &HealthReport) -> Vec<CohortRow> {
    report
        .retention
        .cohorts
        .iter()
        .rev()
        .take(16)
        .map(|cohort| CohortRow {
            week: date_of_day(cohort.week_start_day),
            size: cohort.size,
            cells: (0..=health::COHORT_WEEKS as u32)
                .map(|k| {
                    cohort.cells.iter().find(|cell| cell.k == k).map(|cell| {
                        let share = cell.share.unwrap_or(0.0);
                        (
                            (share * 10.0).round() as i64,
                            format!("{:.0}", share * 100.0),
                            format!("week {k}: {} of {} active", cell.active, cohort.size),
                        )
                    })
                })
                .collect(),
        })
        .collect()
}

/// A row of the workspace's table of spaces.
pub struct SpaceRow {
    pub space: Space,
    pub report: Option<HealthReport>,
}

#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    shell: Shell,
    ws: String,
    /// The space, on a space's dashboard.
    space: Option<Space>,
    report: Option<HealthReport>,
    window: Option<WindowBody>,
    chart: Option<Chart>,
    cohorts: Vec<CohortRow>,
    spaces: Vec<SpaceRow>,
    params: HealthParams,
    /// The query string that keeps the range and the space.
    keep: String,
    range_error: Option<String>,
    behaves_like_audience: bool,
}

async fn dashboard(
    state: &AppState,
    ctx: &Ctx,
    space: Option<Space>,
    params: HealthParams,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let (window, range_error) = match parse_window(params.from.as_deref(), params.to.as_deref()) {
        Ok(window) => (window, None),
        Err(problem) => (
            Window::Default,
            Some(
                problem
                    .errors
                    .iter()
                    .map(|error| {
                        format!(
                            "{}: {}",
                            error.pointer.trim_start_matches('/'),
                            error.detail
                        )
                    })
                    .chain(problem.detail.clone().filter(|_| problem.errors.is_empty()))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
    };
    let (log, report) = health_of(state, workspace.id, space.as_ref(), window).await?;
    let spaces = if space.is_none() {
        let spaces = state.db.list_spaces(workspace.id, None).await?;
        let shared = log.clone();
        tokio::task::spawn_blocking(move || {
            spaces
                .into_iter()
                .map(|space| {
                    let report = shared
                        .space_index(space.id)
                        .and_then(|index| health::health(&shared, Some(index), window));
                    SpaceRow { space, report }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|_| PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Something went wrong on our side. Try again.".into(),
        })?
    } else {
        Vec::new()
    };
    let behaves_like_audience = space
        .as_ref()
        .is_some_and(|space| space.kind == SpaceKind::Group)
        && report
            .as_ref()
            .is_some_and(|report| report.verdict.verdict == Verdict::Audience);
    let title = match &space {
        Some(space) => format!("Health of {}", space.name),
        None => "Community health".to_owned(),
    };
    let shell = Shell::build(state, ctx, &title).await;
    let keep = params.keep(space.as_ref().map(|space| space.id));
    Ok(render(&HealthPage {
        shell,
        ws: workspace.slug.clone(),
        window: report.as_ref().map(WindowBody::of),
        chart: report.as_ref().map(chart),
        cohorts: report.as_ref().map(cohort_rows).unwrap_or_default(),
        space,
        report,
        spaces,
        params,
        keep,
        range_error,
        behaves_like_audience,
    }))
}

pub async fn workspace_health(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<HealthParams>,
) -> PageResult {
    dashboard(&state, &ctx, None, params).await
}

pub async fn space_health(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<SpacePath>,
    Query(params): Query<HealthParams>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let space = crate::analytics::space(&state, workspace.id, path.space).await?;
    dashboard(&state, &ctx, Some(space), params).await
}

/// A member behind a number.
pub struct ListedMember {
    pub id: MemberId,
    pub name: String,
    pub handle: String,
    /// What the list is about: last seen, first seen, contributions.
    pub detail: String,
    pub activated: Option<bool>,
}

/// The lists one can drill down into: (key, title, what the detail column says).
const LISTS: &[(&str, &str, &str)] = &[
    ("at_risk", "Members at risk", "Last active"),
    ("lapsed", "Lapsed members", "Last active"),
    ("champions", "Champions", "Posts and replies in the window"),
    ("newcomers", "Newcomers", "First interaction"),
];

async fn members_of_list(
    state: &AppState,
    workspace: i64,
    report: &HealthReport,
    list: &str,
) -> Result<Vec<ListedMember>, PageError> {
    let when = |seconds: i64| agora_core::Timestamp::from_millis(seconds * 1000).display_utc();
    let entries: Vec<(MemberId, String, Option<bool>)> = match list {
        "at_risk" => report
            .at_risk
            .at_risk_members
            .iter()
            .map(|(id, last)| (*id, when(*last), None))
            .collect(),
        "lapsed" => report
            .at_risk
            .lapsed_members
            .iter()
            .map(|(id, last)| (*id, when(*last), None))
            .collect(),
        "champions" => report
            .champions
            .iter()
            .map(|champion| (champion.member_id, champion.contributions.to_string(), None))
            .collect(),
        "newcomers" => report
            .newcomers
            .members
            .iter()
            .map(|newcomer| {
                (
                    newcomer.member_id,
                    when(newcomer.first_at),
                    Some(newcomer.activated),
                )
            })
            .collect(),
        _ => return Err(PageError::not_found("There is no such list.")),
    };
    let ids: Vec<MemberId> = entries.iter().map(|(id, ..)| *id).collect();
    let names: HashMap<MemberId, (String, String)> = state
        .db
        .member_names(workspace, &ids)
        .await?
        .into_iter()
        .map(|(id, name, handle)| (id, (name, handle)))
        .collect();
    Ok(entries
        .into_iter()
        .map(|(id, detail, activated)| {
            let (name, handle) = names.get(&id).cloned().unwrap_or_default();
            ListedMember {
                id,
                name,
                handle,
                detail,
                activated,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "health_members.html")]
struct MembersPage {
    shell: Shell,
    ws: String,
    space: Option<Space>,
    title: &'static str,
    detail_heading: &'static str,
    list: String,
    members: Vec<ListedMember>,
    window: WindowBody,
    keep: String,
    back: String,
}

async fn scope(
    state: &AppState,
    workspace: i64,
    params: &HealthParams,
) -> Result<(Option<Space>, Window), PageError> {
    let space = match params.space {
        Some(id) => Some(crate::analytics::space(state, workspace, id).await?),
        None => None,
    };
    let window = parse_window(params.from.as_deref(), params.to.as_deref())?;
    Ok((space, window))
}

fn no_data() -> PageError {
    PageError::not_found("This scope has no interactions yet.")
}

pub async fn drill_down(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<HealthParams>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let list = params.list.clone().unwrap_or_default();
    let Some((_, title, detail_heading)) = LISTS.iter().find(|(key, ..)| *key == list) else {
        return Err(PageError::not_found(
            "There is no such list: choose members at risk, lapsed, champions or newcomers.",
        ));
    };
    let (space, window) = scope(&state, workspace.id, &params).await?;
    let (_, report) = health_of(&state, workspace.id, space.as_ref(), window).await?;
    let report = report.ok_or_else(no_data)?;
    let members = members_of_list(&state, workspace.id, &report, &list).await?;
    let keep = params.keep(space.as_ref().map(|space| space.id));
    let back = match &space {
        Some(space) => format!(
            "/w/{}/analytics/spaces/{}?{}",
            workspace.slug,
            space.id,
            params.keep(None)
        ),
        None => format!("/w/{}/analytics/health?{keep}", workspace.slug),
    };
    let shell = Shell::build(&state, &ctx, *title).await;
    Ok(render(&MembersPage {
        shell,
        ws: workspace.slug.clone(),
        space,
        title,
        detail_heading,
        list,
        members,
        window: WindowBody::of(&report),
        keep,
        back,
    }))
}

pub(crate) fn csv_response(filename: &str, body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn opt(value: &Option<f64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// The summary table: one measure per record, as the definitions name them.
fn summary_csv(report: &HealthReport) -> String {
    let mut out = csv_record(&["measure", "value"]);
    let mut row = |name: &str, value: String| out.push_str(&csv_record(&[name, value.as_str()]));
    row("verdict", report.verdict.verdict.as_str().into());
    row("dau", report.active.dau.to_string());
    row("wau", report.active.wau.to_string());
    row("mau", report.active.mau.to_string());
    row("stickiness", opt(&report.active.stickiness));
    row(
        "member_to_member_share",
        opt(&report.member_to_member.share),
    );
    row("member_authored_share", opt(&report.member_authored.share));
    row("member_post_share", opt(&report.member_posts.share));
    row(
        "member_threads",
        report.first_response.member_threads.to_string(),
    );
    row(
        "answered_threads",
        report.first_response.answered_threads.to_string(),
    );
    row(
        "peer_first_threads",
        report.first_response.peer_first_threads.to_string(),
    );
    row(
        "peer_first_response_rate",
        opt(&report.first_response.peer_first_response_rate),
    );
    row("ttfr_median_s", opt(&report.first_response.ttfr_median_s));
    row(
        "ttfr_member_median_s",
        opt(&report.first_response.ttfr_member_median_s),
    );
    row(
        "ttfr_staff_median_s",
        opt(&report.first_response.ttfr_staff_median_s),
    );
    row(
        "reciprocated_links",
        report.reciprocity.reciprocated_links.to_string(),
    );
    row("links", report.reciprocity.links.to_string());
    row("nodes", report.reciprocity.nodes.to_string());
    row("reciprocity_rho", opt(&report.reciprocity.rho));
    row("lcc_share", opt(&report.connectivity.lcc_share));
    row("newcomers", report.newcomers.newcomers.to_string());
    row(
        "newcomers_activated",
        report.newcomers.activated.to_string(),
    );
    row("activation_rate", opt(&report.newcomers.activation_rate));
    if let Some(by_join) = &report.newcomers_by_join {
        row("newcomers_by_join", by_join.newcomers.to_string());
        row("activation_rate_by_join", opt(&by_join.activation_rate));
    }
    row("retention_w1", opt(&report.retention.retention_w1));
    row("retention_w4", opt(&report.retention.retention_w4));
    row("retention_w12", opt(&report.retention.retention_w12));
    row(
        "active_days_29_56",
        report.at_risk.active_days_29_56.to_string(),
    );
    row("at_risk", report.at_risk.at_risk.to_string());
    row("lapsed", report.at_risk.lapsed.to_string());
    row("at_risk_share", opt(&report.at_risk.at_risk_share));
    row("champions", report.n_champions.to_string());
    out
}

/// The workspace's whole log in the import format: ids renumbered 1.. in
/// (time, id) order and threads pointing at their opening post's new id, so
/// the definitions, run on these two files, give the dashboard's numbers.
fn log_csv(log: &InteractionLog, workspace: &str) -> String {
    let mut out = csv_record(&INTERACTION_COLUMNS);
    let mut openings: HashMap<i64, usize> = HashMap::new();
    for (index, row) in log.rows.iter().enumerate() {
        if row.kind == agora_core::analytics::InteractionKind::Post && row.thread != NO_THREAD {
            openings.entry(row.thread).or_insert(index + 1);
        }
    }
    for (index, row) in log.rows.iter().enumerate() {
        let thread = match row.thread {
            NO_THREAD => String::new(),
            key => openings
                .get(&key)
                .map(|id| id.to_string())
                .unwrap_or_default(),
        };
        let target = if row.target == NO_MEMBER {
            String::new()
        } else {
            log.members[row.target as usize].id.to_string()
        };
        let fields = [
            (index + 1).to_string(),
            workspace.to_owned(),
            log.spaces[row.space as usize].to_string(),
            log.members[row.actor as usize].id.to_string(),
            target,
            row.kind.as_str().to_owned(),
            thread,
            format_time(row.at),
            row.actor_is_staff.to_string(),
        ];
        out.push_str(&csv_record(&fields));
    }
    out
}

fn members_csv(log: &InteractionLog, workspace: &str) -> String {
    let mut out = csv_record(&MEMBER_COLUMNS);
    for member in &log.members {
        out.push_str(&csv_record(&[
            member.id.to_string(),
            workspace.to_owned(),
            format_time(member.joined_at),
            member.is_staff.to_string(),
        ]));
    }
    out
}

pub async fn export(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<HealthParams>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let table = params.table.clone().unwrap_or_default();
    let slug = &workspace.slug;
    if table == "interactions" || table == "members" {
        let log = state.db.interaction_log(workspace.id).await?;
        let body = if table == "interactions" {
            log_csv(&log, slug)
        } else {
            members_csv(&log, slug)
        };
        return Ok(csv_response(&format!("{slug}-{table}.csv"), body));
    }
    let (space, window) = scope(&state, workspace.id, &params).await?;
    let (_, report) = health_of(&state, workspace.id, space.as_ref(), window).await?;
    let report = report.ok_or_else(no_data)?;
    let scope_name = match &space {
        Some(space) => format!("space-{}", space.id),
        None => "workspace".to_owned(),
    };
    let body = match table.as_str() {
        "summary" => summary_csv(&report),
        "daily" => {
            let mut out = csv_record(&["day", "dau", "wau", "mau"]);
            for day in &report.active.daily {
                out.push_str(&csv_record(&[
                    date_of_day(day.day),
                    day.dau.to_string(),
                    day.wau.to_string(),
                    day.mau.to_string(),
                ]));
            }
            out
        }
        "cohorts" => {
            let mut out = csv_record(&["cohort_week", "cohort_size", "k", "active", "share"]);
            for cohort in &report.retention.cohorts {
                for cell in &cohort.cells {
                    out.push_str(&csv_record(&[
                        date_of_day(cohort.week_start_day),
                        cohort.size.to_string(),
                        cell.k.to_string(),
                        cell.active.to_string(),
                        opt(&cell.share),
                    ]));
                }
            }
            out
        }
        "spaces" => {
            let spaces = state.db.list_spaces(workspace.id, None).await?;
            let log = state.db.interaction_log(workspace.id).await?;
            let mut out = csv_record(&[
                "space_id",
                "space",
                "kind",
                "verdict",
                "member_to_member_share",
                "peer_first_response_rate",
                "lcc_share",
                "reciprocity_rho",
                "mau",
            ]);
            for space in spaces {
                if let Some(report) = log
                    .space_index(space.id)
                    .and_then(|index| health::health(&log, Some(index), window))
                {
                    out.push_str(&csv_record(&[
                        space.id.to_string(),
                        space.name.clone(),
                        space.kind.as_str().to_owned(),
                        report.verdict.verdict.as_str().to_owned(),
                        opt(&report.member_to_member.share),
                        opt(&report.first_response.peer_first_response_rate),
                        opt(&report.connectivity.lcc_share),
                        opt(&report.reciprocity.rho),
                        report.active.mau.to_string(),
                    ]));
                }
            }
            out
        }
        list if LISTS.iter().any(|(key, ..)| *key == list) => {
            let members = members_of_list(&state, workspace.id, &report, list).await?;
            let detail = LISTS
                .iter()
                .find(|(key, ..)| *key == list)
                .map(|(_, _, detail)| *detail)
                .unwrap_or("");
            let mut out = csv_record(&["member_id", "name", "handle", detail, "activated"]);
            for member in members {
                out.push_str(&csv_record(&[
                    member.id.to_string(),
                    member.name,
                    member.handle,
                    member.detail,
                    member
                        .activated
                        .map(|activated| activated.to_string())
                        .unwrap_or_default(),
                ]));
            }
            out
        }
        _ => {
            return Err(PageError::not_found(
                "There is no such table: summary, daily, cohorts, spaces, at_risk, lapsed, champions, newcomers, interactions or members.",
            ));
        }
    };
    Ok(csv_response(
        &format!("{slug}-{scope_name}-{table}.csv"),
        body,
    ))
}
