"""Callback plumbing: exceptions, lifetime of the trampolines, free_userdata,
closing from inside a callback, concurrent use."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import unittest
import weakref

from _support import IMPORT_PATH, WAIT_S, Recorder, SimTestCase, call_ended, op_done, session_up

from ivrconf import CallState, EventKind, IvrconfError, LogLevel, Outcome, Result
from ivrconf import engine as engine_module
from ivrconf.engine import live_callback_slots


class Boom(Exception):
    pass


class CallbackExceptions(SimTestCase):
    def test_exception_in_callback_is_raised_by_the_next_call(self):
        raised = threading.Event()

        def on_event(ev):
            rec(ev)
            if ev.kind == EventKind.SESSION_UP:
                raised.set()
                raise Boom("from the callback")

        rec = Recorder()
        engine = self.engine(on_event)
        self.assertTrue(raised.wait(WAIT_S))
        rec.wait_for(session_up)
        with self.assertRaises(Boom) as cm:
            engine.call_new("ex-1", "5000")
        self.assertEqual(str(cm.exception), "from the callback")
        # Raised once; the engine kept working and delivering events.
        engine.call_new("ex-1", "5000")
        op = engine.conference_one_step("ex-1", "6001")
        done = rec.wait_for(op_done(op))
        self.assertEqual(done.outcome, Outcome.COMPLETED)
        engine.close()

    def test_exception_in_callback_is_raised_by_close(self):
        raised = threading.Event()

        def on_event(ev):
            if ev.kind == EventKind.SESSION_UP:
                raised.set()
                raise Boom("raised at close")

        engine = self.engine(on_event)
        self.assertTrue(raised.wait(WAIT_S))
        with self.assertRaises(Boom):
            engine.close()
        engine.close()  # nothing pending any more

    def test_base_exceptions_are_contained(self):
        """Even KeyboardInterrupt never unwinds into C; it is raised later."""
        seen = Recorder()

        def on_event(ev):
            seen(ev)
            if ev.kind == EventKind.SESSION_UP:
                raise KeyboardInterrupt

        engine = self.engine(on_event)
        seen.wait_for(session_up)
        with self.assertRaises(KeyboardInterrupt):
            engine.wait_ready(1000)
        engine.wait_ready(1000)

    def test_log_callback(self):
        lines = Recorder()
        engine = self.engine(Recorder(), on_log=lambda level, text: lines((level, text)), log_level="trace")
        level, text = lines.wait_for(lambda item: True, what="a log line")
        self.assertIsInstance(level, LogLevel)
        self.assertIsInstance(text, str)
        engine.close()


class Lifetime(SimTestCase):
    def tearDown(self):
        self.doCleanups()  # close the engines first
        self.assertEqual(engine_module._stray_free_notifies, 0, "free_userdata ran twice for an engine")

    def test_callbacks_survive_gc_during_a_flow(self):
        state = Recorder()

        class Handler:
            """Referenced only through the engine's callback table."""

            def __call__(self, ev):
                gc.collect()  # on the dispatcher thread, mid-flow
                state(ev)

        handler = Handler()
        handler_ref = weakref.ref(handler)
        engine = self.engine(handler)
        handle = engine._handle
        del handler
        gc.collect()
        self.assertIsNotNone(handler_ref(), "the table must keep the callback alive")
        self.assertIn(handle, live_callback_slots())

        engine.call_new("gc-1", "5000")
        op = engine.conference_init("gc-1", "6001")
        for _ in range(3):
            gc.collect()
        state.wait_for(lambda ev: ev.kind == EventKind.CALL_STATUS and ev.call_id == "gc-1")
        gc.collect()
        engine.conference_complete("gc-1")  # allowed before and after Established
        done = state.wait_for(op_done(op))
        self.assertEqual(done.outcome, Outcome.COMPLETED)
        gc.collect()
        engine.call_end("gc-1")
        state.wait_for(call_ended("gc-1"))

        slot = engine._slot
        engine.close()
        self.assertNotIn(handle, live_callback_slots(), "free_userdata must run before engine_free returns")
        self.assertEqual(slot.free_calls, 1)
        del slot
        gc.collect()
        self.assertIsNone(handler_ref(), "the callback must be released after free_userdata")

    def test_free_userdata_runs_once_in_poll_mode(self):
        engine = self.engine()
        handle, slot = engine._handle, engine._slot
        self.assertIn(handle, live_callback_slots())
        engine.close()
        engine.close()
        self.assertEqual(slot.free_calls, 1)
        self.assertNotIn(handle, live_callback_slots())

    def test_close_from_inside_a_callback(self):
        box = []
        after_close = []

        def on_event(ev):
            rec(ev)
            if ev.kind == EventKind.CALL_STATUS and ev.call_id == "in-1" and not after_close:
                box[0].close()  # returns at once; the rest runs after this callback
                after_close.append(box[0].closed)

        rec = Recorder()
        engine = self.engine(on_event)
        box.append(engine)
        engine.call_new("in-1", "5000")
        op = engine.conference_init("in-1", "slow6001")
        self.assertTrue(engine._slot.freed.wait(WAIT_S), "free_userdata never ran")
        self.assertEqual(after_close, [True])
        self.assertEqual(engine._slot.free_calls, 1)
        done = rec.wait_for(op_done(op), timeout=0)
        self.assertEqual(done.outcome, Outcome.CANCELLED)
        with self.assertRaises(IvrconfError) as cm:
            engine.call_state("in-1")
        self.assertEqual(cm.exception.code, Result.SHUT_DOWN)

    def test_methods_from_inside_callbacks(self):
        states = []

        def on_event(ev):
            rec(ev)
            if ev.kind == EventKind.OPERATION_DONE:
                states.append(box[0].call_state(ev.call_id))
                box[0].call_end(ev.call_id)

        box = []
        rec = Recorder()
        engine = self.engine(on_event)
        box.append(engine)
        engine.call_new("cb-1", "5000")
        op = engine.transfer_one_step("cb-1", "7001")
        rec.wait_for(call_ended("cb-1"))
        self.assertEqual(states, [CallState.TRANSFERRED])
        done = [e for e in rec.snapshot() if e.kind == EventKind.OPERATION_DONE]
        self.assertEqual([e.op_id for e in done], [op])

    def test_concurrent_calls_from_threads(self):
        rec = Recorder()
        engine = self.engine(rec)
        errors = []

        def worker(n):
            try:
                for i in range(10):
                    cid = f"t{n}-{i}"
                    engine.call_new(cid, "5000")
                    self.assertEqual(engine.call_state(cid), CallState.ACTIVE)
                    engine.call_end(cid)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT_S)
        self.assertEqual(errors, [])
        ended = rec.wait_count(lambda e: e.kind == EventKind.CALL_ENDED, 40, what="CALL_ENDED")
        self.assertEqual(sorted(e.call_id for e in ended), sorted(f"t{n}-{i}" for n in range(4) for i in range(10)))
        self.sim.wait_received("EndCall", 40, int(WAIT_S * 1000))
        self.assertEqual(self.sim.received_count("NewCall"), 40)


class InterpreterExit(unittest.TestCase):
    def test_engines_left_open_are_closed_at_exit(self):
        """An engine (and simulator) never closed by the program: the
        interpreter exits cleanly, the callback still reachable at exit."""
        script = textwrap.dedent("""
            import sys, threading
            sys.path[:0] = sys.argv[1:]
            import ivrconf
            seen = threading.Event()
            def on_event(ev):
                seen.set()
            sim = ivrconf.Simulator("127.0.0.1:0")
            engine = ivrconf.Engine(server=sim.address, client_name="exit", on_event=on_event,
                                    on_log=lambda level, text: None, log_level="trace")
            engine.wait_ready(5000)
            engine.call_new("x-1", "5000")
            engine.conference_init("x-1", "silent6001")
            assert seen.wait(5)
            print("ok")
        """)
        proc = subprocess.run(
            [sys.executable, "-c", script, *IMPORT_PATH],
            capture_output=True, text=True, timeout=WAIT_S * 3, env=dict(os.environ),
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "ok")
        self.assertNotIn("Exception ignored", proc.stderr)


if __name__ == "__main__":
    unittest.main()
