"""The two-Apache pair every differential test uses: the same site
(config body and files) served once by modpy and once by Debian's
mod_python 3.5 (they cannot share one Apache: both define the Python*
directives), the same raw request sent to each, and the two replies
normalised in one place (`normalised`) so that they can be compared byte
for byte.

Each test module builds one pair for all its cases (`pair_fixture`), so the
whole differential suite starts two Apaches per module, not per test.

Every module serves `probe.py` (PROBE): it runs the Python given in the
request's `X-Code` header against the request and writes the repr of its
value, so a case is one line of a table: a request and the code to run.
Cases where Debian's mod_python is broken under Python 3, or where modpy
differs on purpose (docs/compatibility.md), assert the manual's or the
documented answer instead, and say why.
"""
from __future__ import annotations

import re
import socket
import urllib.parse
from typing import Callable, Iterable, Optional

import pytest

from tests.apache import Apache, free_port, read_until_close

MOD_PYTHON_SO = "/usr/lib/apache2/modules/mod_python.so"

# The probe: `X-Code` is an expression (its repr is the body) or statements
# (which write the body themselves).  An exception is shown, not raised, so
# that both servers' answers to bad calls compare too.
PROBE = r'''
import os, sys, time
from mod_python import apache, util, Cookie, Session, psp

def run(req, code, extra=None):
    env = {"req": req, "apache": apache, "util": util, "Cookie": Cookie,
           "Session": Session, "psp": psp, "os": os, "sys": sys, "time": time}
    env.update(extra or {})
    try:
        try:
            compiled = compile(code, "<case>", "eval")
        except SyntaxError:
            exec(compile(code, "<case>", "exec"), env)
            return ""
        return repr(eval(compiled, env))
    except apache.SERVER_RETURN:
        raise
    except Exception as e:
        return "raised %s: %s" % (type(e).__name__, e)

def handler(req):
    req.content_type = "text/plain"
    req.write(run(req, req.headers_in["X-Code"]))
    return apache.OK
'''


def request(method: str, path: str, code: str = "", headers: Iterable[str] = (),
            body: Optional[bytes] = None, version: str = "HTTP/1.0") -> bytes:
    """A raw request; `code` goes in X-Code for the probe."""
    lines = [f"{method} {path} {version}", "Host: x"]
    lines += [f"X-Code: {code}"] if code else []
    lines += list(headers)
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def get(path: str, code: str = "", *headers: str) -> bytes:
    return request("GET", path, code, headers)


def post(path: str, body: bytes, ctype: str = "application/x-www-form-urlencoded",
         code: str = "", *headers: str) -> bytes:
    return request("POST", path, code, (f"Content-Type: {ctype}", *headers), body)


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/=&")


# What varies by nature, each replaced by one mark.  The servers' own
# directories and ports are replaced per server (Pair.normalised).
VARYING = [
    (re.compile(rb"(?m)^Date: .*\r\n"), b"Date: <date>\r\n"),
    # the Server header and SERVER_SOFTWARE name the module (compatibility.md)
    (re.compile(rb"(?m)^Server: .*\r\n"), b"Server: <banner>\r\n"),
    (re.compile(rb"Apache/[\w./]+( \([^)]*\))?( (mod_python|modpy)/[\w.+-]+ Python/[\w.+]+)?"), b"<banner>"),
    (re.compile(rb"\w{3}, \d\d[ -]\w{3}[ -]\d{4} \d\d:\d\d:\d\d GMT"), b"<http-date>"),
    (re.compile(rb"\b1[6-9]\d{8}(\.\d+)?\b"), b"<time>"),                 # epoch seconds
    (re.compile(rb"\b1[6-9]\d{14}\b"), b"<time-us>"),                   # apr_time_t
    (re.compile(rb"\b[0-9a-f]{32}\b"), b"<sid>"),                        # session ids
    (re.compile(rb"\bpid=\d+"), b"pid=<pid>"),
    (re.compile(rb"'inode': \d+"), b"'inode': <inode>"),                 # a finfo's repr
    (re.compile(rb" at 0x[0-9a-f]+>"), b" at 0x<address>>"),             # an object's repr
    (re.compile(rb"(?m)^ETag: .*\r\n"), b"ETag: <etag>\r\n"),        # inode, size, mtime
    (re.compile(rb"('REMOTE_PORT', ')\d+"), rb"\1<client-port>"),
    # an error log line: its time, process and client port; and the module
    # that logged it, which is each server's own (pyshim, or mod_python's
    # nameless one)
    (re.compile(rb"\[\w{3} \w{3} \d\d [\d:.]+ \d{4}\] \[(?:pyshim)?:(\w+)\] \[pid \d+(?::tid \d+)?\]"),
     rb"[<log-time>] [<module>:\1] [pid]"),
    (re.compile(rb"\[client 127\.0\.0\.1:\d+\]"), b"[client <client>]"),
]


def exchange(server: Apache, raw: bytes, port: Optional[int] = None) -> bytes:
    """Send `raw` on a connection of its own (to `port`, else the server's
    own); all the server answers."""
    with socket.create_connection(("127.0.0.1", port or server.port), timeout=20) as s:
        s.sendall(raw)
        return read_until_close(s)


class Pair:
    """(modpy, mod_python) serving one site."""

    def __init__(self, servers: list[Apache]) -> None:
        self.modpy, self.mod_python = servers

    @staticmethod
    def normalised(server: Apache, reply: bytes) -> bytes:
        reply = reply.replace(server.root.encode(), b"<root>")
        ports = [(server.port, b"<port>")] + [(int(p.rpartition(":")[2]), b"<port2>")
                                              for p in server.conf.extra_listen]
        for port, mark in ports:            # a whole number only, never digits of another
            reply = re.sub(rb"(?<!\d)%d(?!\d)" % port, mark, reply)
        for pattern, mark in VARYING:
            reply = pattern.sub(mark, reply)
        return reply

    def send(self, server: Apache, raw: bytes) -> bytes:
        return self.normalised(server, exchange(server, raw))

    def conversation(self, *steps) -> tuple[list[bytes], list[bytes]]:
        """Requests that depend on the replies before them (a session
        cookie), each server its own: a step is the raw request, or a
        function of the previous (raw) reply giving it.  Both servers'
        replies, normalised."""
        replies = []
        for server in (self.modpy, self.mod_python):
            raw_replies = []
            for step in steps:
                raw = step(raw_replies[-1]) if callable(step) else step
                raw_replies.append(exchange(server, raw))
            replies.append([self.normalised(server, reply) for reply in raw_replies])
        return replies[0], replies[1]

    def both_on_port2(self, raw: bytes) -> tuple[bytes, bytes]:
        """both(), to each server's second port."""
        return tuple(self.normalised(server, exchange(server, raw, int(server.conf.extra_listen[0].rpartition(":")[2])))
                     for server in (self.modpy, self.mod_python))

    def both(self, raw: bytes) -> tuple[bytes, bytes]:
        """(modpy's reply, mod_python's reply), normalised."""
        return self.send(self.modpy, raw), self.send(self.mod_python, raw)

    def same(self, raw: bytes) -> bytes:
        """Assert both replies are the same bytes; that reply."""
        mine, theirs = self.both(raw)
        assert mine == theirs, f"\nmodpy:      {mine!r}\nmod_python: {theirs!r}"
        return mine


def pair_fixture(site: str, files: dict[str, str], mpm: str = "prefork", port2: bool = False) -> Callable:
    """A module-scoped fixture: the Pair serving `site` (an Apache config
    body with {htdocs}, {root}, {port}; with `port2`, also {port2}, a second
    port each server listens on) and `files` (paths under htdocs; probe.py
    is always there)."""

    @pytest.fixture(scope="module")
    def pair(tmp_path_factory):
        servers = []
        try:
            for debian in (False, True):
                root = tmp_path_factory.mktemp("mod_python" if debian else "modpy")
                load = f"LoadModule python_module {MOD_PYTHON_SO}\n" if debian else ""
                second = free_port() if port2 else None
                server = Apache(str(root), load + site.replace("{port2}", str(second)), mpm=mpm,
                                load_modpy=not debian,
                                extra_listen=[f"127.0.0.1:{second}"] if port2 else [])
                servers.append(server)
                for path, text in {"probe.py": PROBE, **files}.items():
                    server.write(path, server.expand(text))
                server.start()
            yield Pair(servers)
        finally:
            for server in servers:
                server.stop()
        # Debian's mod_python may crash where it is broken (a case says so)
        assert servers[0].crashes() == 0, f"a child crashed:\n{servers[0].error_log()}"

    return pair


def body(reply: bytes) -> bytes:
    return reply.partition(b"\r\n\r\n")[2]


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def broken(reply: bytes) -> bool:
    """Debian's mod_python answered 500 where the manual has an answer."""
    return reply.startswith(b"HTTP/1.1 500 ")
