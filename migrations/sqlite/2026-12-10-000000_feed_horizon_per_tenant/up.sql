-- Every tenant has its feed-horizon row from its creation on (store/api_keys.rs,
-- `create_tenant`): the pruning turn is taken on that row without writing it first. The
-- tenants of before get theirs here, at 0: never pruned, as having no row meant.
INSERT OR IGNORE INTO feed_horizons (tenant_id, pruned_through)
SELECT id, 0 FROM tenants;
