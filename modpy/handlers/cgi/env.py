"""What a CGI script's process would be started with: its environment and
its argv, built from the request the way Apache builds them for mod_cgid.

Pure: the Apache-facing handler hands in the entries Apache's own
ap_create_environment made of `subprocess_env` (after ap_add_common_vars and
ap_add_cgi_vars: every name with each character that is not an ASCII letter
or digit turned into `_`, TZ added) and `r->args`; the rules here are the
ones applied on the way to execve() and back into a Python process:

- when a name occurs twice the first one wins, as it does for getenv() and
  for Python's os.environ;
- a query string without `=` is an "ISINDEX" query: its `+`-separated words,
  URL-unescaped and with shell metacharacters backslash-escaped
  (ap_escape_shell_cmd), become argv[1:] (RFC 3875 section 4.4).
  argv[0] is the script's path, as the kernel passes it to the `#!`
  interpreter.
"""
from __future__ import annotations

import os
from typing import Optional

_SHELL_META = frozenset(b"&;`'\"|*?~<>^()[]{}$\\\n")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def script_environ(fields: list[str]) -> dict[str, str]:
    """The script's os.environ from names and values, alternating, as
    ap_create_environment makes them; when a name comes twice the first
    one wins."""
    names = fields[0::2]
    environ = dict(zip(names, fields[1::2]))
    if len(environ) < len(names):            # a name twice: rare
        environ = {}
        for name, value in zip(names, fields[1::2]):
            environ.setdefault(name, value)
    return environ


def unescape_word(word: bytes) -> bytes:
    """%XX decoding as ap_unescape_url does it: a malformed escape stays as
    it is."""
    if b"%" not in word:
        return word
    out = bytearray()
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c == 0x25 and i + 2 < n and word[i + 1] in _HEX and word[i + 2] in _HEX:
            out.append(int(word[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return bytes(out)


def shell_escape(word: bytes) -> bytes:
    """A backslash before each shell metacharacter (ap_escape_shell_cmd)."""
    if not any(c in _SHELL_META for c in word):
        return word
    out = bytearray()
    for c in word:
        if c in _SHELL_META:
            out.append(0x5C)
        out.append(c)
    return bytes(out)


def script_argv(filename: str, args: Optional[str]) -> list[str]:
    """sys.argv for the script: its path, then the ISINDEX words if any."""
    argv = [filename]
    if args and "=" not in args:
        for word in os.fsencode(args).split(b"+"):
            if word:
                argv.append(os.fsdecode(shell_escape(unescape_word(word))))
    return argv
