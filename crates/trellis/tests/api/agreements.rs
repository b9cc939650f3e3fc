//! Agreements, suppliers and business calendars over HTTP: the SLA ← OLA ← contract chain seen
//! from both ends, calendar versions that leave past measurements alone, holiday import,
//! reviews, the dates coming up, and the pages that do the same.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, problem};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use trellis_app::Clock;

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

async fn created(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::CREATED, "create {what}: {text}");
    serde_json::from_str(&text).expect("json")
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Office hours Monday to Friday 09:00–17:00 in `zone`, with Christmas Day off.
fn office_hours(name: &str, zone: &str) -> Value {
    let day = json!([{"start": "09:00", "end": "17:00"}]);
    json!({"name": name, "time_zone": zone,
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day},
        "special_days": [{"date": "2026-12-25", "name": "Christmas Day"}]})
}

/// The target of an agreement with this metric and priority.
fn target<'a>(agreement: &'a Value, metric: &str, priority: Option<&str>) -> &'a Value {
    agreement["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| t["metric"] == metric && t["priority"].as_str() == priority)
        .unwrap_or_else(|| panic!("no {metric} {priority:?} target in {agreement}"))
}

/// `ref (type) description` of each link on a chain, nearest first.
fn chain(links: &Value) -> Vec<String> {
    links
        .as_array()
        .expect("chain")
        .iter()
        .map(|l| {
            format!(
                "{} {} {} @{}",
                l["agreement"]["ref"].as_str().unwrap_or("?"),
                l["agreement_type"].as_str().unwrap_or("?"),
                l["description"].as_str().unwrap_or("?"),
                l["distance"]
            )
        })
        .collect()
}

/// Everything the SLA chain needs: a service the customer receives, a calendar, a supplier and
/// the network team. Returns (manager token, service id, customer id, calendar id, supplier id, team id).
async fn setting(t: &TestApp) -> (String, String, String, String, String, String) {
    let customer = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let service = created(
        t.post(
            &manager,
            "/api/v1/services",
            json!({"name": "Managed e-mail", "criticality": "high", "customer_ids": [customer]}),
        )
        .await,
        "service",
    )
    .await;
    let calendar = created(
        t.post(&manager, "/api/v1/calendars", office_hours("Office hours Berlin", "Europe/Berlin")).await,
        "calendar",
    )
    .await;
    assert_eq!(calendar["in_force"]["special_days"][0]["name"], "Christmas Day");
    let supplier = created(
        t.post(&manager, "/api/v1/suppliers", json!({"name": "FibreLink GmbH", "supplier_type": "external", "contact": "noc@fibrelink.example"}))
            .await,
        "supplier",
    )
    .await;
    assert_eq!(supplier["ref"], "SUP-000001");
    assert_eq!(supplier["status"], "active");
    let team = created(t.post(&manager, "/api/v1/teams", json!({"name": "Network"})).await, "team").await;
    (manager, id(&service), customer, id(&calendar), id(&supplier), id(&team))
}

#[tokio::test]
async fn the_sla_ola_contract_chain_is_visible_from_both_ends() {
    let t = TestApp::spawn().await;
    let (manager, service, customer, calendar, supplier, team) = setting(&t).await;
    let notice =
        (t.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date() + jiff::Span::new().days(30)).to_string();
    let contract = created(
        t.post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "WAN links", "agreement_type": "contract", "supplier_id": supplier, "service_id": service,
                "starts_on": "2026-01-01", "ends_on": "2027-12-31", "notice_on": notice, "value_cents": 1_250_000,
                "targets": [{"metric": "resolution", "priority": "p1", "minutes": 60, "calendar_id": calendar}]}),
        )
        .await,
        "contract",
    )
    .await;
    assert_eq!(contract["ref"], "AGR-000001");
    assert_eq!(contract["status"], "draft");
    assert_eq!(contract["supplier"]["ref"], "SUP-000001");
    let contract_p1 = id(target(&contract, "resolution", Some("p1")));

    // An OLA names its team; without one nothing is made.
    let r = t
        .post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "Network OLA", "agreement_type": "ola", "service_id": service}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "team_id");

    let ola = created(
        t.post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "Network team OLA", "agreement_type": "ola", "team_id": team, "service_id": service,
                "targets": [{"metric": "resolution", "priority": "p1", "minutes": 120, "calendar_id": calendar,
                    "supported_by": contract_p1}]}),
        )
        .await,
        "OLA",
    )
    .await;
    let ola_p1 = id(target(&ola, "resolution", Some("p1")));

    let sla = created(
        t.post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "Managed e-mail for Northwind", "agreement_type": "sla", "customer_id": customer,
                "service_id": service, "next_review_on": "2027-03-31",
                "targets": [
                    {"metric": "availability", "percent": 99.9, "calendar_id": calendar},
                    {"metric": "response", "priority": "p1", "minutes": 15, "calendar_id": calendar},
                    {"metric": "resolution", "priority": "p1", "minutes": 240, "calendar_id": calendar, "supported_by": ola_p1},
                    {"metric": "resolution", "priority": "p2", "minutes": 480, "calendar_id": calendar}]}),
        )
        .await,
        "SLA",
    )
    .await;
    assert_eq!(sla["customer"]["name"], "Northwind Health");
    assert_eq!(target(&sla, "availability", None)["percent"], 99.9);
    assert_eq!(target(&sla, "availability", None)["description"], "Availability at least 99.9 %");
    let p1 = target(&sla, "resolution", Some("p1"));
    assert_eq!(p1["calendar"]["name"], "Office hours Berlin");
    // From the SLA: its P1 resolution rests on the OLA, which rests on the contract.
    assert_eq!(
        chain(&p1["supported_by"]),
        [
            "AGR-000002 ola P1 resolution time within 2 h @1",
            "AGR-000001 contract P1 resolution time within 1 h @2"
        ]
    );
    // From the contract: the OLA rests on it directly, the SLA through the OLA.
    let contract = body(t.get(&manager, "/api/v1/agreements/AGR-000001").await).await;
    assert_eq!(
        chain(&target(&contract, "resolution", Some("p1"))["supports"]),
        [
            "AGR-000002 ola P1 resolution time within 2 h @1",
            "AGR-000003 sla P1 resolution time within 4 h @2"
        ]
    );

    // The chain only points down: an SLA cannot rest on another SLA, a contract on anything.
    let sla_p2 = id(target(&sla, "resolution", Some("p2")));
    let r = t
        .patch(&manager, "/api/v1/agreements/AGR-000001", Some(1), json!({"targets": [
            {"metric": "resolution", "priority": "p1", "minutes": 60, "calendar_id": calendar, "supported_by": sla_p2}]}))
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "targets[0].supported_by");

    // A target others rest on cannot be dropped; tightening it keeps the chain attached.
    let r = t
        .patch(
            &manager,
            "/api/v1/agreements/AGR-000002",
            Some(1),
            json!({"targets": [
            {"metric": "resolution", "priority": "p2", "minutes": 240, "calendar_id": calendar}]}),
        )
        .await;
    let p = problem(r, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "agreement.target_in_use");
    assert!(p["detail"].as_str().unwrap_or("").contains("AGR-000003"), "{p}");
    let r = t
        .patch(&manager, "/api/v1/agreements/AGR-000002", Some(1), json!({"targets": [
            {"metric": "resolution", "priority": "p1", "minutes": 90, "calendar_id": calendar, "supported_by": contract_p1}]}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let ola = body(r).await;
    assert_eq!(id(target(&ola, "resolution", Some("p1"))), ola_p1, "the target keeps its id");
    let sla = body(t.get(&manager, "/api/v1/agreements/AGR-000003").await).await;
    assert_eq!(
        chain(&target(&sla, "resolution", Some("p1"))["supported_by"])[0],
        "AGR-000002 ola P1 resolution time within 1 h 30 min @1"
    );
    let journal = body(t.get(&manager, "/api/v1/agreements/AGR-000002/journal").await).await;
    let last = journal["items"].as_array().and_then(|i| i.last()).expect("entries").clone();
    assert_eq!(last["action"], "updated");
    assert_eq!(last["changes"][0]["field"], "targets");

    // Agreements move through their lifecycle; the contract's notice date is coming up.
    let r = t.post(&manager, "/api/v1/agreements/AGR-000003/transitions", json!({"to": "active"})).await;
    assert_eq!(body(r).await["status"], "active");
    let deadlines = body(t.get(&manager, "/api/v1/agreements/deadlines?days=60").await).await;
    let items = deadlines["items"].as_array().expect("items");
    assert!(
        items.iter().any(|d| d["agreement"]["ref"] == "AGR-000001"
            && d["what"] == "last day to give notice"
            && d["on"] == notice.as_str()),
        "{deadlines}"
    );
    assert!(!items.iter().any(|d| d["what"] == "review due"), "the SLA review is months away: {deadlines}");
    let by_supplier = body(t.get(&manager, &format!("/api/v1/agreements?supplier={supplier}")).await).await;
    assert_eq!(by_supplier["items"].as_array().map(Vec::len), Some(1));

    // A chain links like with like: a response target cannot rest on a resolution target.
    let r = t
        .patch(&manager, "/api/v1/agreements/AGR-000003", Some(2), json!({"targets": [
            {"metric": "response", "priority": "p1", "minutes": 15, "calendar_id": calendar, "supported_by": ola_p1}]}))
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "targets[0].supported_by");
    // Once the contract ends, the OLA keeps its link and can still be edited; a new link to it cannot be made.
    let r = t.post(&manager, "/api/v1/agreements/AGR-000001/transitions", json!({"to": "terminated"})).await;
    assert_eq!(body(r).await["status"], "terminated");
    let r = t
        .patch(
            &manager,
            "/api/v1/agreements/AGR-000002",
            Some(2),
            json!({"title": "Network team OLA (2027)"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap_or_default());
    let r = t
        .post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "Another OLA", "agreement_type": "ola", "team_id": team,
            "service_id": service, "targets": [{"metric": "resolution", "priority": "p1", "minutes": 60,
            "calendar_id": calendar, "supported_by": contract_p1}]}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("AGR-000001 is terminated"), "{p}");

    // Agents read agreements; only managers make them; customers see none of it.
    let agent = t.user("avery@provider.example", "agent", None).await;
    assert_eq!(t.get(&agent, "/api/v1/agreements/AGR-000003").await.status(), StatusCode::OK);
    let r = t.post(&agent, "/api/v1/suppliers", json!({"name": "X", "supplier_type": "external"})).await;
    problem(r, StatusCode::FORBIDDEN).await;
    let portal = t.user("pat@northwind.example", "customer", Some(&customer)).await;
    problem(t.get(&portal, "/api/v1/agreements").await, StatusCode::FORBIDDEN).await;
    problem(t.get(&portal, "/api/v1/calendars").await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn an_sla_for_a_customer_who_does_not_receive_the_service_is_refused() {
    let t = TestApp::spawn().await;
    let (manager, service, _customer, calendar, _supplier, _team) = setting(&t).await;
    let other = t.customer("Contoso").await;
    let r = t
        .post(
            &manager,
            "/api/v1/agreements",
            json!({"title": "E-mail for Contoso", "agreement_type": "sla", "customer_id": other, "service_id": service,
                "targets": [{"metric": "response", "minutes": 15, "calendar_id": calendar},
                            {"metric": "availability", "percent": 100.5, "calendar_id": calendar}]}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["customer_id", "targets[0].priority", "targets[1].value"]);
    let list = body(t.get(&manager, "/api/v1/agreements").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "nothing was made");
}

#[tokio::test]
async fn editing_a_calendar_leaves_measurements_made_under_the_old_version_unchanged() {
    let t = TestApp::spawn().await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let mut hours = office_hours("Service desk", "UTC");
    hours["special_days"] = json!([]);
    let cal = created(t.post(&manager, "/api/v1/calendars", hours).await, "calendar").await;
    let path = format!("/api/v1/calendars/{}", id(&cal));
    let now = t.clock.now();
    let at = |d: i64| (now + SignedDuration::from_hours(24 * d)).to_string();
    // Any seven days hold each weekday's hours once: 5 × 8 h.
    let measure = |from: String, to: String| {
        let path = path.clone();
        let manager = manager.clone();
        let t = &t;
        async move {
            // RFC 3339 in UTC ("…Z") needs no escaping in a query.
            let q = format!("{path}/working-time?from={from}&to={to}");
            body(t.get(&manager, &q).await).await
        }
    };
    let past = measure(at(-14), at(-7)).await;
    assert_eq!(past["working_seconds"], 40 * 3600);
    assert_eq!(past["versions"], json!([1]));

    // The desk goes 24x7 from now on.
    t.clock.advance(SignedDuration::from_secs(60));
    let all_day = json!([{"start": "00:00", "end": "00:00"}]);
    let week = json!({"monday": all_day, "tuesday": all_day, "wednesday": all_day, "thursday": all_day,
        "friday": all_day, "saturday": all_day, "sunday": all_day});
    let r = t.patch(&manager, &path, Some(1), json!({"week": week, "note": "24x7 from today"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap_or_default());
    let edited = body(t.get(&manager, &path).await).await;
    assert_eq!(edited["versions"].as_array().map(Vec::len), Some(2));
    assert_eq!(edited["in_force"]["version"], 2);

    let again = measure(at(-14), at(-7)).await;
    assert_eq!(again["working_seconds"], 40 * 3600, "the past is measured by the version in force then");
    assert_eq!(again["versions"], json!([1]));
    let future = measure(at(1), at(8)).await;
    assert_eq!(future["working_seconds"], 7 * 24 * 3600);
    assert_eq!(future["versions"], json!([2]));

    // A version cannot take effect in the past: it would rewrite what was measured.
    let yesterday = (t.clock.now() - SignedDuration::from_hours(24)).to_string();
    let r = t.patch(&manager, &path, Some(2), json!({"week": {}, "effective_from": yesterday})).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "effective_from");
    // A version cannot take effect before one already scheduled, nor come without a definition.
    let next_month = (t.clock.now() + SignedDuration::from_hours(24 * 30)).to_string();
    let r = t.patch(&manager, &path, Some(2), json!({"week": {}, "effective_from": next_month})).await;
    assert_eq!(r.status(), StatusCode::OK, "closed from next month");
    let r = t.patch(&manager, &path, Some(3), json!({"special_days": []})).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("version 3 takes effect"), "{p}");
    let r = t.patch(&manager, &path, Some(3), json!({"effective_from": next_month})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "effective_from");
    // Measuring is bounded: ten years in one request is refused.
    let r = t.get(&manager, &format!("{path}/working-time?from={}&to={}", at(-3700), at(0))).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "to");
    // A bad shift is named by its day and changes nothing.
    let r = t
        .patch(
            &manager,
            &path,
            Some(3),
            json!({"week": {"monday": [{"start": "09:00", "end": "09:00"}]}, "effective_from": next_month}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "week.monday");
    let unchanged = body(t.get(&manager, &path).await).await;
    assert_eq!(unchanged["versions"].as_array().map(Vec::len), Some(3));
    let _: Timestamp =
        unchanged["in_force"]["effective_from"].as_str().expect("instant").parse().expect("rfc 3339");
}

#[tokio::test]
async fn holidays_import_from_icalendar_and_a_bad_file_imports_nothing() {
    let t = TestApp::spawn().await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let cal = created(
        t.post(&manager, "/api/v1/calendars", office_hours("Office hours Berlin", "Europe/Berlin")).await,
        "calendar",
    )
    .await;
    let path = format!("/api/v1/calendars/{}/holidays", id(&cal));
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261003\r\nSUMMARY:Tag der Deutschen Einheit\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Weihnachten\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = t
        .client
        .post(t.at(&path))
        .bearer_auth(&manager)
        .header("if-match", "\"1\"")
        .json(&json!({"ical": ics, "from_year": 2026, "to_year": 2027}))
        .send()
        .await
        .expect("import");
    assert_eq!(r.status(), StatusCode::OK);
    let v = body(r).await;
    assert_eq!(v["imported"], 4);
    let days: Vec<String> = v["calendar"]["versions"][1]["special_days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| format!("{} {}", d["date"].as_str().unwrap_or("?"), d["name"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(
        days,
        [
            "2026-10-03 Tag der Deutschen Einheit",
            "2026-12-25 Weihnachten",
            "2026-12-26 Weihnachten",
            "2027-10-03 Tag der Deutschen Einheit"
        ]
    );

    let broken = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:No start\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let r = t
        .client
        .post(t.at(&path))
        .bearer_auth(&manager)
        .header("if-match", "\"2\"")
        .json(&json!({"ical": broken}))
        .send()
        .await
        .expect("import");
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "ical");
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").starts_with("line 2:"), "{p}");
    let after = body(t.get(&manager, &format!("/api/v1/calendars/{}", id(&cal))).await).await;
    assert_eq!(after["versions"].as_array().map(Vec::len), Some(2), "nothing imported");
}

#[tokio::test]
async fn suppliers_agreements_and_services_are_reviewed() {
    let t = TestApp::spawn().await;
    let (manager, service, customer, _calendar, _supplier, _team) = setting(&t).await;
    let today = t.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let r = t
        .post(&manager, "/api/v1/suppliers/SUP-000001/reviews",
            json!({"scheduled_on": today, "held_on": today, "outcome": "All P1s fixed within the hour", "rating": 4}))
        .await;
    let review = created(r, "supplier review").await;
    assert_eq!(review["rating"], 4);
    let r = t
        .post(&manager, "/api/v1/suppliers/SUP-000001/reviews", json!({"scheduled_on": today, "rating": 9}))
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "rating");
    let list = body(t.get(&manager, "/api/v1/suppliers/SUP-000001/reviews").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // A service review is planned with a customer who receives the service, then recorded.
    let other = t.customer("Contoso").await;
    let r = t
        .post(
            &manager,
            &format!("/api/v1/services/{service}/reviews"),
            json!({"scheduled_on": "2027-01-15", "customer_id": other}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "customer_id");
    let planned = created(
        t.post(
            &manager,
            &format!("/api/v1/services/{service}/reviews"),
            json!({"scheduled_on": "2027-01-15", "customer_id": customer}),
        )
        .await,
        "service review",
    )
    .await;
    assert!(planned["held_on"].is_null());
    let review_path = format!("/api/v1/services/{service}/reviews/{}", id(&planned));
    let put = |version: i64, held: &str, outcome: &str| {
        t.client
            .put(t.at(&review_path))
            .bearer_auth(&manager)
            .header("if-match", format!("\"{version}\""))
            .json(&json!({"scheduled_on": "2027-01-15", "held_on": held, "outcome": outcome, "customer_id": customer}))
            .send()
    };
    let r = put(1, "2099-01-01", "Too early").await.expect("put");
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "held_on");
    let r = put(1, &today, "Customer happy; wants a quarterly report").await.expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["customer"]["name"], "Northwind Health");
    let r = put(1, &today, "Stale").await.expect("put");
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let journal = body(t.get(&manager, &format!("/api/v1/services/{service}/journal")).await).await;
    let review_changes = journal["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["field"] == "review")))
        .count();
    assert_eq!(review_changes, 2, "planning and recording are journalled");
}

#[tokio::test]
async fn a_manager_sets_up_a_calendar_and_an_sla_in_the_browser_pages() {
    let t = TestApp::spawn().await;
    let (_manager, service, customer, calendar, _supplier, _team) = setting(&t).await;
    let cookie = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // A calendar with a broken shift comes back with the message and is not made.
    let bad = [("name", "Night desk"), ("time_zone", "UTC"), ("monday", "22:00-6"), ("special_days", "")];
    let r = t.form(&cookie, "/calendars", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(html.contains("is not a shift"), "{html}");
    let (_, list) = t.page(&cookie, "/calendars").await;
    assert!(!list.contains("Night desk"));
    let good = [
        ("name", "Night desk"),
        ("time_zone", "UTC"),
        ("monday", "22:00-06:00"),
        ("special_days", "2026-12-24 Christmas Eve"),
    ];
    let r = t.form(&cookie, "/calendars", &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().expect("location").to_owned();
    let (status, page) = t.page(&cookie, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("22:00-06:00") && page.contains("Christmas Eve"), "{page}");

    // An SLA from the form, with one target row filled in.
    let fields = [
        ("agreement_type", "sla"),
        ("title", "E-mail for Northwind"),
        ("service_id", service.as_str()),
        ("party_id", customer.as_str()),
        ("t_metric", "resolution"),
        ("t_priority", "p1"),
        ("t_value", "240"),
        ("t_calendar", calendar.as_str()),
        ("t_supported_by", ""),
        ("t_metric", ""),
        ("t_priority", ""),
        ("t_value", ""),
        ("t_calendar", ""),
        ("t_supported_by", ""),
    ];
    let r = t.form(&cookie, "/agreements", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let (_, page) = t.page(&cookie, "/agreements/AGR-000001").await;
    assert!(page.contains("P1 resolution time within 4 h") && page.contains("Office hours Berlin"), "{page}");
    // A target without a calendar is refused on its row.
    let mut missing = fields;
    missing[7] = ("t_calendar", "");
    let r = t.form(&cookie, "/agreements", &missing).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("every target is measured on a business calendar"));
}

#[tokio::test]
async fn a_dispute_with_a_supplier_is_raised_and_resolved() {
    let t = TestApp::spawn().await;
    let (manager, _service, _customer, _calendar, _supplier, _team) = setting(&t).await;
    let today = t.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let path = "/api/v1/suppliers/SUP-000001/disputes";
    let r = t.post(&manager, path, json!({"subject": "Service credits", "raised_on": "2099-01-01"})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "raised_on");
    let d = created(
        t.post(&manager, path, json!({"subject": "Service credits for the outage", "raised_on": today}))
            .await,
        "dispute",
    )
    .await;
    assert_eq!(d["status"], "open");
    let resolution = format!("{path}/{}/resolution", id(&d));
    let resolve = |version: i64, text: &str| {
        t.client
            .post(t.at(&resolution))
            .bearer_auth(&manager)
            .header("if-match", format!("\"{version}\""))
            .json(&json!({"resolution": text, "resolved_on": today}))
            .send()
    };
    let r = resolve(1, " ").await.expect("post");
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "resolution");
    let r = resolve(1, "Two months of credits agreed").await.expect("post");
    assert_eq!(body(r).await["status"], "resolved");
    let r = resolve(2, "Again").await.expect("post");
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "dispute.resolved");
    let list = body(t.get(&manager, path).await).await;
    assert_eq!(list["items"][0]["resolution"], "Two months of credits agreed");
    let journal = body(t.get(&manager, "/api/v1/suppliers/SUP-000001/journal").await).await;
    let lines: Vec<String> = journal["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["changes"][0]["field"] == "dispute")
        .map(|e| e["changes"][0]["to"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with("resolved"), "{lines:?}");
    let cookie = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = t.page(&cookie, "/suppliers/SUP-000001").await;
    assert!(html.contains("Two months of credits agreed"), "{html}");
}
