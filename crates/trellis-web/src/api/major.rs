//! `/api/v1/incidents/{key}/escalations`, `/major`, `/communications` and `/major-review`:
//! hierarchical escalation and major incidents.

use super::dto::{Incident, rfc3339};
use super::incidents::incident_response;
use super::with_etag;
use crate::extract::{ApiActor, ApiJson, if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_app::major as app;
use trellis_app::views::{CommunicationView, MajorReviewView};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Third reassignment and still no diagnosis."}))]
pub struct Escalation {
    pub reason: String,
}

/// Escalate an incident to management
///
/// Raises its escalation level by one and tells the managers of its team (every manager when the
/// team has none). Functional escalation is a change of `team_id`. `If-Match` is optional; when
/// sent it must match. 409 `incident.not_open` for a resolved or closed incident.
#[utoipa::path(operation_id = "escalate_incident", post, path = "/api/v1/incidents/{key}/escalations", tag = "incidents",
    request_body = Escalation, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem)))]
pub async fn escalate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Escalation>,
) -> ApiResult<Response> {
    trellis_app::incident::handle(&s.app, &actor, &key).await?;
    let v = app::escalate(&s.app, &actor, &key, &body.reason, if_match(&headers)?).await?;
    Ok(incident_response(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"manager_id": "0193a0b4-2a3c-7f1e-9d7a-3c1b2a4d5e6f", "reason": "Every Leeds user is without e-mail."}))]
pub struct Declaration {
    /// The manager or administrator who runs the major incident.
    pub manager_id: Option<Uuid>,
    pub reason: String,
}

/// Declare a major incident
///
/// Names the manager who runs it; every manager is told. 409 `incident.already_major` or
/// `incident.not_open`.
#[utoipa::path(operation_id = "declare_major_incident", post, path = "/api/v1/incidents/{key}/major", tag = "incidents",
    request_body = Declaration, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem)))]
pub async fn declare(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Declaration>,
) -> ApiResult<Response> {
    trellis_app::incident::handle(&s.app, &actor, &key).await?;
    let v = app::declare(&s.app, &actor, &key, body.manager_id, &body.reason, if_match(&headers)?).await?;
    Ok(incident_response(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"audience": "customers", "channel": "email", "message": "The carrier expects service back by 15:00."}))]
pub struct NewCommunication {
    /// customers, internal or suppliers.
    pub audience: String,
    /// email, portal, phone, status_page or meeting.
    pub channel: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Communication {
    pub id: Uuid,
    pub audience: String,
    pub channel: String,
    pub message: String,
    pub author: Option<String>,
    pub sent_at: String,
}

impl From<CommunicationView> for Communication {
    fn from(v: CommunicationView) -> Self {
        Communication {
            id: v.row.id,
            audience: v.row.audience,
            channel: v.row.channel,
            message: v.row.message,
            author: v.author_name,
            sent_at: rfc3339(v.row.sent_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Communications {
    pub items: Vec<Communication>,
}

/// The communication log of a major incident
///
/// Staff see every entry; a customer user sees what was sent to customers.
#[utoipa::path(operation_id = "incident_communications", get, path = "/api/v1/incidents/{key}/communications", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Communications), (status = 404, body = Problem)))]
pub async fn communications(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Communications>> {
    let items = app::communications(&s.app, &actor, &key).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(Communications { items }))
}

/// Log a communication about a major incident
///
/// One for customers also reaches the portal users of the incident's customer, in the
/// application and by mail. 409 `incident.not_major` until it is declared.
#[utoipa::path(operation_id = "communicate_incident", post, path = "/api/v1/incidents/{key}/communications", tag = "incidents",
    request_body = NewCommunication, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = Communication), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn communicate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<NewCommunication>,
) -> ApiResult<Response> {
    let new = app::NewCommunication { audience: body.audience, channel: body.channel, message: body.message };
    let c = app::communicate(&s.app, &actor, &key, new).await?;
    Ok((StatusCode::CREATED, axum::Json(Communication::from(c))).into_response())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"summary": "Leeds lost e-mail for 3 h.", "cause": "A carrier line card failed.",
    "went_well": "Customers were updated hourly.", "went_wrong": "The failover route was not tested.",
    "actions": "Test failover quarterly."}))]
pub struct ReviewBody {
    pub summary: String,
    pub cause: String,
    #[serde(default)]
    pub went_well: String,
    #[serde(default)]
    pub went_wrong: String,
    /// What will be done so it does not happen again.
    #[serde(default)]
    pub actions: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MajorReview {
    #[serde(flatten)]
    pub body: ReviewBody,
    pub reviewer: Option<String>,
    pub reviewed_at: String,
    /// Send it back in `If-Match` to correct the review.
    pub version: i64,
}

impl From<MajorReviewView> for MajorReview {
    fn from(v: MajorReviewView) -> Self {
        MajorReview {
            body: ReviewBody {
                summary: v.row.summary,
                cause: v.row.cause,
                went_well: v.row.went_well,
                went_wrong: v.row.went_wrong,
                actions: v.row.actions,
            },
            reviewer: v.reviewer_name,
            reviewed_at: rfc3339(v.row.reviewed_at),
            version: v.row.version,
        }
    }
}

/// The review of a major incident
#[utoipa::path(operation_id = "major_incident_review", get, path = "/api/v1/incidents/{key}/major-review", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = MajorReview, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let r = app::review(&s.app, &actor, &key).await?.ok_or(trellis_app::AppError::NotFound)?;
    Ok(with_etag(r.row.version, axum::Json(MajorReview::from(r))))
}

/// Record the review of a major incident
///
/// Managers only, once the incident is resolved (409 `incident.review_too_early`); it may be
/// corrected until the incident closes: `If-Match` with the version read (`"0"` for the first)
/// keeps two managers from overwriting each other (412 when stale; optional). A major incident
/// cannot close without it (409 `incident.major_review_required`).
#[utoipa::path(operation_id = "record_major_incident_review", put, path = "/api/v1/incidents/{key}/major-review", tag = "incidents",
    request_body = ReviewBody, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = MajorReview, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem)))]
pub async fn record_review(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReviewBody>,
) -> ApiResult<Response> {
    trellis_app::incident::handle(&s.app, &actor, &key).await?;
    let version = if_match(&headers)?;
    let input = app::ReviewInput {
        summary: body.summary,
        cause: body.cause,
        went_well: body.went_well,
        went_wrong: body.went_wrong,
        actions: body.actions,
    };
    let r = app::record_review(&s.app, &actor, &key, input, version).await?;
    Ok(with_etag(r.row.version, axum::Json(MajorReview::from(r))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"fixed": false, "comment": "Outlook still times out from the Leeds office."}))]
pub struct Confirmation {
    /// true: the resolution is confirmed and the incident closes; false: it reopens.
    pub fixed: bool,
    /// Required when not fixed; added as a public comment.
    #[serde(default)]
    pub comment: String,
}

/// Confirm a resolution, or say it is not fixed
///
/// The customer's answer to a resolved incident: confirmed, it closes; not fixed (with a comment
/// saying what is still wrong), it reopens, within the reopen window (409
/// `incident.reopen_window_passed` after it). 409 `incident.not_resolved` when it is not resolved.
/// A major incident awaiting its review stays resolved: the confirmation is recorded as a comment
/// and the service desk closes it once reviewed. `If-Match` is optional; when sent it must match.
#[utoipa::path(operation_id = "confirm_incident", post, path = "/api/v1/incidents/{key}/confirmation", tag = "incidents",
    request_body = Confirmation, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Confirmation>,
) -> ApiResult<Response> {
    trellis_app::incident::handle(&s.app, &actor, &key).await?;
    let version = if_match(&headers)?;
    let v = trellis_app::incident::confirm(&s.app, &actor, &key, body.fixed, &body.comment, version).await?;
    Ok(incident_response(v))
}
