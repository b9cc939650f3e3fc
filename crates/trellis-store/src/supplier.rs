//! Supplier rows and their list.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupplierRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub description: String,
    pub supplier_type: String,
    pub status: String,
    pub contact: String,
    pub owner_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupplierView {
    #[sqlx(flatten)]
    pub row: SupplierRow,
    pub owner_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT p.id, p.ref, p.name, p.description, p.supplier_type, p.status, p.contact, \
     p.owner_id, p.version, p.created_at, p.updated_at, o.display_name AS owner_name \
     FROM suppliers p LEFT JOIN users o ON o.id = p.owner_id";

pub fn insert(r: &SupplierRow) -> Sql {
    Sql::new(
        "INSERT INTO suppliers (id, ref, name, description, supplier_type, status, contact, owner_id, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.supplier_type)
    .bind(&r.status)
    .bind(&r.contact)
    .bind(r.owner_id)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<SupplierView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "p", key)).await
}

/// The conditional UPDATE of the editable fields and the new version: one row while the stored
/// version is still `expected_version`, none when another writer got there first.
pub fn update(r: &SupplierRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE suppliers SET name = $1, description = $2, supplier_type = $3, status = $4, contact = $5, \
                 owner_id = $6, version = $7, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.supplier_type)
    .bind(&r.status)
    .bind(&r.contact)
    .bind(r.owner_id)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub types: Vec<String>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<SupplierView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "p.id");
    q.any_of("p.status", &f.statuses);
    q.any_of("p.supplier_type", &f.types);
    q.text(&["p.name", "p.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &SupplierView| v.row.id).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeRow {
    pub id: Uuid,
    pub supplier_id: Uuid,
    pub agreement_id: Option<Uuid>,
    pub subject: String,
    pub description: String,
    pub raised_on: String,
    pub status: String,
    pub resolution: String,
    pub resolved_on: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeView {
    #[sqlx(flatten)]
    pub row: DisputeRow,
    pub agreement_ref: Option<String>,
}

const DISPUTE_SELECT: &str = "SELECT d.id, d.supplier_id, d.agreement_id, d.subject, d.description, d.raised_on, \
     d.status, d.resolution, d.resolved_on, d.created_by, d.version, d.created_at, d.updated_at, a.ref AS agreement_ref \
     FROM supplier_disputes d LEFT JOIN agreements a ON a.id = d.agreement_id";

pub fn insert_dispute(r: &DisputeRow) -> Sql {
    Sql::new(
        "INSERT INTO supplier_disputes (id, supplier_id, agreement_id, subject, description, raised_on, status, \
         resolution, resolved_on, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(r.id)
    .bind(r.supplier_id)
    .bind(r.agreement_id)
    .bind(&r.subject)
    .bind(&r.description)
    .bind(&r.raised_on)
    .bind(&r.status)
    .bind(&r.resolution)
    .bind(r.resolved_on.clone())
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

/// Records the resolution if the dispute is still at `expected_version`.
pub fn resolve_dispute(r: &DisputeRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE supplier_disputes SET status = $1, resolution = $2, resolved_on = $3, version = $4, updated_at = $5 \
         WHERE id = $6 AND version = $7",
    )
    .bind(&r.status)
    .bind(&r.resolution)
    .bind(r.resolved_on.clone())
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

/// A supplier's disputes, open ones first, newest first.
pub async fn disputes_of(c: &mut Conn<'_>, supplier_id: Uuid) -> Result<Vec<DisputeView>, StoreError> {
    c.all(Sql::dynamic(
        format!("{DISPUTE_SELECT} WHERE d.supplier_id = $1 ORDER BY d.status, d.id DESC"),
        vec![supplier_id.into()],
    ))
    .await
}

pub async fn dispute(c: &mut Conn<'_>, id: Uuid) -> Result<Option<DisputeView>, StoreError> {
    c.opt(Sql::dynamic(format!("{DISPUTE_SELECT} WHERE d.id = $1"), vec![id.into()])).await
}
