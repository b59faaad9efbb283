DROP TABLE erasures;
ALTER TABLE persons DROP COLUMN erased_at;
