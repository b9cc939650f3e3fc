//! Trellis HTTP: `/api/v1` (JSON + OpenAPI), the server-rendered UI and portal, operations
//! endpoints, and the middleware every request passes through.

pub mod api;
pub mod assets;
pub mod extract;
pub mod ops;
pub mod problem;
pub mod state;
pub mod ui;

pub use state::{AppState, WebSettings};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use utoipa_swagger_ui::SwaggerUi;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// JSON and form bodies larger than this are refused with 413 (attachments have their own limit).
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The strict policy of every page: our own scripts and styles only, no inline code, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The API docs page (Swagger UI) needs inline styles; it is confined to its own path.
const CSP_DOCS: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                        connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application as one router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let attachment_limit = state.app.settings.max_attachment_bytes + 64 * 1024;
    let docs = Router::new()
        .merge(SwaggerUi::new("/api/v1/docs").url("/api/v1/openapi.json", openapi))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_DOCS),
        ));

    let app = Router::new()
        .merge(api)
        .merge(ui::router())
        .merge(ops::router())
        .merge(assets::router())
        .fallback(not_found)
        .with_state(state)
        .merge(docs)
        // The largest body any route takes (an attachment); JSON bodies are held to
        // MAX_JSON_BYTES by their extractor.
        .layer(DefaultBodyLimit::max(attachment_limit));

    let sensitive = [header::AUTHORIZATION, header::COOKIE];
    app.layer(middleware::from_fn(record_metrics)).layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new(sensitive))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path(), user = tracing::field::Empty)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .on_failure(DefaultOnFailure::new().level(tracing::Level::ERROR)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
            .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
            .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
            .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
            .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            .layer(CsrfLayer::new().with_rejection_response(csrf_rejected)),
    )
}

#[expect(clippy::needless_pass_by_value, reason = "the CSRF layer hands the error over by value")]
fn csrf_rejected(e: tower_http::csrf::ProtectionError) -> Response {
    tracing::info!(reason = ?e.kind(), "cross-origin request refused");
    problem::Problem::new(
        StatusCode::FORBIDDEN,
        "request.cross_origin",
        "cross-origin requests that change data are refused",
    )
    .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    problem::Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an internal error occurred; it has been logged",
    )
    .into_response()
}

async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        problem::Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource").into_response()
    } else {
        ui::error_page(StatusCode::NOT_FOUND, "This page does not exist.")
    }
}

/// Counts requests and their durations per route template (not per URL, to bound cardinality).
async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("trellis_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("trellis_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}
