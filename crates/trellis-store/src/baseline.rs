//! Configuration baselines and their items.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BaselineRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// JSON: `{"ci_type_id", "customer_id"}`.
    pub selection: String,
    pub taken_at: i64,
    pub created_by: Option<Uuid>,
    pub item_count: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BaselineItemRow {
    pub baseline_id: Uuid,
    pub ci_id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    /// JSON of the CI as it was.
    pub snapshot: String,
}

const COLS: &str = "id, name, description, selection, taken_at, created_by, item_count";

pub fn insert(r: &BaselineRow) -> Sql {
    Sql::new(
        "INSERT INTO baselines (id, name, description, selection, taken_at, created_by, item_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.selection)
    .bind(r.taken_at)
    .bind(r.created_by)
    .bind(r.item_count)
}

pub fn insert_item(r: &BaselineItemRow) -> Sql {
    Sql::new("INSERT INTO baseline_items (baseline_id, ci_id, ref, snapshot) VALUES ($1, $2, $3, $4)")
        .bind(r.baseline_id)
        .bind(r.ci_id)
        .bind(&r.reference)
        .bind(&r.snapshot)
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<BaselineRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {COLS} FROM baselines WHERE id = $1"), vec![id.into()])).await
}

/// Newest first.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<BaselineRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {COLS} FROM baselines ORDER BY taken_at DESC, id DESC LIMIT 500"),
        vec![],
    ))
    .await
}

pub async fn items(c: &mut Conn<'_>, baseline_id: Uuid) -> Result<Vec<BaselineItemRow>, StoreError> {
    c.all(Sql::dynamic(
        "SELECT baseline_id, ci_id, ref, snapshot FROM baseline_items WHERE baseline_id = $1 ORDER BY ref"
            .into(),
        vec![baseline_id.into()],
    ))
    .await
}
