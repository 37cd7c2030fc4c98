-- The campaign a member came through: the `utm_campaign` of the join link
-- they followed, matched to a campaign of the workspace when they joined.
-- The first attribution stays; a deleted campaign leaves the member unattributed.
ALTER TABLE members ADD COLUMN campaign_id BIGINT REFERENCES campaigns(id) ON DELETE SET NULL;
