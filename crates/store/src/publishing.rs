//! Page posts in SQL.

use agora_core::accounts::WorkspaceId;
use agora_core::publishing::{NewPagePost, PagePost, PostStatus, PublishingStore};
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, get, store_error};

fn post_from(row: &AnyRow) -> Result<PagePost, StoreError> {
    let status: String = get(row, "status")?;
    Ok(PagePost {
        id: get(row, "id")?,
        space_id: get(row, "space_id")?,
        space_name: get(row, "space_name")?,
        network: get(row, "network")?,
        body: get(row, "body")?,
        status: PostStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("unknown post status {status:?}")))?,
        at: Timestamp(get(row, "at")?),
        n_likes: get(row, "n_likes")?,
        n_shares: get(row, "n_shares")?,
        n_replies: get(row, "n_replies")?,
    })
}

const POST_COLUMNS: &str = "p.id, p.space_id, s.name AS space_name, s.network, p.body, p.status, p.at, p.n_likes, p.n_shares, p.n_replies";

impl PublishingStore for Db {
    async fn create_page_post(&self, post: &NewPagePost) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO page_posts (workspace_id, space_id, body, status, at, n_likes, n_shares, n_replies) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(post.workspace_id)
        .bind(post.space_id)
        .bind(&post.body)
        .bind(post.status.as_str())
        .bind(post.at.millis())
        .bind(post.n_likes)
        .bind(post.n_shares)
        .bind(post.n_replies)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn page_posts_between(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<PagePost>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM page_posts p JOIN spaces s ON s.id = p.space_id \
             WHERE p.workspace_id = $1 AND p.at >= $2 AND p.at < $3 ORDER BY p.at, p.id"
        )))
        .bind(workspace)
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(post_from).collect()
    }

    async fn recent_page_posts(
        &self,
        workspace: WorkspaceId,
        limit: i64,
    ) -> Result<Vec<PagePost>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {POST_COLUMNS} FROM page_posts p JOIN spaces s ON s.id = p.space_id \
             WHERE p.workspace_id = $1 ORDER BY p.at DESC, p.id DESC LIMIT $2"
        )))
        .bind(workspace)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(post_from).collect()
    }
}
