//! `/api/v1/surveys`: customer-satisfaction surveys, their answers and scores.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::ApiQuery;
use super::dto::{Items, Named, named, rfc3339};
use crate::extract::{ApiActor, ApiJson};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_app::survey as app;
use trellis_app::views::{ScoreRow, SurveyView};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct Survey {
    pub id: Uuid,
    pub customer: Named,
    pub service: Option<Named>,
    /// The portal user asked.
    pub asked: Named,
    /// ticket_resolved or periodic.
    pub reason: String,
    /// The ticket a ticket_resolved survey is about.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub sent_at: String,
    pub answered_at: Option<String>,
    /// 1 (very unhappy) to 5 (very happy).
    pub score: Option<i64>,
    pub comment: String,
}

pub fn survey_dto(v: SurveyView) -> Survey {
    let r = v.row;
    Survey {
        id: r.id,
        customer: Named { id: r.customer_id, name: v.customer_name },
        service: named(r.service_id, v.service_name),
        asked: Named { id: r.user_id, name: v.user_name },
        reason: r.reason,
        reference: r.record_ref,
        sent_at: rfc3339(r.sent_at),
        answered_at: r.answered_at.map(rfc3339),
        score: r.score,
        comment: r.comment,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SurveyQuery {
    /// Only surveys not yet answered.
    #[serde(default)]
    pub open: bool,
}

/// List surveys
///
/// Customer users see the surveys they were asked; staff who read agreements see all.
#[utoipa::path(operation_id = "list_surveys", get, path = "/api/v1/surveys", tag = "surveys", params(SurveyQuery),
    responses((status = 200, body = Items<Survey>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SurveyQuery>,
) -> ApiResult<axum::Json<Items<Survey>>> {
    let items = app::list(&s.app, &actor, q.open).await?.into_iter().map(survey_dto).collect();
    Ok(axum::Json(Items { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRound {
    pub customer_id: Option<Uuid>,
    /// A service the customer receives; leave out to ask about the relationship as a whole.
    pub service_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sent {
    /// How many portal users were asked.
    pub sent: usize,
}

/// Send a survey round to a customer's portal users (managers)
#[utoipa::path(operation_id = "send_surveys", post, path = "/api/v1/surveys", tag = "surveys", request_body = SendRound,
    responses((status = 201, body = Sent), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn send(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<SendRound>,
) -> ApiResult<Response> {
    let sent = app::send_round(&s.app, &actor, b.customer_id, b.service_id).await?;
    Ok((StatusCode::CREATED, axum::Json(Sent { sent })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 4, "comment": "Quick fix, friendly engineer."}))]
pub struct Answer {
    pub score: Option<i64>,
    #[serde(default)]
    pub comment: String,
}

/// Answer a survey (the user asked; once)
#[utoipa::path(operation_id = "answer_survey", post, path = "/api/v1/surveys/{id}/answer", tag = "surveys", request_body = Answer,
    params(("id" = Uuid, Path, description = "Survey id")),
    responses((status = 200, body = Survey), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Answer>,
) -> ApiResult<axum::Json<Survey>> {
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    Ok(axum::Json(survey_dto(app::answer(&s.app, &actor, id, b.score, &b.comment).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Score {
    /// Null for surveys about no particular service.
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub sent: i64,
    pub answered: i64,
    /// Mean score of the answers (null when none).
    pub average: Option<f64>,
}

pub fn score_dto(r: ScoreRow) -> Score {
    let average = (r.answered > 0).then(|| (r.score_sum as f64 / r.answered as f64 * 100.0).round() / 100.0);
    Score { id: r.id, name: r.name, sent: r.sent, answered: r.answered, average }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreSummary {
    pub by_service: Vec<Score>,
    pub by_customer: Vec<Score>,
}

/// Satisfaction per service and per customer
#[utoipa::path(operation_id = "survey_scores", get, path = "/api/v1/surveys/scores", tag = "surveys",
    responses((status = 200, body = ScoreSummary), (status = 403, body = Problem)))]
pub async fn scores(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<ScoreSummary>> {
    let (by_service, by_customer) = app::scores(&s.app, &actor).await?;
    Ok(axum::Json(ScoreSummary {
        by_service: by_service.into_iter().map(score_dto).collect(),
        by_customer: by_customer.into_iter().map(score_dto).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub customer: Named,
    pub every_days: i64,
    pub next_round_at: String,
}

/// Periodic survey rounds per customer
#[utoipa::path(operation_id = "survey_schedules", get, path = "/api/v1/surveys/schedules", tag = "surveys",
    responses((status = 200, body = Items<Schedule>), (status = 403, body = Problem)))]
pub async fn schedules(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<Schedule>>> {
    let items = app::schedules(&s.app, &actor)
        .await?
        .into_iter()
        .map(|v| Schedule {
            customer: Named { id: v.row.customer_id, name: v.customer_name },
            every_days: v.row.every_days,
            next_round_at: rfc3339(v.row.next_round_at),
        })
        .collect();
    Ok(axum::Json(Items { items }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": "019a8f3c-0000-7000-8000-000000000001", "every_days": 90}))]
pub struct SetSchedule {
    pub customer_id: Uuid,
    /// 7 to 366; null stops the rounds. The first round goes out within minutes.
    pub every_days: Option<i64>,
}

/// Survey a customer's portal users periodically (managers)
#[utoipa::path(operation_id = "set_survey_schedule", put, path = "/api/v1/surveys/schedules", tag = "surveys", request_body = SetSchedule,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_schedule(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<SetSchedule>,
) -> ApiResult<StatusCode> {
    app::schedule(&s.app, &actor, b.customer_id, b.every_days).await?;
    Ok(StatusCode::NO_CONTENT)
}
