//! Vectors of recent queries. The same query comes back often: a widget's
//! retry, a batch's repeated questions, many people asking the morning's
//! question, an answer's search run again for a follow-up. On a CPU the
//! query embedding is most of a hybrid search (≈ 16 ms of both cores), so
//! a repeat skips it. Keyed by the exact query text; the embedder never
//! changes under a running engine, so entries never go stale.

use std::collections::HashMap;
use std::sync::Arc;

/// Queries remembered; the least recently used goes first.
const CAPACITY: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct QueryVectors {
    entries: HashMap<String, (Arc<Vec<f32>>, u64)>,
    clock: u64,
}

impl QueryVectors {
    pub(crate) fn get(&mut self, query: &str) -> Option<Arc<Vec<f32>>> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(query).map(|(vector, used)| {
            *used = clock;
            vector.clone()
        })
    }

    /// Forgets every query (the search bench measures uncached searches).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn insert(&mut self, query: &str, vector: Arc<Vec<f32>>) {
        if self.entries.len() >= CAPACITY && !self.entries.contains_key(query) {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(q, _)| q.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(query.to_string(), (vector, self.clock));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_query_is_forgotten_first() {
        let mut cache = QueryVectors::default();
        for i in 0..CAPACITY {
            cache.insert(&format!("q{i}"), Arc::new(vec![i as f32]));
        }
        // q0 is used again, so q1 is now the oldest.
        assert_eq!(cache.get("q0").as_deref(), Some(&vec![0.0]));
        cache.insert("new", Arc::new(vec![-1.0]));
        assert_eq!(cache.entries.len(), CAPACITY);
        assert!(cache.get("q1").is_none(), "the oldest stayed");
        assert!(cache.get("q0").is_some(), "a recent one was dropped");
        assert_eq!(cache.get("new").as_deref(), Some(&vec![-1.0]));
    }
}
