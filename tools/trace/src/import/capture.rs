//! Reads a capture file (pcap or pcapng, either byte order, µs or ns
//! timestamps) into its packets: number, capture time, link type and the
//! bytes captured.
//!
//! Owns the file formats and their faults (a truncated file, a packet cut by
//! the snap length). Must not look inside a packet: that is `packet.rs`.

use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, PcapError, TsResolution};

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// 1-based, in file order (as Wireshark numbers them).
    pub number: usize,
    /// Capture time, µs since the Unix epoch.
    pub at_us: u64,
    pub link: DataLink,
    pub data: Vec<u8>,
    /// The packet's length on the wire when the capture kept less.
    pub cut_from: Option<u32>,
}

/// What a capture file holds: its packets, and why reading stopped early
/// (a truncated file), if it did.
#[derive(Debug, Default)]
pub struct Capture {
    pub packets: Vec<Packet>,
    /// The file is damaged from this point on: a message naming the packet.
    pub damaged: Option<String>,
}

/// Why a file is not a capture at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotACapture(pub String);

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads every packet of a pcap or pcapng file held in `bytes`.
pub fn read(bytes: &[u8]) -> Result<Capture, NotACapture> {
    if bytes.starts_with(&PCAPNG_MAGIC) {
        read_pcapng(bytes)
    } else {
        read_pcap(bytes)
    }
}

fn damaged(number: usize, e: &PcapError) -> String {
    match e {
        PcapError::IncompleteBuffer => format!(
            "packet {number}: the file ends inside this packet (a truncated capture); \
             the packets before it are imported"
        ),
        other => {
            format!("packet {number}: unreadable ({other}); the packets before it are imported")
        }
    }
}

fn read_pcap(bytes: &[u8]) -> Result<Capture, NotACapture> {
    let (mut rest, parser) = PcapParser::new(bytes).map_err(|e| {
        NotACapture(match e {
            PcapError::IncompleteBuffer => "too short for a pcap file header".to_string(),
            e => format!("not a pcap or pcapng file ({e})"),
        })
    })?;
    let header = parser.header();
    let mut capture = Capture::default();
    while !rest.is_empty() {
        let number = capture.packets.len() + 1;
        // The raw form: the crate's checked form refuses a packet whose
        // length on the wire exceeds the snap length, which is every cut
        // packet, and those are worth a precise message of our own.
        let (next, raw) = match parser.next_raw_packet(rest) {
            Ok(v) => v,
            Err(e) => {
                capture.damaged = Some(damaged(number, &e));
                break;
            }
        };
        rest = next;
        let frac_ns = match header.ts_resolution {
            TsResolution::MicroSecond => u64::from(raw.ts_frac) * 1000,
            TsResolution::NanoSecond => u64::from(raw.ts_frac),
        };
        let at_us = u64::from(raw.ts_sec) * 1_000_000 + frac_ns / 1000;
        capture.packets.push(Packet {
            number,
            at_us,
            link: header.datalink,
            cut_from: (raw.orig_len > raw.incl_len).then_some(raw.orig_len),
            data: raw.data.into_owned(),
        });
    }
    Ok(capture)
}

/// An interface of a pcapng section: its link type and its clock.
struct Interface {
    link: DataLink,
    /// Timestamp units per second.
    units_per_second: u64,
    offset_s: u64,
}

impl Interface {
    fn of(
        block: &pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock,
    ) -> Self {
        let mut units_per_second = 1_000_000;
        let mut offset_s = 0;
        for option in &block.options {
            match option {
                // High bit set: a negative power of two, else of ten.
                InterfaceDescriptionOption::IfTsResol(r) if r & 0x80 != 0 => {
                    units_per_second = 1u64.checked_shl(u32::from(r & 0x7f)).unwrap_or(u64::MAX)
                }
                InterfaceDescriptionOption::IfTsResol(r) => {
                    units_per_second = 10u64.checked_pow(u32::from(*r)).unwrap_or(u64::MAX)
                }
                InterfaceDescriptionOption::IfTsOffset(s) => offset_s = *s,
                _ => {}
            }
        }
        Interface {
            link: block.linktype,
            units_per_second: units_per_second.max(1),
            offset_s,
        }
    }

    fn micros(&self, units: u64) -> u64 {
        let us = u128::from(units) * 1_000_000 / u128::from(self.units_per_second);
        u64::try_from(us)
            .unwrap_or(u64::MAX)
            .saturating_add(self.offset_s.saturating_mul(1_000_000))
    }
}

fn read_pcapng(bytes: &[u8]) -> Result<Capture, NotACapture> {
    let (mut rest, mut parser) = PcapNgParser::new(bytes)
        .map_err(|e| NotACapture(format!("not a readable pcapng file ({e})")))?;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut capture = Capture::default();
    while !rest.is_empty() {
        let number = capture.packets.len() + 1;
        let (next, block) = match parser.next_block(rest) {
            Ok(v) => v,
            Err(e) => {
                capture.damaged = Some(damaged(number, &e));
                break;
            }
        };
        rest = next;
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => interfaces.push(Interface::of(&idb)),
            Block::EnhancedPacket(epb) => {
                let Some(interface) = usize::try_from(epb.interface_id)
                    .ok()
                    .and_then(|i| interfaces.get(i))
                else {
                    capture.damaged = Some(format!(
                        "packet {number}: names interface {} which the file does not describe",
                        epb.interface_id
                    ));
                    break;
                };
                // pcap-file 2 hands the raw timestamp over as nanoseconds
                // whatever the interface's resolution; the count is the raw
                // number of units, converted here with the interface's clock.
                let units = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                let captured = epb.data.len();
                capture.packets.push(Packet {
                    number,
                    at_us: interface.micros(units),
                    link: interface.link,
                    cut_from: (usize::try_from(epb.original_len).unwrap_or(0) > captured)
                        .then_some(epb.original_len),
                    data: epb.data.into_owned(),
                });
            }
            Block::SimplePacket(spb) => {
                let Some(interface) = interfaces.first() else {
                    capture.damaged = Some(format!(
                        "packet {number}: comes before any interface description"
                    ));
                    break;
                };
                let captured = spb.data.len();
                capture.packets.push(Packet {
                    number,
                    // A simple packet block has no timestamp.
                    at_us: capture.packets.last().map_or(0, |p| p.at_us),
                    link: interface.link,
                    cut_from: (usize::try_from(spb.original_len).unwrap_or(0) > captured)
                        .then_some(spb.original_len),
                    data: spb.data.into_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(capture)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    use pcap_file::pcapng::PcapNgWriter;
    use std::borrow::Cow;
    use std::time::Duration;

    fn pcap(ts: TsResolution, packets: &[(Duration, &[u8])]) -> Vec<u8> {
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            ts_resolution: ts,
            ..PcapHeader::default()
        };
        let mut w = PcapWriter::with_header(Vec::new(), header).unwrap();
        for (at, data) in packets {
            w.write_packet(&PcapPacket::new(*at, data.len() as u32, data))
                .unwrap();
        }
        w.into_writer()
    }

    #[test]
    fn pcap_packets_are_numbered_from_one_with_microsecond_times() {
        for ts in [TsResolution::MicroSecond, TsResolution::NanoSecond] {
            let bytes = pcap(
                ts,
                &[
                    (Duration::new(10, 5_000), b"ab"),
                    (Duration::new(11, 0), b"c"),
                ],
            );
            let c = read(&bytes).unwrap();
            assert!(c.damaged.is_none());
            assert_eq!(c.packets.len(), 2);
            assert_eq!(c.packets[0].number, 1);
            assert_eq!(c.packets[0].at_us, 10_000_005);
            assert_eq!(c.packets[1].data, b"c");
            assert_eq!(c.packets[1].link, DataLink::ETHERNET);
        }
    }

    #[test]
    fn a_truncated_file_keeps_the_packets_before_and_names_the_cut_one() {
        let bytes = pcap(
            TsResolution::MicroSecond,
            &[
                (Duration::new(1, 0), b"first"),
                (Duration::new(2, 0), b"second"),
            ],
        );
        let c = read(&bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(c.packets.len(), 1);
        let why = c.damaged.unwrap();
        assert!(why.starts_with("packet 2: the file ends inside"), "{why}");
    }

    #[test]
    fn not_a_capture_is_refused() {
        assert!(read(b"GET / HTTP/1.1\r\n\r\nhello there, not a capture").is_err());
        assert!(read(b"ab").is_err());
    }

    #[test]
    fn pcapng_times_follow_the_interface_resolution() {
        let mut w = PcapNgWriter::new(Vec::new()).unwrap();
        let mut idb = InterfaceDescriptionBlock::new(DataLink::LINUX_SLL2, 0xffff);
        idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
        w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0xffff))
            .unwrap();
        w.write_pcapng_block(idb).unwrap();
        for (interface_id, raw) in [(0u32, 7_000_001u64), (1, 7_000_001_000)] {
            w.write_pcapng_block(EnhancedPacketBlock {
                interface_id,
                timestamp: Duration::from_nanos(raw),
                original_len: 4,
                data: Cow::Borrowed(&[1, 2, 3][..]),
                options: vec![],
            })
            .unwrap();
        }
        let c = read(&w.into_inner()).unwrap();
        assert!(c.damaged.is_none(), "{:?}", c.damaged);
        let got: Vec<_> = c
            .packets
            .iter()
            .map(|p| (p.number, p.at_us, p.link, p.cut_from))
            .collect();
        assert_eq!(
            got,
            [
                (1, 7_000_001, DataLink::ETHERNET, Some(4)),
                (2, 7_000_001, DataLink::LINUX_SLL2, Some(4)),
            ]
        );
    }
}
