"""mod_python's table: a case-insensitive, multi-valued mapping that is a
view of an apr_table_t (headers_in, headers_out, notes, subprocess_env ...).

Reads and writes go straight to the APR table, in Apache's order; nothing is
copied.  As the manual says, `t[key]` gives the value, or the list of values
when `add()` gave the key several; `get()` gives the first, `get_all()` all.

A table Apache owns lives only as long as its pool.  `watch()` ties a
wrapper to its pool: when the pool goes, the wrapper is cut loose and any
later use raises RuntimeError instead of reading freed memory.
"""
from __future__ import annotations

import weakref
from collections.abc import MutableMapping
from typing import Iterator, Union

from modpy.core import cleanups
from modpy.core.ffi import ENCODING, ERRORS, NULL, address, c_string, ffi, lib, text, to_bytes
from modpy.objects.typenames import mod_python_type

Text = Union[str, bytes]


_SEVERAL = lib.modpy_several_values()   # modpy_table_value's answer for a key with several
# the calls of every request's table use, bound once (no lookup on `lib` each time)
_table_value, _table_get = lib.modpy_table_value, lib.apr_table_get
_table_set, _table_add = lib.apr_table_set, lib.apr_table_add

# str key -> its bytes: the few names a site uses, encoded once (bounded)
_keys: dict[str, bytes] = {}
_KEYS_MAX = 256


def _cell(value, what: str) -> bytes:
    """A key or value as the bytes of a C string: str or bytes, or a number
    as its text, as mod_python's tables take it (t[1] = 2)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return to_bytes(value, what)


def _key(key: Text) -> bytes:
    """A table key as the bytes of a C string.  Callers look in `_keys`
    first themselves (`_keys.get(key) or _key(key)`): a hit then costs no
    Python frame, and tables are used a few times in every request."""
    k = _keys.get(key) if type(key) is str else None
    if k is None:
        k = _cell(key, "table key")
        if type(key) is str and len(_keys) < _KEYS_MAX:
            _keys[key] = k
    return k


@mod_python_type("mp_table")
class Table(MutableMapping):
    __slots__ = ("_t", "__weakref__")

    def __init__(self, t=None) -> None:
        """Wrap an Apache table, or make a new one in a pool of its own that
        lives as long as this object; a mapping or a sequence of pairs
        given instead fills the new table (the manual's `apache.table(...)`),
        each pair set in turn: a key given twice keeps its last value, as
        in mod_python."""
        if t is not None and isinstance(t, ffi.CData):
            self._t = t
            return
        holder = ffi.new("apr_pool_t **")
        if lib.apr_pool_create_ex(holder, NULL, NULL, NULL) != 0:
            raise MemoryError("cannot create an APR pool for a table")
        self._t = lib.apr_table_make(holder[0], 8)
        # the pool goes with this object: a finalizer on this one only, not
        # on the tables of every request
        weakref.finalize(self, lib.apr_pool_destroy, holder[0]).atexit = False
        if t is not None:
            pairs = t.items() if hasattr(t, "items") else t
            for i, pair in enumerate(pairs):
                if len(pair) != 2:         # dict's words, as mod_python's
                    raise ValueError(f"table update sequence element #{i} has length {len(pair)}; "
                                     "2 is required")
                self[pair[0]] = pair[1]

    def invalidate(self) -> None:
        """Forget the APR table (its pool is being destroyed): `_t` is
        unset, and reading it raises (below) where the methods use it, with
        no check of their own on the way."""
        try:
            del self._t
        except AttributeError:         # already gone
            pass

    def __getattr__(self, name: str):
        # only for an unset slot: `_t` after invalidate()
        if name == "_t":
            raise RuntimeError("this table is gone: Apache freed it with its pool "
                               "(a request's tables last only as long as the request)")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # entries ---------------------------------------------------------
    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        # copied out by C as "key\0value\0...": decoded and split in one go
        # (the CGI environment reads some twenty entries per request)
        t = self._t
        length = lib.modpy_table_joined_length(t)
        if not length:
            return []
        joined = ffi.new("char[]", length)
        lib.modpy_table_join(t, joined)
        fields = iter(ffi.unpack(joined, length - 1).decode(ENCODING, ERRORS).split("\0"))
        pairs = list(zip(fields, fields))
        if any(not value for _, value in pairs):
            pairs = self._valueless_as_none(pairs)
        return pairs

    def _valueless_as_none(self, pairs: list) -> list:
        """An entry Apache added without a value reads None, as by key
        (the join gave it as ""); keys are never NULL in a request's tables."""
        entries = ffi.cast("apr_table_entry_t *", lib.apr_table_elts(self._t).elts)
        return [(key, None if not value and entries[i].val == NULL else value)
                for i, (key, value) in enumerate(pairs)]

    def keys(self) -> list[str]:  # type: ignore[override]
        return [k for k, _ in self.items()]

    def values(self) -> list[str]:  # type: ignore[override]
        return [v for _, v in self.items()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return ffi.cast("apr_array_header_t *", self._t).nelts

    # lookups ---------------------------------------------------------
    def _lookup(self, key: Text) -> list:
        """Every value of `key` (ASCII case-insensitive, as APR compares) as
        C strings, in order.  Searched in C (calls that keep the GIL: see
        _build_ffi.QUICK_CALLS)."""
        t = self._t
        key = _keys.get(key) or _key(key)
        n = lib.modpy_table_values(t, key, NULL, 0)
        found = ffi.new("const char *[]", n)
        lib.modpy_table_values(t, key, found, n)
        return list(found)

    def __getitem__(self, key: Text) -> Union[str, list[str]]:
        k = _keys.get(key) or _key(key)
        value = _table_value(self._t, k)
        if not value:
            if lib.modpy_table_values(self._t, k, NULL, 0):
                return None     # an entry without a value (ap_add_common_vars' SCRIPT_FILENAME before
                                # the file is known): None, as mod_python gives
            raise KeyError(key)
        found = c_string(value).decode(ENCODING, ERRORS)
        if not found and value == _SEVERAL:    # the marker is "": compared only then
            return [text(v) for v in self._lookup(key)]
        return found

    def get(self, key: Text, default=None):
        """The first value of `key` (apr_table_get), or `default`."""
        value = _table_get(self._t, _keys.get(key) or _key(key))
        return c_string(value).decode(ENCODING, ERRORS) if value else default

    def __contains__(self, key) -> bool:
        if not isinstance(key, (str, bytes)):
            return False
        return bool(_table_get(self._t, _keys.get(key) or _key(key)))

    def get_all(self, key: Text) -> list[str]:
        """Every value of `key`, in order."""
        return [text(v) for v in self._lookup(key)]

    getall = get_all

    # writes: apr_table_set/add copy key and value into the table's pool
    def __setitem__(self, key: Text, value: Text) -> None:
        _table_set(self._t, _keys.get(key) or _key(key),
                   to_bytes(value, "table value") if type(value) is str else _cell(value, "table value"))

    def add(self, key: Text, value: Text) -> None:
        """Add a value beside any the key already has (Set-Cookie ...)."""
        _table_add(self._t, _keys.get(key) or _key(key),
                   to_bytes(value, "table value") if type(value) is str else _cell(value, "table value"))

    def __delitem__(self, key: Text) -> None:
        if key not in self:
            raise KeyError(key)
        lib.apr_table_unset(self._t, _key(key))

    _NO_DEFAULT = object()

    def pop(self, key: Text, default=_NO_DEFAULT):
        """Remove `key` (every value of it); what __getitem__ gave, or
        `default`.  One lookup, where MutableMapping's pop takes three."""
        try:
            value = self[key]
        except KeyError:
            if default is self._NO_DEFAULT:
                raise
            return default
        lib.apr_table_unset(self._t, _key(key))
        return value

    def clear(self) -> None:
        lib.apr_table_clear(self._t)

    def setdefault(self, key: Text, default: Text = "") -> Union[str, list[str]]:
        """As dict.setdefault, with "" for default, as mod_python's table
        (a table holds no None)."""
        if key in self:
            return self[key]
        self[key] = default
        return default

    def update(self, other=(), /, **kw) -> None:
        """As dict.update, and as mod_python's table where that differs:
        something neither a mapping nor pairs is an AttributeError (it has
        no keys()), not a TypeError."""
        if not hasattr(other, "keys") and not hasattr(other, "__iter__"):
            raise AttributeError(f"'{type(other).__name__}' object has no attribute 'keys'")
        super().update(other, **kw)

    def copy(self) -> "Table":
        """A new table with the same entries (a key's several values too),
        in a pool of its own."""
        copy = Table()
        for key, value in self.items():
            copy.add(key, value)
        return copy

    def __eq__(self, other) -> bool:
        if isinstance(other, Table):
            return self.items() == other.items()
        if isinstance(other, dict):
            return dict(self.items()) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """As mod_python shows a table: like a dict, every entry (a key
        with several values once for each), the last entry first."""
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in reversed(self.items())) + "}"


# ------------------------------------------------------------ lifetimes

_watched: dict[int, list] = {}


def watch(pool, wrapper) -> None:
    """Invalidate `wrapper` (anything with .invalidate()) when `pool` goes.
    One pool cleanup per pool, however many wrappers ride on it."""
    key = address(pool)
    riders = _watched.get(key)
    if riders is None:
        riders = _watched[key] = []
        cleanups.register(pool, lambda: _release(key))
    riders.append(wrapper)


def _release(key: int) -> None:
    for wrapper in _watched.pop(key, ()):
        wrapper.invalidate()


def view(t, pool) -> Table:
    """A Table over `t`, an APR table living in `pool`."""
    table = Table(t)
    watch(pool, table)
    return table

