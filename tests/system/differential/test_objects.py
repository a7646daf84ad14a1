"""The connection, server and table objects, member by member, under
modpy and Debian's mod_python: one line per case (the code the probe runs;
see pair.py)."""
from __future__ import annotations

import pytest

from tests.system.differential.pair import get, pair_fixture

SITE = """
    <Directory "{htdocs}">
        SetHandler mod_python
        PythonHandler probe
        PythonOption probe.option one
    </Directory>
"""

pair = pair_fixture(SITE, {})

CONNECTION = [
    "c.remote_host", "c.remote_logname", "c.aborted", "c.keepalive", "c.double_reverse",
    "c.keepalives", "c.local_host", "c.local_ip", "c.client_ip", "c.remote_ip", "c.local_addr",
    "c.remote_addr[0]", "c.client_addr[0]", "c.id >= 0", "type(c.id)", "c.base_server.server_hostname",
    "sorted(c.notes.keys())", "str(type(c))", "type(c.notes).__name__",
    "c.log_error('from the connection') or 'logged'",
    "c.log_error('warned', apache.APLOG_WARNING) or 'logged'",
]

SERVER = [
    "s.server_hostname", "s.timeout", "s.keep_alive_timeout",
    "s.keep_alive_max", "s.keep_alive", "s.limit_req_line", "s.limit_req_fieldsize",
    "s.limit_req_fields", "s.names", "s.wild_names", "s.loglevel", "s.defn_name",
    "s.defn_line_number", "s.server_admin", "s.error_fname", "s.path", "s.pathlen",
    "s.next", "sorted(s.get_options().items())", "sorted(s.get_config().items())",
    "s.log_error('from the server') or 'logged'", "str(type(s))",
    "s.register_cleanup(req, lambda data: None) or 'registered'",
]

TABLE = [
    "apache.table([('a', '1'), ('A', '2'), ('b', '3')])",
    "apache.table({'k': 'v'})", "apache.table()", "apache.table(t)",
    "t['a']", "t['A']", "t.get('b')", "t.get('zz', 'default')", "len(t)", "'a' in t",
    "'z' in t", "sorted(t.keys())", "sorted(t.values())", "sorted(t.items())", "list(t)",
    "t.copy()", "type(t.copy()).__name__", "t['zz']", "dict(t)",
    "t.add('c', 'x') or t.add('c', 'y') or t['c']", "t.add('a', 'x') or t",
    "t.setdefault('a', 'e')",
    "t.update({'u': '1'}) or t['u']", "t.popitem() and len(t)", "t.clear() or len(t)",
    "t.__delitem__('a') or t", "str(type(t))", "t == apache.table(t)",
    "req.headers_in['X-Probe']", "req.headers_in['x-PROBE']", "req.headers_in.get('x-missing')",
    "'X-Probe' in req.headers_in", "req.headers_in.get('Cookie')",
    "req.headers_out.add('Set-Cookie', 'a=1') or req.headers_out.add('Set-Cookie', 'b=2') or "
    "req.headers_out['Set-Cookie']",
    "apache.make_table()", "apache.table(['bad'])", "apache.table(5)",
]

PREFIX = {"c": "req.connection", "s": "req.server", "t": "apache.table([('a', '1'), ('A', '2'), ('b', '3')])"}


def probe_code(var: str, case: str) -> str:
    """The case with its object bound first: an expression stays one (the
    probe shows its value), a statement follows the binding."""
    try:
        compile(case, "<case>", "eval")
    except SyntaxError:
        return f"{var} = {PREFIX[var]}; {case}"
    return f"[({var} := {PREFIX[var]}), ({case})][1]"


@pytest.mark.parametrize("var, case", [("c", c) for c in CONNECTION] + [("s", s) for s in SERVER]
                         + [("t", t) for t in TABLE])
def test_member(pair, var, case):
    pair.same(get("/probe.py?x=1", probe_code(var, case), "X-Probe: one", "Cookie: a=1"))


LOG = "[line for line in open(req.server.error_fname if req.server.error_fname.startswith('/') else " \
      "apache.server_root() + '/' + req.server.error_fname) if 'marker-{0}' in line]"


@pytest.mark.parametrize("call", [
    "req.log_error('marker-{0}')", "req.log_error('marker-{0} warned', apache.APLOG_WARNING)",
    "req.connection.log_error('marker-{0} on the connection', apache.APLOG_ERR)",
    "req.server.log_error('marker-{0} on the server', apache.APLOG_NOTICE)",
    "apache.log_error('marker-{0} from apache', apache.APLOG_ERR)",
    "apache.log_error('marker-{0} with a server', apache.APLOG_ERR, req.server)",
    "req.log_error('marker-{0} debug, not logged', apache.APLOG_DEBUG)",
])
def test_log_error(pair, call):
    """The line each log_error writes, as the error log has it."""
    marker = str(abs(hash(call)))
    mine, theirs = pair.both(get("/probe.py", call.format(marker) + "; req.write(repr(" + LOG.format(marker) + "))"))
    assert mine == theirs, f"\nmodpy:      {mine!r}\nmod_python: {theirs!r}"


def status_and_body(reply: bytes) -> tuple[bytes, bytes]:
    head, _, text = reply.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], text


@pytest.mark.parametrize("code", ["req.connection.aborted = 1", "req.server.timeout = 5"])
def test_read_only_members(pair, code):
    # both refuse the write with an AttributeError; the words are Python's
    # own (compatibility.md), mod_python's C types word it two other ways
    mine, theirs = pair.both(get("/probe.py", code))
    assert status_and_body(mine)[1].startswith(b"raised AttributeError: ")
    assert status_and_body(theirs)[1].startswith(b"raised AttributeError: ")


@pytest.mark.parametrize("member, expected", [("is_virtual", b"0"), ("port", b"<port>")])
def test_server_members_debian_reads_wrong(pair, member, expected):
    # Debian's mod_python reads server_rec's port and is_virtual as the
    # wrong C types under this Apache (large or negative numbers): the
    # manual's port and 0/1 flag
    mine, theirs = pair.both(get("/probe.py", "req.server." + member))
    assert status_and_body(mine)[1] == expected and status_and_body(theirs)[1] != expected


def test_table_setdefault(pair):
    # Debian's mod_python's table.setdefault crashes the child under
    # Python 3 (the reply is empty); the manual's table is a dict: the value
    code = "[(t := apache.table()), t.setdefault('d', 'e'), t['d'], t.setdefault('d', 'f')]"
    mine, theirs = pair.both(get("/probe.py", code))
    assert theirs == b"" and status_and_body(mine)[1] == b"[{'d': 'e'}, 'e', 'e', 'e']"


def test_table_takes_numbers(pair):
    # documented (compatibility.md): numbers are stored as their text,
    # where mod_python raises TypeError("not an ISO-8859-1 string")
    mine, theirs = pair.both(get("/probe.py", "[(t := apache.table()), t.__setitem__(1, 2), t['1']][2]"))
    assert status_and_body(theirs)[1] == b"raised TypeError: not an ISO-8859-1 string"
    assert status_and_body(mine)[1] == b"'2'"
