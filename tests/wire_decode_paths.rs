//! The decoder's two paths give the same result for every input, errors
//! and error positions included: `decode` reads a plain payload with its own
//! scanner (no quick-xml `Reader`) and hands anything else to the quick-xml
//! event path; `decode_by_events` always takes the event path.
//!
//! Inputs: every XML payload of the vector files and every cut of each, the
//! two bench payloads with every cut, every single-byte deletion, case flip
//! and insertion of awkward snippets, and hand-written variants (case,
//! references, whitespace, duplicates, attribute order, declarations,
//! DOCTYPEs, comments, limits).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ivrconf::wire::*;
use serde_json::Value as Json;

#[allow(dead_code)]
#[path = "../benches/common/payloads.rs"]
mod payloads;

/// Decodes `payload` both ways and requires the same result; returns
/// whether it decoded.
fn same(payload: &[u8]) -> bool {
    let plain = decode(payload);
    let events = decode_by_events(payload);
    assert_eq!(
        plain,
        events,
        "paths differ on {:?}",
        String::from_utf8_lossy(payload)
    );
    plain.is_ok()
}

/// `same` for a payload and every prefix of it (for a payload over 2 KB,
/// a prefix every 97 bytes and each of the last 64: every cut of the few
/// very large vectors would take minutes in a debug build).
fn same_with_every_cut(payload: &[u8]) {
    let len = payload.len();
    for cut in 0..=len {
        if len <= 2048 || cut % 97 == 0 || cut + 64 >= len {
            same(&payload[..cut]);
        }
    }
}

fn load(name: &str) -> Vec<Json> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("vector file");
    serde_json::from_str::<Vec<Json>>(&text).expect("vector JSON")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The XML payloads (frame type 3) of a byte stream, as far as its frames
/// are whole.
fn xml_payloads(mut stream: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while stream.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([stream[2], stream[3]]));
        let end = (4 + len).min(stream.len());
        if stream[1] == 3 && end >= HEADER_LEN {
            out.push(stream[HEADER_LEN..end].to_vec());
        }
        stream = &stream[end..];
    }
    out
}

#[test]
fn every_vector_payload_and_every_cut_of_it_decodes_alike_both_ways() {
    let mut payloads = Vec::new();
    for case in load("frames.json") {
        payloads.extend(xml_payloads(&unhex(case["hex"].as_str().unwrap())));
    }
    for case in load("streams.json") {
        let stream: Vec<u8> = case["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| unhex(c.as_str().unwrap()))
            .collect();
        payloads.extend(xml_payloads(&stream));
    }
    // Every catalogue message is among them, valid and refused ones too.
    assert!(payloads.len() >= 100, "{} payloads", payloads.len());
    let decoded = payloads.iter().filter(|p| same(p)).count();
    assert!(decoded >= 40, "only {decoded} vector payloads decode");
    for p in &payloads {
        same_with_every_cut(p);
    }
}

/// Snippets inserted at every byte of the bench payloads.
const SNIPPETS: &[&str] = &[
    " ",
    "\t",
    "\r\n",
    "<",
    ">",
    "/",
    "/>",
    "=",
    "\"",
    "'",
    "&",
    "&amp;",
    "&#65;",
    "&#x20AC;",
    "&nbsp;",
    "]]>",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "<?pi x?>",
    "<!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\">",
    "<a/>",
    "<a>",
    "</a>",
    "<Node Name=\"k\" Type=\"Str\" Val=\"v\"/>",
    " Event=\"Busy\"",
    " x=\"1\"",
    "x",
    "\u{e9}",
];

fn bench_payloads() -> Vec<Vec<u8>> {
    vec![
        encode(&payloads::call_status()).unwrap(),
        encode(&payloads::new_call_10_nodes()).unwrap(),
    ]
}

#[test]
fn bench_payloads_decode_alike_after_every_cut_deletion_and_case_flip() {
    for payload in bench_payloads() {
        assert!(same(&payload));
        same_with_every_cut(&payload);
        for i in 0..payload.len() {
            let mut deleted = payload.clone();
            deleted.remove(i);
            same(&deleted);
            if payload[i].is_ascii_alphabetic() {
                let mut flipped = payload.clone();
                flipped[i] ^= 0x20;
                same(&flipped);
            }
        }
    }
}

#[test]
fn bench_payloads_decode_alike_with_a_snippet_at_every_byte() {
    for payload in bench_payloads() {
        let text = String::from_utf8(payload).unwrap();
        for at in 0..=text.len() {
            for snippet in SNIPPETS {
                let mut edited = text.clone();
                edited.insert_str(at, snippet);
                same(edited.as_bytes());
            }
        }
    }
}

const DECL: &str = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>";
const DOCTYPE: &str = "<!DOCTYPE GctiMsg SYSTEM \"IServer.dtd\">";

#[test]
fn hand_written_variants_decode_alike_both_ways() {
    let bodies = [
        // Case, whitespace and quoting.
        "<CallId>C1</CallId><CallStatus Event=\"Held\"/>",
        "<callid>C1</callid><callstatus event=\"held\"/>",
        "<CALLID> C1 </CALLID><CALLSTATUS EVENT='HELD' />",
        "<CallId>C1</CallId><CallStatus\r\n\tEvent = \"Held\"\n/>",
        "<CallId>C1</CallId ><CallStatus Event=\"Held\"></CallStatus >",
        "<CallId>C1</CallId><CallStatus Event=\"Held\"></CallStatus>",
        "<CallId>C1</CallId><CallStatus Event=\"Queued\"/>",
        "<CallId>C1</CallId><CallStatus Event=\" Held \"/>",
        "<CallId>C1</CallId><CallStatus Event=\"\"/>",
        "<CallId>C1</CallId><CallStatus/>",
        "<CallId>C1</CallId><CallStatus><Event>Busy</Event></CallStatus>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\"><Event>Busy</Event></CallStatus>",
        // References.
        "<CallId>C&amp;1</CallId><CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"&#72;eld\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held&nbsp;\"/>",
        "<CallId>&#x43;1</CallId><CallStatus Event=\"Held\"/>",
        "<CallId>C1&#0;</CallId><CallStatus Event=\"Held\"/>",
        // Duplicates.
        "<CallId>C1</CallId><CallId>C2</CallId><CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\" Event=\"Busy\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\" event=\"Busy\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\"/><EndCall/>",
        "<CallId>C1</CallId><EndCall EndCause=\"a\"><EndCause>b</EndCause></EndCall>",
        "<CallId></CallId><CallStatus Event=\"Held\"/>",
        "<CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId>",
        // Attributes in odd orders, user data in odd forms.
        "<CallId>C1</CallId><NewCall Version=\"4.0\" CallControlMode=\"Network\">\
         <CalledNum>5</CalledNum><UDataEx><Node Val=\"1\" Type=\"Int\" Name=\"a\"/>\
         <Node Type=\"Str\" Name=\"b\" Val=\"x\"/><Node Name=\"c\" Type=\"Int\" Val=\"9999999999\"/>\
         <Node Name=\"\" Val=\"x\"/><Node Name=\"d\"><Val>t</Val></Node></UDataEx></NewCall>",
        "<CallId>C1</CallId><NewCall><CalledNum>5</CalledNum><UDataEx>\
         <Node Name=\"a\" Type=\"Str\" Val=\"1\" Name=\"b\"/></UDataEx></NewCall>",
        "<CallId>C1</CallId><NewCall><CalledNum>5</CalledNum><UDataEx>\
         <Node Name=\"a\" Type=\"Str\" Val=\"x>y\"/></UDataEx></NewCall>",
        "<CallId>C1</CallId><NewCall><CalledNum>5</CalledNum><UDataEx>\
         <Node Name=\"a\" Type=\"Str\" Val=\"x<y\"/></UDataEx></NewCall>",
        "<CallId>C1</CallId><NewCall CalledNum=\"5\"/>",
        "<CallId>C1</CallId><NewCall/>",
        // Other messages, unknown and open ones.
        "<CallId>C1</CallId><treatCALL Type=\"Play\"><Arg> 1 </Arg></treatCALL>",
        "<LoginReq Version=\"4.0\" ClientName=\"x\"/>",
        "<CallId>C1</CallId><MonitorInfo Link=\"down\" link=\"up\"><Server>s</Server></MonitorInfo>",
        // Comments, CDATA, processing instructions, text where none may be.
        "<CallId>C1</CallId><!-- c --><CallStatus Event=\"Held\"/>",
        "<CallId><![CDATA[C1]]></CallId><CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><?pi x?><CallStatus Event=\"Held\"/>",
        "<CallId>C1]]></CallId><CallStatus Event=\"Held\"/>",
        "text<CallId>C1</CallId><CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\"/></Extra>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\">",
        "<CallId>C1</CallStatus><CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><1CallStatus Event=\"Held\"/>",
        "<CallId>C1</CallId><CallStatus Event=Held/>",
        "<CallId>C1</CallId><CallStatus Event=\"Held\"Reason=\"x\"/>",
        "<CallId>C1</CallId><Call\u{e9}Status \u{e9}=\"1\"/>",
        // Limits.
        "<CallId>C1</CallId><EndCall><a><b><c><d><e><f><g/></f></e></d></c></b></a></EndCall>",
        "<CallId>C1</CallId><EndCall><a><b><c><d><e><f/></e></d></c></b></a></EndCall>",
    ];
    let heads = [
        String::new(),
        DECL.to_string(),
        format!("{DECL}{DOCTYPE}"),
        format!("{DECL}\r\n{DOCTYPE}\n"),
        format!("{DOCTYPE}{DOCTYPE}"),
        "<?xml version=\"1.0\"?>".to_string(),
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>".to_string(),
        "<?xml version=\"1.0\" encoding=\"windows-1252\"?>".to_string(),
        " <?xml version=\"1.0\"?>".to_string(),
        format!("{DECL}<!DOCTYPE GctiMsg SYSTEM 'IServer.dtd'>"),
        format!("{DECL}<!DOCTYPE GctiMsg [<!ENTITY x \"y\">]>"),
        format!("{DECL}<!-- c -->"),
        "\u{feff}".to_string(),
    ];
    let roots = [
        ("<GctiMsg>", "</GctiMsg>"),
        ("<gctimsg>", "</gctimsg>"),
        ("<Other>", "</Other>"),
        ("<GctiMsg>", "</GctiMsg >"),
        ("<GctiMsg>", "</GctiMsg><GctiMsg/>"),
        ("<GctiMsg>", "</GctiMsg> \r\n"),
    ];
    let mut decoded = 0;
    for head in &heads {
        for (open, close) in roots {
            for body in bodies {
                let doc = format!("{head}{open}{body}{close}");
                decoded += usize::from(same(doc.as_bytes()));
                // Latin-1 and UTF-8 bytes above ASCII in a value.
                let high = doc.replacen("C1", "C\u{e9}", 1);
                same(high.as_bytes());
                let latin1: Vec<u8> = high.chars().map(|c| c as u32 as u8).collect();
                same(&latin1);
            }
        }
    }
    assert!(decoded > 100, "only {decoded} variants decode");
    // The attribute and node limits, on both sides of each.
    for n in [63, 64, 65] {
        let attrs: String = (0..n).map(|i| format!(" x{i}=\"1\"")).collect();
        same(format!("<GctiMsg><CallId>C1</CallId><EndCall{attrs}/></GctiMsg>").as_bytes());
    }
    for n in [1023, 1024, 1025] {
        let nodes = "<Node Name=\"k\" Type=\"Str\" Val=\"v\"/>".repeat(n);
        let doc = format!(
            "<GctiMsg><CallId>C1</CallId><NewCall><CalledNum>5</CalledNum>\
             <UDataEx>{nodes}</UDataEx></NewCall></GctiMsg>"
        );
        same(doc.as_bytes());
    }
}

#[test]
fn a_documented_event_decodes_to_the_static_spelling() {
    use std::borrow::Cow;
    for event in StatusEvent::ALL {
        let msg = Message::new("C1", Body::CallStatus(CallStatus::of(event)));
        let got = decode(&encode(&msg).unwrap()).unwrap();
        let Body::CallStatus(status) = got.body else {
            panic!("{got:?}")
        };
        assert!(matches!(status.event, Cow::Borrowed(_)), "{event:?}");
        assert_eq!(status.event, event.as_str());
    }
    // Any other text is kept as received.
    for text in ["held", "Queued", " Held"] {
        let xml = format!("<GctiMsg><CallId>C1</CallId><CallStatus Event=\"{text}\"/></GctiMsg>");
        let got = decode(xml.as_bytes()).unwrap();
        let Body::CallStatus(status) = got.body else {
            panic!("{got:?}")
        };
        assert!(matches!(status.event, Cow::Owned(_)), "{text:?}");
        assert_eq!(status.event, text);
    }
}
