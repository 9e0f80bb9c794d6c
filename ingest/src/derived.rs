//! What `iamlog ingest` derives from an org once and keeps in its snapshot, so that questions
//! asked of the snapshot do not derive it again (DESIGN.md §5: a snapshot holds the ingested
//! and the derived facts).
//!
//! The derivation itself runs in the CLI (it puts questions to the core rules); this crate
//! only holds and stores the result. An org read from exports has nothing derived: the
//! questions then derive what they need as they go, with the same answers.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What a snapshot keeps besides the org.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Derived {
    /// Every `can_assume` edge of the org (rule C1, static context), by caller in ARN order,
    /// then by role; `None` when not derived.
    pub assume_edges: Option<Vec<Arc<AssumeEdge>>>,
    /// `assume_edges` indexed by role (`to`): worked out when a snapshot is read, on the
    /// thread that reads these edges while another reads the org (not stored: it follows from
    /// the edges). `None` when not worked out; see [`Derived::edges_into`]. Private, so that it
    /// never describes other edges than `assume_edges` ([`Derived::set_assume_edges`]).
    #[serde(skip)]
    assume_edges_into: Option<EdgesInto>,
}

/// Role-assumption edges by role: the positions of the edges into each role, in their order.
#[derive(Debug, Clone, Default)]
pub struct EdgesInto {
    /// The positions in `assume_edges`, role after role.
    order: Vec<u32>,
    /// Each role's span of `order`.
    spans: rustc_hash::FxHashMap<Box<str>, (u32, u32)>,
}

impl EdgesInto {
    /// The index of `edges`; `None` when there are more than a `u32` counts.
    pub fn new(edges: &[Arc<AssumeEdge>]) -> Option<Self> {
        u32::try_from(edges.len()).ok()?;
        // Each role numbered in order of appearance, then the positions laid out role after
        // role (counted, then placed), each role's in their order.
        let mut ids: rustc_hash::FxHashMap<&str, u32> = rustc_hash::FxHashMap::default();
        let mut of_edge: Vec<u32> = Vec::with_capacity(edges.len());
        for e in edges {
            let next = u32::try_from(ids.len()).ok()?;
            of_edge.push(*ids.entry(e.to.as_str()).or_insert(next));
        }
        let mut start = vec![0u32; ids.len() + 1];
        for &id in &of_edge {
            *start.get_mut(id as usize + 1)? += 1;
        }
        for i in 1..start.len() {
            let before = *start.get(i - 1)?;
            *start.get_mut(i)? += before;
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; edges.len()];
        for (i, &id) in of_edge.iter().enumerate() {
            let at = fill.get_mut(id as usize)?;
            *order.get_mut(*at as usize)? = u32::try_from(i).ok()?;
            *at += 1;
        }
        let mut spans = rustc_hash::FxHashMap::default();
        spans.reserve(ids.len());
        for (role, id) in ids {
            let span = (*start.get(id as usize)?, *start.get(id as usize + 1)?);
            spans.insert(Box::from(role), span);
        }
        Some(EdgesInto { order, spans })
    }

    /// The positions of the edges into `role`, in their order.
    pub fn into_role(&self, role: &str) -> &[u32] {
        self.spans
            .get(role)
            .and_then(|&(a, b)| self.order.get(a as usize..b as usize))
            .unwrap_or_default()
    }
}

impl Derived {
    /// Replaces the role-assumption edges; an index of the old ones is dropped.
    pub fn set_assume_edges(&mut self, edges: Option<Vec<Arc<AssumeEdge>>>) {
        self.assume_edges = edges;
        self.assume_edges_into = None;
    }

    /// Works out [`Derived::assume_edges_into`], when there are edges.
    pub fn index_edges(&mut self) {
        self.assume_edges_into = self.assume_edges.as_deref().and_then(EdgesInto::new);
    }

    /// The role-assumption edges by role: kept if worked out, else worked out now. `None`
    /// without edges (or with more than a `u32` counts).
    pub fn edges_into(&self) -> Option<std::borrow::Cow<'_, EdgesInto>> {
        match (&self.assume_edges_into, &self.assume_edges) {
            (Some(index), _) => Some(std::borrow::Cow::Borrowed(index)),
            (None, Some(edges)) => EdgesInto::new(edges).map(std::borrow::Cow::Owned),
            (None, None) => None,
        }
    }
}

/// One role-assumption edge: `from` may call `sts:AssumeRole` on `to`, and what decides it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssumeEdge {
    pub from: String,
    pub to: String,
    /// `None` when unconditional; else the residual condition (e.g. on `sts:ExternalId`) or
    /// `(limited: see caveats)`.
    pub condition: Option<String>,
    /// The identity policies that grant the caller `sts:AssumeRole` on the role: (policy,
    /// granter). Empty when the trust policy alone allows it (same account, naming the caller).
    pub identity: Vec<(String, String)>,
    /// The trust-policy statements that allow the caller.
    pub trust: Vec<String>,
    /// What limits a conditional edge: (policy, condition), e.g. the trust policy's
    /// condition on `sts:ExternalId`.
    pub caveats: Vec<(Arc<str>, Option<Arc<str>>)>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn edge(from: &str, to: &str) -> Arc<AssumeEdge> {
        Arc::new(AssumeEdge {
            from: from.into(),
            to: to.into(),
            condition: None,
            identity: Vec::new(),
            trust: Vec::new(),
            caveats: Vec::new(),
        })
    }

    #[test]
    fn edges_into_each_role_are_its_positions_in_order() {
        // By caller, then role, as a snapshot keeps them.
        let edges = vec![
            edge("a", "r2"),
            edge("a", "r3"),
            edge("b", "r1"),
            edge("b", "r2"),
            edge("c", "r2"),
            edge("c", "r3"),
        ];
        let index = EdgesInto::new(&edges).unwrap();
        assert_eq!(index.into_role("r1"), &[2]);
        assert_eq!(index.into_role("r2"), &[0, 3, 4]);
        assert_eq!(index.into_role("r3"), &[1, 5]);
        assert!(index.into_role("r4").is_empty());
        assert!(EdgesInto::new(&[]).unwrap().into_role("r1").is_empty());

        // Kept once worked out (as a snapshot's reader does), worked out on demand before.
        let mut derived = Derived {
            assume_edges: Some(edges),
            assume_edges_into: None,
        };
        assert!(matches!(
            derived.edges_into(),
            Some(std::borrow::Cow::Owned(_))
        ));
        derived.index_edges();
        let kept = derived.edges_into().unwrap();
        assert!(matches!(kept, std::borrow::Cow::Borrowed(_)));
        assert_eq!(kept.into_role("r2"), &[0, 3, 4]);
        assert!(Derived::default().edges_into().is_none());

        // New edges drop the index of the old ones.
        derived.set_assume_edges(Some(vec![edge("a", "r9")]));
        let fresh = derived.edges_into().unwrap();
        assert!(matches!(fresh, std::borrow::Cow::Owned(_)));
        assert_eq!(fresh.into_role("r9"), &[0]);
        assert!(fresh.into_role("r2").is_empty());
    }
}
