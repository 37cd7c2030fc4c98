//! Spaces, groups, threads and replies: where conversation happens.
//!
//! Every space is a page (the brand broadcasts; the marketer's side) or a
//! group (members talk; the community manager's side). Groups are public,
//! private (visible, joined on request) or invite-only (hidden); who may read
//! a group is decided by [`can_read`] alone. Posts are Markdown, rendered once
//! at write time into sanitised HTML by [`render_markdown`].

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::error::ErrorKind;
use crate::error::StoreError;
use crate::members::MemberId;

pub type SpaceId = i64;
pub type ThreadId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// Audience: the brand broadcasts to followers.
    Page,
    /// Community: members talk with each other.
    Group,
}

impl SpaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceKind::Page => "page",
            SpaceKind::Group => "group",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "page" => Some(SpaceKind::Page),
            "group" => Some(SpaceKind::Group),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSpace {
    pub workspace_id: WorkspaceId,
    pub kind: SpaceKind,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// `native` for spaces Agora hosts, else the network (`mastodon`, `bluesky`, …).
    pub network: String,
    pub visibility: Visibility,
    /// The group's rules, Markdown; shown when joining.
    pub rules: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Space {
    pub id: SpaceId,
    pub workspace_id: WorkspaceId,
    pub kind: SpaceKind,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub network: String,
    pub visibility: Visibility,
    pub rules: String,
    /// Bumped when the rules change; members accept a version.
    pub rules_version: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewThread {
    pub space_id: SpaceId,
    pub author_id: MemberId,
    pub kind: ThreadKind,
    pub title: String,
    /// Markdown as typed.
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReply {
    pub thread_id: ThreadId,
    pub author_id: MemberId,
    /// The member this reply answers, when it answers someone in particular.
    pub reply_to_member_id: Option<MemberId>,
    /// The reply this one quotes or answers, if any.
    pub quote_reply_id: Option<i64>,
    /// Markdown as typed.
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub space_id: SpaceId,
    pub kind: ThreadKind,
    pub solved: bool,
    /// Pinned threads list first.
    pub pinned: bool,
    /// Locked threads take no more replies (staff excepted).
    pub locked: bool,
    pub tags: Vec<String>,
    pub title: String,
    pub author_name: String,
    pub created_at: Timestamp,
    pub n_replies: i64,
    pub last_activity_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyView {
    pub id: i64,
    pub author_id: MemberId,
    pub author_name: String,
    pub author_is_staff: bool,
    pub body: String,
    /// Sanitised HTML rendered from `body`.
    pub body_html: String,
    pub quote_reply_id: Option<i64>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    /// A deleted reply keeps its place in the thread, without its text.
    pub deleted: bool,
    /// (emoji, count) for each reaction it received.
    pub reactions: Vec<(String, i64)>,
    /// Visible, hidden by flags or a moderator, or removed.
    pub state: crate::moderation::ContentState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadView {
    pub id: ThreadId,
    pub space_id: SpaceId,
    pub kind: ThreadKind,
    pub accepted_reply_id: Option<i64>,
    pub pinned: bool,
    pub locked: bool,
    pub tags: Vec<String>,
    pub title: String,
    pub author_id: MemberId,
    pub author_name: String,
    pub author_is_staff: bool,
    pub body: String,
    pub body_html: String,
    pub created_at: Timestamp,
    /// When the opening post was last edited.
    pub edited_at: Option<Timestamp>,
    /// (emoji, count) for each reaction the opening post received.
    pub reactions: Vec<(String, i64)>,
    /// Visible, hidden by flags or a moderator, or removed.
    pub state: crate::moderation::ContentState,
    pub replies: Vec<ReplyView>,
}

/// A member of a group, for the group's management page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMemberRow {
    pub membership: GroupMembership,
    pub name: String,
    pub handle: String,
}

/// What a group's owner or moderator may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChanges {
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    /// New rules bump the rules' version: members accept them again before posting.
    pub rules: String,
}

pub trait CommunityStore: Send + Sync {
    fn create_space(
        &self,
        space: &NewSpace,
    ) -> impl Future<Output = Result<Space, StoreError>> + Send;
    fn list_spaces(
        &self,
        workspace: WorkspaceId,
        kind: Option<SpaceKind>,
    ) -> impl Future<Output = Result<Vec<Space>, StoreError>> + Send;
    fn space_by_slug(
        &self,
        workspace: WorkspaceId,
        slug: &str,
    ) -> impl Future<Output = Result<Option<Space>, StoreError>> + Send;
    fn space_by_id(
        &self,
        workspace: WorkspaceId,
        id: SpaceId,
    ) -> impl Future<Output = Result<Option<Space>, StoreError>> + Send;

    fn group_membership(
        &self,
        space: SpaceId,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<GroupMembership>, StoreError>> + Send;
    /// The member's group memberships in a workspace.
    fn group_memberships_of(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<GroupMembership>, StoreError>> + Send;
    /// Adds or updates a membership (joining, approval, accepting new rules).
    fn upsert_group_membership(
        &self,
        membership: &GroupMembership,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn leave_group(
        &self,
        space: SpaceId,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Pending join requests of a group, with the requesters' names.
    fn join_requests(
        &self,
        space: SpaceId,
    ) -> impl Future<Output = Result<Vec<(MemberId, String)>, StoreError>> + Send;

    /// Creates a thread and indexes it for search.
    fn create_thread(
        &self,
        thread: &NewThread,
    ) -> impl Future<Output = Result<ThreadId, StoreError>> + Send;
    /// Creates a reply and indexes it for search.
    fn create_reply(
        &self,
        reply: &NewReply,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Threads of a space, most recently active first.
    fn list_threads(
        &self,
        space: SpaceId,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ThreadSummary>, StoreError>> + Send;
    fn thread(
        &self,
        workspace: WorkspaceId,
        thread: ThreadId,
    ) -> impl Future<Output = Result<ThreadView, StoreError>> + Send;
    /// The thread a reply belongs to, within the workspace.
    fn thread_of_reply(
        &self,
        workspace: WorkspaceId,
        reply: i64,
    ) -> impl Future<Output = Result<Option<(ThreadId, MemberId)>, StoreError>> + Send;
    fn accept_answer(
        &self,
        thread: ThreadId,
        reply: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Replaces a reply's body, keeping the previous one in its history.
    fn edit_reply(
        &self,
        reply: i64,
        body: &str,
        editor: MemberId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Blanks a reply and drops it from search; its place in the thread stays.
    fn delete_reply(
        &self,
        reply: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Earlier versions of a reply, oldest first: (body, replaced at, by whom).
    fn reply_history(
        &self,
        reply: i64,
    ) -> impl Future<Output = Result<Vec<(String, Timestamp, String)>, StoreError>> + Send;
    /// Threads started since `since` in these spaces, most replied first (digests).
    fn threads_since(
        &self,
        spaces: &[SpaceId],
        since: Timestamp,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ThreadSummary>, StoreError>> + Send;
    fn set_thread_tags(
        &self,
        thread: ThreadId,
        tags: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The times of the member's threads and replies since `since`, oldest first.
    fn recent_post_times(
        &self,
        member: MemberId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<Timestamp>, StoreError>> + Send;
    /// Pins or unpins, locks or unlocks a thread (`None` leaves a flag as it is).
    fn set_thread_flags(
        &self,
        thread: ThreadId,
        pinned: Option<bool>,
        locked: Option<bool>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Threads started since `since` with when and by whom (staff or not) they
    /// were first answered by someone other than the author; for the support view.
    fn first_responses(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<FirstResponse>, StoreError>> + Send;
    /// Adds the reaction, or removes it when the member already gave it;
    /// answers whether it is now present.
    fn toggle_reaction(
        &self,
        reply: i64,
        member: MemberId,
        emoji: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn reaction_counts(
        &self,
        reply: i64,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;

    /// Members of the workspace with these handles.
    fn members_by_handles(
        &self,
        workspace: WorkspaceId,
        handles: &[String],
    ) -> impl Future<Output = Result<Vec<(MemberId, String)>, StoreError>> + Send;

    fn notify(
        &self,
        notification: &NewNotification,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn notifications(
        &self,
        member: MemberId,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;
    fn unread_count(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn mark_notifications_read(
        &self,
        member: MemberId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces a thread's title and opening post, keeping the previous ones in its history.
    fn edit_thread(
        &self,
        thread: ThreadId,
        title: &str,
        body: &str,
        editor: MemberId,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Earlier versions of a thread's opening post, oldest first:
    /// (title, body, replaced at, by whom).
    fn thread_history(
        &self,
        thread: ThreadId,
    ) -> impl Future<Output = Result<Vec<(String, String, Timestamp, String)>, StoreError>> + Send;
    /// Adds or removes a reaction on a thread's opening post; answers whether it is now present.
    fn toggle_thread_reaction(
        &self,
        thread: ThreadId,
        member: MemberId,
        emoji: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn thread_reaction_counts(
        &self,
        thread: ThreadId,
    ) -> impl Future<Output = Result<Vec<(String, i64)>, StoreError>> + Send;
    /// Changes a group's name, description, visibility and rules; the rules'
    /// version goes up when their text changes.
    fn update_group(
        &self,
        space: SpaceId,
        changes: &GroupChanges,
    ) -> impl Future<Output = Result<Space, StoreError>> + Send;
    /// A group's members (pending requests included), owners first, then by name.
    fn group_members(
        &self,
        space: SpaceId,
    ) -> impl Future<Output = Result<Vec<GroupMemberRow>, StoreError>> + Send;
    /// Full-text search over threads and replies of the given spaces only.
    fn search(
        &self,
        workspace: WorkspaceId,
        query: &SearchQuery,
        readable_spaces: &[SpaceId],
    ) -> impl Future<Output = Result<Vec<SearchHit>, StoreError>> + Send;
}

/// Who may see a group and its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone in the workspace reads and joins.
    Public,
    /// Listed; members read; joining needs approval.
    Private,
    /// Hidden from non-members; joining by invitation.
    InviteOnly,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::InviteOnly => "invite_only",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            "invite_only" => Some(Visibility::InviteOnly),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "Public",
            Visibility::Private => "Private",
            Visibility::InviteOnly => "Invite only",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    Owner,
    Moderator,
    Member,
}

impl GroupRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Owner => "owner",
            GroupRole::Moderator => "moderator",
            GroupRole::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(GroupRole::Owner),
            "moderator" => Some(GroupRole::Moderator),
            "member" => Some(GroupRole::Member),
            _ => None,
        }
    }
}

/// A member's place in a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMembership {
    pub space_id: SpaceId,
    pub member_id: MemberId,
    pub role: GroupRole,
    /// False while a join request waits for approval.
    pub active: bool,
    /// The version of the rules the member accepted.
    pub rules_version: i64,
    pub joined_at: Timestamp,
}

/// Whether someone may read a group's threads: staff always (they moderate),
/// active members always, anyone else only in public groups.
pub fn can_read(space: &Space, membership: Option<&GroupMembership>, is_staff: bool) -> bool {
    space.kind == SpaceKind::Group
        && (is_staff
            || space.visibility == Visibility::Public
            || membership.is_some_and(|m| m.active))
}

/// Whether a group shows up at all (invite-only groups are hidden from outsiders).
pub fn can_see(space: &Space, membership: Option<&GroupMembership>, is_staff: bool) -> bool {
    space.kind == SpaceKind::Group
        && (is_staff || space.visibility != Visibility::InviteOnly || membership.is_some())
}

/// Whether someone may post in a group: active members (who accepted the
/// current rules) and staff.
pub fn can_post(space: &Space, membership: Option<&GroupMembership>, is_staff: bool) -> bool {
    is_staff || membership.is_some_and(|m| m.active && m.rules_version >= space.rules_version)
}

/// Whether someone may manage a group (its settings, members' roles, pins and
/// locks, join requests): workspace moderators and the group's own active
/// owners and moderators.
pub fn can_manage_group(membership: Option<&GroupMembership>, workspace_moderator: bool) -> bool {
    workspace_moderator
        || membership
            .is_some_and(|m| m.active && matches!(m.role, GroupRole::Owner | GroupRole::Moderator))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadKind {
    Discussion,
    /// A question whose asker (or staff) can accept an answer.
    Question,
}

impl ThreadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadKind::Discussion => "discussion",
            ThreadKind::Question => "question",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "discussion" => Some(ThreadKind::Discussion),
            "question" => Some(ThreadKind::Question),
            _ => None,
        }
    }
}

/// A thread and its first answer by someone else, for the support view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstResponse {
    pub thread_id: ThreadId,
    pub title: String,
    pub space_name: String,
    pub asked_at: Timestamp,
    /// When someone other than the author first replied.
    pub first_reply_at: Option<Timestamp>,
    /// Whether that first reply came from staff.
    pub first_reply_by_staff: Option<bool>,
}

/// The support view's figures over a set of threads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupportSummary {
    pub n_threads: usize,
    pub n_answered: usize,
    /// Threads first answered by a member (not staff), over answered threads.
    pub peer_first_response_share: Option<f64>,
    pub median_minutes_members: Option<i64>,
    pub median_minutes_staff: Option<i64>,
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

/// Summarises first responses: who answers first, and how fast, members and staff apart.
pub fn summarise_support(responses: &[FirstResponse]) -> SupportSummary {
    let minutes = |by_staff: bool| {
        responses
            .iter()
            .filter(|r| r.first_reply_by_staff == Some(by_staff))
            .filter_map(|r| {
                r.first_reply_at
                    .map(|at| (at.millis() - r.asked_at.millis()) / 60_000)
            })
            .collect::<Vec<_>>()
    };
    let n_answered = responses
        .iter()
        .filter(|r| r.first_reply_at.is_some())
        .count();
    let n_by_members = responses
        .iter()
        .filter(|r| r.first_reply_by_staff == Some(false))
        .count();
    SupportSummary {
        n_threads: responses.len(),
        n_answered,
        peer_first_response_share: (n_answered > 0)
            .then(|| n_by_members as f64 / n_answered as f64),
        median_minutes_members: median(minutes(false)),
        median_minutes_staff: median(minutes(true)),
    }
}

/// Flood limit for members (staff are exempt): at most this many posts…
pub const FLOOD_MAX_POSTS: i64 = 5;
/// …within this window. The moderation issue will vary it by trust level.
pub const FLOOD_WINDOW_MILLIS: i64 = 30_000;

/// The reactions a reply can get.
pub const REACTIONS: [&str; 5] = ["👍", "❤️", "🎉", "😂", "🤔"];

/// Errors of the community context, naming the field at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CommunityError {
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("join the group (and accept its rules) to post here")]
    NotAMember,
    #[error("you can't see this group")]
    Hidden,
    #[error("only the asker or staff can accept an answer")]
    NotTheAsker,
    #[error("this thread is locked; replies are closed")]
    Locked,
    #[error("only the author can edit this, and only the author or a moderator can delete it")]
    NotTheAuthor,
    #[error("you are posting quickly: wait {wait_seconds} s and send again (your text is kept)")]
    RateLimited { wait_seconds: i64 },
    #[error("only the group's owners and moderators (and workspace moderators) can do this")]
    NotAGroupModerator,
    /// A sanction in force (suspension, ban, mute), in words the member reads.
    #[error("{message}")]
    Sanctioned { message: String },
    #[error("accept the code of conduct (version {version}) before you post")]
    ConductNotAccepted { version: i64 },
}

impl CommunityError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            CommunityError::InvalidField { .. } => ErrorKind::InvalidInput,
            CommunityError::NotAMember
            | CommunityError::NotTheAsker
            | CommunityError::Locked
            | CommunityError::NotTheAuthor
            | CommunityError::NotAGroupModerator
            | CommunityError::Sanctioned { .. }
            | CommunityError::ConductNotAccepted { .. } => ErrorKind::Forbidden,
            CommunityError::Hidden => ErrorKind::NotFound,
            CommunityError::RateLimited { .. } => ErrorKind::RateLimited,
        }
    }

    pub fn field(&self) -> Option<&'static str> {
        match self {
            CommunityError::InvalidField { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A thread title: 1 to 200 characters after trimming.
pub fn parse_title(raw: &str) -> Result<String, CommunityError> {
    let title = raw.trim();
    match title.chars().count() {
        0 => Err(CommunityError::invalid("title", "give the thread a title")),
        n if n > 200 => Err(CommunityError::invalid(
            "title",
            format!("use at most 200 characters (this has {n})"),
        )),
        _ => Ok(title.to_owned()),
    }
}

/// Parses tags typed as a comma-separated list: lower-case letters, digits
/// and dashes, at most 5 tags of at most 24 characters.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, CommunityError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw
        .split(',')
        .map(|tag| tag.trim().to_lowercase().replace(' ', "-"))
        .filter(|tag| !tag.is_empty())
    {
        if tag.len() > 24 || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CommunityError::invalid(
                "tags",
                format!("“{tag}”: use up to 24 letters, digits and dashes"),
            ));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 5 {
        return Err(CommunityError::invalid("tags", "use at most 5 tags"));
    }
    Ok(tags)
}

/// Longest post body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;

/// A post body: not empty, at most [`MAX_BODY_CHARS`].
pub fn parse_body(raw: &str) -> Result<String, CommunityError> {
    let body = raw.trim();
    match body.chars().count() {
        0 => Err(CommunityError::invalid("body", "write something first")),
        n if n > MAX_BODY_CHARS => Err(CommunityError::invalid(
            "body",
            format!(
                "use at most {MAX_BODY_CHARS} characters (this has {n}); split it into replies"
            ),
        )),
        _ => Ok(body.to_owned()),
    }
}

/// Renders Markdown to HTML and sanitises it: no script, style, event
/// attributes or `javascript:` links survive; links get `rel="nofollow
/// noopener noreferrer"`. Raw HTML in the input is escaped by the sanitiser.
pub fn render_markdown(markdown: &str) -> String {
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let parser = pulldown_cmark::Parser::new_ext(markdown, options);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(&html)
        .to_string()
}

/// The handles `@mentioned` in a body, lower-cased, without repeats.
pub fn mentioned_handles(body: &str) -> Vec<String> {
    let mut handles: Vec<String> = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if *c == '@' && starts_word {
            let handle: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '-' || **c == '_')
                .collect::<String>()
                .trim_end_matches(['-', '_'])
                .to_lowercase();
            if handle.len() >= 2 && !handles.contains(&handle) {
                handles.push(handle);
            }
        }
    }
    handles
}

/// The handle a name suggests: lower-case ASCII letters and digits joined by dashes.
pub fn handle_base(name: &str) -> String {
    let mut handle = String::new();
    for c in name.chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            handle.push(c);
        } else if !handle.is_empty() && !handle.ends_with('-') {
            handle.push('-');
        }
    }
    let handle = handle.trim_end_matches('-').to_owned();
    if handle.len() < 2 {
        format!("member{handle}")
    } else {
        handle.chars().take(30).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Mention,
    Reply,
    AcceptedAnswer,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reply => "reply",
            NotificationKind::AcceptedAnswer => "accepted_answer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNotification {
    pub workspace_id: WorkspaceId,
    pub member_id: MemberId,
    pub kind: NotificationKind,
    pub actor_id: MemberId,
    pub thread_id: ThreadId,
    pub text: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub actor_name: String,
    /// What the notification is about: a thread, or an event.
    pub thread_id: Option<ThreadId>,
    pub event_id: Option<i64>,
    pub text: String,
    pub created_at: Timestamp,
    pub read: bool,
}

/// A search request, already parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// The words to find (all of them).
    pub words: Vec<String>,
    pub space_id: Option<SpaceId>,
    pub solved: Option<bool>,
    /// Only threads with this tag.
    pub tag: Option<String>,
    /// Only posts by this member.
    pub author_id: Option<MemberId>,
    /// Only threads started in `[from, to)`.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl SearchQuery {
    /// Splits what the user typed into words; at most 10, each up to 40 characters.
    pub fn parse(text: &str) -> Result<SearchQuery, CommunityError> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| word.chars().take(40).collect::<String>().to_lowercase())
            .take(10)
            .collect();
        if words.is_empty() {
            return Err(CommunityError::invalid("q", "type a word to search for"));
        }
        Ok(SearchQuery {
            words,
            ..SearchQuery::default()
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub thread_id: ThreadId,
    pub reply_id: Option<i64>,
    pub space_name: String,
    pub title: String,
    /// An excerpt with the matches in `<mark>`; everything else HTML-escaped.
    pub snippet_html: String,
    pub solved: bool,
    pub created_at: Timestamp,
}

fn escape_html(text: &str, html: &mut String) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            other => html.push(other),
        }
    }
}

/// An excerpt of `body` around the first searched word, about 24 words long,
/// HTML-escaped, with the searched words in `<mark>`. Both databases use it,
/// so excerpts look the same on SQLite and PostgreSQL.
pub fn excerpt_html(body: &str, words: &[String]) -> String {
    let tokens: Vec<&str> = body.split_whitespace().collect();
    let normalise = |token: &str| {
        token
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let is_match = |token: &str| {
        let token = normalise(token);
        words.contains(&token)
    };
    let first = tokens.iter().position(|token| is_match(token)).unwrap_or(0);
    let start = first.saturating_sub(8);
    let end = (start + 24).min(tokens.len());
    let mut html = String::new();
    if start > 0 {
        html.push_str("… ");
    }
    for (i, token) in tokens[start..end].iter().enumerate() {
        if i > 0 {
            html.push(' ');
        }
        if is_match(token) {
            // Mark the word itself, not the punctuation around it.
            let core_start = token.find(char::is_alphanumeric).unwrap_or(0);
            let core_end = token.rfind(char::is_alphanumeric).map_or(token.len(), |i| {
                i + token[i..].chars().next().map_or(1, char::len_utf8)
            });
            escape_html(&token[..core_start], &mut html);
            html.push_str("<mark>");
            escape_html(&token[core_start..core_end], &mut html);
            html.push_str("</mark>");
            escape_html(&token[core_end..], &mut html);
        } else {
            escape_html(token, &mut html);
        }
    }
    if end < tokens.len() {
        html.push_str(" …");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "**bold** [link](https://example.org) <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("rel=\"nofollow noopener noreferrer\""));
        for bad in ["<script", "javascript:", "onerror"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }

    #[test]
    fn mentions_are_found_once_and_not_in_emails() {
        assert_eq!(
            mentioned_handles("hi @ada-lovelace and @Bob, also @ada-lovelace. mail me@x.org"),
            vec!["ada-lovelace", "bob"]
        );
        assert!(mentioned_handles("@ no handle").is_empty());
    }

    #[test]
    fn handles_come_from_names() {
        assert_eq!(handle_base("Chloé Moreau"), "chloe-moreau");
        assert_eq!(handle_base("  Ada  "), "ada");
        assert_eq!(handle_base("李"), "member");
    }

    #[test]
    fn titles_bodies_and_queries_are_checked() {
        assert!(parse_title("  ").is_err());
        assert!(parse_title(&"x".repeat(201)).is_err());
        assert!(
            parse_body(&"x".repeat(MAX_BODY_CHARS + 1))
                .expect_err("too long")
                .to_string()
                .contains("at most")
        );
        assert_eq!(
            SearchQuery::parse("Tubeless sealant?").map(|q| q.words),
            Ok(vec!["tubeless".to_owned(), "sealant".to_owned()])
        );
        assert!(SearchQuery::parse("?!").is_err());
    }

    #[test]
    fn excerpts_escape_everything_but_marks() {
        let words = vec!["sealant".to_owned()];
        assert_eq!(
            excerpt_html("Refresh <b>the</b> Sealant, often.", &words),
            "Refresh &lt;b&gt;the&lt;/b&gt; <mark>Sealant</mark>, often."
        );
        let long: String = (0..60).map(|n| format!("w{n} ")).collect::<String>() + "sealant end";
        let excerpt = excerpt_html(&long, &words);
        assert!(
            excerpt.starts_with("… w52") && excerpt.contains("<mark>sealant</mark>"),
            "{excerpt}"
        );
    }

    #[test]
    fn support_summary_separates_members_and_staff() {
        let response = |asked: i64, answered: Option<i64>, staff: Option<bool>| FirstResponse {
            thread_id: 1,
            title: String::new(),
            space_name: String::new(),
            asked_at: Timestamp(asked * 60_000),
            first_reply_at: answered.map(|minutes| Timestamp(minutes * 60_000)),
            first_reply_by_staff: staff,
        };
        let summary = summarise_support(&[
            response(0, Some(10), Some(false)),
            response(0, Some(30), Some(false)),
            response(0, Some(5), Some(true)),
            response(0, None, None),
        ]);
        assert_eq!((summary.n_threads, summary.n_answered), (4, 3));
        assert_eq!(summary.median_minutes_members, Some(20));
        assert_eq!(summary.median_minutes_staff, Some(5));
        assert!((summary.peer_first_response_share.unwrap_or_default() - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn privacy_rules() {
        let space = |visibility| Space {
            id: 1,
            workspace_id: 1,
            kind: SpaceKind::Group,
            slug: "g".into(),
            name: "G".into(),
            description: String::new(),
            network: "native".into(),
            visibility,
            rules: String::new(),
            rules_version: 2,
            created_at: Timestamp(0),
        };
        let member = |active, rules_version| GroupMembership {
            space_id: 1,
            member_id: 7,
            role: GroupRole::Member,
            active,
            rules_version,
            joined_at: Timestamp(0),
        };
        assert!(can_read(&space(Visibility::Public), None, false));
        assert!(!can_read(&space(Visibility::Private), None, false));
        assert!(
            !can_read(&space(Visibility::Private), Some(&member(false, 2)), false),
            "pending"
        );
        assert!(can_read(
            &space(Visibility::Private),
            Some(&member(true, 2)),
            false
        ));
        assert!(
            can_read(&space(Visibility::InviteOnly), None, true),
            "staff moderate"
        );
        assert!(!can_see(&space(Visibility::InviteOnly), None, false));
        assert!(can_see(&space(Visibility::Private), None, false));
        assert!(
            !can_post(&space(Visibility::Public), Some(&member(true, 1)), false),
            "must accept the new rules"
        );
        assert!(can_post(
            &space(Visibility::Public),
            Some(&member(true, 2)),
            false
        ));
        let with_role = |role, active| GroupMembership {
            role,
            active,
            ..member(true, 2)
        };
        assert!(can_manage_group(None, true), "workspace moderators");
        assert!(can_manage_group(
            Some(&with_role(GroupRole::Owner, true)),
            false
        ));
        assert!(can_manage_group(
            Some(&with_role(GroupRole::Moderator, true)),
            false
        ));
        assert!(!can_manage_group(
            Some(&with_role(GroupRole::Member, true)),
            false
        ));
        assert!(
            !can_manage_group(Some(&with_role(GroupRole::Moderator, false)), false),
            "a pending request manages nothing"
        );
        assert!(!can_manage_group(None, false));
    }
}
