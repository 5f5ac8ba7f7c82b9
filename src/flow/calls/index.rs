//! The call table's index: call id -> slab slot, built for the hot path of
//! every server message (one lookup each).
//!
//! An open-addressing table of 8-byte buckets (a 32-bit hash and a slot;
//! linear probing, at most 4/5 full, backward-shift removal). The ids are
//! not copied here: a bucket whose hash matches is confirmed against the id
//! of the call in its slot, which the caller reads next anyway. So the
//! table is small (1 MiB for 100,000 calls, where a general map with the
//! ids as keys takes over 4 MiB plus a heap block per key) and a lookup
//! touches one of its cache lines. The hash is a few multiply-xor rounds
//! per 8 bytes, not SipHash.
//!
//! Why a non-cryptographic hash is acceptable: call ids come from the
//! application and from the IVR Server it logged into, both trusted to
//! name calls, never from an anonymous peer; and each table starts its
//! hash from a per-process random seed, so ids chosen to collide in one
//! process do not collide in another. The worst a crafted set of ids could
//! do is make lookups for those calls slower, not wrong.
//!
//! Owns no calls and knows nothing of them: hashes and slot numbers, and
//! a way (given by the caller) to read the id in a slot.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::Slot;

/// The `slot` of an empty bucket (the slab never holds 2^32 - 1 calls).
const EMPTY: Slot = Slot::MAX;

#[derive(Clone, Copy)]
struct Bucket {
    /// The low 32 bits of the id's hash: its home bucket, and a cheap
    /// first comparison.
    hash: u32,
    slot: Slot,
}

const VACANT: Bucket = Bucket {
    hash: 0,
    slot: EMPTY,
};

impl Bucket {
    fn is_empty(&self) -> bool {
        self.slot == EMPTY
    }
}

/// Multiplier of the per-word round (the golden-ratio constant, odd).
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// A short-key hasher: one multiply per 8 bytes, a finaliser that spreads
/// every input bit over the low bits (the table picks buckets with them,
/// and ids usually differ only in their last characters).
pub(super) struct IdHasher(u64);

impl IdHasher {
    fn round(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.round(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.round(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.round(n as u64);
    }

    fn finish(&self) -> u64 {
        // The 64-bit finaliser of MurmurHash3 (fmix64).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 33;
        h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        h ^ (h >> 33)
    }
}

/// Builds [`IdHasher`]s from one seed per table.
#[derive(Clone)]
pub(super) struct SeededIds(u64);

impl Default for SeededIds {
    fn default() -> Self {
        // The standard library's per-process random keys, drawn once.
        SeededIds(RandomState::new().hash_one(0x1d5_u64))
    }
}

impl BuildHasher for SeededIds {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

/// Call id -> slot.
pub(super) struct Index<S = SeededIds> {
    /// A power of two long, or empty.
    buckets: Vec<Bucket>,
    /// Buckets in use.
    used: usize,
    hasher: S,
}

impl<S: BuildHasher + Default> Default for Index<S> {
    fn default() -> Self {
        Index {
            buckets: Vec::new(),
            used: 0,
            hasher: S::default(),
        }
    }
}

impl<S: BuildHasher> Index<S> {
    pub(super) fn len(&self) -> usize {
        self.used
    }

    /// The slot of `id`; `id_of` reads the id of the call in a slot.
    pub(super) fn get<'a>(
        &self,
        id: &str,
        id_of: impl Fn(Slot) -> Option<&'a str>,
    ) -> Option<Slot> {
        let hash = self.hash(id);
        self.probe(hash, |b| id_of(b.slot) == Some(id))
            .map(|i| self.buckets[i].slot)
    }

    /// Adds an id that is not in the index yet (the table's caller checks).
    pub(super) fn insert(&mut self, id: &str, slot: Slot) {
        if (self.used + 1) * 5 > self.buckets.len() * 4 {
            self.grow();
        }
        let hash = self.hash(id);
        self.place(Bucket { hash, slot });
        self.used += 1;
    }

    /// Removes `id`, known to be in `slot` (no id comparison needed: a slot
    /// holds one call).
    pub(super) fn remove(&mut self, id: &str, slot: Slot) -> bool {
        let hash = self.hash(id);
        let Some(mut hole) = self.probe(hash, |b| b.slot == slot) else {
            return false;
        };
        // Backward shift: pull later buckets of the run into the hole when
        // their home is not after it, so no probe ever stops short.
        let mask = self.buckets.len() - 1;
        let mut j = (hole + 1) & mask;
        while !self.buckets[j].is_empty() {
            let home = self.buckets[j].hash as usize & mask;
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.buckets[hole] = self.buckets[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.buckets[hole] = VACANT;
        self.used -= 1;
        true
    }

    fn hash(&self, id: &str) -> u32 {
        self.hasher.hash_one(id.as_bytes()) as u32
    }

    /// The first bucket of `hash`'s run that `is` accepts. Probing ends at
    /// an empty bucket: the table is never full.
    fn probe(&self, hash: u32, is: impl Fn(&Bucket) -> bool) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let b = &self.buckets[i];
            if b.is_empty() {
                return None;
            }
            if b.hash == hash && is(b) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Puts `b` in the first empty bucket from its home on.
    fn place(&mut self, b: Bucket) {
        let mask = self.buckets.len() - 1;
        let mut i = b.hash as usize & mask;
        while !self.buckets[i].is_empty() {
            i = (i + 1) & mask;
        }
        self.buckets[i] = b;
    }

    /// Twice the buckets (16 at first), every entry moved to its new place
    /// (by its stored hash: no id is read).
    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![VACANT; size]);
        for b in old.into_iter().filter(|b| !b.is_empty()) {
            self.place(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A hasher that ignores its input: every id gets the same hash.
    struct Fixed(u64);

    impl Hasher for Fixed {
        fn write(&mut self, _: &[u8]) {}

        fn finish(&self) -> u64 {
            self.0
        }
    }

    /// Every id collides, in the first bucket.
    #[derive(Default)]
    struct AllCollide;

    impl BuildHasher for AllCollide {
        type Hasher = Fixed;

        fn build_hasher(&self) -> Fixed {
            Fixed(0)
        }
    }

    /// Every id collides, in the last bucket: probes wrap around.
    #[derive(Default)]
    struct CollideAtEnd;

    impl BuildHasher for CollideAtEnd {
        type Hasher = Fixed;

        fn build_hasher(&self) -> Fixed {
            Fixed(u64::MAX)
        }
    }

    /// An index with the slab it points into, as the call table has.
    struct Table<S> {
        index: Index<S>,
        slab: Vec<Option<String>>,
        free: Vec<Slot>,
    }

    impl<S: BuildHasher + Default> Table<S> {
        fn new() -> Self {
            Table {
                index: Index::default(),
                slab: Vec::new(),
                free: Vec::new(),
            }
        }

        fn find(&self, id: &str) -> Option<Slot> {
            let slab = &self.slab;
            self.index
                .get(id, |slot| slab.get(slot as usize)?.as_deref())
        }

        fn add(&mut self, id: &str) -> Slot {
            let slot = self.free.pop().unwrap_or(self.slab.len() as Slot);
            if slot as usize == self.slab.len() {
                self.slab.push(None);
            }
            self.index.insert(id, slot);
            self.slab[slot as usize] = Some(id.to_string());
            slot
        }

        fn drop_id(&mut self, id: &str) -> Option<Slot> {
            let slot = self.find(id)?;
            assert!(self.index.remove(id, slot));
            self.slab[slot as usize] = None;
            self.free.push(slot);
            Some(slot)
        }
    }

    /// Ids sharing prefixes, short and long.
    fn ids() -> Vec<String> {
        vec![
            String::new(),
            "C".into(),
            "C1".into(),
            "C10".into(),
            "0123456789abcdef".into(),
            "0123456789abcdeg".into(),
            "L".repeat(64),
            format!("{}x", "L".repeat(64)),
            "é-latin".into(),
        ]
    }

    fn lookups_find_each_id_and_no_other<S: BuildHasher + Default>() {
        let mut t = Table::<S>::new();
        let ids = ids();
        let slots: Vec<Slot> = ids.iter().map(|id| t.add(id)).collect();
        assert_eq!(t.index.len(), ids.len());
        for (id, slot) in ids.iter().zip(&slots) {
            assert_eq!(t.find(id), Some(*slot), "{id:?}");
        }
        assert_eq!(t.find("C2"), None);
        assert_eq!(t.find(&format!("{}y", "L".repeat(64))), None);
    }

    #[test]
    fn ids_are_found_with_the_seeded_hash() {
        lookups_find_each_id_and_no_other::<SeededIds>();
    }

    #[test]
    fn ids_whose_hashes_all_collide_are_told_apart_by_the_calls_ids() {
        assert_eq!(AllCollide.hash_one("C1"), AllCollide.hash_one("C2"));
        lookups_find_each_id_and_no_other::<AllCollide>();
        lookups_find_each_id_and_no_other::<CollideAtEnd>();
    }

    #[test]
    fn removal_frees_the_id_and_a_reused_slot_is_found_by_its_new_id() {
        let mut t = Table::<AllCollide>::new();
        for id in ["A", "B", "C"] {
            t.add(id);
        }
        assert_eq!(t.drop_id("B"), Some(1));
        assert_eq!(t.drop_id("B"), None, "removed once");
        assert!(!t.index.remove("B", 1), "nothing left to remove");
        assert_eq!(t.find("A"), Some(0), "a neighbour survives the removal");
        assert_eq!(t.find("C"), Some(2), "the one after it too");
        assert_eq!(t.add("D"), 1, "the freed slot is reused");
        assert_eq!(t.find("D"), Some(1));
        assert_eq!(t.find("B"), None, "not through the slot it had");
        assert_eq!(t.index.len(), 3);
    }

    /// Adds and removals in a scrambled order, checked against a plain map
    /// after every step.
    fn agrees_with_a_plain_map<S: BuildHasher + Default>(pool: usize, steps: usize) {
        let mut t = Table::<S>::new();
        let mut model: HashMap<String, Slot> = HashMap::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for step in 0..steps {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = format!("C{:07}", x % pool as u64);
            if x & (1 << 40) == 0 {
                if !model.contains_key(&id) {
                    let slot = t.add(&id);
                    model.insert(id.clone(), slot);
                }
            } else {
                assert_eq!(t.drop_id(&id), model.remove(&id), "step {step}");
            }
            assert_eq!(t.index.len(), model.len());
            assert_eq!(t.find(&id), model.get(&id).copied(), "step {step}");
        }
        for n in 0..pool {
            let id = format!("C{n:07}");
            assert_eq!(t.find(&id), model.get(&id).copied(), "{id}");
        }
    }

    #[test]
    fn adds_and_removals_agree_with_a_plain_map() {
        agrees_with_a_plain_map::<SeededIds>(3000, 20_000);
        // One long run of collisions, around the end of the table.
        agrees_with_a_plain_map::<AllCollide>(60, 2_000);
        agrees_with_a_plain_map::<CollideAtEnd>(60, 2_000);
    }

    #[test]
    fn ids_differing_in_one_late_byte_spread_over_the_low_bits() {
        // The table picks a bucket with the low bits of the hash: ids like
        // C0000000..C0000255 must not crowd into a few buckets.
        let seeded = SeededIds::default();
        let mut low: Vec<u64> = (0..256)
            .map(|i| seeded.hash_one(format!("C{i:07}").as_bytes()) & 0xff)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 128, "{} distinct low bytes of 256", low.len());
    }
}
