//! The server-rendered UI (askama + htmx). Every page also works as a plain full-page request;
//! htmx (`hx-boost`) only makes navigation smoother.

pub mod admin;
pub mod agreements;
pub mod articles;
pub mod baselines;
pub mod calendars;
pub mod cis;
pub mod complaints;
pub mod graph;
pub mod imports;
pub mod incidents;
pub mod login;
pub mod major;
pub mod notifications;
pub mod offerings;
pub mod problems;
pub mod record;
pub mod reports;
pub mod reviews;
pub mod service_requests;
pub mod services;
pub mod suppliers;
pub mod surveys;
pub mod workspace;

use crate::extract::SESSION_COOKIE;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use trellis_app::{Actor, AppError, auth};
use trellis_domain::access::Action;
use trellis_domain::record::RecordKind;
use trellis_domain::validation::FieldError;

pub fn router() -> Router<AppState> {
    let r = RecordKind::ALL.into_iter().fold(Router::new(), record::routes);
    let r = reviews::routes(r);
    r.route("/", get(|| async { Redirect::to("/incidents") }))
        .route("/portal", get(|| async { Redirect::to("/incidents") }))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/new", get(incidents::new_form))
        .route("/incidents/bulk", post(workspace::bulk_incidents))
        .route("/saved-filters", get(workspace::manage).post(workspace::save))
        .route("/saved-filters/{id}/delete", post(workspace::delete))
        .route("/incidents/{key}", get(incidents::detail))
        .route("/incidents/{key}/edit", get(incidents::edit_form).post(incidents::edit))
        .route("/incidents/{key}/escalate", post(major::escalate))
        .route("/incidents/{key}/confirmation", post(major::confirm))
        .route("/incidents/{key}/problem", post(problems::raise_from_incident))
        .route("/known-errors", get(problems::known_errors))
        .route("/problems", get(problems::list).post(problems::create))
        .route("/problems/new", get(problems::new_form))
        .route("/problems/{key}", get(problems::detail))
        .route("/problems/{key}/edit", get(problems::edit_form).post(problems::edit))
        .route("/incidents/{key}/major", post(major::declare))
        .route("/incidents/{key}/communications", post(major::communicate))
        .route("/incidents/{key}/major-review", post(major::review))
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/new", get(articles::new_form))
        .route("/articles/{key}", get(articles::detail))
        .route("/articles/{key}/edit", get(articles::edit_form).post(articles::edit))
        .route("/articles/{key}/review-confirmations", post(articles::confirm_review))
        .route("/search", get(articles::search))
        .route("/reports/service", get(reports::service))
        .route("/reports/service.csv", get(reports::service_csv))
        .route("/service-requests", get(service_requests::list))
        .route("/service-requests/new", get(service_requests::catalogue))
        .route("/service-requests/{key}", get(service_requests::detail))
        .route("/service-requests/{key}/decisions", post(service_requests::decide))
        .route("/service-requests/{key}/tasks", post(service_requests::add_task))
        .route("/service-requests/{key}/tasks/{task}/completion", post(service_requests::complete_task))
        .route("/offerings/{id}/order", get(service_requests::order_form).post(service_requests::order))
        .route("/approvals", get(service_requests::approvals))
        .route("/fulfilment-tasks", get(service_requests::tasks))
        .route("/services", get(services::list).post(services::create))
        .route("/services/new", get(services::new_form))
        .route("/services/{key}", get(services::detail))
        .route("/services/{key}/edit", get(services::edit_form).post(services::edit))
        .route("/offerings", post(offerings::create))
        .route("/offerings/new", get(offerings::new_form))
        .route("/offerings/{id}", get(offerings::detail))
        .route("/offerings/{id}/edit", get(offerings::edit_form).post(offerings::edit))
        .route("/offerings/{id}/transitions", post(offerings::transition))
        .route("/cis", get(cis::list).post(cis::create))
        .route("/cis/new", get(cis::new_form))
        .route("/cis/{key}", get(cis::detail))
        .route("/cis/{key}/edit", get(cis::edit_form).post(cis::edit))
        .route("/cis/{key}/verify", post(cis::verify))
        .route("/baselines", get(baselines::list).post(baselines::take))
        .route("/baselines/{id}", get(baselines::show))
        .route("/configuration/audit", get(baselines::audit))
        .route("/admin/ci-types", get(cis::types).post(cis::create_type))
        .route("/complaints", get(complaints::list).post(complaints::create))
        .route("/complaints/new", get(complaints::new_form))
        .route("/complaints/{key}", get(complaints::detail))
        .route("/complaints/{key}/edit", get(complaints::edit_form).post(complaints::edit))
        .route("/agreements", get(agreements::list).post(agreements::create))
        .route("/agreements/new", get(agreements::new_form))
        .route("/agreements/{key}", get(agreements::detail))
        .route("/agreements/{key}/edit", get(agreements::edit_form).post(agreements::edit))
        .route("/suppliers", get(suppliers::list).post(suppliers::create))
        .route("/suppliers/new", get(suppliers::new_form))
        .route("/suppliers/{key}", get(suppliers::detail))
        .route("/suppliers/{key}/edit", get(suppliers::edit_form).post(suppliers::edit))
        .route("/suppliers/{key}/disputes", post(suppliers::raise_dispute))
        .route("/suppliers/{key}/disputes/{id}/resolution", post(suppliers::resolve_dispute))
        .route("/calendars", get(calendars::list).post(calendars::create))
        .route("/calendars/{id}", get(calendars::detail).post(calendars::update))
        .route("/calendars/{id}/holidays", post(calendars::import))
        .route("/surveys", get(surveys::show).post(surveys::send))
        .route("/surveys/{id}/answer", post(surveys::answer))
        .route("/surveys/schedules", post(surveys::schedule))
        .route("/imports", get(imports::list).post(imports::start))
        .route("/imports/{id}", get(imports::show))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/customers", get(admin::customers).post(admin::create_customer))
        .route("/admin/customers/{id}/relationship-manager", post(admin::set_relationship_manager))
        .route("/admin/teams", get(admin::teams).post(admin::create_team))
        .route("/admin/teams/members", post(admin::add_member))
        .route("/notifications", get(notifications::list))
        .route("/notifications/unread", get(notifications::badge))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read))
        .route("/admin/notifications", get(notifications::templates))
        .route("/admin/notifications/{kind}", post(notifications::save_template))
}

/// What the navigation bar shows.
#[derive(Debug, Clone)]
pub struct Nav {
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub is_staff: bool,
    pub can_admin: bool,
    /// Edits settings and notification templates.
    pub can_configure: bool,
    /// Sees problems and known errors.
    pub sees_problems: bool,
    /// Sees agreements, suppliers and calendars.
    pub sees_agreements: bool,
    pub section: &'static str,
}

impl Nav {
    pub fn new(a: &Actor, section: &'static str) -> Option<Nav> {
        Some(Nav {
            name: a.display_name.clone(),
            email: a.email.clone(),
            role: a.role.as_str(),
            is_staff: a.role.is_staff(),
            can_admin: a.may(Action::UserRead) && a.may(Action::CustomerManage),
            can_configure: a.may(Action::SettingsManage),
            sees_problems: a.may(Action::ProblemRead),
            sees_agreements: a.may(Action::AgreementRead),
            section,
        })
    }
}

/// The logged-in user of a page; without a session, the browser is sent to the login page.
#[derive(Debug, Clone)]
pub struct UiActor(pub Actor);

impl FromRequestParts<AppState> for UiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        };
        let Some(cookie) = jar.get(SESSION_COOKIE) else { return Err(to_login()) };
        match auth::session_actor(&state.app, cookie.value()).await {
            Ok(a) => {
                crate::extract::record_actor(&a);
                Ok(UiActor(a))
            }
            Err(AppError::Unauthenticated) => Err(to_login()),
            Err(e) => Err(UiError(e).into_response()),
        }
    }
}

/// Renders a template into a page (an error page if rendering fails).
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong; it has been logged.")
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<Nav>,
    heading: &'a str,
    message: &'a str,
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let page = ErrorPage { nav: None, heading, message };
    let body = page.render().unwrap_or_else(|_| message.to_owned());
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// An application error on a page: the same statuses as the API, shown as an HTML page.
#[derive(Debug)]
pub struct UiError(pub AppError);

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        UiError(e)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = crate::problem::status_of(&self.0);
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self.0, "internal error");
            "Something went wrong; it has been logged.".to_owned()
        } else if status == StatusCode::NOT_FOUND {
            "There is no such record, or you may not see it.".to_owned()
        } else {
            self.0.to_string()
        };
        error_page(status, &message)
    }
}

pub type UiResult = Result<Response, UiError>;

/// Looks up the message for a form field.
pub fn field_error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

/// An empty form value means "none".
pub fn opt_uuid(s: &str) -> Result<Option<uuid::Uuid>, uuid::Error> {
    let s = s.trim();
    if s.is_empty() { Ok(None) } else { uuid::Uuid::parse_str(s).map(Some) }
}

/// A short local rendering of a stored instant for tables (UTC).
pub fn short_time(micros: i64) -> String {
    trellis_app::views::from_micros(micros)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A record's page by kind (used to show it again after a failed action).
pub async fn detail(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    message: Option<String>,
) -> UiResult {
    match kind {
        RecordKind::Incident => incidents::detail_page(s, actor, key, message).await,
        RecordKind::Service => services::detail_page(s, actor, key, message).await,
        RecordKind::ConfigurationItem => cis::detail_page(s, actor, key, message).await,
        RecordKind::Complaint => complaints::detail_page(s, actor, key, message).await,
        RecordKind::Agreement => agreements::detail_page(s, actor, key, message).await,
        RecordKind::Supplier => suppliers::detail_page(s, actor, key, message).await,
        RecordKind::Problem => problems::detail_page(s, actor, key, message).await,
        RecordKind::ServiceRequest => service_requests::detail_page(s, actor, key, message).await,
        RecordKind::Article => articles::detail_page(s, actor, key, message).await,
    }
}

/// What a form shows after a failed submission: a message on top and messages per field.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub message: Option<String>,
    pub fields: Vec<FieldError>,
}

impl FormErrors {
    pub fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.fields, field)
    }

    /// The form-level reading of a use-case error and its status; other errors go to the
    /// error page.
    pub fn from_error(e: AppError, noun: &str) -> Result<(FormErrors, StatusCode), AppError> {
        Ok(match e {
            AppError::Validation(v) => (
                FormErrors { message: Some("Please correct the fields marked below.".into()), fields: v.0 },
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            AppError::VersionMismatch { .. } => (
                FormErrors {
                    message: Some(format!(
                        "Someone else changed this {noun} after you opened it. Your changes are below; reload to see theirs, then edit again."
                    )),
                    fields: Vec::new(),
                },
                StatusCode::CONFLICT,
            ),
            AppError::Conflict { message, .. } => {
                (FormErrors { message: Some(message), fields: Vec::new() }, StatusCode::CONFLICT)
            }
            other => return Err(other),
        })
    }
}

/// Parses a form's id field; a tampered value is reported on the field.
pub fn form_uuid(errors: &mut Vec<FieldError>, field: &str, value: &str) -> Option<uuid::Uuid> {
    opt_uuid(value).unwrap_or_else(|_| {
        errors.push(FieldError { field: field.into(), message: "is not a valid choice".into() });
        None
    })
}

/// Query-string parsing for list pages: a hand-edited URL with a bad parameter shows the list
/// with the reason, not a bare 400.
pub fn list_query<T: Default>(
    query: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
) -> (T, Option<String>) {
    match query {
        Ok(axum::extract::Query(q)) => (q, None),
        Err(e) => {
            let reason =
                std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
            (T::default(), Some(reason))
        }
    }
}

/// The URL of the next page of a list: the current filters plus the cursor.
pub fn next_page_url(path: &str, params: &[(&str, &str)], cursor: Option<uuid::Uuid>) -> Option<String> {
    let c = cursor?;
    let mut u = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if !v.is_empty() {
            u.append_pair(k, v);
        }
    }
    u.append_pair("after", &crate::api::encode_id_cursor(c));
    Some(format!("{path}?{}", u.finish()))
}

/// Active staff who can own records, as (id, name) choices.
pub async fn staff_choices(s: &AppState, actor: &Actor) -> Result<Vec<(uuid::Uuid, String)>, AppError> {
    use trellis_domain::access::Role;
    if !actor.may(Action::UserRead) {
        return Ok(Vec::new());
    }
    Ok(trellis_app::identity::list_users(&s.app, actor)
        .await?
        .into_iter()
        .filter(|u| {
            u.active && matches!(Role::parse(&u.role), Some(Role::Agent | Role::Manager | Role::Admin))
        })
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn customer_choices(s: &AppState, actor: &Actor) -> Result<Vec<(uuid::Uuid, String)>, AppError> {
    if !actor.role.is_staff() {
        return Ok(Vec::new());
    }
    Ok(trellis_app::identity::list_customers(&s.app, actor)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// The values of a named set as (value, label) form choices.
pub fn choices<N: trellis_domain::lifecycle::Named>() -> Vec<(String, String)> {
    N::ALL.iter().map(|n| (n.as_str().to_owned(), n.label().to_owned())).collect()
}
