-- Queue slots: each channel's weekly posting times on its own wall clock
-- (weekday 0 = Monday … 6 = Sunday; minute after local midnight, 0 … 1439),
-- and whether its queue is paused ("Add to queue" refuses while it is).

CREATE TABLE queue_slots (
    id INTEGER PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    weekday BIGINT NOT NULL,
    minute BIGINT NOT NULL,
    UNIQUE (channel_id, weekday, minute)
);

ALTER TABLE channels ADD COLUMN queue_paused BIGINT NOT NULL DEFAULT 0;

-- Best time to post reads each channel's published posts of the last weeks.
CREATE INDEX post_targets_channel_published ON post_targets(channel_id, published_at);
