//! Journal storage: entries and chain heads. Entries are only ever inserted; nothing in Trellis
//! updates or deletes them.

use crate::{Backend, Conn, Sql, StoreError, Val, from_micros, micros};
use trellis_domain::journal::JournalEntry;
use trellis_domain::record::RecordKind;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    record_id: Uuid,
    record_kind: String,
    seq: i64,
    at: i64,
    actor_id: Option<Uuid>,
    channel: String,
    action: String,
    changes: String,
    prev_hash: String,
    hash: String,
}

const ENTRY_COLS: &str = "e.id, e.record_id, e.record_kind, e.seq, e.at, e.actor_id, e.channel, e.action, \
                          e.changes, e.prev_hash, e.hash";

impl EntryRow {
    fn into_entry(self) -> Result<JournalEntry, StoreError> {
        let kind = RecordKind::parse(&self.record_kind)
            .ok_or_else(|| StoreError::Corrupt(format!("record kind {:?}", self.record_kind)))?;
        Ok(JournalEntry {
            id: self.id,
            record_id: self.record_id,
            record_kind: kind,
            seq: self.seq,
            at: from_micros(self.at)?,
            actor_id: self.actor_id,
            channel: self.channel,
            action: self.action,
            changes: self.changes,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// The chain head of a record. Inside a PostgreSQL transaction the head row is locked, so two
/// writers to one record append one after the other (SQLite writers are serialised anyway).
pub async fn head(c: &mut Conn<'_>, record_id: Uuid) -> Result<Option<(i64, String)>, StoreError> {
    let sql = match c.backend() {
        Backend::Postgres => "SELECT seq, hash FROM journal_heads WHERE record_id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT seq, hash FROM journal_heads WHERE record_id = $1",
    };
    c.opt(Sql::new(sql).bind(record_id)).await
}

/// The statements that append an entry and move the chain head to it, for the caller to run
/// (usually batched with the change they record, see [`Conn::execute_batch`]).
pub fn append(e: &JournalEntry) -> [Sql; 2] {
    [
        Sql::new(
            "INSERT INTO journal_entries (id, record_id, record_kind, seq, at, actor_id, channel, action, \
             changes, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.id)
        .bind(e.record_id)
        .bind(e.record_kind.as_str())
        .bind(e.seq)
        .bind(micros(e.at))
        .bind(e.actor_id)
        .bind(&e.channel)
        .bind(&e.action)
        .bind(&e.changes)
        .bind(&e.prev_hash)
        .bind(&e.hash),
        Sql::new(
            "INSERT INTO journal_heads (record_id, record_kind, seq, hash) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (record_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        )
        .bind(e.record_id)
        .bind(e.record_kind.as_str())
        .bind(e.seq)
        .bind(&e.hash),
    ]
}

/// A journal entry with the actor's display name, for timelines.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub entry: JournalEntry,
    pub actor_name: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct EntryViewRow {
    #[sqlx(flatten)]
    row: EntryRow,
    actor_name: Option<String>,
}

pub async fn entries(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<EntryView>, StoreError> {
    let rows: Vec<EntryViewRow> = c
        .all(Sql::dynamic(
            format!(
                "SELECT {ENTRY_COLS}, u.display_name AS actor_name FROM journal_entries e \
                 LEFT JOIN users u ON u.id = e.actor_id WHERE e.record_id = $1 ORDER BY e.seq"
            ),
            vec![record_id.into()],
        ))
        .await?;
    rows.into_iter().map(|r| Ok(EntryView { entry: r.row.into_entry()?, actor_name: r.actor_name })).collect()
}

/// The entries of several records, ordered by record then sequence (for verification).
pub async fn entries_of(c: &mut Conn<'_>, record_ids: &[Uuid]) -> Result<Vec<JournalEntry>, StoreError> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ps = crate::placeholders(1, record_ids.len());
    let rows: Vec<EntryRow> = c
        .all(Sql::dynamic(
            format!(
                "SELECT {ENTRY_COLS} FROM journal_entries e WHERE e.record_id IN ({}) \
                 ORDER BY e.record_id, e.seq",
                ps
            ),
            record_ids.iter().map(|&i| Val::Uuid(i)).collect(),
        ))
        .await?;
    rows.into_iter().map(EntryRow::into_entry).collect()
}

/// The chain heads of several records.
pub async fn heads_of(c: &mut Conn<'_>, record_ids: &[Uuid]) -> Result<Vec<(Uuid, i64, String)>, StoreError> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ps = crate::placeholders(1, record_ids.len());
    c.all(Sql::dynamic(
        format!("SELECT record_id, seq, hash FROM journal_heads WHERE record_id IN ({})", ps),
        record_ids.iter().map(|&i| Val::Uuid(i)).collect(),
    ))
    .await
}

/// Journalled records of `kind` whose record row no longer exists in `table`.
pub async fn orphaned(
    c: &mut Conn<'_>,
    kind: RecordKind,
    table: &'static str,
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = c
        .all(Sql::dynamic(
            format!(
                "SELECT DISTINCT e.record_id FROM journal_entries e WHERE e.record_kind = $1 \
                 AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.id = e.record_id) \
                 UNION SELECT h.record_id FROM journal_heads h WHERE h.record_kind = $1 \
                 AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.id = h.record_id)"
            ),
            vec![kind.as_str().into()],
        ))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckpointRow {
    pub id: Uuid,
    pub seq: i64,
    pub at: i64,
    pub records: i64,
    pub digest: String,
    pub prev_digest: String,
}

pub async fn checkpoints(c: &mut Conn<'_>) -> Result<Vec<CheckpointRow>, StoreError> {
    c.all(Sql::new("SELECT id, seq, at, records, digest, prev_digest FROM journal_checkpoints ORDER BY seq"))
        .await
}

pub async fn insert_checkpoint(c: &mut Conn<'_>, r: &CheckpointRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO journal_checkpoints (id, seq, at, records, digest, prev_digest) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id)
        .bind(r.seq)
        .bind(r.at)
        .bind(r.records)
        .bind(&r.digest)
        .bind(&r.prev_digest),
    )
    .await?;
    Ok(())
}

/// Records every chain's current position as its checkpoint position.
pub async fn mark_checkpoint(c: &mut Conn<'_>) -> Result<(), StoreError> {
    c.execute(Sql::new("UPDATE journal_heads SET checkpoint_seq = seq")).await?;
    Ok(())
}

/// Checkpointed chains in `record_id` order after `after`: the position recorded at the last
/// checkpoint and the hash of the entry that stands there now (`None` if it is gone). Entries are
/// immutable, so this reads the same during and after a checkpoint, whatever is appended since.
pub async fn checkpointed_page(
    c: &mut Conn<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, i64, Option<String>)>, StoreError> {
    let base = "SELECT h.record_id, h.checkpoint_seq, e.hash FROM journal_heads h \
                LEFT JOIN journal_entries e ON e.record_id = h.record_id AND e.seq = h.checkpoint_seq \
                WHERE h.checkpoint_seq > 0";
    match after {
        Some(a) => {
            c.all(Sql::dynamic(
                format!("{base} AND h.record_id > $1 ORDER BY h.record_id LIMIT $2"),
                vec![a.into(), limit.into()],
            ))
            .await
        }
        None => {
            c.all(Sql::dynamic(format!("{base} ORDER BY h.record_id LIMIT $1"), vec![limit.into()])).await
        }
    }
}

/// The kind of the record with this id, from its chain head (every record has one).
pub async fn kind_of(c: &mut Conn<'_>, record_id: Uuid) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> =
        c.opt(Sql::new("SELECT record_kind FROM journal_heads WHERE record_id = $1").bind(record_id)).await?;
    Ok(row.map(|r| r.0))
}
