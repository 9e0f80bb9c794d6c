//! Code generation: a checked [`Program`] to the Rust source of an `ascent!` program, plus glue
//! that runs it over [`Facts`](crate::Facts) and returns [`Derived`](crate::Derived).
//!
//! This is text generation only: the engine does not depend on ascent; the crate that
//! includes the output does (`rules/build.rs`).
//!
//! The translated subset: positive and negated atoms whose arguments are variables or `_`, and
//! `x = y` / `x != y` between variables. Everything else (constants, arithmetic, calls,
//! aggregates, facts) is reported as [`codes::ASCENT_UNSUPPORTED`]; the interpreter runs the
//! full language.
//!
//! Translation notes (ascent 0.8 evaluates a rule body left to right, as nested loops):
//! - Positive atoms keep their written order. Every other literal is placed right after the
//!   first positive atom at which all of its variables are bound, so filters prune early and a
//!   negation may be written before the atoms that bind it, as Datalog allows.
//! - `_` is passed through: ascent turns `_` in a positive atom into a fresh variable, and
//!   leaves it out of the lookup key of a negated atom (`!denied(s, a, d, _)` means "no row
//!   with any fourth column").
//! - A variable repeated inside one atom is passed through: ascent desugars `r(x, x)` into a
//!   fresh variable and an equality test.
//! - `x = y` where `y` is bound and `x` is not becomes `let x = y`; with both bound it becomes
//!   `if x == y`. `x != y` becomes `if x != y`.
//! - Variables are Rust identifiers: a name that is a Rust keyword, starts with `_`, or starts
//!   with `v_` gets the prefix `v_` (an injective renaming).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::ast::{CmpOp, Decl, IoKind, Literal, Program, Rule, Term};
use super::check::check;
use super::error::{codes, DlError, Span};
use crate::schema::ColumnType;

/// What to generate.
#[derive(Clone, Debug)]
pub struct AscentOptions {
    /// The name of the generated program struct.
    pub struct_name: String,
    /// The name of the glue function `fn(&Facts) -> Derived`, or `None` for no glue (then the
    /// program's relations need not match the engine's `Facts` and `Derived`).
    pub run_fn: Option<String>,
    /// The path of the engine crate in the including crate.
    pub engine_crate: String,
    /// The path of a module providing ascent's relation-store macros (`#![ds(path)]`: `rel!`,
    /// `rel_ind!` and the rest), or `None` for ascent's default store.
    pub relation_store: Option<String>,
}

impl Default for AscentOptions {
    fn default() -> Self {
        AscentOptions {
            struct_name: "CoreProgram".to_owned(),
            run_fn: Some("run_core".to_owned()),
            engine_crate: "iamlog_engine".to_owned(),
            relation_store: None,
        }
    }
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "try",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "agg",
];

/// The Rust identifier for `.dl` variable `name` (see the module notes).
pub fn rust_var(name: &str) -> String {
    if RUST_KEYWORDS.contains(&name) || name.starts_with('_') || name.starts_with("v_") {
        format!("v_{name}")
    } else {
        name.to_owned()
    }
}

fn unsupported(program: &Program, span: Span, what: &str) -> DlError {
    DlError::new(
        codes::ASCENT_UNSUPPORTED,
        format!("{what} cannot be compiled to ascent"),
    )
    .with_span(span)
    .with_file(program.file_name(span.file))
    .with_label("not supported by the ascent backend")
    .with_help(
        "rules compiled to ascent may use atoms, negated atoms, variables, `_`, and `=` / `!=` \
         between variables; the interpreter runs the full language",
    )
}

fn column_types(program: &Program, decl: &Decl) -> Result<Vec<ColumnType>, DlError> {
    decl.columns
        .iter()
        .map(|c| {
            ColumnType::from_dl_name(&c.ty.name).ok_or_else(|| {
                let names: Vec<&str> = ColumnType::ALL.iter().map(|t| t.dl_name()).collect();
                DlError::new(
                    codes::ASCENT_COLUMN_TYPE,
                    format!("column type `{}` has no Rust id type", c.ty.name),
                )
                .with_span(c.ty.span)
                .with_file(program.file_name(c.ty.span.file))
                .with_label("no id type")
                .with_help(format!(
                    "ascent columns use the id types {}",
                    names.join(", ")
                ))
            })
        })
        .collect()
}

/// Generates the Rust source of an `ascent!` program for `program` (see the module notes),
/// after running [`check`]; the first error found (not warning) is returned.
pub fn compile_to_ascent(program: &Program, opts: &AscentOptions) -> Result<String, DlError> {
    if let Some(err) = check(program).into_iter().find(|e| !e.is_warning()) {
        return Err(err);
    }

    let mut relations = Vec::new();
    let mut id_types = BTreeSet::new();
    for decl in program.decls() {
        if RUST_KEYWORDS.contains(&decl.name.name.as_str()) {
            return Err(unsupported(
                program,
                decl.name.span,
                "a relation named after a Rust keyword",
            ));
        }
        let types = column_types(program, decl)?;
        id_types.extend(types.iter().map(|t| t.rust_type()));
        relations.push((decl, types));
    }

    let mut rules = String::new();
    for rule in program.rules() {
        translate_rule(program, rule, &mut rules)?;
    }

    let mut out = String::new();
    out.push_str(
        "// @generated by iamlog_engine::dl::compile_to_ascent from .dl rules. Do not edit: edit \
         the .dl files.\n\n",
    );
    if !id_types.is_empty() {
        let types: Vec<&str> = id_types.into_iter().collect();
        let _ = writeln!(
            out,
            "use {}::{{{}}};\n",
            opts.engine_crate,
            types.join(", ")
        );
    }
    out.push_str("::ascent::ascent! {\n");
    if let Some(store) = &opts.relation_store {
        let _ = writeln!(out, "    #![ds({store})]");
    }
    let _ = writeln!(out, "    /// The program compiled from the `.dl` rules.");
    let _ = writeln!(out, "    pub struct {};\n", opts.struct_name);
    for (decl, types) in &relations {
        for line in &decl.comments {
            let _ = writeln!(out, "    // {line}");
        }
        let cols: Vec<String> = decl
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.name.name, c.ty.name))
            .collect();
        let _ = writeln!(out, "    // {}({})", decl.name.name, cols.join(", "));
        let rust: Vec<&str> = types.iter().map(|t| t.rust_type()).collect();
        let _ = writeln!(out, "    relation {}({});", decl.name.name, rust.join(", "));
    }
    out.push_str(&rules);
    out.push_str("}\n");

    if let Some(run_fn) = &opts.run_fn {
        write_glue(&mut out, program, opts, run_fn);
    }
    Ok(out)
}

fn write_glue(out: &mut String, program: &Program, opts: &AscentOptions, run_fn: &str) {
    let engine = &opts.engine_crate;
    // Copy only the inputs some rule reads.
    let mut read = BTreeSet::new();
    for rule in program.rules() {
        for literal in &rule.body {
            if let Literal::Atom(atom) | Literal::Negated { atom, .. } = literal {
                read.insert(atom.name.name.as_str());
            }
        }
    }
    let mut seen = BTreeSet::new();
    let inputs: Vec<&str> = program
        .io_relations(IoKind::Input)
        .map(|i| i.name.as_str())
        .filter(|n| read.contains(n) && seen.insert(*n))
        .collect();
    let mut seen = BTreeSet::new();
    let outputs: Vec<&str> = program
        .io_relations(IoKind::Output)
        .map(|i| i.name.as_str())
        .filter(|n| seen.insert(*n))
        .collect();

    let _ = writeln!(
        out,
        "\n/// Runs the rules over `facts`: copies in the input relations the rules read, evaluates \
         to a\n/// fixpoint, and moves every output relation into the result."
    );
    let _ = writeln!(
        out,
        "pub fn {run_fn}(facts: &{engine}::Facts) -> {engine}::Derived {{"
    );
    if inputs.is_empty() {
        let _ = writeln!(
            out,
            "    let mut program = {}::default();",
            opts.struct_name
        );
    } else {
        let _ = writeln!(out, "    let mut program = {} {{", opts.struct_name);
        for name in inputs {
            let _ = writeln!(out, "        {name}: facts.{name}.clone(),");
        }
        out.push_str("        ..::std::default::Default::default()\n    };\n");
    }
    out.push_str("    program.run();\n");
    let _ = writeln!(out, "    {engine}::Derived {{");
    for name in outputs {
        let _ = writeln!(
            out,
            "        {name}: ::std::mem::take(&mut program.{name}),"
        );
    }
    out.push_str("    }\n}\n");
}

/// A body literal in ascent form, with the variables it needs and the one it binds.
struct Step<'r> {
    text: String,
    needs: Vec<&'r str>,
    /// For `x = y` with one side unbound: the candidate bindings (`x` from `y`, `y` from `x`).
    binds: Vec<(&'r str, &'r str)>,
}

fn translate_rule(program: &Program, rule: &Rule, out: &mut String) -> Result<(), DlError> {
    if rule.is_fact() {
        return Err(unsupported(program, rule.span, "a fact"));
    }
    let mut head = Vec::new();
    for arg in &rule.head.args {
        match arg {
            Term::Var(v) => head.push(rust_var(&v.name)),
            other => {
                return Err(unsupported(
                    program,
                    other.span(),
                    "a head argument other than a variable",
                ))
            }
        }
    }

    let mut atoms: Vec<(String, Vec<&str>)> = Vec::new();
    let mut steps: Vec<Step<'_>> = Vec::new();
    for literal in &rule.body {
        match literal {
            Literal::Atom(atom) => {
                let (text, vars) = atom_text(program, &atom.name.name, &atom.args)?;
                atoms.push((text, vars));
            }
            Literal::Negated { atom, .. } => {
                let (text, vars) = atom_text(program, &atom.name.name, &atom.args)?;
                steps.push(Step {
                    text: format!("!{text}"),
                    needs: vars,
                    binds: Vec::new(),
                });
            }
            Literal::Constraint(c) => {
                let (Term::Var(l), Term::Var(r)) = (&c.left, &c.right) else {
                    return Err(unsupported(
                        program,
                        c.span,
                        "a comparison other than between two variables",
                    ));
                };
                let (l, r) = (l.name.as_str(), r.name.as_str());
                match c.op {
                    CmpOp::Eq => steps.push(Step {
                        text: format!("if {} == {}", rust_var(l), rust_var(r)),
                        needs: vec![l, r],
                        binds: vec![(l, r), (r, l)],
                    }),
                    CmpOp::Ne => steps.push(Step {
                        text: format!("if {} != {}", rust_var(l), rust_var(r)),
                        needs: vec![l, r],
                        binds: Vec::new(),
                    }),
                    _ => return Err(unsupported(program, c.span, "an ordering comparison")),
                }
            }
            Literal::Call(call) => {
                return Err(unsupported(program, call.span, "a builtin predicate"))
            }
        }
    }

    // Place each non-atom step right after the earliest atom that binds what it needs.
    let mut body = Vec::new();
    let mut bound: BTreeSet<&str> = BTreeSet::new();
    place_ready(&mut steps, &mut bound, &mut body);
    for (text, vars) in atoms {
        body.push(text);
        bound.extend(vars);
        place_ready(&mut steps, &mut bound, &mut body);
    }
    if let Some(step) = steps.first() {
        // The checker's range restriction makes this unreachable; report rather than emit
        // code that cannot compile.
        let unbound: Vec<&str> = step
            .needs
            .iter()
            .copied()
            .filter(|v| !bound.contains(v))
            .collect();
        return Err(unsupported(
            program,
            rule.span,
            &format!(
                "a rule whose variables {} are never bound",
                unbound.join(", ")
            ),
        ));
    }

    out.push('\n');
    for line in &rule.comments {
        if line.is_empty() {
            out.push_str("    //\n");
        } else {
            let _ = writeln!(out, "    // {line}");
        }
    }
    let _ = writeln!(out, "    // {rule}");
    let _ = write!(out, "    {}({}) <--", rule.head.name.name, head.join(", "));
    for (i, item) in body.iter().enumerate() {
        let sep = if i + 1 == body.len() { ";" } else { "," };
        let _ = write!(out, "\n        {item}{sep}");
    }
    out.push('\n');
    Ok(())
}

/// Moves every step whose needs are bound (or that can bind its one unbound side) from
/// `steps` to `body`, repeatedly, keeping the written order among ready steps.
fn place_ready<'r>(
    steps: &mut Vec<Step<'r>>,
    bound: &mut BTreeSet<&'r str>,
    body: &mut Vec<String>,
) {
    loop {
        let ready = steps.iter().position(|s| {
            s.needs.iter().all(|v| bound.contains(v))
                || s.binds.iter().any(|(_, from)| bound.contains(from))
        });
        let Some(i) = ready else {
            return;
        };
        let step = steps.remove(i);
        if step.needs.iter().all(|v| bound.contains(v)) {
            body.push(step.text);
        } else if let Some((to, from)) = step.binds.iter().find(|(_, from)| bound.contains(from)) {
            body.push(format!("let {} = {}", rust_var(to), rust_var(from)));
            bound.insert(to);
        }
    }
}

fn atom_text<'r>(
    program: &Program,
    name: &str,
    args: &'r [Term],
) -> Result<(String, Vec<&'r str>), DlError> {
    let mut parts = Vec::new();
    let mut vars = Vec::new();
    for arg in args {
        match arg {
            Term::Var(v) => {
                parts.push(rust_var(&v.name));
                vars.push(v.name.as_str());
            }
            Term::Wildcard(_) => parts.push("_".to_owned()),
            other => {
                return Err(unsupported(
                    program,
                    other.span(),
                    "an atom argument other than a variable or `_`",
                ))
            }
        }
    }
    Ok((format!("{name}({})", parts.join(", ")), vars))
}
