//! Every route in one place: method, path, the access level it requires, its
//! bounded context (the OpenAPI tag) and a summary. The router, the access
//! check, the OpenAPI document and the role-walk test all read this table.

use std::collections::BTreeMap;

use axum::Router;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, head, post, put};

use agora_core::accounts::Access;

use crate::{AppState, api, assets, auth, links, metrics, ops, pages};

/// One route's declaration.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// The bounded context, e.g. `accounts`, `community`, `jobs`.
    pub tag: &'static str,
    pub summary: &'static str,
    /// OpenAPI component of the JSON request body, for API routes that take one.
    pub request_schema: Option<&'static str>,
    /// OpenAPI component of the success response, for API routes.
    pub response_schema: Option<&'static str>,
}

impl RouteSpec {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    /// The path with `{workspace}` filled in and every other parameter set to
    /// an id that matches nothing, for tests that walk the routes.
    pub fn example_path(&self, workspace: &str) -> String {
        self.path
            .split('/')
            .map(|segment| match segment {
                "{workspace}" => workspace.to_owned(),
                s if s.starts_with('{') && s.ends_with('}') => "999999".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn spec(
    method: Method,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        tag,
        summary,
        request_schema: None,
        response_schema: None,
    }
}

fn api_spec(
    method: Method,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
    request_schema: Option<&'static str>,
    response_schema: Option<&'static str>,
) -> RouteSpec {
    RouteSpec {
        method,
        path,
        access,
        tag,
        summary,
        request_schema,
        response_schema,
    }
}

/// The table: each declaration with its handler, one line each.
#[rustfmt::skip]
fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Access::*;
    use Method as M;
    vec![
        // Operations and assets.
        (spec(M::GET, "/healthz", Public, "operations", "The process is up"), get(ops::healthz)),
        (spec(M::GET, "/readyz", Public, "operations", "The database answers and a worker's heartbeat is younger than 30 s"), get(ops::readyz)),
        (spec(M::GET, "/metrics", Public, "operations", "Prometheus metrics"), get(ops::metrics)),
        (spec(M::GET, "/assets/{file}", Public, "operations", "Static assets"), get(assets::serve)),
        // Accounts.
        (spec(M::GET, "/", Public, "accounts", "Home: your workspaces"), get(pages::account::home)),
        (spec(M::GET, "/signin", Public, "accounts", "Sign-in form"), get(pages::account::signin_form)),
        (spec(M::POST, "/signin", Public, "accounts", "Sign in"), post(pages::account::signin)),
        (spec(M::POST, "/signout", Public, "accounts", "Sign out"), post(pages::account::signout)),
        (spec(M::GET, "/signup", Public, "accounts", "Sign-up form"), get(pages::account::signup_form)),
        (spec(M::POST, "/signup", Public, "accounts", "Create an account"), post(pages::account::signup)),
        (spec(M::GET, "/forgot", Public, "accounts", "Forgotten-password form"), get(pages::account::forgot_form)),
        (spec(M::POST, "/forgot", Public, "accounts", "E-mail a password reset link"), post(pages::account::forgot)),
        (spec(M::GET, "/reset", Public, "accounts", "New-password form"), get(pages::account::reset_form)),
        (spec(M::POST, "/reset", Public, "accounts", "Set a new password with a reset token"), post(pages::account::reset)),
        (spec(M::GET, "/unsubscribe", Public, "community", "Confirm stopping activity e-mails"), get(pages::account::unsubscribe_form)),
        (spec(M::POST, "/unsubscribe", Public, "community", "Stop activity e-mails (one-click)"), post(pages::account::unsubscribe)),
        (spec(M::GET, "/r/{token}", Public, "publishing", "A published post's tracked link: 302 to the original URL, counting a click unless a preview fetcher or crawler asks"), get(links::redirect)),
        (spec(M::HEAD, "/r/{token}", Public, "publishing", "A tracked link's redirect, without counting a click"), head(links::redirect)),
        (spec(M::GET, "/invite/{token}", Public, "accounts", "An invitation"), get(pages::account::invite_show)),
        (spec(M::POST, "/invite/{token}", Account, "accounts", "Accept an invitation"), post(pages::account::invite_accept)),
        (spec(M::GET, "/w/{workspace}/join", Account, "accounts", "Join an open workspace: the link a campaign's posts carry (utm_campaign= records the campaign the member came through)"), get(pages::account::join_form)),
        (spec(M::POST, "/w/{workspace}/join", Account, "accounts", "Join an open workspace"), post(pages::account::join_workspace)),
        (spec(M::GET, "/account/tokens", Account, "accounts", "Personal access tokens"), get(pages::account::tokens_page)),
        (spec(M::POST, "/account/tokens", Account, "accounts", "Create a personal access token"), post(pages::account::token_create)),
        (spec(M::POST, "/account/tokens/{id}/revoke", Account, "accounts", "Revoke a personal access token"), post(pages::account::token_revoke)),
        // Workspace pages.
        (spec(M::GET, "/w/{workspace}", Member, "accounts", "Workspace dashboard"), get(pages::workspace::dashboard)),
        (spec(M::GET, "/w/{workspace}/publish", Marketing, "publishing", "Scheduled and published posts"), get(pages::marketing::publish)),
        (spec(M::POST, "/w/{workspace}/posts", Marketing, "publishing", "Schedule a post, send it for approval, or save a draft (the composer)"), post(pages::compose::submit)),
        (spec(M::GET, "/w/{workspace}/compose", Marketing, "publishing", "The composer: a variant per channel, counters, previews, images, campaign"), get(pages::compose::compose_form)),
        (spec(M::POST, "/w/{workspace}/compose/check", Marketing, "publishing", "The composer's counters and previews as typed (htmx)"), post(pages::compose::check)),
        (spec(M::GET, "/w/{workspace}/media", Marketing, "publishing", "The media library"), get(pages::compose::media)),
        (spec(M::POST, "/w/{workspace}/media", Marketing, "publishing", "Upload an image with its alt text"), post(pages::compose::upload).layer(axum::extract::DefaultBodyLimit::max(agora_core::desk::LIBRARY_MAX_BYTES + 1024 * 1024))),
        (spec(M::GET, "/w/{workspace}/media/{id}", Marketing, "publishing", "An image of the library"), get(pages::compose::media_file)),
        (spec(M::POST, "/w/{workspace}/media/{id}/delete", Marketing, "publishing", "Remove an image from the library"), post(pages::compose::media_delete)),
        (spec(M::GET, "/w/{workspace}/campaigns", Marketing, "publishing", "Campaigns"), get(pages::compose::campaigns)),
        (spec(M::POST, "/w/{workspace}/campaigns", Marketing, "publishing", "Create a campaign"), post(pages::compose::campaign_create)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/review", Marketing, "publishing", "Request review, approve or reject a post (never one's own)"), post(pages::compose::review_action)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/edit", Marketing, "publishing", "Edit a post's text per channel (an approved post needs approval again)"), post(pages::compose::edit)),
        (spec(M::GET, "/w/{workspace}/posts/{post}", Marketing, "publishing", "A post: each channel's status and the attempt timeline"), get(pages::channels::post)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/retry", Marketing, "publishing", "Publish a failed or unconfirmed channel again"), post(pages::channels::retry)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/mark-published", Marketing, "publishing", "Mark an unconfirmed channel as published"), post(pages::channels::mark_published)),
        (spec(M::GET, "/w/{workspace}/channels", Marketing, "publishing", "Channels: connect, test, pause, reconnect, remove"), get(pages::channels::channels)),
        (spec(M::POST, "/w/{workspace}/channels", Marketing, "publishing", "Connect a channel"), post(pages::channels::connect)),
        (spec(M::POST, "/w/{workspace}/channels/oauth/mastodon", Marketing, "publishing", "Connect a Mastodon account through OAuth: go to the instance to authorize Agora"), post(pages::channels::mastodon_oauth_start)),
        (spec(M::GET, "/oauth/mastodon/callback", Account, "publishing", "Where Mastodon sends the person back with an authorization code"), get(pages::channels::mastodon_oauth_callback)),
        (spec(M::POST, "/w/{workspace}/channels/{channel}", Marketing, "publishing", "Test, pause, resume, reconnect or remove a channel"), post(pages::channels::channel_action)),
        (spec(M::GET, "/w/{workspace}/channels/{channel}/queue", Marketing, "publishing", "A channel's queue slots, and its best times to post as a heatmap"), get(pages::queue::queue)),
        (spec(M::POST, "/w/{workspace}/channels/{channel}/queue", Marketing, "publishing", "Add or remove queue slots, set the channel's timezone, pause or resume its queue"), post(pages::queue::update)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/queue", Marketing, "publishing", "Add a post to the queue: the next slot free on all its channels"), post(pages::channels::queue)),
        (spec(M::GET, "/w/{workspace}/calendar", Marketing, "calendar", "Content calendar: month, week or list of posts and events, in a chosen zone, with filters"), get(pages::calendar::calendar)),
        (spec(M::GET, "/w/{workspace}/calendar.csv", Marketing, "calendar", "The calendar's posts between two dates as CSV, one row per channel"), get(pages::calendar::export)),
        (spec(M::POST, "/w/{workspace}/calendar/feed", Marketing, "calendar", "Make, replace or turn off one's private calendar feed"), post(pages::calendar::feed)),
        (spec(M::POST, "/w/{workspace}/posts/{post}/move", Marketing, "calendar", "Move a post to another local date and time (drag and drop, or its Move form)"), post(pages::calendar::move_post)),
        (spec(M::GET, "/feeds/calendar/{token}", Public, "calendar", "A marketer's private calendar feed (the token is the key)"), get(pages::calendar::private_feed)),
        (spec(M::GET, "/w/{workspace}/inbox", Marketing, "publishing", "Unified inbox"), get(pages::workspace::inbox)),
        (spec(M::GET, "/w/{workspace}/community", Member, "community", "Groups"), get(pages::community::community)),
        (spec(M::GET, "/w/{workspace}/groups/{group}", Member, "community", "A group's threads"), get(pages::community::group)),
        (spec(M::GET, "/w/{workspace}/threads/{thread}", Member, "community", "A thread"), get(pages::community::thread)),
        (spec(M::GET, "/w/{workspace}/groups/{group}/join", Member, "community", "A group's rules, to join"), get(pages::community::join_form)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/join", Member, "community", "Join a group, accepting its rules"), post(pages::community::join)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/leave", Member, "community", "Leave a group"), post(pages::community::leave)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/requests/{member}/approve", Member, "community", "Approve a join request (group owners and moderators, workspace moderators)"), post(pages::community::approve_request)),
        (spec(M::GET, "/w/{workspace}/groups/{group}/manage", Member, "community", "Manage a group: settings, rules, members' roles (group owners and moderators)"), get(pages::groups::manage)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/manage", Member, "community", "Save a group's settings and rules (group owners)"), post(pages::groups::save_settings)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/members/{member}", Member, "community", "Approve, promote, demote or remove a group member"), post(pages::groups::update_member)),
        (spec(M::POST, "/w/{workspace}/groups/{group}/threads", Member, "community", "Start a thread"), post(pages::community::create_thread)),
        (spec(M::POST, "/w/{workspace}/threads/{thread}/replies", Member, "community", "Reply to a thread"), post(pages::community::reply)),
        (spec(M::POST, "/w/{workspace}/threads/{thread}/moderate", Member, "moderation", "Pin, unpin, lock or unlock a thread (group owners and moderators, workspace moderators)"), post(pages::community::moderate_thread)),
        (spec(M::GET, "/w/{workspace}/threads/{thread}/edit", Member, "community", "Edit one's thread, with its history"), get(pages::community::edit_thread_form)),
        (spec(M::POST, "/w/{workspace}/threads/{thread}/edit", Member, "community", "Save an edited thread"), post(pages::community::edit_thread)),
        (spec(M::POST, "/w/{workspace}/threads/{thread}/reactions", Member, "community", "React to a thread's opening post"), post(pages::community::react_to_thread)),
        (spec(M::GET, "/w/{workspace}/support", Moderation, "community", "Unanswered threads and first responses"), get(pages::community::support)),
        (spec(M::POST, "/w/{workspace}/threads/{thread}/accept", Member, "community", "Accept an answer"), post(pages::community::accept)),
        (spec(M::GET, "/w/{workspace}/replies/{reply}/edit", Member, "community", "Edit one's reply, with its history"), get(pages::community::edit_reply_form)),
        (spec(M::POST, "/w/{workspace}/replies/{reply}/edit", Member, "community", "Save an edited reply"), post(pages::community::edit_reply)),
        (spec(M::POST, "/w/{workspace}/replies/{reply}/delete", Member, "community", "Delete a reply (author or moderator)"), post(pages::community::delete_reply)),
        (spec(M::POST, "/w/{workspace}/replies/{reply}/reactions", Member, "community", "React to a reply"), post(pages::community::react)),
        (spec(M::GET, "/w/{workspace}/people/{handle}", Member, "members", "A member's profile"), get(pages::people::profile)),
        (spec(M::GET, "/w/{workspace}/profile", Member, "members", "Edit your profile"), get(pages::people::edit_form)),
        (spec(M::POST, "/w/{workspace}/profile", Member, "members", "Save your profile"), post(pages::people::edit)),
        (spec(M::GET, "/w/{workspace}/welcome", Community, "community", "Newcomers and introductions"), get(pages::people::welcome)),
        (spec(M::POST, "/w/{workspace}/welcome/introductions", Community, "community", "Post an introduction"), post(pages::people::introduce)),
        (spec(M::POST, "/w/{workspace}/welcome/introductions/skip", Community, "community", "Skip a suggested introduction this week"), post(pages::people::skip_introduction)),
        (spec(M::POST, "/w/{workspace}/welcome/message", Community, "community", "Save the welcome message for newcomers"), post(pages::people::save_welcome_message)),
        (spec(M::POST, "/w/{workspace}/welcome/dismiss", Member, "community", "Put the newcomer's welcome panel away"), post(pages::people::dismiss_welcome)),
        (spec(M::GET, "/w/{workspace}/search", Member, "community", "Search threads and replies"), get(pages::community::search)),
        (spec(M::GET, "/w/{workspace}/notifications", Member, "community", "Notifications"), get(pages::community::notifications)),
        (spec(M::GET, "/w/{workspace}/notifications/badge", Member, "community", "Unread notifications count"), get(pages::community::notification_badge)),
        (spec(M::GET, "/w/{workspace}/events", Member, "events", "Events in the groups one may read, and one's calendar feed"), get(pages::events::list)),
        (spec(M::POST, "/w/{workspace}/events", Member, "events", "Create an event or a series (group owners and moderators, staff)"), post(pages::events::create)),
        (spec(M::GET, "/w/{workspace}/events/new", Member, "events", "New event form"), get(pages::events::new_form)),
        (spec(M::POST, "/w/{workspace}/events/feed", Member, "events", "Make, replace or turn off one's private calendar feed"), post(pages::events::feed)),
        (spec(M::GET, "/w/{workspace}/events/{event}", Member, "events", "An event (or, with .ics, its calendar file)"), get(pages::events::show)),
        (spec(M::POST, "/w/{workspace}/events/{event}/rsvp", Member, "events", "Answer an event or its series: going, interested, not going"), post(pages::events::rsvp)),
        (spec(M::GET, "/w/{workspace}/events/{event}/edit", Member, "events", "Edit an event (organizers)"), get(pages::events::edit_form)),
        (spec(M::POST, "/w/{workspace}/events/{event}/edit", Member, "events", "Save an event; attendees are told of a new time or place"), post(pages::events::edit)),
        (spec(M::POST, "/w/{workspace}/events/{event}/cancel", Member, "events", "Cancel an event (organizers)"), post(pages::events::cancel)),
        (spec(M::GET, "/w/{workspace}/events/{event}/check-in", Member, "events", "The organizers' check-in page"), get(pages::events::check_in_form)),
        (spec(M::POST, "/w/{workspace}/events/{event}/check-in", Member, "events", "Check an attendee in by code or from the list"), post(pages::events::check_in)),
        (spec(M::POST, "/w/{workspace}/events/{event}/walk-in", Member, "events", "Add someone at the door and check them in"), post(pages::events::walk_in)),
        (spec(M::GET, "/w/{workspace}/events/{event}/join", Member, "events", "Go to the join link (going members); records online attendance"), get(pages::events::join)),
        (spec(M::POST, "/w/{workspace}/events/{event}/invite", Member, "events", "Invite members by handle (organizers)"), post(pages::events::invite)),
        (spec(M::POST, "/w/{workspace}/events/{event}/feedback", Member, "events", "Rate an event one went to"), post(pages::events::feedback)),
        (spec(M::GET, "/w/{workspace}/groups/{group}/events.ics", Member, "events", "A group's events as an iCalendar file"), get(pages::events::group_feed)),
        (spec(M::GET, "/feeds/events/{token}", Public, "events", "A member's private calendar feed (the token is the key)"), get(pages::events::personal_feed)),
        (spec(M::GET, "/w/{workspace}/moderation", GroupModeration, "moderation", "The review queue: flagged and held posts, join requests, appeals"), get(pages::moderation::queue)),
        (spec(M::POST, "/w/{workspace}/moderation/items/{item}/claim", GroupModeration, "moderation", "Claim a review item"), post(pages::moderation::claim)),
        (spec(M::POST, "/w/{workspace}/moderation/items/{item}/decision", GroupModeration, "moderation", "Decide a review item: agree, disagree or ignore"), post(pages::moderation::decide)),
        (spec(M::POST, "/w/{workspace}/moderation/members/{member}/sanctions", GroupModeration, "moderation", "Sanction a member: hide or remove a post, warn, mute, suspend, ban"), post(pages::moderation::sanction)),
        (spec(M::GET, "/w/{workspace}/moderation/log", Member, "moderation", "The public moderation log"), get(pages::moderation::public_log)),
        (spec(M::GET, "/w/{workspace}/moderation/audit", Admin, "moderation", "The audit log of every moderator action"), get(pages::moderation::audit_log)),
        (spec(M::GET, "/w/{workspace}/moderation/mine", Member, "moderation", "One's standing: trust level, sanctions, actions and appeals"), get(pages::moderation::mine)),
        (spec(M::POST, "/w/{workspace}/moderation/appeals", Member, "moderation", "Appeal an action about oneself"), post(pages::moderation::file_appeal)),
        (spec(M::POST, "/w/{workspace}/moderation/warnings/{sanction}/ack", Member, "moderation", "Acknowledge a warning"), post(pages::moderation::acknowledge)),
        (spec(M::GET, "/w/{workspace}/moderation/settings", Community, "moderation", "Code of conduct, flag threshold, auto-moderation rules, trust levels"), get(pages::moderation::settings)),
        (spec(M::POST, "/w/{workspace}/moderation/settings", Community, "moderation", "Save moderation settings"), post(pages::moderation::save_settings)),
        (spec(M::POST, "/w/{workspace}/moderation/conduct", Community, "moderation", "Publish a new code of conduct"), post(pages::moderation::save_conduct)),
        (spec(M::POST, "/w/{workspace}/moderation/rules", Community, "moderation", "Add an auto-moderation rule"), post(pages::moderation::add_rule)),
        (spec(M::POST, "/w/{workspace}/moderation/rules/{rule}/delete", Community, "moderation", "Remove an auto-moderation rule"), post(pages::moderation::delete_rule)),
        (spec(M::POST, "/w/{workspace}/moderation/members/{member}/trust", Community, "moderation", "Set a member's trust level by hand, or back to automatic"), post(pages::moderation::set_trust)),
        (spec(M::POST, "/w/{workspace}/moderation/trust", Community, "moderation", "Recompute trust levels now"), post(pages::moderation::recompute_trust)),
        (spec(M::GET, "/w/{workspace}/conduct", Member, "moderation", "The code of conduct, to read and accept"), get(pages::moderation::conduct)),
        (spec(M::POST, "/w/{workspace}/conduct/accept", Member, "moderation", "Accept the code of conduct"), post(pages::moderation::accept_conduct)),
        (spec(M::POST, "/w/{workspace}/flags", Member, "moderation", "Flag a post"), post(pages::moderation::flag)),
        (spec(M::GET, "/w/{workspace}/members", Staff, "members", "Member directory"), get(pages::community::members)),
        (spec(M::GET, "/w/{workspace}/members/merges", Community, "members", "Merge suggestions, with their reasons, and past merges"), get(pages::member::merges)),
        (spec(M::POST, "/w/{workspace}/members/merges", Community, "members", "Merge two members, or dismiss the suggestion"), post(pages::member::merge)),
        (spec(M::POST, "/w/{workspace}/members/merges/{merge}/undo", Community, "members", "Unmerge"), post(pages::member::unmerge)),
        (spec(M::GET, "/w/{workspace}/members/{member}", Staff, "members", "A member for staff: identities, tags, private notes"), get(pages::member::show)),
        (spec(M::POST, "/w/{workspace}/members/{member}/identities", Staff, "members", "Add an identity on a network"), post(pages::member::add_identity)),
        (spec(M::POST, "/w/{workspace}/members/{member}/tags", Staff, "members", "Save a member's tags"), post(pages::member::save_tags)),
        (spec(M::POST, "/w/{workspace}/members/{member}/notes", Staff, "members", "Add a private note about a member"), post(pages::member::add_note)),
        (spec(M::GET, "/w/{workspace}/analytics", Analytics, "analytics", "Activity by space"), get(pages::community::analytics)),
        (spec(M::GET, "/w/{workspace}/analytics/health", Analytics, "analytics", "Community health of the workspace: verdicts per space, active members, retention (from, to: a custom range)"), get(pages::analytics::workspace_health)),
        (spec(M::GET, "/w/{workspace}/analytics/spaces/{space}", Analytics, "analytics", "Community health of a space, with its verdict"), get(pages::analytics::space_health)),
        (spec(M::GET, "/w/{workspace}/analytics/members", Analytics, "analytics", "The members behind a number: at risk, lapsed, champions, newcomers"), get(pages::analytics::drill_down)),
        (spec(M::GET, "/w/{workspace}/analytics/audience", Analytics, "analytics", "The marketer's audience KPIs by channel and campaign, top posts, engagements per day, against the previous period (channel, campaign, from, to)"), get(pages::audience::audience)),
        (spec(M::GET, "/w/{workspace}/analytics/audience.csv", Analytics, "analytics", "CSV of an audience table: channels, campaigns, posts or daily"), get(pages::audience::export)),
        (spec(M::GET, "/w/{workspace}/analytics/funnel/members", Analytics, "analytics", "The members behind a funnel number (campaign, group: through_campaigns|on_their_own, step: joined|contributed|eligible_30|active_30|eligible_90|active_90)"), get(pages::funnel::members)),
        (spec(M::GET, "/w/{workspace}/analytics/funnel/members.csv", Analytics, "analytics", "CSV of the members behind a funnel number"), get(pages::funnel::members_csv)),
        (spec(M::GET, "/w/{workspace}/analytics/export.csv", Analytics, "analytics", "CSV of a health table, or of the interaction log and members in the import format"), get(pages::analytics::export)),
        (spec(M::GET, "/w/{workspace}/settings", Admin, "accounts", "Workspace settings"), get(pages::settings::settings)),
        (spec(M::POST, "/w/{workspace}/settings/signup", Admin, "accounts", "Open or close sign-up"), post(pages::settings::set_signup)),
        (spec(M::POST, "/w/{workspace}/settings/approval", Admin, "accounts", "Turn \"posts need approval\" on or off"), post(pages::settings::set_approval)),
        (spec(M::POST, "/w/{workspace}/settings/links", Admin, "accounts", "Turn \"track link clicks\" on or off"), post(pages::settings::set_link_tracking)),
        (spec(M::POST, "/w/{workspace}/settings/invitations", Admin, "accounts", "Invite someone by e-mail"), post(pages::settings::invite)),
        (spec(M::POST, "/w/{workspace}/settings/members/{account}/role", Admin, "accounts", "Change a role"), post(pages::settings::set_role)),
        (spec(M::GET, "/w/{workspace}/settings/jobs", Admin, "jobs", "Failed and dead jobs"), get(pages::settings::jobs)),
        (spec(M::POST, "/w/{workspace}/settings/jobs/{id}/retry", Admin, "jobs", "Retry a job"), post(pages::settings::retry_job)),
        // API.
        (api_spec(M::GET, "/api/v1/openapi.json", Public, "operations", "This OpenAPI document", None, None), get(api::openapi::document)),
        (api_spec(M::GET, "/api/v1/me", Account, "accounts", "The caller's account and workspaces", None, Some("Me")), get(api::me)),
        (api_spec(M::GET, "/api/v1/tokens", Account, "accounts", "The caller's personal access tokens", None, Some("ApiTokenList")), get(api::tokens_list)),
        (api_spec(M::POST, "/api/v1/tokens", Account, "accounts", "Create a personal access token", Some("NewToken"), Some("CreatedToken")), post(api::tokens_create)),
        (api_spec(M::DELETE, "/api/v1/tokens/{id}", Account, "accounts", "Revoke a personal access token", None, None), delete(api::tokens_revoke)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/spaces", Member, "community", "Spaces: groups (and pages, for staff)", None, Some("SpaceList")), get(api::spaces)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/groups", Member, "community", "Groups the caller can see", None, Some("GroupList")), get(api::community::groups_list)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/groups", Community, "community", "Create a group", Some("NewGroup"), Some("Group")), post(api::community::groups_create)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/groups/{id}/join", Member, "community", "Join a group, accepting its rules", Some("Join"), Some("GroupMembership")), post(api::community::group_join)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/groups/{id}/threads", Member, "community", "A group's threads", None, Some("ThreadList")), get(api::community::group_threads)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/groups/{id}/threads", Member, "community", "Start a thread", Some("NewThread"), Some("Thread")), post(api::community::group_thread_create)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/threads/{id}", Member, "community", "A thread with its replies", None, Some("Thread")), get(api::community::thread_show)),
        (api_spec(M::PUT, "/api/v1/w/{workspace}/threads/{id}", Member, "community", "Edit one's thread: title and opening post (the old ones are kept in its history)", Some("ThreadEdit"), None), put(api::community::thread_edit)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/threads/{id}/reactions", Member, "community", "Toggle a reaction on a thread's opening post", Some("Reaction"), Some("ReactionCounts")), post(api::community::thread_react)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/threads/{id}/replies", Member, "community", "Reply to a thread", Some("NewReply"), Some("Created")), post(api::community::thread_reply)),
        (api_spec(M::PUT, "/api/v1/w/{workspace}/replies/{id}", Member, "community", "Edit one's reply (the old text is kept in its history)", Some("NewReply"), None), put(api::community::reply_edit)),
        (api_spec(M::DELETE, "/api/v1/w/{workspace}/replies/{id}", Member, "community", "Delete a reply (author or moderator)", None, None), delete(api::community::reply_delete)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/replies/{id}/reactions", Member, "community", "Toggle a reaction on a reply", Some("Reaction"), Some("ReactionCounts")), post(api::community::reply_react)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/threads/{id}/accept", Member, "community", "Accept an answer (asker or staff)", Some("Accept"), None), post(api::community::thread_accept)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/search", Member, "community", "Full-text search over readable threads and replies", None, Some("SearchHitList")), get(api::community::search)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/events", Member, "events", "Events in the groups the caller may read (from, to: RFC 3339; group)", None, Some("EventList")), get(api::events::list)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/flags", Member, "moderation", "Flag a thread's opening post or a reply", Some("NewFlag"), Some("FlagOutcome")), post(api::moderation::flag)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/review-queue", GroupModeration, "moderation", "The review queue (status: pending by default, or all; kind)", None, Some("ReviewQueue")), get(api::moderation::queue)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/review-queue/{id}/claim", GroupModeration, "moderation", "Claim a review item", None, None), post(api::moderation::claim)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/review-queue/{id}/decision", GroupModeration, "moderation", "Decide a review item: agree, disagree or ignore", Some("Decision"), Some("ReviewItem")), post(api::moderation::decide)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/automod/rules", Moderation, "moderation", "Auto-moderation rules", None, Some("AutomodRuleList")), get(api::moderation::rules)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/automod/rules", Community, "moderation", "Add an auto-moderation rule", Some("NewAutomodRule"), Some("AutomodRule")), post(api::moderation::create_rule)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/members/{id}/sanctions", GroupModeration, "moderation", "Sanction a member", Some("NewSanction"), Some("Sanction")), post(api::moderation::sanction)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/moderation-log", Member, "moderation", "The public moderation log", None, Some("ModerationLog")), get(api::moderation::log)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/audit-log", Admin, "moderation", "Every moderator action (admins)", None, Some("AuditLog")), get(api::moderation::audit)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/appeals", Member, "moderation", "Appeal an action about oneself; a different moderator decides", Some("NewAppeal"), Some("Created")), post(api::moderation::appeal)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/events", Member, "events", "Create an event, or a series with an RFC 5545 rule (group organizers, staff)", Some("NewEvent"), Some("Event")), post(api::events::create)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/events/{id}", Member, "events", "An event; {id}.ics answers its iCalendar file", None, Some("Event")), get(api::events::show)),
        (api_spec(M::PUT, "/api/v1/w/{workspace}/events/{id}/rsvp", Member, "events", "Answer an event: the resulting state is going, or waitlisted with a position", Some("Rsvp"), Some("RsvpAnswer")), put(api::events::rsvp)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/events/{id}/attendees", Member, "events", "Everyone who answered, with check-in codes (organizers)", None, Some("AttendeeList")), get(api::events::attendees)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/events/{id}/check-in", Member, "events", "Check an attendee in by code or member id (organizers)", Some("CheckIn"), Some("CheckedIn")), post(api::events::check_in)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/members", Staff, "members", "Members, newest first, by cursor", None, Some("MemberPage")), get(api::members)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/channels", Marketing, "publishing", "Channels, with their health (never their credentials)", None, Some("ChannelList")), get(api::publishing::channels_list)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/channels", Marketing, "publishing", "Connect a channel: the credentials are checked with the network, then sealed", Some("NewChannel"), Some("CreatedChannel")), post(api::publishing::channels_create)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/channels/{id}/reconnect", Marketing, "publishing", "New credentials for a channel, checked with the network", Some("NewChannel"), Some("Channel")), post(api::publishing::channel_reconnect)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/channels/{id}/slots", Marketing, "publishing", "A channel's queue: its weekly slots on its wall clock, its timezone, whether the queue is paused", None, Some("Queue")), get(api::slots::queue_show)),
        (api_spec(M::PUT, "/api/v1/w/{workspace}/channels/{id}/slots", Marketing, "publishing", "Replace a channel's queue slots; set its timezone and pause when given", Some("Queue"), Some("Queue")), put(api::slots::queue_replace)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/channels/{id}/best-times", Marketing, "publishing", "Best times to post on a channel: mean engagement per post by weekday and hour, its source, and the next three best free times", None, Some("BestTimes")), get(api::slots::best_times_show)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts", Marketing, "publishing", "Schedule a post (a variant per channel), publish it now, or save a draft", Some("NewPost"), Some("Post")), post(api::publishing::posts_create)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/posts/{id}", Marketing, "publishing", "A post: its status per channel, the networks' ids and links, and every attempt", None, Some("Post")), get(api::publishing::post_show)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/retry", Marketing, "publishing", "Publish failed or unconfirmed channels again (one, with target_id)", Some("TargetRef"), Some("Post")), post(api::publishing::post_retry)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/mark-published", Marketing, "publishing", "Mark an unconfirmed channel as published after checking the network", Some("TargetRef"), Some("Post")), post(api::publishing::post_mark_published)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/review", Marketing, "publishing", "Ask for a post's review (optionally with its time); it waits, held, for an approver", Some("Review"), Some("ReviewedPost")), post(api::publishing::post_review)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/approve", Marketing, "publishing", "Approve a post awaiting review (never one's own); it goes out at its time", Some("Review"), Some("ReviewedPost")), post(api::publishing::post_approve)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/reject", Marketing, "publishing", "Reject a post awaiting review with a comment (never one's own)", Some("Review"), Some("ReviewedPost")), post(api::publishing::post_reject)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/campaigns", Marketing, "publishing", "Campaigns", None, Some("CampaignList")), get(api::publishing::campaigns_list)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/campaigns", Marketing, "publishing", "Create a campaign: name, goal, dates, colour, default UTM parameters", Some("NewCampaign"), Some("Campaign")), post(api::publishing::campaigns_create)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/posts/{id}/queue", Marketing, "publishing", "Add to queue: the post takes the earliest slot free on all its waiting channels (409 when a queue is paused, has no slots or no shared free slot)", None, Some("Post")), post(api::slots::post_queue)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/calendar", Marketing, "calendar", "Posts and events between two times (from, to: RFC 3339), with the calendar's filters", None, Some("CalendarWindow")), get(api::calendar::window)),
        (api_spec(M::PUT, "/api/v1/w/{workspace}/posts/{id}/schedule", Marketing, "calendar", "Move a post to another time (posts that went out cannot move)", Some("Schedule"), Some("Post")), put(api::calendar::schedule)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/posts", Marketing, "publishing", "Page posts between two times", None, Some("PagePostList")), get(api::posts)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/analytics/spaces", Analytics, "analytics", "Activity per space over 30 days", None, Some("SpaceActivityList")), get(api::analytics_spaces)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/analytics/health", Analytics, "analytics", "Community health of the workspace or a space (space=), over the definitions' window or a custom range (from, to: dates, included)", None, Some("Health")), get(api::analytics::health_show)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/analytics/audience", Analytics, "analytics", "Audience KPIs of published posts by channel and campaign, against the previous equal period (channel=, campaign=, from, to: dates, included; default the 28 days up to today)", None, Some("Audience")), get(api::analytics::audience_show)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/analytics/funnel", Analytics, "analytics", "The funnel of one campaign (campaign=) or of all: posts, engagements, members who joined through it, contributed, active at 30 and 90 days, against members who came on their own", None, Some("Funnel")), get(api::analytics::funnel_show)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/analytics/spaces/{id}/verdict", Analytics, "analytics", "A space's verdict (community, hybrid, audience) with the numbers and thresholds behind it", None, Some("Verdict")), get(api::analytics::verdict_show)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/members/merge-suggestions", Community, "members", "Members that look like one person, with the reasons", None, Some("MergeSuggestionList")), get(api::identities::suggestions)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/members/merges", Community, "members", "Merge a member into another (their histories count as one)", Some("NewMerge"), Some("Created")), post(api::identities::merge)),
        (api_spec(M::DELETE, "/api/v1/w/{workspace}/members/merges/{id}", Community, "members", "Unmerge", None, None), delete(api::identities::unmerge)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/members/{id}/identities", Staff, "members", "Add an identity on a network", Some("NewIdentity"), None), post(api::identities::add_identity)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/members/{id}", Staff, "members", "A member: profile, identities and activity", None, Some("MemberDetail")), get(api::analytics::member_show)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/invitations", Admin, "accounts", "Invite someone by e-mail", Some("NewInvitation"), Some("Invitation")), post(api::invitations_create)),
        (api_spec(M::GET, "/api/v1/w/{workspace}/jobs", Admin, "jobs", "Jobs by state (dead by default)", None, Some("JobList")), get(api::jobs_list)),
        (api_spec(M::POST, "/api/v1/w/{workspace}/jobs/{id}/retry", Admin, "jobs", "Retry a dead or retrying job", None, None), post(api::job_retry)),
    ]
}

/// Every route's declaration.
pub fn specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// The application: routes, access control, metrics and fallbacks.
pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for (spec, method_router) in table() {
        let merged = match by_path.remove(spec.path) {
            Some(existing) => existing.merge(method_router),
            None => method_router,
        };
        by_path.insert(spec.path, merged);
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    router
        .route_layer(from_fn_with_state(state.clone(), auth::authorize))
        .fallback(fallback)
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

async fn fallback(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        api::not_found().await.into_response()
    } else {
        pages::error_page(
            axum::http::StatusCode::NOT_FOUND,
            "Check the address, or go back to your workspace.",
        )
    }
}
