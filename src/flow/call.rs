//! One call's record: its state, party count, the operation in flight and
//! what that operation has sent; plus the M2 rules for which command the
//! call accepts now.
//!
//! Data and permission checks only: transitions live in `machine`, output in
//! `apply`. Kept small on purpose (the bench counts bytes per live call).

use super::types::{CallId, CallState, Millis, OpId, OpKind, Refusal, TimerId};
use crate::wire::{FailedReq, StatusEvent};

/// Where an operation stands; together with [`CallState`] it decides how
/// every input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `OneStepConf` / `OneStepXfer` sent, terminal message awaited.
    OneStep,
    /// `InitConf` / `InitXfer` sent; the consult leg is dialling or answered.
    Init,
    /// `CompleteConf` / `CompleteXfer` sent.
    Completing,
    /// A blind complete answered by `Busy`: the server will answer the
    /// complete with a `CallError` and restore the call itself (R3), so no
    /// `RetrieveCall` is sent unless the complete times out (M1).
    CompletingBusy,
    /// Our `RetrieveCall` sent; `Retrieved` will end the op with this outcome.
    Retrieving(super::types::Outcome),
}

/// The requests an op sent, with their `ReqId`s. A consult op sends at most
/// three (init, complete, RetrieveCall), so they live inline.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sent {
    reqs: [(u32, Option<FailedReq>); 3],
    len: u8,
}

impl Sent {
    pub(crate) fn push(&mut self, req_id: u32, req: FailedReq) {
        // A fourth request cannot happen (M2/M4 allow one complete and one
        // retrieve per op); dropping it would only weaken CallError matching.
        if let Some(slot) = self.reqs.get_mut(usize::from(self.len)) {
            *slot = (req_id, Some(req));
            self.len += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = (u32, FailedReq)> + '_ {
        self.reqs[..usize::from(self.len)]
            .iter()
            .filter_map(|(n, r)| r.map(|r| (*n, r)))
    }

    /// The request that carried `req_id`, if this op sent it.
    pub(crate) fn by_req_id(&self, req_id: u32) -> Option<FailedReq> {
        self.iter().find(|(n, _)| *n == req_id).map(|(_, r)| r)
    }

    /// Whether this op sent a request of kind `req`.
    pub(crate) fn contains(&self, req: FailedReq) -> bool {
        self.iter().any(|(_, r)| r == req)
    }
}

/// The operation in flight on a call.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub id: OpId,
    /// One of the four start kinds.
    pub kind: OpKind,
    pub phase: Phase,
    pub sent: Sent,
    /// When the op's latest request went out (all M4 timers count from it).
    pub sent_at: Millis,
    /// A first reaction (any CallStatus) to the latest request has arrived.
    pub reacted: bool,
    /// The server reported `Retrieved` (and no `Held` since): the original
    /// call is back, so the engine must not retrieve it again.
    pub original_back: bool,
}

impl Op {
    pub(crate) fn is_consult(&self) -> bool {
        matches!(
            self.kind,
            OpKind::ConferenceConsult | OpKind::TransferConsult
        )
    }

    pub(crate) fn is_conference(&self) -> bool {
        matches!(
            self.kind,
            OpKind::ConferenceOneStep | OpKind::ConferenceConsult
        )
    }
}

/// One live call.
#[derive(Debug)]
pub(crate) struct Call {
    pub id: CallId,
    pub state: CallState,
    /// Parties including the IVR port: 2 for a plain call.
    pub parties: u32,
    /// The previous CallStatus since our last request (M6 duplicates).
    pub last_event: Option<StatusEvent>,
    pub op: Option<Op>,
    /// When the call became TRANSFERRED (its EndCall timer counts from it).
    pub transferred_at: Millis,
    /// The one timer the call has armed, with its due time.
    pub armed: Option<(TimerId, Millis)>,
    /// The link was lost while the call was live and `reconcile_calls`
    /// asks for a check: the server has not confirmed the call since.
    pub unconfirmed: bool,
}

impl Call {
    pub(crate) fn new(id: &str) -> Call {
        Call {
            id: CallId::new(id),
            state: CallState::Active,
            parties: 2,
            last_event: None,
            op: None,
            transferred_at: 0,
            armed: None,
            unconfirmed: false,
        }
    }

    /// The state of the original call with no consult leg: what a retrieve
    /// or a server-side restore gives back. A consult may start from a
    /// conference, so this is CONFERENCED when the count says so.
    pub(crate) fn base_state(&self) -> CallState {
        if self.parties >= 3 {
            CallState::Conferenced
        } else {
            CallState::Active
        }
    }

    /// M2 for everything after argument, call and connection checks: what
    /// `kind` would get now.
    pub(crate) fn check(&self, kind: OpKind) -> Result<(), Refusal> {
        if kind.is_start() {
            return self.check_start();
        }
        let consult = self
            .op
            .as_ref()
            .filter(|op| op.is_consult() && op.phase == Phase::Init);
        let fits = match (kind, consult) {
            (OpKind::ConsultCancel, Some(_)) => true,
            (OpKind::ConferenceComplete, Some(op)) => op.is_conference(),
            (OpKind::TransferComplete, Some(op)) => !op.is_conference(),
            _ => false,
        };
        if fits {
            return Ok(());
        }
        let what = match kind {
            OpKind::ConferenceComplete => "no conference consult waiting for completion",
            OpKind::TransferComplete => "no transfer consult waiting for completion",
            _ => "no consult that can be cancelled",
        };
        Err(Refusal::InvalidState(format!(
            "{what} (call is {}{})",
            self.state,
            self.op_text()
        )))
    }

    fn check_start(&self) -> Result<(), Refusal> {
        if self.op.is_some() {
            return Err(Refusal::OperationPending);
        }
        match self.state {
            CallState::Active | CallState::Conferenced => Ok(()),
            // Only reachable without an op after `shutdown` cancelled a
            // consult; refusing keeps M1's meaning of these states.
            CallState::Held
            | CallState::Transferred
            | CallState::Consulting
            | CallState::ConsultEstablished
            | CallState::Ended => Err(Refusal::InvalidState(format!("call is {}", self.state))),
        }
    }

    fn op_text(&self) -> &'static str {
        match self.op.as_ref().map(|op| op.phase) {
            None => ", no operation",
            Some(Phase::OneStep) => ", one-step operation in flight",
            Some(Phase::Init) => ", consult of the other kind in flight",
            Some(Phase::Completing | Phase::CompletingBusy) => ", completion outstanding",
            Some(Phase::Retrieving(_)) => ", RetrieveCall outstanding",
        }
    }
}
