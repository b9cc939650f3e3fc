//! Request offerings: catalogue items of a service that customers can order. An edit adds a
//! new definition version; earlier versions stay as they were, so each request (issue 4) can
//! point at the exact form, approval policy and target it was made under. Customer users see
//! the published offerings of services their organisation receives.

use crate::{Actor, App, AppError, journal, record, service};
use jiff::Timestamp;
use serde_json::json;
use trellis_domain::access::Action;
use trellis_domain::ci::AttributeDef;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::lifecycle::parse_named;
use trellis_domain::offering::{
    ApprovalPolicy, ApproverRule, NAME_MAX, OfferingStatus, TEXT_MAX, TaskTemplate, validate_definition,
    validate_workflow,
};
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use trellis_store::offering::{self as store, DefinitionRow, OfferingRow};
use trellis_store::{Conn, from_micros, micros};
use uuid::Uuid;

/// One version of an offering's definition.
#[derive(Debug, Clone)]
pub struct Definition {
    pub version: i64,
    pub name: String,
    pub description: String,
    pub form: Vec<AttributeDef>,
    pub approval: String,
    /// Who approves, in order (empty when no approval is needed).
    pub approvers: Vec<ApproverRule>,
    /// The fulfilment tasks every approved request gets.
    pub tasks: Vec<TaskTemplate>,
    pub fulfilment_minutes: Option<i64>,
    pub calendar_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct OfferingDetail {
    pub row: OfferingRow,
    pub service_ref: String,
    pub service_name: String,
    /// Oldest first.
    pub definitions: Vec<Definition>,
}

impl OfferingDetail {
    /// The definition customers order from now.
    pub fn current(&self) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.version == self.row.current_definition)
    }
}

#[derive(Debug, Clone, Default)]
pub struct OfferingInput {
    pub name: String,
    pub description: String,
    pub form: Vec<AttributeDef>,
    pub approval: String,
    pub approvers: Vec<ApproverRule>,
    pub tasks: Vec<TaskTemplate>,
    pub fulfilment_minutes: Option<i64>,
    pub calendar_id: Option<Uuid>,
}

fn stored_json<T: serde::de::DeserializeOwned>(
    d: &DefinitionRow,
    what: &str,
    text: &str,
) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| {
        AppError::Internal(format!("stored {what} of offering {} v{}: {e}", d.offering_id, d.version))
    })
}

pub(crate) fn parse_definition(d: DefinitionRow) -> Result<Definition, AppError> {
    let form = stored_json(&d, "form", &d.form)?;
    let approvers = stored_json(&d, "approvers", &d.approvers)?;
    let tasks = stored_json(&d, "tasks", &d.tasks)?;
    Ok(Definition {
        version: d.version,
        name: d.name,
        description: d.description,
        form,
        approval: d.approval,
        approvers,
        tasks,
        fulfilment_minutes: d.fulfilment_minutes,
        calendar_id: d.calendar_id,
        created_by: d.created_by,
        created_at: from_micros(d.created_at)?,
    })
}

async fn detail(
    c: &mut Conn<'_>,
    row: OfferingRow,
    service: &service::ServiceDetail,
) -> Result<OfferingDetail, AppError> {
    let definitions =
        store::definitions(c, row.id).await?.into_iter().map(parse_definition).collect::<Result<_, _>>()?;
    Ok(OfferingDetail {
        row,
        service_ref: service.view.row.reference.clone(),
        service_name: service.view.row.name.clone(),
        definitions,
    })
}

/// Staff see every offering; customer users the published ones (of services they receive,
/// which [`service::get`] has already checked).
fn visible(actor: &Actor, row: &OfferingRow) -> bool {
    actor.role.is_staff() || row.status == OfferingStatus::Published.as_str()
}

pub async fn list_for_service(
    app: &App,
    actor: &Actor,
    service_key: &str,
) -> Result<Vec<OfferingDetail>, AppError> {
    let s = service::get(app, actor, service_key).await?;
    let mut c = app.db.read();
    let mut out = Vec::new();
    for row in store::of_service(&mut c, s.view.row.id).await? {
        if visible(actor, &row) {
            out.push(detail(&mut c, row, &s).await?);
        }
    }
    Ok(out)
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<OfferingDetail, AppError> {
    actor.require(Action::ServiceRead)?;
    let row = store::get(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)?;
    let s = service::get(app, actor, &row.service_id.to_string()).await?;
    if !visible(actor, &row) {
        return Err(AppError::NotFound);
    }
    detail(&mut app.db.read(), row, &s).await
}

/// Checks `input` and returns the definition row it would be, as version `version`.
async fn check(
    c: &mut Conn<'_>,
    offering_id: Uuid,
    version: i64,
    input: &OfferingInput,
    actor: &Actor,
    now: i64,
) -> Result<DefinitionRow, AppError> {
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", &input.name, NAME_MAX);
    let description = errors.text("description", &input.description, TEXT_MAX);
    let approval = parse_named::<ApprovalPolicy>(&mut errors, "approval", &input.approval);
    validate_definition(&mut errors, &input.form, input.fulfilment_minutes, input.calendar_id.is_some());
    validate_workflow(&mut errors, approval, &input.approvers, &input.tasks);
    for (i, rule) in input.approvers.iter().enumerate() {
        if let ApproverRule::User { user_id } = rule {
            record::check_staff_user(c, &mut errors, &format!("approvers[{i}].user_id"), Some(*user_id))
                .await?;
        }
    }
    for (i, task) in input.tasks.iter().enumerate() {
        record::check_team(c, &mut errors, &format!("tasks[{i}].team_id"), task.team_id).await?;
    }
    if let Some(cal) = input.calendar_id
        && trellis_store::calendar::get(c, cal).await?.is_none()
    {
        errors.add("calendar_id", "no such calendar");
    }
    errors.into_result()?;
    Ok(DefinitionRow {
        offering_id,
        version,
        name,
        description,
        form: to_json(&input.form)?,
        approval: approval.map_or_else(String::new, |a| a.as_str().to_owned()),
        approvers: to_json(&input.approvers)?,
        tasks: to_json(&input.tasks)?,
        fulfilment_minutes: input.fulfilment_minutes,
        calendar_id: input.calendar_id,
        created_by: actor.journal_id(),
        created_at: now,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Journals a change of an offering on its service's record.
fn summary(row: &OfferingRow, d: &DefinitionRow) -> serde_json::Value {
    json!({"id": row.id, "name": d.name, "status": row.status, "definition": d.version})
}

/// A new offering starts as a draft, not yet on the portal.
pub async fn create(
    app: &App,
    actor: &Actor,
    service_key: &str,
    input: OfferingInput,
) -> Result<OfferingDetail, AppError> {
    let s = service::get(app, actor, service_key).await?;
    actor.require(Action::ServiceManage)?;
    let now = app.now();
    let row = OfferingRow {
        id: Uuid::now_v7(),
        service_id: s.view.row.id,
        status: OfferingStatus::Draft.as_str().into(),
        current_definition: 1,
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let def = check(&mut app.db.read(), row.id, 1, &input, actor, micros(now)).await?;
    let change = Change::new("offering", (), summary(&row, &def));
    let mut tx = app.db.begin().await?;
    journal::record_with(
        &mut tx.conn(),
        vec![store::insert(&row), store::insert_definition(&def)],
        RecordKind::Service,
        s.view.row.id,
        actor,
        now,
        JournalAction::Updated,
        &[change],
    )
    .await?;
    tx.commit().await?;
    get(app, actor, row.id).await
}

/// A new definition version (the form, approval and target as one unit).
pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    input: OfferingInput,
) -> Result<OfferingDetail, AppError> {
    let current = get(app, actor, id).await?;
    actor.require(Action::ServiceManage)?;
    record::expect_version(current.row.version, Some(expected_version))?;
    let now = app.now();
    let next_def = current.definitions.last().map_or(1, |d| d.version + 1);
    let def = check(&mut app.db.read(), id, next_def, &input, actor, micros(now)).await?;
    let mut row = current.row.clone();
    row.current_definition = next_def;
    save(app, actor, current, row, expected_version, Some(def), now).await
}

async fn save(
    app: &App,
    actor: &Actor,
    current: OfferingDetail,
    mut row: OfferingRow,
    expected_version: i64,
    def: Option<DefinitionRow>,
    now: Timestamp,
) -> Result<OfferingDetail, AppError> {
    row.version = expected_version + 1;
    row.updated_at = micros(now);
    let shown = match (&def, current.current()) {
        (Some(d), _) => summary(&row, d),
        (None, Some(d)) => {
            json!({"id": row.id, "name": d.name, "status": row.status, "definition": d.version})
        }
        (None, None) => json!({"id": row.id, "status": row.status}),
    };
    let before =
        json!({"id": row.id, "status": current.row.status, "definition": current.row.current_definition});
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    if c.execute(store::update(&row, expected_version)).await? != 1 {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    if let Some(d) = &def {
        c.execute(store::insert_definition(d)).await?;
    }
    let change = Change::new("offering", before, shown);
    journal::record(
        &mut c,
        RecordKind::Service,
        row.service_id,
        actor,
        now,
        JournalAction::Updated,
        &[change],
    )
    .await?;
    tx.commit().await?;
    get(app, actor, row.id).await
}

/// Publishes, retires or brings back an offering.
pub async fn transition(
    app: &App,
    actor: &Actor,
    id: Uuid,
    to: &str,
    expected_version: Option<i64>,
) -> Result<OfferingDetail, AppError> {
    let current = get(app, actor, id).await?;
    actor.require(Action::ServiceManage)?;
    record::expect_version(current.row.version, expected_version)?;
    let mut errors = ValidationErrors::default();
    let to = parse_named::<OfferingStatus>(&mut errors, "to", to);
    errors.into_result()?;
    let to = to.ok_or_else(|| AppError::Internal("parsed status".into()))?;
    let from: OfferingStatus = record::stored(&current.row.status)?;
    if !from.allowed_transitions().contains(&to) {
        return Err(AppError::conflict(
            "offering.invalid_transition",
            format!("an offering cannot move from {} to {}", from.as_str(), to.as_str()),
        ));
    }
    let mut row = current.row.clone();
    row.status = to.as_str().into();
    let version = current.row.version;
    save(app, actor, current, row, version, None, app.now()).await
}
