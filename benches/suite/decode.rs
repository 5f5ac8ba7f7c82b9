//! Decode figures: `ivrconf::wire::decode` of the two payloads beside the
//! quick-xml token floor and the C/C++ peers (pugixml, TinyXML-2, expat,
//! run by the harness benches/peers/peers.cpp on the same bytes, written
//! to files next to the JSON), all timed by [`Sampling`]. Each peer's
//! extracted fields are checked against our decode before its time counts.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use ivrconf::wire::{decode, encode_frame, Body, Message, Value, HEADER_LEN};

use crate::payloads::{call_status, new_call_10_nodes, token_pass};
use crate::report::{ns, target, Row};
use crate::timing::Sampling;

const PEERS: [&str; 3] = ["pugixml", "tinyxml2", "expat"];

/// One payload: its label, display name and bytes.
struct Payload {
    label: &'static str,
    name: &'static str,
    msg: Message,
    bytes: Vec<u8>,
}

fn payloads() -> Vec<Payload> {
    [
        ("call_status", "CallStatus", call_status()),
        (
            "new_call_10_udata",
            "NewCall, 10 nodes",
            new_call_10_nodes(),
        ),
    ]
    .into_iter()
    .map(|(label, name, msg)| {
        let frame = match encode_frame(&msg) {
            Ok(f) => f,
            Err(e) => panic!("payload does not encode: {e:?}"),
        };
        let bytes = frame[HEADER_LEN..].to_vec();
        assert_eq!(decode(&bytes).as_ref(), Ok(&msg), "payload round trip");
        Payload {
            label,
            name,
            msg,
            bytes,
        }
    })
    .collect()
}

/// The fields the peers extract, as they print them.
fn fields(msg: &Message) -> Vec<String> {
    let mut f = vec![format!("CallId={}", msg.call_id.as_deref().unwrap_or(""))];
    match &msg.body {
        Body::CallStatus(s) => f.push(format!("Event={}", s.event)),
        Body::NewCall(n) => {
            f.push(format!("CalledNum={}", n.called_num));
            for kv in &n.udata {
                let v = match &kv.value {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                };
                f.push(format!("{}={v}", kv.key));
            }
        }
        other => panic!("unexpected payload {other:?}"),
    }
    f
}

/// Medians from the peer harness: (peer, payload label) -> ns.
fn run_peers(
    harness: &Path,
    dir: &Path,
    list: &[Payload],
    sampling: Sampling,
) -> Result<Vec<(String, String, f64)>, String> {
    let mut files = Vec::new();
    for p in list {
        let path = dir.join(format!("{}.xml", p.label));
        std::fs::write(&path, &p.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push(path);
    }
    let out = Command::new(harness)
        .arg(sampling.samples.to_string())
        .arg(sampling.sample_ns.to_string())
        .args(&files)
        .output()
        .map_err(|e| format!("{}: {e}", harness.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            harness.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut medians = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(4, ' ');
        let (kind, peer, label, rest) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let Some(p) = list.iter().find(|p| p.label == label) else {
            return Err(format!("peer harness: unknown payload in `{line}`"));
        };
        match kind {
            "FIELDS" => {
                let got: Vec<&str> = rest.split('\t').collect();
                let want = fields(&p.msg);
                if got != want {
                    return Err(format!(
                        "{peer} extracted {got:?} from {label}, ivrconf decoded {want:?}"
                    ));
                }
            }
            "MEDIAN" => {
                let v: f64 = rest
                    .trim()
                    .parse()
                    .map_err(|_| format!("peer harness: bad figure in `{line}`"))?;
                medians.push((peer.to_string(), label.to_string(), v));
            }
            _ => return Err(format!("peer harness: unexpected line `{line}`")),
        }
    }
    Ok(medians)
}

/// The decode rows. `harness` is the peer binary (absent: peer rows say
/// why in a note).
pub fn rows(
    sampling: Sampling,
    harness: Option<&Path>,
    dir: &Path,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    let list = payloads();
    let peers = match harness {
        Some(h) => run_peers(h, dir, &list, sampling).unwrap_or_else(|e| {
            notes.push(format!("Decode peers not run: {e}"));
            Vec::new()
        }),
        None => {
            notes.push(
                "Decode peers skipped: no peer harness given (`make bench` builds it).".into(),
            );
            Vec::new()
        }
    };
    let mut rows = Vec::new();
    for p in &list {
        let ours = sampling.median_ns(|| {
            black_box(decode(black_box(&p.bytes)).is_ok());
        });
        let floor = sampling.median_ns(|| {
            black_box(token_pass(black_box(&p.bytes)));
        });
        let what = format!("decode {} ({} B)", p.name, p.bytes.len());
        rows.push(
            Row::new("Decode", &what, ns(ours))
                .beside("quick-xml token floor", ns(floor))
                .target(target("<= 1.5x floor", ours <= 1.5 * floor)),
        );
        for peer in PEERS {
            let Some((_, _, t)) = peers
                .iter()
                .find(|(name, label, _)| name == peer && label == p.label)
            else {
                continue;
            };
            let goal = (peer == "pugixml").then(|| target("faster than pugixml", ours < *t));
            rows.push(
                Row::new("Decode", &what, ns(ours))
                    .beside(format!("{peer} parse+extract"), ns(*t))
                    .target(goal.flatten()),
            );
        }
    }
    rows
}
