//! Service requests (8.6.2): ordered from a published request offering under its current
//! definition (pinned, so later edits of the offering change nothing already asked for),
//! approved by the definition's approvers, fulfilled through tasks assigned to teams, and
//! followed by the requester. Customer users see their organisation's requests.
//!
//! Every change (a decision, a task, a move) writes the request's next version with a
//! conditional UPDATE, so two approvers answering at once cannot both decide it.

mod notices;
mod tasks;

pub use tasks::{NewTask, TaskPatch, add_task, complete_task, task_queue, update_task};

use crate::offering::{self, Definition};
use crate::platform::RecordHandle;
use crate::record::{self, Changes};
use crate::{Actor, App, AppError, calendar, journal};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};
use trellis_domain::access::{Action, Role};
use trellis_domain::ci::validate_attributes;
use trellis_domain::journal::JournalAction;
use trellis_domain::offering::{ApprovalPolicy, ApproverRule, OfferingStatus};
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::service_request::{
    ApprovalState, COMMENT_MAX, Outcome, RequestStatus, TEXT_MAX, TaskStatus, decide as decide_steps,
    initial_steps,
};
use trellis_domain::validation::ValidationErrors;
use trellis_store::service_request::{
    self as store, ApprovalRow, ApprovalView, Filter, RequestRow, RequestView, TaskRow, TaskView,
};
use trellis_store::{Conn, Sql, identity, micros, refs};
use uuid::Uuid;

/// A request with what it was ordered under and how far it has come.
#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub view: RequestView,
    /// The offering's definition the request was ordered under.
    pub definition: Definition,
    pub approvals: Vec<ApprovalView>,
    pub tasks: Vec<TaskView>,
}

impl RequestDetail {
    /// The answers to the offering's form.
    pub fn answers(&self) -> Map<String, Value> {
        serde_json::from_str(&self.view.row.answers).unwrap_or_default()
    }

    /// Whether the fulfilment target is missed (at `now`, or when it was fulfilled).
    pub fn breached(&self, now: Timestamp) -> bool {
        breached(&self.view.row, now)
    }
}

/// Whether a request missed its fulfilment target: fulfilled after it fell due, or still open
/// past it. A cancelled or rejected request missed nothing.
pub fn breached(r: &RequestRow, now: Timestamp) -> bool {
    let Some(due) = r.due_at else { return false };
    match r.fulfilled_at {
        Some(done) => done > due,
        None => RequestStatus::parse(&r.status).is_some_and(RequestStatus::is_open) && micros(now) > due,
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub offering_id: Uuid,
    /// Answers to the offering's form, by field key.
    pub answers: Map<String, Value>,
    pub description: String,
    /// Staff ordering on someone's behalf name them; a portal user orders for themselves.
    pub requested_for: Option<Uuid>,
}

pub async fn get(app: &App, actor: &Actor, key: &str) -> Result<RequestView, AppError> {
    actor.require(Action::RequestRead)?;
    let key: RecordKey = key.parse().map_err(|()| AppError::NotFound)?;
    let v = store::get(&mut app.db.read(), &key).await?.ok_or(AppError::NotFound)?;
    // A request with no customer was ordered by staff for themselves: not a customer's business.
    if !actor.role.is_staff() && (v.row.customer_id.is_none() || !actor.sees_customer(v.row.customer_id)) {
        return Err(AppError::NotFound);
    }
    Ok(v)
}

pub async fn detail(app: &App, actor: &Actor, key: &str) -> Result<RequestDetail, AppError> {
    let view = get(app, actor, key).await?;
    load_detail(&mut app.db.read(), view).await
}

async fn load_detail(c: &mut Conn<'_>, view: RequestView) -> Result<RequestDetail, AppError> {
    let r = &view.row;
    let def = trellis_store::offering::definition(c, r.offering_id, r.offering_version).await?.ok_or_else(
        || AppError::Internal(format!("request {}: its offering definition is gone", r.reference)),
    )?;
    Ok(RequestDetail {
        definition: offering::parse_definition(def)?,
        approvals: store::approvals(c, r.id).await?,
        tasks: store::tasks(c, r.id).await?,
        view,
    })
}

pub fn handle_of(v: &RequestView) -> RecordHandle {
    RecordHandle {
        kind: RecordKind::ServiceRequest,
        id: v.row.id,
        reference: v.row.reference.clone(),
        title: v.row.title.clone(),
        customer_id: v.row.customer_id,
    }
}

/// Lists requests; a customer user's list is always limited to their own organisation.
pub async fn list(
    app: &App,
    actor: &Actor,
    mut filter: Filter,
) -> Result<(Vec<RequestView>, Option<Uuid>), AppError> {
    actor.require(Action::RequestRead)?;
    if !actor.role.is_staff() {
        match actor.customer_id {
            Some(mine) if filter.customer_id.is_none_or(|c| c == mine) => filter.customer_id = Some(mine),
            _ => return Ok((Vec::new(), None)),
        }
    }
    Ok(store::list(&mut app.db.read(), &filter).await?)
}

/// The published offerings the actor may order, by service (customers: of the services their
/// organisation receives).
pub async fn orderable(app: &App, actor: &Actor) -> Result<Vec<offering::OfferingDetail>, AppError> {
    actor.require(Action::RequestCreate)?;
    let filter = trellis_store::service::Filter { limit: 500, ..Default::default() };
    let (services, _) = crate::service::list(app, actor, filter).await?;
    let mut out = Vec::new();
    for s in services {
        for o in offering::list_for_service(app, actor, &s.row.id.to_string()).await? {
            if o.row.status == OfferingStatus::Published.as_str() {
                out.push(o);
            }
        }
    }
    Ok(out)
}

/// Who the request is for and their organisation.
async fn requester_of(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    actor: &Actor,
    given: Option<Uuid>,
) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    if !actor.role.is_staff() {
        if given.is_some_and(|g| g != actor.user_id) {
            errors.add("requested_for", "you can only order for yourself");
        }
        return Ok((Some(actor.user_id), actor.customer_id));
    }
    let Some(id) = given else { return Ok((actor.journal_id(), None)) };
    match identity::get_user(c, id).await?.filter(|u| u.active) {
        Some(u) => Ok((Some(u.id), u.customer_id)),
        None => {
            errors.add("requested_for", "no such active user");
            Ok((None, None))
        }
    }
}

/// Orders from an offering: awaiting approval when its definition names approvers, otherwise
/// straight into fulfilment with its tasks.
pub async fn order(app: &App, actor: &Actor, new: NewRequest) -> Result<RequestDetail, AppError> {
    actor.require(Action::RequestCreate)?;
    let o = offering::get(app, actor, new.offering_id).await?;
    if o.row.status != OfferingStatus::Published.as_str() {
        return Err(AppError::conflict("offering.not_published", "only a published offering can be ordered"));
    }
    let def =
        o.current().cloned().ok_or_else(|| AppError::Internal("offering without a definition".into()))?;
    let mut errors = ValidationErrors::default();
    let mut answer_errors = ValidationErrors::default();
    // An unanswered optional question is not an answer: it is left out, not stored as null.
    let mut new = new;
    new.answers.retain(|_, v| !v.is_null() && v.as_str() != Some(""));
    validate_attributes(&def.form, &new.answers, &mut answer_errors);
    errors.0.extend(answer_errors.0.into_iter().map(|mut f| {
        f.field = f.field.replacen("attributes", "answers", 1);
        f
    }));
    let description = errors.text("description", new.description.trim(), TEXT_MAX);
    let mut c = app.db.read();
    let (requested_for, customer_id) = requester_of(&mut c, &mut errors, actor, new.requested_for).await?;
    if let Some(cu) = customer_id.filter(|_| actor.role.is_staff())
        && !trellis_store::service::receives(&mut c, o.row.service_id, cu).await?
    {
        errors.add("requested_for", "their organisation does not receive this service");
    }
    errors.into_result()?;
    let policy: ApprovalPolicy = record::stored(&def.approval)?;
    let now = app.now();
    let mut row = RequestRow {
        id: Uuid::now_v7(),
        reference: String::new(),
        title: def.name.clone(),
        description,
        status: RequestStatus::AwaitingApproval.as_str().into(),
        offering_id: o.row.id,
        offering_version: def.version,
        service_id: o.row.service_id,
        customer_id,
        requested_for,
        answers: serde_json::to_string(&new.answers).map_err(|e| AppError::Internal(e.to_string()))?,
        approval: policy.as_str().into(),
        clock_started_at: None,
        due_at: None,
        fulfilled_at: None,
        created_by: actor.journal_id(),
        version: 1,
        created_at: micros(now),
        updated_at: micros(now),
    };
    let steps = initial_steps(policy, def.approvers.len());
    let approvals: Vec<ApprovalRow> = def
        .approvers
        .iter()
        .zip(&steps)
        .enumerate()
        .map(|(i, (rule, state))| ApprovalRow {
            id: Uuid::now_v7(),
            request_id: row.id,
            step: i as i64 + 1,
            rule: rule.as_str().into(),
            user_id: match rule {
                ApproverRule::User { user_id } => Some(*user_id),
                _ => None,
            },
            state: state.as_str().into(),
            decided_by: None,
            decided_at: None,
            comment: String::new(),
        })
        .collect();
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    row.reference = refs::next_reference(&mut c, RecordKind::ServiceRequest).await?;
    let tasks =
        if approvals.is_empty() { start_fulfilment(&mut c, &mut row, &def, now).await? } else { Vec::new() };
    let mut writes = vec![store::insert(&row), crate::search::request_doc(&row)];
    writes.extend(approvals.iter().map(store::insert_approval));
    writes.extend(tasks.iter().map(store::insert_task));
    let mut changes = Changes::default();
    for (field, v) in [("ref", &row.reference), ("title", &row.title), ("description", &row.description)] {
        changes.initial(field, v);
    }
    changes.initial("offering", json!({"id": row.offering_id, "version": row.offering_version}));
    changes.initial("answers", &new.answers);
    changes.initial("requested_for", row.requested_for);
    changes.initial("status", &row.status);
    changes.initial("due_at", instant(row.due_at));
    journal::record_with(
        &mut c,
        writes,
        RecordKind::ServiceRequest,
        row.id,
        actor,
        now,
        JournalAction::Created,
        &changes.0,
    )
    .await?;
    let view = store::get(&mut c, &RecordKey::Id(row.id)).await?.ok_or(AppError::NotFound)?;
    let pending: Vec<&ApprovalRow> =
        approvals.iter().filter(|a| a.state == ApprovalState::Pending.as_str()).collect();
    notices::approval_needed(&mut c, app, actor, &view, &pending, now).await?;
    for t in &tasks {
        notices::task_assigned(&mut c, app, actor, &view, t, now).await?;
    }
    tx.commit().await?;
    detail(app, actor, &row.id.to_string()).await
}

/// An instant as the journal shows it (RFC 3339).
fn instant(micros: Option<i64>) -> Option<String> {
    micros.and_then(|m| trellis_store::from_micros(m).ok()).map(|t| t.to_string())
}

/// Starts the fulfilment clock on the definition's calendar and creates the definition's tasks
/// (returned for the caller to insert).
async fn start_fulfilment(
    c: &mut Conn<'_>,
    row: &mut RequestRow,
    def: &Definition,
    now: Timestamp,
) -> Result<Vec<TaskRow>, AppError> {
    row.status = RequestStatus::InFulfilment.as_str().into();
    row.clock_started_at = Some(micros(now));
    row.due_at = due_at(c, def, now).await?;
    Ok(def
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| TaskRow {
            id: Uuid::now_v7(),
            request_id: row.id,
            position: i as i64 + 1,
            title: t.title.trim().to_owned(),
            team_id: t.team_id,
            assignee_id: None,
            status: TaskStatus::Open.as_str().into(),
            note: String::new(),
            done_by: None,
            done_at: None,
            version: 1,
            created_at: micros(now),
            updated_at: micros(now),
        })
        .collect())
}

/// When a request whose clock started at `started` falls due: the definition's working minutes
/// later on its calendar (every version of it, as an SLA clock measures).
async fn due_at(c: &mut Conn<'_>, def: &Definition, started: Timestamp) -> Result<Option<i64>, AppError> {
    let (Some(minutes), Some(cal)) = (def.fulfilment_minutes, def.calendar_id) else { return Ok(None) };
    let Some(calendar) = calendar::load(c, cal).await? else { return Ok(None) };
    Ok(calendar.history().add_working_time(started, SignedDuration::from_mins(minutes)).map(micros))
}

/// After a calendar gained a version: the due instants of the open requests measured on it are
/// computed again from their start (the past is untouched: a version never takes effect in it).
pub(crate) async fn calendar_changed(c: &mut Conn<'_>, calendar_id: Uuid) -> Result<usize, AppError> {
    let Some(calendar) = calendar::load(c, calendar_id).await? else { return Ok(0) };
    let history = calendar.history();
    let mut writes: Vec<Sql> = Vec::new();
    for (id, start, due_at, minutes) in store::open_on_calendar(c, calendar_id).await? {
        let due = history
            .add_working_time(trellis_store::from_micros(start)?, SignedDuration::from_mins(minutes))
            .map(micros);
        if due != due_at {
            writes.push(store::set_due(id, due));
        }
    }
    let n = writes.len();
    c.execute_batch(writes).await?;
    Ok(n)
}

/// Whether the actor may decide a step under `rule` of a request for `service_owner`'s service.
/// Administrators may decide any step (an approver who left, say); the journal names them.
fn may_decide(actor: &Actor, a: &ApprovalRow, service_owner: Option<Uuid>) -> bool {
    actor.role == Role::Admin
        || match a.rule.as_str() {
            "user" => a.user_id == Some(actor.user_id),
            "service_owner" => service_owner == Some(actor.user_id),
            "managers" => actor.role == Role::Manager,
            _ => false,
        }
}

/// The steps of the request the actor may decide. Nobody decides their own request, and one
/// person decides one step at most: a sequence of approvers means that many people.
fn steps_for<'a>(actor: &Actor, d: &'a RequestDetail) -> Vec<&'a ApprovalView> {
    let r = &d.view.row;
    let me = actor.journal_id();
    let own = me.is_some() && (r.created_by == me || r.requested_for == me);
    let decided_one = d.approvals.iter().any(|a| me.is_some() && a.row.decided_by == me);
    if own || decided_one || !actor.may(Action::RequestApprove) {
        return Vec::new();
    }
    d.approvals.iter().filter(|a| may_decide(actor, &a.row, d.view.service_owner_id)).collect()
}

/// Whether the actor has a decision to make on the request now (the page offers the form).
pub fn may_decide_now(actor: &Actor, d: &RequestDetail) -> bool {
    d.view.row.status == RequestStatus::AwaitingApproval.as_str()
        && steps_for(actor, d).iter().any(|a| a.row.state == ApprovalState::Pending.as_str())
}

/// Requests awaiting the actor's decision now, oldest first.
pub async fn awaiting_me(app: &App, actor: &Actor) -> Result<Vec<RequestView>, AppError> {
    actor.require(Action::RequestApprove)?;
    let role = actor.role;
    Ok(store::awaiting(&mut app.db.read(), actor.user_id, role == Role::Manager, role == Role::Admin, 200)
        .await?)
}

/// Records an approver's decision on the step awaiting them. A rejection needs a reason; the
/// requester cannot decide their own request.
pub async fn decide(
    app: &App,
    actor: &Actor,
    key: &str,
    approve: bool,
    comment: &str,
) -> Result<RequestDetail, AppError> {
    let current = detail(app, actor, key).await?;
    actor.require(Action::RequestApprove)?;
    let r = &current.view.row;
    if r.status != RequestStatus::AwaitingApproval.as_str() {
        return Err(AppError::conflict(
            "service_request.not_awaiting_approval",
            "the request is not awaiting approval",
        ));
    }
    let me = actor.journal_id();
    if me.is_some() && (r.created_by == me || r.requested_for == me) {
        return Err(AppError::conflict(
            "service_request.self_approval",
            "you cannot approve your own request",
        ));
    }
    if me.is_some() && current.approvals.iter().any(|a| a.row.decided_by == me) {
        return Err(AppError::conflict(
            "service_request.already_decided",
            "you have decided a step of this request already; another approver decides the next",
        ));
    }
    let mut errors = ValidationErrors::default();
    let comment = errors.text("comment", comment.trim(), COMMENT_MAX);
    if !approve && comment.is_empty() {
        errors.add("comment", "say why the request is rejected");
    }
    errors.into_result()?;
    let mine = steps_for(actor, &current);
    let Some(step) = mine.iter().find(|a| a.row.state == ApprovalState::Pending.as_str()) else {
        if mine.iter().any(|a| a.row.state == ApprovalState::Waiting.as_str()) {
            return Err(AppError::conflict(
                "service_request.not_your_turn",
                "an earlier approver has not decided yet",
            ));
        }
        return Err(AppError::Forbidden);
    };
    let policy: ApprovalPolicy = record::stored(&r.approval)?;
    let mut states: Vec<ApprovalState> =
        current.approvals.iter().map(|a| record::stored(&a.row.state)).collect::<Result<_, _>>()?;
    let index = current.approvals.iter().position(|a| a.row.id == step.row.id).unwrap_or_default();
    let outcome = decide_steps(policy, &mut states, index, approve)
        .ok_or_else(|| AppError::Internal("pending step refused".into()))?;
    let now = app.now();
    let mut next = r.clone();
    let mut writes = Vec::new();
    let mut newly_pending = Vec::new();
    for (a, state) in current.approvals.iter().zip(&states) {
        if a.row.state == state.as_str() {
            continue;
        }
        let mut row = a.row.clone();
        row.state = state.as_str().into();
        if row.id == step.row.id {
            row.decided_by = actor.journal_id();
            row.decided_at = Some(micros(now));
            row.comment.clone_from(&comment);
        }
        if *state == ApprovalState::Pending {
            newly_pending.push(row.clone());
        }
        writes.push(store::update_approval(&row));
    }
    let mut changes = Changes::default();
    let decision = if approve { "approved" } else { "rejected" };
    let line = match comment.as_str() {
        "" => format!("step {} {decision}", step.row.step),
        c => format!("step {} {decision}: {c}", step.row.step),
    };
    changes.compare("approval", None, Some(line));
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let mut tasks = Vec::new();
    match outcome {
        Outcome::Approved => {
            tasks = start_fulfilment(&mut c, &mut next, &current.definition, now).await?;
            writes.push(store::set_clock(next.id, next.clock_started_at, next.due_at));
            writes.extend(tasks.iter().map(store::insert_task));
        }
        Outcome::Rejected => next.status = RequestStatus::Rejected.as_str().into(),
        Outcome::Undecided => {}
    }
    changes.compare("status", &r.status, &next.status);
    changes.compare("due_at", instant(r.due_at), instant(next.due_at));
    let saved =
        save_in(&mut c, actor, &mut next, r.version, writes, JournalAction::Updated, &changes, now).await;
    if let Err(AppError::VersionMismatch { .. }) = saved {
        // Another approver (or a cancel) got there first; nothing was written.
        return Err(AppError::conflict(
            "service_request.changed",
            "the request was decided or changed meanwhile; reload it",
        ));
    }
    saved?;
    let view = store::get(&mut c, &RecordKey::Id(r.id)).await?.ok_or(AppError::NotFound)?;
    let pending: Vec<&ApprovalRow> = newly_pending.iter().collect();
    notices::approval_needed(&mut c, app, actor, &view, &pending, now).await?;
    if outcome != Outcome::Undecided {
        notices::decided(&mut c, app, actor, &view, approve, &comment, now).await?;
    }
    for t in &tasks {
        notices::task_assigned(&mut c, app, actor, &view, t, now).await?;
    }
    tx.commit().await?;
    detail(app, actor, key).await
}

/// Writes the request's next version with `writes` (approval steps, tasks) and journals it, in
/// the caller's transaction; a lost race is a version mismatch and nothing is written.
#[expect(clippy::too_many_arguments, reason = "a journalled save is exactly these facts")]
pub(super) async fn save_in(
    c: &mut Conn<'_>,
    actor: &Actor,
    next: &mut RequestRow,
    expected_version: i64,
    writes: Vec<Sql>,
    action: JournalAction,
    changes: &Changes,
    now: Timestamp,
) -> Result<(), AppError> {
    next.version = expected_version + 1;
    next.updated_at = micros(now);
    let saved = c.execute(store::update(next, expected_version)).await? == 1;
    if saved {
        c.execute_batch(writes).await?;
    }
    record::journal_saved(
        c,
        saved,
        RecordKind::ServiceRequest,
        next.id,
        next.version,
        actor,
        now,
        action,
        &changes.0,
    )
    .await
}

/// Moves a request: cancel (the requester's organisation or staff; open tasks are cancelled and
/// remaining approvals skipped), fulfilled (staff, once no task is open), closed, or back into
/// fulfilment when what was delivered is not what was asked for.
pub async fn transition(
    app: &App,
    actor: &Actor,
    key: &str,
    to: &str,
    expected_version: Option<i64>,
) -> Result<RequestDetail, AppError> {
    let current = detail(app, actor, key).await?;
    let to: RequestStatus = record::target_state(to)?;
    actor.require(if to == RequestStatus::Cancelled {
        Action::RequestCancel
    } else {
        Action::RequestFulfil
    })?;
    let r = &current.view.row;
    let changes = record::plan_move(&r.status, r.version, to, expected_version)?;
    if to == RequestStatus::Fulfilled && current.view.open_tasks > 0 {
        return Err(AppError::conflict(
            "service_request.open_tasks",
            format!("{} fulfilment task(s) are still open", current.view.open_tasks),
        ));
    }
    let now = app.now();
    let mut next = r.clone();
    next.status = to.as_str().into();
    let mut writes = Vec::new();
    match to {
        RequestStatus::Fulfilled => next.fulfilled_at = Some(micros(now)),
        RequestStatus::InFulfilment => next.fulfilled_at = None,
        RequestStatus::Cancelled => {
            for t in current.tasks.iter().filter(|t| t.row.status == TaskStatus::Open.as_str()) {
                let mut row = t.row.clone();
                row.status = TaskStatus::Cancelled.as_str().into();
                row.version += 1;
                row.updated_at = micros(now);
                writes.push(store::update_task(&row, t.row.version));
            }
            for a in current.approvals.iter().filter(|a| {
                matches!(
                    ApprovalState::parse(&a.row.state),
                    Some(ApprovalState::Pending | ApprovalState::Waiting)
                )
            }) {
                let mut row = a.row.clone();
                row.state = ApprovalState::Skipped.as_str().into();
                writes.push(store::update_approval(&row));
            }
        }
        _ => {}
    }
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    save_in(&mut c, actor, &mut next, r.version, writes, JournalAction::Transitioned, &changes, now).await?;
    if to == RequestStatus::Fulfilled {
        let view = store::get(&mut c, &RecordKey::Id(r.id)).await?.ok_or(AppError::NotFound)?;
        notices::fulfilled(&mut c, app, actor, &view, now).await?;
    }
    tx.commit().await?;
    detail(app, actor, key).await
}
