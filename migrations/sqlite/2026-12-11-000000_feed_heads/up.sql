-- Each tenant's change counter, apart from its `tenants` row (the PostgreSQL migration of the
-- same name says why); the numbers go on where they were.
CREATE TABLE feed_heads (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    change_seq BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
INSERT INTO feed_heads (tenant_id, change_seq) SELECT id, change_seq FROM tenants;
ALTER TABLE tenants DROP COLUMN change_seq;
