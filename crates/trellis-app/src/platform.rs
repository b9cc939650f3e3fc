//! The parts every record kind shares — comments, attachments, links, journal — written once.
//! A record kind resolves a caller's reference to a [`RecordHandle`] (checking scope); these
//! functions then work on any kind.

use crate::{Actor, App, AppError, journal};
use sha2::{Digest, Sha256};
use trellis_domain::access::{Action, sees_internal};
use trellis_domain::attachment::check_content;
use trellis_domain::journal::{Change, JournalAction};
use trellis_domain::link::LinkType;
use trellis_domain::record::{RecordKey, RecordKind};
use trellis_domain::validation::ValidationErrors;
use trellis_store::platform::{self as store, AttachmentRow, CommentRow, CommentView, LinkRow};
use trellis_store::{StoreError, micros};
use uuid::Uuid;

/// A record the actor is allowed to see.
#[derive(Debug, Clone)]
pub struct RecordHandle {
    pub kind: RecordKind,
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub customer_id: Option<Uuid>,
}

/// Finds a record of `kind` by reference or id, as the actor may see it (404 otherwise).
pub async fn resolve(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
) -> Result<RecordHandle, AppError> {
    match kind {
        RecordKind::Incident => {
            crate::incident::get(app, actor, key).await.map(|v| crate::incident::handle_of(&v))
        }
        RecordKind::Service => {
            crate::service::get(app, actor, key).await.map(|d| crate::service::handle_of(&d.view))
        }
        RecordKind::ConfigurationItem => {
            crate::ci::get(app, actor, key).await.map(|v| crate::ci::handle_of(&v))
        }
        RecordKind::Complaint => {
            crate::complaint::get(app, actor, key).await.map(|v| crate::complaint::handle_of(&v))
        }
        RecordKind::Agreement => {
            crate::agreement::get(app, actor, key).await.map(|d| crate::agreement::handle_of(&d.view))
        }
        RecordKind::Supplier => {
            crate::supplier::get(app, actor, key).await.map(|v| crate::supplier::handle_of(&v))
        }
        RecordKind::Problem => {
            crate::problem::get(app, actor, key).await.map(|v| crate::problem::handle_of(&v))
        }
        RecordKind::ServiceRequest => {
            crate::service_request::get(app, actor, key).await.map(|v| crate::service_request::handle_of(&v))
        }
        RecordKind::Article => {
            crate::article::get(app, actor, key).await.map(|v| crate::article::handle_of(&v))
        }
    }
}

/// Finds a record of any kind by reference (its prefix names the kind) or id, as the actor may
/// see it.
pub async fn resolve_any(app: &App, actor: &Actor, key: &str) -> Result<RecordHandle, AppError> {
    let key = key.trim();
    let kind = match key.parse::<RecordKey>().map_err(|()| AppError::NotFound)? {
        RecordKey::Ref(r) => RecordKind::of_reference(&r),
        RecordKey::Id(id) => trellis_store::journal::kind_of(&mut app.db.read(), id)
            .await?
            .as_deref()
            .and_then(RecordKind::parse),
    };
    resolve(app, actor, kind.ok_or(AppError::NotFound)?, key).await
}

/// Journals a platform event (comment, attachment, link) on a record and marks the record as
/// changed now, without a new version so open edit forms stay valid; in the caller's transaction.
async fn record_event(
    c: &mut trellis_store::Conn<'_>,
    r: &RecordHandle,
    actor: &Actor,
    now: jiff::Timestamp,
    action: JournalAction,
    change: Change,
) -> Result<(), AppError> {
    trellis_store::record::touch(c, r.kind, r.id, micros(now)).await?;
    journal::record(c, r.kind, r.id, actor, now, action, &[change]).await
}

pub const COMMENT_MAX: usize = 20_000;

/// Whether the actor may read and add comments and attachments on the record. A customer user
/// may only on records of their own organisation: a service is received by several customers,
/// and what one of them writes on it is not for the others.
pub fn may_discuss(actor: &Actor, record: &RecordHandle) -> bool {
    actor.role.is_staff() || (record.customer_id.is_some() && actor.sees_customer(record.customer_id))
}

fn require_discuss(actor: &Actor, record: &RecordHandle) -> Result<(), AppError> {
    if may_discuss(actor, record) { Ok(()) } else { Err(AppError::Forbidden) }
}

pub async fn add_comment(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
    body: &str,
    public: bool,
) -> Result<CommentView, AppError> {
    actor.require(if public { Action::CommentPublic } else { Action::CommentInternal })?;
    require_discuss(actor, record)?;
    let mut errors = ValidationErrors::default();
    let body = errors.required_text("body", body, COMMENT_MAX);
    errors.into_result()?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = comment_in(&mut tx.conn(), app, actor, record, body, public, now).await?;
    tx.commit().await?;
    Ok(CommentView { row, author_name: Some(actor.display_name.clone()) })
}

/// Writes a checked comment with its journal entry and notifications, in the caller's
/// transaction.
pub(crate) async fn comment_in(
    c: &mut trellis_store::Conn<'_>,
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
    body: String,
    public: bool,
    now: jiff::Timestamp,
) -> Result<CommentRow, AppError> {
    let row = CommentRow {
        id: Uuid::now_v7(),
        record_id: record.id,
        record_kind: record.kind.as_str().into(),
        author_id: actor.journal_id(),
        body,
        is_public: public,
        created_at: micros(now),
    };
    store::insert_comment(c, &row).await?;
    let digest = hex::encode(Sha256::digest(row.body.as_bytes()));
    let change =
        Change::new("comment", (), serde_json::json!({"id": row.id, "public": public, "sha256": digest}));
    record_event(c, record, actor, now, JournalAction::Commented, change).await?;
    if public
        && record.kind == RecordKind::Incident
        && let Some(incident) = trellis_store::incident::get_by_id(c, record.id).await?
    {
        crate::notify::incident_commented(c, app, actor, &incident.row, row.id, &row.body, now).await?;
    }
    Ok(row)
}

pub async fn list_comments(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
) -> Result<Vec<CommentView>, AppError> {
    require_discuss(actor, record)?;
    Ok(store::comments(&mut app.db.read(), record.id, sees_internal(actor.role)).await?)
}

pub async fn add_attachment(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<AttachmentRow, AppError> {
    actor.require(Action::AttachmentAdd)?;
    require_discuss(actor, record)?;
    let max = app.settings.max_attachment_bytes;
    if bytes.len() > max {
        return Err(AppError::TooLarge { max });
    }
    let mut errors = ValidationErrors::default();
    // Keep only the last path component and printable characters of the name.
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    let filename = errors.required_line("filename", &clean, 255);
    if bytes.is_empty() {
        errors.add("file", "is empty");
    } else if let Err(m) = check_content(content_type, bytes) {
        errors.add("content_type", m);
    }
    errors.into_result()?;
    let now = app.now();
    let row = AttachmentRow {
        id: Uuid::now_v7(),
        record_id: record.id,
        record_kind: record.kind.as_str().into(),
        filename,
        content_type: content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase(),
        size_bytes: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(bytes)),
        uploaded_by: actor.journal_id(),
        created_at: micros(now),
    };
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    store::insert_attachment(&mut c, &row, bytes).await?;
    let change = Change::new(
        "attachment",
        (),
        serde_json::json!({"id": row.id, "filename": row.filename, "size_bytes": row.size_bytes, "sha256": row.sha256}),
    );
    record_event(&mut c, record, actor, now, JournalAction::Attached, change).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn list_attachments(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
) -> Result<Vec<AttachmentRow>, AppError> {
    require_discuss(actor, record)?;
    Ok(store::attachments(&mut app.db.read(), record.id).await?)
}

/// An attachment's metadata and bytes, if it belongs to the record.
pub async fn attachment_content(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
    attachment_id: Uuid,
) -> Result<(AttachmentRow, Vec<u8>), AppError> {
    require_discuss(actor, record)?;
    let mut c = app.db.read();
    let a = store::attachment(&mut c, attachment_id).await?.filter(|a| a.record_id == record.id);
    let a = a.ok_or(AppError::NotFound)?;
    let bytes = store::attachment_content(&mut c, a.id).await?;
    Ok((a, bytes))
}

/// A link as seen from one record: the type, the direction and the other record.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub id: Uuid,
    pub link_type: LinkType,
    /// True when this record is the link's source ("this relates to that").
    pub outgoing: bool,
    pub other: RecordHandle,
    pub created_at: i64,
}

pub async fn add_link(
    app: &App,
    actor: &Actor,
    from: &RecordHandle,
    link_type: &str,
    to_key: &str,
) -> Result<LinkView, AppError> {
    actor.require(Action::LinkAdd)?;
    let needs_manage = |lt: LinkType, to: Option<&RecordHandle>| -> Result<(), AppError> {
        // A configuration relationship changes impact analysis: it is configuration
        // management, and on a service, a change to the catalogue.
        if lt.dependency().is_some() {
            actor.require(Action::ConfigurationManage)?;
            if from.kind == RecordKind::Service || to.is_some_and(|t| t.kind == RecordKind::Service) {
                actor.require(Action::ServiceManage)?;
            }
        }
        Ok(())
    };
    let mut errors = ValidationErrors::default();
    let lt = LinkType::parse(link_type);
    if lt.is_none() {
        let names: Vec<&str> = LinkType::ALL.iter().map(|l| l.as_str()).collect();
        errors.add("link_type", format!("must be one of {}", names.join(", ")));
    }
    let to = match resolve_any(app, actor, to_key).await {
        Ok(t) => Some(t),
        Err(AppError::NotFound) => {
            errors.add("target", "no such record");
            None
        }
        Err(e) => return Err(e),
    };
    if let (Some(lt), Some(to)) = (lt, &to) {
        if to.id == from.id {
            errors.add("target", "a record cannot link to itself");
        } else if let Err(m) = lt.allowed_between(from.kind, to.kind) {
            errors.add("link_type", m);
        }
    }
    errors.into_result()?;
    let (Some(lt), Some(to)) = (lt, to) else { return Err(AppError::Internal("validated link".into())) };
    needs_manage(lt, Some(&to))?;
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let row = link_in(&mut tx.conn(), actor, from, lt, &to, now).await?;
    tx.commit().await?;
    Ok(LinkView { id: row.id, link_type: lt, outgoing: true, other: to, created_at: row.created_at })
}

/// Writes a link checked by the caller, with the journal entries on both records, in the
/// caller's transaction.
pub(crate) async fn link_in(
    c: &mut trellis_store::Conn<'_>,
    actor: &Actor,
    from: &RecordHandle,
    lt: LinkType,
    to: &RecordHandle,
    now: jiff::Timestamp,
) -> Result<LinkRow, AppError> {
    let row = LinkRow {
        id: Uuid::now_v7(),
        from_id: from.id,
        from_kind: from.kind.as_str().into(),
        to_id: to.id,
        to_kind: to.kind.as_str().into(),
        link_type: lt.as_str().into(),
        created_by: actor.journal_id(),
        created_at: micros(now),
    };
    store::insert_link(c, &row).await.map_err(|e| match e {
        StoreError::Unique(_) => AppError::conflict("link.exists", "this link already exists"),
        other => other.into(),
    })?;
    if lt.dependency().is_some() {
        // Every process's cached configuration graph is now out of date.
        c.execute(trellis_store::ci::bump_counter(trellis_store::ci::CONFIGURATION)).await?;
    }
    let change = |other: &RecordHandle, dir: &str| {
        Change::new(
            "link",
            (),
            serde_json::json!({"type": lt.as_str(), "direction": dir, "record": other.reference}),
        )
    };
    record_event(c, from, actor, now, JournalAction::Linked, change(to, "outgoing")).await?;
    record_event(c, to, actor, now, JournalAction::Linked, change(from, "incoming")).await?;
    Ok(row)
}

/// Links of a record, leaving out those to records the actor may not see.
pub async fn list_links(app: &App, actor: &Actor, record: &RecordHandle) -> Result<Vec<LinkView>, AppError> {
    let rows = store::links(&mut app.db.read(), record.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let outgoing = r.from_id == record.id;
        let (other_id, other_kind) = if outgoing { (r.to_id, &r.to_kind) } else { (r.from_id, &r.from_kind) };
        let Some(kind) = RecordKind::parse(other_kind) else { continue };
        let Some(lt) = LinkType::parse(&r.link_type) else { continue };
        match resolve(app, actor, kind, &other_id.to_string()).await {
            Ok(other) => {
                out.push(LinkView { id: r.id, link_type: lt, outgoing, other, created_at: r.created_at });
            }
            Err(AppError::NotFound | AppError::Forbidden) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub async fn journal_of(
    app: &App,
    actor: &Actor,
    record: &RecordHandle,
) -> Result<Vec<trellis_store::journal::EntryView>, AppError> {
    actor.require(Action::JournalRead)?;
    Ok(trellis_store::journal::entries(&mut app.db.read(), record.id).await?)
}
