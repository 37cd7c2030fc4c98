//! X through its API v2: a post is `POST /2/tweets` with `{"text"}` and the
//! user's OAuth 2.0 token; the answer is `{"data": {"id", "text"}}`.
//!
//! X has no idempotency key, so a lost answer is `Unconfirmed`. It refuses a
//! duplicate text with 403, which is the post's fault, not the token's: that
//! one is `Permanent`. Rate limits come with `x-rate-limit-reset` (Unix
//! seconds).

use agora_core::text_limits::Network;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    ChannelInfo, Failure, Metrics, Outcome, Outgoing, Published, Reply, Request, Target, base_or,
    default_info, failure_for, outcome, path_segment, send, token,
};

const OFFICIAL: &str = "https://api.x.com";

/// X's words: `detail` (problem documents), else the first `errors[].message`.
fn words(reply: &Reply) -> Option<String> {
    reply
        .str_at("/detail")
        .or_else(|| reply.str_at("/errors/0/message"))
        .or_else(|| reply.str_at("/title"))
        .map(str::to_owned)
}

fn x_failure(reply: &Reply) -> Failure {
    let words = words(reply);
    let duplicate = words
        .as_deref()
        .is_some_and(|words| words.to_ascii_lowercase().contains("duplicate"));
    if reply.status == 403 && duplicate {
        return Failure::permanent(format!("HTTP 403: {}", words.unwrap_or_default()));
    }
    failure_for(reply, words)
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let token = token(target)?;
        let request = Request::new(
            Method::POST,
            format!("{}/2/tweets", base_or(target, OFFICIAL)),
        )
        .bearer(token)
        .json(json!({ "text": post.text }));
        let reply = send(client, request, &mut exchanges).await?;
        if !reply.is_success() {
            return Err(x_failure(&reply));
        }
        let Some(id) = reply.str_at("/data/id").map(str::to_owned) else {
            return Err(Failure::Unconfirmed {
                message: format!("HTTP {} without data.id", reply.status),
            });
        };
        Ok(Published {
            url: Some(format!("https://x.com/i/web/status/{id}")),
            remote_id: id,
        })
    }
    .await;
    outcome(result, exchanges)
}

pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<ChannelInfo, Failure> {
    let token = token(target)?;
    let request = Request::new(
        Method::GET,
        format!(
            "{}/2/users/me?user.fields=profile_image_url",
            base_or(target, OFFICIAL)
        ),
    )
    .bearer(token);
    let reply = send(client, request, &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(x_failure(&reply));
    }
    let name = reply.str_at("/data/name").unwrap_or_default();
    let username = reply.str_at("/data/username").unwrap_or_default();
    let mut info = default_info(Network::X, &format!("{name} (@{username})"));
    info.avatar_url = reply.str_at("/data/profile_image_url").map(str::to_owned);
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
            "{}/2/tweets/{}?tweet.fields=public_metrics",
            base_or(target, OFFICIAL),
            path_segment(remote_id)
        ),
    )
    .bearer(token);
    let reply = send(client, request, &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(x_failure(&reply));
    }
    let count = |key: &str| {
        reply
            .json
            .pointer(&format!("/data/public_metrics/{key}"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    Ok(Metrics {
        likes: count("like_count"),
        shares: count("retweet_count"),
        replies: count("reply_count"),
        quotes: count("quote_count"),
        // In public_metrics since 2023; absent on older API plans.
        impressions: reply
            .json
            .pointer("/data/public_metrics/impression_count")
            .and_then(Value::as_i64),
        ..Metrics::default()
    })
}
