//! Shared access profiles (DESIGN.md §3): users and roles whose whole-org rows are the same up
//! to their own names, so that `what-can --all` computes one of them and stamps the others.
//!
//! Two principals share a profile when everything the core rules read of them, other than
//! their ARN and name, is equal:
//!
//! - kind, account (so the SCPs and RCPs above them), whether the role is service-linked (SCPs
//!   do not apply to it), tags (`aws:PrincipalTag/*`);
//! - identity policies: the same managed policies, inline policies with equal names and equal
//!   documents, the same groups, the same permissions boundary;
//! - the outcome of every condition clause in the org on a key that names the caller
//!   (`aws:username`, `aws:userid`, `aws:PrincipalArn`), evaluated for each of them.
//!
//! A principal is never shared (it keeps a profile of its own) when:
//!
//! - a `Principal` / `NotPrincipal` entry anywhere names it (its ARN, its role name, or one of
//!   its role sessions): resource and trust policies then treat it apart from its twins;
//! - one of its own identity documents (its policies, its groups' policies, its boundary)
//!   has a policy variable of a naming key (`${aws:username}`): its grants are then written
//!   for it alone;
//! - it has a session policy.
//!
//! Sharing is off for the whole org when a resource, trust, SCP or RCP document uses such a
//! variable, or when a clause on a naming key compares it with a variable: the outcome would
//! then depend on the caller together with something else, which a per-caller signature
//! cannot capture.
//!
//! The rows of a principal that shares a profile are its representative's rows with the
//! representative's ARN replaced in three places only: the source, the id of its own inline
//! policies (`ARN#inline/NAME`), and the granter of grants from its own identity policies
//! (`stamp` in the CLI). Destinations are never rewritten: a row about the representative as a
//! resource (another role's trust naming the account) holds for every twin as written.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::aws::condition::{self, KeyValue};
use crate::aws::facts::{named_role, tag_value};
use crate::aws::model::{AwsOrg, PolicyKind, Principal, PrincipalKind};
use crate::aws::policy::{PolicyDocument, PrincipalBlock, ResourceBlock, Statement};
use crate::aws::variables;

/// The condition keys whose value names the caller itself (lowercase).
const NAMING_KEYS: &[&str] = &["aws:username", "aws:userid", "aws:principalarn"];

fn is_naming_key(key_lower: &str) -> bool {
    NAMING_KEYS.contains(&key_lower)
}

/// Whether string `s` has a `${...}` variable of a naming key.
fn has_naming_variable(s: &str) -> bool {
    variables::has_variables(s)
        && variables::referenced_keys(s)
            .iter()
            .any(|k| is_naming_key(&k.to_ascii_lowercase()))
}

/// Whether a statement has a naming variable in its resources or condition values.
fn statement_has_naming_variable(st: &Statement) -> bool {
    let resources = match &st.resource {
        Some(ResourceBlock::Resource(v)) | Some(ResourceBlock::NotResource(v)) => v.as_slice(),
        None => &[],
    };
    resources.iter().any(|r| has_naming_variable(r))
        || st
            .condition
            .iter()
            .any(|c| c.values.iter().any(|v| has_naming_variable(v)))
}

/// The names `Principal` / `NotPrincipal` entries give: exact user ARNs, role (account,
/// lowercased name) pairs from role and role-session ARNs.
#[derive(Default)]
struct Named {
    arns: HashSet<String>,
    roles: HashSet<(String, String)>,
}

impl Named {
    fn add_block(&mut self, block: &PrincipalBlock) {
        let PrincipalBlock::Map(entries) = block else {
            return;
        };
        for (_, values) in entries {
            for v in values {
                self.add(v);
            }
        }
    }

    fn add(&mut self, v: &str) {
        self.arns.insert(v.to_string());
        if let Some((account, name)) = named_role(v) {
            self.roles.insert((account.to_string(), name));
        }
    }

    fn names(&self, p: &Principal) -> bool {
        self.arns.contains(&p.arn)
            || (p.kind == PrincipalKind::Role
                && self
                    .roles
                    .contains(&(p.account.clone(), p.name.to_ascii_lowercase())))
    }
}

/// What two principals must agree on to share a profile.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ProfileKey {
    kind: PrincipalKind,
    /// A service-linked role (path `/aws-service-role/`): SCPs do not apply to it.
    service_linked: bool,
    account: String,
    tags: Vec<(String, String)>,
    managed: Vec<String>,
    /// (name, document as JSON) of each own inline policy.
    inline: Vec<(String, String)>,
    groups: Vec<String>,
    boundary: Option<String>,
    /// The outcome of each naming clause for this principal (0 false, 1 true, 2 unknown).
    naming: Vec<u8>,
}

/// For each of `sources` (ARNs, in order), the index in `sources` of the principal whose
/// rows it shares: itself when it is computed, else an earlier source with the same profile.
pub fn shared_profiles(org: &AwsOrg, sources: &[String]) -> Vec<usize> {
    let own: Vec<usize> = (0..sources.len()).collect();
    let Some(context) = SharingContext::new(org) else {
        return own;
    };
    let mut first: HashMap<ProfileKey, usize> = HashMap::new();
    let mut out = own;
    for (i, arn) in sources.iter().enumerate() {
        let Some(p) = org.principals.get(arn) else {
            continue;
        };
        let Some(key) = context.key(org, p) else {
            continue;
        };
        let rep = *first.entry(key).or_insert(i);
        if let Some(slot) = out.get_mut(i) {
            *slot = rep;
        }
    }
    out
}

/// What the org says of every principal: who is named, which clauses name callers.
struct SharingContext<'o> {
    named: Named,
    /// Distinct clauses on naming keys, with a variable-free value list.
    naming_clauses: Vec<&'o crate::aws::policy::ConditionClause>,
    /// Identity documents (policy ids) with a naming variable.
    personal_documents: HashSet<&'o str>,
}

impl<'o> SharingContext<'o> {
    /// `None` when sharing is off for the whole org.
    fn new(org: &'o AwsOrg) -> Option<Self> {
        let mut named = Named::default();
        let mut clauses: BTreeMap<String, &'o crate::aws::policy::ConditionClause> =
            BTreeMap::new();
        let mut personal_documents = HashSet::new();
        let mut scan = |doc: &'o PolicyDocument, identity: Option<&'o str>| -> bool {
            for st in &doc.statements {
                if let Some(b) = &st.principal {
                    named.add_block(b);
                }
                if let Some(b) = &st.not_principal {
                    named.add_block(b);
                }
                for c in &st.condition {
                    if is_naming_key(&c.key.to_ascii_lowercase()) {
                        if c.values.iter().any(|v| variables::has_variables(v)) {
                            return false;
                        }
                        clauses.insert(format!("{c:?}"), c);
                    }
                }
                if statement_has_naming_variable(st) {
                    match identity {
                        Some(id) => {
                            personal_documents.insert(id);
                        }
                        None => return false,
                    }
                }
            }
            true
        };
        for (id, pol) in &org.policies {
            if !scan(&pol.document, Some(id.as_str())) {
                return None;
            }
        }
        for rp in org.resource_policies.policies.values() {
            if !scan(&rp.document, None) {
                return None;
            }
        }
        for p in org.principals.values() {
            if let Some(t) = &p.trust_policy {
                if !scan(t, None) {
                    return None;
                }
            }
        }
        for pol in org.organization.policies.values() {
            if let Some(doc) = &pol.document {
                if !scan(doc, None) {
                    return None;
                }
            }
        }
        Some(SharingContext {
            named,
            naming_clauses: clauses.into_values().collect(),
            personal_documents,
        })
    }

    /// The profile key of `p`, or `None` when `p` keeps a profile of its own.
    fn key(&self, org: &AwsOrg, p: &Principal) -> Option<ProfileKey> {
        if !matches!(p.kind, PrincipalKind::User | PrincipalKind::Role)
            || self.named.names(p)
            || org.session_policies.contains_key(&p.arn)
        {
            return None;
        }
        let documents = org
            .identity_policies(p)
            .chain(p.boundary.as_deref())
            .collect::<Vec<_>>();
        if documents
            .iter()
            .any(|id| self.personal_documents.contains(id))
        {
            return None;
        }
        let mut managed = Vec::new();
        let mut inline = Vec::new();
        for id in &p.policies {
            let pol = org.policies.get(id)?;
            match &pol.kind {
                PolicyKind::Inline { holder } if *holder == p.arn => {
                    inline.push((pol.name.clone(), pol.document.to_json().to_string()));
                }
                PolicyKind::Inline { .. } | PolicyKind::Session => return None,
                _ => managed.push(id.clone()),
            }
        }
        managed.sort();
        inline.sort();
        let mut groups = p.groups.clone();
        groups.sort();
        let mut tags = p.tags.clone();
        tags.sort();
        let lookup = |k: &str| naming_value(p, &k.to_ascii_lowercase());
        let naming = self
            .naming_clauses
            .iter()
            .map(|c| match condition::evaluate_clause(c, &lookup, false) {
                Some(false) => 0,
                Some(true) => 1,
                None => 2,
            })
            .collect();
        Some(ProfileKey {
            kind: p.kind,
            service_linked: p.kind == PrincipalKind::Role
                && p.path.starts_with("/aws-service-role/"),
            account: p.account.clone(),
            tags,
            managed,
            inline,
            groups,
            boundary: p.boundary.clone(),
            naming,
        })
    }
}

/// The value of a key for a request by `p` with nothing else known: the naming keys and the
/// principal's tags as the fact builder gives them, everything else unknown.
fn naming_value(p: &Principal, key: &str) -> KeyValue {
    let one = |s: &str| KeyValue::Known(vec![s.to_string()]);
    match key {
        "aws:username" if p.kind == PrincipalKind::User => one(&p.name),
        "aws:username" => KeyValue::Absent,
        "aws:userid" if p.kind == PrincipalKind::User => one(&p.unique_id),
        "aws:principalarn" => one(&p.arn),
        _ => match key.strip_prefix("aws:principaltag/") {
            Some(tag) => tag_value(&p.tags, tag),
            None => KeyValue::Unknown,
        },
    }
}

/// The ARN of an inline policy of `holder`, rewritten for `twin` (the same name): `None` when
/// `policy` is not one of `holder`'s inline policies.
pub fn stamp_inline(policy: &str, holder: &str, twin: &str) -> Option<String> {
    policy
        .strip_prefix(holder)
        .and_then(|rest| rest.strip_prefix("#inline/"))
        .map(|name| format!("{twin}#inline/{name}"))
}
