-- Every tenant has its feed-horizon row from its creation on (store/api_keys.rs,
-- `create_tenant`): the pruning turn is a lock on that row, taken without writing it first (a
-- first write waited for another transaction's uncommitted one). The tenants of before get
-- theirs here, at 0: never pruned, as having no row meant. Colocated by tenant, so under Citus
-- the statement runs shard by shard.
INSERT INTO feed_horizons (tenant_id, pruned_through)
SELECT id, 0 FROM tenants
ON CONFLICT (tenant_id) DO NOTHING;
