//! The weekly report e-mailed to a workspace's analytics roles: the
//! workspace's community health and each space's verdict, and the audience
//! of the last seven days' posts against the seven before, as plain text.

use super::audience::{AudienceReport, Change};
use super::health::{HealthReport, Verdict};
use crate::Timestamp;

/// A space's line in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceLine {
    pub name: String,
    pub verdict: Verdict,
    pub member_to_member_share: Option<f64>,
    pub active_members: u64,
    /// The space is a group (a group behaving like an audience gets a warning).
    pub is_group: bool,
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{:.0}%", value * 100.0))
}

fn change(change: &Change) -> String {
    let sign = if change.delta >= 0 { "+" } else { "" };
    match change.ratio {
        Some(ratio) => format!("{sign}{}, {sign}{:.0}%", change.delta, ratio * 100.0),
        None => format!("{sign}{}", change.delta),
    }
}

fn reported(value: Option<i64>) -> String {
    value.map_or_else(|| "not reported".to_owned(), |value| value.to_string())
}

/// The marketer's part: what the period's posts earned against the period
/// before, per channel, the engagement rate with its definition, and the
/// best post.
pub fn audience_section(report: &AudienceReport, dashboard_url: &str) -> String {
    let date = |day: i64| Timestamp::from_millis(day * 86_400_000).display_date();
    let totals = &report.totals;
    let rate = match totals.engagement_rate.value {
        Some(value) => format!(
            "{:.2}% ({})",
            value * 100.0,
            totals.engagement_rate.explanation
        ),
        None => format!("not computable: {}", totals.engagement_rate.explanation),
    };
    let mut text = format!(
        "Audience: posts published {} to {}, against the {} days before.\n\n\
         Posts published: {} ({}); {} measured\n\
         Engagements: {} ({})\n\
         Engagement rate: {}\n\
         Impressions: {}; reach: {}; clicks: {}\n",
        date(report.period.from_day),
        date(report.period.to_day),
        report.period.n_days(),
        totals.n_posts,
        change(&report.comparison.posts),
        totals.n_measured,
        totals.engagements,
        change(&report.comparison.engagements),
        rate,
        reported(totals.impressions),
        reported(totals.reach),
        reported(totals.clicks),
    );
    let active: Vec<_> = report
        .by_channel
        .iter()
        .filter(|channel| channel.kpis.n_posts > 0 || channel.previous.n_posts > 0)
        .collect();
    if !active.is_empty() {
        text.push_str("By channel:\n");
        for channel in active {
            text.push_str(&format!(
                "- {}: {} post{}, {} engagements ({})\n",
                channel.channel_name,
                channel.kpis.n_posts,
                if channel.kpis.n_posts == 1 { "" } else { "s" },
                channel.kpis.engagements,
                change(&channel.comparison.engagements)
            ));
        }
    }
    if let Some(top) = report.top_posts.first() {
        let mut excerpt: String = top.text.chars().take(80).collect();
        if top.text.chars().count() > 80 {
            excerpt.push('…');
        }
        text.push_str(&format!(
            "Best post: \"{excerpt}\" on {}, {} engagements\n",
            top.channel_name, top.engagements
        ));
    }
    text.push_str(&format!("\nThe audience dashboard: {dashboard_url}\n"));
    text
}

/// The subject and text of the report; `audience`: the audience section,
/// when the workspace published anything in the two periods.
pub fn weekly_report(
    workspace_name: &str,
    report: &HealthReport,
    spaces: &[SpaceLine],
    dashboard_url: &str,
    audience: Option<&str>,
) -> (String, String) {
    let subject = format!(
        "{workspace_name}: {} active members, {} at risk — weekly community health",
        report.active.mau, report.at_risk.at_risk
    );
    let mut text = format!(
        "Community health of {workspace_name}, over the 28 days before the end of the data.\n\n\
         Active members: {} (daily {:.1}, weekly {:.1}); stickiness {}\n\
         Member-to-member share: {}; posts and replies by members: {}\n\
         Threads answered first by a member: {} of {} answered\n\
         Newcomers: {} ({} activated within 14 days)\n\
         Retention after 1 week: {}; after 4 weeks: {}\n\
         Members at risk: {} (lapsed: {}); champions: {}\n\
         Verdict: {}\n\n",
        report.active.mau,
        report.active.dau,
        report.active.wau,
        percent(report.active.stickiness),
        percent(report.member_to_member.share),
        percent(report.member_authored.share),
        report.first_response.peer_first_threads,
        report.first_response.answered_threads,
        report.newcomers.newcomers,
        report.newcomers.activated,
        percent(report.retention.retention_w1),
        percent(report.retention.retention_w4),
        report.at_risk.at_risk,
        report.at_risk.lapsed,
        report.n_champions,
        report.verdict.verdict.label(),
    );
    if !spaces.is_empty() {
        text.push_str("Spaces:\n");
        for space in spaces {
            text.push_str(&format!(
                "- {}: {} ({} member-to-member, {} active){}\n",
                space.name,
                space.verdict.label(),
                percent(space.member_to_member_share),
                space.active_members,
                if space.is_group && space.verdict == Verdict::Audience {
                    " — this group behaves like an audience"
                } else {
                    ""
                }
            ));
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "The dashboard, with the members behind each number: {dashboard_url}\n"
    ));
    if let Some(audience) = audience {
        text.push('\n');
        text.push_str(audience);
    }
    (subject, text)
}
