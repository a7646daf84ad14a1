"""mod_python.util in a real Apache: FieldStorage over query strings and
bodies, uploads (one of 100 MB with the child's memory measured),
parse_qs/parse_qsl and redirect."""

import pytest

FORM_HANDLER = """
    import json
    from mod_python import apache, util

    def describe(item):
        if isinstance(item, list):
            return [describe(i) for i in item]
        if isinstance(item, util.StringField):
            return {"str": item, "value": item.value}
        return {"filename": item.filename, "type": item.type, "size": len(item.value),
                "head": item.value[:20].decode("latin-1"), "name": item.name}

    def handler(req):
        keep = req.args is not None and "keep=1" in req.args
        fs = util.FieldStorage(req, keep_blank_values=keep)
        req.content_type = "application/json"
        req.write(json.dumps({
            "keys": fs.keys(),
            "items": {k: describe(fs[k]) for k in fs.keys()},
            "first": {k: fs.getfirst(k) if not hasattr(fs.getfirst(k), "filename") else "file"
                      for k in fs.keys()},
            "has_a": fs.has_key("a"), "in_a": "a" in fs, "len": len(fs),
            "list": [f.name for f in fs.list],
            "repr": repr(fs.list),
            "get_missing": fs.get("missing", "dflt"),
            "getlist_missing": fs.getlist("missing"),
            "get_a": fs.get("a", None) if not isinstance(fs.get("a"), util.Field) else "file",
        }, ensure_ascii=False).encode("utf-8", "surrogateescape"))
        return apache.OK
"""


@pytest.fixture
def form_server(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler form
        </Directory>
    """)
    server.write("form.py", FORM_HANDLER)
    return server.start()


def multipart(parts, boundary="----modpytest"):
    out = b""
    for name, value, filename in parts:
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename:
            disp += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
        out += f"--{boundary}\r\n{disp}\r\n\r\n".encode() + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def test_query_string_fields(form_server):
    r = form_server.get("/f?a=1&b=two+words&a=3&empty=")
    assert r.status_code == 200, form_server.error_log()
    data = r.json()
    assert data["keys"] == ["a", "b"]
    assert data["items"]["a"] == [{"str": "1", "value": "1"}, {"str": "3", "value": "3"}]
    assert data["items"]["b"] == {"str": "two words", "value": "two words"}
    assert data["first"] == {"a": "1", "b": "two words"}
    assert data["has_a"] and data["in_a"] and data["len"] == 2
    assert data["list"] == ["a", "b", "a"]
    assert data["get_missing"] == "dflt" and data["getlist_missing"] == []
    assert form_server.get("/f?keep=1&empty=").json()["keys"] == ["keep", "empty"]


def test_urlencoded_body_after_query_string(form_server):
    r = form_server.post("/f?a=q", content=b"a=body&c=%E2%82%AC",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    data = r.json()
    assert data["items"]["a"] == [{"str": "q", "value": "q"}, {"str": "body", "value": "body"}]
    assert data["items"]["c"]["str"] == "\u20ac"


def test_field_repr_as_mod_python_shows_it(form_server):
    # name and value as bytes, as mod_python 3.5 on Python 3 (its suite's
    # test_util_fieldstorage compares this text); an upload by its filename
    r = form_server.post("/f", content=b"spam=1&spam=2&eggs=%E2%82%AC",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.json()["repr"] == r"[Field(b'spam', b'1'), Field(b'spam', b'2'), Field(b'eggs', b'\xe2\x82\xac')]"
    body, ctype = multipart([("up", b"data", "a.txt")])
    r = form_server.post("/f", content=body, headers={"Content-Type": ctype})
    assert r.json()["repr"] == "[Field(b'up', b'a.txt')]"


def test_folded_part_headers_and_a_quoted_boundary(form_server):
    # as mod_python's suite uploads (test_fileupload): a folded
    # Content-Disposition, the boundary quoted in the Content-Type, data with
    # every byte value and CRs of its own
    payload = bytes(range(256)) * 8 + b"\r\r\n\r"
    body = (b"--==b==\r\nContent-Type: text/plain\r\nContent-Disposition: form-data;\r\n name=\"t\"\r\n\r\n"
            b"abcd\r\n--==b==\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n"
            + payload + b"\r\n--==b==--\r\n")
    r = form_server.post("/f", content=body, headers={"Content-Type": 'multipart/form-data; boundary="==b=="'})
    assert r.status_code == 200, form_server.error_log()
    data = r.json()
    assert data["first"]["t"] == "abcd"
    assert data["items"]["f"]["size"] == len(payload) and data["items"]["f"]["filename"] == "x.bin"


def test_chunked_urlencoded_body(form_server):
    r = form_server.post("/f", content=iter([b"a=1&", b"b=2"]),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.json()["first"] == {"a": "1", "b": "2"}


def test_multipart_fields_and_file(form_server):
    payload = bytes(range(256)) * 40
    content, ctype = multipart([("a", b"text value", None), ("up", payload, "pic.bin"),
                                ("a", b"again", None)])
    r = form_server.post("/f", content=content, headers={"Content-Type": ctype})
    assert r.status_code == 200, form_server.error_log()
    data = r.json()
    assert data["keys"] == ["a", "up"]
    assert data["items"]["up"] == {"filename": "pic.bin", "type": "application/octet-stream",
                                   "size": len(payload), "head": payload[:20].decode("latin-1"),
                                   "name": "up"}
    assert data["first"]["a"] == "text value"
    assert [i["str"] for i in data["items"]["a"]] == ["text value", "again"]


def test_hostile_bytes_do_not_crash(form_server):
    r = form_server.get("/f?n%FFx=%FE%00v")
    assert r.status_code == 200
    assert r.content.startswith(b'{"keys": ["n\xffx"]')
    content, ctype = multipart([("n\udcff".encode("utf-8", "surrogateescape").decode("latin-1"),
                                 b"\xfe", None)])
    r = form_server.post("/f", content=content, headers={"Content-Type": ctype})
    assert r.status_code == 200


@pytest.mark.parametrize("content,ctype,status", [
    (b"--x\r\ngarbage", "multipart/form-data; boundary=x", 400),
    (b"whatever", "multipart/form-data", 400),
    (b'{"a": 1}', "application/json", 501),
])
def test_bad_bodies_get_an_http_error(form_server, content, ctype, status):
    r = form_server.post("/f", content=content, headers={"Content-Type": ctype})
    assert r.status_code == status
    assert "Traceback" not in form_server.error_log()


def test_post_without_length_is_411(form_server):
    import socket
    with socket.create_connection(("127.0.0.1", form_server.port)) as s:
        s.sendall(b"POST /f HTTP/1.0\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        reply = s.recv(100)
    assert reply.startswith(b"HTTP/1.1 411"), reply


def test_callbacks(apache_factory, tmp_path):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler cb
        </Directory>
    """)
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()
    server.write("cb.py", f"""
        import io, os
        from mod_python import apache, util

        class Storage(io.FileIO):
            def __init__(self, advisory_filename):
                self.advisory_filename = advisory_filename
                super().__init__(os.path.join({str(upload_dir)!r}, "saved-" + advisory_filename), "w+b")

        fields_made = []

        def field_callback():
            fields_made.append(1)
            return io.BytesIO()

        def handler(req):
            fields_made.clear()
            fs = util.FieldStorage(req, file_callback=Storage, field_callback=field_callback)
            up = fs["up"]
            req.write(repr((type(up.file).__name__, up.file.name, up.value, fs["t"], len(fields_made))))
            return apache.OK
    """)
    server.start()
    content, ctype = multipart([("t", b"tv", None), ("up", b"DATA", "f.txt")])
    r = server.post("/x", content=content, headers={"Content-Type": ctype})
    assert r.status_code == 200, server.error_log()
    saved = str(upload_dir / "saved-f.txt")
    assert r.text == repr(("Storage", saved, b"DATA", "tv", 1))
    assert open(saved, "rb").read() == b"DATA"


def test_parse_qs_and_parse_qsl(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler qs
        </Directory>
    """)
    server.write("qs.py", """
        from mod_python import apache, util

        def handler(req):
            qs = req.args or ""
            out = [util.parse_qs(qs), util.parse_qs(qs, 1), util.parse_qsl(qs), util.parse_qsl(qs, True)]
            try:
                util.parse_qsl(qs, strict_parsing=True)
                out.append("strict ok")
            except ValueError:
                out.append("strict error")
            req.write(repr(out))
            return apache.OK
    """)
    server.start()
    r = server.get("/q?a=1&b=&a=%20x&bare")
    assert r.text == repr([{"a": ["1", " x"]}, {"a": ["1", " x"], "b": [""], "bare": [""]},
                           [("a", "1"), ("a", " x")],
                           [("a", "1"), ("b", ""), ("a", " x"), ("bare", "")], "strict error"])


def test_redirect(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler redir
        </Directory>
    """)
    server.write("redir.py", """
        from mod_python import apache, util

        def handler(req):
            if req.uri == "/perm":
                util.redirect(req, "/elsewhere?a=<b>", permanent=1)
            if req.uri == "/text":
                util.redirect(req, "http://example.invalid/", text="gone")
            if req.uri == "/late":
                req.write("body first")
                try:
                    util.redirect(req, "/x")
                except IOError as e:
                    req.write(" | IOError: " + str(e))
                return apache.OK
            try:
                util.redirect(req, "/temp")
            except apache.SERVER_RETURN as e:
                req.log_error("redirect raised SERVER_RETURN %r" % (e.args,))
                raise
            return apache.OK
    """)
    server.start()
    r = server.get("/perm", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/elsewhere?a=<b>"
    assert "&lt;b&gt;" in r.text
    r = server.get("/text", follow_redirects=False)
    assert r.status_code == 302 and r.text == "gone"
    r = server.get("/other", follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/temp"
    assert "redirect raised SERVER_RETURN (-2,)" in server.error_log()
    r = server.get("/late")
    assert r.text.startswith("body first | IOError: ")


MEMORY_HANDLER = """
    import hashlib, json
    from mod_python import apache, util

    def vm(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])        # kB

    def handler(req):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                               # reset the peak (VmHWM) to now
        before = vm("VmRSS")
        fs = util.FieldStorage(req)
        peak = vm("VmHWM")
        up = fs["big"]
        h = hashlib.sha256()
        up.file.seek(0)
        while True:
            chunk = up.file.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
        req.write(json.dumps({"before_kb": before, "peak_kb": peak, "sha256": h.hexdigest(),
                              "note": fs.getfirst("note")}))
        return apache.OK
"""

UPLOAD_SIZE = 100 * 1024 * 1024
MEMORY_BOUND_KB = 24 * 1024      # peak RSS growth allowed while parsing 100 MB


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_100mb_upload_keeps_child_memory_bounded(apache_factory, mpm):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler mem
        </Directory>
    """, mpm=mpm)
    server.write("mem.py", MEMORY_HANDLER)
    server.start()
    import hashlib
    block = hashlib.sha256(b"seed").digest() * 2048          # 64 KiB, not compressible
    head = (b"--B0UND\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
            b"--B0UND\r\nContent-Disposition: form-data; name=\"big\"; filename=\"big.bin\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n")
    tail = b"\r\n--B0UND--\r\n"
    expected = hashlib.sha256()

    def stream():
        yield head
        for _ in range(UPLOAD_SIZE // len(block)):
            expected.update(block)
            yield block
        yield tail

    length = len(head) + UPLOAD_SIZE + len(tail)
    r = server.post("/m", content=stream(), timeout=300,
                    headers={"Content-Type": "multipart/form-data; boundary=B0UND",
                             "Content-Length": str(length)})
    assert r.status_code == 200, server.error_log()
    data = r.json()
    assert data["sha256"] == expected.hexdigest() and data["note"] == "hi"
    growth = data["peak_kb"] - data["before_kb"]
    print(f"{mpm}: RSS before {data['before_kb']} kB, peak while parsing {data['peak_kb']} kB, "
          f"growth {growth} kB")
    assert growth < MEMORY_BOUND_KB


def test_mapping_methods_in_a_handler(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler edit
        </Directory>
    """)
    server.write("edit.py", """
        from mod_python import apache, util

        def handler(req):
            fs = util.FieldStorage(req, keep_blank_values=1)
            out = [fs.items()]
            fs.add_field("a", "added")
            fs.add_field("new", "n")
            out.append((fs.getlist("a"), fs["new"], len(fs.list)))
            fs["a"] = "replaced"
            del fs["b"]
            out.append((fs.items(), fs.has_key("b"), "b" in fs))
            fs.clear()
            out.append((fs.keys(), len(fs)))
            req.write(repr(out))
            return apache.OK
    """)
    server.start()
    r = server.get("/e?a=1&b=&a=2")
    assert r.text == repr([[("a", ["1", "2"]), ("b", "")],
                           (["1", "2", "added"], "n", 5),
                           ([("new", "n"), ("a", "replaced")], False, False),
                           ([], 0)])
