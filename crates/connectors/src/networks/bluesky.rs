//! Bluesky (AT Protocol): a post is an `app.bsky.feed.post` record written to
//! the account's repository on its PDS.
//!
//! **Exactly once.** The record key is a TID derived from (post, target) and
//! the post's fixed `created_at` ([`record_key`]), and the write is
//! `com.atproto.repo.putRecord` with `"swapRecord": null`, which only creates:
//! the same record again answers 200 with the same CID and makes no commit,
//! and a different record under that key answers `InvalidSwap`. The record is
//! rebuilt byte for byte on a retry because everything in it (text, facets,
//! `createdAt`) comes from the post.
//!
//! **Sessions.** Logging in (`createSession` with the app password) is rate
//! limited by the PDS, so the session's tokens are kept in the credentials and
//! reused. Auth errors here are HTTP 400 with an `error` name: on
//! `ExpiredToken` or `InvalidToken` the connector refreshes the session
//! (`refreshSession`), else logs in again, and then retries the write once;
//! the new tokens come back in [`Outcome::credentials`](super::Outcome).
//!
//! **Rich text.** Links, mentions and hashtags are facets with UTF-8 byte
//! offsets. A mention's DID comes from `com.atproto.identity.resolveHandle`;
//! a handle that does not resolve gets no facet.

use agora_core::Timestamp;
use agora_core::text_limits::{self, Network};
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    ChannelInfo, Credentials, Exchange, Failure, Metrics, Outcome, Outgoing, Published, Reply,
    Request, Target, default_info, failure_for, send, trim_base,
};

const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key for a (post, target): a TID, 13 characters of
/// base32-sortable for `(micros << 10) | clock_id`.
///
/// `micros` is the post's `created_at` in microseconds with `post_id mod 1000`
/// as the sub-millisecond part, and `clock_id` is `target_id mod 1024`. Two
/// different (post, target) pairs get the same key only if their posts were
/// created in the same millisecond, their post ids are equal modulo 1000 and
/// their target ids equal modulo 1024: never, with sequential ids. (Should it
/// ever happen, the create-only write answers `InvalidSwap` and nothing is
/// overwritten.)
pub fn record_key(created_at: Timestamp, post_id: i64, target_id: i64) -> String {
    let millis = u64::try_from(created_at.millis().max(0)).unwrap_or(0);
    let sub_millis = u64::try_from(post_id.rem_euclid(1000)).unwrap_or(0);
    let clock_id = u64::try_from(target_id.rem_euclid(1024)).unwrap_or(0);
    let micros = millis.saturating_mul(1000).saturating_add(sub_millis);
    // A TID's top bit is always clear.
    let value = ((micros << 10) | clock_id) & 0x7FFF_FFFF_FFFF_FFFF;
    (0..13)
        .map(|index| {
            let shift = 60 - 5 * index;
            char::from(TID_ALPHABET[((value >> shift) & 31) as usize])
        })
        .collect()
}

/// A rich-text feature found in a post's text, with UTF-8 byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    Link {
        uri: String,
    },
    /// The handle, without `@`; it becomes a facet only when it resolves.
    Mention {
        handle: String,
    },
    /// The tag, without `#`.
    Tag {
        tag: String,
    },
}

/// One feature and where it is: `byte_start..byte_end` (end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub byte_start: usize,
    pub byte_end: usize,
    pub feature: Feature,
}

/// Finds links (`http(s)://…`), mentions (`@handle.domain`) and hashtags
/// (`#word`) in a text, in order, never overlapping.
pub fn detect_features(text: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = text_limits::find_urls(text)
        .into_iter()
        .map(|url| Span {
            byte_start: url.start,
            byte_end: url.end,
            feature: Feature::Link {
                uri: text[url].to_owned(),
            },
        })
        .collect();
    let overlaps_any = |spans: &[Span], start: usize, end: usize| {
        spans
            .iter()
            .any(|span| start < span.byte_end && span.byte_start < end)
    };
    for (start, c) in text.char_indices() {
        let preceded_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|before| before.is_whitespace() || before == '(');
        if !preceded_ok {
            continue;
        }
        let after = start + c.len_utf8();
        if c == '@' {
            let length = text[after..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                .unwrap_or(text.len() - after);
            let handle = text[after..after + length].trim_end_matches(['.', '-']);
            let end = after + handle.len();
            if is_valid_handle(handle) && !overlaps_any(&spans, start, end) {
                spans.push(Span {
                    byte_start: start,
                    byte_end: end,
                    feature: Feature::Mention {
                        handle: handle.to_ascii_lowercase(),
                    },
                });
            }
        } else if c == '#' || c == '＃' {
            let length = text[after..]
                .find(|c: char| c.is_whitespace() || c == '#' || c == '＃')
                .unwrap_or(text.len() - after);
            let tag = text[after..after + length]
                .trim_end_matches(|c: char| c.is_ascii_punctuation() || is_unicode_punctuation(c));
            let end = after + tag.len();
            let has_letter = tag.chars().any(|c| !c.is_numeric());
            if has_letter
                && !tag.is_empty()
                && tag.chars().count() <= 64
                && !tag.starts_with('\u{fe0f}')
                && !overlaps_any(&spans, start, end)
            {
                spans.push(Span {
                    byte_start: start,
                    byte_end: end,
                    feature: Feature::Tag {
                        tag: tag.to_owned(),
                    },
                });
            }
        }
    }
    spans.sort_by_key(|span| span.byte_start);
    spans
}

fn is_unicode_punctuation(c: char) -> bool {
    matches!(
        c,
        '…' | '。' | '、' | '！' | '？' | '「' | '」' | '“' | '”' | '‘' | '’' | '«' | '»'
    )
}

/// A handle: at least two dot-separated labels of letters, digits and
/// hyphens, no label starting or ending with a hyphen, the last not starting
/// with a digit.
fn is_valid_handle(handle: &str) -> bool {
    let labels: Vec<&str> = handle.split('.').collect();
    labels.len() >= 2
        && handle.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// The record for a post: text, `createdAt` (the post's, with milliseconds),
/// languages, and the facets for the features whose mentions resolved (`dids`
/// maps a handle to its DID). A link facet's `uri` is the post's tracked
/// redirect for that link when it has one ([`Outgoing::link_uris`]); the
/// text and the link card keep the link as written.
pub fn build_record(
    post: &Outgoing<'_>,
    spans: &[Span],
    dids: &dyn Fn(&str) -> Option<String>,
) -> Value {
    // Links are counted in text order, as tracked links are numbered.
    let mut links = 0;
    let facets: Vec<Value> = spans
        .iter()
        .filter_map(|span| {
            let feature = match &span.feature {
                Feature::Link { uri } => {
                    // The tracked redirect, where there is one; the text keeps the link.
                    let uri = post.link_uris.get(links).unwrap_or(uri);
                    links += 1;
                    json!({"$type": "app.bsky.richtext.facet#link", "uri": uri})
                }
                Feature::Mention { handle } => {
                    json!({"$type": "app.bsky.richtext.facet#mention", "did": dids(handle)?})
                }
                Feature::Tag { tag } => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
            };
            Some(json!({
                "index": {"byteStart": span.byte_start, "byteEnd": span.byte_end},
                "features": [feature],
            }))
        })
        .collect();
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": post.text,
        "createdAt": post.created_at.rfc3339(),
    });
    if let Some(language) = post.language {
        record["langs"] = json!([language]);
    }
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if let Some(card) = post.link_card {
        record["embed"] = json!({
            "$type": "app.bsky.embed.external",
            "external": {"uri": card.uri, "title": card.title, "description": card.description},
        });
    }
    record
}

/// XRPC's words: `{"error": "Name", "message": "…"}`.
fn words(reply: &Reply) -> Option<String> {
    match (reply.str_at("/error"), reply.str_at("/message")) {
        (Some(name), Some(message)) => Some(format!("{name}: {message}")),
        (Some(name), None) => Some(name.to_owned()),
        (None, Some(message)) => Some(message.to_owned()),
        (None, None) => None,
    }
}

/// The failure for an XRPC error answer, by its `error` name first: the PDS
/// answers expired and invalid tokens with 400, not 401.
fn xrpc_failure(reply: &Reply) -> Failure {
    let message = words(reply).unwrap_or_else(|| format!("HTTP {}", reply.status));
    match reply.str_at("/error") {
        Some(
            "ExpiredToken"
            | "InvalidToken"
            | "AuthenticationRequired"
            | "AuthMissing"
            | "AccountTakedown"
            | "AccountDeactivated",
        ) => Failure::reconnect(format!("HTTP {}: {message}", reply.status)),
        Some("InvalidSwap") => {
            Failure::permanent(format!("a different post already has this key ({message})"))
        }
        _ => failure_for(reply, Some(message)),
    }
}

fn is_token_error(reply: &Reply) -> bool {
    matches!(
        reply.str_at("/error"),
        Some("ExpiredToken" | "InvalidToken")
    )
}

/// A session on the PDS.
#[derive(Debug, Clone)]
struct Session {
    access_jwt: String,
    refresh_jwt: Option<String>,
    did: String,
    handle: Option<String>,
}

impl Session {
    fn from_reply(reply: &Reply) -> Result<Session, Failure> {
        match (reply.str_at("/accessJwt"), reply.str_at("/did")) {
            (Some(access), Some(did)) => Ok(Session {
                access_jwt: access.to_owned(),
                refresh_jwt: reply.str_at("/refreshJwt").map(str::to_owned),
                did: did.to_owned(),
                handle: reply.str_at("/handle").map(str::to_owned),
            }),
            _ => Err(Failure::Unconfirmed {
                message: format!("HTTP {}: a session answer without tokens", reply.status),
            }),
        }
    }
}

/// Publishing's state: the credentials as given, the session in use, and
/// whether it changed (so must be saved).
struct Connection<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    identifier: &'a str,
    password: &'a str,
    session: Option<Session>,
    changed: bool,
}

impl<'a> Connection<'a> {
    fn new(client: &'a reqwest::Client, target: &Target<'a>) -> Result<Connection<'a>, Failure> {
        let Credentials::AppPassword {
            identifier,
            password,
            access_jwt,
            refresh_jwt,
            did,
        } = target.credentials
        else {
            return Err(Failure::reconnect(
                "Bluesky needs a handle and an app password; reconnect the channel",
            ));
        };
        let session = match (access_jwt, did) {
            (Some(access), Some(did)) if !access.is_empty() && !did.is_empty() => Some(Session {
                access_jwt: access.clone(),
                refresh_jwt: refresh_jwt.clone(),
                did: did.clone(),
                handle: None,
            }),
            _ => None,
        };
        Ok(Connection {
            client,
            base: trim_base(target.base_url),
            identifier,
            password,
            session,
            changed: false,
        })
    }

    fn credentials(&self) -> Option<Credentials> {
        let session = self.session.as_ref().filter(|_| self.changed)?;
        Some(Credentials::AppPassword {
            identifier: self.identifier.to_owned(),
            password: self.password.to_owned(),
            access_jwt: Some(session.access_jwt.clone()),
            refresh_jwt: session.refresh_jwt.clone(),
            did: Some(session.did.clone()),
        })
    }

    fn xrpc(&self, method: Method, nsid: &str) -> Request {
        Request::new(method, format!("{}/xrpc/{nsid}", self.base))
    }

    async fn create_session(&mut self, exchanges: &mut Vec<Exchange>) -> Result<(), Failure> {
        let request = self
            .xrpc(Method::POST, "com.atproto.server.createSession")
            .json(json!({"identifier": self.identifier, "password": self.password}));
        let reply = send(self.client, request, exchanges).await?;
        if !reply.is_success() {
            return Err(xrpc_failure(&reply));
        }
        self.session = Some(Session::from_reply(&reply)?);
        self.changed = true;
        Ok(())
    }

    /// A new session: refreshed when there is a refresh token that still
    /// works, else logged in again.
    async fn renew(&mut self, exchanges: &mut Vec<Exchange>) -> Result<(), Failure> {
        if let Some(refresh) = self
            .session
            .as_ref()
            .and_then(|session| session.refresh_jwt.clone())
        {
            let request = self
                .xrpc(Method::POST, "com.atproto.server.refreshSession")
                .bearer(&refresh);
            let reply = send(self.client, request, exchanges).await?;
            if reply.is_success() {
                self.session = Some(Session::from_reply(&reply)?);
                self.changed = true;
                return Ok(());
            }
            if !(reply.status == 400 || reply.status == 401) {
                return Err(xrpc_failure(&reply));
            }
        }
        self.create_session(exchanges).await
    }

    async fn session(&mut self, exchanges: &mut Vec<Exchange>) -> Result<Session, Failure> {
        if self.session.is_none() {
            self.create_session(exchanges).await?;
        }
        self.session
            .clone()
            .ok_or_else(|| Failure::reconnect("no Bluesky session"))
    }

    /// Sends an authenticated request built by `make`; on `ExpiredToken` or
    /// `InvalidToken` renews the session and sends it once more.
    async fn authed(
        &mut self,
        exchanges: &mut Vec<Exchange>,
        make: impl Fn(&Session) -> Request,
    ) -> Result<Reply, Failure> {
        let session = self.session(exchanges).await?;
        let reply = send(
            self.client,
            make(&session).bearer(&session.access_jwt),
            exchanges,
        )
        .await?;
        if !is_token_error(&reply) {
            return Ok(reply);
        }
        self.renew(exchanges).await?;
        let session = self.session(exchanges).await?;
        send(
            self.client,
            make(&session).bearer(&session.access_jwt),
            exchanges,
        )
        .await
    }

    /// The DID of each mentioned handle; `None` when the PDS says it does not
    /// resolve. A transient failure fails the whole post (to be retried),
    /// because a facet left out now would change the record on the retry.
    async fn resolve_mentions(
        &self,
        spans: &[Span],
        exchanges: &mut Vec<Exchange>,
    ) -> Result<Vec<(String, String)>, Failure> {
        let mut resolved = Vec::new();
        for span in spans {
            let Feature::Mention { handle } = &span.feature else {
                continue;
            };
            if resolved.iter().any(|(known, _)| known == handle) {
                continue;
            }
            let request = self.xrpc(
                Method::GET,
                &format!(
                    "com.atproto.identity.resolveHandle?handle={}",
                    urlencoding::encode(handle)
                ),
            );
            let reply = send(self.client, request, exchanges).await?;
            if let (true, Some(did)) = (reply.is_success(), reply.str_at("/did")) {
                resolved.push((handle.clone(), did.to_owned()));
            } else if reply.status >= 500 || reply.status == 429 {
                return Err(xrpc_failure(&reply));
            }
        }
        Ok(resolved)
    }
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let mut connection = match Connection::new(client, target) {
        Ok(connection) => connection,
        Err(failure) => {
            return Outcome {
                result: Err(failure),
                exchanges,
                credentials: None,
            };
        }
    };
    let result = write_post(&mut connection, target, post, &mut exchanges).await;
    Outcome {
        result,
        exchanges,
        credentials: connection.credentials(),
    }
}

async fn write_post(
    connection: &mut Connection<'_>,
    target: &Target<'_>,
    post: &Outgoing<'_>,
    exchanges: &mut Vec<Exchange>,
) -> Result<Published, Failure> {
    let graphemes = text_limits::bluesky_graphemes(post.text);
    if graphemes > text_limits::BLUESKY_MAX_GRAPHEMES {
        return Err(Failure::permanent(format!(
            "the text has {graphemes} graphemes; Bluesky takes at most {}",
            text_limits::BLUESKY_MAX_GRAPHEMES
        )));
    }
    if post.text.len() > text_limits::BLUESKY_MAX_BYTES {
        return Err(Failure::permanent(format!(
            "the text has {} bytes; Bluesky takes at most {}",
            post.text.len(),
            text_limits::BLUESKY_MAX_BYTES
        )));
    }
    let spans = detect_features(post.text);
    let resolved = connection.resolve_mentions(&spans, exchanges).await?;
    let dids = |handle: &str| {
        resolved
            .iter()
            .find(|(known, _)| known == handle)
            .map(|(_, did)| did.clone())
    };
    let mut record = build_record(post, &spans, &dids);
    if !post.media.is_empty() {
        // Blobs are named by their content, so a retry uploads the same blob
        // and writes the byte-identical record.
        let mut images = Vec::new();
        for media in post.media {
            let reply = connection
                .authed(exchanges, |_| {
                    let mut request = Request::new(
                        Method::POST,
                        format!(
                            "{}/xrpc/com.atproto.repo.uploadBlob",
                            trim_base(target.base_url)
                        ),
                    );
                    request.body = super::Body::Binary {
                        content_type: media.content_type.clone(),
                        bytes: media.bytes.clone(),
                    };
                    request
                })
                .await?;
            if !reply.is_success() {
                return Err(xrpc_failure(&reply));
            }
            let Some(blob) = reply.json.get("blob").cloned() else {
                return Err(Failure::permanent(
                    "the PDS stored the image but gave no blob",
                ));
            };
            images.push(json!({"image": blob, "alt": media.alt}));
        }
        // One embed per post: images win over a link card.
        record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
    }
    let rkey = record_key(post.created_at, post.post_id, post.target_id);
    let reply = connection
        .authed(exchanges, |session| {
            connection_put(target, session, &rkey, &record)
        })
        .await?;
    if !reply.is_success() {
        return Err(xrpc_failure(&reply));
    }
    let Some(uri) = reply.str_at("/uri").map(str::to_owned) else {
        return Err(Failure::Unconfirmed {
            message: format!("HTTP {} without a record uri", reply.status),
        });
    };
    let session = connection.session(exchanges).await?;
    let profile = profile_name(target, &session);
    Ok(Published {
        url: Some(format!("https://bsky.app/profile/{profile}/post/{rkey}")),
        remote_id: uri,
    })
}

fn connection_put(target: &Target<'_>, session: &Session, rkey: &str, record: &Value) -> Request {
    Request::new(
        Method::POST,
        format!(
            "{}/xrpc/com.atproto.repo.putRecord",
            trim_base(target.base_url)
        ),
    )
    .json(json!({
        "repo": session.did,
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
        "swapRecord": null,
        "record": record,
    }))
}

/// The handle for bsky.app links: the target's account when it is a handle,
/// else the session's handle, else the DID (bsky.app takes either).
fn profile_name(target: &Target<'_>, session: &Session) -> String {
    let account = target.account.trim().trim_start_matches('@');
    if !account.is_empty() && !account.starts_with("did:") {
        account.to_owned()
    } else {
        session
            .handle
            .clone()
            .unwrap_or_else(|| session.did.clone())
    }
}

pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> (Result<ChannelInfo, Failure>, Option<Credentials>) {
    let mut connection = match Connection::new(client, target) {
        Ok(connection) => connection,
        Err(failure) => return (Err(failure), None),
    };
    let mut exchanges = Vec::new();
    let result = async {
        let reply = connection
            .authed(&mut exchanges, |_| {
                Request::new(
                    Method::GET,
                    format!(
                        "{}/xrpc/com.atproto.server.getSession",
                        trim_base(target.base_url)
                    ),
                )
            })
            .await?;
        if !reply.is_success() {
            return Err(xrpc_failure(&reply));
        }
        let handle = reply
            .str_at("/handle")
            .or_else(|| reply.str_at("/did"))
            .unwrap_or_default()
            .to_owned();
        let mut info = default_info(Network::Bluesky, &handle);
        // The profile (display name, avatar) needs an AppView; a bare PDS has
        // none, and the handle is name enough.
        let profile = connection
            .authed(&mut exchanges, |session| {
                Request::new(
                    Method::GET,
                    format!(
                        "{}/xrpc/app.bsky.actor.getProfile?actor={}",
                        trim_base(target.base_url),
                        urlencoding::encode(&session.did)
                    ),
                )
            })
            .await;
        if let Ok(profile) = profile
            && profile.is_success()
        {
            if let Some(name) = profile.str_at("/displayName").filter(|n| !n.is_empty()) {
                info.display_name = format!("{name} (@{handle})");
            }
            info.avatar_url = profile.str_at("/avatar").map(str::to_owned);
        }
        Ok(info)
    }
    .await;
    (result, connection.credentials())
}

/// Counters come from an AppView's `app.bsky.feed.getPosts` (through the
/// PDS, which proxies `app.bsky.*`). A PDS without an AppView answers
/// "No service configured": that is `Permanent("no AppView …")`.
pub(crate) async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    let mut connection = Connection::new(client, target)?;
    let mut exchanges = Vec::new();
    let reply = connection
        .authed(&mut exchanges, |_| {
            Request::new(
                Method::GET,
                format!(
                    "{}/xrpc/app.bsky.feed.getPosts?uris={}",
                    trim_base(target.base_url),
                    urlencoding::encode(remote_id)
                ),
            )
        })
        .await?;
    if !reply.is_success() {
        let no_service = reply
            .str_at("/message")
            .is_some_and(|message| message.contains("No service configured"));
        if no_service || reply.status == 404 || reply.status == 501 {
            return Err(Failure::permanent(format!(
                "no AppView: this PDS cannot count likes or reposts ({})",
                words(&reply).unwrap_or_default()
            )));
        }
        return Err(xrpc_failure(&reply));
    }
    let Some(post) = reply.json.pointer("/posts/0") else {
        return Err(Failure::permanent(format!(
            "the AppView does not know {remote_id}"
        )));
    };
    let count = |key: &str| post.get(key).and_then(Value::as_i64).unwrap_or(0);
    Ok(Metrics {
        likes: count("likeCount"),
        shares: count("repostCount"),
        replies: count("replyCount"),
        quotes: count("quoteCount"),
        ..Metrics::default()
    })
}

/// The account's follower count (`followersCount` of an AppView's
/// `app.bsky.actor.getProfile`, through the PDS, which proxies `app.bsky.*`).
/// A PDS without an AppView cannot count followers (they are records in other
/// people's repositories): that is `None`, "not reported", not an error.
pub(crate) async fn followers(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<Option<i64>, Failure> {
    let mut connection = Connection::new(client, target)?;
    let mut exchanges = Vec::new();
    let reply = connection
        .authed(&mut exchanges, |session| {
            Request::new(
                Method::GET,
                format!(
                    "{}/xrpc/app.bsky.actor.getProfile?actor={}",
                    trim_base(target.base_url),
                    urlencoding::encode(&session.did)
                ),
            )
        })
        .await?;
    if !reply.is_success() {
        let no_service = reply
            .str_at("/message")
            .is_some_and(|message| message.contains("No service configured"));
        if no_service || reply.status == 404 || reply.status == 501 {
            return Ok(None);
        }
        return Err(xrpc_failure(&reply));
    }
    Ok(reply.json.get("followersCount").and_then(Value::as_i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_are_valid_tids_and_distinct() {
        let at = Timestamp::from_millis(1_795_375_093_380);
        let key = record_key(at, 1, 1);
        assert_eq!(key.len(), 13);
        assert!(key.bytes().all(|b| TID_ALPHABET.contains(&b)));
        assert!("234567abcdefghij".contains(&key[..1]));
        assert_eq!(key, record_key(at, 1, 1));
        let mut keys = std::collections::HashSet::new();
        for post in 0..40 {
            for target in 0..40 {
                assert!(keys.insert(record_key(at, post, target)));
            }
        }
        // Later posts sort after earlier ones.
        assert!(record_key(at.plus_millis(1), 1, 1) > key);
        assert_eq!(record_key(Timestamp::from_millis(0), 0, 0), "2222222222222");
    }

    #[test]
    fn features_have_utf8_byte_offsets() {
        let text = "Grüße @agora.test 🎉 see https://example.com/a?b=c #agora #Straße";
        let spans = detect_features(text);
        let found: Vec<(usize, usize, &str)> = spans
            .iter()
            .map(|span| {
                (
                    span.byte_start,
                    span.byte_end,
                    &text[span.byte_start..span.byte_end],
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (8, 19, "@agora.test"),
                (29, 54, "https://example.com/a?b=c"),
                (55, 61, "#agora"),
                (62, 70, "#Straße"),
            ]
        );
        assert_eq!(
            spans[3].feature,
            Feature::Tag {
                tag: "Straße".into()
            }
        );
    }

    #[test]
    fn not_everything_is_a_feature() {
        let spans = detect_features(
            "mail me@example.com, #123 is not a tag, see https://x.org/#frag, @nodot, a#b",
        );
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(matches!(spans[0].feature, Feature::Link { .. }));
        let spans = detect_features("(@alice.bsky.social.) #tag!");
        assert_eq!(
            spans
                .iter()
                .map(|span| span.feature.clone())
                .collect::<Vec<_>>(),
            [
                Feature::Mention {
                    handle: "alice.bsky.social".into()
                },
                Feature::Tag { tag: "tag".into() }
            ]
        );
    }

    #[test]
    fn unresolved_mentions_get_no_facet_and_the_record_is_stable() {
        let post = Outgoing {
            post_id: 1,
            target_id: 2,
            text: "hi @a.test and @b.test",
            language: Some("en"),
            content_warning: None,
            created_at: Timestamp::from_millis(1_795_375_093_380),
            link_card: None,
            media: &[],
            visibility: None,
            link_uris: &[],
        };
        let spans = detect_features(post.text);
        let dids = |handle: &str| (handle == "a.test").then(|| "did:plc:a".to_owned());
        let record = build_record(&post, &spans, &dids);
        assert_eq!(record["createdAt"], "2026-11-22T19:18:13.380Z");
        assert_eq!(record["langs"], json!(["en"]));
        assert_eq!(record["facets"].as_array().map(Vec::len), Some(1));
        assert_eq!(record["facets"][0]["features"][0]["did"], "did:plc:a");
        assert_eq!(record, build_record(&post, &spans, &dids));
    }
}
