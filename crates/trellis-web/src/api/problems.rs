//! `/api/v1/problems`: problems and known errors; `/api/v1/known-errors`: those an agent may
//! offer while logging an incident; raising a problem from an incident.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::complaints::{RecordRef, record_ref};
use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem as ProblemJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::problem::{self as app, NewProblem, ProblemPatch};
use trellis_app::views::{ProblemFilter, ProblemView};
use trellis_domain::problem::ProblemStatus;
use trellis_domain::record::RecordKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `problem`.
    pub kind: &'static str,
    pub version: i64,
    pub title: String,
    pub description: String,
    /// new, investigating, known_error, resolved or closed.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    /// p1 to p4.
    pub priority: String,
    pub service: Option<RecordRef>,
    pub ci: Option<RecordRef>,
    pub team: Option<Named>,
    pub assignee: Option<Named>,
    /// What caused the incidents (the root-cause analysis).
    pub root_cause: String,
    pub root_cause_at: Option<String>,
    /// What agents offer while the cause remains (required for a known error).
    pub workaround: String,
    /// How the cause was removed, e.g. the change (required to resolve).
    pub resolution: String,
    /// Incidents linked to it (`caused_by`).
    pub incident_count: i64,
    /// Open with no root cause for longer than the policy's `problem_rca_days`.
    pub rca_overdue: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn to_json(v: ProblemView, rca_days: i64, now: jiff::Timestamp) -> Problem {
    let rca_overdue = app::rca_overdue(&v.row, rca_days, now);
    let r = v.row;
    Problem {
        id: r.id,
        allowed_transitions: allowed_transitions::<ProblemStatus>(&r.status),
        reference: r.reference,
        kind: "problem",
        version: r.version,
        title: r.title,
        description: r.description,
        status: r.status,
        priority: r.priority,
        service: record_ref(v.service_ref, v.service_name),
        ci: record_ref(v.ci_ref, v.ci_name),
        team: named(r.team_id, v.team_name),
        assignee: named(r.assignee_id, v.assignee_name),
        root_cause: r.root_cause,
        root_cause_at: r.root_cause_at.map(rfc3339),
        workaround: r.workaround,
        resolution: r.resolution,
        incident_count: v.incident_count,
        rca_overdue,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

async fn one(s: &AppState, v: ProblemView) -> ApiResult<Response> {
    let days = app::rca_days(&s.app).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(to_json(v, days, s.app.now()))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemList {
    pub items: Vec<Problem>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// Comma-separated states: new, investigating, known_error, resolved, closed.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub ci: Option<Uuid>,
    /// `true`: only open problems without a root cause past the policy's days.
    pub rca_overdue: Option<bool>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &ProblemQuery) -> Result<ProblemFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(ProblemFilter {
        statuses: named_list::<ProblemStatus>("status", q.status.as_deref())?,
        service_id: q.service,
        ci_id: q.ci,
        text: q.q.clone(),
        after,
        limit,
        ..ProblemFilter::default()
    })
}

/// List problems
#[utoipa::path(operation_id = "list_problems", get, path = "/api/v1/problems", tag = "problems", params(ProblemQuery),
    responses((status = 200, body = ProblemList), (status = 403, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ProblemQuery>,
) -> ApiResult<axum::Json<ProblemList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?, q.rca_overdue == Some(true)).await?;
    let (days, now) = (app::rca_days(&s.app).await?, s.app.now());
    Ok(axum::Json(ProblemList {
        items: rows.into_iter().map(|v| to_json(v, days, now)).collect(),
        next: next.map(encode_id_cursor),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Mail relay drops TLS sessions under load", "ci_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "priority": "p2"}))]
pub struct CreateProblem {
    /// Required, except when raised from an incident (its title is taken).
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// p1 to p4 (default p3, or the incident's priority).
    pub priority: Option<String>,
}

impl From<CreateProblem> for NewProblem {
    fn from(b: CreateProblem) -> Self {
        NewProblem {
            title: b.title,
            description: b.description,
            service_id: b.service_id,
            ci_id: b.ci_id,
            team_id: b.team_id,
            assignee_id: b.assignee_id,
            priority: b.priority,
        }
    }
}

fn created_problem(s: &AppState, v: ProblemView, days: i64) -> Response {
    let location = format!("/api/v1/problems/{}", v.row.reference);
    let version = v.row.version;
    created(&location, version, to_json(v, days, s.app.now()))
}

/// Raise a problem (proactively)
#[utoipa::path(operation_id = "create_problem", post, path = "/api/v1/problems", tag = "problems", request_body = CreateProblem,
    responses((status = 201, body = Problem, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateProblem>,
) -> ApiResult<Response> {
    let v = app::create(&s.app, &actor, b.into()).await?;
    Ok(created_problem(&s, v, app::rca_days(&s.app).await?))
}

/// Raise a problem from an incident
///
/// Takes the incident's title, service, CI, team and priority unless given, and links the
/// incident to the problem (`caused_by`) in the same transaction.
#[utoipa::path(operation_id = "raise_problem_from_incident", post, path = "/api/v1/incidents/{key}/problem", tag = "problems",
    request_body = CreateProblem, params(("key" = String, Path, description = "The incident's reference or id")),
    responses((status = 201, body = Problem, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = ProblemJson), (status = 404, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn raise_from_incident(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<CreateProblem>,
) -> ApiResult<Response> {
    let v = app::raise_from_incident(&s.app, &actor, &key, b.into()).await?;
    Ok(created_problem(&s, v, app::rca_days(&s.app).await?))
}

/// Read a problem
#[utoipa::path(operation_id = "get_problem", get, path = "/api/v1/problems/{key}", tag = "problems",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Problem, headers(("ETag" = String))), (status = 404, body = ProblemJson)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    one(&s, app::get(&s.app, &actor, &key).await?).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"root_cause": "The relay's TLS session cache is too small for Monday peaks.", "workaround": "Restart the relay service; it holds for a day."}))]
pub struct UpdateProblem {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub service_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub ci_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub assignee_id: Option<Option<Uuid>>,
    pub priority: Option<String>,
    pub root_cause: Option<String>,
    pub workaround: Option<String>,
    pub resolution: Option<String>,
}

/// Update a problem: analysis, workaround, resolution
#[utoipa::path(operation_id = "update_problem", patch, path = "/api/v1/problems/{key}", tag = "problems", request_body = UpdateProblem,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Problem), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson),
        (status = 428, body = ProblemJson)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateProblem>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = ProblemPatch {
        title: b.title,
        description: b.description,
        service_id: b.service_id,
        ci_id: b.ci_id,
        team_id: b.team_id,
        assignee_id: b.assignee_id,
        priority: b.priority,
        root_cause: b.root_cause,
        workaround: b.workaround,
        resolution: b.resolution,
    };
    one(&s, app::update(&s.app, &actor, &key, version, patch).await?).await
}

/// Move a problem through its lifecycle
///
/// new → investigating → known_error → resolved → closed (investigating may resolve directly; a
/// known error or a resolution that did not hold goes back to investigating; a duplicate or a
/// problem raised by mistake closes from new or investigating). A known error needs `root_cause`
/// and `workaround`; resolving and closing need `resolution` (422 naming the field).
#[utoipa::path(operation_id = "transition_problem", post, path = "/api/v1/problems/{key}/transitions", tag = "problems",
    request_body = super::dto::Transition, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Problem), (status = 404, body = ProblemJson), (status = 409, body = ProblemJson),
        (status = 412, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    one(&s, app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?).await
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KnownErrorQuery {
    /// The service of the incident being logged.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    /// Its configuration item.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub ci: Option<Uuid>,
    /// Words of its title (three characters or more).
    pub q: Option<String>,
}

/// Known errors that may explain an incident
///
/// What an agent is offered while logging: known errors about the service or CI, or mentioning
/// the words, each with its workaround.
#[utoipa::path(operation_id = "known_errors", get, path = "/api/v1/known-errors", tag = "problems", params(KnownErrorQuery),
    responses((status = 200, body = ProblemList), (status = 403, body = ProblemJson)))]
pub async fn known_errors(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<KnownErrorQuery>,
) -> ApiResult<axum::Json<ProblemList>> {
    let rows = app::known_errors(&s.app, &actor, q.service, q.ci, q.q).await?;
    let (days, now) = (app::rca_days(&s.app).await?, s.app.now());
    Ok(axum::Json(ProblemList {
        items: rows.into_iter().map(|v| to_json(v, days, now)).collect(),
        next: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// Look back this many days (1–365, default 30).
    pub days: Option<i64>,
    /// At least this many incidents (2–1000, default 3).
    pub at_least: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub ci: RecordRef,
    pub ci_id: Uuid,
    pub incidents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Candidates {
    pub items: Vec<Candidate>,
}

/// Recurring incidents without a problem
///
/// Configuration items with several recent incidents and no open problem: where proactive problem
/// management starts.
#[utoipa::path(operation_id = "problem_candidates", get, path = "/api/v1/problems/candidates", tag = "problems", params(CandidateQuery),
    responses((status = 200, body = Candidates), (status = 403, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn candidates(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CandidateQuery>,
) -> ApiResult<axum::Json<Candidates>> {
    let rows = app::candidates(&s.app, &actor, q.days.unwrap_or(30), q.at_least.unwrap_or(3)).await?;
    let items = rows
        .into_iter()
        .map(|c| Candidate {
            ci: RecordRef { reference: c.ci_ref, title: c.ci_name },
            ci_id: c.ci_id,
            incidents: c.incidents,
        })
        .collect();
    Ok(axum::Json(Candidates { items }))
}

crate::platform_routes!(
    kind = RecordKind::Problem,
    collection = "problems",
    tag = "problems",
    noun = "problem"
);
