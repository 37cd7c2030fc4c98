-- What a network reports beyond likes, shares, replies and quotes, where it
-- does (NULL: not reported, which is not zero), on the target as last read;
-- and every reading kept as a time series (1 hour, 1 day, 1 week after
-- publishing, and any later reading).
ALTER TABLE post_targets ADD COLUMN impressions BIGINT;
ALTER TABLE post_targets ADD COLUMN reach BIGINT;
ALTER TABLE post_targets ADD COLUMN network_clicks BIGINT;
CREATE TABLE target_metrics (
    target_id BIGINT NOT NULL REFERENCES post_targets(id) ON DELETE CASCADE,
    read_at BIGINT NOT NULL,
    likes BIGINT NOT NULL,
    shares BIGINT NOT NULL,
    replies BIGINT NOT NULL,
    quotes BIGINT NOT NULL,
    impressions BIGINT,
    reach BIGINT,
    clicks BIGINT,
    PRIMARY KEY (target_id, read_at)
);
