//! Threads (Meta) through its Graph API (v1.0), in two steps: create a text
//! container (`POST /{user-id}/threads` with `media_type=TEXT&text=…`), then
//! publish it (`POST /{user-id}/threads_publish?creation_id=…`), which
//! answers the post's media id. The permalink is read afterwards, best effort.
//!
//! A lost answer to the first step is harmless (an unpublished container
//! expires); to the second it is `Unconfirmed`, since Threads has no
//! idempotency key. Errors use the Graph API's shape (see `facebook`).

use agora_core::text_limits::Network;
use reqwest::Method;
use serde_json::Value;

use super::facebook::graph_failure;
use super::{
    ChannelInfo, Failure, Metrics, Outcome, Outgoing, Published, Request, Target, base_or,
    default_info, outcome, path_segment, send, token,
};

const OFFICIAL: &str = "https://graph.threads.net";
const VERSION: &str = "v1.0";

/// The Threads user id, or `me`.
fn user<'a>(target: &Target<'a>) -> &'a str {
    let user = target.account.trim();
    if user.is_empty() { "me" } else { user }
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let token = token(target)?;
        let base = format!(
            "{}/{VERSION}/{}",
            base_or(target, OFFICIAL),
            path_segment(user(target))
        );
        let create = Request::new(Method::POST, format!("{base}/threads")).form(vec![
            ("media_type", "TEXT".to_owned()),
            ("text", post.text.to_owned()),
            ("access_token", token.to_owned()),
        ]);
        let reply = send(client, create, &mut exchanges).await?;
        if !reply.is_success() {
            return Err(graph_failure(&reply));
        }
        let Some(creation_id) = reply.str_at("/id").map(str::to_owned) else {
            return Err(Failure::Retryable {
                message: format!("HTTP {} without a container id", reply.status),
                retry_after_ms: None,
            });
        };
        let publish = Request::new(Method::POST, format!("{base}/threads_publish")).form(vec![
            ("creation_id", creation_id),
            ("access_token", token.to_owned()),
        ]);
        let reply = send(client, publish, &mut exchanges).await?;
        if !reply.is_success() {
            return Err(graph_failure(&reply));
        }
        let Some(id) = reply.str_at("/id").map(str::to_owned) else {
            return Err(Failure::Unconfirmed {
                message: format!("HTTP {} without a media id", reply.status),
            });
        };
        let permalink = Request::new(
            Method::GET,
            format!(
                "{}/{VERSION}/{}?fields=permalink&access_token={}",
                base_or(target, OFFICIAL),
                path_segment(&id),
                urlencoding::encode(token)
            ),
        );
        let url = match send(client, permalink, &mut exchanges).await {
            Ok(reply) if reply.is_success() => reply.str_at("/permalink").map(str::to_owned),
            _ => None,
        };
        Ok(Published { remote_id: id, url })
    }
    .await;
    outcome(result, exchanges)
}

pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<ChannelInfo, Failure> {
    let token = token(target)?;
    let url = format!(
        "{}/{VERSION}/{}?fields=id,username,threads_profile_picture_url&access_token={}",
        base_or(target, OFFICIAL),
        path_segment(user(target)),
        urlencoding::encode(token)
    );
    let reply = send(client, Request::new(Method::GET, url), &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(graph_failure(&reply));
    }
    let username = reply.str_at("/username").unwrap_or_default();
    let mut info = default_info(Network::Threads, &format!("@{username}"));
    info.avatar_url = reply
        .str_at("/threads_profile_picture_url")
        .map(str::to_owned);
    Ok(info)
}

/// The post's insights (`GET /{media-id}/insights?metric=views,likes,replies,reposts,quotes`):
/// Threads' views count as impressions; it says nothing of reach or clicks.
pub(crate) async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    let token = token(target)?;
    let url = format!(
        "{}/{VERSION}/{}/insights?metric=views,likes,replies,reposts,quotes&access_token={}",
        base_or(target, OFFICIAL),
        path_segment(remote_id),
        urlencoding::encode(token)
    );
    let reply = send(client, Request::new(Method::GET, url), &mut Vec::new()).await?;
    if !reply.is_success() {
        return Err(graph_failure(&reply));
    }
    let value = |name: &str| {
        reply
            .json
            .get("data")
            .and_then(Value::as_array)?
            .iter()
            .find(|metric| metric.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|metric| {
                metric
                    .pointer("/values/0/value")
                    .or_else(|| metric.pointer("/total_value/value"))
            })
            .and_then(Value::as_i64)
    };
    Ok(Metrics {
        likes: value("likes").unwrap_or(0),
        shares: value("reposts").unwrap_or(0),
        replies: value("replies").unwrap_or(0),
        quotes: value("quotes").unwrap_or(0),
        impressions: value("views"),
        ..Metrics::default()
    })
}
