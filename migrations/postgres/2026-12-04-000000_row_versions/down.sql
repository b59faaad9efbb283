DROP TABLE coverage_settings_versions;
DROP TABLE relationship_versions;
DROP TABLE coverage_link_versions;
DROP TABLE tenure_versions;
