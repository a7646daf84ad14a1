"""modpy against Debian's mod_python 3.5, side by side.

pair.py starts the two Apaches of a test file (once per file) with the same
configuration and files, sends each the same raw request and compares the
replies byte for byte after normalising, in one place (pair.VARYING), what
differs by nature.  Most cases run code in probe.py, given in the request's
X-Code header, so that a new case is one line of a table.

One file per area:
    test_request.py          request members read and written, methods, bodies
    test_objects.py          connection, server, table (finfo: test_request.py), log lines
    test_util.py             FieldStorage, Field, StringField, parse_qs(l), parse_header,
                             redirect, apply_fs_data
    test_cookie_session.py   Cookie, SignedCookie, MarshalCookie, FileSession, DbmSession
    test_publisher_psp.py    publisher traversal, refusals, arguments, auth; PSP pages
    test_wsgi.py             mod_python.wsgi: environ, bodies, statuses
    test_phases.py           each phase's return rules, stacking, | .ext, req.add_handler
    test_directives.py       the Python* directives
    test_filters.py          filters, the filter object, PythonConnectionHandler

A case where Debian's mod_python is broken under Python 3 asserts the
manual's answer, and one where modpy differs on purpose asserts what
docs/compatibility.md says; both say why.
"""
