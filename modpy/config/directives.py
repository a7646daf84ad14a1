"""The Python* directive table: what each directive takes and what it does
to the config of the section it stands in.

Pure logic.  `apply()` gets the directive name, its raw arguments and where
it stands; it updates a `DirConfig` or `ServerConfig`, or raises
`DirectiveError` with a message Apache prints beside the file and line.
Where a directive may stand (server, virtual host, directory, .htaccess) is
in the shim's table and enforced by Apache itself.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable, Optional

from modpy.config import grammar, userdirectives
from modpy.config.grammar import DirectiveError
from modpy.config.model import DirConfig, HandlerEntry, ServerConfig
from modpy.config.phase_table import BY_DIRECTIVE, HEADER_PARSER, PHASES, POST_READ_REQUEST, TRANS


@dataclass
class Where:
    """Where a directive stands."""

    directory: Optional[str]      # the section's path; None at server level
    origin: str                   # "file:line"
    htaccess: bool = False
    location: bool = False        # in a <Location> or <LocationMatch>: directory is a URL path

    @property
    def server_level(self) -> bool:
        return self.directory is None


def section_directory(path: Optional[str], sections: list) -> Optional[str]:
    """The directory of a directive's section, where its handler modules
    are found: Apache's path of the section, except in a <Files> or
    <FilesMatch> section, whose path is only a file name pattern: there, as
    in mod_python 3.5, the directory of the <Directory> around it (a <Files>
    in <Directory "/x">: "/x/").  `sections` are the enclosing sections,
    innermost first, as (name, arguments) from the config tree."""
    names = [name.lower() for name, _ in sections]
    if not names or names[0] not in ("<files", "<filesmatch"):
        return path
    for name, args in sections:
        if name.lower() in ("<directory", "<directorymatch"):
            words = grammar.split_words(args.rstrip().removesuffix(">"))
            if name.lower() == "<directorymatch" or words[0] == "~":
                return words[-1]                # a regular expression, as Apache keeps it
            return os.path.join(words[0], "")
    return path


Action = Callable[[str, str, Where, DirConfig, ServerConfig], None]



def _handlers(name: str, args: str, where: Where, dconf: DirConfig, sconf: ServerConfig) -> None:
    specs, exts = grammar.parse_handler_line(args)
    phase = BY_DIRECTIVE.get(name)
    if name == "PythonInitHandler":
        # the manual: at server level an alias of PostReadRequest, in a
        # directory one of HeaderParser
        phase = POST_READ_REQUEST if where.server_level else HEADER_PARSER
    if exts and phase.number <= TRANS.number:
        # no file name is known yet, so the restriction could never match
        raise DirectiveError("'| .ext' works only for phases after the trans phase")
    entries = tuple(HandlerEntry(spec, name, exts, where.directory, where.origin,
                                 location=where.location) for spec in specs)
    dconf.add_handlers(phase.number, entries)


def _handler_module(name: str, args: str, where: Where, dconf: DirConfig, sconf: ServerConfig) -> None:
    spec = grammar.parse_handler(grammar.parse_one(args, "a module name"))
    if spec.object:
        raise DirectiveError(f"takes a module, not a module::object ('{spec}')")
    for phase in PHASES:
        if phase in (POST_READ_REQUEST, TRANS) and not where.server_level:
            continue
        entry = HandlerEntry(spec, phase.directive, (), where.directory, where.origin, silent=1,
                             location=where.location)
        dconf.add_handlers(phase.number, (entry,))


def _flag(attr: str) -> Action:
    def action(name, args, where, dconf, sconf):
        setattr(dconf, attr, grammar.parse_flag(args))
    return action


def _interpreter(name, args, where, dconf, sconf):
    dconf.interpreter = grammar.parse_one(args, "an interpreter name")


def _option(name, args, where, dconf, sconf):
    key, value = grammar.parse_option(args)
    dconf.options[key] = value


def _python_path(name, args, where, dconf, sconf):
    expr = grammar.parse_python_path(args)
    try:
        value = eval(expr, {"sys": sys, "os": os})  # the admin's own config, as mod_python does
    except BaseException as e:   # SystemExit too: the directive fails, Apache does not
        raise DirectiveError(f"'{expr}' cannot be evaluated: {type(e).__name__}: {e}") from None
    grammar.check_python_path(value, expr)
    dconf.python_path = expr


def _import(name, args, where, dconf, sconf):
    spec, interpreter = grammar.parse_import(args)
    sconf.imports.append((spec, interpreter, where.origin))


def _filter(name, args, where, dconf, sconf):
    spec, filter_name = grammar.parse_filter(args)
    entry = HandlerEntry(spec, name, (), where.directory, where.origin)
    sconf.filters[filter_name] = (entry, name == "PythonInputFilter")


def _connection(name, args, where, dconf, sconf):
    spec = grammar.parse_handler(grammar.parse_one(args, "a handler (module[::object])"))
    sconf.connection = HandlerEntry(spec, name, (), None, where.origin)


def _optimize(name, args, where, dconf, sconf):
    """The level every handler module modpy loads is compiled at: one
    setting for the whole process (one interpreter), so On anywhere, a
    <VirtualHost> too, turns it on (modpy.core.configs)."""
    sconf.optimize = grammar.parse_flag(args)


TABLE: dict[str, Action] = {
    **{phase.directive: _handlers for phase in PHASES},
    "PythonInitHandler": _handlers,
    "PythonHandlerModule": _handler_module,
    "PythonInputFilter": _filter,
    "PythonOutputFilter": _filter,
    "PythonConnectionHandler": _connection,
    "PythonEnablePdb": _flag("enable_pdb"),
    "PythonDebug": _flag("debug"),
    "PythonAutoReload": _flag("autoreload"),
    "PythonInterpPerDirectory": _flag("interp_per_directory"),
    "PythonInterpPerDirective": _flag("interp_per_directive"),
    "PythonInterpreter": _interpreter,
    "PythonOption": _option,
    "PythonPath": _python_path,
    "PythonImport": _import,
    "PythonOptimize": _optimize,
}


# Directives that write the server's config rather than the section's.  Only
# these may make a server config: the others also stand in .htaccess files,
# parsed at request time, where the server's config must not change.
SERVER_LEVEL = frozenset({"PythonImport", "PythonInputFilter", "PythonOutputFilter",
                          "PythonConnectionHandler", "PythonOptimize"})


def apply(name: str, args: str, where: Where, dconf: DirConfig, sconf: Optional[ServerConfig]) -> None:
    """Carry out one directive, or raise DirectiveError naming the problem."""
    action = TABLE.get(name)
    if action is None:
        userdirectives.apply(name, args, dconf.extras)     # one declared in Python, or an error
        return
    action(name, args, where, dconf, sconf)
