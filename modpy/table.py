"""mod_python's table: a case-insensitive, multi-valued mapping that is a
view of an apr_table_t (headers_in, headers_out, notes, subprocess_env ...).

Reads and writes go straight to the APR table, in Apache's order; nothing is
copied.  `t[key]` gives the first value (mod_python gives a list when there
are several: use `t.get_all(key)` / `getall` for all of them).
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Iterator, Optional, Union

from ._ffi import NULL, ffi, lib, text, to_bytes

Text = Union[str, bytes]
_SCAN_MAX = 24      # larger tables are searched by apr_table_get (hashed)


class Table(MutableMapping):
    __slots__ = ("_t", "_own_pool")

    def __init__(self, t=None) -> None:
        """Wrap an Apache table, or (with no argument) make a new one in a
        pool of its own that lives as long as this object."""
        self._own_pool = None
        if t is None:
            holder = ffi.new("apr_pool_t **")
            if lib.apr_pool_create_ex(holder, NULL, NULL, NULL) != 0:
                raise MemoryError("cannot create an APR pool for a table")
            self._own_pool = holder[0]
            t = lib.apr_table_make(self._own_pool, 8)
        self._t = t

    def __del__(self) -> None:
        if self._own_pool is not None:
            lib.apr_pool_destroy(self._own_pool)
            self._own_pool = None

    # entries ---------------------------------------------------------
    def _entries(self):
        elts = lib.apr_table_elts(self._t)
        return ffi.cast("apr_table_entry_t *", elts.elts), elts.nelts

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        entries, n = self._entries()
        return [(text(entries[i].key), text(entries[i].val)) for i in range(n)
                if entries[i].key != NULL]

    def keys(self) -> list[str]:  # type: ignore[override]
        return [k for k, _ in self.items()]

    def values(self) -> list[str]:  # type: ignore[override]
        return [v for _, v in self.items()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.items())

    # lookups ---------------------------------------------------------
    def _find(self, key: Text):
        """apr_table_get(): the first value of `key` (ASCII case-insensitive)
        or NULL.  A small table is searched here in Python: a call into C
        makes cffi drop and retake the GIL, a thread switch under load.  The
        array header is the start of every apr_table_t (apr_table_elts() is
        that very cast), so reading it needs no call."""
        key = to_bytes(key, "table key")
        elts = ffi.cast("apr_array_header_t *", self._t)
        n = elts.nelts
        if n > _SCAN_MAX:
            return lib.apr_table_get(self._t, key)
        entries = ffi.cast("apr_table_entry_t *", elts.elts)
        want = key.lower()
        for i in range(n):
            entry = entries[i]
            k = entry.key
            if k != NULL and ffi.string(k).lower() == want:
                return entry.val
        return NULL

    def __getitem__(self, key: Text) -> str:
        value = self._find(key)
        if value == NULL:
            raise KeyError(key)
        return text(value)

    def get(self, key: Text, default=None):
        value = self._find(key)
        return default if value == NULL else text(value)

    def __contains__(self, key) -> bool:
        if not isinstance(key, (str, bytes)):
            return False
        return self._find(key) != NULL

    def get_all(self, key: Text) -> list[str]:
        """Every value of `key`, in order."""
        want = (key.decode("latin-1") if isinstance(key, bytes) else key).lower()
        return [v for k, v in self.items() if k.lower() == want]

    getall = get_all

    # writes: apr_table_set/add copy key and value into the table's pool
    def __setitem__(self, key: Text, value: Text) -> None:
        lib.apr_table_set(self._t, to_bytes(key, "table key"), to_bytes(value, "table value"))

    def add(self, key: Text, value: Text) -> None:
        """Add a value beside any the key already has (Set-Cookie ...)."""
        lib.apr_table_add(self._t, to_bytes(key, "table key"), to_bytes(value, "table value"))

    def __delitem__(self, key: Text) -> None:
        if key not in self:
            raise KeyError(key)
        lib.apr_table_unset(self._t, to_bytes(key, "table key"))

    def clear(self) -> None:
        lib.apr_table_clear(self._t)

    def copy(self) -> dict:
        return dict(self.items())

    def __repr__(self) -> str:
        return f"<modpy.table {self.items()!r}>"
