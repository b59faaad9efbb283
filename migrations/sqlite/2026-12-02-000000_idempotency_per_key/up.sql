-- Idempotency keys, reworked: a stored answer belongs to the API key that made it (another key
-- may neither replay nor block it), and it commits in the same transaction as the request's
-- own write, so no claim is ever left without its answer and no owner process is tracked.
-- Answers kept under the old layout are dropped: they had no API key to belong to.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    api_key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response_headers TEXT NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, api_key_id, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (tenant_id, created_at);
