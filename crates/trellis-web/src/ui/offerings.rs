//! Request offering pages: a service's offerings, an offering with its form and versions, and
//! the form that defines a new version.

use super::cis::{parse_schema, schema_line};
use super::{FormErrors, Nav, UiActor, UiResult, choices, form_uuid, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::offering::{self as app, OfferingDetail, OfferingInput};
use trellis_app::views::{TeamRow, UserRow};
use trellis_app::{Actor, AppError, calendar};
use trellis_domain::access::Action;
use trellis_domain::agreement::format_minutes;
use trellis_domain::offering::{ApprovalPolicy, ApproverRule, OfferingStatus, TaskTemplate};
use trellis_domain::validation::{FieldError, ValidationErrors};
use uuid::Uuid;

/// An offering as the service page lists it.
pub struct OfferingItem {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_label: &'static str,
    pub approval: &'static str,
    pub target: String,
}

pub fn item(d: &OfferingDetail) -> OfferingItem {
    let def = d.current();
    OfferingItem {
        id: d.row.id.to_string(),
        name: def.map(|x| x.name.clone()).unwrap_or_default(),
        status: d.row.status.clone(),
        status_label: OfferingStatus::parse(&d.row.status).map_or("?", OfferingStatus::label),
        approval: def.and_then(|x| ApprovalPolicy::parse(&x.approval)).map_or("?", ApprovalPolicy::label),
        target: def.and_then(|x| x.fulfilment_minutes).map(format_minutes).unwrap_or_else(|| "—".into()),
    }
}

/// The offerings of a service, as its page shows them.
pub async fn of_service(
    s: &AppState,
    actor: &Actor,
    service_key: &str,
) -> Result<Vec<OfferingItem>, AppError> {
    Ok(app::list_for_service(&s.app, actor, service_key).await?.iter().map(item).collect())
}

#[derive(Template)]
#[template(path = "offering.html")]
struct DetailPage {
    nav: Option<Nav>,
    o: OfferingItem,
    service_ref: String,
    service_name: String,
    description: String,
    version: i64,
    definition: i64,
    /// Label, kind, required, choices.
    fields: Vec<(String, &'static str, bool, String)>,
    versions: Vec<(i64, String, String)>,
    transitions: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    /// Published and the actor may order it.
    can_order: bool,
    /// Approver and task lines (staff only).
    approvers: Vec<String>,
    tasks: Vec<String>,
    message: Option<String>,
}

async fn detail_page(s: &AppState, actor: &Actor, id: Uuid, message: Option<String>) -> UiResult {
    let d = app::get(&s.app, actor, id).await?;
    let def = d.current().cloned();
    let can_manage = actor.may(Action::ServiceManage);
    let status = OfferingStatus::parse(&d.row.status).unwrap_or(OfferingStatus::Draft);
    let dir = if actor.may(Action::UserRead) { Some(Directory::load(s, actor).await?) } else { None };
    Ok(render(&DetailPage {
        nav: Nav::new(actor, "services"),
        o: item(&d),
        service_ref: d.service_ref.clone(),
        service_name: d.service_name.clone(),
        description: def.as_ref().map(|x| x.description.clone()).unwrap_or_default(),
        version: d.row.version,
        definition: d.row.current_definition,
        fields: def
            .as_ref()
            .map(|x| {
                x.form
                    .iter()
                    .map(|f| (f.label.clone(), f.kind.as_str(), f.required, f.choices.join(", ")))
                    .collect()
            })
            .unwrap_or_default(),
        versions: if actor.role.is_staff() {
            d.definitions
                .iter()
                .rev()
                .map(|v| (v.version, v.name.clone(), v.created_at.strftime("%Y-%m-%d %H:%M UTC").to_string()))
                .collect()
        } else {
            Vec::new()
        },
        transitions: if can_manage {
            status.allowed_transitions().iter().map(|t| (t.as_str(), t.label())).collect()
        } else {
            Vec::new()
        },
        can_manage,
        can_order: status == OfferingStatus::Published && actor.may(Action::RequestCreate),
        approvers: match (&dir, &def) {
            (Some(dir), Some(def)) => def.approvers.iter().map(|r| dir.approver_line(r)).collect(),
            _ => Vec::new(),
        },
        tasks: match (&dir, &def) {
            (Some(dir), Some(def)) => def.tasks.iter().map(|t| dir.task_line(t)).collect(),
            _ => Vec::new(),
        },
        message,
    }))
}

fn offering_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(id): Path<String>) -> UiResult {
    detail_page(&s, &actor, offering_id(&id)?, None).await
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    to: String,
    version: Option<i64>,
}

pub async fn transition(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(f): Form<TransitionForm>,
) -> UiResult {
    let id = offering_id(&id)?;
    match app::transition(&s.app, &actor, id, &f.to, f.version).await {
        Ok(_) => Ok(Redirect::to(&format!("/offerings/{id}")).into_response()),
        Err(e @ (AppError::Conflict { .. } | AppError::VersionMismatch { .. } | AppError::Validation(_))) => {
            let status = crate::problem::status_of(&e);
            Ok((status, detail_page(&s, &actor, id, Some(e.to_string())).await?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct OfferingForm {
    #[serde(default)]
    service: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    approval: String,
    /// One approver per line: `service owner`, `managers`, or a person's e-mail address.
    #[serde(default)]
    approvers: String,
    /// One fulfilment task per line: `title | team name` (the team is optional).
    #[serde(default)]
    tasks: String,
    #[serde(default)]
    fulfilment_minutes: String,
    #[serde(default)]
    calendar_id: String,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "offering_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    editing: bool,
    f: OfferingForm,
    errors: FormErrors,
    approvals: Vec<(String, String)>,
    calendars: Vec<(String, String)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    action: String,
    editing: bool,
    f: OfferingForm,
    errors: FormErrors,
) -> UiResult {
    let calendars =
        calendar::list(&s.app, actor).await?.into_iter().map(|c| (c.id.to_string(), c.name)).collect();
    let status = if errors.message.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = FormPage {
        nav: Nav::new(actor, "services"),
        action,
        editing,
        f,
        errors,
        approvals: choices::<ApprovalPolicy>(),
        calendars,
    };
    Ok((status, render(&page)).into_response())
}

/// The people and teams approver and task lines may name.
struct Directory {
    users: Vec<UserRow>,
    teams: Vec<TeamRow>,
}

impl Directory {
    async fn load(s: &AppState, actor: &Actor) -> Result<Self, AppError> {
        Ok(Directory {
            users: trellis_app::identity::list_users(&s.app, actor).await?,
            teams: trellis_app::identity::list_teams(&s.app, actor).await?,
        })
    }

    fn approver_line(&self, rule: &ApproverRule) -> String {
        match rule {
            ApproverRule::ServiceOwner => "service owner".into(),
            ApproverRule::Managers => "managers".into(),
            ApproverRule::User { user_id } => self
                .users
                .iter()
                .find(|u| u.id == *user_id)
                .map_or_else(|| user_id.to_string(), |u| u.email.clone()),
        }
    }

    fn parse_approvers(&self, text: &str, errors: &mut Vec<FieldError>) -> Vec<ApproverRule> {
        let mut out = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.to_lowercase().as_str() {
                "service owner" | "service_owner" => out.push(ApproverRule::ServiceOwner),
                "managers" | "manager" => out.push(ApproverRule::Managers),
                email => match self.users.iter().find(|u| u.email.eq_ignore_ascii_case(email)) {
                    Some(u) => out.push(ApproverRule::User { user_id: u.id }),
                    None => errors.push(FieldError {
                        field: "approvers".into(),
                        message: format!("{line}: not \"service owner\", \"managers\" or a user's e-mail"),
                    }),
                },
            }
        }
        out
    }

    fn task_line(&self, t: &TaskTemplate) -> String {
        match t.team_id.and_then(|id| self.teams.iter().find(|x| x.id == id)) {
            Some(team) => format!("{} | {}", t.title, team.name),
            None => t.title.clone(),
        }
    }

    fn parse_tasks(&self, text: &str, errors: &mut Vec<FieldError>) -> Vec<TaskTemplate> {
        let mut out = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (title, team) = line.split_once('|').map_or((line, ""), |(a, b)| (a.trim(), b.trim()));
            let team_id = match team {
                "" => None,
                name => match self.teams.iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
                    Some(t) => Some(t.id),
                    None => {
                        errors.push(FieldError {
                            field: "tasks".into(),
                            message: format!("{name}: no such team"),
                        });
                        None
                    }
                },
            };
            out.push(TaskTemplate { title: title.to_owned(), team_id });
        }
        out
    }
}

fn input_of(f: &OfferingForm, dir: &Directory) -> Result<OfferingInput, ValidationErrors> {
    let mut errors: Vec<FieldError> = Vec::new();
    let approvers = dir.parse_approvers(&f.approvers, &mut errors);
    let tasks = dir.parse_tasks(&f.tasks, &mut errors);
    let form = match parse_schema(&f.fields) {
        Ok(defs) => defs,
        Err(e) => {
            errors.extend(e.0.into_iter().map(|mut x| {
                x.field = "fields".into();
                x
            }));
            Vec::new()
        }
    };
    let fulfilment_minutes = match f.fulfilment_minutes.trim() {
        "" => None,
        t => {
            let m = t.parse::<i64>().ok();
            if m.is_none() {
                errors.push(FieldError {
                    field: "fulfilment_minutes".into(),
                    message: "must be a whole number of minutes".into(),
                });
            }
            m
        }
    };
    let calendar_id = form_uuid(&mut errors, "calendar_id", &f.calendar_id);
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(OfferingInput {
        name: f.name.clone(),
        description: f.description.clone(),
        form,
        approval: f.approval.clone(),
        approvers,
        tasks,
        fulfilment_minutes,
        calendar_id,
    })
}

/// Field errors on `form[i].…` belong to the one box of form fields.
fn on_page(e: AppError) -> Result<FormErrors, AppError> {
    let (mut errors, _) = FormErrors::from_error(e, "offering")?;
    for f in &mut errors.fields {
        for (prefix, box_name) in [("form", "fields"), ("approvers", "approvers"), ("tasks", "tasks")] {
            if f.field.starts_with(prefix) && f.field != box_name {
                f.message = format!("{}: {}", f.field, f.message);
                f.field = box_name.into();
            }
        }
    }
    Ok(errors)
}

#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    service: String,
}

pub async fn new_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(q): Query<NewQuery>,
) -> UiResult {
    actor.require(Action::ServiceManage)?;
    let f = OfferingForm {
        service: q.service,
        approval: ApprovalPolicy::None.as_str().into(),
        ..OfferingForm::default()
    };
    form_page(&s, &actor, "/offerings".into(), false, f, FormErrors::default()).await
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<OfferingForm>,
) -> UiResult {
    let dir = Directory::load(&s, &actor).await?;
    let result = match input_of(&f, &dir) {
        Ok(input) => app::create(&s.app, &actor, &f.service, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/offerings/{}", d.row.id)).into_response()),
        Err(e) => form_page(&s, &actor, "/offerings".into(), false, f, on_page(e)?).await,
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
) -> UiResult {
    let d = app::get(&s.app, &actor, offering_id(&id)?).await?;
    actor.require(Action::ServiceManage)?;
    let def = d.current().cloned().ok_or(AppError::NotFound)?;
    let dir = Directory::load(&s, &actor).await?;
    let f = OfferingForm {
        approvers: def.approvers.iter().map(|r| dir.approver_line(r)).collect::<Vec<_>>().join("\n"),
        tasks: def.tasks.iter().map(|t| dir.task_line(t)).collect::<Vec<_>>().join("\n"),
        service: d.service_ref.clone(),
        name: def.name,
        description: def.description,
        fields: def.form.iter().map(schema_line).collect::<Vec<_>>().join("\n"),
        approval: def.approval,
        fulfilment_minutes: def.fulfilment_minutes.map(|m| m.to_string()).unwrap_or_default(),
        calendar_id: def.calendar_id.map(|c| c.to_string()).unwrap_or_default(),
        version: Some(d.row.version),
    };
    form_page(&s, &actor, format!("/offerings/{id}/edit"), true, f, FormErrors::default()).await
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(f): Form<OfferingForm>,
) -> UiResult {
    let oid = offering_id(&id)?;
    let dir = Directory::load(&s, &actor).await?;
    let result = match (input_of(&f, &dir), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(v)) => app::update(&s.app, &actor, oid, v, input).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/offerings/{oid}")).into_response()),
        Err(e) => form_page(&s, &actor, format!("/offerings/{id}/edit"), true, f, on_page(e)?).await,
    }
}
