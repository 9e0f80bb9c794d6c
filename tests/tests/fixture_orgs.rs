//! Fixture orgs with goldens (DESIGN.md §6): every directory `tests/fixtures/orgs/<name>/` holds
//! `input/` (real export formats), a README with the hand derivation of what the goldens must
//! say, and `expected/`:
//! - `facts.txt` and `effective.txt`: the whole-org input facts and net effective access in the
//!   canonical sorted text form;
//! - `decisions.jsonl`: `explain --requests` on the fixture's `requests.jsonl`, if present;
//! - `queries.txt`: the output of each command line of the fixture's `queries.txt`, if present.
//!
//! A fixture with `expect_error.txt` is a bad input instead: loading it must exit 2, never
//! panic, and print every line of that file on stderr.
//!
//! `IAMLOG_BLESS=1 cargo test -p iamlog-tests --test fixture_orgs` rewrites the goldens, which
//! are then reviewed line by line against the README before commit.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use iamlog_cli::analysis::{self, Org};
use iamlog_engine::canonical::render_rows;
use iamlog_engine::schema::RelationKind;
use iamlog_engine::SCHEMA;
use iamlog_ingest::aws::facts::Question;
use iamlog_tests::{check_golden, iamlog, path};

fn canonical(answer: &analysis::Answer, kind: RelationKind, names: Option<&[&str]>) -> String {
    let mut out = String::new();
    for r in SCHEMA.iter().filter(|r| r.kind == kind) {
        if names.is_some_and(|n| !n.contains(&r.name)) {
            continue;
        }
        let rows = match kind {
            RelationKind::Input => answer.facts.rows(r.name),
            RelationKind::Derived => answer.derived.rows(r.name),
        }
        .unwrap_or_default();
        for line in render_rows(r.name, &rows, &answer.facts.interner) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Runs each line of `queries` (arguments split on whitespace) with `--org input`.
fn run_queries(queries: &str, input: &Path) -> String {
    let mut out = String::new();
    for line in queries
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut args: Vec<&str> = line.split_whitespace().collect();
        let org = input.to_string_lossy().into_owned();
        args.extend(["--org", &org, "--quiet"]);
        let run = iamlog(&args);
        out.push_str(&format!("$ iamlog {line}\n"));
        out.push_str(&run.stdout);
        if !run.stderr.is_empty() {
            out.push_str(&format!("[stderr] {}", run.stderr));
        }
        out.push_str(&format!("[exit {}]\n\n", run.code));
    }
    out
}

fn check_fixture(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let input = dir.join("input");
    let expected = dir.join("expected");
    if let Ok(needles) = std::fs::read_to_string(dir.join("expect_error.txt")) {
        let run = iamlog(&["what-can", "--all", "--org", &input.to_string_lossy()]);
        if run.code != 2 {
            problems.push(format!(
                "{}: expected exit 2, got {}",
                dir.display(),
                run.code
            ));
        }
        if !run.stdout.is_empty() {
            problems.push(format!(
                "{}: a failed load printed output: {}",
                dir.display(),
                run.stdout
            ));
        }
        for needle in needles.lines().filter(|l| !l.trim().is_empty()) {
            if !run.stderr.contains(needle.trim()) {
                problems.push(format!(
                    "{}: stderr lacks `{}`; it was: {}",
                    dir.display(),
                    needle.trim(),
                    run.stderr
                ));
            }
        }
        return problems;
    }
    let org = match Org::load(std::slice::from_ref(&input)) {
        Ok(o) => o,
        Err(e) => return vec![format!("{}: {e}", dir.display())],
    };
    let answer = analysis::ask(&org, &Question::whole_org());
    let facts = canonical(&answer, RelationKind::Input, None);
    let effective = canonical(
        &answer,
        RelationKind::Derived,
        Some(&["effective", "effective_caveat", "denied"]),
    );
    problems.extend(check_golden(&expected.join("facts.txt"), &facts));
    problems.extend(check_golden(&expected.join("effective.txt"), &effective));
    let requests = dir.join("requests.jsonl");
    if requests.exists() {
        let run = iamlog(&[
            "explain",
            "--requests",
            &requests.to_string_lossy(),
            "--org",
            &input.to_string_lossy(),
            "--quiet",
        ]);
        if run.code != 0 {
            problems.push(format!(
                "{}: explain --requests exit {}: {}",
                dir.display(),
                run.code,
                run.stderr
            ));
        }
        problems.extend(check_golden(&expected.join("decisions.jsonl"), &run.stdout));
    }
    if let Ok(queries) = std::fs::read_to_string(dir.join("queries.txt")) {
        problems.extend(check_golden(
            &expected.join("queries.txt"),
            &run_queries(&queries, &input),
        ));
    }
    problems
}

#[test]
fn fixture_orgs_match_their_goldens() {
    let root = path("tests/fixtures/orgs");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 8,
        "expected the fixture orgs under {}",
        root.display()
    );
    let problems: Vec<String> = dirs.iter().flat_map(|d| check_fixture(d)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn demo_org_answers_its_questions() {
    let demo = path("demo");
    let queries = std::fs::read_to_string(demo.join("questions.txt")).unwrap();
    let actual = run_queries(&queries, &demo.join("input"));
    let problem = check_golden(&demo.join("expected/answers.txt"), &actual);
    assert!(problem.is_none(), "{}", problem.unwrap_or_default());
}
