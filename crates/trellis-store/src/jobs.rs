//! The jobs table: background work shared by every server process.
//!
//! A job is claimed by taking a lease (an owner and an expiry) in one conditional update, so of
//! several processes polling one database exactly one gets it; a process that dies mid-job leaves
//! a lease that expires, and the job is taken again. Handlers must therefore be idempotent: what a
//! job does and marking it done commit together, and its effects carry their own unique keys.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: String,
    pub run_at: i64,
    pub attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub done_at: Option<i64>,
    pub created_at: i64,
}

const JOB_COLS: &str = "id, kind, dedupe_key, payload, run_at, attempts, lease_owner, lease_until, last_error, done_at, created_at";

/// Schedules a job to run at `run_at`, or moves the pending job with the same key there (and
/// re-arms it if it had finished: the handler decides whether there is anything left to do).
pub fn schedule(kind: &str, dedupe_key: &str, payload: &str, run_at: i64, now: i64) -> Sql {
    Sql::new(
        "INSERT INTO jobs (id, kind, dedupe_key, payload, run_at, attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) \
         ON CONFLICT (dedupe_key) DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload, \
         done_at = NULL, attempts = 0, last_error = NULL",
    )
    .bind(Uuid::now_v7())
    .bind(kind.to_owned())
    .bind(dedupe_key.to_owned())
    .bind(payload.to_owned())
    .bind(run_at)
    .bind(now)
}

/// Takes the lease of the job due earliest, if any: `owner` holds it until `lease_until`.
/// The condition is checked again in the update itself, so two processes racing for one job
/// cannot both win it.
pub async fn claim(
    c: &mut Conn<'_>,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<JobRow>, StoreError> {
    let candidate: Option<(Uuid,)> = c
        .opt(
            Sql::new(
                "SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $1 \
                 AND (lease_until IS NULL OR lease_until < $1) ORDER BY run_at, id LIMIT 1",
            )
            .bind(now),
        )
        .await?;
    let Some((id,)) = candidate else { return Ok(None) };
    let taken = c
        .execute(
            Sql::new(
                "UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
                 WHERE id = $3 AND done_at IS NULL AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(owner.to_owned())
            .bind(lease_until)
            .bind(id)
            .bind(now),
        )
        .await?;
    if taken != 1 {
        // Another process took it first; the caller simply polls again.
        return Ok(None);
    }
    c.opt(Sql::dynamic(format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"), vec![id.into()])).await
}

/// Marks a job done if `owner` still holds its lease. False when the lease was lost (the job ran
/// too long and another process took it over): the caller must then roll back its effects.
pub async fn finish(c: &mut Conn<'_>, id: Uuid, owner: &str, now: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE jobs SET done_at = $1, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $2 AND lease_owner = $3",
            )
            .bind(now)
            .bind(id)
            .bind(owner.to_owned()),
        )
        .await?;
    Ok(n == 1)
}

/// Puts a job back for another try at `retry_at`, noting why it failed.
pub async fn fail(
    c: &mut Conn<'_>,
    id: Uuid,
    owner: &str,
    error: &str,
    retry_at: i64,
) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "UPDATE jobs SET last_error = $1, run_at = $2, lease_owner = NULL, lease_until = NULL \
             WHERE id = $3 AND lease_owner = $4",
        )
        .bind(error.to_owned())
        .bind(retry_at)
        .bind(id)
        .bind(owner.to_owned()),
    )
    .await?;
    Ok(())
}

/// Moves a job a handler found not yet due (its clock was paused meanwhile) to its new instant.
pub async fn postpone(c: &mut Conn<'_>, id: Uuid, owner: &str, run_at: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE jobs SET run_at = $1, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $2 AND lease_owner = $3",
            )
            .bind(run_at)
            .bind(id)
            .bind(owner.to_owned()),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_by_key(c: &mut Conn<'_>, dedupe_key: &str) -> Result<Option<JobRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {JOB_COLS} FROM jobs WHERE dedupe_key = $1"), vec![dedupe_key.into()]))
        .await
}
