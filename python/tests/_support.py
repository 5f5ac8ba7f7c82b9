"""Shared test helpers: which copy of the package the tests import, and
event recorders that wait on conditions (never on fixed sleeps).

``make python-tests`` sets ``IVRCONF_TEST_INSTALLED=1`` and runs the suite
with the python of a venv the package was pip-installed into, from a place
where the source tree is not importable: the tests then exercise the
installed copy (``test_package`` checks that). Without the variable (e.g.
``python3 -m unittest discover -s python/tests``) the source tree's
``python/ivrconf`` is put first on ``sys.path``.
"""

import os
import sys
import threading
import time
import unittest
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
HEADER = REPO / "include" / "ivrconf.h"
INSTALLED = os.environ.get("IVRCONF_TEST_INSTALLED") == "1"
#: What a child interpreter needs on ``sys.path`` to import the same copy.
IMPORT_PATH = [] if INSTALLED else [str(PYTHON_DIR)]
if not INSTALLED and str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

import ivrconf  # noqa: E402
from ivrconf import EventKind  # noqa: E402

#: Generous bound on any single wait; the flows themselves use 500 ms timers.
WAIT_S = float(os.environ.get("IVRCONF_TEST_WAIT_S", "10"))

ENGINE_SETTINGS = {
    "client_name": "py-ivr",
    "request_timeout_ms": 500,
    "no_answer_timeout_ms": 500,
    "connect_timeout_ms": 2000,
    "reconnect_min_ms": 50,
    "reconnect_max_ms": 500,
}


def wait_until(predicate, timeout=WAIT_S, what="condition"):
    """Polls ``predicate`` (a cheap query, e.g. a simulator counter) until it
    holds; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


class Recorder:
    """An ``on_event`` callback that records every event; ``react(ev)``, when
    given, runs after recording (on the dispatcher thread)."""

    def __init__(self, react=None):
        self.events = []
        self.cond = threading.Condition()
        self.react = react

    def __call__(self, event):
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()
        if self.react is not None:
            self.react(event)

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def wait_for(self, predicate, timeout=WAIT_S, what="event"):
        """The first recorded event matching ``predicate`` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if predicate(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {what}; got:\n"
                        + "\n".join(f"  {e}" for e in self.events)
                    )
                self.cond.wait(left)


    def wait_count(self, predicate, count, timeout=WAIT_S, what="events"):
        """Waits until ``count`` recorded events match; returns them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [ev for ev in self.events if predicate(ev)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s: {len(found)} of {count} {what}")
                self.cond.wait(left)


class Poller:
    """Reads a poll-mode engine's events into a list."""

    def __init__(self, engine):
        self.engine = engine
        self.events = []

    def wait_for(self, predicate, timeout=WAIT_S, what="event"):
        for ev in self.events:
            if predicate(ev):
                return ev
        deadline = time.monotonic() + timeout
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; got:\n"
                    + "\n".join(f"  {e}" for e in self.events)
                )
            ev = self.engine.next_event(min(left_ms, 200))
            if ev is None:
                continue
            self.events.append(ev)
            if predicate(ev):
                return ev


def op_done(op_id):
    return lambda ev: ev.kind == EventKind.OPERATION_DONE and ev.op_id == op_id


def status(call_id, st):
    return lambda ev: ev.kind == EventKind.CALL_STATUS and ev.call_id == call_id and ev.status == st


def call_ended(call_id):
    return lambda ev: ev.kind == EventKind.CALL_ENDED and ev.call_id == call_id


def session_up(ev):
    return ev.kind == EventKind.SESSION_UP


class SimTestCase(unittest.TestCase):
    """Starts one simulator per test; ``engine(...)`` builds an engine logged
    in to it, closed (and its callback errors surfaced) at cleanup."""

    sim_settings = {}

    def setUp(self):
        self.sim = ivrconf.Simulator("127.0.0.1:0")
        self.addCleanup(self.sim.close)
        for key, value in self.sim_settings.items():
            self.sim.set(key, value)

    def engine(self, on_event=None, ready=True, **settings):
        merged = dict(ENGINE_SETTINGS, server=self.sim.address)
        merged.update(settings)
        engine = ivrconf.Engine(on_event=on_event, **merged)
        self.addCleanup(engine.close)
        if ready:
            engine.wait_ready(int(WAIT_S * 1000))
        return engine

    def wait_received(self, name, count, timeout=WAIT_S):
        self.sim.wait_received(name, count, int(timeout * 1000))
