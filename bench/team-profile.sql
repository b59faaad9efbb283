-- A synthetic sales team and its accounts for the team-profile benchmark, generated in
-- PostgreSQL itself: an own unit of :sp salespeople (each with a crafted job of priorities,
-- framings and tasks), and :a client accounts of :s stakeholders each, with a reporting tree,
-- buying roles, crafted decision criteria and priorities, relationships, and 30% of each
-- account covered by the unit. Variables: tenant, sp (salespeople), a (accounts),
-- s (stakeholders per account).

INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
VALUES (:'tenant', md5('seller')::uuid::text, 'Seller', 'own', NULL, '[]', 1, now(), now()),
       (:'tenant', md5('unit')::uuid::text, 'Seller DACH', 'own', md5('seller')::uuid::text, '[]', 1, now(), now());
INSERT INTO organizations (tenant_id, id, name, kind, parent_id, tags, version, created_at, updated_at)
SELECT :'tenant', md5('account' || a)::uuid::text, 'Account ' || a, 'client', NULL, '[]', 1, now(), now()
FROM generate_series(1, :a) a;

-- Salespeople.
INSERT INTO posts (tenant_id, id, organization_id, title, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('sales-post' || g)::uuid::text, md5('unit')::uuid::text, 'Account executive ' || g, 1, 1, now(), now()
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
       '["cognitive","priority","task"]',
       format('[{"dimension":"cognitive","key":"%s","weight":0.9},'
              '{"dimension":"priority","key":"%s","weight":0.8},'
              '{"dimension":"priority","key":"%s","weight":0.4},'
              '{"dimension":"task","key":"%s","weight":0.6}]',
              cg[1 + g % 5], pr[1 + g % 7], pr[1 + (g + 3) % 7], tk[1 + g % 4]),
       'bench', 1.0, '2024-01-01 00:00:00', now(), 'bench'
FROM generate_series(1, :sp) g,
     LATERAL (SELECT
       ARRAY['client_success','commission_first','trusted_advisor','sustainability_champion','cost_guardian'] AS cg,
       ARRAY['growth','sustainability','cost_reduction','digitalisation','customer_experience','resilience','compliance'] AS pr,
       ARRAY['account_planning','technical_advice','customer_onboarding','contract_negotiation'] AS tk) pools;

-- Stakeholders of account a: post (a, 1) heads it, post (a, g) reports to (a, max(1, g / 5)).
INSERT INTO posts (tenant_id, id, organization_id, title, reports_to_post_id, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('post' || a || '-' || g)::uuid::text, md5('account' || a)::uuid::text, 'Post ' || g,
       CASE WHEN g = 1 THEN NULL ELSE md5('post' || a || '-' || greatest(1, g / 5))::uuid::text END, 1, 1, now(), now()
FROM generate_series(1, :a) a, generate_series(1, :s) g
ORDER BY g, a;
INSERT INTO persons (tenant_id, id, display_name, emails, version, created_at, updated_at)
SELECT :'tenant', md5('person' || a || '-' || g)::uuid::text, 'Stakeholder ' || a || '-' || g, '[]', 1, now(), now()
FROM generate_series(1, :a) a, generate_series(1, :s) g;
INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, buying_roles, version, created_at, updated_at)
SELECT :'tenant', md5('tenure' || a || '-' || g)::uuid::text, md5('person' || a || '-' || g)::uuid::text,
       md5('post' || a || '-' || g)::uuid::text, DATE '2020-01-01',
       CASE WHEN g % 50 = 1 THEN '["decision_maker"]' WHEN g % 50 = 2 THEN '["economic_buyer"]'
            WHEN g % 20 = 3 THEN '["technical_buyer"]' WHEN g % 25 = 5 THEN '["champion"]'
            WHEN g % 10 = 4 THEN '["user"]' ELSE '[]' END,
       1, now(), now()
FROM generate_series(1, :a) a, generate_series(1, :s) g;
INSERT INTO crafting_revisions (tenant_id, id, tenure_id, dimensions, facets, source, confidence, effective_at, recorded_at, recorded_by)
SELECT :'tenant', md5('crafting' || a || '-' || g)::uuid::text, md5('tenure' || a || '-' || g)::uuid::text,
       '["decision_criterion","priority"]',
       format('[{"dimension":"decision_criterion","key":"%s","weight":0.9},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.6},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.3},'
              '{"dimension":"priority","key":"%s","weight":0.7}]',
              dc[1 + (g + a) % 10], dc[1 + (g + a + 3) % 10], dc[1 + (g + 6) % 10], pr[1 + (g + a) % 7]),
       'bench', 1.0, '2024-06-01 00:00:00', now(), 'bench'
FROM generate_series(1, :a) a, generate_series(1, :s) g,
     LATERAL (SELECT
       ARRAY['total_cost_of_ownership','time_to_deploy','carbon_footprint','ethical_business',
             'local_sourcing','innovation','risk_reduction','long_term_partnership','quality','references'] AS dc,
       ARRAY['growth','sustainability','cost_reduction','digitalisation','customer_experience','resilience','compliance'] AS pr) pools;

-- Relationships inside each account; the unit covers 30% of each account's stakeholders.
INSERT INTO relationships (tenant_id, id, from_person_id, to_person_id, kind, strength, version, created_at, updated_at)
SELECT :'tenant', md5('relationship' || a || '-' || g)::uuid::text, md5('person' || a || '-' || g)::uuid::text,
       md5('person' || a || '-' || (1 + (g * 7) % :s))::uuid::text,
       (ARRAY['influences','advises','allies_with','blocks','reports_informally_to'])[1 + g % 5], 0.5, 1, now(), now()
FROM generate_series(1, :a) a, generate_series(1, :s / 2) g
WHERE 1 + (g * 7) % :s <> g;
INSERT INTO coverage_links (tenant_id, id, salesperson_id, stakeholder_id, role, stated_strength, version, created_at, updated_at)
SELECT :'tenant', md5('coverage' || a || '-' || g)::uuid::text, md5('seller' || (1 + (g + a) % :sp))::uuid::text,
       md5('person' || a || '-' || g)::uuid::text, 'primary', 0.6, 1, now(), now()
FROM generate_series(1, :a) a, generate_series(1, :s) g
WHERE g % 10 < 3;

INSERT INTO affinities (tenant_id, id, from_dimension, from_key, to_dimension, to_key, weight, created_at)
VALUES (:'tenant', md5('affinity1')::uuid::text, 'cognitive', 'sustainability_champion', 'decision_criterion', 'carbon_footprint', 1.0, now()),
       (:'tenant', md5('affinity2')::uuid::text, 'cognitive', 'client_success', 'decision_criterion', 'long_term_partnership', 1.0, now()),
       (:'tenant', md5('affinity3')::uuid::text, 'cognitive', 'cost_guardian', 'decision_criterion', 'total_cost_of_ownership', 0.8, now()),
       (:'tenant', md5('affinity4')::uuid::text, 'task', 'technical_advice', 'decision_criterion', 'time_to_deploy', 0.7, now());
ANALYZE;
