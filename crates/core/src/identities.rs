//! Members and their identities: a member is known by a native account, an
//! e-mail, a Bluesky handle, a Mastodon account, a Matrix id… Two member
//! rows that are one person are suggested for merging with the reason shown
//! (the same e-mail, the same handle on two networks, similar names in the
//! same spaces), merged without rewriting anything (the merged row points at
//! the kept one; the interaction log reads it as the kept member), and
//! unmerged the same way. Staff keep tags and private notes on members.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use serde::Serialize;

use crate::accounts::WorkspaceId;
use crate::clock::Timestamp;
use crate::community::SpaceId;
use crate::error::StoreError;
use crate::members::MemberId;

/// The networks an identity may be on.
pub const NETWORKS: [&str; 5] = ["email", "bluesky", "mastodon", "matrix", "other"];

/// An identity as typed: the network and the id there (`ann.bsky.social`,
/// `@ann@mastodon.social`, `@ann:matrix.org`, `ann@example.org`).
pub fn check_identity(network: &str, value: &str) -> Result<(String, String), String> {
    let network = network.trim().to_lowercase();
    if !NETWORKS.contains(&network.as_str()) {
        return Err(format!("choose one of {}", NETWORKS.join(", ")));
    }
    let value = value.trim();
    let ok = match network.as_str() {
        "email" => value
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')),
        "bluesky" => value.starts_with("did:") || value.trim_start_matches('@').contains('.'),
        "mastodon" => value
            .trim_start_matches('@')
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')),
        "matrix" => value.starts_with('@') && value.contains(':'),
        _ => !value.is_empty(),
    };
    if !ok || value.chars().count() > 200 {
        let example = match network.as_str() {
            "email" => "ann@example.org",
            "bluesky" => "ann.bsky.social or a did:plc:…",
            "mastodon" => "@ann@mastodon.social",
            "matrix" => "@ann:matrix.org",
            _ => "any id, up to 200 characters",
        };
        return Err(format!(
            "`{value}` is not a {network} id; write it like {example}"
        ));
    }
    let value = if network == "email" {
        value.to_lowercase()
    } else {
        value.to_owned()
    };
    Ok((network, value))
}

/// The person-part of an identity, for "the same handle on two networks":
/// `ann` for `ann.bsky.social`, `@ann@mastodon.social`, `@ann:matrix.org`.
pub fn local_part(network: &str, value: &str) -> Option<String> {
    let value = value.trim().trim_start_matches('@').to_lowercase();
    let local = match network {
        "bluesky" if !value.starts_with("did:") => value.split('.').next(),
        "mastodon" => value.split('@').next(),
        "matrix" => value.split(':').next(),
        _ => None,
    }?;
    (local.chars().count() >= 3).then(|| local.to_owned())
}

/// A name reduced for comparison: lower case, letters only, accents folded
/// for the common Latin ones, one space between words.
pub fn name_key(name: &str) -> String {
    let folded: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two name keys are one typo apart (or equal).
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a.len() < 5 {
        return false;
    }
    // Levenshtein distance ≤ 1 in one pass.
    let (mut i, mut j, mut edits) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        edits += 1;
        if edits > 1 {
            return false;
        }
        match a.len().cmp(&b.len()) {
            std::cmp::Ordering::Greater => i += 1,
            std::cmp::Ordering::Less => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    edits + (a.len() - i) + (b.len() - j) <= 1
}

/// What suggestions are computed from, per member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    pub id: MemberId,
    pub name: String,
    pub emails: Vec<String>,
    /// (network, value)
    pub identities: Vec<(String, String)>,
    /// Spaces the member acted in.
    pub spaces: Vec<SpaceId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeSuggestion {
    pub first: MemberId,
    pub first_name: String,
    pub second: MemberId,
    pub second_name: String,
    /// Why, in words: "same e-mail ann@example.org", …
    pub reasons: Vec<String>,
}

/// Pairs of members that look like one person, each with its reasons; the
/// pairs in `skip` (dismissed or merged) are left out. Strongest first (most
/// reasons), then by ids.
pub fn suggest(candidates: &[Candidate], skip: &[(MemberId, MemberId)]) -> Vec<MergeSuggestion> {
    let mut reasons: BTreeMap<(MemberId, MemberId), Vec<String>> = BTreeMap::new();
    let mut add = |a: MemberId, b: MemberId, reason: String| {
        if a == b {
            return;
        }
        let pair = (a.min(b), a.max(b));
        let list = reasons.entry(pair).or_default();
        if !list.contains(&reason) {
            list.push(reason);
        }
    };
    let mut by_email: HashMap<String, Vec<MemberId>> = HashMap::new();
    let mut by_local: HashMap<String, Vec<(MemberId, String)>> = HashMap::new();
    for candidate in candidates {
        for email in &candidate.emails {
            by_email
                .entry(email.to_lowercase())
                .or_default()
                .push(candidate.id);
        }
        for (network, value) in &candidate.identities {
            if network == "email" {
                by_email
                    .entry(value.to_lowercase())
                    .or_default()
                    .push(candidate.id);
            }
            if let Some(local) = local_part(network, value) {
                by_local
                    .entry(local)
                    .or_default()
                    .push((candidate.id, network.clone()));
            }
        }
    }
    for (email, members) in &by_email {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                add(*a, *b, format!("same e-mail {email}"));
            }
        }
    }
    for (local, members) in &by_local {
        for (i, (a, network_a)) in members.iter().enumerate() {
            for (b, network_b) in &members[i + 1..] {
                if network_a != network_b {
                    add(
                        *a,
                        *b,
                        format!("same handle “{local}” on {network_a} and {network_b}"),
                    );
                }
            }
        }
    }
    // Similar names that act in the same spaces: bucket by the first three
    // letters of the key, so the comparison stays small.
    let mut buckets: HashMap<String, Vec<(&Candidate, String)>> = HashMap::new();
    for candidate in candidates {
        let key = name_key(&candidate.name);
        if key.chars().count() < 5 {
            continue;
        }
        buckets
            .entry(key.chars().take(3).collect())
            .or_default()
            .push((candidate, key));
    }
    for bucket in buckets.values() {
        for (i, (a, key_a)) in bucket.iter().enumerate() {
            for (b, key_b) in &bucket[i + 1..] {
                if !near(key_a, key_b) {
                    continue;
                }
                let shared = a.spaces.iter().filter(|s| b.spaces.contains(s)).count();
                if shared > 0 {
                    let what = if key_a == key_b {
                        "the same name"
                    } else {
                        "nearly the same name"
                    };
                    add(
                        a.id,
                        b.id,
                        format!("{what} and {shared} space(s) in common"),
                    );
                }
            }
        }
    }
    let names: HashMap<MemberId, &str> =
        candidates.iter().map(|c| (c.id, c.name.as_str())).collect();
    let mut out: Vec<MergeSuggestion> = reasons
        .into_iter()
        .filter(|(pair, _)| !skip.contains(pair) && !skip.contains(&(pair.1, pair.0)))
        .map(|((first, second), reasons)| MergeSuggestion {
            first,
            first_name: names.get(&first).copied().unwrap_or_default().to_owned(),
            second,
            second_name: names.get(&second).copied().unwrap_or_default().to_owned(),
            reasons,
        })
        .collect();
    out.sort_by(|a, b| {
        b.reasons
            .len()
            .cmp(&a.reasons.len())
            .then((a.first, a.second).cmp(&(b.first, b.second)))
    });
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub id: i64,
    pub kept_id: MemberId,
    pub kept_name: String,
    pub merged_id: MemberId,
    pub merged_name: String,
    pub reason: String,
    pub merged_at: Timestamp,
    pub unmerged_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub author_name: String,
    pub text: String,
    pub created_at: Timestamp,
}

pub trait IdentityStore: Send + Sync {
    /// Adds an identity to a member; the same id on the same network twice in
    /// a workspace is a conflict.
    fn add_identity(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        network: &str,
        value: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// (network, value) of a member and of the members merged into it.
    fn identities_of(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<(String, String)>, StoreError>> + Send;
    /// Every unmerged member with what suggestions are computed from.
    fn merge_candidates(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Candidate>, StoreError>> + Send;
    /// Pairs not to suggest: dismissed, or merged.
    fn merge_skips(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<(MemberId, MemberId)>, StoreError>> + Send;
    fn dismiss_suggestion(
        &self,
        workspace: WorkspaceId,
        pair: (MemberId, MemberId),
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Merges `merged` into `kept` (both unmerged members of the workspace);
    /// answers the merge's id.
    fn merge_members(
        &self,
        workspace: WorkspaceId,
        kept: MemberId,
        merged: MemberId,
        reason: &str,
        by: MemberId,
        at: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// Undoes a merge once: false if it was undone already.
    fn unmerge(
        &self,
        workspace: WorkspaceId,
        merge: i64,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn merges(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Merge>, StoreError>> + Send;
    fn set_member_tags(
        &self,
        member: MemberId,
        tags: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn member_tags(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    fn add_note(
        &self,
        member: MemberId,
        author: MemberId,
        text: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn notes_of(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Vec<Note>, StoreError>> + Send;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn candidate(id: MemberId, name: &str) -> Candidate {
        Candidate {
            id,
            name: name.into(),
            ..Candidate::default()
        }
    }

    #[test]
    fn identities_are_checked_and_reduced() {
        assert_eq!(
            local_part("bluesky", "ann.bsky.social").as_deref(),
            Some("ann")
        );
        assert_eq!(
            local_part("mastodon", "@Ann@mastodon.social").as_deref(),
            Some("ann")
        );
        assert_eq!(
            local_part("matrix", "@ann:matrix.org").as_deref(),
            Some("ann")
        );
        assert_eq!(local_part("bluesky", "did:plc:abc"), None);
        assert_eq!(
            check_identity("email", "Ann@Example.org").unwrap().1,
            "ann@example.org"
        );
        assert!(
            check_identity("mastodon", "ann")
                .unwrap_err()
                .contains("@ann@mastodon.social")
        );
        assert!(check_identity("myspace", "ann").is_err());
        assert_eq!(name_key("  Inès  Duarte-Lopes "), "ines duarte lopes");
    }

    #[test]
    fn suggestions_give_their_reasons() {
        let mut ann = candidate(1, "Ann Rider");
        ann.emails = vec!["ann@example.org".into()];
        ann.identities = vec![("bluesky".into(), "annrides.bsky.social".into())];
        let mut ann_import = candidate(2, "ann");
        ann_import.identities = vec![("email".into(), "ANN@example.org".into())];
        let mut ann_masto = candidate(3, "A. R.");
        ann_masto.identities = vec![("mastodon".into(), "@annrides@velo.social".into())];
        let mut ines = candidate(4, "Inès Duarte");
        ines.spaces = vec![7, 8];
        let mut ines_typo = candidate(5, "Ines Duartte");
        ines_typo.spaces = vec![8];
        let mut ines_elsewhere = candidate(6, "Inès Duarte");
        ines_elsewhere.spaces = vec![9];
        let all = [ann, ann_import, ann_masto, ines, ines_typo, ines_elsewhere];
        let found = suggest(&all, &[]);
        let pairs: Vec<(MemberId, MemberId)> = found.iter().map(|s| (s.first, s.second)).collect();
        assert!(pairs.contains(&(1, 2)) && pairs.contains(&(1, 3)) && pairs.contains(&(4, 5)));
        assert!(
            !pairs.contains(&(4, 6)),
            "the same name but no space in common"
        );
        let email = found
            .iter()
            .find(|s| (s.first, s.second) == (1, 2))
            .unwrap();
        assert_eq!(
            email.reasons,
            vec!["same e-mail ann@example.org".to_owned()]
        );
        let handle = found
            .iter()
            .find(|s| (s.first, s.second) == (1, 3))
            .unwrap();
        assert!(
            handle.reasons[0].contains("annrides")
                && handle.reasons[0].contains("bluesky and mastodon")
        );
        let names = found
            .iter()
            .find(|s| (s.first, s.second) == (4, 5))
            .unwrap();
        assert_eq!(
            names.reasons,
            vec!["nearly the same name and 1 space(s) in common".to_owned()]
        );
        assert!(
            suggest(&all, &[(2, 1)])
                .iter()
                .all(|s| (s.first, s.second) != (1, 2)),
            "dismissed"
        );
    }
}
