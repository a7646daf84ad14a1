"""mod_python's global locks (`import _apache; _apache._global_lock(...)`)
in a real Apache: one holder at a time across the children of prefork
and the threads of event, as mod_python's suite's test_global_lock wants."""
import threading
import time

import pytest

HANDLER = """
    import os, time
    import _apache
    from mod_python import apache

    def handler(req):
        if req.args == "try":
            _apache._global_lock(req.server, "key")
            try:
                req.write(repr(_apache._global_trylock(req.server, "key")))
            finally:
                _apache._global_unlock(req.server, "key")
            return apache.OK
        _apache._global_lock(req.server, None, 1)
        time.sleep(0.4)
        _apache._global_unlock(req.server, None, 1)
        req.write(str(os.getpid()))
        return apache.OK
"""


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_global_lock_excludes_across_processes_and_threads(apache_factory, mpm):
    server = apache_factory("""
        StartServers 3
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler lock
        </Directory>
    """, mpm=mpm)
    server.write("lock.py", HANDLER)
    server.start()
    pids = []

    def one():
        with server.client.stream("GET", "/lock", headers={"Connection": "close"}) as r:
            pids.append(r.read().decode())

    start = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - start
    assert len(pids) == 5 and all(p.isdigit() for p in pids), pids
    assert elapsed >= 5 * 0.4 - 0.05, elapsed             # one after the other
    if mpm == "prefork":
        assert len(set(pids)) > 1                          # and across processes
    assert server.get("/lock?try").text == "False"         # held: trylock says so
