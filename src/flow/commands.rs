//! The application's commands: announce and end calls, start, complete and
//! cancel operations, and the questions `can` and `call_state`.
//!
//! Every command checks in the M2 order (argument, call, connection, op,
//! state) before it touches anything, so a refusal emits nothing.

use super::call::{Call, Op, Phase, Sent};
use super::calls::Slot;
use super::machine::Input;
use super::types::{CallState, Millis, OpId, OpKind, Output, Refusal};
use super::{validate, Flow};
use crate::wire::{Body, DestRequest, FailedReq, KeyValue, Message, NewCall};

impl Flow {
    /// Announces a call (`NewCall`). The call starts ACTIVE with 2 parties.
    pub fn call_new(
        &mut self,
        _now: Millis,
        call_id: &str,
        called_num: &str,
        dnis: Option<&str>,
        ani: Option<&str>,
        udata: Vec<KeyValue>,
    ) -> Result<(), Refusal> {
        validate::call_id(call_id)?;
        validate::required("called_num", called_num)?;
        let dnis = dnis.filter(|s| !s.is_empty());
        let ani = ani.filter(|s| !s.is_empty());
        if let Some(d) = dnis {
            validate::text("dnis", d)?;
        }
        if let Some(a) = ani {
            validate::text("ani", a)?;
        }
        validate::udata(
            &udata,
            &[call_id, called_num, dnis.unwrap_or(""), ani.unwrap_or("")],
        )?;
        if self.calls.find(call_id).is_some() {
            return Err(Refusal::CallExists);
        }
        self.require_connection()?;
        let body = Body::NewCall(NewCall {
            call_control_mode: Some(self.config.call_control_mode.clone()),
            version: Some(self.config.protocol_version.clone()),
            called_num: called_num.to_string(),
            dnis: dnis.map(str::to_string),
            ani: ani.map(str::to_string),
            udata,
            extensions: Vec::new(),
        });
        self.out
            .push_back(Output::Send(Message::new(call_id, body)));
        self.calls.insert(Call::new(call_id));
        Ok(())
    }

    /// Ends a call from the application side: `EndCall EndCause="Normal"`
    /// when logged in (else a local end), the op in flight ends CALL_ENDED,
    /// then CALL_ENDED; the id is free when this returns.
    pub fn call_end(&mut self, now: Millis, call_id: &str) -> Result<(), Refusal> {
        let slot = self.live(call_id)?;
        self.apply(slot, now, Input::AppEnd);
        Ok(())
    }

    /// Starts one of the four operations: sends `OneStepConf`,
    /// `OneStepXfer`, `InitConf` or `InitXfer` and returns the new op id.
    pub fn start(
        &mut self,
        now: Millis,
        call_id: &str,
        kind: OpKind,
        dest: &str,
        udata: Vec<KeyValue>,
    ) -> Result<OpId, Refusal> {
        validate::call_id(call_id)?;
        let (request, phase) = match kind {
            OpKind::ConferenceOneStep => (FailedReq::OneStepConf, Phase::OneStep),
            OpKind::TransferOneStep => (FailedReq::OneStepXfer, Phase::OneStep),
            OpKind::ConferenceConsult => (FailedReq::InitConf, Phase::Init),
            OpKind::TransferConsult => (FailedReq::InitXfer, Phase::Init),
            OpKind::ConferenceComplete | OpKind::TransferComplete | OpKind::ConsultCancel => {
                return Err(Refusal::InvalidArgument(format!(
                    "op kind {kind} does not start an operation"
                )))
            }
        };
        validate::required("dest", dest)?;
        validate::udata(&udata, &[call_id, dest])?;
        let slot = self.permitted(call_id, kind)?;
        let id = self.next_op;
        self.next_op += 1;
        let req_id = self.take_req_id();
        let mut sent = Sent::default();
        sent.push(req_id, request);
        let body = DestRequest {
            dest_dn: dest.to_string(),
            req_id: self.req_id_text(req_id),
            udata,
            extensions: Vec::new(),
        };
        let body = match request {
            FailedReq::OneStepConf => Body::OneStepConf(body),
            FailedReq::OneStepXfer => Body::OneStepXfer(body),
            FailedReq::InitConf => Body::InitConf(body),
            _ => Body::InitXfer(body),
        };
        if let Some(call) = self.calls.get_mut(slot) {
            // M1: sending changes no state; only the op and M6's duplicate
            // memory ("no request sent in between") change.
            call.op = Some(Op {
                id,
                kind,
                phase,
                sent,
                sent_at: now,
                reacted: false,
                original_back: false,
            });
            call.last_event = None;
            self.out
                .push_back(Output::Send(Message::new(call_id, body)));
        }
        self.reconcile_timer(slot);
        Ok(id)
    }

    /// `CompleteConf` (kind `ConferenceComplete`) or `CompleteXfer` (kind
    /// `TransferComplete`) for the consult in flight.
    pub fn complete(&mut self, now: Millis, call_id: &str, kind: OpKind) -> Result<(), Refusal> {
        validate::call_id(call_id)?;
        if !matches!(kind, OpKind::ConferenceComplete | OpKind::TransferComplete) {
            return Err(Refusal::InvalidArgument(format!(
                "op kind {kind} is not a completion"
            )));
        }
        let slot = self.permitted(call_id, kind)?;
        self.apply(slot, now, Input::Complete);
        Ok(())
    }

    /// Abandons the consult in flight: `RetrieveCall`, then CANCELLED on
    /// `Retrieved`.
    pub fn consult_cancel(&mut self, now: Millis, call_id: &str) -> Result<(), Refusal> {
        let slot = self.permitted(call_id, OpKind::ConsultCancel)?;
        self.apply(slot, now, Input::Cancel);
        Ok(())
    }

    /// What the command for `kind` would get now, without doing it.
    pub fn can(&self, call_id: &str, kind: OpKind) -> Result<(), Refusal> {
        self.permitted(call_id, kind).map(|_| ())
    }

    /// The call's state (answered locally, also when not logged in).
    pub fn call_state(&self, call_id: &str) -> Result<CallState, Refusal> {
        let slot = self.live(call_id)?;
        self.calls
            .get(slot)
            .map(|call| call.state)
            .ok_or(Refusal::UnknownCall)
    }

    /// The slot of a live call, after checking the id.
    fn live(&self, call_id: &str) -> Result<Slot, Refusal> {
        validate::call_id(call_id)?;
        self.calls.find(call_id).ok_or(Refusal::UnknownCall)
    }

    /// The slot of a call on which `kind` may run now (M2 order).
    fn permitted(&self, call_id: &str, kind: OpKind) -> Result<Slot, Refusal> {
        let slot = self.live(call_id)?;
        self.require_connection()?;
        let call = self.calls.get(slot).ok_or(Refusal::UnknownCall)?;
        call.check(kind)?;
        Ok(slot)
    }

    fn require_connection(&self) -> Result<(), Refusal> {
        if self.connected {
            Ok(())
        } else {
            Err(Refusal::NotConnected)
        }
    }
}
