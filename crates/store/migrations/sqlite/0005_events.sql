-- Events (C6): series, occurrences, RSVPs with check-in codes, feedback,
-- personal feed tokens; notifications may point at an event.

CREATE TABLE event_series (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    uid TEXT NOT NULL UNIQUE,
    rrule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    first_start BIGINT NOT NULL,
    exdates TEXT NOT NULL DEFAULT '',
    sequence BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    series_id BIGINT REFERENCES event_series(id) ON DELETE CASCADE,
    recurrence_id BIGINT,
    uid TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    timezone TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    format TEXT NOT NULL,
    join_url TEXT,
    venue TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    capacity BIGINT,
    rsvp_deadline BIGINT,
    created_by BIGINT NOT NULL REFERENCES members(id),
    sequence BIGINT NOT NULL DEFAULT 0,
    arrivals BIGINT NOT NULL DEFAULT 0,
    cancelled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX events_workspace_start ON events(workspace_id, starts_at);
CREATE INDEX events_group_start ON events(group_id, starts_at);
CREATE INDEX events_series ON events(series_id, starts_at);

CREATE TABLE event_rsvps (
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    arrival BIGINT NOT NULL,
    code TEXT NOT NULL,
    responded_at BIGINT NOT NULL,
    checked_in_at BIGINT,
    check_in_method TEXT,
    PRIMARY KEY (event_id, member_id)
);
CREATE INDEX event_rsvps_state ON event_rsvps(event_id, state, arrival);
CREATE UNIQUE INDEX event_rsvps_code ON event_rsvps(event_id, code);
CREATE INDEX event_rsvps_member ON event_rsvps(member_id, state);

CREATE TABLE event_feedback (
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    rating BIGINT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, member_id)
);

CREATE TABLE event_feed_tokens (
    member_id BIGINT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES members(id),
    thread_id BIGINT REFERENCES threads(id) ON DELETE CASCADE,
    event_id BIGINT REFERENCES events(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
INSERT INTO notifications_new (id, workspace_id, member_id, kind, actor_id, thread_id, text, created_at, read_at)
    SELECT id, workspace_id, member_id, kind, actor_id, thread_id, text, created_at, read_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_member ON notifications(member_id, id);
