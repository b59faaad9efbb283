-- PostgreSQL's snapshots compress with lz4 from this version on; SQLite keeps a blob as it is
-- written, so nothing changes here. The version exists on both backends, as every one does.
SELECT 1;
