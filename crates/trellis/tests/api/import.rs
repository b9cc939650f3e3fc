//! CSV import over HTTP: one bad row imports nothing and is named with its line and reason; a
//! clean file imports every row (journalled, visible to impact analysis); the page shows
//! progress and the report.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, problem};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

async fn import(t: &TestApp, token: &str, kind: &str, dry_run: bool, csv: &str) -> reqwest::Response {
    t.client
        .post(t.at(&format!("/api/v1/imports/{kind}?dry_run={dry_run}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import")
}

async fn count(t: &TestApp, path: &str) -> usize {
    body(t.get(&t.admin_token, path).await).await["items"].as_array().map_or(0, Vec::len)
}

/// A Server CI type with a required integer and a choice.
async fn server_type(t: &TestApp) {
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/ci-types",
            json!({"name": "Server", "attributes": [
                {"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
                {"key": "os", "label": "OS", "kind": "choice", "choices": ["linux", "windows"]}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

const GOOD_CIS: &str = "name,type,criticality,customer,owner,cost,warranty_expires,cpu_cores,os\n\
    db-01,Server,high,Northwind Health,admin@test.example,12500.00,2028-06-30,16,linux\n\
    app-01,server,medium,,,,,8,\n\
    \"web-01, edge\",Server,low,Northwind Health,,99.5,,4,windows\n";

#[tokio::test]
async fn a_csv_file_with_one_bad_row_imports_nothing_and_names_the_row_and_the_reason() {
    let t = TestApp::spawn().await;
    t.customer("Northwind Health").await;
    server_type(&t).await;
    let bad = GOOD_CIS.replace("app-01,server,medium", "app-01,server,urgent");
    let r = import(&t, &t.admin_token, "cis", false, &bad).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "import.rows_invalid");
    assert_eq!(p["errors"].as_array().map(Vec::len), Some(1), "{p}");
    assert_eq!(p["errors"][0]["field"], "line 3: criticality");
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("must be one of"), "{p}");
    assert_eq!(count(&t, "/api/v1/cis").await, 0, "nothing was imported");

    // Every bad row is listed, each with its own reason.
    let worse = "name,type,criticality,customer,cpu_cores,colour\n\
        ok-01,Server,low,,2,\n\
        ,Server,low,,2,\n\
        x-02,Router,low,,2,\n\
        x-03,Server,low,Contoso,,\n\
        x-04,Server,low,,two,\n\
        x-05,Server,low\n\
        x-06,Server,low,,2,blue\n";
    let r = import(&t, &t.admin_token, "cis", false, worse).await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let got: Vec<(String, String)> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (e["field"].as_str().unwrap_or("").to_owned(), e["message"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "line 7: ",
            "line 3: name",
            "line 4: type",
            "line 5: customer",
            "line 5: cpu_cores",
            "line 6: cpu_cores",
            "line 8: colour"
        ],
        "{got:?}"
    );
    assert!(got[0].1.contains("3 fields where the header has 6"), "{got:?}");
    // A row without a type is a bad row too, and the rest of it is still checked.
    let r = import(
        &t,
        &t.admin_token,
        "cis",
        false,
        "name,type,criticality
db-09,,urgent
",
    )
    .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["line 2: criticality", "line 2: type"]);
    // A file that is not UTF-8 is named as such.
    let latin1 = t
        .client
        .post(t.at("/api/v1/imports/cis"))
        .bearer_auth(&t.admin_token)
        .body(vec![b'n', b'a', b'm', b'e', b'\n', 0xE9, b'\n'])
        .send()
        .await
        .expect("import");
    problem(latin1, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(got[2].1.contains("no CI type \"Router\""), "{got:?}");
    assert_eq!(count(&t, "/api/v1/cis").await, 0);

    // The dry run of the clean file finds nothing wrong and stores nothing.
    let r = import(&t, &t.admin_token, "cis", true, GOOD_CIS).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report = body(r).await;
    assert_eq!(report["rows"], 3);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(count(&t, "/api/v1/cis").await, 0);
}

#[tokio::test]
async fn a_clean_csv_file_imports_every_row() {
    let t = TestApp::spawn().await;
    let north = t.customer("Northwind Health").await;
    server_type(&t).await;
    let r = import(&t, &t.admin_token, "cis", false, GOOD_CIS).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let report = body(r).await;
    assert_eq!(report["imported"], json!(["CI-000001", "CI-000002", "CI-000003"]));
    let db = body(t.get(&t.admin_token, "/api/v1/cis/CI-000001").await).await;
    assert_eq!(db["name"], "db-01");
    assert_eq!(db["attributes"], json!({"cpu_cores": 16, "os": "linux"}));
    assert_eq!(db["customer"]["id"], north.as_str());
    assert_eq!(db["cost"], "12500.00");
    let web = body(t.get(&t.admin_token, "/api/v1/cis/CI-000003").await).await;
    assert_eq!(web["name"], "web-01, edge");
    let journal = body(t.get(&t.admin_token, "/api/v1/cis/CI-000002/journal").await).await;
    assert_eq!(journal["items"][0]["action"], "created");

    // Imported CIs are part of the configuration graph at once.
    let r = t
        .post(
            &t.admin_token,
            "/api/v1/cis/CI-000002/links",
            json!({"link_type": "depends_on", "target": "CI-000001"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let impact = body(t.get(&t.admin_token, "/api/v1/cis/CI-000001/impact").await).await;
    assert!(impact.to_string().contains("CI-000002"), "{impact}");
}

#[tokio::test]
async fn customers_services_and_suppliers_import_with_names_resolved() {
    let t = TestApp::spawn().await;
    t.customer("Contoso").await;
    let r = import(
        &t,
        &t.admin_token,
        "customers",
        false,
        "name,notes\nNorthwind Health,Hospital group\ncontoso,dup\nFabrikam,\nfabrikam,again\n",
    )
    .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["line 3: name", "line 5: name"]);
    let r = import(
        &t,
        &t.admin_token,
        "customers",
        false,
        "\u{feff}Name,Notes\nNorthwind Health,Hospital group\nFabrikam,\n",
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(body(r).await["imported"], json!(["Northwind Health", "Fabrikam"]));

    let services = "name,criticality,owner,customers\nManaged e-mail,high,admin@test.example,Northwind Health; fabrikam\nBackup,low,,\n";
    let r = import(&t, &t.admin_token, "services", false, services).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let email = body(t.get(&t.admin_token, "/api/v1/services/SVC-000001").await).await;
    let customers: Vec<&str> =
        email["customers"].as_array().expect("customers").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(customers.len(), 2, "{email}");
    assert!(customers.contains(&"Fabrikam"));

    let r = import(
        &t,
        &t.admin_token,
        "suppliers",
        false,
        "name,supplier_type,owner\nFibreLink,external,nobody@x.example\nIT Ops,internal,\n",
    )
    .await;
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "line 2: owner");
    let r = import(
        &t,
        &t.admin_token,
        "suppliers",
        false,
        "name,supplier_type\nFibreLink,external\nIT Ops,internal\n",
    )
    .await;
    assert_eq!(body(r).await["imported"], json!(["SUP-000001", "SUP-000002"]));

    // Unknown columns are refused for fixed kinds; importing needs the right to make the records.
    let r =
        import(&t, &t.admin_token, "suppliers", true, "name,supplier_type,colour\nX,external,red\n").await;
    assert_eq!(body(r).await["problems"][0]["column"], "colour");
    let agent = t.user("avery@provider.example", "agent", None).await;
    problem(import(&t, &agent, "customers", true, "name\nX\n").await, StatusCode::FORBIDDEN).await;
    problem(import(&t, &t.admin_token, "widgets", true, "name\nX\n").await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_import_page_shows_progress_and_the_report() {
    let t = TestApp::spawn().await;
    t.customer("Northwind Health").await;
    server_type(&t).await;
    let cookie = t.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let upload = |csv: &'static str, dry_run: bool| {
        let mut form = reqwest::multipart::Form::new()
            .text("kind", "cis")
            .part("file", reqwest::multipart::Part::text(csv).file_name("servers.csv"));
        if dry_run {
            form = form.text("dry_run", "true");
        }
        t.client
            .post(t.at("/imports"))
            .header("cookie", &cookie)
            .header("origin", &t.url)
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
    };
    let finished = |location: String| {
        let (t, cookie) = (&t, cookie.clone());
        async move {
            for _ in 0..100 {
                let (status, html) = t.page(&cookie, &location).await;
                assert_eq!(status, StatusCode::OK);
                if !html.contains("hx-trigger=\"every 1s\"") {
                    return html;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the import did not finish");
        }
    };
    let r = upload("name,type,criticality,cpu_cores\ndb-01,Server,high,16\napp-01,Server,urgent,4\n", false)
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = finished(r.headers()["location"].to_str().expect("location").to_owned()).await;
    assert!(html.contains("nothing was imported") && html.contains("criticality"), "{html}");
    assert_eq!(count(&t, "/api/v1/cis").await, 0);

    let r = upload("name,type,criticality,cpu_cores\ndb-01,Server,high,16\n", false).await.expect("upload");
    let html = finished(r.headers()["location"].to_str().expect("location").to_owned()).await;
    assert!(html.contains("Imported 1 rows") && html.contains("CI-000001"), "{html}");
    let (_, list) = t.page(&cookie, "/imports").await;
    assert!(list.contains("servers.csv") && list.contains("1 imported"), "{list}");
}
