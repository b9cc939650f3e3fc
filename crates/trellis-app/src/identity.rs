//! Users, teams (assignment groups), customers and their contacts.

use crate::auth::{check_password_strength, hash_password};
use crate::{Actor, App, AppError};
use trellis_domain::access::{Action, Role};
use trellis_domain::journal::Channel;
use trellis_domain::validation::ValidationErrors;
use trellis_store::identity::{self as store, ContactRow, CustomerRow, TeamRow, UserRow};
use trellis_store::{StoreError, micros};
use uuid::Uuid;

pub fn actor_from_row(u: &UserRow, channel: Channel) -> Result<Actor, AppError> {
    let role =
        Role::parse(&u.role).ok_or_else(|| AppError::Internal(format!("unknown role {:?}", u.role)))?;
    Ok(Actor {
        user_id: u.id,
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role,
        customer_id: u.customer_id,
        channel,
    })
}

/// What an administrator fills in to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub customer_id: Option<Uuid>,
    /// Optional: a user without a password cannot log in until one is set.
    pub password: Option<String>,
}

fn unique_to_conflict(e: AppError, code: &'static str, message: &str) -> AppError {
    match e {
        AppError::Store(StoreError::Unique(_)) => AppError::conflict(code, message),
        other => other,
    }
}

async fn validate_role_customer(
    app: &App,
    errors: &mut ValidationErrors,
    role: &str,
    customer_id: Option<Uuid>,
) -> Result<Option<Role>, AppError> {
    let role = Role::parse(role);
    match role {
        None => errors.add("role", "must be one of admin, manager, agent, customer, auditor"),
        Some(Role::Customer) => match customer_id {
            None => errors.add("customer_id", "is required for a customer user"),
            Some(cid) => {
                if store::get_customer(&mut app.db.read(), cid).await?.is_none() {
                    errors.add("customer_id", "no such customer");
                }
            }
        },
        Some(_) if customer_id.is_some() => {
            errors.add("customer_id", "only customer users belong to a customer");
        }
        Some(_) => {}
    }
    Ok(role)
}

pub async fn create_user(app: &App, actor: &Actor, new: NewUser) -> Result<UserRow, AppError> {
    actor.require(Action::UserManage)?;
    let mut errors = ValidationErrors::default();
    let email = errors.email("email", &new.email);
    let display_name = errors.required_line("display_name", &new.display_name, 120);
    validate_role_customer(app, &mut errors, &new.role, new.customer_id).await?;
    if let Some(p) = &new.password {
        check_password_strength(&mut errors, "password", p);
    }
    errors.into_result()?;
    let password_hash = match new.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let now = micros(app.now());
    let row = UserRow {
        id: Uuid::now_v7(),
        email,
        display_name,
        role: new.role,
        customer_id: new.customer_id,
        password_hash,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db.begin().await?;
    store::insert_user(&mut tx.conn(), &row).await.map_err(|e| {
        unique_to_conflict(e.into(), "user.email_taken", "a user with this e-mail already exists")
    })?;
    tx.commit().await?;
    tracing::info!(by = %actor.email, user = %row.email, role = %row.role, "user created");
    Ok(row)
}

/// Changes to a user: each field is changed only when given.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub customer_id: Option<Option<Uuid>>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

pub async fn update_user(
    app: &App,
    actor: &Actor,
    id: Uuid,
    expected_version: i64,
    patch: UserPatch,
) -> Result<UserRow, AppError> {
    actor.require(Action::UserManage)?;
    let current = store::get_user(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)?;
    if current.version != expected_version {
        return Err(AppError::VersionMismatch { current: current.version });
    }
    let mut errors = ValidationErrors::default();
    let mut next = current.clone();
    if let Some(n) = &patch.display_name {
        next.display_name = errors.required_line("display_name", n, 120);
    }
    if let Some(r) = patch.role {
        next.role = r;
    }
    if let Some(c) = patch.customer_id {
        next.customer_id = c;
    }
    if let Some(a) = patch.active {
        if !a && id == actor.user_id {
            errors.add("active", "you cannot deactivate yourself");
        }
        next.active = a;
    }
    validate_role_customer(app, &mut errors, &next.role, next.customer_id).await?;
    if let Some(p) = &patch.password {
        check_password_strength(&mut errors, "password", p);
    }
    errors.into_result()?;
    // Hash before taking the writer: nothing slow happens inside a write transaction.
    let password_hash = match patch.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let now = micros(app.now());
    next.version = current.version + 1;
    next.updated_at = now;
    let mut tx = app.db.begin().await?;
    if !store::update_user(&mut tx.conn(), &next, expected_version).await? {
        return Err(AppError::VersionMismatch { current: current.version });
    }
    if let Some(hash) = password_hash {
        store::set_password(&mut tx.conn(), id, &hash, now).await?;
        next.version += 1;
    }
    // Deactivating or changing someone's role ends their sessions: access follows at once.
    if !next.active || next.role != current.role || next.customer_id != current.customer_id {
        trellis_store::auth::revoke_all_for_user(&mut tx.conn(), id, now).await?;
    }
    tx.commit().await?;
    Ok(next)
}

pub async fn list_users(app: &App, actor: &Actor) -> Result<Vec<UserRow>, AppError> {
    actor.require(Action::UserRead)?;
    Ok(store::list_users(&mut app.db.read(), None).await?)
}

pub async fn get_user(app: &App, actor: &Actor, id: Uuid) -> Result<UserRow, AppError> {
    if id != actor.user_id {
        actor.require(Action::UserRead)?;
    }
    store::get_user(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)
}

/// Creates the first administrator when the installation has no active one (a new install, or
/// one where only `trellis demo` has run). Returns the generated password when none was given,
/// so it can be printed once.
pub async fn bootstrap_admin(
    app: &App,
    email: &str,
    password: Option<String>,
) -> Result<Option<(String, Option<String>)>, AppError> {
    if store::count_active_admins(&mut app.db.read()).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    let password = match password {
        Some(p) => p,
        None => {
            use base64::Engine;
            use rand::RngCore;
            let mut b = [0u8; 15];
            rand::rng().fill_bytes(&mut b);
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
        }
    };
    let user = create_user(
        app,
        &Actor::system(),
        NewUser {
            email: email.to_owned(),
            display_name: "Administrator".into(),
            role: Role::Admin.as_str().into(),
            customer_id: None,
            password: Some(password.clone()),
        },
    )
    .await?;
    Ok(Some((user.email, generated.then_some(password))))
}

#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub name: String,
    pub notes: String,
}

/// Checks a new customer and returns its row.
pub(crate) fn prepare_customer(new: &NewCustomer, now: i64) -> Result<CustomerRow, AppError> {
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", &new.name, 200);
    let notes = errors.text("notes", &new.notes, 5000);
    errors.into_result()?;
    Ok(CustomerRow {
        id: Uuid::now_v7(),
        name,
        notes,
        relationship_manager_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

pub async fn create_customer(app: &App, actor: &Actor, new: NewCustomer) -> Result<CustomerRow, AppError> {
    actor.require(Action::CustomerManage)?;
    let row = prepare_customer(&new, micros(app.now()))?;
    let mut tx = app.db.begin().await?;
    store::insert_customer(&mut tx.conn(), &row).await.map_err(|e| {
        unique_to_conflict(e.into(), "customer.name_taken", "a customer with this name already exists")
    })?;
    tx.commit().await?;
    Ok(row)
}

/// Names the provider's person who owns the relationship with a customer (an active agent,
/// manager or administrator), or nobody.
pub async fn set_relationship_manager(
    app: &App,
    actor: &Actor,
    customer_id: Uuid,
    expected_version: i64,
    manager: Option<Uuid>,
) -> Result<CustomerRow, AppError> {
    actor.require(Action::CustomerManage)?;
    let mut c = app.db.read();
    let current = store::get_customer(&mut c, customer_id).await?.ok_or(AppError::NotFound)?;
    crate::record::expect_version(current.version, Some(expected_version))?;
    let mut errors = ValidationErrors::default();
    crate::record::check_staff_user(&mut c, &mut errors, "relationship_manager_id", manager).await?;
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    let at = micros(app.now());
    if !store::set_relationship_manager(&mut tx.conn(), customer_id, manager, expected_version, at).await? {
        return Err(AppError::VersionMismatch { current: expected_version + 1 });
    }
    tx.commit().await?;
    tracing::info!(by = %actor.email, customer = %customer_id, "relationship manager set");
    store::get_customer(&mut app.db.read(), customer_id).await?.ok_or(AppError::NotFound)
}

/// Customers the actor may see: all for staff, their own for a customer user.
pub async fn list_customers(app: &App, actor: &Actor) -> Result<Vec<CustomerRow>, AppError> {
    if actor.role.is_staff() {
        actor.require(Action::CustomerRead)?;
        Ok(store::list_customers(&mut app.db.read()).await?)
    } else {
        match actor.customer_id {
            Some(cid) => Ok(store::get_customer(&mut app.db.read(), cid).await?.into_iter().collect()),
            None => Ok(Vec::new()),
        }
    }
}

pub async fn get_customer(app: &App, actor: &Actor, id: Uuid) -> Result<CustomerRow, AppError> {
    if !actor.sees_customer(Some(id)) {
        return Err(AppError::NotFound);
    }
    store::get_customer(&mut app.db.read(), id).await?.ok_or(AppError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

pub async fn add_contact(
    app: &App,
    actor: &Actor,
    customer_id: Uuid,
    new: NewContact,
) -> Result<ContactRow, AppError> {
    actor.require(Action::CustomerManage)?;
    get_customer(app, actor, customer_id).await?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", &new.name, 200);
    let email = errors.email("email", &new.email);
    let phone = errors.text("phone", new.phone.trim(), 50);
    errors.into_result()?;
    let row =
        ContactRow { id: Uuid::now_v7(), customer_id, name, email, phone, created_at: micros(app.now()) };
    let mut tx = app.db.begin().await?;
    store::insert_contact(&mut tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn list_contacts(app: &App, actor: &Actor, customer_id: Uuid) -> Result<Vec<ContactRow>, AppError> {
    get_customer(app, actor, customer_id).await?;
    Ok(store::list_contacts(&mut app.db.read(), customer_id).await?)
}

#[derive(Debug, Clone, Default)]
pub struct NewTeam {
    pub name: String,
    pub description: String,
}

pub async fn create_team(app: &App, actor: &Actor, new: NewTeam) -> Result<TeamRow, AppError> {
    actor.require(Action::TeamManage)?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", &new.name, 120);
    let description = errors.text("description", &new.description, 2000);
    errors.into_result()?;
    let now = micros(app.now());
    let row = TeamRow { id: Uuid::now_v7(), name, description, version: 1, created_at: now, updated_at: now };
    let mut tx = app.db.begin().await?;
    store::insert_team(&mut tx.conn(), &row).await.map_err(|e| {
        unique_to_conflict(e.into(), "team.name_taken", "a team with this name already exists")
    })?;
    tx.commit().await?;
    Ok(row)
}

pub async fn list_teams(app: &App, actor: &Actor) -> Result<Vec<TeamRow>, AppError> {
    actor.require(Action::UserRead)?;
    Ok(store::list_teams(&mut app.db.read()).await?)
}

pub async fn add_team_member(app: &App, actor: &Actor, team_id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    actor.require(Action::TeamManage)?;
    let mut c = app.db.read();
    store::get_team(&mut c, team_id).await?.ok_or(AppError::NotFound)?;
    let user = store::get_user(&mut c, user_id).await?;
    let mut errors = ValidationErrors::default();
    match user {
        None => errors.add("user_id", "no such user"),
        Some(u) if !Role::parse(&u.role).is_some_and(|r| r.is_staff() && r != Role::Auditor) => {
            errors.add("user_id", "only staff who work on records can join a team");
        }
        Some(_) => {}
    }
    errors.into_result()?;
    let mut tx = app.db.begin().await?;
    store::add_member(&mut tx.conn(), team_id, user_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_team_members(app: &App, actor: &Actor, team_id: Uuid) -> Result<Vec<UserRow>, AppError> {
    actor.require(Action::UserRead)?;
    Ok(store::list_members(&mut app.db.read(), team_id).await?)
}
