//! The marketer's channels and posts: connect, test, pause and remove
//! channels; write and schedule a post; a post's page with each channel's
//! status, the attempt timeline, and what to do about a failed or
//! unconfirmed channel.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use agora_core::posts::{Attempt, Channel, Post, PostStore, TargetStatus, utc_to_local};
use agora_core::text_limits::Network;

use super::{FieldErrors, PageError, PageResult, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::pages::account::redirect_with_flash;
use crate::problem::Problem;
use crate::publishing::ChannelDraft;
use crate::shell::Shell;

/// Field errors of a problem document, for a form.
fn field_errors(problem: &Problem, known: &[&'static str]) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for error in &problem.errors {
        let name = error.pointer.trim_start_matches('/');
        let field = known
            .iter()
            .find(|known| name == **known || name.ends_with(&format!("/{known}")))
            .copied()
            .unwrap_or("_");
        errors.add(field, error.detail.clone());
    }
    if errors.is_empty() {
        errors.add("_", problem.detail.clone().unwrap_or(problem.title.clone()));
    }
    errors
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    shell: Shell,
    channels: Vec<Channel>,
    networks: Vec<&'static str>,
    draft: ChannelForm,
    errors: FieldErrors,
    /// A new webhook's signing secret, shown once.
    webhook_secret: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChannelForm {
    #[serde(default)]
    pub network: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub app_password: String,
}

impl ChannelForm {
    fn draft(&self) -> ChannelDraft {
        ChannelDraft {
            network: self.network.clone(),
            name: self.name.clone(),
            base_url: self.base_url.clone(),
            account: self.account.clone(),
            timezone: self.timezone.clone(),
            access_token: self.access_token.clone(),
            app_password: self.app_password.clone(),
        }
    }
}

async fn channels_page(
    state: &AppState,
    ctx: &Ctx,
    draft: ChannelForm,
    errors: FieldErrors,
    webhook_secret: Option<String>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let channels = state.db.channels(workspace.id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ChannelsPage {
        shell: Shell::build(state, ctx, "Channels").await,
        channels,
        networks: Network::ALL.iter().map(|n| n.as_str()).collect(),
        draft: ChannelForm {
            // Secrets typed into the form are never sent back to the browser.
            access_token: String::new(),
            app_password: String::new(),
            ..draft
        },
        errors,
        webhook_secret,
    };
    Ok(render_with_status(status, &page))
}

pub async fn channels(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let draft = ChannelForm {
        timezone: "UTC".into(),
        network: "mastodon".into(),
        ..ChannelForm::default()
    };
    channels_page(&state, &ctx, draft, FieldErrors::default(), None).await
}

pub async fn connect(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ChannelForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    match crate::publishing::connect_channel(&state, workspace.id, &form.draft()).await {
        Ok((_, Some(secret))) => {
            channels_page(
                &state,
                &ctx,
                ChannelForm::default(),
                FieldErrors::default(),
                Some(secret),
            )
            .await
        }
        Ok((channel, None)) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/channels", workspace.slug),
            &format!("{} is connected.", channel.name),
        )),
        Err(problem) if problem.status == 422 => {
            let errors = field_errors(
                &problem,
                &[
                    "network",
                    "name",
                    "base_url",
                    "account",
                    "timezone",
                    "access_token",
                    "app_password",
                ],
            );
            channels_page(&state, &ctx, form, errors, None).await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChannelPath {
    pub workspace: String,
    pub channel: i64,
}

async fn channel_of(state: &AppState, ctx: &Ctx, id: i64) -> Result<Channel, PageError> {
    let (workspace, _) = ctx.workspace()?;
    state
        .db
        .channel(workspace.id, id)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such channel."))
}

#[derive(Debug, Deserialize)]
pub struct ChannelAction {
    /// `test`, `pause`, `resume`, `remove` or `reconnect`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    app_password: String,
}

pub async fn channel_action(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ChannelPath>,
    Form(form): Form<ChannelAction>,
) -> PageResult {
    let channel = channel_of(&state, &ctx, path.channel).await?;
    let back = format!("/w/{}/channels", path.workspace);
    let message = match form.action.as_str() {
        "test" => match crate::publishing::test_channel(&state, &channel).await? {
            None => format!("{} answers: the connection works.", channel.name),
            Some(error) => format!("{} did not accept the connection: {error}", channel.name),
        },
        "pause" => {
            state.db.set_channel_paused(channel.id, true).await?;
            format!(
                "{} is paused: its posts wait until you resume it.",
                channel.name
            )
        }
        "resume" => {
            state.db.set_channel_paused(channel.id, false).await?;
            let now = state.clock.now();
            agora_core::jobs::JobStore::enqueue(
                &state.db,
                &agora_connectors::publishing::sweep_job(now),
                now,
            )
            .await?;
            format!("{} is resumed.", channel.name)
        }
        "remove" => {
            state.db.delete_channel(channel.id).await?;
            format!("{} is removed, with its posts' history.", channel.name)
        }
        "reconnect" => {
            let draft = ChannelDraft {
                network: channel.network.as_str().into(),
                access_token: form.access_token,
                app_password: form.app_password,
                ..ChannelDraft::default()
            };
            match crate::publishing::reconnect_channel(&state, &channel, &draft).await {
                Ok(()) => format!("{} is reconnected; waiting posts go out now.", channel.name),
                Err(problem) => format!(
                    "{} was not reconnected: {}",
                    channel.name,
                    problem
                        .errors
                        .first()
                        .map_or(problem.title.clone(), |e| e.detail.clone())
                ),
            }
        }
        _ => {
            return Err(PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: "Choose test, pause, resume, remove or reconnect.".into(),
            });
        }
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

/// One line of a post's timeline.
pub struct TimelineEntry {
    pub channel: String,
    pub attempt: Attempt,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    shell: Shell,
    post: Post,
    timeline: Vec<TimelineEntry>,
    /// Each target's time on its channel's wall clock.
    local_times: Vec<String>,
    history: Vec<agora_core::desk::HistoryEntry>,
    approval: agora_core::desk::Approval,
    /// The viewer wrote it (and so may not approve it).
    own: bool,
    needs_approval: bool,
    campaign: Option<agora_core::desk::Campaign>,
    /// Problems with edited texts, by target.
    edit_errors: Vec<(i64, String)>,
    /// The first channel's timezone, for the review form.
    timezone: String,
}

impl PostPage {
    fn editable(&self, status: &TargetStatus) -> bool {
        matches!(
            status,
            TargetStatus::Draft
                | TargetStatus::Scheduled
                | TargetStatus::Retrying
                | TargetStatus::Failed
        )
    }

    fn edit_error(&self, target: &i64) -> Option<&str> {
        self.edit_errors
            .iter()
            .find(|(id, _)| id == target)
            .map(|(_, message)| message.as_str())
    }

    fn any_editable(&self) -> bool {
        self.post.targets.iter().any(|t| self.editable(&t.status))
    }
}

#[derive(Debug, Deserialize)]
pub struct PostPath {
    pub workspace: String,
    pub post: i64,
}

pub async fn post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
) -> PageResult {
    post_page(&state, &ctx, path.post, Vec::new()).await
}

/// The post page, with problems of edited texts if any.
pub async fn post_page(
    state: &AppState,
    ctx: &Ctx,
    post_id: i64,
    edit_errors: Vec<(i64, String)>,
) -> PageResult {
    use agora_core::desk::DeskStore;
    let (workspace, _) = ctx.workspace()?;
    let viewer = crate::community::viewer(state, ctx).await?;
    let post = state
        .db
        .post(workspace.id, post_id)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such post."))?;
    let channels = state.db.channels(workspace.id).await?;
    let timeline = state
        .db
        .attempts(post.id)
        .await?
        .into_iter()
        .map(|attempt| TimelineEntry {
            channel: post
                .targets
                .iter()
                .find(|t| t.id == attempt.target_id)
                .map(|t| t.channel_name.clone())
                .unwrap_or_default(),
            attempt,
        })
        .collect();
    let local_times = post
        .targets
        .iter()
        .map(|target| {
            let timezone = channels
                .iter()
                .find(|c| c.id == target.channel_id)
                .map_or("UTC", |c| c.timezone.as_str());
            match (
                target.published_at,
                target.next_attempt_at,
                post.scheduled_at,
            ) {
                (Some(at), _, _) => format!("published {}", utc_to_local(at, timezone)),
                (None, Some(at), _) => format!("next attempt {}", utc_to_local(at, timezone)),
                (None, None, Some(at)) => format!("for {}", utc_to_local(at, timezone)),
                (None, None, None) => "draft: not scheduled".into(),
            }
        })
        .collect();
    let shell = Shell::build(state, ctx, format!("Post {}", post.id)).await;
    let campaign = match post.campaign_id {
        Some(id) => state.db.campaign(workspace.id, id).await?,
        None => None,
    };
    let status = if edit_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(crate::pages::render_with_status(
        status,
        &PostPage {
            shell,
            history: state.db.history(post.id).await?,
            approval: agora_core::desk::Approval::parse(&post.approval)
                .unwrap_or(agora_core::desk::Approval::None),
            own: post.author_id == viewer.member_id,
            needs_approval: state.db.posts_need_approval(workspace.id).await?,
            campaign,
            edit_errors,
            timezone: channels
                .first()
                .map_or_else(|| "UTC".to_owned(), |c| c.timezone.clone()),
            post,
            timeline,
            local_times,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct TargetForm {
    #[serde(default)]
    target_id: Option<i64>,
}

pub async fn retry(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
    Form(form): Form<TargetForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let n = crate::publishing::retry_post(&state, workspace.id, path.post, form.target_id).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/posts/{}", workspace.slug, path.post),
        &format!("Publishing again on {n} channel(s)."),
    ))
}

pub async fn mark_published(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
    Form(form): Form<TargetForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let target = form
        .target_id
        .ok_or_else(|| PageError::not_found("Say which channel."))?;
    crate::publishing::mark_published(&state, workspace.id, path.post, target).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/posts/{}", workspace.slug, path.post),
        "Marked as published.",
    ))
}

/// "Add to queue": the post takes the next slot free on all its channels
/// (see [`crate::slots::queue_post`]); a refusal comes back as the flash.
pub async fn queue(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let back = format!("/w/{}/posts/{}", viewer.workspace_slug, path.post);
    let message =
        match crate::slots::queue_post(&state, viewer.workspace_id, viewer.member_id, path.post)
            .await
        {
            Ok(queued) => {
                format!(
                    "Queued for {} on {}.{}",
                    utc_to_local(queued.at, &queued.timezone),
                    queued.channels.join(", "),
                    if queued.awaits_approval {
                        " It stays a draft until it is approved."
                    } else {
                        ""
                    }
                )
            }
            Err(problem) if problem.status == 409 => {
                format!("Not queued: {}.", problem.detail.unwrap_or(problem.title))
            }
            Err(problem) => return Err(problem.into()),
        };
    Ok(redirect_with_flash(&state, &back, &message))
}

#[derive(Debug, Deserialize)]
pub struct OauthStartForm {
    #[serde(default)]
    instance: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
}

fn oauth_redirect_uri(state: &AppState) -> String {
    format!(
        "{}/oauth/mastodon/callback",
        state.settings.public_url.trim_end_matches('/')
    )
}

/// The app Agora registered on this instance (registered now if needed).
async fn mastodon_app(
    state: &AppState,
    instance: &str,
) -> Result<agora_connectors::networks::mastodon::OauthApp, String> {
    use agora_connectors::networks::mastodon::{OauthApp, register_app};
    let redirect_uri = oauth_redirect_uri(state);
    if let Some((client_id, sealed)) = state
        .db
        .oauth_app(instance, &redirect_uri)
        .await
        .map_err(|e| e.to_string())?
        && let Ok(secret) = state.settings.sealer.open(&sealed)
    {
        return Ok(OauthApp {
            client_id,
            client_secret: secret.expose().to_owned(),
        });
    }
    let app = register_app(&state.settings.network_client, instance, &redirect_uri)
        .await
        .map_err(|failure| failure.message().to_owned())?;
    state
        .db
        .save_oauth_app(
            instance,
            &redirect_uri,
            &app.client_id,
            &state.settings.sealer.seal(&app.client_secret),
            state.clock.now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(app)
}

/// Starts "Connect with Mastodon": registers Agora on the instance if it is
/// not yet, and sends the person there to authorize it.
pub async fn mastodon_oauth_start(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<OauthStartForm>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let account = ctx.account()?;
    let instance = form.instance.trim().trim_end_matches('/').to_owned();
    let mut errors = FieldErrors::default();
    if !(instance.starts_with("https://") || instance.starts_with("http://")) {
        errors.add(
            "instance",
            "give the instance's address, e.g. https://mastodon.social",
        );
    }
    let timezone = if form.timezone.trim().is_empty() {
        "UTC".to_owned()
    } else {
        form.timezone.trim().to_owned()
    };
    if let Err(message) = agora_core::posts::parse_timezone(&timezone) {
        errors.add("timezone", message);
    }
    if errors.is_empty() {
        match mastodon_app(&state, &instance).await {
            Ok(app) => {
                let oauth_state = agora_core::secrets::random_token(24);
                state
                    .db
                    .create_oauth_state(&agora_core::posts::OauthState {
                        state: oauth_state.clone(),
                        workspace_id: workspace.id,
                        account_id: account.id,
                        instance: instance.clone(),
                        name: form.name.trim().to_owned(),
                        timezone,
                        created_at: state.clock.now(),
                    })
                    .await?;
                let url = agora_connectors::networks::mastodon::authorize_url(
                    &instance,
                    &app,
                    &oauth_redirect_uri(&state),
                    &oauth_state,
                );
                return Ok(axum::response::Redirect::to(&url).into_response());
            }
            Err(message) => {
                errors.add("instance", format!("the instance refused Agora: {message}"))
            }
        }
    }
    let draft = ChannelForm {
        network: "mastodon".into(),
        base_url: instance,
        name: form.name,
        timezone: form.timezone,
        ..ChannelForm::default()
    };
    channels_page(&state, &ctx, draft, errors, None).await
}

#[derive(Debug, Deserialize)]
pub struct OauthCallback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
}

/// Mastodon sends the person back here with a code; Agora trades it for a
/// token and connects the channel.
pub async fn mastodon_oauth_callback(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    axum::extract::Query(query): axum::extract::Query<OauthCallback>,
) -> PageResult {
    use agora_core::accounts::{Access, AccountStore};
    let account = ctx.account()?;
    let now = state.clock.now();
    let Some(pending) = state
        .db
        .take_oauth_state(&query.state, now.plus_seconds(-15 * 60))
        .await?
        .filter(|pending| pending.account_id == account.id)
    else {
        return Err(PageError::not_found(
            "This authorization is unknown or expired: start again from the Channels page.",
        ));
    };
    let membership = state
        .db
        .memberships_of(account.id)
        .await?
        .into_iter()
        .find(|m| m.workspace.id == pending.workspace_id && Access::Marketing.allows(m.role))
        .ok_or_else(|| PageError {
            status: StatusCode::FORBIDDEN,
            message: "You no longer publish in that workspace.".into(),
        })?;
    let back = format!("/w/{}/channels", membership.workspace.slug);
    if let Some(error) = query.error {
        return Ok(redirect_with_flash(
            &state,
            &back,
            &format!("Mastodon did not authorize Agora: {error}"),
        ));
    }
    let app = mastodon_app(&state, &pending.instance)
        .await
        .map_err(|message| PageError {
            status: StatusCode::BAD_GATEWAY,
            message,
        })?;
    let token = match agora_connectors::networks::mastodon::exchange_code(
        &state.settings.network_client,
        &pending.instance,
        &app,
        &oauth_redirect_uri(&state),
        &query.code,
    )
    .await
    {
        Ok(token) => token,
        Err(failure) => {
            return Ok(redirect_with_flash(
                &state,
                &back,
                &format!("Mastodon refused the authorization: {}", failure.message()),
            ));
        }
    };
    let draft = ChannelDraft {
        network: "mastodon".into(),
        name: pending.name,
        base_url: pending.instance,
        timezone: pending.timezone,
        access_token: token,
        ..ChannelDraft::default()
    };
    let message =
        match crate::publishing::connect_channel(&state, pending.workspace_id, &draft).await {
            Ok((channel, _)) => format!("{} is connected.", channel.name),
            Err(problem) => format!(
                "The channel was not connected: {}",
                problem
                    .errors
                    .first()
                    .map_or(problem.title.clone(), |e| e.detail.clone())
            ),
        };
    Ok(redirect_with_flash(&state, &back, &message))
}
