//! The record-platform sub-resources every kind has (`/journal`, `/comments`, `/attachments`,
//! `/links`), written once. [`platform_routes!`](crate::platform_routes) gives each kind its own
//! documented routes (`/api/v1/services/{key}/comments` ...) that call these functions.

use super::dto::*;
use crate::problem::ApiResult;
use crate::state::AppState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use trellis_app::platform::{self, LinkView, RecordHandle};
use trellis_app::{Actor, AppError};
use trellis_domain::access::Role;
use trellis_domain::record::RecordKind;
use uuid::Uuid;

pub async fn handle(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> Result<RecordHandle, AppError> {
    platform::resolve(&s.app, actor, kind, key).await
}

pub async fn journal(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> ApiResult<axum::Json<Items<JournalEntry>>> {
    let h = handle(s, actor, kind, key).await?;
    let entries = platform::journal_of(&s.app, actor, &h).await?;
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

pub async fn comments(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> ApiResult<axum::Json<Items<Comment>>> {
    let h = handle(s, actor, kind, key).await?;
    let items = platform::list_comments(&s.app, actor, &h).await?.into_iter().map(comment_dto).collect();
    Ok(axum::Json(Items { items }))
}

pub async fn add_comment(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    body: CreateComment,
) -> ApiResult<Response> {
    let h = handle(s, actor, kind, key).await?;
    let public = body.public.unwrap_or(actor.role == Role::Customer);
    let c = platform::add_comment(&s.app, actor, &h, &body.body, public).await?;
    Ok((StatusCode::CREATED, axum::Json(comment_dto(c))).into_response())
}

fn attachment_dto(h: &RecordHandle, a: trellis_app::views::AttachmentRow) -> Attachment {
    Attachment {
        content_url: format!("/api/v1/{}/{}/attachments/{}/content", h.kind.collection(), h.reference, a.id),
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size_bytes: a.size_bytes,
        sha256: a.sha256,
        created_at: rfc3339(a.created_at),
    }
}

pub async fn attachments(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> ApiResult<axum::Json<Items<Attachment>>> {
    let h = handle(s, actor, kind, key).await?;
    let items = platform::list_attachments(&s.app, actor, &h)
        .await?
        .into_iter()
        .map(|a| attachment_dto(&h, a))
        .collect();
    Ok(axum::Json(Items { items }))
}

pub async fn add_attachment(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    filename: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let h = handle(s, actor, kind, key).await?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let a = platform::add_attachment(&s.app, actor, &h, filename, ct, body).await?;
    Ok((StatusCode::CREATED, axum::Json(attachment_dto(&h, a))).into_response())
}

pub async fn attachment_content(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    id: &str,
) -> ApiResult<Response> {
    let h = handle(s, actor, kind, key).await?;
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let (a, bytes) = platform::attachment_content(&s.app, actor, &h, id).await?;
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

pub fn link_dto(l: LinkView) -> Link {
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

pub async fn links(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> ApiResult<axum::Json<Items<Link>>> {
    let h = handle(s, actor, kind, key).await?;
    let items = platform::list_links(&s.app, actor, &h).await?.into_iter().map(link_dto).collect();
    Ok(axum::Json(Items { items }))
}

pub async fn add_link(
    s: &AppState,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    body: CreateLink,
) -> ApiResult<Response> {
    let h = handle(s, actor, kind, key).await?;
    let l = platform::add_link(&s.app, actor, &h, &body.link_type, &body.target).await?;
    Ok((StatusCode::CREATED, axum::Json(link_dto(l))).into_response())
}

/// Declares, in the calling module, the documented platform routes of one record kind:
/// `journal`, `comments`/`add_comment`, `attachments`/`add_attachment`, `attachment_content`,
/// `links`/`add_link`. Register them with [`platform_router`](crate::platform_router).
#[macro_export]
macro_rules! platform_routes {
    (kind = $kind:expr, collection = $coll:literal, tag = $tag:literal, noun = $noun:literal) => {
        /// The record's journal
        ///
        /// Every change in order, with who, when, through which channel and each field from → to.
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/journal"), tag = $tag,
            operation_id = concat!($noun, "_journal"),
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 200, body = $crate::api::dto::Items<$crate::api::dto::JournalEntry>),
                (status = 403, body = $crate::problem::Problem), (status = 404, body = $crate::problem::Problem)))]
        pub async fn journal(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
        ) -> $crate::problem::ApiResult<axum::Json<$crate::api::dto::Items<$crate::api::dto::JournalEntry>>> {
            $crate::api::platform::journal(&s, &actor, $kind, &key).await
        }

        /// Comments on the record
        ///
        /// Customer users see public comments only.
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/comments"), tag = $tag,
            operation_id = concat!($noun, "_comments"),
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 200, body = $crate::api::dto::Items<$crate::api::dto::Comment>),
                (status = 404, body = $crate::problem::Problem)))]
        pub async fn comments(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
        ) -> $crate::problem::ApiResult<axum::Json<$crate::api::dto::Items<$crate::api::dto::Comment>>> {
            $crate::api::platform::comments(&s, &actor, $kind, &key).await
        }

        /// Comment on the record
        #[utoipa::path(post, path = concat!("/api/v1/", $coll, "/{key}/comments"), tag = $tag,
            operation_id = concat!($noun, "_add_comment"), request_body = $crate::api::dto::CreateComment,
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 201, body = $crate::api::dto::Comment), (status = 403, body = $crate::problem::Problem),
                (status = 404, body = $crate::problem::Problem), (status = 422, body = $crate::problem::Problem)))]
        pub async fn add_comment(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$crate::api::dto::CreateComment>,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::platform::add_comment(&s, &actor, $kind, &key, body).await
        }

        /// Attachments of the record
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/attachments"), tag = $tag,
            operation_id = concat!($noun, "_attachments"),
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 200, body = $crate::api::dto::Items<$crate::api::dto::Attachment>),
                (status = 404, body = $crate::problem::Problem)))]
        pub async fn attachments(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
        ) -> $crate::problem::ApiResult<axum::Json<$crate::api::dto::Items<$crate::api::dto::Attachment>>> {
            $crate::api::platform::attachments(&s, &actor, $kind, &key).await
        }

        /// Attach a file
        ///
        /// The body is the file itself, with its `Content-Type`; the name goes in `?filename=`.
        /// At most 10 MiB; the content must match the declared type.
        #[utoipa::path(post, path = concat!("/api/v1/", $coll, "/{key}/attachments"), tag = $tag,
            operation_id = concat!($noun, "_add_attachment"),
            params(("key" = String, Path, description = "Reference or id"), $crate::api::dto::AttachmentQuery),
            request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
            responses((status = 201, body = $crate::api::dto::Attachment), (status = 404, body = $crate::problem::Problem),
                (status = 413, body = $crate::problem::Problem), (status = 422, body = $crate::problem::Problem)))]
        pub async fn add_attachment(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
            $crate::api::ApiQuery(q): $crate::api::ApiQuery<$crate::api::dto::AttachmentQuery>,
            headers: axum::http::HeaderMap,
            body: axum::body::Bytes,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::platform::add_attachment(&s, &actor, $kind, &key, &q.filename, &headers, &body).await
        }

        /// Download an attachment
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/attachments/{id}/content"), tag = $tag,
            operation_id = concat!($noun, "_attachment_content"),
            params(("key" = String, Path, description = "Reference or id"), ("id" = uuid::Uuid, Path, description = "Attachment id")),
            responses((status = 200, description = "The file", content_type = "application/octet-stream"),
                (status = 404, body = $crate::problem::Problem)))]
        pub async fn attachment_content(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path((key, id)): axum::extract::Path<(String, String)>,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::platform::attachment_content(&s, &actor, $kind, &key, &id).await
        }

        /// Links of the record
        #[utoipa::path(get, path = concat!("/api/v1/", $coll, "/{key}/links"), tag = $tag,
            operation_id = concat!($noun, "_links"),
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 200, body = $crate::api::dto::Items<$crate::api::dto::Link>),
                (status = 404, body = $crate::problem::Problem)))]
        pub async fn links(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
        ) -> $crate::problem::ApiResult<axum::Json<$crate::api::dto::Items<$crate::api::dto::Link>>> {
            $crate::api::platform::links(&s, &actor, $kind, &key).await
        }

        /// Link the record to another record
        ///
        /// `target` is the other record's reference or id. Configuration relationships
        /// (`depends_on`, `runs_on`, `connected_to`, `part_of`) are walked by impact analysis.
        #[utoipa::path(post, path = concat!("/api/v1/", $coll, "/{key}/links"), tag = $tag,
            operation_id = concat!($noun, "_add_link"), request_body = $crate::api::dto::CreateLink,
            params(("key" = String, Path, description = "Reference or id")),
            responses((status = 201, body = $crate::api::dto::Link), (status = 404, body = $crate::problem::Problem),
                (status = 409, body = $crate::problem::Problem), (status = 422, body = $crate::problem::Problem)))]
        pub async fn add_link(
            axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
            $crate::extract::ApiActor(actor): $crate::extract::ApiActor,
            axum::extract::Path(key): axum::extract::Path<String>,
            $crate::extract::ApiJson(body): $crate::extract::ApiJson<$crate::api::dto::CreateLink>,
        ) -> $crate::problem::ApiResult<axum::response::Response> {
            $crate::api::platform::add_link(&s, &actor, $kind, &key, body).await
        }
    };
}

/// Adds the routes [`platform_routes!`](crate::platform_routes) declared in module `$m`.
#[macro_export]
macro_rules! platform_router {
    ($router:expr, $m:path) => {{
        use $m as m;
        $router
            .routes(utoipa_axum::routes!(m::journal))
            .routes(utoipa_axum::routes!(m::comments, m::add_comment))
            .routes(utoipa_axum::routes!(m::attachments, m::add_attachment))
            .routes(utoipa_axum::routes!(m::attachment_content))
            .routes(utoipa_axum::routes!(m::links, m::add_link))
    }};
}
