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
    program_reading(&|name| !unread.contains(&name))
}

/// A program of the bundled pack and one copying rule per relation of the schema `read` keeps
/// (those with a statement column aside).
fn program_reading(read: &dyn Fn(&str) -> bool) -> Program {
    let mut copies = String::new();
    for r in SCHEMA {
        if userrules::question_shaped(r.name) || !read(r.name) {
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

/// The relations of the core a program may read while its slices leave out the
/// resource-policy matches no rule reads (`userrules::skips_unread_matches`).
fn lean(name: &str) -> bool {
    SCHEMA.iter().any(|r| r.name == name)
        && userrules::skips_unread_matches(&BTreeSet::from([name.to_string()]))
}

/// The prelude and the bundled rules.
fn bundled() -> Program {
    let mut sources = vec![userrules::prelude()];
    sources.extend(userrules::bundled_rules());
    let (program, _) = userrules::compile(&sources).unwrap_or_else(|e| panic!("{}", e.render()));
    program
}

/// Slices of a program that reads only input relations and the net effective access leave
/// out the matches of `Principal: "*"` statements no access point of their source reads (what
/// made `check` on the large synthetic org grow with the square of the accounts), and every
/// relation it reads still has the rows of the whole-org run, the bundled rules' findings
/// included. A program that reads an intermediate relation (`access_point`) keeps them.
#[test]
fn slices_that_skip_unread_matches_keep_every_relation_read() {
    let every = program(&[]);
    let read_of = |p: &Program| -> BTreeSet<String> {
        userrules::read_filters(p, &BTreeSet::new())
            .into_keys()
            .collect()
    };
    assert!(!userrules::skips_unread_matches(&read_of(&every)));
    let lean_program = program_reading(&lean);
    assert!(userrules::skips_unread_matches(&read_of(&lean_program)));
    assert!(
        userrules::skips_unread_matches(&read_of(&bundled())),
        "the bundled rules read an intermediate relation"
    );
    let mut compared = 0;
    let mut rows = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let whole = evaluated(&org, &every, usize::MAX, 1);
        for (batch, threads) in [(1, 1), (3, 2)] {
            let sliced = evaluated(&org, &lean_program, batch, threads);
            assert!(sliced.contains_key("copy_effective") && sliced.contains_key("copy_tag"));
            for (n, s) in &sliced {
                // (Relations of the core the program does not read are declared, not loaded.)
                if SCHEMA.iter().any(|r| r.name == n) && !lean(n) {
                    continue;
                }
                assert!(
                    whole.get(n) == Some(s),
                    "{}: {n}: slices of {batch} that skip unread matches give {} rows, the whole run {}",
                    dir.display(),
                    s.len(),
                    whole.get(n).map_or(0, Vec::len)
                );
                rows += s.len();
            }
        }
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} orgs compared");
    assert!(rows > 0, "no rows to compare");
}

/// A slice that skips unread matches writes fewer resource-policy matches on an org whose
/// policies name callers of other accounts without a grant there, and every input relation
/// without a statement or a condition column as the slice that keeps them does.
#[test]
fn a_slice_skips_only_unread_matches() {
    use iamlog_ingest::aws::catalogue::Catalogue;
    use iamlog_ingest::aws::facts::{self, Points, Question, Sources};
    let dir = iamlog_tests::path("tests/fixtures/differential/aws-resource/input");
    let org = Org::load(std::slice::from_ref(&dir)).unwrap();
    let built = |skip_unread: bool| {
        let question = Question {
            sources: Sources::Slice {
                sources: facts::whole_org_sources(org.aws()),
                inventory: true,
                open_scps: true,
                skip_unread,
            },
            points: Points::All,
            context: facts::Context::Static,
        };
        let mut f = facts::build(org.aws(), &question, Catalogue::embedded());
        f.normalize();
        f
    };
    let (kept, skipped) = (built(false), built(true));
    let count = |f: &iamlog_engine::Facts| {
        [
            "aws_rp_match_direct",
            "aws_rp_match_role",
            "aws_rp_match_account",
        ]
        .iter()
        .map(|r| f.rows(r).map_or(0, |rows| rows.len()))
        .sum::<usize>()
    };
    assert!(
        count(&skipped) < count(&kept),
        "{} matches skipped of {}",
        count(&kept) - count(&skipped),
        count(&kept)
    );
    let text = |f: &iamlog_engine::Facts, r: &str| -> BTreeSet<Vec<String>> {
        f.rows(r)
            .unwrap_or_default()
            .iter()
            .map(|row| {
                row.iter()
                    .map(|s| f.interner.resolve(*s).to_string())
                    .collect()
            })
            .collect()
    };
    let mut compared = 0;
    for r in SCHEMA
        .iter()
        .filter(|r| r.kind == iamlog_engine::schema::RelationKind::Input)
    {
        if lean(r.name) {
            assert_eq!(text(&kept, r.name), text(&skipped, r.name), "{}", r.name);
            compared += 1;
        }
    }
    assert!(compared > 25, "{compared} relations compared");
}

/// Loading only the rows a rule can join (`userrules::read_filters`) changes no finding: the
/// bundled pack over every comparison org gives the same rows of every relation it defines
/// with the filters as with every relation loaded whole (named as shown).
#[test]
fn filtered_loading_changes_no_finding() {
    let program = bundled();
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
