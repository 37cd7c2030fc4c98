//! Publishing to the networks: one module per network, all behind three plain
//! async functions the publishing job handler calls: [`publish`] (send one
//! post to one channel), [`check`] ("test connection": credentials and the
//! channel's limits) and [`metrics`] (a published post's counters).
//!
//! Nothing here retries or sleeps. Each call answers an [`Outcome`] whose
//! [`Failure`] says what the engine should do next: try again later
//! (`Retryable`, with the network's `Retry-After`), give up (`Permanent`, in
//! the network's own words), ask a person to reconnect the channel
//! (`Reconnect`), or find out whether the post went out (`Unconfirmed`: the
//! request left but no answer came). Retries are safe because every write
//! carries a key derived from (post, target): Mastodon's `Idempotency-Key`,
//! Matrix's transaction id, a deterministic Bluesky record key written
//! create-only, and the webhook's `Idempotency-Key`.
//!
//! Every HTTP request and its answer are recorded as an [`Exchange`] for the
//! delivery log, with tokens and passwords redacted and bodies truncated.

pub mod bluesky;
pub mod facebook;
pub mod linkedin;
pub mod mastodon;
pub mod matrix;
pub mod threads;
pub mod webhook;
pub mod x;

use std::sync::Arc;
use std::time::Duration;

use agora_core::Timestamp;
pub use agora_core::text_limits::Network;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Decrypted credentials, stored encrypted as this JSON by the store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    /// Mastodon, Matrix, LinkedIn, Facebook, X, Threads.
    Token {
        access_token: String,
    },
    /// Bluesky: the app password, and the session made with it (kept so that
    /// publishing does not log in every time; the PDS limits logins).
    AppPassword {
        identifier: String,
        password: String,
        #[serde(default)]
        access_jwt: Option<String>,
        #[serde(default)]
        refresh_jwt: Option<String>,
        #[serde(default)]
        did: Option<String>,
    },
    Webhook {
        secret: String,
    },
    /// E-mail.
    None,
}

/// Never prints a secret: only which kind of credentials these are.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Credentials::Token { .. } => "Token",
            Credentials::AppPassword { .. } => "AppPassword",
            Credentials::Webhook { .. } => "Webhook",
            Credentials::None => "None",
        };
        write!(formatter, "Credentials::{kind}([redacted])")
    }
}

/// Where a post goes.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub network: Network,
    /// The Mastodon instance, the PDS, the Matrix homeserver or the webhook's
    /// URL. For LinkedIn, Facebook, X and Threads a non-empty value replaces
    /// the official API host (tests point it at a local server).
    pub base_url: &'a str,
    /// The Bluesky handle or DID, the Matrix room id, the Facebook page id,
    /// the LinkedIn organization URN, the Threads user id; else "".
    pub account: &'a str,
    pub credentials: &'a Credentials,
}

/// One post for one target.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub post_id: i64,
    pub target_id: i64,
    pub text: &'a str,
    pub language: Option<&'a str>,
    pub content_warning: Option<&'a str>,
    /// Fixed for the post: the Bluesky record carries it, so a retry is
    /// byte-identical and the create-only write recognises it.
    pub created_at: Timestamp,
    /// A preview of the post's first link (Bluesky's external embed), read
    /// once when the post was scheduled so every attempt sends the same one.
    pub link_card: Option<&'a LinkCard>,
    /// Images to attach, in order (Mastodon and Bluesky).
    pub media: &'a [Media],
    /// Mastodon's visibility; `public` when absent.
    pub visibility: Option<&'a str>,
    /// Bluesky: the `uri` of each link facet, by the link's position in the
    /// text (the tracked redirects; empty: the links as written).
    pub link_uris: &'a [String],
}

/// An image to attach, with its alt text.
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png`, `image/gif` or `image/webp`.
    pub content_type: String,
    pub alt: String,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Media({} bytes of {})",
            self.bytes.len(),
            self.content_type
        )
    }
}

/// A `multipart/form-data` body: text fields, then one file.
pub(crate) fn multipart(fields: &[(&str, &str)], file: (&str, &Media)) -> Body {
    let boundary = format!("agora-{}", agora_core::secrets::random_token(12));
    let mut bytes = Vec::new();
    for (name, value) in fields {
        bytes.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, media) = file;
    let extension = media.content_type.rsplit('/').next().unwrap_or("bin");
    bytes.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"image.{extension}\"\r\nContent-Type: {}\r\n\r\n",
            media.content_type
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&media.bytes);
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Body::Binary {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        bytes,
    }
}

/// A link's preview: what its page says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCard {
    pub uri: String,
    pub title: String,
    pub description: String,
}

impl Outgoing<'_> {
    /// `agora-{post_id}-{target_id}`: Mastodon's `Idempotency-Key`, Matrix's
    /// transaction id and the webhook's `Idempotency-Key`.
    pub fn idempotency_key(&self) -> String {
        format!("agora-{}-{}", self.post_id, self.target_id)
    }
}

/// What the network calls the published post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub remote_id: String,
    pub url: Option<String>,
}

/// Why a call did not succeed, and so what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later: 5xx, 429 (with the network's `Retry-After`), a
    /// connection refused (the request never left).
    Retryable {
        message: String,
        retry_after_ms: Option<i64>,
    },
    /// Trying again will not help: the network refused the post (validation,
    /// duplicate, too long), in its own words.
    Permanent { message: String },
    /// The credentials no longer work: a person must reconnect the channel.
    Reconnect { message: String },
    /// The request left but no answer came (a timeout after sending, a
    /// connection reset mid-response): the post may or may not exist.
    Unconfirmed { message: String },
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Retryable { message, .. }
            | Failure::Permanent { message }
            | Failure::Reconnect { message }
            | Failure::Unconfirmed { message } => message,
        }
    }

    pub(crate) fn permanent(message: impl Into<String>) -> Failure {
        Failure::Permanent {
            message: message.into(),
        }
    }

    pub(crate) fn reconnect(message: impl Into<String>) -> Failure {
        Failure::Reconnect {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.message())
    }
}

/// One HTTP request and its answer, for the delivery log. Secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// `POST https://…/api/v1/statuses`, then the non-secret headers and the
    /// body, with tokens and passwords replaced by `[redacted]`.
    pub request: String,
    /// `None` when no answer came.
    pub status: Option<u16>,
    /// The answer's body (redacted, at most 2,000 characters), or what went
    /// wrong when there was none.
    pub body: String,
}

/// The result of [`publish`], with everything that was said on the wire.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub result: Result<Published, Failure>,
    pub exchanges: Vec<Exchange>,
    /// `Some` when the credentials changed (a new Bluesky session) and must
    /// be saved.
    pub credentials: Option<Credentials>,
}

/// What "test connection" learns about a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub max_chars: usize,
    pub max_media: usize,
    /// What one URL counts towards `max_chars`; 0 where URLs count as written
    /// (Bluesky, Matrix, …).
    pub chars_per_url: usize,
    /// The largest image the network takes, when it says (Mastodon's instance does).
    pub max_image_bytes: Option<u64>,
}

/// A published post's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    pub quotes: i64,
    /// Times the post was shown, where the network says (X, Facebook, Threads' views, LinkedIn).
    pub impressions: Option<i64>,
    /// People it was shown to, where the network says (Facebook, LinkedIn).
    pub reach: Option<i64>,
    /// Clicks on the post's links, where the network says (Facebook, LinkedIn).
    pub clicks: Option<i64>,
}

/// Makes ring the process's rustls provider, so any other reqwest client
/// (tests, benchmarks) builds too; calling it again does nothing. Needed
/// because reqwest is built with `rustls-no-provider` (to use ring, which
/// lettre already brings, rather than aws-lc-rs), so a plain
/// `reqwest::Client::new()` panics until a provider is installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client for every network: rustls with the ring provider and the
/// Mozilla roots (webpki-roots), HTTP/1.1 over http and https, the given
/// overall timeout, a connect timeout of at most 10 s, and no redirects
/// followed (a 3xx is a permanent failure naming the new location). It also
/// installs ring as the process's provider ([`install_crypto_provider`]).
pub fn client(timeout: Duration) -> reqwest::Client {
    install_crypto_provider();
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // Redirects are not followed: a redirected POST would come back as a GET
    // and look like a strange answer; a moved API is for a person to fix.
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("Agora/", env!("CARGO_PKG_VERSION")));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(tls) => {
            let mut tls = tls.with_root_certificates(roots).with_no_client_auth();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            builder.tls_backend_preconfigured(tls)
        }
        Err(error) => {
            tracing::error!(%error, "the ring provider offers no TLS version");
            builder
        }
    };
    builder
        .build()
        .expect("a client with a preconfigured rustls backend always builds")
}

/// Sends one post to one target. Never panics and never retries: the
/// [`Outcome`] says what happened and what to do next.
pub async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    match target.network {
        Network::Mastodon => mastodon::publish(client, target, post).await,
        Network::Bluesky => bluesky::publish(client, target, post).await,
        Network::Matrix => matrix::publish(client, target, post).await,
        Network::Webhook => webhook::publish(client, target, post).await,
        Network::LinkedIn => linkedin::publish(client, target, post).await,
        Network::Facebook => facebook::publish(client, target, post).await,
        Network::X => x::publish(client, target, post).await,
        Network::Threads => threads::publish(client, target, post).await,
        Network::Email => Outcome {
            result: Err(Failure::permanent(
                "e-mail newsletters are sent by the e-mail connector, not by networks::publish",
            )),
            exchanges: Vec::new(),
            credentials: None,
        },
    }
}

/// "Test connection": verifies the credentials and reads the channel's name
/// and limits. The second value is `Some` when the credentials changed (a new
/// Bluesky session) and must be saved.
pub async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> (Result<ChannelInfo, Failure>, Option<Credentials>) {
    match target.network {
        Network::Mastodon => (mastodon::check(client, target).await, None),
        Network::Bluesky => bluesky::check(client, target).await,
        Network::Matrix => (matrix::check(client, target).await, None),
        Network::Webhook => (webhook::check(target), None),
        Network::LinkedIn => (linkedin::check(client, target).await, None),
        Network::Facebook => (facebook::check(client, target).await, None),
        Network::X => (x::check(client, target).await, None),
        Network::Threads => (threads::check(client, target).await, None),
        Network::Email => (Ok(default_info(Network::Email, "E-mail")), None),
    }
}

/// A published post's counters. Matrix, webhooks and e-mail have none (zeros).
/// Bluesky's come from an AppView (`app.bsky.feed.getPosts`), which a bare PDS
/// (like the test peer) does not have: that answers `Permanent("no AppView …")`.
/// Impressions, reach and clicks are `None` unless the network reports them:
/// X (impressions), Facebook (impressions, reach, clicks from the post's
/// insights), Threads (views as impressions), LinkedIn (impressions, unique
/// impressions as reach, clicks); Mastodon and Bluesky have none.
pub async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    match target.network {
        Network::Mastodon => mastodon::metrics(client, target, remote_id).await,
        Network::Bluesky => bluesky::metrics(client, target, remote_id).await,
        Network::X => x::metrics(client, target, remote_id).await,
        Network::Facebook => facebook::metrics(client, target, remote_id).await,
        Network::LinkedIn => linkedin::metrics(client, target, remote_id).await,
        Network::Threads => threads::metrics(client, target, remote_id).await,
        Network::Matrix | Network::Webhook | Network::Email => Ok(Metrics::default()),
    }
}

/// The channel's follower count, where the network says it and Agora reads
/// it: Mastodon (verify_credentials) and Bluesky (an AppView's
/// `app.bsky.actor.getProfile`, which a bare PDS like the test peer does not
/// have: `None` there); the other networks answer `None` ("not reported").
pub async fn followers(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<Option<i64>, Failure> {
    match target.network {
        Network::Mastodon => mastodon::followers(client, target).await,
        Network::Bluesky => bluesky::followers(client, target).await,
        _ => Ok(None),
    }
}

pub(crate) fn default_info(network: Network, display_name: &str) -> ChannelInfo {
    let limits = network.default_limits();
    ChannelInfo {
        display_name: display_name.to_owned(),
        avatar_url: None,
        max_chars: limits.max_chars,
        max_media: limits.max_media,
        chars_per_url: match network {
            Network::Mastodon | Network::X => agora_core::text_limits::CHARS_PER_URL,
            _ => 0,
        },
        max_image_bytes: None,
    }
}

// ---------------------------------------------------------------------------
// The common HTTP machinery: sending, recording, redacting, classifying.

/// How long an [`Exchange`] body may be, in characters.
const MAX_EXCHANGE_BODY: usize = 2_000;

/// JSON keys and form fields whose values never reach an [`Exchange`].
const SECRET_KEYS: [&str; 11] = [
    "password",
    "access_token",
    "accessJwt",
    "refreshJwt",
    "access_jwt",
    "refresh_jwt",
    "refresh_token",
    "client_secret",
    "secret",
    "token",
    "signature",
];

/// The body of a request, kept as data so it can be both sent and logged.
pub(crate) enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    /// Bytes sent as they are (the webhook signs exactly these).
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// Binary content (an image, a multipart upload), logged by size only.
    Binary {
        content_type: String,
        bytes: Vec<u8>,
    },
}

/// One request to make.
pub(crate) struct Request {
    pub method: Method,
    pub url: String,
    /// `Authorization: Bearer …`, never logged.
    pub bearer: Option<String>,
    /// Other headers; logged unless the name says secret.
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request {
            method,
            url: url.into(),
            bearer: None,
            headers: Vec::new(),
            body: Body::None,
        }
    }

    pub fn bearer(mut self, token: &str) -> Request {
        self.bearer = Some(token.to_owned());
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Body::Json(body);
        self
    }

    pub fn form(mut self, fields: Vec<(&str, String)>) -> Request {
        self.body = Body::Form(
            fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        );
        self
    }

    /// What the delivery log shows: method, URL, headers and body, redacted.
    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.method, redact_url(&self.url));
        for (name, value) in &self.headers {
            let shown = if is_secret_header(name) {
                "[redacted]"
            } else {
                value.as_str()
            };
            text.push_str(&format!("\n{name}: {shown}"));
        }
        match &self.body {
            Body::None => {}
            Body::Json(value) => {
                text.push_str("\n\n");
                text.push_str(&redact_json(value.clone()).to_string());
            }
            Body::Form(fields) => {
                let shown: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| {
                        let value = if is_secret_key(name) {
                            "[redacted]"
                        } else {
                            value.as_str()
                        };
                        format!("{name}={value}")
                    })
                    .collect();
                text.push_str("\n\n");
                text.push_str(&shown.join("&"));
            }
            Body::Raw { bytes, .. } => {
                text.push_str("\n\n");
                text.push_str(&redact_body_text(&String::from_utf8_lossy(bytes)));
            }
            Body::Binary {
                content_type,
                bytes,
            } => {
                text.push_str(&format!("\n\n[{} bytes of {content_type}]", bytes.len()));
            }
        }
        truncate(&text, MAX_EXCHANGE_BODY * 2)
    }
}

/// An answer with a status: the body read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, `Value::Null` when it is not JSON.
    pub json: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn str_at(&self, pointer: &str) -> Option<&str> {
        self.json.pointer(pointer).and_then(Value::as_str)
    }
}

/// Sends a request and records the exchange. `Err` only when no status came
/// back: a connection that could not be made is `Retryable` (the request
/// never left); anything after that (a timeout, a reset, a body cut short) is
/// `Unconfirmed`; a request that could not even be built is `Permanent`.
pub(crate) async fn send(
    client: &reqwest::Client,
    request: Request,
    exchanges: &mut Vec<Exchange>,
) -> Result<Reply, Failure> {
    let described = request.describe();
    let mut builder = client.request(request.method.clone(), &request.url);
    if let Some(token) = &request.bearer {
        builder = builder.bearer_auth(token);
    }
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    builder = match request.body {
        Body::None => builder,
        Body::Json(value) => builder.json(&value),
        Body::Form(fields) => builder.form(&fields),
        Body::Raw {
            content_type,
            bytes,
        } => builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes),
        Body::Binary {
            content_type,
            bytes,
        } => builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes),
    };
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) => {
            let failure = transport_failure(&error);
            exchanges.push(Exchange {
                request: described,
                status: None,
                body: failure.message().to_owned(),
            });
            return Err(failure);
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = match response.text().await {
        Ok(text) => text,
        Err(error) => {
            let message = format!("HTTP {status}, then the body was cut short: {error}");
            exchanges.push(Exchange {
                request: described,
                status: Some(status),
                body: message.clone(),
            });
            // A 5xx or 429 cut short is still a refusal; anything else may have
            // been done.
            return Err(if status >= 500 || status == 429 {
                Failure::Retryable {
                    message,
                    retry_after_ms: retry_after_ms(&headers),
                }
            } else {
                Failure::Unconfirmed { message }
            });
        }
    };
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    exchanges.push(Exchange {
        request: described,
        status: Some(status),
        body: truncate(&redact_body_text(&text), MAX_EXCHANGE_BODY),
    });
    Ok(Reply {
        status,
        headers,
        text,
        json,
    })
}

fn transport_failure(error: &reqwest::Error) -> Failure {
    let message = error_chain(error);
    if error.is_connect() {
        Failure::Retryable {
            message: format!("could not connect: {message}"),
            retry_after_ms: None,
        }
    } else if error.is_builder() {
        Failure::permanent(format!("bad request: {message}"))
    } else if error.is_timeout() {
        Failure::Unconfirmed {
            message: format!("no answer in time (the request was sent): {message}"),
        }
    } else {
        Failure::Unconfirmed {
            message: format!("the connection failed after sending: {message}"),
        }
    }
}

/// The error and its causes, which reqwest keeps apart.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// The common classification of an answer: 2xx is `Ok`; 3xx is permanent
/// (redirects are not followed); 401 and 403 ask to reconnect; 429 and 5xx (and 408) are retryable, honouring `Retry-After`;
/// any other status is permanent. `message` extracts the network's own words
/// from the body (`None` falls back to the status and the body's start).
pub(crate) fn classify(
    reply: Reply,
    message: impl Fn(&Reply) -> Option<String>,
) -> Result<Reply, Failure> {
    if reply.is_success() {
        return Ok(reply);
    }
    Err(failure_for(&reply, message(&reply)))
}

/// The [`Failure`] for a non-2xx answer (see [`classify`]).
pub(crate) fn failure_for(reply: &Reply, words: Option<String>) -> Failure {
    let status = reply.status;
    let message = match words {
        Some(words) if !words.is_empty() => format!("HTTP {status}: {words}"),
        _ => {
            let body = truncate(reply.text.trim(), 200);
            if body.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {body}")
            }
        }
    };
    match status {
        300..=399 => Failure::Permanent {
            message: match reply.header("location") {
                Some(location) => {
                    format!("HTTP {status}: the API moved to {location}; check the channel's URL")
                }
                None => message,
            },
        },
        401 | 403 => Failure::Reconnect { message },
        408 | 429 | 500..=599 => Failure::Retryable {
            message,
            retry_after_ms: retry_after_ms(&reply.headers)
                .or_else(|| reply.json.get("retry_after_ms").and_then(Value::as_i64)),
        },
        _ => Failure::Permanent { message },
    }
}

/// How long the network asks us to wait: `Retry-After` (seconds or an HTTP
/// date), else a rate-limit reset header (`RateLimit-Reset`,
/// `X-RateLimit-Reset`, `x-rate-limit-reset`: Unix seconds, seconds to wait,
/// or an ISO-8601 time as real Mastodon sends).
pub(crate) fn retry_after_ms(headers: &HeaderMap) -> Option<i64> {
    retry_after_at(headers, chrono::Utc::now())
}

fn retry_after_at(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    if let Some(value) = header("retry-after") {
        if let Ok(seconds) = value.parse::<i64>() {
            return Some(seconds.max(0).saturating_mul(1000));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some((date.timestamp_millis() - now.timestamp_millis()).max(0));
        }
    }
    for name in ["ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset"] {
        let Some(value) = header(name) else {
            continue;
        };
        if let Ok(number) = value.parse::<i64>() {
            // Large numbers are a Unix time; small ones a delay in seconds.
            let millis = if number > 1_000_000_000 {
                number.saturating_mul(1000) - now.timestamp_millis()
            } else {
                number.saturating_mul(1000)
            };
            return Some(millis.max(0));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc3339(value) {
            return Some((date.timestamp_millis() - now.timestamp_millis()).max(0));
        }
    }
    None
}

/// `base` without a trailing slash.
pub(crate) fn trim_base(base: &str) -> &str {
    base.trim_end_matches('/')
}

/// The base URL to use: the target's when set, else the official host.
pub(crate) fn base_or<'a>(target: &Target<'a>, official: &'a str) -> &'a str {
    if target.base_url.trim().is_empty() {
        official
    } else {
        trim_base(target.base_url)
    }
}

/// The access token of `Credentials::Token`, or a `Reconnect` failure.
pub(crate) fn token<'a>(target: &Target<'a>) -> Result<&'a str, Failure> {
    match target.credentials {
        Credentials::Token { access_token } if !access_token.is_empty() => Ok(access_token),
        _ => Err(Failure::reconnect(format!(
            "{} needs an access token; reconnect the channel",
            target.network.as_str()
        ))),
    }
}

/// An outcome without new credentials.
pub(crate) fn outcome(result: Result<Published, Failure>, exchanges: Vec<Exchange>) -> Outcome {
    Outcome {
        result,
        exchanges,
        credentials: None,
    }
}

fn is_secret_key(name: &str) -> bool {
    SECRET_KEYS
        .iter()
        .any(|secret| secret.eq_ignore_ascii_case(name))
}

fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization" || name.contains("signature") || name.contains("token")
}

/// Replaces the values of secret keys, at any depth.
fn redact_json(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    if is_secret_key(&key) && !value.is_null() {
                        (key, Value::String("[redacted]".to_owned()))
                    } else {
                        (key, redact_json(value))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        other => other,
    }
}

/// A body as text with secrets redacted: JSON by key, anything else by
/// `key=value` pairs.
fn redact_body_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => redact_json(value).to_string(),
        _ => redact_pairs(text),
    }
}

/// Redacts `secret=value` pairs in a URL or a form body.
fn redact_pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, pair) in text.split('&').enumerate() {
        if index > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret_key(name.rsplit(['?', '/']).next().unwrap_or(name)) => {
                out.push_str(name);
                out.push_str("=[redacted]");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_pairs(query)),
        None => url.to_owned(),
    }
}

/// At most `max` characters, cut on a character boundary, with a marker.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Percent-encodes one path segment (a Matrix room id, a transaction id).
pub(crate) fn path_segment(segment: &str) -> String {
    urlencoding::encode(segment).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn idempotency_key_names_post_and_target() {
        let post = Outgoing {
            post_id: 12,
            target_id: 34,
            text: "hi",
            language: None,
            content_warning: None,
            created_at: Timestamp::from_millis(0),
            link_card: None,
            media: &[],
            visibility: None,
            link_uris: &[],
        };
        assert_eq!(post.idempotency_key(), "agora-12-34");
    }

    #[test]
    fn credentials_serialise_tagged_and_never_debug_print_secrets() {
        let credentials = Credentials::AppPassword {
            identifier: "agora.test".into(),
            password: "hunter2".into(),
            access_jwt: None,
            refresh_jwt: None,
            did: None,
        };
        let json = serde_json::to_value(&credentials).unwrap_or_default();
        assert_eq!(json["kind"], "app_password");
        assert!(!format!("{credentials:?}").contains("hunter2"));
        let parsed: Credentials =
            serde_json::from_str(r#"{"kind":"app_password","identifier":"a","password":"b"}"#)
                .unwrap();
        assert!(matches!(parsed, Credentials::AppPassword { did: None, .. }));
        let parsed: Credentials = serde_json::from_str(r#"{"kind":"none"}"#).unwrap();
        assert_eq!(parsed, Credentials::None);
    }

    #[test]
    fn secrets_never_reach_an_exchange() {
        let request = Request::new(
            Method::POST,
            "https://graph.example/v21.0/1/feed?access_token=SECRET1&fields=id",
        )
        .bearer("SECRET2")
        .header("Idempotency-Key", "agora-1-2")
        .header("X-Agora-Signature", "sha256=SECRET3")
        .json(serde_json::json!({"identifier": "me", "password": "SECRET4", "nested": [{"accessJwt": "SECRET5"}]}));
        let described = request.describe();
        for secret in ["SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5"] {
            assert!(!described.contains(secret), "{secret} in {described}");
        }
        assert!(described.starts_with(
            "POST https://graph.example/v21.0/1/feed?access_token=[redacted]&fields=id"
        ));
        assert!(described.contains("Idempotency-Key: agora-1-2"));
        let form = Request::new(Method::POST, "https://x.example/").form(vec![
            ("message", "hi".into()),
            ("access_token", "SECRET6".into()),
        ]);
        assert!(
            form.describe()
                .ends_with("message=hi&access_token=[redacted]")
        );
        let answer =
            redact_body_text(r#"{"accessJwt":"SECRET7","refreshJwt":"SECRET8","did":"did:plc:x"}"#);
        assert!(!answer.contains("SECRET7") && !answer.contains("SECRET8"));
        assert!(answer.contains("did:plc:x"));
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_reset_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let with = |name: &'static str, value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
            retry_after_at(&headers, now)
        };
        assert_eq!(with("retry-after", "7"), Some(7_000));
        assert_eq!(
            with("retry-after", "Sun, 22 Nov 2026 12:00:30 GMT"),
            Some(30_000)
        );
        assert_eq!(
            with("x-ratelimit-reset", "2026-11-22T12:01:00.000Z"),
            Some(60_000)
        );
        assert_eq!(
            with("x-ratelimit-reset", &format!("{}", now.timestamp() + 5)),
            Some(5_000)
        );
        assert_eq!(with("ratelimit-reset", "12"), Some(12_000));
        assert_eq!(retry_after_at(&HeaderMap::new(), now), None);
    }

    #[test]
    fn statuses_are_classified() {
        let reply = |status: u16, body: &str| Reply {
            status,
            headers: HeaderMap::new(),
            text: body.to_owned(),
            json: serde_json::from_str(body).unwrap_or(Value::Null),
        };
        let words = |reply: &Reply| reply.str_at("/error").map(str::to_owned);
        assert!(classify(reply(200, "{}"), words).is_ok());
        assert!(matches!(
            classify(reply(401, r#"{"error":"bad token"}"#), words),
            Err(Failure::Reconnect { message }) if message == "HTTP 401: bad token"
        ));
        assert!(matches!(
            classify(reply(503, "down"), words),
            Err(Failure::Retryable { message, retry_after_ms: None }) if message == "HTTP 503: down"
        ));
        assert!(matches!(
            classify(reply(429, r#"{"retry_after_ms":4737}"#), words),
            Err(Failure::Retryable {
                retry_after_ms: Some(4737),
                ..
            })
        ));
        assert!(matches!(
            classify(reply(422, r#"{"error":"Validation failed: Text is too long"}"#), words),
            Err(Failure::Permanent { message }) if message.contains("Text is too long")
        ));
    }

    /// The client speaks TLS through rustls and ring: it builds and sends a
    /// ClientHello (record type 0x16).
    #[tokio::test]
    async fn the_client_speaks_tls_through_rustls_and_ring() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut first = [0u8; 1];
            socket.read_exact(&mut first).await.unwrap();
            first[0]
        });
        let answer = client(Duration::from_secs(5))
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await;
        assert!(answer.is_err());
        assert_eq!(server.await.unwrap(), 0x16);
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await.unwrap();
            socket
                .write_all(
                    b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://new.example/api\r\n\
                      Content-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await
                .unwrap();
        });
        let mut exchanges = Vec::new();
        let reply = send(
            &client(Duration::from_secs(5)),
            Request::new(Method::POST, format!("http://127.0.0.1:{port}/api")),
            &mut exchanges,
        )
        .await
        .unwrap();
        assert_eq!(
            classify(reply, |_| None).unwrap_err(),
            Failure::Permanent {
                message:
                    "HTTP 301: the API moved to https://new.example/api; check the channel's URL"
                        .into()
            }
        );
        assert_eq!(exchanges.len(), 1);
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hi", 2), "hi");
    }
}

/// Reads a link's preview from its page: `og:title` (else `<title>`) and
/// `og:description` (else the `description` meta), from at most 512 KiB of
/// HTML within 5 s. `None` when the page cannot be read or says nothing.
/// The marketer chooses the link, so this request goes wherever they point.
pub async fn link_card(client: &reqwest::Client, uri: &str) -> Option<LinkCard> {
    if !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return None;
    }
    let mut response = client
        .get(uri)
        .header("accept", "text/html")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut html = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        html.extend_from_slice(&chunk);
        if html.len() > 512 * 1024 {
            break;
        }
    }
    let html = String::from_utf8_lossy(&html);
    let title = meta_content(&html, "og:title").or_else(|| title_tag(&html))?;
    let description = meta_content(&html, "og:description")
        .or_else(|| meta_content(&html, "description"))
        .unwrap_or_default();
    Some(LinkCard {
        uri: uri.to_owned(),
        title: truncate(&title, 300),
        description: truncate(&description, 1_000),
    })
}

/// The `content` of `<meta property="NAME">` or `<meta name="NAME">`.
fn meta_content(html: &str, name: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<meta") {
        let start = from + start;
        let end = start + lower[start..].find('>')?;
        let tag = &html[start..end];
        let tag_lower = &lower[start..end];
        if tag_lower.contains(&format!("property=\"{name}\""))
            || tag_lower.contains(&format!("name=\"{name}\""))
        {
            return attribute(tag, "content").filter(|value| !value.is_empty());
        }
        from = end;
    }
    None
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}=\""))? + name.len() + 2;
    let end = at + tag[at..].find('"')?;
    Some(unescape_html(tag[at..end].trim()))
}

fn title_tag(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title>")?;
    Some(unescape_html(html[open_end..close].trim())).filter(|title| !title.is_empty())
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod link_card_tests {
    use super::*;

    #[test]
    fn previews_come_from_open_graph_or_the_title() {
        let html = r#"<html><head><title>Fallback</title>
            <meta property="og:title" content="Spring &amp; summer rides">
            <meta name="description" content="Routes for every pace"></head></html>"#;
        assert_eq!(
            meta_content(html, "og:title").as_deref(),
            Some("Spring & summer rides")
        );
        assert_eq!(
            meta_content(html, "description").as_deref(),
            Some("Routes for every pace")
        );
        assert_eq!(meta_content(html, "og:description"), None);
        assert_eq!(title_tag("<TITLE> Shop </TITLE>").as_deref(), Some("Shop"));
        assert_eq!(title_tag("<p>no title</p>"), None);
    }
}
