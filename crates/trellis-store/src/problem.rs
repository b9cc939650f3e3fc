//! Problem rows, their list, known errors offered while logging an incident, and the CIs whose
//! recurring incidents suggest a problem.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProblemRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub priority: String,
    pub root_cause: String,
    pub workaround: String,
    pub resolution: String,
    pub root_cause_at: Option<i64>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProblemView {
    #[sqlx(flatten)]
    pub row: ProblemRow,
    pub service_ref: Option<String>,
    pub service_name: Option<String>,
    pub ci_ref: Option<String>,
    pub ci_name: Option<String>,
    pub team_name: Option<String>,
    pub assignee_name: Option<String>,
    /// Incidents linked to it (`caused_by`).
    pub incident_count: i64,
}

const VIEW_SELECT: &str = "SELECT p.id, p.ref, p.title, p.description, p.status, p.service_id, p.ci_id, \
     p.team_id, p.assignee_id, p.priority, p.root_cause, p.workaround, p.resolution, p.root_cause_at, \
     p.created_by, p.version, p.created_at, p.updated_at, \
     s.ref AS service_ref, s.name AS service_name, k.ref AS ci_ref, k.name AS ci_name, t.name AS team_name, \
     a.display_name AS assignee_name, \
     (SELECT COUNT(*) FROM links l WHERE l.to_id = p.id AND l.link_type = 'caused_by' \
     AND l.from_kind = 'incident') AS incident_count \
     FROM problems p \
     LEFT JOIN services s ON s.id = p.service_id \
     LEFT JOIN cis k ON k.id = p.ci_id \
     LEFT JOIN teams t ON t.id = p.team_id \
     LEFT JOIN users a ON a.id = p.assignee_id";

pub fn insert(r: &ProblemRow) -> Sql {
    Sql::new(
        "INSERT INTO problems (id, ref, title, description, status, service_id, ci_id, team_id, assignee_id, \
         priority, root_cause, workaround, resolution, root_cause_at, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.service_id)
    .bind(r.ci_id)
    .bind(r.team_id)
    .bind(r.assignee_id)
    .bind(&r.priority)
    .bind(&r.root_cause)
    .bind(&r.workaround)
    .bind(&r.resolution)
    .bind(r.root_cause_at)
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<ProblemView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "p", key)).await
}

/// The conditional UPDATE of the editable fields and the new version: one row while the stored
/// version is still `expected_version`, none when another writer got there first.
pub fn update(r: &ProblemRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE problems SET title = $1, description = $2, status = $3, service_id = $4, ci_id = $5, \
                 team_id = $6, assignee_id = $7, priority = $8, root_cause = $9, workaround = $10, \
                 resolution = $11, root_cause_at = $12, version = $13, updated_at = $14 \
                 WHERE id = $15 AND version = $16",
    )
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.service_id)
    .bind(r.ci_id)
    .bind(r.team_id)
    .bind(r.assignee_id)
    .bind(&r.priority)
    .bind(&r.root_cause)
    .bind(&r.workaround)
    .bind(&r.resolution)
    .bind(r.root_cause_at)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    /// Open problems raised before this instant that still have no root cause.
    pub no_root_cause_since: Option<i64>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<ProblemView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "p.id");
    q.any_of("p.status", &f.statuses);
    if let Some(s) = f.service_id {
        q.eq("p.service_id", s);
    }
    if let Some(k) = f.ci_id {
        q.eq("p.ci_id", k);
    }
    if let Some(before) = f.no_root_cause_since {
        let p = q.arg(before);
        q.and(&format!(
            "p.root_cause_at IS NULL AND p.status IN ('new', 'investigating') AND p.created_at < {p}"
        ));
    }
    q.text(&["p.title", "p.ref", "p.workaround"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &ProblemView| v.row.id).await
}

/// A CI with several recent incidents and no open problem about it: a candidate for proactive
/// problem management.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub ci_id: Uuid,
    pub ci_ref: String,
    pub ci_name: String,
    pub incidents: i64,
}

pub async fn candidates(c: &mut Conn<'_>, since: i64, at_least: i64) -> Result<Vec<Candidate>, StoreError> {
    c.all(
        Sql::new(
            "SELECT k.id AS ci_id, k.ref AS ci_ref, k.name AS ci_name, COUNT(*) AS incidents \
             FROM incidents i JOIN cis k ON k.id = i.ci_id \
             WHERE i.created_at >= $1 AND NOT EXISTS ( \
                 SELECT 1 FROM problems p WHERE p.ci_id = k.id AND p.status NOT IN ('resolved', 'closed')) \
             GROUP BY k.id, k.ref, k.name HAVING COUNT(*) >= $2 ORDER BY incidents DESC, k.ref LIMIT 50",
        )
        .bind(since)
        .bind(at_least),
    )
    .await
}
