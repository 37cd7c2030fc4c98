//! Schema migrations, one SQL file per step and per dialect, embedded in the
//! binary and applied in order at start-up.

use agora_core::StoreError;
use sqlx::Row;

use crate::{Backend, Db, store_error};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "community",
        sqlite: include_str!("../migrations/sqlite/0002_community.sql"),
        postgres: include_str!("../migrations/postgres/0002_community.sql"),
    },
    Migration {
        version: 3,
        name: "welcome",
        sqlite: include_str!("../migrations/sqlite/0003_welcome.sql"),
        postgres: include_str!("../migrations/postgres/0003_welcome.sql"),
    },
    Migration {
        version: 4,
        name: "publishing",
        sqlite: include_str!("../migrations/sqlite/0004_publishing.sql"),
        postgres: include_str!("../migrations/postgres/0004_publishing.sql"),
    },
    Migration {
        version: 5,
        name: "events",
        sqlite: include_str!("../migrations/sqlite/0005_events.sql"),
        postgres: include_str!("../migrations/postgres/0005_events.sql"),
    },
    Migration {
        version: 6,
        name: "desk",
        sqlite: include_str!("../migrations/sqlite/0006_desk.sql"),
        postgres: include_str!("../migrations/postgres/0006_desk.sql"),
    },
    Migration {
        version: 7,
        name: "slots",
        sqlite: include_str!("../migrations/sqlite/0007_slots.sql"),
        postgres: include_str!("../migrations/postgres/0007_slots.sql"),
    },
    Migration {
        version: 8,
        name: "calendar",
        sqlite: include_str!("../migrations/sqlite/0008_calendar.sql"),
        postgres: include_str!("../migrations/postgres/0008_calendar.sql"),
    },
    Migration {
        version: 9,
        name: "moderation",
        sqlite: include_str!("../migrations/sqlite/0009_moderation.sql"),
        postgres: include_str!("../migrations/postgres/0009_moderation.sql"),
    },
    Migration {
        version: 10,
        name: "analytics",
        sqlite: include_str!("../migrations/sqlite/0010_analytics.sql"),
        postgres: include_str!("../migrations/postgres/0010_analytics.sql"),
    },
    Migration {
        version: 11,
        name: "attribution",
        sqlite: include_str!("../migrations/sqlite/0011_attribution.sql"),
        postgres: include_str!("../migrations/postgres/0011_attribution.sql"),
    },
    Migration {
        version: 12,
        name: "identities",
        sqlite: include_str!("../migrations/sqlite/0012_identities.sql"),
        postgres: include_str!("../migrations/postgres/0012_identities.sql"),
    },
    Migration {
        version: 13,
        name: "followers",
        sqlite: include_str!("../migrations/sqlite/0013_followers.sql"),
        postgres: include_str!("../migrations/postgres/0013_followers.sql"),
    },
    Migration {
        version: 14,
        name: "link_clicks",
        sqlite: include_str!("../migrations/sqlite/0014_link_clicks.sql"),
        postgres: include_str!("../migrations/postgres/0014_link_clicks.sql"),
    },
    Migration {
        version: 15,
        name: "network_metrics",
        sqlite: include_str!("../migrations/sqlite/0015_network_metrics.sql"),
        postgres: include_str!("../migrations/postgres/0015_network_metrics.sql"),
    },
];

pub const MIGRATION_COUNT: usize = MIGRATIONS.len();

/// Arbitrary constant naming Agora's migration lock on PostgreSQL.
const ADVISORY_LOCK_KEY: i64 = 0x0041_676f_7261;

pub(crate) async fn run(db: &Db) -> Result<usize, StoreError> {
    let mut connection = db.pool().acquire().await.map_err(store_error)?;
    if db.backend() == Backend::Postgres {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_lock({ADVISORY_LOCK_KEY})"
        )))
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    }
    let outcome = apply_pending(db.backend(), &mut connection).await;
    if db.backend() == Backend::Postgres {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_unlock({ADVISORY_LOCK_KEY})"
        )))
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    }
    outcome
}

async fn apply_pending(
    backend: Backend,
    connection: &mut sqlx::AnyConnection,
) -> Result<usize, StoreError> {
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS agora_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .execute(&mut *connection)
        .await
        .map_err(store_error)?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM agora_migrations")
        .fetch_all(&mut *connection)
        .await
        .map_err(store_error)?
        .iter()
        .map(|row| row.try_get::<i64, _>("version"))
        .collect::<Result<_, _>>()
        .map_err(store_error)?;
    let mut n_applied = 0;
    for migration in MIGRATIONS
        .iter()
        .filter(|migration| !applied.contains(&migration.version))
    {
        let sql = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        let mut transaction = sqlx::Connection::begin(&mut *connection)
            .await
            .map_err(store_error)?;
        sqlx::raw_sql(sql)
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        sqlx::query("INSERT INTO agora_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(agora_core::Clock::now(&agora_core::SystemClock).millis())
            .execute(&mut *transaction)
            .await
            .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
        n_applied += 1;
    }
    Ok(n_applied)
}
