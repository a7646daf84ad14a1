"""The rules docs/security.md promises, in-process: where session ids come
from and which ids are accepted, and how signed cookies are checked."""
import inspect
import os
import re

import pytest
from python_multipart import MultipartParser

import modpy.handlers.publisher as publisher
import modpy.library.Cookie as cookies
import modpy.library.formdata as formdata
import modpy.library.Session as sessions
from modpy.library.Cookie import Cookie, MarshalCookie, SignedCookie


def test_session_ids_are_128_bits_from_secrets(monkeypatch):
    asked = []
    real = sessions.secrets.token_hex
    monkeypatch.setattr(sessions.secrets, "token_hex", lambda n: asked.append(n) or real(n))
    ids = {sessions.new_sid() for _ in range(1000)}
    assert asked == [16] * 1000                      # 16 bytes: 128 bits from the OS CSPRNG
    assert len(ids) == 1000 and all(re.fullmatch("[0-9a-f]{32}", sid) for sid in ids)


@pytest.mark.parametrize("sid, valid", [
    ("0123456789abcdef" * 2, True), ("0123456789ABCDEF" * 2, False), ("0" * 31, False),
    ("0" * 33, False), ("0" * 32 + "\n", False), ("../" + "0" * 29, False), ("0" * 30 + "/.", False),
    ("\udce9" * 32, False), ("", False), (None, False), (b"0" * 32, False),
])
def test_only_32_lowercase_hex_digits_are_a_session_id(sid, valid):
    assert sessions.valid_sid(sid) is valid


def test_signatures_are_compared_in_constant_time_before_unmarshalling(monkeypatch):
    order = []
    compare, loads = cookies.hmac.compare_digest, cookies.marshal.loads
    monkeypatch.setattr(cookies.hmac, "compare_digest", lambda a, b: order.append("compare") or compare(a, b))
    monkeypatch.setattr(cookies.marshal, "loads", lambda data: order.append("loads") or loads(data))
    header = str(MarshalCookie("m", {"a": 1}, "k"))
    assert MarshalCookie.parse(header, "k")["m"].value == {"a": 1}
    assert order == ["compare", "loads"]
    order.clear()
    assert type(SignedCookie.parse("s=" + "0" * 32 + "v", "k")["s"]) is Cookie
    assert order == ["compare"]


def test_publisher_passwords_are_compared_in_constant_time(monkeypatch):
    compared = []
    real = publisher.hmac.compare_digest
    monkeypatch.setattr(publisher.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real(a, b))
    assert publisher._password_matches("s\u00e9cret", "s\u00e9cret")
    assert not publisher._password_matches(b"secret", "secreT")
    assert not publisher._password_matches(None, "anything")      # unknown user: same work
    assert len(compared) == 3 and all(type(a) is type(b) is bytes for a, b in compared)


def test_the_python_multipart_floor_has_the_api_formdata_uses():
    """formdata passes max_header_count, which python-multipart has only
    since 0.0.27: an older one made every multipart POST a 500."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "pyproject.toml")) as f:
        floor = re.search(r'"python-multipart>=([0-9.]+)"', f.read()).group(1)
    assert tuple(map(int, floor.split("."))) >= formdata.MULTIPART_FLOOR
    assert "max_header_count" in inspect.signature(MultipartParser).parameters
