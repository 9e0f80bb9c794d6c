//! Three-valued evaluation of `Condition` blocks against what is known about a request.
//!
//! Semantics follow iam-simulate 0.1.173 (`condition/condition.js` and one file per operator);
//! the places where we deliberately follow AWS instead are marked **(AWS)** below.
//!
//! * Clauses are ANDed; the values of one clause are ORed; negated operators (name containing
//!   `Not`) must hold for every value (NOR of the positive operator).
//! * Keys are case-insensitive: `lookup` always receives the key **lowercased**, tag-key
//!   suffixes included (`aws:PrincipalTag/Team` is looked up as `aws:principaltag/team`;
//!   iam-simulate keeps its context in a map keyed by the lowercased name, so tag keys are
//!   case-insensitive too, as aws.md 6.5 says).
//! * A key is multivalued if [`is_multivalued_key`] says so; its [`KeyValue::Known`] values are
//!   the set (possibly empty). For any other key `Known` should hold one value: extra values
//!   are ignored (iam-simulate keeps the first) and an empty list counts as absent.
//! * Missing key: `Null` decides on presence; `ForAllValues:` is true; `ForAnyValue:` is false
//!   (even with `IfExists`: iam-simulate ignores `IfExists` under a set modifier); otherwise
//!   `...IfExists` and negated operators are true and the rest false.
//! * A plain (no set modifier) operator on a multivalued key never matches, negated or
//!   `IfExists` operators included (iam-simulate: "set operator is required for a multi-value
//!   key", confirmed at re:Inforce 2025 IAM431). An empty set is present: `ForAllValues:` is
//!   true, `ForAnyValue:` false, `Null: false` matches.
//! * `Null` compares each value, lowercased, with `true` (key absent) / `false` (key present);
//!   any other value never matches. `IfExists` and set modifiers do not change `Null`.
//! * Policy variables are substituted (when `variables_enabled`) in the values of the String
//!   operators, `Bool` (iam-simulate; aws.md 6.4 says string and ARN only) and the ARN operators;
//!   not in Numeric, Date, IP or `BinaryEquals` values. A value whose variable is missing
//!   without default never matches and, for a negated operator, makes the clause false
//!   (iam-simulate reports an error for that value). `*`/`?` are wildcards only for `StringLike`
//!   / `StringNotLike` and the ARN operators.
//! * String: `StringEquals` exact, `StringEqualsIgnoreCase` with JavaScript's
//!   case-insensitive character comparison, `StringLike` glob, case-sensitive.
//! * Numeric: parsed like JavaScript (`parseFloat` if the text has a `.`, else
//!   `parseInt(_, 10)`; leading whitespace and trailing garbage are ignored, `"12abc"` is 12). A
//!   value or request that does not parse never matches, negated operators included.
//! * Date: an integer in canonical form is epoch **seconds** **(AWS)**; anything else is an ISO
//!   8601 / W3C date or date-time (`2024-01-01`, `2024-01-01T10:00:00Z`,
//!   `2024-01-01T10:00:00.5+01:00`, ...). Date-times without an offset are read as UTC
//!   (JavaScript uses local time). iam-simulate compares the epoch integer directly with the
//!   milliseconds `Date.parse` returns, so mixing epoch and ISO values gives wrong answers there.
//!   Unparsable values never match.
//! * `Bool`: both sides must be `true`/`false` (any case), compared case-insensitively.
//! * `BinaryEquals`: exact comparison of the base64 text.
//! * `IpAddress` / `NotIpAddress`: a policy value is an IPv4 CIDR, an IPv4 address, an IPv6
//!   CIDR or an IPv6 address (checked in that order). IPv4 policy values never contain an IPv6
//!   request address (so `NotIpAddress` is true for it) and vice versa; a request value that is
//!   not an address makes the value false for both operators; an invalid policy value is false
//!   for both. **(AWS)** `/0` contains every address (iam-simulate's 32-bit shift makes
//!   `0.0.0.0/0` contain only `0.0.0.0`), and plain IPv6 addresses are compared as numbers
//!   (iam-simulate compares the text). IPv6 text is parsed per RFC 4291 (zone ids are not
//!   accepted; iam-simulate's regex accepts a few embedded-IPv4 forms differently).
//! * ARN operators: see [`crate::aws::glob::arn_like`]; `ArnEquals` = `ArnLike`. The value is
//!   split into segments **before** substitution, at colons outside `${...}` **(AWS)**:
//!   iam-simulate splits inside the variable, so `arn:aws:iam::${aws:PrincipalAccount}:role/x`
//!   never matches there. As in iam-simulate, segments are compared in order and stop at the
//!   first mismatch; a missing variable reached before that makes the value false for
//!   `ArnLike` and `ArnNotLike` alike.

mod multivalued;

use crate::aws::glob;
use crate::aws::policy::{BaseOperator, ConditionClause, SetModifier};
use crate::aws::variables::{self, Subst};
use std::borrow::Cow;

/// What is known about a condition key of the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyValue {
    /// Present, with these values: one for a single-valued key, the set for a multivalued one.
    Known(Vec<String>),
    /// Not present in the request.
    Absent,
    /// Not known statically: may be absent or hold any value.
    Unknown,
    /// Present, one value: this text followed by some non-empty text not known statically.
    /// A role's `aws:userid` is `RoleId:` and the session name, which the caller picks: a
    /// clause `StringLike aws:userid ["AROA...:*"]` holds for every session of that role and
    /// for none of another's.
    Prefixed(String),
    /// Present, one value not known statically, but neither one of these ids nor beginning
    /// with one of them and `:`. The `aws:userid` of a principal outside the export: unique
    /// IDs are global, a role session's is `RoleId:name`, a federated user's `ACCOUNT:name`
    /// and the root user's the account id, so no outsider's begins with an id of the export's
    /// users, roles or accounts. A clause `StringNotLike aws:userid ["AROA…:*"]` naming an
    /// exported role holds for every outsider.
    Outside(ExportIds),
}

/// The unique IDs of the export's users and roles and the ids of its accounts
/// ([`KeyValue::Outside`]). Built once per question and shared: two are equal when they are
/// the same set.
#[derive(Debug, Clone, Default)]
pub struct ExportIds(pub std::sync::Arc<std::collections::HashSet<String>>);

impl PartialEq for ExportIds {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ExportIds {}

impl std::hash::Hash for ExportIds {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(std::sync::Arc::as_ptr(&self.0), state);
    }
}

/// The result of evaluating a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    True,
    False,
    /// No clause is false but these (indices into the clause slice) could not be decided.
    Unknown(Vec<usize>),
}

/// Longer keys than this are not in [`is_multivalued_key`]'s table of exact names.
const MULTIVALUED_KEY_MAX: usize = 96;

/// Whether values of `key` (case-insensitive) are sets: the `ArrayOf...` keys of iam-data, e.g.
/// `aws:TagKeys`, `aws:CalledVia`, `aws:PrincipalOrgPaths`, `aws:PrincipalServiceNamesList`,
/// `aws:ResourceOrgPaths`, `aws:SourceOrgPaths`, `aws:VpceOrgPaths`, `s3:...`, `ec2:...`; 209
/// exact names plus the families `events:Metadata/...` and `vpc-lattice-svcs:RequestQueryString/...`
/// (see `condition/multivalued.rs`).
pub fn is_multivalued_key(key: &str) -> bool {
    // The tables are lowercase (a key is looked up for every clause evaluated).
    let k = key.as_bytes();
    // Lowercased on the stack, so the search compares byte slices. A key longer than the
    // buffer is longer than every key of the table (a unit test holds the table to that).
    let mut buf = [0u8; MULTIVALUED_KEY_MAX];
    // The global keys (`aws:...`, most keys conditions read) are compared with the few of the
    // table that are global, by length first.
    let global = k.get(..4).is_some_and(|h| h.eq_ignore_ascii_case(b"aws:"));
    let exact = if global {
        multivalued_global()
            .iter()
            .any(|g| g.len() == k.len() && g.eq_ignore_ascii_case(k))
    } else {
        buf.get_mut(..k.len()).is_some_and(|lowered| {
            for (l, b) in lowered.iter_mut().zip(k) {
                *l = b.to_ascii_lowercase();
            }
            multivalued_exact().contains(&*lowered)
        })
    };
    exact
        || multivalued::PREFIXES.iter().any(|p| {
            k.len() > p.len()
                && k.get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
        })
}

/// [`multivalued::EXACT`] as a set. (A check of the medium org looks up the key of 2.4 million
/// clauses: a binary search compared each with eight names of the table.)
fn multivalued_exact() -> &'static rustc_hash::FxHashSet<&'static [u8]> {
    static SET: std::sync::LazyLock<rustc_hash::FxHashSet<&'static [u8]>> =
        std::sync::LazyLock::new(|| multivalued::EXACT.iter().map(|k| k.as_bytes()).collect());
    &SET
}

/// The names of [`multivalued::EXACT`] that begin with `aws:`.
fn multivalued_global() -> &'static [&'static [u8]] {
    static GLOBAL: std::sync::LazyLock<Vec<&'static [u8]>> = std::sync::LazyLock::new(|| {
        multivalued::EXACT
            .iter()
            .map(|k| k.as_bytes())
            .filter(|k| k.starts_with(b"aws:"))
            .collect()
    });
    &GLOBAL
}

/// Evaluates ANDed clauses: any false clause makes the block false; otherwise any undecided
/// clause makes it unknown; otherwise true. An empty block is true.
pub fn evaluate(
    clauses: &[ConditionClause],
    lookup: &dyn Fn(&str) -> KeyValue,
    variables_enabled: bool,
) -> Outcome {
    let mut unknown = Vec::new();
    for (i, c) in clauses.iter().enumerate() {
        match clause(c, lookup, variables_enabled) {
            Tri::False => return Outcome::False,
            Tri::Unknown => unknown.push(i),
            Tri::True => {}
        }
    }
    if unknown.is_empty() {
        Outcome::True
    } else {
        Outcome::Unknown(unknown)
    }
}

/// Evaluates one clause: `Some(result)`, or `None` if it cannot be decided.
pub fn evaluate_clause(
    clause_: &ConditionClause,
    lookup: &dyn Fn(&str) -> KeyValue,
    variables_enabled: bool,
) -> Option<bool> {
    match clause(clause_, lookup, variables_enabled) {
        Tri::True => Some(true),
        Tri::False => Some(false),
        Tri::Unknown => None,
    }
}

/// A stable one-line rendering, e.g. `StringEquals aws:SourceIp in ["10.0.0.0/8"]`.
pub fn render_clause(c: &ConditionClause) -> String {
    format!(
        "{} {} in {}",
        c.operator.name(),
        c.key,
        serde_json::to_string(&c.values).unwrap_or_default()
    )
}

// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Self {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
    let mut unknown = false;
    for t in items {
        match t {
            Tri::True => return Tri::True,
            Tri::Unknown => unknown = true,
            Tri::False => {}
        }
    }
    if unknown {
        Tri::Unknown
    } else {
        Tri::False
    }
}

fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
    let mut unknown = false;
    for t in items {
        match t {
            Tri::False => return Tri::False,
            Tri::Unknown => unknown = true,
            Tri::True => {}
        }
    }
    if unknown {
        Tri::Unknown
    } else {
        Tri::True
    }
}

/// The request side of a clause after normalisation.
enum Request {
    Absent,
    Single(String),
    Multi(Vec<String>),
    /// [`KeyValue::Prefixed`]
    Prefixed(String),
    /// [`KeyValue::Outside`]
    Outside(ExportIds),
    Unknown,
}

/// `key` ASCII-lowercased, borrowed when it has no ASCII capital (a condition evaluated for
/// each of thousands of callers looks its keys up for each).
pub(crate) fn ascii_lowercase(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// `key` lowercased (Unicode), borrowed when it is lowercase already.
fn lowercase(key: &str) -> Cow<'_, str> {
    if key.is_ascii() {
        ascii_lowercase(key)
    } else {
        Cow::Owned(key.to_lowercase())
    }
}

fn clause(c: &ConditionClause, lookup: &dyn Fn(&str) -> KeyValue, vars: bool) -> Tri {
    let request = match lookup(&lowercase(&c.key)) {
        KeyValue::Known(v) if is_multivalued_key(&c.key) => Request::Multi(v),
        KeyValue::Known(v) => match v.into_iter().next() {
            Some(s) => Request::Single(s),
            None => Request::Absent,
        },
        KeyValue::Absent => Request::Absent,
        KeyValue::Unknown => Request::Unknown,
        KeyValue::Prefixed(p) => Request::Prefixed(p),
        KeyValue::Outside(ids) => Request::Outside(ids),
    };
    let op = c.operator;
    if op.base == BaseOperator::Null {
        let when_absent = c.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let when_present = c.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        return match request {
            Request::Absent => when_absent.into(),
            Request::Single(_) | Request::Multi(_) | Request::Prefixed(_) | Request::Outside(_) => {
                when_present.into()
            }
            Request::Unknown if when_absent == when_present => when_absent.into(),
            Request::Unknown => Tri::Unknown,
        };
    }
    let values = |v: &[String]| {
        v.iter()
            .map(|r| base(op.base, r, &c.values, lookup, vars))
            .collect::<Vec<_>>()
    };
    match (op.set, request) {
        // An unknown key can still be decided when no policy value can ever match: every value
        // names a policy variable that is missing without a default (aws.md 6.4: the element
        // does not match). Only operators that are false for an absent key qualify.
        (set, Request::Unknown)
            if !(set == Some(SetModifier::ForAllValues)
                || op.if_exists
                || (set.is_none() && op.base.is_negated())
                || c.values.is_empty())
                && c.values
                    .iter()
                    .all(|v| value_variables_missing(v, lookup, vars)) =>
        {
            Tri::False
        }
        (_, Request::Unknown) => Tri::Unknown,
        (Some(SetModifier::ForAllValues), Request::Absent) => Tri::True,
        (Some(SetModifier::ForAnyValue), Request::Absent) => Tri::False,
        (Some(SetModifier::ForAllValues), Request::Single(s)) => all(values(&[s])),
        (Some(SetModifier::ForAllValues), Request::Multi(v)) => all(values(&v)),
        (Some(SetModifier::ForAnyValue), Request::Single(s)) => any(values(&[s])),
        (Some(SetModifier::ForAnyValue), Request::Multi(v)) => any(values(&v)),
        (None, Request::Absent) => (op.if_exists || op.base.is_negated()).into(),
        (None, Request::Multi(_)) => Tri::False,
        (None, Request::Single(s)) => base(op.base, &s, &c.values, lookup, vars),
        (None, Request::Prefixed(p)) => prefixed(op.base, &p, &c.values, vars),
        (Some(_), Request::Prefixed(_)) => Tri::Unknown,
        (None, Request::Outside(ids)) => outside(op.base, &ids, &c.values, vars),
        (Some(_), Request::Outside(_)) => Tri::Unknown,
    }
}

/// The base operator applied to a request value known only to lie outside `ids`
/// ([`KeyValue::Outside`]). A string policy value decides no match when every text it matches
/// is one of the ids, or begins with one and `:` (for `StringLike`, the text before its first
/// wildcard is such an id and `:`, or the whole value is an id); anything else is unknown.
fn outside(op: BaseOperator, ids: &ExportIds, values: &[String], vars: bool) -> Tri {
    use BaseOperator as B;
    let like = match op {
        B::StringLike | B::StringNotLike => true,
        B::StringEquals | B::StringNotEquals => false,
        _ => return Tri::Unknown,
    };
    let each = values.iter().map(|v| {
        let never = is_plain(v, vars) && {
            let literal = match v.find(['*', '?']) {
                Some(i) if like => &v[..i],
                _ => v.as_str(),
            };
            match literal.split_once(':') {
                Some((head, _)) => ids.0.contains(head),
                None => literal.len() == v.len() && ids.0.contains(literal),
            }
        };
        match (never, op.is_negated()) {
            (false, _) => Tri::Unknown,
            (true, false) => Tri::False,
            (true, true) => Tri::True,
        }
    });
    if op.is_negated() {
        all(each)
    } else {
        any(each)
    }
}

/// The base operator applied to a request value known only as `prefix` followed by some
/// non-empty text ([`KeyValue::Prefixed`]). A string operator's policy value decides when it
/// matches every such value (a glob covering `prefix*`) or none (no overlap with `prefix*`;
/// for `StringEquals`, a value that does not extend `prefix`); anything else is unknown.
fn prefixed(op: BaseOperator, prefix: &str, values: &[String], vars: bool) -> Tri {
    use BaseOperator as B;
    #[derive(PartialEq)]
    enum Kind {
        Like,
        Equals,
        Arn,
    }
    let kind = match op {
        B::StringLike | B::StringNotLike => Kind::Like,
        B::StringEquals | B::StringNotEquals => Kind::Equals,
        B::ArnLike | B::ArnNotLike | B::ArnEquals | B::ArnNotEquals => Kind::Arn,
        _ => return Tri::Unknown,
    };
    let every = format!("{}*", glob::escape(prefix));
    let each = values.iter().map(|v| {
        if !is_plain(v, vars) {
            return Tri::Unknown;
        }
        let matched = if kind == Kind::Arn {
            // An ARN pattern matches segment by segment, so a match is also a match of the
            // whole text as one glob: no overlap decides false. It matches every value when
            // its resource part is `*` after the prefix's own text (`arn:aws:iam::A:*`).
            if v.strip_prefix(prefix) == Some("*") {
                Tri::True
            } else if !glob::glob_overlaps(v, &every) {
                Tri::False
            } else {
                Tri::Unknown
            }
        } else if kind == Kind::Like {
            if glob::glob_covers(v, &every) {
                Tri::True
            } else if !glob::glob_overlaps(v, &every) {
                Tri::False
            } else {
                Tri::Unknown
            }
        } else if v.len() > prefix.len() && v.starts_with(prefix) {
            Tri::Unknown
        } else {
            Tri::False
        };
        match (op.is_negated(), matched) {
            (true, Tri::True) => Tri::False,
            (true, Tri::False) => Tri::True,
            (_, t) => t,
        }
    });
    if op.is_negated() {
        all(each)
    } else {
        any(each)
    }
}

/// True when policy value `v` names a policy variable that is missing without a default, so
/// that the value matches no request value.
fn value_variables_missing(v: &str, lookup: &dyn Fn(&str) -> KeyValue, vars: bool) -> bool {
    vars && variables::has_variables(v)
        && matches!(variables::template_tokens(v, vars, lookup), Subst::Missing)
}

/// The base operator applied to one request value and all policy values.
fn base(
    op: BaseOperator,
    request: &str,
    values: &[String],
    lookup: &dyn Fn(&str) -> KeyValue,
    vars: bool,
) -> Tri {
    let negated = op.is_negated();
    // An ARN operator splits the request value once, not once per policy value.
    let request_arn = matches!(
        op,
        BaseOperator::ArnEquals
            | BaseOperator::ArnLike
            | BaseOperator::ArnNotEquals
            | BaseOperator::ArnNotLike
    )
    .then(|| glob::split_arn_condition(request))
    .flatten();
    let each = values
        .iter()
        .map(|v| value(op, negated, request, request_arn, v, lookup, vars));
    if negated {
        all(each)
    } else {
        any(each)
    }
}

/// Whether policy value `v` stands for itself: no variable to substitute (or variables
/// disabled) and no `\\`, so that rendering its tokens as a glob gives `v` back.
fn is_plain(v: &str, vars: bool) -> bool {
    !(memchr::memchr(b'\\', v.as_bytes()).is_some()
        || (vars && crate::aws::variables::opens_variable(v)))
}

/// Whether one policy value is satisfied (for a negated operator: the value is *not* matched).
/// `request_arn` is `request` split as an ARN, for the ARN operators (`None` when it is not
/// one).
fn value(
    op: BaseOperator,
    negated: bool,
    request: &str,
    request_arn: Option<[&str; 6]>,
    policy: &str,
    lookup: &dyn Fn(&str) -> KeyValue,
    vars: bool,
) -> Tri {
    use BaseOperator as B;
    let expect = !negated;
    match op {
        B::StringEquals
        | B::StringNotEquals
        | B::StringEqualsIgnoreCase
        | B::StringNotEqualsIgnoreCase
        | B::StringLike
        | B::StringNotLike => {
            // A value with nothing to substitute and no `\` is its own glob and its own text
            // (what rendering its tokens gives): compared as it is, without allocating.
            if is_plain(policy, vars) {
                let matched = match op {
                    B::StringLike | B::StringNotLike => glob::glob_match(policy, request),
                    B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                        js_eq_ignore_case(policy, request)
                    }
                    _ => policy == request,
                };
                return (matched == expect).into();
            }
            // A value that is one variable (variables enabled), compared as a string: its
            // value, as it is.
            let exact = vars && !matches!(op, B::StringLike | B::StringNotLike);
            if let Some(sole) = exact
                .then(|| variables::sole_variable(policy, lookup))
                .flatten()
            {
                let text = match sole {
                    variables::Sole::Text(t) => t,
                    variables::Sole::Missing => return Tri::False,
                    variables::Sole::Unknown => return Tri::Unknown,
                };
                let matched = match op {
                    B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                        js_eq_ignore_case(&text, request)
                    }
                    _ => text == request,
                };
                return (matched == expect).into();
            }
            let toks = match variables::template_tokens(policy, vars, lookup) {
                Subst::Tokens(t) => t,
                Subst::Missing => return Tri::False,
                Subst::Unknown => return Tri::Unknown,
            };
            let matched = match op {
                B::StringLike | B::StringNotLike => glob::glob_match(&glob::render(&toks), request),
                B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                    let text: String = toks.iter().map(|t| t.as_char()).collect();
                    js_eq_ignore_case(&text, request)
                }
                _ => toks.iter().map(|t| t.as_char()).eq(request.chars()),
            };
            (matched == expect).into()
        }
        B::NumericEquals
        | B::NumericNotEquals
        | B::NumericLessThan
        | B::NumericLessThanEquals
        | B::NumericGreaterThan
        | B::NumericGreaterThanEquals => {
            let (Some(p), Some(r)) = (js_parse_number(policy), js_parse_number(request)) else {
                return Tri::False;
            };
            match op {
                B::NumericEquals => r == p,
                B::NumericNotEquals => r != p,
                B::NumericLessThan => r < p,
                B::NumericLessThanEquals => r <= p,
                B::NumericGreaterThan => r > p,
                _ => r >= p,
            }
            .into()
        }
        B::DateEquals
        | B::DateNotEquals
        | B::DateLessThan
        | B::DateLessThanEquals
        | B::DateGreaterThan
        | B::DateGreaterThanEquals => {
            let (Some(p), Some(r)) = (parse_date(policy), parse_date(request)) else {
                return Tri::False;
            };
            match op {
                B::DateEquals => r == p,
                B::DateNotEquals => r != p,
                B::DateLessThan => r < p,
                B::DateLessThanEquals => r <= p,
                B::DateGreaterThan => r > p,
                _ => r >= p,
            }
            .into()
        }
        B::Bool => {
            let text: String = match variables::template_tokens(policy, vars, lookup) {
                Subst::Tokens(t) => t.iter().map(|t| t.as_char()).collect(),
                Subst::Missing => return Tri::False,
                Subst::Unknown => return Tri::Unknown,
            };
            let is_bool =
                |s: &str| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false");
            (is_bool(&text) && is_bool(request) && text.eq_ignore_ascii_case(request)).into()
        }
        B::BinaryEquals => (policy == request).into(),
        B::IpAddress | B::NotIpAddress => ip_value(policy, request, expect).into(),
        B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => {
            arn_value(policy, request_arn, expect, lookup, vars)
        }
        B::Null => Tri::False,
    }
}

// ---------------------------------------------------------------------------------------------
// Strings

/// JavaScript's case-insensitive character equivalence (`/.../i` without `u`): both
/// characters upper-cased when that gives one character, never mapping non-ASCII to ASCII.
fn js_fold(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if c.is_ascii() || !u.is_ascii() => u,
        _ => c,
    }
}

fn js_eq_ignore_case(a: &str, b: &str) -> bool {
    a.chars().map(js_fold).eq(b.chars().map(js_fold))
}

// ---------------------------------------------------------------------------------------------
// ARNs

/// One ARN condition value against the request ARN, split (`None`: not an ARN); `expect` is
/// false for the negated operators. Segments are compared in order and stop at the first
/// mismatch (iam-simulate).
fn arn_value(
    policy: &str,
    request: Option<[&str; 6]>,
    expect: bool,
    lookup: &dyn Fn(&str) -> KeyValue,
    vars: bool,
) -> Tri {
    if is_plain(policy, vars) {
        // Every segment is its own glob (see `is_plain`): the value matches when all do.
        return match (glob::split_arn_condition(policy), request) {
            (Some(parts), Some(req)) => {
                let all = parts
                    .iter()
                    .zip(req.iter())
                    .skip(1)
                    .all(|(p, r)| glob::glob_match(p, r));
                (all == expect).into()
            }
            _ => Tri::False,
        };
    }
    let segs: Vec<&str> = if vars {
        variables::split_outside_variables(policy, ':')
    } else {
        policy.split(':').collect()
    };
    if segs.len() < 5 {
        return Tri::False;
    }
    let rest = segs.get(5..).map(|r| r.join(":")).unwrap_or_default();
    let Some(req) = request else {
        return Tri::False;
    };
    let policy_parts = segs
        .get(1..5)
        .unwrap_or_default()
        .iter()
        .copied()
        .chain([rest.as_str()]);
    let (mut can_true, mut can_false) = (false, false);
    let mut continuing = true;
    for (part, req_part) in policy_parts.zip(req.iter().skip(1)) {
        // Outcomes this segment can have: (match, mismatch, error)
        let (m, mm, err) = match variables::template_tokens(part, vars, lookup) {
            Subst::Tokens(t) => {
                let ok = glob::glob_match(&glob::render(&t), req_part);
                (ok, !ok, false)
            }
            Subst::Missing => (false, false, true),
            Subst::Unknown => (true, true, true),
        };
        if mm {
            // A mismatch ends the comparison: the value's result is `!expect`.
            if expect {
                can_false = true;
            } else {
                can_true = true;
            }
        }
        if err {
            can_false = true;
        }
        if !m {
            continuing = false;
            break;
        }
    }
    if continuing {
        if expect {
            can_true = true;
        } else {
            can_false = true;
        }
    }
    match (can_true, can_false) {
        (true, false) => Tri::True,
        (false, true) => Tri::False,
        _ => Tri::Unknown,
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers (JavaScript parsing)

fn js_trim_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

fn digits_len(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// `parseInt(s, 10)`.
fn js_parse_int(s: &str) -> Option<f64> {
    let t = js_trim_start(s);
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let n = digits_len(body);
    if n == 0 {
        return None;
    }
    body.get(..n)?.parse::<f64>().ok().map(|v| sign * v)
}

/// `parseFloat(s)`: the longest prefix that is a decimal literal or `Infinity`.
fn js_parse_float(s: &str) -> Option<f64> {
    let t = js_trim_start(s);
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if body.starts_with("Infinity") {
        return Some(sign * f64::INFINITY);
    }
    let int = digits_len(body);
    let mut end = int;
    let mut frac = 0;
    if body.get(end..).is_some_and(|r| r.starts_with('.')) {
        frac = body.get(end + 1..).map(digits_len).unwrap_or(0);
        if int > 0 || frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && frac == 0 {
        return None;
    }
    if let Some(r) = body.get(end..) {
        let mut e = r.chars();
        if matches!(e.next(), Some('e' | 'E')) {
            let after = e.as_str();
            let (sign_len, exp) = match after.strip_prefix(['+', '-']) {
                Some(x) => (1, x),
                None => (0, after),
            };
            let d = digits_len(exp);
            if d > 0 {
                end += 1 + sign_len + d;
            }
        }
    }
    body.get(..end)?.parse::<f64>().ok().map(|v| sign * v)
}

/// iam-simulate's `parseNumber`.
fn js_parse_number(s: &str) -> Option<f64> {
    let n = if s.contains('.') {
        js_parse_float(s)
    } else {
        js_parse_int(s)
    };
    n.filter(|v| !v.is_nan())
}

// ---------------------------------------------------------------------------------------------
// Dates

/// Milliseconds since the epoch: a canonical integer is epoch seconds (AWS), else ISO 8601.
fn parse_date(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if canonical {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    parse_iso8601(s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12, any day count).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A small cursor over ASCII text.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Between `min` and `max` digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        while self.i - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(self.s.get(start..self.i)?)
            .ok()?
            .parse()
            .ok()
    }
}

/// ISO 8601 / W3C date-times as `Date.parse` reads them: `YYYY-MM[-DD]` (month and day may have
/// one digit; days roll over like V8's legacy parser), optionally followed by `T`, `t` or a space
/// and `hh:mm[:ss[.fraction]]`, optionally `Z` or `±hh[:]mm`. No offset means UTC here.
fn parse_iso8601(s: &str) -> Option<i64> {
    let mut c = Cursor {
        s: s.as_bytes(),
        i: 0,
    };
    let year = if c.eat(b'+') {
        c.number(6, 6)?
    } else if c.eat(b'-') {
        -c.number(6, 6)?
    } else {
        c.number(4, 4)?
    };
    let (mut month, mut day) = (1, 1);
    if c.eat(b'-') {
        month = c.number(1, 2)?;
        if c.eat(b'-') {
            day = c.number(1, 2)?;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut ms = days_from_civil(year, month, 1)
        .checked_add(day - 1)?
        .checked_mul(86_400_000)?;
    if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
        let hour = c.number(2, 2)?;
        if !c.eat(b':') {
            return None;
        }
        let minute = c.number(2, 2)?;
        let mut second = 0;
        let mut millis = 0;
        if c.eat(b':') {
            second = c.number(2, 2)?;
            if c.eat(b'.') {
                let start = c.i;
                while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                    c.i += 1;
                }
                let frac = s.get(start..c.i)?;
                if frac.is_empty() {
                    return None;
                }
                let three: String = frac.chars().chain("000".chars()).take(3).collect();
                millis = three.parse::<i64>().ok()?;
            }
        }
        if hour > 24
            || minute > 59
            || second > 59
            || (hour == 24 && (minute, second, millis) != (0, 0, 0))
        {
            return None;
        }
        ms += ((hour * 60 + minute) * 60 + second) * 1000 + millis;
        if c.eat(b'Z') || c.eat(b'z') {
        } else if let Some(sign) = c.peek().filter(|b| *b == b'+' || *b == b'-') {
            c.i += 1;
            let oh = c.number(2, 2)?;
            c.eat(b':');
            let om = c.number(2, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 60 + om) * 60_000;
            ms = if sign == b'+' {
                ms - offset
            } else {
                ms + offset
            };
        }
    }
    (c.i == s.len()).then_some(ms)
}

// ---------------------------------------------------------------------------------------------
// IP addresses

/// IPv4 as iam-simulate's regex accepts it: four decimal octets 0..=255 without leading zeros.
fn parse_ipv4(s: &str) -> Option<u32> {
    let mut out = 0u32;
    let mut n = 0;
    for part in s.split('.') {
        if part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|b| b.is_ascii_digit())
            || (part.len() > 1 && part.starts_with('0'))
        {
            return None;
        }
        let v: u32 = part.parse().ok()?;
        if v > 255 {
            return None;
        }
        out = (out << 8) | v;
        n += 1;
    }
    (n == 4).then_some(out)
}

fn parse_cidr_v4(s: &str) -> Option<(u32, u32)> {
    let (ip, len) = s.split_once('/')?;
    let ok = !len.is_empty()
        && len.len() <= 2
        && len.bytes().all(|b| b.is_ascii_digit())
        && (len.len() == 1 || !len.starts_with('0'));
    let len: u32 = if ok { len.parse().ok()? } else { return None };
    (len <= 32).then_some((parse_ipv4(ip)?, len))
}

/// IPv6 text per RFC 4291: eight groups of 1-4 hex digits, one `::` for a run of zero groups,
/// optionally a dotted IPv4 address as the last 32 bits.
fn parse_ipv6(s: &str) -> Option<u128> {
    fn groups(part: &str, last: bool) -> Option<Vec<u16>> {
        let mut out = Vec::new();
        if part.is_empty() {
            return Some(out);
        }
        let items: Vec<&str> = part.split(':').collect();
        for (i, g) in items.iter().enumerate() {
            if last && i + 1 == items.len() && g.contains('.') {
                let v4 = parse_ipv4(g)?;
                out.push((v4 >> 16) as u16);
                out.push((v4 & 0xffff) as u16);
            } else if (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(u16::from_str_radix(g, 16).ok()?);
            } else {
                return None;
            }
        }
        Some(out)
    }
    let (head, tail) = match s.split_once("::") {
        Some((h, t)) if !t.contains("::") => (groups(h, false)?, Some(groups(t, true)?)),
        Some(_) => return None,
        None => (groups(s, true)?, None),
    };
    let all: Vec<u16> = match tail {
        None if head.len() == 8 => head,
        Some(t) if head.len() + t.len() <= 7 => {
            let zeros = 8 - head.len() - t.len();
            head.into_iter()
                .chain(std::iter::repeat_n(0, zeros))
                .chain(t)
                .collect()
        }
        _ => return None,
    };
    Some(
        all.into_iter()
            .fold(0u128, |acc, g| (acc << 16) | u128::from(g)),
    )
}

fn parse_cidr_v6(s: &str) -> Option<(u128, u32)> {
    let mut parts = s.split('/');
    let (ip, len, none) = (parts.next()?, parts.next()?, parts.next());
    if none.is_some() {
        return None;
    }
    let ip = parse_ipv6(ip)?;
    let len = js_parse_int(len)?;
    (0.0..=128.0).contains(&len).then_some((ip, len as u32))
}

fn in_v4(ip: u32, net: u32, len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    ip & mask == net & mask
}

fn in_v6(ip: u128, net: u128, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    ip & mask == net & mask
}

/// iam-simulate's `checkIfIpAddress`; `expect` is true for `IpAddress`, false for
/// `NotIpAddress`.
fn ip_value(policy: &str, request: &str, expect: bool) -> bool {
    if let Some((net, len)) = parse_cidr_v4(policy) {
        if parse_ipv6(request).is_some() {
            return !expect;
        }
        return parse_ipv4(request).is_some_and(|ip| in_v4(ip, net, len) == expect);
    }
    if let Some(p) = parse_ipv4(policy) {
        return parse_ipv4(request).is_some_and(|r| (r == p) == expect);
    }
    if let Some((net, len)) = parse_cidr_v6(policy) {
        if parse_ipv4(request).is_some() {
            return !expect;
        }
        return parse_ipv6(request).is_some_and(|ip| in_v6(ip, net, len) == expect);
    }
    if let Some(p) = parse_ipv6(policy) {
        return parse_ipv6(request).is_some_and(|r| (r == p) == expect);
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
