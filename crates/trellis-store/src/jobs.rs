//! The jobs table: background work shared by every server process.
//!
//! A job is claimed by taking a lease (an owner and an expiry) in one conditional update, so of
//! several processes polling one database exactly one gets it; a process that dies mid-job leaves
//! a lease that expires, and the job is taken again. Handlers must therefore be idempotent: what a
//! job does and marking it done commit together, and its effects carry their own unique keys.

use crate::{Conn, Sql, StoreError, Val};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: String,
    pub run_at: i64,
    pub attempts: i64,
    pub generation: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub done_at: Option<i64>,
    pub created_at: i64,
}

const JOB_COLS: &str = "id, kind, dedupe_key, payload, run_at, attempts, generation, lease_owner, lease_until, \
     last_error, done_at, created_at";

/// What scheduling a job whose key exists does: move it and re-arm it.
const REARM: &str = "ON CONFLICT (dedupe_key) DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload, \
     done_at = NULL, attempts = 0, last_error = NULL, generation = jobs.generation + 1";

/// Schedules a job to run at `run_at`, or moves the job with the same key there and re-arms it
/// (the handler decides whether there is anything left to do). Re-arming bumps the generation,
/// so a worker running the job meanwhile does not mark it done.
pub fn schedule(kind: &str, dedupe_key: &str, payload: &str, run_at: i64, now: i64) -> Sql {
    Sql::dynamic(
        format!(
            "INSERT INTO jobs (id, kind, dedupe_key, payload, run_at, created_at, attempts, generation) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0) {REARM}"
        ),
        Vec::new(),
    )
    .bind(Uuid::now_v7())
    .bind(kind.to_owned())
    .bind(dedupe_key.to_owned())
    .bind(payload.to_owned())
    .bind(run_at)
    .bind(now)
}

/// Jobs per multi-row [`schedule_many`] statement (6 parameters each).
const JOBS_PER_STATEMENT: usize = crate::db::PARAMS_PER_STATEMENT / 6;

/// [`schedule`] for many jobs of one kind, a statement per few dozen: each `(dedupe_key, payload,
/// run_at)` is inserted or moved and re-armed. Keys must be distinct.
pub fn schedule_many(kind: &str, jobs: &[(String, String, i64)], now: i64) -> Vec<Sql> {
    jobs.chunks(JOBS_PER_STATEMENT)
        .map(|chunk| {
            let mut args: Vec<Val> = Vec::with_capacity(chunk.len() * 6);
            let mut rows = Vec::with_capacity(chunk.len());
            for (key, payload, run_at) in chunk {
                rows.push(format!("({}, 0, 0)", crate::placeholders(args.len() + 1, 6)));
                args.extend([
                    Uuid::now_v7().into(),
                    kind.into(),
                    key.into(),
                    payload.into(),
                    (*run_at).into(),
                    now.into(),
                ]);
            }
            Sql::dynamic(
                format!(
                    "INSERT INTO jobs (id, kind, dedupe_key, payload, run_at, created_at, attempts, generation) \
                     VALUES {} {REARM}",
                    rows.join(", ")
                ),
                args,
            )
        })
        .collect()
}

/// Keeps the claimed `job` for another lease while it works through a long task, recording how
/// far it got in its payload. Progress clears the attempt count, so a long task taken up again
/// many times is not backed off as if it had failed as often. False when it is no longer this
/// owner's claim (lease lost, or re-armed meanwhile: see [`release`]); nothing is written then.
pub async fn checkpoint(
    c: &mut Conn<'_>,
    job: &JobRow,
    owner: &str,
    payload: &str,
    lease_until: i64,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE jobs SET payload = $1, lease_until = $2, attempts = 0 \
                 WHERE id = $3 AND lease_owner = $4 AND generation = $5",
            )
            .bind(payload.to_owned())
            .bind(lease_until)
            .bind(job.id)
            .bind(owner.to_owned())
            .bind(job.generation),
        )
        .await?;
    Ok(n == 1)
}

/// Takes the lease of the job due earliest, if any: `owner` holds it until `lease_until`.
/// The condition is checked again in the update itself, so two processes racing for one job
/// cannot both win it; the loser tries the next candidate.
pub async fn claim(
    c: &mut Conn<'_>,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<JobRow>, StoreError> {
    for _ in 0..8 {
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
        if taken == 1 {
            return c
                .opt(Sql::dynamic(format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"), vec![id.into()]))
                .await;
        }
    }
    Ok(None)
}

/// How a worker left a job it held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Finished or moved on as asked.
    Done,
    /// Re-armed while it ran: left due for another run (lease released, nothing else changed).
    Rearmed,
    /// The lease had passed to another process: the caller must roll back.
    LeaseLost,
}

/// Finishes (`next_run` = None) or postpones the claimed `job` if it is still this owner's and
/// still the generation claimed.
pub async fn release(
    c: &mut Conn<'_>,
    job: &JobRow,
    owner: &str,
    next_run: Option<i64>,
    now: i64,
) -> Result<Release, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE jobs SET done_at = $1, run_at = COALESCE($2, run_at), lease_owner = NULL, lease_until = NULL \
                 WHERE id = $3 AND lease_owner = $4 AND generation = $5",
            )
            .bind(if next_run.is_some() { None } else { Some(now) })
            .bind(next_run)
            .bind(job.id)
            .bind(owner.to_owned())
            .bind(job.generation),
        )
        .await?;
    if n == 1 {
        return Ok(Release::Done);
    }
    let n = c
        .execute(
            Sql::new(
                "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
            )
            .bind(job.id)
            .bind(owner.to_owned()),
        )
        .await?;
    Ok(if n == 1 { Release::Rearmed } else { Release::LeaseLost })
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

pub async fn get_by_key(c: &mut Conn<'_>, dedupe_key: &str) -> Result<Option<JobRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {JOB_COLS} FROM jobs WHERE dedupe_key = $1"), vec![dedupe_key.into()]))
        .await
}
