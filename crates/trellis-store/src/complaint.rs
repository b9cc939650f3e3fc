//! Complaint rows and their list.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub customer_id: Uuid,
    pub service_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub outcome: String,
    pub escalated: bool,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintView {
    #[sqlx(flatten)]
    pub row: ComplaintRow,
    pub customer_name: String,
    pub service_ref: Option<String>,
    pub service_name: Option<String>,
    pub owner_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT m.id, m.ref, m.title, m.description, m.status, m.customer_id, m.service_id, \
     m.owner_id, m.outcome, m.escalated, m.created_by, m.version, m.created_at, m.updated_at, \
     cu.name AS customer_name, s.ref AS service_ref, s.name AS service_name, o.display_name AS owner_name \
     FROM complaints m JOIN customers cu ON cu.id = m.customer_id \
     LEFT JOIN services s ON s.id = m.service_id \
     LEFT JOIN users o ON o.id = m.owner_id";

pub fn insert(r: &ComplaintRow) -> Sql {
    Sql::new(
        "INSERT INTO complaints (id, ref, title, description, status, customer_id, service_id, owner_id, \
         outcome, escalated, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.customer_id)
    .bind(r.service_id)
    .bind(r.owner_id)
    .bind(&r.outcome)
    .bind(r.escalated)
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<ComplaintView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "m", key)).await
}

/// The conditional UPDATE of the editable fields and the new version: one row while the stored
/// version is still `expected_version`, none when another writer got there first.
pub fn update(r: &ComplaintRow, expected_version: i64) -> Sql {
    Sql::new(
                "UPDATE complaints SET title = $1, description = $2, status = $3, customer_id = $4, \
                 service_id = $5, owner_id = $6, outcome = $7, escalated = $8, version = $9, updated_at = $10 \
                 WHERE id = $11 AND version = $12",
            )
            .bind(&r.title)
            .bind(&r.description)
            .bind(&r.status)
            .bind(r.customer_id)
            .bind(r.service_id)
            .bind(r.owner_id)
            .bind(&r.outcome)
            .bind(r.escalated)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    /// Scope: only this customer's complaints (always set for customer users).
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub escalated: Option<bool>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<ComplaintView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "m.id");
    q.any_of("m.status", &f.statuses);
    if let Some(cu) = f.customer_id {
        q.eq("m.customer_id", cu);
    }
    if let Some(s) = f.service_id {
        q.eq("m.service_id", s);
    }
    if let Some(e) = f.escalated {
        q.eq("m.escalated", e);
    }
    q.text(&["m.title", "m.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &ComplaintView| v.row.id).await
}

/// Complaints counted per service and per customer, for the relationship manager's view.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintCount {
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub open: i64,
    pub total: i64,
}

pub async fn counts_by_service(c: &mut Conn<'_>) -> Result<Vec<ComplaintCount>, StoreError> {
    c.all(Sql::new(
        "SELECT s.id AS id, s.name AS name, \
         SUM(CASE WHEN m.status <> 'closed' THEN 1 ELSE 0 END) AS open, COUNT(*) AS total \
         FROM complaints m LEFT JOIN services s ON s.id = m.service_id \
         GROUP BY s.id, s.name ORDER BY total DESC, name",
    ))
    .await
}

pub async fn counts_by_customer(c: &mut Conn<'_>) -> Result<Vec<ComplaintCount>, StoreError> {
    c.all(Sql::new(
        "SELECT cu.id AS id, cu.name AS name, \
         SUM(CASE WHEN m.status <> 'closed' THEN 1 ELSE 0 END) AS open, COUNT(*) AS total \
         FROM complaints m JOIN customers cu ON cu.id = m.customer_id \
         GROUP BY cu.id, cu.name ORDER BY total DESC, name",
    ))
    .await
}
