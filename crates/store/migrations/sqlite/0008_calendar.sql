-- The content calendar: each marketer's private calendar feed, and an index
-- for posts without a time (drafts), which sit on the calendar at their
-- creation.

CREATE TABLE calendar_feed_tokens (
    member_id BIGINT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE INDEX posts_workspace_unscheduled ON posts(workspace_id, created_at) WHERE scheduled_at IS NULL;
