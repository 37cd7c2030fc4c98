//! Mastodon against the mastodon-mock peer: limits read from the instance, a
//! post published exactly once across retries, and each fault classified.

use std::time::Duration;

use agora_connectors::networks::{
    self, Credentials, Failure, Network, Target, check, metrics, publish,
};
use agora_testkit::peers::Peer;
use serde_json::{Value, json};

use crate::{assert_no_secret, client, now, outgoing};

async fn add_fault(base: &str, rule: Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/_mock/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );
}

async fn statuses(base: &str, token: &str, account_id: &str) -> Vec<Value> {
    reqwest::Client::new()
        .get(format!(
            "{base}/api/v1/accounts/{account_id}/statuses?limit=40"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn mastodon_publishes_once_and_classifies_faults() {
    let Some(peer) = Peer::start("mastodon") else {
        return;
    };
    let base = peer.var("MASTODON_URL").to_owned();
    let token = peer.var("MASTODON_TOKEN").to_owned();
    let account_id = peer.var("MASTODON_ACCOUNT_ID").to_owned();
    let credentials = Credentials::Token {
        access_token: token.clone(),
    };
    let target = Target {
        network: Network::Mastodon,
        base_url: &base,
        account: "",
        credentials: &credentials,
    };
    let client = client();
    let at = now();

    let (info, new_credentials) = check(&client, &target).await;
    let info = info.unwrap();
    assert_eq!(info.display_name, peer.var("MASTODON_USER"));
    assert_eq!(
        (info.max_chars, info.max_media, info.chars_per_url),
        (500, 4, 23)
    );
    assert!(new_credentials.is_none());
    // The follower count, as the instance states it on the account.
    let account: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stated = account["followers_count"].as_i64();
    assert!(stated.is_some(), "{account}");
    assert_eq!(
        agora_connectors::networks::followers(&client, &target)
            .await
            .unwrap(),
        stated
    );

    let text = "Hello from Agora https://example.com/path #agora";
    let post = outgoing(1, 1, text, at);
    let first = publish(&client, &target, &post).await;
    let published = first.result.clone().unwrap();
    assert!(
        published
            .url
            .as_deref()
            .unwrap()
            .contains(&published.remote_id)
    );
    assert_eq!(first.exchanges.len(), 1);
    assert_eq!(first.exchanges[0].status, Some(200));
    assert!(
        first.exchanges[0]
            .request
            .starts_with(&format!("POST {base}/api/v1/statuses"))
    );
    assert!(
        first.exchanges[0]
            .request
            .contains("Idempotency-Key: agora-1-1")
    );
    assert_no_secret(&first.exchanges, &[&token]);

    let again = publish(&client, &target, &post).await;
    assert_eq!(again.result.unwrap().remote_id, published.remote_id);
    let listed = statuses(&base, &token, &account_id).await;
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(listed[0]["id"], published.remote_id.as_str());
    assert_eq!(listed[0]["visibility"], "public");
    assert_eq!(listed[0]["language"], "en");

    let counters = metrics(&client, &target, &published.remote_id)
        .await
        .unwrap();
    assert_eq!(counters, networks::Metrics::default());
    // Another account favourites and boosts it.
    let admin = peer.var("MASTODON_ADMIN_TOKEN");
    for action in ["favourite", "reblog"] {
        let response = reqwest::Client::new()
            .post(format!(
                "{base}/api/v1/statuses/{}/{action}",
                published.remote_id
            ))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    let counters = metrics(&client, &target, &published.remote_id)
        .await
        .unwrap();
    assert_eq!(
        (counters.likes, counters.shares, counters.replies),
        (1, 1, 0)
    );

    // An instance without v2 still tells its limits through v1.
    add_fault(
        &base,
        json!({"match": {"methods": ["GET"], "path": "/api/v2/instance"},
               "effect": {"type": "status", "status": 404, "body": {"error": "Not found"}}, "count": 1}),
    )
    .await;
    let info = check(&client, &target).await.0.unwrap();
    assert_eq!(
        (info.max_chars, info.max_media, info.chars_per_url),
        (500, 4, 23)
    );

    // Faults on the next post: none of them creates it, and afterwards it is
    // published exactly once.
    let post = outgoing(2, 1, "second post", at);
    let statuses_path = json!({"methods": ["POST"], "path": "/api/v1/statuses"});
    add_fault(
        &base,
        json!({"match": statuses_path, "effect": {"type": "status", "status": 500}, "count": 1}),
    )
    .await;
    let outcome = publish(&client, &target, &post).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Retryable { message, retry_after_ms: None }) if message.starts_with("HTTP 500")),
        "{:?}",
        outcome.result
    );

    add_fault(
        &base,
        json!({"match": statuses_path, "effect": {"type": "ratelimit", "headers": {"Retry-After": "7"}}, "count": 1}),
    )
    .await;
    let outcome = publish(&client, &target, &post).await;
    assert!(
        matches!(
            &outcome.result,
            Err(Failure::Retryable {
                retry_after_ms: Some(7000),
                ..
            })
        ),
        "{:?}",
        outcome.result
    );

    add_fault(
        &base,
        json!({"match": statuses_path, "effect": {"type": "status", "status": 401, "body": {"error": "The access token is invalid"}}, "count": 1}),
    )
    .await;
    let outcome = publish(&client, &target, &post).await;
    assert_eq!(
        outcome.result,
        Err(Failure::Reconnect {
            message: "HTTP 401: The access token is invalid".into()
        })
    );

    add_fault(
        &base,
        json!({"match": statuses_path, "effect": {"type": "timeout"}, "count": 1}),
    )
    .await;
    let impatient = networks::client(Duration::from_secs(2));
    let outcome = publish(&impatient, &target, &post).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Unconfirmed { .. })),
        "{:?}",
        outcome.result
    );
    assert_eq!(outcome.exchanges[0].status, None);

    let outcome = publish(&client, &target, &post).await;
    let second = outcome.result.unwrap();
    let again = publish(&client, &target, &post).await.result.unwrap();
    assert_eq!(again.remote_id, second.remote_id);
    let listed = statuses(&base, &token, &account_id).await;
    assert_eq!(listed.len(), 2, "{listed:#?}");

    // A malformed 200 may hide a created status: unconfirmed.
    add_fault(
        &base,
        json!({"match": statuses_path, "effect": {"type": "malformed"}, "count": 1}),
    )
    .await;
    let outcome = publish(&client, &target, &outgoing(3, 1, "third", at)).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Unconfirmed { .. })),
        "{:?}",
        outcome.result
    );

    // A wrong token, for real this time.
    let wrong = Credentials::Token {
        access_token: "not-a-token".into(),
    };
    let wrong_target = Target {
        credentials: &wrong,
        ..target
    };
    assert!(matches!(
        publish(&client, &wrong_target, &post).await.result,
        Err(Failure::Reconnect { .. })
    ));
    assert!(matches!(
        check(&client, &wrong_target).await.0,
        Err(Failure::Reconnect { .. })
    ));

    // Nobody listening: the request never left.
    let closed = format!("http://127.0.0.1:{}", agora_testkit::free_port());
    let closed_target = Target {
        base_url: &closed,
        ..target
    };
    assert!(matches!(
        publish(&client, &closed_target, &post).await.result,
        Err(Failure::Retryable { .. })
    ));
}
