"""Python filters: PythonOutputFilter/PythonInputFilter by name with
SetOutputFilter, AddOutputFilter and AddInputFilter, filters registered
from a handler, the filter object's methods, and a filter that fails."""
import hashlib

FILTERS = """
    PythonPath "sys.path + ['{htdocs}']"
    PythonOutputFilter filters::upper UPPER
    PythonOutputFilter filters::counting COUNTING
    PythonOutputFilter filters::broken BROKEN
    PythonInputFilter filters::swapcase_in SWAPIN
    PythonOutputFilter filters::passer PASSER
"""

CODE = """
    from mod_python import apache

    def upper(filter):
        s = filter.read()
        while s:
            filter.write(s.upper())
            s = filter.read()
        if s is None:
            filter.close()

    def counting(filter):
        # keeps a running total over the brigades of one response
        if filter.req is not None and "n" not in filter.req.notes:
            filter.req.notes["n"] = "0"
        s = filter.readline()
        while s:
            filter.req.notes["n"] = str(int(filter.req.notes["n"]) + 1)
            filter.write(b"%d:" % int(filter.req.notes["n"]) + s)
            s = filter.readline()
        if s is None:
            filter.write(repr((filter.name, filter.is_input, filter.closed)))
            filter.close()

    def passer(filter):
        # the first brigade gets a prefix, then the filter steps aside
        if filter.req.notes.get("passer"):
            filter.pass_on()
            return
        filter.req.notes["passer"] = "1"
        filter.write(b"[prefix]")
        filter.flush()
        filter.disable()
        filter.pass_on()

    def broken(filter):
        raise RuntimeError("broken filter")

    def swapcase_in(filter):
        s = filter.read()
        if s is None:
            filter.close()
            return
        filter.write(s.swapcase())

    def handler(req):
        if req.args == "register":
            req.register_output_filter("DYNAMIC", "filters::upper")
            req.add_output_filter("DYNAMIC")
        elif req.args == "add":
            req.add_output_filter("UPPER")
        elif req.args == "regin":
            req.register_input_filter("DYNIN", "filters::swapcase_in")
            req.add_input_filter("DYNIN")
        elif req.args == "pass":
            req.add_output_filter("PASSER")
        elif req.args == "unknown":
            try:
                req.add_output_filter("NO_SUCH_FILTER")
            except ValueError as e:
                req.write(str(e) + "\\n")
        req.content_type = "text/plain"
        body = req.read()
        req.write(b"body=" + body + b"\\nline two\\n")
        return apache.OK
"""


def start(apache_factory, sections, **kw):
    server = apache_factory(FILTERS + sections, **kw)
    server.write("filters.py", CODE)
    server.write("static/page.txt", "static page\nsecond line\n")
    server.start()
    return server


def test_output_filters_by_name(apache_factory):
    server = start(apache_factory, """
        <Location /up>
            SetHandler mod_python
            PythonHandler filters
            SetOutputFilter UPPER
        </Location>
        <Location /plain>
            SetHandler mod_python
            PythonHandler filters
        </Location>
        <Directory "{htdocs}/static">
            AddOutputFilter COUNTING .txt
        </Directory>
    """)
    r = server.post("/up", content=b"abc")
    assert r.status_code == 200 and r.text == "BODY=ABC\nLINE TWO\n", server.error_log()
    r = server.get("/static/page.txt")
    assert r.text == "1:static page\n2:second line\n('counting', 0, 0)", server.error_log()
    assert server.get("/plain?add").text == "BODY=\nLINE TWO\n"
    assert server.get("/plain?register").text == "BODY=\nLINE TWO\n"
    assert server.get("/plain").text == "body=\nline two\n"
    assert server.post("/plain?regin", content=b"MiXeD").text == "body=mIxEd\nline two\n"
    assert server.get("/plain?pass").text == "[prefix]body=\nline two\n"
    assert server.get("/plain?unknown").text.startswith("no filter named 'NO_SUCH_FILTER'")


def test_input_filter_and_chunked_upload(apache_factory):
    server = start(apache_factory, """
        <Location /in>
            SetHandler mod_python
            PythonHandler filters
            SetInputFilter SWAPIN
        </Location>
    """)
    r = server.post("/in", content=b"Hello World")
    assert r.text == "body=hELLO wORLD\nline two\n", server.error_log()
    r = server.post("/in", content=iter([b"Ab", b"cD" * 50000]))
    assert r.text == "body=aB" + "Cd" * 50000 + "\nline two\n"


def test_a_failing_filter_is_a_500_and_the_child_serves_on(apache_factory):
    server = start(apache_factory, """
        <Location /broken>
            SetHandler mod_python
            PythonHandler filters
            SetOutputFilter BROKEN
        </Location>
        <Location /ok>
            SetHandler mod_python
            PythonHandler filters
        </Location>
    """, mpm="prefork")
    r = server.get("/broken")
    assert r.status_code == 500
    log = server.error_log()
    assert "RuntimeError: broken filter" in log and "PythonOutputFilter" in log
    assert server.get("/ok").text == "body=\nline two\n"


def test_large_response_streams_through_a_filter(apache_factory):
    server = start(apache_factory, """
        <Directory "{htdocs}/static">
            AddOutputFilter UPPER .bin
        </Directory>
    """)
    data = bytes(range(97, 123)) * (8 * 1024 * 1024 // 26)
    with open(server.htdocs + "/static/big.bin", "wb") as f:
        f.write(data)
    digest = hashlib.sha256()
    size = 0
    with server.client.stream("GET", "/static/big.bin") as r:
        for chunk in r.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert size == len(data)
    assert digest.hexdigest() == hashlib.sha256(data.upper()).hexdigest()
