"""The ``IVRCONF_*`` constants of ``include/ivrconf.h`` as ``IntEnum`` classes.

Every class mirrors one family of ``#define``s with the header's exact values
(``tests/test_header.py`` checks this against the committed header). The
enum-like families start at 1; 0 means "none / not applicable" and is never a
member: the binding turns a 0 field into ``None``.
"""

from enum import IntEnum

__all__ = [
    "VERSION_MAJOR",
    "VERSION_MINOR",
    "VERSION_PATCH",
    "Result",
    "EventKind",
    "Status",
    "Outcome",
    "Request",
    "CallState",
    "OpKind",
    "LogLevel",
    "TraceFormat",
    "HEADER_PREFIXES",
]

#: ``IVRCONF_VERSION_MAJOR`` / ``_MINOR`` / ``_PATCH`` of the header this
#: binding was written against (compare with :func:`ivrconf.version`).
VERSION_MAJOR = 0
VERSION_MINOR = 2
VERSION_PATCH = 0


class Result(IntEnum):
    """``ivrconf_result`` codes: ``IVRCONF_OK`` and ``IVRCONF_ERR_*``."""

    OK = 0
    NULL_ARGUMENT = 1
    INVALID_ARGUMENT = 2
    UNKNOWN_KEY = 3
    CONFIG = 4
    UNKNOWN_CALL = 5
    CALL_EXISTS = 6
    NOT_CONNECTED = 7
    OPERATION_PENDING = 8
    INVALID_STATE = 9
    TIMEOUT = 10
    SHUT_DOWN = 11
    PANIC = 12
    IO = 13

    @property
    def c_name(self) -> str:
        """The header's name of the constant, e.g. ``IVRCONF_ERR_UNKNOWN_CALL``."""
        return "IVRCONF_OK" if self is Result.OK else "IVRCONF_ERR_" + self.name


class EventKind(IntEnum):
    """``IVRCONF_EVENT_*``."""

    SESSION_UP = 1
    SESSION_DOWN = 2
    CALL_STATUS = 3
    OPERATION_DONE = 4
    CALL_ENDED = 5
    ENGINE_ERROR = 6


class Status(IntEnum):
    """``IVRCONF_STATUS_*``: the ``CallStatus Event`` of a ``CALL_STATUS`` event."""

    DIALING = 1
    RINGING = 2
    ESTABLISHED = 3
    RETRIEVED = 4
    BUSY = 5
    HELD = 6
    CONF_PARTY_ADD = 7
    CONF_PARTY_DEL = 8
    XFER_COMPLETE = 9
    RELEASED = 10


class Outcome(IntEnum):
    """``IVRCONF_OUTCOME_*``: how an operation ended (``OPERATION_DONE``)."""

    COMPLETED = 1
    BUSY = 2
    NO_ANSWER = 3
    FAILED = 4
    CANCELLED = 5
    CONSULT_RELEASED = 6
    RETRIEVE_FAILED = 7
    CALL_ENDED = 8
    TIMEOUT = 9
    LINK_LOST = 10


class Request(IntEnum):
    """``IVRCONF_REQUEST_*``: the ``FailedReq`` of the ``CallError`` that ended an op."""

    UNKNOWN = 1
    NO_SUCH_CALL = 2
    ONE_STEP_XFER = 3
    ONE_STEP_CONF = 4
    INIT_CONF = 5
    COMPLETE_CONF = 6
    INIT_XFER = 7
    COMPLETE_XFER = 8
    RETRIEVE_CALL = 9
    MAKE_CALL = 10
    AGENT_CONTROL = 11
    NOT_ALLOWED = 12


class CallState(IntEnum):
    """``IVRCONF_CALL_STATE_*``."""

    ACTIVE = 1
    CONSULTING = 2
    CONSULT_ESTABLISHED = 3
    HELD = 4
    CONFERENCED = 5
    TRANSFERRED = 6
    ENDED = 7


class OpKind(IntEnum):
    """``IVRCONF_OP_*``. The last three are for ``call_can`` only."""

    CONFERENCE_ONE_STEP = 1
    CONFERENCE_CONSULT = 2
    TRANSFER_ONE_STEP = 3
    TRANSFER_CONSULT = 4
    CONFERENCE_COMPLETE = 5
    TRANSFER_COMPLETE = 6
    CONSULT_CANCEL = 7


class LogLevel(IntEnum):
    """``IVRCONF_LOG_*``: the level passed to the log callback."""

    ERROR = 1
    WARN = 2
    INFO = 3
    DEBUG = 4
    TRACE = 5


class TraceFormat(IntEnum):
    """``IVRCONF_TRACE_*``: how :meth:`Engine.trace` renders a call's trace."""

    TEXT = 1
    MERMAID = 2
    JSONL = 3


#: Header macro prefix -> the class holding that family (longest prefix wins;
#: ``IVRCONF_OK`` belongs to :class:`Result`).
HEADER_PREFIXES = {
    "IVRCONF_ERR_": Result,
    "IVRCONF_EVENT_": EventKind,
    "IVRCONF_STATUS_": Status,
    "IVRCONF_OUTCOME_": Outcome,
    "IVRCONF_REQUEST_": Request,
    "IVRCONF_CALL_STATE_": CallState,
    "IVRCONF_OP_": OpKind,
    "IVRCONF_LOG_": LogLevel,
    "IVRCONF_TRACE_": TraceFormat,
}
