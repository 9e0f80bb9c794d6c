//! Snapshots (`iamlog ingest ORG --out FILE`, then `--snapshot FILE`): the round trip is exact
//! for every loadable fixture org and the demo, queries answer the same from a snapshot as from
//! the exports, and a corrupt, truncated or foreign file is a clear error (exit 2), never a panic.

// Test code may unwrap: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use iamlog_ingest::snapshot;
use iamlog_tests::{iamlog, path, scratch};

/// Every fixture org's `input/` that loads without error, and the demo.
fn loadable_orgs() -> Vec<PathBuf> {
    let mut orgs: Vec<PathBuf> = std::fs::read_dir(path("tests/fixtures/orgs"))
        .unwrap()
        .map(|e| e.unwrap().path().join("input"))
        .filter(|p| p.is_dir())
        .filter(|p| iamlog_ingest::load(std::slice::from_ref(p)).is_ok())
        .collect();
    orgs.sort();
    orgs.push(path("demo/input"));
    orgs
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes the snapshot of `org` to `dir/<name>.snap` with `iamlog ingest`.
fn ingest(org: &Path, dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(format!("{name}.snap"));
    let run = iamlog(&["ingest", s(org), "--out", s(&file)]);
    assert_eq!(run.code, 0, "ingest {}: {}", org.display(), run.stderr);
    assert!(
        run.stderr.contains("principals") && run.stderr.contains("bytes"),
        "no summary: {}",
        run.stderr
    );
    file
}

#[test]
fn round_trip_is_exact_for_every_loadable_org() {
    let dir = scratch("snapshot-round-trip");
    let orgs = loadable_orgs();
    assert!(orgs.len() > 5, "too few fixture orgs: {orgs:?}");
    // Resources are a body of their own: some org must have them for the round trip to show it.
    let mut with_resources = 0;
    for (i, org) in orgs.iter().enumerate() {
        let loaded = iamlog_ingest::load(std::slice::from_ref(org)).unwrap();
        with_resources += usize::from(!loaded.aws.resources.is_empty());
        let file = dir.join(format!("{i}.snap"));
        snapshot::write(&loaded, &file).unwrap();
        let back = snapshot::read(&file).unwrap();
        assert_eq!(
            format!("{loaded:?}"),
            format!("{back:?}"),
            "{}: the snapshot does not read back as written",
            org.display()
        );

        let file = ingest(org, &dir, &format!("cli-{i}"));
        let from_org = iamlog(&["what-can", "--all", "--format", "jsonl", "--org", s(org)]);
        let from_snap = iamlog(&[
            "what-can",
            "--all",
            "--format",
            "jsonl",
            "--snapshot",
            s(&file),
        ]);
        assert_eq!(from_org.code, from_snap.code, "{}", org.display());
        assert!(
            !from_org.stdout.is_empty(),
            "{}: empty output",
            org.display()
        );
        assert_eq!(from_org.stdout, from_snap.stdout, "{}", org.display());
        assert_eq!(from_org.stderr, from_snap.stderr, "{}", org.display());
    }
    assert!(with_resources > 0, "no fixture org has resources");
}

#[test]
fn queries_answer_the_same_from_a_snapshot() {
    let fixture = path("tests/fixtures/orgs/aws-multi-account");
    let org = fixture.join("input");
    let dir = scratch("snapshot-queries");
    let file = ingest(&org, &dir, "multi");
    let requests = fixture.join("requests.jsonl");
    let a = iamlog(&["explain", "--requests", s(&requests), "--org", s(&org)]);
    let b = iamlog(&[
        "explain",
        "--requests",
        s(&requests),
        "--snapshot",
        s(&file),
    ]);
    assert!(!a.stdout.is_empty(), "{}", a.stderr);
    assert_eq!((a.code, &a.stdout), (b.code, &b.stdout));
    assert_eq!(a.stderr, b.stderr);
}

/// A snapshot keeps every role-assumption edge, and `who-can`, `path` and `what-can` walk
/// them rather than deciding `sts:AssumeRole` step by step: every such query of every fixture
/// org answers the same from its snapshot as from its exports (chains of one and more hops,
/// conditional hops, cross-account trust), and from a snapshot that keeps no edges.
#[test]
fn chain_queries_answer_the_same_from_a_snapshot_that_keeps_the_edges() {
    let dir = scratch("snapshot-chain-queries");
    let mut asked = 0;
    let mut via_chains = 0;
    for org in loadable_orgs() {
        let Some(fixture) = org.parent() else {
            continue;
        };
        let Ok(queries) = std::fs::read_to_string(fixture.join("queries.txt")) else {
            continue;
        };
        let name = fixture.file_name().unwrap().to_str().unwrap();
        let file = ingest(&org, &dir, name);
        let kept = snapshot::read(&file).unwrap().derived.assume_edges;
        assert!(kept.is_some(), "{name}: the snapshot keeps no edges");
        // A snapshot without the edges (`ingest` keeps none for an org with too many
        // candidate role assumptions): questions derive them as they go, to the same answers.
        let bare = dir.join(format!("{name}-bare.snap"));
        snapshot::write(
            &iamlog_ingest::load(std::slice::from_ref(&org)).unwrap(),
            &bare,
        )
        .unwrap();
        assert!(snapshot::read(&bare)
            .unwrap()
            .derived
            .assume_edges
            .is_none());
        for line in queries.lines().filter(|l| {
            ["who-can ", "path ", "what-can "]
                .iter()
                .any(|c| l.starts_with(c))
        }) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let mut a = words.clone();
            a.extend(["--org", s(&org)]);
            let mut b = words.clone();
            b.extend(["--snapshot", s(&file)]);
            let mut c = words.clone();
            c.extend(["--snapshot", s(&bare)]);
            let (a, b, c) = (iamlog(&a), iamlog(&b), iamlog(&c));
            assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{name}: {line}");
            assert_eq!(a.stderr, b.stderr, "{name}: {line}");
            assert_eq!((a.code, &a.stdout), (c.code, &c.stdout), "{name}: {line}");
            asked += 1;
            via_chains += usize::from(a.stdout.contains("via "));
        }
    }
    assert!(asked > 40, "too few queries: {asked}");
    assert!(
        via_chains > 3,
        "too few answers through chains: {via_chains}"
    );
}

fn query_snapshot(file: &Path) -> iamlog_tests::Run {
    iamlog(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::x/y",
        "--snapshot",
        s(file),
    ])
}

#[test]
fn corrupt_truncated_and_foreign_files_are_clear_errors() {
    let dir = scratch("snapshot-bad");
    let file = ingest(&path("demo/input"), &dir, "demo");
    let good = std::fs::read(&file).unwrap();
    let header = snapshot::MAGIC.len() + 4;

    // Not a snapshot at all.
    let bad = dir.join("not-a-snapshot.snap");
    std::fs::write(&bad, b"{\"UserDetailList\": []}").unwrap();
    let run = query_snapshot(&bad);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not an iamlog snapshot") && run.stderr.contains(s(&bad)),
        "{}",
        run.stderr
    );

    // Another format version.
    let mut bytes = good.clone();
    bytes[snapshot::MAGIC.len()..header].copy_from_slice(&999u32.to_le_bytes());
    let other = dir.join("other-format.snap");
    std::fs::write(&other, &bytes).unwrap();
    let run = query_snapshot(&other);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("format 999") && run.stderr.contains("re-run `iamlog ingest"),
        "{}",
        run.stderr
    );

    // Another iamlog version (same length, so only the text differs).
    let mut bytes = good.clone();
    bytes[header + 2] = b'7';
    let other = dir.join("other-version.snap");
    std::fs::write(&other, &bytes).unwrap();
    let run = query_snapshot(&other);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("written by iamlog 7")
            && run.stderr.contains("re-run `iamlog ingest")
            && run.stderr.contains(s(&other)),
        "{}",
        run.stderr
    );

    // The same version number from other sources (the fingerprint after `+` differs): a model,
    // rules or chain search that changed since the snapshot was written.
    let version = snapshot::IAMLOG_VERSION;
    let (number, fingerprint) = version.split_once('+').unwrap();
    assert!(
        fingerprint.len() == 16 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
        "{version}"
    );
    let at = header + 2 + number.len() + 1;
    assert_eq!(&good[at..at + 16], fingerprint.as_bytes());
    let mut bytes = good.clone();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let other = dir.join("other-sources.snap");
    std::fs::write(&other, &bytes).unwrap();
    let run = query_snapshot(&other);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("this is iamlog {version}"))
            && run.stderr.contains("re-run `iamlog ingest"),
        "{}",
        run.stderr
    );

    // A flipped byte in the body, and truncations everywhere.
    let mut bytes = good.clone();
    let mid = header + (good.len() - header) / 2;
    bytes[mid] ^= 0x55;
    let corrupt = dir.join("corrupt.snap");
    std::fs::write(&corrupt, &bytes).unwrap();
    let run = query_snapshot(&corrupt);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("snapshot"), "{}", run.stderr);
    let cut = dir.join("cut.snap");
    let step = (good.len() / 40).max(1);
    for len in (0..good.len()).step_by(step) {
        std::fs::write(&cut, &good[..len]).unwrap();
        let run = query_snapshot(&cut);
        assert_eq!(run.code, 2, "truncated at {len}: {}", run.stderr);
        assert!(
            run.stderr.contains("re-run `iamlog ingest"),
            "{}",
            run.stderr
        );
    }

    // A missing file names it.
    let missing = dir.join("missing.snap");
    let run = query_snapshot(&missing);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(s(&missing)), "{}", run.stderr);
}

#[test]
fn org_and_snapshot_together_or_neither_is_a_usage_error() {
    let dir = scratch("snapshot-usage");
    let org = path("demo/input");
    let file = ingest(&org, &dir, "demo");
    let run = iamlog(&[
        "who-can",
        "s3:GetObject",
        "arn:aws:s3:::x/y",
        "--org",
        s(&org),
        "--snapshot",
        s(&file),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = iamlog(&["who-can", "s3:GetObject", "arn:aws:s3:::x/y"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--org"), "{}", run.stderr);
    let run = iamlog(&["ingest", s(&org)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--out"), "{}", run.stderr);
}
