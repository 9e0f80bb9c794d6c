//! `check` and `query` over an org larger than a batch evaluate the rules over slices of the
//! whole-org question (`userrules::database_in_batches`): every relation a program may read,
//! but those with a statement column (`userrules::question_shaped`, which send a program back
//! to one whole-org question), has the rows of one whole-org run, and the bundled rules find
//! the same findings: for every fixture org, the demo, the small synthetic org and the
//! differential orgs, with slices of 1 and 3 sources, on one thread and on two. Loading only
//! the rows a rule can join changes no finding.

// Test code may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use iamlog_cli::analysis::Org;
use iamlog_cli::userrules::{self, Source};
use iamlog_engine::dl::Program;
use iamlog_engine::SCHEMA;

/// A program of the bundled pack and one rule per relation of the schema but `unread`
/// copying it to a relation of its own, so every relation is read and its rows come out.
fn program(unread: &[&str]) -> Program {
    let mut copies = String::new();
    for r in SCHEMA {
        if userrules::question_shaped(r.name) || unread.contains(&r.name) {
            continue;
        }
        let vars: Vec<String> = (0..r.columns.len()).map(|i| format!("x{i}")).collect();
        let cols: Vec<String> = r
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("x{i}: {}", ty.dl_name()))
            .collect();
        copies.push_str(&format!(
            ".decl copy_{0}({1})\ncopy_{0}({2}) :- {0}({2}).\n",
            r.name,
            cols.join(", "),
            vars.join(", ")
        ));
    }
    let mut sources = vec![userrules::prelude()];
    sources.extend(userrules::bundled_rules());
    sources.push(Source {
        name: "<copies>".to_string(),
        text: copies,
    });
    let (program, _) = userrules::compile(&sources).unwrap_or_else(|e| panic!("{}", e.render()));
    program
}

/// Every relation of the evaluated database, as sorted text rows.
fn evaluated(
    org: &Org,
    program: &Program,
    batch: usize,
    threads: usize,
) -> BTreeMap<String, Vec<Vec<String>>> {
    let (mut db, mut interner) =
        userrules::database_in_batches(org, program, &BTreeSet::new(), batch, threads);
    userrules::run(program, &mut db, &mut interner).unwrap();
    let names: Vec<String> = db.relation_names().map(str::to_string).collect();
    names
        .into_iter()
        .map(|n| {
            let rows = userrules::rows_text(&db, &interner, &n);
            (n, rows)
        })
        .collect()
}

#[test]
fn sliced_whole_org_relations_are_those_of_the_whole_org_run() {
    let every = program(&[]);
    // Slices of a program that reads neither leave out the SCP Allows of everything.
    let scp_levels = ["scp_level_permits", "scp_level_touches"];
    let without_levels = program(&scp_levels);
    let mut compared = 0;
    let mut findings = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let whole = evaluated(&org, &every, usize::MAX, 1);
        assert!(
            whole.get("copy_effective").is_some_and(|r| !r.is_empty()),
            "{}: no effective rows",
            dir.display()
        );
        findings += whole
            .iter()
            .filter(|(n, _)| n.ends_with("_escalation") || n.starts_with("admin"))
            .map(|(_, rows)| rows.len())
            .sum::<usize>();
        for (batch, threads, program, unread) in [
            (1, 1, &every, &[][..]),
            (3, 2, &every, &[][..]),
            (2, 2, &without_levels, &scp_levels[..]),
        ] {
            let sliced = evaluated(&org, program, batch, threads);
            let names: BTreeSet<&String> = whole.keys().chain(sliced.keys()).collect();
            for n in names {
                let (w, s) = (whole.get(n), sliced.get(n));
                // The unread relations (and their copies, absent from this program) aside.
                if unread.contains(&n.trim_start_matches("copy_")) {
                    continue;
                }
                assert!(
                    w == s,
                    "{}: {n}: slices of {batch} on {threads} threads give {} rows, the whole run {}",
                    dir.display(),
                    s.map_or(0, Vec::len),
                    w.map_or(0, Vec::len)
                );
            }
        }
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} orgs compared");
    assert!(findings > 0, "no findings to compare");
}

/// Loading only the rows a rule can join (`userrules::read_filters`) changes no finding: the
/// bundled pack over every comparison org gives the same rows of every relation it defines
/// with the filters as with every relation loaded whole (named as shown).
#[test]
fn filtered_loading_changes_no_finding() {
    let mut sources = vec![userrules::prelude()];
    sources.extend(userrules::bundled_rules());
    let (program, _) = userrules::compile(&sources).unwrap_or_else(|e| panic!("{}", e.render()));
    let every: BTreeSet<String> = SCHEMA.iter().map(|r| r.name.to_string()).collect();
    let filters = userrules::read_filters(&program, &BTreeSet::new());
    assert!(
        filters
            .get("effective_caveat")
            .is_some_and(|cols| cols.get(1).is_some_and(Option::is_some)),
        "the bundled rules read effective_caveat with constant actions: {filters:?}"
    );
    let mut compared = 0;
    let mut rows = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let run = |shown: &BTreeSet<String>| {
            let (mut db, mut interner) =
                userrules::database_in_batches(&org, &program, shown, usize::MAX, 1);
            userrules::run(&program, &mut db, &mut interner).unwrap();
            db.relation_names()
                .filter(|n| !every.contains(*n))
                .map(|n| (n.to_string(), userrules::rows_text(&db, &interner, n)))
                .collect::<BTreeMap<_, _>>()
        };
        let (filtered, whole) = (run(&BTreeSet::new()), run(&every));
        assert!(
            filtered == whole,
            "{}: the filters change the rules' rows",
            dir.display()
        );
        rows += whole.values().map(Vec::len).sum::<usize>();
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} orgs compared");
    assert!(rows > 0, "no rows to compare");
}
