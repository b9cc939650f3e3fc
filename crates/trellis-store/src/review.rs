//! Reviews of agreements, suppliers and services.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    pub id: Uuid,
    pub record_kind: String,
    pub record_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub scheduled_on: String,
    pub held_on: Option<String>,
    pub outcome: String,
    pub actions: String,
    pub rating: Option<i64>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewView {
    #[sqlx(flatten)]
    pub row: ReviewRow,
    pub customer_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT r.id, r.record_kind, r.record_id, r.customer_id, r.scheduled_on, r.held_on, \
     r.outcome, r.actions, r.rating, r.created_by, r.version, r.created_at, r.updated_at, cu.name AS customer_name \
     FROM reviews r LEFT JOIN customers cu ON cu.id = r.customer_id";

pub fn insert(r: &ReviewRow) -> Sql {
    Sql::new(
        "INSERT INTO reviews (id, record_kind, record_id, customer_id, scheduled_on, held_on, outcome, actions, \
         rating, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(r.id)
    .bind(&r.record_kind)
    .bind(r.record_id)
    .bind(r.customer_id)
    .bind(&r.scheduled_on)
    .bind(r.held_on.clone())
    .bind(&r.outcome)
    .bind(&r.actions)
    .bind(r.rating)
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub fn update(r: &ReviewRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE reviews SET customer_id = $1, scheduled_on = $2, held_on = $3, outcome = $4, actions = $5, \
         rating = $6, version = $7, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(r.customer_id)
    .bind(&r.scheduled_on)
    .bind(r.held_on.clone())
    .bind(&r.outcome)
    .bind(&r.actions)
    .bind(r.rating)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

/// A record's reviews, latest scheduled first.
pub async fn of_record(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<ReviewView>, StoreError> {
    c.all(Sql::dynamic(
        format!("{VIEW_SELECT} WHERE r.record_id = $1 ORDER BY r.scheduled_on DESC, r.id DESC"),
        vec![record_id.into()],
    ))
    .await
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<ReviewView>, StoreError> {
    c.opt(Sql::dynamic(format!("{VIEW_SELECT} WHERE r.id = $1"), vec![id.into()])).await
}
