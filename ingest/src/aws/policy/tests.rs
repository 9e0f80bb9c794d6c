use super::*;
use serde_json::json;

const P: &str = "/UserDetailList/3/UserPolicyList/0/PolicyDocument";

fn parse(v: Value) -> PolicyDocument {
    parse_policy(&v, P).unwrap()
}

fn err(v: Value) -> PolicyError {
    parse_policy(&v, P).unwrap_err()
}

fn assert_err(v: Value, pointer_suffix: &str, needle: &str) {
    let e = err(v);
    assert_eq!(e.pointer, format!("{P}{pointer_suffix}"), "{e}");
    assert!(e.message.contains(needle), "{e}");
    assert!(
        e.message.chars().next().is_some_and(|c| c.is_lowercase()),
        "{e}"
    );
}

fn round_trip(doc: &PolicyDocument) {
    let again = parse_policy(&doc.to_json(), P).unwrap();
    assert_eq!(&again, doc);
    // `Serialize` writes the same JSON.
    assert_eq!(serde_json::to_value(doc).unwrap(), doc.to_json());
}

#[test]
fn single_statement_and_string_values() {
    let d = parse(json!({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    }));
    assert!(d.variables_enabled());
    assert!(d.single_statement);
    assert_eq!(d.statements.len(), 1);
    let s = &d.statements[0];
    assert_eq!(s.index, 0);
    assert_eq!(s.effect, Effect::Allow);
    assert_eq!(s.action, ActionBlock::Action(vec!["s3:GetObject".into()]));
    assert_eq!(
        s.resource,
        Some(ResourceBlock::Resource(vec!["arn:aws:s3:::b/*".into()]))
    );
    assert!(s.condition.is_empty());
    round_trip(&d);
    assert_eq!(d.statement_pointer(P, 0), format!("{P}/Statement"));
}

#[test]
fn lists_not_elements_and_ids() {
    let d = parse(json!({
        "Version": "2008-10-17",
        "Id": "policy-1",
        "Statement": [
            {"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": ["arn:aws:s3:::x"]},
            {"Effect": "Allow", "Action": [], "Resource": []}
        ]
    }));
    assert!(!d.variables_enabled());
    assert_eq!(d.id.as_deref(), Some("policy-1"));
    let s = &d.statements[0];
    assert_eq!(s.sid.as_deref(), Some("A"));
    assert_eq!(s.effect, Effect::Deny);
    assert_eq!(
        s.action,
        ActionBlock::NotAction(vec!["iam:*".into(), "sts:*".into()])
    );
    assert_eq!(
        s.resource,
        Some(ResourceBlock::NotResource(vec!["arn:aws:s3:::x".into()]))
    );
    assert_eq!(d.statements[1].index, 1);
    assert_eq!(d.statement_pointer(P, 1), format!("{P}/Statement/1"));
    round_trip(&d);
    assert!(!parse(json!({"Statement": []})).variables_enabled());
}

#[test]
fn every_principal_form() {
    let d = parse(json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"},
        {"Effect": "Allow", "Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}, "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Principal": "111122223333", "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::1:role/admin"], "Service": ["a", "b"]}, "Action": "*", "Resource": "*"}
    ]}));
    let p: Vec<_> = d.statements.iter().map(|s| s.principal.clone()).collect();
    assert_eq!(p[0], Some(PrincipalBlock::Any));
    assert_eq!(
        p[1],
        Some(PrincipalBlock::Map(vec![(
            PrincipalKind::Aws,
            vec!["*".into()]
        )]))
    );
    assert_eq!(
        p[2],
        Some(PrincipalBlock::Map(vec![(
            PrincipalKind::Aws,
            vec![
                "arn:aws:iam::111122223333:root".into(),
                "444455556666".into()
            ]
        )]))
    );
    assert_eq!(
        p[3],
        Some(PrincipalBlock::Map(vec![(
            PrincipalKind::Service,
            vec!["ec2.amazonaws.com".into()]
        )]))
    );
    assert_eq!(
        p[4],
        Some(PrincipalBlock::Map(vec![(
            PrincipalKind::Federated,
            vec!["cognito-identity.amazonaws.com".into()]
        )]))
    );
    assert!(
        matches!(&p[5], Some(PrincipalBlock::Map(m)) if m[0].0 == PrincipalKind::CanonicalUser)
    );
    assert_eq!(
        p[6],
        Some(PrincipalBlock::Map(vec![(
            PrincipalKind::Aws,
            vec!["111122223333".into()]
        )]))
    );
    assert_eq!(p[7], None);
    assert_eq!(
        d.statements[7].not_principal,
        Some(PrincipalBlock::Map(vec![
            (PrincipalKind::Aws, vec!["arn:aws:iam::1:role/admin".into()]),
            (PrincipalKind::Service, vec!["a".into(), "b".into()]),
        ]))
    );
    assert_eq!(d.statements[0].resource, None);
    round_trip(&d);
    validate_trust_policy(&d, P).unwrap();
}

#[test]
fn condition_shapes() {
    let d = parse(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "s3:prefix": "home/"},
            "Bool": {"aws:SecureTransport": true},
            "NumericLessThan": {"s3:max-keys": 10, "x:float": 1.5, "x:whole": 2.0},
            "forallvalues:stringlikeifexists": {"aws:TagKeys": ["env", "team*"]},
            "NullIfExists": {"aws:TokenIssueTime": "false"},
            "StringLike": {}
        }
    }, {
        "Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {}
    }]}));
    let c = &d.statements[0].condition;
    assert_eq!(c.len(), 8);
    assert_eq!(c[7].operator.name(), "NullIfExists");
    assert_eq!(c[7].operator.base, BaseOperator::Null);
    assert_eq!(c[0].operator.base, BaseOperator::StringEquals);
    assert_eq!(c[0].key, "aws:PrincipalTag/team");
    assert_eq!(c[0].values, ["a", "b"]);
    assert_eq!(c[1].key, "s3:prefix");
    assert_eq!(c[2].values, ["true"]);
    assert_eq!(c[3].values, ["10"]);
    assert_eq!(c[4].values, ["1.5"]);
    assert_eq!(c[5].values, ["2"]);
    assert_eq!(
        c[6].operator,
        ConditionOperator {
            set: Some(SetModifier::ForAllValues),
            base: BaseOperator::StringLike,
            if_exists: true
        }
    );
    assert_eq!(c[6].operator.name(), "ForAllValues:StringLikeIfExists");
    assert!(d.statements[1].condition.is_empty());
    round_trip(&d);
    let j = d.to_json();
    assert_eq!(
        j["Statement"][0]["Condition"]["ForAllValues:StringLikeIfExists"]["aws:TagKeys"],
        json!(["env", "team*"])
    );
}

#[test]
fn operator_names() {
    for op in BaseOperator::ALL {
        for set in [
            None,
            Some(SetModifier::ForAllValues),
            Some(SetModifier::ForAnyValue),
        ] {
            for if_exists in [false, true] {
                let o = ConditionOperator {
                    set,
                    base: *op,
                    if_exists,
                };
                assert_eq!(ConditionOperator::parse(&o.name()), Some(o));
                assert_eq!(ConditionOperator::parse(&o.name().to_uppercase()), Some(o));
            }
        }
    }
    assert_eq!(BaseOperator::ALL.len(), 27);
    assert_eq!(
        ConditionOperator::parse("stringequals").map(|o| o.name()),
        Some("StringEquals".into())
    );
    assert_eq!(
        ConditionOperator::parse("ForAnyValue:StringEqualsIfExists").map(|o| o.name()),
        Some("ForAnyValue:StringEqualsIfExists".into())
    );
    for bad in [
        "",
        "StringEqual",
        "IfExists",
        "ForSomeValues:StringEquals",
        "ForAllValues:",
        "A:B:StringEquals",
        "String Equals",
        "StringEqualsIfExistsIfExists",
    ] {
        assert_eq!(ConditionOperator::parse(bad), None, "{bad}");
    }
    let negated: Vec<_> = BaseOperator::ALL
        .iter()
        .filter(|o| o.is_negated())
        .map(|o| o.name())
        .collect();
    assert!(negated.iter().all(|n| n.contains("Not")));
    assert_eq!(
        negated.len(),
        BaseOperator::ALL
            .iter()
            .filter(|o| o.name().contains("Not"))
            .count()
    );
}

#[test]
fn errors_carry_exact_pointers() {
    assert_err(json!([]), "", "expected a policy document");
    assert_err(json!({"Version": "2012-10-17"}), "", "missing `Statement`");
    assert_err(
        json!({"Statement": [], "Foo": 1}),
        "/Foo",
        "unknown policy element `Foo`",
    );
    assert_err(
        json!({"Statement": [], "Version": 2012}),
        "/Version",
        "expected a string",
    );
    assert_err(
        json!({"Statement": [], "Version": "2013-01-01"}),
        "/Version",
        "expected version",
    );
    assert_err(
        json!({"Statement": [], "Id": null}),
        "/Id",
        "expected a string",
    );
    assert_err(
        json!({"Statement": "x"}),
        "/Statement",
        "expected a statement object",
    );
    assert_err(
        json!({"Statement": [1]}),
        "/Statement/0",
        "expected a statement object",
    );
    let base = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let with = |k: &str, v: Value| {
        let mut s = base.clone();
        s[k] = v;
        json!({"Statement": [base.clone(), s]})
    };
    let without = |k: &str| {
        let mut s = base.clone();
        s.as_object_mut().unwrap().remove(k);
        json!({"Statement": [base.clone(), s]})
    };
    assert_err(without("Effect"), "/Statement/1", "missing `Effect`");
    assert_err(
        with("Effect", json!("allow")),
        "/Statement/1/Effect",
        "expected \"Allow\" or \"Deny\"",
    );
    assert_err(
        with("Effect", json!(true)),
        "/Statement/1/Effect",
        "expected \"Allow\" or \"Deny\"",
    );
    assert_err(
        with("NotAction", json!("s3:*")),
        "/Statement/1/NotAction",
        "only one of `Action` and `NotAction`",
    );
    assert_err(
        without("Action"),
        "/Statement/1",
        "missing `Action` or `NotAction`",
    );
    assert_err(
        with("NotResource", json!("*")),
        "/Statement/1/NotResource",
        "only one of `Resource` and `NotResource`",
    );
    assert_err(
        {
            let mut s = base.clone();
            s["Principal"] = json!("*");
            s["NotPrincipal"] = json!("*");
            json!({"Statement": [s]})
        },
        "/Statement/0/NotPrincipal",
        "only one of `Principal` and `NotPrincipal`",
    );
    assert_err(
        with("Actions", json!("s3:*")),
        "/Statement/1/Actions",
        "unknown statement element `Actions`",
    );
    assert_err(
        with("Action", json!(["s3:*", 3])),
        "/Statement/1/Action/1",
        "expected a string",
    );
    assert_err(
        with("Resource", json!({"a": 1})),
        "/Statement/1/Resource",
        "expected a string or a list of strings",
    );
    assert_err(
        with("Sid", json!(1)),
        "/Statement/1/Sid",
        "expected a string",
    );
    assert_err(
        with("Principal", json!(["*"])),
        "/Statement/1/Principal",
        "expected \"*\" or an object",
    );
    assert_err(
        with("Principal", json!({"aws": "*"})),
        "/Statement/1/Principal/aws",
        "unknown principal type `aws`",
    );
    assert_err(
        with("Principal", json!({"AWS": [1]})),
        "/Statement/1/Principal/AWS/0",
        "expected a string",
    );
    assert_err(
        with("Condition", json!([])),
        "/Statement/1/Condition",
        "expected an object",
    );
    assert_err(
        with("Condition", json!({"StringEqualz": {"a": "b"}})),
        "/Statement/1/Condition/StringEqualz",
        "unknown condition operator `StringEqualz`",
    );
    assert_err(
        with("Condition", json!({"StringEquals": ["a"]})),
        "/Statement/1/Condition/StringEquals",
        "expected an object mapping condition keys",
    );
    assert_err(
        with(
            "Condition",
            json!({"StringEquals": {"aws:PrincipalTag/a~b": null}}),
        ),
        "/Statement/1/Condition/StringEquals/aws:PrincipalTag~1a~0b",
        "expected a string, number or boolean",
    );
    assert_err(
        with("Condition", json!({"StringEquals": {"k": ["a", {"x": 1}]}})),
        "/Statement/1/Condition/StringEquals/k/1",
        "expected a string, number or boolean",
    );
    // A single statement object has no index in pointers.
    let e = parse_policy(&json!({"Statement": {"Effect": "Maybe", "Action": "*"}}), P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement/Effect"));
    assert_eq!(
        e.to_string(),
        format!("at {P}/Statement/Effect: expected \"Allow\" or \"Deny\", found \"Maybe\"")
    );
}

#[test]
fn validation_per_kind() {
    let identity = parse(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::x"}
    ]}));
    validate_identity_policy(&identity, P).unwrap();
    let e = validate_trust_policy(&identity, P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement/0"));
    assert!(e.message.contains("missing `Principal` or `NotPrincipal`"));

    let trust = parse(
        json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}),
    );
    validate_trust_policy(&trust, P).unwrap();
    let e = validate_identity_policy(&trust, P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement/Principal"));

    let no_resource = parse(
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Allow", "Action": "s3:*"}]}),
    );
    let e = validate_identity_policy(&no_resource, P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement/1"));
    assert!(e.message.contains("missing `Resource` or `NotResource`"));

    let not_principal = parse(
        json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "s3:*", "Resource": "*"}]}),
    );
    let e = validate_identity_policy(&not_principal, P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement/0/NotPrincipal"));
    validate_trust_policy(&not_principal, P).unwrap();
}

#[test]
fn text_forms() {
    let json_text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#;
    let from_json = parse_policy_text(json_text, P).unwrap();
    let encoded: String = json_text
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert!(encoded.starts_with("%7B%22Version%22"));
    assert_eq!(parse_policy_text(&encoded, P).unwrap(), from_json);
    assert_eq!(
        parse_policy_text(&format!("\n  {json_text}"), P).unwrap(),
        from_json
    );
    // Non-ASCII survives percent-decoding.
    let d = parse_policy_text("%7B%22Statement%22%3A%7B%22Sid%22%3A%22%C3%A9%22%2C%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%7D%7D", P).unwrap();
    assert_eq!(d.statements[0].sid.as_deref(), Some("é"));

    let e = parse_policy_text("%7B%2", P).unwrap_err();
    assert_eq!(e.pointer, P);
    assert!(e.message.contains("invalid percent-encoding"));
    let e = parse_policy_text("{\"Statement\": ", P).unwrap_err();
    assert!(
        e.message.starts_with("expected a policy document as json")
            || e.message.starts_with("expected a policy document as JSON")
    );
    let e = parse_policy_text(r#"{"Statement": {"Effect": "Allow"}}"#, P).unwrap_err();
    assert_eq!(e.pointer, format!("{P}/Statement"));
}

#[test]
fn round_trip_of_a_large_document() {
    let d = parse(json!({
        "Version": "2012-10-17",
        "Id": "x",
        "Statement": [
            {"Sid": "1", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root"], "Service": "s"}, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}, "ForAnyValue:StringLike": {"aws:TagKeys": "a*"}, "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}},
            {"Effect": "Deny", "NotPrincipal": "*", "NotAction": "iam:*", "NotResource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"Null": {"aws:MultiFactorAuthAge": [false]}}}
        ]
    }));
    round_trip(&d);
}
