-- The publishing engine: channels (with sealed credentials and health),
-- posts with one target per channel, and every attempt to publish a target.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    name TEXT NOT NULL,
    avatar_url TEXT,
    base_url TEXT NOT NULL,
    account TEXT NOT NULL,
    timezone TEXT NOT NULL,
    credentials TEXT NOT NULL,
    max_chars BIGINT NOT NULL,
    max_media BIGINT NOT NULL,
    chars_per_url BIGINT NOT NULL,
    paused BIGINT NOT NULL DEFAULT 0,
    needs_reconnect BIGINT NOT NULL DEFAULT 0,
    rate_limited_until BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX channels_workspace ON channels(workspace_id);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members(id),
    scheduled_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX posts_workspace ON posts(workspace_id, id);

CREATE TABLE post_targets (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    generation BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    remote_id TEXT,
    remote_url TEXT,
    published_at BIGINT,
    message TEXT
);
CREATE INDEX post_targets_post ON post_targets(post_id);
CREATE INDEX post_targets_due ON post_targets(status, next_attempt_at);

CREATE TABLE post_attempts (
    id INTEGER PRIMARY KEY,
    target_id BIGINT NOT NULL REFERENCES post_targets(id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT NOT NULL,
    request TEXT NOT NULL,
    http_status BIGINT,
    response TEXT NOT NULL,
    message TEXT
);
CREATE INDEX post_attempts_target ON post_attempts(target_id, id);

-- Members who want the e-mail newsletter (opt-in; the unsubscribe link turns it off).
ALTER TABLE members ADD COLUMN newsletter BIGINT NOT NULL DEFAULT 0;

-- The queue claims expired leases and due jobs from an index each, in order.
CREATE INDEX jobs_leases ON jobs(state, lease_until);

-- Engagement read back from the network after publishing.
ALTER TABLE post_targets ADD COLUMN likes BIGINT;
ALTER TABLE post_targets ADD COLUMN shares BIGINT;
ALTER TABLE post_targets ADD COLUMN replies BIGINT;
ALTER TABLE post_targets ADD COLUMN quotes BIGINT;
ALTER TABLE post_targets ADD COLUMN metrics_at BIGINT;

-- Mastodon OAuth: the app registered per instance, and pending authorizations (15 minutes).
CREATE TABLE oauth_apps (
    instance TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (instance, redirect_uri)
);
CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    instance TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Per channel: a content warning (Mastodon spoiler text) and the language.
ALTER TABLE post_targets ADD COLUMN content_warning TEXT;
ALTER TABLE post_targets ADD COLUMN language TEXT;

-- A link card for Bluesky (the first link's title and description), fetched when the post is scheduled.
ALTER TABLE post_targets ADD COLUMN link_card TEXT;

-- Images attached to a channel's post, with their alt text.
CREATE TABLE post_media (
    id INTEGER PRIMARY KEY,
    target_id BIGINT NOT NULL REFERENCES post_targets(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    alt TEXT NOT NULL,
    bytes BLOB NOT NULL
);
CREATE INDEX post_media_target ON post_media(target_id, position);

-- Budgets count a channel's recent attempts.
CREATE INDEX post_targets_channel ON post_targets(channel_id);
CREATE INDEX post_attempts_started ON post_attempts(target_id, started_at);

-- Mastodon: who sees the status (public, unlisted, private, direct).
ALTER TABLE post_targets ADD COLUMN visibility TEXT;

-- The largest image the channel's network takes, when it says (Mastodon's instance).
ALTER TABLE channels ADD COLUMN max_image_bytes BIGINT;
