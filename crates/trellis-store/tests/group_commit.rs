//! The SQLite group-commit writer: concurrent transactions share real commits, yet each one's
//! outcome is its own, and `commit` returns only once the change is visible to readers.

use std::sync::Arc;
use trellis_store::{Db, Sql, StoreError};

async fn db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let db = Db::connect(&Db::sqlite_url_for(dir.path()), &Default::default()).await.expect("connect");
    db.migrate().await.expect("migrate");
    (db, dir)
}

fn insert(kind: &str) -> Sql {
    Sql::new("INSERT INTO ref_counters (kind, last_value) VALUES ($1, 0)").bind(kind)
}

async fn count(db: &Db) -> i64 {
    let (n,): (i64,) = db.read().one(Sql::new("SELECT COUNT(*) FROM ref_counters")).await.expect("count");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_are_all_visible_to_readers_when_commit_returns() {
    let (db, _dir) = db().await;
    let db = Arc::new(db);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let kind = format!("k{i}");
                let mut tx = db.begin().await.expect("begin");
                tx.conn().execute(insert(&kind)).await.expect("insert");
                tx.commit().await.expect("commit");
                // Read-your-write through the reader pool, right after commit returns.
                let seen: Option<(String,)> = db
                    .read()
                    .opt(Sql::new("SELECT kind FROM ref_counters WHERE kind = $1").bind(kind.clone()))
                    .await
                    .expect("read");
                assert_eq!(seen.map(|s| s.0), Some(kind));
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(count(&db).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_abandoned_transaction_does_not_touch_its_group() {
    let (db, _dir) = db().await;
    let db = Arc::new(db);
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin().await.expect("begin");
                tx.conn().execute(insert(&format!("k{i}"))).await.expect("insert");
                match i % 3 {
                    // Commits.
                    0 => tx.commit().await.map(|()| true),
                    // Fails on a unique violation after a successful write, then is dropped.
                    1 => {
                        let dup = tx.conn().execute(insert(&format!("k{i}"))).await;
                        assert!(matches!(dup, Err(StoreError::Unique(_))), "{dup:?}");
                        Ok(false)
                    }
                    // Abandoned without commit.
                    _ => {
                        drop(tx);
                        Ok(false)
                    }
                }
            })
        })
        .collect();
    let mut committed = 0;
    for t in tasks {
        if t.await.expect("task").expect("commit") {
            committed += 1;
        }
    }
    assert_eq!(committed, 40);
    let kinds: Vec<(String,)> =
        db.read().all(Sql::new("SELECT kind FROM ref_counters")).await.expect("kinds");
    assert_eq!(kinds.len(), 40, "exactly the committed transactions' rows survive");
    for (k,) in kinds {
        let n: usize = k[1..].parse().expect("number");
        assert_eq!(n % 3, 0, "{k} belongs to a transaction that did not commit");
    }
}

#[tokio::test]
async fn shutdown_flush_keeps_committed_work() {
    let dir = tempfile::tempdir().expect("dir");
    let url = Db::sqlite_url_for(dir.path());
    {
        let db = Db::connect(&url, &Default::default()).await.expect("connect");
        db.migrate().await.expect("migrate");
        let mut tx = db.begin().await.expect("begin");
        tx.conn().execute(insert("kept")).await.expect("insert");
        tx.commit().await.expect("commit");
        db.close().await;
    }
    let db = Db::connect(&url, &Default::default()).await.expect("reopen");
    assert_eq!(count(&db).await, 1);
}
