"""Call flows against the in-process simulator, in callback and poll mode."""

import unittest

from _support import (
    Poller,
    Recorder,
    SimTestCase,
    call_ended,
    op_done,
    session_up,
    status,
)

from ivrconf import CallState, EventKind, IvrconfError, OpKind, Outcome, Request, Result, Status


def dones(events, op_id):
    return [e for e in events if e.kind == EventKind.OPERATION_DONE and e.op_id == op_id]


class CallbackFlows(SimTestCase):
    def test_consult_conference_completes(self):
        """C3: InitConf, Established, CompleteConf from inside the callback,
        ConfPartyAdd => COMPLETED, CONFERENCED, 3 parties."""
        engine_box = []

        def react(ev):
            if ev.kind == EventKind.CALL_STATUS and ev.status == Status.ESTABLISHED and ev.call_id == "conf-1":
                engine_box[0].conference_complete("conf-1")

        rec = Recorder(react)
        engine = self.engine(rec)
        engine_box.append(engine)
        up = rec.wait_for(session_up, what="SESSION_UP")
        self.assertIsNone(up.call_id)
        self.assertTrue(up.text)

        engine.call_new("conf-1", "5000", dnis="5000", ani="4155550100", udata={"lang": "en"})
        self.assertEqual(engine.call_state("conf-1"), CallState.ACTIVE)
        op = engine.conference_init("conf-1", "6001", udata=[("reason", "consult"), ("agent", "Zoë")])
        self.assertGreater(op, 0)

        done = rec.wait_for(op_done(op), what="OPERATION_DONE")
        self.assertEqual(done.outcome, Outcome.COMPLETED, done)
        self.assertEqual(done.call_state, CallState.CONFERENCED)
        self.assertEqual(done.party_count, 3)
        self.assertEqual(done.op_kind, OpKind.CONFERENCE_CONSULT)
        self.assertEqual(done.call_id, "conf-1")
        self.assertIsNone(done.failed_request)
        self.assertIsNone(done.tlib_error)
        self.assertEqual(engine.call_state("conf-1"), CallState.CONFERENCED)
        statuses = [e.status for e in rec.snapshot() if e.kind == EventKind.CALL_STATUS and e.call_id == "conf-1"]
        self.assertIn(Status.ESTABLISHED, statuses)
        self.assertEqual(statuses[-1], Status.CONF_PARTY_ADD)

        engine.call_end("conf-1")
        with self.assertRaises(IvrconfError) as cm:
            engine.call_state("conf-1")
        self.assertEqual(cm.exception.code, Result.UNKNOWN_CALL)
        rec.wait_for(call_ended("conf-1"), what="CALL_ENDED")
        self.wait_received("EndCall", 1)
        self.assertEqual(len(dones(rec.snapshot(), op)), 1)
        self.assertEqual(self.sim.received_count("InitConf"), 1)
        self.assertEqual(self.sim.received_count("CompleteConf"), 1)
        self.assertEqual(self.sim.received_count("RetrieveCall"), 0)
        events = rec.snapshot()
        self.assertEqual([e for e in events if e.call_id == "conf-1"][-1].kind, EventKind.CALL_ENDED)

    def test_consult_conference_busy(self):
        """C5: Busy => the engine sends RetrieveCall itself; BUSY, ACTIVE,
        delivered after the Retrieved CALL_STATUS."""
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("busy-1", "5000")
        op = engine.conference_init("busy-1", "busy6001")
        done = rec.wait_for(op_done(op), what="OPERATION_DONE")
        self.assertEqual(done.outcome, Outcome.BUSY, done)
        self.assertEqual(done.call_state, CallState.ACTIVE)
        self.assertEqual(done.party_count, 2)
        self.assertEqual(engine.call_state("busy-1"), CallState.ACTIVE)

        events = [e for e in rec.snapshot() if e.call_id == "busy-1"]
        kinds = [(e.kind, e.status) for e in events]
        busy_at = kinds.index((EventKind.CALL_STATUS, Status.BUSY))
        retrieved_at = kinds.index((EventKind.CALL_STATUS, Status.RETRIEVED))
        done_at = events.index(done)
        self.assertLess(busy_at, retrieved_at)
        self.assertLess(retrieved_at, done_at, "Retrieved must be reported before the BUSY outcome")

        engine.call_end("busy-1")
        self.wait_received("EndCall", 1)
        self.assertEqual(self.sim.received_count("RetrieveCall"), 1)
        rec.wait_for(call_ended("busy-1"))
        self.assertEqual(len(dones(rec.snapshot(), op)), 1)

    def test_consult_conference_failed(self):
        """C6: CallError at InitConf => FAILED, ACTIVE, and no RetrieveCall (R3, R4)."""
        self.sim.set("tlib_err_code", 57)
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("fail-1", "5000")
        op = engine.conference_init("fail-1", "fail6001")
        done = rec.wait_for(op_done(op), what="OPERATION_DONE")
        self.assertEqual(done.outcome, Outcome.FAILED, done)
        self.assertEqual(done.call_state, CallState.ACTIVE)
        self.assertEqual(done.failed_request, Request.INIT_CONF)
        self.assertEqual(done.tlib_error, 57)
        self.assertEqual(engine.call_state("fail-1"), CallState.ACTIVE)

        # Everything the engine sent before its EndCall has reached the
        # simulator once the EndCall has (one TCP stream, read in order).
        engine.call_end("fail-1")
        self.wait_received("EndCall", 1)
        self.assertEqual(self.sim.received_count("RetrieveCall"), 0)
        self.assertEqual(self.sim.received_count("InitConf"), 1)
        rec.wait_for(call_ended("fail-1"))
        self.assertEqual(len(dones(rec.snapshot(), op)), 1)

    def test_one_step_conference_then_transfer(self):
        """C1 then T1 on the same call: CONFERENCED (3) then TRANSFERRED."""
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("os-1", "5000")
        op1 = engine.conference_one_step("os-1", "6001")
        done1 = rec.wait_for(op_done(op1))
        self.assertEqual((done1.outcome, done1.call_state, done1.party_count),
                         (Outcome.COMPLETED, CallState.CONFERENCED, 3))
        self.assertEqual(done1.op_kind, OpKind.CONFERENCE_ONE_STEP)
        op2 = engine.transfer_one_step("os-1", "7001", udata={"k": "v"})
        self.assertNotEqual(op1, op2)
        done2 = rec.wait_for(op_done(op2))
        self.assertEqual((done2.outcome, done2.call_state), (Outcome.COMPLETED, CallState.TRANSFERRED))
        self.assertEqual(done2.op_kind, OpKind.TRANSFER_ONE_STEP)
        self.assertFalse(engine.call_can("os-1", OpKind.CONFERENCE_ONE_STEP))
        engine.call_end("os-1")
        rec.wait_for(call_ended("os-1"))

    def test_consult_cancel(self):
        """consult_cancel after Established: RetrieveCall => CANCELLED, ACTIVE."""
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("cx-1", "5000")
        op = engine.transfer_init("cx-1", "7001")
        rec.wait_for(status("cx-1", Status.ESTABLISHED))
        self.assertEqual(engine.call_state("cx-1"), CallState.CONSULT_ESTABLISHED)
        self.assertTrue(engine.call_can("cx-1", OpKind.CONSULT_CANCEL))
        self.assertFalse(engine.call_can("cx-1", OpKind.CONFERENCE_COMPLETE))
        engine.consult_cancel("cx-1")
        done = rec.wait_for(op_done(op))
        self.assertEqual((done.outcome, done.call_state), (Outcome.CANCELLED, CallState.ACTIVE))
        self.assertEqual(self.sim.received_count("RetrieveCall"), 1)

    def test_shutdown_cancels_the_operation_in_flight(self):
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("sd-1", "5000")
        op = engine.conference_init("sd-1", "silent6001")
        engine.shutdown()
        done = rec.wait_for(op_done(op))
        self.assertEqual(done.outcome, Outcome.CANCELLED)
        with self.assertRaises(IvrconfError) as cm:
            engine.call_new("sd-2", "5000")
        self.assertEqual(cm.exception.code, Result.SHUT_DOWN)
        engine.close()
        events = rec.snapshot()
        self.assertEqual(len(dones(events, op)), 1)
        self.assertFalse([e for e in events if e.kind in (EventKind.CALL_ENDED, EventKind.SESSION_DOWN)])


class ConsultOutcomes(SimTestCase):
    """Every consult outcome the simulator can script, through the binding:
    outcome, state after, failed request, and how many RetrieveCall."""

    SCENARIOS = [
        # dest, consult kind, complete at once, outcome, state, failed request, RetrieveCall
        ("noanswer6001", "conference", False, Outcome.NO_ANSWER, CallState.ACTIVE, None, 1),
        ("failcomplete6001", "conference", True, Outcome.FAILED, CallState.ACTIVE, Request.COMPLETE_CONF, 0),
        ("failcomplete7001", "transfer", True, Outcome.FAILED, CallState.ACTIVE, Request.COMPLETE_XFER, 0),
        ("fail7001", "transfer", False, Outcome.FAILED, CallState.ACTIVE, Request.INIT_XFER, 0),
        ("hangup6001", "conference", False, Outcome.CONSULT_RELEASED, CallState.ACTIVE, None, 1),
        ("retrievefail6001", "conference", False, Outcome.RETRIEVE_FAILED, CallState.HELD, Request.RETRIEVE_CALL, 1),
        ("silent6001", "conference", False, Outcome.TIMEOUT, CallState.ACTIVE, None, 1),
        ("slow6001", "conference", True, Outcome.COMPLETED, CallState.CONFERENCED, None, 0),
        ("slow7001", "transfer", True, Outcome.COMPLETED, CallState.TRANSFERRED, None, 0),
    ]

    def test_consult_outcomes(self):
        rec = Recorder()
        engine = self.engine(rec)
        retrieves = 0
        for n, (dest, kind, complete, outcome, state, failed, retrieve) in enumerate(self.SCENARIOS):
            with self.subTest(dest=dest, kind=kind):
                call_id = f"co-{n}"
                engine.call_new(call_id, "5000")
                op = getattr(engine, f"{kind}_init")(call_id, dest)
                if complete:
                    getattr(engine, f"{kind}_complete")(call_id)
                done = rec.wait_for(op_done(op))
                self.assertEqual((done.outcome, done.call_state, done.failed_request), (outcome, state, failed), done)
                self.assertEqual(done.op_kind, OpKind.CONFERENCE_CONSULT if kind == "conference" else OpKind.TRANSFER_CONSULT)
                if failed is not None:
                    self.assertEqual(done.tlib_error, 56)  # the simulator's default TLibErrCode
                self.assertEqual(engine.call_state(call_id), state)
                engine.call_end(call_id)
                self.wait_received("EndCall", n + 1)
                retrieves += retrieve
                self.assertEqual(self.sim.received_count("RetrieveCall"), retrieves)
                rec.wait_for(call_ended(call_id))
                self.assertEqual(len(dones(rec.snapshot(), op)), 1)


class Session(SimTestCase):
    def test_link_loss_reconnect_and_unknown_call_ids(self):
        """Link lost mid-consult: LINK_LOST (HELD), then SESSION_DOWN, then a
        new login; the simulator's events for call ids never announced are
        not delivered."""
        self.sim.set("unknown_call_events", 1)
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("ll-1", "5000")
        op = engine.conference_init("ll-1", "6001")
        rec.wait_for(status("ll-1", Status.ESTABLISHED))
        self.sim.set("close_connections", "now")
        done = rec.wait_for(op_done(op))
        self.assertEqual((done.outcome, done.call_state), (Outcome.LINK_LOST, CallState.HELD))
        down = rec.wait_for(lambda ev: ev.kind == EventKind.SESSION_DOWN)
        self.assertIsNone(down.call_id)
        ups = rec.wait_count(session_up, 2, what="SESSION_UP")
        events = rec.snapshot()
        at = [next(i for i, e in enumerate(events) if e is ev) for ev in (done, down, ups[1])]
        self.assertEqual(at, sorted(at), "LINK_LOST, SESSION_DOWN, SESSION_UP in this order")
        engine.wait_ready(1000)
        self.assertEqual(self.sim.connection_count(), 2)
        self.assertEqual(engine.call_state("ll-1"), CallState.HELD)
        self.assertEqual({e.call_id for e in events if e.call_id is not None}, {"ll-1"})
        engine.call_end("ll-1")
        rec.wait_for(call_ended("ll-1"))


class EventFields(SimTestCase):
    def test_fields_of_call_status_events(self):
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("ef-1", "5000")
        op = engine.conference_one_step("ef-1", "6001")
        rec.wait_for(op_done(op))
        st = rec.wait_for(status("ef-1", Status.CONF_PARTY_ADD))
        self.assertIsNone(st.outcome)
        self.assertIsNone(st.failed_request)
        self.assertIsNone(st.tlib_error)
        self.assertEqual((st.call_state, st.party_count), (CallState.CONFERENCED, 3))
        self.assertTrue(st.text)

    def test_op_id_names_the_op_in_flight(self):
        """Header: op id/kind are the op that ended (OPERATION_DONE) or the
        op in flight (CALL_STATUS); 0 (None) when none."""
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("ef-2", "5000")
        op = engine.conference_one_step("ef-2", "6001")
        rec.wait_for(op_done(op))
        engine.call_end("ef-2")
        rec.wait_for(call_ended("ef-2"))
        for ev in rec.snapshot():
            with self.subTest(event=ev):
                if ev.kind in (EventKind.CALL_STATUS, EventKind.OPERATION_DONE):
                    self.assertEqual((ev.op_id, ev.op_kind), (op, OpKind.CONFERENCE_ONE_STEP))
                else:
                    self.assertEqual((ev.op_id, ev.op_kind), (None, None))


class PollFlows(SimTestCase):
    def test_poll_mode_shutdown_keeps_events_readable(self):
        engine = self.engine()
        poll = Poller(engine)
        engine.call_new("ps-1", "5000")
        op = engine.conference_init("ps-1", "silent6001")
        engine.shutdown()
        done = poll.wait_for(op_done(op))
        self.assertEqual(done.outcome, Outcome.CANCELLED)
        with self.assertRaises(IvrconfError) as cm:
            engine.wait_ready(0)
        self.assertEqual(cm.exception.code, Result.SHUT_DOWN)
        # Drained after shutdown: SHUT_DOWN at once, however long the wait.
        with self.assertRaises(IvrconfError) as cm:
            engine.next_event(10000)
        self.assertEqual(cm.exception.code, Result.SHUT_DOWN)
        self.assertEqual(self.sim.received_count("RetrieveCall"), 0)

    def test_poll_mode_consult_transfer(self):
        """T2 in poll mode: InitXfer, Established, CompleteXfer => COMPLETED,
        TRANSFERRED; the engine then ends the call itself (EndCall timer)."""
        engine = self.engine()
        self.assertTrue(engine.poll_mode)
        poll = Poller(engine)
        poll.wait_for(session_up, what="SESSION_UP")

        engine.call_new("px-1", "5000", ani="4155550100")
        self.assertFalse(engine.call_can("px-1", OpKind.TRANSFER_COMPLETE))
        with self.assertRaises(IvrconfError) as cm:
            engine.call_check("px-1", OpKind.TRANSFER_COMPLETE)
        self.assertEqual(cm.exception.code, Result.INVALID_STATE)
        self.assertTrue(engine.call_can("px-1", OpKind.TRANSFER_CONSULT))

        op = engine.transfer_init("px-1", "7001")
        self.assertFalse(engine.call_can("px-1", OpKind.CONFERENCE_ONE_STEP))
        with self.assertRaises(IvrconfError) as cm:
            engine.conference_one_step("px-1", "6001")
        self.assertEqual(cm.exception.code, Result.OPERATION_PENDING)

        poll.wait_for(status("px-1", Status.ESTABLISHED), what="Established")
        engine.transfer_complete("px-1")
        done = poll.wait_for(op_done(op), what="OPERATION_DONE")
        self.assertEqual((done.outcome, done.call_state), (Outcome.COMPLETED, CallState.TRANSFERRED))
        self.assertEqual(done.op_kind, OpKind.TRANSFER_CONSULT)
        self.assertEqual(engine.call_state("px-1"), CallState.TRANSFERRED)

        # No server EndCall (simulator default): request_timeout_ms later the
        # engine sends EndCall itself and reports CALL_ENDED.
        poll.wait_for(call_ended("px-1"), what="CALL_ENDED")
        self.wait_received("EndCall", 1)
        self.assertEqual(self.sim.received_count("CompleteXfer"), 1)
        self.assertEqual(self.sim.received_count("RetrieveCall"), 0)
        self.assertEqual(len(dones(poll.events, op)), 1)
        self.assertIsNone(engine.next_event(0))

    def test_poll_mode_busy_transfer(self):
        """T3 in poll mode: same events, same order as callback mode."""
        engine = self.engine()
        poll = Poller(engine)
        engine.call_new("pb-1", "5000")
        op = engine.transfer_init("pb-1", "busy7001")
        done = poll.wait_for(op_done(op))
        self.assertEqual((done.outcome, done.call_state), (Outcome.BUSY, CallState.ACTIVE))
        statuses = [e.status for e in poll.events if e.kind == EventKind.CALL_STATUS]
        self.assertIn(Status.RETRIEVED, statuses)


if __name__ == "__main__":
    unittest.main()
