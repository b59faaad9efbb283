-- Which instance delivers a subscription now, and until when. An instance claims a due
-- subscription whose lease is free or has expired, delivers its changes in order, and lets it
-- go; instances share the subscriptions instead of each delivering all of them, and the lease
-- of a killed instance expires so that another takes its subscriptions over.
ALTER TABLE webhooks ADD COLUMN lease_owner TEXT;
ALTER TABLE webhooks ADD COLUMN lease_until TIMESTAMP;
