//! Bad input gets a 4xx problem+json with a stable code, and changes nothing.

use crate::helpers::{TestApp, incident_count, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn raw(t: &TestApp, method: reqwest::Method, path: &str, ct: &str, body: Vec<u8>) -> reqwest::Response {
    t.client
        .request(method, t.at(path))
        .bearer_auth(&t.admin_token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn malformed_unknown_mistyped_and_oversized_bodies_are_refused() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Existing", None).await;
    let json_ct = "application/json";
    let cases: Vec<(&str, Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"title\": ".to_vec(),
            json_ct,
            StatusCode::BAD_REQUEST,
            "request.malformed_json",
        ),
        (
            "unknown field",
            br#"{"title": "x", "priority": 1}"#.to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "wrong type",
            br#"{"title": 42}"#.to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "missing field",
            br#"{"description": "no title"}"#.to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "bad uuid",
            br#"{"title": "x", "customer_id": "nope"}"#.to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "not JSON at all",
            b"title=x".to_vec(),
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
        ),
        (
            "empty title",
            br#"{"title": "   "}"#.to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "control characters",
            b"{\"title\": \"a\\u0007b\"}".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
        (
            "unknown customer",
            format!(r#"{{"title": "x", "customer_id": "{}"}}"#, uuid::Uuid::now_v7()).into_bytes(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation.failed",
        ),
    ];
    for (what, body, ct, status, code) in cases {
        let p = problem(raw(&t, reqwest::Method::POST, "/api/v1/incidents", ct, body).await, status).await;
        assert_eq!(p["code"], code, "{what}");
    }
    // A 10 MB string, and a body over the limit for JSON.
    let big = format!(r#"{{"title": "x", "description": "{}"}}"#, "a".repeat(10 * 1024 * 1024));
    let p = problem(
        raw(&t, reqwest::Method::POST, "/api/v1/incidents", json_ct, big.into_bytes()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(p["code"], "request.too_large");
    // Just under the JSON limit but over the field limit: a validation error on the field.
    let long = json!({"title": "x", "description": "b".repeat(30_000)});
    let p =
        problem(t.post(&t.admin_token, "/api/v1/incidents", long).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(p["errors"][0]["field"], "description");
    let p = problem(
        t.post(&t.admin_token, "/api/v1/incidents", json!({"title": "t".repeat(201)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "title");

    // Updates: the same rules, and the record is untouched.
    let p = problem(
        t.patch(&t.admin_token, "/api/v1/incidents/INC-000001", Some(1), json!({"title": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "title");
    let p = problem(
        t.patch(&t.admin_token, "/api/v1/incidents/INC-000001", Some(1), json!({"status": "closed"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(p["detail"].as_str().unwrap_or("").contains("status"), "names the unknown field: {p}");
    let r = t
        .client
        .patch(t.at("/api/v1/incidents/INC-000001"))
        .bearer_auth(&t.admin_token)
        .header("if-match", "banana")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(problem(r, StatusCode::BAD_REQUEST).await["code"], "request.bad_if_match");

    assert_eq!(incident_count(&t).await, 1);
    let now: Value = t.get(&t.admin_token, "/api/v1/incidents/INC-000001").await.json().await.expect("json");
    assert_eq!((now["title"].as_str(), now["version"].as_i64()), (Some("Existing"), Some(1)));
    let j: Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000001/journal").await.json().await.expect("json");
    assert_eq!(j["items"].as_array().map(Vec::len), Some(1), "no journal entry for refused requests");
}

#[tokio::test]
async fn bad_query_parameters_and_unknown_routes_are_problems() {
    let t = TestApp::spawn().await;
    for (path, status) in [
        ("/api/v1/incidents?limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/incidents?limit=abc", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/incidents?after=garbage", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/incidents?sort=title", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/incidents?colour=red", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/incidents/not-a-ref", StatusCode::NOT_FOUND),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        problem(t.get(&t.admin_token, path).await, status).await;
    }
}

#[tokio::test]
async fn cross_site_writes_are_refused_by_the_csrf_check() {
    let t = TestApp::spawn().await;
    let cookie = t.login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD).await;
    let r = t
        .client
        .post(t.at("/incidents"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("title", "planted")])
        .send()
        .await
        .expect("post");
    assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "request.cross_origin");
    assert_eq!(incident_count(&t).await, 0);
}
