"""Pure CGI rules: environment, argv, the header block, Location, nph."""
from __future__ import annotations

import pytest

from modpy.handlers.cgi.env import script_argv, script_environ, shell_escape, unescape_word
from modpy.handlers.cgi.response import (
    BODY,
    CLIENT_REDIRECT,
    LOCAL_REDIRECT,
    MAX_HEADER_BLOCK,
    HeaderBlock,
    is_nph,
    location_action,
)


def test_first_of_two_names_wins_in_apaches_order():
    assert script_environ(["A", "1", "A", "2", "B_C", "", "B_C", "x", "Q", "a=b"]) == \
        {"A": "1", "B_C": "", "Q": "a=b"}
    assert list(script_environ(["Z", "1", "A", "2", "Z", "3"])) == ["Z", "A"]


def test_isindex_query_becomes_argv():
    assert script_argv("/s/x.py", "a+b%20c++sem%3Bi") == ["/s/x.py", "a", "b c", "sem\\;i"]
    assert script_argv("/s/x.py", "a=1+2") == ["/s/x.py"]
    assert script_argv("/s/x.py", None) == ["/s/x.py"]
    assert script_argv("/s/x.py", "%ff") == ["/s/x.py", "\udcff"]     # bytes round-trip


def test_unescape_leaves_malformed_escapes():
    assert unescape_word(b"%zz%4") == b"%zz%4"
    assert unescape_word(b"%41%2f") == b"A/"
    assert shell_escape(b"a&b$`") == b"a\\&b\\$\\`"


def feed_all(parts):
    block = HeaderBlock()
    for part in parts:
        done = block.feed(part)
        if done:
            return done
    return None


@pytest.mark.parametrize("parts, block, rest", [
    ([b"A: 1\n\nbody"], b"A: 1\n\n", b"body"),
    ([b"A: 1\r\n\r\nbody"], b"A: 1\r\n\r\n", b"body"),
    ([b"A: 1\r", b"\n", b"\r", b"\nbo", b"dy"], b"A: 1\r\n\r\n", b"bo"),
    ([b"\nbody"], b"\n", b"body"),                              # no headers at all
    ([b"A: 1\nnot a header\nB: 2\n\n"], b"A: 1\nnot a header\n", b"B: 2\n\n"),   # fails here
])
def test_header_block_ends_at_the_blank_line_or_the_first_bad_line(parts, block, rest):
    assert feed_all(parts) == (block, rest)


def test_unfinished_header_block_waits_then_gives_up_at_the_limit():
    block = HeaderBlock()
    assert block.feed(b"A: 1\nB: ") is None
    assert block.pending() == b"A: 1\nB: "
    huge = HeaderBlock()
    assert huge.feed(b"X: " + b"y" * MAX_HEADER_BLOCK) is not None


@pytest.mark.parametrize("status, location, action", [
    (200, None, BODY), (200, "/local?x", LOCAL_REDIRECT), (200, "http://a/b", CLIENT_REDIRECT),
    (301, "http://a/b", BODY), (404, "/x", BODY)])
def test_location_rules_of_rfc_3875(status, location, action):
    assert location_action(status, location) == action


def test_nph_by_file_name():
    assert is_nph("/x/nph-test.py") and is_nph("nph-")
    assert not is_nph("/nph-dir/test.py") and not is_nph("/x/test-nph-.py")
