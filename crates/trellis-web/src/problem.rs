//! RFC 9457 problem details: the one error shape of the API, with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use trellis_app::AppError;
use trellis_domain::validation::FieldError;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The request field, e.g. `title`.
    pub field: String,
    pub message: String,
}

/// An error answer (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "https://trellis.invalid/problems/incident.invalid_transition", "title": "Conflict", "status": 409, "detail": "an incident cannot move from closed to new", "code": "incident.invalid_transition"}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, dotted error code for programs (`validation.failed`, `auth.token_expired` ...).
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// The current version, when the request lost a race (412).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://trellis.invalid/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
            current_version: None,
        }
    }

    pub fn with_errors(mut self, errors: &[FieldError]) -> Self {
        self.errors = errors
            .iter()
            .map(|e| FieldProblem { field: e.field.clone(), message: e.message.clone() })
            .collect();
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The status each application error maps to.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Unauthenticated
        | AppError::BadCredentials
        | AppError::TokenInvalid
        | AppError::TokenExpired => StatusCode::UNAUTHORIZED,
        AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::InvalidTransition(_) | AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::VersionMismatch { .. } => StatusCode::PRECONDITION_FAILED,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An application error on its way out of an API handler.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = status_of(&e);
        let detail = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // The cause goes to the log with the request id, never to the client.
            tracing::error!(error = %e, "internal error");
            "an internal error occurred; it has been logged".to_owned()
        } else {
            e.to_string()
        };
        let mut p = Problem::new(status, e.code(), detail);
        match &e {
            AppError::Validation(v) => p = p.with_errors(&v.0),
            AppError::VersionMismatch { current } => p.current_version = Some(*current),
            _ => {}
        }
        ApiError(Box::new(p))
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(Box::new(p))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
