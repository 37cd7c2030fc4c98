//! One member for staff: identities on networks, tags, private notes, and
//! the merge suggestions of the workspace (members that look like one
//! person, with the reason), merges and unmerges.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use serde::Deserialize;

use agora_core::identities::{
    IdentityStore, Merge, MergeSuggestion, Note, check_identity, suggest,
};
use agora_core::members::{MemberProfile, MemberStore};

use super::{PageError, PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::viewer;
use crate::pages::account::redirect_with_flash;
use crate::shell::Shell;

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub workspace: String,
    pub member: i64,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    shell: Shell,
    ws: String,
    profile: MemberProfile,
    identities: Vec<(String, String)>,
    tags: Vec<String>,
    notes: Vec<Note>,
    networks: [&'static str; 5],
    merged_into: Option<Merge>,
}

async fn profile(
    state: &AppState,
    workspace: i64,
    member: i64,
) -> Result<MemberProfile, PageError> {
    state
        .db
        .profile(workspace, member)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such member here."))
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let profile = profile(&state, viewer.workspace_id, path.member).await?;
    let merged_into = state
        .db
        .merges(viewer.workspace_id)
        .await?
        .into_iter()
        .find(|merge| merge.merged_id == path.member && merge.unmerged_at.is_none());
    let shell = Shell::build(&state, &ctx, profile.name.clone()).await;
    Ok(render(&MemberPage {
        shell,
        ws: viewer.workspace_slug.clone(),
        identities: state.db.identities_of(path.member).await?,
        tags: state.db.member_tags(path.member).await?,
        notes: state.db.notes_of(path.member).await?,
        networks: agora_core::identities::NETWORKS,
        merged_into,
        profile,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    value: String,
}

/// Adds an identity; answers the flash message.
pub async fn add_identity_to(
    state: &AppState,
    workspace: i64,
    member: i64,
    network: &str,
    value: &str,
) -> Result<Result<(), (&'static str, String)>, PageError> {
    profile(state, workspace, member).await?;
    let (network, value) = match check_identity(network, value) {
        Ok(checked) => checked,
        Err(message) => return Ok(Err(("value", message))),
    };
    match state
        .db
        .add_identity(workspace, member, &network, &value, state.clock.now())
        .await
    {
        Ok(()) => Ok(Ok(())),
        Err(agora_core::StoreError::Conflict(_)) => Ok(Err((
            "value",
            format!("{value} on {network} is already someone's identity here"),
        ))),
        Err(other) => Err(other.into()),
    }
}

pub async fn add_identity(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<IdentityForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let message = match add_identity_to(
        &state,
        viewer.workspace_id,
        path.member,
        &form.network,
        &form.value,
    )
    .await?
    {
        Ok(()) => "Identity added.".to_owned(),
        Err((_, message)) => message,
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/members/{}", viewer.workspace_slug, path.member),
        &message,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct TagsForm {
    #[serde(default)]
    tags: String,
}

pub async fn save_tags(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<TagsForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    profile(&state, viewer.workspace_id, path.member).await?;
    let back = format!("/w/{}/members/{}", viewer.workspace_slug, path.member);
    let message = match agora_core::community::parse_tags(&form.tags) {
        Ok(tags) => {
            state.db.set_member_tags(path.member, &tags).await?;
            "Tags saved.".to_owned()
        }
        Err(error) => error.to_string(),
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    text: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<NoteForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    profile(&state, viewer.workspace_id, path.member).await?;
    let text = form.text.trim();
    let message = if text.is_empty() || text.chars().count() > 2_000 {
        "A note is 1 to 2,000 characters."
    } else {
        state
            .db
            .add_note(path.member, viewer.member_id, text, state.clock.now())
            .await?;
        "Note saved (staff only)."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/members/{}", viewer.workspace_slug, path.member),
        message,
    ))
}

#[derive(Template)]
#[template(path = "merges.html")]
struct MergesPage {
    shell: Shell,
    ws: String,
    suggestions: Vec<MergeSuggestion>,
    merges: Vec<Merge>,
}

/// The workspace's merge suggestions, strongest first.
pub async fn suggestions(
    state: &AppState,
    workspace: i64,
) -> Result<Vec<MergeSuggestion>, agora_core::StoreError> {
    let candidates = state.db.merge_candidates(workspace).await?;
    let skips = state.db.merge_skips(workspace).await?;
    Ok(suggest(&candidates, &skips))
}

pub async fn merges(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let shell = Shell::build(&state, &ctx, "Merge suggestions").await;
    Ok(render(&MergesPage {
        shell,
        ws: viewer.workspace_slug.clone(),
        suggestions: suggestions(&state, viewer.workspace_id).await?,
        merges: state.db.merges(viewer.workspace_id).await?,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    kept: i64,
    #[serde(default)]
    merged: i64,
    #[serde(default)]
    reason: String,
    /// `merge` or `dismiss`.
    #[serde(default)]
    action: String,
}

pub async fn merge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<MergeForm>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let back = format!("/w/{}/members/merges", viewer.workspace_slug);
    if form.action == "dismiss" {
        state
            .db
            .dismiss_suggestion(viewer.workspace_id, (form.kept, form.merged))
            .await?;
        return Ok(redirect_with_flash(
            &state,
            &back,
            "Not the same person: the suggestion is gone.",
        ));
    }
    let message = match state
        .db
        .merge_members(
            viewer.workspace_id,
            form.kept,
            form.merged,
            form.reason.trim(),
            viewer.member_id,
            state.clock.now(),
        )
        .await
    {
        Ok(_) => {
            "Merged: one member now, with both histories; undo it below if it was wrong.".to_owned()
        }
        Err(agora_core::StoreError::Conflict(message)) => message,
        Err(other) => return Err(other.into()),
    };
    Ok(redirect_with_flash(&state, &back, &message))
}

#[derive(Debug, Deserialize)]
pub struct MergePath {
    pub workspace: String,
    pub merge: i64,
}

pub async fn unmerge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MergePath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let message = if state
        .db
        .unmerge(viewer.workspace_id, path.merge, state.clock.now())
        .await?
    {
        "Unmerged: two members again, each with their own history."
    } else {
        "That merge was undone already."
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/members/merges", viewer.workspace_slug),
        message,
    ))
}
