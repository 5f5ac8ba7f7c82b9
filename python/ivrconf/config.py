"""``Config``: an ``ivrconf_config`` built from keyword arguments or ``set()``."""

import ctypes
import weakref

from . import _ffi
from ._handle import Owner
from .errors import check, to_c

__all__ = ["Config", "format_value"]


def format_value(value):
    """A Python value as the text ``ivrconf_config_set`` expects.

    ``bool`` -> ``"true"``/``"false"``, ``int`` -> decimal, ``str``/``bytes``
    unchanged. Anything else is refused (``TypeError``) rather than guessed.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (str, bytes, bytearray)):
        return value
    raise TypeError(f"config values are str, bytes, int or bool, not {type(value).__name__}")


def _free_config(ptr):
    _ffi.lib().ivrconf_config_free(ptr)


class Config:
    """Engine settings (C-API.md "Config").

    ``Config(server="127.0.0.1:7001", client_name="ivr1", request_timeout_ms=500)``
    or ``Config({"server": [...], ...})``. A list or tuple value sets the key
    once per element (``server`` appends: primary first, then backups).
    Every refusal of ``ivrconf_config_set`` raises :class:`IvrconfError`
    (``UNKNOWN_KEY``, ``INVALID_ARGUMENT``). Not synchronised in C: the
    binding serialises calls on one ``Config``. ``Engine`` copies it, so a
    ``Config`` may be reused or closed once an engine is built.
    """

    def __init__(self, settings=None, /, **kwargs):
        out = _ffi.CONFIG_P()
        check(_ffi.lib().ivrconf_config_new(ctypes.byref(out)), "ivrconf_config_new")
        self._owner = Owner(out, _free_config, lambda: ValueError("Config is closed"))
        self._finalizer = weakref.finalize(self, self._owner.close)
        try:
            for source in (settings or {}, kwargs):
                for key, value in source.items():
                    self.set(key, value)
        except BaseException:
            self.close()
            raise

    def set(self, key, value):
        """Sets ``key`` (a list/tuple value: once per element); returns ``self``."""
        values = value if isinstance(value, (list, tuple)) else (value,)
        ckey = to_c(key, "key")
        fn = _ffi.lib().ivrconf_config_set
        with self._owner.use() as ptr:
            for v in values:
                check(fn(ptr, ckey, to_c(format_value(v), f"value of {key!r}")), "ivrconf_config_set")
        return self

    def close(self):
        """Frees the C config (idempotent)."""
        self._finalizer()

    @property
    def closed(self):
        return self._owner.closed

    def _use(self):
        return self._owner.use()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
