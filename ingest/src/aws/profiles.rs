//! Shared access profiles (DESIGN.md §3): users and roles whose whole-org rows are the same up
//! to their own names, so that `what-can --all` computes one of them and stamps the others.
//!
//! Two principals share a profile when everything the core rules read of them, other than
//! their ARN and name, is equal:
//!
//! - kind, account (so the SCPs and RCPs above them), whether the role is service-linked (SCPs
//!   and RCPs do not apply to it);
//! - the tags that some document of the org reads of the caller (`aws:PrincipalTag/K` as a
//!   condition key or a policy variable); every tag when a document reads a tag key it does
//!   not spell out. A tag nothing reads cannot change a decision;
//! - identity policies: the same managed policies, inline policies with equal documents (their
//!   names differ freely: a name is only the id rows show, and stamping renames it), the same
//!   groups, the same permissions boundary;
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
//! - it has a session policy;
//! - two of its inline policies have one name (renaming could not pair them).
//!
//! Sharing is off for the whole org when a resource, trust, SCP or RCP document uses such a
//! variable, or when a clause on a naming key compares it with a variable: the outcome would
//! then depend on the caller together with something else, which a per-caller signature
//! cannot capture.
//!
//! The rows of a principal that shares a profile are its representative's rows with the
//! representative's ARN replaced in three places only: the source, the id of its own inline
//! policies (`ARN#inline/NAME` becomes the twin's inline policy with the same document,
//! [`inline_renames`]), and the granter of grants from its own identity policies (`stamp` in
//! the CLI). Destinations are never rewritten: a row about the representative as a
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
    /// A service-linked role (path `/aws-service-role/`): SCPs and RCPs do not apply to it.
    service_linked: bool,
    account: String,
    /// The tags some document reads (all of them when `SharingContext::tags_read` is `None`).
    tags: Vec<(String, String)>,
    managed: Vec<String>,
    /// The document (as JSON) of each own inline policy, sorted.
    inline: Vec<String>,
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
    /// The tag keys (lowercase) documents read of the caller (`aws:PrincipalTag/K`); `None`:
    /// a document reads one it does not spell out, so every tag counts.
    tags_read: Option<HashSet<String>>,
}

/// Adds the principal tag key `key` reads (a condition key or a variable's key) to `read`;
/// `false` when it reads one it does not name (`aws:PrincipalTag` alone, a wildcard).
fn note_tag_key(key: &str, read: &mut HashSet<String>) -> bool {
    let lower = key.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("aws:principaltag") else {
        return true;
    };
    match rest.strip_prefix('/') {
        Some(tag) if !tag.is_empty() && !tag.contains(['*', '?', '$']) => {
            read.insert(tag.to_string());
            true
        }
        _ => false,
    }
}

/// Notes every principal tag key `st` reads, in its condition keys and in the variables of its
/// resources and condition values; `false` when one is not spelled out.
fn note_statement_tags(st: &Statement, read: &mut HashSet<String>) -> bool {
    let resources = match &st.resource {
        Some(ResourceBlock::Resource(v)) | Some(ResourceBlock::NotResource(v)) => v.as_slice(),
        None => &[],
    };
    let mut ok = true;
    for c in &st.condition {
        ok &= note_tag_key(&c.key, read);
    }
    let texts = resources
        .iter()
        .chain(st.condition.iter().flat_map(|c| c.values.iter()));
    for t in texts.filter(|t| variables::has_variables(t)) {
        for k in variables::referenced_keys(t) {
            ok &= note_tag_key(&k, read);
        }
    }
    ok
}

impl<'o> SharingContext<'o> {
    /// `None` when sharing is off for the whole org.
    fn new(org: &'o AwsOrg) -> Option<Self> {
        let mut named = Named::default();
        let mut clauses: BTreeMap<String, &'o crate::aws::policy::ConditionClause> =
            BTreeMap::new();
        let mut personal_documents = HashSet::new();
        let mut tags_read: Option<HashSet<String>> = Some(HashSet::new());
        let mut scan = |doc: &'o PolicyDocument, identity: Option<&'o str>| -> bool {
            for st in &doc.statements {
                if let Some(read) = &mut tags_read {
                    if !note_statement_tags(st, read) {
                        tags_read = None;
                    }
                }
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
            tags_read,
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
        for id in &p.policies {
            let pol = org.policies.get(id)?;
            match &pol.kind {
                PolicyKind::Inline { holder } if *holder == p.arn => {}
                PolicyKind::Inline { .. } | PolicyKind::Session => return None,
                _ => managed.push(id.clone()),
            }
        }
        managed.sort();
        let own = own_inline(org, p);
        // Two inline policies with one name (an export AWS would not write) are one policy id:
        // renaming could not pair them, so such a principal keeps its own profile.
        let names: HashSet<&str> = own.iter().map(|(_, name)| name.as_str()).collect();
        if names.len() != own.len() {
            return None;
        }
        let inline: Vec<String> = own.into_iter().map(|(doc, _)| doc).collect();
        let mut groups = p.groups.clone();
        groups.sort();
        let mut tags: Vec<(String, String)> = p
            .tags
            .iter()
            .filter(|(k, _)| {
                self.tags_read
                    .as_ref()
                    .is_none_or(|read| read.contains(&k.to_ascii_lowercase()))
            })
            .cloned()
            .collect();
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
        // (As the fact builder gives it: `RoleId:` and the session the caller picks.)
        "aws:userid" if p.kind == PrincipalKind::Role && !p.unique_id.is_empty() => {
            KeyValue::Prefixed(format!("{}:", p.unique_id))
        }
        "aws:principalarn" => one(&p.arn),
        _ => match key.strip_prefix("aws:principaltag/") {
            Some(tag) => tag_value(&p.tags, tag),
            None => KeyValue::Unknown,
        },
    }
}

/// (document as JSON, name) of each own inline policy of `p`, sorted.
fn own_inline(org: &AwsOrg, p: &Principal) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = p
        .policies
        .iter()
        .filter_map(|id| org.policies.get(id))
        .filter(|pol| matches!(&pol.kind, PolicyKind::Inline { holder } if *holder == p.arn))
        .map(|pol| (pol.document.to_json().to_string(), pol.name.clone()))
        .collect();
    out.sort();
    out
}

/// For two principals that share a profile, the name of `twin`'s inline policy with the same
/// document as each inline policy of `holder` (holder's name -> twin's name). Policies with
/// one document are paired in name order: their rows differ only by that name.
pub fn inline_renames(org: &AwsOrg, holder: &str, twin: &str) -> HashMap<String, String> {
    let (Some(h), Some(t)) = (org.principals.get(holder), org.principals.get(twin)) else {
        return HashMap::new();
    };
    own_inline(org, h)
        .into_iter()
        .zip(own_inline(org, t))
        .map(|((_, from), (_, to))| (from, to))
        .collect()
}

/// The ARN of an inline policy of `holder`, rewritten for `twin` (its policy with the same
/// document, by `renames`; the same name when none is given): `None` when `policy` is not one
/// of `holder`'s inline policies.
pub fn stamp_inline(
    policy: &str,
    holder: &str,
    twin: &str,
    renames: &HashMap<String, String>,
) -> Option<String> {
    policy
        .strip_prefix(holder)
        .and_then(|rest| rest.strip_prefix("#inline/"))
        .map(|name| {
            let name = renames.get(name).map_or(name, String::as_str);
            format!("{twin}#inline/{name}")
        })
}
