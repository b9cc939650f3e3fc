//! The SLA timer projection and the warnings and breaches that fired.

use crate::{Conn, Sql, StoreError, Val};
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

/// Timer rows per `INSERT` statement (15 parameters each). SQLite's driver looks each parameter
/// up by name in a list as long as the statement's, so binding grows with the square of their
/// number: a statement of 6,000 parameters spent most of a recomputation binding.
const TIMERS_PER_INSERT: usize = crate::db::PARAMS_PER_STATEMENT / 15;

/// Which timers these records have stored: (id, record, target).
pub async fn timer_keys_of(
    c: &mut Conn<'_>,
    record_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, Uuid)>, StoreError> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    c.all(Sql::dynamic(
        format!(
            "SELECT id, record_id, target_id FROM sla_timers WHERE record_id IN ({})",
            crate::placeholders(1, record_ids.len())
        ),
        record_ids.iter().map(|&id| id.into()).collect(),
    ))
    .await
}

/// Writes records' recomputed timers over the stored ones (one row per record and target,
/// updated in place; a target's agreement never changes) and deletes the `stale` ones (targets
/// that no longer measure their record). The projection is thus rebuilt whole, never patched, in
/// a few multi-row statements.
pub fn replace_timers(stale: &[Uuid], timers: &[TimerRow]) -> Vec<Sql> {
    let mut out = Vec::new();
    for ids in stale.chunks(crate::db::PARAMS_PER_STATEMENT) {
        out.push(Sql::dynamic(
            format!("DELETE FROM sla_timers WHERE id IN ({})", crate::placeholders(1, ids.len())),
            ids.iter().map(|&id| id.into()).collect(),
        ));
    }
    for rows in timers.chunks(TIMERS_PER_INSERT) {
        let mut args: Vec<Val> = Vec::with_capacity(rows.len() * 15);
        let mut tuples = Vec::with_capacity(rows.len());
        for t in rows {
            tuples.push(format!("({})", crate::placeholders(args.len() + 1, 15)));
            args.extend([
                t.id.into(),
                t.record_id.into(),
                t.record_kind.clone().into(),
                t.target_id.into(),
                t.agreement_id.into(),
                t.state.clone().into(),
                t.cycle.into(),
                t.elapsed_secs.into(),
                t.target_secs.into(),
                t.started_at.into(),
                t.warn_at.into(),
                t.due_at.into(),
                t.breached_at.into(),
                t.stopped_at.into(),
                t.computed_at.into(),
            ]);
        }
        out.push(Sql::dynamic(
            format!(
                "INSERT INTO sla_timers ({TIMER_COLS}) VALUES {} ON CONFLICT (record_id, target_id) DO UPDATE SET \
                 state = excluded.state, cycle = excluded.cycle, \
                 elapsed_secs = excluded.elapsed_secs, target_secs = excluded.target_secs, \
                 started_at = excluded.started_at, warn_at = excluded.warn_at, due_at = excluded.due_at, \
                 breached_at = excluded.breached_at, stopped_at = excluded.stopped_at, \
                 computed_at = excluded.computed_at",
                tuples.join(", ")
            ),
            args,
        ));
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
    let mut args: Vec<Val> = vec![scope.priority.clone().into(), scope.service_id.into()];
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
    let ps = crate::placeholders(1, ids.len());
    c.all(Sql::dynamic(
        format!("{CLOCK_TARGET_SELECT} AND g.id IN ({ps}) ORDER BY a.ref, g.position"),
        ids.iter().map(|&i| i.into()).collect(),
    ))
    .await
}

/// Writes incidents' queue projection (the earliest due instant of each one's running clocks) in
/// one statement per few hundred incidents.
pub fn set_incidents_due(dues: &[(Uuid, Option<i64>)]) -> Vec<Sql> {
    dues.chunks(crate::db::PARAMS_PER_STATEMENT / 2)
        .map(|chunk| {
            let rows: Vec<String> =
                (0..chunk.len()).map(|i| format!("({})", crate::placeholders(2 * i + 1, 2))).collect();
            Sql::dynamic(
                format!(
                    "WITH due (incident_id, due_at) AS (VALUES {}) \
                     UPDATE incidents SET sla_due_at = due.due_at FROM due WHERE incidents.id = due.incident_id",
                    rows.join(", ")
                ),
                chunk.iter().flat_map(|&(id, due)| [Val::from(id), Val::from(due)]).collect(),
            )
        })
        .collect()
}

/// Tickets with a clock still running or paused on a target of this calendar, in id order from
/// after `after`.
pub async fn open_records_on_calendar(
    c: &mut Conn<'_>,
    calendar_id: Uuid,
    after: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = c
        .all(
            Sql::new(
                "SELECT t.record_id FROM sla_timers t JOIN agreement_targets g ON g.id = t.target_id \
                 WHERE g.calendar_id = $1 AND t.state <> 'stopped' AND ($2 IS NULL OR t.record_id > $2)",
            )
            .bind(calendar_id)
            .bind(after),
        )
        .await?;
    Ok(sorted_ids(rows))
}

/// Ids in order, once each. Sorted here rather than by the query: asked to order them, SQLite
/// walks every timer in ticket order instead of the target's index (1.4 s for 100,000 tickets).
fn sorted_ids(rows: Vec<(Uuid,)>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = rows.into_iter().map(|(id,)| id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Open incidents an agreement measures or may now measure, in id order from after `after`:
/// those with a clock on it, and the open incidents of its customer (SLA) or team (OLA).
pub async fn open_records_for_agreement(
    c: &mut Conn<'_>,
    agreement_id: Uuid,
    customer_id: Option<Uuid>,
    team_id: Option<Uuid>,
    after: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows: Vec<(Uuid,)> = c
        .all(
            Sql::new(
                "SELECT record_id FROM sla_timers WHERE agreement_id = $1 AND state <> 'stopped' \
                 AND ($4 IS NULL OR record_id > $4) \
                 UNION ALL SELECT id FROM incidents WHERE status NOT IN ('resolved', 'closed') \
                 AND (customer_id = $2 OR team_id = $3) AND ($4 IS NULL OR id > $4)",
            )
            .bind(agreement_id)
            .bind(customer_id)
            .bind(team_id)
            .bind(after),
        )
        .await?;
    Ok(sorted_ids(rows))
}

/// Which warnings and breaches these records' timers have recorded: (record, target, cycle, kind).
pub async fn event_keys_of(
    c: &mut Conn<'_>,
    record_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, i64, String)>, StoreError> {
    if record_ids.is_empty() {
        return Ok(Vec::new());
    }
    c.all(Sql::dynamic(
        format!(
            "SELECT record_id, target_id, cycle, kind FROM sla_events WHERE record_id IN ({})",
            crate::placeholders(1, record_ids.len())
        ),
        record_ids.iter().map(|&id| id.into()).collect(),
    ))
    .await
}
