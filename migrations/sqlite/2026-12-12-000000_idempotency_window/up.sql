-- How long each tenant keeps its idempotency keys (at least 48 hours, the default); they are
-- pruned with the rest of what only grows, off the request path.
ALTER TABLE retention_settings ADD COLUMN idempotency_hours BIGINT NOT NULL DEFAULT 48;
