//! Reader for `aws iam get-account-authorization-details` output (the GAAD).
//!
//! Accepts the AWS CLI shape (policy documents as JSON objects) and the raw API shape (policy
//! documents as URL-encoded JSON strings), dates in any form (they are not used), and any number
//! of GAAD files per org (one per account, or one per page of a paginated export). Unknown
//! fields are warnings; a missing required field or a policy document that does not parse is an
//! error naming the file and JSON pointer.

use crate::aws::catalogue::Catalogue;
use crate::aws::model::{
    arn_account, AwsOrg, Policy, PolicyKind, Principal, PrincipalKind, Source,
};
use crate::aws::policy::{self, ActionBlock, PolicyDocument};
use crate::error::{IngestError, Warning};
use crate::json::Located;

const TOP: &[&str] = &[
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "IsTruncated",
    "Marker",
    "ResponseMetadata",
];
const USER: &[&str] = &[
    "Path",
    "UserName",
    "UserId",
    "Arn",
    "CreateDate",
    "GroupList",
    "Tags",
    "UserPolicyList",
    "AttachedManagedPolicies",
    "PermissionsBoundary",
];
const GROUP: &[&str] = &[
    "Path",
    "GroupName",
    "GroupId",
    "Arn",
    "CreateDate",
    "GroupPolicyList",
    "AttachedManagedPolicies",
];
const ROLE: &[&str] = &[
    "Path",
    "RoleName",
    "RoleId",
    "Arn",
    "CreateDate",
    "AssumeRolePolicyDocument",
    "InstanceProfileList",
    "RolePolicyList",
    "AttachedManagedPolicies",
    "PermissionsBoundary",
    "Tags",
    "RoleLastUsed",
    "Description",
    "MaxSessionDuration",
];
const POLICY: &[&str] = &[
    "PolicyName",
    "PolicyId",
    "Arn",
    "Path",
    "DefaultVersionId",
    "AttachmentCount",
    "PermissionsBoundaryUsageCount",
    "IsAttachable",
    "Description",
    "CreateDate",
    "UpdateDate",
    "PolicyVersionList",
    "Tags",
];
const VERSION: &[&str] = &["Document", "VersionId", "IsDefaultVersion", "CreateDate"];
const INLINE: &[&str] = &["PolicyName", "PolicyDocument"];
const ATTACHED: &[&str] = &["PolicyName", "PolicyArn"];
const BOUNDARY: &[&str] = &["PermissionsBoundaryType", "PermissionsBoundaryArn"];
const TAG: &[&str] = &["Key", "Value"];
const INSTANCE_PROFILE: &[&str] = &[
    "Path",
    "InstanceProfileName",
    "InstanceProfileId",
    "Arn",
    "CreateDate",
    "Roles",
    "Tags",
];

/// True when a JSON document looks like a GAAD.
pub fn is_gaad(value: &serde_json::Value) -> bool {
    value.as_object().is_some_and(|m| {
        [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ]
        .iter()
        .any(|k| m.contains_key(*k))
    })
}

/// Reads one GAAD document into `org`.
pub fn read(
    root: &Located<'_>,
    org: &mut AwsOrg,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-account-authorization-details document")?;
    root.warn_unknown(
        TOP,
        "the get-account-authorization-details output",
        warnings,
    );
    if root.get("IsTruncated").and_then(|v| v.value.as_bool()) == Some(true) {
        warnings.push(root.warning(
            "export is truncated (`IsTruncated: true`): load every page, or principals and policies will be missing",
        ));
    }
    // Managed policies first, so that attachments can be checked against them.
    for p in root.optional_array("Policies")? {
        read_managed_policy(&p, org, warnings)?;
    }
    let mut group_arns: Vec<(String, String, String)> = Vec::new(); // (account, name, arn)
    for g in root.optional_array("GroupDetailList")? {
        let arn = read_principal(&g, PrincipalKind::Group, org, warnings)?;
        if let Some(p) = org.principals.get(&arn) {
            group_arns.push((p.account.clone(), p.name.clone(), arn));
        }
    }
    for r in root.optional_array("RoleDetailList")? {
        read_principal(&r, PrincipalKind::Role, org, warnings)?;
    }
    for u in root.optional_array("UserDetailList")? {
        let arn = read_principal(&u, PrincipalKind::User, org, warnings)?;
        // GroupList holds group names; resolve them within the user's account.
        let mut groups = Vec::new();
        let account = org
            .principals
            .get(&arn)
            .map(|p| p.account.clone())
            .unwrap_or_default();
        for (i, g) in u.optional_array("GroupList")?.iter().enumerate() {
            let name = g.string("a group name")?;
            let found = group_arns
                .iter()
                .find(|(acct, n, _)| *acct == account && n == name)
                .map(|(_, _, a)| a.clone())
                .or_else(|| {
                    org.principals
                        .values()
                        .find(|p| {
                            p.kind == PrincipalKind::Group && p.account == account && p.name == name
                        })
                        .map(|p| p.arn.clone())
                });
            match found {
                Some(group_arn) => groups.push(group_arn),
                None => {
                    warnings.push(g.warning(format!(
                        "group `{name}` (entry {i} of GroupList) is not in the export; its policies are unknown"
                    )));
                    groups.push(format!("arn:aws:iam::{account}:group/{name}"));
                }
            }
        }
        if let Some(p) = org.principals.get_mut(&arn) {
            p.groups = groups;
        }
    }
    Ok(())
}

fn read_tags(
    node: &Located<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(String, String)>, IngestError> {
    let mut tags = Vec::new();
    for t in node.optional_array("Tags")? {
        t.object("a tag")?;
        t.warn_unknown(TAG, "a tag", warnings);
        tags.push((
            t.required_str("Key")?.to_string(),
            t.optional_str("Value")?.unwrap_or_default().to_string(),
        ));
    }
    Ok(tags)
}

fn parse_document(node: &Located<'_>) -> Result<PolicyDocument, IngestError> {
    let result = match node.value {
        serde_json::Value::String(text) => policy::parse_policy_text(text, &node.pointer),
        other => policy::parse_policy(other, &node.pointer),
    };
    result.map_err(|e| IngestError::invalid(node.file, e.pointer.clone(), e.message.clone()))
}

/// Parses an identity policy (inline, managed or boundary): Principal is not allowed and every
/// statement needs Resource or NotResource. Actions the catalogue does not know are warnings:
/// they still match literally.
fn identity_document(
    node: &Located<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<PolicyDocument, IngestError> {
    let doc = parse_document(node)?;
    policy::validate_identity_policy(&doc, &node.pointer)
        .map_err(|e| IngestError::invalid(node.file, e.pointer.clone(), e.message.clone()))?;
    let catalogue = Catalogue::embedded();
    let mut unknown: Vec<&str> = Vec::new();
    for st in &doc.statements {
        let (ActionBlock::Action(actions) | ActionBlock::NotAction(actions)) = &st.action;
        for action in actions {
            let is_unknown = if Catalogue::has_wildcard(action) {
                let service = action.split(':').next().unwrap_or_default();
                !Catalogue::has_wildcard(service)
                    && action.contains(':')
                    && !catalogue.has_service(service)
            } else {
                catalogue.index_of(action).is_none()
            };
            if is_unknown && !unknown.contains(&action.as_str()) {
                unknown.push(action);
            }
        }
    }
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown.iter().take(5).map(|a| format!("`{a}`")).collect();
        let more = if unknown.len() > 5 {
            format!(" and {} more", unknown.len() - 5)
        } else {
            String::new()
        };
        warnings.push(node.warning(format!(
            "{} action(s) not in the AWS action catalogue ({}): {}{more}; they are matched literally",
            unknown.len(),
            catalogue.data_version(),
            shown.join(", ")
        )));
    }
    Ok(doc)
}

fn read_principal(
    node: &Located<'_>,
    kind: PrincipalKind,
    org: &mut AwsOrg,
    warnings: &mut Vec<Warning>,
) -> Result<String, IngestError> {
    let (what, known, name_key, id_key, inline_key) = match kind {
        PrincipalKind::User => ("a user", USER, "UserName", "UserId", "UserPolicyList"),
        PrincipalKind::Group => ("a group", GROUP, "GroupName", "GroupId", "GroupPolicyList"),
        PrincipalKind::Role => ("a role", ROLE, "RoleName", "RoleId", "RolePolicyList"),
        PrincipalKind::Anonymous | PrincipalKind::External => {
            return Err(node.error("only users, groups and roles are GAAD entries".to_string()))
        }
    };
    node.object(what)?;
    node.warn_unknown(known, what, warnings);
    let arn = node.required_str("Arn")?.to_string();
    let arn_node = node.required("Arn")?;
    let account = arn_account(&arn)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| arn_node.error(format!("`{arn}` is not an IAM ARN with an account id")))?
        .to_string();
    let name = node.required_str(name_key)?.to_string();
    let unique_id = node.optional_str(id_key)?.unwrap_or_default().to_string();
    let path = node.optional_str("Path")?.unwrap_or("/").to_string();
    let tags = read_tags(node, warnings)?;

    let mut policies = Vec::new();
    for inline in node.optional_array(inline_key)? {
        inline.object("an inline policy")?;
        inline.warn_unknown(INLINE, "an inline policy", warnings);
        let pname = inline.required_str("PolicyName")?.to_string();
        let document = identity_document(&inline.required("PolicyDocument")?, warnings)?;
        let id = AwsOrg::inline_policy_id(&arn, &pname);
        org.policies.insert(
            id.clone(),
            Policy {
                id: id.clone(),
                name: pname,
                kind: PolicyKind::Inline {
                    holder: arn.clone(),
                },
                version: None,
                document,
                source: Source {
                    file: node.file.to_path_buf(),
                    pointer: inline.pointer().to_string(),
                },
            },
        );
        policies.push(id);
    }
    for attached in node.optional_array("AttachedManagedPolicies")? {
        attached.object("an attached managed policy")?;
        attached.warn_unknown(ATTACHED, "an attached managed policy", warnings);
        let parn = attached.required_str("PolicyArn")?.to_string();
        if !org.policies.contains_key(&parn) {
            warnings.push(attached.warning(format!(
                "managed policy `{parn}` is not in the export's `Policies`; what it grants is unknown"
            )));
        }
        policies.push(parn);
    }
    let boundary = match node.get("PermissionsBoundary") {
        Some(b) => {
            b.object("a permissions boundary")?;
            b.warn_unknown(BOUNDARY, "a permissions boundary", warnings);
            let barn = b.required_str("PermissionsBoundaryArn")?.to_string();
            if !org.policies.contains_key(&barn) {
                warnings.push(b.warning(format!(
                    "permissions boundary `{barn}` is not in the export's `Policies`; it is treated as allowing nothing"
                )));
            }
            Some(barn)
        }
        None => None,
    };
    let trust_policy = match (kind, node.get("AssumeRolePolicyDocument")) {
        (PrincipalKind::Role, Some(doc)) => {
            let trust = parse_document(&doc)?;
            policy::validate_trust_policy(&trust, &doc.pointer).map_err(|e| {
                IngestError::invalid(doc.file, e.pointer.clone(), e.message.clone())
            })?;
            Some(trust)
        }
        _ => None,
    };
    let mut instance_profiles = Vec::new();
    if kind == PrincipalKind::Role {
        for ip in node.optional_array("InstanceProfileList")? {
            ip.object("an instance profile")?;
            ip.warn_unknown(INSTANCE_PROFILE, "an instance profile", warnings);
            instance_profiles.push(ip.required_str("Arn")?.to_string());
        }
    }
    if org.principals.contains_key(&arn) {
        warnings.push(node.warning(format!(
            "`{arn}` appears more than once; the last one is used"
        )));
    }
    org.principals.insert(
        arn.clone(),
        Principal {
            arn: arn.clone(),
            kind,
            name,
            unique_id,
            account,
            path,
            tags,
            groups: Vec::new(),
            policies,
            boundary,
            trust_policy,
            instance_profiles,
            source: Source {
                file: node.file.to_path_buf(),
                pointer: node.pointer().to_string(),
            },
        },
    );
    Ok(arn)
}

fn read_managed_policy(
    node: &Located<'_>,
    org: &mut AwsOrg,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    node.object("a managed policy")?;
    node.warn_unknown(POLICY, "a managed policy", warnings);
    let arn = node.required_str("Arn")?.to_string();
    let name = node.required_str("PolicyName")?.to_string();
    let default_id = node.optional_str("DefaultVersionId")?;
    let versions = node
        .required("PolicyVersionList")?
        .array("`PolicyVersionList`")?;
    let mut chosen = None;
    for v in &versions {
        v.object("a policy version")?;
        v.warn_unknown(VERSION, "a policy version", warnings);
        let is_default = match v.get("IsDefaultVersion") {
            Some(flag) => flag
                .value
                .as_bool()
                .ok_or_else(|| flag.error("expected `IsDefaultVersion` (a boolean)"))?,
            None => false,
        };
        let version_id = v.optional_str("VersionId")?;
        if is_default || (default_id.is_some() && version_id == default_id) {
            chosen = Some(v);
            break;
        }
    }
    let version = chosen.ok_or_else(|| {
        node.error(format!(
            "managed policy `{arn}` has no default version in `PolicyVersionList` (no `IsDefaultVersion: true`)"
        ))
    })?;
    let document = identity_document(&version.required("Document")?, warnings)?;
    let kind = if arn.starts_with("arn:aws:iam::aws:policy/") {
        PolicyKind::AwsManaged
    } else {
        PolicyKind::CustomerManaged
    };
    org.policies.insert(
        arn.clone(),
        Policy {
            id: arn,
            name,
            kind,
            version: version.optional_str("VersionId")?.map(str::to_string),
            document,
            source: Source {
                file: node.file.to_path_buf(),
                pointer: version.pointer().to_string(),
            },
        },
    );
    Ok(())
}

/// An org read from GAAD JSON text, for unit tests (panics on bad input).
#[cfg(test)]
pub(crate) fn test_org(gaad: &str) -> AwsOrg {
    let value: serde_json::Value = serde_json::from_str(gaad).expect("test JSON");
    let mut org = AwsOrg::default();
    let mut warnings = Vec::new();
    read(
        &crate::json::Located::root(&value, std::path::Path::new("gaad.json")),
        &mut org,
        &mut warnings,
    )
    .expect("test GAAD");
    org
}
