//! Service requests (8.6.2): ordered from a published offering under its pinned definition,
//! approved in sequence or by any one approver, fulfilled through tasks assigned to teams, and
//! followed by the requester; scoped to the requester's organisation.

use crate::helpers::{PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ok(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

async fn user_id(t: &TestApp, token: &str) -> String {
    ok(t.get(token, "/api/v1/me").await, "me").await["id"].as_str().expect("id").to_owned()
}

/// Kinds of the user's notifications about `reference`, oldest first.
async fn told(t: &TestApp, token: &str, reference: &str) -> Vec<String> {
    let n = ok(t.get(token, "/api/v1/notifications?limit=200").await, "notifications").await;
    let mut kinds: Vec<String> = n["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["record_ref"] == reference)
        .filter_map(|i| i["kind"].as_str().map(str::to_owned))
        .collect();
    kinds.reverse();
    kinds
}

fn states(r: &Value, list: &str, field: &str) -> Vec<String> {
    r[list].as_array().expect(list).iter().filter_map(|a| a[field].as_str().map(str::to_owned)).collect()
}

struct Setup {
    manager: String,
    owner: String,
    fulfiller: String,
    portal: String,
    other_portal: String,
    team: String,
    calendar: String,
}

async fn setup(t: &TestApp) -> Setup {
    let north = t.customer("Northwind Health").await;
    let south = t.customer("Southwind Travel").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let owner = t.user("olive@provider.example", "agent", None).await;
    let fulfiller = t.user("fin@provider.example", "agent", None).await;
    let portal = t.user("pat@northwind.example", "customer", Some(&north)).await;
    let other_portal = t.user("sol@southwind.example", "customer", Some(&south)).await;
    let owner_id = user_id(t, &owner).await;
    let team = ok(t.post(&manager, "/api/v1/teams", json!({"name": "Service desk"})).await, "team").await;
    let team = team["id"].as_str().expect("id").to_owned();
    let fin = user_id(t, &fulfiller).await;
    let r = t.post(&manager, &format!("/api/v1/teams/{team}/members"), json!({"user_id": fin})).await;
    assert!(r.status().is_success(), "member");
    let body = json!({"name": "Workplace", "criticality": "medium", "customer_ids": [north, south], "owner_id": owner_id});
    ok(t.post(&manager, "/api/v1/services", body).await, "service").await;
    let cal = json!({"name": "Office", "time_zone": "UTC", "week": {
        "monday": [{"start": "09:00", "end": "17:00"}], "tuesday": [{"start": "09:00", "end": "17:00"}],
        "wednesday": [{"start": "09:00", "end": "17:00"}], "thursday": [{"start": "09:00", "end": "17:00"}],
        "friday": [{"start": "09:00", "end": "17:00"}]}});
    let calendar = ok(t.post(&manager, "/api/v1/calendars", cal).await, "calendar").await;
    let calendar = calendar["id"].as_str().expect("id").to_owned();
    Setup { manager, owner, fulfiller, portal, other_portal, team, calendar }
}

/// Creates and publishes an offering on SVC-000001; returns its id.
async fn offering(t: &TestApp, s: &Setup, definition: Value) -> String {
    let o =
        ok(t.post(&s.manager, "/api/v1/services/SVC-000001/offerings", definition).await, "offering").await;
    let id = o["id"].as_str().expect("id").to_owned();
    let r =
        t.post(&s.manager, &format!("/api/v1/offerings/{id}/transitions"), json!({"to": "published"})).await;
    ok(r, "publish").await;
    id
}

async fn decide(t: &TestApp, token: &str, decision: &str, comment: &str) -> reqwest::Response {
    let body = json!({"decision": decision, "comment": comment});
    t.post(token, "/api/v1/service-requests/REQ-000001/decisions", body).await
}

async fn done(t: &TestApp, token: &str, task: String, note: &str) -> reqwest::Response {
    let path = format!("/api/v1/service-requests/REQ-000001/tasks/{task}/completion");
    t.post(token, &path, json!({"note": note})).await
}

#[tokio::test]
async fn a_request_is_approved_in_sequence_and_fulfilled_through_its_tasks() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let manager_id = user_id(&t, &s.manager).await;
    let laptop = offering(&t, &s, json!({"name": "New laptop", "approval": "sequence",
        "approvers": [{"type": "service_owner"}, {"type": "user", "user_id": manager_id}],
        "tasks": [{"title": "Image the laptop", "team_id": s.team}, {"title": "Ship it", "team_id": s.team}],
        "fulfilment_minutes": 480, "calendar_id": s.calendar,
        "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch", "16 inch"]}]}))
    .await;

    // Bad answers are refused, naming the field, and order nothing.
    let r = t
        .post(
            &s.portal,
            "/api/v1/service-requests",
            json!({"offering_id": laptop, "answers": {"colour": "red"}}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["answers.colour", "answers.model"]);
    let r = t
        .post(
            &s.portal,
            "/api/v1/service-requests",
            json!({"offering_id": laptop, "answers": {"model": "15 inch"}}),
        )
        .await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(ok(t.get(&s.manager, "/api/v1/service-requests").await, "list").await["items"], json!([]));

    let r = t
        .post(
            &s.portal,
            "/api/v1/service-requests",
            json!({"offering_id": laptop, "answers": {"model": "14 inch"},
            "description": "For our new starter"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/service-requests/REQ-000001");
    let req = ok(r, "order").await;
    assert_eq!(req["status"], "awaiting_approval");
    assert_eq!(states(&req, "approvals", "state"), ["pending", "waiting"]);
    assert_eq!(req["tasks"], json!([]));
    assert_eq!(req["offering"]["version"], 1);
    assert_eq!(req["requested_for"]["name"], "pat@northwind.example");
    assert!(req["due_at"].is_null(), "the fulfilment clock starts at approval");

    // The offering changes afterwards: the request keeps what was asked for under version 1.
    let r = t
        .client
        .put(t.at(&format!("/api/v1/offerings/{laptop}")))
        .bearer_auth(&s.manager)
        .header("if-match", "\"2\"")
        .json(&json!({"name": "New laptop", "approval": "none", "form": [{"key": "ram", "label": "RAM", "kind": "text"}]}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let req = ok(t.get(&s.portal, "/api/v1/service-requests/REQ-000001").await, "read").await;
    assert_eq!(req["offering"]["version"], 1);
    assert_eq!(req["form"][0]["key"], "model");
    assert_eq!(req["answers"], json!({"model": "14 inch"}));
    assert_eq!(req["allowed_transitions"], json!(["cancelled"]), "a customer may only cancel");

    // Another organisation sees nothing of it.
    problem(t.get(&s.other_portal, "/api/v1/service-requests/REQ-000001").await, StatusCode::NOT_FOUND).await;
    assert_eq!(
        ok(t.get(&s.other_portal, "/api/v1/service-requests").await, "list").await["items"],
        json!([])
    );

    // The sequence: the second approver waits for the first; others cannot decide at all.
    let p = problem(decide(&t, &s.manager, "approved", "").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "service_request.not_your_turn");
    problem(decide(&t, &s.fulfiller, "approved", "").await, StatusCode::FORBIDDEN).await;
    problem(decide(&t, &s.portal, "approved", "").await, StatusCode::FORBIDDEN).await;
    assert_eq!(told(&t, &s.owner, "REQ-000001").await, ["request.approval_needed"]);
    let mine = ok(t.get(&s.owner, "/api/v1/approvals").await, "approvals").await;
    assert_eq!(states(&mine, "items", "ref"), ["REQ-000001"]);
    assert_eq!(ok(t.get(&s.manager, "/api/v1/approvals").await, "approvals").await["items"], json!([]));

    let req = ok(decide(&t, &s.owner, "approved", "Standard kit").await, "owner approves").await;
    assert_eq!(req["status"], "awaiting_approval");
    assert_eq!(states(&req, "approvals", "state"), ["approved", "pending"]);
    assert_eq!(req["approvals"][0]["comment"], "Standard kit");
    assert_eq!(told(&t, &s.manager, "REQ-000001").await, ["request.approval_needed"]);
    let p = problem(decide(&t, &s.manager, "rejected", " ").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "comment");
    let req = ok(decide(&t, &s.manager, "approved", "").await, "manager approves").await;
    assert_eq!(req["status"], "in_fulfilment");
    assert_eq!(states(&req, "approvals", "state"), ["approved", "approved"]);
    assert_eq!(states(&req, "tasks", "title"), ["Image the laptop", "Ship it"]);
    assert!(req["due_at"].as_str().expect("due") > req["clock_started_at"].as_str().expect("started"));
    assert_eq!(req["breached"], false);
    assert_eq!(told(&t, &s.portal, "REQ-000001").await, ["request.decided"]);
    assert_eq!(
        told(&t, &s.fulfiller, "REQ-000001").await,
        ["request.task_assigned", "request.task_assigned"]
    );

    // The team's queue holds the tasks; fulfilling waits for them.
    let queue =
        ok(t.get(&s.fulfiller, &format!("/api/v1/fulfilment-tasks?team={}", s.team)).await, "queue").await;
    assert_eq!(states(&queue, "items", "title"), ["Ship it", "Image the laptop"]);
    problem(t.get(&s.portal, "/api/v1/fulfilment-tasks").await, StatusCode::FORBIDDEN).await;
    let r = t
        .post(&s.fulfiller, "/api/v1/service-requests/REQ-000001/transitions", json!({"to": "fulfilled"}))
        .await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.open_tasks");

    let task = |r: &Value, i: usize| r["tasks"][i]["id"].as_str().expect("task id").to_owned();
    let req =
        ok(done(&t, &s.fulfiller, task(&req, 0), "Imaged with the standard build").await, "task 1").await;
    assert_eq!(req["status"], "in_fulfilment");
    let r = t.post(&s.portal, "/api/v1/service-requests/REQ-000001/tasks", json!({"title": "Dock"})).await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = t
        .post(&s.fulfiller, "/api/v1/service-requests/REQ-000001/tasks", json!({"title": "Docking station"}))
        .await;
    let req = ok(r, "add task").await;
    assert_eq!(req["open_tasks"], 2);
    let req = ok(done(&t, &s.fulfiller, task(&req, 1), "Couriered").await, "task 2").await;
    let r = done(&t, &s.fulfiller, task(&req, 1), "again").await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.task_closed");
    let req = ok(done(&t, &s.fulfiller, task(&req, 2), "").await, "task 3").await;
    assert_eq!(req["status"], "fulfilled", "the last task done fulfils the request");
    assert!(req["fulfilled_at"].is_string());
    assert_eq!(told(&t, &s.portal, "REQ-000001").await, ["request.decided", "request.fulfilled"]);

    // The requester follows it all, without the provider's work notes.
    let seen = ok(t.get(&s.portal, "/api/v1/service-requests/REQ-000001").await, "read").await;
    assert_eq!(states(&seen, "tasks", "status"), ["done", "done", "done"]);
    assert_eq!(seen["tasks"][0]["note"], "");
    let staff = ok(t.get(&s.manager, "/api/v1/service-requests/REQ-000001").await, "read").await;
    assert_eq!(staff["tasks"][0]["note"], "Imaged with the standard build");
    let r =
        t.post(&s.manager, "/api/v1/service-requests/REQ-000001/transitions", json!({"to": "closed"})).await;
    assert_eq!(ok(r, "close").await["status"], "closed");
    let journal = ok(t.get(&s.manager, "/api/v1/service-requests/REQ-000001/journal").await, "journal").await;
    assert!(journal["items"].as_array().expect("items").len() >= 8, "{journal}");
}

#[tokio::test]
async fn any_of_takes_the_first_answer_and_nobody_approves_their_own_request() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let owner_id = user_id(&t, &s.owner).await;
    let mailbox = offering(
        &t,
        &s,
        json!({"name": "Shared mailbox", "approval": "any_of",
        "approvers": [{"type": "user", "user_id": owner_id}, {"type": "managers"}]}),
    )
    .await;

    // A manager orders for themselves: the other approver decides, not them.
    let r = t.post(&s.manager, "/api/v1/service-requests", json!({"offering_id": mailbox})).await;
    let own = ok(r, "order").await;
    assert!(own["customer"].is_null());
    let path = format!("/api/v1/service-requests/{}", own["ref"].as_str().expect("ref"));
    let r = t.post(&s.manager, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.self_approval");
    let r = t.post(&s.owner, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    let own = ok(r, "owner approves").await;
    assert_eq!(own["status"], "in_fulfilment");
    assert_eq!(states(&own, "approvals", "state"), ["approved", "skipped"]);
    problem(t.get(&s.portal, &path).await, StatusCode::NOT_FOUND).await;
    // No tasks: staff fulfil it directly.
    let r = t.post(&s.fulfiller, &format!("{path}/transitions"), json!({"to": "fulfilled"})).await;
    assert_eq!(ok(r, "fulfil").await["status"], "fulfilled");

    // A rejection ends a customer's request, with the reason for the requester.
    let r =
        t.post(&s.portal, "/api/v1/service-requests", json!({"offering_id": mailbox, "answers": {}})).await;
    let theirs = ok(r, "order").await;
    let path = format!("/api/v1/service-requests/{}", theirs["ref"].as_str().expect("ref"));
    let mine = ok(t.get(&s.manager, "/api/v1/approvals").await, "approvals").await;
    assert_eq!(states(&mine, "items", "ref"), [theirs["ref"].as_str().expect("ref")]);
    let r = t.post(&s.manager, &format!("{path}/decisions"), json!({"decision": "maybe"})).await;
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let r = t
        .post(
            &s.manager,
            &format!("{path}/decisions"),
            json!({"decision": "rejected", "comment": "Use a group instead"}),
        )
        .await;
    let theirs = ok(r, "reject").await;
    assert_eq!(theirs["status"], "rejected");
    assert_eq!(states(&theirs, "approvals", "state"), ["skipped", "rejected"]);
    let seen = ok(t.get(&s.portal, &path).await, "read").await;
    assert_eq!(seen["approvals"][1]["comment"], "Use a group instead");
    assert_eq!(seen["allowed_transitions"], json!([]));
    let r = t.post(&s.owner, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.not_awaiting_approval");
    let r = t.post(&s.portal, &format!("{path}/transitions"), json!({"to": "cancelled"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.invalid_transition");

    // Two steps mean two people, even when one person matches both.
    let two = offering(
        &t,
        &s,
        json!({"name": "Firewall opening", "approval": "sequence",
        "approvers": [{"type": "managers"}, {"type": "managers"}]}),
    )
    .await;
    let r = t.post(&s.portal, "/api/v1/service-requests", json!({"offering_id": two})).await;
    let path = format!("/api/v1/service-requests/{}", ok(r, "order").await["ref"].as_str().expect("ref"));
    let r = t.post(&s.manager, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    assert_eq!(states(&ok(r, "first").await, "approvals", "state"), ["approved", "pending"]);
    let r = t.post(&s.manager, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "service_request.already_decided");
    assert_eq!(ok(t.get(&s.manager, "/api/v1/approvals").await, "approvals").await["items"], json!([]));
    let r = t.post(&t.admin_token, &format!("{path}/decisions"), json!({"decision": "approved"})).await;
    assert_eq!(ok(r, "second").await["status"], "in_fulfilment");
}

#[tokio::test]
async fn without_approval_a_request_goes_to_its_tasks_and_the_requester_can_cancel_it() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let draft = ok(
        t.post(
            &s.manager,
            "/api/v1/services/SVC-000001/offerings",
            json!({"name": "Draft", "approval": "none"}),
        )
        .await,
        "draft",
    )
    .await;
    let r = t.post(&s.portal, "/api/v1/service-requests", json!({"offering_id": draft["id"]})).await;
    problem(r, StatusCode::NOT_FOUND).await;
    let r = t.post(&s.manager, "/api/v1/service-requests", json!({"offering_id": draft["id"]})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "offering.not_published");
    let r = t
        .post(
            &s.manager,
            "/api/v1/services/SVC-000001/offerings",
            json!({"name": "Bad", "approval": "sequence"}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "approvers");

    let access = offering(&t, &s, json!({"name": "Building access", "approval": "none",
        "tasks": [{"title": "Print the badge", "team_id": s.team}], "fulfilment_minutes": 60, "calendar_id": s.calendar}))
    .await;
    // Monday 09:00: an hour of office time later is 10:00.
    t.clock.set(crate::sla::at("2026-11-23T09:00:00Z"));
    let r = t.post(&s.portal, "/api/v1/service-requests", json!({"offering_id": access})).await;
    let req = ok(r, "order").await;
    assert_eq!(req["status"], "in_fulfilment");
    assert_eq!(req["due_at"], "2026-11-23T10:00:00Z");
    assert_eq!(states(&req, "tasks", "status"), ["open"]);
    let path = format!("/api/v1/service-requests/{}", req["ref"].as_str().expect("ref"));

    // At 09:30 the office closes at 09:45 on Mondays: 15 minutes today, the rest on Tuesday.
    t.clock.set(crate::sla::at("2026-11-23T09:30:00Z"));
    let week = json!({"monday": [{"start": "09:00", "end": "09:45"}], "tuesday": [{"start": "09:00", "end": "17:00"}]});
    ok(
        t.patch(&s.manager, &format!("/api/v1/calendars/{}", s.calendar), Some(1), json!({"week": week}))
            .await,
        "edit",
    )
    .await;
    let req = ok(t.get(&s.portal, &path).await, "read").await;
    assert_eq!(req["due_at"], "2026-11-24T09:15:00Z", "the due instant follows the calendar");
    t.clock.set(crate::sla::at("2026-11-25T09:00:00Z"));
    assert_eq!(ok(t.get(&s.portal, &path).await, "read").await["breached"], true);

    // Staff may order for a customer's user, but not for one whose organisation lacks the service.
    let other = user_id(&t, &s.other_portal).await;
    let r = t
        .post(
            &s.fulfiller,
            "/api/v1/service-requests",
            json!({"offering_id": access, "requested_for": other}),
        )
        .await;
    let for_other = ok(r, "on behalf").await;
    assert_eq!(for_other["customer"]["name"], "Southwind Travel");
    let r = t
        .post(&s.portal, "/api/v1/service-requests", json!({"offering_id": access, "requested_for": other}))
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "requested_for");

    let r = t.post(&s.portal, &format!("{path}/transitions"), json!({"to": "fulfilled"})).await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = t.post(&s.portal, &format!("{path}/transitions"), json!({"to": "cancelled"})).await;
    let req = ok(r, "cancel").await;
    assert_eq!(req["status"], "cancelled");
    assert_eq!(req["breached"], false, "a cancelled request missed nothing");
    assert_eq!(states(&req, "tasks", "status"), ["cancelled"]);
    let queue = ok(t.get(&s.fulfiller, "/api/v1/fulfilment-tasks").await, "queue").await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1), "only the other request's task is open");
}

#[tokio::test]
async fn a_customer_orders_on_the_portal_and_an_approver_decides_on_the_page() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let laptop = offering(&t, &s, json!({"name": "New laptop", "approval": "any_of", "approvers": [{"type": "managers"}],
        "tasks": [{"title": "Image the laptop", "team_id": s.team}],
        "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch", "16 inch"]},
                 {"key": "needed_by", "label": "Needed by", "kind": "date"}]}))
    .await;
    let cookie = t.login("pat@northwind.example", PASSWORD).await;
    let (status, html) = t.page(&cookie, "/service-requests/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/offerings/{laptop}/order")), "{html}");
    let order = format!("/offerings/{laptop}/order");
    let (status, html) = t.page(&cookie, &order).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Needed by") && html.contains("16 inch"), "{html}");

    // A bad date comes back on the form with what was typed.
    let r = t
        .form(
            &cookie,
            &order,
            &[("attr.model", "16 inch"), ("attr.needed_by", "next week"), ("description", "<b>soon</b>")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("must be a date") && html.contains("&#60;b&#62;soon") && !html.contains("<b>soon"),
        "{html}"
    );
    let r = t.form(&cookie, &order, &[("attr.model", "16 inch"), ("attr.needed_by", "2026-12-01")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/service-requests/REQ-000001");
    let (_, html) = t.page(&cookie, "/service-requests/REQ-000001").await;
    assert!(
        html.contains("Awaiting approval") && html.contains("2026-12-01") && !html.contains(">Approve<"),
        "{html}"
    );

    let manager = t.login("morgan@provider.example", PASSWORD).await;
    let (_, html) = t.page(&manager, "/approvals").await;
    assert!(html.contains("REQ-000001"), "{html}");
    let r = t
        .form(
            &manager,
            "/service-requests/REQ-000001/decisions",
            &[("decision", "approved"), ("comment", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = t.page(&manager, "/service-requests/REQ-000001").await;
    assert!(html.contains("In fulfilment") && html.contains("Image the laptop"), "{html}");
    let (_, html) = t.page(&cookie, "/service-requests").await;
    assert!(html.contains("REQ-000001") && html.contains("In fulfilment"), "{html}");
}
