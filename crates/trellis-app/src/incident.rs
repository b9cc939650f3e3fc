//! Incident use cases (ISO/IEC 20000-1 8.6.1): logging, classification and priority,
//! assignment, the lifecycle with pending reasons, resolution and reopening; every change
//! recomputes the incident's SLA clocks in the same transaction.

use crate::platform::{RecordHandle, resolve};
use crate::{Actor, App, AppError, journal, record, settings, sla};
use trellis_domain::access::Action;
use trellis_domain::incident::{
    CATEGORY_MAX, Impact, IncidentStatus, NOTES_MAX, PendingReason, ResolutionCode, Urgency, validate_text,
};
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::lifecycle::{Named, parse_named};
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::validation::ValidationErrors;
use trellis_store::incident::{self as store, Filter, IncidentRow, IncidentView};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewIncident {
    pub title: String,
    pub description: String,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    pub category: String,
    /// high, medium or low; medium when not given.
    pub impact: Option<String>,
    pub urgency: Option<String>,
}

/// Checks that the named customer, team, assignee, service and CI exist, and that the customer
/// receives the service.
async fn check_refs(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    r: &IncidentRow,
) -> Result<(), AppError> {
    record::check_customer(c, errors, "customer_id", r.customer_id).await?;
    record::check_team(c, errors, "team_id", r.team_id).await?;
    record::check_staff_user(c, errors, "assignee_id", r.assignee_id).await?;
    if let Some(s) = r.service_id {
        if trellis_store::service::get(c, &RecordKey::Id(s)).await?.is_none() {
            errors.add("service_id", "no such service");
        } else if let Some(cu) = r.customer_id
            && !trellis_store::service::receives(c, s, cu).await?
        {
            errors.add("service_id", "the customer does not receive this service");
        }
    }
    if let Some(ci) = r.ci_id
        && trellis_store::ci::get(c, &RecordKey::Id(ci)).await?.is_none()
    {
        errors.add("ci_id", "no such configuration item");
    }
    Ok(())
}

/// A choice given as text, or `fallback` when absent.
fn choice<N: Named>(errors: &mut ValidationErrors, field: &str, given: Option<&str>, fallback: N) -> N {
    match given {
        None => fallback,
        Some(text) => parse_named::<N>(errors, field, text).unwrap_or(fallback),
    }
}

pub async fn create(app: &App, actor: &Actor, new: NewIncident) -> Result<IncidentView, AppError> {
    actor.require(Action::IncidentCreate)?;
    let mut errors = ValidationErrors::default();
    let (title, description) = validate_text(&mut errors, &new.title, &new.description);
    let category = errors.text("category", new.category.trim(), CATEGORY_MAX);
    let impact = choice(&mut errors, "impact", new.impact.as_deref(), Impact::Medium);
    let urgency = choice(&mut errors, "urgency", new.urgency.as_deref(), Urgency::Medium);
    let mut customer_id = new.customer_id;
    if !actor.role.is_staff() {
        // A portal user logs incidents for their own organisation only, and cannot route them.
        match (new.customer_id, actor.customer_id) {
            (Some(given), Some(mine)) if given != mine => {
                errors.add("customer_id", "you can only log incidents for your own organisation");
            }
            _ => customer_id = actor.customer_id,
        }
        for (field, set) in [
            ("team_id", new.team_id.is_some()),
            ("assignee_id", new.assignee_id.is_some()),
            ("ci_id", new.ci_id.is_some()),
        ] {
            if set {
                errors.add(field, "is set by the service desk");
            }
        }
    }
    let (policy, _) = settings::incident_policy(&mut app.db.read()).await?;
    let now = app.now();
    let mut row = IncidentRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        title,
        description,
        status: IncidentStatus::New.as_str().into(),
        customer_id,
        team_id: new.team_id,
        assignee_id: new.assignee_id,
        owner_id: actor.journal_id().filter(|_| actor.role.is_staff()),
        created_by: actor.journal_id(),
        service_id: new.service_id,
        ci_id: new.ci_id,
        category,
        impact: impact.as_str().into(),
        urgency: urgency.as_str().into(),
        priority: policy.matrix.priority(impact, urgency).as_str().into(),
        pending_reason: None,
        resolution_code: None,
        resolution_notes: String::new(),
        resolved_at: None,
        sla_due_at: None,
        escalation_level: 0,
        reassignments: 0,
        major_declared_at: None,
        major_manager_id: None,
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    check_refs(&mut app.db.read(), &mut errors, &row).await?;
    errors.into_result()?;

    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    row.reference = refs::next_reference(&mut c, RecordKind::Incident).await?;
    let mut changes = record::Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("title", &row.title);
    changes.initial("description", &row.description);
    changes.initial("status", &row.status);
    for (field, v) in [
        ("customer_id", row.customer_id),
        ("team_id", row.team_id),
        ("assignee_id", row.assignee_id),
        ("service_id", row.service_id),
        ("ci_id", row.ci_id),
    ] {
        changes.initial(field, v);
    }
    changes.initial("category", &row.category);
    changes.initial("impact", &row.impact);
    changes.initial("urgency", &row.urgency);
    changes.initial("priority", &row.priority);
    // The insert and its journal entry travel together (one round trip on SQLite).
    let insert = vec![store::insert(&row), crate::search::incident_doc(&row)];
    journal::record_with(
        &mut c,
        insert,
        RecordKind::Incident,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    sla::after_change(&mut c, app, &row, now).await?;
    crate::notify::incident_assigned(&mut c, app, actor, None, &row, now).await?;
    tx.commit().await?;
    // Read back outside the write transaction, so the writer is held no longer than needed.
    let v = store::get_by_id(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)?;
    Ok(for_actor(actor, v))
}

/// An incident as the actor may see it (one query: the hot path of the API).
pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<IncidentView, AppError> {
    actor.require(Action::IncidentRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let mut c = app.db.read();
    let found = match key {
        RecordKey::Id(id) => store::get_by_id(&mut c, id).await?,
        RecordKey::Ref(r) => store::get_by_ref(&mut c, &r).await?,
    };
    found
        .filter(|v| actor.sees_customer(v.row.customer_id))
        .map(|v| for_actor(actor, v))
        .ok_or(AppError::NotFound)
}

/// The incident as the actor may see it: the queue projection mixes the provider's internal
/// deadlines (OLAs, contracts) with the customer's, so customer users do not get it.
fn for_actor(actor: &Actor, mut v: IncidentView) -> IncidentView {
    if !actor.role.is_staff() {
        // The provider's internal measures: its queue projection and how the ticket travelled.
        v.row.sla_due_at = None;
        v.row.escalation_level = 0;
        v.row.reassignments = 0;
    }
    v
}

pub async fn handle(app: &App, actor: &Actor, key: &str) -> Result<RecordHandle, AppError> {
    resolve(app, actor, RecordKind::Incident, key).await
}

/// The platform handle of an incident already read (saves looking it up again).
pub fn handle_of(v: &IncidentView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Incident,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.title.clone(),
        customer_id: v.row.customer_id,
    }
}

/// Lists incidents; a customer user's list is always limited to their own customer.
pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
) -> Result<(Vec<IncidentView>, Option<store::Cursor>), AppError> {
    actor.require(Action::IncidentRead)?;
    if !actor.role.is_staff() {
        match actor.customer_id {
            Some(mine) if filter.customer_id.is_none_or(|c| c == mine) => filter.customer_id = Some(mine),
            _ => return Ok((Vec::new(), None)),
        }
        // Customers do not see the queue projection, so they cannot sort or filter by it either.
        if matches!(filter.sort, store::Sort::DueAsc | store::Sort::QueueAsc) {
            filter.sort = store::Sort::CreatedDesc;
        }
        filter.due_within_minutes = None;
    }
    if let Some(minutes) = filter.due_within_minutes {
        filter.due_before = Some(micros(app.now()).saturating_add(minutes.saturating_mul(60_000_000)));
    }
    let (rows, next) = store::list(&mut app.db.read(), &filter).await?;
    Ok((rows.into_iter().map(|v| for_actor(actor, v)).collect(), next))
}

/// Changes to an incident's fields; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub customer_id: Option<Option<Uuid>>,
    pub team_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub service_id: Option<Option<Uuid>>,
    pub ci_id: Option<Option<Uuid>>,
    pub category: Option<String>,
    pub impact: Option<String>,
    pub urgency: Option<String>,
}

/// Applies a patch if the incident is still at `expected_version`; journals each changed field.
/// A new impact or urgency sets the priority from the matrix in force, and the SLA clocks are
/// recomputed against the targets for the new priority.
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    patch: IncidentPatch,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentUpdate)?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let current = store::get_by_id(&mut c, h.id).await?.ok_or(AppError::NotFound)?;
    if current.row.version != expected_version {
        return Err(AppError::VersionMismatch { current: current.row.version });
    }
    let r0 = &current.row;
    let mut errors = ValidationErrors::default();
    let mut next = r0.clone();
    let (title, description) = validate_text(
        &mut errors,
        patch.title.as_deref().unwrap_or(&r0.title),
        patch.description.as_deref().unwrap_or(&r0.description),
    );
    next.title = title;
    next.description = description;
    if let Some(category) = &patch.category {
        next.category = errors.text("category", category.trim(), CATEGORY_MAX);
    }
    for (slot, v) in [
        (&mut next.customer_id, patch.customer_id),
        (&mut next.team_id, patch.team_id),
        (&mut next.assignee_id, patch.assignee_id),
        (&mut next.service_id, patch.service_id),
        (&mut next.ci_id, patch.ci_id),
    ] {
        if let Some(v) = v {
            *slot = v;
        }
    }
    if patch.impact.is_some() || patch.urgency.is_some() {
        let impact =
            choice(&mut errors, "impact", patch.impact.as_deref(), record::stored::<Impact>(&r0.impact)?);
        let urgency =
            choice(&mut errors, "urgency", patch.urgency.as_deref(), record::stored::<Urgency>(&r0.urgency)?);
        let (policy, _) = settings::incident_policy(&mut c).await?;
        next.impact = impact.as_str().into();
        next.urgency = urgency.as_str().into();
        next.priority = policy.matrix.priority(impact, urgency).as_str().into();
    }
    check_refs(&mut c, &mut errors, &next).await?;
    errors.into_result()?;
    if r0.team_id.is_some() && next.team_id.is_some() && next.team_id != r0.team_id {
        // Functional escalation or a misroute: counted, as a ticket passed around is a signal.
        next.reassignments += 1;
    }

    let mut changes = record::Changes::default();
    changes.compare("title", &r0.title, &next.title);
    changes.compare("description", &r0.description, &next.description);
    for (field, a, b) in [
        ("customer_id", r0.customer_id, next.customer_id),
        ("team_id", r0.team_id, next.team_id),
        ("assignee_id", r0.assignee_id, next.assignee_id),
        ("service_id", r0.service_id, next.service_id),
        ("ci_id", r0.ci_id, next.ci_id),
    ] {
        changes.compare(field, a, b);
    }
    changes.compare("category", &r0.category, &next.category);
    changes.compare("impact", &r0.impact, &next.impact);
    changes.compare("urgency", &r0.urgency, &next.urgency);
    changes.compare("priority", &r0.priority, &next.priority);
    changes.compare("reassignments", r0.reassignments, next.reassignments);
    if changes.is_empty() {
        return Ok(current);
    }
    let now = app.now();
    write_change(&mut c, actor, now, &mut next, expected_version, JournalAction::Updated, &changes.0).await?;
    sla::after_change(&mut c, app, &next, now).await?;
    crate::notify::incident_assigned(&mut c, app, actor, Some(r0), &next, now).await?;
    tx.commit().await?;
    store::get_by_id(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)
}

/// Saves `next` as the new version and journals `changes`, or reports a lost race.
pub(crate) async fn write_change(
    c: &mut Conn<'_>,
    actor: &Actor,
    now: jiff::Timestamp,
    next: &mut IncidentRow,
    expected_version: i64,
    action: JournalAction,
    changes: &[Change],
) -> Result<(), AppError> {
    next.version = expected_version + 1;
    next.updated_at = micros(now);
    let saved = store::update(c, next, expected_version).await?;
    if saved && crate::search::touches_incident_doc(changes) {
        c.execute(crate::search::incident_doc(next)).await?;
    }
    record::journal_saved(c, saved, RecordKind::Incident, next.id, next.version, actor, now, action, changes)
        .await
}

/// A move through the lifecycle, with what the target state needs: a reason to wait, or how the
/// incident was resolved.
#[derive(Debug, Clone, Default)]
pub struct IncidentMove {
    pub to: String,
    pub pending_reason: Option<String>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
}

impl IncidentMove {
    pub fn to(to: &str) -> Self {
        IncidentMove { to: to.into(), ..IncidentMove::default() }
    }
}

/// Moves an incident through its lifecycle. `expected_version`, when given, must match.
/// Pending needs a reason (the agreements decide which reasons stop their clocks); resolving
/// needs a resolution code; a resolved incident reopens only within the reopen window.
pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    m: IncidentMove,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentTransition)?;
    move_to(app, actor, &h, m, expected_version, None).await
}

/// A customer's answer to a resolution: confirmed, the incident closes; not fixed, it reopens
/// (within the reopen window) with the customer's reason as a public comment.
pub async fn confirm(
    app: &App,
    actor: &Actor,
    key: &str,
    fixed: bool,
    comment: &str,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentConfirm)?;
    let current = store::get_by_id(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)?;
    if current.row.status != IncidentStatus::Resolved.as_str() {
        return Err(AppError::conflict(
            "incident.not_resolved",
            format!(
                "{} is not waiting for confirmation (it is {})",
                current.row.reference, current.row.status
            ),
        ));
    }
    let mut errors = ValidationErrors::default();
    // Checked before anything moves: the comment is written after the move.
    let comment = errors.text("comment", comment.trim(), crate::platform::COMMENT_MAX);
    if !fixed && comment.is_empty() {
        errors.add("comment", "say what is still wrong");
    }
    errors.into_result()?;
    if fixed
        && current.row.major_declared_at.is_some()
        && crate::major::require_review(&mut app.db.read(), &current.row).await.is_err()
    {
        // A major incident closes after its review; until then the confirmation is recorded and
        // the service desk closes it once reviewed.
        let note = if comment.is_empty() { "Confirmed: it is fixed.".to_owned() } else { comment };
        crate::platform::add_comment(app, actor, &h, &note, true).await?;
        return get(app, actor, key).await;
    }
    let to = if fixed { IncidentStatus::Closed } else { IncidentStatus::InProgress };
    let comment = (!comment.is_empty()).then_some(comment);
    let v = move_to(app, actor, &h, IncidentMove::to(to.as_str()), expected_version, comment).await?;
    Ok(for_actor(actor, v))
}

/// The move itself, once the caller has checked the actor may make it; `comment`, when given,
/// is added (public) in the same transaction.
async fn move_to(
    app: &App,
    actor: &Actor,
    h: &RecordHandle,
    m: IncidentMove,
    expected_version: Option<i64>,
    comment: Option<String>,
) -> Result<IncidentView, AppError> {
    let to: IncidentStatus = record::target_state(&m.to)?;
    let mut errors = ValidationErrors::default();
    let reason = required_choice::<PendingReason>(
        &mut errors,
        to == IncidentStatus::Pending,
        "pending_reason",
        m.pending_reason.as_deref(),
        "is required to wait",
    );
    let code = required_choice::<ResolutionCode>(
        &mut errors,
        to == IncidentStatus::Resolved,
        "resolution_code",
        m.resolution_code.as_deref(),
        "is required to resolve",
    );
    let notes = errors.text("resolution_notes", m.resolution_notes.as_deref().unwrap_or_default(), NOTES_MAX);
    errors.into_result()?;

    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let current = store::get_by_id(&mut c, h.id).await?.ok_or(AppError::NotFound)?;
    let mut changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    let r0 = &current.row;
    if to == IncidentStatus::Closed && r0.major_declared_at.is_some() {
        crate::major::require_review(&mut c, r0).await?;
    }
    let mut next = r0.clone();
    next.status = to.as_str().into();
    next.pending_reason = reason.map(|r| r.as_str().to_owned());
    if to == IncidentStatus::Resolved {
        next.resolution_code = code.map(|r| r.as_str().to_owned());
        next.resolution_notes = notes;
        next.resolved_at = Some(micros(now));
    }
    if r0.status == IncidentStatus::Resolved.as_str() && to != IncidentStatus::Closed {
        check_reopen_window(&mut c, r0, now).await?;
        next.resolution_code = None;
        next.resolution_notes = String::new();
        next.resolved_at = None;
    }
    changes.compare("pending_reason", &r0.pending_reason, &next.pending_reason);
    changes.compare("resolution_code", &r0.resolution_code, &next.resolution_code);
    changes.compare("resolution_notes", &r0.resolution_notes, &next.resolution_notes);
    write_change(&mut c, actor, now, &mut next, r0.version, JournalAction::Transitioned, &changes.0).await?;
    if to == IncidentStatus::Resolved {
        crate::survey::on_resolved(&mut c, &next, micros(now)).await?;
        let (policy, _) = settings::incident_policy(&mut c).await?;
        crate::notify::incident_resolved(&mut c, app, actor, &next, policy.reopen_days, now).await?;
    }
    sla::after_change(&mut c, app, &next, now).await?;
    if let Some(body) = comment {
        crate::platform::comment_in(&mut c, app, actor, h, body, true, now).await?;
    }
    tx.commit().await?;
    store::get_by_id(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)
}

/// A choice that must be given when `needed` (and is ignored otherwise).
fn required_choice<N: Named>(
    errors: &mut ValidationErrors,
    needed: bool,
    field: &str,
    given: Option<&str>,
    why: &str,
) -> Option<N> {
    if !needed {
        return None;
    }
    match given.map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => parse_named::<N>(errors, field, g),
        None => {
            let names: Vec<&str> = N::ALL.iter().map(|n| n.as_str()).collect();
            errors.add(field, format!("{why}: one of {}", names.join(", ")));
            None
        }
    }
}

/// A resolved incident may be reopened for the policy's number of days after its resolution.
async fn check_reopen_window(
    c: &mut Conn<'_>,
    r: &IncidentRow,
    now: jiff::Timestamp,
) -> Result<(), AppError> {
    let (policy, _) = settings::incident_policy(c).await?;
    let Some(resolved_at) = r.resolved_at else { return Ok(()) };
    let window_ends = resolved_at.saturating_add(policy.reopen_days.saturating_mul(86_400 * 1_000_000));
    if micros(now) > window_ends {
        return Err(AppError::conflict(
            "incident.reopen_window_passed",
            format!(
                "{} was resolved more than {} days ago and can no longer be reopened; log a new incident",
                r.reference, policy.reopen_days
            ),
        ));
    }
    Ok(())
}
