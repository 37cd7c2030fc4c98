//! An independent, deliberately plain implementation of the community-health
//! definitions (`research/health-measures.md`), for tests to check Agora's
//! fast one against: strings for ids, a scan of the whole log per question,
//! chrono for weeks. It shares no code with `agora_core::analytics::health`.
//! Also a small random log in the import format, for such comparisons.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Datelike, NaiveDateTime};

const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub space: String,
    pub actor: String,
    pub target: Option<String>,
    pub kind: String,
    pub thread: Option<i64>,
    pub at: i64,
    pub staff: bool,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub joined: i64,
    pub staff: bool,
}

fn time(raw: &str) -> i64 {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%SZ")
        .unwrap_or_else(|error| panic!("{raw}: {error}"))
        .and_utc()
        .timestamp()
}

fn text_time(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Parses the interactions CSV (with its header).
pub fn parse_rows(csv: &str) -> Vec<Row> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Row {
                id: f[0].parse().unwrap(),
                space: f[2].to_owned(),
                actor: f[3].to_owned(),
                target: (!f[4].is_empty()).then(|| f[4].to_owned()),
                kind: f[5].to_owned(),
                thread: (!f[6].is_empty()).then(|| f[6].parse().unwrap()),
                at: time(f[7]),
                staff: f[8] == "true",
            }
        })
        .collect()
}

/// Parses the members CSV (with its header).
pub fn parse_members(csv: &str) -> Vec<Member> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Member {
                id: f[0].to_owned(),
                joined: time(f[2]),
                staff: f[3] == "true",
            }
        })
        .collect()
}

fn ratio(numerator: usize, denominator: usize) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

fn median(mut values: Vec<i64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

fn monday_of(seconds: i64) -> i64 {
    let date = DateTime::from_timestamp(seconds, 0).unwrap().date_naive();
    let monday = date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday()));
    monday.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

/// The measures of one scope (`None`: the workspace), keyed by the JSON
/// pointer the health API answers them under.
pub fn measures(
    rows: &[Row],
    members: &[Member],
    scope: Option<&str>,
) -> BTreeMap<&'static str, Option<f64>> {
    let mut out = BTreeMap::new();
    let end = rows.iter().map(|row| row.at).max().unwrap().div_euclid(DAY) * DAY + DAY;
    let w_start = end - 28 * DAY;
    let staff: HashSet<&str> = rows
        .iter()
        .filter(|row| row.staff)
        .map(|row| row.actor.as_str())
        .collect();
    let in_scope: Vec<&Row> = rows
        .iter()
        .filter(|row| scope.is_none_or(|space| row.space == space))
        .collect();
    let member_rows: Vec<&Row> = in_scope.iter().copied().filter(|row| !row.staff).collect();
    let in_w = |row: &&Row| row.at >= w_start && row.at < end;
    let distinct = |from: i64, to: i64| {
        member_rows
            .iter()
            .filter(|row| row.at >= from && row.at < to)
            .map(|row| row.actor.as_str())
            .collect::<HashSet<_>>()
            .len()
    };

    // Active members.
    let (mut dau, mut wau, mut sticky, mut sticky_days) = (0.0, 0.0, 0.0, 0);
    for d in -28..=-1 {
        let day = end + d * DAY;
        let daily = distinct(day, day + DAY);
        let weekly = distinct(day - 6 * DAY, day + DAY);
        let monthly = distinct(day - 27 * DAY, day + DAY);
        dau += daily as f64;
        wau += weekly as f64;
        if monthly > 0 {
            sticky += daily as f64 / monthly as f64;
            sticky_days += 1;
        }
    }
    out.insert("/active/dau", Some(dau / 28.0));
    out.insert("/active/wau", Some(wau / 28.0));
    out.insert("/active/mau", Some(distinct(w_start, end) as f64));
    out.insert(
        "/active/stickiness",
        (sticky_days > 0).then(|| sticky / sticky_days as f64),
    );

    // Shares.
    let window: Vec<&Row> = in_scope.iter().copied().filter(in_w).collect();
    let directed: Vec<&&Row> = window
        .iter()
        .filter(|row| {
            row.target
                .as_ref()
                .is_some_and(|target| *target != row.actor)
        })
        .collect();
    let m2m = directed
        .iter()
        .filter(|row| !row.staff && !staff.contains(row.target.as_deref().unwrap()))
        .count();
    out.insert("/member_to_member/numerator", Some(m2m as f64));
    out.insert("/member_to_member/denominator", Some(directed.len() as f64));
    out.insert("/member_to_member/share", ratio(m2m, directed.len()));
    let authored: Vec<&&Row> = window
        .iter()
        .filter(|row| row.kind == "post" || row.kind == "reply")
        .collect();
    let by_members = authored.iter().filter(|row| !row.staff).count();
    out.insert("/member_authored/share", ratio(by_members, authored.len()));
    let posts: Vec<&&Row> = window.iter().filter(|row| row.kind == "post").collect();
    out.insert(
        "/member_posts/share",
        ratio(posts.iter().filter(|row| !row.staff).count(), posts.len()),
    );

    // First responses.
    let (mut n_threads, mut all, mut peer, mut by_staff) = (0, Vec::new(), Vec::new(), Vec::new());
    for opening in window
        .iter()
        .filter(|row| row.kind == "post" && row.thread == Some(row.id) && !row.staff)
    {
        n_threads += 1;
        let first = rows
            .iter()
            .filter(|row| {
                row.kind == "reply"
                    && row.thread == Some(opening.id)
                    && row.actor != opening.actor
                    && row.at >= opening.at
                    && row.at < end
            })
            .min_by_key(|row| (row.at, row.id));
        if let Some(first) = first {
            all.push(first.at - opening.at);
            if first.staff {
                by_staff.push(first.at - opening.at);
            } else {
                peer.push(first.at - opening.at);
            }
        }
    }
    out.insert("/first_response/member_threads", Some(n_threads as f64));
    out.insert("/first_response/answered_threads", Some(all.len() as f64));
    out.insert(
        "/first_response/peer_first_threads",
        Some(peer.len() as f64),
    );
    out.insert(
        "/first_response/peer_first_response_rate",
        ratio(peer.len(), all.len()),
    );
    out.insert("/first_response/ttfr_median_s", median(all));
    out.insert("/first_response/ttfr_member_median_s", median(peer));
    out.insert("/first_response/ttfr_staff_median_s", median(by_staff));

    // Reciprocity.
    let edges: HashSet<(&str, &str)> = window
        .iter()
        .filter(|row| row.kind == "reply" && !row.staff)
        .filter_map(|row| {
            let target = row.target.as_deref()?;
            (!staff.contains(target) && target != row.actor).then_some((row.actor.as_str(), target))
        })
        .collect();
    let mutual = edges
        .iter()
        .filter(|(u, v)| edges.contains(&(*v, *u)))
        .count();
    let nodes: HashSet<&str> = edges.iter().flat_map(|(u, v)| [*u, *v]).collect();
    let links = edges.len();
    let r = ratio(mutual, links);
    let a = (links > 0).then(|| links as f64 / (nodes.len() * (nodes.len() - 1)) as f64);
    out.insert("/reciprocity/links", Some(links as f64));
    out.insert("/reciprocity/reciprocated_links", Some(mutual as f64));
    out.insert("/reciprocity/nodes", Some(nodes.len() as f64));
    out.insert(
        "/reciprocity/rho",
        match (r, a) {
            (Some(r), Some(a)) if a < 1.0 => Some((r - a) / (1.0 - a)),
            _ => None,
        },
    );

    // Connectivity without staff, by breadth-first search.
    let active: HashSet<&str> = window
        .iter()
        .filter(|row| !row.staff)
        .map(|row| row.actor.as_str())
        .collect();
    let mut neighbours: HashMap<&str, Vec<&str>> = HashMap::new();
    for row in window.iter().filter(|row| {
        matches!(row.kind.as_str(), "reply" | "mention" | "accepted_answer") && !row.staff
    }) {
        if let Some(target) = row.target.as_deref()
            && !staff.contains(target)
            && target != row.actor
            && active.contains(target)
        {
            neighbours
                .entry(row.actor.as_str())
                .or_default()
                .push(target);
            neighbours
                .entry(target)
                .or_default()
                .push(row.actor.as_str());
        }
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut largest = 0;
    for start in &active {
        if !seen.insert(start) {
            continue;
        }
        let mut size = 0;
        let mut queue = VecDeque::from([*start]);
        while let Some(node) = queue.pop_front() {
            size += 1;
            for next in neighbours.get(node).into_iter().flatten() {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        largest = largest.max(size);
    }
    out.insert("/connectivity/nodes", Some(active.len() as f64));
    out.insert("/connectivity/largest_component", Some(largest as f64));
    out.insert("/connectivity/lcc_share", ratio(largest, active.len()));

    // Newcomers by first interaction.
    let mut first: HashMap<&str, i64> = HashMap::new();
    for row in &member_rows {
        let entry = first.entry(row.actor.as_str()).or_insert(row.at);
        *entry = (*entry).min(row.at);
    }
    let newcomers: Vec<(&str, i64)> = first
        .iter()
        .filter(|(_, at)| **at >= w_start && **at < end)
        .map(|(m, at)| (*m, *at))
        .collect();
    let activated = newcomers
        .iter()
        .filter(|(member, at)| {
            member_rows.iter().any(|row| {
                row.actor == *member
                    && (row.kind == "post" || row.kind == "reply")
                    && row.at >= *at
                    && row.at <= at + 14 * DAY
            })
        })
        .count();
    out.insert("/newcomers/newcomers", Some(newcomers.len() as f64));
    out.insert("/newcomers/activated", Some(activated as f64));
    if scope.is_none() {
        let joined: Vec<&Member> = members
            .iter()
            .filter(|member| !member.staff && member.joined >= w_start && member.joined < end)
            .collect();
        let activated = joined
            .iter()
            .filter(|member| {
                rows.iter().any(|row| {
                    !row.staff
                        && row.actor == member.id
                        && (row.kind == "post" || row.kind == "reply")
                        && row.at >= member.joined
                        && row.at <= member.joined + 14 * DAY
                })
            })
            .count();
        out.insert("/newcomers_by_join/newcomers", Some(joined.len() as f64));
        out.insert("/newcomers_by_join/activated", Some(activated as f64));
    }

    // Retention cohorts.
    let cohorts: HashMap<&str, i64> = first
        .iter()
        .map(|(member, at)| (*member, monday_of(*at)))
        .collect();
    let mut pooled: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    let mut n_cohorts: HashSet<i64> = HashSet::new();
    let mut by_cohort: HashMap<i64, Vec<&str>> = HashMap::new();
    for (member, cohort) in &cohorts {
        by_cohort.entry(*cohort).or_default().push(member);
    }
    for (cohort, people) in &by_cohort {
        for k in 0..=12i64 {
            let from = cohort + 7 * k * DAY;
            let to = from + 7 * DAY;
            if to > end {
                break;
            }
            n_cohorts.insert(*cohort);
            let active = people
                .iter()
                .filter(|member| {
                    member_rows
                        .iter()
                        .any(|row| row.actor == **member && row.at >= from && row.at < to)
                })
                .count();
            let cell = pooled.entry(k).or_default();
            cell.0 += active;
            cell.1 += people.len();
        }
    }
    let pooled_share = |k: i64| pooled.get(&k).and_then(|(a, n)| ratio(*a, *n));
    out.insert("/retention/retention_w1", pooled_share(1));
    out.insert("/retention/retention_w4", pooled_share(4));
    out.insert("/retention/retention_w12", pooled_share(12));
    out.insert("/retention/cohorts#", Some(n_cohorts.len() as f64));

    // Members at risk.
    let seen_between = |member: &str, from: i64, to: i64| {
        member_rows
            .iter()
            .any(|row| row.actor == member && row.at >= from && row.at < to)
    };
    let base: HashSet<&str> = member_rows
        .iter()
        .filter(|row| row.at >= end - 56 * DAY && row.at < end - 28 * DAY)
        .map(|row| row.actor.as_str())
        .collect();
    let at_risk = base
        .iter()
        .filter(|member| !seen_between(member, end - 14 * DAY, end))
        .count();
    let lapsed = base
        .iter()
        .filter(|member| !seen_between(member, end - 28 * DAY, end))
        .count();
    out.insert("/at_risk/active_days_29_56", Some(base.len() as f64));
    out.insert("/at_risk/at_risk", Some(at_risk as f64));
    out.insert("/at_risk/lapsed", Some(lapsed as f64));
    out
}

/// A row before ids: (at, order, space, actor, target, kind, thread index).
type Pending = (
    i64,
    usize,
    usize,
    usize,
    Option<usize>,
    &'static str,
    Option<usize>,
);

struct XorShift(u64);

impl XorShift {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Activity is skewed: low indexes act more.
fn person(next: &mut impl FnMut(u64) -> u64, bound: usize) -> usize {
    let a = next(bound as u64) as usize;
    let b = next(bound as u64) as usize;
    a.min(b)
}

/// A random log in the import format (members CSV, interactions CSV): a few
/// staff, three groups, threads with replies and mentions, reactions,
/// members joining over 90 days. Small enough for [`measures`]' plain scans.
pub fn random_log(seed: u64, n_members: usize, n_threads: usize, end: i64) -> (String, String) {
    let mut rng = XorShift(
        seed.wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            | 1,
    );
    let mut next = |n: u64| rng.next(n);
    let start = end - 90 * DAY;
    let n_staff = 2;
    let mut members = String::from("member_id,workspace_id,joined_at,is_staff\n");
    let mut joined = Vec::new();
    for index in 0..n_members {
        let at = start - 20 * DAY + next(100 * DAY as u64) as i64;
        joined.push(at);
        members.push_str(&format!(
            "u{index},rand,{},{}\n",
            text_time(at),
            index < n_staff
        ));
    }
    let mut pending: Vec<Pending> = Vec::new();
    for thread in 0..n_threads {
        let space = next(3) as usize;
        let t0 = start + next(90 * DAY as u64) as i64;
        let author = if next(10) == 0 {
            next(n_staff as u64) as usize
        } else {
            person(&mut next, n_members)
        };
        pending.push((t0, pending.len(), space, author, None, "post", Some(thread)));
        let mut at = t0;
        for _ in 0..next(5) {
            at += 1 + next(20_000) as i64;
            let replier = if next(4) == 0 {
                next(n_staff as u64) as usize
            } else {
                person(&mut next, n_members)
            };
            pending.push((
                at,
                pending.len(),
                space,
                replier,
                Some(author),
                "reply",
                Some(thread),
            ));
            if next(6) == 0 {
                let mentioned = person(&mut next, n_members);
                pending.push((
                    at,
                    pending.len(),
                    space,
                    replier,
                    Some(mentioned),
                    "mention",
                    Some(thread),
                ));
            }
            if next(3) == 0 {
                let reactor = person(&mut next, n_members);
                pending.push((
                    at + 60,
                    pending.len(),
                    space,
                    reactor,
                    Some(replier),
                    "reaction",
                    None,
                ));
            }
        }
        if next(8) == 0 {
            let self_reply_at = at + 5;
            pending.push((
                self_reply_at,
                pending.len(),
                space,
                author,
                None,
                "reply",
                Some(thread),
            ));
        }
    }
    pending.retain(|row| row.0 < end);
    pending.sort_by_key(|row| (row.0, row.1));
    let mut thread_ids: HashMap<usize, i64> = HashMap::new();
    let mut interactions = String::from(
        "id,workspace_id,space_id,actor_id,target_id,kind,thread_id,at,actor_is_staff\n",
    );
    let mut id = 0;
    for (at, _, space, actor, target, kind, thread) in pending {
        let thread_id = match thread {
            Some(thread) if kind == "post" => {
                thread_ids.insert(thread, id + 1);
                Some(id + 1)
            }
            Some(thread) => match thread_ids.get(&thread) {
                Some(thread_id) => Some(*thread_id),
                None => continue,
            },
            None => None,
        };
        id += 1;
        interactions.push_str(&format!(
            "{id},rand,g{space},u{actor},{},{kind},{},{},{}\n",
            target
                .map(|target| format!("u{target}"))
                .unwrap_or_default(),
            thread_id
                .map(|thread| thread.to_string())
                .unwrap_or_default(),
            text_time(at),
            actor < n_staff
        ));
    }
    (members, interactions)
}
