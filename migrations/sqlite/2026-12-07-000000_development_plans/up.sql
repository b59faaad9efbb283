-- Development plans: how the holder of a tenure crafts toward growth (a target post, facets to
-- develop with target weights, learning time, people sought, artifacts, check-ins). Lists are
-- JSON text, read and written whole with the plan; progress is read from crafting revisions.
-- Tenant-first keys, like every table (docs/scaling.md).
CREATE TABLE development_plans (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    tenure_id TEXT NOT NULL,
    target_post_id TEXT,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    learning_hours_per_week DOUBLE PRECISION NOT NULL,
    goals TEXT NOT NULL,
    sought TEXT NOT NULL,
    artifacts TEXT NOT NULL,
    check_ins TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, tenure_id) REFERENCES tenures (tenant_id, id)
);
CREATE INDEX development_plans_by_tenure ON development_plans (tenant_id, tenure_id);
-- The tenant's limit of learning time per person and week, summed over their active plans; a
-- tenant without a row has the default (domain::development).
CREATE TABLE development_settings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    learning_hours_limit DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id)
);
