//! iamlog-cli: the commands behind the `iamlog` binary, as library functions that write to the
//! given streams and return the exit code (0 success, 1 findings, 2 usage / input errors).
//! `main` only parses arguments and dispatches, so tests call the commands directly.

pub mod analysis;
pub mod chains;
pub mod output;
pub mod progress;
pub mod rulecmds;
pub mod simulate;
pub mod timings;
pub mod userrules;

mod access_table;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use iamlog_engine::canonical;
use iamlog_engine::schema::RelationKind;
use iamlog_engine::SCHEMA;
use iamlog_ingest::aws::facts::{
    self, Points, Question, RequestPoint, Sources, LIMITED_CONDITION as LIMITED,
};

use analysis::{AccessRow, AccessView, Caveat, Explanation, Org};
use output::{text, Format, Rows};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: findings or failed tests.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage, parse, ingest or limit error.
pub const EXIT_ERROR: i32 = 2;

/// iamlog: who can do what, where, and why, across cloud IAM.
#[derive(Debug, Parser)]
#[command(name = "iamlog", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Options every org-reading command takes.
#[derive(Debug, Args, Clone)]
#[command(group(
    clap::ArgGroup::new("org_source")
        .required(true)
        .multiple(false)
        .args(["org", "snapshot"])
))]
pub struct OrgArgs {
    /// A directory (or file) of cloud exports; repeatable. See docs/inputs.md.
    #[arg(long = "org", value_name = "DIR")]
    pub org: Vec<PathBuf>,
    /// A snapshot written by `iamlog ingest` (instead of --org). See docs/inputs.md.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Do not print warnings about the input.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every source that can perform ACTION on RESOURCE, with policy, granter and condition.
    WhoCan {
        /// The action, e.g. `s3:GetObject` (case-insensitive).
        action: String,
        /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`.
        resource: String,
        /// The account owning RESOURCE when its ARN has none (S3).
        #[arg(long, value_name = "ACCOUNT")]
        resource_account: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Everything PRINCIPAL can do (or, with --all, every principal), summarised by service.
    WhatCan {
        /// A user or role ARN or name.
        #[arg(required_unless_present = "all")]
        principal: Option<String>,
        /// Every principal: the whole effective-access table, streamed.
        #[arg(long, conflicts_with = "principal")]
        all: bool,
        /// Only actions of this service prefix (e.g. `s3`).
        #[arg(long)]
        service: Option<String>,
        /// Only destinations equal to this resource or pattern.
        #[arg(long)]
        resource: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The decision for one request, and the statements that decided it, layer by layer.
    Explain {
        /// A user or role ARN or name.
        #[arg(required_unless_present = "requests")]
        principal: Option<String>,
        #[arg(required_unless_present = "requests")]
        action: Option<String>,
        #[arg(required_unless_present = "requests")]
        resource: Option<String>,
        /// A request context key and value (`aws:SourceIp=10.0.0.1`); repeat a key for a
        /// multivalued key.
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// The account owning RESOURCE when its ARN has none (S3).
        #[arg(long, value_name = "ACCOUNT")]
        resource_account: Option<String>,
        /// Decide every request of a JSON-lines file instead, one JSON object out per line.
        #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["principal", "action", "resource"])]
        requests: Option<PathBuf>,
        #[command(flatten)]
        org: OrgArgs,
        /// `table` (text) or `json` for one request; `csv`: one row of layer results (the
        /// decision without its statements). With `--requests`: `csv` prints such a row per
        /// request; any other format prints JSON lines.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The shortest chain of role assumptions from FROM to TO, where TO is a role (ARN or
    /// name) or `ACTION RESOURCE` (a role or FROM itself that can do it), and why each hop is
    /// allowed. Exit 1 when there is none.
    Path {
        /// The user or role the chain starts from.
        from: String,
        /// A role, or an action and a resource.
        #[arg(num_args = 1..=2, required = true)]
        to: Vec<String>,
        /// The account owning RESOURCE when its ARN has none (S3).
        #[arg(long)]
        resource_account: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        /// `table` (text) or `json`.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Decide one request given as an iam-simulate `Simulation` JSON document (the bare object or
    /// `{"simulation": {...}}`), with the same rules as `explain`.
    Simulate {
        /// The Simulation file.
        file: PathBuf,
        /// `table` (text) or `json`.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Ad-hoc Datalog over every relation of the org: prints the relations the rules define
    /// (their `.output`s, or the one named with --output).
    Query {
        /// The rules, e.g. `admins(p) :- effective(p, "*", "*", _, _, "true").`
        rules: Option<String>,
        /// Read the rules from this `.dl` file instead.
        #[arg(long, value_name = "F.dl")]
        file: Option<PathBuf>,
        /// The relation to print.
        #[arg(long)]
        output: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        /// `table` (canonical rows) or `json`.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// How rule diagnostics are printed.
        #[arg(long, value_enum, default_value_t)]
        error_format: rulecmds::ErrorFormat,
    },
    /// Run the bundled detection rules and the rules of DIRs over the org; exit 1 on findings.
    Check {
        /// A directory (or `.dl` file) of your own rules; repeatable.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Only the rules of DIRs, not the bundled pack.
        #[arg(long)]
        no_bundled: bool,
        /// Only findings of this severity or higher (info, low, medium, high, critical).
        #[arg(long)]
        severity: Option<String>,
        #[command(flatten)]
        org: OrgArgs,
        /// `table`, `json` or `sarif` (SARIF 2.1.0).
        #[arg(long, value_enum, default_value_t)]
        format: rulecmds::CheckFormat,
        /// How rule diagnostics are printed.
        #[arg(long, value_enum, default_value_t)]
        error_format: rulecmds::ErrorFormat,
    },
    /// Run rule tests (`X.case.test` with `.expect` / `.expect_none` / `.todo`) and fixture orgs
    /// with `expected_findings.txt`; the bundled pack's tests without PATH. Ends with
    /// `N passed, N failed`; exit 1 when a test fails or none ran.
    Test {
        /// Directories of rules and tests, or fixture orgs.
        paths: Vec<PathBuf>,
        /// Rewrite `.expect` and `expected_findings.txt` files from the actual results.
        #[arg(long)]
        bless: bool,
    },
    /// The bundled rules, or with --relations the schema of every relation.
    Rules {
        /// Print every relation with its columns and meaning.
        #[arg(long)]
        relations: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Read the exports of ORG once and write them to FILE as a snapshot, for `--snapshot FILE`.
    Ingest {
        /// Directories (or files) of cloud exports, as for --org. See docs/inputs.md.
        #[arg(value_name = "ORG", required = true)]
        org: Vec<PathBuf>,
        /// The snapshot file to write (replaced if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Do not print warnings about the input, nor the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write every input relation of the whole-org question as Soufflé-style TSV files.
    Facts {
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        org: OrgArgs,
    },
}

/// Parses `args` and runs the command.
pub fn run_from_args<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli, out, err),
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let rendered = e.render().to_string();
            if e.use_stderr() {
                let _ = write!(err, "{rendered}");
            } else {
                let _ = write!(out, "{rendered}");
            }
            code
        }
    }
}

/// Runs a parsed command.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let result = match cli.command {
        Command::WhoCan {
            action,
            resource,
            resource_account,
            org,
            format,
        } => who_can(&org, &action, &resource, resource_account, format, out, err),
        Command::Path {
            from,
            to,
            resource_account,
            org,
            format,
        } => path(&org, &from, &to, resource_account, format, out, err),
        Command::WhatCan {
            principal,
            all,
            service,
            resource,
            org,
            format,
        } => what_can(
            &org,
            principal.as_deref(),
            all,
            service,
            resource,
            format,
            out,
            err,
        ),
        Command::Explain {
            principal,
            action,
            resource,
            context,
            resource_account,
            requests,
            org,
            format,
        } => match requests {
            Some(file) => explain_requests(&org, &file, format, out, err),
            None => explain_one(
                &org,
                principal.as_deref().unwrap_or_default(),
                action.as_deref().unwrap_or_default(),
                resource.as_deref().unwrap_or_default(),
                &context,
                resource_account,
                format,
                out,
                err,
            ),
        },
        Command::Simulate { file, format } => simulate::simulate_file(&file, format, out),
        Command::Rules { relations, format } => rules(relations, format, out),
        Command::Query {
            rules,
            file,
            output,
            org,
            format,
            error_format,
        } => load(&org, err).and_then(|o| {
            rulecmds::query(
                &o,
                rules.as_deref(),
                file.as_deref(),
                output.as_deref(),
                format,
                error_format,
                out,
                err,
            )
        }),
        Command::Check {
            rules,
            no_bundled,
            severity,
            org,
            format,
            error_format,
        } => load(&org, err).and_then(|o| {
            rulecmds::check(
                &o,
                &rules,
                no_bundled,
                severity.as_deref(),
                format,
                error_format,
                out,
                err,
            )
        }),
        Command::Test { paths, bless } => rulecmds::test(&paths, bless, out),
        Command::Facts { out: dir, org } => write_facts(&org, &dir, out, err),
        Command::Ingest {
            org,
            out: file,
            quiet,
        } => ingest(&org, &file, quiet, err),
    };
    match result {
        Ok(code) => code,
        // The reader of the output stopped (`| head`): nothing more to say, and no error.
        Err(e) if e.is_reader_gone() => EXIT_OK,
        Err(CliError(message)) => {
            let _ = writeln!(err, "error: {message}");
            EXIT_ERROR
        }
    }
}

/// A command failure: the message says what went wrong and where.
#[derive(Debug)]
pub struct CliError(pub String);

/// The message of [`CliError::reader_gone`]; no message text can be it (a NUL leads).
const READER_GONE: &str = "\0the reader of the output is gone";

impl CliError {
    /// Writing the output failed because its reader closed the pipe (`iamlog ... | head`).
    pub fn reader_gone() -> Self {
        CliError(READER_GONE.to_string())
    }

    /// Whether this is [`CliError::reader_gone`].
    pub fn is_reader_gone(&self) -> bool {
        self.0 == READER_GONE
    }
}

impl<E: std::fmt::Display + 'static> From<E> for CliError {
    fn from(e: E) -> Self {
        // (Every command writes its output through `?`: a closed pipe is told apart here.)
        // (JSON is written through serde_json, whose errors carry the io error's kind.)
        let any: &dyn std::any::Any = &e;
        let kind = match (
            any.downcast_ref::<std::io::Error>(),
            any.downcast_ref::<serde_json::Error>(),
        ) {
            (Some(io), _) => Some(io.kind()),
            (_, Some(json)) => json.io_error_kind(),
            _ => None,
        };
        match kind {
            Some(std::io::ErrorKind::BrokenPipe) => CliError::reader_gone(),
            _ => CliError(e.to_string()),
        }
    }
}

pub type CmdResult = Result<i32, CliError>;

/// Loads the org of `--org` or `--snapshot` and prints its warnings (unless `--quiet`).
fn load(args: &OrgArgs, err: &mut dyn Write) -> Result<Org, CliError> {
    progress::enable(args.quiet);
    progress::phase("reading the exports");
    let org = match &args.snapshot {
        Some(file) => Org::read_snapshot(file),
        None => Org::load(&args.org),
    };
    progress::done();
    let org = org?;
    if !args.quiet {
        print_warnings(&org.loaded, err);
    }
    Ok(org)
}

fn print_warnings(org: &iamlog_ingest::LoadedOrg, err: &mut dyn Write) {
    for w in &org.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
}

/// `iamlog ingest ORG... --out FILE`: load the exports and write them as a snapshot.
fn ingest(dirs: &[PathBuf], file: &Path, quiet: bool, err: &mut dyn Write) -> CmdResult {
    progress::enable(quiet);
    progress::phase("reading the exports");
    let org = iamlog_ingest::load(dirs);
    progress::done();
    let mut org = Org { loaded: org? };
    if !quiet {
        print_warnings(&org.loaded, err);
    }
    // Every role-assumption edge, derived once here rather than by each `who-can`, `path` or
    // `what-can` asked of the snapshot (the chain search then walks the kept edges).
    progress::phase("deriving role chains");
    let all = chains::Chains::all(
        &org,
        analysis::threads(),
        analysis::MIN_PART,
        chains::MAX_KEPT_POINTS,
    );
    progress::done();
    if all.is_none() && !quiet {
        let _ = writeln!(
            err,
            "warning: more than {} candidate role assumptions: the snapshot does not keep the role chains; questions derive them as they go",
            chains::MAX_KEPT_POINTS
        );
    }
    org.loaded
        .derived
        .set_assume_edges(all.map(chains::Chains::into_stored));
    progress::phase("writing the snapshot");
    let written = iamlog_ingest::snapshot::write(&org.loaded, file);
    progress::done();
    written?;
    if !quiet {
        let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
        let _ = writeln!(
            err,
            "wrote {}: {} principals, {} policies, {} resources, {bytes} bytes",
            file.display(),
            org.aws().principals.len(),
            org.aws().policies.len(),
            org.aws().resources.len(),
        );
    }
    // (A large org's millions of allocations take a second to free: not before exiting.)
    analysis::free_aside(std::mem::take(&mut org.loaded));
    Ok(EXIT_OK)
}

/// The ARN of the user or role `name` names; groups cannot make requests.
fn find_source(org: &Org, name: &str) -> Result<String, CliError> {
    if name == iamlog_ingest::aws::model::ANONYMOUS || org.aws().external.contains_key(name) {
        return Ok(name.to_string());
    }
    let p = org.aws().find_principal(name).map_err(CliError)?;
    if p.kind == iamlog_ingest::aws::model::PrincipalKind::Group {
        return Err(CliError(format!(
            "`{}` is a group: groups cannot make requests; ask about one of its members",
            p.arn
        )));
    }
    Ok(p.arn.clone())
}

/// The session name of a role session ARN (`arn:aws:sts::A:assumed-role/R/SESSION`).
fn session_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("arn:aws:sts::")?;
    let (_, tail) = rest.split_once(':')?;
    let (_, session) = tail.strip_prefix("assumed-role/")?.split_once('/')?;
    Some(session)
}

/// The request context of a request by `principal`: `ctx`, plus the session name when the
/// principal is a role session (it decides resource policies that name session ARNs).
fn with_session(
    principal: &str,
    mut ctx: BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    if let Some(session) = session_of(principal) {
        ctx.entry(facts::SESSION_NAME_KEY.to_string())
            .or_insert_with(|| vec![session.to_string()]);
    }
    ctx
}

const ACCESS_COLUMNS: &[&str] = &[
    "source",
    "action",
    "destination",
    "policy",
    "granter",
    "condition",
    "caveats",
];

/// The JSON form of one access row (the `who-can` / `what-can` JSON contract), as serde writes
/// it: the reference [`access_json`] is tested against.
#[cfg(test)]
#[derive(serde::Serialize)]
struct AccessJson<'a> {
    source: &'a str,
    action: &'a str,
    destination: &'a str,
    policy: &'a str,
    granter: &'a str,
    condition: Option<&'a str>,
    caveats: Vec<CaveatJson<'a>>,
}

#[cfg(test)]
#[derive(serde::Serialize)]
struct CaveatJson<'a> {
    policy: &'a str,
    condition: Option<&'a str>,
}

/// Whether JSON must escape some byte of `s` (`"`, `\\` or a control character), eight bytes at
/// a time: access rows are mostly ARNs and action names with nothing to escape.
fn needs_escape(s: &[u8]) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero (or, for `x - LOW`, below 0x20 after the shift) when its high bit is
    // set in the result and was clear in `x` (the classic has-zero / has-less tests).
    let flagged = |x: u64| {
        let quote = x ^ (LOW * u64::from(b'"'));
        let slash = x ^ (LOW * u64::from(b'\\'));
        let zero = |v: u64| v.wrapping_sub(LOW) & !v & HIGH;
        let less = x.wrapping_sub(LOW * 0x20) & !x & HIGH;
        (zero(quote) | zero(slash) | less) != 0
    };
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        if flagged(u64::from_le_bytes(w)) {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b == b'"' || b == b'\\' || b < 0x20)
}

fn json_string(buf: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    if needs_escape(s.as_bytes()) {
        return serde_json::to_writer(&mut *buf, s);
    }
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
    Ok(())
}

fn json_optional(buf: &mut Vec<u8>, s: Option<&str>) -> serde_json::Result<()> {
    match s {
        Some(s) => json_string(buf, s),
        None => {
            buf.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// Where a string lives and how long it is: rows share their strings (`Text`), so within one
/// slice of rows, which keeps every string alive, equal keys mean the same string.
type TextKey = (usize, usize);

fn text_key(s: &str) -> TextKey {
    (s.as_ptr() as usize, s.len())
}

/// The JSON of the fields that consecutive rows mostly repeat (the source, the policy, the
/// granter, the condition and the caveats), kept from the last row that wrote them. Valid for
/// one slice of rows only: a string freed afterwards may leave its address to another.
#[derive(Default)]
struct JsonMemo {
    fields: [(Option<TextKey>, Vec<u8>); 3],
    /// The condition and caveats, written together.
    tail: (Vec<Option<TextKey>>, Vec<u8>),
}

impl JsonMemo {
    fn field(&mut self, i: usize, buf: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
        let key = Some(text_key(s));
        let Some((last, json)) = self.fields.get_mut(i) else {
            return json_string(buf, s);
        };
        if *last != key {
            json.clear();
            json_string(json, s)?;
            *last = key;
        }
        buf.extend_from_slice(json);
        Ok(())
    }

    fn tail<R: AccessView>(&mut self, buf: &mut Vec<u8>, r: &R) -> serde_json::Result<()> {
        let opt = |s: &Option<analysis::Text>| s.as_deref().map(text_key);
        let (last, json) = &mut self.tail;
        let condition = r.condition().map(text_key);
        let same = !json.is_empty()
            && last.len() == 1 + 2 * r.caveats().len()
            && last.first() == Some(&condition)
            && r.caveats().iter().enumerate().all(|(i, (p, c))| {
                last.get(1 + 2 * i) == Some(&Some(text_key(p)))
                    && last.get(2 + 2 * i) == Some(&opt(c))
            });
        if !same {
            last.clear();
            last.push(condition);
            json.clear();
            json.extend_from_slice(b",\"condition\":");
            json_optional(json, r.condition())?;
            json.extend_from_slice(b",\"caveats\":[");
            for (i, (policy, condition)) in r.caveats().iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(b"{\"policy\":");
                json_string(json, policy)?;
                json.extend_from_slice(b",\"condition\":");
                json_optional(json, condition.as_deref())?;
                json.push(b'}');
                last.push(Some(text_key(policy)));
                last.push(opt(condition));
            }
            json.extend_from_slice(b"]}");
        }
        buf.extend_from_slice(json);
        Ok(())
    }
}

/// Appends the JSON of one access row, byte for byte what serde_json writes for [`AccessJson`]
/// (the tests compare them): strings without a character JSON must escape, nearly all of
/// them, are copied as they are; the others go through serde_json.
fn access_json<R: AccessView>(
    buf: &mut Vec<u8>,
    r: &R,
    memo: &mut JsonMemo,
) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"source\":");
    memo.field(0, buf, r.source())?;
    buf.extend_from_slice(b",\"action\":");
    json_string(buf, r.action())?;
    buf.extend_from_slice(b",\"destination\":");
    json_string(buf, r.destination())?;
    buf.extend_from_slice(b",\"policy\":");
    memo.field(1, buf, r.policy())?;
    buf.extend_from_slice(b",\"granter\":");
    memo.field(2, buf, r.granter())?;
    memo.tail(buf, r)
}

#[cfg(test)]
impl<'a> AccessJson<'a> {
    fn new(r: &'a AccessRow) -> Self {
        AccessJson {
            source: &r.source,
            action: &r.action,
            destination: &r.destination,
            policy: &r.policy,
            granter: &r.granter,
            condition: r.condition.as_deref(),
            caveats: r
                .caveats
                .iter()
                .map(|(p, c)| CaveatJson {
                    policy: p,
                    condition: c.as_deref(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
fn caveat_text<R: AccessView>(r: &R) -> String {
    let mut out = String::new();
    caveat_text_into(&mut out, r);
    out
}

/// [`caveat_text`], appended to `out`.
fn caveat_text_into<R: AccessView>(out: &mut String, r: &R) {
    if r.caveats().is_empty() {
        out.push('-');
        return;
    }
    for (i, (p, c)) in r.caveats().iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(p);
        match c {
            Some(c) => {
                out.push_str(": ");
                out.push_str(c);
            }
            None => out.push_str(" (in part)"),
        }
    }
}

/// The text keys of a list of caveats (policy, condition, policy, ...), and where its cell is
/// in [`CaveatCells::cells`].
type CaveatCell = (Vec<Option<TextKey>>, std::ops::Range<usize>);

/// The cell of each distinct list of caveats met in one slice of rows, looked up by the
/// addresses of its strings: quoted for CSV, or as text for a table. (A large org's `who-can`
/// writes 42,000 rows whose caveats, two thirds of its 31 MB, are 8,870 distinct lists: each
/// was joined and quoted again for every row.) Valid for one slice of rows only, as
/// [`JsonMemo`]; strings at other addresses with the same text only make another entry.
#[derive(Default)]
struct CaveatCells {
    /// By hash of the list's text keys: the keys, and where the cell is in `cells`.
    by_hash: rustc_hash::FxHashMap<u64, Vec<CaveatCell>>,
    /// Every cell, end to end.
    cells: Vec<u8>,
    /// The caveats' text, before quoting.
    text: String,
    /// Cells are written as they are, not quoted for CSV.
    unquoted: bool,
}

impl CaveatCells {
    /// Cells as text, not quoted (a table's).
    fn as_text() -> Self {
        CaveatCells {
            unquoted: true,
            ..CaveatCells::default()
        }
    }

    /// Where the caveats cell of `r` is in [`CaveatCells::cells`], made when first met.
    fn cell<R: AccessView>(&mut self, r: &R) -> std::ops::Range<usize> {
        use std::hash::{Hash, Hasher};
        let keys = || {
            r.caveats()
                .iter()
                .flat_map(|(p, c)| [Some(text_key(p)), c.as_deref().map(text_key)])
        };
        let mut h = rustc_hash::FxHasher::default();
        for k in keys() {
            k.hash(&mut h);
        }
        let CaveatCells {
            by_hash,
            cells,
            text,
            unquoted,
        } = self;
        let same = by_hash.entry(h.finish()).or_default();
        if let Some((_, range)) = same.iter().find(|(ks, _)| ks.iter().copied().eq(keys())) {
            return range.clone();
        }
        text.clear();
        caveat_text_into(text, r);
        let start = cells.len();
        if *unquoted {
            cells.extend_from_slice(text.as_bytes());
        } else {
            output::csv_cell_into(cells, text);
        }
        same.push((keys().collect(), start..cells.len()));
        start..cells.len()
    }

    /// Appends the caveats cell of `r` to `buf`.
    fn write<R: AccessView>(&mut self, buf: &mut Vec<u8>, r: &R) {
        let range = self.cell(r);
        buf.extend_from_slice(self.cells.get(range).unwrap_or_default());
    }
}

/// Writes access rows; JSON, JSON lines and CSV stream row by row.
fn write_access(rows: &[AccessRow], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    if format == Format::Table {
        return access_table::write(rows, out);
    }
    let mut w = AccessWriter::new(format);
    // Many rows (a large org's who-can: 42,000 rows, 31 MB): the second half is written into
    // pieces of its own on another thread meanwhile. (Lines do not depend on each other; in
    // JSON, every row but the first opens with a comma, and the first is in the first half.)
    if rows.len() >= PARALLEL_WRITE
        && matches!(format, Format::Csv | Format::Jsonl | Format::Json)
        && analysis::threads() >= 2
    {
        let (first, second) = rows.split_at(rows.len() / 2);
        return std::thread::scope(|scope| {
            let other = scope.spawn(|| -> std::io::Result<Pieces> {
                let mut pieces = Pieces::default();
                let mut w = AccessWriter::new(format);
                // (Its header, if any, and the opening of a JSON array are the first half's:
                // each of its rows follows another.)
                w.written = 1;
                w.rows(second, &mut pieces)?;
                Ok(pieces)
            });
            w.rows(first, out)?;
            let rest = other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))?;
            for piece in &rest.0 {
                out.write_all(piece)?;
            }
            w.finish(out)
        });
    }
    w.rows(rows, out)?;
    w.finish(out)
}

/// Lines are written out of [`AccessWriter`]'s buffer once it holds this many bytes, so that
/// the buffer is reused rather than grown to the whole output (31 MB for a large org's
/// `who-can`: growing it copied it over and over and faulted in fresh pages).
const FLUSH_AT: usize = 1 << 18;

/// Writes `buf` out and empties it once it holds [`FLUSH_AT`] bytes.
fn flush_full(buf: &mut Vec<u8>, out: &mut dyn Write) -> std::io::Result<()> {
    if buf.len() >= FLUSH_AT {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

/// The output of the second half of the rows (see [`write_access`]), in the pieces it was
/// written in: kept until the first half is written, without copying it into one buffer.
#[derive(Default)]
struct Pieces(Vec<Vec<u8>>);

impl Write for Pieces {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.push(bytes.to_vec());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`write_access`] writes at least this many rows on two threads.
const PARALLEL_WRITE: usize = 8192;

/// Access rows written as they come, batch by batch: JSON lines, JSON and CSV stream; a table
/// is laid out once every row is in (its columns are as wide as the widest cell).
struct AccessWriter {
    format: Format,
    written: usize,
    table: Vec<AccessRow>,
    /// JSON text of the rows of one call, kept between calls so that its pages are reused.
    buf: Vec<u8>,
}

impl AccessWriter {
    fn new(format: Format) -> Self {
        AccessWriter {
            format,
            written: 0,
            table: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn rows<R: AccessView>(&mut self, rows: &[R], out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            Format::Table => self.table.extend(rows.iter().map(AccessView::to_row)),
            // Rows are serialized into a buffer, written out every [`FLUSH_AT`] bytes: serde's
            // many small writes through `dyn Write` cost more than the serializing itself.
            Format::Jsonl => {
                let buf = &mut self.buf;
                buf.clear();
                let mut memo = JsonMemo::default();
                for r in rows {
                    access_json(buf, r, &mut memo)?;
                    buf.push(b'\n');
                    flush_full(buf, out)?;
                }
                out.write_all(buf)?;
            }
            Format::Json => {
                let buf = &mut self.buf;
                buf.clear();
                let mut memo = JsonMemo::default();
                for r in rows {
                    let lead: &[u8] = if self.written == 0 { b"[" } else { b"," };
                    buf.extend_from_slice(lead);
                    buf.extend_from_slice(b"\n  ");
                    access_json(buf, r, &mut memo)?;
                    self.written += 1;
                    flush_full(buf, out)?;
                }
                out.write_all(buf)?;
            }
            Format::Csv => {
                if self.written == 0 {
                    writeln!(out, "{}", ACCESS_COLUMNS.join(","))?;
                    self.written = 1;
                }
                // Cells are written into the buffer too, written out as for JSON lines.
                let buf = &mut self.buf;
                buf.clear();
                let mut caveats = CaveatCells::default();
                // Whether the cell of the previous row, at this address, needed quoting: the
                // action and the destination are the same string in every row of a question,
                // and the source, the granter or the policy often are from one row to the
                // next. (Scanning each cell of the 42,000 rows of a large org's `who-can` for
                // the characters to quote was a third of the instructions of writing them.)
                let mut last: [Option<(TextKey, bool)>; 6] = [None; 6];
                for r in rows {
                    let cells = [
                        r.source(),
                        r.action(),
                        r.destination(),
                        r.policy(),
                        r.granter(),
                        r.condition().unwrap_or("-"),
                    ];
                    for (c, last) in cells.into_iter().zip(&mut last) {
                        let key = text_key(c);
                        match last {
                            Some((k, false)) if *k == key => buf.extend_from_slice(c.as_bytes()),
                            _ => {
                                let from = buf.len();
                                output::csv_cell_into(buf, c);
                                *last = Some((key, buf.len() - from != c.len()));
                            }
                        }
                        buf.push(b',');
                    }
                    caveats.write(buf, r);
                    buf.push(b'\n');
                    flush_full(buf, out)?;
                }
                out.write_all(buf)?;
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            Format::Table => access_table::write(&self.table, out),
            Format::Jsonl => Ok(()),
            Format::Json if self.written == 0 => writeln!(out, "[]"),
            Format::Json => writeln!(out, "\n]"),
            Format::Csv if self.written == 0 => writeln!(out, "{}", ACCESS_COLUMNS.join(",")),
            Format::Csv => Ok(()),
        }
    }
}

#[cfg(test)]
fn access_rows(rows: &[AccessRow]) -> Rows {
    let mut out = Rows::new(ACCESS_COLUMNS);
    for r in rows {
        out.push(vec![
            text(&r.source),
            text(&r.action),
            text(&r.destination),
            text(&r.policy),
            text(&r.granter),
            output::opt_text(r.condition.as_deref()),
            (caveat_text(r), Value::Null),
        ]);
    }
    out
}

fn who_can(
    args: &OrgArgs,
    action: &str,
    resource: &str,
    resource_account: Option<String>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let mut timings = timings::Timings::from_env();
    let org = load(args, err)?;
    timings.mark("load", err);
    let aws = org.aws();
    let mut principals = caller_principals(aws);
    // The anonymous caller, when some resource policy may reach it.
    if !aws.resource_policies.policies.is_empty() {
        principals.push(iamlog_ingest::aws::model::anonymous());
    }
    let sources: Vec<String> = principals.iter().map(|p| p.arn.clone()).collect();
    // Only the callers with an Allow that may cover the action (identity or resource side)
    // are asked; chains are followed from every caller below.
    // The chain search's index of every caller is built meanwhile on the other core, which
    // then sorts out the last third of the callers (each caller is looked at on its own; the
    // index takes about as long as a third of them).
    let finder = facts::GrantFinder::scanning(
        aws,
        action,
        resource,
        resource_account.as_deref(),
        analysis::threads(),
    );
    let may_be_granted = |part: &[&iamlog_ingest::aws::model::Principal]| -> Vec<String> {
        let kept = finder.among(part);
        part.iter()
            .zip(kept)
            .filter(|(_, k)| *k)
            .map(|(p, _)| p.arn.clone())
            .collect()
    };
    // An org read from a snapshot keeps its chains' edges: nothing to index, the callers are
    // sorted out in halves.
    let kept = chains::Chains::kept(&org);
    let (asked, candidates) = std::thread::scope(|scope| {
        let cut = match (analysis::threads() >= 2, kept) {
            (false, _) => principals.len(),
            (true, false) => principals.len() - principals.len() / 3,
            (true, true) => principals.len() - principals.len() / 2,
        };
        let (first, last) = principals.split_at(cut);
        let other = scope.spawn(|| {
            let candidates = (!kept).then(|| facts::AssumeCandidates::indexed(aws));
            (candidates, may_be_granted(last))
        });
        let mut asked = may_be_granted(first);
        let (candidates, rest) = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        asked.extend(rest);
        (asked, candidates)
    });
    timings.mark("find the callers", err);
    let question = Question::at_one_point(asked, action, resource, resource_account.as_deref());
    let canonical_action = analysis::canonical_action(action);
    let mut rows = analysis::effective_rows_split(
        &org,
        &question,
        analysis::threads(),
        analysis::MIN_PART,
        &|_, a, d| a == canonical_action && d == resource,
    );
    timings.mark("ask them", err);
    // Access reached through chains: followed back from the roles that have it.
    let targets = role_sources(aws, &rows);
    let chains = match candidates {
        Some(candidates) => chains::Chains::backward_from(
            &org,
            &targets,
            candidates,
            analysis::threads(),
            analysis::MIN_PART,
        ),
        None => chains::Chains::backward(&org, &targets),
    };
    timings.mark("chains", err);
    // (Each thread's chained rows moved once, into room made for all of them.)
    let chained = chain_rows(&chains, &rows, &sources);
    rows.reserve(chained.iter().map(Vec::len).sum());
    for part in chained {
        rows.extend(part);
    }
    timings.mark("chained rows", err);
    rows.sort();
    rows.dedup();
    timings.mark("sort", err);
    write_access(&rows, format, out)?;
    timings.mark("write", err);
    Ok(EXIT_OK)
}

/// Every user and role of the org, and the principals outside it that resource policies name:
/// the principals that can make requests.
fn callers(aws: &iamlog_ingest::aws::model::AwsOrg) -> Vec<String> {
    caller_principals(aws)
        .iter()
        .map(|p| p.arn.clone())
        .collect()
}

/// [`callers`], as principals.
fn caller_principals(
    aws: &iamlog_ingest::aws::model::AwsOrg,
) -> Vec<&iamlog_ingest::aws::model::Principal> {
    aws.users_and_roles().chain(aws.external.values()).collect()
}

/// What reaching a role through a chain adds to each of its rows: the caveats of the chain's
/// conditional hops, and whether any hop is conditional. The same for every row of the role,
/// so it is worked out once per chain.
struct ChainLimits {
    caveats: Vec<Caveat>,
    limited: bool,
}

/// The [`ChainLimits`] of `chain`.
fn chain_limits(chain: &[&chains::Hop]) -> ChainLimits {
    let mut caveats = Vec::new();
    for hop in chain {
        if let Some(c) = &hop.condition {
            // The hop's own condition (e.g. the trust policy's `sts:ExternalId`), and what
            // limits it further.
            let mut own = c.as_str();
            while let Some(rest) = own.strip_suffix(LIMITED) {
                own = rest;
            }
            let own = own.trim();
            if !own.is_empty() {
                caveats.push((
                    format!("{}{}", hop.to, facts::TRUST_POLICY_SUFFIX).into(),
                    Some(own.into()),
                ));
            }
            caveats.extend(hop.caveats.iter().cloned());
        }
    }
    ChainLimits {
        caveats,
        limited: chain.iter().any(|h| h.condition.is_some()),
    }
}

/// Access row `r` of the last role of a chain, as reached by `source` through the chain: the
/// chain is the granter, and each conditional hop limits the row (`limits`).
fn via_chain(
    r: &AccessRow,
    source: &analysis::Text,
    limits: &ChainLimits,
    granter: &analysis::Text,
) -> AccessRow {
    // (A row's own caveats are sorted and distinct already: an unconditional chain adds none.)
    let mut caveats = r.caveats.clone();
    if !limits.caveats.is_empty() {
        caveats.extend(limits.caveats.iter().cloned());
        caveats.sort();
        caveats.dedup();
    }
    let condition = match (&r.condition, limits.limited) {
        (c, false) => c.clone(),
        (None, true) => Some(LIMITED.into()),
        (Some(c), true) if c.contains(LIMITED) => Some(c.clone()),
        (Some(c), true) => Some(format!("{c} {LIMITED}").into()),
    };
    AccessRow {
        source: source.clone(),
        action: r.action.clone(),
        destination: r.destination.clone(),
        policy: r.policy.clone(),
        granter: granter.clone(),
        condition,
        caveats,
    }
}

/// The roles among the sources of `rows`: where chains that reach the access end.
fn role_sources(aws: &iamlog_ingest::aws::model::AwsOrg, rows: &[AccessRow]) -> BTreeSet<String> {
    // (A source's rows are consecutive: each source is looked up in the org once. A role's
    // ARN names its resource type, `role/`: the users are not looked up at all.)
    let mut roles = BTreeSet::new();
    let mut last: Option<&str> = None;
    for r in rows {
        let source = &*r.source;
        if last == Some(source) || !source.contains(":role/") {
            continue;
        }
        last = Some(source);
        let role = aws
            .principals
            .get(source)
            .is_some_and(|p| p.kind == iamlog_ingest::aws::model::PrincipalKind::Role);
        if role {
            roles.insert(source.to_string());
        }
    }
    roles
}

/// `iamlog path FROM TO`.
fn path(
    args: &OrgArgs,
    from: &str,
    to: &[String],
    resource_account: Option<String>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let org = load(args, err)?;
    let aws = org.aws();
    let from = find_source(&org, from)?;
    let sources = callers(aws);
    // The target: a role, or every source that can do ACTION on RESOURCE.
    let (target_role, access): (Option<String>, Option<(String, String)>) = match to {
        [role] => {
            let p = aws.find_principal(role).map_err(CliError)?;
            if p.kind != iamlog_ingest::aws::model::PrincipalKind::Role {
                return Err(CliError(format!(
                    "`{}` is not a role: give a role, or ACTION RESOURCE",
                    p.arn
                )));
            }
            (Some(p.arn.clone()), None)
        }
        [action, resource] => (None, Some((action.clone(), resource.clone()))),
        _ => {
            return Err(CliError(
                "give TO as a role, or ACTION RESOURCE".to_string(),
            ))
        }
    };
    // The access at the end: the rows of whoever can do it. As for `who-can`, only the callers
    // that may be granted are asked, in parts on every core.
    let mut access_rows: Vec<AccessRow> = match &access {
        Some((action, resource)) => {
            let asked = facts::may_be_granted_in(
                aws,
                &sources,
                action,
                resource,
                resource_account.as_deref(),
            );
            let question =
                Question::at_one_point(asked, action, resource, resource_account.as_deref());
            let canonical = analysis::canonical_action(action);
            analysis::effective_rows_split(
                &org,
                &question,
                analysis::threads(),
                analysis::MIN_PART,
                &|_, a, d| a == canonical && d == resource,
            )
        }
        None => Vec::new(),
    };
    // (Each part's rows are sorted; the rows of the end's source are shown in order.)
    access_rows.sort();
    // The shortest chain to the target: zero hops when FROM itself has the access (no chain is
    // followed then); else followed back from the target role, or from the roles that have
    // the access.
    let found: Option<(Vec<chains::Hop>, String)> =
        if target_role.is_none() && access_rows.iter().any(|r| *r.source == *from) {
            Some((Vec::new(), from.clone()))
        } else {
            let targets: BTreeSet<String> = match &target_role {
                Some(r) => BTreeSet::from([r.clone()]),
                None => role_sources(aws, &access_rows),
            };
            let reachable = chains::Chains::backward(&org, &targets).reachable(&from);
            match &target_role {
                Some(role) => reachable.get(role).map(|c| (c.clone(), role.clone())),
                None => reachable
                    .iter()
                    .filter(|(role, _)| access_rows.iter().any(|r| *r.source == **role))
                    .min_by_key(|(role, chain)| (chain.len(), role.as_str()))
                    .map(|(role, chain)| (chain.clone(), role.clone())),
            }
        };
    let target_text = match (&target_role, &access) {
        (Some(r), _) => r.clone(),
        (None, Some((a, r))) => format!("{a} {r}"),
        _ => String::new(),
    };
    let Some((chain, last)) = found else {
        match format {
            Format::Json | Format::Jsonl => {
                serde_json::to_writer_pretty(
                    &mut *out,
                    &json!({"from": from, "to": target_text, "found": false, "hops": []}),
                )?;
                writeln!(out)?;
            }
            _ => writeln!(out, "no chain from {from} to {target_text}")?,
        }
        return Ok(EXIT_FINDINGS);
    };
    let final_rows: Vec<&AccessRow> = access_rows.iter().filter(|r| *r.source == *last).collect();
    match format {
        Format::Json | Format::Jsonl => {
            let hops: Vec<Value> = chain
                .iter()
                .map(|h| {
                    json!({
                        "from": h.from,
                        "to": h.to,
                        "condition": h.condition,
                        "identity": h.identity.iter().map(|(p, g)| json!({"policy": p, "granter": g})).collect::<Vec<_>>(),
                        "trust": h.trust,
                        "caveats": h.caveats.iter().map(|(p, c)| json!({"policy": p, "condition": c})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let grants: Vec<Value> = final_rows
                .iter()
                .map(|r| json!({"source": r.source, "policy": r.policy, "granter": r.granter, "condition": r.condition}))
                .collect();
            serde_json::to_writer_pretty(
                &mut *out,
                &json!({"from": from, "to": target_text, "found": true, "hops": hops, "access": grants}),
            )?;
            writeln!(out)?;
        }
        _ => {
            writeln!(
                out,
                "{from} reaches {target_text} in {} hop(s)",
                chain.len()
            )?;
            for (i, h) in chain.iter().enumerate() {
                writeln!(out, "{}. {} -> {} (sts:AssumeRole)", i + 1, h.from, h.to)?;
                let outside = h
                    .caveats
                    .iter()
                    .any(|(p, _)| &**p == facts::EXTERNAL_POLICY);
                if h.identity.is_empty() && outside {
                    writeln!(
                        out,
                        "   identity: not in the export (the caller's own account must allow it)"
                    )?;
                } else if h.identity.is_empty() {
                    writeln!(
                        out,
                        "   identity: not needed (the trust policy names the caller in its own account)"
                    )?;
                }
                for (p, g) in &h.identity {
                    writeln!(out, "   identity: {p} (via {g})")?;
                }
                for st in &h.trust {
                    writeln!(out, "   trust:    {st}")?;
                }
                if let Some(c) = &h.condition {
                    writeln!(out, "   when:     {c}")?;
                }
                for (p, c) in &h.caveats {
                    match c {
                        Some(c) => writeln!(out, "   limited:  {p}: {c}")?,
                        None => writeln!(out, "   limited:  {p} (in part)")?,
                    }
                }
            }
            for r in &final_rows {
                writeln!(
                    out,
                    "then {} can do it: {} (via {}){}",
                    r.source,
                    r.policy,
                    r.granter,
                    r.condition
                        .as_deref()
                        .map(|c| format!(" when {c}"))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// Access reached through role chains: for every source, each role it reaches (one hop or
/// more) that has access in `direct` gives a row with the role's policy, the chain as granter,
/// and each conditional hop as a caveat. The rows come in parts, one per thread that made
/// them, each sorted.
fn chain_rows(
    chains: &chains::Chains,
    direct: &[AccessRow],
    sources: &[String],
) -> Vec<Vec<AccessRow>> {
    if chains.is_empty() {
        return Vec::new();
    }
    let mut by_source: rustc_hash::FxHashMap<&str, Vec<&AccessRow>> =
        rustc_hash::FxHashMap::default();
    for r in direct {
        by_source.entry(&*r.source).or_default().push(r);
    }
    // The sources' chains are walked in two halves on two threads when there are many (a
    // large org has 60,000 callers); the rows come out in the sources' order either way.
    let index = chains.index();
    let walk = |part: &[String]| -> Vec<AccessRow> {
        let mut out = Vec::new();
        for s in part {
            let mut source: Option<analysis::Text> = None;
            let with_rows = |role: &str| by_source.contains_key(role);
            let from = out.len();
            for (role, chain) in index.reachable_where(s, &with_rows) {
                let Some(rows) = by_source.get(role) else {
                    continue;
                };
                let source = source.get_or_insert_with(|| s.as_str().into());
                let granter: analysis::Text = chains::chain_text(&chain).into();
                let limits = chain_limits(&chain);
                for r in rows.iter().filter(|r| &*r.policy != facts::IMPLICIT_POLICY) {
                    out.push(via_chain(r, source, &limits, &granter));
                }
            }
            // Each source's rows sorted among themselves (they share their source)...
            if let Some(mine) = out.get_mut(from..) {
                mine.sort_unstable();
            }
        }
        // ... and all of them on the thread that made them: the sources come in order (but for
        // the principals outside the org, after the org's), so this merges a run or two. The
        // caller's sort of every row then merges a few sorted runs (the direct rows', these)
        // instead of sorting these again.
        out.sort();
        out
    };
    if analysis::threads() < 2 || sources.len() < CHAIN_ROWS_SPLIT {
        return vec![walk(sources)];
    }
    let halves: Vec<&[String]> = sources.chunks(sources.len().div_ceil(2)).collect();
    analysis::on_threads(&halves, 2, &|half| walk(half))
}

/// `chain_rows` walks the chains of at least this many sources on two threads.
const CHAIN_ROWS_SPLIT: usize = 4096;

#[allow(clippy::too_many_arguments)]
fn what_can(
    args: &OrgArgs,
    principal: Option<&str>,
    all: bool,
    service: Option<String>,
    resource: Option<String>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let org = load(args, err)?;
    let service = service.map(|s| s.to_ascii_lowercase());
    let keep = |_: &str, a: &str, d: &str| {
        let service_ok = match &service {
            Some(svc) => {
                a == "*"
                    || a.split(':')
                        .next()
                        .is_some_and(|p| p.eq_ignore_ascii_case(svc))
            }
            None => true,
        };
        let resource_ok = resource.as_deref().is_none_or(|r| r == d);
        service_ok && resource_ok
    };
    if all {
        // The whole table streams batch by batch (analysis::effective_streamed).
        let mut w = AccessWriter::new(format);
        let written = analysis::effective_streamed(
            &org,
            &|a, d| keep("", a, d),
            analysis::batch_size(),
            analysis::threads(),
            &mut |batch| match batch {
                analysis::Batch::Rows(rows) => w.rows(rows, out),
                analysis::Batch::Stamped(rows) => w.rows(rows, out),
            },
        )
        .and_then(|()| w.finish(out));
        // (A reader that stopped, `| head`, ends the run quietly: see `CliError::from`.)
        written?;
        return Ok(EXIT_OK);
    }
    // One principal: its own access, and that of every role it reaches through a chain.
    let me = find_source(&org, principal.unwrap_or_default())?;
    let forward = chains::Chains::forward(&org, &me);
    let chained = forward.reachable_refs(&me);
    let mut list = vec![me.clone()];
    list.extend(
        chained
            .keys()
            .filter(|r| **r != me.as_str())
            .map(|r| r.to_string()),
    );
    let source: analysis::Text = me.as_str().into();
    // Its own rows as they are; a role's rows as reached through the chain to it.
    let as_reached = |rows: Vec<AccessRow>| -> Vec<AccessRow> {
        let mut out = Vec::with_capacity(rows.len());
        let mut granters: BTreeMap<&str, (analysis::Text, ChainLimits)> = BTreeMap::new();
        for r in rows {
            if *r.source == *me {
                out.push(r);
            } else if &*r.policy != facts::IMPLICIT_POLICY {
                if let Some((role, chain)) = chained.get_key_value(&*r.source) {
                    let (granter, limits) = granters
                        .entry(role)
                        .or_insert_with(|| (chains::chain_text(chain).into(), chain_limits(chain)));
                    out.push(via_chain(&r, &source, limits, granter));
                }
            }
        }
        out
    };
    // One run for a few sources; a principal that reaches thousands of roles (an org's
    // management role) is asked in batches, as `--all` is.
    let mut rows = if list.len() <= analysis::batch_size() {
        let question = Question {
            sources: Sources::Only(list),
            points: Points::All,
            context: iamlog_ingest::aws::facts::Context::Static,
        };
        as_reached(analysis::effective_rows(
            &analysis::ask(&org, &question),
            &keep,
        ))
    } else {
        progress::phase(&format!("asking {} principals", list.len()));
        let rows = analysis::rows_in_batches(
            &org,
            &list,
            &keep,
            analysis::batch_size(),
            analysis::threads(),
            &as_reached,
        );
        progress::done();
        rows
    };
    rows.sort();
    rows.dedup();
    write_access(&rows, format, out)?;
    if format == Format::Table {
        let mut by_service: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut actions_seen = std::collections::BTreeSet::new();
        for r in &rows {
            let svc = r.action.split(':').next().unwrap_or("*").to_string();
            let e = by_service.entry(svc).or_default();
            e.1 += 1;
            if actions_seen.insert(r.action.clone()) {
                e.0 += 1;
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "summary: {} rows, {} services",
            rows.len(),
            by_service.len()
        )?;
        for (svc, (actions, n)) in &by_service {
            writeln!(out, "  {svc}: {actions} actions, {n} rows")?;
        }
    }
    Ok(EXIT_OK)
}

/// Parses `KEY=VALUE` context arguments; repeated keys collect several values.
pub fn parse_context(items: &[String]) -> Result<BTreeMap<String, Vec<String>>, CliError> {
    let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in items {
        let (k, v) = item.split_once('=').ok_or_else(|| {
            CliError(format!(
                "`--context {item}`: expected KEY=VALUE, e.g. aws:SourceIp=10.0.0.1"
            ))
        })?;
        ctx.entry(k.trim().to_ascii_lowercase())
            .or_default()
            .push(v.to_string());
    }
    Ok(ctx)
}

#[allow(clippy::too_many_arguments)]
fn explain_one(
    args: &OrgArgs,
    principal: &str,
    action: &str,
    resource: &str,
    context: &[String],
    resource_account: Option<String>,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let ctx = parse_context(context)?;
    let org = load(args, err)?;
    let point = RequestPoint {
        source: find_source(&org, principal)?,
        action: action.to_string(),
        resource: resource.to_string(),
        resource_account,
    };
    let ctx = with_session(principal, ctx);
    let ex = analysis::explain_request(&org, &point, &ctx);
    print_decision(Some(&ex), format, out)
}

/// Prints one decision as `explain` and `simulate` do: text layer by layer, or JSON.
pub fn print_decision(ex: Option<&Explanation>, format: Format, out: &mut dyn Write) -> CmdResult {
    let Some(ex) = ex else {
        return Err(CliError("no decision was produced".to_string()));
    };
    match format {
        Format::Json | Format::Jsonl => {
            serde_json::to_writer_pretty(&mut *out, &ExplanationJson::from(ex))?;
            writeln!(out)?;
        }
        // The row `explain --requests --format csv` prints, its `line` empty.
        Format::Csv => {
            let mut buf = DECISION_COLUMNS.as_bytes().to_vec();
            decision_row(None, ex, &mut buf);
            out.write_all(&buf)?;
        }
        Format::Table => write_explanation(ex, out)?,
    }
    Ok(EXIT_OK)
}

/// One statement in an explanation's JSON.
#[derive(serde::Serialize)]
struct StatementJson<'a> {
    policy: &'a str,
    policy_kind: &'a str,
    statement: &'a str,
    sid: Option<&'a str>,
    granter: Option<&'a str>,
    condition: Option<&'a str>,
}

impl<'a> From<&'a analysis::StatementRef> for StatementJson<'a> {
    fn from(s: &'a analysis::StatementRef) -> Self {
        StatementJson {
            policy: &s.policy,
            policy_kind: &s.kind,
            statement: &s.statement,
            sid: s.sid.as_deref(),
            granter: s.granter.as_deref(),
            condition: s.condition.as_deref(),
        }
    }
}

fn statements_json(v: &[analysis::StatementRef]) -> Vec<StatementJson<'_>> {
    v.iter().map(StatementJson::from).collect()
}

/// A layer that gives only its result.
#[derive(serde::Serialize)]
struct ResultJson {
    result: &'static str,
}

/// A layer's result and the statements that decided it.
#[derive(serde::Serialize)]
struct StatementsLayerJson<'a> {
    result: &'static str,
    statements: Vec<StatementJson<'a>>,
}

/// A layer's result, its policy and the statements that decided it.
#[derive(serde::Serialize)]
struct PolicyLayerJson<'a> {
    result: &'static str,
    policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statements: Option<Vec<StatementJson<'a>>>,
}

#[derive(serde::Serialize)]
struct ScpLevelJson<'a> {
    target: &'a str,
    allows: bool,
}

#[derive(serde::Serialize)]
struct ScpLayerJson<'a> {
    result: &'static str,
    levels: Vec<ScpLevelJson<'a>>,
}

#[derive(serde::Serialize)]
struct LayersJson<'a> {
    explicit_deny: StatementsLayerJson<'a>,
    identity: StatementsLayerJson<'a>,
    rcp: ResultJson,
    scp: ScpLayerJson<'a>,
    permission_boundary: PolicyLayerJson<'a>,
    resource: PolicyLayerJson<'a>,
    session: PolicyLayerJson<'a>,
    s3_block_public_access: ResultJson,
}

/// The JSON form of an explanation (the `explain --format json` and `--requests` contract),
/// field by field in the order it is written.
#[derive(serde::Serialize)]
pub struct ExplanationJson<'a> {
    decision: &'static str,
    principal: &'a str,
    action: &'a str,
    resource: &'a str,
    always_allowed: bool,
    layers: LayersJson<'a>,
}

impl<'a> From<&'a Explanation> for ExplanationJson<'a> {
    fn from(ex: &'a Explanation) -> Self {
        let mut j = ExplanationJson::head(ex);
        let l = &mut j.layers;
        l.explicit_deny.statements = statements_json(&ex.denies);
        l.identity.statements = statements_json(&ex.identity_allows);
        l.permission_boundary.statements = Some(statements_json(&ex.boundary_allows));
        l.resource.statements = Some(statements_json(&ex.resource_allows));
        j
    }
}

impl<'a> ExplanationJson<'a> {
    /// Every field but the statement lists, which are left empty.
    fn head(ex: &'a Explanation) -> Self {
        let deny_result = ex.deny_result();
        ExplanationJson {
            decision: ex.decision.as_str(),
            principal: &ex.principal,
            action: &ex.action,
            resource: &ex.resource,
            always_allowed: ex.always_allowed,
            layers: LayersJson {
                explicit_deny: StatementsLayerJson {
                    result: deny_result,
                    statements: Vec::new(),
                },
                identity: StatementsLayerJson {
                    result: ex.identity_result(),
                    statements: Vec::new(),
                },
                rcp: ResultJson {
                    result: ex.rcp_result(),
                },
                scp: ScpLayerJson {
                    result: ex.scp_result(),
                    levels: ex
                        .scp_levels
                        .iter()
                        .map(|(l, ok)| ScpLevelJson {
                            target: l,
                            allows: *ok,
                        })
                        .collect(),
                },
                permission_boundary: PolicyLayerJson {
                    result: ex.boundary_result(),
                    policy: ex.boundary.as_deref(),
                    statements: Some(Vec::new()),
                },
                resource: PolicyLayerJson {
                    result: ex.resource_result(),
                    policy: ex.resource_policy.as_deref(),
                    statements: Some(Vec::new()),
                },
                session: PolicyLayerJson {
                    result: ex.session_result(),
                    policy: ex.session_policy.as_deref(),
                    statements: None,
                },
                s3_block_public_access: ResultJson {
                    result: if ex.bpa_blocked {
                        "ExplicitlyDenied"
                    } else {
                        "NotApplicable"
                    },
                },
            },
        }
    }
}

/// One explanation as a line of JSON (with its newline), appended to `buf`: the bytes
/// serde_json writes for [`ExplanationJson`] (a test compares them), written field by field as
/// [`access_json`] writes access rows (30,000 explanations are 30 MB). Each statement's object
/// is written once per thread while its strings live ([`StatementMemo`]) and copied after.
pub fn explanation_line(ex: &Explanation, buf: &mut Vec<u8>) -> serde_json::Result<()> {
    STATEMENT_JSON
        .with_borrow_mut(|memo| explanation_json(buf, &ExplanationJson::head(ex), ex, memo))?;
    buf.push(b'\n');
    Ok(())
}

/// The JSON objects of the statements an explanation names, written once and copied after:
/// the requests of a run name the same statements over and over. A statement is known by the
/// addresses of its shared strings ([`analysis::Text`]); the memo keeps a copy of each, so an
/// address it holds is never another string's. Cleared past [`STATEMENT_MEMO_SIZE`] entries.
#[derive(Default)]
struct StatementMemo {
    at: rustc_hash::FxHashMap<[usize; 6], (analysis::StatementRef, std::ops::Range<usize>)>,
    bytes: Vec<u8>,
}

/// The most statements [`StatementMemo`] keeps (each run makes its statements' strings anew).
const STATEMENT_MEMO_SIZE: usize = 4096;

thread_local! {
    static STATEMENT_JSON: std::cell::RefCell<StatementMemo> =
        std::cell::RefCell::new(StatementMemo::default());
}

impl StatementMemo {
    /// Appends the JSON object of `st` to `buf`.
    fn write(&mut self, buf: &mut Vec<u8>, st: &analysis::StatementRef) -> serde_json::Result<()> {
        let addr = |t: &analysis::Text| t.as_ptr() as usize;
        let key = [
            addr(&st.policy),
            addr(&st.kind),
            addr(&st.statement),
            st.sid.as_ref().map_or(0, addr),
            st.granter.as_ref().map_or(0, addr),
            st.condition.as_ref().map_or(0, addr),
        ];
        if let Some(bytes) = self
            .at
            .get(&key)
            .and_then(|(_, range)| self.bytes.get(range.clone()))
        {
            buf.extend_from_slice(bytes);
            return Ok(());
        }
        let start = buf.len();
        statement_json(buf, &StatementJson::from(st))?;
        if self.at.len() >= STATEMENT_MEMO_SIZE {
            self.at.clear();
            self.bytes.clear();
        }
        let written = buf.get(start..).unwrap_or_default();
        let range = self.bytes.len()..self.bytes.len() + written.len();
        self.bytes.extend_from_slice(written);
        self.at.insert(key, (st.clone(), range));
        Ok(())
    }
}

/// The JSON of explanation `ex`: every field as `e` (its [`ExplanationJson::head`]) gives it
/// but the statement lists, written from `ex`'s statements through `memo`.
fn explanation_json(
    buf: &mut Vec<u8>,
    e: &ExplanationJson<'_>,
    ex: &Explanation,
    memo: &mut StatementMemo,
) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"decision\":");
    json_string(buf, e.decision)?;
    buf.extend_from_slice(b",\"principal\":");
    json_string(buf, e.principal)?;
    buf.extend_from_slice(b",\"action\":");
    json_string(buf, e.action)?;
    buf.extend_from_slice(b",\"resource\":");
    json_string(buf, e.resource)?;
    buf.extend_from_slice(if e.always_allowed {
        b",\"always_allowed\":true"
    } else {
        b",\"always_allowed\":false"
    });
    let l = &e.layers;
    let mut list = |buf: &mut Vec<u8>, sts: &[analysis::StatementRef]| {
        buf.push(b'[');
        for (i, st) in sts.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            memo.write(buf, st)?;
        }
        buf.push(b']');
        Ok::<(), serde_json::Error>(())
    };
    buf.extend_from_slice(b",\"layers\":{\"explicit_deny\":{\"result\":");
    json_string(buf, l.explicit_deny.result)?;
    buf.extend_from_slice(b",\"statements\":");
    list(buf, &ex.denies)?;
    buf.extend_from_slice(b"},\"identity\":{\"result\":");
    json_string(buf, l.identity.result)?;
    buf.extend_from_slice(b",\"statements\":");
    list(buf, &ex.identity_allows)?;
    buf.extend_from_slice(b"},\"rcp\":");
    result_json(buf, &l.rcp)?;
    buf.extend_from_slice(b",\"scp\":{\"result\":");
    json_string(buf, l.scp.result)?;
    buf.extend_from_slice(b",\"levels\":[");
    for (i, level) in l.scp.levels.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"target\":");
        json_string(buf, level.target)?;
        buf.extend_from_slice(if level.allows {
            b",\"allows\":true}"
        } else {
            b",\"allows\":false}"
        });
    }
    buf.extend_from_slice(b"]},\"permission_boundary\":");
    policy_layer_json(buf, &l.permission_boundary, |buf| {
        list(buf, &ex.boundary_allows)
    })?;
    buf.extend_from_slice(b",\"resource\":");
    policy_layer_json(buf, &l.resource, |buf| list(buf, &ex.resource_allows))?;
    buf.extend_from_slice(b",\"session\":");
    policy_layer_json(buf, &l.session, |buf| list(buf, &[]))?;
    buf.extend_from_slice(b",\"s3_block_public_access\":");
    result_json(buf, &l.s3_block_public_access)?;
    buf.extend_from_slice(b"}}");
    Ok(())
}

fn result_json(buf: &mut Vec<u8>, r: &ResultJson) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"result\":");
    json_string(buf, r.result)?;
    buf.push(b'}');
    Ok(())
}

fn statement_json(buf: &mut Vec<u8>, st: &StatementJson<'_>) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"policy\":");
    json_string(buf, st.policy)?;
    buf.extend_from_slice(b",\"policy_kind\":");
    json_string(buf, st.policy_kind)?;
    buf.extend_from_slice(b",\"statement\":");
    json_string(buf, st.statement)?;
    buf.extend_from_slice(b",\"sid\":");
    json_optional(buf, st.sid)?;
    buf.extend_from_slice(b",\"granter\":");
    json_optional(buf, st.granter)?;
    buf.extend_from_slice(b",\"condition\":");
    json_optional(buf, st.condition)?;
    buf.push(b'}');
    Ok(())
}

/// A layer's result, its policy and, where it lists them (`l.statements` is not `None`), its
/// statements (written by `statements`).
fn policy_layer_json(
    buf: &mut Vec<u8>,
    l: &PolicyLayerJson<'_>,
    mut statements: impl FnMut(&mut Vec<u8>) -> serde_json::Result<()>,
) -> serde_json::Result<()> {
    buf.extend_from_slice(b"{\"result\":");
    json_string(buf, l.result)?;
    buf.extend_from_slice(b",\"policy\":");
    json_optional(buf, l.policy)?;
    if l.statements.is_some() {
        buf.extend_from_slice(b",\"statements\":");
        statements(buf)?;
    }
    buf.push(b'}');
    Ok(())
}

fn write_statement(s: &analysis::StatementRef, out: &mut dyn Write) -> std::io::Result<()> {
    let sid = s
        .sid
        .as_deref()
        .map(|x| format!(" (Sid {x})"))
        .unwrap_or_default();
    let via = s
        .granter
        .as_deref()
        .map(|g| format!(" via {g}"))
        .unwrap_or_default();
    writeln!(out, "    - {}{sid}{via}", s.statement)?;
    if let Some(c) = &s.condition {
        writeln!(out, "      when {c}")?;
    }
    Ok(())
}

fn write_explanation(ex: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}", ex.decision.as_str())?;
    writeln!(out, "  principal: {}", ex.principal)?;
    writeln!(out, "  action:    {}", ex.action)?;
    writeln!(out, "  resource:  {}", ex.resource)?;
    if ex.always_allowed {
        writeln!(
            out,
            "  AWS allows this action to every authenticated principal; no policy can deny it."
        )?;
    }
    writeln!(
        out,
        "explicit deny: {}",
        if ex.denies.is_empty() {
            "none"
        } else {
            ex.deny_result()
        }
    )?;
    for s in &ex.denies {
        write_statement(s, out)?;
    }
    if !ex.scp_levels.is_empty() {
        writeln!(out, "service control policies: {}", ex.scp_result())?;
        for (level, allows) in &ex.scp_levels {
            let verdict = if *allows {
                "allows"
            } else {
                "no unconditional Allow"
            };
            writeln!(out, "    - {level}: {verdict}")?;
        }
    }
    writeln!(out, "identity policies: {}", ex.identity_result())?;
    for s in &ex.identity_allows {
        write_statement(s, out)?;
    }
    match &ex.boundary {
        None => writeln!(out, "permissions boundary: none")?,
        Some(b) => {
            writeln!(out, "permissions boundary: {} ({b})", ex.boundary_result())?;
            for s in &ex.boundary_allows {
                write_statement(s, out)?;
            }
        }
    }
    match &ex.resource_policy {
        None => writeln!(out, "resource-based policy: none")?,
        Some(p) => {
            writeln!(out, "resource-based policy: {} ({p})", ex.resource_result())?;
            for s in &ex.resource_allows {
                write_statement(s, out)?;
            }
        }
    }
    if let Some(p) = &ex.session_policy {
        writeln!(out, "session policy: {} ({p})", ex.session_result())?;
    }
    if ex.bpa_blocked {
        writeln!(
            out,
            "S3 Block Public Access: ExplicitlyDenied (RestrictPublicBuckets on a public bucket policy; the caller is outside the bucket owner's account)"
        )?;
    }
    Ok(())
}

/// One line of a requests file.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestLine {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    resource_account: Option<String>,
    #[serde(default)]
    context: LineContext,
}

/// The context of a request line, its keys lowercased as they are read. Keys are
/// case-insensitive: a key given twice is an error.
#[derive(Debug, Default)]
struct LineContext(BTreeMap<String, Vec<String>>);

impl<'de> serde::Deserialize<'de> for LineContext {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// A key, lowercased from the text serde reads (no copy of its own spelling).
        struct LowerKey(String);
        impl<'de> serde::Deserialize<'de> for LowerKey {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit;
                impl serde::de::Visitor<'_> for Visit {
                    type Value = LowerKey;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a context key")
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LowerKey, E> {
                        Ok(LowerKey(v.to_ascii_lowercase()))
                    }
                }
                d.deserialize_str(Visit)
            }
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = LineContext;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of context keys")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LineContext, A::Error> {
                use std::collections::btree_map::Entry;
                let mut out = BTreeMap::new();
                while let Some(LowerKey(key)) = map.next_key()? {
                    let ContextValue(value) = map.next_value()?;
                    match out.entry(key) {
                        Entry::Vacant(e) => {
                            e.insert(value);
                        }
                        Entry::Occupied(e) => {
                            return Err(serde::de::Error::custom(format!(
                                "context key `{}` is given twice (keys are case-insensitive)",
                                e.key()
                            )))
                        }
                    }
                }
                Ok(LineContext(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A context value of a request line: a string, a list of strings, a boolean or a number, as
/// the strings conditions compare (a number as JSON writes it).
#[derive(Debug)]
struct ContextValue(Vec<String>);

impl<'de> serde::Deserialize<'de> for ContextValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ContextValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a list of strings, a boolean or a number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ContextValue, E> {
                Ok(ContextValue(vec![v.to_string()]))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<ContextValue, E> {
                Ok(ContextValue(vec![v]))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ContextValue, E> {
                Ok(ContextValue(vec![v.to_string()]))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ContextValue, E> {
                Ok(ContextValue(vec![v.to_string()]))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ContextValue, E> {
                Ok(ContextValue(vec![v.to_string()]))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ContextValue, E> {
                // As serde_json writes the number.
                match serde_json::Number::from_f64(v) {
                    Some(n) => Ok(ContextValue(vec![n.to_string()])),
                    None => Err(E::custom("a number that is not finite")),
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ContextValue, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(ContextValue(out))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Request lines parsed per chunk in `explain --requests`.
const REQUEST_CHUNK: usize = 1024;

/// A parsed request line: its index in the file, the request, its context (lowercased keys).
type ParsedRequest = (usize, RequestLine, BTreeMap<String, Vec<String>>);

/// Parses request lines (line index, text): each with its context's keys lowercased and the
/// session name of a session principal added. The first bad line is the error.
fn parse_request_lines(
    lines: &[(usize, &str)],
    file: &Path,
) -> Result<Vec<ParsedRequest>, CliError> {
    let mut out = Vec::with_capacity(lines.len());
    for &(n, line) in lines {
        let mut req: RequestLine = serde_json::from_str(line).map_err(|e| {
            CliError(format!(
                "{}:{}:{}: invalid request: {e}",
                file.display(),
                n + 1,
                e.column()
            ))
        })?;
        let ctx = with_session(&req.principal, std::mem::take(&mut req.context.0));
        out.push((n, req, ctx));
    }
    Ok(out)
}

/// A request of `explain --requests` named by its source: (its line number, 1-based; the
/// request and its context).
type Gathered = (usize, (RequestPoint, BTreeMap<String, Vec<String>>));

/// `explain --requests` frees at least this many requests on a thread of their own.
const FREE_REQUESTS_ASIDE: usize = 4096;

/// The columns of `explain --requests --format csv`: the request's line in the file, the
/// request, its decision and each layer's result (the `result` fields of the JSON lines).
const DECISION_COLUMNS: &str = "line,principal,action,resource,decision,explicit_deny,identity,\
rcp,scp,permission_boundary,resource_policy,session,s3_block_public_access\n";

/// One explanation as a CSV row of [`DECISION_COLUMNS`] (with its newline), appended to `buf`;
/// `line` empty when the request is not a line of a file.
pub fn decision_row(line: Option<usize>, ex: &Explanation, buf: &mut Vec<u8>) {
    let j = ExplanationJson::head(ex);
    let l = &j.layers;
    if let Some(n) = line {
        buf.extend_from_slice(n.to_string().as_bytes());
    }
    for cell in [j.principal, j.action, j.resource] {
        buf.push(b',');
        output::csv_cell_into(buf, cell);
    }
    // (Results are fixed words: never quoted.)
    for result in [
        j.decision,
        l.explicit_deny.result,
        l.identity.result,
        l.rcp.result,
        l.scp.result,
        l.permission_boundary.result,
        l.resource.result,
        l.session.result,
        l.s3_block_public_access.result,
    ] {
        buf.push(b',');
        buf.extend_from_slice(result.as_bytes());
    }
    buf.push(b'\n');
}

fn explain_requests(
    args: &OrgArgs,
    file: &Path,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError(format!("{}: cannot read: {e}", file.display())))?;
    // The lines are parsed in chunks, by another core while this one reads the exports, then
    // by both. (An error in the exports is still the one reported first, then the first bad
    // line.)
    let all: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let chunks: Vec<&[(usize, &str)]> = all.chunks(REQUEST_CHUNK).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parse_chunks = || -> Vec<(usize, Result<Vec<ParsedRequest>, CliError>)> {
        let mut done = Vec::new();
        loop {
            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(chunk) = chunks.get(c) else {
                break;
            };
            done.push((c, parse_request_lines(chunk, file)));
        }
        done
    };
    let (org, mut parsed) = std::thread::scope(|scope| {
        let other = scope.spawn(parse_chunks);
        let org = load(args, err);
        let mut parsed = parse_chunks();
        parsed.extend(
            other
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        );
        (org, parsed)
    });
    parsed.sort_by_key(|(c, _)| *c);
    let lines: Result<Vec<Vec<ParsedRequest>>, CliError> =
        parsed.into_iter().map(|(_, r)| r).collect();
    let org = org?;
    let mut lines = lines?;
    // The file's text is not needed past parsing: its memory is used again for what follows
    // (rather than new pages touched while it sits unused).
    drop(chunks);
    drop(all);
    drop(text);
    // Each chunk's requests named by their sources, the chunks in two halves on two threads
    // (the first bad line of the first half with one is the error).
    let convert = |chunks: Vec<Vec<ParsedRequest>>| -> Result<Vec<Gathered>, CliError> {
        // Requests name few principals: each is found once.
        let mut sources: rustc_hash::FxHashMap<String, String> = rustc_hash::FxHashMap::default();
        let mut out = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
        for (n, req, ctx) in chunks.into_iter().flatten() {
            let source = match sources.get(&req.principal) {
                Some(s) => s.clone(),
                None => {
                    let s = find_source(&org, &req.principal)
                        .map_err(|e| CliError(format!("{}:{}: {}", file.display(), n + 1, e.0)))?;
                    sources.insert(req.principal, s.clone());
                    s
                }
            };
            let point = RequestPoint {
                source,
                action: req.action,
                resource: req.resource,
                resource_account: req.resource_account,
            };
            out.push((n + 1, (point, ctx)));
        }
        Ok(out)
    };
    let second = lines.split_off(if analysis::threads() >= 2 {
        lines.len() / 2
    } else {
        lines.len()
    });
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| convert(second));
        let first = convert(lines);
        let second = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (first, second)
    });
    let (first, second) = (first?, second?);
    // Each request's line number in the file (1-based), for the CSV rows.
    let mut line_numbers: Vec<usize> = Vec::with_capacity(first.len() + second.len());
    let mut requests = Vec::with_capacity(first.len() + second.len());
    for (n, request) in first.into_iter().chain(second) {
        line_numbers.push(n);
        requests.push(request);
    }
    // Each answer becomes its JSON line or CSV row on the thread that decided it, in the run's
    // buffer (a JSON line does not depend on the request's index: a copy shares its bytes).
    let csv = format == Format::Csv;
    let text =
        analysis::explain_many_bytes(&org, &requests, analysis::threads(), !csv, &|i, ex, buf| {
            if csv {
                decision_row(line_numbers.get(i).copied(), ex, buf);
                Ok(())
            } else {
                explanation_line(ex, buf).map_err(std::io::Error::from)
            }
        })?;
    // 30,000 requests with their contexts take 15 ms to free: not while the answers wait.
    if requests.len() >= FREE_REQUESTS_ASIDE {
        analysis::free_aside(requests);
    }
    if csv {
        out.write_all(DECISION_COLUMNS.as_bytes())?;
    }
    text.write_to(out)?;
    Ok(EXIT_OK)
}

fn rules(relations: bool, format: Format, out: &mut dyn Write) -> CmdResult {
    if !relations {
        return rulecmds::list_rules(format, out);
    }
    let mut rows = Rows::new(&["relation", "kind", "columns", "doc"]);
    for r in SCHEMA {
        let kind = match r.kind {
            RelationKind::Input => "input",
            RelationKind::Derived => "derived",
        };
        let cols: Vec<Value> = r
            .columns
            .iter()
            .map(|(n, t)| json!({"name": n, "type": t.dl_name()}))
            .collect();
        let doc = r.doc.trim();
        let meaning = doc.split_once("): ").map_or(doc, |(_, m)| m);
        rows.push(vec![
            text(r.name),
            text(kind),
            (r.signature(), Value::Array(cols)),
            text(meaning),
        ]);
    }
    rows.write(format, out)?;
    Ok(EXIT_OK)
}

fn write_facts(args: &OrgArgs, dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> CmdResult {
    let org = load(args, err)?;
    let answer = analysis::ask(&org, &Question::whole_org());
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError(format!("{}: cannot create: {e}", dir.display())))?;
    let mut written = 0usize;
    for r in SCHEMA.iter().filter(|r| r.kind == RelationKind::Input) {
        let rows = answer.facts.rows(r.name).unwrap_or_default();
        let lines = canonical::render_tsv(&rows, &answer.facts.interner);
        let path = dir.join(format!("{}.facts", r.name));
        let mut body = lines.join("\n");
        if !body.is_empty() {
            body.push('\n');
        }
        std::fs::write(&path, body)
            .map_err(|e| CliError(format!("{}: cannot write: {e}", path.display())))?;
        written += 1;
    }
    writeln!(out, "wrote {written} relations to {}", dir.display())?;
    Ok(EXIT_OK)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// Many rows are written in two halves on two threads: the bytes are those of one writer
    /// (CSV: one header; JSON lines; JSON, written in one piece).
    #[test]
    fn many_access_rows_are_written_as_one_writer_writes_them() {
        let rows: Vec<AccessRow> = (0..PARALLEL_WRITE + 3)
            .map(|i| AccessRow {
                source: format!("arn:aws:iam::1:role/r{i}").into(),
                action: "s3:GetObject".into(),
                destination: format!("arn:aws:s3:::b/{i},\"k\"").into(),
                policy: "p".into(),
                granter: format!("via arn:aws:iam::1:role/r{}", i + 1).into(),
                condition: (i % 3 == 0).then(|| "aws:SourceIp in [\"10.0.0.0/8\"]".into()),
                caveats: vec![("deny".into(), (i % 2 == 0).then(|| "c".into()))],
            })
            .collect();
        for format in [Format::Csv, Format::Jsonl, Format::Json] {
            let mut one = Vec::new();
            let mut w = AccessWriter::new(format);
            w.rows(&rows, &mut one).unwrap();
            w.finish(&mut one).unwrap();
            let mut both = Vec::new();
            write_access(&rows, format, &mut both).unwrap();
            assert!(one == both, "{format:?}");
            let lines = one.iter().filter(|&&b| b == b'\n').count();
            assert!(lines >= rows.len(), "{format:?}: {lines} lines");
        }
    }

    /// CSV rows keep, from one row to the next, whether a cell at the same address needed
    /// quoting, and each distinct list of caveats' cell: the bytes are those of quoting every
    /// cell of every row on its own.
    #[test]
    fn csv_rows_are_every_cell_quoted_on_its_own() {
        let t = |s: &str| analysis::Text::from(s);
        // Shared strings, some of which need quoting, in consecutive rows and columns.
        let (plain, comma, quote) = (t("arn:aws:iam::1:role/a"), t("a,b"), t("say \"hi\""));
        let c1: Caveat = (t("deny"), Some(t("StringEquals k in [\"v\"]")));
        let c2: Caveat = (t("boundary"), None);
        // The same text as c1, in other strings: another entry of the memo, the same cell.
        let c1_again: Caveat = (t("deny"), Some(t("StringEquals k in [\"v\"]")));
        let caveat_lists = [
            vec![],
            vec![c1.clone()],
            vec![c1.clone(), c2.clone()],
            vec![c2.clone(), c1.clone()],
            vec![c1_again],
            vec![c2],
            vec![c1],
        ];
        let texts = [plain.clone(), comma, quote, plain, t("-"), t("")];
        let rows: Vec<AccessRow> = (0..60)
            .map(|i| AccessRow {
                source: texts[i % texts.len()].clone(),
                action: texts[(i / 2) % texts.len()].clone(),
                destination: texts[(i / 3) % texts.len()].clone(),
                policy: texts[(i / 5) % texts.len()].clone(),
                granter: texts[(i * 7) % texts.len()].clone(),
                condition: (i % 4 != 0).then(|| texts[(i / 4) % texts.len()].clone()),
                caveats: caveat_lists[(i * 5) % caveat_lists.len()].clone(),
            })
            .collect();
        let mut want = format!("{}\n", ACCESS_COLUMNS.join(",")).into_bytes();
        for r in &rows {
            let mut caveats = String::new();
            caveat_text_into(&mut caveats, r);
            let cells = [
                &*r.source,
                &*r.action,
                &*r.destination,
                &*r.policy,
                &*r.granter,
                r.condition.as_deref().unwrap_or("-"),
                &caveats,
            ];
            let line: Vec<String> = cells.iter().map(|c| output::csv_cell(c)).collect();
            want.extend_from_slice(line.join(",").as_bytes());
            want.push(b'\n');
        }
        let mut got = Vec::new();
        write_access(&rows, Format::Csv, &mut got).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn explanation_lines_are_what_serde_writes() {
        let st = |policy: &str, sid: Option<&str>, granter: Option<&str>, c: Option<&str>| {
            analysis::StatementRef {
                policy: policy.into(),
                kind: "inline".into(),
                statement: format!("{policy}#0").into(),
                sid: sid.map(Into::into),
                granter: granter.map(Into::into),
                condition: c.map(Into::into),
            }
        };
        let base = analysis::Explanation {
            principal: "arn:aws:iam::1:user/a".to_string(),
            action: "s3:GetObject".to_string(),
            resource: "arn:aws:s3:::b/k".to_string(),
            decision: analysis::Decision::ImplicitlyDenied,
            identity_allows: Vec::new(),
            denies: Vec::new(),
            boundary: None,
            boundary_allows: Vec::new(),
            always_allowed: false,
            scp_levels: Vec::new(),
            scp_blocked: false,
            resource_policy: None,
            resource_allows: Vec::new(),
            resource_direct: false,
            resource_denies_direct: false,
            resource_denies_account: false,
            bpa_blocked: false,
            session_policy: None,
            session_permits: false,
        };
        let mut all = vec![base.clone()];
        let mut full = base;
        full.decision = analysis::Decision::Allowed;
        full.resource = "arn:aws:s3:::b/a \"quoted\" \\ back\tslash \u{1} é ☃".to_string();
        full.identity_allows = vec![
            st("p1", Some("Sid1"), Some("arn:aws:iam::1:group/g"), None),
            st(
                "p2",
                None,
                None,
                Some("StringEquals aws:SourceIp in [\"10.0.0.1\"]"),
            ),
        ];
        full.denies = vec![st("d", None, Some("g"), None)];
        full.boundary = Some("arn:aws:iam::1:policy/b".to_string());
        full.boundary_allows = vec![st("b", Some("B"), None, None)];
        full.always_allowed = true;
        full.scp_levels = vec![("r-root".to_string(), true), ("ou-1".to_string(), false)];
        full.scp_blocked = true;
        full.resource_policy = Some("arn:aws:s3:::b#bucket-policy".to_string());
        full.resource_allows = vec![st("rp", None, None, Some("c"))];
        // The same statement (its strings shared) twice in one line, and in the lines after:
        // written once, then copied from the memo, escapes included.
        full.resource_allows.push(full.identity_allows[1].clone());
        full.bpa_blocked = true;
        full.session_policy = Some("session".to_string());
        full.session_permits = true;
        all.push(full.clone());
        full.always_allowed = false;
        full.denies.clear();
        full.scp_levels.truncate(1);
        all.push(full);
        for ex in &all {
            let mut mine = Vec::new();
            explanation_line(ex, &mut mine).unwrap();
            let mut serde = serde_json::to_vec(&ExplanationJson::from(ex)).unwrap();
            serde.push(b'\n');
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }

    #[test]
    fn needs_escape_agrees_with_a_byte_scan() {
        let naive = |s: &[u8]| s.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        // Every byte value at every position of strings of 1 to 19 bytes, around clean text.
        for len in 1..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    assert_eq!(needs_escape(&s), naive(&s), "{s:?}");
                    s[at] = b'~';
                    s.iter_mut().for_each(|x| *x = x.wrapping_add(b));
                    assert_eq!(needs_escape(&s), naive(&s), "{s:?}");
                }
            }
        }
        assert!(!needs_escape(b"arn:aws:iam::123456789012:role/a-b_c"));
        assert!(needs_escape("caf\u{e9}\"".as_bytes()));
    }

    #[test]
    fn access_json_is_what_serde_writes() {
        let t = |s: &str| analysis::Text::from(s);
        let odd = "a \"quoted\" \\ back\tslash\n\u{1} é ∀ </script>";
        let rows = [
            AccessRow {
                source: t("arn:aws:iam::1:user/a"),
                action: t("s3:GetObject"),
                destination: t("arn:aws:s3:::b/*"),
                policy: t("arn:aws:iam::1:user/a#inline/p"),
                granter: t("arn:aws:iam::1:user/a"),
                condition: None,
                caveats: vec![],
            },
            AccessRow {
                source: t(odd),
                action: t(odd),
                destination: t(odd),
                policy: t(odd),
                granter: t(odd),
                condition: Some(t(odd)),
                caveats: vec![
                    (t(odd), None),
                    (t("p2"), Some(t(odd))),
                    (t("p3"), Some(t("c"))),
                ],
            },
        ];
        // Rows in a sequence that shares strings and changes one field at a time: the memo
        // must write each row as serde does.
        let (a, b, p, g) = (t("arn:aws:iam::1:user/a"), t(odd), t("p"), t("g"));
        let (c1, c2) = (t("c1"), t("c2"));
        let row =
            |source: &analysis::Text,
             policy: &analysis::Text,
             condition: Option<&analysis::Text>,
             caveats: Vec<(analysis::Text, Option<analysis::Text>)>| AccessRow {
                source: source.clone(),
                action: t("s3:GetObject"),
                destination: t("*"),
                policy: policy.clone(),
                granter: g.clone(),
                condition: condition.cloned(),
                caveats,
            };
        let mut shared = vec![
            row(&a, &p, None, vec![]),
            row(&a, &p, None, vec![]),
            row(&a, &p, Some(&c1), vec![]),
            row(&a, &p, None, vec![(p.clone(), None)]),
            row(&a, &p, None, vec![(p.clone(), Some(c1.clone()))]),
            row(&a, &p, None, vec![(p.clone(), Some(c2.clone()))]),
            row(
                &a,
                &p,
                None,
                vec![(p.clone(), Some(c2.clone())), (g.clone(), None)],
            ),
            row(&a, &p, None, vec![(p.clone(), Some(c2.clone()))]),
            row(&b, &p, None, vec![(p.clone(), Some(c2.clone()))]),
            row(&b, &b, Some(&b), vec![(b.clone(), Some(b.clone()))]),
            row(&a, &b, Some(&c2), vec![]),
        ];
        // The same text in another allocation.
        shared.push(row(
            &t("arn:aws:iam::1:user/a"),
            &t("p"),
            Some(&t("c2")),
            vec![],
        ));
        let mut memo = JsonMemo::default();
        for r in &shared {
            let mut mine = Vec::new();
            access_json(&mut mine, r, &mut memo).unwrap();
            let serde = serde_json::to_vec(&AccessJson::new(r)).unwrap();
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
        for r in &rows {
            let mut mine = Vec::new();
            access_json(&mut mine, r, &mut JsonMemo::default()).unwrap();
            let serde = serde_json::to_vec(&AccessJson::new(r)).unwrap();
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                String::from_utf8(serde).unwrap()
            );
        }
    }
}
