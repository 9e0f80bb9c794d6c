//! AWS: IAM exports (`get-account-authorization-details`), policy documents, the action
//! catalogue, wildcard matching and condition evaluation.

pub mod catalogue;
