//! Auto-moderation: rules of words and patterns a post is checked against
//! before it is published, and the cheap signals beside them (links, images,
//! duplicates).
//!
//! Patterns are compiled by the `regex` crate, whose engines run in time
//! linear in the text: a "catastrophic" pattern such as `(a+)+$` cannot stall
//! the server. On top of that each pattern's compiled size is capped (a
//! pattern too big is refused with the parser's message), and only the first
//! [`MAX_CHECKED_CHARS`] characters of a post are looked at. All rules of a
//! workspace are compiled into one `RegexSet`, so a post is scanned once
//! however many rules there are.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::community::SpaceId;
use crate::members::MemberId;

/// A post is checked up to this many characters (posts are shorter; this
/// bounds the work on anything sent to the checker).
pub const MAX_CHECKED_CHARS: usize = 20_000;
/// The compiled size one pattern may take.
const PATTERN_SIZE_LIMIT: usize = 256 * 1024;
/// The compiled size of a workspace's whole rule set.
const SET_SIZE_LIMIT: usize = 64 * 1024 * 1024;
/// How many words or phrases a word rule may list.
pub const MAX_WORDS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Refuse the post, telling the author which rule (the text is kept).
    Block,
    /// Keep the post out of sight until a moderator approves it.
    Hold,
    /// Publish, and put the post in the review queue.
    Alert,
}

impl RuleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Block => "block",
            RuleAction::Hold => "hold",
            RuleAction::Alert => "alert",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "block" => Some(RuleAction::Block),
            "hold" => Some(RuleAction::Hold),
            "alert" => Some(RuleAction::Alert),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Matcher {
    /// A list of words or phrases, one per line or separated by commas,
    /// matched whole and case-insensitively; `*` at the end of a word
    /// matches any ending (`spam*`).
    Words,
    /// A regular expression (Rust `regex` syntax), case-insensitive.
    Regex,
}

impl Matcher {
    pub fn as_str(self) -> &'static str {
        match self {
            Matcher::Words => "words",
            Matcher::Regex => "regex",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "words" => Some(Matcher::Words),
            "regex" => Some(Matcher::Regex),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRule {
    pub workspace_id: WorkspaceId,
    /// A rule of one group only, or of the whole workspace.
    pub space_id: Option<SpaceId>,
    pub matcher: Matcher,
    pub pattern: String,
    pub action: RuleAction,
    /// What moderators (and, for blocks, the author) are told.
    pub note: String,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub space_id: Option<SpaceId>,
    pub matcher: Matcher,
    pub pattern: String,
    pub action: RuleAction,
    pub note: String,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

/// A rule refused, naming the field and why (for a regular expression, the
/// parser's own message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

fn rule_error(field: &'static str, message: impl Into<String>) -> RuleError {
    RuleError {
        field,
        message: message.into(),
    }
}

/// The words of a word rule, trimmed, without empties.
fn words_of(pattern: &str) -> Vec<&str> {
    pattern
        .split([',', '\n'])
        .map(str::trim)
        .filter(|word| !word.is_empty())
        .collect()
}

fn build(source: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .nest_limit(64)
        .build()
}

/// Checks a rule as typed: the words, or the regular expression (refused
/// with the parser's message), and the note.
pub fn check_rule(matcher: Matcher, pattern: &str, note: &str) -> Result<(), RuleError> {
    match matcher {
        Matcher::Words => {
            let words = words_of(pattern);
            if words.is_empty() {
                return Err(rule_error("pattern", "list at least one word or phrase"));
            }
            if words.len() > MAX_WORDS {
                return Err(rule_error(
                    "pattern",
                    format!("a rule lists at most {MAX_WORDS} words; split it in two"),
                ));
            }
            if let Some(long) = words.iter().find(|word| word.chars().count() > 100) {
                return Err(rule_error(
                    "pattern",
                    format!(
                        "`{}…` is longer than 100 characters",
                        long.chars().take(20).collect::<String>()
                    ),
                ));
            }
            if words
                .iter()
                .any(|word| word.trim_end_matches('*').is_empty())
            {
                return Err(rule_error("pattern", "`*` needs a word before it"));
            }
            if let Some(empty) = words
                .iter()
                .find(|word| self::words(word.trim_end_matches('*')).is_empty())
            {
                return Err(rule_error(
                    "pattern",
                    format!("`{empty}` has no letters or digits to match"),
                ));
            }
        }
        Matcher::Regex => {
            if pattern.trim().is_empty() {
                return Err(rule_error("pattern", "write a regular expression"));
            }
            if pattern.chars().count() > 2_000 {
                return Err(rule_error(
                    "pattern",
                    "a pattern is at most 2,000 characters",
                ));
            }
            if let Err(error) = build(pattern) {
                return Err(rule_error(
                    "pattern",
                    format!("this regular expression does not parse: {error}"),
                ));
            }
            if build(pattern).is_ok_and(|regex| regex.is_match("")) {
                return Err(rule_error(
                    "pattern",
                    "this pattern matches an empty text, so it would match every post",
                ));
            }
        }
    }
    if note.chars().count() > 300 {
        return Err(rule_error("note", "a note is at most 300 characters"));
    }
    Ok(())
}

/// One rule that matched a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHit {
    pub rule_id: i64,
    pub action: RuleAction,
    pub note: String,
    /// The text that matched (at most 60 characters), for moderators.
    pub matched: String,
}

/// A workspace's rules compiled once, checked many times. Word rules go
/// into a word index (a post is split into words once, and each word is
/// looked up), so a thousand word lists cost a few hash lookups per word;
/// pattern rules are compiled together into one `RegexSet`.
pub struct RuleSet {
    rules: Vec<Rule>,
    words: WordIndex,
    /// The pattern rules: (index into `rules`, compiled).
    patterns: Vec<(usize, Regex)>,
    /// All pattern rules at once; `None` if too big to compile together
    /// (then each is tried alone).
    set: Option<RegexSet>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .finish()
    }
}

/// The words of a text as word rules see them: lower case, split at
/// anything that is not a letter or a digit.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Word rules, indexed: whole words, word stems (`spam*`), and phrases
/// (several words in a row), each pointing at its rules.
#[derive(Default)]
struct WordIndex {
    exact: std::collections::HashMap<String, Vec<usize>>,
    stems: std::collections::HashMap<String, Vec<usize>>,
    /// Keyed by the phrase's first word: (the whole phrase, its rule).
    phrases: std::collections::HashMap<String, Vec<(Vec<String>, usize)>>,
    longest_stem: usize,
}

impl WordIndex {
    fn add(&mut self, entry: &str, rule: usize) {
        let stem = entry.ends_with('*');
        let mut parts = words(entry.trim_end_matches('*'));
        match (parts.len(), stem) {
            (0, _) => {}
            (1, true) => {
                let word = parts.remove(0);
                self.longest_stem = self.longest_stem.max(word.chars().count());
                self.stems.entry(word).or_default().push(rule);
            }
            (1, false) => self.exact.entry(parts.remove(0)).or_default().push(rule),
            _ => self
                .phrases
                .entry(parts[0].clone())
                .or_default()
                .push((parts, rule)),
        }
    }

    /// (rule, the words that matched) for every rule some word matches.
    fn find(&self, text: &[String]) -> Vec<(usize, String)> {
        let mut found: Vec<(usize, String)> = Vec::new();
        let mut note = |rule: usize, matched: String| {
            if !found.iter().any(|(seen, _)| *seen == rule) {
                found.push((rule, matched));
            }
        };
        for (at, word) in text.iter().enumerate() {
            if let Some(rules) = self.exact.get(word) {
                for rule in rules {
                    note(*rule, word.clone());
                }
            }
            if !self.stems.is_empty() {
                // Every prefix of the word up to the longest stem, by characters.
                let ends = word
                    .char_indices()
                    .map(|(i, _)| i)
                    .skip(1)
                    .chain(std::iter::once(word.len()))
                    .take(self.longest_stem);
                for end in ends {
                    if let Some(rules) = self.stems.get(&word[..end]) {
                        for rule in rules {
                            note(*rule, word.clone());
                        }
                    }
                }
            }
            if let Some(phrases) = self.phrases.get(word) {
                for (phrase, rule) in phrases {
                    if text.get(at..at + phrase.len()) == Some(phrase.as_slice()) {
                        note(*rule, phrase.join(" "));
                    }
                }
            }
        }
        found
    }
}

/// The start of a text, at most [`MAX_CHECKED_CHARS`] characters.
pub fn checked_part(text: &str) -> &str {
    match text.char_indices().nth(MAX_CHECKED_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

impl RuleSet {
    /// Compiles rules; a stored rule that no longer compiles is skipped.
    pub fn compile(rules: Vec<Rule>) -> Self {
        let mut words = WordIndex::default();
        let mut patterns = Vec::new();
        let mut sources = Vec::new();
        let mut kept = Vec::new();
        for rule in rules {
            let index = kept.len();
            match rule.matcher {
                Matcher::Words => {
                    for entry in words_of(&rule.pattern) {
                        words.add(entry, index);
                    }
                }
                Matcher::Regex => {
                    let Ok(regex) = build(&rule.pattern) else {
                        continue;
                    };
                    patterns.push((index, regex));
                    sources.push(rule.pattern.clone());
                }
            }
            kept.push(rule);
        }
        let set = RegexSetBuilder::new(&sources)
            .case_insensitive(true)
            .size_limit(SET_SIZE_LIMIT)
            .dfa_size_limit(SET_SIZE_LIMIT)
            .build()
            .ok();
        RuleSet {
            rules: kept,
            words,
            patterns,
            set,
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules a text matches, for a post in `space`: the workspace's
    /// rules and that group's own.
    pub fn check(&self, text: &str, space: SpaceId) -> Vec<RuleHit> {
        let text = checked_part(text);
        let applies = |index: usize| self.rules[index].space_id.is_none_or(|id| id == space);
        let mut matched: Vec<(usize, String)> = self
            .words
            .find(&words(text))
            .into_iter()
            .filter(|(index, _)| applies(*index))
            .collect();
        let pattern_hits: Vec<usize> = match &self.set {
            Some(set) => set.matches(text).into_iter().collect(),
            None => (0..self.patterns.len())
                .filter(|i| self.patterns[*i].1.is_match(text))
                .collect(),
        };
        for hit in pattern_hits {
            let (index, regex) = &self.patterns[hit];
            if applies(*index) {
                let found = regex
                    .find(text)
                    .map(|m| m.as_str().chars().take(60).collect())
                    .unwrap_or_default();
                matched.push((*index, found));
            }
        }
        matched.sort_by_key(|(index, _)| *index);
        matched
            .into_iter()
            .map(|(index, found)| {
                let rule = &self.rules[index];
                RuleHit {
                    rule_id: rule.id,
                    action: rule.action,
                    note: rule.note.clone(),
                    matched: found,
                }
            })
            .collect()
    }
}

fn link_regex() -> &'static Regex {
    static LINK: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    LINK.get_or_init(|| {
        Regex::new(r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]]+").expect("a valid link pattern")
    })
}

/// The distinct links in a post's Markdown.
pub fn count_links(text: &str) -> usize {
    let mut links: Vec<&str> = link_regex()
        .find_iter(checked_part(text))
        .map(|m| m.as_str().trim_end_matches(['.', ',', '!', '?', ';', ':']))
        .collect();
    links.sort_unstable();
    links.dedup();
    links.len()
}

/// Whether a post's Markdown embeds an image.
pub fn has_image(text: &str) -> bool {
    let text = checked_part(text);
    text.contains("![") || text.to_ascii_lowercase().contains("<img")
}

/// A post's text reduced for duplicate detection: lower case, letters and
/// digits only, one space between words. Texts shorter than
/// [`DUPLICATE_MIN_CHARS`] once reduced are never duplicates ("thanks!").
pub fn duplicate_key(text: &str) -> Option<String> {
    let mut key = String::new();
    for word in checked_part(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    (key.chars().count() >= DUPLICATE_MIN_CHARS).then_some(key)
}

pub const DUPLICATE_MIN_CHARS: usize = 20;
/// A member's same text again within this window is a duplicate.
pub const DUPLICATE_WINDOW_MILLIS: i64 = 24 * 3_600_000;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(id: i64, matcher: Matcher, pattern: &str, action: RuleAction) -> Rule {
        Rule {
            id,
            workspace_id: 1,
            space_id: None,
            matcher,
            pattern: pattern.into(),
            action,
            note: format!("rule {id}"),
            created_by: 1,
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn words_match_whole_and_case_insensitively() {
        let set = RuleSet::compile(vec![rule(
            1,
            Matcher::Words,
            "buy now, crypto*\ncheap pills",
            RuleAction::Hold,
        )]);
        assert_eq!(set.check("BUY NOW while it lasts", 1).len(), 1);
        assert_eq!(
            set.check("cryptocurrency tips", 1)[0].matched,
            "cryptocurrency"
        );
        assert!(set.check("we buy nowhere", 1).is_empty());
        assert!(set.check("cheap", 1).is_empty());
    }

    #[test]
    fn phrases_stems_and_accents() {
        let set = RuleSet::compile(vec![rule(
            5,
            Matcher::Words,
            "vélo volé, arnaque*, e-mail me",
            RuleAction::Alert,
        )]);
        assert_eq!(set.check("Mon VÉLO VOLÉ hier", 1)[0].matched, "vélo volé");
        assert_eq!(
            set.check("c'est une arnaqueuse", 1)[0].matched,
            "arnaqueuse"
        );
        assert_eq!(set.check("just E-MAIL me!", 1).len(), 1);
        assert_eq!(
            set.check("vélo, volé", 1).len(),
            1,
            "punctuation between words"
        );
        assert!(set.check("volé vélo", 1).is_empty());
        assert!(check_rule(Matcher::Words, "!!!", "").is_err());
    }

    #[test]
    fn group_rules_apply_in_their_group_only() {
        let mut scoped = rule(2, Matcher::Words, "spoiler", RuleAction::Block);
        scoped.space_id = Some(7);
        let set = RuleSet::compile(vec![scoped]);
        assert_eq!(set.check("spoiler: he wins", 7).len(), 1);
        assert!(set.check("spoiler: he wins", 8).is_empty());
    }

    #[test]
    fn an_invalid_pattern_is_refused_with_the_parsers_message() {
        let error = check_rule(Matcher::Regex, "(unclosed", "").unwrap_err();
        assert_eq!(error.field, "pattern");
        assert!(
            error.message.contains("unclosed group"),
            "{}",
            error.message
        );
        // Look-around is not supported by a linear-time engine: refused, not accepted silently.
        let error = check_rule(Matcher::Regex, "foo(?=bar)", "").unwrap_err();
        assert!(error.message.contains("look-around"), "{}", error.message);
        assert!(
            check_rule(Matcher::Regex, "a*", "").is_err(),
            "matches everything"
        );
        assert!(check_rule(Matcher::Words, " , ", "").is_err());
        assert!(check_rule(Matcher::Regex, r"\bfree\s+money\b", "spam").is_ok());
        // A pattern too large to compile is refused too.
        assert!(check_rule(Matcher::Regex, r"\w{1000}{1000}", "").is_err());
    }

    #[test]
    fn a_catastrophic_pattern_runs_in_linear_time() {
        // With a backtracking engine this takes longer than the universe's age.
        let set = RuleSet::compile(vec![
            rule(3, Matcher::Regex, "(a+)+$b", RuleAction::Hold),
            rule(4, Matcher::Regex, "(x+x+)+y", RuleAction::Hold),
        ]);
        let text = format!("{}!", "x".repeat(100_000));
        assert!(set.check(&text, 1).is_empty());
        assert_eq!(set.check("xxxxy", 1).len(), 1);
    }

    #[test]
    fn links_images_and_duplicates() {
        assert_eq!(
            count_links(
                "see https://a.example/x, http://b.example and www.c.example. Again https://a.example/x"
            ),
            3
        );
        assert_eq!(count_links("[docs](https://docs.example/start)"), 1);
        assert_eq!(count_links("no links here, just a.b"), 0);
        assert!(has_image("look ![a bike](https://x.example/b.png)"));
        assert!(!has_image("look at [a bike](https://x.example)"));
        assert_eq!(
            duplicate_key("Join my  GIVEAWAY now!!! Win a bike."),
            duplicate_key("join my giveaway now — win a BIKE")
        );
        assert_eq!(duplicate_key("thanks!"), None);
    }
}
