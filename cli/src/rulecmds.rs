//! `iamlog query`, `check`, `test` and `rules`: the commands around the rule language.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

use iamlog_engine::dl::{Database, Program};
use iamlog_engine::Interner;

use crate::analysis::Org;
use crate::userrules::{self, RuleErrors, RuleMeta, Source};
use crate::{CliError, CmdResult, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};

/// How diagnostics of rule files are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// `file:line:col`, the line and a caret.
    #[default]
    Human,
    /// One JSON array of diagnostics.
    Json,
}

/// How `check` prints findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    #[default]
    Table,
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

/// Severities, lowest first.
const SEVERITIES: &[&str] = &["info", "low", "medium", "high", "critical"];

fn severity_rank(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(0)
}

/// Prints diagnostics; returns the exit code for errors.
fn report(diags: &RuleErrors, format: ErrorFormat, err: &mut dyn Write) -> std::io::Result<()> {
    if diags.0.is_empty() {
        return Ok(());
    }
    match format {
        ErrorFormat::Human => writeln!(err, "{}", diags.render()),
        ErrorFormat::Json => writeln!(err, "{}", Json::Array(diags.to_json())),
    }
}

/// Compiles sources, printing warnings; `None` (after printing) when there are errors.
fn compile_or_report(
    sources: &[Source],
    format: ErrorFormat,
    err: &mut dyn Write,
) -> Result<Option<Program>, CliError> {
    match userrules::compile(sources) {
        Ok((program, warnings)) => {
            report(&warnings, format, err)?;
            Ok(Some(program))
        }
        Err(errors) => {
            report(&errors, format, err)?;
            Ok(None)
        }
    }
}

/// Loads the org, asks the whole-org question and evaluates `program` over it.
fn evaluate_over_org(
    org: &Org,
    program: &Program,
    shown: &BTreeSet<String>,
    format: ErrorFormat,
    err: &mut dyn Write,
) -> Result<Option<(Database, Interner)>, CliError> {
    let mut timings = crate::timings::Timings::from_env();
    let (mut db, mut interner) = userrules::database(org, program, shown);
    timings.mark("whole-org relations", err);
    if let Err(e) = userrules::run(program, &mut db, &mut interner) {
        report(&e, format, err)?;
        return Ok(None);
    }
    timings.mark("rules", err);
    Ok(Some((db, interner)))
}

/// `iamlog query`.
#[allow(clippy::too_many_arguments)]
pub fn query(
    org: &Org,
    rules: Option<&str>,
    file: Option<&Path>,
    output: Option<&str>,
    format: crate::output::Format,
    error_format: ErrorFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let user = match (rules, file) {
        (Some(text), None) => Source {
            name: "<query>".to_string(),
            text: text.to_string(),
        },
        (None, Some(f)) => Source {
            name: f.display().to_string(),
            text: std::fs::read_to_string(f)
                .map_err(|e| CliError(format!("{}: cannot read: {e}", f.display())))?,
        },
        _ => {
            return Err(CliError(
                "give RULES or --file F.dl (one of them)".to_string(),
            ))
        }
    };
    let user = userrules::auto_declare(&user, &[userrules::prelude()]);
    let meta = userrules::meta(&user);
    let sources = vec![userrules::prelude(), user];
    let Some(program) = compile_or_report(&sources, error_format, err)? else {
        return Ok(EXIT_ERROR);
    };
    // Schema relations printed as they are are loaded whole.
    let shown: BTreeSet<String> = output
        .map(str::to_string)
        .into_iter()
        .chain(meta.outputs.iter().cloned())
        .collect();
    let Some((db, interner)) = evaluate_over_org(org, &program, &shown, error_format, err)? else {
        return Ok(EXIT_ERROR);
    };
    // The relations to print: --output, else the query's `.output`s, else every relation its
    // rules define.
    let names: Vec<String> = match output {
        Some(o) => vec![o.to_string()],
        None if !meta.outputs.is_empty() => meta.outputs.clone(),
        // The relations the query's own rules define (compile refused any core or prelude one).
        None => program
            .rules()
            .filter(|r| {
                program
                    .files
                    .get(r.span.file.0 as usize)
                    .map(String::as_str)
                    == sources.get(1).map(|s| s.name.as_str())
            })
            .map(|r| r.head.name.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    if names.is_empty() {
        return Err(CliError(
            "the query defines no relation to print (add `.output NAME` or --output NAME)".into(),
        ));
    }
    for name in &names {
        if program.decls().all(|d| d.name.name != *name) {
            return Err(CliError(format!(
                "no relation `{name}` in the query or the schema"
            )));
        }
    }
    let mut json_out = serde_json::Map::new();
    for name in &names {
        let rows = userrules::rows_text(&db, &interner, name);
        match format {
            crate::output::Format::Json | crate::output::Format::Jsonl => {
                json_out.insert(name.clone(), json!(rows));
            }
            _ => {
                let numeric = userrules::numeric_columns(&program, name);
                for r in &rows {
                    writeln!(out, "{}", userrules::canonical_row(name, r, &numeric))?;
                }
            }
        }
    }
    if matches!(
        format,
        crate::output::Format::Json | crate::output::Format::Jsonl
    ) {
        serde_json::to_writer_pretty(&mut *out, &Json::Object(json_out))?;
        writeln!(out)?;
    }
    Ok(EXIT_OK)
}

/// One finding: a row of a rule's output relation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub id: String,
    pub severity: String,
    pub relation: String,
    pub values: Vec<String>,
    pub summary: String,
    pub file: String,
}

/// Runs the bundled pack (unless `bundled` is false) and the rule files of `dirs` over an org.
/// `Ok(Err(code))` when rule files or the evaluation failed (diagnostics printed).
pub fn findings(
    org: &Org,
    dirs: &[PathBuf],
    bundled: bool,
    error_format: ErrorFormat,
    err: &mut dyn Write,
) -> Result<Result<Vec<Finding>, i32>, CliError> {
    let mut rules = if bundled {
        userrules::bundled_rules()
    } else {
        Vec::new()
    };
    rules.extend(userrules::read_rule_paths(dirs).map_err(CliError)?);
    let metas: Vec<RuleMeta> = rules.iter().map(userrules::meta).collect();
    let mut sources = vec![userrules::prelude()];
    sources.extend(rules);
    let Some(program) = compile_or_report(&sources, error_format, err)? else {
        return Ok(Err(EXIT_ERROR));
    };
    let shown: BTreeSet<String> = metas
        .iter()
        .flat_map(|m| m.outputs.iter().cloned())
        .collect();
    let Some((db, interner)) = evaluate_over_org(org, &program, &shown, error_format, err)? else {
        return Ok(Err(EXIT_ERROR));
    };
    let mut out = Vec::new();
    for m in &metas {
        for rel in &m.outputs {
            for values in userrules::rows_text(&db, &interner, rel) {
                out.push(Finding {
                    id: if m.id.is_empty() {
                        rel.clone()
                    } else {
                        m.id.clone()
                    },
                    severity: if m.severity.is_empty() {
                        "medium".to_string()
                    } else {
                        m.severity.clone()
                    },
                    relation: rel.clone(),
                    values,
                    summary: m.summary.clone(),
                    file: m.file.clone(),
                });
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(Ok(out))
}

/// `iamlog check`.
#[allow(clippy::too_many_arguments)]
pub fn check(
    org: &Org,
    dirs: &[PathBuf],
    no_bundled: bool,
    severity: Option<&str>,
    format: CheckFormat,
    error_format: ErrorFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    if let Some(s) = severity {
        if !SEVERITIES.contains(&s) {
            return Err(CliError(format!(
                "--severity `{s}`: expected one of {}",
                SEVERITIES.join(", ")
            )));
        }
    }
    let found = match findings(org, dirs, !no_bundled, error_format, err)? {
        Ok(f) => f,
        Err(code) => return Ok(code),
    };
    let min = severity.map_or(0, severity_rank);
    let found: Vec<Finding> = found
        .into_iter()
        .filter(|f| severity_rank(&f.severity) >= min)
        .collect();
    match format {
        CheckFormat::Table => {
            for f in &found {
                writeln!(
                    out,
                    "{}  {}  {}({})",
                    f.id,
                    f.severity,
                    f.relation,
                    f.values.join(", ")
                )?;
            }
            writeln!(out, "{} finding(s)", found.len())?;
        }
        CheckFormat::Json => {
            let v: Vec<Json> = found
                .iter()
                .map(|f| {
                    json!({"id": f.id, "severity": f.severity, "summary": f.summary,
                           "relation": f.relation, "values": f.values, "rule_file": f.file})
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        CheckFormat::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(&found))?;
            writeln!(out)?;
        }
    }
    Ok(if found.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// The SARIF 2.1.0 log of findings.
fn sarif(found: &[Finding]) -> Json {
    let level = |s: &str| match s {
        "critical" | "high" => "error",
        "medium" => "warning",
        _ => "note",
    };
    let mut rules: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in found {
        rules.entry(f.id.as_str()).or_insert(f);
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "iamlog",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.values().map(|f| json!({
                    "id": f.id,
                    "name": f.relation,
                    "shortDescription": {"text": f.summary},
                    "defaultConfiguration": {"level": level(&f.severity)},
                    "properties": {"severity": f.severity},
                })).collect::<Vec<_>>(),
            }},
            "results": found.iter().map(|f| json!({
                "ruleId": f.id,
                "ruleIndex": rule_index.get(f.id.as_str()).copied().unwrap_or(0),
                "level": level(&f.severity),
                "message": {"text": format!("{}: {}({})", f.summary, f.relation, f.values.join(", "))},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": f.file}},
                    "logicalLocations": [{
                        "fullyQualifiedName": f.values.first().cloned().unwrap_or_default(),
                        "kind": "resource",
                    }],
                }],
            })).collect::<Vec<_>>(),
        }],
    })
}

/// `iamlog rules` (without --relations): the bundled rules.
pub fn list_rules(format: crate::output::Format, out: &mut dyn Write) -> CmdResult {
    let metas: Vec<RuleMeta> = userrules::bundled_rules()
        .iter()
        .map(userrules::meta)
        .collect();
    let mut rows = crate::output::Rows::new(&["id", "severity", "summary", "relations", "file"]);
    for m in &metas {
        rows.push(vec![
            crate::output::text(&m.id),
            crate::output::text(&m.severity),
            crate::output::text(&m.summary),
            crate::output::text(&m.outputs.join(", ")),
            crate::output::text(&m.file),
        ]);
    }
    rows.write(format, out)?;
    Ok(EXIT_OK)
}

/// One rule test case.
struct Case {
    name: String,
    rule: Source,
    prelude: Vec<Source>,
    mock: Source,
    kind: Expect,
    expect_path: Option<PathBuf>,
    expected: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Rows,
    None,
    Todo,
}

/// The cases among `files` (path -> text); `base` is the directory they are under, for
/// `--bless` (none for the bundled files).
fn cases_of(
    files: &BTreeMap<String, String>,
    base: Option<&Path>,
    prelude: &[Source],
) -> Vec<Case> {
    let mut out = Vec::new();
    for (path, text) in files {
        let Some(stem) = path.strip_suffix(".test") else {
            continue;
        };
        // `dir/rule.case.test` belongs to `dir/rule.dl`.
        let Some((rule_stem, _)) = stem.rsplit_once('.') else {
            continue;
        };
        let Some(rule_text) = files.get(&format!("{rule_stem}.dl")) else {
            continue;
        };
        let (kind, ext) = if files.contains_key(&format!("{stem}.expect")) {
            (Expect::Rows, "expect")
        } else if files.contains_key(&format!("{stem}.expect_none")) {
            (Expect::None, "expect_none")
        } else if files.contains_key(&format!("{stem}.todo")) {
            (Expect::Todo, "todo")
        } else {
            (Expect::Rows, "expect")
        };
        let expected: Vec<String> = files
            .get(&format!("{stem}.{ext}"))
            .map(|t| {
                let mut v: Vec<String> = t
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with("//"))
                    .map(str::to_string)
                    .collect();
                v.sort();
                v
            })
            .unwrap_or_default();
        let shown = |p: &str| match base {
            Some(b) => b.join(p).display().to_string(),
            None => format!("rules/packs/{p}"),
        };
        out.push(Case {
            name: shown(path),
            rule: Source {
                name: shown(&format!("{rule_stem}.dl")),
                text: rule_text.clone(),
            },
            prelude: prelude.to_vec(),
            mock: Source {
                name: shown(path),
                text: text.clone(),
            },
            kind,
            expect_path: base.map(|b| b.join(format!("{stem}.{ext}"))),
            expected,
        });
    }
    out
}

/// Runs one case: `Ok(None)` passed, `Ok(Some(reason))` failed.
fn run_case(case: &Case, bless: bool) -> Result<(bool, Option<String>), CliError> {
    let meta = userrules::meta(&case.rule);
    let mut sources = case.prelude.clone();
    sources.push(case.rule.clone());
    sources.push(case.mock.clone());
    let program = match userrules::compile_with_facts(&sources) {
        Ok((p, _)) => p,
        Err(e) => return Ok((false, Some(e.render()))),
    };
    let mut db = Database::new();
    let mut interner = Interner::default();
    if let Err(e) = userrules::run(&program, &mut db, &mut interner) {
        return Ok((false, Some(e.render())));
    }
    let mut actual: Vec<String> = Vec::new();
    for rel in &meta.outputs {
        let numeric = userrules::numeric_columns(&program, rel);
        for r in userrules::rows_text(&db, &interner, rel) {
            actual.push(userrules::canonical_row(rel, &r, &numeric));
        }
    }
    actual.sort();
    let todo = case.kind == Expect::Todo;
    match case.kind {
        Expect::None if actual.is_empty() => Ok((false, None)),
        Expect::None => Ok((
            false,
            Some(format!("expected no rows, got:\n  {}", actual.join("\n  "))),
        )),
        Expect::Rows if actual == case.expected => Ok((false, None)),
        Expect::Rows if bless => {
            if let Some(p) = &case.expect_path {
                std::fs::write(p, actual.join("\n") + "\n")
                    .map_err(|e| CliError(format!("{}: cannot write: {e}", p.display())))?;
            }
            Ok((false, None))
        }
        Expect::Rows => Ok((
            false,
            Some(format!(
                "expected:\n  {}\ngot:\n  {}",
                case.expected.join("\n  "),
                actual.join("\n  ")
            )),
        )),
        Expect::Todo if case.expected.iter().all(|e| actual.contains(e)) => Ok((
            todo,
            Some(
                "this known false negative is found now: rename the `.todo` file to `.expect`"
                    .into(),
            ),
        )),
        Expect::Todo => Ok((todo, None)),
    }
}

/// `iamlog test [PATH ...] [--bless]`.
pub fn test(paths: &[PathBuf], bless: bool, out: &mut dyn Write) -> CmdResult {
    let mut cases: Vec<Case> = Vec::new();
    let mut fixtures: Vec<PathBuf> = Vec::new();
    if paths.is_empty() {
        let files: BTreeMap<String, String> = userrules::bundled()
            .into_iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        cases.extend(cases_of(&files, None, &[userrules::prelude()]));
    }
    for p in paths {
        if p.join("input").is_dir() && p.join("expected_findings.txt").is_file() {
            fixtures.push(p.clone());
            continue;
        }
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        walk(p, p, &mut files, &mut fixtures)?;
        let mut prelude = vec![userrules::prelude()];
        for (path, text) in &files {
            if path.ends_with("prelude.dl") && !text.is_empty() {
                prelude.push(Source {
                    name: p.join(path).display().to_string(),
                    text: text.clone(),
                });
            }
        }
        // A directory of the bundled pack brings its own prelude once.
        prelude.dedup_by(|a, b| a.text == b.text);
        cases.extend(cases_of(&files, Some(p), &prelude));
    }
    let (mut passed, mut failed, mut todos) = (0usize, 0usize, 0usize);
    for case in &cases {
        let (todo, failure) = run_case(case, bless)?;
        match (todo, failure) {
            (true, None) => {
                todos += 1;
                writeln!(out, "todo {}", case.name)?;
            }
            (_, None) => {
                passed += 1;
                writeln!(out, "ok   {}", case.name)?;
            }
            (_, Some(reason)) => {
                failed += 1;
                writeln!(out, "FAIL {}\n{reason}", case.name)?;
            }
        }
    }
    for dir in &fixtures {
        let org = Org::load(&[dir.join("input")])
            .map_err(|e| CliError(format!("{}: {e}", dir.display())))?;
        let mut sink: Vec<u8> = Vec::new();
        let found = match findings(&org, &[], true, ErrorFormat::Human, &mut sink)? {
            Ok(f) => f,
            Err(_) => {
                failed += 1;
                writeln!(
                    out,
                    "FAIL {}\n{}",
                    dir.display(),
                    String::from_utf8_lossy(&sink)
                )?;
                continue;
            }
        };
        let actual: BTreeSet<String> = found
            .iter()
            .map(|f| {
                format!(
                    "{}\t{}",
                    f.id,
                    f.values.first().cloned().unwrap_or_default()
                )
            })
            .collect();
        let path = dir.join("expected_findings.txt");
        let expected: BTreeSet<String> = std::fs::read_to_string(&path)
            .map_err(|e| CliError(format!("{}: cannot read: {e}", path.display())))?
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .map(str::to_string)
            .collect();
        if actual == expected {
            passed += 1;
            writeln!(out, "ok   {}", dir.display())?;
        } else if bless {
            let text: String = actual.iter().map(|l| format!("{l}\n")).collect();
            std::fs::write(&path, text)
                .map_err(|e| CliError(format!("{}: cannot write: {e}", path.display())))?;
            passed += 1;
            writeln!(out, "ok   {} (blessed)", dir.display())?;
        } else {
            failed += 1;
            let missing: Vec<&String> = expected.difference(&actual).collect();
            let extra: Vec<&String> = actual.difference(&expected).collect();
            writeln!(
                out,
                "FAIL {}\n  missing: {missing:?}\n  unexpected: {extra:?}",
                dir.display()
            )?;
        }
    }
    let total = passed + failed;
    writeln!(out, "{passed} passed, {failed} failed ({todos} todo)")?;
    if total == 0 {
        writeln!(out, "error: no tests ran")?;
        return Ok(EXIT_FINDINGS);
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_FINDINGS })
}

/// Test files under `dir` (relative paths), and fixture orgs found on the way.
fn walk(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
    fixtures: &mut Vec<PathBuf>,
) -> Result<(), CliError> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| CliError(format!("{}: cannot read: {e}", dir.display())))?;
    if meta.is_file() {
        return Err(CliError(format!(
            "{}: give a directory of rules and tests, or a fixture org",
            dir.display()
        )));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CliError(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.join("input").is_dir() && p.join("expected_findings.txt").is_file() {
                fixtures.push(p);
            } else {
                walk(root, &p, files, fixtures)?;
            }
            continue;
        }
        let name = p.to_string_lossy();
        if [".dl", ".test", ".expect", ".expect_none", ".todo"]
            .iter()
            .any(|x| name.ends_with(x))
        {
            let rel = p
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_else(|_| name.into_owned());
            let text = std::fs::read_to_string(&p)
                .map_err(|e| CliError(format!("{}: cannot read: {e}", p.display())))?;
            files.insert(rel, text);
        }
    }
    Ok(())
}
