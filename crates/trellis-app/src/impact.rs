//! Impact analysis: from a configuration item or a service, every record that is affected when
//! it fails (or that it relies on), and the services and customers in that set. The graph is held
//! in memory per process ([`GraphCache`]) and walked by the domain's [`Graph`].

use crate::platform::{self, RecordHandle};
use crate::{Actor, App, AppError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use trellis_domain::access::Action;
use trellis_domain::impact::{Direction, Graph};
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

/// The configuration graph and the names of its records, as of one change counter value.
#[derive(Debug)]
pub struct Configuration {
    pub graph: Graph,
    pub nodes: HashMap<Uuid, NodeRow>,
}

/// The configuration held in memory, with the change counter it was read at. Every process
/// keeps its own and rebuilds it when the counter in the database has moved (any CI, service or
/// relationship written through any process), so the next query everywhere sees the change;
/// between changes an impact query costs one small read and an in-memory walk.
#[derive(Debug, Default)]
pub struct GraphCache {
    current: tokio::sync::RwLock<Option<(i64, Arc<Configuration>)>>,
}

impl GraphCache {
    pub async fn get(&self, app: &App) -> Result<Arc<Configuration>, AppError> {
        let mut c = app.db.read();
        // The counter is read first: a copy labelled with it holds at least its changes.
        let generation = store::counter(&mut c, store::CONFIGURATION).await?;
        if let Some((g, cfg)) = self.current.read().await.as_ref()
            && *g == generation
        {
            return Ok(cfg.clone());
        }
        let mut slot = self.current.write().await;
        if let Some((g, cfg)) = slot.as_ref()
            && *g == generation
        {
            return Ok(cfg.clone());
        }
        let edges = store::all_edges(&mut c, &relationship_names()).await?;
        let mut graph = Graph::new();
        for (dependent, dependency) in dependencies(&edges) {
            graph.add_dependency(dependent, dependency);
        }
        let nodes = store::all_nodes(&mut c).await?.into_iter().map(|n| (n.id, n)).collect();
        let cfg = Arc::new(Configuration { graph, nodes });
        *slot = Some((generation, cfg.clone()));
        Ok(cfg)
    }
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
    let cfg = app.graph.get(app).await?;
    let reached = cfg.graph.walk(start.id, direction, max_depth);
    let rows = &cfg.nodes;
    let reference_of = |id: Uuid, rows: &HashMap<Uuid, NodeRow>| {
        if id == start.id {
            start.reference.clone()
        } else {
            rows.get(&id).map(|n| n.reference.clone()).unwrap_or_default()
        }
    };
    let mut nodes = Vec::with_capacity(reached.len());
    for r in &reached {
        let via = reference_of(r.via, rows);
        // A link whose other end is not a CI or service (cannot happen through the API) is skipped.
        let Some(n) = rows.get(&r.node).cloned() else { continue };
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
