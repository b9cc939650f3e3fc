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

/// The targets of SLAs in scope that were in force or decided a clock in the period.
pub async fn sla_targets(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<TargetFact>, StoreError> {
    c.all(s.sql(
        "SELECT g.id AS target_id, a.ref AS agreement_ref, a.title AS agreement_title, g.metric, g.priority, \
         g.threshold FROM agreement_targets g JOIN agreements a ON a.id = g.agreement_id \
         WHERE a.agreement_type = 'sla' AND g.metric IN ('response', 'resolution') \
         AND (a.status = 'active' OR EXISTS (SELECT 1 FROM sla_timers t WHERE t.target_id = g.id \
         AND COALESCE(t.breached_at, t.stopped_at) >= $1 AND COALESCE(t.breached_at, t.stopped_at) < $2))",
        "a",
    ))
    .await
    .map(|mut v: Vec<TargetFact>| {
        v.sort_by(|x, y| {
            (&x.agreement_ref, &x.priority, &x.metric).cmp(&(&y.agreement_ref, &y.priority, &y.metric))
        });
        v
    })
}

/// An SLA clock decided in the period: missed when it breached, met when it stopped unbreached.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClockFact {
    pub target_id: Uuid,
    pub decided_at: i64,
    pub missed: bool,
}

pub async fn decided_clocks(c: &mut Conn<'_>, s: &Scope) -> Result<Vec<ClockFact>, StoreError> {
    c.all(s.sql(
        "SELECT t.target_id, COALESCE(t.breached_at, t.stopped_at) AS decided_at, \
         (t.breached_at IS NOT NULL) AS missed FROM sla_timers t JOIN agreements a ON a.id = t.agreement_id \
         WHERE a.agreement_type = 'sla' AND COALESCE(t.breached_at, t.stopped_at) >= $1 \
         AND COALESCE(t.breached_at, t.stopped_at) < $2",
        "a",
    ))
    .await
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
