"""mod_python.cache: thread-safe caches that rebuild a value when its
source changes.

`cache[name]` gives the value for `name`, building it the first time and
again whenever `check()` finds it stale; with `max_size` the least
recently used entries go once there are more.  Subclasses say how:

- `key(name)`: the dictionary key for a name (the name itself);
- `check(key, name, entry)`: None while the entry is fresh, else an opened
  resource that `build(key, name, opened, entry)` makes the value from;
  `entry` keeps what they need between calls (a timestamp, a validator);
- `commit()`: after each change, to persist the cache if it wants.

FileCache (a file's content, rebuilt when its mtime changes), ModuleCache
(a module executed from a file, not put in sys.modules), HTTPCache and
HttpModuleCache (the same over HTTP, with Expires/max-age and ETag or
Last-Modified revalidation), WeakCache (values held weakly) and
FunctionCache (memoised calls) are mod_python's.  One entry is built by
one thread at a time; different entries build in parallel.
"""
from __future__ import annotations

import re
import threading
import time
import types
import urllib.error
import urllib.request
import weakref
from calendar import timegm
from collections import OrderedDict
from email.utils import parsedate
from os import stat

NOT_INITIALIZED = object()     # an entry's value before it is built


class Entry:
    """One cache entry: its key, value (or NOT_INITIALIZED) and the lock
    its builder holds; subclasses' check() may hang more on it."""

    def __init__(self, key) -> None:
        self._key = key
        self._value = NOT_INITIALIZED
        self._lock = threading.Lock()


class Cache:
    """The abstract cache (see the module doc); max_size 0: unbounded."""

    def __init__(self, max_size: int = 0) -> None:
        self._maxsize = max_size
        self._dict: OrderedDict = OrderedDict()      # key -> Entry, least recently used first
        self._lock = threading.Lock()

    def __setitem__(self, name, value) -> None:
        entry = self._get_entry(self.key(name))
        with entry._lock:
            self._pack(entry, value)
            self.commit()

    def __getitem__(self, name):
        return self._checkitem(name)[2]

    def __delitem__(self, name) -> None:
        with self._lock:
            del self._dict[self.key(name)]

    def _get_entry(self, key) -> Entry:
        with self._lock:
            entry = self._dict.get(key)
            if entry is None:
                entry = self._dict[key] = Entry(key)
                if self._maxsize and len(self._dict) > self._maxsize:
                    self._dict.popitem(last=False)
            else:
                self._dict.move_to_end(key)
            return entry

    def _checkitem(self, name):
        """(rebuilt?, key, value, entry) for `name`, built if needed."""
        key = self.key(name)
        entry = self._get_entry(key)
        with entry._lock:
            value = self._unpack(entry)
            opened = self.check(key, name, entry)
            if value is not NOT_INITIALIZED and opened is None:
                return False, key, value, entry
            value = self.build(key, name, opened, entry)
            self._pack(entry, value)
            self.commit()
            return True, key, value, entry

    def mru(self):
        """The most recently used key (None for an unbounded cache)."""
        with self._lock:
            return next(reversed(self._dict), None) if self._maxsize else None

    def lru(self):
        """The least recently used key (None for an unbounded cache)."""
        with self._lock:
            return next(iter(self._dict), None) if self._maxsize else None

    def key(self, name):
        return name

    def commit(self) -> None:
        pass

    def clear(self) -> None:
        with self._lock:
            self._dict.clear()

    def check(self, key, name, entry):
        return None

    def build(self, key, name, opened, entry):
        raise NotImplementedError("a Cache subclass says how to build a value")

    def _pack(self, entry: Entry, value) -> None:
        entry._value = value

    def _unpack(self, entry: Entry):
        return entry._value


class WeakCache(Cache):
    """Values held by weak references: an entry goes once nobody else
    holds its value."""

    def _pack(self, entry: Entry, value) -> None:
        key = entry._key
        entry._value = weakref.ref(value, lambda ref: self._forget(key))

    def _forget(self, key) -> None:
        with self._lock:
            self._dict.pop(key, None)

    def _unpack(self, entry: Entry):
        if entry._value is NOT_INITIALIZED:
            return NOT_INITIALIZED
        value = entry._value()
        return NOT_INITIALIZED if value is None else value


class FileCache(Cache):
    """A file's content by its name, read again when its mtime changes."""

    def __init__(self, max_size: int = 0, mode: str = "rb") -> None:
        super().__init__(max_size)
        self.mode = mode

    def check(self, key, name, entry):
        mtime = stat(key).st_mtime
        if entry._value is not NOT_INITIALIZED and getattr(entry, "_timestamp", None) == mtime:
            return None
        entry._timestamp = mtime
        return open(key, self.mode)

    def build(self, key, name, opened, entry):
        with opened:
            return opened.read()


def parseRFC822Time(t: str) -> float:
    """Seconds since the epoch of an HTTP date."""
    return float(timegm(parsedate(t)))


_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)


class HTTPEntity:
    """What HTTPCache holds: the body and the response's headers."""

    def __init__(self, entity, metadata) -> None:
        self.entity = entity
        self.metadata = metadata

    def __repr__(self) -> str:
        return f"HTTPEntity({self.entity!r}, {self.metadata})"

    def __str__(self) -> str:
        return self.entity if isinstance(self.entity, str) else self.entity.decode("latin-1")


class HTTPCache(Cache):
    """The entity at a URL: kept while Cache-Control max-age or Expires
    says it is fresh, then revalidated with its ETag or Last-Modified."""

    def check(self, key, name, entry):
        if time.time() < getattr(entry, "_expires", 0):
            return None
        request = urllib.request.Request(key)
        validator = getattr(entry, "_validator", None)
        if validator is not None:
            request.add_header(*validator)
        try:
            opened = urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return None
            raise
        self._remember(opened.info(), entry)
        return opened

    @staticmethod
    def _remember(headers, entry: Entry) -> None:
        """How long the response stays fresh, and how to revalidate it."""
        match = _MAX_AGE.search(headers.get("cache-control", ""))
        if match:
            entry._expires = time.time() + int(match.group(1))
        elif headers.get("date") and headers.get("expires"):
            try:
                lifetime = parseRFC822Time(headers["expires"]) - parseRFC822Time(headers["date"])
                entry._expires = time.time() + lifetime
            except (TypeError, ValueError):
                pass
        if headers.get("etag"):
            entry._validator = ("If-None-Match", headers["etag"])
        elif headers.get("last-modified"):
            entry._validator = ("If-Modified-Since", headers["last-modified"])

    def build(self, key, name, opened, entry):
        with opened:
            return HTTPEntity(opened.read(), dict(opened.info()))


_NOT_WORD = re.compile(r"\W+")


def _module_from(source, key: str, filename: str) -> types.ModuleType:
    module = types.ModuleType(_NOT_WORD.sub("_", key))
    module.__file__ = key
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


class ModuleCache(FileCache):
    """A module executed from a file (not put in sys.modules), executed
    again when the file changes."""

    def __init__(self, max_size: int = 0) -> None:
        super().__init__(max_size, "r")

    def build(self, key, name, opened, entry):
        with opened:
            return _module_from(opened.read(), key, key)


class HttpModuleCache(HTTPCache):
    """A module executed from the Python source at a URL."""

    def build(self, key, name, opened, entry):
        with opened:
            source = opened.read().replace(b"\r\n", b"\n")
            return _module_from(source, key, name)


class FunctionCache(Cache):
    """`function`'s results by their arguments (which must be hashable)."""

    def __init__(self, function, max_size: int = 0) -> None:
        super().__init__(max_size)
        self.function = function

    def __call__(self, *args, **kw):
        return self[args, tuple(kw.items())]

    def build(self, key, name, opened, entry):
        args, kw = key
        return self.function(*args, **dict(kw))
