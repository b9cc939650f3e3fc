//! Recomputing every open clock an agreement or a calendar change concerns: one job per change,
//! working through the tickets in id order, a few hundred per transaction.
//!
//! A calendar used by 100,000 open tickets must not make its edit wait for 100,000 job rows, nor
//! have the worker claim and commit them one by one: the request queues one job, and per batch
//! the job loads what tickets share (targets, calendars) once, replays their journals with one
//! query and rewrites their projection in a few multi-row statements. Each batch commits with a
//! checkpoint of how far the job got, under the job's lease, so a process that dies mid-way
//! leaves the job to another that resumes after the last committed ticket; an edit meanwhile
//! re-arms the job, which then starts over with what changed.

use super::{Lookups, WAKE_JOB, project_many, schedule_wake, wake_key};
use crate::jobs::LEASE;
use crate::{App, AppError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use trellis_domain::record::RecordKey;
use trellis_store::jobs::{self, JobRow, Release};
use trellis_store::sla as store;
use trellis_store::{Conn, micros};
use uuid::Uuid;

/// The job that recomputes the open clocks of an agreement's or a calendar's tickets.
pub const RECOMPUTE_JOB: &str = "sla.recompute";

/// Tickets recomputed per transaction: few enough that a request waiting for the database (or,
/// on PostgreSQL, for one of these tickets' rows) waits a fraction of a second.
const BATCH: usize = 500;

/// How long one run works before it lets other due jobs (mail, wake-ups) have a turn; it goes on
/// from its checkpoint at the next claim.
const SLICE: Duration = Duration::from_secs(5);

/// What changed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Source {
    Calendar(Uuid),
    Agreement(Uuid),
}

/// The job's payload: what changed, and the last ticket recomputed since.
#[derive(Debug, Serialize, Deserialize)]
struct Task {
    of: Source,
    after: Option<Uuid>,
}

/// Queues the recomputation (in the changing request's transaction). A second change before the
/// job is done re-arms the same job from the start.
pub(crate) async fn enqueue(c: &mut Conn<'_>, of: Source, now: Timestamp) -> Result<(), AppError> {
    let key = match of {
        Source::Calendar(id) => format!("{RECOMPUTE_JOB}:calendar:{id}"),
        Source::Agreement(id) => format!("{RECOMPUTE_JOB}:agreement:{id}"),
    };
    let payload = payload(&Task { of, after: None })?;
    c.execute(jobs::schedule(RECOMPUTE_JOB, &key, &payload, micros(now), micros(now))).await?;
    Ok(())
}

fn payload(task: &Task) -> Result<String, AppError> {
    serde_json::to_string(task).map_err(|e| AppError::Internal(format!("recompute payload: {e}")))
}

/// The open tickets still to do, in id order.
async fn tickets(c: &mut Conn<'_>, task: &Task) -> Result<Vec<Uuid>, AppError> {
    Ok(match task.of {
        Source::Calendar(id) => store::open_records_on_calendar(c, id, task.after).await?,
        Source::Agreement(id) => {
            let agreement = trellis_store::agreement::get(c, &RecordKey::Id(id)).await?;
            let (customer, team) = agreement.map_or((None, None), |a| (a.row.customer_id, a.row.team_id));
            store::open_records_for_agreement(c, id, customer, team, task.after).await?
        }
    })
}

/// Recomputes these tickets' clocks in the caller's transaction and moves their wake-ups.
async fn recompute(app: &App, c: &mut Conn<'_>, batch: &[Uuid], now: Timestamp) -> Result<(), AppError> {
    // Rows first, in id order, as a request changing one of them takes its row first.
    trellis_store::incident::lock_many(c, batch).await?;
    let incidents: Vec<_> =
        trellis_store::incident::get_many(c, batch).await?.into_iter().map(|v| v.row).collect();
    // Targets and calendars are read in this transaction: another process may have recomputed
    // some of these tickets after an edit this job has not seen.
    let wakes = project_many(c, &app.settings.public_url, &incidents, &mut Lookups::default(), now).await?;
    let due: Vec<(String, String, i64)> = wakes
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (wake_key(id), id.to_string(), micros(at))))
        .collect();
    c.execute_batch(jobs::schedule_many(WAKE_JOB, &due, micros(now))).await?;
    Ok(())
}

/// After a batch failed: each of its tickets in a transaction of its own, so one ticket that
/// cannot be recomputed (a journal row that does not decode, a deadlock on PostgreSQL) stops
/// neither the others nor the job. Such a ticket is handed to its own wake-up job, due now,
/// which retries it with back-off and shows the error on the job.
async fn one_by_one(app: &App, batch: &[Uuid]) -> Result<(), AppError> {
    for &id in batch {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        match recompute(app, &mut tx.conn(), &[id], now).await {
            Ok(()) => tx.commit().await?,
            Err(e) => {
                drop(tx);
                tracing::warn!(
                    incident = %id, error = %e,
                    "SLA clocks not recomputed; left to the ticket's wake-up job"
                );
                let mut tx = app.db.begin().await?;
                schedule_wake(&mut tx.conn(), id, now, now).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(())
}

/// The `sla.recompute` job.
pub(crate) async fn run(app: &App, job: &JobRow, owner: &str) -> Result<(), AppError> {
    let mut task: Task = serde_json::from_str(&job.payload)
        .map_err(|e| AppError::Internal(format!("job {}: payload: {e}", job.id)))?;
    let started = Instant::now();
    let tickets = tickets(&mut app.db.read(), &task).await?;
    // No ticket left is one empty batch, which finishes the job.
    let batches: Vec<&[Uuid]> = if tickets.is_empty() { vec![&[]] } else { tickets.chunks(BATCH).collect() };
    for (n, batch) in batches.iter().enumerate() {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        if let Err(e) = recompute(app, &mut tx.conn(), batch, now).await {
            drop(tx);
            tracing::warn!(
                job = %job.id, error = %e,
                "a batch of SLA clocks failed; recomputing it ticket by ticket"
            );
            one_by_one(app, batch).await?;
            tx = app.db.begin().await?;
        }
        let mut c = tx.conn();
        task.after = batch.last().copied().or(task.after);
        let ours = jobs::checkpoint(&mut c, job, owner, &payload(&task)?, micros(now + LEASE)).await?;
        let next_run = match (ours, n + 1 == batches.len()) {
            // Re-armed, lost, or done: release says which.
            (false, _) | (true, true) => None,
            (true, false) if started.elapsed() >= SLICE => Some(micros(now)),
            (true, false) => {
                tx.commit().await?;
                continue;
            }
        };
        if jobs::release(&mut c, job, owner, next_run, micros(now)).await? == Release::LeaseLost {
            return Err(AppError::Internal(format!("job {}: lease lost", job.id)));
        }
        // Done, postponed to go on from the checkpoint, or re-armed (a change meanwhile): what
        // this batch computed stands either way.
        tx.commit().await?;
        return Ok(());
    }
    Ok(())
}
