-- Tenant names are unique through a table keyed by the name, written in the same transaction
-- as the tenant (see the PostgreSQL migration: distributed `tenants` cannot keep a UNIQUE
-- name). SQLite keeps its UNIQUE on `tenants.name` too: dropping it would rebuild the table.
CREATE TABLE tenant_names (
    name TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id)
);
INSERT INTO tenant_names (name, tenant_id) SELECT name, id FROM tenants;
