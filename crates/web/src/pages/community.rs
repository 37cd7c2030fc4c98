//! Community pages: groups, their threads, a thread with its replies, the
//! member directory for staff, and the first analytics view.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use agora_core::analytics::{InteractionStore, SpaceActivity};
use agora_core::community::{
    CommunityError, CommunityStore, GroupMembership, Notification, REACTIONS, SearchHit,
    SearchQuery, Space, SpaceKind, ThreadKind, ThreadSummary, ThreadView, can_post, can_read,
    render_markdown,
};
use agora_core::members::{MemberStore, MemberSummary};
use agora_core::pagination::{Cursor, page_size};

use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::{ActionError, ThreadDraft};
use crate::community::{HELD_MESSAGE, Posted};
use crate::pages::account::redirect_with_flash;
use crate::shell::Shell;

pub struct GroupCard {
    pub space: Space,
    pub status: &'static str,
    pub readable: bool,
    pub threads: Vec<ThreadSummary>,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    shell: Shell,
    groups: Vec<GroupCard>,
    welcome: Option<WelcomePanel>,
}

/// What a newcomer sees in their first 14 days: the community manager's
/// welcome message and their onboarding checklist.
pub struct WelcomePanel {
    pub message_html: String,
    pub handle: String,
    pub profile_complete: bool,
    pub introduced: bool,
    pub replied: bool,
    /// RSVPed "going" to an event.
    pub evented: bool,
}

/// The welcome panel, for a newcomer who has not put it away.
async fn welcome_panel(
    state: &AppState,
    viewer: &crate::community::Viewer,
    workspace_name: &str,
) -> Result<Option<WelcomePanel>, PageError> {
    let now = state.clock.now();
    let since = now.plus_seconds(-crate::pages::people::NEWCOMER_DAYS * 86_400);
    let Some(profile) = state
        .db
        .profile(viewer.workspace_id, viewer.member_id)
        .await?
    else {
        return Ok(None);
    };
    if profile.joined_at < since
        || profile.is_staff
        || state
            .db
            .welcome_dismissed_at(viewer.member_id)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let newcomer = state
        .db
        .newcomers(viewer.workspace_id, since)
        .await?
        .into_iter()
        .find(|newcomer| newcomer.profile.id == viewer.member_id);
    let template = crate::pages::people::welcome_template(state, viewer.workspace_id).await?;
    let message =
        agora_core::members::personalise_welcome(&template, &profile.name, workspace_name);
    Ok(Some(WelcomePanel {
        message_html: render_markdown(&message),
        profile_complete: profile.is_complete(),
        introduced: newcomer.as_ref().is_some_and(|n| n.n_threads > 0),
        replied: newcomer.as_ref().is_some_and(|n| n.n_replies > 0),
        evented: agora_core::events::EventStore::has_gone_to_event(&state.db, viewer.member_id)
            .await?,
        handle: profile.handle,
    }))
}

fn membership_status(membership: Option<&GroupMembership>) -> &'static str {
    match membership {
        Some(m) if m.active => "member",
        Some(_) => "requested",
        None => "",
    }
}

pub async fn community(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let mut groups = Vec::new();
    for (space, membership) in crate::community::visible_groups(&state, &viewer).await? {
        let readable = can_read(&space, membership.as_ref(), viewer.is_staff);
        let threads = if readable {
            state.db.list_threads(space.id, 3).await?
        } else {
            Vec::new()
        };
        groups.push(GroupCard {
            status: membership_status(membership.as_ref()),
            readable,
            space,
            threads,
        });
    }
    let (workspace, _) = ctx.workspace()?;
    let welcome = welcome_panel(&state, &viewer, &workspace.name).await?;
    let shell = Shell::build(&state, &ctx, "Community").await;
    Ok(render(&CommunityPage {
        shell,
        groups,
        welcome,
    }))
}

#[derive(Debug, Deserialize)]
pub struct GroupPath {
    pub workspace: String,
    pub group: String,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    shell: Shell,
    space: Space,
    status: &'static str,
    readable: bool,
    postable: bool,
    threads: Vec<ThreadSummary>,
    requests: Vec<(i64, String)>,
    /// Owners and moderators of the group (and workspace moderators) manage it.
    manages: bool,
    /// A sanction or warning the member should see here.
    notice: Option<String>,
    /// Whether the member must accept the code of conduct before posting.
    conduct_needed: bool,
    draft_title: String,
    draft_body: String,
    draft_kind: String,
    draft_tags: String,
    errors: FieldErrors,
}

async fn group_page(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    draft: Option<(ThreadDraft, FieldErrors)>,
) -> PageResult {
    let viewer = crate::community::viewer(state, ctx).await?;
    let (space, membership) = crate::community::visible_group_by_slug(state, &viewer, slug).await?;
    let readable = can_read(&space, membership.as_ref(), viewer.is_staff);
    let threads = if readable {
        state.db.list_threads(space.id, 100).await?
    } else {
        Vec::new()
    };
    let manages = crate::community::manages_group(state, &viewer, &space).await?;
    let requests = if manages {
        state.db.join_requests(space.id).await?
    } else {
        Vec::new()
    };
    let (draft, errors) = draft.unwrap_or((
        ThreadDraft {
            title: String::new(),
            body: String::new(),
            kind: "discussion".into(),
            tags: String::new(),
        },
        FieldErrors::default(),
    ));
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = GroupPage {
        shell: Shell::build(state, ctx, space.name.clone()).await,
        status: membership_status(membership.as_ref()),
        readable,
        postable: can_post(&space, membership.as_ref(), viewer.is_staff),
        threads,
        requests,
        manages,
        notice: crate::moderation::notice(state, &viewer, Some(space.id)).await?,
        conduct_needed: conduct_needed(state, &viewer).await?,
        draft_title: draft.title,
        draft_body: draft.body,
        draft_kind: draft.kind,
        draft_tags: draft.tags,
        errors,
        space,
    };
    Ok(render_with_status(status_code, &page))
}

pub async fn group(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
) -> PageResult {
    group_page(&state, &ctx, &path.group, None).await
}

#[derive(Debug, Deserialize)]
pub struct ThreadForm {
    #[serde(default)]
    tags: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
}

pub async fn create_thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
    Form(form): Form<ThreadForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (space, _) = crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    let draft = ThreadDraft {
        title: form.title,
        body: form.body,
        kind: if form.kind.is_empty() {
            "discussion".into()
        } else {
            form.kind
        },
        tags: form.tags,
    };
    match crate::community::post_thread(&state, &viewer, &space, &draft).await {
        Ok(Posted::Published(thread)) => {
            Ok(Redirect::to(&format!("/w/{}/threads/{thread}", workspace.slug)).into_response())
        }
        Ok(Posted::Held(_)) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/groups/{}", workspace.slug, space.slug),
            HELD_MESSAGE,
        )),
        Err(ActionError::Community(error)) => {
            let mut errors = FieldErrors::default();
            errors.add(error.field().unwrap_or("_"), error.to_string());
            group_page(&state, &ctx, &path.group, Some((draft, errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    shell: Shell,
    space: Space,
    rules_html: String,
    errors: FieldErrors,
}

pub async fn join_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (space, _) = crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    let shell = Shell::build(&state, &ctx, format!("Join {}", space.name)).await;
    Ok(render(&JoinPage {
        shell,
        rules_html: render_markdown(&space.rules),
        space,
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    accept_rules: Option<String>,
}

pub async fn join(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
    Form(form): Form<JoinForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (space, _) = crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    match crate::community::join(&state, &viewer, &space, form.accept_rules.is_some()).await {
        Ok(membership) => {
            let message = if membership.active {
                format!("Welcome to {}.", space.name)
            } else {
                format!(
                    "Your request to join {} was sent to its moderators.",
                    space.name
                )
            };
            Ok(redirect_with_flash(
                &state,
                &format!("/w/{}/groups/{}", workspace.slug, space.slug),
                &message,
            ))
        }
        Err(ActionError::Community(error)) if error.field().is_some() => {
            let mut errors = FieldErrors::default();
            errors.add("accept_rules", error.to_string());
            let shell = Shell::build(&state, &ctx, format!("Join {}", space.name)).await;
            Ok(render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &JoinPage {
                    shell,
                    rules_html: render_markdown(&space.rules),
                    space,
                    errors,
                },
            ))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn leave(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<GroupPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (space, _) = crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    state.db.leave_group(space.id, viewer.member_id).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/community", workspace.slug),
        &format!("You left {}.", space.name),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RequestPath {
    pub workspace: String,
    pub group: String,
    pub member: i64,
}

pub async fn approve_request(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<RequestPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (space, _) = crate::community::visible_group_by_slug(&state, &viewer, &path.group).await?;
    if !crate::community::manages_group(&state, &viewer, &space).await? {
        return Err(ActionError::from(CommunityError::NotAGroupModerator).into());
    }
    let Some(request) = state
        .db
        .group_membership(space.id, path.member)
        .await?
        .filter(|m| !m.active)
    else {
        return Err(PageError::not_found("There is no such request."));
    };
    state
        .db
        .upsert_group_membership(&GroupMembership {
            active: true,
            ..request
        })
        .await?;
    crate::moderation::close_join_request(&state, &viewer, space.id, path.member, true).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/groups/{}", workspace.slug, space.slug),
        "Request approved.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct ThreadPath {
    pub workspace: String,
    pub thread: i64,
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    shell: Shell,
    viewer_member: i64,
    /// Staff who moderate see pin and lock buttons.
    can_moderate: bool,
    /// The workspace slug, for the many links of a long thread.
    ws: String,
    space: Space,
    thread: ThreadView,
    can_accept: bool,
    postable: bool,
    reactions: [&'static str; 5],
    draft: String,
    quote: Option<i64>,
    errors: FieldErrors,
    notice: Option<String>,
    conduct_needed: bool,
    flag_reasons: Vec<(&'static str, &'static str)>,
}

impl ThreadPage {
    fn is_mine(&self, reply: &agora_core::community::ReplyView) -> bool {
        reply.author_id == self.viewer_member
    }

    fn is_accepted(&self, reply: &agora_core::community::ReplyView) -> bool {
        self.thread.accepted_reply_id == Some(reply.id)
    }

    /// The author of the reply with this id, for "in reply to" lines.
    fn author_of(&self, reply: &i64) -> String {
        self.thread
            .replies
            .iter()
            .find(|r| r.id == *reply)
            .map(|r| r.author_name.clone())
            .unwrap_or_default()
    }
}

async fn thread_page(
    state: &AppState,
    ctx: &Ctx,
    thread: i64,
    draft: Option<(String, Option<i64>, FieldErrors)>,
) -> PageResult {
    let viewer = crate::community::viewer(state, ctx).await?;
    let (space, thread) = crate::community::readable_thread(state, &viewer, thread).await?;
    let membership = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    let (draft, quote, errors) = draft.unwrap_or_default();
    // Threads read count towards trust levels.
    agora_core::moderation::ModerationStore::record_thread_read(
        &state.db,
        viewer.member_id,
        thread.id,
        state.clock.now(),
    )
    .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ThreadPage {
        shell: Shell::build(state, ctx, thread.title.clone()).await,
        ws: viewer.workspace_slug.clone(),
        viewer_member: viewer.member_id,
        can_moderate: crate::community::manages_group(state, &viewer, &space).await?,
        can_accept: thread.kind == ThreadKind::Question
            && (viewer.is_staff || thread.author_id == viewer.member_id),
        postable: can_post(&space, membership.as_ref(), viewer.is_staff)
            && (!thread.locked || viewer.is_staff),
        reactions: REACTIONS,
        notice: crate::moderation::notice(state, &viewer, Some(space.id)).await?,
        conduct_needed: conduct_needed(state, &viewer).await?,
        flag_reasons: crate::pages::moderation::flag_reasons(),
        space,
        thread,
        draft,
        quote,
        errors,
    };
    Ok(render_with_status(status, &page))
}

#[derive(Debug, Deserialize)]
pub struct ThreadQuery {
    /// The reply to quote in the reply form.
    quote: Option<i64>,
}

pub async fn thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    Query(query): Query<ThreadQuery>,
) -> PageResult {
    let draft = query
        .quote
        .map(|quote| (String::new(), Some(quote), FieldErrors::default()));
    thread_page(&state, &ctx, path.thread, draft).await
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    quote_reply_id: Option<String>,
}

pub async fn reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    Form(form): Form<ReplyForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let quote = form
        .quote_reply_id
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .and_then(|raw| raw.parse::<i64>().ok());
    match crate::community::post_reply(&state, &viewer, path.thread, &form.body, quote).await {
        Ok(Posted::Published(reply)) => Ok(Redirect::to(&format!(
            "/w/{}/threads/{}#reply-{reply}",
            workspace.slug, path.thread
        ))
        .into_response()),
        Ok(Posted::Held(_)) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/threads/{}", workspace.slug, path.thread),
            HELD_MESSAGE,
        )),
        Err(ActionError::Community(error))
            if error.field().is_some()
                || matches!(
                    error,
                    CommunityError::RateLimited { .. }
                        | CommunityError::Sanctioned { .. }
                        | CommunityError::ConductNotAccepted { .. }
                ) =>
        {
            let mut errors = FieldErrors::default();
            errors.add(error.field().unwrap_or("_"), error.to_string());
            thread_page(&state, &ctx, path.thread, Some((form.body, quote, errors))).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "edit_reply.html")]
struct EditReplyPage {
    shell: Shell,
    reply_id: i64,
    thread_id: i64,
    body: String,
    history: Vec<(String, agora_core::Timestamp, String)>,
    errors: FieldErrors,
}

/// The edit form of one's own reply, with its earlier versions.
pub async fn edit_reply_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ReplyPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (thread, _) = state
        .db
        .thread_of_reply(viewer.workspace_id, path.reply)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such reply."))?;
    let (_, view) = crate::community::readable_thread(&state, &viewer, thread).await?;
    let reply = view
        .replies
        .into_iter()
        .find(|r| r.id == path.reply)
        .ok_or_else(|| PageError::not_found("There is no such reply."))?;
    let history = state.db.reply_history(path.reply).await?;
    let shell = Shell::build(&state, &ctx, "Edit your reply").await;
    Ok(render(&EditReplyPage {
        shell,
        reply_id: reply.id,
        thread_id: thread,
        body: reply.body,
        history,
        errors: FieldErrors::default(),
    }))
}

pub async fn edit_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ReplyPath>,
    Form(form): Form<ReplyForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    match crate::community::edit_reply(&state, &viewer, path.reply, &form.body).await {
        Ok(thread) => Ok(redirect_with_flash(
            &state,
            &format!(
                "/w/{}/threads/{thread}#reply-{}",
                workspace.slug, path.reply
            ),
            "Reply edited.",
        )),
        Err(ActionError::Community(error)) if error.field().is_some() => {
            let mut errors = FieldErrors::default();
            errors.add("body", error.to_string());
            let (thread, _) = state
                .db
                .thread_of_reply(viewer.workspace_id, path.reply)
                .await?
                .ok_or_else(|| PageError::not_found("There is no such reply."))?;
            let history = state.db.reply_history(path.reply).await?;
            let shell = Shell::build(&state, &ctx, "Edit your reply").await;
            let page = EditReplyPage {
                shell,
                reply_id: path.reply,
                thread_id: thread,
                body: form.body,
                history,
                errors,
            };
            Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn delete_reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ReplyPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, role) = ctx.workspace()?;
    let can_moderate = agora_core::accounts::Access::Moderation.allows(role);
    let thread = crate::community::delete_reply(&state, &viewer, can_moderate, path.reply).await?;
    Ok(redirect_with_flash(
        &state,
        &format!(
            "/w/{}/threads/{thread}#reply-{}",
            workspace.slug, path.reply
        ),
        "Reply deleted.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct FlagForm {
    /// `pin`, `unpin`, `lock` or `unlock`.
    #[serde(default)]
    action: String,
}

/// Pins or locks a thread (moderators and community managers).
pub async fn moderate_thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    Form(form): Form<FlagForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (space, _) = crate::community::readable_thread(&state, &viewer, path.thread).await?;
    if !crate::community::manages_group(&state, &viewer, &space).await? {
        return Err(ActionError::from(CommunityError::NotAGroupModerator).into());
    }
    let (pinned, locked, message) = match form.action.as_str() {
        "pin" => (Some(true), None, "Thread pinned."),
        "unpin" => (Some(false), None, "Thread unpinned."),
        "lock" => (
            None,
            Some(true),
            "Thread locked: members can no longer reply.",
        ),
        "unlock" => (None, Some(false), "Thread unlocked."),
        _ => {
            return Err(PageError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: "choose pin, unpin, lock or unlock".into(),
            });
        }
    };
    state
        .db
        .set_thread_flags(path.thread, pinned, locked)
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/threads/{}", workspace.slug, path.thread),
        message,
    ))
}

#[derive(Debug, Deserialize)]
pub struct SupportQuery {
    /// Threads without an answer for at least this many hours are listed.
    hours: Option<i64>,
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    shell: Shell,
    hours: i64,
    unanswered: Vec<agora_core::community::FirstResponse>,
    summary: agora_core::community::SupportSummary,
    now: agora_core::Timestamp,
}

impl SupportPage {
    fn waiting(&self, response: &agora_core::community::FirstResponse) -> String {
        let hours = (self.now.millis() - response.asked_at.millis()) / 3_600_000;
        if hours >= 48 {
            format!("{} days", hours / 24)
        } else {
            format!("{hours} h")
        }
    }

    fn percent(&self) -> String {
        self.summary
            .peer_first_response_share
            .map_or("—".to_owned(), |share| format!("{:.0} %", share * 100.0))
    }

    fn minutes(value: &Option<i64>) -> String {
        match value {
            None => "—".to_owned(),
            Some(minutes) if *minutes >= 120 => format!("{:.1} h", *minutes as f64 / 60.0),
            Some(minutes) => format!("{minutes} min"),
        }
    }
}

/// The support view: questions waiting for an answer, and who answers first, how fast.
pub async fn support(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<SupportQuery>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let hours = query.hours.unwrap_or(24).clamp(1, 24 * 90);
    let now = state.clock.now();
    let responses = state
        .db
        .first_responses(workspace.id, now.plus_seconds(-90 * 86_400))
        .await?;
    let summary = agora_core::community::summarise_support(&responses);
    let cutoff = now.plus_seconds(-hours * 3_600);
    let unanswered = responses
        .into_iter()
        .filter(|r| r.first_reply_at.is_none() && r.asked_at <= cutoff)
        .collect();
    let shell = Shell::build(&state, &ctx, "Support").await;
    Ok(render(&SupportPage {
        shell,
        hours,
        unanswered,
        summary,
        now,
    }))
}

#[derive(Debug, Deserialize)]
pub struct ReplyPath {
    pub workspace: String,
    pub reply: i64,
}

#[derive(Debug, Deserialize)]
pub struct ReactionForm {
    #[serde(default)]
    emoji: String,
}

#[derive(Template)]
#[template(path = "reactions.html")]
struct ReactionBar {
    workspace_slug: String,
    /// `replies/{id}` or `threads/{id}`: what the reactions are on.
    target: String,
    /// The form's element id, for htmx to swap.
    dom_id: String,
    counts: Vec<(String, i64)>,
    reactions: [&'static str; 5],
    csrf: String,
}

impl ReactionBar {
    fn count(&self, emoji: &&str) -> i64 {
        self.counts
            .iter()
            .find(|(e, _)| e == emoji)
            .map_or(0, |(_, n)| *n)
    }
}

pub async fn react(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ReplyPath>,
    headers: HeaderMap,
    Form(form): Form<ReactionForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    let (thread, counts) =
        crate::community::react(&state, &viewer, path.reply, &form.emoji).await?;
    if headers.contains_key("hx-request") {
        return Ok(render(&ReactionBar {
            workspace_slug: workspace.slug.clone(),
            target: format!("replies/{}", path.reply),
            dom_id: format!("reactions-{}", path.reply),
            counts,
            reactions: REACTIONS,
            csrf: ctx.csrf_token.clone(),
        }));
    }
    Ok(Redirect::to(&format!(
        "/w/{}/threads/{thread}#reply-{}",
        workspace.slug, path.reply
    ))
    .into_response())
}

/// Reacts to a thread's opening post.
pub async fn react_to_thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    headers: HeaderMap,
    Form(form): Form<ReactionForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let counts =
        crate::community::react_to_thread(&state, &viewer, path.thread, &form.emoji).await?;
    if headers.contains_key("hx-request") {
        return Ok(render(&ReactionBar {
            workspace_slug: viewer.workspace_slug.clone(),
            target: format!("threads/{}", path.thread),
            dom_id: "reactions-thread".into(),
            counts,
            reactions: REACTIONS,
            csrf: ctx.csrf_token.clone(),
        }));
    }
    Ok(Redirect::to(&format!(
        "/w/{}/threads/{}",
        viewer.workspace_slug, path.thread
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "edit_thread.html")]
struct EditThreadPage {
    shell: Shell,
    thread_id: i64,
    title: String,
    body: String,
    history: Vec<(String, String, agora_core::Timestamp, String)>,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct EditThreadForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// The edit form of one's own thread, with the opening post's earlier versions.
pub async fn edit_thread_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (_, view) = crate::community::readable_thread(&state, &viewer, path.thread).await?;
    if view.author_id != viewer.member_id {
        return Err(ActionError::from(CommunityError::NotTheAuthor).into());
    }
    let history = state.db.thread_history(path.thread).await?;
    let shell = Shell::build(&state, &ctx, "Edit your thread").await;
    Ok(render(&EditThreadPage {
        shell,
        thread_id: view.id,
        title: view.title,
        body: view.body,
        history,
        errors: FieldErrors::default(),
    }))
}

pub async fn edit_thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    Form(form): Form<EditThreadForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    match crate::community::edit_thread(&state, &viewer, path.thread, &form.title, &form.body).await
    {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/threads/{}", viewer.workspace_slug, path.thread),
            "Thread edited.",
        )),
        Err(ActionError::Community(error)) if error.field().is_some() => {
            let mut errors = FieldErrors::default();
            errors.add(error.field().unwrap_or("body"), error.to_string());
            let history = state.db.thread_history(path.thread).await?;
            let shell = Shell::build(&state, &ctx, "Edit your thread").await;
            let page = EditThreadPage {
                shell,
                thread_id: path.thread,
                title: form.title,
                body: form.body,
                history,
                errors,
            };
            Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    reply_id: i64,
}

pub async fn accept(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<ThreadPath>,
    Form(form): Form<AcceptForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    crate::community::accept(&state, &viewer, path.thread, form.reply_id).await?;
    Ok(redirect_with_flash(
        &state,
        &format!(
            "/w/{}/threads/{}#reply-{}",
            workspace.slug, path.thread, form.reply_id
        ),
        "Answer accepted.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    solved: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    shell: Shell,
    q: String,
    tag: String,
    author: String,
    from: String,
    to: String,
    group: String,
    solved: String,
    groups: Vec<Space>,
    hits: Vec<SearchHit>,
    searched: bool,
    errors: FieldErrors,
}

pub async fn search(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(form): Query<SearchForm>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let groups: Vec<Space> = crate::community::visible_groups(&state, &viewer)
        .await?
        .into_iter()
        .filter(|(space, membership)| can_read(space, membership.as_ref(), viewer.is_staff))
        .map(|(space, _)| space)
        .collect();
    let mut errors = FieldErrors::default();
    let mut hits = Vec::new();
    let searched = !form.q.trim().is_empty();
    if searched {
        match SearchQuery::parse(&form.q) {
            Ok(mut query) => {
                query.space_id = groups
                    .iter()
                    .find(|space| Some(&space.slug) == form.group.as_ref())
                    .map(|space| space.id);
                query.solved = match form.solved.as_deref() {
                    Some("yes") => Some(true),
                    Some("no") => Some(false),
                    _ => None,
                };
                let filters = crate::community::SearchFilters {
                    tag: form.tag.clone(),
                    author: form.author.clone(),
                    from: form.from.clone(),
                    to: form.to.clone(),
                };
                match crate::community::apply_filters(&state, &viewer, &mut query, &filters).await {
                    Ok(()) => {
                        let readable: Vec<i64> = groups.iter().map(|space| space.id).collect();
                        hits = state
                            .db
                            .search(viewer.workspace_id, &query, &readable)
                            .await?;
                    }
                    Err(ActionError::Community(error)) => {
                        errors.add(error.field().unwrap_or("q"), error.to_string())
                    }
                    Err(other) => return Err(other.into()),
                }
            }
            Err(error) => errors.add("q", error.to_string()),
        }
    }
    let shell = Shell::build(&state, &ctx, "Search").await;
    Ok(render(&SearchPage {
        shell,
        tag: form.tag.unwrap_or_default(),
        author: form.author.unwrap_or_default(),
        from: form.from.unwrap_or_default(),
        to: form.to.unwrap_or_default(),
        q: form.q,
        group: form.group.unwrap_or_default(),
        solved: form.solved.unwrap_or_default(),
        groups,
        hits,
        searched,
        errors,
    }))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    shell: Shell,
    notifications: Vec<Notification>,
}

pub async fn notifications(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let notifications = state.db.notifications(viewer.member_id, 100).await?;
    state
        .db
        .mark_notifications_read(viewer.member_id, state.clock.now())
        .await?;
    let shell = Shell::build(&state, &ctx, "Notifications").await;
    Ok(render(&NotificationsPage {
        shell,
        notifications,
    }))
}

#[derive(Template)]
#[template(path = "badge.html")]
struct Badge {
    workspace_slug: String,
    unread: i64,
}

/// The unread count in the header; htmx polls it, so it updates without reloading.
pub async fn notification_badge(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = crate::community::viewer(&state, &ctx).await?;
    let (workspace, _) = ctx.workspace()?;
    Ok(render(&Badge {
        workspace_slug: workspace.slug.clone(),
        unread: state.db.unread_count(viewer.member_id).await?,
    }))
}

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    shell: Shell,
    n_members: i64,
    rows: MemberRows,
}

/// The htmx partial: a page of member rows and the "load more" control.
#[derive(Template)]
#[template(path = "members_rows.html")]
struct MemberRows {
    workspace_slug: String,
    members: Vec<MemberSummary>,
    next_cursor: Option<String>,
}

pub async fn members(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<MembersQuery>,
    headers: HeaderMap,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let cursor = match query.cursor.as_deref().map(Cursor::parse).transpose() {
        Ok(cursor) => cursor,
        Err(message) => {
            return Err(PageError {
                status: axum::http::StatusCode::BAD_REQUEST,
                message,
            });
        }
    };
    let page = state
        .db
        .list_members(workspace.id, cursor, page_size(Some(50)))
        .await?;
    let rows = MemberRows {
        workspace_slug: workspace.slug.clone(),
        members: page.items,
        next_cursor: page.next_cursor,
    };
    if headers.contains_key("hx-request") {
        return Ok(render(&rows));
    }
    let shell = Shell::build(&state, &ctx, "Members").await;
    Ok(render(&MembersPage {
        shell,
        n_members: state.db.count_members(workspace.id).await?,
        rows,
    }))
}

/// One bar of the daily activity chart, pre-scaled for the SVG.
pub struct Bar {
    pub x: i64,
    pub height: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    shell: Shell,
    spaces: Vec<SpaceActivity>,
    bars: Vec<Bar>,
    max_per_day: i64,
}

pub async fn analytics(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let now = state.clock.now();
    let since = now.plus_seconds(-30 * 86_400);
    let spaces = state.db.space_activity(workspace.id, since).await?;
    let daily = state
        .db
        .daily_interactions(workspace.id, now.plus_seconds(-90 * 86_400), now)
        .await?;
    let max_per_day = daily.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let first_day = now.plus_seconds(-90 * 86_400).day();
    let bars = daily
        .iter()
        .map(|(day, n)| Bar {
            x: (day - first_day) * 8,
            height: n * 120 / max_per_day,
            label: format!(
                "{}: {n}",
                agora_core::Timestamp(day * 86_400_000).display_date()
            ),
        })
        .collect();
    let shell = Shell::build(&state, &ctx, "Analytics").await;
    Ok(render(&AnalyticsPage {
        shell,
        spaces,
        bars,
        max_per_day,
    }))
}

/// How a space's member-to-member share reads, for the analytics table.
pub fn share_label(activity: &SpaceActivity) -> String {
    match activity.member_to_member_share() {
        Some(share) => format!("{:.0} %", share * 100.0),
        None => "—".to_owned(),
    }
}

pub fn kind_label(kind: &SpaceKind) -> &'static str {
    match kind {
        SpaceKind::Page => "Page",
        SpaceKind::Group => "Group",
    }
}

/// Whether the viewer has yet to accept the current code of conduct.
async fn conduct_needed(
    state: &AppState,
    viewer: &crate::community::Viewer,
) -> Result<bool, agora_core::StoreError> {
    use agora_core::moderation::ModerationStore;
    if viewer.is_staff {
        return Ok(false);
    }
    let version = state
        .db
        .moderation_settings(viewer.workspace_id)
        .await?
        .conduct_version;
    Ok(version > 0 && state.db.accepted_conduct(viewer.member_id).await? < version)
}
