//! Community health, computed in memory from a compact copy of the interaction log.
//!
//! The definitions are those of `research/health-measures.md`, word for word
//! where it is exact: the window W is the 28 UTC days before E, the midnight
//! after the last interaction; staff are the actors with any staff row; every
//! ratio with a zero denominator is `None`. A custom date range is the named
//! variant [`Window::Range`]: E becomes the day after the range, W the range
//! itself, and rows at or after E are ignored, so every other rule holds as is.
//!
//! Speed comes from the representation: one [`LogRow`] of 32 bytes per
//! interaction, sorted by time, members and spaces as dense `u32` indexes, and
//! per-member state in flat vectors indexed by them, so a pass over ten million
//! rows allocates nothing per row.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::InteractionKind;
use crate::members::MemberId;

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Days in the window W.
pub const WINDOW_DAYS: i64 = 28;
/// Days a newcomer has to post or reply to count as activated (closed interval).
pub const ACTIVATION_DAYS: i64 = 14;
/// Weeks after the cohort's own week that retention follows.
pub const COHORT_WEEKS: usize = 12;
/// Marks a row without a target member.
pub const NO_MEMBER: u32 = u32::MAX;
/// Marks a row outside any thread.
pub const NO_THREAD: i64 = i64::MIN;

/// One interaction in compact form. Rows of a log are sorted by `(at, id)`:
/// the position in the log is the tie-break the definitions ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRow {
    /// Seconds since the Unix epoch, UTC.
    pub at: i64,
    /// The thread's key (the opening post's interaction id), or [`NO_THREAD`].
    pub thread: i64,
    /// Dense index of the actor in [`InteractionLog::members`].
    pub actor: u32,
    /// Dense index of the target, or [`NO_MEMBER`].
    pub target: u32,
    /// Dense index of the space in [`InteractionLog::spaces`].
    pub space: u32,
    pub kind: InteractionKind,
    pub actor_is_staff: bool,
}

/// A member of the workspace as the `members` table knows it (for activation by join).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogMember {
    pub id: MemberId,
    /// Seconds since the Unix epoch, UTC.
    pub joined_at: i64,
    pub is_staff: bool,
}

/// A workspace's interaction log, ready to measure.
#[derive(Debug, Clone, Default)]
pub struct InteractionLog {
    /// Dense member index → member; every row's actor and target index into it.
    pub members: Vec<LogMember>,
    /// Dense space index → the space's id.
    pub spaces: Vec<i64>,
    /// Sorted by `(at, id)`.
    pub rows: Vec<LogRow>,
    /// The staff set S, by dense member index (computed by [`InteractionLog::finish`]).
    staff: Vec<bool>,
}

impl InteractionLog {
    /// Takes rows in id order (sorted here by time, stably, so rows of the
    /// same second keep their id order), and computes the staff set.
    pub fn new(members: Vec<LogMember>, spaces: Vec<i64>, rows: Vec<LogRow>) -> Self {
        let mut log = Self {
            members,
            spaces,
            rows: Vec::new(),
            staff: Vec::new(),
        };
        log.append(rows);
        log
    }

    /// Appends rows whose ids come after the ones already held. Their times
    /// need not: features record interactions late (a reaction to last
    /// month's post, a demo's history), so the log is re-sorted by time,
    /// stably, when the new rows are not already in order after the old.
    pub fn append(&mut self, rows: impl IntoIterator<Item = LogRow>) {
        let before = self.rows.len();
        self.rows.extend(rows);
        if !self.rows[before.saturating_sub(1)..].is_sorted_by_key(|row| row.at) {
            self.rows.sort_by_key(|row| row.at);
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.staff.clear();
        self.staff.resize(self.members.len(), false);
        for row in &self.rows {
            if row.actor_is_staff {
                self.staff[row.actor as usize] = true;
            }
        }
    }

    /// Whether the member (dense index) is in the staff set S.
    pub fn is_staff(&self, member: u32) -> bool {
        member != NO_MEMBER && self.staff.get(member as usize).copied().unwrap_or(false)
    }

    /// Dense index of a space id.
    pub fn space_index(&self, space: i64) -> Option<u32> {
        self.spaces
            .iter()
            .position(|known| *known == space)
            .map(|index| index as u32)
    }

    /// E of the default window: the midnight after the last interaction, as a day number.
    pub fn end_day(&self) -> Option<i64> {
        self.rows.last().map(|row| row.at.div_euclid(DAY) + 1)
    }

    /// The rows of a scope before `end_day`, in order.
    fn scoped(&self, scope: Option<u32>, end: i64) -> impl Iterator<Item = &LogRow> {
        let stop = self.rows.partition_point(|row| row.at < end);
        self.rows[..stop]
            .iter()
            .filter(move |row| scope.is_none_or(|space| row.space == space))
    }

    /// The rows of a scope in `[from, end)`, in order.
    fn scoped_between(
        &self,
        scope: Option<u32>,
        from: i64,
        end: i64,
    ) -> impl Iterator<Item = &LogRow> {
        let start = self.rows.partition_point(|row| row.at < from);
        let stop = self.rows.partition_point(|row| row.at < end);
        self.rows[start..stop.max(start)]
            .iter()
            .filter(move |row| scope.is_none_or(|space| row.space == space))
    }
}

/// Which days the measures report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "variant", rename_all = "snake_case")]
pub enum Window {
    /// The definitions' window: the 28 days before the end of the data.
    Default,
    /// A custom range of whole UTC days, `from` included, `to` included
    /// (day numbers since 1970-01-01).
    Range { from_day: i64, to_day: i64 },
}

/// The audience-or-community verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Community,
    Hybrid,
    Audience,
    /// Too little activity in the window to say (see [`VERDICT_MIN_ACTIVE`]).
    NotEnoughData,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Community => "community",
            Verdict::Hybrid => "hybrid",
            Verdict::Audience => "audience",
            Verdict::NotEnoughData => "not_enough_data",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Community => "Community",
            Verdict::Hybrid => "Hybrid",
            Verdict::Audience => "Audience",
            Verdict::NotEnoughData => "Not enough data",
        }
    }
}

/// A community needs at least this member-to-member share …
pub const COMMUNITY_MIN_M2M: f64 = 0.5;
/// … this peer first-response rate (when any thread was answered) …
pub const COMMUNITY_MIN_PEER_FIRST: f64 = 0.5;
/// … this share of active members connected without staff, and a reciprocity ρ above zero
/// (when members replied to each other at all).
pub const COMMUNITY_MIN_LCC: f64 = 0.5;
/// Below this member-to-member share, or this connectivity, a space is an audience.
pub const AUDIENCE_MAX_M2M: f64 = 0.2;
pub const AUDIENCE_MAX_LCC: f64 = 0.2;
/// Fewer active members than this in W, or no directed interaction, gives no verdict.
pub const VERDICT_MIN_ACTIVE: u64 = 3;

/// Daily active members on one day of the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DailyActive {
    /// Day number since 1970-01-01 (UTC).
    pub day: i64,
    pub dau: u32,
    pub wau: u32,
    pub mau: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveMembers {
    pub dau: f64,
    pub wau: f64,
    pub mau: u64,
    pub stickiness: Option<f64>,
    pub daily: Vec<DailyActive>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub numerator: u64,
    pub denominator: u64,
    pub share: Option<f64>,
}

impl Share {
    fn new(numerator: u64, denominator: u64) -> Self {
        Self {
            numerator,
            denominator,
            share: ratio(numerator, denominator),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FirstResponse {
    pub member_threads: u64,
    pub answered_threads: u64,
    pub peer_first_threads: u64,
    pub peer_first_response_rate: Option<f64>,
    pub ttfr_median_s: Option<f64>,
    pub ttfr_member_median_s: Option<f64>,
    pub ttfr_staff_median_s: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reciprocity {
    /// L, distinct directed member-to-member reply edges.
    pub links: u64,
    pub reciprocated_links: u64,
    pub nodes: u64,
    pub r: Option<f64>,
    pub density: Option<f64>,
    pub rho: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Connectivity {
    pub nodes: u64,
    pub largest_component: u64,
    pub lcc_share: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Newcomer {
    pub member_id: MemberId,
    /// First member row in the scope (or the join, for activation by join), seconds UTC.
    pub first_at: i64,
    pub activated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Newcomers {
    pub newcomers: u64,
    pub activated: u64,
    pub activation_rate: Option<f64>,
    /// The newcomers themselves, for drill-down (pages and CSV, not the API's summary).
    #[serde(skip_serializing)]
    pub members: Vec<Newcomer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CohortCell {
    pub k: u32,
    pub active: u64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// Day number of the cohort's Monday.
    pub week_start_day: i64,
    pub size: u64,
    pub cells: Vec<CohortCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retention {
    pub cohorts: Vec<Cohort>,
    pub retention_w1: Option<f64>,
    pub retention_w4: Option<f64>,
    pub retention_w12: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRisk {
    /// Members active in days 29–56 before E.
    pub active_days_29_56: u64,
    pub at_risk: u64,
    pub lapsed: u64,
    pub at_risk_share: Option<f64>,
    /// Members at risk, longest silent first; each with their last member row (seconds).
    #[serde(skip_serializing)]
    pub at_risk_members: Vec<(MemberId, i64)>,
    #[serde(skip_serializing)]
    pub lapsed_members: Vec<(MemberId, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Champion {
    pub member_id: MemberId,
    /// Posts and replies in W.
    pub contributions: u64,
    /// Replies in W to another member's row (a thread or a mention target).
    pub replies_to_members: u64,
}

/// The verdict with the numbers it was read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictReport {
    pub verdict: Verdict,
    pub member_to_member_share: Option<f64>,
    pub peer_first_response_rate: Option<f64>,
    pub lcc_share: Option<f64>,
    pub rho: Option<f64>,
    pub active_members: u64,
    /// One sentence per number that decided, in the reader's words.
    pub reasons: Vec<String>,
}

/// Every health measure of one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    #[serde(skip_serializing)]
    pub window: Window,
    /// The first day of W and E (exclusive), day numbers since 1970-01-01.
    #[serde(skip_serializing)]
    pub window_start_day: i64,
    #[serde(skip_serializing)]
    pub end_day: i64,
    pub n_interactions: u64,
    pub active: ActiveMembers,
    pub member_to_member: Share,
    pub member_authored: Share,
    pub member_posts: Share,
    pub first_response: FirstResponse,
    pub reciprocity: Reciprocity,
    pub connectivity: Connectivity,
    pub newcomers: Newcomers,
    /// Workspace scope only.
    pub newcomers_by_join: Option<Newcomers>,
    pub retention: Retention,
    pub at_risk: AtRisk,
    /// Champions, most contributions first (drill-down; the API gives their number).
    #[serde(skip_serializing)]
    pub champions: Vec<Champion>,
    pub n_champions: u64,
    pub verdict: VerdictReport,
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// The exact median (the mean of the two middle values for an even count).
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle] as f64
    } else {
        (values[middle - 1] as f64 + values[middle] as f64) / 2.0
    })
}

/// The Monday-based week of a day number (1970-01-01 was a Thursday).
pub fn week_of_day(day: i64) -> i64 {
    (day + 3).div_euclid(7)
}

/// The day number of a week's Monday.
pub fn week_start_day(week: i64) -> i64 {
    week * 7 - 3
}

fn is_contribution(kind: InteractionKind) -> bool {
    matches!(kind, InteractionKind::Post | InteractionKind::Reply)
}

/// Computes every measure for a scope (`None`: the workspace; `Some(i)`: the
/// space of dense index `i`). Answers `None` when the scope has no rows.
pub fn health(log: &InteractionLog, scope: Option<u32>, window: Window) -> Option<HealthReport> {
    let (end_day, start_day) = match window {
        Window::Default => {
            let end = log.end_day()?;
            (end, end - WINDOW_DAYS)
        }
        Window::Range { from_day, to_day } => (to_day + 1, from_day),
    };
    let end = end_day * DAY;
    let start = start_day * DAY;
    log.scoped(scope, end).next()?;
    let n_members = log.members.len();
    // A space's rows are copied out once, so that the passes below (some over
    // the whole history) read only them; first responses still look at every
    // space, through `full`.
    let full = log;
    let space_log;
    let (log, scope) = match scope {
        None => (log, None),
        Some(_) => {
            space_log = InteractionLog {
                members: log.members.clone(),
                spaces: log.spaces.clone(),
                rows: log.scoped(scope, end).copied().collect(),
                staff: log.staff.clone(),
            };
            (&space_log, None)
        }
    };
    let is_space = !std::ptr::eq(log, full);

    let active = active_members(log, scope, start_day, end_day);
    let mut n_interactions = 0;
    let mut directed = 0;
    let mut member_to_member = 0;
    let mut authored = 0;
    let mut member_authored = 0;
    let mut posts = 0;
    let mut member_posts = 0;
    for row in log.scoped_between(scope, start, end) {
        n_interactions += 1;
        if row.target != NO_MEMBER && row.target != row.actor {
            directed += 1;
            if !row.actor_is_staff && !log.is_staff(row.target) {
                member_to_member += 1;
            }
        }
        if is_contribution(row.kind) {
            authored += 1;
            member_authored += u64::from(!row.actor_is_staff);
            if row.kind == InteractionKind::Post {
                posts += 1;
                member_posts += u64::from(!row.actor_is_staff);
            }
        }
    }

    let first_response = first_response(log, full, start, end);
    let reciprocity = reciprocity(log, scope, start, end);
    let connectivity = connectivity(log, scope, start, end, n_members);
    let newcomers = newcomers(log, scope, start, end);
    let newcomers_by_join = (!is_space).then(|| newcomers_by_join(log, start, end));
    let retention = retention(log, scope, end_day);
    let at_risk = at_risk(log, scope, end_day);
    let champions = champions(log, scope, start_day, end_day);
    let member_to_member = Share::new(member_to_member, directed);
    let verdict = verdict(
        member_to_member.share,
        first_response.peer_first_response_rate,
        connectivity.lcc_share,
        reciprocity.rho,
        active.mau,
    );
    Some(HealthReport {
        window,
        window_start_day: start_day,
        end_day,
        n_interactions,
        active,
        member_to_member,
        member_authored: Share::new(member_authored, authored),
        member_posts: Share::new(member_posts, posts),
        first_response,
        reciprocity,
        connectivity,
        newcomers,
        newcomers_by_join,
        retention,
        at_risk,
        n_champions: champions.len() as u64,
        champions,
        verdict,
    })
}

/// DAU, WAU and MAU for each day of W, from the distinct (day, member) pairs
/// of days W−27 onward, with sliding per-member counts.
fn active_members(
    log: &InteractionLog,
    scope: Option<u32>,
    start_day: i64,
    end_day: i64,
) -> ActiveMembers {
    let first_day = start_day - (WINDOW_DAYS - 1);
    let n_days = (end_day - first_day) as usize;
    let mut last_day = vec![i64::MIN; log.members.len()];
    // Members active on each day, flattened: day_offsets[d]..day_offsets[d+1].
    let mut day_members: Vec<u32> = Vec::new();
    let mut day_offsets = vec![0usize; n_days + 1];
    let mut current = 0usize;
    for row in log.scoped_between(scope, first_day * DAY, end_day * DAY) {
        if row.actor_is_staff {
            continue;
        }
        let day = row.at.div_euclid(DAY);
        let offset = (day - first_day) as usize;
        while current < offset {
            current += 1;
            day_offsets[current] = day_members.len();
        }
        if last_day[row.actor as usize] != day {
            last_day[row.actor as usize] = day;
            day_members.push(row.actor);
        }
    }
    while current < n_days {
        current += 1;
        day_offsets[current] = day_members.len();
    }
    let day_slice = |offset: usize| &day_members[day_offsets[offset]..day_offsets[offset + 1]];
    let mut week_count = vec![0u8; log.members.len()];
    let mut month_count = vec![0u8; log.members.len()];
    let (mut week_distinct, mut month_distinct) = (0u32, 0u32);
    let mut daily = Vec::with_capacity(WINDOW_DAYS as usize);
    for offset in 0..n_days {
        for &member in day_slice(offset) {
            let member = member as usize;
            if week_count[member] == 0 {
                week_distinct += 1;
            }
            week_count[member] += 1;
            if month_count[member] == 0 {
                month_distinct += 1;
            }
            month_count[member] += 1;
        }
        if offset >= 7 {
            for &member in day_slice(offset - 7) {
                week_count[member as usize] -= 1;
                week_distinct -= u32::from(week_count[member as usize] == 0);
            }
        }
        if offset >= WINDOW_DAYS as usize {
            for &member in day_slice(offset - WINDOW_DAYS as usize) {
                month_count[member as usize] -= 1;
                month_distinct -= u32::from(month_count[member as usize] == 0);
            }
        }
        let day = first_day + offset as i64;
        if day >= start_day {
            daily.push(DailyActive {
                day,
                dau: day_slice(offset).len() as u32,
                wau: week_distinct,
                mau: month_distinct,
            });
        }
    }
    let n = daily.len().max(1) as f64;
    let dau = daily.iter().map(|day| f64::from(day.dau)).sum::<f64>() / n;
    let wau = daily.iter().map(|day| f64::from(day.wau)).sum::<f64>() / n;
    let sticky: Vec<f64> = daily
        .iter()
        .filter(|day| day.mau > 0)
        .map(|day| f64::from(day.dau) / f64::from(day.mau))
        .collect();
    let stickiness = (!sticky.is_empty()).then(|| sticky.iter().sum::<f64>() / sticky.len() as f64);
    // MAU is the distinct member actors of W itself, which for a 28-day W is MAU(−1).
    let mut seen = vec![false; log.members.len()];
    let mut mau = 0;
    for row in log.scoped_between(scope, start_day * DAY, end_day * DAY) {
        if !row.actor_is_staff && !seen[row.actor as usize] {
            seen[row.actor as usize] = true;
            mau += 1;
        }
    }
    ActiveMembers {
        dau,
        wau,
        mau,
        stickiness,
        daily,
    }
}

/// A member's thread: its author, t0, and its first response (time, by staff).
type OpenThread = (u32, i64, Option<(i64, bool)>);

fn first_response(
    log: &InteractionLog,
    full: &InteractionLog,
    start: i64,
    end: i64,
) -> FirstResponse {
    // Threads opened in W by members of the scope: key → (author, t0, first response (at, index, staff)).
    let mut threads: HashMap<i64, OpenThread> = HashMap::new();
    for row in log.scoped_between(None, start, end) {
        if row.kind == InteractionKind::Post && row.thread != NO_THREAD && !row.actor_is_staff {
            threads
                .entry(row.thread)
                .or_insert((row.actor, row.at, None));
        }
    }
    // Responses may come until E, from any space; rows are in (at, id) order, so
    // the first one that fits is the smallest by (at, id).
    for row in full.scoped_between(None, start, end) {
        if row.kind != InteractionKind::Reply || row.thread == NO_THREAD {
            continue;
        }
        if let Some((author, t0, first)) = threads.get_mut(&row.thread)
            && first.is_none()
            && row.actor != *author
            && row.at >= *t0
        {
            *first = Some((row.at, row.actor_is_staff));
        }
    }
    let mut all = Vec::new();
    let mut member = Vec::new();
    let mut staff = Vec::new();
    for (_, t0, first) in threads.values() {
        if let Some((at, is_staff)) = first {
            all.push(at - t0);
            if *is_staff {
                staff.push(at - t0);
            } else {
                member.push(at - t0);
            }
        }
    }
    let answered = all.len() as u64;
    let peer = member.len() as u64;
    FirstResponse {
        member_threads: threads.len() as u64,
        answered_threads: answered,
        peer_first_threads: peer,
        peer_first_response_rate: ratio(peer, answered),
        ttfr_median_s: median(&mut all),
        ttfr_member_median_s: median(&mut member),
        ttfr_staff_median_s: median(&mut staff),
    }
}

fn reciprocity(log: &InteractionLog, scope: Option<u32>, start: i64, end: i64) -> Reciprocity {
    let mut edges: Vec<(u32, u32)> = log
        .scoped_between(scope, start, end)
        .filter(|row| {
            row.kind == InteractionKind::Reply
                && !row.actor_is_staff
                && row.target != NO_MEMBER
                && !log.is_staff(row.target)
                && row.target != row.actor
        })
        .map(|row| (row.actor, row.target))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let links = edges.len() as u64;
    let reciprocated = edges
        .iter()
        .filter(|(from, to)| edges.binary_search(&(*to, *from)).is_ok())
        .count() as u64;
    let mut nodes: Vec<u32> = edges.iter().flat_map(|(from, to)| [*from, *to]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let n = nodes.len() as u64;
    let r = ratio(reciprocated, links);
    let density = (links > 0).then(|| links as f64 / (n * (n - 1)) as f64);
    let rho = match (r, density) {
        (Some(r), Some(a)) if a < 1.0 => Some((r - a) / (1.0 - a)),
        _ => None,
    };
    Reciprocity {
        links,
        reciprocated_links: reciprocated,
        nodes: n,
        r,
        density,
        rho,
    }
}

fn find(parent: &mut [u32], mut node: u32) -> u32 {
    while parent[node as usize] != node {
        let grand = parent[parent[node as usize] as usize];
        parent[node as usize] = grand;
        node = grand;
    }
    node
}

fn connectivity(
    log: &InteractionLog,
    scope: Option<u32>,
    start: i64,
    end: i64,
    n_members: usize,
) -> Connectivity {
    let mut active = vec![false; n_members];
    let mut n_active = 0u64;
    for row in log.scoped_between(scope, start, end) {
        if !row.actor_is_staff && !active[row.actor as usize] {
            active[row.actor as usize] = true;
            n_active += 1;
        }
    }
    let mut parent: Vec<u32> = (0..n_members as u32).collect();
    for row in log.scoped_between(scope, start, end) {
        if matches!(
            row.kind,
            InteractionKind::Reply | InteractionKind::Mention | InteractionKind::AcceptedAnswer
        ) && !row.actor_is_staff
            && row.target != NO_MEMBER
            && !log.is_staff(row.target)
            && row.target != row.actor
            && active[row.target as usize]
        {
            let a = find(&mut parent, row.actor);
            let b = find(&mut parent, row.target);
            if a != b {
                parent[a as usize] = b;
            }
        }
    }
    let mut sizes = vec![0u32; n_members];
    let mut largest = 0u32;
    for member in 0..n_members as u32 {
        if active[member as usize] {
            let root = find(&mut parent, member);
            sizes[root as usize] += 1;
            largest = largest.max(sizes[root as usize]);
        }
    }
    Connectivity {
        nodes: n_active,
        largest_component: u64::from(largest),
        lcc_share: ratio(u64::from(largest), n_active),
    }
}

fn newcomers(log: &InteractionLog, scope: Option<u32>, start: i64, end: i64) -> Newcomers {
    let mut first = vec![i64::MIN; log.members.len()];
    let mut activated = vec![false; log.members.len()];
    for row in log.scoped(scope, end) {
        if row.actor_is_staff {
            continue;
        }
        let member = row.actor as usize;
        if first[member] == i64::MIN {
            first[member] = row.at;
        }
        if is_contribution(row.kind) && row.at <= first[member] + ACTIVATION_DAYS * DAY {
            activated[member] = true;
        }
    }
    let members: Vec<Newcomer> = (0..log.members.len())
        .filter(|member| first[*member] >= start && first[*member] < end)
        .map(|member| Newcomer {
            member_id: log.members[member].id,
            first_at: first[member],
            activated: activated[member],
        })
        .collect();
    newcomer_summary(members)
}

fn newcomer_summary(mut members: Vec<Newcomer>) -> Newcomers {
    members.sort_by_key(|newcomer| (newcomer.first_at, newcomer.member_id));
    let n = members.len() as u64;
    let activated = members.iter().filter(|newcomer| newcomer.activated).count() as u64;
    Newcomers {
        newcomers: n,
        activated,
        activation_rate: ratio(activated, n),
        members,
    }
}

fn newcomers_by_join(log: &InteractionLog, start: i64, end: i64) -> Newcomers {
    let joined: Vec<bool> = log
        .members
        .iter()
        .map(|member| !member.is_staff && member.joined_at >= start && member.joined_at < end)
        .collect();
    let mut activated = vec![false; log.members.len()];
    for row in log.scoped_between(None, start, end) {
        let member = row.actor as usize;
        if !row.actor_is_staff
            && joined[member]
            && is_contribution(row.kind)
            && row.at >= log.members[member].joined_at
            && row.at <= log.members[member].joined_at + ACTIVATION_DAYS * DAY
        {
            activated[member] = true;
        }
    }
    newcomer_summary(
        (0..log.members.len())
            .filter(|member| joined[*member])
            .map(|member| Newcomer {
                member_id: log.members[member].id,
                first_at: log.members[member].joined_at,
                activated: activated[member],
            })
            .collect(),
    )
}

fn retention(log: &InteractionLog, scope: Option<u32>, end_day: i64) -> Retention {
    let mut cohort = vec![i64::MIN; log.members.len()];
    let mut last_week = vec![i64::MIN; log.members.len()];
    let mut cells: BTreeMap<i64, [u64; COHORT_WEEKS + 1]> = BTreeMap::new();
    for row in log.scoped(scope, end_day * DAY) {
        if row.actor_is_staff {
            continue;
        }
        let member = row.actor as usize;
        let week = week_of_day(row.at.div_euclid(DAY));
        if last_week[member] == week {
            continue;
        }
        last_week[member] = week;
        if cohort[member] == i64::MIN {
            cohort[member] = week;
        }
        let k = week - cohort[member];
        if k <= COHORT_WEEKS as i64 {
            cells.entry(cohort[member]).or_insert([0; COHORT_WEEKS + 1])[k as usize] += 1;
        }
    }
    let mut pooled = [(0u64, 0u64); COHORT_WEEKS + 1];
    let mut cohorts = Vec::new();
    for (week, counts) in cells {
        let week_start = week_start_day(week);
        let size = counts[0];
        let reported: Vec<CohortCell> = (0..=COHORT_WEEKS)
            .take_while(|k| week_start + 7 * (*k as i64 + 1) <= end_day)
            .map(|k| {
                pooled[k].0 += counts[k];
                pooled[k].1 += size;
                CohortCell {
                    k: k as u32,
                    active: counts[k],
                    share: ratio(counts[k], size),
                }
            })
            .collect();
        if !reported.is_empty() {
            cohorts.push(Cohort {
                week_start_day: week_start,
                size,
                cells: reported,
            });
        }
    }
    Retention {
        cohorts,
        retention_w1: ratio(pooled[1].0, pooled[1].1),
        retention_w4: ratio(pooled[4].0, pooled[4].1),
        retention_w12: ratio(pooled[12].0, pooled[12].1),
    }
}

fn at_risk(log: &InteractionLog, scope: Option<u32>, end_day: i64) -> AtRisk {
    let end = end_day * DAY;
    let mut in_base = vec![false; log.members.len()];
    let mut last_at = vec![i64::MIN; log.members.len()];
    for row in log.scoped_between(scope, end - 56 * DAY, end) {
        if row.actor_is_staff {
            continue;
        }
        let member = row.actor as usize;
        if row.at < end - 28 * DAY {
            in_base[member] = true;
        }
        last_at[member] = row.at;
    }
    let mut base = 0;
    let mut at_risk_members = Vec::new();
    let mut lapsed_members = Vec::new();
    for member in 0..log.members.len() {
        if !in_base[member] {
            continue;
        }
        base += 1;
        let id = log.members[member].id;
        if last_at[member] < end - 14 * DAY {
            at_risk_members.push((id, last_at[member]));
        }
        if last_at[member] < end - 28 * DAY {
            lapsed_members.push((id, last_at[member]));
        }
    }
    at_risk_members.sort_by_key(|(id, last)| (*last, *id));
    lapsed_members.sort_by_key(|(id, last)| (*last, *id));
    AtRisk {
        active_days_29_56: base,
        at_risk: at_risk_members.len() as u64,
        lapsed: lapsed_members.len() as u64,
        at_risk_share: ratio(at_risk_members.len() as u64, base),
        at_risk_members,
        lapsed_members,
    }
}

/// Champions: members who posted or replied in each of the four 7-day blocks
/// of W (sustained contribution, Orbit's "leading" and Discourse's TL3 in
/// spirit), most contributions first.
fn champions(
    log: &InteractionLog,
    scope: Option<u32>,
    start_day: i64,
    end_day: i64,
) -> Vec<Champion> {
    let n_blocks = ((end_day - start_day) as usize).div_ceil(7).max(1);
    let mut blocks = vec![0u64; log.members.len()];
    let mut contributions = vec![0u64; log.members.len()];
    let mut replies = vec![0u64; log.members.len()];
    for row in log.scoped_between(scope, start_day * DAY, end_day * DAY) {
        if row.actor_is_staff || !is_contribution(row.kind) {
            continue;
        }
        let member = row.actor as usize;
        let block = ((row.at.div_euclid(DAY) - start_day) / 7).min(63) as u32;
        blocks[member] |= 1u64 << block;
        contributions[member] += 1;
        if row.kind == InteractionKind::Reply
            && row.target != NO_MEMBER
            && row.target != row.actor
            && !log.is_staff(row.target)
        {
            replies[member] += 1;
        }
    }
    let all_blocks = if n_blocks >= 64 {
        u64::MAX
    } else {
        (1u64 << n_blocks) - 1
    };
    let mut champions: Vec<Champion> = (0..log.members.len())
        .filter(|member| blocks[*member] & all_blocks == all_blocks)
        .map(|member| Champion {
            member_id: log.members[member].id,
            contributions: contributions[member],
            replies_to_members: replies[member],
        })
        .collect();
    champions.sort_by_key(|champion| {
        (
            std::cmp::Reverse(champion.contributions),
            champion.member_id,
        )
    });
    champions
}

/// The verdict, by the thresholds above (see ARCHITECTURE.md, "Analytics").
pub fn verdict(
    member_to_member_share: Option<f64>,
    peer_first_response_rate: Option<f64>,
    lcc_share: Option<f64>,
    rho: Option<f64>,
    active_members: u64,
) -> VerdictReport {
    let percent = |value: f64| format!("{:.0}%", value * 100.0);
    let mut reasons = Vec::new();
    let verdict = match (member_to_member_share, lcc_share) {
        (Some(m2m), Some(lcc)) if active_members >= VERDICT_MIN_ACTIVE => {
            if m2m < AUDIENCE_MAX_M2M {
                reasons.push(format!(
                    "Only {} of directed interactions run between members (an audience is below {}).",
                    percent(m2m),
                    percent(AUDIENCE_MAX_M2M)
                ));
            }
            if lcc < AUDIENCE_MAX_LCC {
                reasons.push(format!(
                    "Without staff, the largest connected group holds {} of active members (an audience is below {}).",
                    percent(lcc),
                    percent(AUDIENCE_MAX_LCC)
                ));
            }
            if !reasons.is_empty() {
                Verdict::Audience
            } else {
                let mut community = true;
                if m2m >= COMMUNITY_MIN_M2M {
                    reasons.push(format!(
                        "{} of directed interactions run between members.",
                        percent(m2m)
                    ));
                } else {
                    community = false;
                    reasons.push(format!(
                        "{} of directed interactions run between members (a community reaches {}).",
                        percent(m2m),
                        percent(COMMUNITY_MIN_M2M)
                    ));
                }
                match peer_first_response_rate {
                    Some(rate) if rate >= COMMUNITY_MIN_PEER_FIRST => reasons.push(format!(
                        "Members answer {} of threads first.",
                        percent(rate)
                    )),
                    Some(rate) => {
                        community = false;
                        reasons.push(format!(
                            "Members answer {} of threads first (a community reaches {}).",
                            percent(rate),
                            percent(COMMUNITY_MIN_PEER_FIRST)
                        ));
                    }
                    None => reasons.push("No member thread was answered in the window.".into()),
                }
                if lcc >= COMMUNITY_MIN_LCC {
                    reasons.push(format!(
                        "Without staff, {} of active members are connected.",
                        percent(lcc)
                    ));
                } else {
                    community = false;
                    reasons.push(format!(
                        "Without staff, {} of active members are connected (a community reaches {}).",
                        percent(lcc),
                        percent(COMMUNITY_MIN_LCC)
                    ));
                }
                match rho {
                    Some(rho) if rho > 0.0 => reasons.push(format!(
                        "Members reply to each other more than chance (ρ = {rho:.2})."
                    )),
                    Some(rho) => {
                        community = false;
                        reasons.push(format!(
                            "Members do not reply to each other more than chance (ρ = {rho:.2})."
                        ));
                    }
                    None => reasons
                        .push("Reciprocity cannot be measured (too few member replies).".into()),
                }
                if community {
                    Verdict::Community
                } else {
                    Verdict::Hybrid
                }
            }
        }
        _ => {
            reasons.push(format!(
                "Fewer than {VERDICT_MIN_ACTIVE} active members or no interaction between people in the window."
            ));
            Verdict::NotEnoughData
        }
    };
    VerdictReport {
        verdict,
        member_to_member_share,
        peer_first_response_rate,
        lcc_share,
        rho,
        active_members,
        reasons,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use InteractionKind::*;

    /// Day 20_000 (2024-10-04) is a Friday; `E` in these tests is set by the last row.
    const BASE: i64 = 20_000 * DAY;

    struct Builder {
        n_members: u32,
        staff: Vec<u32>,
        rows: Vec<LogRow>,
    }

    impl Builder {
        fn new(n_members: u32, staff: &[u32]) -> Self {
            Self {
                n_members,
                staff: staff.to_vec(),
                rows: Vec::new(),
            }
        }

        fn row(
            &mut self,
            at: i64,
            actor: u32,
            target: Option<u32>,
            kind: InteractionKind,
            thread: Option<i64>,
        ) -> &mut Self {
            self.row_in(0, at, actor, target, kind, thread)
        }

        fn row_in(
            &mut self,
            space: u32,
            at: i64,
            actor: u32,
            target: Option<u32>,
            kind: InteractionKind,
            thread: Option<i64>,
        ) -> &mut Self {
            self.rows.push(LogRow {
                at,
                thread: thread.unwrap_or(NO_THREAD),
                actor,
                target: target.unwrap_or(NO_MEMBER),
                space,
                kind,
                actor_is_staff: self.staff.contains(&actor),
            });
            self
        }

        fn log(&self) -> InteractionLog {
            let rows = self.rows.clone();
            InteractionLog::new(
                (0..self.n_members)
                    .map(|id| LogMember {
                        id: i64::from(id),
                        joined_at: 0,
                        is_staff: self.staff.contains(&id),
                    })
                    .collect(),
                vec![100, 200],
                rows,
            )
        }
    }

    fn report(builder: &Builder) -> HealthReport {
        health(&builder.log(), None, Window::Default).expect("rows")
    }

    #[test]
    fn a_star_around_staff_is_an_audience() {
        // Staff member 0 posts; members 1..=6 reply to it and react, never to each other.
        let mut builder = Builder::new(7, &[0]);
        for day in 0..20 {
            let t0 = BASE + day * DAY;
            builder.row(t0, 0, None, Post, Some(day));
            for member in 1..=6 {
                builder.row(
                    t0 + i64::from(member) * 60,
                    member,
                    Some(0),
                    Reply,
                    Some(day),
                );
                builder.row(
                    t0 + i64::from(member) * 60 + 1,
                    member,
                    Some(0),
                    Reaction,
                    None,
                );
            }
            builder.row(t0 + 600, 0, Some(1), Reply, Some(day));
        }
        let report = report(&builder);
        assert_eq!(report.member_to_member.share, Some(0.0));
        assert_eq!(report.connectivity.nodes, 6);
        assert_eq!(report.connectivity.largest_component, 1);
        assert_eq!(report.member_authored.numerator, 120);
        assert_eq!(report.verdict.verdict, Verdict::Audience);
        assert_eq!(
            report.verdict.reasons.len(),
            2,
            "{:?}",
            report.verdict.reasons
        );
    }

    #[test]
    fn a_clique_of_members_is_a_community() {
        // Members 1..=4 open threads in turn; the other three answer the author.
        let mut builder = Builder::new(5, &[0]);
        let mut thread = 0;
        for day in 0..20 {
            let author = 1 + (day % 4) as u32;
            let t0 = BASE + day * DAY;
            thread += 1;
            builder.row(t0, author, None, Post, Some(thread));
            for (order, member) in (1..=4).filter(|member| *member != author).enumerate() {
                builder.row(
                    t0 + 60 * (order as i64 + 1),
                    member,
                    Some(author),
                    Reply,
                    Some(thread),
                );
            }
        }
        // Staff write a little, to nobody in particular.
        builder.row(BASE + 3 * DAY + 7, 0, None, Post, Some(1_000));
        let report = report(&builder);
        assert_eq!(report.member_to_member.share, Some(1.0));
        assert_eq!(report.first_response.peer_first_response_rate, Some(1.0));
        assert_eq!(report.first_response.ttfr_median_s, Some(60.0));
        assert_eq!(report.first_response.member_threads, 20);
        assert_eq!(report.connectivity.lcc_share, Some(1.0));
        // Complete mutual graph: r = 1, density 1, so ρ is undefined.
        assert_eq!(report.reciprocity.links, 12);
        assert_eq!(report.reciprocity.reciprocated_links, 12);
        assert_eq!(report.reciprocity.rho, None);
        assert_eq!(report.verdict.verdict, Verdict::Community);
        assert_eq!(report.member_authored.share, Some(80.0 / 81.0));
        assert_eq!(report.member_posts.share, Some(20.0 / 21.0));
    }

    #[test]
    fn reciprocity_is_garlaschelli_loffredo() {
        // Edges 1→2, 2→1, 2→3, 3→4 (twice), plus rows that must not count:
        // a self-reply, a reply to staff, a staff reply, a mention.
        let mut builder = Builder::new(5, &[0]);
        let t = BASE;
        builder
            .row(t, 1, Some(2), Reply, None)
            .row(t + 1, 2, Some(1), Reply, None)
            .row(t + 2, 2, Some(3), Reply, None)
            .row(t + 3, 3, Some(4), Reply, None)
            .row(t + 4, 3, Some(4), Reply, None)
            .row(t + 5, 4, Some(4), Reply, None)
            .row(t + 6, 4, Some(0), Reply, None)
            .row(t + 7, 0, Some(4), Reply, None)
            .row(t + 8, 4, Some(3), Mention, None);
        let reciprocity = report(&builder).reciprocity;
        assert_eq!(reciprocity.links, 4);
        assert_eq!(reciprocity.reciprocated_links, 2);
        assert_eq!(reciprocity.nodes, 4);
        assert_eq!(reciprocity.r, Some(0.5));
        assert_eq!(reciprocity.density, Some(4.0 / 12.0));
        let rho = reciprocity.rho.expect("rho");
        assert!((rho - 0.25).abs() < 1e-12, "{rho}");
    }

    #[test]
    fn first_responses_follow_the_definitions() {
        let mut builder = Builder::new(5, &[0]);
        let t0 = BASE;
        // Thread 1 by member 1: its author's reply never counts; staff answers first after 100 s.
        builder
            .row(t0, 1, None, Post, Some(1))
            .row(t0 + 10, 1, None, Reply, Some(1))
            .row(t0 + 20, 2, Some(1), Reaction, None)
            .row(t0 + 30, 3, Some(1), Mention, Some(1))
            .row(t0 + 100, 0, Some(1), Reply, Some(1))
            .row(t0 + 200, 2, Some(1), Reply, Some(1));
        // Thread 2 by member 2: a peer answers after 50 s.
        builder
            .row(t0 + 1000, 2, None, Post, Some(2))
            .row(t0 + 1050, 3, Some(2), Reply, Some(2));
        // Thread 3 by member 3: no answer.
        builder.row(t0 + 2000, 3, None, Post, Some(3));
        // Thread 4 by staff: not counted.
        builder
            .row(t0 + 3000, 0, None, Post, Some(4))
            .row(t0 + 3010, 1, Some(0), Reply, Some(4));
        // Thread 5 by member 1: a peer and staff at the same second; the peer's row comes first.
        builder
            .row(t0 + 4000, 1, None, Post, Some(5))
            .row(t0 + 4030, 4, Some(1), Reply, Some(5))
            .row(t0 + 4030, 0, Some(1), Reply, Some(5));
        // Thread 2 answered again, later, in another space: only the first counts.
        builder.row_in(1, t0 + 5000, 0, Some(2), Reply, Some(2));
        let first = report(&builder).first_response;
        assert_eq!(first.member_threads, 4);
        assert_eq!(first.answered_threads, 3);
        assert_eq!(first.peer_first_threads, 2);
        assert_eq!(first.peer_first_response_rate, Some(2.0 / 3.0));
        assert_eq!(first.ttfr_median_s, Some(50.0));
        assert_eq!(first.ttfr_member_median_s, Some(40.0));
        assert_eq!(first.ttfr_staff_median_s, Some(100.0));
        // In space 200 alone nobody opened a thread.
        let log = builder.log();
        let space = health(&log, Some(1), Window::Default).expect("rows");
        assert_eq!(space.first_response.member_threads, 0);
        assert_eq!(space.first_response.peer_first_response_rate, None);
    }

    #[test]
    fn active_members_and_stickiness() {
        // E is set by day 26 (BASE + 26 d), so day −1 = BASE + 26 d, day −40 = BASE − 13 d.
        let mut builder = Builder::new(4, &[0]);
        let last = BASE + 26 * DAY;
        builder
            .row(BASE - 13 * DAY, 3, None, Post, None)
            .row(last - DAY, 1, None, Reaction, None)
            .row(last - DAY + 5, 1, None, Reaction, None)
            .row(last, 1, None, Reaction, None)
            .row(last + 1, 2, None, Reaction, None)
            .row(last + 2, 0, None, Post, None);
        let active = report(&builder).active;
        assert_eq!(active.daily.len(), 28);
        assert_eq!(active.daily[26].dau, 1);
        assert_eq!(active.daily[27].dau, 2);
        assert_eq!(active.dau, 3.0 / 28.0);
        assert_eq!(active.wau, 3.0 / 28.0);
        assert_eq!(active.mau, 2);
        // Member 3 (day −40) is in MAU(d) for d = −28..−13 (16 days, DAU 0); days −2 and −1 give 1.
        assert_eq!(active.daily[0].mau, 1);
        assert_eq!(active.daily[15].mau, 1);
        assert_eq!(active.daily[16].mau, 0);
        let stickiness = active.stickiness.expect("stickiness");
        assert!((stickiness - 2.0 / 18.0).abs() < 1e-12, "{stickiness}");
    }

    #[test]
    fn newcomers_activate_within_fourteen_days_closed() {
        let mut builder = Builder::new(5, &[0]);
        let end = BASE + 60 * DAY; // the last row is at end − 1 s
        builder
            .row(end - 40 * DAY, 3, None, Post, None) // not a newcomer
            .row(end - 20 * DAY, 2, Some(3), Mention, None)
            .row(end - 20 * DAY + 14 * DAY + 1, 2, None, Post, None) // one second late
            .row(end - 10 * DAY, 1, Some(3), Reaction, None)
            .row(end - 9 * DAY, 1, Some(3), Reply, None)
            .row(end - 5 * DAY, 4, None, Reply, None) // a reply is itself activation
            .row(end - 1, 0, None, Post, None);
        let newcomers = report(&builder).newcomers;
        assert_eq!(newcomers.newcomers, 3);
        assert_eq!(newcomers.activated, 2);
        let activated: Vec<(i64, bool)> = newcomers
            .members
            .iter()
            .map(|n| (n.member_id, n.activated))
            .collect();
        assert_eq!(activated, vec![(2, false), (1, true), (4, true)]);
    }

    #[test]
    fn newcomers_by_join_read_the_members_table() {
        let mut builder = Builder::new(4, &[0]);
        let end = BASE + 60 * DAY;
        builder
            .row(end - 9 * DAY, 1, None, Post, None)
            .row(end - 3 * DAY, 2, None, Reaction, None)
            .row(end - 1, 0, None, Post, None);
        let mut log = builder.log();
        log.members[1].joined_at = end - 10 * DAY;
        log.members[2].joined_at = end - 4 * DAY;
        log.members[3].joined_at = end - 40 * DAY;
        log.members[0].joined_at = end - 2 * DAY; // staff never count
        let report = health(&log, None, Window::Default).expect("rows");
        let by_join = report.newcomers_by_join.expect("workspace scope");
        assert_eq!((by_join.newcomers, by_join.activated), (2, 1));
        assert!(
            health(&log, Some(0), Window::Default)
                .expect("rows")
                .newcomers_by_join
                .is_none()
        );
    }

    #[test]
    fn retention_cohorts_by_monday_weeks() {
        // Day 20_003 (2024-10-07) is a Monday.
        let monday = 20_003;
        assert_eq!(week_start_day(week_of_day(monday + 6)), monday);
        assert_eq!(week_start_day(week_of_day(monday)), monday);
        let week = |w: i64, hour: i64| (monday + 7 * w) * DAY + hour * 3600;
        let mut builder = Builder::new(5, &[0]);
        builder
            .row(week(0, 1), 1, None, Post, None) // a: weeks 0 and 3
            .row(week(0, 2), 2, None, Post, None) // b: weeks 0 and 1
            .row(week(0, 3), 0, None, Post, None) // staff: never a cohort
            .row(week(1, 1), 2, None, Reaction, None)
            .row(week(1, 30), 3, None, Post, None) // c: weeks 1 and 2
            .row(week(2, 1), 3, None, Post, None)
            .row(week(3, 1), 1, None, Post, None)
            .row(week(3, 50), 4, None, Post, None); // d: week 3, unfinished, E = monday + 24
        let retention = report(&builder).retention;
        assert_eq!(retention.cohorts.len(), 2);
        let first = &retention.cohorts[0];
        assert_eq!(first.week_start_day, monday);
        assert_eq!(first.size, 2);
        let cells: Vec<(u32, u64)> = first
            .cells
            .iter()
            .map(|cell| (cell.k, cell.active))
            .collect();
        assert_eq!(cells, vec![(0, 2), (1, 1), (2, 0)]);
        let second = &retention.cohorts[1];
        let cells: Vec<(u32, u64)> = second
            .cells
            .iter()
            .map(|cell| (cell.k, cell.active))
            .collect();
        assert_eq!(cells, vec![(0, 1), (1, 1)]);
        assert_eq!(retention.retention_w1, Some(2.0 / 3.0));
        assert_eq!(retention.retention_w4, None);
    }

    #[test]
    fn members_at_risk_and_lapsed() {
        let mut builder = Builder::new(6, &[0]);
        let end = BASE + 100 * DAY;
        builder
            .row(end - 40 * DAY, 1, None, Reaction, None)
            .row(end - 20 * DAY, 1, None, Reaction, None) // at risk, not lapsed
            .row(end - 30 * DAY, 2, None, Reaction, None) // at risk and lapsed
            .row(end - 35 * DAY, 3, None, Reaction, None)
            .row(end - 5 * DAY, 3, None, Reaction, None) // still here
            .row(end - 60 * DAY, 4, None, Reaction, None) // before the base window
            .row(end - 40 * DAY, 0, None, Post, None) // staff never count
            .row(end - 1, 5, None, Reaction, None);
        let at_risk = report(&builder).at_risk;
        assert_eq!(at_risk.active_days_29_56, 3);
        assert_eq!(at_risk.at_risk, 2);
        assert_eq!(at_risk.lapsed, 1);
        assert_eq!(at_risk.at_risk_share, Some(2.0 / 3.0));
        assert_eq!(
            at_risk.at_risk_members,
            vec![(2, end - 30 * DAY), (1, end - 20 * DAY)]
        );
        assert_eq!(at_risk.lapsed_members, vec![(2, end - 30 * DAY)]);
    }

    #[test]
    fn connectivity_without_staff_counts_isolated_members() {
        let mut builder = Builder::new(10, &[0]);
        let t = BASE;
        builder
            .row(t, 1, Some(2), Reply, None)
            .row(t + 1, 3, Some(4), Mention, None)
            .row(t + 2, 4, Some(3), AcceptedAnswer, None)
            .row(t + 3, 5, None, Post, None)
            .row(t + 4, 6, Some(0), Reply, None)
            .row(t + 5, 0, Some(6), Reply, None)
            .row(t + 6, 7, Some(1), Reaction, None)
            .row(t + 7, 1, Some(8), Reply, None) // 8 is active only in the other space
            .row_in(1, t + 8, 8, None, Post, None)
            .row(t + 9, 2, None, Reaction, None);
        let log = builder.log();
        let group = health(&log, Some(0), Window::Default).expect("rows");
        assert_eq!(group.connectivity.nodes, 7);
        assert_eq!(group.connectivity.largest_component, 2);
        assert_eq!(group.connectivity.lcc_share, Some(2.0 / 7.0));
        // Workspace-wide, 8 is active too, and joins 1 and 2.
        let workspace = health(&log, None, Window::Default).expect("rows");
        assert_eq!(workspace.connectivity.nodes, 8);
        assert_eq!(workspace.connectivity.largest_component, 3);
        // Member-to-member share: 1→2, 3→4, 4→3, 7→1, 1→8 of 7 directed group rows (6→0 and 0→6 are not).
        assert_eq!(group.member_to_member.numerator, 5);
        assert_eq!(group.member_to_member.denominator, 7);
    }

    #[test]
    fn a_custom_range_moves_the_end_and_ignores_later_rows() {
        let mut builder = Builder::new(3, &[0]);
        builder
            .row(BASE + 2 * DAY, 1, None, Post, None)
            .row(BASE + 5 * DAY, 2, None, Post, None)
            .row(BASE + 50 * DAY, 1, None, Post, None);
        let log = builder.log();
        let range = Window::Range {
            from_day: 20_000,
            to_day: 20_009,
        };
        let report = health(&log, None, range).expect("rows");
        assert_eq!(report.end_day, 20_010);
        assert_eq!(report.active.daily.len(), 10);
        assert_eq!(report.active.mau, 2);
        assert_eq!(report.n_interactions, 2);
        // An empty scope answers nothing.
        assert!(health(&log, Some(1), Window::Default).is_none());
    }

    #[test]
    fn champions_contribute_every_week_of_the_window() {
        let mut builder = Builder::new(4, &[0]);
        let end = BASE + 28 * DAY;
        for week in 0..4 {
            builder.row(
                end - 28 * DAY + week * 7 * DAY + 3600,
                1,
                Some(2),
                Reply,
                None,
            );
            builder.row(end - 28 * DAY + week * 7 * DAY + 7200, 1, None, Post, None);
            if week != 2 {
                builder.row(end - 28 * DAY + week * 7 * DAY + 3600, 2, None, Post, None);
            }
            builder.row(
                end - 28 * DAY + week * 7 * DAY + 3600,
                3,
                None,
                Reaction,
                None,
            );
        }
        builder.row(end - 1, 0, None, Post, None);
        let champions = report(&builder).champions;
        assert_eq!(
            champions,
            vec![Champion {
                member_id: 1,
                contributions: 8,
                replies_to_members: 4
            }]
        );
    }

    #[test]
    fn rows_recorded_late_are_sorted_by_time_keeping_id_order_within_a_second() {
        let row = |at: i64, actor: u32| LogRow {
            at,
            thread: NO_THREAD,
            actor,
            target: NO_MEMBER,
            space: 0,
            kind: Reaction,
            actor_is_staff: false,
        };
        let mut log = Builder::new(4, &[]).log();
        log.append([row(50, 0), row(10, 1), row(50, 2)]);
        log.append([row(20, 3), row(60, 1)]);
        let order: Vec<(i64, u32)> = log.rows.iter().map(|row| (row.at, row.actor)).collect();
        assert_eq!(order, vec![(10, 1), (20, 3), (50, 0), (50, 2), (60, 1)]);
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(median(&mut []), None);
    }
}
