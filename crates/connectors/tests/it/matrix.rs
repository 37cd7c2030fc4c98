//! Matrix against a real Synapse: the room checked, a message sent once
//! across retries (the transaction id is the idempotency key), its HTML body,
//! and a bad token asking to reconnect.

use agora_connectors::networks::{Credentials, Failure, Network, Target, check, metrics, publish};
use agora_testkit::peers::Peer;
use serde_json::Value;

use crate::{assert_no_secret, client, now, outgoing};

async fn messages(base: &str, token: &str, room: &str) -> Vec<Value> {
    let filter = urlencoding::encode(r#"{"types":["m.room.message"]}"#);
    let answer: Value = reqwest::Client::new()
        .get(format!(
            "{base}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=50&filter={filter}",
            urlencoding::encode(room)
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["chunk"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn matrix_sends_once_and_asks_to_reconnect_on_a_bad_token() {
    let Some(peer) = Peer::start("synapse") else {
        return;
    };
    let base = peer.var("MATRIX_URL").to_owned();
    let token = peer.var("MATRIX_TOKEN").to_owned();
    let room = peer.var("MATRIX_ROOM_ID").to_owned();
    let credentials = Credentials::Token {
        access_token: token.clone(),
    };
    let target = Target {
        network: Network::Matrix,
        base_url: &base,
        account: &room,
        credentials: &credentials,
    };
    let client = client();

    let (info, _) = check(&client, &target).await;
    let info = info.unwrap();
    assert!(
        info.display_name.contains(peer.var("MATRIX_USER")),
        "{info:?}"
    );
    assert_eq!(info.max_chars, 65_536);
    let elsewhere = Target {
        account: "!not-a-room-of-ours",
        ..target
    };
    let (other, _) = check(&client, &elsewhere).await;
    assert!(
        matches!(&other, Err(Failure::Reconnect { message }) if message.contains("M_FORBIDDEN")),
        "{other:?}"
    );

    let text = "Launch day <3\nRead https://example.com/launch?a=1&b=2 & share";
    let post = outgoing(5, 9, text, now());
    let outcome = publish(&client, &target, &post).await;
    let published = outcome.result.clone().unwrap();
    assert!(published.remote_id.starts_with('$'));
    assert_eq!(
        published.url.as_deref(),
        Some(
            format!(
                "https://matrix.to/#/{}/{}",
                urlencoding::encode(&room),
                urlencoding::encode(&published.remote_id)
            )
            .as_str()
        )
    );
    assert!(outcome.exchanges[0].request.starts_with("PUT "));
    assert!(
        outcome.exchanges[0]
            .request
            .contains("/send/m.room.message/agora-5-9")
    );
    assert_no_secret(&outcome.exchanges, &[&token]);

    let again = publish(&client, &target, &post).await;
    assert_eq!(again.result.unwrap().remote_id, published.remote_id);
    let sent = messages(&base, &token, &room).await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let content = &sent[0]["content"];
    assert_eq!(content["body"], text);
    assert_eq!(content["msgtype"], "m.text");
    assert_eq!(content["format"], "org.matrix.custom.html");
    assert_eq!(
        content["formatted_body"],
        "Launch day &lt;3<br>Read <a href=\"https://example.com/launch?a=1&amp;b=2\">\
         https://example.com/launch?a=1&amp;b=2</a> &amp; share"
    );

    assert_eq!(
        metrics(&client, &target, &published.remote_id).await,
        Ok(Default::default())
    );

    let wrong = Credentials::Token {
        access_token: "syt_not_a_token".into(),
    };
    let wrong_target = Target {
        credentials: &wrong,
        ..target
    };
    let outcome = publish(&client, &wrong_target, &outgoing(6, 9, "nope", now())).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Reconnect { message }) if message.contains("M_UNKNOWN_TOKEN")),
        "{:?}",
        outcome.result
    );
    assert!(matches!(
        check(&client, &wrong_target).await.0,
        Err(Failure::Reconnect { .. })
    ));
    assert_eq!(messages(&base, &token, &room).await.len(), 1);
}
