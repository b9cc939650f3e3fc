//! The one error type of the use cases. Each variant has a stable `code` that the API returns in
//! problem+json and that clients may rely on.

use trellis_domain::lifecycle::InvalidTransition;
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use trellis_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong e-mail or password")]
    BadCredentials,
    #[error("the token is invalid")]
    TokenInvalid,
    #[error("the token has expired")]
    TokenExpired,
    #[error("too many failed attempts; try again later")]
    RateLimited,
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error("the record was changed by someone else (now at version {current})")]
    VersionMismatch { current: i64 },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the content is too large (at most {max} bytes)")]
    TooLarge { max: usize },
    #[error("internal error: {0}")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "auth.forbidden",
            AppError::Unauthenticated => "auth.required",
            AppError::BadCredentials => "auth.bad_credentials",
            AppError::TokenInvalid => "auth.token_invalid",
            AppError::TokenExpired => "auth.token_expired",
            AppError::RateLimited => "auth.rate_limited",
            AppError::Validation(_) => "validation.failed",
            AppError::InvalidTransition(e) => match e.kind {
                RecordKind::Incident => "incident.invalid_transition",
                RecordKind::Service => "service.invalid_transition",
                RecordKind::ConfigurationItem => "configuration_item.invalid_transition",
                RecordKind::Complaint => "complaint.invalid_transition",
                RecordKind::Agreement => "agreement.invalid_transition",
                RecordKind::Supplier => "supplier.invalid_transition",
                RecordKind::Problem => "problem.invalid_transition",
                RecordKind::ServiceRequest => "service_request.invalid_transition",
                RecordKind::Article => "article.invalid_transition",
            },
            AppError::VersionMismatch { .. } => "record.version_mismatch",
            AppError::Conflict { code, .. } => code,
            AppError::TooLarge { .. } => "request.too_large",
            AppError::Store(_) | AppError::Internal(_) => "internal",
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { code, message: message.into() }
    }
}
