//! The composer: one post with a variant per channel, counters that count
//! the way each network counts (the server's own checks, through an htmx
//! round trip as one types), per-network previews with the links, mentions
//! and hashtags found, images from the media library, a campaign, and save
//! as draft, schedule, or request approval. Also the media library and the
//! campaigns pages, and the review actions on a post.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use agora_core::desk::{
    CAMPAIGN_COLORS, Campaign, DeskStore, LIBRARY_MAX_BYTES, LibraryItem, apply_utm,
};
use agora_core::posts::{Channel, PostStore, local_to_utc};
use agora_core::text_limits::find_urls;

use super::{FieldErrors, PageError, PageResult, render, render_with_status};
use crate::AppState;
use crate::auth::Ctx;
use crate::community::{Viewer, viewer};
use crate::pages::account::redirect_with_flash;
use crate::problem::Problem;
use crate::publishing::{Measure, MediaDraft, VariantDraft, measure};
use crate::shell::Shell;

/// The composer's fields, as typed.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub channels: Vec<i64>,
    /// Per-channel text, when it diverges from the shared text.
    pub variants: Vec<(i64, String)>,
    pub media: Vec<i64>,
    pub campaign: Option<i64>,
    pub local_time: String,
    pub timezone: String,
    /// `schedule` (default), `draft`.
    pub intent: String,
}

impl Draft {
    pub fn parse(body: &[u8]) -> Draft {
        let mut draft = Draft::default();
        for (key, value) in url_pairs(body) {
            match key.as_str() {
                "text" => draft.text = value,
                "channel" => {
                    if let Ok(id) = value.parse() {
                        draft.channels.push(id);
                    }
                }
                "media" => {
                    if let Ok(id) = value.parse() {
                        draft.media.push(id);
                    }
                }
                "campaign" => draft.campaign = value.parse().ok(),
                "local_time" => draft.local_time = value,
                "timezone" => draft.timezone = value,
                "intent" => draft.intent = value,
                other => {
                    if let Some(id) = other
                        .strip_prefix("variant_")
                        .and_then(|id| id.parse::<i64>().ok())
                    {
                        draft.variants.push((id, value));
                    }
                }
            }
        }
        draft
    }

    /// The text for a channel: its own variant, or the shared text.
    pub fn text_for(&self, channel: i64) -> &str {
        self.variants
            .iter()
            .find(|(id, text)| *id == channel && !text.trim().is_empty())
            .map_or(self.text.as_str(), |(_, text)| text.as_str())
    }

    pub fn own_variant(&self, channel: &i64) -> &str {
        self.variants
            .iter()
            .find(|(id, _)| id == channel)
            .map_or("", |(_, text)| text.as_str())
    }
}

pub fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |raw: &str| {
                urlencoding::decode(&raw.replace('+', " "))
                    .map(|s| s.into_owned())
                    .unwrap_or_default()
            };
            (decode(key), decode(value))
        })
        .collect()
}

/// One channel's line in the composer: its counter, preview and findings.
pub struct Check {
    pub channel: Channel,
    pub measure: Measure,
    pub preview_html: String,
    pub links: Vec<String>,
    pub mentions: Vec<String>,
    pub hashtags: Vec<String>,
    /// Images problems (count, size) for this channel.
    pub media_problem: Option<String>,
    pub text_problem: Option<String>,
}

/// Escapes text and marks its links, mentions and hashtags; answers them too.
pub fn highlight(text: &str) -> (String, Vec<String>, Vec<String>, Vec<String>) {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let urls = find_urls(text);
    let (mut links, mut mentions, mut hashtags) = (Vec::new(), Vec::new(), Vec::new());
    let mut html = String::new();
    let mut last = 0;
    let mark_words = |segment: &str,
                      html: &mut String,
                      mentions: &mut Vec<String>,
                      hashtags: &mut Vec<String>| {
        let chars: Vec<(usize, char)> = segment.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            let boundary = i == 0 || !chars[i - 1].1.is_alphanumeric();
            if (c == '@' || c == '#') && boundary {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].1.is_alphanumeric()
                        || matches!(chars[j].1, '_' | '-' | '.' | '@') && c == '@'
                        || (chars[j].1 == '_' && c == '#'))
                {
                    j += 1;
                }
                // A trailing dot ends the sentence, not the handle.
                while j > i + 1 && matches!(chars[j - 1].1, '.' | '-') {
                    j -= 1;
                }
                if j > i + 1 {
                    let end = chars.get(j).map_or(segment.len(), |(at, _)| *at);
                    let word = &segment[at..end];
                    let class = if c == '@' { "mention" } else { "hashtag" };
                    html.push_str(&format!("<span class=\"{class}\">{}</span>", escape(word)));
                    if c == '@' {
                        mentions.push(word.to_owned());
                    } else {
                        hashtags.push(word.to_owned());
                    }
                    i = j;
                    continue;
                }
            }
            let end = chars.get(i + 1).map_or(segment.len(), |(at, _)| *at);
            html.push_str(&escape(&segment[at..end]));
            i += 1;
        }
    };
    for range in urls {
        mark_words(
            &text[last..range.start],
            &mut html,
            &mut mentions,
            &mut hashtags,
        );
        let url = &text[range.clone()];
        html.push_str(&format!("<span class=\"link\">{}</span>", escape(url)));
        links.push(url.to_owned());
        last = range.end;
    }
    mark_words(&text[last..], &mut html, &mut mentions, &mut hashtags);
    (html.replace('\n', "<br>"), links, mentions, hashtags)
}

/// Each chosen channel's counter, preview and findings for the draft.
fn checks(
    draft: &Draft,
    channels: &[Channel],
    campaigns: &[Campaign],
    library: &[LibraryItem],
) -> Vec<Check> {
    let utm = draft
        .campaign
        .and_then(|id| campaigns.iter().find(|c| c.id == id))
        .map(|c| c.utm.clone())
        .unwrap_or_default();
    let chosen: Vec<&LibraryItem> = draft
        .media
        .iter()
        .filter_map(|id| library.iter().find(|item| item.id == *id))
        .collect();
    let mut out = Vec::new();
    for channel in channels.iter().filter(|c| draft.channels.contains(&c.id)) {
        let text = apply_utm(draft.text_for(channel.id), &utm);
        let measure = measure(channel, &text);
        let (preview_html, links, mentions, hashtags) = highlight(text.trim());
        let media_problem = if chosen.is_empty() {
            None
        } else if chosen.len() as i64 > channel.max_media {
            Some(format!(
                "{} images; {} allows {} per post",
                chosen.len(),
                channel.name,
                channel.max_media
            ))
        } else if !matches!(
            channel.network,
            agora_core::text_limits::Network::Mastodon | agora_core::text_limits::Network::Bluesky
        ) {
            Some(format!(
                "images on {} are not available yet",
                channel.network.as_str()
            ))
        } else {
            let max = crate::publishing::max_image_bytes(channel) as i64;
            chosen.iter().find(|item| item.size > max).map(|item| {
                format!(
                    "{} has {} bytes; {} takes at most {}",
                    item.filename,
                    item.size,
                    channel.network.as_str(),
                    max
                )
            })
        };
        out.push(Check {
            text_problem: measure.problem(channel).filter(|_| !measure.empty),
            channel: channel.clone(),
            measure,
            preview_html,
            links,
            mentions,
            hashtags,
            media_problem,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    shell: Shell,
    draft: Draft,
    channels: Vec<Channel>,
    campaigns: Vec<Campaign>,
    library: Vec<LibraryItem>,
    checks: Vec<Check>,
    needs_approval: bool,
    errors: FieldErrors,
    /// The next three best free times of the first chosen channel: (value
    /// for the time field, label), and where they come from.
    suggestions: Vec<(String, String)>,
    suggestions_source: String,
    /// Per channel: the problem the server found when scheduling.
    variant_errors: Vec<(i64, String)>,
    media_errors: Vec<(i64, String)>,
}

impl ComposePage {
    fn chosen(&self, channel: &i64) -> bool {
        self.draft.channels.contains(channel)
    }

    fn is_campaign(&self, id: &i64) -> bool {
        self.draft.campaign == Some(*id)
    }

    fn picked(&self, media: &i64) -> bool {
        self.draft.media.contains(media)
    }

    fn variant_error(&self, channel: &i64) -> Option<&str> {
        self.variant_errors
            .iter()
            .find(|(id, _)| id == channel)
            .map(|(_, message)| message.as_str())
    }

    fn media_error(&self, channel: &i64) -> Option<&str> {
        self.media_errors
            .iter()
            .find(|(id, _)| id == channel)
            .map(|(_, message)| message.as_str())
    }
}

#[derive(Template)]
#[template(path = "compose_checks.html")]
struct ChecksPartial {
    checks: Vec<Check>,
}

async fn compose_page(
    state: &AppState,
    ctx: &Ctx,
    viewer: &Viewer,
    mut draft: Draft,
    errors: FieldErrors,
    variant_errors: Vec<(i64, String)>,
    media_errors: Vec<(i64, String)>,
) -> PageResult {
    let channels = state.db.channels(viewer.workspace_id).await?;
    let campaigns = state.db.campaigns(viewer.workspace_id).await?;
    let library = state.db.media_library(viewer.workspace_id).await?;
    if draft.timezone.is_empty() {
        draft.timezone = channels
            .first()
            .map_or_else(|| "UTC".to_owned(), |c| c.timezone.clone());
    }
    let checks = checks(&draft, &channels, &campaigns, &library);
    let (mut suggestions, mut suggestions_source) = (Vec::new(), String::new());
    if let Some(first) = channels.iter().find(|c| draft.channels.contains(&c.id)) {
        let best = crate::slots::best_times(state, viewer.workspace_id, first).await?;
        let tz = agora_core::posts::parse_timezone(&draft.timezone).ok();
        for at in &best.next {
            let local = tz.map(|tz| at.to_datetime().with_timezone(&tz));
            if let Some(local) = local {
                suggestions.push((
                    local.format("%Y-%m-%dT%H:%M").to_string(),
                    local.format("%a %e %b, %H:%M").to_string(),
                ));
            }
        }
        suggestions_source = format!("Best times for {}: {}", first.name, best.description);
    }
    let status = if errors.is_empty() && variant_errors.is_empty() && media_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, "Compose").await;
    Ok(render_with_status(
        status,
        &ComposePage {
            shell,
            needs_approval: state.db.posts_need_approval(viewer.workspace_id).await?,
            draft,
            channels,
            campaigns,
            library,
            checks,
            suggestions,
            suggestions_source,
            errors,
            variant_errors,
            media_errors,
        },
    ))
}

pub async fn compose_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let mut draft = Draft::parse(query.unwrap_or_default().as_bytes());
    if draft.channels.is_empty() {
        // Every channel that is not paused (or every channel), to start with.
        let channels = state.db.channels(viewer.workspace_id).await?;
        draft.channels = channels
            .iter()
            .filter(|c| !c.paused)
            .map(|c| c.id)
            .collect();
        if draft.channels.is_empty() {
            draft.channels = channels.iter().map(|c| c.id).collect();
        }
    }
    compose_page(
        &state,
        &ctx,
        &viewer,
        draft,
        FieldErrors::default(),
        Vec::new(),
        Vec::new(),
    )
    .await
}

/// The counters, previews and findings for the composer as typed (htmx).
pub async fn check(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    body: axum::body::Bytes,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let draft = Draft::parse(&body);
    let channels = state.db.channels(viewer.workspace_id).await?;
    let campaigns = state.db.campaigns(viewer.workspace_id).await?;
    let library = state.db.media_library(viewer.workspace_id).await?;
    let checks = checks(&draft, &channels, &campaigns, &library);
    Ok(render(&ChecksPartial { checks }))
}

/// Schedules, drafts or sends for approval what the composer holds.
pub async fn submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    body: axum::body::Bytes,
) -> PageResult {
    use base64::Engine as _;
    let viewer = viewer(&state, &ctx).await?;
    let draft = Draft::parse(&body);
    let mut errors = FieldErrors::default();
    let scheduled_at = if draft.local_time.trim().is_empty() {
        None
    } else {
        match local_to_utc(&draft.local_time, &draft.timezone) {
            Ok(at) => Some(at),
            Err(message) => {
                errors.add("local_time", message);
                None
            }
        }
    };
    if draft.channels.is_empty() {
        errors.add("channel", "choose at least one channel");
    }
    if !errors.is_empty() {
        return compose_page(&state, &ctx, &viewer, draft, errors, Vec::new(), Vec::new()).await;
    }
    let mut media = Vec::new();
    for id in &draft.media {
        if let Some((item, bytes)) = state.db.media_bytes(viewer.workspace_id, *id).await? {
            media.push(MediaDraft {
                data: base64::engine::general_purpose::STANDARD.encode(bytes),
                content_type: item.content_type,
                alt: item.alt,
            });
        }
    }
    let variants: Vec<VariantDraft> = draft
        .channels
        .iter()
        .map(|id| VariantDraft {
            channel_id: *id,
            text: draft.text_for(*id).to_owned(),
            media: media.clone(),
            content_warning: None,
            language: None,
            visibility: None,
        })
        .collect();
    let intent_draft = draft.intent == "draft";
    match crate::desk::create_post(
        &state,
        &viewer,
        &variants,
        scheduled_at,
        intent_draft,
        draft.campaign,
    )
    .await
    {
        Ok(post) => {
            let held = state
                .db
                .approval(post)
                .await?
                .is_some_and(|(a, _)| a == agora_core::desk::Approval::Pending);
            Ok(redirect_with_flash(
                &state,
                &format!("/w/{}/posts/{post}", viewer.workspace_slug),
                if intent_draft {
                    "Draft saved."
                } else if held {
                    "Sent for approval: it goes out at its time once someone else approves it."
                } else if scheduled_at.is_some() {
                    "Scheduled."
                } else {
                    "Publishing now."
                },
            ))
        }
        Err(problem) if problem.status == 422 => {
            let (mut variant_errors, mut media_errors) = (Vec::new(), Vec::new());
            for error in &problem.errors {
                let pointer = error.pointer.trim_start_matches('/');
                let index = pointer
                    .strip_prefix("variants/")
                    .and_then(|rest| rest.split('/').next())
                    .and_then(|i| i.parse::<usize>().ok());
                match (index.and_then(|i| draft.channels.get(i)), pointer) {
                    (Some(channel), p) if p.contains("/media") => {
                        media_errors.push((*channel, error.detail.clone()));
                    }
                    (Some(channel), _) => variant_errors.push((*channel, error.detail.clone())),
                    (None, "scheduled_at") => errors.add("local_time", error.detail.clone()),
                    (None, "campaign_id") => errors.add("campaign", error.detail.clone()),
                    (None, _) => errors.add("channel", error.detail.clone()),
                }
            }
            compose_page(
                &state,
                &ctx,
                &viewer,
                draft,
                errors,
                variant_errors,
                media_errors,
            )
            .await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Template)]
#[template(path = "media.html")]
struct MediaPage {
    shell: Shell,
    library: Vec<LibraryItem>,
    errors: FieldErrors,
    alt: String,
}

async fn media_page(
    state: &AppState,
    ctx: &Ctx,
    viewer: &Viewer,
    errors: FieldErrors,
    alt: String,
) -> PageResult {
    let library = state.db.media_library(viewer.workspace_id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, "Media library").await;
    Ok(render_with_status(
        status,
        &MediaPage {
            shell,
            library,
            errors,
            alt,
        },
    ))
}

pub async fn media(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    media_page(&state, &ctx, &viewer, FieldErrors::default(), String::new()).await
}

/// Uploads an image (multipart: `file`, `alt`, `csrf`).
pub async fn upload(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    mut multipart: axum::extract::Multipart,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let (mut filename, mut content_type, mut bytes, mut alt) =
        (String::new(), String::new(), Vec::new(), String::new());
    let mut errors = FieldErrors::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                errors.add("file", format!("the upload broke off: {error}"));
                break;
            }
        };
        match field.name().unwrap_or_default() {
            "file" => {
                filename = field.file_name().unwrap_or("image").to_owned();
                content_type = field.content_type().unwrap_or_default().to_owned();
                match field.bytes().await {
                    Ok(data) => bytes = data.to_vec(),
                    Err(_) => errors.add(
                        "file",
                        format!(
                            "the image is larger than {} MB",
                            LIBRARY_MAX_BYTES / 1024 / 1024
                        ),
                    ),
                }
            }
            "alt" => alt = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if errors.is_empty() {
        if bytes.is_empty() {
            errors.add("file", "choose an image");
        } else if !["image/jpeg", "image/png", "image/gif", "image/webp"]
            .contains(&content_type.as_str())
        {
            errors.add("file", "use a JPEG, PNG, GIF or WebP image");
        } else if bytes.len() > LIBRARY_MAX_BYTES {
            errors.add(
                "file",
                format!(
                    "the image has {} bytes; the library takes at most {LIBRARY_MAX_BYTES}",
                    bytes.len()
                ),
            );
        }
    }
    let alt_text = alt.trim();
    if alt_text.is_empty() {
        errors.add("alt", "describe the image for people who cannot see it");
    } else if alt_text.chars().count() > 1_500 {
        errors.add("alt", "use at most 1,500 characters");
    }
    if !errors.is_empty() {
        return media_page(&state, &ctx, &viewer, errors, alt).await;
    }
    state
        .db
        .add_media(
            &agora_core::desk::NewMedia {
                workspace_id: viewer.workspace_id,
                member_id: viewer.member_id,
                filename: filename.trim(),
                content_type: &content_type,
                alt: alt_text,
                bytes: &bytes,
            },
            state.clock.now(),
        )
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/media", viewer.workspace_slug),
        "Image added to the library.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct MediaPath {
    pub workspace: String,
    pub id: i64,
}

/// An image of the library, for thumbnails and previews.
pub async fn media_file(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MediaPath>,
) -> Result<Response, PageError> {
    let (workspace, _) = ctx.workspace()?;
    let (item, bytes) = state
        .db
        .media_bytes(workspace.id, path.id)
        .await?
        .ok_or_else(|| PageError::not_found("No such image."))?;
    Ok((
        [
            (header::CONTENT_TYPE, item.content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn media_delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<MediaPath>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    state.db.delete_media(viewer.workspace_id, path.id).await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/media", viewer.workspace_slug),
        "Image removed from the library (posts already scheduled keep their copy).",
    ))
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    shell: Shell,
    campaigns: Vec<Campaign>,
    form: crate::api::publishing::NewCampaignBody,
    colors: Vec<&'static str>,
    errors: FieldErrors,
}

async fn campaigns_page(
    state: &AppState,
    ctx: &Ctx,
    viewer: &Viewer,
    form: crate::api::publishing::NewCampaignBody,
    errors: FieldErrors,
) -> PageResult {
    let campaigns = state.db.campaigns(viewer.workspace_id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, "Campaigns").await;
    Ok(render_with_status(
        status,
        &CampaignsPage {
            shell,
            campaigns,
            form,
            colors: CAMPAIGN_COLORS.to_vec(),
            errors,
        },
    ))
}

pub async fn campaigns(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    campaigns_page(
        &state,
        &ctx,
        &viewer,
        Default::default(),
        FieldErrors::default(),
    )
    .await
}

pub async fn campaign_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    body: axum::body::Bytes,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let mut form = crate::api::publishing::NewCampaignBody::default();
    for (key, value) in url_pairs(&body) {
        match key.as_str() {
            "name" => form.name = value,
            "goal" => form.goal = value,
            "starts_on" => form.starts_on = value,
            "ends_on" => form.ends_on = value,
            "color" => form.color = value,
            "utm_source" => form.utm_source = value,
            "utm_medium" => form.utm_medium = value,
            "utm_campaign" => form.utm_campaign = value,
            _ => {}
        }
    }
    match crate::desk::create_campaign(&state, viewer.workspace_id, &form).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}/campaigns", viewer.workspace_slug),
            "Campaign created.",
        )),
        Err(problem) if problem.status == 422 => {
            let mut errors = FieldErrors::default();
            for error in &problem.errors {
                let field: &'static str = match error.pointer.trim_start_matches('/') {
                    "name" => "name",
                    "goal" => "goal",
                    "starts_on" => "starts_on",
                    "ends_on" => "ends_on",
                    "color" => "color",
                    "utm_source" => "utm_source",
                    "utm_medium" => "utm_medium",
                    "utm_campaign" => "utm_campaign",
                    _ => "_",
                };
                errors.add(field, error.detail.clone());
            }
            campaigns_page(&state, &ctx, &viewer, form, errors).await
        }
        Err(problem) => Err(problem.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PostPath {
    pub workspace: String,
    pub post: i64,
}

/// Review actions on the post page: `review` (with `local_time` and
/// `timezone`), `approve`, `reject` (with `comment`).
pub async fn review_action(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
    body: axum::body::Bytes,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let fields = url_pairs(&body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let to = format!("/w/{}/posts/{}", viewer.workspace_slug, path.post);
    let result = match field("action").as_str() {
        "review" => {
            let local = field("local_time");
            let at = if local.trim().is_empty() {
                None
            } else {
                match local_to_utc(&local, &field("timezone")) {
                    Ok(at) => Some(at),
                    Err(message) => {
                        return Err(PageError {
                            status: StatusCode::UNPROCESSABLE_ENTITY,
                            message,
                        });
                    }
                }
            };
            crate::desk::request_review(&state, &viewer, path.post, at)
                .await
                .map(|()| "Sent for review.")
        }
        "approve" => crate::desk::decide(&state, &viewer, path.post, true, &field("comment"))
            .await
            .map(|()| "Approved: it goes out at its time."),
        "reject" => crate::desk::decide(&state, &viewer, path.post, false, &field("comment"))
            .await
            .map(|()| "Sent back to its author with your comment."),
        _ => Err(Problem::invalid("choose review, approve or reject")),
    };
    match result {
        Ok(message) => Ok(redirect_with_flash(&state, &to, message)),
        Err(problem) => Ok(redirect_with_flash(
            &state,
            &to,
            &format!(
                "Not done: {}",
                problem
                    .errors
                    .first()
                    .map(|e| e.detail.clone())
                    .or(problem.detail.clone())
                    .unwrap_or(problem.title)
            ),
        )),
    }
}

/// Saves edited texts of a post's channels (`text_{target}` fields).
pub async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<PostPath>,
    body: axum::body::Bytes,
) -> PageResult {
    let viewer = viewer(&state, &ctx).await?;
    let texts: Vec<(i64, String)> = url_pairs(&body)
        .into_iter()
        .filter_map(|(key, value)| {
            key.strip_prefix("text_")
                .and_then(|id| id.parse::<i64>().ok())
                .map(|id| (id, value))
        })
        .collect();
    let to = format!("/w/{}/posts/{}", viewer.workspace_slug, path.post);
    match crate::desk::edit_post(&state, &viewer, path.post, &texts).await {
        Ok(true) => {
            let pending = state
                .db
                .approval(path.post)
                .await?
                .is_some_and(|(a, _)| a == agora_core::desk::Approval::Pending);
            Ok(redirect_with_flash(
                &state,
                &to,
                if pending {
                    "Saved. The post needs approval again."
                } else {
                    "Saved."
                },
            ))
        }
        Ok(false) => Ok(redirect_with_flash(&state, &to, "Nothing changed.")),
        Err(problem) if problem.status == 422 => {
            let edit_errors = problem
                .errors
                .iter()
                .filter_map(|error| {
                    let i = error
                        .pointer
                        .trim_start_matches("/variants/")
                        .split('/')
                        .next()?
                        .parse::<usize>()
                        .ok()?;
                    texts
                        .get(i)
                        .map(|(target, _)| (*target, error.detail.clone()))
                })
                .collect();
            crate::pages::channels::post_page(&state, &ctx, path.post, edit_errors).await
        }
        Err(problem) => Err(problem.into()),
    }
}
