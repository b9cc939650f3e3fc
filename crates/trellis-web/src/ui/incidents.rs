//! Incident pages: list, detail (timeline, comments, attachments, links), new and edit.

use super::record::{self, Platform};
use super::{Nav, UiActor, UiResult, field_error, opt_uuid, render, short_time};
use crate::api::dto::IncidentQuery;
use crate::api::incidents::{encode_cursor, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use trellis_app::views::IncidentView;
use trellis_app::{Actor, AppError, identity, incident as app};
use trellis_domain::access::{Action, Role};
use trellis_domain::incident::IncidentStatus;
use trellis_domain::validation::FieldError;
use uuid::Uuid;

/// An incident as pages show it.
pub struct Row {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub customer: String,
    pub team: String,
    pub assignee: String,
    pub owner: String,
    pub version: i64,
    pub updated_at: String,
    pub updated_short: String,
}

impl From<&IncidentView> for Row {
    fn from(v: &IncidentView) -> Self {
        let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
        Row {
            reference: v.row.reference.clone(),
            title: v.row.title.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: IncidentStatus::parse(&v.row.status).map(IncidentStatus::label).unwrap_or("?"),
            customer: dash(&v.customer_name),
            team: dash(&v.team_name),
            assignee: dash(&v.assignee_name),
            owner: dash(&v.owner_name),
            version: v.row.version,
            updated_at: crate::api::dto::rfc3339(v.row.updated_at),
            updated_short: short_time(v.row.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    customers: Vec<(Uuid, String)>,
    is_staff: bool,
    q_status: String,
    q_customer: String,
    q_assignee: String,
    q_text: String,
    q_sort: String,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<IncidentQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    // A hand-edited URL with a bad parameter shows the list with the reason, not a bare 400.
    let (q, query_error) = match query {
        Ok(Query(q)) => (q, None),
        Err(e) => {
            let reason =
                std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            (IncidentQuery::default(), Some(reason))
        }
    };
    let mut page = ListPage {
        nav: Nav::new(&actor, "incidents"),
        items: Vec::new(),
        statuses: IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        customers: Vec::new(),
        is_staff: actor.role.is_staff(),
        q_status: q.status.clone().unwrap_or_default(),
        q_customer: q.customer.map(|c| c.to_string()).unwrap_or_default(),
        q_assignee: q.assignee.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        q_sort: q.sort.clone().unwrap_or_else(|| "-created_at".into()),
        next_url: None,
        error: None,
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, &actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
    }
    if let Some(e) = query_error {
        page.error = Some(e);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    match filter_from_query(&q, actor.user_id) {
        Ok(filter) => {
            let (rows, next) = app::list(&s.app, &actor, filter).await?;
            page.items = rows.iter().map(Row::from).collect();
            page.next_url = next.map(|c| {
                let mut u = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in [
                    ("status", &page.q_status),
                    ("customer", &page.q_customer),
                    ("assignee", &page.q_assignee),
                    ("q", &page.q_text),
                    ("sort", &page.q_sort),
                ] {
                    if !v.is_empty() {
                        u.append_pair(k, v);
                    }
                }
                u.append_pair("after", &encode_cursor(c));
                format!("/incidents?{}", u.finish())
            });
        }
        Err(p) => page.error = Some(p.0.detail),
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "incident_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    version: Option<i64>,
    message: Option<String>,
    errors: Vec<FieldError>,
    is_staff: bool,
    title: String,
    description: String,
    customer_id: String,
    team_id: String,
    assignee_id: String,
    customers: Vec<(Uuid, String)>,
    teams: Vec<(Uuid, String)>,
    assignees: Vec<(Uuid, String)>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct IncidentForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    version: Option<i64>,
}

/// The choices of the incident form (staff only: customers cannot route incidents).
async fn form_page(s: &AppState, actor: &Actor, f: &IncidentForm) -> Result<FormPage, AppError> {
    let mut page = FormPage {
        nav: Nav::new(actor, "incidents"),
        action: "/incidents".into(),
        reference: None,
        version: f.version,
        message: None,
        errors: Vec::new(),
        is_staff: actor.role.is_staff(),
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id: f.customer_id.clone(),
        team_id: f.team_id.clone(),
        assignee_id: f.assignee_id.clone(),
        customers: Vec::new(),
        teams: Vec::new(),
        assignees: Vec::new(),
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
        page.teams = identity::list_teams(&s.app, actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
        page.assignees = identity::list_users(&s.app, actor)
            .await?
            .into_iter()
            .filter(|u| {
                u.active && matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin))
            })
            .map(|u| (u.id, u.display_name))
            .collect();
    }
    Ok(page)
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::IncidentCreate)?;
    Ok(render(&form_page(&s, &actor, &IncidentForm::default()).await?))
}

/// Parses the id selects of the form; a tampered value is reported on its field.
fn ids(f: &IncidentForm, errors: &mut Vec<FieldError>) -> (Option<Uuid>, Option<Uuid>, Option<Uuid>) {
    let mut one = |field: &str, v: &str| {
        opt_uuid(v).unwrap_or_else(|_| {
            errors.push(FieldError { field: field.into(), message: "is not a valid choice".into() });
            None
        })
    };
    (one("customer_id", &f.customer_id), one("team_id", &f.team_id), one("assignee_id", &f.assignee_id))
}

/// Shows the form again with the user's input and the messages (422), or the error page.
async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: &IncidentForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, message) = match e {
        AppError::Validation(v) => (v.0, Some("Please correct the fields marked below.".to_owned())),
        AppError::VersionMismatch { .. } => (
            Vec::new(),
            Some("Someone else changed this incident after you opened it. Your changes are below; reload the incident to see theirs, then edit again.".to_owned()),
        ),
        other => return Err(other.into()),
    };
    let mut page = form_page(s, actor, f).await?;
    if let Some(r) = &reference {
        page.action = format!("/incidents/{r}/edit");
    }
    page.reference = reference;
    page.errors = errors;
    page.message = message;
    let status = if page.errors.is_empty() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let (customer_id, team_id, assignee_id) = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(&s, &actor, &f, None, trellis_domain::validation::ValidationErrors(errors).into())
            .await;
    }
    let new = app::NewIncident {
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id,
        team_id,
        assignee_id,
    };
    match app::create(&s.app, &actor, new).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::IncidentUpdate)?;
    let f = IncidentForm {
        title: v.row.title.clone(),
        description: v.row.description.clone(),
        customer_id: v.row.customer_id.map(|x| x.to_string()).unwrap_or_default(),
        team_id: v.row.team_id.map(|x| x.to_string()).unwrap_or_default(),
        assignee_id: v.row.assignee_id.map(|x| x.to_string()).unwrap_or_default(),
        version: Some(v.row.version),
    };
    let mut page = form_page(&s, &actor, &f).await?;
    page.action = format!("/incidents/{}/edit", v.row.reference);
    page.reference = Some(v.row.reference);
    Ok(render(&page))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let mut errors = Vec::new();
    let (customer_id, team_id, assignee_id) = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(
            &s,
            &actor,
            &f,
            Some(h.reference),
            trellis_domain::validation::ValidationErrors(errors).into(),
        )
        .await;
    }
    let Some(version) = f.version else {
        return Err(AppError::Validation(trellis_domain::validation::ValidationErrors::single(
            "version",
            "is required",
        ))
        .into());
    };
    let patch = app::IncidentPatch {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        customer_id: Some(customer_id),
        team_id: Some(team_id),
        assignee_id: Some(assignee_id),
    };
    match app::update(&s.app, &actor, &key, version, patch).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, Some(h.reference), e).await,
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = IncidentStatus::parse(&v.row.status).unwrap_or(IncidentStatus::New);
    let p = record::platform(
        s,
        actor,
        &h,
        v.row.version,
        status,
        record::Rights { edit: Action::IncidentUpdate, transition: Action::IncidentTransition },
        message,
    )
    .await?;
    Ok(render(&DetailPage { nav: Nav::new(actor, "incidents"), i: Row::from(&v), p }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}
