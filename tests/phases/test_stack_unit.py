"""modpy.phases in-process: the phase table and run_stack's return rules."""
import pytest

from modpy.config.phase_table import BY_DIRECTIVE, PHASES, Rule
from modpy.constants import DECLINED, DONE, HTTP_FORBIDDEN, HTTP_NOT_FOUND, OK
from modpy.phases.stack import run_stack, single
from tests.apache import REPO


def call(handler):
    return handler()


def stack(*statuses):
    """Callables returning `statuses`, and the list of those called."""
    called = []

    def make(i, status):
        def call():
            called.append(i)
            return status
        return call
    return [make(i, s) for i, s in enumerate(statuses)], called


@pytest.mark.parametrize("statuses,result,called", [
    ((), DECLINED, []),
    ((OK, DECLINED, OK), OK, [0, 1, 2]),
    ((DECLINED, DECLINED), DECLINED, [0, 1]),
    ((OK, HTTP_FORBIDDEN, OK), HTTP_FORBIDDEN, [0, 1]),
    ((DECLINED, DONE, OK), DONE, [0, 1]),
])
def test_run_all(statuses, result, called):
    calls, seen = stack(*statuses)
    assert run_stack(Rule.RUN_ALL, calls, call) == result
    assert seen == called


@pytest.mark.parametrize("statuses,result,called", [
    ((), DECLINED, []),
    ((DECLINED, OK, HTTP_FORBIDDEN), OK, [0, 1]),
    ((DECLINED, HTTP_NOT_FOUND, OK), HTTP_NOT_FOUND, [0, 1]),
    ((DECLINED, DECLINED), DECLINED, [0, 1]),
])
def test_run_first(statuses, result, called):
    calls, seen = stack(*statuses)
    assert run_stack(Rule.RUN_FIRST, calls, call) == result
    assert seen == called


@pytest.mark.parametrize("statuses,result,called", [
    ((OK, DECLINED, OK), DECLINED, [0, 1]),    # only OK goes on, as in mod_python 3.5
    ((DECLINED, OK), DECLINED, [0]),
    ((OK, OK), OK, [0, 1]),
    ((OK, HTTP_FORBIDDEN, OK), HTTP_FORBIDDEN, [0, 1]),
    ((), DECLINED, []),
])
def test_content(statuses, result, called):
    calls, seen = stack(*statuses)
    assert run_stack(Rule.CONTENT, calls, call) == result
    assert seen == called


@pytest.mark.parametrize("statuses,called", [
    ((OK, OK, OK), [0, 1, 2]),
    ((OK, DECLINED, OK), [0, 1]),              # only OK goes on, as in mod_python 3.5
    ((HTTP_FORBIDDEN, OK), [0]),
])
def test_ignore_stops_but_is_ignored(statuses, called):
    calls, seen = stack(*statuses)
    assert run_stack(Rule.IGNORE, calls, call) == OK
    assert seen == called


def test_run_stack_takes_handlers_appended_while_it_runs():
    handlers, seen = stack(OK)
    added, seen_added = stack(HTTP_NOT_FOUND)
    first = handlers[0]

    def first_adds():
        handlers.append(added[0])
        return first()
    handlers[0] = first_adds
    assert run_stack(Rule.CONTENT, handlers, call) == HTTP_NOT_FOUND
    assert seen == [0] and seen_added == [0]


@pytest.mark.parametrize("rule", list(Rule))
@pytest.mark.parametrize("status", [OK, DECLINED, DONE, HTTP_FORBIDDEN, HTTP_NOT_FOUND])
def test_single_is_run_stack_of_one(rule, status):
    calls, _ = stack(status)
    assert single(rule, status) == run_stack(rule, calls, call)


def test_phase_table_matches_the_shim_and_the_manual():
    assert [p.number for p in PHASES] == list(range(11))      # shim/modpy.h enum order
    rules = {p.directive: p.rule for p in PHASES}
    assert {d for d, r in rules.items() if r is Rule.RUN_FIRST} == {
        "PythonTransHandler", "PythonAuthenHandler", "PythonAuthzHandler", "PythonTypeHandler"}
    assert {d for d, r in rules.items() if r is Rule.RUN_ALL} == {
        "PythonPostReadRequestHandler", "PythonHeaderParserHandler", "PythonAccessHandler",
        "PythonFixupHandler", "PythonLogHandler"}
    assert rules["PythonHandler"] is Rule.CONTENT
    assert BY_DIRECTIVE["PythonHandler"].bit == 1 << 8
    assert BY_DIRECTIVE["PythonAuthenHandler"].default_object == "authenhandler"


def test_phase_numbers_match_modpy_h():
    import os
    import re
    header = open(os.path.join(REPO, "shim", "modpy.h")).read()
    names = re.findall(r"MODPY_([A-Z_]+)(?: = 0)?,", header.split("enum {")[1].split("};")[0])
    assert names[:len(PHASES)] == ["POST_READ_REQUEST", "TRANS", "HEADER_PARSER", "ACCESS", "AUTHEN",
                                   "AUTHZ", "TYPE", "FIXUP", "HANDLER", "LOG", "CLEANUP"]
