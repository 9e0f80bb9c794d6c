use std::path::Path;

use serde_json::{json, Value};

use super::*;
use crate::aws::gaad;
use crate::aws::policy::Effect;

const FILE: &str = "org/organizations.json";

fn load(value: &Value, org: &mut OrgStructure) -> Result<Vec<Warning>, IngestError> {
    let kind = detect(value).expect("recognised as an Organizations export");
    let root = Located::root(value, Path::new(FILE));
    let mut warnings = Vec::new();
    read(&root, kind, org, &mut warnings)?;
    Ok(warnings)
}

fn load_ok(value: Value, org: &mut OrgStructure) -> Vec<Warning> {
    load(&value, org).unwrap()
}

fn invalid(value: Value) -> (String, String) {
    let mut org = OrgStructure::default();
    match load(&value, &mut org) {
        Err(IngestError::Invalid {
            pointer, message, ..
        }) => (pointer, message),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn describe_organization() -> Value {
    json!({
        "Organization": {
            "Id": "o-a1b2c3d4e5",
            "Arn": "arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5",
            "FeatureSet": "ALL",
            "MasterAccountArn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/111111111111",
            "MasterAccountId": "111111111111",
            "MasterAccountEmail": "bill@example.com",
            "AvailablePolicyTypes": [
                {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}
            ]
        }
    })
}

fn list_roots() -> Value {
    json!({
        "Roots": [{
            "Id": "r-examplerootid111",
            "Arn": "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-examplerootid111",
            "Name": "Root",
            "PolicyTypes": [
                {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}
            ]
        }]
    })
}

fn ous(parent: &str, ids: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|(id, name)| {
            json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/{id}"),
                "Name": name
            })
        })
        .collect();
    json!({"OrganizationalUnits": list, "ParentId": parent})
}

fn accounts(parent: Option<&str>, ids: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|(id, name)| {
            json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/{id}"),
                "Email": format!("{name}@example.com"),
                "Name": name,
                "Status": "ACTIVE",
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": "2020-03-04T15:16:17.123000+00:00"
            })
        })
        .collect();
    let mut v = json!({ "Accounts": list });
    if let Some(p) = parent {
        v["ParentId"] = json!(p);
    }
    v
}

fn describe_policy(id: &str, ty: &str, content: &str) -> Value {
    json!({
        "Policy": {
            "PolicySummary": {
                "Id": id,
                "Arn": format!("arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/{id}"),
                "Name": "DenyLeaveOrg",
                "Description": "Members may not leave",
                "Type": ty,
                "AwsManaged": false
            },
            "Content": content
        }
    })
}

const DENY_LEAVE: &str = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:LeaveOrganization\",\"Resource\":\"*\"}]}";

/// Root r-examplerootid111 → ou-aaaa-11111111 (Prod) → ou-aaaa-22222222 (Web) →
/// ou-aaaa-33333333 (Frontend) → account 333333333333; account 222222222222 under the root.
fn three_level_tree() -> OrgStructure {
    let mut org = OrgStructure::default();
    load_ok(describe_organization(), &mut org);
    load_ok(list_roots(), &mut org);
    load_ok(
        ous("r-examplerootid111", &[("ou-aaaa-11111111", "Prod")]),
        &mut org,
    );
    load_ok(
        ous("ou-aaaa-11111111", &[("ou-aaaa-22222222", "Web")]),
        &mut org,
    );
    load_ok(
        ous("ou-aaaa-22222222", &[("ou-aaaa-33333333", "Frontend")]),
        &mut org,
    );
    load_ok(
        accounts(Some("ou-aaaa-33333333"), &[("333333333333", "frontend")]),
        &mut org,
    );
    load_ok(
        accounts(
            Some("r-examplerootid111"),
            &[("111111111111", "management"), ("222222222222", "audit")],
        ),
        &mut org,
    );
    org
}

#[test]
fn detects_every_shape() {
    assert_eq!(
        detect(&describe_organization()),
        Some(ExportKind::Organization)
    );
    assert_eq!(detect(&list_roots()), Some(ExportKind::Roots));
    assert_eq!(
        detect(&ous("r-examplerootid111", &[("ou-aaaa-11111111", "Prod")])),
        Some(ExportKind::OrganizationalUnits)
    );
    assert_eq!(
        detect(&accounts(None, &[("222222222222", "audit")])),
        Some(ExportKind::Accounts)
    );
    assert_eq!(
        detect(
            &json!({"Parents": [{"Id": "r-examplerootid111", "Type": "ROOT"}], "ChildId": "ou-aaaa-11111111"})
        ),
        Some(ExportKind::Parents)
    );
    assert_eq!(
        detect(&describe_policy(
            "p-examplepolicyid111",
            "SERVICE_CONTROL_POLICY",
            DENY_LEAVE
        )),
        Some(ExportKind::PolicyDetail)
    );
    assert_eq!(
        detect(&json!({"Targets": [], "PolicyId": "p-examplepolicyid111"})),
        Some(ExportKind::Targets)
    );
    assert_eq!(
        detect(&json!({"Policies": [], "TargetId": "222222222222"})),
        Some(ExportKind::Policies)
    );
    assert_eq!(detect(&json!({"ResourceTagMappingList": []})), None);
    assert_eq!(detect(&json!([1, 2])), None);
    // S3 get-bucket-policy: `Policy` is a string.
    assert_eq!(detect(&json!({"Policy": "{\"Statement\": []}"})), None);
}

#[test]
fn policies_key_is_disambiguated_from_a_gaad() {
    let gaad_doc = json!({
        "UserDetailList": [],
        "Policies": [{
            "PolicyName": "ReadOnly",
            "PolicyId": "ANPAEXAMPLE",
            "Arn": "arn:aws:iam::111111111111:policy/ReadOnly",
            "DefaultVersionId": "v1",
            "PolicyVersionList": []
        }]
    });
    assert_eq!(detect(&gaad_doc), None);
    // A GAAD page with only `Policies` (a later page of a paginated export).
    let gaad_page = json!({
        "Policies": [{
            "PolicyName": "ReadOnly",
            "PolicyId": "ANPAEXAMPLE",
            "Arn": "arn:aws:iam::111111111111:policy/ReadOnly",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": []}, "VersionId": "v1", "IsDefaultVersion": true}]
        }],
        "IsTruncated": false
    });
    assert_eq!(detect(&gaad_page), None);
    assert!(gaad::is_gaad(&gaad_page));
    // An empty `Policies` without `TargetId` says nothing: left to the GAAD reader.
    assert_eq!(detect(&json!({"Policies": []})), None);

    let list_policies = json!({
        "Policies": [
            {
                "Id": "p-FullAWSAccess",
                "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
                "Name": "FullAWSAccess",
                "Description": "Allows access to every operation",
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": true
            },
            {
                "Id": "p-examplepolicyid111",
                "Arn": "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicyid111",
                "Name": "DenyLeaveOrg",
                "Description": "",
                "Type": "SERVICE_CONTROL_POLICY",
                "AwsManaged": false
            }
        ]
    });
    assert_eq!(detect(&list_policies), Some(ExportKind::Policies));
    let mut org = OrgStructure::default();
    let warnings = load_ok(list_policies, &mut org);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(org.policies.len(), 2);
    let full = &org.policies["p-FullAWSAccess"];
    assert!(full.aws_managed);
    assert_eq!(full.kind, OrgPolicyKind::Scp);
    assert_eq!(full.name.as_deref(), Some("FullAWSAccess"));
    assert!(full.document.is_none());
    assert!(org.attachments.is_empty());
}

#[test]
fn reads_describe_organization() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(describe_organization(), &mut org);
    assert!(warnings.is_empty(), "{warnings:?}");
    let o = org.organization.as_ref().unwrap();
    assert_eq!(o.id, "o-a1b2c3d4e5");
    assert_eq!(o.feature_set.as_deref(), Some("ALL"));
    assert_eq!(
        o.management_account_email.as_deref(),
        Some("bill@example.com")
    );
    assert_eq!(
        o.available_policy_types,
        vec![("SERVICE_CONTROL_POLICY".to_string(), "ENABLED".to_string())]
    );
    assert_eq!(org.management_account(), Some("111111111111"));
}

#[test]
fn reads_list_roots() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(list_roots(), &mut org);
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = &org.roots["r-examplerootid111"];
    assert_eq!(r.name.as_deref(), Some("Root"));
    assert!(r.enabled(OrgPolicyKind::Scp));
    assert!(r.enabled(OrgPolicyKind::Rcp));
    assert_eq!(r.source.pointer, "/Roots/0");
    // Without describe-organization, the management account comes from the ARNs.
    assert_eq!(org.management_account(), Some("111111111111"));
}

#[test]
fn reads_ous_with_parent_id() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(
        ous(
            "r-examplerootid111",
            &[("ou-aaaa-11111111", "Prod"), ("ou-aaaa-44444444", "Dev")],
        ),
        &mut org,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(org.ous.len(), 2);
    let dev = &org.ous["ou-aaaa-44444444"];
    assert_eq!(dev.name.as_deref(), Some("Dev"));
    assert_eq!(dev.parent.as_deref(), Some("r-examplerootid111"));
    // Parent unknown until list-roots is loaded.
    assert!(org.validate().contains(&StructureIssue::UnknownParent {
        child: "ou-aaaa-44444444".into(),
        parent: "r-examplerootid111".into()
    }));
    load_ok(list_roots(), &mut org);
    assert!(org.validate().is_empty(), "{:?}", org.validate());
}

#[test]
fn reads_ous_without_parent_then_list_parents() {
    let mut org = OrgStructure::default();
    load_ok(list_roots(), &mut org);
    // Plain CLI output: no `ParentId`.
    let plain = json!({
        "OrganizationalUnits": [{
            "Id": "ou-aaaa-11111111",
            "Arn": "arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-aaaa-11111111",
            "Name": "Prod"
        }]
    });
    load_ok(plain, &mut org);
    assert_eq!(
        org.validate(),
        vec![StructureIssue::NoParent {
            child: "ou-aaaa-11111111".into()
        }]
    );
    load_ok(
        json!({
            "Parents": [{"Id": "r-examplerootid111", "Type": "ROOT"}],
            "ChildId": "ou-aaaa-11111111"
        }),
        &mut org,
    );
    assert_eq!(
        org.ous["ou-aaaa-11111111"].parent.as_deref(),
        Some("r-examplerootid111")
    );
    assert!(org.validate().is_empty());
}

#[test]
fn list_parents_before_the_child_is_listed() {
    let mut org = OrgStructure::default();
    load_ok(
        json!({
            "Parents": [{"Id": "ou-aaaa-11111111", "Type": "ORGANIZATIONAL_UNIT"}],
            "ChildId": "222222222222"
        }),
        &mut org,
    );
    let a = &org.accounts["222222222222"];
    assert_eq!(a.parent.as_deref(), Some("ou-aaaa-11111111"));
    assert_eq!(a.name, None);
    load_ok(accounts(None, &[("222222222222", "audit")]), &mut org);
    let a = &org.accounts["222222222222"];
    assert_eq!(a.name.as_deref(), Some("audit"));
    assert_eq!(a.parent.as_deref(), Some("ou-aaaa-11111111"));
}

#[test]
fn reads_accounts() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(
        accounts(
            Some("ou-aaaa-11111111"),
            &[("222222222222", "audit"), ("333333333333", "web")],
        ),
        &mut org,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let a = &org.accounts["333333333333"];
    assert_eq!(a.name.as_deref(), Some("web"));
    assert_eq!(a.email.as_deref(), Some("web@example.com"));
    assert_eq!(a.status.as_deref(), Some("ACTIVE"));
    assert_eq!(a.parent.as_deref(), Some("ou-aaaa-11111111"));
    assert_eq!(a.source.pointer, "/Accounts/1");
}

#[test]
fn list_accounts_with_state_and_unknown_fields_and_next_token() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(
        json!({
            "Accounts": [{
                "Id": "444444444444",
                "Arn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/444444444444",
                "Email": "x@example.com",
                "Name": "x",
                "State": "SUSPENDED",
                "JoinedMethod": "INVITED",
                "JoinedTimestamp": 1583334977.123,
                "Colour": "blue"
            }],
            "NextToken": "AAAAAexample"
        }),
        &mut org,
    );
    assert_eq!(
        org.accounts["444444444444"].status.as_deref(),
        Some("SUSPENDED")
    );
    assert_eq!(org.accounts["444444444444"].parent, None);
    let pointers: Vec<&str> = warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(pointers, vec!["/NextToken", "/Accounts/0/Colour"]);
}

#[test]
fn conflicting_parents_are_an_error() {
    let mut org = OrgStructure::default();
    load_ok(
        accounts(Some("ou-aaaa-11111111"), &[("222222222222", "audit")]),
        &mut org,
    );
    let err = load(
        &accounts(Some("ou-aaaa-44444444"), &[("222222222222", "audit")]),
        &mut org,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("at /Accounts/0"), "{msg}");
    assert!(msg.contains("ou-aaaa-11111111"), "{msg}");
}

#[test]
fn reads_describe_policy_scp() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(
        describe_policy("p-examplepolicyid111", "SERVICE_CONTROL_POLICY", DENY_LEAVE),
        &mut org,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let p = &org.policies["p-examplepolicyid111"];
    assert_eq!(p.kind, OrgPolicyKind::Scp);
    assert!(!p.aws_managed);
    assert_eq!(p.name.as_deref(), Some("DenyLeaveOrg"));
    assert_eq!(p.description.as_deref(), Some("Members may not leave"));
    assert_eq!(p.source.pointer, "/Policy/Content");
    let doc = p.document.as_ref().unwrap();
    assert_eq!(doc.statements.len(), 1);
    assert_eq!(doc.statements[0].effect, Effect::Deny);
}

#[test]
fn reads_describe_policy_rcp_with_principal() {
    let content = r#"{"Version":"2012-10-17","Statement":[{"Sid":"EnforceTls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}"#;
    let mut org = OrgStructure::default();
    load_ok(
        describe_policy("p-examplercp11111", "RESOURCE_CONTROL_POLICY", content),
        &mut org,
    );
    let p = &org.policies["p-examplercp11111"];
    assert_eq!(p.kind, OrgPolicyKind::Rcp);
    assert_eq!(
        p.document.as_ref().unwrap().statements[0].condition.len(),
        1
    );
}

#[test]
fn list_policies_after_describe_keeps_the_content() {
    let mut org = OrgStructure::default();
    load_ok(
        describe_policy("p-examplepolicyid111", "SERVICE_CONTROL_POLICY", DENY_LEAVE),
        &mut org,
    );
    load_ok(
        json!({"Policies": [{
            "Id": "p-examplepolicyid111",
            "Arn": "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicyid111",
            "Name": "DenyLeaveOrg",
            "Description": "Members may not leave",
            "Type": "SERVICE_CONTROL_POLICY",
            "AwsManaged": false
        }], "TargetId": "ou-aaaa-11111111"}),
        &mut org,
    );
    assert!(org.policies["p-examplepolicyid111"].document.is_some());
    assert!(org
        .attachments
        .contains(&("p-examplepolicyid111".into(), "ou-aaaa-11111111".into())));
}

#[test]
fn other_policy_types_are_skipped_with_a_warning() {
    let mut org = OrgStructure::default();
    let warnings = load_ok(
        json!({"Policies": [{
            "Id": "p-exampletag11111",
            "Arn": "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/tag_policy/p-exampletag11111",
            "Name": "Tags",
            "Description": "",
            "Type": "TAG_POLICY",
            "AwsManaged": false
        }], "TargetId": "r-examplerootid111"}),
        &mut org,
    );
    assert!(org.policies.is_empty());
    assert!(org.attachments.is_empty());
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/Policies/0/Type");
    // describe-policy of a tag policy: the content (not IAM grammar) is not parsed.
    let warnings = load_ok(
        describe_policy("p-exampletag11111", "TAG_POLICY", "{\"tags\": {}}"),
        &mut org,
    );
    assert_eq!(warnings.len(), 1);
    assert!(org.policies.is_empty());
}

#[test]
fn reads_list_targets_for_policy() {
    let mut org = three_level_tree();
    let warnings = load_ok(
        json!({
            "Targets": [
                {
                    "TargetId": "ou-aaaa-22222222",
                    "Arn": "arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-aaaa-22222222",
                    "Name": "Web",
                    "Type": "ORGANIZATIONAL_UNIT"
                },
                {
                    "TargetId": "333333333333",
                    "Arn": "arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/333333333333",
                    "Name": "frontend",
                    "Type": "ACCOUNT"
                },
                {
                    "TargetId": "r-examplerootid111",
                    "Arn": "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-examplerootid111",
                    "Name": "Root",
                    "Type": "ROOT"
                }
            ],
            "PolicyId": "p-examplepolicyid111"
        }),
        &mut org,
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(org.attachments.len(), 3);
    // Attached but not described yet.
    assert_eq!(
        org.validate(),
        vec![
            StructureIssue::UnknownPolicy {
                policy: "p-examplepolicyid111".into(),
                target: "333333333333".into()
            },
            StructureIssue::UnknownPolicy {
                policy: "p-examplepolicyid111".into(),
                target: "ou-aaaa-22222222".into()
            },
            StructureIssue::UnknownPolicy {
                policy: "p-examplepolicyid111".into(),
                target: "r-examplerootid111".into()
            }
        ]
    );
    load_ok(
        describe_policy("p-examplepolicyid111", "SERVICE_CONTROL_POLICY", DENY_LEAVE),
        &mut org,
    );
    assert!(org.validate().is_empty(), "{:?}", org.validate());
    assert_eq!(
        org.attached("ou-aaaa-22222222", OrgPolicyKind::Scp),
        vec!["p-examplepolicyid111"]
    );
    assert!(org
        .attached("ou-aaaa-22222222", OrgPolicyKind::Rcp)
        .is_empty());
}

#[test]
fn path_to_root_through_three_levels_of_ous() {
    let org = three_level_tree();
    assert!(org.validate().is_empty(), "{:?}", org.validate());
    assert_eq!(
        org.path_to_root("333333333333"),
        Some(vec![
            "r-examplerootid111",
            "ou-aaaa-11111111",
            "ou-aaaa-22222222",
            "ou-aaaa-33333333",
            "333333333333"
        ])
    );
    assert_eq!(
        org.path_to_root("222222222222"),
        Some(vec!["r-examplerootid111", "222222222222"])
    );
    assert_eq!(org.path_to_root("999999999999"), None);
    assert_eq!(org.management_account(), Some("111111111111"));
}

#[test]
fn path_to_root_is_none_when_a_level_is_missing_or_cyclic() {
    let mut org = three_level_tree();
    org.ous.remove("ou-aaaa-22222222");
    assert_eq!(org.path_to_root("333333333333"), None);
    assert!(org.validate().contains(&StructureIssue::UnknownParent {
        child: "ou-aaaa-33333333".into(),
        parent: "ou-aaaa-22222222".into()
    }));

    let mut org = three_level_tree();
    org.ous.get_mut("ou-aaaa-11111111").unwrap().parent = Some("ou-aaaa-33333333".into());
    assert_eq!(org.path_to_root("333333333333"), None);
    let issues = org.validate();
    for ou in ["ou-aaaa-11111111", "ou-aaaa-22222222", "ou-aaaa-33333333"] {
        assert!(
            issues.contains(&StructureIssue::ParentCycle { ou: ou.into() }),
            "{issues:?}"
        );
    }
}

#[test]
fn validate_reports_unknown_targets_and_missing_content() {
    let mut org = three_level_tree();
    load_ok(
        json!({"Policies": [{
            "Id": "p-FullAWSAccess",
            "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
            "Name": "FullAWSAccess",
            "Description": "Allows access to every operation",
            "Type": "SERVICE_CONTROL_POLICY",
            "AwsManaged": true
        }], "TargetId": "ou-zzzz-99999999"}),
        &mut org,
    );
    assert_eq!(
        org.validate(),
        vec![
            StructureIssue::PolicyWithoutContent {
                policy: "p-FullAWSAccess".into()
            },
            StructureIssue::UnknownTarget {
                policy: "p-FullAWSAccess".into(),
                target: "ou-zzzz-99999999".into()
            }
        ]
    );
    let text = org.validate()[1].to_string();
    assert!(text.contains("ou-zzzz-99999999"), "{text}");
}

#[test]
fn bad_content_is_an_error_at_policy_content() {
    let (pointer, message) = invalid(describe_policy(
        "p-examplepolicyid111",
        "SERVICE_CONTROL_POLICY",
        "{\"Version\": \"2012-10-17\", \"Statement\": [",
    ));
    assert_eq!(pointer, "/Policy/Content");
    assert!(message.contains("not valid JSON"), "{message}");

    let (pointer, _) = invalid(describe_policy(
        "p-examplepolicyid111",
        "SERVICE_CONTROL_POLICY",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
    ));
    assert_eq!(pointer, "/Policy/Content/Statement/0/Effect");

    // SCPs have no Principal.
    let (pointer, message) = invalid(describe_policy(
        "p-examplepolicyid111",
        "SERVICE_CONTROL_POLICY",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#,
    ));
    assert_eq!(pointer, "/Policy/Content/Statement/0/Principal");
    assert!(message.contains("service control policy"), "{message}");

    let (pointer, message) = invalid(json!({"Policy": {"PolicySummary": {
        "Id": "p-examplepolicyid111", "Type": "SERVICE_CONTROL_POLICY"}}}));
    assert_eq!(pointer, "/Policy");
    assert!(message.contains("`Content`"), "{message}");
}

#[test]
fn missing_or_malformed_ids_are_errors() {
    let (pointer, message) = invalid(json!({"Accounts": [{"Name": "no id"}]}));
    assert_eq!(pointer, "/Accounts/0");
    assert!(message.contains("missing required field `Id`"), "{message}");

    let (pointer, _) = invalid(json!({"Roots": [{"Id": "ou-aaaa-11111111"}]}));
    assert_eq!(pointer, "/Roots/0/Id");

    let (pointer, _) = invalid(json!({"Accounts": [{"Id": "12345"}]}));
    assert_eq!(pointer, "/Accounts/0/Id");

    let (pointer, _) = invalid(json!({"OrganizationalUnits": [], "ParentId": "222222222222"}));
    assert_eq!(pointer, "/ParentId");

    let (pointer, message) =
        invalid(json!({"Targets": [{"TargetId": "222222222222", "Type": "ACCOUNT"}]}));
    assert_eq!(pointer, "/");
    assert!(message.contains("`PolicyId`"), "{message}");

    let (pointer, _) = invalid(
        json!({"Targets": [{"TargetId": "222222222222", "Type": "ROOT"}], "PolicyId": "p-examplepolicyid111"}),
    );
    assert_eq!(pointer, "/Targets/0/Type");

    let (pointer, message) =
        invalid(json!({"Parents": [{"Id": "r-examplerootid111", "Type": "ROOT"}]}));
    assert_eq!(pointer, "/");
    assert!(message.contains("`ChildId`"), "{message}");

    let (pointer, _) = invalid(
        json!({"Policies": [{"Id": "p-examplepolicyid111", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": "no"}]}),
    );
    assert_eq!(pointer, "/Policies/0/AwsManaged");

    let (pointer, _) = invalid(json!({"Organization": {"Id": "o-a1b2c3d4e5"}}));
    assert_eq!(pointer, "/Organization");
}
