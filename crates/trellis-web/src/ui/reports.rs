//! The service report page (9.4): the figures of `trellis_app::report` with two SVG charts (the
//! volume trend with the backlog, and SLA attainment per bucket) and a CSV download.

use super::complaints::service_choices;
use super::{Nav, UiActor, UiResult, customer_choices, list_query, render};
use crate::api::reports::{ReportQuery, ServiceReportJson, csv_response, request_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use trellis_app::AppError;
use trellis_app::report as app;
use trellis_domain::access::Action;

/// A bar of a chart, in SVG user units, with its tooltip.
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub class: &'static str,
    pub title: String,
}

/// A small bar chart with an optional line, laid out for a fixed viewBox.
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<Bar>,
    /// `points` of an SVG polyline (empty: no line).
    pub line: String,
    /// Bucket labels under the bars: x, text.
    pub labels: Vec<(f64, String)>,
    /// Y-axis ticks: y, text.
    pub ticks: Vec<(f64, String)>,
    /// The bottom of the plot.
    pub base: f64,
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

/// Lays out `series` (per bucket: a value per series, `None` for no bar) as grouped bars on a
/// 0..=`max` scale, with `line` drawn across the buckets.
fn chart(
    labels: &[String],
    series: &[(&'static str, &str, Vec<Option<f64>>)],
    line: Option<(&str, Vec<f64>)>,
    max: f64,
    unit: &str,
) -> Chart {
    let n = labels.len().max(1) as f64;
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - TOP - BOTTOM;
    let base = TOP + plot_h;
    let group = plot_w / n;
    let bar_w = (group * 0.8) / series.len().max(1) as f64;
    let y_of = |v: f64| base - (v / max.max(1.0)) * plot_h;
    let mut bars = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        for (k, (class, name, values)) in series.iter().enumerate() {
            if let Some(v) = values.get(i).copied().flatten() {
                let x = LEFT + group * i as f64 + group * 0.1 + bar_w * k as f64;
                bars.push(Bar {
                    x,
                    y: y_of(v),
                    w: bar_w,
                    h: base - y_of(v),
                    class,
                    title: format!("{label}: {name} {v}{unit}"),
                });
            }
        }
    }
    let line = line.map_or_else(String::new, |(_, values)| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", LEFT + group * (i as f64 + 0.5), y_of(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    });
    // Label every bucket when they fit, else every few.
    let step = (labels.len() / 12).max(1);
    let labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .map(|(i, l)| (LEFT + group * (i as f64 + 0.5), l.clone()))
        .collect();
    let ticks =
        [0.0, 0.5, 1.0].iter().map(|f| (y_of(max * f), format!("{}{unit}", (max * f).round()))).collect();
    Chart { width: W, height: H, bars, line, labels, ticks, base }
}

#[derive(Template)]
#[template(path = "report_service.html")]
struct ReportPage {
    nav: Option<Nav>,
    is_staff: bool,
    customers: Vec<(uuid::Uuid, String)>,
    services: Vec<(String, String)>,
    q_customer: String,
    q_service: String,
    q_from: String,
    q_to: String,
    q_bucket: String,
    error: Option<String>,
    report: Option<ServiceReportJson>,
    volume: Option<Chart>,
    sla: Option<Chart>,
    csv_url: String,
}

/// `/reports/service`: the form, and the report it asks for (last month by default).
pub async fn service(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    uri: Uri,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::ServiceReportRead)?;
    let (q, mut error) = list_query(query);
    let mut page = ReportPage {
        nav: Nav::new(&actor, "reports"),
        is_staff: actor.role.is_staff(),
        customers: customer_choices(&s, &actor).await?,
        services: service_choices(&s, &actor).await?,
        q_customer: q.customer.map(|c| c.to_string()).unwrap_or_default(),
        q_service: q.service.map(|c| c.to_string()).unwrap_or_default(),
        q_from: String::new(),
        q_to: String::new(),
        q_bucket: q.bucket.clone().unwrap_or_else(|| "month".into()),
        error: None,
        report: None,
        volume: None,
        sla: None,
        csv_url: format!("/reports/service.csv?{}", uri.query().unwrap_or_default()),
    };
    let request = match (&error, request_from_query(&q, app::today(&s.app))) {
        (None, Ok(r)) => Some(r),
        (_, Err(p)) => {
            error.get_or_insert(p.0.detail);
            None
        }
        _ => None,
    };
    if let Some(r) = request {
        page.q_from = r.period.from.to_string();
        page.q_to = r.period.last_day().to_string();
        match app::service_report(&s.app, &actor, r).await {
            Ok(report) => {
                let json = ServiceReportJson::from(report);
                let labels: Vec<String> = json.trend.iter().map(|p| p.label.clone()).collect();
                let max =
                    json.trend.iter().map(|p| p.logged.max(p.resolved).max(p.backlog)).max().unwrap_or(0)
                        as f64;
                // An even count, so the middle tick is a whole number too.
                let max = ((max / 2.0).ceil() * 2.0).max(2.0);
                page.volume = Some(chart(
                    &labels,
                    &[
                        ("logged", "logged", json.trend.iter().map(|p| Some(p.logged as f64)).collect()),
                        (
                            "resolved",
                            "resolved",
                            json.trend.iter().map(|p| Some(p.resolved as f64)).collect(),
                        ),
                    ],
                    Some(("backlog", json.trend.iter().map(|p| p.backlog as f64).collect())),
                    max,
                    "",
                ));
                page.sla = Some(chart(
                    &labels,
                    &[("attained", "attained", json.trend.iter().map(|p| p.attainment_percent).collect())],
                    None,
                    100.0,
                    " %",
                ));
                page.report = Some(json);
            }
            Err(AppError::NotFound) => error = Some("No such customer or service for you.".into()),
            Err(e) => return Err(e.into()),
        }
    }
    page.error = error;
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&page)).into_response())
}

/// `/reports/service.csv`: the same report as a CSV download.
pub async fn service_csv(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    let (q, error) = list_query(query);
    if let Some(e) = error {
        return Ok(super::error_page(StatusCode::UNPROCESSABLE_ENTITY, &e));
    }
    let request = match request_from_query(&q, app::today(&s.app)) {
        Ok(r) => r,
        Err(p) => return Ok(super::error_page(StatusCode::UNPROCESSABLE_ENTITY, &p.0.detail)),
    };
    let report = app::service_report(&s.app, &actor, request).await?;
    Ok(csv_response(&report).unwrap_or_else(IntoResponse::into_response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_skip_missing_ones() {
        let labels = vec!["2026-09".to_owned(), "2026-10".to_owned()];
        let c = chart(&labels, &[("a", "attained", vec![Some(100.0), None])], None, 100.0, " %");
        assert_eq!(c.bars.len(), 1, "no bar where nothing was decided");
        assert!((c.bars[0].y - TOP).abs() < 1e-9, "100 % reaches the top");
        assert!((c.bars[0].h - (H - TOP - BOTTOM)).abs() < 1e-9);
        let c = chart(
            &labels,
            &[("l", "logged", vec![Some(2.0), Some(4.0)])],
            Some(("b", vec![1.0, 3.0])),
            4.0,
            "",
        );
        assert!((c.bars[0].h * 2.0 - c.bars[1].h).abs() < 1e-9, "heights are proportional");
        assert_eq!(c.line.split(' ').count(), 2);
        assert_eq!(c.ticks.last().map(|t| t.1.as_str()), Some("4"));
    }
}
