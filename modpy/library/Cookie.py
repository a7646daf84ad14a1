"""mod_python's `Cookie` module: Cookie, SignedCookie, MarshalCookie and
add_cookie, get_cookies, get_cookie (the manual's "Cookie -- HTTP State
Management").

A Cookie is one cookie (a Morsel, in the standard library's words) in the
Netscape style: attributes sent by browsers are read but never needed.
Signed cookies carry an HMAC-MD5 of name and value ahead of the value, as
mod_python's do, so cookies made by one read in the other; signatures are
compared in constant time, and a MarshalCookie is unmarshalled only after
its signature checks out.  A cookie header a client mangled never raises:
what cannot be read is left out.

Pure apart from the three functions, which only use req.headers_in and
req.headers_out.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import marshal
import re
import time
from typing import Optional, Union

__all__ = ["CookieError", "Cookie", "SignedCookie", "MarshalCookie",
           "add_cookie", "get_cookies", "get_cookie"]

ENCODING, ERRORS = "utf-8", "surrogateescape"
EXPIRES_FORMAT = "%a, %d-%b-%Y %H:%M:%S GMT"
_EXPIRES = re.compile(r"^[A-Z][a-z]{2}, \d{2}[- ][A-Z][a-z]{2}[- ]\d{4} \d{2}:\d{2}:\d{2} GMT$")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f;]")
_DIGEST_LEN = 32                      # hex HMAC-MD5

# attribute -> how it is written in Set-Cookie; flags are written bare.  As
# mod_python writes them (its attribute names), except max_age: browsers
# know only Max-Age (docs/compatibility.md)
_ATTRIBUTES = {"version": "version", "path": "path", "domain": "domain", "secure": "secure",
               "comment": "comment", "expires": "expires", "max_age": "Max-Age",
               "commentURL": "commentURL", "discard": "discard", "port": "port",
               "httponly": "httponly", "samesite": "SameSite"}
_FLAGS = frozenset({"secure", "discard", "httponly"})
# an attribute name as a browser or parse() input spells it -> ours
_INCOMING = {header.lower(): attr for attr, header in _ATTRIBUTES.items()}
_INCOMING.update({attr.lower(): attr for attr in _ATTRIBUTES})


class CookieError(Exception):
    """A cookie that cannot be made, or (mismatch=EXCEPTION) verified."""


def _bytes(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


class Cookie:
    """One cookie: name, value and the attributes of the Netscape
    specification and RFC 2109 (plus SameSite), as keyword arguments."""

    # what parse() of a signed class does with a cookie whose signature fails
    DOWNGRADE, IGNORE, EXCEPTION = 0, 1, 2

    _valid_attr = tuple(_ATTRIBUTES)

    def __init__(self, name: str, value, **kw) -> None:
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise CookieError(f"invalid cookie name {name!r}")
        self.name = name
        self.value = value
        self.__data__: dict = {}
        for key, val in kw.items():
            setattr(self, key, val)

    def __setattr__(self, key: str, value) -> None:
        if key not in ("name", "value", "__data__", "_secret") and key not in _ATTRIBUTES:
            raise AttributeError(f"{key!r} is not a cookie attribute "
                                 f"(allowed: name, value, {', '.join(_ATTRIBUTES)}, __data__)")
        if key == "expires" and value is not None:
            value = _expires_text(value)
        object.__setattr__(self, key, value)

    @classmethod
    def _incoming(cls, name: str, value: str, **kw) -> Optional["Cookie"]:
        """A cookie as a client sent it: no checks on what it contains."""
        cookie = cls.__new__(cls)
        object.__setattr__(cookie, "name", name)
        object.__setattr__(cookie, "value", value)
        object.__setattr__(cookie, "__data__", {})
        return cookie

    @classmethod
    def parse(cls, s: str, **kw) -> dict:
        """{name: cookie} of a Cookie (or Set-Cookie) header value;
        attributes (lowercased) go to the cookie they follow."""
        return _parse(s, cls, **kw)

    def _value_text(self) -> str:
        return str(self.value)

    def __str__(self) -> str:
        value = self._value_text()
        if _UNSAFE.search(value):
            raise CookieError(f"cookie {self.name!r}: value contains ';' or a control character")
        parts = [f"{self.name}={value}"]
        for attr, header in _ATTRIBUTES.items():
            val = self.__dict__.get(attr)
            if val is None or val is False:
                continue
            if attr in _FLAGS:
                parts.append(header)
            else:
                text = str(val)
                if _UNSAFE.search(text):
                    raise CookieError(f"cookie {self.name!r}: {attr} contains ';' or a control character")
                parts.append(f"{header}={text}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


def _expires_text(value) -> str:
    """expires as the Netscape date: from seconds since the epoch, or a
    string already in that form (ValueError otherwise)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return time.strftime(EXPIRES_FORMAT, time.gmtime(value))
    if isinstance(value, str) and _EXPIRES.match(value):
        return value
    raise ValueError(f"invalid cookie expires {value!r}: give seconds since the epoch or "
                     f"'Wdy, DD-Mon-YYYY HH:MM:SS GMT'")


# a cookie header's pieces end at ';', or at ',' before the next name=:
# Apache joins a request's repeated Cookie headers with ", "
_PIECES = re.compile(r";|,(?=\s*[^\s=;,]+\s*=)")


def _pairs(s: str):
    """(name, value or None) for each piece of a header."""
    for piece in _PIECES.split(s):
        name, eq, value = piece.partition("=")
        name = name.strip()
        if not name:
            continue
        if not eq:
            yield name, None
            continue
        yield name, value.strip()    # quotes kept: part of the value (RFC 6265), as in mod_python


def _parse(s: str, cls, names=None, **kw) -> dict:
    """The first cookie of each name wins, as in Werkzeug and Go's net/http:
    browsers send the one of the longest path first (RFC 6265 5.4), and a
    name sent twice must not let a later copy (planted by a sibling
    subdomain or path) stand in for it."""
    cookies: dict = {}
    current = None
    for name, value in _pairs(s or ""):
        attr = _INCOMING.get(name.lstrip("$").lower())
        if current is not None and attr is not None:
            try:
                setattr(current, attr, True if value is None else value)
            except (ValueError, AttributeError):
                pass                            # an attribute we cannot use: left out
            continue
        current = None
        if name.startswith("$") or (names is not None and name not in names) or name in cookies:
            continue
        # a name without "=" is a cookie with an empty value, as in mod_python
        current = cookies[name] = cls._incoming(name, "" if value is None else value, **kw)
    return {name: c for name, c in cookies.items() if c is not None}


class SignedCookie(Cookie):
    """A cookie whose name and value are signed with HMAC-MD5 and `secret`
    (a non-empty string); the signature goes before the value."""

    def __init__(self, name: str, value, secret: str = None, **kw) -> None:
        _check_secret(secret)
        super().__init__(name, value, **kw)
        self._secret = secret

    def hexdigest(self, text: str) -> str:
        return _digest(self._secret, self.name, text)

    def _payload(self) -> str:
        return str(self.value)

    def _value_text(self) -> str:
        payload = self._payload()
        return self.hexdigest(payload) + payload

    @classmethod
    def _incoming(cls, name: str, value: str, secret: str = None,
                  mismatch: int = Cookie.DOWNGRADE) -> Optional[Cookie]:
        _check_secret(secret)
        payload = value[_DIGEST_LEN:]
        if len(value) >= _DIGEST_LEN and hmac.compare_digest(
                _bytes(value[:_DIGEST_LEN]), _bytes(_digest(secret, name, payload))):
            try:
                cookie = Cookie._incoming.__func__(cls, name, cls._decode(payload))
            except ValueError:
                cookie = None        # signed by us, yet unreadable: treated as a mismatch
            if cookie is not None:
                object.__setattr__(cookie, "_secret", secret)
                return cookie
        if mismatch == Cookie.EXCEPTION:
            raise CookieError(f"cookie {name!r}: signature does not verify")
        if mismatch == Cookie.IGNORE:
            return None
        return Cookie._incoming.__func__(Cookie, name, value)

    @staticmethod
    def _decode(payload: str):
        return payload

    @classmethod
    def parse(cls, s: str, secret: str = None, mismatch: int = Cookie.DOWNGRADE, **kw) -> dict:
        """As Cookie.parse, verifying each signature: a cookie that fails
        comes back as a plain Cookie (DOWNGRADE, the default), is left out
        (IGNORE), or raises CookieError (EXCEPTION)."""
        return _parse(s, cls, secret=secret, mismatch=mismatch, **kw)


class MarshalCookie(SignedCookie):
    """A signed cookie whose value is any marshallable object (str, int,
    list, dict ...), sent as base64 of marshal.dumps.  Parsing verifies the
    signature before anything is unmarshalled."""

    def _payload(self) -> str:
        try:
            data = marshal.dumps(self.value)
        except ValueError as e:
            raise CookieError(f"cookie {self.name!r}: value cannot be marshalled: {e}") from None
        return base64.b64encode(data).decode("ascii")

    @staticmethod
    def _decode(payload: str):
        try:
            return marshal.loads(base64.b64decode(payload.encode("ascii"), validate=True))
        except (ValueError, EOFError, TypeError, binascii.Error, UnicodeEncodeError) as e:
            raise ValueError(str(e)) from None


def _check_secret(secret) -> None:
    if not isinstance(secret, str) or not secret:
        raise CookieError("a signed cookie needs a secret: a non-empty string")


def _digest(secret: str, name: str, payload: str) -> str:
    return hmac.new(_bytes(secret), _bytes(name + payload), "md5").hexdigest()


# functions over a request ------------------------------------------------
def add_cookie(req, cookie: Union[Cookie, str], value="", **kw) -> None:
    """Send a cookie (a Cookie, or a name with value and attributes) in
    the response headers, telling caches not to store it."""
    if not isinstance(cookie, Cookie):
        cookie = Cookie(cookie, value, **kw)
    set_cookie_header(req.headers_out, cookie)


def set_cookie_header(headers, cookie: Cookie) -> None:
    """Cache-Control before the first Set-Cookie, as mod_python adds them."""
    if "Set-Cookie" not in headers:
        headers.add("Cache-Control", 'no-cache="set-cookie"')
    headers.add("Set-Cookie", str(cookie))


def get_cookies(req, Class=Cookie, **data) -> dict:
    """{name: cookie} of the request's Cookie headers, each parsed by
    Class.parse with `data` (secret=... for signed classes)."""
    header = "; ".join(req.headers_in.get_all("Cookie")) if hasattr(req.headers_in, "get_all") \
        else req.headers_in.get("Cookie", "")
    return Class.parse(header, **data) if header else {}


def get_cookie(req, name: str, Class=Cookie, **data) -> Optional[Cookie]:
    """The cookie called `name`, or None."""
    return get_cookies(req, Class, names=[name], **data).get(name)
