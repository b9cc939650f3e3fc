//! Customer-satisfaction surveys: asked when a portal user's ticket is resolved and in survey
//! rounds, answered once by the person asked, scored per service and customer.

use crate::helpers::{PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

#[tokio::test]
async fn surveys_are_sent_on_resolution_and_in_rounds_and_scored_per_service_and_customer() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso").await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let carlos = t.user("carlos@contoso.example", "customer", Some(&contoso)).await;
    let agent = t.user("avery@provider.example", "agent", None).await;
    let manager = t.user("morgan@provider.example", "manager", None).await;

    // Nina's ticket is resolved: she is asked once, even if it is reopened and resolved again.
    let inc = t.incident(&nina, "Cannot print", None).await;
    let path = format!("/api/v1/incidents/{}/transitions", inc["ref"].as_str().expect("ref"));
    for to in ["resolved", "in_progress", "resolved"] {
        assert_eq!(
            t.post(&agent, &path, json!({"to": to, "resolution_code": "fixed"})).await.status(),
            StatusCode::OK,
            "{to}"
        );
    }
    // A ticket an agent logged for a customer asks no one (there is no portal user to ask).
    let logged = t.incident(&agent, "Printer jam", Some(&north)).await;
    let p2 = format!("/api/v1/incidents/{}/transitions", logged["ref"].as_str().expect("ref"));
    assert_eq!(
        t.post(&agent, &p2, json!({"to": "resolved", "resolution_code": "fixed"})).await.status(),
        StatusCode::OK
    );
    let mine = body(t.get(&nina, "/api/v1/surveys?open=true").await).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine["items"][0]["reason"], "ticket_resolved");
    assert_eq!(mine["items"][0]["ref"], inc["ref"]);
    let survey = mine["items"][0]["id"].as_str().expect("id").to_owned();

    // Only Nina answers it, once, with a score from 1 to 5.
    let answer = format!("/api/v1/surveys/{survey}/answer");
    problem(t.post(&carlos, &answer, json!({"score": 1})).await, StatusCode::NOT_FOUND).await;
    assert_eq!(body(t.get(&carlos, "/api/v1/surveys").await).await["items"], json!([]));
    let r = t.post(&nina, &answer, json!({"score": 6})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "score");
    let r = t.post(&nina, &answer, json!({"score": 4, "comment": "Quick and friendly"})).await;
    assert_eq!(body(r).await["score"], 4);
    assert_eq!(
        problem(t.post(&nina, &answer, json!({"score": 5})).await, StatusCode::CONFLICT).await["code"],
        "survey.answered"
    );

    // A round about a service goes to the customer's portal users.
    let svc = body(
        t.post(
            &manager,
            "/api/v1/services",
            json!({"name": "Managed e-mail", "criticality": "high", "customer_ids": [north]}),
        )
        .await,
    )
    .await;
    let svc_id = svc["id"].as_str().expect("id").to_owned();
    let r = t.post(&manager, "/api/v1/surveys", json!({"customer_id": contoso, "service_id": svc_id})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "service_id");
    problem(t.post(&agent, "/api/v1/surveys", json!({"customer_id": north})).await, StatusCode::FORBIDDEN)
        .await;
    let r = t.post(&manager, "/api/v1/surveys", json!({"customer_id": north, "service_id": svc_id})).await;
    assert_eq!(body(r).await["sent"], 1);
    let open = body(t.get(&nina, "/api/v1/surveys?open=true").await).await;
    let round = open["items"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(open["items"][0]["service"]["name"], "Managed e-mail");
    t.post(&nina, &format!("/api/v1/surveys/{round}/answer"), json!({"score": 2})).await;

    let scores = body(t.get(&manager, "/api/v1/surveys/scores").await).await;
    let service = scores["by_service"]
        .as_array()
        .expect("by service")
        .iter()
        .find(|r| r["name"] == "Managed e-mail")
        .cloned();
    assert_eq!(service.map(|s| (s["sent"].clone(), s["average"].clone())), Some((json!(1), json!(2.0))));
    let customer = &scores["by_customer"][0];
    assert_eq!(
        (customer["name"].as_str(), customer["sent"].as_i64(), customer["average"].as_f64()),
        (Some("Northwind Health"), Some(2), Some(3.0))
    );
    problem(t.get(&nina, "/api/v1/surveys/scores").await, StatusCode::FORBIDDEN).await;

    // The portal page offers what is still open; the staff page shows the scores.
    let cookie = t.login("nina@northwind.example", PASSWORD).await;
    let (_, html) = t.page(&cookie, "/surveys").await;
    assert!(html.contains("No surveys are waiting for you"), "{html}");
    let r = t.post(&manager, "/api/v1/surveys", json!({"customer_id": north})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, html) = t.page(&cookie, "/surveys").await;
    assert!(html.contains("Our service overall"), "{html}");
    let open = body(t.get(&nina, "/api/v1/surveys?open=true").await).await;
    let id = open["items"][0]["id"].as_str().expect("id").to_owned();
    let r = t.form(&cookie, &format!("/surveys/{id}/answer"), &[("score", "5"), ("comment", "Great")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mgr = t.login("morgan@provider.example", PASSWORD).await;
    let (_, html) = t.page(&mgr, "/surveys").await;
    assert!(html.contains("Per customer") && html.contains("Great"), "{html}");
}

#[tokio::test]
async fn a_customer_is_given_a_relationship_manager() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let me = body(t.get(&manager, "/api/v1/me").await).await;
    let her = body(t.get(&nina, "/api/v1/me").await).await;
    let path = format!("/api/v1/customers/{north}");
    problem(
        t.patch(&manager, &path, None, json!({"relationship_manager_id": me["id"]})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    let r = t.patch(&manager, &path, Some(1), json!({"relationship_manager_id": her["id"]})).await;
    assert_eq!(
        problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"],
        "relationship_manager_id"
    );
    let r = t.patch(&manager, &path, Some(1), json!({"relationship_manager_id": me["id"]})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = body(r).await;
    assert_eq!((c["relationship_manager_id"].clone(), c["version"].clone()), (me["id"].clone(), json!(2)));
    problem(
        t.patch(&nina, &path, Some(2), json!({"relationship_manager_id": null})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // From the administration page: cleared again.
    let cookie = t.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    let r = t
        .form(
            &cookie,
            &format!("/admin/customers/{north}/relationship-manager"),
            &[("relationship_manager_id", ""), ("version", "2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(body(t.get(&manager, &path).await).await["relationship_manager_id"].is_null());
}

#[tokio::test]
async fn periodic_rounds_go_out_when_due_and_once() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let r = t
        .client
        .put(t.at("/api/v1/surveys/schedules"))
        .bearer_auth(&manager)
        .json(&json!({"customer_id": north, "every_days": 3}))
        .send()
        .await
        .expect("put");
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "every_days");
    let r = t
        .client
        .put(t.at("/api/v1/surveys/schedules"))
        .bearer_auth(&manager)
        .json(&json!({"customer_id": north, "every_days": 90}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let schedules = body(t.get(&manager, "/api/v1/surveys/schedules").await).await;
    assert_eq!(schedules["items"][0]["every_days"], 90);

    // Due at once; sending again straight away sends nothing; 90 days on, the next round.
    assert_eq!(trellis_app::survey::send_due_rounds(&t.app).await.expect("send"), 1);
    assert_eq!(trellis_app::survey::send_due_rounds(&t.app).await.expect("send"), 0);
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 89));
    assert_eq!(trellis_app::survey::send_due_rounds(&t.app).await.expect("send"), 0);
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 2));
    assert_eq!(trellis_app::survey::send_due_rounds(&t.app).await.expect("send"), 1);
    let mine = body(t.get(&nina, "/api/v1/surveys").await).await;
    let reasons: Vec<&str> =
        mine["items"].as_array().expect("items").iter().filter_map(|s| s["reason"].as_str()).collect();
    assert_eq!(reasons, ["periodic", "periodic"]);

    // Stopped, nothing more goes out.
    let r = t
        .client
        .put(t.at("/api/v1/surveys/schedules"))
        .bearer_auth(&manager)
        .json(&json!({"customer_id": north, "every_days": null}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    t.clock.advance(jiff::SignedDuration::from_hours(24 * 200));
    assert_eq!(trellis_app::survey::send_due_rounds(&t.app).await.expect("send"), 0);
}
