//! Source positions and the `.dl` error type.
//!
//! Every error carries a stable code (listed in [`codes`]), the file and byte span it is about,
//! a short label for the underlined text and, where the fix is obvious, a help line.
//! [`DlError::render`] prints it the way rustc does.

use std::fmt::Write as _;

/// Index of a source file within a [`Program`](super::ast::Program)'s file table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The span `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering `self` and `other` (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The 1-based line and column (in characters) where the span starts in `source`.
    pub fn location(&self, source: &str) -> Location {
        Location::of(source, self.start)
    }
}

/// A 1-based line and column (counted in characters) in a source text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `source`. Offsets past the end, or inside a multi-byte
    /// character, are clamped to the nearest preceding character boundary.
    pub fn of(source: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(source, offset);
        let before = source.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location { line, column }
    }
}

/// `line:column`, as in `file.dl:3:14`.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while offset > 0 && !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The stable error codes. A code is never reused for a different error.
pub mod codes {
    /// A character that starts no token.
    pub const UNEXPECTED_CHARACTER: &str = "E0001";
    /// A string literal without its closing quote on the same line.
    pub const UNTERMINATED_STRING: &str = "E0002";
    /// A backslash escape that is not a JSON escape.
    pub const INVALID_ESCAPE: &str = "E0003";
    /// A `/*` comment without `*/`.
    pub const UNTERMINATED_COMMENT: &str = "E0004";
    /// An integer literal outside the signed 64-bit range.
    pub const INTEGER_OUT_OF_RANGE: &str = "E0005";
    /// A token where the grammar expects something else.
    pub const UNEXPECTED_TOKEN: &str = "E0010";
    /// A directive other than `.type`, `.decl`, `.input`, `.output`.
    pub const UNKNOWN_DIRECTIVE: &str = "E0011";
    /// Disjunction `;` in a rule body.
    pub const DISJUNCTION: &str = "E0012";
    /// A Soufflé feature this subset does not take (type unions, I/O parameters, qualifiers).
    pub const UNSUPPORTED_SYNTAX: &str = "E0013";
    /// A rule with several heads.
    pub const MULTIPLE_HEADS: &str = "E0015";
    /// A negation of something other than an atom.
    pub const NEGATED_NON_ATOM: &str = "E0016";
    /// Terms or bodies nested deeper than the parser allows.
    pub const NESTING_TOO_DEEP: &str = "E0017";

    /// A rule, directive or aggregate names a relation that is not declared.
    pub const UNKNOWN_RELATION: &str = "E0100";
    /// An atom's argument count differs from its relation's declaration.
    pub const ARITY_MISMATCH: &str = "E0101";
    /// A head variable that no positive body atom binds.
    pub const UNBOUND_HEAD_VARIABLE: &str = "E0102";
    /// A variable in a negated atom that no positive body atom binds.
    pub const UNBOUND_NEGATED_VARIABLE: &str = "E0103";
    /// A column or `.type` base naming a type that is not declared.
    pub const UNKNOWN_TYPE: &str = "E0104";
    /// A relation or type declared twice.
    pub const DUPLICATE_DECLARATION: &str = "E0105";
    /// A variable in a constraint, function call or arithmetic term that nothing binds.
    pub const UNBOUND_VARIABLE: &str = "E0107";
    /// `_` in a rule head.
    pub const WILDCARD_IN_HEAD: &str = "E0108";
    /// A function or predicate that is not a builtin.
    pub const UNKNOWN_FUNCTION: &str = "E0109";
    /// A builtin called with the wrong number of arguments.
    pub const FUNCTION_ARITY: &str = "E0110";
    /// A variable used in columns of incompatible declared types (say `Principal` and
    /// `Action`), or a constant in a column of the wrong kind (a string in a `number` column).
    pub const COLUMN_TYPE_MISMATCH: &str = "E0111";
    /// A relation that depends on itself through a negation or an aggregate: the program
    /// cannot be stratified.
    pub const UNSTRATIFIABLE: &str = "E0112";

    /// Warning: a named variable that appears only once in its rule (usually a typo; write `_`).
    pub const SINGLETON_VARIABLE: &str = "W0001";

    /// A construct the ascent code generator cannot translate.
    pub const ASCENT_UNSUPPORTED: &str = "E0200";
    /// A column type with no Rust id type.
    pub const ASCENT_COLUMN_TYPE: &str = "E0201";

    /// Evaluation stopped: the database reached [`Limits::max_facts`](crate::dl::eval::Limits).
    pub const FACT_LIMIT: &str = "E0400";
    /// Evaluation stopped: it ran longer than [`Limits::max_time`](crate::dl::eval::Limits).
    pub const TIME_LIMIT: &str = "E0401";
    /// The database holds a relation with a different arity than the program declares.
    pub const DATABASE_ARITY: &str = "E0402";
    /// A rule the interpreter cannot order so that every variable is bound before use.
    pub const UNPLANNABLE_RULE: &str = "E0403";

    /// A declared relation that is not in the engine schema.
    pub const NOT_IN_SCHEMA: &str = "E0300";
    /// A declaration whose columns differ from the engine schema.
    pub const SCHEMA_MISMATCH: &str = "E0301";
    /// `.input` / `.output` disagreeing with the engine schema's relation kind.
    pub const SCHEMA_KIND_MISMATCH: &str = "E0302";
    /// An engine schema relation that the rules do not declare.
    pub const MISSING_FROM_RULES: &str = "E0303";
}

/// An error in `.dl` source: parse, check, code generation or schema agreement.
///
/// Boxed, so that `Result<_, DlError>` stays one pointer wide on the happy path.
/// A [`DlError`] with [`DlError::is_warning`] is a warning: it is reported but does not stop
/// compilation or evaluation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}[{}]: {}", .0.severity(), .0.code, .0.message)]
pub struct DlError(Box<Details>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    warning: bool,
    code: &'static str,
    message: String,
    span: Option<Span>,
    label: Option<String>,
    help: Option<String>,
    file: Option<String>,
    /// A second place the error is about (in the same file), with its label.
    secondary: Option<(Span, String)>,
}

impl Details {
    fn severity(&self) -> &'static str {
        if self.warning {
            "warning"
        } else {
            "error"
        }
    }
}

impl DlError {
    /// A new error with a stable `code` (see [`codes`]) and a lowercase `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> DlError {
        DlError(Box::new(Details {
            warning: false,
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            file: None,
            secondary: None,
        }))
    }

    /// A new warning with a stable `code` (`W....`, see [`codes`]) and a lowercase `message`.
    pub fn warning(code: &'static str, message: impl Into<String>) -> DlError {
        let mut w = DlError::new(code, message);
        w.0.warning = true;
        w
    }

    /// True for a warning, which callers report without failing.
    pub fn is_warning(&self) -> bool {
        self.0.warning
    }

    /// `"warning"` or `"error"`, as rendered before the code.
    pub fn severity(&self) -> &'static str {
        self.0.severity()
    }

    /// Sets the span the error is about.
    pub fn with_span(mut self, span: Span) -> DlError {
        self.0.span = Some(span);
        self
    }

    /// Sets the label printed under the span.
    pub fn with_label(mut self, label: impl Into<String>) -> DlError {
        self.0.label = Some(label.into());
        self
    }

    /// Sets a second place the error is about (in the same file as the main span), with a
    /// label; rendered as a `= note:` line.
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> DlError {
        self.0.secondary = Some((span, label.into()));
        self
    }

    /// The second place the error is about, with its label.
    pub fn secondary(&self) -> Option<(Span, &str)> {
        self.0.secondary.as_ref().map(|(s, l)| (*s, l.as_str()))
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> DlError {
        self.0.help = Some(help.into());
        self
    }

    /// Sets the name of the file the span is in.
    pub fn with_file(mut self, file: impl Into<String>) -> DlError {
        self.0.file = Some(file.into());
        self
    }

    /// The stable error code, e.g. `E0100`.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The span the error is about, if it is about a place in a file.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// The label under the span.
    pub fn label(&self) -> Option<&str> {
        self.0.label.as_deref()
    }

    /// The help line.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The file the span is in.
    pub fn file(&self) -> Option<&str> {
        self.0.file.as_deref()
    }

    /// The text the span covers in `source` (empty when there is no span).
    pub fn snippet<'s>(&self, source: &'s str) -> &'s str {
        self.0
            .span
            .and_then(|s| source.get(s.start..s.end))
            .unwrap_or("")
    }

    /// Renders the error like rustc: `file:line:col: error[CODE]: message` (`warning[CODE]`
    /// for a warning), the source line,
    /// a caret line under the span with the label, and `= help: ...`. `source` is the text of
    /// the error's file.
    pub fn render(&self, source: &str) -> String {
        let mut out = String::new();
        let d = &*self.0;
        let Some(span) = d.span else {
            if let Some(file) = &d.file {
                let _ = write!(out, "{file}: ");
            }
            let _ = writeln!(out, "{}[{}]: {}", d.severity(), d.code, d.message);
            if let Some(help) = &d.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        let loc = span.location(source);
        let file = self.0.file.as_deref().unwrap_or("<input>");
        let _ = writeln!(
            out,
            "{file}:{}:{}: {}[{}]: {}",
            loc.line,
            loc.column,
            d.severity(),
            d.code,
            d.message
        );

        let start = floor_char_boundary(source, span.start);
        let line_start = source
            .get(..start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1);
        let line_end = source
            .get(line_start..)
            .and_then(|s| s.find('\n'))
            .map_or(source.len(), |i| line_start + i);
        let line_text = source.get(line_start..line_end).unwrap_or("");
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let end =
            floor_char_boundary(source, span.end.max(start)).min(line_start + line_text.len());
        let before = source.get(line_start..start).unwrap_or("");
        let under = source.get(start..end.max(start)).unwrap_or("");

        let gutter = loc.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{} | {}", loc.line, expand_tabs(line_text));
        let carets = display_width(under).max(1);
        let _ = write!(
            out,
            "{pad} | {}{}",
            " ".repeat(display_width(before)),
            "^".repeat(carets)
        );
        if let Some(label) = &d.label {
            let _ = write!(out, " {label}");
        }
        out.push('\n');
        if let Some((second, label)) = &d.secondary {
            let at = second.location(source);
            let text = source.get(second.start..second.end).unwrap_or("");
            let _ = writeln!(out, "{pad} = note: {label}: `{text}` at {at}");
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo
/// (at most one edit for short names, a third of the length for longer ones). Ties go to the
/// first candidate.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let d = edit_distance(name, candidate);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, &cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let cost = usize::from(ca != cb);
            let value = (diagonal + cost).min(above + 1).min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

fn expand_tabs(s: &str) -> String {
    s.replace('\t', "    ")
}

fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let src = "ab\nçd e\n";
        assert_eq!(Location::of(src, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(src, 3), Location { line: 2, column: 1 });
        // `ç` takes two bytes, one column: `e` is byte 7, column 4.
        assert_eq!(Location::of(src, 7), Location { line: 2, column: 4 });
        assert_eq!(Location::of(src, 4), Location { line: 2, column: 1 });
        assert_eq!(Location::of(src, 999), Location { line: 3, column: 1 });
        assert_eq!(Span::new(FileId(0), 7, 8).location(src).to_string(), "2:4");
    }

    #[test]
    fn render_points_at_the_span() {
        let src = "a(x) :- b(x).\nc(x) :- membr_of(x).\n";
        let start = src.find("membr_of").unwrap_or(0);
        let err = DlError::new(codes::UNKNOWN_RELATION, "unknown relation `membr_of`")
            .with_span(Span::new(FileId(0), start, start + 8))
            .with_label("not declared")
            .with_help("did you mean `member_of`?")
            .with_file("core/x.dl");
        let text = err.render(src);
        let expected = "core/x.dl:2:9: error[E0100]: unknown relation `membr_of`\n  |\n2 | c(x) :- membr_of(x).\n  |         ^^^^^^^^ not declared\n  |\n  = help: did you mean `member_of`?\n";
        assert_eq!(text, expected);
        assert_eq!(err.snippet(src), "membr_of");
    }

    #[test]
    fn closest_finds_typos_only() {
        let names = ["member_of", "member_of_direct", "scope_ancestor"];
        assert_eq!(closest("membr_of", names), Some("member_of"));
        assert_eq!(closest("member_off", names), Some("member_of"));
        assert_eq!(closest("scope_ancestors", names), Some("scope_ancestor"));
        assert_eq!(closest("policy", names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn render_at_end_of_file_and_without_span() {
        let src = "a(x)";
        let err = DlError::new(codes::UNEXPECTED_TOKEN, "expected `.`, found end of file")
            .with_span(Span::new(FileId(0), 4, 4));
        let text = err.render(src);
        assert!(text.starts_with("<input>:1:5: error[E0010]"), "{text}");
        assert!(text.contains("  |     ^\n"), "{text}");
        let err = DlError::new(codes::MISSING_FROM_RULES, "missing").with_help("add it");
        assert_eq!(err.render(""), "error[E0303]: missing\n  = help: add it\n");
    }
}
