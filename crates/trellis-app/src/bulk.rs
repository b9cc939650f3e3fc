//! Bulk changes from the agent's workspace: one assignment or one move applied to many
//! incidents. Each incident goes through the same use case as a change made on its own page
//! (scope, rules, journal, SLA clocks, notifications), in its own transaction, so one that
//! cannot change (closed, out of scope, changed meanwhile) is reported and the others still are.

use crate::incident::{self, IncidentMove, IncidentPatch};
use crate::{Actor, App, AppError};
use trellis_domain::access::Action;
use trellis_domain::incident::IncidentStatus;
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

/// At most this many incidents per bulk change: a page of the list.
pub const MAX_ITEMS: usize = 100;

/// What to do to every incident picked.
#[derive(Debug, Clone)]
pub enum BulkChange {
    /// `None` leaves a field as it is, `Some(None)` clears it.
    Assign {
        team_id: Option<Option<Uuid>>,
        assignee_id: Option<Option<Uuid>>,
    },
    Move(IncidentMove),
}

/// How one incident fared.
#[derive(Debug)]
pub struct BulkOutcome {
    pub reference: String,
    /// The incident's version after the change.
    pub result: Result<i64, AppError>,
}

/// Applies `change` to each incident named (references or ids; repeats count once).
pub async fn incidents(
    app: &App,
    actor: &Actor,
    keys: &[String],
    change: &BulkChange,
) -> Result<Vec<BulkOutcome>, AppError> {
    // The role's right is checked once for the whole batch: a bulk change nobody may make is
    // refused outright rather than failing item by item.
    actor.require(match change {
        BulkChange::Assign { .. } => Action::IncidentUpdate,
        BulkChange::Move(_) => Action::IncidentTransition,
    })?;
    let keys: Vec<&str> = keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()).collect();
    if keys.is_empty() {
        return Err(ValidationErrors::single("references", "pick at least one incident").into());
    }
    if keys.len() > MAX_ITEMS {
        return Err(
            ValidationErrors::single("references", format!("at most {MAX_ITEMS} incidents at once")).into()
        );
    }
    match change {
        BulkChange::Assign { team_id: None, assignee_id: None } => {
            return Err(ValidationErrors::single("assign", "name a team or an assignee").into());
        }
        // What the move needs is checked once: a batch that could only fail item by item is
        // refused whole.
        BulkChange::Move(m) => check_move(m)?,
        BulkChange::Assign { .. } => {}
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let result = match incident::handle(app, actor, key).await {
            // A reference and the same incident's id count once.
            Ok(h) if !seen.insert(h.id) => continue,
            Ok(h) => one(app, actor, &h.reference, change).await,
            Err(e) => Err(e),
        };
        out.push(BulkOutcome { reference: key.to_owned(), result });
    }
    Ok(out)
}

fn check_move(m: &IncidentMove) -> Result<(), AppError> {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    match IncidentStatus::parse(m.to.trim()) {
        None => {
            Err(ValidationErrors::single("transition.to", "must be in_progress, pending, resolved or closed")
                .into())
        }
        Some(IncidentStatus::Pending) if blank(&m.pending_reason) => {
            Err(ValidationErrors::single("transition.pending_reason", "a move to pending needs a reason")
                .into())
        }
        Some(IncidentStatus::Resolved) if blank(&m.resolution_code) => {
            Err(ValidationErrors::single("transition.resolution_code", "resolving needs a resolution code")
                .into())
        }
        Some(_) => Ok(()),
    }
}

async fn one(app: &App, actor: &Actor, key: &str, change: &BulkChange) -> Result<i64, AppError> {
    let v = match change {
        BulkChange::Assign { team_id, assignee_id } => {
            let current = incident::get(app, actor, key).await?;
            let patch =
                IncidentPatch { team_id: *team_id, assignee_id: *assignee_id, ..IncidentPatch::default() };
            incident::update(app, actor, key, current.row.version, patch).await?
        }
        BulkChange::Move(m) => incident::transition(app, actor, key, m.clone(), None).await?,
    };
    Ok(v.row.version)
}
