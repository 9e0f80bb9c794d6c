use super::*;
use crate::aws::policy::ConditionOperator;
use std::cell::RefCell;
use std::collections::HashMap;

fn clause(op: &str, key: &str, values: &[&str]) -> ConditionClause {
    ConditionClause {
        operator: ConditionOperator::parse(op).unwrap(),
        key: key.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// A request context: keys lowercased; unknown keys listed with `None`.
struct Ctx(HashMap<String, Option<Vec<String>>>);

impl Ctx {
    fn new(entries: &[(&str, &[&str])]) -> Self {
        Ctx(entries
            .iter()
            .map(|(k, v)| {
                (
                    k.to_lowercase(),
                    Some(v.iter().map(|s| s.to_string()).collect()),
                )
            })
            .collect())
    }
    fn unknown(mut self, key: &str) -> Self {
        self.0.insert(key.to_lowercase(), None);
        self
    }
    fn lookup(&self, key: &str) -> KeyValue {
        match self.0.get(key) {
            Some(Some(v)) => KeyValue::Known(v.clone()),
            Some(None) => KeyValue::Unknown,
            None => KeyValue::Absent,
        }
    }
}

fn eval_vars(op: &str, key: &str, values: &[&str], ctx: &Ctx, vars: bool) -> Option<bool> {
    evaluate_clause(&clause(op, key, values), &|k| ctx.lookup(k), vars)
}

fn ev(op: &str, key: &str, values: &[&str], ctx: &Ctx) -> Option<bool> {
    eval_vars(op, key, values, ctx, true)
}

fn one(key: &str, value: &str) -> Ctx {
    Ctx::new(&[(key, &[value])])
}

#[test]
fn missing_key_table() {
    let empty = Ctx::new(&[]);
    for base in BaseOperator::ALL
        .iter()
        .filter(|b| **b != BaseOperator::Null)
    {
        let name = base.name();
        let plain = ev(name, "aws:SomeKey", &["x"], &empty);
        assert_eq!(plain, Some(base.is_negated()), "{name}");
        assert_eq!(
            ev(&format!("{name}IfExists"), "aws:SomeKey", &["x"], &empty),
            Some(true),
            "{name}IfExists"
        );
        assert_eq!(
            ev(
                &format!("ForAllValues:{name}"),
                "aws:SomeKey",
                &["x"],
                &empty
            ),
            Some(true),
            "ForAllValues:{name}"
        );
        assert_eq!(
            ev(
                &format!("ForAnyValue:{name}"),
                "aws:SomeKey",
                &["x"],
                &empty
            ),
            Some(false),
            "ForAnyValue:{name}"
        );
        // iam-simulate ignores IfExists under a set modifier.
        assert_eq!(
            ev(
                &format!("ForAnyValue:{name}IfExists"),
                "aws:SomeKey",
                &["x"],
                &empty
            ),
            Some(false)
        );
    }
    assert_eq!(ev("Null", "aws:SomeKey", &["true"], &empty), Some(true));
    assert_eq!(ev("Null", "aws:SomeKey", &["false"], &empty), Some(false));
    assert_eq!(ev("Null", "aws:SomeKey", &["TRUE"], &empty), Some(true));
    assert_eq!(ev("Null", "aws:SomeKey", &["yes"], &empty), Some(false));
    let present = one("aws:SomeKey", "v");
    assert_eq!(ev("Null", "aws:SomeKey", &["true"], &present), Some(false));
    assert_eq!(ev("Null", "aws:SomeKey", &["false"], &present), Some(true));
    assert_eq!(
        ev("NullIfExists", "aws:SomeKey", &["false"], &present),
        Some(true)
    );
    assert_eq!(
        ev("ForAllValues:Null", "aws:SomeKey", &["true"], &empty),
        Some(true)
    );
    // IfExists with the key present: the base operator decides.
    assert_eq!(
        ev("StringEqualsIfExists", "aws:SomeKey", &["v"], &present),
        Some(true)
    );
    assert_eq!(
        ev("StringEqualsIfExists", "aws:SomeKey", &["w"], &present),
        Some(false)
    );
}

#[test]
fn string_operators() {
    let c = one("aws:username", "Alice");
    assert_eq!(
        ev("StringEquals", "aws:username", &["Alice"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringEquals", "AWS:UserName", &["Alice"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringEquals", "aws:username", &["alice"], &c),
        Some(false)
    );
    assert_eq!(
        ev("StringEquals", "aws:username", &["bob", "Alice"], &c),
        Some(true)
    );
    assert_eq!(ev("StringEquals", "aws:username", &["A*"], &c), Some(false));
    assert_eq!(
        ev(
            "StringEquals",
            "aws:username",
            &["A*"],
            &one("aws:username", "A*")
        ),
        Some(true)
    );
    assert_eq!(
        ev("StringEqualsIgnoreCase", "aws:username", &["ALICE"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringEqualsIgnoreCase", "aws:username", &["ALICEX"], &c),
        Some(false)
    );
    assert_eq!(
        ev("StringEqualsIgnoreCase", "k", &["ÉTÉ"], &one("k", "été")),
        Some(true)
    );
    assert_eq!(
        ev("StringNotEquals", "aws:username", &["bob"], &c),
        Some(true)
    );
    // NOR over the values.
    assert_eq!(
        ev("StringNotEquals", "aws:username", &["bob", "Alice"], &c),
        Some(false)
    );
    assert_eq!(
        ev("StringNotEqualsIgnoreCase", "aws:username", &["alice"], &c),
        Some(false)
    );
    assert_eq!(ev("StringLike", "aws:username", &["A*"], &c), Some(true));
    assert_eq!(ev("StringLike", "aws:username", &["a*"], &c), Some(false));
    assert_eq!(ev("StringLike", "aws:username", &["Al?ce"], &c), Some(true));
    assert_eq!(
        ev("StringLike", "aws:username", &["x", "*ice"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringNotLike", "aws:username", &["B*", "C*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringNotLike", "aws:username", &["B*", "A*"], &c),
        Some(false)
    );
    // A backslash in policy text is an ordinary character.
    assert_eq!(
        ev("StringLike", "k", &["dom\\*"], &one("k", "dom\\user")),
        Some(true)
    );
    assert_eq!(
        ev("StringEquals", "k", &["dom\\user"], &one("k", "dom\\user")),
        Some(true)
    );
}

#[test]
fn numeric_operators() {
    let c = one("aws:MultiFactorAuthAge", "3600");
    let k = "aws:MultiFactorAuthAge";
    assert_eq!(ev("NumericEquals", k, &["3600"], &c), Some(true));
    assert_eq!(ev("NumericEquals", k, &["3600.0"], &c), Some(true));
    assert_eq!(ev("NumericNotEquals", k, &["3600"], &c), Some(false));
    assert_eq!(ev("NumericNotEquals", k, &["1", "2"], &c), Some(true));
    assert_eq!(ev("NumericLessThan", k, &["3601"], &c), Some(true));
    assert_eq!(ev("NumericLessThan", k, &["3600"], &c), Some(false));
    assert_eq!(ev("NumericLessThanEquals", k, &["3600"], &c), Some(true));
    assert_eq!(ev("NumericGreaterThan", k, &["-5"], &c), Some(true));
    assert_eq!(
        ev("NumericGreaterThanEquals", k, &["3600.5"], &c),
        Some(false)
    );
    assert_eq!(
        ev("NumericGreaterThan", k, &["1e3"], &c),
        Some(true),
        "parseInt(\"1e3\") is 1"
    );
    assert_eq!(ev("NumericGreaterThan", k, &["1.5e3"], &c), Some(true));
    assert_eq!(ev("NumericLessThan", k, &["1.5e4"], &c), Some(true));
    // JavaScript-style lenient parsing of the request value.
    assert_eq!(
        ev("NumericLessThan", k, &["3600"], &one(k, "12abc")),
        Some(true)
    );
    assert_eq!(ev("NumericEquals", k, &["7"], &one(k, " +7")), Some(true));
    // Unparsable values never match, negated operators included.
    assert_eq!(ev("NumericEquals", k, &["abc"], &c), Some(false));
    assert_eq!(ev("NumericNotEquals", k, &["abc"], &c), Some(false));
    assert_eq!(ev("NumericNotEquals", k, &["1"], &one(k, "x")), Some(false));
    assert_eq!(js_parse_float("-.5e-1x"), Some(-0.05));
    assert_eq!(js_parse_float("5."), Some(5.0));
    assert_eq!(js_parse_float("."), None);
    assert_eq!(js_parse_float("Infinity."), Some(f64::INFINITY));
    assert_eq!(js_parse_int("0x10"), Some(0.0));
}

#[test]
fn date_operators_iso_and_epoch() {
    let k = "aws:CurrentTime";
    let c = one(k, "2024-01-01T12:00:00Z");
    assert_eq!(
        ev("DateGreaterThan", k, &["2024-01-01T11:59:59Z"], &c),
        Some(true)
    );
    assert_eq!(
        ev("DateGreaterThan", k, &["2024-01-01T12:00:00Z"], &c),
        Some(false)
    );
    assert_eq!(
        ev("DateGreaterThanEquals", k, &["2024-01-01T12:00:00Z"], &c),
        Some(true)
    );
    assert_eq!(ev("DateLessThan", k, &["2024-01-02"], &c), Some(true));
    assert_eq!(
        ev("DateLessThanEquals", k, &["2024-01-01"], &c),
        Some(false)
    );
    assert_eq!(
        ev("DateEquals", k, &["2024-01-01T13:00:00+01:00"], &c),
        Some(true)
    );
    assert_eq!(
        ev("DateEquals", k, &["2024-01-01T12:00:00.000Z"], &c),
        Some(true)
    );
    assert_eq!(
        ev("DateNotEquals", k, &["2024-01-01T12:00:00Z"], &c),
        Some(false)
    );
    assert_eq!(ev("DateNotEquals", k, &["2023-01-01"], &c), Some(true));
    // Epoch seconds on either side (1704110400 = 2024-01-01T12:00:00Z).
    assert_eq!(ev("DateEquals", k, &["1704110400"], &c), Some(true));
    assert_eq!(ev("DateLessThan", k, &["1800000000"], &c), Some(true));
    assert_eq!(
        ev(
            "DateGreaterThan",
            k,
            &["2023-12-31T00:00:00Z"],
            &one(k, "1704110400")
        ),
        Some(true)
    );
    assert_eq!(
        ev(
            "DateLessThan",
            "aws:EpochTime",
            &["1704110401"],
            &one("aws:EpochTime", "1704110400")
        ),
        Some(true)
    );
    // Unparsable dates never match.
    assert_eq!(ev("DateEquals", k, &["yesterday"], &c), Some(false));
    assert_eq!(ev("DateNotEquals", k, &["yesterday"], &c), Some(false));
    assert_eq!(
        ev("DateLessThan", k, &["2030-01-01"], &one(k, "2024-13-01")),
        Some(false)
    );
    // Parser details.
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("0"), Some(0));
    assert_eq!(parse_date("-1"), Some(-1000));
    assert_eq!(parse_date("2024-01"), parse_date("2024-01-01T00:00:00Z"));
    assert_eq!(parse_date("2024-1-1"), parse_date("2024-01-01"));
    assert_eq!(parse_date("2024-02-30"), parse_date("2024-03-01"));
    assert_eq!(parse_date("2024-01-01 00:00:00Z"), Some(1_704_067_200_000));
    assert_eq!(parse_date("2024-01-01t00:00:00z"), Some(1_704_067_200_000));
    assert_eq!(
        parse_date("2024-01-01T00:00:00+0100"),
        Some(1_704_063_600_000)
    );
    assert_eq!(
        parse_date("2024-01-01T00:00:00.123456Z"),
        Some(1_704_067_200_123)
    );
    assert_eq!(parse_date("2024-01-01T24:00:00Z"), parse_date("2024-01-02"));
    assert_eq!(parse_date("2024-01-01T00:00"), Some(1_704_067_200_000));
    assert_eq!(parse_date("20240101T000000Z"), None);
    assert_eq!(parse_date("2024-01-01T25:00:00Z"), None);
    assert_eq!(parse_date("01"), None);
}

#[test]
fn bool_and_binary() {
    let k = "aws:SecureTransport";
    assert_eq!(ev("Bool", k, &["true"], &one(k, "true")), Some(true));
    assert_eq!(ev("Bool", k, &["TRUE"], &one(k, "True")), Some(true));
    assert_eq!(ev("Bool", k, &["false"], &one(k, "true")), Some(false));
    assert_eq!(ev("Bool", k, &["yes"], &one(k, "true")), Some(false));
    assert_eq!(ev("Bool", k, &["true"], &one(k, "1")), Some(false));
    assert_eq!(
        ev("BoolIfExists", k, &["false"], &Ctx::new(&[])),
        Some(true)
    );
    // Variables are substituted in Bool values (iam-simulate).
    let c = Ctx::new(&[(k, &["true"]), ("aws:PrincipalTag/tls", &["TRUE"])]);
    assert_eq!(ev("Bool", k, &["${aws:PrincipalTag/tls}"], &c), Some(true));
    assert_eq!(
        ev("BinaryEquals", "k", &["QmluYXJ5"], &one("k", "QmluYXJ5")),
        Some(true)
    );
    assert_eq!(
        ev("BinaryEquals", "k", &["qmluyxj5"], &one("k", "QmluYXJ5")),
        Some(false)
    );
}

#[test]
fn ip_addresses_v4_and_v6() {
    let k = "aws:SourceIp";
    let v4 = one(k, "10.1.2.3");
    assert_eq!(ev("IpAddress", k, &["10.0.0.0/8"], &v4), Some(true));
    assert_eq!(
        ev("IpAddress", k, &["192.168.0.0/16", "10.1.2.0/24"], &v4),
        Some(true)
    );
    assert_eq!(ev("IpAddress", k, &["11.0.0.0/8"], &v4), Some(false));
    assert_eq!(ev("IpAddress", k, &["10.1.2.3/32"], &v4), Some(true));
    assert_eq!(
        ev("IpAddress", k, &["0.0.0.0/0"], &v4),
        Some(true),
        "/0 contains everything (AWS)"
    );
    assert_eq!(ev("IpAddress", k, &["10.1.2.3"], &v4), Some(true));
    assert_eq!(ev("NotIpAddress", k, &["10.0.0.0/8"], &v4), Some(false));
    assert_eq!(
        ev("NotIpAddress", k, &["11.0.0.0/8", "12.0.0.0/8"], &v4),
        Some(true)
    );
    assert_eq!(
        ev("NotIpAddress", k, &["11.0.0.0/8", "10.0.0.0/8"], &v4),
        Some(false)
    );
    // Invalid policy values and invalid request values are false for both operators.
    assert_eq!(ev("IpAddress", k, &["10.0.0.0/33"], &v4), Some(false));
    assert_eq!(ev("NotIpAddress", k, &["10.0.0.0/33"], &v4), Some(false));
    assert_eq!(ev("NotIpAddress", k, &["010.0.0.0/8"], &v4), Some(false));
    assert_eq!(
        ev("IpAddress", k, &["10.0.0.0/8"], &one(k, "not-an-ip")),
        Some(false)
    );
    assert_eq!(
        ev("NotIpAddress", k, &["10.0.0.0/8"], &one(k, "not-an-ip")),
        Some(false)
    );

    let v6 = one(k, "2001:db8:85a3::8a2e:370:7334");
    assert_eq!(ev("IpAddress", k, &["2001:db8::/32"], &v6), Some(true));
    assert_eq!(ev("IpAddress", k, &["2001:db9::/32"], &v6), Some(false));
    assert_eq!(
        ev(
            "IpAddress",
            k,
            &["2001:0db8:85a3:0000:0000:8a2e:0370:7334/128"],
            &v6
        ),
        Some(true)
    );
    assert_eq!(ev("IpAddress", k, &["::/0"], &v6), Some(true));
    assert_eq!(
        ev("IpAddress", k, &["2001:DB8:85A3::8A2E:370:7334"], &v6),
        Some(true)
    );
    assert_eq!(ev("NotIpAddress", k, &["2001:db8::/32"], &v6), Some(false));
    // Families never contain each other.
    assert_eq!(ev("IpAddress", k, &["10.0.0.0/8"], &v6), Some(false));
    assert_eq!(ev("NotIpAddress", k, &["10.0.0.0/8"], &v6), Some(true));
    assert_eq!(ev("IpAddress", k, &["::/0"], &v4), Some(false));
    assert_eq!(ev("NotIpAddress", k, &["::/0"], &v4), Some(true));
    assert_eq!(
        ev(
            "IpAddress",
            k,
            &["::ffff:10.1.2.3/128"],
            &one(k, "::ffff:10.1.2.3")
        ),
        Some(true)
    );

    assert_eq!(parse_ipv6("::"), Some(0));
    assert_eq!(parse_ipv6("::1"), Some(1));
    assert_eq!(parse_ipv6("1::"), Some(1 << 112));
    assert_eq!(parse_ipv6("1:2:3:4:5:6:7::"), parse_ipv6("1:2:3:4:5:6:7:0"));
    assert_eq!(parse_ipv6("1:2:3:4:5:6:7:8:9"), None);
    assert_eq!(parse_ipv6("1::2::3"), None);
    assert_eq!(parse_ipv6(":1"), None);
    assert_eq!(parse_ipv6("12345::"), None);
    assert_eq!(parse_ipv6("::ffff:1.2.3.4"), Some(0xffff_0102_0304));
    assert_eq!(parse_ipv4("1.2.3.4"), Some(0x0102_0304));
    assert_eq!(parse_ipv4("1.2.3"), None);
    assert_eq!(parse_ipv4("1.2.3.256"), None);
    assert_eq!(parse_ipv4("01.2.3.4"), None);
}

#[test]
fn arn_operators() {
    let k = "aws:PrincipalArn";
    let c = one(k, "arn:aws:iam::111122223333:role/admin");
    assert_eq!(
        ev("ArnLike", k, &["arn:aws:iam::111122223333:role/*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ArnEquals", k, &["arn:aws:iam::111122223333:role/*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ArnLike", k, &["arn:aws:iam::*:role/adm?n"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ArnLike", k, &["arn:aws:iam::*:user/*"], &c),
        Some(false)
    );
    assert_eq!(
        ev("ArnNotLike", k, &["arn:aws:iam::*:user/*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ArnNotEquals", k, &["arn:aws:iam::*:role/*"], &c),
        Some(false)
    );
    assert_eq!(
        ev("ArnLike", k, &["*"], &c),
        Some(false),
        "not a valid ARN value"
    );
    assert_eq!(
        ev("ArnNotLike", k, &["*"], &c),
        Some(false),
        "invalid values are false for both"
    );
    assert_eq!(
        ev("ArnLike", k, &["arn:aws:iam::*:*"], &one(k, "admin")),
        Some(false)
    );
    assert_eq!(
        ev("ArnNotLike", k, &["arn:aws:iam::*:*"], &one(k, "admin")),
        Some(false)
    );
    // A variable in the account segment (AWS; iam-simulate never matches this).
    let c2 = Ctx::new(&[
        (k, &["arn:aws:iam::111122223333:role/admin"]),
        ("aws:PrincipalAccount", &["111122223333"]),
    ]);
    assert_eq!(
        ev(
            "ArnLike",
            k,
            &["arn:aws:iam::${aws:PrincipalAccount}:role/*"],
            &c2
        ),
        Some(true)
    );
    assert_eq!(
        ev(
            "ArnNotLike",
            k,
            &["arn:aws:iam::${aws:PrincipalAccount}:role/*"],
            &c2
        ),
        Some(false)
    );
    // Missing variable: false for both, unless an earlier segment already mismatched.
    assert_eq!(
        ev("ArnLike", k, &["arn:aws:iam::*:role/${aws:username}"], &c),
        Some(false)
    );
    assert_eq!(
        ev(
            "ArnNotLike",
            k,
            &["arn:aws:iam::*:role/${aws:username}"],
            &c
        ),
        Some(false)
    );
    assert_eq!(
        ev("ArnNotLike", k, &["arn:aws:s3::*:role/${aws:username}"], &c),
        Some(true)
    );
    // Unknown variable.
    let c3 = Ctx::new(&[(k, &["arn:aws:iam::111122223333:role/admin"])])
        .unknown("aws:PrincipalTag/role");
    assert_eq!(
        ev(
            "ArnLike",
            k,
            &["arn:aws:iam::*:role/${aws:PrincipalTag/role}"],
            &c3
        ),
        None
    );
    assert_eq!(
        ev(
            "ArnLike",
            k,
            &["arn:aws:s3::*:role/${aws:PrincipalTag/role}"],
            &c3
        ),
        Some(false)
    );
    assert_eq!(
        ev(
            "ArnNotLike",
            k,
            &["arn:aws:s3::*:role/${aws:PrincipalTag/role}"],
            &c3
        ),
        Some(true)
    );
    assert_eq!(
        ev(
            "ArnNotLike",
            k,
            &["arn:aws:iam::*:role/${aws:PrincipalTag/role}"],
            &c3
        ),
        None
    );
}

#[test]
fn multivalued_keys_and_set_operators() {
    let k = "aws:TagKeys";
    let c = Ctx::new(&[(k, &["env", "team"])]);
    // Plain operators never match a multivalued key, negated or IfExists included.
    assert_eq!(ev("StringEquals", k, &["env"], &c), Some(false));
    assert_eq!(ev("StringNotEquals", k, &["x"], &c), Some(false));
    assert_eq!(ev("StringLikeIfExists", k, &["*"], &c), Some(false));
    assert_eq!(
        ev("StringEquals", k, &["env"], &Ctx::new(&[(k, &["env"])])),
        Some(false)
    );
    // ForAllValues: every request value matches some policy value.
    assert_eq!(
        ev(
            "ForAllValues:StringEquals",
            k,
            &["env", "team", "owner"],
            &c
        ),
        Some(true)
    );
    assert_eq!(
        ev("ForAllValues:StringEquals", k, &["env"], &c),
        Some(false)
    );
    assert_eq!(
        ev("ForAllValues:StringLike", k, &["e*", "t*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ForAllValues:StringNotEquals", k, &["owner"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ForAllValues:StringNotEquals", k, &["env"], &c),
        Some(false)
    );
    // ForAnyValue: some request value matches.
    assert_eq!(
        ev("ForAnyValue:StringEquals", k, &["team", "x"], &c),
        Some(true)
    );
    assert_eq!(ev("ForAnyValue:StringEquals", k, &["x"], &c), Some(false));
    assert_eq!(
        ev("ForAnyValue:StringNotEquals", k, &["env"], &c),
        Some(true)
    );
    assert_eq!(
        ev("ForAnyValue:StringNotEquals", k, &["env", "team"], &c),
        Some(false)
    );
    // Empty set: present but empty.
    let e = Ctx::new(&[(k, &[])]);
    assert_eq!(ev("ForAllValues:StringEquals", k, &["env"], &e), Some(true));
    assert_eq!(ev("ForAnyValue:StringEquals", k, &["env"], &e), Some(false));
    assert_eq!(ev("Null", k, &["false"], &e), Some(true));
    assert_eq!(ev("StringNotEquals", k, &["env"], &e), Some(false));
    // Set operators on a single-valued key treat it as a one-element set.
    let u = one("aws:username", "alice");
    assert_eq!(
        ev("ForAnyValue:StringEquals", "aws:username", &["alice"], &u),
        Some(true)
    );
    assert_eq!(
        ev("ForAllValues:StringEquals", "aws:username", &["bob"], &u),
        Some(false)
    );
    // Extra values of a single-valued key are ignored; none means absent.
    let two = Ctx::new(&[("aws:username", &["alice", "bob"])]);
    assert_eq!(
        ev("StringEquals", "aws:username", &["alice"], &two),
        Some(true)
    );
    assert_eq!(
        ev("StringEquals", "aws:username", &["bob"], &two),
        Some(false)
    );
    let none = Ctx::new(&[("aws:username", &[])]);
    assert_eq!(
        ev("StringNotEquals", "aws:username", &["bob"], &none),
        Some(true)
    );
    assert_eq!(ev("Null", "aws:username", &["true"], &none), Some(true));
}

#[test]
fn multivalued_key_list() {
    for k in [
        "aws:TagKeys",
        "AWS:TAGKEYS",
        "aws:CalledVia",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceNamesList",
        "aws:ResourceOrgPaths",
        "aws:SourceOrgPaths",
        "aws:VpceOrgPaths",
        "dynamodb:LeadingKeys",
        "kms:EncryptionContextKeys",
        "events:Metadata/foo",
        "EVENTS:METADATA/Foo",
        "Kms:encryptioncontextKEYS",
    ] {
        assert!(is_multivalued_key(k), "{k}");
    }
    for k in [
        "aws:username",
        "aws:PrincipalTag/x",
        "aws:SourceIp",
        "aws:CalledViaFirst",
        "events:Metadata/",
        "identitystore:UserId",
    ] {
        assert!(!is_multivalued_key(k), "{k}");
    }
    // Every name of the table, the global ones (compared one by one) and the others (a set).
    for k in multivalued::EXACT {
        assert!(is_multivalued_key(k), "{k}");
        assert!(is_multivalued_key(&k.to_uppercase()), "{k}");
        assert!(!is_multivalued_key(&format!("{k}x")), "{k}");
    }
    assert!(
        multivalued::EXACT.windows(2).all(|w| w[0] < w[1]),
        "sorted and distinct"
    );
    assert!(multivalued::EXACT.iter().all(|k| *k == k.to_lowercase()));
    assert!(multivalued::EXACT
        .iter()
        .all(|k| k.len() <= super::MULTIVALUED_KEY_MAX));
}

#[test]
fn policy_variables_in_values() {
    let c = Ctx::new(&[
        ("aws:username", &["alice"]),
        ("s3:prefix", &["home/alice/docs"]),
        ("aws:PrincipalTag/team", &["a*"]),
        ("k", &["a*"]),
        ("aws:TagKeys", &["x"]),
    ]);
    assert_eq!(
        ev("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c),
        Some(true)
    );
    assert_eq!(
        ev("StringLike", "s3:prefix", &["home/${aws:userid}/*"], &c),
        Some(false)
    );
    assert_eq!(
        ev(
            "StringLike",
            "s3:prefix",
            &["home/${aws:userid, 'alice'}/*"],
            &c
        ),
        Some(true)
    );
    // A missing variable makes a negated operator false (iam-simulate).
    assert_eq!(
        ev("StringNotLike", "s3:prefix", &["home/${aws:userid}/*"], &c),
        Some(false)
    );
    assert_eq!(
        ev("StringNotEquals", "s3:prefix", &["${aws:userid}"], &c),
        Some(false)
    );
    // Substituted `*` is literal.
    assert_eq!(
        ev("StringLike", "k", &["${aws:PrincipalTag/team}"], &c),
        Some(true)
    );
    assert_eq!(
        ev(
            "StringLike",
            "k",
            &["${aws:PrincipalTag/team}"],
            &one("k", "ab")
        ),
        Some(false)
    );
    assert_eq!(
        ev("StringLike", "s3:prefix", &["home/${*}"], &c),
        Some(false)
    );
    // Multivalued keys are not variables.
    assert_eq!(
        ev("StringEquals", "aws:username", &["${aws:TagKeys}"], &c),
        Some(false)
    );
    assert_eq!(
        ev(
            "StringEquals",
            "aws:username",
            &["${aws:TagKeys, 'alice'}"],
            &c
        ),
        Some(true)
    );
    // Variables disabled (Version 2008-10-17): literal text.
    assert_eq!(
        eval_vars(
            "StringLike",
            "s3:prefix",
            &["home/${aws:username}/*"],
            &c,
            false
        ),
        Some(false)
    );
    assert_eq!(
        eval_vars(
            "StringEquals",
            "k",
            &["${aws:username}"],
            &one("k", "${aws:username}"),
            false
        ),
        Some(true)
    );
    // Numeric, Date, IP values are never substituted.
    let n = Ctx::new(&[("n", &["5"]), ("aws:username", &["5"])]);
    assert_eq!(
        ev("NumericEquals", "n", &["${aws:username}"], &n),
        Some(false)
    );
}

#[test]
fn unknown_propagation() {
    let c = Ctx::new(&[("aws:username", &["alice"])])
        .unknown("aws:SourceIp")
        .unknown("aws:PrincipalTag/team");
    let clauses = vec![
        clause("StringEquals", "aws:username", &["alice"]),
        clause("IpAddress", "aws:SourceIp", &["10.0.0.0/8"]),
        clause(
            "StringEquals",
            "aws:username",
            &["${aws:PrincipalTag/team}"],
        ),
        clause("Null", "aws:SourceIp", &["true", "false"]),
    ];
    let lookup = |k: &str| c.lookup(k);
    assert_eq!(
        evaluate(&clauses, &lookup, true),
        Outcome::Unknown(vec![1, 2])
    );
    // False wins over Unknown.
    let mut with_false = clauses.clone();
    with_false.push(clause("StringEquals", "aws:username", &["bob"]));
    assert_eq!(evaluate(&with_false, &lookup, true), Outcome::False);
    assert_eq!(evaluate(&clauses[..1], &lookup, true), Outcome::True);
    assert_eq!(evaluate(&[], &lookup, true), Outcome::True);
    // Null decided without knowing presence when its values say nothing or everything.
    assert_eq!(ev("Null", "aws:SourceIp", &["maybe"], &c), Some(false));
    assert_eq!(ev("Null", "aws:SourceIp", &["true"], &c), None);
    // Positive OR: a true value decides despite an unknown one; negated NOR: a false one does.
    assert_eq!(
        ev(
            "StringEquals",
            "aws:username",
            &["${aws:PrincipalTag/team}", "alice"],
            &c
        ),
        Some(true)
    );
    assert_eq!(
        ev(
            "StringNotEquals",
            "aws:username",
            &["${aws:PrincipalTag/team}", "alice"],
            &c
        ),
        Some(false)
    );
    assert_eq!(
        ev(
            "StringNotEquals",
            "aws:username",
            &["${aws:PrincipalTag/team}", "bob"],
            &c
        ),
        None
    );
    // Unknown keys under every modifier.
    assert_eq!(ev("StringEqualsIfExists", "aws:SourceIp", &["x"], &c), None);
    assert_eq!(
        ev("ForAllValues:StringEquals", "aws:SourceIp", &["x"], &c),
        None
    );
    assert_eq!(
        ev("ForAnyValue:StringEquals", "aws:SourceIp", &["x"], &c),
        None
    );
    // A missing variable decides even next to an unknown one.
    assert_eq!(
        ev(
            "StringEquals",
            "aws:username",
            &["${aws:PrincipalTag/team}${aws:userid}"],
            &c
        ),
        Some(false)
    );
}

#[test]
fn lookup_gets_lowercased_keys() {
    let seen = RefCell::new(Vec::new());
    let lookup = |k: &str| {
        seen.borrow_mut().push(k.to_string());
        KeyValue::Known(vec!["Dev".into()])
    };
    let clauses = [
        clause(
            "StringEquals",
            "aws:PrincipalTag/Team",
            &["${aws:ResourceTag/Team}"],
        ),
        clause("StringEquals", "AWS:SourceVpc", &["Dev"]),
    ];
    assert_eq!(evaluate(&clauses, &lookup, true), Outcome::True);
    assert_eq!(
        seen.borrow().as_slice(),
        [
            "aws:principaltag/team",
            "aws:resourcetag/team",
            "aws:sourcevpc"
        ]
    );
}

#[test]
fn rendering() {
    assert_eq!(
        render_clause(&clause("StringEquals", "aws:SourceIp", &["10.0.0.0/8"])),
        r#"StringEquals aws:SourceIp in ["10.0.0.0/8"]"#
    );
    assert_eq!(
        render_clause(&clause(
            "forallvalues:stringlikeifexists",
            "aws:TagKeys",
            &["a\"b", "c"]
        )),
        r#"ForAllValues:StringLikeIfExists aws:TagKeys in ["a\"b","c"]"#
    );
}

/// A plain value (no variable to substitute, no `\`) is compared as it is written: what its
/// tokens render to is the value itself, so the shortcut in `value` and `arn_value` gives
/// what the tokens would. A value outside the shortcut is not plain.
#[test]
fn a_plain_value_renders_to_itself() {
    let none = |_: &str| KeyValue::Absent;
    for v in [
        "arn:aws:iam::*:role/Admin*",
        "arn:aws:s3:::bucket/a?c/*",
        "10.0.0.0/8",
        "*",
        "s3:*",
        "x*y?z:",
        "${literal} without variables",
        "",
    ] {
        let vars = !v.contains("${");
        assert!(is_plain(v, vars), "{v}");
        let Subst::Tokens(t) = variables::template_tokens(v, vars, &none) else {
            panic!("{v}: tokens");
        };
        assert_eq!(crate::aws::glob::render(&t), v);
        assert!(t.iter().map(|t| t.as_char()).eq(v.chars()), "{v}");
    }
    assert!(!is_plain("a\\*b", false));
    assert!(!is_plain("${aws:username}", true));
    assert!(is_plain("${aws:username}", false));
}

/// ARN and string operators give the same outcome for a plain value and for the same value
/// with variables that resolve to its parts.
#[test]
fn plain_and_substituted_values_agree() {
    let cases = [
        (
            "ArnLike",
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}",
            "arn:aws:iam::111122223333:user/alice",
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            "arn:aws:iam::111122223333:user/al*",
            "arn:aws:iam::${aws:PrincipalAccount}:user/al*",
            "arn:aws:iam::111122223333:user/alice",
        ),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            "arn:aws:iam::*:role/alice",
            "arn:aws:iam::*:role/${aws:username}",
            "arn:aws:iam::111122223333:role/bob",
        ),
        (
            "ArnEquals",
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:1:t",
            "arn:aws:sns:us-east-1:1:t",
            "arn:aws:sns:us-east-1:1",
        ),
        (
            "ArnLike",
            "aws:SourceArn",
            "arn:aws:sns:*:*:t:x",
            "arn:aws:sns:*:*:t:x",
            "arn:aws:sns:us-east-1:1:t:x",
        ),
        (
            "StringLike",
            "s3:prefix",
            "home/alice/*",
            "home/${aws:username}/*",
            "home/alice/x",
        ),
        (
            "StringEquals",
            "s3:prefix",
            "home/alice",
            "home/${aws:username}",
            "home/bob",
        ),
        (
            "StringEqualsIgnoreCase",
            "s3:prefix",
            "ALICE",
            "${aws:username}",
            "Alice",
        ),
        (
            "StringNotEquals",
            "s3:prefix",
            "alice",
            "${aws:username}",
            "alice",
        ),
    ];
    for (op, key, plain, substituted, request) in cases {
        let ctx = Ctx::new(&[
            ("aws:username", &["alice"]),
            ("aws:PrincipalAccount", &["111122223333"]),
            (key, &[request]),
        ]);
        let plain_outcome = ev(op, key, &[plain], &ctx);
        assert!(plain_outcome.is_some(), "{op} {plain} on {request}");
        assert_eq!(
            plain_outcome,
            ev(op, key, &[substituted], &ctx),
            "{op} {plain} / {substituted} on {request}"
        );
    }
    // Outcomes as documented: a match, a prefix mismatch, a missing sixth segment.
    let ctx = one("aws:PrincipalArn", "arn:aws:iam::111122223333:user/alice");
    assert_eq!(
        ev(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:user/*"],
            &ctx
        ),
        Some(true)
    );
    assert_eq!(
        ev(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/*"],
            &ctx
        ),
        Some(false)
    );
    assert_eq!(
        ev(
            "ArnNotLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/*"],
            &ctx
        ),
        Some(true)
    );
    assert_eq!(
        ev("ArnLike", "aws:PrincipalArn", &["arn:aws:iam"], &ctx),
        Some(false)
    );
}

/// A request whose only key is `known`, with a value known up to `prefix`.
fn known_in_part(known: &'static str, prefix: &'static str) -> impl Fn(&str) -> KeyValue {
    move |key: &str| {
        if key == known {
            KeyValue::Prefixed(prefix.into())
        } else {
            KeyValue::Absent
        }
    }
}

#[test]
fn a_value_known_to_be_no_id_of_the_export() {
    // An outsider's aws:userid: unknown, but no exported user's or role's unique ID or account
    // id, and it does not begin with one and `:`.
    let ids = ExportIds(std::sync::Arc::new(
        ["AROAROLE", "AIDAUSER", "111111111111"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ));
    let outsider = move |key: &str| {
        if key == "aws:userid" {
            KeyValue::Outside(ids.clone())
        } else {
            KeyValue::Absent
        }
    };
    let ev = |op: &str, values: &[&str]| {
        evaluate_clause(&clause(op, "aws:userid", values), &outsider, true)
    };
    // Values that only the export's ids match decide no match.
    assert_eq!(ev("StringLike", &["AROAROLE:*", "AIDAUSER"]), Some(false));
    assert_eq!(ev("StringNotLike", &["AROAROLE:*", "AIDAUSER"]), Some(true));
    assert_eq!(
        ev("StringNotLike", &["AROAROLE:batch-*", "111111111111"]),
        Some(true)
    );
    assert_eq!(
        ev("StringEquals", &["AIDAUSER", "111111111111:fed"]),
        Some(false)
    );
    assert_eq!(ev("StringNotEquals", &["AROAROLE:s"]), Some(true));
    // Anything another principal may have stays unknown: a pattern that does not pin an id,
    // an id that is not the export's, a value that is an id only as a prefix.
    assert_eq!(ev("StringLike", &["AROA*"]), None);
    assert_eq!(ev("StringLike", &["AROA*:*"]), None);
    assert_eq!(ev("StringLike", &["AIDAUSER*"]), None);
    assert_eq!(ev("StringNotLike", &["AROAROLE:*", "AIDAOTHER"]), None);
    assert_eq!(ev("StringEquals", &["222222222222"]), None);
    // Present: Null decides; other operators and set operators stay unknown.
    assert_eq!(ev("Null", &["false"]), Some(true));
    assert_eq!(ev("StringEqualsIgnoreCase", &["aidauser"]), None);
    assert_eq!(ev("ForAnyValue:StringLike", &["AROAROLE:*"]), None);
    // A value with a variable to substitute is not compared.
    assert_eq!(ev("StringLike", &["${aws:username}:*"]), None);
}

#[test]
fn a_value_known_by_its_prefix() {
    // A role's aws:userid: `AROAROLE:` and a session name the caller picks.
    let role = known_in_part("aws:userid", "AROAROLE:");
    let ev =
        |op: &str, values: &[&str]| evaluate_clause(&clause(op, "aws:userid", values), &role, true);
    // Every session, or none, decides; some sessions leave it unknown.
    assert_eq!(ev("StringLike", &["AROAROLE:*"]), Some(true));
    assert_eq!(ev("StringLike", &["AROA*"]), Some(true));
    assert_eq!(ev("StringLike", &["*"]), Some(true));
    assert_eq!(ev("StringLike", &["AROAOTHER:*", "AIDAUSER"]), Some(false));
    assert_eq!(ev("StringLike", &["AROAROLE"]), Some(false));
    assert_eq!(ev("StringLike", &["AROAROLE:batch-*"]), None);
    assert_eq!(ev("StringLike", &["AROAOTHER:*", "AROAROLE:*"]), Some(true));
    assert_eq!(
        ev("StringNotLike", &["AROAROLE:*", "AIDAUSER"]),
        Some(false)
    );
    assert_eq!(
        ev("StringNotLike", &["AROAOTHER:*", "AIDAUSER"]),
        Some(true)
    );
    assert_eq!(ev("StringNotLike", &["AROAROLE:batch-*"]), None);
    assert_eq!(ev("StringNotLikeIfExists", &["AROAOTHER:*"]), Some(true));
    // Equality: only a value that extends the prefix may be the one.
    assert_eq!(ev("StringEquals", &["AROAROLE:"]), Some(false));
    assert_eq!(ev("StringEquals", &["AROAOTHER:s"]), Some(false));
    assert_eq!(ev("StringEquals", &["AROAROLE:s"]), None);
    assert_eq!(ev("StringNotEquals", &["AIDAUSER"]), Some(true));
    // Present: Null decides; other operators and set operators stay unknown.
    assert_eq!(ev("Null", &["false"]), Some(true));
    assert_eq!(ev("Null", &["true"]), Some(false));
    assert_eq!(ev("StringEqualsIgnoreCase", &["aroarole:x"]), None);
    assert_eq!(ev("ForAnyValue:StringLike", &["AROAROLE:*"]), None);
    // A value with a variable to substitute is not compared.
    assert_eq!(ev("StringLike", &["${aws:username}:*"]), None);

    // An account's principals: aws:PrincipalArn known up to `arn:aws:iam::999999999999:`.
    let account = known_in_part("aws:principalarn", "arn:aws:iam::999999999999:");
    let arn = |op: &str, values: &[&str]| {
        evaluate_clause(&clause(op, "aws:PrincipalArn", values), &account, true)
    };
    assert_eq!(arn("ArnLike", &["arn:aws:iam::999999999999:*"]), Some(true));
    assert_eq!(
        arn("ArnLike", &["arn:aws:iam::999999999999:role/deploy-*"]),
        None
    );
    assert_eq!(arn("ArnLike", &["arn:aws:iam::*:role/deploy-*"]), None);
    assert_eq!(
        arn("ArnLike", &["arn:aws:iam::777777777777:role/*"]),
        Some(false)
    );
    assert_eq!(
        arn("ArnEquals", &["arn:aws:iam::777777777777:role/x"]),
        Some(false)
    );
    assert_eq!(
        arn("ArnNotLike", &["arn:aws:iam::777777777777:role/*"]),
        Some(true)
    );
    assert_eq!(
        arn("ArnNotLike", &["arn:aws:iam::999999999999:*"]),
        Some(false)
    );
    assert_eq!(
        arn("ArnNotEquals", &["arn:aws:iam::999999999999:role/deploy-*"]),
        None
    );
}

/// A value that is one variable and nothing else, compared as a string (the usual
/// attribute-based Condition), decides as substituting its tokens does: the variable's value
/// as it is, its default, a missing or an unknown value.
#[test]
fn a_value_that_is_one_variable() {
    let c = Ctx::new(&[
        ("aws:ResourceTag/team", &["Red*"]),
        ("aws:PrincipalTag/team", &["Red*"]),
        ("aws:PrincipalTag/other", &["blue"]),
        ("aws:PrincipalTag/empty", &[""]),
        ("aws:TagKeys", &["x"]),
        ("lit", &["${aws:PrincipalTag/team}"]),
        ("star", &["*"]),
        ("ex", &["x"]),
    ])
    .unknown("aws:PrincipalTag/open");
    let key = "aws:ResourceTag/team";
    let cases: &[(&str, &str, Option<bool>)] = &[
        ("StringEquals", "${aws:PrincipalTag/team}", Some(true)),
        ("StringEquals", "${aws:principaltag/TEAM}", Some(true)),
        ("StringEquals", "${aws:PrincipalTag/other}", Some(false)),
        ("StringNotEquals", "${aws:PrincipalTag/team}", Some(false)),
        ("StringNotEquals", "${aws:PrincipalTag/other}", Some(true)),
        (
            "StringEqualsIgnoreCase",
            "${aws:PrincipalTag/team}",
            Some(true),
        ),
        (
            "StringNotEqualsIgnoreCase",
            "${aws:PrincipalTag/other}",
            Some(true),
        ),
        // Absent, empty or multivalued without a default: the value does not match, and a
        // negated operator is false too.
        ("StringEquals", "${aws:PrincipalTag/none}", Some(false)),
        ("StringNotEquals", "${aws:PrincipalTag/none}", Some(false)),
        ("StringNotEquals", "${aws:PrincipalTag/empty}", Some(false)),
        ("StringEquals", "${aws:TagKeys}", Some(false)),
        // A default stands in.
        (
            "StringEquals",
            "${aws:PrincipalTag/none, 'Red*'}",
            Some(true),
        ),
        (
            "StringNotEquals",
            "${aws:PrincipalTag/none, 'blue'}",
            Some(true),
        ),
        ("StringEquals", "${aws:PrincipalTag/open}", None),
        ("StringNotEquals", "${aws:PrincipalTag/open}", None),
        // Escapes, and more than one group, are not one variable.
        ("StringEquals", "${*}", Some(false)),
        (
            "StringEquals",
            "${aws:PrincipalTag/team}${aws:PrincipalTag/empty}",
            Some(false),
        ),
    ];
    for (op, value, want) in cases {
        assert_eq!(ev(op, key, &[value], &c), *want, "{op} {value}");
    }
    // The substituted `*` of a variable is a character.
    assert_eq!(ev("StringEquals", "star", &["${star}"], &c), Some(true));
    assert_eq!(ev("StringEquals", "ex", &["${star}"], &c), Some(false));
    // Without variables (an old policy version), the text is compared as written.
    assert_eq!(
        eval_vars(
            "StringEquals",
            "lit",
            &["${aws:PrincipalTag/team}"],
            &c,
            false
        ),
        Some(true)
    );
    assert_eq!(
        eval_vars(
            "StringEquals",
            key,
            &["${aws:PrincipalTag/team}"],
            &c,
            false
        ),
        Some(false)
    );
}
