//! Matrix: an `m.room.message` sent with
//! `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`, the
//! transaction id being the post's idempotency key. The homeserver scopes a
//! transaction to the access token's device, so a retry with the same token
//! returns the first event; the connector never logs in again by itself.

use agora_core::text_limits::{Network, find_urls};
use reqwest::Method;
use serde_json::json;

use super::{
    ChannelInfo, Failure, Outcome, Outgoing, Published, Reply, Request, Target, classify,
    default_info, outcome, path_segment, send, token, trim_base,
};

/// Matrix's words: `{"errcode": "M_…", "error": "…"}`.
fn words(reply: &Reply) -> Option<String> {
    match (reply.str_at("/errcode"), reply.str_at("/error")) {
        (Some(code), Some(error)) => Some(format!("{code}: {error}")),
        (Some(code), None) => Some(code.to_owned()),
        (None, Some(error)) => Some(error.to_owned()),
        (None, None) => None,
    }
}

fn room<'a>(target: &Target<'a>) -> Result<&'a str, Failure> {
    let room = target.account.trim();
    if room.is_empty() {
        Err(Failure::permanent("no Matrix room is set for this channel"))
    } else {
        Ok(room)
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
        let room = room(target)?;
        let url = format!(
            "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
            trim_base(target.base_url),
            path_segment(room),
            path_segment(&post.idempotency_key()),
        );
        let body = json!({
            "msgtype": "m.text",
            "body": post.text,
            "format": "org.matrix.custom.html",
            "formatted_body": formatted_body(post.text),
        });
        let request = Request::new(Method::PUT, url).bearer(token).json(body);
        let reply = classify(send(client, request, &mut exchanges).await?, words)?;
        let Some(event_id) = reply.str_at("/event_id").map(str::to_owned) else {
            return Err(Failure::Unconfirmed {
                message: format!("HTTP {} without an event_id", reply.status),
            });
        };
        Ok(Published {
            url: Some(format!(
                "https://matrix.to/#/{}/{}",
                path_segment(room),
                path_segment(&event_id)
            )),
            remote_id: event_id,
        })
    }
    .await;
    outcome(result, exchanges)
}

/// The HTML body: the text escaped, its URLs made links, newlines as `<br>`.
pub fn formatted_body(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let mut position = 0;
    for url in find_urls(text) {
        html.push_str(&escape(&text[position..url.start]));
        let href = escape(&text[url.clone()]);
        html.push_str(&format!("<a href=\"{href}\">{href}</a>"));
        position = url.end;
    }
    html.push_str(&escape(&text[position..]));
    html.replace("\r\n", "<br>").replace('\n', "<br>")
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Verifies the token (`whoami`) and that the user is in the room (reading its
/// name needs membership); the room's name becomes the channel's name.
pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<ChannelInfo, Failure> {
    let token = token(target)?;
    let room = room(target)?;
    let base = trim_base(target.base_url);
    let mut exchanges = Vec::new();
    let whoami = classify(
        send(
            client,
            Request::new(
                Method::GET,
                format!("{base}/_matrix/client/v3/account/whoami"),
            )
            .bearer(token),
            &mut exchanges,
        )
        .await?,
        words,
    )?;
    let user = whoami.str_at("/user_id").unwrap_or_default().to_owned();
    let name_reply = send(
        client,
        Request::new(
            Method::GET,
            format!(
                "{base}/_matrix/client/v3/rooms/{}/state/m.room.name/",
                path_segment(room)
            ),
        )
        .bearer(token),
        &mut exchanges,
    )
    .await?;
    // An unnamed room answers 404 M_NOT_FOUND; not being in it, 403.
    let name = if name_reply.status == 404 && name_reply.str_at("/errcode") == Some("M_NOT_FOUND") {
        None
    } else {
        let reply = classify(name_reply, words)?;
        reply
            .str_at("/name")
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
    };
    let display_name = match name {
        Some(name) => format!("{name} ({user})"),
        None => format!("{room} ({user})"),
    };
    Ok(default_info(Network::Matrix, &display_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_body_escapes_links_and_breaks_lines() {
        assert_eq!(
            formatted_body("a <b> & \"c\"\nsee https://example.com/?a=1&b=2."),
            "a &lt;b&gt; &amp; &quot;c&quot;<br>see \
             <a href=\"https://example.com/?a=1&amp;b=2\">https://example.com/?a=1&amp;b=2</a>."
        );
    }
}
