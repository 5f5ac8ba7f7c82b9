"""Call traces through the binding: ``Engine.trace`` in its three formats."""

import json
import unittest

from _support import Recorder, SimTestCase, op_done

import ivrconf
from ivrconf import IvrconfError, Result, TraceFormat


class Traces(SimTestCase):
    def test_busy_consult_trace_shows_both_directions(self):
        rec = Recorder()
        engine = self.engine(rec)
        engine.call_new("tr-1", "5000")
        op = engine.conference_init("tr-1", "busy6001")
        rec.wait_for(op_done(op), what="OPERATION_DONE")
        text = engine.trace("tr-1")
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("+0.000 app call_new"), lines[0])
        self.assertTrue(any(" S->I CallStatus " in l and "Event=Busy" in l for l in lines), text)
        retrieve = [l for l in lines if " I->S RetrieveCall " in l]
        self.assertEqual(len(retrieve), 1, text)
        self.assertTrue(retrieve[0].endswith("(sent by the engine)"), retrieve[0])

        entries = [json.loads(l) for l in engine.trace("tr-1", "jsonl").splitlines()]
        self.assertEqual(entries[0]["ivrconf_trace"], 1)
        self.assertEqual(entries[0]["call_id"], "tr-1")
        frames = [e for e in entries[1:] if e["dir"] in ("I->S", "S->I")]
        self.assertTrue(all(e["bytes"].encode("latin-1").startswith(b"<") for e in frames))
        mermaid = engine.trace("tr-1", TraceFormat.MERMAID)
        self.assertTrue(mermaid.startswith("sequenceDiagram"))

    def test_unknown_call_and_format(self):
        engine = self.engine(Recorder())
        with self.assertRaises(IvrconfError) as ctx:
            engine.trace("nope")
        self.assertEqual(ctx.exception.code, Result.UNKNOWN_CALL)
        engine.call_new("tr-2", "5000")
        with self.assertRaises(ValueError):
            engine.trace("tr-2", "svg")
        with self.assertRaises(IvrconfError) as ctx:
            engine.trace("tr-2", 9)
        self.assertEqual(ctx.exception.code, Result.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
