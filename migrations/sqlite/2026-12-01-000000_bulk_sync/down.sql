-- The PostgreSQL migration of this name drops foreign keys that cost bulk inserts there; SQLite
-- checks them in-process at little cost and can drop one only by rebuilding the table, so
-- its schema stays as it is.
SELECT 1;
