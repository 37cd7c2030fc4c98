-- The opening post's edit history and reactions, group management, the
-- community manager's welcome message, and the weekly introductions batch.
ALTER TABLE threads ADD COLUMN edited_at BIGINT;
ALTER TABLE members ADD COLUMN welcome_dismissed_at BIGINT;

CREATE TABLE thread_edits (
    id INTEGER PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    title_before TEXT NOT NULL,
    body_before TEXT NOT NULL,
    edited_by BIGINT NOT NULL REFERENCES members(id),
    edited_at BIGINT NOT NULL
);
CREATE INDEX thread_edits_thread ON thread_edits(thread_id, id);

CREATE TABLE thread_reactions (
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (thread_id, member_id, emoji)
);

CREATE TABLE welcome_messages (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_by BIGINT REFERENCES members(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL
);

-- One row per suggested pair per week (the week starts Monday 00:00 UTC).
CREATE TABLE introduction_suggestions (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    week_start BIGINT NOT NULL,
    first_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    second_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    shared TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    thread_id BIGINT REFERENCES threads(id) ON DELETE SET NULL,
    dismissed_at BIGINT,
    PRIMARY KEY (workspace_id, week_start, first_id, second_id)
);

-- Search rows are keyed by the post's time, then its id, so the newest
-- matches come first and an edit finds its row without scanning the index
-- (see search_row_key in crates/store/src/community.rs).
CREATE VIRTUAL TABLE search_index_keyed USING fts5(
    title, body, thread_id UNINDEXED, reply_id UNINDEXED, space_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_index_keyed (rowid, title, body, thread_id, reply_id, space_id)
    SELECT CASE WHEN si.reply_id IS NULL
        THEN (SELECT t.created_at * 2097152 + (t.id % 1048576) * 2 + 1 FROM threads t WHERE t.id = si.thread_id)
        ELSE (SELECT r.created_at * 2097152 + (r.id % 1048576) * 2 FROM replies r WHERE r.id = si.reply_id)
    END, si.title, si.body, si.thread_id, si.reply_id, si.space_id FROM search_index si;
DROP TABLE search_index;
ALTER TABLE search_index_keyed RENAME TO search_index;
