//! Member profiles in SQL.

use agora_core::accounts::{AccountId, WorkspaceId};
use agora_core::members::{
    DigestFrequency, DigestRecipient, EmailTarget, Introduction, MemberId, MemberProfile,
    MemberStore, MemberSummary, NewMember, Newcomer, SuggestedIntroduction,
};
use agora_core::pagination::{Cursor, Page};
use agora_core::{StoreError, Timestamp};

use crate::{Db, flag, get, store_error};

const PROFILE_COLUMNS: &str = "id, name, COALESCE(handle, '') AS handle, bio, interests, joined_at, is_staff, profile_visibility";

fn profile_from(row: &sqlx::any::AnyRow) -> Result<MemberProfile, StoreError> {
    let interests: String = get(row, "interests")?;
    Ok(MemberProfile {
        id: get(row, "id")?,
        name: get(row, "name")?,
        handle: get(row, "handle")?,
        bio: get(row, "bio")?,
        interests: interests
            .split(',')
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        joined_at: Timestamp(get(row, "joined_at")?),
        is_staff: get::<i64>(row, "is_staff")? != 0,
        visible_to_members: get::<String>(row, "profile_visibility")? == "members",
    })
}

impl MemberStore for Db {
    async fn profile(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> Result<Option<MemberProfile>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROFILE_COLUMNS} FROM members WHERE workspace_id = $1 AND id = $2"
        )))
        .bind(workspace)
        .bind(member)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(profile_from).transpose()
    }

    async fn profile_by_handle(
        &self,
        workspace: WorkspaceId,
        handle: &str,
    ) -> Result<Option<MemberProfile>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROFILE_COLUMNS} FROM members WHERE workspace_id = $1 AND handle = $2"
        )))
        .bind(workspace)
        .bind(handle)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(profile_from).transpose()
    }

    async fn update_profile(
        &self,
        member: MemberId,
        bio: &str,
        interests: &[String],
        visible_to_members: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE members SET bio = $1, interests = $2, profile_visibility = $3 WHERE id = $4",
        )
        .bind(bio)
        .bind(interests.join(","))
        .bind(if visible_to_members {
            "members"
        } else {
            "staff"
        })
        .bind(member)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn email_preferences(
        &self,
        member: MemberId,
    ) -> Result<(bool, DigestFrequency), StoreError> {
        let row = sqlx::query("SELECT email_notifications, digest FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        let digest: String = get(&row, "digest")?;
        Ok((
            get::<i64>(&row, "email_notifications")? != 0,
            DigestFrequency::parse(&digest).unwrap_or(DigestFrequency::Off),
        ))
    }

    async fn set_email_preferences(
        &self,
        member: MemberId,
        activity_emails: bool,
        digest: DigestFrequency,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE members SET email_notifications = $1, digest = $2 WHERE id = $3")
            .bind(i64::from(activity_emails))
            .bind(digest.as_str())
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn digest_recipients(&self) -> Result<Vec<DigestRecipient>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.workspace_id, w.slug, w.name AS workspace_name, m.email, m.name, m.digest, m.digest_sent_at, \
             m.unsubscribe_token FROM members m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.digest <> 'off' AND m.email IS NOT NULL ORDER BY m.id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let digest: String = get(row, "digest")?;
                Ok(DigestRecipient {
                    member_id: get(row, "id")?,
                    workspace_id: get(row, "workspace_id")?,
                    workspace_slug: get(row, "slug")?,
                    workspace_name: get(row, "workspace_name")?,
                    email: get(row, "email")?,
                    name: get(row, "name")?,
                    frequency: DigestFrequency::parse(&digest).unwrap_or(DigestFrequency::Off),
                    last_sent: get::<Option<i64>>(row, "digest_sent_at")?.map(Timestamp),
                    unsubscribe_token: get(row, "unsubscribe_token")?,
                })
            })
            .collect()
    }

    async fn mark_digest_sent(&self, member: MemberId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE members SET digest_sent_at = $1 WHERE id = $2")
            .bind(at.millis())
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn newcomers(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<Newcomer>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROFILE_COLUMNS}, \
             (SELECT COUNT(*) FROM threads t WHERE t.author_id = members.id) AS n_threads, \
             (SELECT COUNT(*) FROM replies r WHERE r.author_id = members.id AND r.deleted_at IS NULL) AS n_replies, \
             (SELECT COUNT(*) FROM event_rsvps e WHERE e.member_id = members.id AND e.state = 'going') AS n_events \
             FROM members WHERE workspace_id = $1 AND joined_at >= $2 AND is_staff = 0 ORDER BY joined_at DESC LIMIT 200"
        )))
        .bind(workspace)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Newcomer {
                    profile: profile_from(row)?,
                    n_threads: get(row, "n_threads")?,
                    n_replies: get(row, "n_replies")?,
                    n_events: get(row, "n_events")?,
                })
            })
            .collect()
    }

    async fn members_with_interests(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<MemberProfile>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROFILE_COLUMNS} FROM members WHERE workspace_id = $1 AND is_staff = 0 AND interests <> '' ORDER BY id"
        )))
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(profile_from).collect()
    }

    async fn interacted_pairs(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(MemberId, MemberId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT CASE WHEN actor_id < target_id THEN actor_id ELSE target_id END AS a, \
             CASE WHEN actor_id < target_id THEN target_id ELSE actor_id END AS b \
             FROM interactions WHERE workspace_id = $1 AND target_id IS NOT NULL AND target_id <> actor_id",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "a")?, get(row, "b")?)))
            .collect()
    }

    async fn email_target(&self, member: MemberId) -> Result<Option<EmailTarget>, StoreError> {
        let token = agora_core::secrets::random_token(24);
        sqlx::query(
            "UPDATE members SET unsubscribe_token = $1 WHERE id = $2 AND unsubscribe_token IS NULL",
        )
        .bind(&token)
        .bind(member)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        let row = sqlx::query("SELECT email, name, email_notifications, unsubscribe_token FROM members WHERE id = $1 AND email IS NOT NULL")
            .bind(member)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| {
            Ok(EmailTarget {
                email: get(&row, "email")?,
                name: get(&row, "name")?,
                enabled: get::<i64>(&row, "email_notifications")? != 0,
                unsubscribe_token: get(&row, "unsubscribe_token")?,
            })
        })
        .transpose()
    }

    async fn unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("UPDATE members SET email_notifications = 0, digest = 'off', newsletter = 0 WHERE unsubscribe_token = $1 RETURNING name")
            .bind(token)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| get(&row, "name")).transpose()
    }

    async fn create_member(&self, member: &NewMember) -> Result<MemberId, StoreError> {
        let row = sqlx::query(
            "INSERT INTO members (workspace_id, account_id, name, email, joined_at, is_staff) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(member.workspace_id)
        .bind(member.account_id)
        .bind(&member.name)
        .bind(member.email.as_deref())
        .bind(member.joined_at.millis())
        .bind(flag(member.is_staff))
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        let id = get(&row, "id")?;
        self.assign_handle(member.workspace_id, id, &member.name)
            .await?;
        Ok(id)
    }

    async fn member_of_account(
        &self,
        workspace: WorkspaceId,
        account: AccountId,
    ) -> Result<Option<MemberId>, StoreError> {
        let row = sqlx::query("SELECT id FROM members WHERE workspace_id = $1 AND account_id = $2")
            .bind(workspace)
            .bind(account)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| get(&row, "id")).transpose()
    }

    async fn list_members(
        &self,
        workspace: WorkspaceId,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Page<MemberSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.name, m.is_staff, m.joined_at, \
             (SELECT COUNT(*) FROM interactions i WHERE i.actor_id = m.id) AS n_interactions, \
             (SELECT MAX(i.at) FROM interactions i WHERE i.actor_id = m.id) AS last_active_at \
             FROM members m WHERE m.workspace_id = $1 AND m.id < $2 AND m.merged_into IS NULL ORDER BY m.id DESC LIMIT $3",
        )
        .bind(workspace)
        .bind(after.map_or(i64::MAX, |cursor| cursor.0))
        .bind(limit + 1)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut items = rows
            .iter()
            .map(|row| {
                Ok(MemberSummary {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    is_staff: get::<i64>(row, "is_staff")? != 0,
                    joined_at: Timestamp(get(row, "joined_at")?),
                    n_interactions: get(row, "n_interactions")?,
                    last_active_at: get::<Option<i64>>(row, "last_active_at")?.map(Timestamp),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|member| Cursor(member.id).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn member_is_staff(&self, member: MemberId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT is_staff FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<i64>(&row, "is_staff")? != 0)
    }

    async fn count_members(&self, workspace: WorkspaceId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM members WHERE workspace_id = $1 AND merged_into IS NULL",
        )
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }

    async fn welcome_message(&self, workspace: WorkspaceId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT body FROM welcome_messages WHERE workspace_id = $1")
            .bind(workspace)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| get(&row, "body")).transpose()
    }

    async fn set_welcome_message(
        &self,
        workspace: WorkspaceId,
        body: &str,
        by: MemberId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO welcome_messages (workspace_id, body, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(workspace)
        .bind(body)
        .bind(by)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn welcome_dismissed_at(
        &self,
        member: MemberId,
    ) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query("SELECT welcome_dismissed_at FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<Option<i64>>(&row, "welcome_dismissed_at")?.map(Timestamp))
    }

    async fn dismiss_welcome(&self, member: MemberId, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE members SET welcome_dismissed_at = $1 WHERE id = $2")
            .bind(now.millis())
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn introduction_batch(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
    ) -> Result<Vec<SuggestedIntroduction>, StoreError> {
        let rows = sqlx::query(
            "SELECT first_id, second_id, shared, thread_id, dismissed_at FROM introduction_suggestions \
             WHERE workspace_id = $1 AND week_start = $2 ORDER BY ordinal",
        )
        .bind(workspace)
        .bind(week_start.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let shared: String = get(row, "shared")?;
                Ok(SuggestedIntroduction {
                    first_id: get(row, "first_id")?,
                    second_id: get(row, "second_id")?,
                    shared: shared
                        .split(',')
                        .filter(|item| !item.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    thread_id: get(row, "thread_id")?,
                    dismissed: get::<Option<i64>>(row, "dismissed_at")?.is_some(),
                })
            })
            .collect()
    }

    async fn save_introduction_batch(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
        batch: &[Introduction],
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let existing = sqlx::query(
            "SELECT COUNT(*) AS n FROM introduction_suggestions WHERE workspace_id = $1 AND week_start = $2",
        )
        .bind(workspace)
        .bind(week_start.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        if get::<i64>(&existing, "n")? > 0 {
            return Ok(());
        }
        for (ordinal, introduction) in batch.iter().enumerate() {
            let (first, second) = if introduction.first.id < introduction.second.id {
                (introduction.first.id, introduction.second.id)
            } else {
                (introduction.second.id, introduction.first.id)
            };
            sqlx::query(
                "INSERT INTO introduction_suggestions (workspace_id, week_start, first_id, second_id, shared, ordinal) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(workspace)
            .bind(week_start.millis())
            .bind(first)
            .bind(second)
            .bind(introduction.shared.join(","))
            .bind(i64::try_from(ordinal).unwrap_or(i64::MAX))
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn newsletter(&self, member: MemberId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT newsletter FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<i64>(&row, "newsletter")? != 0)
    }

    async fn set_newsletter(&self, member: MemberId, subscribed: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE members SET newsletter = $1 WHERE id = $2")
            .bind(flag(subscribed))
            .bind(member)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn newsletter_subscribers(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM members WHERE workspace_id = $1 AND newsletter = 1 AND email IS NOT NULL ORDER BY id",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(|row| get(row, "id")).collect()
    }

    async fn introduced_pairs(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(MemberId, MemberId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT first_id, second_id FROM introduction_suggestions \
             WHERE workspace_id = $1 AND thread_id IS NOT NULL",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "first_id")?, get(row, "second_id")?)))
            .collect()
    }

    async fn settle_introduction(
        &self,
        workspace: WorkspaceId,
        week_start: Timestamp,
        pair: (MemberId, MemberId),
        thread: Option<agora_core::community::ThreadId>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (first, second) = if pair.0 < pair.1 {
            pair
        } else {
            (pair.1, pair.0)
        };
        let done = sqlx::query(
            "UPDATE introduction_suggestions SET thread_id = $1, dismissed_at = $2 \
             WHERE workspace_id = $3 AND week_start = $4 AND first_id = $5 AND second_id = $6 \
             AND thread_id IS NULL AND dismissed_at IS NULL",
        )
        .bind(thread)
        .bind(thread.is_none().then_some(now.millis()))
        .bind(workspace)
        .bind(week_start.millis())
        .bind(first)
        .bind(second)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }
}
