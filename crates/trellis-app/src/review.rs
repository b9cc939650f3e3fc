//! Reviews of agreements (8.3.3), of suppliers' performance (8.3.4) and of services with a
//! customer (8.3.2). Each is planned, then held with an outcome and actions; adding or recording
//! one is journalled on the record reviewed.

use crate::platform::RecordHandle;
use crate::record;
use crate::{Actor, App, AppError, journal};
use trellis_domain::access::Action;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::record::RecordKind;
use trellis_domain::review::{ReviewInput, ReviewSpec, validate_review};
use trellis_domain::validation::ValidationErrors;
use trellis_store::micros;
use trellis_store::review::{self as store, ReviewRow, ReviewView};
use uuid::Uuid;

/// The kinds that are reviewed; anything else has no reviews.
fn check_kind(kind: RecordKind) -> Result<(), AppError> {
    match kind {
        RecordKind::Agreement | RecordKind::Supplier | RecordKind::Service => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

pub async fn list(app: &App, actor: &Actor, on: &RecordHandle) -> Result<Vec<ReviewView>, AppError> {
    check_kind(on.kind)?;
    actor.require(Action::AgreementRead)?;
    Ok(store::of_record(&mut app.db.read(), on.id).await?)
}

/// Checks a review of `on`: supplier reviews carry a rating, service reviews name a customer
/// who receives the service.
async fn checked(
    app: &App,
    on: &RecordHandle,
    input: &ReviewInput,
    customer_id: Option<Uuid>,
) -> Result<ReviewSpec, AppError> {
    let mut errors = ValidationErrors::default();
    let today = app.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let spec = validate_review(&mut errors, input, today, on.kind == RecordKind::Supplier);
    match (on.kind, customer_id) {
        (RecordKind::Service, Some(cu)) => {
            if !trellis_store::service::receives(&mut app.db.read(), on.id, cu).await? {
                errors.add("customer_id", "the customer does not receive this service");
            }
        }
        (RecordKind::Service, None) => errors.add("customer_id", "a service review is held with a customer"),
        (_, Some(_)) => errors.add("customer_id", "only service reviews name a customer"),
        (_, None) => {}
    }
    errors.into_result()?;
    spec.ok_or_else(|| AppError::Internal("validated review".into()))
}

/// The review as its journal line reads: "planned 2026-12-01", "held 2026-12-01 (rating 4/5)".
fn summary(r: &ReviewRow) -> String {
    let mut line = match &r.held_on {
        Some(h) => format!("held {h}"),
        None => format!("planned {}", r.scheduled_on),
    };
    if let Some(rating) = r.rating {
        line.push_str(&format!(" (rating {rating}/5)"));
    }
    line
}

fn write(row: &mut ReviewRow, spec: ReviewSpec, customer_id: Option<Uuid>) {
    row.customer_id = customer_id;
    row.scheduled_on = spec.scheduled_on.to_string();
    row.held_on = spec.held_on.map(|d| d.to_string());
    row.outcome = spec.outcome;
    row.actions = spec.actions;
    row.rating = spec.rating;
}

pub async fn add(
    app: &App,
    actor: &Actor,
    on: &RecordHandle,
    customer_id: Option<Uuid>,
    input: ReviewInput,
) -> Result<ReviewView, AppError> {
    check_kind(on.kind)?;
    actor.require(Action::AgreementManage)?;
    let spec = checked(app, on, &input, customer_id).await?;
    let now = app.now();
    let mut row = ReviewRow {
        id: Uuid::now_v7(),
        record_kind: on.kind.as_str().into(),
        record_id: on.id,
        customer_id: None,
        scheduled_on: String::new(),
        held_on: None,
        outcome: String::new(),
        actions: String::new(),
        rating: None,
        created_by: actor.journal_id(),
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    write(&mut row, spec, customer_id);
    let change = Change::new("review", (), summary(&row));
    let mut tx = app.db.begin().await?;
    journal::record_with(
        &mut tx.conn(),
        vec![store::insert(&row)],
        on.kind,
        on.id,
        actor,
        now,
        JournalAction::Updated,
        &[change],
    )
    .await?;
    tx.commit().await?;
    store::get(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)
}

/// Replaces a review's fields (for example to record that it was held, with its outcome).
pub async fn update(
    app: &App,
    actor: &Actor,
    on: &RecordHandle,
    review_id: Uuid,
    expected_version: i64,
    customer_id: Option<Uuid>,
    input: ReviewInput,
) -> Result<ReviewView, AppError> {
    check_kind(on.kind)?;
    actor.require(Action::AgreementManage)?;
    let current = store::get(&mut app.db.read(), review_id).await?;
    let current = current.filter(|r| r.row.record_id == on.id).ok_or(AppError::NotFound)?;
    record::expect_version(current.row.version, Some(expected_version))?;
    let spec = checked(app, on, &input, customer_id).await?;
    let now = app.now();
    let mut row = current.row.clone();
    write(&mut row, spec, customer_id);
    row.version = expected_version + 1;
    row.updated_at = micros(now);
    let change = Change::new("review", summary(&current.row), summary(&row));
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = c.execute(store::update(&row, expected_version)).await? == 1;
    if !saved {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    journal::record(&mut c, on.kind, on.id, actor, now, JournalAction::Updated, &[change]).await?;
    tx.commit().await?;
    store::get(&mut app.db.read(), row.id).await?.ok_or(AppError::NotFound)
}
