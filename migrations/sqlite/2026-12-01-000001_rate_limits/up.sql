-- A tenant's own rate limit for each of its API keys; NULL: the instance's default.
ALTER TABLE tenants ADD COLUMN rate_limit_per_second REAL;
ALTER TABLE tenants ADD COLUMN rate_limit_burst INTEGER;
