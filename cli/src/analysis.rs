//! Glue between the libraries: load an org, put a question to the core rules, and read the
//! answer back as strings. No printing here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use iamlog_engine::{Derived, Facts, Sym};
use iamlog_ingest::aws::catalogue::Catalogue;
use iamlog_ingest::aws::facts::{
    self, Context, Points, Question, RequestPoint, SourceContext, Sources, TRUE_CONDITION,
};
use iamlog_ingest::aws::model::AwsOrg;
use iamlog_ingest::aws::profiles;
use iamlog_ingest::aws::request_keys::RequestKeys;
use iamlog_ingest::{IngestError, LoadedOrg};
use rustc_hash::{FxHashMap, FxHashSet};

/// A loaded org.
#[derive(Debug)]
pub struct Org {
    pub loaded: LoadedOrg,
}

impl Org {
    /// Loads every export under `dirs`.
    pub fn load(dirs: &[PathBuf]) -> Result<Org, IngestError> {
        Ok(Org {
            loaded: iamlog_ingest::load(dirs)?,
        })
    }

    /// Reads an org from a snapshot written by `iamlog ingest`.
    pub fn read_snapshot(file: &Path) -> Result<Org, IngestError> {
        Ok(Org {
            loaded: iamlog_ingest::snapshot::read(file)?,
        })
    }

    /// The AWS part of the org.
    pub fn aws(&self) -> &AwsOrg {
        &self.loaded.aws
    }
}

/// Drops `value` on a thread of its own, or here if no thread can be started (the closure, and
/// `value` with it, is then dropped by the failed spawn).
pub fn free_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(value));
}

/// Orgs with at least this many principals and resources are freed on a thread of their own.
const FREE_ASIDE: usize = 100_000;

impl Drop for Org {
    /// A large org is freed on another thread: its millions of small allocations take a
    /// noticeable time to free (about 0.13 s for the `large` synthetic org), which the command
    /// need not wait for. When the process exits first, the system reclaims the memory.
    fn drop(&mut self) {
        let aws = &self.loaded.aws;
        if aws.principals.len() + aws.resources.len() >= FREE_ASIDE {
            let loaded = std::mem::take(&mut self.loaded);
            free_aside(loaded);
        }
    }
}

/// The facts of a question and what the core rules derived from them.
#[derive(Debug)]
pub struct Answer {
    pub facts: Facts,
    pub derived: Derived,
}

impl Answer {
    /// The string behind an id.
    pub fn name(&self, sym: impl Into<Sym>) -> &str {
        self.facts.interner.resolve(sym)
    }

    /// The id of `s`, if the answer mentions it.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.facts.interner.get(s)
    }
}

/// Puts `question` to the core rules over `org`.
pub fn ask(org: &Org, question: &Question) -> Answer {
    crate::progress::phase("evaluating the rules");
    let answer = ask_quietly(org, question);
    crate::progress::done();
    answer
}

/// [`ask`] without progress.
pub(crate) fn ask_quietly(org: &Org, question: &Question) -> Answer {
    let facts = facts::build(org.aws(), question, Catalogue::embedded());
    let derived = iamlog_rules::run_core(&facts);
    Answer { facts, derived }
}

/// A request's context: lowercased keys and their values.
pub type RequestContext = BTreeMap<String, Vec<String>>;

/// A string of an access row, shared: a whole-org table repeats a few thousand distinct strings
/// over hundreds of thousands of rows, and stamping a twin's rows copies every field but one.
pub type Text = std::sync::Arc<str>;

/// A limit on a grant: the policy, and the condition under which it applies (`None`: it
/// applies to part of the access).
pub type Caveat = (Text, Option<Text>);

/// One row of net effective access, as strings. Rows are ordered field by field, in the order
/// of the fields (see the `Ord` impl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub source: Text,
    pub action: Text,
    pub destination: Text,
    pub policy: Text,
    pub granter: Text,
    /// `None` when unconditional.
    pub condition: Option<Text>,
    /// Limits on the grant: (policy, condition) of Denies that may apply or apply in part, and
    /// of a boundary that allows only under a condition or in part.
    pub caveats: Vec<Caveat>,
}

/// Two shared strings in order: the same string at once, without comparing its bytes (rows of
/// one question share their action, destination and most of their sources, policies and
/// caveats: sorting 42,000 rows compared the same ARNs byte by byte again and again).
fn text_cmp(a: &Text, b: &Text) -> std::cmp::Ordering {
    if std::sync::Arc::ptr_eq(a, b) {
        std::cmp::Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// [`text_cmp`] of optional strings (`None` first, as `Option`'s order).
fn opt_text_cmp(a: &Option<Text>, b: &Option<Text>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => text_cmp(a, b),
        _ => a.is_some().cmp(&b.is_some()),
    }
}

/// The order a derived `Ord` gives (field by field, caveats lexicographically), with shared
/// strings compared by address first ([`text_cmp`]).
impl Ord for AccessRow {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        text_cmp(&self.source, &other.source)
            .then_with(|| text_cmp(&self.action, &other.action))
            .then_with(|| text_cmp(&self.destination, &other.destination))
            .then_with(|| text_cmp(&self.policy, &other.policy))
            .then_with(|| text_cmp(&self.granter, &other.granter))
            .then_with(|| opt_text_cmp(&self.condition, &other.condition))
            .then_with(|| {
                for ((p, c), (q, d)) in self.caveats.iter().zip(&other.caveats) {
                    let o = text_cmp(p, q).then_with(|| opt_text_cmp(c, d));
                    if o.is_ne() {
                        return o;
                    }
                }
                self.caveats.len().cmp(&other.caveats.len())
            })
    }
}

impl PartialOrd for AccessRow {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Asks a question about some sources' points (`who-can`, a chain step) in `threads` runs at
/// once, each run about a contiguous part of the sources and their points: a source's answer
/// depends on its own policies and the org's, never on the other sources asked with it (as for
/// the batches of [`effective_streamed`]). Questions with fewer than `min_part` sources per
/// thread (the commands use [`MIN_PART`]), or about every source or point, are one run. Each
/// answer is turned by `f` on the thread that decided it; the results are in part order.
pub fn ask_in_parts<T: Send>(
    org: &Org,
    question: &Question,
    threads: usize,
    min_part: usize,
    f: &(dyn Fn(Answer) -> T + Sync),
) -> Vec<T> {
    let (Sources::Only(sources), Points::Only(points)) = (&question.sources, &question.points)
    else {
        return vec![f(ask(org, question))];
    };
    let parts = threads.min(sources.len() / min_part.max(1)).max(1);
    if parts == 1 {
        return vec![f(ask(org, question))];
    }
    crate::progress::phase(&format!("asking {} sources", sources.len()));
    let size = sources.len().div_ceil(parts);
    // One point per source, in the sources' order (`who-can`'s question): each part's points
    // are a slice, not looked up source by source.
    let aligned =
        points.len() == sources.len() && points.iter().zip(sources).all(|(p, s)| p.source == *s);
    let out = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(size)
            .enumerate()
            .map(|(i, part)| {
                scope.spawn(move || {
                    let part_points: Vec<RequestPoint> = if aligned {
                        points
                            .get(i * size..i * size + part.len())
                            .unwrap_or_default()
                            .to_vec()
                    } else {
                        let mine: HashSet<&str> = part.iter().map(String::as_str).collect();
                        points
                            .iter()
                            .filter(|p| mine.contains(p.source.as_str()))
                            .cloned()
                            .collect()
                    };
                    let part_question = Question {
                        sources: Sources::Only(part.to_vec()),
                        points: Points::Only(part_points),
                        context: question.context.clone(),
                    };
                    f(ask_quietly(org, &part_question))
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug: it propagates, never a partial answer.
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    crate::progress::done();
    out
}

/// The effective rows of a question about some sources' points, asked in parts
/// ([`ask_in_parts`]). Rows are in part order, each part's sorted; `keep` is
/// [`effective_rows`]'s.
pub fn effective_rows_split(
    org: &Org,
    question: &Question,
    threads: usize,
    min_part: usize,
    keep: &(dyn Fn(&str, &str, &str) -> bool + Sync),
) -> Vec<AccessRow> {
    ask_in_parts(org, question, threads, min_part, &|answer| {
        effective_rows(&answer, keep)
    })
    .into_iter()
    .flatten()
    .collect()
}

/// The fewest sources per run [`ask_in_parts`] splits a question into.
pub const MIN_PART: usize = 512;

/// The `effective` rows of an answer, as strings, sorted; `keep` filters on (source, action,
/// destination) before anything is rendered.
pub fn effective_rows(answer: &Answer, keep: &dyn Fn(&str, &str, &str) -> bool) -> Vec<AccessRow> {
    // Symbols are numbered densely in interning order, so per-symbol tables are vectors: each
    // distinct string is allocated once and rows share it.
    let symbols = answer.facts.interner.len();
    let mut texts: Vec<Option<Text>> = vec![None; symbols];
    let mut text = |s: Sym| -> Text {
        match texts.get_mut(s.0 as usize) {
            Some(slot) => slot
                .get_or_insert_with(|| Text::from(answer.name(s)))
                .clone(),
            None => Text::from(answer.name(s)),
        }
    };
    let mut caveats: FxHashMap<(Sym, Sym, Sym), Vec<Caveat>> = FxHashMap::default();
    for &(s, a, d, pol, c) in &answer.derived.effective_caveat {
        let cond = condition_text(answer.name(c)).map(|_| text(c.sym()));
        caveats
            .entry((s.sym(), a.sym(), d.sym()))
            .or_default()
            .push((text(pol.sym()), cond));
    }
    let kept: Vec<[Sym; 6]> = answer
        .derived
        .effective
        .iter()
        .filter(|(s, a, d, ..)| keep(answer.name(*s), answer.name(*a), answer.name(*d)))
        .map(|&(s, a, d, pol, g, c)| [s.sym(), a.sym(), d.sym(), pol.sym(), g.sym(), c.sym()])
        .collect();
    // Sort by the strings, through each symbol's rank in string order (one string sort of the
    // distinct symbols instead of string comparisons per row pair).
    // `rank` marks the symbols seen (0) before it holds their rank.
    let mut rank = vec![u32::MAX; symbols];
    let mut distinct: Vec<Sym> = Vec::new();
    for &s in kept.iter().flatten() {
        if let Some(slot @ &mut u32::MAX) = rank.get_mut(s.0 as usize) {
            *slot = 0;
            distinct.push(s);
        }
    }
    distinct.sort_unstable_by(|x, y| answer.name(*x).cmp(answer.name(*y)));
    for (i, s) in distinct.iter().enumerate() {
        if let Some(slot) = rank.get_mut(s.0 as usize) {
            *slot = u32::try_from(i).unwrap_or(u32::MAX);
        }
    }
    let rank_of = |s: Sym| rank.get(s.0 as usize).copied().unwrap_or(u32::MAX);
    let mut ranked: Vec<([u32; 6], [Sym; 6])> = kept
        .into_iter()
        .map(|row| (row.map(rank_of), row))
        .collect();
    ranked.sort_unstable_by_key(|x| x.0);
    ranked.dedup_by(|x, y| x.0 == y.0);
    // Each access's caveats are sorted once; rows of one access are adjacent, and the last
    // of them takes the list.
    for list in caveats.values_mut() {
        list.sort();
        list.dedup();
    }
    let mut rows = Vec::with_capacity(ranked.len());
    let mut ranked = ranked.into_iter().peekable();
    while let Some((_, [s, a, d, pol, g, c])) = ranked.next() {
        let key = (s, a, d);
        let last = ranked
            .peek()
            .is_none_or(|(_, next)| (next[0], next[1], next[2]) != key);
        let listed = if last {
            caveats.remove(&key)
        } else {
            caveats.get(&key).cloned()
        };
        rows.push(AccessRow {
            source: text(s),
            action: text(a),
            destination: text(d),
            policy: text(pol),
            granter: text(g),
            condition: condition_text(answer.name(c)).map(|_| text(c)),
            caveats: listed.unwrap_or_default(),
        });
    }
    rows
}

/// Every effective row of `sources` (all their points), asked `batch` sources at a time on
/// `threads` threads, each batch's rows turned by `f` on the thread that computed them; the
/// results in batch order. A source's rows do not depend on the sources asked with it (as
/// for [`effective_streamed`]), so a run's memory is bounded by the batch, not by the number
/// of sources (`what-can` of a principal that reaches thousands of roles).
pub fn rows_in_batches<T: Send>(
    org: &Org,
    sources: &[String],
    keep: &(dyn Fn(&str, &str, &str) -> bool + Sync),
    batch: usize,
    threads: usize,
    f: &(dyn Fn(Vec<AccessRow>) -> Vec<T> + Sync),
) -> Vec<T> {
    let batches: Vec<&[String]> = sources.chunks(batch.max(1)).collect();
    let rows_of = |part: &[String]| -> Vec<T> {
        let question = Question {
            sources: Sources::Only(part.to_vec()),
            points: Points::All,
            context: Context::Static,
        };
        f(effective_rows(&ask_quietly(org, &question), keep))
    };
    on_threads(&batches, threads, &|part| rows_of(part))
        .into_iter()
        .flatten()
        .collect()
}

/// `f` of every item on `threads` threads, each taking the next item not yet taken (items
/// differ much in cost); the results in item order. A panic in a worker is a bug: it
/// propagates, never a partial answer.
pub fn on_threads<I: Sync, R: Send>(
    items: &[I],
    threads: usize,
    f: &(dyn Fn(&I) -> R + Sync),
) -> Vec<R> {
    let threads = threads.min(items.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            break;
                        };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut done: Vec<(usize, R)> = done.into_iter().flatten().collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The number of sources a whole-org table is computed for at a time (`IAMLOG_BATCH`, else
/// [`DEFAULT_BATCH`]).
pub fn batch_size() -> usize {
    env_count("IAMLOG_BATCH").unwrap_or(DEFAULT_BATCH)
}

/// Sources per run of a streamed whole-org table. A run's index tables grow with its rows and
/// fall out of cache, while some of its work (planning the org's resource policies, expanding
/// action patterns) is per run: 32 was fastest on the `ape` org (median 1.18 s against 1.30 s
/// for 16, 1.38 s for 48, 1.62 s for 64) and on the whole medium table (237 s against 251 s for
/// 16), whose peak memory it raises from 1.34 to 1.65 GB.
pub const DEFAULT_BATCH: usize = 32;

/// A positive count from environment variable `name`, if set.
fn env_count(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
}

/// The whole org's effective access (`what-can --all`), computed `batch` sources at a time on
/// `threads` threads and handed to `sink` in order: memory holds the org and the rows of the
/// profiles still to be stamped, never the whole table (DESIGN.md §3: expand per principal
/// only when streaming output). Sources are taken in string order and each source's rows are
/// sorted, so the concatenation is the sorted table, the same for any batch size and thread
/// count (tests). An org with at most `batch` sources is one whole-org run.
///
/// Principals that share an access profile ([`profiles::shared_profiles`]) are computed once:
/// the first of them (in string order) is asked, the others get its rows stamped with their
/// own names ([`stamp`]). `IAMLOG_SHARE=0` asks every source itself. `keep` filters on
/// (action, destination) before anything is rendered.
pub fn effective_streamed<E>(
    org: &Org,
    keep: &(dyn Fn(&str, &str) -> bool + Sync),
    batch: usize,
    threads: usize,
    sink: &mut dyn FnMut(Batch<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let sources = facts::whole_org_sources(org.aws());
    let batch = batch.max(1);
    let keep3 = |_: &str, a: &str, d: &str| keep(a, d);
    if sources.len() <= batch {
        return sink(Batch::Rows(&effective_rows(
            &ask(org, &Question::whole_org()),
            &keep3,
        )));
    }
    let reps: Vec<usize> = if std::env::var("IAMLOG_SHARE").is_ok_and(|v| v == "0") {
        (0..sources.len()).collect()
    } else {
        profiles::shared_profiles(org.aws(), &sources)
    };
    // How many sources (itself included) still need each computed profile.
    let mut pending: HashMap<usize, usize> = HashMap::new();
    for &r in &reps {
        *pending.entry(r).or_default() += 1;
    }
    let computed: Vec<usize> = (0..sources.len())
        .filter(|&i| reps.get(i) == Some(&i))
        .collect();
    let batches: Vec<&[usize]> = computed.chunks(batch).collect();
    let rows_of = |slice: &[usize]| -> Vec<AccessRow> {
        let question = Question {
            sources: Sources::Only(
                slice
                    .iter()
                    .filter_map(|&i| sources.get(i).cloned())
                    .collect(),
            ),
            points: Points::All,
            context: Context::Static,
        };
        effective_rows(&ask_quietly(org, &question), &keep3)
    };
    let threads = threads.max(1);
    // Each computed source's rows, split off its batch's rows by the worker.
    let split = |slice: &[usize]| -> Vec<(usize, Vec<AccessRow>)> {
        let mut out: Vec<(usize, Vec<AccessRow>)> =
            slice.iter().map(|&i| (i, Vec::new())).collect();
        let at: HashMap<&str, usize> = slice
            .iter()
            .enumerate()
            .filter_map(|(k, &i)| sources.get(i).map(|s| (s.as_str(), k)))
            .collect();
        for row in rows_of(slice) {
            if let Some((_, rows)) = at.get(&*row.source).and_then(|&k| out.get_mut(k)) {
                rows.push(row);
            }
        }
        out
    };
    let mut profiles_rows: HashMap<usize, Vec<AccessRow>> = HashMap::new();
    let mut next = 0usize;
    let started = std::time::Instant::now();
    // Workers take batches in order and send their rows; this thread puts them back in order
    // and writes them while the workers go on (the channel is bounded: workers wait when the
    // writer falls behind, so memory holds a few batches, not the table).
    let taken = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<(), E> {
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(usize, Vec<(usize, Vec<AccessRow>)>)>(threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let (taken, batches, split) = (&taken, &batches, &split);
            scope.spawn(move || loop {
                let b = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(slice) = batches.get(b) else {
                    break;
                };
                // The writer stopped (an error): nothing more is wanted.
                if tx.send((b, split(slice))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut arrived: BTreeMap<usize, Vec<(usize, Vec<AccessRow>)>> = BTreeMap::new();
        let mut next_batch = 0usize;
        // Ends when every worker is done; a worker that panicked is re-raised when the scope
        // joins it, so a panic is never a partial answer.
        while let Ok((b, rows)) = rx.recv() {
            arrived.insert(b, rows);
            while let Some(rows) = arrived.remove(&next_batch) {
                profiles_rows.extend(rows);
                next_batch += 1;
            }
            crate::progress::phase_since(
                &format!("effective access: {next} of {} sources", sources.len()),
                started,
            );
            // Every source whose profile is known, in order: a twin's profile is that of an
            // earlier source, so the order stops only at a profile not computed yet. A
            // computed source's own rows are lent to the sink (they may still be stamped for
            // its twins), a twin's are stamped, written and dropped.
            while let Some(&rep) = reps.get(next) {
                let Some(left) = pending.get_mut(&rep) else {
                    break;
                };
                if !profiles_rows.contains_key(&rep) {
                    break;
                }
                *left -= 1;
                match (sources.get(rep), sources.get(next), profiles_rows.get(&rep)) {
                    (Some(holder), Some(twin), Some(rows)) if rep != next => {
                        let renames = profiles::inline_renames(org.aws(), holder, twin);
                        let stamp = Stamp::new(rows, holder, twin, &renames);
                        let stamped = stamp.rows();
                        if !stamped.is_empty() {
                            sink(Batch::Stamped(&stamped))?;
                        }
                    }
                    (_, _, Some(rows)) if !rows.is_empty() => sink(Batch::Rows(rows))?,
                    _ => {}
                }
                if *left == 0 {
                    profiles_rows.remove(&rep);
                }
                next += 1;
            }
        }
        Ok(())
    })?;
    crate::progress::done();
    Ok(())
}

/// What the writer of an access table reads of a row: an [`AccessRow`], or a twin's row
/// stamped from its holder's ([`StampedRow`]) without copying it.
pub trait AccessView {
    fn source(&self) -> &str;
    fn action(&self) -> &str;
    fn destination(&self) -> &str;
    fn policy(&self) -> &str;
    fn granter(&self) -> &str;
    /// `None` when unconditional.
    fn condition(&self) -> Option<&str>;
    fn caveats(&self) -> &[Caveat];
    /// The row, owned.
    fn to_row(&self) -> AccessRow;
}

impl AccessView for AccessRow {
    fn source(&self) -> &str {
        &self.source
    }
    fn action(&self) -> &str {
        &self.action
    }
    fn destination(&self) -> &str {
        &self.destination
    }
    fn policy(&self) -> &str {
        &self.policy
    }
    fn granter(&self) -> &str {
        &self.granter
    }
    fn condition(&self) -> Option<&str> {
        self.condition.as_deref()
    }
    fn caveats(&self) -> &[Caveat] {
        &self.caveats
    }
    fn to_row(&self) -> AccessRow {
        self.clone()
    }
}

/// A row of `holder` as a row of `twin` (see [`Stamp`]): borrowed from the holder's row and
/// the stamp's renamed policy ids.
#[derive(Debug)]
pub struct StampedRow<'a> {
    source: &'a Text,
    row: &'a AccessRow,
    policy: &'a Text,
    granter: &'a Text,
    caveats: std::borrow::Cow<'a, [Caveat]>,
}

impl AccessView for StampedRow<'_> {
    fn source(&self) -> &str {
        self.source
    }
    fn action(&self) -> &str {
        &self.row.action
    }
    fn destination(&self) -> &str {
        &self.row.destination
    }
    fn policy(&self) -> &str {
        self.policy
    }
    fn granter(&self) -> &str {
        self.granter
    }
    fn condition(&self) -> Option<&str> {
        self.row.condition.as_deref()
    }
    fn caveats(&self) -> &[Caveat] {
        &self.caveats
    }
    fn to_row(&self) -> AccessRow {
        AccessRow {
            source: self.source.clone(),
            action: self.row.action.clone(),
            destination: self.row.destination.clone(),
            policy: self.policy.clone(),
            granter: self.granter.clone(),
            condition: self.row.condition.clone(),
            caveats: self.caveats.to_vec(),
        }
    }
}

/// Rows handed to the sink of [`effective_streamed`]: a computed source's own, or a twin's
/// stamped from them.
pub enum Batch<'a> {
    Rows(&'a [AccessRow]),
    Stamped(&'a [StampedRow<'a>]),
}

impl Batch<'_> {
    pub fn len(&self) -> usize {
        match self {
            Batch::Rows(r) => r.len(),
            Batch::Stamped(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows, owned.
    pub fn to_rows(&self) -> Vec<AccessRow> {
        match self {
            Batch::Rows(r) => r.to_vec(),
            Batch::Stamped(r) => r.iter().map(AccessView::to_row).collect(),
        }
    }
}

/// The rows of `holder` as the rows of `twin`, a principal with the same access profile
/// ([`profiles`]): the source, the ids of `holder`'s own inline policies and the granter
/// `holder` (its own identity policies and implicit grants, never `holder` as a resource, such
/// as its trust policy) become `twin`'s; destinations and every other policy stay as they are.
/// Sorted as [`effective_rows`] sorts. The ids are renamed once per stamp; its rows borrow
/// everything else from `holder`'s.
pub struct Stamp<'a> {
    rows: &'a [AccessRow],
    holder: &'a str,
    twin: Text,
    /// `holder#...` ids that are holder as a resource (its trust policy).
    as_resource: String,
    /// Each of holder's inline policy ids found in the rows, as twin's.
    renamed: HashMap<&'a str, Text>,
}

impl<'a> Stamp<'a> {
    pub fn new(
        rows: &'a [AccessRow],
        holder: &'a str,
        twin: &str,
        renames: &HashMap<String, String>,
    ) -> Self {
        let mut renamed: HashMap<&'a str, Text> = HashMap::new();
        let policies = rows
            .iter()
            .flat_map(|r| std::iter::once(&r.policy).chain(r.caveats.iter().map(|(p, _)| p)));
        for policy in policies {
            // Rows share their strings: a prefix test rules out nearly every policy.
            if policy.starts_with(holder) && !renamed.contains_key(&**policy) {
                if let Some(id) = profiles::stamp_inline(policy, holder, twin, renames) {
                    renamed.insert(policy, Text::from(id));
                }
            }
        }
        Stamp {
            rows,
            holder,
            twin: Text::from(twin),
            as_resource: format!("{holder}#"),
            renamed,
        }
    }

    /// The twin's rows, sorted as [`effective_rows`] sorts.
    pub fn rows(&self) -> Vec<StampedRow<'_>> {
        let renamed = |policy: &'a Text| -> Option<&Text> {
            if policy.starts_with(self.holder) {
                self.renamed.get(&**policy)
            } else {
                None
            }
        };
        let mut out: Vec<StampedRow<'_>> = self
            .rows
            .iter()
            .map(|row| {
                let inline = renamed(&row.policy);
                let granter = if &*row.granter == self.holder
                    && (inline.is_some() || !row.policy.starts_with(&self.as_resource))
                {
                    &self.twin
                } else {
                    &row.granter
                };
                let caveats = if row.caveats.iter().any(|(p, _)| renamed(p).is_some()) {
                    let mut list: Vec<Caveat> = row
                        .caveats
                        .iter()
                        .map(|(p, c)| (renamed(p).unwrap_or(p).clone(), c.clone()))
                        .collect();
                    list.sort();
                    std::borrow::Cow::Owned(list)
                } else {
                    std::borrow::Cow::Borrowed(row.caveats.as_slice())
                };
                StampedRow {
                    source: &self.twin,
                    row,
                    policy: inline.unwrap_or(&row.policy),
                    granter,
                    caveats,
                }
            })
            .collect();
        fn key<'r>(r: &'r StampedRow<'_>) -> (&'r str, &'r str, &'r str, &'r str, &'r str) {
            (
                r.action(),
                r.destination(),
                r.policy(),
                r.granter(),
                r.condition().unwrap_or(TRUE_CONDITION),
            )
        }
        out.sort_by(|a, b| key(a).cmp(&key(b)));
        out.dedup_by(|a, b| key(a) == key(b));
        out
    }
}

/// The rows of `holder` as the rows of `twin`, owned ([`Stamp`]).
pub fn stamp(
    rows: &[AccessRow],
    holder: &str,
    twin: &str,
    renames: &HashMap<String, String>,
) -> Vec<AccessRow> {
    Stamp::new(rows, holder, twin, renames)
        .rows()
        .iter()
        .map(AccessView::to_row)
        .collect()
}

fn condition_text(c: &str) -> Option<&str> {
    (c != TRUE_CONDITION).then_some(c)
}

/// `action` as the catalogue spells it (`s3:GetObject` for `S3:getobject`), or as given when
/// the catalogue does not know it.
pub fn canonical_action(action: &str) -> String {
    Catalogue::embedded()
        .canonical(action)
        .map_or_else(|| action.to_string(), str::to_string)
}

/// The AWS decision vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitlyDenied,
    ImplicitlyDenied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
        }
    }
}

/// One statement that took part in a decision.
///
/// Its strings are shared ([`Text`]): the statements of a run's requests name the same
/// policies, statements and granters over and over.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementRef {
    pub policy: Text,
    /// The policy's kind (`aws_managed`, `customer_managed`, `inline`, `aws_scp`).
    pub kind: Text,
    pub statement: Text,
    /// The statement's Sid, if it has one.
    pub sid: Option<Text>,
    /// The group or principal that connects the policy to the source.
    pub granter: Option<Text>,
    pub condition: Option<Text>,
}

/// A decision for one request, layer by layer.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    /// Allow statements of identity policies that match.
    pub identity_allows: Vec<StatementRef>,
    /// Deny statements (identity policies or boundary) that match.
    pub denies: Vec<StatementRef>,
    /// The boundary policy, if any, and its Allow statements that match.
    pub boundary: Option<String>,
    pub boundary_allows: Vec<StatementRef>,
    /// True when AWS allows the action whatever the policies say.
    pub always_allowed: bool,
    /// The SCP levels governing the principal (root first, account last) and whether each
    /// allows the request; empty when no SCP applies.
    pub scp_levels: Vec<(String, bool)>,
    /// True when some SCP level has no Allow for the request.
    pub scp_blocked: bool,
    /// The resource-based policy that decides the request (bucket, key, ... policy, or the
    /// role's trust policy), if one was read.
    pub resource_policy: Option<String>,
    /// Allow statements of that policy that name the caller and match, and whether one names
    /// the caller directly (its ARN, session or `*`) rather than only its account.
    pub resource_allows: Vec<StatementRef>,
    pub resource_direct: bool,
    /// Deny statements of that policy that apply, and whether one names more than the
    /// caller's account.
    pub resource_denies_direct: bool,
    pub resource_denies_account: bool,
    /// True when S3 Block Public Access denies the request.
    pub bpa_blocked: bool,
    /// The session policy of the caller, if any, and whether it allows the request.
    pub session_policy: Option<String>,
    pub session_permits: bool,
}

/// How `explain` marks a Deny that covers only part of the request (the caveat's `(in part)`).
pub const IN_PART: &str = "(in part)";

impl Explanation {
    /// The explicit-deny layer's result: `ExplicitlyDenied` when a Deny applies outright.
    pub fn deny_result(&self) -> &'static str {
        if !self.always_allowed && self.denies.iter().any(|d| d.condition.is_none()) {
            "ExplicitlyDenied"
        } else {
            "NotApplicable"
        }
    }

    /// `Allowed` or `ImplicitlyDenied` for the identity layer.
    pub fn identity_result(&self) -> &'static str {
        if self.identity_allows.is_empty() {
            "ImplicitlyDenied"
        } else {
            "Allowed"
        }
    }

    /// The SCP layer's result.
    pub fn scp_result(&self) -> &'static str {
        if self.scp_levels.is_empty() || self.always_allowed {
            "NotApplicable"
        } else if self
            .denies
            .iter()
            .any(|d| &*d.kind == "aws_scp" && d.condition.is_none())
        {
            "ExplicitlyDenied"
        } else if self.scp_blocked {
            "ImplicitlyDenied"
        } else {
            "Allowed"
        }
    }

    /// The RCP layer's result: `ExplicitlyDenied` when an RCP Deny decides, else
    /// `NotApplicable` (RCPs act only through Denies).
    pub fn rcp_result(&self) -> &'static str {
        if !self.always_allowed
            && self
                .denies
                .iter()
                .any(|d| &*d.kind == "aws_rcp" && d.condition.is_none())
        {
            "ExplicitlyDenied"
        } else {
            "NotApplicable"
        }
    }

    /// The resource-based policy layer's result, in iam-simulate's vocabulary (aws.md §9.4).
    pub fn resource_result(&self) -> &'static str {
        if self.resource_policy.is_none() {
            "NotApplicable"
        } else if self.resource_denies_direct {
            "ExplicitlyDenied"
        } else if self.resource_denies_account {
            "DeniedForAccount"
        } else if self.resource_direct {
            "Allowed"
        } else if !self.resource_allows.is_empty() {
            "AllowedForAccount"
        } else {
            "ImplicitlyDenied"
        }
    }

    /// The session policy layer's result.
    pub fn session_result(&self) -> &'static str {
        let denies = self
            .denies
            .iter()
            .any(|d| &*d.kind == "aws_session" && d.condition.is_none());
        match (&self.session_policy, self.session_permits) {
            (None, _) => "NotApplicable",
            (Some(_), _) if denies => "ExplicitlyDenied",
            (Some(_), true) => "Allowed",
            (Some(_), false) => "ImplicitlyDenied",
        }
    }

    /// The boundary layer's result.
    pub fn boundary_result(&self) -> &'static str {
        match (&self.boundary, self.boundary_allows.is_empty()) {
            (None, _) => "NotApplicable",
            (Some(_), false) => "Allowed",
            (Some(_), true) => "ImplicitlyDenied",
        }
    }
}

/// The derived rows of one answer, indexed once by access point, so that deciding many
/// requests from one run costs a lookup per request rather than a scan of every relation.
struct PointIndex<'a> {
    answer: &'a Answer,
    rows: FxHashMap<(Sym, Sym, Sym), PointRows>,
    policy_kind: FxHashMap<Sym, Sym>,
    /// (source, policy) -> granters, from `policy_applies`.
    granters: FxHashMap<(Sym, Sym), Vec<Sym>>,
    /// source -> SCP levels.
    scp_levels: FxHashMap<Sym, Vec<Sym>>,
    /// SCP levels that permit every access (`aws_scp_level_open`).
    scp_open: FxHashSet<Sym>,
    /// scope -> number of ancestors.
    depth: FxHashMap<Sym, usize>,
    implicit: Option<Sym>,
    true_condition: Option<Sym>,
    /// (action, destination) -> the resource policies deciding it.
    rp_governs: FxHashMap<(Sym, Sym), Vec<Sym>>,
    /// (statement, source) pairs where a resource policy names only the source's account.
    rp_account: FxHashSet<(Sym, Sym)>,
    /// Statements of resource-based policies.
    rp_statements: FxHashSet<Sym>,
    /// The answer's strings as the explanations share them, each made once.
    texts: std::cell::RefCell<FxHashMap<Sym, Text>>,
    /// Each statement's Sid, found once.
    sids: std::cell::RefCell<FxHashMap<Sym, Option<Text>>>,
}

/// What the derived relations say about one (source, action, destination).
#[derive(Default)]
struct PointRows {
    /// (policy, statement, granter, condition)
    identity_allows: Vec<(Sym, Sym, Sym, Sym)>,
    /// (policy, statement, condition, whether it covers the point only in part)
    denies: Vec<(Sym, Sym, Sym, bool)>,
    boundary_allows: Vec<(Sym, Sym, Sym)>,
    scp_permitting_levels: Vec<Sym>,
    scp_blocked: bool,
    denied: bool,
    /// (policy, condition) of `effective` rows
    effective: Vec<(Sym, Sym)>,
    /// (policy, statement, condition) of resource-policy Allows that match
    rp_allows: Vec<(Sym, Sym, Sym)>,
    bpa_blocked: bool,
    session_permits: bool,
}

impl<'a> PointIndex<'a> {
    fn new(answer: &'a Answer) -> Self {
        let d = &answer.derived;
        let mut rows: FxHashMap<(Sym, Sym, Sym), PointRows> = FxHashMap::default();
        for &(s, a, x, pol, st, g, c) in &d.identity_allow {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .identity_allows
                .push((pol.sym(), st.sym(), g.sym(), c.sym()));
        }
        let partial = d.explicit_deny_partial.iter().map(|r| (r, true));
        for (&(s, a, x, pol, st, c), part) in
            d.explicit_deny.iter().map(|r| (r, false)).chain(partial)
        {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .denies
                .push((pol.sym(), st.sym(), c.sym(), part));
        }
        for &(s, a, x, pol, st, c) in d.boundary_allow.iter().chain(&d.boundary_allow_partial) {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .boundary_allows
                .push((pol.sym(), st.sym(), c.sym()));
        }
        for &(s, a, x, l) in &d.scp_level_permits {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .scp_permitting_levels
                .push(l.sym());
        }
        for &(s, a, x) in &d.scp_blocks {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .scp_blocked = true;
        }
        for &(s, a, x, _) in &d.denied {
            rows.entry((s.sym(), a.sym(), x.sym())).or_default().denied = true;
        }
        for &(s, a, x, pol, _, c) in &d.effective {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .effective
                .push((pol.sym(), c.sym()));
        }
        for &(s, a, x, pol, st, c) in &d.rp_allow {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .rp_allows
                .push((pol.sym(), st.sym(), c.sym()));
        }
        for &(s, a, x) in &d.session_permits {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .session_permits = true;
        }
        for &(s, a, x) in &d.bpa_blocks {
            rows.entry((s.sym(), a.sym(), x.sym()))
                .or_default()
                .bpa_blocked = true;
        }
        let mut rp_governs: FxHashMap<(Sym, Sym), Vec<Sym>> = FxHashMap::default();
        for &(a, x, pol) in &d.rp_governs {
            rp_governs
                .entry((a.sym(), x.sym()))
                .or_default()
                .push(pol.sym());
        }
        let f = &answer.facts;
        let rp_account: FxHashSet<(Sym, Sym)> = f
            .aws_rp_match_account
            .iter()
            .map(|(st, s)| (st.sym(), s.sym()))
            .collect();
        let rp_statements: FxHashSet<Sym> =
            f.aws_rp_statement.iter().map(|(st,)| st.sym()).collect();
        let mut granters: FxHashMap<(Sym, Sym), Vec<Sym>> = FxHashMap::default();
        for &(s, pol, g) in &d.policy_applies {
            granters
                .entry((s.sym(), pol.sym()))
                .or_default()
                .push(g.sym());
        }
        // The levels of each governed source: its account's (the rules keep levels per
        // account).
        let mut account_levels: FxHashMap<Sym, Vec<Sym>> = FxHashMap::default();
        for &(acct, l) in &d.scp_account_level {
            account_levels.entry(acct.sym()).or_default().push(l.sym());
        }
        let mut scp_levels: FxHashMap<Sym, Vec<Sym>> = FxHashMap::default();
        for &(s, acct) in &d.scp_governed {
            if let Some(levels) = account_levels.get(&acct.sym()) {
                scp_levels
                    .entry(s.sym())
                    .or_default()
                    .extend(levels.iter().copied());
            }
        }
        let mut depth: FxHashMap<Sym, usize> = FxHashMap::default();
        for &(c, _) in &d.scope_ancestor {
            *depth.entry(c.sym()).or_default() += 1;
        }
        PointIndex {
            answer,
            rows,
            policy_kind: answer
                .facts
                .policy
                .iter()
                .map(|(p, k)| (p.sym(), k.sym()))
                .collect(),
            granters,
            scp_levels,
            scp_open: answer
                .facts
                .aws_scp_level_open
                .iter()
                .map(|&(l,)| l.sym())
                .collect(),
            depth,
            rp_governs,
            rp_account,
            rp_statements,
            implicit: answer.lookup(facts::IMPLICIT_POLICY),
            true_condition: answer.lookup(TRUE_CONDITION),
            texts: Default::default(),
            sids: Default::default(),
        }
    }

    fn statement_ref(
        &self,
        org: &AwsOrg,
        pol: Sym,
        st: Sym,
        granter: Option<Sym>,
        c: Sym,
    ) -> StatementRef {
        let answer = self.answer;
        let mut texts = self.texts.borrow_mut();
        let mut text = |sym: Sym| -> Text {
            texts
                .entry(sym)
                .or_insert_with(|| Text::from(answer.name(sym)))
                .clone()
        };
        let policy = text(pol);
        let kind = self
            .policy_kind
            .get(&pol)
            .map_or_else(|| Text::from(""), |k| text(*k));
        let statement = text(st);
        let granter = granter.map(&mut text);
        let condition = condition_text(answer.name(c)).map(|_| text(c));
        drop(texts);
        let sid = self
            .sids
            .borrow_mut()
            .entry(st)
            .or_insert_with(|| {
                let i = statement.rsplit_once('#')?.1.parse::<usize>().ok()?;
                let sid = org
                    .policies
                    .get(&*policy)?
                    .document
                    .statements
                    .get(i)?
                    .sid
                    .as_deref()?;
                Some(Text::from(sid))
            })
            .clone();
        StatementRef {
            policy,
            kind,
            statement,
            sid,
            granter,
            condition,
        }
    }

    /// Decides `point`, which the answer's question asked (in request context, conditions have
    /// no residual, so each matching statement either applies or not); `action` is the point's
    /// action as the catalogue spells it ([`canonical_action`]).
    fn explain(&self, org: &AwsOrg, point: &RequestPoint, action: &str) -> Explanation {
        let answer = self.answer;
        let action = action.to_string();
        let mut ex = Explanation {
            principal: point.source.clone(),
            action: action.clone(),
            resource: point.resource.clone(),
            decision: Decision::ImplicitlyDenied,
            identity_allows: Vec::new(),
            denies: Vec::new(),
            boundary: org
                .principals
                .get(&point.source)
                .and_then(|p| p.boundary.clone()),
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
            session_policy: org.session_policies.get(&point.source).cloned(),
            session_permits: false,
        };
        let (Some(s), Some(a), Some(d)) = (
            answer.lookup(&point.source),
            answer.lookup(&action),
            answer.lookup(&point.resource),
        ) else {
            return ex;
        };
        let empty = PointRows::default();
        let rows = self.rows.get(&(s, a, d)).unwrap_or(&empty);
        for &(pol, st, g, c) in &rows.identity_allows {
            ex.identity_allows
                .push(self.statement_ref(org, pol, st, Some(g), c));
        }
        for &(pol, st, c, part) in &rows.denies {
            let mut push = |g: Option<Sym>| {
                let mut r = self.statement_ref(org, pol, st, g, c);
                if part {
                    // A Deny that covers only part of the point (its Resource reaches the
                    // resource's account, which is not known) does not decide the request:
                    // it is shown with its condition, marked.
                    r.condition = Some(match r.condition {
                        Some(c) => format!("{c} {IN_PART}").into(),
                        None => IN_PART.into(),
                    });
                }
                ex.denies.push(r);
            };
            // The granter of a Deny in an identity policy (none for a boundary's or an SCP's).
            match self.granters.get(&(s, pol)) {
                Some(gs) => gs.iter().for_each(|&g| push(Some(g))),
                None => push(None),
            }
        }
        for &(pol, st, c) in &rows.boundary_allows {
            ex.boundary_allows
                .push(self.statement_ref(org, pol, st, None, c));
        }
        for v in [
            &mut ex.identity_allows,
            &mut ex.denies,
            &mut ex.boundary_allows,
        ] {
            v.sort();
            v.dedup();
        }
        // SCP levels, root first: order by depth (the number of ancestors).
        let mut levels: Vec<(usize, String, bool)> = self
            .scp_levels
            .get(&s)
            .map(|ls| {
                ls.iter()
                    .map(|l| {
                        let depth = self.depth.get(l).copied().unwrap_or(0);
                        (
                            depth,
                            answer.name(*l).to_string(),
                            self.scp_open.contains(l) || rows.scp_permitting_levels.contains(l),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        levels.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
        levels.dedup();
        ex.scp_levels = levels.into_iter().map(|(_, l, p)| (l, p)).collect();
        ex.scp_blocked = rows.scp_blocked;
        // The resource-based policy layer.
        if let Some(pols) = self.rp_governs.get(&(a, d)) {
            ex.resource_policy = pols.first().map(|p| answer.name(*p).to_string());
            for &(pol, st, c) in &rows.rp_allows {
                if Some(c) != self.true_condition {
                    continue;
                }
                if !self.rp_account.contains(&(st, s)) {
                    ex.resource_direct = true;
                }
                ex.resource_allows
                    .push(self.statement_ref(org, pol, st, None, c));
            }
            ex.resource_allows.sort();
            ex.resource_allows.dedup();
            for &(_, st, c, part) in &rows.denies {
                if part || !self.rp_statements.contains(&st) || Some(c) != self.true_condition {
                    continue;
                }
                if self.rp_account.contains(&(st, s)) {
                    ex.resource_denies_account = true;
                } else {
                    ex.resource_denies_direct = true;
                }
            }
        }
        ex.bpa_blocked = rows.bpa_blocked;
        ex.session_permits = rows.session_permits;
        ex.always_allowed = rows
            .effective
            .iter()
            .any(|(pol, _)| Some(*pol) == self.implicit);
        let allowed = rows
            .effective
            .iter()
            .any(|(_, c)| Some(*c) == self.true_condition);
        ex.decision = if ex.always_allowed {
            Decision::Allowed
        } else if rows.denied {
            Decision::ExplicitlyDenied
        } else if allowed {
            Decision::Allowed
        } else {
            Decision::ImplicitlyDenied
        };
        ex
    }
}

/// The number of threads for work that splits into independent runs: `IAMLOG_THREADS`, else
/// the cores available.
pub fn threads() -> usize {
    env_count("IAMLOG_THREADS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Decides one request in its whole context ([`Context::Request`]): what `explain` does, and
/// what each request decided with others ([`explain_many`]) must agree with.
pub fn explain_request(org: &Org, point: &RequestPoint, context: &RequestContext) -> Explanation {
    let question = Question {
        sources: Sources::Only(vec![point.source.clone()]),
        points: Points::Only(vec![point.clone()]),
        context: Context::Request(context.clone()),
    };
    let answer = ask_quietly(org, &question);
    PointIndex::new(&answer).explain(org.aws(), point, &canonical_action(&point.action))
}

/// Decides many requests: requests that share a context are decided in one run.
pub fn explain_many(
    org: &Org,
    requests: &[(RequestPoint, BTreeMap<String, Vec<String>>)],
) -> Vec<Explanation> {
    explain_many_threads(org, requests, threads())
}

/// [`explain_many`] on `threads` threads (the answers are the same for any number).
pub fn explain_many_threads(
    org: &Org,
    requests: &[(RequestPoint, BTreeMap<String, Vec<String>>)],
    threads: usize,
) -> Vec<Explanation> {
    explain_many_map(org, requests, threads, &|_, ex| ex)
}

/// What [`explain_many_threads`] and [`explain_many_bytes`] decide: the runs, the copies, the
/// actions as the catalogue spells them.
struct ManyRuns<'r> {
    /// The largest runs first, so that the threads end together (the last runs taken are the
    /// smallest); the answers do not depend on the order.
    runs: Vec<(SourceContexts, Vec<usize>)>,
    /// Each decided request's copies, explained from its explanation.
    copies_of: FxHashMap<usize, Vec<usize>>,
    /// Each action as the catalogue spells it, looked up once (requests name few actions).
    canonical: FxHashMap<&'r str, String>,
}

impl<'r> ManyRuns<'r> {
    fn new(
        org: &Org,
        requests: &'r [(RequestPoint, BTreeMap<String, Vec<String>>)],
        threads: usize,
    ) -> Self {
        let RequestBatches { mut runs, copies } = request_batches(org.aws(), requests, threads);
        runs.sort_by_key(|(_, idxs)| std::cmp::Reverse(idxs.len()));
        let mut copies_of: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        for (copy, of) in copies {
            copies_of.entry(of).or_default().push(copy);
        }
        let mut canonical: FxHashMap<&str, String> = FxHashMap::default();
        for (p, _) in requests {
            if !canonical.contains_key(p.action.as_str()) {
                canonical.insert(&p.action, canonical_action(&p.action));
            }
        }
        ManyRuns {
            runs,
            copies_of,
            canonical,
        }
    }

    /// The copies of request `i`.
    fn copies(&self, i: usize) -> &[usize] {
        self.copies_of.get(&i).map_or(&[][..], Vec::as_slice)
    }

    /// Decides the requests at `idxs` in one run with `ctx`: `each` is given each request's
    /// index and explanation, in `idxs` order.
    fn decide<E>(
        &self,
        org: &Org,
        requests: &[(RequestPoint, BTreeMap<String, Vec<String>>)],
        (ctx, idxs): &(SourceContexts, Vec<usize>),
        mut each: impl FnMut(usize, Explanation) -> Result<(), E>,
    ) -> Result<(), E> {
        let points: Vec<RequestPoint> = idxs
            .iter()
            .filter_map(|&i| requests.get(i).map(|r| r.0.clone()))
            .collect();
        // The run's sources, sorted, each copied once.
        let mut sources: Vec<&str> = points.iter().map(|p| p.source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        let sources: Vec<String> = sources.into_iter().map(str::to_string).collect();
        let question = Question {
            sources: Sources::Only(sources),
            points: Points::Only(points),
            context: Context::PerRequest(ctx.clone()),
        };
        let answer = ask_quietly(org, &question);
        let index = PointIndex::new(&answer);
        for &i in idxs {
            let Some((p, _)) = requests.get(i) else {
                continue;
            };
            let action = self
                .canonical
                .get(p.action.as_str())
                .map_or(&p.action, |a| a);
            each(i, index.explain(org.aws(), p, action))?;
        }
        Ok(())
    }
}

/// [`explain_many_threads`], each explanation turned by `f` (given the request's index in
/// `requests`) on the thread that decided it. The results are in request order.
pub fn explain_many_map<T: Send>(
    org: &Org,
    requests: &[(RequestPoint, BTreeMap<String, Vec<String>>)],
    threads: usize,
    f: &(dyn Fn(usize, Explanation) -> T + Sync),
) -> Vec<T> {
    let many = ManyRuns::new(org, requests, threads);
    crate::progress::phase(&format!("deciding {} requests", requests.len()));
    // Batches are independent: decided on every core, each answer put back at its request's
    // index, so the output is the same whatever the number of threads.
    let decide = |run: &(SourceContexts, Vec<usize>)| -> Vec<(usize, T)> {
        let mut out = Vec::with_capacity(run.1.len());
        let done: Result<(), std::convert::Infallible> =
            many.decide(org, requests, run, |i, ex| {
                for &copy in many.copies(i) {
                    out.push((copy, f(copy, ex.clone())));
                }
                out.push((i, f(i, ex)));
                Ok(())
            });
        let Ok(()) = done;
        out
    };
    // Each thread takes the next batch not yet taken (batches differ much in size).
    let results: Vec<Vec<(usize, T)>> = on_threads(&many.runs, threads, &decide);
    let mut out: Vec<Option<T>> = std::iter::repeat_with(|| None)
        .take(requests.len())
        .collect();
    for (i, x) in results.into_iter().flatten() {
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(x);
        }
    }
    crate::progress::done();
    out.into_iter().flatten().collect()
}

/// The text of many explanations ([`explain_many_bytes`]): each run's in one buffer, each
/// request's bytes a range of one of them.
#[derive(Debug, Default)]
pub struct ManyBytes {
    runs: Vec<Vec<u8>>,
    /// Per request: (run, start, end).
    at: Vec<(usize, usize, usize)>,
}

impl ManyBytes {
    /// Writes every request's bytes in request order.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for &(run, start, end) in &self.at {
            if let Some(bytes) = self.runs.get(run).and_then(|b| b.get(start..end)) {
                out.write_all(bytes)?;
            }
        }
        Ok(())
    }
}

/// Writes a request's explanation (given the request's index) at the end of a buffer.
pub type WriteExplanation<'a> =
    dyn Fn(usize, &Explanation, &mut Vec<u8>) -> std::io::Result<()> + Sync + 'a;

/// [`explain_many_threads`], each explanation written by `write` (given the request's index in
/// `requests`) on the thread that decided it, into one buffer per run: the JSON lines or CSV
/// rows of `explain --requests`, without an allocation per line. With `same_for_copies`, what
/// `write` writes does not depend on the index, so a request that copies another
/// ([`RequestBatches::copies`]) shares its bytes instead of being written again.
pub fn explain_many_bytes(
    org: &Org,
    requests: &[(RequestPoint, BTreeMap<String, Vec<String>>)],
    threads: usize,
    same_for_copies: bool,
    write: &WriteExplanation<'_>,
) -> std::io::Result<ManyBytes> {
    let many = ManyRuns::new(org, requests, threads);
    crate::progress::phase(&format!("deciding {} requests", requests.len()));
    /// Bytes reserved per request in a run's buffer (a JSON line is about 1 KB; pages reserved
    /// and never written are never touched).
    const RESERVE: usize = 2048;
    type RunBytes = (Vec<u8>, Vec<(usize, usize, usize)>);
    let decide = |run: &(SourceContexts, Vec<usize>)| -> std::io::Result<RunBytes> {
        let mut buf: Vec<u8> = Vec::with_capacity(run.1.len() * RESERVE);
        let mut at = Vec::with_capacity(run.1.len());
        many.decide(org, requests, run, |i, ex| {
            let start = buf.len();
            write(i, &ex, &mut buf)?;
            let end = buf.len();
            at.push((i, start, end));
            for &copy in many.copies(i) {
                if same_for_copies {
                    at.push((copy, start, end));
                } else {
                    let start = buf.len();
                    write(copy, &ex, &mut buf)?;
                    at.push((copy, start, buf.len()));
                }
            }
            Ok::<(), std::io::Error>(())
        })?;
        Ok((buf, at))
    };
    let results: Vec<std::io::Result<RunBytes>> = on_threads(&many.runs, threads, &decide);
    let mut out = ManyBytes {
        runs: Vec::with_capacity(results.len()),
        at: vec![(usize::MAX, 0, 0); requests.len()],
    };
    for r in results {
        let (buf, at) = r?;
        let run = out.runs.len();
        for (i, start, end) in at {
            if let Some(slot) = out.at.get_mut(i) {
                *slot = (run, start, end);
            }
        }
        out.runs.push(buf);
    }
    crate::progress::done();
    Ok(out)
}

/// The contexts of each source of a batch of requests.
type SourceContexts = BTreeMap<String, SourceContext>;

/// The most requests decided in one run: a bound on a run's memory, and batches for both
/// threads when most requests share one context per source.
const REQUESTS_PER_RUN: usize = 2048;

/// Splits requests into batches decided in one run each, as (the context of each source, request
/// indices), in the order the batches were opened.
///
/// A run decides each request in the context of its source at its resource
/// ([`Context::PerRequest`]), so the requests of one source on one resource in a batch must agree
/// on every key that two of them may read ([`RequestKeys::keys_for`]: the keys of the statements
/// about the request's action), and all of a source's requests in a batch on the keys read per
/// source whatever the resource ([`RequestKeys::is_per_source`]: the session name, variables of
/// Resource entries); the context in the run is what their contexts give for the keys they
/// read. Each request goes to the first layer of batches where both its source's slot (the
/// per-source keys) and the slot of its source at its resource (the other keys) agree with its
/// values. A resource string also means one thing within a run (`*` in account A and `*` in
/// account B are different destinations), so a batch's requests agree on the account of every
/// resource they name.
///
/// Sources never share a slot, so with `threads` > 1 the sources are split in two parts of
/// about as many requests each, batched on a thread each: part one's batches come first.
fn request_batches(
    org: &AwsOrg,
    requests: &[(RequestPoint, RequestContext)],
    threads: usize,
) -> RequestBatches {
    let all: Vec<usize> = (0..requests.len()).collect();
    let done = |batches: Vec<PartBatch<'_>>, copies: Vec<(usize, usize)>| RequestBatches {
        runs: batches.into_iter().map(|b| (b.contexts, b.idxs)).collect(),
        copies,
    };
    if threads < 2 || requests.len() < 2 * REQUESTS_PER_RUN {
        let (batches, copies) = batches_among(org, requests, &all);
        return done(batches, copies);
    }
    let mut count: FxHashMap<&str, usize> = FxHashMap::default();
    for (p, _) in requests {
        *count.entry(p.source.as_str()).or_default() += 1;
    }
    // The busiest sources first, each to the part with fewer requests so far.
    let mut by_count: Vec<(&str, usize)> = count.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut in_second: FxHashMap<&str, bool> = FxHashMap::default();
    let mut sizes = [0usize; 2];
    for (s, n) in by_count {
        let second = sizes[1] < sizes[0];
        sizes[usize::from(second)] += n;
        in_second.insert(s, second);
    }
    let (second, first): (Vec<usize>, Vec<usize>) = all.into_iter().partition(|&i| {
        requests
            .get(i)
            .is_some_and(|(p, _)| in_second.get(p.source.as_str()) == Some(&true))
    });
    let ((mut batches, mut copies), (seconds, second_copies)) = std::thread::scope(|scope| {
        let other = scope.spawn(|| batches_among(org, requests, &second));
        let firsts = batches_among(org, requests, &first);
        let seconds = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (firsts, seconds)
    });
    // Part two's batches join the last batch of their layer in part one where they fit (the
    // parts' sources differ): each part leaves at most one batch per layer not full.
    let mut last_of: FxHashMap<usize, usize> = FxHashMap::default();
    for (i, b) in batches.iter().enumerate() {
        last_of.insert(b.layer, i);
    }
    for b in seconds {
        let into = last_of.get(&b.layer).and_then(|&j| batches.get_mut(j));
        match into {
            Some(a)
                if a.idxs.len() + b.idxs.len() <= REQUESTS_PER_RUN
                    && b.accounts
                        .iter()
                        .all(|(r, acct)| a.accounts.get(r).is_none_or(|x| x == acct)) =>
            {
                a.accounts.extend(b.accounts);
                a.contexts.extend(b.contexts);
                a.idxs.extend(b.idxs);
                a.idxs.sort_unstable();
            }
            _ => batches.push(b),
        }
    }
    copies.extend(second_copies);
    done(batches, copies)
}

/// The names of interned ids, by id.
fn names_by_id<'r>(ids: &FxHashMap<&'r str, u32>) -> Vec<&'r str> {
    let mut names = vec![""; ids.len()];
    for (name, &i) in ids {
        if let Some(slot) = names.get_mut(i as usize) {
            *slot = *name;
        }
    }
    names
}

/// What [`request_batches`] makes of requests.
struct RequestBatches {
    /// The batches decided in one run each: (the context of each source, request indices).
    runs: Vec<(SourceContexts, Vec<usize>)>,
    /// (a request, the earlier request it copies): they have the same source, action, resource
    /// and resource account, and their contexts agree on every key either may read, so their
    /// explanations are the same; only the earlier one is in a run.
    copies: Vec<(usize, usize)>,
}

/// [`batches_among`]'s mark for a request that copies an earlier one (it has no layer).
const COPY: usize = usize::MAX;

/// (source, action, resource) ids, the resource's account and the values of the keys read: what
/// a request's explanation is a function of.
type Asked<'r> = ([u32; 3], Option<&'r str>, Vec<(usize, u32)>);

/// A batch of [`batches_among`].
struct PartBatch<'r> {
    layer: usize,
    /// The account of each resource string the batch's requests name.
    accounts: FxHashMap<&'r str, Option<&'r str>>,
    contexts: SourceContexts,
    idxs: Vec<usize>,
}

/// [`request_batches`] of the requests at `among` (ascending indices into `requests`).
fn batches_among<'r>(
    org: &AwsOrg,
    requests: &'r [(RequestPoint, RequestContext)],
    among: &[usize],
) -> (Vec<PartBatch<'r>>, Vec<(usize, usize)>) {
    let mut keys = RequestKeys::new(org);
    // Sources, actions and resources as small ids (Fx hashing: they are ARNs and action names,
    // and requests name few of each).
    fn intern<'r>(ids: &mut FxHashMap<&'r str, u32>, s: &'r str) -> u32 {
        let n = ids.len() as u32;
        *ids.entry(s).or_insert(n)
    }
    let mut source_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut action_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut resource_ids: FxHashMap<&str, u32> = FxHashMap::default();
    // Per request: its source's id, its resource's id and the index of its key list.
    let mut ids: Vec<(u32, u32, u32)> = Vec::with_capacity(among.len());
    let mut action_of: Vec<u32> = Vec::with_capacity(among.len());
    // The key ids each (source, action) reads.
    let mut lists: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut keys_for: Vec<Vec<u32>> = Vec::new();
    let among: Vec<(usize, &(RequestPoint, RequestContext))> = among
        .iter()
        .filter_map(|&i| Some((i, requests.get(i)?)))
        .collect();
    for (_, (point, _)) in &among {
        let source = intern(&mut source_ids, &point.source);
        let action = intern(&mut action_ids, &point.action);
        let resource = intern(&mut resource_ids, &point.resource);
        let n = keys_for.len() as u32;
        let list = *lists.entry((source, action)).or_insert(n);
        if list == n {
            keys_for.push(keys.key_ids_for(&point.source, &point.action));
        }
        ids.push((source, resource, list));
        action_of.push(action);
    }
    let source_names = names_by_id(&source_ids);
    // Per key id, its values' ids (0: absent).
    let mut value_ids: Vec<FxHashMap<&[String], u32>> =
        vec![FxHashMap::default(); keys.key_count()];
    let mut values: Vec<Vec<&Vec<String>>> = vec![Vec::new(); keys.key_count()];
    // Per source, its slots: for each key read per source (`RequestKeys::is_per_source`), the
    // id of the value the requests there that read it are given (`UNSET`: none reads it); and
    // per (source, resource), its slots for the other keys. Slot k of each is the context in
    // layer k.
    const UNSET: u32 = u32::MAX;
    let mut slots: Vec<Vec<Vec<u32>>> = vec![Vec::new(); source_ids.len()];
    let mut point_slots: FxHashMap<(u32, u32), Vec<Vec<u32>>> =
        FxHashMap::with_capacity_and_hasher(among.len(), Default::default());
    let per_source: Vec<bool> = (0..keys.key_count() as u32)
        .map(|k| keys.is_per_source(k))
        .collect();
    let mut layer_of: Vec<usize> = Vec::with_capacity(among.len());
    let mut read: Vec<(usize, u32)> = Vec::new();
    // The first request of each (source, action, resource, account, values of the keys read):
    // a later one with the same is its copy.
    let mut first_of: FxHashMap<Asked<'r>, usize> =
        FxHashMap::with_capacity_and_hasher(among.len(), Default::default());
    let mut copies: Vec<(usize, usize)> = Vec::new();
    for ((&(i, (point, ctx)), &(source, resource, list)), &action) in
        among.iter().zip(&ids).zip(&action_of)
    {
        read.clear();
        let list = keys_for.get(list as usize).map_or(&[][..], Vec::as_slice);
        for &k in list {
            let k = k as usize;
            let value = match (
                ctx.get(keys.key_name(k as u32)),
                value_ids.get_mut(k),
                values.get_mut(k),
            ) {
                (Some(v), Some(by_value), Some(list)) => {
                    let n = by_value.len() as u32 + 1;
                    *by_value.entry(v.as_slice()).or_insert_with(|| {
                        list.push(v);
                        n
                    })
                }
                _ => 0,
            };
            read.push((k, value));
        }
        let asked = (
            [source, action, resource],
            point.resource_account.as_deref(),
            read.clone(),
        );
        match first_of.entry(asked) {
            std::collections::hash_map::Entry::Occupied(e) => {
                copies.push((i, *e.get()));
                layer_of.push(COPY);
                continue;
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i);
            }
        }
        let Some(mine) = slots.get_mut(source as usize) else {
            layer_of.push(0);
            continue;
        };
        let at = point_slots.entry((source, resource)).or_default();
        // The first layer where both the source's slot agrees on the per-source keys read and
        // the slot at the resource on the others.
        let fits = |slots: &[Vec<u32>], layer: usize, per: bool| {
            slots.get(layer).is_none_or(|slot| {
                read.iter()
                    .filter(|&&(k, _)| per_source.get(k).copied().unwrap_or(true) == per)
                    .all(|&(k, v)| slot.get(k).is_none_or(|&x| x == UNSET || x == v))
            })
        };
        let layer = (0..=mine.len().max(at.len()))
            .find(|&l| fits(mine, l, true) && fits(at, l, false))
            .unwrap_or(mine.len().max(at.len()));
        for (layers, per) in [(mine, true), (at, false)] {
            if layers.len() <= layer {
                layers.resize(layer + 1, Vec::new());
            }
            let Some(slot) = layers.get_mut(layer) else {
                continue;
            };
            for &(k, v) in &read {
                if per_source.get(k).copied().unwrap_or(true) != per {
                    continue;
                }
                if slot.len() <= k {
                    slot.resize(k + 1, UNSET);
                }
                if let Some(x) = slot.get_mut(k) {
                    *x = v;
                }
            }
        }
        layer_of.push(layer);
    }
    struct Batch<'r> {
        layer: usize,
        sources: Vec<u32>,
        /// The (source, resource) of each request.
        points: Vec<(u32, u32)>,
        /// The account of each resource string the batch's requests name.
        accounts: FxHashMap<u32, Option<&'r str>>,
        idxs: Vec<usize>,
    }
    let mut batches: Vec<Batch<'_>> = Vec::new();
    // Per layer, the batch requests go to while it has room.
    let mut open: Vec<usize> = Vec::new();
    // Per source, the last batch it was put in.
    let mut last_batch: Vec<usize> = vec![usize::MAX; source_ids.len()];
    // Each layer's requests source by source (in file order within a source): a run does work
    // for each of its sources (their statements, boundaries, SCPs, conditions), so a source is
    // best in as few runs as its requests fill. In file order, every busy source would be in
    // every run of a layer.
    let mut order: Vec<(usize, u32, usize)> = layer_of
        .iter()
        .zip(&ids)
        .enumerate()
        .filter(|(_, (&layer, _))| layer != COPY)
        .map(|(at, (&layer, &(source, _, _)))| (layer, source, at))
        .collect();
    order.sort_unstable();
    for (layer, source, at) in order {
        let (Some(&(i, (point, _))), Some(&(_, resource, _))) = (among.get(at), ids.get(at)) else {
            continue;
        };
        if open.len() <= layer {
            open.resize(layer + 1, usize::MAX);
        }
        let account = point.resource_account.as_deref();
        let fits = |b: &Batch<'_>| {
            b.idxs.len() < REQUESTS_PER_RUN
                && b.accounts.get(&resource).is_none_or(|a| *a == account)
        };
        let b = match open.get(layer).copied() {
            Some(b) if batches.get(b).is_some_and(fits) => b,
            _ => {
                batches.push(Batch {
                    layer,
                    sources: Vec::new(),
                    points: Vec::new(),
                    accounts: FxHashMap::default(),
                    idxs: Vec::new(),
                });
                let b = batches.len() - 1;
                if let Some(slot) = open.get_mut(layer) {
                    *slot = b;
                }
                b
            }
        };
        let Some(batch) = batches.get_mut(b) else {
            continue;
        };
        if let Some(last) = last_batch.get_mut(source as usize) {
            if *last != b {
                *last = b;
                batch.sources.push(source);
            }
        }
        batch.accounts.insert(resource, account);
        batch.points.push((source, resource));
        batch.idxs.push(i);
    }
    // (A run's requests in file order.)
    for b in &mut batches {
        b.idxs.sort_unstable();
        b.points.sort_unstable();
        b.points.dedup();
    }
    // The context a slot gives: the value of each key it sets.
    let context_of = |slot: &[u32]| -> RequestContext {
        slot.iter()
            .enumerate()
            .filter_map(|(k, &v)| {
                let value = values.get(k)?.get((v as usize).checked_sub(1)?)?;
                Some((keys.key_name(k as u32).to_string(), (*value).clone()))
            })
            .collect()
    };
    let nothing: Arc<RequestContext> = Arc::default();
    // Each source's own context in each of its layers, made once per distinct one (batches of
    // a layer share them, and most sources' own contexts are alike). A slot is cut after its
    // last value given, so that slots that give the same values are the same.
    let given = |slot: &[u32]| -> usize {
        slot.iter()
            .rposition(|&v| v != UNSET && v != 0)
            .map_or(0, |i| i + 1)
    };
    let mut own_made: FxHashMap<&[u32], Arc<RequestContext>> = FxHashMap::default();
    let own: Vec<Vec<Arc<RequestContext>>> = slots
        .iter()
        .map(|layers| {
            layers
                .iter()
                .map(|slot| {
                    let slot = slot.get(..given(slot)).unwrap_or_default();
                    own_made
                        .entry(slot)
                        .or_insert_with(|| Arc::new(context_of(slot)))
                        .clone()
                })
                .collect()
        })
        .collect();
    let resource_names = names_by_id(&resource_ids);
    // (Shared by the contexts of every batch that names them.)
    let resource_arcs: Vec<Arc<str>> = resource_names.iter().map(|&r| Arc::from(r)).collect();
    // The contexts at resources, each made once per own context and values (requests on many
    // resources, of many sources, often read the same values).
    let mut made: FxHashMap<(*const RequestContext, &[u32]), Arc<RequestContext>> =
        FxHashMap::default();
    let batches = batches
        .into_iter()
        .map(|b| {
            let own_of = |s: u32| {
                own.get(s as usize)
                    .and_then(|layers| layers.get(b.layer))
                    .unwrap_or(&nothing)
            };
            let mut contexts: SourceContexts = BTreeMap::new();
            for &s in &b.sources {
                if let Some(name) = source_names.get(s as usize) {
                    let own = own_of(s).clone();
                    contexts.insert(
                        name.to_string(),
                        SourceContext {
                            own,
                            at: BTreeMap::new(),
                        },
                    );
                }
            }
            // Each request's context at its resource: its slot there with the source's own.
            for &(s, r) in &b.points {
                let slot = point_slots
                    .get(&(s, r))
                    .and_then(|layers| layers.get(b.layer))
                    .map_or(&[][..], Vec::as_slice);
                let slot = slot.get(..given(slot)).unwrap_or_default();
                if slot.is_empty() {
                    // No value read at the resource (none, or only absent keys): the source's
                    // own context serves.
                    continue;
                }
                let own = own_of(s);
                let ctx = made.entry((Arc::as_ptr(own), slot)).or_insert_with(|| {
                    let mut ctx = context_of(slot);
                    ctx.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
                    Arc::new(ctx)
                });
                let (Some(name), Some(resource)) =
                    (source_names.get(s as usize), resource_arcs.get(r as usize))
                else {
                    continue;
                };
                if let Some(c) = contexts.get_mut(*name) {
                    c.at.insert(resource.clone(), ctx.clone());
                }
            }
            PartBatch {
                layer: b.layer,
                accounts: b
                    .accounts
                    .into_iter()
                    .filter_map(|(r, a)| Some((*resource_names.get(r as usize)?, a)))
                    .collect(),
                contexts,
                idxs: b.idxs,
            }
        })
        .collect();
    (batches, copies)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are ordered as the tuples of their strings are: shared strings compared by address
    /// first change nothing.
    #[test]
    fn access_rows_are_ordered_as_their_strings() {
        let t = |s: &str| Text::from(s);
        let shared = [t("a"), t("b"), t("ab"), t("")];
        // The same texts in other strings.
        let copies = [t("a"), t("b"), t("ab"), t("")];
        let pick = |i: usize| {
            if i % 2 == 0 {
                shared[(i / 2) % 4].clone()
            } else {
                copies[(i / 2) % 4].clone()
            }
        };
        let rows: Vec<AccessRow> = (0..400usize)
            .map(|i| AccessRow {
                source: pick(i % 3),
                action: pick(i / 3 % 2),
                destination: pick(i / 6 % 3),
                policy: pick(i / 5 % 8),
                granter: pick(i / 7 % 5),
                condition: (i % 11 != 0).then(|| pick(i / 11)),
                caveats: (0..i % 3)
                    .map(|k| (pick(i / 13 + k), (k % 2 == 0).then(|| pick(i + k))))
                    .collect(),
            })
            .collect();
        type Key = (
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Vec<(String, Option<String>)>,
        );
        let key = |r: &AccessRow| -> Key {
            (
                r.source.to_string(),
                r.action.to_string(),
                r.destination.to_string(),
                r.policy.to_string(),
                r.granter.to_string(),
                r.condition.as_deref().map(str::to_string),
                r.caveats
                    .iter()
                    .map(|(p, c)| (p.to_string(), c.as_deref().map(str::to_string)))
                    .collect(),
            )
        };
        for a in &rows {
            for b in rows.iter().step_by(7) {
                assert_eq!(a.cmp(b), key(a).cmp(&key(b)), "{a:?} {b:?}");
                assert_eq!(a.partial_cmp(b), Some(key(a).cmp(&key(b))));
            }
        }
    }

    fn row(policy: &str, granter: &str, caveats: &[(&str, Option<&str>)]) -> AccessRow {
        AccessRow {
            source: Text::from("arn:aws:iam::1:user/z"),
            action: Text::from("s3:GetObject"),
            destination: Text::from("*"),
            policy: Text::from(policy),
            granter: Text::from(granter),
            condition: None,
            caveats: caveats
                .iter()
                .map(|(p, c)| (Text::from(*p), c.map(Text::from)))
                .collect(),
        }
    }

    #[test]
    fn a_stamp_renames_the_holders_own_ids_and_sorts_again() {
        let holder = "arn:aws:iam::1:user/z";
        let twin = "arn:aws:iam::1:user/a";
        let rows = vec![
            // The holder's inline policy, granted by the holder: both become the twin's.
            row(
                "arn:aws:iam::1:user/z#inline/p",
                holder,
                // A caveat of the holder's own inline Deny, renamed: it then sorts first.
                &[
                    ("arn:aws:iam::1:user/y-other", None),
                    ("arn:aws:iam::1:user/z#inline/d", Some("c")),
                ],
            ),
            // A group's policy: nothing changes but the source.
            row(
                "arn:aws:iam::1:group/g#inline/q",
                "arn:aws:iam::1:group/g",
                &[("arn:aws:iam::1:policy/P", None)],
            ),
            // The holder as a resource (its trust policy): the granter stays the holder.
            row("arn:aws:iam::1:user/z#trust-policy", holder, &[]),
        ];
        let renames = HashMap::from([("p".to_string(), "p2".to_string())]);
        let stamped = stamp(&rows, holder, twin, &renames);
        let got: Vec<(&str, &str, &str, Vec<&str>)> = stamped
            .iter()
            .map(|r| {
                (
                    &*r.source,
                    &*r.policy,
                    &*r.granter,
                    r.caveats.iter().map(|(p, _)| &**p).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    twin,
                    "arn:aws:iam::1:group/g#inline/q",
                    "arn:aws:iam::1:group/g",
                    vec!["arn:aws:iam::1:policy/P"]
                ),
                (
                    twin,
                    "arn:aws:iam::1:user/a#inline/p2",
                    twin,
                    vec![
                        "arn:aws:iam::1:user/a#inline/d",
                        "arn:aws:iam::1:user/y-other"
                    ]
                ),
                (twin, "arn:aws:iam::1:user/z#trust-policy", holder, vec![]),
            ]
        );
    }
}
