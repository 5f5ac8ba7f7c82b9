//! Calls after a reconnect, end to end (`reconcile_calls`): the simulator
//! drops the link and keeps or forgets the calls of the dropped connection
//! (`drop_forgets_calls`); after the new login the engine asks about them,
//! ends them, or leaves them, as configured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{config, Harness, WAIT};
use ivrconf::engine::{Event, EventKind};
use ivrconf::flow::{CallEventKind, CallState};
use ivrconf::sim::Simulator;

fn run(mode: &str, forgets: bool) -> Harness {
    let sim = Simulator::start("127.0.0.1:0").unwrap();
    sim.set("drop_forgets_calls", if forgets { "true" } else { "false" })
        .unwrap();
    let mut cfg = config(sim.port());
    cfg.set("reconcile_calls", mode).unwrap();
    let mut h = Harness::with_config(sim, cfg, true);
    h.call_new("R1");
    h.call_new("R2");
    assert!(h.sim.wait_received("NewCall", 2, WAIT));
    h.sim.close_connections();
    h.next_matching(|e| e.kind() == EventKind::SessionDown, "SESSION_DOWN");
    h.next_matching(|e| e.kind() == EventKind::SessionUp, "SESSION_UP again");
    h
}

fn ended_calls(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(Event::call)
        .filter(|c| c.kind == CallEventKind::CallEnded)
        .map(|c| c.call_id.to_string())
        .collect()
}

#[test]
fn callinfo_keeps_the_calls_a_server_kept() {
    let h = run("callinfo", false);
    assert!(h.sim.wait_received("CallInfoReq", 2, WAIT));
    // Both answered CallInfoResp: the calls stay live and usable.
    assert!(h.sim.wait_received("EndCall", 0, WAIT));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(h.engine().call_state("R1").unwrap(), CallState::Active);
    assert_eq!(h.engine().call_state("R2").unwrap(), CallState::Active);
    let events = h.finish();
    assert!(ended_calls(&events).is_empty(), "{events:#?}");
}

#[test]
fn callinfo_ends_the_calls_a_server_forgot() {
    let mut h = run("callinfo", true);
    let r1 = h.ended("R1");
    let r2 = h.ended("R2");
    for e in [&r1, &r2] {
        assert!(e.text().contains("CallInfoReq"), "{}", e.text());
    }
    assert_eq!(h.sim.received_count(Some("CallInfoReq")), 2);
    assert_eq!(h.sim.received_count(Some("EndCall")), 0, "ended locally");
    h.finish();
}

#[test]
fn end_ends_the_calls_locally_without_asking() {
    let mut h = run("end", false);
    let r1 = h.ended("R1");
    h.ended("R2");
    assert!(r1.text().contains("reconcile_calls=end"), "{}", r1.text());
    assert_eq!(h.sim.received_count(Some("CallInfoReq")), 0);
    assert_eq!(h.sim.received_count(Some("EndCall")), 0, "ended locally");
    h.finish();
}

#[test]
fn none_sends_nothing_and_keeps_the_calls() {
    let h = run("none", true);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(h.sim.received_count(Some("CallInfoReq")), 0);
    assert_eq!(h.engine().call_state("R1").unwrap(), CallState::Active);
    let events = h.finish();
    assert!(ended_calls(&events).is_empty());
}
