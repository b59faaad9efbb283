-- The similar-crafters snapshot is read whole by every instance's first call after a start
-- (store/crafting_index.rs): PostgreSQL's default compression, pglz, took about 45 ms of that
-- call to decompress 100,000 tenures' 14 MB; lz4 takes about 10. lz4 where this server was built
-- with it (PostgreSQL 14 and later, as Debian's), pglz elsewhere: the value reads the same.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE crafting_index_snapshots ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END
$$;
