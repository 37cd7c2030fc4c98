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

/// A post published on one channel, as the engine would have left it.
#[derive(Clone, Copy)]
struct Published<'a> {
    author: i64,
    channel_id: i64,
    campaign_id: Option<i64>,
    at: Timestamp,
    text: &'a str,
}

impl<'a> Published<'a> {
    fn new(author: i64, channel_id: i64, at: Timestamp, text: &'a str) -> Self {
        Self {
            author,
            channel_id,
            campaign_id: None,
            at,
            text,
        }
    }
}

/// Publishes the post (one attempt, published) and records its metrics when
/// given; answers the target.
async fn published(app: &TestApp, post: Published<'_>, engagement: Option<Engagement>) -> i64 {
    let workspace = app.workspace.id;
    let id = app
        .db
        .create_post(&NewPost {
            workspace_id: workspace,
            author_id: post.author,
            variants: vec![NewVariant {
                channel_id: post.channel_id,
                text: post.text.into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: Some(post.at),
            created_at: post.at,
            campaign_id: post.campaign_id,
            hold: false,
        })
        .await
        .unwrap();
    let target = app.db.post(workspace, id).await.unwrap().unwrap().targets[0].id;
    let attempt = app
        .db
        .begin_attempt(target, 0, post.at)
        .await
        .unwrap()
        .unwrap();
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
                finished_at: post.at,
            },
        )
        .await
        .unwrap();
    if let Some(engagement) = engagement {
        app.db.record_engagement(target, &engagement).await.unwrap();
    }
    target
}

/// A staff member who writes the posts.
async fn marketer(app: &TestApp) -> i64 {
    app.db
        .create_member(&NewMember {
            workspace_id: app.workspace.id,
            account_id: None,
            name: "Mara Marketer".into(),
            email: None,
            joined_at: app.clock.now(),
            is_staff: true,
        })
        .await
        .unwrap()
}

/// A channel of the workspace that nothing is ever sent to.
fn channel(app: &TestApp, name: &str, network: Network) -> NewChannel {
    NewChannel {
        workspace_id: app.workspace.id,
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
        created_at: app.clock.now(),
    }
}

/// Five posts (see the test for what each one counts for).
async fn seed(app: &TestApp) -> Seeded {
    let workspace = app.workspace.id;
    let now = app.clock.now();
    let author = marketer(app).await;
    let channel = |name: &str, network| channel(app, name, network);
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
            impressions: None,
            reach: None,
            clicks: None,
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
        let text = format!("Post {}", index + 1);
        let post = Published::new(author, channel_id, noon(days_ago), &text);
        published(
            app,
            Published {
                campaign_id,
                ..post
            },
            engagement,
        )
        .await;
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

    // Followers, as the Mastodon connector samples them: 100 forty days ago,
    // 120 two days ago. The growth over the last 28 days is +20 %; the
    // Mastodon channel's rate is per follower; the workspace's stays not
    // computable while the Bluesky channel's followers are unknown.
    use agora_core::posts::PostStore;
    let day =
        |days_ago: i64| agora_core::Timestamp((seeded.today - days_ago) * 86_400_000 + 3_600_000);
    app.db
        .record_followers(seeded.mastodon, day(40), 100)
        .await
        .unwrap();
    app.db
        .record_followers(seeded.mastodon, day(2), 110)
        .await
        .unwrap();
    app.db
        .record_followers(seeded.mastodon, day(2), 120)
        .await
        .unwrap();
    let (_, body) = get(&app, "/api/v1/w/acme/analytics/audience", Role::Marketer).await;
    let growth = &body["follower_growth"];
    assert_eq!(
        growth.as_array().unwrap().len(),
        1,
        "only channels whose network reports followers: {growth}"
    );
    assert_eq!(
        (&growth[0]["start"], &growth[0]["end"]),
        (&json!(100), &json!(120)),
        "the day's last reading"
    );
    assert!((growth[0]["rate"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(
        body["totals"]["engagement_rate"]["definition"],
        "not_computable"
    );
    let (_, body) = get(
        &app,
        &format!(
            "/api/v1/w/acme/analytics/audience?channel={}",
            seeded.mastodon
        ),
        Role::Marketer,
    )
    .await;
    assert_eq!(
        body["totals"]["engagement_rate"]["definition"], "per_follower",
        "{body}"
    );
    let rate = body["totals"]["engagement_rate"]["value"].as_f64().unwrap();
    assert!(
        (rate - 16.0 / 120.0).abs() < 1e-9,
        "16 engagements on 1 measured post ÷ 120 followers: {rate}"
    );
    let page = app
        .as_browser(
            reqwest::Method::GET,
            "/w/acme/analytics/audience",
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("follower-growth") && page.contains("+20.0 %"),
        "the page shows the growth"
    );
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

/// A signed-in account that is not yet a member of the workspace: its session.
async fn newcomer(app: &TestApp, name: &str) -> String {
    use agora_core::accounts::{AccountStore, DisplayName, Email};
    use agora_core::secrets::{random_token, token_digest};
    let now = app.clock.now();
    let email = format!("{}@example.test", name.to_lowercase());
    let account = app
        .db
        .create_account(
            &Email::parse(&email).unwrap(),
            &DisplayName::parse(name).unwrap(),
            "unused-hash",
            now,
        )
        .await
        .unwrap();
    let session = random_token(32);
    app.db
        .create_session(
            &token_digest(&session),
            account.id,
            now,
            now.plus_seconds(365 * DAY),
        )
        .await
        .unwrap();
    session
}

async fn join(app: &TestApp, session: &str, utm: Option<&str>) -> i64 {
    use agora_core::accounts::AccountStore;
    let mut form = vec![("csrf", app.csrf.clone())];
    if let Some(utm) = utm {
        form.push(("utm_campaign", utm.to_owned()));
    }
    let response = app
        .client
        .post(app.url("/w/acme/join"))
        .header(
            "cookie",
            format!("agora_csrf={}; agora_session={session}", app.csrf),
        )
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "{}",
        response.status()
    );
    let account = app
        .db
        .session_account(&agora_core::secrets::token_digest(session), app.clock.now())
        .await
        .unwrap()
        .unwrap();
    app.db
        .member_of_account(app.workspace.id, account.id)
        .await
        .unwrap()
        .expect("joined")
}

#[tokio::test]
async fn a_small_funnel_from_join_links() {
    use agora_core::accounts::AccountStore;
    use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
    use agora_core::community::{CommunityStore, NewSpace, SpaceKind, Visibility};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let seeded = seed(&app).await;
    let workspace = app.workspace.id;
    app.db.set_signup_open(workspace, true).await.unwrap();
    let winter = app
        .db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Winter".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#0055aa".into(),
                utm: Utm {
                    source: String::new(),
                    medium: String::new(),
                    campaign: "winter".into(),
                },
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    let (_, before) = get(&app, "/api/v1/w/acme/analytics/funnel", Role::Marketer).await;
    let own_before = before["on_their_own"]["joined"].as_i64().unwrap();

    // The members join 31 days ago (the staff's sessions last 30 days: the
    // clock goes back, then returns to now).
    app.clock.advance_seconds(-31 * DAY);
    // Signed out, the join link goes through sign-in and back, query kept.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/w/acme/join?utm_campaign=winter"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["location"],
        "/signin?next=%2Fw%2Facme%2Fjoin%3Futm_campaign%3Dwinter"
    );
    // The join link keeps the campaign in the form.
    let ana = newcomer(&app, "Ana").await;
    let page = app
        .client
        .get(app.url("/w/acme/join?utm_campaign=winter"))
        .header(
            "cookie",
            format!("agora_csrf={}; agora_session={ana}", app.csrf),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="utm_campaign" value="winter""#),
        "{page}"
    );
    let joined_at = app.clock.now();
    let ana = join(&app, &ana, Some("winter")).await;
    let bo = newcomer(&app, "Bo").await;
    join(&app, &bo, Some("winter")).await;
    let cy = newcomer(&app, "Cy").await;
    let cy = join(&app, &cy, None).await;
    let di = newcomer(&app, "Di").await;
    let _di = join(&app, &di, Some("no-such-campaign")).await; // on her own

    // Ana posts on day 1 and comes back on day 25; Bo never speaks; Cy
    // replies on day 2 only.
    let space = app
        .db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "coffee".into(),
            name: "Coffee".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: joined_at,
        })
        .await
        .unwrap()
        .id;
    let act = |actor, days: i64, kind| NewInteraction {
        workspace_id: workspace,
        space_id: space,
        actor_id: actor,
        target_id: None,
        kind,
        at: joined_at.plus_seconds(days * DAY + 60),
        source: "test".into(),
        actor_is_staff: false,
        thread_id: None,
    };
    app.db
        .record_interactions(&[
            act(ana, 1, InteractionKind::Post),
            act(ana, 25, InteractionKind::Reaction),
            act(cy, 2, InteractionKind::Reply),
        ])
        .await
        .unwrap();
    app.clock.advance_seconds(31 * DAY);

    let (status, body) = get(
        &app,
        &format!("/api/v1/w/acme/analytics/funnel?campaign={winter}"),
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["campaign_name"], "Winter");
    assert_eq!(body["posts_published"], 0);
    assert_eq!(body["clicks"], Value::Null, "clicks are not reported");
    let through = &body["through_campaigns"];
    assert_eq!(through["joined"], 2);
    assert_eq!(through["contributed"], 1);
    assert_eq!(through["contribution_rate"], 0.5);
    assert_eq!(through["eligible_30"], 2);
    assert_eq!(through["active_30"], 1);
    assert_eq!(through["retention_30"], 0.5);
    assert_eq!(through["eligible_90"], 0);
    assert_eq!(through["retention_90"], Value::Null);
    let own = &body["on_their_own"];
    assert_eq!(own["joined"].as_i64().unwrap(), own_before + 2, "Cy and Di");
    assert!(body["definitions"]["active_30"].is_string());

    // Every campaign: the seeded campaign's posts count, its members (none) too.
    let (_, every) = get(&app, "/api/v1/w/acme/analytics/funnel", Role::Admin).await;
    assert_eq!(every["through_campaigns"]["joined"], 2);
    assert_eq!(
        every["posts_published"], 3,
        "posts 1, 2 and 4 are in a campaign"
    );
    assert_eq!(every["engagements"], 27);

    let (status, _) = get(&app, "/api/v1/w/acme/analytics/funnel", Role::Member).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (query, pointer) in [
        ("campaign=abc", "/campaign"),
        ("campaign=999999", "/campaign"),
    ] {
        let (status, body) = get(
            &app,
            &format!("/api/v1/w/acme/analytics/funnel?{query}"),
            Role::Marketer,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["pointer"], pointer);
    }

    // The dashboard's funnel section and its CSV.
    let html = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/analytics/audience?campaign={winter}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let joined = html
        .split(r#"id="funnel-joined">"#)
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_default();
    assert!(
        joined.starts_with("<a href=") && joined.ends_with(">2</a>"),
        "{joined}"
    );
    let csv = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/analytics/audience.csv?table=funnel&campaign={winter}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("through_campaigns,2,1,2,1,0,0"), "{csv}");
    let _ = seeded;
}

/// A visitor without an account follows a campaign's join link, creates an
/// account from the sign-in page, comes back to the join page with the
/// campaign still in it, joins, and counts for the campaign.
#[tokio::test]
async fn a_new_account_made_from_a_join_link_keeps_its_campaign() {
    use agora_core::accounts::AccountStore;
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let workspace = app.workspace.id;
    app.db.set_signup_open(workspace, true).await.unwrap();
    let spring = app
        .db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Spring".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#0055aa".into(),
                utm: Utm {
                    source: String::new(),
                    medium: String::new(),
                    campaign: "spring".into(),
                },
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    let join_link = "/w/acme/join?utm_campaign=spring";
    let next = "%2Fw%2Facme%2Fjoin%3Futm_campaign%3Dspring";

    // The sign-in page offers to create an account, and the link keeps where to go.
    let signin = app
        .as_browser(Method::GET, &format!("/signin?next={next}"), None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signup_link = "/signup?next=/w/acme/join%3Futm_campaign%3Dspring";
    assert!(
        signin.contains(&format!("href=\"{signup_link}\"")),
        "{signin}"
    );
    let form = app
        .as_browser(Method::GET, signup_link, None)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(&format!(
            r#"name="next" value="{}""#,
            join_link.replace('&', "&amp;")
        )),
        "{form}"
    );

    // A mistake keeps the destination too.
    let refused = app
        .as_browser(Method::POST, "/signup", None)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("name", "Eve Newcomer"),
            ("email", "eve@example.org"),
            ("password", "short"),
            ("next", join_link),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains(&format!(r#"name="next" value="{join_link}""#))
    );

    let created = app
        .as_browser(Method::POST, "/signup", None)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("name", "Eve Newcomer"),
            ("email", "eve@example.org"),
            ("password", "a long enough passphrase"),
            ("next", join_link),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(created.headers()["location"], join_link);
    let session = created
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("agora_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session")
        .to_owned();

    // Back on the join page, the campaign is in the form; joining attributes it.
    let page = app
        .client
        .get(app.url(join_link))
        .header(
            "cookie",
            format!("agora_csrf={}; agora_session={session}", app.csrf),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="utm_campaign" value="spring""#),
        "{page}"
    );
    join(&app, &session, Some("spring")).await;
    let (status, body) = get(
        &app,
        &format!("/api/v1/w/acme/analytics/funnel?campaign={spring}"),
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["through_campaigns"]["joined"], 1);

    // The number links to the member behind it, as a page and as CSV.
    let audience = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/analytics/audience?campaign={spring}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!(
        "/w/acme/analytics/funnel/members?group=through_campaigns&#38;step=joined&#38;campaign={spring}"
    );
    assert!(
        audience.contains(&format!("href=\"{link}\">1</a>")),
        "{audience}"
    );
    let link = link.replace("&#38;", "&");
    let page = app
        .as_browser(Method::GET, &link, Some(Role::Marketer))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Eve Newcomer"), "{page}");
    assert!(page.contains("1 members"), "{page}");
    let csv = app
        .as_browser(
            Method::GET,
            &link.replace("/members?", "/members.csv?"),
            Some(Role::CommunityManager),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains(",Eve Newcomer,") && lines[1].ends_with(",no,,"),
        "{csv}"
    );
    // Nobody contributed yet; members cannot look; a bad step is a 404.
    let contributed = app
        .as_browser(
            Method::GET,
            &link.replace("step=joined", "step=contributed"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!contributed.contains("Eve Newcomer"));
    let refused = app
        .as_browser(Method::GET, &link, Some(Role::Member))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bad = app
        .as_browser(
            Method::GET,
            &link.replace("step=joined", "step=famous"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::NOT_FOUND);
}

/// Networks that report impressions, reach and clicks (X, LinkedIn here, as
/// their connectors read them): the totals add them up and the rate is per
/// impression; a channel whose posts report only reach gets a rate per reach.
#[tokio::test]
async fn reported_impressions_and_reach_name_the_rate() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let now = app.clock.now();
    let author = marketer(&app).await;
    let channel = |network: Network| channel(&app, network.as_str(), network);
    let x = app
        .db
        .create_channel(&channel(Network::X))
        .await
        .unwrap()
        .id;
    let linkedin = app
        .db
        .create_channel(&channel(Network::LinkedIn))
        .await
        .unwrap()
        .id;
    let facebook = app
        .db
        .create_channel(&channel(Network::Facebook))
        .await
        .unwrap()
        .id;
    let posts = [
        // likes, shares, replies, impressions, reach, clicks
        (x, (10, 2, 3), Some(400), None, None),
        (linkedin, (12, 4, 2), Some(1_480), Some(950), Some(31)),
        (facebook, (7, 2, 3), None, Some(210), None),
    ];
    for (index, (channel_id, (likes, shares, replies), impressions, reach, clicks)) in
        posts.into_iter().enumerate()
    {
        let at = now.plus_seconds(-(index as i64 + 1) * DAY);
        let text = format!("Post {}", index + 1);
        let engagement = Engagement {
            likes,
            shares,
            replies,
            quotes: 0,
            impressions,
            reach,
            clicks,
            read_at: now,
        };
        published(
            &app,
            Published::new(author, channel_id, at, &text),
            Some(engagement),
        )
        .await;
    }
    let report = |query: String| {
        let app = &app;
        async move {
            let (status, body) = get(
                app,
                &format!("/api/v1/w/acme/analytics/audience{query}"),
                Role::Marketer,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["totals"].clone()
        }
    };
    // X and LinkedIn: 15 + (18 + 31 clicks) = 64 engagements over 1,880 impressions.
    let x_only = report(format!("?channel={x}")).await;
    assert_eq!(x_only["impressions"], 400);
    assert_eq!(x_only["reach"], Value::Null);
    assert_eq!(x_only["engagement_rate"]["definition"], "per_impression");
    assert_eq!(x_only["engagement_rate"]["value"], 15.0 / 400.0);
    let linkedin_only = report(format!("?channel={linkedin}")).await;
    assert_eq!(
        (
            &linkedin_only["impressions"],
            &linkedin_only["reach"],
            &linkedin_only["clicks"],
            &linkedin_only["engagements"]
        ),
        (&json!(1_480), &json!(950), &json!(31), &json!(49))
    );
    // Facebook's post reports reach only: per person reached.
    let facebook_only = report(format!("?channel={facebook}")).await;
    assert_eq!(facebook_only["engagement_rate"]["definition"], "per_reach");
    assert_eq!(facebook_only["engagement_rate"]["value"], 12.0 / 210.0);
    // All three: impressions are unknown for one post, so the total is too;
    // reach likewise (X has none); no followers: not computable.
    let all = report(String::new()).await;
    assert_eq!(all["impressions"], Value::Null);
    assert_eq!(all["reach"], Value::Null);
    assert_eq!(all["engagement_rate"]["definition"], "not_computable");

    // The page names the definition.
    let page = app
        .as_browser(
            Method::GET,
            &format!("/w/acme/analytics/audience?channel={facebook}"),
            Some(Role::Marketer),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("per person reached"), "{page}");
}
