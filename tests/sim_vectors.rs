//! The simulator's output matches the shared vectors byte for byte: every
//! `from_server` / `encode_decode` frame of tests/vectors/frames.json that a
//! server writes is produced by driving the simulator through real traffic.
//! (`error_ack_received` is never sent by the simulator; `call_info_resp`
//! carries a T-Server connection id, so it is compared field by field.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use std::collections::HashSet;

use ivrconf::sim::spelling::{self, Spelling};
use ivrconf::sim::{Dir, Simulator};
use wire::Body;

fn vectors() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/frames.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn login_on_new_connection(sim: &Simulator) -> Client {
    let mut c = Client::connect(sim);
    c.login();
    c
}

/// Plays traffic that makes the simulator write every server frame of the
/// vectors, and returns what it wrote.
fn drive(sim: &Simulator) -> Vec<(Option<wire::Message>, Vec<u8>)> {
    let mut a = login_on_new_connection(sim);
    a.send_raw(&wire::KEEPALIVE_REQUEST);
    assert_eq!(a.next_frame_within(WAIT), Some(Frame::KeepAliveAck));

    sim.set("login_init_in_progress", "1").unwrap();
    let mut b = login_on_new_connection(sim);
    b.login();
    sim.set("login", "no_such_client").unwrap();
    login_on_new_connection(sim);
    sim.set("login", "invalid_protocol_version").unwrap();
    login_on_new_connection(sim);
    sim.set("login", "ok").unwrap();
    sim.set("iserver_version", "IVR Server:8.5.000.10").unwrap();
    sim.set("config_options", "opt1=a;opt2=b").unwrap();
    sim.set("flow_control", "off").unwrap();
    let mut e = login_on_new_connection(sim);
    assert_eq!(label(&e.next_message().unwrap()), "FlowControl");
    sim.set("reset", "now").unwrap();

    a.new_call("C0001");
    a.send("C0001", r#"<InitConf DestDN="busy" ReqId="1"/>"#);
    a.labels(3);
    a.send("C0001", r#"<RetrieveCall ReqId="2"/>"#);
    a.labels(2);
    a.send("C0001", r#"<OneStepConf DestDN="hangup" ReqId="3"/>"#);
    a.labels(4);
    a.send("C0001", r#"<InitConf DestDN="6001" ReqId="4"/>"#);
    a.labels(4);
    a.send("C0001", "<CallInfoReq/>");
    a.labels(1);
    a.send("C0001", r#"<RetrieveCall ReqId="5"/>"#);
    a.labels(2);
    a.send("C0001", r#"<InitConf DestDN="fail" ReqId="4"/>"#);
    a.labels(4);
    sim.set("tlib_err_code", "").unwrap();
    a.send("C0001", r#"<OneStepXfer DestDN="fail"/>"#);
    a.labels(1);
    a.send("C0001", r#"<OneStepXfer DestDN="6002"/>"#);
    a.labels(1);
    a.send("C0099", "<CompleteConf/>");
    a.labels(1);

    a.new_call("C0001");
    a.send(
        "C0001",
        r#"<UDataSet><RequestId>9</RequestId><UDataEx><Node Name="Acct" Type="Str" Val="123"/><Node Name="Lang" Type="Str" Val="EN"/></UDataEx></UDataSet>"#,
    );
    a.send(
        "C0001",
        r#"<UDataGet Keys="Acct:Lang"><RequestId>10</RequestId></UDataGet>"#,
    );
    a.send(
        "C0001",
        r#"<UDataGet Keys="Nope"><RequestId>11</RequestId></UDataGet>"#,
    );
    a.send("C0001", r#"<RouteRequest RouteDN="5550700"/>"#);
    assert_eq!(
        a.labels(4),
        ["UDataResp", "UDataResp", "UDataResp", "RouteResponse"]
    );

    sim.set("caller_hangup_ms", "1").unwrap();
    a.new_call("C0001");
    assert_eq!(a.labels(1), ["EndCall Abandoned"]);
    sim.set("caller_hangup_ms", "0").unwrap();
    sim.set("keepalive_interval_ms", "5").unwrap();
    assert!(sim.wait_sent("#keepalive_request", 1, WAIT));
    sim.set("keepalive_interval_ms", "0").unwrap();

    sim.records()
        .into_iter()
        .filter(|r| r.dir == Dir::FromServer)
        .map(|r| (r.message, r.raw))
        .collect()
}

#[test]
fn server_frames_match_the_vectors_byte_for_byte() {
    let sim = start();
    let sent = drive(&sim);
    let sent_hex: HashSet<String> = sent.iter().map(|(_, raw)| hex(raw)).collect();
    let mut checked = 0;
    for v in vectors() {
        if v["direction"] != "from_server" || v["use"] != "encode_decode" {
            continue;
        }
        let name = v["name"].as_str().unwrap();
        let want = v["hex"].as_str().unwrap();
        match name {
            "error_ack_received" => continue,
            "call_info_resp" => {
                let expected = wire::decode(&hex_bytes(want)[6..]).unwrap();
                let got = sent
                    .iter()
                    .filter_map(|(m, _)| m.clone())
                    .find(|m| matches!(m.body, Body::CallInfoResp(_)))
                    .expect("a CallInfoResp was sent");
                match (expected.body, got.body) {
                    (Body::CallInfoResp(mut e), Body::CallInfoResp(g)) => {
                        assert!(g.conn_id.is_some());
                        e.conn_id = g.conn_id.clone();
                        assert_eq!(e, g);
                    }
                    _ => unreachable!(),
                }
            }
            _ => assert!(sent_hex.contains(want), "vector {name} never sent"),
        }
        checked += 1;
    }
    assert_eq!(checked, 26);
}

#[test]
fn the_alternate_writer_in_canonical_mode_equals_the_codec() {
    let sim = start();
    for (m, raw) in drive(&sim) {
        if let Some(m) = m {
            assert_eq!(spelling::frame(&m, Spelling::default()).unwrap(), raw);
            assert_eq!(wire::encode_frame(&m).unwrap(), raw);
        }
    }
}

#[test]
fn every_alternate_spelling_decodes_to_the_same_message() {
    let sim = start();
    for (m, _) in drive(&sim) {
        let Some(m) = m else { continue };
        for bits in 0..16 {
            let sp = Spelling::from_bits(bits);
            let f = spelling::frame(&m, sp).unwrap();
            assert_eq!(wire::decode(&f[6..]).unwrap(), m, "{sp:?}");
        }
    }
}

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}
