"""Ownership of one C handle shared by several Python threads."""

import threading
from contextlib import contextmanager

__all__ = ["Owner"]


class Owner:
    """Holds a C pointer and counts the calls using it, so that ``close``
    never frees it while another thread is inside a C function with it.

    ``use()`` yields the pointer (or raises ``closed_error()``); ``close()``
    stops new users, waits for the current ones, runs the C free function
    once and forgets the pointer. While a close is under way, ``use(True)``
    still admits callers that the C library explicitly allows (an engine's
    own callbacks run during ``ivrconf_engine_free``).
    """

    __slots__ = ("ptr", "_cond", "_users", "_closing", "_free", "_closed_error", "__weakref__")

    def __init__(self, ptr, free, closed_error):
        self.ptr = ptr
        self._cond = threading.Condition(threading.Lock())
        self._users = 0
        self._closing = False
        self._free = free
        self._closed_error = closed_error

    @property
    def closed(self):
        return self.ptr is None or self._closing

    @contextmanager
    def use(self, while_closing=False):
        with self._cond:
            if self.ptr is None or (self._closing and not while_closing):
                raise self._closed_error()
            self._users += 1
            ptr = self.ptr
        try:
            yield ptr
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0:
                    self._cond.notify_all()

    def close(self, wait=True):
        """Frees the handle once; ``False`` when it was closed (or closing)
        already. With ``wait``, a close under way in another thread is waited
        for, so that the handle is gone whenever this returns."""
        with self._cond:
            if self._closing and wait:
                while self.ptr is not None:
                    self._cond.wait()
            if self.ptr is None or self._closing:
                return False
            self._closing = True
            while self._users:
                self._cond.wait()
            ptr = self.ptr
        try:
            self._free(ptr)
        finally:
            with self._cond:
                self.ptr = None
                self._closing = False
                self._cond.notify_all()
        return True
