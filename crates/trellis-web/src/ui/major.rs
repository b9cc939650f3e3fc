//! The escalation and major-incident parts of the incident page, and their forms.

use super::record::detail_again;
use super::{UiActor, UiResult, opt_uuid, short_time};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use trellis_app::major as app;
use trellis_app::views::IncidentView;
use trellis_app::{Actor, AppError, identity};
use trellis_domain::access::{Action, Role};
use trellis_domain::incident::{Audience, Channel, IncidentStatus};
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

pub struct Communication {
    pub at: String,
    pub audience: &'static str,
    pub channel: &'static str,
    pub author: String,
    pub message: String,
}

pub struct Review {
    pub summary: String,
    pub cause: String,
    pub went_well: String,
    pub went_wrong: String,
    pub actions: String,
    pub by: String,
    pub at: String,
    pub version: i64,
}

/// What the incident page shows of escalation and major-incident handling.
pub struct Panel {
    pub open: bool,
    pub staff: bool,
    pub escalation_level: i64,
    pub reassignments: i64,
    pub can_escalate: bool,
    /// `(declared at, manager)` once declared.
    pub major: Option<(String, String)>,
    /// Managers and administrators who may run a major incident (for the declare form).
    pub managers: Vec<(Uuid, String)>,
    pub communications: Vec<Communication>,
    pub audiences: Vec<(&'static str, &'static str)>,
    pub channels: Vec<(&'static str, &'static str)>,
    pub review: Option<Review>,
    /// The review form shows once the incident is resolved, to managers.
    pub can_review: bool,
    /// "Raise a problem" from this incident.
    pub can_raise_problem: bool,
    /// The customer is asked to confirm the resolution.
    pub can_confirm: bool,
}

pub async fn panel(s: &AppState, actor: &Actor, v: &IncidentView) -> Result<Panel, AppError> {
    let status = IncidentStatus::parse(&v.row.status).unwrap_or(IncidentStatus::New);
    let key = v.row.reference.as_str();
    let can_escalate = actor.may(Action::IncidentEscalate);
    let managers = if can_escalate && v.row.major_declared_at.is_none() && status.is_open() {
        identity::list_users(&s.app, actor)
            .await?
            .into_iter()
            .filter(|u| u.active && matches!(Role::parse(&u.role), Some(Role::Manager | Role::Admin)))
            .map(|u| (u.id, u.display_name))
            .collect()
    } else {
        Vec::new()
    };
    let major =
        v.row.major_declared_at.map(|at| (short_time(at), v.major_manager_name.clone().unwrap_or_default()));
    let (communications, review) = if major.is_some() {
        let comms = app::communications(&s.app, actor, key)
            .await?
            .into_iter()
            .map(|c| Communication {
                at: short_time(c.row.sent_at),
                audience: Audience::parse(&c.row.audience).map_or("", Audience::label),
                channel: Channel::parse(&c.row.channel).map_or("", Channel::label),
                author: c.author_name.unwrap_or_default(),
                message: c.row.message,
            })
            .collect();
        let review =
            if !actor.may(Action::InternalRead) { None } else { app::review(&s.app, actor, key).await? };
        let review = review.map(|r| Review {
            summary: r.row.summary,
            cause: r.row.cause,
            went_well: r.row.went_well,
            went_wrong: r.row.went_wrong,
            actions: r.row.actions,
            by: r.reviewer_name.unwrap_or_default(),
            at: short_time(r.row.reviewed_at),
            version: r.row.version,
        });
        (comms, review)
    } else {
        (Vec::new(), None)
    };
    Ok(Panel {
        open: status.is_open(),
        staff: actor.role.is_staff(),
        escalation_level: v.row.escalation_level,
        reassignments: v.row.reassignments,
        can_escalate,
        can_raise_problem: actor.may(Action::ProblemManage),
        can_confirm: status == IncidentStatus::Resolved
            && !actor.role.is_staff()
            && actor.may(Action::IncidentConfirm),
        can_review: major.is_some()
            && status == IncidentStatus::Resolved
            && actor.may(Action::MajorIncidentReview),
        major,
        managers,
        communications,
        audiences: Audience::ALL.iter().map(|a| (a.as_str(), a.label())).collect(),
        channels: Channel::ALL.iter().map(|c| (c.as_str(), c.label())).collect(),
        review,
    })
}

fn back(key: &str) -> UiResult {
    Ok(Redirect::to(&format!("/incidents/{key}")).into_response())
}

async fn done<T>(s: &AppState, actor: &Actor, key: &str, r: Result<T, AppError>) -> UiResult {
    match r {
        Ok(_) => back(key),
        Err(e) => detail_again(s, actor, RecordKind::Incident, key, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct EscalateForm {
    #[serde(default)]
    reason: String,
    version: Option<i64>,
}

pub async fn escalate(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<EscalateForm>,
) -> UiResult {
    let r = app::escalate(&s.app, &actor, &key, &f.reason, f.version).await;
    done(&s, &actor, &key, r).await
}

#[derive(Debug, Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    reason: String,
    version: Option<i64>,
}

pub async fn declare(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<DeclareForm>,
) -> UiResult {
    let r = match opt_uuid(&f.manager_id) {
        Ok(manager) => app::declare(&s.app, &actor, &key, manager, &f.reason, f.version).await,
        Err(_) => Err(ValidationErrors::single("manager_id", "is not a valid choice").into()),
    };
    done(&s, &actor, &key, r).await
}

#[derive(Debug, Deserialize)]
pub struct CommunicationForm {
    #[serde(default)]
    audience: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    message: String,
}

pub async fn communicate(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<CommunicationForm>,
) -> UiResult {
    let new = app::NewCommunication { audience: f.audience, channel: f.channel, message: f.message };
    let r = app::communicate(&s.app, &actor, &key, new).await;
    done(&s, &actor, &key, r).await
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    went_well: String,
    #[serde(default)]
    went_wrong: String,
    #[serde(default)]
    actions: String,
    version: Option<i64>,
}

pub async fn review(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ReviewForm>,
) -> UiResult {
    let input = app::ReviewInput {
        summary: f.summary,
        cause: f.cause,
        went_well: f.went_well,
        went_wrong: f.went_wrong,
        actions: f.actions,
    };
    let r = app::record_review(&s.app, &actor, &key, input, f.version).await;
    done(&s, &actor, &key, r).await
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    fixed: String,
    #[serde(default)]
    comment: String,
    version: Option<i64>,
}

/// The customer's answer to a resolution, from the portal.
pub async fn confirm(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> UiResult {
    let r =
        trellis_app::incident::confirm(&s.app, &actor, &key, f.fixed == "yes", &f.comment, f.version).await;
    done(&s, &actor, &key, r).await
}
