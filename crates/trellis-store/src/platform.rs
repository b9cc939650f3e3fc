//! What every record kind shares: comments, attachments and typed links.

use crate::{Conn, Sql, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub record_kind: String,
    pub author_id: Option<Uuid>,
    pub body: String,
    pub is_public: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentView {
    #[sqlx(flatten)]
    pub row: CommentRow,
    pub author_name: Option<String>,
}

pub async fn insert_comment(c: &mut Conn<'_>, r: &CommentRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO comments (id, record_id, record_kind, author_id, body, is_public, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(r.id)
        .bind(r.record_id)
        .bind(&r.record_kind)
        .bind(r.author_id)
        .bind(&r.body)
        .bind(r.is_public)
        .bind(r.created_at),
    )
    .await?;
    Ok(())
}

/// Comments on a record, oldest first; internal ones only when `include_internal`.
pub async fn comments(
    c: &mut Conn<'_>,
    record_id: Uuid,
    include_internal: bool,
) -> Result<Vec<CommentView>, StoreError> {
    let filter = if include_internal { "" } else { " AND c.is_public = $2" };
    let mut sql = Sql::dynamic(
        format!(
            "SELECT c.id, c.record_id, c.record_kind, c.author_id, c.body, c.is_public, c.created_at, \
             u.display_name AS author_name FROM comments c LEFT JOIN users u ON u.id = c.author_id \
             WHERE c.record_id = $1{filter} ORDER BY c.id"
        ),
        vec![record_id.into()],
    );
    if !include_internal {
        sql = sql.bind(true);
    }
    c.all(sql).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub record_kind: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: i64,
}

const ATTACHMENT_COLS: &str =
    "id, record_id, record_kind, filename, content_type, size_bytes, sha256, uploaded_by, created_at";

pub async fn insert_attachment(
    c: &mut Conn<'_>,
    r: &AttachmentRow,
    content: &[u8],
) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO attachments (id, record_id, record_kind, filename, content_type, size_bytes, \
             sha256, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.id)
        .bind(r.record_id)
        .bind(&r.record_kind)
        .bind(&r.filename)
        .bind(&r.content_type)
        .bind(r.size_bytes)
        .bind(&r.sha256)
        .bind(r.uploaded_by)
        .bind(r.created_at),
    )
    .await?;
    c.execute(
        Sql::new("INSERT INTO attachment_contents (attachment_id, content) VALUES ($1, $2)")
            .bind(r.id)
            .bind(content),
    )
    .await?;
    Ok(())
}

pub async fn attachments(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<AttachmentRow>, StoreError> {
    c.all(Sql::dynamic(
        format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE record_id = $1 ORDER BY id"),
        vec![record_id.into()],
    ))
    .await
}

pub async fn attachment(c: &mut Conn<'_>, id: Uuid) -> Result<Option<AttachmentRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {ATTACHMENT_COLS} FROM attachments WHERE id = $1"), vec![id.into()]))
        .await
}

pub async fn attachment_content(c: &mut Conn<'_>, id: Uuid) -> Result<Vec<u8>, StoreError> {
    let (bytes,): (Vec<u8>,) =
        c.one(Sql::new("SELECT content FROM attachment_contents WHERE attachment_id = $1").bind(id)).await?;
    Ok(bytes)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub id: Uuid,
    pub from_id: Uuid,
    pub from_kind: String,
    pub to_id: Uuid,
    pub to_kind: String,
    pub link_type: String,
    pub created_by: Option<Uuid>,
    pub created_at: i64,
}

pub async fn insert_link(c: &mut Conn<'_>, r: &LinkRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO links (id, from_id, from_kind, to_id, to_kind, link_type, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id)
        .bind(r.from_id)
        .bind(&r.from_kind)
        .bind(r.to_id)
        .bind(&r.to_kind)
        .bind(&r.link_type)
        .bind(r.created_by)
        .bind(r.created_at),
    )
    .await?;
    Ok(())
}

/// Links from and to a record.
pub async fn links(c: &mut Conn<'_>, record_id: Uuid) -> Result<Vec<LinkRow>, StoreError> {
    c.all(
        Sql::new(
            "SELECT id, from_id, from_kind, to_id, to_kind, link_type, created_by, created_at FROM links \
             WHERE from_id = $1 OR to_id = $1 ORDER BY id",
        )
        .bind(record_id),
    )
    .await
}
