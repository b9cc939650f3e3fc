//! The append-only journal and its hash chain.
//!
//! Each record has its own chain: entry `n` stores the hash of entry `n - 1`, and its own hash
//! covers that link and every field of the entry. Editing an entry breaks its hash; deleting or
//! reordering entries breaks a link or the sequence; deleting the newest entries is caught by the
//! chain head, which is kept beside the chain and must agree with it.

use crate::record::RecordKind;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash that the first entry of every chain links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Api,
    Ui,
    Portal,
    Cli,
    System,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Ui => "ui",
            Channel::Portal => "portal",
            Channel::Cli => "cli",
            Channel::System => "system",
        }
    }
}

/// One field changed: its value before and after (JSON values; `null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

impl Change {
    pub fn new(field: &str, from: impl Serialize, to: impl Serialize) -> Self {
        // Serializing plain data (strings, numbers, options) into a Value cannot fail.
        let from = serde_json::to_value(from).unwrap_or(serde_json::Value::Null);
        let to = serde_json::to_value(to).unwrap_or(serde_json::Value::Null);
        Change { field: field.to_owned(), from, to }
    }
}

/// What a journal entry says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalAction {
    Created,
    Updated,
    Transitioned,
    Commented,
    Attached,
    Linked,
    /// An SLA clock reached its warning threshold or its target.
    Sla,
}

impl JournalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalAction::Created => "created",
            JournalAction::Updated => "updated",
            JournalAction::Transitioned => "transitioned",
            JournalAction::Commented => "commented",
            JournalAction::Attached => "attached",
            JournalAction::Linked => "linked",
            JournalAction::Sla => "sla",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            JournalAction::Created,
            JournalAction::Updated,
            JournalAction::Transitioned,
            JournalAction::Commented,
            JournalAction::Attached,
            JournalAction::Linked,
            JournalAction::Sla,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// A journal entry as stored. `changes` is kept as the exact JSON text that was hashed.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub id: Uuid,
    pub record_id: Uuid,
    pub record_kind: RecordKind,
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<Uuid>,
    pub channel: String,
    pub action: String,
    pub changes: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Computes an entry's hash from its link to the previous entry and its own fields.
/// Fields are separated by newlines; none of them can contain one (the changes are JSON text,
/// where newlines are escaped), so the encoding is unambiguous.
#[expect(clippy::too_many_arguments, reason = "the hash covers exactly these fields")]
pub fn entry_hash(
    prev_hash: &str,
    record_id: Uuid,
    record_kind: RecordKind,
    seq: i64,
    at: Timestamp,
    actor_id: Option<Uuid>,
    channel: &str,
    action: &str,
    changes: &str,
) -> String {
    let mut h = Sha256::new();
    let actor = actor_id.map(|a| a.to_string()).unwrap_or_default();
    let micros = at.as_microsecond();
    for part in [
        prev_hash,
        &record_id.to_string(),
        record_kind.as_str(),
        &seq.to_string(),
        &micros.to_string(),
        &actor,
        channel,
        action,
        changes,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

impl JournalEntry {
    /// Builds the next entry of a chain whose head is `prev` (`None` for a new record).
    #[expect(clippy::too_many_arguments, reason = "an entry is exactly these fields")]
    pub fn next(
        id: Uuid,
        record_id: Uuid,
        record_kind: RecordKind,
        prev: Option<(i64, &str)>,
        at: Timestamp,
        actor_id: Option<Uuid>,
        channel: Channel,
        action: JournalAction,
        changes: &[Change],
    ) -> Self {
        let (seq, prev_hash) = match prev {
            Some((s, h)) => (s + 1, h.to_owned()),
            None => (1, GENESIS.to_owned()),
        };
        // A Vec of plain structs always serializes.
        let changes = serde_json::to_string(changes).unwrap_or_else(|_| "[]".into());
        let hash = entry_hash(
            &prev_hash,
            record_id,
            record_kind,
            seq,
            at,
            actor_id,
            channel.as_str(),
            action.as_str(),
            &changes,
        );
        JournalEntry {
            id,
            record_id,
            record_kind,
            seq,
            at,
            actor_id,
            channel: channel.as_str().to_owned(),
            action: action.as_str().to_owned(),
            changes,
            prev_hash,
            hash,
        }
    }

    pub fn recompute_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            self.record_id,
            self.record_kind,
            self.seq,
            self.at,
            self.actor_id,
            &self.channel,
            &self.action,
            &self.changes,
        )
    }

    pub fn parsed_changes(&self) -> Vec<Change> {
        serde_json::from_str(&self.changes).unwrap_or_default()
    }
}

/// Something wrong with one record's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The record has no journal at all, though every record is journalled from creation.
    Missing,
    /// Entry `seq` does not hash to its stored hash: it was edited.
    Edited { seq: i64 },
    /// Entry `expected` is absent or out of order (`found` is what stood in its place).
    Gap { expected: i64, found: i64 },
    /// Entry `seq` does not link to the entry before it.
    BrokenLink { seq: i64 },
    /// The chain ends elsewhere than its recorded head: newest entries removed, or the head edited.
    HeadMismatch { head_seq: i64, chain_seq: i64 },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainProblem::Missing => write!(f, "the journal is missing"),
            ChainProblem::Edited { seq } => write!(f, "entry {seq} was altered"),
            ChainProblem::Gap { expected, found } => {
                write!(f, "entry {expected} is missing or out of order (found {found})")
            }
            ChainProblem::BrokenLink { seq } => {
                write!(f, "entry {seq} does not link to the entry before it")
            }
            ChainProblem::HeadMismatch { head_seq, chain_seq } => write!(
                f,
                "the chain ends at entry {chain_seq} but its head says {head_seq}: entries were removed"
            ),
        }
    }
}

/// Verifies one record's chain: `entries` in stored order by `seq`, `head` the recorded
/// chain head `(seq, hash)`. Returns every problem found (empty when intact).
pub fn verify_chain(entries: &[JournalEntry], head: Option<(i64, &str)>) -> Vec<ChainProblem> {
    let mut problems = Vec::new();
    if entries.is_empty() {
        problems.push(ChainProblem::Missing);
        return problems;
    }
    let mut expected_prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if e.seq != expected_seq {
            problems.push(ChainProblem::Gap { expected: expected_seq, found: e.seq });
            return problems;
        }
        if e.prev_hash != expected_prev {
            problems.push(ChainProblem::BrokenLink { seq: e.seq });
        }
        if e.recompute_hash() != e.hash {
            problems.push(ChainProblem::Edited { seq: e.seq });
        }
        expected_prev.clone_from(&e.hash);
    }
    let last = entries.last().map(|e| (e.seq, e.hash.as_str()));
    match (head, last) {
        (Some((hs, hh)), Some((ls, lh))) if hs != ls || hh != lh => {
            problems.push(ChainProblem::HeadMismatch { head_seq: hs, chain_seq: ls });
        }
        (None, Some((ls, _))) => problems.push(ChainProblem::HeadMismatch { head_seq: 0, chain_seq: ls }),
        _ => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<JournalEntry> {
        let record = Uuid::now_v7();
        let mut out: Vec<JournalEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            let at = Timestamp::from_second(1_800_000_000 + i as i64).expect("valid instant");
            let e = JournalEntry::next(
                Uuid::now_v7(),
                record,
                RecordKind::Incident,
                prev,
                at,
                None,
                Channel::Api,
                if i == 0 { JournalAction::Created } else { JournalAction::Updated },
                &[Change::new("title", format!("t{i}"), format!("t{}", i + 1))],
            );
            out.push(e);
        }
        out
    }

    fn head(c: &[JournalEntry]) -> Option<(i64, &str)> {
        c.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert!(verify_chain(&c, head(&c)).is_empty());
    }

    #[test]
    fn removing_the_newest_entry_is_caught_by_the_head() {
        let c = chain(4);
        let h = (c[3].seq, c[3].hash.clone());
        assert_eq!(
            verify_chain(&c[..3], Some((h.0, &h.1))),
            vec![ChainProblem::HeadMismatch { head_seq: 4, chain_seq: 3 }]
        );
    }

    proptest! {
        /// Altering any field of any entry is detected.
        #[test]
        fn any_edit_is_detected(n in 1usize..8, pick in 0usize..8, field in 0u8..5) {
            let mut c = chain(n);
            let h = head(&c).map(|(s, h)| (s, h.to_owned()));
            let i = pick % n;
            match field {
                0 => c[i].changes = c[i].changes.replace("\"t", "\"x"),
                1 => c[i].at += jiff::SignedDuration::from_secs(1),
                2 => c[i].actor_id = Some(Uuid::now_v7()),
                3 => c[i].action = "transitioned".into(),
                _ => c[i].channel = "ui".into(),
            }
            let problems = verify_chain(&c, h.as_ref().map(|(s, h)| (*s, h.as_str())));
            prop_assert!(problems.contains(&ChainProblem::Edited { seq: i as i64 + 1 }), "{:?}", problems);
        }

        /// Removing or swapping entries in the middle is detected.
        #[test]
        fn removal_and_reordering_are_detected(n in 2usize..8, pick in 0usize..8, swap in any::<bool>()) {
            let mut c = chain(n);
            let h = head(&c).map(|(s, h)| (s, h.to_owned()));
            let i = pick % (n - 1);
            if swap { c.swap(i, i + 1); } else { c.remove(i); }
            let problems = verify_chain(&c, h.as_ref().map(|(s, h)| (*s, h.as_str())));
            prop_assert!(!problems.is_empty());
        }
    }
}

/// The digest of a checkpoint: a hash over every chain's position at the checkpoint
/// (`record_id`, sequence, entry hash, in `record_id` order), linked to the previous checkpoint's
/// digest. Removing or altering anything journalled before the checkpoint changes it.
#[derive(Debug, Clone)]
pub struct CheckpointDigest {
    hasher: Sha256,
    records: u64,
}

impl CheckpointDigest {
    pub fn new(prev_digest: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"trellis-checkpoint\n");
        hasher.update(prev_digest.as_bytes());
        hasher.update(b"\n");
        CheckpointDigest { hasher, records: 0 }
    }

    /// Adds one chain; chains must come in ascending `record_id` order.
    pub fn add(&mut self, record_id: Uuid, seq: i64, hash: &str) {
        self.hasher.update(format!("{record_id} {seq} {hash}\n").as_bytes());
        self.records += 1;
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn finish(self) -> String {
        hex::encode(self.hasher.finalize())
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;

    #[test]
    fn the_digest_depends_on_every_chain_and_on_the_previous_checkpoint() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let digest = |prev: &str, items: &[(Uuid, i64, &str)]| {
            let mut d = CheckpointDigest::new(prev);
            for (id, seq, h) in items {
                d.add(*id, *seq, h);
            }
            d.finish()
        };
        let base = digest(GENESIS, &[(a, 3, "h1"), (b, 1, "h2")]);
        assert_eq!(base, digest(GENESIS, &[(a, 3, "h1"), (b, 1, "h2")]));
        assert_ne!(base, digest(GENESIS, &[(a, 3, "h1")]), "a chain removed");
        assert_ne!(base, digest(GENESIS, &[(a, 2, "h1"), (b, 1, "h2")]), "a chain shortened");
        assert_ne!(base, digest(GENESIS, &[(a, 3, "hx"), (b, 1, "h2")]), "an entry altered");
        assert_ne!(base, digest("other", &[(a, 3, "h1"), (b, 1, "h2")]), "the previous checkpoint altered");
    }
}
