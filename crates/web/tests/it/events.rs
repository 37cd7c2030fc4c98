//! Events over HTTP on both databases: bad input named by field; capacity,
//! waitlist and promotion with the promoted member's e-mail; check-in by code
//! (organizers only); a moved event's old reminders retired and new ones
//! sent; calendar files read back by the independent `icalendar` package,
//! whose RRULE expansion must match our occurrences across a DST change; the
//! private personal feed, revocable.

use std::sync::Arc;

use agora_core::Clock;
use agora_core::accounts::Role;
use agora_core::jobs::JobOutcomeCounters;
use agora_jobs::{Registry, Worker, WorkerSettings};
use agora_store::{Backend, Db};
use agora_testkit::ical::{check_with_icalendar, utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Person, TestApp, spawn_app};

fn worker(app: &TestApp, outbox: &std::path::Path) -> Worker<Db> {
    let mut registry = Registry::with_builtins();
    agora_connectors::email::register(
        &mut registry,
        agora_connectors::email::Mailer::outbox(outbox.to_path_buf(), "Agora <agora@acme.test>"),
    );
    agora_jobs::events::register(
        &mut registry,
        app.db.clone(),
        Arc::new(app.clock.clone()),
        app.base.clone(),
    );
    Worker::new(
        app.db.clone(),
        registry,
        Arc::new(app.clock.clone()),
        WorkerSettings::default(),
        Arc::new(JobOutcomeCounters::default()),
    )
}

async fn drain(worker: &Worker<Db>) {
    while worker.run_once().await.unwrap() > 0 {}
}

/// Every e-mail in the outbox as (recipient, subject, whole text).
fn mails(outbox: &std::path::Path) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(outbox).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let header = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        found.push((header("To:"), header("Subject:"), text.clone()));
    }
    found
}

async fn call(
    app: &TestApp,
    person: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.as_person(method, path, person);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn text(app: &TestApp, person: &Person, path: &str) -> (StatusCode, String) {
    let response = app
        .as_person(Method::GET, path, person)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn events_end_to_end(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let outbox = agora_testkit::TempDir::new("events-outbox");
    let worker = worker(&app, outbox.path());
    let organizer = app.person(Role::CommunityManager);
    let (status, group) = call(
        &app,
        organizer,
        Method::POST,
        "/api/v1/w/acme/groups",
        Some(json!({"slug": "riders", "name": "Riders"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group_id = group["id"].as_i64().unwrap();

    // Bad input is refused, each problem at its field.
    let (status, problem) = call(
        &app,
        organizer,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group_id, "title": "Ride", "timezone": "Mars/Olympus",
            "starts_at": "2027-01-10T09:00", "ends_at": "2027-01-10T08:00",
            "format": "offline", "venue": "Café", "capacity": "0",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = pointers(&problem);
    assert!(fields.contains(&"/timezone".to_owned()), "{problem}");
    assert!(fields.contains(&"/capacity".to_owned()), "{problem}");
    let (_, problem) = call(
        &app,
        organizer,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group_id, "title": "Ride", "timezone": "Europe/Paris",
            "starts_at": "2027-01-10T09:00", "ends_at": "2027-01-10T08:00",
            "format": "offline", "venue": "Café", "capacity": "-2", "rrule": "FREQ=WEEKLY",
        })),
    )
    .await;
    assert_eq!(
        pointers(&problem),
        vec!["/ends_at", "/capacity", "/rrule"],
        "{problem}"
    );

    // An event with two seats, three days from now.
    let start = agora_core::Timestamp((app.clock.now().0 + 3 * 86_400_000) / 60_000 * 60_000);
    let local = |at: agora_core::Timestamp| {
        at.to_datetime()
            .with_timezone(&agora_core::posts::parse_timezone("Europe/Paris").unwrap())
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (status, event) = call(
        &app,
        organizer,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group_id, "title": "Sunday ride", "timezone": "Europe/Paris",
            "starts_at": local(start), "ends_at": local(start.plus_millis(3 * 3_600_000)),
            "format": "offline", "venue": "Café du Port", "address": "Nantes", "capacity": "2",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let id = event["id"].as_i64().unwrap();
    let ann = app.add_member("Ann Rider").await;
    let bob = app.add_member("Bob Rider").await;
    let cyd = app.add_member("Cyd Rider").await;
    let rsvp = format!("/api/v1/w/acme/events/{id}/rsvp");
    let mut answers = Vec::new();
    for person in [&ann, &bob, &cyd] {
        let (status, answer) = call(
            &app,
            person,
            Method::PUT,
            &rsvp,
            Some(json!({"state": "going"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answers.push(answer);
    }
    assert_eq!(answers[0]["state"], "going");
    assert_eq!(answers[1]["state"], "going");
    assert_eq!(answers[2]["state"], "waitlisted");
    assert_eq!(answers[2]["position"], 1);
    let (status, _) = call(
        &app,
        &ann,
        Method::PUT,
        &rsvp,
        Some(json!({"state": "maybe"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Ann cancels: Cyd is promoted and told by e-mail.
    drain(&worker).await;
    assert!(
        mails(outbox.path()).is_empty(),
        "no notice before anything happened"
    );
    let (_, answer) = call(
        &app,
        &ann,
        Method::PUT,
        &rsvp,
        Some(json!({"state": "not_going"})),
    )
    .await;
    assert_eq!(answer["state"], "not_going");
    drain(&worker).await;
    let sent = mails(outbox.path());
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, cyd.email);
    assert!(
        sent[0].1.contains("You're in: Sunday ride"),
        "{}",
        sent[0].1
    );
    let (_, cyd_view) = call(
        &app,
        &cyd,
        Method::GET,
        &format!("/api/v1/w/acme/events/{id}"),
        None,
    )
    .await;
    assert_eq!(cyd_view["my_rsvp"]["state"], "going");
    let code = cyd_view["my_rsvp"]["code"].as_str().unwrap().to_owned();
    assert!(
        sent[0].2.contains(&code),
        "the e-mail carries the check-in code"
    );

    // Organizers check in by code; members cannot, nor list attendees.
    let check_in = format!("/api/v1/w/acme/events/{id}/check-in");
    let (status, _) = call(
        &app,
        &bob,
        Method::POST,
        &check_in,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &app,
        &bob,
        Method::GET,
        &format!("/api/v1/w/acme/events/{id}/attendees"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, done) = call(
        &app,
        organizer,
        Method::POST,
        &check_in,
        Some(json!({"code": code.to_lowercase()})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["name"].as_str(), done["newly"].as_bool()),
        (Some("Cyd Rider"), Some(true))
    );
    let (_, again) = call(
        &app,
        organizer,
        Method::POST,
        &check_in,
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(again["newly"], false);
    let (status, problem) = call(
        &app,
        organizer,
        Method::POST,
        &check_in,
        Some(json!({"code": "NOPE2222"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(pointers(&problem), vec!["/code"]);

    // Organizers invite by handle; an unknown handle is named at the field.
    let dee = app.add_member("Dee Rider").await;
    let invite = format!("/w/acme/events/{id}/invite");
    let response = app
        .browser_as(Method::POST, &invite, organizer)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("handles", "@dee-rider @nobody-here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("nobody here has the handle @nobody-here")
    );
    let response = app
        .browser_as(Method::POST, &invite, organizer)
        .form(&[("csrf", app.csrf.as_str()), ("handles", "@dee-rider")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, dee_view) = call(
        &app,
        &dee,
        Method::GET,
        &format!("/api/v1/w/acme/events/{id}"),
        None,
    )
    .await;
    assert_eq!(dee_view["my_rsvp"]["state"], "invited");
    let response = app
        .browser_as(Method::POST, &invite, &bob)
        .form(&[("csrf", app.csrf.as_str()), ("handles", "@dee-rider")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "members do not invite"
    );

    // The organizer moves the event by a day: the old reminders send nothing,
    // the new ones go out at the new time; going members are told at once.
    let moved = start.plus_millis(86_400_000);
    let response = app
        .browser_as(
            Method::POST,
            &format!("/w/acme/events/{id}/edit"),
            organizer,
        )
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("title", "Sunday ride"),
            ("timezone", "Europe/Paris"),
            ("starts_at", &local(moved)),
            ("ends_at", &local(moved.plus_millis(3 * 3_600_000))),
            ("format", "offline"),
            ("venue", "Café du Port"),
            ("address", "Nantes"),
            ("capacity", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    drain(&worker).await;
    let changed: Vec<_> = mails(outbox.path())
        .into_iter()
        .filter(|(_, subject, _)| subject.starts_with("Changed"))
        .map(|(to, ..)| to)
        .collect();
    assert_eq!(changed.len(), 2, "{changed:?}");
    let reminders = |outbox: &std::path::Path| {
        mails(outbox)
            .into_iter()
            .filter(|(_, subject, _)| subject.starts_with("Tomorrow"))
            .count()
    };
    app.clock.set(start.plus_millis(-24 * 3_600_000 + 60_000));
    drain(&worker).await;
    assert_eq!(reminders(outbox.path()), 0, "the old reminder was retired");
    app.clock.set(moved.plus_millis(-24 * 3_600_000 + 60_000));
    drain(&worker).await;
    assert_eq!(reminders(outbox.path()), 2, "Bob and Cyd are reminded");

    // The event's calendar file, read by an independent implementation.
    let (status, ics) = text(&app, &bob, &format!("/api/v1/w/acme/events/{id}.ics")).await;
    assert_eq!(status, StatusCode::OK);
    let uid = event["uid"].as_str().unwrap();
    if let Some(calendar) = check_with_icalendar(&ics) {
        let read = calendar.event(uid);
        assert_eq!(read.sequence, 1, "moving bumps SEQUENCE");
        assert_eq!(read.start, utc(moved));
        assert_eq!(read.summary, "Sunday ride");
        assert_eq!(calendar.timezones, vec!["Europe/Paris"]);
    }

    // A weekly series across the March 2027 change to summer time, one date skipped.
    let (status, series) = call(
        &app,
        organizer,
        Method::POST,
        "/api/v1/w/acme/events",
        Some(json!({
            "group_id": group_id, "title": "Tuesday call", "timezone": "Europe/Paris",
            "starts_at": "2027-03-09T19:00", "ends_at": "2027-03-09T20:00",
            "format": "online", "join_url": "https://meet.example/riders",
            "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=6", "exdates": "2027-03-23",
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{series}");
    assert!(
        series["join_url"].is_null(),
        "the join link is for those going"
    );
    let series_uid = series["uid"].as_str().unwrap().to_owned();
    let (_, listed) = call(
        &app,
        &bob,
        Method::GET,
        &format!("/api/v1/w/acme/events?from=2027-03-01T00:00:00Z&group={group_id}"),
        None,
    )
    .await;
    let ours: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["uid"] == series_uid.as_str())
        .map(|e| e["starts_at"].as_i64().unwrap())
        .collect();
    assert_eq!(ours.len(), 5, "six Tuesdays less the skipped one");
    // 19:00 in Paris is 18:00 UTC before the change and 17:00 UTC after.
    assert_eq!(utc(agora_core::Timestamp(ours[0])), "2027-03-09T18:00:00Z");
    assert_eq!(utc(agora_core::Timestamp(ours[4])), "2027-04-13T17:00:00Z");
    let (status, feed) = text(&app, &bob, "/w/acme/groups/riders/events.ics").await;
    assert_eq!(status, StatusCode::OK);
    if let Some(calendar) = check_with_icalendar(&feed) {
        let read = calendar.event(&series_uid);
        let expected: Vec<String> = ours
            .iter()
            .map(|at| utc(agora_core::Timestamp(*at)))
            .collect();
        assert_eq!(
            read.occurrences, expected,
            "dateutil expands our RRULE to our dates"
        );
        assert_eq!(read.exdates, vec!["2027-03-23T18:00:00Z".to_owned()]);
    }

    // The private personal feed: made, read without a cookie, revoked.
    let response = app
        .browser_as(Method::POST, "/w/acme/events/feed", &bob)
        .form(&[("csrf", app.csrf.as_str()), ("action", "new")])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let token = location.split("feed=").nth(1).unwrap().to_owned();
    let feed_url = app.url(&format!("/feeds/events/{token}.ics"));
    let response = app.client.get(&feed_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let personal = response.text().await.unwrap();
    assert!(personal.contains("SUMMARY:Sunday ride"), "{personal}");
    if let Some(calendar) = check_with_icalendar(&personal) {
        assert_eq!(calendar.events.len(), 1);
    }
    app.browser_as(Method::POST, "/w/acme/events/feed", &bob)
        .form(&[("csrf", app.csrf.as_str()), ("action", "revoke")])
        .send()
        .await
        .unwrap();
    let response = app.client.get(&feed_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn events_end_to_end_sqlite() {
    events_end_to_end(Backend::Sqlite).await;
}

#[tokio::test]
async fn events_end_to_end_postgres() {
    events_end_to_end(Backend::Postgres).await;
}
