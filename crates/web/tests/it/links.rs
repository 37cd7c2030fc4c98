//! Tracked link clicks over HTTP: the engine tracks a post's links as it
//! would when publishing, `GET /r/{token}` redirects and counts what a person
//! clicked (not a Mastodon preview fetch, not a `HEAD`), an unknown token is
//! a 404 page, and the audience and funnel APIs show the hand-counted clicks.
//! Turning the workspace's setting off leaves the next post's links as
//! written, and its clicks not reported.

use std::sync::Arc;

use agora_connectors::publishing::Engine;
use agora_core::accounts::Role;
use agora_core::desk::{DeskStore, NewCampaign, Utm};
use agora_core::links::LinkStore;
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, Engagement, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::secrets::{Sealer, Secret};
use agora_core::text_limits::{Network, find_urls};
use agora_core::{Clock, Timestamp};
use agora_store::{Backend, Db};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{TestApp, spawn_app};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const MASTODON_PREVIEW: &str = "http.rb/5.1.1 (Mastodon/4.3.2; +https://velo.social/)";

fn engine(app: &TestApp) -> Engine<Db> {
    Engine::new(
        app.db.clone(),
        Arc::new(app.clock.clone()),
        Sealer::new(&Secret::new("a test key that is long enough to use"), None),
        std::time::Duration::from_secs(5),
        app.base.clone(),
    )
}

/// A post on `channel`, its links tracked by the engine as when it goes
/// out, then marked published at `at`: the text that went out.
async fn publish(
    app: &TestApp,
    author: i64,
    channel: i64,
    campaign: Option<i64>,
    text: &str,
    at: Timestamp,
) -> (i64, String) {
    let id = app
        .db
        .create_post(&NewPost {
            workspace_id: app.workspace.id,
            author_id: author,
            variants: vec![NewVariant {
                channel_id: channel,
                text: text.into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: Some(at),
            created_at: at,
            campaign_id: campaign,
            hold: false,
        })
        .await
        .unwrap();
    let target = app
        .db
        .post(app.workspace.id, id)
        .await
        .unwrap()
        .unwrap()
        .targets[0]
        .id;
    let dispatch = app.db.dispatch(target).await.unwrap().unwrap();
    let engine = engine(app);
    let sent = engine.track_links(&dispatch).await.unwrap();
    // A retry sends the very same text.
    let again = engine.track_links(&dispatch).await.unwrap();
    assert_eq!(again, sent);
    let attempt = app.db.begin_attempt(target, 0, at).await.unwrap().unwrap();
    app.db
        .finish_attempt(
            target,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: sent.text.clone(),
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
    (target, sent.text)
}

async fn open(app: &TestApp, method: Method, path: &str, agent: Option<&str>) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(agent) = agent {
        request = request.header("user-agent", agent);
    }
    request.send().await.unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app
        .as_api(Method::GET, path, Role::Marketer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn clicks_are_counted_for_people_and_shown_in_the_audience(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
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
    let channel = app
        .db
        .create_channel(&NewChannel {
            workspace_id: workspace,
            network: Network::Mastodon,
            name: "@lumen@velo.example".into(),
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
        })
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
    let roast = "https://lumen.example/roast?utm_source=mastodon&x=1";
    let shop = "https://shop.lumen.example/beans";
    let at = now.plus_seconds(-3_600);
    let (target, sent) = publish(
        &app,
        author,
        channel,
        Some(campaign),
        &format!("☕ Autumn roast is here: {roast} — beans at {shop}."),
        at,
    )
    .await;
    let links: Vec<&str> = find_urls(&sent).into_iter().map(|url| &sent[url]).collect();
    assert_eq!(links.len(), 2, "{sent}");
    let prefix = format!("{}/r/", app.base);
    assert!(
        links.iter().all(|link| link.starts_with(&prefix)),
        "Mastodon gets the redirects in the text: {sent}"
    );
    assert!(sent.starts_with("☕ Autumn roast is here: ") && sent.ends_with('.'));
    let roast_path = links[0].trim_start_matches(&app.base).to_owned();
    let shop_path = links[1].trim_start_matches(&app.base).to_owned();

    // A person clicks: 302 to the original, never cached.
    let response = open(&app, Method::GET, &roast_path, Some(FIREFOX)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], roast);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("referrer-policy"));
    // Mastodon's preview fetch and a HEAD are answered and not counted;
    // neither is a request without a User-Agent.
    let response = open(&app, Method::GET, &roast_path, Some(MASTODON_PREVIEW)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], roast);
    let response = open(&app, Method::HEAD, &roast_path, Some(FIREFOX)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], roast);
    let response = open(&app, Method::GET, &shop_path, None).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], shop);
    // Two more people on the shop link, one of them a signed-in member.
    open(&app, Method::GET, &shop_path, Some(FIREFOX)).await;
    let response = app
        .as_browser(Method::GET, &shop_path, Some(Role::Member))
        .header("user-agent", FIREFOX)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    // Unknown tokens.
    for path in ["/r/AAAAAAAAAAA", "/r/nope"] {
        let response = open(&app, Method::GET, path, Some(FIREFOX)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.text().await.unwrap().contains("link is unknown"));
    }
    // By hand: one click on the roast, two on the shop.
    assert_eq!(app.db.target_clicks(target).await.unwrap(), 3);

    // Likes read back later add to the clicks in the engagements.
    app.db
        .record_engagement(
            target,
            &Engagement {
                likes: 4,
                shares: 1,
                replies: 0,
                quotes: 0,
                impressions: None,
                reach: None,
                clicks: None,
                read_at: now,
            },
        )
        .await
        .unwrap();
    let audience = get_json(&app, "/api/v1/w/acme/analytics/audience").await;
    assert_eq!(audience["totals"]["clicks"], 3, "{audience}");
    assert_eq!(audience["totals"]["engagements"], 4 + 1 + 3);
    assert_eq!(audience["top_posts"][0]["target_id"], target);
    assert_eq!(audience["top_posts"][0]["metrics"]["clicks"], 3);
    assert_eq!(audience["top_posts"][0]["engagements"], 8);
    assert!(
        audience["not_reported"]["clicks"]
            .as_str()
            .unwrap()
            .contains("tracked links")
    );
    let funnel = get_json(
        &app,
        &format!("/api/v1/w/acme/analytics/funnel?campaign={campaign}"),
    )
    .await;
    assert_eq!(funnel["posts_published"], 1, "{funnel}");
    assert_eq!(funnel["clicks"], 3);
    assert_eq!(funnel["engagements"], 8);
    let page = app
        .as_browser(
            Method::GET,
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
        page.contains(r#"<span id="funnel-clicks">3</span> clicks"#),
        "the page's funnel shows the clicks"
    );

    // The admin turns tracking off: the next post goes out as written and
    // its clicks are not reported, so neither is the total.
    let settings = app
        .as_browser(Method::GET, "/w/acme/settings", Some(Role::Admin))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains(r#"name="track_link_clicks" value="1" checked"#));
    let response = app
        .as_browser(Method::POST, "/w/acme/settings/links", Some(Role::Admin))
        .form(&[("csrf", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!app.db.track_link_clicks(workspace).await.unwrap());
    let text = format!("More at {roast}");
    let (untracked, sent) = publish(&app, author, channel, None, &text, at).await;
    assert_eq!(sent, text, "untracked links go out as written");
    app.db
        .record_engagement(
            untracked,
            &Engagement {
                likes: 0,
                shares: 0,
                replies: 0,
                quotes: 0,
                impressions: None,
                reach: None,
                clicks: None,
                read_at: now,
            },
        )
        .await
        .unwrap();
    let audience = get_json(&app, "/api/v1/w/acme/analytics/audience").await;
    assert_eq!(audience["totals"]["clicks"], Value::Null, "{audience}");
    assert_eq!(
        audience["totals"]["engagements"], 8,
        "the counted clicks stay"
    );
    // The campaign's funnel still counts its tracked post.
    let funnel = get_json(&app, "/api/v1/w/acme/analytics/funnel").await;
    assert_eq!(funnel["clicks"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_are_counted_for_people_and_shown_in_the_audience_on_sqlite() {
    clicks_are_counted_for_people_and_shown_in_the_audience(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_are_counted_for_people_and_shown_in_the_audience_on_postgres() {
    clicks_are_counted_for_people_and_shown_in_the_audience(Backend::Postgres).await;
}
