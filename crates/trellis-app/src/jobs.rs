//! The job worker: runs what falls due from the jobs table. Every server process runs one; the
//! lease in the table decides which process runs each job, and a job whose process died is taken
//! over when its lease expires.

use crate::{App, AppError, notify, sla};
use jiff::SignedDuration;
use trellis_store::{jobs, micros};

/// How long a claimed job is held before another process may take it over.
pub const LEASE: SignedDuration = SignedDuration::from_secs(60);

/// Runs due jobs until none is left or `max` have run; returns how many ran. `owner` names this
/// process in leases (unique per process).
pub async fn run_due(app: &App, owner: &str, max: usize) -> Result<usize, AppError> {
    let mut ran = 0;
    while ran < max {
        let now = app.now();
        let mut tx = app.db.begin().await?;
        let claimed = jobs::claim(&mut tx.conn(), owner, micros(now), micros(now + LEASE)).await?;
        tx.commit().await?;
        let Some(job) = claimed else { break };
        ran += 1;
        if let Err(e) = handle(app, &job, owner).await {
            tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed");
            let retry_at = app.now() + backoff(job.attempts);
            let mut tx = app.db.begin().await?;
            jobs::fail(&mut tx.conn(), job.id, owner, &e.to_string(), micros(retry_at)).await?;
            tx.commit().await?;
        }
    }
    Ok(ran)
}

async fn handle(app: &App, job: &jobs::JobRow, owner: &str) -> Result<(), AppError> {
    match job.kind.as_str() {
        sla::WAKE_JOB => sla::wake(app, job, owner).await,
        sla::RECOMPUTE_JOB => sla::recompute::run(app, job, owner).await,
        notify::MAIL_JOB => notify::deliver(app, job, owner).await,
        other => Err(AppError::Internal(format!("no handler for job kind {other:?}"))),
    }
}

/// 30 s, 1 min, 2 min ... up to an hour between attempts.
fn backoff(attempts: i64) -> SignedDuration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    SignedDuration::from_secs(30 * 2_i64.pow(exp)).min(SignedDuration::from_hours(1))
}
