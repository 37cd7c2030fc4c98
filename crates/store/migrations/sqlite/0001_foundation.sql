-- Foundation schema for SQLite. Timestamps are BIGINT milliseconds since the
-- Unix epoch in UTC; booleans are 0/1 integers, the same as on PostgreSQL.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    signup_open BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, workspace_id)
);
CREATE INDEX memberships_workspace ON memberships(workspace_id);

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

CREATE TABLE password_resets (
    digest TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    invited_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by BIGINT REFERENCES accounts(id) ON DELETE SET NULL
);
CREATE INDEX invitations_workspace ON invitations(workspace_id);

CREATE TABLE signin_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    success BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX signin_attempts_email_at ON signin_attempts(email, at);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    workspace_id BIGINT REFERENCES workspaces(id) ON DELETE CASCADE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    unique_key TEXT UNIQUE,
    lease_token TEXT,
    lease_until BIGINT,
    locked_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE job_attempts (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    attempt BIGINT NOT NULL,
    worker_id TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT
);
CREATE INDEX job_attempts_job ON job_attempts(job_id);

CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    email TEXT,
    joined_at BIGINT NOT NULL,
    is_staff BIGINT NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, account_id)
);
CREATE INDEX members_workspace ON members(workspace_id, id);

CREATE TABLE spaces (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    network TEXT NOT NULL DEFAULT 'native',
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, slug)
);

CREATE TABLE threads (
    id INTEGER PRIMARY KEY,
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    n_replies BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX threads_space_activity ON threads(space_id, last_activity_at);

CREATE TABLE replies (
    id INTEGER PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES members(id),
    reply_to_member_id BIGINT REFERENCES members(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX replies_thread ON replies(thread_id, created_at);

CREATE TABLE page_posts (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    at BIGINT NOT NULL,
    n_likes BIGINT NOT NULL DEFAULT 0,
    n_shares BIGINT NOT NULL DEFAULT 0,
    n_replies BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX page_posts_workspace_at ON page_posts(workspace_id, at);

CREATE TABLE interactions (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    space_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES members(id),
    target_id BIGINT REFERENCES members(id),
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    day BIGINT NOT NULL,
    source TEXT NOT NULL,
    actor_is_staff BIGINT NOT NULL
);
CREATE INDEX interactions_workspace_day ON interactions(workspace_id, day);
CREATE INDEX interactions_actor_day ON interactions(actor_id, day);
