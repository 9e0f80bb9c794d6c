//! The checker: names, arities and range restriction; and agreement with the engine schema.
//!
//! [`check`] runs independent passes over a [`Program`] and returns every error, sorted by
//! position (warnings, such as singleton variables, included: see [`DlError::is_warning`]).
//! It is built to grow: a pass is a function from the [`Catalog`] and the program to
//! errors, so type inference and stratification can be added as further passes.

use std::collections::{BTreeMap, BTreeSet};

use super::ast::{Atom, Call, CmpOp, Decl, Ident, IoKind, Item, Literal, Program, Rule, Term};
use super::error::{closest, codes, DlError, Span};
use crate::schema::{RelationKind, RelationSchema};

/// Types every program has.
pub const PRIMITIVE_TYPES: &[&str] = &["symbol", "number", "unsigned", "float"];

/// A builtin function or predicate: name, minimum and maximum argument counts (`None`: any).
struct Builtin {
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
}

const fn builtin(name: &'static str, min_args: usize, max_args: Option<usize>) -> Builtin {
    Builtin {
        name,
        min_args,
        max_args,
    }
}

/// Functions usable in terms.
const FUNCTIONS: &[Builtin] = &[
    builtin("cat", 1, None),
    builtin("strlen", 1, Some(1)),
    builtin("substr", 3, Some(3)),
    builtin("ord", 1, Some(1)),
    builtin("to_number", 1, Some(1)),
    builtin("to_string", 1, Some(1)),
    builtin("min", 1, None),
    builtin("max", 1, None),
];

/// Predicates usable as body literals (see [`super::parser::BUILTIN_PREDICATES`]).
const PREDICATES: &[Builtin] = &[
    builtin("match", 2, Some(2)),
    builtin("contains", 2, Some(2)),
];

/// The declared types and relations of a program.
#[derive(Debug, Default)]
pub struct Catalog<'p> {
    /// `.type` declarations by name.
    pub types: BTreeMap<&'p str, &'p Ident>,
    /// `.decl` declarations by name (the first one when declared twice).
    pub relations: BTreeMap<&'p str, &'p Decl>,
    /// The base of each `.type`, by type name.
    pub type_bases: BTreeMap<&'p str, &'p str>,
}

impl<'p> Catalog<'p> {
    /// Collects the declarations of `program`, reporting duplicates into `errors`.
    pub fn new(program: &'p Program, errors: &mut Vec<DlError>) -> Catalog<'p> {
        let mut catalog = Catalog::default();
        for item in &program.items {
            match item {
                Item::Type(t) => {
                    if let Some(first) = catalog.types.get(t.name.name.as_str()) {
                        errors.push(duplicate(program, "type", &t.name, first.span));
                    } else {
                        catalog.types.insert(&t.name.name, &t.name);
                        catalog.type_bases.insert(&t.name.name, &t.base.name);
                    }
                }
                Item::Decl(d) => {
                    if let Some(first) = catalog.relations.get(d.name.name.as_str()) {
                        errors.push(duplicate(program, "relation", &d.name, first.name.span));
                    } else {
                        catalog.relations.insert(&d.name.name, d);
                    }
                }
                _ => {}
            }
        }
        catalog
    }

    fn type_exists(&self, name: &str) -> bool {
        PRIMITIVE_TYPES.contains(&name) || self.types.contains_key(name)
    }
}

fn duplicate(program: &Program, what: &str, name: &Ident, first: Span) -> DlError {
    let place = if first.file == name.span.file {
        "earlier in this file".to_owned()
    } else {
        format!("in `{}`", program.file_name(first.file))
    };
    error_at(
        program,
        codes::DUPLICATE_DECLARATION,
        format!("{what} `{}` is declared twice", name.name),
        name.span,
    )
    .with_label("declared again here")
    .with_help(format!(
        "`{}` is first declared {place}; remove one declaration",
        name.name
    ))
}

fn error_at(program: &Program, code: &'static str, message: String, span: Span) -> DlError {
    DlError::new(code, message)
        .with_span(span)
        .with_file(program.file_name(span.file))
}

/// Checks `program`: declared types, relation names and arities in rules and directives,
/// builtin calls, and range restriction (every variable of the head, of a negated atom, and
/// of a constraint or call is bound by a positive atom or an equality with bound terms).
/// Also: stratification (no relation depends on its own negation or aggregate,
/// [`codes::UNSTRATIFIABLE`]), column types (a variable is not used in columns of
/// incompatible types, constants fit their columns, [`codes::COLUMN_TYPE_MISMATCH`]), and
/// singleton variables (a *warning*, [`codes::SINGLETON_VARIABLE`]: callers that fail on any
/// diagnostic must skip [`DlError::is_warning`] ones).
/// Returns every error and warning, sorted by file and position.
pub fn check(program: &Program) -> Vec<DlError> {
    let mut errors = Vec::new();
    let catalog = Catalog::new(program, &mut errors);
    check_types(program, &catalog, &mut errors);
    check_io(program, &catalog, &mut errors);
    for rule in program.rules() {
        check_rule_names(program, &catalog, rule, &mut errors);
        check_range_restriction(program, rule, &mut errors);
        check_singletons(program, rule, &mut errors);
        check_column_types(program, &catalog, rule, &mut errors);
    }
    errors.extend(super::strata::stratify(program).1);
    sort_errors(&mut errors);
    errors
}

fn sort_errors(errors: &mut [DlError]) {
    errors.sort_by_key(|e| e.span().map(|s| (s.file, s.start, s.end)));
}

fn check_types(program: &Program, catalog: &Catalog<'_>, errors: &mut Vec<DlError>) {
    let known: Vec<&str> = PRIMITIVE_TYPES
        .iter()
        .copied()
        .chain(catalog.types.keys().copied())
        .collect();
    let mut unknown = |ty: &Ident| {
        if !catalog.type_exists(&ty.name) {
            let mut err = error_at(
                program,
                codes::UNKNOWN_TYPE,
                format!("unknown type `{}`", ty.name),
                ty.span,
            )
            .with_label("not declared");
            err = match closest(&ty.name, known.iter().copied()) {
                Some(s) => err.with_help(format!("did you mean `{s}`?")),
                None => err.with_help(format!("declare it: `.type {} <: symbol`", ty.name)),
            };
            errors.push(err);
        }
    };
    for item in &program.items {
        match item {
            Item::Type(t) => unknown(&t.base),
            Item::Decl(d) => d.columns.iter().for_each(|c| unknown(&c.ty)),
            _ => {}
        }
    }
}

fn unknown_relation(program: &Program, catalog: &Catalog<'_>, name: &Ident) -> DlError {
    let mut err = error_at(
        program,
        codes::UNKNOWN_RELATION,
        format!("unknown relation `{}`", name.name),
        name.span,
    )
    .with_label("not declared");
    err = match closest(&name.name, catalog.relations.keys().copied()) {
        Some(s) => err.with_help(format!("did you mean `{s}`?")),
        None => err.with_help(format!("declare it: `.decl {}(...)`", name.name)),
    };
    err
}

fn check_io(program: &Program, catalog: &Catalog<'_>, errors: &mut Vec<DlError>) {
    for kind in [IoKind::Input, IoKind::Output] {
        for name in program.io_relations(kind) {
            if !catalog.relations.contains_key(name.name.as_str()) {
                errors.push(unknown_relation(program, catalog, name));
            }
        }
    }
}

fn check_atom(program: &Program, catalog: &Catalog<'_>, atom: &Atom, errors: &mut Vec<DlError>) {
    let Some(decl) = catalog.relations.get(atom.name.name.as_str()) else {
        errors.push(unknown_relation(program, catalog, &atom.name));
        return;
    };
    if decl.columns.len() != atom.args.len() {
        let cols: Vec<String> = decl
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name.name, c.ty.name))
            .collect();
        errors.push(
            error_at(
                program,
                codes::ARITY_MISMATCH,
                format!(
                    "relation `{}` has {} column{}, but {} argument{} {} given",
                    atom.name.name,
                    decl.columns.len(),
                    plural(decl.columns.len()),
                    atom.args.len(),
                    plural(atom.args.len()),
                    if atom.args.len() == 1 { "is" } else { "are" },
                ),
                atom.span,
            )
            .with_label(format!(
                "expected {} argument{}",
                decl.columns.len(),
                plural(decl.columns.len())
            ))
            .with_help(format!(
                "`{}` is declared as `{}({})`",
                atom.name.name,
                atom.name.name,
                cols.join(", ")
            )),
        );
    }
    for arg in &atom.args {
        check_term_names(program, catalog, arg, errors);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn check_call(
    program: &Program,
    call: &Call,
    table: &[Builtin],
    what: &str,
    errors: &mut Vec<DlError>,
) {
    let Some(b) = table.iter().find(|b| b.name == call.name.name) else {
        let mut err = error_at(
            program,
            codes::UNKNOWN_FUNCTION,
            format!("unknown {what} `{}`", call.name.name),
            call.name.span,
        )
        .with_label(format!("not a builtin {what}"));
        let names = table.iter().map(|b| b.name);
        err = match closest(&call.name.name, names) {
            Some(s) => err.with_help(format!("did you mean `{s}`?")),
            None => {
                let all: Vec<String> = table.iter().map(|b| format!("`{}`", b.name)).collect();
                err.with_help(format!("the builtin {what}s are {}", all.join(", ")))
            }
        };
        errors.push(err);
        return;
    };
    let n = call.args.len();
    if n < b.min_args || b.max_args.is_some_and(|max| n > max) {
        let expected = match b.max_args {
            Some(max) if max == b.min_args => format!("{max}"),
            Some(max) => format!("{} to {max}", b.min_args),
            None => format!("at least {}", b.min_args),
        };
        errors.push(
            error_at(
                program,
                codes::FUNCTION_ARITY,
                format!(
                    "`{}` takes {expected} argument{}, but {n} {} given",
                    b.name,
                    plural(b.max_args.unwrap_or(usize::MAX).max(b.min_args)),
                    if n == 1 { "is" } else { "are" }
                ),
                call.span,
            )
            .with_label(format!("{n} argument{}", plural(n))),
        );
    }
}

fn check_term_names(
    program: &Program,
    catalog: &Catalog<'_>,
    term: &Term,
    errors: &mut Vec<DlError>,
) {
    match term {
        Term::Var(_) | Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
        Term::Neg { operand, .. } => check_term_names(program, catalog, operand, errors),
        Term::Binary { left, right, .. } => {
            check_term_names(program, catalog, left, errors);
            check_term_names(program, catalog, right, errors);
        }
        Term::Call(call) => {
            check_call(program, call, FUNCTIONS, "function", errors);
            call.args
                .iter()
                .for_each(|a| check_term_names(program, catalog, a, errors));
        }
        Term::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                check_term_names(program, catalog, t, errors);
            }
            agg.body
                .iter()
                .for_each(|l| check_literal_names(program, catalog, l, errors));
        }
    }
}

fn check_literal_names(
    program: &Program,
    catalog: &Catalog<'_>,
    literal: &Literal,
    errors: &mut Vec<DlError>,
) {
    match literal {
        Literal::Atom(atom) | Literal::Negated { atom, .. } => {
            check_atom(program, catalog, atom, errors)
        }
        Literal::Constraint(c) => {
            check_term_names(program, catalog, &c.left, errors);
            check_term_names(program, catalog, &c.right, errors);
        }
        Literal::Call(call) => {
            check_call(program, call, PREDICATES, "predicate", errors);
            call.args
                .iter()
                .for_each(|a| check_term_names(program, catalog, a, errors));
        }
    }
}

fn check_rule_names(
    program: &Program,
    catalog: &Catalog<'_>,
    rule: &Rule,
    errors: &mut Vec<DlError>,
) {
    check_atom(program, catalog, &rule.head, errors);
    for literal in &rule.body {
        check_literal_names(program, catalog, literal, errors);
    }
}

/// The variables a rule body binds: the plain variable arguments of positive atoms, then,
/// to a fixpoint, `x = t` / `t = x` where every variable of `t` is bound.
pub fn bound_variables(body: &[Literal]) -> BTreeSet<&str> {
    let mut bound = BTreeSet::new();
    for literal in body {
        if let Literal::Atom(atom) = literal {
            for arg in &atom.args {
                if let Term::Var(v) = arg {
                    bound.insert(v.name.as_str());
                }
            }
        }
    }
    loop {
        let before = bound.len();
        for literal in body {
            let Literal::Constraint(c) = literal else {
                continue;
            };
            if c.op != CmpOp::Eq {
                continue;
            }
            for (side, other) in [(&c.left, &c.right), (&c.right, &c.left)] {
                if let Term::Var(v) = side {
                    let mut vars = Vec::new();
                    other.vars(&mut vars);
                    if vars.iter().all(|w| bound.contains(w.name.as_str())) {
                        bound.insert(v.name.as_str());
                    }
                }
            }
        }
        if bound.len() == before {
            return bound;
        }
    }
}

fn check_range_restriction(program: &Program, rule: &Rule, errors: &mut Vec<DlError>) {
    let bound = bound_variables(&rule.body);
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut unbound = |v: &Ident,
                       code: &'static str,
                       message: String,
                       help: String,
                       errors: &mut Vec<DlError>| {
        if !bound.contains(v.name.as_str()) && reported.insert(v.name.clone()) {
            errors.push(
                error_at(program, code, message, v.span)
                    .with_label("not bound by a positive atom")
                    .with_help(help),
            );
        }
    };

    for arg in &rule.head.args {
        if let Term::Wildcard(span) = arg {
            errors.push(
                error_at(
                    program,
                    codes::WILDCARD_IN_HEAD,
                    "`_` in a rule head".to_owned(),
                    *span,
                )
                .with_label("a head needs a value here")
                .with_help("use a variable bound in the body, or a constant"),
            );
        }
        let mut vars = Vec::new();
        arg.vars(&mut vars);
        for v in vars {
            unbound(
                v,
                codes::UNBOUND_HEAD_VARIABLE,
                format!("variable `{}` in the head is not bound in the body", v.name),
                if rule.is_fact() {
                    "a fact must use constants only".to_owned()
                } else {
                    format!("bind `{}` in a positive body atom", v.name)
                },
                errors,
            );
        }
    }

    for literal in &rule.body {
        match literal {
            Literal::Atom(atom) => {
                // Variables directly in a positive atom bind; inside arithmetic or calls they
                // must be bound elsewhere.
                for arg in atom.args.iter().filter(|a| !matches!(a, Term::Var(_))) {
                    let mut vars = Vec::new();
                    arg.vars(&mut vars);
                    for v in vars {
                        unbound(
                            v,
                            codes::UNBOUND_VARIABLE,
                            format!("variable `{}` in an expression is not bound", v.name),
                            format!("bind `{}` as a plain argument of a positive atom", v.name),
                            errors,
                        );
                    }
                }
            }
            Literal::Negated { atom, .. } => {
                let mut vars = Vec::new();
                atom.args.iter().for_each(|a| a.vars(&mut vars));
                for v in vars {
                    unbound(
                        v,
                        codes::UNBOUND_NEGATED_VARIABLE,
                        format!("variable `{}` in a negated atom is not bound", v.name),
                        format!(
                            "bind `{}` in a positive atom of the same rule, or replace it with `_`",
                            v.name
                        ),
                        errors,
                    );
                }
            }
            Literal::Constraint(c) => {
                let mut vars = Vec::new();
                c.left.vars(&mut vars);
                c.right.vars(&mut vars);
                for v in vars {
                    unbound(
                        v,
                        codes::UNBOUND_VARIABLE,
                        format!("variable `{}` in a constraint is not bound", v.name),
                        format!("bind `{}` in a positive atom of the same rule", v.name),
                        errors,
                    );
                }
            }
            Literal::Call(call) => {
                let mut vars = Vec::new();
                call.args.iter().for_each(|a| a.vars(&mut vars));
                for v in vars {
                    unbound(
                        v,
                        codes::UNBOUND_VARIABLE,
                        format!("variable `{}` in a predicate call is not bound", v.name),
                        format!("bind `{}` in a positive atom of the same rule", v.name),
                        errors,
                    );
                }
            }
        }
    }
}

/// Checks that `program` declares exactly the relations of `schema`: every `.decl` has a
/// schema entry with the same column names and types, `.input` marks exactly the
/// [`RelationKind::Input`] relations and `.output` exactly the [`RelationKind::Derived`] ones,
/// and every schema relation is declared. Returns every disagreement, sorted by position
/// (missing declarations, which have no position, last).
pub fn check_against_schema(program: &Program, schema: &[RelationSchema]) -> Vec<DlError> {
    let mut errors = Vec::new();
    let inputs: BTreeSet<&str> = program
        .io_relations(IoKind::Input)
        .map(|i| i.name.as_str())
        .collect();
    let outputs: BTreeSet<&str> = program
        .io_relations(IoKind::Output)
        .map(|i| i.name.as_str())
        .collect();
    let mut declared = BTreeSet::new();

    for decl in program.decls() {
        let name = decl.name.name.as_str();
        declared.insert(name);
        let Some(entry) = schema.iter().find(|r| r.name == name) else {
            let mut err = error_at(
                program,
                codes::NOT_IN_SCHEMA,
                format!("relation `{name}` is not in the engine schema"),
                decl.name.span,
            )
            .with_label("declared here only");
            err = match closest(name, schema.iter().map(|r| r.name)) {
                Some(s) => err.with_help(format!("did you mean `{s}`?")),
                None => {
                    err.with_help("declare it in the engine's relation schema too, or remove it")
                }
            };
            errors.push(err);
            continue;
        };
        let same_columns = decl.columns.len() == entry.columns.len()
            && decl
                .columns
                .iter()
                .zip(entry.columns)
                .all(|(c, (n, t))| c.name.name == *n && c.ty.name == t.dl_name());
        if !same_columns {
            errors.push(
                error_at(
                    program,
                    codes::SCHEMA_MISMATCH,
                    format!("declaration of `{name}` does not match the engine schema"),
                    decl.span,
                )
                .with_label("declared differently here")
                .with_help(format!(
                    "the engine schema declares `{}`",
                    entry.signature()
                )),
            );
        }
        let (is_input, is_output) = (inputs.contains(name), outputs.contains(name));
        let kind_error = match entry.kind {
            RelationKind::Input if !is_input || is_output => {
                Some(("an input", format!("mark it `.input {name}` only")))
            }
            RelationKind::Derived if !is_output || is_input => {
                Some(("a derived", format!("mark it `.output {name}` only")))
            }
            _ => None,
        };
        if let Some((kind, help)) = kind_error {
            errors.push(
                error_at(
                    program,
                    codes::SCHEMA_KIND_MISMATCH,
                    format!("`{name}` is {kind} relation in the engine schema"),
                    decl.name.span,
                )
                .with_label("declared here")
                .with_help(help),
            );
        }
    }
    sort_errors(&mut errors);

    for entry in schema.iter().filter(|r| !declared.contains(r.name)) {
        let io = match entry.kind {
            RelationKind::Input => "input",
            RelationKind::Derived => "output",
        };
        errors.push(
            DlError::new(
                codes::MISSING_FROM_RULES,
                format!(
                    "engine schema relation `{}` is not declared in the rules",
                    entry.name
                ),
            )
            .with_help(format!(
                "add `.decl {}` and `.{io} {}`",
                entry.signature(),
                entry.name
            )),
        );
    }
    errors
}

/// Counts the occurrences of each named variable in `term`, and records whether each was a
/// plain argument of a positive atom (`plain`).
fn count_term_vars<'a>(
    term: &'a Term,
    plain: bool,
    counts: &mut BTreeMap<&'a str, (usize, &'a Ident, bool)>,
) {
    match term {
        Term::Var(v) => {
            let entry = counts.entry(v.name.as_str()).or_insert((0, v, plain));
            entry.0 += 1;
        }
        Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
        Term::Neg { operand, .. } => count_term_vars(operand, false, counts),
        Term::Binary { left, right, .. } => {
            count_term_vars(left, false, counts);
            count_term_vars(right, false, counts);
        }
        Term::Call(c) => c
            .args
            .iter()
            .for_each(|a| count_term_vars(a, false, counts)),
        Term::Aggregate(agg) => {
            if let Some(t) = &agg.target {
                count_term_vars(t, false, counts);
            }
            count_body_vars(&agg.body, counts);
        }
    }
}

fn count_body_vars<'a>(
    body: &'a [Literal],
    counts: &mut BTreeMap<&'a str, (usize, &'a Ident, bool)>,
) {
    for literal in body {
        match literal {
            Literal::Atom(a) => a.args.iter().for_each(|t| count_term_vars(t, true, counts)),
            Literal::Negated { atom, .. } => atom
                .args
                .iter()
                .for_each(|t| count_term_vars(t, false, counts)),
            Literal::Constraint(c) => {
                count_term_vars(&c.left, false, counts);
                count_term_vars(&c.right, false, counts);
            }
            Literal::Call(c) => c
                .args
                .iter()
                .for_each(|t| count_term_vars(t, false, counts)),
        }
    }
}

/// Warns about named variables that occur once in a rule, as a plain argument of a positive
/// atom (a single occurrence anywhere else is an unbound variable, reported as an error).
fn check_singletons(program: &Program, rule: &Rule, errors: &mut Vec<DlError>) {
    let mut counts = BTreeMap::new();
    rule.head
        .args
        .iter()
        .for_each(|t| count_term_vars(t, false, &mut counts));
    count_body_vars(&rule.body, &mut counts);
    for (name, (n, ident, plain)) in counts {
        if n == 1 && plain && !name.starts_with('_') {
            errors.push(
                DlError::warning(
                    codes::SINGLETON_VARIABLE,
                    format!("variable `{name}` appears only once in this rule"),
                )
                .with_span(ident.span)
                .with_file(program.file_name(ident.span.file))
                .with_label("used only here")
                .with_help(format!(
                    "if it is not a typo, write `_` (or `_{name}`) instead"
                )),
            );
        }
    }
}

/// The type a term has on its own, when it says: `symbol` for a string constant or a
/// function returning a string, `number` for integers, arithmetic and numeric functions and
/// aggregates. Variables have no type of their own.
fn literal_type(term: &Term) -> Option<&'static str> {
    match term {
        Term::Str { .. } => Some("symbol"),
        Term::Num { .. } | Term::Neg { .. } | Term::Binary { .. } => Some("number"),
        Term::Call(c) => match c.name.name.as_str() {
            "cat" | "substr" | "to_string" => Some("symbol"),
            "strlen" | "ord" | "to_number" => Some("number"),
            _ => None,
        },
        Term::Aggregate(_) => Some("number"),
        Term::Var(_) | Term::Wildcard(_) => None,
    }
}

impl Catalog<'_> {
    /// The chain `ty`, its base, its base's base, ... up to a primitive type.
    fn ancestors<'a>(&'a self, ty: &'a str) -> Vec<&'a str> {
        let mut chain = vec![ty];
        let mut at = ty;
        while let Some(ident) = self.types.get(at) {
            let Some(base) = self.type_base(ident) else {
                break;
            };
            if chain.contains(&base) {
                break;
            }
            chain.push(base);
            at = base;
        }
        chain
    }

    fn type_base(&self, name: &Ident) -> Option<&str> {
        self.type_bases.get(name.name.as_str()).copied()
    }

    /// True when one type is the other or one of its supertypes.
    fn compatible(&self, a: &str, b: &str) -> bool {
        self.ancestors(a).contains(&b) || self.ancestors(b).contains(&a)
    }

    /// True when a value of primitive kind `own` (`symbol` or `number`) fits a column of
    /// type `ty`: strings any symbol type, integers any numeric type.
    fn fits(&self, ty: &str, own: &str) -> bool {
        let root = self.ancestors(ty).last().copied().unwrap_or(ty);
        match own {
            "symbol" => root == "symbol",
            _ => matches!(root, "number" | "unsigned" | "float"),
        }
    }

    /// True when `a` is `b` or a subtype of it.
    fn is_subtype(&self, a: &str, b: &str) -> bool {
        self.ancestors(a).contains(&b)
    }
}

/// Checks that each variable of `rule` is used in columns of compatible types, and that
/// constants and arithmetic fit the columns they are in.
fn check_column_types(
    program: &Program,
    catalog: &Catalog<'_>,
    rule: &Rule,
    errors: &mut Vec<DlError>,
) {
    // Variable -> (most specific type seen, where, which column).
    let mut seen: BTreeMap<&str, (String, Span, String)> = BTreeMap::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    // The body first: a head column of the wrong type is reported at the head.
    let mut atoms: Vec<&Atom> = Vec::new();
    let mut equalities = Vec::new();
    collect_atoms(&rule.body, &mut atoms, &mut equalities);
    atoms.push(&rule.head);

    for atom in atoms {
        let Some(decl) = catalog.relations.get(atom.name.name.as_str()) else {
            continue;
        };
        if decl.columns.len() != atom.args.len() {
            continue;
        }
        for (arg, column) in atom.args.iter().zip(&decl.columns) {
            let ty = column.ty.name.as_str();
            if !catalog.type_exists(ty) {
                continue;
            }
            let where_ = format!("column `{}` of `{}`", column.name.name, atom.name.name);
            match arg {
                Term::Var(v) => {
                    let name = v.name.as_str();
                    match seen.get(name) {
                        None => {
                            seen.insert(name, (ty.to_owned(), v.span, where_));
                        }
                        Some((prev, prev_span, prev_where)) => {
                            if !catalog.compatible(prev, ty) {
                                if reported.insert(name) {
                                    errors.push(type_mismatch(
                                        program, name, ty, &where_, v.span, prev, prev_where,
                                        *prev_span,
                                    ));
                                }
                            } else if catalog.is_subtype(ty, prev) {
                                seen.insert(name, (ty.to_owned(), v.span, where_));
                            }
                        }
                    }
                }
                other => {
                    if let Some(own) = literal_type(other) {
                        if !catalog.fits(ty, own) {
                            errors.push(constant_mismatch(program, other, own, ty, &where_));
                        }
                    }
                }
            }
        }
    }
    // `x = <number>` makes `x` a number; `x = "s"` a symbol.
    for (var, term) in equalities {
        let Some(own) = literal_type(term) else {
            continue;
        };
        let name = var.name.as_str();
        if let Some((prev, _, prev_where)) = seen.get(name) {
            if !catalog.fits(prev, own) && reported.insert(name) {
                errors.push(constant_mismatch(program, term, own, prev, prev_where));
            }
        }
    }
}

fn collect_atoms<'a>(
    body: &'a [Literal],
    atoms: &mut Vec<&'a Atom>,
    equalities: &mut Vec<(&'a Ident, &'a Term)>,
) {
    for literal in body {
        match literal {
            Literal::Atom(a) | Literal::Negated { atom: a, .. } => {
                atoms.push(a);
                a.args.iter().for_each(|t| term_atoms(t, atoms, equalities));
            }
            Literal::Constraint(c) => {
                if c.op == CmpOp::Eq {
                    match (&c.left, &c.right) {
                        (Term::Var(v), t) | (t, Term::Var(v)) => equalities.push((v, t)),
                        _ => {}
                    }
                }
                term_atoms(&c.left, atoms, equalities);
                term_atoms(&c.right, atoms, equalities);
            }
            Literal::Call(c) => c.args.iter().for_each(|t| term_atoms(t, atoms, equalities)),
        }
    }
}

fn term_atoms<'a>(
    term: &'a Term,
    atoms: &mut Vec<&'a Atom>,
    equalities: &mut Vec<(&'a Ident, &'a Term)>,
) {
    match term {
        Term::Aggregate(agg) => collect_atoms(&agg.body, atoms, equalities),
        Term::Neg { operand, .. } => term_atoms(operand, atoms, equalities),
        Term::Binary { left, right, .. } => {
            term_atoms(left, atoms, equalities);
            term_atoms(right, atoms, equalities);
        }
        Term::Call(c) => c.args.iter().for_each(|t| term_atoms(t, atoms, equalities)),
        Term::Var(_) | Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn type_mismatch(
    program: &Program,
    name: &str,
    ty: &str,
    where_: &str,
    span: Span,
    prev: &str,
    prev_where: &str,
    prev_span: Span,
) -> DlError {
    error_at(
        program,
        codes::COLUMN_TYPE_MISMATCH,
        format!("variable `{name}` is used as both `{prev}` and `{ty}`"),
        span,
    )
    .with_label(format!("`{ty}` here ({where_})"))
    .with_secondary(prev_span, format!("`{prev}` here ({prev_where})"))
    .with_help(format!(
        "`{name}` is first used as `{prev}` in {prev_where}; use two variables, or \
         declare the columns with the same type"
    ))
}

fn constant_mismatch(program: &Program, term: &Term, own: &str, ty: &str, where_: &str) -> DlError {
    let what = if own == "symbol" {
        "a string"
    } else {
        "a number"
    };
    error_at(
        program,
        codes::COLUMN_TYPE_MISMATCH,
        format!("{what} in {where_}, which has type `{ty}`"),
        term.span(),
    )
    .with_label(format!("expected a `{ty}`"))
    .with_help(format!(
        "{where_} holds `{ty}` values; {what} does not fit there"
    ))
}
