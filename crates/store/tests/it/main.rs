//! The store contract suite: every test runs on SQLite and on PostgreSQL, and
//! both must behave the same.

#![allow(clippy::unwrap_used)]

mod accounts;
mod analytics;
mod audience;
mod calendar;
mod community;
mod desk;
mod events;
mod groups;
mod identities;
mod jobs;
mod links;
mod moderation;
mod posts;
mod slots;
mod welcome;

/// Declares a contract test that runs `$body(db)` once per backend.
macro_rules! contract {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let test_db = agora_testkit::TestDb::sqlite().await;
                super::$body(test_db.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if let Some(test_db) = agora_testkit::TestDb::postgres().await {
                    super::$body(test_db.db.clone()).await;
                }
            }
        }
    };
}
pub(crate) use contract;
