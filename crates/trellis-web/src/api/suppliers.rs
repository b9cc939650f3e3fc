//! `/api/v1/suppliers`: external and internal suppliers, their performance reviews. Their
//! contracts are agreements of type `contract` (`/api/v1/agreements?supplier=`).
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
use trellis_app::supplier::{self as app, SupplierInput};
use trellis_app::views::{SupplierFilter as Filter, SupplierView};
use trellis_domain::record::RecordKind;
use trellis_domain::supplier::{SupplierStatus, SupplierType};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c55", "ref": "SUP-000001", "kind": "supplier", "version": 1,
    "name": "FibreLink GmbH", "description": "WAN links and the data-centre uplink.", "supplier_type": "external",
    "status": "active", "allowed_transitions": ["inactive"], "contact": "noc@fibrelink.example, +49 30 1234567",
    "owner": {"id": "019a8f3c-0000-7000-8000-0000000000aa", "name": "Morgan Manager"},
    "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:15:00Z"}))]
pub struct Supplier {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `supplier`.
    pub kind: &'static str,
    pub version: i64,
    pub name: String,
    pub description: String,
    /// external or internal.
    pub supplier_type: String,
    /// proposed, active or inactive.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    pub contact: String,
    pub owner: Option<Named>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<SupplierView> for Supplier {
    fn from(v: SupplierView) -> Self {
        let r = v.row;
        Supplier {
            id: r.id,
            allowed_transitions: allowed_transitions::<SupplierStatus>(&r.status),
            reference: r.reference,
            kind: "supplier",
            version: r.version,
            name: r.name,
            description: r.description,
            supplier_type: r.supplier_type,
            status: r.status,
            contact: r.contact,
            owner: named(r.owner_id, v.owner_name),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierList {
    pub items: Vec<Supplier>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SupplierQuery {
    /// Comma-separated: proposed, active, inactive.
    pub status: Option<String>,
    /// Comma-separated: external, internal.
    pub supplier_type: Option<String>,
    /// Text in the name or reference.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &SupplierQuery) -> Result<Filter, crate::problem::ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(Filter {
        statuses: named_list::<SupplierStatus>("status", q.status.as_deref())?,
        types: named_list::<SupplierType>("supplier_type", q.supplier_type.as_deref())?,
        text: q.q.clone(),
        after,
        limit,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "FibreLink GmbH", "supplier_type": "external", "contact": "noc@fibrelink.example"}))]
pub struct CreateSupplier {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// external or internal.
    pub supplier_type: String,
    #[serde(default)]
    pub contact: String,
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact": "service-desk@fibrelink.example"}))]
pub struct UpdateSupplier {
    pub name: Option<String>,
    pub description: Option<String>,
    pub supplier_type: Option<String>,
    pub contact: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
}

/// List suppliers
#[utoipa::path(operation_id = "list_suppliers", get, path = "/api/v1/suppliers", tag = "suppliers", params(SupplierQuery),
    responses((status = 200, body = SupplierList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SupplierQuery>,
) -> ApiResult<axum::Json<SupplierList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    Ok(axum::Json(SupplierList {
        items: rows.into_iter().map(Supplier::from).collect(),
        next: next.map(encode_id_cursor),
    }))
}

/// Record a supplier (managers)
#[utoipa::path(operation_id = "create_supplier", post, path = "/api/v1/suppliers", tag = "suppliers", request_body = CreateSupplier,
    responses((status = 201, body = Supplier, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateSupplier>,
) -> ApiResult<Response> {
    let input = SupplierInput {
        name: b.name,
        description: b.description,
        supplier_type: b.supplier_type,
        contact: b.contact,
        owner_id: b.owner_id,
    };
    let v = app::create(&s.app, &actor, input).await?;
    let location = format!("/api/v1/suppliers/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, Supplier::from(v)))
}

/// Read a supplier
#[utoipa::path(operation_id = "get_supplier", get, path = "/api/v1/suppliers/{key}", tag = "suppliers",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Supplier, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let v = app::get(&s.app, &actor, &key).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Supplier::from(v))))
}

/// Update a supplier (managers; requires `If-Match`)
#[utoipa::path(operation_id = "update_supplier", patch, path = "/api/v1/suppliers/{key}", tag = "suppliers", request_body = UpdateSupplier,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Supplier), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateSupplier>,
) -> ApiResult<Response> {
    let current = app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let mut input = app::input_of(&current);
    input.name = b.name.unwrap_or(input.name);
    input.description = b.description.unwrap_or(input.description);
    input.supplier_type = b.supplier_type.unwrap_or(input.supplier_type);
    input.contact = b.contact.unwrap_or(input.contact);
    input.owner_id = b.owner_id.unwrap_or(input.owner_id);
    let v = app::update(&s.app, &actor, &key, version, input).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Supplier::from(v))))
}

/// Move a supplier through its lifecycle
///
/// proposed → active ⇄ inactive; 409 `supplier.invalid_transition` otherwise.
#[utoipa::path(operation_id = "transition_supplier", post, path = "/api/v1/suppliers/{key}/transitions", tag = "suppliers",
    request_body = super::dto::Transition, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Supplier), (status = 404, body = Problem), (status = 409, body = Problem),
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
    Ok(with_etag(version, axum::Json(Supplier::from(v))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dispute {
    pub id: Uuid,
    pub subject: String,
    pub description: String,
    /// The contract it is about, if one.
    pub agreement: Option<String>,
    pub raised_on: String,
    /// open or resolved.
    pub status: String,
    pub resolution: String,
    pub resolved_on: Option<String>,
    pub version: i64,
}

fn dispute_dto(v: trellis_app::views::DisputeView) -> Dispute {
    let r = v.row;
    Dispute {
        id: r.id,
        subject: r.subject,
        description: r.description,
        agreement: v.agreement_ref,
        raised_on: r.raised_on,
        status: r.status,
        resolution: r.resolution,
        resolved_on: r.resolved_on,
        version: r.version,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "Service credits for the March outage", "raised_on": "2026-11-02"}))]
pub struct RaiseDispute {
    pub subject: String,
    #[serde(default)]
    pub description: String,
    /// YYYY-MM-DD, not in the future.
    pub raised_on: String,
    /// A contract with this supplier the dispute is about.
    pub agreement_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDispute {
    pub resolution: String,
    /// YYYY-MM-DD, not in the future nor before it was raised.
    pub resolved_on: String,
}

/// Disputes with a supplier, open ones first
#[utoipa::path(operation_id = "supplier_disputes", get, path = "/api/v1/suppliers/{key}/disputes", tag = "suppliers",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = super::dto::Items<Dispute>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn disputes(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<super::dto::Items<Dispute>>> {
    let items = app::disputes(&s.app, &actor, &key).await?.into_iter().map(dispute_dto).collect();
    Ok(axum::Json(super::dto::Items { items }))
}

/// Raise a dispute with a supplier (managers)
#[utoipa::path(operation_id = "raise_supplier_dispute", post, path = "/api/v1/suppliers/{key}/disputes", tag = "suppliers",
    request_body = RaiseDispute, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = Dispute), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn raise_dispute(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<RaiseDispute>,
) -> ApiResult<Response> {
    let new = app::NewDispute {
        subject: b.subject,
        description: b.description,
        raised_on: b.raised_on,
        agreement_id: b.agreement_id,
    };
    let d = app::raise_dispute(&s.app, &actor, &key, new).await?;
    let location = format!("/api/v1/suppliers/{key}/disputes/{}", d.row.id);
    let version = d.row.version;
    Ok(created(&location, version, dispute_dto(d)))
}

/// Record how a dispute was resolved (managers; requires `If-Match`)
#[utoipa::path(operation_id = "resolve_supplier_dispute", post, path = "/api/v1/suppliers/{key}/disputes/{id}/resolution", tag = "suppliers",
    request_body = ResolveDispute,
    params(("key" = String, Path, description = "Reference or id"), ("id" = Uuid, Path, description = "Dispute id"),
        ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Dispute), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn resolve_dispute(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ResolveDispute>,
) -> ApiResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let d = app::resolve_dispute(&s.app, &actor, &key, id, version, &b.resolution, &b.resolved_on).await?;
    let version = d.row.version;
    Ok(with_etag(version, axum::Json(dispute_dto(d))))
}

crate::platform_routes!(
    kind = RecordKind::Supplier,
    collection = "suppliers",
    tag = "suppliers",
    noun = "supplier"
);
crate::review_routes!(
    kind = RecordKind::Supplier,
    collection = "suppliers",
    tag = "suppliers",
    noun = "supplier"
);
