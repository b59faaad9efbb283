//! What a process keeps per tenant between requests (the similar-crafters index, the accounts'
//! demand), within a memory budget: past it, the least recently used tenants' go first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::domain::tenant::TenantId;

pub struct TenantCache<T> {
    tenants: Mutex<HashMap<TenantId, Held<T>>>,
    budget: usize,
}

struct Held<T> {
    value: T,
    /// About the bytes `value` holds, counted once when it was kept.
    bytes: usize,
    used: Instant,
}

impl<T: Clone> TenantCache<T> {
    pub fn new(budget: usize) -> TenantCache<T> {
        TenantCache { tenants: Mutex::default(), budget }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// The tenant's value, if held; it counts as used now.
    pub fn get(&self, tenant: TenantId) -> Option<T> {
        self.update(tenant, |value| value.clone())
    }

    /// `change` applied to the tenant's value in place, if held; it counts as used now.
    pub fn update<R>(&self, tenant: TenantId, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        let held = tenants.get_mut(&tenant)?;
        held.used = Instant::now();
        Some(change(&mut held.value))
    }

    /// Holds `value`, about `bytes`, for the tenant, dropping the least recently used other
    /// tenants' past the budget. Returns the tenants dropped.
    pub fn keep(&self, tenant: TenantId, value: T, bytes: usize) -> Vec<(TenantId, usize)> {
        self.keep_unless(tenant, value, bytes, |_| false)
    }

    /// `keep`, unless the value held for the tenant `stays` (decided under the same lock).
    pub fn keep_unless(
        &self,
        tenant: TenantId,
        value: T,
        bytes: usize,
        stays: impl FnOnce(&T) -> bool,
    ) -> Vec<(TenantId, usize)> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        if tenants.get(&tenant).is_some_and(|held| stays(&held.value)) {
            return Vec::new();
        }
        tenants.insert(tenant, Held { value, bytes, used: Instant::now() });
        let mut held: usize = tenants.values().map(|h| h.bytes).sum();
        let mut dropped = Vec::new();
        while held > self.budget && tenants.len() > 1 {
            let Some(oldest) = tenants
                .iter()
                .filter(|(t, _)| **t != tenant)
                .min_by_key(|(_, h)| h.used)
                .map(|(t, _)| *t)
            else {
                break;
            };
            if let Some(gone) = tenants.remove(&oldest) {
                held -= gone.bytes;
                dropped.push((oldest, gone.bytes));
            }
        }
        dropped
    }

    /// Lets the tenant's value go.
    pub fn forget(&self, tenant: TenantId) {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner()).remove(&tenant);
    }

    /// Bytes held now, and for how many tenants.
    pub fn held(&self) -> (usize, usize) {
        let tenants = self.tenants.lock().unwrap_or_else(|p| p.into_inner());
        (tenants.values().map(|h| h.bytes).sum(), tenants.len())
    }

    /// The tenants held now.
    pub fn tenants(&self) -> Vec<TenantId> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn past_the_budget_the_least_recently_used_tenants_go() {
        let cache: TenantCache<u8> = TenantCache::new(250);
        let tenants: Vec<TenantId> = (1..=3).map(|n| TenantId(Uuid::from_u128(n))).collect();
        cache.keep(tenants[0], 0, 100);
        cache.keep(tenants[1], 1, 100);
        // The first is used again: the second is now the least recently used.
        assert_eq!(cache.get(tenants[0]), Some(0));
        let dropped = cache.keep(tenants[2], 2, 100);
        assert_eq!(dropped, vec![(tenants[1], 100)]);
        let mut held = cache.tenants();
        held.sort();
        assert_eq!(held, vec![tenants[0], tenants[2]]);
        assert_eq!(cache.held(), (200, 2));
        // One tenant past the budget alone is still held: it is the one just asked for.
        let alone: TenantCache<u8> = TenantCache::new(10);
        alone.keep(tenants[0], 0, 100);
        assert_eq!(alone.held(), (100, 1));
        // A value held that is to stay stays.
        alone.keep_unless(tenants[0], 1, 100, |held| *held == 0);
        assert_eq!(alone.get(tenants[0]), Some(0));
        alone.keep_unless(tenants[0], 1, 100, |held| *held == 5);
        assert_eq!(alone.get(tenants[0]), Some(1));
    }
}
