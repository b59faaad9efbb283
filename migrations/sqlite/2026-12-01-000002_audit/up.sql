-- One row per committed write made with an API key, written in the write's own transaction:
-- which key (id and name, never its secret), which origin, when, what, and the change-feed
-- numbers the write took (consecutive: a write's changes are numbered together).
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    key_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    action TEXT NOT NULL,
    first_change BIGINT,
    change_count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_key ON audit_log (tenant_id, key_id, id);
