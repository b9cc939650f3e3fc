//! `/api/v1/service-requests`: ordering from request offerings, approval decisions, fulfilment
//! tasks; `/api/v1/approvals`: what awaits the caller's decision; `/api/v1/fulfilment-tasks`:
//! a team's or a person's task queue.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::complaints::RecordRef;
use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem as ProblemJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use trellis_app::Actor;
use trellis_app::service_request::{self as app, NewRequest, NewTask, RequestDetail, TaskPatch};
use trellis_app::views::{RequestFilter, RequestView, TaskFilter, TaskView};
use trellis_domain::ci::AttributeDef;
use trellis_domain::record::RecordKind;
use trellis_domain::service_request::{RequestStatus, TaskStatus};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferingRef {
    pub id: Uuid,
    /// The definition version the request was ordered under.
    pub version: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Approval {
    pub id: Uuid,
    /// 1 for the first approver.
    pub step: i64,
    /// service_owner, managers or user.
    pub rule: String,
    /// The person, for a `user` step.
    pub user: Option<Named>,
    /// waiting (an earlier step first), pending (awaiting decision), approved, rejected or
    /// skipped (no longer needed).
    pub state: String,
    pub decided_by: Option<Named>,
    pub decided_at: Option<String>,
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: Uuid,
    /// The task's own version (for `If-Match` on PATCH).
    pub version: i64,
    pub position: i64,
    pub title: String,
    pub team: Option<Named>,
    pub assignee: Option<Named>,
    /// open, done or cancelled.
    pub status: String,
    /// What was done (staff only).
    pub note: String,
    pub done_by: Option<Named>,
    pub done_at: Option<String>,
    pub request: RecordRef,
}

fn task_json(t: TaskView, staff: bool) -> Task {
    let r = t.row;
    Task {
        id: r.id,
        version: r.version,
        position: r.position,
        title: r.title,
        team: named(r.team_id, t.team_name),
        assignee: named(r.assignee_id, t.assignee_name),
        status: r.status,
        note: if staff { r.note } else { String::new() },
        done_by: named(r.done_by, t.done_by_name),
        done_at: r.done_at.map(rfc3339),
        request: RecordRef { reference: t.request_ref, title: t.request_title },
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2d01", "ref": "REQ-000007", "kind": "service_request",
    "version": 3, "title": "New laptop", "status": "in_fulfilment", "allowed_transitions": ["fulfilled", "cancelled"],
    "offering": {"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c90", "version": 2, "name": "New laptop"},
    "answers": {"model": "14 inch"}, "approval": "sequence", "due_at": "2026-11-27T16:00:00Z", "breached": false}))]
pub struct ServiceRequest {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `service_request`.
    pub kind: &'static str,
    pub version: i64,
    /// The offering's name when ordered.
    pub title: String,
    pub description: String,
    /// awaiting_approval, in_fulfilment, fulfilled, closed, rejected or cancelled.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    pub offering: OfferingRef,
    pub service: RecordRef,
    pub customer: Option<Named>,
    pub requested_for: Option<Named>,
    /// The pinned definition's form (to label the answers).
    #[schema(value_type = Vec<Object>)]
    pub form: Vec<AttributeDef>,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// none, sequence or any_of.
    pub approval: String,
    pub approvals: Vec<Approval>,
    pub tasks: Vec<Task>,
    pub open_tasks: i64,
    /// When the fulfilment clock started (at approval) and when the request falls due.
    pub clock_started_at: Option<String>,
    pub due_at: Option<String>,
    /// The fulfilment target was missed (by now, or when fulfilled).
    pub breached: bool,
    pub fulfilled_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Moves a customer user may make: cancelling only.
fn transitions_for(actor: &Actor, status: &str) -> Vec<&'static str> {
    let all = allowed_transitions::<RequestStatus>(status);
    if actor.role.is_staff() { all } else { all.into_iter().filter(|s| *s == "cancelled").collect() }
}

fn to_json(actor: &Actor, d: RequestDetail, now: jiff::Timestamp) -> ServiceRequest {
    let staff = actor.role.is_staff();
    let breached = d.breached(now);
    let answers = d.answers();
    let v = d.view;
    let r = v.row;
    ServiceRequest {
        id: r.id,
        allowed_transitions: transitions_for(actor, &r.status),
        reference: r.reference,
        kind: "service_request",
        version: r.version,
        title: r.title,
        description: r.description,
        status: r.status,
        offering: OfferingRef { id: r.offering_id, version: r.offering_version, name: d.definition.name },
        service: RecordRef { reference: v.service_ref, title: v.service_name },
        customer: named(r.customer_id, v.customer_name),
        requested_for: named(r.requested_for, v.requested_for_name),
        form: d.definition.form,
        answers,
        approval: r.approval,
        approvals: d
            .approvals
            .into_iter()
            .map(|a| Approval {
                id: a.row.id,
                step: a.row.step,
                rule: a.row.rule,
                user: named(a.row.user_id, a.user_name),
                state: a.row.state,
                decided_by: named(a.row.decided_by, a.decided_by_name),
                decided_at: a.row.decided_at.map(rfc3339),
                comment: a.row.comment,
            })
            .collect(),
        tasks: d.tasks.into_iter().map(|t| task_json(t, staff)).collect(),
        open_tasks: v.open_tasks,
        clock_started_at: r.clock_started_at.map(rfc3339),
        due_at: r.due_at.map(rfc3339),
        breached,
        fulfilled_at: r.fulfilled_at.map(rfc3339),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

fn one(s: &AppState, actor: &Actor, d: RequestDetail) -> Response {
    let version = d.view.row.version;
    with_etag(version, axum::Json(to_json(actor, d, s.app.now())))
}

/// A row of a request list (without approvals and tasks).
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSummary {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: &'static str,
    pub version: i64,
    pub title: String,
    pub status: String,
    pub service: RecordRef,
    pub customer: Option<Named>,
    pub requested_for: Option<Named>,
    pub open_tasks: i64,
    pub due_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn summary_json(v: RequestView) -> RequestSummary {
    let r = v.row;
    RequestSummary {
        id: r.id,
        reference: r.reference,
        kind: "service_request",
        version: r.version,
        title: r.title,
        status: r.status,
        service: RecordRef { reference: v.service_ref, title: v.service_name },
        customer: named(r.customer_id, v.customer_name),
        requested_for: named(r.requested_for, v.requested_for_name),
        open_tasks: v.open_tasks,
        due_at: r.due_at.map(rfc3339),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<RequestSummary>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// Comma-separated states: awaiting_approval, in_fulfilment, fulfilled, closed, rejected,
    /// cancelled.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub customer: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    /// Requests for this person.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub requested_for: Option<Uuid>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &RequestQuery) -> Result<RequestFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(RequestFilter {
        statuses: named_list::<RequestStatus>("status", q.status.as_deref())?,
        customer_id: q.customer,
        service_id: q.service,
        requested_for: q.requested_for,
        text: q.q.clone(),
        after,
        limit,
    })
}

/// List service requests
///
/// Customer users see their organisation's requests only.
#[utoipa::path(operation_id = "list_service_requests", get, path = "/api/v1/service-requests", tag = "requests",
    params(RequestQuery), responses((status = 200, body = RequestList), (status = 422, body = ProblemJson)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<RequestQuery>,
) -> ApiResult<axum::Json<RequestList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    Ok(axum::Json(RequestList {
        items: rows.into_iter().map(summary_json).collect(),
        next: next.map(encode_id_cursor),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"offering_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c90", "answers": {"model": "14 inch"},
    "description": "For our new starter in Leeds, Monday 1st."}))]
pub struct OrderRequest {
    /// A published offering the caller may see.
    pub offering_id: Uuid,
    /// Answers to the offering's form, by field key (422 names `answers.<key>`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    #[serde(default)]
    pub description: String,
    /// Staff only: the user the request is for (their organisation must receive the service).
    pub requested_for: Option<Uuid>,
}

/// Order from a request offering
///
/// Pinned to the offering's current definition. With approvers, the request awaits approval
/// (they are notified); without, it goes straight into fulfilment with the definition's tasks
/// and its due instant on the definition's calendar.
#[utoipa::path(operation_id = "order_service_request", post, path = "/api/v1/service-requests", tag = "requests",
    request_body = OrderRequest,
    responses((status = 201, body = ServiceRequest, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = ProblemJson), (status = 404, body = ProblemJson), (status = 409, body = ProblemJson),
        (status = 422, body = ProblemJson)))]
pub async fn order(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<OrderRequest>,
) -> ApiResult<Response> {
    let new = NewRequest {
        offering_id: b.offering_id,
        answers: b.answers,
        description: b.description,
        requested_for: b.requested_for,
    };
    let d = app::order(&s.app, &actor, new).await?;
    let location = format!("/api/v1/service-requests/{}", d.view.row.reference);
    let version = d.view.row.version;
    Ok(created(&location, version, to_json(&actor, d, s.app.now())))
}

/// Read a service request, with its approvals and tasks
#[utoipa::path(operation_id = "get_service_request", get, path = "/api/v1/service-requests/{key}", tag = "requests",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = ServiceRequest, headers(("ETag" = String))), (status = 404, body = ProblemJson)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    Ok(one(&s, &actor, app::detail(&s.app, &actor, &key).await?))
}

/// Move a service request
///
/// `cancelled` (also the requester's organisation) while awaiting approval or in fulfilment;
/// `fulfilled` once no task is open (409 `service_request.open_tasks`); `closed`; or back to
/// `in_fulfilment` from fulfilled.
#[utoipa::path(operation_id = "transition_service_request", post, path = "/api/v1/service-requests/{key}/transitions",
    tag = "requests", request_body = super::dto::Transition, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = ServiceRequest), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    Ok(one(&s, &actor, app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "rejected", "comment": "Out of budget this quarter."}))]
pub struct Decision {
    /// approved or rejected.
    pub decision: String,
    /// Required to reject.
    #[serde(default)]
    pub comment: String,
}

/// Decide the approval awaiting you
///
/// Decides the first step awaiting a decision that the caller may decide (as the named person,
/// the service's owner or a manager; administrators any). 409 `service_request.not_your_turn`
/// while an earlier approver of a sequence has not decided, `service_request.self_approval` for
/// one's own request; 403 for someone who approves no step of it.
#[utoipa::path(operation_id = "decide_service_request", post, path = "/api/v1/service-requests/{key}/decisions",
    tag = "requests", request_body = Decision, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = ServiceRequest), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn decide(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<Decision>,
) -> ApiResult<Response> {
    let approve = match b.decision.as_str() {
        "approved" => true,
        "rejected" => false,
        _ => {
            let e = trellis_domain::validation::ValidationErrors::single(
                "decision",
                "must be approved or rejected",
            );
            return Err(trellis_app::AppError::Validation(e).into());
        }
    };
    Ok(one(&s, &actor, app::decide(&s.app, &actor, &key, approve, &b.comment).await?))
}

/// Requests awaiting your approval
///
/// Those with a step the caller may decide now, oldest first.
#[utoipa::path(operation_id = "my_approvals", get, path = "/api/v1/approvals", tag = "requests",
    responses((status = 200, body = RequestList), (status = 403, body = ProblemJson)))]
pub async fn approvals(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<RequestList>> {
    let rows = app::awaiting_me(&s.app, &actor).await?;
    Ok(axum::Json(RequestList { items: rows.into_iter().map(summary_json).collect(), next: None }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Order the docking station", "team_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c55"}))]
pub struct CreateTask {
    pub title: String,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

/// Add a fulfilment task
#[utoipa::path(operation_id = "add_fulfilment_task", post, path = "/api/v1/service-requests/{key}/tasks", tag = "requests",
    request_body = CreateTask, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = ServiceRequest), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn add_task(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<CreateTask>,
) -> ApiResult<Response> {
    let new = NewTask { title: b.title, team_id: b.team_id, assignee_id: b.assignee_id };
    let d = app::add_task(&s.app, &actor, &key, new).await?;
    let location = format!("/api/v1/service-requests/{}", d.view.row.reference);
    let version = d.view.row.version;
    Ok(created(&location, version, to_json(&actor, d, s.app.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c31"}))]
pub struct UpdateTask {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub assignee_id: Option<Option<Uuid>>,
}

/// Rename or reassign an open task
#[utoipa::path(operation_id = "update_fulfilment_task", patch, path = "/api/v1/service-requests/{key}/tasks/{task}",
    tag = "requests", request_body = UpdateTask,
    params(("key" = String, Path, description = "Reference or id"), ("task" = Uuid, Path, description = "The task's id"),
        ("If-Match" = String, Header, description = "The task's version read")),
    responses((status = 200, body = ServiceRequest), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson),
        (status = 428, body = ProblemJson)))]
pub async fn update_task(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((key, task)): Path<(String, Uuid)>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateTask>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = TaskPatch { title: b.title, team_id: b.team_id, assignee_id: b.assignee_id };
    Ok(one(&s, &actor, app::update_task(&s.app, &actor, &key, task, version, patch).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Imaged and handed to the courier, tracking 1Z999."}))]
pub struct CompleteTask {
    #[serde(default)]
    pub note: String,
}

/// Mark a task done
///
/// The last open task done fulfils the request (its requester is told).
#[utoipa::path(operation_id = "complete_fulfilment_task", post, path = "/api/v1/service-requests/{key}/tasks/{task}/completion",
    tag = "requests", request_body = CompleteTask,
    params(("key" = String, Path, description = "Reference or id"), ("task" = Uuid, Path, description = "The task's id")),
    responses((status = 200, body = ServiceRequest), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn complete_task(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((key, task)): Path<(String, Uuid)>,
    ApiJson(b): ApiJson<CompleteTask>,
) -> ApiResult<Response> {
    Ok(one(&s, &actor, app::complete_task(&s.app, &actor, &key, task, &b.note).await?))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Comma-separated: open, done, cancelled (default open).
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub team: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub assignee: Option<Uuid>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<Task>,
    pub next: Option<String>,
}

pub fn task_filter(q: &TaskQuery) -> Result<TaskFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    let mut statuses = named_list::<TaskStatus>("status", q.status.as_deref())?;
    if statuses.is_empty() {
        statuses.push(TaskStatus::Open.as_str().into());
    }
    Ok(TaskFilter { statuses, team_ids: q.team.into_iter().collect(), assignee_id: q.assignee, after, limit })
}

/// Fulfilment tasks: a team's or a person's queue (staff)
#[utoipa::path(operation_id = "list_fulfilment_tasks", get, path = "/api/v1/fulfilment-tasks", tag = "requests",
    params(TaskQuery), responses((status = 200, body = TaskList), (status = 403, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn tasks(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<axum::Json<TaskList>> {
    let (rows, next) = app::task_queue(&s.app, &actor, task_filter(&q)?).await?;
    Ok(axum::Json(TaskList {
        items: rows.into_iter().map(|t| task_json(t, true)).collect(),
        next: next.map(encode_id_cursor),
    }))
}

crate::platform_routes!(
    kind = RecordKind::ServiceRequest,
    collection = "service-requests",
    tag = "requests",
    noun = "service_request"
);
