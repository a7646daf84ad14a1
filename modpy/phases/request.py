"""One phase of one request: from the shim's modpy_phase to the handlers
and back.

The shim has already decided, in C, that the phase has Python work for the
request.  Here: resolve the request's config (cached per chain of sections),
find the Request object (one per request_rec, for all its phases), call the
handlers under the manual's rules, and turn exceptions into 500s with a
traceback in the error log (and in the response with PythonDebug On).
"""
from __future__ import annotations

import time
import weakref

from modpy import constants as C
from modpy.config.model import DirConfig, HandlerEntry, for_file
from modpy.config.phase_table import PHASES, TRANS, Phase
from modpy.core import log, runtime
from modpy.core.clienterror import ClientError
from modpy.core.configs import dir_config, registry
from modpy.core.errors import SERVER_RETURN, describe, error_page, error_tail, server_return_value
from modpy.core.ffi import lib
from modpy.devloop import debug, timing
from modpy.objects import table as tables
from modpy.objects.request import Request, is_kept, kept_request, let_go, request_for
from modpy.phases.placement import interpreter_name, load, log_failure
from modpy.phases.stack import run_stack, single

_record = timing.stats.records.append
config_get = registry.get
_clock = time.perf_counter_ns
_LAST = lib.MODPY_LAST_PHASE
_TRANS = TRANS.number


def phase(r, which: int, config_id: int) -> int:
    """Run the handlers of one phase; the shim's modpy_phase.  The shim
    marks the request's last phase with Python work (MODPY_LAST_PHASE):
    unless a Python filter may still ask for it, its Request is not kept
    (add_handler() keeps it when it adds work).  `config_id`: the config in
    effect, when the shim's record knows it already (else 0)."""
    kept = not which & _LAST or runtime.python_filters
    ph = PHASES[which & ~_LAST]
    req = kept_request(r) or request_for(r, kept)
    config = config_get(config_id) if config_id else dir_config(r.per_dir_config)
    req._config = config
    req.phase = ph.directive
    start = _clock()
    try:
        configured = config.handlers.get(ph.number, ())
        if len(configured) != 1 or configured[0].exts or req._added:
            return run_stack(ph.rule, _entries(req, ph, config), lambda entry: call_handler(req, ph, entry))
        # the usual phase: one configured handler, called straight (the
        # general path costs ~10k instructions more: bench/instructions.py)
        req._running = None
        status = call_handler(req, ph, configured[0])
        return single(ph.rule, _then_added(req, ph, status) if req._added else status)
    finally:
        elapsed = _clock() - start
        _record((ph.directive, elapsed))
        if config.timing:
            timing.note(req, ph.directive, elapsed)
        if not kept and (not is_kept(r) or let_go(req)):   # its last phase: what outlives it?
            refs = _refs(req)
            del req                          # the last reference, unless the handlers kept one
            _watch_survivors(r, refs)


log.request_entry(phase, lambda local: local["r"])   # records logged below carry its client


def _refs(req: Request) -> tuple:
    """Weak references to a Request and to the tables it made."""
    made = req.__dict__.get("_tables")
    return weakref.ref(req), list(map(weakref.ref, made.values())) if made else ()


def _watch_survivors(r, refs: tuple) -> None:
    """A Request that no later phase needs is dropped with its last
    reference; one that something still holds (or one of its tables) is
    cut loose when the request pool goes (tables.watch)."""
    held, held_tables = refs
    survivor = held()
    if survivor is not None:
        tables.watch(r.pool, survivor)   # its invalidate() covers its tables
        return
    for ref in held_tables:
        table = ref()
        if table is not None:
            tables.watch(r.pool, table)


def _then_added(req: Request, ph: Phase, status: int) -> int:
    """A lone handler that called req.add_handler() for its own phase: the
    handlers it added run after it, by the phase's rules (and so do those
    they add)."""
    added = req._added.pop(ph.number, None)
    if not added:
        return status
    first = object()
    req._running = running = [first, *added]
    return run_stack(ph.rule, running, lambda entry: status if entry is first else call_handler(req, ph, entry))


def _entries(req: Request, ph: Phase, config: DirConfig) -> list[HandlerEntry]:
    """The phase's handlers: configured (by the file's extension when
    some are restricted to one: config.model.for_file), then added by
    add_handler().  The Request holds the list while the phase runs, and
    add_handler() for this phase appends to it: run_stack runs those
    too."""
    entries = list(config.handlers.get(ph.number, ()))
    if any(entry.exts for entry in entries):
        entries = for_file(entries, req.filename)
    if req._added:
        entries += req._added.get(ph.number, ())
    req._running = entries
    return entries


def call_handler(req: Request, ph: Phase, entry: HandlerEntry) -> int:
    config = req._config
    req.hlist = entry
    try:
        target = entry.target
        if target is None:
            req.interpreter = interpreter = interpreter_name(config, entry, None, req, ph.number <= _TRANS)
            target = load(entry, config, interpreter, req)
            if target is None and entry.silent:
                return C.DECLINED             # PythonHandlerModule without this phase
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


def report(req: Request, ph: Phase, entry: HandlerEntry, exc: BaseException) -> int:
    """A failed handler: logged (log_failure); with PythonDebug On, shown
    to the client (HTML or text by Accept, or after what was sent already,
    as mod_python does); with modpy.post_mortem, pdb opens on it first."""
    if isinstance(exc, ClientError):
        return _client_failed(req, ph, entry, exc)
    headline, lines = log_failure(ph.directive, entry, exc, req.the_request)
    if req._config.post_mortem:
        debug.post_mortem(exc, headline)
    if req._config.debug:
        return _show(req, C.HTTP_INTERNAL_SERVER_ERROR, headline, lines)
    if req._response_begun():
        req._cut_short()
        return C.DONE
    return C.HTTP_INTERNAL_SERVER_ERROR


def _show(req: Request, status: int, headline: str, lines: list[str]) -> int:
    """PythonDebug On: the failure as the response (with `status`), or,
    when the response has begun, after what was sent (escaped: the page
    may be HTML)."""
    try:
        if req._response_begun():
            req.write(error_tail(headline, lines))
            return C.DONE
        req.status = status
        req.content_type, body = error_page(headline, lines, req.headers_in.get("Accept") or "")
        # the text page echoes the request and the exception as they are:
        # no browser may take it for HTML
        req.headers_out["X-Content-Type-Options"] = "nosniff"
        req.write(body)
    except OSError:
        pass
    return C.DONE


def _client_failed(req: Request, ph: Phase, entry: HandlerEntry, exc: ClientError) -> int:
    """The client broke the request off or spoiled its body (ClientError):
    no bug to trace, so one line with the client's address, at info level
    as Apache logs its own clients' failures, and the status Apache answers
    such a request with (with PythonDebug On, the description too, as
    mod_python shows it).  A response that has begun is cut short instead
    (nothing more when Apache answered the body itself), and one that
    cannot reach the client just ends (DONE)."""
    line, lines = describe(ph.directive, str(entry), entry.origin, req.the_request, exc)
    req.log_error(line, C.APLOG_INFO)
    if req._response_begun():
        req._cut_short()
        return C.DONE
    if exc.status is None or exc.status < C.HTTP_BAD_REQUEST:
        return C.DONE if exc.status is None else exc.status
    if req._config.debug:
        return _show(req, exc.status, line, lines)
    return exc.status
