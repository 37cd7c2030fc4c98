//! Posts on pages: what the marketer publishes. The publishing issue adds
//! channels, connectors and the engine; this module holds the post record the
//! foundation's demo and pages show.

use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::community::SpaceId;
use crate::error::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(PostStatus::Draft),
            "scheduled" => Some(PostStatus::Scheduled),
            "published" => Some(PostStatus::Published),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPagePost {
    pub workspace_id: WorkspaceId,
    pub space_id: SpaceId,
    pub body: String,
    pub status: PostStatus,
    /// When it went out (published) or will (scheduled); the save time for drafts.
    pub at: Timestamp,
    pub n_likes: i64,
    pub n_shares: i64,
    pub n_replies: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagePost {
    pub id: i64,
    pub space_id: SpaceId,
    pub space_name: String,
    pub network: String,
    pub body: String,
    pub status: PostStatus,
    pub at: Timestamp,
    pub n_likes: i64,
    pub n_shares: i64,
    pub n_replies: i64,
}

pub trait PublishingStore: Send + Sync {
    fn create_page_post(
        &self,
        post: &NewPagePost,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Posts whose time falls in `[from, to)`, in time order.
    fn page_posts_between(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<PagePost>, StoreError>> + Send;
    fn recent_page_posts(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<PagePost>, StoreError>> + Send;
}
