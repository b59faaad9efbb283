-- Synthetic crafted jobs for the benchmarks, generated in PostgreSQL itself (seconds, not
-- minutes of HTTP calls): one account with :n posts, each held by one person whose crafting
-- differs from the formal job in exactly 10 facets (3 changed weights, 7 added keys), so a
-- formal bulk diff yields 10 × :n rows. Keys vary per holder so similarity has something to find.
-- Variables: tenant (the tenant id), n (how many tenures).

INSERT INTO organizations (tenant_id, id, name, kind, tags, version, created_at, updated_at)
VALUES (:'tenant', md5('bench-org')::uuid::text, 'Bench account', 'client', '[]', 1, now(), now());

INSERT INTO posts (tenant_id, id, organization_id, title, headcount, version, created_at, updated_at)
SELECT :'tenant', md5('post' || g)::uuid::text, md5('bench-org')::uuid::text, 'Buyer ' || g, 1, 1, now(), now()
FROM generate_series(1, :n) g;

INSERT INTO post_revisions (tenant_id, id, post_id, facets, effective_at, recorded_at)
SELECT :'tenant', md5('post-revision' || g)::uuid::text, md5('post' || g)::uuid::text,
       '[{"dimension":"decision_criterion","key":"price","weight":0.9},'
       '{"dimension":"task","key":"reporting","weight":0.6},'
       '{"dimension":"priority","key":"growth","weight":0.5},'
       '{"dimension":"priority","key":"cost_reduction","weight":0.5},'
       '{"dimension":"partner_preference","key":"supplier_size_large","weight":0.7}]',
       '1970-01-01 00:00:00', now()
FROM generate_series(1, :n) g;

INSERT INTO persons (tenant_id, id, display_name, emails, version, created_at, updated_at)
SELECT :'tenant', md5('person' || g)::uuid::text, 'Person ' || g, '[]', 1, now(), now()
FROM generate_series(1, :n) g;

INSERT INTO tenures (tenant_id, id, person_id, post_id, started_on, version, created_at, updated_at)
SELECT :'tenant', md5('tenure' || g)::uuid::text, md5('person' || g)::uuid::text,
       md5('post' || g)::uuid::text, DATE '2024-01-01', 1, now(), now()
FROM generate_series(1, :n) g;

INSERT INTO crafting_revisions (tenant_id, id, tenure_id, dimensions, facets, source, confidence,
                                effective_at, recorded_at, recorded_by)
SELECT :'tenant', md5('crafting' || g)::uuid::text, md5('tenure' || g)::uuid::text,
       '["decision_criterion","partner_preference","priority"]',
       format('[{"dimension":"decision_criterion","key":"price","weight":0.2},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.8},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.6},'
              '{"dimension":"decision_criterion","key":"%s","weight":0.4},'
              '{"dimension":"priority","key":"growth","weight":0.8},'
              '{"dimension":"priority","key":"cost_reduction","weight":0.1},'
              '{"dimension":"priority","key":"%s","weight":0.7},'
              '{"dimension":"priority","key":"%s","weight":0.5},'
              '{"dimension":"partner_preference","key":"%s","weight":0.9},'
              '{"dimension":"partner_preference","key":"%s","weight":0.3}]',
              dc[1 + g % 10], dc[1 + (g + 3) % 10], dc[1 + (g + 6) % 10],
              pr[1 + g % 7], pr[1 + (g + 3) % 7],
              pp[1 + g % 6], pp[1 + (g + 2) % 6]),
       'bench', 1.0, '2025-01-01 00:00:00', now(), 'bench'
FROM generate_series(1, :n) g,
     LATERAL (SELECT
       ARRAY['total_cost_of_ownership','time_to_deploy','carbon_footprint','ethical_business',
             'local_sourcing','innovation','risk_reduction','long_term_partnership','quality',
             'references'] AS dc,
       ARRAY['new_market_entry','compliance','digitalisation','sustainability',
             'customer_experience','resilience','talent'] AS pr,
       ARRAY['supplier_size_small','regional_presence','certified_sustainability',
             'industry_expertise','single_vendor','best_of_breed'] AS pp) pools;

ANALYZE;
