//! The page shell every server-rendered page shares: navigation for the
//! caller's role, the workspace switcher, the flash message and the CSRF token.

use agora_core::accounts::{Access, AccountStore};

use crate::AppState;
use crate::auth::Ctx;

#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: String,
    pub active: bool,
    /// Starts a new group in the bar (Publish… | Community… | Members… | Settings).
    pub group_start: bool,
}

#[derive(Debug, Clone)]
pub struct SwitcherEntry {
    pub slug: String,
    pub name: String,
    pub current: bool,
}

/// What the layout template needs.
#[derive(Debug, Clone)]
pub struct Shell {
    pub title: String,
    pub account_name: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
    pub workspace_slug: Option<String>,
    pub workspace_name: Option<String>,
    pub role_label: Option<&'static str>,
    pub nav: Vec<NavLink>,
    pub switcher: Vec<SwitcherEntry>,
    /// Channels that need reconnecting, shown to those who publish.
    pub reconnect: Vec<String>,
}

/// The navigation, grouped as the product brief lays it out, filtered by role.
const NAV: &[(&str, &str, Access, bool)] = &[
    ("Publish", "publish", Access::Marketing, true),
    ("Calendar", "calendar", Access::Marketing, false),
    ("Channels", "channels", Access::Marketing, false),
    ("Inbox", "inbox", Access::Marketing, false),
    ("Community", "community", Access::Member, true),
    ("Events", "events", Access::Member, false),
    ("Rules & log", "moderation/log", Access::Member, false),
    ("Moderation", "moderation", Access::Moderation, false),
    ("Support", "support", Access::Moderation, false),
    ("Welcome", "welcome", Access::Community, false),
    ("Members", "members", Access::Staff, true),
    ("Analytics", "analytics", Access::Analytics, false),
    ("Settings", "settings", Access::Admin, true),
];

impl Shell {
    pub async fn build(state: &AppState, ctx: &Ctx, title: impl Into<String>) -> Shell {
        let mut switcher = Vec::new();
        if let Some(account) = &ctx.account {
            match state.db.memberships_of(account.id).await {
                Ok(memberships) => {
                    switcher = memberships
                        .into_iter()
                        .map(|membership| SwitcherEntry {
                            current: ctx
                                .workspace
                                .as_ref()
                                .is_some_and(|current| current.id == membership.workspace.id),
                            slug: membership.workspace.slug,
                            name: membership.workspace.name,
                        })
                        .collect();
                }
                Err(error) => tracing::error!(%error, "could not list workspaces for the switcher"),
            }
        }
        let mut reconnect = Vec::new();
        if let (Some(workspace), Some(role)) = (&ctx.workspace, ctx.role)
            && Access::Marketing.allows(role)
        {
            use agora_core::posts::PostStore;
            match state.db.channels(workspace.id).await {
                Ok(channels) => {
                    reconnect = channels
                        .into_iter()
                        .filter(|channel| channel.needs_reconnect)
                        .map(|channel| channel.name)
                        .collect();
                }
                Err(error) => tracing::error!(%error, "could not read the channels' health"),
            }
        }
        let mut nav = Vec::new();
        if let (Some(workspace), Some(role)) = (&ctx.workspace, ctx.role) {
            let mut pending_group = false;
            for (label, segment, access, group_start) in NAV {
                pending_group |= *group_start;
                if access.allows(role) {
                    let href = format!("/w/{}/{segment}", workspace.slug);
                    nav.push(NavLink {
                        label,
                        active: ctx.path.starts_with(&href),
                        href,
                        group_start: pending_group && !nav.is_empty(),
                    });
                    pending_group = false;
                }
            }
        }
        // Only the most specific link is current (`moderation/log` over `moderation`).
        if let Some(longest) = nav
            .iter()
            .filter(|link| link.active)
            .map(|link| link.href.len())
            .max()
        {
            for link in &mut nav {
                link.active = link.active && link.href.len() == longest;
            }
        }
        Shell {
            title: title.into(),
            account_name: ctx.account.as_ref().map(|account| account.name.clone()),
            csrf: ctx.csrf_token.clone(),
            flash: ctx.flash.clone(),
            workspace_slug: ctx
                .workspace
                .as_ref()
                .map(|workspace| workspace.slug.clone()),
            workspace_name: ctx
                .workspace
                .as_ref()
                .map(|workspace| workspace.name.clone()),
            role_label: ctx.role.map(|role| role.label()),
            nav,
            switcher,
            reconnect,
        }
    }
}
