//! Facebook Pages through the Graph API (v21.0): a post is
//! `POST /{page-id}/feed` with `message` and the page's access token; the
//! answer is `{"id": "{page-id}_{post-id}"}`.
//!
//! The Graph API has no idempotency key, so a post whose answer was lost
//! (`Unconfirmed`) may exist; the engine must not blindly retry those. Errors
//! come as `{"error": {"message", "type", "code", "error_subcode",
//! "is_transient"}}` and are classified by `code` (shared with Threads, which
//! speaks the same dialect): 190 and the permission codes ask to reconnect,
//! the throttling codes and transient errors are retryable.

use agora_core::text_limits::Network;
use reqwest::Method;
use serde_json::Value;

use super::{
    ChannelInfo, Failure, Metrics, Outcome, Outgoing, Published, Reply, Request, Target, base_or,
    default_info, failure_for, outcome, path_segment, send, token,
};

const OFFICIAL: &str = "https://graph.facebook.com";
const VERSION: &str = "v21.0";

/// The failure for a Graph API answer that is not a success.
pub(crate) fn graph_failure(reply: &Reply) -> Failure {
    let error = reply.json.get("error");
    let field = |key: &str| error.and_then(|error| error.get(key));
    let message = field("message").and_then(Value::as_str).map(str::to_owned);
    let code = field("code").and_then(Value::as_i64);
    let transient = field("is_transient").and_then(Value::as_bool) == Some(true);
    let described = match (&message, code) {
        (Some(message), Some(code)) => format!("HTTP {}: {message} (code {code})", reply.status),
        (Some(message), None) => format!("HTTP {}: {message}", reply.status),
        _ => format!("HTTP {}", reply.status),
    };
    match code {
        // Invalid or expired token, expired session, missing permission.
        Some(190 | 102 | 10 | 200..=299) => Failure::reconnect(described),
        // Throttling: application, user, page, and custom-level limits.
        Some(4 | 17 | 32 | 613 | 80001..=80014) => Failure::Retryable {
            message: described,
            retry_after_ms: super::retry_after_ms(&reply.headers),
        },
        // Unknown and temporary errors.
        Some(1 | 2) => Failure::Retryable {
            message: described,
            retry_after_ms: None,
        },
        _ if transient => Failure::Retryable {
            message: described,
            retry_after_ms: None,
        },
        _ => failure_for(
            reply,
            message.map(|message| match code {
                Some(code) => format!("{message} (code {code})"),
                None => message,
            }),
        ),
    }
}

fn page<'a>(target: &Target<'a>) -> Result<&'a str, Failure> {
    let page = target.account.trim();
    if page.is_empty() {
        Err(Failure::permanent(
            "no Facebook page id is set for this channel",
        ))
    } else {
        Ok(page)
    }
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let token = token(target)?;
        let page = page(target)?;
        let url = format!(
            "{}/{VERSION}/{}/feed",
            base_or(target, OFFICIAL),
            path_segment(page)
        );
        let request = Request::new(Method::POST, url).form(vec![
            ("message", post.text.to_owned()),
            ("access_token", token.to_owned()),
        ]);
        let reply = send(client, request, &mut exchanges).await?;
        if !reply.is_success() {
            return Err(graph_failure(&reply));
        }
        let Some(id) = reply.str_at("/id").map(str::to_owned) else {
            return Err(Failure::Unconfirmed {
                message: format!("HTTP {} without a post id", reply.status),
            });
        };
        Ok(Published {
            url: Some(format!("https://www.facebook.com/{id}")),
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
    let page = page(target)?;
    let url = format!(
        "{}/{VERSION}/{}?fields=name,picture&access_token={}",
        base_or(target, OFFICIAL),
        path_segment(page),
        urlencoding::encode(token)
    );
    let reply = send(client, Request::new(Method::GET, url), &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(graph_failure(&reply));
    }
    let mut info = default_info(Network::Facebook, reply.str_at("/name").unwrap_or(page));
    info.avatar_url = reply.str_at("/picture/data/url").map(str::to_owned);
    Ok(info)
}

/// Reactions, shares and comments of a page post (`quotes` stays 0).
pub(crate) async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    let token = token(target)?;
    let url = format!(
        "{}/{VERSION}/{}?fields=shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)&access_token={}",
        base_or(target, OFFICIAL),
        path_segment(remote_id),
        urlencoding::encode(token)
    );
    let reply = send(client, Request::new(Method::GET, url), &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(graph_failure(&reply));
    }
    let count = |pointer: &str| {
        reply
            .json
            .pointer(pointer)
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let insights = insights(client, target, token, remote_id).await;
    Ok(Metrics {
        likes: count("/reactions/summary/total_count"),
        shares: count("/shares/count"),
        replies: count("/comments/summary/total_count"),
        quotes: 0,
        impressions: insights.get("post_media_view").copied(),
        reach: insights.get("post_total_media_view_unique").copied(),
        clicks: insights.get("post_clicks").copied(),
    })
}

/// The post's insights by metric name (lifetime values). Meta retired
/// `post_impressions*` in June 2026 for `post_media_view` (views) and
/// `post_total_media_view_unique` (people reached); a metric the API no
/// longer knows makes it refuse the whole request, so a refusal is asked
/// again with reach alone, and a second refusal means none (the counters
/// above still count).
async fn insights(
    client: &reqwest::Client,
    target: &Target<'_>,
    token: &str,
    remote_id: &str,
) -> std::collections::HashMap<String, i64> {
    let mut found = std::collections::HashMap::new();
    for metrics in [
        "post_media_view,post_total_media_view_unique,post_clicks",
        "post_total_media_view_unique",
    ] {
        let url = format!(
            "{}/{VERSION}/{}/insights?metric={metrics}&access_token={}",
            base_or(target, OFFICIAL),
            path_segment(remote_id),
            urlencoding::encode(token)
        );
        let Ok(reply) = send(client, Request::new(Method::GET, url), &mut Vec::new()).await else {
            return found;
        };
        if !reply.is_success() {
            continue;
        }
        for metric in reply
            .json
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = metric.get("name").and_then(Value::as_str);
            let value = metric.pointer("/values/0/value").and_then(Value::as_i64);
            if let (Some(name), Some(value)) = (name, value) {
                found.insert(name.to_owned(), value);
            }
        }
        return found;
    }
    found
}
