DROP TABLE tenant_names;
