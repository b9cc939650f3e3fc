//! Fulfilment tasks: created from the offering's templates when a request is approved, added by
//! agents as the work needs, assigned to teams and people, and done one by one; the last one
//! done fulfils the request.

use super::{RequestDetail, detail, notices, save_in};
use crate::record::{self, Changes};
use crate::{Actor, App, AppError};
use trellis_domain::access::Action;
use trellis_domain::journal::JournalAction;
use trellis_domain::offering::TASK_TITLE_MAX;
use trellis_domain::record::RecordKey;
use trellis_domain::service_request::{COMMENT_MAX, RequestStatus, TaskStatus};
use trellis_domain::validation::ValidationErrors;
use trellis_store::service_request::{self as store, TaskFilter, TaskRow, TaskView};
use trellis_store::{Conn, micros};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub title: String,
    pub team_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

/// Changes to a task; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub team_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
}

async fn check_task(c: &mut Conn<'_>, errors: &mut ValidationErrors, t: &TaskRow) -> Result<(), AppError> {
    record::check_team(c, errors, "team_id", t.team_id).await?;
    record::check_staff_user(c, errors, "assignee_id", t.assignee_id).await
}

fn require_fulfilment(d: &RequestDetail) -> Result<(), AppError> {
    if d.view.row.status == RequestStatus::InFulfilment.as_str() {
        Ok(())
    } else {
        Err(AppError::conflict("service_request.not_in_fulfilment", "the request is not in fulfilment"))
    }
}

/// A task as its journal line reads: "Ship it [open]".
fn summary(t: &TaskRow) -> String {
    format!("{} [{}]", t.title, t.status)
}

/// The journalled changes of a task: its line, and who holds it when that changed.
fn task_changes(before: Option<&TaskRow>, after: &TaskRow) -> Changes {
    let mut changes = Changes::default();
    changes.compare("task", before.map(summary), Some(summary(after)));
    let (team, assignee) = before.map_or((None, None), |b| (b.team_id, b.assignee_id));
    changes.compare("team_id", team, after.team_id);
    changes.compare("assignee_id", assignee, after.assignee_id);
    changes
}

/// Saves the request's next version with one task change, journals it and tells whoever the
/// task now lands with.
async fn save_task(
    app: &App,
    actor: &Actor,
    d: &RequestDetail,
    write: trellis_store::Sql,
    changes: Changes,
    assigned: Option<&TaskRow>,
    fulfilled: bool,
) -> Result<RequestDetail, AppError> {
    let now = app.now();
    let r = &d.view.row;
    let mut next = r.clone();
    let mut changes = changes;
    if fulfilled {
        next.status = RequestStatus::Fulfilled.as_str().into();
        next.fulfilled_at = Some(micros(now));
        changes.compare("status", &r.status, &next.status);
    }
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    save_in(&mut c, actor, &mut next, r.version, vec![write], JournalAction::Updated, &changes, now).await?;
    let view = store::get(&mut c, &RecordKey::Id(r.id)).await?.ok_or(AppError::NotFound)?;
    if let Some(t) = assigned {
        notices::task_assigned(&mut c, app, actor, &view, t, now).await?;
    }
    if fulfilled {
        notices::fulfilled(&mut c, app, actor, &view, now).await?;
    }
    tx.commit().await?;
    detail(app, actor, &r.id.to_string()).await
}

/// Adds a task to a request in fulfilment.
pub async fn add_task(app: &App, actor: &Actor, key: &str, new: NewTask) -> Result<RequestDetail, AppError> {
    let d = detail(app, actor, key).await?;
    actor.require(Action::RequestFulfil)?;
    require_fulfilment(&d)?;
    let now = micros(app.now());
    let mut errors = ValidationErrors::default();
    let task = TaskRow {
        id: Uuid::now_v7(),
        request_id: d.view.row.id,
        position: d.tasks.iter().map(|t| t.row.position).max().unwrap_or(0) + 1,
        title: errors.required_line("title", &new.title, TASK_TITLE_MAX),
        team_id: new.team_id,
        assignee_id: new.assignee_id,
        status: TaskStatus::Open.as_str().into(),
        note: String::new(),
        done_by: None,
        done_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    check_task(&mut app.db.read(), &mut errors, &task).await?;
    errors.into_result()?;
    let changes = task_changes(None, &task);
    save_task(app, actor, &d, store::insert_task(&task), changes, Some(&task), false).await
}

fn find_task(d: &RequestDetail, task_id: Uuid) -> Result<&TaskView, AppError> {
    d.tasks.iter().find(|t| t.row.id == task_id).ok_or(AppError::NotFound)
}

fn require_open(t: &TaskView) -> Result<(), AppError> {
    if t.row.status == TaskStatus::Open.as_str() {
        Ok(())
    } else {
        Err(AppError::conflict("service_request.task_closed", "the task is already done or cancelled"))
    }
}

/// Renames or reassigns an open task (`expected_version` is the task's).
pub async fn update_task(
    app: &App,
    actor: &Actor,
    key: &str,
    task_id: Uuid,
    expected_version: i64,
    patch: TaskPatch,
) -> Result<RequestDetail, AppError> {
    let d = detail(app, actor, key).await?;
    actor.require(Action::RequestFulfil)?;
    let t = find_task(&d, task_id)?;
    record::expect_version(t.row.version, Some(expected_version))?;
    require_open(t)?;
    let mut errors = ValidationErrors::default();
    let mut next = t.row.clone();
    next.title =
        errors.required_line("title", patch.title.as_deref().unwrap_or(&t.row.title), TASK_TITLE_MAX);
    next.team_id = patch.team_id.unwrap_or(t.row.team_id);
    next.assignee_id = patch.assignee_id.unwrap_or(t.row.assignee_id);
    check_task(&mut app.db.read(), &mut errors, &next).await?;
    errors.into_result()?;
    if next.title == t.row.title && next.team_id == t.row.team_id && next.assignee_id == t.row.assignee_id {
        return Ok(d);
    }
    next.version += 1;
    next.updated_at = micros(app.now());
    let moved = next.team_id != t.row.team_id || next.assignee_id != t.row.assignee_id;
    let changes = task_changes(Some(&t.row), &next);
    let write = store::update_task(&next, t.row.version);
    save_task(app, actor, &d, write, changes, moved.then_some(&next), false).await
}

/// Marks an open task done with an optional note; the last open task done fulfils the request.
pub async fn complete_task(
    app: &App,
    actor: &Actor,
    key: &str,
    task_id: Uuid,
    note: &str,
) -> Result<RequestDetail, AppError> {
    let d = detail(app, actor, key).await?;
    actor.require(Action::RequestFulfil)?;
    require_fulfilment(&d)?;
    let t = find_task(&d, task_id)?;
    require_open(t)?;
    let mut errors = ValidationErrors::default();
    let note = errors.text("note", note.trim(), COMMENT_MAX);
    errors.into_result()?;
    let mut next = t.row.clone();
    next.status = TaskStatus::Done.as_str().into();
    next.note = note;
    next.done_by = actor.journal_id();
    next.done_at = Some(micros(app.now()));
    next.version += 1;
    next.updated_at = micros(app.now());
    let changes = task_changes(Some(&t.row), &next);
    let last = d.view.open_tasks == 1;
    save_task(app, actor, &d, store::update_task(&next, t.row.version), changes, None, last).await
}

/// Fulfilment tasks across requests: a team's or a person's queue (staff).
pub async fn task_queue(
    app: &App,
    actor: &Actor,
    filter: TaskFilter,
) -> Result<(Vec<TaskView>, Option<Uuid>), AppError> {
    actor.require(Action::RequestFulfil)?;
    Ok(store::task_queue(&mut app.db.read(), &filter).await?)
}
