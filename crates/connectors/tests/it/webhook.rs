//! Webhooks against a local receiver that checks the signature the way a
//! receiver would: HMAC-SHA256 of the raw body with the shared secret.

use std::sync::{Arc, Mutex};

use agora_connectors::networks::{Credentials, Failure, Network, Target, check, publish};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{assert_no_secret, client, now, outgoing};

const SECRET: &str = "webhook-shared-secret";

#[derive(Default)]
struct Received {
    deliveries: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Received>>;

async fn receive(
    State(received): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let signature = headers
        .get("x-agora-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    if signature != expected {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"bad signature"}"#.into(),
        );
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut received = received.lock().unwrap();
    if !received.deliveries.iter().any(|(known, _)| *known == key) {
        received
            .deliveries
            .push((key.clone(), serde_json::from_slice(&body).unwrap()));
    }
    (
        StatusCode::ACCEPTED,
        json!({"id": format!("wh-{key}")}).to_string(),
    )
}

#[tokio::test]
async fn webhook_posts_signed_json() {
    let received: Shared = Arc::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .route(
            "/down",
            post(|| async { (StatusCode::SERVICE_UNAVAILABLE, "maintenance") }),
        )
        .route(
            "/invalid",
            post(|| async {
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    r#"{"message":"text too long"}"#,
                )
            }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let url = format!("http://{address}/hook");
    let credentials = Credentials::Webhook {
        secret: SECRET.into(),
    };
    let target = Target {
        network: Network::Webhook,
        base_url: &url,
        account: "",
        credentials: &credentials,
    };
    let client = client();
    let at = now();

    let (info, _) = check(&client, &target).await;
    assert_eq!(info.unwrap().display_name, address.to_string());

    let post = outgoing(11, 12, "Hello, hooks", at);
    let outcome = publish(&client, &target, &post).await;
    assert_eq!(outcome.result.clone().unwrap().remote_id, "wh-agora-11-12");
    assert_eq!(outcome.exchanges[0].status, Some(202));
    assert_no_secret(&outcome.exchanges, &[SECRET]);
    let again = publish(&client, &target, &post).await;
    assert_eq!(again.result.unwrap().remote_id, "wh-agora-11-12");
    {
        let received = received.lock().unwrap();
        assert_eq!(received.deliveries.len(), 1);
        let (key, body) = &received.deliveries[0];
        assert_eq!(key, "agora-11-12");
        assert_eq!(
            *body,
            json!({"post_id": 11, "target_id": 12, "text": "Hello, hooks", "language": "en",
                   "content_warning": null, "created_at": at.rfc3339()})
        );
    }

    // The wrong secret is refused by the receiver: reconnect.
    let wrong = Credentials::Webhook {
        secret: "not-the-secret".into(),
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
    assert_eq!(
        outcome.result,
        Err(Failure::Reconnect {
            message: "HTTP 401: bad signature".into()
        })
    );

    let down = format!("http://{address}/down");
    let outcome = publish(
        &client,
        &Target {
            base_url: &down,
            ..target
        },
        &post,
    )
    .await;
    assert!(matches!(outcome.result, Err(Failure::Retryable { .. })));
    let invalid = format!("http://{address}/invalid");
    let outcome = publish(
        &client,
        &Target {
            base_url: &invalid,
            ..target
        },
        &post,
    )
    .await;
    assert_eq!(
        outcome.result,
        Err(Failure::Permanent {
            message: "HTTP 422: text too long".into()
        })
    );
}
