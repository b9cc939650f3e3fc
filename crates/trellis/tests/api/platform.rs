//! The record platform over HTTP: references, lifecycle, journal, versions, comments,
//! attachments, links, pagination.

use crate::helpers::{TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn incident_is_created_updated_moved_and_journalled() {
    let t = TestApp::spawn().await;
    let tok = &t.admin_token;
    let cust = t.customer("Northwind Health").await;
    let r = t
        .post(
            tok,
            "/api/v1/incidents",
            json!({"title": "VPN drops", "description": "Leeds", "customer_id": cust}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/incidents/INC-000001");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let inc: Value = r.json().await.expect("json");
    assert_eq!(inc["ref"], "INC-000001");
    assert_eq!(inc["kind"], "incident");
    assert_eq!(inc["status"], "new");
    assert_eq!(inc["customer"]["name"], "Northwind Health");
    assert_eq!(inc["allowed_transitions"], json!(["in_progress", "pending", "resolved"]));

    // The same record by UUID.
    let by_id: Value = t
        .get(tok, &format!("/api/v1/incidents/{}", inc["id"].as_str().expect("id")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_id["ref"], "INC-000001");

    let r = t
        .patch(tok, "/api/v1/incidents/INC-000001", Some(1), json!({"title": "VPN drops every 10 minutes"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let r = t.post(tok, "/api/v1/incidents/INC-000001/transitions", json!({"to": "in_progress"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let inc: Value = r.json().await.expect("json");
    assert_eq!((inc["status"].as_str(), inc["version"].as_i64()), (Some("in_progress"), Some(3)));

    let j: Value = t.get(tok, "/api/v1/incidents/INC-000001/journal").await.json().await.expect("json");
    let items = j["items"].as_array().expect("items");
    let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap_or("")).collect();
    assert_eq!(actions, ["created", "updated", "transitioned"]);
    assert_eq!(
        items[1]["changes"],
        json!([{"field": "title", "from": "VPN drops", "to": "VPN drops every 10 minutes"}])
    );
    assert_eq!(items[2]["changes"], json!([{"field": "status", "from": "new", "to": "in_progress"}]));
    assert_eq!(items[2]["channel"], "api");
    assert_eq!(items[2]["actor"]["name"], "Administrator");
    assert_eq!(items.iter().map(|e| e["seq"].as_i64().unwrap_or(0)).collect::<Vec<_>>(), [1, 2, 3]);
}

#[tokio::test]
async fn two_clients_updating_the_same_version_one_wins_the_other_gets_412() {
    let t = TestApp::spawn().await;
    let agent = t.user("agent@test.example", "agent", None).await;
    t.incident(&t.admin_token, "Shared record", None).await;
    let path = "/api/v1/incidents/INC-000001";
    let (a, b) = tokio::join!(
        t.patch(&t.admin_token, path, Some(1), json!({"title": "Admin's title"})),
        t.patch(&agent, path, Some(1), json!({"title": "Agent's title"})),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let (winner, loser) = if a.status() == StatusCode::OK { (a, b) } else { (b, a) };
    let won: Value = winner.json().await.expect("json");
    let lost = problem(loser, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(lost["code"], "record.version_mismatch");
    assert_eq!(lost["current_version"], 2);
    let now: Value = t.get(&t.admin_token, path).await.json().await.expect("json");
    assert_eq!(now["title"], won["title"], "the stored title is the winner's, nothing else");
    assert_eq!(now["version"], 2);
    let j: Value = t.get(&t.admin_token, &format!("{path}/journal")).await.json().await.expect("json");
    assert_eq!(j["items"].as_array().map(Vec::len), Some(2), "exactly one update journalled");
}

#[tokio::test]
async fn update_without_if_match_is_428_and_stale_if_match_is_412() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Needs versions", None).await;
    let p = problem(
        t.patch(&t.admin_token, "/api/v1/incidents/INC-000001", None, json!({"title": "x"})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(p["code"], "request.if_match_required");
    let p = problem(
        t.patch(&t.admin_token, "/api/v1/incidents/INC-000001", Some(7), json!({"title": "x"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(p["code"], "record.version_mismatch");
    let now: Value = t.get(&t.admin_token, "/api/v1/incidents/INC-000001").await.json().await.expect("json");
    assert_eq!((now["title"].as_str(), now["version"].as_i64()), (Some("Needs versions"), Some(1)));
}

#[tokio::test]
async fn illegal_transition_is_409_with_a_stable_code_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let tok = &t.admin_token;
    t.incident(tok, "Lifecycle", None).await;
    for to in ["resolved", "closed"] {
        assert_eq!(
            t.post(
                tok,
                "/api/v1/incidents/INC-000001/transitions",
                json!({"to": to, "resolution_code": "fixed"})
            )
            .await
            .status(),
            StatusCode::OK
        );
    }
    let p = problem(
        t.post(tok, "/api/v1/incidents/INC-000001/transitions", json!({"to": "in_progress"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "incident.invalid_transition");
    let p = problem(
        t.post(tok, "/api/v1/incidents/INC-000001/transitions", json!({"to": "sideways"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "to");
    let now: Value = t.get(tok, "/api/v1/incidents/INC-000001").await.json().await.expect("json");
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("closed"), Some(3)));
    assert_eq!(now["allowed_transitions"], json!([]));
}

#[tokio::test]
async fn references_stay_unique_under_concurrent_creation() {
    let t = TestApp::spawn().await;
    let futs = (0..40)
        .map(|i| t.post(&t.admin_token, "/api/v1/incidents", json!({"title": format!("parallel {i}")})));
    let responses = futures::future::join_all(futs).await;
    let mut refs = Vec::new();
    for r in responses {
        assert_eq!(r.status(), StatusCode::CREATED, "no 'database is locked' under concurrent writes");
        refs.push(r.json::<Value>().await.expect("json")["ref"].as_str().expect("ref").to_owned());
    }
    refs.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("INC-{n:06}")).collect();
    assert_eq!(refs, expected);
}

#[tokio::test]
async fn keyset_pages_cover_every_incident_once() {
    let t = TestApp::spawn().await;
    for i in 0..7 {
        t.incident(&t.admin_token, &format!("Paged {i}"), None).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/incidents?limit=3".to_owned();
    loop {
        let page: Value = t.get(&t.admin_token, &path).await.json().await.expect("json");
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["ref"].as_str().unwrap_or("").to_owned()),
        );
        match page["next"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?limit=3&after={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=7).rev().map(|n| format!("INC-{n:06}")).collect();
    assert_eq!(seen, expected, "newest first, each once");

    let filtered: Value =
        t.get(&t.admin_token, "/api/v1/incidents?q=paged%206&status=new").await.json().await.expect("json");
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));
    let p = problem(
        t.get(&t.admin_token, "/api/v1/incidents?status=bogus").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "status");
}

#[tokio::test]
async fn internal_comments_are_hidden_from_the_customer() {
    let t = TestApp::spawn().await;
    let cust = t.customer("Contoso").await;
    let customer = t.user("carlos@contoso.example", "customer", Some(&cust)).await;
    let inc = t.incident(&customer, "Scanner sync fails", None).await;
    assert_eq!(inc["customer"]["id"], cust.as_str(), "a portal incident belongs to the user's customer");
    let path = "/api/v1/incidents/INC-000001/comments";
    assert_eq!(
        t.post(&t.admin_token, path, json!({"body": "Root cause: expired certificate", "public": false}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        t.post(&t.admin_token, path, json!({"body": "We are on it", "public": true})).await.status(),
        StatusCode::CREATED
    );
    let r = t.post(&customer, path, json!({"body": "Thanks!"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.expect("json")["public"], true);
    let p = problem(
        t.post(&customer, path, json!({"body": "sneaky", "public": false})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(p["code"], "auth.forbidden");

    let theirs: Value = t.get(&customer, path).await.json().await.expect("json");
    let bodies: Vec<&str> =
        theirs["items"].as_array().expect("items").iter().filter_map(|c| c["body"].as_str()).collect();
    assert_eq!(bodies, ["We are on it", "Thanks!"]);
    let staff: Value = t.get(&t.admin_token, path).await.json().await.expect("json");
    assert_eq!(staff["items"].as_array().map(Vec::len), Some(3));
    // Customers do not read the journal (it names internal activity).
    assert_eq!(
        t.get(&customer, "/api/v1/incidents/INC-000001/journal").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn attachments_are_checked_stored_and_journalled() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Needs a log file", None).await;
    let upload = |name: &str, ct: &str, bytes: Vec<u8>| {
        t.client
            .post(t.at(&format!("/api/v1/incidents/INC-000001/attachments?filename={name}")))
            .bearer_auth(&t.admin_token)
            .header("content-type", ct)
            .body(bytes)
            .send()
    };
    let pdf = b"%PDF-1.7\nfake but well-formed header".to_vec();
    let r = upload("report.pdf", "application/pdf", pdf.clone()).await.expect("upload");
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.expect("json");
    assert_eq!(
        (a["filename"].as_str(), a["size_bytes"].as_i64()),
        (Some("report.pdf"), Some(pdf.len() as i64))
    );
    let got = t
        .client
        .get(t.at(a["content_url"].as_str().expect("url")))
        .bearer_auth(&t.admin_token)
        .send()
        .await
        .expect("download");
    assert_eq!(got.headers()["content-disposition"], "attachment; filename=\"report.pdf\"");
    assert_eq!(got.bytes().await.expect("bytes").to_vec(), pdf);

    // An executable claiming to be a PDF, and a type we do not take.
    let p = problem(
        upload("x.pdf", "application/pdf", b"MZ\x90\x00".to_vec()).await.expect("upload"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "content_type");
    problem(
        upload("x.html", "text/html", b"<script>alert(1)</script>".to_vec()).await.expect("upload"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Over the 10 MiB limit.
    let r = upload("big.txt", "text/plain", vec![b'a'; 10 * 1024 * 1024 + 1]).await.expect("upload");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let list: Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000001/attachments").await.json().await.expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "refused files were not stored");
    let j: Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000001/journal").await.json().await.expect("json");
    assert_eq!(j["items"][1]["action"], "attached");
}

#[tokio::test]
async fn typed_links_show_from_both_sides() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Symptom", None).await;
    t.incident(&t.admin_token, "Cause", None).await;
    let path = "/api/v1/incidents/INC-000001/links";
    let r = t.post(&t.admin_token, path, json!({"link_type": "caused_by", "target": "INC-000002"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let p = problem(
        t.post(&t.admin_token, path, json!({"link_type": "caused_by", "target": "INC-000002"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "link.exists");
    let p = problem(
        t.post(&t.admin_token, path, json!({"link_type": "caused_by", "target": "INC-000001"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "target");
    let p = problem(
        t.post(&t.admin_token, path, json!({"link_type": "eats", "target": "INC-000002"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "link_type");

    let from: Value = t.get(&t.admin_token, path).await.json().await.expect("json");
    assert_eq!(from["items"][0]["direction"], "outgoing");
    assert_eq!(from["items"][0]["record"]["ref"], "INC-000002");
    assert_eq!(from["items"][0]["record"]["title"], "Cause");
    let to: Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000002/links").await.json().await.expect("json");
    assert_eq!(to["items"][0]["direction"], "incoming");
    assert_eq!(to["items"][0]["record"]["ref"], "INC-000001");
}
