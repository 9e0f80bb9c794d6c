//! iamlog-ingest turns cloud exports into [`iamlog_engine::Facts`]. One module per cloud.
//!
//! Pattern matching (action and resource wildcards against the catalogue and inventory) and
//! condition evaluation happen here, in Rust, so that the core rules stay plain Datalog. This
//! crate never evaluates rules and prints nothing; problems come back as values (errors naming
//! the file and JSON location, warnings for harmless oddities).

pub mod aws;
pub mod derived;
pub mod error;
pub mod json;
pub mod org;
pub mod snapshot;

pub use error::{IngestError, Warning};
pub use org::{load, LoadedOrg};
