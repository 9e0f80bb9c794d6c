//! `who-can` asks a large org's callers in parts, one per core (`effective_rows_split`, and the
//! chain steps of `Chains::backward_in_parts`). For every org of `comparison_orgs`, the parts
//! give what one run gives: the same rows for each access asked, the same chains from every
//! caller, whatever the number of parts.

// Test code may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use iamlog_cli::analysis::{self, AccessRow, Org};
use iamlog_cli::chains::Chains;
use iamlog_ingest::aws::facts::{self, Question};

fn sorted(mut rows: Vec<AccessRow>) -> Vec<AccessRow> {
    rows.sort();
    rows
}

#[test]
fn who_can_in_parts_is_who_can_in_one_run() {
    let keep = |_: &str, _: &str, _: &str| true;
    let (mut orgs_compared, mut rows_compared) = (0, 0);
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let sources = facts::whole_org_sources(org.aws());
        let table = analysis::effective_rows(&analysis::ask(&org, &Question::whole_org()), &keep);
        // The accesses of the table on concrete destinations, a few per org.
        let asked: BTreeSet<(String, String)> = table
            .iter()
            .filter(|r| !r.destination.contains(['*', '?']) && !r.action.contains(['*', '?']))
            .map(|r| (r.action.to_string(), r.destination.to_string()))
            .take(12)
            .collect();
        for (action, resource) in &asked {
            let q = Question::at_one_point(sources.clone(), action, resource, None);
            let one = sorted(analysis::effective_rows_split(
                &org,
                &q,
                1,
                analysis::MIN_PART,
                &keep,
            ));
            assert!(
                !one.is_empty(),
                "{}: nobody can {action} on {resource}",
                dir.display()
            );
            for threads in [2, 3] {
                let parts = sorted(analysis::effective_rows_split(&org, &q, threads, 1, &keep));
                assert!(
                    parts == one,
                    "{}: {action} on {resource} in {threads} parts gives {} rows, one run {}",
                    dir.display(),
                    parts.len(),
                    one.len()
                );
            }
            rows_compared += one.len();
        }
        orgs_compared += usize::from(!asked.is_empty());
    }
    assert!(orgs_compared >= 12, "only {orgs_compared} orgs compared");
    assert!(rows_compared >= 200, "only {rows_compared} rows compared");
}

#[test]
fn chains_followed_in_parts_are_the_chains_of_one_run() {
    let mut with_chains = 0;
    for dir in iamlog_tests::comparison_orgs() {
        let Ok(org) = Org::load(std::slice::from_ref(&dir)) else {
            continue;
        };
        let sources = facts::whole_org_sources(org.aws());
        let roles: BTreeSet<String> = sources
            .iter()
            .filter(|s| s.contains(":role/"))
            .cloned()
            .collect();
        let one = Chains::backward_in_parts(&org, &roles, 1, analysis::MIN_PART);
        let parts = Chains::backward_in_parts(&org, &roles, 2, 1);
        for s in &sources {
            assert_eq!(
                one.reachable(s),
                parts.reachable(s),
                "{}: chains from {s}",
                dir.display()
            );
        }
        with_chains += usize::from(!one.is_empty());
    }
    assert!(with_chains >= 3, "only {with_chains} orgs have chains");
}
