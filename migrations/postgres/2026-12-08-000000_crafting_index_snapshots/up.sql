-- The similar-crafters index of a tenant as last computed (store/crafting_index.rs): a new or
-- restarted instance reads it and catches up from its watermark instead of recomputing every
-- tenure's diff. Derived data: a missing or stale row costs a rebuild, never a wrong answer.
-- Tenant-first like every table (docs/scaling.md).
CREATE TABLE crafting_index_snapshots (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    watermark TIMESTAMP NOT NULL,
    tenures BIGINT NOT NULL,
    data BYTEA NOT NULL,
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id)
);
