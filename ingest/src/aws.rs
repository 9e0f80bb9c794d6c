//! AWS: IAM exports (`get-account-authorization-details`), policy documents, the action
//! catalogue, wildcard matching and condition evaluation.

pub mod catalogue;
pub mod condition;
pub mod facts;
pub mod gaad;
pub mod glob;
pub mod model;
pub mod organizations;
pub mod policy;
pub mod profiles;
pub mod request_keys;
pub mod resource_policies;
pub mod tagging;
pub mod variables;
