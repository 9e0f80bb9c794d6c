//! `iamlog simulate`: hand-written Simulation files (aws.md §9.5 vectors where they apply), and
//! agreement with iam-simulate on every request of the committed differential fixture, each
//! turned into the Simulation that `scripts/oracle/oracle.mjs` `buildSimulation` gives the
//! oracle.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Map, Value};

use iamlog_cli::analysis::Org;
use iamlog_cli::simulate::{parse_simulation, simulate_many, simulate_values};
use iamlog_ingest::aws::model::PrincipalKind;
use iamlog_ingest::aws::organizations::OrgPolicyKind;
use iamlog_tests::{iamlog, path};

fn fixture(name: &str) -> String {
    path(&format!("tests/fixtures/simulate/{name}"))
        .to_string_lossy()
        .into_owned()
}

/// Runs `iamlog simulate FILE --format json`; returns the exit code and the JSON (or stderr).
fn simulate_json(name: &str) -> (i32, Value, String) {
    let file = fixture(name);
    let run = iamlog(&["simulate", &file, "--format", "json"]);
    let v = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, v, run.stderr)
}

#[test]
fn hand_written_simulations_decide_as_aws_md_expects() {
    // (file, decision): aws.md §9.5 vector 17 (identity allow with `S3:getobj*` on `b?/*`),
    // an identity Deny under a condition, 7/9 without their bucket policy (boundary lacks s3),
    // vector 2's SCP Deny on SecureTransport=false at an OU level (same account), vector g (an
    // OU level with no SCP Allow), and every level allowing.
    let cases = [
        ("identity-allow.json", "Allowed"),
        ("explicit-deny.json", "ExplicitlyDenied"),
        ("boundary-blocks.json", "ImplicitlyDenied"),
        ("scp-deny-at-ou.json", "ExplicitlyDenied"),
        ("scp-missing-allow.json", "ImplicitlyDenied"),
        ("scp-allow.json", "Allowed"),
        ("cross-account-all-allow.json", "Allowed"),
        // aws.md §9.5 vector 19: the session policy does not allow s3.
        ("session-policy-excludes.json", "ImplicitlyDenied"),
        // aws.md §4.1: a resource policy naming the session ARN is not limited by the session
        // policy. iam-simulate 0.1.173 says ImplicitlyDenied here (a documented departure;
        // the generated session scenarios leave this case out).
        ("session-arn-grant-past-session-policy.json", "Allowed"),
    ];
    for (name, decision) in cases {
        let (code, v, stderr) = simulate_json(name);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(v["decision"], decision, "{name}: {v:#}");
        assert!(v["layers"].is_object(), "{name}: {v:#}");
    }

    // aws.md §9.5 vector 1: cross-account, the bucket policy names the caller's account.
    let (_, v, _) = simulate_json("cross-account-all-allow.json");
    assert_eq!(v["layers"]["resource"]["result"], "AllowedForAccount");

    let (_, v, _) = simulate_json("boundary-blocks.json");
    assert_eq!(v["layers"]["identity"]["result"], "Allowed");
    assert_eq!(
        v["layers"]["permission_boundary"]["result"],
        "ImplicitlyDenied"
    );
    assert_eq!(v["layers"]["permission_boundary"]["policy"], "NoS3Boundary");

    // The session ARN is decided as its role.
    let (_, v, _) = simulate_json("explicit-deny.json");
    assert_eq!(v["principal"], "arn:aws:iam::111111111111:role/app");

    // SCP levels keep their orgIdentifier; the Deny names the SCP and its Sid.
    let (_, v, _) = simulate_json("scp-deny-at-ou.json");
    assert_eq!(v["layers"]["scp"]["result"], "ExplicitlyDenied");
    let deny = &v["layers"]["explicit_deny"]["statements"][0];
    assert_eq!(deny["policy"], "DenyNonTLS");
    assert_eq!(deny["policy_kind"], "aws_scp");
    assert_eq!(deny["sid"], "NoPlainHttp");
    let (_, v, _) = simulate_json("scp-missing-allow.json");
    assert_eq!(v["layers"]["scp"]["result"], "ImplicitlyDenied");
    assert_eq!(
        v["layers"]["scp"]["levels"],
        json!([
            {"target": "r-root", "allows": true},
            {"target": "ou-root-sandbox", "allows": false},
            {"target": "111111111111", "allows": true},
        ])
    );

    // The table form is `explain`'s.
    let run = iamlog(&["simulate", &fixture("scp-missing-allow.json")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("ImplicitlyDenied\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("service control policies: ImplicitlyDenied\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("    - ou-root-sandbox: no unconditional Allow\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn unsupported_layers_and_invalid_policies_are_errors() {
    let run = iamlog(&["simulate", &fixture("invalid-effect.json")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid-effect.json: at /identityPolicies/1/policy/Statement/0/Effect:"),
        "{}",
        run.stderr
    );

    let base = || -> Value {
        json!({
            "request": {
                "principal": "arn:aws:iam::111111111111:user/alice",
                "action": "s3:GetObject",
                "resource": {"resource": "arn:aws:s3:::b1/k", "accountId": "111111111111"},
                "contextVariables": {}
            },
            "identityPolicies": [],
            "serviceControlPolicies": [],
            "resourceControlPolicies": []
        })
    };
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let mut v = base();
    v["vpcEndpointPolicies"] = json!([{"name": "E", "policy": doc.clone()}]);
    let err = simulate_values(&[v], "t.json").unwrap_err().0;
    assert!(
        err.starts_with("t.json: at /vpcEndpointPolicies:") && err.contains("not supported yet"),
        "{err}"
    );
    let mut v = base();
    v["request"]["principal"] = json!("anonymousPrincipal");
    let err = simulate_values(&[v], "t.json").unwrap_err().0;
    assert!(
        err.starts_with("t.json: at /request/principal:")
            && err.contains("{\"type\": \"Anonymous\"}"),
        "{err}"
    );
    let mut v = base();
    v["additionalSettings"] = json!({"s3": {"blockPublicAccess": {"restrictPublicBuckets": true}}});
    let err = simulate_values(&[v], "t.json").unwrap_err().0;
    assert!(
        err.starts_with("t.json: at /additionalSettings/s3/blockPublicAccess:"),
        "{err}"
    );
    let mut v = base();
    v["permissionBoundaryPolicies"] =
        json!([{"name": "A", "policy": doc.clone()}, {"name": "B", "policy": doc.clone()}]);
    let err = simulate_values(&[v], "t.json").unwrap_err().0;
    assert!(err.contains("at /permissionBoundaryPolicies/1:"), "{err}");
    let mut v = base();
    v["identityPolicies"] = json!([{"name": "P", "policy": {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}}]);
    let err = simulate_values(&[v], "t.json").unwrap_err().0;
    assert!(
        err.contains("at /identityPolicies/0/policy/Statement/0/Principal:"),
        "{err}"
    );
}

/// The SCP levels of `generate-scp.mjs` `scpLevels` for a principal: root first, then each OU,
/// then the account, each with its SCPs in policy-id order; none for the management account and
/// service-linked roles.
fn scp_levels(org: &Org, p: &iamlog_ingest::aws::model::Principal) -> Value {
    let structure = &org.aws().organization;
    let exempt = structure.management_account() == Some(p.account.as_str())
        || p.path.starts_with("/aws-service-role/");
    let Some(path) = structure.path_to_root(&p.account).filter(|_| !exempt) else {
        return json!([]);
    };
    let full_access = json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let levels: Vec<Value> = path
        .iter()
        .map(|level| {
            let policies: Vec<Value> = structure
                .attached(level, OrgPolicyKind::Scp)
                .iter()
                .map(|id| {
                    let pol = &structure.policies[*id];
                    let doc = pol
                        .document
                        .as_ref()
                        .map_or_else(|| full_access.clone(), |d| d.to_json());
                    json!({"name": pol.name.clone().unwrap_or_else(|| pol.id.clone()), "policy": doc})
                })
                .collect();
            json!({"orgIdentifier": level, "policies": policies})
        })
        .collect();
    Value::Array(levels)
}

/// The Simulation `buildSimulation` (scripts/oracle/oracle.mjs, and `generate-scp.mjs` for the
/// SCP fixture) builds for one request line: the principal's account owns the resource.
fn build_simulation(org: &Org, request: &Value) -> Value {
    let aws = org.aws();
    let principal_arn = request["principal"].as_str().unwrap();
    let resource = request["resource"].as_str().unwrap();
    let p = &aws.principals[principal_arn];
    let account = p.account.as_str();
    let named = |label: String, id: &str| json!({"name": label, "policy": aws.policies[id].document.to_json()});
    let mut identity = Vec::new();
    for id in &p.policies {
        identity.push(named(format!("{}:{id}", p.kind.as_str()), id));
    }
    if p.kind == PrincipalKind::User {
        for g in &p.groups {
            for id in &aws.principals[g].policies {
                identity.push(named(format!("group:{g}:{id}"), id));
            }
        }
    }
    // The request context, then the keys derived from the org (fixture README).
    let mut ctx: Map<String, Value> = request["context"].as_object().cloned().unwrap_or_default();
    if p.kind == PrincipalKind::User {
        ctx.insert("aws:username".into(), json!(p.name));
        ctx.insert("aws:userid".into(), json!(p.unique_id));
    }
    ctx.insert("aws:PrincipalArn".into(), json!(p.arn));
    ctx.insert("aws:PrincipalAccount".into(), json!(account));
    ctx.insert("aws:PrincipalType".into(), json!(p.kind.principal_type()));
    for (k, v) in &p.tags {
        ctx.insert(format!("aws:PrincipalTag/{k}"), json!(v));
    }
    if let Some(r) = aws.resources.get(resource) {
        for (k, v) in &r.tags {
            ctx.insert(format!("aws:ResourceTag/{k}"), json!(v));
        }
    }
    if let Some(rp) = aws.principals.get(resource) {
        for (k, v) in &rp.tags {
            ctx.insert(format!("aws:ResourceTag/{k}"), json!(v));
            ctx.insert(format!("iam:ResourceTag/{k}"), json!(v));
        }
    }
    ctx.insert("aws:ResourceAccount".into(), json!(account));
    let mut sim = json!({
        "request": {
            "principal": principal_arn,
            "action": request["action"],
            "resource": {"resource": resource, "accountId": account},
            "contextVariables": ctx,
        },
        "identityPolicies": identity,
        "serviceControlPolicies": scp_levels(org, p),
        "resourceControlPolicies": [],
    });
    if let Some(b) = &p.boundary {
        sim["permissionBoundaryPolicies"] = json!([named(format!("boundary:{b}"), b)]);
    }
    sim
}

/// Builds every request of a differential fixture as a Simulation, decides them all with
/// `simulate`, and requires every decision to be the oracle's; returns the number of requests.
fn agreement(fixture: &str) -> usize {
    let dir = path(fixture);
    let org = Org::load(&[dir.join("input")]).unwrap();
    let lines = |f: &str| -> Vec<Value> {
        std::fs::read_to_string(dir.join(f))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let requests = lines("requests.jsonl");
    let expected = lines("expected.jsonl");
    assert_eq!(requests.len(), expected.len());
    assert!(requests.len() >= 2000, "only {} requests", requests.len());
    let sims: Vec<_> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let v = build_simulation(&org, r);
            parse_simulation(&v, &format!("requests.jsonl:{}", i + 1))
                .unwrap_or_else(|e| panic!("{}", e.0))
        })
        .collect();
    let decided = simulate_many(&sims);
    assert_eq!(decided.len(), requests.len());
    let mut disagreements = Vec::new();
    for (i, (ex, e)) in decided.iter().zip(&expected).enumerate() {
        if ex.decision.as_str() != e["decision"] {
            disagreements.push(format!(
                "line {}: iamlog simulate {} / iam-simulate {}",
                i + 1,
                ex.decision.as_str(),
                e["decision"]
            ));
        }
    }
    let agree = requests.len() - disagreements.len();
    eprintln!(
        "{fixture}: simulate agrees with iam-simulate on {agree} of {}",
        requests.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {} disagree:\n{}",
        disagreements.len(),
        requests.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    requests.len()
}

#[test]
fn simulate_agrees_with_iam_simulate_on_every_identity_request() {
    assert_eq!(agreement("tests/fixtures/differential/aws-identity"), 2420);
}

#[test]
fn simulate_agrees_with_iam_simulate_on_every_scp_request() {
    assert_eq!(agreement("tests/fixtures/differential/aws-scp"), 2400);
}

/// Every Simulation document given to iam-simulate for a differential fixture
/// (`simulations.jsonl.gz`, written by the generators), decided by `iamlog simulate`'s
/// conversion: the decision must be the oracle's, line by line.
fn replay_simulations(fixture: &str) -> usize {
    use std::io::Read;
    let dir = path(fixture);
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(dir.join("simulations.jsonl.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let sims: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<Value> = std::fs::read_to_string(dir.join("expected.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sims.len(), expected.len());
    let got = simulate_values(&sims, fixture).unwrap();
    assert_eq!(got.len(), expected.len());
    let mut wrong = Vec::new();
    for (i, (ex, e)) in got.iter().zip(&expected).enumerate() {
        if ex.decision.as_str() != e["decision"] {
            wrong.push(format!(
                "line {}: {} / oracle {}",
                i + 1,
                ex.decision.as_str(),
                e["decision"]
            ));
        }
        if let Some(theirs) = e.get("session") {
            let ours = ex.session_result();
            let agree = match theirs.as_str() {
                None => ours == "NotApplicable",
                Some(t) => ours == t,
            };
            if !agree {
                wrong.push(format!(
                    "line {}: session layer {ours} / oracle {theirs}",
                    i + 1
                ));
            }
        }
        if let Some(theirs) = e.get("resource").and_then(Value::as_str) {
            if ex.resource_result() != theirs {
                wrong.push(format!(
                    "line {}: resource layer {} / oracle {theirs}",
                    i + 1,
                    ex.resource_result()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        got.len(),
        wrong.join("\n")
    );
    got.len()
}

#[test]
fn simulate_agrees_with_iam_simulate_on_every_resource_policy_simulation() {
    assert_eq!(
        replay_simulations("tests/fixtures/differential/aws-resource"),
        2000
    );
}

#[test]
fn simulate_agrees_with_iam_simulate_on_every_rcp_simulation() {
    assert_eq!(
        replay_simulations("tests/fixtures/differential/aws-rcp"),
        1600
    );
}

/// Session policies exist only in Simulations (exports carry none): this fixture is decided by
/// `simulate` alone.
#[test]
fn simulate_agrees_with_iam_simulate_on_every_session_policy_simulation() {
    assert_eq!(
        replay_simulations("tests/fixtures/differential/aws-session"),
        800
    );
}
