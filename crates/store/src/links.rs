//! Tracked links and their clicks, in SQL (migration 0014).

use agora_core::accounts::WorkspaceId;
use agora_core::links::{LinkHit, LinkStore, TOKEN_BYTES, TrackedLink};
use agora_core::members::MemberId;
use agora_core::posts::TargetId;
use agora_core::secrets::random_token;
use agora_core::{StoreError, Timestamp};

use crate::{Db, flag, get, store_error};

impl LinkStore for Db {
    async fn track_link_clicks(&self, workspace: WorkspaceId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT track_link_clicks FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<i64>(&row, "track_link_clicks")? != 0)
    }

    async fn set_track_link_clicks(
        &self,
        workspace: WorkspaceId,
        on: bool,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET track_link_clicks = $2 WHERE id = $1")
            .bind(workspace)
            .bind(flag(on))
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn tracked_links(
        &self,
        target: TargetId,
        urls: &[String],
        now: Timestamp,
    ) -> Result<Vec<TrackedLink>, StoreError> {
        if urls.is_empty() {
            return Ok(Vec::new());
        }
        let turn = self.write_turn().await;
        for (position, url) in urls.iter().enumerate() {
            // The first call makes the row; later ones keep its token (a URL
            // edited since follows the edit).
            sqlx::query(
                "INSERT INTO tracked_links (target_id, position, url, token, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (target_id, position) DO UPDATE SET url = excluded.url",
            )
            .bind(target)
            .bind(position as i64)
            .bind(url)
            .bind(random_token(TOKEN_BYTES))
            .bind(now.millis())
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        }
        drop(turn);
        let rows = sqlx::query(
            "SELECT id, target_id, position, url, token FROM tracked_links \
             WHERE target_id = $1 AND position < $2 ORDER BY position",
        )
        .bind(target)
        .bind(urls.len() as i64)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(TrackedLink {
                    id: get(row, "id")?,
                    target_id: get(row, "target_id")?,
                    position: get(row, "position")?,
                    url: get(row, "url")?,
                    token: get(row, "token")?,
                })
            })
            .collect()
    }

    async fn set_links_tracked(&self, target: TargetId, tracked: bool) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE post_targets SET links_tracked = $2 WHERE id = $1 AND links_tracked <> $2",
        )
        .bind(target)
        .bind(flag(tracked))
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn link_by_token(&self, token: &str) -> Result<Option<LinkHit>, StoreError> {
        let row = sqlx::query(
            "SELECT l.id, l.url, c.workspace_id FROM tracked_links l \
             JOIN post_targets pt ON pt.id = l.target_id JOIN channels c ON c.id = pt.channel_id \
             WHERE l.token = $1",
        )
        .bind(token)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| {
            Ok(LinkHit {
                link_id: get(&row, "id")?,
                workspace_id: get(&row, "workspace_id")?,
                url: get(&row, "url")?,
            })
        })
        .transpose()
    }

    async fn record_click(
        &self,
        link: i64,
        at: Timestamp,
        member: Option<MemberId>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("INSERT INTO link_clicks (link_id, at, member_id) VALUES ($1, $2, $3)")
            .bind(link)
            .bind(at.millis())
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn target_clicks(&self, target: TargetId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM link_clicks k JOIN tracked_links l ON l.id = k.link_id \
             WHERE l.target_id = $1",
        )
        .bind(target)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }
}
