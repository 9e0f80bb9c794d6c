//! The whole-org table computed in batches of sources (`what-can --all`) is the table of one
//! whole-org run: for every fixture org, the demo, the small synthetic org and the
//! differential orgs, with batches of 1, 3 and 40 sources, on one thread and on two.

// Test code may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use iamlog_cli::analysis::{self, AccessRow, Org};
use iamlog_ingest::aws::facts::Question;
use iamlog_tests::path;

fn streamed(org: &Org, batch: usize, threads: usize) -> Vec<AccessRow> {
    let mut out: Vec<AccessRow> = Vec::new();
    let keep = |_: &str, _: &str| true;
    analysis::effective_streamed(org, &keep, batch, threads, &mut |rows| {
        out.extend(rows.to_rows());
        Ok::<(), ()>(())
    })
    .unwrap();
    out
}

#[test]
fn batched_whole_org_table_is_the_whole_org_run() {
    let mut compared = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let whole = analysis::effective_rows(
            &analysis::ask(&org, &Question::whole_org()),
            &|_: &str, _: &str, _: &str| true,
        );
        assert!(!whole.is_empty(), "{}: no rows", dir.display());
        for (batch, threads) in [(1, 1), (3, 2), (40, 2)] {
            let rows = streamed(&org, batch, threads);
            assert!(
                rows == whole,
                "{}: batches of {batch} on {threads} threads give {} rows, the whole run {}",
                dir.display(),
                rows.len(),
                whole.len()
            );
        }
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} orgs compared");
}

/// Which principals share a profile in `tests/fixtures/sharing` (its README says why each is
/// or is not shared), and that stamping their twins gives the rows of asking each of them.
#[test]
fn shared_profiles_are_those_the_rules_cannot_tell_apart() {
    use iamlog_ingest::aws::{facts, profiles};
    let org = Org::load(&[path("tests/fixtures/sharing/input")]).unwrap();
    let sources = facts::whole_org_sources(org.aws());
    let reps = profiles::shared_profiles(org.aws(), &sources);
    let name = |s: &str| s.rsplit('/').next().unwrap().to_string();
    let mut twins: Vec<(String, String)> = sources
        .iter()
        .zip(&reps)
        .filter(|&(s, &r)| sources[r] != *s)
        .map(|(s, &r)| (name(&sources[r]), name(s)))
        .collect();
    twins.sort();
    let want = [
        ("app-2", "app-5"),
        ("app-2", "app-6"),
        ("bob", "carol"),
        ("frank", "grace"),
        ("frank", "ivan"),
        ("judy", "kim"),
    ];
    assert_eq!(
        twins,
        want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
    );
    // Each twin's stamped rows are its own rows, asked alone.
    for (i, s) in sources.iter().enumerate() {
        let r = reps[i];
        if r == i {
            continue;
        }
        let ask = |who: &str| {
            let q = Question {
                sources: iamlog_ingest::aws::facts::Sources::Only(vec![who.to_string()]),
                points: iamlog_ingest::aws::facts::Points::All,
                context: iamlog_ingest::aws::facts::Context::Static,
            };
            analysis::effective_rows(&analysis::ask(&org, &q), &|_, _, _| true)
        };
        let renames = profiles::inline_renames(org.aws(), &sources[r], s);
        let stamped = analysis::stamp(&ask(&sources[r]), &sources[r], s, &renames);
        let own = ask(s);
        assert!(!own.is_empty(), "{s}: no rows");
        assert_eq!(stamped, own, "{s} stamped from {}", sources[r]);
    }
}

/// A differential org (`tests/fixtures/differential/NAME`), every caller (the anonymous one
/// last), and the distinct (action, resource) pairs of its requests.
fn differential_callers_and_pairs(
    name: &str,
) -> (
    Org,
    Vec<String>,
    std::collections::BTreeSet<(String, String)>,
) {
    let dir = path(&format!("tests/fixtures/differential/{name}"));
    let org = Org::load(&[dir.join("input")]).unwrap();
    let mut callers: Vec<String> = iamlog_ingest::aws::facts::whole_org_sources(org.aws());
    callers.retain(|c| c != "anonymous");
    callers.push("anonymous".to_string());
    let pairs = std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["action"].as_str().unwrap().to_string(),
                v["resource"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (org, callers, pairs)
}

/// `who-can` asks only the callers `may_be_granted` keeps: on the differential orgs, for the
/// (action, resource) pairs of their requests, the rows are those of asking every caller.
#[test]
fn who_can_candidates_give_the_rows_of_every_caller() {
    use iamlog_ingest::aws::facts::{self, Context, Points, RequestPoint, Sources};
    let mut compared = 0;
    for name in ["aws-identity", "aws-resource", "aws-scp", "aws-rcp"] {
        let (org, callers, pairs) = differential_callers_and_pairs(name);
        let aws = org.aws();
        for (action, resource) in pairs.iter().take(60) {
            let rows_for = |sources: &[String]| {
                let points = sources
                    .iter()
                    .map(|s| RequestPoint {
                        source: s.clone(),
                        action: action.clone(),
                        resource: resource.clone(),
                        resource_account: None,
                    })
                    .collect();
                let question = Question {
                    sources: Sources::Only(sources.to_vec()),
                    points: Points::Only(points),
                    context: Context::Static,
                };
                analysis::effective_rows(&analysis::ask(&org, &question), &|_, _, d| d == resource)
            };
            let kept = facts::may_be_granted(aws, &callers, action, resource);
            assert!(
                rows_for(&kept) == rows_for(&callers),
                "{name}: who-can {action} {resource}: {} of {} callers kept, rows differ",
                kept.len(),
                callers.len()
            );
            compared += 1;
        }
    }
    assert!(compared >= 200, "only {compared} questions compared");
}

/// A targeted question about a few exact resources plans only the statements whose Resource
/// may cover one of them; one about more resources plans every statement of the action. On the
/// differential orgs, for the (action, resource) pairs of their requests, every caller's rows
/// at the resource are the same both ways (the second question also asks nine other resources
/// of the org's requests, which a source's rows at the first never depend on).
#[test]
fn statements_of_other_resources_left_out_change_no_row() {
    use iamlog_ingest::aws::facts::{Context, Points, RequestPoint, Sources};
    use std::collections::BTreeSet;
    let mut compared = 0;
    let mut rows_seen = 0;
    for name in ["aws-identity", "aws-resource", "aws-scp", "aws-rcp"] {
        let (org, callers, mut pairs) = differential_callers_and_pairs(name);
        pairs.retain(|(_, r)| !r.contains(['*', '?']));
        let resources: Vec<&String> = pairs
            .iter()
            .map(|(_, r)| r)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert!(resources.len() > 9, "{name}: too few resources");
        for (action, resource) in pairs.iter().take(40) {
            let rows_at = |asked: &[&String]| {
                let points = callers
                    .iter()
                    .flat_map(|s| {
                        asked.iter().map(move |r| RequestPoint {
                            source: s.clone(),
                            action: action.clone(),
                            resource: r.to_string(),
                            resource_account: None,
                        })
                    })
                    .collect();
                let question = Question {
                    sources: Sources::Only(callers.clone()),
                    points: Points::Only(points),
                    context: Context::Static,
                };
                analysis::effective_rows(&analysis::ask(&org, &question), &|_, _, d| d == resource)
            };
            let few = rows_at(&[resource]);
            let mut many: Vec<&String> = vec![resource];
            many.extend(resources.iter().filter(|r| **r != resource).take(9));
            assert!(
                few == rows_at(&many),
                "{name}: who-can {action} {resource}: the rows differ"
            );
            rows_seen += few.len();
            compared += 1;
        }
    }
    assert!(compared >= 120, "only {compared} questions compared");
    assert!(rows_seen >= 100, "only {rows_seen} rows compared");
}

/// A targeted question that asks an action pattern keeps the statements that cover part of it
/// (`tests/fixtures/wildcard-ask/README.md`): each row is limited, with the Deny as its caveat.
#[test]
fn an_asked_action_pattern_keeps_the_statements_that_cover_part_of_it() {
    use iamlog_ingest::aws::facts::{Context, Points, RequestPoint, Sources};
    let org = Org::load(&[path("tests/fixtures/wildcard-ask/input")]).unwrap();
    let object = "arn:aws:s3:::b/k";
    for (user, asked) in [("u1", "s3:Get*"), ("u2", "*"), ("u3", "s3:Get*")] {
        let source = format!("arn:aws:iam::111122223333:user/{user}");
        let question = Question {
            sources: Sources::Only(vec![source.clone()]),
            points: Points::Only(vec![RequestPoint {
                source: source.clone(),
                action: asked.to_string(),
                resource: object.to_string(),
                resource_account: None,
            }]),
            context: Context::Static,
        };
        let rows = analysis::effective_rows(&analysis::ask(&org, &question), &|s, _, d| {
            s == source && d == object
        });
        assert_eq!(rows.len(), 1, "{user} {asked}: {rows:?}");
        let row = &rows[0];
        assert_eq!(
            row.condition.as_deref(),
            Some("(limited: see caveats)"),
            "{user}: {row:?}"
        );
        let deny = format!("{source}#inline/p");
        assert!(
            row.caveats.iter().any(|(p, _)| **p == *deny),
            "{user}: the Deny is not a caveat: {row:?}"
        );
    }
}

/// Rule R2: a resource-policy statement that names callers of other accounts (`Principal: "*"`
/// names every one) gives them no access point of its own on its resource: only the identity
/// path can reach it, and an identity grant adds its own point. The whole-org answer of
/// `aws-multi-account` (public and cross-account bucket policies) is the same with and without
/// those points (the goldens); here, that they are really gone.
#[test]
fn resource_policy_points_skip_callers_of_other_accounts() {
    use std::collections::BTreeSet;
    let org = Org::load(&[path("tests/fixtures/orgs/aws-multi-account")]).unwrap();
    let answer = analysis::ask(&org, &Question::whole_org());
    let name = |s: iamlog_engine::Sym| answer.name(s).to_string();
    let foreign: BTreeSet<(String, String)> = answer
        .derived
        .rp_point_foreign
        .iter()
        .map(|&(s, d)| (name(s.sym()), name(d.sym())))
        .collect();
    assert!(
        foreign.contains(&(
            "arn:aws:iam::200000000003:user/data-eng".to_string(),
            "arn:aws:s3:::fx-public-site/*".to_string()
        )),
        "{foreign:?}"
    );
    let identity: BTreeSet<(String, String)> = answer
        .derived
        .identity_allow
        .iter()
        .map(|r| (name(r.0.sym()), name(r.2.sym())))
        .collect();
    let mut checked = 0;
    for &(s, _, d) in &answer.derived.access_point {
        let key = (name(s.sym()), name(d.sym()));
        if foreign.contains(&key) {
            assert!(
                identity.contains(&key),
                "a point from the resource policy only: {key:?}"
            );
            checked += 1;
        }
    }
    assert!(
        foreign.len() > checked,
        "{} foreign pairs, {checked} with points",
        foreign.len()
    );
}

/// Rows of some sources asked in batches (`what-can` of a principal that reaches many roles)
/// are the rows of one run about all of them: for every comparison org's users and roles, in
/// batches of 1 and 7, on one thread and on two.
#[test]
fn rows_in_batches_are_the_rows_of_one_run() {
    use iamlog_ingest::aws::facts::{Context, Points, Sources};
    let keep = |_: &str, _: &str, _: &str| true;
    let mut compared = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let sources: Vec<String> = org.aws().users_and_roles().map(|p| p.arn.clone()).collect();
        let question = Question {
            sources: Sources::Only(sources.clone()),
            points: Points::All,
            context: Context::Static,
        };
        let mut one = analysis::effective_rows(&analysis::ask(&org, &question), &keep);
        one.sort();
        for (batch, threads) in [(1, 1), (7, 2)] {
            let mut rows =
                analysis::rows_in_batches(&org, &sources, &keep, batch, threads, &|rows| rows);
            rows.sort();
            assert!(
                rows == one,
                "{}: batches of {batch} on {threads} threads give {} rows, one run {}",
                dir.display(),
                rows.len(),
                one.len()
            );
        }
        compared += 1;
    }
    assert!(compared >= 18, "only {compared} orgs compared");
}

/// A question about some sources at every point (`what-can`) leaves out the matches of a
/// resource policy's statements for callers of another account that have no grant on a
/// destination of the resource's account (`tests/fixtures/foreign-resource-policies/README.md`
/// says why each caller is there): those matches can decide nothing. Each caller's rows, asked
/// alone, are its rows of the whole-org run, where every match is kept.
#[test]
fn resource_policies_of_other_accounts_are_left_out_where_no_grant_reaches_them() {
    use iamlog_ingest::aws::facts::{Context, Points, Sources};
    use std::collections::BTreeSet;
    let org = Org::load(&[path("tests/fixtures/foreign-resource-policies/input")]).unwrap();
    let keep = |_: &str, _: &str, _: &str| true;
    let whole = analysis::effective_rows(&analysis::ask(&org, &Question::whole_org()), &keep);
    let a = |u: &str| format!("arn:aws:iam::111111111111:user/{u}");
    let b_two = "arn:aws:s3:::b-two#resource-policy";
    let k2 = "arn:aws:kms:us-east-1:222222222222:key/k2#resource-policy";
    // (caller, the statements of account 222222222222's policies that still match it)
    let cases: [(String, &[&str]); 7] = [
        (a("admin"), &[]),
        (a("patterned"), &[]),
        (
            a("reader"),
            &[
                "#0", // TlsOnly (b-two)
                "#1", // AccountAReads (b-two)
                "#2", // AnyoneLists (b-two)
                "k2#1", "k2#2",
            ],
        ),
        (a("tagged"), &["#0", "#1", "#2", "k2#1", "k2#2"]),
        (a("scoped"), &["#0", "#1", "#2", "k2#1", "k2#2"]),
        (a("scoped-home"), &[]),
        (
            "arn:aws:iam::222222222222:user/owner".to_string(),
            &["#0", "#2", "k2#0", "k2#2"],
        ),
    ];
    for (source, kept) in &cases {
        let question = Question {
            sources: Sources::Only(vec![source.clone()]),
            points: Points::All,
            context: Context::Static,
        };
        let answer = analysis::ask(&org, &question);
        let facts = &answer.facts;
        let matched: BTreeSet<String> = facts
            .aws_rp_match_direct
            .iter()
            .chain(&facts.aws_rp_match_role)
            .chain(&facts.aws_rp_match_account)
            .map(|&(st, _)| answer.name(st).to_string())
            .filter_map(|st| {
                let (pol, index) = st.rsplit_once('#')?;
                if pol == b_two {
                    Some(format!("#{index}"))
                } else if pol == k2 {
                    Some(format!("k2#{index}"))
                } else {
                    None
                }
            })
            .collect();
        let want: BTreeSet<String> = kept.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            matched, want,
            "{source}: the statements of 222222222222 that match"
        );
        let mut rows = analysis::effective_rows(&answer, &keep);
        rows.sort();
        let mut theirs: Vec<AccessRow> = whole
            .iter()
            .filter(|r| *r.source == **source)
            .cloned()
            .collect();
        theirs.sort();
        assert!(!rows.is_empty(), "{source}: no rows");
        assert!(
            rows == theirs,
            "{source}: asked alone\n{rows:#?}\nin the whole-org run\n{theirs:#?}"
        );
    }
}
