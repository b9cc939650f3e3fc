//! Configuration baselines (8.2.6): a snapshot of a set of CIs at a moment (their fields,
//! attributes and relationships), compared field by field with the configuration of today; and
//! the configuration audit: CIs failing their type's schema, unverified for too long, or
//! supporting no service.

use crate::{Actor, App, AppError};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use trellis_domain::access::Action;
use trellis_domain::ci::{AttributeDef, CiStatus, format_cents, validate_attributes};
use trellis_domain::impact::Direction;
use trellis_domain::link::LinkType;
use trellis_domain::validation::ValidationErrors;
use trellis_store::baseline::{self as store, BaselineItemRow, BaselineRow};
use trellis_store::ci::{self as ci_store, CiView, Filter};
use trellis_store::{Conn, from_micros, micros};
use uuid::Uuid;

/// Which CIs a baseline covers (`None` = any).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Selection {
    pub ci_type_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
}

impl Selection {
    fn filter(self) -> Filter {
        Filter { ci_type_id: self.ci_type_id, customer_id: self.customer_id, ..Filter::default() }
    }
}

/// Relationship lines per CI: `depends_on → CI-000002`, `runs_on ← CI-000007`.
async fn relationships(c: &mut Conn<'_>) -> Result<HashMap<Uuid, Vec<String>>, AppError> {
    let names: Vec<&str> = LinkType::RELATIONSHIPS.iter().map(|l| l.as_str()).collect();
    let edges = ci_store::all_edges(c, &names).await?;
    let refs: HashMap<Uuid, String> =
        ci_store::all_nodes(c).await?.into_iter().map(|n| (n.id, n.reference)).collect();
    let mut out: HashMap<Uuid, Vec<String>> = HashMap::new();
    let name = |id: &Uuid| refs.get(id).cloned().unwrap_or_else(|| id.to_string());
    for e in edges {
        out.entry(e.from_id).or_default().push(format!("{} → {}", e.link_type, name(&e.to_id)));
        out.entry(e.to_id).or_default().push(format!("{} ← {}", e.link_type, name(&e.from_id)));
    }
    for lines in out.values_mut() {
        lines.sort();
    }
    Ok(out)
}

/// A CI as a baseline keeps it, with names rather than ids so a comparison reads plainly.
fn snapshot(v: &CiView, relationships: &[String]) -> Value {
    let r = &v.row;
    let attributes: Value = serde_json::from_str(&r.attributes).unwrap_or(Value::Object(Map::new()));
    json!({
        "name": r.name, "type": v.type_name, "status": r.status, "criticality": r.criticality,
        "owner": v.owner_name, "team": v.team_name, "customer": v.customer_name, "location": r.location,
        "cost": r.cost_cents.map(format_cents), "warranty_expires": r.warranty_expires,
        "licence_expires": r.licence_expires, "licence_seats": r.licence_seats,
        "attributes": attributes, "relationships": relationships,
    })
}

pub async fn take(
    app: &App,
    actor: &Actor,
    name: &str,
    description: &str,
    selection: Selection,
) -> Result<BaselineRow, AppError> {
    actor.require(Action::ConfigurationManage)?;
    let mut errors = ValidationErrors::default();
    let name = errors.required_line("name", name, 200);
    let description = errors.text("description", description, 5_000);
    let mut c = app.db.read();
    if let Some(t) = selection.ci_type_id
        && ci_store::get_type(&mut c, t).await?.is_none()
    {
        errors.add("ci_type_id", "no such CI type");
    }
    errors.into_result()?;
    let cis = ci_store::all_matching(&mut c, &selection.filter()).await?;
    let rels = relationships(&mut c).await?;
    let row = BaselineRow {
        id: Uuid::now_v7(),
        name,
        description,
        selection: serde_json::to_string(&selection).map_err(|e| AppError::Internal(e.to_string()))?,
        taken_at: micros(app.now()),
        created_by: actor.journal_id(),
        item_count: cis.len() as i64,
    };
    let mut statements = vec![store::insert(&row)];
    for v in &cis {
        let snap = snapshot(v, rels.get(&v.row.id).map_or(&[][..], Vec::as_slice));
        statements.push(store::insert_item(&BaselineItemRow {
            baseline_id: row.id,
            ci_id: v.row.id,
            reference: v.row.reference.clone(),
            snapshot: snap.to_string(),
        }));
    }
    let mut tx = app.db.begin().await?;
    tx.conn().execute_batch(statements).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn list(app: &App, actor: &Actor) -> Result<Vec<BaselineRow>, AppError> {
    actor.require(Action::ConfigurationRead)?;
    Ok(store::list(&mut app.db.read()).await?)
}

/// One field that differs between the baseline and today.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: String,
    pub then: Value,
    pub now: Value,
}

#[derive(Debug, Clone)]
pub struct ChangedCi {
    pub reference: String,
    pub name: String,
    pub differences: Vec<FieldDiff>,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub baseline: BaselineRow,
    pub selection: Selection,
    pub unchanged: usize,
    pub changed: Vec<ChangedCi>,
    /// In the baseline but no longer in its selection (another type or customer now).
    pub left: Vec<(String, String)>,
    /// In the selection now but not in the baseline.
    pub added: Vec<(String, String)>,
}

/// Field by field, attributes one by one, relationships as a set.
fn differences(then: &Value, now: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let empty = Map::new();
    let (a, b) = (then.as_object().unwrap_or(&empty), now.as_object().unwrap_or(&empty));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
        if x == y {
            continue;
        }
        if k == "attributes" {
            for mut d in differences(x, y) {
                d.field = format!("attributes.{}", d.field);
                out.push(d);
            }
        } else {
            out.push(FieldDiff { field: k.clone(), then: x.clone(), now: y.clone() });
        }
    }
    out
}

pub async fn compare(app: &App, actor: &Actor, id: Uuid) -> Result<Comparison, AppError> {
    actor.require(Action::ConfigurationRead)?;
    let mut c = app.db.read();
    let baseline = store::get(&mut c, id).await?.ok_or(AppError::NotFound)?;
    let selection: Selection = serde_json::from_str(&baseline.selection).unwrap_or_default();
    let items = store::items(&mut c, id).await?;
    let in_selection = ci_store::all_matching(&mut c, &selection.filter()).await?;
    let rels = relationships(&mut c).await?;
    let mut comparison = Comparison {
        baseline,
        selection,
        unchanged: 0,
        changed: Vec::new(),
        left: Vec::new(),
        added: Vec::new(),
    };
    let now_by_id: HashMap<Uuid, &CiView> = in_selection.iter().map(|v| (v.row.id, v)).collect();
    for item in &items {
        let then: Value = serde_json::from_str(&item.snapshot).unwrap_or(Value::Null);
        let current = match now_by_id.get(&item.ci_id) {
            Some(v) => Some((*v).clone()),
            None => ci_store::get(&mut c, &trellis_domain::record::RecordKey::Id(item.ci_id)).await?,
        };
        let name = then["name"].as_str().unwrap_or_default().to_owned();
        let Some(v) = current else {
            comparison.left.push((item.reference.clone(), name));
            continue;
        };
        if !now_by_id.contains_key(&item.ci_id) {
            comparison.left.push((item.reference.clone(), v.row.name.clone()));
        }
        let now = snapshot(&v, rels.get(&v.row.id).map_or(&[][..], Vec::as_slice));
        let differences = differences(&then, &now);
        if differences.is_empty() {
            comparison.unchanged += 1;
        } else {
            comparison.changed.push(ChangedCi {
                reference: item.reference.clone(),
                name: v.row.name.clone(),
                differences,
            });
        }
    }
    let in_baseline: std::collections::HashSet<Uuid> = items.iter().map(|i| i.ci_id).collect();
    comparison.added = in_selection
        .iter()
        .filter(|v| !in_baseline.contains(&v.row.id))
        .map(|v| (v.row.reference.clone(), v.row.name.clone()))
        .collect();
    Ok(comparison)
}

/// A CI the audit flags, with why.
#[derive(Debug, Clone)]
pub struct Finding {
    pub reference: String,
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct ConfigurationAudit {
    pub unverified_days: i64,
    /// CIs in use (not retired or disposed) that were checked.
    pub checked: usize,
    pub schema_failures: Vec<Finding>,
    pub unverified: Vec<Finding>,
    /// CIs that no service depends on, directly or through other CIs.
    pub orphaned: Vec<Finding>,
}

/// Audits the CIs not yet retired or disposed: their attributes against their type's schema as
/// it is now, when they were last verified, and whether any service rests on them.
pub async fn audit(app: &App, actor: &Actor, unverified_days: i64) -> Result<ConfigurationAudit, AppError> {
    actor.require(Action::ConfigurationRead)?;
    if !(1..=3660).contains(&unverified_days) {
        return Err(ValidationErrors::single("unverified_days", "must be from 1 to 3660").into());
    }
    let mut c = app.db.read();
    let active = [CiStatus::Planned, CiStatus::InUse, CiStatus::Maintenance].map(|s| s.as_str().to_owned());
    let filter = Filter { statuses: active.to_vec(), ..Filter::default() };
    let cis = ci_store::all_matching(&mut c, &filter).await?;
    let mut schemas: BTreeMap<Uuid, Vec<AttributeDef>> = BTreeMap::new();
    for t in ci_store::types(&mut c).await? {
        schemas.insert(t.id, serde_json::from_str(&t.attributes).unwrap_or_default());
    }
    let cfg = app.graph.get(app).await?;
    let services = cfg.nodes.values().filter(|n| n.kind == "service").map(|n| n.id);
    let supporting = cfg.graph.reachable_from(services, Direction::Dependencies);
    let cutoff = app.now() - SignedDuration::from_hours(24 * unverified_days);
    let mut report = ConfigurationAudit {
        unverified_days,
        checked: cis.len(),
        schema_failures: Vec::new(),
        unverified: Vec::new(),
        orphaned: Vec::new(),
    };
    for v in &cis {
        let r = &v.row;
        let finding =
            |detail: String| Finding { reference: r.reference.clone(), name: r.name.clone(), detail };
        let values: Map<String, Value> = serde_json::from_str(&r.attributes).unwrap_or_default();
        let mut errors = ValidationErrors::default();
        validate_attributes(schemas.get(&r.ci_type_id).map_or(&[][..], Vec::as_slice), &values, &mut errors);
        if !errors.is_empty() {
            let detail =
                errors.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
            report.schema_failures.push(finding(detail));
        }
        let verified = r.last_verified_at.map(from_micros).transpose()?;
        match verified {
            Some(t) if t >= cutoff => {}
            Some(t) => report.unverified.push(finding(format!("last verified {}", date_of(t)))),
            None if from_micros(r.created_at)? < cutoff => {
                report.unverified.push(finding("never verified".into()));
            }
            None => {}
        }
        if !supporting.contains(&r.id) {
            report.orphaned.push(finding("no service depends on it".into()));
        }
    }
    Ok(report)
}

fn date_of(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}
