ALTER TABLE tenures ADD CONSTRAINT tenures_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE changes ADD CONSTRAINT changes_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE external_refs ADD CONSTRAINT external_refs_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
