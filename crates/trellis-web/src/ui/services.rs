//! Service catalogue pages: list, detail (customers, impact, timeline), new and edit.

use super::record::{self, Platform};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, customer_choices, form_uuid, list_query, next_page_url,
    render, staff_choices,
};
use crate::api::services::{ServiceQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::service::{self as app, ServiceDetail, ServiceInput, ServicePatch};
use trellis_app::{Actor, AppError, impact};
use trellis_domain::access::Action;
use trellis_domain::impact::Direction;
use trellis_domain::record::RecordKind;
use trellis_domain::service::{Criticality, ServiceStatus};
use trellis_domain::validation::ValidationErrors;

pub struct Row {
    pub reference: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub criticality: &'static str,
    pub owner: String,
}

impl Row {
    fn of(v: &trellis_app::views::ServiceView) -> Row {
        Row {
            reference: v.row.reference.clone(),
            name: v.row.name.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: ServiceStatus::parse(&v.row.status).map_or("?", ServiceStatus::label),
            criticality: Criticality::parse(&v.row.criticality).map_or("?", Criticality::label),
            owner: v.owner_name.clone().unwrap_or_else(|| "—".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    criticalities: Vec<(String, String)>,
    q_status: String,
    q_criticality: String,
    q_text: String,
    can_create: bool,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<ServiceQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    let (q, error) = list_query(query);
    let mut page = ListPage {
        nav: Nav::new(&actor, "services"),
        items: Vec::new(),
        statuses: choices::<ServiceStatus>(),
        criticalities: choices::<Criticality>(),
        q_status: q.status.clone().unwrap_or_default(),
        q_criticality: q.criticality.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        can_create: actor.may(Action::ServiceManage),
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
                    ("criticality", &page.q_criticality),
                    ("q", &page.q_text),
                ];
                page.next_url = next_page_url("/services", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "service.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    customers: Vec<String>,
    is_staff: bool,
    impact: Option<Vec<(String, String, String)>>,
    affected_customers: Vec<(String, String)>,
    offerings: Vec<super::offerings::OfferingItem>,
    can_manage: bool,
    /// Service reviews with customers (staff who read agreements).
    reviews: Option<super::reviews::Reviews>,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let d = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&d.view);
    let status = ServiceStatus::parse(&d.view.row.status).unwrap_or(ServiceStatus::Pipeline);
    let p = record::platform(
        s,
        actor,
        &h,
        d.view.row.version,
        status,
        record::Rights::both(Action::ServiceManage),
        message,
    )
    .await?;
    // Who would be hit if this service failed: the records that need it and their customers.
    let (impact, affected_customers) = if actor.may(Action::ConfigurationRead) {
        let r =
            impact::analyse(&s.app, actor, RecordKind::Service, &h.reference, Direction::Dependents, None)
                .await?;
        let nodes =
            r.nodes.into_iter().map(|n| (record::href(n.kind, &n.reference), n.reference, n.name)).collect();
        let customers = r.customers.into_iter().map(|(_, name, svcs)| (name, svcs.join(", "))).collect();
        (Some(nodes), customers)
    } else {
        (None, Vec::new())
    };
    let reviews = if actor.may(Action::AgreementRead) {
        let receivers = d.customers.iter().map(|(id, name)| (id.to_string(), name.clone())).collect();
        Some(super::reviews::section(s, actor, &h, receivers).await?)
    } else {
        None
    };
    Ok(render(&DetailPage {
        nav: Nav::new(actor, "services"),
        reviews,
        i: Row::of(&d.view),
        customers: d.customers.into_iter().map(|c| c.1).collect(),
        is_staff: actor.role.is_staff(),
        impact,
        affected_customers,
        offerings: super::offerings::of_service(s, actor, &h.reference).await?,
        can_manage: actor.may(Action::ServiceManage),
        p,
    }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize, Default)]
pub struct ServiceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    criticality: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    customer_ids: Vec<String>,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "service_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: ServiceForm,
    errors: FormErrors,
    criticalities: Vec<(String, String)>,
    owners: Vec<(String, String)>,
    customers: Vec<(String, String, bool)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: ServiceForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let customers = customer_choices(s, actor)
        .await?
        .into_iter()
        .map(|(id, name)| {
            let id = id.to_string();
            let checked = f.customer_ids.contains(&id);
            (id, name, checked)
        })
        .collect();
    Ok(FormPage {
        nav: Nav::new(actor, "services"),
        action: reference.as_ref().map_or_else(|| "/services".into(), |r| format!("/services/{r}/edit")),
        reference,
        f,
        errors,
        criticalities: choices::<Criticality>(),
        owners: staff_choices(s, actor).await?.into_iter().map(|(id, n)| (id.to_string(), n)).collect(),
        customers,
    })
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::ServiceManage)?;
    let f = ServiceForm { criticality: "medium".into(), ..ServiceForm::default() };
    Ok(render(&form_page(&s, &actor, f, None, FormErrors::default()).await?))
}

/// The form's ids, or the form again naming the tampered field.
fn input_of(f: &ServiceForm) -> Result<ServiceInput, ValidationErrors> {
    let mut errors = Vec::new();
    let owner_id = form_uuid(&mut errors, "owner_id", &f.owner_id);
    let customer_ids =
        f.customer_ids.iter().filter_map(|c| form_uuid(&mut errors, "customer_ids", c)).collect();
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(ServiceInput {
        name: f.name.clone(),
        description: f.description.clone(),
        criticality: f.criticality.clone(),
        owner_id,
        customer_ids,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: ServiceForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "service")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<ServiceForm>,
) -> UiResult {
    let result = match input_of(&f) {
        Ok(input) => app::create(&s.app, &actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/services/{}", d.view.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let d: ServiceDetail = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::ServiceManage)?;
    let r = &d.view.row;
    let f = ServiceForm {
        name: r.name.clone(),
        description: r.description.clone(),
        criticality: r.criticality.clone(),
        owner_id: r.owner_id.map(|x| x.to_string()).unwrap_or_default(),
        customer_ids: d.customers.iter().map(|c| c.0.to_string()).collect(),
        version: Some(r.version),
    };
    Ok(render(&form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ServiceForm>,
) -> UiResult {
    let d = app::get(&s.app, &actor, &key).await?;
    let reference = d.view.row.reference.clone();
    let result = match (input_of(&f), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(version)) => {
            let patch = ServicePatch {
                name: Some(input.name),
                description: Some(input.description),
                criticality: Some(input.criticality),
                owner_id: Some(input.owner_id),
                customer_ids: Some(input.customer_ids),
            };
            app::update(&s.app, &actor, &key, version, patch).await
        }
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/services/{}", d.view.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), e).await,
    }
}
