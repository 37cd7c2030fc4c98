//! The content calendar over HTTP: the API's window of posts and events with
//! filters, moving a post by the page's form and by the API (the stored time
//! changes; the past and posts that went out are refused), the month, week
//! and list pages, the CSV export and the private feed.

use agora_core::Timestamp;
use agora_core::accounts::Role;
use agora_core::desk::{Approval, DeskStore, NewCampaign, Utm};
use agora_core::posts::{AttemptOutcome, AttemptResult, PostStore, local_to_utc};
use agora_store::Backend;
use agora_testkit::ical::{check_with_icalendar, utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

const DAY: i64 = 86_400_000;

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

async fn page(app: &TestApp, role: Role, path: &str) -> (StatusCode, String) {
    let response = app
        .as_browser(Method::GET, path, Some(role))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// The local date in Paris `days` after `at`, as `2026-05-12`.
fn paris_day(at: Timestamp, days: i64) -> String {
    agora_core::calendar::CalendarZone::parse("Europe/Paris")
        .unwrap()
        .date_of(at.plus_millis(days * DAY))
        .format("%Y-%m-%d")
        .to_string()
}

fn paris(local: &str) -> Timestamp {
    local_to_utc(local, "Europe/Paris").unwrap()
}

async fn calendar_end_to_end(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let now = agora_core::Clock::now(&app.clock);
    let marketer = Role::Marketer;

    // Two channels that need no network: a newsletter and a webhook.
    let (status, newsletter) = api(
        &app,
        marketer,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "email", "name": "Newsletter", "timezone": "Europe/Paris"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{newsletter}");
    let newsletter = newsletter["id"].as_i64().unwrap();
    let (status, hook) = api(
        &app,
        marketer,
        Method::POST,
        "/api/v1/w/acme/channels",
        Some(json!({"network": "webhook", "name": "Site hook", "base_url": "http://127.0.0.1:9/hook"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let hook = hook["id"].as_i64().unwrap();

    let (d2, d3, d5, d6) = (
        paris_day(now, 2),
        paris_day(now, 3),
        paris_day(now, 5),
        paris_day(now, 6),
    );
    let create = |body: Value| {
        let app = &app;
        async move {
            let (status, post) = api(
                app,
                marketer,
                Method::POST,
                "/api/v1/w/acme/posts",
                Some(body),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{post}");
            post["id"].as_i64().unwrap()
        }
    };
    let sale = create(json!({
        "variants": [{"channel_id": newsletter, "text": "Spring sale, \"50%\" off\nAll week."}],
        "scheduled_at": paris(&format!("{d2}T09:00")).rfc3339(),
    }))
    .await;
    let hooked = create(json!({
        "variants": [{"channel_id": hook, "text": "Webhook news"}],
        "scheduled_at": paris(&format!("{d3}T18:15")).rfc3339(),
    }))
    .await;
    let draft = create(json!({
        "variants": [{"channel_id": newsletter, "text": "An idea, no date yet"}],
        "draft": true,
    }))
    .await;
    let later = create(json!({
        "variants": [{"channel_id": hook, "text": "Far ahead"}],
        "scheduled_at": now.plus_millis(40 * DAY).rfc3339(),
    }))
    .await;
    let held = create(json!({
        "variants": [{"channel_id": newsletter, "text": "Needs a second pair of eyes"}],
        "scheduled_at": paris(&format!("{d2}T16:00")).rfc3339(),
    }))
    .await;
    app.db
        .set_approval(held, Approval::Pending, true, false)
        .await
        .unwrap();
    let spring = app
        .db
        .create_campaign(
            &NewCampaign {
                workspace_id: app.workspace.id,
                name: "Spring".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#db2777".into(),
                utm: Utm::default(),
            },
            now,
        )
        .await
        .unwrap();
    app.db.set_post_campaign(sale, Some(spring)).await.unwrap();

    // A community event in the same days.
    let (status, group) = api(
        &app,
        Role::CommunityManager,
        Method::POST,
        "/api/v1/w/acme/groups",
        Some(json!({"slug": "riders", "name": "Riders"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let (status, event) = api(
        &app,
        Role::CommunityManager,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group["id"], "title": "Repair café", "timezone": "Europe/Paris",
            "starts_at": format!("{d5}T10:00"), "ends_at": format!("{d5}T16:00"),
            "format": "offline", "venue": "The shop",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event_id = event["id"].as_i64().unwrap();
    let (status, night) = api(
        &app,
        Role::CommunityManager,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group["id"], "title": "Night ride", "timezone": "Europe/Paris",
            "starts_at": format!("{d5}T22:00"), "ends_at": format!("{d6}T01:30"),
            "format": "offline", "venue": "The shop",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{night}");
    let night_id = night["id"].as_i64().unwrap();

    // The API's window: posts in time order (the draft at its creation), and the event.
    let window = |query: &str| {
        format!(
            "/api/v1/w/acme/calendar?from={}&to={}{query}",
            urlencoding::encode(&now.plus_millis(-3_600_000).rfc3339()),
            urlencoding::encode(&now.plus_millis(7 * DAY).rfc3339()),
        )
    };
    let (status, body) = api(&app, marketer, Method::GET, &window(""), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ids(&body["posts"]),
        vec![draft, sale, held, hooked],
        "{body}"
    );
    assert_eq!(body["posts"][2]["label"], "awaiting approval");
    assert_eq!(body["posts"][2]["approval"], "pending");
    assert!(!ids(&body["posts"]).contains(&later));
    assert_eq!(ids(&body["events"]), vec![event_id, night_id]);
    assert_eq!(body["events"][0]["title"], "Repair café");
    assert_eq!(body["events"][0]["format"], "offline");
    let first = &body["posts"][1];
    assert_eq!(first["status"], "scheduled");
    assert_eq!(first["approval"], "none");
    assert_eq!(first["campaign_id"], spring);
    assert_eq!(first["author"]["name"], "Marketer");
    assert_eq!(first["targets"][0]["channel_name"], "Newsletter");
    assert_eq!(first["targets"][0]["network"], "email");
    assert_eq!(
        first["scheduled_at"].as_i64(),
        Some(paris(&format!("{d2}T09:00")).millis())
    );
    assert_eq!(body["posts"][0]["scheduled_at"], Value::Null);
    assert_eq!(body["posts"][0]["status"], "draft");

    // Filters.
    let filtered = |query: String| {
        let app = &app;
        async move {
            let (status, body) = api(app, marketer, Method::GET, &query, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            ids(&body["posts"])
        }
    };
    assert_eq!(
        filtered(window(&format!("&channel={hook}"))).await,
        vec![hooked]
    );
    assert_eq!(
        filtered(window(&format!("&campaign={spring}"))).await,
        vec![sale]
    );
    assert_eq!(filtered(window("&status=draft")).await, vec![draft, held]);
    assert_eq!(
        filtered(window("&status=awaiting_approval")).await,
        vec![held]
    );
    assert_eq!(
        filtered(window("&status=scheduled")).await,
        vec![sale, hooked]
    );
    let author = first["author"]["id"].as_i64().unwrap();
    assert_eq!(
        filtered(window(&format!("&author={author}"))).await,
        vec![draft, sale, held, hooked]
    );
    assert!(
        filtered(window(&format!("&author={}", author + 1000)))
            .await
            .is_empty()
    );

    // Bad windows and filters are named.
    for (query, pointer) in [
        (
            "/api/v1/w/acme/calendar?from=yesterday&to=2030-01-01T00:00:00Z",
            "/from",
        ),
        ("/api/v1/w/acme/calendar?from=2030-01-01T00:00:00Z", "/to"),
        (
            "/api/v1/w/acme/calendar?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z",
            "/to",
        ),
        (
            "/api/v1/w/acme/calendar?from=2030-01-01T00:00:00Z&to=2032-01-01T00:00:00Z",
            "/to",
        ),
    ] {
        let (status, problem) = api(&app, marketer, Method::GET, query, None).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(
            problem["errors"][0]["pointer"], pointer,
            "{query}: {problem}"
        );
    }
    let (status, problem) = api(&app, marketer, Method::GET, &window("&status=lost"), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["pointer"], "/status", "{problem}");

    // Members and other roles without the marketer's side are refused.
    for role in [Role::Member, Role::CommunityManager, Role::Moderator] {
        let (status, _) = api(&app, role, Method::GET, &window(""), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        let (status, _) = page(&app, role, "/w/acme/calendar").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{sale}/move"),
            Some(Role::Member),
        )
        .form(&[("csrf", app.csrf.as_str()), ("date", d5.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, _) = api(
        &app,
        Role::Member,
        Method::PUT,
        &format!("/api/v1/w/acme/posts/{sale}/schedule"),
        Some(json!({"scheduled_at": now.plus_millis(DAY).rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Moving with the page's form: to another day, keeping the local time of
    // day when no time is given, then to a time.
    let back = format!("view=week&date={d5}&tz=Europe%2FParis");
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{sale}/move"),
            Some(marketer),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("date", d5.as_str()),
            ("tz", "Europe/Paris"),
            ("back", back.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("/w/acme/calendar?view=week&date={d5}&tz=Europe%2FParis")
    );
    let stored = app.db.post(app.workspace.id, sale).await.unwrap().unwrap();
    assert_eq!(stored.scheduled_at, Some(paris(&format!("{d5}T09:00"))));
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{sale}/move"),
            Some(marketer),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("date", d5.as_str()),
            ("time", "14:45"),
            ("tz", "Europe/Paris"),
            ("back", back.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, shown) = api(
        &app,
        marketer,
        Method::GET,
        &format!("/api/v1/w/acme/posts/{sale}"),
        None,
    )
    .await;
    assert_eq!(
        shown["scheduled_at"].as_i64(),
        Some(paris(&format!("{d5}T14:45")).millis()),
        "{shown}"
    );
    assert_eq!(
        shown["targets"][0]["next_attempt_at"].as_i64(),
        Some(paris(&format!("{d5}T14:45")).millis()),
        "its channel moves with it"
    );
    let history = app.db.history(sale).await.unwrap();
    assert_eq!(
        history.iter().filter(|h| h.action == "moved").count(),
        2,
        "{history:?}"
    );

    // Moving through the API.
    let at = now.plus_millis(6 * DAY);
    let (status, moved) = api(
        &app,
        marketer,
        Method::PUT,
        &format!("/api/v1/w/acme/posts/{hooked}/schedule"),
        Some(json!({"scheduled_at": at.rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["scheduled_at"].as_i64(), Some(at.millis()));
    let stored = app
        .db
        .post(app.workspace.id, hooked)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.scheduled_at, Some(at));

    // The past is refused at `scheduled_at` (API) and next to the form (page).
    let (status, problem) = api(
        &app,
        marketer,
        Method::PUT,
        &format!("/api/v1/w/acme/posts/{hooked}/schedule"),
        Some(json!({"scheduled_at": now.plus_millis(-DAY).rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["errors"][0]["pointer"], "/scheduled_at",
        "{problem}"
    );
    let (status, problem) = api(
        &app,
        marketer,
        Method::PUT,
        &format!("/api/v1/w/acme/posts/{hooked}/schedule"),
        Some(json!({"scheduled_at": "tomorrow"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["pointer"], "/scheduled_at",
        "{problem}"
    );
    let (status, _) = api(
        &app,
        marketer,
        Method::PUT,
        "/api/v1/w/acme/posts/999999/schedule",
        Some(json!({"scheduled_at": at.rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let yesterday = paris_day(now, -1);
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{hooked}/move"),
            Some(marketer),
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("date", yesterday.as_str()),
            ("time", "09:00"),
            ("tz", "Europe/Paris"),
            ("back", &format!("view=list&date={d6}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("choose a time in the future"), "{html}");
    assert!(
        html.contains(&format!(
            "id=\"move-date-{hooked}\" name=\"date\" value=\"{yesterday}\" required aria-invalid=\"true\""
        )),
        "the form keeps what was typed"
    );
    let response = app
        .as_browser(
            Method::POST,
            &format!("/w/acme/posts/{hooked}/move"),
            Some(marketer),
        )
        .form(&[("csrf", app.csrf.as_str()), ("date", "someday")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("is not a date"));
    assert_eq!(
        app.db
            .post(app.workspace.id, hooked)
            .await
            .unwrap()
            .unwrap()
            .scheduled_at,
        Some(at),
        "refused moves change nothing"
    );

    // A post that went out cannot move, and is not draggable.
    let target = stored.targets[0].id;
    let attempt = app.db.begin_attempt(target, 0, now).await.unwrap().unwrap();
    app.db
        .finish_attempt(
            target,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: "POST".into(),
                http_status: Some(200),
                response: "{}".into(),
                message: None,
                remote_id: None,
                remote_url: None,
                next_attempt_at: None,
                finished_at: now,
            },
        )
        .await
        .unwrap();
    let (status, problem) = api(
        &app,
        marketer,
        Method::PUT,
        &format!("/api/v1/w/acme/posts/{hooked}/schedule"),
        Some(json!({"scheduled_at": now.plus_millis(DAY).rfc3339()})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // The pages: month, week and list, in the first channel's zone or another.
    let month = format!("/w/acme/calendar?view=month&date={d5}");
    let (status, html) = page(&app, marketer, &month).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Times in <strong>Europe/Paris</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Spring sale, &#34;50%&#34; off")
            || html.contains("Spring sale, &quot;50%&quot; off"),
        "{html}"
    );
    assert!(html.contains("Repair café"));
    let night_end = agora_core::calendar::parse_date(&d6)
        .unwrap()
        .format("%a %-d %b")
        .to_string();
    assert!(
        html.contains(&format!("22:00–{night_end} 01:30")),
        "an event past midnight says when it ends"
    );
    assert!(html.contains(&format!("href=\"/w/acme/posts/{sale}\"")));
    assert!(html.contains(&format!("href=\"/w/acme/events/{event_id}\"")));
    assert!(html.contains(&format!(
        "data-post=\"{sale}\" draggable=\"true\" data-move"
    )));
    assert!(
        !html.contains(&format!("data-post=\"{hooked}\" draggable")),
        "a published post is not draggable"
    );
    assert!(html.contains(&format!("action=\"/w/acme/posts/{sale}/move\"")));
    assert!(!html.contains(&format!("action=\"/w/acme/posts/{hooked}/move\"")));
    assert!(html.contains("/assets/calendar.js"));
    let (status, html) = page(
        &app,
        marketer,
        &format!("/w/acme/calendar?view=week&date={d5}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("data-drop-date=\"{d5}\" data-drop-hour=\"14\"")));
    assert!(html.contains("<time class=\"cal-time\">14:45</time>"));
    let (status, html) = page(
        &app,
        marketer,
        &format!("/w/acme/calendar?view=week&date={d5}&tz=UTC"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Times in <strong>UTC</strong>"));
    let utc_time = paris(&format!("{d5}T14:45"))
        .to_datetime()
        .format("%H:%M")
        .to_string();
    assert!(html.contains(&format!("<time class=\"cal-time\">{utc_time}</time>")));
    let (status, html) = page(
        &app,
        marketer,
        &format!("/w/acme/calendar?view=list&date={d5}&color=campaign"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("--c: #db2777"), "the campaign's colour");
    let (_, html) = page(
        &app,
        marketer,
        &format!("/w/acme/calendar?view=list&date={d2}"),
    )
    .await;
    assert!(
        html.contains("<span class=\"cal-status\">awaiting approval</span>"),
        "a post waiting for its reviewer says so"
    );
    let (status, html) = page(
        &app,
        marketer,
        "/w/acme/calendar?view=fortnight&date=soon&tz=Mars/Olympus",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "wrong parameters are explained, not fatal"
    );
    assert!(html.contains("is not a view"));
    assert!(html.contains("is not a date like"));
    assert!(html.contains("is not an IANA timezone"));

    // The CSV export: a header, a record per post target, RFC 4180 quoting.
    let from = paris_day(now, 0);
    let to = paris_day(now, 7);
    let response = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/calendar.csv?from={from}&to={to}"),
            Some(marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            "post_id,scheduled_at_utc,local_time,timezone,channel,network,campaign,status,approval,author,text"
        )
    );
    let sale_utc = paris(&format!("{d5}T14:45"))
        .to_datetime()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        csv.contains(&format!(
            "{sale},{sale_utc},{d5} 14:45,Europe/Paris,Newsletter,email,Spring,scheduled,none,Marketer,\"Spring sale, \"\"50%\"\" off\nAll week.\"\r\n"
        )),
        "{csv}"
    );
    assert!(csv.contains(&format!("{hooked},")), "{csv}");
    assert!(
        csv.contains(&format!("{draft},,{} ", paris_day(now, 0))),
        "a draft without a time has no UTC time, and sits on its day of creation: {csv}"
    );
    let response = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/calendar.csv?from={from}&to={to}&channel={hook}"),
            Some(marketer),
        )
        .send()
        .await
        .unwrap();
    let only_hook = response.text().await.unwrap();
    assert_eq!(only_hook.matches("\r\n").count(), 2, "{only_hook}");
    for query in [
        "from=2026-13-01&to=2026-12-31",
        "to=2026-12-31",
        "from=2026-05-10&to=2026-05-01",
    ] {
        let response = app
            .as_browser(
                Method::GET,
                &format!("/w/acme/calendar.csv?{query}"),
                Some(marketer),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let message = response.text().await.unwrap();
        assert!(
            message.contains("from") || message.contains("to:"),
            "{query}: {message}"
        );
    }

    // The private feed: made, read without a cookie, valid iCalendar, revoked.
    let response = app
        .as_browser(Method::POST, "/w/acme/calendar/feed", Some(marketer))
        .form(&[("csrf", app.csrf.as_str()), ("action", "new")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let token = location
        .split("feed=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let (_, html) = page(&app, marketer, &location).await;
    assert!(
        html.contains(&format!("/feeds/calendar/{token}.ics")),
        "shown once"
    );
    let feed_url = app.url(&format!("/feeds/calendar/{token}.ics"));
    let response = app.client.get(&feed_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = response.text().await.unwrap();
    assert!(ics.contains("SUMMARY:Spring sale"), "{ics}");
    assert!(ics.contains("SUMMARY:Repair café"), "{ics}");
    if let Some(calendar) = check_with_icalendar(&ics) {
        let entry = calendar
            .events
            .iter()
            .find(|e| e.uid.starts_with(&format!("post-{sale}@")))
            .unwrap();
        let start = paris(&format!("{d5}T14:45"));
        assert_eq!(entry.start, utc(start));
        assert_eq!(
            entry.end.as_deref(),
            Some(utc(start.plus_millis(15 * 60_000)).as_str())
        );
        assert!(entry.summary.contains("Newsletter"), "{entry:?}");
        assert!(
            entry
                .url
                .as_deref()
                .is_some_and(|url| url.ends_with(&format!("/w/acme/posts/{sale}")))
        );
        assert!(calendar.events.iter().any(|e| e.summary == "Repair café"));
        assert!(
            calendar
                .events
                .iter()
                .any(|e| e.uid.starts_with(&format!("post-{later}@"))),
            "the feed reaches a year ahead"
        );
    }
    let response = app
        .as_browser(Method::POST, "/w/acme/calendar/feed", Some(marketer))
        .form(&[("csrf", app.csrf.as_str()), ("action", "revoke")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app.client.get(&feed_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_end_to_end_on_sqlite() {
    calendar_end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_end_to_end_on_postgres() {
    calendar_end_to_end(Backend::Postgres).await;
}

#[tokio::test]
async fn a_feed_stops_when_its_owner_leaves_the_marketers_side() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .as_browser(Method::POST, "/w/acme/calendar/feed", Some(Role::Marketer))
        .form(&[("csrf", app.csrf.as_str()), ("action", "new")])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let token = location
        .split("feed=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let feed_url = app.url(&format!("/feeds/calendar/{token}"));
    assert_eq!(
        app.client.get(&feed_url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let account = agora_core::accounts::AccountStore::credentials_by_email(
        &app.db,
        &agora_core::accounts::Email::parse(&app.person(Role::Marketer).email).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .account;
    agora_core::accounts::AccountStore::upsert_membership(
        &app.db,
        account.id,
        app.workspace.id,
        Role::Member,
        agora_core::Clock::now(&app.clock),
    )
    .await
    .unwrap();
    assert_eq!(
        app.client.get(&feed_url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
