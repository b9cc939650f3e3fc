//! The facts a service report is counted from (see `trellis_domain::report` for the
//! definitions). Each query returns the few columns the counts need, for one customer and/or
//! service, over the records that can touch the period.

use crate::{Conn, Sql, StoreError, Val};
use uuid::Uuid;

/// Whose report, and when.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    /// Microseconds: `from` included, `to` excluded.
    pub from: i64,
    pub to: i64,
}

impl Scope {
    /// `$1`/`$2` are the period; the customer and service columns of `alias` follow.
    fn sql(&self, select: &str, alias: &str) -> Sql {
        let mut sql = select.to_owned();
        let mut args: Vec<Val> = vec![self.from.into(), self.to.into()];
        if let Some(c) = self.customer_id {
            args.push(c.into());
            sql.push_str(&format!(" AND {alias}.customer_id = ${}", args.len()));
        }
        if let Some(s) = self.service_id {
            args.push(s.into());
            sql.push_str(&format!(" AND {alias}.service_id = ${}", args.len()));
        }
        Sql::dynamic(sql, args)
    }
}

/// An incident open at some time in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentFact {
    pub priority: String,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

pub async fn incidents(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<IncidentFact>, StoreError> {
    c.all(s.sql(
        "SELECT i.priority, i.created_at, i.resolved_at FROM incidents i \
         WHERE i.created_at < $2 AND (i.resolved_at IS NULL OR i.resolved_at >= $1)",
        "i",
    ))
    .await
}

/// A target of an SLA in scope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetFact {
    pub target_id: Uuid,
    pub agreement_ref: String,
    pub agreement_title: String,
    pub metric: String,
    pub priority: String,
    pub threshold: i64,
}

/// The clocks a report counts: SLA targets measuring incidents of the scope (the incident's
/// customer and service, not the agreement's: an SLA without a service covers them all).
const IN_SCOPE_CLOCK: &str = "JOIN agreement_targets g ON g.id = t.target_id \
     JOIN agreements a ON a.id = g.agreement_id JOIN incidents i ON i.id = t.record_id \
     WHERE a.agreement_type = 'sla'";

/// The SLA targets to report on: those that decided a clock of the scope in the period, and
/// those of active SLAs that would measure the scope's incidents.
pub async fn sla_targets(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<TargetFact>, StoreError> {
    const COLS: &str = "g.id AS target_id, a.ref AS agreement_ref, a.title AS agreement_title, g.metric, \
         g.priority, g.threshold";
    let mut found: Vec<TargetFact> = c
        .all(s.sql(
            &format!(
                "SELECT DISTINCT {COLS} FROM sla_events t {IN_SCOPE_CLOCK} AND t.kind = 'breach' \
                 AND t.reached_at >= $1 AND t.reached_at < $2"
            ),
            "i",
        ))
        .await?;
    found.extend(
        c.all::<TargetFact>(s.sql(
            &format!(
                "SELECT DISTINCT {COLS} FROM sla_timers t {IN_SCOPE_CLOCK} AND t.stopped_at >= $1 \
                 AND t.stopped_at < $2"
            ),
            "i",
        ))
        .await?,
    );
    // Active SLAs of the customer (and covering the service, when one is asked for).
    let mut sql = format!(
        "SELECT {COLS} FROM agreement_targets g JOIN agreements a ON a.id = g.agreement_id \
         WHERE a.agreement_type = 'sla' AND a.status = 'active' AND g.metric IN ('response', 'resolution')"
    );
    let mut args: Vec<Val> = Vec::new();
    if let Some(cid) = s.customer_id {
        args.push(cid.into());
        sql.push_str(&format!(" AND a.customer_id = ${}", args.len()));
    }
    if let Some(sid) = s.service_id {
        args.push(sid.into());
        sql.push_str(&format!(" AND (a.service_id IS NULL OR a.service_id = ${})", args.len()));
    }
    found.extend(c.all::<TargetFact>(Sql::dynamic(sql, args)).await?);
    found.sort_by(|x, y| {
        (&x.agreement_ref, &x.priority, &x.metric, x.target_id).cmp(&(
            &y.agreement_ref,
            &y.priority,
            &y.metric,
            y.target_id,
        ))
    });
    found.dedup_by_key(|t| t.target_id);
    Ok(found)
}

/// An SLA clock decided in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClockFact {
    pub target_id: Uuid,
    pub decided_at: i64,
    pub missed: bool,
}

/// Misses come from the breach events, which are written once and never change (a reopen, a
/// priority change or an edited target leaves them as they were); a met clock is one stopped
/// in time, as the projection has it now (a reopened ticket's is undecided again until it
/// stops once more).
pub async fn decided_clocks(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<ClockFact>, StoreError> {
    let mut missed: Vec<ClockFact> = c
        .all(s.sql(
            &format!(
                "SELECT t.target_id, t.reached_at AS decided_at, TRUE AS missed FROM sla_events t \
                 {IN_SCOPE_CLOCK} AND t.kind = 'breach' AND t.reached_at >= $1 AND t.reached_at < $2"
            ),
            "i",
        ))
        .await?;
    let met: Vec<ClockFact> = c
        .all(s.sql(
            &format!(
                "SELECT t.target_id, t.stopped_at AS decided_at, FALSE AS missed FROM sla_timers t \
                 {IN_SCOPE_CLOCK} AND t.breached_at IS NULL AND t.stopped_at >= $1 AND t.stopped_at < $2"
            ),
            "i",
        ))
        .await?;
    missed.extend(met);
    Ok(missed)
}

/// A service request ordered or fulfilled in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestFact {
    pub created_at: i64,
    pub fulfilled_at: Option<i64>,
    pub due_at: Option<i64>,
}

pub async fn requests(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<RequestFact>, StoreError> {
    c.all(s.sql(
        "SELECT r.created_at, r.fulfilled_at, r.due_at FROM service_requests r \
         WHERE ((r.created_at >= $1 AND r.created_at < $2) OR (r.fulfilled_at >= $1 AND r.fulfilled_at < $2))",
        "r",
    ))
    .await
}

/// A satisfaction survey sent or answered in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyFact {
    pub sent_at: i64,
    pub answered_at: Option<i64>,
    pub score: Option<i64>,
}

pub async fn surveys(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<SurveyFact>, StoreError> {
    c.all(s.sql(
        "SELECT v.sent_at, v.answered_at, v.score FROM surveys v \
         WHERE ((v.sent_at >= $1 AND v.sent_at < $2) OR (v.answered_at >= $1 AND v.answered_at < $2))",
        "v",
    ))
    .await
}

/// A complaint received in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintFact {
    pub reference: String,
    pub title: String,
    pub status: String,
    pub created_at: i64,
}

pub async fn complaints(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<ComplaintFact>, StoreError> {
    c.all(s.sql(
        "SELECT m.ref AS reference, m.title, m.status, m.created_at FROM complaints m \
         WHERE m.created_at >= $1 AND m.created_at < $2",
        "m",
    ))
    .await
    .map(|mut v: Vec<ComplaintFact>| {
        v.sort_by_key(|f| f.created_at);
        v
    })
}

/// A major incident declared in the period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MajorFact {
    pub reference: String,
    pub title: String,
    pub status: String,
    pub declared_at: i64,
    pub resolved_at: Option<i64>,
    pub reviewed_at: Option<i64>,
}

pub async fn majors(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<MajorFact>, StoreError> {
    c.all(s.sql(
        "SELECT i.ref AS reference, i.title, i.status, i.major_declared_at AS declared_at, i.resolved_at, \
         r.reviewed_at FROM incidents i LEFT JOIN major_incident_reviews r ON r.incident_id = i.id \
         WHERE i.major_declared_at >= $1 AND i.major_declared_at < $2",
        "i",
    ))
    .await
    .map(|mut v: Vec<MajorFact>| {
        v.sort_by_key(|f| f.declared_at);
        v
    })
}
