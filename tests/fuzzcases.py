"""Hostile HTTP requests for tests/test_fuzz.py: malformed and hostile input
for every parser a request meets in modpy, as raw bytes.

Pure: this module builds bytes and never opens a socket, so the cases can be
looked at (and counted) without a server:

    .venv/bin/python -m tests.fuzzcases

Seeded and bounded: `cases()` draws from one `random.Random(SEED)`, so every
run, here and in CI, sends the very same requests, and `COUNTS` caps each
family.  A failure names its case by family and number, and the same number
is the same bytes next time.

The paths and names below are the ones the fuzz server of test_fuzz.py
serves; `SECRET` is the secret its signed cookies and sessions use.
"""
from __future__ import annotations

import base64
import dataclasses
import hmac
import random
import urllib.parse
from dataclasses import dataclass
from typing import Optional, Sequence

SEED = 20250704
SECRET = "fuzz-secret"
# The string a response-splitting attempt tries to make into a header of
# the response; no response may ever carry it as a header line.
INJECTED = b"X-Injected"
# Echoed by a module outside the publisher's directory: reaching it would
# be a traversal.
CANARY = b"CANARY-OUTSIDE"
# Raised on purpose by the fuzz server's handlers: such failures are the
# expected kind (their error pages are checked for leaks, not counted).
DELIBERATE = "deliberate-failure"
# Pages that fail on purpose (a failure's log line may be cut before the
# message, when the request line is long, but its request line names them).
DELIBERATE_PATHS = ("/boom?", "/psp/broken-")

# how many cases each family gets
COUNTS = {
    "headers": 1000, "request-line": 400, "args": 1200, "urlencoded": 800, "chunked": 500,
    "multipart": 1800, "cookies": 1000, "session": 900, "cgi": 1000, "publisher": 1000,
    "psp": 600, "wsgi": 600, "form-limits": 400,
}

# the /limits site's PythonOptions: forms at and past them are cheap to send
LIMITS = {"max_fields": 40, "max_size": 4096, "max_files": 3}

# What hostile input is made of: bytes that are not UTF-8 (a lone \xe9,
# overlong and surrogate encodings, a code point above U+10FFFF), NUL and
# other controls, escapes gone wrong, markup, traversal, and the separators
# of every parser on the way.
PIECES: tuple[bytes, ...] = (
    b"\xe9", b"\xff\xfe", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80",
    b"\x00", b"%00", b"%e9", b"%ZZ", b"%", b"%2", b"%u00e9", b"+", b"\r", b"\n", b"\t", b"\x0b",
    b"\x7f", b"\x1b[2J", b"<script>alert(1)</script>", b"&lt;", b"'", b'"', b"\\", b";", b",",
    b"=", b"&", b"/", b"../", b"..%2f", b"%2e%2e/", b"$", b"*", b"#", b"?", b" ", b":", b"--",
    "\u00e9".encode(), "\u2028".encode(), "\U0001f600".encode(), b"\xef\xbb\xbf", b"a", b"name",
    b"0", b"-1", b"99999999999999999999", b"{}", b"[]", b"%s%n", b"\\x00",
)
# bytes a header line can carry (Apache refuses NUL, CR and LF there)
HEADER_PIECES = tuple(p for p in PIECES if not any(c in p for c in b"\0\r\n"))
# the same as a percent-encoded query or form would carry them
SPLIT_ATTEMPT = b"%0d%0a" + INJECTED + b":%201"


@dataclass(frozen=True)
class Case:
    """One request.  `refused`: the answer must not be 200 (the publisher's
    exposure rules).  `body_pattern`: a 200 answer's body must match it.
    `forbidden`: a 200 answer's body must not contain it (a tampered
    cookie the echo handler reports as verified, a header the WSGI environ
    must hide).  `status`: the answer must have it (a form within or past
    its limits)."""

    family: str
    number: int
    raw: bytes
    refused: bool = False
    body_pattern: Optional[bytes] = None
    forbidden: tuple[bytes, ...] = ()
    status: Optional[int] = None

    @property
    def name(self) -> str:
        return f"{self.family}#{self.number}"


# ---------------------------------------------------------------- building


def request(target: bytes, headers: Sequence[tuple[bytes, bytes]] = (), body: bytes = b"",
            method: bytes = b"GET", length: Optional[bytes] = None,
            version: bytes = b"HTTP/1.1") -> bytes:
    """A request as raw bytes: Host and Connection: close first, then
    `headers`; Content-Length is the body's own unless `length` says
    otherwise (b"" for none)."""
    lines = [method + b" " + target + b" " + version, b"Host: 127.0.0.1", b"Connection: close"]
    if length is None and body:
        length = str(len(body)).encode()
    if length:
        lines.append(b"Content-Length: " + length)
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def signature(name: str, payload: bytes, secret: str = SECRET) -> bytes:
    """What SignedCookie puts before a value: hex HMAC-MD5 of name+value."""
    return hmac.new(secret.encode(), name.encode() + payload, "md5").hexdigest().encode()


class Draw:
    """The random choices of one run, over one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, items: Sequence):
        return items[self.rng.randrange(len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def junk(self, pieces: Sequence[bytes] = PIECES, most: int = 8) -> bytes:
        """A few pieces, now and then one repeated into a long run."""
        out = []
        for _ in range(self.rng.randint(0, most)):
            piece = self.pick(pieces)
            if self.chance(0.04):
                piece *= self.rng.randint(50, 1500)
            out.append(piece)
        return b"".join(out)

    def word(self) -> bytes:
        return self.junk(HEADER_PIECES, 4) or b"w"

    def query(self, pieces: Sequence[bytes] = PIECES) -> bytes:
        """A query string: pairs of junk with now and then no '=', an empty
        pair, a response-splitting attempt; spaces and '#' percent-encoded
        (they would end the target)."""
        pairs = []
        for _ in range(self.rng.randint(0, 6)):
            kind = self.rng.random()
            if kind < 0.1:
                pairs.append(b"")
            elif kind < 0.2:
                pairs.append(self.junk(pieces, 3))
            elif kind < 0.27:
                pairs.append(b"echo=" + SPLIT_ATTEMPT)
            else:
                pairs.append(self.junk(pieces, 3) + b"=" + self.junk(pieces, 4))
        return _target_safe(b"&".join(pairs))


def _target_safe(data: bytes) -> bytes:
    """Keep a request target one token: what would end it is %-encoded."""
    for c in b" \r\n#\0\t\x0b":
        data = data.replace(bytes([c]), b"%%%02X" % c)
    return data


# ---------------------------------------------------------------- families

ECHO = b"/echo/h"
# every handler that reads the query string or a form
FORM_TARGETS = (ECHO, b"/pub/mod/echo", b"/pub/mod/kw", b"/psp/echo.psp", b"/wsgi/app",
                b"/cgi/env.py")
KNOWN_HEADERS = (b"Accept", b"Accept-Language", b"Accept-Encoding", b"Authorization", b"Cookie",
                 b"Content-Type", b"Range", b"If-Modified-Since", b"If-None-Match", b"Referer",
                 b"User-Agent", b"X-Forwarded-For", b"Expect", b"Proxy", b"Forwarded", b"Via")


def _headers(d: Draw) -> bytes:
    """headers_in: hostile values, names and shapes of header lines."""
    kind = d.rng.randrange(12)
    value = d.junk(HEADER_PIECES)
    if kind < 4:
        return request(ECHO, [(b"X-Fuzz", value)])
    if kind == 4:
        return request(ECHO, [(d.pick(KNOWN_HEADERS), value)])
    if kind == 5:                                   # obs-fold continuation lines
        return request(ECHO, [(b"X-Fuzz", value + b"\r\n " + d.word() + b"\r\n\t" + d.word())])
    if kind == 6:                                   # the same name many times
        return request(ECHO, [(d.pick((b"X-Fuzz", b"Cookie", b"Accept", b"Content-Type")), d.word())
                              for _ in range(d.rng.randint(2, 30))])
    if kind == 7:                                   # a name that is no token
        name = d.pick((b"X\xe9", b"X Y", b"", b"X(Y)", b"\x7f", b"X\tY", b"X@", b"X-\xff\xfe"))
        return request(ECHO, [(name, value)])
    if kind == 8:                                   # too long, too many
        if d.chance(0.5):
            return request(ECHO, [(b"X-Fuzz", b"v" * d.pick((8000, 8190, 9000, 70000)))])
        return request(ECHO, [(b"X-F%d" % i, b"v") for i in range(d.pick((99, 101, 300)))])
    if kind == 9:                                   # a line with no colon, a space before it
        line = d.pick((b"NoColonHere", b"X-Fuzz : v", b" X-Fuzz: v", b"X-Fuzz:: v", b":v"))
        return request(ECHO).replace(b"Connection: close", b"Connection: close\r\n" + line, 1)
    if kind == 10:                                  # NUL, bare CR, bare LF inside a value
        sep = d.pick((b"\0", b"\r", b"\n", b"\r\r", b"\n\n"))
        return request(ECHO, [(b"X-Fuzz", d.word() + sep + d.word())])
    raw = request(ECHO, [(b"Host", value)])             # a second Host, or the only one
    return raw.replace(b"Host: 127.0.0.1\r\n", b"") if d.chance(0.5) else raw


def _request_line(d: Draw) -> bytes:
    """The request line: odd methods, targets and versions."""
    kind = d.rng.randrange(8)
    if kind == 0:
        return request(ECHO, method=d.pick((b"G\xe9T", b"get", b"", b"PROPFIND", b"X" * 300, b"GET\0")))
    if kind == 1:
        return request(ECHO, version=d.pick((b"HTTP/9.9", b"HTTP/1.1x", b"http/1.1", b"HTTP/01.1",
                                             b"", b"HTTP/1.1 extra", b"\xe9")))
    if kind == 2:
        return request(d.pick((b"http://127.0.0.1" + ECHO, b"*", b"echo/h", b"//echo//h",
                               b"http://[::1" + ECHO, b"/echo/h/..", b"/echo/./h")))
    if kind == 3:
        return request(ECHO + b"?" + b"a" * d.pick((8000, 8180, 9000)))
    if kind == 4:
        return ECHO.join((b"GET ", b"\r\n\r\n"))             # HTTP/0.9
    if kind == 5:
        return request(ECHO).replace(b" ", d.pick((b"  ", b"\t", b"\x0b")), 1)
    if kind == 6:
        return d.junk(most=12) + b"\r\n\r\n"
    return request(b"/echo/" + _target_safe(d.junk()) + b"?" + d.query())


def _args(d: Draw) -> bytes:
    """Query strings as FieldStorage, parse_qs, CGI and WSGI read them."""
    return request(d.pick(FORM_TARGETS) + b"?" + d.query())


def _urlencoded(d: Draw) -> bytes:
    """application/x-www-form-urlencoded bodies, and lengths that lie."""
    target = d.pick(FORM_TARGETS)
    body = d.query(PIECES)
    ctype = d.pick((b"application/x-www-form-urlencoded", b"application/x-www-form-urlencoded; charset=latin-1",
                    b"APPLICATION/X-WWW-FORM-URLENCODED", b"text/plain", b"", b"application/json",
                    b"application/x-www-form-urlencoded\xe9"))
    headers = [(b"Content-Type", ctype)] if ctype else []
    kind = d.rng.randrange(6)
    if kind == 0:                              # shorter than it says: the client then half-closes
        return request(target, headers, body, b"POST", str(len(body) + d.rng.randint(1, 5000)).encode())
    if kind == 1:                              # longer than it says
        return request(target, headers, body + d.junk(), b"POST", str(len(body)).encode())
    if kind == 2:
        length = d.pick((b"abc", b"-1", b"1e3", b" 5", b"99999999999999999999", b"0x10",
                         b"5, 6", b"\xe9"))
        return request(target, headers, body, b"POST", length)
    if kind == 3:                              # two lengths, or a length and chunked
        extra = d.pick(((b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")))
        return request(target, headers + [extra], body, b"POST")
    if kind == 4:
        return request(target, headers + [(b"Expect", d.pick((b"100-continue", b"nonsense")))],
                       body, b"POST")
    return request(target, headers, body, d.pick((b"POST", b"PUT", b"GET", b"DELETE")))


def _chunked(d: Draw) -> bytes:
    """Chunked bodies, well-formed and not."""
    target = d.pick(FORM_TARGETS)
    data = d.query()
    chunks, pos = [], 0
    while pos < len(data):
        piece = data[pos:pos + d.rng.randint(1, 40)]
        chunks.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        pos += len(piece)
    body = b"".join(chunks) + b"0\r\n\r\n"
    kind = d.rng.randrange(9)              # 0, 7 and 8: well-formed
    if kind == 1:
        body = b"zz\r\n" + body                            # not hex
    elif kind == 2:
        body = b"ffffffffffffffffffff\r\nab\r\n0\r\n\r\n"  # a size past any integer
    elif kind == 3:
        body = body[:d.rng.randrange(len(body) + 1)]        # cut anywhere
    elif kind == 4:
        body = body.replace(b"\r\n", b"\n")                # bare LF
    elif kind == 5:
        body = body.replace(b"\r\n", b";" + d.word() + b"\r\n", 1)   # a chunk extension
    elif kind == 6:
        body = body[:-2] + d.pick((b"X-Trailer: " + d.word(), b"no colon", b"Content-Length: 5")) \
            + b"\r\n\r\n"
    te = d.pick((b"chunked",) * 6 + (b"CHUNKED", b"gzip, chunked", b"chunked, gzip", b"identity"))
    headers = [(b"Transfer-Encoding", te), (b"Content-Type", b"application/x-www-form-urlencoded")]
    return request(target, headers, body, b"POST", b"")


_DISPOSITIONS = (
    b'form-data; name="%s"', b'form-data; name="%s"; filename="f.txt"', b"form-data; name=%s",
    b'form-data; name="%s"; filename="../../../etc/passwd"', b'form-data; name="%s"; filename=""',
    b'form-data; name="%s"; filename="C:\\\\dir\\\\f.txt"', b"form-data; name*=UTF-8''%s",
    b'form-data; name="%s"; name="other"', b'form-data; filename="nameless.txt"', b"form-data",
    b'attachment; name="%s"', b'form-data; name="a;b=%s"', b'form-data; name="\\"%s\\""',
    b'form-data; name="%s"; filename*=UTF-8\'\'%%e9.txt', b"", b";;;;", b'form-data; name="%s',
)


def _part(d: Draw, boundary: bytes) -> bytes:
    headers = []
    if not d.chance(0.1):
        disposition = d.pick(_DISPOSITIONS)
        headers.append(b"Content-Disposition: " + (disposition % d.word() if b"%s" in disposition
                                                     else disposition))
    if d.chance(0.3):
        headers.append(b"Content-Type: " + d.pick((b"text/plain; charset=latin-1", b"application/x",
                                                   b"", d.word(), b"multipart/mixed; boundary=inner")))
    if d.chance(0.1):
        headers.append(d.pick((b"no colon here", b"X-Big: " + b"h" * d.pick((100, 20000)),
                               b": empty name", b"X-\xe9: v")))
    if d.chance(0.05):
        headers += [b"X-Many-%d: v" % i for i in range(40)]
    data = d.junk()
    if d.chance(0.1):
        data += b"\r\n--" + boundary                     # the boundary inside a value
    if d.chance(0.1):
        data += b"\r\n" + INJECTED + b": 1"
    return b"\r\n".join(headers) + b"\r\n\r\n" + data


def _multipart(d: Draw) -> bytes:
    """multipart/form-data: boundaries missing, duplicated, huge or odd,
    parts truncated, headers odd, parameters odd."""
    boundary = d.pick((b"XyZzY", b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"a", b"b" * 70,
                       b"c" * 201, b"d" * 5000, b"sp ace", b"\xe9\xe9", b"q\"uote", b"--", b"="))
    parts = [_part(d, boundary) for _ in range(d.rng.randint(0, 5))]
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    if d.chance(0.85):
        body += b"--" + boundary + b"--\r\n"
    if d.chance(0.1):
        body = d.junk() + b"\r\n" + body + d.junk()       # preamble and epilogue
    if d.chance(0.15):
        body = body[:d.rng.randrange(len(body) + 1)]        # truncated anywhere
    if d.chance(0.08):
        body = body.replace(b"\r\n", b"\n")
    quoted = b'"' + boundary + b'"'
    ctype = d.pick((b"multipart/form-data; boundary=" + boundary,
                    b"multipart/form-data; boundary=" + quoted,
                    b"multipart/form-data", b"multipart/form-data; boundary=",
                    b"multipart/form-data; boundary=" + boundary + b"; boundary=other",
                    b"multipart/form-data; boundary=other; boundary=" + boundary,
                    b"multipart/form-data; charset=utf-8; boundary=" + boundary,
                    b"Multipart/Form-Data; BOUNDARY=" + boundary,
                    b"multipart/form-data; boundary*=UTF-8''" + boundary,
                    b"multipart/mixed; boundary=" + boundary,
                    b"multipart/form-data; boundary=" + boundary + b"; " + d.word()))
    target = d.pick((ECHO, ECHO, b"/pub/mod/kw", b"/psp/echo.psp", b"/wsgi/app", b"/cgi/env.py"))
    return request(target, [(b"Content-Type", ctype)], body, b"POST")


def _signed(d: Draw, name: str) -> tuple[bytes, bool]:
    """A signed cookie, tampered with or signed over junk, and whether
    its signature is good."""
    if name == "m":
        payload = d.pick((b"!!not base64!!", base64.b64encode(d.junk()),
                          base64.b64encode(b"[" + b"[\x01\x00\x00\x00" * 3000 + b"i\x01\x00\x00\x00"),
                          base64.b64encode(b"\xfa\x05hello"), base64.b64encode(b"s\xff\xff\xff\x7fab"),
                          base64.b64encode(b"\xe3" + b"\0" * 20), b"", b"===="))
    else:
        payload = d.word()
    sig = signature(name, payload)
    kind = d.rng.randrange(6)
    if kind == 1:
        sig = sig[:5] + (b"0" if sig[5:6] != b"0" else b"1") + sig[6:]   # one digit off
    elif kind == 2:
        sig = sig[:d.rng.randrange(32)]
    elif kind == 3:
        sig = sig.upper()
    elif kind == 4:
        sig = signature(name, payload, "wrong-secret")
    return name.encode() + b"=" + sig + payload, kind in (0, 5)


def _cookies(d: Draw) -> Case:
    """Cookie headers: malformed, huge, signed ones tampered."""
    kind = d.rng.randrange(6)
    forbidden: tuple[bytes, ...] = ()
    if kind == 0:
        header = d.junk(HEADER_PIECES, 14)
    elif kind == 1:
        header = b"; ".join(d.word() + b"=" + d.word() for _ in range(d.rng.randint(1, 8)))
    elif kind == 2:
        header = b"big=" + b"x" * d.pick((4000, 8100, 9000))
    elif kind == 3:
        header = b"; ".join(b"c%d=v" % i for i in range(d.pick((50, 700, 2000))))
    elif kind == 4:
        name = d.pick(("s", "m"))
        header, good = _signed(d, name)
        if not good:           # the echo handler lists verified cookies by class
            forbidden = (b"\n%s\nSignedCookie\n" % name.encode(), b"\nMarshalCookie\n")
    else:
        header = d.pick((b'$Version=1; a="b"; $Path=/', b"a=b; path; expires=" + d.word(), b'a="', b'"="',
                         b"=", b";;", b"a==b", b"a=b=c; ;", b"$Path=/; s=" + d.word(),
                         b"s=" + b"0" * 32, b"m=" + b"f" * 32 + b"%%%", b"a=b; Max-Age=" + d.word()))
    headers = [(b"Cookie", header)]
    if d.chance(0.2) and not forbidden:
        headers.append((b"Cookie", d.word()))
    return Case("cookies", 0, request(ECHO, headers), forbidden=forbidden)


# session ids a client might try: traversal, NUL, long, almost valid
_SIDS = (b"../../../../etc/passwd", b"..", b".", b"/", b"../" * 20 + b"tmp/x", b"..%2f..%2fx",
         b"0" * 31, b"0" * 33, b"A" * 32, b"g" * 32, b"0" * 32 + b"/../x", b"00/../../" + b"0" * 23,
         b"0" * 30 + b"/.", b"\\x00" * 8, b"%00" * 10, b"0" * 32 + b"%00", b"a" * 7000, b"0" * 32 + b" ",
         b"\xe9" * 32, b"0123456789abcdef" * 2, b"fedcba9876543210" * 2, b"~root", b"/etc/passwd",
         b"0" * 32 + b"\t", b"0" * 16 + b"." + b"0" * 15, b'"' + b"0" * 32 + b'"')
SESSION_TARGETS = (b"/sess/file", b"/sess/dbm", b"/sess/signed")


def _session(d: Draw) -> bytes:
    """pysid cookies against FileSession, DbmSession and a signed one."""
    target = d.pick(SESSION_TARGETS)
    sid = d.pick(_SIDS) if d.chance(0.8) else d.word()
    if target.endswith(b"signed") and d.chance(0.6):
        # a valid signature on a hostile id, as one who stole the secret
        # would make: the id must still never leave the store's directory
        sid = signature("pysid", sid) + sid
    header = b"pysid=" + sid
    if d.chance(0.25):
        header = b"pysid=" + d.pick(_SIDS) + b"; " + header      # two of them
    if d.chance(0.1):
        header += b"; pysid"
    return request(target, [(b"Cookie", header)])


# CGI header blocks a script might print: no colon, odd Status and
# Location, controls, huge, many, lengths that lie
_CGI_HEADERS = (
    b"Content-Type: text/plain\n\n", b"Status: 299 Odd\nContent-Type: text/plain\n\n",
    b"Status: 99999\n\n", b"Status: abc\n\n", b"Status: 200\xe9\n\n", b"Status:\n\n",
    b"Location: /cgi/env.py?x=1\n\n", b"Location: http://elsewhere.invalid/\n\n",
    b"Location: \n\n", b"Location: /\xe9\n\n", b"Location: //evil.invalid\n\n",
    b"Location: relative/path\n\n", b"Status: 302\nLocation: /x\n\n",
    b"Content-Type: text/plain\nContent-Length: 1\n\n", b"Content-Length: abc\n\n",
    b"Content-Length: 99999999\n\n", b"Transfer-Encoding: chunked\n\n", b"no colon line\n\n",
    b"X-A: 1\r\nX-B: 2\r\n\r\n", b"X-A: 1\rX-B: 2\n\n", b"X-A: a\0b\n\n", b"X-\xe9: 1\n\n",
    b": no name\n\n", b"X-A:" + b"v" * 9000 + b"\n\n", b"".join(b"X-%d: v\n" % i for i in range(300)) + b"\n",
    b"Set-Cookie: a=b\nSet-Cookie: c=d\n\n", b"X-A: 1\n X-folded: 2\n\n", b"\n", b"",
    b"Content-Type: text/plain", b"Last-Modified: not a date\n\n",
    b"Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\n\n", b"Content-Type: " + b"t" * 5000 + b"\n\n",
)


def _cgi(d: Draw) -> bytes:
    """The CGI emulation: the response header block a script prints, the
    environment hostile request headers make, ISINDEX argv."""
    kind = d.rng.randrange(4)
    if kind < 2:
        block = d.pick(_CGI_HEADERS)
        if d.chance(0.3):
            block = d.word() + b": " + d.junk() + b"\n" + block
        query = b"h=" + urllib.parse.quote_from_bytes(block, safe=b"").encode()
        return request(b"/cgi/env.py?" + query)
    if kind == 2:                                   # an ISINDEX query: argv words
        words = b"+".join(_target_safe(d.junk(most=3)).replace(b"=", b"%3D") for _ in range(4))
        return request(b"/cgi/env.py?" + words)
    headers = [(d.pick(KNOWN_HEADERS + (b"X-Fuzz", b"X-Fuzz_Under", b"1X", b"X.Dot")), d.junk(HEADER_PIECES))
               for _ in range(d.rng.randint(1, 5))]
    return request(b"/cgi/env.py", headers)


# names the publisher must never serve: private names, modules, classes,
# builtins, imports, dunders of published objects, and ways of spelling them
_REFUSED = (b"_private", b"%5fprivate", b"__dict__", b"__builtins__", b"__file__", b"os",
            b"os/system", b"os/environ", b"join", b"json", b"json/dumps", b"Klass", b"Klass/hello",
            b"obj/_hidden", b"obj/__class__", b"obj/__dict__", b"echo/__globals__",
            b"echo/__code__", b"index/__call__", b"obj/hello/__func__", b"obj/hello/__self__",
            b"lam/__globals__", b"greeting/upper", b"config/get", b"config/keys", b"nothere",
            b"guarded", b"./_private", b"_private/", b"obj/%5f%5fclass%5f%5f", b"print", b"open",
            b"getattr", b"__import__", b"echo/__wrapped__", b"deliberately_missing",
            b"environ", b"od", b"od/keys", b"obj/prop", b"obj/prop/upper", b"obj/described",
            b"by_name", b"by_call", b"Klass/prop")
_PUBLISHED = (b"", b"index", b"echo", b"kw", b"obj/hello", b"greeting", b"lam", b"number/real",
              b"boom")
_PUBLISHER_PREFIXES = (b"/pub/mod/", b"/pub/mod.py/", b"/pub/mod.txt/", b"/pub/mod.psp/")
_TRAVERSALS = (b"/pub/../../outside/canary", b"/pub/%2e%2e/%2e%2e/outside/canary",
               b"/pub/..%2f..%2foutside/canary", b"/pub/mod/../../../outside/canary/index",
               b"/pub/.%2e/.%2e/outside/canary", b"/pub/%252e%252e/outside/canary",
               b"/pub/mod%00.py/index", b"/pub/../../outside/canary.py/index")


# methods the publisher refuses (405), as mod_python 3.3+ did
_UNPUBLISHED_METHODS = (b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"PROPFIND", b"TRACK", b"FOO")


def _publisher(d: Draw) -> Case:
    """Publisher URL mapping: published and refused names (imports, getters,
    guards that must hold), traversal, methods, hostile names and form fields."""
    kind = d.rng.randrange(6)
    prefix = d.pick(_PUBLISHER_PREFIXES)
    if kind == 5:
        return Case("publisher", 0, request(prefix + d.pick(_PUBLISHED),
                                            method=d.pick(_UNPUBLISHED_METHODS)), refused=True)
    if kind == 0:
        return Case("publisher", 0, request(prefix + d.pick(_REFUSED)), refused=True)
    if kind == 1:
        return Case("publisher", 0, request(d.pick(_TRAVERSALS)), refused=True)
    if kind == 2:
        return Case("publisher", 0, request(prefix + d.pick(_PUBLISHED) + b"?" + d.query()))
    if kind == 3:
        return Case("publisher", 0, request(prefix + _target_safe(d.junk()).replace(b"?", b"%3F")))
    auth = b"Basic " + base64.b64encode(d.pick((b"u:p", b"u:wrong", b"nocolon", d.junk(), b":")))
    return Case("publisher", 0, request(prefix + d.pick((b"guarded", b"index")),
                                        [(b"Authorization", d.pick((auth, d.junk(HEADER_PIECES))))]))


def _psp(d: Draw) -> bytes:
    """PSP pages: one echoing its form, and broken templates."""
    page = d.pick((b"echo.psp", b"echo.psp", b"broken-name.psp", b"broken-syntax.psp",
                   b"broken-unclosed.psp", b"broken-value.psp", b"broken-include.psp",
                   b"echo.psp_", b"nothere.psp"))
    return request(b"/psp/" + page + b"?" + d.query())


# header names the WSGI environ must never show (as Apache's CGI environment
# hides them): credentials, httpoxy's Proxy, names with '_' or other odd bytes
_HIDDEN_HEADERS = (b"Proxy", b"PROXY", b"X_Remote_User", b"x_remote_user", b"X-Remote_User",
                   b"Authorization", b"Proxy-Authorization", b"X.Remote.User", b"X~Remote~User")
_HIDDEN_KEYS = (b"HTTP_PROXY=", b"HTTP_X_REMOTE_USER=", b"HTTP_AUTHORIZATION=",
                b"HTTP_PROXY_AUTHORIZATION=", b"HTTP_X.REMOTE", b"HTTP_X~REMOTE")


def _wsgi(d: Draw) -> Case:
    """The WSGI environ from hostile headers and queries (latin-1 rule),
    hiding what Apache's CGI environment hides."""
    headers = [(d.pick(KNOWN_HEADERS + (b"X-Fuzz",) + _HIDDEN_HEADERS), d.junk(HEADER_PIECES) or b"v")
               for _ in range(d.rng.randint(0, 4))]
    path = b"/wsgi/app" + d.pick((b"", b"/" + _target_safe(d.junk()).replace(b"?", b"%3F")))
    return Case("wsgi", 0, request(path + b"?" + d.query(), headers), forbidden=_HIDDEN_KEYS)


def _form_limits(d: Draw) -> Case:
    """Forms at and past the /limits site's LIMITS, urlencoded (with a
    length or chunked, fields in the query string too) and multipart (text
    parts and uploads): 200 within every limit, 413 past any."""
    query_fields = d.pick((0, 0, d.rng.randint(1, 50)))
    target = b"/limits/h" + (b"?" + b"&".join(b"q%d=1" % i for i in range(query_fields))
                             if query_fields else b"")
    kind = d.rng.randrange(3)
    if kind < 2:
        fields = d.rng.randint(1, 50)
        body = b"&".join(b"f%d=" % i + b"x" * d.rng.randint(0, d.pick((10, 200))) for i in range(fields))
        past = query_fields + fields > LIMITS["max_fields"] or len(body) > LIMITS["max_size"]
        headers = [(b"Content-Type", b"application/x-www-form-urlencoded")]
        if kind == 0:
            raw = request(target, headers, body, b"POST")
        else:
            chunks = b"".join(b"%x\r\n" % len(body[i:i + 700]) + body[i:i + 700] + b"\r\n"
                              for i in range(0, len(body), 700))
            raw = request(target, headers + [(b"Transfer-Encoding", b"chunked")],
                          chunks + b"0\r\n\r\n", b"POST", b"")
    else:
        uploads = [d.chance(0.3) for _ in range(d.rng.randint(0, 8))]
        sizes = [d.rng.randint(0, 2000) for _ in uploads]
        parts = [b'Content-Disposition: form-data; name="p%d"%s\r\n\r\n' % (
                 i, b'; filename="f"' if upload else b"") + b"z" * size
                 for i, (upload, size) in enumerate(zip(uploads, sizes))]
        body = b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"
        text = sum(size for upload, size in zip(uploads, sizes) if not upload)
        past = (query_fields + len(parts) > LIMITS["max_fields"] or sum(uploads) > LIMITS["max_files"]
                or text > LIMITS["max_size"])
        raw = request(target, [(b"Content-Type", b"multipart/form-data; boundary=B")], body, b"POST")
    return Case("form-limits", 0, raw, status=413 if past else 200)


_FAMILIES = {
    "headers": _headers, "request-line": _request_line, "args": _args, "urlencoded": _urlencoded,
    "chunked": _chunked, "multipart": _multipart, "cookies": _cookies, "session": _session,
    "cgi": _cgi, "publisher": _publisher, "psp": _psp, "wsgi": _wsgi, "form-limits": _form_limits,
}


def cases(seed: int = SEED, counts: Optional[dict] = None) -> list[Case]:
    """Every case, family by family, numbered within its family."""
    d = Draw(seed)
    out = []
    for family, count in (counts or COUNTS).items():
        make = _FAMILIES[family]
        for number in range(count):
            made = make(d)
            if isinstance(made, Case):
                made = dataclasses.replace(made, number=number)
            else:
                made = Case(family, number, made,
                            body_pattern=rb"[0-9a-f]{32}" if family == "session" else None)
            out.append(made)
    return out


if __name__ == "__main__":
    all_cases = cases()
    for family in COUNTS:
        some = [c for c in all_cases if c.family == family]
        print(f"{family:<14} {len(some):>5} cases {sum(len(c.raw) for c in some):>10} bytes")
    print(f"{'total':<14} {len(all_cases):>5} cases {sum(len(c.raw) for c in all_cases):>10} bytes")
