//! Reader for AWS resource-policy exports, in the exact shapes the AWS CLI prints, recognised by
//! content (never by file name). A file holds one export object, or a JSON list of them
//! (`[{...}, {...}]`, kinds may be mixed).
//!
//! # Accepted shapes and detection rules
//!
//! [`detect`] looks only at top-level keys (and, for `Attributes`, the keys inside). An object
//! with any key of another reader (`UserDetailList`, `GroupDetailList`, `RoleDetailList`,
//! `Policies`, `ResourceTagMappingList`) or of a bare policy document (`Version`, `Statement`)
//! is never detected. The families below are mutually exclusive; an object matching two of them
//! is [`ExportKind::Unattributed`] (an error on read, naming the conflicting fields).
//!
//! | Family key | CLI command | Kind | How the resource is named |
//! |---|---|---|---|
//! | `PublicAccessBlockConfiguration` | `s3api get-public-access-block` / `s3control get-public-access-block` | [`ExportKind::S3PublicAccessBlock`] | user-added `Bucket` (name or `arn:…:s3:::name`) **or** `AccountId` (12 digits), exactly one |
//! | `OwnershipControls` | `s3api get-bucket-ownership-controls` | [`ExportKind::S3OwnershipControls`] | user-added `Bucket` (required) |
//! | `Attributes` with `QueueArn` | `sqs get-queue-attributes --attribute-names All` | [`ExportKind::SqsQueueAttributes`] | `Attributes.QueueArn` |
//! | `Attributes` with `TopicArn` (no `SubscriptionArn`) | `sns get-topic-attributes` | [`ExportKind::SnsTopicAttributes`] | `Attributes.TopicArn` |
//! | `ResourcePolicy` with `ARN` or `Name` | `secretsmanager get-resource-policy` | [`ExportKind::SecretResourcePolicy`] | `ARN` (required) |
//! | `policyText` with `repositoryName` | `ecr get-repository-policy` | [`ExportKind::EcrRepositoryPolicy`] | user-added `repositoryArn`, or `registryId` + `repositoryName` + user-added `region` |
//! | `Policy` (a **string**) or `KeyMetadata` | see below | see below | see below |
//!
//! `Attributes` holding a `Policy` but neither `QueueArn` nor `TopicArn` (e.g.
//! `--attribute-names Policy`) is [`ExportKind::Unattributed`]: add `QueueArn` or `TopicArn`
//! inside `Attributes`. `Attributes` with `SubscriptionArn` (SNS subscriptions) is not detected.
//!
//! The `{"Policy": "<json string>"}` family is told apart by marker fields; exactly one group
//! of markers may be present:
//!
//! - **KMS** (`kms get-key-policy`, [`ExportKind::KmsKeyPolicy`]): `PolicyName`, `KeyArn`,
//!   `KeyId` or `KeyMetadata` (a `describe-key` output merged into the same object). The key
//!   ARN comes from `KeyArn`, `KeyId` (only when it is a key ARN) or `KeyMetadata.Arn`; they
//!   must agree. A bare key ID or an alias is an error asking for `KeyArn`.
//! - **Lambda** (`lambda get-policy`, [`ExportKind::LambdaPolicy`]): `RevisionId` or
//!   `FunctionArn`. The function ARN is `FunctionArn`, else the single Lambda function ARN that
//!   every statement's `Resource` names (an error asking for `FunctionArn` otherwise).
//! - **S3** (`s3api get-bucket-policy`, [`ExportKind::S3BucketPolicy`]): user-added `Bucket`
//!   (a name, read in partition `aws`, or a bucket ARN) and, optionally, user-added `AccountId`
//!   (the bucket owner's 12-digit id: S3 ARNs name no account, and the owner decides which
//!   callers are of the same account and which account-level Block Public Access applies).
//! - **No marker** ([`ExportKind::BarePolicy`]): only `{"Policy": "..."}`, which S3, older KMS
//!   CLIs and others all print. It is read as an **S3 bucket policy only if every statement's
//!   `Resource` names the same bucket** (`arn:P:s3:::b` or `arn:P:s3:::b/...`, no wildcard in
//!   the bucket name; S3 rejects bucket policies naming other resources). Anything else is an
//!   error asking for `Bucket`, `KeyArn` or `FunctionArn`. Nothing is guessed silently.
//!
//! `{"KeyMetadata": {...}}` alone (`kms describe-key`) is [`ExportKind::KmsDescribeKey`]: it
//! records `KeyMetadata.KeyManager` (`AWS` or `CUSTOMER`) under `KeyMetadata.Arn`, merged with
//! key policies by key ARN.
//!
//! A JSON list is [`ExportKind::List`] when it is non-empty and every element is detected.
//!
//! # Reading
//!
//! Policies are parsed with [`policy::parse_policy_text`]; their errors point below the JSON
//! pointer of the string (`/Policy/Statement/0/Effect`, `/Attributes/Policy`, ...). Every
//! statement must have `Principal` or `NotPrincipal`. Unknown fields are warnings. Reading the
//! same resource twice is fine when the contents are equal and an error when they differ. An
//! SQS queue, SNS topic or secret without a policy adds nothing. `ResponseMetadata` (printed by
//! SDKs) is accepted everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::aws::model::Source;
use crate::aws::policy::{self, PolicyDocument, ResourceBlock};
use crate::error::{IngestError, Warning};
use crate::json::Located;

#[cfg(test)]
mod tests;

/// The service whose resource a policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Service {
    S3Bucket,
    Sqs,
    Sns,
    Secret,
    KmsKey,
    Lambda,
    Ecr,
    /// Any other resource with a resource-based policy (from a Simulation's `resourcePolicy`).
    Other,
}

impl Service {
    /// A short lowercase name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::S3Bucket => "S3 bucket",
            Service::Sqs => "SQS queue",
            Service::Sns => "SNS topic",
            Service::Secret => "Secrets Manager secret",
            Service::KmsKey => "KMS key",
            Service::Lambda => "Lambda function",
            Service::Ecr => "ECR repository",
            Service::Other => "resource",
        }
    }
}

/// One resource-based policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePolicy {
    /// The resource's ARN (the map key).
    pub arn: String,
    pub service: Service,
    pub document: PolicyDocument,
    /// The export object the policy came from.
    pub source: Source,
}

/// S3 Block Public Access settings (bucket or account level). A field missing from the export
/// reads as `false` (what AWS applies), with a warning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BpaSettings {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// Who manages a KMS key (`KeyMetadata.KeyManager`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KeyManager {
    Aws,
    Customer,
}

/// Everything read from resource-policy exports, keyed for deterministic iteration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePolicies {
    /// Resource ARN → policy.
    pub policies: BTreeMap<String, ResourcePolicy>,
    /// Bucket ARN (`arn:…:s3:::name`) or 12-digit account ID → Block Public Access settings.
    pub s3_block_public_access: BTreeMap<String, BpaSettings>,
    /// Bucket ARN → `ObjectOwnership` (`BucketOwnerEnforced`, `BucketOwnerPreferred`,
    /// `ObjectWriter`).
    pub s3_ownership: BTreeMap<String, String>,
    /// Key ARN → key manager.
    pub kms_key_manager: BTreeMap<String, KeyManager>,
    /// Bucket ARN → the 12-digit id of the account that owns it (user-added `AccountId` of a
    /// `get-bucket-policy` export; S3 ARNs name no account).
    pub s3_bucket_account: BTreeMap<String, String>,
}

/// What kind of resource-policy export a JSON document is. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExportKind {
    S3BucketPolicy,
    S3PublicAccessBlock,
    S3OwnershipControls,
    SqsQueueAttributes,
    SnsTopicAttributes,
    SecretResourcePolicy,
    KmsKeyPolicy,
    KmsDescribeKey,
    LambdaPolicy,
    EcrRepositoryPolicy,
    /// `{"Policy": "..."}` with no identifying field: an S3 bucket policy if its `Resource`
    /// elements name one bucket, else an error.
    BarePolicy,
    /// A resource-policy export that cannot be attributed to a resource (conflicting marker
    /// fields, or `Attributes` without an ARN): reading it is an error naming the field to add.
    Unattributed,
    /// A non-empty JSON list whose every element is detected.
    List,
}

const FOREIGN_KEYS: &[&str] = &[
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "ResourceTagMappingList",
    "Version",
    "Statement",
];
const META: &str = "ResponseMetadata";

const BPA_TOP: &[&str] = &[
    "PublicAccessBlockConfiguration",
    "Bucket",
    "AccountId",
    META,
];
const BPA_FIELDS: &[&str] = &[
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];
const OWNERSHIP_TOP: &[&str] = &["OwnershipControls", "Bucket", META];
const OWNERSHIP_VALUES: &[&str] = &[
    "BucketOwnerEnforced",
    "BucketOwnerPreferred",
    "ObjectWriter",
];
const ATTRIBUTES_TOP: &[&str] = &["Attributes", META];
const SQS_ATTRIBUTES: &[&str] = &[
    "QueueArn",
    "Policy",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];
const SNS_ATTRIBUTES: &[&str] = &[
    "TopicArn",
    "Policy",
    "Owner",
    "DisplayName",
    "SubscriptionsConfirmed",
    "SubscriptionsPending",
    "SubscriptionsDeleted",
    "DeliveryPolicy",
    "EffectiveDeliveryPolicy",
    "KmsMasterKeyId",
    "FifoTopic",
    "ContentBasedDeduplication",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "BeginningArchiveTime",
    "DataProtectionPolicy",
    "FifoThroughputScope",
];
const SECRET_TOP: &[&str] = &["ARN", "Name", "ResourcePolicy", META];
const ECR_TOP: &[&str] = &[
    "registryId",
    "repositoryName",
    "policyText",
    "repositoryArn",
    "region",
    META,
];
const S3_POLICY_TOP: &[&str] = &["Policy", "Bucket", "AccountId", META];
const KMS_POLICY_TOP: &[&str] = &[
    "Policy",
    "PolicyName",
    "KeyId",
    "KeyArn",
    "KeyMetadata",
    META,
];
const KMS_DESCRIBE_TOP: &[&str] = &["KeyMetadata", META];
const KEY_METADATA: &[&str] = &[
    "AWSAccountId",
    "KeyId",
    "Arn",
    "CreationDate",
    "Enabled",
    "Description",
    "KeyUsage",
    "KeyState",
    "DeletionDate",
    "ValidTo",
    "Origin",
    "CustomKeyStoreId",
    "CloudHsmClusterId",
    "ExpirationModel",
    "KeyManager",
    "CustomerMasterKeySpec",
    "KeySpec",
    "EncryptionAlgorithms",
    "SigningAlgorithms",
    "KeyAgreementAlgorithms",
    "MultiRegion",
    "MultiRegionConfiguration",
    "PendingDeletionWindowInDays",
    "MacAlgorithms",
    "XksKeyConfiguration",
    "CurrentKeyMaterialId",
];
const LAMBDA_TOP: &[&str] = &["Policy", "RevisionId", "FunctionArn", META];
const BARE_TOP: &[&str] = &["Policy", META];

const KMS_MARKERS: &[&str] = &["PolicyName", "KeyArn", "KeyId", "KeyMetadata"];
const LAMBDA_MARKERS: &[&str] = &["RevisionId", "FunctionArn"];
const S3_MARKERS: &[&str] = &["Bucket"];

/// Which top-level families an object belongs to, with the key that put it there.
fn families(m: &Map<String, Value>) -> Vec<&'static str> {
    let mut out = Vec::new();
    if m.contains_key("PublicAccessBlockConfiguration") {
        out.push("PublicAccessBlockConfiguration");
    }
    if m.contains_key("OwnershipControls") {
        out.push("OwnershipControls");
    }
    if let Some(a) = m.get("Attributes").and_then(Value::as_object) {
        if !a.contains_key("SubscriptionArn")
            && ["QueueArn", "TopicArn", "Policy"]
                .iter()
                .any(|k| a.contains_key(*k))
        {
            out.push("Attributes");
        }
    }
    if m.contains_key("ResourcePolicy") && (m.contains_key("ARN") || m.contains_key("Name")) {
        out.push("ResourcePolicy");
    }
    if m.contains_key("policyText") && m.contains_key("repositoryName") {
        out.push("policyText");
    }
    if m.get("Policy").is_some_and(Value::is_string)
        || m.get("KeyMetadata").is_some_and(Value::is_object)
    {
        out.push("Policy");
    }
    out
}

fn present(m: &Map<String, Value>, keys: &[&'static str]) -> Vec<&'static str> {
    keys.iter()
        .copied()
        .filter(|k| m.get(*k).is_some_and(|v| !v.is_null()))
        .collect()
}

/// Classifies an object, or says why it is a resource-policy export that names no resource.
/// `Ok(None)`: not a resource-policy export.
fn classify(m: &Map<String, Value>) -> Result<Option<ExportKind>, String> {
    if FOREIGN_KEYS.iter().any(|k| m.contains_key(*k)) {
        return Ok(None);
    }
    let fams = families(m);
    let family = match fams.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        many => {
            return Err(format!(
                "the object mixes the fields of several exports ({}); put each in its own object",
                many.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    };
    let kind = match family {
        "PublicAccessBlockConfiguration" => ExportKind::S3PublicAccessBlock,
        "OwnershipControls" => ExportKind::S3OwnershipControls,
        "ResourcePolicy" => ExportKind::SecretResourcePolicy,
        "policyText" => ExportKind::EcrRepositoryPolicy,
        "Attributes" => {
            let a = m.get("Attributes").and_then(Value::as_object);
            let has = |k: &str| a.is_some_and(|a| a.contains_key(k));
            match (has("QueueArn"), has("TopicArn")) {
                (true, false) => ExportKind::SqsQueueAttributes,
                (false, true) => ExportKind::SnsTopicAttributes,
                (true, true) => {
                    return Err(
                        "`Attributes` has both `QueueArn` and `TopicArn`: keep the one that names this resource"
                            .into(),
                    )
                }
                (false, false) => {
                    return Err("`Attributes` names no resource: add `QueueArn` (SQS, or export with `--attribute-names All`) or `TopicArn` (SNS) inside `Attributes`".into())
                }
            }
        }
        _ => {
            let kms = present(m, KMS_MARKERS);
            let lambda = present(m, LAMBDA_MARKERS);
            let s3 = present(m, S3_MARKERS);
            let groups: Vec<&Vec<&str>> = [&kms, &lambda, &s3]
                .into_iter()
                .filter(|g| !g.is_empty())
                .collect();
            if groups.len() > 1 {
                let all: Vec<String> = groups
                    .iter()
                    .flat_map(|g| g.iter().map(|k| format!("`{k}`")))
                    .collect();
                return Err(format!(
                    "conflicting identifying fields {}: `Bucket` marks an S3 bucket policy, `KeyArn`/`KeyId`/`PolicyName`/`KeyMetadata` a KMS key policy, `FunctionArn`/`RevisionId` a Lambda policy; keep one kind",
                    all.join(", ")
                ));
            }
            let has_policy = m.get("Policy").is_some_and(Value::is_string);
            if !kms.is_empty() {
                if has_policy {
                    ExportKind::KmsKeyPolicy
                } else if kms == ["KeyMetadata"] {
                    ExportKind::KmsDescribeKey
                } else {
                    return Ok(None);
                }
            } else if !has_policy {
                return Ok(None);
            } else if !lambda.is_empty() {
                ExportKind::LambdaPolicy
            } else if !s3.is_empty() {
                ExportKind::S3BucketPolicy
            } else {
                ExportKind::BarePolicy
            }
        }
    };
    Ok(Some(kind))
}

/// The kind of resource-policy export `value` is, or `None` when it is not one.
pub fn detect(value: &Value) -> Option<ExportKind> {
    match value {
        Value::Object(m) => classify(m).unwrap_or(Some(ExportKind::Unattributed)),
        Value::Array(items) => {
            let all =
                !items.is_empty() && items.iter().all(|v| v.is_object() && detect(v).is_some());
            all.then_some(ExportKind::List)
        }
        _ => None,
    }
}

/// Reads one resource-policy export (of the kind [`detect`] returned) into `into`.
pub fn read(
    root: &Located<'_>,
    kind: ExportKind,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    match kind {
        ExportKind::List => {
            for item in root.array("a list of resource-policy exports")? {
                let kind = match item.value {
                    Value::Object(_) => detect(item.value),
                    _ => None,
                }
                .ok_or_else(|| item.error("not a recognised resource-policy export"))?;
                read(&item, kind, into, warnings)?;
            }
            Ok(())
        }
        ExportKind::Unattributed => {
            let m = root.object("a resource-policy export")?;
            let reason = match classify(m) {
                Err(reason) => reason,
                Ok(_) => "the export names no resource".to_string(),
            };
            Err(root.error(format!(
                "cannot attribute this export to a resource: {reason}"
            )))
        }
        ExportKind::S3PublicAccessBlock => read_bpa(root, into, warnings),
        ExportKind::S3OwnershipControls => read_ownership(root, into, warnings),
        ExportKind::SqsQueueAttributes => read_attributes(root, Service::Sqs, into, warnings),
        ExportKind::SnsTopicAttributes => read_attributes(root, Service::Sns, into, warnings),
        ExportKind::SecretResourcePolicy => read_secret(root, into, warnings),
        ExportKind::EcrRepositoryPolicy => read_ecr(root, into, warnings),
        ExportKind::KmsKeyPolicy => read_kms_policy(root, into, warnings),
        ExportKind::KmsDescribeKey => {
            root.object("a describe-key output")?;
            root.warn_unknown(KMS_DESCRIBE_TOP, "the describe-key output", warnings);
            read_key_metadata(&root.required("KeyMetadata")?, into, warnings).map(|_| ())
        }
        ExportKind::LambdaPolicy => read_lambda(root, into, warnings),
        ExportKind::S3BucketPolicy | ExportKind::BarePolicy => read_s3_policy(root, into, warnings),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// The six components of an ARN, if `s` is one.
fn arn_parts(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    let parts = [
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ];
    (parts[0] == "arn" && !parts[1].is_empty()).then_some(parts)
}

fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

fn source(node: &Located<'_>) -> Source {
    Source {
        file: node.file.to_path_buf(),
        pointer: node.pointer().to_string(),
    }
}

fn policy_error(node: &Located<'_>, e: policy::PolicyError) -> IngestError {
    IngestError::invalid(node.file, e.pointer, e.message)
}

/// Parses the policy string at `node`; every statement must name a principal.
fn parse_resource_policy(node: &Located<'_>) -> Result<PolicyDocument, IngestError> {
    let text = node.string("a policy document as a JSON string")?;
    let doc = policy::parse_policy_text(text, &node.pointer).map_err(|e| policy_error(node, e))?;
    for st in &doc.statements {
        if st.principal.is_none() && st.not_principal.is_none() {
            return Err(IngestError::invalid(
                node.file,
                doc.statement_pointer(&node.pointer, st.index),
                "a resource-based policy statement needs `Principal` or `NotPrincipal`",
            ));
        }
    }
    Ok(doc)
}

/// Every `Resource` value of every statement (not `NotResource`).
fn resources(doc: &PolicyDocument) -> Vec<&str> {
    doc.statements
        .iter()
        .filter_map(|st| match &st.resource {
            Some(ResourceBlock::Resource(r)) => Some(r.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The one bucket ARN every `Resource` names, or why there is none.
fn bucket_from_resources(doc: &PolicyDocument) -> Result<String, String> {
    let mut found: Option<String> = None;
    let all = resources(doc);
    if all.is_empty() {
        return Err("no statement has a `Resource`".into());
    }
    for r in all {
        let bucket_arn = match arn_parts(r) {
            Some([_, p, "s3", "", "", rest]) => {
                let bucket = rest.split('/').next().unwrap_or_default();
                if bucket.is_empty() || bucket.contains(['*', '?']) {
                    return Err(format!("`Resource` `{r}` does not name one bucket"));
                }
                format!("arn:{p}:s3:::{bucket}")
            }
            _ => {
                return Err(format!(
                    "`Resource` `{r}` is not an S3 bucket or object ARN"
                ))
            }
        };
        match &found {
            Some(f) if *f != bucket_arn => {
                return Err(format!(
                    "`Resource` elements name several buckets (`{f}`, `{bucket_arn}`)"
                ))
            }
            Some(_) => {}
            None => found = Some(bucket_arn),
        }
    }
    found.ok_or_else(|| "no statement has a `Resource`".into())
}

/// A bucket name or bucket ARN given by the user, as a bucket ARN.
fn bucket_arn(node: &Located<'_>) -> Result<String, IngestError> {
    let s = node.string("`Bucket` (a bucket name or ARN)")?;
    if s.starts_with("arn:") {
        match arn_parts(s) {
            Some(["arn", _, "s3", "", "", name]) if !name.is_empty() && !name.contains('/') => {
                Ok(s.to_string())
            }
            _ => Err(node.error(format!(
                "`{s}` is not an S3 bucket ARN (`arn:aws:s3:::bucket-name`)"
            ))),
        }
    } else if s.is_empty() || s.contains(['/', ':', '*', '?']) {
        Err(node.error(format!("`{s}` is not a bucket name")))
    } else {
        Ok(format!("arn:aws:s3:::{s}"))
    }
}

/// A required or optional ARN string of `service` (and, if given, resource prefix).
fn checked_arn(
    node: &Located<'_>,
    what: &str,
    service: &str,
    resource_prefix: &str,
) -> Result<String, IngestError> {
    let s = node.string(what)?;
    match arn_parts(s) {
        Some(p) if p[2] == service && p[5].starts_with(resource_prefix) => Ok(s.to_string()),
        _ => Err(node.error(format!(
            "`{s}` is not a {service} ARN (`arn:aws:{service}:region:account:{resource_prefix}...`)"
        ))),
    }
}

fn insert_policy(
    into: &mut ResourcePolicies,
    node: &Located<'_>,
    arn: String,
    service: Service,
    document: PolicyDocument,
) -> Result<(), IngestError> {
    if let Some(old) = into.policies.get(&arn) {
        if old.service == service && old.document == document {
            return Ok(());
        }
        return Err(node.error(format!(
            "a different policy for `{arn}` was already read from {} at {}",
            old.source.file.display(),
            old.source.pointer
        )));
    }
    into.policies.insert(
        arn.clone(),
        ResourcePolicy {
            arn,
            service,
            document,
            source: source(node),
        },
    );
    Ok(())
}

fn insert_setting<V: PartialEq>(
    map: &mut BTreeMap<String, V>,
    node: &Located<'_>,
    key: String,
    value: V,
    what: &str,
) -> Result<(), IngestError> {
    match map.get(&key) {
        Some(old) if *old != value => Err(node.error(format!(
            "{what} for `{key}` differs from the one read earlier"
        ))),
        Some(_) => Ok(()),
        None => {
            map.insert(key, value);
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Readers

fn read_bpa(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-public-access-block output")?;
    root.warn_unknown(BPA_TOP, "the get-public-access-block output", warnings);
    let key = match (root.get("Bucket"), root.get("AccountId")) {
        (Some(b), None) => bucket_arn(&b)?,
        (None, Some(a)) => {
            let id = a.string("`AccountId`")?;
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(a.error(format!("`{id}` is not a 12-digit account ID")));
            }
            id.to_string()
        }
        (Some(_), Some(_)) => {
            return Err(root.error(
                "both `Bucket` and `AccountId`: keep `Bucket` for `s3api get-public-access-block` (bucket level) or `AccountId` for `s3control get-public-access-block` (account level)",
            ))
        }
        (None, None) => {
            return Err(root.error(
                "cannot attribute these Block Public Access settings: add `Bucket` (bucket level, `s3api get-public-access-block`) or `AccountId` (account level, `s3control get-public-access-block`)",
            ))
        }
    };
    let cfg = root.required("PublicAccessBlockConfiguration")?;
    cfg.object("`PublicAccessBlockConfiguration`")?;
    cfg.warn_unknown(BPA_FIELDS, "`PublicAccessBlockConfiguration`", warnings);
    let mut flag = |name: &str| -> Result<bool, IngestError> {
        match cfg.get(name) {
            Some(v) => v
                .value
                .as_bool()
                .ok_or_else(|| v.error(format!("expected `{name}` to be true or false"))),
            None => {
                warnings.push(cfg.warning(format!("`{name}` is missing; read as false")));
                Ok(false)
            }
        }
    };
    let settings = BpaSettings {
        block_public_acls: flag("BlockPublicAcls")?,
        ignore_public_acls: flag("IgnorePublicAcls")?,
        block_public_policy: flag("BlockPublicPolicy")?,
        restrict_public_buckets: flag("RestrictPublicBuckets")?,
    };
    insert_setting(
        &mut into.s3_block_public_access,
        root,
        key,
        settings,
        "Block Public Access setting",
    )
}

fn read_ownership(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-bucket-ownership-controls output")?;
    root.warn_unknown(
        OWNERSHIP_TOP,
        "the get-bucket-ownership-controls output",
        warnings,
    );
    let bucket = match root.get("Bucket") {
        Some(b) => bucket_arn(&b)?,
        None => return Err(root.error(
            "cannot attribute these ownership controls to a bucket: add `Bucket` (the bucket name)",
        )),
    };
    let controls = root.required("OwnershipControls")?;
    controls.object("`OwnershipControls`")?;
    controls.warn_unknown(&["Rules"], "`OwnershipControls`", warnings);
    let rules = controls.required("Rules")?.array("`Rules`")?;
    let Some(first) = rules.first() else {
        return Err(controls.error("`Rules` is empty: expected one `ObjectOwnership` rule"));
    };
    if rules.len() > 1 {
        warnings.push(
            controls
                .warning("more than one ownership rule (S3 allows one); only the first is used"),
        );
    }
    first.object("an ownership rule")?;
    first.warn_unknown(&["ObjectOwnership"], "an ownership rule", warnings);
    let value = first.required_str("ObjectOwnership")?;
    if !OWNERSHIP_VALUES.contains(&value) {
        warnings.push(
            first
                .required("ObjectOwnership")?
                .warning(format!("unknown `ObjectOwnership` value `{value}`")),
        );
    }
    insert_setting(
        &mut into.s3_ownership,
        root,
        bucket,
        value.to_string(),
        "object ownership",
    )
}

fn read_attributes(
    root: &Located<'_>,
    service: Service,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    let (what, arn_key, arn_service, known) = match service {
        Service::Sqs => (
            "the get-queue-attributes output",
            "QueueArn",
            "sqs",
            SQS_ATTRIBUTES,
        ),
        _ => (
            "the get-topic-attributes output",
            "TopicArn",
            "sns",
            SNS_ATTRIBUTES,
        ),
    };
    root.object(what)?;
    root.warn_unknown(ATTRIBUTES_TOP, what, warnings);
    let attrs = root.required("Attributes")?;
    let map = attrs.object("`Attributes`")?;
    for key in map.keys() {
        let sns_feedback = service == Service::Sns
            && (key.ends_with("FeedbackRoleArn") || key.ends_with("FeedbackSampleRate"));
        if !known.contains(&key.as_str()) && !sns_feedback {
            if let Some(v) = attrs.get(key) {
                warnings.push(v.warning(format!("unknown attribute `{key}`, ignored")));
            }
        }
    }
    let arn = checked_arn(&attrs.required(arn_key)?, arn_key, arn_service, "")?;
    match attrs.get("Policy") {
        Some(p) => {
            let doc = parse_resource_policy(&p)?;
            insert_policy(into, root, arn, service, doc)
        }
        None => Ok(()),
    }
}

fn read_secret(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-resource-policy output")?;
    root.warn_unknown(
        SECRET_TOP,
        "the secretsmanager get-resource-policy output",
        warnings,
    );
    let Some(arn_node) = root.get("ARN") else {
        return Err(root.error(
            "cannot attribute this secret policy: add `ARN` (the secret's ARN; `Name` alone does not give region and account)",
        ));
    };
    let arn = checked_arn(&arn_node, "`ARN`", "secretsmanager", "secret:")?;
    match root.get("ResourcePolicy") {
        Some(p) => {
            let doc = parse_resource_policy(&p)?;
            insert_policy(into, root, arn, Service::Secret, doc)
        }
        None => Ok(()),
    }
}

fn read_ecr(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-repository-policy output")?;
    root.warn_unknown(ECR_TOP, "the ecr get-repository-policy output", warnings);
    let name = root.required_str("repositoryName")?;
    let registry = root.optional_str("registryId")?;
    let arn = if let Some(node) = root.get("repositoryArn") {
        let arn = checked_arn(&node, "`repositoryArn`", "ecr", "repository/")?;
        let parts = arn_parts(&arn).unwrap_or_default();
        let matches_name = parts[5].strip_prefix("repository/") == Some(name);
        let matches_registry = registry.is_none_or(|r| parts[4] == r);
        if !matches_name || !matches_registry {
            return Err(node.error(format!(
                "`repositoryArn` `{arn}` does not match `registryId`/`repositoryName`"
            )));
        }
        arn
    } else {
        match (registry, root.optional_str("region")?) {
            (Some(reg), Some(region)) => {
                let p = partition_for_region(region);
                format!("arn:{p}:ecr:{region}:{reg}:repository/{name}")
            }
            _ => {
                return Err(root.error(
                    "cannot attribute this repository policy: the output has no region; add `region` (with `registryId`) or `repositoryArn`",
                ))
            }
        }
    };
    let doc = parse_resource_policy(&root.required("policyText")?)?;
    insert_policy(into, root, arn, Service::Ecr, doc)
}

/// Reads `KeyMetadata`: records the key manager and returns the key ARN.
fn read_key_metadata(
    meta: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<String, IngestError> {
    meta.object("`KeyMetadata`")?;
    meta.warn_unknown(KEY_METADATA, "`KeyMetadata`", warnings);
    let arn = checked_arn(&meta.required("Arn")?, "`Arn`", "kms", "key/")?;
    if let Some(m) = meta.get("KeyManager") {
        let manager = match m.string("`KeyManager`")? {
            "AWS" => KeyManager::Aws,
            "CUSTOMER" => KeyManager::Customer,
            other => {
                return Err(m.error(format!(
                    "unknown `KeyManager` `{other}`: expected \"AWS\" or \"CUSTOMER\""
                )))
            }
        };
        insert_setting(
            &mut into.kms_key_manager,
            meta,
            arn.clone(),
            manager,
            "key manager",
        )?;
    } else {
        warnings.push(meta.warning("no `KeyManager`: key manager unknown"));
    }
    Ok(arn)
}

fn read_kms_policy(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-key-policy output")?;
    root.warn_unknown(KMS_POLICY_TOP, "the get-key-policy output", warnings);
    if let Some(n) = root.get("PolicyName") {
        let name = n.string("`PolicyName`")?;
        if name != "default" {
            warnings.push(n.warning(format!(
                "`PolicyName` is `{name}`; KMS keys have only the `default` policy"
            )));
        }
    }
    let mut candidates: Vec<(String, Located<'_>)> = Vec::new();
    if let Some(n) = root.get("KeyArn") {
        candidates.push((checked_arn(&n, "`KeyArn`", "kms", "key/")?, n));
    }
    if let Some(n) = root.get("KeyId") {
        let id = n.string("`KeyId`")?;
        if id.starts_with("arn:") {
            candidates.push((checked_arn(&n, "`KeyId`", "kms", "key/")?, n));
        } else if root.get("KeyArn").is_none() && root.get("KeyMetadata").is_none() {
            return Err(n.error(format!(
                "`KeyId` `{id}` is not a key ARN: add `KeyArn` (`arn:aws:kms:region:account:key/{id}`); a key ID gives no region or account"
            )));
        }
    }
    if let Some(n) = root.get("KeyMetadata") {
        let arn = read_key_metadata(&n, into, warnings)?;
        candidates.push((arn, n));
    }
    let Some((arn, _)) = candidates.first() else {
        return Err(root.error("cannot attribute this key policy: add `KeyArn` (the key's ARN)"));
    };
    let arn = arn.clone();
    if let Some((other, n)) = candidates.iter().find(|(a, _)| *a != arn) {
        return Err(n.error(format!("`{other}` and `{arn}` name different keys")));
    }
    let doc = parse_resource_policy(&root.required("Policy")?)?;
    insert_policy(into, root, arn, Service::KmsKey, doc)
}

fn is_function_arn(s: &str) -> bool {
    matches!(arn_parts(s), Some([_, _, "lambda", r, a, rest])
        if !r.is_empty() && !a.is_empty() && rest.starts_with("function:") && rest.len() > 9)
}

fn read_lambda(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a lambda get-policy output")?;
    root.warn_unknown(LAMBDA_TOP, "the lambda get-policy output", warnings);
    let policy_node = root.required("Policy")?;
    let doc = parse_resource_policy(&policy_node)?;
    let mut named: Vec<&str> = resources(&doc);
    named.sort_unstable();
    named.dedup();
    let arn = match root.get("FunctionArn") {
        Some(n) => {
            let arn = n.string("`FunctionArn`")?;
            if !is_function_arn(arn) {
                return Err(n.error(format!("`{arn}` is not a Lambda function ARN")));
            }
            if named.iter().any(|r| *r != arn) {
                warnings.push(n.warning(format!(
                    "the policy's `Resource` elements ({}) differ from `FunctionArn`; the policy is attributed to `FunctionArn`",
                    named.join(", ")
                )));
            }
            arn.to_string()
        }
        None => match named.as_slice() {
            [one] if is_function_arn(one) => (*one).to_string(),
            _ => {
                return Err(root.error(format!(
                    "cannot attribute this Lambda policy: its `Resource` elements ({}) are not one Lambda function ARN; add `FunctionArn`",
                    if named.is_empty() { "none".to_string() } else { named.join(", ") }
                )))
            }
        },
    };
    insert_policy(into, root, arn, Service::Lambda, doc)
}

fn read_s3_policy(
    root: &Located<'_>,
    into: &mut ResourcePolicies,
    warnings: &mut Vec<Warning>,
) -> Result<(), IngestError> {
    root.object("a get-bucket-policy output")?;
    let explicit = root.get("Bucket");
    let named = explicit.is_some();
    root.warn_unknown(
        if named { S3_POLICY_TOP } else { BARE_TOP },
        "the get-bucket-policy output",
        warnings,
    );
    let doc = parse_resource_policy(&root.required("Policy")?)?;
    let inferred = bucket_from_resources(&doc);
    let arn = match (explicit, inferred) {
        (Some(b), inferred) => {
            let arn = bucket_arn(&b)?;
            match inferred {
                Ok(i) if i == arn => {}
                Ok(i) => warnings.push(b.warning(format!(
                    "the policy's `Resource` elements name `{i}`, not `Bucket` `{arn}`; attributed to `Bucket`"
                ))),
                Err(reason) => warnings.push(b.warning(format!(
                    "the policy's `Resource` elements do not name this bucket: {reason}"
                ))),
            }
            arn
        }
        (None, Ok(arn)) => arn,
        (None, Err(reason)) => {
            return Err(root.error(format!(
                "cannot attribute this `{{\"Policy\": ...}}` export to a resource ({reason}): add `Bucket` (S3 get-bucket-policy), `KeyArn` (KMS get-key-policy) or `FunctionArn` (Lambda get-policy)"
            )))
        }
    };
    if let Some(a) = root.get("AccountId").filter(|_| named) {
        let id = a.string("`AccountId`")?;
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(a.error(format!(
                "`{id}` is not a 12-digit account ID (the bucket owner)"
            )));
        }
        insert_setting(
            &mut into.s3_bucket_account,
            &a,
            arn.clone(),
            id.to_string(),
            "the bucket owner `AccountId`",
        )?;
    }
    insert_policy(into, root, arn, Service::S3Bucket, doc)
}
