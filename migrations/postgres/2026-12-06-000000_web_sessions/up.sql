-- Sessions of the web workspace: an API key checked once at sign-in and exchanged for a cookie.
-- Only the SHA-256 of the cookie's secret is kept; the CSRF token every form of the session
-- carries is kept as it is. Tenant-first like every table, so it distributes by tenant.
CREATE TABLE web_sessions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, key_id) REFERENCES api_keys (tenant_id, id)
);
