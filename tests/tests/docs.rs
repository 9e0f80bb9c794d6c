//! Generated documentation stays in step with the code: `docs/relations.md` is rendered from the
//! engine's schema (`IAMLOG_BLESS=1` rewrites it).

// Test code may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamlog_engine::schema::RelationKind;
use iamlog_engine::SCHEMA;
use iamlog_tests::{check_golden, path};

fn relations_md() -> String {
    let mut out = String::from(
        "# Relations\n\n\
         Generated from the engine's schema (`engine/src/schema.rs`) by the test `tests/tests/docs.rs`\n\
         (`IAMLOG_BLESS=1 cargo test -p iamlog-tests --test docs` rewrites it); `iamlog rules\n\
         --relations` prints the same table. Input relations are filled by ingest from the exports;\n\
         derived relations are computed by the core rules (`rules/core/*.dl`). Every relation can be\n\
         read by your rules (`docs/rules.md`).\n",
    );
    for (kind, title) in [
        (RelationKind::Input, "Input relations"),
        (RelationKind::Derived, "Derived relations (core rules)"),
    ] {
        out.push_str(&format!(
            "\n## {title}\n\n| relation | columns | meaning |\n|---|---|---|\n"
        ));
        for r in SCHEMA.iter().filter(|r| r.kind == kind) {
            let cols: Vec<String> = r
                .columns
                .iter()
                .map(|(n, t)| format!("{n}: {}", t.dl_name()))
                .collect();
            let meaning = r
                .doc
                .split_once(": ")
                .map_or(r.doc, |(_, m)| m)
                .replace('|', "\\|");
            out.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                r.name,
                cols.join(", "),
                meaning
            ));
        }
    }
    out
}

#[test]
fn relations_md_is_generated_from_the_schema() {
    if let Some(problem) = check_golden(&path("docs/relations.md"), &relations_md()) {
        panic!("{problem}");
    }
}
