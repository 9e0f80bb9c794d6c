//! End-to-end checks of the compiled core rules: small fact sets built by hand, run through
//! `run_core`, compared in the canonical text form.

use iamlog_engine::canonical::render_rows;
use iamlog_engine::dl;
use iamlog_engine::{
    ActionId, ConditionId, Derived, Facts, PolicyId, PrincipalId, ResourceId, StatementId, SCHEMA,
};

/// The canonical lines of derived relation `name`.
fn rows(derived: &Derived, facts: &Facts, name: &str) -> Vec<String> {
    render_rows(
        name,
        &derived.rows(name).unwrap_or_default(),
        &facts.interner,
    )
}

/// Ids for the strings of one small org.
struct Org {
    facts: Facts,
}

impl Org {
    fn principal(&mut self, s: &str) -> PrincipalId {
        self.facts.interner.id(s)
    }
    fn action(&mut self, s: &str) -> ActionId {
        self.facts.interner.id(s)
    }
    fn resource(&mut self, s: &str) -> ResourceId {
        self.facts.interner.id(s)
    }
    fn policy(&mut self, s: &str) -> PolicyId {
        self.facts.interner.id(s)
    }
    fn statement(&mut self, s: &str) -> StatementId {
        self.facts.interner.id(s)
    }
    fn condition(&mut self, s: &str) -> ConditionId {
        self.facts.interner.id(s)
    }

    /// A policy with one unconditional or conditional statement on one action and resource.
    fn policy_with_statement(
        &mut self,
        policy: &str,
        allow: bool,
        action: &str,
        resource: &str,
        condition: Option<&str>,
    ) -> PolicyId {
        let pol = self.policy(policy);
        let st = self.statement(&format!("{policy}#0"));
        let a = self.action(action);
        let d = self.resource(resource);
        let f = &mut self.facts;
        f.policy_statement.push((pol, st));
        if allow {
            f.allow_statement.push((st,));
            f.grant_destination.push((st, d));
        } else {
            f.deny_statement.push((st,));
        }
        f.statement_action.push((st, a));
        f.statement_resource.push((st, d));
        match condition {
            None => f.statement_unconditional.push((st,)),
            Some(c) => {
                let c: ConditionId = f.interner.id(c);
                f.statement_condition.push((st, c));
            }
        }
        pol
    }
}

const GET: &str = "s3:GetObject";
const OBJ: &str = "arn:aws:s3:::logs/a.txt";

fn org() -> Org {
    let mut org = Org {
        facts: Facts::default(),
    };
    let t = org.condition("true");
    let caveated = org.condition("true, unless caveats apply");
    org.facts.condition_true.push((t,));
    org.facts.condition_with_caveat.push((t, caveated));

    let read = org.policy_with_statement("ReadLogs", true, GET, OBJ, None);
    let deny = org.policy_with_statement("DenyLogs", false, GET, OBJ, None);
    let deny_without_mfa = org.policy_with_statement(
        "DenyWithoutMfa",
        false,
        GET,
        OBJ,
        Some("aws:MultiFactorAuthPresent != true"),
    );

    // alice reads through her group; bob has the read policy and an unconditional deny;
    // carol has the read policy and a deny that applies only without MFA.
    let alice = org.principal("arn:aws:iam::1:user/alice");
    let bob = org.principal("arn:aws:iam::1:user/bob");
    let carol = org.principal("arn:aws:iam::1:user/carol");
    let devs = org.principal("arn:aws:iam::1:group/devs");
    let f = &mut org.facts;
    f.query_source.extend([(alice,), (bob,), (carol,)]);
    f.member_of_direct.push((alice, devs));
    f.policy_attached.extend([
        (devs, read),
        (bob, read),
        (bob, deny),
        (carol, read),
        (carol, deny_without_mfa),
    ]);
    org
}

#[test]
fn allow_through_a_group_deny_and_conditional_deny() {
    let org = org();
    let derived = iamlog_rules::run_core(&org.facts);
    let f = &org.facts;

    assert_eq!(
        rows(&derived, f, "member_of"),
        vec![r#"member_of("arn:aws:iam::1:user/alice", "arn:aws:iam::1:group/devs")"#]
    );
    assert_eq!(
        rows(&derived, f, "allowed"),
        vec![
            r#"allowed("arn:aws:iam::1:user/alice", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "ReadLogs", "arn:aws:iam::1:group/devs")"#,
            r#"allowed("arn:aws:iam::1:user/bob", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "ReadLogs", "arn:aws:iam::1:user/bob")"#,
            r#"allowed("arn:aws:iam::1:user/carol", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "ReadLogs", "arn:aws:iam::1:user/carol")"#,
        ]
    );
    assert_eq!(
        rows(&derived, f, "denied"),
        vec![
            r#"denied("arn:aws:iam::1:user/bob", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "DenyLogs")"#
        ]
    );
    assert_eq!(
        rows(&derived, f, "effective_caveat"),
        vec![
            r#"effective_caveat("arn:aws:iam::1:user/carol", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "DenyWithoutMfa", "aws:MultiFactorAuthPresent != true")"#
        ]
    );
    // alice: unconditional; bob: denied, no row; carol: only with the caveated condition.
    assert_eq!(
        rows(&derived, f, "effective"),
        vec![
            r#"effective("arn:aws:iam::1:user/alice", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "ReadLogs", "arn:aws:iam::1:group/devs", "true")"#,
            r#"effective("arn:aws:iam::1:user/carol", "s3:GetObject", "arn:aws:s3:::logs/a.txt", "ReadLogs", "arn:aws:iam::1:user/carol", "true, unless caveats apply")"#,
        ]
    );
}

#[test]
fn no_query_source_no_access() {
    let mut org = org();
    org.facts.query_source.clear();
    let derived = iamlog_rules::run_core(&org.facts);
    assert!(derived.effective.is_empty());
    assert!(derived.allowed.is_empty());
    // The hierarchy does not depend on the question.
    assert_eq!(derived.member_of.len(), 1);
}

#[test]
fn core_sources_are_the_compiled_files() {
    let sources = iamlog_rules::core_sources();
    let names: Vec<&str> = sources.iter().map(|(n, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert!(names.contains(&"schema.dl"), "{names:?}");

    // The same text parses, checks, agrees with the engine schema, and survives printing.
    let program = dl::parse_files(sources.iter().copied());
    assert!(program.is_ok(), "{program:?}");
    let program = program.unwrap_or_default();
    assert_eq!(dl::check(&program), vec![]);
    assert_eq!(dl::check_against_schema(&program, SCHEMA), vec![]);
    for (name, text) in sources {
        // A parse failure leaves an empty program, which differs from the parsed one.
        let mut parsed = dl::parse(text, name).unwrap_or_default();
        let mut reparsed = dl::parse(&dl::print(&parsed), name).unwrap_or_default();
        parsed.clear_spans();
        reparsed.clear_spans();
        assert!(!parsed.items.is_empty(), "{name}");
        assert_eq!(
            parsed, reparsed,
            "{name} does not round-trip through the printer"
        );
    }
}
