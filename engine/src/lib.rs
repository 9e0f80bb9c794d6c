//! iamlog-engine owns the cloud-neutral core of iamlog: typed interned ids, the fact store
//! ([`Facts`]) with one `Vec` per input relation, the derived relations ([`Derived`]), the
//! relation schema table, the canonical sorted text form used by goldens, and the `.dl` rule
//! language (lexer, parser with spans).
//!
//! It must not know IAM semantics (those live in `rules/core/*.dl`), must not read user files,
//! and prints nothing: callers decide what to show.

pub mod canonical;
pub mod dl;
pub mod ids;
pub mod schema;

pub use ids::{
    ActionId, ConditionId, Interner, PolicyId, PrincipalId, ResourceId, ScopeId, StatementId, Sym,
    SymbolId,
};
pub use schema::{ColumnType, Derived, Facts, RelationKind, RelationSchema, SCHEMA};
