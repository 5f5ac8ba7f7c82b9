"""Loading ``libivrconf`` and declaring the C prototypes.

Everything here mirrors ``include/ivrconf.h``: one ``ctypes`` declaration per
exported function (:data:`PROTOTYPES`, the one place for restype/argtypes: a
new C function is one line there), the opaque handle types, ``ivrconf_kv``
and the three callback types. The library is loaded lazily on first use by
:func:`lib`, so that importing the package (and reading its constants) works
without the shared library. Owns nothing else: no wrapper logic, no errors
beyond "cannot load".

Search order: the ``IVRCONF_LIB`` environment variable (a path; it must
load), then the copy installed inside this package (``pip install`` puts
``libivrconf.so`` next to this file), then ``target/release`` of the
repository this package lives in (running from a source checkout), then the
system loader (``ctypes.util.find_library("ivrconf")``).
"""

import ctypes
import ctypes.util
import os
import sys
import threading
from collections.abc import Callable, Iterator
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int32,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = [
    "lib",
    "library_path",
    "has_function",
    "ivrconf_config",
    "ivrconf_engine",
    "ivrconf_event",
    "ivrconf_sim",
    "ivrconf_kv",
    "ivrconf_stats",
    "EVENT_FN",
    "LOG_FN",
    "FREE_FN",
    "PROTOTYPES",
    "OPTIONAL",
    "Function",
    "function",
    "shared_name",
]


class ivrconf_config(Structure):
    """Opaque ``ivrconf_config``."""


class ivrconf_engine(Structure):
    """Opaque ``ivrconf_engine``."""


class ivrconf_event(Structure):
    """Opaque ``ivrconf_event``."""


class ivrconf_sim(Structure):
    """Opaque ``ivrconf_sim`` (the in-process simulator)."""


class ivrconf_kv(Structure):
    """``struct ivrconf_kv { const char *key; const char *value; }``."""

    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class ivrconf_stats(Structure):
    """``struct ivrconf_stats``: ``struct_size`` then the ``uint64_t`` counters."""

    _fields_ = [("struct_size", c_uint32)] + [
        (name, c_uint64)
        for name in (
            "frames_in bytes_in frames_out bytes_out decode_errors connect_attempts logins "
            "link_losses calls_live calls_total ops_started ops_completed ops_busy ops_no_answer "
            "ops_failed ops_cancelled ops_consult_released ops_retrieve_failed ops_call_ended "
            "ops_timeout ops_link_lost events_queued events_queued_max event_queue_full"
        ).split()
    ]


ivrconf_result = c_uint32
ivrconf_op_id = c_uint64
CONFIG_P = POINTER(ivrconf_config)
ENGINE_P = POINTER(ivrconf_engine)
EVENT_P = POINTER(ivrconf_event)
SIM_P = POINTER(ivrconf_sim)
KV_P = POINTER(ivrconf_kv)
STATS_P = POINTER(ivrconf_stats)

#: ``void (*ivrconf_event_fn)(void *userdata, const ivrconf_event *event)``
EVENT_FN = CFUNCTYPE(None, c_void_p, EVENT_P)
#: ``void (*ivrconf_log_fn)(void *userdata, uint32_t level, const char *message)``
LOG_FN = CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)
#: ``void (*ivrconf_free_fn)(void *userdata)``
FREE_FN = CFUNCTYPE(None, c_void_p)

_OP_ARGS: list[Any] = [ENGINE_P, c_char_p, c_char_p, KV_P, c_size_t, POINTER(ivrconf_op_id)]

#: name -> (restype, argtypes), for every function of the header.
PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    # version, results, last error
    "ivrconf_version": (c_char_p, []),
    "ivrconf_version_number": (c_uint32, []),
    "ivrconf_result_str": (c_char_p, [ivrconf_result]),
    "ivrconf_last_error": (c_char_p, []),
    # config
    "ivrconf_config_new": (ivrconf_result, [POINTER(CONFIG_P)]),
    "ivrconf_config_set": (ivrconf_result, [CONFIG_P, c_char_p, c_char_p]),
    "ivrconf_config_free": (None, [CONFIG_P]),
    # engine
    "ivrconf_engine_new": (
        ivrconf_result,
        [CONFIG_P, EVENT_FN, LOG_FN, c_void_p, FREE_FN, POINTER(ENGINE_P)],
    ),
    "ivrconf_engine_wait_ready": (ivrconf_result, [ENGINE_P, c_uint32]),
    "ivrconf_engine_shutdown": (ivrconf_result, [ENGINE_P]),
    "ivrconf_engine_free": (None, [ENGINE_P]),
    "ivrconf_engine_next_event": (ivrconf_result, [ENGINE_P, c_uint32, POINTER(EVENT_P)]),
    "ivrconf_engine_set_log_level": (ivrconf_result, [ENGINE_P, c_uint32]),
    "ivrconf_engine_stats": (ivrconf_result, [ENGINE_P, STATS_P]),
    # calls
    "ivrconf_call_new": (
        ivrconf_result,
        [ENGINE_P, c_char_p, c_char_p, c_char_p, c_char_p, KV_P, c_size_t],
    ),
    "ivrconf_call_end": (ivrconf_result, [ENGINE_P, c_char_p]),
    "ivrconf_call_state": (ivrconf_result, [ENGINE_P, c_char_p, POINTER(c_uint32)]),
    "ivrconf_call_can": (ivrconf_result, [ENGINE_P, c_char_p, c_uint32]),
    "ivrconf_call_set_userdata": (ivrconf_result, [ENGINE_P, c_char_p, c_void_p]),
    # call traces: the string stays a c_char_p object so it can be freed
    "ivrconf_call_trace": (ivrconf_result, [ENGINE_P, c_char_p, c_uint32, POINTER(c_char_p)]),
    "ivrconf_string_free": (None, [c_char_p]),
    # operations
    "ivrconf_conference_one_step": (ivrconf_result, _OP_ARGS),
    "ivrconf_conference_init": (ivrconf_result, _OP_ARGS),
    "ivrconf_conference_complete": (ivrconf_result, [ENGINE_P, c_char_p]),
    "ivrconf_transfer_one_step": (ivrconf_result, _OP_ARGS),
    "ivrconf_transfer_init": (ivrconf_result, _OP_ARGS),
    "ivrconf_transfer_complete": (ivrconf_result, [ENGINE_P, c_char_p]),
    "ivrconf_consult_cancel": (ivrconf_result, [ENGINE_P, c_char_p]),
    # events
    "ivrconf_event_kind": (c_uint32, [EVENT_P]),
    "ivrconf_event_call_id": (c_char_p, [EVENT_P]),
    "ivrconf_event_op_id": (ivrconf_op_id, [EVENT_P]),
    "ivrconf_event_op_kind": (c_uint32, [EVENT_P]),
    "ivrconf_event_status": (c_uint32, [EVENT_P]),
    "ivrconf_event_outcome": (c_uint32, [EVENT_P]),
    "ivrconf_event_failed_request": (c_uint32, [EVENT_P]),
    "ivrconf_event_tlib_error": (c_int32, [EVENT_P]),
    "ivrconf_event_call_state": (c_uint32, [EVENT_P]),
    "ivrconf_event_party_count": (c_uint32, [EVENT_P]),
    "ivrconf_event_text": (c_char_p, [EVENT_P]),
    "ivrconf_event_free": (None, [EVENT_P]),
    "ivrconf_event_call_userdata": (c_void_p, [EVENT_P]),
    "ivrconf_event_clone": (ivrconf_result, [EVENT_P, POINTER(EVENT_P)]),
    # constant names
    "ivrconf_event_kind_str": (c_char_p, [c_uint32]),
    "ivrconf_status_str": (c_char_p, [c_uint32]),
    "ivrconf_outcome_str": (c_char_p, [c_uint32]),
    "ivrconf_call_state_str": (c_char_p, [c_uint32]),
    "ivrconf_op_kind_str": (c_char_p, [c_uint32]),
    "ivrconf_request_str": (c_char_p, [c_uint32]),
    "ivrconf_log_level_str": (c_char_p, [c_uint32]),
    "ivrconf_trace_format_str": (c_char_p, [c_uint32]),
    # simulator
    "ivrconf_sim_new": (ivrconf_result, [c_char_p, POINTER(SIM_P)]),
    "ivrconf_sim_set": (ivrconf_result, [SIM_P, c_char_p, c_char_p]),
    "ivrconf_sim_port": (ivrconf_result, [SIM_P, POINTER(c_uint16)]),
    "ivrconf_sim_received_count": (ivrconf_result, [SIM_P, c_char_p, POINTER(c_uint64)]),
    "ivrconf_sim_wait_received": (ivrconf_result, [SIM_P, c_char_p, c_uint64, c_uint32]),
    "ivrconf_sim_connection_count": (ivrconf_result, [SIM_P, POINTER(c_uint64)]),
    "ivrconf_sim_free": (None, [SIM_P]),
}

#: Functions the binding can live without (a library built without the
#: simulator); calling one that is absent raises ``NotImplementedError``.
OPTIONAL: frozenset[str] = frozenset(name for name in PROTOTYPES if name.startswith("ivrconf_sim_"))

if TYPE_CHECKING:
    # ctypes names the pointer class only privately; annotations need it.
    from ctypes import _Pointer  # pyright: ignore[reportPrivateUsage]

    ConfigPtr = _Pointer[ivrconf_config]
    EnginePtr = _Pointer[ivrconf_engine]
    EventPtr = _Pointer[ivrconf_event]
    SimPtr = _Pointer[ivrconf_sim]
    KvPtr = _Pointer[ivrconf_kv]

#: A declared foreign function (what ``getattr(lib(), name)`` gives).
Function = Callable[..., Any]

_lock = threading.Lock()
_lib: "ctypes.CDLL | None" = None
_path: str = ""
_missing: frozenset[str] = frozenset()


def shared_name() -> str:
    """The file name of the shared library on this platform."""
    if sys.platform == "darwin":
        return "libivrconf.dylib"
    if sys.platform.startswith("win"):
        return "ivrconf.dll"
    return "libivrconf.so"


def _candidates() -> Iterator[tuple[str, bool]]:
    env = os.environ.get("IVRCONF_LIB")
    if env:
        # An explicit choice must load: never fall back silently.
        yield env, True
        return
    here = Path(__file__).resolve().parent
    yield str(here / shared_name()), False
    yield str(here.parents[1] / "target" / "release" / shared_name()), False
    found = ctypes.util.find_library("ivrconf")
    if found:
        yield found, False
    yield shared_name(), False


def _load() -> tuple[ctypes.CDLL, str]:
    errors: list[str] = []
    for path, required in _candidates():
        if not required and os.sep in path and not os.path.exists(path):
            errors.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            if required:
                raise OSError(f"IVRCONF_LIB={path!r} cannot be loaded: {exc}") from exc
            errors.append(f"{path}: {exc}")
    raise OSError(
        "libivrconf not found (install the package with pip, set IVRCONF_LIB, or run "
        "`cargo build --release` in the repository): " + "; ".join(errors)
    )


def _declare(cdll: ctypes.CDLL, path: str) -> frozenset[str]:
    missing: list[str] = []
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    required = sorted(n for n in missing if n not in OPTIONAL)
    if required:
        raise OSError(f"{path}: missing required symbols: {', '.join(required)}")
    return frozenset(missing)


def lib() -> ctypes.CDLL:
    """The loaded library, with every prototype declared (loaded once)."""
    loaded = _lib
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _lib
        if loaded is None:
            loaded = _load_declared()
        return loaded


def _load_declared() -> ctypes.CDLL:
    global _lib, _path, _missing
    cdll, path = _load()
    _missing = _declare(cdll, path)
    _path = path
    _lib = cdll
    return cdll


def library_path() -> str:
    """The path (or name) the library was loaded from."""
    lib()
    return _path


def has_function(name: str) -> bool:
    """Whether the loaded library exports ``name`` (e.g. the simulator's)."""
    lib()
    return name in PROTOTYPES and name not in _missing


def function(name: str) -> Function:
    """The declared foreign function ``name``; ``NotImplementedError`` if absent."""
    cdll = lib()
    if name in _missing:
        raise NotImplementedError(f"{_path} does not export {name}")
    fn: Function = getattr(cdll, name)
    return fn
