//! The `.dl` rule language: a Soufflé-compatible subset. See `docs/rules.md`.
//!
//! - [`parse`] / [`parse_files`]: a `logos` lexer and a recursive-descent parser that keeps byte
//!   [`Span`]s on every node, never panics, and reports the first error as a [`DlError`].
//! - [`ast`]: the syntax tree; [`print()`] prints it back so that parsing the output gives the same
//!   tree up to spans.
//! - [`check()`]: names, arities, types declared, range restriction; [`check_against_schema`]
//!   compares declarations with the engine's relation schema.
//! - [`compile_to_ascent`]: Rust source of an `ascent!` program for the subset the core rules
//!   use (the `rules` crate's build script calls it; the engine itself does not depend on
//!   ascent).
//! - [`evaluate`] ([`eval`]): a semi-naive interpreter with stratified negation for the whole
//!   language, under run [`Limits`]; [`strata`] computes the evaluation order.
//!
//! The language: `.type T <: symbol`, `.decl r(col: T, ...)`, `.input r`, `.output r`, rules
//! `head(x, y) :- a(x, z), !b(z, _), x != y.`, facts `r("a", 1).`, terms (variables, `_`,
//! strings with JSON escapes, integers, `+ - * / %`, builtin calls such as `cat(a, b)`),
//! comparisons `= != < <= > >=`, builtin predicates `match(p, s)` / `contains(a, s)`, and
//! aggregates `n = count : { r(x, _) }` / `sum x : { ... }`. Unlike Soufflé, `match` takes a
//! glob (`*` any run of characters, `?` one character, case-sensitive), not a regex. `//` comment lines directly above
//! an item are kept with it (annotations such as `// @id AWS001` included).

pub mod ascent;
pub mod ast;
pub mod check;
pub mod error;
pub mod eval;
mod lexer;
pub mod parser;
pub mod printer;
pub mod strata;

pub use ascent::{compile_to_ascent, AscentOptions};
pub use ast::{
    AggKind, Aggregate, ArithOp, Atom, Call, CmpOp, Column, CommentBlock, Constraint, Decl, Ident,
    IoDirective, IoKind, Item, Literal, Program, Rule, Term, TypeDecl,
};
pub use check::{check, check_against_schema};
pub use error::{codes, DlError, FileId, Location, Span};
pub use eval::{evaluate, Database, EvalStats, Limits, Value};
pub use parser::{parse, parse_files};
pub use printer::print;

#[cfg(test)]
mod tests;
