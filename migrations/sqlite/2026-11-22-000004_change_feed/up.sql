-- The change feed: every committed create, update and delete of a tenant, numbered in commit
-- order. A writer takes the next number from its tenant's counter, which locks the tenant row
-- until it commits: numbers become visible in order and a rolled-back writer leaves no gap.

ALTER TABLE tenants ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE changes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    origin TEXT NOT NULL,
    key_id TEXT,
    external_refs TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX changes_by_entity ON changes (tenant_id, entity, seq);

-- Ids of the same thing in other systems (a CRM's), unique per tenant, entity type and source.
CREATE TABLE external_refs (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    entity TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity, source, external_id)
);
CREATE INDEX external_refs_by_entity ON external_refs (tenant_id, entity, entity_id);
