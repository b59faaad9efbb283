ALTER TABLE retention_settings DROP COLUMN idempotency_hours;
