//! LinkedIn, Facebook, X and Threads against a local server that answers
//! recorded responses in the shapes their API documentation gives (ids,
//! headers, error bodies and codes). These are not the real networks: they
//! check what the connectors send (paths, headers, bodies) and how they read
//! each documented answer, not that the networks still answer that way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agora_connectors::networks::{
    Credentials, Failure, Metrics, Network, Target, check, metrics, publish,
};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::{assert_no_secret, client, now, outgoing};

const GOOD: &str = "good-token";

/// What the server was sent: (path, body as JSON or form fields).
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {GOOD}"))
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn graph_error(code: i64, message: &str) -> Response {
    json_answer(
        StatusCode::BAD_REQUEST,
        json!({"error": {"message": message, "type": "OAuthException", "code": code,
                         "error_subcode": 463, "fbtrace_id": "AbCdEf"}}),
    )
}

// LinkedIn: https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
async fn linkedin_post(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !bearer_ok(&headers) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
                   "message": "Invalid access token"}),
        );
    }
    let versioned = headers.get("linkedin-version").map(|v| v.as_bytes()) == Some(b"202411")
        && headers
            .get("x-restli-protocol-version")
            .map(|v| v.as_bytes())
            == Some(b"2.0.0");
    if !versioned {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"status": 400, "code": "VERSION_MISSING", "message": "A version must be present"}),
        );
    }
    if body["commentary"] == "dup" {
        return json_answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"status": 422, "message": "Content is a duplicate of urn:li:share:1"}),
        );
    }
    seen.lock().unwrap().push(("/rest/posts".into(), body));
    (
        StatusCode::CREATED,
        [("x-restli-id", "urn:li:share:6844785523593134080")],
    )
        .into_response()
}

async fn linkedin_organization(Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !bearer_ok(&headers) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"status": 401, "message": "Invalid access token"}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"id": id.parse::<i64>().unwrap_or(0), "localizedName": "Agora Inc",
               "vanityName": "agora"}),
    )
}

// LinkedIn: https://learn.microsoft.com/linkedin/marketing/community-management/organizations/share-statistics
async fn linkedin_share_statistics(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !bearer_ok(&headers) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"status": 401, "message": "Invalid access token"}),
        );
    }
    let organization = query
        .get("organizationalEntity")
        .cloned()
        .unwrap_or_default();
    let share = query
        .get("shares")
        .and_then(|list| list.strip_prefix("List(")?.strip_suffix(')'))
        .unwrap_or_default()
        .to_owned();
    if query.get("q").map(String::as_str) != Some("organizationalEntity")
        || !organization.starts_with("urn:li:organization:")
        || !share.starts_with("urn:li:share:")
    {
        return json_answer(
            StatusCode::BAD_REQUEST,
            json!({"status": 400, "message": "Invalid query parameters"}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"paging": {"count": 10, "start": 0, "links": []},
               "elements": [{"totalShareStatistics": {"uniqueImpressionsCount": 950,
                    "shareCount": 4, "engagement": 0.0215, "clickCount": 31,
                    "likeCount": 12, "impressionCount": 1480, "commentCount": 2},
                    "share": share, "organizationalEntity": organization}]}),
    )
}

// Facebook: https://developers.facebook.com/docs/graph-api/reference/insights
// (post metrics after Meta's June 2026 change: post_media_view,
// post_total_media_view_unique, post_clicks). A post id ending in `_8`
// answers like a Page where only the reach metric is still valid.
async fn facebook_insights(
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.get("access_token").map(String::as_str) != Some(GOOD) {
        return graph_error(190, "Invalid OAuth access token.");
    }
    let asked: Vec<&str> = query
        .get("metric")
        .map(|metrics| metrics.split(',').collect())
        .unwrap_or_default();
    if id.ends_with("_8") && asked.iter().any(|m| *m != "post_total_media_view_unique") {
        return graph_error(100, "(#100) The value must be a valid insights metric");
    }
    let values = [
        ("post_media_view", 340),
        ("post_total_media_view_unique", 210),
        ("post_clicks", 12),
    ];
    let data: Vec<Value> = values
        .iter()
        .filter(|(name, _)| asked.contains(name))
        .map(|(name, value)| {
            json!({"name": name, "period": "lifetime", "values": [{"value": value}],
                   "title": name, "id": format!("{id}/insights/{name}/lifetime")})
        })
        .collect();
    json_answer(StatusCode::OK, json!({"data": data}))
}

// Facebook: https://developers.facebook.com/docs/pages-api/posts
async fn facebook_feed(
    State(seen): State<Seen>,
    Path(page): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("access_token").map(String::as_str) != Some(GOOD) {
        return graph_error(
            190,
            "Error validating access token: Session has expired on Friday, 20-Nov-26 10:00:00 PST.",
        );
    }
    match form.get("message").map(String::as_str) {
        Some("dup") => return graph_error(506, "Duplicate status message"),
        Some("busy") => return graph_error(32, "Page request limit reached"),
        _ => {}
    }
    seen.lock()
        .unwrap()
        .push((format!("/v21.0/{page}/feed"), json!(form)));
    json_answer(StatusCode::OK, json!({"id": format!("{page}_987654321")}))
}

async fn facebook_object(
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.get("access_token").map(String::as_str) != Some(GOOD) {
        return graph_error(190, "Invalid OAuth access token.");
    }
    if id.contains('_') {
        return json_answer(
            StatusCode::OK,
            json!({"id": id, "shares": {"count": 2},
                   "reactions": {"data": [], "summary": {"total_count": 7}},
                   "comments": {"data": [], "summary": {"order": "ranked", "total_count": 3}}}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"name": "Agora Page", "id": id,
               "picture": {"data": {"height": 50, "is_silhouette": false,
                                    "url": "https://scontent.example/agora.png", "width": 50}}}),
    )
}

// X: https://docs.x.com/x-api/posts/creation-of-a-post
async fn x_tweet(headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if !bearer_ok(&headers) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401,
                   "detail": "Unauthorized"}),
        );
    }
    match body["text"].as_str() {
        Some("dup") => json_answer(
            StatusCode::FORBIDDEN,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.",
                   "type": "about:blank", "title": "Forbidden", "status": 403}),
        ),
        Some("busy") => (
            StatusCode::TOO_MANY_REQUESTS,
            [("x-rate-limit-reset", "9999999999"), ("retry-after", "60")],
            Json(
                json!({"title": "Too Many Requests", "detail": "Too Many Requests",
                        "type": "about:blank", "status": 429}),
            ),
        )
            .into_response(),
        Some(text) => json_answer(
            StatusCode::CREATED,
            json!({"data": {"id": "1445880548472328192", "text": text,
                            "edit_history_tweet_ids": ["1445880548472328192"]}}),
        ),
        None => json_answer(StatusCode::BAD_REQUEST, json!({"detail": "text missing"})),
    }
}

async fn x_me(headers: HeaderMap) -> Response {
    if !bearer_ok(&headers) {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"title": "Unauthorized", "status": 401}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"data": {"id": "2244994945", "name": "Agora", "username": "agora",
                        "profile_image_url": "https://pbs.example/agora_normal.png"}}),
    )
}

async fn x_lookup(Path(id): Path<String>) -> Response {
    json_answer(
        StatusCode::OK,
        json!({"data": {"id": id, "text": "hello", "edit_history_tweet_ids": [id],
                        "public_metrics": {"retweet_count": 2, "reply_count": 3, "like_count": 5,
                                           "quote_count": 1, "bookmark_count": 0,
                                           "impression_count": 100}}}),
    )
}

// Threads: https://developers.facebook.com/docs/threads/posts
async fn threads_create(
    State(seen): State<Seen>,
    Path(user): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("access_token").map(String::as_str) != Some(GOOD) {
        return graph_error(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    seen.lock()
        .unwrap()
        .push((format!("/v1.0/{user}/threads"), json!(form)));
    json_answer(StatusCode::OK, json!({"id": "17889615691921648"}))
}

async fn threads_publish(
    State(seen): State<Seen>,
    Path(user): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("creation_id").map(String::as_str) != Some("17889615691921648") {
        return graph_error(100, "Invalid parameter");
    }
    seen.lock()
        .unwrap()
        .push((format!("/v1.0/{user}/threads_publish"), json!(form)));
    json_answer(StatusCode::OK, json!({"id": "18031578922101234"}))
}

async fn threads_object(Path(id): Path<String>) -> Response {
    if id == "me" {
        return json_answer(
            StatusCode::OK,
            json!({"id": "1234567", "username": "agora",
                   "threads_profile_picture_url": "https://scontent.example/t.jpg"}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"permalink": "https://www.threads.net/@agora/post/C9xYz", "id": id}),
    )
}

// Threads: https://developers.facebook.com/docs/threads/insights
async fn threads_insights(
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if query.get("access_token").map(String::as_str) != Some(GOOD) {
        return graph_error(190, "Invalid OAuth access token.");
    }
    let values = [
        ("views", 820),
        ("likes", 25),
        ("replies", 6),
        ("reposts", 3),
        ("quotes", 1),
    ];
    let data: Vec<Value> = values
        .iter()
        .map(|(name, value)| {
            json!({"name": name, "period": "lifetime", "values": [{"value": value}],
                   "title": name, "description": "", "id": format!("{id}/insights/{name}/lifetime")})
        })
        .collect();
    json_answer(StatusCode::OK, json!({"data": data}))
}

async fn serve() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/rest/posts", post(linkedin_post))
        .route("/rest/organizations/{id}", get(linkedin_organization))
        .route(
            "/rest/organizationalEntityShareStatistics",
            get(linkedin_share_statistics),
        )
        .route("/v21.0/{id}/feed", post(facebook_feed))
        .route("/v21.0/{id}/insights", get(facebook_insights))
        .route("/v1.0/{id}/insights", get(threads_insights))
        .route("/v21.0/{id}", get(facebook_object))
        .route("/2/tweets", post(x_tweet))
        .route("/2/users/me", get(x_me))
        .route("/2/tweets/{id}", get(x_lookup))
        .route("/v1.0/{id}/threads", post(threads_create))
        .route("/v1.0/{id}/threads_publish", post(threads_publish))
        .route("/v1.0/{id}", get(threads_object))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), seen)
}

fn token(value: &str) -> Credentials {
    Credentials::Token {
        access_token: value.into(),
    }
}

#[tokio::test]
async fn linkedin_posts_as_the_organization() {
    let (base, seen) = serve().await;
    let client = client();
    let good = token(GOOD);
    let target = Target {
        network: Network::LinkedIn,
        base_url: &base,
        account: "urn:li:organization:2414183",
        credentials: &good,
    };
    assert_eq!(
        check(&client, &target).await.0.unwrap().display_name,
        "Agora Inc"
    );
    let outcome = publish(
        &client,
        &target,
        &outgoing(1, 2, "Hi #agora (really)", now()),
    )
    .await;
    let published = outcome.result.unwrap();
    assert_eq!(published.remote_id, "urn:li:share:6844785523593134080");
    assert_eq!(
        published.url.as_deref(),
        Some("https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/")
    );
    assert_no_secret(&outcome.exchanges, &[GOOD]);
    let (path, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, "/rest/posts");
    assert_eq!(body["author"], "urn:li:organization:2414183");
    assert_eq!(body["commentary"], "Hi \\#agora \\(really\\)");
    assert_eq!(body["lifecycleState"], "PUBLISHED");

    let outcome = publish(&client, &target, &outgoing(1, 3, "dup", now())).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Permanent { message }) if message.contains("duplicate")),
        "{:?}",
        outcome.result
    );
    let bad = token("bad-token-123");
    let outcome = publish(
        &client,
        &Target {
            credentials: &bad,
            ..target
        },
        &outgoing(1, 4, "x", now()),
    )
    .await;
    assert_eq!(
        outcome.result,
        Err(Failure::Reconnect {
            message: "HTTP 401: Invalid access token".into()
        })
    );
    assert_eq!(
        metrics(&client, &target, "urn:li:share:6844785523593134080").await,
        Ok(Metrics {
            likes: 12,
            shares: 4,
            replies: 2,
            quotes: 0,
            impressions: Some(1480),
            reach: Some(950),
            clicks: Some(31),
        })
    );
    // A member's own profile gets no statistics from LinkedIn.
    let person = Target {
        account: "urn:li:person:abc",
        ..target
    };
    assert!(matches!(
        metrics(&client, &person, "urn:li:share:1").await,
        Err(Failure::Permanent { .. })
    ));
}

#[tokio::test]
async fn facebook_posts_to_the_page_feed() {
    let (base, seen) = serve().await;
    let client = client();
    let good = token(GOOD);
    let target = Target {
        network: Network::Facebook,
        base_url: &base,
        account: "112233",
        credentials: &good,
    };
    let info = check(&client, &target).await.0.unwrap();
    assert_eq!(info.display_name, "Agora Page");
    assert_eq!(
        info.avatar_url.as_deref(),
        Some("https://scontent.example/agora.png")
    );
    let outcome = publish(&client, &target, &outgoing(1, 2, "Hello page", now())).await;
    let published = outcome.result.unwrap();
    assert_eq!(published.remote_id, "112233_987654321");
    assert_eq!(
        published.url.as_deref(),
        Some("https://www.facebook.com/112233_987654321")
    );
    assert_no_secret(&outcome.exchanges, &[GOOD]);
    assert!(
        outcome.exchanges[0]
            .request
            .contains("access_token=[redacted]")
    );
    assert_eq!(seen.lock().unwrap()[0].1["message"], "Hello page");
    assert_eq!(
        metrics(&client, &target, &published.remote_id).await,
        Ok(Metrics {
            likes: 7,
            shares: 2,
            replies: 3,
            quotes: 0,
            impressions: Some(340),
            reach: Some(210),
            clicks: Some(12),
        })
    );
    // Where only reach is still a valid metric, it alone is read.
    assert_eq!(
        metrics(&client, &target, "112233_8").await,
        Ok(Metrics {
            likes: 7,
            shares: 2,
            replies: 3,
            quotes: 0,
            impressions: None,
            reach: Some(210),
            clicks: None,
        })
    );

    let outcome = publish(&client, &target, &outgoing(1, 3, "dup", now())).await;
    assert_eq!(
        outcome.result,
        Err(Failure::Permanent {
            message: "HTTP 400: Duplicate status message (code 506)".into()
        })
    );
    let outcome = publish(&client, &target, &outgoing(1, 3, "busy", now())).await;
    assert!(matches!(outcome.result, Err(Failure::Retryable { .. })));
    let bad = token("bad-token-123");
    let bad_target = Target {
        credentials: &bad,
        ..target
    };
    let outcome = publish(&client, &bad_target, &outgoing(1, 4, "x", now())).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Reconnect { message }) if message.contains("Session has expired") && message.contains("code 190")),
        "{:?}",
        outcome.result
    );
    assert_no_secret(&outcome.exchanges, &["bad-token-123"]);
    assert!(matches!(
        check(&client, &bad_target).await.0,
        Err(Failure::Reconnect { .. })
    ));
}

#[tokio::test]
async fn x_posts_and_reads_public_metrics() {
    let (base, _) = serve().await;
    let client = client();
    let good = token(GOOD);
    let target = Target {
        network: Network::X,
        base_url: &base,
        account: "",
        credentials: &good,
    };
    let info = check(&client, &target).await.0.unwrap();
    assert_eq!(info.display_name, "Agora (@agora)");
    assert_eq!((info.max_chars, info.chars_per_url), (280, 23));
    let outcome = publish(&client, &target, &outgoing(1, 2, "Hello X", now())).await;
    let published = outcome.result.unwrap();
    assert_eq!(published.remote_id, "1445880548472328192");
    assert_eq!(
        published.url.as_deref(),
        Some("https://x.com/i/web/status/1445880548472328192")
    );
    assert_no_secret(&outcome.exchanges, &[GOOD]);
    assert_eq!(
        metrics(&client, &target, &published.remote_id).await,
        Ok(Metrics {
            likes: 5,
            shares: 2,
            replies: 3,
            quotes: 1,
            impressions: Some(100),
            ..Metrics::default()
        })
    );
    // A duplicate is the post's fault: 403, but not a reconnect.
    let outcome = publish(&client, &target, &outgoing(1, 3, "dup", now())).await;
    assert!(
        matches!(&outcome.result, Err(Failure::Permanent { message }) if message.contains("duplicate content")),
        "{:?}",
        outcome.result
    );
    let outcome = publish(&client, &target, &outgoing(1, 3, "busy", now())).await;
    assert!(
        matches!(
            outcome.result,
            Err(Failure::Retryable {
                retry_after_ms: Some(60_000),
                ..
            })
        ),
        "{:?}",
        outcome.result
    );
    let bad = token("bad-token-123");
    let outcome = publish(
        &client,
        &Target {
            credentials: &bad,
            ..target
        },
        &outgoing(1, 4, "x", now()),
    )
    .await;
    assert_eq!(
        outcome.result,
        Err(Failure::Reconnect {
            message: "HTTP 401: Unauthorized".into()
        })
    );
}

#[tokio::test]
async fn threads_creates_a_container_then_publishes_it() {
    let (base, seen) = serve().await;
    let client = client();
    let good = token(GOOD);
    let target = Target {
        network: Network::Threads,
        base_url: &base,
        account: "",
        credentials: &good,
    };
    let info = check(&client, &target).await.0.unwrap();
    assert_eq!(info.display_name, "@agora");
    assert_eq!(info.max_chars, 500);
    let outcome = publish(&client, &target, &outgoing(1, 2, "Hello Threads", now())).await;
    let published = outcome.result.unwrap();
    assert_eq!(published.remote_id, "18031578922101234");
    assert_eq!(
        published.url.as_deref(),
        Some("https://www.threads.net/@agora/post/C9xYz")
    );
    assert_no_secret(&outcome.exchanges, &[GOOD]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].0, "/v1.0/me/threads");
    assert_eq!(seen[0].1["media_type"], "TEXT");
    assert_eq!(seen[0].1["text"], "Hello Threads");
    assert_eq!(seen[1].0, "/v1.0/me/threads_publish");
    assert_eq!(seen[1].1["creation_id"], "17889615691921648");
    assert_eq!(
        metrics(&client, &target, &published.remote_id).await,
        Ok(Metrics {
            likes: 25,
            shares: 3,
            replies: 6,
            quotes: 1,
            impressions: Some(820),
            ..Metrics::default()
        })
    );

    let bad = token("bad-token-123");
    let outcome = publish(
        &client,
        &Target {
            credentials: &bad,
            ..target
        },
        &outgoing(1, 4, "x", now()),
    )
    .await;
    assert!(matches!(outcome.result, Err(Failure::Reconnect { .. })));
    assert_eq!(outcome.exchanges.len(), 1);
}

/// Mastodon's media processing, which the Mastodon mock never shows (it
/// answers 200 at once): `POST /api/v2/media` answers `202` with `url: null`
/// while the instance processes a large file, `GET /api/v1/media/:id` answers
/// `206` until it is done and `200` with the URL then
/// (https://docs.joinmastodon.org/methods/media/). A local server answers in
/// those documented shapes.
#[tokio::test]
async fn mastodon_media_is_polled_until_processed() {
    let polls = Arc::new(Mutex::new(0u32));
    let statuses: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/api/v2/media",
            post(|| async {
                json_answer(
                    StatusCode::ACCEPTED,
                    json!({"id": "22348641", "type": "image", "url": null, "description": "A bicycle"}),
                )
            }),
        )
        .route(
            "/api/v1/media/{id}",
            get({
                let polls = polls.clone();
                move |Path(id): Path<String>| {
                    let polls = polls.clone();
                    async move {
                        let mut n = polls.lock().unwrap();
                        *n += 1;
                        if *n < 3 {
                            json_answer(StatusCode::PARTIAL_CONTENT, json!({"id": id, "url": null}))
                        } else {
                            json_answer(
                                StatusCode::OK,
                                json!({"id": id, "url": "https://files.example/22348641.png"}),
                            )
                        }
                    }
                }
            }),
        )
        .route(
            "/api/v1/statuses",
            post({
                let statuses = statuses.clone();
                move |Json(body): Json<Value>| {
                    let statuses = statuses.clone();
                    async move {
                        statuses.lock().unwrap().push(("/api/v1/statuses".into(), body));
                        json_answer(
                            StatusCode::OK,
                            json!({"id": "109", "url": "https://social.example/@acme/109"}),
                        )
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let credentials = Credentials::Token {
        access_token: GOOD.into(),
    };
    let target = Target {
        network: Network::Mastodon,
        base_url: &base,
        account: "",
        credentials: &credentials,
    };
    let media = [agora_connectors::networks::Media {
        bytes: vec![0x89, b'P', b'N', b'G'],
        content_type: "image/png".into(),
        alt: "A bicycle".into(),
    }];
    let mut post = outgoing(1, 2, "With a picture", now());
    post.media = &media;
    let outcome = publish(&client(), &target, &post).await;
    assert_eq!(
        outcome.result.map(|p| p.remote_id).ok().as_deref(),
        Some("109")
    );
    assert_eq!(*polls.lock().unwrap(), 3, "asked until processed");
    let sent = statuses.lock().unwrap();
    assert_eq!(sent[0].1["media_ids"], json!(["22348641"]));
}

/// Bluesky's counters come from the AppView (`app.bsky.feed.getPosts`, which
/// a PDS proxies), which the test PDS does not run: a local server answers
/// `com.atproto.server.createSession` and `getPosts` in their documented
/// shapes (https://docs.bsky.app/docs/api/app-bsky-feed-get-posts).
#[tokio::test]
async fn bluesky_metrics_come_from_the_appview() {
    let app = Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(|| async {
                json_answer(
                    StatusCode::OK,
                    json!({"did": "did:plc:northwind", "handle": "northwind.test",
                           "accessJwt": "access", "refreshJwt": "refresh", "active": true}),
                )
            }),
        )
        .route(
            "/xrpc/app.bsky.feed.getPosts",
            get(|headers: HeaderMap, Query(query): Query<HashMap<String, String>>| async move {
                let authed = headers.get("authorization").map(|v| v.as_bytes()) == Some(b"Bearer access");
                if !authed {
                    return json_answer(StatusCode::UNAUTHORIZED, json!({"error": "AuthMissing"}));
                }
                json_answer(
                    StatusCode::OK,
                    json!({"posts": [{"uri": query.get("uris").cloned().unwrap_or_default(),
                                      "cid": "bafyrei", "author": {"did": "did:plc:northwind", "handle": "northwind.test"},
                                      "record": {}, "replyCount": 3, "repostCount": 2, "likeCount": 7,
                                      "quoteCount": 1, "indexedAt": "2026-11-22T19:00:00.000Z"}]}),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let credentials = Credentials::AppPassword {
        identifier: "northwind.test".into(),
        password: "app-password".into(),
        access_jwt: None,
        refresh_jwt: None,
        did: None,
    };
    let target = Target {
        network: Network::Bluesky,
        base_url: &base,
        account: "northwind.test",
        credentials: &credentials,
    };
    let counted = metrics(
        &client(),
        &target,
        "at://did:plc:northwind/app.bsky.feed.post/3lbqta7bq3c2c",
    )
    .await
    .map_err(|failure| failure.message().to_owned());
    assert_eq!(
        counted,
        Ok(Metrics {
            likes: 7,
            shares: 2,
            replies: 3,
            quotes: 1,
            ..Metrics::default()
        })
    );
}

/// Bluesky's follower count comes from the AppView's
/// `app.bsky.actor.getProfile` (proxied by the PDS), which the test PDS does
/// not run: a local server answers `createSession` and `getProfile` in their
/// documented shapes (https://docs.bsky.app/docs/api/app-bsky-actor-get-profile),
/// and then, like a bare PDS, "No service configured".
#[tokio::test]
async fn bluesky_followers_come_from_the_appview_profile() {
    let with_appview = Arc::new(Mutex::new(true));
    let app = Router::new()
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(|| async {
                json_answer(
                    StatusCode::OK,
                    json!({"did": "did:plc:northwind", "handle": "northwind.test",
                           "accessJwt": "access", "refreshJwt": "refresh", "active": true}),
                )
            }),
        )
        .route(
            "/xrpc/app.bsky.actor.getProfile",
            get(
                |State(with_appview): State<Arc<Mutex<bool>>>,
                 headers: HeaderMap,
                 Query(query): Query<HashMap<String, String>>| async move {
                    let authed = headers.get("authorization").map(|v| v.as_bytes())
                        == Some(b"Bearer access");
                    if !authed {
                        return json_answer(
                            StatusCode::UNAUTHORIZED,
                            json!({"error": "AuthMissing"}),
                        );
                    }
                    if !*with_appview.lock().unwrap() {
                        return json_answer(
                            StatusCode::NOT_IMPLEMENTED,
                            json!({"error": "MethodNotImplemented", "message": "No service configured for app.bsky.actor.getProfile"}),
                        );
                    }
                    json_answer(
                        StatusCode::OK,
                        json!({"did": query.get("actor").cloned().unwrap_or_default(),
                               "handle": "northwind.test", "displayName": "Northwind Cycles",
                               "followersCount": 1_234, "followsCount": 56, "postsCount": 78,
                               "indexedAt": "2026-11-22T19:00:00.000Z"}),
                    )
                },
            ),
        )
        .with_state(with_appview.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let credentials = Credentials::AppPassword {
        identifier: "northwind.test".into(),
        password: "app-password".into(),
        access_jwt: None,
        refresh_jwt: None,
        did: None,
    };
    let target = Target {
        network: Network::Bluesky,
        base_url: &base,
        account: "northwind.test",
        credentials: &credentials,
    };
    let counted = agora_connectors::networks::followers(&client(), &target)
        .await
        .map_err(|failure| failure.message().to_owned());
    assert_eq!(counted, Ok(Some(1_234)));
    *with_appview.lock().unwrap() = false;
    let counted = agora_connectors::networks::followers(&client(), &target)
        .await
        .map_err(|failure| failure.message().to_owned());
    assert_eq!(counted, Ok(None), "no AppView: not reported, not an error");
}
