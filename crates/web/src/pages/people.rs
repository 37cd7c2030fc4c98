//! Member profiles and the community manager's welcome desk: newcomers with
//! their onboarding checklist, and introductions between members who share
//! interests but have never interacted.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use agora_core::community::{CommunityStore, Space};
use agora_core::members::{
    DigestFrequency, Introduction, MemberProfile, MemberStore, Newcomer, parse_interests,
    suggest_introductions,
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
    let shell = Shell::build(&state, &ctx, "Your profile").await;
    Ok(render(&ProfileEditPage {
        shell,
        activity_emails,
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
    introductions: Vec<Introduction>,
    groups: Vec<Space>,
}

pub async fn welcome(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let since = state.clock.now().plus_seconds(-NEWCOMER_DAYS * 86_400);
    let newcomers = state.db.newcomers(viewer.workspace_id, since).await?;
    let members = state.db.members_with_interests(viewer.workspace_id).await?;
    let interacted = state.db.interacted_pairs(viewer.workspace_id).await?;
    let introductions = suggest_introductions(&members, &interacted, 10);
    let groups = crate::community::visible_groups(&state, &viewer)
        .await?
        .into_iter()
        .map(|(space, _)| space)
        .collect();
    let shell = Shell::build(&state, &ctx, "Welcome").await;
    Ok(render(&WelcomePage {
        shell,
        newcomers,
        introductions,
        groups,
    }))
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
    let thread = crate::community::post_thread(&state, &viewer, &space, &draft).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/threads/{thread}", workspace.slug),
        "Introduction posted; both were notified.",
    ))
}
