-- What changed since a moment: the similarity index catches up through these.
CREATE INDEX crafting_revisions_by_recording ON crafting_revisions (tenant_id, recorded_at);
CREATE INDEX post_revisions_by_recording ON post_revisions (tenant_id, recorded_at);
CREATE INDEX tenures_by_update ON tenures (tenant_id, updated_at);
