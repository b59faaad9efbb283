-- How long each tenant keeps its change feed, webhook delivery log and audit log; a tenant
-- without a row keeps the defaults (domain::retention). Pruning reads the old rows by time.
CREATE TABLE retention_settings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    feed_days BIGINT NOT NULL,
    deliveries_days BIGINT NOT NULL,
    audit_days BIGINT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id)
);
-- Where each tenant's feed was pruned through: the feed keeps the gapless run of changes after
-- it. Kept apart from `tenants`, whose row every writer locks to number its changes.
CREATE TABLE feed_horizons (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    pruned_through BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (tenant_id, attempted_at);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, at);
