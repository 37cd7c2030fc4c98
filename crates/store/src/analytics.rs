//! The interaction log in SQL, and the first activity measures over it.

use agora_core::accounts::WorkspaceId;
use agora_core::analytics::{InteractionStore, NewInteraction, SpaceActivity};
use agora_core::community::SpaceKind;
use agora_core::{StoreError, Timestamp};

use crate::{Db, flag, get, store_error};

impl InteractionStore for Db {
    async fn record_interactions(&self, interactions: &[NewInteraction]) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        for interaction in interactions {
            sqlx::query(
                "INSERT INTO interactions (workspace_id, space_id, actor_id, target_id, kind, at, day, source, actor_is_staff) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(interaction.workspace_id)
            .bind(interaction.space_id)
            .bind(interaction.actor_id)
            .bind(interaction.target_id)
            .bind(interaction.kind.as_str())
            .bind(interaction.at.millis())
            .bind(interaction.at.day())
            .bind(&interaction.source)
            .bind(flag(interaction.actor_is_staff))
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        }
        transaction.commit().await.map_err(store_error)
    }

    async fn space_activity(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<SpaceActivity>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.kind, COUNT(i.id) AS n_interactions, \
             CAST(COALESCE(SUM(CASE WHEN i.target_id IS NOT NULL AND i.target_id <> i.actor_id THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_directed, \
             CAST(COALESCE(SUM(CASE WHEN i.target_id IS NOT NULL AND i.target_id <> i.actor_id AND i.actor_is_staff = 0 AND t.is_staff = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_m2m, \
             COUNT(DISTINCT CASE WHEN i.actor_is_staff = 0 THEN i.actor_id END) AS n_active \
             FROM spaces s LEFT JOIN interactions i ON i.space_id = s.id AND i.at >= $2 \
             LEFT JOIN members t ON t.id = i.target_id \
             WHERE s.workspace_id = $1 GROUP BY s.id, s.name, s.kind ORDER BY s.kind, s.name",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "kind")?;
                Ok(SpaceActivity {
                    space_id: get(row, "id")?,
                    space_name: get(row, "name")?,
                    kind: SpaceKind::parse(&kind).unwrap_or(SpaceKind::Group),
                    n_interactions: get(row, "n_interactions")?,
                    n_directed: get(row, "n_directed")?,
                    n_member_to_member: get(row, "n_m2m")?,
                    n_active_members: get(row, "n_active")?,
                })
            })
            .collect()
    }

    async fn active_members(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT actor_id) AS n FROM interactions WHERE workspace_id = $1 AND at >= $2 AND actor_is_staff = 0",
        )
        .bind(workspace)
        .bind(since.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        get(&row, "n")
    }

    async fn daily_interactions(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, COUNT(*) AS n FROM interactions WHERE workspace_id = $1 AND at >= $2 AND at < $3 GROUP BY day ORDER BY day",
        )
        .bind(workspace)
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "day")?, get(row, "n")?)))
            .collect()
    }
}
