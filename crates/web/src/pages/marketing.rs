//! The marketer's pages: published and scheduled posts, and the calendar.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use agora_core::Timestamp;
use agora_core::publishing::{PagePost, PostStatus, PublishingStore};

use agora_core::posts::{Channel, Post, PostStore};

use super::{PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::shell::Shell;

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    shell: Shell,
    /// Posts of the publishing engine, newest first.
    posts: Vec<Post>,
    channels: Vec<Channel>,
    scheduled: Vec<PagePost>,
    published: Vec<PagePost>,
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    publish_page(&state, &ctx).await
}

/// The publish page, with the compose form as typed and its errors.
pub async fn publish_page(state: &AppState, ctx: &Ctx) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let page_posts = state.db.recent_page_posts(workspace.id, 200).await?;
    let (mut scheduled, published): (Vec<PagePost>, Vec<PagePost>) = page_posts
        .into_iter()
        .partition(|post| post.status != PostStatus::Published);
    scheduled.sort_by_key(|post| post.at);
    let published = published.into_iter().take(40).collect();
    let channels = state.db.channels(workspace.id).await?;
    let shell = Shell::build(state, ctx, "Publish").await;
    Ok(render(&PublishPage {
        shell,
        posts: {
            // Posts that need a person first (whatever their age), then the newest.
            let all = state.db.posts(workspace.id, 500).await?;
            let (attention, rest): (Vec<Post>, Vec<Post>) = all.into_iter().partition(|post| {
                post.approval == "pending"
                    || post.targets.iter().any(|t| {
                        matches!(
                            t.status,
                            agora_core::posts::TargetStatus::Failed
                                | agora_core::posts::TargetStatus::Unconfirmed
                                | agora_core::posts::TargetStatus::Retrying
                        )
                    })
            });
            attention
                .into_iter()
                .chain(rest.into_iter().take(50))
                .collect()
        },
        channels,
        scheduled,
        published,
    }))
}

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    /// `YYYY-MM`; defaults to the current month (UTC).
    month: Option<String>,
}

pub struct CalendarDay {
    pub date: NaiveDate,
    pub in_month: bool,
    pub is_today: bool,
    pub posts: Vec<PagePost>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    shell: Shell,
    month_label: String,
    previous_month: String,
    next_month: String,
    weeks: Vec<Vec<CalendarDay>>,
    month_error: Option<String>,
}

fn month_start(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, String> {
    match raw {
        None | Some("") => Ok(today.with_day(1).unwrap_or(today)),
        Some(text) => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
            .map_err(|_| format!("`{text}` is not a month like 2026-11")),
    }
}

pub async fn calendar(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<MonthQuery>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let today = state.clock.now().to_datetime().date_naive();
    let (first, month_error) = match month_start(query.month.as_deref(), today) {
        Ok(first) => (first, None),
        Err(error) => (today.with_day(1).unwrap_or(today), Some(error)),
    };
    let grid_start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let grid_end = grid_start + Duration::days(42);
    let to_timestamp = |date: NaiveDate| {
        Timestamp::from(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default()))
    };
    let posts = state
        .db
        .page_posts_between(
            workspace.id,
            to_timestamp(grid_start),
            to_timestamp(grid_end),
        )
        .await?;
    let mut weeks = Vec::new();
    for week in 0..6 {
        let mut days = Vec::new();
        for weekday in 0..7 {
            let date = grid_start + Duration::days(week * 7 + weekday);
            let day_posts = posts
                .iter()
                .filter(|post| post.at.to_datetime().date_naive() == date)
                .cloned()
                .collect();
            days.push(CalendarDay {
                date,
                in_month: date.month() == first.month(),
                is_today: date == today,
                posts: day_posts,
            });
        }
        weeks.push(days);
    }
    let previous = (first - Duration::days(1)).with_day(1).unwrap_or(first);
    let next = (first + Duration::days(32)).with_day(1).unwrap_or(first);
    let shell = Shell::build(&state, &ctx, "Calendar").await;
    Ok(render(&CalendarPage {
        shell,
        month_label: first.format("%B %Y").to_string(),
        previous_month: previous.format("%Y-%m").to_string(),
        next_month: next.format("%Y-%m").to_string(),
        weeks,
        month_error,
    }))
}
