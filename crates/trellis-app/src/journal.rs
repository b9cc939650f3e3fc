//! Writing the journal (inside the caller's transaction) and verifying every chain.

use crate::{Actor, App, AppError};
use jiff::Timestamp;
use trellis_domain::journal::{ChainProblem, Change, GENESIS, JournalAction, JournalEntry, verify_chain};
use trellis_domain::record::RecordKind;
use trellis_store::{Conn, journal as store};
use uuid::Uuid;

/// Appends one entry to a record's chain, in the caller's transaction.
pub async fn record(
    c: &mut Conn<'_>,
    kind: RecordKind,
    record_id: Uuid,
    actor: &Actor,
    at: Timestamp,
    action: JournalAction,
    changes: &[Change],
) -> Result<(), AppError> {
    record_with(c, Vec::new(), kind, record_id, actor, at, action, changes).await
}

/// Runs `change` (the statements that change the record) and appends the journal entry that
/// describes it, together: on SQLite in a single round trip.
#[expect(clippy::too_many_arguments, reason = "a journal entry is exactly these facts")]
pub async fn record_with(
    c: &mut Conn<'_>,
    mut change: Vec<trellis_store::Sql>,
    kind: RecordKind,
    record_id: Uuid,
    actor: &Actor,
    at: Timestamp,
    action: JournalAction,
    changes: &[Change],
) -> Result<(), AppError> {
    let head = if action == JournalAction::Created { None } else { store::head(c, record_id).await? };
    let entry = JournalEntry::next(
        Uuid::now_v7(),
        record_id,
        kind,
        head.as_ref().map(|(s, h)| (*s, h.as_str())),
        at,
        actor.journal_id(),
        actor.channel,
        action,
        changes,
    );
    change.extend(store::append(&entry));
    c.execute_batch(change).await?;
    Ok(())
}

/// A damaged chain: which record, and what is wrong with it.
#[derive(Debug, Clone)]
pub struct Damage {
    pub kind: RecordKind,
    pub record_id: Uuid,
    /// The human reference, when the record row still exists.
    pub reference: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub records: u64,
    pub entries: u64,
    pub damaged: Vec<Damage>,
    /// The latest checkpoint and whether the journal still matches it (none taken yet: `None`).
    pub checkpoint: Option<CheckpointCheck>,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.damaged.is_empty() && self.checkpoint.as_ref().is_none_or(|c| c.problems.is_empty())
    }
}

#[derive(Debug, Clone)]
pub struct CheckpointCheck {
    pub seq: i64,
    pub at: Timestamp,
    pub records: i64,
    pub digest: String,
    pub problems: Vec<String>,
}

/// A checkpoint just taken.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub seq: i64,
    pub at: Timestamp,
    pub records: u64,
    pub digest: String,
}

const CHECKPOINT_PAGE: i64 = 1000;

/// Digest of every checkpointed chain position, as the entries stand now.
async fn checkpoint_digest(
    c: &mut Conn<'_>,
    prev_digest: &str,
) -> Result<(String, u64, Vec<Uuid>), AppError> {
    let mut digest = trellis_domain::journal::CheckpointDigest::new(prev_digest);
    let mut missing = Vec::new();
    let mut after = None;
    loop {
        let page = store::checkpointed_page(c, after, CHECKPOINT_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        for (id, seq, hash) in &page {
            match hash {
                Some(h) => digest.add(*id, *seq, h),
                None => {
                    missing.push(*id);
                    digest.add(*id, *seq, "");
                }
            }
        }
    }
    let records = digest.records();
    Ok((digest.finish(), records, missing))
}

/// Takes a checkpoint: fixes every chain's current position and stores a digest over all of
/// them, linked to the previous checkpoint. Publish the digest outside Trellis (a ticket, an
/// e-mail, a notary) to make rewriting the whole database detectable too.
pub async fn checkpoint(app: &App) -> Result<Checkpoint, AppError> {
    let at = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let previous = store::checkpoints(&mut c).await?.pop();
    let prev_digest = previous.as_ref().map_or(GENESIS.to_owned(), |p| p.digest.clone());
    store::mark_checkpoint(&mut c).await?;
    let (digest, records, _) = checkpoint_digest(&mut c, &prev_digest).await?;
    let seq = previous.map_or(1, |p| p.seq + 1);
    let row = store::CheckpointRow {
        id: Uuid::now_v7(),
        seq,
        at: trellis_store::micros(at),
        records: records as i64,
        digest: digest.clone(),
        prev_digest,
    };
    store::insert_checkpoint(&mut c, &row).await?;
    tx.commit().await?;
    Ok(Checkpoint { seq, at, records, digest })
}

/// Checks the checkpoints: linked one to the next, and the latest still matching the journal.
async fn verify_checkpoints(app: &App) -> Result<Option<CheckpointCheck>, AppError> {
    let mut c = app.db.read();
    let all = store::checkpoints(&mut c).await?;
    let Some(latest) = all.last() else { return Ok(None) };
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_owned();
    for (i, cp) in all.iter().enumerate() {
        if cp.seq != i as i64 + 1 {
            problems.push(format!("checkpoint {} is missing", i + 1));
            break;
        }
        if cp.prev_digest != expected_prev {
            problems.push(format!("checkpoint {} does not link to checkpoint {}", cp.seq, i));
        }
        expected_prev.clone_from(&cp.digest);
    }
    let (digest, records, missing) = checkpoint_digest(&mut c, &latest.prev_digest).await?;
    if digest != latest.digest {
        problems.push(format!(
            "the journal no longer matches checkpoint {}: {} records were journalled then, {} of them remain \
             as they were",
            latest.seq,
            latest.records,
            records as i64 - missing.len() as i64
        ));
    }
    Ok(Some(CheckpointCheck {
        seq: latest.seq,
        at: trellis_store::from_micros(latest.at)?,
        records: latest.records,
        digest: latest.digest.clone(),
        problems,
    }))
}

/// Verifies every record's chain, a page of records at a time so memory stays flat.
pub async fn verify(app: &App) -> Result<VerifyReport, AppError> {
    const PAGE: i64 = 500;
    let mut report = VerifyReport::default();
    let mut c = app.db.read();
    for kind in RecordKind::ALL {
        let mut after = None;
        loop {
            let ids = trellis_store::record::ids_after(&mut c, kind, after, PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(last.0);
            let just_ids: Vec<Uuid> = ids.iter().map(|(id, _)| *id).collect();
            let entries = store::entries_of(&mut c, &just_ids).await?;
            let heads = store::heads_of(&mut c, &just_ids).await?;
            report.records += ids.len() as u64;
            report.entries += entries.len() as u64;
            for (id, reference) in &ids {
                let chain: Vec<JournalEntry> =
                    entries.iter().filter(|e| e.record_id == *id).cloned().collect();
                let head = heads.iter().find(|h| h.0 == *id).map(|h| (h.1, h.2.as_str()));
                let problems = verify_chain(&chain, head);
                if !problems.is_empty() {
                    report.damaged.push(Damage {
                        kind,
                        record_id: *id,
                        reference: Some(reference.clone()),
                        problems: problems.iter().map(ChainProblem::to_string).collect(),
                    });
                }
            }
        }
        let table = trellis_store::record::table_of(kind);
        for id in store::orphaned(&mut c, kind, table).await? {
            report.damaged.push(Damage {
                kind,
                record_id: id,
                reference: None,
                problems: vec!["the record was deleted but its journal remains".into()],
            });
        }
    }
    report.checkpoint = verify_checkpoints(app).await?;
    Ok(report)
}
