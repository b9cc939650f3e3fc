//! `/api/v1/saved-filters`: each person's named views of the incident, request and problem
//! lists. A filter is the list's own query string, checked exactly as the list checks it.
#![allow(unused_qualifications, reason = "utoipa qualifies query structs declared in the same module")]

use super::dto::{IncidentQuery, rfc3339};
use super::problems::ProblemQuery;
use super::service_requests::RequestQuery;
use super::{ApiQuery, bad_param};
use crate::extract::{ApiActor, ApiJson};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use trellis_app::saved_filter as app;
use trellis_app::views::SavedFilterRow;
use trellis_domain::saved_filter::{SavedList, normalise_query};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SavedFilterQuery {
    /// incidents, service-requests or problems; all the lists you may read when absent.
    pub list: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedFilter {
    pub id: Uuid,
    /// incidents, service-requests or problems.
    pub list: String,
    pub name: String,
    /// The list's query parameters, e.g. `assignee=me&sort=due_at`.
    pub query: String,
    /// The page the filter opens, e.g. `/incidents?assignee=me&sort=due_at`.
    pub url: String,
    /// The API list it stands for, e.g. `/api/v1/incidents?assignee=me&sort=due_at`.
    pub api_url: String,
    pub created_at: String,
}

/// The page a saved filter opens: the list with its query.
pub fn page_url(list: &str, query: &str) -> String {
    if query.is_empty() { format!("/{list}") } else { format!("/{list}?{query}") }
}

impl From<SavedFilterRow> for SavedFilter {
    fn from(r: SavedFilterRow) -> Self {
        let url = page_url(&r.list, &r.query);
        SavedFilter {
            api_url: format!("/api/v1{url}"),
            url,
            id: r.id,
            list: r.list,
            name: r.name,
            query: r.query,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedFilterList {
    pub items: Vec<SavedFilter>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"list": "incidents", "name": "My team, due first", "query": "team=mine&status=new,in_progress,pending&sort=due_at"}))]
pub struct NewSavedFilter {
    pub list: String,
    pub name: String,
    /// The list's query parameters; empty values and the page cursor are dropped.
    #[serde(default)]
    pub query: String,
}

/// Which list a name stands for (422 naming `field` when none).
pub fn parse_list(field: &str, list: &str) -> Result<SavedList, ApiError> {
    SavedList::parse(list)
        .ok_or_else(|| bad_param(field, "must be incidents, service-requests or problems").into())
}

fn parse_as<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let uri: Uri = format!("/?{query}")
        .parse()
        .map_err(|_| ApiError::from(bad_param("query", "is not a query string")))?;
    Query::<T>::try_from_uri(&uri).map(|Query(q)| q).map_err(|e| {
        let reason = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_else(|| e.body_text());
        ApiError::from(bad_param("query", &reason))
    })
}

/// Checks a filter's parameters exactly as its list would, so a saved filter never opens on an
/// error. The user id only fills `me`; it decides nothing here.
pub fn check_query(list: SavedList, query: &str) -> Result<(), ApiError> {
    let query = normalise_query(query);
    // The list names its own parameter; the filter's field is `query`.
    let first = |mut e: ApiError| {
        e.0.errors =
            vec![crate::problem::FieldProblem { field: "query".into(), message: e.0.detail.clone() }];
        e
    };
    match list {
        SavedList::Incidents => {
            super::incidents::filter_from_query(&parse_as::<IncidentQuery>(&query)?, Uuid::nil())
                .map_err(first)?;
        }
        SavedList::ServiceRequests => {
            super::service_requests::filter_from_query(&parse_as::<RequestQuery>(&query)?).map_err(first)?;
        }
        SavedList::Problems => {
            super::problems::filter_from_query(&parse_as::<ProblemQuery>(&query)?).map_err(first)?;
        }
    }
    Ok(())
}

/// My saved filters
///
/// The signed-in user's own filters, by name; nobody sees another person's.
#[utoipa::path(operation_id = "list_saved_filters", get, path = "/api/v1/saved-filters", tag = "workspace",
    params(SavedFilterQuery), responses((status = 200, body = SavedFilterList), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SavedFilterQuery>,
) -> ApiResult<axum::Json<SavedFilterList>> {
    let rows = match q.list.as_deref() {
        Some(l) => app::list(&s.app, &actor, parse_list("list", l)?).await?,
        None => app::list_all(&s.app, &actor).await?,
    };
    Ok(axum::Json(SavedFilterList { items: rows.into_iter().map(Into::into).collect() }))
}

/// Save a filter
///
/// Names are unique per person and list (409 `saved_filter.name_taken`); at most 30 per list
/// (409 `saved_filter.too_many`). The query is checked as the list checks it (422).
#[utoipa::path(operation_id = "create_saved_filter", post, path = "/api/v1/saved-filters", tag = "workspace",
    request_body = NewSavedFilter, responses((status = 201, body = SavedFilter), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<NewSavedFilter>,
) -> ApiResult<Response> {
    let list = parse_list("list", &body.list)?;
    check_query(list, &body.query)?;
    let row = app::create(&s.app, &actor, list, &body.name, &body.query).await?;
    let location = format!("/api/v1/saved-filters/{}", row.id);
    let mut res = (StatusCode::CREATED, axum::Json(SavedFilter::from(row))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Delete a saved filter
#[utoipa::path(operation_id = "delete_saved_filter", delete, path = "/api/v1/saved-filters/{id}", tag = "workspace",
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    app::delete(&s.app, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
