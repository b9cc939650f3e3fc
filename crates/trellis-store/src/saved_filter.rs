//! Saved filters: rows of `saved_filters`, always read and deleted through their owner.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SavedFilterRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub list: String,
    pub name: String,
    pub query: String,
    pub created_at: i64,
}

const COLS: &str = "id, user_id, list, name, query, created_at";

pub fn insert(r: &SavedFilterRow) -> Sql {
    Sql::new(
        "INSERT INTO saved_filters (id, user_id, list, name, query, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.id)
    .bind(r.user_id)
    .bind(r.list.clone())
    .bind(r.name.clone())
    .bind(r.query.clone())
    .bind(r.created_at)
}

/// The owner's filters of one list (all lists with `None`), by name.
pub async fn list(
    c: &mut Conn<'_>,
    user_id: Uuid,
    list: Option<&str>,
) -> Result<Vec<SavedFilterRow>, StoreError> {
    match list {
        Some(l) => {
            c.all(Sql::dynamic(
                format!(
                    "SELECT {COLS} FROM saved_filters WHERE user_id = $1 AND list = $2 ORDER BY name, id"
                ),
                vec![user_id.into(), l.to_owned().into()],
            ))
            .await
        }
        None => {
            c.all(Sql::dynamic(
                format!("SELECT {COLS} FROM saved_filters WHERE user_id = $1 ORDER BY list, name, id"),
                vec![user_id.into()],
            ))
            .await
        }
    }
}

pub async fn count(c: &mut Conn<'_>, user_id: Uuid, list: &str) -> Result<i64, StoreError> {
    let (n,): (i64,) = c
        .one(
            Sql::new("SELECT COUNT(*) FROM saved_filters WHERE user_id = $1 AND list = $2")
                .bind(user_id)
                .bind(list.to_owned()),
        )
        .await?;
    Ok(n)
}

/// Deletes one of the owner's filters; 0 rows when it is not theirs or not there.
pub fn delete(user_id: Uuid, id: Uuid) -> Sql {
    Sql::new("DELETE FROM saved_filters WHERE user_id = $1 AND id = $2").bind(user_id).bind(id)
}
