//! A cluster collection's documents (`prefix + NAME + ".docs"`): one
//! payload-only point per document with its manifest entry, and the claim
//! of the node writing it. The claim is the cluster's journal: written
//! before a document's chunks change, replaced by the new entry after.
//! A claim whose writer is gone (a dead process on this host, or older
//! than `claim_secs` from another) is undone by the next node that opens
//! the collection: the document's chunks and entry are removed, so the
//! next ingest or sync reads it again.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use qdrant_client::qdrant::{
    DeletePointsBuilder, PointId, PointStruct, PointsIdsList, ScrollPointsBuilder,
};
use qdrant_client::Payload;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::remote_error;
use super::store::{ordering, write_points};
use super::ClusterStore;
use crate::vector::point_number;
use crate::IndexError;

/// Which writer holds a document while its chunks change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteClaim {
    /// The writer's host name.
    pub node: String,
    pub pid: u32,
    /// When it was made or last renewed (Unix seconds).
    pub at: u64,
}

impl WriteClaim {
    /// A claim by this process, now.
    pub fn mine() -> Self {
        Self {
            node: host_name(),
            pid: std::process::id(),
            at: now(),
        }
    }

    pub fn is_mine(&self) -> bool {
        self.node == host_name() && self.pid == std::process::id()
    }

    /// Whether its writer may still be at work: a process on this host
    /// that is running, or a claim from another host younger than
    /// `claim_secs`.
    pub fn is_live(&self, claim_secs: u64) -> bool {
        if self.node == host_name() {
            return std::path::Path::new(&format!("/proc/{}", self.pid)).exists();
        }
        now().saturating_sub(self.at) < claim_secs
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// One document as the cluster records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocRecord {
    pub doc_id: String,
    /// The engine's manifest entry, `None` for a document written for the
    /// first time and not yet committed.
    pub entry: Option<serde_json::Value>,
    pub claim: Option<WriteClaim>,
}

fn doc_point(record: &DocRecord) -> Result<PointStruct, IndexError> {
    let payload = Payload::try_from(json!(record)).map_err(remote_error)?;
    Ok(PointStruct::new(
        point_number(&record.doc_id),
        HashMap::<String, qdrant_client::qdrant::Vector>::new(),
        payload,
    ))
}

impl ClusterStore {
    /// Every document record.
    pub fn documents(&self) -> Result<Vec<DocRecord>, IndexError> {
        let mut records = Vec::new();
        let mut offset: Option<PointId> = None;
        loop {
            let name = self.docs_collection.clone();
            let from = offset.clone();
            let page = self.client.call(move |c| {
                let mut scroll = ScrollPointsBuilder::new(name.clone())
                    .limit(1024)
                    .with_payload(true);
                if let Some(from) = from.clone() {
                    scroll = scroll.offset(from);
                }
                async move { c.scroll(scroll).await }
            })?;
            for point in page.result {
                let value = serde_json::Value::from(Payload::from(point.payload));
                records.push(serde_json::from_value(value)?);
            }
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(records),
            }
        }
    }

    /// Writes `records` (their entries and claims), acknowledged by the
    /// configured write consistency before it returns.
    pub fn put_documents(&self, records: &[DocRecord]) -> Result<(), IndexError> {
        let points = records
            .iter()
            .map(doc_point)
            .collect::<Result<Vec<_>, _>>()?;
        write_points(&self.client, &self.docs_collection, &points)
    }

    /// Removes the records of `doc_ids`.
    pub fn remove_documents(&self, doc_ids: &[String]) -> Result<(), IndexError> {
        if doc_ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<PointId> = doc_ids
            .iter()
            .map(|d| PointId::from(point_number(d)))
            .collect();
        let name = self.docs_collection.clone();
        self.client.call(move |c| {
            let delete = DeletePointsBuilder::new(name.clone())
                .points(PointsIdsList { ids: ids.clone() })
                .wait(true)
                .ordering(ordering());
            async move { c.delete_points(delete).await }
        })?;
        Ok(())
    }

    /// How long another host's claim stands.
    pub fn claim_secs(&self) -> u64 {
        self.client.config.claim_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_by_a_dead_process_here_is_not_live_and_a_fresh_one_from_elsewhere_is() {
        let mut claim = WriteClaim::mine();
        assert!(claim.is_mine() && claim.is_live(600));
        claim.pid = u32::MAX; // no such process
        assert!(!claim.is_live(600));
        claim.node = "another-host".into();
        assert!(claim.is_live(600));
        claim.at = now() - 700;
        assert!(!claim.is_live(600));
    }

    #[test]
    fn a_record_round_trips_through_a_payload() {
        let record = DocRecord {
            doc_id: "manual.pdf".into(),
            entry: Some(json!({"content_hash": "ab", "chunks": 3})),
            claim: Some(WriteClaim::mine()),
        };
        let point = doc_point(&record).expect("point");
        let back: DocRecord =
            serde_json::from_value(serde_json::Value::from(Payload::from(point.payload)))
                .expect("record");
        assert_eq!(back, record);
    }
}
