//! Incident pages: list, detail (timeline, comments, attachments, links), new and edit.

use super::record::{self, Platform};
use super::workspace::{SavedBar, saved_bar};
use super::{Nav, UiActor, UiResult, field_error, opt_uuid, render, short_time};
use crate::api::dto::IncidentQuery;
use crate::api::incidents::{encode_cursor, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use trellis_app::views::IncidentView;
use trellis_app::{Actor, AppError, identity, incident as app};
use trellis_domain::access::{Action, Role};
use trellis_domain::agreement::Priority;
use trellis_domain::incident::{Impact, IncidentStatus, PendingReason, ResolutionCode, Urgency};
use trellis_domain::saved_filter::SavedList;
use trellis_domain::validation::FieldError;
use uuid::Uuid;

/// An incident as pages show it.
pub struct Row {
    pub reference: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub status_label: &'static str,
    pub customer: String,
    pub team: String,
    pub assignee: String,
    pub owner: String,
    pub service: String,
    pub service_ref: Option<String>,
    pub category: String,
    pub priority: String,
    pub priority_label: &'static str,
    pub impact: &'static str,
    pub urgency: &'static str,
    pub pending_reason: Option<&'static str>,
    pub resolution: Option<String>,
    pub resolution_notes: String,
    pub due_short: String,
    pub version: i64,
    pub updated_at: String,
    pub updated_short: String,
}

impl From<&IncidentView> for Row {
    fn from(v: &IncidentView) -> Self {
        let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
        Row {
            reference: v.row.reference.clone(),
            title: v.row.title.clone(),
            description: v.row.description.clone(),
            status: v.row.status.clone(),
            status_label: IncidentStatus::parse(&v.row.status).map(IncidentStatus::label).unwrap_or("?"),
            customer: dash(&v.customer_name),
            team: dash(&v.team_name),
            assignee: dash(&v.assignee_name),
            owner: dash(&v.owner_name),
            service: v.service_ref.as_ref().map_or_else(
                || "—".into(),
                |r| format!("{r} {}", v.service_name.clone().unwrap_or_default()),
            ),
            service_ref: v.service_ref.clone(),
            category: v.row.category.clone(),
            priority: v.row.priority.clone(),
            priority_label: Priority::parse(&v.row.priority).map_or("?", Priority::label),
            impact: Impact::parse(&v.row.impact).map_or("?", Impact::label),
            urgency: Urgency::parse(&v.row.urgency).map_or("?", Urgency::label),
            pending_reason: v
                .row
                .pending_reason
                .as_deref()
                .and_then(PendingReason::parse)
                .map(PendingReason::label),
            resolution: v
                .row
                .resolution_code
                .as_deref()
                .and_then(ResolutionCode::parse)
                .map(|c| c.label().to_owned()),
            resolution_notes: v.row.resolution_notes.clone(),
            due_short: v.row.sla_due_at.map(short_time).unwrap_or_default(),
            version: v.row.version,
            updated_at: crate::api::dto::rfc3339(v.row.updated_at),
            updated_short: short_time(v.row.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(&'static str, &'static str)>,
    customers: Vec<(Uuid, String)>,
    is_staff: bool,
    q_status: String,
    q_customer: String,
    q_assignee: String,
    q_team: String,
    q_text: String,
    q_sort: String,
    next_url: Option<String>,
    error: Option<String>,
    saved: SavedBar,
    teams: Vec<(Uuid, String)>,
    /// Bulk changes: who may be assigned, where incidents may be moved.
    can_bulk: bool,
    assignees: Vec<(Uuid, String)>,
    move_targets: Vec<(&'static str, &'static str)>,
    pending_reasons: Vec<(&'static str, &'static str)>,
    resolution_codes: Vec<(&'static str, &'static str)>,
    /// This list, to come back to after a bulk change.
    back: String,
}

/// The states a work queue shows: everything not yet resolved.
pub const OPEN_STATES: &str = "new,in_progress,pending";

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    uri: Uri,
    query: Result<Query<IncidentQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    // A hand-edited URL with a bad parameter shows the list with the reason, not a bare 400.
    let (q, query_error) = match query {
        Ok(Query(q)) => (q, None),
        Err(e) => {
            let reason =
                std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            (IncidentQuery::default(), Some(reason))
        }
    };
    let mut page = ListPage {
        nav: Nav::new(&actor, "incidents"),
        items: Vec::new(),
        statuses: IncidentStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        customers: Vec::new(),
        is_staff: actor.role.is_staff(),
        q_status: q.status.clone().unwrap_or_default(),
        q_customer: q.customer.map(|c| c.to_string()).unwrap_or_default(),
        q_assignee: q.assignee.clone().unwrap_or_default(),
        q_team: q.team.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        q_sort: q.sort.clone().unwrap_or_else(|| "-created_at".into()),
        next_url: None,
        error: None,
        saved: saved_bar(&s, &actor, SavedList::Incidents, uri.query()).await?,
        teams: Vec::new(),
        can_bulk: actor.role.is_staff()
            && actor.may(Action::IncidentUpdate)
            && actor.may(Action::IncidentTransition),
        assignees: Vec::new(),
        move_targets: IncidentStatus::ALL
            .iter()
            .filter(|s| **s != IncidentStatus::New)
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        pending_reasons: PendingReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        resolution_codes: ResolutionCode::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        back: uri.path_and_query().map_or_else(|| "/incidents".into(), |p| p.as_str().to_owned()),
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, &actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
        page.teams =
            identity::list_teams(&s.app, &actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
        page.assignees = super::staff_choices(&s, &actor).await?;
    }
    if let Some(e) = query_error {
        page.error = Some(e);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    match filter_from_query(&q, actor.user_id) {
        Ok(filter) => {
            let (rows, next) = app::list(&s.app, &actor, filter).await?;
            page.items = rows.iter().map(Row::from).collect();
            page.next_url = next.map(|c| {
                let mut u = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in [
                    ("status", &page.q_status),
                    ("customer", &page.q_customer),
                    ("assignee", &page.q_assignee),
                    ("team", &page.q_team),
                    ("q", &page.q_text),
                    ("sort", &page.q_sort),
                    ("breaching_within", &q.breaching_within.map(|m| m.to_string()).unwrap_or_default()),
                    ("major", &q.major.map(|m| m.to_string()).unwrap_or_default()),
                ] {
                    if !v.is_empty() {
                        u.append_pair(k, v);
                    }
                }
                u.append_pair("after", &encode_cursor(c));
                format!("/incidents?{}", u.finish())
            });
        }
        Err(p) => page.error = Some(p.0.detail),
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "incident_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    version: Option<i64>,
    message: Option<String>,
    errors: Vec<FieldError>,
    is_staff: bool,
    title: String,
    description: String,
    customer_id: String,
    team_id: String,
    assignee_id: String,
    service_id: String,
    category: String,
    impact: String,
    urgency: String,
    customers: Vec<(Uuid, String)>,
    teams: Vec<(Uuid, String)>,
    assignees: Vec<(Uuid, String)>,
    services: Vec<(String, String)>,
    impacts: Vec<(String, String)>,
    urgencies: Vec<(String, String)>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct IncidentForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    version: Option<i64>,
}

/// The choices of the incident form (staff only: customers cannot route incidents).
async fn form_page(s: &AppState, actor: &Actor, f: &IncidentForm) -> Result<FormPage, AppError> {
    let mut page = FormPage {
        nav: Nav::new(actor, "incidents"),
        action: "/incidents".into(),
        reference: None,
        version: f.version,
        message: None,
        errors: Vec::new(),
        is_staff: actor.role.is_staff(),
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id: f.customer_id.clone(),
        team_id: f.team_id.clone(),
        assignee_id: f.assignee_id.clone(),
        service_id: f.service_id.clone(),
        category: f.category.clone(),
        impact: if f.impact.is_empty() { Impact::Medium.as_str().into() } else { f.impact.clone() },
        urgency: if f.urgency.is_empty() { Urgency::Medium.as_str().into() } else { f.urgency.clone() },
        customers: Vec::new(),
        teams: Vec::new(),
        assignees: Vec::new(),
        services: super::complaints::service_choices(s, actor).await?,
        impacts: Impact::ALL.iter().map(|i| (i.as_str().to_owned(), i.label().to_owned())).collect(),
        urgencies: Urgency::ALL.iter().map(|u| (u.as_str().to_owned(), u.label().to_owned())).collect(),
    };
    if actor.role.is_staff() {
        page.customers =
            identity::list_customers(&s.app, actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
        page.teams = identity::list_teams(&s.app, actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
        page.assignees = identity::list_users(&s.app, actor)
            .await?
            .into_iter()
            .filter(|u| {
                u.active && matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin))
            })
            .map(|u| (u.id, u.display_name))
            .collect();
    }
    Ok(page)
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::IncidentCreate)?;
    Ok(render(&form_page(&s, &actor, &IncidentForm::default()).await?))
}

/// The id selects of the form; a tampered value is reported on its field.
struct Picked {
    customer_id: Option<Uuid>,
    team_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    service_id: Option<Uuid>,
}

fn ids(f: &IncidentForm, errors: &mut Vec<FieldError>) -> Picked {
    let mut one = |field: &str, v: &str| {
        opt_uuid(v).unwrap_or_else(|_| {
            errors.push(FieldError { field: field.into(), message: "is not a valid choice".into() });
            None
        })
    };
    Picked {
        customer_id: one("customer_id", &f.customer_id),
        team_id: one("team_id", &f.team_id),
        assignee_id: one("assignee_id", &f.assignee_id),
        service_id: one("service_id", &f.service_id),
    }
}

/// An empty select means "as it is" (the app's default or the stored value).
fn given(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// Shows the form again with the user's input and the messages (422), or the error page.
async fn form_again(
    s: &AppState,
    actor: &Actor,
    f: &IncidentForm,
    reference: Option<String>,
    e: AppError,
) -> UiResult {
    let (errors, message) = match e {
        AppError::Validation(v) => (v.0, Some("Please correct the fields marked below.".to_owned())),
        AppError::VersionMismatch { .. } => (
            Vec::new(),
            Some("Someone else changed this incident after you opened it. Your changes are below; reload the incident to see theirs, then edit again.".to_owned()),
        ),
        other => return Err(other.into()),
    };
    let mut page = form_page(s, actor, f).await?;
    if let Some(r) = &reference {
        page.action = format!("/incidents/{r}/edit");
    }
    page.reference = reference;
    page.errors = errors;
    page.message = message;
    let status = if page.errors.is_empty() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let mut errors = Vec::new();
    let p = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(&s, &actor, &f, None, trellis_domain::validation::ValidationErrors(errors).into())
            .await;
    }
    let new = app::NewIncident {
        title: f.title.clone(),
        description: f.description.clone(),
        customer_id: p.customer_id,
        team_id: p.team_id,
        assignee_id: p.assignee_id,
        service_id: p.service_id,
        ci_id: None,
        category: f.category.clone(),
        impact: given(&f.impact),
        urgency: given(&f.urgency),
    };
    match app::create(&s.app, &actor, new).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, None, e).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::IncidentUpdate)?;
    let f = IncidentForm {
        title: v.row.title.clone(),
        description: v.row.description.clone(),
        customer_id: v.row.customer_id.map(|x| x.to_string()).unwrap_or_default(),
        team_id: v.row.team_id.map(|x| x.to_string()).unwrap_or_default(),
        assignee_id: v.row.assignee_id.map(|x| x.to_string()).unwrap_or_default(),
        service_id: v.row.service_id.map(|x| x.to_string()).unwrap_or_default(),
        category: v.row.category.clone(),
        impact: v.row.impact.clone(),
        urgency: v.row.urgency.clone(),
        version: Some(v.row.version),
    };
    let mut page = form_page(&s, &actor, &f).await?;
    page.action = format!("/incidents/{}/edit", v.row.reference);
    page.reference = Some(v.row.reference);
    Ok(render(&page))
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<IncidentForm>,
) -> UiResult {
    let h = app::handle(&s.app, &actor, &key).await?;
    let mut errors = Vec::new();
    let p = ids(&f, &mut errors);
    if !errors.is_empty() {
        return form_again(
            &s,
            &actor,
            &f,
            Some(h.reference),
            trellis_domain::validation::ValidationErrors(errors).into(),
        )
        .await;
    }
    let Some(version) = f.version else {
        return Err(AppError::Validation(trellis_domain::validation::ValidationErrors::single(
            "version",
            "is required",
        ))
        .into());
    };
    let patch = app::IncidentPatch {
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        customer_id: Some(p.customer_id),
        team_id: Some(p.team_id),
        assignee_id: Some(p.assignee_id),
        service_id: Some(p.service_id),
        ci_id: None,
        category: Some(f.category.clone()),
        impact: given(&f.impact),
        urgency: given(&f.urgency),
    };
    match app::update(&s.app, &actor, &key, version, patch).await {
        Ok(v) => Ok(Redirect::to(&format!("/incidents/{}", v.row.reference)).into_response()),
        Err(e) => form_again(&s, &actor, &f, Some(h.reference), e).await,
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    p: Platform,
    clocks: Vec<ClockLine>,
    /// Pending and resolved need a reason or a code, so they get their own forms.
    can_pend: bool,
    can_resolve: bool,
    pending_reasons: Vec<(&'static str, &'static str)>,
    resolution_codes: Vec<(&'static str, &'static str)>,
    /// Escalation and major-incident handling.
    m: super::major::Panel,
}

/// One SLA clock on the incident page, with its explanation.
struct ClockLine {
    agreement_ref: String,
    agreement_id: Uuid,
    kind: String,
    what: String,
    target: String,
    state: &'static str,
    elapsed: String,
    used_percent: i64,
    due: String,
    breached: bool,
    warned: bool,
    attributed: Option<String>,
    segments: Vec<SegmentLine>,
}

struct SegmentLine {
    from: String,
    to: String,
    length: String,
    explanation: String,
    counted: bool,
}

/// A length as people read it; under a minute in seconds, so short stretches are not "0 min".
fn minutes_text(seconds: i64) -> String {
    if seconds < 60 {
        format!("{seconds} s")
    } else {
        trellis_domain::agreement::format_minutes(seconds / 60)
    }
}

fn clock_line(e: &trellis_app::sla::Explained) -> ClockLine {
    let t = &e.clock.timer;
    let g = &e.clock.target;
    let at =
        |x: Option<jiff::Timestamp>| x.map(|v| short_time(trellis_app::views::micros(v))).unwrap_or_default();
    ClockLine {
        agreement_ref: g.agreement_ref.clone(),
        agreement_id: g.agreement_id,
        kind: g.agreement_type.to_uppercase(),
        what: if g.priority.is_empty() {
            g.metric.clone()
        } else {
            format!("{} ({})", g.metric, g.priority.to_uppercase())
        },
        target: trellis_domain::agreement::format_minutes(g.threshold),
        state: t.state.label(),
        elapsed: minutes_text(t.elapsed.as_secs()),
        used_percent: t.used_permille() / 10,
        due: at(t.due_at),
        breached: t.is_breached(),
        warned: t.warned_at.is_some(),
        attributed: e.clock.attributed_to.as_ref().map(|a| format!("{} {}", a.agreement_ref, a.metric)),
        segments: t
            .segments
            .iter()
            .map(|s| SegmentLine {
                from: short_time(trellis_app::views::micros(s.from)),
                to: short_time(trellis_app::views::micros(s.to)),
                length: minutes_text(s.length().as_secs()),
                explanation: format!("{} — {}", s.status.label(), s.kind.explain()),
                counted: s.kind == trellis_domain::sla::SegmentKind::Counted,
            })
            .collect(),
    }
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = IncidentStatus::parse(&v.row.status).unwrap_or(IncidentStatus::New);
    let mut p = record::platform(
        s,
        actor,
        &h,
        v.row.version,
        status,
        record::Rights { edit: Action::IncidentUpdate, transition: Action::IncidentTransition },
        message,
    )
    .await?;
    let has = |to: IncidentStatus| p.transitions.iter().any(|(t, _)| *t == to.as_str());
    let (can_pend, can_resolve) = (has(IncidentStatus::Pending), has(IncidentStatus::Resolved));
    p.transitions
        .retain(|(t, _)| *t != IncidentStatus::Pending.as_str() && *t != IncidentStatus::Resolved.as_str());
    let explained: Vec<_> = trellis_app::sla::explain(&s.app, actor, key, None).await?;
    let clocks = explained.iter().map(clock_line).collect();
    let m = super::major::panel(s, actor, &v).await?;
    Ok(render(&DetailPage {
        nav: Nav::new(actor, "incidents"),
        i: Row::from(&v),
        p,
        clocks,
        can_pend,
        can_resolve,
        pending_reasons: PendingReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        resolution_codes: ResolutionCode::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        m,
    }))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}
