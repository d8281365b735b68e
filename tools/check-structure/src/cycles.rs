//! Module cycles: the references between a crate's modules, collapsed to the granularity the
//! checker judges (see the crate documentation), and every strongly connected set of two or more
//! of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::modules::{ModPath, Tree};
use crate::paths::Reference;

/// A set of modules each of which reaches every other.
pub struct Cycle {
    /// The modules, by name (`library`, `emulate::xnu`).
    pub members: Vec<String>,
    /// One way round it, first member first and last.
    pub path: Vec<String>,
    /// For each step between members, the first reference that makes it.
    pub evidence: Vec<(String, String, String)>,
}

/// The unit the checker judges a module as: its top-level module under the crate root, or, in a
/// top-level directory module (`emulate/`), that directory's child (`emulate::xnu`; deeper
/// modules count as it: `emulate::libsystem::stdio` is `emulate::libsystem`).
pub fn unit(tree: &Tree, path: &[String]) -> ModPath {
    match path {
        [] => Vec::new(),
        [top, child, ..]
            if tree
                .modules
                .get(&vec![top.clone()])
                .is_some_and(|m| m.directory) =>
        {
            vec![top.clone(), child.clone()]
        }
        [top, ..] => vec![top.clone()],
    }
}

/// A unit's name as the report writes it (`crate` for the root).
pub fn name(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_string()
    } else {
        path.join("::")
    }
}

/// The cycles among `tree`'s units. A unit's references to the units nested in it, and theirs to
/// it, are not edges: a directory module's own file (and the crate root) is the facade and the
/// shared ground of what is under it, not a peer.
pub fn cycles(tree: &Tree, refs: &[Reference]) -> Vec<Cycle> {
    let edges = graph(tree, refs);
    let nodes: BTreeSet<ModPath> = edges
        .iter()
        .flat_map(|(f, ts)| std::iter::once(f.clone()).chain(ts.keys().cloned()))
        .collect();
    strongly_connected(&nodes, &edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|members| describe(&members, &edges))
        .collect()
}

/// The edges between units: for each unit, the units it reaches and the first reference that
/// makes each edge (`file:line path`).
pub fn graph(tree: &Tree, refs: &[Reference]) -> BTreeMap<ModPath, BTreeMap<ModPath, String>> {
    let mut edges: BTreeMap<ModPath, BTreeMap<ModPath, String>> = BTreeMap::new();
    for r in refs {
        let (from, to) = (unit(tree, &r.from), unit(tree, &r.to));
        if from.starts_with(&to) || to.starts_with(&from) {
            continue;
        }
        let at = format!("{}:{} {}", r.file.display(), r.line, r.text);
        edges.entry(from).or_default().entry(to).or_insert(at);
    }
    edges
}

/// Tarjan's algorithm: the strongly connected components of the graph.
fn strongly_connected(
    nodes: &BTreeSet<ModPath>,
    edges: &BTreeMap<ModPath, BTreeMap<ModPath, String>>,
) -> Vec<BTreeSet<ModPath>> {
    struct State<'a> {
        edges: &'a BTreeMap<ModPath, BTreeMap<ModPath, String>>,
        index: BTreeMap<ModPath, usize>,
        low: BTreeMap<ModPath, usize>,
        stack: Vec<ModPath>,
        on_stack: BTreeSet<ModPath>,
        out: Vec<BTreeSet<ModPath>>,
    }
    fn visit(s: &mut State<'_>, v: &ModPath) {
        let i = s.index.len();
        s.index.insert(v.clone(), i);
        s.low.insert(v.clone(), i);
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let next: Vec<ModPath> = s
            .edges
            .get(v)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for w in next {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[v].min(s.low[&w]);
                s.low.insert(v.clone(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[v].min(s.index[&w]);
                s.low.insert(v.clone(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = &w == v;
                component.insert(w);
                if done {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// A component's members, one shortest way round from its first member, and the references
/// behind every edge inside it.
fn describe(
    members: &BTreeSet<ModPath>,
    edges: &BTreeMap<ModPath, BTreeMap<ModPath, String>>,
) -> Cycle {
    let inside = |v: &ModPath| -> Vec<ModPath> {
        edges
            .get(v)
            .map(|m| m.keys().filter(|w| members.contains(*w)).cloned().collect())
            .unwrap_or_default()
    };
    // Breadth-first from the first member back to it.
    let start = members
        .iter()
        .next()
        .expect("a component has members")
        .clone();
    let mut came_from: BTreeMap<ModPath, ModPath> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    let mut closing = None;
    while let Some(v) = queue.pop_front() {
        for w in inside(&v) {
            if w == start {
                closing = Some(v.clone());
                break;
            }
            if !came_from.contains_key(&w) {
                came_from.insert(w.clone(), v.clone());
                queue.push_back(w);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let mut path = vec![name(&start)];
    if let Some(mut v) = closing {
        let mut back = vec![name(&v)];
        while v != start {
            v = came_from[&v].clone();
            if v != start {
                back.push(name(&v));
            }
        }
        path.extend(back.into_iter().rev());
        path.push(name(&start));
    }
    let mut evidence = Vec::new();
    for v in members {
        for w in inside(v) {
            evidence.push((name(v), name(&w), edges[v][&w].clone()));
        }
    }
    Cycle {
        members: members.iter().map(|m| name(m)).collect(),
        path,
        evidence,
    }
}
