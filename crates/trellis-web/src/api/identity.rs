//! Users, teams, customers and contacts, and the caller's own API tokens.

use super::created;
use super::dto::*;
use crate::extract::{ApiActor, ApiJson, require_if_match};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use trellis_app::{AppError, auth, identity as app};
use uuid::Uuid;

fn id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::NotFound)
}

/// The caller
#[utoipa::path(get, path = "/api/v1/me", tag = "identity",
    responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn me(State(s): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(app::get_user(&s.app, &actor, actor.user_id).await?.into()))
}

/// List users
#[utoipa::path(get, path = "/api/v1/users", tag = "identity",
    responses((status = 200, body = Items<User>), (status = 403, body = Problem)))]
pub async fn list_users(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<User>>> {
    let items = app::list_users(&s.app, &actor).await?.into_iter().map(User::from).collect();
    Ok(axum::Json(Items { items }))
}

/// Create a user (administrators)
#[utoipa::path(post, path = "/api/v1/users", tag = "identity", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    let new = app::NewUser {
        email: b.email,
        display_name: b.display_name,
        role: b.role,
        customer_id: b.customer_id,
        password: b.password,
    };
    let u = app::create_user(&s.app, &actor, new).await?;
    let (loc, v) = (format!("/api/v1/users/{}", u.id), u.version);
    Ok(created(&loc, v, User::from(u)))
}

/// Read a user
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = Problem)))]
pub async fn get_user(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(uid): Path<String>,
) -> ApiResult<Response> {
    let u = app::get_user(&s.app, &actor, id(&uid)?).await?;
    let v = u.version;
    Ok(super::with_etag(v, axum::Json(User::from(u))))
}

/// Update a user (administrators)
///
/// Deactivating a user or changing their role or customer ends all their sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "identity", request_body = UpdateUser,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update_user(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(uid): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateUser>,
) -> ApiResult<Response> {
    let uid = id(&uid)?;
    actor.require(trellis_domain::access::Action::UserManage)?;
    let version = require_if_match(&headers)?;
    let patch = app::UserPatch {
        display_name: b.display_name,
        role: b.role,
        customer_id: b.customer_id,
        active: b.active,
        password: b.password,
    };
    let u = app::update_user(&s.app, &actor, uid, version, patch).await?;
    let v = u.version;
    Ok(super::with_etag(v, axum::Json(User::from(u))))
}

/// List customers
///
/// Staff see every customer; a customer user sees their own organisation.
#[utoipa::path(get, path = "/api/v1/customers", tag = "identity",
    responses((status = 200, body = Items<Customer>)))]
pub async fn list_customers(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<Customer>>> {
    let items = app::list_customers(&s.app, &actor).await?.into_iter().map(Customer::from).collect();
    Ok(axum::Json(Items { items }))
}

/// Create a customer
#[utoipa::path(post, path = "/api/v1/customers", tag = "identity", request_body = CreateCustomer,
    responses((status = 201, body = Customer), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_customer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateCustomer>,
) -> ApiResult<Response> {
    let c = app::create_customer(&s.app, &actor, app::NewCustomer { name: b.name, notes: b.notes }).await?;
    let (loc, v) = (format!("/api/v1/customers/{}", c.id), c.version);
    Ok(created(&loc, v, Customer::from(c)))
}

/// Read a customer
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub async fn get_customer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(cid): Path<String>,
) -> ApiResult<axum::Json<Customer>> {
    Ok(axum::Json(app::get_customer(&s.app, &actor, id(&cid)?).await?.into()))
}

/// Name a customer's relationship manager (requires `If-Match`)
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "identity", request_body = UpdateCustomer,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Customer), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update_customer(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(cid): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<UpdateCustomer>,
) -> ApiResult<Response> {
    let cid = id(&cid)?;
    app::get_customer(&s.app, &actor, cid).await?;
    let version = require_if_match(&headers)?;
    let c = app::set_relationship_manager(&s.app, &actor, cid, version, b.relationship_manager_id).await?;
    Ok(super::with_etag(c.version, axum::Json(Customer::from(c))))
}

fn contact_dto(c: trellis_app::views::ContactRow) -> Contact {
    Contact {
        id: c.id,
        customer_id: c.customer_id,
        name: c.name,
        email: c.email,
        phone: c.phone,
        created_at: rfc3339(c.created_at),
    }
}

/// Contacts of a customer
#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts", tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 200, body = Items<Contact>), (status = 404, body = Problem)))]
pub async fn list_contacts(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(cid): Path<String>,
) -> ApiResult<axum::Json<Items<Contact>>> {
    let items = app::list_contacts(&s.app, &actor, id(&cid)?).await?.into_iter().map(contact_dto).collect();
    Ok(axum::Json(Items { items }))
}

/// Add a contact to a customer
#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", tag = "identity", request_body = CreateContact,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = Contact), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_contact(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(cid): Path<String>,
    ApiJson(b): ApiJson<CreateContact>,
) -> ApiResult<Response> {
    let new = app::NewContact { name: b.name, email: b.email, phone: b.phone };
    let c = app::add_contact(&s.app, &actor, id(&cid)?, new).await?;
    Ok((StatusCode::CREATED, axum::Json(contact_dto(c))).into_response())
}

/// List teams
#[utoipa::path(get, path = "/api/v1/teams", tag = "identity",
    responses((status = 200, body = Items<Team>), (status = 403, body = Problem)))]
pub async fn list_teams(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<Team>>> {
    let items = app::list_teams(&s.app, &actor).await?.into_iter().map(Team::from).collect();
    Ok(axum::Json(Items { items }))
}

/// Create a team
#[utoipa::path(post, path = "/api/v1/teams", tag = "identity", request_body = CreateTeam,
    responses((status = 201, body = Team), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_team(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateTeam>,
) -> ApiResult<Response> {
    let t =
        app::create_team(&s.app, &actor, app::NewTeam { name: b.name, description: b.description }).await?;
    let (loc, v) = (format!("/api/v1/teams/{}", t.id), t.version);
    Ok(created(&loc, v, Team::from(t)))
}

/// Members of a team
#[utoipa::path(get, path = "/api/v1/teams/{id}/members", tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 200, body = Items<User>), (status = 403, body = Problem)))]
pub async fn list_members(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tid): Path<String>,
) -> ApiResult<axum::Json<Items<User>>> {
    let items =
        app::list_team_members(&s.app, &actor, id(&tid)?).await?.into_iter().map(User::from).collect();
    Ok(axum::Json(Items { items }))
}

/// Add a member to a team
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "identity", request_body = AddMember,
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Added"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_member(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tid): Path<String>,
    ApiJson(b): ApiJson<AddMember>,
) -> ApiResult<StatusCode> {
    app::add_team_member(&s.app, &actor, id(&tid)?, b.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens
#[utoipa::path(get, path = "/api/v1/tokens", tag = "identity", responses((status = 200, body = Items<Token>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<axum::Json<Items<Token>>> {
    let items = auth::list_tokens(&s.app, &actor)
        .await?
        .into_iter()
        .map(|t| Token {
            id: t.id,
            name: t.name,
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            expires_at: t.expires_at.map(rfc3339),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(axum::Json(Items { items }))
}

/// Create an API token for the caller
///
/// The secret is in this response only; Trellis keeps just its hash.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "identity", request_body = CreateToken,
    responses((status = 201, body = NewToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_token(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CreateToken>,
) -> ApiResult<Response> {
    let expires = b.expires_in_days.map(|d| jiff::SignedDuration::from_hours(i64::from(d) * 24));
    let t = auth::create_token(&s.app, &actor, &b.name, expires).await?;
    let body =
        NewToken { id: t.id, name: t.name, token: t.token, expires_at: t.expires_at.map(|e| e.to_string()) };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// Revoke one of the caller's API tokens
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "identity", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(tid): Path<String>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&s.app, &actor, id(&tid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
