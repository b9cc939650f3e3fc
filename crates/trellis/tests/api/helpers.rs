//! The test harness: `TestApp::spawn()` starts Trellis exactly as `trellis serve` does, on a fresh
//! database, with a clock the test can move.

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use trellis::config::{Config, Overrides};
use trellis::server::{Server, app_for, open_db};
use trellis_app::{App, Clock};

pub const ADMIN_EMAIL: &str = "admin@test.example";
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";

/// A clock the test controls; starts at the real time.
#[derive(Debug)]
pub struct TestClock(Mutex<Timestamp>);

impl TestClock {
    pub fn advance(&self, d: jiff::SignedDuration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += d;
    }

    /// Moves the clock to `at` (forwards or back).
    pub fn set(&self, at: Timestamp) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// Where a test's database lives; removed when the test ends.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

/// A database URL for one test: a new SQLite directory, or a new schema on `TEST_DATABASE_URL`.
pub async fn test_database() -> (Option<String>, TestDb, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
            let db = trellis_store::Db::connect(
                &url,
                &trellis_store::DbOptions { max_connections: 1, ..Default::default() },
            )
            .await
            .expect("connect to TEST_DATABASE_URL");
            let mut tx = db.begin().await.expect("begin");
            tx.conn()
                .execute(trellis_store::Sql::dynamic(format!("CREATE SCHEMA {schema}"), vec![]))
                .await
                .expect("create schema");
            tx.commit().await.expect("commit");
            db.close().await;
            let sep = if url.contains('?') { '&' } else { '?' };
            let test_url = format!("{url}{sep}options[search_path]={schema}");
            (Some(test_url), TestDb::Postgres { admin_url: url, schema }, dir)
        }
        None => {
            let data = tempfile::tempdir().expect("temp dir");
            (None, TestDb::Sqlite(data), dir)
        }
    }
}

pub struct TestApp {
    pub url: String,
    /// The configuration the server was started with (to open a second instance on its database).
    pub config: Config,
    pub client: reqwest::Client,
    pub admin_token: String,
    pub clock: Arc<TestClock>,
    pub app: App,
    /// Kept so the test's database lives as long as the server (dropped with it).
    _db: TestDb,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with("").await
    }

    /// Starts with these lines added to the configuration file (e.g. `smtp_url = "..."`).
    pub async fn spawn_with(config_lines: &str) -> TestApp {
        let (database_url, db, dir) = test_database().await;
        let data_dir = match &db {
            TestDb::Sqlite(d) => d.path().to_path_buf(),
            TestDb::Postgres { .. } => dir.path().to_path_buf(),
        };
        let overrides =
            Overrides { data_dir: Some(data_dir), bind: Some("127.0.0.1:0".into()), database_url };
        let config = Config::load(Some(&write_config(dir.path(), config_lines)), &overrides).expect("config");
        let clock = Arc::new(TestClock(Mutex::new(Timestamp::now())));
        let database = open_db(&config).await.expect("open database");
        let app = app_for(&config, database, clock.clone());
        trellis_app::identity::bootstrap_admin(&app, ADMIN_EMAIL, Some(ADMIN_PASSWORD.into()))
            .await
            .expect("admin");
        let admin_token =
            trellis_app::auth::create_token_for_email(&app, ADMIN_EMAIL, "tests").await.expect("token").token;
        // Tests run the job worker themselves (`trellis_app::jobs::run_due`), when they choose.
        let server = Server::bind(&config, app.clone()).await.expect("bind").without_job_worker();
        let url = server.url();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        TestApp { url, config, client, admin_token, clock, app, _db: db, _dir: dir, stop: Some(tx) }
    }

    /// The test clock's date (UTC) `days` later, as YYYY-MM-DD.
    pub fn clock_date_plus_days(&self, days: i64) -> String {
        let now = *self.clock.0.lock().expect("clock lock");
        now.to_zoned(jiff::tz::TimeZone::UTC).date().saturating_add(jiff::Span::new().days(days)).to_string()
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.at(path)).bearer_auth(token).send().await.expect("GET")
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.client.post(self.at(path)).bearer_auth(token).json(&body).send().await.expect("POST")
    }

    pub async fn patch(
        &self,
        token: &str,
        path: &str,
        version: Option<i64>,
        body: Value,
    ) -> reqwest::Response {
        let mut req = self.client.patch(self.at(path)).bearer_auth(token).json(&body);
        if let Some(v) = version {
            req = req.header("if-match", format!("\"{v}\""));
        }
        req.send().await.expect("PATCH")
    }

    /// Creates a customer through the API and returns its id.
    pub async fn customer(&self, name: &str) -> String {
        let r = self.post(&self.admin_token, "/api/v1/customers", json!({"name": name})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "create customer");
        r.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned()
    }

    /// Creates a user through the API and returns an API token for them.
    pub async fn user(&self, email: &str, role: &str, customer_id: Option<&str>) -> String {
        let body = json!({"email": email, "display_name": email, "role": role, "customer_id": customer_id, "password": PASSWORD});
        let r = self.post(&self.admin_token, "/api/v1/users", body).await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "create user {email}: {}",
            r.text().await.unwrap_or_default()
        );
        trellis_app::auth::create_token_for_email(&self.app, email, "tests").await.expect("token").token
    }

    /// Logs an incident and returns its JSON.
    pub async fn incident(&self, token: &str, title: &str, customer_id: Option<&str>) -> Value {
        let r =
            self.post(token, "/api/v1/incidents", json!({"title": title, "customer_id": customer_id})).await;
        assert_eq!(r.status(), StatusCode::CREATED, "create incident");
        r.json().await.expect("json")
    }

    /// Logs in through the login form and returns the session cookie (`name=value`).
    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .client
            .post(self.at("/login"))
            .header("origin", &self.url)
            .form(&[("email", email), ("password", password), ("next", "/incidents")])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
        let set = r.headers().get("set-cookie").expect("session cookie").to_str().expect("ascii").to_owned();
        set.split(';').next().expect("cookie pair").to_owned()
    }

    /// A page fetched with a session cookie.
    pub async fn page(&self, cookie: &str, path: &str) -> (StatusCode, String) {
        let r = self.client.get(self.at(path)).header("cookie", cookie).send().await.expect("page");
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// A form posted from the page itself (same origin), as a browser would.
    pub async fn form(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.at(path))
            .header("cookie", cookie)
            .header("origin", &self.url)
            .header("sec-fetch-site", "same-origin")
            .form(fields)
            .send()
            .await
            .expect("form")
    }
}

fn write_config(dir: &std::path::Path, lines: &str) -> std::path::PathBuf {
    let p = dir.join("trellis.toml");
    std::fs::write(&p, format!("# tests use defaults plus overrides\n{lines}\n")).expect("config file");
    p
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let TestDb::Postgres { admin_url, schema } = self else { return };
        // No async in Drop: drop the schema from a helper thread with its own runtime.
        let (url, schema) = (admin_url.clone(), schema.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                let opts = trellis_store::DbOptions { max_connections: 1, ..Default::default() };
                let Ok(db) = trellis_store::Db::connect(&url, &opts).await else { return };
                if let Ok(mut tx) = db.begin().await {
                    let sql = trellis_store::Sql::dynamic(
                        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                        vec![],
                    );
                    let _ = tx.conn().execute(sql).await;
                    let _ = tx.commit().await;
                }
                db.close().await;
            });
        })
        .join();
    }
}

/// The JSON body of a problem answer, after checking its status and content type.
pub async fn problem(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(ct, "application/problem+json");
    let v: Value = r.json().await.expect("problem json");
    assert_eq!(v["status"], status.as_u16());
    assert!(
        v["code"].is_string() && v["title"].is_string() && v["detail"].is_string() && v["type"].is_string()
    );
    v
}

/// How many incidents the admin can see (to prove a bad request changed nothing).
pub async fn incident_count(t: &TestApp) -> usize {
    let r = t.get(&t.admin_token, "/api/v1/incidents?limit=500").await;
    r.json::<Value>().await.expect("json")["items"].as_array().map(Vec::len).unwrap_or(0)
}
