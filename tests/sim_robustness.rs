//! Bad clients (garbage, bad headers, undecodable XML, half a frame, a
//! flood) are closed or ignored while another connection keeps working.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use std::io::Write;

use ivrconf::sim::Simulator;

/// A healthy client that must be unaffected by whatever the bad one does.
fn still_works(sim: &Simulator, good: &mut Client, call_id: &str) {
    good.new_call(call_id);
    good.send(call_id, r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    assert_eq!(good.labels(3), ["Held", "Dialing", "Busy"]);
    assert!(sim.open_connections() >= 1);
}

#[test]
fn garbage_bytes_close_only_that_connection() {
    let sim = start();
    let mut good = Client::connect(&sim);
    good.login();
    let mut bad = Client::connect(&sim);
    bad.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(bad.closed_by_server());
    assert_eq!(sim.received_count(Some("#protocol_error")), 1);
    still_works(&sim, &mut good, "C1");
}

#[test]
fn each_bad_header_closes_the_connection() {
    let sim = start();
    let mut good = Client::connect(&sim);
    good.login();
    for header in [
        [1u8, 3, 0, 4, 2, 0], // byte0 != 0
        [0, 4, 0, 4, 2, 0],   // unknown frame type
        [0, 3, 0, 4, 3, 0],   // bad version byte
        [0, 3, 0, 1, 2, 0],   // length < 2
    ] {
        let mut bad = Client::connect(&sim);
        bad.login();
        bad.send_raw(&header);
        assert!(bad.closed_by_server(), "{header:?}");
    }
    still_works(&sim, &mut good, "C1");
}

#[test]
fn undecodable_xml_is_dropped_and_the_connection_kept() {
    let sim = start();
    let mut c = Client::connect(&sim);
    c.send_raw(&frame(b"<GctiMsg><CallId>C1</CallId><Broken"));
    c.send_raw(&frame(b""));
    c.send_raw(&frame(b"<!DOCTYPE x [<!ENTITY a \"b\">]><GctiMsg/>"));
    // Maximum length, not XML at all.
    c.send_raw(&frame(&vec![b'x'; 65533]));
    c.login();
    assert_eq!(sim.received_count(Some("#decode_error")), 4);
    still_works(&sim, &mut c, "C1");
}

#[test]
fn half_a_frame_then_silence_blocks_nobody() {
    let sim = start();
    let mut half = Client::connect(&sim);
    let f = xml("C1", "<CallInfoReq/>");
    half.send_raw(&f[..f.len() / 2]);
    let mut header_only = Client::connect(&sim);
    header_only.send_raw(&[0, 3, 0xff, 0xff, 2, 0]);
    let mut good = Client::connect(&sim);
    good.login();
    still_works(&sim, &mut good, "C1");
    // And shutting down does not wait for the missing bytes.
    sim.shutdown();
    assert!(half.closed_by_server());
}

#[test]
fn a_flood_is_absorbed_without_starving_others() {
    let sim = start();
    let mut flood = Client::connect(&sim);
    let mut good = Client::connect(&sim);
    good.login();
    let n = 20_000u64;
    let one = xml("F", r#"<NewCall><CalledNum>5001</CalledNum></NewCall>"#);
    let burst: Vec<u8> = (0..n).flat_map(|_| one.iter().copied()).collect();
    let writer = std::thread::spawn(move || {
        flood.stream.write_all(&burst).unwrap();
        flood
    });
    still_works(&sim, &mut good, "C1");
    let _flood = writer.join().unwrap();
    assert!(sim.wait_received("NewCall", n + 1, WAIT * 4));
}

#[test]
fn a_client_that_never_reads_is_cut_off_alone() {
    let sim = start();
    sim.set("write_timeout_ms", "200").unwrap();
    let mut mute = Client::connect(&sim);
    let mut good = Client::connect(&sim);
    good.login();
    // Every keep-alive request is answered; never reading the acks fills
    // the socket buffers until the simulator's write times out.
    let burst: Vec<u8> = (0..4_000_000)
        .flat_map(|_| wire::KEEPALIVE_REQUEST)
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = mute.stream.write_all(&burst);
        mute
    });
    still_works(&sim, &mut good, "C1");
    let mut mute = writer.join().unwrap();
    assert!(mute.closed_by_server());
}
