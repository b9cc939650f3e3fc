//! CSV import of services, customers, suppliers and configuration items.
//!
//! Every row is checked by the same rules as a record made by hand, and every bad row is
//! reported with its line and column. A file with any bad row imports nothing; a clean file is
//! imported in one transaction, so a failure half-way leaves nothing behind either. A dry run
//! only checks. Progress is counted as rows are checked and stored, for pages that show it.

use crate::identity::{NewCustomer, prepare_customer};
use crate::{Actor, App, AppError, ci, service, supplier};
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use trellis_domain::access::Action;
use trellis_domain::ci::{AttributeDef, attribute_from_text, parse_cents, parse_date};
use trellis_domain::import::{ImportKind, column_of};
use trellis_store::ci::CiRow;
use trellis_store::identity::CustomerRow;
use trellis_store::service::ServiceRow;
use trellis_store::supplier::SupplierRow;
use trellis_store::{Conn, identity, micros};
use uuid::Uuid;

/// Largest number of rows in one file.
pub const MAX_ROWS: usize = 50_000;

/// How far an import has got; shared with whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub checked: AtomicUsize,
    pub imported: AtomicUsize,
}

/// A bad row: its line in the file (the header is line 1), the column and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Data rows in the file.
    pub rows: usize,
    /// What was made: references (customers: names). Empty for a dry run or a file with problems.
    pub imported: Vec<String>,
    pub problems: Vec<RowProblem>,
}

fn required_action(kind: ImportKind) -> Action {
    match kind {
        ImportKind::Services => Action::ServiceManage,
        ImportKind::Customers => Action::CustomerManage,
        ImportKind::Suppliers => Action::AgreementManage,
        ImportKind::Cis => Action::ConfigurationManage,
    }
}

/// A checked row, ready to store.
enum Prepared {
    Service(ServiceRow, Vec<Uuid>),
    Customer(CustomerRow),
    Supplier(SupplierRow),
    Ci(CiRow),
}

/// Names and e-mails the rows refer to, read once per file.
struct Lookups {
    users: HashMap<String, Uuid>,
    customers: HashMap<String, Uuid>,
    teams: HashMap<String, Uuid>,
    ci_types: HashMap<String, (Uuid, Vec<AttributeDef>)>,
}

impl Lookups {
    async fn load(app: &App, actor: &Actor, c: &mut Conn<'_>) -> Result<Lookups, AppError> {
        let key = |s: &str| s.trim().to_lowercase();
        let users = identity::list_users(c, None).await?.into_iter().map(|u| (key(&u.email), u.id)).collect();
        let customers =
            identity::list_customers(c).await?.into_iter().map(|x| (key(&x.name), x.id)).collect();
        let teams = identity::list_teams(c).await?.into_iter().map(|t| (key(&t.name), t.id)).collect();
        let ci_types = if actor.may(Action::ConfigurationRead) {
            ci::list_types(app, actor)
                .await?
                .into_iter()
                .map(|t| (key(&t.row.name), (t.row.id, t.attributes)))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(Lookups { users, customers, teams, ci_types })
    }
}

/// One data row by column name.
struct Row<'a> {
    headers: &'a [String],
    record: &'a csv::StringRecord,
    problems: Vec<(String, String)>,
}

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        self.headers.iter().position(|h| h == column).and_then(|i| self.record.get(i)).map_or("", str::trim)
    }

    fn problem(&mut self, column: &str, message: impl Into<String>) {
        self.problems.push((column.to_owned(), message.into()));
    }

    /// An id looked up by name; an unknown name is a problem on the column.
    fn lookup(&mut self, column: &str, table: &HashMap<String, Uuid>, what: &str) -> Option<Uuid> {
        let name = self.get(column).to_owned();
        if name.is_empty() {
            return None;
        }
        let found = table.get(&name.to_lowercase()).copied();
        if found.is_none() {
            self.problem(column, format!("no {what} {name:?}"));
        }
        found
    }

    fn date(&mut self, column: &str) -> Option<jiff::civil::Date> {
        let text = self.get(column).to_owned();
        if text.is_empty() {
            return None;
        }
        let d = parse_date(&text);
        if d.is_none() {
            self.problem(column, "must be a date (YYYY-MM-DD)");
        }
        d
    }

    fn number(&mut self, column: &str) -> Option<i64> {
        let text = self.get(column).to_owned();
        if text.is_empty() {
            return None;
        }
        let n = text.parse::<i64>().ok();
        if n.is_none() {
            self.problem(column, "must be a whole number");
        }
        n
    }
}

/// Checks the header: known columns (CI files may add attribute columns), none twice, the
/// required ones present.
fn check_header(kind: ImportKind, headers: &[String]) -> Vec<RowProblem> {
    let mut out = Vec::new();
    let mut problem =
        |column: &str, message: String| out.push(RowProblem { line: 1, column: column.into(), message });
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            problem("", format!("column {} has no name", i + 1));
        } else if headers[..i].contains(h) {
            problem(h, "appears twice".into());
        } else if !kind.open_columns() && !kind.columns().iter().any(|(c, _)| c == h) {
            let known: Vec<&str> = kind.columns().iter().map(|(c, _)| *c).collect();
            problem(h, format!("is not a column of a {} file; use {}", kind.as_str(), known.join(", ")));
        }
    }
    for (c, required) in kind.columns() {
        if *required && !headers.iter().any(|h| h == c) {
            problem(c, "this required column is missing".into());
        }
    }
    out
}

async fn prepare_row(
    c: &mut Conn<'_>,
    kind: ImportKind,
    row: &mut Row<'_>,
    l: &Lookups,
    now: i64,
) -> Result<Option<Prepared>, AppError> {
    let owner_id = row.lookup("owner", &l.users, "user with the e-mail");
    let prepared = match kind {
        ImportKind::Customers => prepare_customer(
            &NewCustomer { name: row.get("name").into(), notes: row.get("notes").into() },
            now,
        )
        .map(Prepared::Customer),
        ImportKind::Services => {
            let mut customer_ids = Vec::new();
            for name in row
                .get("customers")
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
            {
                match l.customers.get(&name.to_lowercase()) {
                    Some(id) => customer_ids.push(*id),
                    None => row.problem("customers", format!("no customer {name:?}")),
                }
            }
            let input = service::ServiceInput {
                name: row.get("name").into(),
                description: row.get("description").into(),
                criticality: row.get("criticality").into(),
                owner_id,
                customer_ids: customer_ids.clone(),
            };
            service::prepare(c, &input, now).await.map(|r| Prepared::Service(r, customer_ids))
        }
        ImportKind::Suppliers => {
            let input = supplier::SupplierInput {
                name: row.get("name").into(),
                description: row.get("description").into(),
                supplier_type: row.get("supplier_type").into(),
                contact: row.get("contact").into(),
                owner_id,
            };
            supplier::prepare(c, &input, now).await.map(Prepared::Supplier)
        }
        ImportKind::Cis => {
            let type_name = row.get("type").to_lowercase();
            let ci_type = l.ci_types.get(&type_name);
            if ci_type.is_none() && !type_name.is_empty() {
                row.problem("type", format!("no CI type {:?}", row.get("type")));
            }
            // Without a type (empty or unknown) the rest of the row is still checked; its
            // attributes then have no schema to be checked against.
            let known: Vec<&str> = kind.columns().iter().map(|(c, _)| *c).collect();
            let mut attributes = Map::new();
            for (i, h) in row.headers.iter().enumerate().filter(|(_, h)| !known.contains(&h.as_str())) {
                let text = row.record.get(i).unwrap_or("").trim();
                // An empty cell is "not set", in a column of the type's schema or not.
                if text.is_empty() {
                    continue;
                }
                let def = ci_type.and_then(|(_, defs)| defs.iter().find(|d| &d.key == h));
                let value =
                    def.map_or_else(|| Value::String(text.into()), |d| attribute_from_text(d.kind, text));
                attributes.insert(h.clone(), value);
            }
            let cost = row.get("cost").to_owned();
            let cost_cents = if cost.is_empty() { None } else { parse_cents(&cost) };
            if !cost.is_empty() && cost_cents.is_none() {
                row.problem("cost", "must be an amount such as 1234.50");
            }
            let input = ci::CiInput {
                name: row.get("name").into(),
                description: row.get("description").into(),
                ci_type_id: ci_type.map(|(id, _)| *id),
                criticality: row.get("criticality").into(),
                owner_id,
                team_id: row.lookup("team", &l.teams, "team"),
                customer_id: row.lookup("customer", &l.customers, "customer"),
                location: row.get("location").into(),
                cost_cents,
                warranty_expires: row.date("warranty_expires"),
                licence_expires: row.date("licence_expires"),
                licence_seats: row.number("licence_seats"),
                attributes,
            };
            ci::prepare(c, &input, now).await.map(Prepared::Ci)
        }
    };
    match prepared {
        Ok(p) => Ok(Some(p)),
        Err(AppError::Validation(v)) => {
            for e in v.0 {
                // A name that was not found is already reported on its column.
                let column = column_of(&e.field).to_owned();
                if !row.problems.iter().any(|(c, _)| *c == column) {
                    row.problem(&column, e.message);
                }
            }
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Checks every row of `text` and, unless `dry_run` or any row is bad, stores them all.
pub async fn run(
    app: &App,
    actor: &Actor,
    kind: ImportKind,
    text: &str,
    dry_run: bool,
    progress: &Progress,
) -> Result<ImportReport, AppError> {
    actor.require(required_action(kind))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let mut report = ImportReport { kind, dry_run, rows: 0, imported: Vec::new(), problems: Vec::new() };
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
        Err(e) => {
            report.problems.push(RowProblem {
                line: 1,
                column: String::new(),
                message: format!("not a CSV file: {e}"),
            });
            return Ok(report);
        }
    };
    report.problems = check_header(kind, &headers);
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(r) if r.iter().all(|f| f.trim().is_empty()) => {}
            Ok(r) => records.push(r),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("has {len} fields where the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                report.problems.push(RowProblem { line, column: String::new(), message });
            }
        }
        if records.len() > MAX_ROWS {
            report.problems.push(RowProblem {
                line: 0,
                column: String::new(),
                message: format!("more than {MAX_ROWS} rows; split the file"),
            });
            return Ok(report);
        }
    }
    report.rows = records.len();
    if report.rows == 0 && report.problems.is_empty() {
        report.problems.push(RowProblem {
            line: 2,
            column: String::new(),
            message: "the file has no rows".into(),
        });
    }
    progress.total.store(records.len(), Ordering::Relaxed);
    if !report.problems.iter().all(|p| p.line != 1) {
        // Without a usable header no row can be read.
        return Ok(report);
    }
    let now = app.now();
    let mut c = app.db.read();
    let lookups = Lookups::load(app, actor, &mut c).await?;
    let mut seen_names: HashMap<String, u64> = HashMap::new();
    let mut prepared = Vec::with_capacity(records.len());
    for record in &records {
        let line = record.position().map_or(0, csv::Position::line);
        let mut row = Row { headers: &headers, record, problems: Vec::new() };
        if kind == ImportKind::Customers {
            // Customer names are unique: not already taken, and not twice in the file.
            let name = row.get("name").to_lowercase();
            if lookups.customers.contains_key(&name) {
                row.problem("name", "a customer with this name already exists");
            } else if let Some(first) = seen_names.insert(name.clone(), line).filter(|_| !name.is_empty()) {
                row.problem("name", format!("is also on line {first}"));
            }
        }
        let p = prepare_row(&mut c, kind, &mut row, &lookups, micros(now)).await?;
        let clean = row.problems.is_empty();
        report.problems.extend(row.problems.into_iter().map(|(column, message)| RowProblem {
            line,
            column,
            message,
        }));
        if let (true, Some(p)) = (clean, p) {
            prepared.push(p);
        }
        progress.checked.fetch_add(1, Ordering::Relaxed);
    }
    if dry_run || !report.problems.is_empty() {
        return Ok(report);
    }
    report.imported = store_all(app, actor, now, prepared, progress).await?;
    Ok(report)
}

/// Stores every prepared row in one transaction: all of them, or (on any failure) none.
async fn store_all(
    app: &App,
    actor: &Actor,
    now: Timestamp,
    prepared: Vec<Prepared>,
    progress: &Progress,
) -> Result<Vec<String>, AppError> {
    let mut tx = app.db.begin().await?;
    let mut c = tx.conn();
    let mut made = Vec::with_capacity(prepared.len());
    for p in prepared {
        let name = match p {
            Prepared::Service(row, customers) => {
                service::insert_new(&mut c, actor, now, row, &customers).await?
            }
            Prepared::Supplier(row) => supplier::insert_new(&mut c, actor, now, row).await?,
            Prepared::Ci(row) => ci::insert_new(&mut c, actor, now, row).await?,
            Prepared::Customer(row) => {
                identity::insert_customer(&mut c, &row).await.map_err(|e| match e {
                    trellis_store::StoreError::Unique(_) => AppError::conflict(
                        "import.name_taken",
                        format!("a customer named {:?} was added meanwhile; nothing was imported", row.name),
                    ),
                    other => other.into(),
                })?;
                row.name
            }
        };
        made.push(name);
        progress.imported.fetch_add(1, Ordering::Relaxed);
    }
    tx.commit().await?;
    Ok(made)
}

/// An import running (or run) in the background, for pages that show its progress.
#[derive(Debug)]
pub struct Job {
    pub id: Uuid,
    pub kind: ImportKind,
    pub dry_run: bool,
    pub file_name: String,
    pub started_by: Uuid,
    pub started_at: Timestamp,
    pub progress: Progress,
    /// Set when it ends: the report, or why it failed.
    outcome: std::sync::Mutex<Option<Result<ImportReport, String>>>,
}

impl Job {
    pub fn outcome(&self) -> Option<Result<ImportReport, String>> {
        self.outcome.lock().map(|o| o.clone()).unwrap_or_else(|_| Some(Err("the import stopped".into())))
    }
}

/// This process's recent imports. Kept in memory: a job is a view of work in progress, and its
/// result is in the records (and journal) it made.
#[derive(Debug, Default)]
pub struct Jobs(std::sync::Mutex<Vec<std::sync::Arc<Job>>>);

/// How many finished jobs are remembered.
const JOBS_KEPT: usize = 50;

impl Jobs {
    /// The job, if the actor started it (administrators see every job).
    pub fn get(&self, actor: &Actor, id: Uuid) -> Option<std::sync::Arc<Job>> {
        let jobs = self.0.lock().ok()?;
        jobs.iter()
            .find(|j| {
                j.id == id
                    && (j.started_by == actor.user_id || actor.role == trellis_domain::access::Role::Admin)
            })
            .cloned()
    }

    /// The actor's jobs, newest first.
    pub fn mine(&self, actor: &Actor) -> Vec<std::sync::Arc<Job>> {
        let jobs = self.0.lock().map(|j| j.clone()).unwrap_or_default();
        jobs.into_iter().rev().filter(|j| j.started_by == actor.user_id).collect()
    }
}

/// Starts an import in the background and returns its job at once.
pub fn start(
    app: &App,
    actor: Actor,
    kind: ImportKind,
    text: String,
    file_name: String,
    dry_run: bool,
) -> Result<std::sync::Arc<Job>, AppError> {
    actor.require(required_action(kind))?;
    let job = std::sync::Arc::new(Job {
        id: Uuid::now_v7(),
        kind,
        dry_run,
        file_name,
        started_by: actor.user_id,
        started_at: app.now(),
        progress: Progress::default(),
        outcome: std::sync::Mutex::new(None),
    });
    if let Ok(mut jobs) = app.imports.0.lock() {
        jobs.push(job.clone());
        let excess = jobs.len().saturating_sub(JOBS_KEPT);
        jobs.drain(..excess);
    }
    let (app, running) = (app.clone(), job.clone());
    tokio::spawn(async move {
        let result = run(&app, &actor, kind, &text, dry_run, &running.progress).await.map_err(|e| {
            tracing::error!(error = %e, "import failed");
            e.to_string()
        });
        if let Ok(mut o) = running.outcome.lock() {
            *o = Some(result);
        }
    });
    Ok(job)
}
