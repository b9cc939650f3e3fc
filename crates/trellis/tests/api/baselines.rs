//! Configuration baselines compared with today, and the configuration audit (schema failures,
//! unverified CIs, CIs supporting no service), over HTTP and on their pages.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, problem};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

async fn ok(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).expect("json")
}

/// `ref` lists of a section of the audit.
fn refs(v: &Value) -> Vec<String> {
    v.as_array().expect("list").iter().map(|f| f["ref"].as_str().unwrap_or("?").to_owned()).collect()
}

/// A Server type, three servers and a service resting on the first.
async fn estate(t: &TestApp) -> String {
    let a = &t.admin_token;
    let ty = ok(
        t.post(
            a,
            "/api/v1/ci-types",
            json!({"name": "Server", "attributes": [{"key": "os", "label": "OS", "kind": "text"}]}),
        )
        .await,
        "type",
    )
    .await;
    let ty = ty["id"].as_str().expect("id").to_owned();
    for (name, os) in [("db-01", "linux"), ("app-01", "linux"), ("spare-01", "windows")] {
        ok(
            t.post(
                a,
                "/api/v1/cis",
                json!({"name": name, "ci_type_id": ty, "location": "DC1", "attributes": {"os": os}}),
            )
            .await,
            name,
        )
        .await;
    }
    ok(t.post(a, "/api/v1/services", json!({"name": "Payroll", "criticality": "high"})).await, "service")
        .await;
    ok(
        t.post(
            a,
            "/api/v1/services/SVC-000001/links",
            json!({"link_type": "depends_on", "target": "CI-000001"}),
        )
        .await,
        "link",
    )
    .await;
    ty
}

#[tokio::test]
async fn a_baseline_compared_with_today_shows_what_changed_and_what_was_added() {
    let t = TestApp::spawn().await;
    let a = t.admin_token.clone();
    let ty = estate(&t).await;
    let baseline = ok(
        t.post(&a, "/api/v1/baselines", json!({"name": "Before the move", "ci_type_id": ty})).await,
        "baseline",
    )
    .await;
    assert_eq!(baseline["items"], 3);
    let path = format!("/api/v1/baselines/{}/comparison", baseline["id"].as_str().expect("id"));
    let same = body(t.get(&a, &path).await).await;
    assert_eq!((same["unchanged"].as_u64(), same["changed"].as_array().map(Vec::len)), (Some(3), Some(0)));

    // db-01 moves and changes OS; app-01 now depends on db-01; a new server arrives.
    let db = body(t.get(&a, "/api/v1/cis/CI-000001").await).await;
    let r = t
        .patch(
            &a,
            "/api/v1/cis/CI-000001",
            db["version"].as_i64(),
            json!({"location": "DC2", "attributes": {"os": "bsd"}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    ok(
        t.post(&a, "/api/v1/cis/CI-000002/links", json!({"link_type": "depends_on", "target": "CI-000001"}))
            .await,
        "link",
    )
    .await;
    ok(
        t.post(&a, "/api/v1/cis", json!({"name": "web-01", "ci_type_id": ty, "attributes": {}})).await,
        "web-01",
    )
    .await;

    let c = body(t.get(&a, &path).await).await;
    assert_eq!(c["unchanged"], 1, "{c}");
    let changed: Vec<(String, Vec<String>)> = c["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|ch| {
            let fields = ch["differences"]
                .as_array()
                .expect("d")
                .iter()
                .map(|d| d["field"].as_str().unwrap_or("?").to_owned())
                .collect();
            (ch["ref"].as_str().unwrap_or("?").to_owned(), fields)
        })
        .collect();
    assert_eq!(
        changed,
        [
            (
                "CI-000001".to_owned(),
                vec!["attributes.os".to_owned(), "location".to_owned(), "relationships".to_owned()]
            ),
            ("CI-000002".to_owned(), vec!["relationships".to_owned()])
        ]
    );
    let location = &c["changed"][0]["differences"][1];
    assert_eq!((location["then"].as_str(), location["now"].as_str()), (Some("DC1"), Some("DC2")));
    assert_eq!(c["changed"][1]["differences"][0]["now"], json!(["depends_on → CI-000001"]));
    assert_eq!(refs(&c["added"]), ["CI-000004"]);

    // The page says the same.
    let cookie = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) =
        t.page(&cookie, &format!("/baselines/{}", baseline["id"].as_str().expect("id"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("DC1") && html.contains("DC2") && html.contains("CI-000004"), "{html}");

    // Taking one needs configuration rights; a bad type is named.
    let auditor = t.user("audrey@provider.example", "auditor", None).await;
    problem(t.post(&auditor, "/api/v1/baselines", json!({"name": "x"})).await, StatusCode::FORBIDDEN).await;
    let r = t
        .post(
            &a,
            "/api/v1/baselines",
            json!({"name": "x", "ci_type_id": "019a8f3c-0000-7000-8000-000000000099"}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "ci_type_id");
}

#[tokio::test]
async fn the_configuration_audit_finds_schema_failures_unverified_and_orphaned_cis() {
    let t = TestApp::spawn().await;
    let a = t.admin_token.clone();
    let ty = estate(&t).await;
    let audit = body(t.get(&a, "/api/v1/configuration/audit").await).await;
    assert_eq!(audit["checked"], 3);
    assert_eq!(refs(&audit["schema_failures"]), Vec::<String>::new());
    assert_eq!(refs(&audit["unverified"]), Vec::<String>::new(), "new CIs are not yet overdue");
    assert_eq!(refs(&audit["orphaned"]), ["CI-000002", "CI-000003"]);

    // The type gains a required attribute the stored CIs lack; time passes; one CI is verified.
    let current = body(t.get(&a, &format!("/api/v1/ci-types/{ty}")).await).await;
    let r = t
        .client
        .put(t.at(&format!("/api/v1/ci-types/{ty}")))
        .bearer_auth(&a)
        .header("if-match", format!("\"{}\"", current["version"]))
        .json(&json!({"name": "Server", "attributes": [{"key": "os", "label": "OS", "kind": "text"},
            {"key": "rack", "label": "Rack", "kind": "text", "required": true}]}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), StatusCode::OK);
    t.clock.advance(SignedDuration::from_hours(24 * 100));
    ok(t.post(&a, "/api/v1/cis/CI-000003/verifications", json!({})).await, "verify").await;
    ok(
        t.post(&a, "/api/v1/cis/CI-000003/links", json!({"link_type": "depends_on", "target": "CI-000001"}))
            .await,
        "link",
    )
    .await;
    ok(
        t.post(
            &a,
            "/api/v1/services/SVC-000001/links",
            json!({"link_type": "depends_on", "target": "CI-000003"}),
        )
        .await,
        "link",
    )
    .await;

    let audit = body(t.get(&a, "/api/v1/configuration/audit?unverified_days=90").await).await;
    assert_eq!(refs(&audit["schema_failures"]), ["CI-000001", "CI-000002", "CI-000003"]);
    assert!(
        audit["schema_failures"][0]["detail"].as_str().unwrap_or("").contains("attributes.rack: is required"),
        "{audit}"
    );
    assert_eq!(refs(&audit["unverified"]), ["CI-000001", "CI-000002"]);
    assert_eq!(audit["unverified"][0]["detail"], "never verified");
    assert_eq!(refs(&audit["orphaned"]), ["CI-000002"]);
    let r = t.get(&a, "/api/v1/configuration/audit?unverified_days=0").await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "unverified_days");

    let cookie = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = t.page(&cookie, "/configuration/audit?unverified_days=90").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Supporting no service (1)") && html.contains("never verified"), "{html}");
}
