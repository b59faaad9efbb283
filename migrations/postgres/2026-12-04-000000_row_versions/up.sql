-- Earlier versions of tenures, coverage links, relationships and coverage settings: the row as
-- it was before an update or a delete replaced it, and when (`superseded_at`). A coverage
-- report or overview asked `known_at` a past time reads, for each row, the version in force
-- then, so that what a manager saw can be reproduced after corrections and deletions. Keys are
-- tenant-first; a report reads the versions superseded since a time, by (tenant_id,
-- superseded_at).
CREATE TABLE tenure_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    person_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    started_on DATE NOT NULL,
    ended_on DATE,
    buying_roles TEXT NOT NULL,
    capacity INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id, version)
);
CREATE INDEX tenure_versions_by_time ON tenure_versions (tenant_id, superseded_at);
CREATE TABLE coverage_link_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    salesperson_id TEXT NOT NULL,
    stakeholder_id TEXT NOT NULL,
    role TEXT NOT NULL,
    stated_strength DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id, version)
);
CREATE INDEX coverage_link_versions_by_time ON coverage_link_versions (tenant_id, superseded_at);
CREATE TABLE relationship_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    from_person_id TEXT NOT NULL,
    to_person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    strength DOUBLE PRECISION NOT NULL,
    valid_from DATE,
    valid_until DATE,
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id, version)
);
CREATE INDEX relationship_versions_by_time ON relationship_versions (tenant_id, superseded_at);
CREATE TABLE coverage_settings_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    version BIGINT NOT NULL,
    settings TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
