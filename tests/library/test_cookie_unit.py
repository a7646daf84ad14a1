"""modpy.Cookie in-process: making, printing, parsing and signing cookies."""
import base64
import time

import pytest

from modpy.library.Cookie import Cookie, CookieError, MarshalCookie, SignedCookie


def test_cookie_string_with_attributes():
    c = Cookie("spam", "eggs", path="/p", domain="example.org", secure=True, httponly=True,
               max_age=60, version=1, comment="c", samesite="Lax")
    assert str(c) == ("spam=eggs; version=1; path=/p; domain=example.org; secure; comment=c; "
                      "Max-Age=60; httponly; SameSite=Lax")
    assert repr(c) == f"<Cookie: {c}>"
    assert not hasattr(c, "port")       # never set: no attribute, as in mod_python


def test_only_valid_attributes():
    with pytest.raises(AttributeError):
        Cookie("a", "b", colour="red")
    c = Cookie("a", "b")
    c.__data__["x"] = 1                 # free storage for subclasses
    with pytest.raises(AttributeError):
        c.other = 1


def test_expires_numeric_string_and_invalid():
    c = Cookie("a", "b", expires=0)
    assert c.expires == "Thu, 01-Jan-1970 00:00:00 GMT"
    c.expires = "Sat, 14-Jun-2003 02:42:36 GMT"
    assert str(c) == "a=b; expires=Sat, 14-Jun-2003 02:42:36 GMT"
    t = time.time() + 300
    assert Cookie("a", "b", expires=t).expires == time.strftime("%a, %d-%b-%Y %H:%M:%S GMT", time.gmtime(t))
    with pytest.raises(ValueError):
        c.expires = "tomorrow"


@pytest.mark.parametrize("name", ["", "a b", "a;b", "a=b", "\u00e9", None])
def test_bad_names(name):
    with pytest.raises(CookieError):
        Cookie(name, "v")


def test_values_that_would_break_the_header():
    with pytest.raises(CookieError):
        str(Cookie("a", "x\r\nSet-Cookie: evil=1"))
    with pytest.raises(CookieError):
        str(Cookie("a", "x; Domain=evil"))
    with pytest.raises(CookieError):
        str(Cookie("a", "x", path="/\n"))


def test_parse_the_manual_example_and_attributes():
    cookies = Cookie.parse("spam=eggs; expires=Sat, 14-Jun-2003 02:42:36 GMT")
    assert list(cookies) == ["spam"]
    spam = cookies["spam"]
    assert type(spam) is Cookie and spam.value == "eggs"
    assert spam.expires == "Sat, 14-Jun-2003 02:42:36 GMT"
    cookies = Cookie.parse('$Version=1; a="quoted"; $Path=/x; b=2; junk; =v; c=')
    # a name without "=" is a cookie with an empty value, as in mod_python
    assert {k: v.value for k, v in cookies.items()} == {"a": '"quoted"', "b": "2", "junk": "", "c": ""}
    assert cookies["a"].path == "/x"
    assert Cookie.parse("a=1; Path=/; bad=\xff\udcff")["bad"].value == "\xff\udcff"


def test_parse_never_raises_on_garbage():
    for header in ["", ";;;", "=", "a", "a=b=c", "\x00=\x01", "a=1; expires=never; max-age=x",
                   "$Path=/", "a=b; secure; HttpOnly"]:
        Cookie.parse(header)
    assert Cookie.parse("a=b=c")["a"].value == "b=c"


def test_signed_cookie_round_trip():
    c = SignedCookie("sid", "abc", "s3cret", path="/")
    text = str(c)
    name, _, rest = text.partition("=")
    value = rest.split(";")[0]
    assert len(value) == 32 + 3 and value.endswith("abc")
    parsed = SignedCookie.parse(f"{name}={value}", "s3cret")["sid"]
    assert type(parsed) is SignedCookie and parsed.value == "abc"


@pytest.mark.parametrize("mangle", [
    lambda v: v[:-1] + "d",                 # value changed
    lambda v: ("0" if v[0] != "0" else "1") + v[1:],   # signature changed
    lambda v: v[32:],                       # signature gone
    lambda v: "\udcff" * 32 + v[32:],       # signature not even hex/ASCII
    lambda v: "",
])
def test_tampered_signed_cookie(mangle):
    value = str(SignedCookie("sid", "abcdef", "k")).split("=", 1)[1]
    header = "sid=" + mangle(value)
    downgraded = SignedCookie.parse(header, "k")["sid"]
    assert type(downgraded) is Cookie
    assert SignedCookie.parse(header, "k", mismatch=Cookie.IGNORE) == {}
    with pytest.raises(CookieError):
        SignedCookie.parse(header, "k", mismatch=Cookie.EXCEPTION)


def test_signature_depends_on_the_name_and_secret():
    value = str(SignedCookie("a", "v", "k")).split("=", 1)[1]
    assert type(SignedCookie.parse("b=" + value, "k")["b"]) is Cookie
    assert type(SignedCookie.parse("a=" + value, "other")["a"]) is Cookie


def test_secret_required():
    with pytest.raises(CookieError):
        SignedCookie("a", "b", "")
    with pytest.raises(CookieError):
        SignedCookie.parse("a=b", None)


def test_marshal_cookie_round_trip():
    value = {"egg_count": 32, "color": "white", "list": [1, 2.5, None], "long": "x" * 500}
    text = str(MarshalCookie("spam", value, "secret007"))
    assert "\n" not in text
    parsed = MarshalCookie.parse(text, "secret007")["spam"]
    assert type(parsed) is MarshalCookie and parsed.value == value


def test_marshal_cookie_not_unmarshalled_before_the_signature(monkeypatch):
    import modpy.library.Cookie as mod
    calls = []
    real = mod.marshal.loads
    monkeypatch.setattr(mod.marshal, "loads", lambda data: calls.append(data) or real(data))
    payload = base64.b64encode(b"\xff\xff\xff garbage").decode()
    forged = "spam=" + "0" * 32 + payload
    assert type(MarshalCookie.parse(forged, "k")["spam"]) is Cookie
    assert calls == []
    good = str(MarshalCookie("spam", [1], "k"))
    assert MarshalCookie.parse(good, "k")["spam"].value == [1] and len(calls) == 1


def test_marshal_cookie_signed_but_unreadable_is_a_mismatch():
    bad = SignedCookie("spam", "%%%not base64", "k")
    assert type(MarshalCookie.parse(str(bad), "k")["spam"]) is Cookie
    with pytest.raises(CookieError):
        MarshalCookie.parse(str(bad), "k", mismatch=Cookie.EXCEPTION)
