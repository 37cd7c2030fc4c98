//! Browser flows in Chromium: sign-up, sign-in, sign-out, password reset
//! through a real SMTP server, a member refused a staff page, the demo's
//! pages for every role, and the content calendar's drag and drop.

use std::time::Duration;

use fantoccini::Locator;

use agora_testkit::{SmtpSink, TempDir, find_link};

use crate::harness::{Browser, Server, add_user, with_browser};

/// A demo login, a label for screenshots, and (page, text it must show) pairs.
type RoleTour = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

trait OrText<T> {
    fn or_text(self, what: &str) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> OrText<T> for Result<T, E> {
    fn or_text(self, what: &str) -> Result<T, String> {
        self.map_err(|error| format!("{what}: {error}"))
    }
}

fn check(condition: bool, what: impl Into<String>) -> Result<(), String> {
    if condition { Ok(()) } else { Err(what.into()) }
}

async fn text_of(browser: &Browser, selector: &str) -> Result<String, String> {
    let element = browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(selector))
        .await
        .or_text(&format!("waiting for {selector}"))?;
    element.text().await.or_text(selector)
}

async fn sign_in(
    browser: &Browser,
    server: &Server,
    email: &str,
    password: &str,
) -> Result<(), String> {
    browser
        .client
        .goto(&server.url("/signin"))
        .await
        .or_text("open sign-in")?;
    sign_in_here(browser, email, password).await
}

/// Fills and submits the sign-in form already on the page.
async fn sign_in_here(browser: &Browser, email: &str, password: &str) -> Result<(), String> {
    browser.fill("email", email).await.or_text("email")?;
    browser
        .fill("password", password)
        .await
        .or_text("password")?;
    browser
        .click_css("main form button[type=submit]")
        .await
        .or_text("submit sign-in")
}

async fn sign_out(browser: &Browser) -> Result<(), String> {
    browser
        .click_css("header form[action='/signout'] button")
        .await
        .or_text("sign out")
}

/// Starts the SMTP sink, or answers `None` when aiosmtpd is missing and not required.
fn smtp_sink() -> Option<SmtpSink> {
    let available = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var("AGORA_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "aiosmtpd is required (pip install aiosmtpd)"
        );
        eprintln!("skipping: aiosmtpd is not installed");
        return None;
    }
    Some(SmtpSink::start())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sign_out_and_sign_in() {
    let data = TempDir::new("browser-signup");
    let server = Server::start(data.path(), &["serve"], &[]);
    with_browser("sign_up_sign_out_and_sign_in", async |browser| {
        browser
            .client
            .goto(&server.url("/signup"))
            .await
            .or_text("open sign-up")?;
        browser.fill("name", "Grace Hopper").await.or_text("name")?;
        browser
            .fill("email", "grace-at-example")
            .await
            .or_text("email")?;
        browser
            .fill("password", "short")
            .await
            .or_text("password")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        let email_error = text_of(browser, "#email-error").await?;
        check(
            email_error.contains("enter an e-mail address"),
            format!("email error shown next to the field: {email_error}"),
        )?;
        check(
            text_of(browser, "#password-error")
                .await?
                .contains("at least 10 characters"),
            "password error",
        )?;
        let kept = browser
            .client
            .find(Locator::Id("name"))
            .await
            .or_text("name field")?
            .prop("value")
            .await
            .or_text("value")?;
        check(kept.as_deref() == Some("Grace Hopper"), "the name is kept")?;

        browser
            .fill("email", "grace@example.org")
            .await
            .or_text("email")?;
        browser
            .fill("password", "a long enough password")
            .await
            .or_text("password")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        let flash = text_of(browser, ".flash").await?;
        check(
            flash.contains("Welcome to Agora, Grace Hopper."),
            format!("welcome flash: {flash}"),
        )?;
        check(
            text_of(browser, ".account-name").await? == "Grace Hopper",
            "signed in as Grace",
        )?;

        sign_out(browser).await?;
        check(
            text_of(browser, ".flash")
                .await?
                .contains("You are signed out."),
            "signed out",
        )?;
        browser
            .client
            .goto(&server.url("/account/tokens"))
            .await
            .or_text("open a private page")?;
        check(
            browser
                .path()
                .await
                .or_text("url")?
                .starts_with("/signin?next="),
            "a private page asks to sign in",
        )?;

        sign_in_here(browser, "grace@example.org", "a wrong password").await?;
        check(
            text_of(browser, ".form-error")
                .await?
                .contains("e-mail or password is wrong"),
            "wrong password refused",
        )?;
        sign_in_here(browser, "grace@example.org", "a long enough password").await?;
        check(
            browser.path().await.or_text("url")? == "/account/tokens",
            "back to the page asked for",
        )?;
        check(
            text_of(browser, "h1").await? == "Personal access tokens",
            "tokens page",
        )?;
        browser.screenshot("signed-in-tokens").await;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_through_the_smtp_server() {
    let Some(sink) = smtp_sink() else { return };
    let data = TempDir::new("browser-reset");
    add_user(
        data.path(),
        None,
        "ada@example.org",
        "Ada Lovelace",
        "acme",
        "member",
        "the old password",
    );
    let server = Server::start(data.path(), &["serve"], &[("AGORA_SMTP_URL", &sink.url())]);
    with_browser("password_reset_through_the_smtp_server", async |browser| {
        browser
            .client
            .goto(&server.url("/forgot"))
            .await
            .or_text("open forgot")?;
        browser
            .fill("email", "Ada@Example.org")
            .await
            .or_text("email")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        check(
            text_of(browser, ".notice")
                .await?
                .contains("we sent it a link"),
            "confirmation shown",
        )?;

        let message =
            tokio::task::spawn_blocking(move || sink.wait_for_message_to("ada@example.org"))
                .await
                .or_text("mail")?;
        check(
            message.contains("Subject: Reset your Agora password"),
            "subject",
        )?;
        let link = find_link(&message, "/reset?token=").ok_or("no reset link in the e-mail")?;
        check(
            link.starts_with(&server.base),
            format!("the link points at this server: {link}"),
        )?;

        browser.client.goto(&link).await.or_text("open the link")?;
        browser
            .fill("password", "short")
            .await
            .or_text("password")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        check(
            text_of(browser, "#password-error")
                .await?
                .contains("at least 10"),
            "weak password refused, link still usable",
        )?;
        browser
            .fill("password", "a brand new password")
            .await
            .or_text("password")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        check(
            text_of(browser, ".flash")
                .await?
                .contains("Your password is changed"),
            "password changed",
        )?;

        sign_in(browser, &server, "ada@example.org", "the old password").await?;
        check(
            text_of(browser, ".form-error").await?.contains("wrong"),
            "the old password no longer works",
        )?;
        sign_in(browser, &server, "ada@example.org", "a brand new password").await?;
        check(
            text_of(browser, "h1").await? == "Community",
            "signed in and taken to the community",
        )?;

        browser.client.goto(&link).await.or_text("reuse the link")?;
        browser
            .fill("password", "yet another password")
            .await
            .or_text("password")?;
        browser
            .click_css("main form button[type=submit]")
            .await
            .or_text("submit")?;
        check(
            text_of(browser, ".form-error")
                .await?
                .contains("expired or was already used"),
            "a reset link works once",
        )?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_refused_a_staff_page() {
    let data = TempDir::new("browser-member");
    add_user(
        data.path(),
        None,
        "admin@acme.test",
        "Ann Admin",
        "acme",
        "admin",
        "admin password 1",
    );
    add_user(
        data.path(),
        None,
        "mo@acme.test",
        "Mo Member",
        "acme",
        "member",
        "member password 1",
    );
    let server = Server::start(data.path(), &["serve"], &[]);
    with_browser("a_member_is_refused_a_staff_page", async |browser| {
        sign_in(browser, &server, "mo@acme.test", "member password 1").await?;
        let nav = text_of(browser, "nav.mainnav").await?;
        check(
            nav.contains("Community") && nav.contains("Events"),
            format!("community side in the navigation: {nav}"),
        )?;
        check(
            !nav.contains("Settings") && !nav.contains("Publish") && !nav.contains("Analytics"),
            format!("no staff links: {nav}"),
        )?;
        for staff_page in [
            "/w/acme/settings",
            "/w/acme/publish",
            "/w/acme/members",
            "/w/acme/moderation",
        ] {
            browser
                .client
                .goto(&server.url(staff_page))
                .await
                .or_text("open a staff page")?;
            let heading = text_of(browser, "h1").await?;
            check(
                heading.contains("open this page"),
                format!("{staff_page} refused: {heading}"),
            )?;
        }
        browser.screenshot("member-refused").await;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_populated_pages_for_every_role() {
    let data = TempDir::new("browser-demo");
    let seeded = crate::harness::agora(data.path())
        .args(["demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let printed = String::from_utf8_lossy(&seeded.stdout).into_owned();
    assert!(
        printed.contains("member@demo.agora") && printed.contains("agora-demo-pass"),
        "logins printed: {printed}"
    );
    let server = Server::start(data.path(), &["serve"], &[]);
    with_browser(
        "the_demo_shows_populated_pages_for_every_role",
        async |browser| {
            let expectations: [RoleTour; 5] = [
                (
                    "admin@demo.agora",
                    "admin",
                    &[
                        ("/w/northwind", "members"),
                        ("/w/northwind/settings", "Mina Member"),
                        ("/w/northwind/settings/jobs", "bad recipient address"),
                    ],
                ),
                (
                    "marketer@demo.agora",
                    "marketer",
                    &[
                        ("/w/northwind/publish", "The Northwind Letter"),
                        ("/w/northwind/channels", "mastodon.example (demo)"),
                        ("/w/northwind/publish", "unconfirmed"),
                        (
                            "/w/northwind/calendar?view=list",
                            "@northwind@mastodon.example (demo)",
                        ),
                        ("/w/northwind/analytics", "Sunday Riders"),
                        ("/w/northwind/analytics/audience", "By campaign"),
                        ("/w/northwind/campaigns", "Spring collection"),
                        ("/w/northwind/compose", "Request approval"),
                        ("/w/northwind/publish", "AWAITING APPROVAL"),
                    ],
                ),
                (
                    "cm@demo.agora",
                    "community-manager",
                    &[
                        ("/w/northwind/welcome", "both like"),
                        ("/w/northwind/welcome", "I am Cora"),
                        ("/w/northwind/members", "Load more members"),
                        ("/w/northwind/analytics", "Product Announcements"),
                        ("/w/northwind/moderation", "Cheap carbon wheels"),
                        ("/w/northwind/moderation/settings", "No investment pitches"),
                        ("/w/northwind/members/merges", "same handle"),
                        ("/w/northwind/events?past=1", "Coast loop"),
                    ],
                ),
                (
                    "moderator@demo.agora",
                    "moderator",
                    &[
                        ("/w/northwind/moderation", "Harassment or hostility"),
                        ("/w/northwind/moderation/log", "Muted a member in a group"),
                        ("/w/northwind/members", "Members"),
                        ("/w/northwind/groups/sunday-riders/manage", "Make moderator"),
                    ],
                ),
                (
                    "member@demo.agora",
                    "member",
                    &[
                        ("/w/northwind/groups/race-team", "for its members"),
                        ("/w/northwind/community", "Sunday Riders"),
                        ("/w/northwind/groups/repair-qa", "Repair Q&A"),
                        ("/w/northwind/events", "Sunday ride to the lighthouse"),
                        ("/w/northwind/events", "Tuesday evening spin"),
                        (
                            "/w/northwind/moderation/log",
                            "Post hidden by community flags",
                        ),
                        ("/w/northwind/conduct", "How we ride together"),
                    ],
                ),
            ];
            for (email, label, pages) in expectations {
                sign_in(browser, &server, email, "agora-demo-pass").await?;
                for (path, expected) in pages {
                    browser
                        .client
                        .goto(&server.url(path))
                        .await
                        .or_text("open page")?;
                    let text = browser.main_text().await.or_text("main")?;
                    check(
                        text.contains(expected),
                        format!("{label} on {path}: expected {expected:?} in {text:.300}"),
                    )?;
                }
                browser
                    .client
                    .goto(&server.url(pages[0].0))
                    .await
                    .or_text("open first page")?;
                browser.screenshot(&format!("demo-{label}")).await;
                if label == "marketer" {
                    browser
                        .client
                        .goto(&server.url("/w/northwind/calendar"))
                        .await
                        .or_text("calendar")?;
                    browser.screenshot("demo-calendar").await;
                    // The channels' health, and an unconfirmed post's timeline.
                    browser
                        .client
                        .goto(&server.url("/w/northwind/channels"))
                        .await
                        .or_text("channels")?;
                    browser.screenshot("demo-channels").await;
                    // A channel's queue and its best-time heatmap, from its own posts.
                    browser
                        .click_css("a[href$='/queue']")
                        .await
                        .or_text("a queue page")?;
                    let queue = browser.main_text().await.or_text("queue page")?;
                    check(
                        queue.contains("posts")
                            && browser
                                .client
                                .find(Locator::Css("table.heatmap"))
                                .await
                                .is_ok(),
                        format!("the heatmap and its source: {queue:.300}"),
                    )?;
                    browser
                        .client
                        .execute(
                            "document.querySelector('table.heatmap').scrollIntoView();",
                            vec![],
                        )
                        .await
                        .or_text("scroll to the heatmap")?;
                    browser.screenshot("demo-queue-heatmap").await;
                    browser
                        .client
                        .set_window_size(390, 844)
                        .await
                        .or_text("phone")?;
                    browser
                        .client
                        .execute(
                            "document.querySelector('table.heatmap').scrollIntoView();",
                            vec![],
                        )
                        .await
                        .or_text("scroll to the heatmap")?;
                    browser.screenshot("demo-queue-heatmap-phone").await;
                    browser
                        .client
                        .goto(&server.url("/w/northwind/compose"))
                        .await
                        .or_text("compose")?;
                    browser.screenshot("demo-compose-phone").await;
                    browser
                        .client
                        .goto(&server.url("/w/northwind/analytics/audience"))
                        .await
                        .or_text("audience")?;
                    browser.screenshot("demo-audience-phone").await;
                    browser
                        .client
                        .set_window_size(1280, 900)
                        .await
                        .or_text("laptop")?;
                    browser.screenshot("demo-audience").await;
                    // Last winter's campaign brought members: the funnel is not empty.
                    let joined = text_of(browser, "#funnel-joined").await?;
                    check(
                        joined.trim().parse::<i64>().is_ok_and(|n| n > 0),
                        format!("members joined through campaigns: {joined}"),
                    )?;
                    // The number opens the members behind it: as many rows as it says.
                    browser
                        .client
                        .find(Locator::Css("#funnel-joined a"))
                        .await
                        .or_text("the joined number's link")?
                        .click()
                        .await
                        .or_text("open the members who joined")?;
                    let rows = browser
                        .client
                        .find_all(Locator::Css("#funnel-members tbody tr"))
                        .await
                        .or_text("the funnel's members")?;
                    check(
                        rows.len().to_string() == joined.trim(),
                        format!("{} members listed for {joined}", rows.len()),
                    )?;
                    browser.screenshot("demo-funnel-members").await;
                    browser
                        .client
                        .goto(&server.url("/w/northwind/publish"))
                        .await
                        .or_text("publish")?;
                    let link = browser
                        .client
                        .find(fantoccini::Locator::XPath(
                            "//tr[.//span[contains(@class,'status-unconfirmed')]]//a",
                        ))
                        .await
                        .or_text("an unconfirmed post")?;
                    link.click().await.or_text("open the post")?;
                    let text = browser.main_text().await.or_text("post page")?;
                    check(
                        text.contains("Mark as published")
                            && text.contains("Publish again")
                            && text.contains("No answer within 30 s"),
                        format!("the unconfirmed post's page: {text:.400}"),
                    )?;
                    browser.screenshot("demo-post").await;
                }
                sign_out(browser).await?;
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_by_e_mail_brings_a_new_moderator_in() {
    let Some(sink) = smtp_sink() else { return };
    let data = TempDir::new("browser-invite");
    add_user(
        data.path(),
        None,
        "ann@acme.test",
        "Ann Admin",
        "acme",
        "admin",
        "admin password 1",
    );
    let server = Server::start(data.path(), &["serve"], &[("AGORA_SMTP_URL", &sink.url())]);
    with_browser(
        "an_invitation_by_e_mail_brings_a_new_moderator_in",
        async |browser| {
            sign_in(browser, &server, "ann@acme.test", "admin password 1").await?;
            browser
                .client
                .goto(&server.url("/w/acme/settings"))
                .await
                .or_text("open settings")?;
            browser
                .fill("invite-email", "not an e-mail")
                .await
                .or_text("email")?;
            browser
                .click_css("form[action$='/settings/invitations'] button")
                .await
                .or_text("invite")?;
            check(
                text_of(browser, "#invite-email-error")
                    .await?
                    .contains("e-mail address"),
                "bad invitation address refused",
            )?;
            browser
                .fill("invite-email", "max@example.org")
                .await
                .or_text("email")?;
            browser
                .client
                .find(Locator::Css("#invite-role option[value='moderator']"))
                .await
                .or_text("role option")?
                .click()
                .await
                .or_text("choose moderator")?;
            browser
                .click_css("form[action$='/settings/invitations'] button")
                .await
                .or_text("invite")?;
            check(
                text_of(browser, ".flash")
                    .await?
                    .contains("Invitation sent to max@example.org"),
                "invitation sent",
            )?;
            sign_out(browser).await?;

            let message =
                tokio::task::spawn_blocking(move || sink.wait_for_message_to("max@example.org"))
                    .await
                    .or_text("mail")?;
            let link = find_link(&message, "/invite/").ok_or("no invitation link in the e-mail")?;
            browser
                .client
                .goto(&link)
                .await
                .or_text("open the invitation")?;
            check(
                text_of(browser, "h1").await? == "Join acme",
                "invitation page",
            )?;
            browser
                .click_css("main a.button")
                .await
                .or_text("create an account")?;
            let email = browser
                .client
                .find(Locator::Id("email"))
                .await
                .or_text("email")?
                .prop("value")
                .await
                .or_text("value")?;
            check(
                email.as_deref() == Some("max@example.org"),
                "the invited address is filled in",
            )?;
            browser
                .fill("name", "Max Moderator")
                .await
                .or_text("name")?;
            browser
                .fill("password", "moderator password")
                .await
                .or_text("password")?;
            browser
                .click_css("main form button[type=submit]")
                .await
                .or_text("sign up")?;
            check(
                text_of(browser, ".flash")
                    .await?
                    .contains("Welcome to Agora, Max Moderator."),
                "signed up",
            )?;
            let nav = text_of(browser, "nav.mainnav").await?;
            check(
                nav.contains("Moderation") && !nav.contains("Settings"),
                format!("a moderator's navigation: {nav}"),
            )?;
            check(
                text_of(browser, ".role").await? == "Moderator",
                "the role from the invitation",
            )?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_asked_answered_mentioned_accepted_and_found() {
    let Some(sink) = smtp_sink() else { return };
    let data = TempDir::new("browser-community");
    for (email, name, role) in [
        ("cora@acme.test", "Cora Manager", "community_manager"),
        ("asa@acme.test", "Asa Asker", "member"),
        ("hal@acme.test", "Hal Helper", "member"),
        ("tia@acme.test", "Tia Third", "member"),
    ] {
        add_user(
            data.path(),
            None,
            email,
            name,
            "acme",
            role,
            "a long password",
        );
    }
    let token = |email: &str| {
        let output = crate::harness::agora(data.path())
            .args(["token", "create", "--email", email])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let (cora, hal) = (token("cora@acme.test"), token("hal@acme.test"));
    let server = Server::start(data.path(), &["serve"], &[("AGORA_SMTP_URL", &sink.url())]);
    agora_connectors::networks::install_crypto_provider();
    let api = reqwest::Client::new();
    let group: serde_json::Value = api
        .post(server.url("/api/v1/w/acme/groups"))
        .bearer_auth(&cora)
        .json(&serde_json::json!({"slug": "repair", "name": "Repair Q&A", "rules": "Be **kind**; no selling."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group_id = group["id"].as_i64().unwrap();

    with_browser("a_question_is_asked_answered_mentioned_accepted_and_found", async |browser| {
        // The asker joins, accepting the rules, and asks.
        sign_in(browser, &server, "asa@acme.test", "a long password").await?;
        // A newcomer is welcomed with the default message and a checklist.
        browser.client.goto(&server.url("/w/acme/community")).await.or_text("open community")?;
        let welcome = text_of(browser, ".welcome").await?;
        check(welcome.contains("Asa Asker") && welcome.contains("Complete your profile"), format!("the welcome: {welcome}"))?;
        browser.screenshot("community-welcome").await;
        browser.client.goto(&server.url("/w/acme/groups/repair/join")).await.or_text("open join")?;
        check(text_of(browser, ".rules").await?.contains("no selling"), "the rules are shown")?;
        browser.click_css("main form button[type=submit]").await.or_text("join without accepting")?;
        check(text_of(browser, "#accept-error").await?.contains("accept the group's rules"), "must accept the rules")?;
        browser.click_css("#accept_rules").await.or_text("accept")?;
        browser.click_css("main form button[type=submit]").await.or_text("join")?;
        check(text_of(browser, ".flash").await?.contains("Welcome to Repair Q&A"), "joined")?;
        browser.fill("title", "Chain skips on the third cog").await.or_text("title")?;
        browser.fill("body", "It skips under load. Any idea?").await.or_text("body")?;
        browser.click_css("input[name=kind][value=question]").await.or_text("question")?;
        browser.click_css("form[action$='/threads'] button[type=submit]").await.or_text("post")?;
        check(text_of(browser, "h1").await?.contains("Chain skips on the third cog"), "the thread page")?;
        let thread_path = browser.path().await.or_text("url")?;
        let thread_id: i64 = thread_path.rsplit('/').next().and_then(|id| id.parse().ok()).ok_or("thread id")?;
        sign_out(browser).await?;

        // The third member waits on the community page.
        sign_in(browser, &server, "tia@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/community")).await.or_text("community")?;
        // Read in one step by script: htmx swaps the badge as the page loads.
        let badge = browser
            .client
            .execute("return document.getElementById('notification-badge').textContent;", vec![])
            .await
            .or_text("badge")?;
        check(badge.as_str().is_some_and(|text| text.trim().is_empty()), format!("no unread notification yet: {badge}"))?;

        // The helper answers through the API and mentions the third member.
        let joined = api.post(server.url(&format!("/api/v1/w/acme/groups/{group_id}/join"))).bearer_auth(&hal).json(&serde_json::json!({"accept_rules": true})).send().await.or_text("join")?;
        check(joined.status().is_success(), "the helper joined")?;
        let answer: serde_json::Value = api
            .post(server.url(&format!("/api/v1/w/acme/threads/{thread_id}/replies")))
            .bearer_auth(&hal)
            .json(&serde_json::json!({"body": "Measure the chain; @tia-third fixed the same thing last month."}))
            .send()
            .await
            .or_text("answer")?
            .json()
            .await
            .or_text("answer body")?;
        check(answer["id"].is_i64(), format!("answered: {answer}"))?;

        // Without reloading, the badge shows the mention (htmx polls every 10 s).
        let counted = browser
            .client
            .wait()
            .at_most(Duration::from_secs(25))
            .for_element(Locator::Css("#notification-badge .count"))
            .await
            .or_text("the unread count appears without a reload")?;
        check(counted.text().await.or_text("count")? == "1", "one unread notification")?;
        browser.screenshot("community-badge").await;

        let mail = tokio::task::spawn_blocking(move || sink.wait_for_message_to("tia@acme.test")).await.or_text("mention e-mail")?;
        check(mail.contains("Hal Helper mentioned you"), "the mention e-mail")?;
        check(mail.contains("List-Unsubscribe: <") && mail.contains("/unsubscribe?token="), "with an unsubscribe link")?;
        sign_out(browser).await?;

        // The asker accepts the answer; search finds the solved thread.
        sign_in(browser, &server, "asa@acme.test", "a long password").await?;
        browser.client.goto(&server.url(&thread_path)).await.or_text("thread")?;
        browser.click_css("form[action$='/accept'] button").await.or_text("accept")?;
        check(text_of(browser, ".flash").await?.contains("Answer accepted."), "accepted")?;
        check(text_of(browser, ".accepted-label").await?.contains("accepted answer"), "marked")?;
        browser.screenshot("community-thread").await;
        browser.client.goto(&server.url("/w/acme/search?q=chain+cog&solved=yes")).await.or_text("search")?;
        check(text_of(browser, ".search-hits").await?.contains("Chain skips on the third cog"), "search finds the solved thread")?;
        browser.screenshot("community-search").await;
        Ok(())
    })
    .await;
}

/// Sets a form field's value by script (date and time inputs ignore typed
/// text in some locales).
async fn set_value(browser: &Browser, id: &str, value: &str) -> Result<(), String> {
    browser
        .client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![serde_json::json!(id), serde_json::json!(value)],
        )
        .await
        .map(|_| ())
        .or_text(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_event_fills_up_waitlists_promotes_and_checks_in() {
    let Some(sink) = smtp_sink() else { return };
    let data = TempDir::new("browser-events");
    for (email, name, role) in [
        ("cora@acme.test", "Cora Manager", "community_manager"),
        ("ann@acme.test", "Ann Rider", "member"),
        ("bob@acme.test", "Bob Rider", "member"),
        ("cyd@acme.test", "Cyd Rider", "member"),
    ] {
        add_user(
            data.path(),
            None,
            email,
            name,
            "acme",
            role,
            "a long password",
        );
    }
    let output = crate::harness::agora(data.path())
        .args(["token", "create", "--email", "cora@acme.test"])
        .output()
        .unwrap();
    let cora = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let server = Server::start(data.path(), &["serve"], &[("AGORA_SMTP_URL", &sink.url())]);
    agora_connectors::networks::install_crypto_provider();
    let created = reqwest::Client::new()
        .post(server.url("/api/v1/w/acme/groups"))
        .bearer_auth(&cora)
        .json(&serde_json::json!({"slug": "riders", "name": "Sunday Riders"}))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success());
    // Three days from now, in Paris time, as a datetime-local field takes it.
    let in_days = |days: i64, hours: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let at = agora_core::Timestamp(now + days * 86_400_000 + hours * 3_600_000);
        agora_core::posts::utc_to_local(at, "Europe/Paris")[..16].replace(' ', "T")
    };

    with_browser(
        "an_offline_event_fills_up_waitlists_promotes_and_checks_in",
        async |browser| {
            // The organizer creates the event; bad input is shown at the fields first.
            sign_in(browser, &server, "cora@acme.test", "a long password").await?;
            browser
                .client
                .goto(&server.url("/w/acme/events"))
                .await
                .or_text("events")?;
            browser
                .click_css("a[href='/w/acme/events/new']")
                .await
                .or_text("new event")?;
            browser
                .fill("title", "Sunday ride to the lighthouse")
                .await
                .or_text("title")?;
            browser
                .fill("description", "Coffee at 8:45, **wheels rolling at 9**.")
                .await
                .or_text("description")?;
            set_value(browser, "starts_at", &in_days(3, 0)).await?;
            set_value(browser, "ends_at", &in_days(3, -1)).await?;
            browser
                .fill("venue", "Café du Port")
                .await
                .or_text("venue")?;
            browser
                .fill("address", "1 quai de la Fosse, Nantes")
                .await
                .or_text("address")?;
            browser.fill("capacity", "0").await.or_text("capacity")?;
            browser
                .click_css("main form button[type=submit]")
                .await
                .or_text("create")?;
            check(
                text_of(browser, "#ends_at-error")
                    .await?
                    .contains("after the start"),
                "end before start is refused at the field",
            )?;
            check(
                text_of(browser, "#capacity-error")
                    .await?
                    .contains("at least 1"),
                "capacity 0 is refused at the field",
            )?;
            browser.screenshot("event-form-errors").await;
            set_value(browser, "ends_at", &in_days(3, 3)).await?;
            browser.fill("capacity", "2").await.or_text("capacity")?;
            browser
                .click_css("main form button[type=submit]")
                .await
                .or_text("create")?;
            check(
                text_of(browser, "h1")
                    .await?
                    .contains("Sunday ride to the lighthouse"),
                "the event page",
            )?;
            let event_path = browser.path().await.or_text("url")?;
            sign_out(browser).await?;

            // Three members say they are going; the third is waitlisted.
            for (email, expected) in [
                ("ann@acme.test", "You're going"),
                ("bob@acme.test", "You're going"),
                ("cyd@acme.test", "waitlist, number 1"),
            ] {
                sign_in(browser, &server, email, "a long password").await?;
                browser
                    .client
                    .goto(&server.url(&event_path))
                    .await
                    .or_text("event")?;
                browser
                    .click_css("button[name=state][value=going]")
                    .await
                    .or_text("going")?;
                let flash = text_of(browser, ".flash").await?;
                check(flash.contains(expected), format!("{email}: {flash}"))?;
                sign_out(browser).await?;
            }

            // Ann cancels her place; Cyd is promoted and the e-mail reaches the SMTP server.
            sign_in(browser, &server, "ann@acme.test", "a long password").await?;
            browser
                .client
                .goto(&server.url(&event_path))
                .await
                .or_text("event")?;
            browser
                .click_css("button[name=state][value=not_going]")
                .await
                .or_text("cancel")?;
            check(
                text_of(browser, ".flash").await?.contains("not going"),
                "Ann is not going",
            )?;
            sign_out(browser).await?;
            let message =
                tokio::task::spawn_blocking(move || sink.wait_for_message_to("cyd@acme.test"))
                    .await
                    .or_text("mail")?;
            check(
                message.contains("You're in: Sunday ride to the lighthouse"),
                "the promotion e-mail",
            )?;

            sign_in(browser, &server, "cyd@acme.test", "a long password").await?;
            browser
                .client
                .goto(&server.url(&event_path))
                .await
                .or_text("event")?;
            check(
                text_of(browser, "#rsvp-state")
                    .await?
                    .contains("You're going"),
                "Cyd is going now",
            )?;
            let code = text_of(browser, "#my-code").await?;
            check(
                code.len() == 8 && message.contains(&code),
                format!("the code {code} is on the page and in the e-mail"),
            )?;
            browser
                .client
                .find(Locator::Css(".qr svg"))
                .await
                .or_text("the QR code")?;
            browser.screenshot("event-page-going").await;
            sign_out(browser).await?;

            // The organizer checks Cyd in by typing the code, on a phone-sized screen.
            sign_in(browser, &server, "cora@acme.test", "a long password").await?;
            browser
                .client
                .set_window_size(390, 844)
                .await
                .or_text("phone size")?;
            browser
                .client
                .goto(&server.url(&format!("{event_path}/check-in")))
                .await
                .or_text("check-in")?;
            browser
                .fill("code", &code.to_lowercase())
                .await
                .or_text("code")?;
            browser
                .click_css("form.check-in-form button[type=submit]")
                .await
                .or_text("check in")?;
            let done = text_of(browser, "#check-in-done").await?;
            check(
                done.contains("Cyd Rider is checked in"),
                format!("checked in: {done}"),
            )?;
            check(
                text_of(browser, "#checked-in-count").await? == "1",
                "one checked in",
            )?;
            browser.screenshot("event-check-in-phone").await;
            browser
                .client
                .set_window_size(1280, 900)
                .await
                .or_text("laptop size")?;
            browser
                .client
                .goto(&server.url("/w/acme/events"))
                .await
                .or_text("events")?;
            browser.screenshot("events-list").await;
            Ok(())
        },
    )
    .await;
}

/// Waits until the element's attribute satisfies `check` (the page updates
/// it through htmx as one types).
async fn wait_for_attribute(
    browser: &Browser,
    selector: &str,
    attribute: &str,
    check: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(element) = browser.client.find(Locator::Css(selector)).await
            && let Ok(Some(value)) = element.attr(attribute).await
            && check(&value)
        {
            return Ok(value);
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{selector} [{attribute}] never matched"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_for_two_networks_is_counted_approved_and_moved_on_the_calendar() {
    use agora_core::posts::{NewChannel, PostStore};
    use agora_core::text_limits::Network;

    let data = TempDir::new("browser-desk");
    for (email, name, role) in [
        ("mara@acme.test", "Mara Marketer", "marketer"),
        ("alex@acme.test", "Alex Admin", "admin"),
    ] {
        add_user(
            data.path(),
            None,
            email,
            name,
            "acme",
            role,
            "a long password",
        );
    }
    let output = crate::harness::agora(data.path())
        .args(["token", "create", "--email", "mara@acme.test"])
        .output()
        .unwrap();
    let mara = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // Two channels, as connecting them would leave them (no network here).
    let url = format!("sqlite://{}", data.path().join("agora.db").display());
    let db = agora_store::Db::connect(&url, agora_store::ConnectOptions::default())
        .await
        .unwrap();
    let workspace = agora_core::accounts::AccountStore::workspace_by_slug(&db, "acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut channel_ids = Vec::new();
    for (network, name, max_chars) in [
        (Network::Bluesky, "northwind.bsky.social", 300),
        (Network::Mastodon, "@northwind@social.example", 500),
    ] {
        let channel = db
            .create_channel(&NewChannel {
                workspace_id: workspace,
                network,
                name: name.into(),
                avatar_url: None,
                base_url: "https://social.example".into(),
                account: name.into(),
                timezone: "Europe/Paris".into(),
                sealed_credentials: String::new(),
                max_chars,
                max_media: 4,
                chars_per_url: 23,
                max_image_bytes: None,
                created_at: agora_core::Timestamp(0),
            })
            .await
            .unwrap();
        // Nothing is behind these channels: paused, their posts wait.
        db.set_channel_paused(channel.id, true).await.unwrap();
        channel_ids.push(channel.id);
    }
    db.close().await;
    let (bluesky, mastodon) = (channel_ids[0], channel_ids[1]);
    let server = Server::start(data.path(), &["serve", "--web-only"], &[]);
    let in_days = |days: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let at = agora_core::Timestamp((now / 86_400_000 + days) * 86_400_000 + 8 * 3_600_000);
        agora_core::posts::utc_to_local(at, "Europe/Paris")[..16].replace(' ', "T")
    };

    with_browser("a_post_for_two_networks_is_counted_approved_and_moved_on_the_calendar", async |browser| {
        // The admin asks for approvals.
        sign_in(browser, &server, "alex@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/settings")).await.or_text("settings")?;
        browser.click_css("#posts_need_approval").await.or_text("approval box")?;
        browser.click_css("form[action$='/settings/approval'] button").await.or_text("save")?;
        check(text_of(browser, ".flash").await?.contains("need approval"), "approvals on")?;
        sign_out(browser).await?;

        // The marketer writes one text, then a shorter Bluesky variant; the
        // counters turn red at each network's own limit.
        sign_in(browser, &server, "mara@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/compose")).await.or_text("compose")?;
        let long = format!("Spring is here {} https://northwind.example/spring", "🚲".repeat(290));
        browser.fill("text", &long).await.or_text("text")?;
        wait_for_attribute(browser, &format!("#counter-{bluesky}"), "class", |c| c.contains("over")).await?;
        let mastodon_class = wait_for_attribute(browser, &format!("#counter-{mastodon}"), "data-length", |l| l != "0").await?;
        let mastodon_counter = browser.client.find(Locator::Css(&format!("#counter-{mastodon}"))).await.or_text("counter")?;
        check(
            !mastodon_counter.attr("class").await.or_text("class")?.unwrap_or_default().contains("over"),
            format!("Mastodon counts the link as 23 and stays under 500 ({mastodon_class})"),
        )?;
        browser.screenshot("compose-over-limit").await;
        browser.client.execute(
            "document.querySelectorAll('.variant details').forEach(function (d) { d.open = true; });",
            vec![],
        ).await.or_text("open variants")?;
        browser.fill(&format!("variant_{bluesky}"), "Spring is here 🚲 https://northwind.example/spring #gravel").await.or_text("variant")?;
        wait_for_attribute(browser, &format!("#counter-{bluesky}"), "class", |c| !c.contains("over")).await?;
        // The composer offers the three best free times (a default curve here).
        let suggestions = browser.client.find_all(Locator::Css(".suggestion")).await.or_text("suggestions")?;
        check(suggestions.len() == 3, format!("three suggested times, got {}", suggestions.len()))?;
        check(text_of(browser, ".suggestions").await?.contains("default"), "it says which source it uses")?;
        suggestions[0].click().await.or_text("pick a time")?;
        let picked = browser.client.find(Locator::Id("local_time")).await.or_text("time")?.prop("value").await.or_text("value")?;
        check(picked.is_some_and(|v| v.len() == 16), "the suggestion fills the time")?;
        set_value(browser, "local_time", &in_days(3)).await?;
        browser.screenshot("compose").await;
        browser.client.set_window_size(390, 844).await.or_text("phone")?;
        browser.screenshot("compose-phone").await;
        browser.client.set_window_size(1280, 900).await.or_text("laptop")?;
        browser.click_css("button[name=intent][value=schedule]").await.or_text("request approval")?;
        check(text_of(browser, ".flash").await?.contains("Sent for approval"), "sent for approval")?;
        let post_path = browser.path().await.or_text("url")?;
        let post_id: i64 = post_path.rsplit('/').next().and_then(|id| id.parse().ok()).ok_or("post id")?;
        check(text_of(browser, "#approval-state").await?.contains("nobody approves their own post"), "the author cannot approve")?;
        check(browser.client.find(Locator::Css("button[value=approve]")).await.is_err(), "no approve button for the author")?;
        sign_out(browser).await?;

        // A second staff member approves.
        sign_in(browser, &server, "alex@acme.test", "a long password").await?;
        browser.client.goto(&server.url(&post_path)).await.or_text("post")?;
        browser.click_css("button[value=approve]").await.or_text("approve")?;
        check(text_of(browser, ".flash").await?.contains("Approved"), "approved")?;
        check(text_of(browser, ".history").await?.contains("approved"), "in the history")?;
        browser.screenshot("post-approved").await;

        agora_connectors::networks::install_crypto_provider();
        let api = reqwest::Client::new();
        let post: serde_json::Value = api
            .get(server.url(&format!("/api/v1/w/acme/posts/{post_id}")))
            .bearer_auth(&mara)
            .send()
            .await
            .or_text("api")?
            .json()
            .await
            .or_text("json")?;
        check(post["approval"] == "approved", format!("approved in the API: {post}"))?;
        let texts: Vec<&str> = post["targets"].as_array().ok_or("targets")?.iter().filter_map(|t| t["text"].as_str()).collect();
        check(texts.len() == 2 && texts[0] != texts[1], format!("two variants: {texts:?}"))?;

        // The approved post is on the calendar; dragging it two days later
        // moves it in storage and in the API, at the same time of day.
        let date = in_days(3)[..10].to_owned();
        browser
            .client
            .goto(&server.url(&format!("/w/acme/calendar?view=month&date={date}&tz=Europe/Paris")))
            .await
            .or_text("calendar")?;
        browser
            .client
            .find(Locator::Css(&format!("td[data-drop-date='{date}'] [data-post='{post_id}']")))
            .await
            .or_text("the post on its day")?;
        let later = day_after(&date, 2);
        drag(browser, post_id, &format!("td[data-drop-date='{later}']")).await?;
        let before = post["scheduled_at"].as_i64().ok_or("scheduled_at")?;
        let scheduled_at = || async {
            api.get(server.url(&format!("/api/v1/w/acme/posts/{post_id}")))
                .bearer_auth(&mara)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()["scheduled_at"]
                .as_i64()
        };
        crate::harness::eventually("the drag moves the post", Duration::from_secs(10), async || {
            scheduled_at().await == Some(before + 2 * 86_400_000)
        })
        .await;
        browser.screenshot("calendar-after-drag").await;
        Ok(())
    })
    .await;
}

/// The date `days` after `date`, as `2026-05-12`.
fn day_after(date: &str, days: usize) -> String {
    let mut date = agora_core::calendar::parse_date(date).unwrap();
    for _ in 0..days {
        date = date.succ_opt().unwrap();
    }
    date.format("%Y-%m-%d").to_string()
}

/// Drags a calendar item onto a drop target with HTML5 drag and drop events
/// (WebDriver's pointer actions do not start HTML5 drags in Chromium), so the
/// page's own handlers take the drop.
async fn drag(browser: &Browser, post: i64, target: &str) -> Result<(), String> {
    let dropped = browser
        .client
        .execute(
            r#"const item = document.querySelector(`[data-post="${arguments[0]}"][draggable="true"]`);
               const slot = document.querySelector(arguments[1]);
               if (!item || !slot) return false;
               const data = new DataTransfer();
               const fire = (node, type) => node.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
               fire(item, "dragstart");
               fire(slot, "dragenter");
               const accepted = !fire(slot, "dragover");
               fire(slot, "drop");
               fire(item, "dragend");
               return accepted;"#,
            vec![serde_json::json!(post), serde_json::json!(target)],
        )
        .await
        .or_text("drag")?;
    check(
        dropped == serde_json::json!(true),
        format!("the calendar accepts post {post} over {target}: {dropped}"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketer_drags_a_post_on_the_calendar_and_moves_it_by_keyboard() {
    let data = TempDir::new("browser-calendar");
    for (email, name, role) in [
        ("ann@acme.test", "Ann Admin", "admin"),
        ("mara@acme.test", "Mara Marketer", "marketer"),
    ] {
        add_user(
            data.path(),
            None,
            email,
            name,
            "acme",
            role,
            "a long password",
        );
    }
    let token = |email: &str| {
        let output = crate::harness::agora(data.path())
            .args(["token", "create", "--email", email])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let (ann, mara) = (token("ann@acme.test"), token("mara@acme.test"));
    let server = Server::start(data.path(), &["serve"], &[]);
    agora_connectors::networks::install_crypto_provider();
    let api = reqwest::Client::new();
    let call = async |token: &str, method: reqwest::Method, path: &str, body: serde_json::Value| {
        let response = api
            .request(method, server.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    };
    // Channels that need no network, in Paris; posts in next month, so every
    // day of it is in the future.
    let newsletter = call(
        &mara,
        reqwest::Method::POST,
        "/api/v1/w/acme/channels",
        serde_json::json!({"network": "email", "name": "Newsletter", "timezone": "Europe/Paris"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let hook = call(
        &mara,
        reqwest::Method::POST,
        "/api/v1/w/acme/channels",
        serde_json::json!({"network": "webhook", "name": "Site hook", "base_url": "http://127.0.0.1:9/hook", "timezone": "Europe/Paris"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let paris = agora_core::calendar::CalendarZone::parse("Europe/Paris").unwrap();
    let today = paris.date_of(agora_core::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    ));
    let next_month = agora_core::calendar::add_months(today, 1)
        .format("%Y-%m-%d")
        .to_string();
    let base = day_after(&next_month, 8);
    let at = |date: &str, time: &str| {
        agora_core::posts::local_to_utc(&format!("{date}T{time}"), "Europe/Paris").unwrap()
    };
    let mut sale = 0;
    for (days, time, channels, text) in [
        (
            0,
            "09:30",
            vec![newsletter],
            "Spring sale starts: 20% off all helmets",
        ),
        (0, "14:00", vec![hook], "Shop hours change for the holiday"),
        (
            1,
            "12:15",
            vec![newsletter, hook],
            "Workshop recap: wheel truing basics",
        ),
        (
            5,
            "08:00",
            vec![hook],
            "New route guide: the three-castles loop",
        ),
        (
            9,
            "17:45",
            vec![newsletter],
            "Members' photo contest opens today",
        ),
    ] {
        let post = call(
            &mara,
            reqwest::Method::POST,
            "/api/v1/w/acme/posts",
            serde_json::json!({
                "variants": channels.iter().map(|id| serde_json::json!({"channel_id": id, "text": text})).collect::<Vec<_>>(),
                "scheduled_at": at(&day_after(&base, days), time).rfc3339(),
            }),
        )
        .await;
        if sale == 0 {
            sale = post["id"].as_i64().unwrap();
        }
    }
    let group = call(
        &ann,
        reqwest::Method::POST,
        "/api/v1/w/acme/groups",
        serde_json::json!({"slug": "riders", "name": "Riders"}),
    )
    .await;
    call(
        &ann,
        reqwest::Method::POST,
        "/api/v1/w/acme/events",
        serde_json::json!({
            "group_id": group["id"], "title": "Spring ride to the lighthouse", "timezone": "Europe/Paris",
            "starts_at": format!("{}T18:00", day_after(&base, 3)), "ends_at": format!("{}T20:00", day_after(&base, 3)),
            "format": "offline", "venue": "The shop",
        }),
    )
    .await;
    let scheduled_at = async || {
        call(
            &mara,
            reqwest::Method::GET,
            &format!("/api/v1/w/acme/posts/{sale}"),
            serde_json::Value::Null,
        )
        .await["scheduled_at"]
            .as_i64()
            .unwrap_or_default()
    };

    with_browser(
        "a_marketer_drags_a_post_on_the_calendar_and_moves_it_by_keyboard",
        async |browser| {
            sign_in(browser, &server, "mara@acme.test", "a long password").await?;
            browser
                .client
                .goto(&server.url(&format!("/w/acme/calendar?view=month&date={base}")))
                .await
                .or_text("month view")?;
            let text = browser.main_text().await.or_text("main")?;
            check(
                text.contains("Times in Europe/Paris") && text.contains("Spring ride to the lighthouse"),
                format!("the month shows its zone, posts and events: {text:.600}"),
            )?;
            browser.screenshot("calendar-month").await;

            // Drag the sale two days later: it keeps its 09:30.
            let two_days_later = day_after(&base, 2);
            drag(browser, sale, &format!("td[data-drop-date='{two_days_later}']")).await?;
            let expected = at(&two_days_later, "09:30").millis();
            crate::harness::eventually("the drag moves the post", Duration::from_secs(10), async || {
                scheduled_at().await == expected
            })
            .await;
            let moved = browser
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(&format!(
                    "td[data-drop-date='{two_days_later}'] [data-post='{sale}']"
                )))
                .await
                .or_text("the post in its new day")?;
            check(
                moved.text().await.or_text("moved item")?.contains("09:30"),
                "the moved post keeps its time of day",
            )?;
            check(
                text_of(browser, ".flash").await?.contains("moved to"),
                "the move is announced",
            )?;
            browser.screenshot("calendar-month-after-drag").await;

            // The keyboard alternative: open its Move form, type, press Enter.
            let summary = browser
                .client
                .find(Locator::Css(&format!("[data-post='{sale}'] details.cal-move summary")))
                .await
                .or_text("the Move button")?;
            summary
                .send_keys(fantoccini::key::Key::Enter.to_string().as_str())
                .await
                .or_text("open Move")?;
            let three_days_later = day_after(&base, 3);
            set_value(browser, &format!("move-date-{sale}"), &three_days_later).await?;
            set_value(browser, &format!("move-time-{sale}"), "11:00").await?;
            browser.screenshot("calendar-move-form").await;
            browser
                .client
                .find(Locator::Id(&format!("move-time-{sale}")))
                .await
                .or_text("time field")?
                .send_keys(fantoccini::key::Key::Enter.to_string().as_str())
                .await
                .or_text("submit with Enter")?;
            let expected = at(&three_days_later, "11:00").millis();
            crate::harness::eventually("the keyboard moves the post", Duration::from_secs(10), async || {
                scheduled_at().await == expected
            })
            .await;

            // The week view: drag onto another day and hour; the minutes stay.
            browser
                .client
                .goto(&server.url(&format!("/w/acme/calendar?view=week&date={three_days_later}")))
                .await
                .or_text("week view")?;
            browser.screenshot("calendar-week").await;
            let four_days_later = day_after(&base, 4);
            drag(
                browser,
                sale,
                &format!("td[data-drop-date='{four_days_later}'][data-drop-hour='15']"),
            )
            .await?;
            let expected = at(&four_days_later, "15:00").millis();
            crate::harness::eventually("the week drag moves the post", Duration::from_secs(10), async || {
                scheduled_at().await == expected
            })
            .await;
            browser
                .client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(&format!(
                    "td[data-drop-date='{four_days_later}'][data-drop-hour='15'] [data-post='{sale}']"
                )))
                .await
                .or_text("the post in its new hour")?;
            browser.screenshot("calendar-week-after-drag").await;
            browser
                .client
                .goto(&server.url(&format!("/w/acme/calendar?view=list&date={base}")))
                .await
                .or_text("list view")?;
            browser.screenshot("calendar-list").await;

            // A phone: the month and the week become lists of days, without
            // sideways scrolling.
            browser
                .client
                .set_window_size(390, 844)
                .await
                .or_text("phone size")?;
            for (view, name) in [("month", "calendar-month-phone"), ("week", "calendar-week-phone")] {
                browser
                    .client
                    .goto(&server.url(&format!("/w/acme/calendar?view={view}&date={four_days_later}")))
                    .await
                    .or_text("phone view")?;
                let overflow = browser
                    .client
                    .execute(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                        vec![],
                    )
                    .await
                    .or_text("overflow")?;
                check(
                    overflow.as_i64() == Some(0),
                    format!("{view} fits a phone's width (overflow {overflow})"),
                )?;
                let text = browser.main_text().await.or_text("main")?;
                check(
                    text.contains("Spring sale starts"),
                    format!("{view} on a phone shows the post: {text:.400}"),
                )?;
                browser.screenshot(name).await;
                browser
                    .client
                    .execute(
                        "document.querySelector('#calendar .cal-items').scrollIntoView();",
                        vec![],
                    )
                    .await
                    .or_text("scroll")?;
                browser.screenshot(&format!("{name}-scrolled")).await;
            }
            browser
                .client
                .set_window_size(1280, 900)
                .await
                .or_text("laptop size")?;
            Ok(())
        },
    )
    .await;
}

/// Clicks something that does not navigate (a `<summary>`, a radio button).
async fn click_here(browser: &Browser, selector: &str) -> Result<(), String> {
    browser
        .client
        .find(Locator::Css(selector))
        .await
        .or_text(selector)?
        .click()
        .await
        .or_text(selector)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spam_is_held_flags_hide_a_reply_a_suspension_is_explained_and_appealed() {
    let data = TempDir::new("browser-moderation");
    for (email, name, role) in [
        ("cora@acme.test", "Cora Manager", "community_manager"),
        ("milo@acme.test", "Milo Moderator", "moderator"),
        ("nia@acme.test", "Nia Newcomer", "member"),
        ("rae@acme.test", "Rae Regular", "member"),
        ("rob@acme.test", "Rob Regular", "member"),
        ("hugo@acme.test", "Hugo Hostile", "member"),
        ("bea@acme.test", "Bea Bystander", "member"),
    ] {
        add_user(
            data.path(),
            None,
            email,
            name,
            "acme",
            role,
            "a long password",
        );
    }
    let token = |email: &str| {
        let output = crate::harness::agora(data.path())
            .args(["token", "create", "--email", email])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let tokens: std::collections::HashMap<&str, String> =
        ["cora", "milo", "nia", "rae", "rob", "hugo", "bea"]
            .into_iter()
            .map(|name| (name, token(&format!("{name}@acme.test"))))
            .collect();
    let server = Server::start(data.path(), &["serve"], &[]);
    agora_connectors::networks::install_crypto_provider();
    let api = reqwest::Client::new();
    let group: serde_json::Value = api
        .post(server.url("/api/v1/w/acme/groups"))
        .bearer_auth(&tokens["cora"])
        .json(&serde_json::json!({"slug": "riders", "name": "Sunday Riders", "rules": "Be kind."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group_id = group["id"].as_i64().unwrap();
    for name in ["nia", "rae", "rob", "hugo", "bea"] {
        let joined = api
            .post(server.url(&format!("/api/v1/w/acme/groups/{group_id}/join")))
            .bearer_auth(&tokens[name])
            .json(&serde_json::json!({"accept_rules": true}))
            .send()
            .await
            .unwrap();
        assert!(joined.status().is_success());
    }
    let topic: serde_json::Value = api
        .post(server.url(&format!("/api/v1/w/acme/groups/{group_id}/threads")))
        .bearer_auth(&tokens["bea"])
        .json(&serde_json::json!({"title": "Sunday loop", "body": "Who is in for 80 km at an easy pace?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let topic_id = topic["id"].as_i64().unwrap();
    let topic_path = format!("/w/acme/threads/{topic_id}");

    with_browser("spam_is_held_flags_hide_a_reply_a_suspension_is_explained_and_appealed", async |browser| {
        // The community manager makes the two regulars level 3 and lets the toxicity score alert only
        // (so that the hostile reply below is published and the regulars' flags act on it).
        sign_in(browser, &server, "cora@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/moderation/settings")).await.or_text("settings")?;
        for name in ["Rae Regular", "Rob Regular"] {
            let id: String = browser
                .client
                .execute(
                    "return [...document.querySelectorAll('#trust tr')].find(r => r.textContent.includes(arguments[0])).querySelector('select').id;",
                    vec![serde_json::json!(name)],
                )
                .await
                .or_text("trust row")?
                .as_str()
                .unwrap_or_default()
                .to_owned();
            set_value(browser, &id, "3").await?;
            let form = id.replace("trust-level-", "trust-");
            browser.click_css(&format!("#{form} button")).await.or_text("set trust")?;
            check(text_of(browser, ".flash").await?.contains("set to 3 (Regular)"), format!("{name} is a regular"))?;
        }
        set_value(browser, "toxicity_action", "alert").await?;
        browser.click_css("form[action$='/moderation/settings'] button[type=submit]").await.or_text("save settings")?;
        check(text_of(browser, ".flash").await?.contains("Moderation settings saved"), "saved")?;
        browser.screenshot("moderation-settings").await;
        sign_out(browser).await?;

        // A newcomer's spammy post with three links is held.
        sign_in(browser, &server, "nia@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/groups/riders")).await.or_text("group")?;
        browser.fill("title", "Cheap carbon wheels").await.or_text("title")?;
        browser.fill("body", "Best prices: https://wheels.example/a https://wheels.example/b https://wheels.example/c").await.or_text("body")?;
        browser.click_css("form[action$='/threads'] button[type=submit]").await.or_text("post")?;
        check(text_of(browser, ".flash").await?.contains("waiting for a moderator's review"), "the author is told it is held")?;
        check(!browser.main_text().await.or_text("group")?.contains("Cheap carbon wheels"), "not listed")?;
        sign_out(browser).await?;

        // A moderator removes it from the queue.
        sign_in(browser, &server, "milo@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/moderation")).await.or_text("queue")?;
        let held = text_of(browser, ".review-item[data-kind=held]").await?;
        check(held.contains("Cheap carbon wheels") && held.contains("3 links from a new member"), format!("the held post and why: {held}"))?;
        browser.screenshot("moderation-queue").await;
        browser.client.set_window_size(390, 844).await.or_text("phone width")?;
        browser.screenshot("moderation-queue-phone").await;
        browser.client.set_window_size(1280, 900).await.or_text("laptop width")?;
        browser.click_css(".review-item[data-kind=held] button[value=agree]").await.or_text("remove")?;
        check(text_of(browser, ".flash").await?.contains("removed the post"), "removed")?;
        check(!browser.main_text().await.or_text("queue")?.contains("Cheap carbon wheels"), "gone from the queue")?;
        sign_out(browser).await?;

        // A hostile reply; two regulars flag it and it is hidden.
        let hostile: serde_json::Value = api
            .post(server.url(&format!("/api/v1/w/acme/threads/{topic_id}/replies")))
            .bearer_auth(&tokens["hugo"])
            .json(&serde_json::json!({"body": "Nobody wants slowpokes like you on this ride, stay home."}))
            .send()
            .await
            .or_text("hostile reply")?
            .json()
            .await
            .or_text("hostile reply body")?;
        let reply_id = hostile["id"].as_i64().ok_or(format!("published: {hostile}"))?;
        for (email, expected) in [("rae@acme.test", "moderators will review"), ("rob@acme.test", "hidden until a moderator reviews it")] {
            sign_in(browser, &server, email, "a long password").await?;
            browser.client.goto(&server.url(&topic_path)).await.or_text("thread")?;
            click_here(browser, &format!("#reply-{reply_id} details.flag summary")).await?;
            click_here(browser, &format!("#flag-reply-{reply_id}-harassment")).await?;
            browser.click_css(&format!("#reply-{reply_id} .flag-form button[type=submit]")).await.or_text("flag")?;
            check(text_of(browser, ".flash").await?.contains(expected), format!("{email}: {expected}"))?;
            sign_out(browser).await?;
        }
        sign_in(browser, &server, "bea@acme.test", "a long password").await?;
        browser.client.goto(&server.url(&topic_path)).await.or_text("thread")?;
        let shown = text_of(browser, &format!("#reply-{reply_id}")).await?;
        check(shown.contains("hidden while moderators review it") && !shown.contains("slowpokes"), format!("hidden from members: {shown}"))?;
        browser.screenshot("moderation-hidden-reply").await;
        sign_out(browser).await?;

        // The moderator suspends the author for a day from the queue.
        sign_in(browser, &server, "milo@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/moderation?kind=flagged")).await.or_text("queue")?;
        let flagged = ".review-item[data-kind=flagged]";
        check(text_of(browser, flagged).await?.contains("Harassment or hostility"), "the flags are listed")?;
        click_here(browser, &format!("{flagged} details.sanction summary")).await?;
        let item_id: String = browser
            .client
            .execute("return document.querySelector(arguments[0]).id.replace('item-', '');", vec![serde_json::json!(flagged)])
            .await
            .or_text("item id")?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        set_value(browser, &format!("s-kind-{item_id}"), "suspend").await?;
        browser.fill(&format!("s-hours-{item_id}"), "24").await.or_text("hours")?;
        browser.fill(&format!("s-rule-{item_id}"), "Be kind").await.or_text("rule")?;
        browser.fill(&format!("s-reason-{item_id}"), "Told members to stay home").await.or_text("reason")?;
        browser.click_css(&format!("{flagged} details.sanction button[type=submit]")).await.or_text("apply")?;
        check(text_of(browser, ".flash").await?.contains("Suspended: recorded"), "suspended")?;
        sign_out(browser).await?;

        // The suspended member cannot post, in the page or the API, and sees why.
        sign_in(browser, &server, "hugo@acme.test", "a long password").await?;
        browser.client.goto(&server.url(&topic_path)).await.or_text("thread")?;
        let notice = text_of(browser, "#standing-notice").await?;
        check(notice.contains("suspended") && notice.contains("Told members to stay home") && notice.contains("Be kind"), format!("the reason: {notice}"))?;
        browser.fill("reply-body", "Sorry, that came out wrong.").await.or_text("reply")?;
        browser.click_css("#reply-form button[type=submit]").await.or_text("send")?;
        let refused = text_of(browser, "#reply-form .form-error").await?;
        check(refused.contains("You are suspended"), format!("refused with the reason: {refused}"))?;
        let kept = browser.client.find(Locator::Id("reply-body")).await.or_text("kept")?.prop("value").await.or_text("value")?;
        check(kept.as_deref() == Some("Sorry, that came out wrong."), "the text is kept")?;
        let by_api = api
            .post(server.url(&format!("/api/v1/w/acme/threads/{topic_id}/replies")))
            .bearer_auth(&tokens["hugo"])
            .json(&serde_json::json!({"body": "Sorry, that came out wrong."}))
            .send()
            .await
            .or_text("api reply")?;
        check(by_api.status().as_u16() == 403, "the API refuses too")?;
        let problem: serde_json::Value = by_api.json().await.or_text("problem")?;
        check(problem["title"].as_str().is_some_and(|t| t.contains("Told members to stay home")), format!("and says why: {problem}"))?;

        // The member appeals from their standing page.
        browser.client.goto(&server.url("/w/acme/moderation/mine")).await.or_text("mine")?;
        let suspended_entry = "li.card[id^=action-]";
        check(text_of(browser, suspended_entry).await?.contains("Suspended a member"), "the action is listed")?;
        click_here(browser, &format!("{suspended_entry} details summary")).await?;
        let textarea: String = browser
            .client
            .execute("return document.querySelector(arguments[0] + ' textarea').id;", vec![serde_json::json!(suspended_entry)])
            .await
            .or_text("appeal field")?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        browser.fill(&textarea, "I was joking with Bea, we ride together every week; I apologised.").await.or_text("appeal text")?;
        browser.click_css(&format!("{suspended_entry} details button[type=submit]")).await.or_text("send appeal")?;
        check(text_of(browser, ".flash").await?.contains("Appeal sent"), "appealed")?;
        browser.screenshot("moderation-standing").await;
        sign_out(browser).await?;

        // The moderator who suspended cannot decide the appeal; another one does.
        sign_in(browser, &server, "milo@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/moderation?kind=appeal")).await.or_text("appeals")?;
        browser.click_css(".review-item[data-kind=appeal] button[value=agree]").await.or_text("agree")?;
        check(text_of(browser, ".flash").await?.contains("a different moderator decides"), "not the moderator who acted")?;
        sign_out(browser).await?;
        sign_in(browser, &server, "cora@acme.test", "a long password").await?;
        browser.client.goto(&server.url("/w/acme/moderation?kind=appeal")).await.or_text("appeals")?;
        browser.click_css(".review-item[data-kind=appeal] button[value=agree]").await.or_text("agree")?;
        check(text_of(browser, ".flash").await?.contains("undid the action"), "the appeal is upheld")?;
        browser.client.goto(&server.url("/w/acme/moderation/log")).await.or_text("log")?;
        let log = browser.main_text().await.or_text("log")?;
        check(log.contains("Agreed with an appeal") && log.contains("Suspended a member") && log.contains("Post hidden by community flags"), format!("the public log: {log}"))?;
        check(!log.contains("Hugo"), "names hidden by default")?;
        browser.screenshot("moderation-log").await;
        sign_out(browser).await?;

        // The member posts again.
        sign_in(browser, &server, "hugo@acme.test", "a long password").await?;
        browser.client.goto(&server.url(&topic_path)).await.or_text("thread")?;
        browser.fill("reply-body", "Thanks. See you Sunday, at the back with the coffee.").await.or_text("reply")?;
        browser.click_css("#reply-form button[type=submit]").await.or_text("send")?;
        check(browser.main_text().await.or_text("thread")?.contains("at the back with the coffee"), "posted again")?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_community_manager_reads_a_groups_health_and_exports_the_members_at_risk() {
    let data = TempDir::new("browser-health");
    let seeded = crate::harness::agora(data.path())
        .args(["demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let server = Server::start(data.path(), &["serve"], &[]);
    with_browser(
        "the_community_manager_reads_a_groups_health",
        async |browser| {
            sign_in(browser, &server, "cm@demo.agora", "agora-demo-pass").await?;
            browser
                .client
                .goto(&server.url("/w/northwind/analytics"))
                .await
                .or_text("open analytics")?;
            browser
                .click_css("#health-link")
                .await
                .or_text("community health link")?;
            check(
                text_of(browser, "h1").await? == "Community health",
                "the workspace's health dashboard",
            )?;
            let spaces = text_of(browser, "#spaces").await?;
            check(
                spaces.contains("Sunday Riders") && spaces.contains("Audience"),
                format!("verdicts per space: {spaces:.400}"),
            )?;

            // The group that behaves like an audience says so.
            browser
                .client
                .find(Locator::LinkText("Product Announcements"))
                .await
                .or_text("Product Announcements link")?
                .click()
                .await
                .or_text("open Product Announcements")?;
            check(
                text_of(browser, "#verdict").await? == "Audience",
                "Product Announcements is an audience",
            )?;
            check(
                text_of(browser, "#audience-warning")
                    .await?
                    .contains("behaves like an audience"),
                "a warning on a group that behaves like an audience",
            )?;
            browser.client.back().await.or_text("back")?;

            // Sunday Riders: the verdict, the numbers behind it, the charts.
            browser
                .client
                .find(Locator::LinkText("Sunday Riders"))
                .await
                .or_text("Sunday Riders link")?
                .click()
                .await
                .or_text("open Sunday Riders")?;
            let heading = text_of(browser, "h1").await?;
            check(
                heading == "Health of Sunday Riders",
                format!("group dashboard: {heading}"),
            )?;
            let verdict = text_of(browser, "#verdict").await?;
            check(
                verdict == "Community",
                format!("Sunday Riders' verdict: {verdict}"),
            )?;
            for number in ["#m2m", "#pfr", "#lcc", "#rho"] {
                let value = text_of(browser, number).await?;
                check(
                    value != "—" && !value.is_empty(),
                    format!("{number} shown: {value}"),
                )?;
            }
            let bars = browser
                .client
                .find_all(Locator::Css("#active-chart svg rect"))
                .await
                .or_text("chart bars")?;
            check(
                bars.len() == 28,
                format!("a bar per day of the window: {}", bars.len()),
            )?;
            let cohorts = browser
                .client
                .find_all(Locator::Css("#cohorts tbody tr"))
                .await
                .or_text("cohort rows")?;
            check(!cohorts.is_empty(), "retention cohorts")?;
            browser.screenshot("health-group").await;
            let scroll_to = |id: &'static str| {
                browser.client.execute(
                    "document.getElementById(arguments[0]).scrollIntoView();",
                    vec![serde_json::json!(id)],
                )
            };
            scroll_to("active-chart").await.or_text("scroll")?;
            browser.screenshot("health-group-chart").await;
            scroll_to("cohorts").await.or_text("scroll")?;
            browser.screenshot("health-group-cohorts").await;
            browser
                .client
                .set_window_size(390, 844)
                .await
                .or_text("phone")?;
            browser.screenshot("health-group-phone").await;
            scroll_to("active-chart").await.or_text("scroll")?;
            browser.screenshot("health-group-chart-phone").await;
            scroll_to("cohorts").await.or_text("scroll")?;
            browser.screenshot("health-group-cohorts-phone").await;
            browser
                .client
                .set_window_size(1280, 900)
                .await
                .or_text("laptop")?;

            // Drill down into the members at risk, and export them.
            let n_at_risk: usize = text_of(browser, "#at-risk")
                .await?
                .parse()
                .or_text("at-risk count")?;
            check(n_at_risk > 0, "the demo group has members at risk")?;
            browser
                .click_css("#at-risk-link")
                .await
                .or_text("drill down")?;
            check(
                text_of(browser, "h1").await? == "Members at risk in Sunday Riders",
                "the members at risk",
            )?;
            let mut names = Vec::new();
            for cell in browser
                .client
                .find_all(Locator::Css("#members-list tbody tr td:first-child"))
                .await
                .or_text("member rows")?
            {
                names.push(cell.text().await.or_text("member name")?);
            }
            check(
                names.len() == n_at_risk,
                format!("{} names for {n_at_risk}", names.len()),
            )?;
            browser.screenshot("health-at-risk").await;
            let href = browser
                .client
                .find(Locator::Id("members-csv"))
                .await
                .or_text("CSV link")?
                .attr("href")
                .await
                .or_text("href")?
                .unwrap_or_default();
            let csv = browser
                .client
                .execute_async(
                    "const [url, done] = arguments; fetch(url).then(r => r.text()).then(done);",
                    vec![serde_json::json!(href)],
                )
                .await
                .or_text("download the CSV")?;
            let csv = csv.as_str().unwrap_or_default().to_owned();
            let mut lines = csv.lines();
            check(
                lines.next() == Some("member_id,name,handle,Last active,activated"),
                format!("CSV header: {csv:.200}"),
            )?;
            let exported: Vec<String> = lines
                .map(|line| line.split(',').nth(1).unwrap_or_default().to_owned())
                .collect();
            check(
                exported == names,
                format!("the CSV lists the page's members: {exported:?} vs {names:?}"),
            )?;
            Ok(())
        },
    )
    .await;
}
