//! `/api/v1/calendars`: business calendars, their versions, holiday import from iCalendar, and
//! working-time measurement.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{Items, rfc3339};
use super::{ApiQuery, bad_param, created, with_etag};
use crate::extract::{ApiActor, ApiJson, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use trellis_app::AppError;
use trellis_app::calendar::{self as app, CalendarChange, CalendarDetail, CalendarVersion};
use trellis_domain::calendar::{Calendar as Definition, SpecialDay, WeeklyHours};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarVersionDto {
    /// Numbered from 1 in the order they were made.
    pub version: i64,
    /// When this version comes into force (it stays in force until a later one does).
    pub effective_from: String,
    pub note: String,
    pub created_by: Option<Uuid>,
    pub created_at: String,
    /// IANA time zone, e.g. Europe/Berlin.
    pub time_zone: String,
    /// Shifts per weekday: `{"monday": [{"start": "08:00:00", "end": "17:00:00"}], ...}`; a shift
    /// ending at or before its start runs overnight.
    #[schema(value_type = Object)]
    pub week: WeeklyHours,
    /// Dates whose hours replace the weekday's (no shifts: closed).
    #[schema(value_type = Vec<Object>)]
    pub special_days: Vec<SpecialDay>,
}

fn version_dto(v: &CalendarVersion) -> CalendarVersionDto {
    CalendarVersionDto {
        version: v.version,
        effective_from: v.effective_from.to_string(),
        note: v.note.clone(),
        created_by: v.created_by,
        created_at: v.created_at.to_string(),
        time_zone: v.calendar.time_zone.clone(),
        week: v.calendar.week.clone(),
        special_days: v.calendar.special_days.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The version of the calendar record (for `If-Match`), not of its definition.
    pub version: i64,
    /// The definition in force now.
    pub in_force: Option<CalendarVersionDto>,
    /// Every definition, oldest first; none is ever changed.
    pub versions: Vec<CalendarVersionDto>,
    pub created_at: String,
    pub updated_at: String,
}

fn calendar_dto(d: &CalendarDetail, now: Timestamp) -> CalendarDto {
    CalendarDto {
        id: d.row.id,
        name: d.row.name.clone(),
        description: d.row.description.clone(),
        version: d.row.version,
        in_force: d.in_force_at(now).map(version_dto),
        versions: d.versions.iter().map(version_dto).collect(),
        created_at: rfc3339(d.row.created_at),
        updated_at: rfc3339(d.row.updated_at),
    }
}

fn answer(s: &AppState, d: &CalendarDetail) -> Response {
    with_etag(d.row.version, axum::Json(calendar_dto(d, s.app.now())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office hours Berlin", "time_zone": "Europe/Berlin",
    "week": {"monday": [{"start": "08:00", "end": "18:00"}], "tuesday": [{"start": "08:00", "end": "18:00"}]},
    "special_days": [{"date": "2026-12-25", "name": "Christmas Day"}]}))]
pub struct CreateCalendar {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub time_zone: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub week: WeeklyHours,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub special_days: Vec<SpecialDay>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Europe/Berlin", "week": {"monday": [{"start": "09:00", "end": "17:00"}]},
    "effective_from": "2027-01-01T00:00:00+01:00", "note": "New opening hours from January"}))]
pub struct UpdateCalendar {
    pub name: Option<String>,
    pub description: Option<String>,
    /// With `week` and `special_days`: the new definition. Leave all three out to rename only.
    pub time_zone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub week: Option<WeeklyHours>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub special_days: Option<Vec<SpecialDay>>,
    /// RFC 3339 instant; now when left out. Never in the past.
    pub effective_from: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub(crate) fn instant(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| bad_param(field, "must be an RFC 3339 instant such as 2026-11-21T09:00:00Z").into())
}

/// List business calendars
#[utoipa::path(operation_id = "list_calendars", get, path = "/api/v1/calendars", tag = "agreements",
    responses((status = 200, body = Items<CalendarSummary>), (status = 403, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<CalendarSummary>>> {
    let items = app::list(&s.app, &actor)
        .await?
        .into_iter()
        .map(|r| CalendarSummary {
            id: r.id,
            name: r.name,
            description: r.description,
            version: r.version,
            updated_at: rfc3339(r.updated_at),
        })
        .collect();
    Ok(axum::Json(Items { items }))
}

/// Define a business calendar (managers)
#[utoipa::path(operation_id = "create_calendar", post, path = "/api/v1/calendars", tag = "agreements", request_body = CreateCalendar,
    responses((status = 201, body = CalendarDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateCalendar>,
) -> ApiResult<Response> {
    let definition = Definition { time_zone: b.time_zone, week: b.week, special_days: b.special_days };
    let d = app::create(&s.app, &actor, &b.name, &b.description, definition).await?;
    Ok(created(&format!("/api/v1/calendars/{}", d.row.id), d.row.version, calendar_dto(&d, s.app.now())))
}

fn calendar_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// Read a calendar with all its versions
#[utoipa::path(operation_id = "get_calendar", get, path = "/api/v1/calendars/{id}", tag = "agreements",
    params(("id" = Uuid, Path, description = "Calendar id")),
    responses((status = 200, body = CalendarDto), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = app::get(&s.app, &actor, calendar_id(&id)?).await?;
    Ok(answer(&s, &d))
}

/// Change a calendar (managers)
///
/// A new definition becomes a new version in force from `effective_from` (now by default, never
/// in the past), so working time already measured is not changed. Requires `If-Match`.
#[utoipa::path(operation_id = "update_calendar", patch, path = "/api/v1/calendars/{id}", tag = "agreements", request_body = UpdateCalendar,
    params(("id" = Uuid, Path, description = "Calendar id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = CalendarDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateCalendar>,
) -> ApiResult<Response> {
    let id = calendar_id(&id)?;
    let current = app::get(&s.app, &actor, id).await?;
    let version = require_if_match(&headers)?;
    let calendar = if b.time_zone.is_some() || b.week.is_some() || b.special_days.is_some() {
        // Parts left out keep their newest value.
        let mut c = current.latest().map_or_else(Definition::always_on, |l| l.calendar.clone());
        c.time_zone = b.time_zone.unwrap_or(c.time_zone);
        c.week = b.week.unwrap_or(c.week);
        c.special_days = b.special_days.unwrap_or(c.special_days);
        Some(c)
    } else {
        None
    };
    let effective_from = b.effective_from.as_deref().map(|t| instant("effective_from", t)).transpose()?;
    let change =
        CalendarChange { name: b.name, description: b.description, calendar, effective_from, note: b.note };
    let d = app::update(&s.app, &actor, id, version, change).await?;
    Ok(answer(&s, &d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ical": "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "from_year": 2026, "to_year": 2028}))]
pub struct ImportHolidays {
    /// The text of an iCalendar (.ics) file.
    pub ical: String,
    /// With `to_year`: only dates of recurring events in these years (needed for rules that
    /// repeat forever).
    pub from_year: Option<i16>,
    pub to_year: Option<i16>,
    /// RFC 3339 instant; now when left out.
    pub effective_from: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedHolidays {
    /// How many dates the file gave.
    pub imported: usize,
    pub calendar: CalendarDto,
}

/// Import holidays from an iCalendar file (managers)
///
/// Each event's dates become closed special days (a date already listed is replaced) in a new
/// version. A bad file imports nothing and names the line. Requires `If-Match`.
#[utoipa::path(operation_id = "import_calendar_holidays", post, path = "/api/v1/calendars/{id}/holidays", tag = "agreements",
    request_body = ImportHolidays,
    params(("id" = Uuid, Path, description = "Calendar id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = ImportedHolidays), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ImportHolidays>,
) -> ApiResult<Response> {
    let id = calendar_id(&id)?;
    app::get(&s.app, &actor, id).await?;
    let version = require_if_match(&headers)?;
    let years = match (b.from_year, b.to_year) {
        (Some(a), Some(z)) => Some((a, z)),
        (None, None) => None,
        _ => return Err(bad_param("to_year", "give both from_year and to_year, or neither").into()),
    };
    let effective_from = b.effective_from.as_deref().map(|t| instant("effective_from", t)).transpose()?;
    let (d, imported) =
        app::import_holidays(&s.app, &actor, id, version, &b.ical, years, effective_from).await?;
    let body = ImportedHolidays { imported, calendar: calendar_dto(&d, s.app.now()) };
    Ok(with_etag(d.row.version, axum::Json(body)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkingTimeQuery {
    /// RFC 3339 instant.
    pub from: String,
    /// RFC 3339 instant, not before `from`.
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingTime {
    pub from: String,
    pub to: String,
    /// Working seconds in [from, to), each moment measured by the version in force at it.
    pub working_seconds: i64,
    /// The calendar versions in force over the interval.
    pub versions: Vec<i64>,
}

/// Measure working time between two instants
#[utoipa::path(operation_id = "calendar_working_time", get, path = "/api/v1/calendars/{id}/working-time", tag = "agreements",
    params(("id" = Uuid, Path, description = "Calendar id"), WorkingTimeQuery),
    responses((status = 200, body = WorkingTime), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn working_time(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<WorkingTimeQuery>,
) -> ApiResult<axum::Json<WorkingTime>> {
    let id = calendar_id(&id)?;
    let (from, to) = (instant("from", &q.from)?, instant("to", &q.to)?);
    let m = app::measure(&s.app, &actor, id, from, to).await?;
    Ok(axum::Json(WorkingTime {
        from: from.to_string(),
        to: to.to_string(),
        working_seconds: m.working.as_secs(),
        versions: m.versions,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueQuery {
    /// RFC 3339 instant the clock starts.
    pub start: String,
    /// Working minutes to add.
    pub minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Due {
    pub start: String,
    pub minutes: i64,
    /// When that much working time has passed; null if the calendar has no working time within
    /// three years.
    pub due: Option<String>,
}

/// When a target of so many working minutes falls due
#[utoipa::path(operation_id = "calendar_due", get, path = "/api/v1/calendars/{id}/due", tag = "agreements",
    params(("id" = Uuid, Path, description = "Calendar id"), DueQuery),
    responses((status = 200, body = Due), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn due(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> ApiResult<axum::Json<Due>> {
    let id = calendar_id(&id)?;
    let start = instant("start", &q.start)?;
    let due = app::due(&s.app, &actor, id, start, q.minutes).await?;
    Ok(axum::Json(Due { start: start.to_string(), minutes: q.minutes, due: due.map(|t| t.to_string()) }))
}
