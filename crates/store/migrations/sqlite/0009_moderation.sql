-- Rules and moderation: the code of conduct, auto-moderation rules, the
-- review queue with flags, sanctions, the moderation log with appeals, and
-- trust levels with what they are computed from.
ALTER TABLE threads ADD COLUMN moderation TEXT NOT NULL DEFAULT 'visible';
ALTER TABLE replies ADD COLUMN moderation TEXT NOT NULL DEFAULT 'visible';

CREATE TABLE moderation_settings (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    conduct TEXT NOT NULL DEFAULT '',
    conduct_version BIGINT NOT NULL DEFAULT 0,
    hide_threshold BIGINT NOT NULL DEFAULT 8,
    log_shows_names BIGINT NOT NULL DEFAULT 0,
    toxicity_action TEXT NOT NULL DEFAULT 'hold',
    new_member_links BIGINT NOT NULL DEFAULT 2,
    rules_version BIGINT NOT NULL DEFAULT 0,
    approve_new_members BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE conduct_acceptances (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, version)
);

CREATE TABLE automod_rules (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT REFERENCES spaces(id) ON DELETE CASCADE,
    matcher TEXT NOT NULL,
    pattern TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX automod_rules_workspace ON automod_rules(workspace_id, id);

CREATE TABLE review_items (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT REFERENCES spaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    content_kind TEXT,
    content_id BIGINT,
    subject_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    payload TEXT NOT NULL DEFAULT '{}',
    reasons TEXT NOT NULL DEFAULT '[]',
    score BIGINT NOT NULL DEFAULT 0,
    claimed_by BIGINT REFERENCES members(id),
    claimed_at BIGINT,
    decided_by BIGINT REFERENCES members(id),
    decided_at BIGINT,
    action TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX review_items_queue ON review_items(workspace_id, status, id);
CREATE INDEX review_items_content ON review_items(content_kind, content_id, status);
CREATE INDEX review_items_subject ON review_items(subject_id, kind, status);

CREATE TABLE flags (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    review_item_id BIGINT NOT NULL REFERENCES review_items(id) ON DELETE CASCADE,
    content_kind TEXT NOT NULL,
    content_id BIGINT NOT NULL,
    flagger_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    weight BIGINT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    UNIQUE (content_kind, content_id, flagger_id)
);
CREATE INDEX flags_item ON flags(review_item_id);
CREATE INDEX flags_flagger ON flags(flagger_id, outcome);

CREATE TABLE sanctions (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    space_id BIGINT REFERENCES spaces(id) ON DELETE CASCADE,
    content_kind TEXT,
    content_id BIGINT,
    reason TEXT NOT NULL,
    rule TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES members(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    ended_at BIGINT,
    ended_reason TEXT,
    acknowledged_at BIGINT
);
CREATE INDEX sanctions_member ON sanctions(member_id, id);

CREATE TABLE moderation_actions (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT REFERENCES spaces(id) ON DELETE SET NULL,
    moderator_id BIGINT REFERENCES members(id),
    action TEXT NOT NULL,
    subject_id BIGINT REFERENCES members(id) ON DELETE SET NULL,
    content_kind TEXT,
    content_id BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    public BIGINT NOT NULL,
    sanction_id BIGINT REFERENCES sanctions(id) ON DELETE SET NULL,
    review_item_id BIGINT REFERENCES review_items(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX moderation_actions_workspace ON moderation_actions(workspace_id, public, id);
CREATE INDEX moderation_actions_subject ON moderation_actions(subject_id, id);

CREATE TABLE appeals (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    action_id BIGINT NOT NULL UNIQUE REFERENCES moderation_actions(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by BIGINT REFERENCES members(id),
    decided_at BIGINT,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX appeals_member ON appeals(member_id, id);

CREATE TABLE member_trust (
    member_id BIGINT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    level BIGINT NOT NULL DEFAULT 0,
    locked BIGINT NOT NULL DEFAULT 0,
    below_since BIGINT,
    inputs TEXT NOT NULL DEFAULT '{}',
    computed_at BIGINT
);

CREATE TABLE member_visits (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    PRIMARY KEY (member_id, day)
);

CREATE TABLE thread_reads (
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, thread_id)
);
