//! The weekly report: a job every Monday at 08:00 UTC that e-mails each
//! workspace's admins, marketers and community managers the workspace's
//! health, each space's verdict, and the audience of the last seven days'
//! posts against the seven before, then schedules the next run.
//! Unique keys make each run and each e-mail happen once, however many
//! workers run.

use std::sync::Arc;

use agora_core::accounts::{Access, AccountStore};
use agora_core::analytics::InteractionStore;
use agora_core::analytics::audience::{AudienceFilter, AudienceStore, Period, audience};
use agora_core::analytics::health::{Window, health};
use agora_core::analytics::report::{SpaceLine, audience_section, weekly_report};
use agora_core::community::{CommunityStore, SpaceKind};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::{JobStore, NewJob};
use agora_core::{Clock, StoreError, Timestamp};

use crate::{JobError, Registry};

pub const REPORT_KIND: &str = "analytics.weekly_report";
/// The hour (UTC), on Mondays, reports go out.
pub const REPORT_HOUR_UTC: i64 = 8;

/// The first Monday 08:00 UTC strictly after `now`.
pub fn next_run(now: Timestamp) -> Timestamp {
    // Day 4 after the epoch (1970-01-05) was a Monday.
    let day = now.day();
    let monday = day - (day - 4).rem_euclid(7);
    let at = Timestamp(monday * 86_400_000 + REPORT_HOUR_UTC * 3_600_000);
    if at > now {
        at
    } else {
        at.plus_seconds(7 * 86_400)
    }
}

/// The report run due at `at`, enqueued once per week.
pub fn job(at: Timestamp) -> NewJob {
    NewJob::new(REPORT_KIND, serde_json::json!({}), at)
        .unique(format!("weekly-report:{}", at.day()))
}

/// E-mails every workspace's report; answers how many e-mails were enqueued.
pub async fn send_weekly_reports<S>(
    store: &S,
    now: Timestamp,
    public_url: &str,
) -> Result<usize, StoreError>
where
    S: AccountStore + InteractionStore + CommunityStore + JobStore + AudienceStore,
{
    let mut n_sent = 0;
    // The seven whole UTC days before today.
    let period = Period {
        from_day: now.day() - 7,
        to_day: now.day() - 1,
    };
    for workspace in store.list_workspaces().await? {
        let log = store.interaction_log(workspace.id).await?;
        let Some(report) = health(&log, None, Window::Default) else {
            continue;
        };
        let mut spaces = Vec::new();
        for space in store.list_spaces(workspace.id, None).await? {
            if let Some(space_report) = log
                .space_index(space.id)
                .and_then(|index| health(&log, Some(index), Window::Default))
            {
                spaces.push(SpaceLine {
                    name: space.name.clone(),
                    verdict: space_report.verdict.verdict,
                    member_to_member_share: space_report.member_to_member.share,
                    active_members: space_report.active.mau,
                    is_group: space.kind == SpaceKind::Group,
                });
            }
        }
        let dashboard = format!("{public_url}/w/{}/analytics/health", workspace.slug);
        let posts = store
            .published_posts(workspace.id, period.previous().start(), period.end())
            .await?;
        let followers = store.followers_on(workspace.id, period.to_day).await?;
        let audience_text = (!posts.is_empty()).then(|| {
            let report = audience(&posts, &followers, period, AudienceFilter::default());
            let url = format!("{public_url}/w/{}/analytics/audience", workspace.slug);
            audience_section(&report, &url)
        });
        let (subject, text) = weekly_report(
            &workspace.name,
            &report,
            &spaces,
            &dashboard,
            audience_text.as_deref(),
        );
        for membership in store.memberships_in(workspace.id).await? {
            if !Access::Analytics.allows(membership.role) {
                continue;
            }
            let email = OutgoingEmail {
                to: membership.account.email.clone(),
                subject: subject.clone(),
                text: text.clone(),
                html: None,
                message_key: format!(
                    "weekly-report.{}.{}.{}",
                    workspace.id,
                    membership.account.id,
                    now.day()
                ),
                unsubscribe_url: None,
            };
            store
                .enqueue(&email.into_job(now).for_workspace(workspace.id), now)
                .await?;
            n_sent += 1;
        }
    }
    Ok(n_sent)
}

/// Registers the report job; each run schedules the next.
pub fn register<S>(registry: &mut Registry, store: S, clock: Arc<dyn Clock>, public_url: String)
where
    S: AccountStore + InteractionStore + CommunityStore + JobStore + AudienceStore,
{
    registry.register(REPORT_KIND, move |_job| {
        let (store, clock, public_url) = (store.clone(), clock.clone(), public_url.clone());
        async move {
            let now = clock.now();
            let n_sent = send_weekly_reports(&store, now, &public_url)
                .await
                .map_err(|error| JobError::Retry(error.to_string()))?;
            tracing::info!(n_sent, "weekly health reports sent");
            store
                .enqueue(&job(next_run(now)), now)
                .await
                .map_err(|error| JobError::Retry(error.to_string()))?;
            Ok(())
        }
    });
}
