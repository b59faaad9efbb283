DROP TABLE relationship_versions;
DROP TABLE coverage_link_versions;
DROP TABLE tenure_versions;
