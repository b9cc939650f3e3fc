//! The `trellis` binary itself: serve, demo, admin token, journal verify, configuration errors.

use crate::helpers::test_database;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_trellis");

/// `--data-dir` or `--database-url` arguments for this test's own database.
async fn db_args() -> (Vec<String>, String, crate::helpers::TestDb, tempfile::TempDir) {
    let (url, guard, dir) = test_database().await;
    match (url, &guard) {
        (Some(u), _) => (vec!["--database-url".into(), u.clone()], u, guard, dir),
        (None, crate::helpers::TestDb::Sqlite(d)) => {
            let p = d.path().to_string_lossy().to_string();
            (vec!["--data-dir".into(), p], trellis_store::Db::sqlite_url_for(d.path()), guard, dir)
        }
        (None, crate::helpers::TestDb::Postgres { .. }) => {
            unreachable!("a PostgreSQL test database always has a URL")
        }
    }
}

fn trellis(args: &[String], extra: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = extra.to_vec();
    all.extend(args.iter().map(String::as_str));
    Command::new(BIN).args(all).env_remove("TRELLIS_CONFIG").output().expect("run trellis")
}

#[tokio::test]
async fn journal_verify_names_the_record_whose_entry_was_edited() {
    let (args, url, _guard, _dir) = db_args().await;
    let out = trellis(&args, &["demo"]);
    assert!(out.status.success(), "demo: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trellis-demo-password"));
    let out = trellis(&args, &["journal", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("journal chains intact"));

    // Change one journal row directly in the database, as someone with database access might.
    let db = trellis_store::Db::connect(&url, &Default::default()).await.expect("db");
    let mut tx = db.begin().await.expect("begin");
    let n = tx
        .conn()
        .execute(trellis_store::Sql::new(
            "UPDATE journal_entries SET changes = REPLACE(changes, 'Printer', 'Plotter') \
             WHERE seq = 1 AND record_id = (SELECT id FROM incidents WHERE ref = 'INC-000004')",
        ))
        .await
        .expect("tamper");
    assert_eq!(n, 1);
    tx.commit().await.expect("commit");
    db.close().await;

    let out = trellis(&args, &["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("INC-000004: entry 1 was altered"), "{stdout}");
    assert_eq!(stdout.matches("INC-").count(), 1, "only the damaged record is named: {stdout}");
    let out = trellis(&args, &["journal", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["intact"], false);
    assert_eq!(v["damaged"][0]["ref"], "INC-000004");
}

#[tokio::test]
async fn journal_verify_finds_removed_entries() {
    let (args, url, _guard, _dir) = db_args().await;
    assert!(trellis(&args, &["demo"]).status.success());
    let db = trellis_store::Db::connect(&url, &Default::default()).await.expect("db");
    let mut tx = db.begin().await.expect("begin");
    // The newest entry of one record, and a middle entry of another.
    tx.conn()
        .execute(trellis_store::Sql::new(
            "DELETE FROM journal_entries WHERE record_id = (SELECT id FROM incidents WHERE ref = 'INC-000001') \
             AND seq = (SELECT MAX(seq) FROM journal_entries e JOIN incidents i ON i.id = e.record_id WHERE i.ref = 'INC-000001')",
        ))
        .await
        .expect("delete newest");
    tx.conn()
        .execute(trellis_store::Sql::new(
            "DELETE FROM journal_entries WHERE seq = 2 AND record_id = (SELECT id FROM incidents WHERE ref = 'INC-000006')",
        ))
        .await
        .expect("delete middle");
    tx.commit().await.expect("commit");
    db.close().await;
    let out = trellis(&args, &["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("INC-000001: the chain ends at entry"), "{stdout}");
    assert!(stdout.contains("INC-000006: entry 2 is missing"), "{stdout}");
}

#[tokio::test]
async fn serve_prints_its_url_serves_and_stops_cleanly_on_sigterm() {
    let (args, _url, _guard, _dir) = db_args().await;
    // Loading the demo before the first start must still leave an administrator to log in as.
    assert!(trellis(&args, &["demo"]).status.success());
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--bind", "127.0.0.1:0"])
        .args(&args)
        .env("TRELLIS_ADMIN_EMAIL", "boss@provider.example")
        .env("TRELLIS_ADMIN_PASSWORD", "boss-password-123")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let url = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("http://"))
            .expect("URL line")
    })
    .await
    .expect("read url");
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");

    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    assert_eq!(client.get(format!("{url}/readyz")).send().await.expect("readyz").status(), 200);
    let r = client
        .post(format!("{url}/login"))
        .form(&[("email", "boss@provider.example"), ("password", "boss-password-123")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "the configured first administrator can log in");
    // A token made with the CLI works against the running server.
    let out = trellis(&args, &["admin", "token", "create", "--email", "boss@provider.example"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let me: serde_json::Value = client
        .get(format!("{url}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "boss@provider.example");

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}

#[test]
fn a_bad_configuration_value_names_the_key_and_exits_2() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(BIN)
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("TRELLIS_MAX_CONNECTIONS", "lots")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MAX_CONNECTIONS") && err.contains("TRELLIS_"), "{err}");
    let out = Command::new(BIN)
        .args(["serve", "--bind", "not-an-address"])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bind"));
}

#[tokio::test]
async fn a_checkpoint_catches_a_record_deleted_with_its_whole_journal() {
    let (args, url, _guard, _dir) = db_args().await;
    assert!(trellis(&args, &["demo"]).status.success());
    let out = trellis(&args, &["journal", "checkpoint"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("checkpoint 1 at ") && stdout.contains("digest "), "{stdout}");

    // Activity after the checkpoint does not disturb it.
    let config = trellis::config::Config::load(
        None,
        &trellis::config::Overrides { database_url: Some(url.clone()), ..Default::default() },
    )
    .expect("config");
    let app = trellis::server::open_app(&config).await.expect("app");
    let agent = trellis_app::auth::actor_for_email(
        &app,
        "alex.agent@demo.trellis",
        trellis_domain::journal::Channel::Api,
    )
    .await
    .expect("agent");
    let h = trellis_app::incident::handle(&app, &agent, "INC-000002").await.expect("handle");
    trellis_app::platform::add_comment(&app, &agent, &h, "after the checkpoint", false)
        .await
        .expect("comment");
    app.db.close().await;
    let out = trellis(&args, &["journal", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("checkpoint 1 of"));

    // Remove one record with everything that points to it: row, entries, head.
    let db = trellis_store::Db::connect(&url, &Default::default()).await.expect("db");
    let mut tx = db.begin().await.expect("begin");
    for sql in [
        "DELETE FROM journal_entries WHERE record_id = (SELECT id FROM incidents WHERE ref = 'INC-000007')",
        "DELETE FROM journal_heads WHERE record_id = (SELECT id FROM incidents WHERE ref = 'INC-000007')",
        "DELETE FROM comments WHERE record_id = (SELECT id FROM incidents WHERE ref = 'INC-000007')",
        "DELETE FROM links WHERE from_id = (SELECT id FROM incidents WHERE ref = 'INC-000007') OR to_id = (SELECT id FROM incidents WHERE ref = 'INC-000007')",
        "DELETE FROM incidents WHERE ref = 'INC-000007'",
    ] {
        tx.conn().execute(trellis_store::Sql::new(sql)).await.expect("delete");
    }
    tx.commit().await.expect("commit");
    db.close().await;
    let out = trellis(&args, &["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("journal chains intact"), "every remaining chain is fine: {stdout}");
    assert!(
        stdout.contains("CHECKPOINT 1 OF") && stdout.contains("no longer matches checkpoint 1"),
        "{stdout}"
    );
}
