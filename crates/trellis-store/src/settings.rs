//! Settings changed at run time: one JSON value per key, versioned.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingRow {
    pub key: String,
    pub value: String,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by: Option<Uuid>,
}

pub async fn get(c: &mut Conn<'_>, key: &str) -> Result<Option<SettingRow>, StoreError> {
    c.opt(
        Sql::new("SELECT key, value, version, updated_at, updated_by FROM settings WHERE key = $1")
            .bind(key.to_owned()),
    )
    .await
}

/// Writes version `r.version` if the stored one is `r.version - 1` (or, for version 1, if there
/// is none). False when someone else wrote it first.
pub async fn put(c: &mut Conn<'_>, r: &SettingRow) -> Result<bool, StoreError> {
    let n = if r.version == 1 {
        c.execute(
            Sql::new(
                "INSERT INTO settings (key, value, version, updated_at, updated_by) VALUES ($1, $2, 1, $3, $4) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(r.key.clone())
            .bind(r.value.clone())
            .bind(r.updated_at)
            .bind(r.updated_by),
        )
        .await?
    } else {
        c.execute(
            Sql::new(
                "UPDATE settings SET value = $1, version = $2, updated_at = $3, updated_by = $4 \
                 WHERE key = $5 AND version = $6",
            )
            .bind(r.value.clone())
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.updated_by)
            .bind(r.key.clone())
            .bind(r.version - 1),
        )
        .await?
    };
    Ok(n == 1)
}
