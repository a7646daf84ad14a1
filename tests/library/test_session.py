"""mod_python.Session in a real Apache: every session class, the
manual's methods and options, cookies, hostile ids, expiry, cleanup, and
exact counts when many clients hit one session at once under event,
worker and prefork; RedisSession shared by two servers."""
import dbm
import os
import shutil
import socket
import subprocess
import threading
import time

import httpx
import pytest

from tests.apache import free_port

HANDLER = """
    import json, os, time
    from mod_python import apache, Session

    def handler(req):
        opts = req.get_options()
        action = req.uri.rsplit("/", 1)[-1]
        kw = {}
        if opts.get("test.secret"):
            kw["secret"] = opts["test.secret"]
        if req.args and req.args.startswith("timeout="):
            kw["timeout"] = int(req.args[8:])
        if action == "factory":
            s = Session.Session(req, **kw)
        else:
            cls = getattr(Session, opts.get("test.class", "FileSession"))
            s = cls(req, **kw)
        out = {"type": type(s).__name__, "new": s.is_new(), "id": s.id(),
               "created": s.created(), "accessed": s.last_accessed(), "timeout": s.timeout()}
        if action == "count":
            s["n"] = s.get("n", 0) + 1
            s.save()
        elif action == "slowcount":
            n = s.get("n", 0)
            time.sleep(0.002)
            s["n"] = n + 1
            s.save()
        elif action == "settimeout":
            s.set_timeout(1)
            s.save()
        elif action == "invalidate":
            s.invalidate()
        elif action == "delete":
            s.delete()
        elif action == "relock":
            s.unlock()
            s.unlock()
            s.lock()
            s.lock()
            s["n"] = s.get("n", 0) + 100
            s.save()
            s.unlock()
        elif action == "reload":
            s["n"] = -1
            out["loaded"] = s.load()
        elif action == "twice":
            try:
                cls(req, sid=s.id())
                out["second"] = "made"
            except RuntimeError as e:
                out["second"] = str(e)
            out["third_n"] = cls(req, sid=s.id(), lock=0).get("n")
        elif action == "cleanup":
            s.save()
            s.cleanup()
        out["n"] = s.get("n")
        req.content_type = "application/json"
        req.write(json.dumps(out))
        return apache.OK
"""


def session_server(apache_factory, tmp_path, cls="FileSession", mpm="event", extra="", where="app"):
    store = tmp_path / f"store-{cls}-{mpm}"
    store.mkdir(exist_ok=True)
    server = apache_factory(f"""
        {extra}
        <Directory "{{htdocs}}/{where}">
            SetHandler mod_python
            PythonHandler sess
            PythonOption test.class {cls}
            PythonOption mod_python.session.database_directory {store}
        </Directory>
    """, mpm=mpm)
    server.write(f"{where}/sess.py", HANDLER)
    server.store = store
    return server


def sid_cookie(response, name="pysid"):
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header
    return None


ALL = ["FileSession", "DbmSession", "MemorySession"]


@pytest.mark.parametrize("cls", ALL)
def test_counter_and_methods(apache_factory, tmp_path, cls):
    server = session_server(apache_factory, tmp_path, cls).start()
    r = server.get("/app/count")
    assert r.status_code == 200, server.error_log()
    first = r.json()
    assert first["type"] == cls and first["new"] is True and first["n"] == 1
    assert len(first["id"]) == 32 and first["timeout"] == 30 * 60
    assert abs(first["created"] - time.time()) < 5
    header = sid_cookie(r)
    assert header == f"pysid={first['id']}; path=/app; SameSite=Lax"
    assert r.headers["cache-control"] == 'no-cache="set-cookie"'
    time.sleep(0.01)
    second = server.get("/app/count").json()          # the client sends the cookie back
    assert second["new"] is False and second["id"] == first["id"] and second["n"] == 2
    assert second["created"] == first["created"] and second["accessed"] > first["created"]
    r = server.get("/app/relock")
    assert r.json()["n"] == 102, server.error_log()
    twice = server.get("/app/twice").json()
    assert "already locked by another Session object of this request" in twice["second"]
    assert twice["third_n"] == 102
    reload = server.get("/app/reload").json()
    assert reload["loaded"] is True and reload["n"] == 102
    r = server.get("/app/invalidate")
    assert sid_cookie(r).startswith(f"pysid={first['id']}; path=/app; expires=Thu, 01-Jan-1970")
    server.client.cookies.set("pysid", first["id"])   # a client keeping a dead id
    after = server.get("/app/count").json()
    assert after["new"] is True and after["id"] != first["id"] and after["n"] == 1


@pytest.mark.parametrize("cls", ["FileSession", "DbmSession"])
def test_store_files_stay_in_their_directory(apache_factory, tmp_path, cls):
    server = session_server(apache_factory, tmp_path, cls).start()
    sid = server.get("/app/count").json()["id"]
    if cls == "FileSession":
        assert os.path.exists(server.store / sid[:2] / sid)
        assert oct(os.stat(server.store / sid[:2]).st_mode & 0o777) == "0o700"
    else:
        # whichever dbm module this Python has (dumb, gnu, ndbm) made it
        assert dbm.whichdb(str(server.store / "mp_sess.dbm"))
    server.get("/app/delete")
    if cls == "FileSession":
        assert not os.path.exists(server.store / sid[:2] / sid)


@pytest.mark.parametrize("bad", ["../../../../etc/passwd", "..%2f..%2fx", "0" * 31,
                                 "A" * 32, "0" * 32 + "/..", "\xff" * 32, ""])
def test_malformed_or_unknown_ids_start_new_sessions(apache_factory, tmp_path, bad):
    server = session_server(apache_factory, tmp_path).start()
    r = server.get("/app/count", headers={"Cookie": f"pysid={bad}".encode("utf-8", "surrogateescape")})
    assert r.status_code == 200
    data = r.json()
    assert data["new"] is True and data["id"] != bad and len(data["id"]) == 32
    server.client.cookies.clear()
    unknown = "0123456789abcdef" * 2
    data = server.get("/app/count", headers={"Cookie": f"pysid={unknown}"}).json()
    assert data["new"] is True and data["id"] != unknown
    stored = sorted(name for _, _, names in os.walk(server.store) for name in names)
    assert stored == sorted(f"{d['id']}{ext}" for d in [data, r.json()] for ext in ("", ".lock"))
    assert "Traceback" not in server.error_log()


def test_signed_session_cookie_and_tampering(apache_factory, tmp_path):
    server = session_server(apache_factory, tmp_path, extra="PythonOption test.secret s3cr3t").start()
    r = server.get("/app/count")
    header = sid_cookie(r)
    sid = r.json()["id"]
    value = header.split(";")[0].split("=", 1)[1]
    assert len(value) == 64 and value.endswith(sid)
    assert server.get("/app/count").json()["n"] == 2
    server.client.cookies.clear()
    forged = "f" * 32 + sid                       # right id, wrong signature
    data = server.get("/app/count", headers={"Cookie": f"pysid={forged}"}).json()
    assert data["new"] is True and data["id"] != sid
    data = server.get("/app/count", headers={"Cookie": f"pysid={sid}"}).json()   # unsigned
    assert data["new"] is True and data["id"] != sid


def test_cookie_options(apache_factory, tmp_path):
    server = session_server(apache_factory, tmp_path, extra="""
        PythonOption mod_python.session.cookie_name my_sid
        PythonOption mod_python.session.application_path /shop
        PythonOption mod_python.session.application_domain example.org
    """).start()
    r = server.get("/app/count")
    assert sid_cookie(r, "my_sid") == \
        f"my_sid={r.json()['id']}; path=/shop; domain=example.org; SameSite=Lax"
    data = server.get("/app/count", headers={"Cookie": f"my_sid={r.json()['id']}"}).json()
    assert data["n"] == 2


def test_location_and_outside_docroot_paths_are_root(apache_factory, tmp_path):
    server = apache_factory("""
        <Location "/loc">
            SetHandler mod_python
            PythonHandler sess
            PythonPath "['{htdocs}/app'] + sys.path"
            PythonOption mod_python.session.database_directory {root}
        </Location>
    """)
    server.write("app/sess.py", HANDLER)
    server.start()
    r = server.get("/loc/count")
    assert r.status_code == 200, server.error_log()
    assert sid_cookie(r).endswith("; path=/; SameSite=Lax")


def test_timeout_and_expiry(apache_factory, tmp_path):
    server = session_server(apache_factory, tmp_path).start()
    first = server.get("/app/count?timeout=60").json()
    assert first["timeout"] == 60
    server.get("/app/settimeout")                  # set_timeout(1) and save
    assert server.get("/app/count").json()["timeout"] == 1
    time.sleep(2.2)
    after = server.get("/app/count").json()
    assert after["new"] is True and after["id"] != first["id"] and after["n"] == 1


@pytest.mark.parametrize("mode", [
    # read every file and use its own timeout
    "PythonOption mod_python.file_session.enable_fast_cleanup 0",
    # only the file's age against the running session's timeout (1 s below)
    "PythonOption mod_python.file_session.verify_session_timeout 0",
])
def test_file_session_cleanup(apache_factory, tmp_path, mode):
    server = session_server(apache_factory, tmp_path, extra=f"""
        PythonOption mod_python.file_session.cleanup_grace_period 0
        PythonOption mod_python.file_session.cleanup_time_limit 0
        {mode}
    """).start()
    old = server.get("/app/count?timeout=1").json()["id"]
    server.client.cookies.clear()
    keep = server.get("/app/count").json()["id"]     # 30 minutes
    server.client.cookies.clear()
    assert os.path.exists(server.store / old[:2] / old)
    time.sleep(2.2)
    server.get("/app/cleanup?timeout=1" if "verify" in mode else "/app/cleanup")
    # the cleanup runs after the response: wait until the files it should
    # remove are gone (unverified fast cleanup removes `keep` too, below)
    doomed = [old] if "verify" not in mode else [old, keep]
    deadline = time.time() + 5
    while any(os.path.exists(server.store / s[:2] / s) for s in doomed) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert not os.path.exists(server.store / old[:2] / old)
    assert not os.path.exists(server.store / old[:2] / (old + ".lock"))
    # unverified fast cleanup trusts the running session's timeout: the
    # 30-minute session goes too, as the manual warns
    assert os.path.exists(server.store / keep[:2] / keep) == ("verify" not in mode)


@pytest.mark.parametrize("cls", ["DbmSession", "MemorySession"])
def test_cleanup_of_other_stores(apache_factory, tmp_path, cls):
    extra = "StartServers 1\nServerLimit 1\nMaxRequestWorkers 25\nThreadsPerChild 25" \
        if cls == "MemorySession" else ""
    server = session_server(apache_factory, tmp_path, cls, extra=extra).start()
    old = server.get("/app/count?timeout=1").json()["id"]
    time.sleep(2.2)
    server.client.cookies.clear()
    server.get("/app/cleanup")
    time.sleep(0.2)
    data = server.get("/app/count", headers={"Cookie": f"pysid={old}"}).json()
    assert data["new"] is True
    if cls == "DbmSession":
        db = dbm.open(str(server.store / "mp_sess.dbm"), "r")
        assert old.encode() not in db.keys()
        db.close()


def test_factory_picks_the_class(apache_factory, tmp_path):
    server = session_server(apache_factory, tmp_path, extra="""
        StartServers 1
        ServerLimit 1
        MaxRequestWorkers 25
        ThreadsPerChild 25
    """).start()
    assert server.get("/app/factory").json()["type"] == "MemorySession"
    server.stop()
    server = session_server(apache_factory, tmp_path, mpm="prefork").start()
    assert server.get("/app/factory").json()["type"] == "DbmSession"
    server.stop()
    server = session_server(apache_factory, tmp_path, extra="""
        PythonOption mod_python.session.session_type FileSession
    """).start()
    assert server.get("/app/factory").json()["type"] == "FileSession"
    server.stop()
    server = session_server(apache_factory, tmp_path, extra="""
        PythonOption mod_python.session.session_type NoSuchSession
    """).start()
    assert server.get("/app/factory").status_code == 500
    assert "unknown session type 'NoSuchSession'" in server.error_log()


def hammer(urls, cookie, clients=8, rounds=25):
    """`clients` threads, each sending `rounds` requests with the session
    cookie, spread over `urls`; the responses' status codes."""
    statuses = []
    guard = threading.Lock()

    def run(i):
        with httpx.Client(timeout=60) as c:
            for k in range(rounds):
                r = c.get(urls[(i + k) % len(urls)], headers={"Cookie": cookie})
                with guard:
                    statuses.append(r.status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.parametrize("cls,mpm", [
    ("FileSession", "event"), ("FileSession", "worker"), ("FileSession", "prefork"),
    ("DbmSession", "event"), ("DbmSession", "worker"), ("DbmSession", "prefork"),
    ("MemorySession", "event"), ("MemorySession", "worker"),
])
def test_concurrent_clients_of_one_session_count_exactly(apache_factory, tmp_path, cls, mpm):
    extra = ""
    if cls == "MemorySession":                       # one process, many threads
        extra = "StartServers 1\nServerLimit 1\nMaxRequestWorkers 25\nThreadsPerChild 25"
    server = session_server(apache_factory, tmp_path, cls, mpm, extra=extra).start()
    sid = server.get("/app/count").json()["id"]
    statuses = hammer([server.url("/app/slowcount")], f"pysid={sid}")
    assert statuses == [200] * 200, server.error_log()
    final = server.get("/app/count", headers={"Cookie": f"pysid={sid}"}).json()
    assert final["id"] == sid and final["n"] == 1 + 200 + 1


@pytest.fixture
def redis_url(tmp_path):
    port = free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server",
                             "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
                             "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(10).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        assert time.time() < deadline and proc.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


def test_redis_sessions_shared_by_two_servers(apache_factory, tmp_path, redis_url):
    extra = f"PythonOption mod_python.redis_session.url {redis_url}"
    one = session_server(apache_factory, tmp_path, "RedisSession", "event", extra=extra).start()
    two = session_server(apache_factory, tmp_path, "RedisSession", "prefork", extra=extra).start()
    r = one.get("/app/count")
    assert r.status_code == 200, one.error_log()
    sid = r.json()["id"]
    cookie = f"pysid={sid}"
    data = two.get("/app/count", headers={"Cookie": cookie}).json()
    assert data["type"] == "RedisSession" and data["new"] is False and data["n"] == 2
    statuses = hammer([one.url("/app/slowcount"), two.url("/app/slowcount")], cookie)
    assert statuses == [200] * 200, one.error_log() + two.error_log()
    assert one.get("/app/count", headers={"Cookie": cookie}).json()["n"] == 2 + 200 + 1
    two.get("/app/invalidate", headers={"Cookie": cookie})
    data = one.get("/app/count", headers={"Cookie": cookie}).json()
    assert data["new"] is True and data["id"] != sid
    import redis
    client = redis.Redis.from_url(redis_url)
    assert client.exists("mod_python.session:" + sid) == 0
    assert client.ttl("mod_python.session:" + data["id"]) > 30 * 60


@pytest.mark.parametrize("cls", ["FileSession", "DbmSession"])
def test_a_store_others_can_write_is_refused(apache_factory, tmp_path, cls):
    """Records are unpickled: a directory or dbm another local user can
    write must not be used (500 and a clear error, no session)."""
    server = session_server(apache_factory, tmp_path, cls).start()
    if cls == "FileSession":
        server.store.chmod(0o777)
    else:
        planted = str(server.store / "mp_sess.dbm") + ".dat"
        open(planted, "wb").close()
        os.chmod(planted, 0o666)
    r = server.get("/app/count")
    assert r.status_code == 500
    assert "is not safe to use" in server.error_log()
