ALTER TABLE changes DROP COLUMN traceparent;
ALTER TABLE changes DROP COLUMN request_id;
