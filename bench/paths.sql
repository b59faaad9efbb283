-- A synthetic tenant for the warm-paths benchmark, generated in PostgreSQL itself: a seller of
-- 20 units with :sp salespeople, and a client account of :n persons in organizations of 20
-- (each person holding one post since 2024), :r relationships between random persons (2% of
-- them `blocks`), and a coverage link for every tenth person.
-- Variables: tenant (the tenant id), n (persons), r (relationships), sp (salespeople).

INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
VALUES (:'tenant', md5('seller')::uuid::text, 'Seller', 'own', NULL, '[]', 1, now(), now()),
       (:'tenant', md5('account')::uuid::text, 'Paths account', 'client', NULL, '[]', 1, now(), now());
INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
SELECT :'tenant', md5('unit' || u)::uuid::text, 'Unit ' || u, 'own', md5('seller')::uuid::text, '[]', 1, now(), now()
FROM generate_series(0, 19) u;
INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
SELECT :'tenant', md5('team' || t)::uuid::text, 'Team ' || t, 'client', md5('account')::uuid::text, '[]', 1, now(), now()
FROM generate_series(0, :n / 20) t;

INSERT INTO persons (tenant_id, id, display_name, emails, version, created_at, updated_at)
SELECT :'tenant', md5('person' || g)::uuid::text, 'Person ' || g, '[]', 1, now(), now()
FROM generate_series(1, :n) g;
-- Persons 1..sp sell, from 20 units; the rest work in the account's teams of 20.
INSERT INTO posts (tenant_id, id, organization_id, title, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('post' || g)::uuid::text,
       CASE WHEN g <= :sp THEN md5('unit' || g % 20)::uuid::text ELSE md5('team' || g / 20)::uuid::text END,
       'Post ' || g, 1, 1, now(), now()
FROM generate_series(1, :n) g;
INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, buying_roles, version, created_at, updated_at)
SELECT :'tenant', md5('tenure' || g)::uuid::text, md5('person' || g)::uuid::text, md5('post' || g)::uuid::text,
       DATE '2024-01-01', '[]', 1, now(), now()
FROM generate_series(1, :n) g;

INSERT INTO relationships (tenant_id, id, from_person_id, to_person_id, kind, strength, version, created_at, updated_at)
SELECT :'tenant', md5('relationship' || g)::uuid::text, md5('person' || a)::uuid::text, md5('person' || b)::uuid::text,
       CASE WHEN g % 50 = 0 THEN 'blocks' ELSE (ARRAY['influences','advises','allies_with','reports_informally_to'])[1 + g % 4] END,
       round((0.1 + random() * 0.9)::numeric, 2), 1, now(), now()
FROM (SELECT g, 1 + floor(random() * :n)::int AS a, 1 + floor(random() * :n)::int AS b
      FROM generate_series(1, :r) g) pairs
WHERE a <> b;

INSERT INTO coverage_links (tenant_id, id, salesperson_id, stakeholder_id, role, stated_strength, version, created_at, updated_at)
SELECT :'tenant', md5('coverage' || g)::uuid::text, md5('person' || (1 + g % :sp))::uuid::text,
       md5('person' || g)::uuid::text, 'primary', 0.6, 1, now(), now()
FROM generate_series(:sp + 1, :n, 10) g;
ANALYZE;
