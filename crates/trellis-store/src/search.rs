//! The full-text index: one document per record, upserted in the record's own transaction, and
//! the ranked, scoped query with highlighted snippets (SQLite FTS5 with bm25, PostgreSQL tsvector
//! with ts_rank and ts_headline).

use crate::{Backend, Conn, Sql, StoreError};
use trellis_domain::search::tags;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SearchDoc {
    pub record_id: Uuid,
    pub kind: String,
    pub reference: String,
    pub title: String,
    pub body: String,
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub public: bool,
    pub updated_at: i64,
}

/// Writes the document of a record (a new one, or the next state of one already indexed).
pub fn put(d: &SearchDoc) -> Sql {
    Sql::new(
        "INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (record_id) DO UPDATE SET \
         ref = excluded.ref, title = excluded.title, body = excluded.body, customer_id = excluded.customer_id, \
         service_id = excluded.service_id, public = excluded.public, tags = excluded.tags, \
         updated_at = excluded.updated_at",
    )
    .bind(d.record_id)
    .bind(&d.kind)
    .bind(&d.reference)
    .bind(&d.title)
    .bind(&d.body)
    .bind(d.customer_id)
    .bind(d.service_id)
    .bind(d.public)
    .bind(tags(&d.kind, d.customer_id, d.public))
    .bind(d.updated_at)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub record_id: Uuid,
    pub kind: String,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// Matches ranked: the most recent this many are ranked, so a word found in half the index
/// costs no more than a rare one (the newest records are what people look for; a rare word's
/// matches are all ranked).
pub const RANKED_MAX: i64 = 2_000;

/// The best `limit` matches, best first: `fts` for SQLite, `tsquery` for PostgreSQL (both built
/// by `trellis_domain::search`, narrowed to what the caller may find). `customer`, for a
/// customer user, keeps public articles to services their organisation receives (or none).
pub async fn query(
    c: &mut Conn<'_>,
    fts: &str,
    tsquery: &str,
    words_tsquery: &str,
    customer: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Hit>, StoreError> {
    let mut args: Vec<crate::Val> = Vec::new();
    let mut arg = |v: crate::Val| {
        args.push(v);
        format!("${}", args.len())
    };
    let q = match c.backend() {
        Backend::Sqlite => arg(fts.into()),
        Backend::Postgres => arg(tsquery.into()),
    };
    let filter = match customer {
        None => "1 = 1".to_owned(),
        Some(cu) => format!(
            "(d.kind <> 'article' OR d.service_id IS NULL OR EXISTS (SELECT 1 FROM service_customers sc \
             WHERE sc.service_id = d.service_id AND sc.customer_id = {}))",
            arg(cu.into())
        ),
    };
    // PostgreSQL ranks by the words alone: the tags (weight 0) would zero every pair of terms.
    let words = match c.backend() {
        Backend::Sqlite => String::new(),
        Backend::Postgres => arg(words_tsquery.into()),
    };
    let ranked = arg(RANKED_MAX.into());
    let l = arg(limit.into());
    let sql = match c.backend() {
        // bm25: lower is better; the title counts five times the text, tags nothing. CROSS JOIN
        // keeps the text index as the outer loop, walked newest first.
        Backend::Sqlite => format!(
            "SELECT d.record_id, d.kind, d.ref, d.title, d.body, d.updated_at FROM ( \
             SELECT search_fts.rowid AS id, bm25(search_fts, 5.0, 1.0, 0.0) AS rank \
             FROM search_fts CROSS JOIN search_docs d ON d.id = search_fts.rowid \
             WHERE search_fts MATCH {q} AND {filter} ORDER BY search_fts.rowid DESC LIMIT {ranked}) top \
             JOIN search_docs d ON d.id = top.id ORDER BY top.rank, top.id DESC LIMIT {l}"
        ),
        // ts_rank weights {D, C, B, A}: the title counts five times the text, tags nothing. A
        // word the parser reads as no word at all leaves only the tags: no match then, not all.
        Backend::Postgres => format!(
            "SELECT top.record_id, top.kind, top.ref, top.title, top.body, top.updated_at FROM ( \
             SELECT d.id, d.record_id, d.kind, d.ref, d.title, d.body, d.updated_at, d.tsv \
             FROM search_docs d WHERE d.tsv @@ to_tsquery('simple', {q}) AND {filter} \
             AND numnode(to_tsquery('simple', {words})) > 0 \
             ORDER BY d.id DESC LIMIT {ranked}) top \
             ORDER BY ts_rank('{{0, 0, 0.2, 1}}', top.tsv, to_tsquery('simple', {words})) DESC, top.id DESC LIMIT {l}"
        ),
    };
    c.all(Sql::dynamic(sql, args)).await
}
