//! SQL every record kind shares: its table, touching it, paging through its ids, and building
//! filtered keyset-paginated lists.

use crate::db::Row;
use crate::{Conn, Sql, StoreError, Val};
use trellis_domain::record::RecordKind;
use uuid::Uuid;

/// The table that holds records of `kind`.
pub fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Incident => "incidents",
        RecordKind::Service => "services",
        RecordKind::ConfigurationItem => "cis",
        RecordKind::Complaint => "complaints",
        RecordKind::Agreement => "agreements",
        RecordKind::Supplier => "suppliers",
        RecordKind::Problem => "problems",
        RecordKind::ServiceRequest => "service_requests",
        RecordKind::Article => "articles",
    }
}

/// Marks a record as touched (a comment, attachment or link was added) without changing its
/// fields or version, so open edit forms stay valid.
pub async fn touch(c: &mut Conn<'_>, kind: RecordKind, id: Uuid, at: i64) -> Result<(), StoreError> {
    let sql = format!("UPDATE {} SET updated_at = $1 WHERE id = $2", table_of(kind));
    c.execute(Sql::dynamic(sql, vec![at.into(), id.into()])).await?;
    Ok(())
}

/// A page of (id, reference) of every record of a kind (for journal verification).
pub async fn ids_after(
    c: &mut Conn<'_>,
    kind: RecordKind,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let t = table_of(kind);
    let sql = match after {
        Some(a) => Sql::dynamic(
            format!("SELECT id, ref FROM {t} WHERE id > $1 ORDER BY id LIMIT $2"),
            vec![a.into(), limit.into()],
        ),
        None => Sql::dynamic(format!("SELECT id, ref FROM {t} ORDER BY id LIMIT $1"), vec![limit.into()]),
    };
    c.all(sql).await
}

/// A list query under construction: a fixed SELECT, AND-ed conditions with numbered
/// parameters, newest-first keyset pagination on the UUIDv7 id.
pub struct ListQuery {
    sql: String,
    args: Vec<Val>,
    id_column: &'static str,
}

impl ListQuery {
    /// `select` must end before WHERE; `id_column` is the qualified id (`s.id`).
    pub fn new(select: &str, id_column: &'static str) -> Self {
        ListQuery { sql: format!("{select} WHERE 1 = 1"), args: Vec::new(), id_column }
    }

    /// Adds a parameter and returns its placeholder.
    pub fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// Adds ` AND <condition>`; build the condition with [`ListQuery::arg`] placeholders.
    pub fn and(&mut self, condition: &str) -> &mut Self {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
        self
    }

    pub fn eq(&mut self, column: &str, v: impl Into<Val>) -> &mut Self {
        let p = self.arg(v);
        self.and(&format!("{column} = {p}"))
    }

    /// Column value is one of `values` (no condition when empty).
    pub fn any_of(&mut self, column: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self;
        }
        let ps: Vec<String> = values.iter().map(|v| self.arg(v.as_str())).collect();
        self.and(&format!("{column} IN ({})", ps.join(", ")))
    }

    /// Case-insensitive substring match on any of `columns`.
    pub fn text(&mut self, columns: &[&str], text: Option<&str>) -> &mut Self {
        let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else { return self };
        let p = self.arg(format!("%{}%", escape_like(&t.to_lowercase())));
        let ors: Vec<String> = columns.iter().map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'")).collect();
        self.and(&format!("({})", ors.join(" OR ")))
    }

    /// The SQL so far and its arguments, for queries that order and limit differently.
    pub fn into_parts(self) -> (String, Vec<Val>) {
        (self.sql, self.args)
    }

    /// Runs the query newest first, `limit` rows after the cursor id; returns the rows and the
    /// cursor of the next page, if there is one.
    pub async fn page<T: Row>(
        mut self,
        c: &mut Conn<'_>,
        after: Option<Uuid>,
        limit: i64,
        id_of: impl Fn(&T) -> Uuid,
    ) -> Result<(Vec<T>, Option<Uuid>), StoreError> {
        if let Some(a) = after {
            let p = self.arg(a);
            let cond = format!("{} < {p}", self.id_column);
            self.and(&cond);
        }
        let limit = limit.clamp(1, 500);
        let l = self.arg(limit + 1);
        let sql = format!("{} ORDER BY {} DESC LIMIT {l}", self.sql, self.id_column);
        let mut rows: Vec<T> = c.all(Sql::dynamic(sql, self.args)).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(&id_of)
        } else {
            None
        };
        Ok((rows, next))
    }
}

pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `select` narrowed to the record a key names (by id or by human reference); `alias` is the
/// record table's alias in `select`.
pub fn by_key(select: &str, alias: &str, key: &trellis_domain::record::RecordKey) -> Sql {
    use trellis_domain::record::RecordKey;
    match key {
        RecordKey::Id(id) => Sql::dynamic(format!("{select} WHERE {alias}.id = $1"), vec![(*id).into()]),
        RecordKey::Ref(r) => {
            Sql::dynamic(format!("{select} WHERE {alias}.ref = $1"), vec![r.as_str().into()])
        }
    }
}
