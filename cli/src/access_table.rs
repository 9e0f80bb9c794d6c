//! Access rows as a table, laid out byte for byte as [`crate::output::Rows::write`] lays out a
//! table (the tests compare them), without a `String` and a JSON value for each cell.
//!
//! A large org's `who-can` writes 42,000 rows and 44 MB of table: building two copies of
//! every cell, then each line, took three times as long as writing the same rows as CSV.
//! Here each cell is copied once into a reused buffer, the width of a cell repeated from the
//! row before is not counted again, each distinct list of caveats is joined once, and the
//! second half of many rows is laid out on another thread meanwhile.

use std::io::{self, Write};
use std::ops::Range;

use crate::analysis::{self, AccessRow};
use crate::{flush_full, text_key, CaveatCells, Pieces, TextKey, ACCESS_COLUMNS};

/// The columns before the caveats: source, action, destination, policy, granter, condition.
const CELLS: usize = 6;

/// The text cells of `r` before its caveats.
fn cells(r: &AccessRow) -> [&str; CELLS] {
    [
        &r.source,
        &r.action,
        &r.destination,
        &r.policy,
        &r.granter,
        r.condition.as_deref().unwrap_or("-"),
    ]
}

/// Width of a cell as the table counts it: in characters.
fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The widths of the columns, and the caveats cell of each row.
struct Layout {
    widths: [usize; CELLS + 1],
    caveats: CaveatCells,
    /// Per row, its caveats cell in `caveats.cells`.
    cells: Vec<Range<usize>>,
}

impl Layout {
    fn of(rows: &[AccessRow]) -> Layout {
        let mut widths = [0; CELLS + 1];
        for (w, c) in widths.iter_mut().zip(ACCESS_COLUMNS) {
            *w = c.len();
        }
        let mut caveats = CaveatCells::as_text();
        let mut cells_at = Vec::with_capacity(rows.len());
        // (A cell at the address of the same column's cell in the row before has its width.)
        let mut last: [Option<TextKey>; CELLS] = [None; CELLS];
        for r in rows {
            for ((c, w), last) in cells(r).into_iter().zip(&mut widths).zip(&mut last) {
                let key = text_key(c);
                if *last != Some(key) {
                    *w = (*w).max(width(c));
                    *last = Some(key);
                }
            }
            cells_at.push(caveats.cell(r));
        }
        // (Each distinct caveats cell counted once.)
        let mut seen = rustc_hash::FxHashSet::default();
        for range in &cells_at {
            if seen.insert((range.start, range.end)) {
                // (Text joined from strings: valid UTF-8.)
                let cell = caveats.cells.get(range.clone()).unwrap_or_default();
                let w = std::str::from_utf8(cell).map_or(cell.len(), width);
                widths[CELLS] = widths[CELLS].max(w);
            }
        }
        Layout {
            widths,
            caveats,
            cells: cells_at,
        }
    }

    /// Appends the line of `cells`, its last cell `last`, as `Rows::write` lays it out: each
    /// cell but the last padded to its column's width and two spaces, the line's trailing
    /// white space trimmed.
    fn line<'c>(
        &self,
        buf: &mut Vec<u8>,
        cells: impl Iterator<Item = (&'c str, Option<usize>)>,
        last: &[u8],
    ) {
        let start = buf.len();
        for ((c, known), w) in cells.zip(&self.widths) {
            buf.extend_from_slice(c.as_bytes());
            let n = known.unwrap_or_else(|| width(c));
            buf.resize(buf.len() + w.saturating_sub(n) + 2, b' ');
        }
        buf.extend_from_slice(last);
        // Trailing white space, as `str::trim_end` sees it. (Nearly always the line ends in
        // a character that is not.)
        if buf
            .last()
            .is_some_and(|&b| !b.is_ascii() || char::from(b).is_whitespace())
        {
            let kept = std::str::from_utf8(&buf[start..])
                .map_or(buf.len() - start, |l| l.trim_end().len());
            buf.truncate(start + kept);
        }
        buf.push(b'\n');
    }

    /// Appends the lines of `rows`, whose caveats cells are `cells`.
    fn rows(
        &self,
        rows: &[AccessRow],
        cells_at: &[Range<usize>],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut last: [Option<(TextKey, usize)>; CELLS] = [None; CELLS];
        let mut known = [None; CELLS];
        for (r, at) in rows.iter().zip(cells_at) {
            let cs = cells(r);
            for ((c, last), k) in cs.iter().zip(&mut last).zip(&mut known) {
                let key = text_key(c);
                *k = match last {
                    Some((l, n)) if *l == key => Some(*n),
                    _ => {
                        let n = width(c);
                        *last = Some((key, n));
                        Some(n)
                    }
                };
            }
            let caveats = self.caveats.cells.get(at.clone()).unwrap_or_default();
            self.line(&mut buf, cs.into_iter().zip(known), caveats);
            flush_full(&mut buf, out)?;
        }
        out.write_all(&buf)
    }
}

/// Writes `rows` as a table: a header of the upper-cased column names, then a line per row.
pub(crate) fn write(rows: &[AccessRow], out: &mut dyn Write) -> io::Result<()> {
    let layout = Layout::of(rows);
    let upper: Vec<String> = ACCESS_COLUMNS.iter().map(|c| c.to_uppercase()).collect();
    let mut header = Vec::new();
    let empty = String::new();
    let (last, first) = upper.split_last().unwrap_or((&empty, &[]));
    layout.line(
        &mut header,
        first.iter().map(|c| (c.as_str(), None)),
        last.as_bytes(),
    );
    out.write_all(&header)?;
    if rows.len() >= crate::PARALLEL_WRITE && analysis::threads() >= 2 {
        let half = rows.len() / 2;
        let (first, second) = rows.split_at(half);
        let (first_at, second_at) = layout.cells.split_at(half);
        return std::thread::scope(|scope| {
            let other = scope.spawn(|| -> io::Result<Pieces> {
                let mut pieces = Pieces::default();
                layout.rows(second, second_at, &mut pieces)?;
                Ok(pieces)
            });
            layout.rows(first, first_at, out)?;
            let rest = other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))?;
            for piece in &rest.0 {
                out.write_all(piece)?;
            }
            Ok(())
        });
    }
    layout.rows(rows, &layout.cells, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source: &str, condition: Option<&str>, caveats: &[(&str, Option<&str>)]) -> AccessRow {
        AccessRow {
            source: source.into(),
            action: "s3:GetObject".into(),
            destination: "arn:aws:s3:::b/k".into(),
            policy: "arn:aws:iam::111122223333:policy/p".into(),
            granter: "arn:aws:iam::111122223333:policy/p".into(),
            condition: condition.map(Into::into),
            caveats: caveats
                .iter()
                .map(|(p, c)| ((*p).into(), c.map(Into::into)))
                .collect(),
        }
    }

    fn general(rows: &[AccessRow]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::access_rows(rows)
            .write(crate::output::Format::Table, &mut out)
            .unwrap_or_default();
        out
    }

    fn fast(rows: &[AccessRow]) -> Vec<u8> {
        let mut out = Vec::new();
        write(rows, &mut out).unwrap_or_default();
        out
    }

    #[test]
    fn the_access_table_is_laid_out_as_any_table() {
        let cases: Vec<Vec<AccessRow>> = vec![
            vec![],
            vec![row("arn:aws:iam::111122223333:user/a", None, &[])],
            vec![
                row("arn:aws:iam::111122223333:user/a", None, &[]),
                row(
                    "arn:aws:iam::111122223333:role/ünïcode",
                    Some("{\"StringEquals\":{\"aws:PrincipalTag/team\":\"x\"}}"),
                    &[("arn:aws:organizations::o:policy/scp", Some("{}"))],
                ),
                row(
                    "arn:aws:iam::111122223333:user/b",
                    Some("ends in spaces  "),
                    &[("p1", None), ("p2", Some("c2 \u{3000}"))],
                ),
                row(
                    "arn:aws:iam::111122223333:user/c",
                    Some("é"),
                    &[("p1", None)],
                ),
            ],
        ];
        for rows in &cases {
            assert_eq!(
                String::from_utf8_lossy(&fast(rows)),
                String::from_utf8_lossy(&general(rows))
            );
        }
        // Many rows, laid out on two threads, sharing strings as a question's rows do.
        let shared = row(
            "arn:aws:iam::111122223333:user/shared",
            Some("c"),
            &[("p", None)],
        );
        let many: Vec<AccessRow> = (0..crate::PARALLEL_WRITE + 5)
            .map(|i| match i % 3 {
                0 => shared.clone(),
                1 => row(&format!("arn:aws:iam::111122223333:user/u{i}"), None, &[]),
                _ => row("x", Some(&"w".repeat(i % 97)), &[("q", Some("ü"))]),
            })
            .collect();
        assert_eq!(fast(&many), general(&many));
    }
}
