"""The exceptions (one class per family of ``ivrconf_result`` codes) and the
argument conversions shared by every wrapper.

Owns: turning a non-OK result into its exception (:func:`check`), the
thread-local last-error text, and Python values as C strings / ``ivrconf_kv``
arrays. Must not: call any config, engine or simulator function.

The hierarchy (``except`` the family you handle; no code comparisons)::

    IvrconfError                      every failure: .code .name .message .function
    +-- ArgumentError (ValueError)    NULL_ARGUMENT, INVALID_ARGUMENT
    |   +-- UnknownKeyError           UNKNOWN_KEY
    +-- ConfigError                   CONFIG
    +-- RefusedError                  the call cannot do this now / at all
    |   +-- UnknownCallError          UNKNOWN_CALL
    |   +-- CallExistsError           CALL_EXISTS
    |   +-- NotConnectedError         NOT_CONNECTED
    |   +-- OperationPendingError     OPERATION_PENDING
    |   +-- InvalidStateError         INVALID_STATE
    +-- TimeoutError (builtin TimeoutError)   TIMEOUT
    +-- ShutDownError                 SHUT_DOWN
    +-- PanicError                    PANIC
    +-- IoError (OSError)             IO

A code this binding does not know raises the base class itself.
"""

import builtins
import ctypes
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar, cast

from . import _ffi
from .constants import Result

if TYPE_CHECKING:
    from ._ffi import KvPtr

__all__ = [
    "IvrconfError",
    "ArgumentError",
    "UnknownKeyError",
    "ConfigError",
    "RefusedError",
    "UnknownCallError",
    "CallExistsError",
    "NotConnectedError",
    "OperationPendingError",
    "InvalidStateError",
    "TimeoutError",
    "ShutDownError",
    "PanicError",
    "IoError",
    "error_class",
    "result_str",
    "last_error",
]

#: What the wrappers accept as a C string: ``str`` (encoded as UTF-8) or the
#: exact bytes.
Text = str | bytes | bytearray | memoryview
#: User data: a mapping or ``(key, value)`` pairs.
UserData = Mapping[str, Text] | Iterable[tuple[Text, Text]]


def result_str(code: int) -> str:
    """``ivrconf_result_str``: the static name of ``code``'s constant."""
    raw: bytes | None = _ffi.lib().ivrconf_result_str(code)
    return raw.decode("utf-8", "replace") if raw is not None else "IVRCONF_ERR_UNKNOWN"


def last_error() -> str:
    """``ivrconf_last_error``: the message of this thread's most recent failure."""
    raw: bytes | None = _ffi.lib().ivrconf_last_error()
    return raw.decode("utf-8", "replace") if raw is not None else ""


class IvrconfError(Exception):
    """A C function returned something other than ``IVRCONF_OK``; the base of
    every exception below (``except IvrconfError`` catches them all).

    Attributes:
        code: the result, a :class:`~ivrconf.Result` (a plain ``int`` for a
            code this binding does not know).
        name: the constant's name from ``ivrconf_result_str``, e.g.
            ``"IVRCONF_ERR_UNKNOWN_CALL"``.
        message: the ``ivrconf_last_error`` text read right after the failure.
        function: the C function that failed (``None`` for refusals made by
            the binding itself, e.g. an embedded NUL in a string).

    ``args`` is ``(code, message)``.
    """

    #: The result codes raised as this class (empty for the family bases).
    codes: ClassVar[frozenset[Result]] = frozenset()

    code: Result | int
    name: str
    message: str
    function: str | None

    def __init__(self, code: int, message: str = "", name: str | None = None, function: str | None = None) -> None:
        known: Result | int
        try:
            known = Result(code)
        except ValueError:
            known = int(code)
        if name is None:
            name = known.c_name if isinstance(known, Result) else "IVRCONF_ERR_UNKNOWN"
        # One argument only: an OSError base would read (code, message) as
        # (errno, strerror).
        super().__init__(message)
        self.args = (known, message)
        self.code = known
        self.name = name
        self.message = message
        self.function = function

    def __str__(self) -> str:
        where = f"{self.function}: " if self.function else ""
        return f"{where}{self.name}: {self.message}" if self.message else f"{where}{self.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"

    @classmethod
    def from_result(cls, code: int, function: str | None = None) -> "IvrconfError":
        """The exception for ``code`` (an instance of :func:`error_class`);
        must run on the failing thread, before any other library call (the
        last-error text is thread-local)."""
        message = last_error()
        return error_class(code)(code, message, result_str(code), function)


class ArgumentError(IvrconfError, ValueError):
    """An argument was refused: NULL, malformed (not Latin-1, a control
    character, too long, an unknown enum value, a bad config value), or an
    unknown key (:class:`UnknownKeyError`)."""

    codes = frozenset({Result.NULL_ARGUMENT, Result.INVALID_ARGUMENT})


class UnknownKeyError(ArgumentError):
    """A config or simulator key that does not exist."""

    codes = frozenset({Result.UNKNOWN_KEY})


class ConfigError(IvrconfError):
    """The configuration as a whole is unusable (missing or inconsistent keys)."""

    codes = frozenset({Result.CONFIG})


class RefusedError(IvrconfError):
    """The call cannot take this request: the base of the call refusals.
    Nothing was sent. When several apply, the library reports the first of
    unknown call / call exists, not connected, operation pending, state."""


class UnknownCallError(RefusedError):
    """No live call has this id."""

    codes = frozenset({Result.UNKNOWN_CALL})


class CallExistsError(RefusedError):
    """A live call already has this id."""

    codes = frozenset({Result.CALL_EXISTS})


class NotConnectedError(RefusedError):
    """The engine is not logged in to a server."""

    codes = frozenset({Result.NOT_CONNECTED})


class OperationPendingError(RefusedError):
    """The call already has an operation in flight."""

    codes = frozenset({Result.OPERATION_PENDING})


class InvalidStateError(RefusedError):
    """The call's state (or the engine's mode) does not allow this now."""

    codes = frozenset({Result.INVALID_STATE})


class TimeoutError(IvrconfError, builtins.TimeoutError):
    """A wait ran out of time; also a builtin :class:`TimeoutError`."""

    codes = frozenset({Result.TIMEOUT})


class ShutDownError(IvrconfError):
    """The engine has been shut down (or this ``Engine`` closed)."""

    codes = frozenset({Result.SHUT_DOWN})


class PanicError(IvrconfError):
    """An internal error in the library (a caught panic, or a dead thread)."""

    codes = frozenset({Result.PANIC})


class IoError(IvrconfError, OSError):
    """An operating-system error (e.g. a listen address in use); also an
    :class:`OSError` (its ``errno`` is ``None``: the text says the cause)."""

    codes = frozenset({Result.IO})


_BY_CODE: dict[int, type[IvrconfError]] = {
    code: cls
    for cls in (
        ArgumentError,
        UnknownKeyError,
        ConfigError,
        UnknownCallError,
        CallExistsError,
        NotConnectedError,
        OperationPendingError,
        InvalidStateError,
        TimeoutError,
        ShutDownError,
        PanicError,
        IoError,
    )
    for code in cls.codes
}


def error_class(code: int) -> type[IvrconfError]:
    """The exception class raised for ``code`` (:class:`IvrconfError` itself
    for a code this binding does not know)."""
    return _BY_CODE.get(int(code), IvrconfError)


def check(code: int, function: str) -> None:
    """Raises the :func:`error_class` of ``code`` unless it is ``IVRCONF_OK``."""
    if code != Result.OK:
        raise IvrconfError.from_result(code, function)


def to_c(value: object, what: str, *, nullable: bool = False) -> bytes | None:
    """A Python argument as the ``bytes`` of a NUL-terminated C string.

    ``value`` is typed ``object`` because the wrappers pass what the caller
    gave; anything but ``str`` / bytes-like is a ``TypeError``. ``str`` is
    encoded as UTF-8 (lone surrogates pass through as invalid
    UTF-8, which the library refuses); ``bytes`` go through unchanged, so a
    caller can hand the library exactly the bytes it wants. An embedded NUL
    cannot be represented in C: it is refused here as the library refuses
    every control character, with :class:`ArgumentError` (``INVALID_ARGUMENT``).
    """
    if value is None:
        if nullable:
            return None
        raise TypeError(f"{what} must be a str, not None")
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif isinstance(value, memoryview):
        data = value.tobytes()
    else:
        raise TypeError(f"{what} must be a str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise ArgumentError(Result.INVALID_ARGUMENT, f"{what} contains a NUL character")
    return data


def from_c(raw: bytes | None) -> str | None:
    """A borrowed C string (``bytes`` from a ``c_char_p`` result) as ``str``."""
    if raw is None:
        return None
    return raw.decode("utf-8", "replace")


def uint32(value: int, what: str) -> int:
    """Range-checks an integer passed as ``uint32_t`` (ctypes would wrap it)."""
    value = int(value)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{what} must be in 0..4294967295, got {value}")
    return value


class KvArray:
    """User data (a mapping or an iterable of ``(key, value)`` pairs) as an
    ``ivrconf_kv`` array; keeps the encoded strings alive while it lives."""

    __slots__ = ("array", "length", "_keep")

    def __init__(self, udata: UserData | None, what: str = "udata") -> None:
        pairs = _pairs(udata)
        encoded: list[tuple[bytes | None, bytes | None]] = []
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"{what}[{i}] is not a (key, value) pair")
            key, value = pair
            encoded.append((to_c(key, f"{what} key"), to_c(value, f"{what} value of {key!r}")))
        self._keep = encoded
        self.length = len(encoded)
        self.array: ctypes.Array[_ffi.ivrconf_kv] | None = None
        if encoded:
            self.array = (_ffi.ivrconf_kv * len(encoded))(*(_ffi.ivrconf_kv(k, v) for k, v in encoded))

    @property
    def pointer(self) -> "KvPtr | None":
        if self.array is None:
            return None
        return ctypes.cast(self.array, _ffi.KV_P)



def _pairs(udata: UserData | None) -> list[tuple[object, ...]]:
    """The ``(key, value)`` pairs of user data, in order, not yet checked."""
    if udata is None:
        return []
    items: Iterable[tuple[object, ...]]
    if isinstance(udata, Mapping):
        # (The narrowing leaves the value type open; the checks follow.)
        items = cast("Mapping[object, object]", udata).items()
    else:
        items = udata
    return [tuple(item) for item in items]
