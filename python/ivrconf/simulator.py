"""``Simulator``: the bundled IVR Server simulator (``ivrconf_sim_*``).

The simulator listens on a loopback TCP port and scripts its answers by the
destination number (longest prefix): ``busy...`` busy, ``fail...`` CallError
at init, ``failcomplete...``, ``noanswer...``, ``hangup...``, ``slow...``,
``silent...``; anything else answers. ``set(key, value)`` changes the rest.
"""

import ctypes
import weakref

from . import _ffi
from ._handle import Owner
from .config import format_value
from .errors import check, to_c

__all__ = ["Simulator"]


def _free_sim(ptr):
    _ffi.function("ivrconf_sim_free")(ptr)


class Simulator:
    """``Simulator("127.0.0.1:0")``: a running simulator (a context manager).

    ``port`` is the port it listens on, ``address`` ``"host:port"`` for the
    engine's ``server`` setting. Failures raise :class:`IvrconfError`
    (``IO`` when the address cannot be bound, ``UNKNOWN_KEY`` /
    ``INVALID_ARGUMENT`` from :meth:`set`).
    """

    def __init__(self, listen="127.0.0.1:0", /, **settings):
        out = _ffi.SIM_P()
        check(_ffi.function("ivrconf_sim_new")(to_c(listen, "listen"), ctypes.byref(out)), "ivrconf_sim_new")
        self._owner = Owner(out, _free_sim, lambda: ValueError("Simulator is closed"))
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

    def _read_port(self):
        port = ctypes.c_uint16()
        with self._owner.use() as ptr:
            check(_ffi.function("ivrconf_sim_port")(ptr, ctypes.byref(port)), "ivrconf_sim_port")
        return port.value

    @property
    def port(self) -> int:
        """The TCP port the simulator listens on."""
        return self._port

    def set(self, key, value):
        """``ivrconf_sim_set``: changes one simulator setting; returns ``self``.
        ``bool`` and ``int`` values are formatted as for :class:`Config`."""
        fn = _ffi.function("ivrconf_sim_set")
        with self._owner.use() as ptr:
            check(fn(ptr, to_c(key, "key"), to_c(format_value(value), f"value of {key!r}")), "ivrconf_sim_set")
        return self

    def received_count(self, name=None) -> int:
        """How many frames the simulator received named ``name`` (e.g.
        ``"RetrieveCall"``); all frames when ``name`` is ``None``."""
        count = ctypes.c_uint64()
        fn = _ffi.function("ivrconf_sim_received_count")
        with self._owner.use() as ptr:
            check(fn(ptr, to_c(name, "name", nullable=True), ctypes.byref(count)), "ivrconf_sim_received_count")
        return count.value

    def close(self):
        """Stops the simulator and frees it (idempotent)."""
        self._finalizer()

    @property
    def closed(self):
        return self._owner.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
