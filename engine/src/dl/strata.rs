//! The dependency graph of a program's relations, its strongly connected components, and
//! stratification.
//!
//! A rule `h :- ..., b, ...` makes `h` depend on `b`: positively for a positive atom,
//! negatively for a negated atom or an atom inside an aggregate body (the aggregate needs `b`
//! complete). The components, in an order where every component comes after the ones it
//! depends on, are the strata the interpreter evaluates one after the other. A negative edge
//! inside a component makes the program unstratifiable ([`codes::UNSTRATIFIABLE`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::ast::{Literal, Program, Term};
use super::error::{codes, DlError, Span};

/// One dependency `head -> body`.
struct Edge {
    head: usize,
    body: usize,
    negative: bool,
    /// The negated literal or aggregate (for negative edges), or the atom.
    span: Span,
    /// `true` when the edge comes from an aggregate body.
    aggregate: bool,
}

/// The strata of a program: relation names grouped into strongly connected components, in
/// evaluation order; names sorted within a stratum.
#[derive(Debug, Default)]
pub struct Strata {
    /// The components, dependencies first.
    pub components: Vec<Vec<String>>,
}

/// Computes the strata of `program` and the stratification errors (negation or aggregation
/// inside a cycle), sorted by position. The order is the same whatever the order of the
/// program's rules.
pub fn stratify(program: &Program) -> (Strata, Vec<DlError>) {
    let mut names = BTreeSet::new();
    for decl in program.decls() {
        names.insert(decl.name.name.as_str());
    }
    for rule in program.rules() {
        names.insert(rule.head.name.name.as_str());
        collect_names(&rule.body, &mut names);
    }
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let names: Vec<&str> = names.into_iter().collect();

    let mut edges = Vec::new();
    for rule in program.rules() {
        let Some(&head) = index.get(rule.head.name.name.as_str()) else {
            continue;
        };
        collect_edges(&rule.body, head, None, &index, &mut edges);
    }
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for e in &edges {
        if let Some(list) = adjacency.get_mut(e.head) {
            list.push(e.body);
        }
    }
    for list in &mut adjacency {
        list.sort_unstable();
        list.dedup();
    }

    let components = tarjan(&adjacency);
    let mut component_of = vec![0usize; names.len()];
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            if let Some(slot) = component_of.get_mut(m) {
                *slot = c;
            }
        }
    }

    let mut errors = Vec::new();
    for e in edges.iter().filter(|e| e.negative) {
        if component_of.get(e.head) != component_of.get(e.body) {
            continue;
        }
        let head = names.get(e.head).copied().unwrap_or("");
        let body = names.get(e.body).copied().unwrap_or("");
        let path = cycle_path(&adjacency, &component_of, e.body, e.head);
        let step = if e.aggregate {
            format!("(aggregate) {body}")
        } else {
            format!("!{body}")
        };
        let mut cycle = vec![head.to_owned(), step];
        cycle.extend(
            path.iter()
                .skip(1)
                .map(|&n| names.get(n).copied().unwrap_or("").to_owned()),
        );
        if path.len() <= 1 {
            cycle.push(head.to_owned());
        }
        let how = if e.aggregate {
            "an aggregate over"
        } else {
            "the negation of"
        };
        let message = if head == body {
            format!("`{head}` depends on {how} itself")
        } else {
            format!("`{head}` depends on {how} `{body}`, which depends on `{head}`")
        };
        errors.push(
            DlError::new(codes::UNSTRATIFIABLE, message)
                .with_span(e.span)
                .with_file(program.file_name(e.span.file))
                .with_label(if e.aggregate {
                    "aggregate inside a recursive cycle"
                } else {
                    "negation inside a recursive cycle"
                })
                .with_help(format!(
                    "the cycle is `{}`; a relation cannot depend on its own negation or \
                     aggregate: break the cycle, or compute `{body}` without `{head}`",
                    cycle.join(" -> ")
                )),
        );
    }
    errors.sort_by_key(|e| e.span().map(|s| (s.file, s.start, s.end)));

    let components = components
        .into_iter()
        .map(|members| {
            let mut names: Vec<String> = members
                .into_iter()
                .filter_map(|m| names.get(m).map(|n| (*n).to_owned()))
                .collect();
            names.sort();
            names
        })
        .collect();
    (Strata { components }, errors)
}

fn collect_names<'p>(body: &'p [Literal], names: &mut BTreeSet<&'p str>) {
    for literal in body {
        match literal {
            Literal::Atom(a) | Literal::Negated { atom: a, .. } => {
                names.insert(a.name.name.as_str());
                a.args.iter().for_each(|t| term_names(t, names));
            }
            Literal::Constraint(c) => {
                term_names(&c.left, names);
                term_names(&c.right, names);
            }
            Literal::Call(c) => c.args.iter().for_each(|t| term_names(t, names)),
        }
    }
}

fn term_names<'p>(term: &'p Term, names: &mut BTreeSet<&'p str>) {
    match term {
        Term::Var(_) | Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
        Term::Neg { operand, .. } => term_names(operand, names),
        Term::Binary { left, right, .. } => {
            term_names(left, names);
            term_names(right, names);
        }
        Term::Call(c) => c.args.iter().for_each(|t| term_names(t, names)),
        Term::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                term_names(t, names);
            }
            collect_names(&agg.body, names);
        }
    }
}

/// Edges from `head` to the relations of `body`; `aggregate` is the span of the enclosing
/// aggregate, if any (then every edge is negative).
fn collect_edges(
    body: &[Literal],
    head: usize,
    aggregate: Option<Span>,
    index: &BTreeMap<&str, usize>,
    edges: &mut Vec<Edge>,
) {
    let push = |name: &str, negative: bool, span: Span, edges: &mut Vec<Edge>| {
        if let Some(&b) = index.get(name) {
            edges.push(Edge {
                head,
                body: b,
                negative: negative || aggregate.is_some(),
                span: aggregate.unwrap_or(span),
                aggregate: aggregate.is_some(),
            });
        }
    };
    for literal in body {
        match literal {
            Literal::Atom(a) => {
                push(&a.name.name, false, a.span, edges);
                for t in &a.args {
                    term_edges(t, head, index, edges);
                }
            }
            Literal::Negated { atom, span } => {
                push(&atom.name.name, true, *span, edges);
                for t in &atom.args {
                    term_edges(t, head, index, edges);
                }
            }
            Literal::Constraint(c) => {
                term_edges(&c.left, head, index, edges);
                term_edges(&c.right, head, index, edges);
            }
            Literal::Call(c) => c
                .args
                .iter()
                .for_each(|t| term_edges(t, head, index, edges)),
        }
    }
}

fn term_edges(term: &Term, head: usize, index: &BTreeMap<&str, usize>, edges: &mut Vec<Edge>) {
    match term {
        Term::Var(_) | Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
        Term::Neg { operand, .. } => term_edges(operand, head, index, edges),
        Term::Binary { left, right, .. } => {
            term_edges(left, head, index, edges);
            term_edges(right, head, index, edges);
        }
        Term::Call(c) => c
            .args
            .iter()
            .for_each(|t| term_edges(t, head, index, edges)),
        Term::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                term_edges(t, head, index, edges);
            }
            collect_edges(&agg.body, head, Some(agg.span), index, edges);
        }
    }
}

/// Tarjan's algorithm. Returns the components so that each comes after every component it
/// has an edge to.
fn tarjan(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        adjacency: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }

    fn visit(s: &mut State<'_>, v: usize) {
        if let Some(slot) = s.index.get_mut(v) {
            *slot = Some(s.next);
        }
        if let Some(slot) = s.low.get_mut(v) {
            *slot = s.next;
        }
        s.next += 1;
        s.stack.push(v);
        if let Some(slot) = s.on_stack.get_mut(v) {
            *slot = true;
        }
        let successors = s.adjacency.get(v).cloned().unwrap_or_default();
        for w in successors {
            match s.index.get(w).copied().flatten() {
                None => {
                    visit(s, w);
                    let lw = s.low.get(w).copied().unwrap_or(usize::MAX);
                    if let Some(lv) = s.low.get_mut(v) {
                        *lv = (*lv).min(lw);
                    }
                }
                Some(iw) if s.on_stack.get(w).copied().unwrap_or(false) => {
                    if let Some(lv) = s.low.get_mut(v) {
                        *lv = (*lv).min(iw);
                    }
                }
                Some(_) => {}
            }
        }
        if s.low.get(v) == s.index.get(v).copied().flatten().as_ref() {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                if let Some(slot) = s.on_stack.get_mut(w) {
                    *slot = false;
                }
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort_unstable();
            s.components.push(component);
        }
    }

    let n = adjacency.len();
    let mut state = State {
        adjacency,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if state.index.get(v).copied().flatten().is_none() {
            visit(&mut state, v);
        }
    }
    state.components
}

/// A shortest path `from -> ... -> to` inside one component (both ends included).
fn cycle_path(
    adjacency: &[Vec<usize>],
    component_of: &[usize],
    from: usize,
    to: usize,
) -> Vec<usize> {
    let component = component_of.get(from).copied();
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(v) = queue.pop_front() {
        if v == to {
            let mut path = vec![v];
            let mut at = v;
            while let Some(&p) = previous.get(&at) {
                path.push(p);
                at = p;
            }
            path.reverse();
            return path;
        }
        for &w in adjacency.get(v).map_or(&[][..], Vec::as_slice) {
            if component_of.get(w).copied() == component && seen.insert(w) {
                previous.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    vec![from]
}
