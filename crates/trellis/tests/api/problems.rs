//! Problems and known errors over HTTP: raised from an incident (linked in one step) or
//! proactively from recurring incidents on a CI, known errors need their cause and workaround and
//! are offered while logging, resolution needs its fix, and problems without a root cause are
//! flagged after the policy's days.

use crate::helpers::{TestApp, problem};
use crate::sla::{ok, setting};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn patch(t: &TestApp, token: &str, key: &str, body: Value) -> reqwest::Response {
    let cur = ok(t.get(token, &format!("/api/v1/problems/{key}")).await, "read").await;
    t.patch(token, &format!("/api/v1/problems/{key}"), cur["version"].as_i64(), body).await
}

async fn move_problem(t: &TestApp, token: &str, key: &str, to: &str) -> reqwest::Response {
    t.post(token, &format!("/api/v1/problems/{key}/transitions"), json!({"to": to})).await
}

/// A CI of a type with no attributes; returns its id.
async fn ci(t: &TestApp, ci_type: &str, name: &str) -> String {
    let body = json!({"name": name, "ci_type_id": ci_type, "attributes": {}});
    ok(t.post(&t.admin_token, "/api/v1/cis", body).await, "ci").await["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_problem_raised_from_an_incident_becomes_a_known_error_offered_to_agents_and_is_resolved() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let casey = t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let inc = ok(
        t.post(
            &s.agent,
            "/api/v1/incidents",
            json!({"title": "Mail relay drops TLS sessions", "customer_id": s.customer,
            "service_id": s.service, "impact": "medium", "urgency": "high", "team_id": s.network}),
        )
        .await,
        "incident",
    )
    .await;
    let inc_ref = inc["ref"].as_str().expect("ref").to_owned();

    // Customers never see problems.
    problem(
        t.post(&casey, &format!("/api/v1/incidents/{inc_ref}/problem"), json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let r = t.post(&s.agent, &format!("/api/v1/incidents/{inc_ref}/problem"), json!({})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let prb: Value = r.json().await.expect("json");
    let key = prb["ref"].as_str().expect("ref").to_owned();
    assert!(key.starts_with("PRB-"));
    assert_eq!(prb["title"], "Mail relay drops TLS sessions");
    assert_eq!(prb["priority"], "p2");
    assert_eq!(prb["service"]["title"], "Managed e-mail");
    assert_eq!(prb["incident_count"], 1);
    let links = ok(t.get(&s.agent, &format!("/api/v1/incidents/{inc_ref}/links")).await, "links").await;
    assert_eq!(links["items"][0]["link_type"], "caused_by", "{links}");
    assert_eq!(links["items"][0]["record"]["ref"], key.as_str(), "{links}");
    problem(t.get(&casey, &format!("/api/v1/problems/{key}")).await, StatusCode::FORBIDDEN).await;
    // The customer's view of the incident does not show the link to the provider's problem.
    let seen = ok(t.get(&casey, &format!("/api/v1/incidents/{inc_ref}/links")).await, "customer links").await;
    assert_eq!(seen["items"], json!([]));

    // A known error needs its root cause and its workaround.
    assert_eq!(move_problem(&t, &s.agent, &key, "investigating").await.status(), StatusCode::OK);
    let early =
        problem(move_problem(&t, &s.agent, &key, "known_error").await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(early["errors"][0]["field"], "root_cause");
    let r = patch(&t, &s.agent, &key, json!({"root_cause": "TLS session cache too small for Monday peaks"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let early =
        problem(move_problem(&t, &s.agent, &key, "known_error").await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(early["errors"][0]["field"], "workaround");
    patch(&t, &s.agent, &key, json!({"workaround": "Restart the relay service; it holds for a day"})).await;
    let known = ok(move_problem(&t, &s.agent, &key, "known_error").await, "known error").await;
    assert_eq!(known["status"], "known_error");
    assert!(known["root_cause_at"].is_string());
    // A known error keeps the workaround agents are offered.
    let cleared =
        problem(patch(&t, &s.agent, &key, json!({"workaround": ""})).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(cleared["errors"][0]["field"], "workaround");

    // Offered while logging a new incident on the same service, or by words of its title.
    let offered =
        ok(t.get(&s.agent, &format!("/api/v1/known-errors?service={}", s.service)).await, "offered").await;
    assert_eq!(offered["items"][0]["ref"], key.as_str());
    assert_eq!(offered["items"][0]["workaround"], "Restart the relay service; it holds for a day");
    let by_words = ok(t.get(&s.agent, "/api/v1/known-errors?q=relay").await, "by words").await;
    assert_eq!(by_words["items"].as_array().expect("items").len(), 1);
    let none = ok(t.get(&s.agent, "/api/v1/known-errors?q=printer").await, "none").await;
    assert_eq!(none["items"], json!([]));
    problem(t.get(&casey, "/api/v1/known-errors?q=relay").await, StatusCode::FORBIDDEN).await;

    // Resolved through a change: the resolution must say how.
    let early =
        problem(move_problem(&t, &s.agent, &key, "resolved").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(early["errors"][0]["field"], "resolution");
    patch(&t, &s.agent, &key, json!({"resolution": "Cache enlarged by change CHG-000004"})).await;
    let resolved = ok(move_problem(&t, &s.agent, &key, "resolved").await, "resolved").await;
    assert_eq!(resolved["allowed_transitions"], json!(["investigating", "closed"]));
    let offered =
        ok(t.get(&s.agent, &format!("/api/v1/known-errors?service={}", s.service)).await, "offered").await;
    assert_eq!(offered["items"], json!([]), "a resolved problem is no longer offered");
    let illegal = problem(move_problem(&t, &s.agent, &key, "new").await, StatusCode::CONFLICT).await;
    assert_eq!(illegal["code"], "problem.invalid_transition");
}

#[tokio::test]
async fn recurring_incidents_on_a_ci_suggest_a_problem_and_one_without_a_root_cause_is_flagged() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let server = ok(
        t.post(&t.admin_token, "/api/v1/ci-types", json!({"name": "Server", "attributes": []})).await,
        "type",
    )
    .await;
    let server = server["id"].as_str().expect("id");
    let relay = ci(&t, server, "mail-relay-01").await;
    let printer = ci(&t, server, "printer-leeds").await;
    for n in 0..3 {
        ok(
            t.post(
                &s.agent,
                "/api/v1/incidents",
                json!({"title": format!("Relay timeout {n}"), "ci_id": relay}),
            )
            .await,
            "incident",
        )
        .await;
    }
    ok(
        t.post(&s.agent, "/api/v1/incidents", json!({"title": "Paper jam", "ci_id": printer})).await,
        "incident",
    )
    .await;
    let found =
        ok(t.get(&s.agent, "/api/v1/problems/candidates?days=7&at_least=3").await, "candidates").await;
    let items = found["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!((items[0]["ci_id"].as_str(), items[0]["incidents"].as_i64()), (Some(relay.as_str()), Some(3)));
    let bad = problem(
        t.get(&s.agent, "/api/v1/problems/candidates?at_least=1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "at_least");

    // Raised proactively; the CI no longer shows as a candidate.
    let r = t
        .post(
            &s.manager,
            "/api/v1/problems",
            json!({"title": "Relay times out under load", "ci_id": relay, "priority": "p2"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let prb: Value = r.json().await.expect("json");
    let key = prb["ref"].as_str().expect("ref").to_owned();
    assert_eq!(prb["rca_overdue"], false);
    let found =
        ok(t.get(&s.agent, "/api/v1/problems/candidates?days=7&at_least=3").await, "candidates").await;
    assert_eq!(found["items"], json!([]));
    let bad = problem(
        t.post(&s.manager, "/api/v1/problems", json!({"title": " ", "priority": "p9"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> =
        bad["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("f")).collect();
    assert_eq!(fields, ["priority", "title"]);

    // One raised by mistake closes at once, saying why.
    let dup =
        ok(t.post(&s.agent, "/api/v1/problems", json!({"title": "Relay slow (duplicate)"})).await, "dup")
            .await;
    let dup = dup["ref"].as_str().expect("ref").to_owned();
    let why =
        problem(move_problem(&t, &s.agent, &dup, "closed").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(why["errors"][0]["field"], "resolution");
    patch(&t, &s.agent, &dup, json!({"resolution": format!("Duplicate of {key}")})).await;
    assert_eq!(ok(move_problem(&t, &s.agent, &dup, "closed").await, "close").await["status"], "closed");

    // 31 days on, still without a root cause: flagged (the default is 30 days) ...
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 31));
    let p = ok(t.get(&s.agent, &format!("/api/v1/problems/{key}")).await, "problem").await;
    assert_eq!(p["rca_overdue"], true);
    let overdue = ok(t.get(&s.agent, "/api/v1/problems?rca_overdue=true").await, "overdue").await;
    assert_eq!(overdue["items"][0]["ref"], key.as_str());
    // ... until the administrator allows 60 days, or a root cause is recorded.
    let policy = t.get(&t.admin_token, "/api/v1/settings/incident-policy").await;
    let etag = policy.headers()["etag"].to_str().expect("etag").to_owned();
    let mut body: Value = policy.json().await.expect("json");
    assert_eq!(body["problem_rca_days"], 30);
    body["problem_rca_days"] = json!(60);
    let r = t
        .client
        .put(t.at("/api/v1/settings/incident-policy"))
        .bearer_auth(&t.admin_token)
        .header("if-match", etag)
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let overdue = ok(t.get(&s.agent, "/api/v1/problems?rca_overdue=true").await, "overdue").await;
    assert_eq!(overdue["items"], json!([]));
    body["problem_rca_days"] = json!(10);
    let r = t
        .client
        .put(t.at("/api/v1/settings/incident-policy"))
        .bearer_auth(&t.admin_token)
        .header("if-match", "\"1\"")
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    patch(&t, &s.agent, &key, json!({"root_cause": "Connection pool exhausted"})).await;
    let overdue = ok(t.get(&s.agent, "/api/v1/problems?rca_overdue=true").await, "overdue").await;
    assert_eq!(overdue["items"], json!([]));
}

#[tokio::test]
async fn pages_raise_a_problem_from_an_incident_and_offer_known_errors_while_logging() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let inc = t.incident(&s.agent, "VPN drops every 10 minutes", Some(&s.customer)).await;
    let inc_ref = inc["ref"].as_str().expect("ref").to_owned();
    let agent = t.login("alex@provider.example", crate::helpers::PASSWORD).await;
    let (_, html) = t.page(&agent, &format!("/incidents/{inc_ref}")).await;
    assert!(html.contains("Raise a problem from this incident"), "{html}");
    let r = t.form(&agent, &format!("/incidents/{inc_ref}/problem"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().expect("location").to_owned();
    assert!(to.starts_with("/problems/PRB-"), "{to}");
    let key = to.trim_start_matches("/problems/").to_owned();
    let (_, html) = t.page(&agent, &to).await;
    assert!(html.contains("VPN drops every 10 minutes") && html.contains(&inc_ref), "{html}");

    // Declaring a known error from the page without a workaround shows why.
    t.form(&agent, &format!("/problems/{key}/transitions"), &[("to", "investigating")]).await;
    let r = t.form(&agent, &format!("/problems/{key}/transitions"), &[("to", "known_error")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("root_cause: record the root cause"));
    patch(
        &t,
        &s.agent,
        &key,
        json!({"root_cause": "Keep-alive too long", "workaround": "Reconnect with split tunnelling off"}),
    )
    .await;
    assert_eq!(move_problem(&t, &s.agent, &key, "known_error").await.status(), StatusCode::OK);

    // The incident form asks for known errors as the title is typed.
    let (_, fragment) = t.page(&agent, "/known-errors?service_id=&title=VPN+drops").await;
    assert!(
        fragment.contains(&key) && fragment.contains("Reconnect with split tunnelling off"),
        "{fragment}"
    );
    let (_, list) = t.page(&agent, "/problems?status=known_error").await;
    assert!(list.contains(&key), "{list}");
    t.user("casey@northwind.example", "customer", Some(&s.customer)).await;
    let casey = t.login("casey@northwind.example", crate::helpers::PASSWORD).await;
    let (_, fragment) = t.page(&casey, "/known-errors?title=VPN+drops").await;
    assert!(!fragment.contains(&key), "customers are not offered the provider's known errors");
    let (status, _) = t.page(&casey, "/problems").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
