//! `/api/v1/incidents/{key}/sla`: an incident's SLA clocks with their explanation, and
//! `/api/v1/settings/incident-policy`: the priority matrix and the reopen window.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::calendars::instant;
use super::dto::rfc3339;
use super::{ApiQuery, with_etag};
use crate::extract::{ApiActor, ApiJson, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::sla::{self as app, Explained};
use trellis_domain::agreement::Priority;
use trellis_domain::incident::{Impact, IncidentPolicy, PriorityMatrix, Urgency};
use trellis_domain::sla::SegmentKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaQuery {
    /// Evaluate as of this RFC 3339 instant (not in the future): what the clock showed then.
    pub at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaClocks {
    /// The instant the clocks were evaluated at.
    pub at: String,
    pub items: Vec<SlaClock>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockAgreement {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    /// sla, ola or contract.
    #[serde(rename = "type")]
    pub agreement_type: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaClock {
    pub agreement: ClockAgreement,
    pub target_id: Uuid,
    /// response or resolution.
    pub metric: String,
    /// p1 to p4; empty for a target of every priority.
    pub priority: String,
    pub target_minutes: i64,
    /// running, paused or stopped.
    pub state: String,
    /// 1, or more after reopens under the restart rule.
    pub cycle: u32,
    /// Working time counted in the current cycle.
    pub elapsed_seconds: i64,
    /// Thousandths of the target used.
    pub used_permille: i64,
    pub started_at: String,
    pub warn_at: Option<String>,
    pub due_at: Option<String>,
    pub warned_at: Option<String>,
    pub breached_at: Option<String>,
    pub stopped_at: Option<String>,
    /// For a breach: the lower target (OLA or contract) whose breach caused it.
    pub attributed_to: Option<Uuid>,
    /// What the queue projection holds (computed at the last change or wake-up).
    pub projection: Option<ClockProjection>,
    /// Warnings and breaches recorded for this clock.
    pub events: Vec<ClockEvent>,
    /// Every stretch of time from the start to `at`, counted or not and why.
    pub segments: Vec<ClockSegment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockProjection {
    pub state: String,
    pub elapsed_seconds: i64,
    pub due_at: Option<String>,
    pub warn_at: Option<String>,
    pub breached_at: Option<String>,
    pub computed_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockEvent {
    /// warning or breach.
    pub kind: String,
    pub cycle: i64,
    pub reached_at: String,
    pub fired_at: String,
    pub attributed_target_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockSegment {
    pub from: String,
    pub to: String,
    pub seconds: i64,
    pub counted: bool,
    /// counted, outside_hours, paused, elsewhere, stopped or discarded.
    pub kind: String,
    /// The pending reason, for a paused stretch.
    pub reason: Option<String>,
    /// The ticket's status during the stretch.
    pub status: String,
    pub explanation: String,
}

fn segment_kind(k: SegmentKind) -> (&'static str, Option<String>) {
    match k {
        SegmentKind::Counted => ("counted", None),
        SegmentKind::OutsideHours => ("outside_hours", None),
        SegmentKind::Paused(r) => ("paused", Some(r.as_str().to_owned())),
        SegmentKind::Elsewhere => ("elsewhere", None),
        SegmentKind::Stopped => ("stopped", None),
        SegmentKind::Discarded => ("discarded", None),
    }
}

impl From<Explained> for SlaClock {
    fn from(e: Explained) -> Self {
        let t = &e.clock.timer;
        let g = &e.clock.target;
        let ts = |x: Option<jiff::Timestamp>| x.map(|v| v.to_string());
        SlaClock {
            agreement: ClockAgreement {
                id: g.agreement_id,
                reference: g.agreement_ref.clone(),
                title: g.agreement_title.clone(),
                agreement_type: g.agreement_type.clone(),
            },
            target_id: g.target_id,
            metric: g.metric.clone(),
            priority: g.priority.clone(),
            target_minutes: g.threshold,
            state: t.state.as_str().into(),
            cycle: t.cycle,
            elapsed_seconds: t.elapsed.as_secs(),
            used_permille: t.used_permille(),
            started_at: t.started_at.to_string(),
            warn_at: ts(t.warn_at),
            due_at: ts(t.due_at),
            warned_at: ts(t.warned_at),
            breached_at: ts(t.breached_at),
            stopped_at: ts(t.stopped_at),
            attributed_to: e.clock.attributed_to.as_ref().map(|a| a.target_id),
            projection: e.projection.map(|p| ClockProjection {
                state: p.state,
                elapsed_seconds: p.elapsed_secs,
                due_at: p.due_at.map(rfc3339),
                warn_at: p.warn_at.map(rfc3339),
                breached_at: p.breached_at.map(rfc3339),
                computed_at: rfc3339(p.computed_at),
            }),
            events: e
                .events
                .into_iter()
                .map(|v| ClockEvent {
                    kind: v.kind,
                    cycle: v.cycle,
                    reached_at: rfc3339(v.reached_at),
                    fired_at: rfc3339(v.fired_at),
                    attributed_target_id: v.attributed_target_id,
                })
                .collect(),
            segments: t
                .segments
                .iter()
                .map(|s| {
                    let (kind, reason) = segment_kind(s.kind);
                    ClockSegment {
                        from: s.from.to_string(),
                        to: s.to.to_string(),
                        seconds: s.length().as_secs(),
                        counted: s.kind == SegmentKind::Counted,
                        kind: kind.into(),
                        reason,
                        status: s.status.as_str().into(),
                        explanation: s.kind.explain(),
                    }
                })
                .collect(),
        }
    }
}

/// An incident's SLA clocks, explained
///
/// Each clock is evaluated afresh from the incident's journal, the agreement's conditions and the
/// versioned calendar; `segments` accounts for every second since the incident was logged.
/// `projection` is what queues sort by. Customer users see their SLA clocks only.
#[utoipa::path(operation_id = "incident_sla", get, path = "/api/v1/incidents/{key}/sla", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id"), SlaQuery),
    responses((status = 200, body = SlaClocks), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn explain(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<SlaQuery>,
) -> ApiResult<axum::Json<SlaClocks>> {
    let at = q.at.as_deref().map(|a| instant("at", a)).transpose()?;
    let clocks = app::explain(&s.app, &actor, &key, at).await?;
    let at = at.unwrap_or_else(|| s.app.now());
    Ok(axum::Json(SlaClocks { at: at.to_string(), items: clocks.into_iter().map(SlaClock::from).collect() }))
}

/// One row of the priority matrix: the priority for each urgency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    pub high: String,
    pub medium: String,
    pub low: String,
}

/// Priority (p1–p4) by impact, then urgency.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub high: MatrixRow,
    pub medium: MatrixRow,
    pub low: MatrixRow,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"matrix": {"high": {"high": "p1", "medium": "p2", "low": "p3"},
    "medium": {"high": "p2", "medium": "p3", "low": "p4"}, "low": {"high": "p3", "medium": "p4", "low": "p4"}},
    "reopen_days": 7, "problem_rca_days": 30}))]
pub struct IncidentPolicyBody {
    pub matrix: Matrix,
    /// Days after resolution during which an incident may be reopened (0–365).
    pub reopen_days: i64,
    /// Days an open problem may go without a root cause before it is flagged (1–365; default 30).
    #[serde(default = "default_rca_days")]
    pub problem_rca_days: i64,
}

fn default_rca_days() -> i64 {
    trellis_domain::problem::DEFAULT_RCA_DAYS
}

fn body_of(p: &IncidentPolicy) -> IncidentPolicyBody {
    let row = |i: Impact| {
        let cell = |u: Urgency| p.matrix.priority(i, u).as_str().to_owned();
        MatrixRow { high: cell(Urgency::High), medium: cell(Urgency::Medium), low: cell(Urgency::Low) }
    };
    IncidentPolicyBody {
        matrix: Matrix { high: row(Impact::High), medium: row(Impact::Medium), low: row(Impact::Low) },
        reopen_days: p.reopen_days,
        problem_rca_days: p.problem_rca_days,
    }
}

fn policy_of(b: IncidentPolicyBody) -> Result<IncidentPolicy, trellis_domain::validation::ValidationErrors> {
    let mut errors = trellis_domain::validation::ValidationErrors::default();
    let mut cells = PriorityMatrix::default().cells;
    for (i, (impact, row)) in
        [("high", b.matrix.high), ("medium", b.matrix.medium), ("low", b.matrix.low)].into_iter().enumerate()
    {
        for (u, (urgency, value)) in
            [("high", row.high), ("medium", row.medium), ("low", row.low)].into_iter().enumerate()
        {
            match Priority::parse(value.trim()) {
                Some(p) => cells[i][u] = p,
                None => errors.add(&format!("matrix.{impact}.{urgency}"), "must be p1, p2, p3 or p4"),
            }
        }
    }
    errors.into_result()?;
    Ok(IncidentPolicy {
        matrix: PriorityMatrix { cells },
        reopen_days: b.reopen_days,
        problem_rca_days: b.problem_rca_days,
    })
}

/// Read the incident policy
///
/// The priority matrix (impact × urgency) and the reopen window. Staff only.
#[utoipa::path(operation_id = "get_incident_policy", get, path = "/api/v1/settings/incident-policy", tag = "settings",
    responses((status = 200, body = IncidentPolicyBody, headers(("ETag" = String))), (status = 403, body = Problem)))]
pub async fn get_policy(State(s): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<Response> {
    let (policy, version) = trellis_app::settings::get_incident_policy(&s.app, &actor).await?;
    Ok(with_etag(version, axum::Json(body_of(&policy))))
}

/// Change the incident policy
///
/// Administrators only; `If-Match` with the version read (`"0"` while it is the default). A cell
/// may not rank above a cell with more impact or more urgency. Existing incidents keep their
/// priority until their impact or urgency next changes.
#[utoipa::path(operation_id = "put_incident_policy", put, path = "/api/v1/settings/incident-policy", tag = "settings",
    request_body = IncidentPolicyBody,
    params(("If-Match" = String, Header, description = "The version read, e.g. \"0\"")),
    responses((status = 200, body = IncidentPolicyBody, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn put_policy(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<IncidentPolicyBody>,
) -> ApiResult<Response> {
    let version = require_if_match(&headers)?;
    let policy = policy_of(body).map_err(trellis_app::AppError::from)?;
    let (policy, version) =
        trellis_app::settings::put_incident_policy(&s.app, &actor, version, policy).await?;
    Ok(with_etag(version, axum::Json(body_of(&policy))))
}
