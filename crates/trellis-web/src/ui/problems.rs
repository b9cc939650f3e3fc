//! Problem pages: list (with the root-cause-overdue view), raise, detail, edit; raising one from
//! an incident; and the known errors offered while an incident is logged.

use super::record::{self, Platform, detail_again};
use super::workspace::{SavedBar, saved_bar};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, form_uuid, list_query, next_page_url, render, staff_choices,
};
use crate::api::problems::{ProblemQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::problem::{self as app, NewProblem, ProblemPatch};
use trellis_app::views::ProblemView;
use trellis_app::{Actor, AppError};
use trellis_domain::access::Action;
use trellis_domain::agreement::Priority;
use trellis_domain::problem::ProblemStatus;
use trellis_domain::record::RecordKind;
use trellis_domain::saved_filter::SavedList;
use trellis_domain::validation::ValidationErrors;

pub struct Row {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub priority: String,
    pub service: String,
    pub ci: String,
    pub team: String,
    pub assignee: String,
    pub root_cause: String,
    pub workaround: String,
    pub resolution: String,
    pub incidents: i64,
    pub rca_overdue: bool,
}

impl Row {
    fn of(v: &ProblemView, rca_days: i64, now: jiff::Timestamp) -> Row {
        let dash = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
        Row {
            reference: v.row.reference.clone(),
            title: v.row.title.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: ProblemStatus::parse(&v.row.status).map_or("?", ProblemStatus::label),
            priority: v.row.priority.to_uppercase(),
            service: dash(&v.service_name),
            ci: dash(&v.ci_name),
            team: dash(&v.team_name),
            assignee: dash(&v.assignee_name),
            root_cause: v.row.root_cause.clone(),
            workaround: v.row.workaround.clone(),
            resolution: v.row.resolution.clone(),
            incidents: v.incident_count,
            rca_overdue: app::rca_overdue(&v.row, rca_days, now),
        }
    }
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    q_status: String,
    q_text: String,
    rca_overdue: bool,
    rca_days: i64,
    can_manage: bool,
    next_url: Option<String>,
    error: Option<String>,
    saved: SavedBar,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    uri: Uri,
    query: Result<Query<ProblemQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::ProblemRead)?;
    let (q, error) = list_query(query);
    let rca_days = app::rca_days(&s.app).await?;
    let mut page = ListPage {
        nav: Nav::new(&actor, "problems"),
        items: Vec::new(),
        statuses: choices::<ProblemStatus>(),
        q_status: q.status.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        rca_overdue: q.rca_overdue == Some(true),
        rca_days,
        can_manage: actor.may(Action::ProblemManage),
        next_url: None,
        error,
        saved: saved_bar(&s, &actor, SavedList::Problems, uri.query()).await?,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f, page.rca_overdue).await?;
                let now = s.app.now();
                page.items = rows.iter().map(|v| Row::of(v, rca_days, now)).collect();
                let overdue = if page.rca_overdue { "true" } else { "" };
                let params =
                    [("status", page.q_status.as_str()), ("q", &page.q_text), ("rca_overdue", overdue)];
                page.next_url = next_page_url("/problems", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "problem.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = ProblemStatus::parse(&v.row.status).unwrap_or(ProblemStatus::New);
    let rights = record::Rights::both(Action::ProblemManage);
    let p = record::platform(s, actor, &h, v.row.version, status, rights, message).await?;
    let i = Row::of(&v, app::rca_days(&s.app).await?, s.app.now());
    Ok(render(&DetailPage { nav: Nav::new(actor, "problems"), i, p }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize, Default)]
pub struct ProblemForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    root_cause: String,
    #[serde(default)]
    workaround: String,
    #[serde(default)]
    resolution: String,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "problem_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: ProblemForm,
    errors: FormErrors,
    services: Vec<(String, String)>,
    assignees: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: ProblemForm,
    reference: Option<String>,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let ids =
        |v: Vec<(uuid::Uuid, String)>| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect::<Vec<_>>();
    Ok(FormPage {
        nav: Nav::new(actor, "problems"),
        action: reference.as_ref().map_or_else(|| "/problems".into(), |r| format!("/problems/{r}/edit")),
        reference,
        services: super::complaints::service_choices(s, actor).await?,
        assignees: ids(staff_choices(s, actor).await?),
        priorities: choices::<Priority>(),
        f,
        errors,
    })
}

async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: ProblemForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "problem")?;
    Ok((status, render(&form_page(s, actor, f, reference, errors).await?)).into_response())
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::ProblemManage)?;
    Ok(render(&form_page(&s, &actor, ProblemForm::default(), None, FormErrors::default()).await?))
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<ProblemForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let assignee_id = form_uuid(&mut errors, "assignee_id", &f.assignee_id);
    let result = if errors.is_empty() {
        let new = NewProblem {
            title: f.title.clone(),
            description: f.description.clone(),
            service_id,
            assignee_id,
            priority: Some(f.priority.clone()),
            ..NewProblem::default()
        };
        app::create(&s.app, &actor, new).await
    } else {
        Err(ValidationErrors(errors).into())
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/problems/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::ProblemManage)?;
    let r = &v.row;
    let id = |x: Option<uuid::Uuid>| x.map(|x| x.to_string()).unwrap_or_default();
    let f = ProblemForm {
        title: r.title.clone(),
        description: r.description.clone(),
        service_id: id(r.service_id),
        assignee_id: id(r.assignee_id),
        priority: r.priority.clone(),
        root_cause: r.root_cause.clone(),
        workaround: r.workaround.clone(),
        resolution: r.resolution.clone(),
        version: Some(r.version),
    };
    Ok(render(&form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default()).await?))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ProblemForm>,
) -> UiResult {
    let current = app::get(&s.app, &actor, &key).await?;
    let reference = current.row.reference.clone();
    let mut errors = Vec::new();
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let assignee_id = form_uuid(&mut errors, "assignee_id", &f.assignee_id);
    let result = match f.version {
        _ if !errors.is_empty() => Err(ValidationErrors(errors).into()),
        None => Err(ValidationErrors::single("version", "is required").into()),
        Some(version) => {
            let patch = ProblemPatch {
                title: Some(f.title.clone()),
                description: Some(f.description.clone()),
                service_id: Some(service_id),
                assignee_id: Some(assignee_id),
                priority: Some(f.priority.clone()),
                root_cause: Some(f.root_cause.clone()),
                workaround: Some(f.workaround.clone()),
                resolution: Some(f.resolution.clone()),
                ..ProblemPatch::default()
            };
            app::update(&s.app, &actor, &key, version, patch).await
        }
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/problems/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, f, Some(reference), e).await,
    }
}

/// "Raise a problem" on an incident page.
pub async fn raise_from_incident(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    match app::raise_from_incident(&s.app, &actor, &key, NewProblem::default()).await {
        Ok(v) => Ok(Redirect::to(&format!("/problems/{}", v.row.reference)).into_response()),
        Err(e) => detail_again(&s, &actor, RecordKind::Incident, &key, e).await,
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct KnownErrorQuery {
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    title: String,
}

#[derive(Template)]
#[template(path = "known_errors.html")]
struct KnownErrors {
    items: Vec<Row>,
}

/// The known errors offered beside the incident form as the agent picks a service or types the
/// title (an htmx fragment).
pub async fn known_errors(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(q): Query<KnownErrorQuery>,
) -> UiResult {
    if !actor.may(Action::ProblemRead) {
        return Ok(render(&KnownErrors { items: Vec::new() }));
    }
    let service = uuid::Uuid::parse_str(q.service_id.trim()).ok();
    let found = app::known_errors(&s.app, &actor, service, None, Some(q.title)).await?;
    let (days, now) = (app::rca_days(&s.app).await?, s.app.now());
    Ok(render(&KnownErrors { items: found.iter().map(|v| Row::of(v, days, now)).collect() }))
}
