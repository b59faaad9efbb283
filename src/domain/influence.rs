//! Influence of stakeholders in an account: a PageRank over who defers to whom (formal
//! reporting lines towards the manager, observed relationships weighted by strength), times a
//! factor for the stakeholder's buying roles; normalised to sum to 1 over the account.

/// PageRank's damping: the chance of following an edge rather than jumping anywhere.
const DAMPING: f64 = 0.85;
const ITERATIONS_MAX: usize = 200;
const TOLERANCE: f64 = 1e-12;

/// One stakeholder's influence, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Influence {
    /// Share of the network's centrality (sums to 1 over the account).
    pub centrality: f64,
    /// The buying-role factor applied (1 without roles).
    pub role_factor: f64,
    /// centrality × role factor, normalised to sum to 1 over the account.
    pub influence: f64,
}

/// `edges` are `(from, to, weight)` with rank flowing from `from` to `to`: the one who defers
/// points at the one deferred to. `role_factors` has one factor per node.
pub fn influence(
    nodes: usize,
    edges: &[(usize, usize, f64)],
    role_factors: &[f64],
) -> Vec<Influence> {
    if nodes == 0 {
        return Vec::new();
    }
    let centrality = pagerank(nodes, edges);
    let weighted: Vec<f64> =
        centrality.iter().zip(role_factors).map(|(c, f)| c * f.max(0.0)).collect();
    let total: f64 = weighted.iter().sum();
    centrality
        .iter()
        .zip(role_factors)
        .zip(&weighted)
        .map(|((c, f), w)| Influence {
            centrality: *c,
            role_factor: *f,
            influence: if total > 0.0 { w / total } else { 1.0 / nodes as f64 },
        })
        .collect()
}

pub fn pagerank(nodes: usize, edges: &[(usize, usize, f64)]) -> Vec<f64> {
    let mut out_weight = vec![0.0; nodes];
    for (from, _, weight) in edges.iter().filter(|e| e.2 > 0.0) {
        out_weight[*from] += weight;
    }
    let uniform = 1.0 / nodes as f64;
    let mut rank = vec![uniform; nodes];
    for _ in 0..ITERATIONS_MAX {
        // Nodes that defer to no one spread their rank evenly.
        let dangling: f64 = (0..nodes).filter(|n| out_weight[*n] == 0.0).map(|n| rank[n]).sum();
        let mut next = vec![(1.0 - DAMPING) * uniform + DAMPING * dangling * uniform; nodes];
        for (from, to, weight) in edges.iter().filter(|e| e.2 > 0.0) {
            next[*to] += DAMPING * rank[*from] * weight / out_weight[*from];
        }
        let change: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if change < TOLERANCE {
            break;
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manager_everyone_reports_to_is_most_central() {
        // 1 and 2 report to 0.
        let ranks = pagerank(3, &[(1, 0, 1.0), (2, 0, 1.0)]);
        assert!(ranks[0] > ranks[1] && (ranks[1] - ranks[2]).abs() < 1e-12);
        assert!((ranks.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn role_factors_raise_influence_and_influence_sums_to_one() {
        let result = influence(3, &[(1, 0, 1.0), (2, 0, 1.0)], &[1.0, 3.0, 1.0]);
        assert!(result[1].influence > result[2].influence);
        assert_eq!(result[1].role_factor, 3.0);
        assert!((result.iter().map(|i| i.influence).sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn an_empty_account_has_no_influence() {
        assert!(influence(0, &[], &[]).is_empty());
        let alone = influence(1, &[], &[1.0]);
        assert!((alone[0].influence - 1.0).abs() < 1e-12);
    }
}
