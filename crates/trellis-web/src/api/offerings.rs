//! Request offerings: `/api/v1/services/{key}/offerings` and `/api/v1/offerings/{id}`.

use super::dto::Items;
use super::{created, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::offering::{self as app, Definition, OfferingDetail, OfferingInput};
use trellis_domain::ci::AttributeDef;
use trellis_domain::offering::{ApproverRule, TaskTemplate};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct DefinitionDto {
    pub version: i64,
    pub name: String,
    pub description: String,
    /// The fields a customer fills in: key, label, kind, required, choices.
    #[schema(value_type = Vec<Object>)]
    pub form: Vec<AttributeDef>,
    /// none, sequence (each approver in turn) or any_of (the first to answer decides).
    pub approval: String,
    /// Who approves, in order: `{"type": "service_owner"}`, `{"type": "managers"}` (any
    /// manager) or `{"type": "user", "user_id": "..."}`.
    #[schema(value_type = Vec<Object>)]
    pub approvers: Vec<ApproverRule>,
    /// The fulfilment tasks every approved request gets: `{"title", "team_id"}`.
    #[schema(value_type = Vec<Object>)]
    pub tasks: Vec<TaskTemplate>,
    /// Working minutes to fulfil a request, on `calendar_id`.
    pub fulfilment_minutes: Option<i64>,
    pub calendar_id: Option<Uuid>,
    pub created_at: String,
}

fn definition_dto(d: &Definition) -> DefinitionDto {
    DefinitionDto {
        version: d.version,
        name: d.name.clone(),
        description: d.description.clone(),
        form: d.form.clone(),
        approval: d.approval.clone(),
        approvers: d.approvers.clone(),
        tasks: d.tasks.clone(),
        fulfilment_minutes: d.fulfilment_minutes,
        calendar_id: d.calendar_id,
        created_at: d.created_at.to_string(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c90", "service": {"ref": "SVC-000001", "name": "Workplace"},
    "status": "published", "version": 3,
    "current": {"version": 2, "name": "New laptop", "description": "A standard laptop with our image.",
        "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch", "16 inch"]}],
        "approval": "sequence", "approvers": [{"type": "service_owner"}, {"type": "managers"}],
        "tasks": [{"title": "Image and ship the laptop", "team_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c55"}],
        "fulfilment_minutes": 2400, "calendar_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c79",
        "created_at": "2026-11-21T10:00:00Z"}, "versions": []}))]
pub struct Offering {
    pub id: Uuid,
    pub service: ServiceRef,
    /// draft, published or retired. Customers see published offerings only.
    pub status: String,
    /// The version of the offering record (for `If-Match`).
    pub version: i64,
    /// The definition customers order from now.
    pub current: Option<DefinitionDto>,
    /// Every definition, oldest first (staff only).
    pub versions: Vec<DefinitionDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRef {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
}

fn offering_dto(d: &OfferingDetail, staff: bool) -> Offering {
    Offering {
        id: d.row.id,
        service: ServiceRef { reference: d.service_ref.clone(), name: d.service_name.clone() },
        status: d.row.status.clone(),
        version: d.row.version,
        current: d.current().map(|x| {
            let mut dto = definition_dto(x);
            if !staff {
                // Who approves and which teams fulfil are the provider's business.
                dto.approvers.clear();
                dto.tasks.clear();
            }
            dto
        }),
        versions: if staff { d.definitions.iter().map(definition_dto).collect() } else { Vec::new() },
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "New laptop", "approval": "any_of", "approvers": [{"type": "managers"}],
    "tasks": [{"title": "Image and ship the laptop"}], "fulfilment_minutes": 2400,
    "calendar_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c79",
    "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch", "16 inch"]}]}))]
pub struct OfferingFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub form: Vec<AttributeDef>,
    /// none, sequence or any_of.
    pub approval: String,
    /// Who approves, in order (required unless `approval` is none).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub approvers: Vec<ApproverRule>,
    /// Fulfilment tasks created when a request is approved.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub tasks: Vec<TaskTemplate>,
    pub fulfilment_minutes: Option<i64>,
    pub calendar_id: Option<Uuid>,
}

fn input_of(b: OfferingFields) -> OfferingInput {
    OfferingInput {
        name: b.name,
        description: b.description,
        form: b.form,
        approval: b.approval,
        approvers: b.approvers,
        tasks: b.tasks,
        fulfilment_minutes: b.fulfilment_minutes,
        calendar_id: b.calendar_id,
    }
}

fn offering_id(id: &str) -> Result<Uuid, trellis_app::AppError> {
    Uuid::parse_str(id).map_err(|_| trellis_app::AppError::NotFound)
}

/// The request offerings of a service
///
/// Customer users see the published offerings of services their organisation receives.
#[utoipa::path(operation_id = "service_offerings", get, path = "/api/v1/services/{key}/offerings", tag = "services",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Items<Offering>), (status = 404, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Items<Offering>>> {
    let staff = actor.role.is_staff();
    let items =
        app::list_for_service(&s.app, &actor, &key).await?.iter().map(|d| offering_dto(d, staff)).collect();
    Ok(axum::Json(Items { items }))
}

/// Add a request offering to a service (managers)
///
/// It starts as a draft; publish it to show it on the portal.
#[utoipa::path(operation_id = "create_offering", post, path = "/api/v1/services/{key}/offerings", tag = "services",
    request_body = OfferingFields, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = Offering), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(b): ApiJson<OfferingFields>,
) -> ApiResult<Response> {
    let d = app::create(&s.app, &actor, &key, input_of(b)).await?;
    Ok(created(&format!("/api/v1/offerings/{}", d.row.id), d.row.version, offering_dto(&d, true)))
}

/// Read a request offering
#[utoipa::path(operation_id = "get_offering", get, path = "/api/v1/offerings/{id}", tag = "services",
    params(("id" = Uuid, Path, description = "Offering id")),
    responses((status = 200, body = Offering), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = app::get(&s.app, &actor, offering_id(&id)?).await?;
    Ok(with_etag(d.row.version, axum::Json(offering_dto(&d, actor.role.is_staff()))))
}

/// Replace an offering's definition (managers; requires `If-Match`)
///
/// The form, approval policy and target become a new definition version; earlier versions stay.
#[utoipa::path(operation_id = "update_offering", put, path = "/api/v1/offerings/{id}", tag = "services", request_body = OfferingFields,
    params(("id" = Uuid, Path, description = "Offering id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Offering), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<OfferingFields>,
) -> ApiResult<Response> {
    let id = offering_id(&id)?;
    app::get(&s.app, &actor, id).await?;
    let version = require_if_match(&headers)?;
    let d = app::update(&s.app, &actor, id, version, input_of(b)).await?;
    Ok(with_etag(d.row.version, axum::Json(offering_dto(&d, true))))
}

/// Publish, retire or bring back an offering (managers)
///
/// draft → published → retired → published; 409 `offering.invalid_transition` otherwise.
#[utoipa::path(operation_id = "transition_offering", post, path = "/api/v1/offerings/{id}/transitions", tag = "services",
    request_body = super::dto::Transition, params(("id" = Uuid, Path, description = "Offering id")),
    responses((status = 200, body = Offering), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    let id = offering_id(&id)?;
    app::get(&s.app, &actor, id).await?;
    let d = app::transition(&s.app, &actor, id, &b.to, if_match(&headers)?).await?;
    Ok(with_etag(d.row.version, axum::Json(offering_dto(&d, true))))
}
