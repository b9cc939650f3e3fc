//! The SLA clocks of incidents: which agreement targets measure a ticket, the projection kept for
//! queues and the job worker, warnings and breaches recorded exactly once, and the explain view.
//!
//! Every clock is evaluated by [`trellis_domain::sla::evaluate`] from the incident's journal,
//! the agreement's conditions and the versioned calendar; nothing here keeps a running count.

use crate::notify::{self, Notice};
use crate::{Actor, App, AppError, calendar, journal};
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use trellis_domain::access::Action;
use trellis_domain::agreement::{AgreementType, Metric};
use trellis_domain::calendar::CalendarHistory;
use trellis_domain::incident::PendingReason;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::notification::NotificationKind;
use trellis_domain::record::RecordKind;
use trellis_domain::sla::{
    Conditions, Holder, ReopenRule, TicketState, Timer, TimerSpec, TimerState, evaluate, history_from_journal,
};
use trellis_store::incident::IncidentRow;
use trellis_store::sla::{self as store, ClockTargetRow, EventRow, TicketScope, TimerRow};
use trellis_store::{Conn, jobs, micros};
use uuid::Uuid;

pub(crate) mod recompute;

pub use recompute::RECOMPUTE_JOB;

/// The job that wakes a ticket's clocks when a warning or a target falls due.
pub const WAKE_JOB: &str = "sla.wake";

/// A clock of one ticket against one agreement target, evaluated at one instant.
#[derive(Debug, Clone)]
pub struct Clock {
    pub target: ClockTargetRow,
    pub timer: Timer,
    /// For a breach: the lower target (OLA or contract) whose own breach caused it.
    pub attributed_to: Option<ClockTargetRow>,
}

/// Pending reasons stored as a comma-separated list (written by `agreement::apply_conditions`).
pub fn parse_pause_on(text: &str) -> Vec<PendingReason> {
    text.split(',').filter_map(|r| PendingReason::parse(r.trim())).collect()
}

fn spec_of(t: &ClockTargetRow) -> TimerSpec {
    let metric = Metric::parse(&t.metric).unwrap_or(Metric::Resolution);
    let holder = match (AgreementType::parse(&t.agreement_type), t.team_id) {
        (Some(AgreementType::Ola), Some(team)) => Holder::Team(team),
        (Some(AgreementType::Contract), _) => Holder::Supplier,
        _ => Holder::Anyone,
    };
    TimerSpec {
        conditions: Conditions {
            metric,
            pause_on: parse_pause_on(&t.pause_on),
            on_reopen: ReopenRule::parse(&t.on_reopen).unwrap_or(ReopenRule::Resume),
            holder,
        },
        target: SignedDuration::from_mins(t.threshold),
        warn_percent: u8::try_from(t.warn_percent).unwrap_or(trellis_domain::sla::DEFAULT_WARN_PERCENT),
    }
}

/// The states of these incidents, each replayed from its journal (one query for them all).
async fn histories(c: &mut Conn<'_>, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<TicketState>>, AppError> {
    let entries = trellis_store::journal::entries_of(c, ids).await?;
    Ok(entries
        .chunk_by(|a, b| a.record_id == b.record_id)
        .map(|one| {
            let parsed: Vec<(Timestamp, Vec<Change>)> =
                one.iter().map(|e| (e.at, e.parsed_changes())).collect();
            let history = history_from_journal(parsed.iter().map(|(at, changes)| (*at, changes.as_slice())));
            (one[0].record_id, history)
        })
        .collect())
}

/// What decides which targets measure a ticket: its customer, service and priority, and the
/// teams that held it.
type ScopeKey = (Option<Uuid>, Option<Uuid>, String, Vec<Uuid>);

/// What the clocks of many tickets share, loaded once per batch: the targets that measure each
/// kind of ticket and the calendars they run on. A request's single ticket uses a fresh one.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    targets: HashMap<ScopeKey, Vec<ClockTargetRow>>,
    calendars: HashMap<Uuid, CalendarHistory>,
}

/// The targets that measure the incident: SLAs of its customer, OLAs of every team that held it,
/// and the lower targets (OLA, contract) those rest on. A contract measures resolution only:
/// the supplier's share is the time the ticket waited on it.
async fn targets(
    c: &mut Conn<'_>,
    lookups: &mut Lookups,
    incident: &IncidentRow,
    history: &[TicketState],
) -> Result<Vec<ClockTargetRow>, AppError> {
    let mut teams: Vec<Uuid> = history.iter().filter_map(|s| s.team_id).collect();
    teams.sort_unstable();
    teams.dedup();
    let key = (incident.customer_id, incident.service_id, incident.priority.clone(), teams);
    if let Some(found) = lookups.targets.get(&key) {
        return Ok(found.clone());
    }
    let scope =
        TicketScope { customer_id: key.0, service_id: key.1, priority: key.2.clone(), teams: key.3.clone() };
    let mut found = store::targets_for(c, &scope).await?;
    // The chain is at most SLA ← OLA ← contract, so two more steps reach its bottom.
    for _ in 0..2 {
        let missing: Vec<Uuid> = found
            .iter()
            .filter_map(|t| t.supported_by)
            .filter(|id| !found.iter().any(|f| f.target_id == *id))
            .collect();
        if missing.is_empty() {
            break;
        }
        found.extend(store::targets_by_id(c, &missing).await?);
    }
    found.retain(|t| {
        !(t.agreement_type == AgreementType::Contract.as_str() && t.metric == Metric::Response.as_str())
    });
    lookups.targets.insert(key, found.clone());
    Ok(found)
}

/// Evaluates every clock of the incident, whose states are `history`, at `at` (not after now).
async fn clocks_of(
    c: &mut Conn<'_>,
    lookups: &mut Lookups,
    incident: &IncidentRow,
    history: &[TicketState],
    at: Timestamp,
) -> Result<Vec<Clock>, AppError> {
    let targets = targets(c, lookups, incident, history).await?;
    for id in targets.iter().map(|t| t.calendar_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = lookups.calendars.entry(id) {
            // A missing calendar cannot happen (targets reference it); measure always-on then.
            let detail = calendar::load(c, id).await?;
            slot.insert(detail.map_or_else(|| CalendarHistory::new(Vec::new()), |d| d.history()));
        }
    }
    let mut clocks = Vec::new();
    for target in targets {
        if let Some(timer) = evaluate(&spec_of(&target), &lookups.calendars[&target.calendar_id], history, at)
        {
            clocks.push(Clock { target, timer, attributed_to: None });
        }
    }
    attribute(&mut clocks);
    Ok(clocks)
}

/// Evaluates every clock of one incident at `at` (an instant not after now).
async fn measure(c: &mut Conn<'_>, incident: &IncidentRow, at: Timestamp) -> Result<Vec<Clock>, AppError> {
    let history = histories(c, &[incident.id]).await?.remove(&incident.id).unwrap_or_default();
    clocks_of(c, &mut Lookups::default(), incident, &history, at).await
}

/// A breached target whose supporting target breached too is attributed down the chain, to the
/// lowest breached target (an SLA missed because the network team's OLA was, because the
/// carrier's contract was).
fn attribute(clocks: &mut [Clock]) {
    let breached: HashMap<Uuid, (Option<Uuid>, ClockTargetRow)> = clocks
        .iter()
        .filter(|c| c.timer.is_breached())
        .map(|c| (c.target.target_id, (c.target.supported_by, c.target.clone())))
        .collect();
    for clock in clocks.iter_mut().filter(|c| c.timer.is_breached()) {
        let mut cause = None;
        let mut next = clock.target.supported_by;
        for _ in 0..3 {
            let Some((below, row)) = next.and_then(|id| breached.get(&id)) else { break };
            cause = Some(row.clone());
            next = *below;
        }
        clock.attributed_to = cause;
    }
}

fn event_text(kind: &str, clock: &Clock, reached: Timestamp) -> String {
    let t = &clock.target;
    let what = if t.priority.is_empty() { t.metric.clone() } else { format!("{} {}", t.metric, t.priority) };
    let mut text = match kind {
        "warning" => {
            format!("Warning: {} {what} target reached {} % at {reached}", t.agreement_ref, t.warn_percent)
        }
        _ => format!("Breach: {} {what} target missed at {reached}", t.agreement_ref),
    };
    if let Some(cause) = &clock.attributed_to {
        text.push_str(&format!(" (caused by {} {} missing its target)", cause.agreement_ref, cause.metric));
    }
    text
}

fn timer_row(record_id: Uuid, k: &Clock, now: Timestamp) -> TimerRow {
    TimerRow {
        id: Uuid::now_v7(),
        record_id,
        record_kind: RecordKind::Incident.as_str().into(),
        target_id: k.target.target_id,
        agreement_id: k.target.agreement_id,
        state: k.timer.state.as_str().into(),
        cycle: i64::from(k.timer.cycle),
        elapsed_secs: k.timer.elapsed.as_secs(),
        target_secs: k.timer.target.as_secs(),
        started_at: micros(k.timer.started_at),
        warn_at: k.timer.warn_at.map(micros),
        due_at: k.timer.due_at.map(micros),
        breached_at: k.timer.breached_at.map(micros),
        stopped_at: k.timer.stopped_at.map(micros),
        computed_at: micros(now),
    }
}

/// Recomputes the incident's clocks at `now` inside the caller's transaction (which holds the
/// incident's journal head): rewrites the projection and records each warning and breach reached
/// and not yet recorded, with a journal entry. Returns when the clocks next need waking.
pub(crate) async fn project(
    c: &mut Conn<'_>,
    public_url: &str,
    incident: &IncidentRow,
    now: Timestamp,
) -> Result<Option<Timestamp>, AppError> {
    let wakes =
        project_many(c, public_url, std::slice::from_ref(incident), &mut Lookups::default(), now).await?;
    Ok(wakes.into_iter().next().and_then(|(_, at)| at))
}

/// [`project`] for many incidents at once, in a handful of statements whatever their number
/// (the caller holds their rows). Returns when each one's clocks next need waking.
pub(crate) async fn project_many(
    c: &mut Conn<'_>,
    public_url: &str,
    incidents: &[IncidentRow],
    lookups: &mut Lookups,
    now: Timestamp,
) -> Result<Vec<(Uuid, Option<Timestamp>)>, AppError> {
    let ids: Vec<Uuid> = incidents.iter().map(|i| i.id).collect();
    let mut histories = histories(c, &ids).await?;
    let mut measured = Vec::with_capacity(incidents.len());
    for incident in incidents {
        let history = histories.remove(&incident.id).unwrap_or_default();
        measured.push(clocks_of(c, lookups, incident, &history, now).await?);
    }
    let timers: Vec<TimerRow> = incidents
        .iter()
        .zip(&measured)
        .flat_map(|(i, clocks)| clocks.iter().map(|k| timer_row(i.id, k, now)))
        .collect();
    let dues: Vec<(Uuid, Option<i64>)> = incidents
        .iter()
        .zip(&measured)
        .map(|(i, clocks)| {
            let running = clocks.iter().filter(|k| k.timer.state == TimerState::Running);
            (i.id, running.filter_map(|k| k.timer.due_at).min().map(micros))
        })
        .collect();
    let fresh: HashSet<(Uuid, Uuid)> = timers.iter().map(|t| (t.record_id, t.target_id)).collect();
    let stale: Vec<Uuid> = store::timer_keys_of(c, &ids)
        .await?
        .into_iter()
        .filter(|(_, record, target)| !fresh.contains(&(*record, *target)))
        .map(|(id, ..)| id)
        .collect();
    let mut writes = store::replace_timers(&stale, &timers);
    writes.extend(store::set_incidents_due(&dues));
    c.execute_batch(writes).await?;

    // What was recorded before is skipped here; the event's own key still decides in `fire`.
    let reached =
        measured.iter().flatten().any(|k| k.timer.warned_at.is_some() || k.timer.breached_at.is_some());
    let recorded: HashSet<(Uuid, Uuid, i64, String)> =
        if reached { store::event_keys_of(c, &ids).await?.into_iter().collect() } else { HashSet::new() };
    let mut wakes = Vec::with_capacity(incidents.len());
    for (incident, clocks) in incidents.iter().zip(&measured) {
        let mut next_wake: Option<Timestamp> = None;
        for clock in clocks {
            for (kind, reached, upcoming) in [
                ("warning", clock.timer.warned_at, clock.timer.warn_at),
                ("breach", clock.timer.breached_at, clock.timer.due_at),
            ] {
                match reached {
                    Some(at) => {
                        let key = (
                            incident.id,
                            clock.target.target_id,
                            i64::from(clock.timer.cycle),
                            kind.to_owned(),
                        );
                        if !recorded.contains(&key) {
                            fire(c, public_url, incident, clock, kind, at, now).await?;
                        }
                    }
                    None if clock.timer.state == TimerState::Running => {
                        if let Some(at) = upcoming {
                            next_wake = Some(next_wake.map_or(at, |n| n.min(at)));
                        }
                    }
                    None => {}
                }
            }
        }
        wakes.push((incident.id, next_wake));
    }
    Ok(wakes)
}

/// Records one reached threshold unless some process already did; the journal entry and the
/// notifications go with it. A warning tells whoever holds the ticket; a breach also escalates
/// it to the managers of its team (hierarchical escalation), which the journal records.
async fn fire(
    c: &mut Conn<'_>,
    public_url: &str,
    incident: &IncidentRow,
    clock: &Clock,
    kind: &str,
    reached: Timestamp,
    now: Timestamp,
) -> Result<(), AppError> {
    let event = EventRow {
        id: Uuid::now_v7(),
        record_id: incident.id,
        target_id: clock.target.target_id,
        cycle: i64::from(clock.timer.cycle),
        kind: kind.into(),
        reached_at: micros(reached),
        fired_at: micros(now),
        attributed_target_id: clock.attributed_to.as_ref().map(|t| t.target_id),
    };
    if !store::record_event(c, &event).await? {
        return Ok(());
    }
    let breach = kind == "breach";
    let holders = notify::holders(c, incident).await?;
    let managers = if breach { notify::escalation_managers(c, incident).await? } else { Vec::new() };
    let mut text = event_text(kind, clock, reached);
    if !managers.is_empty() {
        let names: Vec<&str> = managers.iter().map(|u| u.display_name.as_str()).collect();
        text.push_str(&format!("; escalated to {}", names.join(", ")));
    }
    journal::record(
        c,
        RecordKind::Incident,
        incident.id,
        &Actor::system(),
        now,
        JournalAction::Sla,
        &[Change::new("sla", (), text)],
    )
    .await?;

    let t = &clock.target;
    let target = if t.priority.is_empty() {
        format!("{} {}", t.agreement_ref, t.metric)
    } else {
        format!("{} {} {}", t.agreement_ref, t.metric, t.priority)
    };
    let mut notice = Notice {
        kind: if breach { NotificationKind::SlaBreach } else { NotificationKind::SlaWarning },
        record_id: incident.id,
        record_ref: incident.reference.clone(),
        event: event.id.to_string(),
        vars: serde_json::json!({
            "record": notify::incident_vars(c, public_url, incident).await?,
            "actor": {"name": Actor::system().display_name},
            "sla": {
                "agreement": t.agreement_ref, "target": target, "metric": t.metric,
                "warn_percent": t.warn_percent, "reached_at": reached.to_string(),
                "due_at": clock.timer.due_at.map(|d| d.to_string()),
                "cause": clock.attributed_to.as_ref().map(|a| format!("{} {}", a.agreement_ref, a.metric)),
            },
            "escalated": false,
        }),
    };
    notify::send(c, &notice, &holders, None, now).await?;
    if breach {
        notice.vars["escalated"] = true.into();
        notify::send(c, &notice, &managers, None, now).await?;
    }
    Ok(())
}

/// Recomputes after a change to the incident (in the caller's transaction) and arranges the
/// next wake-up with the job worker.
pub(crate) async fn after_change(
    c: &mut Conn<'_>,
    app: &App,
    incident: &IncidentRow,
    now: Timestamp,
) -> Result<(), AppError> {
    if let Some(at) = project(c, &app.settings.public_url, incident, now).await? {
        schedule_wake(c, incident.id, at, now).await?;
    }
    Ok(())
}

pub(crate) fn wake_key(record_id: Uuid) -> String {
    format!("{WAKE_JOB}:{record_id}")
}

/// Asks the job worker to recompute a ticket's clocks at `at`.
pub(crate) async fn schedule_wake(
    c: &mut Conn<'_>,
    record_id: Uuid,
    at: Timestamp,
    now: Timestamp,
) -> Result<(), AppError> {
    c.execute(jobs::schedule(
        WAKE_JOB,
        &wake_key(record_id),
        &record_id.to_string(),
        micros(at),
        micros(now),
    ))
    .await?;
    Ok(())
}

/// After a calendar gained a version: its open clocks are recomputed by the job worker (their
/// past is untouched, since a version never takes effect in the past; their due instants may
/// move). The request only queues the work, however many tickets it concerns.
pub(crate) async fn calendar_changed(
    c: &mut Conn<'_>,
    calendar_id: Uuid,
    now: Timestamp,
) -> Result<(), AppError> {
    recompute::enqueue(c, recompute::Source::Calendar(calendar_id), now).await
}

/// After an agreement changed (targets, conditions, status): the open tickets it measures or may
/// now measure are recomputed by the job worker.
pub(crate) async fn agreement_changed(
    c: &mut Conn<'_>,
    agreement: &trellis_store::agreement::AgreementRow,
    now: Timestamp,
) -> Result<(), AppError> {
    recompute::enqueue(c, recompute::Source::Agreement(agreement.id), now).await
}

/// The `sla.wake` job: recomputes one ticket's clocks, recording what fell due, and either
/// finishes or moves itself to the next instant something falls due. Runs in one transaction
/// with the lease check, so an effect never outlives a lost lease.
pub(crate) async fn wake(app: &App, job: &jobs::JobRow, owner: &str) -> Result<(), AppError> {
    let record_id: Uuid =
        job.payload.parse().map_err(|_| AppError::Internal(format!("job {}: payload", job.id)))?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    // Locks the incident row first, as a request changing it does (row, then journal head): a
    // request meanwhile waits for this job, or this job for it, never both for each other.
    trellis_store::incident::lock(&mut c, record_id).await?;
    let next = match trellis_store::incident::get_by_id(&mut c, record_id).await? {
        Some(v) => project(&mut c, &app.settings.public_url, &v.row, now).await?,
        None => None,
    };
    // Re-armed meanwhile (an agreement or calendar changed): what was computed stands, and the
    // job stays due so it runs again with what changed.
    if jobs::release(&mut c, job, owner, next.map(micros), micros(now)).await? == jobs::Release::LeaseLost {
        return Err(AppError::Internal(format!("job {}: lease lost", job.id)));
    }
    tx.commit().await?;
    Ok(())
}

/// One clock for the explain view, with the stored projection next to the fresh evaluation.
#[derive(Debug, Clone)]
pub struct Explained {
    pub clock: Clock,
    pub projection: Option<TimerRow>,
    pub events: Vec<EventRow>,
}

/// Every clock of an incident evaluated afresh at `at` (default now), with each stretch of time
/// counted or skipped and why. Customer users see their SLA clocks only (OLAs and contracts are
/// the provider's business).
pub async fn explain(
    app: &App,
    actor: &Actor,
    key: &str,
    at: Option<Timestamp>,
) -> Result<Vec<Explained>, AppError> {
    let v = crate::incident::get(app, actor, key).await?;
    actor.require(Action::IncidentRead)?;
    let now = app.now();
    let at = at.unwrap_or(now);
    if at > now {
        return Err(AppError::Validation(trellis_domain::validation::ValidationErrors::single(
            "at",
            "must not be in the future: a clock cannot know what has not happened",
        )));
    }
    let mut c = app.db.read();
    let clocks = measure(&mut c, &v.row, at).await?;
    let stored = store::timers_of(&mut c, v.row.id).await?;
    let events = store::events_of(&mut c, v.row.id).await?;
    Ok(clocks
        .into_iter()
        .filter(|k| actor.role.is_staff() || k.target.agreement_type == AgreementType::Sla.as_str())
        .map(|mut clock| {
            let mut events: Vec<EventRow> =
                events.iter().filter(|e| e.target_id == clock.target.target_id).cloned().collect();
            if !actor.role.is_staff() {
                // Which OLA or contract a breach came from is the provider's business.
                clock.attributed_to = None;
                events.iter_mut().for_each(|e| e.attributed_target_id = None);
            }
            Explained {
                projection: stored.iter().find(|t| t.target_id == clock.target.target_id).cloned(),
                events,
                clock,
            }
        })
        .collect())
}
