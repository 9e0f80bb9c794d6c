//! Shared helpers for the integration tests: paths, running the CLI in-process, golden files.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A path relative to the workspace root.
pub fn path(rel: &str) -> PathBuf {
    root().join(rel)
}

/// The org directories whole-org and split questions are compared on: every fixture org but
/// the `bad-` ones, the sharing fixtures, the demo, the small synthetic org and the
/// differential orgs (some may not load; callers skip those).
pub fn comparison_orgs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(path("tests/fixtures/orgs"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("bad-"))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.push(path("tests/fixtures/sharing/input"));
    dirs.push(path("tests/fixtures/sharing-scp/input"));
    dirs.push(path("tests/fixtures/sharing-dup-names/input"));
    dirs.push(path("tests/fixtures/foreign-resource-policies/input"));
    dirs.push(path("demo"));
    dirs.push(path("benches/orgs/small"));
    for d in ["aws-identity", "aws-scp", "aws-rcp", "aws-resource"] {
        dirs.push(path(&format!("tests/fixtures/differential/{d}/input")));
    }
    dirs
}

/// The result of running the CLI in-process.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `iamlog ARGS` in-process.
pub fn iamlog(args: &[&str]) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut all = vec!["iamlog"];
    all.extend_from_slice(args);
    let code = iamlog_cli::run_from_args(all, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
    }
}

/// True when goldens should be rewritten (`IAMLOG_BLESS=1 cargo test`).
pub fn blessing() -> bool {
    std::env::var_os("IAMLOG_BLESS").is_some_and(|v| v != "0")
}

/// Compares `actual` with the golden file at `path`, or rewrites it when blessing. Returns a
/// description of the first difference, or `None` when equal.
pub fn check_golden(path: &Path, actual: &str) -> Option<String> {
    if blessing() {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        return std::fs::write(path, actual)
            .err()
            .map(|e| format!("{}: cannot write golden: {e}", path.display()));
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Some(format!(
                "{}: missing golden ({e}); run with IAMLOG_BLESS=1 and review it",
                path.display()
            ))
        }
    };
    if expected == actual {
        return None;
    }
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let missing: Vec<&&str> = el.iter().filter(|l| !al.contains(l)).take(10).collect();
    let extra: Vec<&&str> = al.iter().filter(|l| !el.contains(l)).take(10).collect();
    Some(format!(
        "{} differs ({} expected lines, {} actual)\n  missing: {missing:#?}\n  unexpected: {extra:#?}",
        path.display(),
        el.len(),
        al.len()
    ))
}

/// A fresh, empty scratch directory for one test (under the system temp dir, per process).
/// It is removed when the test passes; a failing test's files are kept to look at.
pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("iamlog-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    Scratch(dir)
}

/// A test's scratch directory ([`scratch`]), removed when dropped unless the test is failing.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
