//! `/api/v1/services`: the service catalogue.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::service::{self as app, ServiceDetail, ServiceInput, ServicePatch};
use trellis_app::views::ServiceFilter as Filter;
use trellis_domain::record::RecordKind;
use trellis_domain::service::{Criticality, ServiceStatus};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "SVC-000003", "kind": "service", "version": 2,
    "name": "Managed e-mail", "description": "Mailboxes, spam filtering and archiving.",
    "status": "live", "allowed_transitions": ["retired"], "criticality": "high",
    "owner": {"id": "019a8f3c-0000-7000-8000-0000000000aa", "name": "Morgan Manager"},
    "customers": [{"id": "019a8f3c-0000-7000-8000-000000000001", "name": "Northwind Health"}],
    "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:40:12.5Z"}))]
pub struct Service {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `service`.
    pub kind: &'static str,
    pub version: i64,
    pub name: String,
    pub description: String,
    /// pipeline, live or retired.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    /// low, medium, high or critical.
    pub criticality: String,
    pub owner: Option<Named>,
    /// The customers receiving the service (empty for customer users, who see their own only).
    pub customers: Vec<Named>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ServiceDetail> for Service {
    fn from(d: ServiceDetail) -> Self {
        let r = d.view.row;
        Service {
            id: r.id,
            allowed_transitions: allowed_transitions::<ServiceStatus>(&r.status),
            reference: r.reference,
            kind: "service",
            version: r.version,
            name: r.name,
            description: r.description,
            status: r.status,
            criticality: r.criticality,
            owner: named(r.owner_id, d.view.owner_name),
            customers: d.customers.into_iter().map(|(id, name)| Named { id, name }).collect(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub items: Vec<Service>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// Comma-separated states: pipeline, live, retired.
    pub status: Option<String>,
    /// Comma-separated: low, medium, high, critical.
    pub criticality: Option<String>,
    /// Only services this customer receives.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub customer: Option<Uuid>,
    /// Text in the name or reference.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &ServiceQuery) -> Result<Filter, crate::problem::ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(Filter {
        statuses: named_list::<ServiceStatus>("status", q.status.as_deref())?,
        criticalities: named_list::<Criticality>("criticality", q.criticality.as_deref())?,
        customer_id: q.customer,
        owner_id: None,
        text: q.q.clone(),
        after,
        limit,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Managed e-mail", "description": "Mailboxes and archiving.", "criticality": "high",
    "customer_ids": ["019a8f3c-0000-7000-8000-000000000001"]}))]
pub struct CreateService {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// low, medium, high or critical.
    pub criticality: String,
    pub owner_id: Option<Uuid>,
    /// The customers who receive the service.
    #[serde(default)]
    pub customer_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"criticality": "critical"}))]
pub struct UpdateService {
    pub name: Option<String>,
    pub description: Option<String>,
    pub criticality: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    /// Replaces the set of customers receiving the service.
    pub customer_ids: Option<Vec<Uuid>>,
}

/// List services
///
/// Customer users see the services their organisation receives.
#[utoipa::path(operation_id = "list_services", get, path = "/api/v1/services", tag = "services", params(ServiceQuery),
    responses((status = 200, body = ServiceList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ServiceQuery>,
) -> ApiResult<axum::Json<ServiceList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    // List rows carry no customer list; the detail does.
    let items =
        rows.into_iter().map(|view| Service::from(ServiceDetail { view, customers: Vec::new() })).collect();
    Ok(axum::Json(ServiceList { items, next: next.map(encode_id_cursor) }))
}

/// Define a service
///
/// A new service starts in the pipeline.
#[utoipa::path(operation_id = "create_service", post, path = "/api/v1/services", tag = "services", request_body = CreateService,
    responses((status = 201, body = Service, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateService>,
) -> ApiResult<Response> {
    let input = ServiceInput {
        name: b.name,
        description: b.description,
        criticality: b.criticality,
        owner_id: b.owner_id,
        customer_ids: b.customer_ids,
    };
    let d = app::create(&s.app, &actor, input).await?;
    let location = format!("/api/v1/services/{}", d.view.row.reference);
    let version = d.view.row.version;
    Ok(created(&location, version, Service::from(d)))
}

/// Read a service
#[utoipa::path(operation_id = "get_service", get, path = "/api/v1/services/{key}", tag = "services",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Service, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let d = app::get(&s.app, &actor, &key).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Service::from(d))))
}

/// Update a service
///
/// Requires `If-Match` with the version read.
#[utoipa::path(operation_id = "update_service", patch, path = "/api/v1/services/{key}", tag = "services", request_body = UpdateService,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Service), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateService>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = ServicePatch {
        name: b.name,
        description: b.description,
        criticality: b.criticality,
        owner_id: b.owner_id,
        customer_ids: b.customer_ids,
    };
    let d = app::update(&s.app, &actor, &key, version, patch).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Service::from(d))))
}

/// Move a service through its lifecycle
///
/// pipeline → live → retired; 409 `service.invalid_transition` otherwise.
#[utoipa::path(operation_id = "transition_service", post, path = "/api/v1/services/{key}/transitions", tag = "services", request_body = super::dto::Transition,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Service), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let d = app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?;
    let version = d.view.row.version;
    Ok(with_etag(version, axum::Json(Service::from(d))))
}

crate::platform_routes!(
    kind = RecordKind::Service,
    collection = "services",
    tag = "services",
    noun = "service"
);
crate::review_routes!(
    kind = RecordKind::Service,
    collection = "services",
    tag = "services",
    noun = "service"
);
