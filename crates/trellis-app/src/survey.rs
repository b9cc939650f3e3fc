//! Customer-satisfaction surveys (8.3.2): asked of the customer user who reported a ticket when
//! it is resolved, and sent about a service to a customer's users when a manager runs a survey
//! round. Scores (1–5) are reported per service and per customer.

use crate::{Actor, App, AppError};
use trellis_domain::access::{Action, Role};
use trellis_domain::validation::ValidationErrors;
use trellis_store::incident::IncidentRow;
use trellis_store::survey::{self as store, ScheduleRow, ScheduleView, ScoreRow, SurveyRow, SurveyView};
use trellis_store::{Conn, identity, micros};
use uuid::Uuid;

pub const COMMENT_MAX: usize = 5_000;

/// When a ticket is resolved: asks its reporter, if they are a portal user of the ticket's
/// customer, how it went (once per ticket, even if it is reopened and resolved again).
pub(crate) async fn on_resolved(c: &mut Conn<'_>, incident: &IncidentRow, now: i64) -> Result<(), AppError> {
    let (Some(customer), Some(reporter)) = (incident.customer_id, incident.created_by) else { return Ok(()) };
    let Some(user) = identity::get_user(c, reporter).await? else { return Ok(()) };
    let is_portal_user =
        Role::parse(&user.role) == Some(Role::Customer) && user.customer_id == Some(customer);
    if !is_portal_user || !user.active || store::exists_for_record(c, incident.id).await? {
        return Ok(());
    }
    let row = SurveyRow {
        id: Uuid::now_v7(),
        customer_id: customer,
        service_id: None,
        user_id: user.id,
        reason: "ticket_resolved".into(),
        record_id: Some(incident.id),
        record_ref: Some(incident.reference.clone()),
        sent_at: now,
        answered_at: None,
        score: None,
        comment: String::new(),
    };
    c.execute(store::insert(&row)).await?;
    Ok(())
}

/// A survey round: asks every active portal user of `customer_id` about `service_id` (or the
/// service as a whole when none). Returns how many were sent.
pub async fn send_round(
    app: &App,
    actor: &Actor,
    customer_id: Option<Uuid>,
    service_id: Option<Uuid>,
) -> Result<usize, AppError> {
    actor.require(Action::AgreementManage)?;
    let mut errors = ValidationErrors::default();
    let mut c = app.db.read();
    let Some(customer_id) = customer_id else {
        return Err(ValidationErrors::single("customer_id", "is required").into());
    };
    if identity::get_customer(&mut c, customer_id).await?.is_none() {
        errors.add("customer_id", "no such customer");
    } else if let Some(s) = service_id
        && !trellis_store::service::receives(&mut c, s, customer_id).await?
    {
        errors.add("service_id", "the customer does not receive this service");
    }
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    let sent = insert_round(&mut tx.conn(), customer_id, service_id, micros(app.now())).await?;
    if sent == 0 {
        return Err(ValidationErrors::single("customer_id", "the customer has no portal users to ask").into());
    }
    tx.commit().await?;
    Ok(sent)
}

/// Asks every active portal user of the customer; returns how many.
async fn insert_round(
    c: &mut Conn<'_>,
    customer_id: Uuid,
    service_id: Option<Uuid>,
    now: i64,
) -> Result<usize, AppError> {
    let users: Vec<Uuid> = identity::list_users(c, Some(customer_id))
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| u.id)
        .collect();
    let statements: Vec<_> = users
        .iter()
        .map(|u| {
            store::insert(&SurveyRow {
                id: Uuid::now_v7(),
                customer_id,
                service_id,
                user_id: *u,
                reason: "periodic".into(),
                record_id: None,
                record_ref: None,
                sent_at: now,
                answered_at: None,
                score: None,
                comment: String::new(),
            })
        })
        .collect();
    c.execute_batch(statements).await?;
    Ok(users.len())
}

/// The longest interval between periodic rounds.
pub const EVERY_DAYS_MAX: i64 = 366;
const DAY_MICROS: i64 = 86_400_000_000;

/// Asks a customer's portal users every `every_days` days, the first round at once; `None` stops.
pub async fn schedule(
    app: &App,
    actor: &Actor,
    customer_id: Uuid,
    every_days: Option<i64>,
) -> Result<(), AppError> {
    actor.require(Action::AgreementManage)?;
    if identity::get_customer(&mut app.db.read(), customer_id).await?.is_none() {
        return Err(ValidationErrors::single("customer_id", "no such customer").into());
    }
    if every_days.is_some_and(|d| !(7..=EVERY_DAYS_MAX).contains(&d)) {
        return Err(ValidationErrors::single(
            "every_days",
            format!("must be from 7 to {EVERY_DAYS_MAX} days"),
        )
        .into());
    }
    let mut tx = app.db.begin().await?;
    match every_days {
        None => store::clear_schedule(&mut tx.conn(), customer_id).await?,
        Some(d) => {
            let row = ScheduleRow { customer_id, every_days: d, next_round_at: micros(app.now()) };
            store::set_schedule(&mut tx.conn(), &row).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn schedules(app: &App, actor: &Actor) -> Result<Vec<ScheduleView>, AppError> {
    actor.require(Action::AgreementRead)?;
    Ok(store::schedules(&mut app.db.read()).await?)
}

/// Sends every periodic round that is due (the server runs this every few minutes). Each round
/// is claimed in the transaction that sends it, so several processes never send one twice.
pub async fn send_due_rounds(app: &App) -> Result<usize, AppError> {
    let now = micros(app.now());
    let mut sent = 0;
    for due in store::due_schedules(&mut app.db.read(), now).await? {
        // The next round counts from now: a server that was down sends one round, not a backlog.
        let next = now + due.every_days * DAY_MICROS;
        let mut tx = app.db.begin().await?;
        let mut c = tx.conn();
        if store::claim_round(&mut c, &due, next).await? {
            sent += insert_round(&mut c, due.customer_id, None, now).await?;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// A customer user's own surveys; staff who read agreements see every survey.
pub async fn list(app: &App, actor: &Actor, only_open: bool) -> Result<Vec<SurveyView>, AppError> {
    let mine = if actor.role == Role::Customer {
        Some(actor.user_id)
    } else {
        actor.require(Action::AgreementRead)?;
        None
    };
    Ok(store::list(&mut app.db.read(), mine, only_open).await?)
}

/// The person asked answers, once.
pub async fn answer(
    app: &App,
    actor: &Actor,
    id: Uuid,
    score: Option<i64>,
    comment: &str,
) -> Result<SurveyView, AppError> {
    let mut c = app.db.read();
    let survey =
        store::get(&mut c, id).await?.filter(|s| s.row.user_id == actor.user_id).ok_or(AppError::NotFound)?;
    if survey.row.answered_at.is_some() {
        return Err(AppError::conflict("survey.answered", "this survey has been answered"));
    }
    let mut errors = ValidationErrors::default();
    let comment = errors.text("comment", comment.trim(), COMMENT_MAX);
    let score = match score {
        Some(s) if (1..=5).contains(&s) => s,
        _ => {
            errors.add("score", "choose a score from 1 (very unhappy) to 5 (very happy)");
            0
        }
    };
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    if !store::answer(&mut tx.conn(), id, micros(app.now()), score, &comment).await? {
        return Err(AppError::conflict("survey.answered", "this survey has been answered"));
    }
    tx.commit().await?;
    store::get(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)
}

/// Scores per service (surveys about no particular service count under none) and per customer.
pub async fn scores(app: &App, actor: &Actor) -> Result<(Vec<ScoreRow>, Vec<ScoreRow>), AppError> {
    actor.require(Action::AgreementRead)?;
    let mut c = app.db.read();
    Ok((store::scores_by_service(&mut c).await?, store::scores_by_customer(&mut c).await?))
}
