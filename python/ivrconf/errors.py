"""``IvrconfError`` and the conversions shared by every wrapper."""

import ctypes

from . import _ffi
from .constants import Result

__all__ = ["IvrconfError", "result_str", "last_error"]


def result_str(code: int) -> str:
    """``ivrconf_result_str``: the static name of ``code``'s constant."""
    raw = _ffi.lib().ivrconf_result_str(code)
    return raw.decode("utf-8", "replace") if raw is not None else "IVRCONF_ERR_UNKNOWN"


def last_error() -> str:
    """``ivrconf_last_error``: the message of this thread's most recent failure."""
    raw = _ffi.lib().ivrconf_last_error()
    return raw.decode("utf-8", "replace") if raw is not None else ""


class IvrconfError(Exception):
    """A C function returned something other than ``IVRCONF_OK``.

    Attributes:
        code: the result, a :class:`~ivrconf.Result` (a plain ``int`` for a
            code this binding does not know).
        name: the constant's name from ``ivrconf_result_str``, e.g.
            ``"IVRCONF_ERR_UNKNOWN_CALL"``.
        message: the ``ivrconf_last_error`` text read right after the failure.
        function: the C function that failed (``None`` for refusals made by
            the binding itself, e.g. an embedded NUL in a string).
    """

    def __init__(self, code, message="", name=None, function=None):
        try:
            code = Result(code)
        except ValueError:
            code = int(code)
        self.code = code
        if name is None:
            name = code.c_name if isinstance(code, Result) else "IVRCONF_ERR_UNKNOWN"
        self.name = name
        self.message = message
        self.function = function
        super().__init__(code, message)

    def __str__(self):
        where = f"{self.function}: " if self.function else ""
        return f"{where}{self.name}: {self.message}" if self.message else f"{where}{self.name}"

    def __repr__(self):
        return f"IvrconfError({self.code!r}, {self.message!r})"

    @classmethod
    def from_result(cls, code, function=None):
        """Builds the error for ``code``; must run on the failing thread,
        before any other library call (the last-error text is thread-local)."""
        message = last_error()
        return cls(code, message, result_str(code), function)


def check(code, function):
    """Raises :class:`IvrconfError` unless ``code`` is ``IVRCONF_OK``."""
    if code != Result.OK:
        raise IvrconfError.from_result(code, function)


def to_c(value, what, *, nullable=False):
    """A Python argument as the ``bytes`` of a NUL-terminated C string.

    ``str`` is encoded as UTF-8 (lone surrogates pass through as invalid
    UTF-8, which the library refuses); ``bytes`` go through unchanged, so a
    caller can hand the library exactly the bytes it wants. An embedded NUL
    cannot be represented in C: it is refused here as the library refuses
    every control character, with ``IVRCONF_ERR_INVALID_ARGUMENT``.
    """
    if value is None:
        if nullable:
            return None
        raise TypeError(f"{what} must be a str, not None")
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise TypeError(f"{what} must be a str or bytes, not {type(value).__name__}")
    if b"\0" in data:
        raise IvrconfError(
            Result.INVALID_ARGUMENT,
            f"{what} contains a NUL character",
        )
    return data


def from_c(raw):
    """A borrowed C string (``bytes`` from a ``c_char_p`` result) as ``str``."""
    if raw is None:
        return None
    return raw.decode("utf-8", "replace")


def uint32(value, what):
    """Range-checks an integer passed as ``uint32_t`` (ctypes would wrap it)."""
    value = int(value)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{what} must be in 0..4294967295, got {value}")
    return value


class KvArray:
    """User data (a mapping or an iterable of ``(key, value)`` pairs) as an
    ``ivrconf_kv`` array; keeps the encoded strings alive while it lives."""

    __slots__ = ("array", "length", "_keep")

    def __init__(self, udata, what="udata"):
        if udata is None:
            pairs = []
        elif hasattr(udata, "items"):
            pairs = list(udata.items())
        else:
            pairs = [tuple(p) for p in udata]
        encoded = []
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"{what}[{i}] is not a (key, value) pair")
            key, value = pair
            encoded.append((to_c(key, f"{what} key"), to_c(value, f"{what} value of {key!r}")))
        self._keep = encoded
        self.length = len(encoded)
        if encoded:
            self.array = (_ffi.ivrconf_kv * len(encoded))(*encoded)
        else:
            self.array = None

    @property
    def pointer(self):
        if self.array is None:
            return None
        return ctypes.cast(self.array, _ffi.KV_P)
