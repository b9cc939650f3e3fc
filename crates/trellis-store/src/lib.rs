//! Trellis persistence: SQLite and PostgreSQL behind one API.
//!
//! Repositories are plain async functions taking a [`Conn`] (a pool for reads, or an open
//! [`Tx`]); they know SQL and nothing of authorisation, which is the app layer's job.

pub mod agreement;
pub mod article;
pub mod auth;
pub mod baseline;
pub mod calendar;
pub mod ci;
pub mod complaint;
pub mod db;
pub mod identity;
pub mod incident;
pub mod jobs;
pub mod journal;
pub mod major;
pub mod notify;
pub mod offering;
pub mod platform;
pub mod problem;
pub mod record;
pub mod refs;
pub mod report;
pub mod review;
pub mod saved_filter;
pub mod schema;
pub mod search;
pub mod service;
pub mod service_request;
pub mod settings;
pub mod sla;
pub mod sqlite_writer;
pub mod supplier;
pub mod survey;

pub use db::{Backend, Conn, Db, DbOptions, Sql, Tx, Val, placeholders};

use jiff::Timestamp;

/// Store errors. Unique and foreign-key violations are told apart so the app can turn them into
/// "already exists" / "no such thing" answers instead of a 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("unique constraint violated: {0}")]
    Unique(String),
    #[error("foreign key violated: {0}")]
    ForeignKey(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("the transaction could not be committed: {0}")]
    Commit(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Db(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return StoreError::Unique(d.constraint().unwrap_or(d.message()).to_owned());
            }
            if d.is_foreign_key_violation() {
                return StoreError::ForeignKey(d.constraint().unwrap_or(d.message()).to_owned());
            }
        }
        StoreError::Db(e)
    }
}

/// Instants are stored as microseconds since the Unix epoch.
pub fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_micros(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(v).map_err(|e| StoreError::Corrupt(format!("instant {v}: {e}")))
}
