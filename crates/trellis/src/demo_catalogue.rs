//! The demo's service catalogue, CMDB and complaints: what the demo provider delivers, the
//! estate behind it (with a redundant switch pair forming a cycle and an application on two VMs
//! forming a diamond), and complaints in several states.

use anyhow::Context;
use serde_json::json;
use trellis_app::ci::{self, CiInput};
use trellis_app::complaint::{self, ComplaintPatch, NewComplaint};
use trellis_app::service::{self, ServiceInput};
use trellis_app::{Actor, App, platform};
use trellis_domain::ci::AttributeDef;
use uuid::Uuid;

/// (name, type, attributes, location) of every demo CI, in creation order.
const CIS: [(&str, usize, &str, &str); 13] = [
    ("sw-core-01", 3, r#"{"model": "Catalyst 9500", "firmware": "17.9.4"}"#, "DC1 rack 1"),
    ("sw-core-02", 3, r#"{"model": "Catalyst 9500", "firmware": "17.9.4"}"#, "DC1 rack 2"),
    ("host-01", 0, r#"{"cpu_cores": 64, "os": "linux", "ram_gb": 512}"#, "DC1 rack 3"),
    ("host-02", 0, r#"{"cpu_cores": 64, "os": "linux", "ram_gb": 512}"#, "DC1 rack 4"),
    ("vm-mail-01", 1, r#"{"os": "linux", "vcpus": 8}"#, "DC1"),
    ("vm-db-01", 1, r#"{"os": "linux", "vcpus": 16}"#, "DC1"),
    ("vm-app-01", 1, r#"{"os": "windows", "vcpus": 8}"#, "DC1"),
    ("vm-app-02", 1, r#"{"os": "windows", "vcpus": 8}"#, "DC1"),
    ("db-prod-01", 2, r#"{"engine": "postgresql", "version": "16.4"}"#, "DC1"),
    ("mail-gateway", 4, r#"{"vendor": "Proofpoint", "version": "8.20"}"#, "DC1"),
    ("patient-admin", 4, r#"{"vendor": "Cerner", "version": "2024.2"}"#, "DC1"),
    ("transport-mgmt", 4, r#"{"vendor": "Descartes", "version": "11.3"}"#, "DC1"),
    ("pos-backend", 4, r#"{"vendor": "Fabrikam IT", "version": "5.1.0"}"#, "DC1"),
];

/// (from, relationship, to) between the CIs above.
const RELATIONSHIPS: [(usize, &str, usize); 17] = [
    (0, "connected_to", 1),
    (2, "depends_on", 0),
    (2, "depends_on", 1),
    (3, "depends_on", 0),
    (3, "depends_on", 1),
    (4, "runs_on", 2),
    (5, "runs_on", 3),
    (6, "runs_on", 2),
    (7, "runs_on", 3),
    (8, "runs_on", 5),
    (9, "runs_on", 4),
    (10, "runs_on", 6),
    (10, "runs_on", 7),
    (10, "depends_on", 8),
    (11, "runs_on", 7),
    (11, "depends_on", 8),
    (12, "runs_on", 6),
];

/// A demo service: name, description, criticality, the customers receiving it, the CI it
/// depends on, and whether it is live yet.
type DemoService = (&'static str, &'static str, &'static str, &'static [usize], usize, bool);

const SERVICES: [DemoService; 5] = [
    (
        "Managed e-mail",
        "Mailboxes, filtering and archiving for every customer.",
        "critical",
        &[0, 1, 2],
        9,
        true,
    ),
    ("Clinical systems hosting", "Patient administration system, hosted 24x7.", "critical", &[0], 10, true),
    ("Transport management", "TMS for planning and dispatch.", "high", &[1], 11, true),
    ("Point of sale platform", "Store tills and their back end.", "high", &[2], 12, true),
    ("Managed Wi-Fi", "Guest and staff Wi-Fi in customer sites.", "medium", &[0, 2], 0, false),
];

fn schema(v: serde_json::Value) -> anyhow::Result<Vec<AttributeDef>> {
    serde_json::from_value(v).context("demo CI type schema")
}

/// Loads services, CI types, CIs, relationships and complaints; returns the service ids in the
/// order of `SERVICES`.
pub async fn load(
    app: &App,
    admin: &Actor,
    manager: &Actor,
    agent: &Actor,
    portal: &[Actor; 3],
    customers: &[Uuid],
) -> anyhow::Result<Vec<Uuid>> {
    let types = [
        (
            "Server",
            schema(json!([
            {"key": "cpu_cores", "label": "CPU cores", "kind": "integer", "required": true},
            {"key": "os", "label": "Operating system", "kind": "choice", "choices": ["linux", "windows"]},
            {"key": "ram_gb", "label": "Memory (GB)", "kind": "integer"}]))?,
        ),
        (
            "Virtual machine",
            schema(json!([
            {"key": "os", "label": "Operating system", "kind": "choice", "choices": ["linux", "windows"], "required": true},
            {"key": "vcpus", "label": "vCPUs", "kind": "integer"}]))?,
        ),
        (
            "Database",
            schema(json!([
            {"key": "engine", "label": "Engine", "kind": "choice", "choices": ["postgresql", "sqlserver", "oracle"], "required": true},
            {"key": "version", "label": "Version", "kind": "text"}]))?,
        ),
        (
            "Network device",
            schema(json!([
            {"key": "model", "label": "Model", "kind": "text"},
            {"key": "firmware", "label": "Firmware", "kind": "text"}]))?,
        ),
        (
            "Application",
            schema(json!([
            {"key": "vendor", "label": "Vendor", "kind": "text"},
            {"key": "version", "label": "Version", "kind": "text"}]))?,
        ),
    ];
    let mut type_ids = Vec::new();
    for (name, attributes) in types {
        type_ids.push(ci::create_type(app, admin, name, "", attributes).await?.row.id);
    }
    let mut cis = Vec::new();
    for (name, ty, attributes, location) in CIS {
        let input = CiInput {
            name: name.into(),
            ci_type_id: Some(type_ids[ty]),
            criticality: "high".into(),
            location: location.into(),
            attributes: serde_json::from_str(attributes).context("demo attributes")?,
            ..CiInput::default()
        };
        let v = ci::create(app, agent, input).await.with_context(|| format!("CI {name}"))?;
        let v = ci::transition(app, agent, &v.row.reference, "in_use", None).await?;
        cis.push(v.row.reference);
    }
    for (from, t, to) in RELATIONSHIPS {
        let h = platform::resolve_any(app, agent, &cis[from]).await?;
        platform::add_link(app, agent, &h, t, &cis[to]).await?;
    }
    let mut services = Vec::new();
    for (name, description, criticality, receivers, ci, live) in SERVICES {
        let input = ServiceInput {
            name: name.into(),
            description: description.into(),
            criticality: criticality.into(),
            owner_id: Some(manager.user_id),
            customer_ids: receivers.iter().map(|i| customers[*i]).collect(),
        };
        let d = service::create(app, manager, input).await?;
        let reference = d.view.row.reference.clone();
        if live {
            service::transition(app, manager, &reference, "live", None).await?;
        }
        let h = platform::resolve_any(app, manager, &reference).await?;
        platform::add_link(app, manager, &h, "depends_on", &cis[ci]).await?;
        services.push(d.view.row.id);
    }
    // Complaints: one just received, one under investigation, one closed with its outcome.
    let lodge = |title: &str, text: &str, customer: usize, service: usize| NewComplaint {
        title: title.into(),
        description: text.into(),
        customer_id: Some(customers[customer]),
        service_id: Some(services[service]),
    };
    let new = lodge(
        "E-mail outages on Monday mornings",
        "Third Monday in a row that mail stopped for an hour.",
        0,
        0,
    );
    complaint::create(app, &portal[0], new).await?;
    let new =
        lodge("Tills slow after every release", "Each release makes card payments slower for a day.", 2, 3);
    let c = complaint::create(app, &portal[2], new).await?;
    complaint::transition(app, agent, &c.row.reference, "investigated", None).await?;
    let new =
        lodge("Priority tickets answered late", "Two P1 tickets waited over an hour for a response.", 1, 2);
    let c = complaint::create(app, &portal[1], new).await?;
    let r = c.row.reference;
    complaint::transition(app, manager, &r, "investigated", None).await?;
    let patch = ComplaintPatch {
        escalated: Some(true),
        owner_id: Some(Some(manager.user_id)),
        outcome: Some(
            "Out-of-hours rota changed; both tickets reviewed with the customer; service credit agreed."
                .into(),
        ),
        ..ComplaintPatch::default()
    };
    let v = complaint::update(app, manager, &r, 2, patch).await?;
    complaint::transition(app, manager, &r, "actioned", Some(v.row.version)).await?;
    complaint::transition(app, manager, &r, "closed", None).await?;
    Ok(services)
}
