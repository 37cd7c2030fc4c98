//! Spaces, groups, threads and replies: where conversation happens.
//!
//! Every space is a page (the brand broadcasts; the marketer's side) or a
//! group (members talk; the community manager's side). This module holds the
//! minimum the foundation needs to show a populated community; the community
//! issue grows it (privacy, reactions, Q&A, search).

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
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
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewThread {
    pub space_id: SpaceId,
    pub author_id: MemberId,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReply {
    pub thread_id: ThreadId,
    pub author_id: MemberId,
    /// The member this reply answers, when it answers someone in particular.
    pub reply_to_member_id: Option<MemberId>,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub space_id: SpaceId,
    pub title: String,
    pub author_name: String,
    pub created_at: Timestamp,
    pub n_replies: i64,
    pub last_activity_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyView {
    pub id: i64,
    pub author_name: String,
    pub author_is_staff: bool,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadView {
    pub id: ThreadId,
    pub space_id: SpaceId,
    pub title: String,
    pub author_name: String,
    pub author_is_staff: bool,
    pub body: String,
    pub created_at: Timestamp,
    pub replies: Vec<ReplyView>,
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
    fn create_thread(
        &self,
        thread: &NewThread,
    ) -> impl Future<Output = Result<ThreadId, StoreError>> + Send;
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
}
