DROP TABLE external_refs;
DROP TABLE changes;
ALTER TABLE tenants DROP COLUMN change_seq;
