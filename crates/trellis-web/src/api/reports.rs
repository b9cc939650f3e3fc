//! `/api/v1/reports/service`: the service report (9.4) of a customer and/or service for a
//! period, as JSON or CSV.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::{ApiQuery, bad_param};
use crate::extract::ApiActor;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use trellis_app::report::{self as app, ReportRequest, ServiceReport};
use trellis_domain::report::{Bucket, Period, date_of};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Customer id; customer users always get their own organisation's report.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    #[param(value_type = Option<Uuid>)]
    pub customer: Option<Uuid>,
    /// Service id.
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    #[param(value_type = Option<Uuid>)]
    pub service: Option<Uuid>,
    /// First day, YYYY-MM-DD (default: the first day of last month).
    pub from: Option<String>,
    /// Last day included, YYYY-MM-DD (default: the last day of last month). At most 732 days.
    pub to: Option<String>,
    /// Trend buckets: `month` (default) or `week`.
    pub bucket: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The report asked for by a query (defaults: last month, monthly trend).
pub fn request_from_query(q: &ReportQuery, today: jiff::civil::Date) -> Result<ReportRequest, ApiError> {
    let period =
        match (q.from.as_deref().filter(|s| !s.is_empty()), q.to.as_deref().filter(|s| !s.is_empty())) {
            (None, None) => Period::last_month(today),
            (from, to) => {
                let default = Period::last_month(today);
                let (f, t) = (default.from.to_string(), default.last_day().to_string());
                Period::parse(from.unwrap_or(&f), to.unwrap_or(&t)).map_err(trellis_app::AppError::from)?
            }
        };
    let bucket = match q.bucket.as_deref().filter(|s| !s.is_empty()) {
        None => Bucket::Month,
        Some(b) => {
            Bucket::parse(b).ok_or_else(|| ApiError::from(bad_param("bucket", "must be month or week")))?
        }
    };
    Ok(ReportRequest { customer_id: q.customer, service_id: q.service, period, bucket })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetAttainment {
    pub agreement_ref: String,
    pub agreement_title: String,
    /// Response time or Resolution time.
    pub metric: String,
    pub priority: String,
    /// The target, in working minutes.
    pub minutes: i64,
    pub met: u64,
    pub missed: u64,
    /// Met ÷ (met + missed) in percent; null when no clock was decided.
    pub attainment_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    pub label: String,
    pub from: String,
    /// Last day included.
    pub to: String,
    pub logged: u64,
    pub resolved: u64,
    /// Incidents open at the end of the bucket.
    pub backlog: u64,
    pub sla_met: u64,
    pub sla_missed: u64,
    pub attainment_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityVolume {
    pub priority: String,
    pub logged: u64,
    pub resolved: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportComplaint {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub status: String,
    pub received_on: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportMajor {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub status: String,
    pub declared_on: String,
    pub resolved_on: Option<String>,
    /// When its major-incident review was recorded.
    pub reviewed_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceReportJson {
    pub customer: Option<String>,
    pub service: Option<String>,
    pub from: String,
    /// Last day included.
    pub to: String,
    /// month or week.
    pub bucket: String,
    pub incidents_logged: u64,
    pub incidents_resolved: u64,
    pub backlog_at_start: u64,
    pub backlog_at_end: u64,
    pub by_priority: Vec<PriorityVolume>,
    /// SLA clocks decided in the period: missed when they breached, met when they stopped in time.
    pub sla_met: u64,
    pub sla_missed: u64,
    pub attainment_percent: Option<f64>,
    pub targets: Vec<TargetAttainment>,
    pub trend: Vec<TrendPoint>,
    pub requests_ordered: u64,
    pub requests_fulfilled: u64,
    pub requests_fulfilled_on_time: u64,
    pub surveys_sent: u64,
    pub survey_answers: u64,
    /// Mean satisfaction score (1–5) of the answers received.
    pub satisfaction_average: Option<f64>,
    pub complaints: Vec<ReportComplaint>,
    pub major_incidents: Vec<ReportMajor>,
}

fn day(m: i64) -> String {
    date_of(m).to_string()
}

impl From<ServiceReport> for ServiceReportJson {
    fn from(r: ServiceReport) -> Self {
        ServiceReportJson {
            customer: r.customer_name,
            service: r.service_name,
            from: r.request.period.from.to_string(),
            to: r.request.period.last_day().to_string(),
            bucket: r.request.bucket.as_str().into(),
            incidents_logged: r.logged,
            incidents_resolved: r.resolved,
            backlog_at_start: r.backlog_start,
            backlog_at_end: r.backlog_end,
            by_priority: r
                .by_priority
                .into_iter()
                .map(|p| PriorityVolume { priority: p.priority, logged: p.logged, resolved: p.resolved })
                .collect(),
            sla_met: r.met,
            sla_missed: r.missed,
            attainment_percent: r.attainment,
            targets: r
                .targets
                .into_iter()
                .map(|t| TargetAttainment {
                    agreement_ref: t.agreement_ref,
                    agreement_title: t.agreement_title,
                    metric: t.metric,
                    priority: t.priority,
                    minutes: t.minutes,
                    met: t.met,
                    missed: t.missed,
                    attainment_percent: t.attainment,
                })
                .collect(),
            trend: r
                .trend
                .into_iter()
                .map(|p| TrendPoint {
                    label: p.slice.label,
                    from: p.slice.from.to_string(),
                    to: p.slice.to.yesterday().unwrap_or(p.slice.to).to_string(),
                    logged: p.logged,
                    resolved: p.resolved,
                    backlog: p.backlog,
                    sla_met: p.met,
                    sla_missed: p.missed,
                    attainment_percent: p.attainment,
                })
                .collect(),
            requests_ordered: r.requests.ordered,
            requests_fulfilled: r.requests.fulfilled,
            requests_fulfilled_on_time: r.requests.on_time,
            surveys_sent: r.satisfaction.sent,
            survey_answers: r.satisfaction.answered,
            satisfaction_average: r.satisfaction.average,
            complaints: r
                .complaints
                .into_iter()
                .map(|m| ReportComplaint {
                    reference: m.reference,
                    title: m.title,
                    status: m.status,
                    received_on: day(m.created_at),
                })
                .collect(),
            major_incidents: r
                .majors
                .into_iter()
                .map(|m| ReportMajor {
                    reference: m.reference,
                    title: m.title,
                    status: m.status,
                    declared_on: day(m.declared_at),
                    resolved_on: m.resolved_at.map(day),
                    reviewed_on: m.reviewed_at.map(day),
                })
                .collect(),
        }
    }
}

/// The CSV answer of a report, as a download.
pub fn csv_response(r: &ServiceReport) -> Result<Response, ApiError> {
    let body = app::to_csv(r)?;
    let name = format!("service-report-{}-{}.csv", r.request.period.from, r.request.period.last_day());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

/// Service report
///
/// For a customer and/or service over a period (default: last month): SLA attainment per
/// target, volumes and backlog, a trend by month or week, requests, satisfaction, complaints
/// and major incidents, counted by the same definitions for every customer. `format=csv` gives
/// the figures as CSV, one per row. Customer users get their own organisation's report only.
#[utoipa::path(operation_id = "service_report", get, path = "/api/v1/reports/service", tag = "reports",
    params(ReportQuery), responses((status = 200, body = ServiceReportJson), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn service(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref() {
        None | Some("" | "json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad_param("format", "must be json or csv").into()),
    };
    let request = request_from_query(&q, app::today(&s.app))?;
    let report = app::service_report(&s.app, &actor, request).await?;
    if csv { csv_response(&report) } else { Ok(axum::Json(ServiceReportJson::from(report)).into_response()) }
}
