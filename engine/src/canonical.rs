//! The canonical text form of relations, used by goldens and `iamlog facts`.
//!
//! One row per line, `relation("arg", "arg")`, arguments as the original strings (never ids),
//! quoted with JSON string escapes, lines sorted bytewise and deduplicated. Two fact sets are
//! equal exactly when their canonical texts are equal, whatever the interning order.

use crate::ids::{Interner, Sym};

/// Quotes `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders the rows of one relation as sorted, deduplicated canonical lines.
pub fn render_rows(name: &str, rows: &[Vec<Sym>], interner: &Interner) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let args: Vec<String> = row.iter().map(|&s| quote(interner.resolve(s))).collect();
            format!("{name}({})", args.join(", "))
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Renders the rows of one relation as Soufflé TSV lines (tab-separated, sorted). Tabs and
/// newlines inside values are escaped as `\t` and `\n`.
pub fn render_tsv(rows: &[Vec<Sym>], interner: &Interner) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cols: Vec<String> = row
                .iter()
                .map(|&s| {
                    interner
                        .resolve(s)
                        .replace('\\', "\\\\")
                        .replace('\t', "\\t")
                        .replace('\n', "\\n")
                })
                .collect();
            cols.join("\t")
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_quoted_whatever_the_interning_order() {
        let mut a = Interner::new();
        let (x, y) = (a.intern("b\"q"), a.intern("a"));
        let mut b = Interner::new();
        let (y2, x2) = (b.intern("a"), b.intern("b\"q"));
        let ra = render_rows("r", &[vec![x], vec![y]], &a);
        let rb = render_rows("r", &[vec![y2], vec![x2], vec![y2]], &b);
        assert_eq!(ra, rb);
        assert_eq!(
            ra,
            vec!["r(\"a\")".to_string(), "r(\"b\\\"q\")".to_string()]
        );
    }
}
