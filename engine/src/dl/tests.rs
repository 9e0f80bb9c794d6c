//! Tests of the `.dl` front end: parsing, printing round trips, errors, the checker, and the
//! ascent code generator.

// A failing test should stop with its message; library code never panics.
#![allow(clippy::panic)]

use super::*;
use crate::schema::{ColumnType, RelationKind, RelationSchema};

const SAMPLE: &str = r#"// Header comment, standalone.

.type Principal <: symbol
.type Count <: number
// The membership edges.
.decl member_of_direct(p: Principal, group: Principal)
.input member_of_direct
.decl member_of(p: Principal, group: Principal)
.output member_of
.decl big(p: Principal, n: number)
.output big

// Rule H1: a direct member is a member.
member_of(p, g) :- member_of_direct(p, g).
// Rule H2: membership is transitive.
// @id H2
// @severity low
member_of(p, g2) :- member_of(p, g), member_of_direct(g, g2), p != g2. // trailing, dropped
member_of("alice", "admins").
big(p, n) :- member_of(p, _), n = count : { member_of(p, _) }, n > 2 * (3 + 1) - -4.
big(p, n) :- member_of(p, g), !member_of_direct(p, _), n = strlen(cat(p, "\u00e9\n")), match("a*", g).
/* block
   comment */
// Trailing standalone comment.
"#;

fn parsed(src: &str) -> Program {
    parse(src, "test.dl").unwrap_or_else(|e| panic!("parse failed:\n{}", e.render(src)))
}

fn parse_err(src: &str) -> DlError {
    match parse(src, "test.dl") {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e,
    }
}

/// Checks an error's code, message, underlined text and help, like Cedar's test helper.
fn assert_error(
    err: &DlError,
    src: &str,
    code: &str,
    message: &str,
    underlined: &str,
    help: Option<&str>,
) {
    let rendered = err.render(src);
    assert_eq!(err.code(), code, "{rendered}");
    assert_eq!(err.message(), message, "{rendered}");
    assert_eq!(err.snippet(src), underlined, "{rendered}");
    assert_eq!(err.help(), help, "{rendered}");
}

fn without_spans(mut p: Program) -> Program {
    p.clear_spans();
    p
}

fn round_trip(p: &Program) {
    let text = print(p);
    let reparsed = parse(&text, "test.dl").unwrap_or_else(|e| {
        panic!(
            "printed program does not parse:\n{text}\n{}",
            e.render(&text)
        )
    });
    assert_eq!(
        without_spans(reparsed.clone()),
        without_spans(p.clone()),
        "printed:\n{text}"
    );
    assert_eq!(print(&reparsed), text);
}

#[test]
fn parses_the_sample() {
    let p = parsed(SAMPLE);
    assert_eq!(p.files, vec!["test.dl".to_owned()]);
    let kinds: Vec<&str> = p
        .items
        .iter()
        .map(|i| match i {
            Item::Comment(_) => "comment",
            Item::Type(_) => "type",
            Item::Decl(_) => "decl",
            Item::Io(_) => "io",
            Item::Rule(_) => "rule",
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "comment", "type", "type", "decl", "io", "decl", "io", "decl", "io", "rule", "rule",
            "rule", "rule", "rule", "comment"
        ]
    );
    let rules: Vec<&Rule> = p.rules().collect();
    assert_eq!(
        rules[0].comments,
        vec!["Rule H1: a direct member is a member."]
    );
    assert_eq!(
        rules[1].annotations(),
        vec![("id", "H2"), ("severity", "low")]
    );
    assert!(rules[2].is_fact());
    assert!(rules[2].comments.is_empty());
    let decl = p.decls().next().map(|d| d.comments.clone());
    assert_eq!(decl, Some(vec!["The membership edges.".to_owned()]));

    // Spans point at the source text.
    let head = &rules[1].head;
    assert_eq!(
        SAMPLE.get(head.span.start..head.span.end),
        Some("member_of(p, g2)")
    );
    let last = rules[1].span;
    assert!(SAMPLE
        .get(last.start..last.end)
        .is_some_and(|s| s.ends_with("p != g2.")));
    let Some(Literal::Call(call)) = rules[4].body.last() else {
        panic!("expected a builtin predicate call");
    };
    assert_eq!(call.name.name, "match");
    let Some(Literal::Constraint(c)) = rules[4].body.get(2) else {
        panic!("expected a constraint");
    };
    let Term::Call(strlen) = &c.right else {
        panic!("expected a call");
    };
    let Some(Term::Call(cat)) = strlen.args.first() else {
        panic!("expected a nested call");
    };
    assert!(matches!(cat.args.get(1), Some(Term::Str { value, .. }) if value == "é\n"));
}

#[test]
fn sample_round_trips() {
    round_trip(&parsed(SAMPLE));
}

#[test]
fn table_of_round_trips() {
    let cases = [
        "a(x) :- b(x).",
        "a(x, y) :- b(x, _), !c(y, _), x = y, x != y.",
        "a(\"q\\\"uo\\\\te\\t\", -5, 0, 9223372036854775807, -9223372036854775808).",
        "a(x) :- b(y), x = y + 1 * 2 - 3 / 4 % 5.",
        "a(x) :- b(y), x = (y + 1) * 2.",
        "a(x) :- b(y), x = y - (1 - 2).",
        "a(x) :- b(y), x = y - -2.",
        "a(x) :- b(y), x = -y * -(3).",
        "a(x) :- b(y), x = -(y + 1).",
        "a(x) :- b(y), x = --y.",
        "a(n) :- b(_), n = count : { b(_) }.",
        "a(n) :- c(y), n = sum z : { b(z), z > y }.",
        "a(n) :- c(y), n = min (z + 1) * 2 : { b(z) } + max z : { b(z) }.",
        "a(n) :- c(y), n = max(y, 3), n < min(y, 4), count : { b(_) } >= 1.",
        "a(x) :- b(x), contains(\"x\", x), !match(\"a*\", x).",
        "a() :- b().",
        ".input a, b",
        ".output a",
        ".type T <: symbol\n.decl a(x: T, y: number)",
        "// c1\n//\n//  indented\na(x) :- b(x).",
        "// standalone\n\n// attached\n.decl a()",
        "// only a comment",
    ];
    for case in cases {
        round_trip(&parsed(case));
    }
    // Aggregates without braces read as the same tree.
    let braced = without_spans(parsed("a(n) :- b(_), n = count : { b(_) }."));
    let bare = without_spans(parsed("a(n) :- b(_), n = count : b(_)."));
    assert_eq!(braced, bare);
    // `min` / `count` are ordinary names where no `:` follows.
    let p = parsed("a(count) :- b(min, count), min = count, x = min(count, 2), x = count(3).");
    round_trip(&p);
}

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_owned(),
        span: Span::default(),
    }
}

/// A small deterministic generator (xorshift), enough for randomized round trips.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % (n as u64)) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn term(&mut self, depth: usize) -> Term {
        let leaf = depth == 0 || self.below(3) == 0;
        if leaf {
            return match self.below(5) {
                0 => Term::Wildcard(Span::default()),
                1 => Term::Str {
                    value: self
                        .pick(&["", "a b", "q\"\\/", "tab\tnl\n\u{1}", "é€😀"])
                        .to_owned(),
                    span: Span::default(),
                },
                2 => Term::Num {
                    value: [0, 7, -3, i64::MIN, i64::MAX][self.below(5)],
                    span: Span::default(),
                },
                _ => Term::Var(ident(self.pick(&["x", "y", "_z", "Name", "type"]))),
            };
        }
        match self.below(5) {
            0 => Term::Neg {
                operand: Box::new(self.term(depth - 1)),
                span: Span::default(),
            },
            1 | 2 => Term::Binary {
                op: [
                    ArithOp::Add,
                    ArithOp::Sub,
                    ArithOp::Mul,
                    ArithOp::Div,
                    ArithOp::Rem,
                ][self.below(5)],
                left: Box::new(self.term(depth - 1)),
                right: Box::new(self.term(depth - 1)),
                span: Span::default(),
            },
            3 => {
                let n = self.below(3);
                Term::Call(Call {
                    name: ident(self.pick(&["cat", "strlen", "f"])),
                    args: (0..n).map(|_| self.term(depth - 1)).collect(),
                    span: Span::default(),
                })
            }
            _ => {
                let kind = [
                    AggKind::Count,
                    AggKind::Sum,
                    AggKind::Min,
                    AggKind::Max,
                    AggKind::Mean,
                ][self.below(5)];
                let target = (kind != AggKind::Count).then(|| self.term(depth - 1));
                let n = 1 + self.below(2);
                Term::Aggregate(Box::new(Aggregate {
                    kind,
                    target,
                    body: (0..n).map(|_| self.literal(depth - 1)).collect(),
                    span: Span::default(),
                }))
            }
        }
    }

    fn atom(&mut self, depth: usize) -> Atom {
        let n = self.below(4);
        Atom {
            name: ident(self.pick(&["r", "edge", "member_of"])),
            args: (0..n).map(|_| self.term(depth)).collect(),
            span: Span::default(),
        }
    }

    fn literal(&mut self, depth: usize) -> Literal {
        match self.below(5) {
            0 => Literal::Negated {
                atom: self.atom(depth),
                span: Span::default(),
            },
            1 => Literal::Constraint(Constraint {
                op: [
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge,
                ][self.below(6)],
                left: self.term(depth),
                right: self.term(depth),
                span: Span::default(),
            }),
            2 => Literal::Call(Call {
                name: ident(self.pick(&["match", "contains"])),
                args: vec![self.term(depth), self.term(depth)],
                span: Span::default(),
            }),
            _ => Literal::Atom(self.atom(depth)),
        }
    }

    fn comments(&mut self) -> Vec<String> {
        let n = self.below(3);
        (0..n)
            .map(|_| {
                self.pick(&["", "Rule X: text", "@id AWS001", " indented", "// nested"])
                    .to_owned()
            })
            .collect()
    }

    fn item(&mut self) -> Item {
        match self.below(8) {
            0 => Item::Comment(CommentBlock {
                lines: {
                    let mut lines = self.comments();
                    lines.push("block".to_owned());
                    lines
                },
                span: Span::default(),
            }),
            1 => Item::Type(TypeDecl {
                comments: self.comments(),
                name: ident("T"),
                base: ident(self.pick(&["symbol", "number"])),
                span: Span::default(),
            }),
            2 => Item::Decl(Decl {
                comments: self.comments(),
                name: ident("r"),
                columns: (0..self.below(3))
                    .map(|_| Column {
                        name: ident("c"),
                        ty: ident("T"),
                        span: Span::default(),
                    })
                    .collect(),
                span: Span::default(),
            }),
            3 => Item::Io(IoDirective {
                comments: self.comments(),
                kind: if self.below(2) == 0 {
                    IoKind::Input
                } else {
                    IoKind::Output
                },
                relations: (0..1 + self.below(2)).map(|_| ident("r")).collect(),
                span: Span::default(),
            }),
            _ => {
                let n = self.below(4);
                Item::Rule(Rule {
                    comments: self.comments(),
                    head: self.atom(1),
                    body: (0..n).map(|_| self.literal(3)).collect(),
                    span: Span::default(),
                })
            }
        }
    }
}

#[test]
fn randomized_round_trips() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for _ in 0..400 {
        let n = 1 + g.below(6);
        let program = Program {
            files: vec!["test.dl".to_owned()],
            items: (0..n).map(|_| g.item()).collect(),
        };
        round_trip(&program);
    }
}

#[test]
fn no_input_panics() {
    // Every prefix of a valid program, and every prefix with one byte replaced.
    let src = SAMPLE;
    for end in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
        let prefix = &src[..end];
        let _ = parse(prefix, "t.dl").map(|p| check(&p));
        if let Err(e) = parse(prefix, "t.dl") {
            let _ = e.render(prefix);
        }
    }
    let mut g = Gen(42);
    let junk = [
        "(", ")", "{", "}", ":", ":-", ".", "!", "\"", "\\", "/*", "_", "count", "-", "9", "é",
        "\n", ";", "#",
    ];
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..g.below(30) {
            text.push_str(g.pick(&junk));
            if g.below(3) == 0 {
                text.push(' ');
            }
        }
        match parse(&text, "t.dl") {
            Ok(p) => {
                let _ = check(&p);
                let _ = print(&p);
            }
            Err(e) => {
                let _ = e.render(&text);
            }
        }
    }
    // Deep nesting is an error, not a stack overflow.
    let deep = format!(
        "a(x) :- b(y), x = {}y{}.",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(parse_err(&deep).code(), codes::NESTING_TOO_DEEP);
    let deep = format!("a(x) :- b(y), x = {}y.", "-".repeat(100_000));
    assert_eq!(parse_err(&deep).code(), codes::NESTING_TOO_DEEP);
    let deep = format!(
        "a(n) :- {}b(x){}.",
        "n = count : { ".repeat(10_000),
        " }".repeat(10_000)
    );
    assert_eq!(parse_err(&deep).code(), codes::NESTING_TOO_DEEP);
}

#[test]
fn parse_errors_have_codes_spans_and_help() {
    let src = "a(x) :- b(x) c(x).";
    assert_error(
        &parse_err(src),
        src,
        codes::UNEXPECTED_TOKEN,
        "expected `,` or `.`, found identifier `c`",
        "c",
        None,
    );

    let src = "a(x) :- b(x)";
    let e = parse_err(src);
    assert_error(
        &e,
        src,
        codes::UNEXPECTED_TOKEN,
        "expected `,` or `.`, found end of file",
        "",
        None,
    );
    assert!(
        e.render(src).starts_with("test.dl:1:13: error[E0010]"),
        "{}",
        e.render(src)
    );

    let src = "a(x) :- b(x); c(x).";
    assert_error(
        &parse_err(src),
        src,
        codes::DISJUNCTION,
        "disjunction `;` is not supported",
        ";",
        Some("write one rule per alternative"),
    );

    let src = "a(\"abc\n).";
    assert_error(
        &parse_err(src),
        src,
        codes::UNTERMINATED_STRING,
        "unterminated string",
        "\"abc",
        Some("add the closing `\"`; write a newline inside a string as `\\n`"),
    );

    let src = "a(\"a\\qb\").";
    let e = parse_err(src);
    assert_eq!(e.code(), codes::INVALID_ESCAPE);
    assert_eq!(e.snippet(src), "\\q");
    let src = "a(\"\\ud800\").";
    assert_eq!(parse_err(src).code(), codes::INVALID_ESCAPE);
    let src = "a(\"\\u12\").";
    assert_eq!(parse_err(src).code(), codes::INVALID_ESCAPE);
    assert_eq!(
        parsed("a(\"\\ud83d\\ude00\\u00e9\").")
            .rules()
            .next()
            .map(|r| r.head.args.clone()),
        Some(vec![Term::Str {
            value: "😀é".to_owned(),
            span: Span::new(FileId(0), 2, 22)
        }])
    );

    let src = "/* open\na(x).";
    assert_error(
        &parse_err(src),
        src,
        codes::UNTERMINATED_COMMENT,
        "unterminated block comment",
        src,
        Some("close it with `*/`"),
    );

    let src = "a(99999999999999999999).";
    assert_error(
        &parse_err(src),
        src,
        codes::INTEGER_OUT_OF_RANGE,
        "integer `99999999999999999999` does not fit in 64 bits",
        "99999999999999999999",
        Some("integers are signed 64-bit, from -9223372036854775808 to 9223372036854775807"),
    );

    let src = "a(x) :- b(x), x # 1.";
    assert_error(
        &parse_err(src),
        src,
        codes::UNEXPECTED_CHARACTER,
        "unexpected character `#`",
        "#",
        None,
    );

    let src = ".dekl a(x: symbol)";
    assert_error(
        &parse_err(src),
        src,
        codes::UNKNOWN_DIRECTIVE,
        "unknown directive `.dekl`",
        ".dekl",
        Some("did you mean `.decl`?"),
    );
    let src = ".printsize a";
    assert_eq!(parse_err(src).code(), codes::UNKNOWN_DIRECTIVE);
    let src = ".input a(IO=file)";
    assert_eq!(parse_err(src).code(), codes::UNSUPPORTED_SYNTAX);
    let src = ".decl a(x: symbol) eqrel";
    assert_eq!(parse_err(src).code(), codes::UNSUPPORTED_SYNTAX);
    let src = ".type A = B | C";
    assert_eq!(parse_err(src).code(), codes::UNSUPPORTED_SYNTAX);

    let src = "a(x), b(x) :- c(x).";
    assert_eq!(parse_err(src).code(), codes::MULTIPLE_HEADS);
    let src = "a(x) :- c(x), !(x = 1).";
    assert_error(
        &parse_err(src),
        src,
        codes::NEGATED_NON_ATOM,
        "only atoms can be negated",
        "!",
        parse_err(src).help(),
    );
    let src = "a(x) :- c(x), d.";
    let e = parse_err(src);
    assert_eq!(e.code(), codes::UNEXPECTED_TOKEN);
    assert_eq!(e.help(), Some("an atom has parentheses: `d(...)`"));
    let src = ". decl a()";
    assert_eq!(parse_err(src).code(), codes::UNEXPECTED_TOKEN);
}

#[test]
fn rendered_parse_error_looks_like_rustc() {
    let src = "a(x) :- b(x).\n  c(x) :- d(x);e(x).\n";
    let text = parse_err(src).render(src);
    let expected = "test.dl:2:15: error[E0012]: disjunction `;` is not supported\n  |\n2 |   c(x) :- d(x);e(x).\n  |               ^ disjunction\n  |\n  = help: write one rule per alternative\n";
    assert_eq!(text, expected);
}

#[test]
fn parse_files_numbers_files() {
    let p = match parse_files([
        ("a.dl", ".decl a(x: symbol)"),
        ("b.dl", "\n.decl b(x: symbol)"),
    ]) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(p.files, vec!["a.dl", "b.dl"]);
    let spans: Vec<Span> = p.items.iter().map(Item::span).collect();
    assert_eq!(
        spans,
        vec![Span::new(FileId(0), 0, 18), Span::new(FileId(1), 1, 19)]
    );
    let err = parse_files([("a.dl", "a(x)."), ("b.dl", "oops")]).err();
    assert_eq!(err.as_ref().and_then(|e| e.file()), Some("b.dl"));

    let mut a = parsed(".decl a(x: symbol)");
    a.append(parsed(".decl b(x: symbol)"));
    assert_eq!(
        a.items.get(1).map(Item::span),
        Some(Span::new(FileId(1), 0, 18))
    );
}

// ---- checker ----

const DECLS: &str = "
.type Principal <: symbol
.decl member_of_direct(p: Principal, group: Principal)
.decl member_of(p: Principal, group: Principal)
.decl has_boundary(p: Principal)
";

fn check_errors(rules: &str) -> (String, Vec<DlError>) {
    let src = format!("{DECLS}{rules}");
    let p = parsed(&src);
    // Warnings (singleton variables) are tested on their own.
    let errors = check(&p).into_iter().filter(|e| !e.is_warning()).collect();
    (src, errors)
}

#[test]
fn checker_accepts_valid_rules() {
    let (_, errors) = check_errors(
        "member_of(p, g) :- member_of_direct(p, g), !has_boundary(p), x = p, y = x, y != g.
         has_boundary(p) :- member_of_direct(p, _), n = count : { member_of_direct(p, _) }, n > 1.",
    );
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn checker_reports_unknown_relations_with_suggestions() {
    let (src, errors) = check_errors("member_of(p, g) :- membr_of(p, g).\n.output nothing_like_it");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_error(
        &errors[0],
        &src,
        codes::UNKNOWN_RELATION,
        "unknown relation `membr_of`",
        "membr_of",
        Some("did you mean `member_of`?"),
    );
    assert_error(
        &errors[1],
        &src,
        codes::UNKNOWN_RELATION,
        "unknown relation `nothing_like_it`",
        "nothing_like_it",
        Some("declare it: `.decl nothing_like_it(...)`"),
    );
    assert!(
        errors[0]
            .render(&src)
            .starts_with("test.dl:6:20: error[E0100]"),
        "{}",
        errors[0].render(&src)
    );
}

#[test]
fn checker_reports_arity_and_types() {
    let (src, errors) =
        check_errors("member_of(p) :- member_of_direct(p, g, g).\n.decl t(x: Principl, y: sym)");
    let codes_found: Vec<&str> = errors.iter().map(DlError::code).collect();
    assert_eq!(
        codes_found,
        vec![
            codes::ARITY_MISMATCH,
            codes::ARITY_MISMATCH,
            codes::UNKNOWN_TYPE,
            codes::UNKNOWN_TYPE
        ]
    );
    assert_error(
        &errors[0],
        &src,
        codes::ARITY_MISMATCH,
        "relation `member_of` has 2 columns, but 1 argument is given",
        "member_of(p)",
        Some("`member_of` is declared as `member_of(p: Principal, group: Principal)`"),
    );
    assert_eq!(errors[2].help(), Some("did you mean `Principal`?"));
    assert_eq!(errors[3].help(), Some("declare it: `.type sym <: symbol`"));
}

#[test]
fn checker_enforces_range_restriction() {
    let (src, errors) = check_errors(
        "member_of(p, g) :- member_of_direct(p, _).
         member_of(p, p) :- member_of_direct(p, _), !has_boundary(g), !has_boundary(_).
         member_of(p, _) :- member_of_direct(p, q), q != z.
         member_of(p, g) :- member_of_direct(p, q), g = z, z = g.",
    );
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.snippet(&src))).collect();
    assert_eq!(
        found,
        vec![
            (codes::UNBOUND_HEAD_VARIABLE, "g"),
            (codes::UNBOUND_NEGATED_VARIABLE, "g"),
            (codes::WILDCARD_IN_HEAD, "_"),
            (codes::UNBOUND_VARIABLE, "z"),
            (codes::UNBOUND_HEAD_VARIABLE, "g"),
            (codes::UNBOUND_VARIABLE, "z"),
        ]
    );
    // Reported once per variable per rule, in source order.
    assert_eq!(
        errors[1].help(),
        Some("bind `g` in a positive atom of the same rule, or replace it with `_`")
    );
}

#[test]
fn checker_reports_builtins_and_duplicates() {
    let (src, errors) = check_errors(
        "member_of(p, g) :- member_of_direct(p, g), mtch(\"a\", p), x = strln(p), y = substr(p).
         .decl member_of(p: Principal, group: Principal)",
    );
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.snippet(&src))).collect();
    assert_eq!(
        found,
        vec![
            (codes::UNKNOWN_RELATION, "mtch"),
            (codes::UNKNOWN_FUNCTION, "strln"),
            (codes::FUNCTION_ARITY, "substr(p)"),
            (codes::DUPLICATE_DECLARATION, "member_of"),
        ]
    );
    assert_eq!(errors[1].help(), Some("did you mean `strlen`?"));
    assert_eq!(
        errors[2].message(),
        "`substr` takes 3 arguments, but 1 is given"
    );
}

// ---- schema agreement ----

static TEST_SCHEMA: &[RelationSchema] = &[
    RelationSchema {
        name: "member_of_direct",
        kind: RelationKind::Input,
        columns: &[
            ("p", ColumnType::Principal),
            ("group", ColumnType::Principal),
        ],
        doc: "member_of_direct(p, group): direct.",
    },
    RelationSchema {
        name: "member_of",
        kind: RelationKind::Derived,
        columns: &[
            ("p", ColumnType::Principal),
            ("group", ColumnType::Principal),
        ],
        doc: "member_of(p, group): closure.",
    },
    RelationSchema {
        name: "scope_parent",
        kind: RelationKind::Input,
        columns: &[("child", ColumnType::Scope), ("parent", ColumnType::Scope)],
        doc: "scope_parent(child, parent): edge.",
    },
];

#[test]
fn schema_agreement() {
    let ok = ".type Principal <: symbol\n.type Scope <: symbol
.decl member_of_direct(p: Principal, group: Principal)\n.input member_of_direct
.decl member_of(p: Principal, group: Principal)\n.output member_of
.decl scope_parent(child: Scope, parent: Scope)\n.input scope_parent";
    assert!(check_against_schema(&parsed(ok), TEST_SCHEMA).is_empty());

    let bad = ".type Principal <: symbol
.decl member_of_direct(p: Principal, grp: Principal)\n.output member_of_direct
.decl member_of(p: Principal, group: Principal)\n.output member_of\n.input member_of
.decl extra(p: Principal)";
    let p = parsed(bad);
    let errors = check_against_schema(&p, TEST_SCHEMA);
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.snippet(bad))).collect();
    assert_eq!(
        found,
        vec![
            (
                codes::SCHEMA_MISMATCH,
                ".decl member_of_direct(p: Principal, grp: Principal)"
            ),
            (codes::SCHEMA_KIND_MISMATCH, "member_of_direct"),
            (codes::SCHEMA_KIND_MISMATCH, "member_of"),
            (codes::NOT_IN_SCHEMA, "extra"),
            (codes::MISSING_FROM_RULES, ""),
        ]
    );
    assert_eq!(
        errors[0].help(),
        Some("the engine schema declares `member_of_direct(p: Principal, group: Principal)`")
    );
    assert_eq!(
        errors[4].help(),
        Some("add `.decl scope_parent(child: Scope, parent: Scope)` and `.input scope_parent`")
    );
}

// ---- ascent code generation ----

const CODEGEN: &str = "
.type Principal <: symbol
.decl member_of_direct(p: Principal, group: Principal)
.input member_of_direct
.decl has_boundary(p: Principal)
.input has_boundary
.decl member_of(p: Principal, group: Principal)
.output member_of
.decl unused(p: Principal)
.input unused

// Rule H2: transitive.
member_of(p, g2) :- !has_boundary(type), member_of(p, g), member_of_direct(g, g2), type = p, g2 != p.
member_of(p, p) :- member_of_direct(p, p).
";

#[test]
fn ascent_codegen_orders_and_renames() {
    let p = parsed(CODEGEN);
    let code = compile_to_ascent(&p, &AscentOptions::default())
        .unwrap_or_else(|e| panic!("{}", e.render(CODEGEN)));
    let expected_rule = "
    // Rule H2: transitive.
    // member_of(p, g2) :- !has_boundary(type), member_of(p, g), member_of_direct(g, g2), type = p, g2 != p.
    member_of(p, g2) <--
        member_of(p, g),
        let v_type = p,
        !has_boundary(v_type),
        member_of_direct(g, g2),
        if g2 != p;
";
    assert!(code.contains(expected_rule), "{code}");
    assert!(code.contains("use iamlog_engine::{PrincipalId};"), "{code}");
    assert!(
        code.contains("    relation member_of(PrincipalId, PrincipalId);\n"),
        "{code}"
    );
    assert!(
        code.contains("    member_of(p, p) <--\n        member_of_direct(p, p);\n"),
        "{code}"
    );
    assert!(
        code.contains("pub fn run_core(facts: &iamlog_engine::Facts) -> iamlog_engine::Derived {"),
        "{code}"
    );
    // Only the inputs some rule reads are copied (not `unused`).
    let init = "    let mut program = CoreProgram {
        member_of_direct: facts.member_of_direct.clone(),
        has_boundary: facts.has_boundary.clone(),
        ..::std::default::Default::default()
    };
    program.run();
";
    assert!(code.contains(init), "{code}");
    assert!(
        code.contains("        member_of: ::std::mem::take(&mut program.member_of),\n"),
        "{code}"
    );

    let no_glue = AscentOptions {
        struct_name: "Cases".to_owned(),
        run_fn: None,
        engine_crate: "crate::engine".to_owned(),
        relation_store: Some("crate::store".to_owned()),
    };
    let code = compile_to_ascent(&p, &no_glue).unwrap_or_default();
    assert!(code.contains("pub struct Cases;"), "{code}");
    assert!(
        code.contains("::ascent::ascent! {\n    #![ds(crate::store)]\n"),
        "{code}"
    );
    assert!(code.contains("use crate::engine::{PrincipalId};"), "{code}");
    assert!(!code.contains("fn run_core"), "{code}");
}

#[test]
fn ascent_codegen_rejects_what_it_cannot_translate() {
    let cases = [
        (
            "member_of(p, g) :- member_of_direct(p, g), p = \"x\".",
            "p = \"x\"",
        ),
        ("member_of(p, \"x\") :- member_of_direct(p, _).", "\"x\""),
        (
            "member_of(p, g) :- member_of_direct(p, g), !has_boundary(\"x\").",
            "\"x\"",
        ),
        ("member_of(p, g) :- member_of_direct(p, g), p < g.", "p < g"),
        ("member_of(\"a\", \"b\").", "member_of(\"a\", \"b\")."),
        (
            "member_of(p, g) :- member_of_direct(p, g), match(\"a\", p).",
            "match(\"a\", p)",
        ),
    ];
    for (rule, underlined) in cases {
        let src = format!("{CODEGEN}{rule}");
        let err = compile_to_ascent(&parsed(&src), &AscentOptions::default()).err();
        let Some(err) = err else {
            panic!("{rule} compiled");
        };
        assert_eq!(
            err.code(),
            codes::ASCENT_UNSUPPORTED,
            "{}",
            err.render(&src)
        );
        assert_eq!(err.snippet(&src), underlined, "{}", err.render(&src));
    }
    let src = format!("{CODEGEN}.decl type(x: Principal)");
    let err = compile_to_ascent(&parsed(&src), &AscentOptions::default()).err();
    assert_eq!(err.as_ref().map(|e| e.snippet(&src)), Some("type"));
    let src = format!("{CODEGEN}.decl n(x: number)");
    let err = compile_to_ascent(&parsed(&src), &AscentOptions::default()).err();
    assert_eq!(
        err.as_ref().map(DlError::code),
        Some(codes::ASCENT_COLUMN_TYPE)
    );
    // Checker errors come first.
    let src = format!("{CODEGEN}member_of(p, g) :- membr_of(p, g).");
    let err = compile_to_ascent(&parsed(&src), &AscentOptions::default()).err();
    assert_eq!(
        err.as_ref().map(DlError::code),
        Some(codes::UNKNOWN_RELATION)
    );
}

#[test]
fn rust_var_is_injective_on_tricky_names() {
    let names = [
        "x", "type", "v_type", "v_v_type", "_x", "v__x", "self", "agg",
    ];
    let mapped: Vec<String> = names.iter().map(|n| ascent::rust_var(n)).collect();
    let mut unique = mapped.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{mapped:?}");
    assert_eq!(mapped[0], "x");
    assert_eq!(mapped[1], "v_type");
}
