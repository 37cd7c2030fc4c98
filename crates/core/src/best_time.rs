//! Best time to post: a week of hours (7 × 24, Monday first, on the
//! channel's wall clock) scored by the engagement its published posts earned,
//! and the three best hours of the coming week the channel has free, on
//! three different days.
//!
//! The data is the channel's own published posts of the last
//! [`WINDOW_WEEKS`] weeks whose engagement was read back (likes + shares +
//! replies + quotes). Each post falls in the hour it went out, on its
//! channel's wall clock. An hour's score is the mean engagement per post
//! around it: a post counts fully in its own hour and, with weights
//! 2/4 and 1/4, in the hours one and two away (wrapping from Sunday night
//! to Monday morning), so a lone good hour does not stand out of a quiet
//! neighbourhood by chance alone. The mean is a cautious one: every hour
//! counts as if it also had one post that earned nothing, so an hour known
//! from one post, or only from its neighbours, scores below an hour as good
//! known from many (with a few hundred posts the difference vanishes). An
//! hour with no post within two hours scores 0.
//!
//! With fewer than [`MIN_POSTS`] measured posts, the channel's own data says
//! too little: the whole workspace's posts are used instead (each in its own
//! channel's timezone, then read on this channel's wall clock by weekday and
//! hour), and with fewer than that too, a default curve: weekday mornings
//! (best at 09:00) and early evenings (18:00), quieter weekends, nothing at
//! night. Every answer says which source it used.

use chrono::{Datelike, Duration, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use crate::clock::Timestamp;
use crate::posts::ChannelId;
use crate::slots::timezone_or_utc;

/// How far back engagement is read.
pub const WINDOW_WEEKS: i64 = 16;

/// The fewest measured posts a heatmap is computed from.
pub const MIN_POSTS: usize = 20;

/// How many free times are offered.
pub const N_SUGGESTIONS: usize = 3;

/// How far ahead free times are looked for: a week, so each hour of the
/// week is a candidate once.
pub const SUGGESTION_DAYS: i64 = 7;

/// Weights of the hours 0, 1 and 2 away from an hour, in its score.
const NEIGHBOUR_WEIGHTS: [f64; 3] = [4.0, 2.0, 1.0];

/// The weight of the imagined post with no engagement in every hour: one
/// post of its own hour.
const CAUTION_WEIGHT: f64 = 4.0;

/// A week of hours: `grid[weekday][hour]`, Monday first.
pub type Grid = [[f64; 24]; 7];

/// One published post's engagement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub channel_id: ChannelId,
    /// The channel's IANA timezone.
    pub timezone: String,
    pub published_at: Timestamp,
    /// Likes + shares + replies + quotes.
    pub engagement: i64,
}

/// Where a heatmap's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Channel,
    Workspace,
    Default,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Channel => "channel",
            Source::Workspace => "workspace",
            Source::Default => "default",
        }
    }
}

/// A channel's best times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BestTimes {
    pub source: Source,
    /// The measured posts the grid comes from (0 for the default).
    pub n_posts: usize,
    /// Which source was used, in a sentence for people.
    pub description: String,
    /// Mean engagement per post (relative 0–1 for the default), Monday first,
    /// on the channel's wall clock, rounded to hundredths.
    pub grid: Grid,
    /// The next best free hours, in time order.
    pub next: Vec<Timestamp>,
}

/// The default curve, relative (1 is best): weekday mornings and early
/// evenings, quieter weekends, nothing at night.
pub fn default_grid() -> Grid {
    let weekday: [f64; 24] = [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.3, 0.8, 1.0, 0.8, 0.4, //
        0.6, 0.5, 0.3, 0.3, 0.4, 0.8, 0.9, 0.7, 0.4, 0.2, 0.1, 0.05,
    ];
    let weekend: [f64; 24] = [
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.2, 0.4, 0.5, 0.5, //
        0.4, 0.3, 0.3, 0.3, 0.3, 0.4, 0.4, 0.3, 0.2, 0.1, 0.05, 0.0,
    ];
    [
        weekday, weekday, weekday, weekday, weekday, weekend, weekend,
    ]
}

/// The hour of the week (0 is Monday 00:00–01:00) an instant falls in, on a
/// timezone's wall clock.
fn hour_of_week(at: Timestamp, tz: Tz) -> usize {
    let local = at.to_datetime().with_timezone(&tz);
    local.weekday().num_days_from_monday() as usize * 24 + local.hour() as usize
}

/// The smoothed mean engagement per post of each hour of the week, each post
/// read in the given timezone (see the module documentation).
pub fn heatmap(samples: impl IntoIterator<Item = (Timestamp, i64, Tz)>) -> Grid {
    let mut sums = [0.0_f64; 168];
    let mut counts = [0.0_f64; 168];
    for (at, engagement, tz) in samples {
        let hour = hour_of_week(at, tz);
        sums[hour] += engagement as f64;
        counts[hour] += 1.0;
    }
    let mut grid = [[0.0; 24]; 7];
    for hour in 0..168 {
        let (mut sum, mut count) = (0.0, 0.0);
        for offset in -2_i32..=2 {
            let weight = NEIGHBOUR_WEIGHTS[offset.unsigned_abs() as usize];
            let neighbour = (hour as i32 + offset).rem_euclid(168) as usize;
            sum += weight * sums[neighbour];
            count += weight * counts[neighbour];
        }
        if count > 0.0 {
            grid[hour / 24][hour % 24] = (sum / (count + CAUTION_WEIGHT) * 100.0).round() / 100.0;
        }
    }
    grid
}

/// The next `N_SUGGESTIONS` best hours (on the hour, on the channel's wall
/// clock) within [`SUGGESTION_DAYS`] days after `now`, each on a different
/// day, none in an hour in which the channel already has a post scheduled;
/// the best score first picks, ties go to the earlier hour; answered in
/// time order.
pub fn next_best_free(grid: &Grid, tz: Tz, taken: &[Timestamp], now: Timestamp) -> Vec<Timestamp> {
    let start = now.to_datetime().with_timezone(&tz).date_naive();
    let mut candidates = Vec::new();
    for day in 0..=SUGGESTION_DAYS {
        let date = start + Duration::days(day);
        for hour in 0..24_u32 {
            let Some(local) = date.and_hms_opt(hour, 0, 0) else {
                continue;
            };
            // An hour skipped by a daylight-saving change is not offered.
            let at = match local.and_local_timezone(tz) {
                chrono::LocalResult::Single(at) => Timestamp::from(at.to_utc()),
                chrono::LocalResult::Ambiguous(first, _) => Timestamp::from(first.to_utc()),
                chrono::LocalResult::None => continue,
            };
            if at <= now || at > now.plus_seconds(SUGGESTION_DAYS * 86_400) {
                continue;
            }
            let busy = taken
                .iter()
                .any(|t| *t >= at && *t < at.plus_seconds(3_600));
            if !busy {
                let score = grid[date.weekday().num_days_from_monday() as usize][hour as usize];
                candidates.push((score, at, date));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<(Timestamp, chrono::NaiveDate)> = Vec::new();
    for (_, at, date) in candidates {
        if chosen.len() == N_SUGGESTIONS {
            break;
        }
        if chosen.iter().all(|(_, d)| *d != date) {
            chosen.push((at, date));
        }
    }
    let mut next: Vec<Timestamp> = chosen.into_iter().map(|(at, _)| at).collect();
    next.sort();
    next
}

/// A channel's best times: from its own measured posts when it has
/// [`MIN_POSTS`], else from the workspace's, else the default curve; with
/// the next best hours it has free. `samples` are the workspace's (any
/// window: only the last [`WINDOW_WEEKS`] weeks before `now` count); `taken`
/// are the channel's scheduled posts.
pub fn best_times(
    channel: ChannelId,
    timezone: &str,
    samples: &[Sample],
    taken: &[Timestamp],
    now: Timestamp,
) -> BestTimes {
    let tz = timezone_or_utc(timezone);
    let since = now.plus_seconds(-WINDOW_WEEKS * 7 * 86_400);
    let recent: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.published_at >= since && s.published_at <= now)
        .collect();
    let own: Vec<&Sample> = recent
        .iter()
        .copied()
        .filter(|s| s.channel_id == channel)
        .collect();
    let (source, n_posts, grid, description) = if own.len() >= MIN_POSTS {
        (
            Source::Channel,
            own.len(),
            heatmap(own.iter().map(|s| (s.published_at, s.engagement, tz))),
            format!(
                "From this channel's {} posts of the last {WINDOW_WEEKS} weeks.",
                own.len()
            ),
        )
    } else if recent.len() >= MIN_POSTS {
        (
            Source::Workspace,
            recent.len(),
            heatmap(
                recent
                    .iter()
                    .map(|s| (s.published_at, s.engagement, timezone_or_utc(&s.timezone))),
            ),
            format!(
                "From the workspace's {} posts of the last {WINDOW_WEEKS} weeks: this channel has {} measured, {MIN_POSTS} are needed.",
                recent.len(),
                own.len()
            ),
        )
    } else {
        (
            Source::Default,
            0,
            default_grid(),
            "A default: not enough posts measured yet (weekday mornings and early evenings)."
                .to_owned(),
        )
    };
    let next = next_best_free(&grid, tz, taken, now);
    BestTimes {
        source,
        n_posts,
        description,
        grid,
        next,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::from(
            chrono::DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .to_utc(),
        )
    }

    fn sample(channel: ChannelId, timezone: &str, when: &str, engagement: i64) -> Sample {
        Sample {
            channel_id: channel,
            timezone: timezone.into(),
            published_at: at(when),
            engagement,
        }
    }

    const TUESDAY: usize = 1;
    const SUNDAY: usize = 6;

    #[test]
    fn neighbouring_hours_smooth_the_mean_and_the_week_wraps() {
        let utc = Tz::UTC;
        // Tuesday 2027-06-08 10:00 (10 engagements) and 12:00 (none).
        let grid = heatmap([
            (at("2027-06-08T10:00:00Z"), 10, utc),
            (at("2027-06-08T12:30:00Z"), 0, utc),
        ]);
        assert_eq!(grid[TUESDAY][10], 4.44, "(4×10 + 1×0) / (4 + 1 + 4)");
        assert_eq!(grid[TUESDAY][11], 2.5, "(2×10 + 2×0) / (2 + 2 + 4)");
        assert_eq!(grid[TUESDAY][12], 1.11, "(1×10 + 4×0) / (1 + 4 + 4)");
        assert_eq!(
            grid[TUESDAY][8], 2.0,
            "only the 10:00 post is near: 10 / (1 + 4)"
        );
        assert_eq!(grid[TUESDAY][7], 0.0, "nothing within two hours");
        // A lone post peaks in its own hour; many posts lift it to their mean.
        let grid = heatmap([(at("2027-06-08T10:00:00Z"), 10, utc)]);
        assert_eq!(
            [grid[TUESDAY][8], grid[TUESDAY][9], grid[TUESDAY][10]],
            [2.0, 3.33, 5.0]
        );
        let grid = heatmap((0..100).map(|_| (at("2027-06-08T10:00:00Z"), 10, utc)));
        assert_eq!(grid[TUESDAY][10], 9.9);
        // Monday 00:15 reaches back to Sunday night.
        let grid = heatmap([(at("2027-06-07T00:15:00Z"), 6, utc)]);
        assert_eq!(grid[0][0], 3.0);
        assert_eq!(grid[SUNDAY][23], 2.0);
        assert_eq!(grid[SUNDAY][22], 1.2);
        assert_eq!(grid[SUNDAY][21], 0.0);
        // The hour is read on the timezone's wall clock: 08:00Z is 10:00 in Paris in June.
        let grid = heatmap([(at("2027-06-08T08:00:00Z"), 4, chrono_tz::Europe::Paris)]);
        assert_eq!(grid[TUESDAY][10], 2.0);
        assert_eq!(grid[TUESDAY][7], 0.0);
    }

    #[test]
    fn too_few_posts_fall_back_to_the_workspace_then_to_the_default() {
        let now = at("2027-06-10T12:00:00Z");
        let posts = |channel: ChannelId, n: usize| -> Vec<Sample> {
            (0..n)
                .map(|i| Sample {
                    channel_id: channel,
                    timezone: "Europe/Paris".into(),
                    published_at: now.plus_seconds(-(i as i64 + 1) * 86_400),
                    engagement: 5,
                })
                .collect()
        };
        let mut samples = posts(1, 19);
        let answer = best_times(1, "Europe/Paris", &samples, &[], now);
        assert_eq!(answer.source, Source::Default);
        assert_eq!(answer.n_posts, 0);
        assert_eq!(answer.grid, default_grid());
        assert!(answer.description.starts_with("A default"));
        samples.extend(posts(2, 1));
        let answer = best_times(1, "Europe/Paris", &samples, &[], now);
        assert_eq!(answer.source, Source::Workspace);
        assert_eq!(answer.n_posts, 20);
        assert_eq!(
            answer.description,
            "From the workspace's 20 posts of the last 16 weeks: this channel has 19 measured, 20 are needed."
        );
        samples.extend(posts(1, 1));
        let answer = best_times(1, "Europe/Paris", &samples, &[], now);
        assert_eq!(answer.source, Source::Channel);
        assert_eq!(answer.n_posts, 20);
        assert_eq!(
            answer.description,
            "From this channel's 20 posts of the last 16 weeks."
        );
        // Posts older than sixteen weeks do not count.
        let old: Vec<Sample> = posts(1, 30)
            .into_iter()
            .map(|s| Sample {
                published_at: s.published_at.plus_seconds(-WINDOW_WEEKS * 7 * 86_400),
                ..s
            })
            .collect();
        assert_eq!(
            best_times(1, "Europe/Paris", &old, &[], now).source,
            Source::Default
        );
    }

    #[test]
    fn the_workspace_fallback_reads_each_post_in_its_own_channels_timezone() {
        let now = at("2027-06-10T12:00:00Z");
        // Twenty Tokyo posts at 09:00 and 09:20 Tokyo (00:00Z, 00:20Z), on
        // the last ten Tuesdays.
        let samples: Vec<Sample> = (0..20)
            .map(|i| Sample {
                published_at: at("2027-06-08T00:00:00Z")
                    .plus_seconds(-(i / 2) * 7 * 86_400 + (i % 2) * 1_200),
                ..sample(2, "Asia/Tokyo", "2027-06-08T00:00:00Z", 7)
            })
            .collect();
        let answer = best_times(1, "Europe/Paris", &samples, &[], now);
        assert_eq!(answer.source, Source::Workspace);
        assert_eq!(
            answer.grid[TUESDAY][9], 6.67,
            "09:00 on Tokyo's clock: 20×4×7 / (20×4 + 4)"
        );
        assert_eq!(answer.grid[0][23], 0.0);
    }

    #[test]
    fn the_next_best_times_are_free_future_and_on_different_days() {
        let paris = chrono_tz::Europe::Paris;
        let now = at("2027-06-08T07:30:00Z"); // Tuesday 09:30 in Paris
        let mut grid = [[0.0; 24]; 7];
        grid[TUESDAY][9] = 10.0; // passed today; next Tuesday's is within the week
        grid[TUESDAY][18] = 9.0;
        grid[TUESDAY][17] = 8.5; // same day as 18:00: not offered too
        grid[3][9] = 8.0; // Thursday 09:00
        grid[4][12] = 7.0; // Friday 12:00
        let next = next_best_free(&grid, paris, &[], now);
        assert_eq!(
            next,
            [
                at("2027-06-08T16:00:00Z"), // Tuesday 18:00 CEST
                at("2027-06-10T07:00:00Z"), // Thursday 09:00
                at("2027-06-15T07:00:00Z"), // next Tuesday 09:00
            ]
        );
        // A post at 18:10 takes Tuesday's 18:00 hour: 17:00 that day instead.
        let taken = [at("2027-06-08T16:10:00Z")];
        let next = next_best_free(&grid, paris, &taken, now);
        assert_eq!(
            next,
            [
                at("2027-06-08T15:00:00Z"),
                at("2027-06-10T07:00:00Z"),
                at("2027-06-15T07:00:00Z"),
            ]
        );
        for instant in &next {
            assert!(*instant > now);
            assert!(
                !taken
                    .iter()
                    .any(|t| *t >= *instant && *t < instant.plus_seconds(3_600))
            );
        }
        // The default curve offers three times too.
        let answer = best_times(1, "Europe/Paris", &[], &[], now);
        assert_eq!(answer.next.len(), 3);
        assert!(answer.next.iter().all(|t| *t > now));
    }

    #[test]
    fn five_thousand_posts_are_scored_quickly() {
        let now = at("2027-06-10T12:00:00Z");
        let samples: Vec<Sample> = (0..5_000_i64)
            .map(|i| Sample {
                channel_id: 1,
                timezone: "Europe/Paris".into(),
                published_at: now.plus_seconds(-(i * 7_919) % (WINDOW_WEEKS * 7 * 86_400)),
                engagement: i % 37,
            })
            .collect();
        let started = std::time::Instant::now();
        let answer = best_times(1, "Europe/Paris", &samples, &[], now);
        let elapsed = started.elapsed();
        println!("best times over 5,000 posts: {elapsed:?}");
        assert_eq!(answer.source, Source::Channel);
        assert_eq!(answer.n_posts, 5_000);
        assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    }
}
