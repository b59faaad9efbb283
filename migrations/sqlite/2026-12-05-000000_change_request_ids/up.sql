-- The request that wrote each change, so that what it causes (a webhook delivery) carries the
-- request's id and trace context.
ALTER TABLE changes ADD COLUMN request_id TEXT;
ALTER TABLE changes ADD COLUMN traceparent TEXT;
