//! Reader for AWS Organizations exports: the organization, its root, OUs, accounts, service
//! control policies (SCPs), resource control policies (RCPs) and where they are attached.
//!
//! Files are recognised by their content ([`detect`]), exactly as the AWS CLI prints them
//! (`--output json`). Accepted shapes (`NextToken` is accepted everywhere and warns that the
//! output is one page of several):
//!
//! | command | shape | [`ExportKind`] |
//! |---|---|---|
//! | `describe-organization` | `{"Organization": {"Id", "Arn", "FeatureSet", "MasterAccountArn", "MasterAccountId", "MasterAccountEmail", "AvailablePolicyTypes": [{"Type", "Status"}]}}` | `Organization` |
//! | `list-roots` | `{"Roots": [{"Id": "r-…", "Arn", "Name", "PolicyTypes": [{"Type", "Status"}]}]}` | `Roots` |
//! | `list-organizational-units-for-parent` | `{"OrganizationalUnits": [{"Id": "ou-…", "Arn", "Name"}], "ParentId"?}` | `OrganizationalUnits` |
//! | `list-accounts`, `list-accounts-for-parent` | `{"Accounts": [{"Id", "Arn", "Email", "Name", "Status", "State", "JoinedMethod", "JoinedTimestamp"}], "ParentId"?}` | `Accounts` |
//! | `list-parents` | `{"Parents": [{"Id", "Type": "ROOT" \| "ORGANIZATIONAL_UNIT"}], "ChildId"}` | `Parents` |
//! | `list-policies`, `list-policies-for-target` | `{"Policies": [{"Id": "p-…", "Arn", "Name", "Description", "Type", "AwsManaged"}], "TargetId"?}` | `Policies` |
//! | `describe-policy` | `{"Policy": {"PolicySummary": {…as above…}, "Content": "<policy JSON as a string>"}}` | `PolicyDetail` |
//! | `list-targets-for-policy` | `{"Targets": [{"TargetId", "Arn", "Name", "Type": "ROOT" \| "ORGANIZATIONAL_UNIT" \| "ACCOUNT"}], "PolicyId"}` | `Targets` |
//!
//! **Fields the user adds.** Several Organizations outputs do not name the object they were
//! asked about, and the ARNs do not help (an OU ARN is
//! `arn:aws:organizations::<management account>:ou/o-<org>/ou-<id>`: it names the organization,
//! not the parent). So a top-level member naming the request's argument is accepted:
//!
//! - `ParentId` (`r-…` or `ou-…`) in `list-organizational-units-for-parent` and
//!   `list-accounts-for-parent` output: the parent of every listed OU / account. Optional: an OU
//!   or account without a known parent is reported by [`OrgStructure::validate`].
//! - `ChildId` (`ou-…` or a 12-digit account id) in `list-parents` output: **required**. This is
//!   the other way to give parents: `aws organizations list-parents --child-id X` for each OU and
//!   account, with `"ChildId": "X"` added. A child not otherwise listed is recorded with its id
//!   only.
//! - `PolicyId` (`p-…`) in `list-targets-for-policy` output: **required**.
//! - `TargetId` (`r-…`, `ou-…` or an account id) in `list-policies-for-target` output: optional;
//!   without it the file is a plain `list-policies` listing (policy names, no attachments).
//!
//! For example, `jq --arg p ou-ab12-cd34ef56 '. + {ParentId: $p}'` on the CLI output.
//!
//! **`Policies` vs the GAAD.** `get-account-authorization-details` also has a top-level
//! `Policies`. A `Policies` document is an Organizations export when it has a `TargetId`, or when
//! its first entry has a `Type` or an `Id` starting `p-` and no `PolicyName` /
//! `PolicyVersionList`; and the document has no GAAD list (`UserDetailList`, …). An empty
//! `Policies` list without `TargetId` is left to the GAAD reader (it says nothing either way).
//! Likewise `{"Policy": "<text>"}` (S3 `get-bucket-policy`) is not `describe-policy`: that needs
//! `Policy` to be an object with `PolicySummary`. So [`detect`] should be tried before
//! `gaad::is_gaad`.
//!
//! Only `SERVICE_CONTROL_POLICY` and `RESOURCE_CONTROL_POLICY` are kept; other policy types (tag,
//! backup, AI opt-out, declarative, …) are skipped with a warning. SCP content is checked to have
//! no `Principal`/`NotPrincipal` (SCPs have none, aws.md §3.3); otherwise SCPs and RCPs are parsed
//! as general policies. Unknown fields are warnings; a missing required field, an id of the wrong
//! form, content that does not parse, or two files giving one OU or account different parents
//! are errors naming the file and JSON pointer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::aws::model::Source;
use crate::aws::policy::{self, PolicyDocument};
use crate::error::{IngestError, Warning};
use crate::json::Located;
use serde::{Deserialize, Serialize};

const ORG_TOP: &[&str] = &["Organization"];
const ORGANIZATION: &[&str] = &[
    "Id",
    "Arn",
    "FeatureSet",
    "MasterAccountArn",
    "MasterAccountId",
    "MasterAccountEmail",
    "AvailablePolicyTypes",
];
const POLICY_TYPE_SUMMARY: &[&str] = &["Type", "Status"];
const ROOTS_TOP: &[&str] = &["Roots", "NextToken"];
const ROOT: &[&str] = &["Id", "Arn", "Name", "PolicyTypes"];
const OUS_TOP: &[&str] = &["OrganizationalUnits", "NextToken", "ParentId"];
const OU: &[&str] = &["Id", "Arn", "Name"];
const ACCOUNTS_TOP: &[&str] = &["Accounts", "NextToken", "ParentId"];
const ACCOUNT: &[&str] = &[
    "Id",
    "Arn",
    "Email",
    "Name",
    "Status",
    "State",
    "JoinedMethod",
    "JoinedTimestamp",
];
const PARENTS_TOP: &[&str] = &["Parents", "NextToken", "ChildId"];
const PARENT: &[&str] = &["Id", "Type"];
const POLICIES_TOP: &[&str] = &["Policies", "NextToken", "TargetId"];
const POLICY_SUMMARY: &[&str] = &["Id", "Arn", "Name", "Description", "Type", "AwsManaged"];
const DESCRIBE_POLICY_TOP: &[&str] = &["Policy"];
const POLICY: &[&str] = &["PolicySummary", "Content"];
const TARGETS_TOP: &[&str] = &["Targets", "NextToken", "PolicyId"];
const TARGET: &[&str] = &["TargetId", "Arn", "Name", "Type"];

const GAAD_LISTS: &[&str] = &["UserDetailList", "GroupDetailList", "RoleDetailList"];

/// Which Organizations export a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    /// `describe-organization`.
    Organization,
    /// `list-roots`.
    Roots,
    /// `list-organizational-units-for-parent`.
    OrganizationalUnits,
    /// `list-accounts`, `list-accounts-for-parent`.
    Accounts,
    /// `list-parents`.
    Parents,
    /// `list-policies`, `list-policies-for-target`.
    Policies,
    /// `describe-policy`.
    PolicyDetail,
    /// `list-targets-for-policy`.
    Targets,
}

/// Recognises an Organizations export by its content; `None` for anything else (including a
/// GAAD, whose top-level `Policies` has IAM managed policies).
pub fn detect(value: &Value) -> Option<ExportKind> {
    let m = value.as_object()?;
    let is_array = |k: &str| m.get(k).is_some_and(Value::is_array);
    if m.get("Organization").is_some_and(Value::is_object) {
        return Some(ExportKind::Organization);
    }
    if is_array("Roots") {
        return Some(ExportKind::Roots);
    }
    if is_array("OrganizationalUnits") {
        return Some(ExportKind::OrganizationalUnits);
    }
    if is_array("Accounts") {
        return Some(ExportKind::Accounts);
    }
    if is_array("Parents") {
        return Some(ExportKind::Parents);
    }
    if is_array("Targets") {
        return Some(ExportKind::Targets);
    }
    if m.get("Policy")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("PolicySummary"))
    {
        return Some(ExportKind::PolicyDetail);
    }
    if let Some(Value::Array(items)) = m.get("Policies") {
        if GAAD_LISTS.iter().any(|k| m.contains_key(*k)) {
            return None;
        }
        if m.contains_key("TargetId") {
            return Some(ExportKind::Policies);
        }
        let first = items.first()?.as_object()?;
        let gaad_like = first.contains_key("PolicyName") || first.contains_key("PolicyVersionList");
        let org_like = first.contains_key("Type")
            || first
                .get("Id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.starts_with("p-"));
        if org_like && !gaad_like {
            return Some(ExportKind::Policies);
        }
    }
    None
}

/// `describe-organization`: the organization itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `o-…`.
    pub id: String,
    pub arn: Option<String>,
    /// `ALL` or `CONSOLIDATED_BILLING` (no SCPs/RCPs then).
    pub feature_set: Option<String>,
    /// `MasterAccountId`: the management account.
    pub management_account_id: String,
    pub management_account_arn: Option<String>,
    pub management_account_email: Option<String>,
    /// `AvailablePolicyTypes`: (`Type`, `Status`).
    pub available_policy_types: Vec<(String, String)>,
}

/// An organization root (`list-roots`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// `r-…`.
    pub id: String,
    pub arn: Option<String>,
    pub name: Option<String>,
    /// `PolicyTypes`: (`Type`, `Status`), e.g. (`SERVICE_CONTROL_POLICY`, `ENABLED`).
    pub policy_types: Vec<(String, String)>,
    pub source: Source,
}

impl Root {
    /// Whether the root lists `kind` as `ENABLED`.
    pub fn enabled(&self, kind: OrgPolicyKind) -> bool {
        self.policy_types
            .iter()
            .any(|(t, s)| t == kind.api_name() && s == "ENABLED")
    }
}

/// An organizational unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ou {
    /// `ou-…`.
    pub id: String,
    pub arn: Option<String>,
    /// `None` when the OU is known only from `list-parents`.
    pub name: Option<String>,
    /// `r-…` or `ou-…`, when some file said.
    pub parent: Option<String>,
    pub source: Source,
}

/// A member account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12 digits.
    pub id: String,
    pub arn: Option<String>,
    /// `None` when the account is known only from `list-parents`.
    pub name: Option<String>,
    pub email: Option<String>,
    /// `r-…` or `ou-…`, when some file said.
    pub parent: Option<String>,
    /// `Status` (`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`), or the newer `State` when `Status`
    /// is absent.
    pub status: Option<String>,
    pub source: Source,
}

/// The two authorization policy types of Organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrgPolicyKind {
    /// `SERVICE_CONTROL_POLICY`.
    Scp,
    /// `RESOURCE_CONTROL_POLICY`.
    Rcp,
}

impl OrgPolicyKind {
    /// The API's `Type` value.
    pub fn api_name(self) -> &'static str {
        match self {
            OrgPolicyKind::Scp => "SERVICE_CONTROL_POLICY",
            OrgPolicyKind::Rcp => "RESOURCE_CONTROL_POLICY",
        }
    }

    /// Parses a `Type` value; `None` for other policy types (tag, backup, …).
    pub fn from_api_name(name: &str) -> Option<Self> {
        match name {
            "SERVICE_CONTROL_POLICY" => Some(OrgPolicyKind::Scp),
            "RESOURCE_CONTROL_POLICY" => Some(OrgPolicyKind::Rcp),
            _ => None,
        }
    }
}

/// An SCP or RCP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPolicy {
    /// `p-…` (`p-FullAWSAccess` for the AWS-managed SCP).
    pub id: String,
    pub arn: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: OrgPolicyKind,
    pub aws_managed: bool,
    /// The parsed `Content`, from `describe-policy`; `None` when only listed.
    pub document: Option<PolicyDocument>,
    /// Where `Content` is (file and `/Policy/Content`), or the listing entry when no content.
    pub source: Source,
}

/// Something [`OrgStructure::validate`] found incomplete or inconsistent. None of them stops
/// reading; the caller decides which are errors.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StructureIssue {
    /// An OU or account with no known parent: its SCP/RCP path is unknown.
    NoParent { child: String },
    /// An OU or account whose parent is not a known root or OU.
    UnknownParent { child: String, parent: String },
    /// OUs whose parents form a loop.
    ParentCycle { ou: String },
    /// An attached policy that no `list-policies`/`describe-policy` names.
    UnknownPolicy { policy: String, target: String },
    /// An attached policy known without its content (no `describe-policy`).
    PolicyWithoutContent { policy: String },
    /// A policy attached to something that is not a known root, OU or account.
    UnknownTarget { policy: String, target: String },
}

impl fmt::Display for StructureIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StructureIssue::NoParent { child } => write!(
                f,
                "`{child}` has no known parent: add `ParentId` to its list-*-for-parent output or give list-parents output"
            ),
            StructureIssue::UnknownParent { child, parent } => write!(
                f,
                "the parent `{parent}` of `{child}` is not a known root or organizational unit"
            ),
            StructureIssue::ParentCycle { ou } => {
                write!(f, "organizational unit `{ou}` is its own ancestor")
            }
            StructureIssue::UnknownPolicy { policy, target } => write!(
                f,
                "policy `{policy}` is attached to `{target}` but is not in any list-policies or describe-policy output"
            ),
            StructureIssue::PolicyWithoutContent { policy } => write!(
                f,
                "policy `{policy}` is attached but its content is unknown: add its describe-policy output"
            ),
            StructureIssue::UnknownTarget { policy, target } => write!(
                f,
                "policy `{policy}` is attached to `{target}`, which is not a known root, organizational unit or account"
            ),
        }
    }
}

/// An organization's structure, merged from any number of export files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgStructure {
    pub organization: Option<Organization>,
    pub roots: BTreeMap<String, Root>,
    pub ous: BTreeMap<String, Ou>,
    pub accounts: BTreeMap<String, Account>,
    pub policies: BTreeMap<String, OrgPolicy>,
    /// (policy id, target id): the target is a root, OU or account id.
    pub attachments: BTreeSet<(String, String)>,
}

impl OrgStructure {
    /// The management account: `MasterAccountId` from `describe-organization`, else the account
    /// in the ARN of any root, OU or account (Organizations ARNs name the management account:
    /// `arn:aws:organizations::<management>:ou/o-…/ou-…`).
    /// The organization id (`o-…`): from `describe-organization`, else from any root, OU or
    /// account ARN (`arn:aws:organizations::<mgmt>:account/o-…/<id>`).
    pub fn organization_id(&self) -> Option<String> {
        if let Some(org) = &self.organization {
            return Some(org.id.clone());
        }
        let arns = self
            .roots
            .values()
            .filter_map(|r| r.arn.as_deref())
            .chain(self.ous.values().filter_map(|o| o.arn.as_deref()))
            .chain(self.accounts.values().filter_map(|a| a.arn.as_deref()));
        for arn in arns {
            if let Some(id) = arn
                .rsplit(':')
                .next()
                .and_then(|tail| tail.split('/').find(|part| part.starts_with("o-")))
            {
                return Some(id.to_string());
            }
        }
        None
    }

    pub fn management_account(&self) -> Option<&str> {
        if let Some(o) = &self.organization {
            return Some(&o.management_account_id);
        }
        self.roots
            .values()
            .filter_map(|r| r.arn.as_deref())
            .chain(self.ous.values().filter_map(|o| o.arn.as_deref()))
            .chain(self.accounts.values().filter_map(|a| a.arn.as_deref()))
            .find_map(arn_management_account)
    }

    /// The targets whose policies apply to `account_id`, top-down: the root, the OUs from the
    /// root's child down to the account's parent, then the account itself. `None` when the
    /// account is unknown or its chain of parents does not reach a known root (a missing level
    /// would silently drop that level's SCPs/RCPs).
    pub fn path_to_root(&self, account_id: &str) -> Option<Vec<&str>> {
        let account = self.accounts.get(account_id)?;
        let mut path = vec![account.id.as_str()];
        let mut next = account.parent.as_deref()?;
        loop {
            if let Some(root) = self.roots.get(next) {
                path.push(&root.id);
                break;
            }
            let ou = self.ous.get(next)?;
            if path.contains(&ou.id.as_str()) || path.len() > self.ous.len() + 1 {
                return None;
            }
            path.push(&ou.id);
            next = ou.parent.as_deref()?;
        }
        path.reverse();
        Some(path)
    }

    /// Ids of the policies of `kind` attached to `target` (a root, OU or account id), sorted.
    pub fn attached(&self, target: &str, kind: OrgPolicyKind) -> Vec<&str> {
        self.attachments
            .iter()
            .filter(|(p, t)| {
                t == target && self.policies.get(p).is_some_and(|pol| pol.kind == kind)
            })
            .map(|(p, _)| p.as_str())
            .collect()
    }

    /// Whether `target` is a known root, OU or account.
    pub fn is_target(&self, target: &str) -> bool {
        self.roots.contains_key(target)
            || self.ous.contains_key(target)
            || self.accounts.contains_key(target)
    }

    /// Checks the merged structure: parents known, no cycles, attached policies known with
    /// content, attachment targets known. Sorted, without duplicates.
    pub fn validate(&self) -> Vec<StructureIssue> {
        let mut issues = BTreeSet::new();
        let parents = self
            .ous
            .values()
            .map(|o| (&o.id, &o.parent))
            .chain(self.accounts.values().map(|a| (&a.id, &a.parent)));
        for (child, parent) in parents {
            match parent {
                None => {
                    issues.insert(StructureIssue::NoParent {
                        child: child.clone(),
                    });
                }
                Some(p) if !self.roots.contains_key(p) && !self.ous.contains_key(p) => {
                    issues.insert(StructureIssue::UnknownParent {
                        child: child.clone(),
                        parent: p.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        for ou in self.ous.values() {
            let mut seen = BTreeSet::new();
            let mut next = ou.parent.as_deref();
            while let Some(id) = next {
                if id == ou.id {
                    issues.insert(StructureIssue::ParentCycle { ou: ou.id.clone() });
                    break;
                }
                if !seen.insert(id) {
                    break; // a loop above this OU; reported for the OUs on it
                }
                next = self.ous.get(id).and_then(|o| o.parent.as_deref());
            }
        }
        for (policy, target) in &self.attachments {
            match self.policies.get(policy) {
                None => {
                    issues.insert(StructureIssue::UnknownPolicy {
                        policy: policy.clone(),
                        target: target.clone(),
                    });
                }
                Some(p) if p.document.is_none() => {
                    issues.insert(StructureIssue::PolicyWithoutContent {
                        policy: policy.clone(),
                    });
                }
                Some(_) => {}
            }
            if !self.is_target(target) {
                issues.insert(StructureIssue::UnknownTarget {
                    policy: policy.clone(),
                    target: target.clone(),
                });
            }
        }
        issues.into_iter().collect()
    }
}

/// The 12-digit account in an Organizations ARN (`arn:<partition>:organizations::<acct>:…`).
fn arn_management_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_tag, _partition, service, _region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn_tag == "arn" && service == "organizations" && is_account_id(account)).then_some(account)
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads one Organizations export of kind `kind` (from [`detect`]) into `into`.
pub fn read(
    root: &Located<'_>,
    kind: ExportKind,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("an AWS Organizations export")?;
    if let Some(token) = root.get("NextToken") {
        warnings.push(token.warning(
            "output is one page of several (`NextToken` is set): load every page, or parts of the organization will be missing",
        ));
    }
    match kind {
        ExportKind::Organization => read_organization(root, into, warnings),
        ExportKind::Roots => read_roots(root, into, warnings),
        ExportKind::OrganizationalUnits => read_ous(root, into, warnings),
        ExportKind::Accounts => read_accounts(root, into, warnings),
        ExportKind::Parents => read_parents(root, into, warnings),
        ExportKind::Policies => read_policies(root, into, warnings),
        ExportKind::PolicyDetail => read_policy_detail(root, into, warnings),
        ExportKind::Targets => read_targets(root, into, warnings),
    }
}

fn source(node: &Located<'_>) -> Source {
    Source {
        file: node.file.to_path_buf(),
        pointer: node.pointer().to_string(),
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// The required string `key`, checked to be an id of `form`.
fn required_id<'a>(node: &Located<'a>, key: &str, form: IdForm) -> Result<&'a str, IngestError> {
    let id = node.required_str(key)?;
    check_id(&node.required(key)?, id, form)?;
    Ok(id)
}

#[derive(Clone, Copy)]
enum IdForm {
    Org,
    Root,
    Account,
    Ou,
    /// A root or an OU.
    Parent,
    /// An OU or an account.
    Child,
    Policy,
    /// A root, OU or account.
    Target,
}

fn check_id(at: &Located<'_>, id: &str, form: IdForm) -> Result<(), IngestError> {
    let (ok, what) = match form {
        IdForm::Org => (id.starts_with("o-"), "an organization id (`o-…`)"),
        IdForm::Root => (id.starts_with("r-"), "a root id (`r-…`)"),
        IdForm::Account => (is_account_id(id), "an account id (12 digits)"),
        IdForm::Ou => (id.starts_with("ou-"), "an organizational unit id (`ou-…`)"),
        IdForm::Parent => (
            id.starts_with("r-") || id.starts_with("ou-"),
            "a root or organizational unit id (`r-…` or `ou-…`)",
        ),
        IdForm::Child => (
            id.starts_with("ou-") || is_account_id(id),
            "an organizational unit or account id (`ou-…` or 12 digits)",
        ),
        IdForm::Policy => (id.starts_with("p-"), "a policy id (`p-…`)"),
        IdForm::Target => (
            id.starts_with("r-") || id.starts_with("ou-") || is_account_id(id),
            "a root, organizational unit or account id",
        ),
    };
    if ok {
        Ok(())
    } else {
        Err(at.error(format!("expected {what}, found `{id}`")))
    }
}

/// Sets `slot` to `parent`, or errors if another file gave a different parent.
fn set_parent(
    slot: &mut Option<String>,
    child: &str,
    parent: &str,
    at: &Located<'_>,
) -> Result<(), IngestError> {
    match slot {
        Some(old) if old != parent => Err(at.error(format!(
            "`{child}` has parent `{parent}` here but `{old}` in another export"
        ))),
        _ => {
            *slot = Some(parent.to_string());
            Ok(())
        }
    }
}

fn read_type_status(
    list: Vec<Located<'_>>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(String, String)>, IngestError> {
    let mut out = Vec::new();
    for t in list {
        t.object("a policy type summary")?;
        t.warn_unknown(POLICY_TYPE_SUMMARY, "a policy type summary", warnings);
        out.push((
            t.required_str("Type")?.to_string(),
            t.required_str("Status")?.to_string(),
        ));
    }
    Ok(out)
}

fn read_organization(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(ORG_TOP, "the describe-organization output", warnings);
    let o = root.required("Organization")?;
    o.object("an organization")?;
    o.warn_unknown(ORGANIZATION, "an organization", warnings);
    let org = Organization {
        id: required_id(&o, "Id", IdForm::Org)?.to_string(),
        arn: owned(o.optional_str("Arn")?),
        feature_set: owned(o.optional_str("FeatureSet")?),
        management_account_id: required_id(&o, "MasterAccountId", IdForm::Account)?.to_string(),
        management_account_arn: owned(o.optional_str("MasterAccountArn")?),
        management_account_email: owned(o.optional_str("MasterAccountEmail")?),
        available_policy_types: read_type_status(
            o.optional_array("AvailablePolicyTypes")?,
            warnings,
        )?,
    };
    if let Some(old) = &into.organization {
        if old.id != org.id {
            return Err(o.required("Id")?.error(format!(
                "a second organization `{}`: another export describes `{}`; load one organization at a time",
                org.id, old.id
            )));
        }
    }
    into.organization = Some(org);
    Ok(())
}

fn read_roots(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(ROOTS_TOP, "the list-roots output", warnings);
    for r in root.required("Roots")?.array("`Roots`")? {
        r.object("a root")?;
        r.warn_unknown(ROOT, "a root", warnings);
        let id = required_id(&r, "Id", IdForm::Root)?.to_string();
        let root = Root {
            id: id.clone(),
            arn: owned(r.optional_str("Arn")?),
            name: owned(r.optional_str("Name")?),
            policy_types: read_type_status(r.optional_array("PolicyTypes")?, warnings)?,
            source: source(&r),
        };
        into.roots.insert(id, root);
    }
    Ok(())
}

fn read_ous(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(
        OUS_TOP,
        "the list-organizational-units-for-parent output",
        warnings,
    );
    let parent = optional_parent(root)?;
    for u in root
        .required("OrganizationalUnits")?
        .array("`OrganizationalUnits`")?
    {
        u.object("an organizational unit")?;
        u.warn_unknown(OU, "an organizational unit", warnings);
        let id = required_id(&u, "Id", IdForm::Ou)?;
        let name = u.optional_str("Name")?;
        let arn = u.optional_str("Arn")?;
        let ou = into.ous.entry(id.to_string()).or_insert_with(|| Ou {
            id: id.to_string(),
            ..Ou::default()
        });
        ou.name = owned(name).or(ou.name.take());
        ou.arn = owned(arn).or(ou.arn.take());
        ou.source = source(&u);
        if let Some(p) = parent {
            if p == id {
                return Err(root
                    .required("ParentId")?
                    .error(format!("`{id}` cannot be its own parent")));
            }
            set_parent(&mut ou.parent, id, p, &u)?;
        }
    }
    Ok(())
}

fn optional_parent<'a>(root: &Located<'a>) -> Result<Option<&'a str>, IngestError> {
    match root.get("ParentId") {
        Some(p) => {
            let id = p.string("`ParentId`")?;
            check_id(&p, id, IdForm::Parent)?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

fn read_accounts(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(ACCOUNTS_TOP, "the list-accounts output", warnings);
    let parent = optional_parent(root)?;
    for a in root.required("Accounts")?.array("`Accounts`")? {
        a.object("an account")?;
        a.warn_unknown(ACCOUNT, "an account", warnings);
        let id = required_id(&a, "Id", IdForm::Account)?;
        let name = a.optional_str("Name")?;
        let arn = a.optional_str("Arn")?;
        let email = a.optional_str("Email")?;
        let status = match a.optional_str("Status")? {
            Some(s) => Some(s),
            None => a.optional_str("State")?,
        };
        let acct = into
            .accounts
            .entry(id.to_string())
            .or_insert_with(|| Account {
                id: id.to_string(),
                ..Account::default()
            });
        acct.name = owned(name).or(acct.name.take());
        acct.arn = owned(arn).or(acct.arn.take());
        acct.email = owned(email).or(acct.email.take());
        acct.status = owned(status).or(acct.status.take());
        acct.source = source(&a);
        if let Some(p) = parent {
            set_parent(&mut acct.parent, id, p, &a)?;
        }
    }
    Ok(())
}

fn read_parents(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(PARENTS_TOP, "the list-parents output", warnings);
    let child_node = root.get("ChildId").ok_or_else(|| {
        root.error(
            "missing required field `ChildId`: list-parents output does not name the child; add `\"ChildId\": \"<the --child-id argument>\"`",
        )
    })?;
    let child = child_node.string("`ChildId`")?;
    check_id(&child_node, child, IdForm::Child)?;
    let parents = root.required("Parents")?.array("`Parents`")?;
    if parents.len() > 1 {
        return Err(root.required("Parents")?.error(format!(
            "`{child}` has {} parents; expected one",
            parents.len()
        )));
    }
    for p in parents {
        p.object("a parent")?;
        p.warn_unknown(PARENT, "a parent", warnings);
        let id = required_id(&p, "Id", IdForm::Parent)?;
        if let Some(t) = p.get("Type") {
            let ty = t.string("`Type`")?;
            let expected = if id.starts_with("r-") {
                "ROOT"
            } else {
                "ORGANIZATIONAL_UNIT"
            };
            if ty != expected {
                return Err(t.error(format!(
                    "expected `{expected}` for parent `{id}`, found `{ty}`"
                )));
            }
        }
        if id == child {
            return Err(p
                .required("Id")?
                .error(format!("`{child}` cannot be its own parent")));
        }
        let slot = if child.starts_with("ou-") {
            &mut into
                .ous
                .entry(child.to_string())
                .or_insert_with(|| Ou {
                    id: child.to_string(),
                    source: source(&child_node),
                    ..Ou::default()
                })
                .parent
        } else {
            &mut into
                .accounts
                .entry(child.to_string())
                .or_insert_with(|| Account {
                    id: child.to_string(),
                    source: source(&child_node),
                    ..Account::default()
                })
                .parent
        };
        set_parent(slot, child, id, &p)?;
    }
    Ok(())
}

/// Reads one policy summary; `None` (with a warning) for policy types other than SCP/RCP.
fn read_summary(
    s: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<Option<String>, IngestError> {
    s.object("a policy summary")?;
    s.warn_unknown(POLICY_SUMMARY, "a policy summary", warnings);
    let id = required_id(s, "Id", IdForm::Policy)?;
    let ty_node = s.required("Type")?;
    let ty = ty_node.string("`Type`")?;
    let Some(kind) = OrgPolicyKind::from_api_name(ty) else {
        warnings.push(ty_node.warning(format!(
            "policy `{id}` is a `{ty}`, not a service or resource control policy; skipped"
        )));
        return Ok(None);
    };
    let aws_managed = match s.get("AwsManaged") {
        Some(v) => v
            .value
            .as_bool()
            .ok_or_else(|| v.error("expected `AwsManaged` (a boolean)"))?,
        None => false,
    };
    let name = s.optional_str("Name")?;
    let arn = s.optional_str("Arn")?;
    let description = s.optional_str("Description")?;
    let policy = into
        .policies
        .entry(id.to_string())
        .or_insert_with(|| OrgPolicy {
            id: id.to_string(),
            arn: None,
            name: None,
            description: None,
            kind,
            aws_managed,
            document: None,
            source: source(s),
        });
    if policy.kind != kind {
        return Err(ty_node.error(format!(
            "policy `{id}` is a `{ty}` here but a `{}` in another export",
            policy.kind.api_name()
        )));
    }
    policy.aws_managed = aws_managed;
    policy.name = owned(name).or(policy.name.take());
    policy.arn = owned(arn).or(policy.arn.take());
    policy.description = owned(description).or(policy.description.take());
    Ok(Some(id.to_string()))
}

fn read_policies(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(POLICIES_TOP, "the list-policies output", warnings);
    let target = match root.get("TargetId") {
        Some(t) => {
            let id = t.string("`TargetId`")?;
            check_id(&t, id, IdForm::Target)?;
            Some(id)
        }
        None => None,
    };
    for s in root.required("Policies")?.array("`Policies`")? {
        if let Some(id) = read_summary(&s, into, warnings)? {
            if let Some(t) = target {
                into.attachments.insert((id, t.to_string()));
            }
        }
    }
    Ok(())
}

fn read_policy_detail(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(DESCRIBE_POLICY_TOP, "the describe-policy output", warnings);
    let p = root.required("Policy")?;
    p.object("a policy")?;
    p.warn_unknown(POLICY, "a policy", warnings);
    let summary = p.required("PolicySummary")?;
    let content = p.required("Content")?;
    let Some(id) = read_summary(&summary, into, warnings)? else {
        return Ok(());
    };
    let document = match content.value {
        Value::String(text) => policy::parse_policy_text(text, &content.pointer),
        other => policy::parse_policy(other, &content.pointer),
    }
    .map_err(|e| IngestError::invalid(content.file, e.pointer, e.message))?;
    let Some(entry) = into.policies.get_mut(&id) else {
        return Ok(());
    };
    if entry.kind == OrgPolicyKind::Scp {
        for st in &document.statements {
            let sp = document.statement_pointer(&content.pointer, st.index);
            for (present, key) in [
                (st.principal.is_some(), "Principal"),
                (st.not_principal.is_some(), "NotPrincipal"),
            ] {
                if present {
                    return Err(IngestError::invalid(
                        content.file,
                        format!("{sp}/{key}"),
                        format!("expected no `{key}` in a service control policy"),
                    ));
                }
            }
        }
    }
    entry.document = Some(document);
    entry.source = source(&content);
    Ok(())
}

fn read_targets(
    root: &Located<'_>,
    into: &mut OrgStructure,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.warn_unknown(TARGETS_TOP, "the list-targets-for-policy output", warnings);
    let policy_node = root.get("PolicyId").ok_or_else(|| {
        root.error(
            "missing required field `PolicyId`: list-targets-for-policy output does not name the policy; add `\"PolicyId\": \"<the --policy-id argument>\"`",
        )
    })?;
    let policy_id = policy_node.string("`PolicyId`")?;
    check_id(&policy_node, policy_id, IdForm::Policy)?;
    for t in root.required("Targets")?.array("`Targets`")? {
        t.object("a policy target")?;
        t.warn_unknown(TARGET, "a policy target", warnings);
        let id = required_id(&t, "TargetId", IdForm::Target)?;
        let ty_node = t.required("Type")?;
        let ty = ty_node.string("`Type`")?;
        let expected = if id.starts_with("r-") {
            "ROOT"
        } else if id.starts_with("ou-") {
            "ORGANIZATIONAL_UNIT"
        } else {
            "ACCOUNT"
        };
        if ty != expected {
            return Err(ty_node.error(format!(
                "expected `{expected}` for target `{id}`, found `{ty}`"
            )));
        }
        into.attachments
            .insert((policy_id.to_string(), id.to_string()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
