//! Spaces, threads and replies in SQL.

use agora_core::accounts::WorkspaceId;
use agora_core::community::{
    CommunityStore, NewReply, NewSpace, NewThread, ReplyView, Space, SpaceId, SpaceKind, ThreadId,
    ThreadSummary, ThreadView,
};
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, get, store_error};

fn space_from(row: &AnyRow) -> Result<Space, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(Space {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        kind: SpaceKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown space kind {kind:?}")))?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        network: get(row, "network")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

const SPACE_COLUMNS: &str = "id, workspace_id, kind, slug, name, description, network, created_at";

impl CommunityStore for Db {
    async fn create_space(&self, space: &NewSpace) -> Result<Space, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO spaces (workspace_id, kind, slug, name, description, network, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SPACE_COLUMNS}"
        )))
        .bind(space.workspace_id)
        .bind(space.kind.as_str())
        .bind(&space.slug)
        .bind(&space.name)
        .bind(&space.description)
        .bind(&space.network)
        .bind(space.created_at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        space_from(&row)
    }

    async fn list_spaces(
        &self,
        workspace: WorkspaceId,
        kind: Option<SpaceKind>,
    ) -> Result<Vec<Space>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SPACE_COLUMNS} FROM spaces WHERE workspace_id = $1 AND ($2 = '' OR kind = $2) ORDER BY kind, name"
        )))
        .bind(workspace)
        .bind(kind.map_or("", SpaceKind::as_str))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(space_from).collect()
    }

    async fn space_by_slug(
        &self,
        workspace: WorkspaceId,
        slug: &str,
    ) -> Result<Option<Space>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SPACE_COLUMNS} FROM spaces WHERE workspace_id = $1 AND slug = $2"
        )))
        .bind(workspace)
        .bind(slug)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(space_from).transpose()
    }

    async fn create_thread(&self, thread: &NewThread) -> Result<ThreadId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO threads (space_id, author_id, title, body, created_at, last_activity_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(thread.space_id)
        .bind(thread.author_id)
        .bind(&thread.title)
        .bind(&thread.body)
        .bind(thread.created_at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn create_reply(&self, reply: &NewReply) -> Result<i64, StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "INSERT INTO replies (thread_id, author_id, reply_to_member_id, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(reply.thread_id)
        .bind(reply.author_id)
        .bind(reply.reply_to_member_id)
        .bind(&reply.body)
        .bind(reply.created_at.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "UPDATE threads SET n_replies = n_replies + 1, \
             last_activity_at = CASE WHEN last_activity_at < $1 THEN $1 ELSE last_activity_at END WHERE id = $2",
        )
        .bind(reply.created_at.millis())
        .bind(reply.thread_id)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        get(&row, "id")
    }

    async fn list_threads(
        &self,
        space: SpaceId,
        limit: i64,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.space_id, t.title, m.name AS author_name, t.created_at, t.n_replies, t.last_activity_at \
             FROM threads t JOIN members m ON m.id = t.author_id WHERE t.space_id = $1 \
             ORDER BY t.last_activity_at DESC, t.id DESC LIMIT $2",
        )
        .bind(space)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(ThreadSummary {
                    id: get(row, "id")?,
                    space_id: get(row, "space_id")?,
                    title: get(row, "title")?,
                    author_name: get(row, "author_name")?,
                    created_at: Timestamp(get(row, "created_at")?),
                    n_replies: get(row, "n_replies")?,
                    last_activity_at: Timestamp(get(row, "last_activity_at")?),
                })
            })
            .collect()
    }

    async fn thread(
        &self,
        workspace: WorkspaceId,
        thread: ThreadId,
    ) -> Result<ThreadView, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.space_id, t.title, t.body, t.created_at, m.name AS author_name, m.is_staff \
             FROM threads t JOIN members m ON m.id = t.author_id JOIN spaces s ON s.id = t.space_id \
             WHERE t.id = $1 AND s.workspace_id = $2",
        )
        .bind(thread)
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        let replies = sqlx::query(
            "SELECT r.id, r.body, r.created_at, m.name AS author_name, m.is_staff FROM replies r \
             JOIN members m ON m.id = r.author_id WHERE r.thread_id = $1 ORDER BY r.created_at, r.id",
        )
        .bind(thread)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            Ok(ReplyView {
                id: get(row, "id")?,
                author_name: get(row, "author_name")?,
                author_is_staff: get::<i64>(row, "is_staff")? != 0,
                body: get(row, "body")?,
                created_at: Timestamp(get(row, "created_at")?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ThreadView {
            id: get(&row, "id")?,
            space_id: get(&row, "space_id")?,
            title: get(&row, "title")?,
            author_name: get(&row, "author_name")?,
            author_is_staff: get::<i64>(&row, "is_staff")? != 0,
            body: get(&row, "body")?,
            created_at: Timestamp(get(&row, "created_at")?),
            replies,
        })
    }
}
