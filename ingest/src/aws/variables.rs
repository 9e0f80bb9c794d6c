//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`, ...).
//!
//! Substitution produces a pattern in the syntax of [`crate::aws::glob`]: policy `*`/`?` stay
//! wildcards; substituted values, defaults and the escapes `${*}`, `${?}`, `${$}` become literal
//! characters (so a substituted `*` matches only a `*`); a `\` in the policy text is escaped.
//!
//! Rules, aligned with iam-simulate 0.1.173 (`util.js`, `replaceIamStringTokens`):
//!
//! * a variable runs from `${` to the first following `}`; a `${` with no closing `}` is literal
//!   text;
//! * a default is recognised only in the exact form `${name, 'default'}` (one `", "`
//!   separator, quoted with single quotes); anything else is part of the (then unknown) name;
//! * key names are case-insensitive: the lookup always receives the key **lowercased**;
//! * a multivalued key ([`is_multivalued_key`]) cannot be used as a variable: the default is
//!   used if there is one, else the element does not match;
//! * a key that is absent, or whose value is the empty string, uses the default; without a
//!   default (or with an empty default `''`) the element does not match
//!   ([`Substitution::Missing`]). (iam-simulate tests the value and the default for
//!   truthiness; AWS documents nothing for empty values.)
//!
//! Whether variables are substituted at all depends on the policy `Version`
//! ([`PolicyDocument::variables_enabled`](crate::aws::policy::PolicyDocument::variables_enabled));
//! with variables disabled use [`pattern_without_variables`]. iam-simulate substitutes whatever
//! the version; AWS treats `${...}` literally unless `Version` is `2012-10-17`, and so do we
//! when the caller passes `variables_enabled = false`.

use crate::aws::condition::{is_multivalued_key, KeyValue};
use crate::aws::glob::{self, Tok};

/// The result of substituting the variables of a policy string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Substitution {
    /// The pattern (syntax of [`crate::aws::glob`]).
    Resolved(String),
    /// A variable without a default refers to an absent (or multivalued) key: the element does
    /// not match. For negated condition operators the value counts as not satisfied either
    /// (iam-simulate), so the clause is false.
    Missing,
    /// Depends on a key whose value is not known statically.
    Unknown,
}

/// Token-level substitution result, used by condition evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subst {
    Tokens(Vec<Tok>),
    Missing,
    Unknown,
}

/// One lexical piece of a policy string.
enum Piece<'a> {
    /// A character (wildcards included).
    Char(char),
    /// `${...}`: the text between the braces.
    Var(&'a str),
}

/// Splits policy text into characters and `${...}` groups, like iam-simulate's scanner.
fn pieces(s: &str) -> Pieces<'_> {
    Pieces { s, i: 0 }
}

/// The [`Piece`]s of policy text, in order (see [`pieces`]).
struct Pieces<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = self.s.get(self.i..)?;
        let c = rest.chars().next()?;
        if rest.starts_with("${") {
            if let Some(end) = rest.get(2..).and_then(|r| r.find('}')) {
                self.i += end + 3;
                return Some(Piece::Var(rest.get(2..2 + end).unwrap_or_default()));
            }
        }
        self.i += c.len_utf8();
        Some(Piece::Char(c))
    }
}

/// The escapes `${*}`, `${?}`, `${$}`.
fn escape_char(inner: &str) -> Option<char> {
    match inner {
        "*" => Some('*'),
        "?" => Some('?'),
        "$" => Some('$'),
        _ => None,
    }
}

/// Name and default of a variable (the text between `${` and `}`).
fn parse_variable(inner: &str) -> (&str, Option<&str>) {
    let parts: Vec<&str> = inner.split(", ").collect();
    let name = parts.first().copied().unwrap_or_default().trim();
    let default = match parts.as_slice() {
        [_, d] if d.starts_with('\'') && d.ends_with('\'') && d.len() >= 2 => d.get(1..d.len() - 1),
        _ => None,
    };
    (name, default.filter(|d| !d.is_empty()))
}

/// Whether `s` contains a `${...}` group that [`substitute`] replaces: a variable or one of the
/// escapes `${*}`, `${?}`, `${$}`. (Escapes count because they, too, need substituting.)
pub fn has_variables(s: &str) -> bool {
    opens_variable(s) && pieces(s).any(|p| matches!(p, Piece::Var(_)))
}

/// Whether `s` holds `${` (as `s.contains("${")`, without setting up a string searcher: a
/// check asks it of millions of short values and patterns).
pub fn opens_variable(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b'$', b).any(|i| b.get(i + 1) == Some(&b'{'))
}

/// The keys (as written) of the variables in `s`, escapes excluded, in order of appearance.
pub fn referenced_keys(s: &str) -> Vec<String> {
    pieces(s)
        .filter_map(|p| match p {
            Piece::Var(inner) if escape_char(inner).is_none() => {
                Some(parse_variable(inner).0.to_string())
            }
            _ => None,
        })
        .collect()
}

enum Value {
    Text(String),
    Missing,
    Unknown,
}

fn resolve(inner: &str, lookup: &dyn Fn(&str) -> KeyValue) -> Value {
    if let Some(c) = escape_char(inner) {
        return Value::Text(c.to_string());
    }
    let (name, default) = parse_variable(inner);
    let fallback = || match default {
        Some(d) => Value::Text(d.to_string()),
        None => Value::Missing,
    };
    if is_multivalued_key(name) {
        return fallback();
    }
    match lookup(&name.to_lowercase()) {
        KeyValue::Known(values) => match values.into_iter().next() {
            Some(v) if !v.is_empty() => Value::Text(v),
            _ => fallback(),
        },
        KeyValue::Absent => fallback(),
        // (A value known only in part substitutes as unknown.)
        KeyValue::Unknown | KeyValue::Prefixed(_) | KeyValue::Outside(_) => Value::Unknown,
    }
}

/// What a policy value that is one variable and nothing else (`${aws:PrincipalTag/team}`, the
/// usual attribute-based Condition) stands for.
pub(crate) enum Sole {
    Text(String),
    Missing,
    Unknown,
}

/// [`Sole`], when `template` is one `${...}` group and nothing else (as [`pieces`] reads it:
/// up to the first `}`); `None` otherwise. The same as substituting its tokens, without them.
pub(crate) fn sole_variable(template: &str, lookup: &dyn Fn(&str) -> KeyValue) -> Option<Sole> {
    let inner = template.strip_prefix("${")?.strip_suffix('}')?;
    if inner.contains('}') {
        return None;
    }
    Some(match resolve(inner, lookup) {
        Value::Text(t) => Sole::Text(t),
        Value::Missing => Sole::Missing,
        Value::Unknown => Sole::Unknown,
    })
}

/// Substitutes at token level. Missing beats Unknown (a definite non-match).
pub(crate) fn substitute_tokens(template: &str, lookup: &dyn Fn(&str) -> KeyValue) -> Subst {
    let mut toks = Vec::with_capacity(template.len());
    let mut unknown = false;
    for p in pieces(template) {
        match p {
            Piece::Char('*') => toks.push(Tok::Star),
            Piece::Char('?') => toks.push(Tok::Any),
            Piece::Char(c) => toks.push(Tok::Lit(c)),
            Piece::Var(inner) => match resolve(inner, lookup) {
                Value::Text(t) => toks.extend(t.chars().map(Tok::Lit)),
                Value::Missing => return Subst::Missing,
                Value::Unknown => unknown = true,
            },
        }
    }
    if unknown {
        Subst::Unknown
    } else {
        Subst::Tokens(toks)
    }
}

/// Tokens of policy text with variables disabled: `${...}` is literal, `*`/`?` are wildcards.
pub(crate) fn literal_tokens(template: &str) -> Vec<Tok> {
    template
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::Any,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Tokens of policy text, with or without variables.
pub(crate) fn template_tokens(
    template: &str,
    variables_enabled: bool,
    lookup: &dyn Fn(&str) -> KeyValue,
) -> Subst {
    if variables_enabled {
        substitute_tokens(template, lookup)
    } else {
        Subst::Tokens(literal_tokens(template))
    }
}

fn finish(s: Subst) -> Substitution {
    match s {
        Subst::Tokens(t) => Substitution::Resolved(glob::render(&t)),
        Subst::Missing => Substitution::Missing,
        Subst::Unknown => Substitution::Unknown,
    }
}

/// Substitutes every variable of `template` (a policy string; variables enabled). `lookup`
/// receives lowercased key names.
pub fn substitute(template: &str, lookup: &dyn Fn(&str) -> KeyValue) -> Substitution {
    finish(substitute_tokens(template, lookup))
}

/// The pattern for policy text with variables disabled (`Version` other than `2012-10-17`):
/// `${...}` stays literal, `*`/`?` are wildcards, backslashes are escaped.
pub fn pattern_without_variables(template: &str) -> String {
    glob::render(&literal_tokens(template))
}

/// Substitution for a `Resource`/`NotResource` entry: variables are substituted only in the
/// resource id, i.e. after the fifth colon and after the resource-type prefix (AWS allows them
/// only after the fifth colon; iam-simulate substitutes only the id). Earlier text is literal.
pub fn substitute_resource(template: &str, lookup: &dyn Fn(&str) -> KeyValue) -> Substitution {
    let segs: Vec<&str> = template.splitn(6, ':').collect();
    let start = match segs.as_slice() {
        [_, _, service, region, account, rest] => {
            template.len() - rest.len() + glob::product_len(service, region, account, rest)
        }
        _ => template.len(),
    };
    let (head, id) = (
        template.get(..start).unwrap_or(template),
        template.get(start..).unwrap_or_default(),
    );
    // Rendered straight into the pattern (what rendering the head's literal tokens and the
    // id's substituted tokens gives, without the tokens): literal runs are copied whole, with
    // their backslashes escaped; each `${...}` group (as `pieces` finds them: up to the first
    // `}`) is substituted.
    let mut out = String::with_capacity(template.len() + 16);
    push_literal(&mut out, head);
    let mut unknown = false;
    let mut rest = id;
    while !rest.is_empty() {
        let group = rest.find("${").and_then(|k| {
            let after = rest.get(k + 2..)?;
            let end = after.find('}')?;
            Some((k, after.get(..end)?, after.get(end + 1..)?))
        });
        let Some((k, inner, next)) = group else {
            // No group closes after here: the rest is literal.
            push_literal(&mut out, rest);
            break;
        };
        push_literal(&mut out, rest.get(..k).unwrap_or_default());
        match resolve(inner, lookup) {
            Value::Text(t) => glob::escape_into(&t, &mut out),
            Value::Missing => return Substitution::Missing,
            Value::Unknown => unknown = true,
        }
        rest = next;
    }
    if unknown {
        Substitution::Unknown
    } else {
        Substitution::Resolved(out)
    }
}

/// Appends policy text outside `${...}` groups to a pattern: its `*` and `?` stay wildcards,
/// a backslash is escaped (as rendering its literal tokens does).
fn push_literal(out: &mut String, text: &str) {
    for (i, run) in text.split('\\').enumerate() {
        if i > 0 {
            out.push_str("\\\\");
        }
        out.push_str(run);
    }
}

/// The pattern of a `Resource`/`NotResource` entry: [`substitute_resource`] if variables are
/// enabled, else [`pattern_without_variables`]. Feed the result to
/// [`glob::resource_matches`](crate::aws::glob::resource_matches).
pub fn resource_pattern(
    template: &str,
    variables_enabled: bool,
    lookup: &dyn Fn(&str) -> KeyValue,
) -> Substitution {
    if variables_enabled {
        substitute_resource(template, lookup)
    } else {
        Substitution::Resolved(pattern_without_variables(template))
    }
}

/// Splits policy text at `sep`, ignoring separators inside `${...}` groups.
pub(crate) fn split_outside_variables(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut seg_start = 0;
    let mut i = 0;
    while let Some(rest) = s.get(i..) {
        let Some(c) = rest.chars().next() else { break };
        if rest.starts_with("${") {
            if let Some(end) = rest.get(2..).and_then(|r| r.find('}')) {
                i += end + 3;
                continue;
            }
        }
        if c == sep {
            out.push(s.get(seg_start..i).unwrap_or_default());
            seg_start = i + c.len_utf8();
        }
        i += c.len_utf8();
    }
    out.push(s.get(seg_start..).unwrap_or_default());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ctx(key: &str) -> KeyValue {
        match key {
            "aws:username" => KeyValue::Known(vec!["alice".into()]),
            "aws:principaltag/team" => KeyValue::Known(vec!["data*".into()]),
            "aws:principaltag/empty" => KeyValue::Known(vec![String::new()]),
            "aws:principaltag/unknown" | "aws:sourceaccount" => KeyValue::Unknown,
            "aws:tagkeys" => KeyValue::Known(vec!["a".into()]),
            "aws:principalaccount" => KeyValue::Known(vec!["111122223333".into()]),
            _ => KeyValue::Absent,
        }
    }

    fn sub(s: &str) -> Substitution {
        substitute(s, &ctx)
    }

    fn res(s: &str) -> Substitution {
        Substitution::Resolved(s.into())
    }

    #[test]
    fn plain_variables_and_case() {
        assert_eq!(sub("home/${aws:username}/*"), res("home/alice/*"));
        assert_eq!(sub("home/${AWS:UserName}/*"), res("home/alice/*"));
        assert_eq!(sub("${aws:PrincipalTag/Team}"), res("data\\*"));
        assert_eq!(sub("no variables ?"), res("no variables ?"));
    }

    #[test]
    fn lookup_receives_lowercased_keys() {
        let seen = std::cell::RefCell::new(Vec::new());
        let f = |k: &str| {
            seen.borrow_mut().push(k.to_string());
            KeyValue::Absent
        };
        let _ = substitute("${aws:PrincipalTag/TeamName}", &f);
        assert_eq!(seen.borrow().as_slice(), ["aws:principaltag/teamname"]);
    }

    #[test]
    fn defaults() {
        assert_eq!(
            sub("${aws:PrincipalTag/missing, 'company-wide'}"),
            res("company-wide")
        );
        assert_eq!(sub("${aws:username, 'x'}"), res("alice"));
        assert_eq!(sub("${aws:PrincipalTag/empty, 'd'}"), res("d"));
        assert_eq!(sub("${aws:PrincipalTag/empty}"), Substitution::Missing);
        assert_eq!(
            sub("${aws:PrincipalTag/missing, ''}"),
            Substitution::Missing
        );
        assert_eq!(sub("${aws:PrincipalTag/missing, 'a*'}"), res("a\\*"));
        // Only the exact ", '...'" form is a default (iam-simulate).
        assert_eq!(
            sub("${aws:PrincipalTag/missing,'d'}"),
            Substitution::Missing
        );
        assert_eq!(sub("${aws:username,'d'}"), Substitution::Missing);
        // The default of an Unknown key does not decide it.
        assert_eq!(
            sub("${aws:PrincipalTag/unknown, 'd'}"),
            Substitution::Unknown
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(sub("a${*}b${?}c${$}d"), res("a\\*b\\?c$d"));
        assert_eq!(sub("back\\slash*"), res("back\\\\slash*"));
        assert_eq!(
            sub("unclosed ${aws:username"),
            res("unclosed ${aws:username")
        );
        assert!(has_variables("${*}"));
        assert!(has_variables("x${aws:username}"));
        assert!(!has_variables("${aws:username"));
        assert!(!has_variables("plain*"));
        assert_eq!(
            referenced_keys("${*}${aws:username}/${aws:PrincipalTag/t, 'x'}"),
            ["aws:username", "aws:PrincipalTag/t"]
        );
    }

    #[test]
    fn missing_unknown_multivalued() {
        assert_eq!(sub("${aws:userid}"), Substitution::Missing);
        assert_eq!(sub("${aws:SourceAccount}"), Substitution::Unknown);
        // Missing beats Unknown: the element cannot match whatever the unknown key holds.
        assert_eq!(
            sub("${aws:SourceAccount}${aws:userid}"),
            Substitution::Missing
        );
        // Multivalued keys are never substituted; the default applies.
        assert_eq!(sub("${aws:TagKeys}"), Substitution::Missing);
        assert_eq!(sub("${aws:TagKeys, 'd'}"), res("d"));
    }

    #[test]
    fn substituted_star_matches_only_a_star() {
        let Substitution::Resolved(p) = sub("arn:aws:s3:::b/${aws:PrincipalTag/team}/x") else {
            panic!("resolved")
        };
        assert!(glob::glob_match(&p, "arn:aws:s3:::b/data*/x"));
        assert!(!glob::glob_match(&p, "arn:aws:s3:::b/data1/x"));
    }

    #[test]
    fn resource_substitution_renders_as_the_tokens_do() {
        // Rendered straight into text, the pattern is what rendering the head's literal tokens
        // and the id's substituted tokens gives: wildcards kept, backslashes and substituted
        // `*`/`?` escaped, Missing before Unknown.
        for t in [
            "arn:aws:s3:::b/${aws:username}/*",
            "arn:aws:s3:::b\\x/${aws:PrincipalTag/team}?/${*}",
            "arn:aws:iam::*:user/${aws:username}",
            "arn:aws:iam::${aws:PrincipalAccount}:role/x\\y",
            "arn:aws:ec2:*:*:instance/${aws:principaltag/unknown}",
            "arn:aws:ec2:*:*:instance/${aws:principaltag/unknown}${aws:userid}",
            "arn:aws:s3:::${aws:PrincipalTag/nope, 'a*b'}",
            "arn:aws:s3:::${unclosed",
            "arn:aws:s3:::a$${aws:username}}b${",
            "arn:aws:s3:::${}${$}${?}\\${aws:username, 'x'}",
            "arn:aws\\:ec2:*:*:inst\\ance*/${aws:username}",
            "not-an-arn-${aws:username}",
        ] {
            let segs: Vec<&str> = t.splitn(6, ':').collect();
            let start = match segs.as_slice() {
                [_, _, service, region, account, rest] => {
                    t.len() - rest.len() + glob::product_len(service, region, account, rest)
                }
                _ => t.len(),
            };
            let (head, id) = (&t[..start], &t[start..]);
            let want = match substitute_tokens(id, &ctx) {
                Subst::Tokens(mut toks) => {
                    let mut all = literal_tokens(head);
                    all.append(&mut toks);
                    Substitution::Resolved(glob::render(&all))
                }
                Subst::Missing => Substitution::Missing,
                Subst::Unknown => Substitution::Unknown,
            };
            assert_eq!(substitute_resource(t, &ctx), want, "{t}");
        }
    }

    #[test]
    fn resource_substitution_only_in_the_id() {
        assert_eq!(
            substitute_resource("arn:aws:s3:::b/${aws:username}/*", &ctx),
            res("arn:aws:s3:::b/alice/*")
        );
        assert_eq!(
            substitute_resource("arn:aws:iam::*:user/${aws:username}", &ctx),
            res("arn:aws:iam::*:user/alice")
        );
        // Variables before the fifth colon or in the resource type stay literal.
        assert_eq!(
            substitute_resource("arn:aws:iam::${aws:PrincipalAccount}:role/x", &ctx),
            res("arn:aws:iam::${aws:PrincipalAccount}:role/x")
        );
        assert_eq!(
            substitute_resource("arn:aws:s3:::${aws:userid}", &ctx),
            Substitution::Missing
        );
        assert_eq!(
            resource_pattern("arn:aws:s3:::${aws:username}", false, &ctx),
            res("arn:aws:s3:::${aws:username}")
        );
        assert_eq!(
            resource_pattern("arn:aws:s3:::${aws:username}", true, &ctx),
            res("arn:aws:s3:::alice")
        );
        assert_eq!(pattern_without_variables("a\\b*"), "a\\\\b*");
    }

    #[test]
    fn split_respects_variables() {
        assert_eq!(
            split_outside_variables("arn:aws:iam::${aws:PrincipalAccount}:role/*", ':'),
            ["arn", "aws", "iam", "", "${aws:PrincipalAccount}", "role/*"]
        );
        assert_eq!(split_outside_variables("a:${b", ':'), ["a", "${b"]);
    }
}
