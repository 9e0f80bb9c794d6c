//! The pretty-printer: `parse(print(p))` equals `p` up to spans.
//!
//! Layout: one item per line; attached comments directly above their item, with a blank line
//! before them; standalone comment blocks between blank lines. Terms get the fewest
//! parentheses that keep their structure.

use std::fmt::{self, Display, Formatter, Write as _};

use super::ast::{
    Aggregate, Atom, Call, Constraint, Decl, IoDirective, Item, Literal, Program, Rule, Term,
    TypeDecl,
};
use crate::canonical::quote;

/// Prints a whole program.
pub fn print(program: &Program) -> String {
    let mut out = String::new();
    let mut after_comment_block = false;
    for (i, item) in program.items.iter().enumerate() {
        let comments: &[String] = match item {
            Item::Comment(_) => &[],
            Item::Type(t) => &t.comments,
            Item::Decl(d) => &d.comments,
            Item::Io(io) => &io.comments,
            Item::Rule(r) => &r.comments,
        };
        let standalone = matches!(item, Item::Comment(_));
        if i > 0 && !after_comment_block && (standalone || !comments.is_empty()) {
            out.push('\n');
        }
        write_comments(&mut out, comments);
        match item {
            Item::Comment(block) => {
                write_comments(&mut out, &block.lines);
                out.push('\n');
            }
            Item::Type(t) => {
                let _ = writeln!(out, "{t}");
            }
            Item::Decl(d) => {
                let _ = writeln!(out, "{d}");
            }
            Item::Io(io) => {
                let _ = writeln!(out, "{io}");
            }
            Item::Rule(r) => {
                let _ = writeln!(out, "{r}");
            }
        }
        after_comment_block = standalone;
    }
    out
}

fn write_comments(out: &mut String, lines: &[String]) {
    for line in lines {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            let _ = writeln!(out, "// {line}");
        }
    }
}

fn comma_separated<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for TypeDecl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, ".type {} <: {}", self.name.name, self.base.name)
    }
}

impl Display for Decl {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, ".decl {}(", self.name.name)?;
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {}", c.name.name, c.ty.name)?;
        }
        f.write_str(")")
    }
}

impl Display for IoDirective {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, ".{} ", self.kind.keyword())?;
        for (i, r) in self.relations.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&r.name)?;
        }
        Ok(())
    }
}

/// A rule on one line, without its comments.
impl Display for Rule {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.head)?;
        if !self.body.is_empty() {
            f.write_str(" :- ")?;
            comma_separated(f, &self.body)?;
        }
        f.write_str(".")
    }
}

impl Display for Atom {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name.name)?;
        comma_separated(f, &self.args)?;
        f.write_str(")")
    }
}

impl Display for Call {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name.name)?;
        comma_separated(f, &self.args)?;
        f.write_str(")")
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Atom(a) => write!(f, "{a}"),
            Literal::Negated { atom, .. } => write!(f, "!{atom}"),
            Literal::Constraint(c) => write!(f, "{c}"),
            Literal::Call(c) => write!(f, "{c}"),
        }
    }
}

impl Display for Constraint {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op.symbol(), self.right)
    }
}

impl Display for Aggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.keyword())?;
        if let Some(target) = &self.target {
            write!(f, " {target}")?;
        }
        f.write_str(" : { ")?;
        comma_separated(f, &self.body)?;
        f.write_str(" }")
    }
}

/// Binding strength of a term as an operand: primaries and negation bind tightest.
fn precedence(term: &Term) -> u8 {
    match term {
        Term::Binary { op, .. } => op.precedence(),
        Term::Neg { .. } => 3,
        _ => 4,
    }
}

fn operand(f: &mut Formatter<'_>, term: &Term, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({term})")
    } else {
        write!(f, "{term}")
    }
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Term::Var(v) => f.write_str(&v.name),
            Term::Wildcard(_) => f.write_str("_"),
            Term::Str { value, .. } => f.write_str(&quote(value)),
            Term::Num { value, .. } => write!(f, "{value}"),
            Term::Neg { operand: inner, .. } => {
                f.write_str("-")?;
                // `-5` would read back as the number -5, so a negated number keeps parentheses.
                let parens = precedence(inner) < 3 || matches!(**inner, Term::Num { .. });
                operand(f, inner, parens)
            }
            Term::Binary {
                op, left, right, ..
            } => {
                operand(f, left, precedence(left) < op.precedence())?;
                write!(f, " {} ", op.symbol())?;
                // Operators associate to the left: an equal-strength right operand needs
                // parentheses.
                operand(f, right, precedence(right) <= op.precedence())
            }
            Term::Call(c) => write!(f, "{c}"),
            Term::Aggregate(a) => write!(f, "{a}"),
        }
    }
}
