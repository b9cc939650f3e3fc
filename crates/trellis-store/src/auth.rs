//! Sessions, API tokens and failed-login records. Secrets never reach the database: sessions
//! and tokens are looked up by the SHA-256 of the value the client holds.

use crate::identity::UserRow;
use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub user_id: Uuid,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    pub ip: String,
    pub revoked_at: Option<i64>,
}

pub async fn insert_session(c: &mut Conn<'_>, r: &SessionRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id_hash.clone())
        .bind(r.user_id)
        .bind(r.created_at)
        .bind(r.last_seen_at)
        .bind(r.expires_at)
        .bind(&r.user_agent)
        .bind(&r.ip),
    )
    .await?;
    Ok(())
}

/// A live session and its user: not revoked, not expired at `now`, user active.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub last_seen_at: i64,
    #[sqlx(flatten)]
    pub user: UserRow,
}

pub async fn live_session(
    c: &mut Conn<'_>,
    id_hash: &[u8],
    now: i64,
) -> Result<Option<SessionUser>, StoreError> {
    c.opt(
        Sql::new(
            "SELECT s.last_seen_at, u.id, u.email, u.display_name, u.role, u.customer_id, u.password_hash, \
             u.active, u.version, u.created_at, u.updated_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active = $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(true),
    )
    .await
}

/// Slides the session's expiry forward (idle timeout).
pub async fn touch_session(
    c: &mut Conn<'_>,
    id_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.execute(
        Sql::new("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(now)
            .bind(expires_at)
            .bind(id_hash),
    )
    .await?;
    Ok(())
}

pub async fn revoke_session(c: &mut Conn<'_>, id_hash: &[u8], now: i64) -> Result<(), StoreError> {
    c.execute(
        Sql::new("UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id_hash),
    )
    .await?;
    Ok(())
}

/// Revokes every session and API token of a user (deactivation, "log out everywhere").
pub async fn revoke_all_for_user(c: &mut Conn<'_>, user_id: Uuid, now: i64) -> Result<(), StoreError> {
    c.execute(
        Sql::new("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert_token(c: &mut Conn<'_>, r: &TokenRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.id)
        .bind(r.user_id)
        .bind(&r.name)
        .bind(r.token_hash.clone())
        .bind(r.created_at)
        .bind(r.expires_at),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenUser {
    pub token_id: Uuid,
    pub token_last_used_at: Option<i64>,
    pub token_expires_at: Option<i64>,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// The token with this hash, if not revoked, and its active user. Expiry is checked by the caller
/// so that it can answer "expired" rather than "unknown".
pub async fn find_token(c: &mut Conn<'_>, token_hash: &[u8]) -> Result<Option<TokenUser>, StoreError> {
    c.opt(
        Sql::new(
            "SELECT t.id AS token_id, t.last_used_at AS token_last_used_at, t.expires_at AS token_expires_at, \
             u.id, u.email, u.display_name, u.role, u.customer_id, u.password_hash, u.active, u.version, \
             u.created_at, u.updated_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = $2",
        )
        .bind(token_hash)
        .bind(true),
    )
    .await
}

pub async fn touch_token(c: &mut Conn<'_>, id: Uuid, now: i64) -> Result<(), StoreError> {
    c.execute(Sql::new("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id)).await?;
    Ok(())
}

pub async fn list_tokens(c: &mut Conn<'_>, user_id: Uuid) -> Result<Vec<TokenRow>, StoreError> {
    c.all(
        Sql::new(
            "SELECT id, user_id, name, token_hash, created_at, last_used_at, expires_at, revoked_at \
             FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id),
    )
    .await
}

pub async fn revoke_token(c: &mut Conn<'_>, id: Uuid, user_id: Uuid, now: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(user_id),
        )
        .await?;
    Ok(n == 1)
}

pub async fn record_login_failure(
    c: &mut Conn<'_>,
    email: &str,
    ip: &str,
    at: i64,
) -> Result<(), StoreError> {
    c.execute(
        Sql::new("INSERT INTO login_failures (id, email, ip, at) VALUES ($1, $2, $3, $4)")
            .bind(Uuid::now_v7())
            .bind(email)
            .bind(ip)
            .bind(at),
    )
    .await?;
    Ok(())
}

/// Failed logins since `since` for this account and from this address.
pub async fn count_login_failures(
    c: &mut Conn<'_>,
    email: &str,
    ip: &str,
    since: i64,
) -> Result<(i64, i64), StoreError> {
    let (by_email,): (i64,) = c
        .one(
            Sql::new("SELECT COUNT(*) FROM login_failures WHERE email = $1 AND at > $2")
                .bind(email)
                .bind(since),
        )
        .await?;
    let (by_ip,): (i64,) = c
        .one(Sql::new("SELECT COUNT(*) FROM login_failures WHERE ip = $1 AND at > $2").bind(ip).bind(since))
        .await?;
    Ok((by_email, by_ip))
}

/// Forgets old failures (kept only as long as the rate-limit window needs them).
pub async fn prune_login_failures(c: &mut Conn<'_>, before: i64) -> Result<(), StoreError> {
    c.execute(Sql::new("DELETE FROM login_failures WHERE at < $1").bind(before)).await?;
    Ok(())
}
