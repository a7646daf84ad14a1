"""The text of HTTP Basic credentials.  Pure."""
from __future__ import annotations


def credential_text(data: bytes) -> str:
    """A user name or password of HTTP Basic authentication: UTF-8 when it
    is valid UTF-8, else Latin-1, what older clients send and how
    mod_python reads every such string (RFC 7617 leaves it open)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
