"""``Simulator``: the bundled IVR Server simulator (``ivrconf_sim_*``).

The simulator listens on a loopback TCP port and scripts its answers by the
destination number (longest prefix): ``busy...`` busy, ``fail...`` CallError
at init, ``failcomplete...``, ``noanswer...``, ``hangup...``, ``slow...``,
``silent...``; anything else answers. ``set(key, value)`` changes the rest.

Owns: the simulator handle. Must not: script anything itself (the library's
simulator does; this only forwards settings).
"""

import ctypes
import weakref
from typing import TYPE_CHECKING

from . import _ffi
from ._handle import Owner
from .config import Value, format_value
from .errors import Text, check, to_c, uint32

if TYPE_CHECKING:
    from ._ffi import SimPtr

__all__ = ["Simulator"]


def _free_sim(ptr: "SimPtr") -> None:
    _ffi.function("ivrconf_sim_free")(ptr)


class Simulator:
    """``Simulator("127.0.0.1:0")``: a running simulator (a context manager).

    ``port`` is the port it listens on, ``address`` ``"host:port"`` for the
    engine's ``server`` setting. Failures raise :class:`~ivrconf.IoError`
    when the address cannot be bound, :class:`~ivrconf.UnknownKeyError` /
    :class:`~ivrconf.ArgumentError` from :meth:`set`.
    """

    def __init__(self, listen: Text = "127.0.0.1:0", /, **settings: Value) -> None:
        out = _ffi.SIM_P()
        check(_ffi.function("ivrconf_sim_new")(to_c(listen, "listen"), ctypes.byref(out)), "ivrconf_sim_new")
        self._owner: Owner[SimPtr] = Owner(out, _free_sim, lambda: ValueError("Simulator is closed"))
        self._finalizer = weakref.finalize(self, self._owner.close)
        host = listen.rsplit(":", 1)[0] if isinstance(listen, str) else "127.0.0.1"
        if host in ("", "0.0.0.0", "[::]"):
            host = "127.0.0.1"
        try:
            self._port = self._read_port()
            for key, value in settings.items():
                self.set(key, value)
        except BaseException:
            self.close()
            raise
        self.address = f"{host}:{self._port}"

    def _read_port(self) -> int:
        port = ctypes.c_uint16()
        with self._owner.use() as ptr:
            check(_ffi.function("ivrconf_sim_port")(ptr, ctypes.byref(port)), "ivrconf_sim_port")
        return int(port.value)

    @property
    def port(self) -> int:
        """The TCP port the simulator listens on."""
        return self._port

    def set(self, key: str, value: Value) -> "Simulator":
        """``ivrconf_sim_set``: changes one simulator setting; returns ``self``.
        ``bool`` and ``int`` values are formatted as for :class:`Config`."""
        fn = _ffi.function("ivrconf_sim_set")
        with self._owner.use() as ptr:
            check(fn(ptr, to_c(key, "key"), to_c(format_value(value), f"value of {key!r}")), "ivrconf_sim_set")
        return self

    def received_count(self, name: Text | None = None) -> int:
        """How many frames the simulator received named ``name`` (e.g.
        ``"RetrieveCall"``); all frames when ``name`` is ``None``."""
        count = ctypes.c_uint64()
        fn = _ffi.function("ivrconf_sim_received_count")
        with self._owner.use() as ptr:
            check(fn(ptr, to_c(name, "name", nullable=True), ctypes.byref(count)), "ivrconf_sim_received_count")
        return int(count.value)

    def wait_received(self, name: Text, count: int = 1, timeout_ms: int = 5000) -> None:
        """Blocks until ``count`` messages named ``name`` have been received;
        :class:`~ivrconf.TimeoutError` after ``timeout_ms``."""
        count = int(count)
        if not 0 <= count < 1 << 64:
            raise ValueError(f"count must be in 0..2**64-1, got {count}")
        fn = _ffi.function("ivrconf_sim_wait_received")
        with self._owner.use() as ptr:
            check(fn(ptr, to_c(name, "name"), count, uint32(timeout_ms, "timeout_ms")), "ivrconf_sim_wait_received")

    def connection_count(self) -> int:
        """How many connections the simulator has accepted so far."""
        count = ctypes.c_uint64()
        fn = _ffi.function("ivrconf_sim_connection_count")
        with self._owner.use() as ptr:
            check(fn(ptr, ctypes.byref(count)), "ivrconf_sim_connection_count")
        return int(count.value)

    def close(self) -> None:
        """Stops the simulator and frees it (idempotent)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._owner.closed

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
