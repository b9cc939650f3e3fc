//! Major incidents: the communication log and the review each needs before it closes.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommunicationRow {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub audience: String,
    pub channel: String,
    pub message: String,
    pub author_id: Option<Uuid>,
    pub sent_at: i64,
}

/// A communication with its author's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommunicationView {
    #[sqlx(flatten)]
    pub row: CommunicationRow,
    pub author_name: Option<String>,
}

pub fn insert_communication(r: &CommunicationRow) -> Sql {
    Sql::new(
        "INSERT INTO incident_communications (id, incident_id, audience, channel, message, author_id, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(r.incident_id)
    .bind(r.audience.clone())
    .bind(r.channel.clone())
    .bind(r.message.clone())
    .bind(r.author_id)
    .bind(r.sent_at)
}

/// The incident's communications in the order they went out; only those for `audience` when
/// given (a customer reads what was sent to customers).
pub async fn communications(
    c: &mut Conn<'_>,
    incident_id: Uuid,
    audience: Option<&str>,
) -> Result<Vec<CommunicationView>, StoreError> {
    let mut args = vec![incident_id.into()];
    let only = match audience {
        Some(a) => {
            args.push(a.into());
            " AND m.audience = $2"
        }
        None => "",
    };
    c.all(Sql::dynamic(
        format!(
            "SELECT m.id, m.incident_id, m.audience, m.channel, m.message, m.author_id, m.sent_at, \
             u.display_name AS author_name FROM incident_communications m LEFT JOIN users u ON u.id = m.author_id \
             WHERE m.incident_id = $1{only} ORDER BY m.sent_at, m.id"
        ),
        args,
    ))
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewRow {
    pub incident_id: Uuid,
    pub summary: String,
    pub cause: String,
    pub went_well: String,
    pub went_wrong: String,
    pub actions: String,
    pub reviewer_id: Option<Uuid>,
    pub reviewed_at: i64,
    pub version: i64,
}

/// A review with its reviewer's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewView {
    #[sqlx(flatten)]
    pub row: ReviewRow,
    pub reviewer_name: Option<String>,
}

/// Records the first review (`r.version` 1) or replaces version `r.version - 1`; the statement
/// changes no row when someone else wrote first. A review may be corrected until the incident
/// closes; the journal keeps each version's digest.
pub fn write_review(r: &ReviewRow) -> Sql {
    let sql = if r.version == 1 {
        "INSERT INTO major_incident_reviews (incident_id, summary, cause, went_well, went_wrong, actions, \
         reviewer_id, reviewed_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (incident_id) DO NOTHING"
    } else {
        "UPDATE major_incident_reviews SET summary = $2, cause = $3, went_well = $4, went_wrong = $5, \
         actions = $6, reviewer_id = $7, reviewed_at = $8, version = $9 \
         WHERE incident_id = $1 AND version = $9 - 1"
    };
    Sql::new(sql)
        .bind(r.incident_id)
        .bind(r.summary.clone())
        .bind(r.cause.clone())
        .bind(r.went_well.clone())
        .bind(r.went_wrong.clone())
        .bind(r.actions.clone())
        .bind(r.reviewer_id)
        .bind(r.reviewed_at)
        .bind(r.version)
}

pub async fn review(c: &mut Conn<'_>, incident_id: Uuid) -> Result<Option<ReviewView>, StoreError> {
    c.opt(
        Sql::new(
            "SELECT r.incident_id, r.summary, r.cause, r.went_well, r.went_wrong, r.actions, r.reviewer_id, \
             r.reviewed_at, r.version, u.display_name AS reviewer_name FROM major_incident_reviews r \
             LEFT JOIN users u ON u.id = r.reviewer_id WHERE r.incident_id = $1",
        )
        .bind(incident_id),
    )
    .await
}
