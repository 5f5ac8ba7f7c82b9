"""ivrconf: Python (ctypes) binding of the ivrconf C API.

Conference and transfer call flows against Genesys IVR Server, through
``libivrconf`` (see ``include/ivrconf.h`` and C-API.md)::

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

The library is found through ``IVRCONF_LIB``, then the repository's
``target/release``, then the system loader; it is loaded on first use.
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
from .errors import IvrconfError, last_error, result_str
from .simulator import Simulator

__all__ = [
    "VERSION_MAJOR", "VERSION_MINOR", "VERSION_PATCH",
    "CallState", "EventKind", "LogLevel", "OpKind", "Outcome", "Request", "Result", "Status",
    "TraceFormat", "Config", "Engine", "Event", "IvrconfError", "Simulator",
    "version", "version_number", "result_str", "last_error", "library_path", "log_to_logging",
]

__version__ = f"{VERSION_MAJOR}.{VERSION_MINOR}.{VERSION_PATCH}"


def version() -> str:
    """``ivrconf_version()``, e.g. ``"0.1.0"``."""
    return _ffi.lib().ivrconf_version().decode("ascii")


def version_number() -> int:
    """``ivrconf_version_number()``: ``major << 16 | minor << 8 | patch``."""
    return _ffi.lib().ivrconf_version_number()


def library_path() -> str:
    """Where ``libivrconf`` was loaded from."""
    return _ffi.library_path()


_LOG_LEVELS = {
    LogLevel.ERROR: _logging.ERROR,
    LogLevel.WARN: _logging.WARNING,
    LogLevel.INFO: _logging.INFO,
    LogLevel.DEBUG: _logging.DEBUG,
    LogLevel.TRACE: 5,
}
_logger = _logging.getLogger("ivrconf")


def log_to_logging(level, message) -> None:
    """An ``on_log`` for :class:`Engine` that forwards to the ``ivrconf`` logger."""
    _logger.log(_LOG_LEVELS.get(level, _logging.INFO), "%s", message)
