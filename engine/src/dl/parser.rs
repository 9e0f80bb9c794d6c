//! The recursive-descent parser. It stops at the first error, never panics, and bounds its
//! recursion depth so that no input can overflow the stack.
//!
//! Comment handling: `//` lines directly above an item (no blank line between) are attached to
//! it; other `//` blocks become [`Item::Comment`]; `//` comments after code on the same line,
//! comments inside an item, and `/* */` comments are dropped.

use super::ast::{
    AggKind, Aggregate, ArithOp, Atom, Call, CmpOp, Column, CommentBlock, Constraint, Decl, Ident,
    IoDirective, IoKind, Item, Literal, Program, Rule, Term, TypeDecl,
};
use super::error::{closest, codes, DlError, FileId, Span};
use super::lexer::{lex, Tok, Token};

/// Builtin predicates: in literal position `name(args)` with one of these names is a
/// [`Literal::Call`], not an atom. (Soufflé reserves these names as keywords.)
pub const BUILTIN_PREDICATES: &[&str] = &["match", "contains"];

/// The directives this subset takes.
const DIRECTIVES: &[&str] = &["type", "decl", "input", "output"];

/// Soufflé directives this subset deliberately does not take.
const SOUFFLE_ONLY_DIRECTIVES: &[&str] = &[
    "printsize",
    "limitsize",
    "functor",
    "comp",
    "init",
    "pragma",
    "plan",
    "override",
    "number_type",
    "symbol_type",
    "include",
    "once",
];

/// Soufflé relation qualifiers (`.decl r(x: T) eqrel`), not taken by this subset.
const QUALIFIERS: &[&str] = &[
    "btree",
    "btree_delete",
    "brie",
    "eqrel",
    "inline",
    "no_inline",
    "magic",
    "no_magic",
    "overridable",
    "choice",
];

/// How deeply terms and literals may nest.
const MAX_DEPTH: usize = 64;

type Result<T> = std::result::Result<T, DlError>;

/// Parses one file. Spans use file id 0; `file_name` names the file in errors.
pub fn parse(source: &str, file_name: &str) -> Result<Program> {
    let items = Parser::new(source, file_name, FileId(0)).parse_items()?;
    Ok(Program {
        files: vec![file_name.to_owned()],
        items,
    })
}

/// Parses several files, given as `(file name, source)` pairs, into one program whose file
/// ids follow the order given.
pub fn parse_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Program> {
    let mut program = Program::default();
    for (name, source) in files {
        let id = FileId(u32::try_from(program.files.len()).unwrap_or(u32::MAX));
        let items = Parser::new(source, name, id).parse_items()?;
        program.files.push(name.to_owned());
        program.items.extend(items);
    }
    Ok(program)
}

struct Parser<'s> {
    source: &'s str,
    file: FileId,
    file_name: &'s str,
    /// Every token but comments.
    tokens: Vec<Token>,
    /// `//` comments that start their line, as byte ranges.
    comments: Vec<(usize, usize)>,
    next_comment: usize,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str, file_name: &'s str, file: FileId) -> Parser<'s> {
        let mut tokens = Vec::new();
        let mut comments = Vec::new();
        let mut last_end: Option<usize> = None;
        for token in lex(source) {
            match token.kind {
                Ok(Tok::LineComment) => {
                    let trailing = last_end
                        .is_some_and(|e| !source.get(e..token.start).unwrap_or("").contains('\n'));
                    if !trailing {
                        comments.push((token.start, token.end));
                    }
                }
                Ok(Tok::BlockComment(true)) => {}
                _ => tokens.push(token),
            }
            last_end = Some(token.end);
        }
        Parser {
            source,
            file,
            file_name,
            tokens,
            comments,
            next_comment: 0,
            pos: 0,
            depth: 0,
        }
    }

    // ---- tokens ----

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn text(&self, start: usize, end: usize) -> &'s str {
        self.source.get(start..end).unwrap_or("")
    }

    fn error(&self, code: &'static str, message: impl Into<String>, span: Span) -> DlError {
        DlError::new(code, message)
            .with_span(span)
            .with_file(self.file_name)
    }

    /// The current token's kind, or the lexical error it stands for.
    fn peek(&self) -> Result<Option<Tok>> {
        let Some(token) = self.tokens.get(self.pos) else {
            return Ok(None);
        };
        let span = self.span(token.start, token.end);
        match token.kind {
            Err(()) => {
                let c = self
                    .source
                    .get(token.start..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                Err(self
                    .error(
                        codes::UNEXPECTED_CHARACTER,
                        format!("unexpected character `{}`", c.escape_debug()),
                        span,
                    )
                    .with_label("not part of any token"))
            }
            Ok(Tok::BlockComment(false)) => Err(self
                .error(
                    codes::UNTERMINATED_COMMENT,
                    "unterminated block comment",
                    span,
                )
                .with_label("this comment is never closed")
                .with_help("close it with `*/`")),
            Ok(Tok::Str(false)) => Err(self
                .error(codes::UNTERMINATED_STRING, "unterminated string", span)
                .with_label("this string is not closed on its line")
                .with_help("add the closing `\"`; write a newline inside a string as `\\n`")),
            Ok(kind) => Ok(Some(kind)),
        }
    }

    /// The kind of the token `n` places ahead, `None` past the end or for a lexical error.
    fn peek_nth(&self, n: usize) -> Option<Tok> {
        self.tokens.get(self.pos + n).and_then(|t| t.kind.ok())
    }

    fn at(&self, kind: Tok) -> Result<bool> {
        Ok(self.peek()? == Some(kind))
    }

    /// Consumes the current token. Callers peek first.
    fn bump(&mut self) -> Token {
        let token = self.tokens.get(self.pos).copied().unwrap_or(Token {
            kind: Err(()),
            start: self.source.len(),
            end: self.source.len(),
        });
        self.pos += 1;
        token
    }

    fn eat(&mut self, kind: Tok) -> Result<Option<Span>> {
        if self.at(kind)? {
            let t = self.bump();
            Ok(Some(self.span(t.start, t.end)))
        } else {
            Ok(None)
        }
    }

    fn expect(&mut self, kind: Tok, expected: &str) -> Result<Span> {
        match self.eat(kind)? {
            Some(span) => Ok(span),
            None => Err(self.unexpected(expected)),
        }
    }

    /// "expected X, found Y" at the current token.
    fn unexpected(&self, expected: &str) -> DlError {
        if let Err(e) = self.peek() {
            return e;
        }
        let (found, span) = match self.tokens.get(self.pos) {
            Some(t) => (self.describe(t), self.span(t.start, t.end)),
            None => (
                "end of file".to_owned(),
                self.span(self.source.len(), self.source.len()),
            ),
        };
        self.error(
            codes::UNEXPECTED_TOKEN,
            format!("expected {expected}, found {found}"),
            span,
        )
        .with_label(format!("expected {expected}"))
    }

    fn describe(&self, token: &Token) -> String {
        let text = self.text(token.start, token.end);
        match token.kind {
            Ok(Tok::Ident) => format!("identifier `{text}`"),
            Ok(Tok::Number) => format!("number `{text}`"),
            Ok(Tok::Str(_)) => "a string".to_owned(),
            _ => format!("`{text}`"),
        }
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            let span = match self.tokens.get(self.pos) {
                Some(t) => self.span(t.start, t.end),
                None => self.span(self.source.len(), self.source.len()),
            };
            return Err(self
                .error(
                    codes::NESTING_TOO_DEEP,
                    "expression nested too deeply",
                    span,
                )
                .with_label(format!("more than {MAX_DEPTH} levels deep"))
                .with_help("split the rule into smaller rules"));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ---- comments ----

    fn comment_text(&self, (start, end): (usize, usize)) -> String {
        let text = self.text(start + 2, end);
        let text = text.strip_prefix(' ').unwrap_or(text);
        text.trim_end().to_owned()
    }

    /// True when only whitespace with exactly one line break lies between `a` and `b`.
    fn next_line(&self, a: usize, b: usize) -> bool {
        let gap = self.text(a, b);
        gap.chars().all(char::is_whitespace) && gap.matches('\n').count() == 1
    }

    /// Takes the comments that start before `limit`: the block directly above an item starting
    /// at `limit` is returned (when `item_follows`), the others are pushed as comment items.
    fn take_comments(
        &mut self,
        limit: usize,
        item_follows: bool,
        items: &mut Vec<Item>,
    ) -> Vec<String> {
        let mut blocks: Vec<Vec<(usize, usize)>> = Vec::new();
        while let Some(&comment) = self.comments.get(self.next_comment) {
            if comment.0 >= limit {
                break;
            }
            self.next_comment += 1;
            match blocks.last_mut() {
                Some(block)
                    if block
                        .last()
                        .is_some_and(|last| self.next_line(last.1, comment.0)) =>
                {
                    block.push(comment)
                }
                _ => blocks.push(vec![comment]),
            }
        }
        let attached = if item_follows
            && blocks
                .last()
                .and_then(|b| b.last())
                .is_some_and(|last| self.next_line(last.1, limit))
        {
            blocks.pop().unwrap_or_default()
        } else {
            Vec::new()
        };
        for block in blocks {
            let (Some(first), Some(last)) = (block.first(), block.last()) else {
                continue;
            };
            items.push(Item::Comment(CommentBlock {
                lines: block.iter().map(|&c| self.comment_text(c)).collect(),
                span: self.span(first.0, last.1),
            }));
        }
        attached.into_iter().map(|c| self.comment_text(c)).collect()
    }

    // ---- items ----

    fn parse_items(mut self) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        while let Some(token) = self.tokens.get(self.pos).copied() {
            let comments = self.take_comments(token.start, true, &mut items);
            let item = self.parse_item(comments)?;
            items.push(item);
        }
        self.take_comments(self.source.len(), false, &mut items);
        Ok(items)
    }

    fn parse_item(&mut self, comments: Vec<String>) -> Result<Item> {
        match self.peek()? {
            Some(Tok::Dot) => self.parse_directive(comments),
            Some(Tok::Ident) => self.parse_rule(comments).map(Item::Rule),
            _ => Err(self.unexpected("a rule or a directive")),
        }
    }

    fn parse_ident(&mut self, expected: &str) -> Result<Ident> {
        if self.at(Tok::Ident)? {
            let t = self.bump();
            Ok(Ident {
                name: self.text(t.start, t.end).to_owned(),
                span: self.span(t.start, t.end),
            })
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn parse_directive(&mut self, comments: Vec<String>) -> Result<Item> {
        let dot = self.bump();
        let adjacent = self
            .tokens
            .get(self.pos)
            .is_some_and(|t| t.kind == Ok(Tok::Ident) && t.start == dot.end);
        if !adjacent {
            return Err(self.unexpected("a directive name right after `.` (such as `.decl`)"));
        }
        let name = self.parse_ident("a directive name")?;
        let start = dot.start;
        match name.name.as_str() {
            "type" => self.parse_type(start, comments),
            "decl" => self.parse_decl(start, comments),
            "input" => self.parse_io(start, IoKind::Input, comments),
            "output" => self.parse_io(start, IoKind::Output, comments),
            other => {
                let span = self.span(start, name.span.end);
                let mut err = self
                    .error(
                        codes::UNKNOWN_DIRECTIVE,
                        format!("unknown directive `.{other}`"),
                        span,
                    )
                    .with_label("not supported");
                err = if SOUFFLE_ONLY_DIRECTIVES.contains(&other) {
                    err.with_help("iamlog supports only `.type`, `.decl`, `.input` and `.output`")
                } else if let Some(s) = closest(other, DIRECTIVES.iter().copied()) {
                    err.with_help(format!("did you mean `.{s}`?"))
                } else {
                    err.with_help("the directives are `.type`, `.decl`, `.input` and `.output`")
                };
                Err(err)
            }
        }
    }

    fn parse_type(&mut self, start: usize, comments: Vec<String>) -> Result<Item> {
        let name = self.parse_ident("a type name")?;
        if let Some(eq) = self.eat(Tok::Eq)? {
            return Err(self
                .error(
                    codes::UNSUPPORTED_SYNTAX,
                    "type aliases, unions and records are not supported",
                    eq,
                )
                .with_label("expected `<:`")
                .with_help(format!(
                    "declare a subtype: `.type {} <: symbol`",
                    name.name
                )));
        }
        self.expect(Tok::Subtype, "`<:`")?;
        let base = self.parse_ident("a base type such as `symbol`")?;
        let span = self.span(start, base.span.end);
        Ok(Item::Type(TypeDecl {
            comments,
            name,
            base,
            span,
        }))
    }

    fn parse_decl(&mut self, start: usize, comments: Vec<String>) -> Result<Item> {
        let name = self.parse_ident("a relation name")?;
        self.expect(Tok::LParen, "`(`")?;
        let mut columns = Vec::new();
        if !self.at(Tok::RParen)? {
            loop {
                let col = self.parse_ident("a column name")?;
                self.expect(Tok::Colon, "`:`")?;
                let ty = self.parse_ident("a column type")?;
                let span = col.span.to(ty.span);
                columns.push(Column {
                    name: col,
                    ty,
                    span,
                });
                if self.eat(Tok::Comma)?.is_none() {
                    break;
                }
            }
        }
        let close = self.expect(Tok::RParen, "`,` or `)`")?;
        if let Some(t) = self.tokens.get(self.pos).copied() {
            let text = self.text(t.start, t.end);
            if t.kind == Ok(Tok::Ident)
                && QUALIFIERS.contains(&text)
                && self.peek_nth(1) != Some(Tok::LParen)
            {
                return Err(self
                    .error(
                        codes::UNSUPPORTED_SYNTAX,
                        format!("relation qualifier `{text}` is not supported"),
                        self.span(t.start, t.end),
                    )
                    .with_label("qualifier")
                    .with_help("remove it: the engine chooses how relations are stored"));
            }
        }
        Ok(Item::Decl(Decl {
            comments,
            name,
            columns,
            span: self.span(start, close.end),
        }))
    }

    fn parse_io(&mut self, start: usize, kind: IoKind, comments: Vec<String>) -> Result<Item> {
        let mut relations = vec![self.parse_ident("a relation name")?];
        while self.eat(Tok::Comma)?.is_some() {
            relations.push(self.parse_ident("a relation name")?);
        }
        if let Some(paren) = self.eat(Tok::LParen)? {
            return Err(self
                .error(
                    codes::UNSUPPORTED_SYNTAX,
                    "I/O parameters are not supported",
                    paren,
                )
                .with_label("parameters start here")
                .with_help(
                    "iamlog reads `.input` relations from ingested facts and returns `.output` \
                     relations to the caller; remove the parameters",
                ));
        }
        let end = relations.last().map_or(start, |r| r.span.end);
        Ok(Item::Io(IoDirective {
            comments,
            kind,
            relations,
            span: self.span(start, end),
        }))
    }

    fn parse_rule(&mut self, comments: Vec<String>) -> Result<Rule> {
        let head = self.parse_atom()?;
        match self.peek()? {
            Some(Tok::Dot) => {
                let dot = self.bump();
                let span = self.span(head.span.start, dot.end);
                Ok(Rule {
                    comments,
                    head,
                    body: Vec::new(),
                    span,
                })
            }
            Some(Tok::If) => {
                self.bump();
                let body = self.parse_body()?;
                let dot = self.expect(Tok::Dot, "`,` or `.`")?;
                let span = self.span(head.span.start, dot.end);
                Ok(Rule {
                    comments,
                    head,
                    body,
                    span,
                })
            }
            Some(Tok::Comma) => {
                let comma = self.bump();
                Err(self
                    .error(
                        codes::MULTIPLE_HEADS,
                        "rules with several heads are not supported",
                        self.span(comma.start, comma.end),
                    )
                    .with_label("a second head follows")
                    .with_help("write one rule per head"))
            }
            _ => Err(self.unexpected("`:-` or `.` after the rule head")),
        }
    }

    fn parse_atom(&mut self) -> Result<Atom> {
        let name = self.parse_ident("a relation name")?;
        self.expect(Tok::LParen, "`(`")?;
        let args = self.parse_args()?;
        let close = self.expect(Tok::RParen, "`,` or `)`")?;
        let span = name.span.to(close);
        Ok(Atom { name, args, span })
    }

    /// Comma-separated terms up to (not including) a `)`.
    fn parse_args(&mut self) -> Result<Vec<Term>> {
        let mut args = Vec::new();
        if self.at(Tok::RParen)? {
            return Ok(args);
        }
        loop {
            args.push(self.parse_term()?);
            if self.eat(Tok::Comma)?.is_none() {
                return Ok(args);
            }
        }
    }

    fn parse_body(&mut self) -> Result<Vec<Literal>> {
        let mut body = vec![self.parse_literal()?];
        loop {
            match self.peek()? {
                Some(Tok::Comma) => {
                    self.bump();
                    body.push(self.parse_literal()?);
                }
                Some(Tok::Semi) => {
                    let semi = self.bump();
                    return Err(self
                        .error(
                            codes::DISJUNCTION,
                            "disjunction `;` is not supported",
                            self.span(semi.start, semi.end),
                        )
                        .with_label("disjunction")
                        .with_help("write one rule per alternative"));
                }
                _ => return Ok(body),
            }
        }
    }

    fn parse_literal(&mut self) -> Result<Literal> {
        self.nested(|p| {
            if let Some(bang) = p.eat(Tok::Bang)? {
                if p.at(Tok::Ident)? && p.peek_nth(1) == Some(Tok::LParen) {
                    let atom = p.parse_atom()?;
                    let span = bang.to(atom.span);
                    return Ok(Literal::Negated { atom, span });
                }
                return Err(p
                    .error(codes::NEGATED_NON_ATOM, "only atoms can be negated", bang)
                    .with_label("negation")
                    .with_help(
                        "negate a relation atom such as `!member_of(p, g)`; for a comparison, \
                         use the opposite operator",
                    ));
            }
            let left = p.parse_term()?;
            if let Some(op) = p.peek()?.and_then(cmp_op) {
                p.bump();
                let right = p.parse_term()?;
                let span = left.span().to(right.span());
                return Ok(Literal::Constraint(Constraint {
                    op,
                    left,
                    right,
                    span,
                }));
            }
            match left {
                Term::Call(call) if BUILTIN_PREDICATES.contains(&call.name.name.as_str()) => {
                    Ok(Literal::Call(call))
                }
                Term::Call(call) => Ok(Literal::Atom(Atom {
                    name: call.name,
                    args: call.args,
                    span: call.span,
                })),
                Term::Var(v) => Err(p
                    .unexpected("`(` or a comparison operator")
                    .with_help(format!("an atom has parentheses: `{}(...)`", v.name))),
                _ => Err(p.unexpected("a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`)")),
            }
        })
    }

    // ---- terms ----

    fn parse_term(&mut self) -> Result<Term> {
        let mut left = self.parse_product()?;
        loop {
            let op = match self.peek()? {
                Some(Tok::Plus) => ArithOp::Add,
                Some(Tok::Minus) => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.parse_product()?;
            let span = left.span().to(right.span());
            left = Term::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
    }

    fn parse_product(&mut self) -> Result<Term> {
        let mut left = self.parse_unary()?;
        loop {
            let op = match self.peek()? {
                Some(Tok::Star) => ArithOp::Mul,
                Some(Tok::Slash) => ArithOp::Div,
                Some(Tok::Percent) => ArithOp::Rem,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.parse_unary()?;
            let span = left.span().to(right.span());
            left = Term::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
    }

    fn parse_unary(&mut self) -> Result<Term> {
        self.nested(|p| {
            let Some(minus) = p.eat(Tok::Minus)? else {
                return p.parse_primary();
            };
            if p.at(Tok::Number)? {
                let t = p.bump();
                return p.number(t, Some(minus.start));
            }
            let operand = p.parse_unary()?;
            let span = minus.to(operand.span());
            Ok(Term::Neg {
                operand: Box::new(operand),
                span,
            })
        })
    }

    fn parse_primary(&mut self) -> Result<Term> {
        match self.peek()? {
            Some(Tok::Ident) => {
                let kind = self
                    .tokens
                    .get(self.pos)
                    .and_then(|t| AggKind::from_keyword(self.text(t.start, t.end)));
                if let Some(kind) = kind {
                    if self.aggregate_ahead() {
                        return self.parse_aggregate(kind);
                    }
                }
                let name = self.parse_ident("a term")?;
                if self.eat(Tok::LParen)?.is_none() {
                    return Ok(Term::Var(name));
                }
                let args = self.parse_args()?;
                let close = self.expect(Tok::RParen, "`,` or `)`")?;
                let span = name.span.to(close);
                Ok(Term::Call(Call { name, args, span }))
            }
            Some(Tok::Underscore) => {
                let t = self.bump();
                Ok(Term::Wildcard(self.span(t.start, t.end)))
            }
            Some(Tok::Str(_)) => {
                let t = self.bump();
                let value = self.string_value(t)?;
                Ok(Term::Str {
                    value,
                    span: self.span(t.start, t.end),
                })
            }
            Some(Tok::Number) => {
                let t = self.bump();
                self.number(t, None)
            }
            Some(Tok::LParen) => {
                self.bump();
                let term = self.parse_term()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(term)
            }
            _ => Err(self.unexpected("a term (a variable, `_`, a string, a number or a call)")),
        }
    }

    /// Whether the aggregate keyword at the current token starts an aggregate: a `:` follows at
    /// nesting depth 0 before anything that ends a term.
    fn aggregate_ahead(&self) -> bool {
        let mut depth = 0usize;
        for token in self.tokens.iter().skip(self.pos + 1) {
            match token.kind {
                Ok(Tok::LParen | Tok::LBrace) => depth += 1,
                Ok(Tok::RParen | Tok::RBrace) => {
                    if depth == 0 {
                        return false;
                    }
                    depth -= 1;
                }
                Ok(Tok::Colon) if depth == 0 => return true,
                Ok(
                    Tok::Comma
                    | Tok::Dot
                    | Tok::Semi
                    | Tok::If
                    | Tok::Eq
                    | Tok::Ne
                    | Tok::Lt
                    | Tok::Le
                    | Tok::Gt
                    | Tok::Ge,
                ) if depth == 0 => return false,
                Err(()) | Ok(Tok::BlockComment(false) | Tok::Str(false)) => return false,
                _ => {}
            }
        }
        false
    }

    fn parse_aggregate(&mut self, kind: AggKind) -> Result<Term> {
        let keyword = self.bump();
        let target = match kind {
            AggKind::Count => None,
            _ => Some(self.parse_term()?),
        };
        self.expect(Tok::Colon, "`:`")?;
        let (body, end) = if self.eat(Tok::LBrace)?.is_some() {
            let body = self.parse_body()?;
            let close = self.expect(Tok::RBrace, "`,` or `}`")?;
            (body, close.end)
        } else if self.at(Tok::Ident)? {
            let atom = self.parse_atom()?;
            let end = atom.span.end;
            (vec![Literal::Atom(atom)], end)
        } else {
            return Err(self.unexpected("`{` or an atom after the aggregate's `:`"));
        };
        Ok(Term::Aggregate(Box::new(Aggregate {
            kind,
            target,
            body,
            span: self.span(keyword.start, end),
        })))
    }

    /// The number token `t`, negated when `minus` (the offset of a `-` before it) is given.
    fn number(&self, t: Token, minus: Option<usize>) -> Result<Term> {
        let digits = self.text(t.start, t.end);
        let start = minus.unwrap_or(t.start);
        let span = self.span(start, t.end);
        let magnitude = digits.bytes().try_fold(0i128, |acc, b| {
            acc.checked_mul(10)?
                .checked_add(i128::from(b.wrapping_sub(b'0')))
        });
        let value = magnitude
            .map(|m| if minus.is_some() { -m } else { m })
            .and_then(|v| i64::try_from(v).ok());
        match value {
            Some(value) => Ok(Term::Num { value, span }),
            None => Err(self
                .error(
                    codes::INTEGER_OUT_OF_RANGE,
                    format!(
                        "integer `{}` does not fit in 64 bits",
                        self.text(start, t.end)
                    ),
                    span,
                )
                .with_label("out of range")
                .with_help(format!(
                    "integers are signed 64-bit, from {} to {}",
                    i64::MIN,
                    i64::MAX
                ))),
        }
    }

    /// Decodes the JSON-style escapes of a terminated string token.
    fn string_value(&self, t: Token) -> Result<String> {
        let inner_start = t.start + 1;
        let inner = self.text(inner_start, t.end.saturating_sub(1));
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape_start = inner_start + i;
            let bad = |end: usize| {
                self.error(
                    codes::INVALID_ESCAPE,
                    format!(
                        "invalid escape `{}` in string",
                        self.text(escape_start, end).escape_debug()
                    ),
                    self.span(escape_start, end),
                )
                .with_label("invalid escape")
                .with_help(
                    "strings use JSON escapes: `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, \
                     `\\t`, `\\uXXXX`",
                )
            };
            let Some((j, e)) = chars.next() else {
                return Err(bad(inner_start + inner.len()));
            };
            let after = inner_start + j + e.len_utf8();
            let decoded = match e {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let (high, end) =
                        hex4(&mut chars, inner_start, after).ok_or_else(|| bad(after))?;
                    let code = if (0xD800..0xDC00).contains(&high) {
                        // A high surrogate must be followed by `\u` and a low surrogate.
                        let pair = (chars.next(), chars.next());
                        let (Some((_, '\\')), Some((k, 'u'))) = pair else {
                            return Err(bad(end));
                        };
                        let (low, end) = hex4(&mut chars, inner_start, inner_start + k + 1)
                            .ok_or_else(|| bad(end))?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return Err(bad(end));
                        }
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        high
                    };
                    match char::from_u32(code) {
                        Some(c) => c,
                        None => return Err(bad(end)),
                    }
                }
                _ => return Err(bad(after)),
            };
            out.push(decoded);
        }
        Ok(out)
    }
}

/// Reads four hex digits; returns the value and the offset after them.
fn hex4(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    inner_start: usize,
    mut end: usize,
) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for _ in 0..4 {
        let (i, c) = chars.next()?;
        end = inner_start + i + c.len_utf8();
        value = value * 16 + c.to_digit(16)?;
    }
    Some((value, end))
}

fn cmp_op(kind: Tok) -> Option<CmpOp> {
    match kind {
        Tok::Eq => Some(CmpOp::Eq),
        Tok::Ne => Some(CmpOp::Ne),
        Tok::Lt => Some(CmpOp::Lt),
        Tok::Le => Some(CmpOp::Le),
        Tok::Gt => Some(CmpOp::Gt),
        Tok::Ge => Some(CmpOp::Ge),
        _ => None,
    }
}
