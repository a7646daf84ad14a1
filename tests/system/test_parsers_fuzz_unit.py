"""The pure parsers, fuzzed in-process with the seeded junk of
tests/fuzzcases.py: each either gives its result or raises the one error
it documents, whatever the bytes.  (test_fuzz.py sends the same kind of
input through Apache.)"""
import io
import re
import types

import pytest

from modpy.handlers import psp, publisher
from modpy.handlers.cgi import env as cgienv
from modpy.handlers.cgi.response import MAX_HEADER_BLOCK, HeaderBlock
from modpy.handlers.pspparser import PSPSyntaxError
from modpy.library import formdata
from modpy.library.Cookie import Cookie, CookieError, MarshalCookie, SignedCookie
from modpy.library.Session import valid_sid
from tests.fuzzcases import PIECES, SECRET, Draw, signature

ROUNDS = 3000


def texts(seed: int, rounds: int = ROUNDS):
    """Junk as the str modpy makes of request bytes (UTF-8, surrogate escapes)."""
    d = Draw(seed)
    for _ in range(rounds):
        yield d.junk(most=12).decode("utf-8", "surrogateescape")


def test_query_strings():
    for qs in texts(1):
        for blank in (False, True):
            fields = formdata.urlencoded_fields(qs, blank)
            assert all(isinstance(f.name, str) and isinstance(f.value, str) for f in fields)
            # bytes round-trip: what was sent encodes back to the same bytes
            assert all(f.value.encode("utf-8", "surrogateescape") is not None for f in fields)
        try:
            formdata.parse_qsl(qs, True, strict_parsing=True)
        except ValueError:
            pass


def test_header_parameters_and_boundaries():
    for value in texts(2):
        main, params = formdata.parse_header(value)
        assert isinstance(main, str) and all(isinstance(v, str) for v in params.values())
        try:
            boundary = formdata.boundary_of("multipart/form-data; boundary=" + value)
        except formdata.FormError:
            continue
        assert 0 < len(boundary) <= 200 * 4


MULTIPART_PIECES = PIECES + (b"--XyZ", b"--XyZ--", b"\r\n", b"\r\n\r\n", b"Content-Disposition: ",
                             b'form-data; name="a"', b'; filename="f"', b"Content-Type: text/plain")


def test_multipart_bodies():
    d = Draw(3)
    for _ in range(ROUNDS):
        body = b"--XyZ\r\n" + d.junk(MULTIPART_PIECES, 30) if d.chance(0.8) else d.junk(MULTIPART_PIECES, 30)
        step = d.rng.randint(1, 64)
        stream = io.BytesIO(body)
        try:
            fields = formdata.multipart_fields(lambda n: stream.read(min(n, step)), b"XyZ")
        except formdata.FormError:
            continue
        for field in fields:
            assert isinstance(field.name, str)
            assert isinstance(field.value, bytes if field.filename is not None else str)


def test_forms_within_a_budget_stop_at_it_and_never_past():
    """Random small limits over junk forms: a parse either fits the
    limits or stops with FormTooLarge, never keeps more than they allow."""
    d = Draw(11)
    for _ in range(ROUNDS):
        limits = formdata.Limits(d.rng.randint(1, 8), d.rng.randint(1, 200), d.rng.randint(1, 3))
        body = b"--XyZ\r\n" + d.junk(MULTIPART_PIECES, 30)
        stream = io.BytesIO(body)
        try:
            fields = formdata.multipart_fields(stream.read, b"XyZ", budget=formdata.Budget(limits))
        except formdata.FormTooLarge as e:
            assert e.status == 413
            continue
        except formdata.FormError:
            continue
        assert len(fields) <= limits.max_fields
        assert sum(f.filename is not None for f in fields) <= limits.max_files
        text = [f.value for f in fields if f.filename is None]
        assert sum(len(v.encode("utf-8", "surrogateescape")) for v in text) <= limits.max_size
        qs = d.junk(most=12)
        try:
            fields = formdata.urlencoded_fields(qs, True, budget=formdata.Budget(limits))
        except formdata.FormTooLarge:
            assert qs.count(b"&") + 1 > limits.max_fields
            continue
        assert len(fields) <= limits.max_fields


def test_cookie_headers_never_raise_and_tampering_never_verifies():
    d = Draw(4)
    for header in texts(5):
        for cls, data in ((Cookie, {}), (SignedCookie, {"secret": SECRET}),
                          (MarshalCookie, {"secret": SECRET})):
            for cookie in cls.parse(header, **data).values():
                assert isinstance(cookie, Cookie)
        try:
            SignedCookie.parse(header, secret=SECRET, mismatch=Cookie.EXCEPTION)
        except CookieError:
            pass
    for _ in range(ROUNDS):
        # a value as a header carries it: no ';' nor ',' (RFC 6265's cookie-octet has neither;
        # Apache joins two Cookie headers with ", "), no white space or quotes around it
        text = d.junk(most=5).decode("utf-8", "surrogateescape").replace(";", "").replace(",", "")
        text = text.strip().strip('"')
        payload = text.encode("utf-8", "surrogateescape")
        good = signature("s", payload)
        bad = good[:-1] + (b"0" if good[-1:] != b"0" else b"1")
        for sig, verified in ((good, True), (bad, False)):
            header = (b"s=" + sig + payload).decode("utf-8", "surrogateescape")
            cookie = SignedCookie.parse(header, secret=SECRET).get("s")
            if cookie is not None:
                assert (type(cookie) is SignedCookie) == verified, (header, cookie)


def test_cgi_environment_argv_and_response_headers():
    for value in texts(6):
        env = cgienv.script_environ([value, value, "X", value, value])
        assert env["X"] == value
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        argv = cgienv.script_argv("/s.py", value)
        assert argv[0] == "/s.py" and all(isinstance(a, str) for a in argv)
    d = Draw(7)
    for _ in range(ROUNDS):
        block = HeaderBlock()
        data = d.junk(PIECES + (b"X-A: 1\n", b"\r\n", b"Status: 200\n"), 20)
        done = block.feed(data)
        if done is None:
            assert len(block.pending()) == len(data) <= MAX_HEADER_BLOCK
        else:
            assert done[0] + done[1] == data


def test_publisher_names_and_session_ids():
    for value in texts(8):
        names = publisher.path_names(value)
        assert names and all(name and "/" not in name for name in names)
        assert not valid_sid(value) or re.fullmatch("[0-9a-f]{32}", value)


PUBLISHED = """
import os
from os import environ
ran = []
class K:
    @property
    def p(self):
        ran.append(1)
    def __getattr__(self, name):
        ran.append(name)
    def m(self):
        return 1
k = K()
data = {"a": 1}
"""


def test_publisher_traversal_of_junk_names_runs_no_code_and_finds_only_the_modules_own():
    module = types.ModuleType("_fuzz_pub")
    exec(PUBLISHED, module.__dict__)
    names = [t for t in texts(12)] + ["p", "m", "k", "os", "environ", "data", "ran", "K", "__class__"]
    for name in names:
        for obj in (module, module.k):
            found = publisher._attribute(obj, name)
            if found is not publisher._MISSING and publisher._published(found, module):
                assert found in (module.k, module.data, module.ran) or \
                    getattr(found, "__func__", None) is module.K.m, (name, found)
    assert module.ran == []


PSP_PIECES = ("<%", "%>", "<%=", "<%@", "<%--", "--%>", ' include file="nothere.psp" ', "if x:",
              "for i in range(2):", "\n", "\r\n", "    ", "\t", "'", '"', "\\", "\0", "pass", "x = 1",
              "req.write('a')", "((", "))", ":", "#", "\udce9", "\u00e9", "\u2028", "=", "@", "-", "text",
              "(" * 300, "[" * 120, "-" * 3000, "not " * 2000, "a." * 5000)


def test_psp_templates_compile_or_name_their_line():
    d = Draw(9)
    for _ in range(ROUNDS):
        template = "".join(d.pick(PSP_PIECES) for _ in range(d.rng.randint(0, 14)))
        try:
            code, translation = psp.compiled(string=template)
        except PSPSyntaxError as e:
            assert re.match(r"<string>, line \d+: ", str(e)), e
        except psp.PSPError as e:
            assert re.match(r"<string>(, line \d+)?: ", str(e)), e
        else:
            assert translation.files == ["<string>"] and code.co_filename == "<psp <string>>"


@pytest.mark.parametrize("template", ["<%= " + "-" * 100000 + "1 %>", "<%= " + "a." * 50000 + "b %>",
                                      "<% x = '\0' %>"])
def test_psp_templates_too_deep_for_the_compiler_are_psp_errors(template):
    with pytest.raises(psp.PSPError, match=r"^<string>"):
        psp.compiled(string=template)
