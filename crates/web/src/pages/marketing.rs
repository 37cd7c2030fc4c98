//! The marketer's publish page: the engine's posts, the compose form, and
//! the page posts of the foundation's history.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;

use agora_core::publishing::{PagePost, PostStatus, PublishingStore};

use agora_core::posts::{Channel, Post, PostStore};

use super::{PageResult, render};
use crate::AppState;
use crate::auth::Ctx;
use crate::shell::Shell;

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    shell: Shell,
    /// Posts of the publishing engine, newest first.
    posts: Vec<Post>,
    channels: Vec<Channel>,
    scheduled: Vec<PagePost>,
    published: Vec<PagePost>,
}

pub async fn publish(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    publish_page(&state, &ctx).await
}

/// The publish page, with the compose form as typed and its errors.
pub async fn publish_page(state: &AppState, ctx: &Ctx) -> PageResult {
    let (workspace, _) = ctx.workspace()?;
    let page_posts = state.db.recent_page_posts(workspace.id, 200).await?;
    let (mut scheduled, published): (Vec<PagePost>, Vec<PagePost>) = page_posts
        .into_iter()
        .partition(|post| post.status != PostStatus::Published);
    scheduled.sort_by_key(|post| post.at);
    let published = published.into_iter().take(40).collect();
    let channels = state.db.channels(workspace.id).await?;
    let shell = Shell::build(state, ctx, "Publish").await;
    Ok(render(&PublishPage {
        shell,
        posts: {
            // Posts that need a person first (whatever their age), then the newest.
            let all = state.db.posts(workspace.id, 500).await?;
            let (attention, rest): (Vec<Post>, Vec<Post>) = all.into_iter().partition(|post| {
                post.approval == "pending"
                    || post.targets.iter().any(|t| {
                        matches!(
                            t.status,
                            agora_core::posts::TargetStatus::Failed
                                | agora_core::posts::TargetStatus::Unconfirmed
                                | agora_core::posts::TargetStatus::Retrying
                        )
                    })
            });
            attention
                .into_iter()
                .chain(rest.into_iter().take(50))
                .collect()
        },
        channels,
        scheduled,
        published,
    }))
}
