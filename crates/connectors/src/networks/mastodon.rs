//! Mastodon: a status through `POST /api/v1/statuses` with an
//! `Idempotency-Key`, so a retry of the same (post, target) returns the first
//! status instead of a second one; the instance's limits from
//! `/api/v2/instance` (or v1); counters from `GET /api/v1/statuses/:id`.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    ChannelInfo, Failure, Metrics, Outcome, Outgoing, Published, Reply, Request, Target, classify,
    default_info, outcome, send, token, trim_base,
};
use agora_core::text_limits::Network;

/// Mastodon's own words: `{"error": "…"}`.
fn words(reply: &Reply) -> Option<String> {
    reply.str_at("/error").map(str::to_owned)
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let token = token(target)?;
        let mut body = json!({
            "status": post.text,
            "visibility": post.visibility.unwrap_or("public"),
            "spoiler_text": post.content_warning.unwrap_or(""),
        });
        if let Some(language) = post.language {
            body["language"] = Value::String(language.to_owned());
        }
        let mut media_ids = Vec::new();
        for media in post.media {
            media_ids.push(Value::String(
                upload_media(client, target.base_url, token, media, &mut exchanges).await?,
            ));
        }
        if !media_ids.is_empty() {
            body["media_ids"] = Value::Array(media_ids);
        }
        let request = Request::new(
            Method::POST,
            format!("{}/api/v1/statuses", trim_base(target.base_url)),
        )
        .bearer(token)
        .header("Idempotency-Key", post.idempotency_key())
        .json(body);
        let reply = classify(send(client, request, &mut exchanges).await?, words)?;
        let Some(id) = reply.json.get("id").and_then(id_string) else {
            // A 2xx without a status: it may have been created; the same key
            // finds it again on a retry.
            return Err(Failure::Unconfirmed {
                message: format!(
                    "HTTP {} without a status in the answer: {}",
                    reply.status,
                    super::truncate(&reply.text, 200)
                ),
            });
        };
        let url = reply
            .str_at("/url")
            .or_else(|| reply.str_at("/uri"))
            .map(str::to_owned);
        Ok(Published { remote_id: id, url })
    }
    .await;
    outcome(result, exchanges)
}

/// Uploads an image through `POST /api/v2/media` with its alt text; a `202`
/// means the instance is still processing it, so Agora asks again
/// (`GET /api/v1/media/:id`) until it has a URL, as Mastodon's clients do.
async fn upload_media(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
    media: &super::Media,
    exchanges: &mut Vec<super::Exchange>,
) -> Result<String, Failure> {
    let mut request = Request::new(
        Method::POST,
        format!("{}/api/v2/media", trim_base(base_url)),
    )
    .bearer(token);
    request.body = super::multipart(&[("description", media.alt.as_str())], ("file", media));
    let reply = classify(send(client, request, exchanges).await?, words)?;
    let Some(id) = reply.json.get("id").and_then(id_string) else {
        return Err(Failure::permanent(format!(
            "the instance took the image but gave no id (HTTP {})",
            reply.status
        )));
    };
    let mut processed = reply.status != 202 && reply.str_at("/url").is_some();
    let mut wait = std::time::Duration::from_millis(250);
    for _ in 0..20 {
        if processed {
            return Ok(id);
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(5));
        let request = Request::new(
            Method::GET,
            format!(
                "{}/api/v1/media/{}",
                trim_base(base_url),
                super::path_segment(&id)
            ),
        )
        .bearer(token);
        let reply = send(client, request, exchanges).await?;
        processed = reply.status == 200 && reply.str_at("/url").is_some();
        if reply.status != 200 && reply.status != 206 {
            classify(reply, words)?;
        }
    }
    Err(Failure::Retryable {
        message: "the instance is still processing the image".into(),
        retry_after_ms: Some(60_000),
    })
}

fn id_string(value: &Value) -> Option<String> {
    match value {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<ChannelInfo, Failure> {
    let token = token(target)?;
    let base = trim_base(target.base_url);
    let mut exchanges = Vec::new();
    let account = classify(
        send(
            client,
            Request::new(
                Method::GET,
                format!("{base}/api/v1/accounts/verify_credentials"),
            )
            .bearer(token),
            &mut exchanges,
        )
        .await?,
        words,
    )?;
    let username = account.str_at("/username").unwrap_or_default();
    let display_name = account
        .str_at("/display_name")
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(username);
    let mut info = default_info(Network::Mastodon, display_name);
    info.avatar_url = account.str_at("/avatar").map(str::to_owned);

    // v2 first (Mastodon 4); v1 for older servers and some forks, which may
    // also say `max_toot_chars`.
    let mut statuses = None;
    let mut image_limit = None;
    for path in ["/api/v2/instance", "/api/v1/instance"] {
        let request = Request::new(Method::GET, format!("{base}{path}")).bearer(token);
        let Ok(reply) = send(client, request, &mut exchanges).await else {
            continue;
        };
        if !reply.is_success() {
            continue;
        }
        image_limit = image_limit.or_else(|| {
            reply
                .json
                .pointer("/configuration/media_attachments/image_size_limit")
                .and_then(Value::as_u64)
        });
        if let Some(found) = reply.json.pointer("/configuration/statuses") {
            statuses = Some(found.clone());
        } else if let Some(max) = reply.json.get("max_toot_chars").and_then(Value::as_u64) {
            statuses = Some(json!({ "max_characters": max }));
        }
        if statuses.is_some() {
            break;
        }
    }
    if let Some(statuses) = statuses {
        let number = |key: &str| {
            statuses
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        info.max_chars = number("max_characters").unwrap_or(info.max_chars);
        info.max_media = number("max_media_attachments").unwrap_or(info.max_media);
        info.chars_per_url = number("characters_reserved_per_url").unwrap_or(info.chars_per_url);
    }
    info.max_image_bytes = image_limit;
    Ok(info)
}

pub(crate) async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    let token = token(target)?;
    let request = Request::new(
        Method::GET,
        format!(
            "{}/api/v1/statuses/{}",
            trim_base(target.base_url),
            super::path_segment(remote_id)
        ),
    )
    .bearer(token);
    let reply = classify(send(client, request, &mut Vec::new()).await?, words)?;
    let count = |key: &str| reply.json.get(key).and_then(Value::as_i64).unwrap_or(0);
    Ok(Metrics {
        likes: count("favourites_count"),
        shares: count("reblogs_count"),
        replies: count("replies_count"),
        quotes: count("quotes_count"),
        ..Metrics::default()
    })
}

/// The account's follower count (`followers_count` of verify_credentials).
pub(crate) async fn followers(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<Option<i64>, Failure> {
    let token = token(target)?;
    let request = Request::new(
        Method::GET,
        format!(
            "{}/api/v1/accounts/verify_credentials",
            trim_base(target.base_url)
        ),
    )
    .bearer(token);
    let reply = classify(send(client, request, &mut Vec::new()).await?, words)?;
    Ok(reply.json.get("followers_count").and_then(Value::as_i64))
}

/// An app registered on an instance, for the OAuth authorization-code flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthApp {
    pub client_id: String,
    pub client_secret: String,
}

/// The scopes Agora asks for: reading the account and its statuses, writing statuses.
pub const OAUTH_SCOPES: &str = "read write";

/// Registers Agora as an app on the instance (`POST /api/v1/apps`).
pub async fn register_app(
    client: &reqwest::Client,
    instance: &str,
    redirect_uri: &str,
) -> Result<OauthApp, Failure> {
    let mut exchanges = Vec::new();
    let request =
        Request::new(Method::POST, format!("{}/api/v1/apps", trim_base(instance))).form(vec![
            ("client_name", "Agora".to_owned()),
            ("redirect_uris", redirect_uri.to_owned()),
            ("scopes", OAUTH_SCOPES.to_owned()),
            ("website", "https://github.com/agora".to_owned()),
        ]);
    let reply = classify(send(client, request, &mut exchanges).await?, words)?;
    match (reply.str_at("/client_id"), reply.str_at("/client_secret")) {
        (Some(id), Some(secret)) => Ok(OauthApp {
            client_id: id.to_owned(),
            client_secret: secret.to_owned(),
        }),
        _ => Err(Failure::Permanent {
            message: "the instance registered no app (no client_id in its answer)".into(),
        }),
    }
}

/// Where to send the person to authorize Agora on the instance.
pub fn authorize_url(instance: &str, app: &OauthApp, redirect_uri: &str, state: &str) -> String {
    format!(
        "{}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope={}&state={}",
        trim_base(instance),
        urlencoding::encode(&app.client_id),
        urlencoding::encode(redirect_uri),
        urlencoding::encode(OAUTH_SCOPES),
        urlencoding::encode(state)
    )
}

/// Exchanges the authorization code for an access token (`POST /oauth/token`).
pub async fn exchange_code(
    client: &reqwest::Client,
    instance: &str,
    app: &OauthApp,
    redirect_uri: &str,
    code: &str,
) -> Result<String, Failure> {
    let mut exchanges = Vec::new();
    let request =
        Request::new(Method::POST, format!("{}/oauth/token", trim_base(instance))).form(vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("client_id", app.client_id.clone()),
            ("client_secret", app.client_secret.clone()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("scope", OAUTH_SCOPES.to_owned()),
        ]);
    let reply = classify(send(client, request, &mut exchanges).await?, |reply| {
        reply
            .str_at("/error_description")
            .or_else(|| reply.str_at("/error"))
            .map(str::to_owned)
    })?;
    reply
        .str_at("/access_token")
        .map(str::to_owned)
        .ok_or_else(|| Failure::Permanent {
            message: "the instance gave no access token".into(),
        })
}
