//! The marketer's desk over HTTP on both databases: the composer's counters
//! count as each network counts (the same code as scheduling), campaigns tag
//! links with their UTM parameters, approvals hold a post until someone else
//! approves it (never its author, in the API and the page), editing an
//! approved post asks for review again, every step is in the history, and
//! the media library refuses bad uploads at the field.

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::posts::{NewChannel, PostStore};
use agora_core::text_limits::Network;
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

async fn channel(app: &TestApp, network: Network, name: &str) -> i64 {
    let limits = network.default_limits();
    app.db
        .create_channel(&NewChannel {
            workspace_id: app.workspace.id,
            network,
            name: name.into(),
            avatar_url: None,
            base_url: "https://social.example".into(),
            account: name.into(),
            timezone: "Europe/Paris".into(),
            sealed_credentials: String::new(),
            max_chars: limits.max_chars as i64,
            max_media: limits.max_media as i64,
            chars_per_url: 23,
            max_image_bytes: None,
            created_at: app.clock.now(),
        })
        .await
        .unwrap()
        .id
}

async fn api(
    app: &TestApp,
    role: Role,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.as_api(method, path, role);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn form(app: &TestApp, pairs: &[(&str, &str)]) -> String {
    let mut all = vec![("csrf", app.csrf.as_str())];
    all.extend_from_slice(pairs);
    all.iter()
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn desk(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let bluesky = channel(&app, Network::Bluesky, "northwind.bsky.social").await;
    let mastodon = channel(&app, Network::Mastodon, "@northwind@social.example").await;

    // The composer's counters: Bluesky counts graphemes (300), Mastodon counts
    // a link as 23 characters (500).
    let long_link = format!("https://shop.example/{}", "a".repeat(200));
    let text = format!("{} {long_link}", "é".repeat(90));
    let response = app
        .as_browser(Method::POST, "/w/acme/compose/check", Some(Role::Marketer))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(
            &app,
            &[
                ("text", &text),
                ("channel", &bluesky.to_string()),
                ("channel", &mastodon.to_string()),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let bluesky_count = 90 + 1 + long_link.chars().count();
    assert!(
        html.contains(&format!(
            "id=\"counter-{bluesky}\" data-length=\"{bluesky_count}\" data-limit=\"300\""
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!("class=\"counter over\" id=\"counter-{bluesky}\"")),
        "Bluesky is over"
    );
    assert!(
        html.contains(&format!(
            "class=\"counter\" id=\"counter-{mastodon}\" data-length=\"114\""
        )),
        "Mastodon counts the link as 23: {html}"
    );
    assert!(
        html.contains("<span class=\"link\">https://shop.example/"),
        "links are found"
    );

    // Scheduling refuses the same text for Bluesky, at its variant; a
    // shorter Bluesky variant goes through.
    let when = app.clock.now().plus_millis(2 * 86_400_000);
    let local = agora_core::posts::utc_to_local(when, "Europe/Paris")[..16].replace(' ', "T");
    let response = app
        .as_browser(Method::POST, "/w/acme/posts", Some(Role::Marketer))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(
            &app,
            &[
                ("text", &text),
                ("channel", &bluesky.to_string()),
                ("channel", &mastodon.to_string()),
                ("local_time", &local),
                ("timezone", "Europe/Paris"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "id=\"variant_{bluesky}-error\">{bluesky_count} graphemes as bluesky counts them"
        )),
        "the error is at the Bluesky variant"
    );

    // A campaign tags links; approvals are turned on by an admin.
    let (status, problem) = api(
        &app,
        Role::Marketer,
        Method::POST,
        "/api/v1/w/acme/campaigns",
        Some(json!({"name": "", "color": "blue", "utm_source": "a b"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, vec!["/name", "/color", "/utm_source"]);
    let (status, campaign) = api(
        &app,
        Role::Marketer,
        Method::POST,
        "/api/v1/w/acme/campaigns",
        Some(
            json!({"name": "Spring sale", "goal": "Sell 200 bikes", "starts_on": "2027-03-01",
                    "ends_on": "2027-03-31", "utm_source": "social", "utm_campaign": "spring"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let response = app
        .as_browser(Method::POST, "/w/acme/settings/approval", Some(Role::Admin))
        .form(&[("csrf", app.csrf.as_str()), ("posts_need_approval", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let (status, post) = api(
        &app,
        Role::Marketer,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({
            "variants": [
                {"channel_id": bluesky, "text": "Spring is here https://shop.example/bikes"},
                {"channel_id": mastodon, "text": "Spring is here, #bikes https://shop.example/bikes?size=m"},
            ],
            "scheduled_at": when.rfc3339(),
            "campaign_id": campaign["id"],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let id = post["id"].as_i64().unwrap();
    assert_eq!(post["approval"], "pending");
    assert_eq!(post["campaign_id"], campaign["id"]);
    let targets = post["targets"].as_array().unwrap();
    assert!(
        targets.iter().all(|t| t["status"] == "draft"),
        "held until approved: {post}"
    );
    assert_eq!(
        targets[1]["text"],
        "Spring is here, #bikes https://shop.example/bikes?size=m&utm_source=social&utm_campaign=spring"
    );

    // The author cannot approve their own post, in the API or on the page.
    let (status, _) = api(
        &app,
        Role::Marketer,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/approve"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let page = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/posts/{id}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("nobody approves their own post") && !page.contains("value=\"approve\""));
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{id}/review"),
            Some(Role::Marketer),
        )
        .form(&[("csrf", app.csrf.as_str()), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, still) = api(
        &app,
        Role::Marketer,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{id}"),
        None,
    )
    .await;
    assert_eq!(still["approval"], "pending", "the page refused it too");

    // A reject needs a comment; a second staff member approves.
    let (status, problem) = api(
        &app,
        Role::Admin,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/reject"),
        Some(json!({"comment": " "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["pointer"], "/comment");
    let (status, approved) = api(
        &app,
        Role::Admin,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/approve"),
        Some(json!({"comment": "Lovely"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["approval"], "approved");
    assert!(
        approved["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "scheduled")
    );

    // Editing the approved post sends it back for review.
    let target = approved["targets"][0]["id"].as_i64().unwrap();
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{id}/edit"),
            Some(Role::Marketer),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            (&format!("text_{target}"), "Spring is here, really"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, edited) = api(
        &app,
        Role::Marketer,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/reject"),
        Some(json!({"comment": "no"})),
    )
    .await;
    assert_eq!(edited["status"], 403, "still not the author's to decide");
    let (_, rejected) = api(
        &app,
        Role::Admin,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/reject"),
        Some(json!({"comment": "Say which bikes"})),
    )
    .await;
    assert_eq!(rejected["approval"], "rejected");
    let actions: Vec<&str> = rejected["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "created",
            "review_requested",
            "approved",
            "edited",
            "review_requested",
            "rejected"
        ]
    );
    assert_eq!(rejected["history"][5]["comment"], "Say which bikes");
    let (status, reviewed) = api(
        &app,
        Role::Marketer,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{id}/review"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    assert_eq!(reviewed["approval"], "pending");

    // The media library: an image needs alt text and an image type.
    let part = |name: &str, value: &str| {
        format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let body = format!(
        "{}{}--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XYZ--\r\n",
        part("csrf", &app.csrf),
        part("alt", "")
    );
    let response = app
        .as_browser(Method::POST, "/w/acme/media", Some(Role::Marketer))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"file-error\">use a JPEG, PNG, GIF or WebP image"),
        "{html}"
    );
    assert!(html.contains("id=\"alt-error\">describe the image"));

    // An image over Bluesky's 1,000,000 bytes is refused at the Bluesky channel.
    let mut big = format!(
        "{}{}--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n",
        part("csrf", &app.csrf),
        part("alt", "A frame in sage green")
    )
    .into_bytes();
    big.extend(std::iter::repeat_n(7u8, 1_200_000));
    big.extend(b"\r\n--XYZ--\r\n");
    let response = app
        .as_browser(Method::POST, "/w/acme/media", Some(Role::Marketer))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the library takes it"
    );
    let library = agora_core::desk::DeskStore::media_library(&app.db, app.workspace.id)
        .await
        .unwrap();
    assert_eq!(library[0].size, 1_200_000);
    let image = library[0].id.to_string();
    let response = app
        .as_browser(Method::POST, "/w/acme/posts", Some(Role::Marketer))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(
            &app,
            &[
                ("text", "The new frame"),
                ("channel", &bluesky.to_string()),
                ("channel", &mastodon.to_string()),
                ("media", &image),
                ("intent", "draft"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"media_{bluesky}-error\">the image has 1200000 bytes; bluesky takes at most 1000000")),
        "{html}"
    );
    assert!(
        !html.contains(&format!("id=\"media_{mastodon}-error\"")),
        "Mastodon takes it"
    );
}

#[tokio::test]
async fn desk_on_sqlite() {
    desk(Backend::Sqlite).await;
}

#[tokio::test]
async fn desk_on_postgres() {
    desk(Backend::Postgres).await;
}
