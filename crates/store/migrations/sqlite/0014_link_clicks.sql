-- Tracked link clicks: the workspace's setting (on by default), whether a
-- published target's clicks are counted (0 for targets published before
-- this migration or with tracking off: "not reported"), each tracked link
-- (target, position among the text's links, original URL, token of the
-- redirect /r/{token}) and one row per counted click.
ALTER TABLE workspaces ADD COLUMN track_link_clicks BIGINT NOT NULL DEFAULT 1;
ALTER TABLE post_targets ADD COLUMN links_tracked BIGINT NOT NULL DEFAULT 0;

CREATE TABLE tracked_links (
    id INTEGER PRIMARY KEY,
    target_id BIGINT NOT NULL REFERENCES post_targets(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    url TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (target_id, position)
);

CREATE TABLE link_clicks (
    id INTEGER PRIMARY KEY,
    link_id BIGINT NOT NULL REFERENCES tracked_links(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    member_id BIGINT REFERENCES members(id) ON DELETE SET NULL
);
CREATE INDEX link_clicks_link_at ON link_clicks(link_id, at);
