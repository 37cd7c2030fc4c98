//! The content calendar in SQL: a window of posts with their targets (two
//! queries, whatever the number of posts, reading only the columns a
//! calendar shows), the authors for the filter, and the private calendar
//! feeds' tokens.
//!
//! The window reads `posts_workspace_scheduled` (workspace, scheduled time)
//! for scheduled posts and `posts_workspace_unscheduled` (workspace,
//! creation, for posts without a time) for the others: the two halves of
//! the `OR` each have their index on both databases.

use std::collections::HashMap;
use std::str::FromStr;

use agora_core::accounts::{Role, WorkspaceId};
use agora_core::calendar::{
    CalendarPost, CalendarQuery, CalendarStore, CalendarTarget, FeedOwner, StatusFilter,
};
use agora_core::members::MemberId;
use agora_core::posts::{PostId, PostStatus, TargetStatus};
use agora_core::text_limits::Network;
use agora_core::{StoreError, Timestamp};

use crate::posts::time;
use crate::{Db, get, store_error};

/// The posts of a window, as a `WHERE` clause over `posts p` with its
/// parameters after the workspace (`$1`), `from` (`$2`) and `to` (`$3`).
fn window_clause(query: &CalendarQuery) -> (String, Vec<i64>) {
    let mut clause = String::from(
        "p.workspace_id = $1 AND ((p.scheduled_at >= $2 AND p.scheduled_at < $3) \
         OR (p.scheduled_at IS NULL AND p.created_at >= $2 AND p.created_at < $3))",
    );
    let mut parameters = Vec::new();
    let mut next = |clause: &mut String, sql: &str, value: i64| {
        parameters.push(value);
        clause.push_str(&sql.replace("$?", &format!("${}", parameters.len() + 3)));
    };
    if let Some(channel) = query.channel_id {
        next(
            &mut clause,
            " AND EXISTS (SELECT 1 FROM post_targets ft WHERE ft.post_id = p.id AND ft.channel_id = $?)",
            channel,
        );
    }
    if let Some(campaign) = query.campaign_id {
        next(&mut clause, " AND p.campaign_id = $?", campaign);
    }
    if let Some(author) = query.author_id {
        next(&mut clause, " AND p.author_id = $?", author);
    }
    if query.status == Some(StatusFilter::AwaitingApproval) {
        clause.push_str(" AND p.approval = 'pending'");
    }
    (clause, parameters)
}

const WINDOW_ORDER: &str = "COALESCE(p.scheduled_at, p.created_at), p.id";

impl CalendarStore for Db {
    async fn calendar_posts(
        &self,
        workspace: WorkspaceId,
        query: &CalendarQuery,
    ) -> Result<Vec<CalendarPost>, StoreError> {
        let (clause, parameters) = window_clause(query);
        let limit = query.limit.clamp(1, agora_core::calendar::MAX_POSTS);
        let bind_all = |sql: String| {
            let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(workspace)
                .bind(query.from.millis())
                .bind(query.to.millis());
            for value in &parameters {
                statement = statement.bind(*value);
            }
            statement
        };
        let rows = bind_all(format!(
            "SELECT p.id, p.author_id, m.name AS author_name, p.scheduled_at, p.created_at, \
             p.campaign_id, p.approval FROM posts p JOIN members m ON m.id = p.author_id \
             WHERE {clause} ORDER BY {WINDOW_ORDER} LIMIT {limit}"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let target_rows = bind_all(format!(
            "SELECT pt.id, pt.post_id, pt.channel_id, c.name AS channel_name, c.network, pt.status, pt.text \
             FROM post_targets pt JOIN channels c ON c.id = pt.channel_id \
             WHERE pt.post_id IN (SELECT p.id FROM posts p WHERE {clause} ORDER BY {WINDOW_ORDER} LIMIT {limit}) \
             ORDER BY pt.post_id, pt.id"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut targets: HashMap<PostId, Vec<CalendarTarget>> = HashMap::with_capacity(rows.len());
        for row in &target_rows {
            let network: String = get(row, "network")?;
            let status: String = get(row, "status")?;
            targets
                .entry(get(row, "post_id")?)
                .or_default()
                .push(CalendarTarget {
                    id: get(row, "id")?,
                    channel_id: get(row, "channel_id")?,
                    channel_name: get(row, "channel_name")?,
                    network: Network::parse(&network).ok_or_else(|| {
                        StoreError::Backend(format!("unknown network {network:?}"))
                    })?,
                    status: TargetStatus::parse(&status).ok_or_else(|| {
                        StoreError::Backend(format!("unknown target status {status:?}"))
                    })?,
                    text: get(row, "text")?,
                });
        }
        let mut posts = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: PostId = get(row, "id")?;
            let mine = targets.remove(&id).unwrap_or_default();
            let statuses: Vec<TargetStatus> = mine.iter().map(|t| t.status).collect();
            let post = CalendarPost {
                id,
                author_id: get(row, "author_id")?,
                author_name: get(row, "author_name")?,
                scheduled_at: time(row, "scheduled_at")?,
                created_at: Timestamp(get(row, "created_at")?),
                status: PostStatus::of(&statuses),
                campaign_id: get(row, "campaign_id")?,
                approval: get(row, "approval")?,
                targets: mine,
            };
            if query.status.is_none_or(|filter| filter.matches(&post)) {
                posts.push(post);
            }
        }
        Ok(posts)
    }

    async fn post_authors(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(MemberId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.author_id, m.name FROM posts p JOIN members m ON m.id = p.author_id \
             WHERE p.workspace_id = $1 ORDER BY m.name, p.author_id",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "author_id")?, get(row, "name")?)))
            .collect()
    }

    async fn set_calendar_feed_token(
        &self,
        member: MemberId,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM calendar_feed_tokens WHERE member_id = $1")
            .bind(member)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        if let Some(hash) = token_hash {
            sqlx::query(
                "INSERT INTO calendar_feed_tokens (member_id, token_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(member)
            .bind(hash)
            .bind(now.millis())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn has_calendar_feed_token(&self, member: MemberId) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM calendar_feed_tokens WHERE member_id = $1")
                .bind(member)
                .fetch_one(self.pool())
                .await
                .map_err(store_error)?;
        Ok(get::<i64>(&row, "n")? > 0)
    }

    async fn calendar_feed_owner(&self, token_hash: &str) -> Result<Option<FeedOwner>, StoreError> {
        let row = sqlx::query(
            "SELECT m.workspace_id, w.slug, m.id, m.name, ms.role FROM calendar_feed_tokens t \
             JOIN members m ON m.id = t.member_id JOIN workspaces w ON w.id = m.workspace_id \
             LEFT JOIN memberships ms ON ms.account_id = m.account_id AND ms.workspace_id = m.workspace_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let role: Option<String> = get(&row, "role")?;
        Ok(Some(FeedOwner {
            workspace_id: get(&row, "workspace_id")?,
            workspace_slug: get(&row, "slug")?,
            member_id: get(&row, "id")?,
            member_name: get(&row, "name")?,
            role: role.and_then(|raw| Role::from_str(&raw).ok()),
        }))
    }
}
