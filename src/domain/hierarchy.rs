//! Trees of organizations (parent) and posts (formal reporting line) must stay acyclic.

use uuid::Uuid;

/// Longest chain walked before giving up; real hierarchies are far shallower.
pub const DEPTH_MAX: usize = 1_000;

/// Would making `new_parent` the parent of `node` close a cycle?
/// `parent_of` looks up the current parent of a node (it may query the store).
pub fn closes_cycle<E>(
    node: Uuid,
    new_parent: Uuid,
    mut parent_of: impl FnMut(Uuid) -> Result<Option<Uuid>, E>,
) -> Result<bool, E> {
    let mut current = Some(new_parent);
    for _ in 0..DEPTH_MAX {
        match current {
            None => return Ok(false),
            Some(id) if id == node => return Ok(true),
            Some(id) => current = parent_of(id)?,
        }
    }
    // A chain this long is already broken; refuse to extend it.
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::now_v7()).collect()
    }

    #[test]
    fn a_node_cannot_become_its_own_ancestor() {
        let [a, b, c] = ids(3)[..] else { unreachable!() };
        // c -> b -> a
        let parents = HashMap::from([(c, b), (b, a)]);
        let lookup = |id| Ok::<_, ()>(parents.get(&id).copied());
        assert!(closes_cycle(a, c, lookup).unwrap());
        assert!(closes_cycle(a, a, lookup).unwrap());
        assert!(!closes_cycle(c, a, lookup).unwrap());
    }
}
