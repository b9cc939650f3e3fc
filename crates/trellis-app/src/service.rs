//! The service catalogue: defining services, who receives them, and their lifecycle. Customer
//! users see only the services their organisation receives.

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal};
use trellis_domain::access::Action;
use trellis_domain::journal::JournalAction;
use trellis_domain::lifecycle::parse_named;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::service::{Criticality, DESCRIPTION_MAX, NAME_MAX, ServiceStatus};
use trellis_domain::validation::ValidationErrors;
use trellis_store::ci::{CONFIGURATION, bump_counter};
use trellis_store::service::{self as store, Filter, ServiceRow, ServiceView};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

/// A service with the customers who receive it.
#[derive(Debug, Clone)]
pub struct ServiceDetail {
    pub view: ServiceView,
    pub customers: Vec<(Uuid, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    pub name: String,
    pub description: String,
    pub criticality: String,
    pub owner_id: Option<Uuid>,
    pub customer_ids: Vec<Uuid>,
}

/// Checks the fields a service is made of; returns the cleaned name, description, criticality.
async fn validate(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    input: &ServiceInput,
) -> Result<(String, String, Option<Criticality>), AppError> {
    let name = errors.required_line("name", &input.name, NAME_MAX);
    let description = errors.text("description", &input.description, DESCRIPTION_MAX);
    let criticality = parse_named::<Criticality>(errors, "criticality", &input.criticality);
    record::check_staff_user(c, errors, "owner_id", input.owner_id).await?;
    for (i, cid) in input.customer_ids.iter().enumerate() {
        if input.customer_ids[..i].contains(cid) {
            errors.add("customer_ids", "a customer is listed twice");
        }
        record::check_customer(c, errors, "customer_ids", Some(*cid)).await?;
    }
    Ok((name, description, criticality))
}

/// Checks `input` and returns the row a new service would be (no reference yet).
pub(crate) async fn prepare(
    c: &mut Conn<'_>,
    input: &ServiceInput,
    now: i64,
) -> Result<ServiceRow, AppError> {
    let mut errors = ValidationErrors::default();
    let (name, description, criticality) = validate(c, &mut errors, input).await?;
    errors.into_result()?;
    let criticality = criticality.ok_or_else(|| AppError::Internal("validated criticality".into()))?;
    Ok(ServiceRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        name,
        description,
        status: ServiceStatus::Pipeline.as_str().into(),
        criticality: criticality.as_str().into(),
        owner_id: input.owner_id,
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

/// Stores a prepared service with its customers and journals its creation (inside `c`'s
/// transaction); returns its reference.
pub(crate) async fn insert_new(
    c: &mut Conn<'_>,
    actor: &Actor,
    now: jiff::Timestamp,
    mut row: ServiceRow,
    customer_ids: &[Uuid],
) -> Result<String, AppError> {
    row.reference = refs::next_reference(c, RecordKind::Service).await?;
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("name", &row.name);
    changes.initial("description", &row.description);
    changes.initial("status", &row.status);
    changes.initial("criticality", &row.criticality);
    changes.initial("owner_id", row.owner_id);
    changes.initial("customer_ids", customer_ids);
    let mut statements = vec![store::insert(&row)];
    statements.extend(store::set_customers(row.id, customer_ids));
    statements.push(bump_counter(CONFIGURATION));
    journal::record_with(
        c,
        statements,
        RecordKind::Service,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    Ok(row.reference)
}

pub async fn create(app: &App, actor: &Actor, input: ServiceInput) -> Result<ServiceDetail, AppError> {
    actor.require(Action::ServiceManage)?;
    let now = app.now();
    let row = prepare(&mut app.db.read(), &input, micros(now)).await?;
    let mut tx = app.db.begin().await?;
    let reference = insert_new(&mut tx.conn(), actor, now, row, &input.customer_ids).await?;
    tx.commit().await?;
    get(app, actor, &reference).await
}

/// A service as the actor may see it: customer users only the services they receive.
pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<ServiceDetail, AppError> {
    actor.require(Action::ServiceRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let mut c = app.db.read();
    let view = store::get(&mut c, &key).await?.ok_or(AppError::NotFound)?;
    if !actor.role.is_staff() {
        let Some(mine) = actor.customer_id else { return Err(AppError::NotFound) };
        if !store::receives(&mut c, view.row.id, mine).await? {
            return Err(AppError::NotFound);
        }
    }
    // A customer user learns nothing about which other organisations receive the service.
    let customers =
        if actor.role.is_staff() { store::customers_of(&mut c, view.row.id).await? } else { Vec::new() };
    Ok(ServiceDetail { view, customers })
}

pub fn handle_of(v: &ServiceView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Service,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.name.clone(),
        customer_id: None,
    }
}

/// Lists services; a customer user's list is limited to the services their organisation receives.
pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
) -> Result<(Vec<ServiceView>, Option<Uuid>), AppError> {
    actor.require(Action::ServiceRead)?;
    if !actor.role.is_staff() {
        match actor.customer_id {
            Some(mine) if filter.customer_id.is_none_or(|c| c == mine) => filter.customer_id = Some(mine),
            _ => return Ok((Vec::new(), None)),
        }
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// Changes to a service; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ServicePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub criticality: Option<String>,
    pub owner_id: Option<Option<Uuid>>,
    pub customer_ids: Option<Vec<Uuid>>,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    patch: ServicePatch,
) -> Result<ServiceDetail, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ServiceManage)?;
    let r0 = &current.view.row;
    record::expect_version(r0.version, Some(expected_version))?;
    let old_customers: Vec<Uuid> = current.customers.iter().map(|c| c.0).collect();
    let input = ServiceInput {
        name: patch.name.unwrap_or_else(|| r0.name.clone()),
        description: patch.description.unwrap_or_else(|| r0.description.clone()),
        criticality: patch.criticality.unwrap_or_else(|| r0.criticality.clone()),
        owner_id: patch.owner_id.unwrap_or(r0.owner_id),
        customer_ids: patch.customer_ids.unwrap_or_else(|| old_customers.clone()),
    };
    let mut errors = ValidationErrors::default();
    let (name, description, criticality) = validate(&mut app.db.read(), &mut errors, &input).await?;
    errors.into_result()?;
    let mut next = r0.clone();
    next.name = name;
    next.description = description;
    next.criticality = criticality.map_or_else(|| r0.criticality.clone(), |c| c.as_str().into());
    next.owner_id = input.owner_id;
    let mut changes = Changes::default();
    changes.compare("name", &r0.name, &next.name);
    changes.compare("description", &r0.description, &next.description);
    changes.compare("criticality", &r0.criticality, &next.criticality);
    changes.compare("owner_id", r0.owner_id, next.owner_id);
    let mut sorted_old = old_customers.clone();
    let mut sorted_new = input.customer_ids.clone();
    sorted_old.sort();
    sorted_new.sort();
    changes.compare("customer_ids", &sorted_old, &sorted_new);
    if changes.is_empty() {
        return Ok(current);
    }
    let now = app.now();
    next.version = expected_version + 1;
    next.updated_at = micros(now);
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = store::update(&mut c, &next, expected_version).await?;
    if saved && sorted_old != sorted_new {
        c.execute_batch(store::set_customers(next.id, &input.customer_ids)).await?;
    }
    if saved {
        c.execute(bump_counter(CONFIGURATION)).await?;
    }
    record::journal_saved(
        &mut c,
        saved,
        RecordKind::Service,
        next.id,
        next.version,
        actor,
        now,
        JournalAction::Updated,
        &changes.0,
    )
    .await?;
    tx.commit().await?;
    get(app, actor, &next.id.to_string()).await
}

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<ServiceDetail, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ServiceManage)?;
    let to: ServiceStatus = record::target_state(to)?;
    let r0 = &current.view.row;
    let changes = record::plan_move(&r0.status, r0.version, to, expected_version)?;
    let mut next = r0.clone();
    next.status = to.as_str().into();
    let now = app.now();
    next.version = r0.version + 1;
    next.updated_at = micros(now);
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = store::update(&mut c, &next, r0.version).await?;
    if saved {
        c.execute(bump_counter(CONFIGURATION)).await?;
    }
    record::journal_saved(
        &mut c,
        saved,
        RecordKind::Service,
        next.id,
        next.version,
        actor,
        now,
        JournalAction::Transitioned,
        &changes.0,
    )
    .await?;
    tx.commit().await?;
    get(app, actor, &next.id.to_string()).await
}
