//! The syntax tree of `.dl` programs. Every node keeps the [`Span`] it was parsed from;
//! [`Program::clear_spans`] erases them so trees can be compared modulo positions.

use super::error::Span;

/// A parsed program: one or more files, their items in order.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Program {
    /// File names, indexed by [`FileId`](super::error::FileId).
    pub files: Vec<String>,
    pub items: Vec<Item>,
}

/// One top-level item.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Item {
    /// `//` comment lines not attached to the item after them (a blank line follows them).
    Comment(CommentBlock),
    /// `.type Name <: symbol`
    Type(TypeDecl),
    /// `.decl name(col: Type, ...)`
    Decl(Decl),
    /// `.input name` / `.output name`
    Io(IoDirective),
    /// A rule, or a fact (a rule with an empty body).
    Rule(Rule),
}

/// Consecutive `//` comment lines standing on their own.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CommentBlock {
    /// The text of each line after `//` and one optional space, trailing whitespace trimmed.
    pub lines: Vec<String>,
    pub span: Span,
}

/// A name with its position.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `.type Name <: base`
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TypeDecl {
    /// The `//` lines directly above.
    pub comments: Vec<String>,
    pub name: Ident,
    /// The supertype: `symbol`, `number`, or another declared type.
    pub base: Ident,
    pub span: Span,
}

/// `.decl name(col: Type, ...)`
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Decl {
    /// The `//` lines directly above.
    pub comments: Vec<String>,
    pub name: Ident,
    pub columns: Vec<Column>,
    pub span: Span,
}

/// One column of a declaration, `name: Type`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Column {
    pub name: Ident,
    pub ty: Ident,
    pub span: Span,
}

/// Whether a relation is read from facts or written as a result.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum IoKind {
    Input,
    Output,
}

impl IoKind {
    /// The directive keyword, `input` or `output`.
    pub fn keyword(self) -> &'static str {
        match self {
            IoKind::Input => "input",
            IoKind::Output => "output",
        }
    }
}

/// `.input a, b` or `.output a`
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IoDirective {
    /// The `//` lines directly above.
    pub comments: Vec<String>,
    pub kind: IoKind,
    pub relations: Vec<Ident>,
    pub span: Span,
}

/// `head :- body.`, or the fact `head.` when `body` is empty.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rule {
    /// The `//` lines directly above, including annotations such as `@id AWS001`.
    pub comments: Vec<String>,
    pub head: Atom,
    pub body: Vec<Literal>,
    pub span: Span,
}

impl Rule {
    /// True for a fact: a rule without body.
    pub fn is_fact(&self) -> bool {
        self.body.is_empty()
    }

    /// The `@key value` annotations in the rule's comments, in order.
    pub fn annotations(&self) -> Vec<(&str, &str)> {
        annotations(&self.comments)
    }
}

/// The `@key value` annotations in comment lines (`// @id AWS001` gives `("id", "AWS001")`).
pub fn annotations(comments: &[String]) -> Vec<(&str, &str)> {
    comments
        .iter()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('@')?;
            let (key, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            (!key.is_empty()).then_some((key, value.trim()))
        })
        .collect()
}

/// `name(arg, ...)` naming a relation.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Atom {
    pub name: Ident,
    pub args: Vec<Term>,
    pub span: Span,
}

/// One conjunct of a rule body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Literal {
    /// A positive atom.
    Atom(Atom),
    /// `!atom`; `span` includes the `!`.
    Negated { atom: Atom, span: Span },
    /// `left op right`
    Constraint(Constraint),
    /// A builtin predicate such as `match("s3:*", a)` or `contains("x", s)`.
    Call(Call),
}

impl Literal {
    /// The literal's span.
    pub fn span(&self) -> Span {
        match self {
            Literal::Atom(a) => a.span,
            Literal::Negated { span, .. } => *span,
            Literal::Constraint(c) => c.span,
            Literal::Call(c) => c.span,
        }
    }
}

/// A comparison `left op right`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Constraint {
    pub op: CmpOp,
    pub left: Term,
    pub right: Term,
    pub span: Span,
}

/// Comparison operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator as written in `.dl`.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// Arithmetic operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl ArithOp {
    /// The operator as written in `.dl`.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }

    /// Binding strength: `*`, `/`, `%` bind tighter than `+`, `-`.
    pub fn precedence(self) -> u8 {
        match self {
            ArithOp::Add | ArithOp::Sub => 1,
            ArithOp::Mul | ArithOp::Div | ArithOp::Rem => 2,
        }
    }
}

/// A function or builtin predicate call `name(arg, ...)`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Term>,
    pub span: Span,
}

/// A term: an argument of an atom, call or comparison.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Term {
    Var(Ident),
    /// `_`
    Wildcard(Span),
    /// A string constant, escapes decoded.
    Str {
        value: String,
        span: Span,
    },
    /// An integer constant.
    Num {
        value: i64,
        span: Span,
    },
    /// `-operand` (other than a literal number, which is folded into [`Term::Num`]).
    Neg {
        operand: Box<Term>,
        span: Span,
    },
    /// `left op right`
    Binary {
        op: ArithOp,
        left: Box<Term>,
        right: Box<Term>,
        span: Span,
    },
    /// A builtin function call such as `strlen(x)` or `cat(a, b)`.
    Call(Call),
    /// `count : { body }`, `sum x : { body }`, ...
    Aggregate(Box<Aggregate>),
}

impl Term {
    /// The term's span.
    pub fn span(&self) -> Span {
        match self {
            Term::Var(v) => v.span,
            Term::Wildcard(span)
            | Term::Str { span, .. }
            | Term::Num { span, .. }
            | Term::Neg { span, .. }
            | Term::Binary { span, .. } => *span,
            Term::Call(c) => c.span,
            Term::Aggregate(a) => a.span,
        }
    }

    /// The variables of the term, outside aggregates (whose bodies have their own scope), in
    /// order of appearance.
    pub fn vars<'a>(&'a self, out: &mut Vec<&'a Ident>) {
        match self {
            Term::Var(v) => out.push(v),
            Term::Wildcard(_) | Term::Str { .. } | Term::Num { .. } | Term::Aggregate(_) => {}
            Term::Neg { operand, .. } => operand.vars(out),
            Term::Binary { left, right, .. } => {
                left.vars(out);
                right.vars(out);
            }
            Term::Call(c) => c.args.iter().for_each(|a| a.vars(out)),
        }
    }
}

/// An aggregate's function.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Mean,
}

impl AggKind {
    /// The keyword as written in `.dl`.
    pub fn keyword(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Mean => "mean",
        }
    }

    /// The aggregate named by `keyword`.
    pub fn from_keyword(keyword: &str) -> Option<AggKind> {
        match keyword {
            "count" => Some(AggKind::Count),
            "sum" => Some(AggKind::Sum),
            "min" => Some(AggKind::Min),
            "max" => Some(AggKind::Max),
            "mean" => Some(AggKind::Mean),
            _ => None,
        }
    }
}

/// `kind target : { body }`; `target` is `None` exactly for `count`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Aggregate {
    pub kind: AggKind,
    pub target: Option<Term>,
    pub body: Vec<Literal>,
    pub span: Span,
}

impl Item {
    /// The item's span.
    pub fn span(&self) -> Span {
        match self {
            Item::Comment(c) => c.span,
            Item::Type(t) => t.span,
            Item::Decl(d) => d.span,
            Item::Io(io) => io.span,
            Item::Rule(r) => r.span,
        }
    }
}

impl Program {
    /// The name of file `file`, or `""` when out of range.
    pub fn file_name(&self, file: super::error::FileId) -> &str {
        self.files.get(file.0 as usize).map_or("", String::as_str)
    }

    /// Appends `other`'s files and items, renumbering its file ids after this program's.
    pub fn append(&mut self, mut other: Program) {
        let offset = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        if offset > 0 {
            visit_spans(&mut other, &mut |span| {
                span.file.0 = span.file.0.saturating_add(offset)
            });
        }
        self.files.append(&mut other.files);
        self.items.append(&mut other.items);
    }

    /// Sets every span to the default, so that trees parsed from differently laid out text
    /// compare equal.
    pub fn clear_spans(&mut self) {
        visit_spans(self, &mut |span| *span = Span::default());
    }

    /// The rules and facts, in order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.items.iter().filter_map(|i| match i {
            Item::Rule(r) => Some(r),
            _ => None,
        })
    }

    /// The relation declarations, in order.
    pub fn decls(&self) -> impl Iterator<Item = &Decl> {
        self.items.iter().filter_map(|i| match i {
            Item::Decl(d) => Some(d),
            _ => None,
        })
    }

    /// The relations named by `.input` (`IoKind::Input`) or `.output` directives, in order.
    pub fn io_relations(&self, kind: IoKind) -> impl Iterator<Item = &Ident> {
        self.items
            .iter()
            .filter_map(move |i| match i {
                Item::Io(io) if io.kind == kind => Some(io.relations.iter()),
                _ => None,
            })
            .flatten()
    }
}

fn visit_spans(program: &mut Program, f: &mut dyn FnMut(&mut Span)) {
    for item in &mut program.items {
        match item {
            Item::Comment(c) => f(&mut c.span),
            Item::Type(t) => {
                f(&mut t.span);
                f(&mut t.name.span);
                f(&mut t.base.span);
            }
            Item::Decl(d) => {
                f(&mut d.span);
                f(&mut d.name.span);
                for c in &mut d.columns {
                    f(&mut c.span);
                    f(&mut c.name.span);
                    f(&mut c.ty.span);
                }
            }
            Item::Io(io) => {
                f(&mut io.span);
                io.relations.iter_mut().for_each(|r| f(&mut r.span));
            }
            Item::Rule(r) => {
                f(&mut r.span);
                atom_spans(&mut r.head, f);
                r.body.iter_mut().for_each(|l| literal_spans(l, f));
            }
        }
    }
}

fn atom_spans(atom: &mut Atom, f: &mut dyn FnMut(&mut Span)) {
    f(&mut atom.span);
    f(&mut atom.name.span);
    atom.args.iter_mut().for_each(|t| term_spans(t, f));
}

fn call_spans(call: &mut Call, f: &mut dyn FnMut(&mut Span)) {
    f(&mut call.span);
    f(&mut call.name.span);
    call.args.iter_mut().for_each(|t| term_spans(t, f));
}

fn literal_spans(literal: &mut Literal, f: &mut dyn FnMut(&mut Span)) {
    match literal {
        Literal::Atom(a) => atom_spans(a, f),
        Literal::Negated { atom, span } => {
            f(span);
            atom_spans(atom, f);
        }
        Literal::Constraint(c) => {
            f(&mut c.span);
            term_spans(&mut c.left, f);
            term_spans(&mut c.right, f);
        }
        Literal::Call(c) => call_spans(c, f),
    }
}

fn term_spans(term: &mut Term, f: &mut dyn FnMut(&mut Span)) {
    match term {
        Term::Var(v) => f(&mut v.span),
        Term::Wildcard(span) | Term::Str { span, .. } | Term::Num { span, .. } => f(span),
        Term::Neg { operand, span } => {
            f(span);
            term_spans(operand, f);
        }
        Term::Binary {
            left, right, span, ..
        } => {
            f(span);
            term_spans(left, f);
            term_spans(right, f);
        }
        Term::Call(c) => call_spans(c, f),
        Term::Aggregate(a) => {
            f(&mut a.span);
            if let Some(t) = &mut a.target {
                term_spans(t, f);
            }
            a.body.iter_mut().for_each(|l| literal_spans(l, f));
        }
    }
}
