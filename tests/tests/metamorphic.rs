//! Metamorphic laws of the effective-access computation (DESIGN.md §6), checked on the
//! committed differential org (187 principals, every policy feature of the identity side):
//! - adding a Deny never grows access;
//! - removing a user from a group never grows what is allowed before denies, and never grows
//!   net access when the group's policies hold no Deny (a group's Deny leaves with the
//!   membership, which can grow net access: that is AWS semantics, not a violation);
//! - the order in which principals appear in the export changes nothing.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use iamlog_cli::analysis::{self, AccessRow, Org};
use iamlog_ingest::aws::facts::Question;
use iamlog_ingest::aws::model::{AwsOrg, Policy, PolicyKind, PrincipalKind, Source};
use iamlog_ingest::aws::policy::parse_policy;
use iamlog_tests::path;

type Key = (String, String, String, String, String);

fn rows(org: &Org) -> Vec<AccessRow> {
    analysis::effective_rows(&analysis::ask(org, &Question::whole_org()), &|_, _, _| true)
}

fn keys(rows: &[AccessRow], unconditional_only: bool) -> BTreeSet<Key> {
    rows.iter()
        .filter(|r| !unconditional_only || (r.condition.is_none() && r.caveats.is_empty()))
        .map(|r| {
            (
                r.source.to_string(),
                r.action.to_string(),
                r.destination.to_string(),
                r.policy.to_string(),
                r.granter.to_string(),
            )
        })
        .collect()
}

fn load() -> Org {
    Org::load(&[path("tests/fixtures/differential/aws-identity/input")]).unwrap()
}

/// A tiny deterministic PRNG (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn add_inline(aws: &mut AwsOrg, holder: &str, name: &str, doc: serde_json::Value) {
    let id = AwsOrg::inline_policy_id(holder, name);
    let document = parse_policy(&doc, "").unwrap();
    aws.policies.insert(
        id.clone(),
        Policy {
            id: id.clone(),
            name: name.to_string(),
            kind: PolicyKind::Inline {
                holder: holder.to_string(),
            },
            version: None,
            document,
            source: Source::default(),
        },
    );
    aws.principals.get_mut(holder).unwrap().policies.push(id);
}

#[test]
fn adding_a_deny_never_grows_access() {
    let base = load();
    let before = rows(&base);
    let (all_before, firm_before) = (keys(&before, false), keys(&before, true));
    let actions = [
        "s3:*",
        "s3:Get*",
        "iam:*",
        "*",
        "ec2:Describe*",
        "sqs:SendMessage",
        "*Object*",
    ];
    let resources = [
        "*",
        "arn:aws:s3:::*",
        "arn:aws:s3:::b1/*",
        "arn:aws:iam::111122223333:role/*",
    ];
    let conditions = [
        serde_json::Value::Null,
        serde_json::json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
        serde_json::json!({"StringEquals": {"aws:PrincipalTag/team": "red"}}),
    ];
    let holders: Vec<String> = base.aws().principals.keys().cloned().collect();
    let mut rng = Rng(7);
    for round in 0..2 {
        let mut org = load();
        let mut added = Vec::new();
        for i in 0..20 {
            let holder = rng.pick(&holders).clone();
            let mut statement = serde_json::json!({
                "Effect": "Deny",
                "Action": rng.pick(&actions),
                "Resource": rng.pick(&resources),
            });
            let condition = rng.pick(&conditions);
            if !condition.is_null() {
                statement["Condition"] = condition.clone();
            }
            add_inline(
                &mut org.loaded.aws,
                &holder,
                &format!("metamorphic-deny-{round}-{i}"),
                serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}),
            );
            added.push(holder);
        }
        let after = rows(&org);
        let after_keys = keys(&after, false);
        let grown: Vec<&Key> = after_keys.difference(&all_before).take(5).collect();
        assert!(
            grown.is_empty(),
            "round {round}: Denies on {added:?} added rows {grown:?}"
        );
        let firm: BTreeSet<Key> = keys(&after, true);
        let firmer: Vec<&Key> = firm.difference(&firm_before).take(5).collect();
        assert!(
            firmer.is_empty(),
            "round {round}: Denies made rows unconditional: {firmer:?}"
        );
    }
}

fn allowed_keys(org: &Org) -> BTreeSet<(String, String, String)> {
    let answer = analysis::ask(org, &Question::whole_org());
    answer
        .derived
        .allowed
        .iter()
        .map(|&(s, a, d, _, _)| {
            (
                answer.name(s).to_string(),
                answer.name(a).to_string(),
                answer.name(d).to_string(),
            )
        })
        .collect()
}

fn group_has_deny(aws: &AwsOrg, group: &str) -> bool {
    aws.principals.get(group).is_some_and(|g| {
        g.policies.iter().any(|p| {
            aws.policies.get(p).is_some_and(|p| {
                p.document
                    .statements
                    .iter()
                    .any(|s| matches!(s.effect, iamlog_ingest::aws::policy::Effect::Deny))
            })
        })
    })
}

#[test]
fn removing_a_group_membership_never_grows_access() {
    let base = load();
    let (before, allowed_before) = (keys(&rows(&base), false), allowed_keys(&base));
    // Memberships of groups without Deny statements: net access may only shrink.
    let mut org = load();
    let snapshot = org.loaded.aws.clone();
    let mut removed = 0;
    for p in org.loaded.aws.principals.values_mut() {
        if p.kind == PrincipalKind::User && removed < 15 {
            if let Some(i) = p.groups.iter().position(|g| !group_has_deny(&snapshot, g)) {
                p.groups.remove(i);
                removed += 1;
            }
        }
    }
    assert!(removed > 0);
    let after = keys(&rows(&org), false);
    assert!(
        after.is_subset(&before),
        "{:?}",
        after.difference(&before).take(5).collect::<Vec<_>>()
    );
    assert!(
        after.len() < before.len(),
        "removing memberships should remove some access"
    );
    // Any membership: what is allowed before denies may only shrink.
    let mut org = load();
    for p in org.loaded.aws.principals.values_mut() {
        if p.kind == PrincipalKind::User {
            p.groups.truncate(p.groups.len().saturating_sub(1));
        }
    }
    let allowed_after = allowed_keys(&org);
    assert!(
        allowed_after.is_subset(&allowed_before),
        "{:?}",
        allowed_after
            .difference(&allowed_before)
            .take(5)
            .collect::<Vec<_>>()
    );
}

#[test]
fn export_order_changes_nothing() {
    let dir = path("tests/fixtures/differential/aws-identity/input/aws");
    let gaad: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gaad.json")).unwrap()).unwrap();
    let mut reversed = gaad.clone();
    for list in [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ] {
        if let Some(items) = reversed[list].as_array_mut() {
            items.reverse();
        }
    }
    let scratch = iamlog_tests::scratch("metamorphic-reversed");
    std::fs::write(
        scratch.join("gaad.json"),
        serde_json::to_string(&reversed).unwrap(),
    )
    .unwrap();
    std::fs::copy(dir.join("tags.json"), scratch.join("tags.json")).unwrap();
    let a = rows(&load());
    let b = rows(&Org::load(&[scratch.to_path_buf()]).unwrap());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "the effective table depends on export order");
}
