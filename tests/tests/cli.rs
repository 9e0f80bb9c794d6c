//! The CLI contract: exit codes, error messages naming the file and location, output formats.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use iamlog_tests::{iamlog, path, scratch, Scratch};
use std::path::Path;

fn demo() -> String {
    path("demo/input").to_string_lossy().into_owned()
}

#[test]
fn malformed_export_is_exit_2_with_file_line_and_column() {
    let dir = scratch("malformed");
    std::fs::write(
        dir.join("iam.json"),
        "{\n  \"UserDetailList\": [\n    {\"Arn\": \n",
    )
    .unwrap();
    let run = iamlog(&["what-can", "--all", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("iam.json:4:"), "{}", run.stderr);
    assert!(run.stderr.contains("malformed JSON"), "{}", run.stderr);
}

#[test]
fn invalid_policy_names_the_json_pointer() {
    let dir = scratch("badpolicy");
    let gaad = r#"{"UserDetailList": [{"UserName": "u", "UserId": "AIDA1", "Arn": "arn:aws:iam::111122223333:user/u",
      "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}}]}]}"#;
    std::fs::write(dir.join("gaad.json"), gaad).unwrap();
    let run = iamlog(&["what-can", "u", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("/UserDetailList/0/UserPolicyList/0/PolicyDocument/Statement/1/Effect"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("gaad.json"), "{}", run.stderr);
}

#[test]
fn empty_or_missing_org_is_an_error() {
    let dir = scratch("empty");
    let run = iamlog(&["what-can", "--all", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no IAM export found"), "{}", run.stderr);
    let run = iamlog(&["what-can", "--all", "--org", "/nonexistent/iamlog/org"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/iamlog/org"),
        "{}",
        run.stderr
    );
}

#[test]
fn unrecognised_files_and_unknown_fields_are_warnings() {
    let dir = scratch("warnings");
    std::fs::write(dir.join("notes.json"), "{\"hello\": 1}").unwrap();
    std::fs::write(
        dir.join("gaad.json"),
        r#"{"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u", "Shoe": 1}]}"#,
    )
    .unwrap();
    let run = iamlog(&["what-can", "u", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("notes.json: not a recognised export"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/UserDetailList/0/Shoe"),
        "{}",
        run.stderr
    );
    let quiet = iamlog(&["what-can", "u", "--org", &dir.to_string_lossy(), "--quiet"]);
    assert!(quiet.stderr.is_empty());
}

#[test]
fn unknown_principal_and_bad_context_are_usage_errors() {
    let run = iamlog(&["what-can", "nobody", "--org", &demo()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no principal `nobody`"),
        "{}",
        run.stderr
    );
    let run = iamlog(&[
        "explain",
        "alice",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        "--context",
        "novalue",
        "--org",
        &demo(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected KEY=VALUE"), "{}", run.stderr);
    let run = iamlog(&["who-can", "s3:GetObject"]);
    assert_eq!(run.code, 2);
}

/// `explain --requests` on a file `name` of scratch directory `dir` holding `lines`, over the
/// demo org.
fn explain_requests_file(dir: &str, name: &str, lines: &str) -> iamlog_tests::Run {
    explain_requests_file_with(dir, name, lines, &[])
}

/// [`explain_requests_file`] with more arguments.
fn explain_requests_file_with(
    dir: &str,
    name: &str,
    lines: &str,
    more: &[&str],
) -> iamlog_tests::Run {
    let dir = scratch(dir);
    let file = dir.join(name);
    std::fs::write(&file, lines).unwrap();
    let file = file.to_string_lossy();
    let demo = demo();
    let mut args = vec!["explain", "--requests", &file, "--org", &demo];
    args.extend_from_slice(more);
    iamlog(&args)
}

/// The rows of a successful `--format csv` run of `explain` after its header (checked), `rows`
/// of them.
fn explain_csv_rows(run: &iamlog_tests::Run, rows: usize) -> Vec<&str> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), rows + 1, "{}", run.stdout);
    assert!(lines[0].starts_with("line,principal,action,resource,decision,"));
    lines[1..].to_vec()
}

#[test]
fn requests_file_errors_name_the_line() {
    let run = explain_requests_file(
        "requests",
        "r.jsonl",
        "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\"}\n{\"principal\": \"alice\", \"acton\": \"x\"}\n",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("r.jsonl:2:"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial output: {}", run.stdout);
}

/// Requests are named by their sources in two halves on two threads: the error is still the
/// first unknown principal in the file, in either half.
#[test]
fn an_unknown_principal_is_the_first_in_the_file() {
    let good = "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\"}";
    let bad = |n: usize| {
        format!("{{\"principal\": \"nobody-{n}\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\"}}")
    };
    // 3,000 lines: parsed in chunks of 1,024, the first chunk one half, the others the other.
    let file = |bad_lines: &[usize]| -> String {
        (1..=3000)
            .map(|n| if bad_lines.contains(&n) { bad(n) } else { good.to_string() } + "\n")
            .collect()
    };
    let run = explain_requests_file("unknown-principal", "both.jsonl", &file(&[1000, 2500]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("both.jsonl:1000:"), "{}", run.stderr);
    assert!(run.stderr.contains("nobody-1000"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial output");
    let run = explain_requests_file("unknown-principal", "second.jsonl", &file(&[2500, 2900]));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("second.jsonl:2500:"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial output");
}

#[test]
fn a_request_context_key_given_twice_is_an_error() {
    // Keys are case-insensitive: `aws:SourceIp` and `aws:sourceip` are one key, and which of
    // the two values the request has would be a guess.
    let run = explain_requests_file(
        "context-twice",
        "twice.jsonl",
        concat!(
            "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\", \"context\": {\"aws:SourceIp\": \"10.0.0.1\"}}\n",
            "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\", \"context\": {\"aws:SourceIp\": \"10.0.0.1\", \"aws:sourceip\": \"10.0.0.2\"}}\n",
        ),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("twice.jsonl:2:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("context key `aws:sourceip` is given twice (keys are case-insensitive)"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no partial output: {}", run.stdout);
}

#[test]
fn request_context_values_are_strings_lists_booleans_or_numbers() {
    // The first line is fine (a boolean and a number); the second has a number in a list of
    // strings.
    let run = explain_requests_file(
        "context-values",
        "bad.jsonl",
        concat!(
            "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\", \"context\": {\"aws:SecureTransport\": true, \"aws:EpochTime\": 1704067200}}\n",
            "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\", \"context\": {\"aws:TagKeys\": [\"a\", 1]}}\n",
        ),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.jsonl:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("expected a string"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no partial output: {}", run.stdout);

    let run = explain_requests_file(
        "context-values",
        "map.jsonl",
        "{\"principal\": \"alice\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::b/k\", \"context\": {\"aws:SourceIp\": {\"ip\": \"10.0.0.1\"}}}\n",
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("expected a string, a list of strings, a boolean or a number"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_json_and_requests_agree() {
    let one = iamlog(&[
        "explain",
        "frank",
        "s3:GetObject",
        "arn:aws:s3:::customer-data-prod/pii/ssn.csv",
        "--org",
        &demo(),
        "--format",
        "json",
    ]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    let v: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(v["decision"], "ExplicitlyDenied");
    assert_eq!(
        v["layers"]["explicit_deny"]["statements"][0]["sid"],
        "DenyPiiPrefix"
    );
    assert_eq!(v["layers"]["identity"]["result"], "Allowed");

    let dir = scratch("agree");
    let file = dir.join("r.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"principal\": \"arn:aws:iam::123456789012:user/frank\", \"action\": \"s3:getobject\", \"resource\": \"arn:aws:s3:::customer-data-prod/pii/ssn.csv\"}\n",
            "{\"principal\": \"dana\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::customer-data-prod/pii/ssn.csv\"}\n",
            "{\"principal\": \"gina\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::customer-data-prod/x\"}\n",
        ),
    )
    .unwrap();
    let many = iamlog(&[
        "explain",
        "--requests",
        &file.to_string_lossy(),
        "--org",
        &demo(),
    ]);
    assert_eq!(many.code, 0, "{}", many.stderr);
    let decisions: Vec<String> = many
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        decisions,
        ["ExplicitlyDenied", "Allowed", "ImplicitlyDenied"]
    );
}

#[test]
fn explain_csv_is_the_requests_row_without_a_line() {
    let run = iamlog(&[
        "explain",
        "frank",
        "s3:GetObject",
        "arn:aws:s3:::customer-data-prod/pii/ssn.csv",
        "--org",
        &demo(),
        "--format",
        "csv",
    ]);
    let rows = explain_csv_rows(&run, 1);
    assert_eq!(rows[0], format!(",{FRANK_PII_ROW}"));
}

/// Frank's request for the PII object as a row of `explain --format csv`, after the line.
const FRANK_PII_ROW: &str = "arn:aws:iam::123456789012:user/frank,s3:GetObject,\
    arn:aws:s3:::customer-data-prod/pii/ssn.csv,ExplicitlyDenied,ExplicitlyDenied,Allowed,\
    NotApplicable,NotApplicable,NotApplicable,NotApplicable,NotApplicable,NotApplicable";

#[test]
fn explain_requests_csv_names_each_requests_line() {
    // A blank line is skipped: the second request is on line 3.
    let run = explain_requests_file_with(
        "requests-csv",
        "r.jsonl",
        concat!(
            "{\"principal\": \"frank\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::customer-data-prod/pii/ssn.csv\"}\n",
            "\n",
            "{\"principal\": \"gina\", \"action\": \"s3:GetObject\", \"resource\": \"arn:aws:s3:::customer-data-prod/a,b\"}\n",
        ),
        &["--format", "csv"],
    );
    let rows = explain_csv_rows(&run, 2);
    assert_eq!(rows[0], format!("1,{FRANK_PII_ROW}"));
    // A resource with a comma is quoted.
    assert!(
        rows[1].starts_with(
            "3,arn:aws:iam::123456789012:user/gina,s3:GetObject,\"arn:aws:s3:::customer-data-prod/a,b\",ImplicitlyDenied,"
        ),
        "{}",
        rows[1]
    );
}

#[test]
fn who_can_formats_carry_the_same_rows() {
    let args = [
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::customer-data-prod/reports/q1.csv",
        "--org",
    ];
    let mut json_args = args.to_vec();
    let d = demo();
    json_args.extend([d.as_str(), "--format", "json"]);
    let json = iamlog(&json_args);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    // demo/README.md: 8 direct rows for 6 principals, and 5 rows reached through a role chain
    // (the vendor's role outside the export through CortexPlatformRole and
    // CortexPlatformScannerRole, the EC2 service through ReportingEtlRole), each limited.
    assert_eq!(rows.len(), 13);
    assert!(rows.iter().all(|r| r["action"] == "s3:GetObject"));
    let (direct, chained): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) = rows
        .iter()
        .partition(|r| !r["granter"].as_str().unwrap().starts_with("via "));
    assert_eq!(direct.len(), 8);
    assert!(direct.iter().all(|r| r["condition"].is_null()));
    let sources: std::collections::BTreeSet<&str> =
        direct.iter().filter_map(|r| r["source"].as_str()).collect();
    assert_eq!(sources.len(), 6);
    assert!(chained
        .iter()
        .all(|r| !r["condition"].is_null() && !r["caveats"].as_array().unwrap().is_empty()));

    let mut csv_args = args.to_vec();
    csv_args.extend([d.as_str(), "--format", "csv"]);
    let csv = iamlog(&csv_args);
    assert_eq!(csv.stdout.lines().count(), 14, "header + 13 rows");
    assert!(csv
        .stdout
        .starts_with("source,action,destination,policy,granter,condition,caveats"));

    let mut jsonl_args = args.to_vec();
    jsonl_args.extend([d.as_str(), "--format", "jsonl"]);
    let jsonl = iamlog(&jsonl_args);
    let from_lines: Vec<serde_json::Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(from_lines, rows);
}

#[test]
fn rules_relations_lists_the_schema() {
    let run = iamlog(&["rules", "--relations", "--format", "json"]);
    assert_eq!(run.code, 0);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows.len(), iamlog_engine::SCHEMA.len());
    let effective = rows.iter().find(|r| r["relation"] == "effective").unwrap();
    let cols: Vec<&str> = effective["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(cols, ["s", "a", "d", "pol", "granter", "c"]);
}

#[test]
fn facts_writes_souffle_tsv_for_every_input_relation() {
    let dir = scratch("facts");
    let run = iamlog(&[
        "facts",
        "--out",
        &dir.to_string_lossy(),
        "--org",
        &demo(),
        "--quiet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for r in iamlog_engine::SCHEMA
        .iter()
        .filter(|r| r.kind == iamlog_engine::RelationKind::Input)
    {
        let file = dir.join(format!("{}.facts", r.name));
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            assert_eq!(
                line.split('\t').count(),
                r.columns.len(),
                "{}: {line}",
                file.display()
            );
        }
    }
    let principals = std::fs::read_to_string(dir.join("principal.facts")).unwrap();
    assert!(principals.contains("arn:aws:iam::123456789012:user/alice\tuser\taws"));
    let profiles = std::fs::read_to_string(dir.join("aws_instance_profile.facts")).unwrap();
    assert_eq!(
        profiles,
        "arn:aws:iam::123456789012:instance-profile/reporting-etl\tarn:aws:iam::123456789012:role/ReportingEtlRole\n"
    );
}

#[test]
fn organizations_and_resource_policies_are_read_and_evaluated() {
    let dir = scratch("orgdata");
    std::fs::copy(path("demo/input/aws/gaad.json"), dir.join("iam.json")).unwrap();
    std::fs::write(
        dir.join("scp.json"),
        r#"{"Policy": {"PolicySummary": {"Id": "p-abcd1234", "Arn": "arn:aws:organizations::123456789012:policy/o-abcdefghij/service_control_policy/p-abcd1234", "Name": "DenyLeaveOrg", "Description": "", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false},
           "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:LeaveOrganization\",\"Resource\":\"*\"}]}"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("bucket.json"),
        r#"{"Bucket": "customer-data-prod", "Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::customer-data-prod/*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}"#,
    )
    .unwrap();
    let run = iamlog(&["what-can", "dana", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("SCPs are evaluated, RCPs are not yet"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not evaluated"), "{}", run.stderr);
    // The bucket policy's conditional Deny limits dana's read of the bucket's objects.
    assert!(
        run.stdout.contains(
            "arn:aws:s3:::customer-data-prod#resource-policy: Bool aws:SecureTransport in [\"false\"]"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("not a recognised export"),
        "{}",
        run.stderr
    );

    // A broken SCP is an error at its JSON location, like any other policy.
    std::fs::write(
        dir.join("scp.json"),
        r#"{"Policy": {"PolicySummary": {"Id": "p-abcd1234", "Arn": "arn:aws:organizations::123456789012:policy/o-abcdefghij/service_control_policy/p-abcd1234", "Name": "Bad", "Description": "", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false},
           "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Permit\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}}"#,
    )
    .unwrap();
    let run = iamlog(&["what-can", "dana", "--org", &dir.to_string_lossy()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("scp.json: at /Policy/Content/Statement/0/Effect"),
        "{}",
        run.stderr
    );
}

/// Copies the scp-multi-account fixture's input to a scratch directory.
fn scp_org(name: &str) -> Scratch {
    let dir = scratch(name);
    let src = path("tests/fixtures/orgs/scp-multi-account/input/aws");
    std::fs::create_dir_all(dir.join("organizations")).unwrap();
    for sub in ["", "organizations"] {
        for entry in std::fs::read_dir(src.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, dir.join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

fn decision(
    org: &std::path::Path,
    principal: &str,
    action: &str,
    resource: &str,
) -> (i32, String, String) {
    let run = iamlog(&[
        "explain",
        principal,
        action,
        resource,
        "--org",
        &org.to_string_lossy(),
        "--format",
        "json",
    ]);
    let d = serde_json::from_str::<serde_json::Value>(&run.stdout)
        .map(|v| v["decision"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    (run.code, d, run.stderr)
}

/// Regression (review): a root whose SCP policy type is not enabled has no SCP layer.
#[test]
fn scps_not_enabled_at_the_root_do_not_apply() {
    let dir = scp_org("scp-disabled");
    let roots = dir.join("organizations/list-roots.json");
    let text = std::fs::read_to_string(&roots)
        .unwrap()
        .replace("\"ENABLED\"", "\"PENDING_DISABLE\"");
    std::fs::write(&roots, text).unwrap();
    let (code, d, err) = decision(
        &dir,
        "prod-admin",
        "iam:CreateUser",
        "arn:aws:iam::100000000002:user/new",
    );
    assert_eq!((code, d.as_str()), (0, "Allowed"), "{err}");
}

/// Regression (review): an attached SCP whose content was not exported is an error, not a
/// silent fail-open.
#[test]
fn attached_scp_without_content_is_an_error() {
    let dir = scp_org("scp-missing");
    std::fs::remove_file(dir.join("organizations/scp-DenyIamUsers.json")).unwrap();
    let (code, _, err) = decision(
        &dir,
        "prod-admin",
        "iam:CreateUser",
        "arn:aws:iam::100000000002:user/new",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "`p-denyiamuser` is attached to `ou-ab12-11111111` but its content is missing"
        ),
        "{err}"
    );
}

/// Regression (review): `aws:PrincipalOrgID` and `aws:PrincipalOrgPaths` come from the
/// Organizations exports, so a data-perimeter SCP does not deny the organization's own
/// principals.
#[test]
fn principal_org_keys_come_from_the_organization() {
    let dir = scp_org("scp-perimeter");
    let scp = dir.join("organizations/scp-DenyIamUsers.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&scp).unwrap()).unwrap();
    v["Policy"]["Content"] = serde_json::Value::String(
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-exampleorg1"}}},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*",
             "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-exampleorg1/r-ab12/ou-ab12-11111111/*"}}}]})
        .to_string(),
    );
    std::fs::write(&scp, v.to_string()).unwrap();
    let (code, d, err) = decision(&dir, "prod-admin", "iam:ListUsers", "*");
    assert_eq!((code, d.as_str()), (0, "Allowed"), "{err}");
    let (_, d, err) = decision(&dir, "prod-admin", "s3:DeleteBucket", "arn:aws:s3:::b");
    assert_eq!(d, "ExplicitlyDenied", "prod is under workloads: {err}");
}

/// RCPs: a Deny attached on the resource account's path limits every caller of that account's
/// resources, only for services that support RCPs, never in the management account.
#[test]
fn rcp_denies_apply_to_the_resources_of_governed_accounts() {
    let dir = scp_org("rcp");
    let org = dir.join("organizations");
    let mgmt = "100000000001";
    std::fs::write(
        org.join("rcp-RequireTls.json"),
        serde_json::json!({"Policy": {"PolicySummary": {"Id": "p-requiretls", "Arn": format!("arn:aws:organizations::{mgmt}:policy/o-exampleorg1/resource_control_policy/p-requiretls"),
            "Name": "RequireTls", "Description": "", "Type": "RESOURCE_CONTROL_POLICY", "AwsManaged": false},
            "Content": serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "ec2:*"], "Resource": "*",
                 "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::100000000002:user/prod-admin"}, "Action": "sqs:DeleteQueue", "Resource": "*"},
                {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::100000000003:user/sandbox-admin"}, "Action": "sqs:PurgeQueue", "Resource": "*"}]}).to_string()}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        org.join("targets-RequireTls.json"),
        serde_json::json!({"PolicyId": "p-requiretls", "Targets": [{"TargetId": "r-ab12", "Arn": format!("arn:aws:organizations::{mgmt}:root/o-exampleorg1/r-ab12"), "Name": "Root", "Type": "ROOT"}]}).to_string(),
    )
    .unwrap();
    let roots = org.join("list-roots.json");
    let text = std::fs::read_to_string(&roots).unwrap().replace(
        "\"PolicyTypes\": [",
        "\"PolicyTypes\": [{\"Type\": \"RESOURCE_CONTROL_POLICY\", \"Status\": \"ENABLED\"},",
    );
    std::fs::write(&roots, text).unwrap();
    let explain = |principal: &str, action: &str, resource: &str, tls: &str| {
        let run = iamlog(&[
            "explain",
            principal,
            action,
            resource,
            "--org",
            &dir.to_string_lossy(),
            "--format",
            "json",
            "--context",
            &format!("aws:SecureTransport={tls}"),
            "--quiet",
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        (
            v["decision"].as_str().unwrap().to_string(),
            v["layers"]["rcp"]["result"].as_str().unwrap().to_string(),
        )
    };
    let prod_object = "arn:aws:s3:us-east-1:100000000002:accesspoint/ap/object/k";
    assert_eq!(
        explain("prod-admin", "s3:GetObject", prod_object, "false"),
        ("ExplicitlyDenied".into(), "ExplicitlyDenied".into())
    );
    assert_eq!(
        explain("prod-admin", "s3:GetObject", prod_object, "true").0,
        "Allowed"
    );
    // ec2 does not support RCPs: the Deny does not reach it.
    assert_eq!(
        explain(
            "prod-admin",
            "ec2:StopInstances",
            "arn:aws:ec2:us-east-1:100000000002:instance/i-1",
            "false"
        )
        .0,
        "Allowed"
    );
    // The management account's resources are not governed by RCPs.
    assert_eq!(
        explain(
            "org-admin",
            "s3:GetObject",
            "arn:aws:s3:us-east-1:100000000001:accesspoint/ap/object/k",
            "false"
        )
        .0,
        "Allowed"
    );
    // A statement naming one principal holds only for it.
    let queue = "arn:aws:sqs:us-east-1:100000000002:q";
    assert_eq!(
        explain("prod-admin", "sqs:DeleteQueue", queue, "true").0,
        "ExplicitlyDenied"
    );
    assert_eq!(
        explain("prod-admin", "sqs:PurgeQueue", queue, "true").0,
        "Allowed"
    );
}

/// Writes a two-account org: in each account a user with `*` on `*` and a bucket whose policy
/// Denies `s3:DeleteObject` to everyone without TLS.
fn two_account_buckets(name: &str) -> Scratch {
    let dir = scratch(name);
    for (account, user, bucket) in [
        ("111111111111", "local", "b-one"),
        ("222222222222", "other", "b-two"),
    ] {
        std::fs::write(
            dir.join(format!("{account}-iam.json")),
            format!(
                r#"{{"UserDetailList": [{{"UserName": "{user}", "UserId": "AIDA{account}00001",
                  "Path": "/", "Arn": "arn:aws:iam::{account}:user/{user}", "GroupList": [],
                  "AttachedManagedPolicies": [],
                  "UserPolicyList": [{{"PolicyName": "all", "PolicyDocument":
                    {{"Version": "2012-10-17", "Statement": [
                      {{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}}}]}}],
                "GroupDetailList": [], "RoleDetailList": [], "Policies": []}}"#
            ),
        )
        .unwrap();
        let policy = format!(
            r#"{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"TlsOnly\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:DeleteObject\",\"Resource\":\"arn:aws:s3:::{bucket}/*\",\"Condition\":{{\"Bool\":{{\"aws:SecureTransport\":\"false\"}}}}}}]}}"#
        );
        std::fs::write(
            dir.join(format!("s3-{bucket}-policy.json")),
            format!(r#"{{"Policy": "{policy}", "Bucket": "{bucket}", "AccountId": "{account}"}}"#),
        )
        .unwrap();
    }
    dir
}

/// The caveats of `principal`'s `*` on `*` row in `what-can` (CSV).
fn star_row_caveats(org: &Path, principal: &str) -> String {
    let run = iamlog(&[
        "what-can",
        principal,
        "--org",
        &org.to_string_lossy(),
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .find(|l| l.contains(",*,*,"))
        .unwrap_or_else(|| panic!("no `*` on `*` row:\n{}", run.stdout))
        .to_string()
}

/// A resource policy's Deny limits a grant on a pattern that may lie in any account (`*`) for
/// the callers of the resource's own account only: another account reaches the resource only
/// where its policy allows (aws.md §5), which such a grant never claims. Asked about the
/// resource itself, the Deny applies to every caller it names, of any account.
#[test]
fn resource_policy_denies_limit_pattern_grants_of_their_own_account() {
    let dir = two_account_buckets("rp-pattern-accounts");
    let one = "arn:aws:s3:::b-one#resource-policy: Bool aws:SecureTransport";
    let two = "arn:aws:s3:::b-two#resource-policy: Bool aws:SecureTransport";
    let local = star_row_caveats(&dir, "arn:aws:iam::111111111111:user/local");
    assert!(local.contains("(limited: see caveats)"), "{local}");
    assert!(local.contains(one) && !local.contains(two), "{local}");
    let other = star_row_caveats(&dir, "arn:aws:iam::222222222222:user/other");
    assert!(other.contains(two) && !other.contains(one), "{other}");
    // On the other account's object itself, the Deny applies to local too (and the bucket's
    // policy does not allow local: implicitly denied without TLS aside).
    let run = iamlog(&[
        "explain",
        "arn:aws:iam::111111111111:user/local",
        "s3:DeleteObject",
        "arn:aws:s3:::b-two/x",
        "--org",
        &dir.to_string_lossy(),
        "--context",
        "aws:SecureTransport=false",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    assert_eq!(v["decision"], "ExplicitlyDenied", "{}", run.stdout);
    // A pattern inside the other account's bucket names that account: its Deny still limits
    // it (here the caller of that account).
    let run = iamlog(&[
        "who-can",
        "s3:DeleteObject",
        "arn:aws:s3:::b-two/*",
        "--org",
        &dir.to_string_lossy(),
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("arn:aws:iam::222222222222:user/other,"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(row.contains(two), "{row}");
    // Whole-org facts keep whom each statement names, the other account's callers included
    // (user rules read them); only questions about some sources leave them unchecked.
    let out = scratch("rp-pattern-accounts-facts");
    let run = iamlog(&[
        "facts",
        "--out",
        &out.to_string_lossy(),
        "--org",
        &dir.to_string_lossy(),
        "--quiet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let matches = std::fs::read_to_string(out.join("aws_rp_match_direct.facts")).unwrap();
    assert!(
        matches.contains(
            "arn:aws:s3:::b-two#resource-policy#0\tarn:aws:iam::111111111111:user/local\n"
        ),
        "{matches}"
    );
}

/// Output whose every write fails as a closed pipe does (`iamlog ... | head`).
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    let demo = demo();
    let asked: [&[&str]; 4] = [
        &["who-can", "s3:GetObject", "*", "--org", &demo, "-q"],
        &["what-can", "--all", "--org", &demo, "-q"],
        &["rules", "--relations"],
        &["check", "--org", &demo, "--format", "json", "-q"],
    ];
    for args in asked {
        let mut err = Vec::new();
        let mut all = vec!["iamlog"];
        all.extend_from_slice(args);
        let code = iamlog_cli::run_from_args(all, &mut ClosedPipe, &mut err);
        let err = String::from_utf8_lossy(&err);
        assert_eq!((code, err.as_ref()), (0, ""), "iamlog {args:?}");
    }
    // Any other failure to write is still an error.
    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("no space left"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut err = Vec::new();
    let code = iamlog_cli::run_from_args(
        [
            "iamlog",
            "who-can",
            "s3:GetObject",
            "*",
            "--org",
            &demo,
            "-q",
        ],
        &mut Full,
        &mut err,
    );
    assert_eq!(code, 2);
    assert!(String::from_utf8_lossy(&err).contains("no space left"));
}
