"""`_apache`: the name of mod_python's C module, which handlers written for
it import for what the `apache` module does not re-export: the global
locks (`_global_lock`, `_global_trylock`, `_global_unlock`).  Inside
Apache, `import _apache` gives this module (modpy.entry registers it);
the functions mod_python's `apache` also offers are the same objects."""
from __future__ import annotations

from modpy.core import globallock
from modpy.library.apache import (
    config_tree,
    exists_config_define,
    log_error,
    make_table,
    mpm_query,
    parse_qs,
    parse_qsl,
    server_root,
    stat,
    table,
)


def _global_lock(server, key, index: int = -1) -> None:
    """Wait for the global lock `index` (or the one `key` hashes to)."""
    globallock.lock(key, index)


def _global_trylock(server, key, index: int = -1) -> bool:
    return globallock.trylock(key, index)


def _global_unlock(server, key, index: int = -1) -> None:
    globallock.unlock(key, index)


__all__ = ["_global_lock", "_global_trylock", "_global_unlock", "config_tree",
           "exists_config_define", "log_error", "make_table", "mpm_query", "parse_qs", "parse_qsl",
           "server_root", "stat", "table"]
