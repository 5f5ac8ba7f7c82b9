//! The call table's index: call id -> slab slot, built for the hot path of
//! every server message (one lookup each).
//!
//! An open-addressing table of 32-byte buckets (linear probing, at most 4/5
//! full, backward-shift removal), each holding the id itself, its hash and
//! its slot: a lookup reads one bucket, usually one cache line, where a
//! general map reads a control byte, then a bucket, then the key's own
//! heap block. Ids longer than [`INLINE`] bytes (none seen in practice;
//! the flow accepts up to `MAX_CALL_ID`) go to an ordinary map beside it.
//! The hash is a few multiply-xor rounds per 8 bytes, not SipHash.
//!
//! Why a non-cryptographic hash is acceptable: call ids come from the
//! application and from the IVR Server it logged into, both trusted to
//! name calls, never from an anonymous peer; and each table starts its
//! hash from a per-process random seed, so ids chosen to collide in one
//! process do not collide in another. The worst a crafted set of ids could
//! do is make lookups for those calls slower, not wrong.
//!
//! Owns no calls and knows nothing of them: only ids and slot numbers.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use super::Slot;

/// Longest id kept in a bucket.
pub(super) const INLINE: usize = 23;

/// `len` of an empty bucket.
const EMPTY: u8 = u8::MAX;

/// One id and its slot, or nothing (`len == EMPTY`). Aligned so that a
/// bucket never straddles two cache lines.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Bucket {
    slot: Slot,
    /// The low 32 bits of the id's hash: its home bucket, and a cheap
    /// first comparison.
    hash: u32,
    len: u8,
    bytes: [u8; INLINE],
}

const VACANT: Bucket = Bucket {
    slot: 0,
    hash: 0,
    len: EMPTY,
    bytes: [0; INLINE],
};

impl Bucket {
    fn is_empty(&self) -> bool {
        self.len == EMPTY
    }

    fn holds(&self, hash: u32, id: &[u8]) -> bool {
        self.hash == hash && usize::from(self.len) == id.len() && self.id() == id
    }

    fn id(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len).min(INLINE)]
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
    long: HashMap<Box<[u8]>, Slot, S>,
    hasher: S,
}

impl<S: BuildHasher + Default> Default for Index<S> {
    fn default() -> Self {
        Index {
            buckets: Vec::new(),
            used: 0,
            long: HashMap::default(),
            hasher: S::default(),
        }
    }
}

impl<S: BuildHasher> Index<S> {
    pub(super) fn len(&self) -> usize {
        self.used + self.long.len()
    }

    pub(super) fn get(&self, id: &str) -> Option<Slot> {
        let id = id.as_bytes();
        if id.len() > INLINE {
            return self.long.get(id).copied();
        }
        let hash = self.hash(id);
        self.position(hash, id).map(|i| self.buckets[i].slot)
    }

    /// Points `id` at `slot`, replacing what it pointed at.
    pub(super) fn insert(&mut self, id: &str, slot: Slot) {
        let id = id.as_bytes();
        if id.len() > INLINE {
            self.long.insert(id.into(), slot);
            return;
        }
        if (self.used + 1) * 5 > self.buckets.len() * 4 {
            self.grow();
        }
        let hash = self.hash(id);
        let mask = self.buckets.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let b = &mut self.buckets[i];
            if b.is_empty() {
                let mut bytes = [0; INLINE];
                bytes[..id.len()].copy_from_slice(id);
                *b = Bucket {
                    slot,
                    hash,
                    // At most INLINE (checked above), so below EMPTY.
                    len: u8::try_from(id.len()).unwrap_or(EMPTY),
                    bytes,
                };
                self.used += 1;
                return;
            }
            if b.holds(hash, id) {
                b.slot = slot;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    pub(super) fn remove(&mut self, id: &str) -> Option<Slot> {
        let id = id.as_bytes();
        if id.len() > INLINE {
            return self.long.remove(id);
        }
        let hash = self.hash(id);
        let mut hole = self.position(hash, id)?;
        let slot = self.buckets[hole].slot;
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
        Some(slot)
    }

    fn hash(&self, id: &[u8]) -> u32 {
        self.hasher.hash_one(id) as u32
    }

    /// The bucket holding `id`. Probing ends at an empty bucket: the table
    /// is never full.
    fn position(&self, hash: u32, id: &[u8]) -> Option<usize> {
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
            if b.holds(hash, id) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Twice the buckets (16 at first), every id moved to its new place.
    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![VACANT; size]);
        let mask = size - 1;
        for b in old.into_iter().filter(|b| !b.is_empty()) {
            let mut i = b.hash as usize & mask;
            while !self.buckets[i].is_empty() {
                i = (i + 1) & mask;
            }
            self.buckets[i] = b;
        }
    }
}

#[cfg(test)]
mod tests {
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

    /// Ids on both sides of the inline limit, sharing prefixes.
    fn ids() -> Vec<String> {
        let long = "L".repeat(INLINE);
        vec![
            String::new(),
            "C".into(),
            "C1".into(),
            "C10".into(),
            "0123456789abcdef".into(),
            "0123456789abcdeg".into(),
            long.clone(),
            format!("{long}x"),
            format!("{long}y"),
            "é-latin".into(),
        ]
    }

    fn lookups_find_each_id_and_no_other<S: BuildHasher + Default>() {
        let mut index = Index::<S>::default();
        let ids = ids();
        for (n, id) in ids.iter().enumerate() {
            index.insert(id, n as Slot);
        }
        assert_eq!(index.len(), ids.len());
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(n as Slot), "{id:?}");
        }
        assert_eq!(index.get("C2"), None);
        assert_eq!(index.get(&format!("{}z", "L".repeat(INLINE))), None);
    }

    #[test]
    fn ids_inline_and_long_are_found_with_the_seeded_hash() {
        lookups_find_each_id_and_no_other::<SeededIds>();
    }

    #[test]
    fn ids_whose_hashes_all_collide_are_still_told_apart() {
        assert_eq!(AllCollide.hash_one("C1"), AllCollide.hash_one("C2"));
        lookups_find_each_id_and_no_other::<AllCollide>();
        lookups_find_each_id_and_no_other::<CollideAtEnd>();
    }

    #[test]
    fn removal_frees_the_id_and_a_reused_id_points_at_its_new_slot() {
        let mut index = Index::<AllCollide>::default();
        let long = "x".repeat(INLINE + 5);
        for (slot, id) in ["A", "B", long.as_str(), "C"].into_iter().enumerate() {
            index.insert(id, slot as Slot);
        }
        assert_eq!(index.remove("B"), Some(1));
        assert_eq!(index.remove("B"), None, "removed once");
        assert_eq!(index.get("B"), None);
        assert_eq!(index.get("A"), Some(0), "a neighbour survives the removal");
        assert_eq!(index.get("C"), Some(3), "the one after it too");
        assert_eq!(index.remove(&long), Some(2));
        index.insert("B", 2);
        index.insert(&long, 1);
        assert_eq!(index.get("B"), Some(2));
        assert_eq!(index.get(&long), Some(1));
        index.insert("B", 7);
        assert_eq!(index.get("B"), Some(7), "inserting again re-points");
        assert_eq!(index.len(), 4);
    }

    /// Inserts and removals in a scrambled order, checked against a plain
    /// map after every step.
    fn agrees_with_a_plain_map<S: BuildHasher + Default>(pool: usize, steps: usize) {
        let mut index = Index::<S>::default();
        let mut model: HashMap<String, Slot> = HashMap::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for step in 0..steps {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = format!("C{:07}", x % pool as u64);
            if x & (1 << 40) == 0 {
                index.insert(&id, step as Slot);
                model.insert(id.clone(), step as Slot);
            } else {
                assert_eq!(index.remove(&id), model.remove(&id), "step {step}");
            }
            assert_eq!(index.len(), model.len());
            assert_eq!(index.get(&id), model.get(&id).copied(), "step {step}");
        }
        for n in 0..pool {
            let id = format!("C{n:07}");
            assert_eq!(index.get(&id), model.get(&id).copied(), "{id}");
        }
    }

    #[test]
    fn inserts_and_removals_agree_with_a_plain_map() {
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
