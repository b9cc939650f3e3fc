//! Who hears of what happens to a service request: the approvers whose decision is due, the
//! requester when it is decided and when it is fulfilled, and whoever a task lands with.

use crate::notify::{Notice, send};
use crate::{Actor, App, AppError};
use jiff::Timestamp;
use serde_json::{Value, json};
use trellis_domain::access::Role;
use trellis_domain::notification::NotificationKind;
use trellis_store::Conn;
use trellis_store::identity::{self, UserRow};
use trellis_store::service_request::{ApprovalRow, RequestView, TaskRow};

fn request_vars(public_url: &str, v: &RequestView) -> Value {
    json!({
        "ref": v.row.reference, "title": v.row.title, "status": v.row.status,
        "service": v.service_name, "customer": v.customer_name.clone().unwrap_or_default(),
        "url": format!("{}/service-requests/{}", public_url.trim_end_matches('/'), v.row.reference),
    })
}

#[expect(clippy::too_many_arguments, reason = "one event: who, what, to whom, and its words")]
async fn tell(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    v: &RequestView,
    kind: NotificationKind,
    event: String,
    extra: Value,
    recipients: &[UserRow],
    now: Timestamp,
) -> Result<(), AppError> {
    let record = request_vars(&app.settings.public_url, v);
    let notice = Notice::about(kind, (v.row.id, &v.row.reference), event, record, actor, extra);
    send(c, &notice, recipients, actor.journal_id(), now).await?;
    Ok(())
}

async fn user(c: &mut Conn<'_>, id: Option<uuid::Uuid>) -> Result<Vec<UserRow>, AppError> {
    Ok(match id {
        Some(id) => identity::get_user(c, id).await?.into_iter().collect(),
        None => Vec::new(),
    })
}

/// Tells the people who may decide each step now awaiting a decision (never the requester,
/// who may not approve their own request).
pub(super) async fn approval_needed(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    v: &RequestView,
    steps: &[&ApprovalRow],
    now: Timestamp,
) -> Result<(), AppError> {
    let requester = v.requested_for_name.clone().unwrap_or_else(|| actor.display_name.clone());
    for step in steps {
        let people = match step.rule.as_str() {
            "user" => user(c, step.user_id).await?,
            "service_owner" => user(c, v.service_owner_id).await?,
            _ => identity::active_users_with_role(c, Role::Manager.as_str()).await?,
        };
        let people: Vec<UserRow> = people
            .into_iter()
            .filter(|u| Some(u.id) != v.row.requested_for && Some(u.id) != v.row.created_by)
            .collect();
        let kind = NotificationKind::RequestApprovalNeeded;
        let extra = json!({"requester": requester});
        tell(c, app, actor, v, kind, format!("approval:{}", step.id), extra, &people, now).await?;
    }
    Ok(())
}

/// The person the request is for and the one who ordered it.
async fn requesters(c: &mut Conn<'_>, v: &RequestView) -> Result<Vec<UserRow>, AppError> {
    let mut people = user(c, v.row.requested_for).await?;
    if v.row.created_by != v.row.requested_for {
        people.extend(user(c, v.row.created_by).await?);
    }
    Ok(people)
}

pub(super) async fn decided(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    v: &RequestView,
    approved: bool,
    comment: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let people = requesters(c, v).await?;
    let extra = json!({"decision": if approved { "approved" } else { "rejected" }, "comment": comment});
    tell(c, app, actor, v, NotificationKind::RequestDecided, "decided".into(), extra, &people, now).await
}

pub(super) async fn fulfilled(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    v: &RequestView,
    now: Timestamp,
) -> Result<(), AppError> {
    let people = requesters(c, v).await?;
    let event = format!("fulfilled:v{}", v.row.version);
    tell(c, app, actor, v, NotificationKind::RequestFulfilled, event, json!({}), &people, now).await
}

/// Tells the task's assignee, or the active members of its team while nobody is assigned.
pub(super) async fn task_assigned(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    v: &RequestView,
    t: &TaskRow,
    now: Timestamp,
) -> Result<(), AppError> {
    let (people, assigned_to) = match (t.assignee_id, t.team_id) {
        (Some(_), _) => {
            let people: Vec<UserRow> = user(c, t.assignee_id).await?;
            let name = people.first().map(|u| u.display_name.clone()).unwrap_or_default();
            (people, name)
        }
        (None, Some(team)) => {
            let members = identity::list_members(c, team).await?;
            let name = identity::get_team(c, team).await?.map(|t| t.name).unwrap_or_default();
            (members, name)
        }
        (None, None) => return Ok(()),
    };
    let extra = json!({"assigned_to": assigned_to, "task": t.title});
    let event = format!("task:{}:v{}", t.id, t.version);
    tell(c, app, actor, v, NotificationKind::RequestTaskAssigned, event, extra, &people, now).await
}
