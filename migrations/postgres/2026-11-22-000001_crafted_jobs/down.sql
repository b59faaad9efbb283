DROP TABLE crafting_revisions;
ALTER TABLE posts ADD COLUMN facets TEXT NOT NULL DEFAULT '[]';
-- Back to one set of formal facets per post: the latest recorded revision's.
UPDATE posts SET facets = COALESCE((
    SELECT r.facets FROM post_revisions r
    WHERE r.tenant_id = posts.tenant_id AND r.post_id = posts.id
    ORDER BY r.effective_at DESC, r.recorded_at DESC LIMIT 1
), '[]');
DROP TABLE post_revisions;
DROP TABLE vocabulary;
