-- Tenant names are unique through a table keyed by the name, written in the same transaction
-- as the tenant: a UNIQUE constraint on `tenants.name` cannot exist once `tenants` is
-- distributed by `id` (Citus), and without it two concurrent `tenant create` of one name made
-- two tenants. Under Citus this is a reference table.
CREATE TABLE tenant_names (
    name TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id)
);
INSERT INTO tenant_names (name, tenant_id) SELECT name, id FROM tenants;
ALTER TABLE tenants DROP CONSTRAINT IF EXISTS tenants_name_key;
