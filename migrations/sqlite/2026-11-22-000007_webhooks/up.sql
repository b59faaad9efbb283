-- Webhooks: subscriptions that receive the change feed as signed POSTs. The feed itself is the
-- outbox: each subscription keeps the cursor of the last change delivered (or given up on),
-- so nothing is lost when the service stops mid-delivery; delivery is at least once.
CREATE TABLE webhooks (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    entities TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    cursor BIGINT NOT NULL,
    failures INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhooks_due ON webhooks (active, next_attempt_at);

-- Every delivery attempt, readable through the API.
CREATE TABLE webhook_deliveries (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    change_seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    outcome TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, id);
