//! Shared harness for the end-to-end tests: a real engine talking to the
//! bundled simulator over loopback TCP, events collected through the
//! callback, and the FLOWS.md invariants checked from the wire traffic the
//! simulator recorded.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod checker;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver};
use ivrconf::engine::{Config, Engine, Event, EventKind, Handlers};
use ivrconf::flow::{CallEvent, CallEventKind, CallState, OpId, OpKind, Outcome};
use ivrconf::sim::{Dir, Simulator};
use ivrconf::wire::{Body, Message, StatusEvent as Status};

/// Timers for tests: every one set, 100-500 ms, never the defaults.
pub const REQUEST_TIMEOUT_MS: u64 = 300;
pub const NO_ANSWER_TIMEOUT_MS: u64 = 500;
/// Scheduling slack allowed on top of the timers (invariant 4).
pub const DEADLINE_SLACK_MS: u64 = 300;
pub const WAIT: Duration = Duration::from_secs(5);

pub struct Harness {
    pub sim: Simulator,
    pub engine: Option<Engine>,
    events: Receiver<(Instant, Event)>,
    pub seen: Vec<Event>,
    /// When each event of `seen` reached the application.
    seen_at: Vec<Instant>,
    pub ops: Vec<OpId>,
    /// When each OPERATION_DONE reached the application.
    done_at: HashMap<OpId, Instant>,
    /// No later than the simulator's own start (its records count from it).
    sim_epoch: Option<Instant>,
    /// The engine talks to `sim` (and not to some other server).
    engine_uses_sim: bool,
}

pub fn config(port: u16) -> Config {
    let mut c = Config::default();
    for (k, v) in [
        ("server", format!("127.0.0.1:{port}")),
        ("client_name", "IVR_TEST".into()),
        ("request_timeout_ms", REQUEST_TIMEOUT_MS.to_string()),
        ("no_answer_timeout_ms", NO_ANSWER_TIMEOUT_MS.to_string()),
        ("reconnect_min_ms", "100".into()),
        ("reconnect_max_ms", "400".into()),
        ("connect_timeout_ms", "500".into()),
        ("keepalive_interval_ms", "200".into()),
        ("keepalive_timeout_ms", "500".into()),
        ("log_level", "trace".into()),
    ] {
        c.set(k, &v).unwrap();
    }
    c
}

impl Harness {
    /// A simulator with `faults` applied and a logged-in engine.
    pub fn new(faults: &[(&str, &str)]) -> Harness {
        let epoch = Instant::now();
        let sim = Simulator::start("127.0.0.1:0").unwrap();
        for (k, v) in faults {
            sim.set(k, v)
                .unwrap_or_else(|e| panic!("sim key {k}={v}: {e}"));
        }
        let cfg = config(sim.port());
        let mut h = Harness::with_config(sim, cfg, true);
        h.sim_epoch = Some(epoch);
        h
    }

    pub fn with_config(sim: Simulator, cfg: Config, wait_ready: bool) -> Harness {
        // Some tests point the engine at another server (a replaying
        // program) and keep `sim` only for its API: no waiting on it then.
        let engine_uses_sim = cfg.servers.iter().any(|s| s.port == sim.port());
        let (tx, rx) = unbounded();
        let handlers = Handlers {
            on_event: Some(Box::new(move |e: Event| {
                let _ = tx.send((Instant::now(), e));
            })),
            on_log: None,
            on_free: None,
        };
        let engine = Engine::new(cfg, handlers).unwrap();
        let mut h = Harness {
            sim,
            engine: Some(engine),
            events: rx,
            seen: Vec::new(),
            seen_at: Vec::new(),
            ops: Vec::new(),
            done_at: HashMap::new(),
            sim_epoch: None,
            engine_uses_sim,
        };
        if wait_ready {
            assert!(
                h.engine().wait_ready(WAIT).unwrap(),
                "engine did not log in"
            );
            h.next_matching(|e| e.kind() == EventKind::SessionUp, "SESSION_UP");
        }
        h
    }

    pub fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    /// Waits for the next event satisfying `pred`, keeping every event seen.
    pub fn next_matching(&mut self, pred: impl Fn(&Event) -> bool, what: &str) -> Event {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok((at, e)) => {
                    self.keep(at, &e);
                    if pred(&e) {
                        return e;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; seen: {:#?}", self.seen),
            }
        }
    }

    /// Announces `id` and waits until the simulator has received its
    /// `NewCall`, so a later fault (a dropped link) cannot overtake it.
    pub fn call_new(&mut self, id: &str) {
        let before = self.sim.received_count(Some("NewCall"));
        self.engine()
            .call_new(id, "5001", Some("8005551212"), Some("4155550100"), vec![])
            .unwrap();
        assert!(
            !self.engine_uses_sim || self.sim.wait_received("NewCall", before + 1, WAIT),
            "the simulator never received the NewCall of {id}"
        );
    }

    pub fn start(&mut self, id: &str, kind: OpKind, dest: &str) -> OpId {
        let op = self.engine().start(id, kind, dest, vec![]).unwrap();
        self.ops.push(op);
        op
    }

    /// Waits for the OPERATION_DONE of `op`.
    pub fn done(&mut self, op: OpId) -> CallEvent {
        let e = self.next_matching(
            |e| matches!(e, Event::Call(c, _) if c.kind == CallEventKind::OperationDone && c.op_id == op),
            &format!("OPERATION_DONE of op {op}"),
        );
        e.call().cloned().unwrap()
    }

    /// Waits for a CALL_STATUS with `status` on `call`.
    pub fn status(&mut self, call: &str, status: Status) -> CallEvent {
        let e = self.next_matching(
            |e| matches!(e, Event::Call(c, _) if c.kind == CallEventKind::CallStatus && c.call_id == call && c.status == Some(status)),
            &format!("CALL_STATUS {status:?} on {call}"),
        );
        e.call().cloned().unwrap()
    }

    pub fn ended(&mut self, call: &str) -> CallEvent {
        let e = self.next_matching(
            |e| matches!(e, Event::Call(c, _) if c.kind == CallEventKind::CallEnded && c.call_id == call),
            &format!("CALL_ENDED of {call}"),
        );
        e.call().cloned().unwrap()
    }

    /// The names of the call messages the simulator received for `call`.
    pub fn sent_names(&self, call: &str) -> Vec<String> {
        self.sim
            .records()
            .into_iter()
            .filter(|r| r.dir == Dir::ToServer)
            .filter_map(|r| r.message)
            .filter(|m| m.call_id.as_deref() == Some(call))
            .map(|m| m.name().to_string())
            .collect()
    }

    fn keep(&mut self, at: Instant, e: &Event) {
        if let Some(c) = e.call() {
            if c.kind == CallEventKind::OperationDone {
                self.done_at.insert(c.op_id, at);
            }
        }
        self.seen.push(e.clone());
        self.seen_at.push(at);
    }

    /// Waits until the simulator has received `name` for `call`.
    pub fn wait_sim_got(&self, call: &str, name: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.sent_names(call).iter().any(|n| n == name) {
            assert!(
                Instant::now() < deadline,
                "simulator never got {name} for {call}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Frees the engine (outside any callback), drains the rest of the
    /// events and checks the invariants over the whole run.
    pub fn finish(mut self) -> Vec<Event> {
        // A status the server sent just before the end may still be on its
        // way through the engine: let it arrive (bounded) before freeing, so
        // invariant 5 judges the engine, not the test's timing.
        let deadline = Instant::now() + WAIT;
        while self.engine.is_some()
            && Instant::now() < deadline
            && !statuses_caught_up(&self.sim, &self.seen)
        {
            while let Ok((at, e)) = self.events.recv_timeout(Duration::from_millis(5)) {
                self.keep(at, &e);
            }
        }
        if let Some(engine) = self.engine.take() {
            engine.free();
        }
        while let Ok((at, e)) = self.events.try_recv() {
            self.keep(at, &e);
        }
        check_invariants(&self.sim, &self.seen, &self.ops);
        if let Some(epoch) = self.sim_epoch {
            check_op_deadlines(&self.sim, &self.seen, &self.done_at, epoch);
            checker::check_run(&self.sim, &self.seen, &self.seen_at, epoch);
        }
        self.seen
    }
}

/// The documented statuses the simulator sent for `call`, in order.
fn statuses_sent(records: &[ivrconf::sim::Record], call: &str) -> Vec<Status> {
    records
        .iter()
        .filter(|r| r.dir == Dir::FromServer)
        .filter_map(|r| r.message.as_ref())
        .filter(|m| m.call_id.as_deref() == Some(call))
        .filter_map(|m| match &m.body {
            Body::CallStatus(s) => s.event(),
            _ => None,
        })
        .collect()
}

/// The statuses reported for `call`, in order.
fn statuses_reported(events: &[Event], call: &str) -> Vec<Status> {
    call_events(events, call)
        .iter()
        .filter(|c| c.kind == CallEventKind::CallStatus)
        .filter_map(|c| c.status)
        .collect()
}

/// Every live call has had every status the simulator sent reported.
fn statuses_caught_up(sim: &Simulator, events: &[Event]) -> bool {
    let records = sim.records();
    announced_calls(&records).iter().all(|call| {
        let ended = call_events(events, call)
            .iter()
            .any(|c| c.kind == CallEventKind::CallEnded);
        ended || statuses_sent(&records, call) == statuses_reported(events, call)
    })
}

/// Call ids the simulator saw announced, in order.
fn announced_calls(records: &[ivrconf::sim::Record]) -> Vec<String> {
    let mut calls: Vec<String> = Vec::new();
    for r in records {
        if let Some(Message {
            call_id: Some(id),
            body: Body::NewCall(_),
        }) = &r.message
        {
            if !calls.contains(id) {
                calls.push(id.clone());
            }
        }
    }
    calls
}

fn call_events<'a>(events: &'a [Event], call: &str) -> Vec<&'a CallEvent> {
    events
        .iter()
        .filter_map(Event::call)
        .filter(|c| c.call_id == call)
        .collect()
}

/// FLOWS.md invariants, seen from outside: events from the application's
/// side, requests and statuses from the simulator's record of the wire.
pub fn check_invariants(sim: &Simulator, events: &[Event], ops: &[OpId]) {
    // 1. Exactly one OPERATION_DONE per op id; none without an op.
    let mut done: HashMap<OpId, usize> = HashMap::new();
    for c in events.iter().filter_map(Event::call) {
        if c.kind == CallEventKind::OperationDone {
            *done.entry(c.op_id).or_default() += 1;
        }
    }
    for op in ops {
        assert_eq!(
            done.get(op).copied().unwrap_or(0),
            1,
            "invariant 1: op {op} must end exactly once: {events:#?}"
        );
    }
    let known: HashSet<OpId> = ops.iter().copied().collect();
    for op in done.keys() {
        assert!(
            known.contains(op),
            "invariant 1: OPERATION_DONE for unknown op {op}"
        );
    }

    let records = sim.records();
    let calls = announced_calls(&records);
    for call in &calls {
        let wire: Vec<(Dir, Message)> = records
            .iter()
            .filter_map(|r| r.message.clone().map(|m| (r.dir, m)))
            .filter(|(_, m)| m.call_id.as_deref() == Some(call.as_str()))
            .collect();
        // 2 and 3: no RetrieveCall after a CallError of the same op; at most
        // one RetrieveCall per op. An op is delimited by its first request.
        let mut call_error = false;
        let mut retrieves = 0;
        for (dir, m) in &wire {
            match (dir, &m.body) {
                (
                    Dir::ToServer,
                    Body::OneStepConf(_)
                    | Body::OneStepXfer(_)
                    | Body::InitConf(_)
                    | Body::InitXfer(_),
                ) => {
                    call_error = false;
                    retrieves = 0;
                }
                (Dir::FromServer, Body::CallError(_)) => call_error = true,
                (Dir::ToServer, Body::RetrieveCall(_)) => {
                    assert!(
                        !call_error,
                        "invariant 2: RetrieveCall after CallError on {call}: {wire:#?}"
                    );
                    retrieves += 1;
                    assert!(
                        retrieves <= 1,
                        "invariant 3: second RetrieveCall on {call}: {wire:#?}"
                    );
                }
                _ => {}
            }
        }
        // 5. Statuses reach the application in server order: the reported
        // sequence is the server's sequence of documented statuses (cut
        // where the call ended).
        let sent = statuses_sent(&records, call);
        let reported = statuses_reported(events, call);
        assert!(
            sent.starts_with(&reported),
            "invariant 5: statuses of {call} out of order or invented: sent {sent:?}, reported {reported:?}"
        );
        let ended = call_events(events, call)
            .iter()
            .any(|c| c.kind == CallEventKind::CallEnded);
        if !ended {
            assert_eq!(
                sent, reported,
                "invariant 5: every status of live call {call} is reported"
            );
        }
        // CALL_ENDED at most once and last.
        let evs = call_events(events, call);
        let ends = evs
            .iter()
            .filter(|c| c.kind == CallEventKind::CallEnded)
            .count();
        assert!(ends <= 1, "CALL_ENDED more than once for {call}");
        if ends == 1 {
            assert_eq!(
                evs.last().map(|c| c.kind),
                Some(CallEventKind::CallEnded),
                "CALL_ENDED is the last event of {call}"
            );
        }
    }
}

/// Invariant 4: every op ends within request_timeout_ms + no_answer_timeout_ms
/// of the last request the engine sent for its call (the simulator's record
/// of the wire; slack for scheduling). Ops ended by the application itself
/// (shutdown, call end) trivially satisfy it.
fn check_op_deadlines(
    sim: &Simulator,
    events: &[Event],
    done_at: &HashMap<OpId, Instant>,
    epoch: Instant,
) {
    let limit =
        Duration::from_millis(REQUEST_TIMEOUT_MS + NO_ANSWER_TIMEOUT_MS + DEADLINE_SLACK_MS);
    let records = sim.records();
    for c in events
        .iter()
        .filter_map(Event::call)
        .filter(|c| c.kind == CallEventKind::OperationDone)
    {
        let Some(done) = done_at.get(&c.op_id) else {
            continue;
        };
        let last_request = records
            .iter()
            .filter(|r| r.dir == Dir::ToServer)
            .filter(|r| {
                matches!(&r.message, Some(m) if m.call_id.as_deref() == Some(c.call_id.as_str())
                    && matches!(m.body, Body::OneStepConf(_) | Body::OneStepXfer(_) | Body::InitConf(_)
                        | Body::InitXfer(_) | Body::CompleteConf(_) | Body::CompleteXfer(_) | Body::RetrieveCall(_)))
            })
            .map(|r| epoch + r.at)
            .filter(|at| at <= done)
            .max();
        if let Some(sent) = last_request {
            let took = done.duration_since(sent);
            assert!(
                took <= limit,
                "invariant 4: op {} of {} ended {took:?} after its last request (limit {limit:?})",
                c.op_id,
                c.call_id
            );
        }
    }
}

/// Asserts an OPERATION_DONE's outcome, state and party count.
pub fn assert_done(e: &CallEvent, outcome: Outcome, state: CallState, parties: u32) {
    assert_eq!(e.outcome, Some(outcome), "outcome of {e:?}");
    assert_eq!(e.state, state, "state after {e:?}");
    assert_eq!(e.party_count, parties, "party count after {e:?}");
}
