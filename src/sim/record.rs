//! The traffic record: every frame received and sent, with counts by
//! message name and a condition variable so tests wait on traffic instead
//! of sleeping.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

use crate::wire::Message;

/// Who wrote the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Received by the simulator (I->S).
    ToServer,
    /// Sent by the simulator (S->I).
    FromServer,
}

/// One frame on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub dir: Dir,
    /// Since the simulator started.
    pub at: Duration,
    /// Connection number, from 1 in accept order.
    pub conn: u64,
    /// The decoded XML message; `None` for keep-alive / error-ack frames and
    /// for payloads that did not decode (or a bad header, whose `raw` holds
    /// the offending bytes).
    pub message: Option<Message>,
    /// The whole frame, header included.
    pub raw: Vec<u8>,
}

impl Record {
    /// The name counted for this record: the message name, or a pseudo-name
    /// for frames that are not (decodable) XML messages.
    pub fn name(&self) -> &str {
        match (&self.message, self.raw.get(1)) {
            (Some(m), _) => m.name(),
            (None, _) if self.raw.len() < 6 || self.raw.first() != Some(&0) => "#protocol_error",
            (None, Some(0)) => "#keepalive_request",
            (None, Some(1)) => "#keepalive_ack",
            (None, Some(2)) => "#error_ack",
            (None, Some(3)) => "#decode_error",
            (None, _) => "#protocol_error",
        }
    }
}

/// Called for every record as it is made (the CLI prints from here).
pub type Observer = Arc<dyn Fn(&Record) + Send + Sync>;

#[derive(Default)]
struct Book {
    records: Vec<Record>,
    /// Lower-case name -> count, per direction.
    received: HashMap<String, u64>,
    sent: HashMap<String, u64>,
    received_xml: u64,
    sent_xml: u64,
}

/// Shared by every connection of one simulator.
pub struct Recorder {
    started: Instant,
    book: Mutex<Book>,
    changed: Condvar,
    observer: RwLock<Option<Observer>>,
    limit: std::sync::atomic::AtomicU64,
}

impl Recorder {
    pub fn new(started: Instant) -> Self {
        Recorder {
            started,
            book: Mutex::new(Book::default()),
            changed: Condvar::new(),
            observer: RwLock::new(None),
            limit: std::sync::atomic::AtomicU64::new(100_000),
        }
    }

    pub fn set_limit(&self, limit: u64) {
        self.limit
            .store(limit, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn set_observer(&self, observer: Option<Observer>) {
        *self.observer.write() = observer;
    }

    /// Records a frame and wakes the waiters.
    pub fn record(&self, dir: Dir, conn: u64, message: Option<Message>, raw: Vec<u8>) {
        let rec = Record {
            dir,
            at: self.started.elapsed(),
            conn,
            message,
            raw,
        };
        let observer = self.observer.read().clone();
        {
            let mut guard = self.book.lock();
            let book = &mut *guard;
            let name = rec.name().to_ascii_lowercase();
            let is_xml = rec.message.is_some();
            let (counts, xml) = match dir {
                Dir::ToServer => (&mut book.received, &mut book.received_xml),
                Dir::FromServer => (&mut book.sent, &mut book.sent_xml),
            };
            *counts.entry(name).or_insert(0) += 1;
            if is_xml {
                *xml += 1;
            }
            let limit = self.limit.load(std::sync::atomic::Ordering::Relaxed);
            if (book.records.len() as u64) < limit {
                book.records.push(rec.clone());
            }
        }
        self.changed.notify_all();
        // Outside the lock: an observer may be slow (stdout) or call back.
        if let Some(f) = observer {
            f(&rec);
        }
    }

    fn count_in(book: &Book, dir: Dir, name: Option<&str>) -> u64 {
        let (counts, xml) = match dir {
            Dir::ToServer => (&book.received, book.received_xml),
            Dir::FromServer => (&book.sent, book.sent_xml),
        };
        match name {
            None => xml,
            Some(n) => counts.get(&n.to_ascii_lowercase()).copied().unwrap_or(0),
        }
    }

    /// Frames counted by name (ASCII case-insensitive); `None` = all XML
    /// messages.
    pub fn count(&self, dir: Dir, name: Option<&str>) -> u64 {
        Self::count_in(&self.book.lock(), dir, name)
    }

    /// Waits until `count(dir, name) >= count` or the timeout passes.
    pub fn wait(&self, dir: Dir, name: Option<&str>, count: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut book = self.book.lock();
        loop {
            if Self::count_in(&book, dir, name) >= count {
                return true;
            }
            if self.changed.wait_until(&mut book, deadline).timed_out() {
                return Self::count_in(&book, dir, name) >= count;
            }
        }
    }

    pub fn records(&self) -> Vec<Record> {
        self.book.lock().records.clone()
    }

    /// Forgets records and counts (between the phases of a test).
    pub fn clear(&self) {
        *self.book.lock() = Book::default();
    }
}
