//! SLA clocks over HTTP: computed from the incident's history, the same live and recomputed,
//! explained second by second, attributed down the agreement chain, and fired exactly once by
//! the job worker whichever process runs it.

use crate::helpers::{TestApp, problem};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) async fn ok(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

pub(crate) fn at(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

/// Office hours Monday to Friday 09:00–17:00 in London (UTC in winter).
fn london_office() -> Value {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    json!({"name": "Office hours London", "time_zone": "Europe/London",
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day}})
}

pub(crate) struct Setting {
    pub manager: String,
    pub agent: String,
    pub customer: String,
    pub service: String,
    pub desk: String,
    pub network: String,
}

/// A customer receiving a service, an SLA for it resting on the network team's OLA, both active.
/// SLA: response 1 h and resolution 8 h for P2; OLA: resolution 4 h for P2.
pub(crate) async fn setting(t: &TestApp) -> Setting {
    let customer = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let service = ok(
        t.post(
            &manager,
            "/api/v1/services",
            json!({"name": "Managed e-mail", "criticality": "high", "customer_ids": [customer]}),
        )
        .await,
        "service",
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let calendar = ok(t.post(&manager, "/api/v1/calendars", london_office()).await, "calendar").await;
    let calendar = calendar["id"].as_str().expect("id").to_owned();
    let desk = ok(t.post(&manager, "/api/v1/teams", json!({"name": "Service desk"})).await, "team").await;
    let network = ok(t.post(&manager, "/api/v1/teams", json!({"name": "Network"})).await, "team").await;
    let (desk, network) =
        (desk["id"].as_str().expect("id").to_owned(), network["id"].as_str().expect("id").to_owned());
    let ola = ok(
        t.post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "Network OLA", "agreement_type": "ola", "team_id": network, "service_id": service,
                "targets": [{"metric": "resolution", "priority": "p2", "minutes": 240, "calendar_id": calendar}]}),
        )
        .await,
        "OLA",
    )
    .await;
    let ola_p2 = ola["targets"][0]["id"].as_str().expect("target").to_owned();
    ok(
        t.post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "E-mail for Northwind", "agreement_type": "sla", "customer_id": customer, "service_id": service,
                "targets": [
                    {"metric": "response", "priority": "p2", "minutes": 60, "calendar_id": calendar},
                    {"metric": "resolution", "priority": "p2", "minutes": 480, "calendar_id": calendar, "supported_by": ola_p2}]}),
        )
        .await,
        "SLA",
    )
    .await;
    for a in ["AGR-000001", "AGR-000002"] {
        ok(
            t.post(&manager, &format!("/api/v1/agreements/{a}/transitions"), json!({"to": "active"})).await,
            a,
        )
        .await;
    }
    Setting { manager, agent, customer, service, desk, network }
}

/// The clock of one agreement and metric.
fn clock<'a>(clocks: &'a Value, agreement: &str, metric: &str) -> &'a Value {
    clocks["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["agreement"]["ref"] == agreement && c["metric"] == metric)
        .unwrap_or_else(|| panic!("no {agreement} {metric} clock in {clocks}"))
}

pub(crate) async fn move_to(t: &TestApp, token: &str, key: &str, body: Value) -> Value {
    ok(t.post(token, &format!("/api/v1/incidents/{key}/transitions"), body).await, "transition").await
}

async fn assign(t: &TestApp, token: &str, key: &str, team: &str) {
    let cur = ok(t.get(token, &format!("/api/v1/incidents/{key}")).await, "read").await;
    let v = cur["version"].as_i64().expect("version");
    ok(
        t.patch(token, &format!("/api/v1/incidents/{key}"), Some(v), json!({"team_id": team})).await,
        "assign",
    )
    .await;
}

/// Every second from the start to the instant evaluated is in exactly one segment, and the
/// counted ones add up to the elapsed time.
fn assert_accounts_for_every_second(c: &Value, evaluated_at: Timestamp) {
    let segments = c["segments"].as_array().expect("segments");
    let total: i64 = segments.iter().map(|s| s["seconds"].as_i64().expect("seconds")).sum();
    let started = at(c["started_at"].as_str().expect("start"));
    assert_eq!(total, evaluated_at.duration_since(started).as_secs(), "{c}");
    let counted: i64 =
        segments.iter().filter(|s| s["counted"] == true).map(|s| s["seconds"].as_i64().expect("s")).sum();
    assert_eq!(counted, c["elapsed_seconds"].as_i64().expect("elapsed"));
    for pair in segments.windows(2) {
        assert_eq!(pair[0]["to"], pair[1]["from"], "segments are contiguous");
    }
}

#[tokio::test]
async fn a_paused_reassigned_and_reopened_ticket_reads_the_same_live_and_recomputed() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    // Friday 2026-11-20, 14:00 in London.
    t.clock.set(at("2026-11-20T14:00:00Z"));
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Mail bounces", "customer_id": s.customer, "service_id": s.service,
                "impact": "medium", "urgency": "high", "team_id": s.desk}),
        )
        .await,
        "incident",
    )
    .await;
    assert_eq!(inc["priority"], "p2", "medium impact × high urgency");
    let key = inc["ref"].as_str().expect("ref").to_owned();
    let sla_path = format!("/api/v1/incidents/{key}/sla");

    t.clock.set(at("2026-11-20T14:30:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    t.clock.set(at("2026-11-20T15:00:00Z"));
    assign(&t, &s.agent, &key, &s.network).await;
    t.clock.set(at("2026-11-20T16:00:00Z"));
    // Waiting needs a reason; the SLA pauses on the customer.
    let r = t.post(&s.agent, &format!("/api/v1/incidents/{key}/transitions"), json!({"to": "pending"})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "pending_reason");
    move_to(&t, &s.agent, &key, json!({"to": "pending", "pending_reason": "awaiting_customer"})).await;

    // Monday: the customer answers.
    t.clock.set(at("2026-11-23T10:00:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    let monday_ten = ok(t.get(&s.agent, &sla_path).await, "clocks").await;
    t.clock.set(at("2026-11-23T11:00:00Z"));
    assign(&t, &s.agent, &key, &s.desk).await;
    t.clock.set(at("2026-11-23T12:00:00Z"));
    let r =
        t.post(&s.agent, &format!("/api/v1/incidents/{key}/transitions"), json!({"to": "resolved"})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "resolution_code");
    let resolved = move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;
    assert_eq!(resolved["resolution_code"], "fixed");
    t.clock.set(at("2026-11-23T13:00:00Z"));
    let reopened = move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    assert_eq!(reopened["resolution_code"], Value::Null);
    t.clock.set(at("2026-11-23T14:00:00Z"));
    let live = ok(t.get(&s.agent, &sla_path).await, "clocks").await;

    // SLA resolution: Fri 14–16 (2 h), paused over the weekend, Mon 10–12 (2 h), stopped while
    // resolved, resumed 13–14 (1 h). Response stopped after 30 min.
    let resolution = clock(&live, "AGR-000002", "resolution");
    assert_eq!(resolution["elapsed_seconds"], 5 * 3600);
    assert_eq!(resolution["state"], "running");
    assert_eq!(resolution["due_at"], "2026-11-23T17:00:00Z");
    assert_eq!(resolution["warn_at"], "2026-11-23T15:00:00Z");
    assert_accounts_for_every_second(resolution, at("2026-11-23T14:00:00Z"));
    assert!(
        resolution["segments"].as_array().expect("segments").iter().any(|g| g["kind"] == "paused"
            && g["reason"] == "awaiting_customer"
            && g["from"] == "2026-11-20T16:00:00Z"
            && g["to"] == "2026-11-23T10:00:00Z"),
        "{resolution}"
    );
    let response = clock(&live, "AGR-000002", "response");
    assert_eq!(response["elapsed_seconds"], 30 * 60);
    assert_eq!(response["state"], "stopped");
    // The network team's OLA counted only while it held the ticket: Fri 15–16 and Mon 10–11.
    let ola = clock(&live, "AGR-000001", "resolution");
    assert_eq!(ola["elapsed_seconds"], 2 * 3600);
    assert_eq!(ola["state"], "paused");
    assert_accounts_for_every_second(ola, at("2026-11-23T14:00:00Z"));
    // The projection queues sort by was written at the last change and still agrees.
    assert_eq!(resolution["projection"]["due_at"], resolution["due_at"]);
    let inc_now = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}")).await, "read").await;
    assert_eq!(inc_now["sla_due_at"], "2026-11-23T17:00:00Z");

    // A week later, recomputed from scratch as of each moment: the same as it was live.
    t.clock.set(at("2026-11-30T09:00:00Z"));
    for (when, seen) in [("2026-11-23T14:00:00Z", &live), ("2026-11-23T10:00:00Z", &monday_ten)] {
        let again = ok(t.get(&s.agent, &format!("{sla_path}?at={when}")).await, "recompute").await;
        for (agreement, metric) in [("AGR-000002", "resolution"), ("AGR-000002", "response")] {
            let (a, b) = (clock(&again, agreement, metric), clock(seen, agreement, metric));
            for field in ["elapsed_seconds", "state", "due_at", "warn_at", "breached_at", "segments"] {
                assert_eq!(a[field], b[field], "{agreement} {metric} {field} at {when}");
            }
        }
    }
    let r = t.get(&s.agent, &format!("{sla_path}?at=2027-01-01T00:00:00Z")).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "at");

    // By now (Mon 30th) the SLA target has passed while the ticket stayed open; the OLA did not
    // miss its own target, so the breach is not attributed to it.
    let late = ok(t.get(&s.agent, &sla_path).await, "clocks").await;
    let resolution = clock(&late, "AGR-000002", "resolution");
    assert_eq!(resolution["breached_at"], "2026-11-23T17:00:00Z");
    assert_eq!(resolution["attributed_to"], Value::Null);

    // A customer user sees the SLA clocks of their own incident, never the internal OLA.
    let portal = t.user("pat@northwind.example", "customer", Some(&s.customer)).await;
    let theirs = ok(t.get(&portal, &sla_path).await, "portal clocks").await;
    assert!(theirs["items"].as_array().expect("items").iter().all(|c| c["agreement"]["type"] == "sla"));
    assert_eq!(theirs["items"].as_array().expect("items").len(), 2);
    let _ = &s.manager;
}

#[tokio::test]
async fn warnings_and_breaches_fire_once_across_restarts_and_concurrent_workers() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    t.clock.set(at("2026-11-23T09:00:00Z"));
    let mut keys = Vec::new();
    for n in 0..4 {
        let inc = ok(
            t.post(
                &s.agent,
                "/api/v1/incidents",
                json!({"title": format!("Outage {n}"), "customer_id": s.customer, "service_id": s.service,
                    "impact": "medium", "urgency": "high", "team_id": s.network}),
            )
            .await,
            "incident",
        )
        .await;
        keys.push(inc["ref"].as_str().expect("ref").to_owned());
    }
    // One of them is put on hold before its response clock warns: nothing fires for it.
    t.clock.set(at("2026-11-23T09:10:00Z"));
    move_to(&t, &s.agent, &keys[3], json!({"to": "in_progress"})).await;

    // No worker ran while the response targets fell due (09:45 warning, 10:00 breach); at 11:00
    // two workers in two application instances start on the same database at once.
    t.clock.set(at("2026-11-23T11:00:00Z"));
    let a = trellis_app::App::new(t.app.db.clone(), t.clock.clone(), trellis_app::Settings::default());
    let b = trellis_app::App::new(
        t.app.db.clone(),
        t.clock.clone() as Arc<dyn trellis_app::Clock>,
        trellis_app::Settings::default(),
    );
    let (ra, rb) = tokio::join!(
        trellis_app::jobs::run_due(&a, "worker-a", 100),
        trellis_app::jobs::run_due(&b, "worker-b", 100)
    );
    ra.expect("worker a");
    rb.expect("worker b");
    // And once more, as after a restart: nothing new.
    trellis_app::jobs::run_due(&t.app, "worker-c", 100).await.expect("worker c");

    for key in &keys[..3] {
        let clocks = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}/sla")).await, "clocks").await;
        let response = clock(&clocks, "AGR-000002", "response");
        let kinds: Vec<&str> = response["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().expect("kind"))
            .collect();
        assert_eq!(kinds, ["warning", "breach"], "{key}: {response}");
        assert_eq!(response["events"][0]["reached_at"], "2026-11-23T09:45:00Z");
        assert_eq!(response["events"][1]["reached_at"], "2026-11-23T10:00:00Z");
        let journal =
            ok(t.get(&s.manager, &format!("/api/v1/incidents/{key}/journal")).await, "journal").await;
        let sla_entries =
            journal["items"].as_array().expect("items").iter().filter(|e| e["action"] == "sla").count();
        assert_eq!(sla_entries, 2, "{key}: one journal entry per event");
    }
    let clocks = ok(t.get(&s.agent, &format!("/api/v1/incidents/{}/sla", keys[3])).await, "clocks").await;
    assert_eq!(clock(&clocks, "AGR-000002", "response")["events"], json!([]));
    assert_eq!(clock(&clocks, "AGR-000002", "response")["elapsed_seconds"], 10 * 60);
}

#[tokio::test]
async fn the_priority_matrix_and_the_reopen_window_are_the_administrators_to_set() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let r = t
        .client
        .get(t.at("/api/v1/settings/incident-policy"))
        .bearer_auth(&t.admin_token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.headers()["etag"], "\"0\"");
    let policy: Value = r.json().await.expect("json");
    assert_eq!(policy["matrix"]["high"]["high"], "p1");
    assert_eq!(policy["reopen_days"], 7);

    let mut changed = policy.clone();
    changed["matrix"]["medium"]["high"] = json!("p1");
    changed["reopen_days"] = json!(2);
    let put = |token: &str, body: &Value, version: &str| {
        t.client
            .put(t.at("/api/v1/settings/incident-policy"))
            .bearer_auth(token)
            .header("if-match", version)
            .json(body)
            .send()
    };
    // Managers may read it, not change it.
    assert_eq!(put(&s.manager, &changed, "\"0\"").await.expect("PUT").status(), StatusCode::FORBIDDEN);
    // A low-impact cell ranked above its high-impact neighbour is refused, naming the cell.
    let mut inverted = policy.clone();
    inverted["matrix"]["low"]["high"] = json!("p1");
    let p = problem(
        put(&t.admin_token, &inverted, "\"0\"").await.expect("PUT"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "matrix.low.high");
    let r = put(&t.admin_token, &changed, "\"0\"").await.expect("PUT");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"1\"");
    assert_eq!(
        put(&t.admin_token, &changed, "\"0\"").await.expect("PUT").status(),
        StatusCode::PRECONDITION_FAILED
    );

    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Slow mail", "customer_id": s.customer,
            "service_id": s.service, "impact": "medium", "urgency": "high"}),
        )
        .await,
        "incident",
    )
    .await;
    assert_eq!(inc["priority"], "p1");
    let key = inc["ref"].as_str().expect("ref");
    move_to(&t, &s.agent, key, json!({"to": "resolved", "resolution_code": "workaround"})).await;
    t.clock.advance(jiff::SignedDuration::from_hours(3 * 24));
    let r =
        t.post(&s.agent, &format!("/api/v1/incidents/{key}/transitions"), json!({"to": "in_progress"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "incident.reopen_window_passed");
    // A service the customer does not receive is refused on the incident too.
    let other = ok(
        t.post(&s.manager, "/api/v1/services", json!({"name": "Payroll", "criticality": "low"})).await,
        "service",
    )
    .await;
    let r = t
        .post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "x", "customer_id": s.customer, "service_id": other["id"]}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "service_id");
}

#[tokio::test]
async fn a_calendar_edit_moves_open_clocks_and_leaves_their_past_alone() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    t.clock.set(at("2026-11-23T09:00:00Z"));
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Calendar", "customer_id": s.customer,
            "service_id": s.service, "impact": "medium", "urgency": "high"}),
        )
        .await,
        "incident",
    )
    .await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    assert_eq!(inc["sla_due_at"], "2026-11-23T10:00:00Z", "the response target falls due first");
    t.clock.set(at("2026-11-23T09:30:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    let sla_path = format!("/api/v1/incidents/{key}/sla");
    let before = ok(t.get(&s.agent, &sla_path).await, "clocks").await;
    assert_eq!(clock(&before, "AGR-000002", "resolution")["due_at"], "2026-11-23T17:00:00Z");

    // From 10:00 the desk works mornings only.
    t.clock.set(at("2026-11-23T10:00:00Z"));
    let calendars = ok(t.get(&s.manager, "/api/v1/calendars").await, "calendars").await;
    let cal = calendars["items"][0]["id"].as_str().expect("calendar").to_owned();
    let mornings = json!([{"start": "09:00", "end": "13:00"}]);
    let week = json!({"monday": mornings, "tuesday": mornings, "wednesday": mornings, "thursday": mornings, "friday": mornings});
    ok(
        t.patch(&s.manager, &format!("/api/v1/calendars/{cal}"), Some(1), json!({"week": week})).await,
        "edit",
    )
    .await;
    trellis_app::jobs::run_due(&t.app, "worker", 100).await.expect("worker");

    // 1 h counted; 7 h left: 10–13 today and 09–13 tomorrow.
    let inc = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}")).await, "read").await;
    assert_eq!(inc["sla_due_at"], "2026-11-24T13:00:00Z", "the worker recomputed the projection");
    let after = ok(t.get(&s.agent, &format!("{sla_path}?at=2026-11-23T09:30:00Z")).await, "clocks").await;
    let (a, b) = (clock(&after, "AGR-000002", "resolution"), clock(&before, "AGR-000002", "resolution"));
    assert_eq!(a["elapsed_seconds"], b["elapsed_seconds"]);
    assert_eq!(a["segments"], b["segments"], "what was measured before the edit is unchanged");
}

#[tokio::test]
async fn an_agreement_sets_when_its_clocks_pause_and_what_a_reopen_does() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let sla = ok(t.get(&s.manager, "/api/v1/agreements/AGR-000002").await, "SLA").await;
    assert_eq!(sla["pause_on"], json!(["awaiting_customer"]));
    assert_eq!(sla["on_reopen"], "resume");
    assert_eq!(sla["warn_percent"], 75);
    let version = sla["version"].as_i64().expect("version");
    let bad = json!({"pause_on": ["on_holiday"], "on_reopen": "forget", "warn_percent": 100});
    let p = problem(
        t.patch(&s.manager, "/api/v1/agreements/AGR-000002", Some(version), bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert_eq!(fields, ["pause_on", "on_reopen", "warn_percent"]);
    let rules = json!({"pause_on": ["awaiting_customer", "awaiting_supplier"], "on_reopen": "restart", "warn_percent": 50});
    let sla =
        ok(t.patch(&s.manager, "/api/v1/agreements/AGR-000002", Some(version), rules).await, "rules").await;
    assert_eq!(sla["pause_on"], json!(["awaiting_customer", "awaiting_supplier"]));

    t.clock.set(at("2026-11-23T09:00:00Z"));
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Reopened", "customer_id": s.customer,
            "service_id": s.service, "impact": "medium", "urgency": "high"}),
        )
        .await,
        "incident",
    )
    .await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    t.clock.set(at("2026-11-23T11:00:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "pending", "pending_reason": "awaiting_supplier"})).await;
    t.clock.set(at("2026-11-23T12:00:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;
    t.clock.set(at("2026-11-23T13:00:00Z"));
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    t.clock.set(at("2026-11-23T14:00:00Z"));
    let clocks = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}/sla")).await, "clocks").await;
    let resolution = clock(&clocks, "AGR-000002", "resolution");
    // Restarted at the reopen: only 13:00–14:00 counts; 09:00–11:00 is discarded.
    assert_eq!(resolution["cycle"], 2);
    assert_eq!(resolution["elapsed_seconds"], 3600);
    assert_eq!(resolution["warn_at"], "2026-11-23T17:00:00Z", "50 % of 8 h, counted from 13:00");
    let kinds: Vec<&str> = resolution["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|g| g["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["discarded", "paused", "stopped", "counted"]);
    assert_accounts_for_every_second(resolution, at("2026-11-23T14:00:00Z"));
}

#[tokio::test]
async fn the_queue_sorts_by_the_clock_falling_due_first_and_shows_what_breaches_soon() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let mut refs = Vec::new();
    for (when, title, service) in [
        ("2026-11-23T09:20:00Z", "Second", Some(&s.service)),
        ("2026-11-23T09:00:00Z", "First", Some(&s.service)),
        ("2026-11-23T09:25:00Z", "No agreement", None),
    ] {
        t.clock.set(at(when));
        let inc = ok(
            t.post(
                &s.agent,
                "/api/v1/incidents",
                json!({"title": title, "customer_id": s.customer,
                "service_id": service, "impact": "medium", "urgency": "high", "team_id": s.network}),
            )
            .await,
            "incident",
        )
        .await;
        refs.push(inc["ref"].as_str().expect("ref").to_owned());
    }
    t.clock.set(at("2026-11-23T09:30:00Z"));
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["title"].as_str().expect("title").to_owned())
            .collect()
    };
    let team = format!("/api/v1/incidents?team={}&sort=due_at", s.network);
    let queue = ok(t.get(&s.agent, &team).await, "queue").await;
    assert_eq!(titles(&queue), ["First", "Second"], "due 10:00, then 10:20; no clock, not in the queue");
    let soon = ok(t.get(&s.agent, &format!("{team}&breaching_within=40")).await, "soon").await;
    assert_eq!(titles(&soon), ["First"]);
    let page1 = ok(t.get(&s.agent, &format!("{team}&limit=1")).await, "page").await;
    let next = page1["next"].as_str().expect("next page");
    let page2 = ok(t.get(&s.agent, &format!("{team}&limit=1&after={next}")).await, "page 2").await;
    assert_eq!((titles(&page1), titles(&page2)), (vec!["First".to_owned()], vec!["Second".to_owned()]));
    let r = t.get(&s.agent, &format!("{team}&breaching_within=0")).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "breaching_within");
}

#[tokio::test]
async fn a_wake_up_re_armed_while_a_worker_runs_it_is_not_lost() {
    use trellis_store::jobs::{self, Release};
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    t.clock.set(at("2026-11-23T09:00:00Z"));
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Re-armed", "customer_id": s.customer,
            "service_id": s.service, "impact": "medium", "urgency": "high"}),
        )
        .await,
        "incident",
    )
    .await;
    // (What setting up the agreements queued is done.)
    trellis_app::jobs::run_due(&t.app, "worker-setup", 10).await.expect("setup jobs");
    // A worker claims the wake-up due at 09:45 ...
    t.clock.set(at("2026-11-23T09:50:00Z"));
    let now = trellis_store::micros(at("2026-11-23T09:50:00Z"));
    let mut c = t.app.db.read();
    let job =
        jobs::claim(&mut c, "worker-a", now, now + 60_000_000).await.expect("claim").expect("a due job");
    // ... meanwhile the SLA changes, and another worker recomputes its tickets, which re-arms
    // the same job ...
    let sla = ok(t.get(&s.manager, "/api/v1/agreements/AGR-000002").await, "SLA").await;
    let version = sla["version"].as_i64().expect("version");
    ok(
        t.patch(&s.manager, "/api/v1/agreements/AGR-000002", Some(version), json!({"warn_percent": 60}))
            .await,
        "edit",
    )
    .await;
    trellis_app::jobs::run_due(&t.app, "worker-c", 10).await.expect("worker c");
    let held = jobs::get_by_key(&mut c, &job.dedupe_key).await.expect("read").expect("job");
    assert_eq!(held.lease_owner.as_deref(), Some("worker-a"), "a held job is not taken");
    assert!(held.generation > job.generation, "the recomputation re-armed it");
    // ... so when the worker is done, the job stays due instead of being marked done.
    assert_eq!(jobs::release(&mut c, &job, "worker-a", None, now).await.expect("release"), Release::Rearmed);
    let again = jobs::get_by_key(&mut c, &job.dedupe_key).await.expect("read").expect("job");
    assert_eq!((again.done_at, again.lease_owner), (None, None));
    trellis_app::jobs::run_due(&t.app, "worker-b", 10).await.expect("worker b");
    let clocks = ok(
        t.get(&s.agent, &format!("/api/v1/incidents/{}/sla", inc["ref"].as_str().expect("ref"))).await,
        "clocks",
    )
    .await;
    assert_eq!(clock(&clocks, "AGR-000002", "response")["events"][0]["kind"], "warning");
    // The customer never sees the internal queue projection.
    let portal = t.user("pat@northwind.example", "customer", Some(&s.customer)).await;
    let theirs = ok(
        t.get(&portal, &format!("/api/v1/incidents/{}", inc["ref"].as_str().expect("ref"))).await,
        "portal",
    )
    .await;
    assert_eq!(theirs["sla_due_at"], Value::Null);
    let staff = ok(
        t.get(&s.agent, &format!("/api/v1/incidents/{}", inc["ref"].as_str().expect("ref"))).await,
        "agent",
    )
    .await;
    assert!(staff["sla_due_at"].is_string());
}
