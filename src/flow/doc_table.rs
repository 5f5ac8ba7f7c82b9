//! Keeps docs/STATE-MACHINE.md and the code in step: every situation of the
//! doc's table is set up on a real [`Flow`], every input is applied, and
//! the resulting state, messages sent and outcome must equal the table's
//! row, or, for pairs the table leaves out, its default rule ("nothing
//! happens": state and party count unchanged, nothing sent, no outcome;
//! a command is refused).
//!
//! On a mismatch the failure names every row that differs or is missing,
//! with what the code does, for updating the doc.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{CallEventKind, FlowConfig, OpKind, Output, TimerId};
use super::Flow;
use crate::wire::{Body, CallError, CallStatus, EndCall, Message, StatusEvent};

const CALL: &str = "C1";
const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/STATE-MACHINE.md");

/// The situations of the table's `from` column and how to reach each.
const SITUATIONS: [&str; 16] = [
    "ACTIVE",
    "CONFERENCED",
    "HELD",
    "TRANSFERRED",
    "ACTIVE + one-step conf",
    "ACTIVE + one-step xfer",
    "ACTIVE + init conf",
    "CONSULTING + init conf",
    "CONSULT_ESTABLISHED + init xfer",
    "CONSULTING + complete conf",
    "CONSULT_ESTABLISHED + complete xfer",
    "HELD + complete xfer (busy)",
    "HELD + retrieve (busy)",
    "CONSULTING + retrieve (cancel)",
    "ACTIVE + retrieve (timeout)",
    "ACTIVE + retrieve (timeout, short no-answer)",
];

/// Every input of the table's `input` column.
fn inputs() -> Vec<String> {
    let mut all: Vec<String> = StatusEvent::ALL
        .iter()
        .map(|e| format!("CallStatus {}", e.as_str()))
        .collect();
    all.extend(
        [
            "CallError",
            "EndCall",
            "call_end",
            "start conference_one_step",
            "start conference_consult",
            "start transfer_one_step",
            "start transfer_consult",
            "conference_complete",
            "transfer_complete",
            "consult_cancel",
            "timer",
            "link_down",
            "shutdown",
        ]
        .map(String::from),
    );
    all
}

/// A flow with one call, tracking timers and the latest request's ReqId.
struct Rig {
    flow: Flow,
    now: u64,
    timers: BTreeSet<TimerId>,
    last_request: Option<(String, String)>,
}

impl Rig {
    fn new(config: FlowConfig) -> Rig {
        let mut flow = Flow::new(config);
        flow.link_up(0);
        let mut rig = Rig {
            flow,
            now: 0,
            timers: BTreeSet::new(),
            last_request: None,
        };
        let created = rig.flow.call_new(0, CALL, "5001", None, None, vec![]);
        assert!(created.is_ok());
        rig.collect();
        rig
    }

    /// Drains outputs: (state after, messages sent, outcome).
    fn collect(&mut self) -> (Vec<String>, Option<String>) {
        let mut sent = Vec::new();
        let mut outcome = None;
        for out in self.flow.drain() {
            match out {
                Output::Send(m) => {
                    if let Some(req) = request_of(&m) {
                        self.last_request = Some(req);
                    }
                    sent.push(m.name().to_string());
                }
                Output::Event(e) if e.kind == CallEventKind::OperationDone => {
                    outcome = e.outcome.map(|o| o.name().to_string());
                }
                Output::Event(_) => {}
                Output::SetTimer { timer, .. } => {
                    self.timers.insert(timer);
                }
                Output::CancelTimer(timer) => {
                    self.timers.remove(&timer);
                }
            }
        }
        (sent, outcome)
    }

    fn status(&mut self, e: StatusEvent) {
        let msg = Message::new(CALL, Body::CallStatus(CallStatus::of(e)));
        self.flow.on_message(self.now, &msg);
    }

    fn state(&self) -> String {
        match self
            .flow
            .calls
            .find(CALL)
            .and_then(|s| self.flow.calls.get(s))
        {
            Some(call) => format!("{}/{}", call.state, call.parties),
            None => "ENDED".to_string(),
        }
    }

    /// Applies one input; a refused command gives `refused`.
    fn apply(&mut self, input: &str) -> Result<(), String> {
        let now = self.now;
        let refused = |r: Result<(), super::Refusal>| r.map_err(|_| "refused".to_string());
        let start = |rig: &mut Rig, kind| {
            refused(rig.flow.start(now, CALL, kind, "6001", vec![]).map(|_| ()))
        };
        match input {
            "CallError" => {
                let (failed, req_id) = self.last_request.clone().unwrap_or_default();
                let msg = Message::new(
                    CALL,
                    Body::CallError(CallError {
                        failed_req: Some(failed),
                        tlib_err_code: None,
                        req_id: Some(req_id),
                    }),
                );
                self.flow.on_message(now, &msg);
                Ok(())
            }
            "EndCall" => {
                let msg = Message::new(CALL, Body::EndCall(EndCall::default()));
                self.flow.on_message(now, &msg);
                Ok(())
            }
            "call_end" => refused(self.flow.call_end(now, CALL)),
            "start conference_one_step" => start(self, OpKind::ConferenceOneStep),
            "start conference_consult" => start(self, OpKind::ConferenceConsult),
            "start transfer_one_step" => start(self, OpKind::TransferOneStep),
            "start transfer_consult" => start(self, OpKind::TransferConsult),
            "conference_complete" => {
                refused(self.flow.complete(now, CALL, OpKind::ConferenceComplete))
            }
            "transfer_complete" => refused(self.flow.complete(now, CALL, OpKind::TransferComplete)),
            "consult_cancel" => refused(self.flow.consult_cancel(now, CALL)),
            "timer" => {
                if let Some(timer) = self.timers.iter().next().copied() {
                    self.timers.remove(&timer);
                    self.now += 60_000;
                    self.flow.on_timer(self.now, timer);
                }
                Ok(())
            }
            "link_down" => {
                self.flow.link_down(now);
                Ok(())
            }
            "shutdown" => {
                self.flow.shutdown(now);
                Ok(())
            }
            other => match other
                .strip_prefix("CallStatus ")
                .and_then(StatusEvent::parse)
            {
                Some(e) => {
                    self.status(e);
                    Ok(())
                }
                None => panic!("unknown input {other:?} in the doc table"),
            },
        }
    }

    fn setup(situation: &str) -> Rig {
        // Timer order must not change outcomes (M4): one situation runs
        // with the no-answer bound shorter than the request timeout.
        let config = if situation.contains("short no-answer") {
            FlowConfig {
                no_answer_timeout_ms: 4_000,
                ..FlowConfig::default()
            }
        } else {
            FlowConfig::default()
        };
        let mut rig = Rig::new(config);
        let steps: &[&str] = match situation {
            "ACTIVE" => &[],
            "CONFERENCED" => &["start conference_one_step", "CallStatus ConfPartyAdd"],
            "HELD" => &[
                "start conference_consult",
                "CallStatus Held",
                "CallStatus Busy",
                "CallError",
            ],
            "TRANSFERRED" => &["start transfer_one_step", "CallStatus XferComplete"],
            "ACTIVE + one-step conf" => &["start conference_one_step"],
            "ACTIVE + one-step xfer" => &["start transfer_one_step"],
            "ACTIVE + init conf" => &["start conference_consult"],
            "CONSULTING + init conf" => &["start conference_consult", "CallStatus Held"],
            "CONSULT_ESTABLISHED + init xfer" => &[
                "start transfer_consult",
                "CallStatus Held",
                "CallStatus Established",
            ],
            "CONSULTING + complete conf" => &[
                "start conference_consult",
                "CallStatus Held",
                "CallStatus Dialing",
                "conference_complete",
            ],
            "CONSULT_ESTABLISHED + complete xfer" => &[
                "start transfer_consult",
                "CallStatus Held",
                "CallStatus Established",
                "transfer_complete",
            ],
            "HELD + complete xfer (busy)" => &[
                "start transfer_consult",
                "CallStatus Held",
                "CallStatus Dialing",
                "transfer_complete",
                "CallStatus Busy",
            ],
            "HELD + retrieve (busy)" => &[
                "start conference_consult",
                "CallStatus Held",
                "CallStatus Busy",
            ],
            "ACTIVE + retrieve (timeout)" | "ACTIVE + retrieve (timeout, short no-answer)" => {
                &["start conference_consult", "timer"]
            }
            "CONSULTING + retrieve (cancel)" => &[
                "start conference_consult",
                "CallStatus Held",
                "consult_cancel",
            ],
            other => panic!("unknown situation {other:?} in the doc table"),
        };
        for step in steps {
            assert!(rig.apply(step).is_ok(), "{situation}: {step} refused");
            // Timers and ReqIds of each step are known to the next one.
            rig.collect();
        }
        let state = situation.split(' ').next().unwrap_or_default();
        assert!(
            rig.state().starts_with(&format!("{state}/")),
            "{situation} reached {}",
            rig.state()
        );
        rig
    }
}

/// (ReqId text, FailedReq text) of a request message.
fn request_of(m: &Message) -> Option<(String, String)> {
    let req_id = match &m.body {
        Body::OneStepConf(r) | Body::OneStepXfer(r) | Body::InitConf(r) | Body::InitXfer(r) => {
            r.req_id.clone()
        }
        Body::CompleteConf(r) | Body::CompleteXfer(r) | Body::RetrieveCall(r) => r.req_id.clone(),
        _ => None,
    }?;
    Some((m.name().to_string(), req_id))
}

/// One table row: (to, sent, outcome).
type Row = (String, String, String);

/// What the code does for every (situation, input) pair, in table order,
/// with the state before.
fn observed() -> Vec<((String, String), (Row, String))> {
    let mut all = Vec::new();
    for situation in SITUATIONS {
        for input in inputs() {
            let mut rig = Rig::setup(situation);
            let before = rig.state();
            let result = rig.apply(&input);
            let (sent, outcome) = rig.collect();
            let sent = if sent.is_empty() {
                "–".to_string()
            } else {
                sent.join(", ")
            };
            let outcome = match result {
                Err(refused) => refused,
                Ok(()) => outcome.unwrap_or_else(|| "–".to_string()),
            };
            all.push((
                (situation.to_string(), input),
                ((rig.state(), sent, outcome), before),
            ));
        }
    }
    all
}

/// Whether a row is what the default rule says for this pair.
fn is_default(row: &Row, before: &str, input: &str) -> bool {
    let command = !(input.starts_with("CallStatus")
        || matches!(
            input,
            "CallError" | "EndCall" | "timer" | "link_down" | "shutdown"
        ));
    let outcome = if command { "refused" } else { "–" };
    row.0 == before && row.1 == "–" && row.2 == outcome
}

/// The table rows of the doc: (from, input) -> (to, sent, outcome).
fn documented() -> BTreeMap<(String, String), Row> {
    let text = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(!text.is_empty(), "cannot read {DOC}");
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [from, input, to, sent, outcome] = cells[..] else {
            continue;
        };
        if from == "from" || from.starts_with("---") || !SITUATIONS.contains(&from) {
            continue;
        }
        let key = (from.to_string(), input.trim_matches('`').to_string());
        let row = (to.to_string(), sent.to_string(), outcome.to_string());
        assert!(
            rows.insert(key.clone(), row).is_none(),
            "row {key:?} twice in the doc"
        );
    }
    rows
}

#[test]
fn doc_table_matches_the_code() {
    let documented = documented();
    assert!(documented.len() > 50, "the doc table looks empty");
    let observed: BTreeMap<_, _> = observed().into_iter().collect();
    let mut wrong = Vec::new();
    for (key, row) in &documented {
        match observed.get(key) {
            None => wrong.push(format!("doc row {key:?}: no such situation or input")),
            Some((got, _)) if got != row => wrong.push(format!(
                "doc row {key:?}: doc says {row:?}, code does {got:?}"
            )),
            Some(_) => {}
        }
    }
    for (key, (got, before)) in &observed {
        if !documented.contains_key(key) && !is_default(got, before, &key.1) {
            wrong.push(format!("{key:?} missing from the doc: code does {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/STATE-MACHINE.md and the code disagree:\n{}",
        wrong.join("\n")
    );
}
