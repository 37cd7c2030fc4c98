//! Queue slots, queue pauses, the instants a channel's posts hold, and the
//! engagement samples best time to post reads, in SQL.

use agora_core::accounts::WorkspaceId;
use agora_core::best_time::Sample;
use agora_core::posts::{ChannelId, PostId};
use agora_core::slots::{Queue, Slot, SlotStore};
use agora_core::{StoreError, Timestamp};

use crate::{Db, flag, get, store_error};

impl SlotStore for Db {
    async fn queue(&self, channel: ChannelId) -> Result<Queue, StoreError> {
        let row = sqlx::query("SELECT timezone, queue_paused FROM channels WHERE id = $1")
            .bind(channel)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        let rows = sqlx::query(
            "SELECT weekday, minute FROM queue_slots WHERE channel_id = $1 ORDER BY weekday, minute",
        )
        .bind(channel)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut slots = Vec::with_capacity(rows.len());
        for row in &rows {
            let (weekday, minute): (i64, i64) = (get(row, "weekday")?, get(row, "minute")?);
            let slot = u8::try_from(weekday)
                .ok()
                .zip(u16::try_from(minute).ok())
                .and_then(|(weekday, minute)| Slot::new(weekday, minute))
                .ok_or_else(|| {
                    StoreError::Backend(format!("slot {weekday}/{minute} out of range"))
                })?;
            slots.push(slot);
        }
        Ok(Queue {
            timezone: get(&row, "timezone")?,
            paused: get::<i64>(&row, "queue_paused")? != 0,
            slots,
        })
    }

    async fn set_queue(
        &self,
        channel: ChannelId,
        timezone: &str,
        paused: bool,
        slots: &[Slot],
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let updated =
            sqlx::query("UPDATE channels SET timezone = $2, queue_paused = $3 WHERE id = $1")
                .bind(channel)
                .bind(timezone)
                .bind(flag(paused))
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM queue_slots WHERE channel_id = $1")
            .bind(channel)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        if !slots.is_empty() {
            // At most a hundred slots: one statement.
            let values: Vec<String> = (0..slots.len())
                .map(|i| format!("($1, ${}, ${})", i * 2 + 2, i * 2 + 3))
                .collect();
            let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO queue_slots (channel_id, weekday, minute) VALUES {}",
                values.join(", ")
            )))
            .bind(channel);
            for slot in slots {
                query = query
                    .bind(i64::from(slot.weekday))
                    .bind(i64::from(slot.minute));
            }
            query
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn taken_times(
        &self,
        channel: ChannelId,
        from: Timestamp,
        except: Option<PostId>,
    ) -> Result<Vec<Timestamp>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.scheduled_at FROM posts p JOIN post_targets pt ON pt.post_id = p.id \
             WHERE pt.channel_id = $1 AND p.scheduled_at >= $2 AND p.id <> $3 ORDER BY p.scheduled_at",
        )
        .bind(channel)
        .bind(from.millis())
        .bind(except.unwrap_or(-1))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok(Timestamp(get(row, "scheduled_at")?)))
            .collect()
    }

    async fn engagement_samples(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<Sample>, StoreError> {
        let rows = sqlx::query(
            "SELECT pt.channel_id, c.timezone, pt.published_at, \
             CAST(COALESCE(pt.likes, 0) + COALESCE(pt.shares, 0) + COALESCE(pt.replies, 0) + COALESCE(pt.quotes, 0) AS BIGINT) AS engagement \
             FROM post_targets pt JOIN channels c ON c.id = pt.channel_id \
             WHERE c.workspace_id = $1 AND pt.status = 'published' AND pt.metrics_at IS NOT NULL \
             AND pt.published_at >= $2",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Sample {
                    channel_id: get(row, "channel_id")?,
                    timezone: get(row, "timezone")?,
                    published_at: Timestamp(get(row, "published_at")?),
                    engagement: get(row, "engagement")?,
                })
            })
            .collect()
    }
}
