//! The publishing engine's job handlers: `publish.target` publishes one
//! target of a post on its network, once; `publish.sweep` runs every minute
//! (and at start) and enqueues every target whose time has passed, so a post
//! due while no worker ran goes out as soon as one does.
//!
//! The target's row is the truth; a job is only its alarm clock. A job names
//! the target, its generation and its due time (see
//! [`agora_core::posts::publish_job_key`]), so the scheduler and the sweeper
//! never run the same attempt twice. Before the request leaves, the target
//! moves to `publishing` and an attempt is opened; a worker that finds a
//! target still `publishing` knows its predecessor died mid-request, and the
//! target becomes `unconfirmed` rather than risking a duplicate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agora_core::accounts::{AccountStore, Role};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::{JobStore, NewJob};
use agora_core::links::{self, LinkStore, Substitution};
use agora_core::members::MemberStore;
use agora_core::posts::{
    AttemptOutcome, AttemptResult, Channel, MAX_ATTEMPTS, PostStore, TargetId, TargetStatus,
    publish_job_key, retry_delay_seconds,
};
use agora_core::secrets::Sealer;
use agora_core::text_limits::Network;
use agora_core::{Clock, StoreError, Timestamp};
use agora_jobs::{JobError, Registry};
use tokio::sync::Semaphore;

use crate::networks::{self, Credentials, Exchange, Failure, Outgoing, Target};

pub const PUBLISH_KIND: &str = "publish.target";
pub const SWEEP_KIND: &str = "publish.sweep";
pub const METRICS_KIND: &str = "publish.metrics";

/// The job that reads a published target's engagement back, `after` seconds
/// after it went out.
pub fn metrics_job(target: TargetId, published_at: Timestamp, after: i64) -> NewJob {
    NewJob::new(
        METRICS_KIND,
        serde_json::json!({"target": target}),
        published_at.plus_seconds(after),
    )
    .unique(format!("metrics:{target}:{after}"))
    .max_attempts(3)
}

/// Requests in flight at once per network, per worker process.
pub const NETWORK_CONCURRENCY: usize = 8;

/// How long a paused channel's or a channel-needing-reconnect's due posts
/// wait before they are looked at again.
const WAIT_SECONDS: i64 = 300;

/// The job that publishes a target when it is due.
pub fn publish_job(target: TargetId, generation: i64, due: Timestamp) -> NewJob {
    NewJob::new(
        PUBLISH_KIND,
        serde_json::json!({"target": target, "generation": generation, "due": due.millis()}),
        due,
    )
    .unique(publish_job_key(target, generation, due))
    .max_attempts(5)
}

/// The sweep for the minute starting at or after `at`.
pub fn sweep_job(at: Timestamp) -> NewJob {
    let minute = at.millis().div_euclid(60_000);
    NewJob::new(
        SWEEP_KIND,
        serde_json::json!({}),
        Timestamp(minute * 60_000),
    )
    .unique(format!("publish-sweep:{minute}"))
}

/// What the handlers share.
pub struct Engine<S> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    pub sealer: Sealer,
    pub client: reqwest::Client,
    pub public_url: String,
    caps: HashMap<&'static str, Arc<Semaphore>>,
}

impl<S> Engine<S> {
    pub fn new(
        store: S,
        clock: Arc<dyn Clock>,
        sealer: Sealer,
        request_timeout: Duration,
        public_url: String,
    ) -> Self {
        let caps = Network::ALL
            .into_iter()
            .map(|network| {
                (
                    network.as_str(),
                    Arc::new(Semaphore::new(NETWORK_CONCURRENCY)),
                )
            })
            .collect();
        Self {
            store,
            clock,
            sealer,
            client: networks::client(request_timeout),
            public_url,
            caps,
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn retry(error: StoreError) -> JobError {
    JobError::Retry(error.to_string())
}

/// What to keep of the exchanges: every request line, and the last answer.
fn summarise(exchanges: &[Exchange]) -> (String, Option<i64>, String) {
    let request = exchanges
        .iter()
        .map(|exchange| exchange.request.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    match exchanges.last() {
        Some(last) => (request, last.status.map(i64::from), last.body.clone()),
        None => (request, None, String::new()),
    }
}

impl<S> Engine<S>
where
    S: PostStore + JobStore + AccountStore + MemberStore + LinkStore + Clone + 'static,
{
    /// Publishes one target if it is still due in this generation.
    pub async fn publish(&self, target: TargetId, generation: i64) -> Result<(), JobError> {
        let Some(dispatch) = self.store.dispatch(target).await.map_err(retry)? else {
            return Ok(());
        };
        if dispatch.target.generation != generation {
            return Ok(());
        }
        let now = self.clock.now();
        match dispatch.target.status {
            TargetStatus::Publishing if dispatch.channel.network == Network::Email => {
                // A newsletter's e-mails are keyed per recipient: sending
                // them all again enqueues only the ones that were missing.
                self.store
                    .abandon_open_attempts(target, now)
                    .await
                    .map_err(retry)?;
                if let Some(generation) = self
                    .store
                    .requeue_target(target, now)
                    .await
                    .map_err(retry)?
                {
                    self.store
                        .enqueue(&publish_job(target, generation, now), now)
                        .await
                        .map_err(retry)?;
                }
                return Ok(());
            }
            TargetStatus::Publishing => {
                // The previous worker died while sending: nobody knows if it went out.
                return self
                    .store
                    .abandon_open_attempts(target, now)
                    .await
                    .map_err(retry);
            }
            TargetStatus::Scheduled | TargetStatus::Retrying => {}
            _ => return Ok(()),
        }
        let channel = &dispatch.channel;
        if let Some(due) = dispatch.target.next_attempt_at
            && due > now
        {
            // Rescheduled since this job was made: its own job will come.
            return Ok(());
        }
        let wait_until = if channel.paused || channel.needs_reconnect {
            Some(now.plus_seconds(WAIT_SECONDS))
        } else {
            channel.rate_limited_until.filter(|until| *until > now)
        };
        if let Some(until) = wait_until {
            self.store
                .postpone_target(target, until)
                .await
                .map_err(retry)?;
            self.store
                .enqueue(&publish_job(target, generation, until), now)
                .await
                .map_err(retry)?;
            return Ok(());
        }
        // The same text on every attempt: the links' tokens are made once.
        // Before the attempt opens, so a failure here leaves the target due.
        let tracked = self.track_links(&dispatch).await.map_err(retry)?;
        let cap = self
            .caps
            .get(channel.network.as_str())
            .cloned()
            .unwrap_or_else(|| Arc::new(Semaphore::new(NETWORK_CONCURRENCY)));
        let _permit = cap
            .acquire_owned()
            .await
            .map_err(|error| JobError::Retry(error.to_string()))?;
        // The network's documented budget for one account: hold the post
        // rather than meet its 429 (counted and taken atomically).
        let begun = match agora_core::posts::publishing_budget(channel.network) {
            Some((limit, window)) => self
                .store
                .begin_attempt_within_budget(
                    target,
                    generation,
                    self.clock.now(),
                    channel.id,
                    limit,
                    window,
                )
                .await
                .map_err(retry)?,
            None => Ok(self
                .store
                .begin_attempt(target, generation, self.clock.now())
                .await
                .map_err(retry)?),
        };
        let attempt = match begun {
            Ok(Some(attempt)) => attempt,
            Ok(None) => return Ok(()),
            Err(until) => {
                self.store
                    .postpone_target(target, until)
                    .await
                    .map_err(retry)?;
                self.store
                    .enqueue(&publish_job(target, generation, until), now)
                    .await
                    .map_err(retry)?;
                return Ok(());
            }
        };
        if channel.network == Network::Email {
            let result = self
                .send_newsletter(&dispatch, &tracked.text)
                .await
                .map_err(retry)?;
            return self
                .store
                .finish_attempt(target, attempt, &result)
                .await
                .map_err(retry);
        }
        let credentials = self
            .sealer
            .open(&dispatch.sealed_credentials)
            .map_err(|error| error.to_string())
            .and_then(|secret| {
                serde_json::from_str::<Credentials>(secret.expose())
                    .map_err(|error| format!("stored credentials are unreadable: {error}"))
            });
        let credentials = match credentials {
            Ok(credentials) => credentials,
            Err(message) => {
                let result = AttemptResult {
                    outcome: AttemptOutcome::Permanent,
                    request: String::new(),
                    http_status: None,
                    response: String::new(),
                    message: Some(format!(
                        "Agora could not open the channel's credentials: {message}"
                    )),
                    remote_id: None,
                    remote_url: None,
                    next_attempt_at: None,
                    finished_at: self.clock.now(),
                };
                return self
                    .store
                    .finish_attempt(target, attempt, &result)
                    .await
                    .map_err(retry);
            }
        };
        let link_card: Option<networks::LinkCard> = dispatch
            .target
            .link_card
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok());
        let media: Vec<networks::Media> = dispatch
            .media
            .iter()
            .map(|item| networks::Media {
                bytes: item.bytes.clone(),
                content_type: item.content_type.clone(),
                alt: item.alt.clone(),
            })
            .collect();
        let outgoing = Outgoing {
            post_id: dispatch.target.post_id,
            target_id: target,
            text: &tracked.text,
            language: dispatch.target.language.as_deref(),
            content_warning: dispatch.target.content_warning.as_deref(),
            created_at: dispatch.post_created_at,
            link_card: link_card.as_ref(),
            media: &media,
            visibility: dispatch.target.visibility.as_deref(),
            link_uris: &tracked.facet_uris,
        };
        let network_target = Target {
            network: channel.network,
            base_url: &channel.base_url,
            account: &channel.account,
            credentials: &credentials,
        };
        let outcome = networks::publish(&self.client, &network_target, &outgoing).await;
        let finished_at = self.clock.now();
        if let Some(updated) = &outcome.credentials
            && let Ok(json) = serde_json::to_string(updated)
        {
            self.store
                .set_channel_credentials(channel.id, &self.sealer.seal(&json), false)
                .await
                .map_err(retry)?;
        }
        let (request, http_status, response) = summarise(&outcome.exchanges);
        let mut result = AttemptResult {
            outcome: AttemptOutcome::Published,
            request,
            http_status,
            response,
            message: None,
            remote_id: None,
            remote_url: None,
            next_attempt_at: None,
            finished_at,
        };
        let attempts = dispatch.target.attempts + 1;
        match outcome.result {
            Ok(published) => {
                result.remote_id = Some(published.remote_id);
                result.remote_url = published.url;
                for after in agora_core::posts::METRICS_AFTER_SECONDS {
                    self.store
                        .enqueue(
                            &metrics_job(target, finished_at, after)
                                .for_workspace(channel.workspace_id),
                            finished_at,
                        )
                        .await
                        .map_err(retry)?;
                }
                self.store
                    .channel_health(channel.id, Some(finished_at), None, false, None)
                    .await
                    .map_err(retry)?;
            }
            Err(Failure::Retryable {
                message,
                retry_after_ms,
            }) => {
                result.outcome = AttemptOutcome::Retryable;
                let backoff = retry_delay_seconds(attempts) * 1000;
                let wait = retry_after_ms.unwrap_or(0).max(backoff);
                if attempts >= MAX_ATTEMPTS {
                    result.message = Some(format!(
                        "Gave up after {attempts} attempts. Last answer: {message}"
                    ));
                } else {
                    let next = finished_at.plus_millis(wait);
                    result.message = Some(message.clone());
                    result.next_attempt_at = Some(next);
                    self.store
                        .enqueue(&publish_job(target, generation, next), finished_at)
                        .await
                        .map_err(retry)?;
                }
                let rate_limited = retry_after_ms.map(|ms| finished_at.plus_millis(ms));
                self.store
                    .channel_health(
                        channel.id,
                        None,
                        Some((&message, finished_at)),
                        false,
                        rate_limited,
                    )
                    .await
                    .map_err(retry)?;
            }
            Err(Failure::Permanent { message }) => {
                result.outcome = AttemptOutcome::Permanent;
                result.message = Some(message.clone());
                self.store
                    .channel_health(channel.id, None, Some((&message, finished_at)), false, None)
                    .await
                    .map_err(retry)?;
            }
            Err(Failure::Reconnect { message }) => {
                result.outcome = AttemptOutcome::Reconnect;
                result.message = Some(format!(
                    "The network refused the channel's credentials ({message}). Reconnect the channel, then retry."
                ));
                self.store
                    .channel_health(channel.id, None, Some((&message, finished_at)), true, None)
                    .await
                    .map_err(retry)?;
                self.alert_reconnect(channel, &message, finished_at)
                    .await
                    .map_err(retry)?;
            }
            Err(Failure::Unconfirmed { message }) => {
                result.outcome = AttemptOutcome::Unconfirmed;
                result.message = Some(format!(
                    "{message}. The request left but no answer came: check the network, then mark it as published or publish again."
                ));
            }
        }
        self.store
            .finish_attempt(target, attempt, &result)
            .await
            .map_err(retry)
    }

    /// What goes out for a target once its links are tracked: with the
    /// workspace's "track link clicks" on and a public URL to redirect
    /// through, each link gets its tracked row (the same token on every
    /// attempt, so a retry sends byte-identical text) and the network's way of
    /// carrying the redirect ([`links::substitute`]); the target records
    /// whether its clicks are counted.
    pub async fn track_links(
        &self,
        dispatch: &agora_core::posts::Dispatch,
    ) -> Result<Substitution, StoreError> {
        let target = &dispatch.target;
        let channel = &dispatch.channel;
        if !links::can_redirect(&self.public_url)
            || !self.store.track_link_clicks(channel.workspace_id).await?
        {
            self.store.set_links_tracked(target.id, false).await?;
            return Ok(Substitution::untracked(&target.text));
        }
        let urls: Vec<String> = agora_core::text_limits::find_urls(&target.text)
            .into_iter()
            .map(|url| target.text[url].to_owned())
            .collect();
        let rows = self
            .store
            .tracked_links(target.id, &urls, self.clock.now())
            .await?;
        let redirects: Vec<String> = rows
            .iter()
            .map(|row| links::redirect_url(&self.public_url, &row.token))
            .collect();
        let substitution = links::substitute(
            channel.network,
            &target.text,
            &redirects,
            usize::try_from(channel.max_chars).unwrap_or(usize::MAX),
            usize::try_from(channel.chars_per_url).unwrap_or(23),
        );
        self.store
            .set_links_tracked(target.id, substitution.tracked)
            .await?;
        Ok(substitution)
    }

    /// Reads a published target's engagement back from its network. A
    /// network that cannot say (no metrics API, or not yet implemented)
    /// leaves the figures as they were; it never fails the post.
    pub async fn read_metrics(&self, target: TargetId) -> Result<(), JobError> {
        let Some(dispatch) = self.store.dispatch(target).await.map_err(retry)? else {
            return Ok(());
        };
        let Some(remote_id) = dispatch
            .target
            .remote_id
            .clone()
            .filter(|_| dispatch.target.status == TargetStatus::Published)
        else {
            return Ok(());
        };
        let channel = &dispatch.channel;
        let Ok(credentials) = self
            .sealer
            .open(&dispatch.sealed_credentials)
            .map_err(|error| error.to_string())
            .and_then(|secret| {
                serde_json::from_str::<Credentials>(secret.expose()).map_err(|e| e.to_string())
            })
        else {
            return Ok(());
        };
        let network_target = Target {
            network: channel.network,
            base_url: &channel.base_url,
            account: &channel.account,
            credentials: &credentials,
        };
        // The channel's followers, where the network says (the day's last reading).
        if let Ok(Some(followers)) = networks::followers(&self.client, &network_target).await {
            self.store
                .record_followers(channel.id, self.clock.now(), followers)
                .await
                .map_err(retry)?;
        }
        match networks::metrics(&self.client, &network_target, &remote_id).await {
            Ok(metrics) => self
                .store
                .record_engagement(
                    target,
                    &agora_core::posts::Engagement {
                        likes: metrics.likes,
                        shares: metrics.shares,
                        replies: metrics.replies,
                        quotes: metrics.quotes,
                        impressions: metrics.impressions,
                        reach: metrics.reach,
                        clicks: metrics.clicks,
                        read_at: self.clock.now(),
                    },
                )
                .await
                .map_err(retry),
            Err(Failure::Retryable { message, .. }) => Err(JobError::Retry(message)),
            Err(failure) => {
                tracing::info!(
                    target,
                    network = channel.network.as_str(),
                    reason = failure.message(),
                    "no metrics"
                );
                Ok(())
            }
        }
    }

    /// A newsletter: one e-mail per member who opted in, each with its own
    /// unsubscribe link and `List-Unsubscribe` headers, through the e-mail
    /// queue (one job per recipient, keyed so it is never sent twice).
    async fn send_newsletter(
        &self,
        dispatch: &agora_core::posts::Dispatch,
        text: &str,
    ) -> Result<AttemptResult, StoreError> {
        let channel = &dispatch.channel;
        let now = self.clock.now();
        let subject = text
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or(&channel.name)
            .trim_start_matches('#')
            .trim();
        let subject: String = subject.chars().take(120).collect();
        let body_html = agora_core::community::render_markdown(text);
        let base = self.public_url.trim_end_matches('/');
        let mut n = 0;
        for member in self
            .store
            .newsletter_subscribers(channel.workspace_id)
            .await?
        {
            let Some(recipient) = self.store.email_target(member).await? else {
                continue;
            };
            let unsubscribe_url =
                format!("{base}/unsubscribe?token={}", recipient.unsubscribe_token);
            let email = OutgoingEmail {
                to: recipient.email,
                subject: subject.clone(),
                text: format!(
                    "{text}\n\n--\nYou receive {} because you subscribed. Unsubscribe: {unsubscribe_url}\n",
                    channel.name
                ),
                html: Some(format!(
                    "{body_html}<hr><p style=\"font-size:small\">You receive {} because you subscribed. \
                     <a href=\"{unsubscribe_url}\">Unsubscribe</a></p>",
                    escape(&channel.name)
                )),
                message_key: format!("newsletter.{}.{member}", dispatch.target.id),
                unsubscribe_url: Some(unsubscribe_url),
            };
            self.store
                .enqueue(
                    &email.into_job(now).for_workspace(channel.workspace_id),
                    now,
                )
                .await?;
            n += 1;
        }
        Ok(AttemptResult {
            outcome: AttemptOutcome::Published,
            request: format!("newsletter to {n} subscriber(s)"),
            http_status: None,
            response: String::new(),
            message: Some(format!("Queued for {n} subscriber(s) who opted in.")),
            remote_id: Some(format!("newsletter-{}", dispatch.target.id)),
            remote_url: None,
            next_attempt_at: None,
            finished_at: self.clock.now(),
        })
    }

    /// E-mails the workspace's admins and marketers once a day per channel.
    async fn alert_reconnect(
        &self,
        channel: &Channel,
        message: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let url = format!(
            "{}/w/{}/channels",
            self.public_url.trim_end_matches('/'),
            self.workspace_slug(channel).await?
        );
        for membership in self.store.memberships_in(channel.workspace_id).await? {
            if !matches!(membership.role, Role::Admin | Role::Marketer) {
                continue;
            }
            let email = OutgoingEmail {
                to: membership.account.email.clone(),
                subject: format!("Agora: reconnect the channel {}", channel.name),
                text: format!(
                    "Hello {},\n\nThe network refused the credentials of the channel {} ({}): {message}\n\
                     Posts to it are waiting. Reconnect it here:\n{url}\n",
                    membership.account.name,
                    channel.name,
                    channel.network.as_str()
                ),
                html: None,
                message_key: format!(
                    "reconnect.{}.{}.{}",
                    channel.id,
                    membership.account.id,
                    now.day()
                ),
                unsubscribe_url: None,
            };
            self.store
                .enqueue(
                    &email.into_job(now).for_workspace(channel.workspace_id),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    async fn workspace_slug(&self, channel: &Channel) -> Result<String, StoreError> {
        Ok(self
            .store
            .list_workspaces()
            .await?
            .into_iter()
            .find(|workspace| workspace.id == channel.workspace_id)
            .map(|workspace| workspace.slug)
            .unwrap_or_default())
    }

    /// Enqueues every due target (idempotent) and the next sweep.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut n = 0;
        loop {
            let due = self.store.due_targets(now, 1_000).await?;
            let mut enqueued = 0;
            for target in &due {
                let at = target.next_attempt_at.unwrap_or(now);
                if self
                    .store
                    .enqueue(&publish_job(target.id, target.generation, at), now)
                    .await?
                    .is_some()
                {
                    enqueued += 1;
                }
            }
            n += enqueued;
            // Due targets that already have their job are not enqueued again;
            // stop when a page brought nothing new.
            if due.len() < 1_000 || enqueued == 0 {
                break;
            }
        }
        self.store
            .enqueue(&sweep_job(now.plus_seconds(60)), now)
            .await?;
        Ok(n)
    }
}

/// Registers `publish.target` and `publish.sweep`.
pub fn register<S>(registry: &mut Registry, engine: Arc<Engine<S>>)
where
    S: PostStore
        + JobStore
        + AccountStore
        + MemberStore
        + LinkStore
        + Clone
        + Send
        + Sync
        + 'static,
{
    let publishing = engine.clone();
    registry.register(PUBLISH_KIND, move |job| {
        let engine = publishing.clone();
        async move {
            let target = job.payload["target"]
                .as_i64()
                .ok_or_else(|| JobError::Permanent("payload without a target".into()))?;
            let generation = job.payload["generation"].as_i64().unwrap_or(0);
            engine.publish(target, generation).await
        }
    });
    let reading = engine.clone();
    registry.register(METRICS_KIND, move |job| {
        let engine = reading.clone();
        async move {
            let target = job.payload["target"]
                .as_i64()
                .ok_or_else(|| JobError::Permanent("payload without a target".into()))?;
            engine.read_metrics(target).await
        }
    });
    registry.register(SWEEP_KIND, move |_job| {
        let engine = engine.clone();
        async move {
            let n = engine.sweep().await.map_err(retry)?;
            if n > 0 {
                tracing::info!(n_enqueued = n, "publish sweep");
            }
            Ok(())
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use agora_core::links;
    use agora_core::text_limits::Network;
    use agora_core::{Timestamp, text_limits};

    use crate::networks::{Outgoing, bluesky};

    #[test]
    fn bluesky_link_facets_carry_the_redirect_at_the_right_bytes_after_emoji() {
        let text = "🚲👨‍👩‍👧 Café ride https://lumen.coffee/rides then https://b.example/x 🎉 #go";
        let redirects = vec![
            links::redirect_url("http://127.0.0.1:8080", "AAAAAAAAAAA"),
            links::redirect_url("http://127.0.0.1:8080", "BBBBBBBBBBB"),
        ];
        let tracked = links::substitute(Network::Bluesky, text, &redirects, 300, 0);
        assert_eq!(tracked.text, text);
        let post = Outgoing {
            post_id: 1,
            target_id: 2,
            text: &tracked.text,
            language: None,
            content_warning: None,
            created_at: Timestamp::from_millis(1_795_375_093_380),
            link_card: None,
            media: &[],
            visibility: None,
            link_uris: &tracked.facet_uris,
        };
        let spans = bluesky::detect_features(post.text);
        let record = bluesky::build_record(&post, &spans, &|_| None);
        assert_eq!(record["text"], text, "the text is as written");
        let facets: Vec<_> = record["facets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|facet| facet["features"][0]["$type"] == "app.bsky.richtext.facet#link")
            .collect();
        assert_eq!(facets.len(), 2);
        let urls = text_limits::find_urls(text);
        for ((facet, redirect), url) in facets.iter().zip(&redirects).zip(urls) {
            let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
            let end = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
            assert_eq!((start, end), (url.start, url.end));
            assert!(text[start..end].starts_with("https://"));
            assert_eq!(facet["features"][0]["uri"], redirect.as_str());
        }
        assert_eq!(
            &text[facets[0]["index"]["byteStart"].as_u64().unwrap() as usize
                ..facets[0]["index"]["byteEnd"].as_u64().unwrap() as usize],
            "https://lumen.coffee/rides"
        );
    }
}
