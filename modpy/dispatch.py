"""From the shim's calls to handlers: directives into configs, and each
request phase into its stack of handlers.

The shim has already decided, in C, that the phase has Python work for the
request.  Here: resolve the request's config (cached per chain of sections),
find the Request object (one per request_rec, for all its phases), call the
handlers under the manual's rules, and turn exceptions into 500s with a
traceback in the error log (and in the response with PythonDebug On).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
import types
import weakref
from typing import Callable, Optional, Union

from . import cleanups, debug, directives, importer, log, runtime, timing
from . import table as tables
from . import constants as C
from ._ffi import NULL, ffi, lib, pstr, text
from .config import DirConfig, HandlerEntry, Registry, ServerConfig
from .clienterror import ClientError
from .errors import SERVER_RETURN, describe, error_page, server_return_value
from .grammar import DirectiveError, parse_handler
from .phases import BY_DIRECTIVE, HEADER_PARSER, PHASES, TRANS, Phase, run_stack, single
from .request import Request
from .table import Table

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
            from . import directive_module
            directive_module.load(cmd, text(args) or "")
            return NULL
        where = directives.Where(
            directory=text(cmd.path),
            origin=_origin(cmd),
            htaccess=not (cmd.override & (ACCESS_CONF | RSRC_CONF)),
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
    if server_config is not None:
        sconf.connection = int(server_config.connection is not None)
    return NULL


def _origin(cmd) -> str:
    d = cmd.directive
    return f"{text(d.filename)}:{d.line_num}" if d != NULL else ""


def _leaf(record, pool, kind, where):
    """The Python config behind a C record, made on the record's first
    directive and forgotten when its pool goes."""
    if record.id:
        return registry.get(record.id)
    config = DirConfig(where.directory, cacheable=not where.htaccess) if kind is DirConfig else ServerConfig()
    number = registry.add(config)
    record.id = number
    cleanups.register(pool, lambda: registry.release(number))
    return config


def server_config(s) -> Optional[ServerConfig]:
    record = ffi.cast("modpy_srv_conf **", s.module_config)[runtime.module_index]
    return registry.get(record.id) if record != NULL and record.id else None


def server_dir_config(s) -> DirConfig:
    """What a server (or virtual host) says outside any section."""
    return resolve(ffi.cast("modpy_dir_conf **", s.lookup_defaults)[runtime.module_index])


# ---------------------------------------------------------------- configs


def resolve(dconf) -> DirConfig:
    """The one config in effect for a per-dir record (a leaf, or a chain
    merged by the shim)."""
    if not dconf:
        return EMPTY
    if dconf.id:
        return registry.get(dconf.id)
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
    return registry.merged(tuple(leaves)) if leaves else EMPTY


def config_table(config: DirConfig) -> Table:
    """req.get_config(): the settings in effect, by directive name."""
    table = Table()
    names = {"debug": "PythonDebug", "enable_pdb": "PythonEnablePdb", "autoreload": "PythonAutoReload",
             "interpreter": "PythonInterpreter", "interp_per_directory": "PythonInterpPerDirectory",
             "interp_per_directive": "PythonInterpPerDirective", "python_path": "PythonPath"}
    for attr, directive_name in names.items():
        value = getattr(config, attr)
        if value is not None:
            table[directive_name] = ("1" if value else "0") if isinstance(value, bool) else value
    return table


# ---------------------------------------------------------------- requests
#
# A Request (and each table it hands out) reads memory of the request pool,
# so it must be cut loose (invalidate) when that pool goes: a handler may
# keep `req` or `req.headers_in` past the request.  A pool cleanup does it,
# but a cleanup is a call back into Python at the end of the request, and
# under load that call waits for the GIL: it was the largest single cost of
# a request that reads headers.  So it is registered only where needed:
# for a request kept for later phases, filters or its own cleanups (keep),
# and, after the last Python phase of any other, only if something outside
# modpy still holds the Request or one of its tables (end of phase()).

_live: dict = {}        # request_rec * (cdata, hashed by address) -> its Request
_records = timing.stats.records
_record = _records.append
_LAST = lib.MODPY_LAST_PHASE


def request_for(r, slot, keep_it: bool = True) -> Request:
    """The one Request of a request_rec: made at its first Python phase (or
    when a filter or req.main first asks for it) and, when `keep_it`, kept
    for the others until the request pool goes."""
    req = _live.get(r)
    if req is None:
        req = Request(r, slot)
        _record(None)                       # one more request (timing.Stats)
        if keep_it:
            keep(req)
    return req


def keep(req: Request) -> None:
    """Remember a Request for the later phases of its request, and cut it
    loose when the request pool goes."""
    r = req._r
    if r not in _live:
        _live[r] = req
        cleanups.register(r.pool, lambda: _live.pop(r).invalidate())


def phase(r, which: int, dconf, slot) -> int:
    """Run the handlers of one phase; the shim's modpy_phase.  The shim
    marks the request's last phase with Python work (MODPY_LAST_PHASE):
    unless a Python filter may still ask for it, its Request is not kept
    (add_handler() keeps it when it adds work)."""
    kept = not which & _LAST or runtime.python_filters
    ph = PHASES[which & ~_LAST]
    req = request_for(r, slot, kept)
    config = resolve(dconf)
    req._config = config
    req.phase = ph.directive
    start = time.perf_counter_ns()
    try:
        return _run_handlers(req, ph, config)
    finally:
        elapsed = time.perf_counter_ns() - start
        _record((ph.directive, elapsed))
        if len(_records) > timing.Stats.FOLD_AT:
            timing.stats.fold()
        if config.timing:
            timing.note(req, ph.directive, elapsed)
        if not kept and r not in _live:      # its last phase: what outlives it?
            held = weakref.ref(req)
            made = req.__dict__.get("_tables")
            held_tables = list(map(weakref.ref, made.values())) if made else ()
            del req, made
            survivor = held()
            if survivor is not None:
                tables.watch(r.pool, survivor)   # its invalidate() covers its tables
            else:
                for ref in held_tables:
                    table = ref()
                    if table is not None:
                        tables.watch(r.pool, table)


def _run_handlers(req: Request, ph: Phase, config: DirConfig) -> int:
    """The phase's handlers, by the manual's rules (run_stack).  The usual
    phase, one configured handler and none added, calls it straight: the
    general path costs ~10k instructions more per request
    (bench/instructions.py hello)."""
    configured = config.handlers.get(ph.number, ())
    if len(configured) != 1 or configured[0].exts or req._added:
        return run_stack(ph.rule, _entries(req, ph, config), lambda entry: call_handler(req, ph, entry))
    first = configured[0]
    req._running = running = [first]
    status = call_handler(req, ph, first)
    if len(running) == 1:
        return single(ph.rule, status)
    # it added handlers to this phase: they run after it, by the same rules
    return run_stack(ph.rule, running, lambda entry: status if entry is first else call_handler(req, ph, entry))


def _entries(req: Request, ph: Phase, config: DirConfig) -> list[HandlerEntry]:
    """The phase's handlers: configured (`| .ext` misses left out), then
    added by add_handler().  The Request holds the list while the phase
    runs, and add_handler() for this phase appends to it: run_stack runs
    those too."""
    entries = []
    filename = None
    for entry in config.handlers.get(ph.number, ()):
        if entry.exts:
            filename = filename or req.filename
            if not entry.applies_to(filename):
                continue
        entries.append(entry)
    if req._added:
        entries += req._added.get(ph.number, ())
    req._running = entries
    return entries


def call_handler(req: Request, ph: Phase, entry: HandlerEntry) -> int:
    config = req._config
    req.hlist = entry
    try:
        target = _target(req, ph, entry, config)
        if target is None:
            return C.DECLINED                 # PythonHandlerModule without this phase
        result = debug.call(target, req) if config.enable_pdb else target(req)
    except SERVER_RETURN as e:
        result, status = server_return_value(e)
        if status is not None:
            req.status = status
    except BaseException as e:     # sys.exit() in a handler ends the request, not the child
        return report(req, ph, entry, e)
    if type(result) is not int:
        return report(req, ph, entry, TypeError(
            f"handler returned {type(result).__name__}, not an int (apache.OK, apache.DECLINED, "
            f"an HTTP status ...)"))
    return result


def _target(req: Request, ph: Phase, entry: HandlerEntry, config: DirConfig):
    if entry.target is not None:
        return entry.target
    interpreter = req.interpreter = interpreter_name(req, ph, entry, config)
    if config.python_path is not None or entry.directory not in _dirs_added:
        set_path(config, entry.directory)   # else: nothing for it to do (checked here: every request)
    module = importer.load(entry.spec, entry.directory, interpreter,
                           autoreload=config.autoreload is not False)
    name = entry.object_name
    if "." not in name:                     # the usual `handler`: one getattr, here
        target = getattr(module, name, None)
        if target is not None:
            return target
    return importer.resolve(module, name, req, silent=entry.silent)


def interpreter_name(req: Request, ph: Phase, entry: HandlerEntry, config: DirConfig) -> str:
    """Which namespace of handler modules a handler runs in (the manual's
    "Multiple Interpreters")."""
    if config.interpreter:
        return config.interpreter
    if ph.number <= TRANS.number:
        return "main_interpreter"
    if config.interp_per_directive and entry.directory:
        return entry.directory
    if config.interp_per_directory:
        filename = req.filename
        if filename:
            return os.path.dirname(filename) + "/"
    s = req._r.server
    name = _hostnames.get(s)
    if name is None:
        name = _hostnames[s] = text(s.server_hostname) or "main_interpreter"
    return name


# server_rec * (cdata: hashed by address) -> its interpreter name; a
# child's server_recs and their names are fixed for its life.
_hostnames: dict = {}


_path_lock = threading.Lock()
_path_applied: Optional[str] = None   # the PythonPath expression sys.path was set from
_path_values: dict[str, list[str]] = {}   # each expression's value, computed once
_base_path: Optional[list[str]] = None    # sys.path before any PythonPath replaced it
_dirs_added: set = set()


def set_path(config: DirConfig, directory: Optional[str]) -> None:
    """PythonPath: sys.path becomes the expression's value when the section
    in effect changes; else the section's directory goes on sys.path once."""
    global _path_applied
    expr = config.python_path
    if expr is not None:
        if expr != _path_applied:
            with _path_lock:
                sys.path[:] = _path_value(expr)
                _path_applied = expr
    elif directory and directory not in _dirs_added:
        with _path_lock:
            if directory not in sys.path and os.path.isdir(directory):
                sys.path.insert(0, directory)
            _dirs_added.add(directory)


def _path_value(expr: str) -> list[str]:
    """An expression like `sys.path + ['/x']`, evaluated once against the
    path from before any PythonPath: two sections taking turns then swap
    between two fixed paths instead of growing sys.path on every switch."""
    global _base_path
    value = _path_values.get(expr)
    if value is None:
        if _base_path is None:
            _base_path = list(sys.path)
        view = types.SimpleNamespace(**{**vars(sys), "path": list(_base_path)})
        value = _path_values[expr] = list(eval(expr, {"sys": view, "os": os}))
    return value


def report(req: Request, ph: Phase, entry: HandlerEntry, exc: BaseException) -> int:
    """Log a failed handler (one entry, through `logging`, so a user's own
    handlers see it too); with PythonDebug On, show it to the client
    (HTML or text by Accept, and only if nothing was sent yet); with
    modpy.post_mortem, open pdb on it first."""
    headline, lines = describe(ph.directive, str(entry), entry.origin, req.the_request, exc)
    if isinstance(exc, ClientError):
        return _client_failed(req, headline, exc)
    _handler_log.error("%s", "\n".join([headline] + lines))
    if debug.wants_post_mortem(req._config.options):
        debug.post_mortem(exc, headline)
    if req._response_begun():
        req._cut_short()
        return C.DONE
    if not req._config.debug:
        return C.HTTP_INTERNAL_SERVER_ERROR
    try:
        req.status = C.HTTP_INTERNAL_SERVER_ERROR
        req.content_type, body = error_page(headline, lines, req.headers_in.get("Accept") or "")
        # the text page echoes the request and the exception as they are:
        # no browser may take it for HTML
        req.headers_out["X-Content-Type-Options"] = "nosniff"
        req.write(body)
    except OSError:
        pass
    return C.DONE


_handler_log = logging.getLogger("modpy.handler")


def _client_failed(req: Request, headline: str, exc: ClientError) -> int:
    """The client broke the request off or spoiled its body (ClientError):
    no bug to trace, so one line with the client's address, at info level
    as Apache logs its own clients' failures, and the status Apache answers
    such a request with.  A response that has begun is cut short instead
    (nothing more when Apache answered the body itself), and one that
    cannot reach the client just ends (DONE)."""
    req.log_error(headline, C.APLOG_INFO)
    if req._response_begun():
        req._cut_short()
        return C.DONE
    return C.DONE if exc.status is None else exc.status


def add_handler(req: Request, htype: str, handler: Union[str, Callable], directory: Optional[str]) -> None:
    """req.add_handler(): one more handler for this request only."""
    if htype == "PythonInitHandler":
        ph = HEADER_PARSER
    else:
        ph = BY_DIRECTIVE.get(htype)
    if ph is None:
        raise ValueError(f"'{htype}' is not a request handler directive (e.g. 'PythonHandler')")
    if directory is None and req.hlist is not None:
        directory = req.hlist.directory
    if callable(handler):
        entry = HandlerEntry(parse_handler("callable"), htype, (), directory, "req.add_handler", target=handler)
    else:
        try:
            entry = HandlerEntry(parse_handler(handler), htype, (), directory, "req.add_handler")
        except DirectiveError as e:
            raise ValueError(f"req.add_handler: {e}") from None
    if req.phase == ph.directive and req._running is not None:
        req._running.append(entry)          # the phase running now: it runs this one too
        return
    if req._added is None:
        req._added = {}
    req._added.setdefault(ph.number, []).append(entry)
    keep(req)
    req._record().phases |= ph.bit
