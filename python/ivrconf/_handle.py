"""Ownership of one C handle shared by several Python threads.

Owns: counting the threads inside C with a handle and freeing it exactly
once, after the last of them. Must not: know which C type the handle is
(the free / wake functions are given).
"""

import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["Owner"]

P = TypeVar("P")


class Owner(Generic[P]):
    """Holds a C pointer and counts the calls using it, so that ``close``
    never frees it while another thread is inside a C function with it.

    ``use()`` yields the pointer (or raises ``closed_error()``); ``close()``
    stops new users, calls ``wake(ptr)`` if some are still inside C, waits
    for them, runs the C free function once and forgets the pointer. While a close is under way, ``use(True)``
    still admits callers that the C library explicitly allows (an engine's
    own callbacks run during ``ivrconf_engine_free``).
    """

    __slots__ = ("ptr", "_wake", "_cond", "_users", "_closing", "_free", "_closed_error", "__weakref__")

    ptr: P | None

    def __init__(
        self,
        ptr: P,
        free: Callable[[P], None],
        closed_error: Callable[[], BaseException],
        wake: Callable[[P], None] | None = None,
    ) -> None:
        self.ptr = ptr
        self._wake = wake
        self._cond = threading.Condition(threading.Lock())
        self._users = 0
        self._closing = False
        self._free = free
        self._closed_error = closed_error

    @property
    def closed(self) -> bool:
        return self.ptr is None or self._closing

    @contextmanager
    def use(self, while_closing: bool = False) -> Generator[P, None, None]:
        with self._cond:
            ptr = self.ptr
            if ptr is None or (self._closing and not while_closing):
                raise self._closed_error()
            self._users += 1
        try:
            yield ptr
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0:
                    self._cond.notify_all()

    def close(self, wait: bool = True) -> bool:
        """Frees the handle once; ``False`` when it was closed (or closing)
        already. With ``wait``, a close under way in another thread is waited
        for, so that the handle is gone whenever this returns."""
        with self._cond:
            if self._closing and wait:
                while self.ptr is not None:
                    self._cond.wait()
            ptr = self.ptr
            if ptr is None or self._closing:
                return False
            self._closing = True
            if self._users and self._wake is not None:
                # Ask the C side to end the blocking calls still running
                # (the pointer is valid: they hold it).
                self._wake(ptr)
            while self._users:
                self._cond.wait()
        try:
            self._free(ptr)
        finally:
            with self._cond:
                self.ptr = None
                self._closing = False
                self._cond.notify_all()
        return True
