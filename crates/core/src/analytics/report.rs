//! The weekly community-health report e-mailed to a workspace's analytics
//! roles: the workspace's measures and each space's verdict, as plain text.

use super::health::{HealthReport, Verdict};

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

/// The subject and text of the report.
pub fn weekly_report(
    workspace_name: &str,
    report: &HealthReport,
    spaces: &[SpaceLine],
    dashboard_url: &str,
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
    (subject, text)
}
