//! Operations endpoints, headers, and the OpenAPI document.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let t = TestApp::spawn().await;
    let r = t.client.get(t.at("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status(), StatusCode::OK);
    let r = t.client.get(t.at("/readyz")).send().await.expect("readyz");
    assert_eq!((r.status(), r.text().await.expect("body")), (StatusCode::OK, "ready\n".to_owned()));
    t.get(&t.admin_token, "/api/v1/incidents").await;
    let body = t.client.get(t.at("/metrics")).send().await.expect("metrics").text().await.expect("body");
    assert!(body.contains("trellis_http_requests_total"), "{body}");
    assert!(body.contains("route=\"/api/v1/incidents\""), "labelled by route template");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let t = TestApp::spawn().await;
    t.app.db.close().await;
    let r = t.client.get(t.at("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(t.client.get(t.at("/healthz")).send().await.expect("healthz").status(), StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let t = TestApp::spawn().await;
    let r = t.client.get(t.at("/login")).send().await.expect("login page");
    let h = r.headers();
    assert!(uuid::Uuid::parse_str(h["x-request-id"].to_str().expect("ascii")).is_ok());
    let csp = h["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    // A request id sent by a proxy is kept.
    let r = t.client.get(t.at("/healthz")).header("x-request-id", "abc-123").send().await.expect("healthz");
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn assets_are_embedded() {
    let t = TestApp::spawn().await;
    for (path, ct) in
        [("/assets/style.css", "text/css"), ("/assets/vendor/htmx-2.0.11/htmx.min.js", "text/javascript")]
    {
        let r = t.client.get(t.at(path)).send().await.expect("asset");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with(ct), "{path}");
    }
    assert_eq!(
        t.client.get(t.at("/assets/nope.js")).send().await.expect("asset").status(),
        StatusCode::NOT_FOUND
    );
}

/// The OpenAPI document is a reviewed snapshot: any API change shows up in the diff.
#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let t = TestApp::spawn().await;
    let r = t.client.get(t.at("/api/v1/openapi.json")).send().await.expect("openapi");
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.expect("json");
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3.1"), "OpenAPI 3.1");
    insta::assert_json_snapshot!("openapi", doc);
    let docs = t.client.get(t.at("/api/v1/docs/")).send().await.expect("docs");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.expect("body").contains("swagger"));
}

/// Every operation in the document exists on the server and asks for authentication — so the
/// document and the router cannot drift apart.
#[tokio::test]
async fn every_documented_operation_is_served() {
    let t = TestApp::spawn().await;
    let doc: Value =
        t.client.get(t.at("/api/v1/openapi.json")).send().await.expect("openapi").json().await.expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        let concrete =
            path.replace("{key}", "INC-000001").replace("{id}", "0195f000-0000-7000-8000-000000000000");
        for method in ["get", "post", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = t.client.request(m, t.at(&concrete)).send().await.expect("request");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
    assert!(operations >= 25, "only {operations} operations documented");
}
