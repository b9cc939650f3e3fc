//! `/api/v1/incidents` and the record-platform sub-resources of an incident.

use super::dto::*;
use super::{ApiQuery, bad_param, created, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use trellis_app::bulk::BulkChange;
use trellis_app::incident as app;
use trellis_app::views::{Cursor, Filter, Sort};
use trellis_domain::record::RecordKind;
use utoipa::ToSchema;
use uuid::Uuid;

/// An incident with its `ETag`.
pub fn incident_response(v: trellis_app::views::IncidentView) -> Response {
    let version = v.row.version;
    with_etag(version, axum::Json(Incident::from(v)))
}

pub fn encode_cursor(c: Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", c.key, c.id))
}

pub fn decode_cursor(s: &str) -> Option<Cursor> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (k, id) = raw.split_once('.')?;
    Some(Cursor { key: k.parse().ok()?, id: Uuid::parse_str(id).ok()? })
}

/// Turns list query parameters into a store filter (shared by the API and the UI list page).
pub fn filter_from_query(q: &IncidentQuery, me: Uuid) -> Result<Filter, ApiError> {
    let mut f = Filter { limit: q.limit.unwrap_or(50), ..Filter::default() };
    if !(1..=500).contains(&f.limit) {
        return Err(bad_param("limit", "must be between 1 and 500").into());
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        for part in s.split(',') {
            let st = trellis_domain::incident::IncidentStatus::parse(part.trim()).ok_or_else(|| {
                bad_param("status", "must be new, in_progress, pending, resolved or closed")
            })?;
            f.statuses.push(st.as_str().into());
        }
    }
    f.customer_id = q.customer;
    match q.team.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("mine") => f.member_of = Some(me),
        Some(other) => {
            f.team_id =
                Some(Uuid::parse_str(other).map_err(|_| bad_param("team", "must be a team id or mine"))?);
        }
    }
    match q.assignee.as_deref() {
        None | Some("") => {}
        Some("me") => f.assignee_id = Some(me),
        Some("none") => f.unassigned = true,
        Some(other) => {
            f.assignee_id = Some(
                Uuid::parse_str(other).map_err(|_| bad_param("assignee", "must be a user id, me or none"))?,
            );
        }
    }
    f.text.clone_from(&q.q);
    f.sort = match q.sort.as_deref() {
        None | Some("") | Some("-created_at") => Sort::CreatedDesc,
        Some("created_at") => Sort::CreatedAsc,
        Some("-updated_at") => Sort::UpdatedDesc,
        Some("updated_at") => Sort::UpdatedAsc,
        Some("due_at") => Sort::DueAsc,
        Some("queue") => Sort::QueueAsc,
        Some(_) => {
            return Err(bad_param(
                "sort",
                "must be created_at, -created_at, updated_at, -updated_at, due_at or queue",
            )
            .into());
        }
    };
    f.major = q.major == Some(true);
    if let Some(m) = q.breaching_within {
        if !(1..=10_080).contains(&m) {
            return Err(bad_param("breaching_within", "must be between 1 and 10080 minutes").into());
        }
        f.due_within_minutes = Some(m);
    }
    if let Some(a) = q.after.as_deref().filter(|a| !a.is_empty()) {
        f.after = Some(
            decode_cursor(a)
                .ok_or_else(|| ApiError::from(bad_param("after", "is not a cursor from this list")))?,
        );
    }
    Ok(f)
}

/// List incidents
///
/// Newest first by default; keyset-paginated. Customer users see their own organisation's only.
#[utoipa::path(operation_id = "list_incidents", get, path = "/api/v1/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, body = IncidentList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<axum::Json<IncidentList>> {
    let filter = filter_from_query(&q, actor.user_id)?;
    let (rows, next) = app::list(&s.app, &actor, filter).await?;
    Ok(axum::Json(IncidentList {
        items: rows.into_iter().map(Incident::from).collect(),
        next: next.map(encode_cursor),
    }))
}

/// Log an incident
#[utoipa::path(operation_id = "create_incident", post, path = "/api/v1/incidents", tag = "incidents", request_body = CreateIncident,
    responses((status = 201, body = Incident, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CreateIncident>,
) -> ApiResult<Response> {
    let new = app::NewIncident {
        title: body.title,
        description: body.description,
        customer_id: body.customer_id,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
        service_id: body.service_id,
        ci_id: body.ci_id,
        category: body.category,
        impact: body.impact,
        urgency: body.urgency,
    };
    let v = app::create(&s.app, &actor, new).await?;
    let location = format!("/api/v1/incidents/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, Incident::from(v)))
}

/// Read an incident
///
/// By reference (`INC-000123`) or id. The `ETag` is the version to send back in `If-Match`.
#[utoipa::path(operation_id = "get_incident", get, path = "/api/v1/incidents/{key}", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let v = app::get(&s.app, &actor, &key).await?;
    Ok(incident_response(v))
}

/// Update an incident
///
/// Requires `If-Match` with the version read: 412 when someone changed it since (nothing is
/// written), 428 without the header.
#[utoipa::path(operation_id = "update_incident", patch, path = "/api/v1/incidents/{key}", tag = "incidents", request_body = UpdateIncident,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read, e.g. \"3\"")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateIncident>,
) -> ApiResult<Response> {
    // Resolve first, so a record out of scope is a 404 whatever the headers say.
    app::handle(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = app::IncidentPatch {
        title: body.title,
        description: body.description,
        customer_id: body.customer_id,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
        service_id: body.service_id,
        ci_id: body.ci_id,
        category: body.category,
        impact: body.impact,
        urgency: body.urgency,
    };
    let v = app::update(&s.app, &actor, &key, version, patch).await?;
    Ok(incident_response(v))
}

/// Move an incident through its lifecycle
///
/// 409 `incident.invalid_transition` when the move is not allowed from the current state, and
/// `incident.reopen_window_passed` when a resolved incident is too old to reopen. Pending needs a
/// `pending_reason`, resolved a `resolution_code` (422 otherwise). `If-Match` is optional here;
/// when sent it must match.
#[utoipa::path(operation_id = "transition_incident", post, path = "/api/v1/incidents/{key}/transitions", tag = "incidents", request_body = IncidentTransition,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<IncidentTransition>,
) -> ApiResult<Response> {
    app::handle(&s.app, &actor, &key).await?;
    let m = app::IncidentMove {
        to: body.to,
        pending_reason: body.pending_reason,
        resolution_code: body.resolution_code,
        resolution_notes: body.resolution_notes,
    };
    let v = app::transition(&s.app, &actor, &key, m, if_match(&headers)?).await?;
    Ok(incident_response(v))
}

crate::platform_routes!(
    kind = RecordKind::Incident,
    collection = "incidents",
    tag = "incidents",
    noun = "incident"
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssign {
    /// `null` takes the incidents off their team; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    /// `null` unassigns; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub assignee_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"references": ["INC-000012", "INC-000015"], "assign": {"assignee_id": "0190f4c2-6a1e-7cc1-9d3e-2b1f6e3c4d5a"}}))]
pub struct BulkIncidentChange {
    /// References or ids of the incidents, at most 100; repeats count once.
    pub references: Vec<String>,
    /// Assign them (give exactly one of `assign` and `transition`).
    pub assign: Option<BulkAssign>,
    /// Move them through their lifecycle.
    pub transition: Option<IncidentTransition>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItem {
    pub reference: String,
    /// `updated`, or `failed` with the problem.
    pub outcome: String,
    /// The incident's version after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub updated: usize,
    pub failed: usize,
    pub items: Vec<BulkItem>,
}

/// The per-item answer of a bulk change, shared by the API and the list page.
pub fn bulk_result(outcomes: Vec<trellis_app::bulk::BulkOutcome>) -> BulkResult {
    let items: Vec<BulkItem> = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(version) => BulkItem {
                reference: o.reference,
                outcome: "updated".into(),
                version: Some(version),
                problem: None,
            },
            Err(e) => BulkItem {
                reference: o.reference,
                outcome: "failed".into(),
                version: None,
                problem: Some(*ApiError::from(e).0),
            },
        })
        .collect();
    let updated = items.iter().filter(|i| i.version.is_some()).count();
    BulkResult { updated, failed: items.len() - updated, items }
}

/// Change many incidents at once
///
/// One assignment or one move, applied to each incident named as if it were changed on its own
/// (same rules, journal, SLA recomputation and notifications), each in its own transaction.
/// The answer lists every incident: `updated`, or `failed` with its problem (out of scope is
/// `not_found`; a move not allowed from its state is `incident.invalid_transition`). 403 when
/// the role may not make the change at all; 422 when the request itself is wrong.
#[utoipa::path(operation_id = "bulk_change_incidents", post, path = "/api/v1/incidents/bulk", tag = "workspace",
    request_body = BulkIncidentChange, responses((status = 200, body = BulkResult), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn bulk(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<BulkIncidentChange>,
) -> ApiResult<axum::Json<BulkResult>> {
    let change = match (body.assign, body.transition) {
        (Some(a), None) => BulkChange::Assign { team_id: a.team_id, assignee_id: a.assignee_id },
        (None, Some(t)) => BulkChange::Move(app::IncidentMove {
            to: t.to,
            pending_reason: t.pending_reason,
            resolution_code: t.resolution_code,
            resolution_notes: t.resolution_notes,
        }),
        _ => return Err(bad_param("assign", "give exactly one of assign and transition").into()),
    };
    let outcomes = trellis_app::bulk::incidents(&s.app, &actor, &body.references, &change).await?;
    Ok(axum::Json(bulk_result(outcomes)))
}
