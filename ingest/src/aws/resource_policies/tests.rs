use std::path::Path;

use serde_json::json;

use super::*;

const FILE: &str = "exports/resource.json";

/// A policy document as the JSON string the CLI prints.
fn text(doc: Value) -> String {
    serde_json::to_string(&doc).unwrap()
}

fn bucket_policy_text(bucket: &str) -> String {
    text(json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": format!("arn:aws:s3:::{bucket}/*")},
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
             "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]
    }))
}

fn key_policy_text() -> String {
    text(json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*",
            "Resource": "*"
        }]
    }))
}

const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const FN_ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:my-function";

fn lambda_policy_text(resource: &str) -> String {
    text(json!({
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [{
            "Sid": "s3-invoke",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": resource,
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}}
        }]
    }))
}

fn load(v: &Value) -> Result<(ResourcePolicies, Vec<Warning>), IngestError> {
    let kind = detect(v).expect("detected");
    let root = Located::root(v, Path::new(FILE));
    let mut out = ResourcePolicies::default();
    let mut warnings = Vec::new();
    read(&root, kind, &mut out, &mut warnings)?;
    Ok((out, warnings))
}

fn ok(v: &Value) -> (ResourcePolicies, Vec<Warning>) {
    load(v).unwrap()
}

/// The pointer and message of an `Invalid` error.
fn err(v: &Value) -> (String, String) {
    match load(v).unwrap_err() {
        IngestError::Invalid {
            file,
            pointer,
            message,
        } => {
            assert_eq!(file, Path::new(FILE));
            (pointer, message)
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn s3_bucket_policy_with_bucket_field() {
    let v = json!({"Bucket": "my-bucket", "Policy": bucket_policy_text("my-bucket")});
    assert_eq!(detect(&v), Some(ExportKind::S3BucketPolicy));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty(), "{warnings:?}");
    let p = &out.policies["arn:aws:s3:::my-bucket"];
    assert_eq!(p.service, Service::S3Bucket);
    assert_eq!(p.document.statements.len(), 2);
    assert_eq!(p.source.pointer, "/");
    assert_eq!(p.source.file, Path::new(FILE));
}

#[test]
fn s3_bucket_policy_bucket_mismatch_warns() {
    let v = json!({"Bucket": "arn:aws:s3:::other", "Policy": bucket_policy_text("my-bucket")});
    let (out, warnings) = ok(&v);
    assert!(out.policies.contains_key("arn:aws:s3:::other"));
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/Bucket");
}

#[test]
fn bare_policy_infers_bucket_from_resources() {
    let v = json!({"Policy": bucket_policy_text("logs-bucket")});
    assert_eq!(detect(&v), Some(ExportKind::BarePolicy));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    assert_eq!(
        out.policies.keys().collect::<Vec<_>>(),
        vec!["arn:aws:s3:::logs-bucket"]
    );
}

#[test]
fn bare_policy_without_attribution_is_an_error() {
    // An old-CLI KMS key policy: Resource "*".
    let v = json!({"Policy": key_policy_text()});
    assert_eq!(detect(&v), Some(ExportKind::BarePolicy));
    let (pointer, message) = err(&v);
    assert_eq!(pointer, "/");
    assert!(message.contains("add `Bucket`"), "{message}");
    assert!(message.contains("`KeyArn`"), "{message}");
    assert!(message.contains("`FunctionArn`"), "{message}");
    // Two buckets.
    let two = text(json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    ]}));
    let (_, message) = err(&json!({"Policy": two}));
    assert!(message.contains("several buckets"), "{message}");
    // Wildcard bucket.
    let wild = text(json!({"Statement": {"Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs-*/*"}}));
    let (_, message) = err(&json!({"Policy": wild}));
    assert!(message.contains("does not name one bucket"), "{message}");
}

#[test]
fn public_access_block_bucket_and_account() {
    let bucket = json!({
        "Bucket": "my-bucket",
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true, "IgnorePublicAcls": true,
            "BlockPublicPolicy": false, "RestrictPublicBuckets": true
        }
    });
    assert_eq!(detect(&bucket), Some(ExportKind::S3PublicAccessBlock));
    let (out, warnings) = ok(&bucket);
    assert!(warnings.is_empty());
    assert_eq!(
        out.s3_block_public_access["arn:aws:s3:::my-bucket"],
        BpaSettings {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: false,
            restrict_public_buckets: true
        }
    );
    let account = json!({
        "AccountId": "111122223333",
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true
        }
    });
    let (out, warnings) = ok(&account);
    assert!(!out.s3_block_public_access["111122223333"].restrict_public_buckets);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("RestrictPublicBuckets"));
}

#[test]
fn public_access_block_needs_exactly_one_scope() {
    let cfg = json!({"BlockPublicAcls": true, "IgnorePublicAcls": true,
                     "BlockPublicPolicy": true, "RestrictPublicBuckets": true});
    let (pointer, message) = err(&json!({"PublicAccessBlockConfiguration": cfg}));
    assert_eq!(pointer, "/");
    assert!(message.contains("add `Bucket`") && message.contains("`AccountId`"));
    let (_, message) = err(&json!({"PublicAccessBlockConfiguration": cfg,
                                    "Bucket": "b", "AccountId": "111122223333"}));
    assert!(message.contains("both"), "{message}");
    let (pointer, _) = err(&json!({"PublicAccessBlockConfiguration": cfg, "AccountId": "1234"}));
    assert_eq!(pointer, "/AccountId");
    let bad = json!({"Bucket": "b", "PublicAccessBlockConfiguration": {"BlockPublicAcls": "yes"}});
    let (pointer, _) = err(&bad);
    assert_eq!(pointer, "/PublicAccessBlockConfiguration/BlockPublicAcls");
}

#[test]
fn ownership_controls() {
    let v = json!({
        "Bucket": "my-bucket",
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    });
    assert_eq!(detect(&v), Some(ExportKind::S3OwnershipControls));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    assert_eq!(
        out.s3_ownership["arn:aws:s3:::my-bucket"],
        "BucketOwnerEnforced"
    );
    let (_, message) =
        err(&json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}));
    assert!(message.contains("add `Bucket`"), "{message}");
}

#[test]
fn sqs_queue_attributes() {
    let arn = "arn:aws:sqs:us-east-1:111122223333:my-queue";
    let v = json!({"Attributes": {
        "QueueArn": arn,
        "ApproximateNumberOfMessages": "0",
        "CreatedTimestamp": "1700000000",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
        "Policy": text(json!({"Version": "2012-10-17", "Id": "q", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}
        }]})),
        "NewFancyAttribute": "x"
    }});
    assert_eq!(detect(&v), Some(ExportKind::SqsQueueAttributes));
    let (out, warnings) = ok(&v);
    assert_eq!(out.policies[arn].service, Service::Sqs);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/Attributes/NewFancyAttribute");
    // A queue with no policy adds nothing.
    let (out, _) = ok(&json!({"Attributes": {"QueueArn": arn, "VisibilityTimeout": "30"}}));
    assert!(out.policies.is_empty());
}

#[test]
fn sns_topic_attributes() {
    let arn = "arn:aws:sns:us-east-1:111122223333:my-topic";
    let v = json!({"Attributes": {
        "TopicArn": arn,
        "Owner": "111122223333",
        "DisplayName": "",
        "SubscriptionsConfirmed": "1",
        "EffectiveDeliveryPolicy": "{\"http\":{}}",
        "LambdaSuccessFeedbackRoleArn": "arn:aws:iam::111122223333:role/fb",
        "Policy": text(json!({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": "111122223333"}}
        }]}))
    }});
    assert_eq!(detect(&v), Some(ExportKind::SnsTopicAttributes));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(out.policies[arn].service, Service::Sns);
    // Subscription attributes also have TopicArn: not detected.
    let sub = json!({"Attributes": {"SubscriptionArn": format!("{arn}:abc"), "TopicArn": arn}});
    assert_eq!(detect(&sub), None);
}

#[test]
fn attributes_without_arn_is_unattributed() {
    let v = json!({"Attributes": {"Policy": bucket_policy_text("b")}});
    assert_eq!(detect(&v), Some(ExportKind::Unattributed));
    let (pointer, message) = err(&v);
    assert_eq!(pointer, "/");
    assert!(message.contains("add `QueueArn`"), "{message}");
    let both = json!({"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:1:q",
                                      "TopicArn": "arn:aws:sns:us-east-1:1:t"}});
    assert_eq!(detect(&both), Some(ExportKind::Unattributed));
}

#[test]
fn secret_resource_policy() {
    let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-pass-AbCdEf";
    let v = json!({
        "ARN": arn,
        "Name": "db-pass",
        "ResourcePolicy": text(json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:role/reader"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"
        }]}))
    });
    assert_eq!(detect(&v), Some(ExportKind::SecretResourcePolicy));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    assert_eq!(out.policies[arn].service, Service::Secret);
    let (_, message) = err(&json!({"Name": "db-pass", "ResourcePolicy": key_policy_text()}));
    assert!(message.contains("add `ARN`"), "{message}");
}

#[test]
fn kms_key_policy_with_key_arn_and_describe_key() {
    let v = json!({"Policy": key_policy_text(), "PolicyName": "default", "KeyArn": KEY_ARN});
    assert_eq!(detect(&v), Some(ExportKind::KmsKeyPolicy));
    let d = json!({"KeyMetadata": {
        "AWSAccountId": "111122223333",
        "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Arn": KEY_ARN,
        "CreationDate": "2024-01-01T00:00:00+00:00",
        "Enabled": true,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": false
    }});
    assert_eq!(detect(&d), Some(ExportKind::KmsDescribeKey));
    let list = json!([v, d]);
    assert_eq!(detect(&list), Some(ExportKind::List));
    let (out, warnings) = ok(&list);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(out.policies[KEY_ARN].service, Service::KmsKey);
    assert_eq!(out.policies[KEY_ARN].source.pointer, "/0");
    assert_eq!(out.kms_key_manager[KEY_ARN], KeyManager::Customer);
}

#[test]
fn kms_key_policy_merged_with_key_metadata() {
    let v = json!({
        "Policy": key_policy_text(),
        "PolicyName": "default",
        "KeyMetadata": {"Arn": KEY_ARN, "KeyManager": "AWS"}
    });
    assert_eq!(detect(&v), Some(ExportKind::KmsKeyPolicy));
    let (out, _) = ok(&v);
    assert!(out.policies.contains_key(KEY_ARN));
    assert_eq!(out.kms_key_manager[KEY_ARN], KeyManager::Aws);
}

#[test]
fn kms_key_policy_attribution_errors() {
    let (pointer, message) = err(&json!({"Policy": key_policy_text(), "PolicyName": "default"}));
    assert_eq!(pointer, "/");
    assert!(message.contains("add `KeyArn`"), "{message}");
    let (pointer, message) = err(&json!({"Policy": key_policy_text(),
        "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}));
    assert_eq!(pointer, "/KeyId");
    assert!(message.contains("add `KeyArn`"), "{message}");
    let (_, message) = err(&json!({"Policy": key_policy_text(), "KeyArn": KEY_ARN,
        "KeyId": "arn:aws:kms:us-east-1:111122223333:key/other"}));
    assert!(message.contains("different keys"), "{message}");
    let (pointer, _) = err(&json!({"Policy": key_policy_text(),
        "KeyArn": "arn:aws:kms:us-east-1:111122223333:alias/my-key"}));
    assert_eq!(pointer, "/KeyArn");
}

#[test]
fn lambda_policy_from_resource_or_function_arn() {
    let v = json!({"Policy": lambda_policy_text(FN_ARN), "RevisionId": "4843f2f6-7c59-4fda-b484-afd0bc0e22b8"});
    assert_eq!(detect(&v), Some(ExportKind::LambdaPolicy));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    assert_eq!(out.policies[FN_ARN].service, Service::Lambda);
    let alias = format!("{FN_ARN}:live");
    let v = json!({"Policy": lambda_policy_text(&alias), "FunctionArn": alias});
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    assert!(out.policies.contains_key(&alias));
    // Same shape, but the Resource is a DynamoDB table (dynamodb get-resource-policy).
    let table = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    let (_, message) = err(&json!({"Policy": lambda_policy_text(table), "RevisionId": "1"}));
    assert!(message.contains("add `FunctionArn`"), "{message}");
}

#[test]
fn ecr_repository_policy() {
    let policy = text(json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "pull", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    }]}));
    let v = json!({"registryId": "111122223333", "repositoryName": "team/app",
                   "policyText": policy, "region": "eu-west-1"});
    assert_eq!(detect(&v), Some(ExportKind::EcrRepositoryPolicy));
    let (out, warnings) = ok(&v);
    assert!(warnings.is_empty());
    let arn = "arn:aws:ecr:eu-west-1:111122223333:repository/team/app";
    assert_eq!(out.policies[arn].service, Service::Ecr);
    let china = json!({"registryId": "111122223333", "repositoryName": "app",
                       "policyText": policy, "region": "cn-north-1"});
    assert!(ok(&china)
        .0
        .policies
        .contains_key("arn:aws-cn:ecr:cn-north-1:111122223333:repository/app"));
    let with_arn = json!({"registryId": "111122223333", "repositoryName": "team/app",
                          "policyText": policy, "repositoryArn": arn});
    assert!(ok(&with_arn).0.policies.contains_key(arn));
    let (_, message) =
        err(&json!({"registryId": "111122223333", "repositoryName": "app", "policyText": policy}));
    assert!(message.contains("add `region`"), "{message}");
    let (pointer, _) = err(
        &json!({"registryId": "111122223333", "repositoryName": "app",
        "policyText": policy, "repositoryArn": arn}),
    );
    assert_eq!(pointer, "/repositoryArn");
}

#[test]
fn list_of_mixed_exports() {
    let v = json!([
        {"Bucket": "a", "Policy": bucket_policy_text("a")},
        {"Bucket": "a", "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}},
        {"Policy": lambda_policy_text(FN_ARN), "RevisionId": "r"}
    ]);
    assert_eq!(detect(&v), Some(ExportKind::List));
    let (out, _) = ok(&v);
    assert_eq!(out.policies.len(), 2);
    assert_eq!(out.policies["arn:aws:s3:::a"].source.pointer, "/0");
    assert_eq!(out.s3_ownership["arn:aws:s3:::a"], "BucketOwnerPreferred");
    // A list with an unrecognised element is not detected.
    assert_eq!(
        detect(&json!([{"Bucket": "a", "Policy": bucket_policy_text("a")}, {"x": 1}])),
        None
    );
    assert_eq!(detect(&json!([])), None);
    // An unattributable element fails with its own pointer.
    let (pointer, _) = err(&json!([{"Bucket": "a", "Policy": bucket_policy_text("a")},
                                    {"Policy": key_policy_text()}]));
    assert_eq!(pointer, "/1");
}

#[test]
fn other_exports_are_not_detected() {
    // GAAD top-level keys.
    let gaad = json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
                      "Policies": [], "IsTruncated": false});
    assert_eq!(detect(&gaad), None);
    // A GAAD that happens to have a `Policy` string too is still not ours.
    assert_eq!(
        detect(&json!({"Policies": [], "Policy": bucket_policy_text("b")})),
        None
    );
    assert_eq!(detect(&json!({"ResourceTagMappingList": []})), None);
    // Organizations describe-policy / IAM get-policy: `Policy` is an object.
    let org = json!({"Policy": {"PolicySummary": {"Id": "p-1"}, "Content": "{}"}});
    assert_eq!(detect(&org), None);
    // A bare policy document.
    assert_eq!(
        detect(&serde_json::from_str::<Value>(&bucket_policy_text("b")).unwrap()),
        None
    );
    // ECR registry policy (no repositoryName) and scalars.
    assert_eq!(
        detect(&json!({"registryId": "1", "policyText": "{}"})),
        None
    );
    assert_eq!(detect(&json!("Policy")), None);
}

#[test]
fn conflicting_markers_are_unattributed() {
    let v = json!({"Policy": bucket_policy_text("b"), "Bucket": "b", "KeyArn": KEY_ARN});
    assert_eq!(detect(&v), Some(ExportKind::Unattributed));
    let (pointer, message) = err(&v);
    assert_eq!(pointer, "/");
    assert!(
        message.contains("`Bucket`") && message.contains("`KeyArn`"),
        "{message}"
    );
    let mixed = json!({"Policy": bucket_policy_text("b"),
                       "OwnershipControls": {"Rules": []}, "Bucket": "b"});
    assert_eq!(detect(&mixed), Some(ExportKind::Unattributed));
    let (_, message) = err(&mixed);
    assert!(message.contains("several exports"), "{message}");
}

#[test]
fn bad_policy_text_points_into_the_string() {
    let (pointer, message) = err(&json!({"Bucket": "b", "Policy": "{not json"}));
    assert_eq!(pointer, "/Policy");
    assert!(message.contains("not valid JSON"), "{message}");
    let bad_effect = text(json!({"Statement": [{"Effect": "Maybe", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}));
    let (pointer, _) = err(&json!({"Bucket": "b", "Policy": bad_effect}));
    assert_eq!(pointer, "/Policy/Statement/0/Effect");
    let no_principal = text(json!({"Statement": [{"Effect": "Allow",
        "Action": "sqs:SendMessage", "Resource": "*"}]}));
    let (pointer, message) = err(&json!({"Attributes": {
        "QueueArn": "arn:aws:sqs:us-east-1:111122223333:q", "Policy": no_principal}}));
    assert_eq!(pointer, "/Attributes/Policy/Statement/0");
    assert!(message.contains("`Principal`"), "{message}");
}

#[test]
fn unknown_top_level_fields_warn() {
    let v = json!({"Bucket": "b", "Policy": bucket_policy_text("b"), "Extra": 1});
    let (_, warnings) = ok(&v);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/Extra");
}

#[test]
fn duplicates_equal_are_fine_different_are_errors() {
    let same = json!([
        {"Bucket": "b", "Policy": bucket_policy_text("b")},
        {"Policy": bucket_policy_text("b")}
    ]);
    assert_eq!(ok(&same).0.policies.len(), 1);
    let other = text(json!({"Statement": {"Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}));
    let different = json!([
        {"Bucket": "b", "Policy": bucket_policy_text("b")},
        {"Bucket": "b", "Policy": other}
    ]);
    let (pointer, message) = err(&different);
    assert_eq!(pointer, "/1");
    assert!(message.contains("already read"), "{message}");
}
