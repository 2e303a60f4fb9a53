//! Stable sorting through one shared, non-generic merge sort.
//!
//! Why not `slice::sort_by`: every call with its own closure (or element type)
//! makes the compiler emit a fresh copy of the standard library's sort
//! (driftsort/ipnsort, 2–10 KiB of WebAssembly each). With a few dozen call
//! sites those copies were a fifth of the package's code. Here the elements are
//! never moved while comparing: a permutation of positions is merge-sorted with
//! the comparison behind a `&mut dyn` comparison of two positions, so the
//! sort itself is compiled exactly once; each call site only adds its closure
//! and a short loop that applies the permutation.
//!
//! All functions are stable (equal elements keep their order) and take
//! O(n log n) comparisons and n words of scratch. For sorts of primitive keys
//! where equal elements are indistinguishable, the result equals
//! `sort_unstable`'s. Natively, where code size does not matter, [`sort_by`]
//! calls the standard library's stable sort instead (faster); the result of a
//! stable sort by a total order is unique, so both targets order everything
//! identically. Comparisons must be total orders (`f32::total_cmp`, ids as
//! tie-breakers): the shared merge sort never panics without one, but the
//! standard sort may.
//!
//! ```
//! let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
//! localrec::sort::sort_by_key(&mut v, |p| std::cmp::Reverse(p.0));
//! assert_eq!(v, [(3, 'a'), (3, 'c'), (2, 'd'), (1, 'b')]);
//!
//! let scores = [0.5f32, 2.0, 1.0];
//! let order = localrec::sort::order_by(scores.len(), |a, b| scores[b].total_cmp(&scores[a]));
//! assert_eq!(order, [1, 2, 0]);
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Runs shorter than this are insertion-sorted before merging.
const RUN: usize = 16;

/// A comparison of two positions, what the shared sort and selection call through `&mut dyn`.
/// A trait of its own rather than `dyn FnMut`: a `dyn FnMut` vtable also holds a `call_once`
/// shim per closure (a second copy of its body in the wasm, never called); this one holds only
/// `compare`.
trait Compare {
    fn compare(&mut self, a: usize, b: usize) -> Ordering;
}

impl<F: FnMut(usize, usize) -> Ordering> Compare for F {
    fn compare(&mut self, a: usize, b: usize) -> Ordering {
        self(a, b)
    }
}

/// Sorts `v` stably by `compare`.
pub fn sort_by<T>(v: &mut [T], compare: impl FnMut(&T, &T) -> Ordering) {
    if cfg!(target_arch = "wasm32") {
        sort_by_permutation(v, compare);
    } else {
        v.sort_by(compare);
    }
}

/// [`sort_by`] through [`order_by`]'s shared merge sort (what wasm32 uses).
fn sort_by_permutation<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut perm = {
        let items: &[T] = v;
        order_by(items.len(), |a, b| match (items.get(a), items.get(b)) {
            (Some(x), Some(y)) => compare(x, y),
            _ => Ordering::Equal,
        })
    };
    apply_permutation(v, &mut perm);
}

/// Reorders `v` exactly as `v.select_nth_unstable_by(k, compare)` does (the element `k`
/// would have in sorted order at `v[k]`, the ones before it in `v[..k]`, the ones after it in
/// `v[k + 1..]`, each part in the same arrangement as the standard library leaves it); nothing
/// when `k >= v.len()`, where the standard library panics. In wasm32 the selection runs on a
/// permutation of positions through one shared instance of the standard library's
/// introselect ([`select_positions`]) instead of a copy per element type and closure (~2.7 KB
/// each): it makes the same comparisons and the same moves, so the same arrangement (tested).
pub fn select_nth_by<T>(v: &mut [T], k: usize, compare: impl FnMut(&T, &T) -> Ordering) {
    if k >= v.len() {
        return;
    }
    if cfg!(target_arch = "wasm32") {
        select_nth_by_permutation(v, k, compare);
    } else {
        v.select_nth_unstable_by(k, compare);
    }
}

/// [`select_nth_by`] through [`select_positions`] (what wasm32 uses).
fn select_nth_by_permutation<T>(
    v: &mut [T],
    k: usize,
    mut compare: impl FnMut(&T, &T) -> Ordering,
) {
    let mut perm: Vec<usize> = (0..v.len()).collect();
    {
        let items: &[T] = v;
        select_positions(
            &mut perm,
            k,
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => compare(x, y),
                _ => Ordering::Equal,
            },
        );
    }
    apply_permutation(v, &mut perm);
}

/// The standard library's selection over positions compared by `compare`: the one instance.
#[inline(never)]
fn select_positions(perm: &mut [usize], k: usize, compare: &mut dyn Compare) {
    if k < perm.len() {
        perm.select_nth_unstable_by(k, |&a, &b| compare.compare(a, b));
    }
}

/// Sorts `v` stably by the key `key` extracts.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order (stable; for primitives the same as `sort_unstable`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The positions `0..n` in the order `compare` (which compares positions) defines; stable.
pub fn order_by(n: usize, mut compare: impl FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    merge_sort(&mut perm, &mut compare);
    perm
}

/// `set` with `value` inserted, for `iter.fold(BTreeSet::new(), inserted)`: the same set as
/// `collect()`, whose bulk build sorts the items first (one more std sort copy per type).
pub fn inserted<T: Ord>(mut set: BTreeSet<T>, value: T) -> BTreeSet<T> {
    set.insert(value);
    set
}

/// `map` with `(key, value)` inserted (a later value for a key replaces the earlier one, as in
/// `collect()`), for `iter.fold(BTreeMap::new(), inserted_pair)`; see [`inserted`].
pub fn inserted_pair<K: Ord, V>(mut map: BTreeMap<K, V>, (key, value): (K, V)) -> BTreeMap<K, V> {
    map.insert(key, value);
    map
}

/// A map with `u32` keys that is built once and then only read: the `(key, value)` pairs sorted
/// by key, one per key, found by binary search. It stands for a `BTreeMap<u32, V>` filled by
/// `insert` (or `*entry(k).or_insert(0.0) += v`) and then read, with the same keys, values and
/// key order, but without the B-tree's code (node splits, entries, drops) per value type; the
/// build is one [`sort_u64_u32`] of (key, position) pairs, shared by every value type.
#[derive(Debug, Clone, PartialEq)]
pub struct U32Map<V> {
    pairs: Vec<(u32, V)>,
}

impl<V> Default for U32Map<V> {
    fn default() -> Self {
        U32Map { pairs: Vec::new() }
    }
}

impl<V: Copy> U32Map<V> {
    /// The map `pairs` inserted in order gives: a later value for a key replaces the earlier one.
    pub fn from_last(pairs: &[(u32, V)]) -> Self {
        Self::grouped(pairs, |v| v, |slot, v| *slot = v)
    }

    /// One entry per key, in key order: its first value through `first`, each later one
    /// (in the order of `pairs`) folded in with `merge`.
    fn grouped(pairs: &[(u32, V)], first: impl Fn(V) -> V, merge: impl Fn(&mut V, V)) -> Self {
        let mut out: Vec<(u32, V)> = Vec::with_capacity(pairs.len());
        for &(_, position) in &key_order(pairs) {
            let Some(&(key, value)) = pairs.get(position as usize) else {
                continue;
            };
            match out.last_mut() {
                Some(last) if last.0 == key => merge(&mut last.1, value),
                _ => out.push((key, first(value))),
            }
        }
        U32Map { pairs: out }
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: u32) -> Option<V> {
        self.pairs
            .binary_search_by(|p| p.0.cmp(&key))
            .ok()
            .and_then(|i| self.pairs.get(i))
            .map(|p| p.1)
    }

    /// The keys in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.pairs.iter().map(|p| p.0)
    }

    /// The `(key, value)` pairs in ascending key order.
    pub fn pairs(&self) -> &[(u32, V)] {
        &self.pairs
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl U32Map<f64> {
    /// Each key's sum of its values, added from `0.0` in the order of `pairs`: bit for bit what
    /// `*map.entry(key).or_insert(0.0) += value` over `pairs` leaves in a `BTreeMap`.
    pub fn from_sums(pairs: &[(u32, f64)]) -> Self {
        // From 0.0 as the entry did: 0.0 + -0.0 is +0.0.
        Self::grouped(pairs, |v| 0.0 + v, |sum, v| *sum += v)
    }
}

/// (key, position) of every pair, sorted by key and, within a key, by position (a stable order).
fn key_order<V>(pairs: &[(u32, V)]) -> Vec<(u64, u32)> {
    let mut order: Vec<(u64, u32)> = pairs
        .iter()
        .enumerate()
        .map(|(position, p)| (u64::from(p.0), position as u32))
        .collect();
    sort_u64_u32(&mut order);
    order
}

/// A small ordered map that is updated in place: `(key, value)` pairs kept sorted by key in one
/// `Vec`, found by binary search. Iteration is in ascending key order, as a `BTreeMap`'s, but
/// the code per key/value type is a binary search and a `Vec` insert instead of a B-tree's
/// node handling. A new key costs a shift of the pairs after it (O(len)), so it suits maps of
/// hundreds to a few thousand keys that are read much more often than they gain keys (the
/// shopper profile: one map entry per distinct item, category, brand or token touched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedMap<K, V> {
    pairs: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap { pairs: Vec::new() }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map `pairs` inserted in order give: of equal keys the last value wins.
    pub fn from_pairs(mut pairs: Vec<(K, V)>) -> Self {
        sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
        // Stable sort: equal keys keep their order, so the later replaces the earlier.
        pairs.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(&mut earlier.1, &mut later.1);
            }
            same
        });
        SortedMap { pairs }
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => self
                .pairs
                .get_mut(at)
                .map(|p| std::mem::replace(&mut p.1, value)),
            Err(at) => {
                self.pairs.insert(at, (key, value));
                None
            }
        }
    }

    /// The `(key, value)` pairs in ascending key order.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.pairs
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> std::result::Result<usize, usize>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.pairs.binary_search_by(|p| p.0.borrow().cmp(key))
    }

    /// The value for `key`, if any.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(key)
            .ok()
            .and_then(|i| self.pairs.get(i))
            .map(|p| &p.1)
    }

    /// The value for `key`, if any, to change in place.
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        self.pairs.get_mut(at).map(|p| &mut p.1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// The value for `key`, first inserting `make()` if there is none
    /// (`BTreeMap::entry(key).or_insert_with(make)`).
    pub fn value_or(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.pairs.insert(at, (key, make()));
                at
            }
        };
        // `at` is a position the search or the insert just produced.
        &mut self.pairs[at].1
    }

    /// Removes `key` and returns its value, if it had one.
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let at = self.find(key).ok()?;
        Some(self.pairs.remove(at).1)
    }

    /// The keys in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.pairs.iter().map(|p| &p.0)
    }

    /// The values in ascending key order, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.pairs.iter_mut().map(|p| &mut p.1)
    }

    /// The `(key, value)` pairs in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.pairs.iter().map(|p| (&p.0, &p.1))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A [`SortedMap`] with `u32` keys split by the key's low bits into [`BUCKETS`] sorted maps, so
/// a new key shifts about `len / BUCKETS` pairs instead of `len`: for maps that grow to tens of
/// thousands of keys (the profile's per-item tables). Iteration visits the buckets in turn, so it
/// is in a fixed order (the same for the same keys on every target) but not ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketedMap<V> {
    buckets: Vec<SortedMap<u32, V>>,
}

/// The number of buckets of a [`BucketedMap`] (a power of two).
pub const BUCKETS: usize = 64;

impl<V> Default for BucketedMap<V> {
    fn default() -> Self {
        BucketedMap {
            buckets: Vec::new(),
        }
    }
}

impl<V> BucketedMap<V> {
    /// An empty map (the buckets are allocated with the first key).
    pub fn new() -> Self {
        Self::default()
    }

    fn bucket(&self, key: u32) -> Option<&SortedMap<u32, V>> {
        self.buckets.get(key as usize % BUCKETS)
    }

    /// The value for `key`, if any.
    pub fn get(&self, key: &u32) -> Option<&V> {
        self.bucket(*key)?.get(key)
    }

    /// The value for `key`, if any, to change in place.
    pub fn get_mut(&mut self, key: &u32) -> Option<&mut V> {
        self.buckets.get_mut(*key as usize % BUCKETS)?.get_mut(key)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &u32) -> bool {
        self.bucket(*key).is_some_and(|b| b.contains_key(key))
    }

    /// The value for `key`, first inserting `make()` if there is none.
    pub fn value_or(&mut self, key: u32, make: impl FnOnce() -> V) -> &mut V {
        if self.buckets.is_empty() {
            self.buckets.resize_with(BUCKETS, SortedMap::new);
        }
        // The buckets exist now and `key % BUCKETS` is below their number.
        self.buckets[key as usize % BUCKETS].value_or(key, make)
    }

    /// Removes `key` and returns its value, if it had one.
    pub fn remove(&mut self, key: &u32) -> Option<V> {
        self.buckets.get_mut(*key as usize % BUCKETS)?.remove(key)
    }

    /// The keys, bucket by bucket.
    pub fn keys(&self) -> impl Iterator<Item = &u32> + '_ {
        self.buckets.iter().flat_map(|b| b.keys())
    }

    /// The values, bucket by bucket, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> + '_ {
        self.buckets.iter_mut().flat_map(|b| b.values_mut())
    }

    /// The `(key, value)` pairs, bucket by bucket.
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &V)> + '_ {
        self.buckets.iter().flat_map(|b| b.iter())
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.len()).sum()
    }

    /// Whether the map holds no key.
    pub fn is_empty(&self) -> bool {
        self.buckets.iter().all(|b| b.is_empty())
    }
}

/// Sorts `u32`s in ascending order (the result of `sort_unstable`) with an LSD radix sort:
/// one counting pass per byte, O(n), a scratch copy of `v`, and one small copy of the code
/// instead of the standard library's pattern-defeating quicksort per element type.
pub fn sort_u32(v: &mut [u32]) {
    radix_sort(v, 4, |x, byte| *x >> (8 * byte));
}

/// Sorts `(u64, u32)` pairs in ascending (lexicographic) order, as [`sort_u32`] does `u32`s.
pub fn sort_u64_u32(v: &mut [(u64, u32)]) {
    radix_sort(v, 12, |&(hi, lo), byte| match byte {
        0..4 => lo >> (8 * byte),
        _ => (hi >> (8 * (byte - 4))) as u32,
    });
}

/// LSD radix sort of `v` by the `bytes` bytes `digit(x, b) & 0xFF`, least significant (`b = 0`)
/// first. Each pass is a stable counting sort, so after the last one `v` is in the order of the
/// whole key; passes where every element has the same byte are skipped.
fn radix_sort<T: Copy>(v: &mut [T], bytes: u32, digit: impl Fn(&T, u32) -> u32) {
    let Some(&first) = v.first() else {
        return;
    };
    let mut scratch = vec![first; v.len()];
    for byte in 0..bytes {
        radix_pass(v, &mut scratch, byte, &digit);
    }
}

/// One pass of [`radix_sort`]: `v` stably by byte `byte`, through `scratch` (`v.len()` long).
/// Not inlined: the passes of a sort share one copy (inlined, the fixed pass count unrolled it).
#[inline(never)]
fn radix_pass<T: Copy>(v: &mut [T], scratch: &mut [T], byte: u32, digit: &impl Fn(&T, u32) -> u32) {
    let Some(first) = v.first() else {
        return;
    };
    let mut counts = [0usize; 256];
    for x in v.iter() {
        counts[(digit(x, byte) & 0xFF) as usize] += 1;
    }
    // Every element has the same byte exactly when the first one's byte counts them all (an
    // O(1) test; `counts.contains` was a 256-entry scan unrolled into ~1 KB of SIMD).
    if counts[(digit(first, byte) & 0xFF) as usize] == v.len() {
        return;
    }
    let mut next = 0;
    for c in counts.iter_mut() {
        (*c, next) = (next, next + *c);
    }
    for x in v.iter() {
        let slot = &mut counts[(digit(x, byte) & 0xFF) as usize];
        if let Some(s) = scratch.get_mut(*slot) {
            *s = *x;
        }
        *slot += 1;
    }
    v.copy_from_slice(scratch);
}

/// Bottom-up merge sort of `perm` (positions) by `compare`: insertion sort on
/// runs of [`RUN`], then merges of doubling width through one scratch buffer.
fn merge_sort(perm: &mut Vec<usize>, compare: &mut dyn Compare) {
    let n = perm.len();
    for run in perm.chunks_mut(RUN) {
        for i in 1..run.len() {
            let mut j = i;
            while j > 0 && compare.compare(run[j - 1], run[j]) == Ordering::Greater {
                run.swap(j - 1, j);
                j -= 1;
            }
        }
    }
    if n <= RUN {
        return;
    }
    let mut scratch = vec![0usize; n];
    let mut width = RUN;
    while width < n {
        for (src, dst) in perm.chunks(2 * width).zip(scratch.chunks_mut(2 * width)) {
            let (left, right) = src.split_at(width.min(src.len()));
            merge(left, right, dst, compare);
        }
        std::mem::swap(perm, &mut scratch);
        width = width.saturating_mul(2);
    }
}

/// Merges the sorted `left` and `right` into `out` (`out.len() == left.len() + right.len()`);
/// on ties the element of `left` comes first, which keeps the sort stable.
fn merge(left: &[usize], right: &[usize], out: &mut [usize], compare: &mut dyn Compare) {
    let (mut l, mut r) = (0, 0);
    for slot in out.iter_mut() {
        let take_left = match (left.get(l), right.get(r)) {
            (Some(&a), Some(&b)) => compare.compare(a, b) != Ordering::Greater,
            (Some(_), None) => true,
            _ => false,
        };
        if take_left {
            *slot = left.get(l).copied().unwrap_or(0);
            l += 1;
        } else {
            *slot = right.get(r).copied().unwrap_or(0);
            r += 1;
        }
    }
}

/// Reorders `v` so that the new `v[i]` is the old `v[perm[i]]`, following
/// each cycle of the permutation with swaps (`perm` is consumed as the marker).
fn apply_permutation<T>(v: &mut [T], perm: &mut [usize]) {
    const DONE: usize = usize::MAX;
    let len = perm.len().min(v.len());
    for start in 0..len {
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut perm[at], DONE);
            if from == DONE || from == start || from >= len {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The permutation path against the standard library's selection on the elements
    /// themselves: the same arrangement, for element types of several sizes, lengths across
    /// the small-slice and median-of-medians thresholds, ties, sorted and reversed inputs.
    #[test]
    fn select_nth_by_permutation_arranges_as_the_standard_library() {
        let mut rng = Rng::new(17);
        let mut checked = 0;
        for len in [1, 2, 3, 15, 16, 17, 40, 63, 64, 65, 200, 1000, 5000] {
            for pattern in 0..5 {
                let scores: Vec<f32> = (0..len)
                    .map(|i| match pattern {
                        0 => rng.next_f32(),
                        1 => (rng.below(7)) as f32, // many ties
                        2 => i as f32,
                        3 => -(i as f32),
                        _ => ((i * 7919) % 13) as f32 - (i % 2) as f32 * 0.5,
                    })
                    .collect();
                for k in [0, len / 3, len / 2, len - 1] {
                    // (id, score) pairs by score descending, id descending (as sknn).
                    let pairs: Vec<(u32, f32)> = scores
                        .iter()
                        .enumerate()
                        .map(|(i, &s)| (i as u32, s))
                        .collect();
                    let by =
                        |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0));
                    let (mut ours, mut std) = (pairs.clone(), pairs.clone());
                    select_nth_by_permutation(&mut ours, k, by);
                    std.select_nth_unstable_by(k, by);
                    assert_eq!(ours, std, "len {len} pattern {pattern} k {k}");
                    // Wider elements (as the recommender's scored rows), ids ascending.
                    let wide: Vec<(f32, u32, [u64; 4])> = pairs
                        .iter()
                        .map(|&(i, s)| (s, i, [u64::from(i); 4]))
                        .collect();
                    let by_wide = |a: &(f32, u32, [u64; 4]), b: &(f32, u32, [u64; 4])| {
                        b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
                    };
                    let (mut ours, mut std) = (wide.clone(), wide.clone());
                    select_nth_by_permutation(&mut ours, k, by_wide);
                    std.select_nth_unstable_by(k, by_wide);
                    assert_eq!(ours, std, "wide: len {len} pattern {pattern} k {k}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 13 * 5 * 4);
        let mut v = vec![3, 1, 2];
        select_nth_by(&mut v, 3, |a, b| a.cmp(b)); // out of range: unchanged, no panic
        assert_eq!(v, [3, 1, 2]);
        select_nth_by(&mut v, 1, |a, b| a.cmp(b));
        assert_eq!(v[1], 2);
    }

    #[test]
    fn sorted_map_follows_a_btree_map_through_random_updates() {
        let mut rng = Rng::new(5);
        let mut ours: SortedMap<u32, f64> = SortedMap::new();
        let mut reference: BTreeMap<u32, f64> = BTreeMap::new();
        for step in 0..4000 {
            let key = rng.below(200) as u32;
            let value = f64::from(rng.normal());
            match rng.below(4) {
                0 => assert_eq!(ours.remove(&key), reference.remove(&key), "step {step}"),
                1 => {
                    if let (Some(a), Some(b)) = (ours.get_mut(&key), reference.get_mut(&key)) {
                        *a -= value;
                        *b -= value;
                    }
                }
                _ => {
                    *ours.value_or(key, || 0.0) += value;
                    *reference.entry(key).or_insert(0.0) += value;
                }
            }
            assert_eq!(ours.contains_key(&key), reference.contains_key(&key));
            assert_eq!(ours.get(&key), reference.get(&key));
        }
        assert_eq!(ours.len(), reference.len());
        assert!(ours.iter().eq(reference.iter()));
        assert!(ours.keys().eq(reference.keys()));
        for v in ours.values_mut() {
            *v *= 0.5;
        }
        assert!(ours
            .iter()
            .all(|(k, v)| reference.get(k).map(|r| r * 0.5) == Some(*v)));

        let pairs: Vec<(u32, f64)> = (0..300)
            .map(|_| (rng.below(50) as u32, rng.normal() as f64))
            .collect();
        let built = SortedMap::from_pairs(pairs.clone());
        let expected: BTreeMap<u32, f64> = pairs.iter().copied().collect();
        assert!(
            built.iter().eq(expected.iter()),
            "the last of equal keys wins"
        );
        let mut inserted = SortedMap::new();
        let mut reference = BTreeMap::new();
        for &(k, v) in &pairs {
            assert_eq!(inserted.insert(k, v), reference.insert(k, v));
        }
        assert_eq!(inserted, built);

        let mut names: SortedMap<String, f64> = SortedMap::default();
        *names.value_or("b".to_string(), || 0.0) += 1.0;
        *names.value_or("a".to_string(), || 0.0) += 2.0;
        assert_eq!(names.get("a"), Some(&2.0));
        assert!(names.keys().map(String::as_str).eq(["a", "b"]));
        assert!(!names.is_empty() && names.get("c").is_none());
    }

    #[test]
    fn bucketed_map_follows_a_btree_map_through_random_updates() {
        let mut rng = Rng::new(9);
        let mut ours: BucketedMap<f64> = BucketedMap::new();
        let mut reference: BTreeMap<u32, f64> = BTreeMap::new();
        assert!(ours.is_empty() && ours.get(&3).is_none() && ours.remove(&3).is_none());
        for step in 0..4000 {
            let key = rng.below(500) as u32 * 7;
            let value = f64::from(rng.normal());
            match rng.below(4) {
                0 => assert_eq!(ours.remove(&key), reference.remove(&key), "step {step}"),
                1 => {
                    if let (Some(a), Some(b)) = (ours.get_mut(&key), reference.get_mut(&key)) {
                        *a -= value;
                        *b -= value;
                    }
                }
                _ => {
                    *ours.value_or(key, || 0.0) += value;
                    *reference.entry(key).or_insert(0.0) += value;
                }
            }
            assert_eq!(ours.contains_key(&key), reference.contains_key(&key));
            assert_eq!(ours.get(&key), reference.get(&key));
        }
        assert_eq!(ours.len(), reference.len());
        let mut pairs: Vec<(u32, f64)> = ours.iter().map(|(&k, &v)| (k, v)).collect();
        pairs.sort_by_key(|p| p.0);
        assert_eq!(
            pairs,
            reference.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>()
        );
        assert_eq!(ours.keys().count(), reference.len());
        ours.values_mut().for_each(|v| *v = 1.0);
        assert!(ours.iter().all(|(_, &v)| v == 1.0));
    }

    #[test]
    fn u32_map_equals_a_btree_map_filled_the_same_way() {
        let mut rng = Rng::new(11);
        for n in [0usize, 1, 2, 5, 40, 300, 3000] {
            // Few distinct keys (and some large ones), so keys repeat and sums have many terms.
            let pairs: Vec<(u32, f64)> = (0..n)
                .map(|_| {
                    let key = match rng.below(4) {
                        0 => u32::MAX - rng.below(3) as u32,
                        _ => rng.below(50) as u32 * 977,
                    };
                    (key, f64::from(rng.normal()) * 1e3)
                })
                .collect();
            let mut sums = BTreeMap::new();
            let mut last = BTreeMap::new();
            for &(k, v) in &pairs {
                *sums.entry(k).or_insert(0.0) += v;
                last.insert(k, v);
            }
            let ours = U32Map::from_sums(&pairs);
            let expected: Vec<(u32, u64)> =
                sums.iter().map(|(&k, v)| (k, f64::to_bits(*v))).collect();
            let got: Vec<(u32, u64)> = ours
                .pairs()
                .iter()
                .map(|&(k, v)| (k, v.to_bits()))
                .collect();
            assert_eq!(got, expected, "sums, n = {n}");
            let ours = U32Map::from_last(&pairs);
            assert_eq!(
                ours.pairs(),
                last.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>()
            );
            assert_eq!(ours.len(), last.len());
            for probe in [0u32, 977, 978, u32::MAX, u32::MAX - 1, 48 * 977] {
                assert_eq!(ours.get(probe), last.get(&probe).copied(), "get({probe})");
            }
            assert!(ours.keys().eq(last.keys().copied()));
        }
        assert!(U32Map::<u32>::default().is_empty());
    }

    #[test]
    fn matches_the_standard_stable_sort_on_random_inputs() {
        let mut rng = Rng::new(7);
        for n in [0usize, 1, 2, 15, 16, 17, 31, 33, 100, 257, 1000] {
            // Few distinct keys, so stability is exercised.
            let v: Vec<(u32, usize)> = (0..n).map(|i| (rng.below(7) as u32, i)).collect();
            let mut ours = v.clone();
            sort_by_permutation(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std_sorted = v.clone();
            std_sorted.sort_by_key(|p| p.0);
            assert_eq!(ours, std_sorted, "n = {n}");
        }
    }

    #[test]
    fn sorts_owned_values_and_descending_orders() {
        let mut v: Vec<String> = ["pear", "apple", "fig", "apple", "kiwi"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_by_permutation(&mut v, String::cmp);
        assert_eq!(v, ["apple", "apple", "fig", "kiwi", "pear"]);
        sort_by_permutation(&mut v, |a, b| b.len().cmp(&a.len()));
        assert_eq!(v, ["apple", "apple", "kiwi", "pear", "fig"]);
    }

    #[test]
    fn order_by_is_a_stable_argsort() {
        let mut rng = Rng::new(11);
        let keys: Vec<f32> = (0..500).map(|_| rng.below(50) as f32 * 0.5).collect();
        let mut order: Vec<usize> = (0..keys.len()).collect();
        merge_sort(&mut order, &mut |a: usize, b: usize| {
            keys[b].total_cmp(&keys[a])
        });
        assert_eq!(
            order,
            order_by(keys.len(), |a, b| keys[b].total_cmp(&keys[a]))
        );
        let mut expected: Vec<usize> = (0..keys.len()).collect();
        expected.sort_by(|&a, &b| keys[b].total_cmp(&keys[a]));
        assert_eq!(order, expected);
    }

    #[test]
    fn folding_inserts_builds_what_collect_builds() {
        let pairs = [(3u32, 'a'), (1, 'b'), (3, 'c'), (2, 'd')];
        let folded = pairs.iter().copied().fold(BTreeMap::new(), inserted_pair);
        assert_eq!(folded, pairs.iter().copied().collect::<BTreeMap<_, _>>());
        assert_eq!(folded.get(&3), Some(&'c'));
        let set = pairs.iter().map(|p| p.0).fold(BTreeSet::new(), inserted);
        assert_eq!(set, pairs.iter().map(|p| p.0).collect::<BTreeSet<_>>());
    }

    #[test]
    fn radix_sorts_match_sort_unstable() {
        let mut rng = Rng::new(5);
        for n in [0usize, 1, 2, 3, 255, 256, 1000, 5000] {
            for spread in [1u64, 7, 300, 70_000, u64::MAX] {
                let v: Vec<u32> = (0..n).map(|_| (rng.next_u64() % spread) as u32).collect();
                let (mut ours, mut expected) = (v.clone(), v.clone());
                sort_u32(&mut ours);
                expected.sort_unstable();
                assert_eq!(ours, expected, "u32, n = {n}, spread = {spread}");
                let pairs: Vec<(u64, u32)> = (0..n)
                    .map(|i| (rng.next_u64() % spread, (n - i) as u32 % 17))
                    .collect();
                let (mut ours, mut expected) = (pairs.clone(), pairs.clone());
                sort_u64_u32(&mut ours);
                expected.sort_unstable();
                assert_eq!(ours, expected, "pairs, n = {n}, spread = {spread}");
            }
        }
        let mut extremes = vec![u32::MAX, 0, 1 << 31, 255, 256, u32::MAX - 1];
        sort_u32(&mut extremes);
        assert_eq!(extremes, [0, 255, 256, 1 << 31, u32::MAX - 1, u32::MAX]);
    }

    #[test]
    fn an_inconsistent_comparison_still_returns_a_permutation() {
        let mut rng = Rng::new(3);
        let mut v: Vec<u32> = (0..300).collect();
        sort_by_permutation(&mut v, |_, _| {
            if rng.below(2) == 0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        let mut back = v.clone();
        back.sort_unstable();
        assert_eq!(back, (0..300).collect::<Vec<u32>>());
    }
}
