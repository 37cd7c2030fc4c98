//! Workspace settings for admins: open or invite-only sign-up, invitations,
//! roles, and the job queue's failed and dead jobs with a retry button.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use agora_core::accounts::{
    AccountMembership, AccountStore, Email, INVITATION_TTL_MILLIS, Invitation, NewInvitation, Role,
};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::{JobState, JobStore, JobSummary, QueueCounts};
use agora_core::secrets::{random_token, token_digest};

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::{Ctx, flash_cookie};
use crate::shell::Shell;

fn back(state: &AppState, to: String, message: &str) -> Response {
    let mut response = Redirect::to(&to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        flash_cookie(message, state.settings.secure_cookies),
    );
    response
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    shell: Shell,
    signup_open: bool,
    posts_need_approval: bool,
    track_link_clicks: bool,
    memberships: Vec<AccountMembership>,
    invitations: Vec<Invitation>,
    roles: Vec<Role>,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    invite_email: String,
    invite_role: String,
    errors: FieldErrors,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingsPage {
        shell: Shell::build(state, ctx, "Settings").await,
        signup_open: workspace.signup_open,
        posts_need_approval: agora_core::desk::DeskStore::posts_need_approval(
            &state.db,
            workspace.id,
        )
        .await?,
        track_link_clicks: agora_core::links::LinkStore::track_link_clicks(&state.db, workspace.id)
            .await?,
        memberships: state.db.memberships_in(workspace.id).await?,
        invitations: state.db.list_invitations(workspace.id).await?,
        roles: Role::ALL.to_vec(),
        invite_email,
        invite_role,
        errors,
    };
    Ok(render_with_status(status, &page))
}

pub async fn settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    settings_page(
        &state,
        &ctx,
        String::new(),
        "member".into(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    signup_open: Option<String>,
}

pub async fn set_signup(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<SignupForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let open = form.signup_open.is_some();
    state.db.set_signup_open(workspace.id, open).await?;
    let message = if open {
        "Anyone with an account can now join as a member."
    } else {
        "Joining is now by invitation only."
    };
    Ok(back(
        &state,
        format!("/w/{}/settings", workspace.slug),
        message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct ApprovalForm {
    #[serde(default)]
    posts_need_approval: Option<String>,
}

/// Turns "posts need approval" on or off.
pub async fn set_approval(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ApprovalForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let on = form.posts_need_approval.is_some();
    agora_core::desk::DeskStore::set_posts_need_approval(&state.db, workspace.id, on).await?;
    let message = if on {
        "Posts now need approval by someone other than their author before they go out."
    } else {
        "Posts no longer need approval."
    };
    Ok(back(
        &state,
        format!("/w/{}/settings", workspace.slug),
        message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct LinkTrackingForm {
    #[serde(default)]
    track_link_clicks: Option<String>,
}

/// Turns "track link clicks" on or off (for posts published from now on).
pub async fn set_link_tracking(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<LinkTrackingForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let on = form.track_link_clicks.is_some();
    agora_core::links::LinkStore::set_track_link_clicks(&state.db, workspace.id, on).await?;
    let message = if on {
        "Links in posts published from now on go through a tracked redirect and their clicks are counted."
    } else {
        "Links in posts published from now on go out as written; their clicks are not reported."
    };
    Ok(back(
        &state,
        format!("/w/{}/settings", workspace.slug),
        message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// Creates an invitation and e-mails its link; shared by the page and the API.
pub async fn send_invitation(
    state: &AppState,
    ctx: &Ctx,
    email: &Email,
    role: Role,
) -> Result<Invitation, agora_core::StoreError> {
    let now = state.clock.now();
    let (workspace, _) = ctx
        .workspace()
        .map_err(|_| agora_core::StoreError::NotFound)?;
    let inviter = ctx
        .account
        .as_ref()
        .map(|account| (account.id, account.name.clone()))
        .unwrap_or((0, "Agora".into()));
    let token = random_token(32);
    let digest = token_digest(&token);
    let invitation = state
        .db
        .create_invitation(&NewInvitation {
            workspace_id: workspace.id,
            email,
            role,
            digest: &digest,
            invited_by: inviter.0,
            created_at: now,
            expires_at: now.plus_millis(INVITATION_TTL_MILLIS),
        })
        .await?;
    let link = format!("{}/invite/{token}", state.settings.public_url);
    let message = OutgoingEmail {
        to: email.as_str().to_owned(),
        subject: format!("{} invites you to {} on Agora", inviter.1, workspace.name),
        text: format!(
            "Hello,\n\n{} invites you to join {} on Agora as {}.\nAccept within {} days:\n\n{link}\n",
            inviter.1,
            workspace.name,
            role.label(),
            INVITATION_TTL_MILLIS / 86_400_000
        ),
        html: None,
        message_key: format!("invitation.{}", invitation.id),
        unsubscribe_url: None,
    };
    state
        .db
        .enqueue(&message.into_job(now).for_workspace(workspace.id), now)
        .await?;
    Ok(invitation)
}

pub async fn invite(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<InviteForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let mut errors = FieldErrors::default();
    let email = Email::parse(&form.email)
        .map_err(|error| errors.add("email", error.to_string()))
        .ok();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|error| errors.add("role", error.to_string()))
        .ok();
    let (Some(email), Some(role)) = (email, role) else {
        return settings_page(&state, &ctx, form.email, form.role, errors).await;
    };
    send_invitation(&state, &ctx, &email, role).await?;
    Ok(back(
        &state,
        format!("/w/{}/settings", workspace.slug),
        &format!("Invitation sent to {email}."),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[derive(Debug, Deserialize)]
pub struct AccountPath {
    pub workspace: String,
    pub account: i64,
}

pub async fn set_role(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<AccountPath>,
    Form(form): Form<RoleForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let me = ctx.account()?;
    let role: Role = form
        .role
        .parse()
        .map_err(|error: agora_core::accounts::AccountError| PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: error.to_string(),
        })?;
    if state
        .db
        .role_in(path.account, workspace.id)
        .await?
        .is_none()
    {
        return Err(PageError::not_found(
            "That account is not in this workspace.",
        ));
    }
    if path.account == me.id && role != Role::Admin {
        return Err(PageError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "You can't remove your own admin role; ask another admin.".into(),
        });
    }
    state
        .db
        .upsert_membership(path.account, workspace.id, role, state.clock.now())
        .await?;
    Ok(back(
        &state,
        format!("/w/{}/settings", workspace.slug),
        "Role changed.",
    ))
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    shell: Shell,
    counts: QueueCounts,
    sections: Vec<JobSection>,
}

pub struct JobSection {
    pub title: &'static str,
    pub jobs: Vec<JobSummary>,
}

pub async fn jobs(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let page = JobsPage {
        shell: Shell::build(&state, &ctx, "Background jobs").await,
        counts: state.db.queue_counts(state.clock.now()).await?,
        sections: vec![
            JobSection {
                title: "Dead",
                jobs: state
                    .db
                    .list_jobs(Some(workspace.id), JobState::Dead, false, 100)
                    .await?,
            },
            JobSection {
                title: "Failed, waiting to retry",
                jobs: state
                    .db
                    .list_jobs(Some(workspace.id), JobState::Queued, true, 100)
                    .await?,
            },
        ],
    };
    Ok(render(&page))
}

#[derive(Debug, Deserialize)]
pub struct JobPath {
    pub workspace: String,
    pub id: i64,
}

pub async fn retry_job(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<JobPath>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let retried = state
        .db
        .retry_job(Some(workspace.id), path.id, state.clock.now())
        .await?;
    let message = if retried {
        "The job is queued to run again now."
    } else {
        "That job is not failed or dead (any more)."
    };
    Ok(back(
        &state,
        format!("/w/{}/settings/jobs", workspace.slug),
        message,
    ))
}
