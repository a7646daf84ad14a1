"""The request phases modpy serves: their numbers (as in shim/modpy.h),
directives and the rule that combines a phase's handlers.  Pure data.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Rule(enum.Enum):
    """How a phase's stacked handlers go on (the manual, 5.1.1: any other
    status stops the stack; mod_python 3.5 lets the phases Apache runs all
    of go on through DECLINED too)."""

    RUN_ALL = "run_all"      # OK and DECLINED go on; anything else stops
    RUN_FIRST = "run_first"  # DECLINED goes on; anything else stops
    CONTENT = "content"      # OK goes on; anything else stops and is the result
    IGNORE = "ignore"        # cleanup: OK goes on; anything else stops; the result is ignored


@dataclass(frozen=True)
class Phase:
    number: int
    directive: str
    rule: Rule

    @property
    def bit(self) -> int:
        return 1 << self.number

    @property
    def default_object(self) -> str:
        """PythonAuthenHandler -> authenhandler (the manual's default name)."""
        return default_object(self.directive)


def default_object(directive: str) -> str:
    return directive[len("Python"):].lower()


PHASES = (
    Phase(0, "PythonPostReadRequestHandler", Rule.RUN_ALL),
    Phase(1, "PythonTransHandler", Rule.RUN_FIRST),
    Phase(2, "PythonHeaderParserHandler", Rule.RUN_ALL),
    Phase(3, "PythonAccessHandler", Rule.RUN_ALL),
    Phase(4, "PythonAuthenHandler", Rule.RUN_FIRST),
    Phase(5, "PythonAuthzHandler", Rule.RUN_FIRST),
    Phase(6, "PythonTypeHandler", Rule.RUN_FIRST),
    Phase(7, "PythonFixupHandler", Rule.RUN_ALL),
    Phase(8, "PythonHandler", Rule.CONTENT),
    Phase(9, "PythonLogHandler", Rule.RUN_ALL),
    Phase(10, "PythonCleanupHandler", Rule.IGNORE),
)
BY_DIRECTIVE = {p.directive: p for p in PHASES}
POST_READ_REQUEST, TRANS, HEADER_PARSER, ACCESS, AUTHEN, AUTHZ, TYPE, FIXUP, HANDLER, LOG, CLEANUP = PHASES
