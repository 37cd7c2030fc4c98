//! A generator of realistic interaction logs, in the import format of
//! `research/health-measures.md`, for `agora gen`, the demo and the analytics bench.
//!
//! The shape is what community analytics must cope with: activity follows a
//! power law (a few members write most), staff act as hubs, members cluster
//! in home groups, replies stay within threads and come minutes to hours
//! after the post, some days burst, weekends are quieter, members join over
//! time and many leave. One group leans on staff (an audience in disguise) and
//! one page is pure broadcast. The same seed gives the same log.

use std::collections::VecDeque;

use agora_core::analytics::InteractionKind;
use agora_core::analytics::import::{ImportError, ImportedInteraction, ImportedMember};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const DAY: i64 = 86_400;
const NONE: u32 = u32::MAX;
/// Rows may land this many days after the day that created them.
const SPILL_DAYS: usize = 4;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenParams {
    pub members: usize,
    pub interactions: u64,
    pub seed: u64,
    /// Days the log covers.
    pub days: i64,
    /// The UTC midnight the log ends before (seconds).
    pub end: i64,
}

impl GenParams {
    /// Days in proportion to the volume: 120 for small logs, up to a year.
    pub fn days_for(interactions: u64) -> i64 {
        if interactions >= 1_000_000 {
            365
        } else if interactions >= 100_000 {
            180
        } else {
            120
        }
    }
}

/// A space of the generated workspace.
#[derive(Debug, Clone)]
pub struct GenSpace {
    pub external_id: String,
    pub is_page: bool,
    /// The share of replies that come from members rather than staff.
    pub peer_share: f64,
}

#[derive(Debug, Clone, Copy)]
struct PendingRow {
    at: i64,
    seq: u64,
    space: u32,
    actor: u32,
    target: u32,
    kind: InteractionKind,
    /// Generation index of the thread, or NONE.
    thread: u32,
}

/// The generated members and spaces, and the rows as an iterator in time order.
pub struct Generator {
    params: GenParams,
    rng: StdRng,
    pub members: Vec<ImportedMember>,
    pub spaces: Vec<GenSpace>,
    is_staff: Vec<bool>,
    /// Active span of each member, seconds.
    span: Vec<(i64, i64)>,
    staff: Vec<u32>,
    /// Per space: its members and their cumulative weights.
    space_members: Vec<(Vec<u32>, Vec<f64>)>,
    day_budget: Vec<u64>,
    start: i64,
    day: i64,
    buckets: VecDeque<Vec<PendingRow>>,
    current: std::vec::IntoIter<PendingRow>,
    seq: u64,
    thread_ids: Vec<i64>,
    next_id: i64,
    emitted: u64,
}

fn pick(cumulative: &[f64], rng: &mut StdRng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.r#gen::<f64>() * total;
    cumulative
        .partition_point(|c| *c <= x)
        .min(cumulative.len().saturating_sub(1))
}

impl Generator {
    pub fn new(params: GenParams) -> Self {
        let mut rng = StdRng::seed_from_u64(params.seed);
        let n = params.members.max(4);
        let start = params.end - params.days * DAY;
        let n_staff = (n / 200).clamp(2, 200);
        let n_groups = (n / 1_500).clamp(3, 40);
        let mut spaces: Vec<GenSpace> = (0..n_groups)
            .map(|index| GenSpace {
                external_id: (index + 1).to_string(),
                is_page: false,
                // The last group leans on staff; the others are mostly peers.
                peer_share: if index + 1 == n_groups {
                    0.15
                } else {
                    rng.gen_range(0.6..0.92)
                },
            })
            .collect();
        spaces.push(GenSpace {
            external_id: (n_groups + 1).to_string(),
            is_page: true,
            peer_share: 0.0,
        });
        // Group sizes follow a power law too.
        let group_weights: Vec<f64> = (0..n_groups)
            .map(|index| 1.0 / (index as f64 + 1.0).powf(0.7))
            .collect();
        let mut group_cumulative = Vec::new();
        let mut sum = 0.0;
        for weight in &group_weights {
            sum += weight;
            group_cumulative.push(sum);
        }
        let mut members = Vec::with_capacity(n);
        let mut is_staff = Vec::with_capacity(n);
        let mut span = Vec::with_capacity(n);
        let mut weight = Vec::with_capacity(n);
        let mut home = Vec::with_capacity(n);
        for index in 0..n {
            let staff = index < n_staff;
            // Joined before the log for a third, then steadily; churn ends many spans.
            let joined = if staff || rng.gen_bool(0.33) {
                start - rng.gen_range(1..365) * DAY
            } else {
                start + rng.gen_range(0..(params.days * DAY).max(1))
            };
            let leaves = if !staff && rng.gen_bool(0.55) {
                let stay = -(1.0 - rng.r#gen::<f64>()).ln() * 70.0 * DAY as f64;
                joined.max(start) + stay as i64
            } else {
                i64::MAX
            };
            members.push(ImportedMember {
                id: (index + 1).to_string(),
                workspace: "gen".into(),
                joined_at: joined,
                is_staff: staff,
            });
            is_staff.push(staff);
            span.push((joined, leaves));
            // Zipf-like activity: weight 1/rank^0.9 on a random rank; staff are hubs.
            let rank = rng.gen_range(1..=n) as f64;
            weight.push(if staff { 40.0 } else { 1.0 / rank.powf(0.9) });
            home.push(pick(&group_cumulative, &mut rng));
        }
        let mut space_members: Vec<(Vec<u32>, Vec<f64>)> =
            vec![(Vec::new(), Vec::new()); spaces.len()];
        let page = spaces.len() - 1;
        for index in n_staff..n {
            let mut add = |space: usize| {
                let (ids, cumulative) = &mut space_members[space];
                let last = cumulative.last().copied().unwrap_or(0.0);
                ids.push(index as u32);
                cumulative.push(last + weight[index]);
            };
            add(home[index]);
            // Some members are also in a second group, and a third follow the page.
            if rng.gen_bool(0.2) {
                add(pick(&group_cumulative, &mut rng));
            }
            if rng.gen_bool(0.35) {
                add(page);
            }
        }
        // Daily volume: weekends quieter, some days burst; scaled to the total.
        let factors: Vec<f64> = (0..params.days)
            .map(|day| {
                let weekday = (start / DAY + day + 3).rem_euclid(7);
                let base = if weekday >= 5 { 0.7 } else { 1.0 };
                let growth = 0.7 + 0.6 * day as f64 / params.days as f64;
                let burst = if rng.gen_bool(0.04) {
                    rng.gen_range(2.0..4.0)
                } else {
                    1.0
                };
                base * growth * burst
            })
            .collect();
        let total: f64 = factors.iter().sum();
        let day_budget = factors
            .iter()
            .map(|factor| (factor / total * params.interactions as f64).round() as u64)
            .collect();
        Self {
            params,
            rng,
            members,
            spaces,
            is_staff,
            span,
            staff: (0..n_staff as u32).collect(),
            space_members,
            day_budget,
            start,
            day: 0,
            buckets: (0..SPILL_DAYS).map(|_| Vec::new()).collect(),
            current: Vec::new().into_iter(),
            seq: 0,
            thread_ids: Vec::new(),
            next_id: 1,
            emitted: 0,
        }
    }

    fn push(&mut self, row: PendingRow) {
        let offset = (row.at.div_euclid(DAY) - (self.start / DAY + self.day)) as usize;
        if row.at >= self.params.end || offset >= SPILL_DAYS {
            return;
        }
        self.seq += 1;
        self.buckets[offset].push(PendingRow {
            seq: self.seq,
            ..row
        });
    }

    fn active(&self, member: u32, at: i64) -> bool {
        let (joined, leaves) = self.span[member as usize];
        joined <= at && at < leaves
    }

    /// A member of the space active at `at`, weighted by activity; staff when nobody is.
    fn member_of(&mut self, space: usize, at: i64) -> u32 {
        for _ in 0..8 {
            let (ids, cumulative) = &self.space_members[space];
            if ids.is_empty() {
                break;
            }
            let member = ids[pick(cumulative, &mut self.rng)];
            if self.active(member, at) {
                return member;
            }
        }
        self.staff[self.rng.gen_range(0..self.staff.len())]
    }

    fn staff_member(&mut self) -> u32 {
        // Staff hubs: the first staff members answer most.
        let index = (self.rng.r#gen::<f64>().powi(2) * self.staff.len() as f64) as usize;
        self.staff[index.min(self.staff.len() - 1)]
    }

    fn time_of_day(&mut self, day_start: i64) -> i64 {
        // Busier from 08:00 to 23:00.
        let hour = if self.rng.gen_bool(0.85) {
            self.rng.gen_range(8..23)
        } else {
            self.rng.gen_range(0..24)
        };
        day_start + hour * 3600 + self.rng.gen_range(0..3600)
    }

    /// One thread with its replies, mentions, reactions and maybe an accepted answer.
    fn thread(&mut self, day_start: i64) -> u64 {
        let space = if self.rng.gen_bool(0.08) {
            self.spaces.len() - 1
        } else {
            // Groups in proportion to their members.
            let sizes: Vec<f64> = self.space_members[..self.spaces.len() - 1]
                .iter()
                .scan(0.0, |sum, (ids, _)| {
                    *sum += ids.len() as f64;
                    Some(*sum)
                })
                .collect();
            pick(&sizes, &mut self.rng)
        };
        let is_page = self.spaces[space].is_page;
        let peer_share = self.spaces[space].peer_share;
        let t0 = self.time_of_day(day_start);
        let author = if is_page || self.rng.gen_bool(0.08) {
            self.staff_member()
        } else {
            self.member_of(space, t0)
        };
        let thread = self.thread_ids.len() as u32;
        self.thread_ids.push(0);
        let mut rows = 0;
        let base = PendingRow {
            at: t0,
            seq: 0,
            space: space as u32,
            actor: author,
            target: NONE,
            kind: InteractionKind::Post,
            thread,
        };
        self.push(base);
        rows += 1;
        let n_replies = {
            let mean = if is_page { 1.5 } else { 3.5 };
            let u: f64 = self.rng.r#gen();
            (-(1.0 - u).ln() * mean) as usize
        };
        let mut at = t0;
        let mut participants = vec![author];
        let mut first_member_replier = None;
        for _ in 0..n_replies {
            let delay = (-(1.0 - self.rng.r#gen::<f64>()).ln() * 5_400.0) as i64 + 30;
            at += delay.min(2 * DAY);
            let from_staff = !is_page && !self.rng.gen_bool(peer_share);
            let replier = if from_staff {
                self.staff_member()
            } else {
                self.member_of(space, at)
            };
            let target = if is_page || self.rng.gen_bool(0.65) {
                author
            } else {
                participants[self.rng.gen_range(0..participants.len())]
            };
            let target = if target == replier { author } else { target };
            self.push(PendingRow {
                at,
                actor: replier,
                target,
                kind: InteractionKind::Reply,
                ..base
            });
            rows += 1;
            if !self.is_staff[replier as usize]
                && replier != author
                && first_member_replier.is_none()
            {
                first_member_replier = Some(replier);
            }
            if !is_page && self.rng.gen_bool(0.1) {
                let mentioned = self.member_of(space, at);
                if mentioned != replier {
                    self.push(PendingRow {
                        at,
                        actor: replier,
                        target: mentioned,
                        kind: InteractionKind::Mention,
                        ..base
                    });
                    rows += 1;
                }
            }
            for _ in 0..self.rng.gen_range(0..3) {
                let reactor = self.member_of(space, at);
                if reactor != replier {
                    let when = at + self.rng.gen_range(30..7_200);
                    self.push(PendingRow {
                        at: when,
                        actor: reactor,
                        target: replier,
                        kind: InteractionKind::Reaction,
                        thread: NONE,
                        ..base
                    });
                    rows += 1;
                }
            }
            if !participants.contains(&replier) {
                participants.push(replier);
            }
        }
        // Reactions to the post itself (a page collects many).
        let n_reactions = if is_page {
            self.rng.gen_range(1..8)
        } else {
            self.rng.gen_range(0..3)
        };
        for _ in 0..n_reactions {
            let reactor = self.member_of(space, t0);
            if reactor != author {
                let when = t0 + self.rng.gen_range(30..14_400);
                self.push(PendingRow {
                    at: when,
                    actor: reactor,
                    target: author,
                    kind: InteractionKind::Reaction,
                    thread: NONE,
                    ..base
                });
                rows += 1;
            }
        }
        if let Some(answerer) = first_member_replier
            && self.rng.gen_bool(0.15)
            && !self.is_staff[author as usize]
        {
            self.push(PendingRow {
                at: at + 600,
                actor: author,
                target: answerer,
                kind: InteractionKind::AcceptedAnswer,
                ..base
            });
            rows += 1;
        }
        rows
    }

    /// A meetup of a group: RSVPs, then check-ins on the day.
    fn event(&mut self, day_start: i64) -> u64 {
        let space = self.rng.gen_range(0..self.spaces.len() - 1);
        let mut rows = 0;
        let n = self.rng.gen_range(4..16);
        for _ in 0..n {
            let at = self.time_of_day(day_start);
            let member = self.member_of(space, at);
            let base = PendingRow {
                at,
                seq: 0,
                space: space as u32,
                actor: member,
                target: NONE,
                kind: InteractionKind::Rsvp,
                thread: NONE,
            };
            self.push(base);
            rows += 1;
            if self.rng.gen_bool(0.7) {
                let at = day_start + 2 * DAY + 19 * 3600 + self.rng.gen_range(0..1800);
                self.push(PendingRow {
                    at,
                    kind: InteractionKind::CheckIn,
                    ..base
                });
                rows += 1;
            }
        }
        rows
    }

    fn fill_day(&mut self) {
        let day_start = self.start + self.day * DAY;
        let budget = self.day_budget[self.day as usize];
        let mut made = 0;
        while made < budget {
            made += if self.rng.gen_bool(0.03) {
                self.event(day_start)
            } else {
                self.thread(day_start)
            };
        }
    }

    fn next_row(&mut self) -> Option<ImportedInteraction> {
        loop {
            if self.emitted >= self.params.interactions {
                return None;
            }
            if let Some(row) = self.current.next() {
                let id = self.next_id;
                self.next_id += 1;
                self.emitted += 1;
                let thread = if row.thread == NONE {
                    None
                } else if row.kind == InteractionKind::Post {
                    self.thread_ids[row.thread as usize] = id;
                    Some(id)
                } else {
                    Some(self.thread_ids[row.thread as usize])
                };
                return Some(ImportedInteraction {
                    id,
                    workspace: "gen".into(),
                    space: self.spaces[row.space as usize].external_id.clone(),
                    actor: self.members[row.actor as usize].id.clone(),
                    target: (row.target != NONE)
                        .then(|| self.members[row.target as usize].id.clone()),
                    kind: row.kind,
                    thread,
                    at: row.at,
                    actor_is_staff: self.is_staff[row.actor as usize],
                });
            }
            if self.day >= self.params.days {
                return None;
            }
            self.fill_day();
            let mut rows = self.buckets.pop_front().unwrap_or_default();
            self.buckets.push_back(Vec::new());
            rows.sort_by_key(|row| (row.at, row.seq));
            self.current = rows.into_iter();
            self.day += 1;
        }
    }
}

impl Iterator for Generator {
    type Item = Result<ImportedInteraction, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().map(Ok)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_in_order_and_threads_point_back() {
        let generator = Generator::new(GenParams {
            members: 500,
            interactions: 20_000,
            seed: 7,
            days: 60,
            end: 20_000 * DAY,
        });
        let members = generator.members.len();
        let rows: Vec<_> = generator
            .map(|row| row.expect("generated rows are valid"))
            .collect();
        assert_eq!(members, 500);
        assert!(rows.len() > 15_000, "{}", rows.len());
        let mut last = (0, 0);
        for row in &rows {
            assert!((row.at, row.id) > last);
            last = (row.at, row.id);
            assert!(row.at < 20_000 * DAY);
            if row.kind == InteractionKind::Post {
                assert_eq!(row.thread, Some(row.id));
            }
            if let Some(thread) = row.thread {
                assert!(thread <= row.id);
            }
        }
        // Power law: the busiest tenth of actors write most rows.
        let mut counts = std::collections::HashMap::new();
        for row in &rows {
            *counts.entry(row.actor.clone()).or_insert(0u64) += 1;
        }
        let mut counts: Vec<u64> = counts.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top: u64 = counts[..counts.len() / 10].iter().sum();
        assert!(
            top * 2 > rows.len() as u64,
            "top tenth wrote {top} of {}",
            rows.len()
        );
    }
}
