-- GET /v1/posts/{id}/tenures: the statements jobcraft runs for it (from PostgreSQL's
-- statement log), as pgbench runs them: prepared, one transaction per request.
-- jobcraft sends the independent ones together (store/pipelined.rs); pgbench sends each after
-- the answer to the one before.
SELECT "posts"."id", "posts"."organization_id", "posts"."title", "posts"."function", "posts"."reports_to_post_id", "posts"."headcount", "posts"."established_on", "posts"."abolished_on", "posts"."version", "posts"."created_at", "posts"."updated_at" FROM "posts" WHERE (("posts"."tenant_id" = :tenant) AND ("posts"."id" = :post)) LIMIT 1;
SELECT "post_revisions"."post_id", "post_revisions"."id", "post_revisions"."facets", "post_revisions"."effective_at", "post_revisions"."recorded_at" FROM "post_revisions" WHERE (("post_revisions"."tenant_id" = :tenant) AND ("post_revisions"."post_id" = ANY(ARRAY[:post]))) ORDER BY "post_revisions"."effective_at", "post_revisions"."recorded_at";
SELECT "external_refs"."entity_id", "external_refs"."source", "external_refs"."external_id" FROM "external_refs" WHERE ((("external_refs"."tenant_id" = :tenant) AND ("external_refs"."entity" = 'post')) AND ("external_refs"."entity_id" = ANY(ARRAY[:post])));
SELECT "tenures"."id", "tenures"."person_id", "tenures"."post_id", "tenures"."started_on", "tenures"."ended_on", "tenures"."buying_roles", "tenures"."capacity", "tenures"."version", "tenures"."created_at", "tenures"."updated_at" FROM "tenures" WHERE (("tenures"."tenant_id" = :tenant) AND ("tenures"."post_id" = :post)) ORDER BY "tenures"."started_on", "tenures"."id" LIMIT 51;
SELECT "persons"."id", "persons"."display_name" FROM "persons" WHERE (("persons"."tenant_id" = :tenant) AND ("persons"."id" = ANY(ARRAY[:person, :predecessor])));
SELECT "posts"."id", "posts"."title", "posts"."organization_id" FROM "posts" WHERE (("posts"."tenant_id" = :tenant) AND ("posts"."id" = ANY(ARRAY[:post, :post])));
