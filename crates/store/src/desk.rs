//! Campaigns, approvals, post history and moving posts, in SQL.

use agora_core::accounts::WorkspaceId;
use agora_core::desk::{
    Approval, Campaign, CampaignId, DeskStore, HistoryEntry, LibraryItem, NewCampaign, NewMedia,
    Utm,
};
use agora_core::members::MemberId;
use agora_core::posts::{PostId, TargetId};
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, flag, get, store_error};

const CAMPAIGN_COLUMNS: &str = "id, workspace_id, name, goal, starts_at, ends_at, color, utm_source, utm_medium, utm_campaign, created_at";

fn campaign_from(row: &AnyRow) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        name: get(row, "name")?,
        goal: get(row, "goal")?,
        starts_at: get::<Option<i64>>(row, "starts_at")?.map(Timestamp),
        ends_at: get::<Option<i64>>(row, "ends_at")?.map(Timestamp),
        color: get(row, "color")?,
        utm: Utm {
            source: get(row, "utm_source")?,
            medium: get(row, "utm_medium")?,
            campaign: get(row, "utm_campaign")?,
        },
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn library_item_from(row: &AnyRow) -> Result<LibraryItem, StoreError> {
    Ok(LibraryItem {
        id: get(row, "id")?,
        filename: get(row, "filename")?,
        content_type: get(row, "content_type")?,
        alt: get(row, "alt")?,
        size: get(row, "size")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

impl DeskStore for Db {
    async fn create_campaign(
        &self,
        campaign: &NewCampaign,
        now: Timestamp,
    ) -> Result<CampaignId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO campaigns (workspace_id, name, goal, starts_at, ends_at, color, utm_source, utm_medium, utm_campaign, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(campaign.workspace_id)
        .bind(&campaign.name)
        .bind(&campaign.goal)
        .bind(campaign.starts_at.map(Timestamp::millis))
        .bind(campaign.ends_at.map(Timestamp::millis))
        .bind(&campaign.color)
        .bind(&campaign.utm.source)
        .bind(&campaign.utm.medium)
        .bind(&campaign.utm.campaign)
        .bind(now.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn campaigns(&self, workspace: WorkspaceId) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 ORDER BY name"
        )))
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(campaign_from).collect()
    }

    async fn campaign(
        &self,
        workspace: WorkspaceId,
        id: CampaignId,
    ) -> Result<Option<Campaign>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(workspace)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(campaign_from).transpose()
    }

    async fn set_post_campaign(
        &self,
        post: PostId,
        campaign: Option<CampaignId>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE posts SET campaign_id = $2 WHERE id = $1")
            .bind(post)
            .bind(campaign)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn posts_need_approval(&self, workspace: WorkspaceId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT posts_need_approval FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<i64>(&row, "posts_need_approval")? != 0)
    }

    async fn set_posts_need_approval(
        &self,
        workspace: WorkspaceId,
        on: bool,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET posts_need_approval = $2 WHERE id = $1")
            .bind(workspace)
            .bind(flag(on))
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn approval(&self, post: PostId) -> Result<Option<(Approval, MemberId)>, StoreError> {
        let row = sqlx::query("SELECT approval, author_id FROM posts WHERE id = $1")
            .bind(post)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| {
            let approval: String = get(&row, "approval")?;
            Ok((
                Approval::parse(&approval).unwrap_or(Approval::None),
                get(&row, "author_id")?,
            ))
        })
        .transpose()
    }

    async fn set_approval(
        &self,
        post: PostId,
        approval: Approval,
        hold: bool,
        release: bool,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("UPDATE posts SET approval = $2 WHERE id = $1")
            .bind(post)
            .bind(approval.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if hold {
            sqlx::query(
                "UPDATE post_targets SET status = 'draft' WHERE post_id = $1 AND status = 'scheduled'",
            )
            .bind(post)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        if release {
            sqlx::query(
                "UPDATE post_targets SET status = 'scheduled' WHERE post_id = $1 AND status = 'draft' \
                 AND next_attempt_at IS NOT NULL",
            )
            .bind(post)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn record_history(
        &self,
        post: PostId,
        member: MemberId,
        action: &str,
        comment: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO post_history (post_id, member_id, action, comment, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(post)
        .bind(member)
        .bind(action)
        .bind(comment)
        .bind(at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn history(&self, post: PostId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.member_id, m.name, h.action, h.comment, h.at FROM post_history h \
             JOIN members m ON m.id = h.member_id WHERE h.post_id = $1 ORDER BY h.id",
        )
        .bind(post)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(HistoryEntry {
                    member_id: get(row, "member_id")?,
                    member_name: get(row, "name")?,
                    action: get(row, "action")?,
                    comment: get(row, "comment")?,
                    at: Timestamp(get(row, "at")?),
                })
            })
            .collect()
    }

    async fn reschedule_post(
        &self,
        workspace: WorkspaceId,
        post: PostId,
        at: Timestamp,
    ) -> Result<Vec<TargetId>, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let updated =
            sqlx::query("UPDATE posts SET scheduled_at = $3 WHERE id = $1 AND workspace_id = $2")
                .bind(post)
                .bind(workspace)
                .bind(at.millis())
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Drafts of a post being moved get its time too (they stay drafts).
        let rows = sqlx::query(
            "UPDATE post_targets SET next_attempt_at = $2 WHERE post_id = $1 \
             AND status IN ('draft', 'scheduled', 'retrying') RETURNING id, status",
        )
        .bind(post)
        .bind(at.millis())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        let mut moved = Vec::new();
        for row in &rows {
            if get::<String>(row, "status")? != "draft" {
                moved.push(get(row, "id")?);
            }
        }
        Ok(moved)
    }

    async fn add_media(&self, media: &NewMedia<'_>, now: Timestamp) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO media_library (workspace_id, filename, content_type, alt, size, bytes, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(media.workspace_id)
        .bind(media.filename)
        .bind(media.content_type)
        .bind(media.alt)
        .bind(media.bytes.len() as i64)
        .bind(media.bytes.to_vec())
        .bind(media.member_id)
        .bind(now.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn media_library(&self, workspace: WorkspaceId) -> Result<Vec<LibraryItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, filename, content_type, alt, size, created_at FROM media_library \
             WHERE workspace_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(library_item_from).collect()
    }

    async fn media_bytes(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<(LibraryItem, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, filename, content_type, alt, size, created_at, bytes FROM media_library \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| Ok((library_item_from(&row)?, get(&row, "bytes")?)))
            .transpose()
    }

    async fn delete_media(&self, workspace: WorkspaceId, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM media_library WHERE workspace_id = $1 AND id = $2")
            .bind(workspace)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn edit_target_text(
        &self,
        post: PostId,
        target: TargetId,
        text: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE post_targets SET text = $3 WHERE post_id = $1 AND id = $2 \
             AND status IN ('draft', 'scheduled', 'retrying', 'failed')",
        )
        .bind(post)
        .bind(target)
        .bind(text)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }
}
