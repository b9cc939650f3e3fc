//! `/api/v1/cis` (configuration items, their verification and impact analysis) and
//! `/api/v1/ci-types` (the attribute schemas an administrator defines).
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use trellis_app::ci::{self as app, CiInput, CiType as AppCiType};
use trellis_app::impact::{self, ImpactReport};
use trellis_app::views::{CiFilter, CiView};
use trellis_domain::ci::{AttributeDef, CiStatus, format_cents, parse_cents, parse_date};
use trellis_domain::impact::Direction;
use trellis_domain::record::RecordKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "CI-000012", "kind": "configuration_item", "version": 4,
    "name": "db-prod-01", "description": "Primary PostgreSQL server", "ci_type": {"id": "019a8f3c-0000-7000-8000-000000000044", "name": "Server"},
    "status": "in_use", "allowed_transitions": ["maintenance", "retired"], "criticality": "high",
    "owner": null, "team": {"id": "019a8f3c-0000-7000-8000-000000000002", "name": "Network"}, "customer": null,
    "location": "DC1 rack 4", "cost": "12500.00", "warranty_expires": "2028-03-31", "licence_expires": null,
    "licence_seats": null, "attributes": {"cpu_cores": 32, "os": "linux"}, "last_verified_at": "2026-11-01T10:00:00Z",
    "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:40:12.5Z"}))]
pub struct Ci {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `configuration_item`.
    pub kind: &'static str,
    pub version: i64,
    pub name: String,
    pub description: String,
    pub ci_type: Named,
    /// planned, in_use, maintenance, retired or disposed.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    pub criticality: String,
    pub owner: Option<Named>,
    pub team: Option<Named>,
    pub customer: Option<Named>,
    pub location: String,
    /// A decimal amount with two places, e.g. "1234.50".
    pub cost: Option<String>,
    pub warranty_expires: Option<String>,
    pub licence_expires: Option<String>,
    pub licence_seats: Option<i64>,
    /// Values of the type's attributes.
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub last_verified_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<CiView> for Ci {
    fn from(v: CiView) -> Self {
        let r = v.row;
        Ci {
            id: r.id,
            allowed_transitions: allowed_transitions::<CiStatus>(&r.status),
            reference: r.reference,
            kind: "configuration_item",
            version: r.version,
            name: r.name,
            description: r.description,
            ci_type: Named { id: r.ci_type_id, name: v.type_name },
            status: r.status,
            criticality: r.criticality,
            owner: named(r.owner_id, v.owner_name),
            team: named(r.team_id, v.team_name),
            customer: named(r.customer_id, v.customer_name),
            location: r.location,
            cost: r.cost_cents.map(format_cents),
            warranty_expires: r.warranty_expires,
            licence_expires: r.licence_expires,
            licence_seats: r.licence_seats,
            attributes: serde_json::from_str(&r.attributes).unwrap_or(Value::Null),
            last_verified_at: r.last_verified_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CiList {
    pub items: Vec<Ci>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CiQuery {
    /// Comma-separated states: planned, in_use, maintenance, retired, disposed.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub ci_type: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub customer: Option<Uuid>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub team: Option<Uuid>,
    /// Text in the name, reference or location.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &CiQuery) -> Result<CiFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    Ok(CiFilter {
        statuses: named_list::<CiStatus>("status", q.status.as_deref())?,
        ci_type_id: q.ci_type,
        customer_id: q.customer,
        team_id: q.team,
        text: q.q.clone(),
        after,
        limit,
    })
}

/// The writable fields of a CI; on PATCH, absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "db-prod-01", "ci_type_id": "019a8f3c-0000-7000-8000-000000000044", "criticality": "high",
    "location": "DC1 rack 4", "cost": "12500.00", "warranty_expires": "2028-03-31", "attributes": {"cpu_cores": 32, "os": "linux"}}))]
pub struct CiFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub ci_type_id: Option<Uuid>,
    /// low, medium (default), high or critical.
    pub criticality: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub owner_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub customer_id: Option<Option<Uuid>>,
    pub location: Option<String>,
    /// A decimal amount, e.g. "1234.50"; null clears it.
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<String>, nullable)]
    pub cost: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<String>, nullable, format = Date)]
    pub warranty_expires: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<String>, nullable, format = Date)]
    pub licence_expires: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<i64>, nullable)]
    pub licence_seats: Option<Option<i64>>,
    /// Values for the type's attributes; replaces all attribute values when given.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Applies request fields to an input, collecting format errors per field.
fn merge(b: CiFields, mut input: CiInput) -> Result<CiInput, ApiError> {
    let mut errors = trellis_domain::validation::ValidationErrors::default();
    let mut date = |field: &str, v: Option<String>| -> Option<Date> {
        let d = parse_date(&v?);
        if d.is_none() {
            errors.add(field, "must be a date (YYYY-MM-DD)");
        }
        d
    };
    if let Some(v) = b.warranty_expires {
        input.warranty_expires = date("warranty_expires", v);
    }
    if let Some(v) = b.licence_expires {
        input.licence_expires = date("licence_expires", v);
    }
    if let Some(v) = b.cost {
        input.cost_cents = match v {
            None => None,
            Some(text) => {
                let c = parse_cents(&text);
                if c.is_none() {
                    errors.add("cost", "must be an amount like 1234.50");
                }
                c
            }
        };
    }
    errors.into_result().map_err(|e| ApiError::from(trellis_app::AppError::from(e)))?;
    if let Some(v) = b.name {
        input.name = v;
    }
    if let Some(v) = b.description {
        input.description = v;
    }
    if let Some(v) = b.ci_type_id {
        input.ci_type_id = Some(v);
    }
    if let Some(v) = b.criticality {
        input.criticality = v;
    }
    if let Some(v) = b.owner_id {
        input.owner_id = v;
    }
    if let Some(v) = b.team_id {
        input.team_id = v;
    }
    if let Some(v) = b.customer_id {
        input.customer_id = v;
    }
    if let Some(v) = b.location {
        input.location = v;
    }
    if let Some(v) = b.licence_seats {
        input.licence_seats = v;
    }
    if let Some(v) = b.attributes {
        input.attributes = v;
    }
    Ok(input)
}

/// List configuration items
#[utoipa::path(operation_id = "list_cis", get, path = "/api/v1/cis", tag = "configuration", params(CiQuery),
    responses((status = 200, body = CiList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CiQuery>,
) -> ApiResult<axum::Json<CiList>> {
    let (rows, next) = app::list(&s.app, &actor, filter_from_query(&q)?).await?;
    Ok(axum::Json(CiList {
        items: rows.into_iter().map(Ci::from).collect(),
        next: next.map(encode_id_cursor),
    }))
}

/// Record a configuration item
///
/// `name` and `ci_type_id` are required; `attributes` are checked against the type's schema
/// (unknown keys, wrong types and missing required values are 422 on `attributes.<key>`).
#[utoipa::path(operation_id = "create_ci", post, path = "/api/v1/cis", tag = "configuration", request_body = CiFields,
    responses((status = 201, body = Ci, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CiFields>,
) -> ApiResult<Response> {
    let input = merge(b, CiInput { criticality: "medium".into(), ..CiInput::default() })?;
    let v = app::create(&s.app, &actor, input).await?;
    let location = format!("/api/v1/cis/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, Ci::from(v)))
}

/// Read a configuration item
#[utoipa::path(operation_id = "get_ci", get, path = "/api/v1/cis/{key}", tag = "configuration",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Ci, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let v = app::get(&s.app, &actor, &key).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Ci::from(v))))
}

/// Update a configuration item
///
/// Requires `If-Match` with the version read.
#[utoipa::path(operation_id = "update_ci", patch, path = "/api/v1/cis/{key}", tag = "configuration", request_body = CiFields,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Ci), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CiFields>,
) -> ApiResult<Response> {
    let current = app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let input = merge(b, app::input_of(&current))?;
    let v = app::update(&s.app, &actor, &key, version, input).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Ci::from(v))))
}

/// Move a configuration item through its lifecycle
#[utoipa::path(operation_id = "transition_ci", post, path = "/api/v1/cis/{key}/transitions", tag = "configuration", request_body = super::dto::Transition,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Ci), (status = 404, body = Problem), (status = 409, body = Problem),
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
    Ok(with_etag(version, axum::Json(Ci::from(v))))
}

/// Record that the CI was checked against reality
///
/// Sets `last_verified_at` to now (configuration audit). `If-Match` is optional.
#[utoipa::path(post, path = "/api/v1/cis/{key}/verifications", tag = "configuration",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Ci), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn verify(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let v = app::verify(&s.app, &actor, &key, if_match(&headers)?).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Ci::from(v))))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// `dependents` (default): what is affected when this record fails; `dependencies`: what it
    /// relies on.
    pub direction: Option<String>,
    /// Stop after this many steps (default: no limit).
    pub depth: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactedRecord {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// `configuration_item` or `service`.
    pub kind: &'static str,
    pub name: String,
    pub status: String,
    /// Steps from the analysed record.
    pub depth: u32,
    /// The record one step closer, through which this one is reached.
    pub via: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImpactedCustomer {
    pub id: Uuid,
    pub name: String,
    /// References of the affected services the customer receives.
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"ref": "CI-000003", "direction": "dependents",
    "records": [{"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c11", "ref": "SVC-000001", "kind": "service", "name": "Managed e-mail",
        "status": "live", "depth": 2, "via": "CI-000007"}],
    "services": ["SVC-000001"],
    "customers": [{"id": "019a8f3c-0000-7000-8000-000000000001", "name": "Northwind Health", "services": ["SVC-000001"]}]}))]
pub struct Impact {
    #[serde(rename = "ref")]
    pub reference: String,
    pub direction: &'static str,
    /// Every record reached, nearest first.
    pub records: Vec<ImpactedRecord>,
    /// The services among them.
    pub services: Vec<String>,
    /// Customers receiving an affected service (only when walking dependents).
    pub customers: Vec<ImpactedCustomer>,
}

impl From<ImpactReport> for Impact {
    fn from(r: ImpactReport) -> Self {
        Impact {
            reference: r.start.reference,
            direction: match r.direction {
                Direction::Dependents => "dependents",
                Direction::Dependencies => "dependencies",
            },
            services: r
                .nodes
                .iter()
                .filter(|n| n.kind == RecordKind::Service)
                .map(|n| n.reference.clone())
                .collect(),
            records: r
                .nodes
                .into_iter()
                .map(|n| ImpactedRecord {
                    id: n.id,
                    reference: n.reference,
                    kind: n.kind.as_str(),
                    name: n.name,
                    status: n.status,
                    depth: n.depth,
                    via: n.via,
                })
                .collect(),
            customers: r
                .customers
                .into_iter()
                .map(|(id, name, services)| ImpactedCustomer { id, name, services })
                .collect(),
        }
    }
}

pub fn direction_of(q: &ImpactQuery) -> Result<Direction, ApiError> {
    match q.direction.as_deref() {
        None | Some("") | Some("dependents") => Ok(Direction::Dependents),
        Some("dependencies") => Ok(Direction::Dependencies),
        Some(_) => Err(super::bad_param("direction", "must be dependents or dependencies").into()),
    }
}

/// Impact analysis of a configuration item
///
/// Walks the configuration relationships (cycles and diamonds are reported once, at the shortest
/// distance) and names the affected services and the customers who receive them.
#[utoipa::path(get, path = "/api/v1/cis/{key}/impact", tag = "configuration",
    params(("key" = String, Path, description = "Reference or id"), ImpactQuery),
    responses((status = 200, body = Impact), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn ci_impact(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<axum::Json<Impact>> {
    let r = impact::analyse(&s.app, &actor, RecordKind::ConfigurationItem, &key, direction_of(&q)?, q.depth)
        .await?;
    Ok(axum::Json(Impact::from(r)))
}

/// Impact analysis of a service
///
/// What depends on the service (or, with `direction=dependencies`, what it relies on), and the
/// customers affected.
#[utoipa::path(get, path = "/api/v1/services/{key}/impact", tag = "services",
    params(("key" = String, Path, description = "Reference or id"), ImpactQuery),
    responses((status = 200, body = Impact), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn service_impact(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<axum::Json<Impact>> {
    let r = impact::analyse(&s.app, &actor, RecordKind::Service, &key, direction_of(&q)?, q.depth).await?;
    Ok(axum::Json(Impact::from(r)))
}

crate::platform_routes!(
    kind = RecordKind::ConfigurationItem,
    collection = "cis",
    tag = "configuration",
    noun = "ci"
);

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8f3c-0000-7000-8000-000000000044", "name": "Server", "description": "Physical or virtual server",
    "attributes": [{"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
                   {"key": "os", "label": "Operating system", "kind": "choice", "required": false, "choices": ["linux", "windows"]}],
    "version": 1, "created_at": "2026-11-21T09:15:00Z", "updated_at": "2026-11-21T09:15:00Z"}))]
pub struct CiType {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The attribute schema: key, label, kind (text, integer, number, date, boolean, choice),
    /// required, choices.
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<AttributeDef>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<AppCiType> for CiType {
    fn from(t: AppCiType) -> Self {
        CiType {
            id: t.row.id,
            name: t.row.name,
            description: t.row.description,
            attributes: t.attributes,
            version: t.row.version,
            created_at: rfc3339(t.row.created_at),
            updated_at: rfc3339(t.row.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Server", "attributes": [{"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true}]}))]
pub struct CiTypeFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<AttributeDef>,
}

/// List CI types
#[utoipa::path(get, path = "/api/v1/ci-types", tag = "configuration",
    responses((status = 200, body = super::dto::Items<CiType>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_types(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<super::dto::Items<CiType>>> {
    let items = app::list_types(&s.app, &actor).await?.into_iter().map(CiType::from).collect();
    Ok(axum::Json(super::dto::Items { items }))
}

/// Define a CI type (administrators)
#[utoipa::path(post, path = "/api/v1/ci-types", tag = "configuration", request_body = CiTypeFields,
    responses((status = 201, body = CiType), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_type(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CiTypeFields>,
) -> ApiResult<Response> {
    let t = app::create_type(&s.app, &actor, &b.name, &b.description, b.attributes).await?;
    let location = format!("/api/v1/ci-types/{}", t.row.id);
    let version = t.row.version;
    Ok(created(&location, version, CiType::from(t)))
}

/// Read a CI type
#[utoipa::path(get, path = "/api/v1/ci-types/{id}", tag = "configuration",
    params(("id" = Uuid, Path, description = "CI type id")),
    responses((status = 200, body = CiType), (status = 404, body = Problem)))]
pub async fn get_type(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    let t = app::get_type(&s.app, &actor, id).await?;
    let version = t.row.version;
    Ok(with_etag(version, axum::Json(CiType::from(t))))
}

/// Replace a CI type's name and schema (administrators)
///
/// CIs already stored keep their values; requires `If-Match`.
#[utoipa::path(put, path = "/api/v1/ci-types/{id}", tag = "configuration", request_body = CiTypeFields,
    params(("id" = Uuid, Path, description = "CI type id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = CiType), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update_type(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CiTypeFields>,
) -> ApiResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    app::get_type(&s.app, &actor, id).await?;
    let version = require_if_match(&headers)?;
    let t = app::update_type(&s.app, &actor, id, version, &b.name, &b.description, b.attributes).await?;
    let version = t.row.version;
    Ok(with_etag(version, axum::Json(CiType::from(t))))
}
