//! Member profiles and the community manager's welcome desk: newcomers with
//! their onboarding checklist, and introductions between members who share
//! interests but have never interacted.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use agora_core::community::render_markdown;
use agora_core::community::{CommunityStore, Space};
use agora_core::members::{
    DEFAULT_WELCOME, DigestFrequency, Introduction, MemberProfile, MemberStore, Newcomer,
    parse_interests, personalise_welcome, suggest_introductions, week_start,
};

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::ThreadDraft;
use crate::pages::account::redirect_with_flash;
use crate::shell::Shell;

/// A newcomer is a member in their first 14 days.
pub const NEWCOMER_DAYS: i64 = 14;

#[derive(Debug, Deserialize)]
pub struct HandlePath {
    pub workspace: String,
    pub handle: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    shell: Shell,
    profile: MemberProfile,
    is_self: bool,
}

pub async fn profile(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<HandlePath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let profile = state
        .db
        .profile_by_handle(viewer.workspace_id, &path.handle)
        .await?
        .ok_or_else(|| PageError::not_found("There is no member with this handle."))?;
    let is_self = profile.id == viewer.member_id;
    if !profile.visible_to_members && !viewer.is_staff && !is_self {
        return Err(PageError::not_found(
            "This member keeps their profile private.",
        ));
    }
    let shell = Shell::build(&state, &ctx, profile.name.clone()).await;
    Ok(render(&ProfilePage {
        shell,
        profile,
        is_self,
    }))
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct ProfileEditPage {
    shell: Shell,
    profile: MemberProfile,
    activity_emails: bool,
    newsletter: bool,
    digest: String,
    bio: String,
    interests: String,
    visible_to_members: bool,
    errors: FieldErrors,
}

pub async fn edit_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let profile = state
        .db
        .profile(viewer.workspace_id, viewer.member_id)
        .await?
        .ok_or_else(|| PageError::not_found("No profile."))?;
    let (activity_emails, digest) = state.db.email_preferences(viewer.member_id).await?;
    let newsletter = state.db.newsletter(viewer.member_id).await?;
    let shell = Shell::build(&state, &ctx, "Your profile").await;
    Ok(render(&ProfileEditPage {
        shell,
        activity_emails,
        newsletter,
        digest: digest.as_str().to_owned(),
        bio: profile.bio.clone(),
        interests: profile.interests.join(", "),
        visible_to_members: profile.visible_to_members,
        profile,
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    bio: String,
    #[serde(default)]
    interests: String,
    #[serde(default)]
    visible_to_members: Option<String>,
    #[serde(default)]
    activity_emails: Option<String>,
    #[serde(default)]
    newsletter: Option<String>,
    #[serde(default)]
    digest: String,
}

pub async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ProfileForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let profile = state
        .db
        .profile(viewer.workspace_id, viewer.member_id)
        .await?
        .ok_or_else(|| PageError::not_found("No profile."))?;
    let mut errors = FieldErrors::default();
    let bio = form.bio.trim().to_owned();
    if bio.chars().count() > 1_000 {
        errors.add("bio", "use at most 1,000 characters");
    }
    let interests = parse_interests(&form.interests)
        .map_err(|message| errors.add("interests", message))
        .ok();
    let visible_to_members = form
        .visible_to_members
        .as_deref()
        .is_some_and(|value| !value.is_empty());
    let activity_emails = form
        .activity_emails
        .as_deref()
        .is_some_and(|value| !value.is_empty());
    let newsletter = form
        .newsletter
        .as_deref()
        .is_some_and(|value| !value.is_empty());
    let digest = if form.digest.is_empty() {
        Some(DigestFrequency::Off)
    } else {
        DigestFrequency::parse(&form.digest)
    };
    if digest.is_none() {
        errors.add("digest", "choose off, daily or weekly");
    }
    match (interests, digest) {
        (Some(interests), Some(digest)) if errors.is_empty() => {
            state
                .db
                .update_profile(viewer.member_id, &bio, &interests, visible_to_members)
                .await?;
            state
                .db
                .set_email_preferences(viewer.member_id, activity_emails, digest)
                .await?;
            state
                .db
                .set_newsletter(viewer.member_id, newsletter)
                .await?;
            Ok(redirect_with_flash(
                &state,
                &format!("/w/{}/people/{}", workspace.slug, profile.handle),
                "Profile saved.",
            ))
        }
        _ => {
            let shell = Shell::build(&state, &ctx, "Your profile").await;
            let page = ProfileEditPage {
                shell,
                profile,
                activity_emails,
                newsletter,
                digest: form.digest,
                bio: form.bio,
                interests: form.interests,
                visible_to_members,
                errors,
            };
            Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    shell: Shell,
    newcomers: Vec<Newcomer>,
    /// This week's batch: each pair with the thread that introduced them, if any.
    introductions: Vec<(Introduction, Option<i64>)>,
    week_of: String,
    groups: Vec<Space>,
    /// The welcome message template, as the community manager wrote it.
    message: String,
    /// The message as a newcomer named "Alex" would see it.
    preview_html: String,
    errors: FieldErrors,
}

/// The workspace's welcome message template (the default until one is saved).
pub async fn welcome_template(state: &AppState, workspace: i64) -> Result<String, PageError> {
    Ok(state
        .db
        .welcome_message(workspace)
        .await?
        .unwrap_or_else(|| DEFAULT_WELCOME.to_owned()))
}

/// This week's introductions: the stored batch, made from the current
/// suggestions the first time anyone looks during the week.
async fn this_weeks_introductions(
    state: &AppState,
    workspace: i64,
) -> Result<Vec<(Introduction, Option<i64>)>, PageError> {
    let week = week_start(state.clock.now());
    let members = state.db.members_with_interests(workspace).await?;
    let mut batch = state.db.introduction_batch(workspace, week).await?;
    if batch.is_empty() {
        let mut interacted = state.db.interacted_pairs(workspace).await?;
        interacted.extend(state.db.introduced_pairs(workspace).await?);
        let suggestions = suggest_introductions(&members, &interacted, 10);
        state
            .db
            .save_introduction_batch(workspace, week, &suggestions)
            .await?;
        batch = state.db.introduction_batch(workspace, week).await?;
    }
    let profile = |id: i64| members.iter().find(|member| member.id == id).cloned();
    Ok(batch
        .into_iter()
        .filter(|pair| !pair.dismissed)
        .filter_map(|pair| {
            Some((
                Introduction {
                    first: profile(pair.first_id)?,
                    second: profile(pair.second_id)?,
                    shared: pair.shared,
                },
                pair.thread_id,
            ))
        })
        .collect())
}

pub async fn welcome(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    welcome_page(&state, &ctx, &viewer, None).await
}

async fn welcome_page(
    state: &AppState,
    ctx: &Ctx,
    viewer: &crate::community::Viewer,
    draft: Option<(String, FieldErrors)>,
) -> PageResult {
    let since = state.clock.now().plus_seconds(-NEWCOMER_DAYS * 86_400);
    let newcomers = state.db.newcomers(viewer.workspace_id, since).await?;
    let introductions = this_weeks_introductions(state, viewer.workspace_id).await?;
    let (workspace, _) = ctx.workspace()?;
    let (message, errors) = match draft {
        Some(draft) => draft,
        None => (
            welcome_template(state, viewer.workspace_id).await?,
            FieldErrors::default(),
        ),
    };
    let preview_html = render_markdown(&personalise_welcome(&message, "Alex", &workspace.name));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let groups = crate::community::visible_groups(state, viewer)
        .await?
        .into_iter()
        .map(|(space, _)| space)
        .collect();
    let shell = Shell::build(state, ctx, "Welcome").await;
    Ok(render_with_status(
        status,
        &WelcomePage {
            shell,
            newcomers,
            introductions,
            week_of: week_start(state.clock.now()).display_date(),
            groups,
            message,
            preview_html,
            errors,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct WelcomeMessageForm {
    #[serde(default)]
    message: String,
}

/// Saves the welcome message newcomers see in their first 14 days.
pub async fn save_welcome_message(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<WelcomeMessageForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let message = form.message.trim().to_owned();
    let mut errors = FieldErrors::default();
    if message.is_empty() {
        errors.add(
            "message",
            "write a message (use {name} for the newcomer's name)",
        );
    } else if message.chars().count() > 5_000 {
        errors.add("message", "use at most 5,000 characters");
    }
    if !errors.is_empty() {
        return welcome_page(&state, &ctx, &viewer, Some((form.message, errors))).await;
    }
    state
        .db
        .set_welcome_message(
            viewer.workspace_id,
            &message,
            viewer.member_id,
            state.clock.now(),
        )
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/welcome", viewer.workspace_slug),
        "Welcome message saved: newcomers see it on their first visits.",
    ))
}

/// A newcomer puts the welcome panel away.
pub async fn dismiss_welcome(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    state
        .db
        .dismiss_welcome(viewer.member_id, state.clock.now())
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/community", viewer.workspace_slug),
        "Welcome put away.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct PairForm {
    first: i64,
    second: i64,
}

/// Skips a suggested introduction for this week.
pub async fn skip_introduction(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<PairForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let now = state.clock.now();
    state
        .db
        .settle_introduction(
            viewer.workspace_id,
            week_start(now),
            (form.first, form.second),
            None,
            now,
        )
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/welcome", viewer.workspace_slug),
        "Skipped for this week.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct IntroductionForm {
    first: i64,
    second: i64,
    #[serde(default)]
    group: String,
}

/// Posts an introduction thread that mentions both members, who are notified.
pub async fn introduce(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<IntroductionForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (Some(first), Some(second)) = (
        state.db.profile(workspace.id, form.first).await?,
        state.db.profile(workspace.id, form.second).await?,
    ) else {
        return Err(PageError::not_found("One of these members is gone."));
    };
    let space = state.db.space_by_slug(workspace.id, &form.group).await?;
    let (space, _) = crate::community::visible_group(&state, &viewer, space).await?;
    let shared: Vec<String> = first
        .interests
        .iter()
        .filter(|interest| second.interests.contains(interest))
        .cloned()
        .collect();
    let draft = ThreadDraft {
        title: format!("Meet {} and {}", first.name, second.name),
        body: format!(
            "@{}, meet @{}: you both enjoy {}. Say hello and tell each other what you are working on!",
            first.handle,
            second.handle,
            if shared.is_empty() {
                "this community".to_owned()
            } else {
                shared.join(", ")
            }
        ),
        kind: "discussion".into(),
        tags: "introductions".into(),
    };
    let crate::community::Posted::Published(thread) =
        crate::community::post_thread(&state, &viewer, &space, &draft).await?
    else {
        return Err(
            crate::problem::Problem::forbidden("staff posts are never held; this one was").into(),
        );
    };
    let now = state.clock.now();
    state
        .db
        .settle_introduction(
            workspace.id,
            week_start(now),
            (first.id, second.id),
            Some(thread),
            now,
        )
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/threads/{thread}", workspace.slug),
        "Introduction posted; both were notified.",
    ))
}
