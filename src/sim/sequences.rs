//! The FLOWS.md sequences (C1-C6, T1-T4) as the simulated server plays
//! them for each destination behaviour: pure functions from a request and
//! the call's model to the steps to send. `None` means "the state does not
//! allow this request" (the caller answers CallError and changes nothing).

use std::time::Duration;

use super::behaviour::{resolve, Behaviour};
use super::config::{EndAfterXfer, Settings};
use super::script::{call_error, ms, Call, Consult, Effect, Guard, Kind, State, Step};
use crate::wire::{Body, CallStatus, DestRequest, EndCall, FailedReq, PlainRequest, StatusEvent};

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
        EndAfterXfer::Released => Body::CallStatus(CallStatus::of(StatusEvent::Released)),
    };
    Some(Step::now(body).later(
        start + ms(cfg.end_after_xfer_ms),
        Guard::Epoch(epoch),
        Effect::Ended,
    ))
}

/// C1 (conference) and T1 (transfer).
pub(super) fn one_step(
    c: &mut Call,
    kind: Kind,
    r: &DestRequest,
    cfg: &Settings,
) -> Option<Vec<Step>> {
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
        steps.push(Step::opt(StatusEvent::Dialing));
    }
    match b {
        Behaviour::Silent => {}
        // R1: the server restores the call itself; nothing else is sent.
        Behaviour::Fail | Behaviour::FailComplete => {
            steps.push(call_error(what, r.req_id.as_ref(), cfg))
        }
        Behaviour::Busy | Behaviour::RetrieveFail => {
            if kind == Kind::Xfer {
                steps.push(Step::opt(StatusEvent::Dialing));
            }
            steps.push(Step::status(StatusEvent::Busy));
        }
        Behaviour::NoAnswer => {
            if kind == Kind::Xfer {
                steps.push(Step::opt(StatusEvent::Dialing));
            }
            steps.push(Step::opt(StatusEvent::Ringing));
        }
        Behaviour::Answer | Behaviour::Slow | Behaviour::Hangup => {
            let delay = if b == Behaviour::Slow {
                ms(cfg.slow_ms)
            } else {
                Duration::ZERO
            };
            let (event, effect) = match kind {
                Kind::Conf => {
                    steps.push(Step::opt(StatusEvent::Ringing));
                    (StatusEvent::ConfPartyAdd, Effect::PartyAdded)
                }
                Kind::Xfer => (StatusEvent::XferComplete, Effect::Transferred),
            };
            steps.push(Step::status(event).later(delay, Guard::Epoch(epoch), effect));
            if b == Behaviour::Hangup {
                let (ev, eff) = match kind {
                    // C2: another member leaves the conference.
                    Kind::Conf => (StatusEvent::ConfPartyDel, Effect::PartyLeft),
                    Kind::Xfer => (StatusEvent::Released, Effect::Ended),
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
pub(super) fn init(c: &mut Call, kind: Kind, r: &DestRequest, cfg: &Settings) -> Option<Vec<Step>> {
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
            steps.push(Step::opt(StatusEvent::Held));
            steps.push(Step::opt(StatusEvent::Dialing));
            steps.push(call_error(what, r.req_id.as_ref(), cfg));
            steps.push(Step::opt(StatusEvent::Retrieved));
            return Some(steps);
        }
        // C5 / T3: Busy is not optional, nor are Held and Dialing before it.
        Behaviour::Busy | Behaviour::RetrieveFail => {
            steps.push(Step::status(StatusEvent::Held));
            steps.push(Step::status(StatusEvent::Dialing));
            steps.push(Step::status(StatusEvent::Busy));
            c.state = State::Held;
        }
        Behaviour::NoAnswer => {
            steps.push(Step::opt(StatusEvent::Held));
            steps.push(Step::opt(StatusEvent::Dialing));
            steps.push(Step::opt(StatusEvent::Ringing));
            c.state = State::Consulting;
        }
        Behaviour::Answer | Behaviour::FailComplete | Behaviour::Slow | Behaviour::Hangup => {
            steps.push(Step::opt(StatusEvent::Held));
            steps.push(Step::opt(StatusEvent::Dialing));
            steps.push(Step::opt(StatusEvent::Ringing));
            c.state = State::Consulting;
            let delay = if b == Behaviour::Slow {
                ms(cfg.slow_ms)
            } else {
                Duration::ZERO
            };
            steps.push(Step::status(StatusEvent::Established).later(
                delay,
                Guard::Epoch(epoch),
                Effect::Answered,
            ));
            if b == Behaviour::Hangup {
                steps.push(Step::status(StatusEvent::Released).later(
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
pub(super) fn complete(
    c: &mut Call,
    kind: Kind,
    r: &PlainRequest,
    cfg: &Settings,
) -> Option<Vec<Step>> {
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
                Step::opt(StatusEvent::Retrieved),
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
                        steps.push(Step::opt(StatusEvent::Released));
                    }
                    steps.push(Step::opt(StatusEvent::Retrieved));
                    steps.push(Step::status(StatusEvent::ConfPartyAdd));
                    Some(steps)
                }
                Kind::Xfer => {
                    c.state = State::Transferred;
                    let mut steps = vec![Step::status(StatusEvent::XferComplete)];
                    steps.extend(after_transfer(epoch, Duration::ZERO, cfg));
                    Some(steps)
                }
            }
        }
    }
}

/// C5 / T3 retrieve after Busy, cancel, no-answer and time-out retrieves.
pub(super) fn retrieve(c: &mut Call) -> Option<Vec<Step>> {
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
        steps.push(Step::opt(StatusEvent::Released));
    }
    steps.push(Step::status(StatusEvent::Retrieved));
    Some(steps)
}

/// Immediate steps change the state now (the handlers describe every
/// step alike, with its effect); delayed ones keep their effect and guard
/// for `Calls::fire`. Removal waits for the send, so `Ended` always stays.
fn apply_immediate(c: &mut Call, steps: &mut [Step]) {
    for s in steps.iter_mut().filter(|s| s.after.is_zero()) {
        if s.effect == Effect::Ended {
            continue;
        }
        apply_effect(c, s.effect);
        s.effect = Effect::None;
        s.guard = Guard::None;
    }
}

/// The state change of an effect (all but `Ended`, which removes the call).
pub(super) fn apply_effect(c: &mut Call, effect: Effect) {
    match effect {
        Effect::None | Effect::Ended => {}
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
    }
}
