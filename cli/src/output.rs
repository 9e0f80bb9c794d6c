//! Printing rows as a table, JSON, JSON lines or CSV.

use std::io::{self, Write};

use serde_json::{Map, Value};

/// Output format of row-printing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Jsonl,
    Csv,
}

/// A column: its header (upper-cased in tables, the key in JSON).
pub struct Column {
    pub name: &'static str,
}

/// Rows of cells; each cell has a text form (table, CSV) and a JSON form.
pub struct Rows {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<(String, Value)>>,
}

impl Rows {
    pub fn new(columns: &[&'static str]) -> Self {
        Rows {
            columns: columns.iter().map(|c| Column { name: c }).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<(String, Value)>) {
        self.rows.push(row);
    }

    fn object(&self, row: &[(String, Value)]) -> Value {
        let mut m = Map::new();
        for (col, (_, v)) in self.columns.iter().zip(row) {
            m.insert(col.name.to_string(), v.clone());
        }
        Value::Object(m)
    }

    /// Writes every row in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Json => {
                let all: Vec<Value> = self.rows.iter().map(|r| self.object(r)).collect();
                serde_json::to_writer_pretty(&mut *out, &all)?;
                writeln!(out)
            }
            Format::Jsonl => {
                for r in &self.rows {
                    serde_json::to_writer(&mut *out, &self.object(r))?;
                    writeln!(out)?;
                }
                Ok(())
            }
            Format::Csv => {
                let header: Vec<String> = self.columns.iter().map(|c| csv_cell(c.name)).collect();
                writeln!(out, "{}", header.join(","))?;
                for r in &self.rows {
                    let cells: Vec<String> = r.iter().map(|(t, _)| csv_cell(t)).collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
                Ok(())
            }
            Format::Table => {
                let mut widths: Vec<usize> = self.columns.iter().map(|c| c.name.len()).collect();
                for r in &self.rows {
                    for (w, (t, _)) in widths.iter_mut().zip(r) {
                        *w = (*w).max(t.chars().count());
                    }
                }
                let line = |cells: Vec<&str>| -> String {
                    let mut s = String::new();
                    for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
                        if i + 1 == cells.len() {
                            s.push_str(c);
                        } else {
                            s.push_str(c);
                            s.push_str(&" ".repeat(w.saturating_sub(c.chars().count()) + 2));
                        }
                    }
                    s.trim_end().to_string()
                };
                let upper: Vec<String> =
                    self.columns.iter().map(|c| c.name.to_uppercase()).collect();
                writeln!(out, "{}", line(upper.iter().map(String::as_str).collect()))?;
                for r in &self.rows {
                    writeln!(out, "{}", line(r.iter().map(|(t, _)| t.as_str()).collect()))?;
                }
                Ok(())
            }
        }
    }
}

/// Quotes a CSV cell when it needs it (RFC 4180).
pub fn csv_cell(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    csv_cell_into(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

/// [`csv_cell`], appended to `buf`.
pub fn csv_cell_into(buf: &mut Vec<u8>, s: &str) {
    // (Byte scans with `memchr`: the four are ASCII. A large org's `who-can` writes 31 MB of
    // cells, most of them conditions in JSON, full of quotes: scanning them char by char took
    // most of the time of writing.)
    let bytes = s.as_bytes();
    let quoted = memchr::memchr3(b',', b'"', b'\n', bytes).is_some()
        || memchr::memchr(b'\r', bytes).is_some();
    if !quoted {
        buf.extend_from_slice(bytes);
        return;
    }
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut from = 0;
    for at in memchr::memchr_iter(b'"', bytes) {
        // Each quote doubled.
        buf.extend_from_slice(&bytes[from..=at]);
        buf.push(b'"');
        from = at + 1;
    }
    buf.extend_from_slice(&bytes[from..]);
    buf.push(b'"');
}

/// A text cell whose JSON form is the same string.
pub fn text(s: &str) -> (String, Value) {
    (s.to_string(), Value::String(s.to_string()))
}

/// An optional text cell: `-` in text, `null` in JSON.
pub fn opt_text(s: Option<&str>) -> (String, Value) {
    match s {
        Some(s) => text(s),
        None => ("-".to_string(), Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_when_they_hold_a_comma_quote_or_line_break() {
        assert_eq!(csv_cell("arn:aws:s3:::b/k"), "arn:aws:s3:::b/k");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("\""), "\"\"\"\"");
        assert_eq!(csv_cell("x\ny"), "\"x\ny\"");
        assert_eq!(csv_cell("x\ry"), "\"x\ry\"");
        assert_eq!(csv_cell("é,\"ü\""), "\"é,\"\"ü\"\"\"");
        let mut buf = b"a,".to_vec();
        csv_cell_into(&mut buf, "b\"c");
        assert_eq!(buf, b"a,\"b\"\"c\"");
    }
}
