//! iamlog-rules holds the IAM semantics as plain Datalog (`rules/core/*.dl`), compiled at build
//! time into an `ascent` program by `build.rs` with the engine's own `.dl` parser.
