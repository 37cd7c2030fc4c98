//! The publishing use cases, shared by pages and the API: connecting a
//! channel (its credentials checked against the network, then sealed),
//! scheduling a post with a variant per channel (each checked against its
//! network's limits), retrying, and settling an unconfirmed target.

use agora_connectors::networks::{self, Credentials, Failure, Target};
use agora_connectors::publishing::publish_job;
use agora_core::jobs::JobStore;
use agora_core::posts::{
    Channel, NewChannel, NewPost, NewVariant, PostId, PostStore, TargetId, TargetStatus,
    parse_timezone,
};
use agora_core::secrets::random_token;
use agora_core::text_limits::Network;
use agora_core::{StoreError, Timestamp};

use crate::AppState;
use crate::problem::Problem;

/// A channel as typed in the connect form or the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDraft {
    pub network: String,
    #[serde(default)]
    pub name: String,
    /// The instance, PDS, homeserver or webhook URL.
    #[serde(default)]
    pub base_url: String,
    /// The Bluesky handle, Matrix room id, Facebook page id or LinkedIn organization URN.
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub timezone: String,
    /// Mastodon, Matrix, LinkedIn, Facebook, X and Threads.
    #[serde(default)]
    pub access_token: String,
    /// Bluesky: an app password (never the account's password).
    #[serde(default)]
    pub app_password: String,
}

fn words(failure: &Failure) -> String {
    match failure {
        Failure::Retryable { message, .. }
        | Failure::Permanent { message }
        | Failure::Reconnect { message }
        | Failure::Unconfirmed { message } => message.clone(),
    }
}

fn credentials_for(network: Network, draft: &ChannelDraft, problem: &mut Problem) -> Credentials {
    let token = draft.access_token.trim();
    match network {
        Network::Bluesky => {
            if draft.app_password.trim().is_empty() {
                *problem = problem.clone().field(
                    "app_password",
                    "paste an app password made in Bluesky's settings",
                );
            }
            Credentials::AppPassword {
                identifier: draft.account.trim().to_owned(),
                password: draft.app_password.trim().to_owned(),
                access_jwt: None,
                refresh_jwt: None,
                did: None,
            }
        }
        Network::Webhook => Credentials::Webhook {
            secret: random_token(32),
        },
        Network::Email => Credentials::None,
        _ => {
            if token.is_empty() {
                *problem = problem
                    .clone()
                    .field("access_token", "paste the account's access token");
            }
            Credentials::Token {
                access_token: token.to_owned(),
            }
        }
    }
}

/// Checks a draft, talks to the network, and stores the channel. For a
/// webhook, the signing secret is answered once and never shown again.
pub async fn connect_channel(
    state: &AppState,
    workspace: i64,
    draft: &ChannelDraft,
) -> Result<(Channel, Option<String>), Problem> {
    let mut problem = Problem::invalid("the channel is not valid");
    let network = Network::parse(draft.network.trim());
    if network.is_none() {
        problem = problem.field(
            "network",
            "choose mastodon, bluesky, matrix, webhook, email, linkedin, facebook, x or threads",
        );
    }
    let timezone = if draft.timezone.trim().is_empty() {
        "UTC".to_owned()
    } else {
        draft.timezone.trim().to_owned()
    };
    if let Err(message) = parse_timezone(&timezone) {
        problem = problem.field("timezone", message);
    }
    let base_url = draft.base_url.trim().trim_end_matches('/').to_owned();
    let needs_url = matches!(
        network,
        Some(Network::Mastodon | Network::Bluesky | Network::Matrix | Network::Webhook)
    );
    if needs_url && base_url.is_empty() {
        problem = problem.field(
            "base_url",
            "give the server's address, e.g. https://mastodon.social",
        );
    } else if !(base_url.is_empty()
        || base_url.starts_with("https://")
        || base_url.starts_with("http://"))
    {
        problem = problem.field("base_url", "use an address starting with https://");
    }
    let account = draft.account.trim().to_owned();
    let needs_account = matches!(
        network,
        Some(
            Network::Bluesky
                | Network::Matrix
                | Network::Facebook
                | Network::LinkedIn
                | Network::Threads
        )
    );
    if needs_account && account.is_empty() {
        problem = problem.field(
            "account",
            match network {
                Some(Network::Bluesky) => "give the handle, e.g. northwind.bsky.social",
                Some(Network::Matrix) => "give the room id, e.g. !abc:matrix.org",
                _ => "give the page, organization or user id",
            },
        );
    }
    let Some(network) = network else {
        return Err(problem);
    };
    let credentials = credentials_for(network, draft, &mut problem);
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let limits = network.default_limits();
    let (mut name, mut avatar_url) = (draft.name.trim().to_owned(), None);
    let mut max_image_bytes = None;
    let (mut max_chars, mut max_media, mut chars_per_url) = (
        limits.max_chars as i64,
        limits.max_media as i64,
        agora_core::text_limits::CHARS_PER_URL as i64,
    );
    let mut credentials = credentials;
    if network != Network::Email {
        let target = Target {
            network,
            base_url: &base_url,
            account: &account,
            credentials: &credentials,
        };
        let (checked, updated) = networks::check(&state.settings.network_client, &target).await;
        match checked {
            Ok(info) => {
                if name.is_empty() {
                    name = info.display_name;
                }
                avatar_url = info.avatar_url;
                max_chars = info.max_chars as i64;
                max_media = info.max_media as i64;
                chars_per_url = info.chars_per_url as i64;
                max_image_bytes = info.max_image_bytes.and_then(|n| i64::try_from(n).ok());
            }
            Err(failure) => {
                let field = match failure {
                    Failure::Reconnect { .. } => match network {
                        Network::Bluesky => "app_password",
                        _ => "access_token",
                    },
                    _ => "base_url",
                };
                return Err(Problem::invalid("the network refused the connection")
                    .field(field, format!("{}: {}", network.as_str(), words(&failure))));
            }
        }
        if let Some(updated) = updated {
            credentials = updated;
        }
    }
    if name.is_empty() {
        name = if account.is_empty() {
            network.as_str().to_owned()
        } else {
            account.clone()
        };
    }
    let webhook_secret = match &credentials {
        Credentials::Webhook { secret } => Some(secret.clone()),
        _ => None,
    };
    let json = serde_json::to_string(&credentials)
        .map_err(|error| Problem::from(StoreError::Backend(error.to_string())))?;
    let channel = state
        .db
        .create_channel(&NewChannel {
            workspace_id: workspace,
            network,
            name,
            avatar_url,
            base_url,
            account,
            timezone,
            sealed_credentials: state.settings.sealer.seal(&json),
            max_chars,
            max_media,
            chars_per_url,
            max_image_bytes,
            created_at: state.clock.now(),
        })
        .await?;
    Ok((channel, webhook_secret))
}

/// Tests a channel's connection again, recording its health.
pub async fn test_channel(state: &AppState, channel: &Channel) -> Result<Option<String>, Problem> {
    let sealed = state.db.channel_credentials(channel.id).await?;
    let credentials: Credentials = state
        .settings
        .sealer
        .open(&sealed)
        .map_err(|error| error.to_string())
        .and_then(|secret| serde_json::from_str(secret.expose()).map_err(|e| e.to_string()))
        .map_err(|message| Problem::invalid(format!("the credentials do not open: {message}")))?;
    if channel.network == Network::Email {
        return Ok(None);
    }
    let target = Target {
        network: channel.network,
        base_url: &channel.base_url,
        account: &channel.account,
        credentials: &credentials,
    };
    let (checked, updated) = networks::check(&state.settings.network_client, &target).await;
    let now = state.clock.now();
    if let Some(updated) = updated
        && let Ok(json) = serde_json::to_string(&updated)
    {
        state
            .db
            .set_channel_credentials(channel.id, &state.settings.sealer.seal(&json), false)
            .await?;
    }
    match checked {
        Ok(_) => {
            state
                .db
                .channel_health(channel.id, Some(now), None, false, None)
                .await?;
            Ok(None)
        }
        Err(failure) => {
            let message = words(&failure);
            let reconnect = matches!(failure, Failure::Reconnect { .. });
            state
                .db
                .channel_health(channel.id, None, Some((&message, now)), reconnect, None)
                .await?;
            Ok(Some(message))
        }
    }
}

/// Replaces a channel's credentials after checking them ("reconnect"); due
/// posts that waited for it go out at the next sweep.
pub async fn reconnect_channel(
    state: &AppState,
    channel: &Channel,
    draft: &ChannelDraft,
) -> Result<(), Problem> {
    let mut problem = Problem::invalid("the credentials are not valid");
    let mut draft = draft.clone();
    if draft.account.is_empty() {
        draft.account = channel.account.clone();
    }
    let credentials = credentials_for(channel.network, &draft, &mut problem);
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let target = Target {
        network: channel.network,
        base_url: &channel.base_url,
        account: &channel.account,
        credentials: &credentials,
    };
    let (checked, updated) = networks::check(&state.settings.network_client, &target).await;
    if let Err(failure) = checked {
        let field = if channel.network == Network::Bluesky {
            "app_password"
        } else {
            "access_token"
        };
        return Err(
            Problem::invalid("the network refused the credentials").field(field, words(&failure))
        );
    }
    let json = serde_json::to_string(&updated.unwrap_or(credentials))
        .map_err(|error| Problem::from(StoreError::Backend(error.to_string())))?;
    state
        .db
        .set_channel_credentials(channel.id, &state.settings.sealer.seal(&json), true)
        .await?;
    let now = state.clock.now();
    state
        .db
        .channel_health(channel.id, Some(now), None, false, None)
        .await?;
    state
        .db
        .enqueue(&agora_connectors::publishing::sweep_job(now), now)
        .await?;
    Ok(())
}

/// One channel's text in a post, as sent to the API or the form.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantDraft {
    pub channel_id: i64,
    pub text: String,
    /// Images to attach (Mastodon and Bluesky), each sent with its alt text.
    #[serde(default)]
    pub media: Vec<MediaDraft>,
    /// A content warning (Mastodon's spoiler text), shown before the text.
    #[serde(default)]
    pub content_warning: Option<String>,
    /// The post's language, an ISO 639-1 code such as `en`.
    #[serde(default)]
    pub language: Option<String>,
    /// Mastodon: `public` (default), `unlisted`, `private` or `direct`.
    #[serde(default)]
    pub visibility: Option<String>,
}

/// An image in a post, as sent to the API.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaDraft {
    /// The image, base64.
    #[serde(default)]
    pub data: String,
    /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
    #[serde(default)]
    pub content_type: String,
    /// Alt text: what the image shows, for people who cannot see it.
    #[serde(default)]
    pub alt: String,
}

/// The image formats both Mastodon and Bluesky take.
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The largest image a channel takes: what its network said, else its default.
pub fn max_image_bytes(channel: &Channel) -> usize {
    channel
        .max_image_bytes
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| default_image_bytes(channel.network))
}

/// The largest image a network takes by default, in bytes.
fn default_image_bytes(network: Network) -> usize {
    match network {
        // app.bsky.embed.images: blobs up to 1,000,000 bytes.
        Network::Bluesky => 1_000_000,
        // Mastodon's default image_size_limit (16 MB since 4.3; 10 MB before).
        _ => 10 * 1024 * 1024,
    }
}

/// Checks a variant's images; answers them decoded.
fn check_media(
    i: usize,
    channel: &Channel,
    drafts: &[MediaDraft],
    problem: &mut Problem,
) -> Vec<agora_core::posts::MediaItem> {
    use base64::Engine as _;
    let mut items = Vec::new();
    if drafts.len() as i64 > channel.max_media {
        *problem = problem.clone().field(
            &format!("variants/{i}/media"),
            format!(
                "{} images; {} allows {} per post",
                drafts.len(),
                channel.name,
                channel.max_media
            ),
        );
        return items;
    }
    if !drafts.is_empty() && !matches!(channel.network, Network::Mastodon | Network::Bluesky) {
        *problem = problem.clone().field(
            &format!("variants/{i}/media"),
            format!(
                "attaching images on {} is not available yet (Mastodon and Bluesky take them)",
                channel.network.as_str()
            ),
        );
        return items;
    }
    for (j, draft) in drafts.iter().enumerate() {
        let at = format!("variants/{i}/media/{j}");
        if !IMAGE_TYPES.contains(&draft.content_type.as_str()) {
            *problem = problem.clone().field(
                &format!("{at}/content_type"),
                "use image/jpeg, image/png, image/gif or image/webp",
            );
            continue;
        }
        if draft.alt.chars().count() > 1_500 {
            *problem = problem
                .clone()
                .field(&format!("{at}/alt"), "use at most 1,500 characters");
            continue;
        }
        match base64::engine::general_purpose::STANDARD.decode(draft.data.trim()) {
            Ok(bytes) if bytes.is_empty() => {
                *problem = problem
                    .clone()
                    .field(&format!("{at}/data"), "the image is empty");
            }
            Ok(bytes) if bytes.len() > max_image_bytes(channel) => {
                *problem = problem.clone().field(
                    &format!("{at}/data"),
                    format!(
                        "the image has {} bytes; {} takes at most {}",
                        bytes.len(),
                        channel.network.as_str(),
                        max_image_bytes(channel)
                    ),
                );
            }
            Ok(bytes) => items.push(agora_core::posts::MediaItem {
                content_type: draft.content_type.clone(),
                alt: draft.alt.trim().to_owned(),
                bytes,
            }),
            Err(_) => {
                *problem = problem
                    .clone()
                    .field(&format!("{at}/data"), "send the image as base64");
            }
        }
    }
    items
}

/// How a variant's text measures on its channel, counted the way its
/// network counts: what the composer's counters show as one types, and what
/// scheduling checks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Measure {
    pub length: usize,
    pub limit: usize,
    /// What is counted: "graphemes", "characters", "weighted characters".
    pub unit: &'static str,
    /// Bluesky's second limit: UTF-8 bytes (3,000).
    pub bytes: Option<(usize, usize)>,
    pub over: bool,
    pub empty: bool,
}

impl Measure {
    /// The problem with the text, in words, if any.
    pub fn problem(&self, channel: &Channel) -> Option<String> {
        if self.empty {
            Some("write something to post".to_owned())
        } else if self.length > self.limit {
            Some(format!(
                "{} {} as {} counts them; {} allows {}",
                self.length,
                self.unit,
                channel.network.as_str(),
                channel.name,
                self.limit
            ))
        } else if let Some((bytes, max)) = self.bytes.filter(|(bytes, max)| bytes > max) {
            Some(format!("{bytes} bytes; Bluesky allows {max}"))
        } else {
            None
        }
    }
}

pub fn measure(channel: &Channel, text: &str) -> Measure {
    let text = text.trim();
    let length = channel
        .network
        .length(text, usize::try_from(channel.chars_per_url).unwrap_or(23));
    let limit = usize::try_from(channel.max_chars).unwrap_or(usize::MAX);
    let bytes = (channel.network == Network::Bluesky)
        .then(|| (agora_core::text_limits::bluesky_bytes(text), 3_000));
    let unit = match channel.network {
        Network::Bluesky => "graphemes",
        Network::X => "weighted characters",
        _ => "characters",
    };
    Measure {
        length,
        limit,
        unit,
        bytes,
        over: length > limit || bytes.is_some_and(|(b, max)| b > max),
        empty: text.is_empty(),
    }
}

/// What goes with a post beyond its variants.
#[derive(Debug, Clone, Default)]
pub struct PostOptions {
    pub campaign_id: Option<i64>,
    /// Awaiting approval: stored with its time, published once approved.
    pub hold: bool,
}

/// Checks and schedules a post (or saves a draft when `draft`), and
/// enqueues the job of each target at its time.
pub async fn schedule_post(
    state: &AppState,
    workspace: i64,
    author: i64,
    variants: &[VariantDraft],
    scheduled_at: Option<Timestamp>,
    draft: bool,
    options: &PostOptions,
) -> Result<PostId, Problem> {
    let now = state.clock.now();
    let channels = state.db.channels(workspace).await?;
    let mut problem = Problem::invalid("the post is not valid");
    let mut media = Vec::with_capacity(variants.len());
    if variants.is_empty() {
        problem = problem.field("variants", "choose at least one channel");
    }
    for (i, variant) in variants.iter().enumerate() {
        let Some(channel) = channels.iter().find(|c| c.id == variant.channel_id) else {
            problem = problem.field(
                &format!("variants/{i}/channel_id"),
                format!(
                    "there is no channel {} in this workspace",
                    variant.channel_id
                ),
            );
            continue;
        };
        if variants[..i]
            .iter()
            .any(|v| v.channel_id == variant.channel_id)
        {
            problem = problem.field(
                &format!("variants/{i}/channel_id"),
                format!("{} appears twice", channel.name),
            );
        }
        if let Some(message) = measure(channel, &variant.text).problem(channel) {
            problem = problem.field(&format!("variants/{i}/text"), message);
        }
        if let Some(language) = &variant.language
            && !(language.len() == 2 && language.chars().all(|c| c.is_ascii_lowercase()))
        {
            problem = problem.field(
                &format!("variants/{i}/language"),
                "use a two-letter ISO 639-1 code such as en or fr",
            );
        }
        if variant
            .visibility
            .as_deref()
            .is_some_and(|v| !["public", "unlisted", "private", "direct"].contains(&v))
        {
            problem = problem.field(
                &format!("variants/{i}/visibility"),
                "use public, unlisted, private or direct",
            );
        }
        if variant
            .content_warning
            .as_ref()
            .is_some_and(|cw| cw.chars().count() > 500)
        {
            problem = problem.field(
                &format!("variants/{i}/content_warning"),
                "use at most 500 characters",
            );
        }
        media.push(check_media(i, channel, &variant.media, &mut problem));
    }
    if let Some(at) = scheduled_at
        && at < now.plus_seconds(-60)
    {
        problem = problem.field(
            "scheduled_at",
            format!(
                "{} is in the past; choose a later time, or none to post now",
                at.rfc3339()
            ),
        );
    }
    if !problem.errors.is_empty() {
        return Err(problem);
    }
    let at = if draft {
        None
    } else {
        Some(scheduled_at.unwrap_or(now).max(now))
    };
    // Bluesky shows a link as a card only when the post carries it: read the
    // first link's preview now, once, so every attempt sends the same record.
    let mut cards = Vec::with_capacity(variants.len());
    for variant in variants {
        let network = channels
            .iter()
            .find(|c| c.id == variant.channel_id)
            .map(|c| c.network);
        let card = match network {
            Some(Network::Bluesky) => {
                let text = variant.text.trim();
                match agora_core::text_limits::find_urls(text).first() {
                    Some(range) => agora_connectors::networks::link_card(
                        &state.settings.network_client,
                        &text[range.clone()],
                    )
                    .await
                    .and_then(|card| serde_json::to_string(&card).ok()),
                    None => None,
                }
            }
            _ => None,
        };
        cards.push(card);
    }
    let post = state
        .db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: author,
            variants: variants
                .iter()
                .zip(cards)
                .zip(media)
                .map(|((v, link_card), media)| NewVariant {
                    channel_id: v.channel_id,
                    text: v.text.trim().to_owned(),
                    content_warning: v
                        .content_warning
                        .as_deref()
                        .map(str::trim)
                        .filter(|cw| !cw.is_empty())
                        .map(str::to_owned),
                    language: v.language.clone(),
                    visibility: v.visibility.clone(),
                    link_card,
                    media,
                })
                .collect(),
            scheduled_at: at,
            created_at: now,
            campaign_id: options.campaign_id,
            hold: options.hold && !draft,
        })
        .await?;
    if let Some(at) = at.filter(|_| !options.hold)
        && let Some(view) = state.db.post(workspace, post).await?
    {
        for target in view.targets {
            state
                .db
                .enqueue(
                    &publish_job(target.id, target.generation, at).for_workspace(workspace),
                    now,
                )
                .await?;
        }
    }
    Ok(post)
}

/// "Publish again": failed and unconfirmed targets (or the one named) go
/// back in line now; answers how many.
pub async fn retry_post(
    state: &AppState,
    workspace: i64,
    post: PostId,
    only: Option<TargetId>,
) -> Result<usize, Problem> {
    let view = state
        .db
        .post(workspace, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    let now = state.clock.now();
    let mut n = 0;
    for target in &view.targets {
        if only.is_some_and(|id| id != target.id)
            || !matches!(
                target.status,
                TargetStatus::Failed | TargetStatus::Unconfirmed | TargetStatus::Retrying
            )
        {
            continue;
        }
        if let Some(generation) = state.db.requeue_target(target.id, now).await? {
            state
                .db
                .enqueue(
                    &publish_job(target.id, generation, now).for_workspace(workspace),
                    now,
                )
                .await?;
            n += 1;
        }
    }
    if n == 0 {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "nothing-to-retry",
            "nothing to retry: only failed or unconfirmed channels can be published again",
        ));
    }
    Ok(n)
}

/// A person checked the network: an unconfirmed target is out.
pub async fn mark_published(
    state: &AppState,
    workspace: i64,
    post: PostId,
    target: TargetId,
) -> Result<(), Problem> {
    let view = state
        .db
        .post(workspace, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    if !view.targets.iter().any(|t| t.id == target) {
        return Err(Problem::not_found("there is no such channel in this post"));
    }
    if !state.db.mark_published(target, state.clock.now()).await? {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "not-unconfirmed",
            "only an unconfirmed channel can be marked as published",
        ));
    }
    Ok(())
}

/// Moves a post to another time (the calendar's drag and drop, its keyboard
/// alternative, the API and "add to queue"): the post and its targets that
/// have not gone out take the new time, their jobs are enqueued for it, and
/// the move is written in the post's history as `action` (`moved`, `queued`).
pub async fn move_post(
    state: &AppState,
    workspace: i64,
    mover: i64,
    post: PostId,
    at: Timestamp,
    action: &str,
) -> Result<(), Problem> {
    use agora_core::desk::DeskStore;
    let now = state.clock.now();
    if at < now {
        return Err(Problem::invalid("the time has passed")
            .field("scheduled_at", "choose a time in the future"));
    }
    let view = state
        .db
        .post(workspace, post)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such post"))?;
    if view.targets.iter().all(|target| {
        matches!(
            target.status,
            TargetStatus::Published | TargetStatus::Publishing | TargetStatus::Unconfirmed
        )
    }) {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "already-published",
            "this post already went out",
        ));
    }
    let moved = state.db.reschedule_post(workspace, post, at).await?;
    for target in view.targets.iter().filter(|t| moved.contains(&t.id)) {
        state
            .db
            .enqueue(
                &publish_job(target.id, target.generation, at).for_workspace(workspace),
                now,
            )
            .await?;
    }
    state
        .db
        .record_history(post, mover, action, &at.rfc3339(), now)
        .await?;
    Ok(())
}
