-- Sync batches insert thousands of tenures, external ids and changes at once, and PostgreSQL
-- checks a foreign key row by row: the tenant checks below cost about 9 ms per 1,000 rows each
-- (measured) and guard nothing another constraint or the write path does not already:
-- a tenure's tenant is checked through its person and its post (composite keys), a change is
-- only written after its tenant's counter row was updated in the same transaction, and an
-- external id only beside its entity, whose own row checks the tenant.
ALTER TABLE tenures DROP CONSTRAINT tenures_tenant_id_fkey;
ALTER TABLE changes DROP CONSTRAINT changes_tenant_id_fkey;
ALTER TABLE external_refs DROP CONSTRAINT external_refs_tenant_id_fkey;
