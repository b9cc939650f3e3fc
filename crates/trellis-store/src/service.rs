//! Services of the catalogue and the customers who receive them.

use crate::record::{ListQuery, by_key};
use crate::{Conn, Sql, StoreError};
use trellis_domain::record::RecordKey;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: Uuid,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub criticality: String,
    pub owner_id: Option<Uuid>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceView {
    #[sqlx(flatten)]
    pub row: ServiceRow,
    pub owner_name: Option<String>,
}

const VIEW_SELECT: &str = "SELECT s.id, s.ref, s.name, s.description, s.status, s.criticality, s.owner_id, \
     s.version, s.created_at, s.updated_at, o.display_name AS owner_name \
     FROM services s LEFT JOIN users o ON o.id = s.owner_id";

pub fn insert(r: &ServiceRow) -> Sql {
    Sql::new(
        "INSERT INTO services (id, ref, name, description, status, criticality, owner_id, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(&r.reference)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.status)
    .bind(&r.criticality)
    .bind(r.owner_id)
    .bind(r.version)
    .bind(r.created_at)
    .bind(r.updated_at)
}

pub async fn get(c: &mut Conn<'_>, key: &RecordKey) -> Result<Option<ServiceView>, StoreError> {
    c.opt(by_key(VIEW_SELECT, "s", key)).await
}

/// Writes the fields and the new version if the stored version is still `expected_version`.
pub async fn update(c: &mut Conn<'_>, r: &ServiceRow, expected_version: i64) -> Result<bool, StoreError> {
    let n = c
        .execute(
            Sql::new(
                "UPDATE services SET name = $1, description = $2, status = $3, criticality = $4, \
                 owner_id = $5, version = $6, updated_at = $7 WHERE id = $8 AND version = $9",
            )
            .bind(&r.name)
            .bind(&r.description)
            .bind(&r.status)
            .bind(&r.criticality)
            .bind(r.owner_id)
            .bind(r.version)
            .bind(r.updated_at)
            .bind(r.id)
            .bind(expected_version),
        )
        .await?;
    Ok(n == 1)
}

/// The customers receiving a service, by name.
pub async fn customers_of(c: &mut Conn<'_>, service_id: Uuid) -> Result<Vec<(Uuid, String)>, StoreError> {
    c.all(
        Sql::new(
            "SELECT cu.id, cu.name FROM service_customers sc JOIN customers cu ON cu.id = sc.customer_id \
             WHERE sc.service_id = $1 ORDER BY cu.name_key",
        )
        .bind(service_id),
    )
    .await
}

/// The statements that make `customers` the exact set receiving the service.
pub fn set_customers(service_id: Uuid, customers: &[Uuid]) -> Vec<Sql> {
    let mut out = vec![Sql::new("DELETE FROM service_customers WHERE service_id = $1").bind(service_id)];
    for cid in customers {
        out.push(
            Sql::new("INSERT INTO service_customers (service_id, customer_id) VALUES ($1, $2)")
                .bind(service_id)
                .bind(*cid),
        );
    }
    out
}

pub async fn receives(c: &mut Conn<'_>, service_id: Uuid, customer_id: Uuid) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = c
        .opt(
            Sql::new(
                "SELECT CAST(1 AS BIGINT) FROM service_customers WHERE service_id = $1 AND customer_id = $2",
            )
            .bind(service_id)
            .bind(customer_id),
        )
        .await?;
    Ok(row.is_some())
}

/// The customers receiving any of `services`, as (service, customer, customer name): impact
/// analysis turns affected services into affected customers with this.
pub async fn customers_of_services(
    c: &mut Conn<'_>,
    services: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in services.chunks(500) {
        let ps = crate::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT sc.service_id, cu.id, cu.name FROM service_customers sc \
             JOIN customers cu ON cu.id = sc.customer_id WHERE sc.service_id IN ({})",
            ps
        );
        out.extend(
            c.all::<(Uuid, Uuid, String)>(Sql::dynamic(sql, chunk.iter().map(|&u| u.into()).collect()))
                .await?,
        );
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub criticalities: Vec<String>,
    /// Only services this customer receives (always set for customer users).
    pub customer_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub text: Option<String>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn<'_>, f: &Filter) -> Result<(Vec<ServiceView>, Option<Uuid>), StoreError> {
    let mut q = ListQuery::new(VIEW_SELECT, "s.id");
    q.any_of("s.status", &f.statuses).any_of("s.criticality", &f.criticalities);
    if let Some(cid) = f.customer_id {
        let p = q.arg(cid);
        q.and(&format!(
            "EXISTS (SELECT 1 FROM service_customers sc WHERE sc.service_id = s.id AND sc.customer_id = {p})"
        ));
    }
    if let Some(o) = f.owner_id {
        q.eq("s.owner_id", o);
    }
    q.text(&["s.name", "s.ref"], f.text.as_deref());
    q.page(c, f.after, f.limit, |v: &ServiceView| v.row.id).await
}
