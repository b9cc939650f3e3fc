//! The surveys page: customers answer theirs; staff see scores per service and customer, the
//! latest answers, and send a survey round.

use super::{FormErrors, Nav, UiActor, UiResult, customer_choices, form_uuid, render};
use crate::api::surveys::{Score, score_dto};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::views::ServiceFilter;
use trellis_app::{Actor, AppError, service, survey as app};
use trellis_domain::access::Action;
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

pub struct SurveyItem {
    pub id: String,
    pub about: String,
    pub customer: String,
    pub asked: String,
    pub sent: String,
    pub score: Option<i64>,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct Page {
    nav: Option<Nav>,
    is_staff: bool,
    can_send: bool,
    open: Vec<SurveyItem>,
    answered: Vec<SurveyItem>,
    by_service: Vec<Score>,
    by_customer: Vec<Score>,
    customers: Vec<(String, String)>,
    services: Vec<(String, String)>,
    errors: FormErrors,
    sent: Option<usize>,
    /// Nothing chosen yet in the round form.
    none: String,
    /// Customer, every how many days, next round.
    schedules: Vec<(String, i64, String)>,
}

async fn page(
    s: &AppState,
    actor: &Actor,
    errors: FormErrors,
    sent: Option<usize>,
) -> Result<Page, AppError> {
    let all = app::list(&s.app, actor, false).await?;
    let item = |v: &trellis_app::views::SurveyView| SurveyItem {
        id: v.row.id.to_string(),
        about: match (&v.row.record_ref, &v.service_name) {
            (Some(r), _) => format!("Ticket {r}"),
            (None, Some(svc)) => svc.clone(),
            (None, None) => "Our service overall".into(),
        },
        customer: v.customer_name.clone(),
        asked: v.user_name.clone(),
        sent: super::short_time(v.row.sent_at),
        score: v.row.score,
        comment: v.row.comment.clone(),
    };
    let is_staff = actor.role.is_staff();
    let (by_service, by_customer) =
        if is_staff { app::scores(&s.app, actor).await? } else { (Vec::new(), Vec::new()) };
    let can_send = actor.may(Action::AgreementManage);
    let services = if can_send {
        let (rows, _) =
            service::list(&s.app, actor, ServiceFilter { limit: 500, ..ServiceFilter::default() }).await?;
        rows.into_iter()
            .map(|v| (v.row.id.to_string(), format!("{} {}", v.row.reference, v.row.name)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Page {
        nav: Nav::new(actor, "surveys"),
        is_staff,
        can_send,
        // Staff see who has not answered yet; a customer user sees what they still can answer.
        open: all.iter().filter(|v| v.row.answered_at.is_none()).take(100).map(item).collect(),
        answered: all.iter().filter(|v| v.row.answered_at.is_some()).take(100).map(item).collect(),
        by_service: by_service.into_iter().map(score_dto).collect(),
        by_customer: by_customer.into_iter().map(score_dto).collect(),
        customers: if can_send {
            customer_choices(s, actor).await?.into_iter().map(|(id, n)| (id.to_string(), n)).collect()
        } else {
            Vec::new()
        },
        services,
        errors,
        sent,
        none: String::new(),
        schedules: if is_staff {
            app::schedules(&s.app, actor)
                .await?
                .into_iter()
                .map(|v| (v.customer_name, v.row.every_days, super::short_time(v.row.next_round_at)))
                .collect()
        } else {
            Vec::new()
        },
    })
}

pub async fn show(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&page(&s, &actor, FormErrors::default(), None).await?))
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    score: Option<i64>,
    #[serde(default)]
    comment: String,
}

pub async fn answer(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    match app::answer(&s.app, &actor, id, f.score, &f.comment).await {
        Ok(_) => Ok(Redirect::to("/surveys").into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "survey")?;
            Ok((status, render(&page(&s, &actor, errors, None).await?)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RoundForm {
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    service_id: String,
}

pub async fn send(State(s): State<AppState>, UiActor(actor): UiActor, Form(f): Form<RoundForm>) -> UiResult {
    let mut errors = Vec::new();
    let customer_id = form_uuid(&mut errors, "customer_id", &f.customer_id);
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let result = if errors.is_empty() {
        app::send_round(&s.app, &actor, customer_id, service_id).await
    } else {
        Err(ValidationErrors(errors).into())
    };
    match result {
        Ok(n) => Ok(render(&page(&s, &actor, FormErrors::default(), Some(n)).await?)),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "survey")?;
            Ok((status, render(&page(&s, &actor, errors, None).await?)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    every_days: String,
}

/// Sets or stops a customer's periodic survey rounds.
pub async fn schedule(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<ScheduleForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let customer_id = form_uuid(&mut errors, "schedule_customer_id", &f.customer_id);
    let every_days = match f.every_days.trim() {
        "" => None,
        t => {
            let d = t.parse::<i64>().ok();
            if d.is_none() {
                errors.push(trellis_domain::validation::FieldError {
                    field: "every_days".into(),
                    message: "must be a whole number of days".into(),
                });
            }
            d
        }
    };
    let result = match customer_id {
        _ if !errors.is_empty() => Err(ValidationErrors(errors).into()),
        None => Err(ValidationErrors::single("schedule_customer_id", "choose a customer").into()),
        Some(c) => app::schedule(&s.app, &actor, c, every_days).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to("/surveys").into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "survey")?;
            Ok((status, render(&page(&s, &actor, errors, None).await?)).into_response())
        }
    }
}
