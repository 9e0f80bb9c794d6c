//! User and bundled detection rules at run time: `.dl` files parsed, checked and evaluated by the
//! engine's interpreter over an org's input facts and the core rules' outputs, with no rebuild.
//!
//! A program is the schema (every relation's declaration, generated from
//! [`iamlog_engine::SCHEMA`]), the pack prelude (`rules/packs/aws/prelude.dl`: helpers such as
//! `can(s, a, d, c)`), and the rule files. Rule files may define new relations and read every
//! relation of the schema; they may not define a core relation. `action_covers` is filled here
//! for every concrete action the rule files name (see [`facts::action_point_covers`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use iamlog_engine::dl::{self, DlError, Item, Program, Term};
use iamlog_engine::dl::{evaluate, Database, Limits, Value};
use iamlog_engine::schema::RelationKind;
use iamlog_engine::{Interner, Sym, SCHEMA};
use iamlog_ingest::aws::facts;

use crate::analysis::{self, Answer, Org};

/// The display name of the generated schema file in diagnostics.
pub const SCHEMA_FILE: &str = "<schema>";
/// The prelude of the bundled AWS pack, by its path under `rules/packs`.
pub const AWS_PRELUDE: &str = "aws/prelude.dl";

/// One `.dl` source: the name shown in diagnostics, and its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// A rule file's annotations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: String,
    pub severity: String,
    pub summary: String,
    /// The file it came from (display name).
    pub file: String,
    /// The relations it declares `.output`.
    pub outputs: Vec<String>,
}

/// Errors of a rule program: the diagnostics, each with the text of the file it points into.
#[derive(Debug)]
pub struct RuleErrors(pub Vec<(DlError, String)>);

impl RuleErrors {
    /// Renders every diagnostic as `file:line:col` with the line and a caret.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|(e, text)| e.render(text))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The diagnostics as JSON values.
    pub fn to_json(&self) -> Vec<serde_json::Value> {
        self.0
            .iter()
            .map(|(e, text)| {
                let (line, column) = e
                    .span()
                    .map(|s| {
                        let l = s.location(text);
                        (l.line, l.column)
                    })
                    .unwrap_or((0, 0));
                serde_json::json!({
                    "code": e.code(),
                    "severity": if e.is_warning() { "warning" } else { "error" },
                    "message": e.message(),
                    "file": e.file(),
                    "line": line,
                    "column": column,
                    "help": e.help(),
                })
            })
            .collect()
    }
}

/// The `.dl` declarations of every relation of the schema.
pub fn schema_source() -> Source {
    let mut text = String::from(
        "// Generated from the engine's schema: every input and core output relation.\n",
    );
    // `Symbol` is every other type's supertype here, so a column of `Symbol` (a tag's entity,
    // a kind) takes a principal, an action or a resource.
    text.push_str(".type Symbol <: symbol\n");
    for t in [
        "Principal",
        "Action",
        "Resource",
        "Policy",
        "Statement",
        "Scope",
        "Condition",
    ] {
        text.push_str(&format!(".type {t} <: Symbol\n"));
    }
    for r in SCHEMA {
        let cols: Vec<String> = r
            .columns
            .iter()
            .map(|(name, ty)| format!("{name}: {}", ty.dl_name()))
            .collect();
        text.push_str(&format!(".decl {}({})\n", r.name, cols.join(", ")));
    }
    Source {
        name: SCHEMA_FILE.to_string(),
        text,
    }
}

/// The bundled pack files as sources, by path under `rules/packs`.
pub fn bundled() -> BTreeMap<&'static str, &'static str> {
    iamlog_rules::pack_sources().iter().copied().collect()
}

/// The bundled prelude.
pub fn prelude() -> Source {
    Source {
        name: format!("rules/packs/{AWS_PRELUDE}"),
        text: bundled()
            .get(AWS_PRELUDE)
            .copied()
            .unwrap_or_default()
            .to_string(),
    }
}

/// The bundled rule files (every `.dl` under `rules/packs/aws` but the prelude).
pub fn bundled_rules() -> Vec<Source> {
    bundled()
        .into_iter()
        .filter(|(p, _)| p.ends_with(".dl") && *p != AWS_PRELUDE)
        .map(|(p, t)| Source {
            name: format!("rules/packs/{p}"),
            text: t.to_string(),
        })
        .collect()
}

/// The `.dl` files of user directories (recursively, in path order), and files given directly.
pub fn read_rule_paths(paths: &[PathBuf]) -> Result<Vec<Source>, String> {
    let mut files = BTreeSet::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    files
        .into_iter()
        .map(|f| {
            std::fs::read_to_string(&f)
                .map(|text| Source {
                    name: f.display().to_string(),
                    text,
                })
                .map_err(|e| format!("{}: cannot read: {e}", f.display()))
        })
        .collect()
}

fn collect(path: &Path, out: &mut BTreeSet<PathBuf>) -> Result<(), String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if meta.is_file() {
        out.insert(path.to_path_buf());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    for entry in entries {
        let p = entry
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?
            .path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "dl")
            && p.file_name().is_some_and(|n| n != "prelude.dl")
        {
            out.insert(p);
        }
    }
    Ok(())
}

/// A rule file's `@id`, `@severity`, `@summary` annotations and its `.output` relations.
pub fn meta(source: &Source) -> RuleMeta {
    let mut m = RuleMeta {
        file: source.name.clone(),
        ..RuleMeta::default()
    };
    for line in source.text.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("//")
            .map(str::trim)
            .and_then(|r| r.strip_prefix('@'))
        {
            let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            match k {
                "id" => m.id = v.trim().to_string(),
                "severity" => m.severity = v.trim().to_string(),
                "summary" => m.summary = v.trim().to_string(),
                _ => {}
            }
        } else if let Some(rest) = line.strip_prefix(".output") {
            m.outputs
                .extend(rest.split_whitespace().map(str::to_string));
        }
    }
    m
}

/// Parses and checks `schema + sources`; returns the program and its warnings.
pub fn compile(sources: &[Source]) -> Result<(Program, RuleErrors), RuleErrors> {
    compile_inner(sources, false)
}

/// Like [`compile`], for rule tests: facts (rules without body) may mock schema relations.
pub fn compile_with_facts(sources: &[Source]) -> Result<(Program, RuleErrors), RuleErrors> {
    compile_inner(sources, true)
}

fn compile_inner(
    sources: &[Source],
    facts_allowed: bool,
) -> Result<(Program, RuleErrors), RuleErrors> {
    let schema = schema_source();
    let all: Vec<&Source> = std::iter::once(&schema).chain(sources).collect();
    let text_of = |name: Option<&str>| {
        all.iter()
            .find(|s| Some(s.name.as_str()) == name)
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };
    let program =
        dl::parse_files(all.iter().map(|s| (s.name.as_str(), s.text.as_str()))).map_err(|e| {
            let t = text_of(e.file());
            RuleErrors(vec![(e, t)])
        })?;
    let mut diags = dl::check(&program);
    // Rule files may not define a core relation.
    let core: BTreeSet<&str> = SCHEMA.iter().map(|r| r.name).collect();
    for item in &program.items {
        if let Item::Rule(rule) = item {
            if core.contains(rule.head.name.name.as_str()) && !(facts_allowed && rule.is_fact()) {
                let file = program
                    .files
                    .get(rule.head.name.span.file.0 as usize)
                    .cloned()
                    .unwrap_or_default();
                diags.push(
                    DlError::new(
                        dl::codes::DUPLICATE_DECLARATION,
                        format!(
                            "`{}` is a relation of iamlog's schema: rules may read it but not define it",
                            rule.head.name.name
                        ),
                    )
                    .with_span(rule.head.name.span)
                    .with_file(file)
                    .with_label("defined here")
                    .with_help("name the rule's relation after the pattern it finds"),
                );
            }
        }
    }
    // Nor a relation of the pack prelude (`can`, `admin`, ...): that would change every rule.
    let prelude_file = program.files.iter().position(|f| f.ends_with(AWS_PRELUDE));
    if let Some(pf) = prelude_file {
        let prelude_decls: BTreeSet<&str> = program
            .decls()
            .filter(|d| d.name.span.file.0 as usize == pf)
            .map(|d| d.name.name.as_str())
            .collect();
        for rule in program.rules() {
            let f = rule.head.name.span.file.0 as usize;
            if f != pf && prelude_decls.contains(rule.head.name.name.as_str()) {
                diags.push(
                    DlError::new(
                        dl::codes::DUPLICATE_DECLARATION,
                        format!(
                            "`{}` is defined by the pack prelude (rules/packs/{AWS_PRELUDE}): rules may read it but not add to it",
                            rule.head.name.name
                        ),
                    )
                    .with_span(rule.head.name.span)
                    .with_file(program.files.get(f).cloned().unwrap_or_default())
                    .with_label("defined here")
                    .with_help("give your relation another name"),
                );
            }
        }
    }
    let (warnings, errors): (Vec<DlError>, Vec<DlError>) =
        diags.into_iter().partition(DlError::is_warning);
    let located = |v: Vec<DlError>| {
        RuleErrors(
            v.into_iter()
                .map(|e| {
                    let t = text_of(e.file());
                    (e, t)
                })
                .collect(),
        )
    };
    if errors.is_empty() {
        Ok((program, located(warnings)))
    } else {
        Err(located(errors))
    }
}

/// The relations a program's rule bodies read (positively, negated, or in aggregates).
pub fn read_relations(program: &Program) -> BTreeSet<String> {
    fn lit(l: &dl::Literal, out: &mut BTreeSet<String>) {
        match l {
            dl::Literal::Atom(a) | dl::Literal::Negated { atom: a, .. } => {
                out.insert(a.name.name.clone());
                a.args.iter().for_each(|t| term(t, out));
            }
            dl::Literal::Constraint(c) => {
                term(&c.left, out);
                term(&c.right, out);
            }
            dl::Literal::Call(c) => c.args.iter().for_each(|t| term(t, out)),
        }
    }
    fn term(t: &Term, out: &mut BTreeSet<String>) {
        if let Term::Aggregate(a) = t {
            a.body.iter().for_each(|l| lit(l, out));
        }
    }
    let mut out = BTreeSet::new();
    for r in program.rules() {
        r.body.iter().for_each(|l| lit(l, &mut out));
        r.head.args.iter().for_each(|t| term(t, &mut out));
    }
    out
}

/// The string constants of a program that look like AWS actions (`service:Name`).
pub fn named_actions(program: &Program) -> BTreeSet<String> {
    fn walk(t: &Term, out: &mut BTreeSet<String>) {
        match t {
            Term::Str { value, .. } => {
                if let Some((svc, name)) = value.split_once(':') {
                    let ok = !svc.is_empty()
                        && svc
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                        && !name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric());
                    if ok {
                        out.insert(value.clone());
                    }
                }
            }
            Term::Neg { operand, .. } => walk(operand, out),
            Term::Binary { left, right, .. } => {
                walk(left, out);
                walk(right, out);
            }
            Term::Call(c) => c.args.iter().for_each(|a| walk(a, out)),
            Term::Aggregate(a) => a.body.iter().for_each(|l| lit(l, out)),
            _ => {}
        }
    }
    fn lit(l: &dl::Literal, out: &mut BTreeSet<String>) {
        match l {
            dl::Literal::Atom(a) | dl::Literal::Negated { atom: a, .. } => {
                a.args.iter().for_each(|t| walk(t, out));
            }
            dl::Literal::Constraint(c) => {
                walk(&c.left, out);
                walk(&c.right, out);
            }
            dl::Literal::Call(c) => c.args.iter().for_each(|t| walk(t, out)),
        }
    }
    let mut out = BTreeSet::new();
    for r in program.rules() {
        r.head.args.iter().for_each(|t| walk(t, &mut out));
        r.body.iter().for_each(|l| lit(l, &mut out));
    }
    out
}

/// The interpreter's database for an org's whole-org answer: every input and core output
/// relation, `action_covers` for the actions the program names over the action points of
/// `effective`, and `effective_action`: those concrete actions decided exactly, by a targeted
/// question, at each destination where a compact point covers them.
pub fn database(org: &Org, answer: &Answer, program: &Program) -> (Database, Interner) {
    let mut interner = answer.facts.interner.clone();
    let mut db = Database::new();
    // Only the relations the rules read are loaded.
    let read = read_relations(program);
    for r in SCHEMA.iter().filter(|r| read.contains(r.name)) {
        let rows = match r.kind {
            RelationKind::Input => answer.facts.rows(r.name),
            RelationKind::Derived => answer.derived.rows(r.name),
        }
        .unwrap_or_default();
        db.insert(
            r.name,
            rows.into_iter()
                .map(|row| row.into_iter().map(Value::Sym).collect::<Vec<_>>()),
        );
    }
    let points: BTreeSet<Sym> = answer
        .derived
        .effective
        .iter()
        .map(|row| row.1.sym())
        .collect();
    let mut covers = Vec::new();
    let mut covered: BTreeMap<Sym, Vec<String>> = BTreeMap::new();
    for action in named_actions(program) {
        let a = interner.intern(&action);
        for &p in &points {
            if facts::action_point_covers(interner.resolve(p), &action) {
                covers.push(vec![Value::Sym(p), Value::Sym(a)]);
                covered.entry(p).or_default().push(action.clone());
            }
        }
    }
    db.insert("action_covers", covers);

    // The concrete actions, decided exactly where a compact point grants them.
    let mut asked: BTreeSet<(String, String, String)> = BTreeSet::new();
    for row in &answer.derived.effective {
        if let Some(actions) = covered.get(&row.1.sym()) {
            for a in actions {
                asked.insert((
                    answer.name(row.0).to_string(),
                    a.clone(),
                    answer.name(row.2).to_string(),
                ));
            }
        }
    }
    if !asked.is_empty() {
        let sources: BTreeSet<String> = asked.iter().map(|(s, _, _)| s.clone()).collect();
        let question = facts::Question {
            sources: facts::Sources::Only(sources.into_iter().collect()),
            points: facts::Points::Only(
                asked
                    .iter()
                    .map(|(s, a, d)| facts::RequestPoint {
                        source: s.clone(),
                        action: a.clone(),
                        resource: d.clone(),
                        resource_account: None,
                    })
                    .collect(),
            ),
            context: facts::Context::Static,
        };
        let exact = analysis::ask(org, &question);
        let mut rows = Vec::new();
        for r in &exact.derived.effective {
            let key = (
                exact.name(r.0).to_string(),
                exact.name(r.1).to_string(),
                exact.name(r.2).to_string(),
            );
            if !asked.contains(&key) {
                continue;
            }
            rows.push(vec![
                Value::Sym(interner.intern(&key.0)),
                Value::Sym(interner.intern(&key.1)),
                Value::Sym(interner.intern(&key.2)),
                Value::Sym(interner.intern(exact.name(r.3))),
                Value::Sym(interner.intern(exact.name(r.4))),
                Value::Sym(interner.intern(exact.name(r.5))),
            ]);
        }
        db.insert("effective_action", rows);
    }
    (db, interner)
}

/// Runs a compiled program over `db`.
pub fn run(
    program: &Program,
    db: &mut Database,
    interner: &mut Interner,
) -> Result<(), RuleErrors> {
    evaluate(program, db, interner, &Limits::default())
        .map(|_| ())
        .map_err(|e| RuleErrors(vec![(e, String::new())]))
}

/// A relation's rows as display strings, sorted.
pub fn rows_text(db: &Database, interner: &Interner, name: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = db
        .rows(name)
        .into_iter()
        .map(|row| row.into_iter().map(|v| value_text(v, interner)).collect())
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

/// One value as text.
pub fn value_text(v: Value, interner: &Interner) -> String {
    match v {
        Value::Sym(s) => interner.resolve(s).to_string(),
        Value::Int(i) => i.to_string(),
    }
}

/// A row in canonical form: `relation("a", "b", 3)`.
pub fn canonical_row(name: &str, row: &[String], numeric: &[bool]) -> String {
    let args: Vec<String> = row
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if numeric.get(i).copied().unwrap_or(false) {
                v.clone()
            } else {
                iamlog_engine::canonical::quote(v)
            }
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

/// Which columns of a declared relation are numbers.
pub fn numeric_columns(program: &Program, name: &str) -> Vec<bool> {
    program
        .decls()
        .find(|d| d.name.name == name)
        .map(|d| d.columns.iter().map(|c| c.ty.name == "number").collect())
        .unwrap_or_default()
}

/// A query whose rules define relations it does not declare gets their declarations (and
/// `.output`) appended, each column typed like the body column that binds its variable
/// (`Symbol` otherwise, `number` for arithmetic): `admin(p) :- effective(p, "*", "*", _, _,
/// "true").` needs no `.decl`. Appended at the end, so diagnostics keep their lines.
pub fn auto_declare(user: &Source, context: &[Source]) -> Source {
    let schema = schema_source();
    let all: Vec<&Source> = std::iter::once(&schema)
        .chain(context)
        .chain(std::iter::once(user))
        .collect();
    let Ok(program) = dl::parse_files(all.iter().map(|s| (s.name.as_str(), s.text.as_str())))
    else {
        return user.clone();
    };
    let user_file = program.files.len().saturating_sub(1);
    let declared: BTreeMap<&str, Vec<&str>> = program
        .decls()
        .map(|d| {
            (
                d.name.name.as_str(),
                d.columns.iter().map(|c| c.ty.name.as_str()).collect(),
            )
        })
        .collect();
    let mut added: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rule in program.rules() {
        let name = rule.head.name.name.as_str();
        if rule.head.name.span.file.0 as usize != user_file || declared.contains_key(name) {
            continue;
        }
        let types: Vec<String> = rule
            .head
            .args
            .iter()
            .map(|t| match t {
                Term::Var(v) => rule
                    .body
                    .iter()
                    .find_map(|l| match l {
                        dl::Literal::Atom(a) => {
                            let cols = declared.get(a.name.name.as_str())?;
                            a.args.iter().zip(cols).find_map(|(arg, ty)| match arg {
                                Term::Var(x) if x.name == v.name => Some((*ty).to_string()),
                                _ => None,
                            })
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "Symbol".to_string()),
                Term::Num { .. } | Term::Neg { .. } | Term::Binary { .. } | Term::Aggregate(_) => {
                    "number".to_string()
                }
                _ => "Symbol".to_string(),
            })
            .collect();
        added.entry(name.to_string()).or_insert(types);
    }
    if added.is_empty() {
        return user.clone();
    }
    let mut text = user.text.clone();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    for (name, types) in added {
        let cols: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| format!("c{i}: {t}"))
            .collect();
        text.push_str(&format!(
            ".decl {name}({})\n.output {name}\n",
            cols.join(", ")
        ));
    }
    Source {
        name: user.name.clone(),
        text,
    }
}
