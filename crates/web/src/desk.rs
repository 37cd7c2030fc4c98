//! The marketer's desk use cases, shared by pages and the API: creating a
//! post with its campaign (whose UTM parameters tag its links) and, when the
//! workspace requires it, holding it for approval; requesting review,
//! approving and rejecting (never one's own post); editing a post (an
//! approved one goes back to review); every step in the post's history.

use agora_connectors::publishing::publish_job;
use agora_core::Timestamp;
use agora_core::desk::{Approval, ApprovalError, DeskStore, apply_utm};
use agora_core::jobs::JobStore;
use agora_core::posts::{PostId, PostStore, TargetStatus};

use crate::AppState;
use crate::community::Viewer;
use crate::problem::{Problem, status_for};
use crate::publishing::{PostOptions, VariantDraft, schedule_post};

impl From<ApprovalError> for Problem {
    fn from(error: ApprovalError) -> Self {
        let status = match error {
            ApprovalError::OwnPost => axum::http::StatusCode::FORBIDDEN,
            ApprovalError::NotPending => axum::http::StatusCode::CONFLICT,
            ApprovalError::CommentNeeded => status_for(agora_core::ErrorKind::InvalidInput),
        };
        let problem = Problem::new(status, "approval", &error.to_string());
        match error {
            ApprovalError::CommentNeeded => problem.field("comment", error.to_string()),
            _ => problem,
        }
    }
}

/// Creates a post from the composer or the API: the campaign's UTM
/// parameters tag its links, and it is held for approval when the
/// workspace requires it (unless it is a draft).
pub async fn create_post(
    state: &AppState,
    viewer: &Viewer,
    variants: &[VariantDraft],
    scheduled_at: Option<Timestamp>,
    draft: bool,
    campaign_id: Option<i64>,
) -> Result<PostId, Problem> {
    let mut variants = variants.to_vec();
    if let Some(id) = campaign_id {
        let campaign = state
            .db
            .campaign(viewer.workspace_id, id)
            .await?
            .ok_or_else(|| {
                Problem::invalid("no such campaign")
                    .field("campaign_id", "choose one of the workspace's campaigns")
            })?;
        for variant in &mut variants {
            variant.text = apply_utm(&variant.text, &campaign.utm);
        }
    }
    let hold = !draft && state.db.posts_need_approval(viewer.workspace_id).await?;
    let post = schedule_post(
        state,
        viewer.workspace_id,
        viewer.member_id,
        &variants,
        scheduled_at,
        draft,
        &PostOptions { campaign_id, hold },
    )
    .await?;
    let now = state.clock.now();
    state
        .db
        .record_history(post, viewer.member_id, "created", "", now)
        .await?;
    if hold {
        state
            .db
            .record_history(post, viewer.member_id, "review_requested", "", now)
            .await?;
    }
    Ok(post)
}

/// Asks for review of a draft (or a rejected post): it keeps (or takes) a
/// time and waits, held, for an approver.
pub async fn request_review(
    state: &AppState,
    viewer: &Viewer,
    post: PostId,
    at: Option<Timestamp>,
) -> Result<(), Problem> {
    let view = state
        .db
        .post(viewer.workspace_id, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let Some((approval, _)) = state.db.approval(post).await? else {
        return Err(Problem::not_found("there is no such post"));
    };
    if approval == Approval::Pending {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "approval",
            "this post is already awaiting review",
        ));
    }
    if view
        .targets
        .iter()
        .any(|t| !matches!(t.status, TargetStatus::Draft | TargetStatus::Scheduled))
    {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "approval",
            "this post already went out (or is going out)",
        ));
    }
    let now = state.clock.now();
    let Some(at) = at.or(view.scheduled_at) else {
        return Err(Problem::invalid("choose when it goes out").field(
            "scheduled_at",
            "choose when the post goes out once approved",
        ));
    };
    if at < now {
        return Err(Problem::invalid("the time has passed")
            .field("scheduled_at", "choose a time in the future"));
    }
    state
        .db
        .reschedule_post(viewer.workspace_id, post, at)
        .await?;
    state
        .db
        .set_approval(post, Approval::Pending, true, false)
        .await?;
    state
        .db
        .record_history(post, viewer.member_id, "review_requested", "", now)
        .await?;
    Ok(())
}

/// Approves or rejects a post awaiting review; never one's own.
pub async fn decide(
    state: &AppState,
    viewer: &Viewer,
    post: PostId,
    approve: bool,
    comment: &str,
) -> Result<(), Problem> {
    let view = state
        .db
        .post(viewer.workspace_id, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let Some((approval, author)) = state.db.approval(post).await? else {
        return Err(Problem::not_found("there is no such post"));
    };
    if author == viewer.member_id {
        return Err(ApprovalError::OwnPost.into());
    }
    if approval != Approval::Pending {
        return Err(ApprovalError::NotPending.into());
    }
    let comment = comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(Problem::invalid("the comment is too long")
            .field("comment", "use at most 2,000 characters"));
    }
    let now = state.clock.now();
    if approve {
        state
            .db
            .set_approval(post, Approval::Approved, false, true)
            .await?;
        // The released targets' jobs, at their time (now if it passed meanwhile).
        let at = view.scheduled_at.unwrap_or(now).max(now);
        if let Some(released) = state.db.post(viewer.workspace_id, post).await? {
            for target in released
                .targets
                .iter()
                .filter(|t| t.status == TargetStatus::Scheduled)
            {
                state
                    .db
                    .enqueue(
                        &publish_job(target.id, target.generation, at)
                            .for_workspace(viewer.workspace_id),
                        now,
                    )
                    .await?;
            }
        }
        state
            .db
            .record_history(post, viewer.member_id, "approved", comment, now)
            .await?;
    } else {
        if comment.is_empty() {
            return Err(ApprovalError::CommentNeeded.into());
        }
        state
            .db
            .set_approval(post, Approval::Rejected, true, false)
            .await?;
        state
            .db
            .record_history(post, viewer.member_id, "rejected", comment, now)
            .await?;
    }
    Ok(())
}

/// Edits the text of a post's channels before they go out (checked as
/// when scheduling). An approved post goes back to review.
pub async fn edit_post(
    state: &AppState,
    viewer: &Viewer,
    post: PostId,
    texts: &[(i64, String)],
) -> Result<bool, Problem> {
    let view = state
        .db
        .post(viewer.workspace_id, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let channels = state.db.channels(viewer.workspace_id).await?;
    let mut problem = Problem::invalid("the post is not valid");
    for (i, (target_id, text)) in texts.iter().enumerate() {
        let Some(target) = view.targets.iter().find(|t| t.id == *target_id) else {
            problem = problem.field(
                &format!("variants/{i}/target_id"),
                "not a channel of this post",
            );
            continue;
        };
        let Some(channel) = channels.iter().find(|c| c.id == target.channel_id) else {
            continue;
        };
        if let Some(message) = crate::publishing::measure(channel, text).problem(channel) {
            problem = problem.field(&format!("variants/{i}/text"), message);
        }
    }
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let mut changed = false;
    for (target_id, text) in texts {
        let same = view
            .targets
            .iter()
            .any(|t| t.id == *target_id && t.text.trim() == text.trim());
        if !same
            && state
                .db
                .edit_target_text(post, *target_id, text.trim())
                .await?
        {
            changed = true;
        }
    }
    if !changed {
        return Ok(false);
    }
    let now = state.clock.now();
    state
        .db
        .record_history(post, viewer.member_id, "edited", "", now)
        .await?;
    let approval = state.db.approval(post).await?.map(|(a, _)| a);
    if matches!(approval, Some(Approval::Approved | Approval::Rejected))
        || (approval == Some(Approval::None)
            && view.scheduled_at.is_some()
            && state.db.posts_need_approval(viewer.workspace_id).await?)
    {
        state
            .db
            .set_approval(post, Approval::Pending, true, false)
            .await?;
        state
            .db
            .record_history(post, viewer.member_id, "review_requested", "", now)
            .await?;
    }
    Ok(true)
}

/// Creates a campaign from a form or the API; problems by field.
pub async fn create_campaign(
    state: &AppState,
    workspace: i64,
    body: &crate::api::publishing::NewCampaignBody,
) -> Result<agora_core::desk::CampaignId, Problem> {
    let campaign = agora_core::desk::check_campaign(
        workspace,
        &body.name,
        &body.goal,
        &body.starts_on,
        &body.ends_on,
        &body.color,
        agora_core::desk::Utm {
            source: body.utm_source.clone(),
            medium: body.utm_medium.clone(),
            campaign: body.utm_campaign.clone(),
        },
    )
    .map_err(|errors| {
        errors.into_iter().fold(
            Problem::invalid("the campaign is not valid"),
            |problem, (field, message)| {
                let field = match field {
                    "starts_at" => "starts_on",
                    "ends_at" => "ends_on",
                    other => other,
                };
                problem.field(field, message)
            },
        )
    })?;
    state
        .db
        .create_campaign(&campaign, state.clock.now())
        .await
        .map_err(|error| match error {
            agora_core::StoreError::Conflict(_) => Problem::invalid("the name is taken")
                .field("name", "another campaign has this name"),
            other => other.into(),
        })
}
