//! In-app notifications and the mail outbox.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: String,
    pub record_id: Option<Uuid>,
    pub record_ref: String,
    pub subject: String,
    pub body: String,
    pub dedupe_key: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

const NOTIFICATION_COLS: &str =
    "id, user_id, kind, record_id, record_ref, subject, body, dedupe_key, created_at, read_at";

/// Stores a notification unless one with its dedupe key exists; true when it was new.
pub async fn insert_notification(c: &mut Conn<'_>, r: &NotificationRow) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "INSERT INTO notifications (id, user_id, kind, record_id, record_ref, subject, body, dedupe_key, \
                 created_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(r.id)
            .bind(r.user_id)
            .bind(r.kind.clone())
            .bind(r.record_id)
            .bind(r.record_ref.clone())
            .bind(r.subject.clone())
            .bind(r.body.clone())
            .bind(r.dedupe_key.clone())
            .bind(r.created_at),
        )
        .await?;
    Ok(n == 1)
}

/// A user's notifications, newest first.
pub async fn list_notifications(
    c: &mut Conn<'_>,
    user_id: Uuid,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<NotificationRow>, StoreError> {
    let unread = if unread_only { " AND read_at IS NULL" } else { "" };
    c.all(Sql::dynamic(
        format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications WHERE user_id = $1{unread} \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ),
        vec![user_id.into(), limit.into()],
    ))
    .await
}

pub async fn count_unread(c: &mut Conn<'_>, user_id: Uuid) -> Result<i64, StoreError> {
    let (n,): (i64,) = c
        .one(
            Sql::new("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
                .bind(user_id),
        )
        .await?;
    Ok(n)
}

/// Marks one of the user's notifications read (`id`) or all of them; returns how many changed.
pub fn mark_read(user_id: Uuid, id: Option<Uuid>, at: i64) -> Sql {
    match id {
        Some(id) => Sql::new(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND id = $3 AND read_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .bind(id),
        None => Sql::new("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(at)
            .bind(user_id),
    }
}

pub async fn get_notification(
    c: &mut Conn<'_>,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<NotificationRow>, StoreError> {
    c.opt(Sql::dynamic(
        format!("SELECT {NOTIFICATION_COLS} FROM notifications WHERE user_id = $1 AND id = $2"),
        vec![user_id.into(), id.into()],
    ))
    .await
}

/// Delivery states of a message in the outbox.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const SENT: &str = "sent";
    /// Given up after repeated failures, or no SMTP server is configured.
    pub const FAILED: &str = "failed";
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: Uuid,
    pub notification_id: Uuid,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const OUTBOX_COLS: &str = "id, notification_id, to_address, to_name, subject, body, status, attempts, last_error, created_at, sent_at";

pub fn insert_outbox(r: &OutboxRow) -> Sql {
    Sql::new(
        "INSERT INTO outbox (id, notification_id, to_address, to_name, subject, body, status, attempts, \
         last_error, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8, NULL)",
    )
    .bind(r.id)
    .bind(r.notification_id)
    .bind(r.to_address.clone())
    .bind(r.to_name.clone())
    .bind(r.subject.clone())
    .bind(r.body.clone())
    .bind(r.status.clone())
    .bind(r.created_at)
}

pub async fn get_outbox(c: &mut Conn<'_>, id: Uuid) -> Result<Option<OutboxRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {OUTBOX_COLS} FROM outbox WHERE id = $1"), vec![id.into()])).await
}

/// Records a delivery attempt: sent (`error` None) or not, and whether to give up.
pub fn record_attempt(id: Uuid, at: i64, error: Option<&str>, give_up: bool) -> Sql {
    let status = match (error, give_up) {
        (None, _) => status::SENT,
        (Some(_), true) => status::FAILED,
        (Some(_), false) => status::QUEUED,
    };
    Sql::new(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2, \
         sent_at = CASE WHEN $3 THEN $4 ELSE sent_at END WHERE id = $5 AND status = 'queued'",
    )
    .bind(status)
    .bind(error.map(str::to_owned))
    .bind(error.is_none())
    .bind(at)
    .bind(id)
}

/// The newest messages, for the administrator's view of what went out.
pub async fn recent_outbox(c: &mut Conn<'_>, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {OUTBOX_COLS} FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1"),
        vec![limit.into()],
    ))
    .await
}
