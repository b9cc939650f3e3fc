//! Impact analysis over the configuration graph: what is affected when a record fails, and what
//! a record relies on.
//!
//! An edge says "the dependent needs the dependency to work". Failure travels against that
//! arrow (from a dependency to everything that needs it), reliance travels with it.
//!
//! The core is [`Walk`], a breadth-first walk that is *fed* the edges next to its frontier one
//! level at a time instead of owning the graph, so a caller may also load a graph level by level
//! from storage; nothing here performs I/O. [`Graph`] is the in-memory graph the app layer keeps
//! per process (reading level by level from the database was ten times slower at 50,000
//! relationships); it drives the very same walk, so what the tests prove holds for both.
//!
//! Cycles and diamonds are ordinary in a CMDB (clustered services, shared infrastructure), so
//! every node is reported once, at its shortest distance, and the start is never reported, even
//! when a cycle leads back to it.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Hashing for node ids. A walk over a large CMDB is almost nothing but map lookups, and std's
/// SipHash was the largest single cost of a 50,000-edge walk; foldhash (hashbrown's own default)
/// is several times faster and still seeded per process, and ids are server-generated anyway.
type IdHashing = foldhash::fast::RandomState;

type IdMap<V> = HashMap<Uuid, V, IdHashing>;

/// Which way a walk follows edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Towards the records that need this one: what is affected when it fails.
    Dependents,
    /// Towards the records this one needs: what it relies on.
    Dependencies,
}

/// A node reached by a walk.
///
/// `depth` is the distance from the start (1 = direct neighbour). `via` is the neighbour one step
/// closer to the start through which the node was first reached, so a caller can explain the
/// impact as a shortest path; for depth 1 it is the start itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub node: Uuid,
    pub depth: u32,
    pub via: Uuid,
}

/// Depth and predecessor of a node the walk has seen; the start is kept here at depth 0 so a
/// cycle back to it needs no special case.
#[derive(Debug, Clone, Copy)]
struct Seen {
    depth: u32,
    via: Uuid,
}

/// A breadth-first walk fed one level at a time.
///
/// Drive it by loading the neighbours of [`Walk::frontier`] and passing them to
/// [`Walk::advance`] until [`Walk::is_done`].
#[derive(Debug, Clone)]
pub struct Walk {
    start: Uuid,
    max_depth: Option<u32>,
    /// Depth of the nodes in `frontier`.
    depth: u32,
    frontier: Vec<Uuid>,
    seen: IdMap<Seen>,
}

impl Walk {
    /// Starts a walk at `start`. `max_depth` of `None` is unlimited; `Some(1)` stops after the
    /// direct neighbours.
    pub fn new(start: Uuid, max_depth: Option<u32>) -> Self {
        let frontier = if max_depth == Some(0) { Vec::new() } else { vec![start] };
        Self {
            start,
            max_depth,
            depth: 0,
            frontier,
            seen: IdMap::from_iter([(start, Seen { depth: 0, via: start })]),
        }
    }

    pub fn start(&self) -> Uuid {
        self.start
    }

    /// Nodes whose neighbours must be loaded next; empty when the walk is finished, including
    /// once `max_depth` is reached.
    pub fn frontier(&self) -> &[Uuid] {
        &self.frontier
    }

    pub fn is_done(&self) -> bool {
        self.frontier.is_empty()
    }

    /// Feeds the neighbours of the current frontier as `(frontier node, neighbour)` pairs.
    ///
    /// The pairs come straight from a database query, so they may arrive in any order, repeat,
    /// or start at nodes outside the frontier; the latter are ignored rather than trusted, which
    /// keeps depths correct whatever the loader returns. Nodes not seen before become the next
    /// frontier; each records as `via` the smallest-id frontier node that reaches it, so the
    /// explanation does not depend on row order. An empty feed finishes the walk.
    pub fn advance(&mut self, pairs: impl IntoIterator<Item = (Uuid, Uuid)>) {
        if self.is_done() {
            return;
        }
        let next_depth = self.depth + 1;
        let mut next = Vec::new();
        // Rows usually arrive grouped by frontier node, so the membership answer for the previous
        // `from` is remembered; that halves the lookups of a typical feed.
        let mut last: Option<(Uuid, bool)> = None;
        for (from, to) in pairs {
            let in_frontier = match last {
                Some((node, answer)) if node == from => answer,
                _ => {
                    // Every node seen at the current depth is exactly the frontier, so one lookup
                    // both filters strays and avoids keeping a separate frontier set.
                    let answer = self.seen.get(&from).is_some_and(|s| s.depth == self.depth);
                    last = Some((from, answer));
                    answer
                }
            };
            if !in_frontier {
                continue;
            }
            match self.seen.entry(to) {
                Entry::Vacant(slot) => {
                    slot.insert(Seen { depth: next_depth, via: from });
                    next.push(to);
                }
                Entry::Occupied(mut slot) => {
                    let seen = slot.get_mut();
                    if seen.depth == next_depth && from < seen.via {
                        seen.via = from;
                    }
                }
            }
        }
        self.depth = next_depth;
        if self.max_depth.is_some_and(|max| next_depth >= max) {
            next.clear();
        }
        self.frontier = next;
    }

    /// All reached nodes, ordered by (depth, node id).
    pub fn reached(&self) -> Vec<Reached> {
        let mut reached: Vec<Reached> = self
            .seen
            .iter()
            .filter(|&(&node, _)| node != self.start)
            .map(|(&node, seen)| Reached { node, depth: seen.depth, via: seen.via })
            .collect();
        // Same order as `Uuid`'s own, but an integer compare instead of a byte-slice one.
        reached.sort_unstable_by_key(|r| (r.depth, r.node.as_u128()));
        reached
    }

    /// Number of reached nodes (the start is not counted).
    pub fn len(&self) -> usize {
        self.seen.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Both adjacency lists of one node, so either direction is a single lookup.
#[derive(Debug, Clone, Default)]
struct Adjacent {
    dependencies: Vec<Uuid>,
    dependents: Vec<Uuid>,
}

impl Adjacent {
    fn towards(&self, direction: Direction) -> &[Uuid] {
        match direction {
            Direction::Dependents => &self.dependents,
            Direction::Dependencies => &self.dependencies,
        }
    }
}

/// An in-memory dependency graph.
///
/// Duplicate edges are ignored, and so are self-loops: a record needing itself says nothing
/// about impact.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    adjacency: IdMap<Adjacent>,
    /// `(dependent, dependency)`; kept apart from the adjacency lists so those stay compact
    /// vectors, which are much faster to walk than per-node sets.
    edges: HashSet<(Uuid, Uuid), IdHashing>,
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `dependent` needs `dependency`.
    pub fn add_dependency(&mut self, dependent: Uuid, dependency: Uuid) {
        if dependent == dependency {
            return;
        }
        if self.edges.insert((dependent, dependency)) {
            self.adjacency.entry(dependent).or_default().dependencies.push(dependency);
            self.adjacency.entry(dependency).or_default().dependents.push(dependent);
        }
    }

    /// Neighbours of `node` in the given direction, sorted and deduplicated.
    pub fn neighbours(&self, node: Uuid, direction: Direction) -> Vec<Uuid> {
        let mut neighbours: Vec<Uuid> =
            self.adjacency.get(&node).map(|a| a.towards(direction).to_vec()).unwrap_or_default();
        neighbours.sort_unstable();
        neighbours
    }

    /// A full walk from `start` in `direction`.
    ///
    /// Deliberately driven through [`Walk`], level by level, exactly as the database-backed
    /// caller does, so the incremental walk is what the tests exercise.
    pub fn walk(&self, start: Uuid, direction: Direction, max_depth: Option<u32>) -> Vec<Reached> {
        let mut walk = Walk::new(start, max_depth);
        while !walk.is_done() {
            // The frontier is copied (one id per node) so the pairs can be streamed into
            // `advance` instead of collected (one pair per edge).
            let frontier = walk.frontier().to_vec();
            walk.advance(frontier.into_iter().flat_map(|from| {
                let neighbours = self.adjacency.get(&from).map_or(&[][..], |a| a.towards(direction));
                neighbours.iter().map(move |&to| (from, to))
            }));
        }
        walk.reached()
    }

    /// Every node reachable from any of `starts` in `direction` (the starts included).
    pub fn reachable_from(
        &self,
        starts: impl IntoIterator<Item = Uuid>,
        direction: Direction,
    ) -> HashSet<Uuid> {
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut frontier: Vec<Uuid> = starts.into_iter().filter(|s| seen.insert(*s)).collect();
        while let Some(node) = frontier.pop() {
            let neighbours = self.adjacency.get(&node).map_or(&[][..], |a| a.towards(direction));
            frontier.extend(neighbours.iter().copied().filter(|n| seen.insert(*n)));
        }
        seen
    }

    /// Nodes that take part in at least one edge.
    pub fn node_count(&self) -> usize {
        self.adjacency.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn graph(edges: &[(u128, u128)]) -> Graph {
        let mut g = Graph::new();
        for &(dependent, dependency) in edges {
            g.add_dependency(id(dependent), id(dependency));
        }
        g
    }

    fn r(node: u128, depth: u32, via: u128) -> Reached {
        Reached { node: id(node), depth, via: id(via) }
    }

    #[test]
    fn failure_of_a_dependency_affects_its_dependents_transitively() {
        // Application 1 runs on server 2, which sits in rack 3.
        let g = graph(&[(1, 2), (2, 3)]);
        assert_eq!(g.walk(id(3), Direction::Dependents, None), vec![r(2, 1, 3), r(1, 2, 2)]);
        assert_eq!(g.walk(id(1), Direction::Dependencies, None), vec![r(2, 1, 1), r(3, 2, 2)]);
        assert!(g.walk(id(1), Direction::Dependents, None).is_empty());
    }

    #[test]
    fn diamond_reports_each_node_once_at_shortest_depth() {
        // Service 1 needs 2 and 3, both of which need 4; 1 also needs 4 directly.
        let g = graph(&[(1, 2), (1, 3), (2, 4), (3, 4)]);
        assert_eq!(g.walk(id(4), Direction::Dependents, None), vec![r(2, 1, 4), r(3, 1, 4), r(1, 2, 2)]);
        let g = graph(&[(1, 2), (1, 3), (2, 4), (3, 4), (1, 4)]);
        assert_eq!(g.walk(id(4), Direction::Dependents, None), vec![r(1, 1, 4), r(2, 1, 4), r(3, 1, 4)]);
    }

    #[test]
    fn cycle_back_to_start_does_not_report_start() {
        let g = graph(&[(1, 2), (2, 3), (3, 1)]);
        for direction in [Direction::Dependents, Direction::Dependencies] {
            let reached = g.walk(id(1), direction, None);
            assert_eq!(reached.len(), 2);
            assert!(reached.iter().all(|r| r.node != id(1)));
        }
    }

    #[test]
    fn unknown_or_isolated_start_reaches_nothing() {
        let g = graph(&[(1, 2)]);
        assert!(g.walk(id(9), Direction::Dependents, None).is_empty());
        assert!(Graph::new().walk(id(1), Direction::Dependencies, None).is_empty());
    }

    #[test]
    fn max_depth_one_gives_direct_neighbours() {
        let g = graph(&[(1, 2), (2, 3), (3, 4), (1, 5)]);
        assert_eq!(g.walk(id(1), Direction::Dependencies, Some(1)), vec![r(2, 1, 1), r(5, 1, 1)]);
        assert_eq!(g.walk(id(1), Direction::Dependencies, Some(2)).len(), 3);
    }

    #[test]
    fn max_depth_zero_reaches_nothing_and_needs_no_loading() {
        let walk = Walk::new(id(1), Some(0));
        assert!(walk.is_done());
        assert!(walk.frontier().is_empty());
        assert!(walk.is_empty());
    }

    #[test]
    fn frontier_is_empty_once_max_depth_is_reached() {
        let mut walk = Walk::new(id(1), Some(1));
        assert_eq!(walk.frontier(), &[id(1)]);
        walk.advance([(id(1), id(2))]);
        assert!(walk.is_done());
        // Further feeds are ignored rather than extending past the limit.
        walk.advance([(id(2), id(3))]);
        assert_eq!(walk.reached(), vec![r(2, 1, 1)]);
    }

    #[test]
    fn pairs_from_outside_the_frontier_are_ignored() {
        let mut walk = Walk::new(id(1), None);
        walk.advance([(id(1), id(2)), (id(7), id(8)), (id(1), id(3))]);
        assert_eq!(walk.frontier().len(), 2);
        // 1 is no longer frontier, so its late pair must not put 9 at depth 2.
        walk.advance([(id(1), id(9)), (id(2), id(4)), (id(8), id(5))]);
        assert_eq!(walk.frontier(), &[id(4)]);
        assert_eq!(walk.reached(), vec![r(2, 1, 1), r(3, 1, 1), r(4, 2, 2)]);
    }

    #[test]
    fn empty_feed_finishes_the_walk() {
        let mut walk = Walk::new(id(1), None);
        walk.advance([(id(1), id(2))]);
        assert!(!walk.is_done());
        walk.advance([]);
        assert!(walk.is_done());
        assert_eq!(walk.len(), 1);
        assert_eq!(walk.start(), id(1));
    }

    #[test]
    fn duplicate_pairs_and_already_seen_neighbours_are_reported_once() {
        let mut walk = Walk::new(id(1), None);
        walk.advance([(id(1), id(2)), (id(1), id(2)), (id(1), id(1))]);
        assert_eq!(walk.frontier(), &[id(2)]);
        walk.advance([(id(2), id(1)), (id(2), id(2)), (id(2), id(3)), (id(2), id(3))]);
        assert_eq!(walk.frontier(), &[id(3)]);
        assert_eq!(walk.len(), 2);
    }

    #[test]
    fn via_is_the_smallest_frontier_node_whatever_the_feed_order() {
        let mut forward = Walk::new(id(1), None);
        forward.advance([(id(1), id(3)), (id(1), id(2))]);
        forward.advance([(id(3), id(4)), (id(2), id(4))]);
        let mut backward = Walk::new(id(1), None);
        backward.advance([(id(1), id(2)), (id(1), id(3))]);
        backward.advance([(id(2), id(4)), (id(3), id(4))]);
        assert_eq!(forward.reached(), backward.reached());
        assert_eq!(forward.reached()[2], r(4, 2, 2));
    }

    #[test]
    fn self_loops_and_duplicate_edges_are_ignored() {
        let g = graph(&[(1, 1), (1, 2), (1, 2), (2, 1)]);
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.node_count(), 2);
        assert_eq!(g.neighbours(id(1), Direction::Dependencies), vec![id(2)]);
        assert_eq!(graph(&[(5, 5)]).node_count(), 0);
    }

    #[test]
    fn neighbours_are_sorted_in_either_direction() {
        let g = graph(&[(1, 9), (1, 4), (1, 6), (3, 4), (2, 4)]);
        assert_eq!(g.neighbours(id(1), Direction::Dependencies), vec![id(4), id(6), id(9)]);
        assert_eq!(g.neighbours(id(4), Direction::Dependents), vec![id(1), id(2), id(3)]);
        assert!(g.neighbours(id(8), Direction::Dependents).is_empty());
    }

    #[test]
    fn long_chain_is_walked_without_recursion() {
        let edges: Vec<(u128, u128)> = (0..10_000).map(|n| (n, n + 1)).collect();
        let g = graph(&edges);
        let reached = g.walk(id(10_000), Direction::Dependents, None);
        assert_eq!(reached.len(), 10_000);
        assert_eq!(reached.last(), Some(&r(0, 10_000, 1)));
    }

    #[test]
    fn direction_serialises_in_snake_case() {
        assert_eq!(serde_json::to_string(&Direction::Dependents).ok().as_deref(), Some("\"dependents\""));
        let parsed: Result<Direction, _> = serde_json::from_str("\"dependencies\"");
        assert_eq!(parsed.ok(), Some(Direction::Dependencies));
    }

    /// A small graph as plain indices, so the references below can use `Vec` adjacency.
    /// Edges are `(dependent, dependency)`.
    #[derive(Debug, Clone)]
    struct Small {
        n: usize,
        edges: Vec<(usize, usize)>,
    }

    impl Small {
        fn graph(&self) -> Graph {
            let mut g = Graph::new();
            for &(a, b) in &self.edges {
                g.add_dependency(uid(a), uid(b));
            }
            g
        }

        /// Edges as seen when walking in `direction`: `(from, to)`.
        fn arcs(&self, direction: Direction) -> impl Iterator<Item = (usize, usize)> + '_ {
            self.edges.iter().map(move |&(a, b)| match direction {
                Direction::Dependencies => (a, b),
                Direction::Dependents => (b, a),
            })
        }

        /// Reference reachability: iterative DFS over a `Vec` adjacency.
        fn closure(&self, start: usize, direction: Direction) -> HashSet<Uuid> {
            let mut adjacency = vec![Vec::new(); self.n];
            for (from, to) in self.arcs(direction) {
                adjacency[from].push(to);
            }
            let mut visited = vec![false; self.n];
            let mut stack = vec![start];
            while let Some(node) = stack.pop() {
                for &next in &adjacency[node] {
                    if !visited[next] {
                        visited[next] = true;
                        stack.push(next);
                    }
                }
            }
            (0..self.n).filter(|&v| visited[v] && v != start).map(uid).collect()
        }

        /// Reference shortest distances: Floyd–Warshall, `dist[from][to]`.
        fn distances(&self, direction: Direction) -> Vec<Vec<Option<u32>>> {
            let mut dist = vec![vec![None; self.n]; self.n];
            for (from, to) in self.arcs(direction) {
                dist[from][to] = Some(1);
            }
            for k in 0..self.n {
                for i in 0..self.n {
                    for j in 0..self.n {
                        if let (Some(ik), Some(kj)) = (dist[i][k], dist[k][j])
                            && dist[i][j].is_none_or(|ij| ik + kj < ij)
                        {
                            dist[i][j] = Some(ik + kj);
                        }
                    }
                }
            }
            dist
        }
    }

    fn uid(n: usize) -> Uuid {
        Uuid::from_u128(n as u128)
    }

    fn index_of(node: Uuid) -> usize {
        usize::try_from(node.as_u128()).unwrap_or(usize::MAX)
    }

    const DIRECTIONS: [Direction; 2] = [Direction::Dependents, Direction::Dependencies];

    /// Arbitrary graphs with explicit self-loops and duplicated edges on top of random ones.
    fn random_graph() -> impl Strategy<Value = Small> {
        (1..=40usize)
            .prop_flat_map(|n| {
                (
                    Just(n),
                    prop::collection::vec((0..n, 0..n), 0..=120),
                    prop::collection::vec(0..n, 0..4),
                    prop::collection::vec(any::<Index>(), 0..10),
                )
            })
            .prop_map(|(n, mut edges, loops, duplicates)| {
                edges.extend(loops.into_iter().map(|v| (v, v)));
                if !edges.is_empty() {
                    let copies: Vec<_> = duplicates.iter().map(|i| edges[i.index(edges.len())]).collect();
                    edges.extend(copies);
                }
                Small { n, edges }
            })
    }

    /// Layered DAGs (edges only point to deeper layers, which produces many diamonds) plus a
    /// few back edges that close cycles across layers.
    fn layered_dag() -> impl Strategy<Value = Small> {
        prop::collection::vec(1..=7usize, 2..=6)
            .prop_flat_map(|widths| {
                let n = widths.iter().sum::<usize>();
                (
                    Just(widths),
                    prop::collection::vec((0..n, 0..n), 0..=100),
                    prop::collection::vec((0..n, 0..n), 0..=4),
                )
            })
            .prop_map(|(widths, forward, back)| {
                let layer: Vec<usize> =
                    widths.iter().enumerate().flat_map(|(l, &w)| std::iter::repeat_n(l, w)).collect();
                let oriented = |(a, b): (usize, usize), deeper: bool| {
                    if layer[a] == layer[b] {
                        None
                    } else if (layer[a] < layer[b]) == deeper {
                        Some((a, b))
                    } else {
                        Some((b, a))
                    }
                };
                let mut edges: Vec<_> = forward.into_iter().filter_map(|e| oriented(e, true)).collect();
                edges.extend(back.into_iter().filter_map(|e| oriented(e, false)));
                Small { n: layer.len(), edges }
            })
    }

    fn any_graph() -> impl Strategy<Value = Small> {
        prop_oneof![random_graph(), layered_dag()]
    }

    /// A tiny deterministic shuffle, so feed order can vary without another dependency.
    fn shuffle<T>(items: &mut [T], mut seed: u64) {
        for i in (1..items.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let j = usize::try_from(seed % (i as u64 + 1)).unwrap_or(0);
            items.swap(i, j);
        }
    }

    proptest! {
        #[test]
        fn reached_set_is_the_transitive_closure_minus_the_start(g in any_graph()) {
            let graph = g.graph();
            for direction in DIRECTIONS {
                for start in 0..g.n {
                    let reached: HashSet<Uuid> =
                        graph.walk(uid(start), direction, None).iter().map(|r| r.node).collect();
                    prop_assert_eq!(reached, g.closure(start, direction));
                }
            }
        }

        #[test]
        fn reachable_from_many_is_the_union_of_their_closures(g in any_graph(), picks in proptest::collection::vec(any::<Index>(), 0..4)) {
            let graph = g.graph();
            let starts: Vec<usize> = picks.iter().map(|p| p.index(g.n.max(1))).filter(|s| *s < g.n).collect();
            for direction in DIRECTIONS {
                let mut expected: HashSet<Uuid> = starts.iter().map(|s| uid(*s)).collect();
                for s in &starts {
                    expected.extend(g.closure(*s, direction));
                }
                prop_assert_eq!(graph.reachable_from(starts.iter().map(|s| uid(*s)), direction), expected);
            }
        }

        #[test]
        fn depths_are_shortest_path_lengths_and_each_node_appears_once(g in any_graph()) {
            let graph = g.graph();
            for direction in DIRECTIONS {
                for (start, distance_from_start) in g.distances(direction).iter().enumerate() {
                    let reached = graph.walk(uid(start), direction, None);
                    let unique: HashSet<Uuid> = reached.iter().map(|r| r.node).collect();
                    prop_assert_eq!(unique.len(), reached.len());
                    prop_assert!(reached.windows(2).all(|w| (w[0].depth, w[0].node) < (w[1].depth, w[1].node)));
                    for r in &reached {
                        prop_assert_eq!(Some(r.depth), distance_from_start[index_of(r.node)]);
                    }
                }
            }
        }

        #[test]
        fn via_is_the_smallest_adjacent_node_one_step_closer(g in any_graph()) {
            let graph = g.graph();
            for direction in DIRECTIONS {
                for start in 0..g.n {
                    let reached = graph.walk(uid(start), direction, None);
                    let mut depth_of: HashMap<Uuid, u32> = reached.iter().map(|r| (r.node, r.depth)).collect();
                    depth_of.insert(uid(start), 0);
                    for r in &reached {
                        let closer: Vec<Uuid> = g
                            .arcs(direction)
                            .filter(|&(_, to)| uid(to) == r.node)
                            .map(|(from, _)| uid(from))
                            .filter(|from| depth_of.get(from) == Some(&(r.depth - 1)))
                            .collect();
                        prop_assert_eq!(closer.iter().min(), Some(&r.via));
                        if r.depth == 1 {
                            prop_assert_eq!(r.via, uid(start));
                        }
                    }
                }
            }
        }

        #[test]
        fn dependents_and_dependencies_are_dual(g in any_graph()) {
            let graph = g.graph();
            let walks = |direction| -> Vec<HashSet<Uuid>> {
                (0..g.n).map(|v| graph.walk(uid(v), direction, None).iter().map(|r| r.node).collect()).collect()
            };
            let affected = walks(Direction::Dependents);
            let relied_on = walks(Direction::Dependencies);
            for (a, affected_by_a) in affected.iter().enumerate() {
                for (b, relied_on_by_b) in relied_on.iter().enumerate() {
                    prop_assert_eq!(affected_by_a.contains(&uid(b)), relied_on_by_b.contains(&uid(a)));
                }
            }
        }

        #[test]
        fn max_depth_truncates_the_unlimited_walk(g in any_graph(), k in 0u32..6) {
            let graph = g.graph();
            for direction in DIRECTIONS {
                for start in 0..g.n {
                    let mut expected = graph.walk(uid(start), direction, None);
                    expected.retain(|r| r.depth <= k);
                    prop_assert_eq!(graph.walk(uid(start), direction, Some(k)), expected);
                }
            }
        }

        /// The database hands over rows in no particular order and may include stale or
        /// repeated rows; the walk must come out the same as the tidy in-memory feed.
        #[test]
        fn feed_order_duplicates_and_strays_do_not_change_the_walk(
            g in any_graph(),
            start in any::<Index>(),
            seed in any::<u64>(),
        ) {
            let graph = g.graph();
            let start = start.index(g.n);
            for direction in DIRECTIONS {
                let mut walk = Walk::new(uid(start), None);
                let mut rounds = 0;
                while !walk.is_done() {
                    // Every edge of the graph, twice, shuffled: most pairs are not from the frontier.
                    let mut pairs: Vec<(Uuid, Uuid)> =
                        g.arcs(direction).chain(g.arcs(direction)).map(|(a, b)| (uid(a), uid(b))).collect();
                    shuffle(&mut pairs, seed ^ rounds);
                    walk.advance(pairs);
                    rounds += 1;
                }
                prop_assert_eq!(walk.reached(), graph.walk(uid(start), direction, None));
            }
        }
    }
}
