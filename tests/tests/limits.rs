//! A limiting statement's Condition in a whole-org question is read only where it can limit
//! something: at a source's destination where one of its grants names an action the
//! statement touches (`facts::Builder::emit_destinations`). Every rule that reads
//! `condition_at` joins the point's action with the statement's actions, so the answer is the
//! same; the facts are fewer.

// Test code may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamlog_cli::analysis::{self, Org};
use iamlog_ingest::aws::facts::Question;
use iamlog_tests::scratch;

/// Two users of one account, under one Deny whose Condition reads the caller
/// (`aws:PrincipalArn`) and the resource (`aws:ResourceTag/env`): alice may terminate
/// instances and read objects anywhere, bob may only read objects.
const GAAD: &str = r#"{
  "UserDetailList": [
    {"UserName": "alice", "UserId": "AIDA00000000000000001", "Path": "/",
     "Arn": "arn:aws:iam::111122223333:user/alice", "GroupList": ["staff"],
     "AttachedManagedPolicies": [],
     "UserPolicyList": [{"PolicyName": "ops", "PolicyDocument": {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": ["ec2:TerminateInstances", "s3:GetObject"],
                      "Resource": "*"}]}}]},
    {"UserName": "bob", "UserId": "AIDA00000000000000002", "Path": "/",
     "Arn": "arn:aws:iam::111122223333:user/bob", "GroupList": ["staff"],
     "AttachedManagedPolicies": [],
     "UserPolicyList": [{"PolicyName": "reads", "PolicyDocument": {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}]}
  ],
  "GroupDetailList": [
    {"GroupName": "staff", "GroupId": "AGPA00000000000000001", "Path": "/",
     "Arn": "arn:aws:iam::111122223333:group/staff", "AttachedManagedPolicies": [],
     "GroupPolicyList": [{"PolicyName": "guard", "PolicyDocument": {"Version": "2012-10-17",
       "Statement": [{"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"},
                                    "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/admin*"}}}]}}]}
  ],
  "RoleDetailList": [], "Policies": []
}"#;

#[test]
fn limiting_conditions_are_read_where_the_statement_touches_a_grant() {
    let dir = scratch("limits");
    std::fs::create_dir_all(dir.join("aws")).unwrap();
    std::fs::write(dir.join("aws/111122223333-iam.json"), GAAD).unwrap();
    let org = Org::load(&[dir.to_path_buf()]).unwrap();
    let answer = analysis::ask(&org, &Question::whole_org());

    // The answer: alice's termination anywhere is limited by the Deny, with the clause on the
    // resource's tag left (hers on the caller holds); reading objects is not limited.
    let rows = analysis::effective_rows(&answer, &|_, _, _| true);
    let row = |user: &str, action: &str| {
        rows.iter()
            .find(|r| r.source.ends_with(user) && &*r.action == action && &*r.destination == "*")
            .unwrap_or_else(|| panic!("no {user} {action} row: {rows:#?}"))
    };
    let terminate = row("user/alice", "ec2:TerminateInstances");
    assert!(
        terminate
            .caveats
            .iter()
            .any(|(pol, c)| pol.ends_with("guard")
                && c.as_deref().is_some_and(
                    |c| c.contains("aws:ResourceTag/env") && !c.contains("PrincipalArn")
                )),
        "{terminate:#?}"
    );
    for (user, action) in [("user/alice", "s3:GetObject"), ("user/bob", "s3:GetObject")] {
        let r = row(user, action);
        assert!(r.caveats.is_empty(), "{r:#?}");
    }

    // The facts: the Deny's Condition was read for alice at `*`, not for bob, whose grant
    // there names no action the Deny touches.
    let name = |s: iamlog_engine::Sym| answer.name(s).to_string();
    let read_for: Vec<(String, String)> = answer
        .facts
        .statement_condition_for
        .iter()
        .filter(|r| name(r.0.sym()).contains("guard"))
        .map(|r| (name(r.1.sym()), name(r.2.sym())))
        .collect();
    assert_eq!(
        read_for,
        [(
            "arn:aws:iam::111122223333:user/alice".to_string(),
            "*".to_string()
        )]
    );
}
