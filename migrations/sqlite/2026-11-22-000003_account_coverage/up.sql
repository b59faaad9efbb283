-- Account coverage: the network around client stakeholders (relationships, buying roles),
-- which salesperson covers whom, the logged touches that make a thread strong, affinity rules
-- for suggestions, and the tenant's coverage settings.

-- Buying roles belong to the tenure (person-in-post), as does a salesperson's capacity.
ALTER TABLE tenures ADD COLUMN buying_roles TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tenures ADD COLUMN capacity INTEGER;

CREATE TABLE relationships (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    from_person_id TEXT NOT NULL,
    to_person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    strength DOUBLE PRECISION NOT NULL,
    valid_from DATE,
    valid_until DATE,
    notes TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, from_person_id) REFERENCES persons (tenant_id, id),
    FOREIGN KEY (tenant_id, to_person_id) REFERENCES persons (tenant_id, id)
);
CREATE INDEX relationships_by_from ON relationships (tenant_id, from_person_id);
CREATE INDEX relationships_by_to ON relationships (tenant_id, to_person_id);

CREATE TABLE coverage_links (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    salesperson_id TEXT NOT NULL,
    stakeholder_id TEXT NOT NULL,
    role TEXT NOT NULL,
    stated_strength DOUBLE PRECISION,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, salesperson_id, stakeholder_id),
    FOREIGN KEY (tenant_id, salesperson_id) REFERENCES persons (tenant_id, id),
    FOREIGN KEY (tenant_id, stakeholder_id) REFERENCES persons (tenant_id, id)
);
CREATE INDEX coverage_links_by_stakeholder ON coverage_links (tenant_id, stakeholder_id);

CREATE TABLE interactions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    salesperson_id TEXT NOT NULL,
    stakeholder_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    summary TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, salesperson_id) REFERENCES persons (tenant_id, id),
    FOREIGN KEY (tenant_id, stakeholder_id) REFERENCES persons (tenant_id, id)
);
CREATE INDEX interactions_by_pair
    ON interactions (tenant_id, salesperson_id, stakeholder_id, occurred_at);
CREATE INDEX interactions_by_stakeholder ON interactions (tenant_id, stakeholder_id, occurred_at);

CREATE TABLE affinities (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    from_dimension TEXT NOT NULL,
    from_key TEXT NOT NULL,
    to_dimension TEXT NOT NULL,
    to_key TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, from_dimension, from_key, to_dimension, to_key)
);

CREATE TABLE coverage_settings (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    settings TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
