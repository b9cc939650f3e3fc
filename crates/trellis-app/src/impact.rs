//! Impact analysis: from a configuration item or a service, every record that is affected when
//! it fails (or that it relies on), and the services and customers in that set. The graph is read
//! from the database one level at a time and walked by the domain's [`Walk`].

use crate::platform::{self, RecordHandle};
use crate::{Actor, App, AppError};
use std::collections::{BTreeMap, HashMap};
use trellis_domain::access::Action;
use trellis_domain::impact::{Direction, Walk};
use trellis_domain::link::{Dependency, LinkType};
use trellis_domain::record::RecordKind;
use trellis_domain::validation::ValidationErrors;
use trellis_store::ci::{self as store, Edge, NodeRow};
use uuid::Uuid;

/// A record reached by the analysis.
#[derive(Debug, Clone)]
pub struct ImpactNode {
    pub id: Uuid,
    pub kind: RecordKind,
    pub reference: String,
    pub name: String,
    pub status: String,
    /// Steps from the analysed record (1 = directly related).
    pub depth: u32,
    /// The reference of the record one step closer, through which this one is reached.
    pub via: String,
}

#[derive(Debug, Clone)]
pub struct ImpactReport {
    pub start: RecordHandle,
    pub direction: Direction,
    pub nodes: Vec<ImpactNode>,
    /// Customers receiving an affected service (or the analysed service itself), with the
    /// references of those services. Empty when walking dependencies.
    pub customers: Vec<(Uuid, String, Vec<String>)>,
}

fn relationship_names() -> Vec<&'static str> {
    LinkType::RELATIONSHIPS.iter().map(|l| l.as_str()).collect()
}

/// Turns stored links into (dependent, dependency) pairs.
fn dependencies(edges: &[Edge]) -> impl Iterator<Item = (Uuid, Uuid)> + '_ {
    edges.iter().flat_map(|e| {
        let dep = LinkType::parse(&e.link_type).and_then(LinkType::dependency);
        let (a, b) = (e.from_id, e.to_id);
        let pairs: [Option<(Uuid, Uuid)>; 2] = match dep {
            Some(Dependency::SourceNeedsTarget) => [Some((a, b)), None],
            Some(Dependency::TargetNeedsSource) => [Some((b, a)), None],
            Some(Dependency::Mutual) => [Some((a, b)), Some((b, a))],
            None => [None, None],
        };
        pairs.into_iter().flatten()
    })
}

/// Walks the graph from `start` in `direction`, reading one level of links per query.
async fn walk(
    app: &App,
    start: Uuid,
    direction: Direction,
    max_depth: Option<u32>,
) -> Result<Walk, AppError> {
    let types = relationship_names();
    let mut w = Walk::new(start, max_depth);
    let mut c = app.db.read();
    while !w.is_done() {
        let edges = store::edges_at(&mut c, w.frontier(), &types).await?;
        let pairs: Vec<(Uuid, Uuid)> = dependencies(&edges)
            .map(|(dependent, dependency)| match direction {
                // Failure spreads from a dependency to what needs it.
                Direction::Dependents => (dependency, dependent),
                Direction::Dependencies => (dependent, dependency),
            })
            .collect();
        w.advance(pairs);
    }
    Ok(w)
}

async fn node_rows(app: &App, ids: &[Uuid]) -> Result<HashMap<Uuid, NodeRow>, AppError> {
    Ok(store::nodes(&mut app.db.read(), ids).await?.into_iter().map(|n| (n.id, n)).collect())
}

/// The analysis of a CI or service the actor may see.
pub async fn analyse(
    app: &App,
    actor: &Actor,
    kind: RecordKind,
    key: &str,
    direction: Direction,
    max_depth: Option<u32>,
) -> Result<ImpactReport, AppError> {
    actor.require(Action::ConfigurationRead)?;
    if !matches!(kind, RecordKind::ConfigurationItem | RecordKind::Service) {
        return Err(ValidationErrors::single("kind", "impact is analysed for CIs and services").into());
    }
    let start = platform::resolve(app, actor, kind, key).await?;
    let w = walk(app, start.id, direction, max_depth).await?;
    let reached = w.reached();
    let ids: Vec<Uuid> = reached.iter().map(|r| r.node).collect();
    let mut rows = node_rows(app, &ids).await?;
    let reference_of = |id: Uuid, rows: &HashMap<Uuid, NodeRow>| {
        if id == start.id {
            start.reference.clone()
        } else {
            rows.get(&id).map(|n| n.reference.clone()).unwrap_or_default()
        }
    };
    let mut nodes = Vec::with_capacity(reached.len());
    for r in &reached {
        let via = reference_of(r.via, &rows);
        // A link whose other end is not a CI or service (cannot happen through the API) is skipped.
        let Some(n) = rows.remove(&r.node) else { continue };
        let Some(kind) = RecordKind::parse(&n.kind) else { continue };
        nodes.push(ImpactNode {
            id: n.id,
            kind,
            reference: n.reference,
            name: n.name,
            status: n.status,
            depth: r.depth,
            via,
        });
    }
    let customers = if direction == Direction::Dependents {
        let mut services: Vec<(Uuid, String)> = nodes
            .iter()
            .filter(|n| n.kind == RecordKind::Service)
            .map(|n| (n.id, n.reference.clone()))
            .collect();
        if start.kind == RecordKind::Service {
            services.push((start.id, start.reference.clone()));
        }
        let refs: HashMap<Uuid, String> = services.iter().cloned().collect();
        let ids: Vec<Uuid> = services.iter().map(|s| s.0).collect();
        let mut by_customer: BTreeMap<(String, Uuid), Vec<String>> = BTreeMap::new();
        for (service, customer, name) in
            trellis_store::service::customers_of_services(&mut app.db.read(), &ids).await?
        {
            let list = by_customer.entry((name, customer)).or_default();
            if let Some(r) = refs.get(&service) {
                list.push(r.clone());
            }
        }
        by_customer
            .into_iter()
            .map(|((name, id), mut svcs)| {
                svcs.sort();
                (id, name, svcs)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ImpactReport { start, direction, nodes, customers })
}

/// A record's direct configuration relationships, for drawing its neighbourhood.
#[derive(Debug, Clone)]
pub struct Neighbourhood {
    pub centre: RecordHandle,
    /// (from, to, link type) of every relationship touching the centre.
    pub edges: Vec<(Uuid, Uuid, LinkType)>,
    pub nodes: HashMap<Uuid, NodeRow>,
}

pub async fn neighbourhood(
    app: &App,
    actor: &Actor,
    centre: RecordHandle,
) -> Result<Neighbourhood, AppError> {
    actor.require(Action::ConfigurationRead)?;
    let edges = store::edges_at(&mut app.db.read(), &[centre.id], &relationship_names()).await?;
    let mut out: Vec<(Uuid, Uuid, LinkType)> =
        edges.iter().filter_map(|e| LinkType::parse(&e.link_type).map(|t| (e.from_id, e.to_id, t))).collect();
    // A self-link is refused on write, but the two halves of the query could list one link twice.
    out.sort_by_key(|e| (e.0, e.1, e.2));
    out.dedup();
    let ids: Vec<Uuid> = out.iter().flat_map(|e| [e.0, e.1]).filter(|id| *id != centre.id).collect();
    let nodes = node_rows(app, &ids).await?;
    Ok(Neighbourhood { centre, edges: out, nodes })
}
