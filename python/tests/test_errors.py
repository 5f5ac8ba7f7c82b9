"""Result codes -> exceptions: the class of each family, code, constant
name and last-error text."""

import builtins
import pickle
import threading
import unittest

from _support import Recorder, SimTestCase, ivrconf

from ivrconf import (
    ArgumentError,
    CallExistsError,
    Config,
    ConfigError,
    Engine,
    InvalidStateError,
    IoError,
    IvrconfError,
    NotConnectedError,
    OperationPendingError,
    OpKind,
    PanicError,
    RefusedError,
    Result,
    ShutDownError,
    UnknownCallError,
    UnknownKeyError,
    error_class,
)
from ivrconf.engine import live_callback_slots

#: The class each code must raise (written out: the test must not reuse the
#: binding's own table).
EXPECTED_CLASS = {
    Result.NULL_ARGUMENT: ArgumentError,
    Result.INVALID_ARGUMENT: ArgumentError,
    Result.UNKNOWN_KEY: UnknownKeyError,
    Result.CONFIG: ConfigError,
    Result.UNKNOWN_CALL: UnknownCallError,
    Result.CALL_EXISTS: CallExistsError,
    Result.NOT_CONNECTED: NotConnectedError,
    Result.OPERATION_PENDING: OperationPendingError,
    Result.INVALID_STATE: InvalidStateError,
    Result.TIMEOUT: ivrconf.TimeoutError,
    Result.SHUT_DOWN: ShutDownError,
    Result.PANIC: PanicError,
    Result.IO: IoError,
}


def raised(fn, *args):
    """The IvrconfError ``fn(*args)`` raises (AssertionError if none), checked
    to be exactly the class of its code."""
    try:
        fn(*args)
    except IvrconfError as exc:
        if type(exc) is not EXPECTED_CLASS.get(exc.code, IvrconfError):
            raise AssertionError(f"{exc.code!r} raised as {type(exc).__name__}") from exc
        return exc
    raise AssertionError(f"{getattr(fn, '__name__', fn)} raised nothing")


class Hierarchy(unittest.TestCase):
    def test_every_error_code_has_its_class(self):
        errors = [code for code in Result if code != Result.OK]
        self.assertEqual(set(EXPECTED_CLASS), set(errors))
        for code in errors:
            with self.subTest(code=code.name):
                cls = error_class(code)
                self.assertIs(cls, EXPECTED_CLASS[code])
                self.assertIn(code, cls.codes)
                err = cls(code, "why")
                self.assertEqual((err.code, err.name, err.message, err.args), (code, code.c_name, "why", (code, "why")))
                self.assertIsInstance(err, IvrconfError)

    def test_unknown_code_raises_the_base(self):
        self.assertIs(error_class(9999), IvrconfError)
        err = IvrconfError.from_result(9999, "ivrconf_future")
        self.assertIs(type(err), IvrconfError)
        self.assertEqual((err.code, err.name, err.function), (9999, "IVRCONF_ERR_UNKNOWN", "ivrconf_future"))

    def test_refusals_are_one_family(self):
        refusals = {Result.UNKNOWN_CALL, Result.CALL_EXISTS, Result.NOT_CONNECTED,
                    Result.OPERATION_PENDING, Result.INVALID_STATE}
        for code, cls in EXPECTED_CLASS.items():
            with self.subTest(code=code.name):
                self.assertEqual(issubclass(cls, RefusedError), code in refusals)
        self.assertTrue(issubclass(UnknownKeyError, ArgumentError))

    def test_builtin_bases(self):
        timeout = ivrconf.TimeoutError(Result.TIMEOUT, "waited")
        self.assertIsInstance(timeout, builtins.TimeoutError)
        self.assertIsInstance(timeout, OSError)
        self.assertIsNone(timeout.errno)  # the code is not an errno
        self.assertIsInstance(IoError(Result.IO, "bind"), OSError)
        self.assertIsNone(IoError(Result.IO, "bind").errno)
        self.assertIsInstance(ArgumentError(Result.INVALID_ARGUMENT, "x"), ValueError)
        self.assertNotIn("TimeoutError", ivrconf.__all__)  # import * keeps the builtin

    def test_str_repr_and_pickle(self):
        err = UnknownCallError(Result.UNKNOWN_CALL, "no call c-1", function="ivrconf_call_end")
        self.assertEqual(str(err), "ivrconf_call_end: IVRCONF_ERR_UNKNOWN_CALL: no call c-1")
        self.assertEqual(repr(err), "UnknownCallError(<Result.UNKNOWN_CALL: 5>, 'no call c-1')")
        back = pickle.loads(pickle.dumps(err))
        self.assertIs(type(back), UnknownCallError)
        self.assertEqual((back.code, back.message, back.function), (err.code, err.message, err.function))


class LibraryRaisesEachFamily(SimTestCase):
    """Every code the library can be made to return, raised as its class."""

    def test_argument_and_config_families(self):
        with Config() as cfg:
            err = raised(cfg.set, "no_such_key", "1")
            self.assertIsInstance(err, ArgumentError)
            err = raised(cfg.set, "request_timeout_ms", "soon")
            self.assertEqual(err.code, Result.INVALID_ARGUMENT)
            self.assertIsInstance(err, ValueError)
        err = raised(lambda: Engine(client_name="py-ivr"))
        self.assertEqual(err.code, Result.CONFIG)

    def test_call_refusals(self):
        rec = Recorder()
        eng = self.engine(rec)
        self.assertIsInstance(raised(eng.call_end, "nope"), UnknownCallError)
        eng.call_new("r-1", "5000")
        self.assertIsInstance(raised(eng.call_new, "r-1", "5000"), CallExistsError)
        self.assertIsInstance(raised(eng.conference_complete, "r-1"), InvalidStateError)
        eng.transfer_init("r-1", "7001")  # in flight until completed or cancelled
        err = raised(eng.conference_one_step, "r-1", "6001")
        self.assertIsInstance(err, OperationPendingError)
        self.assertIsInstance(err, RefusedError)
        self.assertFalse(eng.call_can("r-1", OpKind.CONFERENCE_ONE_STEP))
        eng.call_end("r-1")
        eng.shutdown()
        self.assertIsInstance(raised(eng.call_new, "r-2", "5000"), ShutDownError)

    def test_io_and_timeout(self):
        err = raised(ivrconf.Simulator, self.sim.address)  # address in use
        self.assertIsInstance(err, OSError)
        with self.assertRaises(builtins.TimeoutError) as cm:
            self.sim.wait_received("NoSuchFrame", 1, 10)
        self.assertIs(type(cm.exception), ivrconf.TimeoutError)
        self.assertEqual(cm.exception.function, "ivrconf_sim_wait_received")


class ConfigErrors(unittest.TestCase):
    def assertRefused(self, code, fn, *args, mentions=()):
        with self.assertRaises(IvrconfError) as cm:
            fn(*args)
        err = cm.exception
        self.assertEqual(err.code, code, str(err))
        self.assertIsInstance(err.code, Result)
        self.assertEqual(err.name, code.c_name)
        for text in mentions:
            self.assertIn(text, err.message)
            self.assertIn(text, str(err))
        return err

    def test_unknown_key(self):
        with Config() as cfg:
            err = self.assertRefused(Result.UNKNOWN_KEY, cfg.set, "no_such_key", "1", mentions=["no_such_key"])
            self.assertEqual(err.function, "ivrconf_config_set")
            self.assertEqual(ivrconf.last_error(), err.message)
        self.assertRefused(Result.UNKNOWN_KEY, lambda: Config(colour="blue"), mentions=["colour"])

    def test_bad_values_name_the_key(self):
        with Config() as cfg:
            for key, value in [
                ("server", "host:notaport"),
                ("request_timeout_ms", "-5"),
                ("request_timeout_ms", ""),
                ("no_answer_timeout_ms", "soon"),
                ("log_level", "loud"),
                ("send_req_id", "perhaps"),
            ]:
                with self.subTest(key=key, value=value):
                    self.assertRefused(Result.INVALID_ARGUMENT, cfg.set, key, value, mentions=[key])
            cfg.set("send_req_id", "TRUE").set("keepalive_interval_ms", 0).set("report_status", False)
            cfg.set("server", ["127.0.0.1:7001", "127.0.0.1:7002"])

    def test_values_that_can_never_be_sent_are_refused(self):
        with Config() as cfg:
            for key, limit in [("client_name", 255), ("protocol_version", 64), ("call_control_mode", 64)]:
                with self.subTest(key=key):
                    cfg.set(key, "v" * limit)
                    self.assertRefused(
                        Result.INVALID_ARGUMENT, cfg.set, key, "v" * (limit + 1), mentions=[key, str(limit)]
                    )
            self.assertRefused(
                Result.INVALID_ARGUMENT, cfg.set, "client_name", "n" * 70_000, mentions=["client_name", "255"]
            )

    def test_python_values_are_formatted(self):
        with Config(request_timeout_ms=500, send_req_id=True, log_level="debug") as cfg:
            with self.assertRaises(TypeError):
                cfg.set("request_timeout_ms", 0.5)

    def test_engine_config_refused(self):
        before = live_callback_slots()
        with self.assertRaises(IvrconfError) as cm:
            Engine(client_name="py-ivr", on_event=lambda ev: None)  # no server
        self.assertEqual(cm.exception.code, Result.CONFIG)
        self.assertTrue(cm.exception.message)
        with self.assertRaises(IvrconfError) as cm:
            Engine(server="127.0.0.1:1", client_name="x", reconnect_min_ms=900, reconnect_max_ms=100)
        self.assertEqual(cm.exception.code, Result.CONFIG)
        self.assertEqual(live_callback_slots(), before, "a failed engine_new must not keep callbacks")

    def test_closed_config(self):
        cfg = Config()
        cfg.close()
        cfg.close()
        with self.assertRaises(ValueError):
            cfg.set("client_name", "x")

    def test_last_error_is_per_thread(self):
        with Config() as cfg:
            with self.assertRaises(IvrconfError):
                cfg.set("no_such_key", "1")
        seen = []
        t = threading.Thread(target=lambda: seen.append(ivrconf.last_error()))
        t.start()
        t.join()
        self.assertEqual(seen, [""])
        self.assertIn("no_such_key", ivrconf.last_error())


class EngineErrors(SimTestCase):
    def setUp(self):
        super().setUp()
        self.rec = Recorder()
        self.eng = self.engine(self.rec)

    def code_of(self, fn, *args):
        with self.assertRaises(IvrconfError) as cm:
            fn(*args)
        return cm.exception.code

    def test_non_latin1_call_id(self):
        with self.assertRaises(IvrconfError) as cm:
            self.eng.call_new("呼叫-1", "5000")
        self.assertEqual(cm.exception.code, Result.INVALID_ARGUMENT)
        self.assertTrue(cm.exception.message)
        # Latin-1 outside ASCII is fine on the wire.
        self.eng.call_new("café-1", "5000")
        self.assertEqual(self.code_of(self.eng.conference_one_step, "café-1", "dest-€"), Result.INVALID_ARGUMENT)
        self.assertEqual(self.code_of(self.eng.call_new, "x-1", "5000", None, None, {"k": "ok\x01"}),
                         Result.INVALID_ARGUMENT)
        self.eng.call_end("café-1")

    def test_invalid_utf8_and_nul(self):
        self.assertEqual(self.code_of(self.eng.call_new, b"\xff\xfe", "5000"), Result.INVALID_ARGUMENT)
        self.assertEqual(self.code_of(self.eng.call_new, "\ud800", "5000"), Result.INVALID_ARGUMENT)
        with self.assertRaises(IvrconfError) as cm:
            self.eng.call_new("a\0b", "5000")
        self.assertEqual(cm.exception.code, Result.INVALID_ARGUMENT)
        self.assertIsNone(cm.exception.function)  # refused by the binding

    def test_unknown_call(self):
        for fn, args in [
            (self.eng.call_state, ("nope",)),
            (self.eng.call_end, ("nope",)),
            (self.eng.conference_one_step, ("nope", "6001")),
            (self.eng.transfer_init, ("nope", "7001")),
            (self.eng.consult_cancel, ("nope",)),
            (self.eng.call_check, ("nope", OpKind.CONFERENCE_ONE_STEP)),
        ]:
            with self.subTest(fn=fn.__name__):
                with self.assertRaises(IvrconfError) as cm:
                    fn(*args)
                self.assertEqual(cm.exception.code, Result.UNKNOWN_CALL)
                self.assertEqual(cm.exception.name, "IVRCONF_ERR_UNKNOWN_CALL")
                self.assertTrue(cm.exception.message)

    def test_states_and_kinds(self):
        self.eng.call_new("st-1", "5000")
        self.assertEqual(self.code_of(self.eng.call_new, "st-1", "5000"), Result.CALL_EXISTS)
        self.assertEqual(self.code_of(self.eng.conference_complete, "st-1"), Result.INVALID_STATE)
        self.assertEqual(self.code_of(self.eng.transfer_complete, "st-1"), Result.INVALID_STATE)
        self.assertEqual(self.code_of(self.eng.consult_cancel, "st-1"), Result.INVALID_STATE)
        self.assertEqual(self.code_of(self.eng.call_can, "st-1", 99), Result.INVALID_ARGUMENT)
        self.assertEqual(self.code_of(self.eng.call_check, "st-1", 0), Result.INVALID_ARGUMENT)
        with self.assertRaises(ValueError):
            self.eng.call_can("st-1", -1)
        self.assertEqual(self.code_of(self.eng.next_event, 0), Result.INVALID_STATE)
        self.eng.call_end("st-1")

    def test_closed_engine(self):
        self.eng.close()
        self.assertTrue(self.eng.closed)
        self.assertEqual(self.code_of(self.eng.call_new, "c-1", "5000"), Result.SHUT_DOWN)
        self.eng.close()


class NotConnected(SimTestCase):
    sim_settings = {"login_answer": "false"}

    def test_not_logged_in(self):
        eng = self.engine(ready=False)
        err = raised(eng.wait_ready, 100)
        self.assertEqual(err.code, Result.TIMEOUT)
        self.assertIsInstance(err, builtins.TimeoutError)
        err = raised(eng.call_new, "nc-1", "5000")
        self.assertEqual(err.code, Result.NOT_CONNECTED)
        self.assertIsInstance(err, NotConnectedError)
        self.assertIsNone(eng.next_event(0))

    def test_close_ends_a_wait_ready_in_another_thread(self):
        eng = self.engine(ready=False)
        result = []
        started = threading.Event()

        def wait():
            started.set()
            try:
                eng.wait_ready(60000)
                result.append("ready")
            except IvrconfError as exc:
                result.append(exc.code)

        t = threading.Thread(target=wait)
        t.start()
        started.wait()
        eng.close()
        t.join(30)
        self.assertFalse(t.is_alive())
        # SHUT_DOWN from C, or from the binding if close won the race.
        self.assertEqual(result, [Result.SHUT_DOWN])


class SimulatorErrors(unittest.TestCase):
    def test_simulator_errors(self):
        with ivrconf.Simulator("127.0.0.1:0") as sim:
            self.assertGreater(sim.port, 0)
            self.assertEqual(sim.address, f"127.0.0.1:{sim.port}")
            with self.assertRaises(IvrconfError) as cm:
                sim.set("no_such_sim_key", "1")
            self.assertEqual(cm.exception.code, Result.UNKNOWN_KEY)
            self.assertIn("no_such_sim_key", cm.exception.message)
            with self.assertRaises(IvrconfError) as cm:
                ivrconf.Simulator(sim.address)  # address in use
            self.assertEqual(cm.exception.code, Result.IO)
            self.assertEqual(sim.received_count(), 0)
            self.assertEqual(sim.received_count("LoginReq"), 0)
        with self.assertRaises(ValueError):
            sim.received_count()


if __name__ == "__main__":
    unittest.main()
