DROP TABLE coverage_settings;
DROP TABLE affinities;
DROP TABLE interactions;
DROP TABLE coverage_links;
DROP TABLE relationships;
ALTER TABLE tenures DROP COLUMN capacity;
ALTER TABLE tenures DROP COLUMN buying_roles;
