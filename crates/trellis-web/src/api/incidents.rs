//! `/api/v1/incidents` and the record-platform sub-resources of an incident.

use super::dto::*;
use super::{ApiQuery, created, with_etag};
use crate::extract::{ApiActor, ApiJson, if_match, require_if_match};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use trellis_app::views::{Cursor, Filter, Sort};
use trellis_app::{incident as app, platform};
use trellis_domain::access::Role;
use uuid::Uuid;

pub fn encode_cursor(c: Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", c.key, c.id))
}

pub fn decode_cursor(s: &str) -> Option<Cursor> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    let (k, id) = raw.split_once('.')?;
    Some(Cursor { key: k.parse().ok()?, id: Uuid::parse_str(id).ok()? })
}

fn bad_param(name: &str, msg: &str) -> Problem {
    let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.failed", format!("{name}: {msg}"));
    p.errors = vec![crate::problem::FieldProblem { field: name.into(), message: msg.into() }];
    p
}

/// Turns list query parameters into a store filter (shared by the API and the UI list page).
pub fn filter_from_query(q: &IncidentQuery, me: Uuid) -> Result<Filter, ApiError> {
    let mut f = Filter { limit: q.limit.unwrap_or(50), ..Filter::default() };
    if !(1..=500).contains(&f.limit) {
        return Err(bad_param("limit", "must be between 1 and 500").into());
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        for part in s.split(',') {
            let st = trellis_domain::incident::IncidentStatus::parse(part.trim()).ok_or_else(|| {
                bad_param("status", "must be new, in_progress, pending, resolved or closed")
            })?;
            f.statuses.push(st.as_str().into());
        }
    }
    f.customer_id = q.customer;
    f.team_id = q.team;
    match q.assignee.as_deref() {
        None | Some("") => {}
        Some("me") => f.assignee_id = Some(me),
        Some("none") => f.unassigned = true,
        Some(other) => {
            f.assignee_id = Some(
                Uuid::parse_str(other).map_err(|_| bad_param("assignee", "must be a user id, me or none"))?,
            );
        }
    }
    f.text.clone_from(&q.q);
    f.sort = match q.sort.as_deref() {
        None | Some("") | Some("-created_at") => Sort::CreatedDesc,
        Some("created_at") => Sort::CreatedAsc,
        Some("-updated_at") => Sort::UpdatedDesc,
        Some("updated_at") => Sort::UpdatedAsc,
        Some(_) => {
            return Err(
                bad_param("sort", "must be created_at, -created_at, updated_at or -updated_at").into()
            );
        }
    };
    if let Some(a) = q.after.as_deref().filter(|a| !a.is_empty()) {
        f.after = Some(
            decode_cursor(a)
                .ok_or_else(|| ApiError::from(bad_param("after", "is not a cursor from this list")))?,
        );
    }
    Ok(f)
}

/// List incidents
///
/// Newest first by default; keyset-paginated. Customer users see their own organisation's only.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentQuery),
    responses((status = 200, body = IncidentList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<IncidentQuery>,
) -> ApiResult<axum::Json<IncidentList>> {
    let filter = filter_from_query(&q, actor.user_id)?;
    let (rows, next) = app::list(&s.app, &actor, filter).await?;
    Ok(axum::Json(IncidentList {
        items: rows.into_iter().map(Incident::from).collect(),
        next: next.map(encode_cursor),
    }))
}

/// Log an incident
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = CreateIncident,
    responses((status = 201, body = Incident, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CreateIncident>,
) -> ApiResult<Response> {
    let new = app::NewIncident {
        title: body.title,
        description: body.description,
        customer_id: body.customer_id,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
    };
    let v = app::create(&s.app, &actor, new).await?;
    let location = format!("/api/v1/incidents/{}", v.row.reference);
    let version = v.row.version;
    Ok(created(&location, version, Incident::from(v)))
}

/// Read an incident
///
/// By reference (`INC-000123`) or id. The `ETag` is the version to send back in `If-Match`.
#[utoipa::path(get, path = "/api/v1/incidents/{key}", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let v = app::get(&s.app, &actor, &key).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Incident::from(v))))
}

/// Update an incident
///
/// Requires `If-Match` with the version read: 412 when someone changed it since (nothing is
/// written), 428 without the header.
#[utoipa::path(patch, path = "/api/v1/incidents/{key}", tag = "incidents", request_body = UpdateIncident,
    params(("key" = String, Path, description = "Reference or id"), ("If-Match" = String, Header, description = "The version read, e.g. \"3\"")),
    responses((status = 200, body = Incident, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateIncident>,
) -> ApiResult<Response> {
    // Resolve first, so a record out of scope is a 404 whatever the headers say.
    app::handle(&s.app, &actor, &key).await?;
    let version = require_if_match(&headers)?;
    let patch = app::IncidentPatch {
        title: body.title,
        description: body.description,
        customer_id: body.customer_id,
        team_id: body.team_id,
        assignee_id: body.assignee_id,
    };
    let v = app::update(&s.app, &actor, &key, version, patch).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Incident::from(v))))
}

/// Move an incident through its lifecycle
///
/// 409 `incident.invalid_transition` when the move is not allowed from the current state.
/// `If-Match` is optional here; when sent it must match.
#[utoipa::path(post, path = "/api/v1/incidents/{key}/transitions", tag = "incidents", request_body = Transition,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Incident), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Transition>,
) -> ApiResult<Response> {
    app::handle(&s.app, &actor, &key).await?;
    let v = app::transition(&s.app, &actor, &key, &body.to, if_match(&headers)?).await?;
    let version = v.row.version;
    Ok(with_etag(version, axum::Json(Incident::from(v))))
}

/// The incident's journal
///
/// Every change in order, with who, when, through which channel and each field from → to.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/journal", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Items<JournalEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn journal(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Items<JournalEntry>>> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let entries = platform::journal_of(&s.app, &actor, &h).await?;
    let items = entries
        .into_iter()
        .map(|v| {
            let changes = v
                .entry
                .parsed_changes()
                .into_iter()
                .map(|c| FieldChange { field: c.field, from: c.from, to: c.to })
                .collect();
            JournalEntry {
                id: v.entry.id,
                seq: v.entry.seq,
                at: v.entry.at.to_string(),
                actor: v.entry.actor_id.map(|id| Named { id, name: v.actor_name.unwrap_or_default() }),
                channel: v.entry.channel,
                action: v.entry.action,
                changes,
                hash: v.entry.hash,
            }
        })
        .collect();
    Ok(axum::Json(Items { items }))
}

fn comment_dto(c: trellis_app::views::CommentView) -> Comment {
    Comment {
        id: c.row.id,
        body: c.row.body,
        public: c.row.is_public,
        author: c.row.author_id.map(|id| Named { id, name: c.author_name.unwrap_or_default() }),
        created_at: rfc3339(c.row.created_at),
    }
}

/// Comments on the incident
///
/// Customer users see public comments only.
#[utoipa::path(get, path = "/api/v1/incidents/{key}/comments", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Items<Comment>), (status = 404, body = Problem)))]
pub async fn comments(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Items<Comment>>> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let items = platform::list_comments(&s.app, &actor, &h).await?.into_iter().map(comment_dto).collect();
    Ok(axum::Json(Items { items }))
}

/// Comment on the incident
#[utoipa::path(post, path = "/api/v1/incidents/{key}/comments", tag = "incidents", request_body = CreateComment,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = Comment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_comment(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateComment>,
) -> ApiResult<Response> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let public = body.public.unwrap_or(actor.role == Role::Customer);
    let c = platform::add_comment(&s.app, &actor, &h, &body.body, public).await?;
    Ok((StatusCode::CREATED, axum::Json(comment_dto(c))).into_response())
}

fn attachment_dto(reference: &str, a: trellis_app::views::AttachmentRow) -> Attachment {
    Attachment {
        content_url: format!("/api/v1/incidents/{reference}/attachments/{}/content", a.id),
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
        sha256: a.sha256,
        created_at: rfc3339(a.created_at),
    }
}

/// Attachments of the incident
#[utoipa::path(get, path = "/api/v1/incidents/{key}/attachments", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Items<Attachment>), (status = 404, body = Problem)))]
pub async fn attachments(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Items<Attachment>>> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let items = platform::list_attachments(&s.app, &actor, &h)
        .await?
        .into_iter()
        .map(|a| attachment_dto(&h.reference, a))
        .collect();
    Ok(axum::Json(Items { items }))
}

/// Attach a file
///
/// The body is the file itself, with its `Content-Type`; the name goes in `?filename=`.
/// At most 10 MiB; the content must match the declared type.
#[utoipa::path(post, path = "/api/v1/incidents/{key}/attachments", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id"), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = Attachment), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_attachment(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<AttachmentQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let a = platform::add_attachment(&s.app, &actor, &h, &q.filename, ct, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(attachment_dto(&h.reference, a))).into_response())
}

/// Download an attachment
#[utoipa::path(get, path = "/api/v1/incidents/{key}/attachments/{id}/content", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id"), ("id" = Uuid, Path, description = "Attachment id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn attachment_content(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let id = Uuid::parse_str(&id).map_err(|_| trellis_app::AppError::NotFound)?;
    let (a, bytes) = platform::attachment_content(&s.app, &h, id).await?;
    Ok(download(&a.filename, &a.content_type, bytes))
}

/// A file download that browsers never render inline in our origin.
pub fn download(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let safe: String = filename.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn link_dto(l: platform::LinkView) -> Link {
    Link {
        id: l.id,
        link_type: l.link_type.as_str().into(),
        direction: if l.outgoing { "outgoing" } else { "incoming" },
        record: LinkedRecord {
            id: l.other.id,
            reference: l.other.reference,
            kind: l.other.kind.as_str().into(),
            title: l.other.title,
        },
        created_at: rfc3339(l.created_at),
    }
}

/// Links of the incident
#[utoipa::path(get, path = "/api/v1/incidents/{key}/links", tag = "incidents",
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 200, body = Items<Link>), (status = 404, body = Problem)))]
pub async fn links(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
) -> ApiResult<axum::Json<Items<Link>>> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let items = platform::list_links(&s.app, &actor, &h).await?.into_iter().map(link_dto).collect();
    Ok(axum::Json(Items { items }))
}

/// Link the incident to another record
#[utoipa::path(post, path = "/api/v1/incidents/{key}/links", tag = "incidents", request_body = CreateLink,
    params(("key" = String, Path, description = "Reference or id")),
    responses((status = 201, body = Link), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_link(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(key): Path<String>,
    ApiJson(body): ApiJson<CreateLink>,
) -> ApiResult<Response> {
    let h = app::handle(&s.app, &actor, &key).await?;
    let target_kind = trellis_domain::record::RecordKind::Incident;
    let l = platform::add_link(&s.app, &actor, &h, &body.link_type, target_kind, &body.target).await?;
    Ok((StatusCode::CREATED, axum::Json(link_dto(l))).into_response())
}
