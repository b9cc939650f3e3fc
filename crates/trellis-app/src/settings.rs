//! Settings an administrator changes while the service desk runs (the priority matrix, the
//! reopen window, notification templates). Stored as versioned JSON; a missing setting reads as
//! its default, at version 0.

use crate::{Actor, App, AppError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use trellis_domain::access::Action;
use trellis_domain::incident::IncidentPolicy;
use trellis_store::settings::{self as store, SettingRow};
use trellis_store::{Conn, micros};

const INCIDENT_POLICY: &str = "incident_policy";

/// The stored value of `key` and its version, or None while it is still the default.
pub(crate) async fn read<T: DeserializeOwned>(
    c: &mut Conn<'_>,
    key: &str,
) -> Result<Option<(T, i64)>, AppError> {
    match store::get(c, key).await? {
        None => Ok(None),
        Some(row) => {
            let value = serde_json::from_str(&row.value)
                .map_err(|e| AppError::Internal(format!("stored setting {key}: {e}")))?;
            Ok(Some((value, row.version)))
        }
    }
}

/// Stores `value` as the next version of `key` if it is still at `expected_version`; returns
/// the new version. The caller has checked the actor and the value.
pub(crate) async fn write<T: Serialize>(
    app: &App,
    actor: &Actor,
    key: &str,
    expected_version: i64,
    value: &T,
) -> Result<i64, AppError> {
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let current = store::get(&mut c, key).await?.map_or(0, |r| r.version);
    if current != expected_version {
        return Err(AppError::VersionMismatch { current });
    }
    let row = SettingRow {
        key: key.into(),
        value: serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))?,
        version: current + 1,
        updated_at: micros(app.now()),
        updated_by: actor.journal_id(),
    };
    if !store::put(&mut c, &row).await? {
        let now_current = store::get(&mut c, key).await?.map_or(0, |r| r.version);
        return Err(AppError::VersionMismatch { current: now_current });
    }
    tx.commit().await?;
    Ok(row.version)
}

/// The incident policy and its version (0 while it is still the default).
pub(crate) async fn incident_policy(c: &mut Conn<'_>) -> Result<(IncidentPolicy, i64), AppError> {
    Ok(read(c, INCIDENT_POLICY).await?.unwrap_or_else(|| (IncidentPolicy::default(), 0)))
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
    let version = write(app, actor, INCIDENT_POLICY, expected_version, &policy).await?;
    Ok((policy, version))
}
