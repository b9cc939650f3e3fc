//! The SLA timer projection and the warnings and breaches that fired.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

/// One timer as last computed (the source of truth is the ticket's journal).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TimerRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub record_kind: String,
    pub target_id: Uuid,
    pub agreement_id: Uuid,
    pub state: String,
    pub cycle: i64,
    pub elapsed_secs: i64,
    pub target_secs: i64,
    pub started_at: i64,
    pub warn_at: Option<i64>,
    pub due_at: Option<i64>,
    pub breached_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub computed_at: i64,
}

const TIMER_COLS: &str = "id, record_id, record_kind, target_id, agreement_id, state, cycle, elapsed_secs, \
     target_secs, started_at, warn_at, due_at, breached_at, stopped_at, computed_at";

pub async fn timers_of(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<TimerRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {TIMER_COLS} FROM sla_timers WHERE record_id = $1 ORDER BY target_id"),
        vec![record_id.into()],
    ))
    .await
}

/// Replaces a record's timers with `timers` (the projection is rebuilt whole, never patched).
pub fn replace_timers(record_id: Uuid, timers: &[TimerRow]) -> Vec<Sql> {
    let mut out = vec![Sql::new("DELETE FROM sla_timers WHERE record_id = $1").bind(record_id)];
    for t in timers {
        out.push(
            Sql::new(
                "INSERT INTO sla_timers (id, record_id, record_kind, target_id, agreement_id, state, cycle, \
                 elapsed_secs, target_secs, started_at, warn_at, due_at, breached_at, stopped_at, computed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(t.id)
            .bind(t.record_id)
            .bind(&t.record_kind)
            .bind(t.target_id)
            .bind(t.agreement_id)
            .bind(&t.state)
            .bind(t.cycle)
            .bind(t.elapsed_secs)
            .bind(t.target_secs)
            .bind(t.started_at)
            .bind(t.warn_at)
            .bind(t.due_at)
            .bind(t.breached_at)
            .bind(t.stopped_at)
            .bind(t.computed_at),
        );
    }
    out
}

/// A warning or breach that fired.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub target_id: Uuid,
    pub cycle: i64,
    pub kind: String,
    pub reached_at: i64,
    pub fired_at: i64,
    pub attributed_target_id: Option<Uuid>,
}

/// Records a fired event unless this timer's cycle already has one of that kind. True when this
/// call recorded it: the caller then does what firing means, in the same transaction.
pub async fn record_event(c: &mut Conn<'_>, e: &EventRow) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "INSERT INTO sla_events (id, record_id, target_id, cycle, kind, reached_at, fired_at, \
                 attributed_target_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (record_id, target_id, cycle, kind) DO NOTHING",
            )
            .bind(e.id)
            .bind(e.record_id)
            .bind(e.target_id)
            .bind(e.cycle)
            .bind(&e.kind)
            .bind(e.reached_at)
            .bind(e.fired_at)
            .bind(e.attributed_target_id),
        )
        .await?;
    Ok(n == 1)
}

pub async fn events_of(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<EventRow>, StoreError> {
    c.all(
        Sql::new(
            "SELECT id, record_id, target_id, cycle, kind, reached_at, fired_at, attributed_target_id \
             FROM sla_events WHERE record_id = $1 ORDER BY reached_at, id",
        )
        .bind(record_id),
    )
    .await
}

/// An agreement target with what its clock needs: the agreement's conditions and calendar.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClockTargetRow {
    pub target_id: Uuid,
    pub agreement_id: Uuid,
    pub agreement_ref: String,
    pub agreement_title: String,
    pub agreement_type: String,
    pub team_id: Option<Uuid>,
    pub metric: String,
    pub priority: String,
    pub threshold: i64,
    pub calendar_id: Uuid,
    pub supported_by: Option<Uuid>,
    pub pause_on: String,
    pub on_reopen: String,
    pub warn_percent: i64,
}

const CLOCK_TARGET_SELECT: &str = "SELECT g.id AS target_id, a.id AS agreement_id, a.ref AS agreement_ref, \
     a.title AS agreement_title, a.agreement_type, a.team_id, g.metric, g.priority, g.threshold, g.calendar_id, \
     g.supported_by, a.pause_on, a.on_reopen, a.warn_percent \
     FROM agreement_targets g JOIN agreements a ON a.id = g.agreement_id \
     WHERE a.status = 'active' AND g.metric IN ('response', 'resolution')";

/// Who and what a ticket is about, to find the targets that measure it.
#[derive(Debug, Clone, Default)]
pub struct TicketScope {
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub priority: String,
    /// Every team that has held the ticket (their OLAs measure their share).
    pub teams: Vec<Uuid>,
}

/// Active SLA targets for the ticket's customer and OLA targets of the teams that held it, for
/// its service (or agreements for every service) and its priority (or every priority).
pub async fn targets_for(c: &mut Conn<'_>, scope: &TicketScope) -> Result<Vec<ClockTargetRow>, StoreError> {
    let mut args: Vec<crate::Val> = vec![scope.priority.clone().into(), scope.service_id.into()];
    let mut parties = Vec::new();
    if let Some(customer) = scope.customer_id {
        args.push(customer.into());
        parties.push(format!("(a.agreement_type = 'sla' AND a.customer_id = ${})", args.len()));
    }
    if !scope.teams.is_empty() {
        let ps: Vec<String> = scope
            .teams
            .iter()
            .map(|t| {
                args.push((*t).into());
                format!("${}", args.len())
            })
            .collect();
        parties.push(format!("(a.agreement_type = 'ola' AND a.team_id IN ({}))", ps.join(", ")));
    }
    if parties.is_empty() {
        return Ok(Vec::new());
    }
    c.all(Sql::dynamic(
        format!(
            "{CLOCK_TARGET_SELECT} AND (g.priority = $1 OR g.priority = '') \
             AND (a.service_id IS NULL OR a.service_id = $2) AND ({}) ORDER BY a.ref, g.position",
            parties.join(" OR ")
        ),
        args,
    ))
    .await
}

/// Active targets by id (the lower targets a measured target rests on).
pub async fn targets_by_id(c: &mut Conn<'_>, ids: &[Uuid]) -> Result<Vec<ClockTargetRow>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ps: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    c.all(Sql::dynamic(
        format!("{CLOCK_TARGET_SELECT} AND g.id IN ({}) ORDER BY a.ref, g.position", ps.join(", ")),
        ids.iter().map(|&i| i.into()).collect(),
    ))
    .await
}

/// Writes the incident's queue projection: the earliest due instant of its running clocks.
pub fn set_incident_due(incident_id: Uuid, due_at: Option<i64>) -> Sql {
    Sql::new("UPDATE incidents SET sla_due_at = $1 WHERE id = $2").bind(due_at).bind(incident_id)
}

/// Tickets with a clock still running or paused on a target of this calendar.
pub async fn open_records_on_calendar(c: &mut Conn<'_>, calendar_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = c
        .all(
            Sql::new(
                "SELECT DISTINCT t.record_id FROM sla_timers t JOIN agreement_targets g ON g.id = t.target_id \
                 WHERE g.calendar_id = $1 AND t.state <> 'stopped'",
            )
            .bind(calendar_id),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Open incidents an agreement measures or may now measure: those with a clock on it, and the
/// open incidents of its customer (SLA) or team (OLA).
pub async fn open_records_for_agreement(
    c: &mut Conn<'_>,
    agreement_id: Uuid,
    customer_id: Option<Uuid>,
    team_id: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = c
        .all(
            Sql::new(
                "SELECT record_id FROM sla_timers WHERE agreement_id = $1 AND state <> 'stopped' \
                 UNION SELECT id FROM incidents WHERE status NOT IN ('resolved', 'closed') \
                 AND (customer_id = $2 OR team_id = $3)",
            )
            .bind(agreement_id)
            .bind(customer_id)
            .bind(team_id),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
