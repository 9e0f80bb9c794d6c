//! The rule language at run time: the interpreter agrees with the compiled core on every
//! fixture org; rule files written after the build change `check`; rule errors are located;
//! the bundled pack finds every planted escalation path and nothing on the clean twin.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use iamlog_cli::analysis::{self, Org};
use iamlog_engine::dl::{self, Database, Limits, Value};
use iamlog_engine::schema::RelationKind;
use iamlog_engine::SCHEMA;
use iamlog_ingest::aws::facts::Question;
use iamlog_tests::{iamlog, path, scratch};

/// Every fixture org that loads (the `bad-*` ones are input errors).
fn fixture_orgs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(path("tests/fixtures/orgs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input").is_dir() && !p.join("expect_error.txt").exists())
        .collect();
    dirs.push(path("demo/input"));
    dirs.sort();
    dirs
}

#[test]
fn the_interpreter_runs_the_core_rules_exactly_like_the_compiled_path() {
    let program = dl::parse_files(iamlog_rules::core_sources().iter().copied()).unwrap();
    let mut checked = 0;
    for dir in fixture_orgs() {
        let input = if dir.ends_with("input") {
            dir.clone()
        } else {
            dir.join("input")
        };
        let org = Org::load(&[input]).unwrap();
        let answer = analysis::ask(&org, &Question::whole_org());
        let mut interner = answer.facts.interner.clone();
        let mut db = Database::new();
        for r in SCHEMA.iter().filter(|r| r.kind == RelationKind::Input) {
            let rows = answer.facts.rows(r.name).unwrap();
            db.insert(
                r.name,
                rows.into_iter()
                    .map(|row| row.into_iter().map(Value::Sym).collect::<Vec<_>>()),
            );
        }
        dl::evaluate(&program, &mut db, &mut interner, &Limits::default()).unwrap();
        for r in SCHEMA.iter().filter(|r| r.kind == RelationKind::Derived) {
            let compiled: BTreeSet<Vec<Value>> = answer
                .derived
                .rows(r.name)
                .unwrap()
                .into_iter()
                .map(|row| row.into_iter().map(Value::Sym).collect())
                .collect();
            let interpreted: BTreeSet<Vec<Value>> = db.rows(r.name).into_iter().collect();
            assert_eq!(
                compiled.len(),
                interpreted.len(),
                "{}: `{}` has {} rows compiled, {} interpreted",
                dir.display(),
                r.name,
                compiled.len(),
                interpreted.len()
            );
            assert!(
                compiled == interpreted,
                "{}: `{}` differs",
                dir.display(),
                r.name
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixture orgs");
}

#[test]
fn a_rule_file_written_after_the_build_changes_check_output() {
    let dir = scratch("user-rules");
    let org = path("tests/fixtures/orgs/aws-multi-account/input");
    let org = org.to_str().unwrap();
    let before = iamlog(&[
        "check",
        "--no-bundled",
        "--rules",
        dir.to_str().unwrap(),
        "--org",
        org,
        "--quiet",
    ]);
    assert_eq!(before.code, 0, "{}{}", before.stdout, before.stderr);
    std::fs::write(
        dir.join("admins.dl"),
        "// @id USER-001\n// @severity high\n// @summary Principals with `*` on `*`.\n\
         .decl full_admin(p: Principal, pol: Policy)\n.output full_admin\n\
         full_admin(p, pol) :- effective(p, \"*\", \"*\", pol, _, _).\n",
    )
    .unwrap();
    let after = iamlog(&[
        "check",
        "--no-bundled",
        "--rules",
        dir.to_str().unwrap(),
        "--org",
        org,
        "--quiet",
        "--format",
        "json",
    ]);
    assert_eq!(after.code, 1, "{}{}", after.stdout, after.stderr);
    let findings: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    let principals: BTreeSet<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["id"], "USER-001");
            f["values"][0].as_str().unwrap()
        })
        .collect();
    // The fixture's README: Admin and sbx-dev hold AdministratorAccess (`*` on `*`, limited).
    assert_eq!(
        principals,
        BTreeSet::from([
            "arn:aws:iam::200000000001:role/Admin",
            "arn:aws:iam::200000000004:user/sbx-dev"
        ]),
    );
}

#[test]
fn a_rule_with_an_error_is_located_with_a_caret_and_a_help_line() {
    let dir = scratch("bad-rules");
    std::fs::write(
        dir.join("typo.dl"),
        ".decl admins(p: Principal)\n.output admins\nadmins(p) :- efective(p, \"*\", \"*\", _, _, \"true\").\n",
    )
    .unwrap();
    let org = path("tests/fixtures/orgs/aws-multi-account/input");
    let run = iamlog(&[
        "check",
        "--no-bundled",
        "--rules",
        dir.to_str().unwrap(),
        "--org",
        org.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("typo.dl:3:14"), "{}", run.stderr);
    assert!(run.stderr.contains("efective(p"), "{}", run.stderr);
    assert!(run.stderr.contains('^'), "{}", run.stderr);
    assert!(run.stderr.contains("effective"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    let json = iamlog(&[
        "check",
        "--no-bundled",
        "--rules",
        dir.to_str().unwrap(),
        "--org",
        org.to_str().unwrap(),
        "--quiet",
        "--error-format",
        "json",
    ]);
    assert_eq!(json.code, 2);
    let diags: serde_json::Value = serde_json::from_str(json.stderr.trim()).unwrap();
    assert_eq!(diags[0]["line"], 3);
    assert_eq!(diags[0]["column"], 14);
}

#[test]
fn check_finds_every_planted_escalation_path_and_nothing_on_the_clean_twin() {
    for fixture in [
        "tests/fixtures/orgs/aws-privesc",
        "tests/fixtures/orgs/aws-privesc-clean",
    ] {
        let dir = path(fixture);
        let run = iamlog(&["test", dir.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{fixture}:\n{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
    }
    let planted = std::fs::read_to_string(path(
        "tests/fixtures/orgs/aws-privesc/expected_findings.txt",
    ))
    .unwrap();
    assert!(planted.lines().count() >= 25, "{planted}");
    let clean = std::fs::read_to_string(path(
        "tests/fixtures/orgs/aws-privesc-clean/expected_findings.txt",
    ))
    .unwrap();
    assert!(clean.trim().is_empty(), "{clean}");
}

#[test]
fn the_bundled_rule_tests_pass_and_every_rule_has_both_cases() {
    let run = iamlog(&["test"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let rules = iamlog(&["rules", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_str(&rules.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 25, "{} rules", list.len());
    for r in list {
        let file = r["file"].as_str().unwrap();
        let stem = file.strip_suffix(".dl").unwrap();
        let has = |ext: &str| {
            std::fs::read_dir(path(stem).parent().unwrap())
                .unwrap()
                .any(|e| {
                    let n = e.unwrap().file_name().to_string_lossy().into_owned();
                    let base = std::path::Path::new(stem)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    n.starts_with(&format!("{base}.")) && n.ends_with(ext)
                })
        };
        assert!(has(".expect"), "{file}: no positive case");
        assert!(has(".expect_none"), "{file}: no negative case");
        assert!(!r["id"].as_str().unwrap().is_empty(), "{file}: no @id");
        assert!(
            !r["severity"].as_str().unwrap().is_empty(),
            "{file}: no @severity"
        );
    }
}

#[test]
fn check_prints_sarif_and_filters_by_severity() {
    let org = path("tests/fixtures/orgs/aws-multi-account/input");
    let org = org.to_str().unwrap();
    let run = iamlog(&["check", "--org", org, "--quiet", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    let rules: BTreeSet<&str> = run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run0["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(rules.contains(r["ruleId"].as_str().unwrap()), "{r}");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
    // The 3-hop chain to the administrator role is a high finding; nothing there is critical.
    let high = iamlog(&["check", "--org", org, "--quiet", "--severity", "high"]);
    assert_eq!(high.code, 1);
    assert!(high.stdout.contains("AWS-GEN-002"), "{}", high.stdout);
    assert!(!high.stdout.contains("AWS-GEN-001"), "{}", high.stdout);
    let critical = iamlog(&["check", "--org", org, "--quiet", "--severity", "critical"]);
    assert_eq!(critical.code, 0, "{}", critical.stdout);
    let bad = iamlog(&["check", "--org", org, "--quiet", "--severity", "urgent"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn query_prints_the_relations_it_defines() {
    let run = iamlog(&[
        "query",
        "full_admin(p) :- effective(p, \"*\", \"*\", _, _, \"true\").",
        "--org",
        path("demo/input").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "full_admin(\"arn:aws:iam::123456789012:user/alice\")\n"
    );
    let chain = iamlog(&[
        "query",
        ".decl hops(p: Principal, n: number)\n.output hops\nhops(p, n) :- principal(p, \"user\", _), n = count : { reaches(p, _) }.",
        "--org",
        path("tests/fixtures/orgs/aws-multi-account/input").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(chain.code, 0, "{}", chain.stderr);
    // dev reaches Hop1, Hop2 and Admin (README: the 3-hop chain).
    assert!(
        chain
            .stdout
            .contains("hops(\"arn:aws:iam::200000000002:user/dev\", 3)"),
        "{}",
        chain.stdout
    );
}
