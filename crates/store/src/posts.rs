//! The publishing engine in SQL: channels, posts, targets and attempts.
//!
//! Every state change of a target is one conditional `UPDATE` (its `WHERE`
//! names the states it may leave), so two workers racing on a target cannot
//! both open an attempt, and a late answer cannot overwrite a newer state.

use agora_core::accounts::WorkspaceId;
use agora_core::posts::{
    Attempt, AttemptOutcome, AttemptResult, Channel, ChannelId, Dispatch, Engagement, MediaItem,
    NewChannel, NewPost, OauthState, Post, PostId, PostStatus, PostStore, Target, TargetId,
    TargetStatus,
};
use agora_core::secrets::random_token;
use agora_core::text_limits::Network;
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, flag, get, store_error};

const CHANNEL_COLUMNS: &str = "c.id, c.workspace_id, c.space_id, c.network, c.name, c.avatar_url, c.base_url, c.account, \
     c.timezone, c.max_chars, c.max_media, c.chars_per_url, c.max_image_bytes, c.paused, c.needs_reconnect, c.rate_limited_until, \
     c.last_success_at, c.last_error, c.last_error_at, c.created_at";

const TARGET_COLUMNS: &str = "pt.id, pt.post_id, pt.channel_id, c.name AS channel_name, c.network, pt.text, \
     pt.content_warning, pt.language, pt.visibility, pt.link_card, pt.status, \
     pt.attempts, pt.generation, pt.next_attempt_at, pt.remote_id, pt.remote_url, pt.published_at, pt.message, \
     pt.likes, pt.shares, pt.replies, pt.quotes, pt.impressions, pt.reach, pt.network_clicks, pt.metrics_at";

pub(crate) fn time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp))
}

fn network(row: &AnyRow) -> Result<Network, StoreError> {
    let raw: String = get(row, "network")?;
    Network::parse(&raw).ok_or_else(|| StoreError::Backend(format!("unknown network {raw:?}")))
}

fn channel_from(row: &AnyRow) -> Result<Channel, StoreError> {
    Ok(Channel {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        space_id: get(row, "space_id")?,
        network: network(row)?,
        name: get(row, "name")?,
        avatar_url: get(row, "avatar_url")?,
        base_url: get(row, "base_url")?,
        account: get(row, "account")?,
        timezone: get(row, "timezone")?,
        max_chars: get(row, "max_chars")?,
        max_media: get(row, "max_media")?,
        chars_per_url: get(row, "chars_per_url")?,
        max_image_bytes: get(row, "max_image_bytes")?,
        paused: get::<i64>(row, "paused")? != 0,
        needs_reconnect: get::<i64>(row, "needs_reconnect")? != 0,
        rate_limited_until: time(row, "rate_limited_until")?,
        last_success_at: time(row, "last_success_at")?,
        last_error: get(row, "last_error")?,
        last_error_at: time(row, "last_error_at")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn target_from(row: &AnyRow) -> Result<Target, StoreError> {
    let status: String = get(row, "status")?;
    Ok(Target {
        id: get(row, "id")?,
        post_id: get(row, "post_id")?,
        channel_id: get(row, "channel_id")?,
        channel_name: get(row, "channel_name")?,
        network: network(row)?,
        text: get(row, "text")?,
        content_warning: get(row, "content_warning")?,
        language: get(row, "language")?,
        visibility: get(row, "visibility")?,
        link_card: get(row, "link_card")?,
        status: TargetStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("unknown target status {status:?}")))?,
        attempts: get(row, "attempts")?,
        generation: get(row, "generation")?,
        next_attempt_at: time(row, "next_attempt_at")?,
        remote_id: get(row, "remote_id")?,
        remote_url: get(row, "remote_url")?,
        published_at: time(row, "published_at")?,
        message: get(row, "message")?,
        engagement: match time(row, "metrics_at")? {
            Some(read_at) => Some(Engagement {
                likes: get::<Option<i64>>(row, "likes")?.unwrap_or(0),
                shares: get::<Option<i64>>(row, "shares")?.unwrap_or(0),
                replies: get::<Option<i64>>(row, "replies")?.unwrap_or(0),
                quotes: get::<Option<i64>>(row, "quotes")?.unwrap_or(0),
                impressions: get(row, "impressions")?,
                reach: get(row, "reach")?,
                clicks: get(row, "network_clicks")?,
                read_at,
            }),
            None => None,
        },
    })
}

fn attempt_from(row: &AnyRow) -> Result<Attempt, StoreError> {
    let outcome: String = get(row, "outcome")?;
    Ok(Attempt {
        id: get(row, "id")?,
        target_id: get(row, "target_id")?,
        started_at: Timestamp(get(row, "started_at")?),
        finished_at: time(row, "finished_at")?,
        outcome: AttemptOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Backend(format!("unknown outcome {outcome:?}")))?,
        request: get(row, "request")?,
        http_status: get(row, "http_status")?,
        response: get(row, "response")?,
        message: get(row, "message")?,
    })
}

impl Db {
    async fn targets_of(&self, posts: &[PostId]) -> Result<Vec<Target>, StoreError> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        // Post ids come from our own query, so they can be inlined.
        let list = posts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS} FROM post_targets pt JOIN channels c ON c.id = pt.channel_id \
             WHERE pt.post_id IN ({list}) ORDER BY pt.post_id, pt.id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(target_from).collect()
    }

    async fn posts_where(
        &self,
        clause: &str,
        workspace: WorkspaceId,
        extra: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Post>, StoreError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.workspace_id, p.author_id, m.name AS author_name, p.scheduled_at, p.created_at, p.campaign_id, p.approval \
             FROM posts p JOIN members m ON m.id = p.author_id WHERE p.workspace_id = $1 {clause} \
             ORDER BY p.id DESC LIMIT {limit}"
        )))
        .bind(workspace);
        if let Some(extra) = extra {
            query = query.bind(extra);
        }
        let rows = query.fetch_all(self.pool()).await.map_err(store_error)?;
        let ids: Vec<PostId> = rows
            .iter()
            .map(|row| get(row, "id"))
            .collect::<Result<_, _>>()?;
        let mut targets = self.targets_of(&ids).await?;
        rows.iter()
            .map(|row| {
                let id: PostId = get(row, "id")?;
                let mine: Vec<Target> = targets
                    .iter()
                    .filter(|t| t.post_id == id)
                    .cloned()
                    .collect();
                targets.retain(|t| t.post_id != id);
                let statuses: Vec<TargetStatus> = mine.iter().map(|t| t.status).collect();
                Ok(Post {
                    id,
                    workspace_id: get(row, "workspace_id")?,
                    author_id: get(row, "author_id")?,
                    author_name: get(row, "author_name")?,
                    scheduled_at: time(row, "scheduled_at")?,
                    created_at: Timestamp(get(row, "created_at")?),
                    status: PostStatus::of(&statuses),
                    campaign_id: get(row, "campaign_id")?,
                    approval: get(row, "approval")?,
                    targets: mine,
                })
            })
            .collect()
    }
}

/// Benchmark helpers: the same rows the engine writes, inserted in batches.
impl Db {
    /// Creates `n_posts` posts due at `at`, one target each, spread over the
    /// channels in turn; answers the targets' ids.
    pub async fn bulk_scheduled_posts(
        &self,
        workspace: WorkspaceId,
        author: i64,
        channels: &[ChannelId],
        n_posts: usize,
        at: Timestamp,
    ) -> Result<Vec<TargetId>, StoreError> {
        const BATCH: usize = 500;
        let mut targets = Vec::with_capacity(n_posts);
        let mut done = 0;
        while done < n_posts {
            let n = BATCH.min(n_posts - done);
            let mut transaction = self.pool().begin().await.map_err(store_error)?;
            let values: Vec<String> = (0..n)
                .map(|i| format!("($1, $2, $3, ${})", i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO posts (workspace_id, author_id, scheduled_at, created_at) VALUES {} RETURNING id",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(workspace)
                .bind(author)
                .bind(at.millis());
            for i in 0..n {
                // Distinct creation times keep the rows apart; all are due at `at`.
                query = query.bind(at.millis() - 60_000 - (done + i) as i64);
            }
            let posts: Vec<PostId> = query
                .fetch_all(&mut *transaction)
                .await
                .map_err(store_error)?
                .iter()
                .map(|row| get(row, "id"))
                .collect::<Result<_, _>>()?;
            let values: Vec<String> = (0..n)
                .map(|i| {
                    format!(
                        "(${}, ${}, 'Benchmark post', 'scheduled', $1)",
                        i * 2 + 2,
                        i * 2 + 3
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO post_targets (post_id, channel_id, text, status, next_attempt_at) VALUES {} RETURNING id",
                values.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at.millis());
            for (i, post) in posts.iter().enumerate() {
                query = query
                    .bind(*post)
                    .bind(channels[(done + i) % channels.len()]);
            }
            let rows = query
                .fetch_all(&mut *transaction)
                .await
                .map_err(store_error)?;
            for row in &rows {
                targets.push(get(row, "id")?);
            }
            transaction.commit().await.map_err(store_error)?;
            done += n;
        }
        Ok(targets)
    }

    /// Each target's status, due time and publication time, for a benchmark's report.
    pub async fn target_timings(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(TargetStatus, Option<Timestamp>, Option<Timestamp>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT pt.status, p.scheduled_at, pt.published_at FROM post_targets pt JOIN posts p ON p.id = pt.post_id \
             WHERE p.workspace_id = $1",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let status: String = get(row, "status")?;
                Ok((
                    TargetStatus::parse(&status).unwrap_or(TargetStatus::Failed),
                    time(row, "scheduled_at")?,
                    time(row, "published_at")?,
                ))
            })
            .collect()
    }

    /// Moves every scheduled post and target of a workspace to `at`.
    pub async fn reschedule_workspace_targets(
        &self,
        workspace: WorkspaceId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE posts SET scheduled_at = $1 WHERE workspace_id = $2")
            .bind(at.millis())
            .bind(workspace)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        sqlx::query(
            "UPDATE post_targets SET next_attempt_at = $1 WHERE status = 'scheduled' \
             AND post_id IN (SELECT id FROM posts WHERE workspace_id = $2)",
        )
        .bind(at.millis())
        .bind(workspace)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// How many of the workspace's targets are still to publish or in flight.
    pub async fn pending_targets(&self, workspace: WorkspaceId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM post_targets pt JOIN posts p ON p.id = pt.post_id \
             WHERE p.workspace_id = $1 AND pt.status IN ('scheduled', 'retrying', 'publishing')",
        )
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }
}

/// Moves a due target to `publishing` and opens its attempt, in a transaction.
async fn begin_in(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    target: TargetId,
    generation: i64,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    let moved = sqlx::query(
        "UPDATE post_targets SET status = 'publishing', attempts = attempts + 1 \
         WHERE id = $1 AND generation = $2 AND status IN ('scheduled', 'retrying')",
    )
    .bind(target)
    .bind(generation)
    .execute(&mut **transaction)
    .await
    .map_err(store_error)?;
    if moved.rows_affected() == 0 {
        return Ok(None);
    }
    let row = sqlx::query(
        "INSERT INTO post_attempts (target_id, started_at, outcome, request, response) \
         VALUES ($1, $2, 'open', '', '') RETURNING id",
    )
    .bind(target)
    .bind(now.millis())
    .fetch_one(&mut **transaction)
    .await
    .map_err(store_error)?;
    Ok(Some(get(&row, "id")?))
}

impl PostStore for Db {
    async fn create_channel(&self, channel: &NewChannel) -> Result<Channel, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let slug = format!(
            "{}-{}",
            channel.network.as_str(),
            random_token(6).to_lowercase().replace(['-', '_'], "x")
        );
        let space = sqlx::query(
            "INSERT INTO spaces (workspace_id, kind, slug, name, description, network, created_at) \
             VALUES ($1, 'page', $2, $3, '', $4, $5) RETURNING id",
        )
        .bind(channel.workspace_id)
        .bind(&slug)
        .bind(&channel.name)
        .bind(channel.network.as_str())
        .bind(channel.created_at.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let space_id: i64 = get(&space, "id")?;
        let row = sqlx::query(
            "INSERT INTO channels (workspace_id, space_id, network, name, avatar_url, base_url, account, timezone, \
             credentials, max_chars, max_media, chars_per_url, created_at, max_image_bytes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(channel.workspace_id)
        .bind(space_id)
        .bind(channel.network.as_str())
        .bind(&channel.name)
        .bind(channel.avatar_url.clone())
        .bind(&channel.base_url)
        .bind(&channel.account)
        .bind(&channel.timezone)
        .bind(&channel.sealed_credentials)
        .bind(channel.max_chars)
        .bind(channel.max_media)
        .bind(channel.chars_per_url)
        .bind(channel.created_at.millis())
        .bind(channel.max_image_bytes)
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let id: ChannelId = get(&row, "id")?;
        transaction.commit().await.map_err(store_error)?;
        self.channel(channel.workspace_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn channels(&self, workspace: WorkspaceId) -> Result<Vec<Channel>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.workspace_id = $1 ORDER BY c.name, c.id"
        )))
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(channel_from).collect()
    }

    async fn channel(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
    ) -> Result<Option<Channel>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {CHANNEL_COLUMNS} FROM channels c WHERE c.workspace_id = $1 AND c.id = $2"
        )))
        .bind(workspace)
        .bind(channel)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(channel_from).transpose()
    }

    async fn channel_credentials(&self, channel: ChannelId) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT credentials FROM channels WHERE id = $1")
            .bind(channel)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        get(&row, "credentials")
    }

    async fn set_channel_credentials(
        &self,
        channel: ChannelId,
        sealed: &str,
        reconnected: bool,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let sql = if reconnected {
            "UPDATE channels SET credentials = $1, needs_reconnect = 0, last_error = NULL WHERE id = $2"
        } else {
            "UPDATE channels SET credentials = $1 WHERE id = $2"
        };
        sqlx::query(sql)
            .bind(sealed)
            .bind(channel)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn set_channel_paused(&self, channel: ChannelId, paused: bool) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE channels SET paused = $1 WHERE id = $2")
            .bind(flag(paused))
            .bind(channel)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_channel(&self, channel: ChannelId) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query("SELECT space_id FROM channels WHERE id = $1")
            .bind(channel)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM channels WHERE id = $1")
            .bind(channel)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        if let Some(row) = row {
            // The page keeps its history (past page posts) unless nothing refers to it.
            sqlx::query(
                "DELETE FROM spaces WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM page_posts WHERE space_id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM interactions WHERE space_id = $1)",
            )
            .bind(get::<i64>(&row, "space_id")?)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn channel_health(
        &self,
        channel: ChannelId,
        success_at: Option<Timestamp>,
        error: Option<(&str, Timestamp)>,
        needs_reconnect: bool,
        rate_limited_until: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE channels SET last_success_at = COALESCE($1, last_success_at), \
             last_error = CASE WHEN $2 IS NULL THEN last_error ELSE $2 END, \
             last_error_at = COALESCE($3, last_error_at), \
             needs_reconnect = CASE WHEN $4 = 1 THEN 1 WHEN $1 IS NOT NULL THEN 0 ELSE needs_reconnect END, \
             rate_limited_until = $5 WHERE id = $6",
        )
        .bind(success_at.map(Timestamp::millis))
        .bind(error.map(|(message, _)| message.to_owned()))
        .bind(error.map(|(_, at)| at.millis()))
        .bind(flag(needs_reconnect))
        .bind(rate_limited_until.map(Timestamp::millis))
        .bind(channel)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn all_channel_credentials(&self) -> Result<Vec<(ChannelId, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, credentials FROM channels ORDER BY id")
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "credentials")?)))
            .collect()
    }

    async fn create_post(&self, post: &NewPost) -> Result<PostId, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "INSERT INTO posts (workspace_id, author_id, scheduled_at, created_at, campaign_id, approval) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(post.workspace_id)
        .bind(post.author_id)
        .bind(post.scheduled_at.map(Timestamp::millis))
        .bind(post.created_at.millis())
        .bind(post.campaign_id)
        .bind(if post.hold { "pending" } else { "none" })
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let id: PostId = get(&row, "id")?;
        let status = if post.scheduled_at.is_some() && !post.hold {
            TargetStatus::Scheduled
        } else {
            TargetStatus::Draft
        };
        for variant in &post.variants {
            sqlx::query(
                "INSERT INTO post_targets (post_id, channel_id, text, status, next_attempt_at, content_warning, language, link_card, visibility) \
                 SELECT $1, id, $2, $3, $4, $7, $8, $9, $10 FROM channels WHERE id = $5 AND workspace_id = $6",
            )
            .bind(id)
            .bind(&variant.text)
            .bind(status.as_str())
            .bind(post.scheduled_at.map(Timestamp::millis))
            .bind(variant.channel_id)
            .bind(post.workspace_id)
            .bind(variant.content_warning.clone())
            .bind(variant.language.clone())
            .bind(variant.link_card.clone())
            .bind(variant.visibility.clone())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
            if !variant.media.is_empty() {
                let row = sqlx::query(
                    "SELECT id FROM post_targets WHERE post_id = $1 AND channel_id = $2",
                )
                .bind(id)
                .bind(variant.channel_id)
                .fetch_one(&mut *transaction)
                .await
                .map_err(store_error)?;
                let target: TargetId = get(&row, "id")?;
                for (position, media) in variant.media.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO post_media (target_id, position, content_type, alt, bytes) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(target)
                    .bind(position as i64)
                    .bind(&media.content_type)
                    .bind(&media.alt)
                    .bind(media.bytes.clone())
                    .execute(&mut *transaction)
                    .await
                    .map_err(store_error)?;
                }
            }
        }
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    async fn post(&self, workspace: WorkspaceId, post: PostId) -> Result<Option<Post>, StoreError> {
        Ok(self
            .posts_where("AND p.id = $2", workspace, Some(post), 1)
            .await?
            .into_iter()
            .next())
    }

    async fn posts(&self, workspace: WorkspaceId, limit: i64) -> Result<Vec<Post>, StoreError> {
        self.posts_where("", workspace, None, limit.clamp(1, 500))
            .await
    }

    async fn attempts(&self, post: PostId) -> Result<Vec<Attempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.target_id, a.started_at, a.finished_at, a.outcome, a.request, a.http_status, a.response, a.message \
             FROM post_attempts a JOIN post_targets pt ON pt.id = a.target_id WHERE pt.post_id = $1 ORDER BY a.id",
        )
        .bind(post)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(attempt_from).collect()
    }

    async fn due_targets(&self, now: Timestamp, limit: i64) -> Result<Vec<Target>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS} FROM post_targets pt JOIN channels c ON c.id = pt.channel_id \
             WHERE pt.status IN ('scheduled', 'retrying') AND pt.next_attempt_at <= $1 \
             ORDER BY pt.next_attempt_at, pt.id LIMIT $2"
        )))
        .bind(now.millis())
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(target_from).collect()
    }

    async fn dispatch(&self, target: TargetId) -> Result<Option<Dispatch>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS}, COALESCE(p.scheduled_at, p.created_at) AS post_created_at, c.credentials, p.workspace_id \
             FROM post_targets pt JOIN channels c ON c.id = pt.channel_id JOIN posts p ON p.id = pt.post_id \
             WHERE pt.id = $1"
        )))
        .bind(target)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let target = target_from(&row)?;
        let workspace: WorkspaceId = get(&row, "workspace_id")?;
        let Some(channel) = self.channel(workspace, target.channel_id).await? else {
            return Ok(None);
        };
        let media = sqlx::query(
            "SELECT content_type, alt, bytes FROM post_media WHERE target_id = $1 ORDER BY position",
        )
        .bind(target.id)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            Ok(MediaItem {
                content_type: get(row, "content_type")?,
                alt: get(row, "alt")?,
                bytes: get(row, "bytes")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(Dispatch {
            media,
            sealed_credentials: get(&row, "credentials")?,
            post_created_at: Timestamp(get(&row, "post_created_at")?),
            target,
            channel,
        }))
    }

    async fn begin_attempt(
        &self,
        target: TargetId,
        generation: i64,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let begun = begin_in(&mut transaction, target, generation, now).await?;
        transaction.commit().await.map_err(store_error)?;
        Ok(begun)
    }

    async fn begin_attempt_within_budget(
        &self,
        target: TargetId,
        generation: i64,
        now: Timestamp,
        channel: ChannelId,
        limit: i64,
        window_seconds: i64,
    ) -> Result<Result<Option<i64>, Timestamp>, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        if self.backend() == crate::Backend::Postgres {
            // One budget check per channel at a time, across every worker.
            sqlx::query("SELECT id FROM channels WHERE id = $1 FOR UPDATE")
                .bind(channel)
                .fetch_optional(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(a.started_at) AS oldest FROM post_attempts a \
             JOIN post_targets pt ON pt.id = a.target_id WHERE pt.channel_id = $1 AND a.started_at >= $2",
        )
        .bind(channel)
        .bind(now.plus_seconds(-window_seconds).millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let sent: i64 = get(&row, "n")?;
        if sent >= limit
            && let Some(oldest) = time(&row, "oldest")?
        {
            return Ok(Err(oldest.plus_seconds(window_seconds)));
        }
        let begun = begin_in(&mut transaction, target, generation, now).await?;
        transaction.commit().await.map_err(store_error)?;
        Ok(Ok(begun))
    }

    async fn finish_attempt(
        &self,
        target: TargetId,
        attempt: i64,
        result: &AttemptResult,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE post_attempts SET finished_at = $1, outcome = $2, request = $3, http_status = $4, \
             response = $5, message = $6 WHERE id = $7",
        )
        .bind(result.finished_at.millis())
        .bind(result.outcome.as_str())
        .bind(&result.request)
        .bind(result.http_status)
        .bind(&result.response)
        .bind(result.message.clone())
        .bind(attempt)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let (status, leaving) = match result.outcome {
            // A late success wins even over "unconfirmed": it is the truth.
            AttemptOutcome::Published => ("published", "'publishing', 'unconfirmed'"),
            AttemptOutcome::Retryable if result.next_attempt_at.is_some() => {
                ("retrying", "'publishing'")
            }
            AttemptOutcome::Unconfirmed | AttemptOutcome::Open => ("unconfirmed", "'publishing'"),
            _ => ("failed", "'publishing'"),
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE post_targets SET status = $1, next_attempt_at = $2, message = $3, \
             remote_id = COALESCE($4, remote_id), remote_url = COALESCE($5, remote_url), \
             published_at = CASE WHEN $1 = 'published' THEN $6 ELSE published_at END \
             WHERE id = $7 AND status IN ({leaving})"
        )))
        .bind(status)
        .bind(result.next_attempt_at.map(Timestamp::millis))
        .bind(result.message.clone())
        .bind(result.remote_id.clone())
        .bind(result.remote_url.clone())
        .bind(result.finished_at.millis())
        .bind(target)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)
    }

    async fn abandon_open_attempts(
        &self,
        target: TargetId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        const WHY: &str = "The worker stopped while sending, so no answer was recorded: check the network, \
             then mark it as published or publish again.";
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE post_attempts SET finished_at = $1, outcome = 'unconfirmed', message = $2 \
             WHERE target_id = $3 AND outcome = 'open'",
        )
        .bind(now.millis())
        .bind(WHY)
        .bind(target)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "UPDATE post_targets SET status = 'unconfirmed', message = $1 WHERE id = $2 AND status = 'publishing'",
        )
        .bind(WHY)
        .bind(target)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)
    }

    async fn requeue_target(
        &self,
        target: TargetId,
        at: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        let _turn = self.write_turn().await;
        let moved = sqlx::query(
            "UPDATE post_targets SET status = 'scheduled', generation = generation + 1, attempts = 0, \
             next_attempt_at = $1, message = NULL WHERE id = $2 AND status IN ('failed', 'unconfirmed', 'retrying')",
        )
        .bind(at.millis())
        .bind(target)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        if moved.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT generation FROM post_targets WHERE id = $1")
            .bind(target)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(Some(get(&row, "generation")?))
    }

    async fn mark_published(&self, target: TargetId, now: Timestamp) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let moved = sqlx::query(
            "UPDATE post_targets SET status = 'published', published_at = $1, \
             message = 'Marked as published by hand after checking the network.' \
             WHERE id = $2 AND status = 'unconfirmed'",
        )
        .bind(now.millis())
        .bind(target)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(moved.rows_affected() > 0)
    }

    async fn oauth_app(
        &self,
        instance: &str,
        redirect_uri: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT client_id, client_secret FROM oauth_apps WHERE instance = $1 AND redirect_uri = $2",
        )
        .bind(instance)
        .bind(redirect_uri)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| Ok((get(&row, "client_id")?, get(&row, "client_secret")?)))
            .transpose()
    }

    async fn save_oauth_app(
        &self,
        instance: &str,
        redirect_uri: &str,
        client_id: &str,
        sealed_secret: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO oauth_apps (instance, redirect_uri, client_id, client_secret, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (instance, redirect_uri) DO UPDATE SET client_id = excluded.client_id, \
             client_secret = excluded.client_secret, created_at = excluded.created_at",
        )
        .bind(instance)
        .bind(redirect_uri)
        .bind(client_id)
        .bind(sealed_secret)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn create_oauth_state(&self, state: &OauthState) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO oauth_states (state, workspace_id, account_id, instance, name, timezone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&state.state)
        .bind(state.workspace_id)
        .bind(state.account_id)
        .bind(&state.instance)
        .bind(&state.name)
        .bind(&state.timezone)
        .bind(state.created_at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn take_oauth_state(
        &self,
        state: &str,
        not_before: Timestamp,
    ) -> Result<Option<OauthState>, StoreError> {
        let _turn = self.write_turn().await;
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state = $1 \
             RETURNING state, workspace_id, account_id, instance, name, timezone, created_at",
        )
        .bind(state)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let found = OauthState {
            state: get(&row, "state")?,
            workspace_id: get(&row, "workspace_id")?,
            account_id: get(&row, "account_id")?,
            instance: get(&row, "instance")?,
            name: get(&row, "name")?,
            timezone: get(&row, "timezone")?,
            created_at: Timestamp(get(&row, "created_at")?),
        };
        Ok((found.created_at >= not_before).then_some(found))
    }

    async fn record_followers(
        &self,
        channel: ChannelId,
        at: Timestamp,
        followers: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO channel_followers (channel_id, day, followers) VALUES ($1, $2, $3) \
             ON CONFLICT (channel_id, day) DO UPDATE SET followers = excluded.followers",
        )
        .bind(channel)
        .bind(at.millis().div_euclid(86_400_000))
        .bind(followers)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn engagement_history(&self, target: TargetId) -> Result<Vec<Engagement>, StoreError> {
        let rows = sqlx::query(
            "SELECT read_at, likes, shares, replies, quotes, impressions, reach, clicks \
             FROM target_metrics WHERE target_id = $1 ORDER BY read_at",
        )
        .bind(target)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Engagement {
                    likes: get(row, "likes")?,
                    shares: get(row, "shares")?,
                    replies: get(row, "replies")?,
                    quotes: get(row, "quotes")?,
                    impressions: get(row, "impressions")?,
                    reach: get(row, "reach")?,
                    clicks: get(row, "clicks")?,
                    read_at: Timestamp(get(row, "read_at")?),
                })
            })
            .collect()
    }

    async fn record_engagement(
        &self,
        target: TargetId,
        engagement: &Engagement,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE post_targets SET likes = $1, shares = $2, replies = $3, quotes = $4, \
             impressions = $5, reach = $6, network_clicks = $7, metrics_at = $8 WHERE id = $9",
        )
        .bind(engagement.likes)
        .bind(engagement.shares)
        .bind(engagement.replies)
        .bind(engagement.quotes)
        .bind(engagement.impressions)
        .bind(engagement.reach)
        .bind(engagement.clicks)
        .bind(engagement.read_at.millis())
        .bind(target)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        // The time series: one row per reading (a second reading in the same
        // millisecond replaces the first).
        sqlx::query(
            "INSERT INTO target_metrics (target_id, read_at, likes, shares, replies, quotes, impressions, reach, clicks) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (target_id, read_at) DO UPDATE SET likes = excluded.likes, shares = excluded.shares, \
             replies = excluded.replies, quotes = excluded.quotes, impressions = excluded.impressions, \
             reach = excluded.reach, clicks = excluded.clicks",
        )
        .bind(target)
        .bind(engagement.read_at.millis())
        .bind(engagement.likes)
        .bind(engagement.shares)
        .bind(engagement.replies)
        .bind(engagement.quotes)
        .bind(engagement.impressions)
        .bind(engagement.reach)
        .bind(engagement.clicks)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)
    }

    async fn postpone_target(&self, target: TargetId, until: Timestamp) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE post_targets SET next_attempt_at = $1 WHERE id = $2 AND status IN ('scheduled', 'retrying')",
        )
        .bind(until.millis())
        .bind(target)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }
}
