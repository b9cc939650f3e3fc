//! The web UI, as a browser without JavaScript would use it (htmx only enhances these pages).

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn admin_creates_an_agent_and_a_customer_user_who_sees_only_their_own_incidents() {
    let t = TestApp::spawn().await;
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for name in ["Northwind Health", "Contoso Logistics"] {
        let r = t.form(&admin, "/admin/customers", &[("name", name), ("notes", "")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, page) = t.page(&admin, "/admin/users").await;
    let north = option_value(&page, "Northwind Health");
    let r = t
        .form(
            &admin,
            "/admin/users",
            &[
                ("email", "alex@provider.example"),
                ("display_name", "Alex Agent"),
                ("role", "agent"),
                ("customer_id", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.text().await.expect("body").contains("User alex@provider.example created."));
    let r = t
        .form(
            &admin,
            "/admin/users",
            &[
                ("email", "nina@northwind.example"),
                ("display_name", "Nina"),
                ("role", "customer"),
                ("customer_id", &north),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The agent logs an incident for each customer.
    let agent = t.login("alex@provider.example", PASSWORD).await;
    let (_, form) = t.page(&agent, "/incidents/new").await;
    let contoso = option_value(&form, "Contoso Logistics");
    let r = t
        .form(
            &agent,
            "/incidents",
            &[
                ("title", "Contoso warehouse outage"),
                ("description", "Scanners down"),
                ("customer_id", &contoso),
                ("team_id", ""),
                ("assignee_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/incidents/INC-000001");
    let r = t
        .form(
            &agent,
            "/incidents",
            &[
                ("title", "Northwind ward tablets"),
                ("description", ""),
                ("customer_id", &north),
                ("team_id", ""),
                ("assignee_id", ""),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/incidents/INC-000002");

    let nina = t.login("nina@northwind.example", PASSWORD).await;
    let (status, list) = t.page(&nina, "/incidents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Northwind ward tablets"));
    assert!(!list.contains("Contoso warehouse outage"), "another customer's incident is listed");
    let (status, page) = t.page(&nina, "/incidents/INC-000001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Contoso warehouse outage"));
    let (status, page) = t.page(&nina, "/incidents/INC-000002").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Northwind ward tablets"));
    assert!(!page.contains("Move to"), "customers do not get lifecycle actions");
    // Administration is not for customers.
    assert_eq!(t.page(&nina, "/admin/users").await.0, StatusCode::FORBIDDEN);
}

/// The value of the `<option>` whose label is `label`.
fn option_value(html: &str, label: &str) -> String {
    let end = html.find(&format!(">{label}</option>")).expect("option present");
    let start = html[..end].rfind("value=\"").expect("value attribute") + 7;
    html[start..end].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn login_page_reports_a_wrong_password_and_keeps_the_email() {
    let t = TestApp::spawn().await;
    let (status, page) = t.page("", "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<form method=\"post\" action=\"/login\""));
    let r = t
        .client
        .post(t.at("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", "wrong-password!")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.expect("body");
    assert!(body.contains("wrong e-mail or password"));
    assert!(body.contains(&format!("value=\"{ADMIN_EMAIL}\"")));
    // Pages need a session; the login remembers where the user was going.
    let r = t.client.get(t.at("/incidents/INC-000001")).send().await.expect("page");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fincidents%2FINC-000001");
}

#[tokio::test]
async fn invalid_form_is_shown_again_with_messages_and_what_was_typed() {
    let t = TestApp::spawn().await;
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let long = "x".repeat(201);
    let r = t
        .form(
            &admin,
            "/incidents",
            &[
                ("title", &long),
                ("description", "I typed this carefully"),
                ("customer_id", ""),
                ("team_id", ""),
                ("assignee_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("must be at most 200 characters"));
    assert!(body.contains("I typed this carefully"));
    assert!(body.contains("aria-invalid=\"true\""));
    assert_eq!(crate::helpers::incident_count(&t).await, 0);
}

#[tokio::test]
async fn stale_edit_form_is_refused_and_keeps_the_users_changes() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Original", None).await;
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, form) = t.page(&admin, "/incidents/INC-000001/edit").await;
    assert!(form.contains("name=\"version\" value=\"1\""));
    // Someone else saves first.
    let r = t
        .patch(
            &t.admin_token,
            "/api/v1/incidents/INC-000001",
            Some(1),
            serde_json::json!({"title": "Theirs"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = t
        .form(
            &admin,
            "/incidents/INC-000001/edit",
            &[
                ("title", "Mine"),
                ("description", "my words"),
                ("customer_id", ""),
                ("team_id", ""),
                ("assignee_id", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.expect("body");
    assert!(body.contains("Someone else changed this incident"));
    assert!(body.contains("value=\"Mine\"") && body.contains("my words"));
    let now: serde_json::Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000001").await.json().await.expect("json");
    assert_eq!(now["title"], "Theirs", "nothing silently overwritten");
}

#[tokio::test]
async fn detail_page_shows_the_timeline_and_escapes_user_text() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "<script>alert('x')</script>", None).await;
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = t
        .form(
            &admin,
            "/incidents/INC-000001/comments",
            &[("body", "<img src=x onerror=alert(1)>"), ("public", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r =
        t.form(&admin, "/incidents/INC-000001/transitions", &[("to", "in_progress"), ("version", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = t.page(&admin, "/incidents/INC-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script>alert"), "title not escaped");
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"));
    assert!(!page.contains("<img src=x"), "comment not escaped");
    assert!(page.contains("logged the incident"));
    assert!(page.contains("changed the status"));
    assert!(page.contains("status: New → In progress") || page.contains("status: new → in_progress"));
    // An illegal move from the page shows the page again with the reason.
    let r = t.form(&admin, "/incidents/INC-000001/transitions", &[("to", "closed"), ("version", "2")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("body").contains("cannot move from in_progress to closed"));
}

#[tokio::test]
async fn the_list_filter_form_with_empty_choices_filters_by_status() {
    let t = TestApp::spawn().await;
    t.incident(&t.admin_token, "Open one", None).await;
    t.incident(&t.admin_token, "Closed one", None).await;
    for to in ["resolved", "closed"] {
        t.post(
            &t.admin_token,
            "/api/v1/incidents/INC-000002/transitions",
            serde_json::json!({"to": to, "resolution_code": "fixed"}),
        )
        .await;
    }
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // Exactly what the form sends: every field, the unused ones empty.
    let (status, page) =
        t.page(&admin, "/incidents?status=closed&customer=&assignee=&q=&sort=-created_at").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Closed one") && !page.contains("Open one"));
    let (status, page) = t.page(&admin, "/incidents?customer=not-a-uuid").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("class=\"error\""), "the list is shown with the reason");
}
