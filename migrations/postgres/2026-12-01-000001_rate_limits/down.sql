ALTER TABLE tenants DROP COLUMN rate_limit_burst;
ALTER TABLE tenants DROP COLUMN rate_limit_per_second;
