//! Daily and weekly digests: a job that runs every day at 07:00 UTC, e-mails
//! each member whose digest is due the most replied new threads they may
//! read, and schedules its next run. Unique keys make the daily job and each
//! member's e-mail happen once, however many workers run.

use std::sync::Arc;

use agora_core::community::{CommunityStore, SpaceKind, can_read};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::{JobStore, NewJob};
use agora_core::members::MemberStore;
use agora_core::{Clock, StoreError, Timestamp};

use crate::{JobError, Registry};

pub const DIGEST_KIND: &str = "community.digests";
/// The hour (UTC) digests go out.
pub const DIGEST_HOUR_UTC: i64 = 7;

/// The first 07:00 UTC strictly after `now`.
pub fn next_run(now: Timestamp) -> Timestamp {
    let today_at = Timestamp(now.day() * 86_400_000 + DIGEST_HOUR_UTC * 3_600_000);
    if today_at > now {
        today_at
    } else {
        today_at.plus_seconds(86_400)
    }
}

/// The digest run due at `at`, enqueued once per day.
pub fn job(at: Timestamp) -> NewJob {
    NewJob::new(DIGEST_KIND, serde_json::json!({}), at).unique(format!("digests:{}", at.day()))
}

/// Sends every due digest; answers how many e-mails were enqueued.
pub async fn run_digests<S>(
    store: &S,
    now: Timestamp,
    public_url: &str,
) -> Result<usize, StoreError>
where
    S: CommunityStore + MemberStore + JobStore,
{
    let mut n_sent = 0;
    for recipient in store.digest_recipients().await? {
        if !recipient.frequency.is_due(recipient.last_sent, now) {
            continue;
        }
        let groups = store
            .list_spaces(recipient.workspace_id, Some(SpaceKind::Group))
            .await?;
        let memberships = store
            .group_memberships_of(recipient.workspace_id, recipient.member_id)
            .await?;
        let is_staff = store.member_is_staff(recipient.member_id).await?;
        let readable: Vec<i64> = groups
            .iter()
            .filter(|space| {
                can_read(
                    space,
                    memberships.iter().find(|m| m.space_id == space.id),
                    is_staff,
                )
            })
            .map(|space| space.id)
            .collect();
        let window_days = if recipient.frequency == agora_core::members::DigestFrequency::Weekly {
            7
        } else {
            1
        };
        let since = recipient
            .last_sent
            .unwrap_or(now.plus_seconds(-window_days * 86_400));
        let threads = store.threads_since(&readable, since, 10).await?;
        store.mark_digest_sent(recipient.member_id, now).await?;
        if threads.is_empty() {
            continue;
        }
        let Some(target) = store.email_target(recipient.member_id).await? else {
            continue;
        };
        let unsubscribe_url = format!(
            "{public_url}/unsubscribe?token={}",
            target.unsubscribe_token
        );
        let lines: Vec<String> = threads
            .iter()
            .map(|thread| {
                format!(
                    "- {} ({} replies): {public_url}/w/{}/threads/{}",
                    thread.title, thread.n_replies, recipient.workspace_slug, thread.id
                )
            })
            .collect();
        let email = OutgoingEmail {
            to: recipient.email.clone(),
            subject: format!(
                "{} new threads in {}",
                threads.len(),
                recipient.workspace_name
            ),
            text: format!(
                "Hello {},\n\nNew in {} since your last digest:\n\n{}\n\nStop digests and activity e-mails: {unsubscribe_url}\n",
                recipient.name,
                recipient.workspace_name,
                lines.join("\n")
            ),
            html: None,
            message_key: format!("digest.{}.{}", recipient.member_id, now.day()),
            unsubscribe_url: Some(unsubscribe_url),
        };
        store.enqueue(&email.into_job(now), now).await?;
        n_sent += 1;
    }
    Ok(n_sent)
}

/// Registers the digest job; each run schedules the next.
pub fn register<S>(registry: &mut Registry, store: S, clock: Arc<dyn Clock>, public_url: String)
where
    S: CommunityStore + MemberStore + JobStore,
{
    registry.register(DIGEST_KIND, move |_job| {
        let (store, clock, public_url) = (store.clone(), clock.clone(), public_url.clone());
        async move {
            let now = clock.now();
            let n_sent = run_digests(&store, now, &public_url)
                .await
                .map_err(|error| JobError::Retry(error.to_string()))?;
            tracing::info!(n_sent, "digests sent");
            store
                .enqueue(&job(next_run(now)), now)
                .await
                .map_err(|error| JobError::Retry(error.to_string()))?;
            Ok(())
        }
    });
}
