//! Wildcard matching for actions, resources and ARN condition values, plus the set questions
//! (does one pattern cover / overlap another) that static analysis needs.
//!
//! # Pattern syntax
//!
//! Resource, ARN and string patterns use one syntax throughout this module:
//!
//! * `*` matches any run of characters, including none; it crosses `/` and (in the resource
//!   part of an ARN) `:`;
//! * `?` matches exactly one character;
//! * `\` makes the next character literal (`\*`, `\?`, `\\`); a trailing lone `\` is a literal
//!   backslash.
//!
//! Policy text has no escape character: a `\` in a policy is an ordinary character. Text taken
//! from a policy therefore goes through [`crate::aws::variables`] first
//! ([`variables::substitute`](crate::aws::variables::substitute),
//! [`variables::resource_pattern`](crate::aws::variables::resource_pattern) or
//! [`variables::pattern_without_variables`](crate::aws::variables::pattern_without_variables)),
//! which escapes backslashes and turns substituted values and the `${*}` / `${?}` escapes into
//! literal characters. Text without `\` is its own pattern. Action patterns
//! ([`action_matches`]) never need escaping and are used as written.
//!
//! The text side (`text`, `arn`, `action`) is always a concrete string, never a pattern.
//!
//! # Resource rule (as iam-simulate 0.1.173 applies it, `resource/resource.js`)
//!
//! * a pattern made only of `*` matches everything;
//! * otherwise the pattern is split at `:`. With fewer than 6 segments it is a *short ARN*,
//!   handled by a [`ShortArn`] rule that depends on the policy kind (identity policies pad the
//!   missing segments with `*`);
//! * the ARN must have at least 5 colons (iam-simulate compares missing request segments
//!   against the text `undefined`; we just do not match);
//! * the first segment (`arn`) is not compared at all;
//! * partition, service, region and account are compared segment by segment, **ASCII
//!   case-insensitively**, with `*`/`?` wildcards that stay inside the segment;
//! * the resource part (everything after the fifth colon) is split into a *resource type
//!   prefix* (up to and including its first `/` or `:`, whichever comes first; empty when it has
//!   neither, and always empty for S3 bucket/object ARNs, i.e. service `s3` with empty region
//!   and account) and a *resource id*. The prefix must be a literal, case-sensitive prefix of the
//!   ARN's resource part (wildcards in it are literal characters: AWS does not allow wildcards in
//!   the resource type), and the id is matched case-sensitively with wildcards that cross `/` and
//!   `:`.
//!
//! Differences from iam-simulate: JavaScript's `.` does not match line terminators, ours match
//! any character; iam-simulate's first four segments are regexes built without escaping, ours
//! are literal text with `*`/`?` wildcards; case-insensitivity here is ASCII only.

use std::collections::{BTreeSet, VecDeque};

/// One token of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(char),
    Star,
    Any,
}

impl Tok {
    /// The character this token stands for when wildcards are read literally.
    pub(crate) fn as_char(self) -> char {
        match self {
            Tok::Lit(c) => c,
            Tok::Star => '*',
            Tok::Any => '?',
        }
    }
}

/// Decodes the token of pattern `p` starting at byte offset `at`; returns it and the offset
/// after it. `escapes` enables the backslash escape.
fn next_tok(p: &str, at: usize, escapes: bool) -> Option<(Tok, usize)> {
    let mut chars = p.get(at..)?.chars();
    let c = chars.next()?;
    let after = at + c.len_utf8();
    Some(match c {
        '*' => (Tok::Star, after),
        '?' => (Tok::Any, after),
        '\\' if escapes => match chars.next() {
            Some(n) => (Tok::Lit(n), after + n.len_utf8()),
            None => (Tok::Lit('\\'), after),
        },
        _ => (Tok::Lit(c), after),
    })
}

/// The tokens of a pattern (with escapes).
pub(crate) fn tokens(p: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((t, next)) = next_tok(p, at, true) {
        out.push(t);
        at = next;
    }
    out
}

/// Renders tokens in pattern syntax.
pub(crate) fn render(toks: &[Tok]) -> String {
    let mut s = String::with_capacity(toks.len());
    for t in toks {
        match t {
            Tok::Star => s.push('*'),
            Tok::Any => s.push('?'),
            Tok::Lit(c) => {
                if matches!(c, '*' | '?' | '\\') {
                    s.push('\\');
                }
                s.push(*c);
            }
        }
    }
    s
}

/// A pattern that matches exactly `text`: escapes `*`, `?` and `\`.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    escape_into(text, &mut s);
    s
}

/// [`escape`], appended to `out`.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The pattern read as plain text: escapes removed, wildcards kept as the characters `*`/`?`.
pub(crate) fn literal_text(p: &str) -> String {
    tokens(p).into_iter().map(Tok::as_char).collect()
}

/// ASCII case folding, used for actions and the first ARN segments.
fn eq_ascii_ci(a: char, b: char) -> bool {
    a.eq_ignore_ascii_case(&b)
}

fn eq_exact(a: char, b: char) -> bool {
    a == b
}

/// Greedy glob matching with a single backtrack point: no allocation, no exponential
/// backtracking; O(|p|·|t|) in the worst case and linear in the usual one. `ci`: literal
/// characters compare ASCII case-insensitively.
fn glob_core(p: &str, t: &str, escapes: bool, ci: bool) -> bool {
    // (A segment of a resource pattern is often a lone star: the account, the region.)
    if p == "*" {
        return true;
    }
    // A pattern that opens with a literal character the text does not open with matches
    // nothing: decided on the first bytes, before anything scans either string (most of a
    // policy's action patterns name other services than the action asked). An ASCII byte is
    // a whole character, and never equal to one that opens with a non-ASCII byte.
    if let Some(&c) = p.as_bytes().first() {
        let literal = c.is_ascii() && c != b'*' && c != b'?' && !(escapes && c == b'\\');
        if literal {
            let same = t.as_bytes().first().is_some_and(|&d| {
                if ci {
                    c.eq_ignore_ascii_case(&d)
                } else {
                    c == d
                }
            });
            if !same {
                return false;
            }
        }
    }
    // Patterns and ARNs are ASCII but for rare exceptions: byte by byte then, where a
    // character is a byte (the same answers, without decoding UTF-8 at every step).
    if p.is_ascii() && t.is_ascii() {
        return glob_bytes(p.as_bytes(), t.as_bytes(), escapes, ci);
    }
    glob_chars(p, t, escapes, if ci { eq_ascii_ci } else { eq_exact })
}

/// [`glob_core`] of an ASCII pattern and text.
fn glob_bytes(p: &[u8], t: &[u8], escapes: bool, ci: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ci {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let mut pi = 0usize;
    let mut ti = 0usize;
    // (pattern offset just after the last star, text offset that star has consumed up to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let tc = t.get(ti).copied();
        // The next token: (`Some(literal)` or `None` for `?`, the offset after it), or a star.
        let tok = match p.get(pi).copied() {
            None => None,
            Some(b'*') => {
                star = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(b'?') => Some((None, pi + 1)),
            Some(b'\\') if escapes => match p.get(pi + 1).copied() {
                Some(n) => Some((Some(n), pi + 2)),
                None => Some((Some(b'\\'), pi + 1)),
            },
            Some(c) => Some((Some(c), pi + 1)),
        };
        match (tok, tc) {
            (Some((None, np)), Some(_)) => {
                pi = np;
                ti += 1;
                continue;
            }
            (Some((Some(l), np)), Some(c)) if eq(l, c) => {
                pi = np;
                ti += 1;
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        match star {
            Some((sp, st)) if st < t.len() => {
                star = Some((sp, st + 1));
                pi = sp;
                ti = st + 1;
            }
            _ => return false,
        }
    }
}

/// [`glob_core`] character by character, for any text.
fn glob_chars(p: &str, t: &str, escapes: bool, eq: fn(char, char) -> bool) -> bool {
    let mut pi = 0usize;
    let mut ti = 0usize;
    // (pattern offset just after the last star, text offset that star has consumed up to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let tc = t.get(ti..).and_then(|rest| rest.chars().next());
        match (next_tok(p, pi, escapes), tc) {
            (Some((Tok::Star, np)), _) => {
                star = Some((np, ti));
                pi = np;
                continue;
            }
            (Some((Tok::Any, np)), Some(c)) => {
                pi = np;
                ti += c.len_utf8();
                continue;
            }
            (Some((Tok::Lit(l), np)), Some(c)) if eq(l, c) => {
                pi = np;
                ti += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        match star {
            Some((sp, st)) => match t.get(st..).and_then(|rest| rest.chars().next()) {
                Some(c) => {
                    let nt = st + c.len_utf8();
                    star = Some((sp, nt));
                    pi = sp;
                    ti = nt;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

/// Case-sensitive glob match of `text` against `pattern` (pattern syntax above): `*` matches any
/// run (crossing `/` and `:`), `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    glob_core(pattern, text, true, false)
}

/// Glob match where literal characters compare ASCII case-insensitively.
pub(crate) fn glob_match_ascii_ci(pattern: &str, text: &str) -> bool {
    glob_core(pattern, text, true, true)
}

pub(crate) fn is_all_stars(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c == '*')
}

/// Whether the action pattern of an `Action`/`NotAction` entry matches `action`
/// (`service:Name`), as iam-simulate decides it (`action/action.js`):
///
/// * a pattern made only of `*` matches every action;
/// * otherwise the service prefixes (before the first `:`) must be equal ignoring case (no
///   wildcards in the service);
/// * the action names (between the first and the next `:`) are compared case-insensitively with
///   `*` and `?` anywhere; a pattern whose name is empty or contains whitespace matches nothing.
///
/// Action patterns have no escape character.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    if is_all_stars(pattern) {
        return true;
    }
    let (Some((psvc, prest)), Some((asvc, arest))) =
        (pattern.split_once(':'), action.split_once(':'))
    else {
        return false;
    };
    let pname = prest.split(':').next().unwrap_or_default();
    let aname = arest.split(':').next().unwrap_or_default();
    if pname.is_empty() || pname.chars().any(char::is_whitespace) {
        return false;
    }
    psvc.to_lowercase() == asvc.to_lowercase() && glob_core(pname, aname, false, true)
}

// ---------------------------------------------------------------------------------------------
// Resources

/// How a short policy resource ARN (fewer than six `:`-separated segments, e.g.
/// `arn:aws:s3`) is treated. iam-simulate decides this per policy kind
/// (`policyTypeResourceSettings` in `resource/resource.js`):
///
/// | policy kind | rule |
/// |---|---|
/// | identity, session, permission boundary | [`ShortArn::Expand`] |
/// | resource-based, VPC endpoint | [`ShortArn::ExpandIfWildcard`] |
/// | SCP | [`ShortArn::ExpandIfTrailingWildcard`] (otherwise invalid) |
/// | RCP | [`ShortArn::NoMatch`] (invalid) |
///
/// "Invalid" short ARNs are reported as errors by iam-simulate; here they simply match nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ShortArn {
    /// Pad the missing segments with `*`, then match normally.
    #[default]
    Expand,
    /// Expand if the pattern contains a `*` anywhere, else match nothing.
    ExpandIfWildcard,
    /// Expand if the last segment ends with `*`, else match nothing.
    ExpandIfTrailingWildcard,
    /// Match nothing.
    NoMatch,
}

/// A resource pattern split into its parts (after short-ARN padding).
#[derive(Debug)]
struct ResourceParts<'a> {
    /// partition, service, region, account
    head: [&'a str; 4],
    /// the resource type prefix, as literal text (borrowed when it has no escape)
    product: std::borrow::Cow<'a, str>,
    /// the resource id pattern
    id: &'a str,
}

/// Splits a resource pattern; `None` when it matches nothing (a short ARN the rule rejects).
/// The pattern must not be all stars (callers check that first).
fn resource_parts(pattern: &str, rule: ShortArn) -> Option<ResourceParts<'_>> {
    // (Split into an array, without allocating: `who-can` splits a pattern of each Allow of
    // every caller of the org once.)
    let mut segs = ["*"; 6];
    let found = split_colons(pattern, &mut segs);
    if found < 6 {
        let expand = match rule {
            ShortArn::Expand => true,
            ShortArn::ExpandIfWildcard => tokens(pattern).contains(&Tok::Star),
            ShortArn::ExpandIfTrailingWildcard => {
                let last = found.checked_sub(1).and_then(|i| segs.get(i));
                tokens(last.copied().unwrap_or_default()).last() == Some(&Tok::Star)
            }
            ShortArn::NoMatch => false,
        };
        if !expand {
            return None;
        }
    }
    let [_, partition, service, region, account, rest] = segs;
    let split = product_len(service, region, account, rest);
    let (product_raw, id) = (rest.get(..split)?, rest.get(split..)?);
    // Without a backslash, a pattern's literal text is itself.
    let product = if product_raw.contains('\\') {
        std::borrow::Cow::Owned(literal_text(product_raw))
    } else {
        std::borrow::Cow::Borrowed(product_raw)
    };
    Some(ResourceParts {
        head: [partition, service, region, account],
        product,
        id,
    })
}

/// Byte length of the resource-type prefix of the resource part `rest` (see the module docs).
pub(crate) fn product_len(service: &str, region: &str, account: &str, rest: &str) -> usize {
    if service == "s3" && region.is_empty() && account.is_empty() {
        return 0;
    }
    match rest.bytes().position(|b| b == b'/' || b == b':') {
        Some(i) => i + 1,
        None => 0,
    }
}

/// Splits `s` at its first five colons into `segs` (as `splitn(6, ':')`, scanning bytes: the
/// segments are short, and a search call per segment cost more than the scan); returns how
/// many segments were found. The slots past them are left as they were.
fn split_colons<'s>(s: &'s str, segs: &mut [&'s str; 6]) -> usize {
    let mut rest = s;
    for (i, slot) in segs.iter_mut().enumerate() {
        // (`:` is ASCII: the byte after it starts a character.)
        match rest.bytes().position(|b| b == b':').filter(|_| i < 5) {
            Some(j) => {
                *slot = rest.get(..j).unwrap_or_default();
                rest = rest.get(j + 1..).unwrap_or_default();
            }
            None => {
                *slot = rest;
                return i + 1;
            }
        }
    }
    6
}

/// Splits a concrete ARN at its first five colons.
fn split_arn(arn: &str) -> Option<[&str; 6]> {
    let mut segs = [""; 6];
    (split_colons(arn, &mut segs) == 6).then_some(segs)
}

/// Whether a `Resource`/`NotResource` entry matches the concrete `arn`, with the identity-policy
/// short-ARN rule ([`ShortArn::Expand`]). See the module docs for the rule.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    resource_matches_with(ShortArn::Expand, pattern, arn)
}

/// [`resource_matches`] with an explicit short-ARN rule.
pub fn resource_matches_with(rule: ShortArn, pattern: &str, arn: &str) -> bool {
    if is_all_stars(pattern) {
        return true;
    }
    resource_parts(pattern, rule).is_some_and(|parts| parts_match(&parts, arn))
}

/// Texts that every concrete ARN `pattern` matches ([`resource_matches`]) contains, for a cheap
/// test before matching a large inventory: `:ACCOUNT:` when the account segment is literal
/// digits (compared exactly, between the ARN's fourth and fifth colons), and `:` with the
/// resource part's literal text up to its first wildcard, escape or variable (compared exactly,
/// after the fifth colon). None for a pattern of fewer than six segments.
pub fn required_texts(pattern: &str) -> Vec<String> {
    let mut segs = [""; 6];
    if is_all_stars(pattern) || split_colons(pattern, &mut segs) < 6 {
        return Vec::new();
    }
    let [_, _, _, _, account, rest] = segs;
    let mut texts = Vec::new();
    if !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit()) {
        texts.push(format!(":{account}:"));
    }
    let literal = rest
        .find(['*', '?', '\\', '$'])
        .map_or(rest, |i| rest.get(..i).unwrap_or_default());
    if !literal.is_empty() {
        texts.push(format!(":{literal}"));
    }
    texts
}

/// Whether the split pattern `parts` matches the concrete `arn`.
fn parts_match(parts: &ResourceParts<'_>, arn: &str) -> bool {
    let Some([_, partition, service, region, account, rest]) = split_arn(arn) else {
        return false;
    };
    let heads_match = parts
        .head
        .iter()
        .zip([partition, service, region, account])
        .all(|(p, a)| glob_match_ascii_ci(p, a));
    heads_match
        && rest
            .strip_prefix(&*parts.product)
            .is_some_and(|id| glob_match(parts.id, id))
}

/// A `Resource` entry split once, to be matched against many ARNs: [`resource_matches`]
/// without splitting the pattern again for each ARN.
#[derive(Debug)]
pub struct ResourceMatcher<'a> {
    /// All stars: matches every ARN.
    all: bool,
    /// `None` (and not `all`): a short ARN the rule rejects, which matches nothing.
    parts: Option<ResourceParts<'a>>,
}

impl<'a> ResourceMatcher<'a> {
    /// `pattern` with the identity-policy short-ARN rule ([`ShortArn::Expand`]).
    pub fn new(pattern: &'a str) -> Self {
        if is_all_stars(pattern) {
            return ResourceMatcher {
                all: true,
                parts: None,
            };
        }
        ResourceMatcher {
            all: false,
            parts: resource_parts(pattern, ShortArn::Expand),
        }
    }

    /// Whether the pattern matches the concrete `arn` (as [`resource_matches`]).
    pub fn matches(&self, arn: &str) -> bool {
        self.all || self.parts.as_ref().is_some_and(|p| parts_match(p, arn))
    }
}

/// Whether every ARN matched by `destination_pattern` is matched by the resource entry
/// `pattern` under the resource rule. Exact: e.g. `arn:aws:s3:::b/*` covers
/// `arn:aws:s3:::b/logs/*` but not `*`.
///
/// The destination is a pattern (`*`, `?`, `\` escapes; case-sensitive) read ARN-wise, like
/// iam-simulate's request patterns: if it has at least five colons, its wildcards in the first
/// five segments stay inside their segment (`arn:aws:ec2:*:*:instance/*` is any region, any
/// account) and those in the resource part match anything; with fewer colons it is a plain glob
/// (`*` is every string).
pub fn resource_covers(pattern: &str, destination_pattern: &str) -> bool {
    resource_covers_with(ShortArn::Expand, pattern, destination_pattern)
}

/// [`resource_covers`] with an explicit short-ARN rule.
pub fn resource_covers_with(rule: ShortArn, pattern: &str, destination_pattern: &str) -> bool {
    resource_question(rule, pattern, destination_pattern, Question::Covers)
}

/// Whether some ARN is matched both by the resource entry `pattern` (resource rule) and by
/// `destination_pattern` (read as in [`resource_covers`]). Exact.
pub fn resource_overlaps(pattern: &str, destination_pattern: &str) -> bool {
    resource_overlaps_with(ShortArn::Expand, pattern, destination_pattern)
}

/// [`resource_overlaps`] with an explicit short-ARN rule.
pub fn resource_overlaps_with(rule: ShortArn, pattern: &str, destination_pattern: &str) -> bool {
    resource_question(rule, pattern, destination_pattern, Question::Overlaps)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Question {
    Covers,
    Overlaps,
}

/// When the destination has five colons both languages are "five colon-free segments, then the
/// resource part", so the question factors segment by segment (every factor is non-empty);
/// otherwise the whole automata are compared.
fn resource_question(rule: ShortArn, pattern: &str, dest: &str, q: Question) -> bool {
    if is_all_stars(pattern) {
        // Matches everything, and every destination matches something.
        return true;
    }
    let Some(parts) = resource_parts(pattern, rule) else {
        return false;
    };
    let dest_toks = tokens(dest);
    if dest_toks.iter().all(|t| matches!(t, Tok::Lit(_))) {
        let text: String = dest_toks.iter().map(|t| t.as_char()).collect();
        return resource_matches_with(rule, pattern, &text);
    }
    let ask = |specific: &[Sym], general: &[Sym]| match q {
        Question::Covers => included(specific, general),
        Question::Overlaps => intersects(general, specific),
    };
    let dsegs: Vec<&str> = dest.splitn(6, ':').collect();
    match <[&str; 6]>::try_from(dsegs) {
        Ok([_, d1, d2, d3, d4, d5]) => {
            parts
                .head
                .iter()
                .zip([d1, d2, d3, d4])
                .all(|(p, d)| ask(&segment_syms(d, false), &segment_syms(p, true)))
                && ask(&glob_syms(d5), &rest_syms(&parts))
        }
        Err(_) => ask(&destination_syms(dest), &resource_syms_of(&parts)),
    }
}

/// `ArnLike` / `ArnEquals` (identical in iam-simulate, `condition/arn/arn.js`): both the
/// pattern and the ARN need at least four colons; the first segment is ignored; partition,
/// service, region and account are matched segment by segment, and the resource part (after the
/// fifth colon, empty if there is none) as a whole; all case-sensitive, `*`/`?` wildcards.
/// So `*` alone is not a valid ArnLike value and matches nothing (iam-simulate).
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    match (split_arn_condition(pattern), split_arn_condition(arn)) {
        (Some(p), Some(a)) => p
            .iter()
            .zip(a.iter())
            .skip(1)
            .all(|(p, a)| glob_match(p, a)),
        _ => false,
    }
}

/// Splits an ARN condition value: at least five `:`-separated parts; the resource part is
/// everything after the fifth colon (empty if absent).
/// (Without allocating, one byte scan: conditions on `aws:PrincipalArn` split every caller's
/// ARN and every pattern, for each caller.)
pub(crate) fn split_arn_condition(s: &str) -> Option<[&str; 6]> {
    let mut out = [""; 6];
    let mut rest = s;
    for (i, seg) in out.iter_mut().enumerate().take(5) {
        // (`:` is ASCII: the byte after it starts a character.)
        match rest.bytes().position(|b| b == b':') {
            Some(j) => {
                *seg = rest.get(..j)?;
                rest = rest.get(j + 1..)?;
            }
            // The last segment: five at least (the resource part then empty).
            None if i == 4 => {
                *seg = rest;
                return Some(out);
            }
            None => return None,
        }
    }
    out[5] = rest;
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Pattern set questions: automata over a finite representative alphabet.

/// A symbol of a generalised glob: literal (optionally ASCII case-insensitive), one character,
/// or any run; wildcards may be barred from matching `:` (inside ARN segments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sym {
    Lit { c: char, ci: bool },
    Any { colon: bool },
    Star { colon: bool },
}

impl Sym {
    fn accepts(self, ch: char) -> bool {
        match self {
            Sym::Lit { c, ci } => c == ch || (ci && c.eq_ignore_ascii_case(&ch)),
            Sym::Any { colon } | Sym::Star { colon } => colon || ch != ':',
        }
    }
}

fn glob_syms(p: &str) -> Vec<Sym> {
    tokens(p)
        .into_iter()
        .map(|t| match t {
            Tok::Lit(c) => Sym::Lit { c, ci: false },
            Tok::Star => Sym::Star { colon: true },
            Tok::Any => Sym::Any { colon: true },
        })
        .collect()
}

/// Symbols of one colon-free ARN head segment; literals ASCII case-insensitive for policy
/// patterns (`ci`), case-sensitive for destinations.
fn segment_syms(seg: &str, ci: bool) -> Vec<Sym> {
    tokens(seg)
        .into_iter()
        .map(|t| match t {
            Tok::Lit(c) => Sym::Lit { c, ci },
            Tok::Star => Sym::Star { colon: false },
            Tok::Any => Sym::Any { colon: false },
        })
        .collect()
}

/// A destination pattern (see [`resource_covers`]) as a generalised glob.
fn destination_syms(p: &str) -> Vec<Sym> {
    let segs: Vec<&str> = p.splitn(6, ':').collect();
    if segs.len() < 6 {
        return glob_syms(p);
    }
    let mut out = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if i == 5 {
            out.extend(glob_syms(seg));
        } else {
            out.extend(segment_syms(seg, false));
            out.push(Sym::Lit { c: ':', ci: false });
        }
    }
    out
}

/// Whether the concrete `text` is in the language of the destination pattern `p`.
#[cfg(test)]
pub(crate) fn destination_matches(p: &str, text: &str) -> bool {
    included(&glob_syms(&escape(text)), &destination_syms(p))
}

/// The resource part of a policy pattern: the literal resource type, then the id glob.
fn rest_syms(parts: &ResourceParts<'_>) -> Vec<Sym> {
    let mut out: Vec<Sym> = parts
        .product
        .chars()
        .map(|c| Sym::Lit { c, ci: false })
        .collect();
    out.extend(glob_syms(parts.id));
    out
}

/// The language of [`resource_matches_with`] as one generalised glob: any colon-free first
/// segment, the four head segments, then the resource part. (Head segments cannot contain a
/// literal ':' since they are split at ':'.)
fn resource_syms_of(parts: &ResourceParts<'_>) -> Vec<Sym> {
    let colon = Sym::Lit { c: ':', ci: false };
    let mut out = vec![Sym::Star { colon: false }, colon];
    for seg in parts.head {
        out.extend(segment_syms(seg, true));
        out.push(colon);
    }
    out.extend(rest_syms(parts));
    out
}

/// Characters that represent every equivalence class of characters for the given symbols.
fn alphabet(a: &[Sym], b: &[Sym]) -> Vec<char> {
    let mut set = BTreeSet::new();
    for s in a.iter().chain(b) {
        if let Sym::Lit { c, ci } = *s {
            set.insert(c);
            if ci {
                set.insert(c.to_ascii_lowercase());
                set.insert(c.to_ascii_uppercase());
            }
        }
    }
    set.insert(':');
    // One character that no literal mentions stands for all such characters.
    if let Some(fresh) = ('\u{E000}'..='\u{F8FF}').find(|c| !set.contains(c)) {
        set.insert(fresh);
    }
    set.into_iter().collect()
}

/// A set of pattern positions: inline for patterns of fewer than 128 symbols.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Bits {
    Small(u128),
    Big(Vec<u64>),
}

impl Bits {
    fn new(n: usize) -> Self {
        if n < 128 {
            Bits::Small(0)
        } else {
            Bits::Big(vec![0; n / 64 + 1])
        }
    }
    fn get(&self, i: usize) -> bool {
        match self {
            Bits::Small(x) => i < 128 && (x >> i) & 1 == 1,
            Bits::Big(v) => v.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1),
        }
    }
    fn set(&mut self, i: usize) {
        match self {
            Bits::Small(x) => {
                if i < 128 {
                    *x |= 1 << i;
                }
            }
            Bits::Big(v) => {
                if let Some(w) = v.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
            }
        }
    }
    fn subset_of(&self, other: &Bits) -> bool {
        match (self, other) {
            (Bits::Small(x), Bits::Small(y)) => x & !y == 0,
            (Bits::Big(x), Bits::Big(y)) => x.iter().zip(y).all(|(x, y)| x & !y == 0),
            _ => false,
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Bits::Small(x) => *x == 0,
            Bits::Big(v) => v.iter().all(|w| *w == 0),
        }
    }
    /// The positions in the set, ascending.
    fn ones(&self) -> Vec<usize> {
        let mut out = Vec::new();
        match self {
            Bits::Small(x) => {
                let mut x = *x;
                while x != 0 {
                    out.push(x.trailing_zeros() as usize);
                    x &= x - 1;
                }
            }
            Bits::Big(v) => {
                for (k, w) in v.iter().enumerate() {
                    let mut w = *w;
                    while w != 0 {
                        out.push(k * 64 + w.trailing_zeros() as usize);
                        w &= w - 1;
                    }
                }
            }
        }
        out
    }
}

/// Adds the positions reachable through stars (which may match nothing).
fn close(syms: &[Sym], set: &mut Bits) {
    for (i, s) in syms.iter().enumerate() {
        if matches!(s, Sym::Star { .. }) && set.get(i) {
            set.set(i + 1);
        }
    }
}

/// Positions after reading `ch` from the positions in `set` (closed).
fn step(syms: &[Sym], set: &Bits, ch: char) -> Bits {
    let mut out = Bits::new(syms.len());
    for i in set.ones() {
        match syms.get(i) {
            Some(s @ Sym::Star { .. }) if s.accepts(ch) => out.set(i),
            Some(s) if s.accepts(ch) => out.set(i + 1),
            _ => {}
        }
    }
    close(syms, &mut out);
    out
}

fn start(syms: &[Sym]) -> Bits {
    let mut s = Bits::new(syms.len());
    s.set(0);
    close(syms, &mut s);
    s
}

/// Number of leading / trailing literal symbols.
fn lit_run(syms: &[Sym], from_end: bool) -> usize {
    let is_lit = |s: &&Sym| matches!(s, Sym::Lit { .. });
    if from_end {
        syms.iter().rev().take_while(is_lit).count()
    } else {
        syms.iter().take_while(is_lit).count()
    }
}

/// Some character is accepted by both literals.
fn lits_meet(a: Sym, b: Sym) -> bool {
    match (a, b) {
        (Sym::Lit { c: x, ci: xi }, Sym::Lit { c: y, ci: yi }) => {
            x == y || ((xi || yi) && x.eq_ignore_ascii_case(&y))
        }
        _ => true,
    }
}

/// Every character the literal `s` accepts is accepted by the literal `g`.
fn lit_within(g: Sym, s: Sym) -> bool {
    match (g, s) {
        (Sym::Lit { c: gc, ci: gi }, Sym::Lit { c: sc, ci: si }) => {
            if si && sc.is_ascii_alphabetic() {
                gi && gc.eq_ignore_ascii_case(&sc)
            } else {
                g.accepts(sc)
            }
        }
        _ => true,
    }
}

/// A cheap proof that L(specific) ⊄ L(general), from the literal prefixes and suffixes: every
/// word of `general` carries its literal prefix and suffix, while a wildcard of `specific` next
/// to its own literal run can produce a character that no literal accepts.
fn quickly_not_included(specific: &[Sym], general: &[Sym]) -> bool {
    let spec_literal = lit_run(specific, false) == specific.len();
    for from_end in [false, true] {
        let (sn, gn) = (lit_run(specific, from_end), lit_run(general, from_end));
        let pick = |syms: &[Sym], i: usize| {
            if from_end {
                syms.len()
                    .checked_sub(i + 1)
                    .and_then(|k| syms.get(k))
                    .copied()
            } else {
                syms.get(i).copied()
            }
        };
        for i in 0..sn.min(gn) {
            if let (Some(g), Some(s)) = (pick(general, i), pick(specific, i)) {
                if !lit_within(g, s) {
                    return true;
                }
            }
        }
        if sn < gn && !spec_literal {
            return true;
        }
    }
    false
}

/// A cheap proof that L(a) ∩ L(b) = ∅: incompatible literal prefixes or suffixes.
fn quickly_disjoint(a: &[Sym], b: &[Sym]) -> bool {
    for from_end in [false, true] {
        let n = lit_run(a, from_end).min(lit_run(b, from_end));
        let clash = (0..n).any(|i| {
            let (x, y) = if from_end {
                (a.get(a.len() - 1 - i), b.get(b.len() - 1 - i))
            } else {
                (a.get(i), b.get(i))
            };
            matches!((x, y), (Some(x), Some(y)) if !lits_meet(*x, *y))
        });
        if clash {
            return true;
        }
    }
    false
}

/// Position-wise containment of two same-shaped patterns (a sufficient condition for
/// inclusion): each symbol of `general` accepts whatever the one of `specific` does.
fn dominates(general: &[Sym], specific: &[Sym]) -> bool {
    general.len() == specific.len()
        && general.iter().zip(specific).all(|(g, s)| match (*g, *s) {
            (Sym::Lit { .. }, Sym::Lit { .. }) => lit_within(*g, *s),
            (Sym::Any { colon: gc }, Sym::Lit { c, .. }) => gc || c != ':',
            (Sym::Any { colon: gc }, Sym::Any { colon: sc })
            | (Sym::Star { colon: gc }, Sym::Star { colon: sc }) => gc || !sc,
            _ => false,
        })
}

/// Membership of the word spelled by case-sensitive literals.
fn accepts_literal(syms: &[Sym], word: &[Sym]) -> Option<bool> {
    let mut set = start(syms);
    for w in word {
        match w {
            Sym::Lit { c, ci: false } => set = step(syms, &set, *c),
            _ => return None,
        }
    }
    Some(set.get(syms.len()))
}

/// L(specific) ⊆ L(general): searches the product of `specific`'s NFA with the subset
/// automaton of `general` for a word `specific` accepts and `general` does not, pruning states
/// subsumed by a visited one (same `specific` position, smaller `general` set: any
/// counterexample from the larger set is one from the smaller). Exact; exponential only for
/// contrived patterns (many `?` after a `*`).
fn included(specific: &[Sym], general: &[Sym]) -> bool {
    if !general.is_empty()
        && general
            .iter()
            .all(|s| matches!(s, Sym::Star { colon: true }))
    {
        return true;
    }
    if dominates(general, specific) {
        return true;
    }
    if quickly_not_included(specific, general) {
        return false;
    }
    if let Some(member) = accepts_literal(general, specific) {
        return member;
    }
    let sigma = alphabet(specific, general);
    // Per `specific` position, the `general` sets already visited (an antichain).
    let mut seen: Vec<Vec<Bits>> = vec![Vec::new(); specific.len() + 1];
    let mut queue = VecDeque::new();
    let mut visit = |p: usize, g: &Bits, queue: &mut VecDeque<(usize, Bits)>| {
        let Some(list) = seen.get_mut(p) else { return };
        if list.iter().any(|old| old.subset_of(g)) {
            return;
        }
        list.retain(|old| !g.subset_of(old));
        list.push(g.clone());
        queue.push_back((p, g.clone()));
    };
    let g0 = start(general);
    for p in start(specific).ones() {
        visit(p, &g0, &mut queue);
    }
    while let Some((p, g)) = queue.pop_front() {
        if p == specific.len() {
            if !g.get(general.len()) {
                return false;
            }
            continue;
        }
        let Some(sym) = specific.get(p).copied() else {
            continue;
        };
        let chars: Vec<char> = match sym {
            Sym::Lit { c, ci: false } => vec![c],
            _ => sigma
                .iter()
                .copied()
                .filter(|ch| sym.accepts(*ch))
                .collect(),
        };
        let mut next = Bits::new(specific.len());
        match sym {
            Sym::Star { .. } => next.set(p),
            _ => next.set(p + 1),
        }
        close(specific, &mut next);
        let next = next.ones();
        for ch in chars {
            let g2 = step(general, &g, ch);
            if g2.is_empty() {
                // Every position of a glob can still reach its end, so `specific` accepts some
                // word with this prefix and `general` none.
                return false;
            }
            for &q in &next {
                visit(q, &g2, &mut queue);
            }
        }
    }
    true
}

/// Whether some character is accepted by both symbols.
fn syms_meet(a: Sym, b: Sym) -> bool {
    match (a, b) {
        (Sym::Lit { .. }, Sym::Lit { .. }) => lits_meet(a, b),
        // Wildcards only ever refuse ':', whatever the case.
        (Sym::Lit { c, .. }, w) | (w, Sym::Lit { c, .. }) => w.accepts(c),
        // Two wildcards share any character that is not ':'.
        _ => true,
    }
}

/// L(a) ∩ L(b) ≠ ∅: reachability over position pairs; a step consumes one character both
/// symbols accept. O(|a|·|b|).
fn intersects(a: &[Sym], b: &[Sym]) -> bool {
    if quickly_disjoint(a, b) {
        return false;
    }
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        match seen.get_mut(i * width + j) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        if i == a.len() && j == b.len() {
            return true;
        }
        let (sa, sb) = (a.get(i).copied(), b.get(j).copied());
        if let Some(Sym::Star { .. }) = sa {
            stack.push((i + 1, j));
        }
        if let Some(Sym::Star { .. }) = sb {
            stack.push((i, j + 1));
        }
        if let (Some(x), Some(y)) = (sa, sb) {
            if syms_meet(x, y) {
                let ni = if matches!(x, Sym::Star { .. }) {
                    i
                } else {
                    i + 1
                };
                let nj = if matches!(y, Sym::Star { .. }) {
                    j
                } else {
                    j + 1
                };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

/// Whether every string matched by glob `specific` is matched by glob `general` (both in
/// pattern syntax, case-sensitive; `specific`'s `*`/`?` are wildcards). Sound and exact.
pub fn glob_covers(general: &str, specific: &str) -> bool {
    included(&glob_syms(specific), &glob_syms(general))
}

/// Whether some string matches both globs. Symmetric, exact.
pub fn glob_overlaps(a: &str, b: &str) -> bool {
    intersects(&glob_syms(a), &glob_syms(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
