//! Reads JSONL traces (docs/TRACE.md, version 1: the engine's recorder or
//! `ivrconf-trace import`) into what a replay plays: per call, each request
//! the driver sent with the frames the server sent after it, and the gaps
//! between them; the session trace (`call_id` empty) the same way.
//!
//! Owns the reading of trace files and the order of the calls (by the time
//! of their `NewCall`). Must not match live traffic: that is `player.rs`.

use std::time::Duration;

use super::json::{self, Value};
use crate::wire::{decode, Message};

/// The schema version this reader knows.
const TRACE_VERSION: u64 = 1;

/// A frame the server sent, to be played after a gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Since the request, or since the answer before this one.
    pub after: Duration,
    /// The payload (the XML after the 6-byte header) as recorded.
    pub payload: Vec<u8>,
}

/// One request of the driver and what the server sent after it (until the
/// driver's next request).
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    pub request: Message,
    pub answers: Vec<Answer>,
}

/// The recorded server side of one call, or of the session.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The trace file it came from.
    pub file: String,
    /// The call id in the recording (empty for the session).
    pub call_id: String,
    pub exchanges: Vec<Exchange>,
}

/// Everything a replay plays.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// The session trace, when one was given.
    pub session: Option<Script>,
    /// The calls, in the order of their `NewCall`.
    pub calls: Vec<Script>,
    /// What the replay will not play, file by file (a trace without a
    /// `NewCall`, entries the recorder dropped).
    pub notes: Vec<String>,
}

/// One trace file, read.
struct Trace {
    call_id: String,
    /// µs since the Unix epoch of the first entry.
    started_us: u64,
    /// Frames: µs since the first entry, I->S or not, name, payload.
    frames: Vec<(u64, bool, String, Vec<u8>)>,
    dropped: u64,
}

/// Reads every file; the first one that cannot be read is the error
/// (`FILE: line N: why`).
pub fn load(paths: &[String]) -> Result<Recording, String> {
    let mut recording = Recording::default();
    let mut calls: Vec<(u64, Script)> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let trace = read(&text).map_err(|e| format!("{path}: {e}"))?;
        if trace.dropped > 0 {
            recording.notes.push(format!(
                "{path}: the recorder dropped {} entries of this call; their frames cannot be played",
                trace.dropped
            ));
        }
        let new_call_at = trace
            .frames
            .iter()
            .find_map(|(t, to_server, name, _)| (*to_server && name == "NewCall").then_some(*t));
        let script = Script {
            file: path.clone(),
            exchanges: exchanges(&trace.frames),
            call_id: trace.call_id,
        };
        if script.call_id.is_empty() {
            if let Some(first) = &recording.session {
                return Err(format!(
                    "{path}: a second session trace (the first is {})",
                    first.file
                ));
            }
            recording.session = Some(script);
        } else if let Some(t) = new_call_at {
            calls.push((trace.started_us.saturating_add(t), script));
        } else {
            recording.notes.push(format!(
                "{path}: no NewCall from the driver in this trace: it is not played"
            ));
        }
    }
    // Stable: traces of the same instant keep the order they were given in.
    calls.sort_by_key(|(at, _)| *at);
    recording.calls = calls.into_iter().map(|(_, s)| s).collect();
    Ok(recording)
}

/// Requests with the frames that followed each. Frames the server sent
/// before the first request go with it; keep-alives are left out (the
/// simulator answers and sends those live).
fn exchanges(frames: &[(u64, bool, String, Vec<u8>)]) -> Vec<Exchange> {
    let mut out: Vec<Exchange> = Vec::new();
    let mut early: Vec<Answer> = Vec::new();
    let mut last_t = frames.first().map_or(0, |f| f.0);
    for (t, to_server, name, payload) in frames {
        if name.starts_with("#keepalive") || name == "#error_ack" {
            continue;
        }
        let after = Duration::from_micros(t.saturating_sub(last_t));
        if *to_server {
            let Ok(request) = decode(payload) else {
                continue;
            };
            last_t = *t;
            out.push(Exchange {
                request,
                answers: std::mem::take(&mut early),
            });
            continue;
        }
        last_t = *t;
        let answer = Answer {
            after,
            payload: payload.clone(),
        };
        match out.last_mut() {
            Some(exchange) => exchange.answers.push(answer),
            None => early.push(answer),
        }
    }
    out
}

fn read(text: &str) -> Result<Trace, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let at = |n: usize| move |why: String| format!("line {n}: {why}");
    let (n, first) = lines.next().ok_or("empty: no header line")?;
    let header = json::parse(first).map_err(at(n))?;
    match header.get("ivrconf_trace").and_then(Value::as_u64) {
        Some(TRACE_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "line {n}: trace version {v}; this simulator reads version {TRACE_VERSION}"
            ))
        }
        None => return Err(format!("line {n}: not a trace header (no `ivrconf_trace`)")),
    }
    let call_id = string(&header, "call_id").map_err(at(n))?;
    let started = string(&header, "started").map_err(at(n))?;
    let started_us = rfc3339_us(&started)
        .ok_or_else(|| format!("line {n}: `started` is not an RFC 3339 UTC time: {started}"))?;
    let mut trace = Trace {
        call_id,
        started_us,
        frames: Vec::new(),
        dropped: 0,
    };
    for (n, line) in lines {
        let entry = json::parse(line).map_err(at(n))?;
        let t = entry
            .get("t_us")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("line {n}: `t_us` is missing or not a count"))?;
        let dir = string(&entry, "dir").map_err(at(n))?;
        let to_server = match dir.as_str() {
            "I->S" => true,
            "S->I" => false,
            "note" => {
                trace.dropped += entry.get("dropped").and_then(Value::as_u64).unwrap_or(0);
                continue;
            }
            _ => continue,
        };
        let name = string(&entry, "name").map_err(at(n))?;
        let payload = string(&entry, "bytes")
            .map_err(at(n))?
            .chars()
            .map(|c| u8::try_from(u32::from(c)))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| format!("line {n}: `bytes` holds a character above U+00FF"))?;
        trace.frames.push((t, to_server, name, payload));
    }
    Ok(trace)
}

fn string(v: &Value, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

/// `2026-12-05T03:28:01.843210Z` as µs since the Unix epoch.
fn rfc3339_us(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<u64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let micros = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        digits.parse::<u64>().ok()?
    };
    // Days from the civil date (H. Hinnant's algorithm), 1970-01-01 = 0.
    let y = if month <= 2 {
        year.checked_sub(1)?
    } else {
        year
    };
    let era = y / 400;
    let yoe = y % 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(((days * 86_400 + h * 3600 + m * 60 + sec) * 1_000_000) + micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::rfc3339_utc_us;
    use std::time::UNIX_EPOCH;

    const NEW_CALL: &str = "<?xml version=\"1.0\"?><GctiMsg><CallId>C1</CallId><NewCall CalledNum=\"5001\"/></GctiMsg>";
    const HELD: &str =
        "<?xml version=\"1.0\"?><GctiMsg><CallId>C1</CallId><CallStatus Event=\"Held\"/></GctiMsg>";

    fn frame(t: u64, dir: &str, name: &str, bytes: &str) -> String {
        format!(
            "{{\"t_us\":{t},\"dir\":\"{dir}\",\"name\":\"{name}\",\"text\":\"\",\"fields\":{{}},\"bytes\":{}}}",
            json_str(bytes)
        )
    }

    fn json_str(s: &str) -> String {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }

    fn header(call: &str, started: &str) -> String {
        format!("{{\"ivrconf_trace\":1,\"version\":\"0.1.0\",\"call_id\":\"{call}\",\"started\":\"{started}\"}}")
    }

    #[test]
    fn started_times_read_back_what_the_recorder_writes() {
        for us in [0u64, 1_733_369_281_843_210, 951_782_400_000_001] {
            let text = rfc3339_utc_us(UNIX_EPOCH + Duration::from_micros(us));
            assert_eq!(rfc3339_us(&text), Some(us), "{text}");
        }
        assert_eq!(rfc3339_us("2026-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339_us("yesterday"), None);
    }

    #[test]
    fn requests_take_the_frames_after_them_with_their_gaps() {
        let text = [
            header("C1", "2026-01-01T00:00:00Z"),
            r#"{"t_us":0,"dir":"app","name":"call_new","text":"","op_id":0,"result":"OK"}"#.into(),
            frame(10, "I->S", "NewCall", NEW_CALL),
            frame(15, "I->S", "#keepalive_request", ""),
            frame(40, "S->I", "CallStatus", HELD),
            frame(100, "S->I", "CallStatus", HELD),
            r#"{"t_us":120,"dir":"note","name":"dropped","text":"","dropped":3}"#.into(),
        ]
        .join("\n");
        let t = read(&text).unwrap();
        assert_eq!((t.frames.len(), t.dropped), (4, 3));
        let ex = exchanges(&t.frames);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].request.name(), "NewCall");
        let gaps: Vec<_> = ex[0].answers.iter().map(|a| a.after.as_micros()).collect();
        assert_eq!(gaps, [30, 60]);
        assert_eq!(ex[0].answers[0].payload, HELD.as_bytes());
    }

    #[test]
    fn calls_are_ordered_by_their_new_call_and_bad_files_named() {
        let dir = std::env::temp_dir().join(format!("ivrconf-recording-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, lines: &[String]| {
            let p = dir.join(name);
            std::fs::write(&p, lines.join("\n")).unwrap();
            p.to_string_lossy().into_owned()
        };
        let late = write(
            "late.jsonl",
            &[
                header("C1", "2026-01-01T00:00:01Z"),
                frame(0, "I->S", "NewCall", NEW_CALL),
            ],
        );
        let early = write(
            "early.jsonl",
            &[
                header("C2", "2026-01-01T00:00:00.5Z"),
                frame(0, "I->S", "NewCall", NEW_CALL),
            ],
        );
        let session = write("s.jsonl", &[header("", "2026-01-01T00:00:00Z")]);
        let stray = write(
            "stray.jsonl",
            &[
                header("X", "2026-01-01T00:00:00Z"),
                frame(0, "S->I", "CallStatus", HELD),
            ],
        );
        let r = load(&[late, early, session.clone(), stray]).unwrap();
        let order: Vec<&str> = r.calls.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(order, ["C2", "C1"]);
        assert!(r.session.is_some());
        assert_eq!(r.notes.len(), 1);
        assert!(r.notes[0].contains("no NewCall"), "{:?}", r.notes);

        let e = load(&[session.clone(), session]).unwrap_err();
        assert!(e.contains("a second session trace"), "{e}");
        let bad = write(
            "bad.jsonl",
            &[header("C1", "2026-01-01T00:00:00Z"), "{".into()],
        );
        let e = load(std::slice::from_ref(&bad)).unwrap_err();
        assert!(e.starts_with(&format!("{bad}: line 2: ")), "{e}");
        let v2 = write("v2.jsonl", &[header("C1", "x").replace(":1,", ":2,")]);
        assert!(load(&[v2]).unwrap_err().contains("trace version 2"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
