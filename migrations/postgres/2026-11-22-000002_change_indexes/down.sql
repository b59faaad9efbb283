DROP INDEX tenures_by_update;
DROP INDEX post_revisions_by_recording;
DROP INDEX crafting_revisions_by_recording;
