//! `Conn::execute_batch` runs every statement with its own arguments, on both backends.

use trellis_store::{Db, Sql};

async fn db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let db = Db::connect(&Db::sqlite_url_for(dir.path()), &Default::default()).await.expect("connect");
    db.migrate().await.expect("migrate");
    (db, dir)
}

#[tokio::test]
async fn a_batch_runs_every_statement_with_its_own_arguments() {
    let (db, _dir) = db().await;
    let mut tx = db.begin().await.expect("begin");
    tx.conn()
        .execute_batch(vec![
            Sql::new("INSERT INTO ref_counters (kind, last_value) VALUES ($1, $2)").bind("a").bind(1_i64),
            Sql::new("INSERT INTO ref_counters (kind, last_value) VALUES ($1, $2)").bind("b").bind(2_i64),
            Sql::new("UPDATE ref_counters SET last_value = last_value + $1 WHERE kind = $2")
                .bind(40_i64)
                .bind("b"),
        ])
        .await
        .expect("batch");
    tx.commit().await.expect("commit");
    let rows: Vec<(String, i64)> = db
        .read()
        .all(Sql::new("SELECT kind, last_value FROM ref_counters ORDER BY kind"))
        .await
        .expect("read");
    assert_eq!(rows, vec![("a".to_owned(), 1), ("b".to_owned(), 42)]);
}

#[tokio::test]
async fn a_failing_statement_in_a_batch_fails_the_batch() {
    let (db, _dir) = db().await;
    let mut tx = db.begin().await.expect("begin");
    let r = tx
        .conn()
        .execute_batch(vec![
            Sql::new("INSERT INTO ref_counters (kind, last_value) VALUES ($1, $2)").bind("a").bind(1_i64),
            Sql::new("INSERT INTO ref_counters (kind, last_value) VALUES ($1, $2)").bind("a").bind(2_i64),
        ])
        .await;
    assert!(matches!(r, Err(trellis_store::StoreError::Unique(_))), "{r:?}");
}
