ALTER TABLE tenants ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
UPDATE tenants SET change_seq = COALESCE((SELECT change_seq FROM feed_heads WHERE feed_heads.tenant_id = tenants.id), 0);
DROP TABLE feed_heads;
