//! Suppliers: who delivers parts of our services. Their contracts are agreements of type
//! `contract` ([`crate::agreement`]); their performance reviews are [`crate::review`]s.

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal};
use trellis_domain::access::Action;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::lifecycle::parse_named;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::supplier::{NAME_MAX, SupplierStatus, SupplierType, TEXT_MAX};
use trellis_domain::validation::ValidationErrors;
use trellis_store::supplier::{self as store, DisputeRow, DisputeView, Filter, SupplierRow, SupplierView};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct SupplierInput {
    pub name: String,
    pub description: String,
    pub supplier_type: String,
    pub contact: String,
    pub owner_id: Option<Uuid>,
}

/// Checks the input and writes it into `row`.
async fn apply(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    input: &SupplierInput,
    row: &mut SupplierRow,
) -> Result<(), AppError> {
    row.name = errors.required_line("name", &input.name, NAME_MAX);
    row.description = errors.text("description", &input.description, TEXT_MAX);
    row.contact = errors.text("contact", input.contact.trim(), 2_000);
    if let Some(t) = parse_named::<SupplierType>(errors, "supplier_type", &input.supplier_type) {
        row.supplier_type = t.as_str().into();
    }
    record::check_staff_user(c, errors, "owner_id", input.owner_id).await?;
    row.owner_id = input.owner_id;
    Ok(())
}

/// A supplier row with no fields filled in yet, as a new record starts.
fn new_row(now: i64) -> SupplierRow {
    SupplierRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        name: String::new(),
        description: String::new(),
        supplier_type: SupplierType::External.as_str().into(),
        status: SupplierStatus::Active.as_str().into(),
        contact: String::new(),
        owner_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

fn initial_changes(row: &SupplierRow) -> Changes {
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("name", &row.name);
    changes.initial("description", &row.description);
    changes.initial("supplier_type", &row.supplier_type);
    changes.initial("status", &row.status);
    changes.initial("contact", &row.contact);
    changes.initial("owner_id", row.owner_id);
    changes
}

/// Checks `input` and returns the row a new supplier would be (no reference yet).
pub(crate) async fn prepare(
    c: &mut Conn<'_>,
    input: &SupplierInput,
    now: i64,
) -> Result<SupplierRow, AppError> {
    let mut row = new_row(now);
    let mut errors = ValidationErrors::default();
    apply(c, &mut errors, input, &mut row).await?;
    errors.into_result()?;
    Ok(row)
}

/// Stores a prepared supplier and journals its creation (inside `c`'s transaction); returns its
/// reference.
pub(crate) async fn insert_new(
    c: &mut Conn<'_>,
    actor: &Actor,
    now: jiff::Timestamp,
    mut row: SupplierRow,
) -> Result<String, AppError> {
    row.reference = refs::next_reference(c, RecordKind::Supplier).await?;
    let changes = initial_changes(&row);
    journal::record_with(
        c,
        vec![store::insert(&row)],
        RecordKind::Supplier,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    Ok(row.reference)
}

/// A new supplier is active: most are recorded when the first contract is signed.
pub async fn create(app: &App, actor: &Actor, input: SupplierInput) -> Result<SupplierView, AppError> {
    actor.require(Action::AgreementManage)?;
    let now = app.now();
    let row = prepare(&mut app.db.read(), &input, micros(now)).await?;
    let mut tx = app.db.begin().await?;
    let reference = insert_new(&mut tx.conn(), actor, now, row).await?;
    tx.commit().await?;
    get(app, actor, &reference).await
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<SupplierView, AppError> {
    actor.require(Action::AgreementRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    store::get(&mut app.db.read(), &key).await?.ok_or(AppError::NotFound)
}

pub fn handle_of(v: &SupplierView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Supplier,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.name.clone(),
        customer_id: None,
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    filter: Filter,
) -> Result<(Vec<SupplierView>, Option<Uuid>), AppError> {
    actor.require(Action::AgreementRead)?;
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

pub fn input_of(v: &SupplierView) -> SupplierInput {
    let r = &v.row;
    SupplierInput {
        name: r.name.clone(),
        description: r.description.clone(),
        supplier_type: r.supplier_type.clone(),
        contact: r.contact.clone(),
        owner_id: r.owner_id,
    }
}

/// Replaces the supplier's fields with `input` (callers start from [`input_of`]).
pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    input: SupplierInput,
) -> Result<SupplierView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let r0 = &current.row;
    record::expect_version(r0.version, Some(expected_version))?;
    let mut next = r0.clone();
    let mut errors = ValidationErrors::default();
    apply(&mut app.db.read(), &mut errors, &input, &mut next).await?;
    errors.into_result()?;
    let mut changes = Changes::default();
    changes.compare("name", &r0.name, &next.name);
    changes.compare("description", &r0.description, &next.description);
    changes.compare("supplier_type", &r0.supplier_type, &next.supplier_type);
    changes.compare("contact", &r0.contact, &next.contact);
    changes.compare("owner_id", r0.owner_id, next.owner_id);
    if changes.is_empty() {
        return Ok(current);
    }
    save(app, actor, next, expected_version, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    next: SupplierRow,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<SupplierView, AppError> {
    let id = record::save_version(app, actor, next, expected_version, action, changes).await?;
    get(app, actor, &id.to_string()).await
}

record::versioned!(SupplierRow, RecordKind::Supplier, store::update);

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<SupplierView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let to: SupplierStatus = record::target_state(to)?;
    let changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    let mut next = current.row.clone();
    next.status = to.as_str().into();
    save(app, actor, next, current.row.version, JournalAction::Transitioned, &changes).await
}

/// A dispute as raised: about the supplier, or one of its contracts.
#[derive(Debug, Clone, Default)]
pub struct NewDispute {
    pub subject: String,
    pub description: String,
    pub raised_on: String,
    pub agreement_id: Option<Uuid>,
}

fn today(app: &App) -> jiff::civil::Date {
    app.now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// A date on a dispute: as `YYYY-MM-DD`, not in the future.
fn past_date(errors: &mut ValidationErrors, field: &str, text: &str, today: jiff::civil::Date) -> String {
    match trellis_domain::ci::parse_date(text) {
        Some(d) if d > today => errors.add(field, "cannot be in the future"),
        Some(d) => return d.to_string(),
        None => errors.add(field, "must be a date (YYYY-MM-DD)"),
    }
    String::new()
}

pub async fn disputes(app: &App, actor: &Actor, key: &str) -> Result<Vec<DisputeView>, AppError> {
    let s = get(app, actor, key).await?;
    Ok(store::disputes_of(&mut app.db.read(), s.row.id).await?)
}

/// Raises a dispute; it is journalled on the supplier.
pub async fn raise_dispute(
    app: &App,
    actor: &Actor,
    key: &str,
    new: NewDispute,
) -> Result<DisputeView, AppError> {
    let s = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let mut errors = ValidationErrors::default();
    let subject = errors.required_line("subject", &new.subject, NAME_MAX);
    let description = errors.text("description", &new.description, TEXT_MAX);
    let raised_on = past_date(&mut errors, "raised_on", &new.raised_on, today(app));
    if let Some(a) = new.agreement_id {
        let found = trellis_store::agreement::get(&mut app.db.read(), &RecordKey::Id(a)).await?;
        if found.is_none_or(|v| v.row.supplier_id != Some(s.row.id)) {
            errors.add("agreement_id", "is not a contract with this supplier");
        }
    }
    errors.into_result()?;
    let now = app.now();
    let row = DisputeRow {
        id: Uuid::now_v7(),
        supplier_id: s.row.id,
        agreement_id: new.agreement_id,
        subject,
        description,
        raised_on,
        status: "open".into(),
        resolution: String::new(),
        resolved_on: None,
        created_by: actor.journal_id(),
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let change = Change::new("dispute", (), format!("raised {}: {}", row.raised_on, row.subject));
    let mut tx = app.db.begin().await?;
    journal::record_with(
        &mut tx.conn(),
        vec![store::insert_dispute(&row)],
        RecordKind::Supplier,
        s.row.id,
        actor,
        now,
        JournalAction::Updated,
        &[change],
    )
    .await?;
    tx.commit().await?;
    store::dispute(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)
}

/// Records how a dispute was resolved; a resolved dispute stays as it was resolved.
pub async fn resolve_dispute(
    app: &App,
    actor: &Actor,
    key: &str,
    dispute_id: Uuid,
    expected_version: i64,
    resolution: &str,
    resolved_on: &str,
) -> Result<DisputeView, AppError> {
    let s = get(app, actor, key).await?;
    actor.require(Action::AgreementManage)?;
    let current = store::dispute(&mut app.db.read(), dispute_id).await?;
    let current = current.filter(|d| d.row.supplier_id == s.row.id).ok_or(AppError::NotFound)?;
    record::expect_version(current.row.version, Some(expected_version))?;
    if current.row.status == "resolved" {
        return Err(AppError::conflict("dispute.resolved", "this dispute has been resolved"));
    }
    let mut errors = ValidationErrors::default();
    let resolution = errors.text("resolution", resolution.trim(), TEXT_MAX);
    if resolution.is_empty() {
        errors.add("resolution", "record how the dispute was resolved");
    }
    let resolved_on = past_date(&mut errors, "resolved_on", resolved_on, today(app));
    if !resolved_on.is_empty() && resolved_on < current.row.raised_on {
        errors.add("resolved_on", "cannot be before the dispute was raised");
    }
    errors.into_result()?;
    let now = app.now();
    let mut row = current.row.clone();
    row.status = "resolved".into();
    row.resolution = resolution;
    row.resolved_on = Some(resolved_on.clone());
    row.version = expected_version + 1;
    row.updated_at = micros(now);
    let change = Change::new(
        "dispute",
        format!("open: {}", row.subject),
        format!("resolved {resolved_on}: {}", row.subject),
    );
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    if c.execute(store::resolve_dispute(&row, expected_version)).await? != 1 {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    journal::record(&mut c, RecordKind::Supplier, s.row.id, actor, now, JournalAction::Updated, &[change])
        .await?;
    tx.commit().await?;
    store::dispute(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)
}
