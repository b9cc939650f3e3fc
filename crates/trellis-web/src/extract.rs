//! Request extractors: JSON bodies whose rejections are problem+json, and the acting user.

use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use trellis_app::{Actor, AppError, auth};

pub const SESSION_COOKIE: &str = "trellis_session";

/// A JSON body. Malformed JSON, wrong types, unknown fields and oversized bodies all become
/// problem+json answers with a stable code.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ct =
            req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !mime.ends_with("+json") {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.unsupported_media_type",
                "the body must be JSON with Content-Type: application/json",
            )
            .into());
        }
        let too_large = || {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large", "the request body is too large")
        };
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|n| n > crate::MAX_JSON_BYTES) {
            return Err(too_large().into());
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        if bytes.len() > crate::MAX_JSON_BYTES {
            return Err(too_large().into());
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_problem(&r).into()),
        }
    }
}

fn json_problem(r: &JsonRejection) -> Problem {
    match r {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and what was wrong ("unknown field `x`", "invalid type").
            let detail =
                std::error::Error::source(e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.failed", detail)
        }
        JsonRejection::JsonSyntaxError(e) => {
            let detail =
                std::error::Error::source(e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            Problem::new(StatusCode::BAD_REQUEST, "request.malformed_json", detail)
        }
        other => Problem::new(other.status(), "request.invalid_body", other.body_text()),
    }
}

/// The authenticated user of an API request: a bearer token, or else a browser session.
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
            let value = h.to_str().map_err(|_| ApiError::from(AppError::TokenInvalid))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or(AppError::TokenInvalid)?;
            let actor = auth::token_actor(&state.app, token.trim()).await?;
            record_actor(&actor);
            return Ok(ApiActor(actor));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar.get(SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
        let actor = auth::session_actor(&state.app, cookie.value()).await?;
        record_actor(&actor);
        Ok(ApiActor(actor))
    }
}

/// Puts the user on the request's tracing span, so every log line of the request names them.
pub fn record_actor(actor: &Actor) {
    tracing::Span::current().record("user", tracing::field::display(&actor.email));
}

/// The client address for rate limiting (the peer address; a trusted proxy setup would read
/// a forwarded header here instead).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(ip))
    }
}

/// Parses an `If-Match: "<version>"` header: `Ok(None)` when absent.
pub fn if_match(headers: &axum::http::HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(axum::http::header::IF_MATCH) else { return Ok(None) };
    let s = v.to_str().unwrap_or("").trim();
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse::<i64>().map(Some).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "request.bad_if_match",
            "If-Match must be the record's version, e.g. \"3\"",
        )
        .into()
    })
}

/// Like [`if_match`], but the header is required (428 without it).
pub fn require_if_match(headers: &axum::http::HeaderMap) -> Result<i64, ApiError> {
    if_match(headers)?.ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "request.if_match_required",
            "send If-Match with the version you read, so a concurrent change is not lost",
        )
        .into()
    })
}
