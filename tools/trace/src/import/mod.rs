//! `ivrconf-trace import CAPTURE [--server HOST:PORT] [--out DIR]`: turns a
//! packet capture of a driver <-> IVR Server session into JSONL traces, one
//! per call and one for the session frames (docs/FIELD-REPLAY.md).
//!
//! Owns the command's options, its files and its report. The steps are
//! one module each, in the order a packet goes through them: `capture`
//! (the file), `packet` (link, IP, TCP), `stream` (TCP order), `frames`
//! (GLI frames, decoded), `traces` (which trace), `jsonl` (the text).

mod capture;
mod frames;
mod jsonl;
mod packet;
mod stream;
mod traces;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::Failure;
use packet::Parsed;

pub const USAGE: &str =
    "ivrconf-trace import CAPTURE.pcap|.pcapng [--server HOST:PORT] [--out DIR]\n    \
    turns a capture of a driver <-> IVR Server session (tcpdump, Wireshark)\n    \
    into JSONL traces in DIR [.]: call-<id>.jsonl per call, session.jsonl\n    \
    for the login and keep-alives; the server side is HOST:PORT, else the\n    \
    side that sent LoginResp";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    capture: String,
    server: Option<SocketAddr>,
    out: PathBuf,
}

/// Runs `import` with the arguments after the subcommand name.
pub fn command(args: &[String]) -> Result<(), Failure> {
    let request = request(args).map_err(Failure::Usage)?;
    let name = &request.capture;
    let bytes = std::fs::read(name).map_err(|e| Failure::Input(format!("{name}: {e}")))?;
    let capture = capture::read(&bytes).map_err(|e| Failure::Input(format!("{name}: {}", e.0)))?;

    let mut problems: Vec<String> = Vec::new();
    let mut connections = frames::Connections::default();
    let mut segments = 0usize;
    let mut unknown_link = None;
    for p in &capture.packets {
        if let Some(wire_len) = p.cut_from {
            problems.push(format!(
                "packet {}: only {} of its {wire_len} bytes were captured (the snap length; \
                 capture with -s 0)",
                p.number,
                p.data.len()
            ));
        }
        match packet::parse(p) {
            Parsed::Tcp(segment) => {
                segments += 1;
                connections.push(&segment);
            }
            Parsed::Other => {}
            Parsed::UnknownLink(link) => {
                unknown_link.get_or_insert((p.number, link));
            }
            Parsed::Unreadable(why) if p.cut_from.is_none() => {
                problems.push(format!("packet {}: unreadable: {why}", p.number))
            }
            Parsed::Unreadable(_) => {}
        }
    }
    if let Some(why) = &capture.damaged {
        problems.push(why.clone());
    }
    if let Some((number, link)) = unknown_link {
        problems.push(format!(
            "packet {number}: link type {link:?} is not read (Ethernet, Linux cooked SLL and \
             SLL2, loopback / null and raw IP are); such packets are skipped"
        ));
    }
    connections.finish();
    problems.append(&mut connections.problems);
    let report = |problems: &[String]| {
        for p in problems {
            eprintln!("ivrconf-trace: {name}: {p}");
        }
    };
    if segments == 0 {
        report(&problems);
        return Err(Failure::Input(format!(
            "{name}: no TCP segments in its {} packets: nothing to import",
            capture.packets.len()
        )));
    }
    if connections.frames.is_empty() {
        report(&problems);
        return Err(Failure::Input(format!(
            "{name}: no GLI frames in its {segments} TCP segments: nothing to import \
             (is it a capture of the IVR Server port?)"
        )));
    }
    let sorted = traces::sort(
        &connections.frames,
        &connections.endpoints(),
        request.server,
    );
    problems.extend(sorted.problems.iter().cloned());
    if sorted.traces.is_empty() {
        report(&problems);
        return Err(Failure::Input(match request.server {
            Some(s) if sorted.skipped > 0 => {
                format!("{name}: no TCP connection with {s}: nothing to import")
            }
            _ => format!("{name}: nothing to import"),
        }));
    }
    let capture_name = Path::new(name)
        .file_name()
        .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
    std::fs::create_dir_all(&request.out)
        .map_err(|e| Failure::Output(format!("{}: {e}", request.out.display())))?;
    for t in &sorted.traces {
        let path = request.out.join(&t.file);
        std::fs::write(&path, jsonl::trace(&t.call_id, &capture_name, &t.lines))
            .map_err(|e| Failure::Output(format!("{}: {e}", path.display())))?;
        println!("{} ({} frames)", path.display(), t.lines.len());
    }
    if problems.is_empty() {
        return Ok(());
    }
    report(&problems);
    Err(Failure::Input(format!(
        "{name}: {} problem(s) above; what could be read was imported",
        problems.len()
    )))
}

fn request(args: &[String]) -> Result<Request, String> {
    let mut capture = None;
    let mut server = None;
    let mut out = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" | "--out" => {
                let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                if arg == "--server" {
                    if server.is_some() {
                        return Err("--server given twice".to_string());
                    }
                    server = Some(value.parse::<SocketAddr>().map_err(|_| {
                        format!("--server {value}: expected HOST:PORT with an IP address (127.0.0.1:7000, [::1]:7000)")
                    })?);
                } else {
                    if out.is_some() {
                        return Err("--out given twice".to_string());
                    }
                    out = Some(PathBuf::from(value));
                }
            }
            option if option.starts_with('-') => return Err(format!("unknown option {option}")),
            _ if capture.is_some() => return Err("CAPTURE given twice".to_string()),
            _ => capture = Some(arg.clone()),
        }
    }
    Ok(Request {
        capture: capture.ok_or("no capture file given")?,
        server,
        out: out.unwrap_or_else(|| PathBuf::from(".")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_in_any_order() {
        assert_eq!(
            request(&args(&["--out", "d", "c.pcap", "--server", "[::1]:7000"])),
            Ok(Request {
                capture: "c.pcap".to_string(),
                server: Some("[::1]:7000".parse().unwrap()),
                out: PathBuf::from("d"),
            })
        );
        assert_eq!(
            request(&args(&["c.pcapng"])).unwrap().out,
            PathBuf::from(".")
        );
    }

    #[test]
    fn bad_command_lines_say_why() {
        let cases = [
            (&[][..], "no capture file"),
            (&["c", "d"][..], "CAPTURE given twice"),
            (&["c", "--server"][..], "--server needs a value"),
            (&["c", "--server", "ivr:7000"][..], "expected HOST:PORT"),
            (&["c", "--out", "a", "--out", "b"][..], "--out given twice"),
            (&["c", "--svg", "o"][..], "unknown option --svg"),
        ];
        for (line, expected) in cases {
            let e = request(&args(line)).unwrap_err();
            assert!(e.contains(expected), "{line:?}: {e}");
        }
    }
}
