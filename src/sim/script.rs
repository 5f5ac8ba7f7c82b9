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

use super::behaviour::{resolve, Behaviour};
use super::config::{EndAfterXfer, Settings};
use crate::wire::{
    Body, CallError, CallInfoResp, CallStatus, DestRequest, EndCall, Event, FailedReq, KeyValues,
    NewCall, PlainRequest, RouteResponse, UDataResp,
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
enum Kind {
    Conf,
    Xfer,
}

#[derive(Debug, Clone)]
struct Consult {
    kind: Kind,
    behaviour: Behaviour,
    /// `Released` of the consult leg already sent (no second one on retrieve).
    released: bool,
}

/// One call.
#[derive(Debug, Clone)]
pub struct Call {
    pub state: State,
    /// 2 for a plain call, +1 per conferenced party.
    pub parties: u32,
    consult: Option<Consult>,
    /// Bumped by every accepted request: cancels delayed steps of the past.
    epoch: u64,
    /// Which `NewCall` created this entry (a reused call id is a new call).
    incarnation: u64,
    new_call: NewCall,
    udata: KeyValues,
    last_event: Option<Event>,
    /// The last destination asked for (CallInfoResp OtherDN).
    other_dn: Option<String>,
}

impl Call {
    fn resting_state(&self) -> State {
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
    fn now(body: Body) -> Step {
        Step {
            body,
            optional: false,
            after: Duration::ZERO,
            guard: Guard::None,
            effect: Effect::None,
        }
    }
    fn status(e: Event) -> Step {
        Step::now(Body::CallStatus(CallStatus::of(e)))
    }
    fn opt(e: Event) -> Step {
        Step {
            optional: true,
            ..Step::status(e)
        }
    }
    fn later(mut self, after: Duration, guard: Guard, effect: Effect) -> Step {
        self.after = after;
        self.guard = guard;
        self.effect = effect;
        self
    }
}

/// All calls of one connection (calls are per connection: a real server's
/// behaviour across reconnects is unknown, PROTOCOL.md 7 #8).
#[derive(Debug, Default)]
pub struct Calls {
    calls: HashMap<String, Call>,
    incarnations: u64,
    unknown_ids: u64,
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn call_error(failed: FailedReq, req_id: Option<&String>, cfg: &Settings) -> Step {
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
        if let Some(call) = self.calls.get_mut(call_id) {
            match step.effect {
                Effect::None => {}
                Effect::Answered => {
                    if call.state == State::Consulting {
                        call.state = State::Established;
                    }
                }
                Effect::LegReleased => {
                    call.state = State::Held;
                    if let Some(c) = call.consult.as_mut() {
                        c.released = true;
                    }
                }
                Effect::PartyAdded => {
                    call.parties += 1;
                    call.state = State::Conferenced;
                }
                Effect::PartyLeft => {
                    call.parties = call.parties.saturating_sub(1).max(2);
                    call.state = call.resting_state();
                }
                Effect::Transferred => {
                    call.state = State::Transferred;
                }
                Effect::Ended => {
                    self.calls.remove(call_id);
                }
            }
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

fn behaviour_of(r: &DestRequest, cfg: &Settings) -> Behaviour {
    resolve(&r.dest_dn, &cfg.dest_rules, cfg.default_behaviour)
}

fn can_start(c: &Call) -> bool {
    matches!(c.state, State::Idle | State::Conferenced)
}

/// What the server does after XferComplete (sent at `start`).
fn after_transfer(epoch: u64, start: Duration, cfg: &Settings) -> Option<Step> {
    let body = match cfg.end_after_xfer {
        EndAfterXfer::None => return None,
        EndAfterXfer::EndCall => Body::EndCall(EndCall {
            end_cause: Some("Normal".into()),
        }),
        EndAfterXfer::Released => Body::CallStatus(CallStatus::of(Event::Released)),
    };
    Some(Step::now(body).later(
        start + ms(cfg.end_after_xfer_ms),
        Guard::Epoch(epoch),
        Effect::Ended,
    ))
}

/// C1 (conference) and T1 (transfer).
fn one_step(c: &mut Call, kind: Kind, r: &DestRequest, cfg: &Settings) -> Option<Vec<Step>> {
    if !can_start(c) {
        return None;
    }
    let what = match kind {
        Kind::Conf => FailedReq::OneStepConf,
        Kind::Xfer => FailedReq::OneStepXfer,
    };
    let epoch = c.epoch;
    let b = behaviour_of(r, cfg);
    c.other_dn = Some(r.dest_dn.clone());
    let mut steps = vec![];
    if kind == Kind::Conf
        && !matches!(
            b,
            Behaviour::Silent | Behaviour::Fail | Behaviour::FailComplete
        )
    {
        steps.push(Step::opt(Event::Dialing));
    }
    match b {
        Behaviour::Silent => {}
        // R1: the server restores the call itself; nothing else is sent.
        Behaviour::Fail | Behaviour::FailComplete => {
            steps.push(call_error(what, r.req_id.as_ref(), cfg))
        }
        Behaviour::Busy | Behaviour::RetrieveFail => {
            if kind == Kind::Xfer {
                steps.push(Step::opt(Event::Dialing));
            }
            steps.push(Step::status(Event::Busy));
        }
        Behaviour::NoAnswer => {
            if kind == Kind::Xfer {
                steps.push(Step::opt(Event::Dialing));
            }
            steps.push(Step::opt(Event::Ringing));
        }
        Behaviour::Answer | Behaviour::Slow | Behaviour::Hangup => {
            let delay = if b == Behaviour::Slow {
                ms(cfg.slow_ms)
            } else {
                Duration::ZERO
            };
            let (event, effect) = match kind {
                Kind::Conf => {
                    steps.push(Step::opt(Event::Ringing));
                    (Event::ConfPartyAdd, Effect::PartyAdded)
                }
                Kind::Xfer => (Event::XferComplete, Effect::Transferred),
            };
            steps.push(Step::status(event).later(delay, Guard::Epoch(epoch), effect));
            if b == Behaviour::Hangup {
                let (ev, eff) = match kind {
                    // C2: another member leaves the conference.
                    Kind::Conf => (Event::ConfPartyDel, Effect::PartyLeft),
                    Kind::Xfer => (Event::Released, Effect::Ended),
                };
                steps.push(Step::status(ev).later(
                    delay + ms(cfg.hangup_ms),
                    Guard::Epoch(epoch),
                    eff,
                ));
            } else if kind == Kind::Xfer {
                steps.extend(after_transfer(epoch, delay, cfg));
            }
        }
    }
    apply_immediate(c, &mut steps);
    Some(steps)
}

/// C3-C6, T2-T4: the init request.
fn init(c: &mut Call, kind: Kind, r: &DestRequest, cfg: &Settings) -> Option<Vec<Step>> {
    if !can_start(c) {
        return None;
    }
    let what = match kind {
        Kind::Conf => FailedReq::InitConf,
        Kind::Xfer => FailedReq::InitXfer,
    };
    let epoch = c.epoch;
    let b = behaviour_of(r, cfg);
    c.other_dn = Some(r.dest_dn.clone());
    let mut consult = Consult {
        kind,
        behaviour: b,
        released: false,
    };
    let mut steps = vec![];
    match b {
        Behaviour::Silent => {
            c.state = State::Consulting;
        }
        // C6 / T4 and R3: the server ends the leg and retrieves by itself.
        Behaviour::Fail => {
            steps.push(Step::opt(Event::Held));
            steps.push(Step::opt(Event::Dialing));
            steps.push(call_error(what, r.req_id.as_ref(), cfg));
            steps.push(Step::opt(Event::Retrieved));
            return Some(steps);
        }
        // C5 / T3: Busy is not optional, nor are Held and Dialing before it.
        Behaviour::Busy | Behaviour::RetrieveFail => {
            steps.push(Step::status(Event::Held));
            steps.push(Step::status(Event::Dialing));
            steps.push(Step::status(Event::Busy));
            c.state = State::Held;
        }
        Behaviour::NoAnswer => {
            steps.push(Step::opt(Event::Held));
            steps.push(Step::opt(Event::Dialing));
            steps.push(Step::opt(Event::Ringing));
            c.state = State::Consulting;
        }
        Behaviour::Answer | Behaviour::FailComplete | Behaviour::Slow | Behaviour::Hangup => {
            steps.push(Step::opt(Event::Held));
            steps.push(Step::opt(Event::Dialing));
            steps.push(Step::opt(Event::Ringing));
            c.state = State::Consulting;
            let delay = if b == Behaviour::Slow {
                ms(cfg.slow_ms)
            } else {
                Duration::ZERO
            };
            steps.push(Step::status(Event::Established).later(
                delay,
                Guard::Epoch(epoch),
                Effect::Answered,
            ));
            if b == Behaviour::Hangup {
                steps.push(Step::status(Event::Released).later(
                    ms(cfg.hangup_ms),
                    Guard::Epoch(epoch),
                    Effect::LegReleased,
                ));
            }
            consult.released = false;
        }
    }
    c.consult = Some(consult);
    apply_immediate(c, &mut steps);
    Some(steps)
}

/// C3 / C4 / T2 completion (also before the answer: blind completion).
fn complete(c: &mut Call, kind: Kind, r: &PlainRequest, cfg: &Settings) -> Option<Vec<Step>> {
    let consult = c.consult.clone()?;
    if consult.kind != kind || !matches!(c.state, State::Consulting | State::Established) {
        return None;
    }
    let epoch = c.epoch;
    let what = match kind {
        Kind::Conf => FailedReq::CompleteConf,
        Kind::Xfer => FailedReq::CompleteXfer,
    };
    match consult.behaviour {
        // The leg never reacted; neither does its completion.
        Behaviour::Silent => Some(vec![]),
        // C6 "same at completion" / T4 variant, R3.
        Behaviour::FailComplete => {
            c.consult = None;
            c.state = c.resting_state();
            Some(vec![
                call_error(what, r.req_id.as_ref(), cfg),
                Step::opt(Event::Retrieved),
            ])
        }
        _ => {
            c.consult = None;
            match kind {
                Kind::Conf => {
                    c.parties += 1;
                    c.state = State::Conferenced;
                    let mut steps = vec![];
                    if !consult.released {
                        steps.push(Step::opt(Event::Released));
                    }
                    steps.push(Step::opt(Event::Retrieved));
                    steps.push(Step::status(Event::ConfPartyAdd));
                    Some(steps)
                }
                Kind::Xfer => {
                    c.state = State::Transferred;
                    let mut steps = vec![Step::status(Event::XferComplete)];
                    steps.extend(after_transfer(epoch, Duration::ZERO, cfg));
                    Some(steps)
                }
            }
        }
    }
}

/// C5 / T3 retrieve after Busy, cancel, no-answer and time-out retrieves.
fn retrieve(c: &mut Call) -> Option<Vec<Step>> {
    let consult = c.consult.clone()?;
    if !matches!(
        c.state,
        State::Consulting | State::Established | State::Held
    ) {
        return None;
    }
    if consult.behaviour == Behaviour::RetrieveFail {
        // The call stays held; `request` turns None into the CallError.
        c.state = State::Held;
        return None;
    }
    c.consult = None;
    c.state = c.resting_state();
    let mut steps = vec![];
    if !consult.released {
        steps.push(Step::opt(Event::Released));
    }
    steps.push(Step::status(Event::Retrieved));
    Some(steps)
}

/// Immediate steps' effects are already part of the eager state change; a
/// delayed step keeps its effect for `Calls::fire`. Immediate steps with an
/// effect get it applied here so the handlers can use one description.
fn apply_immediate(c: &mut Call, steps: &mut [Step]) {
    for s in steps.iter_mut().filter(|s| s.after.is_zero()) {
        match s.effect {
            Effect::None => {}
            Effect::Answered => {
                if c.state == State::Consulting {
                    c.state = State::Established;
                }
            }
            Effect::LegReleased => {
                c.state = State::Held;
                if let Some(k) = c.consult.as_mut() {
                    k.released = true;
                }
            }
            Effect::PartyAdded => {
                c.parties += 1;
                c.state = State::Conferenced;
            }
            Effect::PartyLeft => {
                c.parties = c.parties.saturating_sub(1).max(2);
                c.state = c.resting_state();
            }
            Effect::Transferred => c.state = State::Transferred,
            // Removal must happen after sending; leave it to `fire`.
            Effect::Ended => continue,
        }
        s.effect = Effect::None;
        s.guard = Guard::None;
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
mod tests {
    use super::*;
    use crate::wire::NewCall;

    fn events(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match &s.body {
                Body::CallStatus(c) => c.event.clone(),
                Body::CallError(e) => {
                    format!("CallError:{}", e.failed_req.clone().unwrap_or_default())
                }
                other => other.name().to_string(),
            })
            .collect()
    }

    fn setup() -> (Calls, Settings) {
        let mut calls = Calls::new();
        let cfg = Settings::default();
        let nc = Body::NewCall(NewCall {
            called_num: "5001".into(),
            ..NewCall::default()
        });
        assert!(calls.react("C1", &nc, &cfg).is_empty());
        (calls, cfg)
    }

    fn dest(d: &str) -> DestRequest {
        DestRequest {
            dest_dn: d.into(),
            req_id: Some("4".into()),
            ..DestRequest::default()
        }
    }

    fn plain() -> PlainRequest {
        PlainRequest {
            req_id: Some("5".into()),
        }
    }

    #[test]
    fn busy_then_retrieve_then_retrieve_again_fails() {
        let (mut calls, cfg) = setup();
        let s = calls.react("C1", &Body::InitConf(dest("busy1")), &cfg);
        assert_eq!(events(&s), ["Held", "Dialing", "Busy"]);
        assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Held));
        let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
        assert_eq!(events(&s), ["Released", "Retrieved"]);
        assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Idle));
        let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
        assert_eq!(events(&s), ["CallError:RetrieveCall"]);
    }

    #[test]
    fn conference_consult_then_complete_conferences() {
        let (mut calls, cfg) = setup();
        let s = calls.react("C1", &Body::InitConf(dest("6001")), &cfg);
        assert_eq!(events(&s), ["Held", "Dialing", "Ringing", "Established"]);
        assert_eq!(calls.get("C1").map(|c| c.state), Some(State::Established));
        let s = calls.react("C1", &Body::CompleteConf(plain()), &cfg);
        assert_eq!(events(&s), ["Released", "Retrieved", "ConfPartyAdd"]);
        let c = calls.get("C1").unwrap();
        assert_eq!((c.state, c.parties), (State::Conferenced, 3));
        // A conferenced call may consult again.
        let s = calls.react("C1", &Body::OneStepConf(dest("6002")), &cfg);
        assert_eq!(events(&s), ["Dialing", "Ringing", "ConfPartyAdd"]);
        assert_eq!(calls.get("C1").unwrap().parties, 4);
    }

    #[test]
    fn slow_answer_is_cancelled_by_a_blind_completion() {
        let (mut calls, cfg) = setup();
        let s = calls.react("C1", &Body::InitXfer(dest("slow")), &cfg);
        assert_eq!(events(&s), ["Held", "Dialing", "Ringing", "Established"]);
        let est = s[3].clone();
        assert_eq!(est.after, Duration::from_millis(300));
        assert_eq!(calls.get("C1").unwrap().state, State::Consulting);
        let s = calls.react("C1", &Body::CompleteXfer(plain()), &cfg);
        assert_eq!(events(&s), ["XferComplete"]);
        assert!(!calls.fire("C1", &est), "the late Established is dropped");
        assert_eq!(calls.get("C1").unwrap().state, State::Transferred);
        let s = calls.react("C1", &Body::InitConf(dest("6001")), &cfg);
        assert_eq!(events(&s), ["CallError:InitConf"]);
    }

    #[test]
    fn unknown_calls_and_failures_echo_the_req_id() {
        let (mut calls, cfg) = setup();
        let s = calls.react("C9", &Body::InitConf(dest("6001")), &cfg);
        match &s[0].body {
            Body::CallError(e) => {
                assert_eq!(e.failed_req.as_deref(), Some("NoSuchCall"));
                assert_eq!(e.req_id.as_deref(), Some("4"));
                assert_eq!(e.tlib_err_code, None);
            }
            other => panic!("{other:?}"),
        }
        let s = calls.react("C1", &Body::InitConf(dest("fail")), &cfg);
        assert_eq!(
            events(&s),
            ["Held", "Dialing", "CallError:InitConf", "Retrieved"]
        );
        match &s[2].body {
            Body::CallError(e) => {
                assert_eq!(e.tlib_err_code.as_deref(), Some("56"));
                assert_eq!(e.req_id.as_deref(), Some("4"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.get("C1").unwrap().state, State::Idle);
    }

    #[test]
    fn hangup_releases_the_leg_and_retrieve_sends_no_second_release() {
        let (mut calls, cfg) = setup();
        let s = calls.react("C1", &Body::InitConf(dest("hangup")), &cfg);
        assert_eq!(
            events(&s),
            ["Held", "Dialing", "Ringing", "Established", "Released"]
        );
        assert_eq!(calls.get("C1").unwrap().state, State::Held);
        let s = calls.react("C1", &Body::CompleteConf(plain()), &cfg);
        assert_eq!(events(&s), ["CallError:CompleteConf"]);
        let s = calls.react("C1", &Body::RetrieveCall(plain()), &cfg);
        assert_eq!(events(&s), ["Retrieved"]);
    }
}
