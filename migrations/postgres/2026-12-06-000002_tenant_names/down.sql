ALTER TABLE tenants ADD CONSTRAINT tenants_name_key UNIQUE (name);
DROP TABLE tenant_names;
