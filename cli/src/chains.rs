//! Role chains: the `can_assume` edges the core rules derive (rule C1), and shortest chains
//! over them, for `who-can` (access reached through a chain) and `path`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use iamlog_engine::Sym;
use iamlog_ingest::aws::facts::TRUE_CONDITION;

use iamlog_ingest::aws::facts::{self, Context, Points, Question, RequestPoint, Sources};

use crate::analysis::{self, Answer, Caveat, Org};

/// Decides `sts:AssumeRole` points (static context), in parts of at least `min_part` callers
/// on `threads` threads ([`analysis::ask_in_parts`]: a caller's edges depend only on its own
/// policies and the org's), and adds their edges to `chains`. Each part's edges are read
/// (and its answer dropped) on the thread that decided it.
fn add_points(
    chains: &mut Chains,
    org: &Org,
    points: Vec<RequestPoint>,
    threads: usize,
    min_part: usize,
) {
    let sources: BTreeSet<String> = points.iter().map(|p| p.source.clone()).collect();
    let question = Question {
        sources: Sources::Only(sources.into_iter().collect()),
        points: Points::Only(points),
        context: Context::Static,
    };
    let parts = analysis::ask_in_parts(org, &question, threads, min_part, &|answer| {
        let mut part = Chains::default();
        part.add(&answer);
        part
    });
    for part in parts {
        chains.merge(part);
    }
}

/// The roles whose candidate callers [`Chains::all`] decides at a time: memory holds their
/// points, and the bound on them is checked between steps. (On the large synthetic org,
/// 50,000 roles in steps of 1,024 or of 8,192 take as long.)
pub const ALL_ROLES_PER_STEP: usize = 1024;

/// The most `sts:AssumeRole` candidates [`Chains::all`] decides for `iamlog ingest` (the large
/// synthetic org has 119,767 of them, and 98,806 edges).
pub const MAX_KEPT_POINTS: usize = 5_000_000;

/// One role-assumption edge (the type a snapshot keeps them in).
pub type Hop = iamlog_ingest::derived::AssumeEdge;

/// Every `can_assume` edge of an answer, by caller.
#[derive(Debug, Default)]
pub struct Chains {
    edges: BTreeMap<String, Vec<Arc<Hop>>>,
}

impl Chains {
    /// Adds the `can_assume` edges of an answer and, for each edge, the statements behind it.
    pub fn add(&mut self, answer: &Answer) {
        let d = &answer.derived;
        let assume: BTreeSet<Sym> = answer
            .facts
            .aws_assume_action
            .iter()
            .map(|(a,)| a.sym())
            .collect();
        let mut identity: BTreeMap<(Sym, Sym), Vec<(String, String)>> = BTreeMap::new();
        for &(s, a, x, pol, g, _) in &d.effective {
            if assume.contains(&a.sym()) {
                identity
                    .entry((s.sym(), x.sym()))
                    .or_default()
                    .push((answer.name(pol).to_string(), answer.name(g).to_string()));
            }
        }
        let mut trust: BTreeMap<(Sym, Sym), Vec<String>> = BTreeMap::new();
        for &(s, a, x, _, st, _) in &d.rp_allow {
            if assume.contains(&a.sym()) {
                trust
                    .entry((s.sym(), x.sym()))
                    .or_default()
                    .push(answer.name(st).to_string());
            }
        }
        let mut caveats: BTreeMap<(Sym, Sym), Vec<Caveat>> = BTreeMap::new();
        for &(s, a, x, pol, c) in &d.effective_caveat {
            if assume.contains(&a.sym()) {
                let c = answer.name(c);
                caveats.entry((s.sym(), x.sym())).or_default().push((
                    analysis::Text::from(answer.name(pol)),
                    (c != TRUE_CONDITION).then(|| analysis::Text::from(c)),
                ));
            }
        }
        let mut edges: BTreeMap<String, Vec<Arc<Hop>>> = BTreeMap::new();
        for &(s, r, c) in &d.can_assume {
            let key = (s.sym(), r.sym());
            let mut ids: Vec<(String, String)> = identity.get(&key).cloned().unwrap_or_default();
            // Rows granted by the trust policy itself name the role as granter.
            ids.retain(|(_, g)| g != answer.name(r));
            ids.sort();
            ids.dedup();
            let mut sts: Vec<String> = trust.get(&key).cloned().unwrap_or_default();
            sts.sort();
            sts.dedup();
            let cond = answer.name(c);
            let mut cav = if cond == TRUE_CONDITION {
                Vec::new()
            } else {
                caveats.get(&key).cloned().unwrap_or_default()
            };
            cav.sort();
            cav.dedup();
            edges
                .entry(answer.name(s).to_string())
                .or_default()
                .push(Arc::new(Hop {
                    from: answer.name(s).to_string(),
                    to: answer.name(r).to_string(),
                    condition: (cond != TRUE_CONDITION).then(|| cond.to_string()),
                    identity: ids,
                    trust: sts,
                    caveats: cav,
                }));
        }
        self.merge(Chains { edges });
    }

    /// Adds the edges of `other` (found by another question).
    fn merge(&mut self, other: Chains) {
        for (from, hops) in other.edges {
            let mine = self.edges.entry(from).or_default();
            mine.extend(hops);
            mine.sort();
            // One edge per role: the unconditional one when there is one.
            mine.dedup_by(|later, earlier| later.to == earlier.to);
        }
    }

    /// The callers with an edge into one of `roles`.
    pub fn callers_of(&self, roles: &BTreeSet<String>) -> BTreeSet<String> {
        self.edges
            .iter()
            .filter(|(_, hops)| hops.iter().any(|h| roles.contains(&h.to)))
            .map(|(from, _)| from.clone())
            .collect()
    }

    /// The roles `callers` have an edge into.
    pub fn roles_of(&self, callers: &BTreeSet<String>) -> BTreeSet<String> {
        callers
            .iter()
            .filter_map(|c| self.edges.get(c))
            .flatten()
            .map(|h| h.to.clone())
            .collect()
    }

    /// Follows chains back from `targets` (roles): decides, step by step, only the
    /// `sts:AssumeRole` points into roles already known to lead to a target.
    pub fn backward(org: &Org, targets: &BTreeSet<String>) -> Chains {
        Chains::backward_in_parts(org, targets, analysis::threads(), analysis::MIN_PART)
    }

    /// [`Chains::backward`], each step's callers asked in parts of at least `min_part` on
    /// `threads` threads (the same chains for any values).
    pub fn backward_in_parts(
        org: &Org,
        targets: &BTreeSet<String>,
        threads: usize,
        min_part: usize,
    ) -> Chains {
        if let Some(stored) = Chains::stored(org) {
            return stored.toward(org, targets);
        }
        let candidates = facts::AssumeCandidates::new(org.aws());
        Chains::backward_from(org, targets, candidates, threads, min_part)
    }

    /// [`Chains::backward_in_parts`] with the org's callers already gathered (and perhaps
    /// indexed: [`facts::AssumeCandidates::indexed`]); they are indexed once for every step.
    pub fn backward_from<'o>(
        org: &'o Org,
        targets: &BTreeSet<String>,
        mut candidates: facts::AssumeCandidates<'o>,
        threads: usize,
        min_part: usize,
    ) -> Chains {
        if let Some(stored) = Chains::stored(org) {
            return stored.toward(org, targets);
        }
        let mut chains = Chains::default();
        let mut seen: BTreeSet<String> = targets.clone();
        let mut frontier: BTreeSet<String> = targets.clone();
        while !frontier.is_empty() {
            let points = candidates.into_roles(&frontier, threads);
            if points.is_empty() {
                break;
            }
            add_points(&mut chains, org, points, threads, min_part);
            let callers = chains.callers_of(&frontier);
            frontier = callers
                .into_iter()
                .filter(|c| org.aws().principals.contains_key(c) && seen.insert(c.clone()))
                .collect();
        }
        chains
    }

    /// Every `can_assume` edge of the org: every role's candidate callers decided, the roles
    /// [`ALL_ROLES_PER_STEP`] at a time (each step's points in parts of at least `min_part`
    /// callers on `threads` threads), so that memory holds one step's points. `None` when the
    /// candidates number more than `max_points`: an org whose every role trusts its account
    /// and whose every principal may assume any role has roles times principals of them, and
    /// its questions then find the edges they need as they go ([`Chains::backward_from`]).
    pub fn all(org: &Org, threads: usize, min_part: usize, max_points: usize) -> Option<Chains> {
        Chains::all_in_steps(org, threads, min_part, max_points, ALL_ROLES_PER_STEP)
    }

    /// [`Chains::all`], `roles_per_step` roles at a time (the same edges for any number).
    fn all_in_steps(
        org: &Org,
        threads: usize,
        min_part: usize,
        max_points: usize,
        roles_per_step: usize,
    ) -> Option<Chains> {
        let aws = org.aws();
        let roles: Vec<&str> = aws
            .principals
            .values()
            .filter(|p| p.kind == iamlog_ingest::aws::model::PrincipalKind::Role)
            .map(|p| p.arn.as_str())
            .collect();
        let mut candidates = facts::AssumeCandidates::new(aws);
        let mut chains = Chains::default();
        let mut asked = 0usize;
        for step in roles.chunks(roles_per_step.max(1)) {
            let step: BTreeSet<String> = step.iter().map(|r| r.to_string()).collect();
            let points = candidates.into_roles(&step, threads);
            asked += points.len();
            if asked > max_points {
                return None;
            }
            add_points(&mut chains, org, points, threads, min_part);
        }
        Some(chains)
    }

    /// The edges, by caller in ARN order then by role: what a snapshot keeps
    /// ([`iamlog_ingest::derived::Derived`]).
    pub fn into_stored(self) -> Vec<Arc<Hop>> {
        self.edges.into_values().flatten().collect()
    }

    /// True when the org keeps its edges (read from a snapshot): the searches walk them.
    pub fn kept(org: &Org) -> bool {
        org.loaded.derived.assume_edges.is_some()
    }

    /// The edges the snapshot an org was read from keeps, if it keeps them.
    fn stored(org: &Org) -> Option<StoredEdges<'_>> {
        org.loaded
            .derived
            .assume_edges
            .as_deref()
            .map(|edges| StoredEdges {
                edges,
                derived: &org.loaded.derived,
            })
    }

    /// Follows chains forward from `from`: decides, step by step, only the `sts:AssumeRole`
    /// points of principals already reached.
    pub fn forward(org: &Org, from: &str) -> Chains {
        if let Some(stored) = Chains::stored(org) {
            return stored.from(from);
        }
        let mut chains = Chains::default();
        let mut seen: BTreeSet<String> = BTreeSet::from([from.to_string()]);
        let mut frontier = seen.clone();
        let mut candidates = facts::AssumeCandidates::new(org.aws());
        while !frontier.is_empty() {
            let points = candidates.from_callers(&frontier);
            if points.is_empty() {
                break;
            }
            add_points(
                &mut chains,
                org,
                points,
                analysis::threads(),
                analysis::MIN_PART,
            );
            let roles = chains.roles_of(&frontier);
            frontier = roles
                .into_iter()
                .filter(|r| seen.insert(r.clone()))
                .collect();
        }
        chains
    }

    /// The shortest chain (one hop or more) from `from` to every role it reaches, by role;
    /// ties are broken by the smaller ARNs, so the answer is deterministic.
    pub fn reachable(&self, from: &str) -> BTreeMap<String, Vec<Hop>> {
        self.reachable_refs(from)
            .into_iter()
            .map(|(role, chain)| (role.to_string(), chain.into_iter().cloned().collect()))
            .collect()
    }

    /// [`Chains::reachable`], the roles and hops borrowed from the chains (who-can walks the
    /// chains of every caller of a large org).
    pub fn reachable_refs<'c>(&'c self, from: &str) -> BTreeMap<&'c str, Vec<&'c Hop>> {
        self.reachable_where(from, &|_| true).into_iter().collect()
    }

    /// [`Chains::reachable_refs`] for the roles `wanted` accepts, in role order: the chains
    /// into the other roles are not built (who-can keeps only the roles with the access).
    pub fn reachable_where<'c>(
        &'c self,
        from: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Vec<(&'c str, Vec<&'c Hop>)> {
        shortest_where(&|at| self.edges.get(at).map(Vec::as_slice), from, wanted)
    }

    /// The edges by caller, hashed, for searches from many callers.
    pub fn index(&self) -> ChainIndex<'_> {
        ChainIndex {
            by_caller: self
                .edges
                .iter()
                .map(|(from, hops)| (from.as_str(), hops.as_slice()))
                .collect(),
        }
    }

    /// True when no edge exists at all.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }
}

/// [`Chains`]' edges looked up by hashing: `who-can` searches from every caller of the org
/// (60,000 on the large synthetic org), each step of each search a lookup.
pub struct ChainIndex<'c> {
    by_caller: rustc_hash::FxHashMap<&'c str, &'c [Arc<Hop>]>,
}

impl<'c> ChainIndex<'c> {
    /// [`Chains::reachable_where`].
    pub fn reachable_where(
        &self,
        from: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Vec<(&'c str, Vec<&'c Hop>)> {
        shortest_where(&|at| self.by_caller.get(at).copied(), from, wanted)
    }
}

/// The shortest chain from `from` to each role `wanted` accepts, over the edges `hops` gives
/// by caller, in role order ([`Chains::reachable_where`]).
fn shortest_where<'c>(
    hops: &dyn Fn(&str) -> Option<&'c [Arc<Hop>]>,
    from: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Vec<(&'c str, Vec<&'c Hop>)> {
    // Most callers of a large org assume nothing: no search, no allocation.
    let Some(first) = hops(from) else {
        return Vec::new();
    };
    // Breadth first: each role reached once, by the hop into it and the index of the role
    // that hop leaves (`None`: `from`). (The order of the search is the edges' order,
    // whatever set remembers the roles visited.)
    let mut reached: Vec<(&'c Hop, Option<usize>)> = Vec::new();
    let mut visited: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    visited.insert(from);
    let mut queue: VecDeque<(&'c [Arc<Hop>], Option<usize>)> = VecDeque::from([(first, None)]);
    while let Some((leaving, parent)) = queue.pop_front() {
        for hop in leaving {
            if !visited.insert(hop.to.as_str()) {
                continue;
            }
            reached.push((hop, parent));
            if let Some(next) = hops(&hop.to) {
                queue.push_back((next, Some(reached.len() - 1)));
            }
        }
    }
    let mut out: Vec<(&'c str, Vec<&'c Hop>)> = reached
        .iter()
        .filter(|(hop, _)| wanted(&hop.to))
        .map(|(hop, parent)| {
            let mut chain = vec![*hop];
            let mut at = *parent;
            while let Some((h, p)) = at.and_then(|i| reached.get(i)) {
                chain.push(h);
                at = *p;
            }
            chain.reverse();
            (hop.to.as_str(), chain)
        })
        .collect();
    // (Each role is reached once.)
    out.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out
}

/// The granter text of access reached through `chain`: `via A -> B -> C`.
pub fn chain_text(chain: &[&Hop]) -> String {
    // (One allocation: who-can writes one for each of its 26,000 chained sources and roles.)
    let len: usize = chain.iter().map(|h| h.to.len() + 4).sum();
    let mut text = String::with_capacity(len + 4);
    text.push_str("via ");
    for (i, h) in chain.iter().enumerate() {
        if i > 0 {
            text.push_str(" -> ");
        }
        text.push_str(&h.to);
    }
    text
}

/// Every `can_assume` edge of an org, as its snapshot keeps them (by caller, then role): the
/// searches above without deciding a point. Each gives the chains the search from the same
/// start finds step by step (the edges into, or out of, every principal it reaches), so the
/// chains and the shortest chains over them are the same.
struct StoredEdges<'e> {
    edges: &'e [Arc<Hop>],
    /// What holds them, with their index by role.
    derived: &'e iamlog_ingest::derived::Derived,
}

impl StoredEdges<'_> {
    /// [`Chains::backward_from`]: the edges into `targets` and into every principal of the
    /// org with an edge into one already reached.
    fn toward(&self, org: &Org, targets: &BTreeSet<String>) -> Chains {
        // The edges by role, in their order: the snapshot's reader indexed them while it read
        // the org (the large synthetic org keeps about 99,000 edges into 50,000 roles;
        // indexing them here was most of this search).
        let index = self.derived.edges_into().unwrap_or_default();
        let into_role = |role: &str| {
            index
                .into_role(role)
                .iter()
                .filter_map(|i| self.edges.get(*i as usize))
        };
        let mut seen: rustc_hash::FxHashSet<&str> = targets.iter().map(String::as_str).collect();
        let mut queue: VecDeque<&str> = targets.iter().map(String::as_str).collect();
        // The hops out of each caller, gathered by hash and sorted into the chains at the end
        // (most callers have several: a sorted map compared their ARNs, and copied one, at
        // every hop).
        let mut out_of: rustc_hash::FxHashMap<&str, Vec<Arc<Hop>>> =
            rustc_hash::FxHashMap::default();
        while let Some(role) = queue.pop_front() {
            for hop in into_role(role) {
                out_of.entry(&hop.from).or_default().push(Arc::clone(hop));
                // (A caller met before is not looked up in the org again.)
                if !seen.contains(hop.from.as_str()) && org.aws().principals.contains_key(&hop.from)
                {
                    seen.insert(&hop.from);
                    queue.push_back(&hop.from);
                }
            }
        }
        let edges = out_of
            .into_iter()
            .map(|(from, mut hops)| {
                hops.sort();
                (from.to_string(), hops)
            })
            .collect();
        Chains { edges }
    }

    /// [`Chains::forward`]: the edges out of `from` and out of every role reached.
    fn from(&self, from: &str) -> Chains {
        let mut chains = Chains::default();
        let mut seen: BTreeSet<&str> = BTreeSet::from([from]);
        let mut queue: VecDeque<&str> = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            let start = self.edges.partition_point(|h| h.from.as_str() < at);
            for hop in self
                .edges
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|h| h.from == at)
            {
                chains
                    .edges
                    .entry(hop.from.clone())
                    .or_default()
                    .push(Arc::clone(hop));
                if seen.insert(&hop.to) {
                    queue.push_back(&hop.to);
                }
            }
        }
        chains
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn fixture(name: &str) -> Org {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/orgs")
            .join(name)
            .join("input");
        Org::load(&[dir]).unwrap()
    }

    /// Every edge of an org is the same whether its roles are decided all at once, one at a
    /// time, or in parts on two threads; the edges a search back from the roles finds step by
    /// step are among them; and an org with more candidates than allowed keeps none.
    #[test]
    fn all_edges_are_the_same_in_any_steps_and_hold_what_searches_find() {
        let org = fixture("aws-multi-account");
        let once = Chains::all_in_steps(&org, 1, 1, usize::MAX, usize::MAX).unwrap();
        let edges = once.edges.values().map(Vec::len).sum::<usize>();
        assert!(edges > 3, "too few edges: {once:?}");
        for (threads, min_part, per_step) in [(1, 1, 1), (2, 1, 2), (2, 512, 3)] {
            let other =
                Chains::all_in_steps(&org, threads, min_part, usize::MAX, per_step).unwrap();
            assert_eq!(format!("{once:?}"), format!("{other:?}"), "{per_step}");
        }
        let roles: BTreeSet<String> = once
            .edges
            .values()
            .flatten()
            .map(|h| h.to.clone())
            .collect();
        let searched = Chains::backward(&org, &roles);
        for (from, hops) in &searched.edges {
            for hop in hops {
                assert!(
                    once.edges.get(from).is_some_and(|h| h.contains(hop)),
                    "{hop:?}"
                );
            }
        }
        assert!(Chains::all_in_steps(&org, 1, 1, edges - 1, 1).is_none());
    }
}
