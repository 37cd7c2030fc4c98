//! How long a post is, counted the way each network counts it, and each
//! network's default limits: used to validate a post before it is sent, and by
//! the composer to show what is left.
//!
//! The networks disagree on what a "character" is. Bluesky counts extended
//! grapheme clusters (and separately caps UTF-8 bytes); Mastodon counts
//! graphemes too, but every `http(s)` URL as a fixed 23 and a remote mention
//! `@user@domain` as just `@user`; X weighs code points (most scripts outside
//! Latin count double) and URLs as 23. Everything else here counts Unicode
//! scalar values.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// Bluesky's limit on a post's text in graphemes.
pub const BLUESKY_MAX_GRAPHEMES: usize = 300;
/// Bluesky's limit on a post's text in UTF-8 bytes.
pub const BLUESKY_MAX_BYTES: usize = 3000;
/// What Mastodon and X count for any URL, whatever its length.
pub const CHARS_PER_URL: usize = 23;
/// X's limit in weighted characters.
pub const X_MAX_WEIGHTED: usize = 280;

/// A network Agora publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    Mastodon,
    Bluesky,
    Matrix,
    Email,
    Webhook,
    LinkedIn,
    Facebook,
    X,
    Threads,
}

/// How much one post may hold on a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// In the network's own unit (see [`Network::length`]).
    pub max_chars: usize,
    pub max_media: usize,
}

impl Network {
    pub const ALL: [Network; 9] = [
        Network::Mastodon,
        Network::Bluesky,
        Network::Matrix,
        Network::Email,
        Network::Webhook,
        Network::LinkedIn,
        Network::Facebook,
        Network::X,
        Network::Threads,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Mastodon => "mastodon",
            Network::Bluesky => "bluesky",
            Network::Matrix => "matrix",
            Network::Email => "email",
            Network::Webhook => "webhook",
            Network::LinkedIn => "linkedin",
            Network::Facebook => "facebook",
            Network::X => "x",
            Network::Threads => "threads",
        }
    }

    pub fn parse(raw: &str) -> Option<Network> {
        Network::ALL
            .into_iter()
            .find(|network| network.as_str() == raw)
    }

    /// The limits when the channel has not told us better (a Mastodon instance
    /// advertises its own, which `check` reads).
    pub fn default_limits(self) -> Limits {
        let (max_chars, max_media) = match self {
            Network::Mastodon => (500, 4),
            Network::Bluesky => (BLUESKY_MAX_GRAPHEMES, 4),
            Network::Matrix => (65_536, 10),
            Network::LinkedIn => (3_000, 9),
            Network::Facebook => (63_206, 10),
            Network::X => (X_MAX_WEIGHTED, 4),
            Network::Threads => (500, 10),
            Network::Email => (100_000, 10),
            Network::Webhook => (100_000, 10),
        };
        Limits {
            max_chars,
            max_media,
        }
    }

    /// The text's length as this network counts it, to compare with
    /// [`Limits::max_chars`]. `chars_per_url` matters only for Mastodon (the
    /// instance says; 23 by default). Bluesky also caps bytes: see
    /// [`bluesky_bytes`].
    pub fn length(self, text: &str, chars_per_url: usize) -> usize {
        match self {
            Network::Mastodon => mastodon_length(text, chars_per_url),
            Network::Bluesky => bluesky_graphemes(text),
            Network::X => x_weighted_length(text),
            Network::Matrix
            | Network::Email
            | Network::Webhook
            | Network::LinkedIn
            | Network::Facebook
            | Network::Threads => text.chars().count(),
        }
    }
}

/// Bluesky's count: extended grapheme clusters (limit 300).
pub fn bluesky_graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Bluesky's other limit: UTF-8 bytes (limit 3000).
pub fn bluesky_bytes(text: &str) -> usize {
    text.len()
}

/// Mastodon's count: every `http://` or `https://` URL counts as
/// `chars_per_url`, a remote mention `@user@domain` as `@user`, and the rest in
/// grapheme clusters.
///
/// Mastodon's own `StatusLengthValidator` counts grapheme clusters after the
/// same two substitutions, so an emoji family is one character there. (The
/// mastodon-mock test peer counts code points and ignores the URL rule, so it
/// rejects some posts that Mastodon accepts.)
pub fn mastodon_length(text: &str, chars_per_url: usize) -> usize {
    let mut length = 0;
    let mut position = 0;
    let urls = find_urls(text);
    let mentions: Vec<(Range<usize>, usize)> = find_remote_mentions(text)
        .into_iter()
        .filter(|(mention, _)| urls.iter().all(|url| !overlaps(url, mention)))
        .map(|(mention, user_end)| {
            let counted = bluesky_graphemes(&text[mention.start..user_end]);
            (mention, counted)
        })
        .collect();
    let mut replacements: Vec<(Range<usize>, usize)> = urls
        .into_iter()
        .map(|url| (url, chars_per_url))
        .chain(mentions)
        .collect();
    replacements.sort_by_key(|(range, _)| range.start);
    for (range, counted) in replacements {
        length += bluesky_graphemes(&text[position..range.start]) + counted;
        position = range.end;
    }
    length + bluesky_graphemes(&text[position..])
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// X's weighted length (twitter-text 3): a URL counts 23; a code point in
/// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F or U+2032–U+2037 counts 1,
/// any other 2; an emoji, even a sequence joined with ZWJ, counts 2 in all.
/// (X also normalises to NFC first; text typed on a keyboard already is.)
pub fn x_weighted_length(text: &str) -> usize {
    let mut length = 0;
    let mut position = 0;
    for url in find_urls(text) {
        length += x_weighted_plain(&text[position..url.start]) + CHARS_PER_URL;
        position = url.end;
    }
    length + x_weighted_plain(&text[position..])
}

fn x_weighted_plain(text: &str) -> usize {
    text.graphemes(true)
        .map(|grapheme| {
            if is_emoji_grapheme(grapheme) {
                2
            } else {
                grapheme.chars().map(x_weight).sum()
            }
        })
        .sum()
}

fn x_weight(c: char) -> usize {
    match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

/// Whether a grapheme cluster is an emoji (possibly a ZWJ sequence, a flag, a
/// keycap or a symbol with the emoji variation selector).
fn is_emoji_grapheme(grapheme: &str) -> bool {
    grapheme.chars().any(|c| {
        matches!(
            u32::from(c),
            0x1F000
                ..=0x1FAFF // pictographs, emoticons, transport, regional indicators
            | 0xFE0F          // emoji presentation selector
            | 0x20E3 // combining keycap
        )
    })
}

/// The byte ranges of the `http://` and `https://` URLs in `text`.
///
/// A URL starts at the scheme when it is at the start or follows a character
/// that is not a letter or digit, and runs to the next whitespace or angle
/// bracket; trailing punctuation that usually ends a sentence (`.,;:!?'"`) is
/// left out, and so is a closing `)` that has no `(` inside the URL.
pub fn find_urls(text: &str) -> Vec<Range<usize>> {
    let mut urls = Vec::new();
    let mut search_from = 0;
    while let Some(found) = next_scheme(&text[search_from..]) {
        let start = search_from + found;
        let preceded_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let scheme_len = if text[start..].starts_with("https://") {
            8
        } else {
            7
        };
        let rest = &text[start..];
        let mut end = start
            + rest
                .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
                .unwrap_or(rest.len());
        while let Some(last) = text[..end].chars().next_back() {
            let unbalanced_paren = last == ')'
                && text[start..end].matches('(').count() < text[start..end].matches(')').count();
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"') || unbalanced_paren {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        if preceded_ok && end > start + scheme_len {
            urls.push(start..end);
            search_from = end;
        } else {
            search_from = start + scheme_len;
        }
    }
    urls
}

fn next_scheme(text: &str) -> Option<usize> {
    let http = text.find("http://");
    let https = text.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Remote mentions `@user@domain`: the whole range, and where `@user` ends.
/// As in Mastodon, the `@` must not follow a letter, digit, `_` or `/`.
fn find_remote_mentions(text: &str) -> Vec<(Range<usize>, usize)> {
    let mut mentions = Vec::new();
    let bytes = text.as_bytes();
    let is_user_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'@' {
            index += 1;
            continue;
        }
        let preceded_ok = text[..index]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/'));
        let user_start = index + 1;
        let mut user_end = user_start;
        while user_end < bytes.len() && is_user_byte(bytes[user_end]) {
            user_end += 1;
        }
        if !preceded_ok || user_end == user_start || bytes.get(user_end) != Some(&b'@') {
            index = user_end.max(index + 1);
            continue;
        }
        let domain_start = user_end + 1;
        let mut domain_end = domain_start;
        while domain_end < bytes.len()
            && (is_user_byte(bytes[domain_end])
                || bytes[domain_end] == b'.'
                || bytes[domain_end] == b'-')
        {
            domain_end += 1;
        }
        // The domain ends on a word character, not on `.` or `-`.
        while domain_end > domain_start && matches!(bytes[domain_end - 1], b'.' | b'-') {
            domain_end -= 1;
        }
        if domain_end > domain_start {
            mentions.push((index..domain_end, user_end));
            index = domain_end;
        } else {
            index = user_end;
        }
    }
    mentions
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILY: &str = "👨\u{200d}👩\u{200d}👧";

    #[test]
    fn network_names_round_trip() {
        for network in Network::ALL {
            assert_eq!(Network::parse(network.as_str()), Some(network));
        }
        assert_eq!(Network::parse("twitter"), None);
        assert_eq!(Network::parse("Mastodon"), None);
    }

    #[test]
    fn bluesky_counts_a_zwj_family_as_one_grapheme_but_many_bytes() {
        assert_eq!(FAMILY.chars().count(), 5);
        assert_eq!(bluesky_graphemes(FAMILY), 1);
        assert_eq!(bluesky_bytes(FAMILY), 18);
        assert_eq!(bluesky_graphemes(&FAMILY.repeat(300)), 300);
        assert!(bluesky_bytes(&FAMILY.repeat(300)) > BLUESKY_MAX_BYTES);
        assert_eq!(bluesky_graphemes("e\u{301}"), 1);
        assert_eq!(bluesky_graphemes("🇫🇷🇩🇪"), 2);
        assert_eq!(Network::Bluesky.length("Grüße 🎉", 23), 7);
    }

    #[test]
    fn urls_are_found_without_trailing_punctuation() {
        let text = "See https://example.com/a?b=c. And (http://x.org/wiki/Foo_(bar)) too!";
        let found: Vec<&str> = find_urls(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            found,
            ["https://example.com/a?b=c", "http://x.org/wiki/Foo_(bar)"]
        );
        assert!(find_urls("nohttps://example.com").is_empty());
        assert!(find_urls("just https:// alone").is_empty());
        let text = "🎉https://example.com/ü";
        assert_eq!(find_urls(text), vec![4..text.len()]);
    }

    #[test]
    fn mastodon_counts_urls_as_23_and_remote_mentions_as_local() {
        let url = format!("https://example.com/{}", "a".repeat(80));
        assert_eq!(mastodon_length(&url, 23), 23);
        assert_eq!(mastodon_length(&format!("go {url} now"), 23), 30);
        assert_eq!(mastodon_length("hi @alice@example.social!", 23), 10);
        assert_eq!(mastodon_length("hi @alice", 23), 9);
        // An e-mail address is not a mention.
        assert_eq!(mastodon_length("a@b@c.org", 23), 9);
        assert_eq!(mastodon_length(FAMILY, 23), 1);
        assert_eq!(mastodon_length(&"é".repeat(500), 23), 500);
        // 450 letters and an 80-character URL: 474 by Mastodon's rule.
        let text = format!("{} {}", "a".repeat(450), &url[..80]);
        assert_eq!(mastodon_length(&text, 23), 474);
        assert_eq!(Network::Mastodon.length(&url, 30), 30);
    }

    #[test]
    fn x_weighs_cjk_double_and_urls_as_23() {
        assert_eq!(x_weighted_length("hello"), 5);
        assert_eq!(x_weighted_length("日本語"), 6);
        assert_eq!(x_weighted_length(&"あ".repeat(140)), 280);
        assert_eq!(x_weighted_length("한국어 ok"), 9);
        assert_eq!(
            x_weighted_length("read https://example.com/a/very/long/path/indeed"),
            28
        );
        assert_eq!(x_weighted_length("😀"), 2);
        assert_eq!(x_weighted_length(FAMILY), 2);
        assert_eq!(x_weighted_length("👍🏽"), 2);
        // U+2026 … lies outside the light ranges.
        assert_eq!(x_weighted_length("“quoted” — ok…"), 15);
        assert_eq!(x_weighted_length("1\u{fe0f}\u{20e3}"), 2);
        assert_eq!(Network::X.length("日本", 23), 4);
    }

    #[test]
    fn every_network_has_limits() {
        assert_eq!(
            Network::Mastodon.default_limits(),
            Limits {
                max_chars: 500,
                max_media: 4
            }
        );
        assert_eq!(Network::Bluesky.default_limits().max_chars, 300);
        assert_eq!(Network::X.default_limits().max_chars, 280);
        assert_eq!(Network::LinkedIn.default_limits().max_media, 9);
        assert_eq!(Network::Facebook.default_limits().max_chars, 63_206);
        for network in Network::ALL {
            assert!(network.default_limits().max_chars > 0);
        }
        assert_eq!(Network::Matrix.length(FAMILY, 23), 5);
    }
}
