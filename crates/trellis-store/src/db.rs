//! One database API over SQLite and PostgreSQL.
//!
//! Queries are written once, with `$1`-style parameters that both backends accept, and run
//! through [`Conn`], which dispatches to the right sqlx driver. Backend-specific SQL is the
//! exception, chosen with [`Conn::backend`].
//!
//! SQLite allows one writer at a time. Rather than let concurrent write transactions collide and
//! spin on `SQLITE_BUSY`, all writes in this process go through one writer connection with group
//! commit ([`crate::sqlite_writer`]); reads use a separate pool and, thanks to WAL, never wait for
//! the writer. The busy timeout still covers other processes (a CLI command next to a running
//! server).

use crate::StoreError;
use crate::sqlite_writer::{SqliteTx, Writer};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};
use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the supported databases. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite { writer: Arc<Writer>, reader: SqlitePool },
    Postgres(PgPool),
}

/// A write transaction. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// Where a query runs: a pool (reads) or an open transaction.
#[derive(Debug)]
pub enum Conn<'a> {
    SqlitePool(&'a SqlitePool),
    PgPool(&'a PgPool),
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// A value bound to a query parameter.
#[derive(Debug, Clone)]
pub enum Val {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<Uuid> for Val {
    fn from(v: Uuid) -> Self {
        Val::Uuid(v)
    }
}
impl From<Option<Uuid>> for Val {
    fn from(v: Option<Uuid>) -> Self {
        Val::OptUuid(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I64(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::OptI64(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::OptText(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Bool(v)
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Bytes(v)
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Self {
        Val::Bytes(v.to_vec())
    }
}

/// SQL text and its arguments. Text is `'static` for fixed queries; dynamically built text
/// (list filters) must only ever contain fragments from the code, never user input, which
/// always travels as a bound [`Val`].
#[derive(Debug, Clone)]
pub struct Sql {
    text: Cow<'static, str>,
    args: Vec<Val>,
}

impl Sql {
    pub fn new(text: &'static str) -> Self {
        Sql { text: Cow::Borrowed(text), args: Vec::new() }
    }

    /// A statement assembled at run time from code fragments (see the type's documentation).
    pub fn dynamic(text: String, args: Vec<Val>) -> Self {
        Sql { text: Cow::Owned(text), args }
    }

    pub fn bind(mut self, v: impl Into<Val>) -> Self {
        self.args.push(v.into());
        self
    }
}

/// Binds every argument in order, for whichever query type and backend `$q` is.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Val::Uuid(v) => q.bind(v),
                Val::OptUuid(v) => q.bind(v),
                Val::I64(v) => q.bind(v),
                Val::OptI64(v) => q.bind(v),
                Val::Text(v) => q.bind(v),
                Val::OptText(v) => q.bind(v),
                Val::Bool(v) => q.bind(v),
                Val::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Row types that decode from both backends' rows (`#[derive(sqlx::FromRow)]` gives this).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// SQLite refuses a statement with more than 32,766 parameters; a batch stays under it.
const SQLITE_BATCH_PARAMS: usize = 30_000;

/// Parameters a multi-row statement should stay under. SQLite's driver finds each parameter by
/// name in a list as long as the statement's, so binding n parameters costs n²: beyond a few
/// hundred that dominates the statement (measured with `trellis bench recompute`).
pub const PARAMS_PER_STATEMENT: usize = 240;

/// `$first, $first+1, ...`: `n` placeholders for an `IN (...)` list or a `VALUES` row.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Rewrites `$N` placeholders to `$(N + offset)`, so statements can be joined into one text.
/// Our SQL is written in code and never has `$` inside string literals.
fn shift_placeholders(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch == '$' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            match digits.parse::<usize>() {
                Ok(n) => out.push_str(&(n + offset).to_string()),
                Err(_) => out.push_str(&digits),
            }
        }
    }
    out
}

impl Conn<'_> {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::SqlitePool(_) | Conn::Sqlite(_) => Backend::Sqlite,
            Conn::PgPool(_) | Conn::Pg(_) => Backend::Postgres,
        }
    }

    pub async fn all<T: Row>(&mut self, sql: Sql) -> Result<Vec<T>, StoreError> {
        let Sql { text, args } = sql;
        let text = AssertSqlSafe(text);
        let r = match self {
            Conn::SqlitePool(p) => bind_all!(sqlx::query_as::<Sqlite, T>(text), args).fetch_all(*p).await,
            Conn::Sqlite(c) => bind_all!(sqlx::query_as::<Sqlite, T>(text), args).fetch_all(&mut **c).await,
            Conn::PgPool(p) => bind_all!(sqlx::query_as::<Postgres, T>(text), args).fetch_all(*p).await,
            Conn::Pg(c) => bind_all!(sqlx::query_as::<Postgres, T>(text), args).fetch_all(&mut **c).await,
        };
        r.map_err(StoreError::from)
    }

    pub async fn opt<T: Row>(&mut self, sql: Sql) -> Result<Option<T>, StoreError> {
        let Sql { text, args } = sql;
        let text = AssertSqlSafe(text);
        let r = match self {
            Conn::SqlitePool(p) => {
                bind_all!(sqlx::query_as::<Sqlite, T>(text), args).fetch_optional(*p).await
            }
            Conn::Sqlite(c) => {
                bind_all!(sqlx::query_as::<Sqlite, T>(text), args).fetch_optional(&mut **c).await
            }
            Conn::PgPool(p) => bind_all!(sqlx::query_as::<Postgres, T>(text), args).fetch_optional(*p).await,
            Conn::Pg(c) => {
                bind_all!(sqlx::query_as::<Postgres, T>(text), args).fetch_optional(&mut **c).await
            }
        };
        r.map_err(StoreError::from)
    }

    pub async fn one<T: Row>(&mut self, sql: Sql) -> Result<T, StoreError> {
        self.opt(sql).await?.ok_or(StoreError::NotFound)
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(&mut self, sql: Sql) -> Result<u64, StoreError> {
        let Sql { text, args } = sql;
        let text = AssertSqlSafe(text);
        Ok(match self {
            Conn::SqlitePool(p) => {
                bind_all!(sqlx::query::<Sqlite>(text), args).execute(*p).await?.rows_affected()
            }
            Conn::Sqlite(c) => {
                bind_all!(sqlx::query::<Sqlite>(text), args).execute(&mut **c).await?.rows_affected()
            }
            Conn::PgPool(p) => {
                bind_all!(sqlx::query::<Postgres>(text), args).execute(*p).await?.rows_affected()
            }
            Conn::Pg(c) => {
                bind_all!(sqlx::query::<Postgres>(text), args).execute(&mut **c).await?.rows_affected()
            }
        })
    }
}

impl Conn<'_> {
    /// Runs statements that need no results, in order. On SQLite they travel to the database in
    /// one round trip (each statement is otherwise a hand-off to the connection's thread, which
    /// is what bounds a write transaction's length); PostgreSQL runs them one by one, as its
    /// extended protocol takes one statement per query.
    pub async fn execute_batch(&mut self, statements: Vec<Sql>) -> Result<(), StoreError> {
        match self.backend() {
            Backend::Postgres => {
                for s in statements {
                    self.execute(s).await?;
                }
            }
            Backend::Sqlite => {
                let mut text = String::new();
                let mut args: Vec<Val> = Vec::new();
                for s in statements {
                    // One text shares SQLite's limit on parameters: send what is gathered first.
                    if !args.is_empty() && args.len() + s.args.len() > SQLITE_BATCH_PARAMS {
                        self.execute(Sql::dynamic(std::mem::take(&mut text), std::mem::take(&mut args)))
                            .await?;
                    }
                    text.push_str(&shift_placeholders(&s.text, args.len()));
                    text.push_str(";\n");
                    args.extend(s.args);
                }
                if !text.is_empty() {
                    self.execute(Sql::dynamic(text, args)).await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_shift_by_the_offset() {
        assert_eq!(
            shift_placeholders("INSERT INTO t VALUES ($1, $2, $10)", 3),
            "INSERT INTO t VALUES ($4, $5, $13)"
        );
        assert_eq!(shift_placeholders("SELECT 1", 5), "SELECT 1");
    }
}

/// Settings for opening the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections for PostgreSQL, or readers for SQLite.
    pub max_connections: u32,
    pub busy_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { max_connections: 16, busy_timeout: Duration::from_secs(10) }
    }
}

impl Db {
    /// Opens the database named by `url` (`sqlite://PATH` or `postgres://...`), creating an
    /// SQLite file if it is missing. Does not migrate.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Db, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let o = PgConnectOptions::from_str(url).map_err(|e| StoreError::Config(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(o)
                .await?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let base = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(opts.busy_timeout)
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-16000");
            let writer = Writer::open(base.clone()).await?;
            // A local file connection cannot go stale: skip sqlx's ping on every acquire.
            let reader = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base)
                .await?;
            Ok(Db::Sqlite { writer, reader })
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {:?}: expected sqlite://PATH or postgres://...",
                redact_url(url)
            )))
        }
    }

    /// The default SQLite URL for a data directory.
    pub fn sqlite_url_for(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("trellis.db").display())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite { writer, .. } => {
                writer
                    .with_conn(async |c| {
                        sqlx::migrate!("migrations/sqlite").run(c).await?;
                        Ok(())
                    })
                    .await?;
            }
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A connection for reads outside a transaction.
    pub fn read(&self) -> Conn<'_> {
        match self {
            Db::Sqlite { reader, .. } => Conn::SqlitePool(reader),
            Db::Postgres(p) => Conn::PgPool(p),
        }
    }

    /// Starts a write transaction: on SQLite a logical transaction on the group-commit writer
    /// (which holds the write lock from the start, so it cannot fail half-way with "database is
    /// locked"); on PostgreSQL an ordinary transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: (i64,) = self.read().one(Sql::new("SELECT CAST(1 AS BIGINT)")).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { writer, reader } => {
                reader.close().await;
                writer.flush().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t) => Conn::Sqlite(t.conn()),
            Tx::Postgres(t) => Conn::Pg(&mut *t),
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Hides the password in a database URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
