-- GET /v1/persons/{id}: the statements jobcraft runs for it (from PostgreSQL's statement log;
-- the API key is cached), as pgbench runs them: prepared, one transaction per request.
-- jobcraft sends the independent ones together (store/pipelined.rs); pgbench sends each after
-- the answer to the one before.
SELECT "persons"."id", "persons"."display_name", "persons"."emails", "persons"."phone", "persons"."notes", "persons"."version", "persons"."created_at", "persons"."updated_at", "persons"."erased_at" FROM "persons" WHERE (("persons"."tenant_id" = :tenant) AND ("persons"."id" = :person)) LIMIT 1;
SELECT "external_refs"."entity_id", "external_refs"."source", "external_refs"."external_id" FROM "external_refs" WHERE ((("external_refs"."tenant_id" = :tenant) AND ("external_refs"."entity" = 'person')) AND ("external_refs"."entity_id" = ANY(ARRAY[:person])));
