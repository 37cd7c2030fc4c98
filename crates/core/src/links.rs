//! Tracked links: the redirect `{public_url}/r/{token}` that stands for a
//! published post's link, so the audience KPIs and the funnel can count the
//! clicks on it.
//!
//! When a target is published with tracking on, every `http(s)://` link of
//! its text gets a row (target, position among the text's links, original
//! URL, token), created idempotently so that a retry sends the same text.
//! How the redirect replaces the link depends on the network
//! ([`substitute`]): in the text where the network counts every URL the same
//! (Mastodon, X), in the link facet only on Bluesky (the text is counted in
//! graphemes and stays as written), and in the text elsewhere only when the
//! result still fits the network's limit.
//!
//! A click is counted for every `GET` of the redirect except link-preview
//! fetchers and other programs, recognised by their User-Agent
//! ([`is_automated`]).

use std::future::Future;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::members::MemberId;
use crate::posts::TargetId;
use crate::text_limits::{self, Network};

/// Random bytes in a token: 8 bytes are 11 URL-safe base64 characters.
pub const TOKEN_BYTES: usize = 8;

/// One tracked link of a published target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedLink {
    pub id: i64,
    pub target_id: TargetId,
    /// The link's place among the text's links (0 for the first).
    pub position: i64,
    /// Where the redirect leads.
    pub url: String,
    pub token: String,
}

/// What the redirect needs to answer and count a click.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHit {
    pub link_id: i64,
    pub workspace_id: WorkspaceId,
    pub url: String,
}

/// The redirect's address for a token, on the instance's public URL.
pub fn redirect_url(public_url: &str, token: &str) -> String {
    format!("{}/r/{token}", public_url.trim_end_matches('/'))
}

/// Whether a public URL can carry redirects: it must be an absolute
/// `http(s)` URL (loopback and `.example` hosts work too; the tests use them).
pub fn can_redirect(public_url: &str) -> bool {
    let rest = public_url
        .strip_prefix("https://")
        .or_else(|| public_url.strip_prefix("http://"));
    rest.is_some_and(|rest| !rest.trim_matches('/').is_empty())
}

/// User-Agent fragments (compared in lower case) of programs that fetch a
/// link without a person clicking it: every Mastodon-compatible server that
/// receives a post fetches its link for the preview card, chat apps unfurl
/// links, crawlers index them, and command-line clients and HTTP libraries
/// are scripts and link checkers.
pub const AUTOMATED_AGENTS: [&str; 28] = [
    "bot",
    "crawler",
    "spider",
    "preview",
    "mastodon/",
    "pleroma",
    "akkoma",
    "misskey",
    "gotosocial",
    "http.rb",
    "facebookexternalhit",
    "bluesky",
    "cardyb",
    "slackbot",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "skypeuripreview",
    "embedly",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "headlesschrome",
    "node-fetch",
];

/// A request that does not count as a click: no User-Agent at all (every
/// browser sends one), or one naming a preview fetcher, a crawler or a
/// command-line client ([`AUTOMATED_AGENTS`]).
pub fn is_automated(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    AUTOMATED_AGENTS
        .iter()
        .any(|fragment| agent.contains(fragment))
}

/// What goes out for one target once its links are tracked (or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// The text to send.
    pub text: String,
    /// Bluesky: the `uri` of each link facet, by position (empty: the links
    /// themselves).
    pub facet_uris: Vec<String>,
    /// Whether the target's clicks are counted.
    pub tracked: bool,
}

impl Substitution {
    /// Nothing tracked: the text as written.
    pub fn untracked(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            facet_uris: Vec::new(),
            tracked: false,
        }
    }
}

/// Replaces each link of `text` (by position, as [`text_limits::find_urls`]
/// finds them) with its redirect, the way `network` allows:
///
/// - Mastodon and X count any URL as a fixed number of characters: the
///   redirect replaces the link in the text;
/// - Bluesky counts graphemes and lets a link facet's `uri` differ from the
///   text it covers: the text stays as written, the facets carry the redirects;
/// - the other networks count the URL's characters: the redirect replaces the
///   link only if the text still fits `max_chars`, else nothing is tracked.
///
/// A text without links is tracked (it has 0 clicks). `redirects` must have
/// one entry per link; otherwise nothing is tracked.
pub fn substitute(
    network: Network,
    text: &str,
    redirects: &[String],
    max_chars: usize,
    chars_per_url: usize,
) -> Substitution {
    let urls = text_limits::find_urls(text);
    if urls.len() != redirects.len() {
        return Substitution::untracked(text);
    }
    if network == Network::Bluesky {
        return Substitution {
            text: text.to_owned(),
            facet_uris: redirects.to_vec(),
            tracked: true,
        };
    }
    let mut replaced = String::with_capacity(text.len() + 40 * urls.len());
    let mut position = 0;
    for (url, redirect) in urls.iter().zip(redirects) {
        replaced.push_str(&text[position..url.start]);
        replaced.push_str(redirect);
        position = url.end;
    }
    replaced.push_str(&text[position..]);
    let fits = match network {
        Network::Mastodon | Network::X => true,
        _ => network.length(&replaced, chars_per_url) <= max_chars,
    };
    if fits {
        Substitution {
            text: replaced,
            facet_uris: Vec::new(),
            tracked: true,
        }
    } else {
        Substitution::untracked(text)
    }
}

/// Where tracked links, their clicks and the workspace's setting live.
pub trait LinkStore: Send + Sync {
    /// The workspace's "track link clicks" setting (on by default).
    fn track_link_clicks(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn set_track_link_clicks(
        &self,
        workspace: WorkspaceId,
        on: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The target's tracked links for these URLs, by position: created the
    /// first time, the same rows and tokens afterwards (a changed URL at a
    /// position keeps its token and leads to the new URL).
    fn tracked_links(
        &self,
        target: TargetId,
        urls: &[String],
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<TrackedLink>, StoreError>> + Send;
    /// Records whether the target's clicks are counted.
    fn set_links_tracked(
        &self,
        target: TargetId,
        tracked: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The link behind a token.
    fn link_by_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<LinkHit>, StoreError>> + Send;
    /// Counts one click (by a member of the link's workspace, when signed in).
    fn record_click(
        &self,
        link: i64,
        at: Timestamp,
        member: Option<MemberId>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Clicks counted on the target's links so far.
    fn target_clicks(
        &self,
        target: TargetId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirects(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| redirect_url("https://agora.example/", &format!("tok{i}aaaaaaaa")))
            .collect()
    }

    #[test]
    fn mastodon_and_x_get_the_redirect_in_the_text() {
        let text =
            "Read https://lumen.coffee/autumn-roast?utm_source=x, then (https://b.example/).";
        for network in [Network::Mastodon, Network::X] {
            let out = substitute(network, text, &redirects(2), 500, 23);
            assert!(out.tracked);
            assert_eq!(
                out.text,
                "Read https://agora.example/r/tok0aaaaaaaa, then (https://agora.example/r/tok1aaaaaaaa)."
            );
            assert!(out.facet_uris.is_empty());
            // Both count a URL as 23, so the length does not change.
            assert_eq!(
                network.length(&out.text, 23),
                network.length(text, 23),
                "{network:?}"
            );
        }
    }

    #[test]
    fn bluesky_keeps_the_text_and_its_byte_offsets() {
        let text = "🚲👨‍👩‍👧 Ride https://lumen.coffee/rides and 🎉 https://b.example #go";
        let out = substitute(Network::Bluesky, text, &redirects(2), 300, 0);
        assert!(out.tracked);
        assert_eq!(out.text, text, "the text is byte-identical");
        assert_eq!(out.facet_uris, redirects(2));
        // The links are where the facets' byte offsets say, after the emoji.
        let urls = text_limits::find_urls(&out.text);
        assert_eq!(&out.text[urls[0].clone()], "https://lumen.coffee/rides");
        assert_eq!(&out.text[urls[1].clone()], "https://b.example");
        assert_eq!(urls[0].start, "🚲👨‍👩‍👧 Ride ".len());
    }

    #[test]
    fn other_networks_track_only_what_still_fits() {
        let link = "https://l.co/a";
        let redirect = redirects(1);
        assert!(redirect[0].len() > link.len());
        // Exactly at Threads' limit: the longer redirect would not fit.
        let text = format!("{}{link}", "x".repeat(500 - link.chars().count()));
        assert_eq!(Network::Threads.length(&text, 23), 500);
        let out = substitute(Network::Threads, &text, &redirect, 500, 23);
        assert!(!out.tracked);
        assert_eq!(out.text, text);
        // With room to spare it is replaced.
        let short = format!("Autumn roast: {link}");
        let out = substitute(Network::LinkedIn, &short, &redirect, 3_000, 23);
        assert!(out.tracked);
        assert_eq!(out.text, format!("Autumn roast: {}", redirect[0]));
        let out = substitute(Network::Matrix, &short, &redirect, 65_536, 23);
        assert!(out.tracked);
    }

    #[test]
    fn a_text_without_links_is_tracked_with_nothing_to_replace() {
        let out = substitute(Network::Mastodon, "No link here.", &[], 500, 23);
        assert!(out.tracked);
        assert_eq!(out.text, "No link here.");
        // A mismatch between links and redirects tracks nothing.
        let out = substitute(Network::Mastodon, "https://a.example", &[], 500, 23);
        assert!(!out.tracked);
    }

    #[test]
    fn substitution_is_the_same_every_time() {
        let text = "Go https://a.example/x and https://a.example/x";
        let first = substitute(Network::Mastodon, text, &redirects(2), 500, 23);
        let again = substitute(Network::Mastodon, text, &redirects(2), 500, 23);
        assert_eq!(first, again);
    }

    #[test]
    fn previews_crawlers_and_scripts_are_not_clicks() {
        for agent in [
            "http.rb/5.1.1 (Mastodon/4.2.10; +https://velo.social/)",
            "Pleroma 2.6.0; https://pl.example <admin@pl.example>",
            "Akkoma 3.10; https://ak.example",
            "Misskey/2024.5.0 (https://mk.example)",
            "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "curl/8.5.0",
            "python-requests/2.31",
            "",
        ] {
            assert!(is_automated(Some(agent)), "{agent:?}");
        }
        assert!(is_automated(None));
        for agent in [
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        ] {
            assert!(!is_automated(Some(agent)), "{agent:?}");
        }
    }

    #[test]
    fn redirects_need_an_absolute_public_url() {
        assert!(can_redirect("http://127.0.0.1:8080"));
        assert!(can_redirect("https://agora.example/"));
        assert!(!can_redirect(""));
        assert!(!can_redirect("https://"));
        assert_eq!(
            redirect_url("https://agora.example/", "abc"),
            "https://agora.example/r/abc"
        );
    }
}
