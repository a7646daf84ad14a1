"""The configs behind Apache's per-directory and per-server records.

The shim's C records carry integer ids; here are the parsed configs they
name (`registry`), the entry of every Python* directive (parsed by
modpy.config, stored here, its phase bits written back into the C record),
and `resolve`, which turns the chain of records Apache merged for a request
into the one config in effect.
"""
from __future__ import annotations

import traceback
from typing import Optional

from modpy import constants as C
from modpy.config import directives
from modpy.config.grammar import DirectiveError
from modpy.config.model import DirConfig, Registry, ServerConfig
from modpy.core import cleanups, directive_module, log, runtime
from modpy.core.ffi import NULL, ffi, pstr, text

ACCESS_CONF, RSRC_CONF = 64, 128

registry = Registry()
EMPTY = DirConfig()

# ---------------------------------------------------------------- directives


def directive(cmd, dconf, sconf, args) -> object:
    """One Python* directive: NULL when it is fine, else the error text in
    the config pool (Apache prints it with the file and line)."""
    name = text(cmd.cmd.name)
    try:
        if name == "PythonDirectives":      # EXEC_ON_READ: Apache passes no config record
            directive_module.load(cmd, text(args) or "")
            return NULL
        sections = _sections(cmd)
        where = directives.Where(
            directory=directives.section_directory(text(cmd.path), sections),
            origin=_origin(cmd),
            htaccess=not (cmd.override & (ACCESS_CONF | RSRC_CONF)),
            location=bool(sections) and sections[0][0].lower() in ("<location", "<locationmatch"),
        )
        dir_config = _leaf(dconf, cmd.pool, DirConfig, where)
        server_config = (_leaf(sconf, cmd.pool, ServerConfig, where)
                         if name in directives.SERVER_LEVEL else None)
        directives.apply(name, text(args) or "", where, dir_config, server_config)
    except DirectiveError as e:
        return pstr(cmd.pool, f"{name}: {e}")
    except BaseException as e:
        # a bug of modpy's, not the admin's: still refuse the directive
        # (never a silent ignore), with the traceback in the log
        for line in f"{name} {text(args)!r} failed:\n{traceback.format_exc()}".splitlines():
            log.log_error("modpy: " + line, C.APLOG_CRIT)
        return pstr(cmd.pool, f"{name}: modpy failed to read it ({type(e).__name__}: {e}; "
                              "traceback in the error log)")
    dconf.phases = dir_config.phases
    dconf.no_file = not dir_config.maps_to_file
    if server_config is not None:
        sconf.connection = int(server_config.connection is not None)
        runtime.python_filters = runtime.python_filters or bool(server_config.filters)
        if server_config.optimize:
            runtime.optimize = 1
    return NULL


def _sections(cmd) -> list:
    """The sections around the directive, innermost first."""
    found = []
    section = cmd.directive.parent if cmd.directive != NULL else NULL
    while section != NULL:
        found.append((text(section.directive), text(section.args) or ""))
        section = section.parent
    return found


def _origin(cmd) -> str:
    d = cmd.directive
    return f"{text(d.filename)}:{d.line_num}" if d != NULL else ""



def _leaf(record, pool, kind, where):
    """The Python config behind a C record, made on the record's first
    directive and forgotten when its pool goes."""
    if record.id:
        return registry.get(record.id)
    config = (DirConfig(where.directory, cacheable=not where.htaccess, location=where.location)
              if kind is DirConfig else ServerConfig())
    number = registry.add(config)
    record.id = number
    cleanups.register(pool, lambda: registry.release(number))
    return config


def server_config(s) -> Optional[ServerConfig]:
    record = ffi.cast("modpy_srv_conf **", s.module_config)[runtime.module_index]
    return registry.get(record.id) if record != NULL and record.id else None


def server_dir_config(s) -> DirConfig:
    """What a server (or virtual host) says outside any section."""
    return dir_config(s.lookup_defaults)


def dir_config(vector) -> DirConfig:
    """The config in effect for an Apache per-directory vector: a request's
    per_dir_config, a server's lookup_defaults."""
    return resolve(ffi.cast(_RECORDS, vector)[runtime.module_index])


_RECORDS = ffi.typeof("modpy_dir_conf **")     # parsed once: every request's first phase casts


# ---------------------------------------------------------------- configs


def resolve(dconf) -> DirConfig:
    """The one config in effect for a per-dir record (a leaf, or a chain
    merged by the shim).  A chain is walked once: its record then carries
    the merged config's id (`merged`) for the request's later phases, and
    a merge of two resolved records is remembered for later requests."""
    if not dconf:
        return EMPTY
    number = dconf.id or dconf.merged
    if number:
        return registry.get(number)
    leaves: list[int] = []
    pending = [dconf]                 # the merge tree, walked base before add
    while pending:
        node = pending.pop()
        if not node:                  # a side of a merge that had no Python directive
            continue
        if node.id:
            leaves.append(node.id)
        else:
            pending += (node.add, node.base)
    if not leaves:
        return EMPTY
    config, dconf.merged = registry.merged(tuple(leaves))
    _remember_join(dconf)
    return config


def _remember_join(dconf) -> None:
    """A merge of a resolved base with a leaf: the leaf remembers it
    (`joined`), so the shim gives the next merge of the two its id at once
    and no later request walks the chain."""
    add, base = dconf.add, dconf.base
    base_id = (base.id or base.merged) if base else 0
    if dconf.merged and add and add.id and base_id:
        add.joined = base_id << 32 | dconf.merged
