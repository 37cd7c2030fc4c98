//! The community's use cases, shared by pages and the API: who the viewer is
//! in a workspace, what they may read and post, and what posting writes (the
//! thread or reply, mentions turned into notifications, and interactions for
//! the member graph).

use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::{
    CommunityError, CommunityStore, GroupMembership, GroupRole, NewNotification, NewReply,
    NewThread, NotificationKind, REACTIONS, Space, SpaceKind, ThreadId, ThreadKind, ThreadView,
    Visibility, can_manage_group, can_post, can_read, can_see, mentioned_handles, parse_body,
    parse_tags, parse_title,
};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::JobStore;
use agora_core::members::{MemberId, MemberStore};
use agora_core::{StoreError, Timestamp};

use crate::AppState;
use crate::auth::Ctx;
use crate::problem::Problem;

/// The caller as a member of the workspace.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub workspace_id: i64,
    pub workspace_slug: String,
    pub name: String,
    pub member_id: MemberId,
    pub is_staff: bool,
    /// Whether the workspace role moderates (every group, not just one's own).
    pub moderates: bool,
}

/// Why a community action failed: the caller's mistake, or storage.
#[derive(Debug)]
pub enum ActionError {
    Community(CommunityError),
    Store(StoreError),
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        ActionError::Store(error)
    }
}

impl From<CommunityError> for ActionError {
    fn from(error: CommunityError) -> Self {
        ActionError::Community(error)
    }
}

impl From<ActionError> for Problem {
    fn from(error: ActionError) -> Self {
        match error {
            ActionError::Store(error) => error.into(),
            ActionError::Community(error) => {
                let status = crate::problem::status_for(error.kind());
                let mut problem = Problem::new(status, "community", &error.to_string());
                if let Some(field) = error.field() {
                    problem = problem.field(field, error.to_string());
                }
                problem
            }
        }
    }
}

impl From<ActionError> for crate::pages::PageError {
    fn from(error: ActionError) -> Self {
        Problem::from(error).into()
    }
}

pub async fn viewer(state: &AppState, ctx: &Ctx) -> Result<Viewer, Problem> {
    let (workspace, role) = ctx.workspace()?;
    let account = ctx.account()?;
    let member_id = state
        .db
        .member_of_account(workspace.id, account.id)
        .await?
        .ok_or_else(|| Problem::forbidden("you have no member profile here"))?;
    record_visit(state, member_id).await?;
    Ok(Viewer {
        workspace_id: workspace.id,
        workspace_slug: workspace.slug.clone(),
        name: account.name.clone(),
        member_id,
        is_staff: role.is_staff(),
        moderates: agora_core::accounts::Access::Moderation.allows(role),
    })
}

/// Records the member's visit today (trust levels count days visited),
/// once per member and day in this process.
async fn record_visit(state: &AppState, member: MemberId) -> Result<(), StoreError> {
    let now = state.clock.now();
    let key = (member, now.day());
    let new = state
        .visits
        .lock()
        .map(|mut seen| {
            if seen.len() > 100_000 {
                seen.clear();
            }
            seen.insert(key)
        })
        .unwrap_or(true);
    if new {
        agora_core::moderation::ModerationStore::record_visit(&state.db, member, now).await?;
    }
    Ok(())
}

/// A group the viewer may see, with their membership; hidden groups are "not found".
pub async fn visible_group(
    state: &AppState,
    viewer: &Viewer,
    space: Option<Space>,
) -> Result<(Space, Option<GroupMembership>), ActionError> {
    let Some(space) = space.filter(|space| space.kind == SpaceKind::Group) else {
        return Err(CommunityError::Hidden.into());
    };
    let membership = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    if !can_see(&space, membership.as_ref(), viewer.is_staff) {
        return Err(CommunityError::Hidden.into());
    }
    Ok((space, membership))
}

/// The group with this slug, if the viewer may see it.
pub async fn visible_group_by_slug(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
) -> Result<(Space, Option<GroupMembership>), ActionError> {
    let space = state.db.space_by_slug(viewer.workspace_id, slug).await?;
    visible_group(state, viewer, space).await
}

/// Groups the viewer can see, each with their membership.
pub async fn visible_groups(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(Space, Option<GroupMembership>)>, StoreError> {
    let memberships = state
        .db
        .group_memberships_of(viewer.workspace_id, viewer.member_id)
        .await?;
    let groups = state
        .db
        .list_spaces(viewer.workspace_id, Some(SpaceKind::Group))
        .await?;
    Ok(groups
        .into_iter()
        .map(|space| {
            let membership = memberships.iter().find(|m| m.space_id == space.id).cloned();
            (space, membership)
        })
        .filter(|(space, membership)| can_see(space, membership.as_ref(), viewer.is_staff))
        .collect())
}

/// The ids of the groups whose threads the viewer may read (for search).
pub async fn readable_group_ids(state: &AppState, viewer: &Viewer) -> Result<Vec<i64>, StoreError> {
    Ok(visible_groups(state, viewer)
        .await?
        .into_iter()
        .filter(|(space, membership)| can_read(space, membership.as_ref(), viewer.is_staff))
        .map(|(space, _)| space.id)
        .collect())
}

/// Joins a group after accepting its rules: at once in a public group, as a
/// request in a private one; invite-only groups refuse.
pub async fn join(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    accepted_rules: bool,
) -> Result<GroupMembership, ActionError> {
    if !accepted_rules {
        return Err(
            CommunityError::invalid("accept_rules", "accept the group's rules to join").into(),
        );
    }
    let existing = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    let active = match space.visibility {
        Visibility::Public => true,
        Visibility::Private => existing.as_ref().is_some_and(|m| m.active) || viewer.is_staff,
        Visibility::InviteOnly if viewer.is_staff || existing.is_some() => true,
        Visibility::InviteOnly => return Err(CommunityError::Hidden.into()),
    };
    let membership = GroupMembership {
        space_id: space.id,
        member_id: viewer.member_id,
        role: existing.as_ref().map_or(GroupRole::Member, |m| m.role),
        active,
        rules_version: space.rules_version,
        joined_at: existing.as_ref().map_or(state.clock.now(), |m| m.joined_at),
    };
    state.db.upsert_group_membership(&membership).await?;
    if !membership.active {
        crate::moderation::request_join(state, viewer, space).await?;
    }
    Ok(membership)
}

/// E-mails a member about a mention or a reply, unless they unsubscribed.
/// Delivery goes through the job queue; the message key makes it at most one
/// e-mail per event and member.
pub(crate) async fn email_about(
    state: &AppState,
    member: MemberId,
    subject: String,
    text: String,
    key: String,
    now: Timestamp,
) -> Result<(), StoreError> {
    let Some(target) = state.db.email_target(member).await? else {
        return Ok(());
    };
    if !target.enabled {
        return Ok(());
    }
    let unsubscribe_url = format!(
        "{}/unsubscribe?token={}",
        state.settings.public_url, target.unsubscribe_token
    );
    let email = OutgoingEmail {
        to: target.email,
        subject,
        text: format!(
            "Hello {},\n\n{text}\n\nStop these e-mails: {unsubscribe_url}\n",
            target.name
        ),
        html: None,
        message_key: key,
        unsubscribe_url: Some(unsubscribe_url),
    };
    state.db.enqueue(&email.into_job(now), now).await?;
    Ok(())
}

fn thread_url(state: &AppState, viewer: &Viewer, thread: ThreadId) -> String {
    format!(
        "{}/w/{}/threads/{thread}",
        state.settings.public_url, viewer.workspace_slug
    )
}

fn interaction(
    viewer: &Viewer,
    space_id: i64,
    target: Option<MemberId>,
    kind: InteractionKind,
    at: Timestamp,
) -> NewInteraction {
    NewInteraction {
        workspace_id: viewer.workspace_id,
        space_id,
        actor_id: viewer.member_id,
        target_id: target,
        kind,
        at,
        source: "native".into(),
        actor_is_staff: viewer.is_staff,
        thread_id: None,
    }
}

/// Notifies and records the members `@mentioned` in `body`.
async fn mentions(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    thread: ThreadId,
    title: &str,
    body: &str,
    at: Timestamp,
) -> Result<Vec<NewInteraction>, StoreError> {
    let mut interactions = Vec::new();
    let handles = mentioned_handles(body);
    for (member, _) in state
        .db
        .members_by_handles(viewer.workspace_id, &handles)
        .await?
    {
        if member == viewer.member_id {
            continue;
        }
        // A mention never leaks a private thread to someone who cannot read it.
        let membership = state.db.group_membership(space.id, member).await?;
        let member_is_staff = state.db.member_is_staff(member).await?;
        if !can_read(space, membership.as_ref(), member_is_staff) {
            continue;
        }
        state
            .db
            .notify(&NewNotification {
                workspace_id: viewer.workspace_id,
                member_id: member,
                kind: NotificationKind::Mention,
                actor_id: viewer.member_id,
                thread_id: thread,
                text: "mentioned you".into(),
                created_at: at,
            })
            .await?;
        email_about(
            state,
            member,
            format!("{} mentioned you in \"{title}\"", viewer.name),
            format!(
                "{} mentioned you in \"{title}\":\n\n{body}\n\nOpen the thread: {}",
                viewer.name,
                thread_url(state, viewer, thread)
            ),
            format!("mention.{thread}.{member}.{}", at.millis()),
            at,
        )
        .await?;
        interactions.push(interaction(
            viewer,
            space.id,
            Some(member),
            InteractionKind::Mention,
            at,
        ));
    }
    Ok(interactions)
}

pub struct ThreadDraft {
    pub title: String,
    pub body: String,
    pub kind: String,
    /// Comma-separated, as typed.
    pub tags: String,
}

/// What became of a post: published, or held for a moderator's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Published(i64),
    /// The review item's id.
    Held(i64),
}

/// What the author is told about a held post.
pub const HELD_MESSAGE: &str =
    "Your post is waiting for a moderator's review; it appears once approved.";

/// Starts a thread in a group the viewer may post in, unless
/// auto-moderation holds it for review.
pub async fn post_thread(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    draft: &ThreadDraft,
) -> Result<Posted, ActionError> {
    let membership = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    if !can_post(space, membership.as_ref(), viewer.is_staff) {
        return Err(CommunityError::NotAMember.into());
    }
    crate::moderation::may_post(state, viewer, Some(space.id)).await?;
    let title = parse_title(&draft.title);
    let body = parse_body(&draft.body);
    let kind = ThreadKind::parse(&draft.kind)
        .ok_or_else(|| CommunityError::invalid("kind", "choose discussion or question"));
    let tags = parse_tags(&draft.tags);
    let (title, body, _, _) = (title?, body?, kind?, tags?);
    match crate::moderation::gate(state, viewer, space, &title, &body).await? {
        crate::moderation::Gate::Hold { reasons } => {
            let payload = serde_json::json!({
                "type": "thread",
                "title": draft.title,
                "body": draft.body,
                "kind": draft.kind,
                "tags": draft.tags,
            });
            let item = crate::moderation::hold(state, viewer, space, payload, reasons).await?;
            Ok(Posted::Held(item))
        }
        crate::moderation::Gate::Publish { alerts } => {
            let thread = publish_thread(state, viewer, space, draft).await?;
            if !alerts.is_empty() {
                crate::moderation::alert(
                    state,
                    viewer,
                    space,
                    agora_core::moderation::ContentRef::Thread(thread),
                    alerts,
                )
                .await?;
            }
            Ok(Posted::Published(thread))
        }
    }
}

/// Writes a thread (checked by [`post_thread`], or approved by a moderator).
pub(crate) async fn publish_thread(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
    draft: &ThreadDraft,
) -> Result<ThreadId, ActionError> {
    let title = parse_title(&draft.title);
    let body = parse_body(&draft.body);
    let kind = ThreadKind::parse(&draft.kind)
        .ok_or_else(|| CommunityError::invalid("kind", "choose discussion or question"));
    let tags = parse_tags(&draft.tags);
    let (title, body, kind, tags) = (title?, body?, kind?, tags?);
    let now = state.clock.now();
    let thread = state
        .db
        .create_thread(&NewThread {
            space_id: space.id,
            author_id: viewer.member_id,
            kind,
            title,
            body: body.clone(),
            created_at: now,
        })
        .await?;
    if !tags.is_empty() {
        state.db.set_thread_tags(thread, &tags).await?;
    }
    let mut interactions = vec![NewInteraction {
        thread_id: Some(thread),
        ..interaction(viewer, space.id, None, InteractionKind::Post, now)
    }];
    interactions.extend(mentions(state, viewer, space, thread, &draft.title, &body, now).await?);
    state.db.record_interactions(&interactions).await?;
    Ok(thread)
}

/// Loads a thread the viewer may read, with its group.
pub async fn readable_thread(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
) -> Result<(Space, ThreadView), ActionError> {
    let view = match state.db.thread(viewer.workspace_id, thread).await {
        Ok(view) => view,
        Err(StoreError::NotFound) => return Err(CommunityError::Hidden.into()),
        Err(other) => return Err(other.into()),
    };
    let space = state
        .db
        .space_by_id(viewer.workspace_id, view.space_id)
        .await?;
    let (space, membership) = visible_group(state, viewer, space).await?;
    if !can_read(&space, membership.as_ref(), viewer.is_staff) {
        return Err(CommunityError::Hidden.into());
    }
    let mut view = view;
    let moderator = viewer.moderates || can_manage_group(membership.as_ref(), false);
    redact(&mut view, viewer.member_id, moderator);
    Ok((space, view))
}

/// What hidden and removed posts show: nothing of their text to members;
/// the text with a note to their author (hidden only) and to moderators.
fn redact(view: &mut ThreadView, me: MemberId, moderator: bool) {
    use agora_core::moderation::ContentState;
    fn note(state: ContentState, moderator: bool) -> &'static str {
        match (state, moderator) {
            (ContentState::Hidden, true) => {
                "<p class=\"moderation-note\">Hidden from members while moderators review it.</p>"
            }
            (ContentState::Hidden, false) => {
                "<p class=\"moderation-note\">Only you and moderators see this post: it is hidden while moderators review it.</p>"
            }
            (ContentState::Removed, _) => {
                "<p class=\"moderation-note\">Removed by a moderator.</p>"
            }
            (ContentState::Visible, _) => "",
        }
    }
    let shows = |state: ContentState, author: MemberId| {
        moderator || (state == ContentState::Hidden && author == me)
    };
    if view.state != ContentState::Visible {
        if shows(view.state, view.author_id) {
            view.body_html = format!("{}{}", note(view.state, moderator), view.body_html);
        } else {
            view.title = "Hidden thread".into();
            view.body.clear();
            view.body_html = if view.state == ContentState::Removed {
                note(view.state, false).to_owned()
            } else {
                "<p class=\"moderation-note\">This post is hidden while moderators review it.</p>"
                    .to_owned()
            };
        }
    }
    for reply in &mut view.replies {
        if reply.state == ContentState::Visible {
            continue;
        }
        if shows(reply.state, reply.author_id) {
            reply.body_html = format!("{}{}", note(reply.state, moderator), reply.body_html);
        } else {
            reply.body.clear();
            reply.body_html = if reply.state == ContentState::Removed {
                note(reply.state, false).to_owned()
            } else {
                "<p class=\"moderation-note\">This reply is hidden while moderators review it.</p>"
                    .to_owned()
            };
        }
    }
}

/// Whether the viewer manages this group: a workspace moderator, or one of
/// the group's owners or moderators.
pub async fn manages_group(
    state: &AppState,
    viewer: &Viewer,
    space: &Space,
) -> Result<bool, StoreError> {
    if viewer.moderates {
        return Ok(true);
    }
    let membership = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    Ok(can_manage_group(membership.as_ref(), false))
}

/// Edits a thread's title and opening post (its author only); the old
/// version stays in the thread's history and search follows the new text.
pub async fn edit_thread(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    title: &str,
    body: &str,
) -> Result<(), ActionError> {
    let (_, view) = readable_thread(state, viewer, thread).await?;
    if view.author_id != viewer.member_id {
        return Err(CommunityError::NotTheAuthor.into());
    }
    let title = parse_title(title);
    let body = parse_body(body);
    let (title, body) = (title?, body?);
    state
        .db
        .edit_thread(thread, &title, &body, viewer.member_id, state.clock.now())
        .await?;
    Ok(())
}

/// Toggles a reaction on a thread's opening post; a new reaction to someone
/// else's post is an interaction in the member graph.
pub async fn react_to_thread(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    emoji: &str,
) -> Result<Vec<(String, i64)>, ActionError> {
    if !REACTIONS.contains(&emoji) {
        return Err(CommunityError::invalid(
            "emoji",
            format!("choose one of {}", REACTIONS.join(" ")),
        )
        .into());
    }
    let (space, view) = readable_thread(state, viewer, thread).await?;
    let now = state.clock.now();
    if state
        .db
        .toggle_thread_reaction(thread, viewer.member_id, emoji, now)
        .await?
        && view.author_id != viewer.member_id
    {
        state
            .db
            .record_interactions(&[interaction(
                viewer,
                space.id,
                Some(view.author_id),
                InteractionKind::Reaction,
                now,
            )])
            .await?;
    }
    Ok(state.db.thread_reaction_counts(thread).await?)
}

/// Replies to a thread (optionally quoting a reply), unless
/// auto-moderation holds it for review.
pub async fn post_reply(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    body: &str,
    quote: Option<i64>,
) -> Result<Posted, ActionError> {
    let (space, view) = readable_thread(state, viewer, thread).await?;
    let membership = state
        .db
        .group_membership(space.id, viewer.member_id)
        .await?;
    if !can_post(&space, membership.as_ref(), viewer.is_staff) {
        return Err(CommunityError::NotAMember.into());
    }
    if view.locked && !viewer.is_staff {
        return Err(CommunityError::Locked.into());
    }
    crate::moderation::may_post(state, viewer, Some(space.id)).await?;
    let parsed = parse_body(body)?;
    if quote.is_some_and(|id| !view.replies.iter().any(|reply| reply.id == id)) {
        return Err(
            CommunityError::invalid("quote_reply_id", "that reply is not in this thread").into(),
        );
    }
    match crate::moderation::gate(state, viewer, &space, "", &parsed).await? {
        crate::moderation::Gate::Hold { reasons } => {
            let payload = serde_json::json!({
                "type": "reply",
                "thread_id": thread,
                "body": body,
                "quote_reply_id": quote,
            });
            let item = crate::moderation::hold(state, viewer, &space, payload, reasons).await?;
            Ok(Posted::Held(item))
        }
        crate::moderation::Gate::Publish { alerts } => {
            let reply = publish_reply(state, viewer, thread, body, quote).await?;
            if !alerts.is_empty() {
                crate::moderation::alert(
                    state,
                    viewer,
                    &space,
                    agora_core::moderation::ContentRef::Reply(reply),
                    alerts,
                )
                .await?;
            }
            Ok(Posted::Published(reply))
        }
    }
}

/// Writes a reply (checked by [`post_reply`], or approved by a moderator),
/// notifying whom it answers.
pub(crate) async fn publish_reply(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    body: &str,
    quote: Option<i64>,
) -> Result<i64, ActionError> {
    let (space, view) = readable_thread(state, viewer, thread).await?;
    let body = parse_body(body)?;
    let quoted = quote.and_then(|id| view.replies.iter().find(|reply| reply.id == id));
    if quote.is_some() && quoted.is_none() {
        return Err(
            CommunityError::invalid("quote_reply_id", "that reply is not in this thread").into(),
        );
    }
    let target = quoted.map_or(view.author_id, |reply| reply.author_id);
    let now = state.clock.now();
    let reply = state
        .db
        .create_reply(&NewReply {
            thread_id: thread,
            author_id: viewer.member_id,
            reply_to_member_id: Some(target),
            quote_reply_id: quote,
            body: body.clone(),
            created_at: now,
        })
        .await?;
    let mut interactions = vec![NewInteraction {
        thread_id: Some(thread),
        ..interaction(viewer, space.id, Some(target), InteractionKind::Reply, now)
    }];
    if target != viewer.member_id {
        state
            .db
            .notify(&NewNotification {
                workspace_id: viewer.workspace_id,
                member_id: target,
                kind: NotificationKind::Reply,
                actor_id: viewer.member_id,
                thread_id: thread,
                text: "replied to you".into(),
                created_at: now,
            })
            .await?;
        email_about(
            state,
            target,
            format!("{} replied to you in \"{}\"", viewer.name, view.title),
            format!(
                "{} replied in \"{}\":\n\n{body}\n\nOpen the thread: {}",
                viewer.name,
                view.title,
                thread_url(state, viewer, thread)
            ),
            format!("reply.{reply}.{target}"),
            now,
        )
        .await?;
    }
    interactions.extend(mentions(state, viewer, &space, thread, &view.title, &body, now).await?);
    state.db.record_interactions(&interactions).await?;
    Ok(reply)
}

/// Toggles a reaction on a reply; answers the new counts.
pub async fn react(
    state: &AppState,
    viewer: &Viewer,
    reply: i64,
    emoji: &str,
) -> Result<(ThreadId, Vec<(String, i64)>), ActionError> {
    if !REACTIONS.contains(&emoji) {
        return Err(CommunityError::invalid(
            "emoji",
            format!("choose one of {}", REACTIONS.join(" ")),
        )
        .into());
    }
    let (thread, author) = state
        .db
        .thread_of_reply(viewer.workspace_id, reply)
        .await?
        .ok_or(CommunityError::Hidden)?;
    let (space, _) = readable_thread(state, viewer, thread).await?;
    let now = state.clock.now();
    if state
        .db
        .toggle_reaction(reply, viewer.member_id, emoji, now)
        .await?
        && author != viewer.member_id
    {
        state
            .db
            .record_interactions(&[interaction(
                viewer,
                space.id,
                Some(author),
                InteractionKind::Reaction,
                now,
            )])
            .await?;
    }
    Ok((thread, state.db.reaction_counts(reply).await?))
}

/// Accepts a reply as the answer of a question: the asker or staff only.
pub async fn accept(
    state: &AppState,
    viewer: &Viewer,
    thread: ThreadId,
    reply: i64,
) -> Result<(), ActionError> {
    let (space, view) = readable_thread(state, viewer, thread).await?;
    if view.kind != ThreadKind::Question {
        return Err(
            CommunityError::invalid("reply_id", "only questions have accepted answers").into(),
        );
    }
    if view.author_id != viewer.member_id && !viewer.is_staff {
        return Err(CommunityError::NotTheAsker.into());
    }
    let Some(answer) = view.replies.iter().find(|candidate| candidate.id == reply) else {
        return Err(CommunityError::invalid("reply_id", "that reply is not in this thread").into());
    };
    state.db.accept_answer(thread, reply).await?;
    let now = state.clock.now();
    if answer.author_id != viewer.member_id {
        state
            .db
            .notify(&NewNotification {
                workspace_id: viewer.workspace_id,
                member_id: answer.author_id,
                kind: NotificationKind::AcceptedAnswer,
                actor_id: viewer.member_id,
                thread_id: thread,
                text: "accepted your answer".into(),
                created_at: now,
            })
            .await?;
    }
    state
        .db
        .record_interactions(&[interaction(
            viewer,
            space.id,
            Some(answer.author_id),
            InteractionKind::AcceptedAnswer,
            now,
        )])
        .await?;
    Ok(())
}

/// Edits the viewer's own reply; the previous text goes to its history.
pub async fn edit_reply(
    state: &AppState,
    viewer: &Viewer,
    reply: i64,
    body: &str,
) -> Result<ThreadId, ActionError> {
    let (thread, author) = state
        .db
        .thread_of_reply(viewer.workspace_id, reply)
        .await?
        .ok_or(CommunityError::Hidden)?;
    let (_, view) = readable_thread(state, viewer, thread).await?;
    if author != viewer.member_id || view.replies.iter().any(|r| r.id == reply && r.deleted) {
        return Err(CommunityError::NotTheAuthor.into());
    }
    let body = parse_body(body)?;
    state
        .db
        .edit_reply(reply, &body, viewer.member_id, state.clock.now())
        .await?;
    Ok(thread)
}

/// Deletes a reply (its author, or a moderator); the thread keeps its place.
pub async fn delete_reply(
    state: &AppState,
    viewer: &Viewer,
    can_moderate: bool,
    reply: i64,
) -> Result<ThreadId, ActionError> {
    let (thread, author) = state
        .db
        .thread_of_reply(viewer.workspace_id, reply)
        .await?
        .ok_or(CommunityError::Hidden)?;
    readable_thread(state, viewer, thread).await?;
    if author != viewer.member_id && !can_moderate {
        return Err(CommunityError::NotTheAuthor.into());
    }
    state.db.delete_reply(reply, state.clock.now()).await?;
    Ok(thread)
}

/// Search filters as typed: a tag, an author's handle, and a date range.
#[derive(Debug, Default, Clone)]
pub struct SearchFilters {
    pub tag: Option<String>,
    pub author: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn parse_day(field: &'static str, raw: &str) -> Result<Timestamp, CommunityError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(|date| Timestamp::from(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()))
        .map_err(|_| {
            CommunityError::invalid(field, format!("`{raw}` is not a date like 2026-11-22"))
        })
}

/// Applies the filters to a parsed query; an unknown author handle finds nothing.
pub async fn apply_filters(
    state: &AppState,
    viewer: &Viewer,
    query: &mut agora_core::community::SearchQuery,
    filters: &SearchFilters,
) -> Result<(), ActionError> {
    let present = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    if let Some(tag) = present(&filters.tag) {
        query.tag = parse_tags(&tag)?.into_iter().next();
    }
    if let Some(author) = present(&filters.author) {
        let handle = author.trim_start_matches('@').to_lowercase();
        let found = state
            .db
            .members_by_handles(viewer.workspace_id, &[handle])
            .await?;
        query.author_id = Some(found.first().map_or(-1, |(id, _)| *id));
    }
    if let Some(from) = present(&filters.from) {
        query.from = Some(parse_day("from", &from)?);
    }
    if let Some(to) = present(&filters.to) {
        // Inclusive of the day typed.
        query.to = Some(parse_day("to", &to)?.plus_seconds(86_400));
    }
    Ok(())
}
