//! The service catalogue and complaints over HTTP: defining services and who receives them,
//! customer isolation, lodging and handling complaints, and the pages that do the same.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

/// Defines a service through the API as `token` and returns its JSON.
async fn service(t: &TestApp, token: &str, name: &str, customers: &[&str]) -> Value {
    let r = t
        .post(
            token,
            "/api/v1/services",
            json!({"name": name, "description": format!("{name}, as delivered"), "criticality": "medium",
                "customer_ids": customers}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "create service {name}");
    body(r).await
}

/// The `ref`s of a list answer, in order.
pub(crate) fn refs(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["ref"].as_str().expect("ref").to_owned())
        .collect()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// The journal actions of a record, oldest first.
async fn journal_actions(t: &TestApp, path: &str) -> (Vec<String>, Value) {
    let j = body(t.get(&t.admin_token, &format!("{path}/journal")).await).await;
    let actions = j["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect();
    (actions, j)
}

/// The journal change of `field` in one entry.
fn change<'a>(entry: &'a Value, field: &str) -> &'a Value {
    entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["field"] == field)
        .unwrap_or_else(|| panic!("no change of {field} in {entry}"))
}

#[tokio::test]
async fn manager_defines_a_service_moves_it_live_and_the_journal_records_both() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let me = body(t.get(&manager, "/api/v1/me").await).await;
    let r = t
        .post(
            &manager,
            "/api/v1/services",
            json!({"name": "Managed e-mail", "description": "Mailboxes and archiving.", "criticality": "high",
                "owner_id": me["id"], "customer_ids": [north]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/services/SVC-000001");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let s = body(r).await;
    assert_eq!(s["ref"], "SVC-000001");
    assert_eq!(s["kind"], "service");
    assert_eq!(s["status"], "pipeline");
    assert_eq!(s["criticality"], "high");
    assert_eq!(s["allowed_transitions"], json!(["live", "retired"]));
    assert_eq!(s["owner"]["id"], me["id"]);
    assert_eq!(s["customers"], json!([{"id": north, "name": "Northwind Health"}]));

    let path = "/api/v1/services/SVC-000001";
    let r = t.post(&manager, &format!("{path}/transitions"), json!({"to": "live"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = body(r).await;
    assert_eq!((s["status"].as_str(), s["version"].as_i64()), (Some("live"), Some(2)));
    assert_eq!(s["allowed_transitions"], json!(["retired"]));
    let live = body(t.get(&manager, "/api/v1/services?status=live&criticality=high,critical").await).await;
    assert_eq!(refs(&live), ["SVC-000001"]);
    let pipeline = body(t.get(&manager, "/api/v1/services?status=pipeline").await).await;
    assert_eq!(refs(&pipeline), Vec::<String>::new());

    let p = problem(
        t.post(&manager, &format!("{path}/transitions"), json!({"to": "pipeline"})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "service.invalid_transition");

    let p = problem(
        t.patch(&manager, path, None, json!({"criticality": "critical"})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(p["code"], "request.if_match_required");
    let p = problem(
        t.patch(&manager, path, Some(1), json!({"criticality": "critical"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(
        (p["code"].as_str(), p["current_version"].as_i64()),
        (Some("record.version_mismatch"), Some(2))
    );
    let now = body(t.get(&manager, path).await).await;
    assert_eq!(
        (now["status"].as_str(), now["criticality"].as_str(), now["version"].as_i64()),
        (Some("live"), Some("high"), Some(2)),
        "refused requests changed nothing"
    );

    let (actions, j) = journal_actions(&t, path).await;
    assert_eq!(actions, ["created", "transitioned"]);
    let created = &j["items"][0];
    assert_eq!(change(created, "ref")["to"], "SVC-000001");
    assert_eq!(change(created, "name")["to"], "Managed e-mail");
    assert_eq!(change(created, "customer_ids")["to"], json!([north]));
    assert_eq!(created["actor"]["name"], "morgan@provider.example");
    assert_eq!(j["items"][1]["changes"], json!([{"field": "status", "from": "pipeline", "to": "live"}]));
}

#[tokio::test]
async fn customer_user_sees_only_services_their_customer_receives() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    let admin = t.admin_token.clone();
    let shared = service(&t, &admin, "Managed e-mail", &[&north, &contoso]).await;
    let scanning = service(&t, &admin, "Warehouse scanning", &[&contoso]).await;
    service(&t, &admin, "Ward tablets", &[&north]).await;
    service(&t, &admin, "Internal tooling", &[]).await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;

    let mine = body(t.get(&nina, "/api/v1/services").await).await;
    assert_eq!(refs(&mine), ["SVC-000003", "SVC-000001"]);
    let explicit = body(t.get(&nina, &format!("/api/v1/services?customer={north}")).await).await;
    assert_eq!(refs(&explicit), ["SVC-000003", "SVC-000001"]);
    let theirs = body(t.get(&nina, &format!("/api/v1/services?customer={contoso}")).await).await;
    assert_eq!(refs(&theirs), Vec::<String>::new(), "asking for another customer's services returns nothing");
    let found = body(t.get(&nina, "/api/v1/services?q=tablets").await).await;
    assert_eq!(refs(&found), ["SVC-000003"]);
    let hidden = body(t.get(&nina, "/api/v1/services?q=scanning").await).await;
    assert_eq!(refs(&hidden), Vec::<String>::new(), "a text search does not widen the scope");

    for key in ["SVC-000002".to_owned(), id(&scanning), "SVC-000004".to_owned()] {
        let p = problem(t.get(&nina, &format!("/api/v1/services/{key}")).await, StatusCode::NOT_FOUND).await;
        assert_eq!(p["code"], "not_found", "{key}");
    }
    for sub in ["comments", "links", "attachments"] {
        problem(t.get(&nina, &format!("/api/v1/services/SVC-000002/{sub}")).await, StatusCode::NOT_FOUND)
            .await;
    }

    // The service both receive: the customer user does not learn who else receives it.
    let s = body(t.get(&nina, "/api/v1/services/SVC-000001").await).await;
    assert_eq!(s["name"], "Managed e-mail");
    assert_eq!(s["customers"], json!([]));
    let staff = body(t.get(&admin, "/api/v1/services/SVC-000001").await).await;
    let mut names: Vec<&str> =
        staff["customers"].as_array().expect("customers").iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["Contoso Logistics", "Northwind Health"]);
    assert_eq!(staff["id"], shared["id"]);

    // Staff filter by customer and see every service.
    let contoso_list = body(t.get(&admin, &format!("/api/v1/services?customer={contoso}")).await).await;
    assert_eq!(refs(&contoso_list), ["SVC-000002", "SVC-000001"]);
    let all = body(t.get(&admin, "/api/v1/services").await).await;
    assert_eq!(refs(&all).len(), 4);
}

#[tokio::test]
async fn agent_and_auditor_cannot_define_or_change_services_but_read_them() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    service(&t, &t.admin_token, "Managed e-mail", &[&north]).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let auditor = t.user("avery@audit.example", "auditor", None).await;
    for who in [&agent, &auditor] {
        let refused = [
            t.post(who, "/api/v1/services", json!({"name": "Shadow IT", "criticality": "low"})).await,
            t.patch(who, "/api/v1/services/SVC-000001", Some(1), json!({"name": "Renamed"})).await,
            t.post(who, "/api/v1/services/SVC-000001/transitions", json!({"to": "live"})).await,
        ];
        for r in refused {
            assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
        }
        let list = body(t.get(who, "/api/v1/services").await).await;
        assert_eq!(refs(&list), ["SVC-000001"], "nothing was created");
        let s = body(t.get(who, "/api/v1/services/SVC-000001").await).await;
        assert_eq!(
            (s["name"].as_str(), s["status"].as_str(), s["version"].as_i64()),
            (Some("Managed e-mail"), Some("pipeline"), Some(1))
        );
        assert_eq!(s["customers"][0]["name"], "Northwind Health", "staff see who receives it");
    }
}

#[tokio::test]
async fn customer_lodges_a_complaint_only_about_a_service_they_receive() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    let email = service(&t, &t.admin_token, "Managed e-mail", &[&north]).await;
    let scanning = service(&t, &t.admin_token, "Warehouse scanning", &[&contoso]).await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let carlos = t.user("carlos@contoso.example", "customer", Some(&contoso)).await;

    let r = t
        .post(
            &nina,
            "/api/v1/complaints",
            json!({"title": "E-mail outages every Monday", "description": "Third week in a row.",
                "service_id": email["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/complaints/CMP-000001");
    let c = body(r).await;
    assert_eq!(c["ref"], "CMP-000001");
    assert_eq!(c["status"], "received");
    assert_eq!(c["customer"], json!({"id": north, "name": "Northwind Health"}));
    assert_eq!(c["service"], json!({"ref": "SVC-000001", "title": "Managed e-mail"}));
    assert_eq!((c["escalated"].as_bool(), c["outcome"].as_str()), (Some(false), Some("")));
    assert_eq!(c["allowed_transitions"], json!(["investigated"]));

    // Naming their own organisation explicitly is fine.
    let r = t.post(&nina, "/api/v1/complaints", json!({"title": "Slow replies", "customer_id": north})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(body(r).await["customer"]["id"], north.as_str());

    // Another organisation, or a service their organisation does not receive: refused.
    let p = problem(
        t.post(&nina, "/api/v1/complaints", json!({"title": "On their behalf", "customer_id": contoso}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"].as_array().expect("errors").contains(
            &json!({"field": "customer_id", "message": "you can only complain for your own organisation"})
        ),
        "{p}"
    );
    let p = problem(
        t.post(&nina, "/api/v1/complaints", json!({"title": "Scanners", "service_id": scanning["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        p["errors"],
        json!([{"field": "service_id", "message": "the customer does not receive this service"}])
    );

    let ninas = body(t.get(&nina, "/api/v1/complaints").await).await;
    assert_eq!(refs(&ninas), ["CMP-000002", "CMP-000001"], "refused complaints were not stored");

    // The other organisation neither reads nor lists it.
    let p = problem(t.get(&carlos, "/api/v1/complaints/CMP-000001").await, StatusCode::NOT_FOUND).await;
    assert_eq!(p["code"], "not_found");
    problem(t.get(&carlos, &format!("/api/v1/complaints/{}", id(&c))).await, StatusCode::NOT_FOUND).await;
    problem(t.get(&carlos, "/api/v1/complaints/CMP-000001/comments").await, StatusCode::NOT_FOUND).await;
    assert_eq!(refs(&body(t.get(&carlos, "/api/v1/complaints").await).await), Vec::<String>::new());
    let asked = body(t.get(&carlos, &format!("/api/v1/complaints?customer={north}")).await).await;
    assert_eq!(refs(&asked), Vec::<String>::new());

    // Customers lodge, they do not handle.
    for r in [
        t.patch(&nina, "/api/v1/complaints/CMP-000001", Some(1), json!({"escalated": true})).await,
        t.post(&nina, "/api/v1/complaints/CMP-000001/transitions", json!({"to": "investigated"})).await,
        t.get(&nina, "/api/v1/complaints/summary").await,
    ] {
        assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    }
}

/// A customer user who names another organisation is told exactly that, and nothing that is
/// untrue about the request (they did give a customer).
#[tokio::test]
async fn customer_complaining_for_another_organisation_gets_one_clear_error() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let p = problem(
        t.post(&nina, "/api/v1/complaints", json!({"title": "On their behalf", "customer_id": contoso}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        p["errors"],
        json!([{"field": "customer_id", "message": "you can only complain for your own organisation"}])
    );
}

#[tokio::test]
async fn staff_cannot_close_a_complaint_without_an_outcome_and_escalation_is_journalled() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let email = service(&t, &t.admin_token, "Managed e-mail", &[&north]).await;
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let r =
        t.post(&nina, "/api/v1/complaints", json!({"title": "Lost mail", "service_id": email["id"]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let path = "/api/v1/complaints/CMP-000001";
    let transitions = format!("{path}/transitions");
    let move_to = |to: &'static str| t.post(&agent, &transitions, json!({"to": to}));

    let p = problem(move_to("closed").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "complaint.invalid_transition", "received cannot jump to closed");
    // Staff may re-file it, but only under a service the customer receives.
    let other = service(&t, &t.admin_token, "Warehouse scanning", &[]).await;
    let p = problem(
        t.patch(&agent, path, Some(1), json!({"service_id": other["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "service_id");
    // Investigated, actioned, back to investigation (the action did not satisfy), actioned again.
    for (to, allowed) in [
        ("investigated", json!(["actioned"])),
        ("actioned", json!(["investigated", "closed"])),
        ("investigated", json!(["actioned"])),
        ("actioned", json!(["investigated", "closed"])),
    ] {
        let r = move_to(to).await;
        assert_eq!(r.status(), StatusCode::OK, "to {to}");
        let c = body(r).await;
        assert_eq!((c["status"].as_str(), &c["allowed_transitions"]), (Some(to), &allowed));
    }

    let p = problem(move_to("closed").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "outcome");
    let now = body(t.get(&agent, path).await).await;
    assert_eq!(
        (now["status"].as_str(), now["version"].as_i64(), now["outcome"].as_str()),
        (Some("actioned"), Some(5), Some("")),
        "the refused close changed nothing"
    );

    let r = t.patch(&agent, path, Some(5), json!({"escalated": true})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await["escalated"], true);
    let outcome = "Credited one month; mail relay replaced.";
    let r = t.patch(&agent, path, Some(6), json!({"outcome": outcome})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = move_to("closed").await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = body(r).await;
    assert_eq!(
        (c["status"].as_str(), c["outcome"].as_str(), c["version"].as_i64()),
        (Some("closed"), Some(outcome), Some(8))
    );
    assert_eq!(c["allowed_transitions"], json!([]));

    let (actions, j) = journal_actions(&t, path).await;
    assert_eq!(
        actions,
        [
            "created",
            "transitioned",
            "transitioned",
            "transitioned",
            "transitioned",
            "updated",
            "updated",
            "transitioned"
        ]
    );
    assert_eq!(j["items"][5]["changes"], json!([{"field": "escalated", "from": false, "to": true}]));
    assert_eq!(j["items"][6]["changes"], json!([{"field": "outcome", "from": "", "to": outcome}]));
    assert_eq!(j["items"][7]["changes"], json!([{"field": "status", "from": "actioned", "to": "closed"}]));
    let escalated = body(t.get(&agent, "/api/v1/complaints?escalated=true").await).await;
    assert_eq!(refs(&escalated), ["CMP-000001"]);
}

/// `(name, open, total)` of summary rows, keyed by id (`-` for "no service").
fn counts(rows: &Value) -> BTreeMap<String, (String, i64, i64)> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let key = r["id"].as_str().unwrap_or("-").to_owned();
            let name = r["name"].as_str().unwrap_or("-").to_owned();
            (key, (name, r["open"].as_i64().expect("open"), r["total"].as_i64().expect("total")))
        })
        .collect()
}

#[tokio::test]
async fn complaint_summary_counts_open_and_total_per_service_and_per_customer() {
    let t = TestApp::spawn().await;
    let admin = t.admin_token.clone();
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    t.customer("Fabrikam").await;
    let email = service(&t, &admin, "Managed e-mail", &[&north, &contoso]).await;
    let scanning = service(&t, &admin, "Warehouse scanning", &[&contoso]).await;
    service(&t, &admin, "Backup", &[&north]).await;
    for (title, customer, svc) in [
        ("North mail", &north, Some(&email)),
        ("Contoso mail", &contoso, Some(&email)),
        ("Contoso scanners", &contoso, Some(&scanning)),
        ("Contoso invoices", &contoso, None),
    ] {
        let r = t
            .post(
                &admin,
                "/api/v1/complaints",
                json!({"title": title, "customer_id": customer, "service_id": svc.map(|s| &s["id"])}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{title}");
    }
    // Close CMP-000002 (Contoso, e-mail).
    let path = "/api/v1/complaints/CMP-000002";
    for to in ["investigated", "actioned"] {
        assert_eq!(
            t.post(&admin, &format!("{path}/transitions"), json!({"to": to})).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        t.patch(&admin, path, Some(3), json!({"outcome": "Apologised"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        t.post(&admin, &format!("{path}/transitions"), json!({"to": "closed"})).await.status(),
        StatusCode::OK
    );

    let agent = t.user("alex@provider.example", "agent", None).await;
    let p = problem(
        t.post(&agent, "/api/v1/complaints", json!({"title": "Whose?"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"], json!([{"field": "customer_id", "message": "is required"}]));
    let s = body(t.get(&agent, "/api/v1/complaints/summary").await).await;
    let by_service = counts(&s["by_service"]);
    let expected: BTreeMap<String, (String, i64, i64)> = [
        (id(&email), ("Managed e-mail".to_owned(), 1, 2)),
        (id(&scanning), ("Warehouse scanning".to_owned(), 1, 1)),
        ("-".to_owned(), ("-".to_owned(), 1, 1)),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_service, expected, "services without complaints are not listed");
    let by_customer = counts(&s["by_customer"]);
    let expected: BTreeMap<String, (String, i64, i64)> = [
        (north.clone(), ("Northwind Health".to_owned(), 1, 1)),
        (contoso.clone(), ("Contoso Logistics".to_owned(), 2, 3)),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_customer, expected);

    // The list filters agree with the counts.
    let on_email = body(t.get(&agent, &format!("/api/v1/complaints?service={}", id(&email))).await).await;
    assert_eq!(refs(&on_email), ["CMP-000002", "CMP-000001"]);
    let open_contoso =
        body(t.get(&agent, &format!("/api/v1/complaints?customer={contoso}&status=received")).await).await;
    assert_eq!(refs(&open_contoso), ["CMP-000004", "CMP-000003"]);
    let closed = body(t.get(&agent, "/api/v1/complaints?status=closed").await).await;
    assert_eq!(refs(&closed), ["CMP-000002"]);
}

// ---- pages ----

/// The value of the checkbox or option labelled `label`.
fn value_for(html: &str, label: &str) -> String {
    let end = html.find(&format!("> {label}</label>")).or_else(|| html.find(&format!(">{label}</option>")));
    let end = end.unwrap_or_else(|| panic!("{label} offered on the form"));
    let start = html[..end].rfind("value=\"").expect("value attribute") + 7;
    html[start..end].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn manager_creates_a_service_through_the_form_for_two_customers() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    t.customer("Fabrikam").await;
    t.user("morgan@provider.example", "manager", None).await;
    let manager = t.login("morgan@provider.example", PASSWORD).await;
    let (status, form) = t.page(&manager, "/services/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value_for(&form, "Northwind Health"), north);
    assert_eq!(value_for(&form, "Contoso Logistics"), contoso);

    // An empty name: the form comes back with the message and what was typed.
    let r = t
        .form(
            &manager,
            "/services",
            &[
                ("name", ""),
                ("description", "Typed with care, kept on error"),
                ("criticality", "high"),
                ("owner_id", ""),
                ("customer_ids", &north),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(page.contains("Typed with care, kept on error"));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains(&format!("value=\"{north}\" checked")), "the ticked customer stays ticked");
    assert_eq!(refs(&body(t.get(&t.admin_token, "/api/v1/services").await).await), Vec::<String>::new());

    let r = t
        .form(
            &manager,
            "/services",
            &[
                ("name", "Managed e-mail"),
                ("description", "Mailboxes and archiving"),
                ("criticality", "high"),
                ("owner_id", ""),
                ("customer_ids", &north),
                ("customer_ids", &contoso),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/services/SVC-000001");
    let (status, page) = t.page(&manager, "/services/SVC-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Managed e-mail") && page.contains("Mailboxes and archiving"));
    assert!(page.contains("<li>Northwind Health</li>") && page.contains("<li>Contoso Logistics</li>"));
    assert!(!page.contains("<li>Fabrikam</li>"));
    let s = body(t.get(&t.admin_token, "/api/v1/services/SVC-000001").await).await;
    let mut ids: Vec<&str> =
        s["customers"].as_array().expect("customers").iter().filter_map(|c| c["id"].as_str()).collect();
    ids.sort();
    let mut expected = [north.as_str(), contoso.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(s["criticality"], "high");
}

#[tokio::test]
async fn customer_users_services_page_lists_only_their_services() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    service(&t, &t.admin_token, "Managed e-mail", &[&north, &contoso]).await;
    service(&t, &t.admin_token, "Warehouse scanning", &[&contoso]).await;
    service(&t, &t.admin_token, "Ward tablets", &[&north]).await;
    t.user("nina@northwind.example", "customer", Some(&north)).await;
    let nina = t.login("nina@northwind.example", PASSWORD).await;
    let (status, list) = t.page(&nina, "/services").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Managed e-mail") && list.contains("Ward tablets"));
    assert!(!list.contains("Warehouse scanning"), "another customer's service is listed");
    assert!(!list.contains("href=\"/services/new\""), "customers do not define services");
    let (status, page) = t.page(&nina, "/services/SVC-000002").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Warehouse scanning"));
    let (status, page) = t.page(&nina, "/services/SVC-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Managed e-mail"));
    assert!(!page.contains("Contoso"), "the page does not name the other organisations receiving it");
    assert_eq!(t.page(&nina, "/services/new").await.0, StatusCode::FORBIDDEN);

    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, all) = t.page(&admin, "/services").await;
    assert!(all.contains("Warehouse scanning") && all.contains("Ward tablets"));
}

#[tokio::test]
async fn customer_lodges_a_complaint_through_the_form_and_sees_it() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    service(&t, &t.admin_token, "Managed e-mail", &[&north]).await;
    service(&t, &t.admin_token, "Warehouse scanning", &[&contoso]).await;
    t.user("nina@northwind.example", "customer", Some(&north)).await;
    t.user("carlos@contoso.example", "customer", Some(&contoso)).await;
    let nina = t.login("nina@northwind.example", PASSWORD).await;
    let (status, form) = t.page(&nina, "/complaints/new").await;
    assert_eq!(status, StatusCode::OK);
    let email = value_for(&form, "SVC-000001 Managed e-mail");
    assert!(!form.contains("Warehouse scanning"), "only services the customer receives are offered");
    assert!(!form.contains("name=\"customer_id\""), "a customer does not choose the organisation");

    // Without a title the form comes back, keeping the details.
    let r = t
        .form(
            &nina,
            "/complaints",
            &[("title", ""), ("description", "Mail bounced all morning"), ("service_id", &email)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Mail bounced all morning"));

    let r = t
        .form(
            &nina,
            "/complaints",
            &[("title", "Mail bounced"), ("description", "All morning, again"), ("service_id", &email)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/complaints/CMP-000001");
    let (status, page) = t.page(&nina, "/complaints/CMP-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Mail bounced") && page.contains("All morning, again"));
    assert!(page.contains("Managed e-mail"));
    let (_, list) = t.page(&nina, "/complaints").await;
    assert!(list.contains("CMP-000001"));

    let c = body(t.get(&t.admin_token, "/api/v1/complaints/CMP-000001").await).await;
    assert_eq!(c["customer"]["id"], north.as_str());
    assert_eq!(c["service"]["ref"], "SVC-000001");

    let carlos = t.login("carlos@contoso.example", PASSWORD).await;
    let (status, page) = t.page(&carlos, "/complaints/CMP-000001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Mail bounced"));
    let (_, list) = t.page(&carlos, "/complaints").await;
    assert!(!list.contains("CMP-000001"));
}

#[tokio::test]
async fn customers_receiving_the_same_service_cannot_read_or_add_comments_and_files_on_it() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let contoso = t.customer("Contoso Logistics").await;
    let admin = t.admin_token.clone();
    service(&t, &admin, "Managed e-mail", &[&north, &contoso]).await;
    let r = t
        .post(
            &admin,
            "/api/v1/services/SVC-000001/comments",
            json!({"body": "Renewal price agreed with Contoso", "public": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    for sub in ["comments", "attachments"] {
        let p =
            problem(t.get(&nina, &format!("/api/v1/services/SVC-000001/{sub}")).await, StatusCode::FORBIDDEN)
                .await;
        assert_eq!(p["code"], "auth.forbidden", "{sub}");
    }
    let r =
        t.post(&nina, "/api/v1/services/SVC-000001/comments", json!({"body": "Hello other customers"})).await;
    assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    let comments = body(t.get(&admin, "/api/v1/services/SVC-000001/comments").await).await;
    assert_eq!(comments["items"].as_array().map(Vec::len), Some(1), "nothing was added");
    // The page the customer sees has neither the comment nor the forms.
    let cookie = t.login("nina@northwind.example", PASSWORD).await;
    let (status, page) = t.page(&cookie, "/services/SVC-000001").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Managed e-mail"));
    assert!(!page.contains("Renewal price"), "another customer's discussion is not shown");
    assert!(!page.contains("Add a comment") && !page.contains("Upload"));
}

#[tokio::test]
async fn only_managers_change_what_a_service_depends_on_and_closed_complaints_stay_closed() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    let admin = t.admin_token.clone();
    let svc = service(&t, &admin, "Managed e-mail", &[&north]).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let other = service(&t, &admin, "Directory", &[]).await;
    let link = json!({"link_type": "depends_on", "target": other["ref"]});
    let r = t.post(&agent, "/api/v1/services/SVC-000001/links", link.clone()).await;
    assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    let links = body(t.get(&admin, "/api/v1/services/SVC-000001/links").await).await;
    assert_eq!(links["items"], json!([]), "the agent changed nothing");
    // A plain association is still the agent's to make.
    let r = t
        .post(
            &agent,
            "/api/v1/services/SVC-000001/links",
            json!({"link_type": "relates_to", "target": other["ref"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let manager = t.user("morgan@provider.example", "manager", None).await;
    let r = t.post(&manager, "/api/v1/services/SVC-000001/links", link).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let c = body(
        t.post(
            &admin,
            "/api/v1/complaints",
            json!({"title": "Slow", "customer_id": north, "service_id": svc["id"]}),
        )
        .await,
    )
    .await;
    let key = format!("/api/v1/complaints/{}", c["ref"].as_str().expect("ref"));
    let r = t.patch(&admin, &key, Some(1), json!({"outcome": "Fixed and credited"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    for to in ["investigated", "actioned", "closed"] {
        let r = t.post(&admin, &format!("{key}/transitions"), json!({"to": to})).await;
        assert_eq!(r.status(), StatusCode::OK, "{to}");
    }
    let r = t.patch(&admin, &key, Some(5), json!({"outcome": ""})).await;
    assert_eq!(problem(r, StatusCode::CONFLICT).await["code"], "complaint.closed");
    let after = body(t.get(&admin, &key).await).await;
    assert_eq!((after["outcome"].as_str(), after["version"].as_i64()), (Some("Fixed and credited"), Some(5)));
}
