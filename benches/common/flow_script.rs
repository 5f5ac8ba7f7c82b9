//! The flow machine workload, shared by `benches/flow.rs` (criterion) and
//! the `make bench` suite: full consult conferences for `n` calls, phase by
//! phase, so that all `n` calls are live at once.
//!
//! An "event" is one input: an application command or a server message. A
//! full consult conference is [`INPUTS_PER_CALL`] of them: `call_new`,
//! `start` (InitConf), Held, Dialing, Ringing, Established, `complete`
//! (CompleteConf), Released, Retrieved, ConfPartyAdd, `call_end`. Outputs
//! are drained after every input, as the runtime does, and dropped.
//!
//! Server messages are fed as one `Message` whose call id is rewritten in
//! place for each call (no allocation): a decoded message reaches the
//! machine fresh from the decoder, so a workload that read a million
//! pre-built messages from memory would time the bench's own cache misses,
//! not the machine's. The call ids sit in one contiguous buffer for the
//! same reason.

use std::hint::black_box;

use ivrconf::flow::{Flow, FlowConfig, OpKind};
use ivrconf::wire::{Body, CallStatus, Message, StatusEvent};

/// Inputs per full consult conference.
pub const INPUTS_PER_CALL: usize = 11;

/// The server's side of a consult conference, in order; `complete` is
/// sent before the fifth (Released).
const STATUSES: [StatusEvent; 7] = [
    StatusEvent::Held,
    StatusEvent::Dialing,
    StatusEvent::Ringing,
    StatusEvent::Established,
    StatusEvent::Released,
    StatusEvent::Retrieved,
    StatusEvent::ConfPartyAdd,
];

/// Width of a call id: `C` and 7 digits.
const ID_LEN: usize = 8;

/// The call ids of `n` calls, `C0000000`, `C0000001`, ...
pub struct Script {
    ids: String,
}

impl Script {
    pub fn new(n: usize) -> Script {
        assert!(n <= 10_000_000, "call ids have 7 digits");
        let mut ids = String::with_capacity(n * ID_LEN);
        for i in 0..n {
            ids.push_str(&format!("C{i:07}"));
        }
        Script { ids }
    }

    pub fn calls(&self) -> usize {
        self.ids.len() / ID_LEN
    }

    pub fn id(&self, i: usize) -> &str {
        &self.ids[i * ID_LEN..(i + 1) * ID_LEN]
    }

    pub fn events(&self) -> usize {
        self.calls() * INPUTS_PER_CALL
    }
}

pub fn drain(flow: &mut Flow) {
    while let Some(out) = flow.poll_output() {
        black_box(out);
    }
}

fn set_call_id(msg: &mut Message, id: &str) {
    if let Some(call_id) = msg.call_id.as_mut() {
        call_id.clear();
        call_id.push_str(id);
    }
}

/// Every call through a full consult conference, phase by phase.
pub fn consult_conferences(s: &Script) {
    let n = s.calls();
    let mut flow = Flow::new(FlowConfig::default());
    flow.link_up(0);
    let now = 1;
    for i in 0..n {
        let _ = flow.call_new(now, s.id(i), "5001", None, None, Vec::new());
        drain(&mut flow);
    }
    for i in 0..n {
        let _ = flow.start(now, s.id(i), OpKind::ConferenceConsult, "6001", Vec::new());
        drain(&mut flow);
    }
    let mut msg = Message::new(s.id(0), Body::CallStatus(CallStatus::of(STATUSES[0])));
    for (step, status) in STATUSES.iter().enumerate() {
        if step == 4 {
            for i in 0..n {
                let _ = flow.complete(now, s.id(i), OpKind::ConferenceComplete);
                drain(&mut flow);
            }
        }
        msg.body = Body::CallStatus(CallStatus::of(*status));
        for i in 0..n {
            set_call_id(&mut msg, s.id(i));
            flow.on_message(now, &msg);
            drain(&mut flow);
        }
    }
    for i in 0..n {
        let _ = flow.call_end(now, s.id(i));
        drain(&mut flow);
    }
    assert_eq!(flow.call_count(), 0, "every call ended");
}

/// The first `k` server messages of a consult for every call, after
/// `call_new` and `start`: the machine mid-consult (op in flight, timer
/// armed), for memory figures.
pub fn mid_consult(s: &Script, flow: &mut Flow, k: usize) {
    let mut msg = Message::new(s.id(0), Body::CallStatus(CallStatus::of(STATUSES[0])));
    for i in 0..s.calls() {
        let _ = flow.start(0, s.id(i), OpKind::ConferenceConsult, "6001", Vec::new());
        for status in &STATUSES[..k] {
            msg.body = Body::CallStatus(CallStatus::of(*status));
            set_call_id(&mut msg, s.id(i));
            flow.on_message(0, &msg);
        }
        drain(flow);
    }
}
