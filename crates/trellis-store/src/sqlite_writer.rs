//! The SQLite writer, with group commit.
//!
//! SQLite has one writer at a time, and every COMMIT rewrites the pages it touched to the WAL.
//! Committing each request on its own makes the write-ahead log, not the work, the limit. So all
//! writes of this process go through one connection, and concurrent write transactions share one
//! real transaction:
//!
//! - each logical transaction runs inside a `SAVEPOINT` on the writer connection;
//! - its `commit` releases the savepoint, then waits for the real `COMMIT` that covers it;
//! - the real `COMMIT` is issued as soon as no other writer is queued (so a lone writer commits
//!   at once), or when a group grows large;
//! - a logical transaction that fails rolls back to its savepoint and leaves the others intact;
//! - if the real `COMMIT` fails, every transaction in the group is told so: no caller is ever
//!   told its change was saved before it is durable in the database.
//!
//! Readers use their own pool and, thanks to WAL, never wait for the writer.

use crate::StoreError;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// Largest number of logical transactions in one real transaction.
const MAX_GROUP: usize = 256;

/// How long a committed transaction waits for the writer that took over before it commits the
/// group itself (covers a waiter that gave up, e.g. a cancelled request).
const HANDOFF_PATIENCE: Duration = Duration::from_millis(20);

type CommitResult = Result<(), String>;

#[derive(Debug)]
pub struct Writer {
    state: Arc<Mutex<WriterState>>,
    /// Tasks waiting for the writer: while there are some, a commit leaves the real COMMIT to them.
    queued: AtomicUsize,
}

#[derive(Debug)]
struct WriterState {
    conn: SqliteConnection,
    /// A real transaction is open.
    open: bool,
    /// Logical commits waiting for the real COMMIT.
    pending: Vec<oneshot::Sender<CommitResult>>,
    /// A logical transaction ended without being undone: the group must not be committed.
    poisoned: bool,
}

/// Decrements the queue count however the wait ends (acquired or cancelled).
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A logical write transaction on the SQLite writer.
#[derive(Debug)]
pub struct SqliteTx {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

impl Writer {
    pub async fn open(options: SqliteConnectOptions) -> Result<Arc<Writer>, StoreError> {
        let conn = SqliteConnection::connect_with(&options).await?;
        let state = WriterState { conn, open: false, pending: Vec::new(), poisoned: false };
        let writer = Arc::new(Writer { state: Arc::new(Mutex::new(state)), queued: AtomicUsize::new(0) });
        tokio::spawn(flush_idle_groups(Arc::downgrade(&writer)));
        Ok(writer)
    }

    async fn lock(&self) -> OwnedMutexGuard<WriterState> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        let _queued = Queued(&self.queued);
        self.state.clone().lock_owned().await
    }

    /// Starts a logical transaction.
    pub async fn begin(self: &Arc<Self>) -> Result<SqliteTx, StoreError> {
        let mut g = self.lock().await;
        if g.poisoned {
            abort_group(&mut g, "a transaction was abandoned mid-way").await;
        }
        if !g.open {
            // IMMEDIATE takes the write lock now, so the transaction cannot fail half-way with
            // "database is locked" (another process, e.g. a CLI command, is covered by the busy
            // timeout).
            exec(&mut g.conn, "BEGIN IMMEDIATE").await?;
            g.open = true;
        }
        if let Err(e) = exec(&mut g.conn, "SAVEPOINT trellis_tx").await {
            abort_group(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        Ok(SqliteTx { guard: Some(g), writer: self.clone() })
    }

    /// Runs `f` with the writer connection outside any transaction (migrations).
    pub async fn with_conn<T>(
        &self,
        f: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut g = self.lock().await;
        finish(&mut g).await;
        f(&mut g.conn).await
    }

    /// Commits anything pending (used at shutdown).
    pub async fn flush(&self) {
        let mut g = self.lock().await;
        finish(&mut g).await;
    }
}

/// Commits a group left open with nobody queued to finish it (its last writer handed over to a
/// task that was cancelled before it got the writer), so the write lock is never held idle.
async fn flush_idle_groups(writer: std::sync::Weak<Writer>) {
    loop {
        tokio::time::sleep(HANDOFF_PATIENCE * 5).await;
        let Some(w) = writer.upgrade() else { return };
        if w.queued.load(Ordering::Acquire) == 0
            && let Ok(mut g) = w.state.clone().try_lock_owned()
            && g.open
        {
            finish(&mut g).await;
        }
    }
}

/// Ends the group: the real COMMIT, and every waiting logical transaction learns the outcome.
async fn finish(g: &mut WriterState) {
    if g.poisoned {
        abort_group(g, "a transaction was abandoned mid-way").await;
    }
    if !g.open {
        return;
    }
    let result = exec(&mut g.conn, "COMMIT").await.map_err(|e| e.to_string());
    if result.is_err() {
        // The transaction may still be open after a failed COMMIT; make sure it is gone.
        let _ = exec(&mut g.conn, "ROLLBACK").await;
        tracing::error!(error = ?result, group = g.pending.len(), "group commit failed");
    }
    g.open = false;
    for p in g.pending.drain(..) {
        let _ = p.send(result.clone());
    }
}

/// The real transaction is lost (SQLite rolled it back, or a statement left it unusable):
/// roll back whatever remains and fail every logical transaction in the group.
async fn abort_group(g: &mut WriterState, reason: &str) {
    let _ = exec(&mut g.conn, "ROLLBACK").await;
    g.open = false;
    g.poisoned = false;
    for p in g.pending.drain(..) {
        let _ = p.send(Err(format!("the transaction group was rolled back: {reason}")));
    }
}

/// After a logical transaction: commit the group now if nobody else is queued or the group is
/// large; otherwise leave it to the next writer.
async fn end_turn(writer: &Writer, mut g: OwnedMutexGuard<WriterState>) {
    if writer.queued.load(Ordering::Acquire) == 0 || g.pending.len() >= MAX_GROUP {
        finish(&mut g).await;
    }
}

impl SqliteTx {
    pub fn conn(&mut self) -> &mut SqliteConnection {
        // The guard is only taken by commit/drop, which consume the transaction.
        &mut self.guard.as_mut().expect("transaction in progress").conn
    }

    /// Commits this logical transaction; returns once the real COMMIT covering it succeeded.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut g) = self.guard.take() else {
            return Err(StoreError::Config("transaction already ended".into()));
        };
        if let Err(e) = exec(&mut g.conn, "RELEASE trellis_tx").await {
            abort_group(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        let (tx, mut rx) = oneshot::channel();
        g.pending.push(tx);
        end_turn(&self.writer, g).await;
        loop {
            match tokio::time::timeout(HANDOFF_PATIENCE, &mut rx).await {
                Ok(Ok(Ok(()))) => return Ok(()),
                Ok(Ok(Err(e))) => return Err(StoreError::Commit(e)),
                Ok(Err(_)) => return Err(StoreError::Commit("the writer dropped the transaction".into())),
                Err(_) => {
                    // The writer that took over has not finished the group yet: queue up and
                    // commit it ourselves if it is still pending.
                    let mut g = self.writer.lock().await;
                    finish(&mut g).await;
                }
            }
        }
    }
}

impl Drop for SqliteTx {
    /// Dropped without commit: undo this logical transaction only, off the caller's task.
    fn drop(&mut self) {
        let Some(mut g) = self.guard.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // Cannot undo without a runtime: make sure the group is rolled back, not committed.
            tracing::error!("write transaction dropped outside a runtime; its group will be rolled back");
            g.poisoned = true;
            return;
        };
        let writer = self.writer.clone();
        let undo = async move {
            let undone = async {
                exec(&mut g.conn, "ROLLBACK TO trellis_tx").await?;
                exec(&mut g.conn, "RELEASE trellis_tx").await
            }
            .await;
            if let Err(e) = undone {
                abort_group(&mut g, &e.to_string()).await;
            }
            end_turn(&writer, g).await;
        };
        runtime.spawn(undo);
    }
}
