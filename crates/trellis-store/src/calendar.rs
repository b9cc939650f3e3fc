//! Business calendars and their versions. Versions are only ever added.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarVersionRow {
    pub calendar_id: Uuid,
    pub version: i64,
    pub effective_from: i64,
    /// The calendar as JSON.
    pub definition: String,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

const COLS: &str = "id, name, description, version, created_at, updated_at";
const VERSION_COLS: &str = "calendar_id, version, effective_from, definition, note, created_by, created_at";

pub fn insert(r: &CalendarRow) -> Sql {
    Sql::new(
        "INSERT INTO calendars (id, name, name_key, description, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(&r.name)
    .bind(r.name.to_lowercase())
    .bind(&r.description)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub fn insert_version(v: &CalendarVersionRow) -> Sql {
    Sql::new(
        "INSERT INTO calendar_versions (calendar_id, version, effective_from, definition, note, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(v.calendar_id)
    .bind(v.version)
    .bind(v.effective_from)
    .bind(&v.definition)
    .bind(&v.note)
    .bind(v.created_by)
    .bind(v.created_at)
}

/// Moves the calendar to `r.version` (name and description may change with it) if it is still at
/// `expected_version`.
pub async fn update(c: &mut Conn<'_>, r: &CalendarRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE calendars SET name = $1, name_key = $2, description = $3, version = $4, updated_at = $5 \
                 WHERE id = $6 AND version = $7",
            )
            .bind(&r.name)
            .bind(r.name.to_lowercase())
            .bind(&r.description)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<CalendarRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {COLS} FROM calendars WHERE id = $1"), vec![id.into()])).await
}

pub async fn list(c: &mut Conn<'_>) -> Result<Vec<CalendarRow>, StoreError> {
    c.all(Sql::dynamic(format!("SELECT {COLS} FROM calendars ORDER BY name_key"), Vec::new())).await
}

/// Every version, oldest first.
pub async fn versions(c: &mut Conn<'_>, id: Uuid) -> Result<Vec<CalendarVersionRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {VERSION_COLS} FROM calendar_versions WHERE calendar_id = $1 ORDER BY version"),
        vec![id.into()],
    ))
    .await
}
