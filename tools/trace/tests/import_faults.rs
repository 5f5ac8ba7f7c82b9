//! `ivrconf-trace import` on captures with the faults real captures have,
//! written with the pcap crate around real traffic (the replay flows run
//! against the simulator, frames as the simulator recorded them): a
//! retransmitted segment, a frame split across packets, another link and IP
//! version, import the same traces as the clean capture; a gap, a
//! truncated file, a frame that does not decode are named by packet and the
//! rest imported; no TCP, no GLI frames, no capture at all are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod capture;
#[path = "../../../tests/common/mod.rs"]
mod common;
#[path = "../../../tests/sim_replay_flows/mod.rs"]
mod flows;

use std::path::Path;

use capture::*;
use common::Harness;
use etherparse::PacketBuilder;
use ivrconf::sim::Dir;
use ivrconf::wire::{frame_bytes, FrameType};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;

/// The frames of one run of the flows, whole, with direction and time.
fn real_frames() -> Vec<(Way, u64, Vec<u8>)> {
    let mut h = Harness::new(&[]);
    flows::run(&mut h, "F");
    let base = 1_700_000_000_000_000u64;
    let frames = h
        .sim
        .records()
        .into_iter()
        .map(|r| {
            let way = match r.dir {
                Dir::ToServer => Way::ToServer,
                Dir::FromServer => Way::FromServer,
            };
            (way, base + r.at.as_micros() as u64, r.raw)
        })
        .collect();
    h.finish();
    frames
}

/// Imports `segments` written as `net` into `dir/<name>/`: exit code,
/// stderr, traces. The capture file has the same name in every directory
/// (it is named in the traces' headers).
fn imported(
    dir: &Path,
    name: &str,
    net: Net,
    segments: &[Seg],
) -> (i32, String, Vec<(String, String)>) {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    let file = sub.join("capture.pcap");
    write(&file, net, segments);
    let out = import(&file, &sub.join("traces"), &[]);
    let traces = if sub.join("traces").exists() {
        traces(&sub.join("traces"))
    } else {
        vec![]
    };
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        traces,
    )
}

/// The index of the `nth` segment carrying an XML frame in `way`.
fn xml_segment(segments: &[Seg], way: Way, nth: usize) -> usize {
    segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.way == way && s.payload.get(1) == Some(&3))
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn retransmissions_and_split_frames_import_the_same_traces_as_the_clean_capture() {
    let dir = scratch("import_same");
    let clean = conversation(&real_frames());
    let (code, err, expected) = imported(&dir, "clean", Net::EthernetV4, &clean);
    assert_eq!(code, 0, "{err}");
    let names: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "call-F1.jsonl",
            "call-F2.jsonl",
            "call-F3.jsonl",
            "call-F4.jsonl",
            "call-F5.jsonl",
            "session.jsonl"
        ]
    );

    // A server frame split mid-frame into two packets of the same instant,
    // and a driver segment sent again one packet later.
    let mut faulty = clean.clone();
    let split = xml_segment(&faulty, Way::FromServer, 3);
    let whole = faulty.remove(split);
    let half = whole.payload.len() / 2;
    let (a, b) = whole.payload.split_at(half);
    faulty.insert(
        split,
        Seg {
            payload: b.to_vec(),
            seq: whole.seq + half as u32,
            ..whole.clone()
        },
    );
    faulty.insert(
        split,
        Seg {
            payload: a.to_vec(),
            ..whole.clone()
        },
    );
    let again = xml_segment(&faulty, Way::ToServer, 4);
    let copy = Seg {
        at_us: faulty[again + 1].at_us,
        ..faulty[again].clone()
    };
    faulty.insert(again + 2, copy);
    assert_eq!(faulty.len(), clean.len() + 2);

    let (code, err, got) = imported(&dir, "faulty", Net::EthernetV4, &faulty);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, expected);
    // The same through Linux cooked v2, IPv6, pcapng.
    let (code, err, got) = imported(&dir, "sll2", Net::Sll2V6, &faulty);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got, expected);
}

#[test]
fn a_gap_is_named_by_packet_and_the_rest_imported() {
    let dir = scratch("import_gap");
    let clean = conversation(&real_frames());
    let (_, _, expected) = imported(&dir, "clean", Net::EthernetV4, &clean);
    let mut gap = clean.clone();
    let lost = xml_segment(&gap, Way::FromServer, 6);
    gap.remove(lost);
    // The packet after the hole in that direction, numbered from 1.
    let after = (lost..gap.len())
        .find(|&i| gap[i].way == Way::FromServer)
        .unwrap()
        + 1;
    let (code, err, got) = imported(&dir, "gap", Net::EthernetV4, &gap);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "capture.pcap: packet {after}: 127.0.0.2:7000 -> 127.0.0.1:40000: "
        )) && err.contains("missing"),
        "{err}"
    );
    // Everything the driver sent is there; the server's frames stop at the
    // gap.
    let all = |t: &[(String, String)]| {
        t.iter()
            .flat_map(|(_, text)| frames(text))
            .filter(|f| f.0 == "I->S")
            .count()
    };
    assert_eq!(all(&got), all(&expected));
    assert!(got.len() >= 2, "{got:?}");
}

#[test]
fn a_truncated_file_keeps_the_packets_before_the_cut() {
    let dir = scratch("import_truncated");
    let clean = conversation(&real_frames());
    let file = dir.join("capture.pcap");
    write(&file, Net::EthernetV4, &clean);
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 7]).unwrap();
    let out = import(&file, &dir.join("traces"), &[]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "packet {}: the file ends inside this packet",
            clean.len()
        )),
        "{err}"
    );
    assert!(dir.join("traces/session.jsonl").exists());
    assert!(dir.join("traces/call-F5.jsonl").exists());
}

#[test]
fn a_frame_that_does_not_decode_is_named_and_kept() {
    let dir = scratch("import_undecodable");
    let frames_of_run = real_frames();
    let clean = conversation(&frames_of_run);
    let (_, _, expected) = imported(&dir, "clean", Net::EthernetV4, &clean);
    let mut with_bad = frames_of_run.clone();
    let at = with_bad[3].1;
    with_bad.insert(
        4,
        (
            Way::FromServer,
            at,
            frame_bytes(FrameType::Xml, b"<GctiMsg><CallStatus"),
        ),
    );
    let bad = conversation(&with_bad);
    let number = bad
        .iter()
        .position(|s| s.payload.ends_with(b"<CallStatus"))
        .unwrap()
        + 1;
    let (code, err, got) = imported(&dir, "bad", Net::EthernetV4, &bad);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("packet {number}: ")) && err.contains("does not decode"),
        "{err}"
    );
    // The calls are as in the clean capture; the session keeps the frame.
    assert_eq!(got[..5], expected[..5]);
    assert!(
        got[5].1.contains("\"name\":\"#undecodable\""),
        "{}",
        got[5].1
    );
}

#[test]
fn captures_without_tcp_or_gli_frames_are_refused_with_a_reason() {
    let dir = scratch("import_refused");
    let udp = dir.join("udp.pcap");
    let mut w = PcapWriter::with_header(
        std::fs::File::create(&udp).unwrap(),
        PcapHeader {
            datalink: DataLink::ETHERNET,
            ..PcapHeader::default()
        },
    )
    .unwrap();
    let mut data = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .udp(5000, 5001)
        .write(&mut data, b"hello")
        .unwrap();
    w.write_packet(&PcapPacket::new(
        std::time::Duration::from_secs(1),
        data.len() as u32,
        &data,
    ))
    .unwrap();
    drop(w);
    let out = import(&udp, &dir.join("t1"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no TCP segments in its 1 packets"), "{err}");

    let http = dir.join("http.pcap");
    write(
        &http,
        Net::EthernetV4,
        &conversation(&[(Way::ToServer, 1_000_000, b"GET / HTTP/1.1\r\n\r\n".to_vec())]),
    );
    let out = import(&http, &dir.join("t2"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("packet 3: ") && err.contains("not a GLI frame header"),
        "{err}"
    );
    assert!(err.contains("no GLI frames"), "{err}");

    let text = dir.join("notes.txt");
    std::fs::write(&text, "these are not packets, only words about them").unwrap();
    let out = import(&text, &dir.join("t3"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("t1").exists() && !dir.join("t2").exists() && !dir.join("t3").exists());
}
