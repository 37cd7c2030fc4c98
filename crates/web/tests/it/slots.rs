//! Queue slots and best time to post over HTTP: slots refused at the field,
//! "Add to queue" filling a channel's slots in order, a paused queue
//! refusing, best times from the default curve, and the queue page.

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::posts::local_to_utc;
use agora_store::Backend;
use chrono::{Datelike, Duration};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.as_api(method, path, Role::Marketer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn draft(app: &TestApp, channel: i64, text: &str) -> i64 {
    let (status, post) = api(
        app,
        Method::POST,
        "/api/v1/w/acme/posts",
        Some(json!({"variants": [{"channel_id": channel, "text": text}], "draft": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    assert_eq!(post["status"], "draft");
    post["id"].as_i64().unwrap()
}

async fn the_queue_fills_slots_in_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Monday 00:00 UTC of next week (01:00 or 02:00 in Paris): sessions stay valid.
    let today = app.clock.now().to_datetime().date_naive();
    let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let wednesday = monday + Duration::days(2);
    app.clock.set(agora_core::Timestamp::from(
        monday.and_hms_opt(0, 0, 0).unwrap().and_utc(),
    ));
    let paris = |date: chrono::NaiveDate, time: &str| {
        local_to_utc(&format!("{date}T{time}"), "Europe/Paris")
            .unwrap()
            .millis()
    };

    // A newsletter channel needs no network to connect.
    let (status, channel) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "email", "name": "Newsletter", "timezone": "Europe/Paris"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    let channel = channel["id"].as_i64().unwrap();
    let slots_path = format!("/api/v1/w/acme/channels/{channel}/slots");

    let (status, queue) = api(&app, Method::GET, &slots_path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        queue,
        json!({"timezone": "Europe/Paris", "paused": false, "slots": []})
    );

    // Bad input is refused at the field.
    for (body, pointer) in [
        (
            json!({"timezone": "Mars/Olympus", "slots": [{"weekday": "mon", "time": "09:00"}]}),
            "/timezone",
        ),
        (
            json!({"slots": [{"weekday": "mon", "time": "09:00"}, {"weekday": "wed", "time": "25:00"}]}),
            "/slots/1/time",
        ),
        (
            json!({"slots": [{"weekday": "someday", "time": "09:00"}]}),
            "/slots/0/weekday",
        ),
    ] {
        let (status, problem) = api(&app, Method::PUT, &slots_path, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
    }
    let (status, _) = api(
        &app,
        Method::PUT,
        &slots_path,
        Some(json!({"slots": "mon"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, queue) = api(
        &app,
        Method::PUT,
        &slots_path,
        Some(json!({"slots": [{"weekday": "wed", "time": "17:30"}, {"weekday": "mon", "time": "9:00"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(
        queue,
        json!({"timezone": "Europe/Paris", "paused": false, "slots": [
            {"weekday": "mon", "time": "09:00"}, {"weekday": "wed", "time": "17:30"}]})
    );

    // Drafts added to the queue take the slots in order and are scheduled.
    let first = draft(&app, channel, "First in line").await;
    let second = draft(&app, channel, "Second in line").await;
    let (status, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{first}/queue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert_eq!(post["scheduled_at"], paris(monday, "09:00"), "{post}");
    assert_eq!(post["status"], "scheduled");
    let (status, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{second}/queue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert_eq!(post["scheduled_at"], paris(wednesday, "17:30"), "{post}");
    // Queueing a queued post again keeps its place: it does not hold itself out.
    let (_, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{first}/queue"),
        None,
    )
    .await;
    assert_eq!(post["scheduled_at"], paris(monday, "09:00"));

    // A paused queue refuses, and says why.
    let (status, queue) = api(
        &app,
        Method::PUT,
        &slots_path,
        Some(json!({"paused": true, "slots": [{"weekday": "mon", "time": "09:00"}, {"weekday": "wed", "time": "17:30"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(queue["paused"], true);
    let third = draft(&app, channel, "Third in line").await;
    let (status, problem) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{third}/queue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("paused"),
        "{problem}"
    );
    let (_, post) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{third}"),
        None,
    )
    .await;
    assert_eq!(post["scheduled_at"], Value::Null, "nothing moved");

    // Resumed: the next free slot is next week's Monday.
    api(
        &app,
        Method::PUT,
        &slots_path,
        Some(json!({"paused": false, "slots": [{"weekday": "mon", "time": "09:00"}, {"weekday": "wed", "time": "17:30"}]})),
    )
    .await;
    let (status, post) = api(
        &app,
        Method::POST,
        &format!("/api/v1/w/acme/posts/{third}/queue"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert_eq!(
        post["scheduled_at"],
        paris(monday + Duration::days(7), "09:00")
    );

    // A channel without posts: best times from the default curve.
    let (status, best) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/channels/{channel}/best-times"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{best}");
    assert_eq!(best["source"], "default");
    assert_eq!(best["n_posts"], 0);
    assert!(
        best["description"]
            .as_str()
            .unwrap()
            .starts_with("A default")
    );
    let grid = best["grid"].as_array().unwrap();
    assert_eq!(grid.len(), 7);
    assert!(grid.iter().all(|day| day.as_array().unwrap().len() == 24));
    let next = best["next"].as_array().unwrap();
    assert_eq!(next.len(), 3);
    let now = app.clock.now();
    for at in next {
        let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap();
        assert!(
            at.timestamp_millis() > now.millis(),
            "{at} is in the future"
        );
    }

    // Unknown channels and posts, and members, are refused.
    let (status, _) = api(
        &app,
        Method::GET,
        "/api/v1/w/acme/channels/999999/slots",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/posts/999999/queue",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let status = app
        .as_api(Method::GET, &slots_path, Role::Member)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_queue_fills_slots_in_order_on_sqlite() {
    the_queue_fills_slots_in_order(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_queue_fills_slots_in_order_on_postgres() {
    the_queue_fills_slots_in_order(Backend::Postgres).await;
}

#[tokio::test]
async fn the_queue_page_edits_slots_shows_the_heatmap_and_queues_a_post() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (_, channel) = api(
        &app,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "email", "name": "Newsletter", "timezone": "Europe/Paris"})),
    )
    .await;
    let channel = channel["id"].as_i64().unwrap();
    let page = format!("/w/acme/channels/{channel}/queue");

    let html = app
        .as_browser(Method::GET, "/w/acme/channels", Some(Role::Marketer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("href=\"{page}\"")),
        "linked from Channels"
    );

    // A bad time is shown next to the field, the days kept.
    let response = app
        .as_browser(Method::POST, &page, Some(Role::Marketer))
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("weekday", "tue"),
            ("weekday", "thu"),
            ("time", "25:00"),
            ("action", "add"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"time-error\">&#34;25:00&#34; is not a time of day")
            || html.contains("id=\"time-error\">&quot;25:00&quot; is not a time of day"),
        "{html}"
    );
    assert!(html.contains("value=\"tue\" checked"));
    // A bad timezone too.
    let response = app
        .as_browser(Method::POST, &page, Some(Role::Marketer))
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("timezone", "Mars/Olympus"),
            ("action", "timezone"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"timezone-error\""), "{html}");
    assert!(
        html.contains("value=\"Mars/Olympus\""),
        "kept to be corrected"
    );

    let response = app
        .as_browser(Method::POST, &page, Some(Role::Marketer))
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("weekday", "tue"),
            ("weekday", "thu"),
            ("time", "08:15"),
            ("action", "add"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, queue) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/channels/{channel}/slots"),
        None,
    )
    .await;
    assert_eq!(
        queue["slots"],
        json!([{"weekday": "tue", "time": "08:15"}, {"weekday": "thu", "time": "08:15"}])
    );
    let response = app
        .as_browser(Method::POST, &page, Some(Role::Marketer))
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("slot", "thu-08:15"),
            ("action", "remove"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let html = app
        .as_browser(Method::GET, &page, Some(Role::Marketer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tuesday <strong>08:15</strong>"), "{html}");
    assert!(!html.contains("Thursday <strong>08:15</strong>"));
    assert!(html.contains("<table class=\"heatmap\">"));
    assert_eq!(html.matches("<td class=\"heat-").count(), 7 * 24);
    assert!(html.contains("data-source=\"default\""));

    // "Add to queue" on the post page.
    let post = draft(&app, channel, "Queued from the page").await;
    let html = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/posts/{post}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("action=\"/w/acme/posts/{post}/queue\"")));
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{post}/queue"),
            Some(Role::Marketer),
        )
        .form(&[("csrf", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, view) = api(
        &app,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{post}"),
        None,
    )
    .await;
    assert_eq!(view["status"], "scheduled");
    let at = view["scheduled_at"].as_i64().unwrap();
    let local = agora_core::posts::utc_to_local(agora_core::Timestamp(at), "Europe/Paris");
    assert!(local.contains(" 08:15 "), "{local}");
}
