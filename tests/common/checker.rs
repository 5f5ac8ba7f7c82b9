//! Runs `ivrconf::flow::invariants::Checker` over a whole end-to-end run:
//! the simulator's record of the wire and the application's events, merged
//! into the one causally ordered stream the checker expects (an input, then
//! everything it caused, then the next input).
//!
//! Owns that merge and nothing else: the looser checks in `super` stay as
//! they are. It reads only what crossed the process boundary (frames and
//! events), never the engine's logs or state.
//!
//! # What the merge starts from
//!
//! Three sequences, each in an order that is the engine's own:
//! - S, the messages the simulator sent, in record order. It records a
//!   frame before writing it and TCP is FIFO, so per connection this is the
//!   order the engine read them, and an earlier connection's messages were
//!   read before a later one's.
//! - O, the messages the simulator received, in record order: the order
//!   the engine wrote them (one socket at a time, one writer).
//! - E, the events in callback order: the order the core emitted them (one
//!   dispatcher thread).
//!
//! Times are only upper bounds: `s_k` (the simulator sent k) is before the
//! engine read k, `r_j` (it received j) after the engine wrote j, and an
//! event's callback time after its emission. The simulator's clock starts
//! at an unknown instant between `epoch` (taken before `Simulator::start`)
//! and `upper`, the earliest `callback time - s_k` of a pinned event below.
//!
//! # Facts (true by construction of the engine and the simulator)
//!
//! - F1: `r_j < s_k` (record order) => j was written before k was read.
//! - F2: event seen at `t` with `t - epoch < s_k` => emitted before k was
//!   read (it was seen before k even left the simulator).
//! - F3: reading a documented `CallStatus` of a live call emits its
//!   CALL_STATUS first (the flow's output order is CALL_STATUS, send,
//!   timers, OPERATION_DONE, CALL_ENDED). So the n-th documented status the
//!   simulator sent in one life of a call (from its n-th `NewCall`) and that
//!   life's n-th CALL_STATUS are one step: the event is "pinned" right
//!   after its message, and every event before it in E goes before that
//!   message. A wrong pairing is not hidden: the checker then meets a
//!   CALL_STATUS that is not the next status from the server, or a status
//!   never reported, or a status reported twice.
//! - F4: the n-th SESSION_UP is pinned to the n-th `LoginResp` (the flow's
//!   `link_up` emits nothing; SESSION_UP follows it at once) when the counts
//!   agree, so no call message of a connection comes before its session.
//! - F5: losing the link emits LINK_LOST for every op in flight, then
//!   SESSION_DOWN, in one step: that block is fed as one, preceded by
//!   `observe_link(false)`, and after every message written on the
//!   connections that were up before it (nothing is written once down).
//! - F6: a sent `EndCall` is followed, in the same step, by its call's
//!   CALL_ENDED: that CALL_ENDED goes after it.
//!
//! # Presumptions (only where no fact decides)
//!
//! - P1: between S and O, record order (S_k before O_j when `s_k < r_j`:
//!   the engine had read k when it wrote j). Wrong only for two messages
//!   crossing on the wire; F5 and F6 may let an O-message pass an S-message
//!   pinned to a later event, which is then proven to come later.
//! - P2: an unpinned event seen at `t` with `t - epoch >= s_k` comes after
//!   k (caused by it: a CallError before its FAILED, the server's EndCall
//!   before CALL_ENDED). Caused events always pass this test.
//! - P3: an unpinned event that P2 puts before the next S-message goes
//!   before the next O-message j if `t - upper < r_j`. Everything the test
//!   does in reaction to an event (a new op after OPERATION_DONE) passes
//!   this test, since `upper` is a latest start.
//!
//! A documented status the engine never reported is fed where it lies
//! when the call is live at the end of the run, when a later S-message has
//! its pinned event before the call's CALL_ENDED, or when the server's
//! `EndCall` that ended the call came after it: then the call was live
//! when the engine read it, and the checker must judge it. Otherwise it may
//! have crossed the engine's own `EndCall` and been read after the call
//! ended, which is allowed: it is left out (the checker ignores messages
//! for calls that are not live anyway). So a status lost on a call the
//! engine then ends itself, with no later message to prove it, goes
//! unnoticed here.
//!
//! # Time
//!
//! `advance` gets the simulator's clock in ms, moved (monotonically) to each
//! wire message's record time before it is fed; events do not move it. An
//! op's start is then its request's receipt (after the real write) and
//! "now" a message's sending (before its reading): both err on the lenient
//! side, and the checker gets `request_timeout_ms + DEADLINE_SLACK_MS` for
//! the scheduling of two processes. `SetTimer`/`CancelTimer` are not
//! visible from outside, so the timer half of invariant 4 is left to the
//! flow tests.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ivrconf::engine::Event;
use ivrconf::flow::invariants::Checker;
use ivrconf::flow::{CallEventKind, Outcome, Output};
use ivrconf::sim::{Dir, Simulator};
use ivrconf::wire::{Body, Message};

use super::{config, DEADLINE_SLACK_MS};

/// Feeds the run to the checker; panics with its findings and the stream.
pub fn check_run(sim: &Simulator, events: &[Event], seen_at: &[Instant], epoch: Instant) {
    assert_eq!(events.len(), seen_at.len(), "one time per event");
    let mut flow_config = config(sim.port()).flow_config();
    flow_config.request_timeout_ms += DEADLINE_SLACK_MS;
    let plan = Plan::new(spine(sim), events, seen_at, epoch);
    let mut merge = Merge::new(plan, Checker::new(&flow_config));
    merge.run();
    let violations = merge.checker.violations();
    assert!(
        violations.is_empty(),
        "the invariant checker, fed from the wire record and the events, found:\n{}\n\nthe stream it was fed:\n{}",
        violations.join("\n"),
        merge.trace
    );
}

/// One call's life: its id and how many `NewCall`s announced it so far.
type Life = (String, u32);

/// A wire message of the spine.
struct Wire {
    dir: Dir,
    at: Duration,
    conn: u64,
    msg: Message,
    /// The life of its call, for call messages.
    life: Option<Life>,
    role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Placed by the presumptions.
    Free,
    /// Event `i` (its CALL_STATUS or SESSION_UP) comes right after it.
    Pinned(usize),
    /// An unreported status that may have been read after its call ended.
    Left,
}

/// The call messages both ways (and `LoginResp`, F4's anchor), in record
/// order, each with its call's life.
fn spine(sim: &Simulator) -> Vec<Wire> {
    let mut announced: HashMap<String, u32> = HashMap::new();
    sim.records()
        .into_iter()
        .filter_map(|r| {
            let msg = r.message?;
            let login = r.dir == Dir::FromServer && matches!(msg.body, Body::LoginResp(_));
            let call = msg.call_id.clone().filter(|_| !msg.body.is_session());
            let life = call.map(|id| {
                let n = announced.entry(id.clone()).or_default();
                if r.dir == Dir::ToServer && matches!(msg.body, Body::NewCall(_)) {
                    *n += 1;
                }
                (id, *n)
            });
            (life.is_some() || login).then_some(Wire {
                dir: r.dir,
                at: r.at,
                conn: r.conn,
                msg,
                life,
                role: Role::Free,
            })
        })
        .collect()
}

/// What the merge needs to know before it starts.
struct Plan<'a> {
    wires: Vec<Wire>,
    events: &'a [Event],
    seen_at: &'a [Instant],
    /// Per event: the wire message it must follow (F3-F6).
    after: Vec<Option<usize>>,
    /// Per event that starts a link-down block: the block's last event.
    block_end: Vec<Option<usize>>,
    epoch: Instant,
    upper: Instant,
}

/// Per life: its CALL_STATUS events and its CALL_ENDED.
#[derive(Default)]
struct LifeEvents {
    statuses: Vec<usize>,
    ended: Option<usize>,
}

impl<'a> Plan<'a> {
    fn new(wires: Vec<Wire>, events: &'a [Event], seen_at: &'a [Instant], epoch: Instant) -> Self {
        let mut plan = Plan {
            wires,
            events,
            seen_at,
            after: vec![None; events.len()],
            block_end: vec![None; events.len()],
            epoch,
            upper: epoch,
        };
        let lives = plan.life_events();
        let sent = plan.pin_statuses(&lives);
        plan.pin_logins();
        plan.leave_unprovable(&lives, &sent);
        plan.pin_end_calls(&lives);
        plan.link_down_blocks();
        plan.upper = plan.latest_start();
        plan
    }

    fn pin(&mut self, k: usize, i: usize) {
        self.wires[k].role = Role::Pinned(i);
        self.after[i] = Some(k);
    }

    fn life_events(&self) -> HashMap<Life, LifeEvents> {
        let mut ended: HashMap<&str, u32> = HashMap::new();
        let mut lives: HashMap<Life, LifeEvents> = HashMap::new();
        for (i, c) in self
            .events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, e.call()?)))
        {
            let n = ended.entry(&c.call_id).or_default();
            let life = lives.entry((c.call_id.to_string(), *n + 1)).or_default();
            match c.kind {
                CallEventKind::CallStatus => life.statuses.push(i),
                CallEventKind::CallEnded => {
                    life.ended = Some(i);
                    *n += 1;
                }
                CallEventKind::OperationDone => {}
            }
        }
        lives
    }

    /// F3; returns each life's documented statuses on the wire.
    fn pin_statuses(&mut self, lives: &HashMap<Life, LifeEvents>) -> HashMap<Life, Vec<usize>> {
        let mut sent: HashMap<Life, Vec<usize>> = HashMap::new();
        for (k, w) in self.wires.iter().enumerate() {
            if let (Dir::FromServer, Body::CallStatus(s), Some(life)) =
                (w.dir, &w.msg.body, &w.life)
            {
                if s.event().is_some() {
                    sent.entry(life.clone()).or_default().push(k);
                }
            }
        }
        for (life, wire) in &sent {
            let reported = lives.get(life).map_or(&[][..], |l| &l.statuses[..]);
            for (&k, &i) in wire.iter().zip(reported) {
                self.pin(k, i);
            }
        }
        sent
    }

    /// F4.
    fn pin_logins(&mut self) {
        let logins: Vec<usize> = (0..self.wires.len())
            .filter(|&k| matches!(self.wires[k].msg.body, Body::LoginResp(_)))
            .collect();
        let ups: Vec<usize> = (0..self.events.len())
            .filter(|&i| matches!(self.events[i], Event::SessionUp { .. }))
            .collect();
        if logins.len() == ups.len() {
            for (k, i) in logins.into_iter().zip(ups) {
                self.pin(k, i);
            }
        }
    }

    /// Marks `Left` the unreported statuses that may have been read after
    /// their call ended (module doc).
    fn leave_unprovable(
        &mut self,
        lives: &HashMap<Life, LifeEvents>,
        sent: &HashMap<Life, Vec<usize>>,
    ) {
        // The earliest event pinned to a message after k.
        let mut first_pin_after = vec![usize::MAX; self.wires.len()];
        let mut earliest = usize::MAX;
        for k in (0..self.wires.len()).rev() {
            first_pin_after[k] = earliest;
            if let Role::Pinned(i) = self.wires[k].role {
                earliest = earliest.min(i);
            }
        }
        for (life, wire) in sent {
            let Some(events) = lives.get(life) else {
                continue;
            };
            let Some(end) = events.ended else {
                continue;
            };
            let server_end = self.server_end(life, end);
            for &k in wire.iter().skip(events.statuses.len()) {
                if first_pin_after[k] > end && server_end.is_none_or(|e| k > e) {
                    self.wires[k].role = Role::Left;
                }
            }
        }
    }

    /// The server's `EndCall` that ended `life` (CALL_ENDED = `end`), if
    /// that is what ended it: the engine sent no `EndCall` and no status
    /// ended it (its CALL_ENDED would follow that CALL_STATUS).
    fn server_end(&self, life: &Life, end: usize) -> Option<usize> {
        let by_status = end
            .checked_sub(1)
            .and_then(|i| self.events[i].call())
            .is_some_and(|c| c.call_id == life.0 && c.kind == CallEventKind::CallStatus);
        let mut end_calls = self.wires.iter().enumerate().filter(|(_, w)| {
            matches!(w.msg.body, Body::EndCall(_)) && w.life.as_ref() == Some(life)
        });
        let by_engine = end_calls.clone().any(|(_, w)| w.dir == Dir::ToServer);
        (!by_status && !by_engine)
            .then(|| end_calls.find(|(_, w)| w.dir == Dir::FromServer))
            .flatten()
            .map(|(k, _)| k)
    }

    /// F6.
    fn pin_end_calls(&mut self, lives: &HashMap<Life, LifeEvents>) {
        for k in 0..self.wires.len() {
            let w = &self.wires[k];
            if let (Dir::ToServer, Body::EndCall(_), Some(life)) = (w.dir, &w.msg.body, &w.life) {
                if let Some(i) = lives.get(life).and_then(|l| l.ended) {
                    self.after[i].get_or_insert(k);
                }
            }
        }
    }

    /// F5: `[LINK_LOST ...] SESSION_DOWN` blocks, each after the messages
    /// written on the connections up so far.
    fn link_down_blocks(&mut self) {
        let link_lost = |e: &Event| {
            matches!(e.call(), Some(c) if c.kind == CallEventKind::OperationDone
                && c.outcome == Some(Outcome::LinkLost))
        };
        for d in 0..self.events.len() {
            if matches!(self.events[d], Event::SessionDown { .. }) {
                let mut start = d;
                while start > 0 && link_lost(&self.events[start - 1]) {
                    start -= 1;
                }
                self.block_end[start] = Some(d);
            }
        }
        let mut up_conn = None;
        for i in 0..self.events.len() {
            if matches!(self.events[i], Event::SessionUp { .. }) {
                up_conn = self.after[i].map(|k| self.wires[k].conn);
            }
            if let (Some(conn), Some(_), None) = (up_conn, self.block_end[i], self.after[i]) {
                self.after[i] = (0..self.wires.len())
                    .rev()
                    .find(|&k| self.wires[k].dir == Dir::ToServer && self.wires[k].conn <= conn);
            }
        }
    }

    /// No pinned event was seen before its message left the simulator.
    fn latest_start(&self) -> Instant {
        self.after
            .iter()
            .enumerate()
            .filter_map(|(i, k)| {
                let w = &self.wires[(*k)?];
                (w.dir == Dir::FromServer).then(|| self.seen_at[i].checked_sub(w.at))?
            })
            .min()
            .map_or(self.epoch, |u| u.max(self.epoch))
    }
}

/// The merge itself: feeds the checker item by item.
struct Merge<'a> {
    plan: Plan<'a>,
    /// Spine indices of the S- and O-messages, in record order.
    s: Vec<usize>,
    o: Vec<usize>,
    s_next: usize,
    o_next: usize,
    taken: Vec<bool>,
    checker: Checker,
    clock: u64,
    trace: String,
}

impl<'a> Merge<'a> {
    fn new(plan: Plan<'a>, checker: Checker) -> Self {
        let of = |dir| {
            (0..plan.wires.len())
                .filter(|&k| plan.wires[k].dir == dir)
                .collect()
        };
        Merge {
            s: of(Dir::FromServer),
            o: of(Dir::ToServer),
            s_next: 0,
            o_next: 0,
            taken: vec![false; plan.wires.len()],
            plan,
            checker,
            clock: 0,
            trace: String::new(),
        }
    }

    fn run(&mut self) {
        let mut next = 0;
        while next < self.plan.events.len() {
            self.skip_left();
            if let Some(k) = self.plan.after[next].filter(|&k| !self.taken[k]) {
                // Up to the message this event follows, in record order,
                // except that a sent message may pass a server message
                // pinned to a later event (F5, F6).
                let blocked = self.s_head().is_some_and(|h| self.pinned(h));
                if self.plan.wires[k].dir == Dir::ToServer && blocked {
                    self.take_o();
                } else {
                    self.take_head();
                }
                continue;
            }
            if self.event_first(next) {
                next = self.feed_events(next);
            } else {
                self.take_head();
            }
        }
        loop {
            self.skip_left();
            if self.head().is_none() {
                break;
            }
            self.take_head();
        }
        self.checker.advance(self.clock);
    }

    /// Whether event `i`, whose own message (if any) is fed, goes before
    /// the next wire message.
    fn event_first(&self, i: usize) -> bool {
        let wires = &self.plan.wires;
        if self.plan.after[i].is_some_and(|k| wires[k].dir == Dir::FromServer) {
            return true; // F3, F4
        }
        let before_s = match self.s_head() {
            None => true,
            Some(h) => self.pinned(h) || self.seen_since(i, self.plan.epoch) < wires[h].at, // F3, F2
        };
        match self.head() {
            None => true,
            Some(h) if wires[h].dir == Dir::FromServer => before_s, // P2
            Some(h) => before_s && self.seen_since(i, self.plan.upper) < wires[h].at, // P1, P3
        }
    }

    fn seen_since(&self, i: usize, start: Instant) -> Duration {
        self.plan.seen_at[i].saturating_duration_since(start)
    }

    fn s_head(&self) -> Option<usize> {
        self.s.get(self.s_next).copied()
    }

    /// Pinned to an event not fed yet.
    fn pinned(&self, k: usize) -> bool {
        matches!(self.plan.wires[k].role, Role::Pinned(_))
    }

    /// The earlier, in record order, of the next S- and O-message.
    fn head(&self) -> Option<usize> {
        match (self.s_head(), self.o.get(self.o_next).copied()) {
            (Some(s), Some(o)) => Some(s.min(o)),
            (s, o) => s.or(o),
        }
    }

    fn skip_left(&mut self) {
        while let Some(k) = self
            .s_head()
            .filter(|&k| self.plan.wires[k].role == Role::Left)
        {
            self.taken[k] = true;
            self.s_next += 1;
            let _ = writeln!(self.trace, "   (left out) {}", self.describe(k));
        }
    }

    fn take_head(&mut self) {
        match self.head() {
            Some(k) if self.plan.wires[k].dir == Dir::ToServer => self.take_o(),
            Some(k) => {
                self.s_next += 1;
                self.feed_wire(k);
            }
            None => {}
        }
    }

    fn take_o(&mut self) {
        if let Some(&k) = self.o.get(self.o_next) {
            self.o_next += 1;
            self.feed_wire(k);
        }
    }

    fn feed_wire(&mut self, k: usize) {
        self.taken[k] = true;
        let line = self.describe(k);
        let _ = writeln!(self.trace, "{line}");
        let w = &self.plan.wires[k];
        if matches!(w.msg.body, Body::LoginResp(_)) {
            return; // the session's, not the flow's
        }
        self.clock = self.clock.max(w.at.as_millis() as u64);
        self.checker.advance(self.clock);
        match w.dir {
            Dir::FromServer => self.checker.observe_received(&w.msg),
            Dir::ToServer => self.checker.observe_output(&Output::Send(w.msg.clone())),
        }
    }

    /// Feeds event `i`, or the link-down block it starts; the next index.
    fn feed_events(&mut self, i: usize) -> usize {
        let last = match self.plan.block_end[i] {
            Some(d) => {
                let _ = writeln!(self.trace, "   link down");
                self.checker.observe_link(false);
                d
            }
            None => i,
        };
        for j in i..=last {
            let e = &self.plan.events[j];
            let _ = writeln!(
                self.trace,
                "   event +{:?} {}",
                self.seen_since(j, self.plan.epoch),
                describe_event(e)
            );
            match e {
                Event::Call(c, _) => self.checker.observe_output(&Output::Event(c.clone())),
                Event::SessionUp { .. } => self.checker.observe_link(true),
                Event::SessionDown { .. } | Event::EngineError { .. } => {}
            }
        }
        last + 1
    }

    fn describe(&self, k: usize) -> String {
        let w = &self.plan.wires[k];
        let arrow = match w.dir {
            Dir::FromServer => "S->I",
            Dir::ToServer => "I->S",
        };
        let what = match &w.msg.body {
            Body::CallStatus(s) => format!("CallStatus {}", s.event),
            Body::CallError(e) => {
                format!("CallError {}", e.failed_req.as_deref().unwrap_or_default())
            }
            _ => w.msg.name().to_string(),
        };
        let call = w.msg.call_id.as_deref().unwrap_or("-");
        format!("{arrow} conn {} +{:?} {call} {what}", w.conn, w.at)
    }
}

fn describe_event(e: &Event) -> String {
    match e {
        Event::Call(c, _) => format!(
            "{:?} {} op {} {:?} {:?} {} {}",
            c.kind, c.call_id, c.op_id, c.status, c.outcome, c.state, c.party_count
        ),
        other => format!("{:?}", other.kind()),
    }
}
