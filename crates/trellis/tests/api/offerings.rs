//! Request offerings: a versioned definition (form, approval, target) per catalogue item,
//! drafts hidden from the portal, versions kept as they were.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

#[tokio::test]
async fn an_offering_is_versioned_as_one_unit_and_customers_see_it_once_published() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let portal = t.user("pat@northwind.example", "customer", Some(&north)).await;
    let r = t
        .post(
            &manager,
            "/api/v1/services",
            json!({"name": "Workplace", "criticality": "medium", "customer_ids": [north]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cal = body(
        t.post(
            &manager,
            "/api/v1/calendars",
            json!({"name": "Office", "time_zone": "UTC",
        "week": {"monday": [{"start": "09:00", "end": "17:00"}]}}),
        )
        .await,
    )
    .await;
    let cal = cal["id"].as_str().expect("id").to_owned();

    // A target without a calendar, or a field with a bad key, is refused and makes nothing.
    let r = t
        .post(
            &manager,
            "/api/v1/services/SVC-000001/offerings",
            json!({"name": "New laptop", "approval": "any_of", "approvers": [{"type": "managers"}],
        "fulfilment_minutes": 2400, "form": [{"key": "Model", "label": "Model", "kind": "text"}]}),
        )
        .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["form[0].key", "calendar_id"]);

    let r = t.post(&manager, "/api/v1/services/SVC-000001/offerings", json!({"name": "New laptop", "approval": "any_of",
        "approvers": [{"type": "managers"}], "fulfilment_minutes": 2400, "calendar_id": cal,
        "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch", "16 inch"]}]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let o = body(r).await;
    assert_eq!(o["status"], "draft");
    let path = format!("/api/v1/offerings/{}", o["id"].as_str().expect("id"));
    // The portal does not show drafts.
    assert_eq!(body(t.get(&portal, "/api/v1/services/SVC-000001/offerings").await).await["items"], json!([]));
    problem(t.get(&portal, &path).await, StatusCode::NOT_FOUND).await;

    let r = t.post(&manager, &format!("{path}/transitions"), json!({"to": "published"})).await;
    assert_eq!(body(r).await["status"], "published");
    let seen = body(t.get(&portal, "/api/v1/services/SVC-000001/offerings").await).await;
    assert_eq!(seen["items"][0]["current"]["form"][0]["choices"], json!(["14 inch", "16 inch"]));
    assert_eq!(seen["items"][0]["versions"], json!([]), "customers see the current definition only");

    // An edit is a new version; the old one is kept as it was.
    let r = t
        .client
        .put(t.at(&path))
        .bearer_auth(&manager)
        .header("if-match", "\"2\"")
        .json(&json!({"name": "New laptop", "approval": "none", "fulfilment_minutes": 960, "calendar_id": cal,
            "form": [{"key": "model", "label": "Model", "kind": "choice", "required": true, "choices": ["14 inch"]},
                     {"key": "needed_by", "label": "Needed by", "kind": "date"}]}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    let o = body(t.get(&manager, &path).await).await;
    assert_eq!(o["current"]["version"], 2);
    assert_eq!(o["versions"][0]["approval"], "any_of");
    assert_eq!(o["versions"][0]["approvers"], json!([{"type": "managers"}]));
    assert_eq!(o["versions"][1]["approvers"], json!([]));
    assert_eq!(o["versions"][0]["form"].as_array().map(Vec::len), Some(1));
    assert_eq!(o["versions"][1]["fulfilment_minutes"], 960);

    // Customers and agents cannot change offerings; a draft cannot come back from published.
    let r = t.post(&portal, &format!("{path}/transitions"), json!({"to": "retired"})).await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = t.post(&manager, &format!("{path}/transitions"), json!({"to": "draft"})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "offering.invalid_transition");
    let journal = body(t.get(&manager, "/api/v1/services/SVC-000001/journal").await).await;
    let offering_entries = journal["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["changes"][0]["field"] == "offering")
        .count();
    assert_eq!(offering_entries, 3, "created, published and redefined are journalled on the service");

    // The service page lists it for the customer.
    let cookie = t.login("pat@northwind.example", crate::helpers::PASSWORD).await;
    let (status, html) = t.page(&cookie, "/services/SVC-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("New laptop") && html.contains("16 h"), "{html}");
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = t.page(&admin, &format!("/offerings/{}", o["id"].as_str().expect("id"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Needed by") && html.contains("Version 1"), "{html}");
}
