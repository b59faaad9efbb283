-- Erasure: a person's personal data is removed everywhere while the structure (their tenures,
-- how the posts were held) stays, anonymised. Each erasure is recorded without the data.
ALTER TABLE persons ADD COLUMN erased_at TIMESTAMP;

CREATE TABLE erasures (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    erased_at TIMESTAMP NOT NULL,
    key_id TEXT,
    origin TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
