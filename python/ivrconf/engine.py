"""``Engine`` and ``Event``: the engine, its calls and operations, both
event-delivery modes, and the callback plumbing.

Callback lifetime
-----------------
The C library keeps the callback pointers and the ``userdata`` until the
engine's ``free_userdata`` runs (once, after the last callback, inside
``ivrconf_engine_free``). So each engine's ``CFUNCTYPE`` trampolines live in
the module-level table :data:`_SLOTS`, keyed by an integer handle that is the
``userdata``; the one module-level ``free_userdata`` function (which itself
lives forever) removes the entry. Python callables are reached only through
the table, never through a pointer the C side could outlive.

Exceptions
----------
An exception raised by the application's callback never reaches C: the
trampoline stores it and the next ``Engine`` method called from outside the
engine's callbacks (or ``close()``) raises it. Only the first one is kept
(later ones are counted in a note).
"""

import ctypes
import itertools
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Callable, Optional, Union

from . import _ffi
from ._handle import Owner
from .config import Config
from .constants import (
    CallState,
    EventKind,
    LogLevel,
    OpKind,
    Outcome,
    Request,
    Result,
    Status,
    TraceFormat,
)
from .errors import IvrconfError, KvArray, check, from_c, to_c, uint32

__all__ = ["Engine", "Event"]


def _enum(cls, value):
    """0 -> None; a known value -> the member; anything else stays an int."""
    if value == 0:
        return None
    try:
        return cls(value)
    except ValueError:
        return value


@dataclass(frozen=True, slots=True)
class Event:
    """One engine event, copied out of the C ``ivrconf_event``.

    Fields the event's kind does not carry are ``None`` (the C accessors'
    0 / -1 / NULL); ``party_count`` stays 0 for session events and ``text``
    is always a ``str``. ``op_id`` / ``op_kind``: the op that ended
    (``OPERATION_DONE``) or the op in flight on the call (``CALL_STATUS``).
    """

    kind: Union[EventKind, int]
    call_id: Optional[str]
    op_id: Optional[int]
    op_kind: Optional[OpKind]
    status: Optional[Status]
    outcome: Optional[Outcome]
    failed_request: Optional[Request]
    tlib_error: Optional[int]
    call_state: Optional[CallState]
    party_count: int
    text: str

    @classmethod
    def _from_c(cls, ptr):
        c = _ffi.lib()
        tlib = c.ivrconf_event_tlib_error(ptr)
        return cls(
            kind=_enum(EventKind, c.ivrconf_event_kind(ptr)),
            call_id=from_c(c.ivrconf_event_call_id(ptr)),
            op_id=c.ivrconf_event_op_id(ptr) or None,
            op_kind=_enum(OpKind, c.ivrconf_event_op_kind(ptr)),
            status=_enum(Status, c.ivrconf_event_status(ptr)),
            outcome=_enum(Outcome, c.ivrconf_event_outcome(ptr)),
            failed_request=_enum(Request, c.ivrconf_event_failed_request(ptr)),
            tlib_error=None if tlib == -1 else tlib,
            call_state=_enum(CallState, c.ivrconf_event_call_state(ptr)),
            party_count=c.ivrconf_event_party_count(ptr),
            text=from_c(c.ivrconf_event_text(ptr)) or "",
        )


# --------------------------------------------------------------------------
# The callback table


class _Slot:
    """What one engine's callbacks need, alive until its ``free_userdata``."""

    __slots__ = (
        "handle", "on_event", "on_log", "event_fn", "log_fn",
        "errors", "error_count", "lock", "freed", "free_calls",
    )

    def __init__(self, handle, on_event, on_log):
        self.handle = handle
        self.on_event = on_event
        self.on_log = on_log
        self.event_fn = _ffi.EVENT_FN(_event_trampoline) if on_event is not None else None
        self.log_fn = _ffi.LOG_FN(_log_trampoline) if on_log is not None else None
        self.errors = []
        self.error_count = 0
        self.lock = threading.Lock()
        self.freed = threading.Event()
        self.free_calls = 0

    def store(self, exc):
        with self.lock:
            self.error_count += 1
            if not self.errors:
                self.errors.append(exc)

    def take_error(self):
        with self.lock:
            if not self.errors:
                return None
            exc, count = self.errors.pop(), self.error_count
            self.error_count = 0
        if count > 1 and hasattr(exc, "add_note"):
            exc.add_note(f"({count - 1} later exception(s) from ivrconf callbacks were dropped)")
        return exc


#: handle (the C ``userdata``) -> _Slot, from ``engine_new`` until ``free_userdata``.
_SLOTS = {}
#: free_userdata calls for a handle not (or no longer) in the table: a second
#: call for one engine lands here. Must stay 0.
_stray_free_notifies = 0
_handles = itertools.count(1)
_tls = threading.local()


def _active():
    """Handles of the engines whose callback is running on this thread."""
    try:
        return _tls.active
    except AttributeError:
        _tls.active = {}
        return _tls.active


def _run_callback(userdata, call):
    slot = _SLOTS.get(userdata)
    if slot is None:
        return
    active = _active()
    active[userdata] = active.get(userdata, 0) + 1
    try:
        call(slot)
    except BaseException as exc:  # noqa: B036 - nothing may unwind into C
        slot.store(exc)
    finally:
        depth = active.pop(userdata) - 1
        if depth:
            active[userdata] = depth


def _event_trampoline(userdata, ev):
    # The event is borrowed for this call only: copy it before anything else.
    _run_callback(userdata, lambda slot: slot.on_event(Event._from_c(ev)))


def _log_trampoline(userdata, level, message):
    _run_callback(
        userdata,
        lambda slot: slot.on_log(_enum(LogLevel, level), from_c(message) or ""),
    )


def _free_notify(userdata):
    try:
        slot = _SLOTS.pop(userdata, None)
        if slot is not None:
            # No callback runs after this: let the callables (and whatever
            # they reference) go, even while the Engine object lives on.
            slot.on_event = slot.on_log = None
            slot.event_fn = slot.log_fn = None
            slot.free_calls += 1
            slot.freed.set()
        else:
            global _stray_free_notifies
            _stray_free_notifies += 1
    except BaseException:  # noqa: B036 - nothing may unwind into C
        pass


#: The one ``free_userdata`` of every engine; module-level, never released.
_FREE_FN = _ffi.FREE_FN(_free_notify)
#: NULL callback pointers (ctypes refuses ``None`` for a CFUNCTYPE argument).
_NULL_EVENT_FN = _ffi.EVENT_FN()
_NULL_LOG_FN = _ffi.LOG_FN()


def live_callback_slots():
    """Handles whose callbacks the C side may still call (for diagnostics)."""
    return sorted(_SLOTS)


# --------------------------------------------------------------------------


def _closed():
    return IvrconfError(Result.SHUT_DOWN, "this Engine has been closed")


def _free_engine(ptr):
    _ffi.lib().ivrconf_engine_free(ptr)


def _wake_engine(ptr):
    # engine_free shuts down first anyway; doing it before waiting for the
    # calls in flight ends a blocked wait_ready at once.
    _ffi.lib().ivrconf_engine_shutdown(ptr)


EventCallback = Callable[[Event], None]
LogCallback = Callable[[LogLevel, str], None]


class Engine:
    """An ``ivrconf_engine``.

    ``Engine(config, on_event=None, on_log=None)`` where ``config`` is a
    :class:`Config`, a mapping of settings, or ``None`` with the settings as
    keyword arguments. With ``on_event`` the engine calls it from its
    dispatcher thread with each :class:`Event` (callback mode); without it,
    read events with :meth:`next_event` (poll mode). ``on_log(level, text)``
    receives the engine's log lines (:func:`ivrconf.log_to_logging` forwards
    them to :mod:`logging`).

    Every method may be called from any thread, including from inside the
    callbacks. A non-OK result raises :class:`IvrconfError`. Use it as a
    context manager or call :meth:`close`; an engine still open when the
    interpreter exits is closed then.
    """

    def __init__(
        self,
        config: Union[Config, Mapping, None] = None,
        on_event: Optional[EventCallback] = None,
        on_log: Optional[LogCallback] = None,
        **settings,
    ):
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event must be callable")
        if on_log is not None and not callable(on_log):
            raise TypeError("on_log must be callable")
        own_config = not isinstance(config, Config)
        if own_config:
            config = Config(config, **settings)
        elif settings:
            raise TypeError("pass settings either in the Config or as keywords, not both")
        handle = next(_handles)
        slot = _Slot(handle, on_event, on_log)
        _SLOTS[handle] = slot  # before engine_new: callbacks may start at once
        out = _ffi.ENGINE_P()
        try:
            with config._use() as cfg:
                rc = _ffi.lib().ivrconf_engine_new(
                    cfg,
                    slot.event_fn if slot.event_fn is not None else _NULL_EVENT_FN,
                    slot.log_fn if slot.log_fn is not None else _NULL_LOG_FN,
                    ctypes.c_void_p(handle),
                    _FREE_FN,
                    ctypes.byref(out),
                )
                check(rc, "ivrconf_engine_new")
        except BaseException:
            # No engine: the C side holds nothing of ours.
            _SLOTS.pop(handle, None)
            raise
        finally:
            if own_config:
                config.close()
        self._handle = handle
        self._slot = slot
        self._poll = on_event is None
        self._owner = Owner(out, _free_engine, _closed, _wake_engine)
        self._finalizer = weakref.finalize(self, self._owner.close)

    # -- plumbing ------------------------------------------------------------

    def _in_callback(self):
        return self._handle in _active()

    def _raise_pending(self):
        if not self._in_callback():
            exc = self._slot.take_error()
            if exc is not None:
                raise exc

    def _call(self, name, *args):
        """Runs ``name(engine, *args)``; raises a pending callback error first."""
        self._raise_pending()
        fn = getattr(_ffi.lib(), name)
        with self._owner.use(while_closing=self._in_callback()) as ptr:
            check(fn(ptr, *args), name)

    # -- properties ----------------------------------------------------------

    @property
    def poll_mode(self) -> bool:
        """``True`` when events are read with :meth:`next_event`."""
        return self._poll

    @property
    def closed(self) -> bool:
        return self._owner.closed

    # -- engine --------------------------------------------------------------

    def wait_ready(self, timeout_ms: int = 5000) -> None:
        """Blocks until logged in; ``IvrconfError(TIMEOUT)`` when it takes longer."""
        self._call("ivrconf_engine_wait_ready", uint32(timeout_ms, "timeout_ms"))

    def shutdown(self) -> None:
        """Stops intake; operations in flight end ``CANCELLED`` (C-API.md)."""
        self._call("ivrconf_engine_shutdown")

    def next_event(self, timeout_ms: int = 0) -> Optional[Event]:
        """Poll mode: the oldest queued event, or ``None`` when none arrives
        within ``timeout_ms`` (the C ``IVRCONF_ERR_TIMEOUT``). Any other
        failure raises: ``SHUT_DOWN`` once the engine is shut down and every
        event it still had is read (a blocked reader wakes at once), and
        ``INVALID_STATE`` in callback mode."""
        self._raise_pending()
        c = _ffi.lib()
        out = _ffi.EVENT_P()
        with self._owner.use(while_closing=self._in_callback()) as ptr:
            rc = c.ivrconf_engine_next_event(ptr, uint32(timeout_ms, "timeout_ms"), ctypes.byref(out))
            if rc == Result.TIMEOUT:
                return None
            check(rc, "ivrconf_engine_next_event")
            try:
                return Event._from_c(out)
            finally:
                c.ivrconf_event_free(out)

    def close(self) -> None:
        """``ivrconf_engine_free``: shuts down, delivers the last events (callback
        mode), joins the threads and releases the callbacks. Idempotent. From
        outside a callback, raises a callback exception still pending.

        Calls still running in other threads finish first: a ``wait_ready``
        or a ``next_event`` on an empty queue ends at once (``SHUT_DOWN``)."""
        in_callback = self._in_callback()
        # From inside a callback, never wait for a close running elsewhere:
        # that close is waiting for this very callback to return.
        self._owner.close(wait=not in_callback)
        self._finalizer.detach()
        self._raise_pending()

    def events(self, timeout_ms: int = 0):
        """Poll mode: yields events until none arrives within ``timeout_ms``."""
        while True:
            event = self.next_event(timeout_ms)
            if event is None:
                return
            yield event

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except BaseException as pending:
            if exc is None:
                raise
            if hasattr(exc, "add_note"):
                exc.add_note(f"ivrconf callback also raised: {pending!r}")
        return False

    # -- calls ---------------------------------------------------------------

    def call_new(self, call_id, called_num, dnis=None, ani=None, udata=None) -> None:
        """Announces a call (``NewCall``). ``udata``: a mapping or ``(key, value)`` pairs."""
        kv = KvArray(udata)
        self._call(
            "ivrconf_call_new",
            to_c(call_id, "call_id"), to_c(called_num, "called_num"),
            to_c(dnis, "dnis", nullable=True), to_c(ani, "ani", nullable=True),
            kv.pointer, kv.length,
        )

    def call_end(self, call_id) -> None:
        """Ends the call (``EndCall``); the id is free again when this returns."""
        self._call("ivrconf_call_end", to_c(call_id, "call_id"))

    def call_state(self, call_id) -> Union[CallState, int]:
        """The call's current state, from local state."""
        state = ctypes.c_uint32()
        self._call("ivrconf_call_state", to_c(call_id, "call_id"), ctypes.byref(state))
        return _enum(CallState, state.value)

    def trace(self, call_id, format: Union[str, int] = "text") -> str:
        """The call's trace (a live call, or one of the most recently ended),
        rendered now: ``format`` is ``"text"``, ``"mermaid"``, ``"jsonl"``
        or a :class:`TraceFormat`. In JSONL, each payload byte is the code
        point of the same value (``bytes.encode("latin-1")`` gives them
        back)."""
        if isinstance(format, str):
            try:
                fmt = int(TraceFormat[format.upper()])
            except KeyError:
                raise ValueError(f"unknown trace format {format!r}") from None
        else:
            fmt = int(format)
        out = ctypes.c_char_p()
        self._call(
            "ivrconf_call_trace",
            to_c(call_id, "call_id"),
            uint32(fmt, "format"),
            ctypes.byref(out),
        )
        try:
            return (out.value or b"").decode("utf-8")
        finally:
            _ffi.lib().ivrconf_string_free(out)

    def call_check(self, call_id, op_kind) -> None:
        """``ivrconf_call_can``: returns when ``op_kind`` may start now, else
        raises the :class:`IvrconfError` that starting it would raise."""
        self._call("ivrconf_call_can", to_c(call_id, "call_id"), uint32(op_kind, "op_kind"))

    #: Refusals for which :meth:`call_can` answers ``False`` instead of raising.
    REFUSALS = frozenset({Result.NOT_CONNECTED, Result.OPERATION_PENDING, Result.INVALID_STATE, Result.SHUT_DOWN})

    def call_can(self, call_id, op_kind) -> bool:
        """Whether ``op_kind`` may start now. ``False`` for the refusals of the
        moment (not connected, op pending, state, shut down); other failures
        (unknown call or op kind, bad argument) raise as in :meth:`call_check`."""
        try:
            self.call_check(call_id, op_kind)
        except IvrconfError as exc:
            if exc.code in self.REFUSALS:
                return False
            raise
        return True

    # -- operations ----------------------------------------------------------

    def _start(self, name, call_id, dest, udata):
        kv = KvArray(udata)
        op = ctypes.c_uint64()
        self._call(name, to_c(call_id, "call_id"), to_c(dest, "dest"), kv.pointer, kv.length, ctypes.byref(op))
        return op.value

    def conference_one_step(self, call_id, dest, udata=None) -> int:
        """``OneStepConf``; returns the op id (one ``OPERATION_DONE`` follows)."""
        return self._start("ivrconf_conference_one_step", call_id, dest, udata)

    def conference_init(self, call_id, dest, udata=None) -> int:
        """``InitConf`` (consult conference); returns the op id."""
        return self._start("ivrconf_conference_init", call_id, dest, udata)

    def conference_complete(self, call_id) -> None:
        """``CompleteConf``: continues the consult op (no new op id)."""
        self._call("ivrconf_conference_complete", to_c(call_id, "call_id"))

    def transfer_one_step(self, call_id, dest, udata=None) -> int:
        """``OneStepXfer``; returns the op id."""
        return self._start("ivrconf_transfer_one_step", call_id, dest, udata)

    def transfer_init(self, call_id, dest, udata=None) -> int:
        """``InitXfer`` (consult transfer); returns the op id."""
        return self._start("ivrconf_transfer_init", call_id, dest, udata)

    def transfer_complete(self, call_id) -> None:
        """``CompleteXfer``: continues the consult op (no new op id)."""
        self._call("ivrconf_transfer_complete", to_c(call_id, "call_id"))

    def consult_cancel(self, call_id) -> None:
        """``RetrieveCall``: the consult op ends ``CANCELLED`` once retrieved."""
        self._call("ivrconf_consult_cancel", to_c(call_id, "call_id"))
