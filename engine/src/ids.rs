//! Typed interned ids.
//!
//! Every string iamlog reasons about (ARNs, actions, policy names, condition texts) is interned
//! once into an [`Interner`]; relations hold small `Copy` ids. All typed ids index the same
//! string table, so the same string always has the same number whatever its type: this keeps
//! joins between, say, a principal and a resource naming the same ARN trivial.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

/// An untyped interned string: an index into an [`Interner`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Sym(pub u32);

macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
        pub struct $name(pub Sym);

        impl $name {
            /// The underlying untyped symbol.
            pub fn sym(self) -> Sym {
                self.0
            }
        }

        impl From<Sym> for $name {
            fn from(s: Sym) -> Self {
                $name(s)
            }
        }

        impl From<$name> for Sym {
            fn from(id: $name) -> Sym {
                id.0
            }
        }
    )*};
}

typed_ids! {
    /// An identity that can act, or a group that grants: user, role, group, the special "all".
    PrincipalId,
    /// A concrete action (`s3:GetObject`), or the symbol `*` for every action.
    ActionId,
    /// A destination: a concrete resource ARN or a resource pattern.
    ResourceId,
    /// A policy document (managed, inline, boundary, ...).
    PolicyId,
    /// One statement of a policy, `<policy>#<index or Sid>`.
    StatementId,
    /// A scope in a hierarchy: account, OU, organization root.
    ScopeId,
    /// A residual condition (the part of a Condition block not decided statically), or `true`.
    ConditionId,
    /// Any other string: kinds, clouds, tag keys and values.
    SymbolId,
}

/// The string table. Interning the same string twice returns the same [`Sym`].
#[derive(Default, Clone)]
pub struct Interner {
    strings: Vec<Box<str>>,
    /// FxHash: symbols are numbered in interning order, so the hasher never shows; SipHash
    /// was a sixth of building a question's facts.
    index: HashMap<Box<str>, Sym>,
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.strings.len())
            .finish()
    }
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns `s`, returning its symbol.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.index.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).unwrap_or(u32::MAX));
        let boxed: Box<str> = s.into();
        self.strings.push(boxed.clone());
        self.index.insert(boxed, sym);
        sym
    }

    /// Interns `s` as a typed id.
    pub fn id<T: From<Sym>>(&mut self, s: &str) -> T {
        T::from(self.intern(s))
    }

    /// Looks `s` up without interning it.
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }

    /// The string behind a symbol. Unknown symbols (from another interner) resolve to `""`.
    pub fn resolve(&self, sym: impl Into<Sym>) -> &str {
        let Sym(i) = sym.into();
        self.strings.get(i as usize).map_or("", |s| s)
    }

    /// Number of interned strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Every interned string, in symbol order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_string_same_symbol_across_types() {
        let mut i = Interner::new();
        let p: PrincipalId = i.id("arn:aws:iam::1:user/a");
        let r: ResourceId = i.id("arn:aws:iam::1:user/a");
        assert_eq!(p.sym(), r.sym());
        assert_eq!(i.resolve(p), "arn:aws:iam::1:user/a");
        let other: ActionId = i.id("s3:GetObject");
        assert_ne!(other.sym(), p.sym());
        assert_eq!(i.len(), 2);
    }
}
