//! The content calendar page: month, week and list views of the publishing
//! engine's posts and the community's events, on the wall clock of a zone the
//! viewer picks, coloured by channel or by campaign, with filters. Posts that
//! have not gone out are dragged to another day or hour (`calendar.js`) or
//! moved with their "Move" form, which works without JavaScript. Also the
//! CSV export and the private calendar feed.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration, NaiveDate, Timelike};
use serde::Deserialize;

use agora_core::calendar::{
    CalendarPost, CalendarStore, CalendarZone, ColorBy, NO_CAMPAIGN_COLOR, StatusFilter, View,
    excerpt, network_color, network_label, parse_date,
};
use agora_core::desk::Campaign;
use agora_core::events::Event;
use agora_core::posts::{Channel, PostStore};
use agora_core::secrets::{random_token, token_digest};

use super::{PageError, PageResult, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::calendar::{FilterParams, Filters};
use crate::community::{Viewer, viewer};
use crate::pages::account::redirect_with_flash;
use crate::problem::Problem;
use crate::shell::Shell;

/// Items a month's day shows before "N more".
const MONTH_ITEMS_PER_DAY: usize = 4;
/// The hours the week view always shows (more when posts or events fall
/// outside them); a post goes to another hour by its Move form.
const FIRST_HOUR: u32 = 7;
const LAST_HOUR: u32 = 21;
/// Items an hour of the week shows before "N more".
const WEEK_ITEMS_PER_HOUR: usize = 5;

/// The page's query string, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CalendarParams {
    #[serde(default)]
    pub view: Option<String>,
    /// `YYYY-MM-DD`: a day in the month or week to show; default today.
    #[serde(default)]
    pub date: Option<String>,
    /// An IANA zone; default the first channel's.
    #[serde(default)]
    pub tz: Option<String>,
    /// `channel` (default) or `campaign`.
    #[serde(default)]
    pub color: Option<String>,
    #[serde(flatten)]
    pub filters: FilterParams,
    /// A new feed token, shown once after it was made.
    #[serde(default)]
    pub feed: Option<String>,
}

/// What the query string asks for, checked; mistakes are shown, and the
/// defaults used instead.
struct Resolved {
    view: View,
    anchor: NaiveDate,
    today: NaiveDate,
    zone: CalendarZone,
    /// The zone as asked in the query string (kept in links), if valid.
    tz_param: String,
    color: ColorBy,
    filters: Filters,
    filter_params: FilterParams,
    errors: Vec<String>,
}

fn trimmed(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|raw| !raw.is_empty())
}

async fn resolve(
    state: &AppState,
    workspace: i64,
    params: &CalendarParams,
) -> Result<Resolved, PageError> {
    let mut errors = Vec::new();
    let default_zone = crate::calendar::default_zone(state, workspace).await?;
    let (zone, tz_param) = match trimmed(&params.tz) {
        None => (default_zone, String::new()),
        Some(name) => match CalendarZone::parse(name) {
            Ok(zone) => {
                let name = zone.name().to_owned();
                (zone, name)
            }
            Err(message) => {
                errors.push(format!("Time zone: {message}."));
                (default_zone, String::new())
            }
        },
    };
    let today = zone.date_of(state.clock.now());
    let view = match trimmed(&params.view) {
        None => View::Month,
        Some(raw) => View::parse(raw).unwrap_or_else(|| {
            errors.push(format!("{raw:?} is not a view: use month, week or list."));
            View::Month
        }),
    };
    let anchor = match trimmed(&params.date) {
        None => today,
        Some(raw) => parse_date(raw).unwrap_or_else(|message| {
            errors.push(format!("Date: {message}."));
            today
        }),
    };
    let color = trimmed(&params.color)
        .and_then(ColorBy::parse)
        .unwrap_or_default();
    let (filters, filter_params) = match params.filters.parse() {
        Ok(filters) => (filters, params.filters.clone()),
        Err(problem) => {
            for error in problem.errors {
                errors.push(format!(
                    "Filter {}: {}.",
                    error.pointer.trim_start_matches('/'),
                    error.detail
                ));
            }
            (Filters::default(), FilterParams::default())
        }
    };
    Ok(Resolved {
        view,
        anchor,
        today,
        zone,
        tz_param,
        color,
        filters,
        filter_params,
        errors,
    })
}

/// A calendar address with the given view and date, keeping the zone, the
/// colouring and the filters.
fn query_string(resolved: &Resolved, view: View, date: NaiveDate, color: ColorBy) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("view", view.as_str().to_owned()),
        ("date", date.format("%Y-%m-%d").to_string()),
    ];
    if !resolved.tz_param.is_empty() {
        pairs.push(("tz", resolved.tz_param.clone()));
    }
    if color != ColorBy::Channel {
        pairs.push(("color", color.as_str().to_owned()));
    }
    let filters = &resolved.filter_params;
    for (name, value) in [
        ("channel", &filters.channel),
        ("campaign", &filters.campaign),
        ("status", &filters.status),
        ("author", &filters.author),
    ] {
        if let Some(value) = trimmed(value) {
            pairs.push((name, value.to_owned()));
        }
    }
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", urlencoding::encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A channel's dot on a post.
pub struct Dot {
    pub color: String,
    pub name: String,
}

/// A post or an event, placed on the calendar.
pub struct Item {
    pub is_post: bool,
    pub id: i64,
    pub href: String,
    pub date: NaiveDate,
    pub hour: u32,
    /// `09:00`; for events `19:00–21:00`.
    pub time: String,
    pub title: String,
    /// The whole first text (posts) or the group and format (events).
    pub detail: String,
    pub color: String,
    pub dots: Vec<Dot>,
    pub channels: String,
    pub status_class: String,
    pub status_label: &'static str,
    pub glyph: &'static str,
    pub movable: bool,
    /// The "Move" form's fields, as shown (the post's own, or as typed).
    pub move_date: String,
    pub move_time: String,
    pub move_error: Option<String>,
    sort: (i64, u8, i64),
}

impl Item {
    pub fn move_open(&self) -> bool {
        self.move_error.is_some()
    }
}

fn status_glyph(label: &str) -> &'static str {
    match label {
        "scheduled" => "◷",
        "draft" => "✎",
        "published" => "✓",
        "publishing" => "↑",
        "partial" => "◐",
        "failed" => "⚠",
        "unconfirmed" => "?",
        "awaiting approval" => "⏳",
        "changes requested" => "↺",
        _ => "•",
    }
}

/// A "Move" that failed, shown on its post's form.
pub struct MoveError {
    pub post: i64,
    pub date: String,
    pub time: String,
    pub message: String,
}

struct Palette<'a> {
    color: ColorBy,
    channels: HashMap<i64, &'a Channel>,
    campaigns: HashMap<i64, &'a Campaign>,
}

impl Palette<'_> {
    fn post_color(&self, post: &CalendarPost) -> String {
        match self.color {
            ColorBy::Channel => post
                .targets
                .first()
                .map_or(NO_CAMPAIGN_COLOR, |target| network_color(target.network))
                .to_owned(),
            ColorBy::Campaign => post
                .campaign_id
                .and_then(|id| self.campaigns.get(&id))
                .map_or_else(|| NO_CAMPAIGN_COLOR.to_owned(), |c| c.color.clone()),
        }
    }
}

fn post_item(
    ws: &str,
    post: &CalendarPost,
    zone: &CalendarZone,
    palette: &Palette,
    move_error: Option<&MoveError>,
) -> Item {
    let at = post.at();
    let date = zone.date_of(at);
    let time = zone.time_of(at);
    let label = post.status_label();
    let channels = post
        .targets
        .iter()
        .map(|target| target.channel_name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let dots = post
        .targets
        .iter()
        .map(|target| Dot {
            color: palette
                .channels
                .get(&target.channel_id)
                .map_or_else(
                    || network_color(target.network),
                    |c| network_color(c.network),
                )
                .to_owned(),
            name: format!(
                "{} ({})",
                target.channel_name,
                network_label(target.network)
            ),
        })
        .collect();
    let failed_move = move_error.filter(|error| error.post == post.id);
    Item {
        is_post: true,
        id: post.id,
        href: format!("/w/{ws}/posts/{}", post.id),
        date,
        hour: time.hour(),
        time: time.format("%H:%M").to_string(),
        title: excerpt(post.text(), 90),
        detail: post.text().to_owned(),
        color: palette.post_color(post),
        dots,
        channels,
        status_class: label.replace(' ', "-"),
        status_label: label,
        glyph: status_glyph(label),
        movable: post.can_move(),
        move_date: failed_move.map_or_else(
            || date.format("%Y-%m-%d").to_string(),
            |error| error.date.clone(),
        ),
        move_time: failed_move.map_or_else(
            || time.format("%H:%M").to_string(),
            |error| error.time.clone(),
        ),
        move_error: failed_move.map(|error| error.message.clone()),
        sort: (at.millis(), 1, post.id),
    }
}

fn event_item(ws: &str, event: &Event, zone: &CalendarZone) -> Item {
    let start = event.details.starts_at;
    let date = zone.date_of(start);
    let time = zone.time_of(start);
    let end = zone.time_of(event.details.ends_at);
    let end_label = if zone.date_of(event.details.ends_at) == date {
        end.format("%H:%M").to_string()
    } else {
        format!(
            "{} {}",
            zone.date_of(event.details.ends_at).format("%a %-d %b"),
            end.format("%H:%M")
        )
    };
    Item {
        is_post: false,
        id: event.id,
        href: format!("/w/{ws}/events/{}", event.id),
        date,
        hour: time.hour(),
        time: format!("{}–{end_label}", time.format("%H:%M")),
        title: event.details.title.clone(),
        detail: format!("{} · {}", event.group_name, event.details.format.as_str()),
        color: String::new(),
        dots: Vec::new(),
        channels: String::new(),
        status_class: "event".to_owned(),
        status_label: "event",
        glyph: "◆",
        movable: false,
        move_date: String::new(),
        move_time: String::new(),
        move_error: None,
        sort: (start.millis(), 0, event.id),
    }
}

/// A day of the month or list view.
pub struct Day {
    pub date: NaiveDate,
    pub iso: String,
    pub in_range: bool,
    pub is_today: bool,
    /// Later days take a dragged post (a past day would be refused).
    pub droppable: bool,
    pub items: Vec<Item>,
    pub more: usize,
    pub more_href: String,
}

impl Day {
    pub fn weekday(&self) -> String {
        self.date.format("%a").to_string()
    }

    pub fn weekday_long(&self) -> String {
        self.date.format("%A").to_string()
    }

    pub fn day_number(&self) -> u32 {
        self.date.day()
    }

    pub fn month_short(&self) -> String {
        self.date.format("%b").to_string()
    }

    pub fn long(&self) -> String {
        self.date.format("%A %-d %B %Y").to_string()
    }
}

/// One hour of one day in the week view.
pub struct Slot {
    pub iso: String,
    pub hour: String,
    pub label: String,
    pub is_today: bool,
    pub droppable: bool,
    /// The slot's place when the week collapses to a list on a phone.
    pub order: usize,
    pub items: Vec<Item>,
    pub more: usize,
    pub more_href: String,
}

pub struct HourRow {
    pub label: String,
    pub slots: Vec<Slot>,
}

/// A column heading of the week view.
pub struct WeekDay {
    pub weekday: String,
    pub day: String,
    pub long: String,
    pub is_today: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct LegendEntry {
    pub name: String,
    pub color: String,
}

pub struct ViewLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    shell: Shell,
    ws: String,
    view: &'static str,
    heading: String,
    zone: String,
    zone_abbreviation: String,
    zone_is_default: bool,
    errors: Vec<String>,
    alert: Option<String>,
    views: Vec<ViewLink>,
    colors: Vec<ViewLink>,
    previous_href: String,
    next_href: String,
    today_href: String,
    back: String,
    /// Hidden fields of the filter form (view, date, colour).
    date_param: String,
    color_param: String,
    tz_param: String,
    channels: Vec<Choice>,
    campaigns: Vec<Choice>,
    statuses: Vec<Choice>,
    authors: Vec<Choice>,
    zones: Vec<String>,
    filtered: bool,
    legend: Vec<LegendEntry>,
    weeks: Vec<Vec<Day>>,
    week_days: Vec<WeekDay>,
    hours: Vec<HourRow>,
    list_days: Vec<Day>,
    n_posts: usize,
    n_events: usize,
    export_from: String,
    export_to: String,
    has_feed: bool,
    feed_url: Option<String>,
}

/// The calendar page.
pub async fn calendar(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<CalendarParams>,
) -> PageResult {
    calendar_page(&state, &ctx, &params, None, None, StatusCode::OK).await
}

async fn calendar_page(
    state: &AppState,
    ctx: &Ctx,
    params: &CalendarParams,
    move_error: Option<MoveError>,
    alert: Option<String>,
    status: StatusCode,
) -> PageResult {
    let viewer = viewer(state, ctx).await?;
    let ws = viewer.workspace_slug.clone();
    let resolved = resolve(state, viewer.workspace_id, params).await?;
    let zone = &resolved.zone;
    let (first, end) = resolved.view.days(resolved.anchor);
    let window = crate::calendar::window(
        state,
        &viewer,
        zone.start_of(first),
        zone.start_of(end),
        resolved.filters,
    )
    .await?;
    let channels = state.db.channels(viewer.workspace_id).await?;
    let campaigns = crate::calendar::campaigns(state, viewer.workspace_id).await?;
    let palette = Palette {
        color: resolved.color,
        channels: channels.iter().map(|c| (c.id, c)).collect(),
        campaigns: campaigns.iter().map(|c| (c.id, c)).collect(),
    };
    let mut items: Vec<Item> = window
        .posts
        .iter()
        .map(|post| post_item(&ws, post, zone, &palette, move_error.as_ref()))
        .chain(
            window
                .events
                .iter()
                .map(|event| event_item(&ws, event, zone)),
        )
        .filter(|item| item.date >= first && item.date < end)
        .collect();
    items.sort_by_key(|item| item.sort);
    let (n_posts, n_events) = (
        items.iter().filter(|i| i.is_post).count(),
        items.iter().filter(|i| !i.is_post).count(),
    );
    let mut by_day: HashMap<NaiveDate, Vec<Item>> = HashMap::new();
    for item in items {
        by_day.entry(item.date).or_default().push(item);
    }
    let now_hour = zone.time_of(state.clock.now()).hour();
    let list_href = |date: NaiveDate| {
        format!(
            "/w/{ws}/calendar?{}#day-{}",
            query_string(&resolved, View::List, date, resolved.color),
            date.format("%Y-%m-%d")
        )
    };
    let month_start = resolved.anchor.with_day(1).unwrap_or(resolved.anchor);
    let (mut weeks, mut week_days, mut hours, mut list_days) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    match resolved.view {
        View::Month => {
            let mut date = first;
            while date < end {
                let mut week = Vec::new();
                for _ in 0..7 {
                    let mut day_items = by_day.remove(&date).unwrap_or_default();
                    let more = day_items.len().saturating_sub(MONTH_ITEMS_PER_DAY);
                    day_items.truncate(MONTH_ITEMS_PER_DAY);
                    week.push(Day {
                        date,
                        iso: date.format("%Y-%m-%d").to_string(),
                        in_range: date.month() == month_start.month(),
                        is_today: date == resolved.today,
                        droppable: date >= resolved.today,
                        items: day_items,
                        more,
                        more_href: list_href(date),
                    });
                    date += Duration::days(1);
                }
                weeks.push(week);
            }
        }
        View::Week => {
            let days: Vec<NaiveDate> = (0..7).map(|n| first + Duration::days(n)).collect();
            week_days = days
                .iter()
                .map(|date| WeekDay {
                    weekday: date.format("%a").to_string(),
                    day: date.format("%-d").to_string(),
                    long: date.format("%A %-d %B").to_string(),
                    is_today: *date == resolved.today,
                })
                .collect();
            let mut by_slot: HashMap<(NaiveDate, u32), Vec<Item>> = HashMap::new();
            for (date, day_items) in by_day.drain() {
                for item in day_items {
                    by_slot.entry((date, item.hour)).or_default().push(item);
                }
            }
            // Working hours always, and any other hour that holds something.
            let busy: Vec<u32> = by_slot.keys().map(|(_, hour)| *hour).collect();
            let first_hour = busy
                .iter()
                .copied()
                .min()
                .unwrap_or(FIRST_HOUR)
                .min(FIRST_HOUR);
            let last_hour = busy
                .iter()
                .copied()
                .max()
                .unwrap_or(LAST_HOUR)
                .max(LAST_HOUR);
            for hour in first_hour..=last_hour {
                let slots = days
                    .iter()
                    .enumerate()
                    .map(|(n, date)| {
                        let mut slot_items = by_slot.remove(&(*date, hour)).unwrap_or_default();
                        let more = slot_items.len().saturating_sub(WEEK_ITEMS_PER_HOUR);
                        slot_items.truncate(WEEK_ITEMS_PER_HOUR);
                        Slot {
                            iso: date.format("%Y-%m-%d").to_string(),
                            hour: format!("{hour:02}"),
                            label: format!("{} · {hour:02}:00", date.format("%A %-d %B")),
                            is_today: *date == resolved.today,
                            droppable: *date > resolved.today
                                || (*date == resolved.today && hour >= now_hour),
                            order: n * 24 + hour as usize,
                            items: slot_items,
                            more,
                            more_href: list_href(*date),
                        }
                    })
                    .collect();
                hours.push(HourRow {
                    label: format!("{hour:02}:00"),
                    slots,
                });
            }
        }
        View::List => {
            let mut dates: Vec<NaiveDate> = by_day.keys().copied().collect();
            dates.sort();
            for date in dates {
                list_days.push(Day {
                    date,
                    iso: date.format("%Y-%m-%d").to_string(),
                    in_range: true,
                    is_today: date == resolved.today,
                    droppable: date >= resolved.today,
                    items: by_day.remove(&date).unwrap_or_default(),
                    more: 0,
                    more_href: String::new(),
                });
            }
        }
    }
    let heading = match resolved.view {
        View::Month | View::List => month_start.format("%B %Y").to_string(),
        View::Week => {
            let last = end - Duration::days(1);
            if first.month() == last.month() {
                format!("{} – {}", first.format("%-d"), last.format("%-d %B %Y"))
            } else if first.year() == last.year() {
                format!("{} – {}", first.format("%-d %B"), last.format("%-d %B %Y"))
            } else {
                format!(
                    "{} – {}",
                    first.format("%-d %B %Y"),
                    last.format("%-d %B %Y")
                )
            }
        }
    };
    let (previous, next) = resolved.view.neighbours(resolved.anchor);
    let href = |view: View, date: NaiveDate, color: ColorBy| {
        format!(
            "/w/{ws}/calendar?{}",
            query_string(&resolved, view, date, color)
        )
    };
    let views = [View::Month, View::Week, View::List]
        .into_iter()
        .map(|view| ViewLink {
            label: match view {
                View::Month => "Month",
                View::Week => "Week",
                View::List => "List",
            },
            href: href(view, resolved.anchor, resolved.color),
            current: view == resolved.view,
        })
        .collect();
    let colors = [ColorBy::Channel, ColorBy::Campaign]
        .into_iter()
        .map(|color| ViewLink {
            label: match color {
                ColorBy::Channel => "Channel",
                ColorBy::Campaign => "Campaign",
            },
            href: href(resolved.view, resolved.anchor, color),
            current: color == resolved.color,
        })
        .collect();
    let selected = |raw: &Option<String>, value: &str| trimmed(raw) == Some(value);
    let filter_params = &resolved.filter_params;
    let channel_choices = channels
        .iter()
        .map(|channel| Choice {
            value: channel.id.to_string(),
            label: channel.name.clone(),
            selected: selected(&filter_params.channel, &channel.id.to_string()),
        })
        .collect();
    let campaign_choices = campaigns
        .iter()
        .map(|campaign| Choice {
            value: campaign.id.to_string(),
            label: campaign.name.clone(),
            selected: selected(&filter_params.campaign, &campaign.id.to_string()),
        })
        .collect();
    let statuses = StatusFilter::ALL
        .into_iter()
        .map(|status| Choice {
            value: status.as_str().to_owned(),
            label: status.label().to_owned(),
            selected: resolved.filters.status == Some(status),
        })
        .collect();
    let authors = state
        .db
        .post_authors(viewer.workspace_id)
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            selected: resolved.filters.author == Some(id),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let legend = match resolved.color {
        ColorBy::Channel => channels
            .iter()
            .map(|channel| LegendEntry {
                name: channel.name.clone(),
                color: network_color(channel.network).to_owned(),
            })
            .collect(),
        ColorBy::Campaign => campaigns
            .iter()
            .map(|campaign| LegendEntry {
                name: campaign.name.clone(),
                color: campaign.color.clone(),
            })
            .chain(std::iter::once(LegendEntry {
                name: "No campaign".to_owned(),
                color: NO_CAMPAIGN_COLOR.to_owned(),
            }))
            .collect(),
    };
    let mut zones: Vec<String> = channels.iter().map(|c| c.timezone.clone()).collect();
    zones.push("UTC".to_owned());
    zones.sort();
    zones.dedup();
    let back = query_string(&resolved, resolved.view, resolved.anchor, resolved.color);
    // The export covers what the view is about: the week, or the month.
    let (export_from, export_to) = match resolved.view {
        View::Week => (first, end - Duration::days(1)),
        View::Month | View::List => (
            month_start,
            agora_core::calendar::add_months(month_start, 1) - Duration::days(1),
        ),
    };
    // A month that changes clocks shows both names (CET/CEST).
    let (opening, closing) = (
        zone.abbreviation(zone.start_of(first)),
        zone.abbreviation(zone.start_of(end).plus_millis(-1)),
    );
    let zone_abbreviation = if opening == closing {
        opening
    } else {
        format!("{opening}/{closing}")
    };
    let shell = Shell::build(state, ctx, "Calendar").await;
    let page = CalendarPage {
        shell,
        view: resolved.view.as_str(),
        heading,
        zone: zone.name().to_owned(),
        zone_abbreviation,
        zone_is_default: resolved.tz_param.is_empty(),
        errors: resolved.errors.clone(),
        alert,
        views,
        colors,
        previous_href: href(resolved.view, previous, resolved.color),
        next_href: href(resolved.view, next, resolved.color),
        today_href: href(resolved.view, resolved.today, resolved.color),
        back,
        date_param: resolved.anchor.format("%Y-%m-%d").to_string(),
        color_param: resolved.color.as_str().to_owned(),
        tz_param: resolved.tz_param.clone(),
        channels: channel_choices,
        campaigns: campaign_choices,
        statuses,
        authors,
        zones,
        filtered: resolved.filters != Filters::default(),
        legend,
        weeks,
        week_days,
        hours,
        list_days,
        n_posts,
        n_events,
        export_from: export_from.format("%Y-%m-%d").to_string(),
        export_to: export_to.format("%Y-%m-%d").to_string(),
        has_feed: state.db.has_calendar_feed_token(viewer.member_id).await?,
        feed_url: trimmed(&params.feed)
            .map(|token| format!("{}/feeds/calendar/{token}.ics", state.settings.public_url)),
        ws,
    };
    Ok(render_with_status(status, &page))
}

#[derive(Debug, Deserialize)]
pub struct MovePath {
    pub workspace: String,
    pub post: i64,
}

/// The "Move" form (and what drag and drop sends).
#[derive(Debug, Default, Deserialize)]
pub struct MoveForm {
    /// `YYYY-MM-DD` in `tz`.
    #[serde(default)]
    pub date: String,
    /// `HH:MM` in `tz`; empty keeps the post's local time of day.
    #[serde(default)]
    pub time: String,
    /// The calendar's zone; default the workspace's.
    #[serde(default)]
    pub tz: String,
    /// The calendar's query string, to go back to.
    #[serde(default)]
    pub back: String,
}

/// The calendar state a form came from (its `back` field).
fn params_of(back: &str) -> CalendarParams {
    format!("/?{}", back.trim_start_matches('?'))
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|uri| Query::<CalendarParams>::try_from_uri(&uri).ok())
        .map(|Query(params)| CalendarParams {
            feed: None,
            ..params
        })
        .unwrap_or_default()
}

/// Moves a post; back to the calendar with a note, or the calendar again
/// with the form's error next to its fields.
pub async fn move_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MovePath>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let params = params_of(&form.back);
    let zone = match crate::calendar::zone(&state, viewer.workspace_id, Some(&form.tz)).await {
        Ok(zone) => zone,
        Err(_) => crate::calendar::default_zone(&state, viewer.workspace_id).await?,
    };
    let time = Some(form.time.as_str());
    match crate::calendar::move_to_local(&state, &viewer, path.post, &zone, &form.date, time).await
    {
        Ok(at) => {
            let what = match state.db.post(viewer.workspace_id, path.post).await? {
                Some(post) => format!(
                    "“{}”",
                    excerpt(
                        post.targets
                            .first()
                            .map(|target| target.text.as_str())
                            .unwrap_or_default(),
                        60
                    )
                ),
                None => "The post".to_owned(),
            };
            let resolved = resolve(&state, viewer.workspace_id, &params).await?;
            let back = query_string(&resolved, resolved.view, resolved.anchor, resolved.color);
            Ok(redirect_with_flash(
                &state,
                &format!("/w/{}/calendar?{back}", viewer.workspace_slug),
                &format!(
                    "{what} moved to {} ({}).",
                    zone.date_of(at).format("%A %-d %B %Y"),
                    format_args!("{} {}", zone.time_of(at).format("%H:%M"), zone.name())
                ),
            ))
        }
        Err(problem) if problem.status == 404 => Err(problem.into()),
        Err(problem) => {
            let message = moving_error(&problem);
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            calendar_page(
                &state,
                &ctx,
                &params,
                Some(MoveError {
                    post: path.post,
                    date: form.date.clone(),
                    time: form.time.clone(),
                    message: message.clone(),
                }),
                Some(format!("The post was not moved: {message}.")),
                status,
            )
            .await
        }
    }
}

/// A problem in words, for the form.
fn moving_error(problem: &Problem) -> String {
    let words: Vec<String> = problem
        .errors
        .iter()
        .map(|error| error.detail.clone())
        .collect();
    if words.is_empty() {
        problem
            .detail
            .clone()
            .unwrap_or_else(|| problem.title.clone())
    } else {
        words.join("; ")
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsvParams {
    /// First day, `YYYY-MM-DD`, in `tz`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (included).
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(flatten)]
    pub filters: FilterParams,
}

fn unprocessable(message: String) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// The CSV export of a date range: one record per post target.
pub async fn export(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<CsvParams>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let zone = match crate::calendar::zone(&state, viewer.workspace_id, params.tz.as_deref()).await
    {
        Ok(zone) => zone,
        Err(problem) => return Ok(unprocessable(format!("tz: {}", moving_error(&problem)))),
    };
    let day = |field: &str, raw: &Option<String>| match trimmed(raw) {
        None => Err(format!(
            "{field}: give the {} day of the export as a date like 2026-05-01",
            if field == "from" { "first" } else { "last" }
        )),
        Some(raw) => parse_date(raw).map_err(|message| format!("{field}: {message}")),
    };
    let (from, to) = match (day("from", &params.from), day("to", &params.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            let messages: Vec<String> = [from.err(), to.err()].into_iter().flatten().collect();
            return Ok(unprocessable(messages.join("\n")));
        }
    };
    if to < from {
        return Ok(unprocessable(
            "to: the last day must not be before the first (from)".to_owned(),
        ));
    }
    if (to - from).num_days() >= agora_core::calendar::MAX_WINDOW_DAYS {
        return Ok(unprocessable(format!(
            "to: export at most {} days at once",
            agora_core::calendar::MAX_WINDOW_DAYS
        )));
    }
    let filters = match params.filters.parse() {
        Ok(filters) => filters,
        Err(problem) => return Ok(unprocessable(moving_error(&problem))),
    };
    let posts = state
        .db
        .calendar_posts(
            viewer.workspace_id,
            &filters.query(zone.start_of(from), zone.start_of(to + Duration::days(1))),
        )
        .await?;
    let campaigns = crate::calendar::campaigns(&state, viewer.workspace_id).await?;
    let body = crate::calendar::csv(&posts, &zone, &campaigns, filters.channel);
    let filename = format!(
        "calendar-{}-{}-to-{}.csv",
        viewer.workspace_slug,
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    );
    Ok((
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
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct FeedForm {
    /// `revoke` turns the feed off; anything else makes a new address.
    #[serde(default)]
    pub action: String,
}

/// Makes, replaces or turns off the viewer's private calendar feed.
pub async fn feed(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<FeedForm>,
) -> PageResult {
    let viewer: Viewer = viewer(&state, &ctx).await?;
    let now = state.clock.now();
    if form.action == "revoke" {
        state
            .db
            .set_calendar_feed_token(viewer.member_id, None, now)
            .await?;
        return Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/calendar", viewer.workspace_slug),
            "Your calendar feed is turned off: its address no longer works.",
        ));
    }
    let token = random_token(24);
    state
        .db
        .set_calendar_feed_token(viewer.member_id, Some(&token_digest(&token)), now)
        .await?;
    Ok(Redirect::to(&format!(
        "/w/{}/calendar?feed={token}#feed",
        viewer.workspace_slug
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct FeedPath {
    pub token: String,
}

/// A marketer's private calendar feed (no cookie: the token is the key).
pub async fn private_feed(State(state): State<AppState>, Path(path): Path<FeedPath>) -> Response {
    let token = path.token.strip_suffix(".ics").unwrap_or(&path.token);
    let gone = || {
        (
            StatusCode::NOT_FOUND,
            "This calendar feed was turned off or never existed.",
        )
            .into_response()
    };
    let owner = match state.db.calendar_feed_owner(&token_digest(token)).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return gone(),
        Err(error) => return PageError::from(error).into_response(),
    };
    match crate::calendar::feed(&state, &owner).await {
        Ok(Some(body)) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"content-calendar.ics\"",
                ),
            ],
            body,
        )
            .into_response(),
        Ok(None) => gone(),
        Err(error) => PageError::from(error).into_response(),
    }
}
