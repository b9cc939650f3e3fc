//! Knowledge pages: the article list (with the review-overdue view), write and edit a draft, an
//! article with its lifecycle, and the search page across records and articles.

use super::record::{self, Platform};
use super::{
    FormErrors, Nav, UiActor, UiResult, choices, form_uuid, list_query, next_page_url, render, short_time,
};
use crate::api::articles::{ArticleQuery, filter_from_query};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::Form;
use serde::Deserialize;
use trellis_app::article::{self as app, ArticleInput};
use trellis_app::views::ArticleView;
use trellis_app::{Actor, AppError};
use trellis_domain::access::Action;
use trellis_domain::article::{ArticleStatus, Audience};
use trellis_domain::record::RecordKind;
use trellis_domain::search::Segment;
use trellis_domain::validation::ValidationErrors;

pub struct Row {
    pub reference: String,
    pub title: String,
    pub body: String,
    pub status: String,
    pub status_label: &'static str,
    pub audience: &'static str,
    pub service: String,
    pub known_error: Option<(String, String)>,
    pub author: String,
    pub reviewer: String,
    pub review_due: String,
    pub updated: String,
}

impl Row {
    fn of(v: &ArticleView) -> Row {
        let r = &v.row;
        Row {
            reference: r.reference.clone(),
            title: r.title.clone(),
            body: r.body.clone(),
            status: r.status.clone(),
            status_label: ArticleStatus::parse(&r.status).map_or("?", ArticleStatus::label),
            audience: Audience::parse(&r.audience).map_or("?", Audience::label),
            service: v.service_name.clone().unwrap_or_else(|| "—".into()),
            known_error: v
                .known_error_ref
                .clone()
                .map(|k| (k, v.known_error_title.clone().unwrap_or_default())),
            author: v.author_name.clone().unwrap_or_else(|| "—".into()),
            reviewer: v.reviewer_name.clone().unwrap_or_else(|| "—".into()),
            review_due: r.review_due_on.clone().unwrap_or_else(|| "—".into()),
            updated: short_time(r.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "articles.html")]
struct ListPage {
    nav: Option<Nav>,
    items: Vec<Row>,
    statuses: Vec<(String, String)>,
    q_status: String,
    q_text: String,
    review_overdue: bool,
    is_staff: bool,
    can_manage: bool,
    next_url: Option<String>,
    error: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    query: Result<Query<ArticleQuery>, axum::extract::rejection::QueryRejection>,
) -> UiResult {
    actor.require(Action::ArticleRead)?;
    let (q, error) = list_query(query);
    let mut page = ListPage {
        nav: Nav::new(&actor, "knowledge"),
        items: Vec::new(),
        statuses: choices::<ArticleStatus>(),
        q_status: q.status.clone().unwrap_or_default(),
        q_text: q.q.clone().unwrap_or_default(),
        review_overdue: q.review_overdue == Some(true),
        is_staff: actor.role.is_staff(),
        can_manage: actor.may(Action::ArticleManage),
        next_url: None,
        error,
    };
    if page.error.is_none() {
        match filter_from_query(&q) {
            Ok(f) => {
                let (rows, next) = app::list(&s.app, &actor, f, page.review_overdue).await?;
                page.items = rows.iter().map(Row::of).collect();
                let overdue = if page.review_overdue { "true" } else { "" };
                let params =
                    [("status", page.q_status.as_str()), ("q", &page.q_text), ("review_overdue", overdue)];
                page.next_url = next_page_url("/articles", &params, next);
            }
            Err(p) => page.error = Some(p.0.detail),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "article.html")]
struct DetailPage {
    nav: Option<Nav>,
    i: Row,
    is_staff: bool,
    can_confirm: bool,
    p: Platform,
}

pub async fn detail_page(s: &AppState, actor: &Actor, key: &str, message: Option<String>) -> UiResult {
    let v = app::get(&s.app, actor, key).await?;
    let h = app::handle_of(&v);
    let status = ArticleStatus::parse(&v.row.status).unwrap_or(ArticleStatus::Draft);
    let p = record::platform(
        s,
        actor,
        &h,
        v.row.version,
        status,
        record::Rights::both(Action::ArticleManage),
        message,
    )
    .await?;
    let page = DetailPage {
        nav: Nav::new(actor, "knowledge"),
        i: Row::of(&v),
        is_staff: actor.role.is_staff(),
        can_confirm: actor.may(Action::ArticleManage) && status == ArticleStatus::Published,
        p,
    };
    Ok(render(&page))
}

pub async fn detail(State(s): State<AppState>, UiActor(actor): UiActor, Path(key): Path<String>) -> UiResult {
    detail_page(&s, &actor, &key, None).await
}

#[derive(Debug, Deserialize, Default)]
pub struct ArticleForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    service_id: String,
    #[serde(default)]
    known_error_id: String,
    #[serde(default)]
    review_due_on: String,
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "article_form.html")]
struct FormPage {
    nav: Option<Nav>,
    action: String,
    reference: Option<String>,
    f: ArticleForm,
    errors: FormErrors,
    audiences: Vec<(String, String)>,
    services: Vec<(String, String)>,
    known_errors: Vec<(String, String)>,
}

async fn form_page(
    s: &AppState,
    actor: &Actor,
    f: ArticleForm,
    reference: Option<String>,
    errors: FormErrors,
    status: axum::http::StatusCode,
) -> UiResult {
    let filter = trellis_app::views::ProblemFilter {
        statuses: vec!["known_error".into(), "resolved".into()],
        limit: 200,
        ..Default::default()
    };
    let mut known_errors: Vec<(String, String)> = trellis_app::problem::list(&s.app, actor, filter, false)
        .await?
        .0
        .into_iter()
        .map(|p| (p.row.id.to_string(), format!("{} {}", p.row.reference, p.row.title)))
        .collect();
    // The one the article names stays a choice (closed since, or beyond the list), so saving
    // the form does not drop it.
    if !f.known_error_id.is_empty()
        && !known_errors.iter().any(|(id, _)| *id == f.known_error_id)
        && let Ok(p) = trellis_app::problem::get(&s.app, actor, &f.known_error_id).await
    {
        known_errors.push((f.known_error_id.clone(), format!("{} {}", p.row.reference, p.row.title)));
    }
    let page = FormPage {
        nav: Nav::new(actor, "knowledge"),
        action: reference.as_ref().map_or_else(|| "/articles".into(), |r| format!("/articles/{r}/edit")),
        reference,
        audiences: choices::<Audience>(),
        services: super::complaints::service_choices(s, actor).await?,
        known_errors,
        f,
        errors,
    };
    Ok((status, render(&page)).into_response())
}

fn input_of(f: &ArticleForm) -> Result<ArticleInput, ValidationErrors> {
    let mut errors = Vec::new();
    let service_id = form_uuid(&mut errors, "service_id", &f.service_id);
    let known_error_id = form_uuid(&mut errors, "known_error_id", &f.known_error_id);
    if !errors.is_empty() {
        return Err(ValidationErrors(errors));
    }
    Ok(ArticleInput {
        title: Some(f.title.clone()),
        body: Some(f.body.clone()),
        audience: Some(f.audience.clone()),
        service_id: Some(service_id),
        known_error_id: Some(known_error_id),
        review_due_on: Some(f.review_due_on.clone()),
    })
}

pub async fn new_form(State(s): State<AppState>, UiActor(actor): UiActor) -> UiResult {
    actor.require(Action::ArticleManage)?;
    let f = ArticleForm { audience: Audience::Internal.as_str().into(), ..ArticleForm::default() };
    form_page(&s, &actor, f, None, FormErrors::default(), axum::http::StatusCode::OK).await
}

pub async fn create(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Form(f): Form<ArticleForm>,
) -> UiResult {
    let result = match input_of(&f) {
        Ok(input) => app::create(&s.app, &actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/articles/{}", v.row.reference)).into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "article")?;
            form_page(&s, &actor, f, None, errors, status).await
        }
    }
}

pub async fn edit_form(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
) -> UiResult {
    let v = app::get(&s.app, &actor, &key).await?;
    actor.require(Action::ArticleManage)?;
    let r = &v.row;
    let id = |x: Option<uuid::Uuid>| x.map(|x| x.to_string()).unwrap_or_default();
    let f = ArticleForm {
        title: r.title.clone(),
        body: r.body.clone(),
        audience: r.audience.clone(),
        service_id: id(r.service_id),
        known_error_id: id(r.known_error_id),
        review_due_on: r.review_due_on.clone().unwrap_or_default(),
        version: Some(r.version),
    };
    form_page(&s, &actor, f, Some(r.reference.clone()), FormErrors::default(), axum::http::StatusCode::OK)
        .await
}

pub async fn edit(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ArticleForm>,
) -> UiResult {
    let reference = app::get(&s.app, &actor, &key).await?.row.reference;
    let result = match (input_of(&f), f.version) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(ValidationErrors::single("version", "is required").into()),
        (Ok(input), Some(v)) => app::update(&s.app, &actor, &key, v, input).await,
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/articles/{}", v.row.reference)).into_response()),
        Err(e) => {
            let (errors, status) = FormErrors::from_error(e, "article")?;
            form_page(&s, &actor, f, Some(reference), errors, status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    version: Option<i64>,
}

pub async fn confirm_review(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Path(key): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> UiResult {
    match app::confirm_review(&s.app, &actor, &key, f.version).await {
        Ok(v) => Ok(Redirect::to(&format!("/articles/{}", v.row.reference)).into_response()),
        Err(e) => record::detail_again(&s, &actor, RecordKind::Article, &key, e).await,
    }
}

pub struct Found {
    pub href: String,
    pub reference: String,
    pub kind: &'static str,
    pub title: String,
    pub snippet: Vec<Segment>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    nav: Option<Nav>,
    q: String,
    items: Vec<Found>,
    searched: bool,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
}

/// Search across records and articles.
pub async fn search(
    State(s): State<AppState>,
    UiActor(actor): UiActor,
    Query(f): Query<SearchForm>,
) -> UiResult {
    let mut page = SearchPage {
        nav: Nav::new(&actor, "search"),
        q: f.q.clone(),
        items: Vec::new(),
        searched: false,
        error: None,
    };
    if !f.q.trim().is_empty() {
        page.searched = true;
        match trellis_app::search::search(&s.app, &actor, &f.q, &[], 50).await {
            Ok(hits) => {
                page.items = hits
                    .into_iter()
                    .map(|h| Found {
                        href: record::href(h.kind, &h.reference),
                        kind: h.kind.label(),
                        reference: h.reference,
                        title: h.title,
                        snippet: h.snippet,
                    })
                    .collect();
            }
            Err(AppError::Validation(v)) => {
                page.error = v.0.first().map(|e| format!("{}: {}", e.field, e.message));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(&page))
}
