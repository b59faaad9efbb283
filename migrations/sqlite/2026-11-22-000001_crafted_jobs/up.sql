-- Crafted jobs: the vocabulary of facet keys, the formal facets of posts as revisions over
-- time, and the holders' crafting revisions. Revisions are append-only.

CREATE TABLE vocabulary (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    dimension TEXT NOT NULL,
    "key" TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT,
    retired_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, dimension, "key")
);

CREATE TABLE post_revisions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    facets TEXT NOT NULL,
    effective_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, post_id) REFERENCES posts (tenant_id, id)
);
CREATE INDEX post_revisions_by_post ON post_revisions (tenant_id, post_id, effective_at);

-- The facets written so far become each post's first revision, in force since always.
INSERT INTO post_revisions (tenant_id, id, post_id, facets, effective_at, recorded_at)
SELECT tenant_id, id, id, facets, '1970-01-01 00:00:00', created_at FROM posts;
ALTER TABLE posts DROP COLUMN facets;

CREATE TABLE crafting_revisions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    tenure_id TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    facets TEXT NOT NULL,
    source TEXT,
    confidence DOUBLE PRECISION NOT NULL,
    effective_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by_key_id TEXT,
    recorded_by TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, tenure_id) REFERENCES tenures (tenant_id, id)
);
CREATE INDEX crafting_revisions_by_tenure
    ON crafting_revisions (tenant_id, tenure_id, effective_at, recorded_at);
