"""Table lookups: the first value, ASCII case-insensitive, whether the table
is small (searched in Python) or large (searched by APR)."""
import pytest


@pytest.mark.parametrize("extra", [0, 40])
def test_headers_in_lookup(apache_factory, extra):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler look
        </Directory>
    """)
    server.write("look.py", """
        def handler(req):
            h = req.headers_in
            req.content_type = "text/plain"
            req.write(repr((h["x-one"], h.get("X-ONE"), h.get("x-Two"), h.get("missing", "-"),
                            "X-One" in h, "nope" in h, h.get(b"x-raw"), h.get_all("x-two"))))
            return 0
    """)
    server.start()
    headers = [("X-One", "1"), ("X-Two", "a"), ("x-two", "b"), ("X-Raw", b"\xff\xfe")]
    headers += [(f"X-Pad-{i}", str(i)) for i in range(extra)]
    r = server.get("/t", headers=headers)
    assert r.status_code == 200, server.error_log()
    # Apache joins repeated request headers; hostile bytes round-trip
    expected = repr(("1", "1", "a, b", "-", True, False, "\udcff\udcfe", ["a, b"]))
    assert r.content == expected.encode("utf-8", "surrogateescape")
