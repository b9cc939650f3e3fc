//! A record's configuration neighbourhood drawn as server-side SVG: the record in the centre,
//! its directly related CIs and services around it, one arrow per relationship. The same
//! relationships are listed as a table, which is the drawing's text alternative.

use trellis_app::impact::Neighbourhood;
use trellis_domain::record::RecordKind;

/// At most this many neighbours are drawn; the table lists them all.
pub const MAX_DRAWN: usize = 24;
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 520.0;

pub struct Node {
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub name: String,
    pub href: String,
    /// CSS class: `centre`, `ci` or `service`.
    pub class: &'static str,
}

pub struct Edge {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub lx: f64,
    pub ly: f64,
    pub label: &'static str,
}

pub struct Drawing {
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub hidden: usize,
    /// Text alternative: (from, relationship, to) per relationship.
    pub rows: Vec<(String, &'static str, String)>,
}

fn short(s: &str) -> String {
    if s.chars().count() > 22 {
        format!("{}…", s.chars().take(21).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Lays the neighbourhood out on a circle around the centre (deterministic: by reference).
pub fn draw(n: &Neighbourhood) -> Drawing {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    let mut others: Vec<_> = n.nodes.values().collect();
    others.sort_by(|a, b| a.reference.cmp(&b.reference));
    let hidden = others.len().saturating_sub(MAX_DRAWN);
    others.truncate(MAX_DRAWN);
    let count = others.len().max(1) as f64;
    let radius = 200.0;
    let mut nodes = vec![Node {
        x: cx,
        y: cy,
        label: n.centre.reference.clone(),
        name: short(&n.centre.title),
        href: super::record::href(n.centre.kind, &n.centre.reference),
        class: "centre",
    }];
    let mut pos = std::collections::HashMap::from([(n.centre.id, (cx, cy))]);
    for (i, o) in others.iter().enumerate() {
        // Start at the top and go clockwise.
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / count;
        let (x, y) = (cx + radius * angle.cos() * 1.5, cy + radius * angle.sin());
        pos.insert(o.id, (x, y));
        let kind = RecordKind::parse(&o.kind).unwrap_or(RecordKind::ConfigurationItem);
        nodes.push(Node {
            x,
            y,
            label: o.reference.clone(),
            name: short(&o.name),
            href: super::record::href(kind, &o.reference),
            class: if kind == RecordKind::Service { "service" } else { "ci" },
        });
    }
    let name_of = |id| {
        if id == n.centre.id {
            n.centre.reference.clone()
        } else {
            n.nodes.get(&id).map(|o| o.reference.clone()).unwrap_or_default()
        }
    };
    let mut edges = Vec::new();
    let mut rows = Vec::new();
    for (from, to, t) in &n.edges {
        rows.push((name_of(*from), t.label(), name_of(*to)));
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (pos.get(from), pos.get(to)) else { continue };
        // Stop the arrow short of the target box so its head stays visible.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let shorten = 34.0 / len;
        edges.push(Edge {
            x1,
            y1,
            x2: x2 - dx * shorten,
            y2: y2 - dy * shorten,
            lx: (x1 + x2) / 2.0,
            ly: (y1 + y2) / 2.0 - 4.0,
            label: t.label(),
        });
    }
    Drawing { width: WIDTH, height: HEIGHT, nodes, edges, hidden, rows }
}
