//! What `iamlog ingest` derives from an org once and keeps in its snapshot, so that questions
//! asked of the snapshot do not derive it again (DESIGN.md §5: a snapshot holds the ingested
//! and the derived facts).
//!
//! The derivation itself runs in the CLI (it puts questions to the core rules); this crate
//! only holds and stores the result. An org read from exports has nothing derived: the
//! questions then derive what they need as they go, with the same answers.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What a snapshot keeps besides the org.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Derived {
    /// Every `can_assume` edge of the org (rule C1, static context), by caller in ARN order,
    /// then by role; `None` when not derived.
    pub assume_edges: Option<Vec<Arc<AssumeEdge>>>,
}

/// One role-assumption edge: `from` may call `sts:AssumeRole` on `to`, and what decides it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssumeEdge {
    pub from: String,
    pub to: String,
    /// `None` when unconditional; else the residual condition (e.g. on `sts:ExternalId`) or
    /// `(limited: see caveats)`.
    pub condition: Option<String>,
    /// The identity policies that grant the caller `sts:AssumeRole` on the role: (policy,
    /// granter). Empty when the trust policy alone allows it (same account, naming the caller).
    pub identity: Vec<(String, String)>,
    /// The trust-policy statements that allow the caller.
    pub trust: Vec<String>,
    /// What limits a conditional edge: (policy, condition), e.g. the trust policy's
    /// condition on `sts:ExternalId`.
    pub caveats: Vec<(Arc<str>, Option<Arc<str>>)>,
}
