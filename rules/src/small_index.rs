//! The relation store of the generated program (`#![ds(crate::small_index)]`): ascent's default
//! store (`ascent::rel`) with one change, in the indexes.
//!
//! An ascent index maps a key (the columns a rule looks a relation up by) to the rows with that
//! key. Ascent's default keeps every key's rows in a `Vec` allocated with room for four. Most
//! of our keys name one row: `explicit_deny`, `granted` and `identity_allow` are looked up by
//! (source, action, destination), which a run derives about once each. So the default
//! allocates, writes and later frees a 4-row vector per row and per index; on the iam-ape org
//! that was about a fifth of all the CPU time of `what-can --all` (perf). Here a key's first
//! row is kept inline in the map, and a vector is allocated only at its second row.
//!
//! Everything else (the relation's row vector, its full index) is ascent's own. The parallel
//! (`par`) forms are not provided: the program is sequential, and threads run whole programs.

use std::collections::hash_map::{Entry, Iter as MapIter};
use std::collections::HashMap;
use std::hash::Hash;

use ascent::internal::{RelIndexMerge, RelIndexRead, RelIndexReadAll, RelIndexWrite, ToRelIndex};
use rustc_hash::FxBuildHasher;

/// The rows of one key: the first inline, more in a vector.
#[derive(Clone, Debug)]
pub enum Bucket<V> {
    /// The key's only row.
    One(V),
    /// Two rows or more.
    Many(Vec<V>),
}

impl<V> Bucket<V> {
    /// The rows, as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[V] {
        match self {
            Bucket::One(v) => std::slice::from_ref(v),
            Bucket::Many(vs) => vs,
        }
    }

    /// Adds a row.
    #[inline]
    fn push(&mut self, value: V) {
        match self {
            Bucket::Many(vs) => vs.push(value),
            Bucket::One(_) => {
                if let Bucket::One(first) = std::mem::replace(self, Bucket::Many(Vec::new())) {
                    if let Bucket::Many(vs) = self {
                        vs.reserve(4);
                        vs.push(first);
                        vs.push(value);
                    }
                }
            }
        }
    }

    /// Adds all of `other`'s rows (the longer vector is kept, the shorter moved into it).
    fn append(&mut self, other: Bucket<V>) {
        match other {
            Bucket::One(v) => self.push(v),
            Bucket::Many(mut vs) => {
                if let Bucket::Many(mine) = self {
                    if vs.len() > mine.len() {
                        std::mem::swap(&mut vs, mine);
                    }
                    mine.append(&mut vs);
                } else {
                    let mine = std::mem::replace(self, Bucket::Many(vs));
                    self.append(mine);
                }
            }
        }
    }
}

/// `ToRelIndex` for an index type that is its own read and write view.
macro_rules! index_is_its_own_view {
    ($ty: ty, $($param: ident),*) => {
        impl<$($param,)* Rel> ToRelIndex<Rel> for $ty {
            type RelIndex<'a>
                = &'a Self
            where
                Self: 'a,
                Rel: 'a;

            #[inline(always)]
            fn to_rel_index<'a>(&'a self, _rel: &'a Rel) -> Self::RelIndex<'a> {
                self
            }

            type RelIndexWrite<'a>
                = &'a mut Self
            where
                Self: 'a,
                Rel: 'a;

            #[inline(always)]
            fn to_rel_index_write<'a>(&'a mut self, _rel: &'a mut Rel) -> Self::RelIndexWrite<'a> {
                self
            }
        }
    };
}

/// An index: each key's rows (see the module notes).
#[derive(Clone, Debug)]
pub struct SmallIndex<K, V>(HashMap<K, Bucket<V>, FxBuildHasher>);

impl<K, V> Default for SmallIndex<K, V> {
    #[inline]
    fn default() -> Self {
        SmallIndex(HashMap::default())
    }
}

// An index is its own read and write view (as ascent's default indexes are).
index_is_its_own_view!(SmallIndex<K, V>, K, V);

impl<'a, K: Eq + Hash + 'a, V: Clone + 'a> RelIndexRead<'a> for SmallIndex<K, V> {
    type Key = K;
    type Value = &'a V;
    type IteratorType = std::slice::Iter<'a, V>;

    #[inline]
    fn index_get(&'a self, key: &K) -> Option<Self::IteratorType> {
        self.0.get(key).map(|b| b.as_slice().iter())
    }

    #[inline(always)]
    fn len_estimate(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    fn is_empty(&'a self) -> bool {
        self.0.is_empty()
    }
}

/// A key and an iterator over its rows.
type KeyRows<'a, K, V> = (&'a K, std::slice::Iter<'a, V>);
/// A map entry to its key and rows.
type ToKeyRows<'a, K, V> = fn((&'a K, &'a Bucket<V>)) -> KeyRows<'a, K, V>;

impl<'a, K: Eq + Hash + 'a, V: Clone + 'a> RelIndexReadAll<'a> for SmallIndex<K, V> {
    type Key = &'a K;
    type Value = &'a V;
    type ValueIteratorType = std::slice::Iter<'a, V>;
    type AllIteratorType = std::iter::Map<MapIter<'a, K, Bucket<V>>, ToKeyRows<'a, K, V>>;

    fn iter_all(&'a self) -> Self::AllIteratorType {
        let rows: ToKeyRows<'a, K, V> = |(k, b)| (k, b.as_slice().iter());
        self.0.iter().map(rows)
    }
}

impl<K: Eq + Hash, V> RelIndexWrite for SmallIndex<K, V> {
    type Key = K;
    type Value = V;

    #[inline]
    fn index_insert(&mut self, key: K, value: V) {
        match self.0.entry(key) {
            Entry::Occupied(mut rows) => rows.get_mut().push(value),
            Entry::Vacant(slot) => {
                slot.insert(Bucket::One(value));
            }
        }
    }
}

impl<K: Eq + Hash, V> RelIndexMerge for SmallIndex<K, V> {
    fn move_index_contents(from: &mut Self, to: &mut Self) {
        if from.0.len() > to.0.len() {
            std::mem::swap(from, to);
        }
        to.0.reserve(from.0.len());
        for (k, rows) in from.0.drain() {
            match to.0.entry(k) {
                Entry::Occupied(mut mine) => mine.get_mut().append(rows),
                Entry::Vacant(slot) => {
                    slot.insert(rows);
                }
            }
        }
    }
}

/// The index with no key (the rows a rule iterates over): a vector, with no hashing of `()`
/// per row.
#[derive(Clone, Debug)]
pub struct AllRows<V>(Vec<V>);

impl<V> Default for AllRows<V> {
    #[inline]
    fn default() -> Self {
        AllRows(Vec::new())
    }
}

index_is_its_own_view!(AllRows<V>, V);

impl<'a, V: Clone + 'a> RelIndexRead<'a> for AllRows<V> {
    type Key = ();
    type Value = &'a V;
    type IteratorType = std::slice::Iter<'a, V>;

    /// As a map from `()`: nothing while there are no rows.
    #[inline]
    fn index_get(&'a self, _key: &()) -> Option<Self::IteratorType> {
        (!self.0.is_empty()).then(|| self.0.iter())
    }

    /// The number of keys, as a map from `()`.
    #[inline(always)]
    fn len_estimate(&self) -> usize {
        usize::from(!self.0.is_empty())
    }

    #[inline(always)]
    fn is_empty(&'a self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, V: Clone + 'a> RelIndexReadAll<'a> for AllRows<V> {
    type Key = &'a ();
    type Value = &'a V;
    type ValueIteratorType = std::slice::Iter<'a, V>;
    type AllIteratorType = std::option::IntoIter<(&'a (), std::slice::Iter<'a, V>)>;

    fn iter_all(&'a self) -> Self::AllIteratorType {
        (!self.0.is_empty())
            .then(|| (&(), self.0.iter()))
            .into_iter()
    }
}

impl<V> RelIndexWrite for AllRows<V> {
    type Key = ();
    type Value = V;

    #[inline]
    fn index_insert(&mut self, _key: (), value: V) {
        self.0.push(value);
    }
}

impl<V> RelIndexMerge for AllRows<V> {
    fn move_index_contents(from: &mut Self, to: &mut Self) {
        if from.0.len() > to.0.len() {
            std::mem::swap(from, to);
        }
        to.0.append(&mut from.0);
    }
}

/// No code per relation.
#[doc(hidden)]
#[macro_export]
macro_rules! rel_codegen {
    ( $($tt: tt)* ) => {};
}
pub use rel_codegen;

/// A relation's rows: a vector, as in ascent's default store.
#[doc(hidden)]
#[macro_export]
macro_rules! rel {
    ($name: ident, $field_types: ty, $indices: expr, ser, ()) => {
        ::std::vec::Vec<$field_types>
    };
}
pub use rel;

/// Nothing shared between a relation's indexes.
#[doc(hidden)]
#[macro_export]
macro_rules! rel_ind_common {
    ($name: ident, $field_types: ty, $indices: expr, ser, ()) => {
        ()
    };
}
pub use rel_ind_common;

/// The full index (which rows exist): ascent's own.
#[doc(hidden)]
#[macro_export]
macro_rules! rel_full_ind {
    ($name: ident, $field_types: ty, $indices: expr, ser, (), $key: ty, $val: ty) => {
        ::ascent::internal::RelFullIndexType<$key, $val>
    };
}
pub use rel_full_ind;

/// The index with no key: [`AllRows`]; every other index: a [`SmallIndex`].
#[doc(hidden)]
#[macro_export]
macro_rules! rel_ind {
    ($name: ident, $field_types: ty, $indices: expr, ser, (), [], $key: ty, $val: ty) => {
        $crate::small_index::AllRows<$val>
    };
    ($name: ident, $field_types: ty, $indices: expr, ser, (), $ind: expr, $key: ty, $val: ty) => {
        $crate::small_index::SmallIndex<$key, $val>
    };
}
pub use rel_ind;

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(index: &SmallIndex<u32, u32>, key: u32) -> Vec<u32> {
        let mut v: Vec<u32> = index
            .index_get(&key)
            .map(|it| it.copied().collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    #[test]
    fn a_key_keeps_every_row_inline_or_not() {
        let mut index = SmallIndex::default();
        index.index_insert(1, 10);
        index.index_insert(2, 20);
        index.index_insert(2, 21);
        index.index_insert(2, 22);
        assert_eq!(rows(&index, 1), vec![10]);
        assert_eq!(rows(&index, 2), vec![20, 21, 22]);
        assert_eq!(rows(&index, 3), Vec::<u32>::new());
        assert!(matches!(index.0.get(&1), Some(Bucket::One(10))));
        assert_eq!(index.len_estimate(), 2);
        let mut all: Vec<(u32, usize)> = index.iter_all().map(|(k, it)| (*k, it.count())).collect();
        all.sort_unstable();
        assert_eq!(all, vec![(1, 1), (2, 3)]);
    }

    #[test]
    fn the_index_with_no_key_reads_as_a_map_from_unit() {
        let mut all: AllRows<u32> = AllRows::default();
        assert!(all.index_get(&()).is_none());
        assert_eq!(all.iter_all().count(), 0);
        assert_eq!(all.len_estimate(), 0);
        all.index_insert((), 1);
        all.index_insert((), 2);
        let mut more = AllRows::default();
        more.index_insert((), 3);
        AllRows::move_index_contents(&mut more, &mut all);
        assert!(more.0.is_empty());
        let mut got: Vec<u32> = all
            .index_get(&())
            .map(|it| it.copied().collect())
            .unwrap_or_default();
        got.sort_unstable();
        assert_eq!(got, vec![1, 2, 3]);
        assert_eq!(all.len_estimate(), 1);
        assert_eq!(
            all.iter_all().map(|(_, rows)| rows.count()).sum::<usize>(),
            3
        );
    }

    #[test]
    fn merging_keeps_the_rows_of_both_sides() {
        // Every pairing of inline and vector buckets, with either side the larger map.
        let mut small = SmallIndex::default();
        small.index_insert(1, 11);
        small.index_insert(2, 21);
        small.index_insert(2, 22);
        small.index_insert(5, 50);
        let mut large = SmallIndex::default();
        for (k, v) in [
            (1, 12),
            (1, 13),
            (2, 23),
            (3, 30),
            (4, 40),
            (4, 41),
            (6, 60),
        ] {
            large.index_insert(k, v);
        }
        for (mut from, mut to) in [
            (small.clone(), large.clone()),
            (large.clone(), small.clone()),
        ] {
            SmallIndex::move_index_contents(&mut from, &mut to);
            assert!(from.0.is_empty());
            assert_eq!(rows(&to, 1), vec![11, 12, 13]);
            assert_eq!(rows(&to, 2), vec![21, 22, 23]);
            assert_eq!(rows(&to, 3), vec![30]);
            assert_eq!(rows(&to, 4), vec![40, 41]);
            assert_eq!(rows(&to, 5), vec![50]);
            assert_eq!(rows(&to, 6), vec![60]);
        }
    }
}
