//! Cuts the GLI frames out of every TCP connection of a capture, both
//! directions, with the library's own reassembler and decoder, and keeps
//! them in capture order with the packet that completed each.
//!
//! Owns connections (by their two endpoints) and the faults of a stream:
//! a gap, a bad frame header, a frame cut off by the end of the capture, a
//! payload that does not decode. Must not decide which side is the server
//! or which trace a frame belongs to: that is `traces.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;

use ivrconf::wire::{self, FrameType, Message, Reassembler};

use super::packet::Segment;
use super::stream::Direction;

/// One GLI frame as captured.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Capture time of the packet that completed the frame.
    pub at_us: u64,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub frame_type: FrameType,
    /// The bytes after the 6-byte header, exactly as captured.
    pub payload: Vec<u8>,
    /// The decoded message (XML frames), or why it does not decode.
    pub message: Option<Result<Message, String>>,
}

/// One direction of a connection: its bytes in order, and the frames cut
/// from them.
#[derive(Debug, Default)]
struct Flow {
    stream: Direction,
    frames: Reassembler,
    /// Where the stream was last fed from, for the end-of-capture report.
    last_number: usize,
    /// A bad header ended the frames of this direction.
    dead: bool,
}

#[derive(Debug, Default)]
struct Connection {
    flows: HashMap<SocketAddr, Flow>,
    /// The endpoint that sent the opening SYN, if it was captured.
    client: Option<SocketAddr>,
}

/// Every connection of a capture, in the order first seen.
#[derive(Debug, Default)]
pub struct Connections {
    order: Vec<(SocketAddr, SocketAddr)>,
    by_key: HashMap<(SocketAddr, SocketAddr), Connection>,
    /// Every frame, in capture order.
    pub frames: Vec<Frame>,
    /// What could not be imported, each naming its packet.
    pub problems: Vec<String>,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Connections {
    pub fn push(&mut self, s: &Segment) {
        let k = key(s.from, s.to);
        if !self.by_key.contains_key(&k) {
            self.order.push(k);
        }
        let conn = self.by_key.entry(k).or_default();
        if s.opens {
            conn.client = Some(s.from);
        }
        let flow = conn.flows.entry(s.from).or_default();
        let Some(delivery) = flow
            .stream
            .push(s.number, s.at_us, s.seq, s.syn, &s.payload)
        else {
            return;
        };
        flow.last_number = delivery.number;
        if flow.dead {
            return;
        }
        flow.frames.push(&delivery.bytes);
        while let Some(next) = flow.frames.next_frame() {
            let frame = match next {
                Ok(f) => f,
                Err(e) => {
                    flow.dead = true;
                    self.problems.push(format!(
                        "packet {}: {} -> {}: not a GLI frame header ({}); the rest of this \
                         direction is not imported",
                        delivery.number,
                        s.from,
                        s.to,
                        e.reason()
                    ));
                    break;
                }
            };
            let message = (frame.frame_type == FrameType::Xml)
                .then(|| wire::decode(&frame.payload).map_err(|e| e.to_string()));
            if let Some(Err(why)) = &message {
                self.problems.push(format!(
                    "packet {}: {} -> {}: a frame that does not decode ({why}); kept in the \
                     session trace as #undecodable",
                    delivery.number, s.from, s.to
                ));
            }
            self.frames.push(Frame {
                at_us: delivery.at_us,
                from: s.from,
                to: s.to,
                frame_type: frame.frame_type,
                payload: frame.payload,
                message,
            });
        }
    }

    /// The capture ended: reports what is still held (a gap, half a frame).
    pub fn finish(&mut self) {
        for k in &self.order {
            let Some(conn) = self.by_key.get(k) else {
                continue;
            };
            let mut ends: Vec<_> = conn.flows.iter().collect();
            ends.sort_by_key(|(from, _)| **from);
            for (from, flow) in ends {
                let to = if *from == k.0 { k.1 } else { k.0 };
                if let Some(gap) = flow.stream.gap() {
                    self.problems.push(format!(
                        "packet {}: {from} -> {to}: {} bytes missing before this packet (after \
                         packet {}) were never captured; the {} bytes after the gap are not \
                         imported",
                        gap.before, gap.missing, gap.after, gap.stranded
                    ));
                }
                let partial = flow.frames.buffered_len();
                if partial > 0 && !flow.dead {
                    self.problems.push(format!(
                        "packet {}: {from} -> {to}: the capture ends inside a frame ({partial} \
                         bytes of it captured)",
                        flow.last_number
                    ));
                }
            }
        }
    }

    /// The connections, in the order first seen, with the client when its
    /// SYN was captured.
    pub fn endpoints(&self) -> Vec<((SocketAddr, SocketAddr), Option<SocketAddr>)> {
        self.order
            .iter()
            .map(|k| (*k, self.by_key.get(k).and_then(|c| c.client)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivrconf::wire::{encode_frame, Body, CallStatus, KEEPALIVE_REQUEST};

    const IVR: &str = "127.0.0.1:40000";
    const SERVER: &str = "127.0.0.1:7000";

    fn seg(number: usize, from: &str, seq: u32, payload: &[u8]) -> Segment {
        let (from, to) = if from == IVR {
            (IVR, SERVER)
        } else {
            (SERVER, IVR)
        };
        Segment {
            number,
            at_us: number as u64 * 10,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            seq,
            opens: false,
            syn: false,
            payload: payload.to_vec(),
        }
    }

    fn status(event: &str) -> Vec<u8> {
        encode_frame(&Message::new(
            "C1",
            Body::CallStatus(CallStatus {
                event: event.to_string().into(),
            }),
        ))
        .unwrap()
    }

    #[test]
    fn frames_split_across_packets_come_out_with_the_completing_packet() {
        let held = status("Held");
        let mut c = Connections::default();
        c.push(&seg(1, IVR, 0, &KEEPALIVE_REQUEST));
        c.push(&seg(2, SERVER, 0, &held[..10]));
        c.push(&seg(3, SERVER, 10, &held[10..]));
        c.finish();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let got: Vec<_> = c
            .frames
            .iter()
            .map(|f| (f.at_us, f.frame_type, f.from.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (10, FrameType::KeepAliveRequest, IVR.to_string()),
                (30, FrameType::Xml, SERVER.to_string())
            ]
        );
        assert_eq!(c.frames[1].payload, held[6..]);
        assert!(matches!(&c.frames[1].message, Some(Ok(m)) if m.name() == "CallStatus"));
    }

    #[test]
    fn faults_are_reported_with_their_packet_and_the_rest_imported() {
        let held = status("Held");
        let mut bad = wire::frame_bytes(FrameType::Xml, b"<GctiMsg><Nope");
        bad.extend(status("Dialing"));
        let mut c = Connections::default();
        // Direction 1: an undecodable frame, then a good one.
        c.push(&seg(1, SERVER, 0, &bad));
        // Direction 2: a gap.
        c.push(&seg(2, IVR, 0, &held));
        c.push(&seg(5, IVR, 1000, &held));
        c.finish();
        assert_eq!(c.frames.len(), 3, "{:?}", c.frames);
        assert!(matches!(c.frames[0].message, Some(Err(_))));
        assert!(matches!(&c.frames[1].message, Some(Ok(_))));
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].starts_with("packet 1: "), "{}", c.problems[0]);
        assert!(
            c.problems[0].contains("does not decode"),
            "{}",
            c.problems[0]
        );
        assert!(c.problems[1].starts_with("packet 5: "), "{}", c.problems[1]);
        assert!(c.problems[1].contains("missing"), "{}", c.problems[1]);
    }

    #[test]
    fn a_bad_header_ends_that_direction_only() {
        let mut c = Connections::default();
        c.push(&seg(1, SERVER, 0, b"HTTP/1.1 200 OK\r\n"));
        c.push(&seg(2, IVR, 0, &status("Held")));
        c.finish();
        assert_eq!(c.frames.len(), 1);
        assert_eq!(c.problems.len(), 1);
        assert!(
            c.problems[0].contains("not a GLI frame header"),
            "{:?}",
            c.problems
        );
    }
}
