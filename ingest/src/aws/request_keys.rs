//! Which request-context keys a request's answer may read, so that requests whose contexts
//! differ only in keys their answers do not read can be decided in one run.
//!
//! The facts builder reads a request context in exactly two ways (see `facts.rs`): the value of a
//! condition key or policy variable (`Builder::lookup`), and the role session name
//! ([`SESSION_NAME_KEY`], for `aws:userid` and for matching session ARNs in resource policies).
//! A condition key or variable is read only when a statement that carries it is evaluated, and
//! a statement bears on a request only when its Action / NotAction touches the request's action
//! (the builder does not plan the others, and the rules join a statement's condition with a
//! point only through the statement's own actions). For a request by source `s`, the statements
//! that may bear on it are those of `s`'s identity policies (its own and its groups'), its
//! permissions boundary and its session policy, and those of policies that are not a
//! principal's own: SCPs, RCPs, resource-based policies and role trust policies.
//! [`RequestKeys::keys_for`] over-approximates: every key any of those statements that touches
//! the action names, whatever its Effect, plus the session name.
//!
//! Requests may then share a run when their contexts agree on every key both may read (a key
//! only one may read is taken from that one's context): each request sees exactly the values its
//! own context gives for every key it reads, and absence where its context gives none, so its
//! answer is the one its own run would give. The builder reads most keys per source and
//! destination (a condition is evaluated where the source asks, in its context there), and a
//! few per source whatever the destination ([`RequestKeys::is_per_source`]): so two requests by
//! one source must agree on the per-source keys both may read, and on the others only when they
//! name the same resource.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use super::facts::{action_block_may_touch, SESSION_NAME_KEY};
use super::model::AwsOrg;
use super::policy::{ActionBlock, PolicyDocument, ResourceBlock, Statement};
use super::variables;

/// The keys a statement names (by id), with the actions it is about.
#[derive(Debug)]
struct StatementKeys<'o> {
    action: &'o ActionBlock,
    keys: Vec<u32>,
}

/// The statements of an org that name request keys, by whose requests they may bear on.
#[derive(Debug)]
pub struct RequestKeys<'o> {
    /// Every key some statement names, lowercased, by id; id 0 is [`SESSION_NAME_KEY`].
    names: Vec<String>,
    /// By id: whether the key is read per source (see [`RequestKeys::is_per_source`]).
    per_source: Vec<bool>,
    ids: HashMap<String, u32>,
    /// Statements of the policies that are not a principal's own.
    shared: Vec<StatementKeys<'o>>,
    /// Statements of each policy that is a principal's own (identity, boundary, session), by id.
    own: HashMap<&'o str, Vec<StatementKeys<'o>>>,
    /// Each principal's own policy ids.
    policies: HashMap<&'o str, Vec<&'o str>>,
    /// The key ids of the shared statements about an action, found once per action (an org may
    /// have thousands of conditional trust statements; requests name a few actions).
    shared_for: HashMap<String, Vec<u32>>,
}

/// Every key `st` names: each condition key, and every variable in condition keys, condition
/// values and Resource / NotResource entries (whether or not the document's version enables
/// variables: a superset is safe); each with whether it is read per source (a variable of a
/// Resource / NotResource entry) rather than per source and destination.
fn statement_keys(st: &Statement) -> Vec<(String, bool)> {
    let mut out: BTreeMap<String, bool> = BTreeMap::new();
    let resources = match &st.resource {
        Some(ResourceBlock::Resource(v)) | Some(ResourceBlock::NotResource(v)) => v.as_slice(),
        None => &[],
    };
    for clause in &st.condition {
        out.insert(clause.key.to_ascii_lowercase(), false);
    }
    let conditions = st
        .condition
        .iter()
        .flat_map(|c| std::iter::once(&c.key).chain(c.values.iter()));
    let texts = resources
        .iter()
        .map(|t| (t, true))
        .chain(conditions.map(|t| (t, false)));
    for (t, per_source) in texts.filter(|(t, _)| variables::has_variables(t)) {
        for k in variables::referenced_keys(t) {
            *out.entry(k.to_ascii_lowercase()).or_default() |= per_source;
        }
    }
    out.into_iter().collect()
}

impl<'o> RequestKeys<'o> {
    /// No statements yet: only the session name, read per source.
    fn empty() -> Self {
        RequestKeys {
            names: vec![SESSION_NAME_KEY.to_string()],
            per_source: vec![true],
            ids: HashMap::from_iter([(SESSION_NAME_KEY.to_string(), 0)]),
            shared: Vec::new(),
            own: HashMap::default(),
            policies: HashMap::default(),
            shared_for: HashMap::default(),
        }
    }

    pub fn new(org: &'o AwsOrg) -> Self {
        let mut keys = RequestKeys::empty();
        let mut shared = Vec::new();
        for p in org.organization.policies.values() {
            if let Some(doc) = &p.document {
                keys.document_keys(doc, &mut shared);
            }
        }
        for rp in org.resource_policies.policies.values() {
            keys.document_keys(&rp.document, &mut shared);
        }
        for p in org.principals.values() {
            if let Some(doc) = &p.trust_policy {
                keys.document_keys(doc, &mut shared);
            }
        }
        keys.shared = shared;
        for p in org.principals.values() {
            let ids: Vec<&'o str> = org
                .identity_policies(p)
                .chain(p.boundary.as_deref())
                .chain(org.session_policies.get(&p.arn).map(String::as_str))
                .collect();
            for id in &ids {
                if let (Some(pol), false) = (org.policies.get(*id), keys.own.contains_key(id)) {
                    let mut v = Vec::new();
                    keys.document_keys(&pol.document, &mut v);
                    keys.own.insert(id, v);
                }
            }
            keys.policies.insert(p.arn.as_str(), ids);
        }
        keys
    }

    /// The statements of `doc` that name a key.
    fn document_keys(&mut self, doc: &'o PolicyDocument, out: &mut Vec<StatementKeys<'o>>) {
        for st in &doc.statements {
            let keys: Vec<u32> = statement_keys(st)
                .into_iter()
                .map(|(k, per_source)| {
                    let id = self.id(k);
                    if let Some(x) = self.per_source.get_mut(id as usize) {
                        *x |= per_source;
                    }
                    id
                })
                .collect();
            if !keys.is_empty() {
                out.push(StatementKeys {
                    action: &st.action,
                    keys,
                });
            }
        }
    }

    fn id(&mut self, key: String) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(key.clone());
        self.per_source.push(false);
        self.ids.insert(key, id);
        id
    }

    /// The name of a key id of [`RequestKeys::key_ids_for`] (lowercased).
    pub fn key_name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// Whether a request's answer reads key `id` per source, whatever the resource: the session
    /// name, and the policy variables of Resource / NotResource entries (a pattern is resolved
    /// once per source). Every other key is read per source and destination (conditions), so
    /// requests by one source on different resources may differ in it within one run.
    pub fn is_per_source(&self, id: u32) -> bool {
        self.per_source.get(id as usize).copied().unwrap_or(true)
    }

    /// The number of key ids: every id is below it.
    pub fn key_count(&self) -> usize {
        self.names.len()
    }

    /// The ids of the keys (sorted by id, distinct; see [`RequestKeys::key_name`]) the answer
    /// to a request by `source` (a principal ARN as questions name it) for `action` may read.
    pub fn key_ids_for(&mut self, source: &str, action: &str) -> Vec<u32> {
        if !self.shared_for.contains_key(action) {
            let mut ids: Vec<u32> = self
                .shared
                .iter()
                .filter(|st| action_block_may_touch(st.action, action))
                .flat_map(|st| st.keys.iter().copied())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            self.shared_for.insert(action.to_string(), ids);
        }
        let mut out: Vec<u32> = vec![0];
        out.extend(self.shared_for.get(action).into_iter().flatten());
        let own = self
            .policies
            .get(source)
            .into_iter()
            .flatten()
            .filter_map(|id| self.own.get(id))
            .flatten();
        for st in own {
            if action_block_may_touch(st.action, action) {
                out.extend(&st.keys);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The keys (lowercased, sorted) the answer to a request by `source` (a principal ARN as
    /// questions name it) for `action` may read.
    pub fn keys_for(&mut self, source: &str, action: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .key_ids_for(source, action)
            .into_iter()
            .map(|id| self.key_name(id).to_string())
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy::parse_policy_text;

    fn doc(json: &str) -> PolicyDocument {
        parse_policy_text(json, "").expect("test policy")
    }

    /// An org of one account: user `u` with an Allow of `s3:GetObject` on a prefix variable
    /// and an MFA condition, and a Deny of everything but IAM on a region; role `r`, whose
    /// trust policy requires an external id.
    fn org() -> AwsOrg {
        let gaad = r#"{
          "UserDetailList": [{"UserName": "u", "UserId": "AIDAEXAMPLEUSER000001", "Path": "/",
            "Arn": "arn:aws:iam::111122223333:user/u", "GroupList": [],
            "AttachedManagedPolicies": [],
            "UserPolicyList": [
              {"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::b/${aws:username}/*",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}},
              {"PolicyName": "region", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}}]}],
          "GroupDetailList": [],
          "RoleDetailList": [{"RoleName": "r", "RoleId": "AROAEXAMPLEROLE000001", "Path": "/",
            "Arn": "arn:aws:iam::111122223333:role/r", "AttachedManagedPolicies": [],
            "RolePolicyList": [], "InstanceProfileList": [],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
               "Action": "sts:AssumeRole",
               "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}}],
          "Policies": []
        }"#;
        crate::aws::gaad::test_org(gaad)
    }

    #[test]
    fn keys_for_reads_the_statements_about_the_action() {
        let org = org();
        let mut keys = RequestKeys::new(&org);
        let user = "arn:aws:iam::111122223333:user/u";
        // The Allow (condition key and Resource variable) and the NotAction Deny.
        assert_eq!(
            keys.keys_for(user, "s3:GetObject"),
            [
                "aws:multifactorauthpresent",
                "aws:requestedregion",
                "aws:username",
                SESSION_NAME_KEY,
            ]
        );
        // Only the NotAction Deny is about ec2; none is about iam.
        assert_eq!(
            keys.keys_for(user, "ec2:StopInstances"),
            ["aws:requestedregion", SESSION_NAME_KEY]
        );
        assert_eq!(keys.keys_for(user, "iam:CreateUser"), [SESSION_NAME_KEY]);
        // A trust policy is nobody's own: its keys are read by every caller's sts:AssumeRole,
        // the same the second time (found once per action).
        for _ in 0..2 {
            assert_eq!(
                keys.keys_for(user, "sts:AssumeRole"),
                ["aws:requestedregion", SESSION_NAME_KEY, "sts:externalid"]
            );
        }
        // A source with no documents of its own reads the shared keys only.
        assert_eq!(
            keys.keys_for("anonymous", "sts:AssumeRole"),
            [SESSION_NAME_KEY, "sts:externalid"]
        );
    }

    #[test]
    fn statement_keys_names_condition_keys_and_variables() {
        let d = doc(r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::b/${aws:username}/*",
             "Condition": {"StringEquals": {"aws:RequestTag/Team": "${aws:PrincipalTag/team}"},
                           "Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::${s3:prefix}"}
        ]}"#);
        let keys: Vec<Vec<(String, bool)>> = d
            .statements
            .iter()
            .map(statement_keys)
            .filter(|k| !k.is_empty())
            .collect();
        let key = |k: &str, per_source: bool| (k.to_string(), per_source);
        // A variable of a Resource / NotResource entry is read per source; a condition key or a
        // variable in a condition, per source and destination.
        assert_eq!(
            keys,
            [
                vec![
                    key("aws:principaltag/team", false),
                    key("aws:requesttag/team", false),
                    key("aws:securetransport", false),
                    key("aws:username", true),
                ],
                vec![key("s3:prefix", true)]
            ]
        );
    }

    #[test]
    fn a_key_is_read_per_source_when_some_resource_entry_names_it() {
        let d = doc(r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringEquals": {"aws:username": "a", "aws:SourceVpc": "v"}}},
            {"Effect": "Allow", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::b/${aws:username}/*"}
        ]}"#);
        let mut keys = RequestKeys::empty();
        let mut out = Vec::new();
        keys.document_keys(&d, &mut out);
        let per = |k: &str| keys.ids.get(k).map(|&id| keys.is_per_source(id));
        assert_eq!(per(SESSION_NAME_KEY), Some(true));
        assert_eq!(per("aws:username"), Some(true));
        assert_eq!(per("aws:sourcevpc"), Some(false));
    }
}
