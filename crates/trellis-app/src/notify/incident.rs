//! Who hears of what happens to an incident: the holder (assignee, or else the team), the
//! managers it escalates to, and the customer who logged it.

use super::{Notice, send};
use crate::{Actor, App, AppError};
use jiff::Timestamp;
use serde_json::{Value, json};
use trellis_domain::access::Role;
use trellis_domain::notification::NotificationKind;
use trellis_store::Conn;
use trellis_store::identity::{self, UserRow};
use trellis_store::incident::IncidentRow;
use uuid::Uuid;

/// The variables describing an incident, with the link its recipients follow.
pub(crate) async fn incident_vars(
    c: &mut Conn<'_>,
    public_url: &str,
    r: &IncidentRow,
) -> Result<Value, AppError> {
    let team = match r.team_id {
        Some(id) => identity::get_team(c, id).await?.map(|t| t.name),
        None => None,
    };
    let customer = match r.customer_id {
        Some(id) => identity::get_customer(c, id).await?.map(|c| c.name),
        None => None,
    };
    Ok(json!({
        "ref": r.reference, "title": r.title, "status": r.status, "priority": r.priority,
        "team": team.unwrap_or_default(), "customer": customer.unwrap_or_default(),
        "url": format!("{}/incidents/{}", public_url.trim_end_matches('/'), r.reference),
    }))
}

/// Who holds the incident: its assignee, or else (none, or no longer active) every active member
/// of its team.
pub(crate) async fn holders(c: &mut Conn<'_>, r: &IncidentRow) -> Result<Vec<UserRow>, AppError> {
    if let Some(id) = r.assignee_id
        && let Some(u) = identity::get_user(c, id).await?.filter(|u| u.active)
    {
        return Ok(vec![u]);
    }
    match r.team_id {
        Some(team) => Ok(identity::list_members(c, team).await?.into_iter().filter(|u| u.active).collect()),
        None => Ok(Vec::new()),
    }
}

/// Whom a ticket escalates to: the active managers in its team, or every active manager when it
/// has none.
pub(crate) async fn escalation_managers(c: &mut Conn<'_>, r: &IncidentRow) -> Result<Vec<UserRow>, AppError> {
    let manager = Role::Manager.as_str();
    if let Some(team) = r.team_id {
        let in_team: Vec<UserRow> = identity::list_members(c, team)
            .await?
            .into_iter()
            .filter(|u| u.role == manager && u.active)
            .collect();
        if !in_team.is_empty() {
            return Ok(in_team);
        }
    }
    Ok(identity::active_users_with_role(c, manager).await?)
}

/// The customer user who logged the incident, if one did.
pub(crate) async fn requester(c: &mut Conn<'_>, r: &IncidentRow) -> Result<Option<UserRow>, AppError> {
    let Some(id) = r.created_by else { return Ok(None) };
    // Still a user of the incident's customer: a staff member may have moved the incident to
    // another customer, whose business the first one's user is not.
    Ok(identity::get_user(c, id).await?.filter(|u| {
        u.active
            && u.role == Role::Customer.as_str()
            && u.customer_id.is_some()
            && u.customer_id == r.customer_id
    }))
}

/// Tells `recipients` (not the actor) of something the actor did to the incident; `extra` holds
/// the kind's own variables.
#[expect(clippy::too_many_arguments, reason = "one event: who, what, to whom, and its words")]
pub(crate) async fn tell(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    r: &IncidentRow,
    kind: NotificationKind,
    event: String,
    extra: Value,
    recipients: &[UserRow],
    now: Timestamp,
) -> Result<(), AppError> {
    let record = incident_vars(c, &app.settings.public_url, r).await?;
    let notice = Notice::about(kind, (r.id, &r.reference), event, record, actor, extra);
    send(c, &notice, recipients, actor.journal_id(), now).await?;
    Ok(())
}

/// Tells of a change of hands: the new assignee, or the members of a new team while nobody is
/// assigned. The one who made the change is not told of it.
pub(crate) async fn incident_assigned(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    before: Option<&IncidentRow>,
    r: &IncidentRow,
    now: Timestamp,
) -> Result<(), AppError> {
    let assignee_changed = r.assignee_id.is_some() && before.is_none_or(|b| b.assignee_id != r.assignee_id);
    let team_changed =
        r.assignee_id.is_none() && r.team_id.is_some() && before.is_none_or(|b| b.team_id != r.team_id);
    if !assignee_changed && !team_changed {
        return Ok(());
    }
    let recipients = holders(c, r).await?;
    let assigned_to = match (assignee_changed, recipients.first(), r.team_id) {
        (true, Some(u), _) => u.display_name.clone(),
        (_, _, Some(team)) => identity::get_team(c, team).await?.map(|t| t.name).unwrap_or_default(),
        _ => String::new(),
    };
    let extra = json!({"assigned_to": assigned_to});
    let kind = NotificationKind::IncidentAssigned;
    tell(c, app, actor, r, kind, format!("v{}", r.version), extra, &recipients, now).await
}

/// Asks the customer who logged a resolved incident to confirm it (or reopen it in time).
pub(crate) async fn incident_resolved(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    r: &IncidentRow,
    reopen_days: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    let Some(customer) = requester(c, r).await? else { return Ok(()) };
    let extra = json!({
        "resolution": {"code": r.resolution_code, "notes": r.resolution_notes, "reopen_days": reopen_days},
    });
    let kind = NotificationKind::IncidentResolved;
    tell(c, app, actor, r, kind, format!("v{}", r.version), extra, &[customer], now).await
}

/// Tells the other side of a comment they can read: a public reply by the service desk reaches
/// the customer who logged the incident; a customer's comment reaches whoever holds it.
pub(crate) async fn incident_commented(
    c: &mut Conn<'_>,
    app: &App,
    actor: &Actor,
    r: &IncidentRow,
    comment_id: Uuid,
    body: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let recipients = if actor.role.is_staff() {
        requester(c, r).await?.into_iter().collect()
    } else {
        holders(c, r).await?
    };
    let extra = json!({"comment": body});
    let kind = NotificationKind::IncidentCommented;
    tell(c, app, actor, r, kind, comment_id.to_string(), extra, &recipients, now).await
}
