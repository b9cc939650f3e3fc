//! Service requests, their approval steps and fulfilment tasks; the approvals awaiting a person
//! and the tasks of a team.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub offering_id: Uuid,
    pub offering_version: i64,
    pub service_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub requested_for: Option<Uuid>,
    /// JSON object: the answers to the offering's form.
    pub answers: String,
    pub approval: String,
    pub clock_started_at: Option<i64>,
    pub due_at: Option<i64>,
    pub fulfilled_at: Option<i64>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestView {
    #[sqlx(flatten)]
    pub row: RequestRow,
    pub service_ref: String,
    pub service_name: String,
    pub service_owner_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub requested_for_name: Option<String>,
    /// Tasks not yet done or cancelled.
    pub open_tasks: i64,
}

const VIEW_SELECT: &str = "SELECT r.id, r.ref, r.title, r.description, r.status, r.offering_id, \
     r.offering_version, r.service_id, r.customer_id, r.requested_for, r.answers, r.approval, \
     r.clock_started_at, r.due_at, r.fulfilled_at, r.created_by, r.version, r.created_at, r.updated_at, \
     s.ref AS service_ref, s.name AS service_name, s.owner_id AS service_owner_id, \
     c.name AS customer_name, u.display_name AS requested_for_name, \
     (SELECT COUNT(*) FROM fulfilment_tasks t WHERE t.request_id = r.id AND t.status = 'open') AS open_tasks \
     FROM service_requests r \
     JOIN services s ON s.id = r.service_id \
     LEFT JOIN customers c ON c.id = r.customer_id \
     LEFT JOIN users u ON u.id = r.requested_for";

pub fn insert(r: &RequestRow) -> Sql {
    Sql::new(
        "INSERT INTO service_requests (id, ref, title, description, status, offering_id, offering_version, \
         service_id, customer_id, requested_for, answers, approval, clock_started_at, due_at, fulfilled_at, \
         created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.offering_id)
    .bind(r.offering_version)
    .bind(r.service_id)
    .bind(r.customer_id)
    .bind(r.requested_for)
    .bind(&r.answers)
    .bind(&r.approval)
    .bind(r.clock_started_at)
    .bind(r.due_at)
    .bind(r.fulfilled_at)
    .bind(r.created_by)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

/// The conditional UPDATE of what changes after ordering: one row while the stored version is
/// still `expected_version`. The fulfilment clock is not among it: it is set once, at approval
/// ([`set_clock`]), and moved only by a calendar change ([`set_due`]), which a save begun
/// before that change must not undo.
pub fn update(r: &RequestRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE service_requests SET title = $1, description = $2, status = $3, fulfilled_at = $4, \
         version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
    )
    .bind(&r.title)
    .bind(&r.description)
    .bind(&r.status)
    .bind(r.fulfilled_at)
    .bind(r.version)
    .bind(r.updated_at)
    .bind(r.id)
    .bind(expected_version)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<RequestView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "r", key)).await
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub customer_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub requested_for: Option<Uuid>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<RequestView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "r.id");
    q.any_of("r.status", &f.statuses);
    if let Some(v) = f.customer_id {
        q.eq("r.customer_id", v);
    }
    if let Some(v) = f.service_id {
        q.eq("r.service_id", v);
    }
    if let Some(v) = f.requested_for {
        q.eq("r.requested_for", v);
    }
    q.text(&["r.title", "r.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &RequestView| v.row.id).await
}

/// An open request's fulfilment clock: id, start, due instant and its target in working minutes.
pub type OpenClock = (Uuid, i64, Option<i64>, i64);

/// The running fulfilment clocks on `calendar_id` (recomputed when it changes).
pub async fn open_on_calendar(c: &mut Conn<'_>, calendar_id: Uuid) -> Result<Vec<OpenClock>, StoreError> {
    c.all(
        Sql::new(
            "SELECT r.id, r.clock_started_at, r.due_at, d.fulfilment_minutes \
             FROM service_requests r JOIN offering_versions d \
             ON d.offering_id = r.offering_id AND d.version = r.offering_version \
             WHERE r.status = 'in_fulfilment' AND d.calendar_id = $1 \
             AND r.clock_started_at IS NOT NULL AND d.fulfilment_minutes IS NOT NULL",
        )
        .bind(calendar_id),
    )
    .await
}

/// Starts a request's fulfilment clock (at approval).
pub fn set_clock(id: Uuid, started_at: Option<i64>, due_at: Option<i64>) -> Sql {
    Sql::new("UPDATE service_requests SET clock_started_at = $1, due_at = $2 WHERE id = $3")
        .bind(started_at)
        .bind(due_at)
        .bind(id)
}

/// Moves an open request's due instant (after its calendar changed); not a new version of it.
pub fn set_due(id: Uuid, due_at: Option<i64>) -> Sql {
    Sql::new("UPDATE service_requests SET due_at = $1 WHERE id = $2").bind(due_at).bind(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: Uuid,
    pub request_id: Uuid,
    pub step: i64,
    pub rule: String,
    pub user_id: Option<Uuid>,
    pub state: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<i64>,
    pub comment: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApprovalView {
    #[sqlx(flatten)]
    pub row: ApprovalRow,
    pub user_name: Option<String>,
    pub decided_by_name: Option<String>,
}

pub fn insert_approval(a: &ApprovalRow) -> Sql {
    Sql::new(
        "INSERT INTO request_approvals (id, request_id, step, rule, user_id, state, decided_by, decided_at, comment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.id)
    .bind(a.request_id)
    .bind(a.step)
    .bind(&a.rule)
    .bind(a.user_id)
    .bind(&a.state)
    .bind(a.decided_by)
    .bind(a.decided_at)
    .bind(&a.comment)
}

/// Writes a step's new state and decision (the request row's version guards the race).
pub fn update_approval(a: &ApprovalRow) -> Sql {
    Sql::new("UPDATE request_approvals SET state = $1, decided_by = $2, decided_at = $3, comment = $4 WHERE id = $5")
        .bind(&a.state)
        .bind(a.decided_by)
        .bind(a.decided_at)
        .bind(&a.comment)
        .bind(a.id)
}

pub async fn approvals(c: &mut Conn<'_>, request_id: Uuid) -> Result<Vec<ApprovalView>, StoreError> {
    c.all(
        Sql::new(
            "SELECT a.id, a.request_id, a.step, a.rule, a.user_id, a.state, a.decided_by, a.decided_at, a.comment, \
             u.display_name AS user_name, d.display_name AS decided_by_name \
             FROM request_approvals a LEFT JOIN users u ON u.id = a.user_id \
             LEFT JOIN users d ON d.id = a.decided_by WHERE a.request_id = $1 ORDER BY a.step",
        )
        .bind(request_id),
    )
    .await
}

/// Requests with a step awaiting `user`'s decision now: named, as the service's owner, as a
/// manager when `is_manager`, any step when `is_admin`; never their own, nor one where they
/// decided a step already. Oldest first (the longest wait on top).
pub async fn awaiting(
    c: &mut Conn<'_>,
    user: Uuid,
    is_manager: bool,
    is_admin: bool,
    limit: i64,
) -> Result<Vec<RequestView>, StoreError> {
    let sql = format!(
        "{VIEW_SELECT} WHERE r.status = 'awaiting_approval' AND r.created_by IS DISTINCT FROM $1 \
         AND r.requested_for IS DISTINCT FROM $1 \
         AND NOT EXISTS (SELECT 1 FROM request_approvals d WHERE d.request_id = r.id AND d.decided_by = $1) \
         AND EXISTS (SELECT 1 FROM request_approvals a \
         WHERE a.request_id = r.id AND a.state = 'pending' AND ((a.rule = 'user' AND a.user_id = $1) \
         OR (a.rule = 'service_owner' AND s.owner_id = $1) OR (a.rule = 'managers' AND $2) OR $3)) \
         ORDER BY r.id LIMIT $4"
    );
    c.all(Sql::dynamic(sql, vec![user.into(), is_manager.into(), is_admin.into(), limit.into()])).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub request_id: Uuid,
    pub position: i64,
    pub title: String,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub status: String,
    pub note: String,
    pub done_by: Option<Uuid>,
    pub done_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskView {
    #[sqlx(flatten)]
    pub row: TaskRow,
    pub team_name: Option<String>,
    pub assignee_name: Option<String>,
    pub done_by_name: Option<String>,
    pub request_ref: String,
    pub request_title: String,
    pub customer_id: Option<Uuid>,
}

const TASK_SELECT: &str = "SELECT t.id, t.request_id, t.position, t.title, t.team_id, t.assignee_id, t.status, \
     t.note, t.done_by, t.done_at, t.version, t.created_at, t.updated_at, tm.name AS team_name, \
     a.display_name AS assignee_name, d.display_name AS done_by_name, r.ref AS request_ref, \
     r.title AS request_title, r.customer_id \
     FROM fulfilment_tasks t JOIN service_requests r ON r.id = t.request_id \
     LEFT JOIN teams tm ON tm.id = t.team_id LEFT JOIN users a ON a.id = t.assignee_id \
     LEFT JOIN users d ON d.id = t.done_by";

pub fn insert_task(t: &TaskRow) -> Sql {
    Sql::new(
        "INSERT INTO fulfilment_tasks (id, request_id, position, title, team_id, assignee_id, status, note, done_by, \
         done_at, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(t.id)
    .bind(t.request_id)
    .bind(t.position)
    .bind(&t.title)
    .bind(t.team_id)
    .bind(t.assignee_id)
    .bind(&t.status)
    .bind(&t.note)
    .bind(t.done_by)
    .bind(t.done_at)
    .bind(t.version)
    .bind(t.created_at)
    .bind(t.updated_at)
}

/// The conditional UPDATE of a task: one row while its stored version is `expected_version`.
pub fn update_task(t: &TaskRow, expected_version: i64) -> Sql {
    Sql::new(
        "UPDATE fulfilment_tasks SET title = $1, team_id = $2, assignee_id = $3, status = $4, note = $5, \
         done_by = $6, done_at = $7, version = $8, updated_at = $9 WHERE id = $10 AND version = $11",
    )
    .bind(&t.title)
    .bind(t.team_id)
    .bind(t.assignee_id)
    .bind(&t.status)
    .bind(&t.note)
    .bind(t.done_by)
    .bind(t.done_at)
    .bind(t.version)
    .bind(t.updated_at)
    .bind(t.id)
    .bind(expected_version)
}

pub async fn tasks(c: &mut Conn<'_>, request_id: Uuid) -> Result<Vec<TaskView>, StoreError> {
    c.all(Sql::dynamic(
        format!("{TASK_SELECT} WHERE t.request_id = $1 ORDER BY t.position"),
        vec![request_id.into()],
    ))
    .await
}

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub statuses: Vec<String>,
    pub team_ids: Vec<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Fulfilment tasks across requests (a team's or a person's queue).
pub async fn task_queue(
    c: &mut Conn<'_>,
    f: &TaskFilter,
) -> Result<(Vec<TaskView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(TASK_SELECT, "t.id");
    q.any_of("t.status", &f.statuses);
    if !f.team_ids.is_empty() {
        let ps: Vec<String> = f.team_ids.iter().map(|t| q.arg(*t)).collect();
        q.and(&format!("t.team_id IN ({})", ps.join(", ")));
    }
    if let Some(a) = f.assignee_id {
        q.eq("t.assignee_id", a);
    }
    q.page(c, f.after, f.limit, |v: &TaskView| v.row.id).await
}
