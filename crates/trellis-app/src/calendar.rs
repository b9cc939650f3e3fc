//! Business calendars: time zone, weekly working hours, holidays and special days.
//!
//! A calendar is never edited in place. Each change adds a version in force from an instant that
//! is not in the past, so working time already measured (SLA clocks, reports) comes out the same
//! when it is measured again: every moment is measured by the version that was in force then.

use crate::record;
use crate::{Actor, App, AppError};
use jiff::{SignedDuration, Timestamp};
use trellis_domain::access::Action;
use trellis_domain::calendar::{
    Calendar, CalendarHistory, SpecialDay, holidays_from_ical, holidays_from_ical_for_years,
};
use trellis_domain::validation::ValidationErrors;
use trellis_store::calendar::{self as store, CalendarRow, CalendarVersionRow};
use trellis_store::{Conn, StoreError, from_micros, micros};
use uuid::Uuid;

pub const NAME_MAX: usize = 100;
pub const NOTE_MAX: usize = 2_000;
/// Largest iCalendar file accepted.
pub const ICAL_MAX_BYTES: usize = 1024 * 1024;

/// One version of a calendar as stored.
#[derive(Debug, Clone)]
pub struct CalendarVersion {
    pub version: i64,
    pub effective_from: Timestamp,
    pub calendar: Calendar,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: Timestamp,
}

/// A calendar with all its versions, oldest first.
#[derive(Debug, Clone)]
pub struct CalendarDetail {
    pub row: CalendarRow,
    pub versions: Vec<CalendarVersion>,
}

impl CalendarDetail {
    pub fn history(&self) -> CalendarHistory {
        CalendarHistory::new(self.versions.iter().map(|v| (v.effective_from, v.calendar.clone())).collect())
    }

    /// The version in force at `at`: of versions taking effect at the same instant the newest
    /// wins, and before the first instant the first one counts (as in [`CalendarHistory`]).
    pub fn in_force_at(&self, at: Timestamp) -> Option<&CalendarVersion> {
        let key = |v: &&CalendarVersion| (v.effective_from, v.version);
        let started = self.versions.iter().filter(|v| v.effective_from <= at).max_by_key(key);
        started.or_else(|| {
            let first = self.versions.iter().map(|v| v.effective_from).min()?;
            self.versions.iter().filter(|v| v.effective_from == first).max_by_key(key)
        })
    }

    /// The newest definition: what the next edit starts from.
    pub fn latest(&self) -> Option<&CalendarVersion> {
        self.versions.last()
    }
}

fn parse_version(v: CalendarVersionRow) -> Result<CalendarVersion, AppError> {
    let calendar = serde_json::from_str(&v.definition)
        .map_err(|e| AppError::Internal(format!("stored calendar {} v{}: {e}", v.calendar_id, v.version)))?;
    Ok(CalendarVersion {
        version: v.version,
        effective_from: from_micros(v.effective_from)?,
        calendar,
        note: v.note,
        created_by: v.created_by,
        created_at: from_micros(v.created_at)?,
    })
}

/// A calendar's versions, for measuring time (SLA clocks use this).
pub(crate) async fn load(c: &mut Conn<'_>, id: Uuid) -> Result<Option<CalendarDetail>, AppError> {
    let Some(row) = store::get(c, id).await? else { return Ok(None) };
    let versions = store::versions(c, id).await?.into_iter().map(parse_version).collect::<Result<_, _>>()?;
    Ok(Some(CalendarDetail { row, versions }))
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<CalendarRow>, AppError> {
    actor.require(Action::AgreementRead)?;
    Ok(store::list(&mut app.db.read()).await?)
}

pub async fn get(app: &App, actor: &Actor, id: Uuid) -> Result<CalendarDetail, AppError> {
    actor.require(Action::AgreementRead)?;
    load(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)
}

/// At most this many special days in one version (several years of holidays fit easily).
pub const SPECIAL_DAYS_MAX: usize = 2_000;

fn check_calendar(errors: &mut ValidationErrors, calendar: &Calendar) {
    if calendar.special_days.len() > SPECIAL_DAYS_MAX {
        errors.add("special_days", format!("at most {SPECIAL_DAYS_MAX} special days; import fewer years"));
        return;
    }
    if let Err(problems) = calendar.validate() {
        for p in problems {
            errors.add(&p.field(), p.to_string());
        }
    }
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Unique(_) => {
            AppError::conflict("calendar.name_taken", "a calendar with this name exists")
        }
        other => other.into(),
    }
}

fn definition(calendar: &Calendar) -> Result<String, AppError> {
    serde_json::to_string(calendar).map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn create(
    app: &App,
    actor: &Actor,
    name: &str,
    description: &str,
    calendar: Calendar,
) -> Result<CalendarDetail, AppError> {
    actor.require(Action::AgreementManage)?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", name, NAME_MAX);
    let description = errors.text("description", description, NOTE_MAX);
    check_calendar(&mut errors, &calendar);
    errors.into_result()?;
    let now = micros(app.now());
    let row =
        CalendarRow { id: Uuid::now_v7(), name, description, version: 1, created_at: now, updated_at: now };
    let first = CalendarVersionRow {
        calendar_id: row.id,
        version: 1,
        effective_from: now,
        definition: definition(&calendar)?,
        note: String::new(),
        created_by: actor.journal_id(),
        created_at: now,
    };
    let mut tx = app.db.begin().await?;
    tx.conn()
        .execute_batch(vec![store::insert(&row), store::insert_version(&first)])
        .await
        .map_err(name_taken)?;
    tx.commit().await?;
    get(app, actor, row.id).await
}

/// An edit of a calendar: a new definition in force from `effective_from` (now when not given).
#[derive(Debug, Clone)]
pub struct CalendarChange {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `None` keeps the definition (only the name or description change).
    pub calendar: Option<Calendar>,
    pub effective_from: Option<Timestamp>,
    pub note: String,
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    change: CalendarChange,
) -> Result<CalendarDetail, AppError> {
    actor.require(Action::AgreementManage)?;
    let current = get(app, actor, id).await?;
    record::expect_version(current.row.version, Some(expected_version))?;
    let now = app.now();
    let mut errors = ValidationErrors::default();
    let mut row = current.row.clone();
    row.name = errors.required_line("name", change.name.as_deref().unwrap_or(&row.name), NAME_MAX);
    row.description =
        errors.text("description", change.description.as_deref().unwrap_or(&row.description), NOTE_MAX);
    let note = errors.text("note", change.note.trim(), NOTE_MAX);
    if change.calendar.is_none() && change.effective_from.is_some() {
        errors
            .add("effective_from", "applies to a new definition; send the hours or special days that change");
    }
    let effective_from = change.effective_from.unwrap_or(now);
    // A version taking effect in the past would change time already measured under the old one;
    // one taking effect before a version already scheduled would be overtaken by it.
    if effective_from < now {
        errors.add("effective_from", "cannot be in the past: time already measured would change");
    } else if let Some(last) = current.latest().filter(|l| effective_from < l.effective_from) {
        errors.add(
            "effective_from",
            format!(
                "version {} takes effect at {}; a new version cannot take effect before it",
                last.version, last.effective_from
            ),
        );
    }
    let unchanged =
        change.calendar.as_ref().is_none_or(|c| current.latest().is_some_and(|l| l.calendar == *c));
    if let Some(calendar) = &change.calendar {
        check_calendar(&mut errors, calendar);
    }
    errors.into_result()?;
    if unchanged && row.name == current.row.name && row.description == current.row.description {
        return Ok(current);
    }
    row.version = expected_version + 1;
    row.updated_at = micros(now);
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    if !store::update(&mut c, &row, expected_version).await.map_err(name_taken)? {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    if let (false, Some(calendar)) = (unchanged, &change.calendar) {
        let next = CalendarVersionRow {
            calendar_id: id,
            version: current.latest().map_or(1, |l| l.version + 1),
            effective_from: micros(effective_from),
            definition: definition(calendar)?,
            note,
            created_by: actor.journal_id(),
            created_at: micros(now),
        };
        c.execute(store::insert_version(&next)).await?;
        crate::sla::calendar_changed(&mut c, id, now).await?;
        crate::service_request::calendar_changed(&mut c, id).await?;
    }
    tx.commit().await?;
    app.jobs_queued.notify_one();
    get(app, actor, id).await
}

/// Adds the holidays of an iCalendar file to the newest definition (an imported date replaces a
/// special day on the same date) as a new version. `years` bounds rules that repeat forever.
/// Returns the calendar and how many dates were imported.
pub async fn import_holidays(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    ical: &str,
    years: Option<(i16, i16)>,
    effective_from: Option<Timestamp>,
) -> Result<(CalendarDetail, usize), AppError> {
    actor.require(Action::AgreementManage)?;
    let current = get(app, actor, id).await?;
    if ical.len() > ICAL_MAX_BYTES {
        return Err(AppError::TooLarge { max: ICAL_MAX_BYTES });
    }
    let holidays = match years {
        Some((from, to)) if from > to => {
            return Err(ValidationErrors::single("years", "the first year is after the last").into());
        }
        Some((from, to)) => holidays_from_ical_for_years(ical, from..=to),
        None => holidays_from_ical(ical),
    }
    .map_err(|e| ValidationErrors::single("ical", e.to_string()))?;
    if holidays.is_empty() {
        return Err(ValidationErrors::single("ical", "the file holds no events to import").into());
    }
    let mut calendar = current.latest().map_or_else(Calendar::always_on, |l| l.calendar.clone());
    let count = holidays.len();
    merge_special_days(&mut calendar.special_days, holidays);
    let change = CalendarChange {
        name: None,
        description: None,
        calendar: Some(calendar),
        effective_from,
        note: format!("imported {count} holidays from an iCalendar file"),
    };
    Ok((update(app, actor, id, expected_version, change).await?, count))
}

fn merge_special_days(days: &mut Vec<SpecialDay>, imported: Vec<SpecialDay>) {
    let mut by_date: std::collections::BTreeMap<jiff::civil::Date, SpecialDay> =
        days.drain(..).map(|d| (d.date, d)).collect();
    by_date.extend(imported.into_iter().map(|d| (d.date, d)));
    days.extend(by_date.into_values());
}

/// The longest interval measured in one request.
pub const MEASURE_MAX: SignedDuration = trellis_domain::calendar::SEARCH_HORIZON;

/// Working time between two instants, each moment measured by the version in force at it.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub working: SignedDuration,
    /// The calendar versions in force over the interval.
    pub versions: Vec<i64>,
}

pub async fn measure(
    app: &App,
    actor: &Actor,
    id: Uuid,
    from: Timestamp,
    to: Timestamp,
) -> Result<Measurement, AppError> {
    let detail = get(app, actor, id).await?;
    if to < from {
        return Err(ValidationErrors::single("to", "must not be before from").into());
    }
    // The walk is linear in the days covered: a bound keeps one request from holding a worker.
    if to.duration_since(from) > MEASURE_MAX {
        return Err(ValidationErrors::single("to", "measure at most three years at a time").into());
    }
    let working = detail.history().working_time(from, to);
    let mut versions: Vec<i64> = detail.in_force_at(from).map(|v| v.version).into_iter().collect();
    for v in detail.versions.iter().filter(|v| v.effective_from > from && v.effective_from < to) {
        if let Some(n) = detail.in_force_at(v.effective_from).map(|x| x.version)
            && !versions.contains(&n)
        {
            versions.push(n);
        }
    }
    versions.sort_unstable();
    Ok(Measurement { working, versions })
}

/// When `minutes` of working time after `start` have passed (a due date), if within the horizon.
pub async fn due(
    app: &App,
    actor: &Actor,
    id: Uuid,
    start: Timestamp,
    minutes: i64,
) -> Result<Option<Timestamp>, AppError> {
    let detail = get(app, actor, id).await?;
    if !(0..=trellis_domain::agreement::MINUTES_MAX).contains(&minutes) {
        return Err(ValidationErrors::single("minutes", "must be from 0 to a year of minutes").into());
    }
    Ok(detail.history().add_working_time(start, SignedDuration::from_mins(minutes)))
}
