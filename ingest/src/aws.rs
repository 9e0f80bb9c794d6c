//! AWS: IAM exports (`get-account-authorization-details`), policy documents, the action
//! catalogue, wildcard matching and condition evaluation.

pub mod catalogue;
pub mod policy;
pub mod glob;
pub mod condition;
pub mod variables;
pub mod facts;
pub mod gaad;
pub mod model;
pub mod tagging;
