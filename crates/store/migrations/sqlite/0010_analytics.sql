-- Analytics: threads in the interaction log, imported logs, and the index the
-- health dashboard's incremental loads read (rows after the cached id).

-- The thread a row belongs to, as an opaque key: a native thread's id, or for
-- an imported log (import_sources.id << 40) | the file's thread_id.
ALTER TABLE interactions ADD COLUMN thread_id BIGINT;
-- The row's id in the imported file, when it came from one.
ALTER TABLE interactions ADD COLUMN external_id BIGINT;
CREATE INDEX interactions_workspace_id ON interactions(workspace_id, id);

-- One imported log per (workspace, name); re-running an import skips the rows
-- up to last_external_id, so a re-run adds nothing and a longer file appends.
CREATE TABLE import_sources (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    last_external_id BIGINT NOT NULL DEFAULT 0,
    n_interactions BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

-- The file's member and space ids, mapped to Agora's.
CREATE TABLE import_ids (
    source_id BIGINT NOT NULL REFERENCES import_sources(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    external_id TEXT NOT NULL,
    internal_id BIGINT NOT NULL,
    PRIMARY KEY (source_id, kind, external_id)
);
