//! Integration tests of the network connectors: against real peers started
//! from `tools/peers` (the Mastodon mock, a Bluesky PDS, Synapse), skipped
//! unless `AGORA_REQUIRE_PEERS=1` when a peer cannot start; against a local
//! webhook receiver; and against a local server answering the documented
//! response shapes of LinkedIn, Facebook, X and Threads.

#![allow(clippy::unwrap_used)]

mod bluesky;
mod mastodon;
mod matrix;
mod recorded;
mod webhook;

use std::time::Duration;

use agora_connectors::networks::{Exchange, Outgoing};
use agora_core::Timestamp;

pub fn now() -> Timestamp {
    Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    )
}

pub fn outgoing<'a>(post_id: i64, target_id: i64, text: &'a str, at: Timestamp) -> Outgoing<'a> {
    Outgoing {
        post_id,
        target_id,
        text,
        language: Some("en"),
        content_warning: None,
        created_at: at,
        link_card: None,
        media: &[],
        visibility: None,
        link_uris: &[],
    }
}

pub fn client() -> reqwest::Client {
    agora_connectors::networks::client(Duration::from_secs(20))
}

/// No exchange mentions any of these secrets.
pub fn assert_no_secret(exchanges: &[Exchange], secrets: &[&str]) {
    for exchange in exchanges {
        for secret in secrets {
            assert!(
                !exchange.request.contains(secret) && !exchange.body.contains(secret),
                "a secret leaked into {exchange:?}"
            );
        }
    }
}
