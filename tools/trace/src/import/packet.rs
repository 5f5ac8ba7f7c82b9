//! Takes one captured packet down to its TCP segment: the link layer
//! (Ethernet, Linux cooked SLL and SLL2, BSD loopback / null, raw IP), IPv4
//! or IPv6, then TCP.
//!
//! Owns the link types and what is not a TCP segment. Must not follow a
//! connection across packets: that is `stream.rs`.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;

use super::capture::Packet;

/// The TCP part of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub number: usize,
    pub at_us: u64,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub seq: u32,
    /// A connection request (SYN without ACK): `from` is the client.
    pub opens: bool,
    pub syn: bool,
    pub payload: Vec<u8>,
}

/// What a packet turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Tcp(Segment),
    /// Not TCP (ARP, UDP, ...): of no interest, said nothing about.
    Other,
    /// A link type this tool does not read.
    UnknownLink(DataLink),
    /// Looks like TCP but cannot be read whole: why.
    Unreadable(String),
}

/// Linux cooked capture v1 (`tcpdump -i any`, older libpcap): 16 bytes,
/// the protocol in the last two.
const SLL_LEN: usize = 16;
/// Linux cooked capture v2 (`tcpdump -i any`, libpcap 1.10+): 20 bytes,
/// the protocol in the first two.
const SLL2_LEN: usize = 20;
/// BSD loopback / null: a 4-byte address family, then the IP packet.
const NULL_LEN: usize = 4;

pub fn parse(packet: &Packet) -> Parsed {
    let data = &packet.data[..];
    let sliced = match packet.link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => match data.get(SLL_LEN - 2..SLL_LEN) {
            Some(&[hi, lo]) => from_ether_type(u16::from_be_bytes([hi, lo]), &data[SLL_LEN..]),
            _ => return Parsed::Unreadable("too short for a Linux cooked header".to_string()),
        },
        DataLink::LINUX_SLL2 => match (data.get(..2), data.get(SLL2_LEN..)) {
            (Some(&[hi, lo]), Some(rest)) => from_ether_type(u16::from_be_bytes([hi, lo]), rest),
            _ => return Parsed::Unreadable("too short for a Linux cooked v2 header".to_string()),
        },
        // The family word is in the capturing host's byte order (NULL) or
        // big-endian (LOOP), and its IPv6 value differs by OS: the IP
        // version nibble says it all.
        DataLink::NULL | DataLink::LOOP => match data.get(NULL_LEN..) {
            Some(rest) => SlicedPacket::from_ip(rest),
            None => return Parsed::Unreadable("too short for a loopback header".to_string()),
        },
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(data),
        other => return Parsed::UnknownLink(other),
    };
    let sliced = match sliced {
        Ok(s) => s,
        Err(e) => return Parsed::Unreadable(e.to_string()),
    };
    let (from_ip, to_ip, fragmented): (IpAddr, IpAddr, bool) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
            ip.is_payload_fragmented(),
        ),
        Some(NetSlice::Ipv6(ip)) => (
            ip.header().source_addr().into(),
            ip.header().destination_addr().into(),
            ip.is_payload_fragmented(),
        ),
        _ => return Parsed::Other,
    };
    if fragmented {
        return Parsed::Unreadable("an IP fragment (fragments are not reassembled)".to_string());
    }
    match sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => Parsed::Tcp(Segment {
            number: packet.number,
            at_us: packet.at_us,
            from: SocketAddr::new(from_ip, tcp.source_port()),
            to: SocketAddr::new(to_ip, tcp.destination_port()),
            seq: tcp.sequence_number(),
            opens: tcp.syn() && !tcp.ack(),
            syn: tcp.syn(),
            payload: tcp.payload().to_vec(),
        }),
        _ => Parsed::Other,
    }
}

fn from_ether_type(
    ether_type: u16,
    rest: &[u8],
) -> Result<SlicedPacket<'_>, etherparse::err::packet::SliceError> {
    SlicedPacket::from_ether_type(EtherType(ether_type), rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn tcp_v4(payload: &[u8]) -> Vec<u8> {
        let builder = PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 2], 64)
            .tcp(40000, 7000, 1000, 65535)
            .ack(5);
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    fn tcp_v6_syn() -> Vec<u8> {
        let mut local = [0u8; 16];
        local[15] = 1;
        let builder = PacketBuilder::ipv6(local, local, 64)
            .tcp(40000, 7000, 99, 65535)
            .syn();
        let mut out = Vec::new();
        builder.write(&mut out, &[]).unwrap();
        out
    }

    fn packet(link: DataLink, data: Vec<u8>) -> Packet {
        Packet {
            number: 3,
            at_us: 42,
            link,
            data,
            cut_from: None,
        }
    }

    fn segment(p: Parsed) -> Segment {
        match p {
            Parsed::Tcp(s) => s,
            other => panic!("not TCP: {other:?}"),
        }
    }

    #[test]
    fn every_link_type_reaches_the_same_segment() {
        let ip = tcp_v4(b"hello");
        let mut ethernet = vec![0u8; 12];
        ethernet.extend([0x08, 0x00]);
        ethernet.extend(&ip);
        let mut sll = vec![0u8; 14];
        sll.extend([0x08, 0x00]);
        sll.extend(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend([0u8; 18]);
        sll2.extend(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend(&ip);
        for (link, data) in [
            (DataLink::ETHERNET, ethernet),
            (DataLink::LINUX_SLL, sll),
            (DataLink::LINUX_SLL2, sll2),
            (DataLink::NULL, null),
            (DataLink::RAW, ip.clone()),
        ] {
            let s = segment(parse(&packet(link, data)));
            assert_eq!(s.from, "127.0.0.1:40000".parse().unwrap(), "{link:?}");
            assert_eq!(s.to, "127.0.0.2:7000".parse().unwrap(), "{link:?}");
            assert_eq!((s.seq, s.opens, s.number, s.at_us), (1000, false, 3, 42));
            assert_eq!(s.payload, b"hello", "{link:?}");
        }
    }

    #[test]
    fn ipv6_and_the_opening_syn() {
        let s = segment(parse(&packet(DataLink::RAW, tcp_v6_syn())));
        assert_eq!(s.from, "[::1]:40000".parse().unwrap());
        assert!(s.opens && s.syn);
        assert!(s.payload.is_empty());
    }

    #[test]
    fn cut_packets_and_foreign_links_are_named() {
        let ip = tcp_v4(b"hello");
        assert!(matches!(
            parse(&packet(DataLink::RAW, ip[..ip.len() - 3].to_vec())),
            Parsed::Unreadable(_)
        ));
        assert_eq!(
            parse(&packet(DataLink::IEEE802_11, ip)),
            Parsed::UnknownLink(DataLink::IEEE802_11)
        );
        let arp = vec![0u8; 60];
        assert_eq!(parse(&packet(DataLink::ETHERNET, arp)), Parsed::Other);
    }
}
