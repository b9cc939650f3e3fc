//! Agreement rows, their targets, and the chain of support between targets.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub agreement_type: String,
    pub status: String,
    pub service_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub notice_on: Option<String>,
    pub renewal_on: Option<String>,
    pub next_review_on: Option<String>,
    pub value_cents: Option<i64>,
    /// Clock conditions: pending reasons (comma-separated) that pause the clocks, what a reopen
    /// does (resume or restart), and the share of a target at which a warning fires.
    pub pause_on: String,
    pub on_reopen: String,
    pub warn_percent: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementView {
    #[sqlx(flatten)]
    pub row: AgreementRow,
    pub service_ref: Option<String>,
    pub service_name: Option<String>,
    pub customer_name: Option<String>,
    pub team_name: Option<String>,
    pub supplier_ref: Option<String>,
    pub supplier_name: Option<String>,
    pub owner_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT a.id, a.ref, a.title, a.description, a.agreement_type, a.status, a.service_id, \
     a.customer_id, a.team_id, a.supplier_id, a.owner_id, a.starts_on, a.ends_on, a.notice_on, a.renewal_on, \
     a.next_review_on, a.value_cents, a.pause_on, a.on_reopen, a.warn_percent, a.version, a.created_at, \
     a.updated_at, \
     s.ref AS service_ref, s.name AS service_name, cu.name AS customer_name, t.name AS team_name, \
     p.ref AS supplier_ref, p.name AS supplier_name, o.display_name AS owner_name \
     FROM agreements a LEFT JOIN services s ON s.id = a.service_id \
     LEFT JOIN customers cu ON cu.id = a.customer_id LEFT JOIN teams t ON t.id = a.team_id \
     LEFT JOIN suppliers p ON p.id = a.supplier_id LEFT JOIN users o ON o.id = a.owner_id";

pub fn insert(r: &AgreementRow) -> Sql {
    Sql::new(
        "INSERT INTO agreements (id, ref, title, description, agreement_type, status, service_id, customer_id, \
         team_id, supplier_id, owner_id, starts_on, ends_on, notice_on, renewal_on, next_review_on, value_cents, \
         version, created_at, updated_at, pause_on, on_reopen, warn_percent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.agreement_type)
    .bind(&r.status)
    .bind(r.service_id)
    .bind(r.customer_id)
    .bind(r.team_id)
    .bind(r.supplier_id)
    .bind(r.owner_id)
    .bind(r.starts_on.clone())
    .bind(r.ends_on.clone())
    .bind(r.notice_on.clone())
    .bind(r.renewal_on.clone())
    .bind(r.next_review_on.clone())
    .bind(r.value_cents)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(&r.pause_on)
    .bind(&r.on_reopen)
    .bind(r.warn_percent)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<AgreementView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "a", key)).await
}

/// The type and the party are fixed at creation; everything else may change.
pub fn update(r: &AgreementRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE agreements SET title = $1, description = $2, status = $3, service_id = $4, owner_id = $5, \
         starts_on = $6, ends_on = $7, notice_on = $8, renewal_on = $9, next_review_on = $10, value_cents = $11, \
         version = $12, updated_at = $13, pause_on = $16, on_reopen = $17, warn_percent = $18 \
         WHERE id = $14 AND version = $15",
    )
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.service_id)
    .bind(r.owner_id)
    .bind(r.starts_on.clone())
    .bind(r.ends_on.clone())
    .bind(r.notice_on.clone())
    .bind(r.renewal_on.clone())
    .bind(r.next_review_on.clone())
    .bind(r.value_cents)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
    .bind(&r.pause_on)
    .bind(&r.on_reopen)
    .bind(r.warn_percent)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub types: Vec<String>,
    pub statuses: Vec<String>,
    pub service_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<AgreementView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "a.id");
    q.any_of("a.agreement_type", &f.types);
    q.any_of("a.status", &f.statuses);
    if let Some(v) = f.service_id {
        q.eq("a.service_id", v);
    }
    if let Some(v) = f.customer_id {
        q.eq("a.customer_id", v);
    }
    if let Some(v) = f.supplier_id {
        q.eq("a.supplier_id", v);
    }
    q.text(&["a.title", "a.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &AgreementView| v.row.id).await
}

/// Agreements not yet terminated with a contract or review date in `[from, to]` (YYYY-MM-DD),
/// soonest first.
pub async fn with_dates_between(
    c: &mut Conn<'_>,
    from: &str,
    to: &str,
) -> Result<Vec<AgreementView>, StoreError> {
    let mut out: Vec<AgreementView> = Vec::new();
    for column in ["a.ends_on", "a.notice_on", "a.renewal_on", "a.next_review_on"] {
        let found: Vec<AgreementView> = c
            .all(Sql::dynamic(
                format!(
                    "{VIEW_SELECT} WHERE a.status <> 'terminated' AND {column} >= $1 AND {column} <= $2 \
                     ORDER BY {column}, a.id LIMIT 500"
                ),
                vec![from.into(), to.into()],
            ))
            .await?;
        for v in found {
            if !out.iter().any(|o| o.row.id == v.row.id) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetRow {
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub metric: String,
    pub priority: String,
    pub threshold: i64,
    pub calendar_id: Uuid,
    pub supported_by: Option<Uuid>,
    pub position: i64,
}

/// A target with the agreement it belongs to and its calendar's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TargetView {
    #[sqlx(flatten)]
    pub row: TargetRow,
    pub calendar_name: String,
    pub agreement_ref: String,
    pub agreement_title: String,
    pub agreement_type: String,
    pub agreement_status: String,
}

const TARGET_SELECT: &str = "SELECT g.id, g.agreement_id, g.metric, g.priority, g.threshold, g.calendar_id, \
     g.supported_by, g.position, k.name AS calendar_name, a.ref AS agreement_ref, a.title AS agreement_title, \
     a.agreement_type AS agreement_type, a.status AS agreement_status \
     FROM agreement_targets g JOIN agreements a ON a.id = g.agreement_id JOIN calendars k ON k.id = g.calendar_id";

pub async fn targets_of(c: &mut Conn<'_>, agreement_id: Uuid) -> Result<Vec<TargetView>, StoreError> {
    c.all(Sql::dynamic(
        format!("{TARGET_SELECT} WHERE g.agreement_id = $1 ORDER BY g.position"),
        vec![agreement_id.into()],
    ))
    .await
}

pub async fn target(c: &mut Conn<'_>, id: Uuid) -> Result<Option<TargetView>, StoreError> {
    c.opt(Sql::dynamic(format!("{TARGET_SELECT} WHERE g.id = $1"), vec![id.into()])).await
}

/// The targets that rest directly on `id`.
pub async fn resting_on(c: &mut Conn<'_>, id: Uuid) -> Result<Vec<TargetView>, StoreError> {
    c.all(Sql::dynamic(
        format!("{TARGET_SELECT} WHERE g.supported_by = $1 ORDER BY a.ref, g.position"),
        vec![id.into()],
    ))
    .await
}

/// Targets of agreements of these types (what a higher target may rest on), by agreement;
/// terminated ones too, so a form can show a link made before the agreement ended.
pub async fn targets_of_types(c: &mut Conn<'_>, types: &[&str]) -> Result<Vec<TargetView>, StoreError> {
    let mut q = ListQuery::new(TARGET_SELECT, "g.id");
    let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
    q.any_of("a.agreement_type", &types);
    let (sql, args) = q.into_parts();
    c.all(Sql::dynamic(format!("{sql} ORDER BY a.ref, g.position LIMIT 5000"), args)).await
}

pub fn insert_target(t: &TargetRow) -> Sql {
    Sql::new(
        "INSERT INTO agreement_targets (id, agreement_id, metric, priority, threshold, calendar_id, supported_by, \
         position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(t.id)
    .bind(t.agreement_id)
    .bind(&t.metric)
    .bind(&t.priority)
    .bind(t.threshold)
    .bind(t.calendar_id)
    .bind(t.supported_by)
    .bind(t.position)
}

pub fn update_target(t: &TargetRow) -> Sql {
    Sql::new(
        "UPDATE agreement_targets SET threshold = $1, calendar_id = $2, supported_by = $3, position = $4 \
         WHERE id = $5",
    )
    .bind(t.threshold)
    .bind(t.calendar_id)
    .bind(t.supported_by)
    .bind(t.position)
    .bind(t.id)
}

pub fn delete_target(id: Uuid) -> Sql {
    Sql::new("DELETE FROM agreement_targets WHERE id = $1").bind(id)
}
