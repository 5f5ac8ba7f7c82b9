//! One direction of a TCP connection, put back in order: segments go in as
//! captured (retransmitted, overlapping, out of order), the bytes come out
//! once, in sequence order, each run with the packet that completed it.
//!
//! Owns sequence-number arithmetic and holes. A hole still open at the end
//! is reported as a gap, never filled in or skipped over. Must not know
//! what the bytes mean: `frames.rs` cuts them into GLI frames.

use std::collections::BTreeMap;

/// Bytes that became contiguous with packet `number` (the packet whose
/// arrival let a receiver read them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub number: usize,
    pub at_us: u64,
    pub bytes: Vec<u8>,
}

/// Bytes that never arrived before the capture ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The last packet whose bytes were delivered before the hole (0: none).
    pub after: usize,
    /// The first packet holding bytes after the hole.
    pub before: usize,
    /// How many bytes are missing.
    pub missing: u64,
    /// Bytes captured after the hole, which cannot be imported.
    pub stranded: u64,
}

/// A segment held until the bytes before it arrive.
#[derive(Debug)]
struct Held {
    number: usize,
    bytes: Vec<u8>,
}

/// One direction of one connection.
#[derive(Debug, Default)]
pub struct Direction {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Offset of the next byte to deliver.
    next: u64,
    /// Out-of-order segments by offset.
    held: BTreeMap<u64, Held>,
    last_number: usize,
}

impl Direction {
    /// Takes one segment; returns the bytes it made contiguous (possibly
    /// none: a retransmission, or a segment after a hole).
    pub fn push(
        &mut self,
        number: usize,
        at_us: u64,
        seq: u32,
        syn: bool,
        payload: &[u8],
    ) -> Option<Delivery> {
        // The SYN takes one sequence number; data starts after it. Without
        // a SYN (a capture started mid-connection) the first segment seen
        // starts the stream.
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let base = *self.base.get_or_insert(data_seq);
        if payload.is_empty() {
            return None;
        }
        let offset = self.offset(data_seq.wrapping_sub(base));
        let end = offset + payload.len() as u64;
        if end <= self.next {
            return None; // all seen already: a retransmission
        }
        let mut out = Vec::new();
        if offset <= self.next {
            let skip = usize::try_from(self.next - offset).unwrap_or(usize::MAX);
            out.extend_from_slice(&payload[skip.min(payload.len())..]);
            self.next = end;
        } else {
            let keep = self
                .held
                .get(&offset)
                .is_none_or(|h| h.bytes.len() < payload.len());
            if keep {
                self.held.insert(
                    offset,
                    Held {
                        number,
                        bytes: payload.to_vec(),
                    },
                );
            }
            return None;
        }
        // Whatever was held and now touches the stream follows on.
        while let Some(entry) = self.held.first_entry() {
            let at = *entry.key();
            if at > self.next {
                break;
            }
            let held = entry.remove();
            let held_end = at + held.bytes.len() as u64;
            if held_end > self.next {
                let skip = usize::try_from(self.next - at).unwrap_or(usize::MAX);
                out.extend_from_slice(&held.bytes[skip.min(held.bytes.len())..]);
                self.next = held_end;
            }
        }
        self.last_number = number;
        Some(Delivery {
            number,
            at_us,
            bytes: out,
        })
    }

    /// The hole left when the capture ends, if bytes are held behind one.
    pub fn gap(&self) -> Option<Gap> {
        let (first, held) = self.held.first_key_value()?;
        Some(Gap {
            after: self.last_number,
            before: held.number,
            missing: first - self.next,
            stranded: self.held.values().map(|h| h.bytes.len() as u64).sum(),
        })
    }

    /// The 64-bit offset of a 32-bit relative sequence number: the one
    /// nearest the next expected byte, so the stream may wrap 2^32.
    fn offset(&self, relative: u32) -> u64 {
        let epoch = self.next >> 32;
        let candidates = [epoch.wrapping_sub(1), epoch, epoch + 1]
            .into_iter()
            .filter(|e| *e <= u64::from(u32::MAX))
            .map(|e| (e << 32) | u64::from(relative));
        candidates
            .min_by_key(|c| c.abs_diff(self.next))
            .unwrap_or(u64::from(relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(d: Option<Delivery>) -> Vec<u8> {
        d.map(|d| d.bytes).unwrap_or_default()
    }

    #[test]
    fn in_order_segments_pass_through() {
        let mut d = Direction::default();
        assert_eq!(d.push(1, 0, 999, true, b""), None);
        assert_eq!(bytes(d.push(2, 1, 1000, false, b"abc")), b"abc");
        assert_eq!(bytes(d.push(3, 2, 1003, false, b"de")), b"de");
        assert_eq!(d.gap(), None);
    }

    #[test]
    fn retransmissions_and_overlaps_are_delivered_once() {
        let mut d = Direction::default();
        assert_eq!(bytes(d.push(1, 0, 10, false, b"abc")), b"abc");
        assert_eq!(d.push(2, 0, 10, false, b"abc"), None);
        assert_eq!(bytes(d.push(3, 0, 11, false, b"bcdef")), b"def");
    }

    #[test]
    fn out_of_order_waits_for_the_hole_and_comes_with_its_filler() {
        let mut d = Direction::default();
        assert_eq!(bytes(d.push(1, 0, 0, false, b"ab")), b"ab");
        assert_eq!(d.push(2, 5, 4, false, b"ef"), None);
        assert_eq!(
            d.gap().map(|g| (g.missing, g.after, g.before)),
            Some((2, 1, 2))
        );
        let filled = d.push(3, 9, 2, false, b"cd").unwrap();
        assert_eq!(filled.bytes, b"cdef");
        assert_eq!((filled.number, filled.at_us), (3, 9));
        assert_eq!(d.gap(), None);
    }

    #[test]
    fn an_unfilled_hole_is_a_gap() {
        let mut d = Direction::default();
        d.push(1, 0, 0, false, b"ab");
        d.push(4, 0, 10, false, b"xyz");
        assert_eq!(
            d.gap(),
            Some(Gap {
                after: 1,
                before: 4,
                missing: 8,
                stranded: 3
            })
        );
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut d = Direction::default();
        assert_eq!(bytes(d.push(1, 0, u32::MAX - 1, false, b"ab")), b"ab");
        assert_eq!(bytes(d.push(2, 0, 0, false, b"cd")), b"cd");
    }
}
