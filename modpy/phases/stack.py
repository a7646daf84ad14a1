"""The manual's rules for a stack of handlers in one phase.

Pure logic: `run_stack` applies a phase's Rule to whatever callables it is
given, so it is unit-tested without Apache.
"""
from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from modpy.config.phase_table import Rule
from modpy.constants import DECLINED, OK

T = TypeVar("T")


def run_stack(rule: Rule, handlers: Iterable[T], call: Callable[[T], int]) -> int:
    """Call each handler in turn, as `call(handler)`, and combine their
    statuses by `rule`.  Given a list, what is appended to it while it runs
    (req.add_handler() for the running phase) runs too."""
    result = DECLINED
    goes_on = _GOES_ON[rule]
    for handler in handlers:
        status = call(handler)
        if status not in goes_on:
            return OK if rule is Rule.IGNORE else status
        if status == OK:
            result = OK
    return OK if rule is Rule.IGNORE else result


# the statuses after which the next handler of the stack runs
_GOES_ON = {Rule.RUN_ALL: (OK, DECLINED), Rule.RUN_FIRST: (DECLINED,), Rule.CONTENT: (OK,),
            Rule.IGNORE: (OK,)}


def single(rule: Rule, status: int) -> int:
    """What run_stack gives for a stack of one handler that returned
    `status` (the dispatcher calls a lone handler without it)."""
    return OK if rule is Rule.IGNORE else status
