//! Bulk changes from the agent's workspace: one assignment or one move applied to many
//! incidents. Each incident goes through the same use case as a change made on its own page
//! (scope, rules, journal, SLA clocks, notifications), in its own transaction, so one that
//! cannot change (closed, out of scope, changed meanwhile) is reported and the others still are.

use crate::incident::{self, IncidentMove, IncidentPatch};
use crate::{Actor, App, AppError};
use trellis_domain::access::Action;
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
    let mut seen = std::collections::HashSet::new();
    let keys: Vec<&str> =
        keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty() && seen.insert(k.to_owned())).collect();
    if keys.is_empty() {
        return Err(ValidationErrors::single("references", "pick at least one incident").into());
    }
    if keys.len() > MAX_ITEMS {
        return Err(
            ValidationErrors::single("references", format!("at most {MAX_ITEMS} incidents at once")).into()
        );
    }
    if let BulkChange::Assign { team_id: None, assignee_id: None } = change {
        return Err(ValidationErrors::single("assign", "name a team or an assignee").into());
    }
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let result = one(app, actor, key, change).await;
        out.push(BulkOutcome { reference: key.to_owned(), result });
    }
    Ok(out)
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
