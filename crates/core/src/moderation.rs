//! Rules and moderation: the code of conduct, flags and the review queue,
//! sanctions, the moderation log with appeals, and trust levels.
//!
//! The community manager enforces the rules; moderators help. Everything a
//! moderator does is written to one log: public entries make the public
//! moderation log members read, and all of them make the audit log admins
//! read. Trust levels (0–4, as in Discourse) are computed daily from
//! participation; staff are outside the levels.

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::automod::{NewRule, Rule};
use crate::clock::Timestamp;
use crate::community::SpaceId;
use crate::error::StoreError;
use crate::members::MemberId;

const DAY_MILLIS: i64 = 86_400_000;

/// A piece of content moderators act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum ContentRef {
    /// A thread's opening post.
    Thread(i64),
    Reply(i64),
}

impl ContentRef {
    pub fn kind(self) -> &'static str {
        match self {
            ContentRef::Thread(_) => "thread",
            ContentRef::Reply(_) => "reply",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            ContentRef::Thread(id) | ContentRef::Reply(id) => id,
        }
    }

    pub fn from_parts(kind: &str, id: i64) -> Option<Self> {
        match kind {
            "thread" => Some(ContentRef::Thread(id)),
            "reply" => Some(ContentRef::Reply(id)),
            _ => None,
        }
    }
}

/// Whether content shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentState {
    Visible,
    /// Hidden by flags or a moderator until reviewed; its author still sees it.
    Hidden,
    /// Removed by a moderator; a placeholder keeps its place.
    Removed,
}

impl ContentState {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentState::Visible => "visible",
            ContentState::Hidden => "hidden",
            ContentState::Removed => "removed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "visible" => Some(ContentState::Visible),
            "hidden" => Some(ContentState::Hidden),
            "removed" => Some(ContentState::Removed),
            _ => None,
        }
    }
}

/// What a piece of content is, for moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentInfo {
    pub content: ContentRef,
    pub workspace_id: WorkspaceId,
    pub space_id: SpaceId,
    pub thread_id: i64,
    pub author_id: MemberId,
    pub author_name: String,
    /// The thread's title, for a thread; the thread's title too, for a reply.
    pub title: String,
    pub body: String,
    pub state: ContentState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    Spam,
    Harassment,
    OffTopic,
    /// With the flagger's own words.
    Other,
}

impl FlagReason {
    pub const ALL: [FlagReason; 4] = [
        FlagReason::Spam,
        FlagReason::Harassment,
        FlagReason::OffTopic,
        FlagReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Spam => "spam",
            FlagReason::Harassment => "harassment",
            FlagReason::OffTopic => "off_topic",
            FlagReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagReason::Spam => "Spam",
            FlagReason::Harassment => "Harassment or hostility",
            FlagReason::OffTopic => "Off-topic",
            FlagReason::Other => "Something else",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "spam" => Some(FlagReason::Spam),
            "harassment" => Some(FlagReason::Harassment),
            "off_topic" => Some(FlagReason::OffTopic),
            "other" => Some(FlagReason::Other),
            _ => None,
        }
    }
}

/// A flagger's trust, for weighing their flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Staff,
    Level(u8),
}

/// The weight of one flag: 1 + the flagger's trust level (staff count as
/// level 5) + a bonus for a record of flags moderators agreed with: +1 from
/// 5 agreed flags, +2 from 20, +3 from 50, and nothing while more of their
/// flags were disagreed with than agreed with.
pub fn flag_weight(standing: Standing, agreed: i64, disagreed: i64) -> i64 {
    let level = match standing {
        Standing::Staff => 5,
        Standing::Level(level) => i64::from(level.min(4)),
    };
    let bonus = if disagreed > agreed {
        0
    } else if agreed >= 50 {
        3
    } else if agreed >= 20 {
        2
    } else if agreed >= 5 {
        1
    } else {
        0
    };
    1 + level + bonus
}

/// Default flag score at which content is hidden until reviewed: two
/// regulars (level 3: weight 4 each) hide a post; one member does not.
pub const DEFAULT_HIDE_THRESHOLD: i64 = 8;

/// Posts a member may make per 30 s at each trust level (staff: no limit).
pub const FLOOD_LIMITS: [i64; 5] = [3, 5, 8, 12, 20];

pub fn flood_limit(level: u8) -> i64 {
    FLOOD_LIMITS[usize::from(level.min(4))]
}

/// The trust level at which a member going to an event may invite others to
/// it (organizers and staff always may).
pub const INVITE_LEVEL: u8 = 2;

/// Links a trust-level-0 member may put in one post before it is held.
pub const DEFAULT_NEW_MEMBER_LINKS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToxicityAction {
    /// Hold a post that scores at or above the threshold.
    Hold,
    /// Publish it and put it in the review queue.
    Alert,
    Off,
}

impl ToxicityAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ToxicityAction::Hold => "hold",
            ToxicityAction::Alert => "alert",
            ToxicityAction::Off => "off",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "hold" => Some(ToxicityAction::Hold),
            "alert" => Some(ToxicityAction::Alert),
            "off" => Some(ToxicityAction::Off),
            _ => None,
        }
    }
}

/// A workspace's moderation settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModerationSettings {
    /// Markdown; empty means no code of conduct to accept.
    pub conduct: String,
    /// Bumped at every change; members accept a version before posting.
    pub conduct_version: i64,
    pub hide_threshold: i64,
    /// Whether the public moderation log names members and moderators.
    pub log_shows_names: bool,
    pub toxicity_action: ToxicityAction,
    pub new_member_links: i64,
    /// Bumped whenever an auto-moderation rule changes (cache key).
    pub rules_version: i64,
    /// Whether members who join by themselves wait for a moderator's
    /// approval before they post (invited members are approved already).
    pub approve_new_members: bool,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            conduct: String::new(),
            conduct_version: 0,
            hide_threshold: DEFAULT_HIDE_THRESHOLD,
            log_shows_names: false,
            toxicity_action: ToxicityAction::Hold,
            new_member_links: DEFAULT_NEW_MEMBER_LINKS,
            rules_version: 0,
            approve_new_members: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// Content members (or an alert rule) flagged.
    Flagged,
    /// A post auto-moderation kept back; it is published only if approved.
    Held,
    /// A request to join a private group.
    JoinRequest,
    /// A member who joined the workspace by themselves, waiting for approval.
    Member,
    /// A member appealing a moderator's action.
    Appeal,
}

impl ReviewKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Flagged => "flagged",
            ReviewKind::Held => "held",
            ReviewKind::JoinRequest => "join_request",
            ReviewKind::Member => "member",
            ReviewKind::Appeal => "appeal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewKind::Flagged => "Flagged",
            ReviewKind::Held => "Held post",
            ReviewKind::JoinRequest => "Join request",
            ReviewKind::Member => "New member",
            ReviewKind::Appeal => "Appeal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "flagged" => Some(ReviewKind::Flagged),
            "held" => Some(ReviewKind::Held),
            "join_request" => Some(ReviewKind::JoinRequest),
            "member" => Some(ReviewKind::Member),
            "appeal" => Some(ReviewKind::Appeal),
            _ => None,
        }
    }
}

/// A moderator's answer to a review item: agree (the flag, hold or request
/// was right: act on it), disagree (it was wrong: restore, publish, refuse),
/// or ignore (close it; nobody's record changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Agree,
    Disagree,
    Ignore,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Agree => "agree",
            Decision::Disagree => "disagree",
            Decision::Ignore => "ignore",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "agree" => Some(Decision::Agree),
            "disagree" => Some(Decision::Disagree),
            "ignore" => Some(Decision::Ignore),
            _ => None,
        }
    }

    /// What the decision does, per kind of item, in words for buttons and the log.
    pub fn meaning(self, kind: ReviewKind) -> &'static str {
        match (kind, self) {
            (ReviewKind::Flagged, Decision::Agree) => "Agree: hide or remove the post",
            (ReviewKind::Flagged, Decision::Disagree) => "Disagree: keep the post up",
            (ReviewKind::Held, Decision::Agree) => "Agree: remove the post",
            (ReviewKind::Held, Decision::Disagree) => "Disagree: publish the post",
            (ReviewKind::JoinRequest, Decision::Agree) => "Approve the request",
            (ReviewKind::JoinRequest, Decision::Disagree) => "Refuse the request",
            (ReviewKind::Member, Decision::Agree) => "Approve: they may post",
            (ReviewKind::Member, Decision::Disagree) => "Refuse: ban from posting",
            (ReviewKind::Appeal, Decision::Agree) => "Agree with the appeal: undo the action",
            (ReviewKind::Appeal, Decision::Disagree) => "Disagree: the action stands",
            (_, Decision::Ignore) => "Ignore: close without acting",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Agreed,
    Disagreed,
    Ignored,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Agreed => "agreed",
            ReviewStatus::Disagreed => "disagreed",
            ReviewStatus::Ignored => "ignored",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(ReviewStatus::Pending),
            "agreed" => Some(ReviewStatus::Agreed),
            "disagreed" => Some(ReviewStatus::Disagreed),
            "ignored" => Some(ReviewStatus::Ignored),
            _ => None,
        }
    }

    pub fn of(decision: Decision) -> Self {
        match decision {
            Decision::Agree => ReviewStatus::Agreed,
            Decision::Disagree => ReviewStatus::Disagreed,
            Decision::Ignore => ReviewStatus::Ignored,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewReviewItem {
    pub workspace_id: WorkspaceId,
    pub space_id: Option<SpaceId>,
    pub kind: ReviewKind,
    pub content: Option<ContentRef>,
    /// Whom the item is about: the author, the requester, the appellant.
    pub subject_id: MemberId,
    /// Kind-specific data: a held post's draft, an appeal's id.
    pub payload: serde_json::Value,
    /// Why it is here, in words (rules matched, toxicity cues…).
    pub reasons: Vec<String>,
    pub score: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewItem {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub space_id: Option<SpaceId>,
    pub space_name: Option<String>,
    pub kind: ReviewKind,
    pub status: ReviewStatus,
    pub content: Option<ContentRef>,
    pub subject_id: MemberId,
    pub subject_name: String,
    pub payload: serde_json::Value,
    pub reasons: Vec<String>,
    /// The sum of its flags' weights.
    pub score: i64,
    pub claimed_by: Option<MemberId>,
    pub claimed_by_name: Option<String>,
    pub decided_by: Option<MemberId>,
    /// What was done, in words ("removed the post", "published"…).
    pub action: Option<String>,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// Which review items to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub status: Option<ReviewStatus>,
    pub kind: Option<ReviewKind>,
    /// Only these groups' items (a group moderator's view); `None` is everything.
    pub spaces: Option<Vec<SpaceId>>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewFlag {
    pub workspace_id: WorkspaceId,
    pub space_id: SpaceId,
    pub content: ContentRef,
    pub author_id: MemberId,
    pub flagger_id: MemberId,
    pub reason: FlagReason,
    pub note: String,
    pub weight: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub id: i64,
    pub flagger_id: MemberId,
    pub flagger_name: String,
    pub reason: FlagReason,
    pub note: String,
    pub weight: i64,
    pub created_at: Timestamp,
}

/// A flag recorded: the review item it joined and the content's score now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub review_item_id: i64,
    pub score: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SanctionKind {
    HideContent,
    RemoveContent,
    /// The member sees the warning and the rule until they acknowledge it.
    Warn,
    /// May not post in one group for a period.
    Mute,
    /// May not post anywhere in the workspace for a period.
    Suspend,
    /// May not post anywhere in the workspace, without end.
    Ban,
}

impl SanctionKind {
    pub const ALL: [SanctionKind; 6] = [
        SanctionKind::HideContent,
        SanctionKind::RemoveContent,
        SanctionKind::Warn,
        SanctionKind::Mute,
        SanctionKind::Suspend,
        SanctionKind::Ban,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SanctionKind::HideContent => "hide_content",
            SanctionKind::RemoveContent => "remove_content",
            SanctionKind::Warn => "warn",
            SanctionKind::Mute => "mute",
            SanctionKind::Suspend => "suspend",
            SanctionKind::Ban => "ban",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            SanctionKind::HideContent => "Hid a post",
            SanctionKind::RemoveContent => "Removed a post",
            SanctionKind::Warn => "Warned",
            SanctionKind::Mute => "Muted in a group",
            SanctionKind::Suspend => "Suspended",
            SanctionKind::Ban => "Banned",
        }
    }

    /// Whether the sanction acts on content (and needs it named).
    pub fn is_content(self) -> bool {
        matches!(
            self,
            SanctionKind::HideContent | SanctionKind::RemoveContent
        )
    }

    /// Whether the sanction needs a period (mute, suspend).
    pub fn is_timed(self) -> bool {
        matches!(self, SanctionKind::Mute | SanctionKind::Suspend)
    }
}

/// The longest mute or suspension: a year (longer is a ban).
pub const MAX_SANCTION_HOURS: i64 = 24 * 365;

/// A sanction as asked for, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanctionRequest {
    pub kind: String,
    pub reason: String,
    pub rule: String,
    /// For mute and suspend.
    pub hours: Option<i64>,
    /// For mute: the group.
    pub space_id: Option<SpaceId>,
    /// For hiding and removing content.
    pub content: Option<ContentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSanction {
    pub workspace_id: WorkspaceId,
    pub member_id: MemberId,
    pub kind: SanctionKind,
    pub space_id: Option<SpaceId>,
    pub content: Option<ContentRef>,
    pub reason: String,
    pub rule: String,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sanction {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub member_id: MemberId,
    pub kind: SanctionKind,
    pub space_id: Option<SpaceId>,
    pub content: Option<ContentRef>,
    pub reason: String,
    pub rule: String,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// When it ended early or expired, and why (`expired`, `appeal`, `lifted`).
    pub ended_at: Option<Timestamp>,
    pub ended_reason: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
    /// The log entry that records it (what an appeal names).
    pub action_id: Option<i64>,
}

impl Sanction {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && self.expires_at.is_none_or(|end| end > now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModerationError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ModerationError {
    ModerationError {
        field,
        message: message.into(),
    }
}

/// A checked sanction's parts: kind, reason, rule, expiry, group and content.
pub type CheckedSanction = (
    SanctionKind,
    String,
    String,
    Option<Timestamp>,
    Option<SpaceId>,
    Option<ContentRef>,
);

/// Checks a sanction request: a known kind, a reason, a period for mutes and
/// suspensions (1 hour to a year), a group for mutes, content for hiding
/// and removing.
pub fn check_sanction(
    request: &SanctionRequest,
    now: Timestamp,
) -> Result<CheckedSanction, ModerationError> {
    let kind = SanctionKind::parse(request.kind.trim()).ok_or_else(|| {
        invalid(
            "kind",
            "choose hide_content, remove_content, warn, mute, suspend or ban",
        )
    })?;
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "say why: the member sees it"));
    }
    if reason.chars().count() > 1_000 {
        return Err(invalid("reason", "a reason is at most 1,000 characters"));
    }
    let rule = request.rule.trim();
    if rule.chars().count() > 500 {
        return Err(invalid("rule", "a rule is at most 500 characters"));
    }
    let expires_at = if kind.is_timed() {
        let hours = request
            .hours
            .ok_or_else(|| invalid("hours", "say for how many hours"))?;
        if !(1..=MAX_SANCTION_HOURS).contains(&hours) {
            return Err(invalid(
                "hours",
                format!("between 1 and {MAX_SANCTION_HOURS} hours (longer is a ban)"),
            ));
        }
        Some(now.plus_seconds(hours * 3_600))
    } else {
        None
    };
    let space = match kind {
        SanctionKind::Mute => Some(
            request
                .space_id
                .ok_or_else(|| invalid("space_id", "choose the group to mute the member in"))?,
        ),
        _ => request.space_id,
    };
    let content = if kind.is_content() {
        Some(
            request
                .content
                .ok_or_else(|| invalid("content", "name the post to hide or remove"))?,
        )
    } else {
        None
    };
    Ok((
        kind,
        reason.to_owned(),
        rule.to_owned(),
        expires_at,
        space,
        content,
    ))
}

/// One entry of the moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAction {
    pub workspace_id: WorkspaceId,
    pub space_id: Option<SpaceId>,
    /// The moderator; `None` for auto-moderation and the system.
    pub moderator_id: Option<MemberId>,
    /// What happened, a short code: `removed_post`, `suspended`, `claimed`…
    pub action: String,
    pub subject_id: Option<MemberId>,
    pub content: Option<ContentRef>,
    pub reason: String,
    /// Shown in the public moderation log (claims and settings are audit-only).
    pub public: bool,
    pub sanction_id: Option<i64>,
    pub review_item_id: Option<i64>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionEntry {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub space_id: Option<SpaceId>,
    pub space_name: Option<String>,
    pub moderator_id: Option<MemberId>,
    pub moderator_name: Option<String>,
    pub action: String,
    pub subject_id: Option<MemberId>,
    pub subject_name: Option<String>,
    pub content: Option<ContentRef>,
    pub reason: String,
    pub public: bool,
    pub sanction_id: Option<i64>,
    pub review_item_id: Option<i64>,
    pub created_at: Timestamp,
}

impl ActionEntry {
    /// The action in words.
    pub fn label(&self) -> &str {
        match self.action.as_str() {
            "hid_post" => "Hid a post",
            "removed_post" => "Removed a post",
            "restored_post" => "Restored a post",
            "published_post" => "Published a held post",
            "held_post" => "Held a post for review",
            "hidden_by_flags" => "Post hidden by community flags",
            "warned" => "Warned a member",
            "muted" => "Muted a member in a group",
            "suspended" => "Suspended a member",
            "banned" => "Banned a member",
            "sanction_expired" => "A sanction expired",
            "sanction_lifted" => "Lifted a sanction",
            "appeal_upheld" => "Agreed with an appeal: action undone",
            "appeal_refused" => "Refused an appeal: action stands",
            "approved_join" => "Approved a join request",
            "refused_join" => "Refused a join request",
            "dismissed_flags" => "Dismissed flags",
            "ignored" => "Closed a review item without acting",
            "claimed" => "Claimed a review item",
            "rule_added" => "Added an auto-moderation rule",
            "rule_removed" => "Removed an auto-moderation rule",
            "settings_changed" => "Changed moderation settings",
            "conduct_changed" => "Published a new code of conduct",
            "trust_set" => "Set a trust level",
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    Pending,
    /// The moderator agreed with the member: the action was undone.
    Upheld,
    /// The action stands.
    Refused,
}

impl AppealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealStatus::Pending => "pending",
            AppealStatus::Upheld => "upheld",
            AppealStatus::Refused => "refused",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(AppealStatus::Pending),
            "upheld" => Some(AppealStatus::Upheld),
            "refused" => Some(AppealStatus::Refused),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appeal {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    /// The log entry appealed.
    pub action_id: i64,
    pub member_id: MemberId,
    pub text: String,
    pub status: AppealStatus,
    pub decided_by: Option<MemberId>,
    pub decided_at: Option<Timestamp>,
    pub note: String,
    pub created_at: Timestamp,
}

/// An appeal's text: 10 to 2,000 characters.
pub fn check_appeal_text(raw: &str) -> Result<String, ModerationError> {
    let text = raw.trim();
    match text.chars().count() {
        0..10 => Err(invalid(
            "text",
            "say in a sentence or two why the action was wrong (10 characters at least)",
        )),
        2_001.. => Err(invalid("text", "an appeal is at most 2,000 characters")),
        _ => Ok(text.to_owned()),
    }
}

// ---------------------------------------------------------------- trust levels

/// What trust is computed from, over the last [`TRUST_WINDOW_DAYS`] days
/// (flags: over all time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TrustInputs {
    pub days_visited: i64,
    pub replies: i64,
    pub reactions_given: i64,
    pub reactions_received: i64,
    pub threads_read: i64,
    /// Flags the member raised that moderators agreed with (all time).
    pub flags_agreed: i64,
    /// Flags the member raised that moderators disagreed with (all time).
    pub flags_disagreed: i64,
    /// Review items about the member's own posts that moderators agreed with.
    pub flagged_posts: i64,
}

pub const TRUST_WINDOW_DAYS: i64 = 100;
/// A member who no longer meets their level keeps it this long before demotion.
pub const TRUST_GRACE_DAYS: i64 = 14;

/// The requirements of each level above 0, over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrustRequirement {
    pub level: u8,
    pub name: &'static str,
    pub days_visited: i64,
    pub threads_read: i64,
    pub replies: i64,
    pub reactions_given: i64,
    pub reactions_received: i64,
    /// At most this many of the member's posts found against the rules.
    pub max_flagged_posts: i64,
    /// Flags the member raised that moderators agreed with (leaders help
    /// moderate).
    pub flags_agreed: i64,
}

pub const TRUST_REQUIREMENTS: [TrustRequirement; 4] = [
    TrustRequirement {
        level: 1,
        name: "Member",
        days_visited: 2,
        threads_read: 5,
        replies: 0,
        reactions_given: 0,
        reactions_received: 0,
        max_flagged_posts: i64::MAX,
        flags_agreed: 0,
    },
    TrustRequirement {
        level: 2,
        name: "Contributor",
        days_visited: 10,
        threads_read: 20,
        replies: 3,
        reactions_given: 1,
        reactions_received: 1,
        max_flagged_posts: 5,
        flags_agreed: 0,
    },
    TrustRequirement {
        level: 3,
        name: "Regular",
        days_visited: 30,
        threads_read: 50,
        replies: 10,
        reactions_given: 10,
        reactions_received: 10,
        max_flagged_posts: 2,
        flags_agreed: 0,
    },
    TrustRequirement {
        level: 4,
        name: "Leader",
        days_visited: 60,
        threads_read: 100,
        replies: 40,
        reactions_given: 30,
        reactions_received: 40,
        max_flagged_posts: 0,
        flags_agreed: 2,
    },
];

pub fn level_name(level: u8) -> &'static str {
    match level {
        0 => "Newcomer",
        _ => TRUST_REQUIREMENTS[usize::from(level.min(4)) - 1].name,
    }
}

/// The highest level the inputs meet.
pub fn level_met(inputs: &TrustInputs) -> u8 {
    TRUST_REQUIREMENTS
        .iter()
        .take_while(|r| {
            inputs.days_visited >= r.days_visited
                && inputs.threads_read >= r.threads_read
                && inputs.replies >= r.replies
                && inputs.reactions_given >= r.reactions_given
                && inputs.reactions_received >= r.reactions_received
                && inputs.flagged_posts <= r.max_flagged_posts
                && inputs.flags_agreed >= r.flags_agreed
        })
        .last()
        .map_or(0, |r| r.level)
}

/// A member's trust as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrustState {
    pub level: u8,
    /// Set by staff: the daily run leaves it alone.
    pub locked: bool,
    /// Since when the member no longer meets their level (grace period).
    pub below_since: Option<Timestamp>,
}

/// The daily step: promotion at once to the highest level met; demotion
/// (to the level met) only after [`TRUST_GRACE_DAYS`] below the current one.
pub fn next_trust(current: TrustState, inputs: &TrustInputs, now: Timestamp) -> TrustState {
    if current.locked {
        return current;
    }
    let met = level_met(inputs);
    if met >= current.level {
        return TrustState {
            level: met,
            locked: false,
            below_since: None,
        };
    }
    match current.below_since {
        Some(since) if now.millis() - since.millis() >= TRUST_GRACE_DAYS * DAY_MILLIS => {
            TrustState {
                level: met,
                locked: false,
                below_since: None,
            }
        }
        Some(_) => current,
        None => TrustState {
            below_since: Some(now),
            ..current
        },
    }
}

/// A member's trust for the pages: level, inputs, when computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustRow {
    pub member_id: MemberId,
    pub name: String,
    pub state: TrustState,
    pub inputs: TrustInputs,
    pub computed_at: Option<Timestamp>,
}

pub trait ModerationStore: Send + Sync {
    fn moderation_settings(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<ModerationSettings, StoreError>> + Send;
    /// Saves everything but the conduct and the versions.
    fn save_moderation_settings(
        &self,
        workspace: WorkspaceId,
        settings: &ModerationSettings,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Publishes a new code of conduct; answers its version.
    fn set_conduct(
        &self,
        workspace: WorkspaceId,
        conduct: &str,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn accept_conduct(
        &self,
        member: MemberId,
        version: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The newest version the member accepted (0: none).
    fn accepted_conduct(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    fn automod_rules(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Rule>, StoreError>> + Send;
    fn create_automod_rule(
        &self,
        rule: &NewRule,
    ) -> impl Future<Output = Result<Rule, StoreError>> + Send;
    fn delete_automod_rule(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn content_info(
        &self,
        workspace: WorkspaceId,
        content: ContentRef,
    ) -> impl Future<Output = Result<Option<ContentInfo>, StoreError>> + Send;
    fn set_content_state(
        &self,
        content: ContentRef,
        state: ContentState,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The member's thread and reply texts since `since`, the newest 500
    /// (duplicate detection).
    fn recent_bodies(
        &self,
        member: MemberId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    fn create_review_item(
        &self,
        item: &NewReviewItem,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn review_item(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<Option<ReviewItem>, StoreError>> + Send;
    fn review_items(
        &self,
        workspace: WorkspaceId,
        filter: &ReviewFilter,
    ) -> impl Future<Output = Result<Vec<ReviewItem>, StoreError>> + Send;
    /// Claims a pending item; false if it is decided or someone else holds it.
    fn claim_review_item(
        &self,
        id: i64,
        member: MemberId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Decides a pending item once: false if it was already decided.
    fn decide_review_item(
        &self,
        id: i64,
        status: ReviewStatus,
        by: MemberId,
        action: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The pending item of a kind about a member in a group (join requests).
    fn pending_review_item(
        &self,
        kind: ReviewKind,
        space: Option<SpaceId>,
        subject: MemberId,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// Records a flag on content, joining (or opening) its pending review
    /// item; a second flag by the same member is a conflict.
    fn add_flag(&self, flag: &NewFlag) -> impl Future<Output = Result<Flagged, StoreError>> + Send;
    fn flags_of_item(
        &self,
        item: i64,
    ) -> impl Future<Output = Result<Vec<Flag>, StoreError>> + Send;
    /// Marks an item's flags agreed or disagreed with (the flaggers' record).
    fn set_flag_outcomes(
        &self,
        item: i64,
        status: ReviewStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// (agreed, disagreed) flags the member raised.
    fn flag_record(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<(i64, i64), StoreError>> + Send;

    fn create_sanction(
        &self,
        sanction: &NewSanction,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn sanction(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<Option<Sanction>, StoreError>> + Send;
    /// The member's sanctions, newest first.
    fn sanctions_of(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<Sanction>, StoreError>> + Send;
    /// Ends a sanction once: false if it had already ended.
    fn end_sanction(
        &self,
        id: i64,
        reason: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn acknowledge_warning(
        &self,
        member: MemberId,
        id: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn log_action(
        &self,
        action: &NewAction,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The log, newest first; `public_only` for the members' view.
    fn moderation_log(
        &self,
        workspace: WorkspaceId,
        public_only: bool,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ActionEntry>, StoreError>> + Send;
    fn action_entry(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<Option<ActionEntry>, StoreError>> + Send;
    /// Public actions about a member, newest first (what they may appeal).
    fn actions_about(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<ActionEntry>, StoreError>> + Send;

    /// Files an appeal; a second appeal of the same action is a conflict.
    fn create_appeal(
        &self,
        workspace: WorkspaceId,
        action: i64,
        member: MemberId,
        text: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn appeal(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> impl Future<Output = Result<Option<Appeal>, StoreError>> + Send;
    fn appeals_of(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<Appeal>, StoreError>> + Send;
    fn decide_appeal(
        &self,
        id: i64,
        status: AppealStatus,
        by: MemberId,
        note: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Group ids where the member is an active owner or moderator.
    fn moderated_groups(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<SpaceId>, StoreError>> + Send;

    fn record_visit(
        &self,
        member: MemberId,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn record_thread_read(
        &self,
        member: MemberId,
        thread: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Trust inputs of every non-staff member of the workspace since `since`.
    fn trust_inputs(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<(MemberId, TrustInputs)>, StoreError>> + Send;
    fn trust_of(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<TrustState, StoreError>> + Send;
    fn save_trust(
        &self,
        member: MemberId,
        state: &TrustState,
        inputs: &TrustInputs,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn trust_rows(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<TrustRow>, StoreError>> + Send;
    /// For data that arrived without visits and reads (the demo, imports):
    /// a visit on each day a member acted, and a read of each thread they
    /// replied in or started.
    fn backfill_participation(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flag_weights_follow_trust_and_record() {
        assert_eq!(flag_weight(Standing::Level(0), 0, 0), 1);
        assert_eq!(flag_weight(Standing::Level(3), 0, 0), 4);
        assert_eq!(flag_weight(Standing::Staff, 0, 0), 6);
        assert_eq!(flag_weight(Standing::Level(2), 5, 1), 4);
        assert_eq!(flag_weight(Standing::Level(2), 60, 10), 6);
        assert_eq!(
            flag_weight(Standing::Level(2), 6, 9),
            3,
            "a poor record earns nothing"
        );
        // Two regulars reach the default threshold; one does not; nor do seven newcomers.
        assert!(2 * flag_weight(Standing::Level(3), 0, 0) >= DEFAULT_HIDE_THRESHOLD);
        assert!(flag_weight(Standing::Level(3), 0, 0) < DEFAULT_HIDE_THRESHOLD);
        assert!(7 * flag_weight(Standing::Level(0), 0, 0) < DEFAULT_HIDE_THRESHOLD);
    }

    fn regular() -> TrustInputs {
        TrustInputs {
            days_visited: 35,
            replies: 12,
            reactions_given: 11,
            reactions_received: 14,
            threads_read: 60,
            ..TrustInputs::default()
        }
    }

    #[test]
    fn levels_are_met_in_order() {
        assert_eq!(level_met(&TrustInputs::default()), 0);
        assert_eq!(
            level_met(&TrustInputs {
                days_visited: 2,
                threads_read: 5,
                ..TrustInputs::default()
            }),
            1
        );
        assert_eq!(level_met(&regular()), 3);
        let flagged = TrustInputs {
            flagged_posts: 3,
            ..regular()
        };
        assert_eq!(
            level_met(&flagged),
            2,
            "posts found against the rules hold a member back"
        );
        let leader = TrustInputs {
            days_visited: 70,
            threads_read: 150,
            replies: 50,
            reactions_given: 35,
            reactions_received: 45,
            ..TrustInputs::default()
        };
        assert_eq!(level_met(&leader), 3, "leaders also help moderate");
        let helper = TrustInputs {
            flags_agreed: 2,
            ..leader
        };
        assert_eq!(level_met(&helper), 4);
    }

    #[test]
    fn promotion_is_immediate_and_demotion_waits_for_the_grace_period() {
        let day = |n: i64| Timestamp(n * DAY_MILLIS);
        let state = next_trust(TrustState::default(), &regular(), day(0));
        assert_eq!(state.level, 3);
        let quiet = TrustInputs {
            days_visited: 12,
            threads_read: 25,
            replies: 4,
            reactions_given: 2,
            reactions_received: 2,
            ..TrustInputs::default()
        };
        let state = next_trust(state, &quiet, day(1));
        assert_eq!((state.level, state.below_since), (3, Some(day(1))));
        let state = next_trust(state, &quiet, day(14));
        assert_eq!(state.level, 3, "13 days below: still in grace");
        // Back up during the grace period: the clock resets.
        let back = next_trust(state, &regular(), day(10));
        assert_eq!((back.level, back.below_since), (3, None));
        let state = next_trust(state, &quiet, day(15));
        assert_eq!((state.level, state.below_since), (2, None));
        let locked = TrustState {
            level: 4,
            locked: true,
            below_since: None,
        };
        assert_eq!(next_trust(locked, &TrustInputs::default(), day(99)), locked);
    }

    #[test]
    fn sanctions_are_checked() {
        let now = Timestamp(0);
        let request = |kind: &str| SanctionRequest {
            kind: kind.into(),
            reason: "Insults in #general".into(),
            ..SanctionRequest::default()
        };
        assert_eq!(
            check_sanction(&request("suspend"), now).unwrap_err().field,
            "hours"
        );
        assert_eq!(
            check_sanction(
                &SanctionRequest {
                    hours: Some(24),
                    ..request("mute")
                },
                now
            )
            .unwrap_err()
            .field,
            "space_id"
        );
        assert_eq!(
            check_sanction(&request("remove_content"), now)
                .unwrap_err()
                .field,
            "content"
        );
        assert_eq!(
            check_sanction(&request("nuke"), now).unwrap_err().field,
            "kind"
        );
        let (kind, _, _, expires, _, _) = check_sanction(
            &SanctionRequest {
                hours: Some(48),
                ..request("suspend")
            },
            now,
        )
        .unwrap();
        assert_eq!(
            (kind, expires),
            (SanctionKind::Suspend, Some(Timestamp(48 * 3_600_000)))
        );
        assert!(check_sanction(&request("ban"), now).unwrap().3.is_none());
        let no_reason = SanctionRequest {
            kind: "warn".into(),
            ..SanctionRequest::default()
        };
        assert_eq!(check_sanction(&no_reason, now).unwrap_err().field, "reason");
    }
}
