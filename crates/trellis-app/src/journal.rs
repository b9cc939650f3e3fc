//! Writing the journal (inside the caller's transaction) and verifying every chain.

use crate::{Actor, App, AppError};
use jiff::Timestamp;
use trellis_domain::journal::{ChainProblem, Change, JournalAction, JournalEntry, verify_chain};
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
}

/// Verifies every record's chain, a page of records at a time so memory stays flat.
pub async fn verify(app: &App) -> Result<VerifyReport, AppError> {
    const PAGE: i64 = 500;
    let mut report = VerifyReport::default();
    let mut c = app.db.read();
    for kind in RecordKind::ALL {
        let mut after = None;
        loop {
            let ids = match kind {
                RecordKind::Incident => trellis_store::incident::ids_after(&mut c, after, PAGE).await?,
            };
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
        let table = match kind {
            RecordKind::Incident => "incidents",
        };
        for id in store::orphaned(&mut c, kind, table).await? {
            report.damaged.push(Damage {
                kind,
                record_id: id,
                reference: None,
                problems: vec!["the record was deleted but its journal remains".into()],
            });
        }
    }
    Ok(report)
}
