-- Every key and index leads with tenant_id: a tenant's rows stay together, and the tables can
-- later be distributed by tenant without a redesign. Ids are UUID v7 text; JSON is text.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE organizations (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('own', 'client', 'partner', 'other')),
    parent_id TEXT,
    size_band TEXT,
    industry TEXT,
    region TEXT,
    tags TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES organizations (tenant_id, id)
);
CREATE INDEX organizations_by_parent ON organizations (tenant_id, parent_id);

CREATE TABLE persons (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    emails TEXT NOT NULL,
    phone TEXT,
    notes TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE posts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    title TEXT NOT NULL,
    function TEXT,
    reports_to_post_id TEXT,
    headcount INTEGER NOT NULL CHECK (headcount >= 1),
    established_on DATE,
    abolished_on DATE,
    facets TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id),
    FOREIGN KEY (tenant_id, reports_to_post_id) REFERENCES posts (tenant_id, id)
);
CREATE INDEX posts_by_organization ON posts (tenant_id, organization_id, id);
CREATE INDEX posts_by_manager ON posts (tenant_id, reports_to_post_id);

CREATE TABLE tenures (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    started_on DATE NOT NULL,
    ended_on DATE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
    FOREIGN KEY (tenant_id, post_id) REFERENCES posts (tenant_id, id),
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX tenures_by_person ON tenures (tenant_id, person_id, started_on, id);
CREATE INDEX tenures_by_post ON tenures (tenant_id, post_id, started_on, id);
