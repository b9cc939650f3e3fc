//! Customers and their contacts, teams and members, users.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: Uuid,
    pub name: String,
    pub notes: String,
    /// The provider's person who owns the relationship with this customer.
    pub relationship_manager_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const CUSTOMER_COLS: &str = "id, name, notes, relationship_manager_id, version, created_at, updated_at";

pub async fn insert_customer(c: &mut Conn<'_>, r: &CustomerRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO customers (id, name, name_key, notes, relationship_manager_id, version, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id)
        .bind(&r.name)
        .bind(r.name.to_lowercase())
        .bind(&r.notes)
        .bind(r.relationship_manager_id)
        .bind(r.version)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await?;
    Ok(())
}

/// Sets the relationship manager if the customer is still at `expected_version`.
pub async fn set_relationship_manager(
    c: &mut Conn<'_>,
    id: Uuid,
    manager: Option<Uuid>,
    expected_version: i64,
    at: i64,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE customers SET relationship_manager_id = $1, version = version + 1, updated_at = $2 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(manager)
            .bind(at)
            .bind(id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

pub async fn list_customers(c: &mut Conn<'_>) -> Result<Vec<CustomerRow>, StoreError> {
    c.all(Sql::dynamic(format!("SELECT {CUSTOMER_COLS} FROM customers ORDER BY name_key"), vec![])).await
}

pub async fn get_customer(c: &mut Conn<'_>, id: Uuid) -> Result<Option<CustomerRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = $1"), vec![id.into()])).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub created_at: i64,
}

pub async fn insert_contact(c: &mut Conn<'_>, r: &ContactRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO contacts (id, customer_id, name, email, phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id)
        .bind(r.customer_id)
        .bind(&r.name)
        .bind(&r.email)
        .bind(&r.phone)
        .bind(r.created_at),
    )
    .await?;
    Ok(())
}

pub async fn list_contacts(c: &mut Conn<'_>, customer_id: Uuid) -> Result<Vec<ContactRow>, StoreError> {
    c.all(
        Sql::new(
            "SELECT id, customer_id, name, email, phone, created_at FROM contacts \
             WHERE customer_id = $1 ORDER BY name",
        )
        .bind(customer_id),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert_team(c: &mut Conn<'_>, r: &TeamRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO teams (id, name, name_key, description, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id)
        .bind(&r.name)
        .bind(r.name.to_lowercase())
        .bind(&r.description)
        .bind(r.version)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await?;
    Ok(())
}

pub async fn list_teams(c: &mut Conn<'_>) -> Result<Vec<TeamRow>, StoreError> {
    c.all(Sql::new(
        "SELECT id, name, description, version, created_at, updated_at FROM teams ORDER BY name_key",
    ))
    .await
}

pub async fn get_team(c: &mut Conn<'_>, id: Uuid) -> Result<Option<TeamRow>, StoreError> {
    c.opt(
        Sql::new("SELECT id, name, description, version, created_at, updated_at FROM teams WHERE id = $1")
            .bind(id),
    )
    .await
}

pub async fn add_member(c: &mut Conn<'_>, team_id: Uuid, user_id: Uuid) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team_id)
        .bind(user_id),
    )
    .await?;
    Ok(())
}

pub async fn list_members(c: &mut Conn<'_>, team_id: Uuid) -> Result<Vec<UserRow>, StoreError> {
    c.all(Sql::dynamic(
        format!(
            "SELECT {USER_COLS} FROM users u JOIN team_members m ON m.user_id = u.id \
             WHERE m.team_id = $1 ORDER BY u.display_name"
        ),
        vec![team_id.into()],
    ))
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub customer_id: Option<Uuid>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const USER_COLS: &str = "u.id, u.email, u.display_name, u.role, u.customer_id, u.password_hash, \
                         u.active, u.version, u.created_at, u.updated_at";

pub async fn insert_user(c: &mut Conn<'_>, r: &UserRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO users (id, email, display_name, role, customer_id, password_hash, active, \
             version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(r.id)
        .bind(&r.email)
        .bind(&r.display_name)
        .bind(&r.role)
        .bind(r.customer_id)
        .bind(r.password_hash.clone())
        .bind(r.active)
        .bind(r.version)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await?;
    Ok(())
}

pub async fn get_user(c: &mut Conn<'_>, id: Uuid) -> Result<Option<UserRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"), vec![id.into()])).await
}

pub async fn get_user_by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<UserRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {USER_COLS} FROM users u WHERE u.email = $1"), vec![email.into()]))
        .await
}

/// Users, optionally only those of one customer.
pub async fn list_users(c: &mut Conn<'_>, customer_id: Option<Uuid>) -> Result<Vec<UserRow>, StoreError> {
    match customer_id {
        Some(cid) => {
            c.all(Sql::dynamic(
                format!("SELECT {USER_COLS} FROM users u WHERE u.customer_id = $1 ORDER BY u.email"),
                vec![cid.into()],
            ))
            .await
        }
        None => {
            c.all(Sql::dynamic(format!("SELECT {USER_COLS} FROM users u ORDER BY u.email"), vec![])).await
        }
    }
}

/// Active administrators (the first start creates one when there is none).
pub async fn count_active_admins(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let (n,): (i64,) = c
        .one(Sql::new("SELECT COUNT(*) FROM users WHERE role = $1 AND active = $2").bind("admin").bind(true))
        .await?;
    Ok(n)
}

/// Updates a user's profile and access if `version` still matches. Returns false when stale.
pub async fn update_user(c: &mut Conn<'_>, r: &UserRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE users SET display_name = $1, role = $2, customer_id = $3, active = $4, \
                 version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
            )
            .bind(&r.display_name)
            .bind(&r.role)
            .bind(r.customer_id)
            .bind(r.active)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

pub async fn set_password(c: &mut Conn<'_>, user_id: Uuid, hash: &str, at: i64) -> Result<(), StoreError> {
    c.execute(
        Sql::new("UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(hash)
            .bind(at)
            .bind(user_id),
    )
    .await?;
    Ok(())
}

/// The active users holding `role`.
pub async fn active_users_with_role(c: &mut Conn<'_>, role: &str) -> Result<Vec<UserRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {USER_COLS} FROM users u WHERE u.role = $1 AND u.active ORDER BY u.display_name"),
        vec![role.into()],
    ))
    .await
}
