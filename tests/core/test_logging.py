"""Python's logging inside Apache, as a Python user expects it: with no
configuration warnings reach the error log; logging.basicConfig() works
(levels, formats); a logger's own handler gets its records; and a record
made while serving a request carries the client and the request's log id."""
from __future__ import annotations

import os
import re
import time

import pytest

BODY = """
ErrorLogFormat "[%l] [client %a] [id %L] %M"
<Directory "{htdocs}">
    SetHandler mod_python
    PythonHandler app
</Directory>
"""


@pytest.fixture
def server(apache_factory):
    return apache_factory(BODY)


def log_lines(server, marker: str) -> list[str]:
    return [line for line in server.error_log().splitlines() if marker in line]


def test_without_configuration_warnings_reach_the_error_log(server):
    server.write("app.py", """
        import logging
        def handler(req):
            logging.getLogger("myapp").warning("careful %s", req.uri)
            logging.getLogger("myapp").info("not shown")
            req.write("ok")
            return 0
    """)
    server.start()
    assert server.get("/w").text == "ok"
    (line,) = log_lines(server, "careful /w")
    assert line.startswith("[warn] [client 127.0.0.1")         # Apache's level, the request's client
    assert not log_lines(server, "not shown")


def test_basic_config_sets_level_and_format_with_client_and_log_id(server):
    server.write("app.py", """
        import logging
        logging.basicConfig(level=logging.INFO,
                            format="%(levelname)s %(name)s client=%(client)s id=%(log_id)s %(message)s")
        log = logging.getLogger("myapp")
        def handler(req):
            log.info("serving %s", req.uri)
            req.write("ok")
            return 0
    """)
    server.start()
    assert server.get("/one").text == "ok"
    (line,) = log_lines(server, "serving /one")
    match = re.search(r"\[id (\S+)\] INFO myapp client=127\.0\.0\.1 id=(\S+) serving /one$", line)
    assert match and match.group(1) == match.group(2), line      # the record's id is Apache's %L


def test_a_loggers_own_handler_gets_its_records(server, tmp_path):
    path = tmp_path / "myapp.log"
    os.chmod(tmp_path, 0o777)
    server.write("app.py", f"""
        import logging
        log = logging.getLogger("myapp")
        log.setLevel(logging.DEBUG)
        handler_ = logging.FileHandler({str(path)!r})
        handler_.setFormatter(logging.Formatter("%(levelname)s %(message)s %(client)s"))
        log.addHandler(handler_)
        def handler(req):
            log.debug("debug for %s", req.uri)
            req.write("ok")
            return 0
    """)
    server.start()
    assert server.get("/d").text == "ok"
    assert path.read_text() == "DEBUG debug for /d 127.0.0.1\n"
    assert not log_lines(server, "debug for /d")               # handled: not the last resort


def test_records_outside_a_request_have_no_client(apache_factory, tmp_path):
    out = tmp_path / "startup"
    os.chmod(tmp_path, 0o777)
    server = apache_factory(f"""
        PythonImport startup_logger main_interpreter
        PythonPath "sys.path + [{str(tmp_path)!r}]"
    """)
    (tmp_path / "startup_logger.py").write_text(f"""
import logging, os
record = logging.getLogger("boot").makeRecord("boot", logging.INFO, "", 0, "x", (), None)
with open({str(out)!r} + ".tmp", "w") as f:           # whole, then in place: the test polls for it
    f.write(repr((record.client, record.log_id)))
os.replace({str(out)!r} + ".tmp", {str(out)!r})
""")
    os.chmod(tmp_path / "startup_logger.py", 0o644)
    server.start()
    deadline = time.monotonic() + 15                             # children import it as they start
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert out.read_text() == "(None, None)"
