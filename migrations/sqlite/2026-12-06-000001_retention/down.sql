DROP INDEX audit_log_by_time;
DROP INDEX webhook_deliveries_by_time;
DROP TABLE feed_horizons;
DROP TABLE retention_settings;
