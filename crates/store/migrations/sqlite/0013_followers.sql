-- A channel's follower count, sampled when its posts' metrics are read back
-- (one row per channel and UTC day, the day's last reading).
CREATE TABLE channel_followers (
    channel_id BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    followers BIGINT NOT NULL,
    PRIMARY KEY (channel_id, day)
);
