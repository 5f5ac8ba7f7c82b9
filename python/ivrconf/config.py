"""``Config``: an ``ivrconf_config`` built from keyword arguments or ``set()``.

Owns: the config handle and the formatting of Python values as config text.
Must not: validate keys or values itself (the library does, and says why).
"""

import contextlib
import ctypes
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Union

from . import _ffi
from ._handle import Owner
from .errors import Text, check, to_c

if TYPE_CHECKING:
    from ._ffi import ConfigPtr

__all__ = ["Config", "Value", "Setting", "format_value"]

#: One config (or simulator) value: text as is, ``bool`` / ``int`` formatted.
Value = Union[Text, int, bool]
#: A setting: a value, or a list / tuple of values (the key is set once per
#: element, e.g. ``server``: primary first, then backups).
Setting = Union[Value, list[Value], tuple[Value, ...]]


def format_value(value: object) -> Text:
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


def _free_config(ptr: "ConfigPtr") -> None:
    _ffi.lib().ivrconf_config_free(ptr)


class Config:
    """Engine settings (the README's "Configuration keys" lists them).

    ``Config(server="127.0.0.1:7001", client_name="ivr1", request_timeout_ms=500)``
    or ``Config({"server": [...], ...})``. A list or tuple value sets the key
    once per element (``server`` appends: primary first, then backups).
    ``ivrconf_config_set`` refusals raise :class:`~ivrconf.UnknownKeyError`
    (no such key) or :class:`~ivrconf.ArgumentError` (a bad value). Not
    synchronised in C: the binding serialises calls on one ``Config``. ``Engine`` copies it, so a
    ``Config`` may be reused or closed once an engine is built.
    """

    def __init__(self, settings: Mapping[str, Setting] | None = None, /, **kwargs: Setting) -> None:
        out = _ffi.CONFIG_P()
        check(_ffi.lib().ivrconf_config_new(ctypes.byref(out)), "ivrconf_config_new")
        self._owner: Owner[ConfigPtr] = Owner(out, _free_config, lambda: ValueError("Config is closed"))
        self._finalizer = weakref.finalize(self, self._owner.close)
        try:
            for source in (settings or {}, kwargs):
                for key, value in source.items():
                    self.set(key, value)
        except BaseException:
            self.close()
            raise

    def set(self, key: str, value: Setting) -> "Config":
        """Sets ``key`` (a list/tuple value: once per element); returns ``self``."""
        values = value if isinstance(value, (list, tuple)) else (value,)
        ckey = to_c(key, "key")
        fn = _ffi.lib().ivrconf_config_set
        with self._owner.use() as ptr:
            for v in values:
                check(fn(ptr, ckey, to_c(format_value(v), f"value of {key!r}")), "ivrconf_config_set")
        return self

    def close(self) -> None:
        """Frees the C config (idempotent)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._owner.closed

    def __enter__(self) -> "Config":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def config_handle(config: Config) -> "contextlib.AbstractContextManager[ConfigPtr]":
    """The C handle of ``config`` while the ``with`` block runs (for
    ``ivrconf_engine_new``); ``ValueError`` once the config is closed."""
    # The binding's own access, kept off Config's public face.
    return config._owner.use()  # pyright: ignore[reportPrivateUsage]
