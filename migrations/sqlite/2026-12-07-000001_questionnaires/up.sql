-- Crafting questionnaires: a tenant's instruments (scale, subscales and items as JSON text,
-- read and written whole) and their administrations to a tenure's holder (the answers as JSON
-- text; the crafting revision made from them, once). Tenant-first keys (docs/scaling.md).
CREATE TABLE instruments (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    scale TEXT NOT NULL,
    subscales TEXT NOT NULL,
    items TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE administrations (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    instrument_id TEXT NOT NULL,
    tenure_id TEXT NOT NULL,
    respondent_kind TEXT NOT NULL,
    respondent_person_id TEXT,
    administered_at TIMESTAMP NOT NULL,
    answers TEXT NOT NULL,
    revision_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, instrument_id) REFERENCES instruments (tenant_id, id),
    FOREIGN KEY (tenant_id, tenure_id) REFERENCES tenures (tenant_id, id)
);
CREATE INDEX administrations_by_instrument ON administrations (tenant_id, instrument_id, id);
CREATE INDEX administrations_by_tenure ON administrations (tenant_id, tenure_id);
