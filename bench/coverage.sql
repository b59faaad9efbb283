-- A synthetic account for the coverage benchmarks, generated in PostgreSQL itself: a seller
-- with 4 units and :sp salespeople (capacity 15, each with a crafted job), and one client
-- account of :s stakeholders over 10 sub-organizations, with a reporting tree, buying roles,
-- crafted jobs, relationships, 30% existing coverage and two interactions per link.
-- Variables: tenant (the tenant id), s (stakeholders), sp (salespeople).

INSERT INTO organizations (tenant_id, id, name, kind, parent_id, size_band, region, tags, version, created_at, updated_at)
VALUES (:'tenant', md5('seller')::uuid::text, 'Seller', 'own', NULL, NULL, NULL, '[]', 1, now(), now()),
       (:'tenant', md5('unit0')::uuid::text, 'Seller DACH', 'own', md5('seller')::uuid::text, 'sme', 'dach', '["iso14001"]', 1, now(), now()),
       (:'tenant', md5('unit1')::uuid::text, 'Seller Nordics', 'own', md5('seller')::uuid::text, 'enterprise', 'nordics', '[]', 1, now(), now()),
       (:'tenant', md5('unit2')::uuid::text, 'Seller Benelux', 'own', md5('seller')::uuid::text, 'mid_market', 'benelux', '["b_corp"]', 1, now(), now()),
       (:'tenant', md5('unit3')::uuid::text, 'Seller Iberia', 'own', md5('seller')::uuid::text, 'sme', 'iberia', '[]', 1, now(), now()),
       (:'tenant', md5('account')::uuid::text, 'Bench account', 'client', NULL, 'enterprise', 'dach', '[]', 1, now(), now());

INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
SELECT :'tenant', md5('division' || d)::uuid::text, 'Division ' || d, 'client', md5('account')::uuid::text, '[]', 1, now(), now()
FROM generate_series(0, 9) d;

-- Salespeople.
INSERT INTO posts (tenant_id, id, organization_id, title, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('sales-post' || g)::uuid::text, md5('unit' || g % 4)::uuid::text, 'Account executive ' || g, 1, 1, now(), now()
FROM generate_series(1, :sp) g;
INSERT INTO persons (tenant_id, id, display_name, emails, version, created_at, updated_at)
SELECT :'tenant', md5('seller' || g)::uuid::text, 'Seller ' || g, '[]', 1, now(), now()
FROM generate_series(1, :sp) g;
INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, buying_roles, capacity, version, created_at, updated_at)
SELECT :'tenant', md5('sales-tenure' || g)::uuid::text, md5('seller' || g)::uuid::text,
       md5('sales-post' || g)::uuid::text, DATE '2022-01-01', '[]', 15, 1, now(), now()
FROM generate_series(1, :sp) g;
INSERT INTO crafting_revisions (tenant_id, id, tenure_id, dimensions, facets, source, confidence, effective_at, recorded_at, recorded_by)
SELECT :'tenant', md5('sales-crafting' || g)::uuid::text, md5('sales-tenure' || g)::uuid::text,
       '["cognitive","priority"]',
       format('[{"dimension":"cognitive","key":"%s","weight":0.9},'
              '{"dimension":"cognitive","key":"%s","weight":0.5},'
              '{"dimension":"priority","key":"%s","weight":0.8},'
              '{"dimension":"priority","key":"%s","weight":0.4}]',
              cg[1 + g % 5], cg[1 + (g + 2) % 5], pr[1 + g % 7], pr[1 + (g + 3) % 7]),
       'bench', 1.0, '2024-01-01 00:00:00', now(), 'bench'
FROM generate_series(1, :sp) g,
     LATERAL (SELECT
       ARRAY['client_success','commission_first','trusted_advisor','sustainability_champion','cost_guardian'] AS cg,
       ARRAY['growth','sustainability','cost_reduction','digitalisation','customer_experience','resilience','compliance'] AS pr) pools;

-- Stakeholders: post 1 heads the account, post g reports to post max(1, g / 5).
INSERT INTO posts (tenant_id, id, organization_id, title, reports_to_post_id, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('post' || g)::uuid::text,
       CASE WHEN g = 1 THEN md5('account')::uuid::text ELSE md5('division' || g % 10)::uuid::text END,
       'Post ' || g, CASE WHEN g = 1 THEN NULL ELSE md5('post' || greatest(1, g / 5))::uuid::text END, 1, 1, now(), now()
FROM generate_series(1, :s) g;
-- The reporting tree references earlier posts only, so the foreign key holds row by row.
INSERT INTO post_revisions (tenant_id, id, post_id, facets, effective_at, recorded_at)
SELECT :'tenant', md5('post-revision' || g)::uuid::text, md5('post' || g)::uuid::text,
       '[{"dimension":"decision_criterion","key":"price","weight":0.8},{"dimension":"priority","key":"cost_reduction","weight":0.6}]',
       '1970-01-01 00:00:00', now()
FROM generate_series(1, :s) g;
INSERT INTO persons (tenant_id, id, display_name, emails, version, created_at, updated_at)
SELECT :'tenant', md5('person' || g)::uuid::text, 'Stakeholder ' || g, '[]', 1, now(), now()
FROM generate_series(1, :s) g;
INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, buying_roles, version, created_at, updated_at)
SELECT :'tenant', md5('tenure' || g)::uuid::text, md5('person' || g)::uuid::text, md5('post' || g)::uuid::text,
       DATE '2020-01-01',
       CASE WHEN g % 50 = 1 THEN '["decision_maker"]' WHEN g % 50 = 2 THEN '["economic_buyer"]'
            WHEN g % 20 = 3 THEN '["technical_buyer"]' WHEN g % 25 = 5 THEN '["champion"]'
            WHEN g % 10 = 4 THEN '["user"]' ELSE '[]' END,
       1, now(), now()
FROM generate_series(1, :s) g;
INSERT INTO crafting_revisions (tenant_id, id, tenure_id, dimensions, facets, source, confidence, effective_at, recorded_at, recorded_by)
SELECT :'tenant', md5('crafting' || g)::uuid::text, md5('tenure' || g)::uuid::text,
       '["decision_criterion","priority","partner_preference"]',
       format('[{"dimension":"decision_criterion","key":"%s","weight":0.9},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.6},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.3},'
              '{"dimension":"priority","key":"%s","weight":0.7},'
              '{"dimension":"partner_preference","key":"%s","weight":0.8}]',
              dc[1 + g % 10], dc[1 + (g + 3) % 10], dc[1 + (g + 6) % 10], pr[1 + g % 7], pp[1 + g % 5]),
       'bench', 1.0, '2024-06-01 00:00:00', now(), 'bench'
FROM generate_series(1, :s) g,
     LATERAL (SELECT
       ARRAY['total_cost_of_ownership','time_to_deploy','carbon_footprint','ethical_business',
             'local_sourcing','innovation','risk_reduction','long_term_partnership','quality','references'] AS dc,
       ARRAY['growth','sustainability','cost_reduction','digitalisation','customer_experience','resilience','compliance'] AS pr,
       ARRAY['supplier_size_small','supplier_size_large','regional_presence','certified_sustainability','industry_expertise'] AS pp) pools;

-- Relationships between stakeholders, coverage of 30% of them, two touches per link.
INSERT INTO relationships (tenant_id, id, from_person_id, to_person_id, kind, strength, version, created_at, updated_at)
SELECT :'tenant', md5('relationship' || g)::uuid::text, md5('person' || g)::uuid::text,
       md5('person' || (1 + (g * 7) % :s))::uuid::text,
       (ARRAY['influences','advises','allies_with','blocks','reports_informally_to'])[1 + g % 5], 0.5, 1, now(), now()
FROM generate_series(1, :s / 2) g
WHERE 1 + (g * 7) % :s <> g;
INSERT INTO coverage_links (tenant_id, id, salesperson_id, stakeholder_id, role, stated_strength, version, created_at, updated_at)
SELECT :'tenant', md5('coverage' || g)::uuid::text, md5('seller' || (1 + g % :sp))::uuid::text,
       md5('person' || g)::uuid::text, 'primary', NULL, 1, now(), now()
FROM generate_series(1, :s) g
WHERE g % 10 < 3;
INSERT INTO interactions (tenant_id, id, salesperson_id, stakeholder_id, kind, occurred_at, created_at)
SELECT :'tenant', md5('interaction' || g || '-' || k)::uuid::text, md5('seller' || (1 + g % :sp))::uuid::text,
       md5('person' || g)::uuid::text, 'meeting', now() - make_interval(days => (g * k) % 200), now()
FROM generate_series(1, :s) g, generate_series(1, 2) k
WHERE g % 10 < 3;

INSERT INTO affinities (tenant_id, id, from_dimension, from_key, to_dimension, to_key, weight, created_at)
VALUES (:'tenant', md5('affinity1')::uuid::text, 'cognitive', 'sustainability_champion', 'decision_criterion', 'carbon_footprint', 1.0, now()),
       (:'tenant', md5('affinity2')::uuid::text, 'cognitive', 'client_success', 'decision_criterion', 'long_term_partnership', 1.0, now()),
       (:'tenant', md5('affinity3')::uuid::text, 'cognitive', 'cost_guardian', 'decision_criterion', 'total_cost_of_ownership', 0.8, now()),
       (:'tenant', md5('affinity4')::uuid::text, 'cognitive', 'trusted_advisor', 'decision_criterion', 'risk_reduction', 0.7, now());
ANALYZE;
