-- Community space: group privacy and rules, handles for mentions, Q&A,
-- rendered HTML, reactions, notifications, and full-text search (FTS5).
ALTER TABLE spaces ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
ALTER TABLE spaces ADD COLUMN rules TEXT NOT NULL DEFAULT '';
ALTER TABLE spaces ADD COLUMN rules_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN handle TEXT;
CREATE UNIQUE INDEX members_handle ON members(workspace_id, handle);
ALTER TABLE members ADD COLUMN email_notifications BIGINT NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN digest TEXT NOT NULL DEFAULT 'off';
ALTER TABLE members ADD COLUMN digest_sent_at BIGINT;
ALTER TABLE members ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN interests TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN profile_visibility TEXT NOT NULL DEFAULT 'members';
ALTER TABLE members ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX members_unsubscribe_token ON members(unsubscribe_token);
ALTER TABLE threads ADD COLUMN kind TEXT NOT NULL DEFAULT 'discussion';
ALTER TABLE threads ADD COLUMN accepted_reply_id BIGINT;
ALTER TABLE threads ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replies ADD COLUMN quote_reply_id BIGINT;
ALTER TABLE replies ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE replies ADD COLUMN edited_at BIGINT;
ALTER TABLE replies ADD COLUMN deleted_at BIGINT;

CREATE TABLE group_members (
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    active BIGINT NOT NULL,
    rules_version BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (space_id, member_id)
);
CREATE INDEX group_members_member ON group_members(member_id);

CREATE TABLE reactions (
    reply_id BIGINT NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (reply_id, member_id, emoji)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES members(id),
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_member ON notifications(member_id, id);

CREATE VIRTUAL TABLE search_index USING fts5(
    title, body, thread_id UNINDEXED, reply_id UNINDEXED, space_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE reply_edits (
    id INTEGER PRIMARY KEY,
    reply_id BIGINT NOT NULL REFERENCES replies(id) ON DELETE CASCADE,
    body_before TEXT NOT NULL,
    edited_by BIGINT NOT NULL REFERENCES members(id),
    edited_at BIGINT NOT NULL
);
CREATE INDEX reply_edits_reply ON reply_edits(reply_id, id);

CREATE TABLE thread_tags (
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (thread_id, tag)
);
CREATE INDEX thread_tags_tag ON thread_tags(tag);
