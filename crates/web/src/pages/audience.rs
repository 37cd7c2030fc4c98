//! The marketer's audience dashboard: what the published posts earned, by
//! channel (page) and by campaign, the top posts, engagements per day as a
//! server-side SVG, this period against the one before, and a CSV of each
//! table. Impressions, reach and followers show "not reported" where the
//! networks do not give them, and clicks where a post was published without
//! link tracking, never 0. Below, the funnel from campaign to retained
//! member, with the clicks on the campaign's tracked links.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};

use agora_core::analytics::audience::{Change, EngagementRate, Kpis};
use agora_core::calendar::csv_record;
use agora_core::desk::{Campaign, DeskStore};
use agora_core::posts::{Channel, PostStore};

use super::analytics::csv_response;
use super::{PageError, PageResult, render};
use crate::AppState;
use crate::analytics::{
    Audience, AudienceQuery, FOLLOWERS_NOT_REPORTED, FunnelBody, audience_of, date_of_day,
    funnel_of,
};
use crate::auth::Ctx;
use crate::shell::Shell;

/// A count, or "not reported" when the network did not give it.
pub fn reported(value: &Option<i64>) -> String {
    match value {
        Some(value) => value.to_string(),
        None => "not reported".into(),
    }
}

/// The rate as a percentage with its definition, or why there is none.
pub fn rate(rate: &EngagementRate) -> String {
    match (rate.definition, rate.value) {
        ("per_impression", Some(value)) => format!("{:.2}% per impression", value * 100.0),
        ("per_reach", Some(value)) => format!("{:.2}% per person reached", value * 100.0),
        ("per_follower", Some(value)) => format!("{:.2}% per follower", value * 100.0),
        _ => "not computable".into(),
    }
}

/// A share as a percentage, or a dash without a denominator.
pub fn share(value: &Option<f64>) -> String {
    crate::pages::analytics::percent(value)
}

/// A change as "+12 (+50%)", or "+12 (new)" when there was nothing before.
pub fn change(change: &Change) -> String {
    match change.ratio {
        Some(ratio) => format!("{:+} ({:+.0}%)", change.delta, ratio * 100.0),
        None if change.delta == 0 => "±0".into(),
        None => format!("{:+} (none before)", change.delta),
    }
}

/// One bar of engagements per day, pre-scaled.
pub struct Bar {
    pub x: i64,
    pub height: i64,
    pub label: String,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    pub width: i64,
    pub bar_width: i64,
    pub max: i64,
    pub first: String,
    pub last: String,
}

const CHART_HEIGHT: i64 = 150;

fn chart(daily: &[(i64, i64)]) -> Chart {
    let max = daily.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let step = (728 / daily.len().max(1) as i64).clamp(2, 26);
    Chart {
        bars: daily
            .iter()
            .enumerate()
            .map(|(index, (day, n))| Bar {
                x: index as i64 * step,
                height: n * (CHART_HEIGHT - 10) / max,
                label: format!("{}: {n} engagements", date_of_day(*day)),
            })
            .collect(),
        width: step * daily.len().max(1) as i64,
        bar_width: (step - 2).max(1),
        max,
        first: daily
            .first()
            .map(|(day, _)| date_of_day(*day))
            .unwrap_or_default(),
        last: daily
            .last()
            .map(|(day, _)| date_of_day(*day))
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "audience.html")]
struct AudiencePage {
    shell: Shell,
    ws: String,
    audience: Audience,
    from: String,
    to: String,
    previous_from: String,
    previous_to: String,
    chart: Chart,
    channels: Vec<Channel>,
    campaigns: Vec<Campaign>,
    query: AudienceQuery,
    /// The query string that keeps the choices in the CSV links.
    keep: String,
    query_error: Option<String>,
    followers_note: &'static str,
    /// The funnel of the chosen campaign, or of every campaign.
    funnel: FunnelBody,
    /// Whether the viewer may open a post's page (the marketer's side).
    opens_posts: bool,
}

fn keep(query: &AudienceQuery) -> String {
    [
        ("channel", &query.channel),
        ("campaign", &query.campaign),
        ("from", &query.from),
        ("to", &query.to),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        let value = value.as_deref()?.trim();
        (!value.is_empty()).then(|| format!("{name}={}", urlencoding::encode(value)))
    })
    .collect::<Vec<_>>()
    .join("&")
}

pub async fn audience(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<AudienceQuery>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    // A bad field is said on the page, over the default view.
    let (audience, query, query_error) = match audience_of(&state, workspace.id, &query).await {
        Ok(audience) => (audience, query, None),
        Err(problem) if !problem.errors.is_empty() => {
            let message = problem
                .errors
                .iter()
                .map(|error| {
                    format!(
                        "{}: {}",
                        error.pointer.trim_start_matches('/'),
                        error.detail
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let default = AudienceQuery::default();
            let audience = audience_of(&state, workspace.id, &default).await?;
            (audience, default, Some(message))
        }
        Err(problem) => return Err(problem.into()),
    };
    let campaign = audience.filter.campaign.map(|id| id.to_string());
    let funnel = funnel_of(&state, workspace.id, campaign.as_deref()).await?;
    let channels = state.db.channels(workspace.id).await?;
    let campaigns = state.db.campaigns(workspace.id).await?;
    let report = &audience.report;
    let shell = Shell::build(&state, &ctx, "Audience").await;
    let opens_posts = ctx
        .role
        .is_some_and(|role| agora_core::accounts::Access::Marketing.allows(role));
    Ok(render(&AudiencePage {
        shell,
        opens_posts,
        ws: workspace.slug.clone(),
        from: date_of_day(report.period.from_day),
        to: date_of_day(report.period.to_day),
        previous_from: date_of_day(report.previous_period.from_day),
        previous_to: date_of_day(report.previous_period.to_day),
        chart: chart(&report.daily_engagements),
        keep: keep(&query),
        audience,
        channels,
        campaigns,
        query,
        query_error,
        followers_note: FOLLOWERS_NOT_REPORTED,
        funnel,
    }))
}

const KPI_COLUMNS: [&str; 16] = [
    "posts",
    "measured_posts",
    "likes",
    "shares",
    "replies",
    "quotes",
    "clicks",
    "engagements",
    "impressions",
    "reach",
    "followers",
    "engagement_rate",
    "engagement_rate_definition",
    "previous_posts",
    "previous_engagements",
    "engagements_delta",
];

/// A KPI row's fields; a number the network did not report is an empty field.
fn kpi_fields(kpis: &Kpis, previous: &Kpis) -> Vec<String> {
    let opt = |value: Option<i64>| value.map(|value| value.to_string()).unwrap_or_default();
    vec![
        kpis.n_posts.to_string(),
        kpis.n_measured.to_string(),
        kpis.likes.to_string(),
        kpis.shares.to_string(),
        kpis.replies.to_string(),
        kpis.quotes.to_string(),
        opt(kpis.clicks),
        kpis.engagements.to_string(),
        opt(kpis.impressions),
        opt(kpis.reach),
        opt(kpis.followers),
        kpis.engagement_rate
            .value
            .map(|value| value.to_string())
            .unwrap_or_default(),
        kpis.engagement_rate.definition.to_owned(),
        previous.n_posts.to_string(),
        previous.engagements.to_string(),
        (kpis.engagements - previous.engagements).to_string(),
    ]
}

/// `table=channels|campaigns|posts|daily|funnel`, with the page's choices.
pub async fn export(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(params): Query<ExportParams>,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let query = AudienceQuery {
        channel: params.channel.clone(),
        campaign: params.campaign.clone(),
        from: params.from.clone(),
        to: params.to.clone(),
    };
    let audience = audience_of(&state, workspace.id, &query).await?;
    let report = &audience.report;
    let mut out = String::new();
    match params.table.as_deref().unwrap_or_default() {
        "channels" => {
            let mut header = vec!["channel_id", "channel", "network"];
            header.extend(KPI_COLUMNS);
            out.push_str(&csv_record(&header));
            for row in &report.by_channel {
                let mut fields = vec![
                    row.channel_id.to_string(),
                    row.channel_name.clone(),
                    row.network.as_str().to_owned(),
                ];
                fields.extend(kpi_fields(&row.kpis, &row.previous));
                out.push_str(&csv_record(&fields));
            }
        }
        "campaigns" => {
            let mut header = vec!["campaign_id", "campaign"];
            header.extend(KPI_COLUMNS);
            out.push_str(&csv_record(&header));
            for row in &report.by_campaign {
                let mut fields = vec![
                    row.campaign_id.map(|id| id.to_string()).unwrap_or_default(),
                    row.campaign_name.clone(),
                ];
                fields.extend(kpi_fields(&row.kpis, &row.previous));
                out.push_str(&csv_record(&fields));
            }
        }
        "posts" => {
            out.push_str(&csv_record(&[
                "post_id",
                "channel",
                "campaign",
                "published_at",
                "text",
                "url",
                "likes",
                "shares",
                "replies",
                "quotes",
                "engagements",
            ]));
            for post in &report.top_posts {
                out.push_str(&csv_record(&[
                    post.post_id.to_string(),
                    post.channel_name.clone(),
                    post.campaign_name.clone().unwrap_or_default(),
                    agora_core::analytics::import::format_time(
                        post.published_at.millis().div_euclid(1000),
                    ),
                    post.text.clone(),
                    post.remote_url.clone().unwrap_or_default(),
                    post.metrics.likes.to_string(),
                    post.metrics.shares.to_string(),
                    post.metrics.replies.to_string(),
                    post.metrics.quotes.to_string(),
                    post.engagements.to_string(),
                ]));
            }
        }
        "funnel" => {
            let funnel = funnel_of(&state, workspace.id, query.campaign.as_deref()).await?;
            out.push_str(&csv_record(&[
                "group",
                "joined",
                "contributed",
                "eligible_30",
                "active_30",
                "eligible_90",
                "active_90",
            ]));
            for (group, cohort) in [
                ("through_campaigns", &funnel.funnel.through_campaigns),
                ("on_their_own", &funnel.funnel.on_their_own),
            ] {
                out.push_str(&csv_record(&[
                    group.to_owned(),
                    cohort.joined.to_string(),
                    cohort.contributed.to_string(),
                    cohort.eligible_30.to_string(),
                    cohort.active_30.to_string(),
                    cohort.eligible_90.to_string(),
                    cohort.active_90.to_string(),
                ]));
            }
        }
        "daily" => {
            out.push_str(&csv_record(&["day", "engagements"]));
            for (day, n) in &report.daily_engagements {
                out.push_str(&csv_record(&[date_of_day(*day), n.to_string()]));
            }
        }
        _ => {
            return Err(PageError::not_found(
                "There is no such table: choose channels, campaigns, posts, daily or funnel.",
            ));
        }
    }
    let table = params.table.unwrap_or_default();
    Ok(csv_response(
        &format!("{}-audience-{table}.csv", workspace.slug),
        out,
    ))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}
