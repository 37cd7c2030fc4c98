//! Moderation in SQL: settings and the code of conduct, auto-moderation
//! rules, review items with their flags, sanctions, the moderation log,
//! appeals, and trust levels with the visits and reads they come from.

use agora_core::accounts::WorkspaceId;
use agora_core::automod::{Matcher, NewRule, Rule, RuleAction};
use agora_core::community::SpaceId;
use agora_core::members::MemberId;
use agora_core::moderation::{
    ActionEntry, Appeal, AppealStatus, ContentInfo, ContentRef, ContentState, Flag, FlagReason,
    Flagged, ModerationSettings, ModerationStore, NewAction, NewFlag, NewReviewItem, NewSanction,
    ReviewFilter, ReviewItem, ReviewKind, ReviewStatus, Sanction, SanctionKind, ToxicityAction,
    TrustInputs, TrustRow, TrustState,
};
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::community::{REPLY_KEY, THREAD_KEY};
use crate::{Db, flag, get, store_error};

const DAY_MILLIS: i64 = 86_400_000;

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("unknown {what} {value:?}"))
}

fn content_of(row: &AnyRow) -> Result<Option<ContentRef>, StoreError> {
    let kind: Option<String> = get(row, "content_kind")?;
    let id: Option<i64> = get(row, "content_id")?;
    Ok(match (kind, id) {
        (Some(kind), Some(id)) => {
            Some(ContentRef::from_parts(&kind, id).ok_or_else(|| bad("content kind", &kind))?)
        }
        _ => None,
    })
}

fn rule_from(row: &AnyRow) -> Result<Rule, StoreError> {
    let matcher: String = get(row, "matcher")?;
    let action: String = get(row, "action")?;
    Ok(Rule {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        space_id: get(row, "space_id")?,
        matcher: Matcher::parse(&matcher).ok_or_else(|| bad("matcher", &matcher))?,
        pattern: get(row, "pattern")?,
        action: RuleAction::parse(&action).ok_or_else(|| bad("rule action", &action))?,
        note: get(row, "note")?,
        created_by: get(row, "created_by")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

const ITEM_SELECT: &str = "SELECT i.id, i.workspace_id, i.space_id, s.name AS space_name, i.kind, i.status, i.content_kind, \
     i.content_id, i.subject_id, m.name AS subject_name, i.payload, i.reasons, i.score, i.claimed_by, c.name AS claimed_by_name, \
     i.decided_by, i.action, i.created_at, i.decided_at \
     FROM review_items i JOIN members m ON m.id = i.subject_id LEFT JOIN spaces s ON s.id = i.space_id \
     LEFT JOIN members c ON c.id = i.claimed_by";

fn item_from(row: &AnyRow) -> Result<ReviewItem, StoreError> {
    let kind: String = get(row, "kind")?;
    let status: String = get(row, "status")?;
    let payload: String = get(row, "payload")?;
    let reasons: String = get(row, "reasons")?;
    Ok(ReviewItem {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        space_id: get(row, "space_id")?,
        space_name: get(row, "space_name")?,
        kind: ReviewKind::parse(&kind).ok_or_else(|| bad("review kind", &kind))?,
        status: ReviewStatus::parse(&status).ok_or_else(|| bad("review status", &status))?,
        content: content_of(row)?,
        subject_id: get(row, "subject_id")?,
        subject_name: get(row, "subject_name")?,
        payload: serde_json::from_str(&payload).map_err(|e| StoreError::Backend(e.to_string()))?,
        reasons: serde_json::from_str(&reasons).map_err(|e| StoreError::Backend(e.to_string()))?,
        score: get(row, "score")?,
        claimed_by: get(row, "claimed_by")?,
        claimed_by_name: get(row, "claimed_by_name")?,
        decided_by: get(row, "decided_by")?,
        action: get(row, "action")?,
        created_at: Timestamp(get(row, "created_at")?),
        decided_at: get::<Option<i64>>(row, "decided_at")?.map(Timestamp),
    })
}

const SANCTION_SELECT: &str = "SELECT x.id, x.workspace_id, x.member_id, x.kind, x.space_id, x.content_kind, x.content_id, \
     x.reason, x.rule, x.created_by, x.created_at, x.expires_at, x.ended_at, x.ended_reason, x.acknowledged_at, \
     (SELECT MIN(a.id) FROM moderation_actions a WHERE a.sanction_id = x.id) AS action_id FROM sanctions x";

fn sanction_from(row: &AnyRow) -> Result<Sanction, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(Sanction {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        member_id: get(row, "member_id")?,
        kind: SanctionKind::parse(&kind).ok_or_else(|| bad("sanction kind", &kind))?,
        space_id: get(row, "space_id")?,
        content: content_of(row)?,
        reason: get(row, "reason")?,
        rule: get(row, "rule")?,
        created_by: get(row, "created_by")?,
        created_at: Timestamp(get(row, "created_at")?),
        expires_at: get::<Option<i64>>(row, "expires_at")?.map(Timestamp),
        ended_at: get::<Option<i64>>(row, "ended_at")?.map(Timestamp),
        ended_reason: get(row, "ended_reason")?,
        acknowledged_at: get::<Option<i64>>(row, "acknowledged_at")?.map(Timestamp),
        action_id: get(row, "action_id")?,
    })
}

const ACTION_SELECT: &str = "SELECT a.id, a.workspace_id, a.space_id, s.name AS space_name, a.moderator_id, md.name AS moderator_name, \
     a.action, a.subject_id, sb.name AS subject_name, a.content_kind, a.content_id, a.reason, a.public, a.sanction_id, \
     a.review_item_id, a.created_at FROM moderation_actions a LEFT JOIN spaces s ON s.id = a.space_id \
     LEFT JOIN members md ON md.id = a.moderator_id LEFT JOIN members sb ON sb.id = a.subject_id";

fn action_from(row: &AnyRow) -> Result<ActionEntry, StoreError> {
    Ok(ActionEntry {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        space_id: get(row, "space_id")?,
        space_name: get(row, "space_name")?,
        moderator_id: get(row, "moderator_id")?,
        moderator_name: get(row, "moderator_name")?,
        action: get(row, "action")?,
        subject_id: get(row, "subject_id")?,
        subject_name: get(row, "subject_name")?,
        content: content_of(row)?,
        reason: get(row, "reason")?,
        public: get::<i64>(row, "public")? != 0,
        sanction_id: get(row, "sanction_id")?,
        review_item_id: get(row, "review_item_id")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn appeal_from(row: &AnyRow) -> Result<Appeal, StoreError> {
    let status: String = get(row, "status")?;
    Ok(Appeal {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        action_id: get(row, "action_id")?,
        member_id: get(row, "member_id")?,
        text: get(row, "text")?,
        status: AppealStatus::parse(&status).ok_or_else(|| bad("appeal status", &status))?,
        decided_by: get(row, "decided_by")?,
        decided_at: get::<Option<i64>>(row, "decided_at")?.map(Timestamp),
        note: get(row, "note")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

const APPEAL_COLUMNS: &str = "id, workspace_id, action_id, member_id, text, status, decided_by, decided_at, note, created_at";

impl Db {
    async fn ensure_settings(&self, workspace: WorkspaceId) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO moderation_settings (workspace_id) VALUES ($1) ON CONFLICT (workspace_id) DO NOTHING")
            .bind(workspace)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn bump_rules_version(&self, workspace: WorkspaceId) -> Result<(), StoreError> {
        self.ensure_settings(workspace).await?;
        sqlx::query("UPDATE moderation_settings SET rules_version = rules_version + 1 WHERE workspace_id = $1")
            .bind(workspace)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

impl ModerationStore for Db {
    async fn moderation_settings(
        &self,
        workspace: WorkspaceId,
    ) -> Result<ModerationSettings, StoreError> {
        let row = sqlx::query(
            "SELECT conduct, conduct_version, hide_threshold, log_shows_names, toxicity_action, new_member_links, rules_version, \
             approve_new_members \
             FROM moderation_settings WHERE workspace_id = $1",
        )
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(ModerationSettings::default());
        };
        let toxicity: String = get(&row, "toxicity_action")?;
        Ok(ModerationSettings {
            conduct: get(&row, "conduct")?,
            conduct_version: get(&row, "conduct_version")?,
            hide_threshold: get(&row, "hide_threshold")?,
            log_shows_names: get::<i64>(&row, "log_shows_names")? != 0,
            toxicity_action: ToxicityAction::parse(&toxicity)
                .ok_or_else(|| bad("toxicity action", &toxicity))?,
            new_member_links: get(&row, "new_member_links")?,
            rules_version: get(&row, "rules_version")?,
            approve_new_members: get::<i64>(&row, "approve_new_members")? != 0,
        })
    }

    async fn save_moderation_settings(
        &self,
        workspace: WorkspaceId,
        settings: &ModerationSettings,
    ) -> Result<(), StoreError> {
        self.ensure_settings(workspace).await?;
        sqlx::query(
            "UPDATE moderation_settings SET hide_threshold = $1, log_shows_names = $2, toxicity_action = $3, \
             new_member_links = $4, approve_new_members = $5 WHERE workspace_id = $6",
        )
        .bind(settings.hide_threshold)
        .bind(flag(settings.log_shows_names))
        .bind(settings.toxicity_action.as_str())
        .bind(settings.new_member_links)
        .bind(flag(settings.approve_new_members))
        .bind(workspace)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn set_conduct(&self, workspace: WorkspaceId, conduct: &str) -> Result<i64, StoreError> {
        self.ensure_settings(workspace).await?;
        let row = sqlx::query(
            "UPDATE moderation_settings SET conduct = $1, conduct_version = conduct_version + 1 \
             WHERE workspace_id = $2 RETURNING conduct_version",
        )
        .bind(conduct)
        .bind(workspace)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "conduct_version")
    }

    async fn accept_conduct(
        &self,
        member: MemberId,
        version: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO conduct_acceptances (member_id, version, accepted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, version) DO NOTHING",
        )
        .bind(member)
        .bind(version)
        .bind(at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn accepted_conduct(&self, member: MemberId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) AS version FROM conduct_acceptances WHERE member_id = $1",
        )
        .bind(member)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "version")
    }

    async fn automod_rules(&self, workspace: WorkspaceId) -> Result<Vec<Rule>, StoreError> {
        sqlx::query(
            "SELECT id, workspace_id, space_id, matcher, pattern, action, note, created_by, created_at \
             FROM automod_rules WHERE workspace_id = $1 ORDER BY id",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(rule_from)
        .collect()
    }

    async fn create_automod_rule(&self, rule: &NewRule) -> Result<Rule, StoreError> {
        let row = sqlx::query(
            "INSERT INTO automod_rules (workspace_id, space_id, matcher, pattern, action, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id, workspace_id, space_id, matcher, pattern, action, note, created_by, created_at",
        )
        .bind(rule.workspace_id)
        .bind(rule.space_id)
        .bind(rule.matcher.as_str())
        .bind(&rule.pattern)
        .bind(rule.action.as_str())
        .bind(&rule.note)
        .bind(rule.created_by)
        .bind(rule.created_at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        self.bump_rules_version(rule.workspace_id).await?;
        rule_from(&row)
    }

    async fn delete_automod_rule(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM automod_rules WHERE workspace_id = $1 AND id = $2")
            .bind(workspace)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(store_error)?
            .rows_affected()
            > 0;
        if done {
            self.bump_rules_version(workspace).await?;
        }
        Ok(done)
    }

    async fn content_info(
        &self,
        workspace: WorkspaceId,
        content: ContentRef,
    ) -> Result<Option<ContentInfo>, StoreError> {
        let sql = match content {
            ContentRef::Thread(_) => {
                "SELECT t.id AS thread_id, t.space_id, t.author_id, m.name AS author_name, t.title, t.body, t.moderation \
                 FROM threads t JOIN spaces s ON s.id = t.space_id JOIN members m ON m.id = t.author_id \
                 WHERE t.id = $1 AND s.workspace_id = $2"
            }
            ContentRef::Reply(_) => {
                "SELECT t.id AS thread_id, t.space_id, r.author_id, m.name AS author_name, t.title, r.body, r.moderation \
                 FROM replies r JOIN threads t ON t.id = r.thread_id JOIN spaces s ON s.id = t.space_id \
                 JOIN members m ON m.id = r.author_id WHERE r.id = $1 AND s.workspace_id = $2"
            }
        };
        let row = sqlx::query(sql)
            .bind(content.id())
            .bind(workspace)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| {
            let state: String = get(&row, "moderation")?;
            Ok(ContentInfo {
                content,
                workspace_id: workspace,
                space_id: get(&row, "space_id")?,
                thread_id: get(&row, "thread_id")?,
                author_id: get(&row, "author_id")?,
                author_name: get(&row, "author_name")?,
                title: get(&row, "title")?,
                body: get(&row, "body")?,
                state: ContentState::parse(&state).ok_or_else(|| bad("content state", &state))?,
            })
        })
        .transpose()
    }

    async fn set_content_state(
        &self,
        content: ContentRef,
        state: ContentState,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let (table, key, insert) = match content {
            ContentRef::Thread(_) => (
                "threads",
                format!("(SELECT {THREAD_KEY} FROM threads t WHERE t.id = $1)"),
                format!(
                    "INSERT INTO search_index ({}, title, body, thread_id, reply_id, space_id) \
                     SELECT {THREAD_KEY}, t.title, t.body, t.id, NULL, t.space_id FROM threads t WHERE t.id = $1",
                    self.search_key()
                ),
            ),
            ContentRef::Reply(_) => (
                "replies",
                format!("(SELECT {REPLY_KEY} FROM replies r WHERE r.id = $1)"),
                format!(
                    "INSERT INTO search_index ({}, title, body, thread_id, reply_id, space_id) \
                     SELECT {REPLY_KEY}, t.title, r.body, t.id, r.id, t.space_id FROM replies r \
                     JOIN threads t ON t.id = r.thread_id WHERE r.id = $1 AND r.deleted_at IS NULL",
                    self.search_key()
                ),
            ),
        };
        let before = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT moderation FROM {table} WHERE id = $1"
        )))
        .bind(content.id())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(store_error)?;
        let Some(before) = before else {
            return Err(StoreError::NotFound);
        };
        let before: String = get(&before, "moderation")?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET moderation = $1 WHERE id = $2"
        )))
        .bind(state.as_str())
        .bind(content.id())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        // Only visible content is found by search.
        let was_visible = before == ContentState::Visible.as_str();
        let now_visible = state == ContentState::Visible;
        if was_visible && !now_visible {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM search_index WHERE {} = {key}",
                self.search_key()
            )))
            .bind(content.id())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        } else if !was_visible && now_visible {
            sqlx::query(sqlx::AssertSqlSafe(insert))
                .bind(content.id())
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn recent_bodies(
        &self,
        member: MemberId,
        since: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query(
            "SELECT body, created_at FROM threads WHERE author_id = $1 AND created_at >= $2 \
             UNION ALL SELECT body, created_at FROM replies WHERE author_id = $1 AND created_at >= $2 AND deleted_at IS NULL \
             ORDER BY created_at DESC LIMIT 500",
        )
        .bind(member)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| get(row, "body"))
        .collect()
    }

    async fn create_review_item(&self, item: &NewReviewItem) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO review_items (workspace_id, space_id, kind, content_kind, content_id, subject_id, payload, reasons, score, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(item.workspace_id)
        .bind(item.space_id)
        .bind(item.kind.as_str())
        .bind(item.content.map(ContentRef::kind))
        .bind(item.content.map(ContentRef::id))
        .bind(item.subject_id)
        .bind(item.payload.to_string())
        .bind(serde_json::to_string(&item.reasons).map_err(|e| StoreError::Backend(e.to_string()))?)
        .bind(item.score)
        .bind(item.created_at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn review_item(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<ReviewItem>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_SELECT} WHERE i.id = $1 AND i.workspace_id = $2"
        )))
        .bind(id)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?
        .as_ref()
        .map(item_from)
        .transpose()
    }

    async fn review_items(
        &self,
        workspace: WorkspaceId,
        filter: &ReviewFilter,
    ) -> Result<Vec<ReviewItem>, StoreError> {
        let mut sql = format!("{ITEM_SELECT} WHERE i.workspace_id = $1");
        if let Some(status) = filter.status {
            sql.push_str(&format!(" AND i.status = '{}'", status.as_str()));
        }
        if let Some(kind) = filter.kind {
            sql.push_str(&format!(" AND i.kind = '{}'", kind.as_str()));
        }
        if let Some(spaces) = &filter.spaces {
            let list: Vec<String> = spaces.iter().map(i64::to_string).collect();
            let list = if list.is_empty() {
                "-1".to_owned()
            } else {
                list.join(",")
            };
            sql.push_str(&format!(" AND i.space_id IN ({list})"));
        }
        // Pending items oldest first (a queue); decided ones newest first.
        if filter.status == Some(ReviewStatus::Pending) {
            sql.push_str(" ORDER BY i.score DESC, i.id");
        } else {
            sql.push_str(" ORDER BY i.id DESC");
        }
        sql.push_str(&format!(" LIMIT {}", filter.limit.clamp(1, 500)));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(workspace)
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?
            .iter()
            .map(item_from)
            .collect()
    }

    async fn claim_review_item(
        &self,
        id: i64,
        member: MemberId,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE review_items SET claimed_by = $1, claimed_at = $2 \
             WHERE id = $3 AND status = 'pending' AND (claimed_by IS NULL OR claimed_by = $1)",
        )
        .bind(member)
        .bind(at.millis())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(store_error)?
        .rows_affected()
            > 0)
    }

    async fn decide_review_item(
        &self,
        id: i64,
        status: ReviewStatus,
        by: MemberId,
        action: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE review_items SET status = $1, decided_by = $2, action = $3, decided_at = $4 \
             WHERE id = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(by)
        .bind(action)
        .bind(at.millis())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(store_error)?
        .rows_affected()
            > 0)
    }

    async fn pending_review_item(
        &self,
        kind: ReviewKind,
        space: Option<SpaceId>,
        subject: MemberId,
    ) -> Result<Option<i64>, StoreError> {
        let space_clause = match space {
            Some(space) => format!("space_id = {space}"),
            None => "space_id IS NULL".to_owned(),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM review_items WHERE subject_id = $1 AND kind = $2 AND status = 'pending' \
             AND {space_clause} ORDER BY id LIMIT 1"
        )))
        .bind(subject)
        .bind(kind.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| get(&row, "id")).transpose()
    }

    async fn add_flag(&self, new: &NewFlag) -> Result<Flagged, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let existing = sqlx::query(
            "SELECT id FROM review_items WHERE content_kind = $1 AND content_id = $2 AND kind = 'flagged' \
             AND status = 'pending' ORDER BY id LIMIT 1",
        )
        .bind(new.content.kind())
        .bind(new.content.id())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(store_error)?;
        let item: i64 = match existing {
            Some(row) => get(&row, "id")?,
            None => {
                let row = sqlx::query(
                    "INSERT INTO review_items (workspace_id, space_id, kind, content_kind, content_id, subject_id, created_at) \
                     VALUES ($1, $2, 'flagged', $3, $4, $5, $6) RETURNING id",
                )
                .bind(new.workspace_id)
                .bind(new.space_id)
                .bind(new.content.kind())
                .bind(new.content.id())
                .bind(new.author_id)
                .bind(new.created_at.millis())
                .fetch_one(&mut *transaction)
                .await
                .map_err(store_error)?;
                get(&row, "id")?
            }
        };
        sqlx::query(
            "INSERT INTO flags (workspace_id, review_item_id, content_kind, content_id, flagger_id, reason, note, weight, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new.workspace_id)
        .bind(item)
        .bind(new.content.kind())
        .bind(new.content.id())
        .bind(new.flagger_id)
        .bind(new.reason.as_str())
        .bind(&new.note)
        .bind(new.weight)
        .bind(new.created_at.millis())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        let row =
            sqlx::query("UPDATE review_items SET score = score + $1 WHERE id = $2 RETURNING score")
                .bind(new.weight)
                .bind(item)
                .fetch_one(&mut *transaction)
                .await
                .map_err(store_error)?;
        let score = get(&row, "score")?;
        transaction.commit().await.map_err(store_error)?;
        Ok(Flagged {
            review_item_id: item,
            score,
        })
    }

    async fn flags_of_item(&self, item: i64) -> Result<Vec<Flag>, StoreError> {
        sqlx::query(
            "SELECT f.id, f.flagger_id, m.name AS flagger_name, f.reason, f.note, f.weight, f.created_at \
             FROM flags f JOIN members m ON m.id = f.flagger_id WHERE f.review_item_id = $1 ORDER BY f.id",
        )
        .bind(item)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            let reason: String = get(row, "reason")?;
            Ok(Flag {
                id: get(row, "id")?,
                flagger_id: get(row, "flagger_id")?,
                flagger_name: get(row, "flagger_name")?,
                reason: FlagReason::parse(&reason).ok_or_else(|| bad("flag reason", &reason))?,
                note: get(row, "note")?,
                weight: get(row, "weight")?,
                created_at: Timestamp(get(row, "created_at")?),
            })
        })
        .collect()
    }

    async fn set_flag_outcomes(&self, item: i64, status: ReviewStatus) -> Result<(), StoreError> {
        sqlx::query("UPDATE flags SET outcome = $1 WHERE review_item_id = $2")
            .bind(status.as_str())
            .bind(item)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn flag_record(&self, member: MemberId) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN outcome = 'agreed' THEN 1 ELSE 0 END), 0) AS agreed, \
             COALESCE(SUM(CASE WHEN outcome = 'disagreed' THEN 1 ELSE 0 END), 0) AS disagreed \
             FROM flags WHERE flagger_id = $1",
        )
        .bind(member)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        Ok((get(&row, "agreed")?, get(&row, "disagreed")?))
    }

    async fn create_sanction(&self, sanction: &NewSanction) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO sanctions (workspace_id, member_id, kind, space_id, content_kind, content_id, reason, rule, \
             created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(sanction.workspace_id)
        .bind(sanction.member_id)
        .bind(sanction.kind.as_str())
        .bind(sanction.space_id)
        .bind(sanction.content.map(ContentRef::kind))
        .bind(sanction.content.map(ContentRef::id))
        .bind(&sanction.reason)
        .bind(&sanction.rule)
        .bind(sanction.created_by)
        .bind(sanction.created_at.millis())
        .bind(sanction.expires_at.map(Timestamp::millis))
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn sanction(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<Sanction>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SANCTION_SELECT} WHERE x.id = $1 AND x.workspace_id = $2"
        )))
        .bind(id)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?
        .as_ref()
        .map(sanction_from)
        .transpose()
    }

    async fn sanctions_of(&self, member: MemberId) -> Result<Vec<Sanction>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SANCTION_SELECT} WHERE x.member_id = $1 ORDER BY x.id DESC"
        )))
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(sanction_from)
        .collect()
    }

    async fn end_sanction(&self, id: i64, reason: &str, at: Timestamp) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE sanctions SET ended_at = $1, ended_reason = $2 WHERE id = $3 AND ended_at IS NULL",
        )
        .bind(at.millis())
        .bind(reason)
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(store_error)?
        .rows_affected()
            > 0)
    }

    async fn acknowledge_warning(
        &self,
        member: MemberId,
        id: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sanctions SET acknowledged_at = $1 WHERE id = $2 AND member_id = $3 AND acknowledged_at IS NULL",
        )
        .bind(at.millis())
        .bind(id)
        .bind(member)
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn log_action(&self, action: &NewAction) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO moderation_actions (workspace_id, space_id, moderator_id, action, subject_id, content_kind, \
             content_id, reason, public, sanction_id, review_item_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(action.workspace_id)
        .bind(action.space_id)
        .bind(action.moderator_id)
        .bind(&action.action)
        .bind(action.subject_id)
        .bind(action.content.map(ContentRef::kind))
        .bind(action.content.map(ContentRef::id))
        .bind(&action.reason)
        .bind(flag(action.public))
        .bind(action.sanction_id)
        .bind(action.review_item_id)
        .bind(action.created_at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn moderation_log(
        &self,
        workspace: WorkspaceId,
        public_only: bool,
        limit: i64,
    ) -> Result<Vec<ActionEntry>, StoreError> {
        let public = if public_only { " AND a.public = 1" } else { "" };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACTION_SELECT} WHERE a.workspace_id = $1{public} ORDER BY a.id DESC LIMIT $2"
        )))
        .bind(workspace)
        .bind(limit.clamp(1, 1_000))
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(action_from)
        .collect()
    }

    async fn action_entry(
        &self,
        workspace: WorkspaceId,
        id: i64,
    ) -> Result<Option<ActionEntry>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACTION_SELECT} WHERE a.id = $1 AND a.workspace_id = $2"
        )))
        .bind(id)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?
        .as_ref()
        .map(action_from)
        .transpose()
    }

    async fn actions_about(&self, member: MemberId) -> Result<Vec<ActionEntry>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ACTION_SELECT} WHERE a.subject_id = $1 AND a.public = 1 ORDER BY a.id DESC LIMIT 100"
        )))
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(action_from)
        .collect()
    }

    async fn create_appeal(
        &self,
        workspace: WorkspaceId,
        action: i64,
        member: MemberId,
        text: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO appeals (workspace_id, action_id, member_id, text, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(workspace)
        .bind(action)
        .bind(member)
        .bind(text)
        .bind(at.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "id")
    }

    async fn appeal(&self, workspace: WorkspaceId, id: i64) -> Result<Option<Appeal>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1 AND workspace_id = $2"
        )))
        .bind(id)
        .bind(workspace)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?
        .as_ref()
        .map(appeal_from)
        .transpose()
    }

    async fn appeals_of(&self, member: MemberId) -> Result<Vec<Appeal>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE member_id = $1 ORDER BY id DESC"
        )))
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(appeal_from)
        .collect()
    }

    async fn decide_appeal(
        &self,
        id: i64,
        status: AppealStatus,
        by: MemberId,
        note: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE appeals SET status = $1, decided_by = $2, note = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(by)
        .bind(note)
        .bind(at.millis())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(store_error)?
        .rows_affected()
            > 0)
    }

    async fn moderated_groups(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
    ) -> Result<Vec<SpaceId>, StoreError> {
        sqlx::query(
            "SELECT g.space_id FROM group_members g JOIN spaces s ON s.id = g.space_id \
             WHERE s.workspace_id = $1 AND g.member_id = $2 AND g.active = 1 AND g.role IN ('owner', 'moderator') \
             ORDER BY g.space_id",
        )
        .bind(workspace)
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| get(row, "space_id"))
        .collect()
    }

    async fn record_visit(&self, member: MemberId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO member_visits (member_id, day) VALUES ($1, $2) ON CONFLICT (member_id, day) DO NOTHING")
            .bind(member)
            .bind(at.millis().div_euclid(DAY_MILLIS))
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn record_thread_read(
        &self,
        member: MemberId,
        thread: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO thread_reads (member_id, thread_id, read_at) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, thread_id) DO NOTHING",
        )
        .bind(member)
        .bind(thread)
        .bind(at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn trust_inputs(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<(MemberId, TrustInputs)>, StoreError> {
        let since_day = since.millis().div_euclid(DAY_MILLIS);
        let rows = sqlx::query(
            "SELECT m.id, \
             (SELECT COUNT(*) FROM member_visits v WHERE v.member_id = m.id AND v.day >= $2) AS days_visited, \
             (SELECT COUNT(*) FROM interactions i WHERE i.actor_id = m.id AND i.kind = 'reply' AND i.day >= $2) AS replies, \
             (SELECT COUNT(*) FROM interactions i WHERE i.actor_id = m.id AND i.kind = 'reaction' AND i.day >= $2) AS reactions_given, \
             (SELECT COUNT(*) FROM thread_reads r WHERE r.member_id = m.id AND r.read_at >= $3) AS threads_read, \
             (SELECT COUNT(*) FROM flags f WHERE f.flagger_id = m.id AND f.outcome = 'agreed') AS flags_agreed, \
             (SELECT COUNT(*) FROM flags f WHERE f.flagger_id = m.id AND f.outcome = 'disagreed') AS flags_disagreed, \
             (SELECT COUNT(*) FROM review_items x WHERE x.subject_id = m.id AND x.kind IN ('flagged', 'held') \
                AND x.status = 'agreed' AND x.created_at >= $3) AS flagged_posts \
             FROM members m WHERE m.workspace_id = $1 AND m.is_staff = 0 ORDER BY m.id",
        )
        .bind(workspace)
        .bind(since_day)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let received = sqlx::query(
            "SELECT target_id, COUNT(*) AS n FROM interactions WHERE workspace_id = $1 AND kind = 'reaction' \
             AND day >= $2 AND target_id IS NOT NULL GROUP BY target_id",
        )
        .bind(workspace)
        .bind(since_day)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut received_by: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        for row in &received {
            received_by.insert(get(row, "target_id")?, get(row, "n")?);
        }
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, "id")?;
                Ok((
                    id,
                    TrustInputs {
                        days_visited: get(row, "days_visited")?,
                        replies: get(row, "replies")?,
                        reactions_given: get(row, "reactions_given")?,
                        reactions_received: received_by.get(&id).copied().unwrap_or(0),
                        threads_read: get(row, "threads_read")?,
                        flags_agreed: get(row, "flags_agreed")?,
                        flags_disagreed: get(row, "flags_disagreed")?,
                        flagged_posts: get(row, "flagged_posts")?,
                    },
                ))
            })
            .collect()
    }

    async fn trust_of(&self, member: MemberId) -> Result<TrustState, StoreError> {
        let row =
            sqlx::query("SELECT level, locked, below_since FROM member_trust WHERE member_id = $1")
                .bind(member)
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(TrustState::default());
        };
        Ok(TrustState {
            level: u8::try_from(get::<i64>(&row, "level")?.clamp(0, 4)).unwrap_or(0),
            locked: get::<i64>(&row, "locked")? != 0,
            below_since: get::<Option<i64>>(&row, "below_since")?.map(Timestamp),
        })
    }

    async fn save_trust(
        &self,
        member: MemberId,
        state: &TrustState,
        inputs: &TrustInputs,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let inputs =
            serde_json::to_string(inputs).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "INSERT INTO member_trust (member_id, level, locked, below_since, inputs, computed_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (member_id) DO UPDATE SET level = excluded.level, locked = excluded.locked, \
             below_since = excluded.below_since, inputs = excluded.inputs, computed_at = excluded.computed_at",
        )
        .bind(member)
        .bind(i64::from(state.level))
        .bind(flag(state.locked))
        .bind(state.below_since.map(Timestamp::millis))
        .bind(inputs)
        .bind(at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn trust_rows(&self, workspace: WorkspaceId) -> Result<Vec<TrustRow>, StoreError> {
        sqlx::query(
            "SELECT m.id, m.name, t.level, t.locked, t.below_since, t.inputs, t.computed_at FROM members m \
             LEFT JOIN member_trust t ON t.member_id = m.id WHERE m.workspace_id = $1 AND m.is_staff = 0 \
             ORDER BY COALESCE(t.level, 0) DESC, m.name",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            let inputs: Option<String> = get(row, "inputs")?;
            let inputs: TrustInputs = match inputs {
                Some(text) => serde_json::from_str(&text).unwrap_or_default(),
                None => TrustInputs::default(),
            };
            Ok(TrustRow {
                member_id: get(row, "id")?,
                name: get(row, "name")?,
                state: TrustState {
                    level: u8::try_from(get::<Option<i64>>(row, "level")?.unwrap_or(0).clamp(0, 4))
                        .unwrap_or(0),
                    locked: get::<Option<i64>>(row, "locked")?.unwrap_or(0) != 0,
                    below_since: get::<Option<i64>>(row, "below_since")?.map(Timestamp),
                },
                inputs,
                computed_at: get::<Option<i64>>(row, "computed_at")?.map(Timestamp),
            })
        })
        .collect()
    }

    async fn backfill_participation(&self, workspace: WorkspaceId) -> Result<(), StoreError> {
        for sql in [
            "INSERT INTO member_visits (member_id, day) SELECT DISTINCT actor_id, day FROM interactions \
             WHERE workspace_id = $1 ON CONFLICT (member_id, day) DO NOTHING",
            "INSERT INTO thread_reads (member_id, thread_id, read_at) \
             SELECT r.author_id, r.thread_id, MIN(r.created_at) FROM replies r JOIN threads t ON t.id = r.thread_id \
             JOIN spaces s ON s.id = t.space_id WHERE s.workspace_id = $1 GROUP BY r.author_id, r.thread_id \
             ON CONFLICT (member_id, thread_id) DO NOTHING",
            "INSERT INTO thread_reads (member_id, thread_id, read_at) \
             SELECT t.author_id, t.id, t.created_at FROM threads t JOIN spaces s ON s.id = t.space_id \
             WHERE s.workspace_id = $1 ON CONFLICT (member_id, thread_id) DO NOTHING",
        ] {
            sqlx::query(sql)
                .bind(workspace)
                .execute(self.pool())
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }
}
