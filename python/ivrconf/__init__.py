"""ivrconf: Python (ctypes) binding of the ivrconf C API.

Conference and transfer call flows against Genesys IVR Server, through
``libivrconf`` (its C API is ``include/ivrconf.h``)::

    import ivrconf

    with ivrconf.Simulator("127.0.0.1:0") as sim, \\
         ivrconf.Engine(server=sim.address, client_name="ivr1") as engine:
        engine.wait_ready(5000)
        engine.call_new("c1", "5000")
        op = engine.conference_one_step("c1", "6001")
        while (ev := engine.next_event(2000)) is not None:
            if ev.op_id == op:
                print(ev.outcome, ev.call_state, ev.party_count)
                break

``pip install ./python`` builds the library and installs it inside the
package, where the package finds it. ``IVRCONF_LIB`` (a path) overrides that;
running from a source checkout, the repository's ``target/release`` is used,
then the system loader. The library is loaded on first use.

Failures raise a subclass of :class:`IvrconfError` per family of result
codes (:class:`RefusedError`, :class:`ArgumentError`, :class:`TimeoutError`,
...): see :mod:`ivrconf.errors`.
"""

import logging as _logging

from . import _ffi
from .config import Config
from .constants import (
    VERSION_MAJOR,
    VERSION_MINOR,
    VERSION_PATCH,
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
from .engine import Engine, Event
from .errors import (
    ArgumentError,
    CallExistsError,
    ConfigError,
    InvalidStateError,
    IoError,
    IvrconfError,
    NotConnectedError,
    OperationPendingError,
    PanicError,
    RefusedError,
    ShutDownError,
    UnknownCallError,
    UnknownKeyError,
    error_class,
    last_error,
    result_str,
)
# Kept out of __all__: `from ivrconf import *` must not shadow the builtin.
from .errors import TimeoutError as TimeoutError
from .simulator import Simulator

__all__ = [
    "VERSION_MAJOR", "VERSION_MINOR", "VERSION_PATCH",
    "CallState", "EventKind", "LogLevel", "OpKind", "Outcome", "Request", "Result", "Status",
    "TraceFormat", "Config", "Engine", "Event", "Simulator",
    "IvrconfError", "ArgumentError", "UnknownKeyError", "ConfigError",
    "RefusedError", "UnknownCallError", "CallExistsError", "NotConnectedError",
    "OperationPendingError", "InvalidStateError", "ShutDownError", "PanicError", "IoError",
    "error_class", "version", "version_number", "result_str", "last_error", "library_path",
    "log_to_logging",
]

__version__ = f"{VERSION_MAJOR}.{VERSION_MINOR}.{VERSION_PATCH}"


def version() -> str:
    """``ivrconf_version()``, e.g. ``"0.1.0"``."""
    raw: bytes = _ffi.lib().ivrconf_version()
    return raw.decode("ascii")


def version_number() -> int:
    """``ivrconf_version_number()``: ``major << 16 | minor << 8 | patch``."""
    number: int = _ffi.lib().ivrconf_version_number()
    return number


def library_path() -> str:
    """Where ``libivrconf`` was loaded from."""
    return _ffi.library_path()


_LOG_LEVELS: dict[int, int] = {
    LogLevel.ERROR: _logging.ERROR,
    LogLevel.WARN: _logging.WARNING,
    LogLevel.INFO: _logging.INFO,
    LogLevel.DEBUG: _logging.DEBUG,
    LogLevel.TRACE: 5,
}
_logger = _logging.getLogger("ivrconf")


def log_to_logging(level: LogLevel | int, message: str) -> None:
    """An ``on_log`` for :class:`Engine` that forwards to the ``ivrconf`` logger."""
    _logger.log(_LOG_LEVELS.get(level, _logging.INFO), "%s", message)
