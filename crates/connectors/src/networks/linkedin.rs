//! LinkedIn organization pages through the versioned REST API: a post is
//! `POST /rest/posts` (headers `LinkedIn-Version: 202411` and
//! `X-Restli-Protocol-Version: 2.0.0`) authored by the organization's URN;
//! the answer is 201 with the post's URN in the `x-restli-id` header.
//!
//! The commentary is in LinkedIn's "little text" format, where
//! `\ | { } @ [ ] ( ) < > # * _ ~` are markup: they are escaped so the text
//! shows as typed. LinkedIn has no idempotency key, so a lost answer is
//! `Unconfirmed`.

use agora_core::text_limits::Network;
use reqwest::Method;
use serde_json::{Value, json};

use super::{
    ChannelInfo, Failure, Metrics, Outcome, Outgoing, Published, Reply, Request, Target, base_or,
    classify, default_info, outcome, path_segment, send, token,
};

const OFFICIAL: &str = "https://api.linkedin.com";
const VERSION: &str = "202411";

/// LinkedIn's words: `{"message": "…", "status": 422, …}`.
fn words(reply: &Reply) -> Option<String> {
    reply.str_at("/message").map(str::to_owned)
}

/// Escapes the characters that "little text" treats as markup.
pub fn escape_commentary(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '|'
                | '{'
                | '}'
                | '@'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '*'
                | '_'
                | '~'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn author<'a>(target: &Target<'a>) -> Result<&'a str, Failure> {
    let author = target.account.trim();
    if author.starts_with("urn:li:organization:") || author.starts_with("urn:li:person:") {
        Ok(author)
    } else {
        Err(Failure::permanent(format!(
            "the LinkedIn author must be an organization URN (urn:li:organization:…), not {author:?}"
        )))
    }
}

fn versioned(request: Request) -> Request {
    request
        .header("LinkedIn-Version", VERSION)
        .header("X-Restli-Protocol-Version", "2.0.0")
}

pub(crate) async fn publish(
    client: &reqwest::Client,
    target: &Target<'_>,
    post: &Outgoing<'_>,
) -> Outcome {
    let mut exchanges = Vec::new();
    let result = async {
        let token = token(target)?;
        let author = author(target)?;
        let request = versioned(
            Request::new(
                Method::POST,
                format!("{}/rest/posts", base_or(target, OFFICIAL)),
            )
            .bearer(token),
        )
        .json(json!({
            "author": author,
            "commentary": escape_commentary(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        }));
        let reply = classify(send(client, request, &mut exchanges).await?, words)?;
        let Some(urn) = reply.header("x-restli-id").map(str::to_owned) else {
            return Err(Failure::Unconfirmed {
                message: format!("HTTP {} without an x-restli-id header", reply.status),
            });
        };
        Ok(Published {
            url: Some(format!("https://www.linkedin.com/feed/update/{urn}/")),
            remote_id: urn,
        })
    }
    .await;
    outcome(result, exchanges)
}

/// Reads the organization (`GET /rest/organizations/{id}`) for its name.
pub(crate) async fn check(
    client: &reqwest::Client,
    target: &Target<'_>,
) -> Result<ChannelInfo, Failure> {
    let token = token(target)?;
    let author = author(target)?;
    let id = author.rsplit(':').next().unwrap_or(author);
    let request = versioned(
        Request::new(
            Method::GET,
            format!(
                "{}/rest/organizations/{}",
                base_or(target, OFFICIAL),
                path_segment(id)
            ),
        )
        .bearer(token),
    );
    let reply = classify(send(client, request, &mut Vec::new()).await?, words)?;
    Ok(default_info(
        Network::LinkedIn,
        reply.str_at("/localizedName").unwrap_or(author),
    ))
}

/// An organization's post statistics
/// (`GET /rest/organizationalEntityShareStatistics?q=organizationalEntity`,
/// with `shares=List(…)` or `ugcPosts=List(…)` by the post's URN): likes,
/// comments, shares, impressions, unique impressions (reach) and clicks.
/// LinkedIn keeps these for organizations only.
pub(crate) async fn metrics(
    client: &reqwest::Client,
    target: &Target<'_>,
    remote_id: &str,
) -> Result<Metrics, Failure> {
    let token = token(target)?;
    let author = author(target)?;
    if !author.starts_with("urn:li:organization:") {
        return Err(Failure::permanent(
            "LinkedIn gives post statistics to organizations only".to_owned(),
        ));
    }
    let list = if remote_id.starts_with("urn:li:ugcPost:") {
        "ugcPosts"
    } else {
        "shares"
    };
    let request = versioned(
        Request::new(
            Method::GET,
            format!(
                "{}/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={}&{list}=List({})",
                base_or(target, OFFICIAL),
                urlencoding::encode(author),
                urlencoding::encode(remote_id)
            ),
        )
        .bearer(token),
    );
    let reply = classify(send(client, request, &mut Vec::new()).await?, words)?;
    let Some(totals) = reply.json.pointer("/elements/0/totalShareStatistics") else {
        return Err(Failure::permanent(format!(
            "LinkedIn has no statistics for {remote_id}"
        )));
    };
    let number = |key: &str| totals.get(key).and_then(Value::as_i64);
    Ok(Metrics {
        likes: number("likeCount").unwrap_or(0),
        shares: number("shareCount").unwrap_or(0),
        replies: number("commentCount").unwrap_or(0),
        quotes: 0,
        impressions: number("impressionCount"),
        reach: number("uniqueImpressionsCount"),
        clicks: number("clickCount"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_text_markup_is_escaped() {
        assert_eq!(
            escape_commentary("Hi @you (see #tags) *now* ~ok_"),
            "Hi \\@you \\(see \\#tags\\) \\*now\\* \\~ok\\_"
        );
    }
}
