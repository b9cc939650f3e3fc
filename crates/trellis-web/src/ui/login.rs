//! Login and logout pages.

use super::render;
use crate::extract::{ClientIp, SESSION_COOKIE};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use trellis_app::{AppError, auth};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<super::Nav>,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/incidents".to_owned(),
    }
}

pub async fn form(Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage { nav: None, error: None, email: String::new(), next: safe_next(q.next.as_deref()) })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let next = safe_next(f.next.as_deref());
    match auth::login(&s.app, &f.email, &f.password, &ip, ua).await {
        Ok(session) => {
            let cookie = Cookie::build((SESSION_COOKIE, session.token))
                .path("/")
                .http_only(true)
                .secure(s.web.secure_cookies)
                .same_site(SameSite::Lax)
                .build();
            (jar.add(cookie), Redirect::to(&next)).into_response()
        }
        Err(e @ (AppError::BadCredentials | AppError::RateLimited)) => {
            let status = crate::problem::status_of(&e);
            let page = LoginPage { nav: None, error: Some(e.to_string()), email: f.email, next };
            (status, render(&page)).into_response()
        }
        Err(e) => super::UiError(e).into_response(),
    }
}

pub async fn logout(State(s): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Err(e) = auth::logout(&s.app, c.value()).await
    {
        return super::UiError(e).into_response();
    }
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    (StatusCode::SEE_OTHER, jar.remove(removal), [(header::LOCATION, "/login")]).into_response()
}
