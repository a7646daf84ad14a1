"""`PythonDirectives package.module`: the user's declared directives made
into a real Apache module, so Apache parses them like any other.

Apache's command tables are static C data read while the config is parsed,
so the only door is the one mod_so uses for LoadModule: build a `module`
record with a command table and hand it to ap_add_loaded_module, while the
config is being read (PythonDirectives is EXEC_ON_READ: it runs when
Apache reads the line, so the directives exist for the lines after it).
Every entry of the table points at one cffi callback, which finds the
shim's per-directory record for the section and goes through the same path
as the Python* directives (modpy.core.configs.directive), so `apache2 -t` errors name
the file and line the same way.

Restart safety: the record, its table and its strings live in the config
pool; a cleanup on that pool removes the module before the pool goes, as
mod_so does for its modules (cleanups run last-registered first, so this
one runs before mod_so unloads the shim).  The next config read declares
the module again.  The callback lives in the cffi library, which the shim
pins in memory, so no pointer into unloaded code survives a restart.
"""
from __future__ import annotations

import importlib
import os
import re
import sys

from modpy.config import userdirectives
from modpy.config.grammar import DirectiveError, split_words
from modpy.core import cleanups, runtime
from modpy.core.ffi import NULL, ffi, lib, pstr, text


def load(cmd, args: str) -> None:
    """Import the declaring module and add its directives to Apache."""
    source = _import_path(args)
    try:
        module = sys.modules.get(source)
        # read afresh at each config reading: a restart picks up new declarations
        module = importlib.reload(module) if module is not None else importlib.import_module(source)
    except Exception as e:
        raise DirectiveError(f"cannot import '{source}': {type(e).__name__}: {e}") from None
    declared = userdirectives.check(getattr(module, "DIRECTIVES", None), source)
    for d in declared:
        _check_free(d.name, source)
    mod = _module_record(cmd.pool, source, declared)
    error = lib.ap_add_loaded_module(mod, cmd.pool, pstr(cmd.pool, _symbol(source)))
    if error != NULL:
        raise DirectiveError(text(error))
    userdirectives.table.add(declared)

    def remove() -> None:
        lib.ap_remove_loaded_module(mod)
        userdirectives.table.remove(declared)
    cleanups.register(cmd.pool, remove)


def _import_path(args: str) -> str:
    """`package.module [directory]`: the directory (absolute) goes on
    sys.path first; it is read before PythonPath, which applies to requests."""
    words = split_words(args)
    if not 1 <= len(words) <= 2:
        raise DirectiveError("takes a module that declares DIRECTIVES and an optional directory "
                             "(PythonDirectives package.module [/dir/on/sys.path])")
    if len(words) == 2:
        directory = words[1]
        if not os.path.isabs(directory) or not os.path.isdir(directory):
            raise DirectiveError(f"'{directory}' is not an absolute path of a directory")
        if directory not in sys.path:
            sys.path.insert(0, directory)
    return words[0]


def _symbol(source: str) -> str:
    return "pydirectives_" + re.sub(r"\W", "_", source) + "_module"


def _check_free(name: str, source: str) -> None:
    owner = ffi.new("module **", lib.ap_top_module)     # the search starts here
    if lib.ap_find_command_in_modules(name.encode(), owner) != NULL:
        raise DirectiveError(f"{source}: directive '{name}' already exists "
                             f"(declared by {text(owner[0].name)})")


def _module_record(pool, source: str, declared):
    """A zeroed `module` in the config pool: the magic numbers Apache
    checks, index -1 (Apache assigns one), and the command table."""
    mod = ffi.cast("module *", lib.apr_pcalloc(pool, ffi.sizeof("module")))
    mod.version = lib.MODULE_MAGIC_NUMBER_MAJOR
    mod.minor_version = lib.MODULE_MAGIC_NUMBER_MINOR
    mod.module_index = -1
    mod.name = pstr(pool, f"modpy directives of {source}")
    mod.magic = lib.MODULE_MAGIC_COOKIE
    cmds = ffi.cast("command_rec *", lib.apr_pcalloc(pool, ffi.sizeof("command_rec") * (len(declared) + 1)))
    for i, d in enumerate(declared):
        cmds[i].name = pstr(pool, d.name)
        cmds[i].func.raw_args = lib.modpy_user_directive
        cmds[i].req_override = d.req_override
        cmds[i].args_how = lib.RAW_ARGS
        cmds[i].errmsg = pstr(pool, d.help or f"{d.name} ({d.args})")
    mod.cmds = cmds
    return mod


def _shim_module():
    """The shim's own `module` record, found by its index (its address
    changes when Apache reloads the shim)."""
    m = lib.ap_top_module
    while m != NULL:
        if m.module_index == runtime.module_index:
            return m
        m = m.next
    raise RuntimeError("modpy: the shim's module record is not loaded")


def section_records(cmd):
    """(per-directory record, per-server record) of the shim for the section
    a user directive stands in: what the Python* directives get from Apache."""
    section = cmd.context if cmd.context != NULL else cmd.server.lookup_defaults
    dconf = ffi.cast("modpy_dir_conf *", lib.ap_set_config_vectors(
        cmd.server, section, cmd.path, _shim_module(), cmd.pool))
    sconf = ffi.cast("modpy_srv_conf **", cmd.server.module_config)[runtime.module_index]
    return dconf, sconf
