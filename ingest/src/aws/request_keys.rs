//! Which request-context keys a request's answer may read, so that requests whose contexts
//! differ only in keys their answers do not read can be decided in one run.
//!
//! The facts builder reads a request context in exactly two ways (see `facts.rs`): the value of a
//! condition key or policy variable (`Builder::lookup`), and the role session name
//! ([`SESSION_NAME_KEY`], for `aws:userid` and for matching session ARNs in resource policies).
//! A condition key or variable is read only when a statement that carries it is evaluated. For a
//! request by source `s`, the statements evaluated are those of `s`'s identity policies (its own
//! and its groups'), its permissions boundary and its session policy, and those of policies that
//! are not a principal's own: SCPs, RCPs, resource-based policies and role trust policies.
//! [`RequestKeys`] over-approximates: every key any of those statements names, whatever its
//! Effect or Action, plus the session name.
//!
//! Two requests by different sources may then share a run when their contexts agree on every key
//! both may read (a key only one may read is taken from that one's context): each request sees
//! exactly the values its own context gives for every key it reads, and absence where its context
//! gives none, so its answer is the one its own run would give.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::SESSION_NAME_KEY;
use super::model::AwsOrg;
use super::policy::{PolicyDocument, ResourceBlock};
use super::variables;

/// The keys (lowercased) each request's answer may read, by source.
#[derive(Debug)]
pub struct RequestKeys {
    /// Keys of the policies that are not a principal's own, and the session name.
    shared: BTreeSet<String>,
    /// Keys of each principal's own documents (identity policies, boundary, session policy)
    /// that are not in `shared`, sorted.
    own: BTreeMap<String, Vec<String>>,
}

/// Adds every key `doc` names to `out`: each condition key, and every variable in condition
/// keys, condition values and Resource / NotResource entries (whether or not the document's
/// version enables variables: a superset is safe).
fn document_keys(doc: &PolicyDocument, out: &mut BTreeSet<String>) {
    for st in &doc.statements {
        let resources = match &st.resource {
            Some(ResourceBlock::Resource(v)) | Some(ResourceBlock::NotResource(v)) => v.as_slice(),
            None => &[],
        };
        for clause in &st.condition {
            out.insert(clause.key.to_ascii_lowercase());
        }
        let texts = resources.iter().chain(
            st.condition
                .iter()
                .flat_map(|c| std::iter::once(&c.key).chain(c.values.iter())),
        );
        for t in texts.filter(|t| variables::has_variables(t)) {
            for k in variables::referenced_keys(t) {
                out.insert(k.to_ascii_lowercase());
            }
        }
    }
}

impl RequestKeys {
    pub fn new(org: &AwsOrg) -> Self {
        let mut shared = BTreeSet::from([SESSION_NAME_KEY.to_string()]);
        for p in org.organization.policies.values() {
            if let Some(doc) = &p.document {
                document_keys(doc, &mut shared);
            }
        }
        for rp in org.resource_policies.policies.values() {
            document_keys(&rp.document, &mut shared);
        }
        for p in org.principals.values() {
            if let Some(doc) = &p.trust_policy {
                document_keys(doc, &mut shared);
            }
        }
        let mut own = BTreeMap::new();
        for p in org.principals.values() {
            let mut keys = BTreeSet::new();
            let ids = org
                .identity_policies(p)
                .chain(p.boundary.as_deref())
                .chain(org.session_policies.get(&p.arn).map(String::as_str));
            for id in ids {
                if let Some(pol) = org.policies.get(id) {
                    document_keys(&pol.document, &mut keys);
                }
            }
            let keys: Vec<String> = keys.difference(&shared).cloned().collect();
            own.insert(p.arn.clone(), keys);
        }
        RequestKeys { shared, own }
    }

    /// The keys every request's answer may read.
    pub fn shared(&self) -> &BTreeSet<String> {
        &self.shared
    }

    /// The keys only requests by `source` (a principal ARN as questions name it) may read, besides
    /// [`RequestKeys::shared`]: none for a source with no documents of its own.
    pub fn own(&self, source: &str) -> &[String] {
        self.own.get(source).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy::parse_policy_text;

    fn doc(json: &str) -> PolicyDocument {
        parse_policy_text(json, "").expect("test policy")
    }

    #[test]
    fn document_keys_names_condition_keys_and_variables() {
        let d = doc(r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"StringEquals": {"aws:RequestTag/Team": "${aws:PrincipalTag/team}"},
                           "Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::${s3:prefix}"}
        ]}"#);
        let mut keys = BTreeSet::new();
        document_keys(&d, &mut keys);
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "aws:principaltag/team",
                "aws:requesttag/team",
                "aws:securetransport",
                "aws:username",
                "s3:prefix"
            ]
        );
    }
}
