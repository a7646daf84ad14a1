"""Real CGI applications, unchanged, in-process: Mercurial's hgweb.cgi,
Trac's trac.cgi and Roundup's roundup.cgi (tests/handlers/cgi/apps.py)
served by mod_cgid and then by modpy's cgihandler, from the same files at
the same paths on the same port (and Trac once more through its trac.wsgi
under mod_python.wsgi).  Their pages must be byte-identical but for values that differ from
run to run by nature (apps.VOLATILE), their forms must work, and the real
Mercurial client must clone, pull and push through both, 8 at once."""
from __future__ import annotations

import difflib
import os
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.apache import free_port
from tests.handlers.cgi import apps
from tests.handlers.cgi.test_parity import framing

HG_PAGES = ["/cgi/hgweb.cgi", "/cgi/hgweb.cgi/log", "/cgi/hgweb.cgi/file/tip/a.txt",
            "/cgi/hgweb.cgi/raw-file/tip/a.txt", "/cgi/hgweb.cgi/rev/tip", "/cgi/hgweb.cgi/graph",
            "/cgi/hgweb.cgi/atom-log", "/cgi/hgweb.cgi/static/style-paper.css",
            "/cgi/hgweb.cgi/file/tip/missing.txt", "/cgi/hgweb.cgi?cmd=capabilities"]
TRAC_PAGES = ["/cgi/trac.cgi", "/cgi/trac.cgi/wiki", "/cgi/trac.cgi/wiki/TracGuide", "/cgi/trac.cgi/timeline",
              "/cgi/trac.cgi/newticket", "/cgi/trac.cgi/report", "/cgi/trac.cgi/report/1",
              "/cgi/trac.cgi/chrome/common/css/trac.css", "/cgi/trac.cgi/no/such/page",
              "/cgi/trac.cgi/login"]
ROUNDUP = "/cgi/roundup.cgi/demo/"
ROUNDUP_PAGES = ["/cgi/roundup.cgi", "/cgi/roundup.cgi/demo", ROUNDUP, ROUNDUP + "issue?@template=item",
                 ROUNDUP + "user?@template=register", ROUNDUP + "@@file/style.css", ROUNDUP + "issue42",
                 ROUNDUP + "nosuchclass", "/cgi/roundup.cgi/nosuchtracker/"]
CLIENTS = 8


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("cgi-apps") / "template")
    apps.make_template(root)
    return root


def page(client: httpx.Client, path: str) -> tuple:
    r = client.get(path)
    headers = [(k.lower(), apps.normalise(v.encode()).decode()) for k, v in r.headers.multi_items()
               if k.lower() not in ("date", "server", "keep-alive") and not framing(k.lower(), v, r)]
    return r.status_code, headers, apps.normalise(r.content)


def trac_forms(client: httpx.Client) -> list:
    """A new ticket, a comment on it and a new wiki page, each through its
    form and its __FORM_TOKEN; the pages that show them."""
    out = []
    token = _token(client, "/cgi/trac.cgi/newticket")
    r = client.post("/cgi/trac.cgi/newticket", data={
        "__FORM_TOKEN": token, "field_summary": "Broken thing", "field_type": "defect",
        "field_description": "It does not work: é ✓", "submit": "Create ticket"})
    out.append((r.status_code, apps.normalise(r.headers.get("location", "").encode())))
    token = _token(client, "/cgi/trac.cgi/ticket/1")
    r = client.post("/cgi/trac.cgi/ticket/1", data={
        "__FORM_TOKEN": token, "comment": "Seen it too", "action": "leave", "submit": "Submit changes",
        "view_time": _hidden(client, "/cgi/trac.cgi/ticket/1", "view_time"),
        "start_time": _hidden(client, "/cgi/trac.cgi/ticket/1", "start_time")})
    out.append((r.status_code, apps.normalise(r.headers.get("location", "").encode())))
    token = _token(client, "/cgi/trac.cgi/wiki/NewPage?action=edit")
    r = client.post("/cgi/trac.cgi/wiki/NewPage", data={
        "__FORM_TOKEN": token, "action": "edit", "version": "0", "text": "= A page =\nmade by a test",
        "comment": "", "save": "Submit changes"})
    out.append((r.status_code, apps.normalise(r.headers.get("location", "").encode())))
    for path in ("/cgi/trac.cgi/ticket/1", "/cgi/trac.cgi/wiki/NewPage", "/cgi/trac.cgi/timeline"):
        out.append(page(client, path))
    return out


def roundup_forms(client: httpx.Client) -> list:
    """The admin logs in and creates an issue, each through its form (with
    its @csrf token and the Referer and Origin a browser sends); the pages
    that show the issue."""
    out = []
    user, password = apps.ROUNDUP_ADMIN
    for path, fields in ((ROUNDUP, {"__login_name": user, "__login_password": password, "@action": "Login"}),
                         (ROUNDUP + "issue?@template=item", {
                             "@action": "new", "title": "Broken thing", "priority": "1", "status": "1",
                             "@note": "It does not work: é ✓", "nosy": user})):
        url = str(client.base_url.join(path))
        fields = {**fields, "@csrf": _hidden(client, path, "@csrf"), "__came_from": url}
        r = client.post(path.split("?")[0], data=fields, headers={"Referer": url, "Origin": url.split("/cgi/")[0]})
        out.append((r.status_code, apps.normalise(r.headers.get("location", "").encode())))
    for path in ("issue1", "issue", "msg1", "user1"):
        out.append(page(client, ROUNDUP + path))
    return out


def _hidden(client: httpx.Client, path: str, name: str) -> str:
    text = client.get(path).text
    return re.search(rf'name="{re.escape(name)}"\s+(?:type="hidden"\s+)?value="([^"]*)"', text).group(1)


def _token(client: httpx.Client, path: str) -> str:
    return _hidden(client, path, "__FORM_TOKEN")


def hg_clients(url: str, work: str) -> dict:
    """Clone, commit, push, pull with the real client: one alone, then
    CLIENTS at once, each pushing a branch of its own."""
    result = {}
    first = os.path.join(work, "first")
    apps.hg("clone", "-q", url, first)
    with open(os.path.join(first, "b.txt"), "w") as f:
        f.write("pushed\n")
    apps.hg("commit", "-A", "-d", apps.COMMIT_DATE, "-m", "second", cwd=first)
    apps.hg("push", "-q", url, cwd=first)
    result["pushed"] = apps.hg("log", "-r", "tip", "-T", "{node} {desc}\n", cwd=first)

    def one(n: int) -> str:
        clone = os.path.join(work, f"client{n}")
        apps.hg("clone", "-q", url, clone)
        apps.hg("branch", "-q", f"b{n}", cwd=clone)
        with open(os.path.join(clone, f"c{n}.txt"), "w") as f:
            f.write(f"client {n}\n")
        apps.hg("commit", "-A", "-d", apps.COMMIT_DATE, "-m", f"from client {n}", cwd=clone)
        apps.hg("push", "-q", "--new-branch", url, cwd=clone)
        return clone

    with ThreadPoolExecutor(CLIENTS) as pool:
        clones = list(pool.map(one, range(CLIENTS)))
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda c: apps.hg("pull", "-q", url, cwd=c), clones))
    # the same heads for every client (in the order the concurrent pushes came)
    result["branches"] = {frozenset(apps.hg("branches", "-T", "{branch} {node}\n", cwd=c).splitlines())
                          for c in clones}
    return result


def serve_all(apache_factory, template, site, port, emulated, tmp_path) -> dict:
    apps.make_site(template, site, port)
    server = apache_factory(apps.config(site, emulated), port=port).start()
    client = server.client
    results = {"hg pages": [page(client, p) for p in HG_PAGES],
               "trac pages": [page(client, p) for p in TRAC_PAGES],
               "trac forms": trac_forms(client),
               "roundup pages": [page(client, p) for p in ROUNDUP_PAGES],
               "roundup forms": roundup_forms(client)}
    work = tmp_path / ("modpy" if emulated else "cgid")
    work.mkdir()
    results["hg client"] = hg_clients(server.url("/cgi/hgweb.cgi"), str(work))
    server.stop()
    results["log"] = server.error_log()
    return results


def serve_trac_wsgi(apache_factory, template, site, port) -> dict:
    """Trac's pages and forms through trac.wsgi (apps.TRAC_WSGI)."""
    apps.make_site(template, site, port)
    server = apache_factory(apps.trac_wsgi_config(site), port=port).start()
    results = {"trac pages": [page(server.client, p) for p in TRAC_PAGES], "trac forms": trac_forms(server.client)}
    server.stop()
    results["log"] = server.error_log()
    return results


@pytest.fixture
def both(apache_factory, template, tmp_path):
    site, port = str(tmp_path / "site"), free_port()
    cgid = serve_all(apache_factory, template, site, port, False, tmp_path)
    emulated = serve_all(apache_factory, template, site, port, True, tmp_path)
    emulated["trac wsgi"] = serve_trac_wsgi(apache_factory, template, site, port)
    return cgid, emulated


def differences(emulated, cgid) -> str:
    """The first lines that differ, for each answer that does."""
    if isinstance(emulated, dict):
        return repr((emulated, cgid))
    out = []
    for i, (a, b) in enumerate(zip(emulated, cgid)):
        if a == b:
            continue
        if a[:-1] != b[:-1]:
            out.append(f"#{i}: {a[:-1]} != {b[:-1]}")
        lines = list(difflib.unified_diff(b[-1].decode(errors="replace").splitlines(),
                                          a[-1].decode(errors="replace").splitlines(), "mod_cgid", "modpy", n=0))
        out.append(f"#{i}:\n" + "\n".join(lines[:20]))
    return "\n".join(out)


def unordered(answers: list) -> list:
    """Answers with their headers sorted (a page's are a list; a form's
    redirect is (status, location))."""
    return [(a[0], sorted(a[1]), *a[2:]) if isinstance(a[1], list) else a for a in answers]


def test_real_applications_answer_as_under_mod_cgid(both):
    cgid, emulated = both
    for part in ("hg pages", "trac pages", "trac forms", "roundup pages", "roundup forms", "hg client"):
        assert emulated[part] == cgid[part], f"{part}:\n" + differences(emulated[part], cgid[part])
    # equal is not enough: these are the applications' real pages
    hg_pages, trac_pages = emulated["hg pages"], emulated["trac pages"]
    assert [p[0] for p in hg_pages] == [200] * 8 + [404, 200]
    assert b"first" in hg_pages[1][2] and hg_pages[3][2] == b"hello\n"
    assert [p[0] for p in trac_pages] == [200] * 8 + [404, 500]
    assert b"Test Project" in trac_pages[1][2]
    forms = emulated["trac forms"]
    assert [f[0] for f in forms[:3]] == [303, 303, 303]
    assert b"It does not work: \xc3\xa9 \xe2\x9c\x93" in forms[3][2] and b"Seen it too" in forms[3][2]
    assert b"made by a test" in forms[4][2]
    roundup_pages, roundup_forms = emulated["roundup pages"], emulated["roundup forms"]
    # Roundup 2.6.0's own CGI frontend fails every static file (its request
    # wrapper has no `headers` for the If-None-Match check): 500 under both
    assert [p[0] for p in roundup_pages] == [200, 301, 200, 200, 200, 500, 404, 404, 200]
    assert b"Roundup issue tracker" in roundup_pages[2][2] and b"trackers index" in roundup_pages[0][2]
    assert [f[0] for f in roundup_forms[:2]] == [302, 302] and b"Welcome+admin" in roundup_forms[0][1]
    assert b"Broken thing" in roundup_forms[2][2]
    assert b"It does not work: \xc3\xa9 \xe2\x9c\x93" in roundup_forms[2][2]
    client = emulated["hg client"]
    assert client["pushed"].endswith(" second\n")
    assert len(client["branches"]) == 1                     # every client pulled the same heads
    assert sorted(line.split()[0] for line in next(iter(client["branches"]))) == \
        [f"b{n}" for n in range(CLIENTS)] + ["default"]
    # Trac's own WSGI entry point under mod_python.wsgi answers as its CGI
    # does, but for the headers' order (a CGI's are Apache's to place); its
    # forms need the `multipart` import to find no stand-in (core/standins)
    wsgi = emulated["trac wsgi"]
    for part in ("trac pages", "trac forms"):
        mine, theirs = unordered(wsgi[part]), unordered(cgid[part])
        assert mine == theirs, f"{part} through trac.wsgi:\n" + differences(mine, theirs)
    assert "Traceback" not in emulated["log"] + wsgi["log"]
    assert "EXCEPTION AT" not in emulated["log"] + cgid["log"]      # roundup.cgi's own report of a failure
