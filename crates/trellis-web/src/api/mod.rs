//! `/api/v1`: JSON over HTTP, described by an OpenAPI 3.1 document generated from the handlers.

pub mod agreements;
pub mod articles;
pub mod baselines;
pub mod calendars;
pub mod cis;
pub mod complaints;
pub mod dto;
pub mod identity;
pub mod imports;
pub mod incidents;
pub mod major;
pub mod notifications;
pub mod offerings;
pub mod platform;
pub mod problems;
pub mod reports;
pub mod reviews;
pub mod saved_filters;
pub mod search;
pub mod service_requests;
pub mod services;
pub mod sla;
pub mod suppliers;
pub mod surveys;

use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Trellis API", description = "The REST API of Trellis, an ISO/IEC 20000-1 service management system. \
        Errors are RFC 9457 problem+json with a stable `code`. Records are addressed by reference (`INC-000123`) or id; \
        updates need `If-Match` with the version read.", license(name = "AGPL-3.0-or-later")),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    components(schemas(Problem)),
    tags((name = "incidents", description = "Incidents and their journal, comments, attachments and links"),
         (name = "services", description = "The service catalogue: services, who receives them, their lifecycle and impact"),
         (name = "configuration", description = "CI types with attribute schemas, configuration items, relationships and impact analysis"),
         (name = "complaints", description = "Complaints lodged by customers, investigated, actioned and closed"),
         (name = "agreements", description = "SLAs, OLAs and underpinning contracts with targets on business calendars, the chain of support between targets, reviews and coming dates"),
         (name = "suppliers", description = "External and internal suppliers and their performance reviews"),
         (name = "surveys", description = "Customer-satisfaction surveys: sent when a ticket is resolved or in rounds, answered on the portal, scored per service and customer"),
         (name = "import", description = "CSV import with a dry run; a file with any bad row imports nothing"),
         (name = "problems", description = "Problems and known errors: raised from incidents or proactively, root-cause analysis, workarounds, resolution"),
         (name = "requests", description = "Service requests ordered from request offerings: approvals in sequence or any-of, fulfilment tasks, the task queue"),
         (name = "knowledge", description = "Knowledge articles (draft, reviewed, published, retired; review dates) and full-text search across records and articles"),
         (name = "workspace", description = "The agent's workspace: saved filters of the work lists and bulk changes to incidents"),
         (name = "reports", description = "Service reports (9.4): SLA attainment, volumes, trends, backlog, satisfaction, complaints and major incidents per customer, service and period"),
         (name = "notifications", description = "In-app notifications, the templates of every notification and the mail outbox"),
         (name = "settings", description = "Service-desk settings: the priority matrix and the reopen window"),
         (name = "identity", description = "Users, teams, customers, contacts and API tokens"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (trl_...)"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::extract::SESSION_COOKIE))),
        );
    }
}

/// The API routes and their OpenAPI document, from one list.
pub fn router() -> OpenApiRouter<AppState> {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let r = crate::platform_router!(r, incidents);
    let r = crate::platform_router!(r, services);
    let r = crate::platform_router!(r, cis);
    let r = crate::platform_router!(r, complaints);
    let r = crate::platform_router!(r, agreements);
    let r = crate::platform_router!(r, suppliers);
    let r = crate::platform_router!(r, problems);
    let r = crate::platform_router!(r, service_requests);
    let r = crate::platform_router!(r, articles);
    let r = crate::review_router!(r, agreements);
    let r = crate::review_router!(r, suppliers);
    let r = crate::review_router!(r, services);
    r.routes(routes!(services::list, services::create))
        .routes(routes!(services::get, services::update))
        .routes(routes!(services::transition))
        .routes(routes!(cis::service_impact))
        .routes(routes!(offerings::list, offerings::create))
        .routes(routes!(offerings::get, offerings::update))
        .routes(routes!(offerings::transition))
        .routes(routes!(cis::list, cis::create))
        .routes(routes!(cis::get, cis::update))
        .routes(routes!(cis::transition))
        .routes(routes!(cis::verify))
        .routes(routes!(cis::ci_impact))
        .routes(routes!(cis::list_types, cis::create_type))
        .routes(routes!(baselines::list, baselines::take))
        .routes(routes!(baselines::compare))
        .routes(routes!(baselines::audit))
        .routes(routes!(cis::get_type, cis::update_type))
        .routes(routes!(complaints::summary))
        .routes(routes!(complaints::list, complaints::create))
        .routes(routes!(complaints::get, complaints::update))
        .routes(routes!(complaints::transition))
        .routes(routes!(agreements::deadlines))
        .routes(routes!(agreements::list, agreements::create))
        .routes(routes!(agreements::get, agreements::update))
        .routes(routes!(agreements::transition))
        .routes(routes!(suppliers::list, suppliers::create))
        .routes(routes!(suppliers::get, suppliers::update))
        .routes(routes!(suppliers::transition))
        .routes(routes!(suppliers::disputes, suppliers::raise_dispute))
        .routes(routes!(suppliers::resolve_dispute))
        .routes(routes!(calendars::list, calendars::create))
        .routes(routes!(calendars::get, calendars::update))
        .routes(routes!(calendars::import_holidays))
        .routes(routes!(calendars::working_time))
        .routes(routes!(calendars::due))
        .routes(routes!(imports::import))
        .routes(routes!(surveys::scores))
        .routes(routes!(surveys::schedules, surveys::set_schedule))
        .routes(routes!(surveys::list, surveys::send))
        .routes(routes!(surveys::answer))
        .routes(routes!(incidents::list, incidents::create))
        .routes(routes!(incidents::get, incidents::update))
        .routes(routes!(incidents::transition))
        .routes(routes!(sla::explain))
        .routes(routes!(problems::candidates))
        .routes(routes!(problems::list, problems::create))
        .routes(routes!(problems::get, problems::update))
        .routes(routes!(problems::transition))
        .routes(routes!(problems::raise_from_incident))
        .routes(routes!(problems::known_errors))
        .routes(routes!(service_requests::list, service_requests::order))
        .routes(routes!(service_requests::get))
        .routes(routes!(service_requests::transition))
        .routes(routes!(service_requests::decide))
        .routes(routes!(service_requests::approvals))
        .routes(routes!(service_requests::add_task))
        .routes(routes!(service_requests::update_task))
        .routes(routes!(service_requests::complete_task))
        .routes(routes!(service_requests::tasks))
        .routes(routes!(articles::list, articles::create))
        .routes(routes!(articles::get, articles::update))
        .routes(routes!(articles::transition))
        .routes(routes!(articles::confirm_review))
        .routes(routes!(search::search))
        .routes(routes!(reports::service))
        .routes(routes!(saved_filters::list, saved_filters::create))
        .routes(routes!(saved_filters::delete))
        .routes(routes!(incidents::bulk))
        .routes(routes!(major::escalate))
        .routes(routes!(major::confirm))
        .routes(routes!(major::declare))
        .routes(routes!(major::communications, major::communicate))
        .routes(routes!(major::review, major::record_review))
        .routes(routes!(sla::get_policy, sla::put_policy))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::read_all))
        .routes(routes!(notifications::templates))
        .routes(routes!(notifications::get_template, notifications::put_template))
        .routes(routes!(notifications::outbox))
        .routes(routes!(identity::me))
        .routes(routes!(identity::list_users, identity::create_user))
        .routes(routes!(identity::get_user, identity::update_user))
        .routes(routes!(identity::list_customers, identity::create_customer))
        .routes(routes!(identity::get_customer, identity::update_customer))
        .routes(routes!(identity::list_contacts, identity::add_contact))
        .routes(routes!(identity::list_teams, identity::create_team))
        .routes(routes!(identity::list_members, identity::add_member))
        .routes(routes!(identity::list_tokens, identity::create_token))
        .routes(routes!(identity::revoke_token))
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().into_openapi()
}

/// Query parameters whose rejections are problem+json (unknown parameters are refused).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => {
                let detail =
                    std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
                Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.failed", detail).into())
            }
        }
    }
}

/// A 201 answer with `Location` and the new record's `ETag`.
pub fn created(location: &str, version: i64, body: impl Serialize) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    set_etag(&mut res, version);
    res
}

pub fn with_etag(version: i64, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    set_etag(&mut res, version);
    res
}

fn set_etag(res: &mut Response, version: i64) {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
}

/// A 422 naming one bad query parameter.
pub fn bad_param(name: &str, msg: &str) -> Problem {
    let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.failed", format!("{name}: {msg}"));
    p.errors = vec![crate::problem::FieldProblem { field: name.into(), message: msg.into() }];
    p
}

/// The opaque cursor of lists paged by record id.
pub fn encode_id_cursor(id: uuid::Uuid) -> String {
    incidents::encode_cursor(trellis_app::views::Cursor { key: 0, id })
}

/// The common list parameters: `limit` (1..=500, default 50) and `after` (a cursor).
pub fn page_params(limit: Option<i64>, after: Option<&str>) -> Result<(i64, Option<uuid::Uuid>), ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad_param("limit", "must be between 1 and 500").into());
    }
    let after = match after.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => Some(
            incidents::decode_cursor(a)
                .ok_or_else(|| ApiError::from(bad_param("after", "is not a cursor from this list")))?
                .id,
        ),
    };
    Ok((limit, after))
}

/// A comma-separated list of named values (`status=live,pipeline`), each checked.
pub fn named_list<N: trellis_domain::lifecycle::Named>(
    param: &str,
    value: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for part in value.unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let found = N::ALL.iter().find(|n| n.as_str() == part).ok_or_else(|| {
            let names: Vec<&str> = N::ALL.iter().map(|n| n.as_str()).collect();
            ApiError::from(bad_param(param, &format!("must be one of {}", names.join(", "))))
        })?;
        out.push(found.as_str().to_owned());
    }
    Ok(out)
}

/// The names of the states a record may move to from `status`.
pub fn allowed_transitions<L: trellis_domain::lifecycle::Lifecycle>(status: &str) -> Vec<&'static str> {
    L::ALL
        .iter()
        .find(|s| s.as_str() == status)
        .map(|s| s.allowed_transitions().iter().map(|t| t.as_str()).collect())
        .unwrap_or_default()
}
