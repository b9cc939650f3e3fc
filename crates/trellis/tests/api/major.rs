//! Escalation and major incidents over HTTP: hierarchical escalation tells management,
//! reassignments are counted, a major incident has a manager and a communication log, and it
//! closes only after its review.

use crate::helpers::{TestApp, problem};
use crate::sla::{move_to, ok, setting};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn user_id(t: &TestApp, token: &str) -> String {
    ok(t.get(token, "/api/v1/me").await, "me").await["id"].as_str().expect("id").to_owned()
}

async fn kinds_of(t: &TestApp, token: &str) -> Vec<String> {
    let list = ok(t.get(token, "/api/v1/notifications").await, "notifications").await;
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|n| n["kind"].as_str().expect("kind").to_owned())
        .collect()
}

async fn patch_team(t: &TestApp, token: &str, key: &str, team: &str) -> Value {
    let cur = ok(t.get(token, &format!("/api/v1/incidents/{key}")).await, "read").await;
    let v = cur["version"].as_i64().expect("version");
    ok(t.patch(token, &format!("/api/v1/incidents/{key}"), Some(v), json!({"team_id": team})).await, "team")
        .await
}

#[tokio::test]
async fn escalation_tells_management_and_reassignments_are_counted() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let casey = t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Shared drive slow", "customer_id": s.customer, "team_id": s.desk}),
        )
        .await,
        "incident",
    )
    .await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    assert_eq!((inc["escalation_level"].as_i64(), inc["reassignments"].as_i64()), (Some(0), Some(0)));

    // Functional escalation: to the network team and back; each move counts.
    patch_team(&t, &s.agent, &key, &s.network).await;
    let inc = patch_team(&t, &s.agent, &key, &s.desk).await;
    assert_eq!(inc["reassignments"], 2);

    let path = format!("/api/v1/incidents/{key}/escalations");
    let bad =
        problem(t.post(&s.agent, &path, json!({"reason": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(bad["errors"][0]["field"], "reason");
    problem(t.post(&casey, &path, json!({"reason": "Please hurry"})).await, StatusCode::FORBIDDEN).await;
    let stale = t
        .client
        .post(t.at(&path))
        .bearer_auth(&s.agent)
        .header("if-match", "\"1\"")
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .expect("post");
    problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let inc =
        ok(t.post(&s.agent, &path, json!({"reason": "Third day without a diagnosis"})).await, "escalate")
            .await;
    assert_eq!(inc["escalation_level"], 1);
    // No manager is in the service-desk team, so every manager hears of it.
    assert_eq!(kinds_of(&t, &s.manager).await, ["incident.escalated"]);
    let list = ok(t.get(&s.manager, "/api/v1/notifications").await, "notifications").await;
    assert!(
        list["items"][0]["body"].as_str().is_some_and(|b| b.contains("Third day without a diagnosis")),
        "{list}"
    );
    let journal = ok(t.get(&s.manager, &format!("/api/v1/incidents/{key}/journal")).await, "journal").await;
    assert!(journal.to_string().contains("Third day without a diagnosis"));

    // The customer sees the incident, not how it travelled inside the provider.
    let seen = ok(t.get(&casey, &format!("/api/v1/incidents/{key}")).await, "customer view").await;
    assert_eq!((seen["escalation_level"].as_i64(), seen["reassignments"].as_i64()), (Some(0), Some(0)));
}

#[tokio::test]
async fn a_major_incident_has_a_manager_a_communication_log_and_closes_only_after_its_review() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let casey = t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let manager_id = user_id(&t, &s.manager).await;
    let agent_id = user_id(&t, &s.agent).await;
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "No e-mail in Leeds", "customer_id": s.customer,
            "service_id": s.service, "impact": "high", "urgency": "high", "team_id": s.network}),
        )
        .await,
        "incident",
    )
    .await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    let other = t.incident(&s.agent, "Printer jam", Some(&s.customer)).await;
    assert_eq!(inc["major"], Value::Null);

    let comms = format!("/api/v1/incidents/{key}/communications");
    let early = problem(
        t.post(
            &s.agent,
            &comms,
            json!({"audience": "customers", "channel": "email", "message": "Looking into it"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(early["code"], "incident.not_major");

    let major = format!("/api/v1/incidents/{key}/major");
    let bad = problem(
        t.post(&s.agent, &major, json!({"manager_id": agent_id, "reason": "All Leeds users"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "manager_id");
    let inc = ok(
        t.post(
            &s.agent,
            &major,
            json!({"manager_id": manager_id, "reason": "All Leeds users are without e-mail"}),
        )
        .await,
        "declare",
    )
    .await;
    assert_eq!(inc["major"]["manager"]["id"], manager_id.as_str());
    assert!(inc["major"]["declared_at"].is_string());
    let again = problem(
        t.post(&s.agent, &major, json!({"manager_id": manager_id, "reason": "again"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(again["code"], "incident.already_major");
    assert_eq!(kinds_of(&t, &s.manager).await, ["major_incident.declared"]);

    // The queue of major incidents.
    let majors = ok(t.get(&s.agent, "/api/v1/incidents?major=true").await, "majors").await;
    let refs: Vec<&str> =
        majors["items"].as_array().expect("items").iter().map(|i| i["ref"].as_str().expect("ref")).collect();
    assert_eq!(refs, [key.as_str()]);
    assert_ne!(refs[0], other["ref"].as_str().expect("ref"));

    // Communications: customers hear of theirs; internal ones stay internal.
    let bad = problem(
        t.post(&s.agent, &comms, json!({"audience": "everyone", "channel": "email", "message": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "audience");
    let r = t.post(&s.agent, &comms, json!({"audience": "customers", "channel": "status_page", "message": "The carrier is on site; next update 14:00."})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    ok(t.post(&s.manager, &comms, json!({"audience": "internal", "channel": "meeting", "message": "Bridge call: failover not tested since March."})).await, "internal").await;
    problem(
        t.post(&casey, &comms, json!({"audience": "customers", "channel": "email", "message": "x"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let staff_log = ok(t.get(&s.agent, &comms).await, "log").await;
    assert_eq!(staff_log["items"].as_array().expect("items").len(), 2);
    let customer_log = ok(t.get(&casey, &comms).await, "customer log").await;
    let items = customer_log["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["message"], "The carrier is on site; next update 14:00.");
    assert_eq!(kinds_of(&t, &casey).await, ["major_incident.update"]);

    // The review: not before resolution, managers only, and closing waits for it.
    let review = format!("/api/v1/incidents/{key}/major-review");
    let body = json!({"summary": "Leeds lost e-mail for 3 h", "cause": "A carrier line card failed",
        "went_well": "Hourly updates", "went_wrong": "Failover untested", "actions": "Test failover quarterly"});
    let put = |token: String, body: Value| {
        let t = &t;
        let review = review.clone();
        async move { t.client.put(t.at(&review)).bearer_auth(token).json(&body).send().await.expect("put") }
    };
    let too_early = problem(put(s.manager.clone(), body.clone()).await, StatusCode::CONFLICT).await;
    assert_eq!(too_early["code"], "incident.review_too_early");
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;
    let closing =
        t.post(&s.agent, &format!("/api/v1/incidents/{key}/transitions"), json!({"to": "closed"})).await;
    assert_eq!(problem(closing, StatusCode::CONFLICT).await["code"], "incident.major_review_required");
    // The customer's confirmation is recorded; the incident waits for its review.
    let confirm = format!("/api/v1/incidents/{key}/confirmation");
    let confirmed = ok(t.post(&casey, &confirm, json!({"fixed": true})).await, "confirm").await;
    assert_eq!(confirmed["status"], "resolved");
    let comments = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}/comments")).await, "comments").await;
    assert!(comments.to_string().contains("Confirmed: it is fixed."), "{comments}");
    problem(put(s.agent.clone(), body.clone()).await, StatusCode::FORBIDDEN).await;
    let missing = problem(
        put(s.manager.clone(), json!({"summary": "x", "cause": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(missing["errors"][0]["field"], "cause");
    problem(t.get(&s.agent, &review).await, StatusCode::NOT_FOUND).await;
    let r = put(s.manager.clone(), body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let recorded = ok(t.get(&s.agent, &review).await, "review").await;
    assert_eq!(recorded["cause"], "A carrier line card failed");
    assert_eq!(recorded["version"], 1);
    // A correction made from a stale read is refused, not silently overwriting the other's.
    let stale = t
        .client
        .put(t.at(&review))
        .bearer_auth(&s.manager)
        .header("if-match", "\"0\"")
        .json(&json!({"summary": "x", "cause": "y"}))
        .send()
        .await
        .expect("put");
    problem(stale, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(ok(t.get(&s.agent, &review).await, "review").await["cause"], "A carrier line card failed");
    assert_eq!(recorded["reviewer"], "morgan@provider.example");
    // The review is the provider's own account.
    problem(t.get(&casey, &review).await, StatusCode::FORBIDDEN).await;
    let (_, page) = t
        .page(
            &t.login("casey@northwind.example", crate::helpers::PASSWORD).await,
            &format!("/incidents/{key}"),
        )
        .await;
    assert!(page.contains("Major incident") && !page.contains("Failover untested"), "{page}");

    // Reopened and resolved again, it needs a review of the new resolution.
    t.clock.advance(jiff::SignedDuration::from_mins(10));
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    t.clock.advance(jiff::SignedDuration::from_mins(10));
    move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;
    let closing =
        t.post(&s.agent, &format!("/api/v1/incidents/{key}/transitions"), json!({"to": "closed"})).await;
    assert_eq!(problem(closing, StatusCode::CONFLICT).await["code"], "incident.major_review_required");
    t.clock.advance(jiff::SignedDuration::from_mins(10));
    let again = json!({"summary": "Leeds lost e-mail twice", "cause": "The spare line card was faulty too"});
    assert_eq!(put(s.manager.clone(), again).await.status(), StatusCode::OK);
    let closed = move_to(&t, &s.agent, &key, json!({"to": "closed"})).await;
    assert_eq!(closed["status"], "closed");
}

#[tokio::test]
async fn the_incident_page_escalates_declares_and_logs_communications() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let manager_id = user_id(&t, &s.manager).await;
    let inc = t.incident(&s.agent, "Leeds office offline", Some(&s.customer)).await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    let agent = t.login("alex@provider.example", crate::helpers::PASSWORD).await;
    let (_, html) = t.page(&agent, &format!("/incidents/{key}")).await;
    assert!(html.contains("Declare major incident") && html.contains("Escalate to management"), "{html}");
    assert!(
        html.contains(&format!("<option value=\"{manager_id}\">morgan@provider.example</option>")),
        "{html}"
    );

    // A declaration without a manager comes back with the reason and changes nothing.
    let r = t
        .form(&agent, &format!("/incidents/{key}/major"), &[("manager_id", ""), ("reason", "Whole office")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("manager_id: is required"));

    let r = t
        .form(
            &agent,
            &format!("/incidents/{key}/major"),
            &[("manager_id", &manager_id), ("reason", "Whole office")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = t
        .form(
            &agent,
            &format!("/incidents/{key}/communications"),
            &[("audience", "customers"), ("channel", "phone"), ("message", "Engineer on the way")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = t.form(&agent, &format!("/incidents/{key}/escalate"), &[("reason", "Board is asking")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = t.page(&agent, &format!("/incidents/{key}")).await;
    assert!(html.contains("Major-incident manager: <strong>morgan@provider.example</strong>"), "{html}");
    assert!(html.contains("Engineer on the way") && html.contains("Escalation level 1"), "{html}");
    assert!(!html.contains("Declare major incident"), "{html}");
    let (_, list) = t.page(&agent, "/incidents?major=true").await;
    assert!(list.contains(&key), "{list}");
}

#[tokio::test]
async fn the_customer_confirms_a_resolution_or_reopens_it_with_a_reason() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let casey = t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let other_customer = t.customer("Contoso").await;
    let dana = t.user("dana@contoso.example", "customer", Some(&other_customer)).await;
    let inc = t.incident(&casey, "Cannot print", None).await;
    let key = inc["ref"].as_str().expect("ref").to_owned();
    let path = format!("/api/v1/incidents/{key}/confirmation");
    let early = problem(t.post(&casey, &path, json!({"fixed": true})).await, StatusCode::CONFLICT).await;
    assert_eq!(early["code"], "incident.not_resolved");
    move_to(&t, &s.agent, &key, json!({"to": "in_progress"})).await;
    move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;

    problem(t.post(&dana, &path, json!({"fixed": true})).await, StatusCode::NOT_FOUND).await;
    // The answer is the customer's: staff close incidents themselves.
    problem(t.post(&s.manager, &path, json!({"fixed": true})).await, StatusCode::FORBIDDEN).await;
    problem(t.post(&t.admin_token, &path, json!({"fixed": true})).await, StatusCode::FORBIDDEN).await;
    let bad =
        problem(t.post(&casey, &path, json!({"fixed": false})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(bad["errors"][0]["field"], "comment");
    let casey_page = t.login("casey@northwind.example", crate::helpers::PASSWORD).await;
    let (_, html) = t.page(&casey_page, &format!("/incidents/{key}")).await;
    assert!(html.contains("Is it fixed?"), "{html}");
    let r = t
        .form(
            &casey_page,
            &format!("/incidents/{key}/confirmation"),
            &[("fixed", "no"), ("comment", "Still jams on page 2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let reopened = ok(t.get(&casey, &format!("/api/v1/incidents/{key}")).await, "read").await;
    assert_eq!(reopened["status"], "in_progress");
    let comments = ok(t.get(&s.agent, &format!("/api/v1/incidents/{key}/comments")).await, "comments").await;
    assert!(comments.to_string().contains("Still jams on page 2"), "{comments}");

    move_to(&t, &s.agent, &key, json!({"to": "resolved", "resolution_code": "fixed"})).await;
    let closed = ok(t.post(&casey, &path, json!({"fixed": true})).await, "confirm").await;
    assert_eq!(closed["status"], "closed");
    let journal = ok(t.get(&s.manager, &format!("/api/v1/incidents/{key}/journal")).await, "journal").await;
    assert!(
        journal.to_string().contains("casey@northwind.example"),
        "the customer's confirmation is journalled"
    );
}
