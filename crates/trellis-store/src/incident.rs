//! Incident rows, and the incident list with filters and keyset pagination.

use crate::record::escape_like;
use crate::{Conn, Sql, StoreError, Val};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub ci_id: Option<Uuid>,
    pub category: String,
    pub impact: String,
    pub urgency: String,
    pub priority: String,
    pub pending_reason: Option<String>,
    pub resolution_code: Option<String>,
    pub resolution_notes: String,
    pub resolved_at: Option<i64>,
    /// Projection: the earliest due instant of a running SLA clock (see `trellis_app::sla`).
    pub sla_due_at: Option<i64>,
    /// How many times it was escalated to management by hand (a breach's escalation is in the
    /// journal and the SLA events).
    pub escalation_level: i64,
    /// How many times it moved from one team to another.
    pub reassignments: i64,
    /// Set when it was declared a major incident.
    pub major_declared_at: Option<i64>,
    pub major_manager_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An incident with the names of the people and organisations it points at, so that a page or
/// an API response needs no second query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentView {
    #[sqlx(flatten)]
    pub row: IncidentRow,
    pub customer_name: Option<String>,
    pub team_name: Option<String>,
    pub assignee_name: Option<String>,
    pub owner_name: Option<String>,
    pub service_ref: Option<String>,
    pub service_name: Option<String>,
    pub ci_ref: Option<String>,
    pub ci_name: Option<String>,
    pub major_manager_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT i.id, i.ref, i.title, i.description, i.status, i.customer_id, i.team_id, \
     i.assignee_id, i.owner_id, i.created_by, i.service_id, i.ci_id, i.category, i.impact, i.urgency, \
     i.priority, i.pending_reason, i.resolution_code, i.resolution_notes, i.resolved_at, i.sla_due_at, \
     i.escalation_level, i.reassignments, i.major_declared_at, i.major_manager_id, i.version, i.created_at, i.updated_at, \
     c.name AS customer_name, t.name AS team_name, a.display_name AS assignee_name, \
     o.display_name AS owner_name, s.ref AS service_ref, s.name AS service_name, \
     k.ref AS ci_ref, k.name AS ci_name, m.display_name AS major_manager_name \
     FROM incidents i \
     LEFT JOIN customers c ON c.id = i.customer_id \
     LEFT JOIN teams t ON t.id = i.team_id \
     LEFT JOIN users a ON a.id = i.assignee_id \
     LEFT JOIN users o ON o.id = i.owner_id \
     LEFT JOIN services s ON s.id = i.service_id \
     LEFT JOIN cis k ON k.id = i.ci_id \
     LEFT JOIN users m ON m.id = i.major_manager_id";

/// The statement that inserts an incident (run it with the journal entry that records it).
pub fn insert(r: &IncidentRow) -> Sql {
    Sql::new(
        "INSERT INTO incidents (id, ref, title, description, status, customer_id, team_id, \
             assignee_id, owner_id, created_by, version, created_at, updated_at, service_id, ci_id, category, \
             impact, urgency, priority, pending_reason, resolution_code, resolution_notes, resolved_at, sla_due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
             $21, $22, $23, $24)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.customer_id)
    .bind(r.team_id)
    .bind(r.assignee_id)
    .bind(r.owner_id)
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.service_id)
    .bind(r.ci_id)
    .bind(&r.category)
    .bind(&r.impact)
    .bind(&r.urgency)
    .bind(&r.priority)
    .bind(r.pending_reason.clone())
    .bind(r.resolution_code.clone())
    .bind(&r.resolution_notes)
    .bind(r.resolved_at)
    .bind(r.sla_due_at)
}

pub async fn get_by_id(c: &mut Conn<'_>, id: Uuid) -> Result<Option<IncidentView>, StoreError> {
    c.opt(Sql::dynamic(format!("{VIEW_SELECT} WHERE i.id = $1"), vec![id.into()])).await
}

/// Several incidents by id, in id order (those that exist).
pub async fn get_many(c: &mut Conn<'_>, ids: &[Uuid]) -> Result<Vec<IncidentView>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    c.all(Sql::dynamic(
        format!("{VIEW_SELECT} WHERE i.id IN ({}) ORDER BY i.id", crate::placeholders(1, ids.len())),
        ids.iter().map(|&id| id.into()).collect(),
    ))
    .await
}

pub async fn get_by_ref(c: &mut Conn<'_>, reference: &str) -> Result<Option<IncidentView>, StoreError> {
    c.opt(Sql::dynamic(format!("{VIEW_SELECT} WHERE i.ref = $1"), vec![reference.into()])).await
}

/// Writes the editable fields and the new version if the stored version is still
/// `expected_version`. Returns false (and writes nothing) when another writer got there first.
pub async fn update(c: &mut Conn<'_>, r: &IncidentRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE incidents SET title = $1, description = $2, status = $3, customer_id = $4, \
                 team_id = $5, assignee_id = $6, owner_id = $7, version = $8, updated_at = $9, \
                 service_id = $12, ci_id = $13, category = $14, impact = $15, urgency = $16, priority = $17, \
                 pending_reason = $18, resolution_code = $19, resolution_notes = $20, resolved_at = $21, \
                 escalation_level = $22, reassignments = $23, major_declared_at = $24, major_manager_id = $25 \
                 WHERE id = $10 AND version = $11",
            )
            .bind(&r.title)
            .bind(&r.description)
            .bind(&r.status)
            .bind(r.customer_id)
            .bind(r.team_id)
            .bind(r.assignee_id)
            .bind(r.owner_id)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version)
            .bind(r.service_id)
            .bind(r.ci_id)
            .bind(&r.category)
            .bind(&r.impact)
            .bind(&r.urgency)
            .bind(&r.priority)
            .bind(r.pending_reason.clone())
            .bind(r.resolution_code.clone())
            .bind(&r.resolution_notes)
            .bind(r.resolved_at)
            .bind(r.escalation_level)
            .bind(r.reassignments)
            .bind(r.major_declared_at)
            .bind(r.major_manager_id),
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
    /// The queue order: the SLA clock falling due first (incidents without a running clock are
    /// left out).
    DueAsc,
    /// A work queue: the SLA clock falling due first, then incidents without a running clock
    /// (oldest first), so nothing in the queue is hidden.
    QueueAsc,
}

/// Where incidents without a running clock sort in a queue: after every real due instant.
const NO_DUE: i64 = i64::MAX;

/// Where the previous page ended: the sort key (for `updated_at` sorts) and the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: Uuid,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    /// Scope: only this customer's incidents (always set for customer users).
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    /// Only incidents held by a team this user belongs to ("my teams").
    pub member_of: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub unassigned: bool,
    /// Case-insensitive substring of the title or reference.
    pub text: Option<String>,
    /// Only incidents whose SLA clocks fall due within this many minutes of now (the app turns
    /// it into `due_before`); "breaching soon".
    pub due_within_minutes: Option<i64>,
    pub due_before: Option<i64>,
    /// Only major incidents.
    pub major: bool,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page of incidents (`limit + 1` rows are fetched to know whether a next page exists).
pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<IncidentView>, Option<Cursor>), StoreError> {
    let mut sql = format!("{VIEW_SELECT} WHERE 1 = 1");
    let mut args: Vec<Val> = Vec::new();
    let arg = |v: Val, args: &mut Vec<Val>| {
        args.push(v);
        format!("${}", args.len())
    };
    if !f.statuses.is_empty() {
        let ps: Vec<String> = f.statuses.iter().map(|s| arg(s.clone().into(), &mut args)).collect();
        sql.push_str(&format!(" AND i.status IN ({})", ps.join(", ")));
    }
    if let Some(cid) = f.customer_id {
        sql.push_str(&format!(" AND i.customer_id = {}", arg(cid.into(), &mut args)));
    }
    if let Some(t) = f.team_id {
        sql.push_str(&format!(" AND i.team_id = {}", arg(t.into(), &mut args)));
    }
    if let Some(u) = f.member_of {
        sql.push_str(&format!(
            " AND i.team_id IN (SELECT team_id FROM team_members WHERE user_id = {})",
            arg(u.into(), &mut args)
        ));
    }
    if let Some(a) = f.assignee_id {
        sql.push_str(&format!(" AND i.assignee_id = {}", arg(a.into(), &mut args)));
    }
    if f.unassigned {
        sql.push_str(" AND i.assignee_id IS NULL");
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = format!("%{}%", escape_like(&t.trim().to_lowercase()));
        let p = arg(pattern.into(), &mut args);
        sql.push_str(&format!(
            " AND (LOWER(i.title) LIKE {p} ESCAPE '\\' OR LOWER(i.ref) LIKE {p} ESCAPE '\\')"
        ));
    }
    if f.major {
        sql.push_str(" AND i.major_declared_at IS NOT NULL");
    }
    if let Some(before) = f.due_before {
        sql.push_str(&format!(" AND i.sla_due_at <= {}", arg(before.into(), &mut args)));
    }
    let (order, key_col) = match f.sort {
        Sort::CreatedDesc => ("i.id DESC", None),
        Sort::CreatedAsc => ("i.id ASC", None),
        Sort::UpdatedDesc => ("i.updated_at DESC, i.id DESC", Some("i.updated_at")),
        Sort::UpdatedAsc => ("i.updated_at ASC, i.id ASC", Some("i.updated_at")),
        Sort::DueAsc => {
            sql.push_str(" AND i.sla_due_at IS NOT NULL");
            ("i.sla_due_at ASC, i.id ASC", Some("i.sla_due_at"))
        }
        Sort::QueueAsc => (
            "COALESCE(i.sla_due_at, 9223372036854775807) ASC, i.id ASC",
            Some("COALESCE(i.sla_due_at, 9223372036854775807)"),
        ),
    };
    if let Some(cur) = f.after {
        let cmp = if matches!(f.sort, Sort::CreatedDesc | Sort::UpdatedDesc) { "<" } else { ">" };
        let id = arg(cur.id.into(), &mut args);
        match key_col {
            None => sql.push_str(&format!(" AND i.id {cmp} {id}")),
            Some(col) => {
                let k = arg(cur.key.into(), &mut args);
                sql.push_str(&format!(" AND ({col} {cmp} {k} OR ({col} = {k} AND i.id {cmp} {id}))"));
            }
        }
    }
    let limit = f.limit.clamp(1, 500);
    let l = arg((limit + 1).into(), &mut args);
    sql.push_str(&format!(" ORDER BY {order} LIMIT {l}"));
    let mut rows: Vec<IncidentView> = c.all(Sql::dynamic(sql, args)).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            let key = match f.sort {
                Sort::DueAsc => r.row.sla_due_at.unwrap_or_default(),
                Sort::QueueAsc => r.row.sla_due_at.unwrap_or(NO_DUE),
                Sort::UpdatedAsc | Sort::UpdatedDesc => r.row.updated_at,
                Sort::CreatedAsc | Sort::CreatedDesc => 0,
            };
            Cursor { key, id: r.row.id }
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// Locks an incident's row for the rest of the transaction (PostgreSQL; SQLite writers are
/// serialised anyway). Taken first by background work on an incident, in the same order as a
/// request that changes it (row, then journal head), so the two cannot deadlock.
pub async fn lock(c: &mut Conn<'_>, id: Uuid) -> Result<bool, StoreError> {
    let sql = match c.backend() {
        crate::Backend::Postgres => "SELECT id FROM incidents WHERE id = $1 FOR UPDATE",
        crate::Backend::Sqlite => "SELECT id FROM incidents WHERE id = $1",
    };
    let found: Option<(Uuid,)> = c.opt(Sql::new(sql).bind(id)).await?;
    Ok(found.is_some())
}

/// [`lock`] for several incidents, taken in id order (so two batches cannot deadlock).
pub async fn lock_many(c: &mut Conn<'_>, ids: &[Uuid]) -> Result<(), StoreError> {
    if ids.is_empty() || c.backend() == crate::Backend::Sqlite {
        return Ok(());
    }
    let _: Vec<(Uuid,)> = c
        .all(Sql::dynamic(
            format!(
                "SELECT id FROM incidents WHERE id IN ({}) ORDER BY id FOR UPDATE",
                crate::placeholders(1, ids.len())
            ),
            ids.iter().map(|&id| id.into()).collect(),
        ))
        .await?;
    Ok(())
}
