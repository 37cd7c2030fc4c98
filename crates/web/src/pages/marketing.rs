//! The marketer's publish page: the engine's posts, the compose form, and
//! the page posts of the foundation's history.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;

use agora_core::publishing::{PagePost, PostStatus, PublishingStore};

use agora_core::posts::{Channel, Post, PostStore};

use super::{FieldErrors, PageResult};
use crate::AppState;
use crate::auth::Ctx;
use crate::pages::channels::ComposeForm;
use crate::shell::Shell;

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    shell: Shell,
    /// Posts of the publishing engine, newest first.
    posts: Vec<Post>,
    channels: Vec<Channel>,
    form: ComposeForm,
    errors: FieldErrors,
    scheduled: Vec<PagePost>,
    published: Vec<PagePost>,
}

impl PublishPage {
    fn chosen(&self, channel: &i64) -> bool {
        self.form.channels.contains(channel)
    }
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    publish_page(&state, &ctx, ComposeForm::default(), FieldErrors::default()).await
}

/// The publish page, with the compose form as typed and its errors.
pub async fn publish_page(
    state: &AppState,
    ctx: &Ctx,
    mut form: ComposeForm,
    errors: FieldErrors,
) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let page_posts = state.db.recent_page_posts(workspace.id, 200).await?;
    let (mut scheduled, published): (Vec<PagePost>, Vec<PagePost>) = page_posts
        .into_iter()
        .partition(|post| post.status != PostStatus::Published);
    scheduled.sort_by_key(|post| post.at);
    let published = published.into_iter().take(40).collect();
    let channels = state.db.channels(workspace.id).await?;
    if form.timezone.is_empty() {
        form.timezone = channels
            .first()
            .map_or_else(|| "UTC".to_owned(), |c| c.timezone.clone());
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let shell = Shell::build(state, ctx, "Publish").await;
    Ok(super::render_with_status(
        status,
        &PublishPage {
            shell,
            posts: state.db.posts(workspace.id, 50).await?,
            channels,
            form,
            errors,
            scheduled,
            published,
        },
    ))
}
