//! Service reporting (9.4): one customer's month counted from live records — SLA clocks decided
//! met or missed, volumes, backlog, trend, complaints and major incidents — the same in JSON,
//! CSV and on the page, and scoped to the customer's own organisation on the portal.

use crate::helpers::{PASSWORD, TestApp, problem};
use crate::sla::{at, move_to, ok, setting};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn target<'a>(report: &'a Value, metric: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["metric"] == metric && t["priority"] == "p2")
        .unwrap_or_else(|| panic!("no P2 {metric} target in {report}"))
}

#[tokio::test]
async fn a_customers_month_counts_clocks_volumes_complaints_and_major_incidents() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let other = t.customer("Southwind Travel").await;
    let nina = t.user("nina@northwind.example", "customer", Some(&s.customer)).await;
    let sol = t.user("sol@southwind.example", "customer", Some(&other)).await;
    let manager_id =
        ok(t.get(&s.manager, "/api/v1/me").await, "me").await["id"].as_str().expect("id").to_owned();

    // Monday 2 November 2026, London office hours: two P2 incidents for Northwind, one for another customer.
    t.clock.set(at("2026-11-02T09:00:00Z"));
    let p2 = json!({"title": "Mail delayed", "customer_id": s.customer, "service_id": s.service,
        "impact": "medium", "urgency": "high", "team_id": s.desk});
    for _ in 0..2 {
        ok(t.post(&s.agent, "/api/v1/incidents", p2.clone()).await, "incident").await;
    }
    t.incident(&s.agent, "Someone else's printer", Some(&other)).await;
    // INC-000001 answered in 30 minutes and resolved in an hour: both targets met.
    t.clock.set(at("2026-11-02T09:30:00Z"));
    move_to(&t, &s.agent, "INC-000001", json!({"to": "in_progress"})).await;
    t.clock.set(at("2026-11-02T10:00:00Z"));
    move_to(&t, &s.agent, "INC-000001", json!({"to": "resolved", "resolution_code": "fixed"})).await;
    // INC-000002 is not answered within its hour: the response target is missed at 10:00.
    t.clock.set(at("2026-11-02T11:00:00Z"));
    trellis_app::jobs::run_due(&t.app, "worker", 100).await.expect("worker");
    ok(
        t.post(
            &s.agent,
            "/api/v1/incidents/INC-000002/major",
            json!({"manager_id": manager_id, "reason": "All mail"}),
        )
        .await,
        "declare",
    )
    .await;
    // INC-000002 drops to P3, which this SLA has no target for: its P2 timers go, the miss stays.
    let two = ok(t.get(&s.agent, "/api/v1/incidents/INC-000002").await, "two").await;
    let r = t
        .patch(&s.agent, "/api/v1/incidents/INC-000002", two["version"].as_i64(), json!({"impact": "low"}))
        .await;
    assert_eq!(ok(r, "lower").await["priority"], "p3");
    ok(
        t.post(
            &nina,
            "/api/v1/complaints",
            json!({"title": "Mail was late again", "customer_id": s.customer}),
        )
        .await,
        "c",
    )
    .await;

    let url =
        format!("/api/v1/reports/service?customer={}&from=2026-11-01&to=2026-11-30&bucket=week", s.customer);
    let r = ok(t.get(&s.manager, &url).await, "report").await;
    assert_eq!(
        (r["customer"].as_str(), r["from"].as_str(), r["to"].as_str()),
        (Some("Northwind Health"), Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!((r["incidents_logged"].as_u64(), r["incidents_resolved"].as_u64()), (Some(2), Some(1)), "{r}");
    assert_eq!((r["backlog_at_start"].as_u64(), r["backlog_at_end"].as_u64()), (Some(0), Some(1)));
    let response = target(&r, "Response time");
    assert_eq!((response["met"].as_u64(), response["missed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(response["attainment_percent"], 50.0);
    assert_eq!(target(&r, "Resolution time")["attainment_percent"], 100.0);
    assert_eq!((r["sla_met"].as_u64(), r["sla_missed"].as_u64()), (Some(2), Some(1)));
    assert_eq!(r["attainment_percent"], 66.7);
    let p2_row =
        r["by_priority"].as_array().expect("priorities").iter().find(|p| p["priority"] == "p2").cloned();
    // Volumes count an incident under the priority it has now.
    assert_eq!(p2_row, Some(json!({"priority": "p2", "logged": 1, "resolved": 1})));
    // Weeks: Sun 1 Nov alone, then Mon 2 – Sun 8 with all the work, then three more.
    let trend = r["trend"].as_array().expect("trend");
    assert_eq!(trend.len(), 6, "{trend:?}");
    assert_eq!(
        (trend[0]["from"].as_str(), trend[0]["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-01"))
    );
    assert_eq!((trend[1]["label"].as_str(), trend[1]["logged"].as_u64()), (Some("2026 wk 45"), Some(2)));
    assert_eq!(
        (trend[1]["backlog"].as_u64(), trend[1]["attainment_percent"].as_f64()),
        (Some(1), Some(66.7))
    );
    assert_eq!(trend[2]["attainment_percent"], Value::Null, "nothing decided that week");
    assert_eq!(r["complaints"][0]["title"], "Mail was late again");
    assert_eq!(r["major_incidents"][0]["ref"], "INC-000002");
    assert_eq!(r["major_incidents"][0]["reviewed_on"], Value::Null);

    // October: nothing happened, the targets in force show with nothing decided.
    let oct = format!("/api/v1/reports/service?customer={}&from=2026-10-01&to=2026-10-31", s.customer);
    let oct = ok(t.get(&s.manager, &oct).await, "october").await;
    assert_eq!((oct["incidents_logged"].as_u64(), oct["attainment_percent"].as_f64()), (Some(0), None));
    assert_eq!(target(&oct, "Response time")["attainment_percent"], Value::Null);

    // The portal: Nina reads her organisation's report, and only hers.
    let mine = ok(t.get(&nina, "/api/v1/reports/service?from=2026-11-01&to=2026-11-30").await, "nina").await;
    assert_eq!(
        (mine["customer"].as_str(), mine["incidents_logged"].as_u64()),
        (Some("Northwind Health"), Some(2))
    );
    problem(t.get(&sol, &url).await, StatusCode::NOT_FOUND).await;
    let theirs = ok(t.get(&sol, "/api/v1/reports/service?from=2026-11-01&to=2026-11-30").await, "sol").await;
    assert_eq!(
        (theirs["customer"].as_str(), theirs["incidents_logged"].as_u64()),
        (Some("Southwind Travel"), Some(1))
    );

    // The CSV has the same figures, one per row.
    let r = t.get(&s.manager, &format!("{url}&format=csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.expect("csv");
    assert!(csv.starts_with("customer,service,from,to,section,item,measure,value\n"), "{csv}");
    assert!(csv.contains(
        "Northwind Health,all services,2026-11-01,2026-11-30,summary,sla_clocks,attainment_percent,66.7\n"
    ));
    assert!(csv.lines().any(|l| l.contains("sla_target")
        && l.contains("P2 Response time (60 min)")
        && l.ends_with(",attainment_percent,50.0")));
    assert!(csv.contains(",major_incident,INC-000002,declared_on,2026-11-02\n"));

    for (query, field) in [
        ("from=2026-13-01&to=2026-11-30", "from"),
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=2020-01-01&to=2026-11-30", "to"),
        ("bucket=day", "bucket"),
        ("format=xml", "format"),
    ] {
        let p = problem(
            t.get(&s.manager, &format!("/api/v1/reports/service?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
}

#[tokio::test]
async fn the_report_page_draws_the_trend_and_offers_the_csv() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    t.clock.set(at("2026-11-02T09:00:00Z"));
    let p2 = json!({"title": "Mail delayed", "customer_id": s.customer, "service_id": s.service,
        "impact": "medium", "urgency": "high"});
    ok(t.post(&s.agent, "/api/v1/incidents", p2).await, "incident").await;
    t.clock.set(at("2026-11-02T09:20:00Z"));
    move_to(&t, &s.agent, "INC-000001", json!({"to": "in_progress"})).await;
    let cookie = t.login("morgan@provider.example", PASSWORD).await;

    let query = format!("customer={}&from=2026-09-01&to=2026-11-30", s.customer);
    let (status, html) = t.page(&cookie, &format!("/reports/service?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<dt>SLA attainment</dt><dd>100 %</dd>"), "{html}");
    assert_eq!(html.matches("<rect class=\"bar-logged\"").count(), 3, "one logged bar per month");
    assert!(html.contains("<title>2026-11: logged 1</title>"));
    assert!(html.contains(">2</text>") && html.contains(">1</text>"), "whole-number ticks 0, 1, 2");
    assert!(html.contains("<polyline class=\"line\""));
    assert!(
        html.contains(&format!("href=\"/reports/service.csv?{}\"", query.replace('&', "&#38;"))),
        "CSV link"
    );
    let r = t
        .client
        .get(t.at(&format!("/reports/service.csv?{query}")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("csv");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"service-report-2026-09-01-2026-11-30.csv\""
    );

    let (status, html) = t.page(&cookie, "/reports/service?from=2026-11-30&to=2026-11-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("must not be before from"), "{html}");
}
