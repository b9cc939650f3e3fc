//! `/api/v1/articles`: knowledge articles; `/api/v1/search`: full-text search across records
//! and articles.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::complaints::{RecordRef, record_ref};
use super::dto::{Named, named, rfc3339};
use super::{ApiQuery, allowed_transitions, created, encode_id_cursor, named_list, page_params, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem as ProblemJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trellis_app::article::{self as app, ArticleInput};
use trellis_app::views::{ArticleFilter, ArticleView};
use trellis_domain::article::{ArticleStatus, Audience};
use trellis_domain::record::RecordKind;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2e01", "ref": "KB-000003", "kind": "article", "version": 4,
    "title": "Outlook asks for the password again and again", "status": "published", "audience": "public",
    "review_due_on": "2027-11-22"}))]
pub struct Article {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    /// Always `article`.
    pub kind: &'static str,
    pub version: i64,
    pub title: String,
    pub body: String,
    /// draft, reviewed, published or retired.
    pub status: String,
    pub allowed_transitions: Vec<&'static str>,
    /// internal (staff only) or public (customers too, once published).
    pub audience: String,
    pub service: Option<RecordRef>,
    /// The known error the article documents (staff only).
    pub known_error: Option<RecordRef>,
    pub author: Option<Named>,
    pub reviewed_by: Option<Named>,
    pub reviewed_at: Option<String>,
    pub published_at: Option<String>,
    /// When a published article is due for review (YYYY-MM-DD).
    pub review_due_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn to_json(v: ArticleView, staff: bool) -> Article {
    let r = v.row;
    Article {
        id: r.id,
        allowed_transitions: if staff { allowed_transitions::<ArticleStatus>(&r.status) } else { Vec::new() },
        reference: r.reference,
        kind: "article",
        version: r.version,
        title: r.title,
        body: r.body,
        status: r.status,
        audience: r.audience,
        service: record_ref(v.service_ref, v.service_name),
        known_error: if staff { record_ref(v.known_error_ref, v.known_error_title) } else { None },
        author: named(r.author_id, v.author_name),
        reviewed_by: named(r.reviewed_by, v.reviewer_name),
        reviewed_at: r.reviewed_at.map(rfc3339),
        published_at: r.published_at.map(rfc3339),
        review_due_on: r.review_due_on,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
    }
}

fn one(actor: &trellis_app::Actor, v: ArticleView) -> Response {
    let version = v.row.version;
    with_etag(version, axum::Json(to_json(v, actor.role.is_staff())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<Article>,
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Comma-separated: draft, reviewed, published, retired.
    pub status: Option<String>,
    /// internal or public.
    pub audience: Option<String>,
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub service: Option<Uuid>,
    /// Articles documenting this known error (a problem's id).
    #[serde(default, deserialize_with = "super::dto::id_or_empty")]
    pub known_error: Option<Uuid>,
    /// `true`: published articles whose review date has come.
    pub review_overdue: Option<bool>,
    /// Words of the title or the reference (use `/api/v1/search` for the text).
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub after: Option<String>,
}

pub fn filter_from_query(q: &ArticleQuery) -> Result<ArticleFilter, ApiError> {
    let (limit, after) = page_params(q.limit, q.after.as_deref())?;
    let audience = named_list::<Audience>("audience", q.audience.as_deref())?;
    Ok(ArticleFilter {
        statuses: named_list::<ArticleStatus>("status", q.status.as_deref())?,
        audience: audience.into_iter().next(),
        service_id: q.service,
        known_error_id: q.known_error,
        text: q.q.clone(),
        after,
        limit,
        ..ArticleFilter::default()
    })
}

/// List knowledge articles
///
/// Customer users see published public articles of the services their organisation receives
/// (or of no service).
#[utoipa::path(operation_id = "list_articles", get, path = "/api/v1/articles", tag = "knowledge", params(ArticleQuery),
    responses((status = 200, body = ArticleList), (status = 422, body = ProblemJson)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<axum::Json<ArticleList>> {
    let (rows, next) =
        app::list(&s.app, &actor, filter_from_query(&q)?, q.review_overdue == Some(true)).await?;
    let staff = actor.role.is_staff();
    Ok(axum::Json(ArticleList {
        items: rows.into_iter().map(|v| to_json(v, staff)).collect(),
        next: next.map(encode_id_cursor),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Outlook asks for the password again and again",
    "body": "Sign out of every Office app, then sign in to Outlook first.", "audience": "public",
    "service_id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2c01"}))]
pub struct ArticleFields {
    pub title: Option<String>,
    pub body: Option<String>,
    /// internal (default) or public.
    pub audience: Option<String>,
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub service_id: Option<Option<Uuid>>,
    /// A problem that is (or was) a known error.
    #[serde(default, deserialize_with = "super::dto::present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub known_error_id: Option<Option<Uuid>>,
    /// YYYY-MM-DD (set a year after publication when not given).
    pub review_due_on: Option<String>,
}

impl From<ArticleFields> for ArticleInput {
    fn from(b: ArticleFields) -> Self {
        ArticleInput {
            title: b.title,
            body: b.body,
            audience: b.audience,
            service_id: b.service_id,
            known_error_id: b.known_error_id,
            review_due_on: b.review_due_on,
        }
    }
}

/// Write a knowledge article (a draft)
#[utoipa::path(operation_id = "create_article", post, path = "/api/v1/articles", tag = "knowledge", request_body = ArticleFields,
    responses((status = 201, body = Article, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ArticleFields>,
) -> ApiResult<Response> {
    let v = app::create(&s.app, &actor, b.into()).await?;
    let location = format!("/api/v1/articles/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, to_json(v, true)))
}

/// Read a knowledge article
#[utoipa::path(operation_id = "get_article", get, path = "/api/v1/articles/{key}", tag = "knowledge",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Article, headers(("ETag" = String))), (status = 404, body = ProblemJson)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    Ok(one(&actor, app::get(&s.app, &actor, &key).await?))
}

/// Change a knowledge article
///
/// The text, title and audience change only in a draft (409 `article.not_draft`); the service,
/// known error and review date at any time.
#[utoipa::path(operation_id = "update_article", patch, path = "/api/v1/articles/{key}", tag = "knowledge", request_body = ArticleFields,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read")),
    responses((status = 200, body = Article), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson),
        (status = 428, body = ProblemJson)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ArticleFields>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    Ok(one(&actor, app::update(&s.app, &actor, &key, version, b.into()).await?))
}

/// Move a knowledge article through its lifecycle
///
/// draft → reviewed (by someone other than the author: 409 `article.self_review`) → published
/// (the review date is set a year on unless later) → retired; a published article goes back to
/// draft to be revised.
#[utoipa::path(operation_id = "transition_article", post, path = "/api/v1/articles/{key}/transitions", tag = "knowledge",
    request_body = super::dto::Transition, params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Article), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson), (status = 422, body = ProblemJson)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<super::dto::Transition>,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    Ok(one(&actor, app::transition(&s.app, &actor, &key, &b.to, if_match(&headers)?).await?))
}

/// Confirm a published article is still right
///
/// Its next review is due a year on.
#[utoipa::path(operation_id = "confirm_article_review", post, path = "/api/v1/articles/{key}/review-confirmations", tag = "knowledge",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Article), (status = 403, body = ProblemJson), (status = 404, body = ProblemJson),
        (status = 409, body = ProblemJson), (status = 412, body = ProblemJson)))]
pub async fn confirm_review(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    app::get(&s.app, &actor, &key).await?;
    Ok(one(&actor, app::confirm_review(&s.app, &actor, &key, if_match(&headers)?).await?))
}

crate::platform_routes!(
    kind = RecordKind::Article,
    collection = "articles",
    tag = "knowledge",
    noun = "article"
);
