//! Incident use cases (minimal: the full incident process is its own issue).

use crate::platform::{RecordHandle, resolve};
use crate::{Actor, App, AppError, journal, record};
use trellis_domain::access::Action;
use trellis_domain::incident::{IncidentStatus, validate_text};
use trellis_domain::journal::{Change, JournalAction};
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
}

/// Checks that the named customer, team and assignee exist.
async fn check_refs(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    customer_id: Option<Uuid>,
    team_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
) -> Result<(), AppError> {
    record::check_customer(c, errors, "customer_id", customer_id).await?;
    record::check_team(c, errors, "team_id", team_id).await?;
    record::check_staff_user(c, errors, "assignee_id", assignee_id).await
}

pub async fn create(app: &App, actor: &Actor, new: NewIncident) -> Result<IncidentView, AppError> {
    actor.require(Action::IncidentCreate)?;
    let mut errors = ValidationErrors::default();
    let (title, description) = validate_text(&mut errors, &new.title, &new.description);
    let mut customer_id = new.customer_id;
    if !actor.role.is_staff() {
        // A portal user logs incidents for their own organisation only, and cannot route them.
        match (new.customer_id, actor.customer_id) {
            (Some(given), Some(mine)) if given != mine => {
                errors.add("customer_id", "you can only log incidents for your own organisation");
            }
            _ => customer_id = actor.customer_id,
        }
        if new.team_id.is_some() {
            errors.add("team_id", "is set by the service desk");
        }
        if new.assignee_id.is_some() {
            errors.add("assignee_id", "is set by the service desk");
        }
    }
    check_refs(&mut app.db.read(), &mut errors, customer_id, new.team_id, new.assignee_id).await?;
    errors.into_result()?;

    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let row = IncidentRow {
        id: Uuid::now_v7(),
        reference: refs::next_reference(&mut c, RecordKind::Incident).await?,
        title,
        description,
        status: IncidentStatus::New.as_str().into(),
        customer_id,
        team_id: new.team_id,
        assignee_id: new.assignee_id,
        owner_id: actor.journal_id().filter(|_| actor.role.is_staff()),
        created_by: actor.journal_id(),
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let mut changes = vec![
        Change::new("ref", (), &row.reference),
        Change::new("title", (), &row.title),
        Change::new("description", (), &row.description),
        Change::new("status", (), &row.status),
    ];
    for (field, v) in
        [("customer_id", row.customer_id), ("team_id", row.team_id), ("assignee_id", row.assignee_id)]
    {
        if v.is_some() {
            changes.push(Change::new(field, (), v));
        }
    }
    // The insert and its journal entry travel together (one round trip on SQLite).
    let insert = vec![store::insert(&row)];
    journal::record_with(
        &mut c,
        insert,
        RecordKind::Incident,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes,
    )
    .await?;
    tx.commit().await?;
    // Read back outside the write transaction, so the writer is held no longer than needed.
    store::get_by_id(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)
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
    found.filter(|v| actor.sees_customer(v.row.customer_id)).ok_or(AppError::NotFound)
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
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// Changes to an incident's fields; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub customer_id: Option<Option<Uuid>>,
    pub team_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
}

impl IncidentPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.customer_id.is_none()
            && self.team_id.is_none()
            && self.assignee_id.is_none()
    }
}

/// Applies a patch if the incident is still at `expected_version`; journals each changed field.
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
    let mut errors = ValidationErrors::default();
    let mut next = current.row.clone();
    let (title, description) = validate_text(
        &mut errors,
        patch.title.as_deref().unwrap_or(&current.row.title),
        patch.description.as_deref().unwrap_or(&current.row.description),
    );
    next.title = title;
    next.description = description;
    if let Some(v) = patch.customer_id {
        next.customer_id = v;
    }
    if let Some(v) = patch.team_id {
        next.team_id = v;
    }
    if let Some(v) = patch.assignee_id {
        next.assignee_id = v;
    }
    check_refs(&mut c, &mut errors, next.customer_id, next.team_id, next.assignee_id).await?;
    errors.into_result()?;

    let r0 = &current.row;
    let mut changes = Vec::new();
    if r0.title != next.title {
        changes.push(Change::new("title", &r0.title, &next.title));
    }
    if r0.description != next.description {
        changes.push(Change::new("description", &r0.description, &next.description));
    }
    for (field, a, b) in [
        ("customer_id", r0.customer_id, next.customer_id),
        ("team_id", r0.team_id, next.team_id),
        ("assignee_id", r0.assignee_id, next.assignee_id),
    ] {
        if a != b {
            changes.push(Change::new(field, a, b));
        }
    }
    if changes.is_empty() {
        return Ok(current);
    }
    write_change(&mut c, actor, app.now(), &mut next, expected_version, JournalAction::Updated, &changes)
        .await?;
    tx.commit().await?;
    store::get_by_id(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)
}

/// Saves `next` as the new version and journals `changes`, or reports a lost race.
async fn write_change(
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
    record::journal_saved(c, saved, RecordKind::Incident, next.id, next.version, actor, now, action, changes)
        .await
}

/// Moves an incident through its lifecycle. `expected_version`, when given, must match.
pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentTransition)?;
    let to: IncidentStatus = record::target_state(to)?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let current = store::get_by_id(&mut c, h.id).await?.ok_or(AppError::NotFound)?;
    let changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    let mut next = current.row.clone();
    next.status = to.as_str().into();
    let now = app.now();
    write_change(&mut c, actor, now, &mut next, current.row.version, JournalAction::Transitioned, &changes.0)
        .await?;
    if to == IncidentStatus::Resolved {
        crate::survey::on_resolved(&mut c, &next, micros(now)).await?;
    }
    tx.commit().await?;
    store::get_by_id(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)
}
