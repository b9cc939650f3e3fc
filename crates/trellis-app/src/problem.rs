//! Problems and known errors (8.6.3): raised from an incident or proactively, investigated to a
//! root cause, documented as a known error with a workaround (offered to agents while they log
//! incidents), and resolved, typically through a change. Staff only: customers see their
//! incidents, not the provider's analysis.

use crate::platform::{RecordHandle, link_in};
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal, settings};
use trellis_domain::access::Action;
use trellis_domain::agreement::Priority;
use trellis_domain::journal::JournalAction;
use trellis_domain::lifecycle::parse_named;
use trellis_domain::link::LinkType;
use trellis_domain::problem::{ProblemStatus, TEXT_MAX, TITLE_MAX, ready_for};
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::validation::ValidationErrors;
use trellis_store::problem::{self as store, Candidate, Filter, ProblemRow, ProblemView};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewProblem {
    pub title: String,
    pub description: String,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// p1 to p4; p3 when not given.
    pub priority: Option<String>,
}

async fn check_refs(c: &mut Conn<'_>, errors: &mut ValidationErrors, r: &ProblemRow) -> Result<(), AppError> {
    record::check_team(c, errors, "team_id", r.team_id).await?;
    record::check_staff_user(c, errors, "assignee_id", r.assignee_id).await?;
    if let Some(s) = r.service_id
        && trellis_store::service::get(c, &RecordKey::Id(s)).await?.is_none()
    {
        errors.add("service_id", "no such service");
    }
    if let Some(ci) = r.ci_id
        && trellis_store::ci::get(c, &RecordKey::Id(ci)).await?.is_none()
    {
        errors.add("ci_id", "no such configuration item");
    }
    Ok(())
}

fn new_row(errors: &mut ValidationErrors, actor: &Actor, new: &NewProblem, now: i64) -> ProblemRow {
    let priority = match new.priority.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => parse_named::<Priority>(errors, "priority", p).unwrap_or(Priority::P3),
        None => Priority::P3,
    };
    ProblemRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        title: errors.required_line("title", &new.title, TITLE_MAX),
        description: errors.text("description", &new.description, TEXT_MAX),
        status: ProblemStatus::New.as_str().into(),
        service_id: new.service_id,
        ci_id: new.ci_id,
        team_id: new.team_id,
        assignee_id: new.assignee_id,
        priority: priority.as_str().into(),
        root_cause: String::new(),
        workaround: String::new(),
        resolution: String::new(),
        root_cause_at: None,
        created_by: actor.journal_id(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Inserts the problem with its journal entry in the caller's transaction.
async fn insert(
    c: &mut Conn<'_>,
    actor: &Actor,
    row: &mut ProblemRow,
    now: jiff::Timestamp,
) -> Result<(), AppError> {
    row.reference = refs::next_reference(c, RecordKind::Problem).await?;
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("title", &row.title);
    changes.initial("description", &row.description);
    changes.initial("status", &row.status);
    changes.initial("priority", &row.priority);
    for (field, v) in [
        ("service_id", row.service_id),
        ("ci_id", row.ci_id),
        ("team_id", row.team_id),
        ("assignee_id", row.assignee_id),
    ] {
        changes.initial(field, v);
    }
    journal::record_with(
        c,
        vec![store::insert(row), crate::search::problem_doc(row)],
        RecordKind::Problem,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await
}

/// Raises a problem proactively (e.g. from recurring incidents on one CI).
pub async fn create(app: &App, actor: &Actor, new: NewProblem) -> Result<ProblemView, AppError> {
    actor.require(Action::ProblemManage)?;
    let now = app.now();
    let mut errors = ValidationErrors::default();
    let mut row = new_row(&mut errors, actor, &new, micros(now));
    check_refs(&mut app.db.read(), &mut errors, &row).await?;
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    insert(&mut tx.conn(), actor, &mut row, now).await?;
    tx.commit().await?;
    get(app, actor, &row.id.to_string()).await
}

/// Raises a problem from an incident: it takes the incident's service, CI and team unless told
/// otherwise, and the incident is linked to it (`caused_by`) in the same transaction.
pub async fn raise_from_incident(
    app: &App,
    actor: &Actor,
    incident_key: &str,
    mut new: NewProblem,
) -> Result<ProblemView, AppError> {
    actor.require(Action::ProblemManage)?;
    let incident = crate::incident::get(app, actor, incident_key).await?;
    let i = &incident.row;
    if new.title.trim().is_empty() {
        new.title.clone_from(&i.title);
    }
    new.service_id = new.service_id.or(i.service_id);
    new.ci_id = new.ci_id.or(i.ci_id);
    new.team_id = new.team_id.or(i.team_id);
    new.priority = new.priority.or_else(|| Some(i.priority.clone()));
    let now = app.now();
    let mut errors = ValidationErrors::default();
    let mut row = new_row(&mut errors, actor, &new, micros(now));
    check_refs(&mut app.db.read(), &mut errors, &row).await?;
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    insert(&mut c, actor, &mut row, now).await?;
    let from = crate::incident::handle_of(&incident);
    link_in(&mut c, actor, &from, LinkType::CausedBy, &handle_of_row(&row), now).await?;
    tx.commit().await?;
    get(app, actor, &row.id.to_string()).await
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<ProblemView, AppError> {
    actor.require(Action::ProblemRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    store::get(&mut app.db.read(), &key).await?.ok_or(AppError::NotFound)
}

fn handle_of_row(r: &ProblemRow) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Problem,
        id: r.id,
        reference: r.reference.clone(),
        title: r.title.clone(),
        customer_id: None,
    }
}

pub fn handle_of(v: &ProblemView) -> RecordHandle {
    handle_of_row(&v.row)
}

/// How many days an open problem may go without a root cause (the incident policy's setting).
pub async fn rca_days(app: &App) -> Result<i64, AppError> {
    Ok(settings::incident_policy(&mut app.db.read()).await?.0.problem_rca_days)
}

/// Whether the problem is overdue for a root cause at `now`, given the policy's days.
pub fn rca_overdue(r: &ProblemRow, days: i64, now: jiff::Timestamp) -> bool {
    let open =
        matches!(ProblemStatus::parse(&r.status), Some(ProblemStatus::New | ProblemStatus::Investigating));
    open && r.root_cause_at.is_none() && r.created_at < micros(now) - days.saturating_mul(86_400_000_000)
}

/// Problems; with `rca_overdue` only open ones past the policy's days without a root cause.
pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
    rca_overdue_only: bool,
) -> Result<(Vec<ProblemView>, Option<Uuid>), AppError> {
    actor.require(Action::ProblemRead)?;
    if rca_overdue_only {
        let days = rca_days(app).await?;
        filter.no_root_cause_since = Some(micros(app.now()) - days.saturating_mul(86_400_000_000));
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// Known errors that may explain an incident being logged: those about its service or CI, or
/// whose title or workaround mention the text.
pub async fn known_errors(
    app: &App,
    actor: &Actor,
    service_id: Option<Uuid>,
    ci_id: Option<Uuid>,
    text: Option<String>,
) -> Result<Vec<ProblemView>, AppError> {
    actor.require(Action::ProblemRead)?;
    let mut c = app.db.read();
    let base =
        Filter { statuses: vec![ProblemStatus::KnownError.as_str().into()], limit: 20, ..Filter::default() };
    let mut found: Vec<ProblemView> = Vec::new();
    let mut add = |rows: Vec<ProblemView>| {
        for r in rows {
            if !found.iter().any(|f| f.row.id == r.row.id) {
                found.push(r);
            }
        }
    };
    if let Some(ci) = ci_id {
        add(store::list(&mut c, &Filter { ci_id: Some(ci), ..base.clone() }).await?.0);
    }
    if let Some(s) = service_id {
        add(store::list(&mut c, &Filter { service_id: Some(s), ..base.clone() }).await?.0);
    }
    if let Some(t) = text.filter(|t| t.trim().len() >= 3) {
        add(store::list(&mut c, &Filter { text: Some(t), ..base.clone() }).await?.0);
    }
    Ok(found)
}

/// CIs with at least `at_least` incidents in the last `days` days and no open problem.
pub async fn candidates(
    app: &App,
    actor: &Actor,
    days: i64,
    at_least: i64,
) -> Result<Vec<Candidate>, AppError> {
    actor.require(Action::ProblemRead)?;
    let mut errors = ValidationErrors::default();
    if !(1..=365).contains(&days) {
        errors.add("days", "must be between 1 and 365");
    }
    if !(2..=1000).contains(&at_least) {
        errors.add("at_least", "must be between 2 and 1000");
    }
    errors.into_result()?;
    let since = micros(app.now()) - days * 86_400_000_000;
    Ok(store::candidates(&mut app.db.read(), since, at_least).await?)
}

/// Changes to a problem; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProblemPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub service_id: Option<Option<Uuid>>,
    pub ci_id: Option<Option<Uuid>>,
    pub team_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub priority: Option<String>,
    /// The root-cause analysis: what caused the incidents.
    pub root_cause: Option<String>,
    pub workaround: Option<String>,
    /// How the cause was removed (name the change).
    pub resolution: Option<String>,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    patch: ProblemPatch,
) -> Result<ProblemView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ProblemManage)?;
    let r0 = &current.row;
    record::expect_version(r0.version, Some(expected_version))?;
    if r0.status == ProblemStatus::Closed.as_str() {
        return Err(AppError::conflict(
            "problem.closed",
            "a closed problem cannot be changed; raise a new one",
        ));
    }
    let mut errors = ValidationErrors::default();
    let mut next = r0.clone();
    next.title = errors.required_line("title", patch.title.as_deref().unwrap_or(&r0.title), TITLE_MAX);
    let mut text = |field: &str, given: Option<&String>, old: &str| {
        errors.text(field, given.map_or(old, String::as_str).trim(), TEXT_MAX)
    };
    next.description = text("description", patch.description.as_ref(), &r0.description);
    next.root_cause = text("root_cause", patch.root_cause.as_ref(), &r0.root_cause);
    next.workaround = text("workaround", patch.workaround.as_ref(), &r0.workaround);
    next.resolution = text("resolution", patch.resolution.as_ref(), &r0.resolution);
    if let Some(p) = patch.priority.as_deref().filter(|p| !p.trim().is_empty())
        && let Some(p) = parse_named::<Priority>(&mut errors, "priority", p.trim())
    {
        next.priority = p.as_str().into();
    }
    next.service_id = patch.service_id.unwrap_or(r0.service_id);
    next.ci_id = patch.ci_id.unwrap_or(r0.ci_id);
    next.team_id = patch.team_id.unwrap_or(r0.team_id);
    next.assignee_id = patch.assignee_id.unwrap_or(r0.assignee_id);
    if next.root_cause.is_empty() {
        next.root_cause_at = None;
    } else if r0.root_cause.is_empty() {
        next.root_cause_at = Some(micros(app.now()));
    }
    check_refs(&mut app.db.read(), &mut errors, &next).await?;
    // What the current status rests on stays recorded: a known error keeps its cause and
    // workaround (agents are offered it), a resolved problem its resolution.
    if let Some(status) = ProblemStatus::parse(&r0.status)
        && let Err((field, message)) = ready_for(status, &next.root_cause, &next.workaround, &next.resolution)
    {
        errors.add(field, message);
    }
    errors.into_result()?;
    let mut changes = Changes::default();
    changes.compare("title", &r0.title, &next.title);
    changes.compare("description", &r0.description, &next.description);
    changes.compare("priority", &r0.priority, &next.priority);
    for (field, a, b) in [
        ("service_id", r0.service_id, next.service_id),
        ("ci_id", r0.ci_id, next.ci_id),
        ("team_id", r0.team_id, next.team_id),
        ("assignee_id", r0.assignee_id, next.assignee_id),
    ] {
        changes.compare(field, a, b);
    }
    changes.compare("root_cause", &r0.root_cause, &next.root_cause);
    changes.compare("workaround", &r0.workaround, &next.workaround);
    changes.compare("resolution", &r0.resolution, &next.resolution);
    if changes.is_empty() {
        return Ok(current);
    }
    save(app, actor, next, expected_version, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    next: ProblemRow,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<ProblemView, AppError> {
    let id = record::save_version(app, actor, next, expected_version, action, changes).await?;
    get(app, actor, &id.to_string()).await
}

record::versioned!(ProblemRow, RecordKind::Problem, store::update, search = crate::search::problem_doc);

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<ProblemView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ProblemManage)?;
    let to: ProblemStatus = record::target_state(to)?;
    let changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    let r = &current.row;
    ready_for(to, &r.root_cause, &r.workaround, &r.resolution)
        .map_err(|(f, m)| ValidationErrors::single(f, m))?;
    let mut next = r.clone();
    next.status = to.as_str().into();
    save(app, actor, next, r.version, JournalAction::Transitioned, &changes).await
}
