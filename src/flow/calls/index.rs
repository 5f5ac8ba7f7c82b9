//! The call table's index: call id -> slab slot, built for the hot path of
//! every server message (one lookup each).
//!
//! Two choices make a lookup touch one cache line of the table instead of
//! two separate heap blocks:
//! - ids up to [`INLINE`] bytes (every id seen in practice) are kept inside
//!   the table's bucket, not in a heap block of their own; longer ones
//!   (the flow accepts up to `MAX_CALL_ID`) fall back to a boxed copy;
//! - the hash is a few multiply-xor rounds per 8 bytes, not SipHash.
//!
//! Why a non-cryptographic hash is acceptable: call ids come from the
//! application and from the IVR Server it logged into, both trusted to
//! name calls, never from an anonymous peer; and each table starts its
//! hash from a per-process random seed, so ids chosen to collide in one
//! process do not collide in another. The worst a crafted set of ids could
//! do is make lookups for those calls slower, not wrong.
//!
//! Owns no calls and knows nothing of them: only ids and slot numbers.

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use super::Slot;

/// Longest id kept inside the bucket.
pub(super) const INLINE: usize = 22;

/// A call id as the index keeps it.
#[derive(Clone, PartialEq, Eq)]
enum IdKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<[u8]>),
}

impl IdKey {
    fn new(id: &[u8]) -> IdKey {
        match u8::try_from(id.len()) {
            Ok(len) if id.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..id.len()].copy_from_slice(id);
                IdKey::Inline { len, bytes }
            }
            _ => IdKey::Boxed(id.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            IdKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IdKey::Boxed(b) => b,
        }
    }
}

// `Borrow` requires the key and its borrowed form to hash and compare
// alike: both go through the same bytes.
impl Hash for IdKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for IdKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
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
    map: HashMap<IdKey, Slot, S>,
}

impl<S: BuildHasher + Default> Default for Index<S> {
    fn default() -> Self {
        Index {
            map: HashMap::default(),
        }
    }
}

impl<S: BuildHasher> Index<S> {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn get(&self, id: &str) -> Option<Slot> {
        self.map.get(id.as_bytes()).copied()
    }

    /// Points `id` at `slot`, replacing what it pointed at.
    pub(super) fn insert(&mut self, id: &str, slot: Slot) {
        self.map.insert(IdKey::new(id.as_bytes()), slot);
    }

    pub(super) fn remove(&mut self, id: &str) -> Option<Slot> {
        self.map.remove(id.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every id hashes alike: each lookup must tell ids apart by their bytes.
    #[derive(Default)]
    struct AllCollide;

    struct Zero;

    impl Hasher for Zero {
        fn write(&mut self, _: &[u8]) {}

        fn finish(&self) -> u64 {
            0
        }
    }

    impl BuildHasher for AllCollide {
        type Hasher = Zero;

        fn build_hasher(&self) -> Zero {
            Zero
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
    fn ids_inline_and_boxed_are_found_with_the_seeded_hash() {
        lookups_find_each_id_and_no_other::<SeededIds>();
    }

    #[test]
    fn ids_whose_hashes_all_collide_are_still_told_apart() {
        assert_eq!(AllCollide.hash_one("C1"), AllCollide.hash_one("C2"));
        lookups_find_each_id_and_no_other::<AllCollide>();
    }

    #[test]
    fn removal_frees_the_id_and_a_reused_id_points_at_its_new_slot() {
        let mut index = Index::<AllCollide>::default();
        let long = "x".repeat(INLINE + 5);
        for (slot, id) in ["A", "B", long.as_str()].into_iter().enumerate() {
            index.insert(id, slot as Slot);
        }
        assert_eq!(index.remove("B"), Some(1));
        assert_eq!(index.remove("B"), None, "removed once");
        assert_eq!(index.get("B"), None);
        assert_eq!(index.get("A"), Some(0), "a neighbour survives the removal");
        assert_eq!(index.remove(&long), Some(2));
        index.insert("B", 2);
        index.insert(&long, 1);
        assert_eq!(index.get("B"), Some(2));
        assert_eq!(index.get(&long), Some(1));
        assert_eq!(index.len(), 3);
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
