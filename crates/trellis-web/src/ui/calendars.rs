//! Business calendar pages: the list with a form for a new calendar, and a calendar's page with
//! its hours, special days and versions, a form for a new version, iCalendar import and a
//! working-time calculator.

use super::{FormErrors, Nav, UiActor, UiResult, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use jiff::Timestamp;
use jiff::civil::DateTime;
use serde::Deserialize;
use trellis_app::calendar::{self as app, CalendarChange, CalendarDetail};
use trellis_app::{Actor, AppError};
use trellis_domain::access::Action;
use trellis_domain::agreement::format_minutes;
use trellis_domain::calendar::{Calendar, WEEK, WeeklyHours};
use trellis_domain::calendar_text::{format_shifts, format_special_days, parse_shifts, parse_special_days};
use trellis_domain::validation::ValidationErrors;
use uuid::Uuid;

const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// The calendar form: one text field per weekday, special days one per line.
#[derive(Debug, Deserialize, Default)]
pub struct CalendarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    monday: String,
    #[serde(default)]
    tuesday: String,
    #[serde(default)]
    wednesday: String,
    #[serde(default)]
    thursday: String,
    #[serde(default)]
    friday: String,
    #[serde(default)]
    saturday: String,
    #[serde(default)]
    sunday: String,
    #[serde(default)]
    special_days: String,
    /// Local date and time in the calendar's zone (`2026-12-01T00:00`); empty for now.
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    note: String,
    version: Option<i64>,
}

impl CalendarForm {
    fn days(&self) -> [&String; 7] {
        [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ]
    }

    /// Day name, label and text, for the template.
    pub fn week_rows(&self) -> Vec<(&'static str, String, String)> {
        DAYS.iter()
            .zip(self.days())
            .map(|(d, v)| (*d, format!("{}{}", d[..1].to_uppercase(), &d[1..]), v.clone()))
            .collect()
    }

    fn of(detail: &CalendarDetail) -> CalendarForm {
        let c = detail.latest().map_or_else(Calendar::always_on, |l| l.calendar.clone());
        let day = |i: usize| format_shifts(c.week.on(WEEK[i]));
        CalendarForm {
            name: detail.row.name.clone(),
            description: detail.row.description.clone(),
            time_zone: c.time_zone.clone(),
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
            special_days: format_special_days(&c.special_days),
            effective_from: String::new(),
            note: String::new(),
            version: Some(detail.row.version),
        }
    }

    fn calendar(&self, errors: &mut ValidationErrors) -> Calendar {
        let mut week = WeeklyHours::closed();
        for (i, text) in self.days().into_iter().enumerate() {
            *week.on_mut(WEEK[i]) = parse_shifts(errors, &format!("week.{}", DAYS[i]), text);
        }
        let special_days = parse_special_days(errors, &self.special_days);
        Calendar { time_zone: self.time_zone.trim().to_owned(), week, special_days }
    }
}

/// A local date-time typed in the calendar's zone, as an instant.
fn local_instant(errors: &mut ValidationErrors, field: &str, text: &str, zone: &str) -> Option<Timestamp> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let parsed = t.parse::<DateTime>().ok().and_then(|dt| dt.in_tz(zone).ok()).map(|z| z.timestamp());
    if parsed.is_none() {
        errors.add(field, "must be a date and time such as 2026-12-01T08:00");
    }
    parsed
}

#[derive(Template)]
#[template(path = "calendars.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<(String, String, String)>,
    can_manage: bool,
    f: CalendarForm,
    errors: FormErrors,
}

async fn list_page(
    s: &AppState,
    actor: &Actor,
    f: CalendarForm,
    errors: FormErrors,
) -> Result<ListPage, AppError> {
    let items = app::list(&s.app, actor)
        .await?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name, c.description))
        .collect();
    Ok(ListPage {
        nav: Nav::new(actor, "agreements"),
        items,
        can_manage: actor.may(Action::AgreementManage),
        f,
        errors,
    })
}

pub async fn list(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    let f = CalendarForm {
        time_zone: "UTC".into(),
        monday: "08:00-18:00".into(),
        tuesday: "08:00-18:00".into(),
        wednesday: "08:00-18:00".into(),
        thursday: "08:00-18:00".into(),
        friday: "08:00-18:00".into(),
        ..CalendarForm::default()
    };
    Ok(render(&list_page(&s, &actor, f, FormErrors::default()).await?))
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<CalendarForm>,
) -> UiResult {
    let mut errors = ValidationErrors::default();
    let calendar = f.calendar(&mut errors);
    let result = match errors.into_result() {
        Ok(()) => app::create(&s.app, &actor, &f.name, &f.description, calendar).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/calendars/{}", d.row.id)).into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "calendar")?;
            Ok((status, render(&list_page(&s, &actor, f, errors).await?)).into_response())
        }
    }
}

pub struct VersionItem {
    pub version: i64,
    pub effective_from: String,
    pub note: String,
    pub in_force: bool,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct DetailPage {
    nav: Option<Nav>,
    id: String,
    name: String,
    description: String,
    time_zone: String,
    week: Vec<(String, String)>,
    special_days: Vec<(String, String, String)>,
    versions: Vec<VersionItem>,
    can_manage: bool,
    f: CalendarForm,
    errors: FormErrors,
    measure_from: String,
    measure_to: String,
    measured: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct MeasureQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

async fn detail_page(
    s: &AppState,
    actor: &Actor,
    id: Uuid,
    form: Option<CalendarForm>,
    errors: FormErrors,
    q: MeasureQuery,
) -> Result<DetailPage, AppError> {
    let d = app::get(&s.app, actor, id).await?;
    let now = s.app.now();
    let shown = d.in_force_at(now).map_or_else(Calendar::always_on, |v| v.calendar.clone());
    let in_force = d.in_force_at(now).map(|v| v.version);
    let zone_of = |t: Timestamp, tz: &str| {
        t.in_tz(tz).map(|z| z.strftime("%Y-%m-%d %H:%M %Z").to_string()).unwrap_or_else(|_| t.to_string())
    };
    let mut measure_errors = ValidationErrors::default();
    let from = local_instant(&mut measure_errors, "from", &q.from, &shown.time_zone);
    let to = local_instant(&mut measure_errors, "to", &q.to, &shown.time_zone);
    let measured = match (from, to, measure_errors.is_empty()) {
        (Some(a), Some(b), true) => match app::measure(&s.app, actor, id, a, b).await {
            Ok(m) => Some(format!(
                "{} of working time (calendar version {})",
                format_minutes(m.working.as_mins()),
                m.versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )),
            Err(AppError::Validation(v)) => Some(v.to_string()),
            Err(e) => return Err(e),
        },
        (_, _, false) => Some(measure_errors.to_string()),
        _ => None,
    };
    Ok(DetailPage {
        nav: Nav::new(actor, "agreements"),
        id: d.row.id.to_string(),
        name: d.row.name.clone(),
        description: d.row.description.clone(),
        time_zone: shown.time_zone.clone(),
        week: WEEK
            .iter()
            .zip(DAYS)
            .map(|(w, name)| {
                let text = format_shifts(shown.week.on(*w));
                (
                    format!("{}{}", name[..1].to_uppercase(), &name[1..]),
                    if text.is_empty() { "closed".into() } else { text },
                )
            })
            .collect(),
        special_days: shown
            .special_days
            .iter()
            .map(|sd| {
                let hours = if sd.shifts.is_empty() { "closed".into() } else { format_shifts(&sd.shifts) };
                (sd.date.to_string(), sd.name.clone(), hours)
            })
            .collect(),
        versions: d
            .versions
            .iter()
            .rev()
            .map(|v| VersionItem {
                version: v.version,
                effective_from: zone_of(v.effective_from, &v.calendar.time_zone),
                note: v.note.clone(),
                in_force: Some(v.version) == in_force,
            })
            .collect(),
        can_manage: actor.may(Action::AgreementManage),
        f: form.unwrap_or_else(|| CalendarForm::of(&d)),
        errors,
        measure_from: q.from,
        measure_to: q.to,
        measured,
    })
}

fn calendar_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

pub async fn detail(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Query(q): Query<MeasureQuery>,
) -> UiResult {
    let id = calendar_id(&id)?;
    Ok(render(&detail_page(&s, &actor, id, None, FormErrors::default(), q).await?))
}

async fn again(s: &AppState, actor: &Actor, id: Uuid, f: Option<CalendarForm>, e: AppError) -> UiResult {
    let (errors, status) = FormErrors::from_error(e, "calendar")?;
    let page = detail_page(s, actor, id, f, errors, MeasureQuery::default()).await?;
    Ok((status, render(&page)).into_response())
}

/// A new version of the calendar.
pub async fn update(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(f): Form<CalendarForm>,
) -> UiResult {
    let id = calendar_id(&id)?;
    let mut errors = ValidationErrors::default();
    let calendar = f.calendar(&mut errors);
    let zone = if calendar.time_zone.is_empty() { "UTC" } else { calendar.time_zone.as_str() };
    let effective_from = local_instant(&mut errors, "effective_from", &f.effective_from, zone);
    let result = match (errors.into_result(), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(()), Some(version)) => {
            let change = CalendarChange {
                name: Some(f.name.clone()),
                description: Some(f.description.clone()),
                calendar: Some(calendar),
                effective_from,
                note: f.note.clone(),
            };
            app::update(&s.app, &actor, id, version, change).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/calendars/{id}")).into_response()),
        Err(e) => again(&s, &actor, id, Some(f), e).await,
    }
}

/// Holidays from an uploaded or pasted iCalendar file.
pub async fn import(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> UiResult {
    let id = calendar_id(&id)?;
    let (mut ical, mut version, mut from_year, mut to_year) =
        (String::new(), None, String::new(), String::new());
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "file" | "ical" if !text.trim().is_empty() => ical = text,
            "version" => version = text.trim().parse::<i64>().ok(),
            "from_year" => from_year = text,
            "to_year" => to_year = text,
            _ => {}
        }
    }
    let years = match (from_year.trim().parse::<i16>(), to_year.trim().parse::<i16>()) {
        (Ok(a), Ok(z)) => Some((a, z)),
        _ => None,
    };
    let result = match version {
        None => Err(ValidationErrors::single("version", "is required").into()),
        Some(v) => app::import_holidays(&s.app, &actor, id, v, &ical, years, None).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/calendars/{id}")).into_response()),
        Err(e) => again(&s, &actor, id, None, e).await,
    }
}
