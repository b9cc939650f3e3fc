//! `/api/v1/notifications`: what the signed-in user was told; `/api/v1/notification-templates`
//! and `/api/v1/outbox`: the words of each notification and the mail that went out (admins).
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::rfc3339;
use super::{ApiQuery, with_etag};
use crate::extract::{ApiActor, ApiJson, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_app::notify::{self as app, TemplateView};
use trellis_domain::notification::Template;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only those not yet read.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (1–200, default 50), newest first.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    /// sla.warning, sla.breach, incident.assigned, incident.resolved or incident.commented.
    pub kind: String,
    pub record_id: Option<Uuid>,
    pub record_ref: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// How many of the user's notifications are unread (all of them, not only those listed).
    pub unread: i64,
}

/// My notifications
///
/// What the signed-in user was told, newest first: SLA warnings and breaches of tickets they
/// hold, escalations, assignments, resolutions and comments.
#[utoipa::path(operation_id = "list_notifications", get, path = "/api/v1/notifications", tag = "notifications",
    params(NotificationQuery), responses((status = 200, body = NotificationList)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<axum::Json<NotificationList>> {
    let (items, unread) = app::list(&s.app, &actor, q.unread, q.limit.unwrap_or(50)).await?;
    let items = items
        .into_iter()
        .map(|n| Notification {
            id: n.id,
            kind: n.kind,
            record_id: n.record_id,
            record_ref: n.record_ref,
            subject: n.subject,
            body: n.body,
            created_at: rfc3339(n.created_at),
            read_at: n.read_at.map(rfc3339),
        })
        .collect();
    Ok(axum::Json(NotificationList { items, unread }))
}

/// Mark a notification read
#[utoipa::path(operation_id = "read_notification", post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn read(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    app::mark_read(&s.app, &actor, Some(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Mark all my notifications read
#[utoipa::path(operation_id = "read_all_notifications", post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = Marked)))]
pub async fn read_all(State(s): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<Marked>> {
    Ok(axum::Json(Marked { marked: app::mark_read(&s.app, &actor, None).await? }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationTemplate {
    pub kind: String,
    pub label: String,
    /// Jinja syntax; rendered to one line.
    pub subject: String,
    /// Jinja syntax; plain text.
    pub body: String,
    /// 0 while the built-in words are in force.
    pub version: i64,
    /// Variables like those this kind is given: `recipient`, `record` and the kind's own.
    #[schema(value_type = Object)]
    pub variables: serde_json::Value,
}

impl From<TemplateView> for NotificationTemplate {
    fn from(t: TemplateView) -> Self {
        NotificationTemplate {
            kind: t.kind.as_str().into(),
            label: t.label.into(),
            subject: t.subject,
            body: t.body,
            version: t.version,
            variables: t.variables,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationTemplates {
    pub items: Vec<NotificationTemplate>,
}

/// Notification templates
///
/// The words of every notification, with the variables each is given. Administrators only.
#[utoipa::path(operation_id = "list_notification_templates", get, path = "/api/v1/notification-templates",
    tag = "notifications", responses((status = 200, body = NotificationTemplates), (status = 403, body = Problem)))]
pub async fn templates(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<NotificationTemplates>> {
    let items = app::templates(&s.app, &actor).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(NotificationTemplates { items }))
}

/// One notification template
#[utoipa::path(operation_id = "get_notification_template", get, path = "/api/v1/notification-templates/{kind}",
    tag = "notifications", params(("kind" = String, Path, description = "e.g. sla.breach")),
    responses((status = 200, body = NotificationTemplate, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn get_template(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
) -> ApiResult<Response> {
    let t = app::get_template(&s.app, &actor, &kind).await?;
    Ok(with_etag(t.version, axum::Json(NotificationTemplate::from(t))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "[{{ record.ref }}] SLA breached", "body": "{{ record.ref }} missed {{ sla.target }}.\n{{ record.url }}"}))]
pub struct TemplateBody {
    pub subject: String,
    pub body: String,
}

/// Change a notification template
///
/// Administrators only; `If-Match` with the version read (`"0"` for the built-in words). The
/// template must render with the kind's variables: an unknown variable or a syntax error is
/// refused with the field and line.
#[utoipa::path(operation_id = "put_notification_template", put, path = "/api/v1/notification-templates/{kind}",
    tag = "notifications", request_body = TemplateBody,
    params(("kind" = String, Path, description = "e.g. sla.breach"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = NotificationTemplate, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
pub async fn put_template(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(kind): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TemplateBody>,
) -> ApiResult<Response> {
    let version = require_if_match(&headers)?;
    let t = app::put_template(
        &s.app,
        &actor,
        &kind,
        version,
        Template { subject: body.subject, body: body.body },
    )
    .await?;
    Ok(with_etag(t.version, axum::Json(NotificationTemplate::from(t))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub to_address: String,
    pub subject: String,
    /// queued, sent or failed.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outbox {
    pub items: Vec<OutboxMessage>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// At most this many (1–500, default 100), newest first.
    pub limit: Option<i64>,
}

/// The mail outbox
///
/// The newest messages and how their delivery went. Administrators only.
#[utoipa::path(operation_id = "list_outbox", get, path = "/api/v1/outbox", tag = "notifications",
    params(OutboxQuery), responses((status = 200, body = Outbox), (status = 403, body = Problem)))]
pub async fn outbox(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> ApiResult<Response> {
    let items = app::outbox(&s.app, &actor, q.limit.unwrap_or(100))
        .await?
        .into_iter()
        .map(|m| OutboxMessage {
            id: m.id,
            notification_id: m.notification_id,
            to_address: m.to_address,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: rfc3339(m.created_at),
            sent_at: m.sent_at.map(rfc3339),
        })
        .collect();
    Ok(axum::Json(Outbox { items }).into_response())
}
