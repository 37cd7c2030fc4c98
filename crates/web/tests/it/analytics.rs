//! Community health over HTTP: an imported log gives, through the API, the
//! numbers an independent plain implementation of the definitions gives;
//! the verdict and a member's detail; roles and bad input.

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::analytics::import::{
    ImportSourceName, InteractionImportStore, InteractionReader, read_member,
};
use agora_core::community::CommunityStore;
use agora_store::Backend;
use agora_testkit::health::{measures, parse_members, parse_rows, random_log};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{TestApp, spawn_app};

async fn get(app: &TestApp, path: &str, role: Role) -> (StatusCode, Value) {
    let response = app.as_api(Method::GET, path, role).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn import(app: &TestApp, members: &str, interactions: &str) {
    let members: Vec<_> = members
        .lines()
        .skip(1)
        .enumerate()
        .map(|(index, line)| read_member(index as u64 + 2, line).unwrap())
        .collect();
    let mut reader = InteractionReader::default();
    let mut rows = interactions
        .lines()
        .skip(1)
        .enumerate()
        .map(move |(index, line)| reader.read(index as u64 + 2, line))
        .collect::<Vec<_>>()
        .into_iter();
    app.db
        .import_interactions(
            app.workspace.id,
            &ImportSourceName::parse("test").unwrap(),
            &members,
            &mut rows,
            &mut |_| {},
        )
        .await
        .unwrap();
}

fn assert_matches(
    body: &Value,
    expected: &std::collections::BTreeMap<&'static str, Option<f64>>,
    scope: &str,
) {
    for (pointer, want) in expected {
        let got = match pointer.strip_suffix('#') {
            Some(array) => body
                .pointer(array)
                .and_then(Value::as_array)
                .map(|items| items.len() as f64),
            None => body.pointer(pointer).and_then(Value::as_f64),
        };
        match (got, want) {
            (Some(got), Some(want)) => assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{scope} {pointer}: API {got}, definitions {want}"
            ),
            (None, None) => {}
            _ => panic!("{scope} {pointer}: API {got:?}, definitions {want:?}"),
        }
    }
}

async fn an_imported_log_gives_the_definitions_numbers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let end = app.clock.now().millis().div_euclid(86_400_000) * 86_400;
    let (members_csv, interactions_csv) = random_log(42, 70, 700, end);
    import(&app, &members_csv, &interactions_csv).await;
    let rows = parse_rows(&interactions_csv);
    let members = parse_members(&members_csv);

    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health",
        Role::CommunityManager,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["window"]["variant"], "default");
    assert_matches(&body, &measures(&rows, &members, None), "workspace");
    assert!(
        body["active"]["mau"].as_f64().unwrap() > 10.0,
        "a meaningful log"
    );
    assert!(body["first_response"]["answered_threads"].as_f64().unwrap() > 10.0);

    let spaces = app.db.list_spaces(app.workspace.id, None).await.unwrap();
    let imported: Vec<_> = spaces
        .iter()
        .filter(|space| space.network == "import")
        .collect();
    assert_eq!(imported.len(), 3);
    for space in imported {
        let external = space.name.trim_start_matches("Space ");
        let (status, body) = get(
            &app,
            &format!("/api/v1/w/acme/analytics/health?space={}", space.id),
            Role::Marketer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["scope"]["space_id"], space.id);
        assert!(body["newcomers_by_join"].is_null());
        assert_matches(&body, &measures(&rows, &members, Some(external)), external);

        let (status, verdict) = get(
            &app,
            &format!("/api/v1/w/acme/analytics/spaces/{}/verdict", space.id),
            Role::CommunityManager,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{verdict}");
        assert_eq!(verdict["verdict"], body["verdict"]["verdict"]);
        assert_eq!(
            verdict["member_to_member_share"],
            body["member_to_member"]["share"]
        );
        assert_eq!(
            verdict["thresholds"]["community_min_member_to_member_share"],
            0.5
        );
        assert!(!verdict["reasons"].as_array().unwrap().is_empty());
    }

    // A custom range is the named variant.
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?from=2020-01-01&to=2020-01-31",
        Role::Admin,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no rows before that range's end: {body}"
    );
    let day = |offset: i64| {
        agora_core::Timestamp::from_millis((end - offset * 86_400) * 1000).display_date()
    };
    let (status, body) = get(
        &app,
        &format!(
            "/api/v1/w/acme/analytics/health?from={}&to={}",
            day(40),
            day(11)
        ),
        Role::Admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["window"]["variant"], "range");
    assert_eq!(body["window"]["from"], day(40));
    assert_eq!(body["window"]["to"], day(11));
    assert_eq!(body["active"]["daily"].as_array().unwrap().len(), 30);

    // A member's detail: profile, the imported identity, activity.
    let member = app.db.profile_by_handle_for_test(app.workspace.id).await;
    let (status, detail) = get(
        &app,
        &format!("/api/v1/w/acme/members/{member}"),
        Role::Moderator,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["identities"][0]["kind"], "import:test");
    assert_eq!(detail["identities"][0]["value"], "u2");
    let expected = rows.iter().filter(|row| row.actor == "u2").count() as u64;
    assert_eq!(detail["activity"]["n_interactions"], expected);
}

trait ImportedMember {
    async fn profile_by_handle_for_test(&self, workspace: i64) -> i64;
}

impl ImportedMember for agora_store::Db {
    /// The member imported as `u2` (handles of imported members are `imported-<id>`).
    async fn profile_by_handle_for_test(&self, workspace: i64) -> i64 {
        use agora_core::members::MemberStore;
        let page = self.list_members(workspace, None, 200).await.unwrap();
        page.items
            .iter()
            .find(|member| member.name == "Member u2")
            .map(|member| member.id)
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_log_gives_the_definitions_numbers_on_sqlite() {
    an_imported_log_gives_the_definitions_numbers(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_log_gives_the_definitions_numbers_on_postgres() {
    an_imported_log_gives_the_definitions_numbers(Backend::Postgres).await;
}

#[tokio::test]
async fn health_checks_roles_and_input() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let end = app.clock.now().millis().div_euclid(86_400_000) * 86_400;
    let (members_csv, interactions_csv) = random_log(7, 20, 60, end);
    import(&app, &members_csv, &interactions_csv).await;
    let space = app.db.list_spaces(app.workspace.id, None).await.unwrap()[0].id;
    for path in [
        "/api/v1/w/acme/analytics/health".to_owned(),
        format!("/api/v1/w/acme/analytics/spaces/{space}/verdict"),
        "/api/v1/w/acme/members/1".to_owned(),
    ] {
        let (status, body) = get(&app, &path, Role::Member).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["status"], 403);
    }
    let (status, body) = get(&app, "/api/v1/w/acme/analytics/health", Role::Moderator).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "moderators do not read analytics: {body}"
    );

    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?from=2024-13-01&to=2024-01-31",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["pointer"], "/from");
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?from=2024-01-01",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["pointer"], "/to");
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?from=2024-02-01&to=2024-01-01",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?from=2020-01-01&to=2024-01-01",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = get(
        &app,
        "/api/v1/w/acme/analytics/health?space=999999",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["status"], 404);
    let (status, _) = get(
        &app,
        "/api/v1/w/acme/analytics/health?spaec=1",
        Role::Marketer,
    )
    .await;
    assert!(status.is_client_error());
    let (status, _) = get(&app, "/api/v1/w/acme/members/999999", Role::Admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The OpenAPI document names the schemas.
    let (_, document) = get(&app, "/api/v1/openapi.json", Role::Admin).await;
    for schema in ["Health", "Verdict", "MemberDetail"] {
        assert!(
            document["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
}

async fn page(app: &TestApp, path: &str, role: Role) -> (StatusCode, String) {
    let response = app
        .as_browser(Method::GET, path, Some(role))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_drills_down_and_exports_what_reproduces_it() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let end = app.clock.now().millis().div_euclid(86_400_000) * 86_400;
    let (members_csv, interactions_csv) = random_log(11, 80, 900, end);
    import(&app, &members_csv, &interactions_csv).await;

    let (status, html) = page(&app, "/w/acme/analytics/health", Role::CommunityManager).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"verdict\""), "{html}");
    assert!(html.contains("id=\"active-chart\""));
    assert!(html.contains("id=\"cohorts\""));
    assert!(html.contains("id=\"spaces\""));
    let space = app.db.list_spaces(app.workspace.id, None).await.unwrap()[0].id;
    let (status, html) = page(
        &app,
        &format!("/w/acme/analytics/spaces/{space}"),
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Verdict"));
    let (status, html) = page(
        &app,
        "/w/acme/analytics/health?from=2024-02-30&to=2024-03-01",
        Role::Admin,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("from: &quot;2024-02-30&quot; is not a date")
            || html.contains("is not a date"),
        "{html}"
    );

    // Members at risk: the page and its CSV list the same people.
    let (_, api) = get(&app, "/api/v1/w/acme/analytics/health", Role::Admin).await;
    let n_at_risk = api["at_risk"]["at_risk"].as_u64().unwrap();
    assert!(n_at_risk > 0, "the random log has members at risk");
    let (status, html) = page(
        &app,
        "/w/acme/analytics/members?list=at_risk",
        Role::CommunityManager,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("<tr><td>").count() as u64, n_at_risk, "{html}");
    let (status, csv) = page(
        &app,
        "/w/acme/analytics/export.csv?table=at_risk",
        Role::CommunityManager,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv.lines().count() as u64, n_at_risk + 1);
    for line in csv.lines().skip(1) {
        let name = line.split(',').nth(1).unwrap();
        assert!(html.contains(&format!(">{name}<")), "{name} is on the page");
    }
    for table in [
        "summary",
        "daily",
        "cohorts",
        "spaces",
        "lapsed",
        "champions",
        "newcomers",
    ] {
        let (status, csv) = page(
            &app,
            &format!("/w/acme/analytics/export.csv?table={table}"),
            Role::Marketer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{table}");
        assert!(csv.lines().count() >= 1, "{table}");
    }
    let (status, _) = page(
        &app,
        "/w/acme/analytics/export.csv?table=secrets",
        Role::Marketer,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The log exported in the import format gives, by the definitions, the dashboard's numbers.
    let (_, exported) = page(
        &app,
        "/w/acme/analytics/export.csv?table=interactions",
        Role::CommunityManager,
    )
    .await;
    let (_, exported_members) = page(
        &app,
        "/w/acme/analytics/export.csv?table=members",
        Role::CommunityManager,
    )
    .await;
    let expected = measures(
        &parse_rows(&exported),
        &parse_members(&exported_members),
        None,
    );
    assert_matches(&api, &expected, "exported workspace");
    let (_, api_space) = get(
        &app,
        &format!("/api/v1/w/acme/analytics/health?space={space}"),
        Role::Admin,
    )
    .await;
    let expected = measures(
        &parse_rows(&exported),
        &parse_members(&exported_members),
        Some(&space.to_string()),
    );
    assert_matches(&api_space, &expected, "exported space");

    // Members never see it.
    for path in [
        "/w/acme/analytics/health",
        "/w/acme/analytics/members?list=at_risk",
        "/w/acme/analytics/export.csv?table=interactions",
    ] {
        let (status, _) = page(&app, path, Role::Member).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}
