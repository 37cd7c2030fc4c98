//! Bluesky against a real PDS: the session made once and reused, a post with
//! link, mention and hashtag facets at the right UTF-8 byte offsets, written
//! exactly once across retries, and sessions renewed when the token expired
//! or is garbage.

use agora_connectors::networks::{
    Credentials, Failure, Network, Target, bluesky::record_key, check, metrics, publish,
};
use agora_testkit::peers::Peer;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{assert_no_secret, client, now, outgoing};

async fn records(base: &str, did: &str) -> Vec<Value> {
    let answer: Value = reqwest::Client::new()
        .get(format!(
            "{base}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["records"].as_array().cloned().unwrap_or_default()
}

/// The PDS's JWT secret, read from its process environment (the script does
/// not print it); `None` when that is not readable.
fn jwt_secret(pid: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    environ
        .split(|b| *b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| entry.strip_prefix("PDS_JWT_SECRET="))
        .map(str::to_owned)
}

/// `token` with its `iat` and `exp` moved three hours back, signed again.
fn expire(token: &str, secret: &str) -> String {
    let mut parts = token.split('.');
    let header = parts.next().unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let now = now().millis() / 1000;
    claims["iat"] = json!(now - 3 * 3600);
    claims["exp"] = json!(now - 3600);
    let signing_input = format!(
        "{header}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn session_of(credentials: &Credentials) -> (String, Option<String>, Option<String>) {
    match credentials {
        Credentials::AppPassword {
            access_jwt,
            refresh_jwt,
            did,
            ..
        } => (
            access_jwt.clone().unwrap(),
            refresh_jwt.clone(),
            did.clone(),
        ),
        other => panic!("not a Bluesky session: {other:?}"),
    }
}

#[tokio::test]
async fn bluesky_publishes_facets_once_and_renews_sessions() {
    let Some(peer) = Peer::start("pds") else {
        return;
    };
    let base = peer.var("PDS_URL").to_owned();
    let handle = peer.var("PDS_HANDLE").to_owned();
    let did = peer.var("PDS_DID").to_owned();
    let app_password = peer.var("PDS_APP_PASSWORD").to_owned();
    let client = client();
    let at = now();

    let fresh = Credentials::AppPassword {
        identifier: handle.clone(),
        password: app_password.clone(),
        access_jwt: None,
        refresh_jwt: None,
        did: None,
    };
    let target = Target {
        network: Network::Bluesky,
        base_url: &base,
        account: &handle,
        credentials: &fresh,
    };
    let (info, session) = check(&client, &target).await;
    let info = info.unwrap();
    assert_eq!(info.display_name, handle);
    assert_eq!((info.max_chars, info.max_media), (300, 4));
    let session = session.expect("a new session to save");
    let (access, _, session_did) = session_of(&session);
    assert_eq!(session_did.as_deref(), Some(did.as_str()));

    // The session is reused: no login on publishing.
    let target = Target {
        credentials: &session,
        ..target
    };
    let text = format!(
        "Grüße 🎉👨\u{200d}👩\u{200d}👧 @{handle} see https://example.com/a?b=c #agora @nobody.test"
    );
    let post = outgoing(7, 3, &text, at);
    let outcome = publish(&client, &target, &post).await;
    let published = outcome.result.clone().unwrap();
    assert!(outcome.credentials.is_none());
    assert!(
        outcome
            .exchanges
            .iter()
            .all(|exchange| !exchange.request.contains("createSession")),
        "{:#?}",
        outcome.exchanges
    );
    assert_no_secret(&outcome.exchanges, &[&access, &app_password]);
    let rkey = record_key(at, 7, 3);
    assert_eq!(
        published.remote_id,
        format!("at://{did}/app.bsky.feed.post/{rkey}")
    );
    assert_eq!(
        published.url.as_deref(),
        Some(format!("https://bsky.app/profile/{handle}/post/{rkey}").as_str())
    );

    let stored = records(&base, &did).await;
    assert_eq!(stored.len(), 1);
    let record = &stored[0]["value"];
    assert_eq!(record["text"], text.as_str());
    assert_eq!(record["createdAt"], at.rfc3339().as_str());
    assert_eq!(record["langs"], json!(["en"]));
    let offset = |needle: &str| text.find(needle).unwrap();
    let mention = format!("@{handle}");
    let url = "https://example.com/a?b=c";
    assert_eq!(
        record["facets"],
        json!([
            {"index": {"byteStart": offset(&mention), "byteEnd": offset(&mention) + mention.len()},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]},
            {"index": {"byteStart": offset(url), "byteEnd": offset(url) + url.len()},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]},
            {"index": {"byteStart": offset("#agora"), "byteEnd": offset("#agora") + 6},
             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "agora"}]},
        ]),
        "the unresolvable @nobody.test has no facet"
    );
    // The emoji before them are 4 + 18 bytes, so byte offsets differ from char offsets.
    assert_ne!(offset(&mention), text[..offset(&mention)].chars().count());

    // The same (post, target) again: the same record, still one.
    let again = publish(&client, &target, &post).await;
    assert_eq!(again.result.unwrap().remote_id, published.remote_id);
    assert_eq!(records(&base, &did).await.len(), 1);

    // Another text under the same key is refused, not overwritten.
    let changed = outgoing(7, 3, "something else", at);
    let outcome = publish(&client, &target, &changed).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Permanent { message }) if message.contains("a different post already has this key")),
        "{:?}",
        outcome.result
    );

    // An expired access token is refreshed, and the write retried once.
    if let Some(secret) = jwt_secret(peer.var("PDS_PID")) {
        let expired = Credentials::AppPassword {
            identifier: handle.clone(),
            password: app_password.clone(),
            access_jwt: Some(expire(peer.var("PDS_ACCESS_JWT"), &secret)),
            refresh_jwt: Some(peer.var("PDS_REFRESH_JWT").to_owned()),
            did: Some(did.clone()),
        };
        let outcome = publish(
            &client,
            &Target {
                credentials: &expired,
                ..target
            },
            &outgoing(8, 3, "after expiry", at),
        )
        .await;
        assert!(outcome.result.is_ok(), "{:#?}", outcome);
        let steps: Vec<(String, Option<u16>)> = outcome
            .exchanges
            .iter()
            .map(|exchange| {
                (
                    exchange
                        .request
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    exchange.status,
                )
            })
            .collect();
        assert!(
            steps[0].0.ends_with("com.atproto.repo.putRecord"),
            "{steps:?}"
        );
        assert!(outcome.exchanges[0].body.contains("ExpiredToken"));
        assert!(
            steps[1].0.ends_with("com.atproto.server.refreshSession"),
            "{steps:?}"
        );
        assert_eq!(steps[1].1, Some(200));
        assert_eq!(steps.len(), 3, "{steps:?}");
        let (new_access, new_refresh, _) = session_of(&outcome.credentials.unwrap());
        assert_ne!(new_refresh.as_deref(), Some(peer.var("PDS_REFRESH_JWT")));
        assert_ne!(new_access, access);
    } else {
        eprintln!("cannot read the PDS's JWT secret; skipping the expired-token case");
    }

    // Garbage tokens: refreshing fails too, so it logs in with the app password.
    let garbage = Credentials::AppPassword {
        identifier: handle.clone(),
        password: app_password.clone(),
        access_jwt: Some("garbage".into()),
        refresh_jwt: Some("garbage".into()),
        did: Some(did.clone()),
    };
    let outcome = publish(
        &client,
        &Target {
            credentials: &garbage,
            ..target
        },
        &outgoing(9, 3, "after garbage", at),
    )
    .await;
    assert!(outcome.result.is_ok(), "{:#?}", outcome);
    assert!(
        outcome
            .exchanges
            .iter()
            .any(|exchange| exchange.request.contains("createSession"))
    );
    let (renewed, renewed_refresh, _) = session_of(outcome.credentials.as_ref().unwrap());
    assert_no_secret(
        &outcome.exchanges,
        &[&app_password, &renewed, renewed_refresh.as_deref().unwrap()],
    );
    assert_ne!(renewed, "garbage");
    assert_eq!(records(&base, &did).await.len(), 3);

    // A wrong app password: reconnect.
    let wrong = Credentials::AppPassword {
        identifier: handle.clone(),
        password: "wrong-pass-word".into(),
        access_jwt: None,
        refresh_jwt: None,
        did: None,
    };
    let outcome = publish(
        &client,
        &Target {
            credentials: &wrong,
            ..target
        },
        &post,
    )
    .await;
    assert!(
        matches!(&outcome.result, Err(Failure::Reconnect { message }) if message.contains("AuthenticationRequired")),
        "{:?}",
        outcome.result
    );

    // No AppView on a bare PDS, so no counters.
    let counters = metrics(&client, &target, &published.remote_id).await;
    assert!(
        matches!(&counters, Err(Failure::Permanent { message }) if message.starts_with("no AppView")),
        "{counters:?}"
    );
    // Nor a follower count: "not reported", not an error.
    let followers = agora_connectors::networks::followers(&client, &target).await;
    assert!(matches!(followers, Ok(None)), "{followers:?}");

    // Too long for Bluesky: refused before sending.
    let long = "👨\u{200d}👩\u{200d}👧".repeat(200);
    let outcome = publish(&client, &target, &outgoing(10, 3, &long, at)).await;
    assert!(matches!(outcome.result, Err(Failure::Permanent { .. })));
    assert!(outcome.exchanges.is_empty());
}
