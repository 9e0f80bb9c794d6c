//! The AWS org as ingested: principals, policies and inventory resources, keyed by ARN, before
//! anything is turned into facts. Built from any number of export files; everything is kept in
//! `BTreeMap`s so iteration (and so every output) is deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::aws::organizations::OrgStructure;
use crate::aws::policy::PolicyDocument;
use crate::aws::resource_policies::ResourcePolicies;

/// Where a record came from, for messages and `explain`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: PathBuf,
    pub pointer: String,
}

/// The kind of an IAM principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PrincipalKind {
    User,
    Group,
    Role,
    /// The unauthenticated caller (see [`anonymous`]).
    Anonymous,
    /// A principal outside the export that a resource or trust policy names: a user, role or
    /// session ARN of an account that was not exported, such an account itself (its root
    /// ARN), or an AWS service (`lambda.amazonaws.com`). Its own policies are unknown.
    External,
}

impl PrincipalKind {
    /// The kind's name in facts (`user`, `group`, `role`).
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Role => "role",
            PrincipalKind::Anonymous => "anonymous",
            PrincipalKind::External => "external",
        }
    }

    /// The value of `aws:PrincipalType` for a request made by such a principal.
    pub fn principal_type(self) -> &'static str {
        match self {
            PrincipalKind::User => "User",
            PrincipalKind::Group => "Group",
            PrincipalKind::Role => "AssumedRole",
            PrincipalKind::Anonymous => "Anonymous",
            PrincipalKind::External => "",
        }
    }
}

/// An IAM user, group or role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Principal {
    pub arn: String,
    pub kind: PrincipalKind,
    pub name: String,
    /// `UserId` / `GroupId` / `RoleId`.
    pub unique_id: String,
    pub account: String,
    pub path: String,
    /// Tags in export order; keys are unique per principal.
    pub tags: Vec<(String, String)>,
    /// ARNs of the groups a user is a direct member of.
    pub groups: Vec<String>,
    /// Ids of the identity policies attached to or inline in this principal.
    pub policies: Vec<String>,
    /// Id of the permissions boundary policy.
    pub boundary: Option<String>,
    /// The role's trust policy (roles only).
    pub trust_policy: Option<PolicyDocument>,
    /// ARNs of the instance profiles that carry this role (roles only).
    pub instance_profiles: Vec<String>,
    pub source: Source,
}

/// How a policy exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyKind {
    /// A managed policy owned by AWS (`arn:aws:iam::aws:policy/...`).
    AwsManaged,
    /// A managed policy of a customer account.
    CustomerManaged,
    /// An inline policy embedded in the user, group or role with this ARN.
    Inline { holder: String },
    /// The session policy of a role session (from a Simulation; exports carry none).
    Session,
}

impl PolicyKind {
    /// The kind's name in facts.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyKind::AwsManaged => "aws_managed",
            PolicyKind::CustomerManaged => "customer_managed",
            PolicyKind::Inline { .. } => "inline",
            PolicyKind::Session => "aws_session",
        }
    }
}

/// One policy document in force (for managed policies, the default version).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    /// The managed policy ARN, or `<holder ARN>#inline/<PolicyName>` for inline policies.
    pub id: String,
    pub name: String,
    pub kind: PolicyKind,
    /// The version in force (`v3`), for managed policies.
    pub version: Option<String>,
    pub document: PolicyDocument,
    pub source: Source,
}

/// A resource known from the inventory (for now: tagged resources).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Resource {
    pub arn: String,
    pub tags: Vec<(String, String)>,
    pub source: Source,
}

/// Everything ingested from the AWS exports of an org.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AwsOrg {
    #[serde(deserialize_with = "bulk_map")]
    pub principals: BTreeMap<String, Principal>,
    #[serde(deserialize_with = "bulk_map")]
    pub policies: BTreeMap<String, Policy>,
    /// Not in the org's serde encoding: snapshots write the resources as a body of their own,
    /// decoded at the same time as the rest (`snapshot`).
    #[serde(skip)]
    pub resources: BTreeMap<String, Resource>,
    /// The AWS Organizations structure, SCPs and RCPs.
    pub organization: OrgStructure,
    /// Resource-based policies, S3 Block Public Access and ownership.
    pub resource_policies: ResourcePolicies,
    /// Principal ARN -> the id of its session policy (in `policies`), for requests made by a
    /// session created with one (only `iamlog simulate` gives them).
    pub session_policies: BTreeMap<String, String>,
    /// Principals outside the export that resource and trust policies name (kind
    /// [`PrincipalKind::External`]), by ARN (or service name); see [`AwsOrg::index_external`].
    #[serde(deserialize_with = "bulk_map")]
    pub external: BTreeMap<String, Principal>,
}

/// Reads a map by collecting its entries and building the `BTreeMap` in one go. Serde's own
/// `BTreeMap` reader inserts entry by entry, comparing each key with about log2(n) others: for
/// the 1,000,000 ARNs of a large snapshot (long common prefixes) that was a sizable part of
/// reading it. Built in bulk, entries written in key order (as a `BTreeMap` writes them) cost
/// one comparison each. The result is the same as inserting: entries may come in any order,
/// and of a repeated key the last value is kept.
pub(crate) fn bulk_map<'de, D, K, V>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Deserialize<'de> + Ord,
    V: Deserialize<'de>,
{
    struct Entries<K, V>(std::marker::PhantomData<(K, V)>);
    impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> serde::de::Visitor<'de>
        for Entries<K, V>
    {
        type Value = BTreeMap<K, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            // The hint is the input's claim: trusted only up to a modest capacity.
            let mut entries: Vec<(K, V)> =
                Vec::with_capacity(map.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries.into_iter().collect())
        }
    }
    deserializer.deserialize_map(Entries(std::marker::PhantomData))
}

impl Principal {
    /// A principal known only by ARN, kind, name and account: no policies, tags or groups.
    pub fn bare(arn: String, kind: PrincipalKind, name: String, account: String) -> Principal {
        Principal {
            arn,
            kind,
            name,
            unique_id: String::new(),
            account,
            path: "/".to_string(),
            tags: Vec::new(),
            groups: Vec::new(),
            policies: Vec::new(),
            boundary: None,
            trust_policy: None,
            instance_profiles: Vec::new(),
            source: Source::default(),
        }
    }
}

impl AwsOrg {
    /// The identity policies that apply to `p`: its own, then its groups'.
    pub fn identity_policies<'a>(&'a self, p: &'a Principal) -> impl Iterator<Item = &'a str> {
        p.policies.iter().map(String::as_str).chain(
            p.groups
                .iter()
                .filter_map(|g| self.principals.get(g))
                .flat_map(|g| g.policies.iter().map(String::as_str)),
        )
    }

    /// Every user and role of the export (the principals that make requests), in ARN order.
    pub fn users_and_roles(&self) -> impl Iterator<Item = &Principal> {
        self.principals
            .values()
            .filter(|p| p.kind != PrincipalKind::Group)
    }

    /// Fills [`AwsOrg::external`]: every AWS principal entry of a resource or trust policy
    /// (`Allow` statements) that names an account no principal of the export belongs to (a
    /// user, role or session ARN, the account's root ARN or bare id), and every service
    /// principal. Entries of exported accounts name exported principals or nobody. A
    /// `Principal: "*"` Allow whose condition names accounts ([`condition_accounts`]) names
    /// them too: each such account not exported is an outsider (its root ARN).
    pub fn index_external(&mut self) {
        use crate::aws::policy::{Effect, PrincipalBlock, PrincipalKind as Named};
        let exported: std::collections::BTreeSet<&str> = self
            .principals
            .values()
            .map(|p| p.account.as_str())
            .collect();
        let own_org = self.organization.organization_id();
        let mut found: BTreeMap<String, Principal> = BTreeMap::new();
        let documents = self
            .resource_policies
            .policies
            .values()
            .map(|rp| &rp.document)
            .chain(
                self.principals
                    .values()
                    .filter_map(|p| p.trust_policy.as_ref()),
            );
        for doc in documents {
            for st in doc
                .statements
                .iter()
                .filter(|st| matches!(st.effect, Effect::Allow))
            {
                // `Principal: "*"` under a condition that names accounts (`aws:PrincipalAccount`
                // 999999999999, an `aws:PrincipalArn` of that account) shares with those
                // accounts as much as naming them would.
                if st
                    .principal
                    .as_ref()
                    .is_some_and(PrincipalBlock::is_everyone)
                {
                    // Likewise an organization other than this one (`aws:PrincipalOrgID`
                    // o-partner): one outsider stands for its principals.
                    for org in condition_orgs(st) {
                        if own_org.as_deref() != Some(org.as_str()) {
                            found.entry(org.clone()).or_insert_with(|| {
                                Principal::bare(
                                    org.clone(),
                                    PrincipalKind::External,
                                    org,
                                    String::new(),
                                )
                            });
                        }
                    }
                    for account in condition_accounts(st) {
                        if !exported.contains(account.as_str()) {
                            let arn = format!("arn:aws:iam::{account}:root");
                            found.entry(arn.clone()).or_insert_with(|| {
                                Principal::bare(
                                    arn,
                                    PrincipalKind::External,
                                    "root".to_string(),
                                    account,
                                )
                            });
                        }
                    }
                }
                let Some(PrincipalBlock::Map(entries)) = &st.principal else {
                    continue;
                };
                for (kind, values) in entries {
                    for v in values {
                        let external = match kind {
                            Named::Aws => external_aws(v, &exported),
                            Named::Service => Some((v.clone(), String::new())),
                            _ => None,
                        };
                        if let Some((arn, account)) = external {
                            found.entry(arn.clone()).or_insert_with(|| {
                                let name =
                                    arn.rsplit(['/', ':']).next().unwrap_or(&arn).to_string();
                                Principal::bare(arn, PrincipalKind::External, name, account)
                            });
                        }
                    }
                }
            }
        }
        self.external = found;
    }

    /// The id of the inline policy `name` of `holder`.
    pub fn inline_policy_id(holder: &str, name: &str) -> String {
        format!("{holder}#inline/{name}")
    }

    /// Finds a principal by ARN, or by name when the name is unique (`alice`, `role/app`,
    /// `user/alice`). A role session ARN (`arn:aws:sts::A:assumed-role/R/S`) resolves to its role.
    pub fn find_principal(&self, query: &str) -> Result<&Principal, String> {
        if let Some(p) = self.principals.get(query) {
            return Ok(p);
        }
        if let Some(rest) = query.strip_prefix("arn:aws:sts::") {
            if let Some((account, tail)) = rest.split_once(':') {
                if let Some(role_and_session) = tail.strip_prefix("assumed-role/") {
                    let role = role_and_session.split('/').next().unwrap_or_default();
                    let found: Vec<&Principal> = self
                        .principals
                        .values()
                        .filter(|p| {
                            p.kind == PrincipalKind::Role && p.account == account && p.name == role
                        })
                        .collect();
                    if let [one] = found.as_slice() {
                        return Ok(one);
                    }
                }
            }
        }
        let (kind, name) = match query.split_once('/') {
            Some(("user", n)) => (Some(PrincipalKind::User), n),
            Some(("role", n)) => (Some(PrincipalKind::Role), n),
            Some(("group", n)) => (Some(PrincipalKind::Group), n),
            _ => (None, query),
        };
        let found: Vec<&Principal> = self
            .principals
            .values()
            .filter(|p| p.name == name && kind.is_none_or(|k| k == p.kind))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "no principal `{query}` in the org (give a user or role ARN or name)"
            )),
            many => Err(format!(
                "`{query}` names {} principals ({}); give the ARN",
                many.len(),
                many.iter()
                    .map(|p| p.arn.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// The accounts a statement's condition admits callers of by name: the literal account ids of
/// its positive `aws:PrincipalAccount` (or `kms:CallerAccount`) clauses and the literal
/// account segments of its positive `aws:PrincipalArn` clauses (a negated clause names the
/// accounts it shuts out).
pub fn condition_accounts(st: &crate::aws::policy::Statement) -> Vec<String> {
    let mut out = Vec::new();
    let literal_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    for clause in &st.condition {
        if clause.operator.base.is_negated() {
            continue;
        }
        match clause.key.to_ascii_lowercase().as_str() {
            "aws:principalaccount" | "kms:calleraccount" => {
                out.extend(clause.values.iter().filter(|v| literal_account(v)).cloned())
            }
            "aws:principalarn" => out.extend(
                clause
                    .values
                    .iter()
                    .filter_map(|v| arn_account(v))
                    .filter(|a| literal_account(a))
                    .map(str::to_string),
            ),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The organizations a statement's condition admits: the literal values of its positive
/// clauses on `aws:PrincipalOrgID`. A `Principal: "*"` Allow under such a condition shares
/// with every principal of those organizations.
pub fn condition_orgs(st: &crate::aws::policy::Statement) -> Vec<String> {
    let mut out: Vec<String> = st
        .condition
        .iter()
        .filter(|c| !c.operator.base.is_negated())
        .filter(|c| c.key.eq_ignore_ascii_case("aws:PrincipalOrgID"))
        .flat_map(|c| c.values.iter().filter(|v| is_org_id(v)).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether `s` has the shape of an organization id: `o-` and lowercase letters or digits (AWS
/// issues 10 to 32 of them; fixtures and examples use fewer).
pub fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|rest| {
        (1..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An outsider that stands for every principal of another organization, named by its id
/// ([`condition_orgs`]): no account, no ARN of its own.
pub fn is_org_outsider(p: &Principal) -> bool {
    p.kind == PrincipalKind::External && p.account.is_empty() && is_org_id(&p.arn)
}

/// An AWS principal entry outside the exported accounts: (ARN, account). A bare account id
/// becomes the account's root ARN.
fn external_aws(v: &str, exported: &std::collections::BTreeSet<&str>) -> Option<(String, String)> {
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        return (!exported.contains(v)).then(|| (format!("arn:aws:iam::{v}:root"), v.to_string()));
    }
    let account = arn_account(v)?;
    let known_shape = v.starts_with("arn:aws:iam::") || v.starts_with("arn:aws:sts::");
    (known_shape && account.len() == 12 && !exported.contains(account) && !v.contains(['*', '?']))
        .then(|| (v.to_string(), account.to_string()))
}

/// The name that stands for the anonymous (unauthenticated) caller in questions, requests and
/// output: `Principal: "*"` statements of resource policies reach it.
pub const ANONYMOUS: &str = "anonymous";

/// The anonymous caller as a principal: no account, no policies, no tags.
pub fn anonymous() -> &'static Principal {
    static ANON: std::sync::OnceLock<Principal> = std::sync::OnceLock::new();
    ANON.get_or_init(|| {
        Principal::bare(
            ANONYMOUS.to_string(),
            PrincipalKind::Anonymous,
            ANONYMOUS.to_string(),
            String::new(),
        )
    })
}

/// The account id of an ARN (`arn:aws:iam::123456789012:user/a` -> `123456789012`), if any.
/// The text between the fourth and the fifth `:`; `None` when there are fewer than five.
pub fn arn_account(arn: &str) -> Option<&str> {
    // (Found byte by byte: a check of the medium org asks for the account of 2.9 million
    // ARNs, and `splitn` set up a searcher for each of the six parts.)
    let mut colons = memchr::memchr_iter(b':', arn.as_bytes());
    let start = colons.nth(3)? + 1;
    let end = colons.next()?;
    arn.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::arn_account;

    #[test]
    fn an_arns_account_is_its_fifth_field() {
        assert_eq!(
            arn_account("arn:aws:iam::123456789012:user/a"),
            Some("123456789012")
        );
        assert_eq!(arn_account("arn:aws:s3:::bucket/k:ey"), Some(""));
        assert_eq!(arn_account("arn:aws:sqs:eu-west-1:111:q"), Some("111"));
        assert_eq!(arn_account("arn:aws:sqs:eu-west-1:111:"), Some("111"));
        assert_eq!(arn_account("arn:aws:sqs:eu-west-1:111"), None);
        assert_eq!(arn_account("a:b:c:d:e:f:g"), Some("e"));
        assert_eq!(arn_account("::::"), None);
        assert_eq!(arn_account(":::::"), Some(""));
        assert_eq!(arn_account("*"), None);
        assert_eq!(arn_account("arn:aws:ec2:r:ä:x"), Some("ä"));
    }
}
