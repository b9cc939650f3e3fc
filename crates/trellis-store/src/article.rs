//! Knowledge article rows and their list.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub audience: String,
    pub service_id: Option<Uuid>,
    pub known_error_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    /// Who last changed what readers see (may not review it).
    pub edited_by: Option<Uuid>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<i64>,
    pub published_at: Option<i64>,
    /// YYYY-MM-DD.
    pub review_due_on: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArticleView {
    #[sqlx(flatten)]
    pub row: ArticleRow,
    pub service_ref: Option<String>,
    pub service_name: Option<String>,
    pub known_error_ref: Option<String>,
    pub known_error_title: Option<String>,
    pub author_name: Option<String>,
    pub reviewer_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT a.id, a.ref, a.title, a.body, a.status, a.audience, a.service_id, \
     a.known_error_id, a.author_id, a.edited_by, a.reviewed_by, a.reviewed_at, a.published_at, a.review_due_on, a.version, \
     a.created_at, a.updated_at, s.ref AS service_ref, s.name AS service_name, p.ref AS known_error_ref, \
     p.title AS known_error_title, au.display_name AS author_name, rv.display_name AS reviewer_name \
     FROM articles a LEFT JOIN services s ON s.id = a.service_id LEFT JOIN problems p ON p.id = a.known_error_id \
     LEFT JOIN users au ON au.id = a.author_id LEFT JOIN users rv ON rv.id = a.reviewed_by";

pub fn insert(r: &ArticleRow) -> Sql {
    Sql::new(
        "INSERT INTO articles (id, ref, title, body, status, audience, service_id, known_error_id, author_id, \
         edited_by, reviewed_by, reviewed_at, published_at, review_due_on, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.body)
    .bind(&r.status)
    .bind(&r.audience)
    .bind(r.service_id)
    .bind(r.known_error_id)
    .bind(r.author_id)
    .bind(r.edited_by)
    .bind(r.reviewed_by)
    .bind(r.reviewed_at)
    .bind(r.published_at)
    .bind(r.review_due_on.clone())
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

/// The conditional UPDATE: one row while the stored version is still `expected_version`.
pub fn update(r: &ArticleRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE articles SET title = $1, body = $2, status = $3, audience = $4, service_id = $5, \
         known_error_id = $6, reviewed_by = $7, reviewed_at = $8, published_at = $9, review_due_on = $10, \
         version = $11, updated_at = $12, edited_by = $13 WHERE id = $14 AND version = $15",
    )
    .bind(&r.title)
    .bind(&r.body)
    .bind(&r.status)
    .bind(&r.audience)
    .bind(r.service_id)
    .bind(r.known_error_id)
    .bind(r.reviewed_by)
    .bind(r.reviewed_at)
    .bind(r.published_at)
    .bind(r.review_due_on.clone())
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.edited_by)
    .bind(r.id)
    .bind(expected_version)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<ArticleView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "a", key)).await
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub audience: Option<String>,
    pub service_id: Option<Uuid>,
    pub known_error_id: Option<Uuid>,
    /// Published articles due for review on or before this date (YYYY-MM-DD).
    pub review_due_by: Option<String>,
    /// Only what this customer may read: published public articles of services it receives
    /// (or of none).
    pub customer_id: Option<Uuid>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<ArticleView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "a.id");
    q.any_of("a.status", &f.statuses);
    if let Some(a) = &f.audience {
        q.eq("a.audience", a.as_str());
    }
    if let Some(s) = f.service_id {
        q.eq("a.service_id", s);
    }
    if let Some(k) = f.known_error_id {
        q.eq("a.known_error_id", k);
    }
    if let Some(d) = &f.review_due_by {
        let p = q.arg(d.as_str());
        q.and(&format!("a.status = 'published' AND a.review_due_on <= {p}"));
    }
    if let Some(cu) = f.customer_id {
        let p = q.arg(cu);
        q.and(&format!(
            "a.status = 'published' AND a.audience = 'public' AND (a.service_id IS NULL OR EXISTS \
             (SELECT 1 FROM service_customers sc WHERE sc.service_id = a.service_id AND sc.customer_id = {p}))"
        ));
    }
    q.text(&["a.title", "a.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &ArticleView| v.row.id).await
}
