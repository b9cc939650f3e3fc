//! Service request pages: the catalogue to order from, the order form built from the offering's
//! fields, the list, a request with its answers, approvals and tasks (where approvers decide and
//! agents work the tasks), the approvals awaiting me and the task queue.

use super::cis::{AttributeField, attribute_fields, read_attributes, show_attribute};
use super::record::{self, Platform, detail_again};
use super::workspace::{SavedBar, saved_bar};
use super::{FormErrors, Nav, UiActor, UiResult, choices, list_query, next_page_url, render, short_time};
use crate::api::service_requests::{RequestQuery, TaskQuery, filter_from_query, task_filter};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use std::collections::HashMap;
use trellis_app::offering;
use trellis_app::service_request::{self as app, NewRequest, NewTask, RequestDetail};
use trellis_app::views::{RequestView, TaskView};
use trellis_app::{Actor, AppError};
use trellis_domain::access::Action;
use trellis_domain::record::RecordKind;
use trellis_domain::saved_filter::SavedList;
use trellis_domain::service_request::{ApprovalState, RequestStatus, TaskStatus};
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

/// A request as lists show it.
pub struct Row {
    pub reference: String,
    pub title: String,
    pub status: String,
    pub status_label: &'static str,
    pub service: String,
    pub customer: String,
    pub requested_for: String,
    pub open_tasks: i64,
    pub due: String,
    pub breached: bool,
    pub created: String,
}

impl Row {
    fn of(v: &RequestView, now: jiff::Timestamp) -> Row {
        let r = &v.row;
        Row {
            reference: r.reference.clone(),
            title: r.title.clone(),
            status: r.status.clone(),
            status_label: RequestStatus::parse(&r.status).map_or("?", RequestStatus::label),
            service: v.service_name.clone(),
            customer: v.customer_name.clone().unwrap_or_else(|| "—".into()),
            requested_for: v.requested_for_name.clone().unwrap_or_else(|| "—".into()),
            open_tasks: v.open_tasks,
            due: r.due_at.map(short_time).unwrap_or_else(|| "—".into()),
            breached: app::breached(r, now),
            created: short_time(r.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "service_requests.html")]
struct ListPage {
    nav: Option<Nav>,
    title: &'static str,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    q_status: String,
    q_text: String,
    filters: bool,
    can_order: bool,
    can_approve: bool,
    can_fulfil: bool,
    next_url: Option<String>,
    error: Option<String>,
    /// The saved-filters bar (the full list only).
    saved: Option<SavedBar>,
}

fn list_page(actor: &Actor, title: &'static str, filters: bool) -> ListPage {
    ListPage {
        nav: Nav::new(actor, "requests"),
        title,
        items: Vec::new(),
        statuses: choices::<RequestStatus>(),
        q_status: String::new(),
        q_text: String::new(),
        filters,
        can_order: actor.may(Action::RequestCreate),
        can_approve: actor.may(Action::RequestApprove),
        can_fulfil: actor.may(Action::RequestFulfil),
        next_url: None,
        error: None,
        saved: None,
    }
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    uri: Uri,
    query: Result<Query<RequestQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::RequestRead)?;
    let (q, error) = list_query(query);
    let mut page = list_page(&actor, "Service requests", true);
    page.saved = Some(saved_bar(&s, &actor, SavedList::ServiceRequests, uri.query()).await?);
    page.q_status = q.status.clone().unwrap_or_default();
    page.q_text = q.q.clone().unwrap_or_default();
    page.error = error;
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f).await?;
                let now = s.app.now();
                page.items = rows.iter().map(|v| Row::of(v, now)).collect();
                let params = [("status", page.q_status.as_str()), ("q", &page.q_text)];
                page.next_url = next_page_url("/service-requests", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

/// Requests awaiting my decision.
pub async fn approvals(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let rows = app::awaiting_me(&s.app, &actor).await?;
    let mut page = list_page(&actor, "Awaiting my approval", false);
    let now = s.app.now();
    page.items = rows.iter().map(|v| Row::of(v, now)).collect();
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "request_catalogue.html")]
struct CataloguePage {
    nav: Option<Nav>,
    /// Service, offering id, name, description.
    items: Vec<(String, String, String, String)>,
}

/// What the actor can order, by service.
pub async fn catalogue(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let items = app::orderable(&s.app, &actor)
        .await?
        .into_iter()
        .filter_map(|o| {
            let d = o.current()?;
            Some((o.service_name.clone(), o.row.id.to_string(), d.name.clone(), d.description.clone()))
        })
        .collect();
    Ok(render(&CataloguePage { nav: Nav::new(&actor, "requests"), items }))
}

#[derive(Template)]
#[template(path = "request_order.html")]
struct OrderPage {
    nav: Option<Nav>,
    offering_id: String,
    name: String,
    service: String,
    description: String,
    approval: bool,
    attributes: Vec<AttributeField>,
    note: String,
    errors: FormErrors,
}

async fn order_page(
    s: &AppState,
    actor: &Actor,
    id: Uuid,
    rest: &HashMap<String, String>,
    errors: FormErrors,
) -> UiResult {
    let o = offering::get(&s.app, actor, id).await?;
    let d = o.current().cloned().ok_or(AppError::NotFound)?;
    let status = if errors.message.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = OrderPage {
        nav: Nav::new(actor, "requests"),
        offering_id: id.to_string(),
        approval: !d.approvers.is_empty(),
        name: d.name,
        service: o.service_name,
        description: d.description,
        attributes: attribute_fields(d.form, rest, "answers"),
        note: rest.get("description").cloned().unwrap_or_default(),
        errors,
    };
    Ok((status, render(&page)).into_response())
}

fn offering_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

pub async fn order_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> UiResult {
    actor.require(Action::RequestCreate)?;
    order_page(&s, &actor, offering_id(&id)?, &HashMap::new(), FormErrors::default()).await
}

pub async fn order(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(rest): Form<HashMap<String, String>>,
) -> UiResult {
    let id = offering_id(&id)?;
    let o = offering::get(&s.app, &actor, id).await?;
    let form = o.current().map(|d| d.form.clone()).unwrap_or_default();
    let new = NewRequest {
        offering_id: id,
        answers: read_attributes(&form, &rest),
        description: rest.get("description").cloned().unwrap_or_default(),
        requested_for: None,
    };
    match app::order(&s.app, &actor, new).await {
        Ok(d) => Ok(Redirect::to(&format!("/service-requests/{}", d.view.row.reference)).into_response()),
        Err(e) => {
            let (errors, _) = FormErrors::from_error(e, "service request")?;
            order_page(&s, &actor, id, &rest, errors).await
        }
    }
}

pub struct ApprovalItem {
    pub step: i64,
    pub who: String,
    pub state: String,
    pub state_label: &'static str,
    pub decided: String,
    pub comment: String,
}

pub struct TaskItem {
    pub id: String,
    pub title: String,
    pub team: String,
    pub assignee: String,
    pub status: String,
    pub status_label: &'static str,
    pub done: String,
    pub note: String,
    pub open: bool,
}

impl TaskItem {
    fn of(t: &TaskView, staff: bool) -> TaskItem {
        let r = &t.row;
        TaskItem {
            id: r.id.to_string(),
            title: r.title.clone(),
            team: t.team_name.clone().unwrap_or_else(|| "—".into()),
            assignee: t.assignee_name.clone().unwrap_or_else(|| "—".into()),
            status: r.status.clone(),
            status_label: TaskStatus::parse(&r.status).map_or("?", TaskStatus::label),
            done: match (&t.done_by_name, r.done_at) {
                (Some(n), Some(at)) => format!("{n}, {}", short_time(at)),
                _ => String::new(),
            },
            note: if staff { r.note.clone() } else { String::new() },
            open: r.status == TaskStatus::Open.as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "service_request.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    description: String,
    offering_id: String,
    offering_version: i64,
    answers: Vec<(String, String)>,
    approval: &'static str,
    approvals: Vec<ApprovalItem>,
    tasks: Vec<TaskItem>,
    awaiting_approval: bool,
    in_fulfilment: bool,
    can_approve: bool,
    can_fulfil: bool,
    teams: Vec<(String, String)>,
    p: Platform,
}

fn approval_item(a: &trellis_app::views::ApprovalView) -> ApprovalItem {
    let r = &a.row;
    ApprovalItem {
        step: r.step,
        who: match r.rule.as_str() {
            "service_owner" => "The service owner".into(),
            "managers" => "Any manager".into(),
            _ => a.user_name.clone().unwrap_or_default(),
        },
        state: r.state.clone(),
        state_label: ApprovalState::parse(&r.state).map_or("?", ApprovalState::label),
        decided: match (&a.decided_by_name, r.decided_at) {
            (Some(n), Some(at)) => format!("{n}, {}", short_time(at)),
            _ => String::new(),
        },
        comment: r.comment.clone(),
    }
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let d: RequestDetail = app::detail(&s.app, actor, key).await?;
    let h = app::handle_of(&d.view);
    let status = RequestStatus::parse(&d.view.row.status).unwrap_or(RequestStatus::AwaitingApproval);
    let staff = actor.role.is_staff();
    let transition = if staff { Action::RequestFulfil } else { Action::RequestCancel };
    let rights = record::Rights { edit: transition, transition };
    let mut p = record::platform(s, actor, &h, d.view.row.version, status, rights, message).await?;
    // Requests have no edit form: what was asked for is pinned; work happens through tasks.
    p.can_edit = false;
    if !staff {
        p.transitions.retain(|(to, _)| *to == RequestStatus::Cancelled.as_str());
    }
    let values = d.answers();
    let answers = d
        .definition
        .form
        .iter()
        .map(|f| (f.label.clone(), values.get(&f.key).map(show_attribute).unwrap_or_else(|| "—".into())))
        .collect();
    let can_fulfil = actor.may(Action::RequestFulfil);
    let teams = if can_fulfil {
        trellis_app::identity::list_teams(&s.app, actor)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.name))
            .collect()
    } else {
        Vec::new()
    };
    let page = DetailPage {
        nav: Nav::new(actor, "requests"),
        i: Row::of(&d.view, s.app.now()),
        description: d.view.row.description.clone(),
        offering_id: d.view.row.offering_id.to_string(),
        offering_version: d.view.row.offering_version,
        answers,
        approval: trellis_domain::offering::ApprovalPolicy::parse(&d.view.row.approval)
            .map_or("?", trellis_domain::offering::ApprovalPolicy::label),
        approvals: d.approvals.iter().map(approval_item).collect(),
        tasks: d.tasks.iter().map(|t| TaskItem::of(t, staff)).collect(),
        awaiting_approval: status == RequestStatus::AwaitingApproval,
        in_fulfilment: status == RequestStatus::InFulfilment,
        can_approve: app::may_decide_now(actor, &d),
        can_fulfil,
        teams,
        p,
    };
    Ok(render(&page))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

/// After a form on the request page: back to it, or the page again with the reason.
async fn back(s: &AppState, actor: &Actor, key: &str, done: Result<RequestDetail, AppError>) -> UiResult {
    match done {
        Ok(d) => Ok(Redirect::to(&format!("/service-requests/{}", d.view.row.reference)).into_response()),
        Err(e) => detail_again(s, actor, RecordKind::ServiceRequest, key, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn decide(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<DecisionForm>,
) -> UiResult {
    let done = match f.decision.as_str() {
        "approved" => app::decide(&s.app, &actor, &key, true, &f.comment).await,
        "rejected" => app::decide(&s.app, &actor, &key, false, &f.comment).await,
        _ => Err(ValidationErrors::single("decision", "must be approved or rejected").into()),
    };
    back(&s, &actor, &key, done).await
}

#[derive(Debug, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    team_id: String,
}

pub async fn add_task(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<TaskForm>,
) -> UiResult {
    let new = NewTask { title: f.title, team_id: Uuid::parse_str(f.team_id.trim()).ok(), assignee_id: None };
    back(&s, &actor, &key, app::add_task(&s.app, &actor, &key, new).await).await
}

#[derive(Debug, Deserialize)]
pub struct CompleteForm {
    #[serde(default)]
    note: String,
}

pub async fn complete_task(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path((key, task)): Path<(String, Uuid)>,
    Form(f): Form<CompleteForm>,
) -> UiResult {
    back(&s, &actor, &key, app::complete_task(&s.app, &actor, &key, task, &f.note).await).await
}

#[derive(Template)]
#[template(path = "fulfilment_tasks.html")]
struct TaskPage {
    nav: Option<Nav>,
    items: Vec<(String, String, TaskItem)>,
    teams: Vec<(String, String)>,
    q_team: String,
    mine: bool,
    next_url: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct TaskPageQuery {
    #[serde(default)]
    team: String,
    #[serde(default)]
    mine: String,
    #[serde(default)]
    after: Option<String>,
}

/// Open fulfilment tasks: mine, a team's, or all.
pub async fn tasks(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<TaskPageQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::RequestFulfil)?;
    let (q, error) = list_query(query);
    let mine = q.mine == "true";
    let api_query = TaskQuery {
        team: Uuid::parse_str(q.team.trim()).ok(),
        assignee: mine.then_some(actor.user_id),
        after: q.after.clone(),
        ..TaskQuery::default()
    };
    let mut page = TaskPage {
        nav: Nav::new(&actor, "requests"),
        items: Vec::new(),
        teams: trellis_app::identity::list_teams(&s.app, &actor)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.name))
            .collect(),
        q_team: q.team.clone(),
        mine,
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match task_filter(&api_query) {
            Ok(f) => {
                let (rows, next) = app::task_queue(&s.app, &actor, f).await?;
                page.items = rows
                    .iter()
                    .map(|t| (t.request_ref.clone(), t.request_title.clone(), TaskItem::of(t, true)))
                    .collect();
                let params = [("team", q.team.as_str()), ("mine", if mine { "true" } else { "" })];
                page.next_url = next_page_url("/fulfilment-tasks", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}
