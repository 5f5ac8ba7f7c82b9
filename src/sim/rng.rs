//! A tiny seedable PRNG (SplitMix64) for fault injection.
//!
//! Faults are drawn per connection from a generator seeded with the
//! simulator's `seed` and the connection number, so a failing run is
//! replayed exactly by setting the same seed. Not for anything but tests:
//! no cryptographic quality is claimed or needed.

/// SplitMix64: one `u64` of state, every seed (0 included) is fine.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for connection `conn` of a simulator seeded with `seed`.
    pub fn for_connection(seed: u64, conn: u64) -> Rng {
        // Mixing the connection number through one round keeps connection
        // streams unrelated even for neighbouring seeds.
        let mut r = Rng { state: seed };
        let salt = r.next_u64() ^ conn.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng { state: salt }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p` (0 = never, 1 = always). The extremes draw
    /// nothing, so switching a fault fully on or off does not shift the
    /// stream used by the other faults.
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        // 53 random bits give a uniform float in [0, 1).
        let x = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        x < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_connections_differ() {
        let mut a = Rng::for_connection(7, 1);
        let mut b = Rng::for_connection(7, 1);
        let mut c = Rng::for_connection(7, 2);
        let xa: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn chance_extremes_and_rough_rate() {
        let mut r = Rng::for_connection(1, 1);
        assert!(!r.chance(0.0));
        assert!(r.chance(1.0));
        let hits = (0..10_000).filter(|_| r.chance(0.25)).count();
        assert!((2_000..3_000).contains(&hits), "{hits}");
    }
}
