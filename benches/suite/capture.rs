//! The frames of one conference as the engine and the simulator exchange
//! them, captured once from the bundled simulator run in-process (the same
//! code as the `ivrconf-sim` binary) with an engine driven through the C
//! API; the floor replays them for every call with only the call id
//! changed (same length, so the headers stay right).

use std::time::Duration;

use ivrconf::sim::{Dir, Simulator};
use ivrconf::wire::Body;

use crate::capi::{cstr, CEngine};

/// The call id captured; every replayed id has its length.
pub const TEMPLATE: &str = "K9999999";

/// Requests the engine wrote during the operation, each with the frames
/// the simulator wrote before the next request.
pub struct Exchange {
    pub steps: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
}

pub fn capture(consult: bool) -> Result<Exchange, String> {
    let sim = Simulator::start("127.0.0.1:0").map_err(|e| format!("simulator: {e}"))?;
    let engine = CEngine::start(sim.port(), &[], None)?;
    engine
        .ctx
        .complete_on_established
        .store(consult, std::sync::atomic::Ordering::SeqCst);
    let id = cstr(TEMPLATE);
    engine.call_new(&id)?;
    engine.conference(&id, consult)?;
    if !engine.ctx.done.wait(1, Duration::from_secs(10)) {
        return Err("capture: the conference did not finish".into());
    }
    engine.call_end(&id)?;
    drop(engine);
    let mut steps: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
    for r in sim.records() {
        let Some(m) = &r.message else { continue };
        if m.call_id.as_deref() != Some(TEMPLATE) {
            continue;
        }
        match (r.dir, &m.body) {
            (Dir::ToServer, Body::NewCall(_) | Body::EndCall(_)) => {}
            (Dir::ToServer, _) => steps.push((r.raw.clone(), Vec::new())),
            (Dir::FromServer, _) => {
                if let Some(last) = steps.last_mut() {
                    last.1.push(r.raw.clone());
                }
            }
        }
    }
    if steps.is_empty() || steps.iter().any(|(_, replies)| replies.is_empty()) {
        return Err("capture: no request/reply exchange recorded".into());
    }
    Ok(Exchange { steps })
}

/// `frame` with every occurrence of `from` replaced by `to` (same length).
pub fn with_id(frame: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = frame.to_vec();
    let mut at = 0;
    while at + from.len() <= out.len() {
        if &out[at..at + from.len()] == from {
            out[at..at + from.len()].copy_from_slice(to);
            at += from.len();
        } else {
            at += 1;
        }
    }
    out
}
