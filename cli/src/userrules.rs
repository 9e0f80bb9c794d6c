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
use iamlog_engine::schema::{RelationKind, RelationSchema};
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

/// For each relation a program reads (positively, negated, or in aggregates), the constants
/// its columns are read with: a column's set when every atom that reads the relation has a
/// string constant there, `None` when some atom binds or ignores it. A row whose value is in
/// none of its column's set joins with no atom, so it need not be loaded: bundled rules read
/// `effective_caveat(p, "*", "*", ...)` only, a few rows of millions. `shown` relations
/// (printed as they are) are never filtered.
pub fn read_filters(program: &Program, shown: &BTreeSet<String>) -> BTreeMap<String, Filter> {
    fn lit(l: &dl::Literal, out: &mut BTreeMap<String, Filter>) {
        match l {
            dl::Literal::Atom(a) | dl::Literal::Negated { atom: a, .. } => {
                let cols: Filter = a
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Str { value, .. } => Some(BTreeSet::from([value.clone()])),
                        _ => None,
                    })
                    .collect();
                match out.get_mut(&a.name.name) {
                    Some(old) => {
                        for (o, c) in old.iter_mut().zip(cols) {
                            match (o.as_mut(), c) {
                                (Some(set), Some(more)) => set.extend(more),
                                _ => *o = None,
                            }
                        }
                    }
                    None => {
                        out.insert(a.name.name.clone(), cols);
                    }
                }
                a.args.iter().for_each(|t| term(t, out));
            }
            dl::Literal::Constraint(c) => {
                term(&c.left, out);
                term(&c.right, out);
            }
            dl::Literal::Call(c) => c.args.iter().for_each(|t| term(t, out)),
        }
    }
    fn term(t: &Term, out: &mut BTreeMap<String, Filter>) {
        if let Term::Aggregate(a) = t {
            a.body.iter().for_each(|l| lit(l, out));
        }
    }
    let mut out = BTreeMap::new();
    for r in program.rules() {
        r.body.iter().for_each(|l| lit(l, &mut out));
        r.head.args.iter().for_each(|t| term(t, &mut out));
    }
    for name in shown {
        out.insert(name.clone(), Vec::new());
    }
    out
}

/// The constants each column of a relation is read with (`None`: any value); see
/// [`read_filters`]. An empty filter keeps every row.
pub type Filter = Vec<Option<BTreeSet<String>>>;

/// A [`Filter`] over one interner's symbols: `None` for a column read with any value, else
/// the symbols of its constants (those the interner knows; a constant it does not know is no
/// value of any row).
struct SymFilter(Vec<Option<std::collections::HashSet<Sym>>>);

impl SymFilter {
    fn new(filter: Option<&Filter>, interner: &Interner) -> SymFilter {
        SymFilter(
            filter
                .map(|cols| {
                    cols.iter()
                        .map(|c| {
                            c.as_ref()
                                .map(|set| set.iter().filter_map(|v| interner.get(v)).collect())
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    fn keeps(&self, row: &[Sym]) -> bool {
        self.0
            .iter()
            .zip(row)
            .all(|(c, v)| c.as_ref().is_none_or(|set| set.contains(v)))
    }
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

/// The interpreter's database for the whole org: every input and core output relation the
/// program reads, `action_covers` for the actions the program names over the action points of
/// `effective`, and `effective_action`: those concrete actions decided exactly, by a targeted
/// question, at each destination where a compact point covers them.
///
/// An org with at most [`analysis::batch_size`] sources is one whole-org question. A larger
/// one is asked `batch` sources at a time on [`analysis::threads`] threads, as `what-can
/// --all` is, and the relations read are the union of the batches' (DESIGN.md §3: a whole-org
/// question in one run writes each statement that names everyone once per caller, which grows
/// with the square of the accounts). A source's rows do not depend on the sources asked with
/// it, but a role chain crosses batches, so `reaches` is closed here over the union of
/// `can_assume`. The same findings for any batch size (tests).
/// `shown` relations (printed by `query --output`) are loaded whole, read or not.
pub fn database(org: &Org, program: &Program, shown: &BTreeSet<String>) -> (Database, Interner) {
    database_in_batches(
        org,
        program,
        shown,
        analysis::batch_size(),
        analysis::threads(),
    )
}

/// Whether a relation's rows take the shape of the question, not only of the org: those with a
/// statement column. Which statements a question writes, how (a Resource written once, or once
/// per holder), and under which id (a check's own copy of a policy that is one source's
/// identity policy and another's boundary) depend on the sources asked together. Slices of
/// the whole-org question write them otherwise than one whole-org question does, so a program
/// that reads one is evaluated over one whole-org question. Every other relation is the same
/// either way (tests).
pub fn question_shaped(relation: &str) -> bool {
    SCHEMA.iter().any(|r| {
        r.name == relation
            && r.columns
                .iter()
                .any(|(_, ty)| *ty == iamlog_engine::schema::ColumnType::Statement)
    })
}

/// The derived relations whose rows stay those of the whole-org question when slices leave
/// out the resource-policy matches no access point of their source reads (as `what-can`
/// does: `facts::Sources::Slice`'s `skip_unread`). Every rule that reads such a match joins it
/// with an access point of the source, and a source of another account than the resource has
/// none there without an identity grant in that account, so the net effective access, its
/// caveats and what follows from them do not change. Intermediate relations do: the points a
/// foreign Allow names (`rp_point_foreign`, and `access_point` where the destination has no
/// account), the consents there (`rp_consent_partial`, `rp_consent_some`), and the input
/// relations of conditions, which describe the conditions the question's rows use
/// (`condition_with_caveat`). Input relations without a statement or a condition column are
/// written as without it, and the closures of two of them (`member_of`, `scope_ancestor`)
/// follow, as does `effective_action`, made from `effective` ([`add_actions`]).
pub const SAME_WITHOUT_UNREAD: &[&str] = &[
    "effective",
    "effective_action",
    "effective_caveat",
    "can_assume",
    "reaches",
    "member_of",
    "scope_ancestor",
];

/// Whether slices may leave out the unread resource-policy matches for a program that reads
/// `read`: when it reads no derived relation of the core but [`SAME_WITHOUT_UNREAD`]. (The
/// bundled rules read none: on the large synthetic org every `Principal: "*"` statement of
/// its 25,000 resource policies named every source of every slice, 885,000 matches a slice of
/// 32 sources, and 3 to 5 s a slice became 0.05 to 0.35 s.)
pub fn skips_unread_matches(read: &BTreeSet<String>) -> bool {
    read.iter().all(|r| {
        iamlog_engine::schema::relation(r).is_none_or(|schema| {
            SAME_WITHOUT_UNREAD.contains(&schema.name)
                || (schema.kind == iamlog_engine::schema::RelationKind::Input
                    && schema.columns.iter().all(|(_, ty)| {
                        !matches!(
                            ty,
                            iamlog_engine::schema::ColumnType::Statement
                                | iamlog_engine::schema::ColumnType::Condition
                        )
                    }))
        })
    })
}

/// [`database`] with `batch` sources per question on `threads` threads.
pub fn database_in_batches(
    org: &Org,
    program: &Program,
    shown: &BTreeSet<String>,
    batch: usize,
    threads: usize,
) -> (Database, Interner) {
    let sources = facts::whole_org_sources(org.aws());
    let filters = read_filters(program, shown);
    // The relations read, and those shown.
    let read: BTreeSet<String> = filters.keys().cloned().collect();
    if sources.len() <= batch.max(1) || read.iter().any(|r| question_shaped(r)) {
        let answer = analysis::ask(org, &facts::Question::whole_org());
        return database_of_answer(org, &answer, program, &read, &filters, threads);
    }
    let reaches = read.contains("reaches");
    // The action points of `effective` are needed for the concrete actions the program names.
    let actions = !named_actions(program).is_empty();
    let wanted: Vec<&'static RelationSchema> = SCHEMA
        .iter()
        .filter(|r| read.contains(r.name) && r.name != "reaches")
        .collect();
    // The rows an SCP's Allow of everything gives, at every access point and level it is
    // attached at, are read only through these two relations: 3.3 M rows each over the
    // slices of 10 accounts of the medium synthetic org, the two largest relations.
    let open_scps = ["scp_level_permits", "scp_level_touches"]
        .iter()
        .any(|r| read.contains(*r));
    let skip_unread = skips_unread_matches(&read);
    let started = std::time::Instant::now();
    crate::progress::phase(&format!(
        "evaluating the rules: 0 of {} sources",
        sources.len()
    ));
    let batches: Vec<&[String]> = sources.chunks(batch.max(1)).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Each slice's rows are merged as it is done, so memory holds the union and the slices
    // being asked, not every slice's rows at once. (The interner numbers strings in the order
    // slices end; rows are printed by string, so the output does not depend on it.)
    let merged = std::sync::Mutex::new(Merged::default());
    analysis::on_threads(&batches, threads, &|part: &&[String]| {
        let question = facts::Question {
            sources: facts::Sources::Slice {
                sources: part.to_vec(),
                // One slice writes the inventory.
                inventory: part.first() == sources.first(),
                open_scps,
                skip_unread,
            },
            points: facts::Points::All,
            context: facts::Context::Static,
        };
        let asked = part.len();
        let part = Part::of(
            &analysis::ask_quietly(org, &question),
            &wanted,
            &filters,
            reaches,
            actions,
        );
        // A worker that panicked while merging is a bug, propagated by `on_threads`.
        if let Ok(mut m) = merged.lock() {
            m.add(part);
        }
        let n = done.fetch_add(asked, std::sync::atomic::Ordering::Relaxed) + asked;
        crate::progress::phase_since(
            &format!("evaluating the rules: {n} of {} sources", sources.len()),
            started,
        );
    });
    crate::progress::done();
    let Merged {
        mut interner,
        mut db,
        mut effective,
        can_assume,
    } = merged
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if reaches {
        db.insert("reaches", closure(&can_assume));
    }
    effective.sort_unstable();
    effective.dedup();
    add_actions(org, program, &mut db, &mut interner, &effective, threads);
    (db, interner)
}

/// The union of the slices merged so far.
#[derive(Default)]
struct Merged {
    interner: Interner,
    db: Database,
    /// The (source, action point, destination) of every `effective` row.
    effective: Vec<[Sym; 3]>,
    /// The (source, role) of every `can_assume` row, when `reaches` is read.
    can_assume: Vec<[Sym; 2]>,
}

impl Merged {
    fn add(&mut self, part: Part) {
        let global: Vec<Sym> = part
            .strings
            .iter()
            .map(|s| self.interner.intern(s))
            .collect();
        let at = |i: &u32| global.get(*i as usize).copied().unwrap_or(Sym(u32::MAX));
        self.effective
            .extend(part.effective.iter().map(|row| row.each_ref().map(at)));
        self.can_assume
            .extend(part.can_assume.iter().map(|row| row.each_ref().map(at)));
        for (name, rows) in part.relations {
            self.db.insert(
                name,
                rows.iter()
                    .map(|row| row.iter().map(|i| Value::Sym(at(i))).collect::<Vec<_>>()),
            );
        }
    }
}

/// The rows of some relations of one answer, by indices into the strings they mention (the
/// answer's interner is dropped with it).
struct Part {
    strings: Vec<String>,
    /// The rows to load, filtered ([`read_filters`]).
    relations: Vec<(&'static str, Vec<Vec<u32>>)>,
    /// The (source, action point, destination) of every `effective` row, when the program
    /// names concrete actions.
    effective: Vec<[u32; 3]>,
    /// The (source, role) of every `can_assume` row, when `reaches` is read.
    can_assume: Vec<[u32; 2]>,
}

impl Part {
    fn of(
        answer: &Answer,
        wanted: &[&'static RelationSchema],
        filters: &BTreeMap<String, Filter>,
        reaches: bool,
        actions: bool,
    ) -> Part {
        let mut local: Vec<u32> = vec![u32::MAX; answer.facts.interner.len()];
        let mut strings: Vec<String> = Vec::new();
        let mut index = |s: Sym| -> u32 {
            match local.get_mut(s.0 as usize) {
                Some(slot) => {
                    if *slot == u32::MAX {
                        *slot = u32::try_from(strings.len()).unwrap_or(u32::MAX);
                        strings.push(answer.name(s).to_string());
                    }
                    *slot
                }
                None => u32::MAX,
            }
        };
        let relations = wanted
            .iter()
            .map(|r| {
                let keep = SymFilter::new(filters.get(r.name), &answer.facts.interner);
                let rows = relation_rows(answer, r)
                    .into_iter()
                    .filter(|row| keep.keeps(row))
                    .map(|row| row.into_iter().map(&mut index).collect())
                    .collect();
                (r.name, rows)
            })
            .collect();
        let effective = if actions {
            answer
                .derived
                .effective
                .iter()
                .map(|row| [index(row.0.sym()), index(row.1.sym()), index(row.2.sym())])
                .collect()
        } else {
            Vec::new()
        };
        let can_assume = if reaches {
            answer
                .derived
                .can_assume
                .iter()
                .map(|row| [index(row.0.sym()), index(row.1.sym())])
                .collect()
        } else {
            Vec::new()
        };
        Part {
            strings,
            relations,
            effective,
            can_assume,
        }
    }
}

/// A relation's rows in an answer.
fn relation_rows(answer: &Answer, r: &RelationSchema) -> Vec<Vec<Sym>> {
    match r.kind {
        RelationKind::Input => answer.facts.rows(r.name),
        RelationKind::Derived => answer.derived.rows(r.name),
    }
    .unwrap_or_default()
}

/// `reaches` from `can_assume` rows (rule C2): s reaches r when a chain of one or more
/// assumptions leads from s to r.
fn closure(can_assume: &[[Sym; 2]]) -> Vec<Vec<Value>> {
    let mut next: BTreeMap<Sym, Vec<Sym>> = BTreeMap::new();
    for &[s, r] in can_assume {
        next.entry(s).or_default().push(r);
    }
    let mut out = Vec::new();
    for (&s, first) in &next {
        let mut seen: BTreeSet<Sym> = BTreeSet::new();
        let mut todo: Vec<Sym> = first.clone();
        while let Some(r) = todo.pop() {
            if seen.insert(r) {
                todo.extend(next.get(&r).into_iter().flatten().copied());
            }
        }
        out.extend(seen.into_iter().map(|r| vec![Value::Sym(s), Value::Sym(r)]));
    }
    out
}

/// [`database`] of one whole-org answer.
fn database_of_answer(
    org: &Org,
    answer: &Answer,
    program: &Program,
    read: &BTreeSet<String>,
    filters: &BTreeMap<String, Filter>,
    threads: usize,
) -> (Database, Interner) {
    let mut interner = answer.facts.interner.clone();
    let mut db = Database::new();
    // Only the relations the rules read are loaded, and of them the rows they may join.
    for r in SCHEMA.iter().filter(|r| read.contains(r.name)) {
        let keep = SymFilter::new(filters.get(r.name), &answer.facts.interner);
        db.insert(
            r.name,
            relation_rows(answer, r)
                .into_iter()
                .filter(|row| keep.keeps(row))
                .map(|row| row.into_iter().map(Value::Sym).collect::<Vec<_>>()),
        );
    }
    let effective: Vec<[Sym; 3]> = answer
        .derived
        .effective
        .iter()
        .map(|row| [row.0.sym(), row.1.sym(), row.2.sym()])
        .collect();
    add_actions(org, program, &mut db, &mut interner, &effective, threads);
    (db, interner)
}

/// Adds `action_covers` and `effective_action` for the concrete actions `program` names, given
/// the (source, action point, destination) of every `effective` row.
fn add_actions(
    org: &Org,
    program: &Program,
    db: &mut Database,
    interner: &mut Interner,
    effective: &[[Sym; 3]],
    threads: usize,
) {
    let named = named_actions(program);
    if named.is_empty() {
        return;
    }
    let points: BTreeSet<Sym> = effective.iter().map(|row| row[1]).collect();
    let mut covers = Vec::new();
    let mut covered: BTreeMap<Sym, Vec<String>> = BTreeMap::new();
    for action in named {
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
    for row in effective {
        if let Some(actions) = covered.get(&row[1]) {
            for a in actions {
                asked.insert((
                    interner.resolve(row[0]).to_string(),
                    a.clone(),
                    interner.resolve(row[2]).to_string(),
                ));
            }
        }
    }
    // Asked a few sources at a time, as the whole-org table is.
    /// The (source, action, destination) triples of one source.
    type Group<'a> = Vec<&'a (String, String, String)>;
    let mut by_source: Vec<Group<'_>> = Vec::new();
    for key in &asked {
        match by_source.last_mut() {
            Some(group) if group.first().is_some_and(|k| k.0 == key.0) => group.push(key),
            _ => by_source.push(vec![key]),
        }
    }
    let chunks: Vec<&[Group<'_>]> = by_source.chunks(analysis::batch_size()).collect();
    let decided = analysis::on_threads(&chunks, threads, &|chunk| {
        let question = facts::Question {
            sources: facts::Sources::Only(
                chunk
                    .iter()
                    .filter_map(|g| g.first().map(|k| k.0.clone()))
                    .collect(),
            ),
            points: facts::Points::Only(
                chunk
                    .iter()
                    .flatten()
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
        let exact = analysis::ask_quietly(org, &question);
        let mut rows: Vec<[String; 6]> = Vec::new();
        for r in &exact.derived.effective {
            let row = [
                exact.name(r.0).to_string(),
                exact.name(r.1).to_string(),
                exact.name(r.2).to_string(),
                exact.name(r.3).to_string(),
                exact.name(r.4).to_string(),
                exact.name(r.5).to_string(),
            ];
            let [s, a, d, ..] = &row;
            if asked.contains(&(s.clone(), a.clone(), d.clone())) {
                rows.push(row);
            }
        }
        rows
    });
    let rows: Vec<Vec<Value>> = decided
        .into_iter()
        .flatten()
        .map(|row| row.iter().map(|v| Value::Sym(interner.intern(v))).collect())
        .collect();
    db.insert("effective_action", rows);
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
