DROP TABLE crafting_index_snapshots;
