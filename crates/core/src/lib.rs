//! Agora's domain core: the types, rules and storage traits every other crate shares.
//!
//! This crate never does IO: no network, no files, no SQL, no HTTP. The storage
//! crate implements the traits declared here; the web and jobs crates call them.
//! A tidy test (`tests/tidy.rs`) fails the build if axum, sqlx, reqwest or askama
//! ever appear in this crate's dependencies.

pub mod accounts;
pub mod analytics;
pub mod automod;
pub mod best_time;
pub mod calendar;
pub mod clock;
pub mod community;
pub mod config;
pub mod desk;
pub mod email;
pub mod error;
pub mod events;
pub mod ical;
pub mod identities;
pub mod jobs;
pub mod links;
pub mod members;
pub mod moderation;
pub mod pagination;
pub mod posts;
pub mod publishing;
pub mod recurrence;
pub mod secrets;
pub mod slots;
pub mod text_limits;
pub mod toxicity;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use error::{ErrorKind, StoreError};
pub use secrets::Secret;
