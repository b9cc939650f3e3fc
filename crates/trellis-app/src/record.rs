//! Steps every record kind's use cases share: checking the people and organisations a record
//! names, collecting field changes for the journal, parsing lifecycle moves, and saving a new
//! version together with its journal entry.

use crate::{Actor, AppError, journal};
use serde::Serialize;
use trellis_domain::access::Role;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::lifecycle::{Lifecycle, Named};
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use trellis_store::{Conn, identity};
use uuid::Uuid;

pub(crate) async fn check_customer(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    field: &str,
    id: Option<Uuid>,
) -> Result<(), AppError> {
    if let Some(id) = id
        && identity::get_customer(c, id).await?.is_none()
    {
        errors.add(field, "no such customer");
    }
    Ok(())
}

pub(crate) async fn check_team(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    field: &str,
    id: Option<Uuid>,
) -> Result<(), AppError> {
    if let Some(id) = id
        && identity::get_team(c, id).await?.is_none()
    {
        errors.add(field, "no such team");
    }
    Ok(())
}

/// A person who can own or work a record: an active agent, manager or administrator.
pub(crate) async fn check_staff_user(
    c: &mut Conn<'_>,
    errors: &mut ValidationErrors,
    field: &str,
    id: Option<Uuid>,
) -> Result<(), AppError> {
    let Some(id) = id else { return Ok(()) };
    match identity::get_user(c, id).await? {
        Some(u)
            if u.active
                && matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin)) => {}
        Some(_) => errors.add(field, "must be an active agent, manager or administrator"),
        None => errors.add(field, "no such user"),
    }
    Ok(())
}

/// The field changes of an update, in the order they are compared.
#[derive(Debug, Default)]
pub(crate) struct Changes(pub Vec<Change>);

impl Changes {
    /// Notes `field` if it changed from `a` to `b`.
    pub fn compare<T: PartialEq + Serialize>(&mut self, field: &str, a: T, b: T) {
        if a != b {
            self.0.push(Change::new(field, a, b));
        }
    }

    /// Notes `field` as set on creation (left out when it is empty).
    pub fn initial<T: Serialize>(&mut self, field: &str, v: T) {
        let c = Change::new(field, (), v);
        let empty = c.to.is_null() || c.to.as_str() == Some("") || c.to.as_array().is_some_and(Vec::is_empty);
        if !empty {
            self.0.push(c);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The state a transition request names, or a 422 listing the states.
pub(crate) fn target_state<L: Lifecycle>(to: &str) -> Result<L, AppError> {
    let mut errors = ValidationErrors::default();
    let state = trellis_domain::lifecycle::parse_named::<L>(&mut errors, "to", to);
    errors.into_result()?;
    state.ok_or_else(|| AppError::Internal("parsed state".into()))
}

/// A state read back from the database (anything else is corruption, not bad input).
pub(crate) fn stored<N: Named>(s: &str) -> Result<N, AppError> {
    N::ALL
        .iter()
        .copied()
        .find(|x| x.as_str() == s)
        .ok_or_else(|| AppError::Internal(format!("stored value {s:?}")))
}

/// Checks that a record at `status` and `version` may move to `to` (and that the caller read
/// this version, when it says which one it read); returns the journalled status change.
pub(crate) fn plan_move<L: Lifecycle>(
    status: &str,
    version: i64,
    to: L,
    expected_version: Option<i64>,
) -> Result<Changes, AppError> {
    expect_version(version, expected_version)?;
    let from: L = stored(status)?;
    trellis_domain::lifecycle::check_transition(from, to)?;
    let mut changes = Changes::default();
    changes.compare("status", from.as_str(), to.as_str());
    Ok(changes)
}

/// Fails with a version mismatch unless the stored version is the one the caller read.
pub(crate) fn expect_version(current: i64, expected: Option<i64>) -> Result<(), AppError> {
    match expected {
        Some(v) if v != current => Err(AppError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

/// A record row that is saved as a new version by a conditional UPDATE.
pub(crate) trait Versioned {
    const KIND: RecordKind;
    fn id(&self) -> Uuid;
    /// Sets the new version and the instant it was written.
    fn stamp(&mut self, version: i64, updated_at: i64);
    /// The conditional UPDATE: one row while the stored version is still `expected_version`.
    fn update(&self, expected_version: i64) -> trellis_store::Sql;
    /// The record's full-text search document, for kinds that are searched.
    fn search_doc(&self) -> Option<trellis_store::Sql> {
        None
    }
}

/// Saves `next` as the version after `expected_version` and journals `changes` with it, in one
/// transaction; a lost race is a version mismatch. Returns the record's id.
pub(crate) async fn save_version<R: Versioned>(
    app: &crate::App,
    actor: &Actor,
    mut next: R,
    expected_version: i64,
    action: JournalAction,
    changes: &Changes,
) -> Result<Uuid, AppError> {
    let now = app.now();
    next.stamp(expected_version + 1, trellis_store::micros(now));
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let saved = c.execute(next.update(expected_version)).await? == 1;
    if let (true, Some(doc)) = (saved, next.search_doc()) {
        c.execute(doc).await?;
    }
    journal_saved(&mut c, saved, R::KIND, next.id(), expected_version + 1, actor, now, action, &changes.0)
        .await?;
    tx.commit().await?;
    Ok(next.id())
}

/// Implements [`Versioned`] for a store row with `id`, `version` and `updated_at` fields whose
/// store module has `update(row, expected_version) -> Sql`.
/// `search = doc_fn` also keeps the record's search document with each version.
macro_rules! versioned {
    ($row:ty, $kind:expr, $update:path $(, search = $doc:path)?) => {
        impl $crate::record::Versioned for $row {
            const KIND: trellis_domain::record::RecordKind = $kind;
            fn id(&self) -> uuid::Uuid {
                self.id
            }
            fn stamp(&mut self, version: i64, updated_at: i64) {
                self.version = version;
                self.updated_at = updated_at;
            }
            fn update(&self, expected_version: i64) -> trellis_store::Sql {
                $update(self, expected_version)
            }
            $(fn search_doc(&self) -> Option<trellis_store::Sql> {
                Some($doc(self))
            })?
        }
    };
}
pub(crate) use versioned;

/// After a conditional UPDATE: journals the change if it was saved, or reports the lost race.
#[expect(clippy::too_many_arguments, reason = "a journalled save is exactly these facts")]
pub(crate) async fn journal_saved(
    c: &mut Conn<'_>,
    saved: bool,
    kind: RecordKind,
    id: Uuid,
    new_version: i64,
    actor: &Actor,
    now: jiff::Timestamp,
    action: JournalAction,
    changes: &[Change],
) -> Result<(), AppError> {
    if !saved {
        return Err(AppError::VersionMismatch { current: new_version });
    }
    journal::record(c, kind, id, actor, now, action, changes).await
}
