//! Forms as a browser submits them: field errors next to the field, values
//! kept, sign-in throttling, and the sign-in cookie's attributes.

use agora_core::accounts::Role;
use agora_store::Backend;
use reqwest::{Method, StatusCode};

use crate::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_bad_field_is_shown_next_to_it_and_nothing_is_lost() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let response = app
        .as_browser(Method::POST, "/signup", None)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("name", "Grace Hopper"),
            ("email", "grace-at-example"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"email-error\">enter an e-mail address like name@example.com</p>"),
        "{html}"
    );
    assert!(html.contains("id=\"password-error\">use at least 10 characters</p>"));
    assert!(html.contains("value=\"Grace Hopper\""), "the name is kept");
    assert!(
        html.contains("value=\"grace-at-example\""),
        "the bad e-mail is kept to be corrected"
    );
    assert!(html.contains("aria-invalid=\"true\""));
}

#[tokio::test]
async fn signing_in_sets_a_safe_session_cookie() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let email = app.person(Role::Moderator).email.clone();
    let response = app
        .as_browser(Method::POST, "/signin", None)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", "/w/acme/moderation"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/w/acme/moderation");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("agora_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );

    let offsite = app
        .as_browser(Method::POST, "/signin", None)
        .form(&[
            ("csrf", app.csrf.as_str()),
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(offsite.headers()["location"], "/", "no open redirect");
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let email = app.person(Role::Member).email.clone();
    let attempt = |password: &'static str| {
        app.as_browser(Method::POST, "/signin", None)
            .form(&[
                ("csrf", app.csrf.as_str()),
                ("email", email.as_str()),
                ("password", password),
            ])
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("wrong password").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = attempt(PASSWORD).await.unwrap();
    assert_eq!(
        throttled.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(
        throttled
            .text()
            .await
            .unwrap()
            .contains("too many sign-in attempts")
    );
    app.clock.advance_seconds(15 * 60 + 1);
    assert_eq!(
        attempt(PASSWORD).await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "the window passed"
    );
}
