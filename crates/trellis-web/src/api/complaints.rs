//! `/api/v1/complaints`: complaints lodged by customers and handled by staff.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::complaint::{self as app, ComplaintPatch, NewComplaint};
use trellis_app::views::{ComplaintCount, ComplaintFilter, ComplaintView};
use trellis_domain::complaint::ComplaintStatus;
use trellis_domain::record::RecordKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "CMP-000004", "kind": "complaint", "version": 3,
    "title": "E-mail outages every Monday", "description": "Third week in a row.", "status": "investigated",
    "allowed_transitions": ["actioned"], "customer": {"id": "019a8f3c-0000-7000-8000-000000000001", "name": "Northwind Health"},
    "service": {"ref": "SVC-000001", "title": "Managed e-mail"}, "owner": null, "outcome": "", "escalated": true,
    "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:40:12.5Z"}))]
pub struct Complaint {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `complaint`.
    pub kind: &'static str,
    pub version: i64,
    pub title: String,
    pub description: String,
    /// received, investigated, actioned or closed.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    pub customer: Named,
    pub service: Option<RecordRef>,
    pub owner: Option<Named>,
    /// What was done and told to the customer; required before closing.
    pub outcome: String,
    pub escalated: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A record named by reference and title.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordRef {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
}

/// The reference of an optional linked record, with its title (empty when unknown).
pub fn record_ref(reference: Option<String>, title: Option<String>) -> Option<RecordRef> {
    reference.map(|reference| RecordRef { reference, title: title.unwrap_or_default() })
}

impl From<ComplaintView> for Complaint {
    fn from(v: ComplaintView) -> Self {
        let r = v.row;
        Complaint {
            id: r.id,
            allowed_transitions: allowed_transitions::<ComplaintStatus>(&r.status),
            reference: r.reference,
            kind: "complaint",
            version: r.version,
            title: r.title,
            description: r.description,
            status: r.status,
            customer: Named { id: r.customer_id, name: v.customer_name },
            service: v
                .service_ref
                .map(|reference| RecordRef { reference, title: v.service_name.unwrap_or_default() }),
            owner: named(r.owner_id, v.owner_name),
            outcome: r.outcome,
            escalated: r.escalated,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintList {
    pub items: Vec<Complaint>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// Comma-separated states: received, investigated, actioned, closed.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub customer: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    pub escalated: Option<bool>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &ComplaintQuery) -> Result<ComplaintFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(ComplaintFilter {
        statuses: named_list::<ComplaintStatus>("status", q.status.as_deref())?,
        customer_id: q.customer,
        service_id: q.service,
        escalated: q.escalated,
        text: q.q.clone(),
        after,
        limit,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "E-mail outages every Monday", "description": "Third week in a row.", "service_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11"}))]
pub struct CreateComplaint {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Required for staff; customer users always complain for their own organisation.
    pub customer_id: Option<Uuid>,
    /// The service complained about; the customer must receive it.
    pub service_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"escalated": true, "outcome": "Credited one month; root cause fixed by CHG-000031."}))]
pub struct UpdateComplaint {
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub service_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    pub outcome: Option<String>,
    pub escalated: Option<bool>,
}

/// List complaints
///
/// Customer users see their own organisation's complaints.
#[utoipa::path(operation_id = "list_complaints", get, path = "/api/v1/complaints", tag = "complaints", params(ComplaintQuery),
    responses((status = 200, body = ComplaintList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> ApiResult<axum::Json<ComplaintList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    Ok(axum::Json(ComplaintList {
        items: rows.into_iter().map(Complaint::from).collect(),
        next: next.map(encode_id_cursor),
    }))
}

/// Lodge a complaint
#[utoipa::path(operation_id = "create_complaint", post, path = "/api/v1/complaints", tag = "complaints", request_body = CreateComplaint,
    responses((status = 201, body = Complaint, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateComplaint>,
) -> ApiResult<Response> {
    let new = NewComplaint {
        title: b.title,
        description: b.description,
        customer_id: b.customer_id,
        service_id: b.service_id,
    };
    let v = app::create(&s.app, &actor, new).await?;
    let location = format!("/api/v1/complaints/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, Complaint::from(v)))
}

/// Read a complaint
#[utoipa::path(operation_id = "get_complaint", get, path = "/api/v1/complaints/{key}", tag = "complaints",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Complaint, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let v = app::get(&s.app, &actor, &key).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Complaint::from(v))))
}

/// Update a complaint (staff)
#[utoipa::path(operation_id = "update_complaint", patch, path = "/api/v1/complaints/{key}", tag = "complaints", request_body = UpdateComplaint,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Complaint), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateComplaint>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = ComplaintPatch {
        title: b.title,
        description: b.description,
        service_id: b.service_id,
        owner_id: b.owner_id,
        outcome: b.outcome,
        escalated: b.escalated,
    };
    let v = app::update(&s.app, &actor, &key, version, patch).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Complaint::from(v))))
}

/// Move a complaint through its lifecycle (staff)
///
/// received → investigated → actioned → closed (actioned may go back to investigated). Closing
/// needs an `outcome` (422 on `outcome` otherwise).
#[utoipa::path(operation_id = "transition_complaint", post, path = "/api/v1/complaints/{key}/transitions", tag = "complaints", request_body = super::dto::Transition,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Complaint), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let v = app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Complaint::from(v))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountRow {
    /// The service or customer (null: complaints about no particular service).
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub open: i64,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintSummary {
    pub by_service: Vec<CountRow>,
    pub by_customer: Vec<CountRow>,
}

fn rows(v: Vec<ComplaintCount>) -> Vec<CountRow> {
    v.into_iter().map(|c| CountRow { id: c.id, name: c.name, open: c.open, total: c.total }).collect()
}

/// Complaints per service and per customer (staff)
#[utoipa::path(get, path = "/api/v1/complaints/summary", tag = "complaints",
    responses((status = 200, body = ComplaintSummary), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn summary(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<ComplaintSummary>> {
    let (by_service, by_customer) = app::counts(&s.app, &actor).await?;
    Ok(axum::Json(ComplaintSummary { by_service: rows(by_service), by_customer: rows(by_customer) }))
}

crate::platform_routes!(
    kind = RecordKind::Complaint,
    collection = "complaints",
    tag = "complaints",
    noun = "complaint"
);
