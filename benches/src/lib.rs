//! Synthetic org generator and benchmark helpers.
//!
//! [`generate`] builds a deterministic AWS org of a [`Size`] from a seed (see [`synth`]);
//! [`write`] writes it in the layout of real exports (`input/aws/<account>-iam.json`,
//! `input/aws/tags.json`); [`generate_to`] does both and writes the multi-account sizes
//! streaming. The `iamlog-synth` binary wraps it; the criterion benches in
//! `benches/benches/` run iamlog over the committed orgs.

pub mod rng;
pub mod synth;

pub use synth::{generate, generate_to, write, GeneratedOrg, Size, Stats, SynthError, Written};
