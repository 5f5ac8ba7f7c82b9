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

Owns: the engine handle, the callback table and the copying of events out
of C. Must not: interpret events (the application does) or retry anything.
"""

import ctypes
import itertools
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, Union

from . import _ffi
from ._handle import Owner
from .config import Config, Setting, config_handle
from .constants import CallState, EventKind, LogLevel, OpKind, Outcome, Request, Result, Status, TraceFormat
from .errors import (
    InvalidStateError,
    IvrconfError,
    KvArray,
    NotConnectedError,
    OperationPendingError,
    ShutDownError,
    Text,
    UserData,
    check,
    from_c,
    to_c,
    uint32,
)

if TYPE_CHECKING:
    from ._ffi import EnginePtr, EventPtr

__all__ = ["Engine", "Event", "EventCallback", "LogCallback"]

E = TypeVar("E", bound=IntEnum)


def _enum(cls: type[E], value: int) -> E | int | None:
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

    kind: EventKind | int | None
    call_id: str | None
    op_id: int | None
    op_kind: OpKind | int | None
    status: Status | int | None
    outcome: Outcome | int | None
    failed_request: Request | int | None
    tlib_error: int | None
    call_state: CallState | int | None
    party_count: int
    text: str


def _event_from_c(ptr: "EventPtr") -> Event:
    """A copy of the C event (its strings are only borrowed)."""
    c = _ffi.lib()
    tlib: int = c.ivrconf_event_tlib_error(ptr)
    return Event(
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

    def __init__(self, handle: int, on_event: "EventCallback | None", on_log: "LogCallback | None") -> None:
        self.handle = handle
        self.on_event = on_event
        self.on_log = on_log
        # The CFUNCTYPE trampolines (only ever handed to C).
        self.event_fn: object | None = _ffi.EVENT_FN(_event_trampoline) if on_event is not None else None
        self.log_fn: object | None = _ffi.LOG_FN(_log_trampoline) if on_log is not None else None
        self.errors: list[BaseException] = []
        self.error_count = 0
        self.lock = threading.Lock()
        self.freed = threading.Event()
        self.free_calls = 0

    def store(self, exc: BaseException) -> None:
        with self.lock:
            self.error_count += 1
            if not self.errors:
                self.errors.append(exc)

    def take_error(self) -> BaseException | None:
        with self.lock:
            if not self.errors:
                return None
            exc, count = self.errors.pop(), self.error_count
            self.error_count = 0
        if count > 1:
            _add_note(exc, f"({count - 1} later exception(s) from ivrconf callbacks were dropped)")
        return exc


#: handle (the C ``userdata``) -> _Slot, from ``engine_new`` until ``free_userdata``.
_SLOTS: dict[int, _Slot] = {}
#: free_userdata calls for a handle not (or no longer) in the table: a second
#: call for one engine lands here. Must stay 0.
_stray_free_notifies = 0
_handles = itertools.count(1)
_tls = threading.local()


def _active() -> dict[int, int]:
    """Handles of the engines whose callback is running on this thread (with
    the nesting depth)."""
    active: dict[int, int] | None = getattr(_tls, "active", None)
    if active is None:
        active = {}
        _tls.active = active
    return active


def _run_callback(userdata: int | None, call: Callable[[_Slot], None]) -> None:
    slot = _SLOTS.get(userdata) if userdata is not None else None
    if slot is None or userdata is None:
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


def _event_trampoline(userdata: int | None, ev: "EventPtr") -> None:
    # The event is borrowed for this call only: copy it before anything else.
    def deliver(slot: _Slot) -> None:
        if slot.on_event is not None:
            slot.on_event(_event_from_c(ev))

    _run_callback(userdata, deliver)


def _log_trampoline(userdata: int | None, level: int, message: bytes | None) -> None:
    def deliver(slot: _Slot) -> None:
        if slot.on_log is not None:
            slot.on_log(_enum(LogLevel, level) or level, from_c(message) or "")

    _run_callback(userdata, deliver)


def _free_notify(userdata: int | None) -> None:
    try:
        slot = _SLOTS.pop(userdata, None) if userdata is not None else None
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


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)`` where Python has it (3.11+)."""
    add_note: Callable[[str], None] | None = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)


def live_callback_slots() -> list[int]:
    """Handles whose callbacks the C side may still call (for diagnostics)."""
    return sorted(_SLOTS)


# --------------------------------------------------------------------------


def _closed() -> ShutDownError:
    return ShutDownError(Result.SHUT_DOWN, "this Engine has been closed")


def _free_engine(ptr: "EnginePtr") -> None:
    _ffi.lib().ivrconf_engine_free(ptr)


def _wake_engine(ptr: "EnginePtr") -> None:
    # engine_free shuts down first anyway; doing it before waiting for the
    # calls in flight ends a blocked wait_ready at once.
    _ffi.lib().ivrconf_engine_shutdown(ptr)


#: ``on_event(event)``: called on the engine's dispatcher thread.
EventCallback = Callable[[Event], None]
#: ``on_log(level, text)``: ``level`` a :class:`LogLevel` (an ``int`` for a
#: level this binding does not know).
LogCallback = Callable[[Union[LogLevel, int], str], None]


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
    callbacks. A non-OK result raises the :class:`IvrconfError` subclass of
    its family (e.g. :class:`~ivrconf.RefusedError`). Use it as a
    context manager or call :meth:`close`; an engine still open when the
    interpreter exits is closed then.
    """

    def __init__(
        self,
        config: Config | Mapping[str, Setting] | None = None,
        on_event: EventCallback | None = None,
        on_log: LogCallback | None = None,
        **settings: Setting,
    ) -> None:
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event must be callable")
        if on_log is not None and not callable(on_log):
            raise TypeError("on_log must be callable")
        own_config = not isinstance(config, Config)
        if not isinstance(config, Config):
            config = Config(config, **settings)
        elif settings:
            raise TypeError("pass settings either in the Config or as keywords, not both")
        handle = next(_handles)
        slot = _Slot(handle, on_event, on_log)
        _SLOTS[handle] = slot  # before engine_new: callbacks may start at once
        out = _ffi.ENGINE_P()
        try:
            with config_handle(config) as cfg:
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
        self._owner: Owner[EnginePtr] = Owner(out, _free_engine, _closed, _wake_engine)
        self._finalizer = weakref.finalize(self, self._owner.close)

    # -- plumbing ------------------------------------------------------------

    def _in_callback(self) -> bool:
        return self._handle in _active()

    def _raise_pending(self) -> None:
        if not self._in_callback():
            exc = self._slot.take_error()
            if exc is not None:
                raise exc

    def _call(self, name: str, *args: Any) -> None:
        """Runs ``name(engine, *args)``; raises a pending callback error first."""
        self._raise_pending()
        fn: _ffi.Function = getattr(_ffi.lib(), name)
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
        """Blocks until logged in; :class:`~ivrconf.TimeoutError` when it takes longer."""
        self._call("ivrconf_engine_wait_ready", uint32(timeout_ms, "timeout_ms"))

    def shutdown(self) -> None:
        """Stops intake; operations in flight end ``CANCELLED``."""
        self._call("ivrconf_engine_shutdown")

    def next_event(self, timeout_ms: int = 0) -> Event | None:
        """Poll mode: the oldest queued event, or ``None`` when none arrives
        within ``timeout_ms`` (the C ``IVRCONF_ERR_TIMEOUT``). Any other
        failure raises: :class:`~ivrconf.ShutDownError` once the engine is
        shut down and every event it still had is read (a blocked reader
        wakes at once), and :class:`~ivrconf.InvalidStateError` in callback
        mode."""
        self._raise_pending()
        c = _ffi.lib()
        out = _ffi.EVENT_P()
        with self._owner.use(while_closing=self._in_callback()) as ptr:
            rc: int = c.ivrconf_engine_next_event(ptr, uint32(timeout_ms, "timeout_ms"), ctypes.byref(out))
            if rc == Result.TIMEOUT:
                return None
            check(rc, "ivrconf_engine_next_event")
            try:
                return _event_from_c(out)
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

    def events(self, timeout_ms: int = 0) -> Iterator[Event]:
        """Poll mode: yields events until none arrives within ``timeout_ms``."""
        while True:
            event = self.next_event(timeout_ms)
            if event is None:
                return
            yield event

    def __enter__(self) -> "Engine":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.close()
        except BaseException as pending:
            if exc is None:
                raise
            _add_note(exc, f"ivrconf callback also raised: {pending!r}")

    # -- calls ---------------------------------------------------------------

    def call_new(
        self,
        call_id: Text,
        called_num: Text,
        dnis: Text | None = None,
        ani: Text | None = None,
        udata: UserData | None = None,
    ) -> None:
        """Announces a call (``NewCall``). ``udata``: a mapping or ``(key, value)`` pairs."""
        kv = KvArray(udata)
        self._call(
            "ivrconf_call_new",
            to_c(call_id, "call_id"), to_c(called_num, "called_num"),
            to_c(dnis, "dnis", nullable=True), to_c(ani, "ani", nullable=True),
            kv.pointer, kv.length,
        )

    def call_end(self, call_id: Text) -> None:
        """Ends the call (``EndCall``); the id is free again when this returns."""
        self._call("ivrconf_call_end", to_c(call_id, "call_id"))

    def call_state(self, call_id: Text) -> CallState | int:
        """The call's current state, from local state."""
        state = ctypes.c_uint32()
        self._call("ivrconf_call_state", to_c(call_id, "call_id"), ctypes.byref(state))
        value = int(state.value)
        return _enum(CallState, value) or value

    def trace(self, call_id: Text, format: str | TraceFormat | int = "text") -> str:
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

    def call_check(self, call_id: Text, op_kind: OpKind | int) -> None:
        """``ivrconf_call_can``: returns when ``op_kind`` may start now, else
        raises the :class:`IvrconfError` that starting it would raise."""
        self._call("ivrconf_call_can", to_c(call_id, "call_id"), uint32(op_kind, "op_kind"))

    #: The refusals of the moment, for which :meth:`call_can` answers
    #: ``False`` instead of raising.
    REFUSALS: tuple[type[IvrconfError], ...] = (
        NotConnectedError,
        OperationPendingError,
        InvalidStateError,
        ShutDownError,
    )

    def call_can(self, call_id: Text, op_kind: OpKind | int) -> bool:
        """Whether ``op_kind`` may start now. ``False`` for the refusals of the
        moment (not connected, op pending, state, shut down); other failures
        (unknown call or op kind, bad argument) raise as in :meth:`call_check`."""
        try:
            self.call_check(call_id, op_kind)
        except self.REFUSALS:
            return False
        return True

    # -- operations ----------------------------------------------------------

    def _start(self, name: str, call_id: Text, dest: Text, udata: UserData | None) -> int:
        kv = KvArray(udata)
        op = ctypes.c_uint64()
        self._call(name, to_c(call_id, "call_id"), to_c(dest, "dest"), kv.pointer, kv.length, ctypes.byref(op))
        return int(op.value)

    def conference_one_step(self, call_id: Text, dest: Text, udata: UserData | None = None) -> int:
        """``OneStepConf``; returns the op id (one ``OPERATION_DONE`` follows)."""
        return self._start("ivrconf_conference_one_step", call_id, dest, udata)

    def conference_init(self, call_id: Text, dest: Text, udata: UserData | None = None) -> int:
        """``InitConf`` (consult conference); returns the op id."""
        return self._start("ivrconf_conference_init", call_id, dest, udata)

    def conference_complete(self, call_id: Text) -> None:
        """``CompleteConf``: continues the consult op (no new op id)."""
        self._call("ivrconf_conference_complete", to_c(call_id, "call_id"))

    def transfer_one_step(self, call_id: Text, dest: Text, udata: UserData | None = None) -> int:
        """``OneStepXfer``; returns the op id."""
        return self._start("ivrconf_transfer_one_step", call_id, dest, udata)

    def transfer_init(self, call_id: Text, dest: Text, udata: UserData | None = None) -> int:
        """``InitXfer`` (consult transfer); returns the op id."""
        return self._start("ivrconf_transfer_init", call_id, dest, udata)

    def transfer_complete(self, call_id: Text) -> None:
        """``CompleteXfer``: continues the consult op (no new op id)."""
        self._call("ivrconf_transfer_complete", to_c(call_id, "call_id"))

    def consult_cancel(self, call_id: Text) -> None:
        """``RetrieveCall``: the consult op ends ``CANCELLED`` once retrieved."""
        self._call("ivrconf_consult_cancel", to_c(call_id, "call_id"))
