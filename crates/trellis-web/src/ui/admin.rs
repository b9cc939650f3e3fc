//! Administration pages: users, customers, teams.

use super::{Nav, UiActor, UiResult, field_error, opt_uuid, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::HashMap;
use trellis_app::{Actor, AppError, identity};
use trellis_domain::access::{Action, Role};
use trellis_domain::validation::{FieldError, ValidationErrors};
use uuid::Uuid;

/// Splits a use-case error into what a form shows (field errors, a message) or the error page.
fn form_error(e: AppError) -> Result<(Vec<FieldError>, Option<String>), AppError> {
    match e {
        AppError::Validation(v) => Ok((v.0, Some("Please correct the fields marked below.".into()))),
        AppError::Conflict { message, .. } => Ok((Vec::new(), Some(message))),
        other => Err(other),
    }
}

fn status_for(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    nav: Option<Nav>,
    users: Vec<(String, String, String, String, bool)>,
    customers: Vec<(Uuid, String)>,
    roles: Vec<&'static str>,
    can_manage: bool,
    message: Option<String>,
    notice: Option<String>,
    errors: Vec<FieldError>,
    f_email: String,
    f_name: String,
    f_role: String,
    f_customer: String,
}

impl UsersPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    password: String,
}

async fn users_page(s: &AppState, actor: &Actor, f: &UserForm) -> Result<UsersPage, AppError> {
    actor.require(Action::UserRead)?;
    let customers: Vec<(Uuid, String)> =
        identity::list_customers(&s.app, actor).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let names: HashMap<Uuid, String> = customers.iter().cloned().collect();
    let users = identity::list_users(&s.app, actor)
        .await?
        .into_iter()
        .map(|u| {
            let customer = u.customer_id.and_then(|c| names.get(&c).cloned()).unwrap_or_default();
            (u.display_name, u.email, u.role, customer, u.active)
        })
        .collect();
    Ok(UsersPage {
        nav: Nav::new(actor, "admin"),
        users,
        customers,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        can_manage: actor.may(Action::UserManage),
        message: None,
        notice: None,
        errors: Vec::new(),
        f_email: f.email.clone(),
        f_name: f.display_name.clone(),
        f_role: if f.role.is_empty() { "agent".into() } else { f.role.clone() },
        f_customer: f.customer_id.clone(),
    })
}

pub async fn users(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&users_page(&s, &actor, &UserForm::default()).await?))
}

pub async fn create_user(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<UserForm>,
) -> UiResult {
    let Ok(customer_id) = opt_uuid(&f.customer_id) else {
        let e = AppError::Validation(ValidationErrors::single("customer_id", "is not a valid choice"));
        return users_again(&s, &actor, &f, e).await;
    };
    let new = identity::NewUser {
        email: f.email.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        customer_id,
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
    };
    match identity::create_user(&s.app, &actor, new).await {
        Ok(u) => {
            let mut page = users_page(&s, &actor, &UserForm::default()).await?;
            page.notice = Some(format!("User {} created.", u.email));
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(e) => users_again(&s, &actor, &f, e).await,
    }
}

async fn users_again(s: &AppState, actor: &Actor, f: &UserForm, e: AppError) -> UiResult {
    let (errors, message) = form_error(e)?;
    let mut page = users_page(s, actor, f).await?;
    let status = status_for(&errors);
    page.errors = errors;
    page.message = message;
    Ok((status, render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "admin_customers.html")]
struct CustomersPage {
    nav: Option<Nav>,
    customers: Vec<CustomerItem>,
    /// Who may be a relationship manager: (id, name).
    staff: Vec<(String, String)>,
    message: Option<String>,
    errors: Vec<FieldError>,
    f_name: String,
    f_notes: String,
}

impl CustomersPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct CustomerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    notes: String,
}

pub struct CustomerItem {
    pub id: String,
    pub name: String,
    pub notes: String,
    pub contacts: String,
    pub relationship_manager: String,
    pub version: i64,
}

async fn customers_page(s: &AppState, actor: &Actor, f: &CustomerForm) -> Result<CustomersPage, AppError> {
    actor.require(Action::CustomerManage)?;
    let staff: Vec<(String, String)> =
        super::staff_choices(s, actor).await?.into_iter().map(|(id, n)| (id.to_string(), n)).collect();
    let mut customers = Vec::new();
    for c in identity::list_customers(&s.app, actor).await? {
        let contacts = identity::list_contacts(&s.app, actor, c.id).await?;
        let contacts =
            contacts.into_iter().map(|k| format!("{} <{}>", k.name, k.email)).collect::<Vec<_>>().join(", ");
        let rm = c.relationship_manager_id.map(|id| id.to_string()).unwrap_or_default();
        customers.push(CustomerItem {
            id: c.id.to_string(),
            name: c.name,
            notes: c.notes,
            contacts,
            relationship_manager: rm,
            version: c.version,
        });
    }
    Ok(CustomersPage {
        nav: Nav::new(actor, "admin"),
        customers,
        staff,
        message: None,
        errors: Vec::new(),
        f_name: f.name.clone(),
        f_notes: f.notes.clone(),
    })
}

pub async fn customers(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&customers_page(&s, &actor, &CustomerForm::default()).await?))
}

pub async fn create_customer(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<CustomerForm>,
) -> UiResult {
    let new = identity::NewCustomer { name: f.name.clone(), notes: f.notes.clone() };
    match identity::create_customer(&s.app, &actor, new).await {
        Ok(_) => Ok(Redirect::to("/admin/customers").into_response()),
        Err(e) => {
            let (errors, message) = form_error(e)?;
            let mut page = customers_page(&s, &actor, &f).await?;
            let status = status_for(&errors);
            page.errors = errors;
            page.message = message;
            Ok((status, render(&page)).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RelationshipForm {
    #[serde(default)]
    relationship_manager_id: String,
    version: i64,
}

/// Names (or clears) a customer's relationship manager.
pub async fn set_relationship_manager(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(id): Path<String>,
    Form(f): Form<RelationshipForm>,
) -> UiResult {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let mut errors = Vec::new();
    let manager = super::form_uuid(&mut errors, "relationship_manager_id", &f.relationship_manager_id);
    let result = if errors.is_empty() {
        identity::set_relationship_manager(&s.app, &actor, id, f.version, manager).await.map(|_| ())
    } else {
        Err(ValidationErrors(errors).into())
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/customers").into_response()),
        Err(AppError::VersionMismatch { .. }) => {
            let mut page = customers_page(&s, &actor, &CustomerForm::default()).await?;
            page.message =
                Some("Someone else changed this customer meanwhile; here is the current state.".into());
            Ok((StatusCode::CONFLICT, render(&page)).into_response())
        }
        Err(e) => {
            let (errors, message) = form_error(e)?;
            let mut page = customers_page(&s, &actor, &CustomerForm::default()).await?;
            let status = status_for(&errors);
            page.errors = errors;
            page.message = message;
            Ok((status, render(&page)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    nav: Option<Nav>,
    teams: Vec<(Uuid, String, String, String)>,
    staff: Vec<(Uuid, String)>,
    message: Option<String>,
    errors: Vec<FieldError>,
    f_name: String,
    f_description: String,
}

impl TeamsPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

async fn teams_page(s: &AppState, actor: &Actor, f: &TeamForm) -> Result<TeamsPage, AppError> {
    actor.require(Action::TeamManage)?;
    let mut teams = Vec::new();
    for t in identity::list_teams(&s.app, actor).await? {
        let members = identity::list_team_members(&s.app, actor, t.id).await?;
        let members = members.into_iter().map(|u| u.display_name).collect::<Vec<_>>().join(", ");
        teams.push((t.id, t.name, t.description, members));
    }
    let staff = identity::list_users(&s.app, actor)
        .await?
        .into_iter()
        .filter(|u| matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin)))
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(TeamsPage {
        nav: Nav::new(actor, "admin"),
        teams,
        staff,
        message: None,
        errors: Vec::new(),
        f_name: f.name.clone(),
        f_description: f.description.clone(),
    })
}

pub async fn teams(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    Ok(render(&teams_page(&s, &actor, &TeamForm::default()).await?))
}

async fn teams_again(s: &AppState, actor: &Actor, f: &TeamForm, e: AppError) -> UiResult {
    let (errors, message) = form_error(e)?;
    let mut page = teams_page(s, actor, f).await?;
    let status = status_for(&errors);
    page.errors = errors;
    page.message = message;
    Ok((status, render(&page)).into_response())
}

pub async fn create_team(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<TeamForm>,
) -> UiResult {
    let new = identity::NewTeam { name: f.name.clone(), description: f.description.clone() };
    match identity::create_team(&s.app, &actor, new).await {
        Ok(_) => Ok(Redirect::to("/admin/teams").into_response()),
        Err(e) => teams_again(&s, &actor, &f, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct MemberForm {
    team_id: String,
    user_id: String,
}

pub async fn add_member(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<MemberForm>,
) -> UiResult {
    let parsed = (Uuid::parse_str(&f.team_id), Uuid::parse_str(&f.user_id));
    let result = match parsed {
        (Ok(t), Ok(u)) => identity::add_team_member(&s.app, &actor, t, u).await,
        _ => Err(AppError::Validation(ValidationErrors::single("user_id", "choose a team and a user"))),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/teams").into_response()),
        Err(e) => teams_again(&s, &actor, &TeamForm::default(), e).await,
    }
}
