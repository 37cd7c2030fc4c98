//! A channel's queue page: its weekly slots (add, remove), its timezone,
//! pausing and resuming the queue, the coming slots, and its best times to
//! post as a weekday × hour heatmap with the next three best free times.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use agora_core::best_time::{BestTimes, Source};
use agora_core::posts::{Channel, utc_to_local};
use agora_core::slots::{
    self, Queue, Slot, SlotStore, WEEKDAY_LABELS, WEEKDAYS, parse_time_of_day,
};

use super::channels::ChannelPath;
use super::compose::url_pairs;
use super::{FieldErrors, PageError, PageResult, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::pages::account::redirect_with_flash;
use crate::problem::Problem;
use crate::shell::Shell;
use crate::slots::{QueueBody, SlotBody};

/// One hour of the heatmap.
pub struct HeatCell {
    /// 0 (nothing) to 10 (the best hour), for the colour.
    pub level: u8,
    /// The value and the hour, for the title and screen readers.
    pub label: String,
    pub value: String,
}

/// One day of the heatmap.
pub struct HeatRow {
    pub day: &'static str,
    pub short: &'static str,
    pub cells: Vec<HeatCell>,
}

/// A coming slot, and whether a post already holds it.
pub struct ComingSlot {
    pub local: String,
    pub taken: bool,
}

/// What was typed in the page's forms, kept when they are sent back.
#[derive(Debug, Clone, Default)]
pub struct QueueForm {
    pub weekdays: Vec<String>,
    pub time: String,
    pub timezone: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    shell: Shell,
    channel: Channel,
    queue: Queue,
    weekdays: Vec<(&'static str, &'static str)>,
    form: QueueForm,
    errors: FieldErrors,
    coming: Vec<ComingSlot>,
    source: &'static str,
    description: String,
    unit: &'static str,
    heatmap: Vec<HeatRow>,
    best_next: Vec<String>,
}

fn heat_rows(best: &BestTimes) -> Vec<HeatRow> {
    let max = best
        .grid
        .iter()
        .flat_map(|day| day.iter())
        .fold(0.0_f64, |max, v| max.max(*v));
    let unit = if best.source == Source::Default {
        "relative score"
    } else {
        "engagements per post"
    };
    best.grid
        .iter()
        .enumerate()
        .map(|(day, hours)| HeatRow {
            day: WEEKDAY_LABELS[day],
            short: &WEEKDAY_LABELS[day][..3],
            cells: hours
                .iter()
                .enumerate()
                .map(|(hour, value)| {
                    let level = if max > 0.0 {
                        (value / max * 10.0).round().clamp(0.0, 10.0) as u8
                    } else {
                        0
                    };
                    HeatCell {
                        level,
                        label: format!(
                            "{} {hour:02}:00–{:02}:00: {value} {unit}",
                            WEEKDAY_LABELS[day],
                            (hour + 1) % 24
                        ),
                        value: format!("{value}"),
                    }
                })
                .collect(),
        })
        .collect()
}

async fn queue_page(
    state: &AppState,
    ctx: &Ctx,
    channel: Channel,
    form: QueueForm,
    errors: FieldErrors,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let queue = state.db.queue(channel.id).await?;
    let now = state.clock.now();
    let taken = state.db.taken_times(channel.id, now, None).await?;
    let coming = slots::slot_instants(
        &queue.slots,
        slots::timezone_or_utc(&queue.timezone),
        now,
        now.plus_seconds(14 * 86_400),
    )
    .into_iter()
    .take(6)
    .map(|at| ComingSlot {
        local: utc_to_local(at, &queue.timezone),
        taken: taken.contains(&at),
    })
    .collect();
    let best = crate::slots::best_times(state, workspace.id, &channel).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = QueueForm {
        timezone: if form.timezone.is_empty() {
            queue.timezone.clone()
        } else {
            form.timezone
        },
        ..form
    };
    let page = QueuePage {
        shell: Shell::build(state, ctx, format!("Queue of {}", channel.name)).await,
        weekdays: WEEKDAYS.into_iter().zip(WEEKDAY_LABELS).collect(),
        form,
        errors,
        coming,
        source: best.source.as_str(),
        description: best.description.clone(),
        unit: if best.source == Source::Default {
            "relative score, 1 is best"
        } else {
            "mean engagements per post"
        },
        heatmap: heat_rows(&best),
        best_next: best
            .next
            .iter()
            .map(|at| utc_to_local(*at, &channel.timezone))
            .collect(),
        channel,
        queue,
    };
    Ok(render_with_status(status, &page))
}

async fn channel_of(state: &AppState, ctx: &Ctx, id: i64) -> Result<Channel, PageError> {
    let (workspace, _) = ctx.workspace()?;
    Ok(crate::slots::channel(state, workspace.id, id).await?)
}

pub async fn queue(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ChannelPath>,
) -> PageResult {
    let channel = channel_of(&state, &ctx, path.channel).await?;
    queue_page(
        &state,
        &ctx,
        channel,
        QueueForm::default(),
        FieldErrors::default(),
    )
    .await
}

fn slot_bodies(slots: &[Slot]) -> Vec<SlotBody> {
    slots
        .iter()
        .map(|slot| SlotBody {
            weekday: slot.weekday_name().to_owned(),
            time: slot.time(),
        })
        .collect()
}

/// The queue's forms: `add` (weekdays and a time), `remove` (a slot),
/// `timezone`, `pause` and `resume`.
pub async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ChannelPath>,
    body: axum::body::Bytes,
) -> PageResult {
    let channel = channel_of(&state, &ctx, path.channel).await?;
    let back = format!("/w/{}/channels/{}/queue", path.workspace, channel.id);
    let mut form = QueueForm::default();
    let (mut action, mut remove) = (String::new(), String::new());
    for (key, value) in url_pairs(&body) {
        match key.as_str() {
            "action" => action = value,
            "weekday" => form.weekdays.push(value),
            "time" => form.time = value,
            "timezone" => form.timezone = value,
            "slot" => remove = value,
            _ => {}
        }
    }
    let queue = state.db.queue(channel.id).await?;
    let mut errors = FieldErrors::default();
    let saved = match action.as_str() {
        "add" => {
            if form.weekdays.is_empty() {
                errors.add("weekday", "choose at least one day");
            }
            if let Err(message) = parse_time_of_day(&form.time) {
                errors.add("time", message);
            }
            if !errors.is_empty() {
                return queue_page(&state, &ctx, channel, form, errors).await;
            }
            let mut wanted = slot_bodies(&queue.slots);
            let n_before = wanted.len();
            wanted.extend(form.weekdays.iter().map(|weekday| SlotBody {
                weekday: weekday.clone(),
                time: form.time.clone(),
            }));
            let body = QueueBody {
                timezone: None,
                paused: None,
                slots: wanted,
            };
            crate::slots::save_queue(&state, &channel, &body)
                .await
                .map(|saved| {
                    let n_added = saved.slots.len().saturating_sub(n_before);
                    format!(
                        "{n_added} slot(s) added at {} ({}).",
                        form.time.trim(),
                        saved.timezone
                    )
                })
        }
        "remove" => {
            let Some(gone) = Slot::parse_key(&remove) else {
                return Err(PageError::not_found("There is no such slot."));
            };
            let kept: Vec<Slot> = queue.slots.iter().copied().filter(|s| *s != gone).collect();
            let body = QueueBody {
                timezone: None,
                paused: None,
                slots: slot_bodies(&kept),
            };
            crate::slots::save_queue(&state, &channel, &body)
                .await
                .map(|_| format!("{} {} removed.", gone.weekday_label(), gone.time()))
        }
        "timezone" => {
            let body = QueueBody {
                timezone: Some(form.timezone.clone()),
                paused: None,
                slots: slot_bodies(&queue.slots),
            };
            crate::slots::save_queue(&state, &channel, &body)
                .await
                .map(|saved| {
                    format!(
                        "{} now posts on {}'s clock; its slots keep their local times.",
                        channel.name, saved.timezone
                    )
                })
        }
        "pause" | "resume" => {
            let paused = action == "pause";
            crate::slots::set_queue_paused(&state, &channel, paused)
                .await
                .map(|()| {
                    if paused {
                        format!(
                            "The queue of {} is paused: posts already queued keep their time; nothing new is added.",
                            channel.name
                        )
                    } else {
                        format!("The queue of {} is resumed.", channel.name)
                    }
                })
        }
        _ => {
            return Err(PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: "Choose add, remove, timezone, pause or resume.".into(),
            });
        }
    };
    match saved {
        Ok(message) => Ok(redirect_with_flash(&state, &back, &message)),
        Err(problem) if problem.status == 422 => {
            let errors = form_errors(&problem, &action);
            queue_page(&state, &ctx, channel, form, errors).await
        }
        Err(problem) => Err(problem.into()),
    }
}

/// A problem's field errors, next to the form's fields.
fn form_errors(problem: &Problem, action: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for error in &problem.errors {
        let field = match error.pointer.as_str() {
            "/timezone" => "timezone",
            pointer if pointer.ends_with("/weekday") => "weekday",
            pointer if pointer.ends_with("/time") || action == "add" => "time",
            _ => "_",
        };
        errors.add(field, error.detail.clone());
    }
    if errors.is_empty() {
        errors.add("_", problem.detail.clone().unwrap_or(problem.title.clone()));
    }
    errors
}
