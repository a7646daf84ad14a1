"""mod_python.Cookie in a real Apache: add_cookie, get_cookies and
get_cookie with plain, signed and marshal cookies, and tampered ones."""
import pytest

HANDLER = """
    import time
    from mod_python import apache, Cookie

    SECRET = "secret007"

    def handler(req):
        req.content_type = "text/plain"
        if req.uri == "/set":
            c = Cookie.Cookie("eggs", "spam", path="/", httponly=True)
            c.expires = 0
            Cookie.add_cookie(req, c)
            Cookie.add_cookie(req, "plain", "value", max_age=60)
            Cookie.add_cookie(req, Cookie.SignedCookie("signed", "s-value", SECRET))
            Cookie.add_cookie(req, Cookie.MarshalCookie("spam", {"egg_count": 32, "color": "white"}, SECRET))
            req.write("set")
        elif req.uri == "/plain":
            cookies = Cookie.get_cookies(req)
            req.write(repr(sorted((k, type(v).__name__, v.value) for k, v in cookies.items())))
        elif req.uri == "/signed":
            c = Cookie.get_cookie(req, "signed", Cookie.SignedCookie, secret=SECRET)
            req.write(repr(None if c is None else (type(c).__name__, c.value)))
        elif req.uri == "/marshal":
            cookies = Cookie.get_cookies(req, Cookie.MarshalCookie, secret=SECRET)
            spam = cookies.get("spam")
            if spam is None:
                req.write("none")
            elif type(spam) is Cookie.MarshalCookie:
                req.write("decoded " + repr(sorted(spam.value.items())))
            else:
                req.write("WARNING: not a MarshalCookie, value " + repr(spam.value))
        elif req.uri == "/strict":
            try:
                Cookie.get_cookies(req, Cookie.SignedCookie, secret=SECRET, mismatch=Cookie.Cookie.EXCEPTION)
                req.write("verified")
            except Cookie.CookieError as e:
                req.write("CookieError")
        elif req.uri == "/missing":
            req.write(repr(Cookie.get_cookie(req, "nope")))
        return apache.OK
"""


@pytest.fixture
def server(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler c
        </Directory>
    """)
    server.write("c.py", HANDLER)
    return server.start()


def cookie_header(server):
    """The Cookie header a browser would send back after /set, built by
    hand (the test client's own cookie jar is emptied)."""
    set_cookies = server.get("/set").headers.get_list("set-cookie")
    server.client.cookies.clear()
    return "; ".join(sc.split(";")[0] for sc in set_cookies)


def test_add_cookie_headers(server):
    r = server.get("/set")
    set_cookies = r.headers.get_list("set-cookie")
    assert set_cookies[0] == "eggs=spam; path=/; expires=Thu, 01-Jan-1970 00:00:00 GMT; httponly"
    assert set_cookies[1] == "plain=value; Max-Age=60"
    assert set_cookies[2].startswith("signed=") and set_cookies[2].endswith("s-value")
    assert len(set_cookies[2]) == len("signed=") + 32 + len("s-value")
    assert set_cookies[3].startswith("spam=")
    assert r.headers["cache-control"] == 'no-cache="set-cookie"'


def test_round_trip_through_the_client(server):
    header = cookie_header(server)
    r = server.get("/plain", headers={"Cookie": header})
    assert "('plain', 'Cookie', 'value')" in r.text and "('eggs', 'Cookie', 'spam')" in r.text
    assert server.get("/signed", headers={"Cookie": header}).text == "('SignedCookie', 's-value')"
    assert server.get("/marshal", headers={"Cookie": header}).text == \
        "decoded [('color', 'white'), ('egg_count', 32)]"
    assert server.get("/missing", headers={"Cookie": header}).text == "None"
    assert server.get("/marshal").text == "none"


def test_tampered_cookies(server):
    header = cookie_header(server)
    signed = [p for p in header.split("; ") if p.startswith("signed=")][0]
    spam = [p for p in header.split("; ") if p.startswith("spam=")][0]
    bad_signed = signed[:-1] + "X"
    r = server.get("/signed", headers={"Cookie": bad_signed})
    assert r.text == "('Cookie', '%s')" % bad_signed.split("=", 1)[1]
    bad_spam = spam[:len("spam=") + 40] + ("A" if spam[len("spam=") + 40] != "A" else "B") + spam[len("spam=") + 41:]
    r = server.get("/marshal", headers={"Cookie": bad_spam})
    assert r.text.startswith("WARNING: not a MarshalCookie")
    assert server.get("/strict", headers={"Cookie": bad_signed}).text == "CookieError"
    assert server.get("/strict", headers={"Cookie": signed}).text == "verified"


@pytest.mark.parametrize("header", [
    b"signed=\xff\xfe; spam=" + b"0" * 32 + b"////",
    b"=; ;;; $Version=1; spam",
    b"spam=" + b"a" * 8000,
    b"signed=" + b"\xc3(" * 20 + b"; spam=\"\"",
])
def test_malformed_cookie_headers_never_reach_the_client_as_tracebacks(server, header):
    for path in ("/plain", "/signed", "/marshal"):
        r = server.get(path, headers={"Cookie": header})
        assert r.status_code == 200, server.error_log()
    assert "Traceback" not in server.error_log()


def test_repeated_cookie_headers_which_apache_joins_with_a_comma(server):
    # mod_python's suite sends these two headers; Apache hands them on as
    # "spam=foo; path=blah;;eggs=bar;, bar=foo"
    r = server.client.get("/plain", headers=[("Cookie", "spam=foo; path=blah;;eggs=bar;"),
                                             ("Cookie", "bar=foo")])
    assert r.text == "[('bar', 'Cookie', 'foo'), ('eggs', 'Cookie', 'bar'), ('spam', 'Cookie', 'foo')]"
