//! A normalised description of the schema, so that a test can prove the SQLite and PostgreSQL
//! migrations define the same tables, columns, nullability and indexes.

use crate::{Backend, Db, Sql, StoreError};
use std::collections::BTreeSet;

/// The full-text index is the one place the backends differ by design: SQLite keeps it in an
/// FTS5 virtual table (and its shadow tables), PostgreSQL in a generated tsvector column with a
/// GIN index. These are left out of the comparison.
fn backend_specific(line: &str) -> bool {
    line.starts_with("column search_fts")
        || line.starts_with("index search_fts")
        || line == "column search_docs.tsv other null"
        || line == "index search_docs(tsv)"
}

/// `table.column type null|not-null` and `index table(columns) unique?` lines, sorted.
pub async fn describe(db: &Db) -> Result<BTreeSet<String>, StoreError> {
    let mut out = describe_all(db).await?;
    out.retain(|l| !backend_specific(l));
    Ok(out)
}

async fn describe_all(db: &Db) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    let mut c = db.read();
    match db.backend() {
        Backend::Sqlite => {
            let tables: Vec<(String,)> = c
                .all(Sql::new(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                     AND name NOT LIKE '_sqlx%' ORDER BY name",
                ))
                .await?;
            for (t,) in tables {
                let cols: Vec<(String, String, bool, i64)> = c
                    .all(Sql::dynamic(
                        format!("SELECT name, type, \"notnull\" = 1, pk FROM pragma_table_info('{t}')"),
                        vec![],
                    ))
                    .await?;
                for (name, ty, not_null, pk) in cols {
                    // An INTEGER PRIMARY KEY is the rowid itself: unique, with no index listed
                    // (PostgreSQL lists its primary key's index).
                    if pk == 1 && ty.eq_ignore_ascii_case("integer") {
                        out.insert(format!("index {t}({name}) unique"));
                    }
                    out.insert(format!(
                        "column {t}.{name} {} {}",
                        norm_type(&ty),
                        null_word(not_null || pk > 0)
                    ));
                }
                let idx: Vec<(String, bool)> = c
                    .all(Sql::dynamic(
                        format!("SELECT name, \"unique\" = 1 FROM pragma_index_list('{t}')"),
                        vec![],
                    ))
                    .await?;
                for (iname, unique) in idx {
                    let cols: Vec<(String,)> = c
                        .all(Sql::dynamic(
                            format!("SELECT name FROM pragma_index_info('{iname}') ORDER BY seqno"),
                            vec![],
                        ))
                        .await?;
                    let cols: Vec<String> = cols.into_iter().map(|(n,)| n).collect();
                    out.insert(format!(
                        "index {t}({}){}",
                        cols.join(","),
                        if unique { " unique" } else { "" }
                    ));
                }
            }
        }
        Backend::Postgres => {
            let cols: Vec<(String, String, String, String)> = c
                .all(Sql::new(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name NOT LIKE '_sqlx%'",
                ))
                .await?;
            for (t, name, ty, nullable) in cols {
                out.insert(format!("column {t}.{name} {} {}", norm_type(&ty), null_word(nullable == "NO")));
            }
            let idx: Vec<(String, String, bool)> = c
                .all(Sql::new(
                    "SELECT t.relname::text, array_to_string(array_agg(a.attname::text ORDER BY k.ord), ','), \
                     ix.indisunique \
                     FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                     WHERE n.nspname = current_schema() AND t.relname NOT LIKE '_sqlx%' \
                     GROUP BY t.relname, ix.indexrelid, ix.indisunique",
                ))
                .await?;
            // Primary keys count as unique indexes on both sides: SQLite makes an automatic
            // unique index for every non-INTEGER primary key (INTEGER ones are added above).
            for (t, cols, unique) in idx {
                out.insert(format!("index {t}({cols}){}", if unique { " unique" } else { "" }));
            }
        }
    }
    Ok(out)
}

fn null_word(not_null: bool) -> &'static str {
    if not_null { "not-null" } else { "null" }
}

fn norm_type(t: &str) -> &'static str {
    match t.to_ascii_lowercase().as_str() {
        "blob" | "uuid" | "bytea" => "bytes",
        "integer" | "bigint" | "int" | "int8" => "int",
        "text" | "character varying" => "text",
        "boolean" | "bool" => "bool",
        _ => "other",
    }
}
