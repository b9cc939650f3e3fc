//! `/api/v1/search`: full-text search across incidents, service requests, problems and
//! knowledge articles, ranked, with highlighted snippets.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::ApiQuery;
use super::dto::rfc3339;
use crate::extract::ApiActor;
use crate::problem::{ApiResult, Problem as ProblemJson};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_app::search::{self as app, Hit};
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words to find (each as a word or its beginning; all of them must occur).
    pub q: String,
    /// Comma-separated kinds: incident, service_request, problem, article (default: all the
    /// caller may read).
    pub kind: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    /// This part matched the query (show it highlighted).
    #[serde(rename = "match")]
    pub matched: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: Uuid,
    #[serde(rename = "ref")]
    pub reference: String,
    pub kind: &'static str,
    pub title: String,
    /// The best passage, in parts.
    pub snippet: Vec<SnippetPart>,
    pub updated_at: String,
    /// The record's API path.
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "019a8f3c-7b1e-7cc0-9a8e-0d6f5a3b2e01", "ref": "KB-000003", "kind": "article",
    "title": "Outlook asks for the password again", "snippet": [{"text": "Sign out of every Office app, then ", "match": false},
    {"text": "Outlook", "match": true}], "updated_at": "2026-11-21T10:00:00Z", "href": "/api/v1/articles/KB-000003"}]}))]
pub struct SearchResults {
    /// Best first.
    pub items: Vec<SearchHit>,
}

pub fn kinds(param: Option<&str>) -> Result<Vec<RecordKind>, ValidationErrors> {
    let mut out = Vec::new();
    for k in param.unwrap_or("").split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match RecordKind::parse(k) {
            Some(
                kind @ (RecordKind::Incident
                | RecordKind::ServiceRequest
                | RecordKind::Problem
                | RecordKind::Article),
            ) => {
                out.push(kind);
            }
            _ => {
                return Err(ValidationErrors::single(
                    "kind",
                    "must be incident, service_request, problem or article",
                ));
            }
        }
    }
    Ok(out)
}

pub fn hit_json(h: Hit) -> SearchHit {
    SearchHit {
        href: format!("/api/v1/{}/{}", h.kind.collection(), h.reference),
        id: h.id,
        kind: h.kind.as_str(),
        reference: h.reference,
        title: h.title,
        snippet: h.snippet.into_iter().map(|s| SnippetPart { text: s.text, matched: s.matched }).collect(),
        updated_at: rfc3339(h.updated_at),
    }
}

/// Search records and knowledge
///
/// Incidents, service requests, problems and knowledge articles, best match first (a word in the
/// title counts more than in the text). Customer users find their organisation's records and
/// the published public articles of services it receives.
#[utoipa::path(operation_id = "search", get, path = "/api/v1/search", tag = "knowledge", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 422, body = ProblemJson)))]
pub async fn search(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<axum::Json<SearchResults>> {
    let kinds = kinds(q.kind.as_deref()).map_err(trellis_app::AppError::Validation)?;
    let hits = app::search(&s.app, &actor, &q.q, &kinds, q.limit.unwrap_or(20)).await?;
    Ok(axum::Json(SearchResults { items: hits.into_iter().map(hit_json).collect() }))
}
