DROP TABLE idempotency_keys;
-- Idempotency keys of POST requests: the first request with a key claims it, its response is
-- kept, and a replay with the same key and body gets that response again.
CREATE TABLE idempotency_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- The process running the request; a claim left by a process that died is taken over.
    owner TEXT NOT NULL,
    status INTEGER,
    response_headers TEXT,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (tenant_id, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (tenant_id, created_at);
