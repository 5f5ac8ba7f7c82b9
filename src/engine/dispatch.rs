//! The dispatcher thread: the only thread that runs application callbacks.
//!
//! Everything the application sees (events and log lines) goes through one
//! unbounded channel, so work done under the core's lock (on any thread)
//! never waits for a slow callback, and a callback that calls back into the
//! engine cannot deadlock it: no callback runs with the lock held. In poll
//! mode events go to a queue read by `Engine::next_event` instead.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use parking_lot::{Condvar, Mutex};

use super::config::LogLevel;
use super::event::Event;
use super::Taken;

/// Application event callback (Rust form; the C API wraps its function
/// pointer in one of these). Each event is moved into it: the callback owns
/// it and keeps or takes it apart without a copy.
pub type EventFn = Box<dyn FnMut(Event) + Send>;
/// Application log callback.
pub type LogFn = Box<dyn FnMut(LogLevel, &str) + Send>;
/// Run once, after the last callback.
pub type FreeFn = Box<dyn FnOnce() + Send>;

/// The application's handlers. `on_event: None` selects poll mode.
/// `on_free` runs once, after the last callback, when the engine is freed;
/// never when `Engine::new` fails.
#[derive(Default)]
pub struct Handlers {
    pub on_event: Option<EventFn>,
    pub on_log: Option<LogFn>,
    pub on_free: Option<FreeFn>,
}

/// What the dispatcher is asked to deliver.
pub(crate) enum Item {
    Event(Event),
    Log(LogLevel, String),
    /// The engine is shut down and every event it owed is queued ahead of
    /// this: a poll-mode reader with an empty queue stops waiting.
    Seal,
    /// Deliver nothing more; run `on_free` and exit.
    Stop,
}

/// Poll-mode event queue.
#[derive(Default)]
pub(crate) struct PollQueue {
    events: Mutex<VecDeque<Event>>,
    ready: Condvar,
    closed: Mutex<bool>,
    sealed: std::sync::atomic::AtomicBool,
}

/// What a poll-mode read found.
pub(crate) enum Polled {
    Event(Event),
    Timeout,
    /// Shut down and nothing left to read.
    Drained,
}

impl PollQueue {
    fn push(&self, event: Event) {
        if *self.closed.lock() {
            return;
        }
        self.events.lock().push_back(event);
        self.ready.notify_one();
    }

    /// The oldest event, waiting up to `timeout` for one.
    pub(crate) fn pop(&self, timeout: Duration) -> Polled {
        let deadline = Instant::now() + timeout;
        let mut events = self.events.lock();
        loop {
            if let Some(e) = events.pop_front() {
                return Polled::Event(e);
            }
            if self.sealed.load(std::sync::atomic::Ordering::SeqCst) {
                return Polled::Drained;
            }
            if self.ready.wait_until(&mut events, deadline).timed_out() {
                return events.pop_front().map_or(Polled::Timeout, Polled::Event);
            }
        }
    }

    fn seal(&self) {
        let _guard = self.events.lock();
        self.sealed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.ready.notify_all();
    }

    /// Discards unread events (engine freed in poll mode) and wakes every
    /// blocked reader.
    pub(crate) fn close(&self) {
        *self.closed.lock() = true;
        self.events.lock().clear();
        self.seal();
    }
}

/// Runs until `Item::Stop` (or every sender is gone), then `on_free`.
pub(crate) fn run(
    rx: Receiver<Item>,
    mut handlers: Handlers,
    poll: Arc<PollQueue>,
    on_free: Arc<Mutex<Option<FreeFn>>>,
    taken: Taken,
) {
    while let Ok(item) = rx.recv() {
        match item {
            Item::Event(event) => match handlers.on_event.as_mut() {
                // A panicking Rust callback must not kill the dispatcher:
                // later events (and on_free) are still owed to the application.
                Some(f) => {
                    let _ = catch_unwind(AssertUnwindSafe(|| f(event)));
                    taken.one();
                }
                // Taken when `next_event` returns it (or when the queue is
                // discarded at free, when nothing counts any more).
                None => poll.push(event),
            },
            Item::Log(level, text) => {
                if let Some(f) = handlers.on_log.as_mut() {
                    let _ = catch_unwind(AssertUnwindSafe(|| f(level, &text)));
                }
                taken.one();
            }
            Item::Seal => poll.seal(),
            Item::Stop => break,
        }
    }
    let on_free = on_free.lock().take();
    if let Some(f) = on_free {
        let _ = catch_unwind(AssertUnwindSafe(f));
    }
}
