//! Service reports (9.4): for a customer and/or service and a period, SLA attainment per target,
//! volumes, trends, backlog, satisfaction, complaints and major incidents, all counted by the
//! definitions in `trellis_domain::report`, the same for every customer.

use crate::{Actor, App, AppError};
use jiff::civil::Date;
use trellis_domain::access::Action;
use trellis_domain::agreement::{Metric, Priority};
use trellis_domain::record::RecordKey;
use trellis_domain::report::{Bucket, Period, Slice, attainment, slices, start_micros};
use trellis_store::report::{self as store, ComplaintFact, MajorFact, Scope};
use trellis_store::{identity, service};
use uuid::Uuid;

/// What to report on.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub period: Period,
    pub bucket: Bucket,
}

/// One SLA target's attainment over the period.
#[derive(Debug, Clone)]
pub struct TargetAttainment {
    pub agreement_ref: String,
    pub agreement_title: String,
    pub metric: String,
    pub priority: String,
    pub minutes: i64,
    pub met: u64,
    pub missed: u64,
    pub attainment: Option<f64>,
}

/// One trend bucket.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub slice: Slice,
    pub logged: u64,
    pub resolved: u64,
    /// Open at the end of the bucket.
    pub backlog: u64,
    pub met: u64,
    pub missed: u64,
    pub attainment: Option<f64>,
}

/// Incidents by priority over the period.
#[derive(Debug, Clone)]
pub struct PriorityVolume {
    pub priority: String,
    pub logged: u64,
    pub resolved: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Satisfaction {
    pub sent: u64,
    pub answered: u64,
    /// Mean score (1–5) of the answers received in the period.
    pub average: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct RequestVolume {
    pub ordered: u64,
    pub fulfilled: u64,
    /// Fulfilled by their due instant (of those fulfilled that had one).
    pub on_time: u64,
}

#[derive(Debug, Clone)]
pub struct ServiceReport {
    pub request: ReportRequest,
    pub customer_name: Option<String>,
    pub service_name: Option<String>,
    pub logged: u64,
    pub resolved: u64,
    pub backlog_start: u64,
    pub backlog_end: u64,
    pub by_priority: Vec<PriorityVolume>,
    pub targets: Vec<TargetAttainment>,
    pub met: u64,
    pub missed: u64,
    pub attainment: Option<f64>,
    pub trend: Vec<TrendPoint>,
    pub requests: RequestVolume,
    pub satisfaction: Satisfaction,
    pub complaints: Vec<ComplaintFact>,
    pub majors: Vec<MajorFact>,
}

fn within(at: i64, from: i64, to: i64) -> bool {
    (from..to).contains(&at)
}

fn count<T>(items: &[T], keep: impl Fn(&T) -> bool) -> u64 {
    items.iter().filter(|i| keep(i)).count() as u64
}

/// The report for `r`. A customer user's report is always their own organisation's; asking for
/// another customer's is not found.
pub async fn service_report(
    app: &App,
    actor: &Actor,
    mut r: ReportRequest,
) -> Result<ServiceReport, AppError> {
    actor.require(Action::ServiceReportRead)?;
    if !actor.role.is_staff() {
        match (actor.customer_id, r.customer_id) {
            (Some(mine), None) => r.customer_id = Some(mine),
            (Some(mine), Some(asked)) if asked == mine => {}
            _ => return Err(AppError::NotFound),
        }
    }
    let mut c = app.db.read();
    let customer_name = match r.customer_id {
        Some(id) => Some(identity::get_customer(&mut c, id).await?.ok_or(AppError::NotFound)?.name),
        None => None,
    };
    let service_name = match r.service_id {
        Some(id) => {
            let s = service::get(&mut c, &RecordKey::Id(id)).await?.ok_or(AppError::NotFound)?;
            if !actor.role.is_staff()
                && !service::receives(&mut c, id, r.customer_id.unwrap_or_default()).await?
            {
                return Err(AppError::NotFound);
            }
            Some(format!("{} {}", s.row.reference, s.row.name))
        }
        None => None,
    };
    let (from, to) = (start_micros(r.period.from), start_micros(r.period.to));
    let scope = Scope { customer_id: r.customer_id, service_id: r.service_id, from, to };
    let incidents = store::incidents(&mut c, &scope).await?;
    let clocks = store::decided_clocks(&mut c, &scope).await?;
    let target_rows = store::sla_targets(&mut c, &scope).await?;
    let requests = store::requests(&mut c, &scope).await?;
    let surveys = store::surveys(&mut c, &scope).await?;
    let complaints = store::complaints(&mut c, &scope).await?;
    let majors = store::majors(&mut c, &scope).await?;

    let open_at = |at: i64| count(&incidents, |i| i.created_at < at && i.resolved_at.is_none_or(|x| x >= at));
    let logged_in = |a: i64, b: i64| count(&incidents, |i| within(i.created_at, a, b));
    let resolved_in = |a: i64, b: i64| count(&incidents, |i| i.resolved_at.is_some_and(|x| within(x, a, b)));

    let mut by_priority: Vec<PriorityVolume> = Vec::new();
    for p in Priority::ALL.iter().map(|p| p.as_str()) {
        let of = |i: &&store::IncidentFact| i.priority == p;
        let mine: Vec<&store::IncidentFact> = incidents.iter().filter(of).collect();
        by_priority.push(PriorityVolume {
            priority: p.into(),
            logged: count(&mine, |i| within(i.created_at, from, to)),
            resolved: count(&mine, |i| i.resolved_at.is_some_and(|x| within(x, from, to))),
        });
    }

    let targets = target_rows
        .into_iter()
        .map(|t| {
            let met = count(&clocks, |k| k.target_id == t.target_id && !k.missed);
            let missed = count(&clocks, |k| k.target_id == t.target_id && k.missed);
            TargetAttainment {
                metric: Metric::parse(&t.metric).map_or_else(|| t.metric.clone(), |m| m.label().to_owned()),
                agreement_ref: t.agreement_ref,
                agreement_title: t.agreement_title,
                priority: t.priority,
                minutes: t.threshold,
                met,
                missed,
                attainment: attainment(met, missed),
            }
        })
        .collect();

    let trend = slices(r.period, r.bucket)
        .into_iter()
        .map(|slice| {
            let (a, b) = (start_micros(slice.from), start_micros(slice.to));
            let met = count(&clocks, |k| !k.missed && within(k.decided_at, a, b));
            let missed = count(&clocks, |k| k.missed && within(k.decided_at, a, b));
            TrendPoint {
                logged: logged_in(a, b),
                resolved: resolved_in(a, b),
                backlog: open_at(b),
                met,
                missed,
                attainment: attainment(met, missed),
                slice,
            }
        })
        .collect();

    let scores: Vec<i64> = surveys
        .iter()
        .filter(|v| v.answered_at.is_some_and(|x| within(x, from, to)))
        .filter_map(|v| v.score)
        .collect();
    let satisfaction = Satisfaction {
        sent: count(&surveys, |v| within(v.sent_at, from, to)),
        answered: scores.len() as u64,
        average: (!scores.is_empty())
            .then(|| (scores.iter().sum::<i64>() as f64 * 10.0 / scores.len() as f64).round() / 10.0),
    };
    let fulfilled: Vec<&store::RequestFact> =
        requests.iter().filter(|q| q.fulfilled_at.is_some_and(|x| within(x, from, to))).collect();
    let request_volume = RequestVolume {
        ordered: count(&requests, |q| within(q.created_at, from, to)),
        fulfilled: fulfilled.len() as u64,
        on_time: count(&fulfilled, |q| matches!((q.fulfilled_at, q.due_at), (Some(f), Some(d)) if f <= d)),
    };
    let met = count(&clocks, |k| !k.missed);
    let missed = count(&clocks, |k| k.missed);
    Ok(ServiceReport {
        request: r,
        customer_name,
        service_name,
        logged: logged_in(from, to),
        resolved: resolved_in(from, to),
        backlog_start: open_at(from),
        backlog_end: open_at(to),
        by_priority,
        targets,
        met,
        missed,
        attainment: attainment(met, missed),
        trend,
        requests: request_volume,
        satisfaction,
        complaints,
        majors,
    })
}

/// Today's date (UTC) by the app's clock: the default period is the month before it.
pub fn today(app: &App) -> Date {
    trellis_domain::report::date_of(app.now().as_microsecond())
}

/// A name as a spreadsheet cell that cannot be read as a formula (`=`, `+`, `-`, `@` first).
fn inert(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{name}") } else { name.to_owned() }
}

/// The report as CSV in long form, one figure per row, so a spreadsheet pivots it any way:
/// `customer,service,from,to,section,item,measure,value`.
pub fn to_csv(r: &ServiceReport) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let who = [
        inert(r.customer_name.as_deref().unwrap_or("all customers")),
        inert(r.service_name.as_deref().unwrap_or("all services")),
        r.request.period.from.to_string(),
        r.request.period.last_day().to_string(),
    ];
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut put = |section: &str, item: &str, measure: &str, value: String| {
        rows.push([section.into(), item.into(), measure.into(), value]);
    };
    let pct = |p: Option<f64>| p.map(|v| format!("{v:.1}")).unwrap_or_default();
    for (measure, v) in [
        ("logged", r.logged),
        ("resolved", r.resolved),
        ("backlog_at_start", r.backlog_start),
        ("backlog_at_end", r.backlog_end),
    ] {
        put("summary", "incidents", measure, v.to_string());
    }
    put("summary", "sla_clocks", "met", r.met.to_string());
    put("summary", "sla_clocks", "missed", r.missed.to_string());
    put("summary", "sla_clocks", "attainment_percent", pct(r.attainment));
    put("summary", "service_requests", "ordered", r.requests.ordered.to_string());
    put("summary", "service_requests", "fulfilled", r.requests.fulfilled.to_string());
    put("summary", "service_requests", "fulfilled_on_time", r.requests.on_time.to_string());
    put("summary", "satisfaction", "surveys_sent", r.satisfaction.sent.to_string());
    put("summary", "satisfaction", "answers", r.satisfaction.answered.to_string());
    put(
        "summary",
        "satisfaction",
        "average_score",
        r.satisfaction.average.map(|a| format!("{a:.1}")).unwrap_or_default(),
    );
    put("summary", "complaints", "received", r.complaints.len().to_string());
    put("summary", "major_incidents", "declared", r.majors.len().to_string());
    for p in &r.by_priority {
        put("priority", &p.priority, "logged", p.logged.to_string());
        put("priority", &p.priority, "resolved", p.resolved.to_string());
    }
    for t in &r.targets {
        let item =
            format!("{} {} {} ({} min)", t.agreement_ref, t.priority.to_uppercase(), t.metric, t.minutes);
        put("sla_target", &item, "met", t.met.to_string());
        put("sla_target", &item, "missed", t.missed.to_string());
        put("sla_target", &item, "attainment_percent", pct(t.attainment));
    }
    for p in &r.trend {
        for (measure, v) in [("logged", p.logged), ("resolved", p.resolved), ("backlog_at_end", p.backlog)] {
            put("trend", &p.slice.label, measure, v.to_string());
        }
        put("trend", &p.slice.label, "sla_met", p.met.to_string());
        put("trend", &p.slice.label, "sla_missed", p.missed.to_string());
        put("trend", &p.slice.label, "attainment_percent", pct(p.attainment));
    }
    let day = |m: Option<i64>| m.map(|x| trellis_domain::report::date_of(x).to_string()).unwrap_or_default();
    for m in &r.complaints {
        put("complaint", &m.reference, "received_on", day(Some(m.created_at)));
        put("complaint", &m.reference, "status", m.status.clone());
    }
    for m in &r.majors {
        put("major_incident", &m.reference, "declared_on", day(Some(m.declared_at)));
        put("major_incident", &m.reference, "resolved_on", day(m.resolved_at));
        put("major_incident", &m.reference, "reviewed_on", day(m.reviewed_at));
    }
    let internal = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(["customer", "service", "from", "to", "section", "item", "measure", "value"])
        .map_err(internal)?;
    for row in rows {
        w.write_record(who.iter().chain(row.iter())).map_err(internal)?;
    }
    String::from_utf8(w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?)
        .map_err(|e| AppError::Internal(e.to_string()))
}
