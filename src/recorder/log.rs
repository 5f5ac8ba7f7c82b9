//! One trace's entries as stored: compact records in one list, their
//! variable parts (frame payloads, arguments, warnings) in one byte buffer
//! per trace, so recording an entry copies bytes into storage the trace
//! already has instead of allocating a block per entry.
//!
//! Owns the bound (the first [`KEEP_FIRST`] entries kept, then a ring of the
//! latest, and a count of those dropped between) and nothing else: no ids,
//! no times but the ones given, no rendering. Entries come in and go out as
//! [`Entry`] values; the compact form never leaves this file.

use std::ops::Range;

use super::{Answer, Entry, EventNote, SentBy, TimerChange, KEEP_FIRST};
use crate::flow::OpId;

// The prolog our encoder writes and servers send before every message is
// kept as one flag, not as 89 bytes per frame.
use crate::wire::PROLOG;

/// Room a trace gets once it goes past its first two entries (a call's
/// announcement: `call_new` and its `NewCall`): about one operation's worth,
/// so a call in a flow does not grow its storage entry by entry, while the
/// many calls that sit idle keep only what they hold.
const ACTIVE_ENTRIES: usize = 16;
const ACTIVE_BYTES: usize = 1024;

/// Dead bytes (of entries dropped from the ring) a buffer may hold before it
/// is compacted, besides the half of it that is always allowed.
const SLACK: usize = 1024;

/// An entry to record, borrowing its variable parts: nothing is allocated
/// to hand it to the recorder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EntryRef<'a> {
    App {
        name: &'static str,
        args: &'a str,
        answer: &'a Answer,
    },
    Sent {
        by: SentBy,
        payload: &'a [u8],
    },
    Received {
        payload: &'a [u8],
    },
    Event(EventNote),
    Timer(TimerChange),
    Warning(&'a str),
    Dropped(u64),
}

impl<'a> From<&'a Entry> for EntryRef<'a> {
    fn from(e: &'a Entry) -> Self {
        match e {
            Entry::App { name, args, answer } => EntryRef::App { name, args, answer },
            Entry::Sent { by, payload } => EntryRef::Sent { by: *by, payload },
            Entry::Received { payload } => EntryRef::Received { payload },
            Entry::Event(note) => EntryRef::Event(*note),
            Entry::Timer(change) => EntryRef::Timer(*change),
            Entry::Warning(text) => EntryRef::Warning(text),
            Entry::Dropped(n) => EntryRef::Dropped(*n),
        }
    }
}

/// Where an entry's bytes sit in the trace's buffer.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

/// A frame payload: its bytes after the prolog, if it had ours.
#[derive(Debug, Clone, Copy)]
struct Payload {
    prolog: bool,
    span: Span,
}

/// How an API call was answered, as stored (a refusal is rare: boxed).
#[derive(Debug, Clone)]
enum Answered {
    Ok,
    Op(OpId),
    Refused(Box<(&'static str, Box<str>)>),
}

/// [`Entry`] as stored.
#[derive(Debug, Clone)]
enum Stored {
    App {
        name: &'static str,
        args: Span,
        answer: Answered,
    },
    Sent {
        by: SentBy,
        payload: Payload,
    },
    Received(Payload),
    Event(EventNote),
    Timer(TimerChange),
    Warning(Span),
    Dropped(u64),
}

impl Stored {
    fn span_mut(&mut self) -> Option<&mut Span> {
        match self {
            Stored::App { args, .. } => Some(args),
            Stored::Sent { payload, .. } | Stored::Received(payload) => Some(&mut payload.span),
            Stored::Warning(span) => Some(span),
            Stored::Event(_) | Stored::Timer(_) | Stored::Dropped(_) => None,
        }
    }
}

/// An entry as stored, with the engine time it was recorded.
type Stamped = (u64, Stored);

/// The entries of one trace.
#[derive(Debug, Clone, Default)]
pub(super) struct Log {
    /// The kept head, then the ring of the latest (its oldest at `ring`).
    entries: Vec<Stamped>,
    ring: u32,
    bytes: Vec<u8>,
    /// Bytes in `bytes` that no entry points at any more.
    dead: usize,
    dropped: u64,
}

impl Log {
    /// Adds an entry, dropping the oldest after the head past `max` (the
    /// dropped-count note takes one of the `max`).
    pub(super) fn push(&mut self, max: usize, at_us: u64, entry: EntryRef<'_>) {
        let head = KEEP_FIRST.min(max);
        let room = max.saturating_sub(head + 1).max(1);
        let len = self.entries.len();
        if len < head + room {
            match len {
                0 => self.entries.reserve_exact(2),
                2 => {
                    let more = ACTIVE_ENTRIES.min(head + room).saturating_sub(len);
                    self.entries.reserve_exact(more);
                    self.bytes
                        .reserve_exact(ACTIVE_BYTES.saturating_sub(self.bytes.len()));
                }
                _ => {}
            }
            let stored = self.store(entry);
            self.entries.push((at_us, stored));
            return;
        }
        let stored = self.store(entry);
        let ring = self.ring as usize;
        if let Some(slot) = self.entries.get_mut(head + ring) {
            let (_, mut old) = std::mem::replace(slot, (at_us, stored));
            self.dead += old.span_mut().map_or(0, |s| s.len as usize);
            self.dropped += 1;
        }
        self.ring = u32::try_from((ring + 1) % room).unwrap_or(0);
        if self.dead > SLACK.max(self.bytes.len() / 2) {
            self.compact();
        }
    }

    /// Entries in order, with the engine time each was recorded; the
    /// dropped-count note stands between the kept head and the rest, at the
    /// time of the oldest entry after it (`start_us` when there is none).
    pub(super) fn entries(&self, start_us: u64) -> impl Iterator<Item = (u64, Entry)> + '_ {
        let (kept, older, newer) = self.parts();
        let note = (self.dropped > 0).then(|| {
            let at = older
                .first()
                .or(newer.first())
                .map_or(start_us, |(t, _)| *t);
            (at, Entry::Dropped(self.dropped))
        });
        kept.iter()
            .map(|(t, s)| (*t, self.entry(s)))
            .chain(note)
            .chain(older.iter().chain(newer).map(|(t, s)| (*t, self.entry(s))))
    }

    /// Where the head ends: all of the list until entries were dropped;
    /// then the list is full and the ring holds the rest (KEEP_FIRST, or
    /// all but one for a `max` that small).
    fn head_len(&self) -> usize {
        let n = self.entries.len();
        if self.dropped > 0 {
            KEEP_FIRST.min(n.saturating_sub(1))
        } else {
            n
        }
    }

    /// The head, then the ring's older and newer halves (time order).
    fn parts(&self) -> (&[Stamped], &[Stamped], &[Stamped]) {
        let (kept, rest) = self.entries.split_at(self.head_len());
        let (newer, older) = rest.split_at((self.ring as usize).min(rest.len()));
        (kept, older, newer)
    }

    fn store(&mut self, entry: EntryRef<'_>) -> Stored {
        match entry {
            EntryRef::App { name, args, answer } => Stored::App {
                name,
                args: self.keep(args.as_bytes()),
                answer: match answer {
                    Answer::Ok => Answered::Ok,
                    Answer::Op(op) => Answered::Op(*op),
                    Answer::Refused { result, why } => {
                        Answered::Refused(Box::new((result, why.as_str().into())))
                    }
                },
            },
            EntryRef::Sent { by, payload } => Stored::Sent {
                by,
                payload: self.keep_payload(payload),
            },
            EntryRef::Received { payload } => Stored::Received(self.keep_payload(payload)),
            EntryRef::Event(note) => Stored::Event(note),
            EntryRef::Timer(change) => Stored::Timer(change),
            EntryRef::Warning(text) => Stored::Warning(self.keep(text.as_bytes())),
            EntryRef::Dropped(n) => Stored::Dropped(n),
        }
    }

    fn keep_payload(&mut self, payload: &[u8]) -> Payload {
        match payload.strip_prefix(PROLOG) {
            Some(rest) => Payload {
                prolog: true,
                span: self.keep(rest),
            },
            None => Payload {
                prolog: false,
                span: self.keep(payload),
            },
        }
    }

    fn keep(&mut self, bytes: &[u8]) -> Span {
        // Bounded traces stay far below 4 GiB; past it an entry would show
        // empty rather than wrong.
        let (Ok(start), Ok(len)) = (u32::try_from(self.bytes.len()), u32::try_from(bytes.len()))
        else {
            return Span::default();
        };
        self.bytes.extend_from_slice(bytes);
        Span { start, len }
    }

    fn text(&self, span: Span) -> String {
        String::from_utf8_lossy(self.bytes.get(span.range()).unwrap_or_default()).into_owned()
    }

    fn payload(&self, p: Payload) -> Vec<u8> {
        let rest = self.bytes.get(p.span.range()).unwrap_or_default();
        let prolog = if p.prolog { PROLOG } else { &[] };
        [prolog, rest].concat()
    }

    fn entry(&self, stored: &Stored) -> Entry {
        match stored {
            Stored::App { name, args, answer } => Entry::App {
                name,
                args: self.text(*args),
                answer: match answer {
                    Answered::Ok => Answer::Ok,
                    Answered::Op(op) => Answer::Op(*op),
                    Answered::Refused(r) => Answer::Refused {
                        result: r.0,
                        why: r.1.to_string(),
                    },
                },
            },
            Stored::Sent { by, payload } => Entry::Sent {
                by: *by,
                payload: self.payload(*payload),
            },
            Stored::Received(payload) => Entry::Received {
                payload: self.payload(*payload),
            },
            Stored::Event(note) => Entry::Event(*note),
            Stored::Timer(change) => Entry::Timer(*change),
            Stored::Warning(span) => Entry::Warning(self.text(*span)),
            Stored::Dropped(n) => Entry::Dropped(*n),
        }
    }

    /// Moves the live bytes to the front, in place: entries were stored in
    /// time order, so their bytes lie in that order too.
    fn compact(&mut self) {
        let ring = self.ring as usize;
        let head = self.head_len();
        let (kept, rest) = self.entries.split_at_mut(head);
        let ring = ring.min(rest.len());
        let (newer, older) = rest.split_at_mut(ring);
        let mut to = 0usize;
        for (_, stored) in kept.iter_mut().chain(older).chain(newer) {
            if let Some(span) = stored.span_mut() {
                let from = span.range();
                let len = from.len();
                self.bytes.copy_within(from, to);
                span.start = u32::try_from(to).unwrap_or(u32::MAX);
                to += len;
            }
        }
        self.bytes.truncate(to);
        self.dead = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(log: &Log) -> Vec<String> {
        log.entries(0)
            .map(|(_, e)| match e {
                Entry::Warning(w) => w,
                Entry::Dropped(n) => format!("dropped {n}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_ring_keeps_the_latest_and_compaction_keeps_their_bytes() {
        let mut log = Log::default();
        let max = KEEP_FIRST + 5;
        for i in 0..2000u64 {
            // Long enough that compaction runs many times.
            let text = format!("w{i}-{}", "x".repeat(40));
            log.push(max, i, EntryRef::Warning(&text));
        }
        let got = warnings(&log);
        assert_eq!(got.len(), max);
        assert_eq!(
            got[KEEP_FIRST - 1],
            format!("w{}-{}", KEEP_FIRST - 1, "x".repeat(40))
        );
        assert_eq!(
            got[KEEP_FIRST],
            format!("dropped {}", 2000 - KEEP_FIRST - 4)
        );
        for (k, i) in (1996..2000).enumerate() {
            assert_eq!(got[KEEP_FIRST + 1 + k], format!("w{i}-{}", "x".repeat(40)));
        }
        let live: usize = got.iter().map(String::len).sum();
        assert!(
            log.bytes.len() <= 2 * live + SLACK,
            "dead bytes are reclaimed: {} held for {live} live",
            log.bytes.len()
        );
    }

    #[test]
    fn payloads_round_trip_with_and_without_the_prolog() {
        let mut log = Log::default();
        let with = [PROLOG, b"<GctiMsg><CallId>C1</CallId></GctiMsg>"].concat();
        let without = b"<GctiMsg>\xe9</GctiMsg>".to_vec();
        let partial = &PROLOG[..20];
        for p in [&with[..], &without[..], partial, &[]] {
            log.push(512, 1, EntryRef::Received { payload: p });
        }
        let back: Vec<Vec<u8>> = log
            .entries(0)
            .map(|(_, e)| match e {
                Entry::Received { payload } => payload,
                other => panic!("{other:?}"),
            })
            .collect();
        let held = with.len() - PROLOG.len() + without.len() + partial.len();
        assert_eq!(back, vec![with.clone(), without, partial.to_vec(), vec![]]);
        assert_eq!(log.bytes.len(), held, "only the prolog is left out");
    }

    #[test]
    fn a_small_max_keeps_its_head_and_a_ring_of_one() {
        let mut log = Log::default();
        for i in 0..20u64 {
            log.push(8, i, EntryRef::Warning(&format!("w{i}")));
        }
        let got = warnings(&log);
        let mut want: Vec<String> = (0..8).map(|i| format!("w{i}")).collect();
        want.push("dropped 11".into());
        want.push("w19".into());
        assert_eq!(got, want);
    }
}
