//! iamlog-rules holds the IAM semantics as plain Datalog (`rules/core/*.dl`), compiled at build
//! time into an `ascent` program by `build.rs` with the engine's own `.dl` parser.
//!
//! [`run_core`] evaluates the core rules over ingested [`Facts`](iamlog_engine::Facts);
//! [`core_sources`] gives the same rule files as text, for the interpreter and for docs. This
//! crate does no I/O and knows nothing about cloud export formats (that is `ingest`'s job).

/// The ascent program generated from `rules/core/*.dl` (see `build.rs`).
mod core_program {
    include!(concat!(env!("OUT_DIR"), "/core_program.rs"));
}

#[doc(hidden)]
pub mod small_index;

mod sources {
    include!(concat!(env!("OUT_DIR"), "/core_sources.rs"));
}

mod packs {
    include!(concat!(env!("OUT_DIR"), "/pack_sources.rs"));
}

#[cfg(test)]
mod codegen_cases;

pub use core_program::run_core;

/// The core rule files as `(file name, text)`, in file-name order: the exact text `run_core`
/// was compiled from.
pub fn core_sources() -> &'static [(&'static str, &'static str)] {
    sources::CORE_SOURCES
}

/// The bundled detection packs (`rules/packs/**`: rule files, their tests and expectations) as
/// `(path under rules/packs, text)`, in path order. They run in the engine's interpreter.
pub fn pack_sources() -> &'static [(&'static str, &'static str)] {
    packs::PACK_SOURCES
}
