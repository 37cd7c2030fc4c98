//! Spaces, group memberships, threads, replies, reactions, notifications and
//! full-text search in SQL. Search is the one place the dialects differ in
//! query text: FTS5 on SQLite, `tsvector` on PostgreSQL.

use agora_core::accounts::WorkspaceId;
use agora_core::community::{
    CommunityStore, FirstResponse, GroupChanges, GroupMemberRow, GroupMembership, GroupRole,
    NewNotification, NewReply, NewSpace, NewThread, Notification, ReplyView, SearchHit,
    SearchQuery, Space, SpaceId, SpaceKind, ThreadId, ThreadKind, ThreadSummary, ThreadView,
    Visibility, excerpt_html, render_markdown,
};
use agora_core::members::MemberId;
use agora_core::moderation::ContentState;
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Backend, Db, flag, get, store_error};

/// Where reactions live: on replies, or on threads' opening posts.
#[derive(Clone, Copy)]
enum Reactions {
    Replies,
    Threads,
}

impl Reactions {
    /// (table, key column)
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Reactions::Replies => ("reactions", "reply_id"),
            Reactions::Threads => ("thread_reactions", "thread_id"),
        }
    }
}

/// The key of a post's search row: its time in milliseconds, then 20 bits
/// of its id and one bit for "opening post". Keys grow with time, so the
/// newest matches come first from the index (search ranks the newest
/// `RECENT_MATCHES`), and an edit or deletion finds its row by key instead of
/// scanning (FTS5 cannot index `reply_id`). Two posts share a key only if
/// they were written in the same millisecond with ids a multiple of 2^20 apart.
fn search_row_key(created_at: Timestamp, id: i64, is_thread: bool) -> i64 {
    created_at.millis() * 2_097_152 + (id % 1_048_576) * 2 + i64::from(is_thread)
}

/// [`search_row_key`] in SQL, for a reply `r` and a thread `t`.
pub(crate) const REPLY_KEY: &str = "(r.created_at * 2097152 + (r.id % 1048576) * 2)";
pub(crate) const THREAD_KEY: &str = "(t.created_at * 2097152 + (t.id % 1048576) * 2 + 1)";

fn hit_from(row: &AnyRow, words: &[String]) -> Result<SearchHit, StoreError> {
    Ok(SearchHit {
        thread_id: get(row, "thread_id")?,
        reply_id: get(row, "reply_id")?,
        space_name: get(row, "space_name")?,
        title: get(row, "title")?,
        snippet_html: excerpt_html(&get::<String>(row, "body")?, words),
        solved: get::<Option<i64>>(row, "accepted_reply_id")?.is_some(),
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn space_from(row: &AnyRow) -> Result<Space, StoreError> {
    let kind: String = get(row, "kind")?;
    let visibility: String = get(row, "visibility")?;
    Ok(Space {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        kind: SpaceKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown space kind {kind:?}")))?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        network: get(row, "network")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| StoreError::Backend(format!("unknown visibility {visibility:?}")))?,
        rules: get(row, "rules")?,
        rules_version: get(row, "rules_version")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn membership_from(row: &AnyRow) -> Result<GroupMembership, StoreError> {
    let role: String = get(row, "role")?;
    Ok(GroupMembership {
        space_id: get(row, "space_id")?,
        member_id: get(row, "member_id")?,
        role: GroupRole::parse(&role)
            .ok_or_else(|| StoreError::Backend(format!("unknown group role {role:?}")))?,
        active: get::<i64>(row, "active")? != 0,
        rules_version: get(row, "rules_version")?,
        joined_at: Timestamp(get(row, "joined_at")?),
    })
}

fn thread_kind(row: &AnyRow) -> Result<ThreadKind, StoreError> {
    let kind: String = get(row, "kind")?;
    ThreadKind::parse(&kind)
        .ok_or_else(|| StoreError::Backend(format!("unknown thread kind {kind:?}")))
}

fn content_state(row: &AnyRow) -> Result<ContentState, StoreError> {
    let state: String = get(row, "moderation")?;
    ContentState::parse(&state)
        .ok_or_else(|| StoreError::Backend(format!("unknown content state {state:?}")))
}

/// Stored HTML, or the body rendered now for rows written before HTML was stored.
fn html_or_render(html: String, body: &str) -> String {
    if html.is_empty() {
        render_markdown(body)
    } else {
        html
    }
}

/// How many of the newest matches a search ranks by relevance.
const RECENT_MATCHES: i64 = 5_000;

/// How many of the newest posts PostgreSQL reads first for a common word
/// (one in four posts matching fills `RECENT_MATCHES` from them).
const RECENT_WINDOW: i64 = 20_000;

fn summary_from(row: &AnyRow) -> Result<ThreadSummary, StoreError> {
    Ok(ThreadSummary {
        id: get(row, "id")?,
        space_id: get(row, "space_id")?,
        kind: thread_kind(row)?,
        solved: get::<Option<i64>>(row, "accepted_reply_id")?.is_some(),
        pinned: get::<i64>(row, "pinned")? != 0,
        locked: get::<i64>(row, "locked")? != 0,
        tags: Vec::new(),
        title: get(row, "title")?,
        author_name: get(row, "author_name")?,
        created_at: Timestamp(get(row, "created_at")?),
        n_replies: get(row, "n_replies")?,
        last_activity_at: Timestamp(get(row, "last_activity_at")?),
    })
}

const SPACE_COLUMNS: &str = "id, workspace_id, kind, slug, name, description, network, visibility, rules, rules_version, created_at";
const MEMBERSHIP_COLUMNS: &str = "space_id, member_id, role, active, rules_version, joined_at";

impl CommunityStore for Db {
    async fn create_space(&self, space: &NewSpace) -> Result<Space, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO spaces (workspace_id, kind, slug, name, description, network, visibility, rules, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {SPACE_COLUMNS}"
        )))
        .bind(space.workspace_id)
        .bind(space.kind.as_str())
        .bind(&space.slug)
        .bind(&space.name)
        .bind(&space.description)
        .bind(&space.network)
        .bind(space.visibility.as_str())
        .bind(&space.rules)
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

    async fn space_by_id(
        &self,
        workspace: WorkspaceId,
        id: SpaceId,
    ) -> Result<Option<Space>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SPACE_COLUMNS} FROM spaces WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(workspace)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(space_from).transpose()
    }

    async fn group_membership(
        &self,
        space: SpaceId,
        member: MemberId,
    ) -> Result<Option<GroupMembership>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM group_members WHERE space_id = $1 AND member_id = $2"
        )))
        .bind(space)
        .bind(member)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(membership_from).transpose()
    }

    async fn group_memberships_of(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> Result<Vec<GroupMembership>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.space_id, g.member_id, g.role, g.active, g.rules_version, g.joined_at FROM group_members g \
             JOIN spaces s ON s.id = g.space_id WHERE s.workspace_id = $1 AND g.member_id = $2",
        )
        .bind(workspace)
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(membership_from).collect()
    }

    async fn upsert_group_membership(
        &self,
        membership: &GroupMembership,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO group_members (space_id, member_id, role, active, rules_version, joined_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (space_id, member_id) DO UPDATE SET role = excluded.role, active = excluded.active, \
             rules_version = excluded.rules_version",
        )
        .bind(membership.space_id)
        .bind(membership.member_id)
        .bind(membership.role.as_str())
        .bind(flag(membership.active))
        .bind(membership.rules_version)
        .bind(membership.joined_at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn leave_group(&self, space: SpaceId, member: MemberId) -> Result<bool, StoreError> {
        let result =
            sqlx::query("DELETE FROM group_members WHERE space_id = $1 AND member_id = $2")
                .bind(space)
                .bind(member)
                .execute(self.pool())
                .await
                .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn join_requests(&self, space: SpaceId) -> Result<Vec<(MemberId, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.name FROM group_members g JOIN members m ON m.id = g.member_id \
             WHERE g.space_id = $1 AND g.active = 0 ORDER BY g.joined_at",
        )
        .bind(space)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "id")?, get(row, "name")?)))
            .collect()
    }

    async fn create_thread(&self, thread: &NewThread) -> Result<ThreadId, StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "INSERT INTO threads (space_id, author_id, kind, title, body, body_html, created_at, last_activity_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(thread.space_id)
        .bind(thread.author_id)
        .bind(thread.kind.as_str())
        .bind(&thread.title)
        .bind(&thread.body)
        .bind(render_markdown(&thread.body))
        .bind(thread.created_at.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let id: ThreadId = get(&row, "id")?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO search_index ({}, title, body, thread_id, reply_id, space_id) \
             SELECT {THREAD_KEY}, t.title, t.body, t.id, NULL, t.space_id FROM threads t WHERE t.id = $1",
            self.search_key()
        )))
            .bind(id)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    async fn create_reply(&self, reply: &NewReply) -> Result<i64, StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "INSERT INTO replies (thread_id, author_id, reply_to_member_id, quote_reply_id, body, body_html, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(reply.thread_id)
        .bind(reply.author_id)
        .bind(reply.reply_to_member_id)
        .bind(reply.quote_reply_id)
        .bind(&reply.body)
        .bind(render_markdown(&reply.body))
        .bind(reply.created_at.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let id: i64 = get(&row, "id")?;
        sqlx::query(
            "UPDATE threads SET n_replies = n_replies + 1, \
             last_activity_at = CASE WHEN last_activity_at < $1 THEN $1 ELSE last_activity_at END WHERE id = $2",
        )
        .bind(reply.created_at.millis())
        .bind(reply.thread_id)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO search_index ({}, title, body, thread_id, reply_id, space_id) \
             SELECT {REPLY_KEY}, t.title, r.body, t.id, r.id, t.space_id FROM replies r \
             JOIN threads t ON t.id = r.thread_id WHERE r.id = $1",
            self.search_key()
        )))
        .bind(id)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    async fn list_threads(
        &self,
        space: SpaceId,
        limit: i64,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.space_id, t.kind, t.accepted_reply_id, t.pinned, t.locked, t.title, m.name AS author_name, t.created_at, \
             t.n_replies, t.last_activity_at FROM threads t JOIN members m ON m.id = t.author_id WHERE t.space_id = $1 \
             AND t.moderation = 'visible' ORDER BY t.pinned DESC, t.last_activity_at DESC, t.id DESC LIMIT $2",
        )
        .bind(space)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut threads = rows
            .iter()
            .map(summary_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.attach_tags(&mut threads).await?;
        Ok(threads)
    }

    async fn thread(
        &self,
        workspace: WorkspaceId,
        thread: ThreadId,
    ) -> Result<ThreadView, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.space_id, t.kind, t.accepted_reply_id, t.pinned, t.locked, t.title, t.body, t.body_html, t.created_at, t.edited_at, t.author_id, t.moderation, \
             m.name AS author_name, m.is_staff FROM threads t JOIN members m ON m.id = t.author_id JOIN spaces s ON s.id = t.space_id \
             WHERE t.id = $1 AND s.workspace_id = $2",
        )
        .bind(thread)
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        let reaction_rows = sqlx::query(
            "SELECT x.reply_id, x.emoji, COUNT(*) AS n FROM reactions x JOIN replies r ON r.id = x.reply_id \
             WHERE r.thread_id = $1 GROUP BY x.reply_id, x.emoji ORDER BY x.reply_id, x.emoji",
        )
        .bind(thread)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut reactions: std::collections::HashMap<i64, Vec<(String, i64)>> =
            std::collections::HashMap::new();
        for reaction in &reaction_rows {
            reactions
                .entry(get(reaction, "reply_id")?)
                .or_default()
                .push((get(reaction, "emoji")?, get(reaction, "n")?));
        }
        let replies = sqlx::query(
            "SELECT r.id, r.author_id, r.body, r.body_html, r.quote_reply_id, r.created_at, r.edited_at, r.deleted_at, \
             r.moderation, m.name AS author_name, m.is_staff \
             FROM replies r JOIN members m ON m.id = r.author_id WHERE r.thread_id = $1 ORDER BY r.created_at, r.id",
        )
        .bind(thread)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            let id: i64 = get(row, "id")?;
            let body: String = get(row, "body")?;
            Ok(ReplyView {
                id,
                author_id: get(row, "author_id")?,
                author_name: get(row, "author_name")?,
                author_is_staff: get::<i64>(row, "is_staff")? != 0,
                body_html: html_or_render(get(row, "body_html")?, &body),
                body,
                quote_reply_id: get(row, "quote_reply_id")?,
                created_at: Timestamp(get(row, "created_at")?),
                edited_at: get::<Option<i64>>(row, "edited_at")?.map(Timestamp),
                deleted: get::<Option<i64>>(row, "deleted_at")?.is_some(),
                reactions: reactions.remove(&id).unwrap_or_default(),
                state: content_state(row)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let body: String = get(&row, "body")?;
        Ok(ThreadView {
            id: get(&row, "id")?,
            space_id: get(&row, "space_id")?,
            kind: thread_kind(&row)?,
            accepted_reply_id: get(&row, "accepted_reply_id")?,
            pinned: get::<i64>(&row, "pinned")? != 0,
            locked: get::<i64>(&row, "locked")? != 0,
            tags: self
                .tags_of(&[thread])
                .await?
                .into_iter()
                .map(|(_, tag)| tag)
                .collect(),
            title: get(&row, "title")?,
            author_id: get(&row, "author_id")?,
            author_name: get(&row, "author_name")?,
            author_is_staff: get::<i64>(&row, "is_staff")? != 0,
            body_html: html_or_render(get(&row, "body_html")?, &body),
            body,
            created_at: Timestamp(get(&row, "created_at")?),
            edited_at: get::<Option<i64>>(&row, "edited_at")?.map(Timestamp),
            reactions: self.thread_reaction_counts(thread).await?,
            state: content_state(&row)?,
            replies,
        })
    }

    async fn thread_of_reply(
        &self,
        workspace: WorkspaceId,
        reply: i64,
    ) -> Result<Option<(ThreadId, MemberId)>, StoreError> {
        let row = sqlx::query(
            "SELECT r.thread_id, r.author_id FROM replies r JOIN threads t ON t.id = r.thread_id JOIN spaces s ON s.id = t.space_id \
             WHERE r.id = $1 AND s.workspace_id = $2",
        )
        .bind(reply)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| Ok((get(&row, "thread_id")?, get(&row, "author_id")?)))
            .transpose()
    }

    async fn edit_reply(
        &self,
        reply: i64,
        body: &str,
        editor: MemberId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO reply_edits (reply_id, body_before, edited_by, edited_at) \
             SELECT id, body, $1, $2 FROM replies WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(editor)
        .bind(now.millis())
        .bind(reply)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query("UPDATE replies SET body = $1, body_html = $2, edited_at = $3 WHERE id = $4 AND deleted_at IS NULL")
            .bind(body)
            .bind(render_markdown(body))
            .bind(now.millis())
            .bind(reply)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE search_index SET body = $1 WHERE {} = (SELECT {REPLY_KEY} FROM replies r WHERE r.id = $2)",
            self.search_key()
        )))
        .bind(body)
        .bind(reply)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)
    }

    async fn delete_reply(&self, reply: i64, now: Timestamp) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("UPDATE replies SET body = '', body_html = '', deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(now.millis())
            .bind(reply)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM search_index WHERE {} = (SELECT {REPLY_KEY} FROM replies r WHERE r.id = $1)",
            self.search_key()
        )))
        .bind(reply)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM reply_edits WHERE reply_id = $1")
            .bind(reply)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)
    }

    async fn reply_history(
        &self,
        reply: i64,
    ) -> Result<Vec<(String, Timestamp, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.body_before, e.edited_at, m.name FROM reply_edits e JOIN members m ON m.id = e.edited_by \
             WHERE e.reply_id = $1 ORDER BY e.id",
        )
        .bind(reply)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok((
                    get(row, "body_before")?,
                    Timestamp(get(row, "edited_at")?),
                    get(row, "name")?,
                ))
            })
            .collect()
    }

    async fn threads_since(
        &self,
        spaces: &[SpaceId],
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<ThreadSummary>, StoreError> {
        if spaces.is_empty() {
            return Ok(Vec::new());
        }
        // Space ids come from our own database, so they can be inlined.
        let space_list = spaces
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.id, t.space_id, t.kind, t.accepted_reply_id, t.pinned, t.locked, t.title, m.name AS author_name, t.created_at, \
             t.n_replies, t.last_activity_at FROM threads t JOIN members m ON m.id = t.author_id \
             WHERE t.space_id IN ({space_list}) AND t.created_at > $1 ORDER BY t.n_replies DESC, t.id DESC LIMIT $2"
        )))
        .bind(since.millis())
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut threads = rows
            .iter()
            .map(summary_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.attach_tags(&mut threads).await?;
        Ok(threads)
    }

    async fn set_thread_tags(&self, thread: ThreadId, tags: &[String]) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM thread_tags WHERE thread_id = $1")
            .bind(thread)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        for tag in tags {
            sqlx::query("INSERT INTO thread_tags (thread_id, tag) VALUES ($1, $2)")
                .bind(thread)
                .bind(tag)
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn recent_post_times(
        &self,
        member: MemberId,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at FROM threads WHERE author_id = $1 AND created_at >= $2 \
             UNION ALL SELECT created_at FROM replies WHERE author_id = $1 AND created_at >= $2 ORDER BY created_at",
        )
        .bind(member)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok(Timestamp(get(row, "created_at")?)))
            .collect()
    }

    async fn set_thread_flags(
        &self,
        thread: ThreadId,
        pinned: Option<bool>,
        locked: Option<bool>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE threads SET pinned = COALESCE($1, pinned), locked = COALESCE($2, locked) WHERE id = $3")
            .bind(pinned.map(flag))
            .bind(locked.map(flag))
            .bind(thread)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn first_responses(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<FirstResponse>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.title, s.name AS space_name, t.created_at, \
             (SELECT MIN(r.created_at) FROM replies r WHERE r.thread_id = t.id AND r.author_id <> t.author_id) AS first_at, \
             (SELECT m.is_staff FROM replies r JOIN members m ON m.id = r.author_id \
              WHERE r.thread_id = t.id AND r.author_id <> t.author_id ORDER BY r.created_at, r.id LIMIT 1) AS first_by_staff \
             FROM threads t JOIN spaces s ON s.id = t.space_id \
             WHERE s.workspace_id = $1 AND s.kind = 'group' AND t.created_at >= $2 ORDER BY t.created_at",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(FirstResponse {
                    thread_id: get(row, "id")?,
                    title: get(row, "title")?,
                    space_name: get(row, "space_name")?,
                    asked_at: Timestamp(get(row, "created_at")?),
                    first_reply_at: get::<Option<i64>>(row, "first_at")?.map(Timestamp),
                    first_reply_by_staff: get::<Option<i64>>(row, "first_by_staff")?
                        .map(|staff| staff != 0),
                })
            })
            .collect()
    }

    async fn accept_answer(&self, thread: ThreadId, reply: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE threads SET accepted_reply_id = $1 WHERE id = $2 AND kind = 'question' \
             AND EXISTS (SELECT 1 FROM replies WHERE id = $1 AND thread_id = $2)",
        )
        .bind(reply)
        .bind(thread)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn toggle_reaction(
        &self,
        reply: i64,
        member: MemberId,
        emoji: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.toggle_in(Reactions::Replies, reply, member, emoji, now)
            .await
    }

    async fn reaction_counts(&self, reply: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts_in(Reactions::Replies, reply).await
    }

    async fn members_by_handles(
        &self,
        workspace: WorkspaceId,
        handles: &[String],
    ) -> Result<Vec<(MemberId, String)>, StoreError> {
        let mut found = Vec::new();
        for handle in handles.iter().take(20) {
            let row = sqlx::query(
                "SELECT id, handle FROM members WHERE workspace_id = $1 AND handle = $2",
            )
            .bind(workspace)
            .bind(handle)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
            if let Some(row) = row {
                found.push((get(&row, "id")?, get(&row, "handle")?));
            }
        }
        Ok(found)
    }

    async fn notify(&self, notification: &NewNotification) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (workspace_id, member_id, kind, actor_id, thread_id, text, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(notification.workspace_id)
        .bind(notification.member_id)
        .bind(notification.kind.as_str())
        .bind(notification.actor_id)
        .bind(notification.thread_id)
        .bind(&notification.text)
        .bind(notification.created_at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn notifications(
        &self,
        member: MemberId,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.id, n.kind, m.name AS actor_name, n.thread_id, n.event_id, n.text, n.created_at, n.read_at FROM notifications n \
             JOIN members m ON m.id = n.actor_id WHERE n.member_id = $1 ORDER BY n.id DESC LIMIT $2",
        )
        .bind(member)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Notification {
                    id: get(row, "id")?,
                    kind: get(row, "kind")?,
                    actor_name: get(row, "actor_name")?,
                    thread_id: get(row, "thread_id")?,
                    event_id: get(row, "event_id")?,
                    text: get(row, "text")?,
                    created_at: Timestamp(get(row, "created_at")?),
                    read: get::<Option<i64>>(row, "read_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn unread_count(&self, member: MemberId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM notifications WHERE member_id = $1 AND read_at IS NULL",
        )
        .bind(member)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }

    async fn mark_notifications_read(
        &self,
        member: MemberId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE member_id = $2 AND read_at IS NULL",
        )
        .bind(now.millis())
        .bind(member)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn edit_thread(
        &self,
        thread: ThreadId,
        title: &str,
        body: &str,
        editor: MemberId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO thread_edits (thread_id, title_before, body_before, edited_by, edited_at) \
             SELECT id, title, body, $1, $2 FROM threads WHERE id = $3",
        )
        .bind(editor)
        .bind(now.millis())
        .bind(thread)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query("UPDATE threads SET title = $1, body = $2, body_html = $3, edited_at = $4 WHERE id = $5")
            .bind(title)
            .bind(body)
            .bind(render_markdown(body))
            .bind(now.millis())
            .bind(thread)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE search_index SET title = $1, body = $2 WHERE {} = (SELECT {THREAD_KEY} FROM threads t WHERE t.id = $3)",
            self.search_key()
        )))
        .bind(title)
        .bind(body)
        .bind(thread)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        // One lookup by key per reply: FTS5 answers `rowid = ?` from its
        // index but may scan for `rowid IN (…)`.
        let keys = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REPLY_KEY} AS k FROM replies r WHERE r.thread_id = $1 AND r.deleted_at IS NULL"
        )))
        .bind(thread)
        .fetch_all(&mut *transaction)
        .await
        .map_err(store_error)?;
        let update = format!(
            "UPDATE search_index SET title = $1 WHERE {} = $2",
            self.search_key()
        );
        for key in &keys {
            sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                .bind(title)
                .bind(get::<i64>(key, "k")?)
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn thread_history(
        &self,
        thread: ThreadId,
    ) -> Result<Vec<(String, String, Timestamp, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.title_before, e.body_before, e.edited_at, m.name FROM thread_edits e JOIN members m ON m.id = e.edited_by \
             WHERE e.thread_id = $1 ORDER BY e.id",
        )
        .bind(thread)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok((
                    get(row, "title_before")?,
                    get(row, "body_before")?,
                    Timestamp(get(row, "edited_at")?),
                    get(row, "name")?,
                ))
            })
            .collect()
    }

    async fn toggle_thread_reaction(
        &self,
        thread: ThreadId,
        member: MemberId,
        emoji: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.toggle_in(Reactions::Threads, thread, member, emoji, now)
            .await
    }

    async fn thread_reaction_counts(
        &self,
        thread: ThreadId,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        self.counts_in(Reactions::Threads, thread).await
    }

    async fn update_group(
        &self,
        space: SpaceId,
        changes: &GroupChanges,
    ) -> Result<Space, StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "UPDATE spaces SET name = $1, description = $2, visibility = $3, \
             rules_version = CASE WHEN rules = $4 THEN rules_version ELSE rules_version + 1 END, rules = $4 \
             WHERE id = $5 AND kind = 'group'",
        )
        .bind(&changes.name)
        .bind(&changes.description)
        .bind(changes.visibility.as_str())
        .bind(&changes.rules)
        .bind(space)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let row = sqlx::query("SELECT * FROM spaces WHERE id = $1")
            .bind(space)
            .fetch_one(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        space_from(&row)
    }

    async fn group_members(&self, space: SpaceId) -> Result<Vec<GroupMemberRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.space_id, g.member_id, g.role, g.active, g.rules_version, g.joined_at, m.name, \
             COALESCE(m.handle, '') AS handle FROM group_members g JOIN members m ON m.id = g.member_id \
             WHERE g.space_id = $1 \
             ORDER BY CASE g.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, m.name, m.id",
        )
        .bind(space)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(GroupMemberRow {
                    membership: membership_from(row)?,
                    name: get(row, "name")?,
                    handle: get(row, "handle")?,
                })
            })
            .collect()
    }

    async fn search(
        &self,
        workspace: WorkspaceId,
        query: &SearchQuery,
        readable_spaces: &[SpaceId],
    ) -> Result<Vec<SearchHit>, StoreError> {
        let spaces: Vec<SpaceId> = readable_spaces
            .iter()
            .copied()
            .filter(|id| query.space_id.is_none_or(|only| only == *id))
            .collect();
        if spaces.is_empty() || query.words.is_empty() {
            return Ok(Vec::new());
        }
        // Space ids come from our own database, never from the request, so they can be inlined.
        let space_list = spaces
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let mut filters = String::new();
        match query.solved {
            Some(true) => filters.push_str(
                " AND thread_id IN (SELECT id FROM threads WHERE accepted_reply_id IS NOT NULL)",
            ),
            Some(false) => filters.push_str(
                " AND thread_id IN (SELECT id FROM threads WHERE accepted_reply_id IS NULL)",
            ),
            None => {}
        }
        if query.tag.is_some() {
            filters
                .push_str(" AND thread_id IN (SELECT thread_id FROM thread_tags WHERE tag = $3)");
        }
        // Ids and times are numbers we parsed, so they can be inlined.
        if let Some(author) = query.author_id {
            filters.push_str(&format!(
                " AND ((reply_id IS NULL AND thread_id IN (SELECT id FROM threads WHERE author_id = {author})) \
                 OR reply_id IN (SELECT id FROM replies WHERE author_id = {author}))"
            ));
        }
        if let Some(from) = query.from {
            filters.push_str(&format!(
                " AND thread_id IN (SELECT id FROM threads WHERE created_at >= {})",
                from.millis()
            ));
        }
        if let Some(to) = query.to {
            filters.push_str(&format!(
                " AND thread_id IN (SELECT id FROM threads WHERE created_at < {})",
                to.millis()
            ));
        }
        let solved_clause = filters;
        // Relevance is computed over the newest matches only (RECENT_MATCHES), so a
        // word found in half a million posts costs the same as a rare one; the
        // excerpt is cut in Rust from the 30 bodies kept.
        let (sql, terms) = match self.backend() {
            Backend::Sqlite => (
                format!(
                    "SELECT CAST(m.thread_id AS BIGINT) AS thread_id, CAST(m.reply_id AS BIGINT) AS reply_id, m.body, \
                     s.name AS space_name, t.title, t.accepted_reply_id, t.created_at \
                     FROM (SELECT thread_id, reply_id, body, bm25(search_index, 4.0, 1.0) AS score FROM search_index \
                           WHERE search_index MATCH $1 AND space_id IN ({space_list}) {solved_clause} \
                           ORDER BY rowid DESC LIMIT {RECENT_MATCHES}) m \
                     JOIN threads t ON t.id = m.thread_id JOIN spaces s ON s.id = t.space_id \
                     WHERE s.workspace_id = $2 ORDER BY m.score LIMIT 30"
                ),
                query
                    .words
                    .iter()
                    .map(|word| format!("\"{word}\""))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Backend::Postgres => (
                format!(
                    "WITH m AS MATERIALIZED (SELECT id, thread_id, reply_id, body, document FROM search_index \
                           WHERE document @@ plainto_tsquery('simple', $1) AND space_id IN ({space_list}) {solved_clause} \
                           ORDER BY id DESC LIMIT {RECENT_MATCHES}) \
                     SELECT m.thread_id, m.reply_id, m.body, s.name AS space_name, t.title, t.accepted_reply_id, t.created_at \
                     FROM m JOIN threads t ON t.id = m.thread_id JOIN spaces s ON s.id = t.space_id \
                     WHERE s.workspace_id = $2 ORDER BY ts_rank(m.document, plainto_tsquery('simple', $1)) DESC, m.id DESC LIMIT 30"
                ),
                query.words.join(" "),
            ),
        };
        let run = |sql: String| {
            // Not prepared: PostgreSQL then plans with the actual words (a
            // cached generic plan cannot know how common they are, and chose
            // plans that took seconds).
            let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(terms.clone())
                .bind(workspace);
            if let Some(tag) = &query.tag {
                statement = statement.bind(tag.clone());
            }
            statement.fetch_all(self.pool())
        };
        // A very common word on PostgreSQL: its newest matches are all among
        // the newest posts, and reading those by key is much cheaper than
        // collecting every match from the GIN index. Otherwise (fewer matches
        // there) the index answers.
        if self.backend() == Backend::Postgres {
            let recent = run(format!(
                "WITH m AS MATERIALIZED (SELECT id, thread_id, reply_id, body, document, COUNT(*) OVER () AS n_recent \
                       FROM (SELECT id, thread_id, reply_id, body, document, space_id FROM search_index \
                             ORDER BY id DESC LIMIT {RECENT_WINDOW}) newest \
                       WHERE document @@ plainto_tsquery('simple', $1) AND space_id IN ({space_list}) {solved_clause} \
                       ORDER BY id DESC LIMIT {RECENT_MATCHES}) \
                 SELECT m.thread_id, m.reply_id, m.body, m.n_recent, s.name AS space_name, t.title, t.accepted_reply_id, t.created_at \
                 FROM m JOIN threads t ON t.id = m.thread_id JOIN spaces s ON s.id = t.space_id \
                 WHERE s.workspace_id = $2 ORDER BY ts_rank(m.document, plainto_tsquery('simple', $1)) DESC, m.id DESC LIMIT 30"
            ))
            .await
            .map_err(store_error)?;
            let n_recent = match recent.first() {
                Some(row) => get::<i64>(row, "n_recent")?,
                None => 0,
            };
            if n_recent >= RECENT_MATCHES {
                return recent
                    .iter()
                    .map(|row| hit_from(row, &query.words))
                    .collect();
            }
        }
        let rows = run(sql).await.map_err(store_error)?;
        rows.iter().map(|row| hit_from(row, &query.words)).collect()
    }
}

impl Db {
    /// (thread, tag) pairs of these threads, in tag order.
    async fn tags_of(&self, threads: &[ThreadId]) -> Result<Vec<(ThreadId, String)>, StoreError> {
        if threads.is_empty() {
            return Ok(Vec::new());
        }
        // Thread ids come from our own queries, so they can be inlined.
        let list = threads
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT thread_id, tag FROM thread_tags WHERE thread_id IN ({list}) ORDER BY tag"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "thread_id")?, get(row, "tag")?)))
            .collect()
    }

    async fn attach_tags(&self, threads: &mut [ThreadSummary]) -> Result<(), StoreError> {
        let ids: Vec<ThreadId> = threads.iter().map(|thread| thread.id).collect();
        for (thread_id, tag) in self.tags_of(&ids).await? {
            if let Some(thread) = threads.iter_mut().find(|thread| thread.id == thread_id) {
                thread.tags.push(tag);
            }
        }
        Ok(())
    }

    /// Gives a member a unique handle for `@mentions`, derived from the name.
    /// Adds the reaction, or removes it when the member already gave it;
    /// answers whether it is now present. Replies and opening posts keep
    /// their reactions in tables of the same shape.
    async fn toggle_in(
        &self,
        on: Reactions,
        id: i64,
        member: MemberId,
        emoji: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (table, key) = on.table();
        let removed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE {key} = $1 AND member_id = $2 AND emoji = $3"
        )))
        .bind(id)
        .bind(member)
        .bind(emoji)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        if removed.rows_affected() > 0 {
            return Ok(false);
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({key}, member_id, emoji, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT ({key}, member_id, emoji) DO NOTHING"
        )))
        .bind(id)
        .bind(member)
        .bind(emoji)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(true)
    }

    /// (emoji, count) of a reply's or an opening post's reactions.
    async fn counts_in(&self, on: Reactions, id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let (table, key) = on.table();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT emoji, COUNT(*) AS n FROM {table} WHERE {key} = $1 GROUP BY emoji ORDER BY emoji"
        )))
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "emoji")?, get(row, "n")?)))
            .collect()
    }

    /// The column that keys a search row (see [`search_row_key`]).
    pub(crate) fn search_key(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "rowid",
            Backend::Postgres => "id",
        }
    }

    pub(crate) async fn assign_handle(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        name: &str,
    ) -> Result<String, StoreError> {
        let base = agora_core::community::handle_base(name);
        for n in 1..100 {
            let candidate = if n == 1 {
                base.clone()
            } else {
                format!("{base}{n}")
            };
            let result = sqlx::query("UPDATE members SET handle = $1 WHERE id = $2 AND workspace_id = $3 AND handle IS NULL")
                .bind(&candidate)
                .bind(member)
                .bind(workspace)
                .execute(self.pool())
                .await;
            match result.map_err(store_error) {
                Ok(_) => return Ok(candidate),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        let fallback = format!("{base}-{member}");
        sqlx::query("UPDATE members SET handle = $1 WHERE id = $2 AND handle IS NULL")
            .bind(&fallback)
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(fallback)
    }
}

impl Db {
    /// Inserts many replies to one thread, with their search entries, in
    /// batches: the community benchmark's seeding path. Answers how many.
    pub async fn bulk_replies(
        &self,
        thread: ThreadId,
        author: MemberId,
        bodies: &[String],
        start: Timestamp,
    ) -> Result<usize, StoreError> {
        let space: i64 = {
            let row = sqlx::query("SELECT space_id, title FROM threads WHERE id = $1")
                .bind(thread)
                .fetch_one(self.pool())
                .await
                .map_err(store_error)?;
            get(&row, "space_id")?
        };
        let title: String = {
            let row = sqlx::query("SELECT title FROM threads WHERE id = $1")
                .bind(thread)
                .fetch_one(self.pool())
                .await
                .map_err(store_error)?;
            get(&row, "title")?
        };
        const BATCH: usize = 500;
        for (n_batch, chunk) in bodies.chunks(BATCH).enumerate() {
            let mut transaction = self.pool().begin().await.map_err(store_error)?;
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|i| {
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        i * 5 + 1,
                        i * 5 + 2,
                        i * 5 + 3,
                        i * 5 + 4,
                        i * 5 + 5
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO replies (thread_id, author_id, body, body_html, created_at) VALUES {} RETURNING id",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, body) in chunk.iter().enumerate() {
                let at = start.plus_millis(((n_batch * BATCH + i) as i64) * 1000);
                query = query
                    .bind(thread)
                    .bind(author)
                    .bind(body.as_str())
                    .bind(render_markdown(body))
                    .bind(at.millis());
            }
            let ids: Vec<i64> = query
                .fetch_all(&mut *transaction)
                .await
                .map_err(store_error)?
                .iter()
                .map(|row| get(row, "id"))
                .collect::<Result<_, _>>()?;
            let search_placeholders: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let n = i * 6;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        n + 1,
                        n + 2,
                        n + 3,
                        n + 4,
                        n + 5,
                        n + 6
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO search_index ({}, title, body, thread_id, reply_id, space_id) VALUES {}",
                self.search_key(),
                search_placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, (body, id)) in chunk.iter().zip(&ids).enumerate() {
                let at = start.plus_millis(((n_batch * BATCH + i) as i64) * 1000);
                query = query
                    .bind(search_row_key(at, *id, false))
                    .bind(&title)
                    .bind(body.as_str())
                    .bind(thread)
                    .bind(*id)
                    .bind(space);
            }
            query
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
            sqlx::query("UPDATE threads SET n_replies = n_replies + $1, last_activity_at = $2 WHERE id = $3")
                .bind(chunk.len() as i64)
                .bind(start.plus_millis(((n_batch * BATCH + chunk.len()) as i64) * 1000).millis())
                .bind(thread)
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
            transaction.commit().await.map_err(store_error)?;
        }
        Ok(bodies.len())
    }
}
