//! Configuration management: CI types with their attribute schemas, configuration items, and
//! verification. Impact analysis over their relationships lives in [`crate::impact`].

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal};
use jiff::civil::Date;
use serde_json::{Map, Value};
use trellis_domain::access::Action;
use trellis_domain::ci::{AttributeDef, CiStatus, NAME_MAX, TEXT_MAX, validate_attributes, validate_schema};
use trellis_domain::journal::JournalAction;
use trellis_domain::lifecycle::parse_named;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::service::Criticality;
use trellis_domain::validation::ValidationErrors;
use trellis_store::ci::{self as store, CiRow, CiTypeRow, CiView, Filter};
use trellis_store::{Conn, StoreError, micros, refs};
use uuid::Uuid;

/// A CI type with its parsed schema.
#[derive(Debug, Clone)]
pub struct CiType {
    pub row: CiTypeRow,
    pub attributes: Vec<AttributeDef>,
}

fn parse_type(row: CiTypeRow) -> Result<CiType, AppError> {
    let attributes = serde_json::from_str(&row.attributes)
        .map_err(|e| AppError::Internal(format!("stored schema of CI type {}: {e}", row.id)))?;
    Ok(CiType { row, attributes })
}

pub async fn list_types(app: &App, actor: &Actor) -> Result<Vec<CiType>, AppError> {
    actor.require(Action::ConfigurationRead)?;
    store::types(&mut app.db.read()).await?.into_iter().map(parse_type).collect()
}

pub async fn get_type(app: &App, actor: &Actor, id: Uuid) -> Result<CiType, AppError> {
    actor.require(Action::ConfigurationRead)?;
    parse_type(store::get_type(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)?)
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Unique(_) => AppError::conflict("ci_type.name_taken", "a CI type with this name exists"),
        other => other.into(),
    }
}

pub async fn create_type(
    app: &App,
    actor: &Actor,
    name: &str,
    description: &str,
    attributes: Vec<AttributeDef>,
) -> Result<CiType, AppError> {
    actor.require(Action::CiTypeManage)?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", name, 100);
    let description = errors.text("description", description, 2_000);
    if let Err(e) = validate_schema(&attributes) {
        errors.0.extend(e.0);
    }
    errors.into_result()?;
    let now = micros(app.now());
    let row = CiTypeRow {
        id: Uuid::now_v7(),
        name,
        description,
        attributes: serde_json::to_string(&attributes).map_err(|e| AppError::Internal(e.to_string()))?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    store::insert_type(&mut tx.conn(), &row).await.map_err(name_taken)?;
    tx.commit().await?;
    Ok(CiType { row, attributes })
}

/// Replaces a type's name, description and schema. CIs already stored keep their values until
/// they are next edited, when they are checked against the new schema.
pub async fn update_type(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    name: &str,
    description: &str,
    attributes: Vec<AttributeDef>,
) -> Result<CiType, AppError> {
    actor.require(Action::CiTypeManage)?;
    let current = get_type(app, actor, id).await?;
    record::expect_version(current.row.version, Some(expected_version))?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", name, 100);
    let description = errors.text("description", description, 2_000);
    if let Err(e) = validate_schema(&attributes) {
        errors.0.extend(e.0);
    }
    errors.into_result()?;
    let mut row = current.row.clone();
    row.name = name;
    row.description = description;
    row.attributes = serde_json::to_string(&attributes).map_err(|e| AppError::Internal(e.to_string()))?;
    row.version = expected_version + 1;
    row.updated_at = micros(app.now());
    let mut tx = app.db.begin().await?;
    if !store::update_type(&mut tx.conn(), &row, expected_version).await.map_err(name_taken)? {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    tx.commit().await?;
    Ok(CiType { row, attributes })
}

/// The fields of a configuration item as a caller gives them.
#[derive(Debug, Clone, Default)]
pub struct CiInput {
    pub name: String,
    pub description: String,
    pub ci_type_id: Option<Uuid>,
    pub criticality: String,
    pub owner_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub location: String,
    pub cost_cents: Option<i64>,
    pub warranty_expires: Option<Date>,
    pub licence_expires: Option<Date>,
    pub licence_seats: Option<i64>,
    pub attributes: Map<String, Value>,
}

/// Validates `input` into the stored fields of `row` (everything but identity, status and times).
async fn apply(c: &mut Conn<'_>, input: &CiInput, row: &mut CiRow) -> Result<(), AppError> {
    let mut errors = ValidationErrors::default();
    row.name = errors.required_line("name", &input.name, NAME_MAX);
    row.description = errors.text("description", &input.description, TEXT_MAX);
    row.location = errors.text("location", input.location.trim(), 200);
    if let Some(cr) = parse_named::<Criticality>(&mut errors, "criticality", &input.criticality) {
        row.criticality = cr.as_str().into();
    }
    record::check_staff_user(c, &mut errors, "owner_id", input.owner_id).await?;
    record::check_team(c, &mut errors, "team_id", input.team_id).await?;
    record::check_customer(c, &mut errors, "customer_id", input.customer_id).await?;
    if input.cost_cents.is_some_and(|v| v < 0) {
        errors.add("cost", "must not be negative");
    }
    if input.licence_seats.is_some_and(|v| v < 0) {
        errors.add("licence_seats", "must not be negative");
    }
    match input.ci_type_id {
        None => errors.add("ci_type_id", "is required"),
        Some(t) => match store::get_type(c, t).await? {
            None => errors.add("ci_type_id", "no such CI type"),
            Some(ty) => {
                let ty = parse_type(ty)?;
                validate_attributes(&ty.attributes, &input.attributes, &mut errors);
                row.ci_type_id = t;
            }
        },
    }
    errors.into_result()?;
    row.owner_id = input.owner_id;
    row.team_id = input.team_id;
    row.customer_id = input.customer_id;
    row.cost_cents = input.cost_cents;
    row.warranty_expires = input.warranty_expires.map(|d| d.to_string());
    row.licence_expires = input.licence_expires.map(|d| d.to_string());
    row.licence_seats = input.licence_seats;
    // Empty values are "not set": they are not stored, so the schema stays the only shape.
    let kept: Map<String, Value> = input
        .attributes
        .iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    row.attributes = Value::Object(kept).to_string();
    Ok(())
}

/// The journalled form of a CI's fields, compared field by field on update.
fn field_changes(changes: &mut Changes, a: &CiRow, b: &CiRow) {
    changes.compare("name", &a.name, &b.name);
    changes.compare("description", &a.description, &b.description);
    changes.compare("ci_type_id", a.ci_type_id, b.ci_type_id);
    changes.compare("criticality", &a.criticality, &b.criticality);
    changes.compare("owner_id", a.owner_id, b.owner_id);
    changes.compare("team_id", a.team_id, b.team_id);
    changes.compare("customer_id", a.customer_id, b.customer_id);
    changes.compare("location", &a.location, &b.location);
    changes.compare("cost_cents", a.cost_cents, b.cost_cents);
    changes.compare("warranty_expires", &a.warranty_expires, &b.warranty_expires);
    changes.compare("licence_expires", &a.licence_expires, &b.licence_expires);
    changes.compare("licence_seats", a.licence_seats, b.licence_seats);
    let attrs = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
    changes.compare("attributes", attrs(&a.attributes), attrs(&b.attributes));
}

fn empty_row(now: i64) -> CiRow {
    CiRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        name: String::new(),
        description: String::new(),
        ci_type_id: Uuid::nil(),
        status: CiStatus::Planned.as_str().into(),
        criticality: Criticality::Medium.as_str().into(),
        owner_id: None,
        team_id: None,
        customer_id: None,
        location: String::new(),
        cost_cents: None,
        warranty_expires: None,
        licence_expires: None,
        licence_seats: None,
        attributes: "{}".into(),
        last_verified_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Checks `input` and returns the row a new CI would be (no reference yet).
pub(crate) async fn prepare(c: &mut Conn<'_>, input: &CiInput, now: i64) -> Result<CiRow, AppError> {
    let mut row = empty_row(now);
    apply(c, input, &mut row).await?;
    Ok(row)
}

/// Stores a prepared CI and journals its creation (inside `c`'s transaction); returns its
/// reference. The configuration counter moves, so impact analysis sees it.
pub(crate) async fn insert_new(
    c: &mut Conn<'_>,
    actor: &Actor,
    now: jiff::Timestamp,
    mut row: CiRow,
) -> Result<String, AppError> {
    row.reference = refs::next_reference(c, RecordKind::ConfigurationItem).await?;
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("status", &row.status);
    field_changes(&mut changes, &empty_row(0), &row);
    journal::record_with(
        c,
        vec![store::insert(&row), store::bump_counter(store::CONFIGURATION)],
        RecordKind::ConfigurationItem,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    Ok(row.reference)
}

pub async fn create(app: &App, actor: &Actor, input: CiInput) -> Result<CiView, AppError> {
    actor.require(Action::ConfigurationManage)?;
    let now = app.now();
    let row = prepare(&mut app.db.read(), &input, micros(now)).await?;
    let mut tx = app.db.begin().await?;
    let reference = insert_new(&mut tx.conn(), actor, now, row).await?;
    tx.commit().await?;
    get(app, actor, &reference).await
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<CiView, AppError> {
    actor.require(Action::ConfigurationRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    store::get(&mut app.db.read(), &key).await?.ok_or(AppError::NotFound)
}

pub fn handle_of(v: &CiView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::ConfigurationItem,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.name.clone(),
        customer_id: v.row.customer_id,
    }
}

pub async fn list(app: &App, actor: &Actor, filter: Filter) -> Result<(Vec<CiView>, Option<Uuid>), AppError> {
    actor.require(Action::ConfigurationRead)?;
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// The input that reproduces a stored CI (the starting point of an edit).
pub fn input_of(v: &CiView) -> CiInput {
    let r = &v.row;
    CiInput {
        name: r.name.clone(),
        description: r.description.clone(),
        ci_type_id: Some(r.ci_type_id),
        criticality: r.criticality.clone(),
        owner_id: r.owner_id,
        team_id: r.team_id,
        customer_id: r.customer_id,
        location: r.location.clone(),
        cost_cents: r.cost_cents,
        warranty_expires: r.warranty_expires.as_deref().and_then(|d| d.parse().ok()),
        licence_expires: r.licence_expires.as_deref().and_then(|d| d.parse().ok()),
        licence_seats: r.licence_seats,
        attributes: serde_json::from_str(&r.attributes).unwrap_or_default(),
    }
}

/// Replaces a CI's fields with `input` if it is still at `expected_version`.
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    input: CiInput,
) -> Result<CiView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ConfigurationManage)?;
    record::expect_version(current.row.version, Some(expected_version))?;
    let mut next = current.row.clone();
    apply(&mut app.db.read(), &input, &mut next).await?;
    let mut changes = Changes::default();
    field_changes(&mut changes, &current.row, &next);
    if changes.is_empty() {
        return Ok(current);
    }
    save(app, actor, next, expected_version, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    mut next: CiRow,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<CiView, AppError> {
    let now = app.now();
    next.version = expected_version + 1;
    next.updated_at = micros(now);
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = store::update(&mut c, &next, expected_version).await?;
    if saved {
        c.execute(store::bump_counter(store::CONFIGURATION)).await?;
    }
    let kind = RecordKind::ConfigurationItem;
    record::journal_saved(&mut c, saved, kind, next.id, next.version, actor, now, action, &changes.0).await?;
    tx.commit().await?;
    get(app, actor, &next.id.to_string()).await
}

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<CiView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ConfigurationManage)?;
    let to: CiStatus = record::target_state(to)?;
    let changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    let mut next = current.row.clone();
    next.status = to.as_str().into();
    save(app, actor, next, current.row.version, JournalAction::Transitioned, &changes).await
}

/// Records that someone checked the CI against reality now (configuration audit).
pub async fn verify(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: Option<i64>,
) -> Result<CiView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ConfigurationManage)?;
    record::expect_version(current.row.version, expected_version)?;
    let mut next = current.row.clone();
    let now = micros(app.now());
    next.last_verified_at = Some(now);
    let mut changes = Changes::default();
    changes.compare("last_verified_at", current.row.last_verified_at, Some(now));
    save(app, actor, next, current.row.version, JournalAction::Updated, &changes).await
}
