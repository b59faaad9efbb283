//! The tenant: the seller whose data a key sees, and the first column of every key, query and
//! index (what a distributed store shards by). Its own type, so that a tenant and an entity id
//! — both UUIDs — cannot be passed one for the other.

use std::fmt;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub Uuid);

impl TenantId {
    pub fn new() -> TenantId {
        TenantId(Uuid::now_v7())
    }
}

impl Default for TenantId {
    fn default() -> TenantId {
        TenantId::new()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
