//! The interaction log and the first measures read from it.
//!
//! Every feature writes interactions (who did what, to whom, where, when);
//! analytics only reads them. The staff flag is recorded with the interaction
//! because community measures must count staff apart as they were at the time.

pub mod audience;
pub mod funnel;
pub mod health;
pub mod import;
pub mod report;

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::community::{SpaceId, SpaceKind};
use crate::error::StoreError;
use crate::members::MemberId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    Post,
    Reply,
    Mention,
    Reaction,
    Share,
    AcceptedAnswer,
    /// An RSVP "going" to an event.
    Rsvp,
    /// Checked in at an event (in person, or online through the join link).
    CheckIn,
    /// Two members checked in at the same event (one row each way).
    CoAttendance,
    /// Followed a link (imported logs; Agora's own tracked links count
    /// clicks per post, in `links`, since a network post is in no space).
    Click,
    /// Followed a member or a space (imported logs: Agora has no follow).
    Follow,
}

impl InteractionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Post => "post",
            InteractionKind::Reply => "reply",
            InteractionKind::Mention => "mention",
            InteractionKind::Reaction => "reaction",
            InteractionKind::Share => "share",
            InteractionKind::AcceptedAnswer => "accepted_answer",
            InteractionKind::Rsvp => "rsvp",
            InteractionKind::CheckIn => "check_in",
            InteractionKind::CoAttendance => "co_attendance",
            InteractionKind::Click => "click",
            InteractionKind::Follow => "follow",
        }
    }

    /// Whether the kind is activity as the health definitions count it.
    /// Clicks and follows are kept in the log (a member's profile, exports)
    /// but are nobody's participation: the compact log the health measures
    /// and the funnel read leaves them out.
    pub fn is_activity(self) -> bool {
        !matches!(self, InteractionKind::Click | InteractionKind::Follow)
    }

    /// Every kind (new kinds go last: snapshots store a kind's place here).
    pub const ALL: [InteractionKind; 11] = [
        InteractionKind::Post,
        InteractionKind::Reply,
        InteractionKind::Mention,
        InteractionKind::Reaction,
        InteractionKind::Share,
        InteractionKind::AcceptedAnswer,
        InteractionKind::Rsvp,
        InteractionKind::CheckIn,
        InteractionKind::CoAttendance,
        InteractionKind::Click,
        InteractionKind::Follow,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewInteraction {
    pub workspace_id: WorkspaceId,
    pub space_id: SpaceId,
    pub actor_id: MemberId,
    pub target_id: Option<MemberId>,
    pub kind: InteractionKind,
    pub at: Timestamp,
    pub source: String,
    pub actor_is_staff: bool,
    /// The thread the row belongs to (a native thread's id), for posts and
    /// replies; first responses are read from it.
    pub thread_id: Option<i64>,
}

/// Activity in one space over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpaceActivity {
    pub space_id: SpaceId,
    pub space_name: String,
    pub kind: SpaceKind,
    pub n_interactions: i64,
    /// Interactions aimed at another member (replies, mentions, reactions).
    pub n_directed: i64,
    /// Directed interactions between two non-staff members.
    pub n_member_to_member: i64,
    pub n_active_members: i64,
}

impl SpaceActivity {
    /// Member-to-member share of directed interactions, when there are any.
    pub fn member_to_member_share(&self) -> Option<f64> {
        (self.n_directed > 0).then(|| self.n_member_to_member as f64 / self.n_directed as f64)
    }
}

pub trait InteractionStore: Send + Sync {
    fn record_interactions(
        &self,
        interactions: &[NewInteraction],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn space_activity(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<Vec<SpaceActivity>, StoreError>> + Send;
    /// A member's rows of the kinds the compact log leaves out (clicks,
    /// follows), by kind.
    fn passive_interactions(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<(InteractionKind, u64)>, StoreError>> + Send;
    /// Distinct non-staff members who did anything since `since`.
    fn active_members(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The workspace's whole log in compact form, for the health measures.
    /// Kept warm in memory and brought up to date with the rows added since.
    fn interaction_log(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<std::sync::Arc<health::InteractionLog>, StoreError>> + Send;
    /// Names and handles of some members of the workspace, for drill-down lists.
    fn member_names(
        &self,
        workspace: WorkspaceId,
        members: &[MemberId],
    ) -> impl Future<Output = Result<Vec<(MemberId, String, String)>, StoreError>> + Send;
    /// Interactions per UTC day in `[from, to)`, as (day number, count).
    fn daily_interactions(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<(i64, i64)>, StoreError>> + Send;
}
