//! The queue's use cases, shared by pages and the API: reading and replacing
//! a channel's queue (its slots, timezone and pause), "Add to queue" for a
//! post, and a channel's best times to post.

use serde::{Deserialize, Serialize};

use agora_connectors::publishing::publish_job;
use agora_core::Timestamp;
use agora_core::best_time::{self, BestTimes};
use agora_core::desk::{Approval, DeskStore};
use agora_core::jobs::JobStore;
use agora_core::posts::{Channel, PostId, PostStore, TargetStatus};
use agora_core::slots::{self, ChannelSlots, HORIZON_WEEKS, Queue, SlotStore};

use crate::AppState;
use crate::problem::Problem;

/// A slot as the API and the form spell it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlotBody {
    /// `mon` … `sun`.
    pub weekday: String,
    /// `09:00`, on the channel's wall clock.
    pub time: String,
}

/// A channel's queue as the API answers it, and as `PUT` replaces it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueBody {
    /// The channel's IANA timezone; absent in a `PUT`, it stays as it is.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Absent in a `PUT`, it stays as it is.
    #[serde(default)]
    pub paused: Option<bool>,
    pub slots: Vec<SlotBody>,
}

impl From<Queue> for QueueBody {
    fn from(queue: Queue) -> Self {
        Self {
            timezone: Some(queue.timezone),
            paused: Some(queue.paused),
            slots: queue
                .slots
                .into_iter()
                .map(|slot| SlotBody {
                    weekday: slot.weekday_name().to_owned(),
                    time: slot.time(),
                })
                .collect(),
        }
    }
}

/// The workspace's channel, or 404.
pub async fn channel(state: &AppState, workspace: i64, id: i64) -> Result<Channel, Problem> {
    state
        .db
        .channel(workspace, id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such channel"))
}

/// Checks and saves a channel's queue: its slots are replaced, its timezone
/// and pause set when given. Bad fields are named by JSON pointer
/// (`/timezone`, `/slots/2/time`).
pub async fn save_queue(
    state: &AppState,
    channel: &Channel,
    body: &QueueBody,
) -> Result<Queue, Problem> {
    let current = state.db.queue(channel.id).await?;
    let timezone = body.timezone.clone().unwrap_or(current.timezone);
    let typed: Vec<(&str, &str)> = body
        .slots
        .iter()
        .map(|slot| (slot.weekday.as_str(), slot.time.as_str()))
        .collect();
    let checked = slots::check_queue(&timezone, &typed).map_err(|errors| {
        errors.into_iter().fold(
            Problem::invalid("the queue is not valid"),
            |problem, (field, message)| problem.field(&field, message),
        )
    })?;
    let paused = body.paused.unwrap_or(current.paused);
    state
        .db
        .set_queue(channel.id, &checked.timezone, paused, &checked.slots)
        .await?;
    Ok(state.db.queue(channel.id).await?)
}

/// Pauses or resumes a channel's queue, keeping its slots.
pub async fn set_queue_paused(
    state: &AppState,
    channel: &Channel,
    paused: bool,
) -> Result<(), Problem> {
    let queue = state.db.queue(channel.id).await?;
    state
        .db
        .set_queue(channel.id, &queue.timezone, paused, &queue.slots)
        .await?;
    Ok(())
}

fn conflict(slug: &str, message: String) -> Problem {
    Problem::new(
        axum::http::StatusCode::CONFLICT,
        slug,
        "The post cannot be queued",
    )
    .detail(message)
}

/// Where "Add to queue" put a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub at: Timestamp,
    /// The names of the channels it goes out on.
    pub channels: Vec<String>,
    /// The first channel's timezone, to show the time on its clock.
    pub timezone: String,
    /// It stays a draft at that time until someone approves it.
    pub awaits_approval: bool,
}

/// "Add to queue": the post takes the earliest instant within
/// [`HORIZON_WEEKS`] weeks that is a free slot of every channel it has not
/// gone out on yet, through [`crate::publishing::move_post`] (action
/// `queued`). A draft is scheduled for that time, unless the workspace
/// requires approval and the post has none: then it keeps the time as a
/// held draft. A paused queue, a channel without slots, or no shared free
/// slot is refused with 409 and says why.
pub async fn queue_post(
    state: &AppState,
    workspace: i64,
    mover: i64,
    post: PostId,
) -> Result<Queued, Problem> {
    let view = state
        .db
        .post(workspace, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let waiting: Vec<_> = view
        .targets
        .iter()
        .filter(|t| {
            matches!(
                t.status,
                TargetStatus::Draft | TargetStatus::Scheduled | TargetStatus::Retrying
            )
        })
        .collect();
    if waiting.is_empty() {
        return Err(conflict(
            "nothing-to-queue",
            "this post has no channel waiting to go out: it went out, or failed (publish it again instead)".into(),
        ));
    }
    let now = state.clock.now();
    let mut queues = Vec::new();
    let mut names = Vec::new();
    let mut first_timezone = None;
    for target in &waiting {
        if queues.iter().any(|(id, _, _, _)| *id == target.channel_id) {
            continue;
        }
        let queue = state.db.queue(target.channel_id).await?;
        if queue.paused {
            return Err(conflict(
                "queue-paused",
                format!(
                    "the queue of {} is paused: resume it on its queue page, or give the post a time yourself",
                    target.channel_name
                ),
            ));
        }
        if queue.slots.is_empty() {
            return Err(conflict(
                "no-slots",
                format!(
                    "{} has no queue slots yet: add some on its queue page",
                    target.channel_name
                ),
            ));
        }
        let tz = slots::timezone_or_utc(&queue.timezone);
        first_timezone.get_or_insert_with(|| queue.timezone.clone());
        let taken = state
            .db
            .taken_times(target.channel_id, now, Some(post))
            .await?;
        names.push(target.channel_name.clone());
        queues.push((target.channel_id, queue.slots, tz, taken));
    }
    let inputs: Vec<ChannelSlots<'_>> = queues
        .iter()
        .map(|(_, slots, tz, taken)| ChannelSlots {
            slots,
            tz: *tz,
            taken,
        })
        .collect();
    let Some(at) = slots::next_common_free_slot(&inputs, now) else {
        return Err(conflict(
            "no-free-slot",
            if names.len() == 1 {
                format!(
                    "every slot of {} in the next {HORIZON_WEEKS} weeks is taken: add slots, or give the post a time yourself",
                    names[0]
                )
            } else {
                format!(
                    "no slot in the next {HORIZON_WEEKS} weeks is free on all of {} at the same time: give them a shared slot, or give the post a time yourself",
                    names.join(", ")
                )
            },
        ));
    };
    crate::publishing::move_post(state, workspace, mover, post, at, "queued").await?;
    let mut awaits_approval = false;
    if waiting.iter().any(|t| t.status == TargetStatus::Draft) {
        let (approval, _) = state
            .db
            .approval(post)
            .await?
            .unwrap_or((Approval::None, mover));
        let needs_approval = state.db.posts_need_approval(workspace).await?;
        let may_go_out =
            approval == Approval::Approved || (approval == Approval::None && !needs_approval);
        if may_go_out {
            // The drafts now carry the slot's time: schedule them for it.
            state.db.set_approval(post, approval, false, true).await?;
            if let Some(view) = state.db.post(workspace, post).await? {
                for target in view
                    .targets
                    .iter()
                    .filter(|t| t.status == TargetStatus::Scheduled)
                {
                    state
                        .db
                        .enqueue(
                            &publish_job(target.id, target.generation, at).for_workspace(workspace),
                            now,
                        )
                        .await?;
                }
            }
        } else {
            awaits_approval = true;
        }
    }
    Ok(Queued {
        at,
        channels: names,
        timezone: first_timezone.unwrap_or_else(|| "UTC".to_owned()),
        awaits_approval,
    })
}

/// A channel's best times to post, with the next three free ones.
pub async fn best_times(
    state: &AppState,
    workspace: i64,
    channel: &Channel,
) -> Result<BestTimes, Problem> {
    let now = state.clock.now();
    let since = now.plus_seconds(-best_time::WINDOW_WEEKS * 7 * 86_400);
    let samples = state.db.engagement_samples(workspace, since).await?;
    let taken = state.db.taken_times(channel.id, now, None).await?;
    Ok(best_time::best_times(
        channel.id,
        &channel.timezone,
        &samples,
        &taken,
        now,
    ))
}
