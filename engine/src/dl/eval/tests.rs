//! Tests of the interpreter, and of the checker passes it relies on (stratification, column
//! types, singleton warnings).

// A failing test should stop with its message; library code never panics.
#![allow(clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::dl::{check, parse};

fn parsed(src: &str) -> Program {
    parse(src, "test.dl").unwrap_or_else(|e| panic!("parse failed:\n{}", e.render(src)))
}

/// Input rows given as strings; a string of digits (optionally with a leading `-`) is an integer.
fn value(interner: &mut Interner, s: &str) -> Value {
    match s.parse::<i64>() {
        Ok(n) => Value::Int(n),
        Err(_) => Value::Sym(interner.intern(s)),
    }
}

fn load(db: &mut Database, interner: &mut Interner, inputs: &[(&str, &[&[&str]])]) {
    for (name, rows) in inputs {
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|r| r.iter().map(|s| value(interner, s)).collect())
            .collect();
        db.insert(name, rows);
    }
}

fn run_with(
    src: &str,
    inputs: &[(&str, &[&[&str]])],
    limits: &Limits,
) -> Result<(Database, Interner, EvalStats), DlError> {
    let program = parsed(src);
    let mut db = Database::new();
    let mut interner = Interner::new();
    load(&mut db, &mut interner, inputs);
    let stats = evaluate(&program, &mut db, &mut interner, limits)?;
    Ok((db, interner, stats))
}

fn run(src: &str, inputs: &[(&str, &[&[&str]])]) -> (Database, Interner, EvalStats) {
    run_with(src, inputs, &Limits::default())
        .unwrap_or_else(|e| panic!("evaluation failed:\n{}", e.render(src)))
}

/// A relation's rows as strings, sorted.
fn strings(db: &Database, interner: &Interner, name: &str) -> Vec<String> {
    let mut rows: Vec<String> = db
        .rows(name)
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    Value::Sym(s) => interner.resolve(*s).to_owned(),
                    Value::Int(n) => n.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    rows.sort();
    rows
}

const GRAPH: &str = "
.type Node <: symbol
.decl edge(a: Node, b: Node)
.input edge
.decl node(a: Node)
.input node
.decl path(a: Node, b: Node)
.output path
path(x, y) :- edge(x, y).
path(x, z) :- path(x, y), edge(y, z).
";

#[test]
fn transitive_closure() {
    let (db, i, _) = run(
        GRAPH,
        &[(
            "edge",
            &[&["a", "b"], &["b", "c"], &["c", "a"], &["c", "d"]],
        )],
    );
    let paths = strings(&db, &i, "path");
    assert_eq!(paths.len(), 12, "{paths:?}");
    for row in ["a,a", "a,d", "b,b", "b,a", "c,c", "c,d"] {
        assert!(
            paths.contains(&row.to_owned()),
            "{row} missing from {paths:?}"
        );
    }
    assert!(!paths.iter().any(|p| p.starts_with("d,")), "{paths:?}");
}

#[test]
fn recursion_needs_several_iterations() {
    // A chain of 20 edges: the longest path is found in the 20th semi-naive iteration.
    let names: Vec<String> = (0..=20).map(|n| format!("n{n}")).collect();
    let edges: Vec<[&str; 2]> = names
        .windows(2)
        .map(|w| [w[0].as_str(), w[1].as_str()])
        .collect();
    let rows: Vec<&[&str]> = edges.iter().map(|e| &e[..]).collect();
    let (db, i, stats) = run(GRAPH, &[("edge", &rows)]);
    assert_eq!(db.len("path"), 20 * 21 / 2);
    assert!(strings(&db, &i, "path").contains(&"n0,n20".to_owned()));
    assert!(stats.iterations >= 20, "{stats:?}");
    assert_eq!(stats.derived, 210);
    assert_eq!(stats.strata, 1);
}

#[test]
fn negation_across_strata() {
    let src = format!(
        "{GRAPH}
.decl unreachable(a: Node, b: Node)
.output unreachable
unreachable(x, y) :- node(x), node(y), !path(x, y).
.decl isolated(a: Node)
.output isolated
isolated(x) :- node(x), !path(x, _), !path(_, x).
"
    );
    let (db, i, stats) = run(
        &src,
        &[
            ("edge", &[&["a", "b"], &["b", "c"]]),
            ("node", &[&["a"], &["b"], &["c"], &["z"]]),
        ],
    );
    let unreachable = strings(&db, &i, "unreachable");
    assert_eq!(unreachable.len(), 16 - 3, "{unreachable:?}");
    assert!(unreachable.contains(&"c,a".to_owned()));
    assert!(!unreachable.contains(&"a,c".to_owned()));
    assert_eq!(strings(&db, &i, "isolated"), vec!["z"]);
    assert_eq!(stats.strata, 3);
}

#[test]
fn unstratifiable_program_is_an_error() {
    let src = ".decl q(x: symbol)
.input q
.decl p(x: symbol)
.decl r(x: symbol)
p(x) :- q(x), !r(x).
r(x) :- p(x), q(x).
";
    let errors: Vec<DlError> = check(&parsed(src))
        .into_iter()
        .filter(|e| !e.is_warning())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let err = &errors[0];
    assert_eq!(err.code(), codes::UNSTRATIFIABLE);
    assert_eq!(err.snippet(src), "!r(x)");
    assert_eq!(
        err.message(),
        "`p` depends on the negation of `r`, which depends on `p`"
    );
    assert!(
        err.help().is_some_and(|h| h.contains("`p -> !r -> p`")),
        "{:?}",
        err.help()
    );
    let rendered = err.render(src);
    assert!(
        rendered.starts_with("test.dl:5:15: error[E0112]"),
        "{rendered}"
    );

    // Evaluation refuses it too.
    let result = run_with(src, &[("q", &[&["a"]])], &Limits::default());
    assert!(matches!(result, Err(e) if e.code() == codes::UNSTRATIFIABLE));

    // An aggregate over the relation being defined is a cycle too.
    let src = ".decl q(x: symbol)
.input q
.decl p(x: symbol, n: number)
p(x, n) :- q(x), n = count : { p(x, _) }.
";
    let errors = check(&parsed(src));
    assert!(
        errors
            .iter()
            .any(|e| e.code() == codes::UNSTRATIFIABLE && e.snippet(src) == "count : { p(x, _) }"),
        "{errors:?}"
    );
}

const SALES: &str = "
.type Shop <: symbol
.decl shop(s: Shop)
.input shop
.decl sale(s: Shop, item: symbol, amount: number)
.input sale
.decl summary(s: Shop, n: number, total: number)
.output summary
.decl extremes(s: Shop, low: number, high: number, avg: number)
.output extremes
summary(s, n, t) :- shop(s), n = count : { sale(s, _, _) }, t = sum a : { sale(s, _, a) }.
extremes(s, lo, hi, m) :- shop(s), lo = min a : { sale(s, _, a) }, hi = max a : { sale(s, _, a) }, m = mean a : { sale(s, _, a) }.
";

#[test]
fn aggregates_group_by_outer_variables() {
    let (db, i, _) = run(
        SALES,
        &[
            ("shop", &[&["north"], &["south"], &["empty"]]),
            (
                "sale",
                &[
                    &["north", "apple", "3"],
                    &["north", "pear", "4"],
                    &["north", "plum", "4"],
                    &["south", "apple", "10"],
                ],
            ),
        ],
    );
    assert_eq!(
        strings(&db, &i, "summary"),
        vec!["empty,0,0", "north,3,11", "south,1,10"]
    );
    // min / max / mean of nothing do not fire.
    assert_eq!(
        strings(&db, &i, "extremes"),
        vec!["north,3,4,3", "south,10,10,10"]
    );
}

#[test]
fn arithmetic_and_comparisons() {
    let src = r#"
.decl num(x: number)
.input num
.decl word(w: symbol)
.input word
.decl out(x: number, y: number)
.output out
.decl div(x: number, y: number, r: number)
.output div
.decl before(a: symbol, b: symbol)
.output before
.decl text(x: number, s: symbol, n: number)
.output text
out(x, y) :- num(x), y = -x * 2 + 10 - (3 - 1), y >= 0, y % 4 != 0.
div(x, q, r) :- num(x), num(y), q = 12 / y, r = 12 % y, x = y.
before(a, b) :- word(a), word(b), a < b, b <= "c".
text(x, s, n) :- num(x), x > 2, s = cat("n", to_string(x), "-", substr("abcdef", 1, 2)), n = strlen(s) + to_number("40") + max(1, x, 3) + min(7, ord("A")).
"#;
    let (db, i, _) = run(
        src,
        &[
            ("num", &[&["0"], &["1"], &["2"], &["3"], &["-2"]]),
            // Interned `c`, `b`, `a`: string order is not id order.
            ("word", &[&["c"], &["b"], &["a"]]),
        ],
    );
    // y = 8 - 2x: 8, 6, 4, 2, 12; drop multiples of 4 and negatives.
    assert_eq!(strings(&db, &i, "out"), vec!["1,6", "3,2"]);
    // Division and remainder by zero make the instance not fire; rounding toward zero.
    assert_eq!(
        strings(&db, &i, "div"),
        vec!["-2,-6,0", "1,12,0", "2,6,0", "3,4,0"]
    );
    assert_eq!(strings(&db, &i, "before"), vec!["a,b", "a,c", "b,c"]);
    assert_eq!(strings(&db, &i, "text"), vec!["3,n3-bc,55"]);
}

#[test]
fn match_and_contains() {
    let src = r#"
.decl action(a: symbol)
.input action
.decl s3_read(a: symbol)
.output s3_read
.decl one_char(a: symbol)
.output one_char
.decl has_object(a: symbol)
.output has_object
s3_read(a) :- action(a), match("s3:Get*", a).
one_char(a) :- action(a), match("s3:?et*t", a).
has_object(a) :- action(a), contains("Object", a).
"#;
    let (db, i, _) = run(
        src,
        &[(
            "action",
            &[
                &["s3:GetObject"],
                &["s3:getobject"],
                &["s3:PutObject"],
                &["s3:SetBucket"],
                &["iam:GetRole"],
            ],
        )],
    );
    assert_eq!(strings(&db, &i, "s3_read"), vec!["s3:GetObject"]);
    assert_eq!(
        strings(&db, &i, "one_char"),
        vec!["s3:GetObject", "s3:SetBucket", "s3:getobject"]
    );
    assert_eq!(
        strings(&db, &i, "has_object"),
        vec!["s3:GetObject", "s3:PutObject"]
    );
    assert!(glob_match("*", ""));
    assert!(glob_match("a*b*c", "aXbYbc"));
    assert!(!glob_match("a?", "a"));
    assert!(glob_match("é?", "éß"));
}

#[test]
fn facts_and_constants() {
    let src = r#"
.decl base(x: symbol, n: number)
.decl big(x: symbol)
.output big
base("a", 1).
base("b", 2 * 5).
big(x) :- base(x, n), n > 5.
"#;
    let (db, i, _) = run(src, &[]);
    assert_eq!(strings(&db, &i, "base"), vec!["a,1", "b,10"]);
    assert_eq!(strings(&db, &i, "big"), vec!["b"]);
}

/// A rule that finds one fact many ways (a join on a column its head drops) is limited by the
/// facts it finds, not by its repeats: 41 facts, each found thousands of ways, under a limit
/// of 200.
#[test]
fn fact_limit_counts_facts_not_repeats() {
    let src = "
.type Node <: symbol
.decl edge(a: Node, b: Node)
.input edge
.decl linked(a: Node)
.output linked
linked(x) :- edge(x, _), edge(_, y), edge(y, _).
";
    let names: Vec<String> = (0..40).map(|n| format!("n{n}")).collect();
    let mut edges: Vec<[&str; 2]> = Vec::new();
    for n in &names {
        edges.push([n.as_str(), "hub"]);
        edges.push(["hub", n.as_str()]);
    }
    let rows: Vec<&[&str]> = edges.iter().map(|e| &e[..]).collect();
    let limits = Limits {
        max_facts: 200,
        ..Limits::default()
    };
    let (db, i, _) = run_with(src, &[("edge", &rows)], &limits).expect("within the limit");
    assert_eq!(strings(&db, &i, "linked").len(), 41);
}

#[test]
fn fact_limit_is_an_error() {
    let names: Vec<String> = (0..=30).map(|n| format!("n{n}")).collect();
    let edges: Vec<[&str; 2]> = names
        .windows(2)
        .map(|w| [w[0].as_str(), w[1].as_str()])
        .collect();
    let rows: Vec<&[&str]> = edges.iter().map(|e| &e[..]).collect();
    let limits = Limits {
        max_facts: 100,
        ..Limits::default()
    };
    let result = run_with(GRAPH, &[("edge", &rows)], &limits);
    match result {
        Err(e) => {
            assert_eq!(e.code(), codes::FACT_LIMIT);
            assert_eq!(e.message(), "evaluation stopped: more than 100 facts");
        }
        Ok((db, _, _)) => panic!("expected a fact limit error, got {}", db.total_facts()),
    }
    // A zero time limit stops a long run.
    let limits = Limits {
        max_time: Duration::ZERO,
        ..Limits::default()
    };
    let result = run_with(GRAPH, &[("edge", &rows)], &limits);
    assert!(matches!(result, Err(e) if e.code() == codes::TIME_LIMIT));
}

#[test]
fn singleton_variables_are_warnings() {
    let src = ".decl e(a: symbol, b: symbol)
.input e
.decl r(a: symbol)
r(x) :- e(x, y).
r(x) :- e(x, _y), e(x, _).
";
    let diags = check(&parsed(src));
    assert_eq!(diags.len(), 1, "{diags:?}");
    let w = &diags[0];
    assert!(w.is_warning());
    assert_eq!(w.code(), codes::SINGLETON_VARIABLE);
    assert_eq!(w.snippet(src), "y");
    assert_eq!(w.message(), "variable `y` appears only once in this rule");
    let rendered = w.render(src);
    assert!(
        rendered.starts_with("test.dl:4:14: warning[W0001]: variable `y`"),
        "{rendered}"
    );
    assert_eq!(
        w.to_string(),
        "warning[W0001]: variable `y` appears only once in this rule"
    );
    // Warnings do not stop evaluation.
    let (db, _, _) = run(src, &[("e", &[&["a", "b"]])]);
    assert_eq!(db.len("r"), 1);
}

#[test]
fn column_type_mismatch_is_an_error() {
    let src = r#".type Principal <: symbol
.type Action <: symbol
.type Admin <: Principal
.decl can(p: Principal, a: Action)
.input can
.decl admin(p: Admin)
.input admin
.decl weird(a: Action)
.decl count_of(p: Principal, n: number)
weird(p) :- can(p, _).
weird(a) :- can(p, a), admin(p), a != "x".
weird(a) :- can(_, a), n = 3, count_of(a, n).
count_of(p, n) :- can(p, _), n = "many".
count_of("alice", "1").
"#;
    let errors = check(&parsed(src));
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.snippet(src))).collect();
    assert_eq!(
        found,
        vec![
            (codes::COLUMN_TYPE_MISMATCH, "p"),
            (codes::COLUMN_TYPE_MISMATCH, "a"),
            (codes::COLUMN_TYPE_MISMATCH, "\"many\""),
            (codes::COLUMN_TYPE_MISMATCH, "\"1\""),
        ],
        "{errors:?}"
    );
    let first = &errors[0];
    assert_eq!(
        first.message(),
        "variable `p` is used as both `Principal` and `Action`"
    );
    let (second, label) = first
        .secondary()
        .unwrap_or_else(|| panic!("no second span"));
    assert_eq!(src.get(second.start..second.end), Some("p"));
    assert!(second.start > first.span().map_or(0, |s| s.start));
    assert_eq!(label, "`Principal` here (column `p` of `can`)");
    assert!(first.render(src).contains("= note: `Principal` here"));
}

#[test]
fn result_does_not_depend_on_rule_order() {
    let rules = [
        "path(x, y) :- edge(x, y).",
        "path(x, z) :- path(x, y), path(y, z).",
        "far(x, n) :- node(x), n = count : { path(x, _) }, n > 1.",
        "label(x, s) :- far(x, n), s = cat(x, \":\", to_string(n)).",
        "lonely(x) :- node(x), !path(x, _), x != \"z\".",
    ];
    let decls = "
.decl edge(a: symbol, b: symbol)
.input edge
.decl node(a: symbol)
.input node
.decl path(a: symbol, b: symbol)
.decl far(a: symbol, n: number)
.decl label(a: symbol, s: symbol)
.decl lonely(a: symbol)
";
    let inputs: &[(&str, &[&[&str]])] = &[
        (
            "edge",
            &[&["a", "b"], &["b", "c"], &["c", "d"], &["d", "b"]],
        ),
        ("node", &[&["a"], &["b"], &["c"], &["d"], &["y"], &["z"]]),
    ];
    let mut results = Vec::new();
    for rotation in 0..rules.len() {
        let mut order: Vec<&str> = rules.to_vec();
        order.rotate_left(rotation);
        if rotation % 2 == 1 {
            order.reverse();
        }
        let src = format!("{decls}{}\n", order.join("\n"));
        let (db, i, _) = run(&src, inputs);
        let all: Vec<Vec<String>> = ["path", "far", "label", "lonely"]
            .iter()
            .map(|r| strings(&db, &i, r))
            .collect();
        results.push(all);
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    assert_eq!(results[0][2], vec!["a,a:3", "b,b:3", "c,c:3", "d,d:3"]);
    assert_eq!(results[0][3], vec!["y"]);
}

#[test]
fn database_api() {
    let mut db = Database::new();
    let mut i = Interner::new();
    let (b, a) = (Value::Sym(i.intern("b")), Value::Sym(i.intern("a")));
    assert_eq!(
        db.insert("r", vec![vec![a, Value::Int(2)], vec![b, Value::Int(1)]]),
        2
    );
    assert_eq!(db.insert("r", vec![vec![a, Value::Int(2)], vec![a]]), 0);
    assert_eq!(db.len("r"), 2);
    assert_eq!(db.len("missing"), 0);
    assert_eq!(db.total_facts(), 2);
    // Sorted by raw value: `b` was interned first.
    assert_eq!(
        db.rows("r"),
        vec![vec![b, Value::Int(1)], vec![a, Value::Int(2)]]
    );
    // A declared relation of another arity is an error.
    let program = parsed(".decl r(x: symbol)\n.input r\n");
    let err = evaluate(&program, &mut db, &mut i, &Limits::default());
    assert!(matches!(err, Err(e) if e.code() == codes::DATABASE_ARITY));
}

#[test]
fn core_rules_check_without_errors() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/core");
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    let files: Vec<(String, String)> = entries
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, text)
        })
        .collect();
    let program = crate::dl::parse_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|e| panic!("core rules do not parse: {e}"));
    let rendered: Vec<String> = check(&program)
        .iter()
        .filter(|e| !e.is_warning())
        .map(|e| {
            let source = files
                .iter()
                .find(|(n, _)| Some(n.as_str()) == e.file())
                .map_or("", |(_, t)| t.as_str());
            e.render(source)
        })
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
}

#[test]
fn warnings_do_not_stop_ascent_codegen() {
    let src = ".type Principal <: symbol
.decl e(a: Principal, b: Principal)
.input e
.decl r(a: Principal)
.output r
r(x) :- e(x, y).
";
    assert!(check(&parsed(src)).iter().all(DlError::is_warning));
    let opts = crate::dl::AscentOptions {
        run_fn: None,
        ..crate::dl::AscentOptions::default()
    };
    let code = crate::dl::compile_to_ascent(&parsed(src), &opts);
    assert!(code.is_ok(), "{code:?}");
}
