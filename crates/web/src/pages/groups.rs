//! Managing a group: its name, description, visibility and rules (group
//! owners and workspace moderators), and its members' roles, join requests
//! and removals (group owners and moderators, and workspace moderators).

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use agora_core::community::{
    CommunityError, CommunityStore, GroupChanges, GroupMemberRow, GroupRole, Space, Visibility,
};

use super::{FieldErrors, PageError, PageResult, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::{ActionError, Viewer};
use crate::pages::account::redirect_with_flash;
use crate::pages::community::GroupPath;
use crate::shell::Shell;

#[derive(Template)]
#[template(path = "group_manage.html")]
struct ManagePage {
    shell: Shell,
    space: Space,
    /// Owners (and workspace moderators) change settings and roles.
    owns: bool,
    viewer_member: i64,
    members: Vec<GroupMemberRow>,
    name: String,
    description: String,
    visibility: String,
    rules: String,
    errors: FieldErrors,
}

/// The group, and whether the viewer owns it; refuses anyone who does not manage it.
async fn managed_group(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
) -> Result<(Space, bool), PageError> {
    let (space, membership) = crate::community::visible_group_by_slug(state, viewer, slug).await?;
    if !crate::community::manages_group(state, viewer, &space).await? {
        return Err(ActionError::from(CommunityError::NotAGroupModerator).into());
    }
    let owns =
        viewer.moderates || membership.is_some_and(|m| m.active && m.role == GroupRole::Owner);
    Ok((space, owns))
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    viewer: &Viewer,
    space: Space,
    owns: bool,
    form: Option<(SettingsForm, FieldErrors)>,
) -> PageResult {
    let members = state.db.group_members(space.id).await?;
    let (form, errors) = form.unwrap_or_else(|| {
        (
            SettingsForm {
                name: space.name.clone(),
                description: space.description.clone(),
                visibility: space.visibility.as_str().to_owned(),
                rules: space.rules.clone(),
            },
            FieldErrors::default(),
        )
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, format!("Manage {}", space.name)).await;
    Ok(render_with_status(
        status,
        &ManagePage {
            shell,
            space,
            owns,
            viewer_member: viewer.member_id,
            members,
            name: form.name,
            description: form.description,
            visibility: form.visibility,
            rules: form.rules,
            errors,
        },
    ))
}

pub async fn manage(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (space, owns) = managed_group(&state, &viewer, &path.group).await?;
    page(&state, &ctx, &viewer, space, owns, None).await
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    rules: String,
}

/// Saves a group's settings; changed rules must be accepted again by members.
pub async fn save_settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (space, owns) = managed_group(&state, &viewer, &path.group).await?;
    if !owns {
        return Err(PageError {
            status: StatusCode::FORBIDDEN,
            message: "Only the group's owners (and workspace moderators) change its settings."
                .into(),
        });
    }
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errors.add("name", "use 1 to 80 characters");
    }
    if form.description.chars().count() > 500 {
        errors.add("description", "use at most 500 characters");
    }
    if form.rules.chars().count() > 5_000 {
        errors.add("rules", "use at most 5,000 characters");
    }
    let visibility = Visibility::parse(&form.visibility);
    if visibility.is_none() {
        errors.add("visibility", "choose public, private or invite-only");
    }
    let Some(visibility) = visibility.filter(|_| errors.is_empty()) else {
        return page(&state, &ctx, &viewer, space, owns, Some((form, errors))).await;
    };
    let before = space.rules_version;
    let updated = state
        .db
        .update_group(
            space.id,
            &GroupChanges {
                name: name.to_owned(),
                description: form.description.trim().to_owned(),
                visibility,
                rules: form.rules.trim().to_owned(),
            },
        )
        .await?;
    let message = if updated.rules_version > before {
        "Group saved. The rules changed: members accept them again before they post."
    } else {
        "Group saved."
    };
    Ok(redirect_with_flash(
        &state,
        &format!(
            "/w/{}/groups/{}/manage",
            viewer.workspace_slug, updated.slug
        ),
        message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub workspace: String,
    pub group: String,
    pub member: i64,
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    /// `owner`, `moderator`, `member`, `approve` or `remove`.
    #[serde(default)]
    action: String,
}

/// Changes one member's place in the group.
pub async fn update_member(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MemberPath>,
    Form(form): Form<MemberForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (space, owns) = managed_group(&state, &viewer, &path.group).await?;
    let membership = state
        .db
        .group_membership(space.id, path.member)
        .await?
        .ok_or_else(|| PageError::not_found("This member is not in the group."))?;
    let target_is_owner = membership.role == GroupRole::Owner;
    let message = match form.action.as_str() {
        "approve" => {
            state
                .db
                .upsert_group_membership(&agora_core::community::GroupMembership {
                    active: true,
                    ..membership
                })
                .await?;
            crate::moderation::close_join_request(&state, &viewer, space.id, path.member, true)
                .await?;
            "Request approved."
        }
        "remove" if owns || !target_is_owner => {
            state.db.leave_group(space.id, path.member).await?;
            crate::moderation::close_join_request(&state, &viewer, space.id, path.member, false)
                .await?;
            "Removed from the group."
        }
        action @ ("owner" | "moderator" | "member") if owns => {
            let role = GroupRole::parse(action).unwrap_or(GroupRole::Member);
            state
                .db
                .upsert_group_membership(&agora_core::community::GroupMembership {
                    role,
                    ..membership
                })
                .await?;
            "Role changed."
        }
        "remove" | "owner" | "moderator" | "member" => {
            return Err(PageError {
                status: StatusCode::FORBIDDEN,
                message: "Only the group's owners (and workspace moderators) change roles or remove an owner.".into(),
            });
        }
        _ => {
            return Err(PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: "Choose owner, moderator, member, approve or remove.".into(),
            });
        }
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/groups/{}/manage", viewer.workspace_slug, space.slug),
        message,
    ))
}
