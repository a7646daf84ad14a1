"""The request phases modpy serves, and the rules for a stack of handlers.

Pure logic: the numbers match shim/modpy.h; `run_stack` applies the manual's
return rules to whatever callables it is given.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from ..constants import DECLINED, OK

T = TypeVar("T")


class Rule(enum.Enum):
    """How Apache combines handlers in a phase (the manual, 5.1.1)."""

    RUN_ALL = "run_all"      # OK and DECLINED go on; anything else stops
    RUN_FIRST = "run_first"  # DECLINED goes on; anything else stops
    CONTENT = "content"      # like RUN_ALL, but the last status is the result
    IGNORE = "ignore"        # cleanup: every handler runs, results ignored


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


def run_stack(rule: Rule, handlers: Iterable[T], call: Callable[[T], int]) -> int:
    """Call each handler in turn, as `call(handler)`, and combine their
    statuses by `rule`.  Given a list, what is appended to it while it runs
    (req.add_handler() for the running phase) runs too."""
    result = DECLINED
    for handler in handlers:
        status = call(handler)
        if rule is Rule.IGNORE:
            continue
        if rule is Rule.RUN_FIRST:
            if status != DECLINED:
                return status
            continue
        if status not in (OK, DECLINED):
            return status
        if rule is Rule.CONTENT:
            result = status
        elif status == OK:
            result = OK
    return OK if rule is Rule.IGNORE else result


def single(rule: Rule, status: int) -> int:
    """What run_stack gives for a stack of one handler that returned
    `status` (the dispatcher calls a lone handler without it)."""
    return OK if rule is Rule.IGNORE else status
