//! Satisfaction surveys and their scores per service and customer.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub service_id: Option<Uuid>,
    pub user_id: Uuid,
    pub reason: String,
    pub record_id: Option<Uuid>,
    pub record_ref: Option<String>,
    pub sent_at: i64,
    pub answered_at: Option<i64>,
    pub score: Option<i64>,
    pub comment: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SurveyView {
    #[sqlx(flatten)]
    pub row: SurveyRow,
    pub customer_name: String,
    pub service_name: Option<String>,
    pub user_name: String,
}

const VIEW_SELECT: &str = "SELECT v.id, v.customer_id, v.service_id, v.user_id, v.reason, v.record_id, v.record_ref, \
     v.sent_at, v.answered_at, v.score, v.comment, cu.name AS customer_name, s.name AS service_name, \
     u.display_name AS user_name \
     FROM surveys v JOIN customers cu ON cu.id = v.customer_id LEFT JOIN services s ON s.id = v.service_id \
     JOIN users u ON u.id = v.user_id";

pub fn insert(r: &SurveyRow) -> Sql {
    Sql::new(
        "INSERT INTO surveys (id, customer_id, service_id, user_id, reason, record_id, record_ref, sent_at, \
         answered_at, score, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id)
    .bind(r.customer_id)
    .bind(r.service_id)
    .bind(r.user_id)
    .bind(&r.reason)
    .bind(r.record_id)
    .bind(r.record_ref.clone())
    .bind(r.sent_at)
    .bind(r.answered_at)
    .bind(r.score)
    .bind(&r.comment)
}

/// Records an answer if the survey is still unanswered; false otherwise.
pub async fn answer(
    c: &mut Conn<'_>,
    id: Uuid,
    at: i64,
    score: i64,
    comment: &str,
) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new("UPDATE surveys SET answered_at = $1, score = $2, comment = $3 WHERE id = $4 AND answered_at IS NULL")
                .bind(at)
                .bind(score)
                .bind(comment)
                .bind(id),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get(c: &mut Conn<'_>, id: Uuid) -> Result<Option<SurveyView>, StoreError> {
    c.opt(Sql::dynamic(format!("{VIEW_SELECT} WHERE v.id = $1"), vec![id.into()])).await
}

pub async fn exists_for_record(c: &mut Conn<'_>, record_id: Uuid) -> Result<bool, StoreError> {
    let n: (i64,) =
        c.one(Sql::new("SELECT COUNT(*) FROM surveys WHERE record_id = $1").bind(record_id)).await?;
    Ok(n.0 > 0)
}

/// Newest first; `user_id` limits to one person's surveys.
pub async fn list(
    c: &mut Conn<'_>,
    user_id: Option<Uuid>,
    only_open: bool,
) -> Result<Vec<SurveyView>, StoreError> {
    let mut sql = format!("{VIEW_SELECT} WHERE 1 = 1");
    let mut args = Vec::new();
    if let Some(u) = user_id {
        args.push(u.into());
        sql.push_str(" AND v.user_id = $1");
    }
    if only_open {
        sql.push_str(" AND v.answered_at IS NULL");
    }
    sql.push_str(" ORDER BY v.id DESC LIMIT 500");
    c.all(Sql::dynamic(sql, args)).await
}

/// Scores per service or per customer: surveys sent, answered, and the average score.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoreRow {
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub sent: i64,
    pub answered: i64,
    /// Sum of the scores (the average is `score_sum / answered`).
    pub score_sum: i64,
}

pub async fn scores_by_service(c: &mut Conn<'_>) -> Result<Vec<ScoreRow>, StoreError> {
    c.all(Sql::new(
        "SELECT s.id AS id, s.name AS name, COUNT(*) AS sent, COUNT(v.answered_at) AS answered, \
         CAST(COALESCE(SUM(v.score), 0) AS BIGINT) AS score_sum \
         FROM surveys v LEFT JOIN services s ON s.id = v.service_id GROUP BY s.id, s.name ORDER BY name",
    ))
    .await
}

pub async fn scores_by_customer(c: &mut Conn<'_>) -> Result<Vec<ScoreRow>, StoreError> {
    c.all(Sql::new(
        "SELECT cu.id AS id, cu.name AS name, COUNT(*) AS sent, COUNT(v.answered_at) AS answered, \
         CAST(COALESCE(SUM(v.score), 0) AS BIGINT) AS score_sum \
         FROM surveys v JOIN customers cu ON cu.id = v.customer_id GROUP BY cu.id, cu.name ORDER BY name",
    ))
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleRow {
    pub customer_id: Uuid,
    pub every_days: i64,
    pub next_round_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleView {
    #[sqlx(flatten)]
    pub row: ScheduleRow,
    pub customer_name: String,
}

/// Sets (or replaces) a customer's schedule.
pub async fn set_schedule(c: &mut Conn<'_>, r: &ScheduleRow) -> Result<(), StoreError> {
    c.execute(Sql::new("DELETE FROM survey_schedules WHERE customer_id = $1").bind(r.customer_id)).await?;
    c.execute(
        Sql::new("INSERT INTO survey_schedules (customer_id, every_days, next_round_at) VALUES ($1, $2, $3)")
            .bind(r.customer_id)
            .bind(r.every_days)
            .bind(r.next_round_at),
    )
    .await?;
    Ok(())
}

pub async fn clear_schedule(c: &mut Conn<'_>, customer_id: Uuid) -> Result<(), StoreError> {
    c.execute(Sql::new("DELETE FROM survey_schedules WHERE customer_id = $1").bind(customer_id)).await?;
    Ok(())
}

pub async fn schedules(c: &mut Conn<'_>) -> Result<Vec<ScheduleView>, StoreError> {
    c.all(Sql::new(
        "SELECT s.customer_id, s.every_days, s.next_round_at, cu.name AS customer_name \
         FROM survey_schedules s JOIN customers cu ON cu.id = s.customer_id ORDER BY cu.name_key",
    ))
    .await
}

pub async fn due_schedules(c: &mut Conn<'_>, now: i64) -> Result<Vec<ScheduleRow>, StoreError> {
    c.all(
        Sql::new(
            "SELECT customer_id, every_days, next_round_at FROM survey_schedules WHERE next_round_at <= $1",
        )
        .bind(now),
    )
    .await
}

/// Claims a due round by moving its schedule on; false if another process claimed it first.
pub async fn claim_round(c: &mut Conn<'_>, r: &ScheduleRow, next: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new("UPDATE survey_schedules SET next_round_at = $1 WHERE customer_id = $2 AND next_round_at = $3")
                .bind(next)
                .bind(r.customer_id)
                .bind(r.next_round_at),
        )
        .await?;
    Ok(n == 1)
}
