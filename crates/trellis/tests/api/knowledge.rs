//! Knowledge articles (7.6) and full-text search: a reviewed-then-published lifecycle with
//! review dates, customers reading published public articles of services they receive, and
//! search across records and articles, ranked, highlighted and scoped like the records.

use crate::helpers::{PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ok(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert!(status.is_success(), "{what}: {status} {body}");
    body
}

struct Setup {
    manager: String,
    agent: String,
    north_portal: String,
    south_portal: String,
    north: String,
    service: String,
}

async fn setup(t: &TestApp) -> Setup {
    let north = t.customer("Northwind Health").await;
    let south = t.customer("Southwind Travel").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let north_portal = t.user("pat@northwind.example", "customer", Some(&north)).await;
    let south_portal = t.user("sol@southwind.example", "customer", Some(&south)).await;
    let body = json!({"name": "Printing", "criticality": "low", "customer_ids": [north]});
    let service = ok(t.post(&manager, "/api/v1/services", body).await, "service").await;
    let service = service["id"].as_str().expect("id").to_owned();
    Setup { manager, agent, north_portal, south_portal, north, service }
}

async fn move_to(t: &TestApp, token: &str, key: &str, to: &str) -> reqwest::Response {
    t.post(token, &format!("/api/v1/articles/{key}/transitions"), json!({"to": to})).await
}

#[tokio::test]
async fn an_article_is_reviewed_by_someone_else_published_and_reviewed_again_when_due() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let r = t.post(&s.agent, "/api/v1/articles", json!({"title": " ", "body": ""})).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["title", "body"]);
    problem(
        t.post(&s.north_portal, "/api/v1/articles", json!({"title": "x", "body": "y"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;

    let body = json!({"title": "The printer says paper jam but there is none",
        "body": "Open tray 2 and lift the green lever; a torn label is usually stuck behind it.",
        "audience": "public", "service_id": s.service});
    let r = t.post(&s.agent, "/api/v1/articles", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a = ok(r, "create").await;
    assert_eq!((a["ref"].as_str(), a["status"].as_str()), (Some("KB-000001"), Some("draft")));
    // Drafts are not on the portal.
    problem(t.get(&s.north_portal, "/api/v1/articles/KB-000001").await, StatusCode::NOT_FOUND).await;

    let p = problem(move_to(&t, &s.agent, "KB-000001", "reviewed").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "article.self_review");
    let a = ok(move_to(&t, &s.manager, "KB-000001", "reviewed").await, "review").await;
    assert_eq!(a["reviewed_by"]["name"], "morgan@provider.example");
    let r = t
        .patch(&s.agent, "/api/v1/articles/KB-000001", Some(2), json!({"body": "Changed after review"}))
        .await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "article.not_draft");
    let p = problem(move_to(&t, &s.agent, "KB-000001", "retired").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "article.invalid_transition");
    let a = ok(move_to(&t, &s.agent, "KB-000001", "published").await, "publish").await;
    let year_on = t.clock_date_plus_days(365);
    assert_eq!(a["review_due_on"], year_on);

    // The customer who receives the service reads it; another customer does not.
    let seen = ok(t.get(&s.north_portal, "/api/v1/articles/KB-000001").await, "north").await;
    assert_eq!(seen["allowed_transitions"], json!([]));
    problem(t.get(&s.south_portal, "/api/v1/articles/KB-000001").await, StatusCode::NOT_FOUND).await;
    let list = ok(t.get(&s.south_portal, "/api/v1/articles").await, "south list").await;
    assert_eq!(list["items"], json!([]));
    let list = ok(t.get(&s.north_portal, "/api/v1/articles").await, "north list").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    // Review dates: one that has come is listed until someone confirms the article.
    let r = t
        .patch(&s.agent, "/api/v1/articles/KB-000001", Some(3), json!({"review_due_on": "2020-01-31"}))
        .await;
    assert_eq!(ok(r, "due").await["review_due_on"], "2020-01-31");
    let due = ok(t.get(&s.agent, "/api/v1/articles?review_overdue=true").await, "due").await;
    assert_eq!(due["items"][0]["ref"], "KB-000001");
    let r = t.post(&s.manager, "/api/v1/articles/KB-000001/review-confirmations", json!({})).await;
    assert_eq!(ok(r, "confirm").await["review_due_on"], year_on);
    let due = ok(t.get(&s.agent, "/api/v1/articles?review_overdue=true").await, "due").await;
    assert_eq!(due["items"], json!([]));

    // Revising takes it off the portal until it is published again.
    ok(move_to(&t, &s.agent, "KB-000001", "draft").await, "revise").await;
    problem(t.get(&s.north_portal, "/api/v1/articles/KB-000001").await, StatusCode::NOT_FOUND).await;
    let r =
        t.patch(&s.agent, "/api/v1/articles/KB-000001", Some(6), json!({"known_error_id": s.north})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "known_error_id");
    // Whoever rewrote the text does not review it either.
    let body = json!({"body": "Lift the green lever.\r\nThen retry."});
    let r = t.patch(&s.manager, "/api/v1/articles/KB-000001", Some(6), body).await;
    assert_eq!(ok(r, "rewrite").await["body"], "Lift the green lever.\nThen retry.");
    let p = problem(move_to(&t, &s.manager, "KB-000001", "reviewed").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "article.self_review");
    ok(move_to(&t, &t.admin_token, "KB-000001", "reviewed").await, "someone else reviews").await;

    // A staff-only article never reaches the portal.
    let body = json!({"title": "Resetting the print server queue", "body": "Stop the spooler first.", "service_id": s.service});
    ok(t.post(&s.agent, "/api/v1/articles", body).await, "internal").await;
    ok(move_to(&t, &s.manager, "KB-000002", "reviewed").await, "review").await;
    ok(move_to(&t, &s.manager, "KB-000002", "published").await, "publish").await;
    problem(t.get(&s.north_portal, "/api/v1/articles/KB-000002").await, StatusCode::NOT_FOUND).await;

    // The portal page shows the public article to the customer.
    let cookie = t.login("pat@northwind.example", PASSWORD).await;
    let (status, html) = t.page(&cookie, "/articles").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("KB-000002") && !html.contains("Resetting"), "{html}");
}

/// The refs of a search, best first.
async fn found(t: &TestApp, token: &str, query: &str) -> Vec<String> {
    let r = ok(t.get(token, &format!("/api/v1/search?{query}")).await, query).await;
    r["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|h| h["ref"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn search_finds_records_and_articles_ranked_highlighted_and_scoped() {
    let t = TestApp::spawn().await;
    let s = setup(&t).await;
    let north = t.incident(&s.north_portal, "Label printer jams on every roll", None).await;
    let south = t.incident(&s.south_portal, "Printer in Rotterdam offline", None).await;
    let body =
        json!({"title": "Scanner driver crashes", "description": "Seen on the label printer's host too."});
    let staff_only = ok(t.post(&s.agent, "/api/v1/incidents", body).await, "incident").await;
    let body =
        json!({"title": "Worn rollers in the label printers", "description": "Firmware feeds too fast."});
    ok(t.post(&s.agent, "/api/v1/problems", body).await, "problem").await;
    let body = json!({"title": "Clearing a label jam", "body": "Lift the green lever of the printer.", "audience": "public"});
    ok(t.post(&s.agent, "/api/v1/articles", body).await, "article").await;
    ok(move_to(&t, &s.manager, "KB-000001", "reviewed").await, "review").await;
    ok(move_to(&t, &s.manager, "KB-000001", "published").await, "publish").await;
    let (n, so, st) = (
        north["ref"].as_str().expect("ref"),
        south["ref"].as_str().expect("ref"),
        staff_only["ref"].as_str().expect("ref"),
    );

    // Staff find every kind; a title match ranks above a match in the text only.
    let all = found(&t, &s.agent, "q=label+printer").await;
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all.last().map(String::as_str), Some(st), "only the text mentions it: {all:?}");
    assert!(all.contains(&"PRB-000001".to_owned()) && all.contains(&"KB-000001".to_owned()));
    assert_eq!(found(&t, &s.agent, "q=label+printer&kind=problem").await, ["PRB-000001"]);
    // Words are matched as beginnings; every word must occur.
    assert_eq!(found(&t, &s.agent, "q=rotter").await, [so]);
    assert!(found(&t, &s.agent, "q=rotterdam+label").await.is_empty());

    // A customer finds their organisation's records and the public article, nothing else.
    let mine = found(&t, &s.north_portal, "q=printer").await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.contains(&n.to_owned()) && mine.contains(&"KB-000001".to_owned()));
    // The article is about no particular service: every customer may read it.
    let theirs = found(&t, &s.south_portal, "q=printer").await;
    assert!(theirs.len() == 2 && theirs.contains(&so.to_owned()) && theirs.contains(&"KB-000001".to_owned()));
    assert!(found(&t, &s.north_portal, "q=printer&kind=problem").await.is_empty());

    // The snippet marks what matched.
    let r = ok(t.get(&s.north_portal, "/api/v1/search?q=lever").await, "lever").await;
    let parts = r["items"][0]["snippet"].as_array().expect("snippet").clone();
    assert!(
        parts.iter().any(
            |p| p["match"] == true && p["text"].as_str().is_some_and(|x| x.eq_ignore_ascii_case("lever"))
        ),
        "{parts:?}"
    );
    assert_eq!(r["items"][0]["href"], "/api/v1/articles/KB-000001");

    // A retired article is found no more on the portal.
    ok(move_to(&t, &s.manager, "KB-000001", "retired").await, "retire").await;
    assert!(found(&t, &s.north_portal, "q=lever").await.is_empty());

    // A changed title is found by its new words only.
    let r = t
        .patch(
            &s.agent,
            &format!("/api/v1/incidents/{n}"),
            Some(1),
            json!({"title": "Thermal printer smudges"}),
        )
        .await;
    ok(r, "retitle").await;
    assert_eq!(found(&t, &s.north_portal, "q=smudges").await, [n]);
    assert!(!found(&t, &s.north_portal, "q=roll").await.contains(&n.to_owned()));

    // Query syntax is only words; nothing to search for is a clear error.
    assert_eq!(found(&t, &s.agent, "q=%22rotterdam%22+OR+NEAR(").await.len(), 0);
    let p = problem(t.get(&s.agent, "/api/v1/search?q=--").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "q");
    problem(t.get(&s.agent, "/api/v1/search?q=x&kind=customer").await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;

    // The search page highlights, escaped.
    let cookie = t.login("pat@northwind.example", PASSWORD).await;
    let (status, html) = t.page(&cookie, "/search?q=smudg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<mark>smudges</mark>") && html.contains(n), "{html}");
}
