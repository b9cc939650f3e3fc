//! The SQLite and PostgreSQL migrations define the same schema.

use std::collections::BTreeSet;

#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_tables_columns_and_indexes() {
    let dir = tempfile::tempdir().expect("dir");
    let sqlite =
        trellis_store::Db::connect(&trellis_store::Db::sqlite_url_for(dir.path()), &Default::default())
            .await
            .expect("sqlite");
    sqlite.migrate().await.expect("migrate sqlite");
    let lite = trellis_store::schema::describe(&sqlite).await.expect("describe sqlite");
    assert!(lite.contains("column incidents.ref text not-null"), "{lite:#?}");
    assert!(lite.contains("index journal_entries(record_id,seq) unique"), "{lite:#?}");

    if std::env::var("TEST_DATABASE_URL").map(|u| u.is_empty()).unwrap_or(true) {
        eprintln!(
            "TEST_DATABASE_URL not set: the PostgreSQL side of the parity check runs in the PostgreSQL pass"
        );
        return;
    }
    let (url, guard, _dir) = crate::helpers::test_database().await;
    let url = url.expect("postgres url");
    let pg = trellis_store::Db::connect(&url, &Default::default()).await.expect("postgres");
    pg.migrate().await.expect("migrate postgres");
    let post = trellis_store::schema::describe(&pg).await.expect("describe postgres");
    let only_lite: BTreeSet<_> = lite.difference(&post).collect();
    let only_pg: BTreeSet<_> = post.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_lite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
    pg.close().await;
    drop(guard);
}
