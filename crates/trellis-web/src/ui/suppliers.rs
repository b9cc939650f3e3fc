//! Supplier pages: list, detail (contracts, performance reviews, timeline), new and edit.

use super::record::{self, Platform};
use super::reviews::{self, Reviews};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, form_uuid, list_query, next_page_url, render, staff_choices,
};
use crate::api::suppliers::{SupplierQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::supplier::{self as app, SupplierInput};
use trellis_app::views::{AgreementFilter, SupplierView};
use trellis_app::{Actor, AppError, agreement};
use trellis_domain::access::Action;
use trellis_domain::supplier::{SupplierStatus, SupplierType};
use trellis_domain::validation::ValidationErrors;

pub struct Row {
    pub reference: String,
    pub name: String,
    pub description: String,
    pub kind: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub contact: String,
    pub owner: String,
}

impl Row {
    fn of(v: &SupplierView) -> Row {
        let r = &v.row;
        Row {
            reference: r.reference.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            kind: SupplierType::parse(&r.supplier_type).map_or("?", SupplierType::label),
            status: r.status.clone(),
            status_label: SupplierStatus::parse(&r.status).map_or("?", SupplierStatus::label),
            contact: r.contact.clone(),
            owner: v.owner_name.clone().unwrap_or_else(|| "—".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "suppliers.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    q_status: String,
    q_text: String,
    can_create: bool,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<SupplierQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::AgreementRead)?;
    let (q, error) = list_query(query);
    let mut page = ListPage {
        nav: Nav::new(&actor, "suppliers"),
        items: Vec::new(),
        statuses: choices::<SupplierStatus>(),
        q_status: q.status.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        can_create: actor.may(Action::AgreementManage),
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f).await?;
                page.items = rows.iter().map(Row::of).collect();
                let params = [("status", page.q_status.as_str()), ("q", &page.q_text)];
                page.next_url = next_page_url("/suppliers", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "supplier.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    contracts: Vec<super::agreements::Row>,
    disputes: Vec<trellis_app::views::DisputeView>,
    r: Reviews,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = SupplierStatus::parse(&v.row.status).unwrap_or(SupplierStatus::Active);
    let rights = record::Rights::both(Action::AgreementManage);
    let p = record::platform(s, actor, &h, v.row.version, status, rights, message).await?;
    let f = AgreementFilter { supplier_id: Some(v.row.id), limit: 500, ..AgreementFilter::default() };
    let contracts =
        agreement::list(&s.app, actor, f).await?.0.iter().map(super::agreements::Row::of).collect();
    let r = reviews::section(s, actor, &h, Vec::new()).await?;
    let disputes = app::disputes(&s.app, actor, key).await?;
    Ok(render(&DetailPage { nav: Nav::new(actor, "suppliers"), i: Row::of(&v), contracts, disputes, r, p }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize, Default)]
pub struct SupplierForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    supplier_type: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    owner_id: String,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "supplier_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: SupplierForm,
    errors: FormErrors,
    types: Vec<(String, String)>,
    owners: Vec<(String, String)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: SupplierForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    Ok(FormPage {
        nav: Nav::new(actor, "suppliers"),
        action: reference.as_ref().map_or_else(|| "/suppliers".into(), |r| format!("/suppliers/{r}/edit")),
        reference,
        types: choices::<SupplierType>(),
        owners: staff_choices(s, actor).await?.into_iter().map(|(id, n)| (id.to_string(), n)).collect(),
        f,
        errors,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: SupplierForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "supplier")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::AgreementManage)?;
    let f = SupplierForm { supplier_type: SupplierType::External.as_str().into(), ..SupplierForm::default() };
    Ok(render(&form_page(&s, &actor, f, None, FormErrors::default()).await?))
}

fn input_of(f: &SupplierForm) -> Result<SupplierInput, ValidationErrors> {
    let mut errors = Vec::new();
    let owner_id = form_uuid(&mut errors, "owner_id", &f.owner_id);
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(SupplierInput {
        name: f.name.clone(),
        description: f.description.clone(),
        supplier_type: f.supplier_type.clone(),
        contact: f.contact.clone(),
        owner_id,
    })
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<SupplierForm>,
) -> UiResult {
    let result = match input_of(&f) {
        Ok(input) => app::create(&s.app, &actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/suppliers/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::AgreementManage)?;
    let r = &v.row;
    let f = SupplierForm {
        name: r.name.clone(),
        description: r.description.clone(),
        supplier_type: r.supplier_type.clone(),
        contact: r.contact.clone(),
        owner_id: r.owner_id.map(|x| x.to_string()).unwrap_or_default(),
        version: Some(r.version),
    };
    Ok(render(&form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<SupplierForm>,
) -> UiResult {
    let current = app::get(&s.app, &actor, &key).await?;
    let reference = current.row.reference.clone();
    let result = match (input_of(&f), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(version)) => app::update(&s.app, &actor, &key, version, input).await,
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/suppliers/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct DisputeForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    raised_on: String,
}

pub async fn raise_dispute(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<DisputeForm>,
) -> UiResult {
    let new = app::NewDispute {
        subject: f.subject,
        description: f.description,
        raised_on: f.raised_on,
        agreement_id: None,
    };
    match app::raise_dispute(&s.app, &actor, &key, new).await {
        Ok(_) => Ok(Redirect::to(&format!("/suppliers/{key}#disputes")).into_response()),
        Err(e) => {
            record::detail_again(&s, &actor, trellis_domain::record::RecordKind::Supplier, &key, e).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ResolutionForm {
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    resolved_on: String,
    version: i64,
}

pub async fn resolve_dispute(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path((key, id)): Path<(String, String)>,
    Form(f): Form<ResolutionForm>,
) -> UiResult {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    match app::resolve_dispute(&s.app, &actor, &key, id, f.version, &f.resolution, &f.resolved_on).await {
        Ok(_) => Ok(Redirect::to(&format!("/suppliers/{key}#disputes")).into_response()),
        Err(e) => {
            record::detail_again(&s, &actor, trellis_domain::record::RecordKind::Supplier, &key, e).await
        }
    }
}
