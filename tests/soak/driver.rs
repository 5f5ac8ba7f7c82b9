//! A worker thread: owns a set of ports (one call at a time each) and
//! drives them through the C API like an IVR driver would: announce a
//! call, run operations of every kind towards every destination behaviour,
//! complete or cancel consultations at random moments (before the answer,
//! after it, or not at all), end calls, and start again.
//!
//! Events reach it from the hub's callback through its channel; it never
//! blocks in the engine except inside the C calls themselves.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use ivrconf::sim::Behaviour;

use crate::capi::{self, Engine, OpKind};
use crate::hub::{self, Hub, PortEvent};
use crate::rng::Rng;
use crate::wire_audit::WireAudit;

/// What the driver does with a consultation once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Complete right after the init returns (before any answer).
    BlindComplete,
    /// Complete once the consulted party answered.
    CompleteOnAnswer,
    /// Cancel once the consulted party answered.
    CancelOnAnswer,
    /// Cancel as soon as the consultation is under way (dialing/ringing).
    CancelWhileDialing,
    /// Let the engine's own handling run; complete or cancel only if it
    /// gets answered.
    Wait,
}

struct Op {
    id: u64,
    kind: OpKind,
    behaviour: usize,
    plan: Plan,
    /// When to complete or cancel.
    action_at: Option<Instant>,
    /// A complete or cancel was accepted.
    acted: bool,
}

struct Call {
    serial: u64,
    id: CString,
    /// `Hub::session_gen` when announced.
    gen: u64,
    state: u32,
    /// Starts accepted on this call (the wire audit counts alike).
    ops: u32,
    op: Option<Op>,
    /// End it at the next chance (held, transferred, link lost, unknown
    /// to the server).
    end: bool,
    /// Transferred: leave the ending to the engine's timer or the server.
    await_end: bool,
}

struct Port {
    call: Option<Call>,
    next_at: Instant,
}

/// Counts kept by one worker, summed for the report.
#[derive(Debug, Clone)]
pub struct WorkerStats {
    pub calls: u64,
    pub starts: u64,
    /// [behaviour][outcome]
    pub by_behaviour: Vec<[u64; 11]>,
    /// [op kind][outcome]
    pub by_kind: [[u64; 11]; 4],
    pub completes: (u64, u64),
    pub cancels: (u64, u64),
    /// Refusals by result code, for the starts.
    pub start_refusals: Vec<(capi::Code, u64)>,
}

impl WorkerStats {
    fn new() -> WorkerStats {
        WorkerStats {
            calls: 0,
            starts: 0,
            by_behaviour: vec![[0; 11]; Behaviour::ALL.len()],
            by_kind: [[0; 11]; 4],
            completes: (0, 0),
            cancels: (0, 0),
            start_refusals: Vec::new(),
        }
    }

    fn refusal(&mut self, code: capi::Code) {
        match self.start_refusals.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => self.start_refusals.push((code, 1)),
        }
    }

    pub fn add(&mut self, other: &WorkerStats) {
        self.calls += other.calls;
        self.starts += other.starts;
        for (a, b) in self.by_behaviour.iter_mut().zip(&other.by_behaviour) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        for (a, b) in self.by_kind.iter_mut().zip(&other.by_kind) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        self.completes.0 += other.completes.0;
        self.completes.1 += other.completes.1;
        self.cancels.0 += other.cancels.0;
        self.cancels.1 += other.cancels.1;
        for (code, n) in &other.start_refusals {
            for _ in 0..*n {
                self.refusal(*code);
            }
        }
    }

    pub fn empty() -> WorkerStats {
        WorkerStats::new()
    }
}

/// Shared switches from the main thread.
pub struct Control {
    /// New calls and operations may start.
    pub intake: AtomicBool,
}

pub struct Worker {
    pub index: usize,
    pub engine: Arc<Engine>,
    pub hub: Arc<Hub>,
    pub audit: Arc<WireAudit>,
    pub control: Arc<Control>,
    pub rx: Receiver<PortEvent>,
    pub rng: Rng,
    pub ports: usize,
    /// After intake stops, give up waiting for open ops at this time.
    pub drain_limit: Duration,
}

const IDLE_WAKE: Duration = Duration::from_millis(20);
const RETRY: Duration = Duration::from_millis(20);

impl Worker {
    pub fn run(mut self) -> WorkerStats {
        let mut stats = WorkerStats::new();
        let now = Instant::now();
        let mut ports: Vec<Port> = (0..self.ports)
            .map(|i| Port {
                call: None,
                next_at: now + Duration::from_millis(i as u64),
            })
            .collect();
        let mut serial = 0u64;
        let mut drain_since: Option<Instant> = None;
        loop {
            while let Ok(ev) = self.rx.try_recv() {
                self.on_event(&mut ports, ev, &mut stats);
            }
            let intake = self.control.intake.load(Ordering::SeqCst);
            if !intake {
                let since = *drain_since.get_or_insert_with(Instant::now);
                let open = ports
                    .iter()
                    .any(|p| p.call.as_ref().is_some_and(|c| c.op.is_some()));
                if !open || since.elapsed() > self.drain_limit {
                    break;
                }
            }
            let now = Instant::now();
            let mut wake = now + IDLE_WAKE;
            for (i, port) in ports.iter_mut().enumerate() {
                let action = port
                    .call
                    .as_ref()
                    .and_then(|c| c.op.as_ref())
                    .and_then(|o| o.action_at);
                if let Some(at) = action {
                    if at <= now {
                        self.act(i, port, &mut stats);
                    } else {
                        wake = wake.min(at);
                    }
                }
                if port.next_at <= now {
                    self.step(i, port, intake, &mut serial, &mut stats);
                }
                wake = wake.min(port.next_at.max(now));
            }
            if let Ok(ev) = self.rx.recv_deadline(wake) {
                self.on_event(&mut ports, ev, &mut stats);
            }
        }
        stats
    }

    fn jitter(&mut self, max_ms: u64) -> Duration {
        Duration::from_millis(self.rng.below(max_ms + 1))
    }

    fn on_event(&mut self, ports: &mut [Port], ev: PortEvent, stats: &mut WorkerStats) {
        let Some(port) = ports.get_mut(ev.port) else {
            return;
        };
        let Some(call) = port.call.as_mut().filter(|c| c.serial == ev.serial) else {
            return; // a call that has gone
        };
        if ev.call_state != 0 {
            call.state = ev.call_state;
        }
        let now = Instant::now();
        match ev.kind {
            capi::EVENT_CALL_STATUS => {
                let state = call.state;
                let delay = self.jitter(15);
                if let Some(op) = call
                    .op
                    .as_mut()
                    .filter(|o| !o.acted && o.action_at.is_none())
                {
                    let answered = state == capi::STATE_CONSULT_ESTABLISHED;
                    let dialing = state == capi::STATE_CONSULTING;
                    if answered || (dialing && op.plan == Plan::CancelWhileDialing) {
                        op.action_at = Some(now + delay);
                    }
                }
            }
            // Another op id is the ledger's business (audit 1).
            capi::EVENT_OPERATION_DONE if call.op.as_ref().is_some_and(|o| o.id == ev.op_id) => {
                if let Some(op) = call.op.take() {
                    let o = (ev.outcome as usize).min(10);
                    stats.by_behaviour[op.behaviour][o] += 1;
                    stats.by_kind[op.kind.index()][o] += 1;
                }
                let stale = self.hub.session_gen.load(Ordering::SeqCst) != call.gen;
                if call.state == capi::STATE_TRANSFERRED && !stale && self.rng.chance(0.5) {
                    call.await_end = true;
                } else if call.state == capi::STATE_HELD
                    || call.state == capi::STATE_TRANSFERRED
                    || ev.outcome == capi::OUTCOME_LINK_LOST
                    || ev.failed_request == capi::REQUEST_NO_SUCH_CALL
                {
                    call.end = true;
                }
                port.next_at = now + self.jitter(5);
            }
            capi::EVENT_CALL_ENDED => {
                port.call = None;
                port.next_at = now + self.jitter(5);
            }
            _ => {}
        }
    }

    /// The port's next move: announce, start, or end.
    fn step(
        &mut self,
        w: usize,
        port: &mut Port,
        intake: bool,
        serial: &mut u64,
        stats: &mut WorkerStats,
    ) {
        let now = Instant::now();
        port.next_at = now + IDLE_WAKE;
        let Some(call) = port.call.as_mut() else {
            if !intake {
                port.next_at = now + Duration::from_secs(3600);
                return;
            }
            *serial += 1;
            let id = hub::call_id(self.index, w, *serial);
            let id = CString::new(id).unwrap_or_default();
            let gen = self.hub.session_gen.load(Ordering::SeqCst);
            match self.engine.call_new(&id) {
                capi::OK => {
                    stats.calls += 1;
                    port.call = Some(Call {
                        serial: *serial,
                        id,
                        gen,
                        state: 1,
                        ops: 0,
                        op: None,
                        end: false,
                        await_end: false,
                    });
                    port.next_at = now + self.jitter(3);
                }
                _ => port.next_at = now + RETRY,
            }
            return;
        };
        if call.op.is_some() {
            port.next_at = now + Duration::from_secs(3600);
            return;
        }
        if call.await_end {
            // The engine ends a transferred call itself (or the server does).
            port.next_at = now + Duration::from_millis(100);
            return;
        }
        // After a reconnect, half the calls go on (the server may still know
        // them, or the engine's reconciliation ends them), half are ended.
        let gen = self.hub.session_gen.load(Ordering::SeqCst);
        if gen != call.gen {
            call.gen = gen;
            call.end |= self.rng.chance(0.5);
        }
        if call.end || (intake && self.rng.chance(0.1)) {
            let code = self.engine.call_end(&call.id);
            if code == capi::OK || code == capi::ERR_UNKNOWN_CALL {
                port.call = None;
            }
            port.next_at = now + self.jitter(5);
            return;
        }
        if !intake {
            port.next_at = now + Duration::from_secs(3600);
            return;
        }
        let kind = OpKind::ALL[self.rng.below(4) as usize];
        let behaviour = self.rng.below(Behaviour::ALL.len() as u64) as usize;
        let dest = format!(
            "{}{}",
            Behaviour::ALL[behaviour].name(),
            self.rng.below(100)
        );
        let dest = CString::new(dest).unwrap_or_default();
        let plan = match self.rng.below(100) {
            0..20 => Plan::BlindComplete,
            20..50 => Plan::CompleteOnAnswer,
            50..65 => Plan::CancelOnAnswer,
            65..80 => Plan::CancelWhileDialing,
            _ => Plan::Wait,
        };
        match self.engine.start(kind, &call.id, &dest) {
            Ok(op_id) => {
                stats.starts += 1;
                call.ops += 1;
                if let Err(why) = self.hub.ledger.lock().started(op_id) {
                    self.hub.violations.report("one-done-per-op", why);
                }
                let mut op = Op {
                    id: op_id,
                    kind,
                    behaviour,
                    plan,
                    action_at: None,
                    acted: false,
                };
                if kind.is_consult() && plan == Plan::BlindComplete {
                    op.acted = self.complete(kind, &call.id, stats);
                }
                call.op = Some(op);
                port.next_at = now + Duration::from_secs(3600);
            }
            Err(code) => {
                stats.refusal(code);
                if code == capi::ERR_INVALID_STATE {
                    call.end = true;
                } else if code == capi::ERR_UNKNOWN_CALL {
                    port.call = None;
                }
                port.next_at = now + RETRY;
            }
        }
    }

    /// The planned complete or cancel of a consultation.
    fn act(&mut self, _w: usize, port: &mut Port, stats: &mut WorkerStats) {
        let Some(call) = port.call.as_mut() else {
            return;
        };
        let ops = call.ops;
        let Some(op) = call.op.as_mut() else {
            return;
        };
        op.action_at = None;
        let cancel = match op.plan {
            Plan::CancelOnAnswer | Plan::CancelWhileDialing => true,
            Plan::CompleteOnAnswer | Plan::BlindComplete => false,
            Plan::Wait => self.rng.chance(0.4),
        };
        let kind = op.kind;
        let accepted = if cancel {
            let id = call.id.to_string_lossy();
            let token = self.audit.cancel_begin(&id, ops);
            let code = self.engine.cancel(&call.id);
            self.audit.cancel_end(&id, token, code == capi::OK);
            if code == capi::OK {
                stats.cancels.0 += 1;
            } else {
                stats.cancels.1 += 1;
            }
            code == capi::OK
        } else {
            self.complete(kind, &call.id, stats)
        };
        if let Some(op) = call.op.as_mut() {
            op.acted = accepted;
        }
    }

    fn complete(&mut self, kind: OpKind, id: &CString, stats: &mut WorkerStats) -> bool {
        let ok = self.engine.complete(kind, id) == capi::OK;
        if ok {
            stats.completes.0 += 1;
        } else {
            stats.completes.1 += 1;
        }
        ok
    }
}
