//! Members' identities, merges and unmerges, dismissed suggestions, tags and
//! notes in SQL. A merge only sets the merged row's `merged_into` (and keeps
//! a record); the interaction log reads a merged member as the kept one.

use agora_core::accounts::WorkspaceId;
use agora_core::identities::{Candidate, IdentityStore, Merge, Note};
use agora_core::members::MemberId;
use agora_core::{StoreError, Timestamp};

use crate::{Db, get, store_error};

impl IdentityStore for Db {
    async fn add_identity(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        network: &str,
        value: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO member_identities (workspace_id, member_id, network, value, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(workspace)
        .bind(member)
        .bind(network)
        .bind(value)
        .bind(at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn identities_of(&self, member: MemberId) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query(
            "SELECT i.network, i.value FROM member_identities i JOIN members m ON m.id = i.member_id \
             WHERE m.id = $1 OR m.merged_into = $1 ORDER BY i.network, i.value",
        )
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| Ok((get(row, "network")?, get(row, "value")?)))
        .collect()
    }

    async fn merge_candidates(&self, workspace: WorkspaceId) -> Result<Vec<Candidate>, StoreError> {
        let members = sqlx::query(
            "SELECT m.id, m.name, m.email, a.email AS account_email FROM members m \
             LEFT JOIN accounts a ON a.id = m.account_id \
             WHERE m.workspace_id = $1 AND m.merged_into IS NULL AND m.is_staff = 0 ORDER BY m.id",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        let mut candidates: Vec<Candidate> = Vec::with_capacity(members.len());
        let mut index = std::collections::HashMap::new();
        for row in &members {
            let id: i64 = get(row, "id")?;
            let emails: Vec<String> = [
                get::<Option<String>>(row, "email")?,
                get(row, "account_email")?,
            ]
            .into_iter()
            .flatten()
            .collect();
            index.insert(id, candidates.len());
            candidates.push(Candidate {
                id,
                name: get(row, "name")?,
                emails,
                ..Candidate::default()
            });
        }
        for row in sqlx::query(
            "SELECT COALESCE(m.merged_into, m.id) AS owner, i.network, i.value FROM member_identities i \
             JOIN members m ON m.id = i.member_id WHERE i.workspace_id = $1",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        {
            if let Some(at) = index.get(&get::<i64>(&row, "owner")?) {
                candidates[*at]
                    .identities
                    .push((get(&row, "network")?, get(&row, "value")?));
            }
        }
        for row in sqlx::query(
            "SELECT DISTINCT COALESCE(m.merged_into, m.id) AS owner, i.space_id FROM interactions i \
             JOIN members m ON m.id = i.actor_id WHERE i.workspace_id = $1",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        {
            if let Some(at) = index.get(&get::<i64>(&row, "owner")?) {
                candidates[*at].spaces.push(get(&row, "space_id")?);
            }
        }
        Ok(candidates)
    }

    async fn merge_skips(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<(MemberId, MemberId)>, StoreError> {
        sqlx::query(
            "SELECT first_id, second_id FROM merge_dismissals WHERE workspace_id = $1 \
             UNION SELECT kept_id, merged_id FROM member_merges WHERE workspace_id = $1 AND unmerged_at IS NULL",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| Ok((get(row, "first_id")?, get(row, "second_id")?)))
        .collect()
    }

    async fn dismiss_suggestion(
        &self,
        workspace: WorkspaceId,
        pair: (MemberId, MemberId),
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO merge_dismissals (workspace_id, first_id, second_id) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, first_id, second_id) DO NOTHING",
        )
        .bind(workspace)
        .bind(pair.0.min(pair.1))
        .bind(pair.0.max(pair.1))
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn merge_members(
        &self,
        workspace: WorkspaceId,
        kept: MemberId,
        merged: MemberId,
        reason: &str,
        by: MemberId,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        if kept == merged {
            return Err(StoreError::Conflict(
                "a member cannot be merged into itself".into(),
            ));
        }
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        // Both must be unmerged members of the workspace, and nobody may be merged into the merged one.
        let moved = sqlx::query(
            "UPDATE members SET merged_into = $1 WHERE id = $2 AND workspace_id = $3 AND merged_into IS NULL \
             AND EXISTS (SELECT 1 FROM members k WHERE k.id = $1 AND k.workspace_id = $3 AND k.merged_into IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM members c WHERE c.merged_into = $2)",
        )
        .bind(kept)
        .bind(merged)
        .bind(workspace)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?
        .rows_affected();
        if moved == 0 {
            return Err(StoreError::Conflict(
                "both members must be in the workspace and not merged already".into(),
            ));
        }
        let row = sqlx::query(
            "INSERT INTO member_merges (workspace_id, kept_id, merged_id, reason, merged_by, merged_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(workspace)
        .bind(kept)
        .bind(merged)
        .bind(reason)
        .bind(by)
        .bind(at.millis())
        .fetch_one(&mut *transaction)
        .await
        .map_err(store_error)?;
        let id = get(&row, "id")?;
        transaction.commit().await.map_err(store_error)?;
        Ok(id)
    }

    async fn unmerge(
        &self,
        workspace: WorkspaceId,
        merge: i64,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "UPDATE member_merges SET unmerged_at = $1 WHERE id = $2 AND workspace_id = $3 AND unmerged_at IS NULL \
             RETURNING merged_id",
        )
        .bind(at.millis())
        .bind(merge)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(false);
        };
        sqlx::query("UPDATE members SET merged_into = NULL WHERE id = $1")
            .bind(get::<i64>(&row, "merged_id")?)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn merges(&self, workspace: WorkspaceId) -> Result<Vec<Merge>, StoreError> {
        sqlx::query(
            "SELECT g.id, g.kept_id, k.name AS kept_name, g.merged_id, m.name AS merged_name, g.reason, g.merged_at, g.unmerged_at \
             FROM member_merges g JOIN members k ON k.id = g.kept_id JOIN members m ON m.id = g.merged_id \
             WHERE g.workspace_id = $1 ORDER BY g.id DESC",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            Ok(Merge {
                id: get(row, "id")?,
                kept_id: get(row, "kept_id")?,
                kept_name: get(row, "kept_name")?,
                merged_id: get(row, "merged_id")?,
                merged_name: get(row, "merged_name")?,
                reason: get(row, "reason")?,
                merged_at: Timestamp(get(row, "merged_at")?),
                unmerged_at: get::<Option<i64>>(row, "unmerged_at")?.map(Timestamp),
            })
        })
        .collect()
    }

    async fn set_member_tags(&self, member: MemberId, tags: &[String]) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM member_tags WHERE member_id = $1")
            .bind(member)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        for tag in tags {
            sqlx::query("INSERT INTO member_tags (member_id, tag) VALUES ($1, $2) ON CONFLICT (member_id, tag) DO NOTHING")
                .bind(member)
                .bind(tag)
                .execute(&mut *transaction)
                .await
                .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn member_tags(&self, member: MemberId) -> Result<Vec<String>, StoreError> {
        sqlx::query("SELECT tag FROM member_tags WHERE member_id = $1 ORDER BY tag")
            .bind(member)
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?
            .iter()
            .map(|row| get(row, "tag"))
            .collect()
    }

    async fn add_note(
        &self,
        member: MemberId,
        author: MemberId,
        text: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO member_notes (member_id, author_id, text, created_at) VALUES ($1, $2, $3, $4)")
            .bind(member)
            .bind(author)
            .bind(text)
            .bind(at.millis())
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn notes_of(&self, member: MemberId) -> Result<Vec<Note>, StoreError> {
        sqlx::query(
            "SELECT n.id, a.name AS author_name, n.text, n.created_at FROM member_notes n JOIN members a ON a.id = n.author_id \
             JOIN members m ON m.id = n.member_id WHERE m.id = $1 OR m.merged_into = $1 ORDER BY n.id DESC",
        )
        .bind(member)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| {
            Ok(Note {
                id: get(row, "id")?,
                author_name: get(row, "author_name")?,
                text: get(row, "text")?,
                created_at: Timestamp(get(row, "created_at")?),
            })
        })
        .collect()
    }
}
