-- Members' identities on networks, merges of member rows that are one
-- person (undone by clearing `merged_into`; nothing else is rewritten),
-- suggestions staff dismissed, and staff's tags and private notes.
ALTER TABLE members ADD COLUMN merged_into BIGINT REFERENCES members(id);

CREATE TABLE member_identities (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    network TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, network, value)
);
CREATE INDEX member_identities_member ON member_identities(member_id);

CREATE TABLE member_merges (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kept_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    merged_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    merged_by BIGINT REFERENCES members(id),
    merged_at BIGINT NOT NULL,
    unmerged_at BIGINT
);
CREATE INDEX member_merges_workspace ON member_merges(workspace_id, id);

CREATE TABLE merge_dismissals (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    first_id BIGINT NOT NULL,
    second_id BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, first_id, second_id)
);

CREATE TABLE member_tags (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (member_id, tag)
);

CREATE TABLE member_notes (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members(id),
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX member_notes_member ON member_notes(member_id, id);
