DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE crafting_index_snapshots ALTER COLUMN data SET COMPRESSION DEFAULT;
    END IF;
END
$$;
