//! `/api/v1`: JSON over HTTP, described by an OpenAPI 3.1 document generated from the handlers.

pub mod dto;
pub mod identity;
pub mod incidents;

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
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(incidents::list, incidents::create))
        .routes(routes!(incidents::get, incidents::update))
        .routes(routes!(incidents::transition))
        .routes(routes!(incidents::journal))
        .routes(routes!(incidents::comments, incidents::add_comment))
        .routes(routes!(incidents::attachments, incidents::add_attachment))
        .routes(routes!(incidents::attachment_content))
        .routes(routes!(incidents::links, incidents::add_link))
        .routes(routes!(identity::me))
        .routes(routes!(identity::list_users, identity::create_user))
        .routes(routes!(identity::get_user, identity::update_user))
        .routes(routes!(identity::list_customers, identity::create_customer))
        .routes(routes!(identity::get_customer))
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
