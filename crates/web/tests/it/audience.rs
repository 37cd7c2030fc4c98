//! Audience KPIs over HTTP: seeded published posts give, through the API,
//! the numbers computed by hand below; the previous period is compared; bad
//! dates and ids answer 422 with their pointer; members get 403; the page
//! and its CSV (formula-safe) show the same numbers.

use agora_core::Clock;
use agora_core::Timestamp;
use agora_core::accounts::Role;
use agora_core::desk::{DeskStore, NewCampaign, Utm};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, Engagement, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::text_limits::Network;
use agora_store::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

const DAY: i64 = 86_400;

async fn get(app: &TestApp, path: &str, role: Role) -> (StatusCode, Value) {
    let response = app.as_api(Method::GET, path, role).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

struct Seeded {
    mastodon: i64,
    bluesky: i64,
    campaign: i64,
    /// Today, as a day number.
    today: i64,
}

/// Five posts (see the test for what each one counts for).
async fn seed(app: &TestApp) -> Seeded {
    let workspace = app.workspace.id;
    let now = app.clock.now();
    let author = app
        .db
        .create_member(&NewMember {
            workspace_id: workspace,
            account_id: None,
            name: "Mara Marketer".into(),
            email: None,
            joined_at: now,
            is_staff: true,
        })
        .await
        .unwrap();
    let channel = |name: &str, network| NewChannel {
        workspace_id: workspace,
        network,
        name: name.into(),
        avatar_url: None,
        base_url: "http://127.0.0.1:1".into(),
        account: String::new(),
        timezone: "UTC".into(),
        sealed_credentials: "v1:abcd:sealed".into(),
        max_chars: 500,
        max_media: 4,
        chars_per_url: 23,
        max_image_bytes: None,
        created_at: now,
    };
    // A name a spreadsheet would run as a formula.
    let mastodon = app
        .db
        .create_channel(&channel("=HYPERLINK(\"x\")", Network::Mastodon))
        .await
        .unwrap()
        .id;
    let bluesky = app
        .db
        .create_channel(&channel("@lumen.example", Network::Bluesky))
        .await
        .unwrap()
        .id;
    let campaign = app
        .db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Autumn roast".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#aa5500".into(),
                utm: Utm::default(),
            },
            now,
        )
        .await
        .unwrap();
    let today = now.millis().div_euclid(86_400_000);
    let noon = |days_ago: i64| Timestamp::from_millis(((today - days_ago) * DAY + DAY / 2) * 1000);
    let counts = |likes, shares, replies, quotes| {
        Some(Engagement {
            likes,
            shares,
            replies,
            quotes,
            read_at: now,
        })
    };
    let posts = [
        (mastodon, Some(campaign), 1, counts(10, 3, 2, 1)), // 16
        (bluesky, Some(campaign), 2, counts(4, 1, 0, 0)),   // 5
        (mastodon, None, 3, None),                          // not measured yet
        (mastodon, Some(campaign), 30, counts(6, 0, 0, 0)), // 6, previous period
        (bluesky, None, 60, counts(100, 0, 0, 0)),          // before both
    ];
    for (index, (channel_id, campaign_id, days_ago, engagement)) in posts.into_iter().enumerate() {
        let at = noon(days_ago);
        let id = app
            .db
            .create_post(&NewPost {
                workspace_id: workspace,
                author_id: author,
                variants: vec![NewVariant {
                    channel_id,
                    text: format!("Post {}", index + 1),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                }],
                scheduled_at: Some(at),
                created_at: at,
                campaign_id,
                hold: false,
            })
            .await
            .unwrap();
        let target = app.db.post(workspace, id).await.unwrap().unwrap().targets[0].id;
        let attempt = app.db.begin_attempt(target, 0, at).await.unwrap().unwrap();
        app.db
            .finish_attempt(
                target,
                attempt,
                &AttemptResult {
                    outcome: AttemptOutcome::Published,
                    request: String::new(),
                    http_status: Some(200),
                    response: String::new(),
                    message: None,
                    remote_id: Some(format!("remote-{id}")),
                    remote_url: None,
                    next_attempt_at: None,
                    finished_at: at,
                },
            )
            .await
            .unwrap();
        if let Some(engagement) = engagement {
            app.db.record_engagement(target, &engagement).await.unwrap();
        }
    }
    Seeded {
        mastodon,
        bluesky,
        campaign,
        today,
    }
}

fn date(day: i64) -> String {
    Timestamp::from_millis(day * 86_400_000).display_date()
}

async fn audience_kpis_match_a_hand_computation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let seeded = seed(&app).await;

    // The last 28 days hold posts 1, 2 and 3 (3 not measured): 16 + 5 = 21
    // engagements; the 28 days before hold post 4: 6. Post 5 is in neither.
    let (status, body) = get(&app, "/api/v1/w/acme/analytics/audience", Role::Marketer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["variant"], "default");
    assert_eq!(body["from"], date(seeded.today - 27));
    assert_eq!(body["to"], date(seeded.today));
    assert_eq!(body["previous_from"], date(seeded.today - 55));
    assert_eq!(body["previous_to"], date(seeded.today - 28));
    let totals = &body["totals"];
    assert_eq!(totals["n_posts"], 3);
    assert_eq!(totals["n_measured"], 2);
    assert_eq!(
        (
            &totals["likes"],
            &totals["shares"],
            &totals["replies"],
            &totals["quotes"]
        ),
        (&json!(14), &json!(4), &json!(2), &json!(1))
    );
    assert_eq!(totals["engagements"], 21);
    assert_eq!(totals["impressions"], Value::Null, "not reported is not 0");
    assert_eq!(totals["clicks"], Value::Null);
    assert_eq!(totals["followers"], Value::Null);
    assert_eq!(totals["engagement_rate"]["definition"], "not_computable");
    assert_eq!(totals["engagement_rate"]["value"], Value::Null);
    assert_eq!(body["previous_totals"]["engagements"], 6);
    assert_eq!(body["comparison"]["engagements"]["delta"], 15);
    assert_eq!(body["comparison"]["engagements"]["ratio"], 2.5);
    assert_eq!(body["comparison"]["posts"]["previous"], 1);

    let channels: Vec<(i64, i64, i64, i64)> = body["by_channel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["channel_id"].as_i64().unwrap(),
                row["kpis"]["n_posts"].as_i64().unwrap(),
                row["kpis"]["engagements"].as_i64().unwrap(),
                row["previous"]["engagements"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        channels,
        [(seeded.mastodon, 2, 16, 6), (seeded.bluesky, 1, 5, 0)]
    );
    let campaigns: Vec<(Value, i64, i64, i64)> = body["by_campaign"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["campaign_id"].clone(),
                row["kpis"]["n_posts"].as_i64().unwrap(),
                row["kpis"]["engagements"].as_i64().unwrap(),
                row["previous"]["engagements"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        campaigns,
        [(json!(seeded.campaign), 2, 21, 6), (Value::Null, 1, 0, 0)]
    );
    let top: Vec<&str> = body["top_posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|post| post["text"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["Post 1", "Post 2"]);
    let daily = body["daily_engagements"].as_array().unwrap();
    assert_eq!(daily.len(), 28);
    assert_eq!(daily[26], json!([seeded.today - 1, 16]));
    assert_eq!(daily[25], json!([seeded.today - 2, 5]));

    // One channel in one campaign.
    let path = format!(
        "/api/v1/w/acme/analytics/audience?channel={}&campaign={}",
        seeded.mastodon, seeded.campaign
    );
    let (status, body) = get(&app, &path, Role::Admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["campaign_name"], "Autumn roast");
    assert_eq!(body["totals"]["n_posts"], 1);
    assert_eq!(body["totals"]["engagements"], 16);
    assert_eq!(body["previous_totals"]["engagements"], 6);

    // A custom range of three days, against the three before.
    let path = format!(
        "/api/v1/w/acme/analytics/audience?from={}&to={}",
        date(seeded.today - 3),
        date(seeded.today - 1)
    );
    let (status, body) = get(&app, &path, Role::CommunityManager).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["variant"], "range");
    assert_eq!(body["totals"]["engagements"], 21);
    assert_eq!(body["previous_from"], date(seeded.today - 6));
    assert_eq!(body["previous_totals"]["n_posts"], 0);
    assert_eq!(body["comparison"]["engagements"]["ratio"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_kpis_match_a_hand_computation_on_sqlite() {
    audience_kpis_match_a_hand_computation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_kpis_match_a_hand_computation_on_postgres() {
    audience_kpis_match_a_hand_computation(Backend::Postgres).await;
}

#[tokio::test]
async fn audience_checks_roles_and_input() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let seeded = seed(&app).await;
    let (status, body) = get(&app, "/api/v1/w/acme/analytics/audience", Role::Member).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["status"], 403);

    for (query, pointer) in [
        ("from=2024-13-01&to=2024-01-31", "/from"),
        ("from=2024-01-01", "/to"),
        ("channel=abc", "/channel"),
        ("channel=999999", "/channel"),
        ("campaign=999999", "/campaign"),
    ] {
        let (status, body) = get(
            &app,
            &format!("/api/v1/w/acme/analytics/audience?{query}"),
            Role::Marketer,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["pointer"], pointer, "{query}: {body}");
    }
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/audience?chanel=1",
        Role::Marketer,
    )
    .await;
    assert!(status.is_client_error(), "{body}");

    let (_, document) = get(&app, "/api/v1/openapi.json", Role::Admin).await;
    assert!(document["components"]["schemas"]["Audience"].is_object());

    // The page shows the numbers and says what the networks do not report.
    let response = app
        .as_browser(
            Method::GET,
            "/w/acme/analytics/audience",
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<span class="stat" id="engagements">21</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"id="impressions">not reported</span>"#));
    assert!(html.contains("not computable"));
    assert!(html.contains("+15 (+250%)"));
    assert!(html.contains("<svg"));
    let response = app
        .as_browser(
            Method::GET,
            "/w/acme/analytics/audience?channel=abc",
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="query-error">channel: "#), "{html}");
    assert!(html.contains("is not an id"));
    let response = app
        .as_browser(
            Method::GET,
            "/w/acme/analytics/audience",
            Some(Role::Member),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Each table's CSV, a formula-like name quoted.
    let csv = |table: &str| {
        app.as_browser(
            Method::GET,
            &format!("/w/acme/analytics/audience.csv?table={table}"),
            Some(Role::Marketer),
        )
        .send()
    };
    let channels = csv("channels").await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = channels.lines().collect();
    assert!(lines[0].starts_with("channel_id,channel,network,posts,measured_posts,likes"));
    assert_eq!(lines.len(), 3, "{channels}");
    assert!(
        lines[1].starts_with(&format!(
            "{},\"'=HYPERLINK(\"\"x\"\")\",mastodon,2,1,10,3,2,1,,16,,,,,not_computable,1,6,10",
            seeded.mastodon
        )),
        "{channels}"
    );
    let campaigns = csv("campaigns").await.unwrap().text().await.unwrap();
    assert!(
        campaigns.contains(&format!(
            "{},Autumn roast,2,2,14,4,2,1,,21",
            seeded.campaign
        )),
        "{campaigns}"
    );
    let posts = csv("posts").await.unwrap().text().await.unwrap();
    assert_eq!(posts.lines().count(), 3, "{posts}");
    let daily = csv("daily").await.unwrap().text().await.unwrap();
    assert_eq!(daily.lines().count(), 29);
    assert!(daily.contains(&format!("{},16", date(seeded.today - 1))));
    assert_eq!(csv("nope").await.unwrap().status(), StatusCode::NOT_FOUND);
    let _ = seeded.bluesky;
}
