DROP TABLE tenures;
DROP TABLE posts;
DROP TABLE persons;
DROP TABLE organizations;
DROP TABLE api_keys;
DROP TABLE tenants;
