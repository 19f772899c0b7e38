//! Fusing the lexical and dense rankings into one.
//!
//! Two methods, both weighted: reciprocal rank fusion (robust, ignores score
//! scales) and min-max normalised score fusion (keeps how far ahead a hit
//! is). Which one and which weights is configuration, chosen by measurement
//! on the Korean dev set (see docs/BENCHMARKS.md).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::Hit;

/// How rankings are combined.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "method")]
pub enum FusionMethod {
    /// `Σ weight / (k + rank)`, rank from 1.
    Rrf {
        /// The constant added to each rank (60 in the RRF paper).
        k: f32,
    },
    /// `Σ weight × (score − min) / (max − min)` per list.
    Score,
}

/// A chunk with its fused score and where each engine ranked it (1-based).
#[derive(Debug, Clone)]
pub struct FusedHit {
    pub hit: Hit,
    pub score: f32,
    pub ranks: Vec<Option<usize>>,
}

/// Fuses `lists` (each with its weight) into the top `k`, best first. Ties
/// break on the chunk id so results are deterministic.
pub fn fuse(lists: &[(f32, Vec<Hit>)], method: FusionMethod, k: usize) -> Vec<FusedHit> {
    let mut by_id: HashMap<&str, FusedHit> = HashMap::new();
    for (li, (weight, hits)) in lists.iter().enumerate() {
        let (min, max) = hits.iter().fold((f32::MAX, f32::MIN), |(lo, hi), h| {
            (lo.min(h.score), hi.max(h.score))
        });
        for (rank0, hit) in hits.iter().enumerate() {
            let contribution = match method {
                FusionMethod::Rrf { k } => weight / (k + rank0 as f32 + 1.0),
                FusionMethod::Score if max > min => weight * (hit.score - min) / (max - min),
                FusionMethod::Score => *weight,
            };
            let entry = by_id
                .entry(hit.chunk.id.as_str())
                .or_insert_with(|| FusedHit {
                    hit: hit.clone(),
                    score: 0.0,
                    ranks: vec![None; lists.len()],
                });
            entry.score += contribution;
            entry.ranks[li] = Some(rank0 + 1);
        }
    }
    let mut fused: Vec<FusedHit> = by_id.into_values().collect();
    fused.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.hit.chunk.id.cmp(&b.hit.chunk.id))
    });
    fused.truncate(k);
    fused
}

#[cfg(test)]
mod tests {
    use super::*;
    use seogo_types::{Chunk, Domain};

    fn hit(id: &str, score: f32) -> Hit {
        Hit {
            chunk: Chunk {
                id: id.into(),
                doc_id: id.into(),
                ordinal: 0,
                title: String::new(),
                source: String::new(),
                heading_path: vec![],
                page: None,
                locator: None,
                text: String::new(),
                header: String::new(),
                domain: Domain::General,
                acl: vec![],
                metadata: Default::default(),
            },
            score,
        }
    }

    #[test]
    fn rrf_weights_decide_between_disagreeing_engines() {
        let lexical = vec![hit("a", 9.0), hit("b", 5.0)];
        let dense = vec![hit("b", 0.9), hit("a", 0.8)];
        let rrf = FusionMethod::Rrf { k: 60.0 };
        let lexical_heavy = fuse(&[(1.0, lexical.clone()), (0.5, dense.clone())], rrf, 10);
        assert_eq!(lexical_heavy[0].hit.chunk.id, "a");
        assert_eq!(lexical_heavy[0].ranks, vec![Some(1), Some(2)]);
        let dense_heavy = fuse(&[(0.5, lexical), (1.0, dense)], rrf, 10);
        assert_eq!(dense_heavy[0].hit.chunk.id, "b");
    }

    #[test]
    fn score_fusion_normalises_and_truncates() {
        let lexical = vec![hit("a", 20.0), hit("b", 10.0), hit("c", 0.0)];
        let dense = vec![hit("c", 0.95), hit("b", 0.94)];
        let fused = fuse(&[(1.0, lexical), (1.0, dense)], FusionMethod::Score, 2);
        assert_eq!(fused.len(), 2);
        // b: 0.5 + 0 ; c: 0 + 1 ; a: 1 + 0 -> a and c tie at 1.0, ordered by id.
        assert_eq!(fused[0].hit.chunk.id, "a");
        assert_eq!(fused[1].hit.chunk.id, "c");
    }
}
