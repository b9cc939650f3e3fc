//! Request offerings and their definition versions (only ever added).

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferingRow {
    pub id: Uuid,
    pub service_id: Uuid,
    pub status: String,
    pub current_definition: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DefinitionRow {
    pub offering_id: Uuid,
    pub version: i64,
    pub name: String,
    pub description: String,
    /// JSON list of form fields.
    pub form: String,
    pub approval: String,
    /// JSON list of approver rules (in order).
    pub approvers: String,
    /// JSON list of fulfilment task templates.
    pub tasks: String,
    pub fulfilment_minutes: Option<i64>,
    pub calendar_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

const COLS: &str = "id, service_id, status, current_definition, version, created_at, updated_at";
const DEF_COLS: &str = "offering_id, version, name, description, form, approval, approvers, tasks, fulfilment_minutes, calendar_id, created_by, created_at";

pub fn insert(r: &OfferingRow) -> Sql {
    Sql::new(
        "INSERT INTO offerings (id, service_id, status, current_definition, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(r.service_id)
    .bind(&r.status)
    .bind(r.current_definition)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub fn insert_definition(d: &DefinitionRow) -> Sql {
    Sql::new(
        "INSERT INTO offering_versions (offering_id, version, name, description, form, approval, approvers, tasks, \
         fulfilment_minutes, calendar_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(d.offering_id)
    .bind(d.version)
    .bind(&d.name)
    .bind(&d.description)
    .bind(&d.form)
    .bind(&d.approval)
    .bind(&d.approvers)
    .bind(&d.tasks)
    .bind(d.fulfilment_minutes)
    .bind(d.calendar_id)
    .bind(d.created_by)
    .bind(d.created_at)
}

/// Moves the offering to `r.version` if it is still at `expected_version`.
pub fn update(r: &OfferingRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE offerings SET status = $1, current_definition = $2, version = $3, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(&r.status)
    .bind(r.current_definition)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<OfferingRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {COLS} FROM offerings WHERE id = $1"), vec![id.into()])).await
}

pub async fn of_service(c: &mut Conn<'_>, service_id: Uuid) -> Result<Vec<OfferingRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {COLS} FROM offerings WHERE service_id = $1 ORDER BY id"),
        vec![service_id.into()],
    ))
    .await
}

/// Every definition of an offering, oldest first.
pub async fn definitions(c: &mut Conn<'_>, offering_id: Uuid) -> Result<Vec<DefinitionRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {DEF_COLS} FROM offering_versions WHERE offering_id = $1 ORDER BY version"),
        vec![offering_id.into()],
    ))
    .await
}

/// One definition version (what a request was ordered under).
pub async fn definition(
    c: &mut Conn<'_>,
    offering_id: Uuid,
    version: i64,
) -> Result<Option<DefinitionRow>, StoreError> {
    c.opt(Sql::dynamic(
        format!("SELECT {DEF_COLS} FROM offering_versions WHERE offering_id = $1 AND version = $2"),
        vec![offering_id.into(), version.into()],
    ))
    .await
}
