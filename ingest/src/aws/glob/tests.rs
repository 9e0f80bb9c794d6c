use super::*;

#[test]
fn actions_are_case_insensitive_with_wildcards_anywhere() {
    assert!(action_matches("iam:ListAccessKeys", "IAM:listaccesskeys"));
    assert!(action_matches("S3:getobj*", "s3:GetObject"));
    assert!(action_matches("iam:*AccessKey*", "iam:CreateAccessKey"));
    assert!(action_matches("s3:Get?bject", "s3:GetObject"));
    assert!(action_matches("*", "s3:GetObject"));
    assert!(action_matches("**", "kms:Decrypt"));
    assert!(action_matches("s3:*", "s3:ListBucket"));
    assert!(!action_matches("s3:*", "s3control:ListJobs"));
    assert!(!action_matches("s3:Get*", "s3:PutObject"));
    // No wildcards in the service prefix; empty or blank names match nothing.
    assert!(!action_matches("s3*:GetObject", "s3:GetObject"));
    assert!(!action_matches("s3:", "s3:GetObject"));
    assert!(!action_matches("s3:Get Object", "s3:Get Object"));
    assert!(!action_matches("s3", "s3:GetObject"));
    assert!(!action_matches("s3:GetObject", "s3"));
}

#[test]
fn glob_basics() {
    assert!(glob_match("", ""));
    assert!(!glob_match("", "a"));
    assert!(glob_match("*", ""));
    assert!(glob_match("a?c", "abc"));
    assert!(!glob_match("a?c", "ac"));
    assert!(glob_match("a*", "a/b:c"));
    assert!(glob_match("*é?", "xxéü"));
    assert!(!glob_match("B1/*", "b1/k"));
    assert!(glob_match(
        "bucket/*/test/*",
        "bucket/1/2/test/3/object.jpg"
    ));
    assert!(glob_match("bucket/*/test/*", "bucket//test/object.jpg"));
    assert!(!glob_match("bucket/*/test/*", "bucket/test/object.jpg"));
}

#[test]
fn glob_escapes() {
    assert!(glob_match("a\\*b", "a*b"));
    assert!(!glob_match("a\\*b", "axb"));
    assert!(glob_match("a\\?", "a?"));
    assert!(!glob_match("a\\?", "ax"));
    assert!(glob_match("a\\\\b", "a\\b"));
    assert!(glob_match("a\\", "a\\"));
    assert_eq!(escape("a*b?c\\"), "a\\*b\\?c\\\\");
    assert!(glob_match(&escape("x*?\\y"), "x*?\\y"));
    assert_eq!(render(&tokens("a\\*?*\\\\")), "a\\*?*\\\\");
    assert_eq!(literal_text("a\\*?*"), "a*?*");
}

#[test]
fn glob_is_not_exponential() {
    let text = "a".repeat(10_000);
    let pattern = "a*a*a*a*a*a*a*a*a*a*a*a*b";
    let t = std::time::Instant::now();
    assert!(!glob_match(pattern, &text));
    assert!(glob_match("*a*a*a*a*a*a*a*a*a*a", &text));
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn resources_whole_arn_rule() {
    assert!(resource_matches("*", "arn:aws:s3:::b1"));
    assert!(resource_matches("**", "anything"));
    assert!(resource_matches(
        "arn:aws:s3:::b1/*",
        "arn:aws:s3:::b1/a/b.txt"
    ));
    // Case-sensitive resource part, case-insensitive head segments (iam-simulate).
    assert!(!resource_matches("arn:aws:s3:::B1/*", "arn:aws:s3:::b1/k"));
    assert!(resource_matches("arn:AWS:S3:::b1", "arn:aws:s3:::b1"));
    assert!(resource_matches("arn:aws:s3:::b?/*", "arn:aws:s3:::b1/x"));
    assert!(resource_matches(
        "arn:aws:s3:::bucket/*/test/*",
        "arn:aws:s3:::bucket//test/object.jpg"
    ));
    // Head wildcards stay inside their segment.
    assert!(resource_matches(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
    ));
    assert!(resource_matches(
        "arn:aws:ec2:us-*-1:*:instance/*",
        "arn:aws:ec2:us-east-1:1:instance/i-1"
    ));
    assert!(!resource_matches(
        "arn:aws:ec2:*:instance/*",
        "arn:aws:ec2:us-east-1:1:instance/i-1"
    ));
    // The resource id crosses ':' and '/'.
    assert!(resource_matches(
        "arn:aws:lambda:*:*:function:*",
        "arn:aws:lambda:us-east-1:1:function:f:prod"
    ));
    // The first segment is not compared (iam-simulate).
    assert!(resource_matches("foo:aws:s3:::b1", "arn:aws:s3:::b1"));
    // Wildcards in the resource type are literal.
    assert!(!resource_matches(
        "arn:aws:iam::1:us*r/x",
        "arn:aws:iam::1:user/x"
    ));
    assert!(resource_matches(
        "arn:aws:iam::1:*",
        "arn:aws:iam::1:user/x"
    ));
    assert!(resource_matches(
        "arn:aws:iam::1:user*",
        "arn:aws:iam::1:user/x"
    ));
    assert!(!resource_matches(
        "arn:aws:iam::1:user/*",
        "arn:aws:iam::1:role/x"
    ));
    // S3 bucket/object ARNs have no resource type: `*` may stand for the bucket.
    assert!(resource_matches(
        "arn:aws:s3:::*/logs/*",
        "arn:aws:s3:::b/logs/x"
    ));
    // Not an ARN.
    assert!(!resource_matches("arn:aws:s3:::*", "b1"));
}

#[test]
fn short_arns() {
    let arn = "arn:aws:s3:::b1";
    assert!(resource_matches("arn:aws:s3", arn));
    assert!(resource_matches("arn:aws:s3:", arn));
    assert!(!resource_matches("arn:aws:ec2", arn));
    assert!(resource_matches_with(ShortArn::Expand, "arn:aws:s3", arn));
    assert!(!resource_matches_with(
        ShortArn::ExpandIfWildcard,
        "arn:aws:s3",
        arn
    ));
    assert!(resource_matches_with(
        ShortArn::ExpandIfWildcard,
        "arn:aws:s*",
        arn
    ));
    assert!(resource_matches_with(
        ShortArn::ExpandIfTrailingWildcard,
        "arn:aws:s3*",
        arn
    ));
    assert!(!resource_matches_with(
        ShortArn::ExpandIfTrailingWildcard,
        "arn:*:s3",
        arn
    ));
    assert!(!resource_matches_with(
        ShortArn::NoMatch,
        "arn:aws:s3*",
        arn
    ));
    assert!(resource_matches_with(ShortArn::NoMatch, "*", arn));
}

#[test]
fn arn_like_segments() {
    let arn = "arn:aws:iam::111122223333:role/admin";
    assert!(arn_like("arn:aws:iam::111122223333:role/*", arn));
    assert!(arn_like("arn:aws:iam::*:role/adm?n", arn));
    assert!(arn_like("arn:*:*:*:*:*", arn));
    assert!(!arn_like("arn:aws:iam::*:Role/*", arn));
    // `*` does not cross segments: this pattern has the resource in the account position.
    assert!(!arn_like("arn:aws:iam::*", arn));
    assert!(!arn_like("*", arn));
    assert!(!arn_like("arn:aws:iam::*:*", "not-an-arn"));
    // Four colons suffice; the resource part is then empty.
    assert!(arn_like("arn:aws:s3::*", "arn:aws:s3::"));
    assert!(arn_like("arn:aws:sqs:*:*:q", "arn:aws:sqs:us-east-1:1:q"));
    assert!(arn_like(
        "arn:aws:logs:*:*:log-group:*",
        "arn:aws:logs:us-east-1:1:log-group:a:log-stream:b"
    ));
}

#[test]
fn glob_covers_and_overlaps_examples() {
    assert!(glob_covers("*", "anything*"));
    assert!(glob_covers("*", ""));
    assert!(glob_covers("a*", "ab*"));
    assert!(!glob_covers("ab*", "a*"));
    assert!(glob_covers("a*c", "a?c"));
    assert!(!glob_covers("a?c", "a*c"));
    assert!(glob_covers("*/test/*", "bucket/*/test/*"));
    assert!(!glob_covers("A*", "a*"));
    assert!(glob_covers("a\\*", "a\\*"));
    assert!(!glob_covers("a\\*", "a*"));
    assert!(glob_covers("a*", "a\\*"));
    assert!(glob_overlaps("a*", "*b"));
    assert!(!glob_overlaps("a*", "b*"));
    assert!(glob_overlaps("a?c", "*c"));
    assert!(!glob_overlaps("a?", "a"));
    assert!(!glob_overlaps("A*", "a*"));
    assert!(glob_overlaps("*", ""));
}

#[test]
fn resource_covers_and_overlaps_examples() {
    assert!(resource_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/logs/*"));
    assert!(!resource_covers("arn:aws:s3:::b/*", "*"));
    assert!(resource_overlaps("arn:aws:s3:::b/*", "*"));
    assert!(resource_covers("*", "*"));
    assert!(resource_covers("*", "arn:aws:s3:::b/*"));
    assert!(!resource_covers(
        "arn:aws:s3:::b/logs/*",
        "arn:aws:s3:::b/*"
    ));
    assert!(resource_overlaps(
        "arn:aws:s3:::b/logs/*",
        "arn:aws:s3:::b/*"
    ));
    assert!(!resource_overlaps(
        "arn:aws:s3:::b/logs/*",
        "arn:aws:s3:::c/*"
    ));
    // Head segments are case-insensitive, the resource part is not.
    assert!(resource_covers("arn:AWS:s3:::b/*", "arn:aws:s3:::b/*"));
    assert!(!resource_covers("arn:aws:s3:::B/*", "arn:aws:s3:::b/*"));
    assert!(resource_overlaps(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:*"
    ));
    assert!(resource_covers(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:us-east-1:1:instance/*"
    ));
    assert!(resource_covers(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:us-*-1:1:instance/i-*"
    ));
    assert!(resource_covers(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:us-?:1:instance/i-*"
    ));
    assert!(resource_covers("arn:aws:ec2:*:*:*", "arn:aws:ec2:*:*:*"));
    // With fewer than five colons the destination is a plain glob and `*` may hold colons.
    assert!(!resource_covers(
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:*"
    ));
    // The resource type is literal.
    assert!(!resource_overlaps(
        "arn:aws:iam::1:us*r/x",
        "arn:aws:iam::1:user/*"
    ));
    assert!(resource_covers(
        "arn:aws:iam::1:us*r/*",
        "arn:aws:iam::1:us\\*r/x"
    ));
    // Short ARN rules.
    assert!(resource_covers("arn:aws:s3", "arn:aws:s3:::b/*"));
    assert!(!resource_covers_with(
        ShortArn::NoMatch,
        "arn:aws:s3",
        "arn:aws:s3:::b/*"
    ));
    assert!(!resource_overlaps_with(
        ShortArn::ExpandIfWildcard,
        "arn:aws:s3",
        "*"
    ));
}

// ---------------------------------------------------------------------------------------------
// Property tests with a small deterministic generator.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn pattern(&mut self, atoms: &[&str], max: u64) -> String {
        let n = self.next() % (max + 1);
        (0..n).map(|_| self.pick(atoms)).collect()
    }
}

/// Every string over `alphabet` of length at most `max`.
fn all_strings(alphabet: &[char], max: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut layer = vec![String::new()];
    for _ in 0..max {
        let mut next = Vec::new();
        for s in &layer {
            for c in alphabet {
                let mut t = s.clone();
                t.push(*c);
                next.push(t);
            }
        }
        out.extend(next.iter().cloned());
        layer = next;
    }
    out
}

#[test]
fn glob_set_questions_agree_with_brute_force() {
    let strings = all_strings(&['a', 'b', '/', 'z'], 6);
    let atoms = ["a", "b", "/", "*", "?", "*"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..300 {
        let a = rng.pattern(&atoms, 4);
        let b = rng.pattern(&atoms, 4);
        let in_a: Vec<bool> = strings.iter().map(|s| glob_match(&a, s)).collect();
        let in_b: Vec<bool> = strings.iter().map(|s| glob_match(&b, s)).collect();
        let subset = in_b.iter().zip(&in_a).all(|(b, a)| !b || *a);
        let common = in_b.iter().zip(&in_a).any(|(b, a)| *b && *a);
        assert_eq!(glob_covers(&a, &b), subset, "covers({a:?}, {b:?})");
        assert_eq!(glob_overlaps(&a, &b), common, "overlaps({a:?}, {b:?})");
        assert_eq!(
            glob_overlaps(&a, &b),
            glob_overlaps(&b, &a),
            "symmetry {a:?} {b:?}"
        );
        assert!(glob_covers("*", &b));
        assert!(glob_covers(&a, &a));
    }
}

#[test]
fn resource_set_questions_agree_with_resource_matches() {
    let heads = ["aws", "a*", "*", "?ws", "AWS", ""];
    let rests = ["b/*", "b/x", "*", "user/*", "us*r/x", "x:*", "b/?", "*/x"];
    let arns: Vec<String> = {
        let mut v = Vec::new();
        for p in ["aws", "AWS", "az"] {
            for svc in ["s3", "iam"] {
                for acct in ["", "1"] {
                    for rest in ["b/x", "b/y/z", "user/x", "us*r/x", "x:y", "b", "*"] {
                        v.push(format!("arn:{p}:{svc}::{acct}:{rest}"));
                    }
                }
            }
        }
        v.push("arn:aws:s3:x".into());
        v.push("*".into());
        v
    };
    let mut rng = Rng(42);
    for _ in 0..120 {
        let pattern = format!(
            "arn:{}:{}::{}:{}",
            rng.pick(&heads),
            rng.pick(&["s3", "*", "iam", "s?"]),
            rng.pick(&["", "1", "*"]),
            rng.pick(&rests)
        );
        let dest = format!(
            "arn:{}:{}::{}:{}",
            rng.pick(&["aws", "*", "AWS"]),
            rng.pick(&["s3", "*", "iam"]),
            rng.pick(&["", "1", "*"]),
            rng.pick(&rests)
        );
        let (covers, overlaps) = (
            resource_covers(&pattern, &dest),
            resource_overlaps(&pattern, &dest),
        );
        for arn in &arns {
            // A literal destination: covers and overlaps both reduce to matching.
            let m = resource_matches(&pattern, arn);
            assert_eq!(
                resource_covers(&pattern, &escape(arn)),
                m,
                "{pattern} vs {arn}"
            );
            assert_eq!(
                resource_overlaps(&pattern, &escape(arn)),
                m,
                "{pattern} vs {arn}"
            );
            // Soundness on samples.
            let in_dest = destination_matches(&dest, arn);
            assert!(
                !(covers && in_dest) || m,
                "{pattern} covers {dest} but not {arn}"
            );
            assert!(
                !(m && in_dest) || overlaps,
                "{pattern} and {dest} share {arn}"
            );
        }
    }
}

/// Membership by direct NFA simulation (independent of `included` / `intersects`).
fn member(syms: &[Sym], word: &str) -> bool {
    let mut set = start(syms);
    for c in word.chars() {
        set = step(syms, &set, c);
    }
    set.get(syms.len())
}

#[test]
fn generalised_automata_agree_with_brute_force() {
    let atoms = [
        Sym::Lit { c: 'a', ci: false },
        Sym::Lit { c: 'A', ci: false },
        Sym::Lit { c: 'a', ci: true },
        Sym::Lit { c: ':', ci: false },
        Sym::Any { colon: true },
        Sym::Any { colon: false },
        Sym::Star { colon: true },
        Sym::Star { colon: false },
    ];
    let words = all_strings(&['a', 'A', ':', 'z'], 5);
    let mut rng = Rng(7);
    let make = |rng: &mut Rng| -> Vec<Sym> {
        let n = rng.next() % 5;
        (0..n)
            .map(|_| atoms[(rng.next() % atoms.len() as u64) as usize])
            .collect()
    };
    for _ in 0..400 {
        let (g, s) = (make(&mut rng), make(&mut rng));
        let in_g: Vec<bool> = words.iter().map(|w| member(&g, w)).collect();
        let in_s: Vec<bool> = words.iter().map(|w| member(&s, w)).collect();
        let subset = in_s.iter().zip(&in_g).all(|(s, g)| !s || *g);
        let common = in_s.iter().zip(&in_g).any(|(s, g)| *s && *g);
        assert_eq!(included(&s, &g), subset, "included({s:?}, {g:?})");
        assert_eq!(intersects(&g, &s), common, "intersects({g:?}, {s:?})");
    }
}

#[test]
fn factored_resource_questions_agree_with_whole_automata() {
    let heads = ["aws", "a*", "*", "?ws", "AWS", "", "a?"];
    let rests = [
        "b/*", "b/x", "*", "user/*", "us*r/x", "x:*", "b/?", "*/x", "?", "*:*",
    ];
    let mut rng = Rng(1234);
    for _ in 0..400 {
        let pattern = format!(
            "arn:{}:{}:{}:{}:{}",
            rng.pick(&heads),
            rng.pick(&["s3", "*", "iam", "s?"]),
            rng.pick(&["", "*", "us-*"]),
            rng.pick(&["", "1", "*"]),
            rng.pick(&rests)
        );
        let dest = format!(
            "arn:{}:{}:{}:{}:{}",
            rng.pick(&heads),
            rng.pick(&["s3", "*", "iam", "s?"]),
            rng.pick(&["", "*", "us-east-1"]),
            rng.pick(&["", "1", "*", "?"]),
            rng.pick(&rests)
        );
        let parts = resource_parts(&pattern, ShortArn::Expand).unwrap();
        let whole_general = resource_syms_of(&parts);
        let whole_dest = destination_syms(&dest);
        assert_eq!(
            resource_covers(&pattern, &dest),
            included(&whole_dest, &whole_general),
            "covers {pattern} {dest}"
        );
        assert_eq!(
            resource_overlaps(&pattern, &dest),
            intersects(&whole_general, &whole_dest),
            "overlaps {pattern} {dest}"
        );
    }
}

#[test]
fn a_resource_matcher_matches_as_resource_matches() {
    let patterns = [
        "*",
        "**",
        "arn:aws:s3:::b1/*",
        "arn:aws:s3:::B1/*",
        "arn:AWS:S3:::b1",
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:iam::111122223333:role/app-*",
        "arn:aws:iam::*:role/?pp-1",
        "s3:::b1",
        "b1/*",
        "arn:aws:sqs:us-east-1:111122223333:orders",
    ];
    let arns = [
        "arn:aws:s3:::b1",
        "arn:aws:s3:::b1/k",
        "arn:aws:s3:::B1/k",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
        "arn:aws:EC2:us-east-1:111122223333:instance/i-1",
        "arn:aws:iam::111122223333:role/app-1",
        "arn:aws:iam::111122223333:role/other",
        "arn:aws:sqs:us-east-1:111122223333:orders",
        "not-an-arn",
    ];
    let mut matched = 0;
    for p in patterns {
        let m = ResourceMatcher::new(p);
        for a in arns {
            assert_eq!(m.matches(a), resource_matches(p, a), "{p} against {a}");
            matched += usize::from(m.matches(a));
        }
    }
    assert!(matched > 10, "{matched}");
}

/// Every string of length up to `max` over `alphabet`.
fn strings_over(alphabet: &[char], max: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..max {
        let next: Vec<String> = last
            .iter()
            .flat_map(|s| {
                alphabet.iter().map(move |c| {
                    let mut t = s.clone();
                    t.push(*c);
                    t
                })
            })
            .collect();
        all.extend(next.iter().cloned());
        last = next;
    }
    all
}

/// Compares `matcher(pattern, text, escapes, ci)` with the character-wise matcher for every
/// pattern and text given, escapes on and off, case-sensitive and not; returns how many pairs
/// were checked and how many matched.
fn agrees_with_glob_chars(
    patterns: &[String],
    texts: &[String],
    matcher: &dyn Fn(&str, &str, bool, bool) -> bool,
) -> (usize, usize) {
    let mut checked = 0usize;
    let mut matched = 0usize;
    for p in patterns {
        for t in texts {
            for escapes in [true, false] {
                for (ci, eq) in [
                    (false, eq_exact as fn(char, char) -> bool),
                    (true, eq_ascii_ci),
                ] {
                    let want = glob_chars(p, t, escapes, eq);
                    assert_eq!(
                        matcher(p, t, escapes, ci),
                        want,
                        "pattern {p:?} text {t:?} escapes {escapes} ci {ci}"
                    );
                    checked += 1;
                    matched += usize::from(want);
                }
            }
        }
    }
    (checked, matched)
}

/// `glob_core` (its first-byte refusal, then the byte-wise or character-wise matcher) answers as
/// the character-wise matcher alone, for patterns and texts over literals of both cases,
/// wildcards, `\\` and a non-ASCII character, the empty text included.
#[test]
fn glob_core_answers_as_glob_chars() {
    let patterns = strings_over(&['a', 'B', '*', '?', '\\', 'é'], 3);
    let texts = strings_over(&['a', 'A', 'b', '*', '\\', 'é'], 4);
    let (checked, matched) = agrees_with_glob_chars(&patterns, &texts, &glob_core);
    // Many pairs are refused on their first bytes: a pattern opening with a literal, a text
    // opening otherwise.
    let refused = patterns
        .iter()
        .filter(|p| p.starts_with(['a', 'B']))
        .map(|p| {
            let first = p[..1].to_ascii_lowercase();
            texts
                .iter()
                .filter(|t| !t.to_ascii_lowercase().starts_with(&first))
                .count()
        })
        .sum::<usize>();
    assert!(
        checked > 1_000_000 && matched > 10_000 && refused > 25_000,
        "{checked} {matched} {refused}"
    );
}

/// The byte-wise matcher (ASCII pattern and text) answers as the character-wise one, for every
/// pattern of up to four tokens over literals of both cases, `*`, `?` and `\`, against every
/// text of up to five characters (escapes on and off, case-sensitive and not); and a pattern or
/// text with a non-ASCII character still matches character by character.
#[test]
fn glob_bytes_answer_as_glob_chars() {
    let patterns = strings_over(&['a', 'B', '*', '?', '\\'], 4);
    let texts = strings_over(&['a', 'A', 'b', '*', '\\'], 5);
    let (checked, matched) = agrees_with_glob_chars(&patterns, &texts, &|p, t, escapes, ci| {
        glob_bytes(p.as_bytes(), t.as_bytes(), escapes, ci)
    });
    assert!(
        checked > 10_000_000 && matched > 50_000,
        "{checked} {matched}"
    );
    // Outside ASCII: one character is several bytes, `?` takes it whole.
    assert!(glob_match("caf?", "café"));
    assert!(glob_match("*é*", "arn:é"));
    assert!(!glob_match("caf??", "café"));
    assert!(glob_match_ascii_ci("CAF?", "café"));
}

#[test]
fn arn_condition_split_is_splitn_six_with_an_empty_resource_part_when_there_are_five() {
    // The reference: `splitn(6, ':')`, at least five parts, the sixth empty when absent.
    fn reference(s: &str) -> Option<[&str; 6]> {
        let mut segs: Vec<&str> = s.splitn(6, ':').collect();
        if segs.len() < 5 {
            return None;
        }
        if segs.len() == 5 {
            segs.push("");
        }
        <[&str; 6]>::try_from(segs).ok()
    }
    let cases = [
        "",
        ":",
        "::::",
        ":::::",
        "arn:aws:iam::123456789012",
        "arn:aws:iam::123456789012:",
        "arn:aws:iam::123456789012:role/a",
        "arn:aws:iam::123456789012:role/a:b:c",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam:",
        "arn",
        "é:ü::ß:☃:x:y",
        "arn:aws:sts::1:assumed-role/r/s",
    ];
    for s in cases {
        assert_eq!(split_arn_condition(s), reference(s), "{s:?}");
    }
    // Every string of up to 7 characters over `a`, `:`, `é`.
    let alphabet = ['a', ':', 'é'];
    let mut strings = vec![String::new()];
    for _ in 0..7 {
        let longer: Vec<String> = strings
            .iter()
            .filter(|s| s.chars().count() == strings.last().map_or(0, |l| l.chars().count()))
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        strings.extend(longer);
    }
    assert!(strings.len() > 3000);
    for s in &strings {
        assert_eq!(split_arn_condition(s), reference(s), "{s:?}");
    }
}

#[test]
fn an_escaped_wildcard_in_the_resource_type_is_that_character() {
    // The resource type prefix is literal text: borrowed as written without a backslash,
    // unescaped with one.
    let pattern = "arn:aws:ec2:us-east-1:123456789012:inst\\*ance/i-1";
    assert!(resource_matches(
        pattern,
        "arn:aws:ec2:us-east-1:123456789012:inst*ance/i-1"
    ));
    assert!(!resource_matches(
        pattern,
        "arn:aws:ec2:us-east-1:123456789012:instXance/i-1"
    ));
    let plain = "arn:aws:ec2:us-east-1:123456789012:instance/i-*";
    assert!(resource_matches(
        plain,
        "arn:aws:ec2:us-east-1:123456789012:instance/i-9"
    ));
    assert!(!resource_matches(
        plain,
        "arn:aws:ec2:us-east-1:123456789012:volume/i-9"
    ));
}

#[test]
fn colons_split_as_splitn_does() {
    for s in [
        "",
        ":",
        "arn",
        "arn:aws",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::123456789012:role/a:b:c",
        "arn:aws:sqs:us-east-1:123456789012:queue",
        ":::::",
        "::::::",
        "é:ü:ß::x:y:z",
    ] {
        let mut segs = ["?"; 6];
        let found = split_colons(s, &mut segs);
        let want: Vec<&str> = s.splitn(6, ':').collect();
        assert_eq!(found, want.len(), "{s:?}");
        assert_eq!(segs.get(..found), Some(want.as_slice()), "{s:?}");
        assert!(segs.iter().skip(found).all(|x| *x == "?"), "{s:?}");
        assert_eq!(split_arn(s).is_some(), want.len() == 6, "{s:?}");
    }
}

#[test]
fn texts_every_match_contains() {
    let cases: [(&str, &[&str]); 9] = [
        (
            "arn:aws:ec2:*:111122223333:instance/*",
            &[":111122223333:", ":instance/"],
        ),
        ("arn:AWS:S3:::B1/*", &[":B1/"]),
        (
            "arn:aws:iam::111122223333:role/App-?",
            &[":111122223333:", ":role/App-"],
        ),
        ("arn:aws:s3:::b/${aws:username}/*", &[":b/"]),
        ("arn:aws:s3:::b/a\\*b", &[":b/a"]),
        ("arn:aws:sqs:*:ACCT:q", &[":q"]),
        ("arn:aws:EC2:us-East-1", &[]),
        ("*", &[]),
        ("arn:aws:ec2:*:1?:*", &[]),
    ];
    for (pattern, want) in cases {
        assert_eq!(required_texts(pattern), want.to_vec(), "{pattern}");
    }
}

/// Every ARN a pattern matches contains the pattern's required texts: testing them first
/// changes no match. Patterns and ARNs mix cases, wildcards in every segment, short ARNs,
/// escapes and variables.
#[test]
fn required_texts_reject_no_match() {
    let firsts = ["arn", "ARN", "x"];
    let partitions = ["aws", "AWS", ""];
    let services = ["s3", "S3", "ec2", "iam"];
    let regions = ["", "us-east-1", "US-east-1", "eu-west-1"];
    let accounts = ["", "1", "12", "111", "a1"];
    let rests = [
        "b1",
        "b1/k",
        "B1/k",
        "b1/k/l",
        "instance/i-1",
        "role/app-1",
        "role/App-1",
        "log:x:y",
        "b1/a*b",
    ];
    let wild = [
        "*",
        "?",
        "u*",
        "*1",
        "b?",
        "\\*",
        "${aws:username}",
        "a*b",
        "*/*",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut arns: Vec<String> = Vec::new();
    for _ in 0..400 {
        arns.push(
            [
                rng.pick(&firsts),
                rng.pick(&partitions),
                rng.pick(&services),
                rng.pick(&regions),
                rng.pick(&accounts),
                rng.pick(&rests),
            ]
            .join(":"),
        );
    }
    let (mut checked, mut rejected) = (0, 0);
    for i in 0..3000 {
        // A pattern from an ARN: some segments (or parts of them) made wild, sometimes cut short.
        let base = &arns[i % arns.len()];
        let mut segs: Vec<String> = base.split(':').map(str::to_string).collect();
        for seg in segs.iter_mut() {
            match rng.next() % 6 {
                0 => *seg = rng.pick(&wild).to_string(),
                1 => seg.push_str(rng.pick(&wild)),
                2 => *seg = seg.to_ascii_uppercase(),
                _ => {}
            }
        }
        if rng.next() % 5 == 0 {
            let keep = 1 + (rng.next() % 6) as usize;
            segs.truncate(keep);
        }
        let pattern = segs.join(":");
        let texts = required_texts(&pattern);
        for arn in &arns {
            let contains = texts.iter().all(|t| arn.contains(t.as_str()));
            if resource_matches(&pattern, arn) {
                assert!(
                    contains,
                    "{pattern} matches {arn}, without one of {texts:?}"
                );
                checked += usize::from(!texts.is_empty());
            } else if !contains {
                rejected += 1;
            }
        }
    }
    assert!(checked > 400, "only {checked} matches checked");
    assert!(
        rejected > 100_000,
        "only {rejected} ARNs rejected by the texts"
    );
}
