//! Identity and access: roles, customer isolation, tokens, sessions, login limits.

use crate::helpers::{PASSWORD, TestApp, incident_count, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn customer_user_cannot_read_other_customers_incident() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind").await;
    let contoso = t.customer("Contoso").await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let carlos = t.user("carlos@contoso.example", "customer", Some(&contoso)).await;
    t.incident(&t.admin_token, "Northwind's secret outage", Some(&north)).await;
    t.incident(&carlos, "Contoso's own incident", None).await;

    // Every way in answers 404, exactly as for a record that does not exist.
    for path in [
        "/api/v1/incidents/INC-000001",
        "/api/v1/incidents/INC-000001/comments",
        "/api/v1/incidents/INC-000001/attachments",
        "/api/v1/incidents/INC-000001/links",
        "/api/v1/incidents/INC-000001/journal",
        "/api/v1/incidents/INC-999999",
    ] {
        let p = problem(t.get(&carlos, path).await, StatusCode::NOT_FOUND).await;
        assert_eq!(p["code"], "not_found", "{path}");
    }
    let id =
        t.get(&nina, "/api/v1/incidents/INC-000001").await.json::<Value>().await.expect("json")["id"].clone();
    let p = problem(
        t.get(&carlos, &format!("/api/v1/incidents/{}", id.as_str().expect("id"))).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(p["code"], "not_found");
    problem(
        t.patch(&carlos, "/api/v1/incidents/INC-000001", Some(1), json!({"title": "mine now"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        t.post(&carlos, "/api/v1/incidents/INC-000001/comments", json!({"body": "hello"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        t.post(&carlos, "/api/v1/incidents/INC-000001/transitions", json!({"to": "resolved"})).await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Lists are scoped, even when the caller asks for another customer.
    let mine: Value = t.get(&carlos, "/api/v1/incidents").await.json().await.expect("json");
    let titles: Vec<&str> =
        mine["items"].as_array().expect("items").iter().filter_map(|i| i["title"].as_str()).collect();
    assert_eq!(titles, ["Contoso's own incident"]);
    let theirs: Value =
        t.get(&carlos, &format!("/api/v1/incidents?customer={north}")).await.json().await.expect("json");
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let customers: Value = t.get(&carlos, "/api/v1/customers").await.json().await.expect("json");
    assert_eq!(customers["items"].as_array().map(Vec::len), Some(1));
    problem(t.get(&carlos, &format!("/api/v1/customers/{north}")).await, StatusCode::NOT_FOUND).await;

    // A link to a record the customer cannot see is left out of their view of the links.
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/incidents/INC-000002/links",
            json!({"link_type": "relates_to", "target": "INC-000001"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let staff: Value =
        t.get(&t.admin_token, "/api/v1/incidents/INC-000002/links").await.json().await.expect("json");
    assert_eq!(staff["items"].as_array().map(Vec::len), Some(1));
    let theirs: Value =
        t.get(&carlos, "/api/v1/incidents/INC-000002/links").await.json().await.expect("json");
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn customer_cannot_log_incidents_for_another_customer_or_route_them() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind").await;
    let contoso = t.customer("Contoso").await;
    let carlos = t.user("carlos@contoso.example", "customer", Some(&contoso)).await;
    let p = problem(
        t.post(&carlos, "/api/v1/incidents", json!({"title": "x", "customer_id": north})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "customer_id");
    assert_eq!(incident_count(&t).await, 0);
}

#[tokio::test]
async fn auditor_reads_everything_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let auditor = t.user("avery@audit.example", "auditor", None).await;
    t.incident(&t.admin_token, "Audited", None).await;
    assert_eq!(t.get(&auditor, "/api/v1/incidents/INC-000001").await.status(), StatusCode::OK);
    assert_eq!(t.get(&auditor, "/api/v1/incidents/INC-000001/journal").await.status(), StatusCode::OK);
    for r in [
        t.post(&auditor, "/api/v1/incidents", json!({"title": "x"})).await,
        t.patch(&auditor, "/api/v1/incidents/INC-000001", Some(1), json!({"title": "x"})).await,
        t.post(&auditor, "/api/v1/incidents/INC-000001/transitions", json!({"to": "resolved"})).await,
        t.post(&auditor, "/api/v1/incidents/INC-000001/comments", json!({"body": "x", "public": false}))
            .await,
        t.post(&auditor, "/api/v1/customers", json!({"name": "x"})).await,
        t.post(
            &auditor,
            "/api/v1/users",
            json!({"email": "x@y.example", "display_name": "X", "role": "agent"}),
        )
        .await,
    ] {
        assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    }
    let now: Value = t.get(&t.admin_token, "/api/v1/incidents/INC-000001").await.json().await.expect("json");
    assert_eq!(now["version"], 1);
}

#[tokio::test]
async fn only_admins_manage_users_and_roles_are_validated() {
    let t = TestApp::spawn().await;
    let agent = t.user("agent@test.example", "agent", None).await;
    let manager = t.user("manager@test.example", "manager", None).await;
    for tok in [&agent, &manager] {
        let r = t
            .post(tok, "/api/v1/users", json!({"email": "x@y.example", "display_name": "X", "role": "admin"}))
            .await;
        assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    }
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/users",
            json!({"email": "c@y.example", "display_name": "C", "role": "customer"}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "customer_id");
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/users",
            json!({"email": "AGENT@test.example", "display_name": "Dup", "role": "agent"}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "user.email_taken");
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/users",
            json!({"email": "p@y.example", "display_name": "P", "role": "agent", "password": "short"}),
        )
        .await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "password");
    // Managers run teams.
    assert_eq!(
        t.post(&manager, "/api/v1/teams", json!({"name": "Network"})).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused() {
    let t = TestApp::spawn().await;
    let p = problem(
        t.get("trl_forgedforgedforgedforgedforgedforgedforged", "/api/v1/incidents").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(p["code"], "auth.token_invalid");
    let p = problem(t.get("not-even-our-format", "/api/v1/incidents").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(p["code"], "auth.token_invalid");
    let p =
        problem(t.client.get(t.at("/api/v1/incidents")).send().await.expect("get"), StatusCode::UNAUTHORIZED)
            .await;
    assert_eq!(p["code"], "auth.required");

    let r =
        t.post(&t.admin_token, "/api/v1/tokens", json!({"name": "short-lived", "expires_in_days": 1})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("trl_"));
    assert_eq!(t.get(&token, "/api/v1/me").await.status(), StatusCode::OK);
    t.clock.advance(jiff::SignedDuration::from_hours(25));
    let p = problem(
        t.post(&token, "/api/v1/incidents", json!({"title": "too late"})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(p["code"], "auth.token_expired");
    assert_eq!(incident_count(&t).await, 0);

    // Tokens are stored only as hashes: the secret appears nowhere in the database.
    let listed: Value = t.get(&t.admin_token, "/api/v1/tokens").await.json().await.expect("json");
    assert!(!listed.to_string().contains(&token));
}

#[tokio::test]
async fn revoked_token_stops_working() {
    let t = TestApp::spawn().await;
    let r = t.post(&t.admin_token, "/api/v1/tokens", json!({"name": "temp"})).await;
    let v: Value = r.json().await.expect("json");
    let token = v["token"].as_str().expect("token");
    let r = t
        .client
        .delete(t.at(&format!("/api/v1/tokens/{}", v["id"].as_str().expect("id"))))
        .bearer_auth(&t.admin_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        problem(t.get(token, "/api/v1/me").await, StatusCode::UNAUTHORIZED).await["code"],
        "auth.token_invalid"
    );
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_tokens() {
    let t = TestApp::spawn().await;
    let agent = t.user("agent@test.example", "agent", None).await;
    let cookie = t.login("agent@test.example", PASSWORD).await;
    let me: Value = t.get(&agent, "/api/v1/me").await.json().await.expect("json");
    let r = t
        .patch(
            &t.admin_token,
            &format!("/api/v1/users/{}", me["id"].as_str().expect("id")),
            Some(me["version"].as_i64().expect("v")),
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(t.get(&agent, "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let r = t.client.get(t.at("/api/v1/me")).header("cookie", &cookie).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = t
        .client
        .post(t.at("/login"))
        .form(&[("email", "agent@test.example"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "an inactive user cannot log in");
}

#[tokio::test]
async fn login_is_rate_limited_after_repeated_failures() {
    let t = TestApp::spawn().await;
    t.user("agent@test.example", "agent", None).await;
    let attempt = |pw: &'static str| {
        t.client.post(t.at("/login")).form(&[("email", "agent@test.example"), ("password", pw)]).send()
    };
    for _ in 0..10 {
        assert_eq!(attempt("wrong-password-here").await.expect("login").status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is locked out...
    assert_eq!(attempt(PASSWORD).await.expect("login").status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and accepted again once the window has passed.
    t.clock.advance(jiff::SignedDuration::from_mins(16));
    assert_eq!(attempt(PASSWORD).await.expect("login").status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn session_cookie_is_protected_and_logout_revokes_it() {
    let t = TestApp::spawn().await;
    t.user("agent@test.example", "agent", None).await;
    let r = t
        .client
        .post(t.at("/login"))
        .form(&[("email", "agent@test.example"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    let set = r.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing from {set}");
    }
    let cookie = set.split(';').next().expect("pair").to_owned();
    assert_eq!(t.page(&cookie, "/incidents").await.0, StatusCode::OK);
    let r = t.form(&cookie, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = t.client.get(t.at("/incidents")).header("cookie", &cookie).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old cookie no longer opens pages");
    assert!(r.headers()["location"].to_str().unwrap_or("").starts_with("/login"));
}

#[tokio::test]
async fn sessions_expire_after_being_idle() {
    let t = TestApp::spawn().await;
    t.user("agent@test.example", "agent", None).await;
    let cookie = t.login("agent@test.example", PASSWORD).await;
    t.clock.advance(jiff::SignedDuration::from_hours(11));
    assert_eq!(t.page(&cookie, "/incidents").await.0, StatusCode::OK, "use slides the expiry");
    t.clock.advance(jiff::SignedDuration::from_hours(11));
    assert_eq!(t.page(&cookie, "/incidents").await.0, StatusCode::OK);
    t.clock.advance(jiff::SignedDuration::from_hours(13));
    assert_eq!(t.page(&cookie, "/incidents").await.0, StatusCode::SEE_OTHER, "idle for 13 hours: logged out");
}

#[tokio::test]
async fn an_admin_resets_a_password_and_only_the_new_one_works() {
    let t = TestApp::spawn().await;
    let agent = t.user("agent@test.example", "agent", None).await;
    let me: Value = t.get(&agent, "/api/v1/me").await.json().await.expect("json");
    let path = format!("/api/v1/users/{}", me["id"].as_str().expect("id"));
    let r = t
        .patch(
            &t.admin_token,
            &path,
            Some(me["version"].as_i64().expect("v")),
            json!({"password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let login = |pw: &'static str| {
        t.client.post(t.at("/login")).form(&[("email", "agent@test.example"), ("password", pw)]).send()
    };
    assert_eq!(login(PASSWORD).await.expect("login").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(login("a-brand-new-password").await.expect("login").status(), StatusCode::SEE_OTHER);
    let p = problem(
        t.patch(&t.admin_token, &path, Some(1), json!({"password": "x"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(p["code"], "record.version_mismatch");
}
