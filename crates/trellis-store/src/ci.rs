//! CI types, configuration items, and the configuration graph read a level at a time.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CiTypeRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The attribute schema as JSON.
    pub attributes: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const TYPE_COLS: &str = "id, name, description, attributes, version, created_at, updated_at";

pub async fn insert_type(c: &mut Conn<'_>, r: &CiTypeRow) -> Result<(), StoreError> {
    c.execute(
        Sql::new(
            "INSERT INTO ci_types (id, name, name_key, description, attributes, version, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(r.id)
        .bind(&r.name)
        .bind(r.name.to_lowercase())
        .bind(&r.description)
        .bind(&r.attributes)
        .bind(r.version)
        .bind(r.created_at)
        .bind(r.updated_at),
    )
    .await?;
    Ok(())
}

pub async fn update_type(c: &mut Conn<'_>, r: &CiTypeRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE ci_types SET name = $1, name_key = $2, description = $3, attributes = $4, \
                 version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
            )
            .bind(&r.name)
            .bind(r.name.to_lowercase())
            .bind(&r.description)
            .bind(&r.attributes)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

pub async fn get_type(c: &mut Conn<'_>, id: Uuid) -> Result<Option<CiTypeRow>, StoreError> {
    c.opt(Sql::dynamic(format!("SELECT {TYPE_COLS} FROM ci_types WHERE id = $1"), vec![id.into()])).await
}

pub async fn types(c: &mut Conn<'_>) -> Result<Vec<CiTypeRow>, StoreError> {
    c.all(Sql::dynamic(format!("SELECT {TYPE_COLS} FROM ci_types ORDER BY name_key"), Vec::new())).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CiRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub description: String,
    pub ci_type_id: Uuid,
    pub status: String,
    pub criticality: String,
    pub owner_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub location: String,
    pub cost_cents: Option<i64>,
    pub warranty_expires: Option<String>,
    pub licence_expires: Option<String>,
    pub licence_seats: Option<i64>,
    /// Attribute values as a JSON object, checked against the type's schema on every write.
    pub attributes: String,
    pub last_verified_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CiView {
    #[sqlx(flatten)]
    pub row: CiRow,
    pub type_name: String,
    pub owner_name: Option<String>,
    pub team_name: Option<String>,
    pub customer_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT i.id, i.ref, i.name, i.description, i.ci_type_id, i.status, i.criticality, \
     i.owner_id, i.team_id, i.customer_id, i.location, i.cost_cents, i.warranty_expires, i.licence_expires, \
     i.licence_seats, i.attributes, i.last_verified_at, i.version, i.created_at, i.updated_at, \
     ty.name AS type_name, o.display_name AS owner_name, t.name AS team_name, cu.name AS customer_name \
     FROM cis i JOIN ci_types ty ON ty.id = i.ci_type_id \
     LEFT JOIN users o ON o.id = i.owner_id \
     LEFT JOIN teams t ON t.id = i.team_id \
     LEFT JOIN customers cu ON cu.id = i.customer_id";

pub fn insert(r: &CiRow) -> Sql {
    Sql::new(
        "INSERT INTO cis (id, ref, name, description, ci_type_id, status, criticality, owner_id, team_id, \
         customer_id, location, cost_cents, warranty_expires, licence_expires, licence_seats, attributes, \
         last_verified_at, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.name)
    .bind(&r.description)
    .bind(r.ci_type_id)
    .bind(&r.status)
    .bind(&r.criticality)
    .bind(r.owner_id)
    .bind(r.team_id)
    .bind(r.customer_id)
    .bind(&r.location)
    .bind(r.cost_cents)
    .bind(r.warranty_expires.clone())
    .bind(r.licence_expires.clone())
    .bind(r.licence_seats)
    .bind(&r.attributes)
    .bind(r.last_verified_at)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<CiView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "i", key)).await
}

pub async fn update(c: &mut Conn<'_>, r: &CiRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE cis SET name = $1, description = $2, ci_type_id = $3, status = $4, criticality = $5, \
                 owner_id = $6, team_id = $7, customer_id = $8, location = $9, cost_cents = $10, \
                 warranty_expires = $11, licence_expires = $12, licence_seats = $13, attributes = $14, \
                 last_verified_at = $15, version = $16, updated_at = $17 WHERE id = $18 AND version = $19",
            )
            .bind(&r.name)
            .bind(&r.description)
            .bind(r.ci_type_id)
            .bind(&r.status)
            .bind(&r.criticality)
            .bind(r.owner_id)
            .bind(r.team_id)
            .bind(r.customer_id)
            .bind(&r.location)
            .bind(r.cost_cents)
            .bind(r.warranty_expires.clone())
            .bind(r.licence_expires.clone())
            .bind(r.licence_seats)
            .bind(&r.attributes)
            .bind(r.last_verified_at)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub ci_type_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

fn filtered(f: &Filter) -> ListQuery {
    let mut q = ListQuery::new(VIEW_SELECT, "i.id");
    q.any_of("i.status", &f.statuses);
    if let Some(t) = f.ci_type_id {
        q.eq("i.ci_type_id", t);
    }
    if let Some(cu) = f.customer_id {
        q.eq("i.customer_id", cu);
    }
    if let Some(t) = f.team_id {
        q.eq("i.team_id", t);
    }
    q.text(&["i.name", "i.ref", "i.location"], f.text.as_deref());
    q
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<CiView>, Option<Uuid>), StoreError> {
    filtered(f).page(c, f.after, f.limit, |v: &CiView| v.row.id).await
}

/// Every CI matching the filter (its paging ignored), by reference: for baselines and audits.
pub async fn all_matching(c: &mut Conn<'_>, f: &Filter) -> Result<Vec<CiView>, StoreError> {
    let (sql, args) = filtered(f).into_parts();
    c.all(Sql::dynamic(format!("{sql} ORDER BY i.ref"), args)).await
}

/// One configuration relationship as stored: a link between two records.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Edge {
    pub from_id: Uuid,
    pub to_id: Uuid,
    pub link_type: String,
}

/// The configuration relationships touching any of `nodes` at either end, restricted to
/// `link_types` (one level of the graph; chunked to stay under parameter limits).
pub async fn edges_at(
    c: &mut Conn<'_>,
    nodes: &[Uuid],
    link_types: &[&str],
) -> Result<Vec<Edge>, StoreError> {
    let mut out = Vec::new();
    for chunk in nodes.chunks(400) {
        let mut args: Vec<crate::Val> = link_types.iter().map(|t| (*t).into()).collect();
        let (types, ids) =
            (crate::placeholders(1, args.len()), crate::placeholders(args.len() + 1, chunk.len()));
        args.extend(chunk.iter().map(|&u| u.into()));
        // Two index range scans (from_id, link_type) and (to_id, link_type), not an OR.
        let sql = format!(
            "SELECT from_id, to_id, link_type FROM links WHERE from_id IN ({ids}) AND link_type IN ({types}) \
             UNION ALL \
             SELECT from_id, to_id, link_type FROM links WHERE to_id IN ({ids}) AND link_type IN ({types})"
        );
        out.extend(c.all::<Edge>(Sql::dynamic(sql, args)).await?);
    }
    Ok(out)
}

/// Kind, reference and name of records that may be CIs or services (for naming impact results).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NodeRow {
    pub id: Uuid,
    pub kind: String,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub status: String,
}

pub async fn nodes(c: &mut Conn<'_>, ids: &[Uuid]) -> Result<Vec<NodeRow>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(400) {
        let ps = crate::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT id, 'configuration_item' AS kind, ref, name, status FROM cis WHERE id IN ({ps}) \
             UNION ALL SELECT id, 'service' AS kind, ref, name, status FROM services WHERE id IN ({ps})"
        );
        out.extend(c.all::<NodeRow>(Sql::dynamic(sql, chunk.iter().map(|&u| u.into()).collect())).await?);
    }
    Ok(out)
}

/// The change counter of the configuration graph: bumped with every change to a relationship,
/// a CI or a service (their names and states are part of what impact analysis reports).
pub const CONFIGURATION: &str = "configuration";

/// Bumps a change counter, in the caller's transaction.
pub fn bump_counter(name: &str) -> Sql {
    Sql::new(
        "INSERT INTO change_counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = change_counters.value + 1",
    )
    .bind(name)
}

pub async fn counter(c: &mut Conn<'_>, name: &str) -> Result<i64, StoreError> {
    let row: Option<(i64,)> =
        c.opt(Sql::new("SELECT value FROM change_counters WHERE name = $1").bind(name)).await?;
    Ok(row.map_or(0, |r| r.0))
}

/// Every CI and service, as impact analysis names them.
pub async fn all_nodes(c: &mut Conn<'_>) -> Result<Vec<NodeRow>, StoreError> {
    c.all(Sql::new(
        "SELECT id, 'configuration_item' AS kind, ref, name, status FROM cis \
         UNION ALL SELECT id, 'service' AS kind, ref, name, status FROM services",
    ))
    .await
}

/// Every configuration relationship (for the in-memory graph; read after [`counter`]).
pub async fn all_edges(c: &mut Conn<'_>, link_types: &[&str]) -> Result<Vec<Edge>, StoreError> {
    let ps = crate::placeholders(1, link_types.len());
    let sql = format!("SELECT from_id, to_id, link_type FROM links WHERE link_type IN ({ps})");
    c.all(Sql::dynamic(sql, link_types.iter().map(|t| (*t).into()).collect())).await
}
