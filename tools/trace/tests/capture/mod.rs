//! What the import tests share: real traffic (the flows of
//! tests/sim_replay_flows run against the simulator), written as packet
//! captures with the pcap crate (clean, or with the faults a real capture
//! has), running `ivrconf-trace import`, and reading traces back.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use serde_json::Value;

/// An empty directory of its own for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `ivrconf-trace import CAPTURE --out DIR [more...]`.
pub fn import(capture: &Path, out: &Path, more: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ivrconf-trace"))
        .arg("import")
        .arg(capture)
        .arg("--out")
        .arg(out)
        .args(more)
        .output()
        .unwrap()
}

/// Every file an import wrote, by name, with its text.
pub fn traces(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The lines of a JSONL text as JSON.
pub fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The frame entries of a trace as (dir, name, fields, bytes): what a
/// capture and the recorder both see of a frame.
pub fn frames(text: &str) -> Vec<(String, String, Value, String)> {
    lines(text)
        .into_iter()
        .skip(1)
        .filter(|e| e["dir"] == "I->S" || e["dir"] == "S->I")
        .map(|e| {
            (
                e["dir"].as_str().unwrap().to_string(),
                e["name"].as_str().unwrap().to_string(),
                e["fields"].clone(),
                e["bytes"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Which way a segment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    ToServer,
    FromServer,
}

/// One TCP segment to write: its time (µs since the epoch), direction,
/// sequence number (relative to the side's initial one), flags, payload.
#[derive(Debug, Clone)]
pub struct Seg {
    pub at_us: u64,
    pub way: Way,
    pub seq: u32,
    pub syn: bool,
    pub payload: Vec<u8>,
}

pub const CLIENT_PORT: u16 = 40000;
pub const SERVER_PORT: u16 = 7000;
const CLIENT_ISN: u32 = 1_000;
// Close to the top: the server side's sequence numbers wrap within the
// conversation.
const SERVER_ISN: u32 = u32::MAX - 300;

/// A TCP conversation carrying `frames` (whole GLI frames with their
/// direction and time), each frame in one segment, after a handshake.
pub fn conversation(frames: &[(Way, u64, Vec<u8>)]) -> Vec<Seg> {
    let start = frames.first().map_or(1_700_000_000_000_000, |f| f.1);
    let mut out = vec![
        Seg {
            at_us: start - 20,
            way: Way::ToServer,
            seq: 0,
            syn: true,
            payload: vec![],
        },
        Seg {
            at_us: start - 10,
            way: Way::FromServer,
            seq: 0,
            syn: true,
            payload: vec![],
        },
    ];
    let (mut to, mut from) = (1u32, 1u32);
    for (way, at_us, bytes) in frames {
        let next = if *way == Way::ToServer {
            &mut to
        } else {
            &mut from
        };
        out.push(Seg {
            at_us: *at_us,
            way: *way,
            seq: *next,
            syn: false,
            payload: bytes.clone(),
        });
        *next = next.wrapping_add(bytes.len() as u32);
    }
    out
}

/// How a segment is put in packets.
#[derive(Debug, Clone, Copy)]
pub enum Net {
    /// Ethernet, IPv4.
    EthernetV4,
    /// Linux cooked v2, IPv6.
    Sll2V6,
}

fn ip_tcp(net: Net, s: &Seg) -> Vec<u8> {
    let (src_port, dst_port, isn) = match s.way {
        Way::ToServer => (CLIENT_PORT, SERVER_PORT, CLIENT_ISN),
        Way::FromServer => (SERVER_PORT, CLIENT_PORT, SERVER_ISN),
    };
    let seq = isn.wrapping_add(s.seq);
    let mut out = Vec::new();
    match net {
        Net::EthernetV4 => {
            let (src, dst) = match s.way {
                Way::ToServer => ([127, 0, 0, 1], [127, 0, 0, 2]),
                Way::FromServer => ([127, 0, 0, 2], [127, 0, 0, 1]),
            };
            let b = PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4(src, dst, 64)
                .tcp(src_port, dst_port, seq, 65535);
            let b = if s.syn && s.way == Way::ToServer {
                b.syn()
            } else if s.syn {
                b.syn().ack(1)
            } else {
                b.ack(1)
            };
            b.write(&mut out, &s.payload).unwrap();
        }
        Net::Sll2V6 => {
            let mut client = [0u8; 16];
            client[15] = 1;
            let mut server = [0u8; 16];
            server[15] = 2;
            let (src, dst) = match s.way {
                Way::ToServer => (client, server),
                Way::FromServer => (server, client),
            };
            let b = PacketBuilder::ipv6(src, dst, 64).tcp(src_port, dst_port, seq, 65535);
            let b = if s.syn && s.way == Way::ToServer {
                b.syn()
            } else if s.syn {
                b.syn().ack(1)
            } else {
                b.ack(1)
            };
            out.extend([0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
            out.extend([0u8; 8]);
            b.write(&mut out, &s.payload).unwrap();
        }
    }
    out
}

/// Writes `segments` as a pcap (EthernetV4) or pcapng (Sll2V6) file.
pub fn write(path: &Path, net: Net, segments: &[Seg]) {
    let file = std::fs::File::create(path).unwrap();
    match net {
        Net::EthernetV4 => {
            let header = PcapHeader {
                datalink: DataLink::ETHERNET,
                ..PcapHeader::default()
            };
            let mut w = PcapWriter::with_header(file, header).unwrap();
            for s in segments {
                let data = ip_tcp(net, s);
                let at = Duration::from_micros(s.at_us);
                w.write_packet(&PcapPacket::new(at, data.len() as u32, &data))
                    .unwrap();
            }
        }
        Net::Sll2V6 => {
            let mut w = PcapNgWriter::new(file).unwrap();
            let mut idb = InterfaceDescriptionBlock::new(DataLink::LINUX_SLL2, 0);
            idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
            w.write_pcapng_block(idb).unwrap();
            for s in segments {
                let data = ip_tcp(net, s);
                w.write_pcapng_block(EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp: Duration::from_micros(s.at_us),
                    original_len: data.len() as u32,
                    data: data.into(),
                    options: vec![],
                })
                .unwrap();
            }
        }
    }
}
