-- The marketer's desk: campaigns, approvals and each post's history.

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    goal TEXT NOT NULL DEFAULT '',
    starts_at BIGINT,
    ends_at BIGINT,
    color TEXT NOT NULL DEFAULT '#2563eb',
    utm_source TEXT NOT NULL DEFAULT '',
    utm_medium TEXT NOT NULL DEFAULT '',
    utm_campaign TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

ALTER TABLE posts ADD COLUMN campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN approval TEXT NOT NULL DEFAULT 'none';
CREATE INDEX posts_workspace_scheduled ON posts(workspace_id, scheduled_at);

CREATE TABLE post_history (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id),
    action TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX post_history_post ON post_history(post_id, id);

ALTER TABLE workspaces ADD COLUMN posts_need_approval BIGINT NOT NULL DEFAULT 0;

CREATE TABLE media_library (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    alt TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    created_by BIGINT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX media_library_workspace ON media_library(workspace_id, id);
