//! A semi-naive interpreter with stratified negation for the whole `.dl` language.
//!
//! [`evaluate`] runs a checked [`Program`] over a [`Database`] of interned tuples:
//!
//! - **Strata.** Relations are grouped into strongly connected components of the dependency
//!   graph ([`super::strata`]) and evaluated dependencies first. A negated atom or an
//!   aggregate only reads relations of earlier strata, which are complete by then.
//! - **Semi-naive.** Within a stratum, rules whose body reads no relation of the stratum run
//!   once. Then each recursive rule runs once per body atom of the stratum ("variant"): that
//!   atom reads only the tuples new in the last iteration (the delta), the atoms before it only
//!   the tuples known before the last iteration, and the atoms after it every known tuple; so
//!   each derivation is found once, in the first iteration where all its premises exist.
//!   Tuples are appended to a relation in order, so old / delta / known are index ranges.
//! - **Join order and indexes.** Each body is planned once per variant: filters, assignments,
//!   negations and calls go right after the literal that binds their last variable; among the
//!   atoms that can go next, the one with the most bound columns (constants and variables
//!   already bound) goes first, the delta atom of a variant always first. Each atom is looked up
//!   in a hash index on exactly its bound columns; indexes are built on first use per
//!   (relation, column set) and kept up to date as tuples are added.
//! - **Values.** Symbols ([`Sym`], compared by string through the [`Interner`]) and 64-bit
//!   integers. Arithmetic overflow, division or remainder by zero, a failed `to_number` and
//!   operations on the wrong kind of value make the rule instance not fire.
//! - **Builtins.** `cat` (strings and integers), `strlen` (characters), `substr(s, start,
//!   length)` (in characters, clamped to the string), `ord` (the code point of the first
//!   character; an integer is its own `ord`), `to_number`, `to_string`, `min` / `max` (of
//!   integers, or of symbols by string order). `match(glob, s)`: `glob` matches all of `s`,
//!   `*` any run of characters, `?` one character, case-sensitive (Soufflé's `match` takes a
//!   regex; this one does not). `contains(sub, s)`: `sub` is a substring of `s`.
//! - **Aggregates.** `count : { body }`, `sum x`, `min x`, `max x`, `mean x` (integer mean,
//!   rounded toward zero) over the solutions of the body; variables of the body that are bound
//!   outside it group the aggregate. `count` and `sum` of nothing are 0; `min`, `max` and `mean`
//!   of nothing do not fire.
//! - **Limits.** The run ends with [`codes::FACT_LIMIT`] or [`codes::TIME_LIMIT`] when
//!   [`Limits`] are reached; the database then holds a partial result the caller discards.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;
use std::time::{Duration, Instant};

use super::ast::{AggKind, ArithOp, Atom, CmpOp, Literal, Program, Rule, Term};
use super::check::check;
use super::error::{codes, DlError, Span};
use super::strata::stratify;
use crate::ids::{Interner, Sym};

/// A value in a tuple: an interned symbol or an integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Value {
    Sym(Sym),
    Int(i64),
}

type Tuple = Vec<Value>;
/// Tuple ids (positions in a [`Relation`]) by the values of some columns, ascending.
type Index = HashMap<Vec<Value>, Vec<u32>>;

/// One relation's tuples. Each tuple's values are stored once, `arity` at a time in one vector,
/// and the set of tuples holds only their positions (hashed by their values): a whole-org
/// table of millions of rows takes a third of the memory of a vector per tuple kept in a list
/// and again in a set.
#[derive(Clone, Debug, Default)]
struct Relation {
    arity: usize,
    /// Every tuple's values, in insertion order (semi-naive ranges are tuple positions).
    values: Vec<Value>,
    /// The number of tuples (a relation of arity 0 holds at most one, with no values).
    len: usize,
    /// The tuples' positions, by the hash of their values.
    set: hashbrown::HashTable<u32>,
    /// Indexes by bound column set.
    indexes: HashMap<Vec<usize>, Index>,
}

fn project(tuple: &[Value], cols: &[usize]) -> Vec<Value> {
    cols.iter().filter_map(|&c| tuple.get(c).copied()).collect()
}

fn tuple_id(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

fn tuple_hash(tuple: &[Value]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(tuple)
}

/// Tuple `id` of `values`, `arity` values per tuple.
fn tuple_at(values: &[Value], arity: usize, id: usize) -> &[Value] {
    values.get(id * arity..(id + 1) * arity).unwrap_or_default()
}

impl Relation {
    fn new(arity: usize) -> Relation {
        Relation {
            arity,
            ..Relation::default()
        }
    }

    /// Tuple `id`, if there is one.
    fn tuple(&self, id: usize) -> Option<&[Value]> {
        (id < self.len).then(|| tuple_at(&self.values, self.arity, id))
    }

    /// Every tuple, in insertion order.
    fn tuples(&self) -> impl Iterator<Item = &[Value]> {
        (0..self.len).map(|id| tuple_at(&self.values, self.arity, id))
    }

    fn contains(&self, tuple: &[Value]) -> bool {
        let (values, arity) = (&self.values, self.arity);
        self.set
            .find(tuple_hash(tuple), |&id| {
                tuple_at(values, arity, id as usize) == tuple
            })
            .is_some()
    }

    /// Adds `tuple` unless present or of the wrong arity; true when added.
    fn insert(&mut self, tuple: &[Value]) -> bool {
        if tuple.len() != self.arity || self.contains(tuple) {
            return false;
        }
        let id = tuple_id(self.len);
        for (cols, index) in &mut self.indexes {
            index.entry(project(tuple, cols)).or_default().push(id);
        }
        self.values.extend_from_slice(tuple);
        self.len += 1;
        let (values, arity) = (&self.values, self.arity);
        self.set.insert_unique(tuple_hash(tuple), id, |&i| {
            tuple_hash(tuple_at(values, arity, i as usize))
        });
        true
    }

    fn ensure_index(&mut self, cols: &[usize]) {
        if cols.is_empty() || self.indexes.contains_key(cols) {
            return;
        }
        let mut index = Index::default();
        for (i, t) in self.tuples().enumerate() {
            index.entry(project(t, cols)).or_default().push(tuple_id(i));
        }
        self.indexes.insert(cols.to_vec(), index);
    }
}

/// Relations by name, each a set of tuples of [`Value`]s.
#[derive(Clone, Debug, Default)]
pub struct Database {
    relations: Vec<Relation>,
    names: BTreeMap<String, usize>,
}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    fn create(&mut self, name: &str, arity: usize) -> usize {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.relations.len();
        self.relations.push(Relation::new(arity));
        self.names.insert(name.to_owned(), id);
        id
    }

    /// Adds rows to a relation (created with the arity of the first row if missing); returns
    /// how many were new. Rows of another arity than the relation's are skipped.
    pub fn insert(&mut self, name: &str, rows: impl IntoIterator<Item = Vec<Value>>) -> usize {
        let mut rows = rows.into_iter().peekable();
        let Some(first) = rows.peek() else {
            return 0;
        };
        let id = self.create(name, first.len());
        let Some(relation) = self.relations.get_mut(id) else {
            return 0;
        };
        rows.filter(|row| relation.insert(row)).count()
    }

    /// The relation's rows, sorted by [`Value`] order (symbols by id, not by string); empty
    /// for an unknown relation.
    pub fn rows(&self, name: &str) -> Vec<Vec<Value>> {
        let mut rows: Vec<Vec<Value>> = self
            .relation(name)
            .map(|r| r.tuples().map(<[Value]>::to_vec).collect())
            .unwrap_or_default();
        rows.sort_unstable();
        rows
    }

    /// The number of rows of a relation (0 for an unknown relation).
    pub fn len(&self, name: &str) -> usize {
        self.relation(name).map_or(0, |r| r.len)
    }

    /// The number of rows of every relation together.
    pub fn total_facts(&self) -> usize {
        self.relations.iter().map(|r| r.len).sum()
    }

    /// The names of the relations, sorted.
    pub fn relation_names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    fn relation(&self, name: &str) -> Option<&Relation> {
        self.names.get(name).and_then(|&id| self.relations.get(id))
    }
}

/// Run limits: evaluation stops with an error beyond them.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The most tuples the database may hold (inputs included).
    pub max_facts: usize,
    /// The longest evaluation may run.
    pub max_time: Duration,
}

impl Default for Limits {
    /// 50 million facts, 60 seconds.
    fn default() -> Self {
        Limits {
            max_facts: 50_000_000,
            max_time: Duration::from_secs(60),
        }
    }
}

/// What an evaluation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalStats {
    /// Strata with at least one rule or fact.
    pub strata: usize,
    /// Rounds over the rules of a stratum: one for its non-recursive rules plus one per
    /// semi-naive iteration, summed over strata.
    pub iterations: usize,
    /// Tuples added to the database.
    pub derived: usize,
}

// ---- compiled rules ----

/// A builtin function.
#[derive(Clone, Copy, Debug)]
enum Func {
    Cat,
    Strlen,
    Substr,
    Ord,
    ToNumber,
    ToString,
    Min,
    Max,
}

impl Func {
    fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "cat" => Func::Cat,
            "strlen" => Func::Strlen,
            "substr" => Func::Substr,
            "ord" => Func::Ord,
            "to_number" => Func::ToNumber,
            "to_string" => Func::ToString,
            "min" => Func::Min,
            "max" => Func::Max,
            _ => return None,
        })
    }
}

#[derive(Debug)]
enum CTerm {
    Const(Value),
    Var(usize),
    Neg(Box<CTerm>),
    Bin(ArithOp, Box<CTerm>, Box<CTerm>),
    Call(Func, Vec<CTerm>),
    Agg(Box<CAgg>),
}

#[derive(Debug)]
struct CAgg {
    kind: AggKind,
    target: Option<CTerm>,
    steps: Vec<Step>,
}

/// Which tuples of a relation an atom reads (see the module notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Known,
    Old,
    Delta,
}

#[derive(Clone, Copy, Debug)]
enum Pred {
    Match,
    Contains,
}

#[derive(Debug)]
enum Step {
    /// For each tuple of `rel` whose `key_cols` equal `key`: bind `binds` (column, slot), and
    /// require the columns of each `same` pair to be equal.
    Scan {
        rel: usize,
        source: Source,
        key_cols: Vec<usize>,
        key: Vec<CTerm>,
        binds: Vec<(usize, usize)>,
        same: Vec<(usize, usize)>,
    },
    /// No tuple of `rel` has `key` in `key_cols`.
    NotExists {
        rel: usize,
        key_cols: Vec<usize>,
        key: Vec<CTerm>,
    },
    Filter {
        op: CmpOp,
        left: CTerm,
        right: CTerm,
    },
    Assign {
        slot: usize,
        term: CTerm,
    },
    Pred {
        pred: Pred,
        args: Vec<CTerm>,
    },
}

/// One rule (or one semi-naive variant of it), planned.
#[derive(Debug)]
struct Plan {
    steps: Vec<Step>,
    head_rel: usize,
    head: Vec<CTerm>,
    slots: usize,
    /// For a variant, the relation whose delta it reads.
    delta_rel: Option<usize>,
}

fn error_at(program: &Program, code: &'static str, message: String, span: Span) -> DlError {
    DlError::new(code, message)
        .with_span(span)
        .with_file(program.file_name(span.file))
}

/// Plans the rules of one program.
struct Planner<'p, 'i> {
    program: &'p Program,
    names: &'p BTreeMap<String, usize>,
    interner: &'i mut Interner,
}

/// Per-rule planning state.
struct RuleScope {
    slots: BTreeMap<String, usize>,
    /// Variables occurring outside every aggregate: an aggregate needs those of its variables
    /// bound before it runs (they group it).
    outer: BTreeSet<String>,
}

impl RuleScope {
    fn slot(&mut self, name: &str) -> usize {
        let next = self.slots.len();
        *self.slots.entry(name.to_owned()).or_insert(next)
    }
}

/// Variables a term needs bound before it can be evaluated.
fn needed_vars(term: &Term, outer: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match term {
        Term::Var(v) => {
            out.insert(v.name.clone());
        }
        Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
        Term::Neg { operand, .. } => needed_vars(operand, outer, out),
        Term::Binary { left, right, .. } => {
            needed_vars(left, outer, out);
            needed_vars(right, outer, out);
        }
        Term::Call(c) => c.args.iter().for_each(|a| needed_vars(a, outer, out)),
        Term::Aggregate(agg) => {
            let mut inner = BTreeSet::new();
            if let Some(t) = &agg.target {
                needed_vars(t, outer, &mut inner);
            }
            for literal in &agg.body {
                literal_vars(literal, outer, &mut inner);
            }
            out.extend(inner.into_iter().filter(|v| outer.contains(v)));
        }
    }
}

fn literal_vars(literal: &Literal, outer: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    match literal {
        Literal::Atom(a) | Literal::Negated { atom: a, .. } => {
            a.args.iter().for_each(|t| needed_vars(t, outer, out))
        }
        Literal::Constraint(c) => {
            needed_vars(&c.left, outer, out);
            needed_vars(&c.right, outer, out);
        }
        Literal::Call(c) => c.args.iter().for_each(|t| needed_vars(t, outer, out)),
    }
}

/// Variables outside aggregates.
fn outer_vars(term: &Term, out: &mut BTreeSet<String>) {
    let mut vars = Vec::new();
    term.vars(&mut vars);
    out.extend(vars.into_iter().map(|v| v.name.clone()));
}

impl Planner<'_, '_> {
    fn relation(&self, atom: &Atom) -> Result<usize, DlError> {
        self.names
            .get(atom.name.name.as_str())
            .copied()
            .ok_or_else(|| {
                error_at(
                    self.program,
                    codes::UNKNOWN_RELATION,
                    format!("unknown relation `{}`", atom.name.name),
                    atom.name.span,
                )
            })
    }

    fn unplannable(&self, span: Span, what: String) -> DlError {
        error_at(self.program, codes::UNPLANNABLE_RULE, what, span)
            .with_label("cannot be evaluated here")
            .with_help("bind every variable in a positive atom of the rule")
    }

    /// Plans `rule`; `delta` is the body position of the atom that reads the delta (and the
    /// sources of the other atoms), or `None` for a plain run.
    fn plan(
        &mut self,
        rule: &Rule,
        sources: &BTreeMap<usize, Source>,
        delta: Option<usize>,
    ) -> Result<Plan, DlError> {
        let mut outer = BTreeSet::new();
        rule.head
            .args
            .iter()
            .for_each(|t| outer_vars(t, &mut outer));
        for literal in &rule.body {
            match literal {
                Literal::Atom(a) | Literal::Negated { atom: a, .. } => {
                    a.args.iter().for_each(|t| outer_vars(t, &mut outer))
                }
                Literal::Constraint(c) => {
                    outer_vars(&c.left, &mut outer);
                    outer_vars(&c.right, &mut outer);
                }
                Literal::Call(c) => c.args.iter().for_each(|t| outer_vars(t, &mut outer)),
            }
        }
        let mut scope = RuleScope {
            slots: BTreeMap::new(),
            outer,
        };
        let mut bound = BTreeSet::new();
        let body: Vec<(usize, &Literal)> = rule.body.iter().enumerate().collect();
        let steps = self.order(&mut scope, &body, &mut bound, sources, delta)?;
        let head_rel = self.relation(&rule.head)?;
        let mut head = Vec::new();
        for arg in &rule.head.args {
            let mut needed = BTreeSet::new();
            needed_vars(arg, &scope.outer, &mut needed);
            if let Some(v) = needed.iter().find(|v| !bound.contains(*v)) {
                return Err(self.unplannable(
                    arg.span(),
                    format!("variable `{v}` in the head is not bound in the body"),
                ));
            }
            if matches!(arg, Term::Wildcard(_)) {
                return Err(self.unplannable(arg.span(), "`_` in a rule head".to_owned()));
            }
            head.push(self.term(&mut scope, arg, &bound)?);
        }
        let delta_rel = match delta.and_then(|d| rule.body.get(d)) {
            Some(Literal::Atom(a)) => Some(self.relation(a)?),
            _ => None,
        };
        Ok(Plan {
            steps,
            head_rel,
            head,
            slots: scope.slots.len(),
            delta_rel,
        })
    }

    /// Orders and compiles `body` (see the module notes), extending `bound`.
    fn order(
        &mut self,
        scope: &mut RuleScope,
        body: &[(usize, &Literal)],
        bound: &mut BTreeSet<String>,
        sources: &BTreeMap<usize, Source>,
        first: Option<usize>,
    ) -> Result<Vec<Step>, DlError> {
        let mut remaining: Vec<(usize, &Literal)> = body.to_vec();
        let mut steps = Vec::new();
        let mut first = first;
        while !remaining.is_empty() {
            // A forced first atom (the delta of a variant).
            if let Some(f) = first.take() {
                if let Some(pos) = remaining.iter().position(|(i, _)| *i == f) {
                    let (i, literal) = remaining.remove(pos);
                    if let Literal::Atom(atom) = literal {
                        let source = sources.get(&i).copied().unwrap_or(Source::Known);
                        steps.push(self.scan(scope, atom, source, bound)?);
                        continue;
                    }
                    remaining.insert(pos, (i, literal));
                }
            }
            // Filters, assignments, negations and calls as soon as they can run.
            let ready = remaining.iter().position(|(_, l)| {
                !matches!(l, Literal::Atom(_)) && self.non_atom_ready(scope, l, bound)
            });
            if let Some(pos) = ready {
                let (_, literal) = remaining.remove(pos);
                steps.push(self.non_atom(scope, literal, bound)?);
                continue;
            }
            // The atom with the most bound columns, earliest on ties.
            let mut best: Option<(usize, usize)> = None;
            for (pos, (_, literal)) in remaining.iter().enumerate() {
                let Literal::Atom(atom) = literal else {
                    continue;
                };
                let Some(score) = atom_score(scope, atom, bound) else {
                    continue;
                };
                if best.is_none_or(|(_, s)| score > s) {
                    best = Some((pos, score));
                }
            }
            let Some((pos, _)) = best else {
                let span = remaining.first().map_or(Span::default(), |(_, l)| l.span());
                return Err(self.unplannable(
                    span,
                    "this literal uses variables that no positive atom binds".to_owned(),
                ));
            };
            let (i, literal) = remaining.remove(pos);
            if let Literal::Atom(atom) = literal {
                let source = sources.get(&i).copied().unwrap_or(Source::Known);
                steps.push(self.scan(scope, atom, source, bound)?);
            }
        }
        Ok(steps)
    }

    fn non_atom_ready(
        &self,
        scope: &RuleScope,
        literal: &Literal,
        bound: &BTreeSet<String>,
    ) -> bool {
        let all_bound = |terms: &mut dyn Iterator<Item = &Term>| {
            let mut needed = BTreeSet::new();
            terms.for_each(|t| needed_vars(t, &scope.outer, &mut needed));
            needed.iter().all(|v| bound.contains(v))
        };
        match literal {
            Literal::Atom(_) => false,
            Literal::Negated { atom, .. } => all_bound(&mut atom.args.iter()),
            Literal::Call(c) => all_bound(&mut c.args.iter()),
            Literal::Constraint(c) => {
                if c.op == CmpOp::Eq {
                    for (side, other) in [(&c.left, &c.right), (&c.right, &c.left)] {
                        if let Term::Var(v) = side {
                            if !bound.contains(&v.name) && all_bound(&mut std::iter::once(other)) {
                                return true;
                            }
                        }
                    }
                }
                all_bound(&mut [&c.left, &c.right].into_iter())
            }
        }
    }

    fn non_atom(
        &mut self,
        scope: &mut RuleScope,
        literal: &Literal,
        bound: &mut BTreeSet<String>,
    ) -> Result<Step, DlError> {
        match literal {
            Literal::Negated { atom, .. } => {
                let rel = self.relation(atom)?;
                let mut key_cols = Vec::new();
                let mut key = Vec::new();
                for (col, arg) in atom.args.iter().enumerate() {
                    if !matches!(arg, Term::Wildcard(_)) {
                        key_cols.push(col);
                        key.push(self.term(scope, arg, bound)?);
                    }
                }
                Ok(Step::NotExists { rel, key_cols, key })
            }
            Literal::Call(call) => {
                let pred = match call.name.name.as_str() {
                    "match" => Pred::Match,
                    "contains" => Pred::Contains,
                    other => {
                        return Err(error_at(
                            self.program,
                            codes::UNKNOWN_FUNCTION,
                            format!("unknown predicate `{other}`"),
                            call.name.span,
                        ))
                    }
                };
                let args = call
                    .args
                    .iter()
                    .map(|a| self.term(scope, a, bound))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Step::Pred { pred, args })
            }
            Literal::Constraint(c) => {
                if c.op == CmpOp::Eq {
                    for (side, other) in [(&c.left, &c.right), (&c.right, &c.left)] {
                        if let Term::Var(v) = side {
                            if !bound.contains(&v.name) {
                                let term = self.term(scope, other, bound)?;
                                let slot = scope.slot(&v.name);
                                bound.insert(v.name.clone());
                                return Ok(Step::Assign { slot, term });
                            }
                        }
                    }
                }
                Ok(Step::Filter {
                    op: c.op,
                    left: self.term(scope, &c.left, bound)?,
                    right: self.term(scope, &c.right, bound)?,
                })
            }
            Literal::Atom(a) => Err(self.unplannable(a.span, "unexpected atom".to_owned())),
        }
    }

    fn scan(
        &mut self,
        scope: &mut RuleScope,
        atom: &Atom,
        source: Source,
        bound: &mut BTreeSet<String>,
    ) -> Result<Step, DlError> {
        let rel = self.relation(atom)?;
        let mut key_cols = Vec::new();
        let mut key = Vec::new();
        let mut binds = Vec::new();
        let mut same = Vec::new();
        let mut fresh: BTreeMap<&str, usize> = BTreeMap::new();
        for (col, arg) in atom.args.iter().enumerate() {
            match arg {
                Term::Wildcard(_) => {}
                Term::Var(v) if !bound.contains(&v.name) => {
                    if let Some(&first) = fresh.get(v.name.as_str()) {
                        same.push((first, col));
                    } else {
                        fresh.insert(&v.name, col);
                        binds.push((col, scope.slot(&v.name)));
                    }
                }
                other => {
                    key_cols.push(col);
                    key.push(self.term(scope, other, bound)?);
                }
            }
        }
        bound.extend(fresh.keys().map(|v| (*v).to_owned()));
        Ok(Step::Scan {
            rel,
            source,
            key_cols,
            key,
            binds,
            same,
        })
    }

    fn term(
        &mut self,
        scope: &mut RuleScope,
        term: &Term,
        bound: &BTreeSet<String>,
    ) -> Result<CTerm, DlError> {
        Ok(match term {
            Term::Var(v) => {
                if !bound.contains(&v.name) {
                    return Err(
                        self.unplannable(v.span, format!("variable `{}` is not bound", v.name))
                    );
                }
                CTerm::Var(scope.slot(&v.name))
            }
            Term::Wildcard(span) => {
                return Err(self.unplannable(*span, "`_` cannot be evaluated".to_owned()))
            }
            Term::Str { value, .. } => CTerm::Const(Value::Sym(self.interner.intern(value))),
            Term::Num { value, .. } => CTerm::Const(Value::Int(*value)),
            Term::Neg { operand, .. } => CTerm::Neg(Box::new(self.term(scope, operand, bound)?)),
            Term::Binary {
                op, left, right, ..
            } => CTerm::Bin(
                *op,
                Box::new(self.term(scope, left, bound)?),
                Box::new(self.term(scope, right, bound)?),
            ),
            Term::Call(call) => {
                let Some(func) = Func::from_name(&call.name.name) else {
                    return Err(error_at(
                        self.program,
                        codes::UNKNOWN_FUNCTION,
                        format!("unknown function `{}`", call.name.name),
                        call.name.span,
                    ));
                };
                let args = call
                    .args
                    .iter()
                    .map(|a| self.term(scope, a, bound))
                    .collect::<Result<Vec<_>, _>>()?;
                CTerm::Call(func, args)
            }
            Term::Aggregate(agg) => {
                let mut inner = bound.clone();
                let body: Vec<(usize, &Literal)> = agg.body.iter().enumerate().collect();
                let steps = self.order(scope, &body, &mut inner, &BTreeMap::new(), None)?;
                let target = match &agg.target {
                    Some(t) => Some(self.term(scope, t, &inner)?),
                    None => None,
                };
                CTerm::Agg(Box::new(CAgg {
                    kind: agg.kind,
                    target,
                    steps,
                }))
            }
        })
    }
}

/// The number of bound columns of `atom` if it can be scanned now (its expression arguments
/// only use bound variables), else `None`.
fn atom_score(scope: &RuleScope, atom: &Atom, bound: &BTreeSet<String>) -> Option<usize> {
    let mut score = 0;
    for arg in &atom.args {
        match arg {
            Term::Wildcard(_) => {}
            Term::Var(v) => score += usize::from(bound.contains(&v.name)),
            other => {
                let mut needed = BTreeSet::new();
                needed_vars(other, &scope.outer, &mut needed);
                if !needed.iter().all(|v| bound.contains(v)) {
                    return None;
                }
                score += 1;
            }
        }
    }
    Some(score)
}

/// The indexes plans need: (relation, bound columns, only for a negation).
type WantedIndexes = BTreeSet<(usize, Vec<usize>, bool)>;

fn steps_indexes(steps: &[Step], out: &mut WantedIndexes) {
    for step in steps {
        match step {
            Step::Scan {
                rel, key_cols, key, ..
            } => {
                out.insert((*rel, key_cols.clone(), false));
                key.iter().for_each(|t| term_indexes(t, out));
            }
            Step::NotExists { rel, key_cols, key } => {
                out.insert((*rel, key_cols.clone(), true));
                key.iter().for_each(|t| term_indexes(t, out));
            }
            Step::Filter { left, right, .. } => {
                term_indexes(left, out);
                term_indexes(right, out);
            }
            Step::Assign { term, .. } => term_indexes(term, out),
            Step::Pred { args, .. } => args.iter().for_each(|t| term_indexes(t, out)),
        }
    }
}

fn term_indexes(term: &CTerm, out: &mut WantedIndexes) {
    match term {
        CTerm::Const(_) | CTerm::Var(_) => {}
        CTerm::Neg(t) => term_indexes(t, out),
        CTerm::Bin(_, l, r) => {
            term_indexes(l, out);
            term_indexes(r, out);
        }
        CTerm::Call(_, args) => args.iter().for_each(|t| term_indexes(t, out)),
        CTerm::Agg(agg) => {
            steps_indexes(&agg.steps, out);
            if let Some(t) = &agg.target {
                term_indexes(t, out);
            }
        }
    }
}

// ---- execution ----

/// Where the solutions of a body go.
enum Sink<'s> {
    Head(&'s [CTerm], &'s mut Vec<Tuple>),
    Agg(Option<&'s CTerm>, &'s mut AggAcc),
}

#[derive(Default)]
struct AggAcc {
    count: i64,
    sum: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
    overflow: bool,
}

struct Exec<'a> {
    db: &'a Database,
    interner: &'a mut Interner,
    /// Per relation: (end of the old tuples, end of the known tuples).
    ranges: &'a [(usize, usize)],
    slots: Vec<Value>,
    limits: &'a Limits,
    started: Instant,
    ticks: u32,
}

impl Exec<'_> {
    fn tick(&mut self) -> Result<(), DlError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 4096 == 0 {
            check_time(self.started, self.limits)?;
        }
        Ok(())
    }

    fn range(&self, rel: usize, source: Source) -> (usize, usize) {
        let (old, known) = self.ranges.get(rel).copied().unwrap_or((0, 0));
        match source {
            Source::Known => (0, known),
            Source::Old => (0, old),
            Source::Delta => (old, known),
        }
    }

    fn eval_key(&mut self, key: &[CTerm]) -> Result<Option<Vec<Value>>, DlError> {
        let mut values = Vec::with_capacity(key.len());
        for t in key {
            match self.eval(t)? {
                Some(v) => values.push(v),
                None => return Ok(None),
            }
        }
        Ok(Some(values))
    }

    fn run(&mut self, steps: &[Step], i: usize, sink: &mut Sink<'_>) -> Result<(), DlError> {
        let Some(step) = steps.get(i) else {
            return self.emit(sink);
        };
        let db = self.db;
        match step {
            Step::Scan {
                rel,
                source,
                key_cols,
                key,
                binds,
                same,
            } => {
                let Some(relation) = db.relations.get(*rel) else {
                    return Ok(());
                };
                let (lo, hi) = self.range(*rel, *source);
                if key_cols.is_empty() {
                    for id in lo..hi.min(relation.len) {
                        if let Some(tuple) = relation.tuple(id) {
                            self.visit(tuple, binds, same, steps, i, sink)?;
                        }
                    }
                    return Ok(());
                }
                let Some(key) = self.eval_key(key)? else {
                    return Ok(());
                };
                let ids = relation
                    .indexes
                    .get(key_cols)
                    .and_then(|index| index.get(&key))
                    .map_or(&[][..], Vec::as_slice);
                let a = ids.partition_point(|&id| (id as usize) < lo);
                let b = ids.partition_point(|&id| (id as usize) < hi);
                for &id in ids.get(a..b).unwrap_or(&[]) {
                    if let Some(tuple) = relation.tuple(id as usize) {
                        self.visit(tuple, binds, same, steps, i, sink)?;
                    }
                }
                Ok(())
            }
            Step::NotExists { rel, key_cols, key } => {
                let Some(relation) = db.relations.get(*rel) else {
                    return self.run(steps, i + 1, sink);
                };
                let Some(key) = self.eval_key(key)? else {
                    return Ok(());
                };
                let exists = if key_cols.is_empty() {
                    relation.len > 0
                } else if key_cols.len() == relation.arity {
                    relation.contains(&key)
                } else {
                    relation
                        .indexes
                        .get(key_cols)
                        .and_then(|index| index.get(&key))
                        .is_some_and(|ids| !ids.is_empty())
                };
                if exists {
                    Ok(())
                } else {
                    self.run(steps, i + 1, sink)
                }
            }
            Step::Filter { op, left, right } => {
                let (Some(l), Some(r)) = (self.eval(left)?, self.eval(right)?) else {
                    return Ok(());
                };
                if compare(*op, l, r, self.interner) {
                    self.run(steps, i + 1, sink)
                } else {
                    Ok(())
                }
            }
            Step::Assign { slot, term } => {
                let Some(value) = self.eval(term)? else {
                    return Ok(());
                };
                if let Some(s) = self.slots.get_mut(*slot) {
                    *s = value;
                }
                self.run(steps, i + 1, sink)
            }
            Step::Pred { pred, args } => {
                let Some(values) = self.eval_key(args)? else {
                    return Ok(());
                };
                let holds = match (values.first(), values.get(1)) {
                    (Some(Value::Sym(a)), Some(Value::Sym(b))) => {
                        let (a, b) = (self.interner.resolve(*a), self.interner.resolve(*b));
                        match pred {
                            Pred::Match => glob_match(a, b),
                            Pred::Contains => b.contains(a),
                        }
                    }
                    _ => false,
                };
                if holds {
                    self.run(steps, i + 1, sink)
                } else {
                    Ok(())
                }
            }
        }
    }

    fn visit(
        &mut self,
        tuple: &[Value],
        binds: &[(usize, usize)],
        same: &[(usize, usize)],
        steps: &[Step],
        i: usize,
        sink: &mut Sink<'_>,
    ) -> Result<(), DlError> {
        self.tick()?;
        if !same.iter().all(|(a, b)| tuple.get(*a) == tuple.get(*b)) {
            return Ok(());
        }
        for &(col, slot) in binds {
            if let (Some(v), Some(s)) = (tuple.get(col), self.slots.get_mut(slot)) {
                *s = *v;
            }
        }
        self.run(steps, i + 1, sink)
    }

    fn emit(&mut self, sink: &mut Sink<'_>) -> Result<(), DlError> {
        match sink {
            Sink::Head(terms, out) => {
                let mut tuple = Vec::with_capacity(terms.len());
                for t in terms.iter() {
                    match self.eval(t)? {
                        Some(v) => tuple.push(v),
                        None => return Ok(()),
                    }
                }
                out.push(tuple);
                if out.len() > self.limits.max_facts {
                    // The limit is on facts: a rule that finds one fact many ways (a join on
                    // a column the head does not keep) is not stopped for its repeats.
                    out.sort_unstable();
                    out.dedup();
                    if out.len() > self.limits.max_facts {
                        return Err(fact_limit(self.limits));
                    }
                }
                Ok(())
            }
            Sink::Agg(target, acc) => {
                acc.count = acc.count.saturating_add(1);
                if let Some(t) = target {
                    match self.eval(t)? {
                        Some(Value::Int(n)) => {
                            match acc.sum.unwrap_or(0).checked_add(n) {
                                Some(s) => acc.sum = Some(s),
                                None => acc.overflow = true,
                            }
                            acc.min = Some(acc.min.map_or(n, |m| m.min(n)));
                            acc.max = Some(acc.max.map_or(n, |m| m.max(n)));
                        }
                        _ => acc.overflow = true,
                    }
                }
                Ok(())
            }
        }
    }

    fn eval(&mut self, term: &CTerm) -> Result<Option<Value>, DlError> {
        Ok(match term {
            CTerm::Const(v) => Some(*v),
            CTerm::Var(slot) => self.slots.get(*slot).copied(),
            CTerm::Neg(t) => match self.eval(t)? {
                Some(Value::Int(n)) => n.checked_neg().map(Value::Int),
                _ => None,
            },
            CTerm::Bin(op, l, r) => match (self.eval(l)?, self.eval(r)?) {
                (Some(Value::Int(a)), Some(Value::Int(b))) => arith(*op, a, b).map(Value::Int),
                _ => None,
            },
            CTerm::Call(func, args) => {
                let Some(values) = self.eval_key(args)? else {
                    return Ok(None);
                };
                call(*func, &values, self.interner)
            }
            CTerm::Agg(agg) => {
                let mut acc = AggAcc::default();
                let mut sink = Sink::Agg(agg.target.as_ref(), &mut acc);
                self.run(&agg.steps, 0, &mut sink)?;
                if acc.overflow {
                    return Ok(None);
                }
                match agg.kind {
                    AggKind::Count => Some(Value::Int(acc.count)),
                    AggKind::Sum => Some(Value::Int(acc.sum.unwrap_or(0))),
                    AggKind::Min => acc.min.map(Value::Int),
                    AggKind::Max => acc.max.map(Value::Int),
                    AggKind::Mean => match acc.sum {
                        Some(s) if acc.count > 0 => s.checked_div(acc.count).map(Value::Int),
                        _ => None,
                    },
                }
            }
        })
    }
}

fn arith(op: ArithOp, a: i64, b: i64) -> Option<i64> {
    match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => a.checked_div(b),
        ArithOp::Rem => a.checked_rem(b),
    }
}

/// Integers numerically, symbols by string; an integer and a symbol are unequal and unordered.
fn order_of(a: Value, b: Value, interner: &Interner) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(&y)),
        (Value::Sym(x), Value::Sym(y)) if x == y => Some(Ordering::Equal),
        (Value::Sym(x), Value::Sym(y)) => Some(interner.resolve(x).cmp(interner.resolve(y))),
        _ => None,
    }
}

fn compare(op: CmpOp, a: Value, b: Value, interner: &Interner) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        _ => order_of(a, b, interner).is_some_and(|o| match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
            CmpOp::Eq | CmpOp::Ne => false,
        }),
    }
}

fn text(value: Value, interner: &Interner) -> String {
    match value {
        Value::Sym(s) => interner.resolve(s).to_owned(),
        Value::Int(n) => n.to_string(),
    }
}

fn call(func: Func, args: &[Value], interner: &mut Interner) -> Option<Value> {
    let first = args.first().copied();
    match func {
        Func::Cat => {
            let joined: String = args.iter().map(|v| text(*v, interner)).collect();
            Some(Value::Sym(interner.intern(&joined)))
        }
        Func::Strlen => match first? {
            Value::Sym(s) => i64::try_from(interner.resolve(s).chars().count())
                .ok()
                .map(Value::Int),
            Value::Int(_) => None,
        },
        Func::Substr => {
            let (Value::Sym(s), Some(Value::Int(start)), Some(Value::Int(len))) =
                (first?, args.get(1).copied(), args.get(2).copied())
            else {
                return None;
            };
            let start = usize::try_from(start).ok()?;
            let len = usize::try_from(len).ok()?;
            let sub: String = interner.resolve(s).chars().skip(start).take(len).collect();
            Some(Value::Sym(interner.intern(&sub)))
        }
        Func::Ord => match first? {
            Value::Sym(s) => interner
                .resolve(s)
                .chars()
                .next()
                .map(|c| Value::Int(i64::from(u32::from(c)))),
            Value::Int(n) => Some(Value::Int(n)),
        },
        Func::ToNumber => match first? {
            Value::Sym(s) => interner.resolve(s).parse::<i64>().ok().map(Value::Int),
            Value::Int(n) => Some(Value::Int(n)),
        },
        Func::ToString => match first? {
            Value::Int(n) => Some(Value::Sym(interner.intern(&n.to_string()))),
            sym @ Value::Sym(_) => Some(sym),
        },
        Func::Min | Func::Max => {
            let mut best = first?;
            for &v in args.iter().skip(1) {
                let o = order_of(v, best, interner)?;
                let better = match func {
                    Func::Min => o == Ordering::Less,
                    _ => o == Ordering::Greater,
                };
                if better {
                    best = v;
                }
            }
            Some(best)
        }
    }
}

/// `pattern` matches all of `text`: `*` any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

fn fact_limit(limits: &Limits) -> DlError {
    DlError::new(
        codes::FACT_LIMIT,
        format!("evaluation stopped: more than {} facts", limits.max_facts),
    )
    .with_help("the rules derive too much; restrict them, or raise the fact limit")
}

fn check_time(started: Instant, limits: &Limits) -> Result<(), DlError> {
    if started.elapsed() > limits.max_time {
        return Err(DlError::new(
            codes::TIME_LIMIT,
            format!(
                "evaluation stopped: it ran longer than {} ms",
                limits.max_time.as_millis()
            ),
        )
        .with_help("the rules take too long; restrict them, or raise the time limit"));
    }
    Ok(())
}

/// Runs every rule (and fact) of `program` over `db`, adding the derived tuples to `db`.
/// Relations declared `.input` or not defined by any rule are read from `db` as given.
/// String constants are interned into `interner`. Ends with a [`DlError`] when the program
/// has an error ([`check`]; warnings are ignored), when `db` holds a declared relation with
/// another arity ([`codes::DATABASE_ARITY`]), or when a limit is reached
/// ([`codes::FACT_LIMIT`], [`codes::TIME_LIMIT`]) — never a partial answer: on error the
/// caller discards `db`.
pub fn evaluate(
    program: &Program,
    db: &mut Database,
    interner: &mut Interner,
    limits: &Limits,
) -> Result<EvalStats, DlError> {
    let started = Instant::now();
    if let Some(err) = check(program).into_iter().find(|e| !e.is_warning()) {
        return Err(err);
    }
    let (strata, errors) = stratify(program);
    if let Some(err) = errors.into_iter().next() {
        return Err(err);
    }

    // Every declared relation exists, with its declared arity.
    for decl in program.decls() {
        let arity = decl.columns.len();
        let id = db.create(&decl.name.name, arity);
        if db.relations.get(id).is_some_and(|r| r.arity != arity) {
            return Err(error_at(
                program,
                codes::DATABASE_ARITY,
                format!(
                    "relation `{}` is declared with {arity} columns, but the database holds it \
                     with {}",
                    decl.name.name,
                    db.relations.get(id).map_or(0, |r| r.arity)
                ),
                decl.name.span,
            ));
        }
    }

    // Intern the string constants in sorted order, so their ids do not depend on rule order.
    let mut strings = BTreeSet::new();
    for rule in program.rules() {
        collect_strings_atom(&rule.head, &mut strings);
        collect_strings_body(&rule.body, &mut strings);
    }
    for s in &strings {
        interner.intern(s);
    }

    let mut rules_by_head: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for rule in program.rules() {
        rules_by_head
            .entry(rule.head.name.name.as_str())
            .or_default()
            .push(rule);
    }

    let mut stats = EvalStats::default();
    let before = db.total_facts();
    for component in &strata.components {
        let rules: Vec<&Rule> = component
            .iter()
            .filter_map(|name| rules_by_head.get(name.as_str()))
            .flatten()
            .copied()
            .collect();
        if rules.is_empty() {
            continue;
        }
        stats.strata += 1;
        let members: BTreeSet<usize> = component
            .iter()
            .filter_map(|n| db.names.get(n).copied())
            .collect();
        run_stratum(
            program, db, interner, limits, started, &rules, &members, &mut stats,
        )?;
    }
    stats.derived = db.total_facts().saturating_sub(before);
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn run_stratum(
    program: &Program,
    db: &mut Database,
    interner: &mut Interner,
    limits: &Limits,
    started: Instant,
    rules: &[&Rule],
    members: &BTreeSet<usize>,
    stats: &mut EvalStats,
) -> Result<(), DlError> {
    let mut base_plans = Vec::new();
    let mut variants = Vec::new();
    {
        let names = db.names.clone();
        let mut planner = Planner {
            program,
            names: &names,
            interner,
        };
        for rule in rules {
            let recursive: Vec<usize> = rule
                .body
                .iter()
                .enumerate()
                .filter_map(|(i, l)| match l {
                    Literal::Atom(a)
                        if names
                            .get(a.name.name.as_str())
                            .is_some_and(|id| members.contains(id)) =>
                    {
                        Some(i)
                    }
                    _ => None,
                })
                .collect();
            if recursive.is_empty() {
                base_plans.push(planner.plan(rule, &BTreeMap::new(), None)?);
                continue;
            }
            for (k, &delta) in recursive.iter().enumerate() {
                let sources: BTreeMap<usize, Source> = recursive
                    .iter()
                    .enumerate()
                    .map(|(j, &pos)| {
                        let source = match j.cmp(&k) {
                            Ordering::Less => Source::Old,
                            Ordering::Equal => Source::Delta,
                            Ordering::Greater => Source::Known,
                        };
                        (pos, source)
                    })
                    .collect();
                variants.push(planner.plan(rule, &sources, Some(delta))?);
            }
        }
    }
    let mut wanted = BTreeSet::new();
    for plan in base_plans.iter().chain(&variants) {
        steps_indexes(&plan.steps, &mut wanted);
        plan.head.iter().for_each(|t| term_indexes(t, &mut wanted));
    }
    for (rel, cols, negation) in wanted {
        if let Some(r) = db.relations.get_mut(rel) {
            // A negation binding every column looks the tuple up in the set instead.
            if negation && cols.len() == r.arity {
                continue;
            }
            r.ensure_index(&cols);
        }
    }

    // Non-recursive rules and facts, once.
    let ranges: Vec<(usize, usize)> = db.relations.iter().map(|r| (r.len, r.len)).collect();
    run_plans(db, interner, limits, started, &base_plans, &ranges)?;
    stats.iterations += 1;

    if variants.is_empty() {
        return Ok(());
    }
    // Semi-naive iterations: at first everything known in the stratum is the delta.
    let mut ranges: Vec<(usize, usize)> = db
        .relations
        .iter()
        .enumerate()
        .map(|(id, r)| {
            let len = r.len;
            (if members.contains(&id) { 0 } else { len }, len)
        })
        .collect();
    loop {
        let active: Vec<&Plan> = variants
            .iter()
            .filter(|p| {
                p.delta_rel
                    .and_then(|rel| ranges.get(rel))
                    .is_some_and(|(old, known)| old < known)
            })
            .collect();
        if active.is_empty() {
            return Ok(());
        }
        check_time(started, limits)?;
        for plan in active {
            run_plans(
                db,
                interner,
                limits,
                started,
                std::slice::from_ref(plan),
                &ranges,
            )?;
        }
        stats.iterations += 1;
        for (id, range) in ranges.iter_mut().enumerate() {
            if members.contains(&id) {
                let len = db.relations.get(id).map_or(0, |r| r.len);
                *range = (range.1, len);
            }
        }
    }
}

fn run_plans(
    db: &mut Database,
    interner: &mut Interner,
    limits: &Limits,
    started: Instant,
    plans: &[Plan],
    ranges: &[(usize, usize)],
) -> Result<(), DlError> {
    for plan in plans {
        let mut out = Vec::new();
        {
            let mut exec = Exec {
                db,
                interner,
                ranges,
                slots: vec![Value::Int(0); plan.slots],
                limits,
                started,
                ticks: 0,
            };
            let mut sink = Sink::Head(&plan.head, &mut out);
            exec.run(&plan.steps, 0, &mut sink)?;
        }
        if let Some(relation) = db.relations.get_mut(plan.head_rel) {
            for tuple in out {
                relation.insert(&tuple);
            }
        }
        if db.total_facts() > limits.max_facts {
            return Err(fact_limit(limits));
        }
        check_time(started, limits)?;
    }
    Ok(())
}

fn collect_strings_atom(atom: &Atom, out: &mut BTreeSet<String>) {
    atom.args.iter().for_each(|t| collect_strings_term(t, out));
}

fn collect_strings_body(body: &[Literal], out: &mut BTreeSet<String>) {
    for literal in body {
        match literal {
            Literal::Atom(a) | Literal::Negated { atom: a, .. } => collect_strings_atom(a, out),
            Literal::Constraint(c) => {
                collect_strings_term(&c.left, out);
                collect_strings_term(&c.right, out);
            }
            Literal::Call(c) => c.args.iter().for_each(|t| collect_strings_term(t, out)),
        }
    }
}

fn collect_strings_term(term: &Term, out: &mut BTreeSet<String>) {
    match term {
        Term::Str { value, .. } => {
            out.insert(value.clone());
        }
        Term::Var(_) | Term::Wildcard(_) | Term::Num { .. } => {}
        Term::Neg { operand, .. } => collect_strings_term(operand, out),
        Term::Binary { left, right, .. } => {
            collect_strings_term(left, out);
            collect_strings_term(right, out);
        }
        Term::Call(c) => c.args.iter().for_each(|t| collect_strings_term(t, out)),
        Term::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                collect_strings_term(t, out);
            }
            collect_strings_body(&agg.body, out);
        }
    }
}

#[cfg(test)]
mod tests;
