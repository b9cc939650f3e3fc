//! Configuration management over HTTP: CI types and their attribute schemas, configuration
//! items, relationships and impact analysis, verification, and the CMDB pages.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use trellis_app::Clock;

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

fn server_schema() -> Value {
    json!([
        {"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
        {"key": "os", "label": "Operating system", "kind": "choice", "required": false, "choices": ["linux", "windows"]},
        {"key": "purchased", "label": "Purchased", "kind": "date", "required": false},
        {"key": "virtual", "label": "Virtual", "kind": "boolean", "required": false},
        {"key": "ram_gb", "label": "RAM (GB)", "kind": "number", "required": false},
        {"key": "notes", "label": "Notes", "kind": "text", "required": false}
    ])
}

/// Defines a CI type as the administrator and returns its id.
async fn ci_type(t: &TestApp, name: &str, attributes: Value) -> String {
    let r = t.post(&t.admin_token, "/api/v1/ci-types", json!({"name": name, "attributes": attributes})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "create CI type {name}");
    body(r).await["id"].as_str().expect("id").to_owned()
}

/// Records a CI of a type with no required attributes and returns its JSON.
async fn ci(t: &TestApp, ci_type_id: &str, name: &str) -> Value {
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/cis",
            json!({"name": name, "ci_type_id": ci_type_id, "attributes": {}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "create CI {name}");
    body(r).await
}

async fn link(t: &TestApp, from: &str, link_type: &str, to: &str) {
    let collection = if from.starts_with("SVC-") { "services" } else { "cis" };
    let r = t
        .post(
            &t.admin_token,
            &format!("/api/v1/{collection}/{from}/links"),
            json!({"link_type": link_type, "target": to}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{from} {link_type} {to}");
}

async fn ci_count(t: &TestApp) -> usize {
    body(t.get(&t.admin_token, "/api/v1/cis").await).await["items"].as_array().map_or(0, Vec::len)
}

/// The fields named by a 422 answer, sorted.
fn fields(p: &Value) -> Vec<String> {
    let mut f: Vec<String> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect();
    f.sort();
    f
}

#[tokio::test]
async fn admin_defines_a_ci_type_with_attributes_and_a_manager_may_not() {
    let t = TestApp::spawn().await;
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/ci-types",
            json!({"name": "Server", "description": "Physical or virtual", "attributes": server_schema()}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ty = body(r).await;
    assert_eq!((ty["name"].as_str(), ty["version"].as_i64()), (Some("Server"), Some(1)));
    assert_eq!(ty["attributes"], server_schema());
    let id = ty["id"].as_str().expect("id");
    let read = body(t.get(&t.admin_token, &format!("/api/v1/ci-types/{id}")).await).await;
    assert_eq!(read["attributes"], server_schema());

    let manager = t.user("morgan@provider.example", "manager", None).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    for who in [&manager, &agent] {
        let p = problem(
            t.post(who, "/api/v1/ci-types", json!({"name": "Router", "attributes": []})).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(p["code"], "auth.forbidden");
    }
    // Managers read the types they use.
    let list = body(t.get(&manager, "/api/v1/ci-types").await).await;
    let names: Vec<&str> =
        list["items"].as_array().expect("items").iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["Server"]);

    // A schema with a key defined twice and a choice without choices names each mistake.
    let p = problem(
        t.post(
            &t.admin_token,
            "/api/v1/ci-types",
            json!({"name": "Broken", "attributes": [
                {"key": "os", "label": "OS", "kind": "text"},
                {"key": "os", "label": "OS again", "kind": "text"},
                {"key": "colour", "label": "Colour", "kind": "choice"}
            ]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["attributes[1].key", "attributes[2].choices"]);
    let list = body(t.get(&t.admin_token, "/api/v1/ci-types").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "the broken type was not stored");

    // Replacing the schema needs the version read.
    let put = |v: Option<i64>| {
        let mut req = t
            .client
            .put(t.at(&format!("/api/v1/ci-types/{id}")))
            .bearer_auth(&t.admin_token)
            .json(&json!({"name": "Server", "attributes": [{"key": "cpu_cores", "label": "Cores", "kind": "integer"}]}));
        if let Some(v) = v {
            req = req.header("if-match", format!("\"{v}\""));
        }
        req.send()
    };
    problem(put(None).await.expect("PUT"), StatusCode::PRECONDITION_REQUIRED).await;
    let r = put(Some(1)).await.expect("PUT");
    assert_eq!(r.status(), StatusCode::OK);
    let ty = body(r).await;
    assert_eq!(ty["version"], 2);
    assert_eq!(
        ty["attributes"],
        json!([{"key": "cpu_cores", "label": "Cores", "kind": "integer", "required": false}])
    );
}

#[tokio::test]
async fn ci_attributes_are_checked_against_the_type_and_nothing_is_stored_when_wrong() {
    let t = TestApp::spawn().await;
    let server = ci_type(&t, "Server", server_schema()).await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let attempt = |attributes: Value, extra: Value| {
        let mut b = json!({"name": "db-prod-01", "ci_type_id": server, "attributes": attributes});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        t.post(&agent, "/api/v1/cis", b)
    };

    let p = problem(
        attempt(json!({"cpu_cores": "eight", "os": "beos", "colour": "red"}), json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["attributes.colour", "attributes.cpu_cores", "attributes.os"]);
    let messages: BTreeMap<String, String> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (e["field"].as_str().unwrap_or("").to_owned(), e["message"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    assert_eq!(messages["attributes.colour"], "is not an attribute of this CI type");
    assert_eq!(messages["attributes.cpu_cores"], "must be a whole number");
    assert_eq!(messages["attributes.os"], "must be one of the type's choices");

    let p = problem(attempt(json!({"os": "linux"}), json!({})).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"], json!([{"field": "attributes.cpu_cores", "message": "is required"}]));
    let p = problem(
        attempt(
            json!({"cpu_cores": 4, "purchased": "yesterday", "virtual": "yes", "ram_gb": "lots"}),
            json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["attributes.purchased", "attributes.ram_gb", "attributes.virtual"]);
    let p = problem(
        attempt(json!({"cpu_cores": 4}), json!({"warranty_expires": "2028-02-30"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"], json!([{"field": "warranty_expires", "message": "must be a date (YYYY-MM-DD)"}]));
    let p = problem(
        attempt(json!({"cpu_cores": 4}), json!({"cost": "12.345"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["cost"]);
    assert_eq!(ci_count(&t).await, 0, "nothing stored by refused requests");

    let r = attempt(
        json!({"cpu_cores": 32, "os": "linux", "purchased": "2025-03-01", "virtual": false, "ram_gb": 15.5, "notes": ""}),
        json!({"criticality": "high", "location": "DC1 rack 4", "cost": "1234.5", "warranty_expires": "2028-03-31"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["location"], "/api/v1/cis/CI-000001");
    let c = body(r).await;
    assert_eq!(c["ref"], "CI-000001");
    assert_eq!(c["kind"], "configuration_item");
    assert_eq!(c["status"], "planned");
    assert_eq!(c["allowed_transitions"], json!(["in_use", "retired"]));
    assert_eq!(c["ci_type"], json!({"id": server, "name": "Server"}));
    assert_eq!(
        (
            c["criticality"].as_str(),
            c["location"].as_str(),
            c["cost"].as_str(),
            c["warranty_expires"].as_str()
        ),
        (Some("high"), Some("DC1 rack 4"), Some("1234.50"), Some("2028-03-31"))
    );
    // Typed values come back typed; an empty text is "not set" and is not stored.
    assert_eq!(
        c["attributes"],
        json!({"cpu_cores": 32, "os": "linux", "purchased": "2025-03-01", "virtual": false, "ram_gb": 15.5})
    );
    assert_eq!(c["last_verified_at"], Value::Null);
    let read = body(t.get(&agent, "/api/v1/cis/CI-000001").await).await;
    assert_eq!(read["attributes"], c["attributes"]);
    assert_eq!(ci_count(&t).await, 1);
}

#[tokio::test]
async fn relationship_rules_refuse_wrong_kinds_self_links_and_duplicates() {
    let t = TestApp::spawn().await;
    let ty = ci_type(&t, "Server", json!([])).await;
    ci(&t, &ty, "app-01").await;
    ci(&t, &ty, "vm-01").await;
    let r =
        t.post(&t.admin_token, "/api/v1/services", json!({"name": "Portal", "criticality": "high"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let admin = &t.admin_token;

    for (path, body_) in [
        ("/api/v1/services/SVC-000001/links", json!({"link_type": "runs_on", "target": "CI-000001"})),
        ("/api/v1/cis/CI-000001/links", json!({"link_type": "connected_to", "target": "SVC-000001"})),
        ("/api/v1/cis/CI-000001/links", json!({"link_type": "part_of", "target": "SVC-000001"})),
    ] {
        let p = problem(t.post(admin, path, body_.clone()).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(fields(&p), ["link_type"], "{path} {body_}");
    }
    for (target, why) in [("CI-000001", "itself"), ("CI-999999", "nothing")] {
        let p = problem(
            t.post(
                admin,
                "/api/v1/cis/CI-000001/links",
                json!({"link_type": "depends_on", "target": target}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&p), ["target"], "link to {why}");
    }

    link(&t, "CI-000001", "runs_on", "CI-000002").await;
    let p = problem(
        t.post(admin, "/api/v1/cis/CI-000001/links", json!({"link_type": "runs_on", "target": "CI-000002"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(p["code"], "link.exists");
    // A service depends on a CI (by id as well as by reference).
    let app_id = body(t.get(admin, "/api/v1/cis/CI-000001").await).await["id"].clone();
    link(&t, "SVC-000001", "depends_on", app_id.as_str().expect("id")).await;

    let links = body(t.get(admin, "/api/v1/cis/CI-000001/links").await).await;
    assert_eq!(links["items"].as_array().map(Vec::len), Some(2), "one link out, one in: {links}");
    let on_vm = body(t.get(admin, "/api/v1/cis/CI-000002/links").await).await;
    assert_eq!(on_vm["items"].as_array().map(Vec::len), Some(1), "the refused links were not stored");
}

/// The graph of the impact tests, built through the API. Edges read "needs":
///
/// ```text
///   SVC-1 order portal ─needs→ app1 ─runs_on→ vm1 ─runs_on→ host ⇄ switch (connected_to)
///                                 └─runs_on→ vm2 ─runs_on→ host
///   SVC-2 reporting ─depends_on→ SVC-1, SVC-2 ─depends_on→ cluster ─depends_on→ host
///   db ─part_of→ cluster  (the cluster needs the db)
/// ```
/// Customer "Contoso" receives SVC-1 and SVC-3 (unaffected), "Fabrikam" receives SVC-2,
/// "Northwind" only SVC-3.
struct Graph {
    refs: BTreeMap<&'static str, String>,
    ids: BTreeMap<&'static str, String>,
    customers: BTreeMap<&'static str, String>,
}

impl Graph {
    fn r(&self, name: &str) -> String {
        self.refs[name].clone()
    }

    /// The name whose id is smallest: the walk's `via` when two records reach one at the same depth.
    fn first_of(&self, a: &'static str, b: &'static str) -> &'static str {
        if self.ids[a] < self.ids[b] { a } else { b }
    }

    /// `(ref, depth, via-ref)` triples from names.
    fn expect(&self, rows: &[(&str, u64, &str)]) -> BTreeSet<(String, u64, String)> {
        rows.iter().map(|(n, d, v)| (self.r(n), *d, self.r(v))).collect()
    }
}

async fn build_graph(t: &TestApp) -> Graph {
    let ty = ci_type(t, "Node", json!([])).await;
    let mut refs = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for name in ["app1", "vm1", "vm2", "host", "switch", "db", "cluster"] {
        let c = ci(t, &ty, name).await;
        refs.insert(name, c["ref"].as_str().expect("ref").to_owned());
        ids.insert(name, c["id"].as_str().expect("id").to_owned());
    }
    let mut customers = BTreeMap::new();
    for name in ["Contoso", "Fabrikam", "Northwind"] {
        customers.insert(name, t.customer(name).await);
    }
    for (name, receivers) in [
        ("portal", vec!["Contoso"]),
        ("reporting", vec!["Fabrikam"]),
        ("payroll", vec!["Contoso", "Northwind"]),
    ] {
        let ids_of: Vec<&String> = receivers.iter().map(|c| &customers[c]).collect();
        let r = t
            .post(
                &t.admin_token,
                "/api/v1/services",
                json!({"name": name, "criticality": "high", "customer_ids": ids_of}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let s = body(r).await;
        refs.insert(name, s["ref"].as_str().expect("ref").to_owned());
        ids.insert(name, s["id"].as_str().expect("id").to_owned());
    }
    let g = Graph { refs, ids, customers };
    for (from, lt, to) in [
        ("app1", "runs_on", "vm1"),
        ("app1", "runs_on", "vm2"),
        ("vm1", "runs_on", "host"),
        ("vm2", "runs_on", "host"),
        ("host", "connected_to", "switch"),
        ("db", "part_of", "cluster"),
        ("cluster", "depends_on", "host"),
        ("portal", "depends_on", "app1"),
        ("reporting", "depends_on", "portal"),
        ("reporting", "depends_on", "cluster"),
    ] {
        link(t, &g.r(from), lt, &g.r(to)).await;
    }
    g
}

/// `(ref, depth, via)` of every record in an impact answer; fails if a record appears twice.
fn reached(impact: &Value) -> BTreeSet<(String, u64, String)> {
    let records = impact["records"].as_array().expect("records");
    let set: BTreeSet<(String, u64, String)> = records
        .iter()
        .map(|r| {
            (
                r["ref"].as_str().expect("ref").to_owned(),
                r["depth"].as_u64().expect("depth"),
                r["via"].as_str().expect("via").to_owned(),
            )
        })
        .collect();
    let distinct: BTreeSet<&str> = records.iter().filter_map(|r| r["ref"].as_str()).collect();
    assert_eq!(distinct.len(), records.len(), "a record is reported more than once: {impact}");
    set
}

fn service_refs(impact: &Value) -> BTreeSet<String> {
    impact["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s.as_str().expect("ref").to_owned())
        .collect()
}

/// Customer name → the affected services they receive.
fn customers(impact: &Value) -> BTreeMap<String, Vec<String>> {
    impact["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|c| {
            let svcs = c["services"].as_array().expect("services").iter().filter_map(|s| s.as_str());
            (c["name"].as_str().expect("name").to_owned(), svcs.map(str::to_owned).collect())
        })
        .collect()
}

#[tokio::test]
async fn impact_over_a_diamond_and_a_cycle_reports_each_record_once_at_its_shortest_distance() {
    let t = TestApp::spawn().await;
    let g = build_graph(&t).await;
    let host = g.r("host");

    let i = body(t.get(&t.admin_token, &format!("/api/v1/cis/{host}/impact")).await).await;
    assert_eq!((i["ref"].as_str(), i["direction"].as_str()), (Some(host.as_str()), Some("dependents")));
    // Depth 1: everything that needs the host, including the switch (connected, so mutual).
    // Depth 2: app1 through either VM (the diamond), reporting through the cluster. Depth 3: the
    // portal through app1. Reporting also needs the portal (depth 4) but is kept at depth 2, and
    // the switch leads back to the host, which is never reported.
    let first_vm = g.first_of("vm1", "vm2");
    let expected = g.expect(&[
        ("vm1", 1, "host"),
        ("vm2", 1, "host"),
        ("switch", 1, "host"),
        ("cluster", 1, "host"),
        ("app1", 2, first_vm),
        ("reporting", 2, "cluster"),
        ("portal", 3, "app1"),
    ]);
    assert_eq!(reached(&i), expected);
    assert!(i["records"].as_array().expect("records").iter().all(|r| r["ref"] != host.as_str()));
    let depths: Vec<u64> =
        i["records"].as_array().expect("records").iter().filter_map(|r| r["depth"].as_u64()).collect();
    assert!(depths.windows(2).all(|w| w[0] <= w[1]), "nearest first: {depths:?}");
    assert_eq!(service_refs(&i), [g.r("portal"), g.r("reporting")].into_iter().collect());
    let expected_customers: BTreeMap<String, Vec<String>> =
        [("Contoso".to_owned(), vec![g.r("portal")]), ("Fabrikam".to_owned(), vec![g.r("reporting")])]
            .into_iter()
            .collect();
    assert_eq!(customers(&i), expected_customers, "Northwind receives no affected service");
    let contoso =
        i["customers"].as_array().expect("customers").iter().find(|c| c["name"] == "Contoso").cloned();
    assert_eq!(contoso.expect("Contoso")["id"], g.customers["Contoso"].as_str());

    // Only the direct neighbours with depth=1.
    let i = body(t.get(&t.admin_token, &format!("/api/v1/cis/{host}/impact?depth=1")).await).await;
    let expected =
        g.expect(&[("vm1", 1, "host"), ("vm2", 1, "host"), ("switch", 1, "host"), ("cluster", 1, "host")]);
    assert_eq!(reached(&i), expected);
    assert_eq!(i["customers"], json!([]));

    // What app1 relies on: both VMs, the host behind them, the switch behind the host.
    let app1 = g.r("app1");
    let i =
        body(t.get(&t.admin_token, &format!("/api/v1/cis/{app1}/impact?direction=dependencies")).await).await;
    assert_eq!(i["direction"], "dependencies");
    let expected =
        g.expect(&[("vm1", 1, "app1"), ("vm2", 1, "app1"), ("host", 2, first_vm), ("switch", 3, "host")]);
    assert_eq!(reached(&i), expected);
    assert_eq!(i["customers"], json!([]), "customers are named only for dependents");

    // part_of: the whole needs its part, so the db's failure reaches the cluster and beyond.
    let db = g.r("db");
    let i = body(t.get(&t.admin_token, &format!("/api/v1/cis/{db}/impact")).await).await;
    assert_eq!(reached(&i), g.expect(&[("cluster", 1, "db"), ("reporting", 2, "cluster")]));
    let i =
        body(t.get(&t.admin_token, &format!("/api/v1/cis/{db}/impact?direction=dependencies")).await).await;
    assert_eq!(reached(&i), BTreeSet::new(), "a part needs nothing");

    // The switch is in a cycle with the host: both directions stop there.
    let switch = g.r("switch");
    let i = body(t.get(&t.admin_token, &format!("/api/v1/cis/{switch}/impact?direction=dependencies")).await)
        .await;
    assert_eq!(reached(&i), g.expect(&[("host", 1, "switch")]));

    let p = problem(
        t.get(&t.admin_token, &format!("/api/v1/cis/{host}/impact?direction=sideways")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(fields(&p), ["direction"]);
}

#[tokio::test]
async fn service_impact_names_the_services_depending_on_it_and_the_customers_affected() {
    let t = TestApp::spawn().await;
    let g = build_graph(&t).await;
    let portal = g.r("portal");
    let i = body(t.get(&t.admin_token, &format!("/api/v1/services/{portal}/impact")).await).await;
    assert_eq!(i["ref"], portal.as_str());
    assert_eq!(reached(&i), g.expect(&[("reporting", 1, "portal")]));
    assert_eq!(service_refs(&i), [g.r("reporting")].into_iter().collect());
    // The analysed service's own customers are affected too.
    let expected: BTreeMap<String, Vec<String>> =
        [("Contoso".to_owned(), vec![portal.clone()]), ("Fabrikam".to_owned(), vec![g.r("reporting")])]
            .into_iter()
            .collect();
    assert_eq!(customers(&i), expected);

    let reporting = g.r("reporting");
    let i = body(
        t.get(&t.admin_token, &format!("/api/v1/services/{reporting}/impact?direction=dependencies")).await,
    )
    .await;
    let expected = g.expect(&[
        ("portal", 1, "reporting"),
        ("cluster", 1, "reporting"),
        ("app1", 2, "portal"),
        ("db", 2, "cluster"),
        ("host", 2, "cluster"),
        ("vm1", 3, "app1"),
        ("vm2", 3, "app1"),
        ("switch", 3, "host"),
    ]);
    assert_eq!(reached(&i), expected);
    assert_eq!(service_refs(&i), [portal].into_iter().collect());
    assert_eq!(i["customers"], json!([]));

    // A service nothing depends on still affects its own customers.
    let payroll = g.r("payroll");
    let i = body(t.get(&t.admin_token, &format!("/api/v1/services/{payroll}/impact")).await).await;
    assert_eq!(reached(&i), BTreeSet::new());
    let expected: BTreeMap<String, Vec<String>> =
        [("Contoso".to_owned(), vec![payroll.clone()]), ("Northwind".to_owned(), vec![payroll.clone()])]
            .into_iter()
            .collect();
    assert_eq!(customers(&i), expected);
}

#[tokio::test]
async fn verification_sets_last_verified_at_and_the_lifecycle_refuses_invalid_moves() {
    let t = TestApp::spawn().await;
    let ty = ci_type(&t, "Server", json!([])).await;
    ci(&t, &ty, "db-prod-01").await;
    let agent = t.user("alex@provider.example", "agent", None).await;
    let path = "/api/v1/cis/CI-000001";
    t.clock.advance(jiff::SignedDuration::from_hours(30));
    let expected_at = t.clock.now();

    let r =
        t.client.post(t.at(&format!("{path}/verifications"))).bearer_auth(&agent).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let c = body(r).await;
    assert_eq!(c["version"], 2);
    let at: jiff::Timestamp =
        c["last_verified_at"].as_str().expect("last_verified_at set").parse().expect("time");
    assert_eq!(at.as_microsecond(), expected_at.as_microsecond(), "verified at the clock's now");
    let created: jiff::Timestamp = c["created_at"].as_str().expect("created_at").parse().expect("time");
    assert!(at > created);

    // A stale version is refused and changes nothing.
    let r = t
        .client
        .post(t.at(&format!("{path}/verifications")))
        .bearer_auth(&agent)
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect("POST");
    assert_eq!(problem(r, StatusCode::PRECONDITION_FAILED).await["code"], "record.version_mismatch");
    let j = body(t.get(&agent, &format!("{path}/journal")).await).await;
    let actions: Vec<&str> =
        j["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["created", "updated"]);
    assert_eq!(j["items"][1]["changes"][0]["field"], "last_verified_at");

    let transitions = format!("{path}/transitions");
    let move_to = |to: &'static str| t.post(&agent, &transitions, json!({"to": to}));
    let r = move_to("in_use").await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = body(r).await;
    assert_eq!((c["status"].as_str(), c["version"].as_i64()), (Some("in_use"), Some(3)));
    assert_eq!(c["allowed_transitions"], json!(["maintenance", "retired"]));
    for to in ["planned", "disposed"] {
        let p = problem(move_to(to).await, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "configuration_item.invalid_transition", "in_use → {to}");
    }
    for to in ["retired", "disposed"] {
        assert_eq!(move_to(to).await.status(), StatusCode::OK, "to {to}");
    }
    let p = problem(move_to("in_use").await, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "configuration_item.invalid_transition", "disposed is final");
    let now = body(t.get(&agent, path).await).await;
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("disposed"), Some(5)));
    assert_eq!(now["allowed_transitions"], json!([]));
}

#[tokio::test]
async fn customer_user_has_no_cmdb_access_and_auditor_reads_but_changes_nothing() {
    let t = TestApp::spawn().await;
    let ty = ci_type(&t, "Server", json!([])).await;
    ci(&t, &ty, "app-01").await;
    ci(&t, &ty, "vm-01").await;
    link(&t, "CI-000001", "runs_on", "CI-000002").await;
    let north = t.customer("Northwind Health").await;
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/services",
            json!({"name": "Portal", "criticality": "low", "customer_ids": [north]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let nina = t.user("nina@northwind.example", "customer", Some(&north)).await;
    for path in [
        "/api/v1/cis".to_owned(),
        "/api/v1/cis/CI-000001".to_owned(),
        "/api/v1/cis/CI-000002/impact".to_owned(),
        "/api/v1/ci-types".to_owned(),
        format!("/api/v1/ci-types/{ty}"),
        "/api/v1/services/SVC-000001/impact".to_owned(),
    ] {
        assert_eq!(
            problem(t.get(&nina, &path).await, StatusCode::FORBIDDEN).await["code"],
            "auth.forbidden",
            "{path}"
        );
    }
    let p = problem(
        t.post(&nina, "/api/v1/cis", json!({"name": "mine", "ci_type_id": ty, "attributes": {}})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(p["code"], "auth.forbidden");

    let auditor = t.user("avery@audit.example", "auditor", None).await;
    let i = body(t.get(&auditor, "/api/v1/cis/CI-000002/impact").await).await;
    assert_eq!(reached(&i), [("CI-000001".to_owned(), 1, "CI-000002".to_owned())].into_iter().collect());
    let list = body(t.get(&auditor, "/api/v1/cis").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    let refused = [
        t.post(&auditor, "/api/v1/cis", json!({"name": "x", "ci_type_id": ty, "attributes": {}})).await,
        t.patch(&auditor, "/api/v1/cis/CI-000001", Some(1), json!({"name": "renamed"})).await,
        t.post(&auditor, "/api/v1/cis/CI-000001/transitions", json!({"to": "in_use"})).await,
        t.post(&auditor, "/api/v1/cis/CI-000001/verifications", json!({})).await,
        t.post(
            &auditor,
            "/api/v1/cis/CI-000002/links",
            json!({"link_type": "depends_on", "target": "CI-000001"}),
        )
        .await,
    ];
    for r in refused {
        assert_eq!(problem(r, StatusCode::FORBIDDEN).await["code"], "auth.forbidden");
    }
    let c = body(t.get(&auditor, "/api/v1/cis/CI-000001").await).await;
    assert_eq!(
        (c["name"].as_str(), c["status"].as_str(), c["version"].as_i64()),
        (Some("app-01"), Some("planned"), Some(1))
    );
    assert_eq!(body(t.get(&auditor, "/api/v1/cis").await).await["items"].as_array().map(Vec::len), Some(2));
}

// ---- pages ----

/// The text between `start` and the next `end` after it.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} in page"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or_else(|| panic!("{end} after {start}"))]
}

#[tokio::test]
async fn ci_page_draws_its_relationships_and_lists_the_impact_if_it_fails() {
    let t = TestApp::spawn().await;
    let ty = ci_type(&t, "Server", json!([])).await;
    ci(&t, &ty, "host-01").await; // CI-000001
    ci(&t, &ty, "vm-01").await; // CI-000002
    ci(&t, &ty, "app-01").await; // CI-000003
    ci(&t, &ty, "unrelated-01").await; // CI-000004
    let north = t.customer("Northwind Health").await;
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/services",
            json!({"name": "Portal", "criticality": "low", "customer_ids": [north]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    link(&t, "CI-000002", "runs_on", "CI-000001").await;
    link(&t, "CI-000003", "runs_on", "CI-000002").await;
    link(&t, "SVC-000001", "depends_on", "CI-000003").await;

    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, page) = t.page(&admin, "/cis/CI-000002").await;
    assert_eq!(status, StatusCode::OK);
    let svg = section(&page, "<svg", "</svg>");
    for r in ["CI-000001", "CI-000002", "CI-000003"] {
        assert!(svg.contains(&format!(">{r}</text>")), "{r} drawn");
    }
    assert!(svg.contains("href=\"/cis/CI-000001\"") && svg.contains("href=\"/cis/CI-000003\""));
    assert!(!svg.contains("SVC-000001"), "only direct neighbours are drawn");
    assert!(!svg.contains("CI-000004"));
    assert_eq!(svg.matches("class=\"edge\"").count(), 2, "one arrow per relationship");
    assert!(svg.contains(">runs on</text>"));

    let impact = section(&page, "Impact if it fails", "</table>");
    let rows: Vec<&str> = impact.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{impact}");
    assert!(
        rows[0].contains(">CI-000003</a>") && rows[0].contains("<td>1</td><td>CI-000002</td>"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains(">SVC-000001</a>") && rows[1].contains("<td>2</td><td>CI-000003</td>"),
        "{}",
        rows[1]
    );
    let affected = section(&page, "Customers affected", "</ul>");
    assert!(affected.contains("Northwind Health <small>via SVC-000001</small>"), "{affected}");

    // The top of the stack affects nothing.
    let (_, page) = t.page(&admin, "/cis/CI-000004").await;
    assert!(section(&page, "Impact if it fails", "</table>").contains("Nothing depends on this CI."));
}

#[tokio::test]
async fn admin_defines_a_ci_type_through_the_line_format_form() {
    let t = TestApp::spawn().await;
    let admin = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let schema = "ports | Ports | integer | required\n\nvendor | Vendor | choice | optional | cisco, juniper\nmanaged | Managed | boolean\n";
    let r = t
        .form(
            &admin,
            "/admin/ci-types",
            &[("name", "Switch"), ("description", "Network switches"), ("schema", schema)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/ci-types");
    let list = body(t.get(&t.admin_token, "/api/v1/ci-types").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let ty = &list["items"][0];
    assert_eq!((ty["name"].as_str(), ty["description"].as_str()), (Some("Switch"), Some("Network switches")));
    assert_eq!(
        ty["attributes"],
        json!([
            {"key": "ports", "label": "Ports", "kind": "integer", "required": true},
            {"key": "vendor", "label": "Vendor", "kind": "choice", "required": false, "choices": ["cisco", "juniper"]},
            {"key": "managed", "label": "Managed", "kind": "boolean", "required": false}
        ])
    );
    let (_, page) = t.page(&admin, "/admin/ci-types").await;
    assert!(page.contains("<code>vendor | Vendor | choice | optional | cisco, juniper</code>"));

    // A line in the wrong shape, and a choice without choices: the form comes back as typed.
    let bad = "ports | Ports | integer\nspeed | Speed | fast\n";
    let r =
        t.form(&admin, "/admin/ci-types", &[("name", "Router"), ("description", ""), ("schema", bad)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(page.contains("line 2: write key | label | kind | required | choices"), "names the line");
    assert!(page.contains("speed | Speed | fast"), "keeps what was typed");
    let r = t
        .form(
            &admin,
            "/admin/ci-types",
            &[("name", "Router"), ("description", ""), ("schema", "os | OS | choice")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("attributes[0].choices: a choice needs choices"));
    let list = body(t.get(&t.admin_token, "/api/v1/ci-types").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "refused types were not stored");

    t.user("morgan@provider.example", "manager", None).await;
    let manager = t.login("morgan@provider.example", PASSWORD).await;
    let r =
        t.form(&manager, "/admin/ci-types", &[("name", "Router"), ("description", ""), ("schema", "")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The fields of the CI form, with the type's attributes.
fn ci_form<'a>(ty: &'a str, name: &'a str, cores: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ci_type_id", ty),
        ("name", name),
        ("description", ""),
        ("criticality", "medium"),
        ("owner_id", ""),
        ("team_id", ""),
        ("customer_id", ""),
        ("location", "DC2"),
        ("cost", "99.9"),
        ("warranty_expires", ""),
        ("licence_expires", ""),
        ("licence_seats", ""),
        ("attr.cpu_cores", cores),
        ("attr.os", "linux"),
    ]
}

#[tokio::test]
async fn ci_form_reports_a_bad_attribute_next_to_its_field_and_creates_a_good_one() {
    let t = TestApp::spawn().await;
    let ty = ci_type(
        &t,
        "Server",
        json!([
            {"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
            {"key": "os", "label": "Operating system", "kind": "choice", "choices": ["linux", "windows"]}
        ]),
    )
    .await;
    t.user("alex@provider.example", "agent", None).await;
    let agent = t.login("alex@provider.example", PASSWORD).await;
    let (status, form) = t.page(&agent, &format!("/cis/new?ci_type={ty}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"attr.cpu_cores\"") && form.contains("name=\"attr.os\""));

    let r = t.form(&agent, "/cis", &ci_form(&ty, "web-01", "eight")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    let field = page.find("name=\"attr.cpu_cores\"").expect("cpu_cores input");
    let next = page.find("name=\"attr.os\"").expect("os input");
    let between = &page[field..next];
    assert!(
        between.contains("value=\"eight\" aria-invalid=\"true\""),
        "typed value kept and marked: {between}"
    );
    assert!(between.contains("<p class=\"field-error\">must be a whole number</p>"), "{between}");
    assert!(page.contains("value=\"web-01\""));
    assert_eq!(ci_count(&t).await, 0);

    let r = t.form(&agent, "/cis", &ci_form(&ty, "web-01", "8")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/cis/CI-000001");
    let c = body(t.get(&t.admin_token, "/api/v1/cis/CI-000001").await).await;
    assert_eq!(c["name"], "web-01");
    assert_eq!(c["attributes"], json!({"cpu_cores": 8, "os": "linux"}));
    assert_eq!((c["cost"].as_str(), c["location"].as_str()), (Some("99.90"), Some("DC2")));

    // The edit form carries the version and the typed attributes back.
    let (status, edit) = t.page(&agent, "/cis/CI-000001/edit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        edit.contains("name=\"version\" value=\"1\"") && edit.contains("name=\"attr.cpu_cores\" value=\"8\"")
    );
    let mut fields = ci_form(&ty, "web-01", "16");
    fields.push(("version", "1"));
    let r = t.form(&agent, "/cis/CI-000001/edit", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let c = body(t.get(&t.admin_token, "/api/v1/cis/CI-000001").await).await;
    assert_eq!((c["attributes"]["cpu_cores"].as_i64(), c["version"].as_i64()), (Some(16), Some(2)));

    // Marking it verified from its page.
    let r = t.form(&agent, "/cis/CI-000001/verify", &[("version", "2")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = body(t.get(&t.admin_token, "/api/v1/cis/CI-000001").await).await;
    assert!(c["last_verified_at"].is_string());
    assert_eq!(c["version"], 3);
}
