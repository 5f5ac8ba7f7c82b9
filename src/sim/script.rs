//! The per-call model of the simulated server and the FLOWS.md sequences it
//! plays. Pure: a request goes in, the call model changes and a list of
//! steps (messages, some delayed) comes out. No sockets, threads or clocks;
//! the connection layer schedules the steps and applies transport faults.
//!
//! State is changed eagerly for everything sent at once. A step delayed by
//! the destination's behaviour (`slow` answer, `hangup` release, end after
//! a transfer, caller hang-up) carries its state change as an [`Effect`],
//! applied only when it fires, and a [`Guard`] that cancels it when the call
//! moved on meanwhile (a later request, an `EndCall`, a new `NewCall`).

use std::collections::HashMap;
use std::time::Duration;

use super::behaviour::Behaviour;
use super::config::Settings;
use super::sequences::{apply_effect, complete, init, one_step, retrieve};
use crate::wire::{
    Body, CallError, CallInfoResp, CallStatus, EndCall, FailedReq, KeyValues, NewCall,
    RouteResponse, StatusEvent, UDataResp,
};

/// The call as the simulated server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Two parties, no consultation.
    Idle,
    /// Consult leg dialled, not answered; original call held.
    Consulting,
    /// Consult leg answered; original call held.
    Established,
    /// Original call held, consult leg gone (busy, hung up, retrieve failed).
    Held,
    /// Three or more parties.
    Conferenced,
    /// Transferred away; the IVR is out of the call.
    Transferred,
}

/// Conference or transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Conf,
    Xfer,
}

#[derive(Debug, Clone)]
pub(super) struct Consult {
    pub(super) kind: Kind,
    pub(super) behaviour: Behaviour,
    /// `Released` of the consult leg already sent (no second one on retrieve).
    pub(super) released: bool,
}

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    pub state: State,
    /// 2 for a plain call, +1 per conferenced party.
    pub parties: u32,
    pub(super) consult: Option<Consult>,
    /// Bumped by every accepted request: cancels delayed steps of the past.
    pub(super) epoch: u64,
    /// Which `NewCall` created this entry (a reused call id is a new call).
    incarnation: u64,
    new_call: NewCall,
    udata: KeyValues,
    last_event: Option<StatusEvent>,
    /// The last destination asked for (CallInfoResp OtherDN).
    pub(super) other_dn: Option<String>,
}

impl Call {
    pub(super) fn resting_state(&self) -> State {
        if self.parties > 2 {
            State::Conferenced
        } else {
            State::Idle
        }
    }
}

/// Condition checked when a delayed step fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Always fires (as long as the connection lives).
    None,
    /// Fires only if the call exists and no request was accepted since.
    Epoch(u64),
    /// Fires only if the call is still the one announced by that `NewCall`.
    Incarnation(u64),
}

/// State change carried by a delayed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Consulting -> Established.
    Answered,
    /// The consult leg hung up: Held.
    LegReleased,
    /// One-step conference joined: +1 party.
    PartyAdded,
    /// A conferenced party left: -1 party (floor 2).
    PartyLeft,
    /// One-step transfer done.
    Transferred,
    /// The call is gone (EndCall from the server, or Released after transfer).
    Ended,
}

/// One message to send about the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub body: Body,
    /// A bracketed message of FLOWS.md (`omit_optional` may drop it).
    pub optional: bool,
    /// Delay from the reaction, chosen by the behaviour (not the transport).
    pub after: Duration,
    pub guard: Guard,
    pub effect: Effect,
}

impl Step {
    pub(super) fn now(body: Body) -> Step {
        Step {
            body,
            optional: false,
            after: Duration::ZERO,
            guard: Guard::None,
            effect: Effect::None,
        }
    }
    pub(super) fn status(e: StatusEvent) -> Step {
        Step::now(Body::CallStatus(CallStatus::of(e)))
    }
    pub(super) fn opt(e: StatusEvent) -> Step {
        Step {
            optional: true,
            ..Step::status(e)
        }
    }
    pub(super) fn later(mut self, after: Duration, guard: Guard, effect: Effect) -> Step {
        self.after = after;
        self.guard = guard;
        self.effect = effect;
        self
    }
}

/// All calls of one connection, or of every connection logged in with one
/// `ClientName` when `drop_forgets_calls=false` (a real server's behaviour
/// across reconnects is unknown, PROTOCOL.md 7 #8, so both are offered).
#[derive(Debug, Default)]
pub struct Calls {
    calls: HashMap<String, Call>,
    incarnations: u64,
    unknown_ids: u64,
}

pub(super) fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

pub(super) fn call_error(failed: FailedReq, req_id: Option<&String>, cfg: &Settings) -> Step {
    let tlib = (failed != FailedReq::NoSuchCall && !cfg.tlib_err_code.is_empty())
        .then(|| cfg.tlib_err_code.clone());
    Step::now(Body::CallError(CallError {
        failed_req: Some(failed.as_str().to_string()),
        tlib_err_code: tlib,
        req_id: if cfg.echo_req_id {
            req_id.cloned()
        } else {
            None
        },
    }))
}

impl Calls {
    pub fn new() -> Self {
        Calls::default()
    }

    /// The model of one call (tests, diagnostics).
    pub fn get(&self, call_id: &str) -> Option<&Call> {
        self.calls.get(call_id)
    }

    /// Number of live calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when no call is live.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Takes over `other`'s calls (those of a connection that just logged
    /// in, joining the calls kept for its client); on the same call id
    /// `other`'s call wins, being the newer announcement.
    pub fn absorb(&mut self, other: Calls) {
        self.calls.extend(other.calls);
        // Incarnations stay unique per call id either way; keeping the
        // counter ahead of both means no later NewCall can reuse one that
        // a pending guard still names.
        self.incarnations = self.incarnations.max(other.incarnations);
        self.unknown_ids = self.unknown_ids.max(other.unknown_ids);
    }

    /// A fresh call id the client has never announced (stray-event fault).
    pub fn unknown_id(&mut self) -> String {
        loop {
            self.unknown_ids += 1;
            let id = format!("SIM-UNKNOWN-{}", self.unknown_ids);
            if !self.calls.contains_key(&id) {
                return id;
            }
        }
    }

    /// Reacts to a call message from the IVR. Session messages and
    /// messages a server never receives yield nothing.
    pub fn react(&mut self, call_id: &str, body: &Body, cfg: &Settings) -> Vec<Step> {
        match body {
            Body::NewCall(nc) => self.new_call(call_id, nc, cfg),
            Body::EndCall(_) => {
                // No answer is expected; the id is free again.
                self.calls.remove(call_id);
                vec![]
            }
            Body::CallInfoReq => match self.calls.get(call_id) {
                Some(c) => vec![Step::now(Body::CallInfoResp(call_info(call_id, c)))],
                None => vec![call_error(FailedReq::NoSuchCall, None, cfg)],
            },
            Body::UDataSet(m) => self.udata(call_id, &m.request_id, |c| {
                for kv in &m.udata {
                    c.udata.retain(|o| o.key != kv.key);
                    c.udata.push(kv.clone());
                }
                ("Success", vec![])
            }),
            Body::UDataGet(m) => self.udata(call_id, &m.request_id, |c| {
                let found: KeyValues = c
                    .udata
                    .iter()
                    .filter(|kv| m.keys.contains(&kv.key))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    ("NoMatch", found)
                } else {
                    ("Success", found)
                }
            }),
            Body::UDataDel(m) => self.udata(call_id, &m.request_id, |c| {
                let before = c.udata.len();
                c.udata.retain(|kv| !m.keys.contains(&kv.key));
                (
                    if c.udata.len() < before {
                        "Success"
                    } else {
                        "NoMatch"
                    },
                    vec![],
                )
            }),
            Body::RouteRequest(m) => {
                if self.calls.contains_key(call_id) {
                    vec![Step::now(Body::RouteResponse(RouteResponse {
                        route_type: Some("Default".into()),
                        dest: Some(m.route_dn.clone()),
                        extensions: vec![],
                    }))]
                } else {
                    vec![call_error(FailedReq::NoSuchCall, None, cfg)]
                }
            }
            Body::OneStepConf(r) => self.request(
                call_id,
                FailedReq::OneStepConf,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| one_step(c, Kind::Conf, r, cfg),
            ),
            Body::OneStepXfer(r) => self.request(
                call_id,
                FailedReq::OneStepXfer,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| one_step(c, Kind::Xfer, r, cfg),
            ),
            Body::InitConf(r) => self.request(
                call_id,
                FailedReq::InitConf,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| init(c, Kind::Conf, r, cfg),
            ),
            Body::InitXfer(r) => self.request(
                call_id,
                FailedReq::InitXfer,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| init(c, Kind::Xfer, r, cfg),
            ),
            Body::CompleteConf(r) => self.request(
                call_id,
                FailedReq::CompleteConf,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| complete(c, Kind::Conf, r, cfg),
            ),
            Body::CompleteXfer(r) => self.request(
                call_id,
                FailedReq::CompleteXfer,
                r.req_id.as_ref(),
                cfg,
                |c, cfg| complete(c, Kind::Xfer, r, cfg),
            ),
            Body::RetrieveCall(r) => self.request(
                call_id,
                FailedReq::RetrieveCall,
                r.req_id.as_ref(),
                cfg,
                |c, _| retrieve(c),
            ),
            _ => vec![],
        }
    }

    fn new_call(&mut self, call_id: &str, nc: &NewCall, cfg: &Settings) -> Vec<Step> {
        self.incarnations += 1;
        let inc = self.incarnations;
        // A repeated NewCall replaces the call: the driver reused the id.
        self.calls.insert(
            call_id.to_string(),
            Call {
                state: State::Idle,
                parties: 2,
                consult: None,
                epoch: 0,
                incarnation: inc,
                new_call: nc.clone(),
                udata: nc.udata.clone(),
                last_event: None,
                other_dn: None,
            },
        );
        if cfg.caller_hangup_ms == 0 {
            return vec![];
        }
        let end = Body::EndCall(EndCall {
            end_cause: Some("Abandoned".into()),
        });
        vec![Step::now(end).later(
            ms(cfg.caller_hangup_ms),
            Guard::Incarnation(inc),
            Effect::Ended,
        )]
    }

    fn udata(
        &mut self,
        call_id: &str,
        request_id: &str,
        f: impl FnOnce(&mut Call) -> (&'static str, KeyValues),
    ) -> Vec<Step> {
        let (result, udata) = match self.calls.get_mut(call_id) {
            Some(c) => f(c),
            None => ("NoSuchCall", vec![]),
        };
        vec![Step::now(Body::UDataResp(UDataResp {
            result: result.into(),
            request_id: request_id.to_string(),
            udata,
        }))]
    }

    /// Common frame of the seven call-control requests: unknown call ->
    /// NoSuchCall; a request the state does not allow -> CallError naming
    /// it; otherwise the handler plays the sequence.
    fn request(
        &mut self,
        call_id: &str,
        what: FailedReq,
        req_id: Option<&String>,
        cfg: &Settings,
        handler: impl FnOnce(&mut Call, &Settings) -> Option<Vec<Step>>,
    ) -> Vec<Step> {
        let Some(call) = self.calls.get_mut(call_id) else {
            return vec![call_error(FailedReq::NoSuchCall, req_id, cfg)];
        };
        let before = call.epoch;
        call.epoch += 1;
        match handler(call, cfg) {
            Some(steps) => steps,
            None => {
                // Refused: nothing changed, delayed steps stay valid.
                call.epoch = before;
                vec![call_error(what, req_id, cfg)]
            }
        }
    }

    /// Checks the guard of a delayed step and applies its effect; false
    /// when the step must not be sent.
    pub fn fire(&mut self, call_id: &str, step: &Step) -> bool {
        let ok = match (step.guard, self.calls.get(call_id)) {
            (Guard::None, _) => true,
            (Guard::Epoch(e), Some(c)) => c.epoch == e,
            (Guard::Incarnation(i), Some(c)) => c.incarnation == i,
            (_, None) => false,
        };
        if !ok {
            return false;
        }
        if step.effect == Effect::Ended {
            self.calls.remove(call_id);
        } else if let Some(call) = self.calls.get_mut(call_id) {
            apply_effect(call, step.effect);
        }
        true
    }

    /// Notes the last event sent about a call (for CallInfoResp LastEvent).
    pub fn sent(&mut self, call_id: &str, body: &Body) {
        if let (Some(c), Body::CallStatus(s)) = (self.calls.get_mut(call_id), body) {
            c.last_event = s.event();
        }
    }
}

fn call_info(call_id: &str, c: &Call) -> CallInfoResp {
    let nc = &c.new_call;
    // A stable, T-Server-looking 16-hex-digit connection id per call id.
    let hash = call_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    CallInfoResp {
        ani: nc.ani.clone(),
        dnis: nc.dnis.clone(),
        called_num: Some(nc.called_num.clone()),
        conn_id: Some(format!("{hash:016x}")),
        port_dn: Some(nc.called_num.clone()),
        other_dn: c.other_dn.clone(),
        last_event: c.last_event.map(|e| format!("Event{}", e.as_str())),
        udata: c.udata.clone(),
        ..CallInfoResp::default()
    }
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
