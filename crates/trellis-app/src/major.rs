//! Escalation and major incidents (8.6.1). Hierarchical escalation by hand raises an incident's
//! escalation level and tells the managers of its team (functional escalation is reassignment
//! to another team, counted on the incident). A major incident is declared with a manager who
//! runs it; what is communicated about it is logged; and it cannot close until a manager has
//! recorded its review.

use crate::incident::write_change;
use crate::notify;
use crate::platform::resolve;
use crate::{Actor, App, AppError, journal};
use serde_json::json;
use sha2::{Digest, Sha256};
use trellis_domain::access::{Action, Role};
use trellis_domain::incident::{Audience, Channel, IncidentStatus};
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::lifecycle::parse_named;
use trellis_domain::notification::NotificationKind;
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use trellis_store::incident::{self as store, IncidentRow, IncidentView};
use trellis_store::major::{self as major_store, CommunicationRow, CommunicationView, ReviewRow, ReviewView};
use trellis_store::{Conn, identity, micros};
use uuid::Uuid;

const REASON_MAX: usize = 2_000;
const MESSAGE_MAX: usize = 10_000;
const REVIEW_FIELD_MAX: usize = 10_000;

/// Reads the incident for a change inside the transaction, checking the version when given.
async fn current(
    c: &mut Conn<'_>,
    id: Uuid,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let v = store::get_by_id(c, id).await?.ok_or(AppError::NotFound)?;
    if let Some(expected) = expected_version
        && expected != v.row.version
    {
        return Err(AppError::VersionMismatch { current: v.row.version });
    }
    Ok(v)
}

fn is_open(r: &IncidentRow) -> bool {
    IncidentStatus::parse(&r.status).is_some_and(IncidentStatus::is_open)
}

/// Escalates the incident to management: its level rises by one and the managers of its team
/// (every manager, when the team has none) are told why.
pub async fn escalate(
    app: &App,
    actor: &Actor,
    key: &str,
    reason: &str,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentEscalate)?;
    let mut errors = ValidationErrors::default();
    let reason = errors.required_text("reason", reason, REASON_MAX);
    errors.into_result()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let v = current(&mut c, h.id, expected_version).await?;
    if !is_open(&v.row) {
        return Err(AppError::conflict("incident.not_open", format!("{} is not open", v.row.reference)));
    }
    let mut next = v.row.clone();
    next.escalation_level += 1;
    let changes = vec![
        Change::new("escalation_level", v.row.escalation_level, next.escalation_level),
        Change::new("escalation_reason", (), &reason),
    ];
    write_change(&mut c, actor, now, &mut next, v.row.version, JournalAction::Updated, &changes).await?;
    let managers = notify::escalation_managers(&mut c, &next).await?;
    let extra = json!({"escalation": {"level": next.escalation_level, "reason": reason}});
    let (kind, event) = (NotificationKind::IncidentEscalated, format!("v{}", next.version));
    notify::tell(&mut c, app, actor, &next, kind, event, extra, &managers, now).await?;
    tx.commit().await?;
    reread(app, h.id).await
}

async fn reread(app: &App, id: Uuid) -> Result<IncidentView, AppError> {
    store::get_by_id(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)
}

/// Declares the incident major, with the manager who runs it (a manager or administrator);
/// every manager is told.
pub async fn declare(
    app: &App,
    actor: &Actor,
    key: &str,
    manager_id: Option<Uuid>,
    reason: &str,
    expected_version: Option<i64>,
) -> Result<IncidentView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentEscalate)?;
    let mut errors = ValidationErrors::default();
    let reason = errors.required_text("reason", reason, REASON_MAX);
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let manager = match manager_id {
        None => {
            errors.add("manager_id", "is required: who manages the major incident");
            None
        }
        Some(id) => match identity::get_user(&mut c, id).await? {
            Some(u) if u.active && matches!(Role::parse(&u.role), Some(Role::Manager | Role::Admin)) => {
                Some(u)
            }
            Some(_) => {
                errors.add("manager_id", "must be an active manager or administrator");
                None
            }
            None => {
                errors.add("manager_id", "no such user");
                None
            }
        },
    };
    errors.into_result()?;
    let Some(manager) = manager else { return Err(AppError::Internal("manager checked above".into())) };
    let v = current(&mut c, h.id, expected_version).await?;
    if v.row.major_declared_at.is_some() {
        return Err(AppError::conflict(
            "incident.already_major",
            format!("{} is already a major incident", v.row.reference),
        ));
    }
    if !is_open(&v.row) {
        return Err(AppError::conflict("incident.not_open", format!("{} is not open", v.row.reference)));
    }
    let mut next = v.row.clone();
    next.major_declared_at = Some(micros(now));
    next.major_manager_id = Some(manager.id);
    let changes = vec![
        Change::new("major", false, true),
        Change::new("major_manager_id", (), manager.id),
        Change::new("major_reason", (), &reason),
    ];
    write_change(&mut c, actor, now, &mut next, v.row.version, JournalAction::Updated, &changes).await?;
    let mut told = identity::active_users_with_role(&mut c, Role::Manager.as_str()).await?;
    told.push(manager.clone());
    let extra = json!({"major": {"manager": manager.display_name, "reason": reason}});
    let kind = NotificationKind::MajorIncidentDeclared;
    notify::tell(&mut c, app, actor, &next, kind, "declared".into(), extra, &told, now).await?;
    tx.commit().await?;
    reread(app, h.id).await
}

/// What to log as communicated about a major incident.
#[derive(Debug, Clone, Default)]
pub struct NewCommunication {
    pub audience: String,
    pub channel: String,
    pub message: String,
}

/// Logs a communication about a major incident. One for customers is also sent to the portal
/// users of the incident's customer (in-app and by mail).
pub async fn communicate(
    app: &App,
    actor: &Actor,
    key: &str,
    new: NewCommunication,
) -> Result<CommunicationView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::IncidentEscalate)?;
    let mut errors = ValidationErrors::default();
    let audience = parse_named::<Audience>(&mut errors, "audience", &new.audience);
    let channel = parse_named::<Channel>(&mut errors, "channel", &new.channel);
    let message = errors.required_text("message", &new.message, MESSAGE_MAX);
    errors.into_result()?;
    let (Some(audience), Some(channel)) = (audience, channel) else {
        return Err(AppError::Internal("choices checked above".into()));
    };
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let v = current(&mut c, h.id, None).await?;
    if v.row.major_declared_at.is_none() {
        return Err(AppError::conflict(
            "incident.not_major",
            format!("{} is not a major incident; declare it first", v.row.reference),
        ));
    }
    let row = CommunicationRow {
        id: Uuid::now_v7(),
        incident_id: v.row.id,
        audience: audience.as_str().into(),
        channel: channel.as_str().into(),
        message,
        author_id: actor.journal_id(),
        sent_at: micros(now),
    };
    let digest = hex::encode(Sha256::digest(row.message.as_bytes()));
    let change = Change::new(
        "communication",
        (),
        json!({"id": row.id, "audience": row.audience, "channel": row.channel, "sha256": digest}),
    );
    journal::record_with(
        &mut c,
        vec![major_store::insert_communication(&row)],
        RecordKind::Incident,
        v.row.id,
        actor,
        now,
        JournalAction::Commented,
        &[change],
    )
    .await?;
    if audience == Audience::Customers
        && let Some(customer) = v.row.customer_id
    {
        let users = identity::list_users(&mut c, Some(customer)).await?;
        let extra = json!({"message": row.message});
        let (kind, event) = (NotificationKind::MajorIncidentUpdate, row.id.to_string());
        notify::tell(&mut c, app, actor, &v.row, kind, event, extra, &users, now).await?;
    }
    tx.commit().await?;
    Ok(CommunicationView { row, author_name: Some(actor.display_name.clone()) })
}

/// The communication log: all of it for staff, what was sent to customers for a customer user.
pub async fn communications(app: &App, actor: &Actor, key: &str) -> Result<Vec<CommunicationView>, AppError> {
    let v = crate::incident::get(app, actor, key).await?;
    let only = (!actor.role.is_staff()).then_some(Audience::Customers.as_str());
    Ok(major_store::communications(&mut app.db.read(), v.row.id, only).await?)
}

/// The review of a major incident.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub summary: String,
    pub cause: String,
    pub went_well: String,
    pub went_wrong: String,
    pub actions: String,
}

/// Records (or corrects) the review of a major incident once it is resolved; managers only.
pub async fn record_review(
    app: &App,
    actor: &Actor,
    key: &str,
    input: ReviewInput,
    expected_version: Option<i64>,
) -> Result<ReviewView, AppError> {
    let h = resolve(app, actor, RecordKind::Incident, key).await?;
    actor.require(Action::MajorIncidentReview)?;
    let mut errors = ValidationErrors::default();
    let row = ReviewRow {
        incident_id: h.id,
        summary: errors.required_text("summary", &input.summary, REVIEW_FIELD_MAX),
        cause: errors.required_text("cause", &input.cause, REVIEW_FIELD_MAX),
        went_well: errors.text("went_well", input.went_well.trim(), REVIEW_FIELD_MAX),
        went_wrong: errors.text("went_wrong", input.went_wrong.trim(), REVIEW_FIELD_MAX),
        actions: errors.text("actions", input.actions.trim(), REVIEW_FIELD_MAX),
        reviewer_id: actor.journal_id(),
        reviewed_at: micros(app.now()),
        version: 0,
    };
    errors.into_result()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let v = current(&mut c, h.id, None).await?;
    if v.row.major_declared_at.is_none() {
        return Err(AppError::conflict(
            "incident.not_major",
            format!("{} is not a major incident", v.row.reference),
        ));
    }
    if v.row.status != IncidentStatus::Resolved.as_str() {
        return Err(AppError::conflict(
            "incident.review_too_early",
            format!("{} is reviewed once it is resolved (it is {})", v.row.reference, v.row.status),
        ));
    }
    // 0 while none is recorded; the caller's version, when sent, must be the stored one.
    let stored = major_store::review(&mut c, v.row.id).await?.map_or(0, |r| r.row.version);
    if expected_version.is_some_and(|e| e != stored) {
        return Err(AppError::VersionMismatch { current: stored });
    }
    let row = ReviewRow { version: stored + 1, ..row };
    let text = [&row.summary, &row.cause, &row.went_well, &row.went_wrong, &row.actions]
        .map(String::as_str)
        .join("\n\u{1e}\n");
    let change =
        Change::new("major_review", (), json!({"sha256": hex::encode(Sha256::digest(text.as_bytes()))}));
    if c.execute(major_store::write_review(&row)).await? != 1 {
        let now_current = major_store::review(&mut c, v.row.id).await?.map_or(0, |r| r.row.version);
        return Err(AppError::VersionMismatch { current: now_current });
    }
    journal::record(&mut c, RecordKind::Incident, v.row.id, actor, now, JournalAction::Updated, &[change])
        .await?;
    tx.commit().await?;
    major_store::review(&mut app.db.read(), h.id).await?.ok_or(AppError::NotFound)
}

/// The review: the provider's own account (cause, what went wrong), for staff and auditors.
pub async fn review(app: &App, actor: &Actor, key: &str) -> Result<Option<ReviewView>, AppError> {
    let v = crate::incident::get(app, actor, key).await?;
    actor.require(Action::InternalRead)?;
    Ok(major_store::review(&mut app.db.read(), v.row.id).await?)
}

/// A major incident closes only with a review recorded since its last resolution (a reopened
/// and resolved-again incident is reviewed again).
pub(crate) async fn require_review(c: &mut Conn<'_>, r: &IncidentRow) -> Result<(), AppError> {
    let review = major_store::review(c, r.id).await?;
    if review.is_none_or(|v| r.resolved_at.is_some_and(|resolved| v.row.reviewed_at < resolved)) {
        return Err(AppError::conflict(
            "incident.major_review_required",
            format!("{} is a major incident: record its review before closing it", r.reference),
        ));
    }
    Ok(())
}
