//! Complaint pages: list (with counts per service and customer for staff), lodge, detail, edit.

use super::record::{self, Platform};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, customer_choices, form_uuid, list_query, next_page_url,
    render, staff_choices,
};
use crate::api::complaints::{ComplaintQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::complaint::{self as app, ComplaintPatch, NewComplaint};
use trellis_app::views::{ComplaintCount, ComplaintView, ServiceFilter};
use trellis_app::{Actor, AppError, service};
use trellis_domain::access::Action;
use trellis_domain::complaint::ComplaintStatus;
use trellis_domain::validation::ValidationErrors;

pub struct Row {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub customer: String,
    pub service: String,
    pub owner: String,
    pub outcome: String,
    pub escalated: bool,
}

impl Row {
    fn of(v: &ComplaintView) -> Row {
        Row {
            reference: v.row.reference.clone(),
            title: v.row.title.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: ComplaintStatus::parse(&v.row.status).map_or("?", ComplaintStatus::label),
            customer: v.customer_name.clone(),
            service: v.service_name.clone().unwrap_or_else(|| "—".into()),
            owner: v.owner_name.clone().unwrap_or_else(|| "—".into()),
            outcome: v.row.outcome.clone(),
            escalated: v.row.escalated,
        }
    }
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    services: Vec<(String, String)>,
    customers: Vec<(String, String)>,
    q_status: String,
    q_service: String,
    q_customer: String,
    q_text: String,
    by_service: Vec<ComplaintCount>,
    by_customer: Vec<ComplaintCount>,
    is_staff: bool,
    next_url: Option<String>,
    error: Option<String>,
}

/// The services the actor may pick (customers: those their organisation receives).
pub(crate) async fn service_choices(s: &AppState, actor: &Actor) -> Result<Vec<(String, String)>, AppError> {
    let f = ServiceFilter { limit: 500, ..ServiceFilter::default() };
    let (rows, _) = service::list(&s.app, actor, f).await?;
    Ok(rows
        .into_iter()
        .map(|v| (v.row.id.to_string(), format!("{} {}", v.row.reference, v.row.name)))
        .collect())
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<ComplaintQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::ComplaintRead)?;
    let (q, error) = list_query(query);
    let ids =
        |v: Vec<(uuid::Uuid, String)>| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect::<Vec<_>>();
    let (by_service, by_customer) = if actor.may(Action::ComplaintHandle) {
        app::counts(&s.app, &actor).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let mut page = ListPage {
        nav: Nav::new(&actor, "complaints"),
        items: Vec::new(),
        statuses: choices::<ComplaintStatus>(),
        services: service_choices(&s, &actor).await?,
        customers: ids(customer_choices(&s, &actor).await?),
        q_status: q.status.clone().unwrap_or_default(),
        q_service: q.service.map(|x| x.to_string()).unwrap_or_default(),
        q_customer: q.customer.map(|x| x.to_string()).unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        by_service,
        by_customer,
        is_staff: actor.role.is_staff(),
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f).await?;
                page.items = rows.iter().map(Row::of).collect();
                let params = [
                    ("status", page.q_status.as_str()),
                    ("service", &page.q_service),
                    ("customer", &page.q_customer),
                    ("q", &page.q_text),
                ];
                page.next_url = next_page_url("/complaints", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = ComplaintStatus::parse(&v.row.status).unwrap_or(ComplaintStatus::Received);
    let handle = Action::ComplaintHandle;
    let p =
        record::platform(s, actor, &h, v.row.version, status, record::Rights::both(handle), message).await?;
    Ok(render(&DetailPage { nav: Nav::new(actor, "complaints"), i: Row::of(&v), p }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize, Default)]
pub struct ComplaintForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    outcome: String,
    escalated: Option<String>,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: ComplaintForm,
    errors: FormErrors,
    is_staff: bool,
    customers: Vec<(String, String)>,
    services: Vec<(String, String)>,
    owners: Vec<(String, String)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: ComplaintForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let ids =
        |v: Vec<(uuid::Uuid, String)>| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect::<Vec<_>>();
    Ok(FormPage {
        nav: Nav::new(actor, "complaints"),
        action: reference.as_ref().map_or_else(|| "/complaints".into(), |r| format!("/complaints/{r}/edit")),
        reference,
        is_staff: actor.role.is_staff(),
        customers: ids(customer_choices(s, actor).await?),
        services: service_choices(s, actor).await?,
        owners: ids(staff_choices(s, actor).await?),
        f,
        errors,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: ComplaintForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "complaint")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::ComplaintCreate)?;
    Ok(render(&form_page(&s, &actor, ComplaintForm::default(), None, FormErrors::default()).await?))
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<ComplaintForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let customer_id = form_uuid(&mut errors, "customer_id", &f.customer_id);
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let result = if errors.is_empty() {
        let new = NewComplaint {
            title: f.title.clone(),
            description: f.description.clone(),
            customer_id,
            service_id,
        };
        app::create(&s.app, &actor, new).await
    } else {
        Err(ValidationErrors(errors).into())
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/complaints/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::ComplaintHandle)?;
    let r = &v.row;
    let f = ComplaintForm {
        title: r.title.clone(),
        description: r.description.clone(),
        customer_id: r.customer_id.to_string(),
        service_id: r.service_id.map(|x| x.to_string()).unwrap_or_default(),
        owner_id: r.owner_id.map(|x| x.to_string()).unwrap_or_default(),
        outcome: r.outcome.clone(),
        escalated: r.escalated.then(|| "true".into()),
        version: Some(r.version),
    };
    Ok(render(&form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ComplaintForm>,
) -> UiResult {
    let current = app::get(&s.app, &actor, &key).await?;
    let reference = current.row.reference.clone();
    let mut errors = Vec::new();
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let owner_id = form_uuid(&mut errors, "owner_id", &f.owner_id);
    let result = match f.version {
        _ if !errors.is_empty() => Err(ValidationErrors(errors).into()),
        None => Err(ValidationErrors::single("version", "is required").into()),
        Some(version) => {
            let patch = ComplaintPatch {
                title: Some(f.title.clone()),
                description: Some(f.description.clone()),
                service_id: Some(service_id),
                owner_id: Some(owner_id),
                outcome: Some(f.outcome.clone()),
                escalated: Some(f.escalated.as_deref() == Some("true")),
            };
            app::update(&s.app, &actor, &key, version, patch).await
        }
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/complaints/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), e).await,
    }
}
