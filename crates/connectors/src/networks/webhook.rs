//! Outgoing webhooks: the post as JSON, `POST`ed to the channel's URL, signed
//! so the receiver can tell it came from us.
//!
//! The body is `{"post_id", "target_id", "text", "language", "content_warning",
//! "created_at"}` (`created_at` in RFC 3339, the last three possibly null). The
//! headers are `Idempotency-Key: agora-{post_id}-{target_id}` (the same on
//! every retry, for the receiver to drop duplicates) and
//! `X-Agora-Signature: sha256=<hex HMAC-SHA256(secret, body bytes)>`. Any 2xx
//! is published; the remote id is the answer's JSON `id` when there is one.

use agora_core::text_limits::Network;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    Body, ChannelInfo, Credentials, Failure, Outcome, Outgoing, Published, Reply, Request, Target,
    classify, default_info, outcome, send,
};

/// The signature header's value for these body bytes.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The receiver's words, if it gave any: `error` or `message`.
fn words(reply: &Reply) -> Option<String> {
    reply
        .str_at("/error")
        .or_else(|| reply.str_at("/message"))
        .map(str::to_owned)
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let Credentials::Webhook { secret } = target.credentials else {
            return Err(Failure::reconnect(
                "the webhook has no signing secret; set one on the channel",
            ));
        };
        let url = target.base_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Failure::permanent(format!(
                "the webhook URL must start with https:// or http://, not {url:?}"
            )));
        }
        let body = json!({
            "post_id": post.post_id,
            "target_id": post.target_id,
            "text": post.text,
            "language": post.language,
            "content_warning": post.content_warning,
            "created_at": post.created_at.rfc3339(),
        });
        let bytes = body.to_string().into_bytes();
        let key = post.idempotency_key();
        let mut request = Request::new(Method::POST, url)
            .header("Idempotency-Key", key.clone())
            .header("X-Agora-Signature", signature(secret, &bytes));
        request.body = Body::Raw {
            content_type: "application/json",
            bytes,
        };
        let reply = classify(send(client, request, &mut exchanges).await?, words)?;
        let remote_id = match reply.json.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            _ => key,
        };
        Ok(Published {
            remote_id,
            url: None,
        })
    }
    .await;
    outcome(result, exchanges)
}

/// A webhook has nothing to ask without sending a post, so this only checks
/// the URL and the secret; the host becomes the channel's name.
pub(crate) fn check(target: &Target<'_>) -> Result<ChannelInfo, Failure> {
    let url = target.base_url.trim();
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return Err(Failure::permanent(
            "the webhook URL must start with https:// or http://",
        ));
    };
    if !matches!(target.credentials, Credentials::Webhook { secret } if !secret.is_empty()) {
        return Err(Failure::reconnect("the webhook has no signing secret"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Ok(default_info(Network::Webhook, host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
