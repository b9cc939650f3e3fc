//! Settings an administrator changes while the service desk runs (the priority matrix, the
//! reopen window). Stored as versioned JSON; a missing setting reads as its default.

use crate::{Actor, App, AppError};
use trellis_domain::access::Action;
use trellis_domain::incident::IncidentPolicy;
use trellis_store::settings::{self as store, SettingRow};
use trellis_store::{Conn, micros};

const INCIDENT_POLICY: &str = "incident_policy";

/// The incident policy and its version (0 while it is still the default).
pub(crate) async fn incident_policy(c: &mut Conn<'_>) -> Result<(IncidentPolicy, i64), AppError> {
    match store::get(c, INCIDENT_POLICY).await? {
        None => Ok((IncidentPolicy::default(), 0)),
        Some(row) => {
            let policy = serde_json::from_str(&row.value)
                .map_err(|e| AppError::Internal(format!("stored incident policy: {e}")))?;
            Ok((policy, row.version))
        }
    }
}

/// Any signed-in staff member may read the policy (agents see why a priority came out).
pub async fn get_incident_policy(app: &App, actor: &Actor) -> Result<(IncidentPolicy, i64), AppError> {
    actor.require(Action::IncidentRead)?;
    if !actor.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    incident_policy(&mut app.db.read()).await
}

/// Replaces the policy if it is still at `expected_version`. Existing incidents keep their
/// priority until their impact or urgency is next changed.
pub async fn put_incident_policy(
    app: &App,
    actor: &Actor,
    expected_version: i64,
    policy: IncidentPolicy,
) -> Result<(IncidentPolicy, i64), AppError> {
    actor.require(Action::SettingsManage)?;
    policy.validate()?;
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let (_, current) = incident_policy(&mut c).await?;
    if current != expected_version {
        return Err(AppError::VersionMismatch { current });
    }
    let row = SettingRow {
        key: INCIDENT_POLICY.into(),
        value: serde_json::to_string(&policy).map_err(|e| AppError::Internal(e.to_string()))?,
        version: current + 1,
        updated_at: micros(app.now()),
        updated_by: actor.journal_id(),
    };
    if !store::put(&mut c, &row).await? {
        let (_, now_current) = incident_policy(&mut c).await?;
        return Err(AppError::VersionMismatch { current: now_current });
    }
    tx.commit().await?;
    Ok((policy, row.version))
}
