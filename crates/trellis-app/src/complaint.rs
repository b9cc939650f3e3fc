//! Complaints: lodged by customers (on the portal) or by staff on their behalf, investigated,
//! acted on and closed with an outcome. Customer users see their own organisation's only.

use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, journal};
use trellis_domain::access::Action;
use trellis_domain::complaint::{ComplaintStatus, TEXT_MAX, TITLE_MAX, ready_for};
use trellis_domain::journal::JournalAction;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::validation::ValidationErrors;
use trellis_store::complaint::{self as store, ComplaintCount, ComplaintRow, ComplaintView, Filter};
use trellis_store::{Conn, micros, refs};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewComplaint {
    pub title: String,
    pub description: String,
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
}

/// A complaint about a service must come from a customer who receives it.
async fn check_service(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    service_id: Option<Uuid>,
    customer_id: Option<Uuid>,
) -> Result<(), AppError> {
    let (Some(s), Some(cu)) = (service_id, customer_id) else { return Ok(()) };
    if !trellis_store::service::receives(c, s, cu).await? {
        errors.add("service_id", "the customer does not receive this service");
    }
    Ok(())
}

pub async fn create(app: &App, actor: &Actor, new: NewComplaint) -> Result<ComplaintView, AppError> {
    actor.require(Action::ComplaintCreate)?;
    let mut errors = ValidationErrors::default();
    let title = errors.required_line("title", &new.title, TITLE_MAX);
    let description = errors.text("description", &new.description, TEXT_MAX);
    let customer_id = if actor.role.is_staff() {
        new.customer_id
    } else {
        match (new.customer_id, actor.customer_id) {
            (Some(given), Some(mine)) if given != mine => {
                errors.add("customer_id", "you can only complain for your own organisation");
                Some(mine)
            }
            (_, mine) => mine,
        }
    };
    let mut c = app.db.read();
    match customer_id {
        None => errors.add("customer_id", "is required"),
        Some(_) => record::check_customer(&mut c, &mut errors, "customer_id", customer_id).await?,
    }
    check_service(&mut c, &mut errors, new.service_id, customer_id).await?;
    errors.into_result()?;
    let customer_id = customer_id.ok_or_else(|| AppError::Internal("validated customer".into()))?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let row = ComplaintRow {
        id: Uuid::now_v7(),
        reference: refs::next_reference(&mut c, RecordKind::Complaint).await?,
        title,
        description,
        status: ComplaintStatus::Received.as_str().into(),
        customer_id,
        service_id: new.service_id,
        owner_id: None,
        outcome: String::new(),
        escalated: false,
        created_by: actor.journal_id(),
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let mut changes = Changes::default();
    changes.initial("ref", &row.reference);
    changes.initial("title", &row.title);
    changes.initial("description", &row.description);
    changes.initial("status", &row.status);
    changes.initial("customer_id", row.customer_id);
    changes.initial("service_id", row.service_id);
    let kind = RecordKind::Complaint;
    journal::record_with(
        &mut c,
        vec![store::insert(&row)],
        kind,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    tx.commit().await?;
    get(app, actor, &row.id.to_string()).await
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<ComplaintView, AppError> {
    actor.require(Action::ComplaintRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let found = store::get(&mut app.db.read(), &key).await?;
    found.filter(|v| actor.sees_customer(Some(v.row.customer_id))).ok_or(AppError::NotFound)
}

pub fn handle_of(v: &ComplaintView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::Complaint,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.title.clone(),
        customer_id: Some(v.row.customer_id),
    }
}

pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
) -> Result<(Vec<ComplaintView>, Option<Uuid>), AppError> {
    actor.require(Action::ComplaintRead)?;
    if !actor.role.is_staff() {
        match actor.customer_id {
            Some(mine) if filter.customer_id.is_none_or(|c| c == mine) => filter.customer_id = Some(mine),
            _ => return Ok((Vec::new(), None)),
        }
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// Complaints per service and per customer (staff only: it spans customers).
pub async fn counts(
    app: &App,
    actor: &Actor,
) -> Result<(Vec<ComplaintCount>, Vec<ComplaintCount>), AppError> {
    actor.require(Action::ComplaintHandle)?;
    let mut c = app.db.read();
    Ok((store::counts_by_service(&mut c).await?, store::counts_by_customer(&mut c).await?))
}

/// Changes by the people handling a complaint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ComplaintPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub service_id: Option<Option<Uuid>>,
    pub owner_id: Option<Option<Uuid>>,
    pub outcome: Option<String>,
    pub escalated: Option<bool>,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    patch: ComplaintPatch,
) -> Result<ComplaintView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ComplaintHandle)?;
    let r0 = &current.row;
    record::expect_version(r0.version, Some(expected_version))?;
    if r0.status == ComplaintStatus::Closed.as_str() {
        // The outcome told to the customer is part of the record; a new concern is a new complaint.
        return Err(AppError::conflict("complaint.closed", "a closed complaint cannot be changed"));
    }
    let mut errors = ValidationErrors::default();
    let mut next = r0.clone();
    next.title = errors.required_line("title", patch.title.as_deref().unwrap_or(&r0.title), TITLE_MAX);
    next.description =
        errors.text("description", patch.description.as_deref().unwrap_or(&r0.description), TEXT_MAX);
    next.outcome = errors.text("outcome", patch.outcome.as_deref().unwrap_or(&r0.outcome), TEXT_MAX);
    next.service_id = patch.service_id.unwrap_or(r0.service_id);
    next.owner_id = patch.owner_id.unwrap_or(r0.owner_id);
    next.escalated = patch.escalated.unwrap_or(r0.escalated);
    let mut c = app.db.read();
    record::check_staff_user(&mut c, &mut errors, "owner_id", next.owner_id).await?;
    if next.service_id != r0.service_id {
        check_service(&mut c, &mut errors, next.service_id, Some(next.customer_id)).await?;
    }
    errors.into_result()?;
    let mut changes = Changes::default();
    changes.compare("title", &r0.title, &next.title);
    changes.compare("description", &r0.description, &next.description);
    changes.compare("service_id", r0.service_id, next.service_id);
    changes.compare("owner_id", r0.owner_id, next.owner_id);
    changes.compare("outcome", &r0.outcome, &next.outcome);
    changes.compare("escalated", r0.escalated, next.escalated);
    if changes.is_empty() {
        return Ok(current);
    }
    save(app, actor, next, expected_version, JournalAction::Updated, &changes).await
}

async fn save(
    app: &App,
    actor: &Actor,
    next: ComplaintRow,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<ComplaintView, AppError> {
    let id = record::save_version(app, actor, next, expected_version, action, changes).await?;
    get(app, actor, &id.to_string()).await
}

record::versioned!(ComplaintRow, RecordKind::Complaint, store::update);

pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<ComplaintView, AppError> {
    let current = get(app, actor, key).await?;
    actor.require(Action::ComplaintHandle)?;
    let to: ComplaintStatus = record::target_state(to)?;
    let changes = record::plan_move(&current.row.status, current.row.version, to, expected_version)?;
    ready_for(to, &current.row.outcome).map_err(|m| ValidationErrors::single("outcome", m))?;
    let mut next = current.row.clone();
    next.status = to.as_str().into();
    save(app, actor, next, current.row.version, JournalAction::Transitioned, &changes).await
}
